//! Groups records into delivery files, as CloudTrail does.
//!
//! Each stream (account × Region) has a delivery schedule: one file every
//! 5–15 minutes. A record goes into the first file delivered at or after its
//! own delivery time (event time plus a delay, a few up to an hour late), so
//! a file holds events from shortly before its time stamp. A file is written
//! as soon as the event clock passes its delivery time, which keeps memory
//! bounded by about an hour of records. Records are shuffled inside each
//! file ("records are unordered"), duplicates are re-delivered into a later
//! file, and one file is written as a two-member gzip stream.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use flate2::Compression;

use super::GenerateError;
use super::layout::{STREAMS, write_gz};
use super::rng::Rng;
use super::time::MINUTE;

/// A serialized record waiting for delivery.
#[derive(Debug)]
pub(crate) struct Rec {
    /// `eventTime`.
    pub(crate) time: i64,
    /// Minified JSON of the record.
    pub(crate) bytes: Vec<u8>,
    /// Index of the duplicate sample this copy belongs to, if tracked.
    pub(crate) sample: Option<usize>,
}

/// A log file that was written (kept for digests and the manifest).
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    /// Index in [`STREAMS`].
    pub(crate) stream: usize,
    /// Key relative to the output directory.
    pub(crate) key: String,
    /// Delivery time (the file name stamp).
    pub(crate) at: i64,
    /// Oldest and newest `eventTime` in the file.
    pub(crate) span: (i64, i64),
}

/// Per-stream schedule and pending files.
#[derive(Debug, Default)]
struct Lane {
    /// Future delivery times, ascending.
    schedule: VecDeque<i64>,
    /// Records by the delivery time of the file they go into.
    pending: BTreeMap<i64, Vec<Rec>>,
    /// Files written so far.
    written: u64,
}

/// Totals the manifest reports about delivery.
#[derive(Debug, Default, Clone)]
pub(crate) struct DeliveryStats {
    /// Log files written.
    pub(crate) files: u64,
    /// Uncompressed JSON bytes of all log files.
    pub(crate) json_bytes: u64,
    /// Compressed bytes of all log files.
    pub(crate) gz_bytes: u64,
    /// Files whose records are not in `eventTime` order.
    pub(crate) unordered_files: u64,
    /// Keys of multi-member gzip files.
    pub(crate) multi_member: Vec<String>,
}

/// The delivery engine.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// Output directory.
    out: PathBuf,
    /// Gzip level.
    level: Compression,
    /// Randomness for schedules, suffixes and shuffles.
    rng: Rng,
    /// One lane per stream.
    lanes: Vec<Lane>,
    /// Every written file, in write order.
    pub(crate) files: Vec<Delivered>,
    /// Files each tracked duplicate landed in.
    pub(crate) sample_files: BTreeMap<usize, Vec<String>>,
    /// Totals.
    pub(crate) stats: DeliveryStats,
}

impl Delivery {
    /// A delivery engine whose schedules start at `start`.
    pub(crate) fn new(out: PathBuf, level: Compression, mut rng: Rng, start: i64) -> Self {
        let lanes = STREAMS
            .iter()
            .map(|_| {
                let first = start + rng.range(5, 15) as i64 * MINUTE;
                Lane {
                    schedule: VecDeque::from([first]),
                    ..Lane::default()
                }
            })
            .collect();
        Self {
            out,
            level,
            rng,
            lanes,
            files: Vec::new(),
            sample_files: BTreeMap::new(),
            stats: DeliveryStats::default(),
        }
    }

    /// Queues `rec` for the first file of `stream` delivered at or after
    /// `due`; returns that file's delivery time.
    pub(crate) fn add(&mut self, stream: usize, due: i64, rec: Rec) -> i64 {
        let lane = &mut self.lanes[stream];
        while lane.schedule.back().is_some_and(|&last| last < due) {
            let last = lane.schedule.back().copied().unwrap_or(due);
            lane.schedule
                .push_back(last + self.rng.range(5, 15) as i64 * MINUTE);
        }
        let idx = lane.schedule.partition_point(|&t| t < due);
        let at = lane.schedule[idx.min(lane.schedule.len() - 1)];
        lane.pending.entry(at).or_default().push(rec);
        at
    }

    /// Writes every file due before `now` (no later event can join them).
    pub(crate) fn advance(&mut self, now: i64) -> Result<(), GenerateError> {
        for stream in 0..self.lanes.len() {
            loop {
                let lane = &mut self.lanes[stream];
                while lane.schedule.len() > 1 && lane.schedule[0] < now {
                    lane.schedule.pop_front();
                }
                match lane.pending.first_key_value() {
                    Some((&at, _)) if at < now => {
                        let recs = lane.pending.remove(&at).unwrap_or_default();
                        self.write_file(stream, at, recs)?;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// Writes everything still pending.
    pub(crate) fn finish(&mut self) -> Result<(), GenerateError> {
        self.advance(i64::MAX)
    }

    /// Shuffles, serializes and writes one log file.
    fn write_file(
        &mut self,
        stream: usize,
        at: i64,
        mut recs: Vec<Rec>,
    ) -> Result<(), GenerateError> {
        self.rng.shuffle(&mut recs);
        let suffix = self.rng.alnum(16);
        let key = STREAMS[stream].log_key(at, &suffix);
        let json = records_document(&recs);
        let lane = &mut self.lanes[stream];
        lane.written += 1;
        // One file of the busiest stream is split into two gzip members:
        // readers that stop after the first member lose half the records.
        let split = stream == 0
            && self.stats.multi_member.is_empty()
            && lane.written >= 5
            && recs.len() >= 3;
        let chunks: Vec<&[u8]> = if split {
            let mid = json.len() / 2;
            vec![&json[..mid], &json[mid..]]
        } else {
            vec![&json[..]]
        };
        let gz = write_gz(&self.out.join(&key), &chunks, self.level)?;
        self.record_file(stream, at, key, &recs, (json.len() as u64, gz), split);
        Ok(())
    }

    /// Updates totals and bookkeeping after a file was written; `sizes` is
    /// (uncompressed, compressed) bytes.
    fn record_file(
        &mut self,
        stream: usize,
        at: i64,
        key: String,
        recs: &[Rec],
        sizes: (u64, u64),
        split: bool,
    ) {
        let oldest = recs.iter().map(|r| r.time).min().unwrap_or(at);
        let newest = recs.iter().map(|r| r.time).max().unwrap_or(at);
        if recs.windows(2).any(|w| w[0].time > w[1].time) {
            self.stats.unordered_files += 1;
        }
        for sample in recs.iter().filter_map(|r| r.sample) {
            self.sample_files
                .entry(sample)
                .or_default()
                .push(key.clone());
        }
        if split {
            self.stats.multi_member.push(key.clone());
        }
        self.stats.files += 1;
        self.stats.json_bytes += sizes.0;
        self.stats.gz_bytes += sizes.1;
        self.files.push(Delivered {
            stream,
            key,
            at,
            span: (oldest, newest),
        });
    }
}

/// `{"Records":[r1,r2,…]}` from already-serialized records.
fn records_document(recs: &[Rec]) -> Vec<u8> {
    let size = recs.iter().map(|r| r.bytes.len() + 1).sum::<usize>() + 16;
    let mut json = Vec::with_capacity(size);
    json.extend_from_slice(b"{\"Records\":[");
    for (i, r) in recs.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.extend_from_slice(&r.bytes);
    }
    json.extend_from_slice(b"]}");
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_shape() {
        let recs = vec![
            Rec {
                time: 1,
                bytes: b"{\"a\":1}".to_vec(),
                sample: None,
            },
            Rec {
                time: 2,
                bytes: b"{\"b\":2}".to_vec(),
                sample: None,
            },
        ];
        assert_eq!(
            records_document(&recs),
            br#"{"Records":[{"a":1},{"b":2}]}"#.to_vec()
        );
    }

    #[test]
    fn records_go_to_first_file_at_or_after_due() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Delivery::new(
            dir.path().to_path_buf(),
            Compression::fast(),
            Rng::new(1),
            0,
        );
        let at = d.add(
            0,
            30 * MINUTE,
            Rec {
                time: 29 * MINUTE,
                bytes: b"{}".to_vec(),
                sample: None,
            },
        );
        assert!((30 * MINUTE..=45 * MINUTE).contains(&at), "{at}");
        let later = d.add(
            0,
            at + 1,
            Rec {
                time: at,
                bytes: b"{}".to_vec(),
                sample: None,
            },
        );
        assert!(later > at);
        d.finish().unwrap();
        assert_eq!(d.stats.files, 2);
    }
}
