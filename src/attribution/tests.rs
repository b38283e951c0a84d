//! Attribution over hand-written records in the shapes AWS documents for
//! each identity type (CloudTrail user guide, "CloudTrail userIdentity
//! element"; IAM user guide, "Logging IAM and AWS STS API calls with AWS
//! CloudTrail", the cross-account AssumeRole example; see
//! `shared/design/cloudtrail-facts.md` §4.3–4.4), run through the whole
//! scan: file → records → usage → report → attribution.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::registry::Registry;
use super::*;
use crate::event::ActionMapper;
use crate::pipeline::{ScanContext, scan};
use crate::progress::Progress;
use crate::report::CatalogUse;
use crate::source::{Filters, local};

const OURS: &str = "111111111111";
const VENDOR: &str = "999988887777";
const PROBER: &str = "888877776666";
const DIRECT: &str = "777766665555";

/// `AssumeRole` into one of our roles, as the role owner's trail logs a
/// cross-account call: `AWSAccount`, principalId only, no ARN.
fn assume_role(id: &str, caller: Value, role: &str, session: &str, key: Option<&str>) -> Value {
    let mut r = json!({
        "eventVersion": "1.08", "userIdentity": caller,
        "eventTime": "2024-03-04T10:00:00Z", "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-sdk-go/1.44",
        "requestParameters": {"roleArn": role, "roleSessionName": session, "externalId": "ext-1"},
        "responseElements": null,
        "eventID": id, "eventType": "AwsApiCall", "recipientAccountId": OURS,
        "resources": [{"accountId": OURS, "type": "AWS::IAM::Role", "ARN": role}],
    });
    match key {
        Some(key) => {
            r["responseElements"] = json!({
                "credentials": {"accessKeyId": key, "sessionToken": "x", "expiration": "Mar 4, 2024, 11:00:00 AM"},
                "assumedRoleUser": {
                    "assumedRoleId": format!("AROAEXAMPLE:{session}"),
                    "arn": format!("arn:aws:sts::{OURS}:assumed-role/{}/{session}", role.rsplit('/').next().unwrap()),
                },
            });
        }
        None => {
            r["errorCode"] = json!("AccessDenied");
            r["errorMessage"] = json!("User is not authorized to perform: sts:AssumeRole");
        }
    }
    r
}

/// A call signed with a role session's temporary key.
fn session_call(id: &str, role: &str, key: &str, name: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole", "principalId": "AROAEXAMPLE:s",
            "arn": format!("arn:aws:sts::{OURS}:assumed-role/{role}/s"),
            "accountId": OURS, "accessKeyId": key,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                    "arn": format!("arn:aws:iam::{OURS}:role/{role}"), "accountId": OURS, "userName": role},
                "attributes": {"creationDate": "2024-03-04T10:00:00Z", "mfaAuthenticated": "false"}
            }
        },
        "eventTime": "2024-03-04T10:05:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-sdk-go/1.44", "requestParameters": null, "responseElements": null,
        "eventID": id, "eventType": "AwsApiCall", "recipientAccountId": OURS,
    })
}

fn records() -> Vec<Value> {
    let vendor_role = format!("arn:aws:iam::{OURS}:role/VendorRole");
    let data_role = format!("arn:aws:iam::{OURS}:role/DataRole");
    let ci_role = format!("arn:aws:iam::{OURS}:role/CiRole");
    let mut chained = assume_role(
        "e-05",
        // The role owner's copy of a call made with the vendor's session.
        session_call("", "VendorRole", "ASIAVENDOR1", "")["userIdentity"].clone(),
        &data_role,
        "chain",
        Some("ASIACHAIN1"),
    );
    chained["userIdentity"]["accountId"] = json!(OURS);
    vec![
        // 1. The vendor assumes our role, then lists buckets with the key.
        assume_role(
            "e-01",
            json!({"type": "AWSAccount", "principalId": "AIDAVENDOREXAMPLE", "accountId": VENDOR}),
            &vendor_role,
            "vendor-session",
            Some("ASIAVENDOR1"),
        ),
        session_call("e-02", "VendorRole", "ASIAVENDOR1", "ListBuckets"),
        // 2. A failed cross-account AssumeRole: responseElements null.
        assume_role(
            "e-03",
            json!({"type": "AWSAccount", "principalId": "AIDAPROBEREXAMPLE", "accountId": PROBER}),
            &vendor_role,
            "probe",
            None,
        ),
        // 3. The vendor's session chains into a second role.
        chained,
        session_call("e-06", "DataRole", "ASIACHAIN1", "GetBucketLocation"),
        // 4. Web identity: GitHub Actions' OIDC token.
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "WebIdentityUser",
                "principalId": format!("arn:aws:iam::{OURS}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/app:ref:refs/heads/main"),
                "userName": "repo:acme/app:ref:refs/heads/main",
                "identityProvider": "token.actions.githubusercontent.com"},
            "eventTime": "2024-03-04T11:00:00Z", "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRoleWithWebIdentity", "awsRegion": "us-east-1",
            "sourceIPAddress": "20.1.2.3", "userAgent": "aws-sdk-js",
            "requestParameters": {"roleArn": ci_role, "roleSessionName": "gha"},
            "responseElements": {"credentials": {"accessKeyId": "ASIACI1", "expiration": "x"},
                "assumedRoleUser": {"assumedRoleId": "AROACI:gha", "arn": format!("arn:aws:sts::{OURS}:assumed-role/CiRole/gha")}},
            "eventID": "e-07", "eventType": "AwsApiCall", "recipientAccountId": OURS,
        }),
        session_call("e-08", "CiRole", "ASIACI1", "PutObject"),
        // 4b. The same provider, a subject no vendor registered.
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "WebIdentityUser",
                "principalId": format!("arn:aws:iam::{OURS}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:corp/tool:ref:refs/heads/main"),
                "userName": "repo:corp/tool:ref:refs/heads/main",
                "identityProvider": "token.actions.githubusercontent.com"},
            "eventTime": "2024-03-04T11:30:00Z", "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRoleWithWebIdentity", "awsRegion": "us-east-1",
            "sourceIPAddress": "20.1.2.4", "userAgent": "aws-sdk-js",
            "requestParameters": {"roleArn": ci_role, "roleSessionName": "gha"},
            "responseElements": {"credentials": {"accessKeyId": "ASIACI2", "expiration": "x"},
                "assumedRoleUser": {"assumedRoleId": "AROACI:gha", "arn": format!("arn:aws:sts::{OURS}:assumed-role/CiRole/gha")}},
            "eventID": "e-14", "eventType": "AwsApiCall", "recipientAccountId": OURS,
        }),
        session_call("e-15", "CiRole", "ASIACI2", "PutObject"),
        // 5. An IAM user we made for a vendor, with its long-term key.
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAUSER",
                "arn": format!("arn:aws:iam::{OURS}:user/vendor-user"), "accountId": OURS,
                "accessKeyId": "AKIAVENDORUSER1", "userName": "vendor-user"},
            "eventTime": "2024-03-04T12:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
            "eventID": "e-09", "eventType": "AwsApiCall", "recipientAccountId": OURS,
        }),
        // 6. Direct access through a bucket policy: the caller's account is
        //    not the recipient.
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "principalId": "AROAREADER:r",
                "arn": format!("arn:aws:sts::{DIRECT}:assumed-role/Reader/r"), "accountId": DIRECT,
                "accessKeyId": "ASIAREADER1",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAREADER",
                    "arn": format!("arn:aws:iam::{DIRECT}:role/Reader"), "accountId": DIRECT, "userName": "Reader"}}},
            "eventTime": "2024-03-04T13:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.9",
            "requestParameters": {"bucketName": "ours", "key": "a.txt"},
            "eventID": "e-10", "eventType": "AwsApiCall", "recipientAccountId": OURS,
            "eventCategory": "Data",
        }),
        // 7. An AWS service assuming a role: not a third party.
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
            "eventTime": "2024-03-04T14:00:00Z", "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole", "awsRegion": "us-east-1", "sourceIPAddress": "ec2.amazonaws.com",
            "requestParameters": {"roleArn": format!("arn:aws:iam::{OURS}:role/app"), "roleSessionName": "i-1"},
            "responseElements": {"credentials": {"accessKeyId": "ASIAEC21", "expiration": "x"}},
            "eventID": "e-11", "eventType": "AwsApiCall", "recipientAccountId": OURS,
        }),
        session_call("e-12", "app", "ASIAEC21", "ListBuckets"),
        // 8. A session whose AssumeRole is outside the logs read.
        session_call("e-13", "VendorRole", "ASIAOLDSESSION", "ListBuckets"),
    ]
}

fn report() -> Report {
    report_of(records())
}

fn registry() -> Registry {
    Registry::from_toml(
        r#"
[[vendor]]
name = "Vendor"
accounts = ["999988887777"]
[[vendor]]
name = "Vendor User"
users = ["vendor-user"]
[[vendor]]
name = "CI"
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
subjects = ["repo:acme/*"]
"#,
        "test.toml",
    )
    .unwrap()
}

/// Attribution with [`registry`] and nothing else.
fn attribute_with_registry(report: &Report) -> Attribution {
    let registry = registry();
    attribute(
        report,
        &Context {
            registry: Some(&registry),
            ..Context::default()
        },
    )
}

fn party<'a>(a: &'a Attribution, name: &str) -> &'a Ledger {
    a.third_parties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| {
            panic!(
                "{name} in {:?}",
                a.third_parties.iter().map(|p| &p.name).collect::<Vec<_>>()
            )
        })
}

#[test]
fn every_identity_type_goes_to_its_party() {
    let report = report();
    assert_eq!(report.input.events, 14);
    let a = attribute_with_registry(&report);
    // The vendor: its AssumeRole, its session's call, the chained
    // AssumeRole (a call of its session) and the chained session's call.
    let vendor = party(&a, "Vendor");
    assert_eq!(vendor.how_identified, Identified::Registry);
    assert_eq!(vendor.sessions.count, 2);
    assert_eq!(vendor.events, 4);
    assert!(vendor.paths.contains(&Path::AssumedRole));
    assert_eq!(
        vendor.principals,
        BTreeSet::from([
            VENDOR.to_owned(),
            format!("arn:aws:iam::{OURS}:role/VendorRole"),
            format!("arn:aws:iam::{OURS}:role/DataRole"),
        ])
    );
    // The failed AssumeRole: an unknown third party, refused.
    let prober = party(&a, PROBER);
    assert_eq!(prober.how_identified, Identified::UnknownAccount);
    assert_eq!((prober.events, prober.denied), (1, 1));
    // Web identity, matched by provider and subject; the other subject's
    // calls go to the provider, whatever order the records come in.
    let ci = party(&a, "CI");
    assert_eq!((ci.events, ci.sessions.count), (2, 1));
    let provider = party(&a, "token.actions.githubusercontent.com");
    assert_eq!(provider.how_identified, Identified::OidcProvider);
    assert_eq!((provider.events, provider.sessions.count), (2, 1));
    // The registered IAM user.
    assert_eq!(party(&a, "Vendor User").events, 1);
    // Direct access from an outside account.
    let direct = party(&a, DIRECT);
    assert!(direct.paths.contains(&Path::DirectAccess));
    assert_eq!(direct.direct_access.len(), 1);
    // The AWS service's session is ours; the old session is unattributed
    // (no IAM data: the role's trust is unknown).
    assert_eq!(a.third_parties.len(), 6);
    assert_eq!(a.unattributed.len(), 1);
    assert_eq!(a.unattributed[0].access_key_id, "ASIAOLDSESSION");
    // Calls can be looked up by principal; by key only for the events
    // `who` watched (none here).
    assert_eq!(a.party_of("x", Some("ASIACHAIN1")), None);
    assert_eq!(a.party_of(DIRECT, None), None);
    assert_eq!(
        a.party_of(&format!("arn:aws:iam::{DIRECT}:role/Reader"), None),
        Some(DIRECT)
    );
}

#[test]
fn a_session_opened_before_the_window_goes_to_the_one_trusted_party() {
    let report = report();
    let mut iam = crate::policy::iam::IamInventory::new();
    iam.add_export_json(
        "iam.json",
        &json!({"RoleDetailList": [{
            "RoleName": "VendorRole", "Arn": format!("arn:aws:iam::{OURS}:role/VendorRole"), "Path": "/",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")},
                "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": []
        }]})
        .to_string(),
    )
    .unwrap();
    let a = attribute(
        &report,
        &Context {
            iam: Some(&iam),
            ..Context::default()
        },
    );
    // Without a registry the vendor is known by its account id.
    let vendor = party(&a, VENDOR);
    assert_eq!(vendor.sessions.count, 3);
    assert_eq!(vendor.sessions.by_trust, 1);
    assert!(a.unattributed.is_empty());
    assert_eq!(vendor.trusted_by.len(), 1);
}

#[test]
fn a_vendor_tag_on_an_iam_user_names_its_party() {
    let report = report();
    let mut iam = crate::policy::iam::IamInventory::new();
    iam.add_export_json(
        "iam.json",
        &json!({"UserDetailList": [{
            "UserName": "vendor-user", "Arn": format!("arn:aws:iam::{OURS}:user/vendor-user"), "Path": "/",
            "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [],
            "Tags": [{"Key": "Vendor", "Value": "Tagged Co"}]
        }]})
        .to_string(),
    )
    .unwrap();
    let a = attribute(
        &report,
        &Context {
            iam: Some(&iam),
            ..Context::default()
        },
    );
    let tagged = party(&a, "Tagged Co");
    assert_eq!(tagged.how_identified, Identified::IamTag);
    assert_eq!(tagged.events, 1);
}

/// The trust fallback needs the trust to name one outside party and
/// nobody else: a trust that also names our own account (or a service)
/// leaves the session unattributed.
#[test]
fn no_trust_fallback_when_the_trust_also_names_ourselves() {
    let report = report();
    let mut iam = crate::policy::iam::IamInventory::new();
    iam.add_export_json(
        "iam.json",
        &json!({"RoleDetailList": [{
            "RoleName": "VendorRole", "Arn": format!("arn:aws:iam::{OURS}:role/VendorRole"), "Path": "/",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": [format!("arn:aws:iam::{VENDOR}:root"), format!("arn:aws:iam::{OURS}:root")]},
                "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": []
        }]})
        .to_string(),
    )
    .unwrap();
    let a = attribute(
        &report,
        &Context {
            iam: Some(&iam),
            ..Context::default()
        },
    );
    assert_eq!(party(&a, VENDOR).sessions.by_trust, 0);
    assert_eq!(a.unattributed.len(), 1);
}

/// The events `vendortrail who` watches can be looked up by the key they
/// were signed with: a chained session goes to the party of the session
/// that opened it.
#[test]
fn watched_calls_are_looked_up_by_their_key() {
    let finder = memchr::memmem::Finder::new("ASIACHAIN1");
    let report = report_watching(records(), Some(&finder));
    assert!(
        report
            .touches
            .iter()
            .any(|t| t.access_key_id.as_deref() == Some("ASIACHAIN1"))
    );
    let a = attribute_with_registry(&report);
    assert_eq!(a.party_of("x", Some("ASIACHAIN1")), Some("Vendor"));
    assert_eq!(a.party_of("x", Some("ASIAOLDSESSION")), None);
}

/// Runs a handful of records through the scan.
fn report_of(records: Vec<Value>) -> Report {
    report_watching(records, None)
}

/// [`report_of`], keeping the events that mention `watch`.
fn report_watching(records: Vec<Value>, watch: Option<&memchr::memmem::Finder<'_>>) -> Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("records.json"),
        json!({"Records": records}).to_string(),
    )
    .unwrap();
    let filters = Filters::default();
    let inventory = local::discover(&[dir.path()], &filters);
    let mapper = ActionMapper::new(None);
    let ctx = ScanContext {
        filters: &filters,
        mapper: &mapper,
        dedupe_window: 86_400,
        watch,
        pack_after: crate::usage::QUIET_AFTER,
        spill_after: crate::usage::RUN_BYTES,
    };
    let usage = scan(&inventory, None, &ctx, &Progress::hidden());
    Report::build(Vec::new(), &inventory, usage, filters, CatalogUse::Rules)
}

/// A chain whose first session was opened before the window stays with the
/// party the first role's trust names.
#[test]
fn a_chain_from_a_session_attributed_by_trust_stays_with_that_party() {
    let data_role = format!("arn:aws:iam::{OURS}:role/DataRole");
    let chained = assume_role(
        "t-1",
        session_call("", "VendorRole", "ASIAOLD", "")["userIdentity"].clone(),
        &data_role,
        "chain",
        Some("ASIACHAINT"),
    );
    let report = report_of(vec![
        session_call("t-0", "VendorRole", "ASIAOLD", "ListBuckets"),
        chained,
        session_call("t-2", "DataRole", "ASIACHAINT", "ListBuckets"),
    ]);
    let mut iam = crate::policy::iam::IamInventory::new();
    iam.add_export_json(
        "iam.json",
        &json!({"RoleDetailList": [
            {"RoleName": "VendorRole", "Arn": format!("arn:aws:iam::{OURS}:role/VendorRole"), "Path": "/",
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")}, "Action": "sts:AssumeRole"}]},
             "RolePolicyList": [], "AttachedManagedPolicies": []},
            {"RoleName": "DataRole", "Arn": data_role, "Path": "/",
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OURS}:role/VendorRole")}, "Action": "sts:AssumeRole"}]},
             "RolePolicyList": [], "AttachedManagedPolicies": []}
        ]})
        .to_string(),
    )
    .unwrap();
    let a = attribute(
        &report,
        &Context {
            iam: Some(&iam),
            ..Context::default()
        },
    );
    let vendor = party(&a, VENDOR);
    assert!(vendor.principals.contains(&data_role), "{vendor:?}");
    assert_eq!(vendor.sessions.count, 2);
    assert!(a.unattributed.is_empty());
}

/// A chain from another of our accounts, read only in the target account:
/// the chained session is listed as unattributed, not taken as our own.
#[test]
fn a_chain_seen_only_from_the_target_account_is_unattributed() {
    let data_role = format!("arn:aws:iam::{OURS}:role/DataRole");
    let report = report_of(vec![
        assume_role(
            "c-1",
            json!({"type": "AWSAccount", "principalId": "AROAOTHER:s", "accountId": "222222222222"}),
            &data_role,
            "chain",
            Some("ASIAFROMB"),
        ),
        session_call("c-2", "DataRole", "ASIAFROMB", "ListBuckets"),
    ]);
    let org: BTreeSet<String> = BTreeSet::from(["222222222222".to_owned()]);
    let a = attribute(
        &report,
        &Context {
            org,
            ..Context::default()
        },
    );
    assert!(a.third_parties.is_empty(), "{:?}", a.third_parties);
    assert_eq!(a.unattributed.len(), 1);
    assert_eq!(a.unattributed[0].access_key_id, "ASIAFROMB");
}

/// `root-activity` (CIS root-usage filter): a service acting for root is
/// not root activity; root's own console sign-in is.
#[test]
fn root_activity_skips_what_services_did_for_root() {
    let root = |id: &str, invoked_by: Option<&str>, name: &str, source: &str| {
        let mut who = json!({"type": "Root", "principalId": OURS, "arn": format!("arn:aws:iam::{OURS}:root"), "accountId": OURS});
        if let Some(service) = invoked_by {
            who["invokedBy"] = json!(service);
        }
        json!({"eventVersion": "1.08", "userIdentity": who, "eventTime": "2024-03-04T09:00:00Z",
               "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
               "sourceIPAddress": "198.51.100.1", "eventID": id, "eventType": "AwsApiCall",
               "recipientAccountId": OURS})
    };
    let run = |records: Vec<Value>| {
        let report = report_of(records);
        let attribution = attribute(&report, &Context::default());
        crate::findings::run_all(&crate::findings::Input {
            report: &report,
            attribution: &attribution,
            iam: None,
            grants: None,
            registry: None,
            credentials: None,
        })
        .into_iter()
        .filter(|f| f.check == "root-activity")
        .count()
    };
    assert_eq!(
        run(vec![root(
            "r-1",
            Some("support.amazonaws.com"),
            "DescribeCases",
            "support.amazonaws.com"
        )]),
        0
    );
    assert_eq!(
        run(vec![root(
            "r-2",
            None,
            "ConsoleLogin",
            "signin.amazonaws.com"
        )]),
        1
    );
}
