//! Issued credentials packed into bytes once they are a day old.
//!
//! The scan keeps one [`IssuedSession`] per temporary key STS issued, to the
//! end of the run: attribution joins sessions to them, the trust check
//! groups them by role, and the JSON lists them. As a struct with a tree
//! map entry that is about 630 bytes; packed, with the strings that repeat
//! from key to key (the call, the role, the caller, accounts, addresses)
//! written once in a table and referred to by number, about a third of
//! that (issue #2: memory that does not grow with the corpus).
//!
//! Packing never changes a result. A cross-account `AssumeRole` is logged
//! in two accounts; when a copy comes after the first was packed, both are
//! kept until [`IssuedList::build`] keeps the one [`preferred`] picks, the
//! choice the scan makes between copies it holds.
//!
//! The bytes are only ever read by the code that wrote them in the same
//! process: serde writes packed credentials as a plain list.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::IssuedSession;
use super::packed_codec::{
    Records, Table, index_by_key, key_of, read_byte, read_str, read_uvarint, record_at, unzigzag,
    write_len, write_str, write_uvarint, zigzag,
};
use crate::event::PrincipalKind;

/// Whichever of two records of one key the scan keeps: the caller's own
/// copy (it names the caller) over the role owner's (`AWSAccount`), then the
/// smaller event id, then the smaller record, so the choice does not depend
/// on the order the copies were read in.
pub fn preferred<'a>(a: &'a IssuedSession, b: &'a IssuedSession) -> &'a IssuedSession {
    let rank = |s: &IssuedSession| s.caller_kind == PrincipalKind::AwsAccount;
    if (rank(a), &a.event_id, a) <= (rank(b), &b.event_id, b) {
        a
    } else {
        b
    }
}

/// Issued credentials packed one after another, in packing order; a key
/// may be there twice (two copies of one call).
#[derive(Debug, Clone, Default)]
pub struct PackedIssued {
    bytes: Vec<u8>,
    count: usize,
    table: Table,
}

impl PartialEq for PackedIssued {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}

impl PackedIssued {
    /// Packs one record.
    pub fn push(&mut self, issued: &IssuedSession) {
        write_record(&mut self.bytes, &mut self.table, issued);
        self.count += 1;
    }

    /// Takes over `other`'s records.
    pub fn append(&mut self, other: PackedIssued) {
        if self.is_empty() {
            *self = other;
            return;
        }
        // Numbers refer to `other`'s table: pack its records again. The scan
        // packs only the accumulator everything is folded into, so this is
        // rare (a serialized usage read back and merged).
        for issued in other.iter() {
            self.push(&issued);
        }
    }

    /// Records packed.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is packed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes held by the records (without the string table).
    pub fn packed_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The records, in packing order.
    pub fn iter(&self) -> impl Iterator<Item = IssuedSession> + '_ {
        Records(&self.bytes).map(|record| read_record(record, &self.table))
    }
}

impl Serialize for PackedIssued {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PackedIssued {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = Vec::<IssuedSession>::deserialize(deserializer)?;
        let mut packed = PackedIssued::default();
        for issued in &list {
            packed.push(issued);
        }
        Ok(packed)
    }
}

/// The issued credentials for the report: one record per key, sorted by
/// key, packed; each is unpacked when it is looked up or iterated.
#[derive(Debug, Clone, Default)]
pub struct IssuedList {
    bytes: Vec<u8>,
    /// Where each record starts, in key order.
    starts: Vec<usize>,
    table: Table,
}

impl IssuedList {
    /// The list of the packed records and of those still held as values,
    /// one per key.
    pub fn build(
        packed: PackedIssued,
        held: impl IntoIterator<Item = IssuedSession>,
    ) -> IssuedList {
        let mut packed = packed;
        for issued in held {
            packed.push(&issued);
        }
        let PackedIssued {
            mut bytes,
            mut table,
            ..
        } = packed;
        let starts = index_by_key(&mut bytes, |copies, out| {
            let copies: Vec<IssuedSession> = copies
                .iter()
                .map(|record| read_record(record, &table))
                .collect();
            let kept = copies
                .iter()
                .reduce(preferred)
                .expect("a group has records");
            write_record(out, &mut table, kept);
        });
        table.freeze();
        IssuedList {
            bytes,
            starts,
            table,
        }
    }

    /// The record of one key.
    pub fn get(&self, access_key_id: &str) -> Option<IssuedSession> {
        let at = self
            .starts
            .binary_search_by(|&start| key_of(self.record_at(start)).cmp(access_key_id))
            .ok()?;
        Some(read_record(self.record_at(self.starts[at]), &self.table))
    }

    /// Whether a key was issued in the logs read.
    pub fn contains_key(&self, access_key_id: &str) -> bool {
        self.starts
            .binary_search_by(|&start| key_of(self.record_at(start)).cmp(access_key_id))
            .is_ok()
    }

    /// Every record, by key.
    pub fn iter(&self) -> IssuedIter<'_> {
        IssuedIter {
            starts: self.starts.iter(),
            bytes: &self.bytes,
            table: &self.table,
        }
    }

    /// The records whose role (`roleArn` asked for) passes `wanted`,
    /// unpacking only those.
    pub fn for_roles<'a>(
        &'a self,
        wanted: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = IssuedSession> + 'a {
        self.starts
            .iter()
            .map(|&start| self.record_at(start))
            .filter(move |record| role_of(record, &self.table).is_some_and(&wanted))
            .map(|record| read_record(record, &self.table))
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn record_at(&self, start: usize) -> &[u8] {
        record_at(&self.bytes, start)
    }
}

/// The records of an [`IssuedList`], unpacked one at a time.
#[derive(Debug, Clone)]
pub struct IssuedIter<'a> {
    starts: std::slice::Iter<'a, usize>,
    bytes: &'a [u8],
    table: &'a Table,
}

impl Iterator for IssuedIter<'_> {
    type Item = IssuedSession;

    fn next(&mut self) -> Option<IssuedSession> {
        let record = record_at(self.bytes, *self.starts.next()?);
        Some(read_record(record, self.table))
    }
}

// The format: the record's length, then the key and the role first (so a
// lookup or a role filter reads no further), then the other fields in
// declaration order. Shared strings are table numbers, the others inline;
// an optional value is 0 for none, else its number or length plus one.

const KINDS: [PrincipalKind; 10] = [
    PrincipalKind::IamUser,
    PrincipalKind::Role,
    PrincipalKind::Root,
    PrincipalKind::FederatedUser,
    PrincipalKind::WebIdentity,
    PrincipalKind::Saml,
    PrincipalKind::AwsAccount,
    PrincipalKind::AwsService,
    PrincipalKind::IdentityCenterUser,
    PrincipalKind::Unknown,
];

fn write_record(out: &mut Vec<u8>, table: &mut Table, s: &IssuedSession) {
    let mut r = Vec::with_capacity(160);
    write_str(&mut r, &s.access_key_id);
    let mut shared = |r: &mut Vec<u8>, text: Option<&Arc<str>>| match text {
        Some(text) => write_uvarint(r, table.number(text) + 1),
        None => r.push(0),
    };
    shared(&mut r, s.role_arn.as_ref());
    shared(&mut r, Some(&s.via));
    write_opt_str(&mut r, s.session_arn.as_deref());
    write_opt_str(&mut r, s.session_name.as_deref());
    shared(&mut r, Some(&s.caller));
    let kind = KINDS
        .iter()
        .position(|k| *k == s.caller_kind)
        .expect("every kind is listed");
    r.push(kind as u8);
    shared(&mut r, s.caller_account.as_ref());
    write_opt_str(&mut r, s.caller_principal_id.as_deref());
    write_opt_str(&mut r, s.caller_access_key_id.as_deref());
    shared(&mut r, s.external_id.as_ref());
    shared(&mut r, s.source_identity.as_ref());
    shared(&mut r, s.mfa_serial.as_ref());
    match s.time {
        Some(t) => {
            r.push(1);
            write_uvarint(&mut r, zigzag(t));
        }
        None => r.push(0),
    }
    write_opt_str(&mut r, s.event_id.as_deref());
    shared(&mut r, s.recipient_account.as_ref());
    shared(&mut r, s.source_ip.as_ref());
    write_len(out, r.len());
    out.extend_from_slice(&r);
}

fn role_of<'t>(record: &[u8], table: &'t Table) -> Option<&'t str> {
    let mut input = record;
    read_str(&mut input);
    read_shared(&mut input, table).map(|r| &**r)
}

fn read_record(record: &[u8], table: &Table) -> IssuedSession {
    let mut input = record;
    let access_key_id: Box<str> = read_str(&mut input).into();
    let role_arn = read_shared(&mut input, table).cloned();
    let via = Arc::clone(read_shared(&mut input, table).expect("the call is always written"));
    let session_arn = read_opt_str(&mut input);
    let session_name = read_opt_str(&mut input);
    let caller = Arc::clone(read_shared(&mut input, table).expect("the caller is always written"));
    let caller_kind = KINDS[usize::from(read_byte(&mut input))];
    let caller_account = read_shared(&mut input, table).cloned();
    let caller_principal_id = read_opt_str(&mut input);
    let caller_access_key_id = read_opt_str(&mut input);
    let external_id = read_shared(&mut input, table).cloned();
    let source_identity = read_shared(&mut input, table).cloned();
    let mfa_serial = read_shared(&mut input, table).cloned();
    let time = (read_byte(&mut input) == 1).then(|| unzigzag(read_uvarint(&mut input)));
    let event_id = read_opt_str(&mut input);
    let recipient_account = read_shared(&mut input, table).cloned();
    let source_ip = read_shared(&mut input, table).cloned();
    IssuedSession {
        access_key_id,
        via,
        role_arn,
        session_arn,
        session_name,
        caller,
        caller_kind,
        caller_account,
        caller_principal_id,
        caller_access_key_id,
        external_id,
        source_identity,
        mfa_serial,
        time,
        event_id,
        recipient_account,
        source_ip,
    }
}

fn read_shared<'t>(input: &mut &[u8], table: &'t Table) -> Option<&'t Arc<str>> {
    match read_uvarint(input) {
        0 => None,
        n => Some(table.get(n - 1)),
    }
}

fn write_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => {
            write_uvarint(out, text.len() as u64 + 1);
            out.extend_from_slice(text.as_bytes());
        }
        None => out.push(0),
    }
}

fn read_opt_str(input: &mut &[u8]) -> Option<Box<str>> {
    let len = read_uvarint(input);
    if len == 0 {
        return None;
    }
    let (text, rest) = input.split_at(len as usize - 1);
    *input = rest;
    Some(
        std::str::from_utf8(text)
            .expect("packed strings are UTF-8")
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_issued() -> impl Strategy<Value = IssuedSession> {
        let text = || proptest::option::of("[a-z0-9:/\u{e9}-]{0,10}");
        (
            (
                "ASIA[A-D]",
                "AssumeRole|AssumeRoleWithWebIdentity|GetSessionToken",
                proptest::option::of("arn:aws:iam::1:role/[AB]"),
                text(),
                text(),
                "[a-c]",
                0..KINDS.len(),
                text(),
            ),
            (
                text(),
                text(),
                text(),
                text(),
                text(),
                proptest::option::of(any::<i64>()),
                proptest::option::of("e-[0-9]"),
                text(),
                text(),
            ),
        )
            .prop_map(
                |((key, via, role, arn, name, caller, kind, account), rest)| {
                    let (
                        principal_id,
                        caller_key,
                        external,
                        source_identity,
                        mfa,
                        time,
                        event,
                        to,
                        ip,
                    ) = rest;
                    let arc = |s: Option<String>| s.map(|s| Arc::<str>::from(s.as_str()));
                    let boxed = |s: Option<String>| s.map(String::into_boxed_str);
                    IssuedSession {
                        access_key_id: key.into(),
                        via: via.as_str().into(),
                        role_arn: arc(role),
                        session_arn: boxed(arn),
                        session_name: boxed(name),
                        caller: caller.as_str().into(),
                        caller_kind: KINDS[kind],
                        caller_account: arc(account),
                        caller_principal_id: boxed(principal_id),
                        caller_access_key_id: boxed(caller_key),
                        external_id: arc(external),
                        source_identity: arc(source_identity),
                        mfa_serial: arc(mfa),
                        time,
                        event_id: boxed(event),
                        recipient_account: arc(to),
                        source_ip: arc(ip),
                    }
                },
            )
    }

    proptest! {
        /// Whatever is packed comes back as it was.
        #[test]
        fn packing_round_trips(records in proptest::collection::vec(arb_issued(), 0..8)) {
            let mut packed = PackedIssued::default();
            for r in &records {
                packed.push(r);
            }
            let back: Vec<IssuedSession> = packed.iter().collect();
            prop_assert_eq!(back, records);
        }

        /// The list holds, for each key, the copy the scan would have kept
        /// had it held every copy as a value, whichever were packed; lookups
        /// and the role filter agree with it.
        #[test]
        fn the_list_keeps_the_preferred_copy_of_each_key(
            records in proptest::collection::vec((arb_issued(), any::<bool>()), 0..12)
        ) {
            let mut packed = PackedIssued::default();
            let mut held: std::collections::BTreeMap<Box<str>, IssuedSession> = Default::default();
            let mut expected: std::collections::BTreeMap<Box<str>, IssuedSession> = Default::default();
            for (r, pack) in records {
                if pack {
                    packed.push(&r);
                } else {
                    let mine = held.entry(r.access_key_id.clone()).or_insert_with(|| r.clone());
                    *mine = preferred(mine, &r).clone();
                }
                let best = expected.entry(r.access_key_id.clone()).or_insert_with(|| r.clone());
                *best = preferred(best, &r).clone();
            }
            let list = IssuedList::build(packed, held.into_values());
            let got: Vec<IssuedSession> = list.iter().collect();
            let want: Vec<IssuedSession> = expected.values().cloned().collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(list.len(), want.len());
            for w in &want {
                let found = list.get(&w.access_key_id);
                prop_assert_eq!(found.as_ref(), Some(w));
                prop_assert!(list.contains_key(&w.access_key_id));
            }
            prop_assert!(list.get("ASIAZ").is_none());
            let role_a: Vec<IssuedSession> = list
                .for_roles(|r| r.ends_with("/A"))
                .collect();
            let want_a: Vec<IssuedSession> = want
                .iter()
                .filter(|w| w.role_arn.as_deref().is_some_and(|r| r.ends_with("/A")))
                .cloned()
                .collect();
            prop_assert_eq!(role_a, want_a);
        }
    }

    #[test]
    fn repeated_strings_are_written_once() {
        let record = |key: &str| IssuedSession {
            access_key_id: key.into(),
            via: "AssumeRole".into(),
            role_arn: Some("arn:aws:iam::111111111111:role/VendorAccess".into()),
            session_arn: None,
            session_name: None,
            caller: "222222222222".into(),
            caller_kind: PrincipalKind::AwsAccount,
            caller_account: Some("222222222222".into()),
            caller_principal_id: None,
            caller_access_key_id: None,
            external_id: None,
            source_identity: None,
            mfa_serial: None,
            time: Some(1_700_000_000),
            event_id: None,
            recipient_account: Some("111111111111".into()),
            source_ip: None,
        };
        let mut packed = PackedIssued::default();
        packed.push(&record("ASIAAAAAAAAAAAAAAAA1"));
        let one = packed.packed_bytes();
        packed.push(&record("ASIAAAAAAAAAAAAAAAA2"));
        // The second record is its key and table numbers, as long as the
        // first; the table has each distinct shared string once (the call,
        // the role, the caller's account, the recipient account).
        assert_eq!(packed.packed_bytes(), 2 * one);
        assert!(one < 50, "{one}");
        assert_eq!(packed.table.strings.len(), 4);
        let json = serde_json::to_string(&packed).expect("serialize");
        let back: PackedIssued = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, packed);
    }
}
