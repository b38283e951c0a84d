//! IAM policy evaluation: what a principal may do, for one request and for
//! every action in the catalog at once.
//!
//! Follows AWS's policy evaluation logic for a request inside one account
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//! an explicit `Deny` in any applicable policy wins; otherwise the request
//! is allowed only if an identity-based policy allows it **and** the
//! permissions boundary (when the principal has one) allows it **and**
//! every level of SCPs (when given) allows it. Resource-based and session
//! policies are not in IAM exports; [`crate::compare`] names them as the
//! likely reason when the logs show a call the identity policies cannot
//! explain.
//!
//! Conditions are three-valued ([`Tri`]): what the log cannot decide stays
//! `Unknown`, so a grant under a condition is reported as conditional and
//! never silently counted as a plain allow or a plain deny.
//!
//! Two entry points: [`evaluate`] decides one request (action, resource,
//! context); [`Grants::of`] expands every statement against the action
//! catalog into dense bit sets ([`ActionSet`]), so an account export with
//! hundreds of roles is evaluated over all ~22k actions in milliseconds.

use std::collections::HashMap;
use std::sync::Arc;

use super::catalog::Catalog;
use super::condition::{self, RequestContext, Tri};
use super::document::{Effect, Match, Statement};
use super::iam::{NamedPolicy, PolicySource, PrincipalPolicies};
use super::pattern::{action_matches, resource_matches};

/// The policies that decide one principal's requests.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'p> {
    /// Identity-based policies (inline, attached, group, `--policy` files).
    pub identity: Vec<&'p NamedPolicy>,
    /// The permissions boundary, when the principal has one.
    pub boundary: Option<&'p NamedPolicy>,
    /// SCP levels: every level must allow; within a level, any SCP may.
    pub scp_levels: Vec<Vec<&'p NamedPolicy>>,
}

impl<'p> PolicySet<'p> {
    /// The set for one principal, with the run's SCPs. Each `--scp` file
    /// is one level of the organization (root, OU, account): AWS requires an
    /// allow at every level, so files intersect; documents within one file
    /// are one level and unite.
    /// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>)
    pub fn of(principal: &'p PrincipalPolicies, scps: &'p [NamedPolicy]) -> PolicySet<'p> {
        let mut levels: Vec<(&str, Vec<&NamedPolicy>)> = Vec::new();
        for scp in scps {
            let path = match &scp.source {
                PolicySource::Scp { path, .. } | PolicySource::File { path } => path.as_str(),
                _ => "",
            };
            match levels.iter_mut().find(|(p, _)| *p == path) {
                Some((_, level)) => level.push(scp),
                None => levels.push((path, vec![scp])),
            }
        }
        // SCPs do not restrict service-linked roles (Organizations user
        // guide, "SCP effects on permissions").
        let scp_levels = if principal.is_service_linked() {
            Vec::new()
        } else {
            levels.into_iter().map(|(_, level)| level).collect()
        };
        PolicySet {
            identity: principal.identity.iter().collect(),
            boundary: principal.boundary.as_ref(),
            scp_levels,
        }
    }

    /// Every statement of every policy in the set.
    fn all_statements(&self) -> impl Iterator<Item = StatementRef<'p>> + '_ {
        self.identity
            .iter()
            .copied()
            .chain(self.boundary)
            .chain(self.scp_levels.iter().flatten().copied())
            .flat_map(StatementRef::all)
    }
}

/// One statement of one policy, for evidence.
#[derive(Debug, Clone, Copy)]
pub struct StatementRef<'p> {
    /// The policy.
    pub policy: &'p NamedPolicy,
    /// Index in its `Statement` list.
    pub index: usize,
}

impl<'p> StatementRef<'p> {
    /// The statement itself.
    pub fn statement(&self) -> &'p Statement {
        &self.policy.document.statements[self.index]
    }

    fn all(policy: &'p NamedPolicy) -> impl Iterator<Item = StatementRef<'p>> {
        (0..policy.document.statements.len()).map(move |index| StatementRef { policy, index })
    }

    /// `managed DatadogIntegrationPolicy, statement 0 (DatadogReadOnly)`.
    pub fn label(&self) -> String {
        match &self.statement().sid {
            Some(sid) => format!("{}, statement {} ({sid})", self.policy.label(), self.index),
            None => format!("{}, statement {}", self.policy.label(), self.index),
        }
    }
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN; `None` when the log names none (then only
    /// statements on every resource match for certain).
    pub resource: Option<&'a str>,
    /// What the log says about the request.
    pub context: &'a RequestContext,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone)]
pub struct Verdict<'p> {
    /// Whether the request is allowed (explicit deny and every required
    /// allow taken into account).
    pub allowed: Tri,
    /// Whether an explicit deny applies.
    pub explicit_deny: Tri,
    /// Identity statements that allow it (or may, under conditions).
    pub allowed_by: Vec<StatementRef<'p>>,
    /// Deny statements that apply (or may).
    pub denied_by: Vec<StatementRef<'p>>,
    /// Whether the boundary allows it (`True` without a boundary).
    pub boundary: Tri,
    /// Whether every SCP level allows it (`True` without SCPs).
    pub scps: Tri,
}

/// Whether a statement's `Action`/`NotAction` covers an action.
pub fn statement_matches_action(statement: &Statement, action: &str) -> bool {
    match &statement.actions {
        Match::Listed(patterns) => patterns.iter().any(|p| action_matches(p, action)),
        Match::Not(patterns) => !patterns.iter().any(|p| action_matches(p, action)),
    }
}

/// Whether a statement's `Resource`/`NotResource` covers a resource. With
/// no resource in the request, only a statement that covers every resource
/// matches for certain.
pub fn statement_matches_resource(statement: &Statement, resource: Option<&str>) -> Tri {
    let Some(resources) = &statement.resources else {
        // Trust policies have no Resource: the role itself is the resource.
        return Tri::True;
    };
    match (resources, resource) {
        (Match::Listed(patterns), Some(arn)) => {
            Tri::from(patterns.iter().any(|p| resource_matches(p, arn)))
        }
        (Match::Not(patterns), Some(arn)) => {
            Tri::from(!patterns.iter().any(|p| resource_matches(p, arn)))
        }
        (Match::Listed(patterns), None) if patterns.iter().any(|p| p == "*") => Tri::True,
        // `NotResource: "*"` leaves out every resource.
        (Match::Not(patterns), None) if patterns.iter().any(|p| p == "*") => Tri::False,
        (Match::Not(_), None) | (Match::Listed(_), None) => Tri::Unknown,
    }
}

/// Whether one statement applies to a request (action, resource, condition).
pub fn statement_applies(statement: &Statement, request: &Request<'_>) -> Tri {
    if !statement_matches_action(statement, request.action) {
        return Tri::False;
    }
    statement_matches_resource(statement, request.resource)
        .and(condition::evaluate(&statement.conditions, request.context))
}

/// Decides one request against a principal's policies.
pub fn evaluate<'p>(set: &PolicySet<'p>, request: &Request<'_>) -> Verdict<'p> {
    let mut denied_by = Vec::new();
    let mut explicit_deny = Tri::False;
    for s in set.all_statements() {
        if s.statement().effect == Effect::Deny {
            let applies = statement_applies(s.statement(), request);
            if applies != Tri::False {
                denied_by.push(s);
                explicit_deny = explicit_deny.or(applies);
            }
        }
    }
    let mut allowed_by = Vec::new();
    let mut identity = Tri::False;
    for policy in &set.identity {
        for s in StatementRef::all(policy) {
            if s.statement().effect == Effect::Allow {
                let applies = statement_applies(s.statement(), request);
                if applies != Tri::False {
                    allowed_by.push(s);
                    identity = identity.or(applies);
                }
            }
        }
    }
    let boundary = match set.boundary {
        Some(policy) => any_allow(policy, request),
        None => Tri::True,
    };
    let scps = set.scp_levels.iter().fold(Tri::True, |acc, level| {
        acc.and(
            level
                .iter()
                .fold(Tri::False, |any, p| any.or(any_allow(p, request))),
        )
    });
    let allowed = identity.and(boundary).and(scps).and(explicit_deny.not());
    Verdict {
        allowed,
        explicit_deny,
        allowed_by,
        denied_by,
        boundary,
        scps,
    }
}

/// Whether any Allow statement of a policy applies.
fn any_allow(policy: &NamedPolicy, request: &Request<'_>) -> Tri {
    StatementRef::all(policy)
        .filter(|s| s.statement().effect == Effect::Allow)
        .fold(Tri::False, |acc, s| {
            acc.or(statement_applies(s.statement(), request))
        })
}

// ---------------------------------------------------------------------------
// Every action at once.

/// A set of catalog actions by dense id ([`Catalog::action_id`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ActionSet {
    words: Vec<u64>,
    len: usize,
}

impl std::fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActionSet({} of {})", self.count(), self.len)
    }
}

impl ActionSet {
    /// The empty set over `len` actions.
    pub fn empty(len: usize) -> Self {
        ActionSet {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Every action.
    pub fn full(len: usize) -> Self {
        let mut set = ActionSet::empty(len);
        set.words.iter_mut().for_each(|w| *w = !0);
        set.trim();
        set
    }

    fn trim(&mut self) {
        if !self.len.is_multiple_of(64)
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1u64 << (self.len % 64)) - 1;
        }
    }

    /// Adds an action.
    pub fn insert(&mut self, id: usize) {
        self.words[id / 64] |= 1 << (id % 64);
    }

    /// Whether the action is in the set.
    pub fn contains(&self, id: usize) -> bool {
        self.words
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Number of actions in the set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when no action is in the set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// `self ∪= other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a |= b);
    }

    /// `self ∩= other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= b);
    }

    /// `self −= other`.
    pub fn subtract(&mut self, other: &ActionSet) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= !b);
    }

    /// The complement.
    pub fn complement(&self) -> ActionSet {
        let mut set = ActionSet {
            words: self.words.iter().map(|w| !w).collect(),
            len: self.len,
        };
        set.trim();
        set
    }

    /// Ids in ascending order (catalog order).
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut word = w;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    i * 64 + bit
                })
            })
        })
    }
}

/// Expands action patterns against the catalog, caching each pattern.
/// Account exports repeat the same patterns (`ec2:Describe*`) across
/// hundreds of roles, so the cache is what makes whole-account expansion
/// fast.
pub struct Expander<'c> {
    catalog: &'c Catalog,
    cache: HashMap<String, Arc<ActionSet>>,
}

impl<'c> Expander<'c> {
    /// An expander over a catalog.
    pub fn new(catalog: &'c Catalog) -> Self {
        Expander {
            catalog,
            cache: HashMap::new(),
        }
    }

    /// The catalog.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The actions one (lowercased) pattern matches.
    pub fn pattern(&mut self, pattern: &str) -> Arc<ActionSet> {
        if let Some(set) = self.cache.get(pattern) {
            return Arc::clone(set);
        }
        let len = self.catalog.action_count();
        let set = if pattern == "*" {
            ActionSet::full(len)
        } else {
            let mut set = ActionSet::empty(len);
            for id in self.catalog.ids_matching(pattern) {
                set.insert(id);
            }
            set
        };
        let set = Arc::new(set);
        self.cache.insert(pattern.to_owned(), Arc::clone(&set));
        set
    }

    /// The actions a statement's `Action`/`NotAction` covers.
    pub fn statement(&mut self, statement: &Statement) -> ActionSet {
        let mut set = ActionSet::empty(self.catalog.action_count());
        for pattern in statement.actions.items() {
            set.union_with(&self.pattern(pattern));
        }
        if statement.actions.is_not() {
            set.complement()
        } else {
            set
        }
    }
}

/// Whether a statement covers every resource (`"Resource": "*"`).
fn on_every_resource(statement: &Statement) -> bool {
    match &statement.resources {
        Some(Match::Listed(patterns)) => patterns.iter().any(|p| p == "*"),
        // `NotResource` always leaves some resource out; no Resource at all
        // (trust policies) is not a permission policy.
        Some(Match::Not(_)) | None => false,
    }
}

/// Every catalog action a principal may be allowed, and how.
#[derive(Debug, Clone)]
pub struct Grants {
    /// Allowed on some resource under some conditions, after boundary,
    /// SCPs and unconditional deny on every resource.
    pub granted: ActionSet,
    /// Of `granted`, those allowed for certain on every resource: an
    /// unconditional allow on `*` in identity, boundary and every SCP level,
    /// and no deny that may apply.
    pub unrestricted: ActionSet,
    /// Explicitly denied on every resource without condition.
    pub denied: ActionSet,
    /// Allowed by identity policies but outside the boundary or an SCP.
    pub blocked: ActionSet,
    /// Of `granted`, those whose every allowing path carries a condition.
    pub conditional: ActionSet,
}

/// Union of a policy's Allow statements: (any, unconditional, unconditional on `*`).
fn allows(expander: &mut Expander<'_>, policies: &[&NamedPolicy]) -> [ActionSet; 3] {
    let len = expander.catalog().action_count();
    let mut any = ActionSet::empty(len);
    let mut unconditional = ActionSet::empty(len);
    let mut everywhere = ActionSet::empty(len);
    for policy in policies {
        for s in &policy.document.statements {
            if s.effect != Effect::Allow {
                continue;
            }
            let set = expander.statement(s);
            if s.conditions.is_empty() {
                unconditional.union_with(&set);
                if on_every_resource(s) {
                    everywhere.union_with(&set);
                }
            }
            any.union_with(&set);
        }
    }
    [any, unconditional, everywhere]
}

impl Grants {
    /// Expands a principal's policies over the whole catalog.
    pub fn of(expander: &mut Expander<'_>, set: &PolicySet<'_>) -> Grants {
        let len = expander.catalog().action_count();
        let [mut granted, mut unconditional, mut unrestricted] = allows(expander, &set.identity);
        let identity_any = granted.clone();
        let mut limits: Vec<[ActionSet; 3]> = Vec::new();
        if let Some(boundary) = set.boundary {
            limits.push(allows(expander, &[boundary]));
        }
        for level in &set.scp_levels {
            limits.push(allows(expander, level));
        }
        for [any, uncond, everywhere] in &limits {
            granted.intersect_with(any);
            unconditional.intersect_with(uncond);
            unrestricted.intersect_with(everywhere);
        }
        let mut denied = ActionSet::empty(len);
        let mut may_deny = ActionSet::empty(len);
        for s in set.all_statements() {
            let statement = s.statement();
            if statement.effect != Effect::Deny {
                continue;
            }
            let actions = expander.statement(statement);
            if statement.conditions.is_empty() && on_every_resource(statement) {
                denied.union_with(&actions);
            }
            may_deny.union_with(&actions);
        }
        granted.subtract(&denied);
        unrestricted.subtract(&may_deny);
        let mut blocked = identity_any;
        blocked.subtract(&granted);
        blocked.subtract(&denied);
        let mut conditional = granted.clone();
        conditional.subtract(&unconditional);
        Grants {
            granted,
            unrestricted,
            denied,
            blocked,
            conditional,
        }
    }
}

// ---------------------------------------------------------------------------
// Trust policies.

/// Who calls `sts:AssumeRole*`, as far as the log tells.
#[derive(Debug, Clone, Default)]
pub struct Caller<'a> {
    /// The caller's ARN (user or role; for a role session, the role ARN).
    pub arn: Option<&'a str>,
    /// The caller's account.
    pub account: Option<&'a str>,
    /// An AWS service principal (`ec2.amazonaws.com`).
    pub service: Option<&'a str>,
    /// A federated provider (`token.actions.githubusercontent.com`, SAML provider ARN).
    pub federated: Option<&'a str>,
}

/// Whether a trust policy principal entry names the caller.
///
/// `"AWS": "123456789012"` or `arn:aws:iam::123456789012:root` stand for
/// every principal in that account; `"*"` for everyone
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
/// When the log gives only the caller's account (the role owner's copy of a
/// cross-account AssumeRole), a user or role ARN in that account may or may
/// not be the caller: `Unknown`.
fn principal_names(kind: &str, value: &str, caller: &Caller<'_>) -> Tri {
    if value == "*" {
        return Tri::True;
    }
    match kind {
        "AWS" => {
            let arn_account = value
                .strip_prefix("arn:")
                .and_then(|rest| rest.split(':').nth(3));
            let whole_account = if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                Some(value)
            } else if value.ends_with(":root") {
                arn_account
            } else {
                None
            };
            if let Some(account) = whole_account {
                return match caller.account {
                    Some(a) => Tri::from(a == account),
                    None => Tri::Unknown,
                };
            }
            match (caller.arn, caller.account, arn_account) {
                (Some(arn), _, _) => Tri::from(resource_matches(value, arn)),
                (None, Some(a), Some(b)) if a != b => Tri::False,
                _ => Tri::Unknown,
            }
        }
        "Service" => Tri::from(caller.service == Some(value)),
        "Federated" => Tri::from(caller.federated == Some(value)),
        _ => Tri::False,
    }
}

/// Whether any entry of a principal map names the caller.
fn names_caller(maps: &[super::document::Principals], caller: &Caller<'_>) -> Tri {
    maps.iter()
        .flat_map(|m| m.iter())
        .flat_map(|(kind, values)| values.iter().map(move |v| (kind, v)))
        .fold(Tri::False, |acc, (kind, value)| {
            acc.or(principal_names(kind, value, caller))
        })
}

/// Whether a trust policy lets `caller` perform `action` (`sts:AssumeRole`,
/// `sts:AssumeRoleWithWebIdentity`, …) with what the log says about the
/// call (`sts:ExternalId`, `aws:SourceIp`, …).
pub fn trust_allows(
    trust: &super::document::PolicyDocument,
    caller: &Caller<'_>,
    action: &str,
    context: &RequestContext,
) -> Tri {
    let request = Request {
        action,
        resource: None,
        context,
    };
    let mut allow = Tri::False;
    let mut deny = Tri::False;
    for statement in &trust.statements {
        let names = match &statement.principals {
            Some(Match::Listed(maps)) => names_caller(maps, caller),
            Some(Match::Not(maps)) => names_caller(maps, caller).not(),
            None => Tri::False,
        };
        if names == Tri::False {
            continue;
        }
        let applies = names.and(statement_applies(statement, &request));
        match statement.effect {
            Effect::Allow => allow = allow.or(applies),
            Effect::Deny => deny = deny.or(applies),
        }
    }
    allow.and(deny.not())
}

#[cfg(test)]
mod tests {
    //! Cases from AWS's policy evaluation documentation; each test names
    //! the page it follows.

    use super::*;
    use crate::policy::document::PolicyDocument;
    use crate::testutil::real_catalog;
    use serde_json::{Value, json};

    fn policy(name: &str, document: Value) -> NamedPolicy {
        NamedPolicy {
            source: PolicySource::File {
                path: name.to_owned(),
            },
            document: PolicyDocument::from_value(&document).unwrap(),
        }
    }

    fn scp(path: &str, document: Value) -> NamedPolicy {
        NamedPolicy {
            source: PolicySource::Scp {
                path: path.to_owned(),
                name: path.to_owned(),
            },
            document: PolicyDocument::from_value(&document).unwrap(),
        }
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
    }

    /// Decides `action` on `resource` with an empty context.
    fn decide(set: &PolicySet<'_>, action: &str, resource: &str) -> Tri {
        let context = RequestContext::new();
        evaluate(
            set,
            &Request {
                action,
                resource: Some(resource),
                context: &context,
            },
        )
        .allowed
    }

    fn identity(policies: &[NamedPolicy]) -> PolicySet<'_> {
        PolicySet {
            identity: policies.iter().collect(),
            ..PolicySet::default()
        }
    }

    // reference_policies_evaluation-logic.html: "By default, all requests
    // are implicitly denied".
    #[test]
    fn implicit_deny_by_default() {
        let set = PolicySet::default();
        assert_eq!(decide(&set, "s3:GetObject", "arn:aws:s3:::b/k"), Tri::False);
        let policies = [policy("p", allow(json!("s3:ListBucket"), json!("*")))];
        assert_eq!(
            decide(&identity(&policies), "s3:GetObject", "arn:aws:s3:::b/k"),
            Tri::False
        );
    }

    // reference_policies_evaluation-logic.html: "An explicit deny in any
    // policy overrides any allows".
    #[test]
    fn explicit_deny_overrides_allow() {
        let policies = [
            policy("allow", allow(json!("s3:*"), json!("*"))),
            policy(
                "deny",
                json!({"Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::prod/*"}]}),
            ),
        ];
        let set = identity(&policies);
        assert_eq!(
            decide(&set, "s3:DeleteObject", "arn:aws:s3:::prod/k"),
            Tri::False
        );
        assert_eq!(
            decide(&set, "s3:DeleteObject", "arn:aws:s3:::dev/k"),
            Tri::True
        );
        assert_eq!(
            decide(&set, "s3:GetObject", "arn:aws:s3:::prod/k"),
            Tri::True
        );
        let context = RequestContext::new();
        let verdict = evaluate(
            &set,
            &Request {
                action: "s3:DeleteObject",
                resource: Some("arn:aws:s3:::prod/k"),
                context: &context,
            },
        );
        assert_eq!(verdict.explicit_deny, Tri::True);
        assert_eq!(verdict.denied_by.len(), 1);
        assert_eq!(verdict.allowed_by.len(), 1);
    }

    // reference_policies_elements_notaction.html: "Allow … NotAction
    // iam:*" allows every action except IAM ones.
    #[test]
    fn not_action_with_allow() {
        let policies = [policy(
            "p",
            json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}),
        )];
        let set = identity(&policies);
        assert_eq!(decide(&set, "s3:GetObject", "arn:aws:s3:::b/k"), Tri::True);
        assert_eq!(
            decide(&set, "iam:CreateUser", "arn:aws:iam::1:user/x"),
            Tri::False
        );
    }

    // reference_policies_elements_notaction.html: Deny with NotAction
    // denies everything not listed ("Deny all actions except …").
    #[test]
    fn not_action_with_deny() {
        let policies = [
            policy("admin", allow(json!("*"), json!("*"))),
            policy(
                "deny",
                json!({"Statement": {"Effect": "Deny", "NotAction": ["iam:*", "sts:GetSessionToken"], "Resource": "*"}}),
            ),
        ];
        let set = identity(&policies);
        assert_eq!(decide(&set, "iam:ListUsers", "*"), Tri::True);
        assert_eq!(decide(&set, "sts:GetSessionToken", "*"), Tri::True);
        assert_eq!(decide(&set, "ec2:RunInstances", "*"), Tri::False);
    }

    // reference_policies_elements_notresource.html: allow everything in S3
    // except the payroll folder.
    #[test]
    fn not_resource() {
        let policies = [policy(
            "p",
            json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "NotResource": [
                "arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}}),
        )];
        let set = identity(&policies);
        assert_eq!(
            decide(&set, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/a"),
            Tri::True
        );
        assert_eq!(
            decide(&set, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/a"),
            Tri::False
        );
    }

    // access_policies_boundaries.html: the effective permissions are the
    // intersection of the identity policy and the boundary; the example
    // boundary allows S3, CloudWatch and EC2, so iam:CreateUser allowed by
    // the identity policy is not effective.
    #[test]
    fn permissions_boundary_intersects() {
        let identity_policy = policy("id", allow(json!(["s3:*", "iam:CreateUser"]), json!("*")));
        let boundary = policy(
            "boundary",
            allow(json!(["s3:*", "cloudwatch:*", "ec2:*"]), json!("*")),
        );
        let set = PolicySet {
            identity: vec![&identity_policy],
            boundary: Some(&boundary),
            scp_levels: Vec::new(),
        };
        assert_eq!(decide(&set, "s3:PutObject", "arn:aws:s3:::b/k"), Tri::True);
        assert_eq!(
            decide(&set, "iam:CreateUser", "arn:aws:iam::1:user/x"),
            Tri::False
        );
        // The boundary alone grants nothing.
        assert_eq!(decide(&set, "ec2:RunInstances", "*"), Tri::False);
    }

    // orgs_manage_policies_scps_evaluation.html: an action must be allowed
    // by an SCP at every level; a deny in any SCP wins.
    #[test]
    fn scp_levels_intersect() {
        let admin = [policy("admin", allow(json!("*"), json!("*")))];
        let scps = [
            scp("root.json", allow(json!("*"), json!("*"))),
            scp("ou.json", allow(json!(["s3:*", "ec2:*"]), json!("*"))),
            scp(
                "ou.json",
                json!({"Statement": {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}}),
            ),
        ];
        let mut set = identity(&admin);
        set.scp_levels = vec![vec![&scps[0]], vec![&scps[1], &scps[2]]];
        assert_eq!(decide(&set, "s3:GetObject", "arn:aws:s3:::b/k"), Tri::True);
        assert_eq!(decide(&set, "iam:CreateUser", "*"), Tri::False);
        assert_eq!(decide(&set, "ec2:TerminateInstances", "*"), Tri::False);
        assert_eq!(decide(&set, "ec2:RunInstances", "*"), Tri::True);
    }

    // reference_policies_elements_action.html: wildcards may appear anywhere
    // in the action name ("iam:*AccessKey*"), and action names are not case
    // sensitive; resource ARNs are.
    #[test]
    fn wildcards_in_the_middle_and_case() {
        let policies = [policy(
            "p",
            allow(
                json!(["iam:*AccessKey*", "S3:getOBJECT"]),
                json!("arn:aws:s3:::Bucket/*"),
            ),
        )];
        let set = identity(&policies);
        assert_eq!(
            decide(&set, "iam:ListAccessKeys", "arn:aws:s3:::Bucket/x"),
            Tri::True
        );
        assert_eq!(
            decide(&set, "iam:CreateAccessKey", "arn:aws:s3:::Bucket/x"),
            Tri::True
        );
        assert_eq!(
            decide(&set, "iam:ListUsers", "arn:aws:s3:::Bucket/x"),
            Tri::False
        );
        assert_eq!(
            decide(&set, "s3:GetObject", "arn:aws:s3:::Bucket/x"),
            Tri::True
        );
        assert_eq!(
            decide(&set, "s3:GetObject", "arn:aws:s3:::bucket/x"),
            Tri::False
        );
    }

    // reference_policies_condition-keys.html (aws:SourceIp): the condition
    // decides when the log gives the IP, and stays unknown when it does not.
    #[test]
    fn conditions_decided_by_the_log() {
        let policies = [policy(
            "p",
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}}),
        )];
        let set = identity(&policies);
        let run = |context: &RequestContext| {
            evaluate(
                &set,
                &Request {
                    action: "s3:GetObject",
                    resource: Some("arn:aws:s3:::b/k"),
                    context,
                },
            )
            .allowed
        };
        let mut inside = RequestContext::new();
        inside.set("aws:SourceIp", ["203.0.113.9"]);
        let mut outside = RequestContext::new();
        outside.set("aws:SourceIp", ["198.51.100.1"]);
        assert_eq!(run(&inside), Tri::True);
        assert_eq!(run(&outside), Tri::False);
        assert_eq!(run(&RequestContext::new()), Tri::Unknown);
    }

    #[test]
    fn request_without_resource_matches_only_star() {
        let policies = [
            policy("star", allow(json!("ec2:DescribeInstances"), json!("*"))),
            policy(
                "scoped",
                allow(json!("s3:GetObject"), json!("arn:aws:s3:::b/*")),
            ),
        ];
        let set = identity(&policies);
        let context = RequestContext::new();
        let run = |action| {
            evaluate(
                &set,
                &Request {
                    action,
                    resource: None,
                    context: &context,
                },
            )
            .allowed
        };
        assert_eq!(run("ec2:DescribeInstances"), Tri::True);
        assert_eq!(run("s3:GetObject"), Tri::Unknown);
    }

    #[test]
    fn action_set_algebra() {
        let mut a = ActionSet::empty(130);
        for id in [0, 63, 64, 129] {
            a.insert(id);
        }
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 63, 64, 129]);
        let full = ActionSet::full(130);
        assert_eq!(full.count(), 130);
        assert_eq!(a.complement().count(), 126);
        let mut b = full.clone();
        b.subtract(&a);
        assert!(!b.contains(63) && b.contains(62));
        b.intersect_with(&a);
        assert!(b.is_empty());
    }

    #[test]
    fn grants_over_the_catalog() {
        let catalog = real_catalog();
        let mut expander = Expander::new(&catalog);
        let iam_count = catalog.ids_matching("iam:*").len();
        assert!(iam_count > 100);
        let policies = [policy(
            "p",
            json!({"Statement": [
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:Get*", "Resource": "*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
                {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::prod/*"}
            ]}),
        )];
        let boundary = policy(
            "b",
            allow(json!(["s3:*", "iam:*", "ec2:Describe*"]), json!("*")),
        );
        let set = PolicySet {
            identity: policies.iter().collect(),
            boundary: Some(&boundary),
            scp_levels: Vec::new(),
        };
        let grants = Grants::of(&mut expander, &set);
        let id = |a: &str| catalog.action_id(a).unwrap();
        assert!(grants.granted.contains(id("s3:GetObject")));
        assert!(grants.unrestricted.contains(id("s3:GetObject")));
        // Partly denied: still granted, no longer unrestricted.
        assert!(grants.granted.contains(id("s3:PutObject")));
        assert!(!grants.unrestricted.contains(id("s3:PutObject")));
        assert!(grants.denied.contains(id("s3:DeleteObject")));
        assert!(!grants.granted.contains(id("s3:DeleteObject")));
        assert!(grants.granted.contains(id("iam:GetUser")));
        assert!(grants.conditional.contains(id("iam:GetUser")));
        assert!(!grants.granted.contains(id("iam:CreateUser")));
        assert!(grants.blocked.contains(id("lambda:InvokeFunction")));
        let s3_delete = catalog.ids_matching("s3:delete*").len();
        let ec2_describe = catalog.ids_matching("ec2:describe*").len();
        let s3 = catalog.ids_matching("s3:*").len();
        let iam_get = catalog.ids_matching("iam:get*").len();
        assert_eq!(
            grants.granted.count(),
            s3 - s3_delete + ec2_describe + iam_get
        );
    }

    // id_roles_create_for-user_externalid.html: the trust policy's
    // sts:ExternalId condition admits only callers that send the ID.
    #[test]
    fn trust_policy_external_id_and_account_principal() {
        let trust = PolicyDocument::from_value(&json!({"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}]}))
        .unwrap();
        let vendor = Caller {
            arn: Some("arn:aws:iam::999988887777:role/Backup"),
            account: Some("999988887777"),
            ..Caller::default()
        };
        let stranger = Caller {
            account: Some("111122223333"),
            ..vendor.clone()
        };
        let mut with_id = RequestContext::new();
        with_id.set("sts:ExternalId", ["abc"]);
        let mut without_id = RequestContext::new();
        without_id.set_absent("sts:ExternalId");
        assert_eq!(
            trust_allows(&trust, &vendor, "sts:AssumeRole", &with_id),
            Tri::True
        );
        assert_eq!(
            trust_allows(&trust, &vendor, "sts:AssumeRole", &without_id),
            Tri::False
        );
        assert_eq!(
            trust_allows(&trust, &stranger, "sts:AssumeRole", &with_id),
            Tri::False
        );
        assert_eq!(
            trust_allows(&trust, &vendor, "sts:AssumeRole", &RequestContext::new()),
            Tri::Unknown
        );
    }

    // reference_policies_elements_principal.html: a role ARN names only that
    // role. When the log knows only the caller's account, the answer is
    // unknown for a role in that account and no for any other account.
    #[test]
    fn trust_policy_role_principal_with_account_only_caller() {
        let trust = PolicyDocument::from_value(&json!({"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/Entry"},
            "Action": "sts:AssumeRole"}]}))
        .unwrap();
        let context = RequestContext::new();
        let account_only = |account| Caller {
            account: Some(account),
            ..Caller::default()
        };
        assert_eq!(
            trust_allows(
                &trust,
                &account_only("111111111111"),
                "sts:AssumeRole",
                &context
            ),
            Tri::Unknown
        );
        assert_eq!(
            trust_allows(
                &trust,
                &account_only("222222222222"),
                "sts:AssumeRole",
                &context
            ),
            Tri::False
        );
        let entry = Caller {
            arn: Some("arn:aws:iam::111111111111:role/Entry"),
            account: Some("111111111111"),
            ..Caller::default()
        };
        assert_eq!(
            trust_allows(&trust, &entry, "sts:AssumeRole", &context),
            Tri::True
        );
    }
}
