//! Seeded pseudo-random numbers and stable identifiers.
//!
//! The generator must be byte-for-byte reproducible from a seed, so it uses
//! its own small PRNG instead of a crate whose stream might change between
//! versions: xoshiro256** (Blackman and Vigna) seeded through SplitMix64, both
//! written from their published descriptions. Nothing here is cryptographic.

/// Alphabet of the random suffix CloudTrail puts in log file names.
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Alphabet of IAM unique IDs and access key IDs (upper-case letters and digits).
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Lower-case hexadecimal digits.
const HEX: &[u8] = b"0123456789abcdef";

/// One SplitMix64 step; used to expand a 64-bit seed into generator state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A xoshiro256** generator with helpers for the shapes CloudTrail needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    /// The four state words; never all zero because SplitMix64 fills them.
    s: [u64; 4],
}

impl Rng {
    /// Creates a generator whose whole stream is determined by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// Derives an independent generator for a named sub-stream, so adding
    /// draws to one part of the corpus does not shift every other part.
    pub(crate) fn fork(&self, label: &str) -> Self {
        Self::new(self.s[0] ^ fnv1a(label.as_bytes()))
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform integer in `0..n` (`n` must be > 0; returns 0 otherwise).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift range reduction (Lemire); the tiny bias is irrelevant here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in the inclusive range `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// Uniform float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index chosen with probability proportional to `weights`.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut roll = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if roll < u64::from(w) {
                return i;
            }
            roll -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }

    /// Fisher-Yates shuffle in place.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `n` characters drawn from `alphabet`.
    fn string_from(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    /// `n` mixed-case alphanumerics (the log file name suffix).
    pub(crate) fn alnum(&mut self, n: usize) -> String {
        self.string_from(ALNUM, n)
    }

    /// `n` upper-case base32 characters (IAM IDs, access keys).
    pub(crate) fn upper(&mut self, n: usize) -> String {
        self.string_from(UPPER, n)
    }

    /// `n` lower-case hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        self.string_from(HEX, n)
    }

    /// A random (version 4, RFC 9562) UUID in canonical lower-case form.
    pub(crate) fn uuid_v4(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

/// 64-bit FNV-1a hash; stable across platforms and Rust versions.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// A stable IAM-style unique ID (`AIDA…`, `AROA…`, `ANPA…`, `AKIA…`) for a
/// named entity: the same name always yields the same ID, whatever the seed,
/// so the IAM export and the logs agree.
pub(crate) fn stable_id(prefix: &str, name: &str, len: usize) -> String {
    let mut rng = Rng::new(fnv1a(name.as_bytes()) ^ fnv1a(prefix.as_bytes()));
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    id.push_str(&rng.upper(len));
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn uuid_is_version_4() {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            let u = rng.uuid_v4();
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4");
            assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert!((0..1000).all(|_| (5..=9).contains(&rng.range(5, 9))));
    }

    #[test]
    fn stable_ids_are_stable() {
        assert_eq!(stable_id("AROA", "x", 17), stable_id("AROA", "x", 17));
        assert_eq!(stable_id("AROA", "x", 17).len(), 21);
        assert_ne!(stable_id("AROA", "x", 17), stable_id("AROA", "y", 17));
    }
}
