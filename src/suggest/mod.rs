//! Least-privilege suggestions: a policy that allows every observed
//! successful call and never more than the principal's current grant.
//!
//! The contract, checked by [`check`] before anything is printed:
//! 1. every authorized call in the logs (one that succeeded, or failed for
//!    another reason than a denial) that today's policies allow
//!    (identity policies within the boundary and SCPs) is allowed by the
//!    suggestion under the same boundary and SCPs (same action, same
//!    resource, same observed Region and source IP);
//! 2. every action and resource the suggestion allows is allowed by
//!    today's identity policies: each suggested statement is covered by a
//!    granting statement whose conditions it carries, and any of today's
//!    Deny statements that could touch it is carried along.
//!
//! Calls today's identity policies do not grant (allowed by a resource
//! policy, say) are left out and listed, since adding them would grant more
//! than before. The permissions boundary and SCPs stay in place when the
//! suggestion replaces the identity policies, so they are not copied.
//!
//! Resources are narrowed per `--resources`: `exact` lists the ARNs the
//! successful calls touched (when the action supports resource-level
//! permissions, per the catalog's ARN formats, and the usage table kept
//! them all), `prefix` widens each to its parent path (`bucket/logs/*`),
//! `any` keeps `*` where the grant allows it. Whatever cannot be narrowed
//! falls back to the resources of the granting statement, never beyond it.

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::compare::{Inputs, compare};
use crate::policy::condition::{self, RequestContext, Tri};
use crate::policy::document::{Conditions, Effect, Match, PolicyDocument, Statement};
use crate::policy::evaluate::{Expander, PolicySet, Request, evaluate, statement_matches_action};
use crate::policy::iam::{NamedPolicy, PolicySource, PrincipalPolicies};
use crate::policy::pattern::{resource_covers, resource_matches, resource_overlaps};
use crate::report::{ActionReport, PrincipalReport};

/// How far to narrow resources (`--resources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceScope {
    /// The ARNs touched.
    #[default]
    Exact,
    /// Their parent paths, with `*`.
    Prefix,
    /// `*` where the grant allows it.
    Any,
}

/// Conditions to add from what was seen (`--condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddedCondition {
    /// `IpAddress` `aws:SourceIp` with the source IPs seen.
    SourceIp,
    /// `StringEquals` `aws:RequestedRegion` with the Regions seen.
    Region,
}

/// Suggestion options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Resource narrowing.
    pub resources: ResourceScope,
    /// Conditions to add.
    pub conditions: Vec<AddedCondition>,
    /// Size limit per document (IAM's managed policy quota by default).
    pub limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resources: ResourceScope::Exact,
            conditions: Vec::new(),
            limit: render::MANAGED_POLICY_LIMIT,
        }
    }
}

/// Why a suggestion could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SuggestError {
    /// A statement does not fit IAM's size limit on its own.
    #[error(transparent)]
    Split(#[from] render::SplitError),
    /// The self-check failed: the suggestion would break a call or grant more.
    #[error("the suggestion failed its own check, refusing to print it:\n  {}", .0.join("\n  "))]
    CheckFailed(Vec<String>),
}

/// One action kept in the suggestion, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// `service:Action` in AWS's spelling.
    pub action: String,
    /// Successful calls.
    pub successes: u64,
    /// Resources the suggestion allows it on.
    pub resources: Vec<String>,
    /// Today's statement that grants it.
    pub granted_by: String,
    /// Sample event ids.
    pub sample_event_ids: Vec<String>,
    /// What could not be narrowed, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An observed successful call left out of the suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Left {
    /// `service:Action`.
    pub action: String,
    /// Successful calls.
    pub successes: u64,
    /// Why it is not in the suggestion.
    pub reason: String,
}

/// The result of the self-check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Observed (action, resource, context) combinations checked.
    pub observed_checked: usize,
    /// Of which the suggestion allows.
    pub observed_allowed: usize,
    /// Suggested (action, resource) pairs checked against today's grant.
    pub grant_checked: usize,
    /// Problems found (empty when the check passed).
    pub problems: Vec<String>,
}

impl CheckResult {
    /// True when both halves of the contract hold.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.observed_allowed == self.observed_checked
    }
}

/// A least-privilege suggestion for one principal.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// The principal's ARN.
    pub principal: String,
    /// The policy documents (several when split to fit the size limit).
    #[serde(skip)]
    pub documents: Vec<PolicyDocument>,
    /// Actions kept, by name.
    pub kept: Vec<Kept>,
    /// Granted actions removed, by name.
    pub removed: Vec<String>,
    /// Observed calls left out, by name.
    pub left_out: Vec<Left>,
    /// The self-check.
    pub check: CheckResult,
}

/// One (action, resources, conditions) entry before grouping.
struct Entry {
    action: String,
    resources: Match<String>,
    conditions: Conditions,
}

/// Builds, checks and returns the suggestion for one principal.
pub fn suggest(
    principal: &PrincipalPolicies,
    usage: Option<&PrincipalReport>,
    inputs: &Inputs<'_>,
    expander: &mut Expander<'_>,
    options: &Options,
) -> Result<Suggestion, SuggestError> {
    let catalog = inputs.catalog;
    let comparison = compare(principal, usage, inputs, expander);
    let set = PolicySet::of(principal, inputs.scps);
    let granted: BTreeSet<&str> = comparison
        .actions
        .iter()
        .map(|a| a.action.as_str())
        .collect();

    let mut entries = Vec::new();
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for a in usage.into_iter().flat_map(|p| p.actions.iter()) {
        let successes = a.counts.successes();
        // Calls that failed for another reason than a denial were
        // authorized (`ResourceAlreadyExists`, `NoSuchEntity` probes): the
        // permission is needed all the same.
        if !a.needs_permission || a.counts.calls == a.counts.denied {
            continue;
        }
        let Some(action_ref) = catalog.action(&a.action) else {
            left_out.push(Left {
                action: a.action.clone(),
                successes,
                reason: "not an action in the AWS service reference".to_owned(),
            });
            continue;
        };
        let name = action_ref.to_string();
        if !granted.contains(name.as_str()) {
            let reason = comparison
                .ungranted
                .iter()
                .find(|u| u.action == a.action)
                .map_or("not granted by the identity policies".to_owned(), |u| {
                    format!(
                        "not granted by the identity policies (likely: {})",
                        u.reason.as_str()
                    )
                });
            left_out.push(Left {
                action: name,
                successes,
                reason,
            });
            continue;
        }
        let formats: Vec<String> = action_ref
            .resource_types()
            .flat_map(|t| t.arn_formats().iter().map(|f| arn_format_glob(f)))
            .collect();
        let contexts = contexts_of(a, principal.account.as_str());
        let (resources, note) = narrow(a, &formats, options.resources);
        // Each resource goes with a granting statement that covers it.
        let mut by_grant: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
        let mut whole: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut note = note;
        // The statements that keep every call on `r`: those covering it
        // (one unconditional one is enough) and, when all are conditional,
        // the others that may allow calls on it where those conditions fail.
        let keep = |r: &str| {
            let covering = covering_statements(&set, &name, r, &contexts);
            let mut others = Vec::new();
            if !covering.is_empty()
                && covering
                    .iter()
                    .all(|&(p, s)| !set.identity[p].document.statements[s].conditions.is_empty())
            {
                let r_match = Match::Listed(vec![r.to_owned()]);
                others = covering_statements(&set, &name, "", &contexts)
                    .into_iter()
                    .filter(|at| !covering.contains(at))
                    .filter(|&(p, s)| {
                        resources_overlap(&set.identity[p].document.statements[s], &r_match)
                    })
                    .collect();
            }
            (covering, others)
        };
        for r in &resources {
            let (covering, others) = keep(r);
            if covering.is_empty() {
                // Widened past what one statement grants: back to the
                // statements that grant the ARNs it came from.
                let sources = sources_of(a, &formats, options.resources, r);
                if sources.is_empty() {
                    whole.extend(covering_statements(&set, &name, "", &contexts));
                }
                for arn in sources {
                    let (covering, others) = keep(&arn);
                    whole.extend(covering);
                    whole.extend(others);
                }
                note.get_or_insert_with(|| {
                    format!(
                        "{r} is not covered by one granting statement; kept the grant's resources"
                    )
                });
            }
            whole.extend(others);
            for at in covering {
                by_grant.entry(at).or_default().push(r.clone());
            }
        }
        if resources.is_empty() {
            whole.extend(covering_statements(&set, &name, "", &contexts));
        }
        let mut granted_by = Vec::new();
        let mut allowed_resources = Vec::new();
        let extra = added_conditions(a, &options.conditions, &mut note);
        for ((p, s), rs) in &by_grant {
            let statement = &set.identity[*p].document.statements[*s];
            granted_by.push(statement_label(set.identity[*p], *s));
            allowed_resources.extend(rs.iter().cloned());
            entries.push(Entry {
                action: name.clone(),
                resources: Match::Listed(rs.clone()),
                conditions: merge_conditions(&statement.conditions, &extra),
            });
        }
        for (p, s) in whole {
            let statement = &set.identity[p].document.statements[s];
            granted_by.push(statement_label(set.identity[p], s));
            let resources = of_action_types(
                statement
                    .resources
                    .clone()
                    .unwrap_or_else(|| Match::Listed(vec!["*".to_owned()])),
                &formats,
            );
            allowed_resources.extend(resources.items().iter().cloned());
            entries.push(Entry {
                action: name.clone(),
                resources,
                conditions: merge_conditions(&statement.conditions, &extra),
            });
        }
        if granted_by.is_empty() {
            left_out.push(Left {
                action: name,
                successes,
                reason: "no single granting statement covers it (it is granted only under conditions the log contradicts)".to_owned(),
            });
            continue;
        }
        allowed_resources.sort();
        allowed_resources.dedup();
        granted_by.sort();
        granted_by.dedup();
        kept.push(Kept {
            action: name,
            successes,
            resources: allowed_resources,
            granted_by: granted_by.join("; "),
            sample_event_ids: a.sample_event_ids.clone(),
            note,
        });
    }
    kept.sort_by(|a, b| a.action.cmp(&b.action));
    kept.dedup_by(|a, b| a.action == b.action);
    left_out.sort_by(|a, b| a.action.cmp(&b.action));

    let mut statements = group(entries);
    statements.extend(carried_denies(&set, &statements));
    let documents = render::split_to_limit(statements, options.limit)?;
    let kept_names: BTreeSet<&str> = kept.iter().map(|k| k.action.as_str()).collect();
    let removed = comparison
        .actions
        .iter()
        .filter(|a| !kept_names.contains(a.action.as_str()))
        .map(|a| a.action.clone())
        .collect();
    let check = check(&set, &documents, usage, principal.account.as_str(), catalog);
    if !check.passed() {
        let mut problems = check.problems.clone();
        if check.observed_allowed < check.observed_checked {
            problems.push(format!(
                "{} of {} observed calls would no longer be allowed",
                check.observed_checked - check.observed_allowed,
                check.observed_checked
            ));
        }
        return Err(SuggestError::CheckFailed(problems));
    }
    Ok(Suggestion {
        principal: principal.arn.clone(),
        documents,
        kept,
        removed,
        left_out,
        check,
    })
}

/// The grant's resource patterns that can name a resource of the action's
/// types (`bucket/*` for `s3:GetObject`, not the bucket itself); all of them
/// when none can, or when the grant lists what it excludes. Dropping
/// patterns only narrows, so the result stays within the grant.
fn of_action_types(resources: Match<String>, formats: &[String]) -> Match<String> {
    match resources {
        Match::Listed(patterns) if !formats.is_empty() => {
            let typed: Vec<String> = patterns
                .iter()
                .filter(|p| formats.iter().any(|f| resource_overlaps(p, f)))
                .cloned()
                .collect();
            Match::Listed(if typed.is_empty() { patterns } else { typed })
        }
        other => other,
    }
}

/// `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → `arn:*:s3:::*/*`.
fn arn_format_glob(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('*');
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The resources to allow an action on, before checking them against the
/// grant; empty means "use the grant's resources".
fn narrow(
    a: &ActionReport,
    formats: &[String],
    scope: ResourceScope,
) -> (Vec<String>, Option<String>) {
    if formats.is_empty() {
        // No resource-level permissions: IAM requires "*".
        return (vec!["*".to_owned()], None);
    }
    if scope == ResourceScope::Any {
        return (vec!["*".to_owned()], None);
    }
    let Some(all) = a.allowed_resources.as_deref() else {
        return (
            Vec::new(),
            Some(
                "more resources than the usage table keeps; kept the grant's resources".to_owned(),
            ),
        );
    };
    let touched: Vec<&String> = all
        .iter()
        .filter(|arn| formats.iter().any(|f| resource_matches(f, arn)))
        .collect();
    if touched.is_empty() {
        return (
            Vec::new(),
            Some(
                "the log names no resource of this action's types; kept the grant's resources"
                    .to_owned(),
            ),
        );
    }
    let mut out: Vec<String> = match scope {
        ResourceScope::Exact => touched.into_iter().cloned().collect(),
        _ => touched.into_iter().map(|arn| parent_prefix(arn)).collect(),
    };
    out.sort();
    out.dedup();
    (out, None)
}

/// The observed ARNs a narrowed pattern stands for: itself for `exact`,
/// those under it for `prefix`, all of the action's types for `any`; empty
/// when the usage table did not keep them or the action has no resource
/// types (`*`).
fn sources_of(a: &ActionReport, formats: &[String], scope: ResourceScope, r: &str) -> Vec<String> {
    let typed = a
        .allowed_resources
        .iter()
        .flatten()
        .filter(|arn| formats.iter().any(|f| resource_matches(f, arn)));
    match scope {
        ResourceScope::Exact => typed.filter(|arn| *arn == r).cloned().collect(),
        ResourceScope::Prefix => typed
            .filter(|arn| parent_prefix(arn) == r)
            .cloned()
            .collect(),
        ResourceScope::Any => typed.cloned().collect(),
    }
}

/// `arn:aws:s3:::bucket/logs/2024/a.gz` → `arn:aws:s3:::bucket/logs/2024/*`;
/// an ARN whose resource part has no `/` stays as it is.
fn parent_prefix(arn: &str) -> String {
    let resource_start = arn
        .match_indices(':')
        .nth(4)
        .map_or(arn.len(), |(i, _)| i + 1);
    match arn[resource_start..].rfind('/') {
        Some(slash) => format!("{}*", &arn[..resource_start + slash + 1]),
        None => arn.to_owned(),
    }
}

/// Every observed (Region, source IP) context of an action's successful
/// calls: the suggestion must keep all of them.
fn contexts_of(a: &ActionReport, account: &str) -> Vec<RequestContext> {
    crate::compare::observed_contexts(a, account, usize::MAX)
}

/// The identity Allow statements (policy, statement index) that grant
/// `action` on every resource `resource` names (`""`: on their own
/// resources) and whose conditions some observed context does not
/// contradict (they are copied along, so one that fails in some contexts
/// still keeps the calls of the others). For a resource, the first
/// unconditional one alone, when there is one.
fn covering_statements(
    set: &PolicySet<'_>,
    action: &str,
    resource: &str,
    contexts: &[RequestContext],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (p, policy) in set.identity.iter().enumerate() {
        for (s, statement) in policy.document.statements.iter().enumerate() {
            if statement.effect != Effect::Allow || !statement_matches_action(statement, action) {
                continue;
            }
            if !resource.is_empty() && !statement_covers_resource(statement, resource) {
                continue;
            }
            if statement.conditions.is_empty() && !resource.is_empty() {
                return vec![(p, s)];
            }
            let contradicted = contexts
                .iter()
                .all(|c| condition::evaluate(&statement.conditions, c) == Tri::False);
            if !contradicted {
                out.push((p, s));
            }
        }
    }
    out
}

/// Whether every resource matched by `pattern` is in the statement's
/// resources.
fn statement_covers_resource(statement: &Statement, pattern: &str) -> bool {
    match &statement.resources {
        Some(Match::Listed(patterns)) => patterns.iter().any(|g| resource_covers(g, pattern)),
        Some(Match::Not(excluded)) => !excluded.iter().any(|n| resource_overlaps(n, pattern)),
        None => false,
    }
}

fn statement_label(policy: &NamedPolicy, index: usize) -> String {
    let statement = &policy.document.statements[index];
    match &statement.sid {
        Some(sid) => format!("{}, statement {index} ({sid})", policy.label()),
        None => format!("{}, statement {index}", policy.label()),
    }
}

/// The grant's conditions plus the ones asked for.
fn merge_conditions(grant: &Conditions, extra: &Conditions) -> Conditions {
    let mut merged = grant.clone();
    for (op, keys) in &extra.0 {
        let entry = merged.0.entry(op.clone()).or_default();
        for (key, values) in keys {
            // An existing key stays as the grant wrote it: replacing it could
            // widen the grant.
            entry.entry(key.clone()).or_insert_with(|| values.clone());
        }
    }
    merged
}

/// `--condition` blocks from the observed values, when they are complete.
fn added_conditions(
    a: &ActionReport,
    wanted: &[AddedCondition],
    note: &mut Option<String>,
) -> Conditions {
    let mut out = Conditions::default();
    for kind in wanted {
        match kind {
            AddedCondition::SourceIp => match a.allowed_source_ips.as_deref() {
                Some(ips)
                    if !ips.is_empty()
                        && ips.iter().all(|ip| crate::compare::public_ip(ip).is_some()) =>
                {
                    let values = ips
                        .iter()
                        .map(|ip| match crate::compare::public_ip(ip) {
                            Some(std::net::IpAddr::V4(_)) => format!("{ip}/32"),
                            _ => format!("{ip}/128"),
                        })
                        .collect();
                    out.0
                        .entry("IpAddress".to_owned())
                        .or_default()
                        .insert("aws:SourceIp".to_owned(), values);
                }
                Some(_) => {
                    note.get_or_insert_with(|| {
                        "no aws:SourceIp condition: some calls came through an AWS service or a VPC endpoint (private address), where AWS sets no aws:SourceIp"
                            .to_owned()
                    });
                }
                None => {
                    note.get_or_insert_with(|| {
                        "no aws:SourceIp condition: more source IPs than the usage table keeps"
                            .to_owned()
                    });
                }
            },
            AddedCondition::Region if !a.regions.is_empty() => {
                out.0
                    .entry("StringEquals".to_owned())
                    .or_default()
                    .insert("aws:RequestedRegion".to_owned(), a.regions.clone());
            }
            AddedCondition::Region => {}
        }
    }
    out
}

/// Groups entries into statements: one per (service, resources,
/// conditions), actions sorted, statements sorted by service.
fn group(entries: Vec<Entry>) -> Vec<Statement> {
    let mut groups: BTreeMap<(String, Match<String>, Conditions), BTreeSet<String>> =
        BTreeMap::new();
    for e in entries {
        let service = e.action.split(':').next().unwrap_or("").to_owned();
        groups
            .entry((service, e.resources, e.conditions))
            .or_default()
            .insert(e.action);
    }
    let mut per_service: BTreeMap<String, usize> = BTreeMap::new();
    groups
        .into_iter()
        .map(|((service, resources, conditions), actions)| {
            let n = per_service.entry(service.clone()).or_default();
            *n += 1;
            Statement {
                sid: Some(sid_for(&service, *n)),
                effect: Effect::Allow,
                actions: Match::Listed(actions.into_iter().collect()),
                resources: Some(resources),
                principals: None,
                conditions,
            }
        })
        .collect()
}

/// `s3`, 1 → `S3`; `elasticloadbalancing`, 2 → `Elasticloadbalancing2`.
/// Sids are alphanumeric only.
fn sid_for(service: &str, n: usize) -> String {
    let mut sid: String = service
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if n > 1 {
        sid.push_str(&n.to_string());
    }
    sid
}

/// Today's identity Deny statements that could apply to a suggested
/// statement, narrowed to the suggested actions they match. The boundary
/// and SCPs stay attached, so their denies need no copy.
fn carried_denies(set: &PolicySet<'_>, allows: &[Statement]) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for policy in &set.identity {
        for deny in policy
            .document
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
        {
            let mut actions = BTreeSet::new();
            for allow in allows {
                let overlaps = allow
                    .resources
                    .as_ref()
                    .is_none_or(|r| resources_overlap(deny, r));
                if !overlaps {
                    continue;
                }
                for action in allow.actions.items() {
                    if statement_matches_action(deny, action) {
                        actions.insert(action.clone());
                    }
                }
            }
            if !actions.is_empty() {
                let n = out.len() + 1;
                out.push(Statement {
                    sid: Some(format!("KeepDeny{n}")),
                    effect: Effect::Deny,
                    actions: Match::Listed(actions.into_iter().collect()),
                    resources: deny.resources.clone(),
                    principals: None,
                    conditions: deny.conditions.clone(),
                });
            }
        }
    }
    out
}

/// Whether a Deny statement's resources can meet any resource of `allowed`.
fn resources_overlap(deny: &Statement, allowed: &Match<String>) -> bool {
    match (&deny.resources, allowed) {
        (None, _) => true,
        (Some(Match::Listed(denied)), Match::Listed(allowed)) => denied
            .iter()
            .any(|d| allowed.iter().any(|a| resource_overlaps(d, a))),
        (Some(Match::Not(excluded)), Match::Listed(allowed)) => allowed
            .iter()
            .any(|a| !excluded.iter().any(|e| resource_covers(e, a))),
        // NotResource in an allow: assume overlap (conservative).
        (Some(_), Match::Not(_)) => true,
    }
}

/// Checks both halves of the contract (see the module docs).
pub fn check(
    set: &PolicySet<'_>,
    documents: &[PolicyDocument],
    usage: Option<&PrincipalReport>,
    account: &str,
    catalog: &crate::policy::catalog::Catalog,
) -> CheckResult {
    let named: Vec<NamedPolicy> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| NamedPolicy {
            source: PolicySource::File {
                path: format!("suggestion {}", i + 1),
            },
            document: d.clone(),
        })
        .collect();
    let suggested = PolicySet {
        identity: named.iter().collect(),
        boundary: set.boundary,
        scp_levels: set.scp_levels.clone(),
    };
    let today = set.clone();
    let mut result = CheckResult::default();

    // 1. Every observed successful call today's identity policies allow.
    for a in usage.into_iter().flat_map(|p| p.actions.iter()) {
        if !a.needs_permission || a.counts.calls == a.counts.denied {
            continue;
        }
        let Some(action_ref) = catalog.action(&a.action) else {
            continue;
        };
        let name = action_ref.to_string();
        let formats: Vec<String> = action_ref
            .resource_types()
            .flat_map(|t| t.arn_formats().iter().map(|f| arn_format_glob(f)))
            .collect();
        let resources: Vec<Option<&str>> = match a.allowed_resources.as_deref() {
            Some(all) if !formats.is_empty() => {
                let typed: Vec<Option<&str>> = all
                    .iter()
                    .filter(|arn| formats.iter().any(|f| resource_matches(f, arn)))
                    .map(|s| Some(s.as_str()))
                    .collect();
                if typed.is_empty() { vec![None] } else { typed }
            }
            _ => vec![None],
        };
        for context in contexts_of(a, account) {
            for resource in &resources {
                let request = Request {
                    action: &name,
                    resource: *resource,
                    context: &context,
                };
                // Calls today's grant does not allow (resource policies…)
                // are not the suggestion's to keep.
                if evaluate(&today, &request).allowed == Tri::False {
                    continue;
                }
                result.observed_checked += 1;
                let now = evaluate(&suggested, &request).allowed;
                let before = evaluate(&today, &request).allowed;
                if now == Tri::True || (now == Tri::Unknown && before != Tri::True) {
                    result.observed_allowed += 1;
                } else if result.problems.len() < 20 {
                    result.problems.push(format!(
                        "{name} on {} is observed but not allowed by the suggestion",
                        resource.unwrap_or("*")
                    ));
                }
            }
        }
    }

    // 2. Nothing beyond today's grant.
    let denies: Vec<&Statement> = set
        .identity
        .iter()
        .flat_map(|p| p.document.statements.iter())
        .filter(|s| s.effect == Effect::Deny)
        .collect();
    for document in documents {
        for statement in document
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
        {
            let resources = statement.resources.as_ref();
            for action in statement.actions.items() {
                if catalog.action(action).is_none() {
                    result
                        .problems
                        .push(format!("{action} is not an action in the catalog"));
                }
                let patterns: Vec<&str> = match resources {
                    Some(Match::Listed(r)) => r.iter().map(String::as_str).collect(),
                    _ => vec![""],
                };
                for pattern in patterns {
                    result.grant_checked += 1;
                    let covered = set.identity.iter().any(|p| {
                        p.document.statements.iter().any(|g| {
                            g.effect == Effect::Allow
                                && statement_matches_action(g, action)
                                && conditions_within(&g.conditions, &statement.conditions)
                                && if pattern.is_empty() {
                                    g.resources == statement.resources
                                } else {
                                    statement_covers_resource(g, pattern)
                                }
                        })
                    });
                    if !covered {
                        result.problems.push(format!(
                            "{action} on {} is not granted today",
                            if pattern.is_empty() {
                                "its resources"
                            } else {
                                pattern
                            }
                        ));
                    }
                    for deny in &denies {
                        let applies = statement_matches_action(deny, action)
                            && resources.is_none_or(|r| resources_overlap(deny, r));
                        if applies && !carried(documents, deny, action) {
                            result.problems.push(format!(
                                "{action}: today's Deny is not carried into the suggestion"
                            ));
                        }
                    }
                }
            }
        }
    }
    result.problems.sort();
    result.problems.dedup();
    result
}

/// True when every condition entry of `grant` is in `suggested` unchanged,
/// so the suggested statement is at least as narrow.
fn conditions_within(grant: &Conditions, suggested: &Conditions) -> bool {
    grant.iter().all(|(op, key, values)| {
        suggested
            .0
            .get(op)
            .and_then(|keys| keys.get(key))
            .is_some_and(|v| v == values)
    })
}

/// Whether the suggestion carries `deny` (same resources and conditions)
/// for `action`, in any of its documents (they apply together).
fn carried(documents: &[PolicyDocument], deny: &Statement, action: &str) -> bool {
    documents.iter().flat_map(|d| d.statements.iter()).any(|s| {
        s.effect == Effect::Deny
            && s.resources == deny.resources
            && s.conditions == deny.conditions
            && s.actions.items().iter().any(|a| a == action)
    })
}
#[cfg(test)]
mod proptests;
