//! Packed values, shared by [`super::packed`] (sessions) and
//! [`super::packed_issued`] (issued credentials): [`Packed`] holds records
//! in packing order while the scan runs, [`List`] one per key in key order
//! for the report. A [`Codec`] says how a value is written.
//!
//! The format: length-prefixed records of LEB128 varints (signed numbers
//! zigzag-encoded) and length-prefixed UTF-8 strings, the key first, and
//! strings that repeat from record to record as numbers in a [`Table`].
//! Only ever read back by the process that wrote it, so a malformed record
//! is a bug, and panics; serde writes the values, never the bytes.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::hash::FastMap;

/// How one kind of value is packed.
pub trait Codec {
    /// The value, unpacked. Its key is the first string of its record.
    type Value;
    /// Writes the record of `value` (without its length).
    fn write(value: &Self::Value, out: &mut Vec<u8>, table: &mut Table);
    /// Reads a record [`Codec::write`] wrote.
    fn read(record: &[u8], table: &Table) -> Self::Value;
    /// One value for the several records of one key, in packing order.
    fn combine(values: Vec<Self::Value>) -> Self::Value;
}

/// Values packed one after another, in packing order; a key may be there
/// more than once.
#[derive(Debug, Clone, Default)]
pub struct Packed<C> {
    bytes: Vec<u8>,
    count: usize,
    table: Table,
    codec: PhantomData<C>,
}

impl<C> PartialEq for Packed<C> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
            && self.count == other.count
            && self.table.strings == other.table.strings
    }
}

impl<C: Codec> Packed<C> {
    /// Packs one value.
    pub fn push(&mut self, value: &C::Value) {
        let mut record = Vec::with_capacity(128);
        C::write(value, &mut record, &mut self.table);
        write_len(&mut self.bytes, record.len());
        self.bytes.extend_from_slice(&record);
        self.count += 1;
    }

    /// Takes over `other`'s values.
    pub fn append(&mut self, other: Packed<C>) {
        if self.is_empty() {
            *self = other;
            return;
        }
        // Numbers refer to `other`'s table: pack its values again. The scan
        // packs only the accumulator everything is folded into, so this is
        // rare (a serialized usage read back and merged).
        for value in other.iter() {
            self.push(&value);
        }
    }

    /// Records packed (a key packed twice counts twice).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is packed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes held by the records (without the table).
    pub fn packed_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Distinct strings in the table.
    pub fn table_len(&self) -> usize {
        self.table.strings.len()
    }

    /// The values, in packing order.
    pub fn iter(&self) -> impl Iterator<Item = C::Value> + '_ {
        Records(&self.bytes).map(|record| C::read(record, &self.table))
    }
}

impl<C: Codec> Serialize for Packed<C>
where
    C::Value: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, C: Codec> Deserialize<'de> for Packed<C>
where
    C::Value: DeserializeOwned,
    C: Default,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<C::Value>::deserialize(deserializer)?;
        let mut packed = Packed::default();
        for value in &values {
            packed.push(value);
        }
        Ok(packed)
    }
}

/// Values packed one per key, sorted by key, each unpacked when it is
/// looked up or iterated, so the report holds them at their packed size.
#[derive(Debug, Clone, Default)]
pub struct List<C> {
    bytes: Vec<u8>,
    /// Where each key's record starts, in key order.
    starts: Vec<usize>,
    table: Table,
    codec: PhantomData<C>,
}

impl<C: Codec> List<C> {
    /// The list of the packed values and of those still held as values:
    /// one per key, [`Codec::combine`] making one of a key's several.
    ///
    /// The records are indexed in key order where they are, not copied into
    /// it, so the peak of building a report is the packed bytes and an
    /// index, not twice them. A combined record is appended; the ones it
    /// replaces stay behind, unreferenced.
    pub fn build(packed: Packed<C>, held: impl IntoIterator<Item = C::Value>) -> List<C> {
        let mut packed = packed;
        for value in held {
            packed.push(&value);
        }
        let Packed {
            mut bytes,
            mut table,
            ..
        } = packed;
        let mut starts = Vec::new();
        let mut rest: &[u8] = &bytes;
        while !rest.is_empty() {
            starts.push(bytes.len() - rest.len());
            let len = read_uvarint(&mut rest) as usize;
            rest = &rest[len..];
        }
        let key_at = |start: usize| key_of(record_at(&bytes, start));
        // Stable: the records of one key stay in packing order.
        starts.sort_by(|&a, &b| key_at(a).cmp(key_at(b)));
        let base = bytes.len();
        let mut combined = Vec::new();
        let mut index = Vec::with_capacity(starts.len());
        for group in starts.chunk_by(|&a, &b| key_at(a) == key_at(b)) {
            match group {
                [start] => index.push(*start),
                _ => {
                    index.push(base + combined.len());
                    let values = group
                        .iter()
                        .map(|&s| C::read(record_at(&bytes, s), &table))
                        .collect();
                    let mut record = Vec::new();
                    C::write(&C::combine(values), &mut record, &mut table);
                    write_len(&mut combined, record.len());
                    combined.extend_from_slice(&record);
                }
            }
        }
        bytes.extend_from_slice(&combined);
        bytes.shrink_to_fit();
        table.freeze();
        List {
            bytes,
            starts: index,
            table,
            codec: PhantomData,
        }
    }

    /// The value of one key.
    pub fn get(&self, key: &str) -> Option<C::Value> {
        let at = self.position(key)?;
        Some(C::read(self.record(at), &self.table))
    }

    /// Whether a key is in the list.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Every value, by key.
    pub fn iter(&self) -> ListIter<'_, C> {
        ListIter {
            starts: self.starts.iter(),
            bytes: &self.bytes,
            table: &self.table,
            codec: PhantomData,
        }
    }

    /// Every record, by key, still packed, with the table to read it.
    pub fn records(&self) -> (impl Iterator<Item = &[u8]>, &Table) {
        let records = self.starts.iter().map(|&s| record_at(&self.bytes, s));
        (records, &self.table)
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.starts
            .binary_search_by(|&start| key_of(record_at(&self.bytes, start)).cmp(key))
            .ok()
    }

    fn record(&self, at: usize) -> &[u8] {
        record_at(&self.bytes, self.starts[at])
    }
}

/// The values of a [`List`], unpacked one at a time.
#[derive(Debug)]
pub struct ListIter<'a, C> {
    starts: std::slice::Iter<'a, usize>,
    bytes: &'a [u8],
    table: &'a Table,
    codec: PhantomData<C>,
}

impl<C> Clone for ListIter<'_, C> {
    fn clone(&self) -> Self {
        ListIter {
            starts: self.starts.clone(),
            bytes: self.bytes,
            table: self.table,
            codec: PhantomData,
        }
    }
}

impl<C: Codec> Iterator for ListIter<'_, C> {
    type Item = C::Value;

    fn next(&mut self) -> Option<C::Value> {
        let start = *self.starts.next()?;
        Some(C::read(record_at(self.bytes, start), self.table))
    }
}

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
struct Records<'a>(&'a [u8]);

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
fn record_at(bytes: &[u8], start: usize) -> &[u8] {
    Records(&bytes[start..])
        .next()
        .expect("a start is a record")
}

/// The key of a record: its first string.
fn key_of(record: &[u8]) -> &str {
    let mut input = record;
    read_str(&mut input)
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
fn write_len(out: &mut Vec<u8>, len: usize) {
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
