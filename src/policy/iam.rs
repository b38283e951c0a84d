//! IAM state: which policies apply to each IAM user and role.
//!
//! Reads three kinds of input into an [`IamInventory`]:
//!
//! - the output of `aws iam get-account-authorization-details`
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html>),
//!   one file per account ([`IamInventory::add_export`]);
//! - plain policy documents that apply to one principal (`--policy ARN=FILE`,
//!   [`IamInventory::add_policy_file`]);
//! - service control policies (`--scp FILE`, [`IamInventory::add_scp_file`]).
//!
//! Each user or role becomes a [`PrincipalPolicies`]: its identity-based
//! policies (inline, attached managed at their default version and, for
//! users, those of their groups), its permissions boundary, its trust policy
//! and what the export says about it (tags, last use). SCPs are kept apart
//! ([`IamInventory::scps`]) since they apply to every principal.
//!
//! The contract:
//!
//! - Lenient about the export's shape: every list and optional field may be
//!   missing or `null`, unknown fields are ignored, so partial exports made
//!   by other tools or merged from `aws iam list-…` calls load. A principal
//!   needs only its `Arn`. Users may carry a non-standard `AccessKeys` (or
//!   `AccessKeyMetadata`, as `aws iam list-access-keys` prints it) list of
//!   `{AccessKeyId, Status, CreateDate}`; the API itself never returns keys.
//! - Strict about policy documents: a broken one is an error that names the
//!   file, the policy and the statement ([`IamError::Policy`]). A failed
//!   `add_*` call leaves the inventory as it was.
//! - A managed policy or group that a principal references but that no
//!   export contains is listed in [`PrincipalPolicies::unresolved`] and in
//!   [`IamInventory::warnings`], never an error: the principal's known
//!   policies are still evaluated, and the report says what is missing.
//!   References are resolved across all exports, whatever their order, so
//!   an AWS managed policy (`arn:aws:iam::aws:policy/…`) found in any export
//!   serves every account; identical copies are kept once, by ARN.
//! - Only the default version of a managed policy is read (the version IAM
//!   evaluates, per `DefaultVersionId`); other versions are not parsed.
//! - Deterministic: principals are sorted by ARN and each principal's
//!   identity policies come in a fixed order (see
//!   [`PrincipalPolicies::identity`]); when two exports list the same
//!   principal or managed policy, the file added later wins, with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::document::{DocumentError, PolicyDocument};

/// Where a policy comes from, for evidence and for the diff a reviewer reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicySource {
    /// An inline policy of the user or role itself (`UserPolicyList`,
    /// `RolePolicyList`).
    Inline {
        /// ARN of the user or role that embeds it.
        owner: String,
        /// `PolicyName`.
        name: String,
    },
    /// A managed policy, customer or AWS managed, attached to the principal
    /// or to one of its groups.
    Managed {
        /// Policy ARN.
        arn: String,
        /// `PolicyName`.
        name: String,
        /// The version read (the default one), when the export names it.
        version: Option<String>,
    },
    /// An inline policy of a group the user belongs to (`GroupPolicyList`).
    GroupInline {
        /// ARN of the group.
        group: String,
        /// `PolicyName`.
        name: String,
    },
    /// A policy document given on the command line (`--policy ARN=FILE`).
    File {
        /// The file, as given.
        path: String,
    },
    /// A service control policy (`--scp FILE`).
    Scp {
        /// The file, as given.
        path: String,
        /// The SCP's name from `describe-policy` output, else derived from
        /// the file name.
        name: String,
    },
}

/// A parsed policy and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    /// Where it comes from.
    pub source: PolicySource,
    /// The document.
    pub document: PolicyDocument,
}

impl NamedPolicy {
    /// A short human label: `inline ci-deploy`, `managed
    /// DatadogIntegrationPolicy`, `group Developers inline developer-read`,
    /// `file policies/x.json`, `SCP DenyLeaveOrg`.
    pub fn label(&self) -> String {
        match &self.source {
            PolicySource::Inline { name, .. } => format!("inline {name}"),
            PolicySource::Managed { name, .. } => format!("managed {name}"),
            PolicySource::GroupInline { group, name } => {
                format!("group {} inline {name}", last_segment(group))
            }
            PolicySource::File { path } => format!("file {path}"),
            PolicySource::Scp { name, .. } => format!("SCP {name}"),
        }
    }
}

/// Whether a principal is an IAM user or an IAM role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// An IAM user (`arn:…:iam::ACCOUNT:user/…`).
    User,
    /// An IAM role (`arn:…:iam::ACCOUNT:role/…`).
    Role,
}

impl IdentityKind {
    /// `user` or `role`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::User => "user",
            IdentityKind::Role => "role",
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that decides what one IAM user or role may do.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalPolicies {
    /// The user or role ARN, with its path
    /// (`arn:aws:iam::111111111111:role/service-role/x`).
    pub arn: String,
    /// `UserName` or `RoleName` (the last ARN segment).
    pub name: String,
    /// Account ID, the fifth ARN field.
    pub account: String,
    /// User or role.
    pub kind: IdentityKind,
    /// Identity-based policies, in this order: the principal's inline
    /// policies (by name), its attached managed policies (by ARN); for
    /// users, then each group in name order with its inline policies (by
    /// name) and attached managed policies (by ARN); last, the `--policy`
    /// files in the order given. A managed policy reached twice (directly
    /// and through a group) appears once, at its first place.
    pub identity: Vec<NamedPolicy>,
    /// The permissions boundary (a managed policy), when set and found.
    pub boundary: Option<NamedPolicy>,
    /// The role's trust policy (`AssumeRolePolicyDocument`); `None` for users.
    pub trust: Option<PolicyDocument>,
    /// `Tags`.
    pub tags: BTreeMap<String, String>,
    /// `RoleLastUsed.LastUsedDate` as the export prints it (roles only;
    /// IAM tracks it for a trailing 400 days).
    pub last_used: Option<String>,
    /// `RoleLastUsed.Region`.
    pub last_used_region: Option<String>,
    /// Access key IDs from the non-standard `AccessKeys`/`AccessKeyMetadata`
    /// list, whatever their `Status` (an inactive key may still appear in
    /// older logs), sorted.
    pub access_keys: Vec<String>,
    /// ARNs of managed policies (attached or the boundary) and of groups
    /// that the principal references but no export contains; what they
    /// allow is unknown.
    pub unresolved: Vec<String>,
}

impl PrincipalPolicies {
    /// True for a service-linked role (path `/aws-service-role/`). SCPs do
    /// not restrict service-linked roles
    /// (<https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>).
    pub fn is_service_linked(&self) -> bool {
        self.kind == IdentityKind::Role && self.arn.contains(":role/aws-service-role/")
    }

    /// `role DatadogIntegrationRole` or `user alice`.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

/// Why IAM input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file, as given.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not JSON, or not of the expected shape.
    #[error("{path}: invalid JSON or unexpected shape")]
    Json {
        /// The file, as given.
        path: String,
        /// What serde_json objected to, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A policy document is broken.
    #[error(
        "{path}: {policy}: {}{reason}",
        match .statement { Some(i) => format!("statement {i}: "), None => String::new() }
    )]
    Policy {
        /// The file, as given.
        path: String,
        /// Which policy: `role AcmeBackupRole, inline policy BackupAccess`,
        /// `managed policy arn:… version v2`, `SCP DenyAll`, ….
        policy: String,
        /// Index of the offending statement in `Statement`, when it is one.
        statement: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// A file is valid JSON but not the kind of input expected.
    #[error("{path}: {reason}")]
    Format {
        /// The file, as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// No user or role matches a lookup.
    #[error(
        "no IAM user or role matches {query:?}{}",
        if .candidates.is_empty() { String::new() } else { format!("; similar: {}", .candidates.join(", ")) }
    )]
    NotFound {
        /// What was looked up.
        query: String,
        /// ARNs of principals with a similar name, if any.
        candidates: Vec<String>,
    },
    /// A name matches several principals (the same role name in several
    /// accounts, or a user and a role of that name).
    #[error("{query:?} matches {} IAM principals: {}; give the ARN", .candidates.len(), .candidates.join(", "))]
    Ambiguous {
        /// What was looked up.
        query: String,
        /// ARNs of every match.
        candidates: Vec<String>,
    },
    /// An ARN that is not an IAM user, role or assumed-role ARN.
    #[error("{arn:?} is not an IAM user, role or assumed-role ARN")]
    BadArn {
        /// The ARN as given.
        arn: String,
    },
}

/// All IAM input of one run.
///
/// Files are parsed when added; references between them (managed policies,
/// groups, `--policy` files) are resolved once, on the first lookup after
/// the last addition, so the order of files does not matter.
#[derive(Debug, Default)]
pub struct IamInventory {
    /// Principals resolved from the raw input; reset by every addition.
    resolved: OnceLock<Resolved>,
    scps: Vec<NamedPolicy>,
    /// Warnings raised while reading files.
    load_warnings: Vec<String>,
    raw: BTreeMap<String, RawPrincipal>,
    /// Groups by `(account, GroupName)`, as users' `GroupList` names them.
    groups: BTreeMap<(String, String), RawGroup>,
    /// Managed policies at their default version, by ARN, with the file
    /// each came from.
    managed: BTreeMap<String, (NamedPolicy, String)>,
    /// `--policy` files: target ARN (the role for an assumed-role ARN), its
    /// kind, and the policy.
    files: Vec<(String, IdentityKind, NamedPolicy)>,
    /// Accounts covered by exports → first file that covered it.
    accounts: BTreeMap<String, String>,
}

impl IamInventory {
    /// An empty inventory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one `get-account-authorization-details` file (repeatable, one
    /// per account). A JSON array of such objects (pages saved one by one
    /// with `--no-paginate`) is read as one export.
    pub fn add_export(&mut self, path: &Path) -> Result<(), IamError> {
        let label = path.display().to_string();
        let text = read(path, &label)?;
        self.add_export_json(&label, &text)
    }

    /// Adds one export given as text; `path_label` names it in errors and
    /// warnings.
    pub fn add_export_json(&mut self, path_label: &str, json: &str) -> Result<(), IamError> {
        let value: Value = parse_json(path_label, json)?;
        let pages = match value {
            Value::Array(pages) if pages.is_empty() => {
                return Err(IamError::Format {
                    path: path_label.to_owned(),
                    reason: "empty array: no export page".to_owned(),
                });
            }
            Value::Array(pages) => pages,
            other => vec![other],
        };
        let mut staged = Staged::default();
        for page in pages {
            let page: Export = serde_json::from_value(page).map_err(|source| IamError::Json {
                path: path_label.to_owned(),
                source,
            })?;
            staged.add_page(path_label, page)?;
        }
        if staged.truncated {
            staged.warnings.push(format!(
                "{path_label}: the export is truncated (IsTruncated/Marker): principals and policies of later pages are missing; \
                 rerun `aws iam get-account-authorization-details` without --max-items or --no-paginate"
            ));
        }
        self.commit(path_label, staged);
        self.resolved.take();
        Ok(())
    }

    /// `--policy <ARN>=<FILE>`: a policy document that applies to that
    /// principal, added after its identity policies. The ARN is a user or
    /// role ARN (with or without the role's path) or an assumed-role session
    /// ARN, which stands for its role; a plain name is accepted when it
    /// names one principal of the exports. When no export has the principal
    /// it is created, its kind taken from the ARN.
    ///
    /// The file holds a policy document, or the output of `aws iam
    /// get-role-policy`/`get-user-policy` (`PolicyDocument`) or of `aws iam
    /// get-policy-version` (`PolicyVersion.Document`).
    pub fn add_policy_file(&mut self, principal_arn: &str, path: &Path) -> Result<(), IamError> {
        let (target, kind) = if principal_arn.starts_with("arn:") {
            identity_arn(principal_arn).ok_or_else(|| IamError::BadArn {
                arn: principal_arn.to_owned(),
            })?
        } else {
            let found = self.find(principal_arn)?;
            (found.arn.clone(), found.kind)
        };
        let label = path.display().to_string();
        let text = read(path, &label)?;
        let value = parse_json(&label, &text)?;
        let what = || format!("policy file for {target}");
        let document = match &value {
            Value::Object(map) if !map.contains_key("Statement") => {
                if let Some(doc) = map.get("PolicyDocument") {
                    parse_doc(&label, what, doc)?
                } else if let Some(doc) = map.get("PolicyVersion").and_then(|v| v.get("Document")) {
                    parse_doc(&label, what, doc)?
                } else {
                    parse_doc(&label, what, &value)?
                }
            }
            _ => parse_doc(&label, what, &value)?,
        };
        self.files.push((
            target,
            kind,
            NamedPolicy {
                source: PolicySource::File { path: label },
                document,
            },
        ));
        self.resolved.take();
        Ok(())
    }

    /// `--scp <FILE>`: a service control policy that applies to every
    /// principal. The file holds an SCP document, a JSON array of them, or
    /// the output of `aws organizations describe-policy`
    /// (`{"Policy": {"PolicySummary": {"Name": …}, "Content": "<JSON text>"}}`,
    /// <https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribePolicy.html>);
    /// an array may also hold such outputs.
    ///
    /// Where SCPs are attached (root, OUs, accounts) is not read: every SCP
    /// given applies to every principal. The SCPs of one file share its
    /// `path` in [`PolicySource::Scp`], which the evaluator reads as one
    /// level of the organization. Note that SCPs do not restrict the
    /// management account nor service-linked roles
    /// ([`PrincipalPolicies::is_service_linked`]).
    pub fn add_scp_file(&mut self, path: &Path) -> Result<(), IamError> {
        let label = path.display().to_string();
        let text = read(path, &label)?;
        let value = parse_json(&label, &text)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| label.clone());
        let mut scps = Vec::new();
        match &value {
            Value::Array(items) if items.is_empty() => {
                return Err(IamError::Format {
                    path: label,
                    reason: "empty array: no SCP".to_owned(),
                });
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    scps.push(scp(&label, &format!("{stem}[{i}]"), item)?);
                }
            }
            one => scps.push(scp(&label, &stem, one)?),
        }
        self.scps.extend(scps);
        Ok(())
    }

    /// The principal with exactly this ARN (with its path, as the export
    /// lists it). See [`IamInventory::find`] for lenient lookups.
    pub fn principal(&self, arn: &str) -> Option<&PrincipalPolicies> {
        self.resolved().principals.get(arn)
    }

    /// Looks up a principal by ARN, by name, or by assumed-role session ARN.
    ///
    /// - An ARN matches exactly, or else by account, kind and name, so a
    ///   role ARN without its path (`role/x`) finds `role/service-role/x`.
    /// - An assumed-role session ARN
    ///   (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`, which CloudTrail
    ///   logs without the role's path) finds role `NAME` of `ACCOUNT`.
    /// - Anything else is a user or role name, matched exactly, else
    ///   ignoring case (IAM names are unique regardless of case); it must be
    ///   unique across accounts and kinds, else [`IamError::Ambiguous`]
    ///   lists the candidates.
    pub fn find(&self, query: &str) -> Result<&PrincipalPolicies, IamError> {
        let Resolved {
            principals, by_key, ..
        } = self.resolved();
        if let Some(found) = principals.get(query) {
            return Ok(found);
        }
        if query.starts_with("arn:") {
            let (arn, kind) = identity_arn(query).ok_or_else(|| IamError::BadArn {
                arn: query.to_owned(),
            })?;
            let account = arn_field(&arn, 4).unwrap_or_default().to_owned();
            let name = last_segment(&arn).to_owned();
            if let Some(found) = by_key
                .get(&(account, kind, name.clone()))
                .and_then(|arn| principals.get(arn))
            {
                return Ok(found);
            }
            let candidates = principals
                .values()
                .filter(|p| p.kind == kind && p.name.eq_ignore_ascii_case(&name))
                .map(|p| p.arn.clone())
                .collect();
            return Err(IamError::NotFound {
                query: query.to_owned(),
                candidates,
            });
        }
        let mut matches: Vec<&PrincipalPolicies> =
            principals.values().filter(|p| p.name == query).collect();
        if matches.is_empty() {
            matches = principals
                .values()
                .filter(|p| p.name.eq_ignore_ascii_case(query))
                .collect();
        }
        match matches.as_slice() {
            [one] => Ok(one),
            [] => {
                let needle = query.to_ascii_lowercase();
                let candidates = principals
                    .values()
                    .filter(|p| !needle.is_empty() && p.name.to_ascii_lowercase().contains(&needle))
                    .take(10)
                    .map(|p| p.arn.clone())
                    .collect();
                Err(IamError::NotFound {
                    query: query.to_owned(),
                    candidates,
                })
            }
            many => Err(IamError::Ambiguous {
                query: query.to_owned(),
                candidates: many.iter().map(|p| p.arn.clone()).collect(),
            }),
        }
    }

    /// Every principal, sorted by ARN.
    pub fn principals(&self) -> impl Iterator<Item = &PrincipalPolicies> {
        self.resolved().principals.values()
    }

    /// The SCPs, in the order given.
    pub fn scps(&self) -> &[NamedPolicy] {
        &self.scps
    }

    /// A managed policy (its default version) by ARN, from any export.
    pub fn managed_policy(&self, arn: &str) -> Option<&NamedPolicy> {
        self.managed.get(arn).map(|(policy, _)| policy)
    }

    /// Accounts covered by exports, sorted. Principals created only by
    /// `--policy` files do not count.
    pub fn accounts(&self) -> Vec<String> {
        self.accounts.keys().cloned().collect()
    }

    /// What the report should mention: truncated exports, references to
    /// managed policies or groups that no export holds, principals known
    /// only from `--policy` files, principals or policies listed twice.
    pub fn warnings(&self) -> &[String] {
        &self.resolved().warnings
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
            && self.groups.is_empty()
            && self.managed.is_empty()
            && self.files.is_empty()
            && self.scps.is_empty()
    }

    fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| self.resolve_all())
    }

    /// Moves a fully parsed export in; nothing here can fail.
    fn commit(&mut self, path: &str, staged: Staged) {
        let mut warnings = staged.warnings;
        for account in &staged.accounts {
            if let Some(first) = self.accounts.get(account) {
                warnings.push(format!(
                    "{path}: account {account} is also covered by {first}; where both list a principal, group or policy, {path} wins"
                ));
            } else {
                self.accounts.insert(account.clone(), path.to_owned());
            }
        }
        for (arn, policy) in staged.managed {
            match self.managed.get(&arn) {
                // The same AWS managed policy in several accounts' exports.
                Some((old, _)) if *old == policy => continue,
                Some((old, old_path)) => warnings.push(format!(
                    "managed policy {arn} differs between {old_path} ({}) and {path} ({}); using {path}",
                    version_text(old),
                    version_text(&policy)
                )),
                None => {}
            }
            self.managed.insert(arn, (policy, path.to_owned()));
        }
        for group in staged.groups {
            self.groups
                .insert((group.account.clone(), group.name.clone()), group);
        }
        for principal in staged.principals {
            self.raw.insert(principal.arn.clone(), principal);
        }
        self.load_warnings.extend(warnings);
    }

    /// Resolves every principal from the raw input.
    fn resolve_all(&self) -> Resolved {
        // Unresolved ARN → principals referencing it.
        let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut principals = BTreeMap::new();
        for raw in self.raw.values() {
            let mut p = PrincipalPolicies {
                arn: raw.arn.clone(),
                name: raw.name.clone(),
                account: raw.account.clone(),
                kind: raw.kind,
                identity: raw.inline.clone(),
                boundary: None,
                trust: raw.trust.clone(),
                tags: raw.tags.clone(),
                last_used: raw.last_used.clone(),
                last_used_region: raw.last_used_region.clone(),
                access_keys: raw.access_keys.clone(),
                unresolved: Vec::new(),
            };
            let mut seen = BTreeSet::new();
            self.attach(&mut p, &raw.managed, &mut seen);
            for group_name in &raw.groups {
                match self.groups.get(&(raw.account.clone(), group_name.clone())) {
                    Some(group) => {
                        p.identity.extend(group.inline.iter().cloned());
                        self.attach(&mut p, &group.managed, &mut seen);
                    }
                    None => p.unresolved.push(format!(
                        "arn:{}:iam::{}:group/{group_name}",
                        arn_field(&raw.arn, 1).unwrap_or("aws"),
                        raw.account
                    )),
                }
            }
            if let Some(boundary) = &raw.boundary {
                match self.resolve(boundary) {
                    Some(policy) => p.boundary = Some(policy),
                    None => p.unresolved.push(boundary.arn.clone()),
                }
            }
            for arn in &p.unresolved {
                missing
                    .entry(arn.clone())
                    .or_default()
                    .insert(p.display_name());
            }
            principals.insert(p.arn.clone(), p);
        }
        let mut by_key: BTreeMap<(String, IdentityKind, String), String> = principals
            .values()
            .map(|p: &PrincipalPolicies| {
                ((p.account.clone(), p.kind, p.name.clone()), p.arn.clone())
            })
            .collect();
        let mut file_only = BTreeSet::new();
        for (target, kind, policy) in &self.files {
            let kind = *kind;
            let account = arn_field(target, 4).unwrap_or_default().to_owned();
            let name = last_segment(target).to_owned();
            let key = (account.clone(), kind, name.clone());
            let arn = by_key.entry(key).or_insert_with(|| {
                file_only.insert(target.clone());
                principals.insert(
                    target.clone(),
                    PrincipalPolicies {
                        arn: target.clone(),
                        name,
                        account,
                        kind,
                        identity: Vec::new(),
                        boundary: None,
                        trust: None,
                        tags: BTreeMap::new(),
                        last_used: None,
                        last_used_region: None,
                        access_keys: Vec::new(),
                        unresolved: Vec::new(),
                    },
                );
                target.clone()
            });
            if let Some(p) = principals.get_mut(arn.as_str()) {
                p.identity.push(policy.clone());
            }
        }
        let mut warnings = self.load_warnings.clone();
        for (arn, referrers) in missing {
            let what = if arn.contains(":group/") {
                "group"
            } else {
                "managed policy"
            };
            warnings.push(format!(
                "{what} {arn} is referenced by {} but is in no export; what it allows is unknown",
                short_list(referrers)
            ));
        }
        for arn in file_only {
            warnings.push(format!(
                "{arn} is in no export; only its --policy files are known (no managed policies, boundary or trust policy)"
            ));
        }
        Resolved {
            principals,
            by_key,
            warnings,
        }
    }

    /// Appends managed policies (sorted by ARN) not seen yet, or records
    /// them as unresolved.
    fn attach(&self, p: &mut PrincipalPolicies, refs: &[ManagedRef], seen: &mut BTreeSet<String>) {
        for r in refs {
            if !seen.insert(r.arn.clone()) {
                continue;
            }
            match self.resolve(r) {
                Some(policy) => p.identity.push(policy),
                None => p.unresolved.push(r.arn.clone()),
            }
        }
    }

    fn resolve(&self, r: &ManagedRef) -> Option<NamedPolicy> {
        self.managed.get(&r.arn).map(|(policy, _)| policy.clone())
    }
}

/// The inventory's input, resolved.
#[derive(Debug, Default)]
struct Resolved {
    /// Principals by ARN.
    principals: BTreeMap<String, PrincipalPolicies>,
    /// `(account, kind, name)` → ARN, for lookups without the path.
    by_key: BTreeMap<(String, IdentityKind, String), String>,
    /// Load warnings, then resolution warnings.
    warnings: Vec<String>,
}

// ---------------------------------------------------------------------------
// Reading the export.
//
// Shapes from the API reference: GetAccountAuthorizationDetails, UserDetail,
// GroupDetail, RoleDetail, ManagedPolicyDetail, PolicyDetail,
// AttachedPolicy, AttachedPermissionsBoundary, PolicyVersion, Tag,
// RoleLastUsed (<https://docs.aws.amazon.com/IAM/latest/APIReference/>).
// Policy documents there are URL-encoded (RFC 3986); the AWS CLI decodes
// them, other tools may not; `PolicyDocument::from_value` takes both.

/// `null` reads as the default, like a missing field.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Export {
    #[serde(default)]
    user_detail_list: Option<Vec<UserDetail>>,
    #[serde(default)]
    group_detail_list: Option<Vec<GroupDetail>>,
    #[serde(default)]
    role_detail_list: Option<Vec<RoleDetail>>,
    #[serde(default)]
    policies: Option<Vec<ManagedPolicyDetail>>,
    #[serde(default, deserialize_with = "nullable")]
    is_truncated: bool,
    #[serde(default)]
    marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InlinePolicy {
    policy_name: String,
    /// Missing reads as `null`, which the document parser rejects with the
    /// policy named.
    #[serde(default)]
    policy_document: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    /// `PolicyName` is not read: the policy's own entry in `Policies` names it.
    policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Boundary {
    /// `PermissionsBoundaryType` is always `PermissionsBoundaryPolicy`.
    permissions_boundary_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    #[serde(default, deserialize_with = "nullable")]
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKey {
    access_key_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserDetail {
    #[serde(default)]
    user_name: Option<String>,
    arn: String,
    #[serde(default, deserialize_with = "nullable")]
    user_policy_list: Vec<InlinePolicy>,
    #[serde(default, deserialize_with = "nullable")]
    group_list: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    permissions_boundary: Option<Boundary>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<Tag>,
    /// Not part of the API output; see the module documentation.
    #[serde(default, deserialize_with = "nullable", alias = "AccessKeyMetadata")]
    access_keys: Vec<AccessKey>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDetail {
    #[serde(default)]
    group_name: Option<String>,
    arn: String,
    #[serde(default, deserialize_with = "nullable")]
    group_policy_list: Vec<InlinePolicy>,
    #[serde(default, deserialize_with = "nullable")]
    attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleLastUsed {
    #[serde(default)]
    last_used_date: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail {
    #[serde(default)]
    role_name: Option<String>,
    arn: String,
    #[serde(default)]
    assume_role_policy_document: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    role_policy_list: Vec<InlinePolicy>,
    #[serde(default, deserialize_with = "nullable")]
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    permissions_boundary: Option<Boundary>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<Tag>,
    #[serde(default, deserialize_with = "nullable")]
    role_last_used: RoleLastUsed,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManagedPolicyDetail {
    #[serde(default)]
    policy_name: Option<String>,
    arn: String,
    #[serde(default)]
    default_version_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    policy_version_list: Vec<PolicyVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersion {
    #[serde(default)]
    document: Value,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    is_default_version: Option<bool>,
}

/// A managed policy reference (attachment or boundary), by ARN.
#[derive(Debug, Clone)]
struct ManagedRef {
    arn: String,
}

#[derive(Debug, Clone)]
struct RawPrincipal {
    arn: String,
    name: String,
    account: String,
    kind: IdentityKind,
    /// Inline policies, sorted by name.
    inline: Vec<NamedPolicy>,
    /// Attached managed policies, sorted by ARN.
    managed: Vec<ManagedRef>,
    /// Group names, sorted.
    groups: Vec<String>,
    boundary: Option<ManagedRef>,
    trust: Option<PolicyDocument>,
    tags: BTreeMap<String, String>,
    last_used: Option<String>,
    last_used_region: Option<String>,
    access_keys: Vec<String>,
}

#[derive(Debug, Clone)]
struct RawGroup {
    account: String,
    name: String,
    /// Inline policies, sorted by name.
    inline: Vec<NamedPolicy>,
    /// Attached managed policies, sorted by ARN.
    managed: Vec<ManagedRef>,
}

/// One export, parsed and checked, not yet part of the inventory.
#[derive(Debug, Default)]
struct Staged {
    principals: Vec<RawPrincipal>,
    groups: Vec<RawGroup>,
    managed: Vec<(String, NamedPolicy)>,
    accounts: BTreeSet<String>,
    warnings: Vec<String>,
    /// The last page read says more pages follow.
    truncated: bool,
}

impl Staged {
    fn add_page(&mut self, path: &str, page: Export) -> Result<(), IamError> {
        if page.user_detail_list.is_none()
            && page.group_detail_list.is_none()
            && page.role_detail_list.is_none()
            && page.policies.is_none()
        {
            return Err(IamError::Format {
                path: path.to_owned(),
                reason: "none of UserDetailList, GroupDetailList, RoleDetailList, Policies: \
                         not `aws iam get-account-authorization-details` output"
                    .to_owned(),
            });
        }
        // IsTruncated/Marker: more pages follow (the CLI fetches them all
        // unless `--no-paginate` or `--max-items` stop it). Only the last
        // page of an array of pages counts.
        self.truncated = page.is_truncated || page.marker.is_some();
        for user in page.user_detail_list.unwrap_or_default() {
            let p = self.user(path, user)?;
            self.principals.push(p);
        }
        for role in page.role_detail_list.unwrap_or_default() {
            let p = self.role(path, role)?;
            self.principals.push(p);
        }
        for group in page.group_detail_list.unwrap_or_default() {
            let g = self.group(path, group)?;
            self.groups.push(g);
        }
        for policy in page.policies.unwrap_or_default() {
            self.managed_policy(path, policy)?;
        }
        Ok(())
    }

    /// The account of an ARN in the export; customer ARNs only.
    fn account_of(&mut self, path: &str, what: &str, arn: &str) -> Result<String, IamError> {
        match arn_field(arn, 4) {
            Some(account) if !account.is_empty() && arn_field(arn, 2) == Some("iam") => {
                if account != "aws" {
                    self.accounts.insert(account.to_owned());
                }
                Ok(account.to_owned())
            }
            _ => Err(IamError::Format {
                path: path.to_owned(),
                reason: format!("{what}: Arn {arn:?} is not an IAM ARN"),
            }),
        }
    }

    fn user(&mut self, path: &str, user: UserDetail) -> Result<RawPrincipal, IamError> {
        let name = user
            .user_name
            .unwrap_or_else(|| last_segment(&user.arn).to_owned());
        let owner = format!("user {name}");
        let account = self.account_of(path, &owner, &user.arn)?;
        let inline = inline_policies(
            path,
            &owner,
            &user.arn,
            user.user_policy_list,
            |owner, name| PolicySource::Inline { owner, name },
        )?;
        let mut groups = user.group_list;
        groups.sort();
        groups.dedup();
        let mut access_keys: Vec<String> = user
            .access_keys
            .into_iter()
            .map(|k| k.access_key_id)
            .collect();
        access_keys.sort();
        access_keys.dedup();
        Ok(RawPrincipal {
            arn: user.arn,
            name,
            account,
            kind: IdentityKind::User,
            inline,
            managed: managed_refs(user.attached_managed_policies),
            groups,
            boundary: user.permissions_boundary.map(boundary_ref),
            trust: None,
            tags: tags(user.tags),
            last_used: None,
            last_used_region: None,
            access_keys,
        })
    }

    fn role(&mut self, path: &str, role: RoleDetail) -> Result<RawPrincipal, IamError> {
        let name = role
            .role_name
            .unwrap_or_else(|| last_segment(&role.arn).to_owned());
        let owner = format!("role {name}");
        let account = self.account_of(path, &owner, &role.arn)?;
        let inline = inline_policies(
            path,
            &owner,
            &role.arn,
            role.role_policy_list,
            |owner, name| PolicySource::Inline { owner, name },
        )?;
        let trust = match role.assume_role_policy_document {
            None | Some(Value::Null) => None,
            Some(doc) => Some(parse_doc(path, || format!("{owner}, trust policy"), &doc)?),
        };
        Ok(RawPrincipal {
            arn: role.arn,
            name,
            account,
            kind: IdentityKind::Role,
            inline,
            managed: managed_refs(role.attached_managed_policies),
            groups: Vec::new(),
            boundary: role.permissions_boundary.map(boundary_ref),
            trust,
            tags: tags(role.tags),
            last_used: role.role_last_used.last_used_date,
            last_used_region: role.role_last_used.region,
            access_keys: Vec::new(),
        })
    }

    fn group(&mut self, path: &str, group: GroupDetail) -> Result<RawGroup, IamError> {
        let name = group
            .group_name
            .unwrap_or_else(|| last_segment(&group.arn).to_owned());
        let owner = format!("group {name}");
        let account = self.account_of(path, &owner, &group.arn)?;
        let inline = inline_policies(
            path,
            &owner,
            &group.arn,
            group.group_policy_list,
            |group, name| PolicySource::GroupInline { group, name },
        )?;
        Ok(RawGroup {
            account,
            name,
            inline,
            managed: managed_refs(group.attached_managed_policies),
        })
    }

    /// Reads the default version (`DefaultVersionId`, else the version
    /// flagged `IsDefaultVersion`, else the only one).
    fn managed_policy(&mut self, path: &str, policy: ManagedPolicyDetail) -> Result<(), IamError> {
        let what = format!("managed policy {}", policy.arn);
        self.account_of(path, &what, &policy.arn)?;
        let versions = &policy.policy_version_list;
        let default = policy
            .default_version_id
            .as_deref()
            .and_then(|id| {
                versions
                    .iter()
                    .find(|v| v.version_id.as_deref() == Some(id))
            })
            .or_else(|| versions.iter().find(|v| v.is_default_version == Some(true)))
            .or(match versions.as_slice() {
                [only] => Some(only),
                _ => None,
            });
        let Some(version) = default else {
            self.warnings.push(format!(
                "{path}: {what} has no default version document; principals attached to it treat it as unresolved"
            ));
            return Ok(());
        };
        let version_id = version
            .version_id
            .clone()
            .or_else(|| policy.default_version_id.clone());
        let document = parse_doc(
            path,
            || match &version_id {
                Some(v) => format!("{what} version {v}"),
                None => what.clone(),
            },
            &version.document,
        )?;
        let name = policy
            .policy_name
            .unwrap_or_else(|| last_segment(&policy.arn).to_owned());
        self.managed.push((
            policy.arn.clone(),
            NamedPolicy {
                source: PolicySource::Managed {
                    arn: policy.arn,
                    name,
                    version: version_id,
                },
                document,
            },
        ));
        Ok(())
    }
}

/// Parses inline policies, sorted by name; `make` builds the source from
/// the owner ARN and the policy name.
fn inline_policies(
    path: &str,
    owner: &str,
    owner_arn: &str,
    list: Vec<InlinePolicy>,
    make: impl Fn(String, String) -> PolicySource,
) -> Result<Vec<NamedPolicy>, IamError> {
    let mut out = list
        .into_iter()
        .map(|p| {
            let document = parse_doc(
                path,
                || format!("{owner}, inline policy {}", p.policy_name),
                &p.policy_document,
            )?;
            Ok(NamedPolicy {
                source: make(owner_arn.to_owned(), p.policy_name),
                document,
            })
        })
        .collect::<Result<Vec<_>, IamError>>()?;
    out.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(out)
}

fn managed_refs(list: Vec<AttachedPolicy>) -> Vec<ManagedRef> {
    let mut refs: Vec<ManagedRef> = list
        .into_iter()
        .map(|a| ManagedRef { arn: a.policy_arn })
        .collect();
    refs.sort_by(|a, b| a.arn.cmp(&b.arn));
    refs.dedup_by(|a, b| a.arn == b.arn);
    refs
}

fn boundary_ref(b: Boundary) -> ManagedRef {
    ManagedRef {
        arn: b.permissions_boundary_arn,
    }
}

fn tags(list: Vec<Tag>) -> BTreeMap<String, String> {
    list.into_iter().map(|t| (t.key, t.value)).collect()
}

/// `a, b, c and 4 more`.
fn short_list(items: BTreeSet<String>) -> String {
    const SHOWN: usize = 5;
    let total = items.len();
    let mut text = items.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
    if total > SHOWN {
        text.push_str(&format!(" and {} more", total - SHOWN));
    }
    text
}

fn version_text(policy: &NamedPolicy) -> String {
    match &policy.source {
        PolicySource::Managed {
            version: Some(v), ..
        } => v.clone(),
        _ => "no version".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// SCPs.

/// One SCP: a document, or `describe-policy` output whose `Content` is the
/// document as JSON text.
fn scp(path: &str, default_name: &str, value: &Value) -> Result<NamedPolicy, IamError> {
    let (name, content) = match value.get("Policy") {
        Some(policy) if value.get("Statement").is_none() => {
            let name = policy
                .pointer("/PolicySummary/Name")
                .and_then(Value::as_str)
                .unwrap_or(default_name)
                .to_owned();
            let content = policy.get("Content").ok_or_else(|| IamError::Format {
                path: path.to_owned(),
                reason: format!("SCP {name}: describe-policy output without Policy.Content"),
            })?;
            (name, content)
        }
        _ => (default_name.to_owned(), value),
    };
    let document = parse_doc(path, || format!("SCP {name}"), content)?;
    Ok(NamedPolicy {
        source: PolicySource::Scp {
            path: path.to_owned(),
            name,
        },
        document,
    })
}

// ---------------------------------------------------------------------------
// ARNs: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`
// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>).
// IAM users and roles: `arn:aws:iam::ACCOUNT:user/PATH/NAME`,
// `…:role/PATH/NAME`; role sessions:
// `arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION-NAME`
// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).

/// Field `index` (0 = `arn`) of an ARN; the resource (5) keeps its colons.
fn arn_field(arn: &str, index: usize) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    if fields.clone().count() != 6 || !arn.starts_with("arn:") {
        return None;
    }
    fields.nth(index)
}

/// The last `/`-separated segment of an ARN's resource (the name).
fn last_segment(arn: &str) -> &str {
    let resource = arn_field(arn, 5).unwrap_or(arn);
    resource.rsplit('/').next().unwrap_or(resource)
}

/// The IAM identity an ARN stands for: a user or role ARN as is, an
/// assumed-role session ARN as its (path-less) role ARN.
fn identity_arn(arn: &str) -> Option<(String, IdentityKind)> {
    let partition = arn_field(arn, 1)?;
    let service = arn_field(arn, 2)?;
    let account = arn_field(arn, 4)?;
    let resource = arn_field(arn, 5)?;
    if account.is_empty() || partition.is_empty() {
        return None;
    }
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    };
    match service {
        "iam" if named("role/") => Some((arn.to_owned(), IdentityKind::Role)),
        "iam" if named("user/") => Some((arn.to_owned(), IdentityKind::User)),
        "sts" => {
            let mut parts = resource.splitn(3, '/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("assumed-role"), Some(role), Some(_)) if !role.is_empty() => Some((
                    format!("arn:{partition}:iam::{account}:role/{role}"),
                    IdentityKind::Role,
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Helpers.

fn read(path: &Path, label: &str) -> Result<String, IamError> {
    std::fs::read_to_string(path).map_err(|source| IamError::Io {
        path: label.to_owned(),
        source,
    })
}

fn parse_json(label: &str, text: &str) -> Result<Value, IamError> {
    serde_json::from_str(text).map_err(|source| IamError::Json {
        path: label.to_owned(),
        source,
    })
}

fn parse_doc(
    path: &str,
    what: impl FnOnce() -> String,
    value: &Value,
) -> Result<PolicyDocument, IamError> {
    PolicyDocument::from_value(value).map_err(|DocumentError { statement, reason }| {
        IamError::Policy {
            path: path.to_owned(),
            policy: what(),
            statement,
            reason,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    const A1: &str = "111111111111";
    const A2: &str = "222222222222";

    fn corpus(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/corpus/iam")
            .join(name)
    }

    fn corpus_json(name: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(corpus(name)).unwrap()).unwrap()
    }

    fn loaded() -> IamInventory {
        let mut inv = IamInventory::new();
        for account in [A1, A2, "333333333333"] {
            inv.add_export(&corpus(&format!("{account}.json"))).unwrap();
        }
        inv
    }

    fn role_arn(account: &str, rest: &str) -> String {
        format!("arn:aws:iam::{account}:role/{rest}")
    }

    fn sources(p: &PrincipalPolicies) -> Vec<PolicySource> {
        p.identity.iter().map(|n| n.source.clone()).collect()
    }

    fn managed(arn: &str, name: &str, version: &str) -> PolicySource {
        PolicySource::Managed {
            arn: arn.to_owned(),
            name: name.to_owned(),
            version: Some(version.to_owned()),
        }
    }

    fn actions(doc: &PolicyDocument) -> Vec<String> {
        doc.statements
            .iter()
            .flat_map(|s| s.actions.items().iter().cloned())
            .collect()
    }

    /// Writes `content` to a file named `name` in `dir`.
    fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn export_error(value: &Value) -> String {
        let mut inv = IamInventory::new();
        let err = inv
            .add_export_json("iam/111111111111.json", &value.to_string())
            .unwrap_err();
        assert!(inv.is_empty(), "a failed export must leave nothing behind");
        err.to_string()
    }

    #[test]
    fn corpus_principals_and_accounts() {
        let inv = loaded();
        let arns: Vec<&str> = inv.principals().map(|p| p.arn.as_str()).collect();
        assert_eq!(
            arns,
            vec![
                "arn:aws:iam::111111111111:role/AcmeBackupRole",
                "arn:aws:iam::111111111111:role/ChainerEntryRole",
                "arn:aws:iam::111111111111:role/ContractorAccess",
                "arn:aws:iam::111111111111:role/ContractorBreakGlass",
                "arn:aws:iam::111111111111:role/DatadogIntegrationRole",
                "arn:aws:iam::111111111111:role/DormantVendorRole",
                "arn:aws:iam::111111111111:role/GitHubActionsDeploy",
                "arn:aws:iam::111111111111:role/OktaAdmin",
                "arn:aws:iam::111111111111:role/app-server",
                "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123",
                "arn:aws:iam::111111111111:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway",
                "arn:aws:iam::111111111111:user/alice",
                "arn:aws:iam::111111111111:user/vendor-ci-deployer",
                "arn:aws:iam::222222222222:role/ChainerDataRole",
                "arn:aws:iam::222222222222:role/SharedReadOnly",
                "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123",
                "arn:aws:iam::333333333333:user/ops-bot",
            ]
        );
        assert_eq!(inv.accounts(), vec![A1, A2, "333333333333"]);
        // AdministratorAccess is in two exports, identical: no warning.
        assert_eq!(inv.warnings(), &[] as &[String]);
        for p in inv.principals() {
            assert!(p.unresolved.is_empty(), "{}", p.arn);
            assert_eq!(p.trust.is_some(), p.kind == IdentityKind::Role, "{}", p.arn);
            assert_eq!(p.account, p.arn[13..25], "{}", p.arn);
        }
        let users: Vec<&str> = inv
            .principals()
            .filter(|p| p.kind == IdentityKind::User)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(users, vec!["alice", "vendor-ci-deployer", "ops-bot"]);
    }

    #[test]
    fn managed_policy_at_default_version_url_encoded() {
        let inv = loaded();
        let role = inv
            .principal("arn:aws:iam::111111111111:role/DatadogIntegrationRole")
            .unwrap();
        assert_eq!(
            sources(role),
            vec![managed(
                "arn:aws:iam::111111111111:policy/DatadogIntegrationPolicy",
                "DatadogIntegrationPolicy",
                "v2"
            )]
        );
        assert_eq!(role.identity[0].label(), "managed DatadogIntegrationPolicy");
        // v2 (the default, URL-encoded in the export) has nine actions; v1 three.
        let acts = actions(&role.identity[0].document);
        assert_eq!(acts.len(), 9);
        assert!(acts.contains(&"lambda:list*".to_owned()));
        assert!(acts.contains(&"tag:gettagvalues".to_owned()));
        assert_eq!(role.boundary, None);
        let trust = role.trust.as_ref().unwrap();
        assert_eq!(
            trust.statements[0].principals.as_ref().unwrap().items()[0]["AWS"],
            vec!["arn:aws:iam::464622532012:root"]
        );
        assert_eq!(
            trust.statements[0].conditions.0["StringEquals"]["sts:ExternalId"],
            vec!["3f8a1c2e9b7d4e6fa0c5d2b18e7f9a64"]
        );
        assert_eq!(role.tags["owner"], "security");
        assert_eq!(role.tags["managed-by"], "terraform");
        assert_eq!(role.last_used.as_deref(), Some("2024-03-05T22:21:53+00:00"));
        assert_eq!(role.last_used_region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            inv.managed_policy("arn:aws:iam::111111111111:policy/DatadogIntegrationPolicy")
                .unwrap()
                .document,
            role.identity[0].document
        );

        let dormant = inv.find("DormantVendorRole").unwrap();
        assert_eq!(
            sources(dormant),
            vec![managed(
                "arn:aws:iam::111111111111:policy/DormantVendorReadOnly",
                "DormantVendorReadOnly",
                "v1"
            )]
        );
        assert_eq!(dormant.last_used, None);
    }

    #[test]
    fn inline_then_managed_and_aws_managed_shared_across_accounts() {
        let inv = loaded();
        let app = inv.find("app-server").unwrap();
        assert_eq!(
            sources(app),
            vec![
                PolicySource::Inline {
                    owner: role_arn(A1, "app-server"),
                    name: "app-data".to_owned()
                },
                managed(
                    "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess",
                    "AmazonEC2ReadOnlyAccess",
                    "v1"
                ),
            ]
        );
        assert_eq!(app.identity[0].label(), "inline app-data");
        assert_eq!(
            app.trust.as_ref().unwrap().statements[0]
                .principals
                .as_ref()
                .unwrap()
                .items()[0]["Service"],
            vec!["ec2.amazonaws.com"]
        );

        let admin = managed(
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "AdministratorAccess",
            "v1",
        );
        let okta = inv.find("OktaAdmin").unwrap();
        let sso2 = inv
            .find("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_abc123/bob@example.com")
            .unwrap();
        assert_eq!(sources(okta), vec![admin.clone()]);
        assert_eq!(sources(sso2), vec![admin]);
        assert_eq!(okta.identity[0].document, sso2.identity[0].document);

        let backup = inv.find("AcmeBackupRole").unwrap();
        assert_eq!(backup.identity.len(), 1);
        assert_eq!(backup.identity[0].document.statements.len(), 3);
        assert_eq!(
            backup.trust.as_ref().unwrap().statements[0]
                .principals
                .as_ref()
                .unwrap()
                .items()[0]["AWS"],
            vec!["arn:aws:iam::999988887777:root"]
        );
    }

    #[test]
    fn group_policies_flow_into_users() {
        let inv = loaded();
        let alice = inv.find("alice").unwrap();
        assert_eq!(alice.kind, IdentityKind::User);
        assert_eq!(
            sources(alice),
            vec![
                managed(
                    "arn:aws:iam::aws:policy/AdministratorAccess",
                    "AdministratorAccess",
                    "v1"
                ),
                PolicySource::GroupInline {
                    group: "arn:aws:iam::111111111111:group/Developers".to_owned(),
                    name: "developer-read".to_owned()
                },
            ]
        );
        assert_eq!(
            alice.identity[1].label(),
            "group Developers inline developer-read"
        );
        assert_eq!(alice.tags["team"], "platform");
        assert_eq!(alice.trust, None);
        assert_eq!(alice.last_used, None);

        let ci = inv.find("vendor-ci-deployer").unwrap();
        assert_eq!(
            sources(ci),
            vec![PolicySource::Inline {
                owner: "arn:aws:iam::111111111111:user/vendor-ci-deployer".to_owned(),
                name: "ci-deploy".to_owned()
            }]
        );
        assert_eq!(ci.identity[0].document.statements.len(), 3);
    }

    #[test]
    fn permissions_boundary() {
        let inv = loaded();
        let data = inv.find("ChainerDataRole").unwrap();
        let boundary = data.boundary.as_ref().unwrap();
        assert_eq!(
            boundary.source,
            managed(
                "arn:aws:iam::222222222222:policy/VendorDataBoundary",
                "VendorDataBoundary",
                "v1"
            )
        );
        assert!(!boundary.document.statements.is_empty());
        assert_eq!(data.identity.len(), 1);
        assert!(data.identity[0].document.statements[0].actions.is_not());
        assert_eq!(
            inv.principals().filter(|p| p.boundary.is_some()).count(),
            1,
            "only ChainerDataRole has a boundary"
        );
    }

    #[test]
    fn find_by_name_arn_session_and_path() {
        let inv = loaded();
        let apigw = "arn:aws:iam::111111111111:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway";
        let sso1 = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123";
        assert_eq!(inv.find(apigw).unwrap().arn, apigw);
        assert!(inv.find(apigw).unwrap().is_service_linked());
        assert!(!inv.find("OktaAdmin").unwrap().is_service_linked());
        // The session ARN CloudTrail logs has no path.
        assert_eq!(
            inv.find("arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForAPIGateway/session")
                .unwrap()
                .arn,
            apigw
        );
        assert_eq!(
            inv.find("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_abc123/alice@example.com")
                .unwrap()
                .arn,
            sso1
        );
        // A role ARN without the path.
        assert_eq!(
            inv.find("arn:aws:iam::111111111111:role/AWSServiceRoleForAPIGateway")
                .unwrap()
                .arn,
            apigw
        );
        assert_eq!(
            inv.find("datadogintegrationrole").unwrap().name,
            "DatadogIntegrationRole"
        );
        assert_eq!(inv.find("ops-bot").unwrap().account, "333333333333");
        assert_eq!(
            inv.find("arn:aws:iam::333333333333:user/ops-bot")
                .unwrap()
                .kind,
            IdentityKind::User
        );
        assert!(
            inv.principal("arn:aws:iam::111111111111:role/AWSServiceRoleForAPIGateway")
                .is_none()
        );

        match inv.find("AWSReservedSSO_AdministratorAccess_abc123").unwrap_err() {
            IamError::Ambiguous { candidates, .. } => assert_eq!(candidates, vec![
                sso1.to_owned(),
                "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_abc123".to_owned()
            ]),
            other => panic!("{other}"),
        }
        match inv.find("Contractor").unwrap_err() {
            IamError::NotFound { candidates, .. } => assert_eq!(
                candidates,
                vec![
                    role_arn(A1, "ContractorAccess"),
                    role_arn(A1, "ContractorBreakGlass")
                ]
            ),
            other => panic!("{other}"),
        }
        // Right name, wrong account: the candidates say where it is.
        let err = inv
            .find("arn:aws:sts::999999999999:assumed-role/OktaAdmin/x")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no IAM user or role matches \"arn:aws:sts::999999999999:assumed-role/OktaAdmin/x\"; similar: arn:aws:iam::111111111111:role/OktaAdmin"
        );
        for bad in [
            "arn:aws:iam::111111111111:root",
            "arn:aws:iam::111111111111:group/Admins",
            "arn:aws:sts::111111111111:federated-user/x",
            "arn:aws:iam:role/x",
            "arn:aws:iam::111111111111:role/",
        ] {
            assert!(
                matches!(inv.find(bad), Err(IamError::BadArn { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_documents_name_file_policy_and_statement() {
        let mut v = corpus_json("111111111111.json");
        let roles = v["RoleDetailList"].as_array_mut().unwrap();
        let backup = roles
            .iter_mut()
            .find(|r| r["RoleName"] == "AcmeBackupRole")
            .unwrap();
        backup["RolePolicyList"][0]["PolicyDocument"]["Statement"][2]["Effect"] = json!("Permit");
        assert_eq!(
            export_error(&v),
            "iam/111111111111.json: role AcmeBackupRole, inline policy backup-access: statement 2: Effect must be Allow or Deny, found \"Permit\""
        );

        let mut v = corpus_json("111111111111.json");
        let policies = v["Policies"].as_array_mut().unwrap();
        let dd = policies
            .iter_mut()
            .find(|p| p["PolicyName"] == "DatadogIntegrationPolicy")
            .unwrap();
        // The default version, URL-encoded: `Resource` misspelt in statement 0.
        dd["PolicyVersionList"][1]["Document"] = json!(
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resources%22%3A%22*%22%7D%5D%7D"
        );
        assert_eq!(
            export_error(&v),
            "iam/111111111111.json: managed policy arn:aws:iam::111111111111:policy/DatadogIntegrationPolicy version v2: statement 0: unknown element \"Resources\""
        );

        // A broken non-default version is not read.
        let mut v = corpus_json("111111111111.json");
        let policies = v["Policies"].as_array_mut().unwrap();
        let dd = policies
            .iter_mut()
            .find(|p| p["PolicyName"] == "DatadogIntegrationPolicy")
            .unwrap();
        dd["PolicyVersionList"][0]["Document"] = json!({"Statement": "nope"});
        let mut inv = IamInventory::new();
        inv.add_export_json("x.json", &v.to_string()).unwrap();

        let mut v = corpus_json("111111111111.json");
        v["GroupDetailList"][1]["GroupPolicyList"][0]["PolicyDocument"]["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Action");
        assert_eq!(
            export_error(&v),
            "iam/111111111111.json: group Developers, inline policy developer-read: statement 0: no Action or NotAction"
        );

        let mut v = corpus_json("111111111111.json");
        v["RoleDetailList"][0]["AssumeRolePolicyDocument"] = json!({"Version": "2012-10-17"});
        assert_eq!(
            export_error(&v),
            "iam/111111111111.json: role DatadogIntegrationRole, trust policy: no Statement"
        );

        let v = json!({"UserDetailList": [{"Arn": "arn:aws:iam::1:user/u",
            "UserPolicyList": [{"PolicyName": "p"}]}]});
        assert_eq!(
            export_error(&v),
            "iam/111111111111.json: user u, inline policy p: expected a policy document, found null"
        );
    }

    #[test]
    fn failed_export_leaves_inventory_unchanged() {
        let mut inv = loaded();
        let before: Vec<PrincipalPolicies> = inv.principals().cloned().collect();
        let mut v = corpus_json("222222222222.json");
        v["RoleDetailList"][2]["AttachedManagedPolicies"] =
            json!([{"PolicyArn": "arn:aws:iam::aws:policy/Other"}]);
        v["RoleDetailList"][1]["RolePolicyList"][0]["PolicyDocument"] = json!("%7Bbroken");
        let err = inv.add_export_json("b.json", &v.to_string()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("b.json: role SharedReadOnly, inline policy read-lake: not JSON"),
            "{err}"
        );
        assert_eq!(inv.principals().cloned().collect::<Vec<_>>(), before);
        assert!(inv.warnings().is_empty());
    }

    #[test]
    fn not_an_export_and_bad_json() {
        let mut inv = IamInventory::new();
        let err = inv
            .add_export_json("trail.json", r#"{"Records": []}"#)
            .unwrap_err();
        assert!(matches!(err, IamError::Format { .. }));
        assert!(
            err.to_string()
                .starts_with("trail.json: none of UserDetailList"),
            "{err}"
        );
        let err = inv
            .add_export_json("x.json", "{\"UserDetailList\": [")
            .unwrap_err();
        assert!(matches!(err, IamError::Json { .. }));
        assert_eq!(err.to_string(), "x.json: invalid JSON or unexpected shape");
        let err = inv
            .add_export_json("x.json", r#"{"UserDetailList": [{"UserName": "no-arn"}]}"#)
            .unwrap_err();
        assert!(
            std::error::Error::source(&err)
                .unwrap()
                .to_string()
                .contains("missing field `Arn`")
        );
        let err = inv
            .add_export_json("x.json", r#"{"RoleDetailList": [{"Arn": "role/x"}]}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: role x: Arn \"role/x\" is not an IAM ARN"
        );
        let err = inv
            .add_export(Path::new("/nonexistent/iam.json"))
            .unwrap_err();
        assert!(matches!(err, IamError::Io { .. }));
        assert_eq!(err.to_string(), "cannot read /nonexistent/iam.json");
        assert!(inv.is_empty());
    }

    #[test]
    fn lenient_about_missing_null_and_unknown_fields() {
        let mut inv = IamInventory::new();
        inv.add_export_json(
            "partial.json",
            &json!({
                "UserDetailList": [{
                    "Arn": "arn:aws:iam::444444444444:user/ci/deployer",
                    "UserPolicyList": null, "GroupList": null, "Tags": [{"Key": "k", "Value": null}],
                    "SomethingNew": {"x": 1},
                    "AccessKeyMetadata": [
                        {"AccessKeyId": "AKIAZZZ", "Status": "Inactive", "CreateDate": "2020-01-01T00:00:00Z"},
                        {"AccessKeyId": "AKIAAAA", "Status": "Active"}
                    ]
                }],
                "RoleDetailList": [{"Arn": "arn:aws:iam::444444444444:role/bare", "RoleLastUsed": null,
                                    "PermissionsBoundary": null}],
                "GroupDetailList": null,
                "IsTruncated": false
            })
            .to_string(),
        )
        .unwrap();
        let user = inv.find("deployer").unwrap();
        assert_eq!(user.arn, "arn:aws:iam::444444444444:user/ci/deployer");
        assert_eq!(user.access_keys, vec!["AKIAAAA", "AKIAZZZ"]);
        assert_eq!(user.tags["k"], "");
        let role = inv.find("bare").unwrap();
        assert!(role.identity.is_empty() && role.trust.is_none() && role.last_used.is_none());
        assert_eq!(inv.accounts(), vec!["444444444444"]);
        assert!(inv.warnings().is_empty());

        // `AccessKeys` is the other accepted spelling.
        let mut inv = IamInventory::new();
        inv.add_export_json(
            "k.json",
            r#"{"UserDetailList": [{"Arn": "arn:aws:iam::4:user/u", "AccessKeys": [{"AccessKeyId": "AKIA1"}]}]}"#,
        )
        .unwrap();
        assert_eq!(inv.find("u").unwrap().access_keys, vec!["AKIA1"]);
    }

    #[test]
    fn unresolved_references_warn_and_resolve_later() {
        let mut inv = IamInventory::new();
        let export = json!({
            "RoleDetailList": [{
                "RoleName": "r", "Arn": "arn:aws:iam::444444444444:role/r",
                "AttachedManagedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                    {"PolicyName": "Gone", "PolicyArn": "arn:aws:iam::444444444444:policy/Gone"}
                ],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": "arn:aws:iam::444444444444:policy/Fence"}
            }],
            "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::444444444444:user/u",
                                "GroupList": ["Missing"]}]
        });
        inv.add_export_json("a.json", &export.to_string()).unwrap();
        let r = inv.find("r").unwrap();
        assert!(r.identity.is_empty());
        assert_eq!(r.boundary, None);
        assert_eq!(
            r.unresolved,
            vec![
                "arn:aws:iam::444444444444:policy/Gone",
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "arn:aws:iam::444444444444:policy/Fence",
            ]
        );
        assert_eq!(
            inv.find("u").unwrap().unresolved,
            vec!["arn:aws:iam::444444444444:group/Missing"]
        );
        assert_eq!(
            inv.warnings(),
            &[
                "group arn:aws:iam::444444444444:group/Missing is referenced by user u but is in no export; what it allows is unknown",
                "managed policy arn:aws:iam::444444444444:policy/Fence is referenced by role r but is in no export; what it allows is unknown",
                "managed policy arn:aws:iam::444444444444:policy/Gone is referenced by role r but is in no export; what it allows is unknown",
                "managed policy arn:aws:iam::aws:policy/AdministratorAccess is referenced by role r but is in no export; what it allows is unknown",
            ]
        );
        // Another account's export carries the AWS managed policy.
        inv.add_export(&corpus("222222222222.json")).unwrap();
        let r = inv.find("r").unwrap();
        assert_eq!(
            sources(r),
            vec![managed(
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "AdministratorAccess",
                "v1"
            )]
        );
        assert_eq!(r.unresolved.len(), 2);
        assert_eq!(inv.warnings().len(), 3);
    }

    #[test]
    fn truncated_duplicate_and_conflicting_exports_warn() {
        let mut inv = IamInventory::new();
        let mut v = corpus_json("333333333333.json");
        v["IsTruncated"] = json!(true);
        v["Marker"] = json!("abc");
        inv.add_export_json("t.json", &v.to_string()).unwrap();
        assert_eq!(inv.warnings().len(), 1);
        assert!(inv.warnings()[0].starts_with("t.json: the export is truncated"));
        // Pages saved one by one, the last one complete.
        let mut inv = IamInventory::new();
        let last = corpus_json("111111111111.json");
        let pages = json!([v, last]);
        inv.add_export_json("pages.json", &pages.to_string())
            .unwrap();
        assert!(inv.warnings().is_empty(), "{:?}", inv.warnings());
        assert_eq!(inv.principals().count(), 14);

        let mut inv = loaded();
        let mut v = corpus_json("222222222222.json");
        v["Policies"][0]["PolicyVersionList"][0]["VersionId"] = json!("v9");
        v["Policies"][0]["DefaultVersionId"] = json!("v9");
        v["Policies"][0]["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] =
            json!("s3:*");
        inv.add_export_json("again.json", &v.to_string()).unwrap();
        let path2 = corpus("222222222222.json").display().to_string();
        let path1 = corpus("111111111111.json").display().to_string();
        assert_eq!(
            inv.warnings(),
            &[
                format!(
                    "again.json: account 222222222222 is also covered by {path2}; where both list a principal, group or policy, again.json wins"
                ),
                format!(
                    "managed policy arn:aws:iam::aws:policy/AdministratorAccess differs between {path1} (v1) and again.json (v9); using again.json"
                ),
            ]
        );
        assert_eq!(
            actions(&inv.find("OktaAdmin").unwrap().identity[0].document),
            vec!["s3:*"]
        );
        assert_eq!(inv.principals().count(), 17);
    }

    #[test]
    fn scp_files_in_three_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write(
            &dir,
            "deny-leave.json",
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}}"#,
        );
        let array = write(
            &dir,
            "set.json",
            &json!([
                {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                {"Policy": {"PolicySummary": {"Name": "RegionLock"},
                            "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:RequestedRegion\":[\"eu-west-1\"]}}}]}"}}
            ])
            .to_string(),
        );
        let described = write(
            &dir,
            "describe.json",
            &json!({"Policy": {
                "PolicySummary": {"Id": "p-1", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": true},
                "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
            }})
            .to_string(),
        );
        let mut inv = loaded();
        for path in [&plain, &array, &described] {
            inv.add_scp_file(path).unwrap();
        }
        let labels: Vec<String> = inv.scps().iter().map(NamedPolicy::label).collect();
        assert_eq!(
            labels,
            vec![
                "SCP deny-leave",
                "SCP set[0]",
                "SCP RegionLock",
                "SCP FullAWSAccess"
            ]
        );
        assert_eq!(
            inv.scps()[0].source,
            PolicySource::Scp {
                path: plain.display().to_string(),
                name: "deny-leave".to_owned()
            }
        );
        assert_eq!(
            inv.scps()[2].document.statements[0].conditions.0["StringNotEquals"]["aws:RequestedRegion"],
            vec!["eu-west-1"]
        );
        assert_eq!(actions(&inv.scps()[3].document), vec!["*"]);

        let broken = write(
            &dir,
            "broken.json",
            &json!({"Policy": {"PolicySummary": {"Name": "Bad"},
                "Content": "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\"},{\"Effect\":\"deny\",\"Action\":\"*\"}]}"}})
            .to_string(),
        );
        let err = inv.add_scp_file(&broken).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: SCP Bad: statement 1: Effect must be Allow or Deny, found \"deny\"",
                broken.display()
            )
        );
        let empty = write(&dir, "empty.json", "[]");
        assert!(matches!(
            inv.add_scp_file(&empty),
            Err(IamError::Format { .. })
        ));
        assert_eq!(inv.scps().len(), 4);
    }

    #[test]
    fn policy_files_for_known_and_new_principals() {
        let dir = tempfile::tempdir().unwrap();
        let doc = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
        let plain = write(&dir, "extra.json", doc);
        let get_role_policy = write(
            &dir,
            "inline.json",
            &json!({"RoleName": "x", "PolicyName": "p", "PolicyDocument": serde_json::from_str::<Value>(doc).unwrap()}).to_string(),
        );
        let get_policy_version = write(
            &dir,
            "version.json",
            &json!({"PolicyVersion": {"Document": doc, "VersionId": "v3", "IsDefaultVersion": true}}).to_string(),
        );
        let mut inv = IamInventory::new();
        // Given before the export, with a path-less ARN: merged once the export arrives.
        inv.add_policy_file(
            "arn:aws:iam::111111111111:role/AWSServiceRoleForAPIGateway",
            &plain,
        )
        .unwrap();
        assert_eq!(inv.warnings().len(), 1);
        assert!(inv.warnings()[0].contains("is in no export"));
        inv.add_export(&corpus("111111111111.json")).unwrap();
        assert!(inv.warnings().is_empty());
        let apigw = inv.find("AWSServiceRoleForAPIGateway").unwrap();
        assert_eq!(apigw.identity.len(), 2);
        assert_eq!(
            apigw.identity[1].source,
            PolicySource::File {
                path: plain.display().to_string()
            }
        );
        assert_eq!(
            apigw.identity[1].label(),
            format!("file {}", plain.display())
        );
        assert_eq!(inv.principals().count(), 13);

        // By name, and by session ARN for a role the export lacks.
        inv.add_policy_file("alice", &get_role_policy).unwrap();
        assert_eq!(inv.find("alice").unwrap().identity.len(), 3);
        inv.add_policy_file(
            "arn:aws:sts::777777777777:assumed-role/Vendor/s1",
            &get_policy_version,
        )
        .unwrap();
        let vendor = inv
            .find("arn:aws:sts::777777777777:assumed-role/Vendor/s2")
            .unwrap();
        assert_eq!(vendor.arn, "arn:aws:iam::777777777777:role/Vendor");
        assert_eq!(vendor.kind, IdentityKind::Role);
        assert_eq!(vendor.account, "777777777777");
        assert_eq!(actions(&vendor.identity[0].document), vec!["s3:getobject"]);
        inv.add_policy_file("arn:aws:iam::777777777777:user/bot", &plain)
            .unwrap();
        assert_eq!(inv.find("bot").unwrap().kind, IdentityKind::User);
        assert_eq!(inv.accounts(), vec![A1]);
        assert_eq!(inv.warnings().len(), 2);

        assert!(matches!(
            inv.add_policy_file("arn:aws:iam::1:policy/x", &plain),
            Err(IamError::BadArn { .. })
        ));
        assert!(matches!(
            inv.add_policy_file("nobody", &plain),
            Err(IamError::NotFound { .. })
        ));
        let broken = write(
            &dir,
            "broken.json",
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Principal": 3}]}"#,
        );
        let err = inv
            .add_policy_file("arn:aws:iam::111111111111:role/OktaAdmin", &broken)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: policy file for arn:aws:iam::111111111111:role/OktaAdmin: statement 0: Principal: expected \"*\" or an object, found a number",
                broken.display()
            )
        );
        assert_eq!(inv.find("OktaAdmin").unwrap().identity.len(), 1);
    }

    #[test]
    fn order_of_files_does_not_matter() {
        let forward = loaded();
        let mut backward = IamInventory::new();
        for account in ["333333333333", A2, A1] {
            backward
                .add_export(&corpus(&format!("{account}.json")))
                .unwrap();
        }
        assert!(forward.principals().eq(backward.principals()));
        assert_eq!(forward.accounts(), backward.accounts());
        fn shareable<T: Send + Sync>(_: &T) {}
        shareable(&forward);
    }

    #[test]
    fn sources_serialize_tagged() {
        assert_eq!(
            serde_json::to_value(managed("arn:aws:iam::aws:policy/A", "A", "v4")).unwrap(),
            json!({"kind": "managed", "arn": "arn:aws:iam::aws:policy/A", "name": "A", "version": "v4"})
        );
        assert_eq!(
            serde_json::to_value(PolicySource::GroupInline {
                group: "g".to_owned(),
                name: "n".to_owned()
            })
            .unwrap(),
            json!({"kind": "group_inline", "group": "g", "name": "n"})
        );
        assert_eq!(
            serde_json::to_value(IdentityKind::Role).unwrap(),
            json!("role")
        );
    }
}
