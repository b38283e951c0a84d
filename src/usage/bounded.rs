//! A set of strings with bounded memory: a few samples and a distinct count.
//!
//! Source IPs, user agents and resources can number in the millions for one
//! principal (think S3 object keys), so each set keeps the
//! [`SAMPLE_CAP`] lexicographically smallest values as samples and counts
//! distinct values exactly up to [`EXACT_CAP`], then with a HyperLogLog
//! sketch (2^10 registers, about 3% standard error). Every operation is
//! order-independent, so merging per-thread sets gives the same result for
//! any thread count or file order.

use serde::{Deserialize, Serialize};

use crate::hash::hash_str;

/// Samples kept per set.
pub const SAMPLE_CAP: usize = 10;
/// Distinct values counted exactly before switching to the sketch.
pub const EXACT_CAP: usize = 64;
const HLL_BITS: u32 = 10;
const HLL_REGISTERS: usize = 1 << HLL_BITS;

/// How many distinct values a set has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DistinctCount {
    /// The count (an estimate when `estimated`).
    pub count: u64,
    /// True when the count comes from the sketch.
    pub estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Distinct {
    /// Sorted hashes of every value seen.
    Exact(Vec<u64>),
    /// HyperLogLog registers.
    Sketch(#[serde(with = "registers")] Box<[u8; HLL_REGISTERS]>),
}

/// serde for the sketch's registers (serde derives arrays only up to 32).
mod registers {
    use super::HLL_REGISTERS;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(r: &[u8; HLL_REGISTERS], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(r)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Box<[u8; HLL_REGISTERS]>, D::Error> {
        let bytes: Vec<u8> = Deserialize::deserialize(d)?;
        let len = bytes.len();
        bytes.into_boxed_slice().try_into().map_err(|_| {
            serde::de::Error::custom(format!("{len} sketch registers, expected {HLL_REGISTERS}"))
        })
    }
}

/// Bounded samples plus a distinct count. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundedSet {
    samples: Vec<String>,
    distinct: Distinct,
    cap: usize,
}

impl Default for BoundedSet {
    fn default() -> Self {
        BoundedSet::with_cap(SAMPLE_CAP)
    }
}

impl BoundedSet {
    /// A set keeping `cap` samples.
    pub fn with_cap(cap: usize) -> Self {
        BoundedSet {
            samples: Vec::new(),
            distinct: Distinct::Exact(Vec::new()),
            cap,
        }
    }

    /// Adds a value.
    pub fn insert(&mut self, value: &str) {
        if self.add_hash(hash_str(value)) {
            self.offer_sample(value);
        }
    }

    /// Records a hash; returns false only when the value was certainly seen
    /// before (exact mode), so the sample list need not be touched.
    fn add_hash(&mut self, h: u64) -> bool {
        match &mut self.distinct {
            Distinct::Exact(hashes) => match hashes.binary_search(&h) {
                Ok(_) => false,
                Err(at) => {
                    hashes.insert(at, h);
                    if hashes.len() > EXACT_CAP {
                        self.distinct = Distinct::Sketch(sketch_of(hashes));
                    }
                    true
                }
            },
            Distinct::Sketch(registers) => {
                hll_add(registers, h);
                true
            }
        }
    }

    fn offer_sample(&mut self, value: &str) {
        if self.samples.len() == self.cap
            && self.samples.last().is_some_and(|max| value >= max.as_str())
        {
            return;
        }
        if let Err(at) = self.samples.binary_search_by(|s| s.as_str().cmp(value)) {
            self.samples.insert(at, value.to_string());
            self.samples.truncate(self.cap);
        }
    }

    /// Merges another set into this one.
    pub fn merge(&mut self, other: &BoundedSet) {
        let mut samples: Vec<String> = Vec::with_capacity(self.samples.len() + other.samples.len());
        samples.append(&mut self.samples);
        samples.extend(other.samples.iter().cloned());
        samples.sort_unstable();
        samples.dedup();
        samples.truncate(self.cap);
        self.samples = samples;
        match (&mut self.distinct, &other.distinct) {
            (Distinct::Exact(_), Distinct::Exact(theirs)) => {
                for &h in theirs {
                    self.add_hash(h);
                }
            }
            (Distinct::Exact(mine), Distinct::Sketch(theirs)) => {
                let mut registers = theirs.clone();
                for &h in mine.iter() {
                    hll_add(&mut registers, h);
                }
                self.distinct = Distinct::Sketch(registers);
            }
            (Distinct::Sketch(mine), Distinct::Exact(theirs)) => {
                for &h in theirs {
                    hll_add(mine, h);
                }
            }
            (Distinct::Sketch(mine), Distinct::Sketch(theirs)) => {
                for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                    *a = (*a).max(*b);
                }
            }
        }
    }

    /// The samples, sorted.
    pub fn samples(&self) -> &[String] {
        &self.samples
    }

    /// Every value seen, sorted, when the set still holds them all (no more
    /// distinct values than it keeps samples); `None` once it overflowed.
    pub fn complete(&self) -> Option<&[String]> {
        match &self.distinct {
            Distinct::Exact(hashes) if hashes.len() == self.samples.len() => Some(&self.samples),
            _ => None,
        }
    }

    /// The distinct count.
    pub fn distinct(&self) -> DistinctCount {
        match &self.distinct {
            Distinct::Exact(hashes) => DistinctCount {
                count: hashes.len() as u64,
                estimated: false,
            },
            Distinct::Sketch(registers) => DistinctCount {
                count: hll_estimate(registers),
                estimated: true,
            },
        }
    }

    /// True if nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

fn sketch_of(hashes: &[u64]) -> Box<[u8; HLL_REGISTERS]> {
    let mut registers = Box::new([0u8; HLL_REGISTERS]);
    for &h in hashes {
        hll_add(&mut registers, h);
    }
    registers
}

#[inline]
fn hll_add(registers: &mut [u8; HLL_REGISTERS], h: u64) {
    let index = (h >> (64 - HLL_BITS)) as usize;
    let rest = (h << HLL_BITS) | (1 << (HLL_BITS - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// The HyperLogLog estimate (Flajolet et al. 2007) with the small-range
/// linear-counting correction.
fn hll_estimate(registers: &[u8; HLL_REGISTERS]) -> u64 {
    let m = HLL_REGISTERS as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let estimate = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    estimate.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_exactly_and_keeps_the_smallest_samples() {
        let mut set = BoundedSet::with_cap(3);
        for v in ["d", "b", "a", "c", "b", "e"] {
            set.insert(v);
        }
        assert_eq!(set.samples(), ["a", "b", "c"]);
        assert_eq!(
            set.distinct(),
            DistinctCount {
                count: 5,
                estimated: false
            }
        );
    }

    #[test]
    fn switches_to_an_estimate_within_a_few_percent() {
        let mut set = BoundedSet::default();
        for i in 0..20_000 {
            set.insert(&format!("10.0.{}.{}", i / 256, i % 256));
        }
        let d = set.distinct();
        assert!(d.estimated);
        let error = (d.count as f64 - 20_000.0).abs() / 20_000.0;
        assert!(
            error < 0.1,
            "estimate {} is {:.1}% off",
            d.count,
            error * 100.0
        );
    }

    #[test]
    fn merging_in_any_order_gives_the_same_set() {
        let values: Vec<String> = (0..300)
            .map(|i| format!("v{}", (i * 7919) % 1000))
            .collect();
        let build = |slice: &[String]| {
            let mut s = BoundedSet::default();
            slice.iter().for_each(|v| s.insert(v));
            s
        };
        let whole = build(&values);
        for split in [1, 50, 150, 299] {
            let (a, b) = values.split_at(split);
            let (mut ab, mut ba) = (build(a), build(b));
            ab.merge(&build(b));
            ba.merge(&build(a));
            assert_eq!(ab.samples(), whole.samples());
            assert_eq!(ab.distinct(), ba.distinct());
            assert_eq!(ab.distinct(), whole.distinct());
        }
    }
}

/// The `cap` lexicographically smallest distinct values seen, and nothing
/// else: for evidence such as sample event ids, where a distinct count is
/// not wanted and hashing every value would be wasted work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smallest {
    values: Vec<String>,
    cap: usize,
}

impl Smallest {
    /// Keeps at most `cap` values.
    pub fn with_cap(cap: usize) -> Self {
        Smallest {
            values: Vec::new(),
            cap,
        }
    }

    /// Offers a value; kept if it is among the smallest so far.
    pub fn insert(&mut self, value: &str) {
        if self.values.len() == self.cap
            && self.values.last().is_some_and(|max| value >= max.as_str())
        {
            return;
        }
        if let Err(at) = self.values.binary_search_by(|v| v.as_str().cmp(value)) {
            self.values.insert(at, value.to_string());
            self.values.truncate(self.cap);
        }
    }

    /// Merges another list (order-independent).
    pub fn merge(&mut self, other: &Smallest) {
        for value in &other.values {
            self.insert(value);
        }
    }

    /// The values, sorted.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

#[cfg(test)]
mod smallest_tests {
    use super::Smallest;

    #[test]
    fn keeps_the_smallest_in_any_order() {
        let mut a = Smallest::with_cap(3);
        let mut b = Smallest::with_cap(3);
        for v in ["e", "b", "d", "a", "b"] {
            a.insert(v);
        }
        for v in ["c", "f"] {
            b.insert(v);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        b.merge(&a);
        assert_eq!(ab.values(), ["a", "b", "c"]);
        assert_eq!(ab, b);
    }
}
