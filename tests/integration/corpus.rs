//! The committed generated corpus (`testdata/corpus`), analysed and compared
//! exactly with the ground truth its generator wrote (`manifest.json`):
//! totals, every principal's events, every action's counts and times, and
//! every session.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::common::{JsonPrincipal, JsonReport, analyze_json, corpus, run, vendortrail};

#[derive(Debug, Deserialize)]
struct Manifest {
    log_files: u64,
    digest_files: u64,
    insight_files: u64,
    insight_records: u64,
    records: u64,
    duplicate_deliveries: u64,
    broken_files: Vec<Broken>,
    by_identity_type: BTreeMap<String, u64>,
    by_error_code: BTreeMap<String, u64>,
    time_range: TimeRange,
    principals: BTreeMap<String, ManifestPrincipal>,
}

#[derive(Debug, Deserialize)]
struct Broken {
    path: String,
}

#[derive(Debug, Deserialize)]
struct TimeRange {
    first: String,
    last: String,
}

#[derive(Debug, Deserialize)]
struct ManifestPrincipal {
    #[serde(rename = "type")]
    kind: String,
    account: Option<String>,
    events: u64,
    denied: u64,
    errors: u64,
    actions: BTreeMap<String, ManifestAction>,
    permissionless_actions: BTreeMap<String, ManifestAction>,
    #[serde(default)]
    sessions: BTreeMap<String, ManifestSession>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct ManifestAction {
    calls: u64,
    denied: u64,
    errors: u64,
    first_seen: String,
    last_seen: String,
}

#[derive(Debug, Deserialize)]
struct ManifestSession {
    session_name: String,
    events: u64,
    mfa: bool,
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(corpus().join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest JSON")
}

fn logs_report() -> JsonReport {
    analyze_json(&[&corpus().join("AWSLogs")], &[])
}

#[test]
fn totals_match_the_manifest() {
    let m = manifest();
    let r = logs_report();
    assert_eq!(r.input.files, m.log_files);
    assert_eq!(r.input.events, m.records);
    assert_eq!(r.input.duplicates, m.duplicate_deliveries);
    // Insights records live in Insights files, which are skipped unread.
    assert_eq!(r.input.records, m.records + m.duplicate_deliveries);
    assert_eq!(r.input.insight_records, 0);
    assert!(m.insight_records > 0);
    assert_eq!(r.input.digest_files, m.digest_files);
    assert_eq!(r.input.insight_files, m.insight_files);
    assert_eq!(r.input.by_identity_type, m.by_identity_type);
    assert_eq!(r.input.by_error_code, m.by_error_code);
    assert_eq!(
        r.input.first_event.as_deref(),
        Some(m.time_range.first.as_str())
    );
    assert_eq!(
        r.input.last_event.as_deref(),
        Some(m.time_range.last.as_str())
    );
    assert!(r.input.skipped.is_empty(), "{:?}", r.input.skipped);
}

fn action_counts(p: &JsonPrincipal, needs_permission: bool) -> BTreeMap<String, ManifestAction> {
    p.actions
        .iter()
        .filter(|a| a.needs_permission == needs_permission)
        .map(|a| {
            let counts = ManifestAction {
                calls: a.calls,
                denied: a.denied,
                errors: a.errors,
                first_seen: a.first_seen.clone().unwrap_or_default(),
                last_seen: a.last_seen.clone().unwrap_or_default(),
            };
            (a.action.clone(), counts)
        })
        .collect()
}

#[test]
fn every_principal_and_action_matches_the_manifest_exactly() {
    let m = manifest();
    let r = logs_report();
    let got: Vec<&str> = r.principals.iter().map(|p| p.arn.as_str()).collect();
    let want: Vec<&str> = m.principals.keys().map(String::as_str).collect();
    assert_eq!(got, want, "principal keys");
    for p in &r.principals {
        let w = &m.principals[&p.arn];
        assert_eq!(p.kind, w.kind, "{} type", p.arn);
        assert_eq!(p.account, w.account, "{} account", p.arn);
        assert_eq!(
            (p.events, p.denied, p.errors),
            (w.events, w.denied, w.errors),
            "{} events",
            p.arn
        );
        assert_eq!(action_counts(p, true), w.actions, "{} actions", p.arn);
        assert_eq!(
            action_counts(p, false),
            w.permissionless_actions,
            "{} permissionless actions",
            p.arn
        );
    }
}

#[test]
fn role_sessions_match_the_manifest() {
    let m = manifest();
    let r = logs_report();
    for p in r.principals.iter().filter(|p| p.kind == "role") {
        let want = &m.principals[&p.arn].sessions;
        let got: BTreeMap<&str, (u64, Vec<String>, bool)> = p
            .sessions
            .iter()
            .map(|s| {
                (
                    s.access_key_id.as_str(),
                    (s.events, s.names.clone(), s.mfa.unwrap_or(false)),
                )
            })
            .collect();
        let want: BTreeMap<&str, (u64, Vec<String>, bool)> = want
            .iter()
            .map(|(k, s)| (k.as_str(), (s.events, vec![s.session_name.clone()], s.mfa)))
            .collect();
        assert_eq!(got, want, "{} sessions", p.arn);
    }
}

#[test]
fn sessions_issued_to_outside_accounts_are_joined_by_access_key() {
    let m = manifest();
    let r = logs_report();
    let issued: BTreeMap<&str, _> = r
        .issued_sessions
        .iter()
        .map(|s| (s.access_key_id.as_str(), s))
        .collect();
    let datadog = &m.principals["arn:aws:iam::111111111111:role/DatadogIntegrationRole"];
    assert!(!datadog.sessions.is_empty());
    for key in datadog.sessions.keys() {
        let opened = issued
            .get(key.as_str())
            .unwrap_or_else(|| panic!("no AssumeRole issued {key}"));
        assert_eq!(opened.caller_type, "aws_account");
        assert_eq!(opened.caller_account.as_deref(), Some("464622532012"));
        assert!(
            opened.external_id.is_some(),
            "Datadog assumes with an ExternalId"
        );
        assert_eq!(
            opened.role_arn.as_deref(),
            Some("arn:aws:iam::111111111111:role/DatadogIntegrationRole")
        );
    }
}

#[test]
fn lookup_events_copies_count_once() {
    let m = manifest();
    let both = analyze_json(
        &[&corpus().join("AWSLogs"), &corpus().join("lookup-events")],
        &[],
    );
    assert_eq!(
        both.input.events, m.records,
        "lookup-events records are copies of logged ones"
    );
    assert!(both.input.duplicates > m.duplicate_deliveries);
}

#[test]
fn broken_files_are_each_reported() {
    let m = manifest();
    let mut cmd = vendortrail();
    cmd.args(["analyze", "--format", "json"])
        .arg(corpus().join("broken"));
    let out = run(&mut cmd);
    assert!(out.status.success());
    let report: JsonReport = serde_json::from_slice(&out.stdout).expect("json");
    let mut got: Vec<String> = report
        .input
        .skipped
        .iter()
        .map(|s| s.path.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    let mut want: Vec<String> = m
        .broken_files
        .iter()
        .map(|b| b.path.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn account_and_region_filters_prune_folders() {
    let all = logs_report();
    let one = analyze_json(
        &[&corpus().join("AWSLogs")],
        &["--account", "222222222222", "--region", "us-east-1"],
    );
    assert!(one.input.files < all.input.files);
    assert!(
        one.input.pruned.get("account").copied().unwrap_or(0) > 0,
        "{:?}",
        one.input.pruned
    );
    assert!(
        one.principals
            .iter()
            .all(|p| p.arn != "arn:aws:iam::111111111111:user/alice")
    );
    assert!(one.input.events > 0);
}
