//! Used vs granted and least-privilege suggestions, end to end through the
//! binary.
//!
//! The committed corpus's IAM exports were written by the generator to fit
//! the behaviour in its logs, so the expected split follows from the
//! manifest (which calls each principal made and how they ended) plus the
//! scenario facts stated here: which refused calls were refused despite a
//! grant (the contractor's `iam:PutRolePolicy`, granted only from a VPN
//! range), and which were never granted. Granted counts are checked against
//! an independent expansion of the grant over the service reference, done
//! here with a naive matcher.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::common::{assert_snapshot, catalog_dir, corpus, run, run_ok, vendortrail};

#[derive(Debug, Deserialize)]
struct Report {
    grants: Vec<Comparison>,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    principal: String,
    totals: Level,
    actions: Vec<ActionStatus>,
    ungranted: Vec<Ungranted>,
}

#[derive(Debug, Deserialize)]
struct Level {
    granted: usize,
    used: usize,
    denied: usize,
    unused: usize,
    not_observable: usize,
}

#[derive(Debug, Deserialize)]
struct ActionStatus {
    action: String,
    status: String,
    calls: u64,
    conditional: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Ungranted {
    action: String,
    reason: String,
}

fn iam_exports() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("iam"))
        .expect("iam dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn iam_args() -> Vec<String> {
    iam_exports()
        .into_iter()
        .flat_map(|p| ["--iam".to_owned(), p.display().to_string()])
        .collect()
}

fn corpus_grants() -> BTreeMap<String, Comparison> {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .args(["--format", "json", "--catalog"])
        .arg(catalog_dir())
        .args(iam_args());
    let out = run_ok(&mut cmd);
    let report: Report = serde_json::from_slice(&out.stdout).expect("JSON report");
    report
        .grants
        .into_iter()
        .map(|c| (c.principal.clone(), c))
        .collect()
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(corpus().join("manifest.json")).expect("manifest"))
        .expect("manifest JSON")
}

/// Every `service:Action` in the service reference, read naively.
fn catalog_actions() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(catalog_dir()).expect("catalog") {
        let dir = entry.expect("entry").path();
        let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let file = dir.join(format!("{name}.json"));
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let doc: Value = serde_json::from_slice(&bytes).expect("service JSON");
        let prefix = doc["Name"].as_str().expect("Name");
        for action in doc["Actions"].as_array().into_iter().flatten() {
            out.push(format!(
                "{prefix}:{}",
                action["Name"].as_str().expect("action name")
            ));
        }
    }
    out
}

/// Naive recursive glob, case-insensitive: the test's own matcher.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => {
            text.first().is_some_and(|t| t.eq_ignore_ascii_case(c)) && glob(rest, &text[1..])
        }
    }
}

/// Actions (with calls, denied) of a manifest principal.
fn manifest_actions(m: &Value, principal: &str) -> BTreeMap<String, (u64, u64)> {
    m["principals"][principal]["actions"]
        .as_object()
        .map(|actions| {
            actions
                .iter()
                .map(|(a, s)| {
                    (
                        a.clone(),
                        (s["calls"].as_u64().unwrap(), s["denied"].as_u64().unwrap()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn with_status<'a>(c: &'a Comparison, status: &str) -> BTreeSet<&'a str> {
    c.actions
        .iter()
        .filter(|a| a.status == status)
        .map(|a| a.action.as_str())
        .collect()
}

const PROD: &str = "arn:aws:iam::111111111111";

#[test]
fn used_vs_granted_matches_the_corpus_ground_truth() {
    let grants = corpus_grants();
    let m = manifest();
    // Refused calls the grant allowed on paper (scenario fact: the
    // contractor's policy edits came from outside the VPN range).
    let refused_despite_grant: BTreeMap<String, BTreeSet<&str>> = BTreeMap::from([(
        format!("{PROD}:role/ContractorAccess"),
        BTreeSet::from(["iam:PutRolePolicy"]),
    )]);
    let chosen = [
        format!("{PROD}:role/DatadogIntegrationRole"),
        format!("{PROD}:role/AcmeBackupRole"),
        format!("{PROD}:role/ContractorAccess"),
        format!("{PROD}:role/ContractorBreakGlass"),
        format!("{PROD}:role/GitHubActionsDeploy"),
        format!("{PROD}:role/DormantVendorRole"),
        format!("{PROD}:user/vendor-ci-deployer"),
        "arn:aws:iam::222222222222:role/ChainerDataRole".to_owned(),
    ];
    for principal in &chosen {
        let c = grants
            .get(principal)
            .unwrap_or_else(|| panic!("{principal} compared"));
        let truth = manifest_actions(&m, principal);
        let expected_used: BTreeSet<&str> = truth
            .iter()
            .filter(|(_, (calls, denied))| calls > denied)
            .map(|(a, _)| a.as_str())
            .collect();
        let refused: BTreeSet<&str> = truth
            .iter()
            .filter(|(_, (calls, denied))| calls == denied)
            .map(|(a, _)| a.as_str())
            .collect();
        let expected_denied = refused_despite_grant
            .get(principal)
            .cloned()
            .unwrap_or_default();
        assert_eq!(with_status(c, "used"), expected_used, "{principal}: used");
        assert_eq!(
            with_status(c, "denied"),
            expected_denied,
            "{principal}: denied"
        );
        let refused_ungranted: BTreeSet<&str> = c
            .ungranted
            .iter()
            .filter(|u| u.reason == "refused")
            .map(|u| u.action.as_str())
            .collect();
        assert_eq!(
            refused_ungranted,
            &refused - &expected_denied,
            "{principal}: refused and never granted"
        );
        let t = &c.totals;
        assert_eq!(
            t.used + t.denied + t.unused + t.not_observable,
            t.granted,
            "{principal}: every granted action has one status"
        );
        assert_eq!(t.granted, c.actions.len());
        for a in &c.actions {
            match a.status.as_str() {
                "used" | "denied" => assert!(a.calls > 0, "{principal} {}", a.action),
                _ => assert_eq!(a.calls, 0, "{principal} {}", a.action),
            }
        }
    }

    // Not observable, for the documented reasons.
    let not_observable = |p: &str| with_status(&grants[p], "not_observable");
    // iam:PassRole is a permission only: no API call is logged under it.
    assert!(not_observable(&format!("{PROD}:role/GitHubActionsDeploy")).contains("iam:PassRole"));
    // The corpus has S3 data events but no Lambda data events.
    let ci = not_observable(&format!("{PROD}:user/vendor-ci-deployer"));
    assert!(ci.contains("lambda:InvokeFunction"), "{ci:?}");
    let acme = &grants[&format!("{PROD}:role/AcmeBackupRole")];
    assert_eq!(
        acme.actions
            .iter()
            .find(|a| a.action == "s3:GetObject")
            .map(|a| a.status.as_str()),
        Some("used")
    );
    assert!(with_status(acme, "not_observable").contains("s3:GetObjectVersion"));
    // The dormant vendor used nothing.
    let dormant = &grants[&format!("{PROD}:role/DormantVendorRole")].totals;
    assert_eq!((dormant.used, dormant.denied), (0, 0));
    assert!(dormant.unused > 0);

    // A conditional grant, decided from the log: every observed
    // ssm:GetParameter call was in us-east-1.
    let contractor = &grants[&format!("{PROD}:role/ContractorAccess")];
    let param = contractor
        .actions
        .iter()
        .find(|a| a.action == "ssm:GetParameter")
        .expect("ssm:GetParameter granted");
    let check = param.conditional.as_ref().expect("conditional");
    assert_eq!(check["outcome"], "true");
    assert_eq!(check["failing"], 0);
}

#[test]
fn granted_counts_match_an_independent_expansion() {
    let grants = corpus_grants();
    let actions = catalog_actions();
    let expand = |patterns: &[&str]| -> BTreeSet<String> {
        actions
            .iter()
            .filter(|a| patterns.iter().any(|p| glob(p.as_bytes(), a.as_bytes())))
            .cloned()
            .collect()
    };
    // Datadog's grant: the read-only wildcards of its managed policy (v2,
    // the default version), on every resource, no deny.
    let datadog = expand(&[
        "ec2:Describe*",
        "cloudwatch:Get*",
        "cloudwatch:List*",
        "cloudwatch:Describe*",
        "tag:GetResources",
        "tag:GetTagKeys",
        "tag:GetTagValues",
        "elasticloadbalancing:Describe*",
        "lambda:List*",
    ]);
    let c = &grants[&format!("{PROD}:role/DatadogIntegrationRole")];
    let got: BTreeSet<String> = c.actions.iter().map(|a| a.action.clone()).collect();
    assert_eq!(got, datadog);
    // Administrators hold the whole catalog.
    let admin = &grants[&format!("{PROD}:user/alice")];
    assert_eq!(admin.totals.granted, actions.len());
}

/// Runs `suggest` on the corpus for one principal with extra flags.
fn suggest(principal: &str, extra: &[&str]) -> (String, String) {
    let mut cmd = vendortrail();
    cmd.arg("suggest")
        .arg(corpus().join("AWSLogs"))
        .arg("--catalog")
        .arg(catalog_dir())
        .args(iam_args())
        .args(["--principal", principal])
        .args(extra);
    let out = run_ok(&mut cmd);
    (
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

#[test]
fn vendor_role_suggestions_match_snapshots() {
    let m = manifest();
    let mut roles: BTreeSet<String> = BTreeSet::new();
    // A failed AssumeRole targets a role that no longer exists.
    for vendor in m["vendors"]
        .as_array()
        .expect("vendors")
        .iter()
        .filter(|v| v["kind"] != "failed_assume_role")
    {
        for key in ["roles", "users"] {
            for arn in vendor[key].as_array().expect("list") {
                roles.insert(arn.as_str().expect("ARN").to_owned());
            }
        }
    }
    assert!(roles.len() >= 8, "{roles:?}");
    for arn in &roles {
        let (policy, explain) = suggest(arn, &[]);
        let name = arn.rsplit('/').next().expect("name");
        assert_snapshot(&format!("suggest_{name}.json"), &policy);
        assert!(explain.contains("check: passed"), "{arn}:\n{explain}");
        let documents: Value = serde_json::from_str(&policy).expect("policy JSON");
        // Every successful call of the principal in the manifest is kept,
        // unless the grant never allowed it.
        let kept: BTreeSet<String> = statements(&documents)
            .filter(|s| s["Effect"] == "Allow")
            .flat_map(|s| strings(&s["Action"]))
            .collect();
        for (action, (calls, denied)) in manifest_actions(&m, arn) {
            if calls > denied && !arn.ends_with("role/ChainerEntryRole") {
                assert!(
                    kept.contains(&action),
                    "{arn}: {action} missing from\n{policy}"
                );
            }
        }
    }
}

fn statements(documents: &Value) -> impl Iterator<Item = &Value> {
    let docs: Vec<&Value> = match documents {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    docs.into_iter()
        .flat_map(|d| d["Statement"].as_array().into_iter().flatten())
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn suggestion_formats_and_options() {
    let acme = format!("{PROD}:role/AcmeBackupRole");
    let (terraform, _) = suggest(&acme, &["--format", "terraform"]);
    assert_snapshot("suggest_AcmeBackupRole.tf", &terraform);
    let (cloudformation, _) = suggest(&acme, &["--format", "cloudformation"]);
    assert_snapshot("suggest_AcmeBackupRole.yaml", &cloudformation);
    let (prefix, _) = suggest(&acme, &["--resources", "prefix", "--condition", "region"]);
    assert_snapshot("suggest_AcmeBackupRole_prefix_region.json", &prefix);
    let (_, explain) = suggest(&acme, &[]);
    assert_snapshot("suggest_AcmeBackupRole_explain.txt", &explain);
    assert!(explain.contains("s3:DeleteObject") || explain.contains("removed"));
}

#[test]
fn suggest_errors_are_reported() {
    let mut no_iam = vendortrail();
    no_iam
        .arg("suggest")
        .arg(corpus().join("AWSLogs"))
        .arg("--catalog")
        .arg(catalog_dir())
        .args(["--principal", "AcmeBackupRole"]);
    let out = run(&mut no_iam);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--iam"));

    let mut unknown = vendortrail();
    unknown
        .arg("suggest")
        .arg(corpus().join("AWSLogs"))
        .arg("--catalog")
        .arg(catalog_dir())
        .args(iam_args())
        .args(["--principal", "NoSuchRole"]);
    let out = run(&mut unknown);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NoSuchRole"));
}
