//! The vendor registry (`--vendors vendors.toml`): the third parties you
//! know about, by name, and how to recognise each in CloudTrail.
//!
//! The file is TOML, one `[[vendor]]` table per party (see [`EXAMPLE`]):
//!
//! - `name` (required): unique, case-insensitively, and not blank;
//! - `accounts`: the vendor's own AWS account ids (12 digits);
//! - `roles`: roles in your accounts the vendor uses, as exact role ARNs
//!   (`arn:aws:iam::111111111111:role/path/Name`) or as case-sensitive name
//!   patterns with `*` and `?` over the role *name* (`Datadog*`);
//! - `users`: IAM users handed to the vendor, by name (any account) or ARN;
//! - `access_keys`: access key ids handed to the vendor;
//! - `contractor`: a human contractor, so MFA is expected;
//! - `[[vendor.oidc]]`: a web identity (a CI vendor), `provider` plus
//!   optional `subjects` patterns over the token's `sub`.
//!
//! Contract of [`Registry::from_toml`]: unknown keys are refused; each
//! vendor names at least one identifier; an account, role ARN, role
//! pattern, user, access key or OIDC provider/subject pair belongs to at
//! most one vendor (the error names both); every error carries the file
//! name and the line and column it is about.
//!
//! Lookups are exact and case-sensitive, except OIDC providers (compared
//! without scheme, trailing slash or host case). Role ARNs compare by
//! partition, account and role name, so a path in the registry or in the
//! log does not matter and session ARNs (`assumed-role/Name/session`) are
//! found too. Where several vendors could match (overlapping patterns),
//! exact entries win over patterns and the first vendor in the file wins
//! among patterns.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// An example registry, shown in the documentation; it parses.
pub const EXAMPLE: &str = r#"# vendors.toml: the third parties that have access to your AWS accounts.
# Pass it with `--vendors vendors.toml`.
# An account, role, user, access key or OIDC subject belongs to one vendor.

# A SaaS integration: the vendor's AWS account assumes a role in yours.
[[vendor]]
name = "Datadog"
accounts = ["464622532012"]          # the vendor's own AWS account ids
roles = [
  "arn:aws:iam::111111111111:role/DatadogIntegrationRole",  # an exact role ARN
  "Datadog*",                        # or a role name pattern (* and ?)
]

# A CI vendor: deploys through GitHub Actions' web identity (OIDC) and,
# in older pipelines, through an IAM user and its access key.
[[vendor]]
name = "Acme CI"
users = ["vendor-ci-deployer"]       # IAM user names, or user ARNs
access_keys = ["AKIAIOSFODNN7EXAMPLE"]
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
# Patterns over the token's `sub`; leave `subjects` out to match any.
subjects = ["repo:acme/app:*", "repo:acme/infra:ref:refs/heads/main"]

# A human contractor: signs in from their own account, MFA expected.
[[vendor]]
name = "Jane Doe Consulting"
accounts = ["222222222222"]
roles = ["arn:aws:iam::111111111111:role/ContractorAccess"]
contractor = true
"#;

/// One third party, as written in the registry file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// The name reports use.
    pub name: String,
    /// The vendor's own AWS account ids.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Role ARNs in your accounts, or role name patterns (`*`, `?`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// IAM user names or user ARNs handed to the vendor.
    #[serde(default)]
    pub users: Vec<String>,
    /// Access key ids handed to the vendor.
    #[serde(default)]
    pub access_keys: Vec<String>,
    /// A human contractor: MFA is expected on its sessions.
    #[serde(default)]
    pub contractor: bool,
    /// Web identities (OIDC) the vendor signs in with.
    #[serde(default)]
    pub oidc: Vec<Oidc>,
}

/// A web identity provider a vendor signs in with (a CI vendor's OIDC).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Oidc {
    /// The provider: `token.actions.githubusercontent.com`, with or
    /// without `https://`, or the IAM OIDC provider ARN.
    pub provider: String,
    /// Patterns (`*`, `?`) over the token's subject; empty matches any.
    #[serde(default)]
    pub subjects: Vec<String>,
}

/// Where in a file something is: the file and, when known, line and column
/// (1-based, columns in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given.
    pub origin: String,
    /// Line, from 1.
    pub line: Option<usize>,
    /// Column, from 1.
    pub column: Option<usize>,
}

impl Location {
    fn at(origin: &str, text: &str, span: Option<std::ops::Range<usize>>) -> Location {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = line_col(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Location {
            origin: origin.to_owned(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Why a vendor registry could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read vendor registry {}", path.display())]
    Read {
        /// The file, as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or not the registry's shape (unknown or missing keys,
    /// wrong types).
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// What the TOML reader objected to.
        message: String,
    },
    /// A value is not valid (blank name, malformed account id or ARN, ...).
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// One identifier is given to two vendors.
    #[error("{0}")]
    Conflict(Box<Conflict>),
}

/// An identifier listed under two vendors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Where the second mention is.
    pub at: Location,
    /// What kind of identifier: `account`, `role`, `user`, ...
    pub what: &'static str,
    /// The identifier, as written the second time.
    pub value: String,
    /// The vendor that listed it first.
    pub first: String,
    /// The line of the first mention.
    pub first_line: Option<usize>,
    /// The vendor that lists it again.
    pub second: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {:?} of vendor {:?} is already listed under vendor {:?}",
            self.at, self.what, self.value, self.second, self.first
        )?;
        if let Some(line) = self.first_line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// The vendor registry, indexed for the lookups attribution makes.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    vendors: Vec<Vendor>,
    names: HashMap<String, usize>,
    accounts: HashMap<String, usize>,
    access_keys: HashMap<String, usize>,
    user_names: HashMap<String, usize>,
    user_arns: HashMap<IamKey, usize>,
    role_arns: HashMap<IamKey, usize>,
    /// In file order: the first match wins.
    role_patterns: Vec<(Glob, usize)>,
    /// Normalised provider -> rules in file order.
    oidc: HashMap<String, Vec<OidcRule>>,
}

/// A user or role by partition, account and name (paths left out: names
/// are unique in an account whatever the path).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct IamKey {
    partition: String,
    account: String,
    name: String,
}

#[derive(Debug, Clone)]
struct OidcRule {
    /// `None`: any subject.
    subject: Option<Glob>,
    vendor: usize,
}

/// A case-sensitive pattern where `*` matches any run of characters and
/// `?` exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Glob(Vec<char>);

impl Glob {
    fn new(pattern: &str) -> Glob {
        Glob(pattern.chars().collect())
    }

    fn matches(&self, text: &str) -> bool {
        let p = &self.0;
        let t: Vec<char> = text.chars().collect();
        let (mut pi, mut ti) = (0, 0);
        // The last `*` seen and the text position it is tried from.
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ti));
                pi += 1;
            } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
                pi += 1;
                ti += 1;
            } else if let Some((sp, st)) = star {
                // Let the last `*` swallow one more character.
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

/// Serde shape of the file, with spans for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    vendor: Vec<RawVendor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendor {
    name: Spanned<String>,
    #[serde(default)]
    accounts: Vec<Spanned<String>>,
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    users: Vec<Spanned<String>>,
    #[serde(default)]
    access_keys: Vec<Spanned<String>>,
    #[serde(default)]
    contractor: bool,
    #[serde(default)]
    oidc: Vec<RawOidc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOidc {
    provider: Spanned<String>,
    #[serde(default)]
    subjects: Vec<Spanned<String>>,
}

/// Claims on identifiers while the registry is built, with where each was
/// first made.
type Claims<K> = HashMap<K, (usize, Location)>;

struct Builder<'a> {
    origin: &'a str,
    text: &'a str,
    names: Vec<String>,
}

impl Builder<'_> {
    fn at<T>(&self, value: &Spanned<T>) -> Location {
        Location::at(self.origin, self.text, Some(value.span()))
    }

    fn invalid<T>(&self, value: &Spanned<T>, message: String) -> RegistryError {
        RegistryError::Invalid {
            at: self.at(value),
            message,
        }
    }

    /// Records that `vendor` lists `key`; refuses it if another vendor
    /// already does. Returns whether this is the key's first mention.
    fn claim<K: Eq + Hash>(
        &self,
        claims: &mut Claims<K>,
        key: K,
        vendor: usize,
        what: &'static str,
        value: &Spanned<String>,
    ) -> Result<bool, RegistryError> {
        match claims.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert((vendor, self.at(value)));
                Ok(true)
            }
            Entry::Occupied(seen) if seen.get().0 == vendor => Ok(false),
            Entry::Occupied(seen) => {
                let (first, first_at) = seen.get();
                Err(RegistryError::Conflict(Box::new(Conflict {
                    at: self.at(value),
                    what,
                    value: value.get_ref().clone(),
                    first: self.names[*first].clone(),
                    first_line: first_at.line,
                    second: self.names[vendor].clone(),
                })))
            }
        }
    }
}

fn into_index<K: Eq + Hash>(claims: Claims<K>) -> HashMap<K, usize> {
    claims.into_iter().map(|(k, (v, _))| (k, v)).collect()
}

impl Registry {
    /// Parses and checks a registry; `origin` (the file name) prefixes
    /// every error message.
    pub fn from_toml(text: &str, origin: &str) -> Result<Registry, RegistryError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RegistryError::Syntax {
            at: Location::at(origin, text, e.span()),
            message: e.message().trim_end().to_owned(),
        })?;
        let mut b = Builder {
            origin,
            text,
            names: Vec::new(),
        };
        let mut names: Claims<String> = HashMap::new();
        let mut accounts: Claims<String> = HashMap::new();
        let mut access_keys: Claims<String> = HashMap::new();
        let mut user_names: Claims<String> = HashMap::new();
        let mut user_arns: Claims<IamKey> = HashMap::new();
        let mut role_arns: Claims<IamKey> = HashMap::new();
        let mut role_pattern_claims: Claims<String> = HashMap::new();
        let mut role_patterns = Vec::new();
        let mut oidc_claims: Claims<(String, Option<String>)> = HashMap::new();
        let mut oidc: HashMap<String, Vec<OidcRule>> = HashMap::new();
        let mut vendors = Vec::with_capacity(raw.vendor.len());

        for (index, v) in raw.vendor.into_iter().enumerate() {
            let name = v.name.get_ref();
            if name.trim().is_empty() {
                return Err(b.invalid(&v.name, "vendor name is empty".to_owned()));
            }
            if name.trim() != name {
                return Err(b.invalid(
                    &v.name,
                    format!("vendor name {name:?} has leading or trailing spaces"),
                ));
            }
            match names.entry(name.to_lowercase()) {
                Entry::Occupied(seen) => {
                    let (first, first_at) = seen.get();
                    return Err(b.invalid(
                        &v.name,
                        format!(
                            "vendor name {name:?} is already used by vendor {:?}{} (names \
                             are compared ignoring case)",
                            b.names[*first],
                            first_at
                                .line
                                .map(|l| format!(" at line {l}"))
                                .unwrap_or_default()
                        ),
                    ));
                }
                Entry::Vacant(slot) => {
                    slot.insert((index, b.at(&v.name)));
                }
            }
            b.names.push(name.clone());
            if v.accounts.is_empty()
                && v.roles.is_empty()
                && v.users.is_empty()
                && v.access_keys.is_empty()
                && v.oidc.is_empty()
            {
                return Err(b.invalid(
                    &v.name,
                    format!(
                        "vendor {name:?} lists no accounts, roles, users, access keys or oidc \
                         providers, so nothing can be attributed to it"
                    ),
                ));
            }

            for account in &v.accounts {
                if !is_account_id(account.get_ref()) {
                    return Err(b.invalid(
                        account,
                        format!(
                            "account {:?} of vendor {name:?} is not a 12-digit AWS account id",
                            account.get_ref()
                        ),
                    ));
                }
                b.claim(
                    &mut accounts,
                    account.get_ref().clone(),
                    index,
                    "account",
                    account,
                )?;
            }

            for role in &v.roles {
                let text = role.get_ref();
                if text.starts_with("arn:") {
                    let key = iam_key(text, "role", false)
                        .filter(|k| is_iam_name(&k.name, false))
                        .ok_or_else(|| {
                            b.invalid(
                                role,
                                format!(
                                    "role {text:?} of vendor {name:?} is not a role ARN \
                                     (arn:aws:iam::<account>:role/<name>); wildcards are \
                                     allowed only in role name patterns such as \"Datadog*\""
                                ),
                            )
                        })?;
                    b.claim(&mut role_arns, key, index, "role", role)?;
                } else {
                    if !is_iam_name(text, true) {
                        return Err(b.invalid(
                            role,
                            format!(
                                "role {text:?} of vendor {name:?} is neither a role ARN nor a \
                                 role name pattern (letters, digits, +=,.@_- and the \
                                 wildcards * and ?)"
                            ),
                        ));
                    }
                    if b.claim(&mut role_pattern_claims, text.clone(), index, "role", role)? {
                        role_patterns.push((Glob::new(text), index));
                    }
                }
            }

            for user in &v.users {
                let text = user.get_ref();
                if text.starts_with("arn:") {
                    let key = iam_key(text, "user", false)
                        .filter(|k| is_iam_name(&k.name, false))
                        .ok_or_else(|| {
                            b.invalid(
                                user,
                                format!(
                                    "user {text:?} of vendor {name:?} is not an IAM user ARN \
                                     (arn:aws:iam::<account>:user/<name>)"
                                ),
                            )
                        })?;
                    b.claim(&mut user_arns, key, index, "user", user)?;
                } else {
                    if !is_iam_name(text, false) {
                        return Err(b.invalid(
                            user,
                            format!(
                                "user {text:?} of vendor {name:?} is neither an IAM user name \
                                 (letters, digits, +=,.@_-) nor a user ARN"
                            ),
                        ));
                    }
                    b.claim(&mut user_names, text.clone(), index, "user", user)?;
                }
            }

            for key in &v.access_keys {
                let text = key.get_ref();
                if !is_access_key_id(text) {
                    return Err(b.invalid(
                        key,
                        format!(
                            "access key {text:?} of vendor {name:?} is not an access key id \
                             (16 to 128 upper-case letters and digits, such as AKIA...)"
                        ),
                    ));
                }
                b.claim(&mut access_keys, text.clone(), index, "access key", key)?;
            }

            for o in &v.oidc {
                let provider = normalize_provider(o.provider.get_ref());
                if provider.is_empty() {
                    return Err(b.invalid(
                        &o.provider,
                        format!("an oidc provider of vendor {name:?} is empty"),
                    ));
                }
                let rules = oidc.entry(provider.clone()).or_default();
                if o.subjects.is_empty() {
                    let key = (provider.clone(), None);
                    if b.claim(&mut oidc_claims, key, index, "oidc provider", &o.provider)? {
                        rules.push(OidcRule {
                            subject: None,
                            vendor: index,
                        });
                    }
                }
                for subject in &o.subjects {
                    let text = subject.get_ref();
                    if text.trim().is_empty() {
                        return Err(b.invalid(
                            subject,
                            format!(
                                "an oidc subject of vendor {name:?} is empty; leave \
                                 `subjects` out to match any subject"
                            ),
                        ));
                    }
                    let key = (provider.clone(), Some(text.clone()));
                    if b.claim(&mut oidc_claims, key, index, "oidc subject", subject)? {
                        rules.push(OidcRule {
                            subject: Some(Glob::new(text)),
                            vendor: index,
                        });
                    }
                }
            }

            vendors.push(Vendor {
                name: v.name.into_inner(),
                accounts: v.accounts.into_iter().map(Spanned::into_inner).collect(),
                roles: v.roles.into_iter().map(Spanned::into_inner).collect(),
                users: v.users.into_iter().map(Spanned::into_inner).collect(),
                access_keys: v.access_keys.into_iter().map(Spanned::into_inner).collect(),
                contractor: v.contractor,
                oidc: v
                    .oidc
                    .into_iter()
                    .map(|o| Oidc {
                        provider: o.provider.into_inner(),
                        subjects: o.subjects.into_iter().map(Spanned::into_inner).collect(),
                    })
                    .collect(),
            });
        }

        Ok(Registry {
            names: vendors
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.clone(), i))
                .collect(),
            vendors,
            accounts: into_index(accounts),
            access_keys: into_index(access_keys),
            user_names: into_index(user_names),
            user_arns: into_index(user_arns),
            role_arns: into_index(role_arns),
            role_patterns,
            oidc,
        })
    }

    /// Reads and parses a registry file.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_owned(),
            source,
        })?;
        Registry::from_toml(&text, &path.display().to_string())
    }

    /// The vendors, in file order.
    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    /// The vendor of this exact name.
    pub fn by_name(&self, name: &str) -> Option<&Vendor> {
        self.names.get(name).map(|&i| &self.vendors[i])
    }

    /// The vendor owning an AWS account id.
    pub fn by_account(&self, account: &str) -> Option<&Vendor> {
        self.accounts.get(account).map(|&i| &self.vendors[i])
    }

    /// The vendor of a role: `role_arn` is a role ARN (any path), a session
    /// ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) or a
    /// bare role name. An exact registry ARN wins; then the first name
    /// pattern, in file order, that matches the role name.
    pub fn by_role(&self, role_arn: &str) -> Option<&Vendor> {
        let name = if role_arn.starts_with("arn:") {
            let key = iam_key(role_arn, "role", true)?;
            if let Some(&i) = self.role_arns.get(&key) {
                return Some(&self.vendors[i]);
            }
            key.name
        } else {
            role_arn.to_owned()
        };
        if name.is_empty() {
            return None;
        }
        self.role_patterns
            .iter()
            .find(|(glob, _)| glob.matches(&name))
            .map(|&(_, i)| &self.vendors[i])
    }

    /// The vendor of an IAM user, given its ARN (any path) or its name. An
    /// ARN matches a registry entry with that ARN, then one with its name;
    /// a bare name matches only name entries.
    pub fn by_user(&self, user_arn_or_name: &str) -> Option<&Vendor> {
        let name = if user_arn_or_name.starts_with("arn:") {
            let key = iam_key(user_arn_or_name, "user", false)?;
            if let Some(&i) = self.user_arns.get(&key) {
                return Some(&self.vendors[i]);
            }
            key.name
        } else {
            user_arn_or_name.to_owned()
        };
        self.user_names.get(&name).map(|&i| &self.vendors[i])
    }

    /// The vendor an access key id was handed to.
    pub fn by_access_key(&self, key: &str) -> Option<&Vendor> {
        self.access_keys.get(key).map(|&i| &self.vendors[i])
    }

    /// The vendor of a web identity. `provider` is compared after
    /// [`normalize_provider`]. With a subject, the first vendor (in file
    /// order) whose subject pattern matches wins, else a vendor listing the
    /// provider without subjects; without a subject only the latter match.
    pub fn by_oidc(&self, provider: &str, subject: Option<&str>) -> Option<&Vendor> {
        let rules = self.oidc.get(&normalize_provider(provider))?;
        let specific = subject.and_then(|s| {
            rules
                .iter()
                .find(|r| r.subject.as_ref().is_some_and(|g| g.matches(s)))
        });
        specific
            .or_else(|| rules.iter().find(|r| r.subject.is_none()))
            .map(|r| &self.vendors[r.vendor])
    }
}

/// The comparable form of an OIDC provider: no scheme (`https://`), no
/// trailing slash, host in lower case (the path keeps its case), and the
/// provider part of an IAM OIDC provider ARN
/// (`arn:aws:iam::<account>:oidc-provider/<provider>`).
pub fn normalize_provider(provider: &str) -> String {
    let mut p = provider.trim();
    if p.starts_with("arn:")
        && let Some((_, rest)) = p.split_once(":oidc-provider/")
    {
        p = rest;
    }
    for scheme in ["https://", "http://"] {
        if p.len() >= scheme.len() && p[..scheme.len()].eq_ignore_ascii_case(scheme) {
            p = &p[scheme.len()..];
            break;
        }
    }
    let p = p.trim_end_matches('/');
    match p.split_once('/') {
        Some((host, path)) => format!("{}/{path}", host.to_ascii_lowercase()),
        None => p.to_ascii_lowercase(),
    }
}

/// Whether `s` is a 12-digit AWS account id.
fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is an IAM user or role name (1 to 64 of `[A-Za-z0-9+=,.@_-]`),
/// or with `wildcards` a pattern that may also hold `*` and `?`.
fn is_iam_name(s: &str, wildcards: bool) -> bool {
    !s.is_empty()
        && (wildcards || s.len() <= 64)
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || "+=,.@_-".contains(c)
                || (wildcards && (c == '*' || c == '?'))
        })
}

/// Whether `s` looks like an access key id (`AKIA...`, `ASIA...`).
fn is_access_key_id(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Partition, account and name of `arn:<partition>:iam::<account>:<kind>/<path/><name>`,
/// or with `session` also of `arn:<partition>:sts::<account>:assumed-role/<name>/<session>`
/// (for `kind` `role`).
fn iam_key(arn: &str, kind: &str, session: bool) -> Option<IamKey> {
    let mut parts = arn.strip_prefix("arn:")?.splitn(5, ':');
    let (partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return None;
    }
    let name = match service {
        "iam" => resource
            .strip_prefix(kind)?
            .strip_prefix('/')?
            .rsplit('/')
            .next()?,
        "sts" if session && kind == "role" => {
            let rest = resource.strip_prefix("assumed-role/")?;
            let (name, _session) = rest.split_once('/')?;
            name
        }
        _ => return None,
    };
    (!name.is_empty()).then(|| IamKey {
        partition: partition.to_owned(),
        account: account.to_owned(),
        name: name.to_owned(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> Registry {
        Registry::from_toml(text, "vendors.toml").expect("valid registry")
    }

    fn error(text: &str) -> String {
        Registry::from_toml(text, "vendors.toml")
            .expect_err("invalid registry")
            .to_string()
    }

    #[test]
    fn example_parses_and_every_lookup_finds_its_vendor() {
        let r = registry(EXAMPLE);
        let names: Vec<&str> = r.vendors().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Datadog", "Acme CI", "Jane Doe Consulting"]);
        assert_eq!(r.by_account("464622532012").unwrap().name, "Datadog");
        assert_eq!(
            r.by_account("222222222222").unwrap().name,
            "Jane Doe Consulting"
        );
        assert!(r.by_account("333333333333").is_none());
        assert_eq!(
            r.by_role("arn:aws:iam::111111111111:role/ContractorAccess")
                .unwrap()
                .name,
            "Jane Doe Consulting"
        );
        assert_eq!(r.by_role("DatadogReadOnly").unwrap().name, "Datadog");
        assert_eq!(r.by_user("vendor-ci-deployer").unwrap().name, "Acme CI");
        assert_eq!(
            r.by_access_key("AKIAIOSFODNN7EXAMPLE").unwrap().name,
            "Acme CI"
        );
        assert_eq!(
            r.by_oidc(
                "https://token.actions.githubusercontent.com",
                Some("repo:acme/app:ref:refs/heads/main")
            )
            .unwrap()
            .name,
            "Acme CI"
        );
        assert!(r.vendors()[2].contractor);
        assert!(!r.vendors()[0].contractor);
        assert_eq!(r.by_name("Acme CI").unwrap().users, ["vendor-ci-deployer"]);
        assert!(r.by_name("acme ci").is_none());
    }

    #[test]
    fn public_vendor_type_reads_the_example_like_the_registry() {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            vendor: Vec<Vendor>,
        }
        let direct: File = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(direct.vendor, registry(EXAMPLE).vendors());
        let json = serde_json::to_string(&direct.vendor[1]).unwrap();
        let back: Vendor = serde_json::from_str(&json).unwrap();
        assert_eq!(back, direct.vendor[1]);
        assert_eq!(back.oidc[0].subjects.len(), 2);
    }

    #[test]
    fn the_issue_example_parses() {
        let r = registry(
            r#"
[[vendor]]
name = "Datadog"
accounts = ["464622532012"]
roles = ["arn:aws:iam::111111111111:role/DatadogIntegrationRole", "Datadog*"]
users = ["vendor-ci-deployer"]
access_keys = ["AKIAEXAMPLEEXAMPLE1"]
contractor = false
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
subjects = ["repo:acme/app:*"]
"#,
        );
        let v = &r.vendors()[0];
        assert_eq!(v.oidc[0].provider, "token.actions.githubusercontent.com");
        assert_eq!(v.oidc[0].subjects, ["repo:acme/app:*"]);
        assert_eq!(v.roles.len(), 2);
    }

    #[test]
    fn empty_file_is_an_empty_registry() {
        let r = registry("# nothing yet\n");
        assert!(r.vendors().is_empty());
        assert!(r.by_account("464622532012").is_none());
        assert!(
            r.by_oidc("token.actions.githubusercontent.com", None)
                .is_none()
        );
    }

    #[test]
    fn role_arns_match_with_or_without_path_and_as_sessions() {
        let r = registry(
            r#"
[[vendor]]
name = "A"
roles = ["arn:aws:iam::111111111111:role/integrations/VendorRole"]
[[vendor]]
name = "B"
roles = ["arn:aws:iam::111111111111:role/Other"]
"#,
        );
        for arn in [
            "arn:aws:iam::111111111111:role/integrations/VendorRole",
            "arn:aws:iam::111111111111:role/VendorRole",
            "arn:aws:iam::111111111111:role/elsewhere/VendorRole",
            "arn:aws:sts::111111111111:assumed-role/VendorRole/session-1",
        ] {
            assert_eq!(r.by_role(arn).map(|v| v.name.as_str()), Some("A"), "{arn}");
        }
        for arn in [
            "arn:aws:iam::222222222222:role/VendorRole",
            "arn:aws-cn:iam::111111111111:role/VendorRole",
            "arn:aws:iam::111111111111:role/vendorrole",
            "arn:aws:iam::111111111111:user/VendorRole",
            "VendorRole",
            "",
            "arn:aws:sts::111111111111:assumed-role/VendorRole",
        ] {
            assert!(r.by_role(arn).is_none(), "{arn}");
        }
        assert_eq!(
            r.by_role("arn:aws:iam::111111111111:role/Other")
                .unwrap()
                .name,
            "B"
        );
    }

    #[test]
    fn role_patterns_match_the_name_case_sensitively_first_vendor_wins() {
        let r = registry(
            r#"
[[vendor]]
name = "Exact"
roles = ["arn:aws:iam::111111111111:role/DatadogSpecial"]
[[vendor]]
name = "Datadog"
roles = ["Datadog*", "dd-?-role"]
[[vendor]]
name = "Broad"
roles = ["Data*"]
"#,
        );
        let vendor = |arn: &str| r.by_role(arn).map(|v| v.name.clone());
        assert_eq!(vendor("DatadogIntegrationRole").as_deref(), Some("Datadog"));
        assert_eq!(
            vendor("arn:aws:iam::999999999999:role/some/path/Datadog").as_deref(),
            Some("Datadog")
        );
        assert_eq!(
            vendor("arn:aws:sts::999999999999:assumed-role/dd-x-role/s").as_deref(),
            Some("Datadog")
        );
        assert_eq!(vendor("dd-xy-role"), None);
        assert_eq!(vendor("datadogintegrationrole"), None);
        assert_eq!(vendor("DataLake").as_deref(), Some("Broad"));
        // The exact ARN beats the earlier-matching pattern.
        assert_eq!(
            vendor("arn:aws:iam::111111111111:role/DatadogSpecial").as_deref(),
            Some("Exact")
        );
        // Elsewhere the same name falls to the pattern.
        assert_eq!(
            vendor("arn:aws:iam::222222222222:role/DatadogSpecial").as_deref(),
            Some("Datadog")
        );
    }

    #[test]
    fn users_match_by_arn_then_name() {
        let r = registry(
            r#"
[[vendor]]
name = "ByName"
users = ["ci-deployer"]
[[vendor]]
name = "ByArn"
users = ["arn:aws:iam::111111111111:user/vendors/auditor"]
"#,
        );
        let vendor = |u: &str| r.by_user(u).map(|v| v.name.clone());
        assert_eq!(vendor("ci-deployer").as_deref(), Some("ByName"));
        assert_eq!(
            vendor("arn:aws:iam::333333333333:user/ci-deployer").as_deref(),
            Some("ByName")
        );
        assert_eq!(
            vendor("arn:aws:iam::111111111111:user/auditor").as_deref(),
            Some("ByArn")
        );
        assert_eq!(vendor("arn:aws:iam::222222222222:user/auditor"), None);
        assert_eq!(vendor("auditor"), None);
        assert_eq!(vendor(""), None);
        assert_eq!(vendor("arn:aws:iam::111111111111:role/ci-deployer"), None);
    }

    #[test]
    fn access_keys_match_exactly() {
        let r = registry("[[vendor]]\nname = \"K\"\naccess_keys = [\"AKIAIOSFODNN7EXAMPLE\"]\n");
        assert_eq!(r.by_access_key("AKIAIOSFODNN7EXAMPLE").unwrap().name, "K");
        assert!(r.by_access_key("akiaiosfodnn7example").is_none());
        assert!(r.by_access_key("ASIAIOSFODNN7EXAMPLE").is_none());
    }

    #[test]
    fn oidc_provider_normalisation() {
        let canonical = "token.actions.githubusercontent.com";
        for p in [
            "token.actions.githubusercontent.com",
            "https://token.actions.githubusercontent.com/",
            "HTTPS://Token.Actions.GithubUserContent.com//",
            "http://token.actions.githubusercontent.com",
            "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
        ] {
            assert_eq!(normalize_provider(p), canonical, "{p}");
        }
        assert_eq!(
            normalize_provider("https://OIDC.EKS.us-east-1.amazonaws.com/id/ABCDEF0123/"),
            "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123"
        );
    }

    #[test]
    fn oidc_subjects_specific_before_catch_all() {
        let r = registry(
            r#"
[[vendor]]
name = "Any GitHub"
[[vendor.oidc]]
provider = "https://token.actions.githubusercontent.com/"

[[vendor]]
name = "Acme CI"
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
subjects = ["repo:acme/*", "repo:?cme/x:*"]

[[vendor]]
name = "Acme App"
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
subjects = ["repo:acme/app:*"]
"#,
        );
        let vendor = |p: &str, s: Option<&str>| r.by_oidc(p, s).map(|v| v.name.clone());
        let gh = "token.actions.githubusercontent.com";
        assert_eq!(
            vendor(gh, Some("repo:acme/app:ref:refs/heads/main")).as_deref(),
            Some("Acme CI")
        );
        assert_eq!(
            vendor(gh, Some("repo:other/app:pull_request")).as_deref(),
            Some("Any GitHub")
        );
        assert_eq!(vendor(gh, None).as_deref(), Some("Any GitHub"));
        assert_eq!(
            vendor(
                "https://token.actions.githubusercontent.com",
                Some("repo:Acme/x:env:prod")
            )
            .as_deref(),
            Some("Acme CI")
        );
        assert_eq!(vendor("gitlab.com", Some("project_path:acme/app")), None);
    }

    #[test]
    fn oidc_subject_none_matches_only_catch_all_vendors() {
        let r = registry(
            r#"
[[vendor]]
name = "Acme CI"
[[vendor.oidc]]
provider = "token.actions.githubusercontent.com"
subjects = ["repo:acme/*"]
"#,
        );
        assert!(
            r.by_oidc("token.actions.githubusercontent.com", None)
                .is_none()
        );
        assert!(
            r.by_oidc(
                "token.actions.githubusercontent.com",
                Some("repo:evil/app:x")
            )
            .is_none()
        );
        assert_eq!(
            r.by_oidc("token.actions.githubusercontent.com", Some("repo:acme/app"))
                .unwrap()
                .name,
            "Acme CI"
        );
    }

    #[test]
    fn glob_semantics() {
        let cases = [
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("?", "é", true),
            ("**x", "abx", true),
            ("*ab", "aab", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("", "", true),
            ("", "a", false),
            ("repo:acme/app:*", "repo:acme/app:ref:refs/heads/main", true),
            ("repo:acme/app:*", "repo:acme/app2:ref", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                Glob::new(pattern).matches(text),
                expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn conflicts_name_both_vendors_and_lines() {
        let e = error(
            "[[vendor]]\nname = \"A\"\naccounts = [\"111111111111\"]\n\n[[vendor]]\nname = \"B\"\naccounts = [\"222222222222\", \"111111111111\"]\n",
        );
        assert_eq!(
            e,
            "vendors.toml:7:29: account \"111111111111\" of vendor \"B\" is already listed \
             under vendor \"A\" (line 3)"
        );
        let cases = [
            (
                "roles = [\"Datadog*\"]",
                "roles = [\"Datadog*\"]",
                "role \"Datadog*\"",
            ),
            (
                "roles = [\"arn:aws:iam::111111111111:role/p/R\"]",
                "roles = [\"arn:aws:iam::111111111111:role/R\"]",
                "role \"arn:aws:iam::111111111111:role/R\"",
            ),
            ("users = [\"ci\"]", "users = [\"ci\"]", "user \"ci\""),
            (
                "access_keys = [\"AKIAIOSFODNN7EXAMPLE\"]",
                "access_keys = [\"AKIAIOSFODNN7EXAMPLE\"]",
                "access key \"AKIAIOSFODNN7EXAMPLE\"",
            ),
            (
                "[[vendor.oidc]]\nprovider = \"token.actions.githubusercontent.com\"",
                "[[vendor.oidc]]\nprovider = \"https://token.actions.githubusercontent.com/\"",
                "oidc provider \"https://token.actions.githubusercontent.com/\"",
            ),
            (
                "[[vendor.oidc]]\nprovider = \"gh\"\nsubjects = [\"repo:a/*\"]",
                "[[vendor.oidc]]\nprovider = \"gh\"\nsubjects = [\"repo:a/*\"]",
                "oidc subject \"repo:a/*\"",
            ),
        ];
        for (first, second, what) in cases {
            let text = format!(
                "[[vendor]]\nname = \"First\"\n{first}\n[[vendor]]\nname = \"Second\"\n{second}\n"
            );
            let e = error(&text);
            assert!(
                e.contains(&format!(
                    "{what} of vendor \"Second\" is already listed under vendor \"First\" (line "
                )),
                "{e}"
            );
            assert!(e.starts_with("vendors.toml:"), "{e}");
        }
    }

    #[test]
    fn repeats_within_one_vendor_are_harmless() {
        let r = registry(
            "[[vendor]]\nname = \"A\"\naccounts = [\"111111111111\", \"111111111111\"]\nroles = [\"X*\", \"X*\"]\n",
        );
        assert_eq!(r.by_account("111111111111").unwrap().name, "A");
        assert_eq!(r.role_patterns.len(), 1);
    }

    #[test]
    fn names_must_be_unique_case_insensitively_and_not_blank() {
        assert_eq!(
            error(
                "[[vendor]]\nname = \"Acme\"\naccounts = [\"111111111111\"]\n[[vendor]]\nname = \"ACME\"\naccounts = [\"222222222222\"]\n"
            ),
            "vendors.toml:5:8: vendor name \"ACME\" is already used by vendor \"Acme\" at line 2 \
             (names are compared ignoring case)"
        );
        assert_eq!(
            error("[[vendor]]\nname = \"  \"\naccounts = [\"111111111111\"]\n"),
            "vendors.toml:2:8: vendor name is empty"
        );
        assert_eq!(
            error("[[vendor]]\nname = \" Acme\"\naccounts = [\"111111111111\"]\n"),
            "vendors.toml:2:8: vendor name \" Acme\" has leading or trailing spaces"
        );
    }

    #[test]
    fn invalid_values_are_refused_with_their_position() {
        let base = "[[vendor]]\nname = \"V\"\n";
        let cases = [
            (
                "accounts = [\"12345\"]",
                "3:13: account \"12345\" of vendor \"V\" is not a 12-digit AWS account id",
            ),
            (
                "accounts = [\"12345678901a\"]",
                "3:13: account \"12345678901a\"",
            ),
            (
                "roles = [\"arn:aws:iam::111111111111:role/Data*\"]",
                "3:10: role \"arn:aws:iam::111111111111:role/Data*\" of vendor \"V\" is not a role ARN",
            ),
            (
                "roles = [\"arn:aws:iam::111111111111:user/X\"]",
                "is not a role ARN",
            ),
            (
                "roles = [\"path/Name\"]",
                "is neither a role ARN nor a role name pattern",
            ),
            (
                "roles = [\"\"]",
                "is neither a role ARN nor a role name pattern",
            ),
            (
                "users = [\"arn:aws:iam::1:user/X\"]",
                "is not an IAM user ARN",
            ),
            ("users = [\"two words\"]", "is neither an IAM user name"),
            ("users = [\"ci*\"]", "is neither an IAM user name"),
            (
                "access_keys = [\"AKIAEXAMPLE...\"]",
                "3:16: access key \"AKIAEXAMPLE...\" of vendor \"V\" is not an access key id",
            ),
            (
                "access_keys = [\"akiaiosfodnn7example\"]",
                "is not an access key id",
            ),
            (
                "[[vendor.oidc]]\nprovider = \"https://\"",
                "4:12: an oidc provider of vendor \"V\" is empty",
            ),
            (
                "[[vendor.oidc]]\nprovider = \"gh\"\nsubjects = [\"\"]",
                "5:13: an oidc subject of vendor \"V\" is empty",
            ),
        ];
        for (line, expected) in cases {
            let e = error(&format!("{base}{line}\n"));
            assert!(e.contains(expected), "{line}: {e}");
            assert!(e.starts_with("vendors.toml:"), "{e}");
        }
    }

    #[test]
    fn syntax_and_shape_errors_carry_line_and_column() {
        let e = error("[[vendor]]\nname = \"V\"\naccount = [\"111111111111\"]\n");
        assert!(
            e.starts_with("vendors.toml:3:1: unknown field `account`"),
            "{e}"
        );
        let e = error("[[vendors]]\nname = \"V\"\n");
        assert!(
            e.starts_with("vendors.toml:1:3: unknown field `vendors`"),
            "{e}"
        );
        let e = error("[[vendor]]\nname = \"V\"\naccounts = [111111111111]\n");
        assert!(
            e.starts_with("vendors.toml:3:13: invalid type: integer"),
            "{e}"
        );
        let e = error("[[vendor]]\nname = \"V\"\ncontractor = \"yes\"\n");
        assert!(
            e.starts_with("vendors.toml:3:14: invalid type: string"),
            "{e}"
        );
        let e = error("[[vendor]]\nname = \"V\"\n[[vendor.oidc]]\nsubjects = [\"x\"]\n");
        assert!(e.contains("missing field `provider`"), "{e}");
        assert!(e.starts_with("vendors.toml:3:"), "{e}");
        let e = error("[[vendor]]\naccounts = [\"111111111111\"]\n");
        assert!(e.contains("missing field `name`"), "{e}");
        let e = error("[[vendor]]\nname = \"V\" x\n");
        assert!(e.starts_with("vendors.toml:2:12: "), "{e}");
        let e = error("[[vendor]]\nname = \"V\"\nname = \"W\"\n");
        assert!(e.starts_with("vendors.toml:3:1: "), "{e}");
        let e = error(
            "[[vendor]]\nname = \"V\"\n[[vendor.oidc]]\nprovider = \"gh\"\naudience = \"sts\"\n",
        );
        assert!(
            e.starts_with("vendors.toml:5:1: unknown field `audience`"),
            "{e}"
        );
    }

    #[test]
    fn a_vendor_must_name_something_to_match() {
        assert_eq!(
            error("[[vendor]]\nname = \"Lonely\"\ncontractor = true\n"),
            "vendors.toml:2:8: vendor \"Lonely\" lists no accounts, roles, users, access keys \
             or oidc providers, so nothing can be attributed to it"
        );
    }

    #[test]
    fn load_reads_files_and_names_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendors.toml");
        std::fs::write(&path, EXAMPLE).unwrap();
        assert_eq!(Registry::load(&path).unwrap().vendors().len(), 3);

        std::fs::write(&path, "[[vendor]]\nname = \"V\"\naccounts = [\"1\"]\n").unwrap();
        let e = Registry::load(&path).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:3:13: account \"1\" of vendor \"V\" is not a 12-digit AWS account id",
                path.display()
            )
        );

        let missing = dir.path().join("nope.toml");
        let e = Registry::load(&missing).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("cannot read vendor registry {}", missing.display())
        );
        assert!(matches!(e, RegistryError::Read { .. }));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_col("ab\ncdé\nx", 6), (2, 3));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
