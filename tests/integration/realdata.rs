//! Every public dataset in `shared/realdata` (see its README) is analysed,
//! and the report's totals must equal an independent count made here with
//! `serde_json::Value`: records, events by `userIdentity.type`, events by
//! `errorCode`. The count follows the documented rules: Insights records are
//! not API activity, and an `eventID` counts once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::{analyze_json, files_below, read_maybe_gzip, shared};

#[derive(Debug, Default, PartialEq)]
struct Count {
    records: u64,
    events: u64,
    duplicates: u64,
    insight: u64,
    by_type: BTreeMap<String, u64>,
    by_error: BTreeMap<String, u64>,
}

fn independent_count(dir: &Path) -> Count {
    let mut count = Count::default();
    let mut seen = BTreeSet::new();
    for file in files_below(dir) {
        let doc: Value = serde_json::from_slice(&read_maybe_gzip(&file)).expect("JSON");
        for record in doc["Records"].as_array().expect("Records") {
            count.records += 1;
            if record["eventCategory"] == "Insight" || record["eventType"] == "AwsCloudTrailInsight"
            {
                count.insight += 1;
                continue;
            }
            if let Some(id) = record["eventID"].as_str()
                && !seen.insert(id.to_string())
            {
                count.duplicates += 1;
                continue;
            }
            count.events += 1;
            let kind = record["userIdentity"]["type"]
                .as_str()
                .unwrap_or("(none)")
                .to_string();
            *count.by_type.entry(kind).or_default() += 1;
            if let Some(code) = record["errorCode"].as_str().filter(|c| !c.is_empty()) {
                *count.by_error.entry(code.to_string()).or_default() += 1;
            }
        }
    }
    count
}

fn check_dataset(name: &str) {
    let dir = shared().join("realdata").join(name);
    let want = independent_count(&dir);
    assert!(want.records > 0, "{name} is empty");
    let report = analyze_json(&[&dir], &[]);
    let got = Count {
        records: report.input.records,
        events: report.input.events,
        duplicates: report.input.duplicates,
        insight: report.input.insight_records,
        by_type: report.input.by_identity_type.clone(),
        by_error: report.input.by_error_code.clone(),
    };
    assert_eq!(got, want, "{name}");
    assert!(
        report.input.skipped.is_empty(),
        "{name}: {:?}",
        report.input.skipped
    );
    let principal_events: u64 = report.principals.iter().map(|p| p.events).sum();
    assert_eq!(
        principal_events, want.events,
        "{name}: every event goes to one principal"
    );
}

#[test]
fn invictus_totals_match_an_independent_count() {
    check_dataset("invictus-aws-dataset");
}

#[test]
fn stratus_detonation_totals_match_an_independent_count() {
    check_dataset("stratus-red-team-detonation-logs");
}

#[test]
fn otrf_totals_match_an_independent_count() {
    check_dataset("otrf-ec2-proxy-s3-exfiltration");
}

#[test]
fn datadog_export_totals_match_an_independent_count() {
    check_dataset("datadog-stratus-2022-zmallen");
}

#[test]
fn trailscraper_fixture_totals_match_an_independent_count() {
    check_dataset("trailscraper-fixture");
}

#[test]
fn awsdocs_examples_totals_match_an_independent_count() {
    check_dataset("awsdocs-examples");
}

#[test]
fn panther_fixtures_totals_match_an_independent_count() {
    check_dataset("panther-analysis-fixtures");
}

#[test]
fn invictus_known_facts_hold() {
    // Facts from shared/realdata/README.md for this dataset.
    let report = analyze_json(&[&shared().join("realdata/invictus-aws-dataset")], &[]);
    assert_eq!(report.input.files, 55);
    assert_eq!(report.input.by_identity_type.get("(none)"), Some(&42));
    let bert = report
        .principals
        .iter()
        .find(|p| p.arn.ends_with(":user/bert-jan"))
        .expect("bert-jan");
    assert_eq!(bert.kind, "iam_user");
    let decrypt = bert
        .actions
        .iter()
        .find(|a| a.action == "kms:Decrypt")
        .expect("kms:Decrypt");
    assert_eq!(decrypt.calls, 178);
    // AccessDenied AssumeRole calls with null requestParameters are counted
    // as denied sts:AssumeRole, not dropped.
    let assume_denied: u64 = report
        .principals
        .iter()
        .flat_map(|p| p.actions.iter())
        .filter(|a| a.action == "sts:AssumeRole")
        .map(|a| a.denied)
        .sum();
    assert_eq!(assume_denied, 13);
    assert!(report.principals.iter().all(|p| !p.outside));
}

#[test]
fn otrf_s3_data_events_map_to_list_bucket_and_get_object() {
    let report = analyze_json(
        &[&shared().join("realdata/otrf-ec2-proxy-s3-exfiltration")],
        &[],
    );
    let actions: BTreeSet<&str> = report
        .principals
        .iter()
        .flat_map(|p| p.actions.iter().map(|a| a.action.as_str()))
        .collect();
    assert!(actions.contains("s3:ListBucket"), "{actions:?}");
    assert!(
        !actions.contains("s3:ListObjects"),
        "ListObjects is not an IAM action"
    );
}
