//! The cast is complete and coherent: every principal of the scenario acts,
//! vendor facts match the IAM export, and every action name exists in AWS's
//! service reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::corpus::Corpus;
use super::small;
use crate::generate::ops;

/// Expected principal keys and types.
const EXPECTED: &[(&str, &str)] = &[
    (
        "arn:aws:iam::111111111111:role/DatadogIntegrationRole",
        "role",
    ),
    ("464622532012", "aws_account"),
    ("arn:aws:iam::111111111111:role/AcmeBackupRole", "role"),
    ("999988887777", "aws_account"),
    ("arn:aws:iam::111111111111:role/ChainerEntryRole", "role"),
    ("arn:aws:iam::222222222222:role/ChainerDataRole", "role"),
    ("444455556666", "aws_account"),
    ("111111111111", "aws_account"),
    (
        "arn:aws:iam::111111111111:user/vendor-ci-deployer",
        "iam_user",
    ),
    ("token.actions.githubusercontent.com", "web_identity"),
    ("arn:aws:iam::111111111111:role/GitHubActionsDeploy", "role"),
    ("arn:aws:iam::777788889999:role/Reader", "role"),
    ("arn:aws:iam::111111111111:role/ContractorAccess", "role"),
    (
        "arn:aws:iam::111111111111:role/ContractorBreakGlass",
        "role",
    ),
    ("123456789012", "aws_account"),
    ("888899990000", "aws_account"),
    ("arn:aws:iam::111111111111:user/alice", "iam_user"),
    ("arn:aws:iam::111111111111:root", "root"),
    (
        "arn:aws:sts::111111111111:federated-user/alice-fed",
        "federated_user",
    ),
    ("arn:aws:iam::111111111111:saml-provider/Okta", "saml"),
    ("arn:aws:iam::111111111111:role/OktaAdmin", "role"),
    ("arn:aws:iam::111111111111:role/app-server", "role"),
    ("ec2.amazonaws.com", "aws_service"),
    (
        "arn:aws:iam::111111111111:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway",
        "role",
    ),
    ("cloudtrail.amazonaws.com", "aws_service"),
    ("secretsmanager.amazonaws.com", "aws_service"),
    (
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123",
        "role",
    ),
    (
        "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123",
        "role",
    ),
    ("arn:aws:iam::333333333333:user/ops-bot", "iam_user"),
];

#[test]
fn every_principal_acts() {
    let (_, m) = &small();
    for (key, kind) in EXPECTED {
        let p = m
            .principals
            .get(*key)
            .unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(p.kind, *kind, "{key}");
        assert!(p.events > 0, "{key}");
    }
    assert!(m.principals.values().any(|p| p.kind == "unknown"));
    assert_eq!(
        m.principals["888899990000"].denied,
        m.principals["888899990000"].events
    );
    let reader = &m.principals["arn:aws:iam::777788889999:role/Reader"];
    assert_eq!(reader.account.as_deref(), Some("777788889999"));
    assert!(m.by_identity_type.contains_key("(none)"));
    let acme = &m.principals["arn:aws:iam::111111111111:role/AcmeBackupRole"];
    for a in [
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
    ] {
        assert!(acme.actions.contains_key(a), "Acme lacks {a}");
    }
    assert!(acme.actions["s3:DeleteObject"].denied > 0);
    let ci = &m.principals["arn:aws:iam::111111111111:user/vendor-ci-deployer"];
    assert!(
        ci.actions.contains_key("lambda:ListFunctions")
            && ci.actions.contains_key("cloudfront:CreateInvalidation")
    );
    assert!(
        ci.permissionless_actions
            .contains_key("sts:GetCallerIdentity")
    );
    assert!(
        m.principals["arn:aws:iam::111111111111:user/alice"]
            .permissionless_actions
            .contains_key("signin:ConsoleLogin")
    );
}

#[test]
fn sessions_and_vendors_are_consistent() {
    let (_, m) = &small();
    let role = |name: &str| &m.principals[&format!("arn:aws:iam::111111111111:role/{name}")];
    assert!(
        role("DatadogIntegrationRole")
            .sessions
            .values()
            .all(|s| s.opened_by_account.as_deref() == Some("464622532012"))
    );
    let chain = &m.principals["arn:aws:iam::222222222222:role/ChainerDataRole"];
    assert!(
        chain
            .sessions
            .values()
            .all(|s| s.opened_by_account.as_deref() == Some("111111111111"))
    );
    let mfa: BTreeSet<bool> = role("ContractorAccess")
        .sessions
        .values()
        .map(|s| s.mfa)
        .collect();
    assert_eq!(mfa.len(), 2, "contractor sessions with and without MFA");
    assert!(
        role("ContractorBreakGlass")
            .sessions
            .values()
            .all(|s| s.mfa)
    );
    for v in &m.vendors {
        if v.name == "Dormant Vendor" {
            assert_eq!((v.events_attributed, v.expected_sessions), (0, 0));
        } else {
            assert!(v.events_attributed > 0, "{}", v.name);
        }
    }
    let datadog = m.vendors.iter().find(|v| v.name == "Datadog").unwrap();
    assert_eq!(
        datadog.expected_sessions as usize,
        role("DatadogIntegrationRole").sessions.len()
    );
}

/// Every record of the corpus.
fn all_records(c: &Corpus) -> impl Iterator<Item = &Value> {
    c.log_files.iter().flat_map(|f| f.records.iter())
}

#[test]
fn records_carry_the_documented_shapes() {
    let (dir, _) = &small();
    let c = Corpus::load(dir.path());
    let mut issued = BTreeSet::new();
    let mut used = BTreeSet::new();
    let (mut basic, mut extended, mut comma, mut no_comma, mut empty_key) = (0, 0, 0, 0, 0);
    let mut versions = BTreeSet::new();
    for r in all_records(&c) {
        versions.insert(r["eventVersion"].as_str().unwrap().to_owned());
        let ui = &r["userIdentity"];
        if ui["accessKeyId"] == "" {
            empty_key += 1;
        }
        if let Some(k) = ui["accessKeyId"].as_str().filter(|k| k.starts_with("ASIA")) {
            used.insert(k.to_owned());
        }
        match ui["sessionContext"]["attributes"]["creationDate"].as_str() {
            Some(d) if d.contains('-') => extended += 1,
            Some(_) => basic += 1,
            None => {}
        }
        if let Some(exp) = r["responseElements"]["credentials"]["expiration"].as_str() {
            if exp.matches(',').count() == 2 {
                comma += 1
            } else {
                no_comma += 1
            }
            issued.insert(
                r["responseElements"]["credentials"]["accessKeyId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        if r["eventCategory"] == "Data" && r["eventSource"] == "s3.amazonaws.com" {
            assert_eq!(r["managementEvent"], false);
            assert!(
                r["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x.get("ARN").is_some())
            );
        }
        if r["eventName"] == "AssumeRole" && r["userIdentity"]["accountId"] == "464622532012" {
            assert_eq!(
                r["requestParameters"]["externalId"],
                "3f8a1c2e9b7d4e6fa0c5d2b18e7f9a64"
            );
        }
        if r["eventName"] == "AssumeRole" && r["userIdentity"]["accountId"] == "999988887777" {
            assert!(r["requestParameters"].get("externalId").is_none());
        }
    }
    assert!(basic > 0 && extended > 0 && comma > 0 && no_comma > 0 && empty_key > 0);
    assert_eq!(
        versions,
        ["1.08", "1.09", "1.10", "1.11"].map(str::to_owned).into()
    );
    assert!(
        issued.iter().all(|k| used.contains(k)),
        "every issued key is used by its session"
    );
}

#[test]
fn iam_exports_match_the_scenario() {
    let (dir, m) = &small();
    let prod: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(&m.iam_exports[0])).unwrap())
            .unwrap();
    let data: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(&m.iam_exports[1])).unwrap())
            .unwrap();
    let roles: BTreeMap<&str, &Value> = prod["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .chain(data["RoleDetailList"].as_array().unwrap())
        .map(|r| (r["RoleName"].as_str().unwrap(), r))
        .collect();
    let dormant = roles["DormantVendorRole"];
    assert_eq!(dormant["RoleLastUsed"], serde_json::json!({}));
    assert_eq!(
        dormant["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::555566667777:root"
    );
    let dd = &roles["DatadogIntegrationRole"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        ["StringEquals"]["sts:ExternalId"];
    assert_eq!(dd, "3f8a1c2e9b7d4e6fa0c5d2b18e7f9a64");
    assert!(
        roles["AcmeBackupRole"]["AssumeRolePolicyDocument"]["Statement"][0]
            .get("Condition")
            .is_none()
    );
    assert_eq!(
        roles["SharedReadOnly"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "*"
    );
    let chainer = roles["ChainerDataRole"];
    assert!(chainer["PermissionsBoundary"]["PermissionsBoundaryArn"].is_string());
    let not_action = &chainer["RolePolicyList"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        (&not_action["Effect"], not_action["NotAction"].is_array()),
        (&Value::from("Allow"), true)
    );
    assert!(
        roles["ContractorBreakGlass"]["AssumeRolePolicyDocument"]
            .to_string()
            .contains("aws:MultiFactorAuthPresent")
    );
    assert!(
        !roles["ContractorAccess"]["AssumeRolePolicyDocument"]
            .to_string()
            .contains("MultiFactor")
    );
    let encoded: Vec<&Value> = prod["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["PolicyVersionList"].as_array().unwrap())
        .filter(|v| v["Document"].is_string())
        .collect();
    assert_eq!(encoded.len(), 1, "exactly one URL-encoded policy document");
    assert!(encoded[0]["Document"].as_str().unwrap().starts_with("%7B"));
    assert_eq!(
        prod["UserDetailList"][0]["GroupList"],
        serde_json::json!(["Admins", "Developers"])
    );
}

/// Where AWS's service reference lives (override with `VENDORTRAIL_SERVICE_REFERENCE`).
fn service_reference() -> PathBuf {
    std::env::var_os("VENDORTRAIL_SERVICE_REFERENCE")
        .map_or_else(crate::testutil::service_reference_dir, PathBuf::from)
}

/// Action names of one service.
fn actions_of(service: &str, cache: &mut BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    cache
        .entry(service.to_owned())
        .or_insert_with(|| {
            let path = service_reference()
                .join(service)
                .join(format!("{service}.json"));
            let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let doc: Value = serde_json::from_slice(&text).unwrap();
            doc["Actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["Name"].as_str().unwrap().to_owned())
                .collect()
        })
        .clone()
}

#[test]
fn every_action_exists_in_the_service_reference() {
    let (_, m) = &small();
    let mut cache = BTreeMap::new();
    let mut names: BTreeSet<String> = m
        .principals
        .values()
        .flat_map(|p| p.actions.keys().cloned())
        .collect();
    for op in ops::ALL {
        if let ops::Access::Actions(list) = op.access {
            names.extend(list.iter().map(|a| (*a).to_owned()));
        }
    }
    assert!(names.len() > 40);
    for action in &names {
        let (service, name) = action.split_once(':').unwrap();
        assert!(
            actions_of(service, &mut cache).contains(name),
            "{action} is not in the service reference"
        );
    }
    for p in m.principals.values() {
        for key in p.permissionless_actions.keys() {
            assert!(
                key.starts_with("sts:") || key.starts_with("signin:"),
                "{key}"
            );
        }
    }
}
