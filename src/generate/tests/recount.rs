//! Recounts the manifest from the written files with independent code.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::corpus::{Corpus, parse_key};
use super::small;
use crate::generate::Manifest;

/// `(key, type)` of a record's principal, by the documented rules.
fn principal_of(r: &Value) -> (String, &'static str) {
    let ui = &r["userIdentity"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match ui["type"].as_str() {
        _ if ui.is_null() => ("unknown".to_owned(), "unknown"),
        Some("IAMUser") => (s(&ui["arn"]), "iam_user"),
        Some("AssumedRole") => (s(&ui["sessionContext"]["sessionIssuer"]["arn"]), "role"),
        Some("Root") => (format!("arn:aws:iam::{}:root", s(&ui["accountId"])), "root"),
        Some("FederatedUser") => (s(&ui["arn"]), "federated_user"),
        Some("WebIdentityUser") => (s(&ui["identityProvider"]), "web_identity"),
        Some("SAMLUser") => (s(&ui["identityProvider"]), "saml"),
        Some("AWSAccount") => (s(&ui["accountId"]), "aws_account"),
        Some("AWSService") => (s(&ui["invokedBy"]), "aws_service"),
        None if ui.get("invokedBy").is_some() => (s(&ui["invokedBy"]), "aws_service"),
        _ => {
            let key = [&ui["arn"], &ui["principalId"]]
                .iter()
                .find_map(|v| v.as_str().filter(|x| !x.is_empty()))
                .unwrap_or("unknown");
            (key.to_owned(), "unknown")
        }
    }
}

/// What the test counts per principal.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    /// Principal type.
    kind: &'static str,
    /// Records.
    events: u64,
    /// Denied records.
    denied: u64,
    /// Other failures.
    errors: u64,
    /// Regions.
    regions: BTreeSet<String>,
    /// First and last eventTime.
    first: String,
    /// Last eventTime.
    last: String,
    /// Events per session access key (roles).
    sessions: BTreeMap<String, u64>,
}

/// Unique records of the corpus, keyed by eventID.
fn unique(c: &Corpus) -> (BTreeMap<String, &Value>, u64) {
    let mut seen = BTreeMap::new();
    let mut total = 0;
    for f in &c.log_files {
        for r in &f.records {
            total += 1;
            let id = r["eventID"].as_str().expect("eventID").to_owned();
            if let Some(prev) = seen.insert(id.clone(), r) {
                assert_eq!(prev, r, "duplicate {id} differs between copies");
            }
        }
    }
    (seen, total)
}

/// Adds one record to the per-principal recount.
fn add(map: &mut BTreeMap<String, Seen>, r: &Value) {
    let (key, kind) = principal_of(r);
    let e = map.entry(key).or_default();
    e.kind = kind;
    e.events += 1;
    let code = r["errorCode"].as_str().unwrap_or_default();
    let denied = code.starts_with("AccessDenied")
        || code.ends_with("UnauthorizedOperation")
        || code == "VpceAccessDenied";
    e.denied += u64::from(denied);
    e.errors += u64::from(!code.is_empty() && !denied);
    e.regions
        .insert(r["awsRegion"].as_str().unwrap().to_owned());
    let t = r["eventTime"].as_str().unwrap().to_owned();
    if e.first.is_empty() || t < e.first {
        e.first = t.clone();
    }
    if t > e.last {
        e.last = t;
    }
    let key_id = r["userIdentity"]["accessKeyId"]
        .as_str()
        .unwrap_or_default();
    if kind == "role" && !key_id.is_empty() {
        *e.sessions.entry(key_id.to_owned()).or_default() += 1;
    }
}

/// Checks the per-principal entries against the recount.
fn check_principals(m: &Manifest, records: &BTreeMap<String, &Value>) {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for r in records.values() {
        add(&mut seen, r);
    }
    let keys: Vec<&String> = seen.keys().collect();
    assert_eq!(keys, m.principals.keys().collect::<Vec<_>>());
    for (key, s) in &seen {
        let p = &m.principals[key];
        assert_eq!(
            (p.kind.as_str(), p.events, p.denied, p.errors),
            (s.kind, s.events, s.denied, s.errors),
            "{key}"
        );
        assert_eq!(
            p.regions.iter().cloned().collect::<BTreeSet<_>>(),
            s.regions,
            "{key}"
        );
        assert_eq!((&p.first_seen, &p.last_seen), (&s.first, &s.last), "{key}");
        let sessions: BTreeMap<String, u64> = p
            .sessions
            .iter()
            .map(|(k, v)| (k.clone(), v.events))
            .collect();
        assert_eq!(sessions, s.sessions, "{key}");
    }
}

/// Counts records by a string field (with a fallback for missing values).
fn count_by(
    records: &BTreeMap<String, &Value>,
    f: impl Fn(&Value) -> Option<String>,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in records.values() {
        if let Some(k) = f(r) {
            *out.entry(k).or_default() += 1;
        }
    }
    out
}

#[test]
fn manifest_matches_recount() {
    let (dir, m) = &small();
    let c = Corpus::load(dir.path());
    let (records, total) = unique(&c);
    assert_eq!(records.len() as u64, m.records);
    assert_eq!(total - records.len() as u64, m.duplicate_deliveries);
    let types = count_by(&records, |r| {
        Some(
            r["userIdentity"]["type"]
                .as_str()
                .unwrap_or("(none)")
                .to_owned(),
        )
    });
    assert_eq!(types, m.by_identity_type);
    let codes = count_by(&records, |r| r["errorCode"].as_str().map(str::to_owned));
    assert_eq!(codes, m.by_error_code);
    let cats = count_by(&records, |r| r["eventCategory"].as_str().map(str::to_owned));
    assert_eq!(cats, m.by_event_category);
    let times: BTreeSet<&str> = records
        .values()
        .map(|r| r["eventTime"].as_str().unwrap())
        .collect();
    assert_eq!(times.first().copied(), Some(m.time_range.first.as_str()));
    assert_eq!(times.last().copied(), Some(m.time_range.last.as_str()));
    assert_eq!(
        c.log_files.iter().map(|f| f.json_len).sum::<u64>(),
        m.bytes.log_json
    );
    assert_eq!(
        c.log_files.iter().map(|f| f.gz_len).sum::<u64>(),
        m.bytes.log_gzip
    );
    check_principals(m, &records);
}

#[test]
fn duplicates_land_in_two_files() {
    let (dir, m) = &small();
    let c = Corpus::load(dir.path());
    let mut files_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &c.log_files {
        for r in &f.records {
            files_of
                .entry(r["eventID"].as_str().unwrap())
                .or_default()
                .push(&f.rel);
        }
    }
    assert!(!m.traps.duplicate_samples.is_empty());
    for d in &m.traps.duplicate_samples {
        let files = &files_of[d.event_id.as_str()];
        assert_eq!(files.len(), 2, "{}", d.event_id);
        assert_ne!(files[0], files[1]);
        let mut listed = d.files.clone();
        listed.sort();
        let mut found: Vec<String> = files.iter().map(|s| (*s).to_owned()).collect();
        found.sort();
        assert_eq!(listed, found);
    }
}

#[test]
fn every_key_follows_layout() {
    let (dir, _) = &small();
    let c = Corpus::load(dir.path());
    assert!(!c.keys.is_empty());
    for key in &c.keys {
        let k = parse_key(key).unwrap_or_else(|| panic!("bad key {key}"));
        assert_eq!(k.org.is_some(), k.account != "333333333333", "{key}");
        if let Some(org) = k.org {
            assert_eq!(org, "o-a1b2c3d4e5");
        }
    }
    for f in &c.log_files {
        let k = parse_key(&f.rel).unwrap();
        for r in &f.records {
            assert_eq!(r["recipientAccountId"], k.account, "{}", f.rel);
            assert_eq!(r["awsRegion"], k.region, "{}", f.rel);
            // Files hold events from before their delivery stamp.
            let t = r["eventTime"].as_str().unwrap().replace('-', "");
            assert!(
                t[..8] <= *k.date,
                "{}: event {t} after delivery date",
                f.rel
            );
        }
    }
}

#[test]
fn lookup_events_reference_logged_records() {
    let (dir, m) = &small();
    let c = Corpus::load(dir.path());
    let (records, _) = unique(&c);
    let file = &m.lookup_events_files[0];
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(&file.path)).unwrap()).unwrap();
    let events = doc["Events"].as_array().unwrap();
    assert!(events.len() >= 5, "{} events", events.len());
    assert_eq!(events.len(), file.event_ids.len());
    for e in events {
        let id = e["EventId"].as_str().unwrap();
        let inner: Value = serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap();
        assert_eq!(inner["eventID"], id);
        assert_eq!(
            &inner, records[id],
            "lookup copy of {id} differs from the log copy"
        );
        assert!(e["ReadOnly"].is_string());
    }
}
