//! The byte format shared by [`super::packed`] and [`super::packed_issued`]:
//! length-prefixed records of LEB128 varints (signed numbers zigzag-encoded)
//! and length-prefixed UTF-8 strings. Only ever read back by the process
//! that wrote it, so a malformed record is a bug, and panics.

use std::sync::Arc;

use crate::hash::FastMap;

/// Strings written once and referred to by number.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The strings, by number.
    pub strings: Vec<Arc<str>>,
    numbers: FastMap<Arc<str>, u64>,
}

impl Table {
    /// The number of `text`, given it if new.
    pub fn number(&mut self, text: &Arc<str>) -> u64 {
        if let Some(&n) = self.numbers.get(&**text) {
            return n;
        }
        let n = self.strings.len() as u64;
        self.strings.push(Arc::clone(text));
        self.numbers.insert(Arc::clone(text), n);
        n
    }

    /// [`Table::number`] of a plain string.
    pub fn number_of(&mut self, text: &str) -> u64 {
        match self.numbers.get(text) {
            Some(&n) => n,
            None => self.number(&Arc::from(text)),
        }
    }

    /// Forgets the numbers of strings (needed only to write): the table
    /// can still be read.
    pub fn freeze(&mut self) {
        self.numbers = FastMap::default();
    }

    /// The string numbered `n`.
    pub fn get(&self, n: u64) -> &Arc<str> {
        &self.strings[n as usize]
    }
}

/// The records of a packed buffer, each without its length prefix.
#[derive(Debug, Clone)]
pub struct Records<'a>(pub &'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let len = read_uvarint(&mut self.0) as usize;
        let (record, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(record)
    }
}

/// The record that starts at `start` (at its length), without its length.
pub fn record_at(bytes: &[u8], start: usize) -> &[u8] {
    Records(&bytes[start..])
        .next()
        .expect("a start is a record")
}

/// The key of a record: its first string.
pub fn key_of(record: &[u8]) -> &str {
    let mut input = record;
    read_str(&mut input)
}

/// Indexes the records of `bytes` by key, in key order, with one record per
/// key: where a key has several, `combine` writes one record for them (with
/// its length) to the buffer it is given, which is appended to `bytes`; the
/// records it replaces stay behind, unreferenced. Returns each key's start.
///
/// The records are sorted in place of being copied in order, so the peak
/// of building a report is the packed bytes and an index, not twice them.
pub fn index_by_key(
    bytes: &mut Vec<u8>,
    mut combine: impl FnMut(&[&[u8]], &mut Vec<u8>),
) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut rest: &[u8] = bytes;
    while !rest.is_empty() {
        starts.push(bytes.len() - rest.len());
        let len = read_uvarint(&mut rest) as usize;
        rest = &rest[len..];
    }
    let key_at = |start: usize| key_of(record_at(bytes, start));
    // Stable: the records of one key stay in packing order (their
    // combination does not depend on it anyway).
    starts.sort_by(|&a, &b| key_at(a).cmp(key_at(b)));
    let base = bytes.len();
    let mut combined = Vec::new();
    let mut index = Vec::with_capacity(starts.len());
    for group in starts.chunk_by(|&a, &b| key_at(a) == key_at(b)) {
        match group {
            [start] => index.push(*start),
            _ => {
                index.push(base + combined.len());
                let records: Vec<&[u8]> = group.iter().map(|&s| record_at(bytes, s)).collect();
                combine(&records, &mut combined);
            }
        }
    }
    bytes.extend_from_slice(&combined);
    bytes.shrink_to_fit();
    index
}

/// Writes a string: its length, then its bytes.
pub fn write_str(out: &mut Vec<u8>, value: &str) {
    write_len(out, value.len());
    out.extend_from_slice(value.as_bytes());
}

/// Reads a string [`write_str`] wrote.
pub fn read_str<'a>(input: &mut &'a [u8]) -> &'a str {
    let len = read_uvarint(input) as usize;
    let (text, rest) = input.split_at(len);
    *input = rest;
    // Written from a `&str` by `write_str` in this process.
    std::str::from_utf8(text).expect("packed strings are UTF-8")
}

/// Writes a length.
pub fn write_len(out: &mut Vec<u8>, len: usize) {
    write_uvarint(out, len as u64);
}

/// Writes an unsigned LEB128 varint.
pub fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an unsigned LEB128 varint.
pub fn read_uvarint(input: &mut &[u8]) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = read_byte(input);
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// Reads one byte.
pub fn read_byte(input: &mut &[u8]) -> u8 {
    let (&byte, rest) = input.split_first().expect("packed record ends early");
    *input = rest;
    byte
}

/// Maps signed to unsigned so small magnitudes stay small.
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_their_edges() {
        for v in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_uvarint(&mut out, v);
            let mut input = out.as_slice();
            assert_eq!(read_uvarint(&mut input), v);
            assert!(input.is_empty());
        }
        for v in [0, -1, 1, i64::MIN, i64::MAX, 1_700_000_000, -1_700_000_000] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }
}
