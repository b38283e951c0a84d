//! Property tests for the suggestion's contract (see the module docs of
//! [`super`]): for random grants and random observed usage, the suggestion
//! is a subset of the grant, allows every observed successful call the
//! grant allows, and names only catalog actions.
//!
//! Inputs are drawn from small vocabularies over three real services of the
//! AWS service reference (`s3`, `kms`, `sqs`), so that random statements
//! overlap often: exact actions, wildcards (`s3:Get*`, `s3:*Object`, `*`),
//! `NotAction`, resource patterns with `*` and `?`, `NotResource`, the
//! conditions the log can decide (`aws:SourceIp`, `aws:RequestedRegion`),
//! Deny statements and a permissions boundary. Observed usage is a
//! [`PrincipalReport`] built directly, including calls today's grant does
//! not allow (these must be left out, not added).
//!
//! Every case runs [`suggest`] with each [`ResourceScope`] and a random set
//! of [`AddedCondition`]s (none, one or both), then checks, by brute force
//! with [`evaluate`] on both sides rather than by re-reading the
//! suggestion's own self-check:
//! 1. **subset of the grant**: over every action of the three services,
//!    every resource of a fixed universe (and none, as for a call whose
//!    resources the usage table did not keep), and every context (Region ×
//!    source IP, each possibly unknown), whatever the suggestion allows
//!    (`Tri::True`, same boundary) today's grant allows too;
//! 2. **observed calls kept**: every observed (action, typed resource,
//!    Region, source IP) of an action with successes that today's grant
//!    allows, the suggestion allows;
//! 3. every action the suggestion names, in an Allow or a Deny, is a
//!    catalog action without wildcards, and every allowed action was
//!    observed with a success;
//! 4. [`suggest`] never refuses its own output ([`SuggestError::CheckFailed`]).
//!
//! Property 1 evaluates the suggestion in full only for the actions its
//! Allow statements list: property 3 makes them exact names, and an
//! `Action` list of exact names matches nothing else (one sample request per
//! other action confirms it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Value, json};

use super::{AddedCondition, Options, ResourceScope, SuggestError, Suggestion, suggest};
use crate::compare::Inputs;
use crate::event::{ActionMapper, MappingSource, PrincipalKind};
use crate::policy::catalog::Catalog;
use crate::policy::condition::{RequestContext, Tri};
use crate::policy::document::{Effect, Match, PolicyDocument};
use crate::policy::evaluate::{Expander, PolicySet, Request, evaluate};
use crate::policy::iam::{IdentityKind, NamedPolicy, PolicySource, PrincipalPolicies};
use crate::report::{ActionReport, PrincipalReport, Values};
use crate::testutil::real_catalog;
use crate::usage::{BoundedSet, Counts, SessionList};

const ACCOUNT: &str = "111122223333";

/// The services whose every action property 1 enumerates.
const SERVICES: &[&str] = &["s3", "kms", "sqs"];

/// Action patterns of random statements.
const GRANT_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:DescribeKey",
    "kms:ListKeys",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:ListQueues",
    "S3:getobject",
    "s3:Get*",
    "s3:*Object",
    "s3:List*",
    "s3:GetObjec?",
    "s3:*",
    "kms:*",
    "kms:Describe*",
    "sqs:*Message",
    "*",
];

/// Resource patterns of random statements.
const GRANT_RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-a/*",
    "arn:aws:s3:::bucket-a/x/*",
    "arn:aws:s3:::bucket-b/logs/*",
    "arn:aws:s3:::bucket-b/logs/a.gz",
    "arn:aws:s3:::bucket-?",
    "arn:aws:s3:::*/logs/*",
    "arn:aws:s3:::bucket-*",
    "arn:aws:kms:eu-west-1:111122223333:key/k1",
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:sqs:eu-west-1:111122223333:queue-a",
    "arn:aws:sqs:*:111122223333:*",
];

/// Conditions of random statements: (operator, key, value).
const CONDITIONS: &[(&str, &str, &str)] = &[
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
    ("StringEquals", "aws:RequestedRegion", "eu-west-1"),
    ("StringNotEquals", "aws:RequestedRegion", "us-east-1"),
];

/// Actions of observed usage, in AWS's spelling; one is not in the catalog.
const USED_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetObjectTagging",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ListKeys",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:ListQueues",
    "s3:NotARealAction",
];

/// The concrete resources of observed usage and of property 1.
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-b",
    "arn:aws:s3:::bucket-a/x/1.txt",
    "arn:aws:s3:::bucket-a/x/2.txt",
    "arn:aws:s3:::bucket-a/y.txt",
    "arn:aws:s3:::bucket-b/logs/a.gz",
    "arn:aws:s3:::bucket-b/logs/b.gz",
    "arn:aws:s3:::bucket-c/logs/a.gz",
    "arn:aws:kms:eu-west-1:111122223333:key/k1",
    "arn:aws:kms:us-east-1:111122223333:key/k2",
    "arn:aws:sqs:eu-west-1:111122223333:queue-a",
];

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

/// Source IPs of observed usage; the last is an AWS service calling on the
/// principal's behalf, which is not an address.
const SOURCE_IPS: &[&str] = &["10.1.2.3", "198.51.100.7", "s3.amazonaws.com"];

// ---------------------------------------------------------------------------
// Generators.

/// `{"Operator": {"key": [values]}}` from chosen entries.
fn condition_block(entries: &[(&str, &str, &str)]) -> Value {
    let mut block: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for (op, key, value) in entries {
        block
            .entry(op)
            .or_default()
            .entry(key)
            .or_default()
            .push(value);
    }
    json!(block)
}

/// One statement as JSON. `deny_weight` out of 10 statements are Deny.
/// `NotResource` may list `*` (a statement that applies to no resource).
fn statement(deny_weight: u32) -> impl Strategy<Value = Value> {
    let resources = prop_oneof![
        17 => subsequence(GRANT_RESOURCES, 1..=3).prop_map(|r| (false, r)),
        3 => subsequence(GRANT_RESOURCES, 1..=3).prop_map(|r| (true, r)),
    ];
    (
        prop_oneof![10 - deny_weight => Just("Allow"), deny_weight => Just("Deny")],
        proptest::bool::weighted(0.15),
        subsequence(GRANT_ACTIONS, 1..=3),
        resources,
        prop_oneof![3 => Just(Vec::new()), 2 => subsequence(CONDITIONS, 1..=2)],
    )
        .prop_map(
            |(effect, not_action, actions, (not_resource, resources), conditions)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".to_owned(), json!(effect));
                let action_key = if not_action { "NotAction" } else { "Action" };
                s.insert(action_key.to_owned(), json!(actions));
                let resource_key = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                s.insert(resource_key.to_owned(), json!(resources));
                if !conditions.is_empty() {
                    s.insert("Condition".to_owned(), condition_block(&conditions));
                }
                Value::Object(s)
            },
        )
}

fn document(statements: Vec<Value>) -> PolicyDocument {
    let value = json!({"Version": "2012-10-17", "Statement": statements});
    PolicyDocument::from_value(&value).expect("generated documents parse")
}

/// The principal `role/vendor` with these identity policies (each a list of
/// statements) and boundary.
fn principal_of(policies: Vec<Vec<Value>>, boundary: Option<Vec<Value>>) -> PrincipalPolicies {
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/vendor");
    PrincipalPolicies {
        identity: policies
            .into_iter()
            .enumerate()
            .map(|(i, statements)| NamedPolicy {
                source: PolicySource::Inline {
                    owner: arn.clone(),
                    name: format!("p{i}"),
                },
                document: document(statements),
            })
            .collect(),
        boundary: boundary.map(|statements| NamedPolicy {
            source: PolicySource::Managed {
                arn: format!("arn:aws:iam::{ACCOUNT}:policy/boundary"),
                name: "boundary".to_owned(),
                version: None,
            },
            document: document(statements),
        }),
        arn,
        name: "vendor".to_owned(),
        account: ACCOUNT.to_owned(),
        kind: IdentityKind::Role,
        trust: None,
        tags: BTreeMap::new(),
        last_used: None,
        last_used_region: None,
        access_keys: Vec::new(),
        unresolved: Vec::new(),
    }
}

/// A principal with 1–4 identity policies of 1–4 statements and, in a
/// quarter of the cases, a boundary of Allow statements.
fn principal() -> impl Strategy<Value = PrincipalPolicies> {
    (
        proptest::collection::vec(proptest::collection::vec(statement(2), 1..=4), 1..=4),
        proptest::option::weighted(0.25, proptest::collection::vec(statement(0), 1..=2)),
    )
        .prop_map(|(policies, boundary)| principal_of(policies, boundary))
}

fn no_values() -> Values {
    Values::from(&BoundedSet::default())
}

/// One observed action. `resources` and `ips` are those of the successful
/// calls (`None`: more than the usage table keeps); `regions` are those of
/// every call.
fn observed(
    action: &str,
    successes: u64,
    denied: u64,
    resources: Option<&[&str]>,
    regions: &[&str],
    ips: Option<&[&str]>,
) -> ActionReport {
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    ActionReport {
        action: action.to_owned(),
        counts: Counts {
            calls: successes + denied,
            denied,
            ..Counts::default()
        },
        needs_permission: true,
        mapping: MappingSource::Catalog,
        regions: owned(regions),
        source_ips: no_values(),
        user_agents: no_values(),
        resources: no_values(),
        sample_event_ids: Vec::new(),
        allowed_resources: resources.map(owned),
        allowed_source_ips: ips.map(owned),
    }
}

/// One observed action: 1–3 successes, 0–2 denials, resources and source
/// IPs of the successful calls (sometimes more than the table keeps).
fn action_report() -> impl Strategy<Value = ActionReport> {
    (
        select(USED_ACTIONS),
        1..=3u64,
        0..=2u64,
        proptest::option::weighted(0.85, subsequence(RESOURCES, 0..=3)),
        subsequence(REGIONS, 0..=2),
        proptest::option::weighted(0.85, subsequence(SOURCE_IPS, 1..=2)),
    )
        .prop_map(|(action, successes, denied, resources, regions, ips)| {
            observed(
                action,
                successes,
                denied,
                resources.as_deref(),
                &regions,
                ips.as_deref(),
            )
        })
}

/// The usage report of `role/vendor`, one entry per action name.
fn usage_of(reports: Vec<ActionReport>) -> PrincipalReport {
    let mut by_name: BTreeMap<String, ActionReport> = BTreeMap::new();
    for r in reports {
        by_name.entry(r.action.clone()).or_insert(r);
    }
    PrincipalReport {
        arn: format!("arn:aws:iam::{ACCOUNT}:role/vendor"),
        kind: PrincipalKind::Role,
        account: Some(ACCOUNT.to_owned()),
        outside: false,
        events: Counts::default(),
        actions: by_name.into_values().collect(),
        sessions: SessionList::default(),
        regions: Vec::new(),
        source_ips: no_values(),
        user_agents: no_values(),
        recipient_accounts: Vec::new(),
        issued_keys: Default::default(),
        service_made: 0,
    }
}

/// Observed usage: up to five distinct actions.
fn usage() -> impl Strategy<Value = PrincipalReport> {
    proptest::collection::vec(action_report(), 0..=5).prop_map(usage_of)
}

// ---------------------------------------------------------------------------
// The oracle.

/// The real catalog, for the life of the test binary.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG.get_or_init(real_catalog)
}

/// The comparison's inputs: no SCPs, no data events (built once: it works
/// out every catalog action's observability).
fn inputs() -> &'static Inputs<'static> {
    static INPUTS: OnceLock<Inputs<'static>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mapper = ActionMapper::new(Some(real_catalog()));
        Inputs::new(catalog(), &mapper, &BTreeSet::new(), &[])
    })
}

/// `s3:GetObject` … for every action of [`SERVICES`], lowercased.
fn universe_actions(catalog: &Catalog) -> &'static [String] {
    static ACTIONS: OnceLock<Vec<String>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        SERVICES
            .iter()
            .flat_map(|prefix| {
                let service = catalog.service(prefix).expect("service in the catalog");
                service
                    .actions()
                    .iter()
                    .map(move |a| format!("{prefix}:{}", a.name()).to_lowercase())
            })
            .collect()
    })
}

/// Every context of property 1: each of Region and source IP set or not
/// decidable, over [`REGIONS`] and the two addresses.
fn universe_contexts() -> Vec<RequestContext> {
    let regions = [None, Some("us-east-1"), Some("eu-west-1")];
    let ips = [None, Some("10.1.2.3"), Some("198.51.100.7")];
    let mut out = Vec::new();
    for region in regions {
        for ip in ips {
            out.push(context(region, ip));
        }
    }
    out
}

fn context(region: Option<&str>, ip: Option<&str>) -> RequestContext {
    let mut c = RequestContext::new();
    if let Some(region) = region {
        c.set("aws:RequestedRegion", [region]);
    }
    if let Some(ip) = ip {
        c.set("aws:SourceIp", [ip]);
    }
    c
}

/// IAM wildcard match (`*` any run, `?` one character), case-sensitive as
/// for resources; written here so the oracle does not lean on the code
/// under test.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// `arn:${Partition}:s3:::${BucketName}` → `arn:*:s3:::*`.
fn format_glob(format: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        out.push('*');
        let end = rest[start..].find('}').expect("closed variable");
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The observed resources an action is authorized against: those of its
/// resource types; `None` (unknown) when there are none or the table did
/// not keep them all.
fn typed_resources<'a>(catalog: &Catalog, a: &'a ActionReport) -> Vec<Option<&'a str>> {
    let action = catalog.action(&a.action).expect("catalog action");
    let formats: Vec<String> = action
        .resource_types()
        .flat_map(|t| t.arn_formats().iter().map(|f| format_glob(f)))
        .collect();
    let typed: Vec<Option<&str>> = a
        .allowed_resources
        .iter()
        .flatten()
        .filter(|r| formats.iter().any(|f| glob(f.as_bytes(), r.as_bytes())))
        .map(|r| Some(r.as_str()))
        .collect();
    if typed.is_empty() { vec![None] } else { typed }
}

/// The (Region, source IP) contexts of an action's calls; a source that is
/// not an address (an AWS service) leaves `aws:SourceIp` undecided.
fn observed_contexts(a: &ActionReport) -> Vec<RequestContext> {
    let regions: Vec<Option<&str>> = if a.regions.is_empty() {
        vec![None]
    } else {
        a.regions.iter().map(|r| Some(r.as_str())).collect()
    };
    let ips: Vec<Option<&str>> = match &a.allowed_source_ips {
        Some(ips) if !ips.is_empty() => ips
            .iter()
            .map(|ip| {
                ip.parse::<std::net::IpAddr>()
                    .is_ok()
                    .then_some(ip.as_str())
            })
            .collect(),
        _ => vec![None],
    };
    let mut out = Vec::new();
    for region in &regions {
        for ip in &ips {
            let mut c = context(*region, *ip);
            c.set("aws:PrincipalAccount", [ACCOUNT]);
            out.push(c);
        }
    }
    out
}

fn verdict(set: &PolicySet<'_>, action: &str, resource: Option<&str>, c: &RequestContext) -> Tri {
    evaluate(
        set,
        &Request {
            action,
            resource,
            context: c,
        },
    )
    .allowed
}

/// One option set per `--resources` scope, with the `--condition`s given.
fn option_sets(conditions: &[AddedCondition]) -> Vec<Options> {
    [
        ResourceScope::Exact,
        ResourceScope::Prefix,
        ResourceScope::Any,
    ]
    .into_iter()
    .map(|resources| Options {
        resources,
        conditions: conditions.to_vec(),
        ..Options::default()
    })
    .collect()
}

fn describe(principal: &PrincipalPolicies, usage: &PrincipalReport, options: &Options) -> String {
    let mut out = format!(
        "options: {:?} {:?}\ngrant:\n{}",
        options.resources,
        options.conditions,
        super::render::json(
            &principal
                .identity
                .iter()
                .map(|p| p.document.clone())
                .collect::<Vec<_>>()
        )
    );
    if let Some(b) = &principal.boundary {
        out += &format!(
            "\nboundary:\n{}",
            super::render::json(std::slice::from_ref(&b.document))
        );
    }
    out += "\nusage:";
    for a in &usage.actions {
        out += &format!(
            "\n  {} successes={} resources={:?} regions={:?} ips={:?}",
            a.action,
            a.counts.successes(),
            a.allowed_resources,
            a.regions,
            a.allowed_source_ips
        );
    }
    out
}

/// Runs [`suggest`] with every `--resources` scope and these added
/// conditions, and checks properties 1–4.
fn check_contract(
    principal: &PrincipalPolicies,
    usage: &PrincipalReport,
    conditions: &[AddedCondition],
) -> Result<(), TestCaseError> {
    let catalog = catalog();
    let inputs = inputs();
    let today = PolicySet::of(principal, &[]);
    let contexts = universe_contexts();
    let everything = context(Some("eu-west-1"), Some("10.1.2.3"));
    for options in option_sets(conditions) {
        let mut expander = Expander::new(catalog);
        let case = || describe(principal, usage, &options);
        // 4. The suggestion passes its own check.
        let suggestion: Suggestion =
            match suggest(principal, Some(usage), inputs, &mut expander, &options) {
                Ok(s) => s,
                Err(SuggestError::CheckFailed(problems)) => {
                    return Err(TestCaseError::fail(format!(
                        "CheckFailed: {problems:?}\n{}",
                        case()
                    )));
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e}\n{}", case()))),
            };
        let named: Vec<NamedPolicy> = suggestion
            .documents
            .iter()
            .map(|d| NamedPolicy {
                source: PolicySource::File {
                    path: "suggestion".to_owned(),
                },
                document: d.clone(),
            })
            .collect();
        let suggested = PolicySet {
            identity: named.iter().collect(),
            boundary: principal.boundary.as_ref(),
            scp_levels: Vec::new(),
        };
        let rendered = || super::render::json(&suggestion.documents);

        // 3. Exact catalog actions only; allowed actions were observed.
        let observed: BTreeSet<String> = usage
            .actions
            .iter()
            .filter(|a| a.counts.successes() > 0)
            .filter_map(|a| catalog.action(&a.action))
            .map(|a| a.to_string().to_lowercase())
            .collect();
        let mut allowed_actions = BTreeSet::new();
        for s in suggestion.documents.iter().flat_map(|d| &d.statements) {
            let Match::Listed(actions) = &s.actions else {
                return Err(TestCaseError::fail(format!(
                    "NotAction in the suggestion\n{}\n{}",
                    rendered(),
                    case()
                )));
            };
            for action in actions {
                prop_assert!(
                    !action.contains(['*', '?']) && catalog.action(action).is_some(),
                    "{action} is not an exact catalog action\n{}\n{}",
                    rendered(),
                    case()
                );
                if s.effect == Effect::Allow {
                    prop_assert!(
                        observed.contains(&action.to_lowercase()),
                        "{action} is allowed but was never observed\n{}\n{}",
                        rendered(),
                        case()
                    );
                    allowed_actions.insert(action.to_lowercase());
                }
            }
        }

        // 1. Subset of the grant.
        let mut resources: Vec<Option<&str>> = RESOURCES.iter().copied().map(Some).collect();
        resources.push(None);
        let actions: BTreeSet<&String> = universe_actions(catalog)
            .iter()
            .chain(&allowed_actions)
            .collect();
        for action in actions {
            if !allowed_actions.contains(action) {
                // Not listed: one sample request, to confirm it is not allowed.
                let sample = verdict(&suggested, action, Some(RESOURCES[0]), &everything);
                prop_assert!(sample != Tri::True, "{action} allowed but not listed");
                continue;
            }
            for resource in &resources {
                for c in &contexts {
                    if verdict(&suggested, action, *resource, c) != Tri::True {
                        continue;
                    }
                    let before = verdict(&today, action, *resource, c);
                    prop_assert!(
                        before == Tri::True,
                        "the suggestion allows {action} on {resource:?} in {c:?}; today: {before:?}\n{}\n{}",
                        rendered(),
                        case()
                    );
                }
            }
        }

        // 2. Every observed successful call today's grant allows.
        for a in &usage.actions {
            if !a.needs_permission || a.counts.successes() == 0 {
                continue;
            }
            let Some(action) = catalog.action(&a.action).map(|r| r.to_string()) else {
                continue;
            };
            for resource in typed_resources(catalog, a) {
                for c in observed_contexts(a) {
                    if verdict(&today, &action, resource, &c) != Tri::True {
                        continue;
                    }
                    let now = verdict(&suggested, &action, resource, &c);
                    prop_assert!(
                        now == Tri::True,
                        "observed {action} on {resource:?} in {c:?} is allowed today, not by the suggestion ({now:?})\n{}\n{}",
                        rendered(),
                        case()
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Properties 1–4 for a random grant and random usage, under every
    /// `--resources` scope, with a random set of added conditions.
    #[test]
    fn suggestion_keeps_its_contract(
        principal in principal(),
        usage in usage(),
        conditions in subsequence(vec![AddedCondition::SourceIp, AddedCondition::Region], 0..=2),
    ) {
        check_contract(&principal, &usage, &conditions)?;
    }
}

// ---------------------------------------------------------------------------
// Shrunk failures of the property above, kept as examples.

/// Runs the whole contract on one input, with and without added
/// conditions, panicking with the report.
fn assert_contract(principal: &PrincipalPolicies, usage: &PrincipalReport) {
    for conditions in [
        Vec::new(),
        vec![AddedCondition::SourceIp, AddedCondition::Region],
    ] {
        if let Err(e) = check_contract(principal, usage, &conditions) {
            panic!("{e}");
        }
    }
}

/// The identity policies allow the call, the boundary does not (it
/// succeeded through the bucket policy, which names the role): the action
/// is left out, and the self-check must not count the call as one to keep.
#[test]
fn a_call_outside_the_boundary_is_left_out() {
    let principal = principal_of(
        vec![vec![json!({
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-a/*"
        })]],
        Some(vec![
            json!({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
        ]),
    );
    let usage = usage_of(vec![observed(
        "s3:GetObject",
        1,
        0,
        Some(&["arn:aws:s3:::bucket-a/x/1.txt"]),
        &["eu-west-1"],
        Some(&["10.1.2.3"]),
    )]);
    assert_contract(&principal, &usage);
}

/// `--resources prefix`/`any` widen the object to `bucket-b/logs/*` or `*`,
/// which no statement covers; the fallback must be the statement that
/// grants the object, not the first that names the action.
#[test]
fn a_widened_resource_falls_back_to_the_statement_that_granted_it() {
    let principal = principal_of(
        vec![vec![
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-a/*"}),
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-b/logs/a.gz"}),
        ]],
        None,
    );
    let usage = usage_of(vec![observed(
        "s3:GetObject",
        1,
        0,
        Some(&["arn:aws:s3:::bucket-b/logs/a.gz"]),
        &["eu-west-1"],
        Some(&["10.1.2.3"]),
    )]);
    assert_contract(&principal, &usage);
}

/// Granted in eu-west-1 only; the calls in us-east-1 were denied. The
/// successful eu-west-1 calls must stay allowed, under the grant's
/// condition.
#[test]
fn a_grant_for_one_of_the_observed_regions_is_kept() {
    let principal = principal_of(
        vec![vec![json!({
            "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
        })]],
        None,
    );
    let usage = usage_of(vec![observed(
        "sqs:SendMessage",
        1,
        1,
        Some(&["arn:aws:sqs:eu-west-1:111122223333:queue-a"]),
        &["eu-west-1", "us-east-1"],
        Some(&["10.1.2.3"]),
    )]);
    assert_contract(&principal, &usage);
}

/// The resources are unknown (more than the table keeps) and the only
/// statement covering `*` holds only from 10.0.0.0/8, which one observed
/// address contradicts; today the narrower unconditional statement may
/// still allow those calls, so the suggestion must keep it too.
#[test]
fn a_conditional_cover_keeps_the_other_statements_that_may_allow() {
    let principal = principal_of(
        vec![vec![
            json!({
                "Effect": "Allow", "NotAction": "s3:*Object", "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
            }),
            json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:111122223333:queue-a"}),
        ]],
        None,
    );
    let usage = usage_of(vec![observed(
        "sqs:SendMessage",
        1,
        0,
        None,
        &[],
        Some(&["198.51.100.7", "s3.amazonaws.com"]),
    )]);
    assert_contract(&principal, &usage);
}
