//! The AWS Service Authorization Reference, loaded into memory.
//!
//! Contract:
//!
//! - Input is a directory in the layout of AWS's public endpoint
//!   `https://servicereference.us-east-1.amazonaws.com/v1/`: an optional
//!   `service-list.json` (`[{"service": "s3", "url": ".../s3/s3.json"}]`) and one
//!   `<prefix>/<prefix>.json` per service. Without the list, every subdirectory
//!   that holds `<name>/<name>.json` is a service.
//! - Unknown JSON fields are ignored and missing or `null` lists read as empty,
//!   so newer schema versions still load. A file that is not JSON of the
//!   expected shape is an error naming that file; nothing is partially loaded.
//! - Service files are parsed in parallel with rayon. The catalog is immutable
//!   afterwards and `Send + Sync`: share it behind an `Arc`.
//! - Service, action and operation lookups are ASCII case-insensitive, as IAM
//!   is, return AWS's spelling, and do not allocate.
//! - Each action's access level is derived from its annotations, see
//!   [`AccessLevel`].

use std::cmp::Ordering;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The file that lists the services, in the endpoint layout.
const SERVICE_LIST_FILE: &str = "service-list.json";

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file is not JSON of the expected shape.
    #[error("malformed service reference file {}", path.display())]
    Json {
        /// The malformed file.
        path: PathBuf,
        /// What serde_json objected to, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A service file's `Name` differs from the name it is stored under.
    #[error("{}: describes service {found:?}, expected {expected:?}", path.display())]
    NameMismatch {
        /// The service file.
        path: PathBuf,
        /// The name from the service list or directory.
        expected: String,
        /// The `Name` inside the file.
        found: String,
    },
    /// The service list names something that cannot be a service prefix
    /// (for example a path such as `../x`).
    #[error("{}: invalid service name {name:?}", path.display())]
    InvalidServiceName {
        /// The service list.
        path: PathBuf,
        /// The offending name.
        name: String,
    },
    /// The same service is listed twice.
    #[error("{}: service {name:?} is listed twice", path.display())]
    DuplicateService {
        /// The service list or directory.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// The directory holds no services at all.
    #[error("no service reference files found in {}", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
}

/// The access level AWS documents for an action ("List", "Read", "Write",
/// "Permissions management", "Tagging"), ordered from least to most
/// sensitive for display purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AccessLevel {
    /// Lists resources; `IsList`.
    List,
    /// Reads data or configuration; no annotation flag set.
    Read,
    /// Creates, changes or deletes; `IsWrite` alone.
    Write,
    /// Changes who may do what; `IsPermissionManagement`.
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    /// Changes tags only; `IsTaggingOnly`.
    Tagging,
}

impl AccessLevel {
    /// AWS's name for the level, as shown in the Service Authorization
    /// Reference and as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// Derives the level from the four annotation flags.
    ///
    /// Precedence: in the v1 data (466 services, 21,983 actions)
    /// `IsPermissionManagement` (416 actions) and `IsTaggingOnly` (725) are
    /// only ever set together with `IsWrite`, never with each other or with
    /// `IsList`, and `IsList` is never combined with anything. So the two
    /// specific flags must be tested before `IsWrite`, or every permissions
    /// and tagging action would read as plain Write. Permissions management
    /// goes first because, should both ever be set, it is the more sensitive
    /// reading. No flag at all (5,888 actions, plus 36 without annotations)
    /// is AWS's Read level, which has no flag of its own.
    fn from_flags(flags: &RawProperties) -> AccessLevel {
        let set = |flag: Option<bool>| flag.unwrap_or(false);
        if set(flags.is_permission_management) {
            AccessLevel::PermissionsManagement
        } else if set(flags.is_tagging_only) {
            AccessLevel::Tagging
        } else if set(flags.is_write) {
            AccessLevel::Write
        } else if set(flags.is_list) {
            AccessLevel::List
        } else {
            AccessLevel::Read
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One IAM action of a service.
#[derive(Debug)]
pub struct Action {
    name: Box<str>,
    access_level: AccessLevel,
    resource_types: Box<[Box<str>]>,
    condition_keys: Box<[Box<str>]>,
    authorizing_operations: u32,
}

impl Action {
    /// The action name in AWS's spelling, without the service prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The access level derived from the annotations.
    pub fn access_level(&self) -> AccessLevel {
        self.access_level
    }

    /// Names of the resource types the action can be scoped to; empty means
    /// the action only supports `"Resource": "*"`.
    pub fn resource_types(&self) -> &[Box<str>] {
        &self.resource_types
    }

    /// Condition keys specific to this action (`ActionConditionKeys`).
    pub fn condition_keys(&self) -> &[Box<str>] {
        &self.condition_keys
    }

    /// How many API operations, across all services, list this action in
    /// their `AuthorizedActions`.
    pub fn authorizing_operations(&self) -> usize {
        self.authorizing_operations as usize
    }
}

/// A resource type of a service, such as `s3` `bucket`.
#[derive(Debug)]
pub struct ResourceType {
    name: Box<str>,
    arn_formats: Box<[Box<str>]>,
    condition_keys: Box<[Box<str>]>,
}

impl ResourceType {
    /// The resource type name, e.g. `bucket`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// ARN templates, e.g. `arn:${Partition}:s3:::${BucketName}`.
    pub fn arn_formats(&self) -> &[Box<str>] {
        &self.arn_formats
    }

    /// Condition keys that apply to this resource type.
    pub fn condition_keys(&self) -> &[Box<str>] {
        &self.condition_keys
    }
}

/// One API operation and the IAM actions AWS says it may check.
#[derive(Debug)]
pub struct Operation {
    name: Box<str>,
    authorized_actions: Box<[Box<str>]>,
}

impl Operation {
    /// The API operation name, e.g. `ListObjectsV2`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The authorized actions as `service:Action` in AWS's spelling, in the
    /// file's order with exact duplicates removed. This is the union of
    /// everything the call may check, including situational actions.
    pub fn authorized_actions(&self) -> &[Box<str>] {
        &self.authorized_actions
    }
}

/// One service: its actions, resource types, condition keys and operations.
#[derive(Debug)]
pub struct Service {
    prefix: Box<str>,
    version: Option<Box<str>>,
    actions: Box<[Action]>,
    resource_types: Box<[ResourceType]>,
    condition_keys: Box<[Box<str>]>,
    operations: Box<[Operation]>,
}

impl Service {
    /// The IAM service prefix, e.g. `s3`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The schema version of the file (`Version`, e.g. `v1.4`), if given.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// All actions, sorted case-insensitively by name.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The action with this name, compared case-insensitively.
    pub fn action(&self, name: &str) -> Option<&Action> {
        find_ignore_case(&self.actions, name, |a| &a.name)
    }

    /// All resource types, sorted case-insensitively by name.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The resource type with this name, compared case-insensitively.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        find_ignore_case(&self.resource_types, name, |r| &r.name)
    }

    /// Names of the service's condition keys (`ConditionKeys[].Name`).
    pub fn condition_keys(&self) -> &[Box<str>] {
        &self.condition_keys
    }

    /// All API operations, sorted case-insensitively by name. Empty when the
    /// reference has no `Operations` for this service.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this name, compared case-insensitively.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        find_ignore_case(&self.operations, name, |o| &o.name)
    }
}

/// An action together with the service it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ActionRef<'a> {
    service: &'a Service,
    action: &'a Action,
}

impl<'a> ActionRef<'a> {
    /// The service the action belongs to.
    pub fn service(&self) -> &'a Service {
        self.service
    }

    /// The action itself.
    pub fn action(&self) -> &'a Action {
        self.action
    }

    /// The service prefix, e.g. `s3`.
    pub fn prefix(&self) -> &'a str {
        &self.service.prefix
    }

    /// The action name in AWS's spelling, e.g. `GetObject`.
    pub fn name(&self) -> &'a str {
        &self.action.name
    }

    /// The action's access level.
    pub fn access_level(&self) -> AccessLevel {
        self.action.access_level
    }

    /// The resource types the action can be scoped to, with their ARN formats.
    pub fn resource_types(&self) -> impl Iterator<Item = &'a ResourceType> + use<'a> {
        let service = self.service;
        self.action
            .resource_types
            .iter()
            .filter_map(move |name| service.resource_type(name))
    }
}

/// Prints `service:Action` in AWS's spelling.
impl fmt::Display for ActionRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service.prefix, self.action.name)
    }
}

/// Counts for a one-line status message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogSummary {
    /// Number of services.
    pub services: usize,
    /// Number of actions over all services.
    pub actions: usize,
    /// Number of API operations over all services.
    pub operations: usize,
}

impl fmt::Display for CatalogSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} services, {} actions, {} operations",
            self.services, self.actions, self.operations
        )
    }
}

/// The whole Service Authorization Reference.
#[derive(Debug)]
pub struct Catalog {
    /// Sorted by prefix, so lookups are binary searches.
    services: Box<[Service]>,
    /// Id of each service's first action: actions are numbered
    /// `0..action_count` in catalog order, for dense bit sets of actions.
    first_ids: Box<[usize]>,
    action_count: usize,
    operation_count: usize,
}

impl Catalog {
    /// Loads every service from a directory in the endpoint layout.
    ///
    /// Reads `service-list.json` when present, else lists the
    /// subdirectories. Fails on the first unreadable or malformed file,
    /// naming it.
    pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let names = service_names(dir)?;
        let services = names
            .par_iter()
            .map(|name| load_service(dir, name))
            .collect::<Result<Vec<Service>, CatalogError>>()?;
        Ok(Catalog::from_services(services))
    }

    fn from_services(mut services: Vec<Service>) -> Catalog {
        services.sort_unstable_by(|a, b| cmp_ignore_case(&a.prefix, &b.prefix));
        count_authorizing_operations(&mut services);
        let mut first_ids = Vec::with_capacity(services.len());
        let mut action_count = 0;
        for service in &services {
            first_ids.push(action_count);
            action_count += service.actions.len();
        }
        let operation_count = services.iter().map(|s| s.operations.len()).sum();
        Catalog {
            services: services.into_boxed_slice(),
            first_ids: first_ids.into_boxed_slice(),
            action_count,
            operation_count,
        }
    }

    /// The service prefixes, sorted.
    pub fn services(&self) -> impl ExactSizeIterator<Item = &str> {
        self.services.iter().map(|s| &*s.prefix)
    }

    /// All services, sorted by prefix.
    pub fn iter_services(&self) -> impl ExactSizeIterator<Item = &Service> {
        self.services.iter()
    }

    /// The service with this prefix, compared case-insensitively.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        find_ignore_case(&self.services, prefix, |s| &s.prefix)
    }

    /// The action named `service:Action`, compared case-insensitively.
    /// Returns `None` for unknown actions and for text without a colon.
    pub fn action(&self, action: &str) -> Option<ActionRef<'_>> {
        let (prefix, name) = action.split_once(':')?;
        let service = self.service(prefix)?;
        let action = service.action(name)?;
        Some(ActionRef { service, action })
    }

    /// Every action whose `service:Action` matches an IAM action pattern:
    /// `*` matches any run of characters (including none), `?` exactly one,
    /// case-insensitively. `*` alone matches every action. Results are in
    /// catalog order (by prefix, then by name).
    pub fn actions_matching(&self, pattern: &str) -> Vec<ActionRef<'_>> {
        let mut text = String::new();
        let mut found = Vec::new();
        for service in self.services_for_pattern(pattern) {
            for action in service.actions.iter() {
                // One reused buffer: no allocation per candidate.
                text.clear();
                text.push_str(&service.prefix);
                text.push(':');
                text.push_str(&action.name);
                if wildcard_match(pattern, &text) {
                    found.push(ActionRef { service, action });
                }
            }
        }
        found
    }

    /// The dense id (`0..action_count()`) of `service:Action`, compared
    /// case-insensitively.
    pub fn action_id(&self, action: &str) -> Option<usize> {
        let (s, a) = locate_action(&self.services, action)?;
        Some(self.first_ids[s] + a)
    }

    /// The action with this dense id.
    ///
    /// # Panics
    /// When `id >= action_count()`.
    pub fn action_by_id(&self, id: usize) -> ActionRef<'_> {
        let s = self.first_ids.partition_point(|&first| first <= id) - 1;
        let service = &self.services[s];
        ActionRef {
            service,
            action: &service.actions[id - self.first_ids[s]],
        }
    }

    /// Dense ids of every action matching an IAM action pattern (see
    /// [`Catalog::actions_matching`]), ascending.
    pub fn ids_matching(&self, pattern: &str) -> Vec<usize> {
        let narrowed = self.services_for_pattern(pattern);
        let mut text = String::new();
        let mut found = Vec::new();
        for service in narrowed {
            let first = self.first_ids[self.service_index(service)];
            if pattern == "*" {
                found.extend(first..first + service.actions.len());
                continue;
            }
            for (i, action) in service.actions.iter().enumerate() {
                text.clear();
                text.push_str(&service.prefix);
                text.push(':');
                text.push_str(&action.name);
                if wildcard_match(pattern, &text) {
                    found.push(first + i);
                }
            }
        }
        found
    }

    /// Index of a service that belongs to this catalog.
    fn service_index(&self, service: &Service) -> usize {
        search_ignore_case(&self.services, &service.prefix, |s| &s.prefix)
            .expect("service belongs to this catalog")
    }

    /// Narrows a pattern such as `s3:Get*` to its one service, so matching
    /// does not scan all 22k actions when the prefix is literal.
    fn services_for_pattern(&self, pattern: &str) -> &[Service] {
        match pattern.split_once(':') {
            Some((prefix, _)) if !prefix.contains(['*', '?']) => {
                match search_ignore_case(&self.services, prefix, |s| &s.prefix) {
                    Ok(index) => &self.services[index..=index],
                    Err(_) => &[],
                }
            }
            _ => &self.services,
        }
    }

    /// The access level of `service:Action`, if the action exists.
    pub fn access_level(&self, action: &str) -> Option<AccessLevel> {
        self.action(action).map(|a| a.access_level())
    }

    /// How many API operations, across all services, list `service:Action`
    /// in their `AuthorizedActions`; 0 for unknown actions.
    ///
    /// An action listed by no operation at all can never be tied to a
    /// CloudTrail event by the operation data.
    pub fn operations_authorizing(&self, action: &str) -> usize {
        self.action(action)
            .map_or(0, |a| a.action().authorizing_operations())
    }

    /// Number of actions over all services.
    pub fn action_count(&self) -> usize {
        self.action_count
    }

    /// Number of API operations over all services.
    pub fn operation_count(&self) -> usize {
        self.operation_count
    }

    /// Counts for a status line.
    pub fn summary(&self) -> CatalogSummary {
        CatalogSummary {
            services: self.services.len(),
            actions: self.action_count,
            operations: self.operation_count,
        }
    }
}

/// Matches an IAM wildcard pattern against text, ASCII case-insensitively.
///
/// `*` matches any run of characters, `?` exactly one character. This is the
/// classic greedy matcher that backtracks only to the most recent `*`, so it
/// runs in O(pattern × text) at worst and needs no allocation.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index, text index).
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                resume = Some((p, t));
            }
            Some(b'?') => {
                p += 1;
                t += utf8_len(text[t]);
            }
            Some(c) if c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match resume {
                // Let the last `*` swallow one more character and retry.
                Some((star_p, star_t)) => {
                    let next = star_t + utf8_len(text[star_t]);
                    resume = Some((star_p, next));
                    p = star_p;
                    t = next;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Length of the UTF-8 sequence that starts with this byte, so `?` consumes
/// a whole character even in (unexpected) non-ASCII names.
fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Orders strings as if both were ASCII-lowercased, without allocating.
fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
}

fn search_ignore_case<T>(
    items: &[T],
    name: &str,
    key: impl Fn(&T) -> &str,
) -> Result<usize, usize> {
    items.binary_search_by(|item| cmp_ignore_case(key(item), name))
}

fn find_ignore_case<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &str) -> Option<&'a T> {
    search_ignore_case(items, name, key)
        .ok()
        .map(|index| &items[index])
}

/// Tallies, for every action, how many operations list it. Done after the
/// parallel parse because operations name actions of other services.
fn count_authorizing_operations(services: &mut [Service]) {
    let mut counts: Vec<Vec<u32>> = services.iter().map(|s| vec![0; s.actions.len()]).collect();
    for service in services.iter() {
        for operation in service.operations.iter() {
            for full_name in operation.authorized_actions.iter() {
                if let Some((s, a)) = locate_action(services, full_name) {
                    counts[s][a] += 1;
                }
            }
        }
    }
    for (service, counts) in services.iter_mut().zip(counts) {
        for (action, count) in service.actions.iter_mut().zip(counts) {
            action.authorizing_operations = count;
        }
    }
}

/// Indices of `service:Action` in an already sorted service slice.
fn locate_action(services: &[Service], full_name: &str) -> Option<(usize, usize)> {
    let (prefix, name) = full_name.split_once(':')?;
    let s = search_ignore_case(services, prefix, |s| &s.prefix).ok()?;
    let a = search_ignore_case(&services[s].actions, name, |a| &a.name).ok()?;
    Some((s, a))
}

// ---------------------------------------------------------------------------
// Reading the files.

/// The services to load: from `service-list.json`, else the subdirectories.
fn service_names(dir: &Path) -> Result<Vec<String>, CatalogError> {
    let list_path = dir.join(SERVICE_LIST_FILE);
    let names = if list_path.is_file() {
        names_from_list(&list_path)?
    } else {
        names_from_subdirectories(dir)?
    };
    if names.is_empty() {
        return Err(CatalogError::Empty {
            path: dir.to_path_buf(),
        });
    }
    Ok(names)
}

fn names_from_list(list_path: &Path) -> Result<Vec<String>, CatalogError> {
    let entries: Vec<ServiceListEntry> = read_json(list_path)?;
    let mut names: Vec<String> = entries.into_iter().map(|e| e.service).collect();
    // The list may come from the network: never let it steer file access
    // outside the directory.
    if let Some(bad) = names.iter().find(|n| !is_valid_service_name(n)) {
        return Err(CatalogError::InvalidServiceName {
            path: list_path.to_path_buf(),
            name: bad.clone(),
        });
    }
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(CatalogError::DuplicateService {
            path: list_path.to_path_buf(),
            name: pair[0].clone(),
        });
    }
    Ok(names)
}

fn names_from_subdirectories(dir: &Path) -> Result<Vec<String>, CatalogError> {
    let io_error = |source| CatalogError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Skips `.git` and similar, and directories that hold no service.
        if is_valid_service_name(&name)
            && !name.starts_with('.')
            && service_file(dir, &name).is_file()
        {
            names.push(name);
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// A service name is used as a path component, so it must be one: no
/// separators, not `.` or `..`, nothing outside the characters AWS uses.
fn is_valid_service_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn service_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name).join(format!("{name}.json"))
}

fn load_service(dir: &Path, name: &str) -> Result<Service, CatalogError> {
    let path = service_file(dir, name);
    let raw: RawService = read_json(&path)?;
    if !raw.name.eq_ignore_ascii_case(name) {
        return Err(CatalogError::NameMismatch {
            path,
            expected: name.to_owned(),
            found: raw.name,
        });
    }
    Ok(raw.into_service())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CatalogError> {
    let bytes = std::fs::read(path).map_err(|source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| CatalogError::Json {
        path: path.to_path_buf(),
        source,
    })
}

// ---------------------------------------------------------------------------
// The on-disk shape. Only the fields we use; serde skips the rest (`SDK`,
// `SupportedBy`, condition key `Types`, ...). Lists are `Option` so that a
// missing key and an explicit `null` both read as empty.

#[derive(Deserialize)]
struct ServiceListEntry {
    service: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawService {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    actions: Option<Vec<RawAction>>,
    #[serde(default)]
    resources: Option<Vec<RawResource>>,
    #[serde(default)]
    condition_keys: Option<Vec<RawNamed>>,
    #[serde(default)]
    operations: Option<Vec<RawOperation>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAction {
    name: String,
    #[serde(default)]
    annotations: Option<RawAnnotations>,
    #[serde(default)]
    resources: Option<Vec<RawNamed>>,
    #[serde(default)]
    action_condition_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAnnotations {
    #[serde(default)]
    properties: Option<RawProperties>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawProperties {
    #[serde(default)]
    is_list: Option<bool>,
    #[serde(default)]
    is_write: Option<bool>,
    #[serde(default)]
    is_permission_management: Option<bool>,
    #[serde(default)]
    is_tagging_only: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResource {
    name: String,
    #[serde(default, rename = "ARNFormats")]
    arn_formats: Option<Vec<String>>,
    #[serde(default)]
    condition_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNamed {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawOperation {
    name: String,
    #[serde(default)]
    authorized_actions: Option<Vec<RawAuthorizedAction>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAuthorizedAction {
    name: String,
    service: String,
}

fn boxed(strings: Option<Vec<String>>) -> Box<[Box<str>]> {
    strings
        .unwrap_or_default()
        .into_iter()
        .map(String::into_boxed_str)
        .collect()
}

fn names(named: Option<Vec<RawNamed>>) -> Box<[Box<str>]> {
    named
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.name.into_boxed_str())
        .collect()
}

fn sorted_by_name<T>(mut items: Vec<T>, key: impl Fn(&T) -> &str) -> Box<[T]> {
    items.sort_unstable_by(|a, b| cmp_ignore_case(key(a), key(b)));
    items.into_boxed_slice()
}

impl RawService {
    fn into_service(self) -> Service {
        let actions = self
            .actions
            .unwrap_or_default()
            .into_iter()
            .map(RawAction::into_action)
            .collect();
        let resource_types = self
            .resources
            .unwrap_or_default()
            .into_iter()
            .map(RawResource::into_resource_type)
            .collect();
        let operations = self
            .operations
            .unwrap_or_default()
            .into_iter()
            .map(RawOperation::into_operation)
            .collect();
        Service {
            prefix: self.name.into_boxed_str(),
            version: self.version.map(String::into_boxed_str),
            actions: sorted_by_name(actions, |a: &Action| &a.name),
            resource_types: sorted_by_name(resource_types, |r: &ResourceType| &r.name),
            condition_keys: names(self.condition_keys),
            operations: sorted_by_name(operations, |o: &Operation| &o.name),
        }
    }
}

impl RawAction {
    fn into_action(self) -> Action {
        let flags = self
            .annotations
            .and_then(|a| a.properties)
            .unwrap_or_default();
        Action {
            name: self.name.into_boxed_str(),
            access_level: AccessLevel::from_flags(&flags),
            resource_types: names(self.resources),
            condition_keys: boxed(self.action_condition_keys),
            authorizing_operations: 0,
        }
    }
}

impl RawResource {
    fn into_resource_type(self) -> ResourceType {
        ResourceType {
            name: self.name.into_boxed_str(),
            arn_formats: boxed(self.arn_formats),
            condition_keys: boxed(self.condition_keys),
        }
    }
}

impl RawOperation {
    fn into_operation(self) -> Operation {
        let mut authorized: Vec<Box<str>> = Vec::new();
        for action in self.authorized_actions.unwrap_or_default() {
            let full_name = format!("{}:{}", action.service, action.name).into_boxed_str();
            // A few operations list an action twice; keep the list a set.
            if !authorized.contains(&full_name) {
                authorized.push(full_name);
            }
        }
        Operation {
            name: self.name.into_boxed_str(),
            authorized_actions: authorized.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::testutil::{read_json, real_catalog, service_reference_dir};

    // -- Without data -------------------------------------------------------

    #[test]
    fn wildcard_star_and_question_mark() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("s3:Get*", "s3:Get"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(wildcard_match("*", "ec2:DescribeInstances"));
        assert!(wildcard_match(
            "ec2:Describe?nstances",
            "ec2:DescribeInstances"
        ));
        assert!(!wildcard_match(
            "ec2:Describe?nstances",
            "ec2:DescribeNstances"
        ));
        assert!(wildcard_match("s3:*Object", "s3:GetObject"));
        assert!(!wildcard_match("s3:*Object", "s3:GetObjectAcl"));
        assert!(wildcard_match("*:*Tag*", "ec2:CreateTags"));
        assert!(wildcard_match("a*b*c", "aXXbYYbc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("**", ""));
    }

    #[test]
    fn wildcard_is_case_insensitive_and_unicode_safe() {
        assert!(wildcard_match("S3:GETOBJECT", "s3:GetObject"));
        assert!(wildcard_match("iam:pass*", "iam:PassRole"));
        assert!(wildcard_match("x?y", "xéy"));
        assert!(!wildcard_match("x?y", "xééy"));
        assert!(wildcard_match("x*y", "xééy"));
    }

    #[test]
    fn case_insensitive_order() {
        assert_eq!(cmp_ignore_case("GetObject", "getobject"), Ordering::Equal);
        assert_eq!(cmp_ignore_case("a", "B"), Ordering::Less);
        assert_eq!(cmp_ignore_case("Get", "GetObject"), Ordering::Less);
    }

    #[test]
    fn access_level_names_and_order() {
        let json = serde_json::to_string(&AccessLevel::PermissionsManagement).unwrap();
        assert_eq!(json, "\"Permissions management\"");
        assert_eq!(
            serde_json::to_string(&AccessLevel::List).unwrap(),
            "\"List\""
        );
        assert_eq!(AccessLevel::Tagging.to_string(), "Tagging");
        assert!(AccessLevel::List < AccessLevel::Read);
        assert!(AccessLevel::Write < AccessLevel::PermissionsManagement);
    }

    #[test]
    fn access_level_precedence() {
        let flags = |list, write, pm, tag| RawProperties {
            is_list: Some(list),
            is_write: Some(write),
            is_permission_management: Some(pm),
            is_tagging_only: Some(tag),
        };
        let level = |p: RawProperties| AccessLevel::from_flags(&p);
        assert_eq!(
            level(flags(false, true, true, false)),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(level(flags(false, true, false, true)), AccessLevel::Tagging);
        assert_eq!(level(flags(false, true, false, false)), AccessLevel::Write);
        assert_eq!(level(flags(true, false, false, false)), AccessLevel::List);
        assert_eq!(level(flags(false, false, false, false)), AccessLevel::Read);
        assert_eq!(level(RawProperties::default()), AccessLevel::Read);
    }

    fn write_service(dir: &Path, name: &str, body: &str) {
        fs::create_dir_all(dir.join(name)).unwrap();
        fs::write(dir.join(name).join(format!("{name}.json")), body).unwrap();
    }

    const TINY: &str = r#"{
        "Name": "tiny", "Version": "v9", "FutureField": {"x": 1},
        "Actions": [
            {"Name": "ListThings", "Annotations": {"Properties": {"IsList": true}}},
            {"Name": "GetThing", "Resources": [{"Name": "thing"}], "ActionConditionKeys": ["tiny:Color"]},
            {"Name": "TagThing", "Annotations": {"Properties": {"IsWrite": true, "IsTaggingOnly": true}}}
        ],
        "Resources": [{"Name": "thing", "ARNFormats": ["arn:${Partition}:tiny:::${Id}"], "ConditionKeys": null}],
        "ConditionKeys": [{"Name": "tiny:Color", "Types": ["String"]}],
        "Operations": [
            {"Name": "ListThings", "AuthorizedActions": [{"Name": "ListThings", "Service": "tiny"}], "SDK": []},
            {"Name": "DescribeThing", "AuthorizedActions": [
                {"Name": "GetThing", "Service": "tiny"}, {"Name": "GetThing", "Service": "tiny"}]},
            {"Name": "Ping"}
        ]
    }"#;

    #[test]
    fn loads_by_listing_subdirectories() {
        let dir = tempfile::tempdir().unwrap();
        write_service(dir.path(), "tiny", TINY);
        write_service(dir.path(), "other", r#"{"Name": "other", "Actions": null}"#);
        fs::create_dir(dir.path().join(".git")).unwrap();
        fs::create_dir(dir.path().join("empty")).unwrap();
        let catalog = Catalog::load_dir(dir.path()).unwrap();
        assert_eq!(catalog.services().collect::<Vec<_>>(), ["other", "tiny"]);
        assert_eq!(
            catalog.summary(),
            CatalogSummary {
                services: 2,
                actions: 3,
                operations: 3
            }
        );
        let tiny = catalog.service("TINY").unwrap();
        assert_eq!(tiny.version(), Some("v9"));
        assert_eq!(tiny.condition_keys(), [Box::from("tiny:Color")]);
        let get = catalog.action("tiny:getthing").unwrap();
        assert_eq!(get.to_string(), "tiny:GetThing");
        assert_eq!(get.access_level(), AccessLevel::Read);
        assert_eq!(get.action().condition_keys(), [Box::from("tiny:Color")]);
        let arns: Vec<&str> = get
            .resource_types()
            .flat_map(|r| r.arn_formats())
            .map(|a| &**a)
            .collect();
        assert_eq!(arns, ["arn:${Partition}:tiny:::${Id}"]);
        assert_eq!(
            catalog.access_level("tiny:TagThing"),
            Some(AccessLevel::Tagging)
        );
        assert_eq!(
            catalog.access_level("tiny:ListThings"),
            Some(AccessLevel::List)
        );
        let describe = tiny.operation("describething").unwrap();
        assert_eq!(describe.authorized_actions(), [Box::from("tiny:GetThing")]);
        assert!(
            tiny.operation("Ping")
                .unwrap()
                .authorized_actions()
                .is_empty()
        );
        assert_eq!(catalog.operations_authorizing("tiny:GetThing"), 1);
        assert_eq!(catalog.operations_authorizing("tiny:TagThing"), 0);
    }

    #[test]
    fn service_list_selects_services() {
        let dir = tempfile::tempdir().unwrap();
        write_service(dir.path(), "tiny", TINY);
        write_service(dir.path(), "unlisted", r#"{"Name": "unlisted"}"#);
        fs::write(
            dir.path().join(SERVICE_LIST_FILE),
            r#"[{"service": "tiny", "url": "https://x/tiny/tiny.json"}]"#,
        )
        .unwrap();
        let catalog = Catalog::load_dir(dir.path()).unwrap();
        assert_eq!(catalog.services().collect::<Vec<_>>(), ["tiny"]);
    }

    #[test]
    fn malformed_service_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_service(dir.path(), "tiny", TINY);
        write_service(
            dir.path(),
            "broken",
            r#"{"Name": "broken", "Actions": [{"Name": 7}]}"#,
        );
        let err = Catalog::load_dir(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::Json { .. }), "{err:?}");
        assert!(err.to_string().contains("broken.json"), "{err}");
    }

    #[test]
    fn rejects_bad_lists_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join(SERVICE_LIST_FILE);
        fs::write(&list, r#"[{"service": "../etc"}]"#).unwrap();
        let err = Catalog::load_dir(dir.path()).unwrap_err();
        assert!(
            matches!(err, CatalogError::InvalidServiceName { ref name, .. } if name == "../etc"),
            "{err:?}"
        );

        fs::write(&list, r#"[{"service": "tiny"}, {"service": "tiny"}]"#).unwrap();
        let err = Catalog::load_dir(dir.path()).unwrap_err();
        assert!(
            matches!(err, CatalogError::DuplicateService { .. }),
            "{err:?}"
        );

        fs::write(&list, r#"[{"service": "missing"}]"#).unwrap();
        let err = Catalog::load_dir(dir.path()).unwrap_err();
        assert!(
            matches!(err, CatalogError::Io { ref path, .. } if path.ends_with("missing/missing.json")),
            "{err:?}"
        );

        fs::write(&list, "[]").unwrap();
        assert!(matches!(
            Catalog::load_dir(dir.path()),
            Err(CatalogError::Empty { .. })
        ));

        fs::remove_file(&list).unwrap();
        write_service(dir.path(), "tiny", r#"{"Name": "huge"}"#);
        let err = Catalog::load_dir(dir.path()).unwrap_err();
        assert!(
            matches!(err, CatalogError::NameMismatch { ref found, .. } if found == "huge"),
            "{err:?}"
        );
    }

    // -- With the real reference ------------------------------------------

    #[test]
    fn real_catalog_counts() {
        let catalog = real_catalog();
        let summary = catalog.summary();
        assert_eq!(
            summary,
            CatalogSummary {
                services: 466,
                actions: 21_983,
                operations: 18_666
            }
        );
        assert_eq!(
            summary.to_string(),
            "466 services, 21983 actions, 18666 operations"
        );
        assert_eq!(catalog.action_count(), 21_983);
        let prefixes: Vec<&str> = catalog.services().collect();
        assert!(prefixes.is_sorted());
        assert_eq!(prefixes.first(), Some(&"a2c"));
        assert!(prefixes.contains(&"s3") && prefixes.contains(&"s3-object-lambda"));
    }

    #[test]
    fn real_actions_are_found_case_insensitively() {
        let catalog = real_catalog();
        let get = catalog.action("S3:getobject").unwrap();
        assert_eq!(get.to_string(), "s3:GetObject");
        assert_eq!(get.access_level(), AccessLevel::Read);
        assert!(
            get.action()
                .resource_types()
                .iter()
                .any(|r| &**r == "object")
        );
        assert!(
            get.action()
                .condition_keys()
                .iter()
                .any(|k| &**k == "s3:ExistingObjectTag/<key>")
        );
        assert_eq!(
            catalog.action("amplify:createwebhook").unwrap().name(),
            "CreateWebHook"
        );
        assert!(catalog.action("s3:ListObjects").is_none());
        assert!(catalog.action("s3").is_none());
        assert!(catalog.action("nosuchservice:Get").is_none());
    }

    #[test]
    fn real_access_levels() {
        let catalog = real_catalog();
        let level = |a| catalog.access_level(a);
        assert_eq!(level("s3:ListBucket"), Some(AccessLevel::List));
        assert_eq!(level("ec2:DescribeInstances"), Some(AccessLevel::List));
        assert_eq!(level("s3:PutObject"), Some(AccessLevel::Write));
        assert_eq!(
            level("iam:PutRolePolicy"),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(level("iam:PassRole"), Some(AccessLevel::Write));
        assert_eq!(level("s3:PutObjectTagging"), Some(AccessLevel::Tagging));
        assert_eq!(level("dynamodb:GetItem"), Some(AccessLevel::Read));
        assert_eq!(level("kms:Decrypt"), Some(AccessLevel::Write));
        assert_eq!(level("s3:NoSuchAction"), None);
    }

    /// Backs the precedence comment on `AccessLevel::from_flags` with the data.
    #[test]
    fn real_annotation_flags_never_conflict() {
        let dir = service_reference_dir();
        let (mut specific, mut list) = (0, 0);
        for prefix in real_catalog().services() {
            let service = read_json(&service_file(&dir, prefix));
            for action in service["Actions"].as_array().unwrap() {
                let flag = |name: &str| {
                    action["Annotations"]["Properties"][name]
                        .as_bool()
                        .unwrap_or(false)
                };
                let (pm, tag, write, is_list) = (
                    flag("IsPermissionManagement"),
                    flag("IsTaggingOnly"),
                    flag("IsWrite"),
                    flag("IsList"),
                );
                if pm || tag {
                    specific += 1;
                    assert!(
                        write && !is_list && !(pm && tag),
                        "{prefix}:{}",
                        action["Name"]
                    );
                }
                if is_list {
                    list += 1;
                    assert!(!write && !pm && !tag, "{prefix}:{}", action["Name"]);
                }
            }
        }
        assert_eq!((specific, list), (416 + 725, 3683));
    }

    #[test]
    fn real_wildcards() {
        let catalog = real_catalog();
        let all = catalog.actions_matching("*");
        assert_eq!(all.len(), catalog.action_count());
        let gets = catalog.actions_matching("s3:Get*");
        let direct = catalog
            .service("s3")
            .unwrap()
            .actions()
            .iter()
            .filter(|a| a.name().starts_with("Get"))
            .count();
        assert_eq!(gets.len(), direct);
        assert!(gets.len() > 40);
        assert!(
            gets.iter()
                .all(|a| a.prefix() == "s3" && a.name().starts_with("Get"))
        );
        let describe: Vec<String> = catalog
            .actions_matching("ec2:Describe?nstances")
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(describe, ["ec2:DescribeInstances"]);
        let exact: Vec<String> = catalog
            .actions_matching("S3:GETOBJECT")
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(exact, ["s3:GetObject"]);
        let across = catalog.actions_matching("s3*:GetObject");
        let names: Vec<String> = across.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            names,
            [
                "s3:GetObject",
                "s3-object-lambda:GetObject",
                "s3-outposts:GetObject"
            ]
        );
        assert!(catalog.actions_matching("nosuch:*").is_empty());
    }

    #[test]
    fn real_resource_types_and_operations() {
        let catalog = real_catalog();
        let s3 = catalog.service("s3").unwrap();
        let bucket = s3.resource_type("bucket").unwrap();
        assert_eq!(
            bucket.arn_formats(),
            [Box::from("arn:${Partition}:s3:::${BucketName}")]
        );
        let list = s3.operation("listobjectsv2").unwrap();
        assert_eq!(list.name(), "ListObjectsV2");
        assert!(
            list.authorized_actions()
                .iter()
                .any(|a| &**a == "s3:ListBucket")
        );
        let publish_batch = catalog
            .service("sns")
            .unwrap()
            .operation("PublishBatch")
            .unwrap();
        assert_eq!(
            publish_batch.authorized_actions(),
            [Box::from("sns:Publish")]
        );
    }

    #[test]
    fn real_operation_counts() {
        let catalog = real_catalog();
        assert!(catalog.operations_authorizing("iam:PassRole") > 100);
        // HeadBucket, ListObjects and ListObjectsV2.
        assert_eq!(catalog.operations_authorizing("s3:ListBucket"), 3);
        assert_eq!(catalog.operations_authorizing("nosuch:Thing"), 0);
        let never = catalog
            .iter_services()
            .filter(|s| !s.operations().is_empty())
            .flat_map(|s| s.actions())
            .filter(|a| a.authorizing_operations() == 0)
            .count();
        assert!(never > 0 && never < catalog.action_count() / 4, "{never}");
    }

    #[test]
    fn subdirectory_listing_matches_service_list() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["s3", "sns", "kms"] {
            let source = service_file(&service_reference_dir(), name);
            fs::create_dir(dir.path().join(name)).unwrap();
            fs::copy(source, service_file(dir.path(), name)).unwrap();
        }
        let catalog = Catalog::load_dir(dir.path()).unwrap();
        let real = real_catalog();
        assert_eq!(catalog.services().collect::<Vec<_>>(), ["kms", "s3", "sns"]);
        for name in ["kms", "s3", "sns"] {
            let (small, full) = (catalog.service(name).unwrap(), real.service(name).unwrap());
            assert_eq!(small.actions().len(), full.actions().len());
            assert_eq!(small.operations().len(), full.operations().len());
        }
    }
}
