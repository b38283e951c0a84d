//! Sessions packed into bytes once they have gone quiet.
//!
//! Sessions are what grows with the trail: one per temporary key, and a CI
//! vendor opens thousands a month. While a session is in use its calls are
//! counted in a [`SessionUsage`], a map entry with a vector of per-action
//! [`Counts`] (about 750 bytes). Once no call has come for
//! [`QUIET_AFTER`], the scan packs it here with variable-length integers,
//! times relative to the session's first call and action names as numbers
//! in a table: about a seventh of that, and no allocation of its own
//! (issue #2: memory that does not grow with the corpus).
//!
//! Packing never changes a result. A call that still comes for a packed key
//! (a late delivery, a 36-hour session) opens a second fragment of it, and
//! [`List::build`] merges the fragments of each key with [`SessionUsage`]'s
//! order-independent merge while it sorts the sessions by key for the
//! report.
//!
//! The bytes are only ever read by the code that wrote them in the same
//! process: serde writes packed sessions as a plain list of sessions.

use super::packed_codec::{
    Codec, List, ListIter, Packed, Table, read_byte, read_str, read_uvarint, unzigzag, write_str,
    write_uvarint, zigzag,
};
use super::{Counts, SessionUsage};
use crate::report::SessionReport;
use crate::time::Timestamp;

/// How long a session must have had no call (by event time, against the
/// delivery time of the files being read) before it is packed. A day: the
/// longest sessions last 36 hours (`GetSessionToken`, `GetFederationToken`;
/// `AssumeRole` at most 12), so a session is split into at most a few
/// fragments, and the sessions open at any time are those of about a day.
/// (A session whose events carry no time is packed after every batch it
/// has calls in: its fragments cost memory, never a result.)
pub const QUIET_AFTER: i64 = 86_400;

/// How a session is packed: see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionCodec;

/// Quiet sessions, in packing order; a key packed twice is there twice.
pub type PackedSessions = Packed<SessionCodec>;

/// One principal's sessions for the report: one per key (fragments merged),
/// sorted by key, unpacked one at a time.
pub type SessionList = List<SessionCodec>;

/// The sessions of a [`SessionList`].
pub type SessionIter<'a> = ListIter<'a, SessionCodec>;

// The record: the key; the session's counts; its names; MFA; its source
// identities; its actions, each the number of its name in the action table
// and counts whose times are relative to the session's first call.
// ([`Packed`] adds the record's length.)
impl Codec for SessionCodec {
    type Value = SessionReport;

    fn write(s: &SessionReport, record: &mut Vec<u8>, actions: &mut Table) {
        write_str(record, &s.access_key_id);
        let base = s.counts.first_seen.unwrap_or(0);
        write_counts(record, &s.counts, 0);
        write_strs(record, &s.names);
        record.push(match s.mfa {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        write_strs(record, &s.source_identities);
        write_uvarint(record, s.actions.len() as u64);
        for (action, counts) in &s.actions {
            write_uvarint(record, actions.number_of(action));
            write_counts(record, counts, base);
        }
    }

    fn read(record: &[u8], table: &Table) -> SessionReport {
        let mut input = record;
        let key = read_str(&mut input);
        let counts = read_counts(&mut input, 0);
        let base = counts.first_seen.unwrap_or(0);
        let names = read_strs(&mut input);
        let mfa = match read_byte(&mut input) {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        };
        let source_identities = read_strs(&mut input);
        let n = read_uvarint(&mut input) as usize;
        let mut actions = Vec::with_capacity(n);
        for _ in 0..n {
            let action: Box<str> = (**table.get(read_uvarint(&mut input))).into();
            actions.push((action, read_counts(&mut input, base)));
        }
        SessionReport {
            access_key_id: key.to_owned(),
            counts,
            names,
            mfa,
            source_identities,
            actions,
        }
    }

    /// [`SessionUsage`]'s merge, which does not depend on the order.
    fn combine(fragments: Vec<SessionReport>) -> SessionReport {
        let mut key = String::new();
        let mut merged = SessionUsage::default();
        for fragment in fragments {
            let (k, usage) = split(fragment);
            key = k;
            merged.merge(usage);
        }
        session_report(key, merged)
    }
}

/// A session of the scan, as the report and the packed records have it.
pub fn session_report(access_key_id: String, s: SessionUsage) -> SessionReport {
    SessionReport {
        access_key_id,
        counts: s.counts,
        names: s.names,
        mfa: s.mfa,
        source_identities: s.source_identities,
        actions: s.actions,
    }
}

fn split(r: SessionReport) -> (String, SessionUsage) {
    let usage = SessionUsage {
        counts: r.counts,
        names: r.names,
        mfa: r.mfa,
        source_identities: r.source_identities,
        actions: r.actions,
    };
    (r.access_key_id, usage)
}

fn write_counts(out: &mut Vec<u8>, c: &Counts, base: Timestamp) {
    write_uvarint(out, c.calls);
    write_uvarint(out, c.denied);
    write_uvarint(out, c.errors);
    out.push(u8::from(c.first_seen.is_some()) | (u8::from(c.last_seen.is_some()) << 1));
    for t in [c.first_seen, c.last_seen].into_iter().flatten() {
        write_uvarint(out, zigzag(t.wrapping_sub(base)));
    }
}

fn read_counts(input: &mut &[u8], base: Timestamp) -> Counts {
    let calls = read_uvarint(input);
    let denied = read_uvarint(input);
    let errors = read_uvarint(input);
    let present = read_byte(input);
    let mut time =
        |bit: u8| (present & bit != 0).then(|| unzigzag(read_uvarint(input)).wrapping_add(base));
    let first_seen = time(1);
    let last_seen = time(2);
    Counts {
        calls,
        denied,
        errors,
        first_seen,
        last_seen,
    }
}

fn write_strs(out: &mut Vec<u8>, values: &[Box<str>]) {
    write_uvarint(out, values.len() as u64);
    for v in values {
        write_str(out, v);
    }
}

fn read_strs(input: &mut &[u8]) -> Vec<Box<str>> {
    let n = read_uvarint(input) as usize;
    (0..n).map(|_| read_str(input).into()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(
        calls: u64,
        denied: u64,
        errors: u64,
        first: Option<i64>,
        last: Option<i64>,
    ) -> Counts {
        Counts {
            calls,
            denied,
            errors,
            first_seen: first,
            last_seen: last,
        }
    }

    fn session(name: &str, first: i64, actions: &[(&str, u64)]) -> SessionUsage {
        let mut s = SessionUsage {
            names: vec![name.into()],
            ..SessionUsage::default()
        };
        for (i, (action, calls)) in actions.iter().enumerate() {
            let t = first + i as i64 * 60;
            let c = counts(*calls, 0, 0, Some(t), Some(t + 5));
            s.counts.merge(&c);
            s.actions.push(((*action).into(), c));
        }
        s
    }

    fn reports(list: &SessionList) -> Vec<(String, SessionUsage)> {
        list.iter().map(split).collect()
    }

    fn push(packed: &mut PackedSessions, key: &str, session: &SessionUsage) {
        packed.push(&session_report(key.to_owned(), session.clone()));
    }

    fn same(a: &SessionUsage, b: &SessionUsage) -> bool {
        a.counts == b.counts
            && a.names == b.names
            && a.mfa == b.mfa
            && a.source_identities == b.source_identities
            && a.actions == b.actions
    }

    #[test]
    fn fragments_of_one_key_merge_into_one_session_sorted_by_key() {
        let mut packed = PackedSessions::default();
        push(
            &mut packed,
            "ASIAB",
            &session("job-2", 1_700_000_000, &[("s3:GetObject", 2)]),
        );
        push(
            &mut packed,
            "ASIAA",
            &session("job-1", 1_700_000_000, &[("s3:ListBucket", 1)]),
        );
        // A late call of ASIAB, still open when the report is built.
        let late = session(
            "job-2",
            1_700_090_000,
            &[("s3:GetObject", 1), ("s3:PutObject", 1)],
        );
        let list = SessionList::build(packed, [session_report("ASIAB".to_owned(), late)]);
        assert_eq!(list.len(), 2);
        let sessions = reports(&list);
        assert_eq!(sessions[0].0, "ASIAA");
        assert_eq!(sessions[1].0, "ASIAB");
        let b = &sessions[1].1;
        assert_eq!(b.counts.calls, 4);
        assert_eq!(b.counts.first_seen, Some(1_700_000_000));
        assert_eq!(b.counts.last_seen, Some(1_700_090_065));
        assert_eq!(b.names, vec![Box::<str>::from("job-2")]);
        let actions: Vec<(&str, u64)> = b.actions.iter().map(|(a, c)| (&**a, c.calls)).collect();
        assert_eq!(actions, [("s3:GetObject", 3), ("s3:PutObject", 1)]);
    }

    #[test]
    fn serde_writes_packed_sessions_as_a_list_and_packs_them_again() {
        let mut packed = PackedSessions::default();
        push(
            &mut packed,
            "ASIAA",
            &session("job-1", 1_700_000_000, &[("sts:GetCallerIdentity", 1)]),
        );
        let text = serde_json::to_string(&packed).expect("serialize");
        assert!(
            text.starts_with(r#"[{"access_key_id":"ASIAA","counts":{"calls":1"#),
            "{text}"
        );
        let back: PackedSessions = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, packed);
    }

    /// Counts as the scan makes them: both times or neither, in order
    /// (any two instants, so deltas from the session's start wrap too).
    fn arb_counts() -> impl Strategy<Value = Counts> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            proptest::option::of((any::<i64>(), any::<i64>())),
        )
            .prop_map(|(calls, denied, errors, times)| {
                let (first, last) = match times {
                    Some((a, b)) => (Some(a.min(b)), Some(a.max(b))),
                    None => (None, None),
                };
                counts(calls.into(), denied.into(), errors.into(), first, last)
            })
    }

    /// A session as the scan keeps it: names and actions sorted, once each.
    fn arb_session() -> impl Strategy<Value = SessionUsage> {
        use proptest::collection::{btree_map, btree_set};
        (
            arb_counts(),
            btree_set("[a-z\u{e9}\u{4e2d}-]{0,12}", 0..3),
            proptest::option::of(any::<bool>()),
            btree_set("[a-z@.]{0,8}", 0..2),
            btree_map("[a-z0-9]{1,6}:[A-Za-z]{1,12}", arb_counts(), 0..6),
        )
            .prop_map(
                |(counts, names, mfa, source_identities, actions)| SessionUsage {
                    counts,
                    names: names.into_iter().map(Into::into).collect(),
                    mfa,
                    source_identities: source_identities.into_iter().map(Into::into).collect(),
                    actions: actions.into_iter().map(|(a, c)| (a.into(), c)).collect(),
                },
            )
    }

    proptest! {
        /// Whatever is packed comes back as it was, field for field,
        /// including times far from the session's first call.
        #[test]
        fn packing_round_trips(
            sessions in proptest::collection::vec(("ASIA[A-Z0-9]{1,16}", arb_session()), 0..8)
        ) {
            let mut packed = PackedSessions::default();
            for (key, s) in &sessions {
                push(&mut packed, key, s);
            }
            prop_assert_eq!(packed.len(), sessions.len());
            let back: Vec<(String, SessionUsage)> = packed.iter().map(split).collect();
            prop_assert_eq!(back.len(), sessions.len());
            for ((key, s), (k, b)) in sessions.iter().zip(&back) {
                prop_assert_eq!(key, k);
                prop_assert!(same(s, b));
            }
        }

        /// Packing some fragments (spilled or not) and leaving others open
        /// gives the same sessions as merging them all in memory.
        #[test]
        fn the_list_equals_the_in_memory_merge(
            fragments in proptest::collection::vec(
                ("ASIA[A-C]", arb_session(), any::<bool>()), 0..10),
            run_bytes in prop_oneof![Just(0), Just(60), Just(super::super::RUN_BYTES)],
        ) {
            // Spilled after every record, every few, or not at all.
            let mut packed = PackedSessions::default().with_run_bytes(run_bytes);
            let mut open: std::collections::BTreeMap<String, SessionUsage> = Default::default();
            let mut expected: std::collections::BTreeMap<String, SessionUsage> = Default::default();
            for (key, s, pack) in fragments {
                if pack {
                    push(&mut packed, &key, &s);
                } else {
                    open.entry(key.clone()).or_default().merge(s.clone());
                }
                expected.entry(key).or_default().merge(s);
            }
            let list = SessionList::build(
                packed,
                open.into_iter().map(|(k, s)| session_report(k, s)),
            );
            let got = reports(&list);
            prop_assert_eq!(got.len(), expected.len());
            for ((key, s), (k, e)) in got.iter().zip(&expected) {
                prop_assert_eq!(key, k);
                prop_assert!(same(s, e), "{:?} != {:?}", s, e);
            }
        }
    }
}
