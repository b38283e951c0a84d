//! Used vs granted: every action a principal may perform, set against what
//! the logs show it did.
//!
//! Each granted action gets exactly one [`Status`]:
//! - `used`: at least one call reached the service (succeeded, or failed
//!   for a reason other than a denial);
//! - `denied`: attempted, and every attempt was refused;
//! - `not_observable`: this trail could not show a call even if there was
//!   one: a permission-only action (no API operation maps to it, such as
//!   `iam:PassRole`), or a data-plane action of a service whose data events
//!   the trail does not hold;
//! - `unused`: observable, never called.
//!
//! Actions the logs show but the identity policies do not grant are listed
//! apart ([`Ungranted`]) with the likely reason. Grants under a condition
//! stay marked conditional; the conditions the log can decide
//! (`aws:SourceIp`, `aws:RequestedRegion`, `aws:PrincipalAccount`) are
//! evaluated against every observed combination of Region and source IP.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

use crate::event::ActionMapper;
use crate::policy::catalog::{AccessLevel, Catalog};
use crate::policy::condition::{self, RequestContext, Tri};
use crate::policy::document::Effect;
use crate::policy::evaluate::{
    Caller, Expander, Grants, PolicySet, statement_matches_action, trust_allows,
};
use crate::policy::iam::{NamedPolicy, PrincipalPolicies};
use crate::report::{ActionReport, PrincipalReport};
use crate::time::Timestamp;
use crate::usage::IssuedList;

/// What became of one granted action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Called.
    Used,
    /// Attempted and refused every time.
    Denied,
    /// Never called.
    Unused,
    /// The trail could not show it.
    NotObservable,
}

impl Status {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Used => "used",
            Status::Denied => "denied",
            Status::Unused => "unused",
            Status::NotObservable => "not_observable",
        }
    }
}

/// How conditions on a used action's grant fared against the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionCheck {
    /// The conditions of the allowing statements, as text.
    pub conditions: Vec<String>,
    /// `true` when every observed context satisfies them, `false` when some
    /// does not, `unknown` when the log cannot decide.
    pub outcome: Tri,
    /// Condition keys the log cannot decide.
    pub undecided_keys: Vec<String>,
    /// Observed (Region, source IP) combinations checked.
    pub contexts: usize,
    /// Of which failed the conditions.
    pub failing: usize,
}

/// One granted action and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionStatus {
    /// `service:Action` in AWS's spelling.
    pub action: String,
    /// AWS's access level.
    pub access_level: AccessLevel,
    /// Its status.
    pub status: Status,
    /// Why it is not observable, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Calls seen (0 unless used or denied).
    pub calls: u64,
    /// Of which denied.
    pub denied: u64,
    /// First call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Last call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Set when every allowing statement carries a condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional: Option<ConditionCheck>,
}

impl ActionStatus {
    /// The service prefix of the action.
    pub fn service(&self) -> &str {
        self.action.split_once(':').map_or("", |(prefix, _)| prefix)
    }
}

/// Why the logs show a call the identity policies do not grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UngrantedReason {
    /// Every call was refused: nothing to explain.
    Refused,
    /// Allowed by the identity policies, but outside the permissions
    /// boundary or an SCP given.
    OutsideBoundaryOrScp,
    /// An AWS service made the calls on the principal's behalf (source IP
    /// is a service name, e.g. `cloudformation.amazonaws.com`).
    ServiceOnBehalf,
    /// A resource-based policy (bucket, key, queue, topic, function…) can
    /// grant this without any identity policy.
    ResourcePolicy,
    /// The event name maps to no catalog action (new or unusual API).
    NotInCatalog,
    /// None of the above: the IAM export may be older than the logs, or a
    /// policy outside the IAM data given granted it.
    Unexplained,
}

impl UngrantedReason {
    /// The name used in every output (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            UngrantedReason::Refused => "refused",
            UngrantedReason::OutsideBoundaryOrScp => "outside_boundary_or_scp",
            UngrantedReason::ServiceOnBehalf => "service_on_behalf",
            UngrantedReason::ResourcePolicy => "resource_policy",
            UngrantedReason::NotInCatalog => "not_in_catalog",
            UngrantedReason::Unexplained => "unexplained",
        }
    }
}

/// An action the logs show but the identity policies do not grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ungranted {
    /// `service:Action`.
    pub action: String,
    /// Calls.
    pub calls: u64,
    /// Successful calls.
    pub successes: u64,
    /// Denied calls.
    pub denied: u64,
    /// The likely reason.
    pub reason: UngrantedReason,
}

/// Granted actions of one service and access level, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LevelSummary {
    /// Service prefix.
    pub service: String,
    /// Access level.
    pub access_level: Option<AccessLevel>,
    /// Granted actions.
    pub granted: usize,
    /// Used.
    pub used: usize,
    /// Denied.
    pub denied: usize,
    /// Unused.
    pub unused: usize,
    /// Not observable.
    pub not_observable: usize,
}

impl LevelSummary {
    fn count(&mut self, status: Status) {
        self.granted += 1;
        match status {
            Status::Used => self.used += 1,
            Status::Denied => self.denied += 1,
            Status::Unused => self.unused += 1,
            Status::NotObservable => self.not_observable += 1,
        }
    }
}

/// Used vs granted for one principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The principal's ARN.
    pub principal: String,
    /// The policies that decide its permissions, as labels.
    pub policies: Vec<String>,
    /// Its permissions boundary, if any.
    pub boundary: Option<String>,
    /// Managed policies referenced but not in the export.
    pub unresolved: Vec<String>,
    /// Totals over every granted action.
    pub totals: LevelSummary,
    /// Per service and access level, sorted.
    pub by_service: Vec<LevelSummary>,
    /// Per access level over all services, least sensitive first.
    pub by_access_level: Vec<LevelSummary>,
    /// Every granted action in catalog order.
    pub actions: Vec<ActionStatus>,
    /// Actions used but not granted, by name.
    pub ungranted: Vec<Ungranted>,
    /// For roles: who assumed it in the logs, checked against its trust
    /// policy, by caller.
    pub assumed_by: Vec<TrustUse>,
}

impl Comparison {
    /// Granted actions with a given status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &ActionStatus> {
        self.actions.iter().filter(move |a| a.status == status)
    }
}

/// What the comparison reads besides the principal.
pub struct Inputs<'a> {
    /// The action catalog.
    pub catalog: &'a Catalog,
    /// The SCPs given.
    pub scps: &'a [NamedPolicy],
    /// Why each catalog action (by dense id) cannot be seen in this trail,
    /// `None` when it can. Worked out once per run: an export with hundreds
    /// of administrators asks about the same 22k actions for each.
    unobservable: Vec<Option<Box<str>>>,
    /// Credentials STS issued in the logs, for the trust-policy check.
    issued: &'a IssuedList,
}

impl<'a> Inputs<'a> {
    /// The inputs for one trail: `data_event_sources` are the
    /// `eventSource`s that have data events in it.
    pub fn new(
        catalog: &'a Catalog,
        mapper: &ActionMapper,
        data_event_sources: &std::collections::BTreeSet<String>,
        scps: &'a [NamedPolicy],
    ) -> Inputs<'a> {
        let unobservable = (0..catalog.action_count())
            .map(|id| {
                let name = catalog.action_by_id(id).to_string();
                unobservable_reason(&name, mapper, data_event_sources).map(Into::into)
            })
            .collect();
        Inputs {
            catalog,
            scps,
            unobservable,
            issued: &NONE_ISSUED,
        }
    }

    /// Adds the credentials STS issued in the logs, so each role's trust
    /// policy is checked against the calls that assumed it.
    pub fn with_issued(mut self, issued: &'a IssuedList) -> Self {
        self.issued = issued;
        self
    }
}

/// Who assumed a role in the logs, and whether its trust policy allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustUse {
    /// The caller's key (an account id, a user or role ARN, a web identity
    /// provider, a SAML provider ARN, an AWS service).
    pub caller: String,
    /// `AssumeRole`, `AssumeRoleWithWebIdentity` or `AssumeRoleWithSAML`.
    pub via: String,
    /// Whether the calls sent an ExternalId.
    pub external_id_sent: bool,
    /// Sessions issued.
    pub sessions: u64,
    /// What the trust policy says of these calls, with what the log tells
    /// (`sts:ExternalId`, `aws:SourceIp`, `aws:PrincipalAccount`, MFA).
    pub trust: Tri,
    /// Condition keys the log cannot decide.
    pub undecided_keys: Vec<String>,
}

/// The issued credentials of [`Inputs`] until [`Inputs::with_issued`] sets them.
static NONE_ISSUED: LazyLock<IssuedList> = LazyLock::new(IssuedList::default);

/// Groups the sessions issued for `role` by caller, and checks each group's
/// calls against the role's trust policy.
fn trust_uses(principal: &PrincipalPolicies, issued: &IssuedList) -> Vec<TrustUse> {
    let Some(trust) = &principal.trust else {
        return Vec::new();
    };
    let role_name = principal.arn.rsplit('/').next().unwrap_or("");
    let mut groups: BTreeMap<(String, String, bool), TrustUse> = BTreeMap::new();
    // The caller may name the role with or without its path.
    let same_role = |role_arn: &str| {
        role_arn == principal.arn
            || (role_arn.split(':').nth(4) == Some(principal.account.as_str())
                && role_arn.rsplit('/').next() == Some(role_name))
    };
    for s in issued.for_roles(same_role) {
        let federated = match &*s.via {
            "AssumeRoleWithWebIdentity" => Some(format!(
                "arn:aws:iam::{}:oidc-provider/{}",
                principal.account, s.caller
            )),
            "AssumeRoleWithSAML" => Some(s.caller.to_string()),
            _ => None,
        };
        let is_arn = s.caller.starts_with("arn:");
        let caller = Caller {
            arn: (is_arn && federated.is_none()).then_some(&*s.caller),
            account: s.caller_account.as_deref(),
            service: s.caller.ends_with(".amazonaws.com").then_some(&*s.caller),
            federated: federated.as_deref(),
        };
        let mut context = RequestContext::new();
        match &s.external_id {
            Some(id) => context.set("sts:ExternalId", [&**id]),
            None => context.set_absent("sts:ExternalId"),
        };
        if let Some(account) = &s.caller_account {
            context.set("aws:PrincipalAccount", [&**account]);
        }
        if let Some(ip) = s.source_ip.as_deref().filter(|ip| public_ip(ip).is_some()) {
            context.set("aws:SourceIp", [ip]);
        }
        if s.mfa_serial.is_some() {
            context.set("aws:MultiFactorAuthPresent", ["true"]);
        }
        let action = format!("sts:{}", s.via);
        let verdict = trust_allows(trust, &caller, &action, &context);
        let key = (
            s.caller.to_string(),
            s.via.to_string(),
            s.external_id.is_some(),
        );
        let entry = groups.entry(key).or_insert_with(|| TrustUse {
            caller: s.caller.to_string(),
            via: s.via.to_string(),
            external_id_sent: s.external_id.is_some(),
            sessions: 0,
            trust: verdict,
            undecided_keys: Vec::new(),
        });
        entry.sessions += 1;
        // The group's verdict is the weakest of its calls.
        entry.trust = match (entry.trust, verdict) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::True,
        };
        if verdict == Tri::Unknown {
            for statement in &trust.statements {
                for key in condition::undecided_keys(&statement.conditions, &context) {
                    if !entry.undecided_keys.iter().any(|k| k == key) {
                        entry.undecided_keys.push(key.to_owned());
                    }
                }
            }
            entry.undecided_keys.sort();
        }
    }
    groups.into_values().collect()
}

/// Data-plane actions CloudTrail logs only as data events, by event source
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html>).
/// Trails log management events by default and data events only when
/// configured, so without data events for the source these calls cannot
/// be seen. Patterns are matched against `service:Action`.
const DATA_EVENT_ACTIONS: &[(&str, &[&str])] = &[
    (
        "s3.amazonaws.com",
        &[
            "s3:GetObject*",
            "s3:PutObject*",
            "s3:DeleteObject*",
            "s3:RestoreObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:Replicate*",
            "s3:BypassGovernanceRetention",
        ],
    ),
    (
        "lambda.amazonaws.com",
        &["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
    ),
    (
        "dynamodb.amazonaws.com",
        &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:ConditionCheckItem",
            "dynamodb:PartiQL*",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ],
    ),
    ("sns.amazonaws.com", &["sns:Publish"]),
    (
        "sqs.amazonaws.com",
        &[
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
        ],
    ),
    (
        "kinesis.amazonaws.com",
        &[
            "kinesis:PutRecord",
            "kinesis:PutRecords",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:SubscribeToShard",
        ],
    ),
    (
        "secretsmanager.amazonaws.com",
        &["secretsmanager:BatchGetSecretValue"],
    ),
    (
        "ebs.amazonaws.com",
        &[
            "ebs:GetSnapshotBlock",
            "ebs:PutSnapshotBlock",
            "ebs:ListChangedBlocks",
            "ebs:ListSnapshotBlocks",
        ],
    ),
];

/// The event source whose data events would show `action`, when it is a
/// data-plane action.
pub fn data_event_source(action: &str) -> Option<&'static str> {
    DATA_EVENT_ACTIONS.iter().find_map(|(source, patterns)| {
        patterns
            .iter()
            .any(|p| crate::policy::pattern::action_matches(p, action))
            .then_some(*source)
    })
}

/// Services whose resource-based policies can grant access on their own
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html>,
/// "Resource-based policies" column; the common ones).
const RESOURCE_POLICY_SERVICES: &[&str] = &[
    "s3",
    "kms",
    "sqs",
    "sns",
    "lambda",
    "secretsmanager",
    "ecr",
    "glacier",
    "es",
    "logs",
    "events",
    "backup",
    "codeartifact",
    "execute-api",
    "iot",
    "dynamodb",
    "kinesis",
    "sts",
];

/// Compares one principal's grants with its usage. `usage` is `None` when
/// the logs hold nothing of the principal (every grant then is unused or not
/// observable).
pub fn compare(
    principal: &PrincipalPolicies,
    usage: Option<&PrincipalReport>,
    inputs: &Inputs<'_>,
    expander: &mut Expander<'_>,
) -> Comparison {
    let catalog = inputs.catalog;
    let set = PolicySet::of(principal, inputs.scps);
    let grants = Grants::of(expander, &set);
    let used: BTreeMap<usize, &ActionReport> = usage
        .into_iter()
        .flat_map(|p| p.actions.iter())
        .filter(|a| a.needs_permission)
        .filter_map(|a| Some((catalog.action_id(&a.action)?, a)))
        .collect();
    let account = principal.account.as_str();

    let mut actions = Vec::with_capacity(grants.granted.count());
    for id in grants.granted.iter() {
        let action_ref = catalog.action_by_id(id);
        let name = action_ref.to_string();
        let seen = used.get(&id).copied();
        let (status, reason) = match seen {
            Some(a) if a.counts.denied < a.counts.calls => (Status::Used, None),
            Some(_) => (Status::Denied, None),
            None => match &inputs.unobservable[id] {
                Some(reason) => (Status::NotObservable, Some(reason.to_string())),
                None => (Status::Unused, None),
            },
        };
        let conditional =
            (grants.conditional.contains(id)).then(|| check_conditions(&set, &name, seen, account));
        actions.push(ActionStatus {
            access_level: action_ref.access_level(),
            status,
            reason,
            calls: seen.map_or(0, |a| a.counts.calls),
            denied: seen.map_or(0, |a| a.counts.denied),
            first_seen: seen.and_then(|a| a.counts.first_seen).map(fmt_time),
            last_seen: seen.and_then(|a| a.counts.last_seen).map(fmt_time),
            conditional,
            action: name,
        });
    }

    let mut ungranted = Vec::new();
    for a in usage.into_iter().flat_map(|p| p.actions.iter()) {
        if !a.needs_permission {
            continue;
        }
        let id = catalog.action_id(&a.action);
        if id.is_some_and(|id| grants.granted.contains(id)) {
            continue;
        }
        let reason = if a.counts.denied == a.counts.calls {
            UngrantedReason::Refused
        } else if id.is_none() {
            UngrantedReason::NotInCatalog
        } else if id.is_some_and(|id| grants.blocked.contains(id)) {
            UngrantedReason::OutsideBoundaryOrScp
        } else if by_service(a) {
            UngrantedReason::ServiceOnBehalf
        } else if RESOURCE_POLICY_SERVICES.contains(&a.action.split(':').next().unwrap_or(""))
            || touches_other_account(a, account)
        {
            UngrantedReason::ResourcePolicy
        } else {
            UngrantedReason::Unexplained
        };
        ungranted.push(Ungranted {
            action: a.action.clone(),
            calls: a.counts.calls,
            successes: a.counts.calls - a.counts.denied - a.counts.errors,
            denied: a.counts.denied,
            reason,
        });
    }

    let mut totals = LevelSummary::default();
    let mut by_service: BTreeMap<(&str, AccessLevel), LevelSummary> = BTreeMap::new();
    let mut by_level: BTreeMap<AccessLevel, LevelSummary> = BTreeMap::new();
    for a in &actions {
        totals.count(a.status);
        by_service
            .entry((a.service(), a.access_level))
            .or_insert_with(|| LevelSummary {
                service: a.service().to_owned(),
                access_level: Some(a.access_level),
                ..LevelSummary::default()
            })
            .count(a.status);
        by_level
            .entry(a.access_level)
            .or_insert_with(|| LevelSummary {
                service: "*".to_owned(),
                access_level: Some(a.access_level),
                ..LevelSummary::default()
            })
            .count(a.status);
    }
    totals.service = "*".to_owned();

    Comparison {
        principal: principal.arn.clone(),
        policies: principal.identity.iter().map(NamedPolicy::label).collect(),
        boundary: principal.boundary.as_ref().map(NamedPolicy::label),
        unresolved: principal.unresolved.clone(),
        totals,
        by_service: by_service.into_values().collect(),
        by_access_level: by_level.into_values().collect(),
        actions,
        ungranted,
        assumed_by: trust_uses(principal, inputs.issued),
    }
}

fn fmt_time(t: Timestamp) -> String {
    crate::time::format_rfc3339(t)
}

/// Why an action this principal never called could not have been seen.
fn unobservable_reason(
    action: &str,
    mapper: &ActionMapper,
    data_event_sources: &std::collections::BTreeSet<String>,
) -> Option<String> {
    if mapper.is_permission_only(action) {
        return Some("permission only: no API operation is logged under this action".to_owned());
    }
    if let Some(source) = data_event_source(action)
        && !data_event_sources.contains(source)
    {
        return Some(format!(
            "data event: the trail holds no data events from {source}"
        ));
    }
    None
}

/// True when every successful call came from an AWS service acting for the
/// principal: CloudTrail then records the service's name as the source IP.
fn by_service(a: &ActionReport) -> bool {
    a.allowed_source_ips.as_deref().is_some_and(|ips| {
        !ips.is_empty()
            && ips
                .iter()
                .all(|ip| ip.ends_with(".amazonaws.com") || ip == "AWS Internal")
    })
}

/// True when a resource of the calls belongs to another account: only that
/// account's resource policy can have let the call through.
fn touches_other_account(a: &ActionReport, account: &str) -> bool {
    a.resources.samples.iter().any(|arn| {
        arn.split(':')
            .nth(4)
            .is_some_and(|acct| !acct.is_empty() && acct != account)
    })
}

/// Evaluates the conditions of the statements that allow `action` against
/// every observed (Region, source IP) combination.
fn check_conditions(
    set: &PolicySet<'_>,
    action: &str,
    seen: Option<&ActionReport>,
    account: &str,
) -> ConditionCheck {
    let statements: Vec<_> = set
        .identity
        .iter()
        .flat_map(|p| p.document.statements.iter())
        .filter(|s| s.effect == Effect::Allow && statement_matches_action(s, action))
        .collect();
    let conditions: Vec<String> = statements
        .iter()
        .filter(|s| !s.conditions.is_empty())
        .map(|s| s.conditions.to_string())
        .collect();
    let contexts = seen.map_or_else(Vec::new, |a| observed_contexts(a, account, MAX_CONTEXTS));
    let mut outcome: Option<Tri> = None;
    let mut failing = 0;
    let mut undecided: Vec<String> = Vec::new();
    for context in &contexts {
        let result = statements.iter().fold(Tri::False, |acc, s| {
            acc.or(condition::evaluate(&s.conditions, context))
        });
        if result == Tri::False {
            failing += 1;
        }
        if result == Tri::Unknown {
            for s in &statements {
                undecided.extend(
                    condition::undecided_keys(&s.conditions, context)
                        .into_iter()
                        .map(str::to_owned),
                );
            }
        }
        outcome = Some(match (outcome, result) {
            (None, r) => r,
            (Some(Tri::False), _) | (_, Tri::False) => Tri::False,
            (Some(Tri::Unknown), _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::True,
        });
    }
    undecided.sort();
    undecided.dedup();
    ConditionCheck {
        conditions,
        outcome: outcome.unwrap_or(Tri::Unknown),
        undecided_keys: undecided,
        contexts: contexts.len(),
        failing,
    }
}

/// The address `sourceIPAddress` gives, when IAM would see it as
/// `aws:SourceIp`: a public address. A service name (`s3.amazonaws.com`,
/// `AWS Internal`) is no address, and a private one is what a call through
/// a VPC endpoint logs, where AWS does not set `aws:SourceIp`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip>).
pub(crate) fn public_ip(text: &str) -> Option<std::net::IpAddr> {
    let ip: std::net::IpAddr = text.parse().ok()?;
    let private = match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                // fc00::/7 unique local, fe80::/10 link local.
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    (!private).then_some(ip)
}

/// Most (Region, IP) combinations evaluated per action for the
/// used-vs-granted view.
const MAX_CONTEXTS: usize = 256;

/// One request context per observed (Region, source IP) pair of an
/// action's successful calls, with the principal's account; at most `cap`
/// of them. Shared with [`crate::suggest`], which checks every pair.
pub(crate) fn observed_contexts(
    a: &ActionReport,
    account: &str,
    cap: usize,
) -> Vec<RequestContext> {
    let ips: Vec<Option<&str>> = match a.allowed_source_ips.as_deref() {
        Some(ips) if !ips.is_empty() => ips.iter().map(|s| Some(s.as_str())).collect(),
        _ => vec![None],
    };
    let regions: Vec<Option<&str>> = if a.regions.is_empty() {
        vec![None]
    } else {
        a.regions.iter().map(|s| Some(s.as_str())).collect()
    };
    let mut contexts = Vec::new();
    'outer: for region in &regions {
        for ip in &ips {
            if contexts.len() == cap {
                break 'outer;
            }
            let mut context = RequestContext::new();
            context.set("aws:PrincipalAccount", [account]);
            if let Some(region) = region {
                context.set("aws:RequestedRegion", [*region]);
            }
            // A service name instead of an IP says nothing about aws:SourceIp.
            if let Some(ip) = ip.filter(|ip| public_ip(ip).is_some()) {
                context.set("aws:SourceIp", [ip]);
            }
            contexts.push(context);
        }
    }
    contexts
}

#[cfg(test)]
mod tests {
    use super::public_ip;

    #[test]
    fn only_public_addresses_are_source_ips() {
        assert!(public_ip("198.51.100.7").is_some());
        assert!(public_ip("2001:db8::1").is_some());
        for not in [
            "10.0.3.7",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "fd00::1",
            "fe80::1",
            "s3.amazonaws.com",
            "AWS Internal",
        ] {
            assert!(public_ip(not).is_none(), "{not}");
        }
    }
}
