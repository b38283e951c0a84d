//! Counting each event once when CloudTrail delivers it twice.
//!
//! CloudTrail can deliver the same record in more than one file (CloudTrail
//! User Guide: "CloudTrail may deliver an event more than once"; the record's
//! `eventID` is its unique key). The de-duplicator remembers the eventIDs it
//! has seen as 64-bit keys, and the hour in which the file that first held
//! each key was delivered. Objects are processed in delivery order, and once
//! every file still to come was delivered more than [`Deduper::window`] after
//! that hour, its keys are forgotten: a second copy would have to be
//! delivered that much later than the first. Memory is therefore bounded by
//! the event rate times the window, not by the size of the corpus. Keys from
//! files without a delivery time (not in the CloudTrail layout) are never
//! forgotten. (Bucketing by delivery, not by `eventTime`, keeps junk or very
//! old event times from being forgotten early.)
//!
//! The state is sharded behind mutexes, each on cache lines of its own, and
//! workers ask about a batch of records at a time ([`Sighting`]), taking
//! each shard's lock once per batch: locking once per record made the
//! shards' cache lines bounce between cores, which cost more than the set
//! operations themselves.

use std::sync::{Mutex, MutexGuard};

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::hash::{fmix64, hash_str};
use crate::time::Timestamp;

const SHARDS: usize = 16;

/// Default for [`Deduper::window`]: 24 hours.
pub const DEFAULT_WINDOW: i64 = 24 * 3600;

/// The hour bucket for events without a usable time; never forgotten.
const TIMELESS: i64 = i64::MIN;

#[derive(Debug, Default)]
struct Shard {
    /// Every remembered key.
    seen: HashSet<u64, BuildHasherDefault<KeyHasher>>,
    /// The keys first seen in each event hour, for forgetting. Few hours are
    /// alive at once and events come roughly in order, so a short vector
    /// searched from its end beats a map.
    by_hour: Vec<(i64, Vec<u64>)>,
}

impl Shard {
    fn hour(&mut self, hour: i64) -> &mut Vec<u64> {
        let at = match self.by_hour.iter().rposition(|(h, _)| *h == hour) {
            Some(at) => at,
            None => {
                self.by_hour.push((hour, Vec::new()));
                self.by_hour.len() - 1
            }
        };
        &mut self.by_hour[at].1
    }

    /// Remembers `key` under `hour`; false if it was remembered already.
    fn remember(&mut self, key: u64, hour: i64) -> bool {
        if !self.seen.insert(key) {
            return false;
        }
        self.hour(hour).push(key);
        true
    }
}

/// The hour bucket a delivery time puts its keys in.
fn hour_of(delivered: Option<Timestamp>) -> i64 {
    delivered.map_or(TIMELESS, |t| t.div_euclid(3600))
}

/// Something that says whether eventIDs are seen for the first time: the
/// [`Deduper`] itself, or a view of it that also records its answers.
pub trait Sighting {
    /// For each key (from [`Deduper::key_of`]), in order, whether it is
    /// seen for the first time: a key repeated within `keys` is first only
    /// at its first place. `delivered` is the delivery time of the file
    /// holding them.
    fn first_sightings(&self, keys: &[u64], delivered: Option<Timestamp>) -> Vec<bool>;
}

impl Sighting for Deduper {
    fn first_sightings(&self, keys: &[u64], delivered: Option<Timestamp>) -> Vec<bool> {
        Deduper::first_sightings(self, keys, delivered)
    }
}

/// A shard on cache lines of its own (two, for the adjacent-line
/// prefetcher), so that workers locking different shards do not contend.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(Mutex<Shard>);

/// Remembers eventIDs, forgetting those too old to be delivered again.
#[derive(Debug)]
pub struct Deduper {
    shards: Vec<Padded>,
    window: i64,
}

impl Deduper {
    /// A de-duplicator that forgets events once all remaining deliveries are
    /// more than `window` seconds after them.
    pub fn new(window: i64) -> Self {
        Deduper {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
            window,
        }
    }

    /// The retention window in seconds.
    pub fn window(&self) -> i64 {
        self.window
    }

    fn shard(&self, index: usize) -> MutexGuard<'_, Shard> {
        // A worker that panicked mid-insert leaves a usable set.
        self.shards[index]
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns true the first time an eventID is seen; `delivered` is the
    /// delivery time of the file it is in.
    pub fn first_sighting(&self, event_id: &str, delivered: Option<Timestamp>) -> bool {
        self.first_sighting_of_key(event_key(event_id), delivered)
    }

    /// [`Deduper::first_sighting`] for a key from [`Deduper::key_of`].
    pub fn first_sighting_of_key(&self, key: u64, delivered: Option<Timestamp>) -> bool {
        self.shard_of(key).remember(key, hour_of(delivered))
    }

    /// [`Sighting::first_sightings`]: the keys are grouped by shard, and
    /// each shard is locked once.
    pub fn first_sightings(&self, keys: &[u64], delivered: Option<Timestamp>) -> Vec<bool> {
        let mut first = vec![false; keys.len()];
        // Sorted by shard, and within a shard by place, so a key repeated in
        // the batch is first at its first place.
        let mut order: Vec<(usize, usize)> = keys
            .iter()
            .enumerate()
            .map(|(at, &key)| (shard_index(key), at))
            .collect();
        order.sort_unstable();
        let hour = hour_of(delivered);
        for group in order.chunk_by(|a, b| a.0 == b.0) {
            let mut shard = self.shard(group[0].0);
            for &(_, at) in group {
                first[at] = shard.remember(keys[at], hour);
            }
        }
        first
    }

    /// The key an eventID is remembered by.
    pub fn key_of(event_id: &str) -> u64 {
        event_key(event_id)
    }

    fn shard_of(&self, key: u64) -> MutexGuard<'_, Shard> {
        self.shard(shard_index(key))
    }

    /// True if the key is remembered.
    pub fn contains(&self, key: u64) -> bool {
        self.shard_of(key).seen.contains(&key)
    }

    /// Remembers every key, unless one of them is remembered already, in
    /// which case nothing changes and the answer is false. (Not atomic
    /// across keys: callers claim from one thread at a time.)
    pub fn claim_all(&self, keys: &[u64], delivered: Option<Timestamp>) -> bool {
        if keys.iter().any(|&k| self.contains(k)) {
            return false;
        }
        for &key in keys {
            self.first_sighting_of_key(key, delivered);
        }
        true
    }

    /// Forgets these keys now (an object whose claim turned out invalid).
    /// Their hour lists keep them; forgetting an absent key later is a no-op.
    pub fn release(&self, keys: &[u64]) {
        for key in keys {
            self.shard_of(*key).seen.remove(key);
        }
    }

    /// Forgets events from hours that end before `watermark - window`, where
    /// `watermark` is the earliest delivery time of any object not yet read.
    pub fn forget_before(&self, watermark: Timestamp) {
        let cutoff_hour = (watermark - self.window).div_euclid(3600);
        for index in 0..SHARDS {
            let mut guard = self.shard(index);
            let shard = &mut *guard;
            let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut shard.by_hour)
                .into_iter()
                .partition(|(h, _)| *h != TIMELESS && *h < cutoff_hour);
            shard.by_hour = kept;
            for key in expired.into_iter().flat_map(|(_, keys)| keys) {
                shard.seen.remove(&key);
            }
        }
    }

    /// How many eventIDs are remembered now (for tests and memory checks).
    pub fn remembered(&self) -> usize {
        (0..SHARDS).map(|i| self.shard(i).seen.len()).sum()
    }
}

/// The shard a key lives in. Middle bits pick it: the set itself uses the
/// low bits for the bucket and the top bits for its tag.
fn shard_index(key: u64) -> usize {
    ((key >> 32) as usize) % SHARDS
}

/// A 64-bit key for an eventID: the UUID's random bits folded together when
/// it is one (as CloudTrail's are), otherwise a hash. Two distinct ids share
/// a key with probability about n²/2⁶⁵: for a billion events, under 3%
/// chance of a single false duplicate in the whole run.
fn event_key(event_id: &str) -> u64 {
    match parse_uuid(event_id) {
        Some(uuid) => fmix64((uuid >> 64) as u64 ^ uuid as u64),
        None => hash_str(event_id),
    }
}

/// The keys are already well mixed: the set uses them as their own hash.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed; fold anything else in, for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn parse_uuid(s: &str) -> Option<u128> {
    if s.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, c) in s.bytes().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        value = (value << 4) | u128::from((c as char).to_digit(16)?);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_counts_each_key_once_at_its_first_place() {
        let d = Deduper::new(DEFAULT_WINDOW);
        let (a, b, c) = (
            Deduper::key_of("3038ebd2-c98a-4c65-9b6e-e22506292313"),
            Deduper::key_of("other"),
            Deduper::key_of("third"),
        );
        assert!(d.first_sighting_of_key(c, Some(0)));
        // Enough keys to span several shards, with a repeat and one known key.
        let mut keys: Vec<u64> = (0..200u64).map(fmix64).collect();
        keys.splice(0..0, [a, b, a, c]);
        let first = d.first_sightings(&keys, Some(0));
        assert_eq!(&first[..4], [true, true, false, false]);
        assert!(first[4..].iter().all(|&f| f));
        assert_eq!(d.remembered(), 203);
        assert!(d.first_sightings(&keys, Some(0)).iter().all(|&f| !f));
    }

    #[test]
    fn counts_an_event_id_once_whatever_its_time() {
        let d = Deduper::new(DEFAULT_WINDOW);
        let id = "3038ebd2-c98a-4c65-9b6e-e22506292313";
        assert!(d.first_sighting(id, Some(1_000_000)));
        assert!(!d.first_sighting(id, Some(1_000_000)));
        assert!(
            !d.first_sighting(id, Some(9_000_000)),
            "the id is the key, not the time"
        );
        assert!(d.first_sighting("not-a-uuid", None));
        assert!(!d.first_sighting("not-a-uuid", None));
        assert_ne!(event_key("A"), event_key("B"));
        assert_eq!(parse_uuid("3038ebd2-c98a-4c65-9b6e-e2250629231Z"), None);
    }

    #[test]
    fn forgets_hours_older_than_the_window() {
        let d = Deduper::new(3600);
        let day = 86_400 * 19_000;
        assert!(d.first_sighting("a", Some(day)));
        assert!(d.first_sighting("b", Some(day + 5 * 3600)));
        assert!(d.first_sighting("c", None));
        d.forget_before(day + 3 * 3600);
        assert_eq!(d.remembered(), 2);
        assert!(
            d.first_sighting("a", Some(day)),
            "forgotten, so seen as new"
        );
        assert!(!d.first_sighting("b", Some(day + 5 * 3600)));
        assert!(!d.first_sighting("c", None));
    }
}
