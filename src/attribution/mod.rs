//! Attribution: every event a third party caused, to that party by name.
//!
//! Who is a third party: any account outside your own (the log recipients,
//! the accounts of the IAM exports, `--org`), named by the vendor registry
//! ([`registry`]) or the public known-accounts list ([`known`]), else an
//! *unknown third party* under its account id, never dropped; a web
//! identity provider (a CI vendor) under its registry name or the provider;
//! IAM users and access keys the registry hands to a vendor.
//!
//! How events reach a party (`../shared/design/cloudtrail-facts.md` §4.4):
//! - a role session: the STS call that issued its temporary key
//!   (`usage::IssuedSession`) names the caller. An outside account, or a
//!   registered user, gives the party; a caller that is itself a role
//!   session hands over to whoever opened *that* session (role chains stay
//!   with the party that started them); a web identity gives the
//!   provider's party.
//! - a session whose issuing call is outside the logs read: attributed to
//!   the role's one trusted party when its trust policy names exactly one,
//!   and marked `by_trust`; otherwise listed as unattributed, never guessed.
//! - an outside account's own calls (AssumeRole, refused or not) and
//!   direct access through resource policies (a caller from outside the
//!   recipient account): the account's party.

pub mod credentials;
pub mod known;
pub mod org;
pub mod registry;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::event::PrincipalKind;
use crate::policy::document::Match;
use crate::policy::iam::{IamInventory, PrincipalPolicies};
use crate::report::{PrincipalReport, Report};
use crate::time::{Timestamp, format_rfc3339};
use crate::usage::{Counts, IssuedList, IssuedSession};

use known::KnownAccounts;
use registry::Registry;

/// How a party was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identified {
    /// Named in the vendor registry (`--vendors`).
    Registry,
    /// Named by the public known-accounts list.
    KnownAccounts,
    /// An outside account nobody named.
    UnknownAccount,
    /// A web identity provider nobody named.
    OidcProvider,
    /// Named by a `vendor` tag on an IAM user in the export.
    IamTag,
}

impl Identified {
    /// The name used in every output (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Identified::Registry => "registry",
            Identified::KnownAccounts => "known_accounts",
            Identified::UnknownAccount => "unknown_account",
            Identified::OidcProvider => "oidc_provider",
            Identified::IamTag => "iam_tag",
        }
    }
}

/// The IAM user tag that names the vendor a user was made for.
pub const VENDOR_TAG: &str = "vendor";

/// Where a party's activity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// Sessions of our roles it opened (or chained into).
    AssumedRole,
    /// Sessions opened through its web identity provider.
    WebIdentity,
    /// An IAM user or access key it was given.
    IamUser,
    /// Its own principals calling our resources (resource policies).
    DirectAccess,
    /// Its own calls to STS (AssumeRole and friends), refused or not.
    AssumeRoleCalls,
}

impl Path {
    /// The name used in every output (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Path::AssumedRole => "assumed_role",
            Path::WebIdentity => "web_identity",
            Path::IamUser => "iam_user",
            Path::DirectAccess => "direct_access",
            Path::AssumeRoleCalls => "assume_role_calls",
        }
    }
}

/// A third party's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PartyId {
    name: String,
    identified: Identified,
}

impl PartyId {
    /// A vendor of the registry.
    fn registered(vendor: &registry::Vendor) -> PartyId {
        PartyId {
            name: vendor.name.clone(),
            identified: Identified::Registry,
        }
    }
}

/// Sessions a party opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sessions {
    /// Temporary access keys used.
    pub count: u64,
    /// Of which attributed only through the role's trust policy (their
    /// issuing call is outside the logs read).
    pub by_trust: u64,
    /// First call in any session.
    pub first_seen: Option<String>,
    /// Last call in any session.
    pub last_seen: Option<String>,
    /// Session names.
    pub names: BTreeSet<String>,
    /// Source identities.
    pub source_identities: BTreeSet<String>,
    /// Sessions opened with MFA.
    pub with_mfa: u64,
}

/// One action's calls by a party.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionCalls {
    /// Calls.
    pub calls: u64,
    /// Denied.
    pub denied: u64,
    /// Failed otherwise.
    pub errors: u64,
}

/// Everything one third party did.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    /// The party's name (registry or list name, the account id or the
    /// provider for unknown ones).
    pub name: String,
    /// How it was recognised.
    pub how_identified: Identified,
    /// Its AWS accounts seen or registered.
    pub accounts: BTreeSet<String>,
    /// A human contractor (MFA expected).
    pub contractor: bool,
    /// How its activity reached us.
    pub paths: BTreeSet<Path>,
    /// Principal keys carrying its activity (our roles and users, its
    /// accounts and principals, providers).
    pub principals: BTreeSet<String>,
    /// Its sessions.
    pub sessions: Sessions,
    /// Events attributed.
    pub events: u64,
    /// Of which denied.
    pub denied: u64,
    /// Of which failed otherwise.
    pub errors: u64,
    /// First event.
    pub first_seen: Option<String>,
    /// Last event.
    pub last_seen: Option<String>,
    /// Source IPs (samples) of the principals it alone used.
    pub source_ips: BTreeSet<String>,
    /// User agents (samples) of the principals it alone used.
    pub user_agents: BTreeSet<String>,
    /// Regions its calls went to (of the principals it alone used).
    pub regions: BTreeSet<String>,
    /// Our accounts it touched.
    pub own_accounts: BTreeSet<String>,
    /// Calls per action.
    pub actions: BTreeMap<String, ActionCalls>,
    /// Direct access: its principals and what they called on our resources.
    pub direct_access: BTreeMap<String, BTreeMap<String, ActionCalls>>,
    /// Our roles whose trust policies let it in (with `--iam`).
    pub trusted_by: Vec<TrustGrant>,
    /// With `--iam`: what each of our principals it used or is trusted by
    /// may do, what of it was used, and the least-privilege suggestion.
    pub grants: Vec<PartyGrant>,
    #[serde(skip)]
    span: (Option<Timestamp>, Option<Timestamp>),
    #[serde(skip)]
    session_span: (Option<Timestamp>, Option<Timestamp>),
}

/// A role of ours whose trust policy names a party.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TrustGrant {
    /// The role's ARN.
    pub role: String,
    /// The principal entry that names the party (`arn:aws:iam::…:root`,
    /// an account id, a role ARN, an OIDC provider ARN).
    pub principal: String,
    /// The actions the statement allows (`sts:AssumeRole`, …).
    pub actions: Vec<String>,
    /// The statement's conditions as text (`StringEquals sts:ExternalId=…`).
    pub conditions: String,
    /// The statement's index in the trust policy.
    pub statement: usize,
}

/// One of our principals a party can use: its used-vs-granted totals and
/// the suggested policy.
#[derive(Debug, Clone, Serialize)]
pub struct PartyGrant {
    /// The role or user ARN.
    pub principal: String,
    /// Used vs granted over all its actions.
    pub totals: crate::compare::LevelSummary,
    /// The same per access level.
    pub by_access_level: Vec<crate::compare::LevelSummary>,
    /// The least-privilege suggestion (the IAM policy documents), when one
    /// could be made.
    pub suggested_policy: Option<Vec<crate::policy::document::PolicyDocument>>,
    /// Why no suggestion could be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion_error: Option<String>,
}

/// A role session nobody can be named for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unattributed {
    /// The role.
    pub role: String,
    /// The temporary access key.
    pub access_key_id: String,
    /// Its calls.
    pub events: u64,
    /// Why it stays unattributed.
    pub reason: String,
}

/// The result: every third party's ledger, and what could not be
/// attributed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Attribution {
    /// Parties, by name.
    pub third_parties: Vec<Ledger>,
    /// Sessions of roles trusted by outside parties whose opener is unknown.
    pub unattributed: Vec<Unattributed>,
    /// Accounts counted as your own.
    pub own_accounts: BTreeSet<String>,
    /// Which party each attributed temporary or user access key belongs
    /// to, for the keys of the report's touches (`vendortrail who`): one
    /// entry per session would grow with the trail, and only `who` asks.
    #[serde(skip)]
    pub key_parties: BTreeMap<String, String>,
    /// Which party each wholly attributed principal belongs to (outside
    /// accounts and principals, providers, registered users).
    #[serde(skip)]
    pub principal_parties: BTreeMap<String, String>,
}

impl Attribution {
    /// The party of one call: by the key it was signed with (for the calls
    /// of the report's touches, see [`Attribution::key_parties`]), else by
    /// its principal.
    pub fn party_of(&self, principal: &str, access_key_id: Option<&str>) -> Option<&str> {
        access_key_id
            .and_then(|k| self.key_parties.get(k))
            .or_else(|| self.principal_parties.get(principal))
            .map(String::as_str)
    }
}

/// What attribution reads besides the report.
#[derive(Default)]
pub struct Context<'a> {
    /// The vendor registry.
    pub registry: Option<&'a Registry>,
    /// The public known-accounts list.
    pub known: Option<&'a KnownAccounts>,
    /// Own organisation accounts (`--org`).
    pub org: BTreeSet<String>,
    /// IAM state (trust policies for sessions whose opener is unknown).
    pub iam: Option<&'a IamInventory>,
}

/// Attributes the report's activity to third parties.
pub fn attribute(report: &Report, context: &Context<'_>) -> Attribution {
    let mut own: BTreeSet<String> = report.own_accounts.iter().cloned().collect();
    own.extend(context.org.iter().cloned());
    if let Some(iam) = context.iam {
        own.extend(iam.accounts());
    }
    let touched_keys: BTreeSet<&str> = report
        .touches
        .iter()
        .filter_map(|t| t.access_key_id.as_deref())
        .collect();
    let mut a = Attributor {
        context,
        own: &own,
        touched_keys,
        issued: &report.issued_sessions,
        resolved: HashMap::new(),
        ledgers: BTreeMap::new(),
        unattributed: Vec::new(),
        key_parties: BTreeMap::new(),
        principal_parties: BTreeMap::new(),
    };
    for principal in &report.principals {
        a.principal(principal);
    }
    a.trust_grants();
    // A registered party shows up even when it never came: "no activity"
    // is an answer a review needs.
    if let Some(registry) = context.registry {
        for vendor in registry.vendors() {
            a.ledger(&PartyId::registered(vendor));
        }
    }
    let Attributor {
        ledgers,
        mut unattributed,
        key_parties,
        principal_parties,
        ..
    } = a;
    unattributed.sort_by(|x, y| (&x.role, &x.access_key_id).cmp(&(&y.role, &y.access_key_id)));
    let mut third_parties: Vec<Ledger> = ledgers.into_values().map(Ledger::finish).collect();
    third_parties.sort_by(|x, y| x.name.cmp(&y.name));
    Attribution {
        third_parties,
        unattributed,
        own_accounts: own,
        key_parties,
        principal_parties,
    }
}

/// Who opened a session, once worked out.
#[derive(Debug, Clone)]
enum Opener {
    Party(PartyId, Path),
    Own,
    Unknown,
}

struct Attributor<'a, 'c> {
    context: &'a Context<'c>,
    own: &'a BTreeSet<String>,
    issued: &'a IssuedList,
    /// Openers of the sessions that opened others (chains), worked out once.
    resolved: HashMap<String, Opener>,
    /// The keys whose party [`Attribution::key_parties`] keeps.
    touched_keys: BTreeSet<&'a str>,
    ledgers: BTreeMap<PartyId, Ledger>,
    unattributed: Vec<Unattributed>,
    key_parties: BTreeMap<String, String>,
    principal_parties: BTreeMap<String, String>,
}

impl<'a> Attributor<'a, '_> {
    /// The party of an outside account; `None` for our own.
    fn account_party(&self, account: &str) -> Option<PartyId> {
        if self.own.contains(account) {
            return None;
        }
        if let Some(v) = self.context.registry.and_then(|r| r.by_account(account)) {
            return Some(PartyId::registered(v));
        }
        if let Some(k) = self
            .context
            .known
            .and_then(|k| k.name_of(account))
            .filter(|k| k.enabled)
        {
            return Some(PartyId {
                name: k.name.clone(),
                identified: Identified::KnownAccounts,
            });
        }
        Some(PartyId {
            name: account.to_owned(),
            identified: Identified::UnknownAccount,
        })
    }

    /// The party of a web identity provider (`token.actions.githubusercontent.com`).
    fn provider_party(&self, provider: &str, subject: Option<&str>) -> PartyId {
        match self
            .context
            .registry
            .and_then(|r| r.by_oidc(provider, subject))
        {
            Some(v) => PartyId::registered(v),
            None => PartyId {
                name: provider.to_owned(),
                identified: Identified::OidcProvider,
            },
        }
    }

    /// The party a trust policy's OIDC provider stands for: the registry
    /// vendor with that provider (whatever subjects it lists), else the
    /// provider itself.
    fn trusted_provider_party(&self, provider: &str) -> PartyId {
        let wanted = registry::normalize_provider(provider);
        let vendor = self.context.registry.and_then(|r| {
            r.vendors().iter().find(|v| {
                v.oidc
                    .iter()
                    .any(|o| registry::normalize_provider(&o.provider) == wanted)
            })
        });
        match vendor {
            Some(v) => PartyId::registered(v),
            None => self.provider_party(provider, None),
        }
    }

    /// The registered vendor of an IAM user or access key.
    fn user_party(&self, user_arn: &str, access_key: Option<&str>) -> Option<PartyId> {
        let registered = self.context.registry.and_then(|registry| {
            registry
                .by_user(user_arn)
                .or_else(|| access_key.and_then(|k| registry.by_access_key(k)))
        });
        if let Some(vendor) = registered {
            return Some(PartyId::registered(vendor));
        }
        // A `vendor` tag on the user in the IAM export names its party.
        let tag = self
            .context
            .iam
            .and_then(|iam| iam.principal(user_arn))
            .and_then(|user| {
                user.tags
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(VENDOR_TAG))
                    .map(|(_, v)| v.clone())
            })
            .filter(|v| !v.is_empty())?;
        Some(match self.context.registry.and_then(|r| r.by_name(&tag)) {
            Some(vendor) => PartyId::registered(vendor),
            None => PartyId {
                name: tag,
                identified: Identified::IamTag,
            },
        })
    }

    /// Who opened the session with this temporary key (following chains).
    fn opener(&mut self, key: &str, depth: usize) -> Opener {
        if let Some(found) = self.resolved.get(key) {
            return found.clone();
        }
        // Chains are short (each hop at most 1 hour); a loop would be a
        // corrupt log, not a chain.
        if depth > 16 {
            return Opener::Unknown;
        }
        let Some(issued) = self.issued.get(key) else {
            return Opener::Unknown;
        };
        let opener = match issued.caller_kind {
            PrincipalKind::AwsAccount => match issued.caller_account.as_deref() {
                Some(account) => match self.account_party(account) {
                    Some(party) => Opener::Party(party, Path::AssumedRole),
                    // One of our accounts, seen only in the role owner's copy
                    // (the caller's own copy was not read): a session of ours
                    // called, but whose session is unknown, so the chain
                    // cannot be followed.
                    None => Opener::Unknown,
                },
                None => Opener::Unknown,
            },
            PrincipalKind::Role => {
                let from_chain = issued
                    .caller_access_key_id
                    .as_deref()
                    .map(|k| self.opener(k, depth + 1));
                // The parent session was opened before the window: the
                // parent role's registry or trust fallback, if any.
                let fallback = matches!(from_chain, Some(Opener::Unknown))
                    .then(|| self.fallback_party(&issued.caller))
                    .flatten();
                match (from_chain, fallback) {
                    (Some(Opener::Party(p, path)), _) => Opener::Party(p, path),
                    (Some(Opener::Own), _) => Opener::Own,
                    (_, Some(p)) => Opener::Party(p, Path::AssumedRole),
                    (from_chain, None) => match issued
                        .caller_account
                        .as_deref()
                        .and_then(|a| self.account_party(a))
                    {
                        Some(party) => Opener::Party(party, Path::AssumedRole),
                        None if from_chain.is_none() => Opener::Own,
                        None => Opener::Unknown,
                    },
                }
            }
            PrincipalKind::IamUser => {
                match self.user_party(&issued.caller, issued.caller_access_key_id.as_deref()) {
                    Some(party) => Opener::Party(party, Path::IamUser),
                    None => match issued
                        .caller_account
                        .as_deref()
                        .and_then(|a| self.account_party(a))
                    {
                        Some(party) => Opener::Party(party, Path::AssumedRole),
                        None => Opener::Own,
                    },
                }
            }
            PrincipalKind::WebIdentity => {
                let subject = web_identity_subject(&issued);
                Opener::Party(
                    self.provider_party(&issued.caller, subject),
                    Path::WebIdentity,
                )
            }
            PrincipalKind::Saml => match self
                .context
                .registry
                .and_then(|r| r.by_oidc(&issued.caller, None))
            {
                Some(v) => Opener::Party(PartyId::registered(v), Path::WebIdentity),
                None => Opener::Own,
            },
            _ => match issued
                .caller_account
                .as_deref()
                .and_then(|a| self.account_party(a))
            {
                Some(party) => Opener::Party(party, Path::AssumedRole),
                None => Opener::Own,
            },
        };
        // Only a chain's earlier sessions are asked for again (once per
        // session they opened); remembering every session's opener would
        // grow with the trail.
        if depth > 0 {
            self.resolved.insert(key.to_owned(), opener.clone());
        }
        opener
    }

    /// Every role trust naming an outside party, onto that party's ledger.
    fn trust_grants(&mut self) {
        let Some(iam) = self.context.iam else {
            return;
        };
        let mut found: Vec<(PartyId, TrustGrant)> = Vec::new();
        for role in iam.principals() {
            let Some(trust) = &role.trust else {
                continue;
            };
            for (index, statement) in trust.statements.iter().enumerate() {
                if statement.effect != crate::policy::document::Effect::Allow {
                    continue;
                }
                let Some(Match::Listed(maps)) = &statement.principals else {
                    continue;
                };
                for (kind, values) in maps.iter().flatten() {
                    for value in values {
                        let party = match kind.as_str() {
                            // Open to anyone: a finding, not a party.
                            "AWS" if value == "*" => None,
                            "AWS" => account_of(value).and_then(|a| self.account_party(a)),
                            "Federated" => value
                                .split_once(":oidc-provider/")
                                .map(|(_, provider)| self.trusted_provider_party(provider)),
                            _ => None,
                        };
                        if let Some(party) = party {
                            found.push((
                                party,
                                TrustGrant {
                                    role: role.arn.clone(),
                                    principal: value.clone(),
                                    actions: statement.actions.items().to_vec(),
                                    conditions: statement.conditions.to_string(),
                                    statement: index,
                                },
                            ));
                        }
                    }
                }
            }
        }
        for (party, grant) in found {
            let outside = account_of(&grant.principal)
                .filter(|a| !self.own.contains(*a))
                .map(str::to_owned);
            let ledger = self.ledger(&party);
            if let Some(account) = outside {
                ledger.accounts.insert(account);
            }
            ledger.trusted_by.push(grant);
            ledger.trusted_by.sort();
        }
    }

    /// Who a role's sessions belong to when their opening call is not in
    /// the logs read: the registry's vendor for the role, else the one
    /// outside party its trust policy names.
    fn fallback_party(&self, role_arn: &str) -> Option<PartyId> {
        let registered = self
            .context
            .registry
            .and_then(|r| r.by_role(role_arn))
            .map(PartyId::registered);
        registered.or_else(|| {
            let policies = self.context.iam.and_then(|iam| iam.principal(role_arn));
            policies.and_then(|r| self.sole_trusted_party(r))
        })
    }

    /// The one outside party a role's trust policy names, if exactly one.
    fn sole_trusted_party(&self, role: &PrincipalPolicies) -> Option<PartyId> {
        let trust = role.trust.as_ref()?;
        let mut parties = BTreeSet::new();
        for statement in trust
            .statements
            .iter()
            .filter(|s| s.effect == crate::policy::document::Effect::Allow)
        {
            // `NotPrincipal` trusts almost anyone: no single party.
            let Some(Match::Listed(maps)) = &statement.principals else {
                return None;
            };
            for (kind, values) in maps.iter().flatten() {
                for value in values {
                    // Anyone who could have opened the session but is not a
                    // third party (our own accounts and roles, an AWS
                    // service, a SAML IdP, "*") rules the fallback out.
                    let party = match kind.as_str() {
                        "AWS" if value == "*" => None,
                        "AWS" => account_of(value).and_then(|a| self.account_party(a)),
                        "Federated" => value
                            .split_once(":oidc-provider/")
                            .map(|(_, provider)| self.trusted_provider_party(provider)),
                        _ => None,
                    };
                    parties.insert(party?);
                }
            }
        }
        (parties.len() == 1)
            .then(|| parties.into_iter().next())
            .flatten()
    }

    fn ledger(&mut self, party: &PartyId) -> &mut Ledger {
        let vendor = (party.identified == Identified::Registry)
            .then(|| self.context.registry.and_then(|r| r.by_name(&party.name)))
            .flatten();
        let contractor = vendor.is_some_and(|v| v.contractor);
        let registered: Vec<String> = vendor.map(|v| v.accounts.clone()).unwrap_or_default();
        self.ledgers
            .entry(party.clone())
            .or_insert_with(|| Ledger::new(party, contractor, registered))
    }

    /// Attributes one principal's activity.
    fn principal(&mut self, p: &'a PrincipalReport) {
        self.principal_inner(p);
    }

    fn whole(&mut self, p: &PrincipalReport, party: &PartyId) {
        self.principal_parties
            .insert(p.arn.clone(), party.name.clone());
    }

    fn keyed(&mut self, key: &str, party: &PartyId) {
        if self.touched_keys.contains(key) {
            self.key_parties.insert(key.to_owned(), party.name.clone());
        }
    }

    fn principal_inner(&mut self, p: &'a PrincipalReport) {
        match p.kind {
            PrincipalKind::AwsAccount => match self.account_party(&p.arn) {
                Some(party) => {
                    self.whole(p, &party);
                    let ledger = self.ledger(&party);
                    ledger.accounts.insert(p.arn.clone());
                    ledger.add_principal(p, Path::AssumeRoleCalls);
                }
                // One of our accounts, seen from another of ours: the role
                // owner's copy of a cross-account AssumeRole. The key it
                // issued leads to whoever made the call (a chain).
                None => {
                    for (key, records) in p.issued_keys.iter() {
                        if let Opener::Party(party, _) = self.opener(&key, 0) {
                            let ledger = self.ledger(&party);
                            ledger.principals.insert(p.arn.clone());
                            ledger.events += records;
                            ledger
                                .own_accounts
                                .extend(p.recipient_accounts.iter().cloned());
                            ledger
                                .actions
                                .entry("sts:AssumeRole".to_owned())
                                .or_default()
                                .calls += records;
                        }
                    }
                }
            },
            PrincipalKind::WebIdentity => {
                // The provider's own records are its AssumeRoleWithWebIdentity
                // calls: each one that issued a key goes to the party of its
                // token subject; the rest (refused calls issue no key) to the
                // provider's party.
                let mut keyed = 0;
                let mut parties = BTreeSet::new();
                for (key, records) in p.issued_keys.iter() {
                    if let Opener::Party(party, _) = self.opener(&key, 0) {
                        keyed += records;
                        parties.insert(party.clone());
                        let ledger = self.ledger(&party);
                        ledger.paths.insert(Path::WebIdentity);
                        ledger.principals.insert(p.arn.clone());
                        ledger.events += records;
                        ledger
                            .actions
                            .entry("sts:AssumeRoleWithWebIdentity".to_owned())
                            .or_default()
                            .calls += records;
                    }
                }
                let provider = self.provider_party(&p.arn, None);
                let rest = p.events.calls - keyed.min(p.events.calls);
                if rest > 0 {
                    parties.insert(provider.clone());
                    let ledger = self.ledger(&provider);
                    ledger.paths.insert(Path::WebIdentity);
                    ledger.principals.insert(p.arn.clone());
                    ledger.events += rest;
                    ledger.denied += p.events.denied;
                    ledger.errors += p.events.errors;
                    let calls = ledger
                        .actions
                        .entry("sts:AssumeRoleWithWebIdentity".to_owned())
                        .or_default();
                    calls.calls += rest;
                    calls.denied += p.events.denied;
                    calls.errors += p.events.errors;
                }
                // One party behind the provider: its times and context too.
                if parties.len() == 1
                    && let Some(party) = parties.into_iter().next()
                {
                    self.whole(p, &party);
                    let ledger = self.ledger(&party);
                    widen(&mut ledger.span, &p.events);
                    ledger.add_context(p);
                    ledger
                        .own_accounts
                        .extend(p.recipient_accounts.iter().cloned());
                }
            }
            PrincipalKind::Role | PrincipalKind::IamUser if p.outside => {
                let party = p.account.as_deref().and_then(|a| self.account_party(a));
                if let Some(party) = party {
                    self.whole(p, &party);
                    let ledger = self.ledger(&party);
                    if let Some(a) = &p.account {
                        ledger.accounts.insert(a.clone());
                    }
                    ledger.add_principal(p, Path::DirectAccess);
                    let direct = ledger.direct_access.entry(p.arn.clone()).or_default();
                    for action in &p.actions {
                        let calls = direct.entry(action.action.clone()).or_default();
                        calls.add(&action.counts);
                    }
                }
            }
            PrincipalKind::IamUser => {
                if let Some(party) = self.user_party(&p.arn, None) {
                    self.whole(p, &party);
                    self.ledger(&party).add_principal(p, Path::IamUser);
                    return;
                }
                // Keys registered one by one.
                for s in p.sessions.iter() {
                    if let Some(party) = self.user_party("", Some(&s.access_key_id)) {
                        self.keyed(&s.access_key_id, &party);
                        let ledger = self.ledger(&party);
                        ledger.add_session(p, &s, false);
                        ledger.paths.insert(Path::IamUser);
                    }
                }
            }
            PrincipalKind::Role => self.role(p),
            _ => {}
        }
    }

    /// A role of ours: each session to whoever opened it.
    fn role(&mut self, p: &'a PrincipalReport) {
        let mut by_trust: Option<Option<PartyId>> = None;
        // Whose sessions the role carried: when one party alone used it,
        // the role's Regions, source IPs and user agents are that party's.
        let mut users: BTreeSet<Option<PartyId>> = BTreeSet::new();
        for s in p.sessions.iter() {
            let opener = self.opener(&s.access_key_id, 0);
            users.insert(match &opener {
                Opener::Party(party, _) => Some(party.clone()),
                _ => None,
            });
            match opener {
                Opener::Party(party, path) => {
                    self.keyed(&s.access_key_id, &party);
                    let ledger = self.ledger(&party);
                    ledger.add_session(p, &s, false);
                    ledger.paths.insert(path);
                }
                Opener::Own => {}
                Opener::Unknown => {
                    let sole = by_trust
                        .get_or_insert_with(|| self.fallback_party(&p.arn))
                        .clone();
                    match sole {
                        Some(party) => {
                            self.keyed(&s.access_key_id, &party);
                            let ledger = self.ledger(&party);
                            ledger.add_session(p, &s, true);
                            ledger.paths.insert(Path::AssumedRole);
                        }
                        None if self.trusts_outside(&p.arn) => {
                            self.unattributed.push(Unattributed {
                                role: p.arn.clone(),
                                access_key_id: s.access_key_id.clone(),
                                events: s.counts.calls,
                                reason: "the call that opened it is not in the logs read, and the role's trust policy does not name exactly one party".to_owned(),
                            });
                        }
                        // Opened by a call we read but cannot follow (a chain
                        // from one of our accounts whose own copy is missing).
                        None if self.issued.contains_key(&s.access_key_id) => {
                            self.unattributed.push(Unattributed {
                                role: p.arn.clone(),
                                access_key_id: s.access_key_id.clone(),
                                events: s.counts.calls,
                                reason: "opened by a session of one of your accounts whose own log copy was not read: read that account's logs too to follow the chain".to_owned(),
                            });
                        }
                        None => {}
                    }
                }
            }
        }
        if let (1, Some(Some(party))) = (users.len(), users.first()) {
            let party = party.clone();
            self.ledger(&party).add_context(p);
        }
    }

    /// Whether a role's trust policy names anyone outside (so an unknown
    /// session on it may be a third party's).
    fn trusts_outside(&self, role_arn: &str) -> bool {
        // IAM Identity Center roles are trusted by your own SSO; service-
        // linked roles by an AWS service (their reserved paths say so).
        if role_arn.contains(":role/aws-reserved/sso.amazonaws.com/")
            || role_arn.contains(":role/aws-service-role/")
        {
            return false;
        }
        let Some(role) = self.context.iam.and_then(|iam| iam.principal(role_arn)) else {
            // Without IAM data every unexplained session is reported.
            return true;
        };
        let Some(trust) = &role.trust else {
            return false;
        };
        trust.statements.iter().any(|s| match &s.principals {
            Some(Match::Listed(maps)) => maps.iter().flatten().any(|(kind, values)| {
                values.iter().any(|v| match kind.as_str() {
                    "AWS" => v == "*" || account_of(v).is_some_and(|a| !self.own.contains(a)),
                    // A web identity provider is an outside party; a SAML
                    // provider is normally your own workforce IdP.
                    "Federated" => v.contains(":oidc-provider/"),
                    _ => false,
                })
            }),
            Some(Match::Not(_)) => true,
            None => false,
        })
    }
}

/// The account a principal entry names: `123456789012`, or the account
/// field of an ARN.
fn account_of(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    value
        .strip_prefix("arn:")?
        .split(':')
        .nth(3)
        .filter(|a| !a.is_empty())
}

/// The token subject of a web identity session, when the log carries it:
/// `principalId` is `<provider ARN>:<audience>:<subject>`.
fn web_identity_subject(issued: &IssuedSession) -> Option<&str> {
    let id = issued.caller_principal_id.as_deref()?;
    let after_provider = id.split_once(&*issued.caller)?.1;
    // `:<audience>:<subject>`; the audience has no colon.
    let rest = after_provider.strip_prefix(':')?;
    rest.split_once(':').map(|(_, subject)| subject)
}

impl ActionCalls {
    fn add(&mut self, counts: &Counts) {
        self.calls += counts.calls;
        self.denied += counts.denied;
        self.errors += counts.errors;
    }
}

/// Widens a (first, last) span to cover `counts`.
fn widen(span: &mut (Option<Timestamp>, Option<Timestamp>), counts: &Counts) {
    *span = (
        min_time(span.0, counts.first_seen),
        max_time(span.1, counts.last_seen),
    );
}

fn min_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_time(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Ledger {
    fn new(party: &PartyId, contractor: bool, registered_accounts: Vec<String>) -> Ledger {
        Ledger {
            name: party.name.clone(),
            how_identified: party.identified,
            accounts: registered_accounts.into_iter().collect(),
            contractor,
            paths: BTreeSet::new(),
            principals: BTreeSet::new(),
            sessions: Sessions::default(),
            events: 0,
            denied: 0,
            errors: 0,
            first_seen: None,
            last_seen: None,
            source_ips: BTreeSet::new(),
            user_agents: BTreeSet::new(),
            regions: BTreeSet::new(),
            own_accounts: BTreeSet::new(),
            actions: BTreeMap::new(),
            direct_access: BTreeMap::new(),
            trusted_by: Vec::new(),
            grants: Vec::new(),
            span: (None, None),
            session_span: (None, None),
        }
    }

    fn count(&mut self, counts: &Counts) {
        self.events += counts.calls;
        self.denied += counts.denied;
        self.errors += counts.errors;
        widen(&mut self.span, counts);
    }

    /// A whole principal's activity; its temporary keys (`ASIA…`, an
    /// outside role's sessions) count as the party's sessions, long-term
    /// user keys (`AKIA…`) do not.
    fn add_principal(&mut self, p: &PrincipalReport, path: Path) {
        self.paths.insert(path);
        self.principals.insert(p.arn.clone());
        self.count(&p.events);
        for s in p
            .sessions
            .iter()
            .filter(|s| s.access_key_id.starts_with("ASIA"))
        {
            self.note_session(&s);
        }
        self.add_context(p);
        self.own_accounts
            .extend(p.recipient_accounts.iter().cloned());
        for action in &p.actions {
            self.actions
                .entry(action.action.clone())
                .or_default()
                .add(&action.counts);
        }
    }

    /// One session of one of our roles (or a registered key of a user).
    fn add_session(
        &mut self,
        p: &PrincipalReport,
        s: &crate::report::SessionReport,
        by_trust: bool,
    ) {
        self.principals.insert(p.arn.clone());
        self.count(&s.counts);
        self.own_accounts
            .extend(p.recipient_accounts.iter().cloned());
        self.note_session(s);
        self.sessions.by_trust += u64::from(by_trust);
        self.sessions
            .source_identities
            .extend(s.source_identities.iter().map(|n| n.to_string()));
        for (action, counts) in &s.actions {
            self.actions
                .entry(action.to_string())
                .or_default()
                .add(counts);
        }
    }

    /// One more session: its count, times, names and MFA.
    fn note_session(&mut self, s: &crate::report::SessionReport) {
        self.sessions.count += 1;
        widen(&mut self.session_span, &s.counts);
        self.sessions
            .names
            .extend(s.names.iter().map(|n| n.to_string()));
        self.sessions.with_mfa += u64::from(s.mfa == Some(true));
    }

    /// Where a principal used by this party alone called from and to.
    fn add_context(&mut self, p: &PrincipalReport) {
        self.source_ips.extend(p.source_ips.samples.iter().cloned());
        self.user_agents
            .extend(p.user_agents.samples.iter().cloned());
        self.regions.extend(p.regions.iter().cloned());
    }

    fn finish(mut self) -> Ledger {
        self.first_seen = self.span.0.map(format_rfc3339);
        self.last_seen = self.span.1.map(format_rfc3339);
        self.sessions.first_seen = self.session_span.0.map(format_rfc3339);
        self.sessions.last_seen = self.session_span.1.map(format_rfc3339);
        self
    }
}

#[cfg(test)]
mod tests;
