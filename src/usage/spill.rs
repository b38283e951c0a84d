//! The spill file: where packed records go once a buffer of them is large,
//! so what the scan holds does not grow with the trail (issue #2).
//!
//! One anonymous temporary file per process (`tempfile::tempfile`: the
//! system deletes it when the process ends, however it ends), created the
//! first time something is spilled. Runs are appended and never changed;
//! reads go by offset, so any number of readers share it without seeking.
//! If the file cannot be created or written (no temporary folder, a full
//! disk), spilling is off and records stay in memory: slower to run out of
//! memory, never a different result.
//!
//! Runs replaced by a merge are not reclaimed: the file holds the packed
//! records about once per merge level plus twice, until the process ends.
//! Where the temporary folder is a memory file system (tmpfs), that is
//! memory, though not the process's.

use std::fs::File;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// The process's spill file, if one could be made.
pub fn file() -> Option<&'static SpillFile> {
    static SPILL: OnceLock<Option<SpillFile>> = OnceLock::new();
    SPILL
        .get_or_init(|| {
            tempfile::tempfile().ok().map(|file| SpillFile {
                file,
                end: Mutex::new(0),
            })
        })
        .as_ref()
}

/// An append-only temporary file, read by offset.
#[derive(Debug)]
pub struct SpillFile {
    file: File,
    /// Where the next append goes; held while a run is written, so a run is
    /// one contiguous range.
    end: Mutex<u64>,
}

/// A contiguous range of the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Where it starts.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

impl SpillFile {
    /// Starts writing a run at the end of the file; nobody else appends
    /// until the writer is finished.
    pub fn writer(&self) -> RunWriter<'_> {
        let end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
        let start = *end;
        RunWriter {
            file: self,
            end,
            start,
            buffer: Vec::with_capacity(WRITE_CHUNK),
        }
    }

    /// Reads `buf.len()` bytes at `offset` of a run written before.
    ///
    /// # Panics
    /// If the file cannot be read back: it is this process's own file,
    /// written moments before, so that is a broken system, not bad input.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) {
        read_exact_at(&self.file, buf, offset).expect("the spill file reads back what was written");
    }
}

/// Bytes gathered before a write.
const WRITE_CHUNK: usize = 1 << 20;

/// A run being appended to the spill file.
pub struct RunWriter<'a> {
    file: &'a SpillFile,
    end: MutexGuard<'a, u64>,
    start: u64,
    buffer: Vec<u8>,
}

impl RunWriter<'_> {
    /// Where the next byte written will be.
    pub fn position(&self) -> u64 {
        *self.end + self.buffer.len() as u64
    }

    /// Appends one record, with its length.
    pub fn write_record(&mut self, record: &[u8]) -> std::io::Result<()> {
        super::packed_codec::put_record(&mut self.buffer, record);
        if self.buffer.len() >= WRITE_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        write_all_at(&self.file.file, &self.buffer, *self.end)?;
        *self.end += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// The run written.
    pub fn finish(mut self) -> std::io::Result<Span> {
        self.flush()?;
        Ok(Span {
            offset: self.start,
            len: *self.end - self.start,
        })
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_write(buf, offset)?;
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Reads the length-prefixed records of a run one at a time, a chunk of
/// the file at a time.
#[derive(Debug, Clone)]
pub struct RunReader {
    file: &'static SpillFile,
    /// The file offset of `buffer[0]`.
    at: u64,
    end: u64,
    buffer: Vec<u8>,
    pos: usize,
}

/// Bytes read at once.
const READ_CHUNK: usize = 64 << 10;

impl RunReader {
    /// A reader of `span`.
    pub fn new(file: &'static SpillFile, span: Span) -> RunReader {
        RunReader {
            file,
            at: span.offset,
            end: span.offset + span.len,
            buffer: Vec::new(),
            pos: 0,
        }
    }

    /// The file offset of the next record.
    pub fn position(&self) -> u64 {
        self.at + self.pos as u64
    }

    /// The next record (without its length), or `None` at the end.
    pub fn next_record(&mut self) -> Option<&[u8]> {
        if self.position() >= self.end {
            return None;
        }
        // A length is at most 10 bytes.
        self.fill(10);
        let mut input = &self.buffer[self.pos..];
        let before = input.len();
        let len = super::packed_codec::read_uvarint(&mut input) as usize;
        let prefix = before - input.len();
        self.fill(prefix + len);
        let start = self.pos + prefix;
        self.pos = start + len;
        Some(&self.buffer[start..start + len])
    }

    /// Makes at least `want` bytes from `pos` available (fewer at the end).
    fn fill(&mut self, want: usize) {
        let have = self.buffer.len() - self.pos;
        let left = self.end - self.position();
        if have >= want || have as u64 >= left {
            return;
        }
        self.buffer.drain(..self.pos);
        self.at += self.pos as u64;
        self.pos = 0;
        let more = (want.max(READ_CHUNK) - have).min((left - have as u64) as usize);
        let old = self.buffer.len();
        self.buffer.resize(old + more, 0);
        let offset = self.at + old as u64;
        self.file.read_at(offset, &mut self.buffer[old..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_read_back_record_by_record_across_chunks() {
        let file = self::file().expect("a temporary file");
        let mut writer = file.writer();
        let mut expected = Vec::new();
        for i in 0..5_000usize {
            let record = vec![(i % 251) as u8; i % 300];
            writer.write_record(&record).expect("write");
            expected.push(record);
        }
        let span = writer.finish().expect("finish");
        let mut reader = RunReader::new(file, span);
        for record in &expected {
            assert_eq!(reader.next_record(), Some(record.as_slice()));
        }
        assert_eq!(reader.next_record(), None);
        assert_eq!(reader.position(), span.offset + span.len);
    }
}
