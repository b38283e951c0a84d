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
//! kept until [`List::build`] keeps the one [`preferred`] picks, the choice
//! the scan makes between copies it holds.
//!
//! The bytes are only ever read by the code that wrote them in the same
//! process: serde writes packed credentials as a plain list.

use std::sync::Arc;

use super::IssuedSession;
use super::packed_codec::{
    Codec, List, ListIter, Packed, Table, read_byte, read_str, read_uvarint, unzigzag, write_str,
    write_uvarint, zigzag,
};
use crate::event::PrincipalKind;

/// Whichever of two records of one key the scan keeps: the caller's own
/// copy (it names the caller) over the role owner's (`AWSAccount`), then the
/// smaller event id, then the smaller record, so the choice does not depend
/// on the order the copies were read in.
pub fn preferred<'a>(a: &'a IssuedSession, b: &'a IssuedSession) -> &'a IssuedSession {
    if is_preferred(a, b) { a } else { b }
}

/// Whether the scan keeps `a` over `b` ([`preferred`]).
pub fn is_preferred(a: &IssuedSession, b: &IssuedSession) -> bool {
    let rank = |s: &IssuedSession| s.caller_kind == PrincipalKind::AwsAccount;
    (rank(a), &a.event_id, a) <= (rank(b), &b.event_id, b)
}

/// How an issued credential is packed: see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct IssuedCodec;

/// Issued credentials, in packing order; a key may be there twice (two
/// copies of one call).
pub type PackedIssued = Packed<IssuedCodec>;

/// The issued credentials for the report: one per key, sorted by key, each
/// unpacked when it is looked up or iterated.
pub type IssuedList = List<IssuedCodec>;

/// The credentials of an [`IssuedList`].
pub type IssuedIter<'a> = ListIter<'a, IssuedCodec>;

// The record: the key and the role first (so a lookup or a role filter
// reads no further), then the other fields in declaration order. Shared
// strings are table numbers, the others inline; an optional value is 0 for
// none, else its number or length plus one. ([`Packed`] adds the length.)
impl Codec for IssuedCodec {
    type Value = IssuedSession;

    fn write(s: &IssuedSession, r: &mut Vec<u8>, table: &mut Table) {
        write_str(r, &s.access_key_id);
        let mut shared = |r: &mut Vec<u8>, text: Option<&Arc<str>>| match text {
            Some(text) => write_uvarint(r, table.number(text) + 1),
            None => r.push(0),
        };
        shared(r, s.role_arn.as_ref());
        shared(r, Some(&s.via));
        write_opt_str(r, s.session_arn.as_deref());
        write_opt_str(r, s.session_name.as_deref());
        shared(r, Some(&s.caller));
        let kind = KINDS
            .iter()
            .position(|k| *k == s.caller_kind)
            .expect("every kind is listed");
        r.push(kind as u8);
        shared(r, s.caller_account.as_ref());
        write_opt_str(r, s.caller_principal_id.as_deref());
        write_opt_str(r, s.caller_access_key_id.as_deref());
        shared(r, s.external_id.as_ref());
        shared(r, s.source_identity.as_ref());
        shared(r, s.mfa_serial.as_ref());
        match s.time {
            Some(t) => {
                r.push(1);
                write_uvarint(r, zigzag(t));
            }
            None => r.push(0),
        }
        write_opt_str(r, s.event_id.as_deref());
        shared(r, s.recipient_account.as_ref());
        shared(r, s.source_ip.as_ref());
    }

    fn read(record: &[u8], table: &Table) -> IssuedSession {
        let mut input = record;
        let access_key_id: Box<str> = read_str(&mut input).into();
        let role_arn = read_shared(&mut input, table).cloned();
        let via = Arc::clone(read_shared(&mut input, table).expect("the call is always written"));
        let session_arn = read_opt_str(&mut input);
        let session_name = read_opt_str(&mut input);
        let caller =
            Arc::clone(read_shared(&mut input, table).expect("the caller is always written"));
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

    /// The copy [`preferred`] picks.
    fn combine(copies: Vec<IssuedSession>) -> IssuedSession {
        copies
            .into_iter()
            .reduce(|a, b| if is_preferred(&a, &b) { a } else { b })
            .expect("a key has a record")
    }
}

impl IssuedList {
    /// The credentials whose role (`roleArn` asked for) passes `wanted`,
    /// unpacking only those.
    pub fn for_roles<'a>(
        &'a self,
        wanted: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = IssuedSession> + 'a {
        let mut records = self.records();
        std::iter::from_fn(move || {
            records.next_with(|record, table| {
                role_of(record, table)
                    .is_some_and(&wanted)
                    .then(|| IssuedCodec::read(record, table))
            })
        })
        .flatten()
    }
}

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

fn role_of<'t>(record: &[u8], table: &'t Table) -> Option<&'t str> {
    let mut input = record;
    read_str(&mut input);
    read_shared(&mut input, table).map(|r| &**r)
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
            records in proptest::collection::vec((arb_issued(), any::<bool>()), 0..12),
            run_bytes in prop_oneof![Just(0), Just(100), Just(super::super::RUN_BYTES)],
        ) {
            // Spilled after every record, every few, or not at all.
            let mut packed = PackedIssued::default().with_run_bytes(run_bytes);
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

    fn record(key: &str) -> IssuedSession {
        IssuedSession {
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
        }
    }

    /// A list merged from many spilled runs finds every key through its
    /// sparse index, and no key that is not there: before the first, between
    /// two, after the last.
    #[test]
    fn a_spilled_list_finds_each_key_through_its_index() {
        let mut packed = PackedIssued::default().with_run_bytes(2_000);
        // Keys 0, 2, 4, ... 1998, pushed out of order, some twice.
        for i in (0..1000).rev().chain(0..100) {
            packed.push(&record(&format!("ASIA{:06}", 2 * i)));
        }
        // About 40 KB in runs of 2 KB, merged in tiers of eight: a few runs
        // are left, not twenty.
        assert!((2..16).contains(&packed.runs()), "{}", packed.runs());
        let list = IssuedList::build(packed, []);
        assert!(list.is_spilled());
        assert_eq!(list.len(), 1000);
        for i in 0..1000 {
            let key = format!("ASIA{:06}", 2 * i);
            assert_eq!(
                list.get(&key).map(|r| r.access_key_id),
                Some(key.clone().into())
            );
            assert!(list.contains_key(&key));
            assert!(!list.contains_key(&format!("ASIA{:06}", 2 * i + 1)), "{i}");
        }
        assert!(!list.contains_key("ASIA"));
        assert!(!list.contains_key("ASIB"));
        let keys: Vec<Box<str>> = list.iter().map(|r| r.access_key_id).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
        assert_eq!(
            list.for_roles(|r| r.ends_with("/VendorAccess")).count(),
            1000
        );
    }

    #[test]
    fn repeated_strings_are_written_once() {
        let mut packed = PackedIssued::default();
        packed.push(&record("ASIAAAAAAAAAAAAAAAA1"));
        let one = packed.packed_bytes();
        packed.push(&record("ASIAAAAAAAAAAAAAAAA2"));
        // The second record is its key and table numbers, as long as the
        // first; the table has each distinct shared string once (the call,
        // the role, the caller's account, the recipient account).
        assert_eq!(packed.packed_bytes(), 2 * one);
        assert!(one < 50, "{one}");
        assert_eq!(packed.table_len(), 4);
        let json = serde_json::to_string(&packed).expect("serialize");
        let back: PackedIssued = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, packed);
    }
}
