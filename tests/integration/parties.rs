//! Third parties: every vendor scenario of the committed corpus, attributed
//! by name, against the generator's ground truth (`manifest.json`
//! `vendors[]`: events attributed, temporary keys used, principals
//! carrying the activity); and the same corpus with no registry and no
//! network, where outside accounts still appear, under their account ids,
//! with their full activity.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::common::{catalog_dir, corpus, root, run, run_ok, shared, vendortrail};

#[derive(Debug, Deserialize)]
struct Report {
    third_parties: Vec<Party>,
    unattributed_sessions: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Party {
    name: String,
    how_identified: String,
    accounts: BTreeSet<String>,
    contractor: bool,
    principals: BTreeSet<String>,
    sessions: Sessions,
    events: u64,
    denied: u64,
    trusted_by: Vec<Value>,
    #[serde(default)]
    grants: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Sessions {
    count: u64,
    by_trust: u64,
}

fn parties(extra: &[&str]) -> (BTreeMap<String, Party>, Vec<Value>) {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .args(["--format", "json", "--catalog"])
        .arg(catalog_dir())
        .args(extra);
    let out = run_ok(&mut cmd);
    let report: Report = serde_json::from_slice(&out.stdout).expect("JSON report");
    (
        report
            .third_parties
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect(),
        report.unattributed_sessions,
    )
}

fn vendors() -> Vec<Value> {
    let m: Value =
        serde_json::from_slice(&std::fs::read(corpus().join("manifest.json")).expect("manifest"))
            .expect("JSON");
    m["vendors"].as_array().expect("vendors").clone()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn registry() -> String {
    root().join("testdata/vendors.toml").display().to_string()
}

#[test]
fn every_vendor_is_attributed_exactly() {
    let (parties, unattributed) = parties(&["--vendors", &registry()]);
    assert!(unattributed.is_empty(), "{unattributed:?}");
    for v in vendors() {
        let name = v["name"].as_str().expect("name");
        let p = parties
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from {:?}", parties.keys()));
        assert_eq!(p.how_identified, "registry", "{name}");
        assert_eq!(
            p.events,
            v["events_attributed"].as_u64().unwrap(),
            "{name}: events"
        );
        assert_eq!(
            p.sessions.count,
            v["expected_sessions"].as_u64().unwrap(),
            "{name}: sessions"
        );
        assert_eq!(p.sessions.by_trust, 0, "{name}");
        assert_eq!(
            p.principals,
            strings(&v["principals"]),
            "{name}: principals"
        );
        for account in strings(&v["outside_accounts"]) {
            assert!(p.accounts.contains(&account), "{name}: {account}");
        }
    }
    assert!(parties["Contractor"].contractor);
    // Every call the stale integration made was refused.
    let stale = &parties["Stale Integration"];
    assert_eq!(stale.denied, stale.events);
    assert_eq!(parties.len(), vendors().len());
}

#[test]
fn trust_policies_name_the_roles_each_party_can_use() {
    let mut args = vec!["--vendors".to_owned(), registry()];
    for entry in std::fs::read_dir(corpus().join("iam")).expect("iam") {
        args.push("--iam".to_owned());
        args.push(entry.expect("entry").path().display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (parties, unattributed) = parties(&args);
    assert!(unattributed.is_empty(), "{unattributed:?}");
    let roles = |name: &str| -> BTreeSet<String> {
        parties[name]
            .trusted_by
            .iter()
            .map(|t| t["role"].as_str().unwrap().to_owned())
            .collect()
    };
    // The dormant vendor never came, but its trust is still there.
    assert_eq!(parties["Dormant Vendor"].events, 0);
    assert_eq!(
        roles("Dormant Vendor"),
        BTreeSet::from(["arn:aws:iam::111111111111:role/DormantVendorRole".to_owned()])
    );
    let datadog = &parties["Datadog"].trusted_by[0];
    assert!(
        datadog["conditions"]
            .as_str()
            .unwrap()
            .contains("sts:ExternalId"),
        "{datadog}"
    );
    assert_eq!(
        roles("GitHub Actions"),
        BTreeSet::from(["arn:aws:iam::111111111111:role/GitHubActionsDeploy".to_owned()])
    );
    // Each party's grants carry the suggestion `vendortrail suggest` prints.
    let grant = &parties["Datadog"].grants[0];
    assert_eq!(
        grant["principal"],
        "arn:aws:iam::111111111111:role/DatadogIntegrationRole"
    );
    let snapshot: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("tests/integration/snapshots/suggest_DatadogIntegrationRole.json"),
        )
        .expect("snapshot"),
    )
    .expect("JSON");
    assert_eq!(grant["suggested_policy"][0], snapshot);
    // The dormant vendor's role: everything unused, nothing to keep.
    let dormant = &parties["Dormant Vendor"].grants[0];
    assert_eq!(dormant["totals"]["used"], 0);
    assert_eq!(dormant["suggested_policy"], serde_json::json!([]));
}

#[test]
fn without_a_registry_outside_accounts_are_unknown_third_parties() {
    // No registry, and an empty cache: no known-accounts list either.
    let (parties, _) = parties(&[]);
    for v in vendors() {
        let kind = v["kind"].as_str().unwrap();
        let outside = strings(&v["outside_accounts"]);
        match kind {
            // Own IAM users are only a vendor's when the registry says so.
            "iam_user" => continue,
            "web_identity" => {
                let p = &parties["token.actions.githubusercontent.com"];
                assert_eq!(p.how_identified, "oidc_provider");
                assert_eq!(p.events, v["events_attributed"].as_u64().unwrap());
            }
            _ if outside.is_empty() => continue,
            _ => {
                let account = outside.iter().next().unwrap();
                let Some(p) = parties.get(account) else {
                    // A vendor that never came leaves nothing in the logs.
                    assert_eq!(v["events_attributed"], 0, "{account}");
                    continue;
                };
                assert_eq!(p.how_identified, "unknown_account", "{account}");
                assert_eq!(
                    p.events,
                    v["events_attributed"].as_u64().unwrap(),
                    "{account}: full activity"
                );
                assert_eq!(p.sessions.count, v["expected_sessions"].as_u64().unwrap());
            }
        }
    }
}

#[test]
fn the_known_accounts_list_names_what_the_registry_does_not() {
    let list = shared().join("data/known_accounts/accounts.yaml");
    let (parties, _) = parties(&["--known-accounts", &list.display().to_string()]);
    // Datadog's account is on the public list.
    let datadog = &parties["Datadog"];
    assert_eq!(datadog.how_identified, "known_accounts");
    assert!(datadog.accounts.contains("464622532012"));
    // The others are not, and stay under their account ids.
    assert_eq!(parties["999988887777"].how_identified, "unknown_account");
}

#[test]
fn a_broken_registry_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vendors.toml");
    std::fs::write(&file, "[[vendor]]\nname = \"X\"\naccount = [\"1\"]\n").expect("write");
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .arg("--vendors")
        .arg(&file);
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("vendors.toml"), "{stderr}");
}

#[derive(Debug, Deserialize)]
struct Findings {
    findings: Vec<FindingJson>,
}

#[derive(Debug, Deserialize)]
struct FindingJson {
    check: String,
    severity: String,
    third_party: Option<String>,
    principal: Option<String>,
    remediation: String,
}

fn iam_flags() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(corpus().join("iam"))
        .expect("iam")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|p| ["--iam".to_owned(), p.display().to_string()])
        .collect()
}

/// A finding as (check, severity, party, principal).
type Found = (String, String, String, String);

/// Runs analyze with the registry and `extra`; returns the exit code and the
/// findings.
fn findings(extra: &[String]) -> (Option<i32>, BTreeSet<Found>) {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .args(["--format", "json", "--catalog"])
        .arg(catalog_dir())
        .args(["--vendors", &registry()])
        .args(extra);
    let out = run(&mut cmd);
    let report: Findings = serde_json::from_slice(&out.stdout).expect("JSON report");
    for f in &report.findings {
        assert!(!f.remediation.is_empty(), "{f:?}");
    }
    let set = report
        .findings
        .into_iter()
        .map(|f| {
            (
                f.check,
                f.severity,
                f.third_party.unwrap_or_default(),
                f.principal.unwrap_or_default(),
            )
        })
        .collect();
    (out.status.code(), set)
}

const PROD: &str = "arn:aws:iam::111111111111";

/// The corpus's planted risks, each found by its check (scenario facts of
/// the generator: Acme and the dormant vendor trust without ExternalId,
/// the contractor's day-to-day role has no MFA condition and half its
/// sessions had none, the stale integration's AssumeRole calls all fail,
/// root signed in, SharedReadOnly trusts "*").
#[test]
fn planted_risks_are_found() {
    let (code, found) = findings(&iam_flags());
    assert_eq!(code, Some(0), "no --fail-on: exit 0");
    let has = |check: &str, severity: &str, party: &str, principal: &str| {
        found.contains(&(
            check.to_owned(),
            severity.to_owned(),
            party.to_owned(),
            principal.to_owned(),
        ))
    };
    let expected = [
        (
            "trust-without-external-id",
            "high",
            "Acme Backup",
            format!("{PROD}:role/AcmeBackupRole"),
        ),
        (
            "trust-without-external-id",
            "high",
            "Dormant Vendor",
            format!("{PROD}:role/DormantVendorRole"),
        ),
        (
            "contractor-mfa",
            "high",
            "Contractor",
            format!("{PROD}:role/ContractorAccess"),
        ),
        ("contractor-mfa", "medium", "Contractor", String::new()),
        (
            "refused-assume-role",
            "medium",
            "Stale Integration",
            "888899990000".to_owned(),
        ),
        ("root-activity", "high", "", format!("{PROD}:root")),
        (
            "open-trust",
            "critical",
            "",
            "arn:aws:iam::222222222222:role/SharedReadOnly".to_owned(),
        ),
        (
            "unused-access",
            "medium",
            "Dormant Vendor",
            format!("{PROD}:role/DormantVendorRole"),
        ),
        (
            "privileged-grants",
            "critical",
            "Contractor",
            format!("{PROD}:role/ContractorAccess"),
        ),
    ];
    for (check, severity, party, principal) in &expected {
        assert!(
            has(check, severity, party, principal),
            "missing {check} {severity} {party} {principal} in {found:#?}"
        );
    }
    // Datadog sends its ExternalId, and the break-glass role requires MFA.
    assert!(
        !found
            .iter()
            .any(|f| f.0 == "trust-without-external-id" && f.2 == "Datadog")
    );
    assert!(
        !found
            .iter()
            .any(|f| f.0 == "contractor-mfa" && f.3.ends_with("ContractorBreakGlass"))
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let mut args = iam_flags();
    args.extend(["--fail-on".to_owned(), "critical".to_owned()]);
    assert_eq!(findings(&args).0, Some(1));
    // Without IAM data the worst finding is root activity (high).
    assert_eq!(
        findings(&["--fail-on".to_owned(), "critical".to_owned()]).0,
        Some(0)
    );
    assert_eq!(
        findings(&["--fail-on".to_owned(), "high".to_owned()]).0,
        Some(1)
    );
}

/// `who`: every record that names the bucket, counted independently (each
/// unique record's JSON searched for the name), and the Acme Backup role's
/// calls on it attributed to Acme Backup.
#[test]
fn who_lists_every_event_that_touched_a_resource() {
    use crate::common::{files_below, read_maybe_gzip};
    let bucket = "prod-app-data-111111111111";
    let mut seen = BTreeSet::new();
    let mut expected = 0;
    for file in files_below(&corpus().join("AWSLogs")) {
        let name = file.to_string_lossy();
        if name.contains("CloudTrail-Digest") || name.contains("CloudTrail-Insight") {
            continue;
        }
        let doc: Value = serde_json::from_slice(&read_maybe_gzip(&file)).expect("JSON");
        for record in doc["Records"].as_array().into_iter().flatten() {
            let id = record["eventID"].as_str().unwrap_or_default().to_owned();
            if !seen.insert(id) {
                continue;
            }
            if record.to_string().contains(bucket) {
                expected += 1;
            }
        }
    }
    assert!(expected > 100, "{expected}");
    let mut cmd = vendortrail();
    cmd.args(["who", bucket])
        .arg(corpus().join("AWSLogs"))
        .args(["--format", "json", "--vendors", &registry()]);
    let out = run_ok(&mut cmd);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON rows");
    assert_eq!(rows.len(), expected);
    let mut times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    let sorted = {
        let mut t = times.clone();
        t.sort();
        t
    };
    assert_eq!(times, sorted, "oldest first");
    times.clear();
    for r in &rows {
        if r["principal"] == format!("{PROD}:role/AcmeBackupRole") {
            assert_eq!(r["third_party"], "Acme Backup", "{r}");
        }
        if r["principal"] == format!("{PROD}:role/app-server") {
            assert!(r["third_party"].is_null(), "{r}");
        }
    }
}

/// The risks each vendor scenario planted (`planted_findings` in the
/// manifest, derived by the generator from the scenario's facts) are
/// exactly the findings of those checks for that party.
#[test]
fn planted_findings_match_the_manifest_exactly() {
    let (_, found) = findings(&iam_flags());
    let planted_checks = [
        "trust-without-external-id",
        "refused-assume-role",
        "contractor-mfa",
    ];
    for v in vendors() {
        let name = v["name"].as_str().unwrap();
        let want: BTreeSet<String> = strings(&v["planted_findings"]);
        let got: BTreeSet<String> = found
            .iter()
            .filter(|f| f.2 == name && planted_checks.contains(&f.0.as_str()))
            .map(|f| f.0.clone())
            .collect();
        let want_planted: BTreeSet<String> = want
            .iter()
            .filter(|c| planted_checks.contains(&c.as_str()))
            .cloned()
            .collect();
        assert_eq!(got, want_planted, "{name}");
        // A trust nobody used is planted for the dormant vendor: found as
        // an unused trust of its role.
        if want.contains("unused-access") {
            assert!(
                found
                    .iter()
                    .any(|f| f.0 == "unused-access" && f.2 == name && f.3.contains(":role/")),
                "{name}"
            );
        }
    }
}

/// With the IAM credential report, the vendor IAM user's key ages, unused
/// keys, second active key and console password are found.
#[test]
fn the_credential_report_reveals_vendor_key_hygiene() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("credential-report.csv");
    std::fs::write(
        &report,
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
         vendor-ci-deployer,arn:aws:iam::111111111111:user/vendor-ci-deployer,2021-01-01T00:00:00+00:00,true,2024-02-01T00:00:00+00:00,2021-01-01T00:00:00+00:00,N/A,false,true,2021-01-02T00:00:00+00:00,2024-03-05T00:00:00+00:00,us-east-1,lambda,true,2023-06-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n",
    )
    .expect("write");
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .args(["--format", "json", "--catalog"])
        .arg(catalog_dir())
        .args(["--vendors", &registry()])
        .arg("--credential-report")
        .arg(&report);
    let out = run_ok(&mut cmd);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let user = format!("{PROD}:user/vendor-ci-deployer");
    let messages: BTreeSet<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == "vendor-iam-user" && f["principal"] == user.as_str())
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    // Two active keys, a console password, both keys older than 90 days,
    // the second never used.
    let expected: BTreeSet<String> = [
        format!("vendor user {user} has 2 active access keys"),
        format!("vendor user {user} has a console password"),
        format!("access key 1 of vendor user {user} is older than 90 days"),
        format!("access key 2 of vendor user {user} is older than 90 days"),
        format!("access key 2 of vendor user {user} unused for 90 days"),
    ]
    .into_iter()
    .collect();
    assert_eq!(messages, expected);
}
