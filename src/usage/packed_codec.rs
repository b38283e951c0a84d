//! Packed values, shared by [`super::packed`] (sessions),
//! [`super::packed_issued`] (issued credentials) and [`KeyCountCodec`]
//! (keys issued to outside accounts): [`Packed`] holds records in packing
//! order while the scan runs and spills them to [`super::spill`] in sorted
//! runs, [`List`] has one per key in key order for the report. A [`Codec`]
//! says how a value is written.
//!
//! The format: length-prefixed records of LEB128 varints (signed numbers
//! zigzag-encoded) and length-prefixed UTF-8 strings, the key first, and
//! strings that repeat from record to record as numbers in a [`Table`].
//! Only ever read back by the process that wrote it, so a malformed record
//! is a bug, and panics; serde writes the values, never the bytes.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::spill::{self, RunReader, Span};
use crate::hash::FastMap;

/// How one kind of value is packed.
pub trait Codec: Default {
    /// The value, unpacked. Its key is the first string of its record.
    type Value;
    /// Writes the record of `value` (without its length).
    fn write(value: &Self::Value, out: &mut Vec<u8>, table: &mut Table);
    /// Reads a record [`Codec::write`] wrote.
    fn read(record: &[u8], table: &Table) -> Self::Value;
    /// One value for the several records of one key. They come in no
    /// promised order (runs are merged as the disk allows), so the result
    /// must not depend on it.
    fn combine(values: Vec<Self::Value>) -> Self::Value;
}

/// Bytes of records a [`Packed`] holds before it spills them as a sorted
/// run ([`super::spill`]).
pub const RUN_BYTES: usize = 1 << 20;

/// Records of one key in a sorted run or list, every how many of them
/// [`List`] remembers a key and where it is, to find a key in the file.
/// Attribution looks up the credentials of each session (65,794 on the
/// bench corpus): with 64 it took 0.165 s, with 16 0.12 s. The index
/// costs a few bytes per record.
const INDEX_EVERY: usize = 16;

/// Runs of one level merged into one of the next: spilled runs are merged
/// in tiers, so a buffer has a few runs per level, whatever the length of
/// the trail, and each record is rewritten once per level.
const RUNS_PER_LEVEL: usize = 8;

/// A packed buffer of any kind, for spilling the largest of several.
pub trait Spill {
    /// Bytes held in memory by its records.
    fn held_bytes(&self) -> usize;
    /// Spills what it holds ([`Packed::spill`]).
    fn spill_held(&mut self);
}

impl<C: Codec> Spill for Packed<C> {
    fn held_bytes(&self) -> usize {
        self.packed_bytes()
    }

    fn spill_held(&mut self) {
        self.spill();
    }
}

/// A key and a count, combined by adding the counts: the temporary keys an
/// outside account's or a web identity provider's calls issued, with how
/// many records issued each.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyCountCodec;

impl Codec for KeyCountCodec {
    type Value = (String, u64);

    fn write((key, count): &(String, u64), out: &mut Vec<u8>, _: &mut Table) {
        write_str(out, key);
        write_uvarint(out, *count);
    }

    fn read(record: &[u8], _: &Table) -> (String, u64) {
        let mut input = record;
        let key = read_str(&mut input).to_owned();
        (key, read_uvarint(&mut input))
    }

    fn combine(values: Vec<(String, u64)>) -> (String, u64) {
        let count = values.iter().map(|(_, n)| n).sum();
        let key = values
            .into_iter()
            .next()
            .map(|(k, _)| k)
            .unwrap_or_default();
        (key, count)
    }
}

/// Values packed one after another, in packing order; a key may be there
/// more than once. Past [`RUN_BYTES`] of them (or when
/// [`Packed::spill`] is called), they are sorted by key (one record per
/// key) and spilled to the spill file as a run.
#[derive(Debug, Clone, Default)]
pub struct Packed<C> {
    bytes: Vec<u8>,
    /// Records in `bytes`.
    held: usize,
    table: Table,
    /// Spilled runs, each sorted by key with one record per key.
    runs: Vec<Run>,
    /// [`RUN_BYTES`] unless set (tests); `usize::MAX` once spilling failed.
    run_bytes: Option<usize>,
    codec: PhantomData<C>,
}

/// A sorted run in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    span: Span,
    /// Records (keys) in it.
    count: usize,
    /// How many merges made it (0: spilled from memory).
    level: u32,
}

impl<C> PartialEq for Packed<C> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
            && self.held == other.held
            && self.table.strings == other.table.strings
            && self.runs == other.runs
    }
}

impl<C: Codec> Packed<C> {
    /// Packs one value.
    pub fn push(&mut self, value: &C::Value) {
        let mut record = Vec::with_capacity(128);
        C::write(value, &mut record, &mut self.table);
        put_record(&mut self.bytes, &record);
        self.held += 1;
        if self.bytes.len() >= self.run_bytes.unwrap_or(RUN_BYTES) {
            self.spill();
        }
    }

    /// Spills runs past `bytes` of records instead of [`RUN_BYTES`].
    pub fn with_run_bytes(mut self, bytes: usize) -> Self {
        self.run_bytes = Some(bytes);
        self
    }

    /// [`Packed::with_run_bytes`] in place, unless spilling failed before.
    pub fn set_run_bytes(&mut self, bytes: usize) {
        if self.run_bytes != Some(usize::MAX) {
            self.run_bytes = Some(bytes);
        }
    }

    /// Sorts the records held in memory and writes them to the spill file
    /// as a run, then merges a level's runs when it has eight of them.
    /// Without a spill file nothing is written and the buffer stops trying;
    /// if a write fails, the records stay in memory (sorted, a key's
    /// records combined) and the buffer stops trying.
    pub fn spill(&mut self) {
        if self.held == 0 || self.run_bytes == Some(usize::MAX) {
            return;
        }
        let Some(file) = spill::file() else {
            self.run_bytes = Some(usize::MAX);
            return;
        };
        let (bytes, starts) = index_by_key::<C>(std::mem::take(&mut self.bytes), &mut self.table);
        let mut writer = file.writer();
        let written = starts
            .iter()
            .try_for_each(|&start| writer.write_record(record_at(&bytes, start)));
        match written.and_then(|()| writer.finish()) {
            Ok(span) => {
                self.runs.push(Run {
                    span,
                    count: starts.len(),
                    level: 0,
                });
                self.held = 0;
                self.merge_full_levels();
            }
            // The file is full or gone: keep the records (one per key, as
            // sorted), stop spilling.
            Err(_) => {
                for &start in &starts {
                    put_record(&mut self.bytes, record_at(&bytes, start));
                }
                self.held = starts.len();
                self.run_bytes = Some(usize::MAX);
            }
        }
    }

    /// Merges the runs of any level that has [`RUNS_PER_LEVEL`] of them
    /// into one run of the next level.
    fn merge_full_levels(&mut self) {
        let mut level = 0;
        loop {
            let of_level: Vec<Run> = self
                .runs
                .iter()
                .copied()
                .filter(|r| r.level == level)
                .collect();
            if of_level.len() < RUNS_PER_LEVEL {
                if self.runs.iter().any(|r| r.level > level) {
                    level += 1;
                    continue;
                }
                return;
            }
            let Some((span, count)) = merge_runs::<C>(&of_level, &mut self.table, None) else {
                // Left as they are: read back merged when the list is built.
                return;
            };
            self.runs.retain(|r| r.level != level);
            self.runs.push(Run {
                span,
                count,
                level: level + 1,
            });
        }
    }

    /// Takes over `other`'s values.
    pub fn append(&mut self, other: Packed<C>) {
        if self.is_empty() {
            *self = other;
            return;
        }
        // Records that name no table entry (the keys issued to outside
        // accounts, which come this way from every worker after every
        // batch) mean the same in any buffer: taken as they are.
        if other.table.strings.is_empty() {
            self.bytes.extend_from_slice(&other.bytes);
            self.held += other.held;
            self.runs.extend(other.runs);
            if self.bytes.len() >= self.run_bytes.unwrap_or(RUN_BYTES) {
                self.spill();
            } else {
                self.merge_full_levels();
            }
            return;
        }
        // Numbers refer to `other`'s table: pack its values again. Sessions
        // and credentials are packed only in the accumulator everything is
        // folded into, so for them this is rare.
        for value in other.iter() {
            self.push(&value);
        }
    }

    /// Records packed: a key packed twice counts twice, unless the two
    /// were combined in a run.
    pub fn len(&self) -> usize {
        self.held + self.runs.iter().map(|r| r.count).sum::<usize>()
    }

    /// Whether nothing is packed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held in memory by the records (without the table).
    pub fn packed_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Distinct strings in the table.
    pub fn table_len(&self) -> usize {
        self.table.strings.len()
    }

    /// Runs spilled to the spill file.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The values: the spilled runs' in key order, then the others in
    /// packing order.
    pub fn iter(&self) -> impl Iterator<Item = C::Value> + '_ {
        let spilled = self.runs.iter().flat_map(move |run| {
            let file = spill::file().expect("runs were spilled to it");
            let mut reader = RunReader::new(file, run.span);
            std::iter::from_fn(move || {
                let record = reader.next_record()?;
                Some(C::read(record, &self.table))
            })
        });
        spilled.chain(Records(&self.bytes).map(|record| C::read(record, &self.table)))
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

/// Sorts the records of `bytes` by key, with one record per key: where a
/// key has several, [`Codec::combine`] makes one, appended to the bytes
/// (the ones it replaces stay behind, unreferenced). Returns the bytes and
/// each key's start, in key order. The records are indexed where they are,
/// not copied into order, so this needs the bytes and an index, not twice
/// the bytes.
fn index_by_key<C: Codec>(mut bytes: Vec<u8>, table: &mut Table) -> (Vec<u8>, Vec<usize>) {
    let mut starts = Vec::new();
    let mut rest: &[u8] = &bytes;
    while !rest.is_empty() {
        starts.push(bytes.len() - rest.len());
        read_bytes(&mut rest);
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
                let records = group.iter().map(|&s| record_at(&bytes, s));
                put_record(&mut combined, &combine_records::<C>(records, table));
            }
        }
    }
    bytes.extend_from_slice(&combined);
    bytes.shrink_to_fit();
    (bytes, index)
}

/// One record of a key's several, made by [`Codec::combine`].
fn combine_records<'r, C: Codec>(
    records: impl Iterator<Item = &'r [u8]>,
    table: &mut Table,
) -> Vec<u8> {
    let values = records.map(|r| C::read(r, table)).collect();
    let mut record = Vec::new();
    C::write(&C::combine(values), &mut record, table);
    record
}

/// Values packed one per key, sorted by key, each unpacked when it is
/// looked up or iterated: in memory, or, when the packed values were
/// spilled, in one sorted run of the spill file with every
/// 16th key remembered (`INDEX_EVERY`).
#[derive(Debug, Clone, Default)]
pub struct List<C> {
    bytes: Vec<u8>,
    /// Where each key's record starts in `bytes`, in key order.
    starts: Vec<usize>,
    file_run: Option<FileRun>,
    table: Table,
    codec: PhantomData<C>,
}

/// A [`List`]'s values in the spill file.
#[derive(Debug, Clone)]
struct FileRun {
    span: Span,
    count: usize,
    /// Every [`INDEX_EVERY`]-th key and where its record starts.
    index: Vec<(Box<str>, u64)>,
}

impl<C: Codec> List<C> {
    /// The list of the packed values and of those still held as values:
    /// one per key, [`Codec::combine`] making one of a key's several.
    pub fn build(mut packed: Packed<C>, held: impl IntoIterator<Item = C::Value>) -> List<C> {
        for value in held {
            packed.push(&value);
        }
        if !packed.runs.is_empty() {
            packed.spill();
            let mut table = std::mem::take(&mut packed.table);
            let mut index = Vec::new();
            if packed.held == 0
                && let Some((span, count)) =
                    merge_runs::<C>(&packed.runs, &mut table, Some(&mut index))
            {
                table.freeze();
                return List {
                    bytes: Vec::new(),
                    starts: Vec::new(),
                    file_run: Some(FileRun { span, count, index }),
                    table,
                    codec: PhantomData,
                };
            }
            // The spill file failed: everything back into memory. (The
            // table only grew in the attempt: numbers of the runs hold.)
            packed.table = table;
            let mut in_memory = Packed::<C>::default().with_run_bytes(usize::MAX);
            for value in packed.iter() {
                in_memory.push(&value);
            }
            packed = in_memory;
        }
        let Packed {
            bytes, mut table, ..
        } = packed;
        let (bytes, starts) = index_by_key::<C>(bytes, &mut table);
        table.freeze();
        List {
            bytes,
            starts,
            file_run: None,
            table,
            codec: PhantomData,
        }
    }

    /// The value of one key.
    pub fn get(&self, key: &str) -> Option<C::Value> {
        self.find(key).map(|record| C::read(&record, &self.table))
    }

    /// Whether a key is in the list.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The record of one key, still packed.
    fn find(&self, key: &str) -> Option<Cow<'_, [u8]>> {
        match &self.file_run {
            None => {
                let at = self
                    .starts
                    .binary_search_by(|&start| {
                        key_of(record_at(&self.bytes, start)).cmp(key.as_bytes())
                    })
                    .ok()?;
                Some(Cow::Borrowed(record_at(&self.bytes, self.starts[at])))
            }
            Some(run) => find_in_file(run, key).map(Cow::Owned),
        }
    }

    /// Every value, by key.
    pub fn iter(&self) -> ListIter<'_, C> {
        ListIter {
            records: self.records(),
            codec: PhantomData,
        }
    }

    /// Every record, by key, still packed.
    pub fn records(&self) -> RawRecords<'_> {
        let inner = match &self.file_run {
            None => Inner::Memory {
                starts: self.starts.iter(),
                bytes: &self.bytes,
            },
            Some(run) => Inner::File(RunReader::new(
                spill::file().expect("the list was spilled to it"),
                run.span,
            )),
        };
        RawRecords {
            inner,
            table: &self.table,
        }
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        match &self.file_run {
            None => self.starts.len(),
            Some(run) => run.count,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the values are in the spill file.
    pub fn is_spilled(&self) -> bool {
        self.file_run.is_some()
    }
}

/// Merges sorted runs into one sorted run at the end of the spill file,
/// combining a key's records from several runs, and returns it with its
/// number of records; with `index`, every [`INDEX_EVERY`]-th key and where
/// its record starts. `None` if the spill file failed.
fn merge_runs<C: Codec>(
    runs: &[Run],
    table: &mut Table,
    mut index: Option<&mut Vec<(Box<str>, u64)>>,
) -> Option<(Span, usize)> {
    let file = spill::file()?;
    let mut readers: Vec<RunReader> = runs.iter().map(|r| RunReader::new(file, r.span)).collect();
    let mut heads: Vec<Option<Vec<u8>>> = readers
        .iter_mut()
        .map(|r| r.next_record().map(<[u8]>::to_vec))
        .collect();
    let mut writer = file.writer();
    let mut count = 0;
    while let Some(key) = heads.iter().flatten().map(|h| key_of(h)).min() {
        let key = key.to_vec();
        let mut group = Vec::new();
        for (head, reader) in heads.iter_mut().zip(&mut readers) {
            if head.as_deref().is_some_and(|h| key_of(h) == key.as_slice()) {
                group.push(head.take().expect("checked"));
                *head = reader.next_record().map(<[u8]>::to_vec);
            }
        }
        let record = match group.len() {
            1 => group.pop().expect("one"),
            _ => combine_records::<C>(group.iter().map(Vec::as_slice), table),
        };
        if let Some(index) = index.as_deref_mut()
            && count % INDEX_EVERY == 0
        {
            let key = String::from_utf8(key).expect("keys are written from strings");
            index.push((key.into_boxed_str(), writer.position()));
        }
        count += 1;
        writer.write_record(&record).ok()?;
    }
    let span = writer.finish().ok()?;
    Some((span, count))
}

/// The record of `key` in a spilled list: the block of records between two
/// remembered keys is read and searched.
fn find_in_file(run: &FileRun, key: &str) -> Option<Vec<u8>> {
    let after = run.index.partition_point(|(k, _)| &**k <= key);
    let from = run.index.get(after.checked_sub(1)?)?.1;
    let to = run
        .index
        .get(after)
        .map_or(run.span.offset + run.span.len, |e| e.1);
    let file = spill::file().expect("the list was spilled to it");
    let mut reader = RunReader::new(
        file,
        Span {
            offset: from,
            len: to - from,
        },
    );
    while let Some(record) = reader.next_record() {
        match key_of(record).cmp(key.as_bytes()) {
            std::cmp::Ordering::Equal => return Some(record.to_vec()),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
    }
    None
}

/// The records of a [`List`], by key, still packed: borrowed from memory
/// or read from the spill file.
#[derive(Debug, Clone)]
pub struct RawRecords<'a> {
    inner: Inner<'a>,
    table: &'a Table,
}

#[derive(Debug, Clone)]
enum Inner<'a> {
    Memory {
        starts: std::slice::Iter<'a, usize>,
        bytes: &'a [u8],
    },
    File(RunReader),
}

impl RawRecords<'_> {
    /// Hands the next record, borrowed where it lies (in memory or in the
    /// reader's buffer), to `read`, with the table its numbers refer to;
    /// `None` at the end.
    pub fn next_with<T>(&mut self, read: impl FnOnce(&[u8], &Table) -> T) -> Option<T> {
        let record = match &mut self.inner {
            Inner::Memory { starts, bytes } => record_at(bytes, *starts.next()?),
            Inner::File(reader) => reader.next_record()?,
        };
        Some(read(record, self.table))
    }
}

/// The values of a [`List`], unpacked one at a time.
#[derive(Debug)]
pub struct ListIter<'a, C> {
    records: RawRecords<'a>,
    codec: PhantomData<C>,
}

impl<C> Clone for ListIter<'_, C> {
    fn clone(&self) -> Self {
        ListIter {
            records: self.records.clone(),
            codec: PhantomData,
        }
    }
}

impl<C: Codec> Iterator for ListIter<'_, C> {
    type Item = C::Value;

    fn next(&mut self) -> Option<C::Value> {
        self.records.next_with(C::read)
    }
}

/// Strings written once and referred to by number.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The strings, by number.
    strings: Vec<Arc<str>>,
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
        Some(read_bytes(&mut self.0))
    }
}

/// The record that starts at `start` (at its length), without its length.
fn record_at(bytes: &[u8], start: usize) -> &[u8] {
    Records(&bytes[start..])
        .next()
        .expect("a start is a record")
}

/// The key of a record: its first string.
fn key_of(record: &[u8]) -> &[u8] {
    read_bytes(&mut { record })
}

/// Writes a string: its length, then its bytes.
pub fn write_str(out: &mut Vec<u8>, value: &str) {
    put_record(out, value.as_bytes());
}

/// Reads a string [`write_str`] wrote.
pub fn read_str<'a>(input: &mut &'a [u8]) -> &'a str {
    // Written from a `&str` by `write_str` in this process.
    std::str::from_utf8(read_bytes(input)).expect("packed strings are UTF-8")
}

/// Appends bytes with their length before them: a record, or a string.
pub fn put_record(out: &mut Vec<u8>, record: &[u8]) {
    write_uvarint(out, record.len() as u64);
    out.extend_from_slice(record);
}

/// Reads bytes [`put_record`] wrote.
fn read_bytes<'a>(input: &mut &'a [u8]) -> &'a [u8] {
    let len = read_uvarint(input) as usize;
    let (bytes, rest) = input.split_at(len);
    *input = rest;
    bytes
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
