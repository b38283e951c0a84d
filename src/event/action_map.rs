//! Maps a CloudTrail `(eventSource, eventName)` pair to the IAM actions the
//! call needed.
//!
//! Contract:
//!
//! - [`ActionMapper::map`] is total: every pair gets a [`Mapping`], whose
//!   [`MappingSource`] says how much to trust it. Actions are `service:Action`
//!   in AWS's spelling.
//! - It is on the hot path (once per record). Every pair the mapper can know
//!   in advance (each service's default source and the non-default ones, times
//!   every curated name, operation name and action name) is resolved at
//!   construction into two-level hash tables, so a lookup for a known pair is
//!   two `&str` hash probes and no allocation. Version-suffixed Lambda and
//!   CloudFront names are trimmed to a sub-slice before the probe.
//! - Unknown pairs are resolved once and memoized in an append-only cache, so
//!   repeats are also allocation-free (a read lock and two probes). The cache
//!   grows by one entry per distinct unknown pair and lives as long as the
//!   mapper.
//! - `ActionMapper` is `Send + Sync`; share one across rayon workers.
//!
//! Measured (release, 2 shared cores): construction about 40 ms with the full
//! catalog; a known pair about 37 ns, a repeated unknown pair 50-65 ns. A
//! word-at-a-time hasher instead of std's SipHash made no difference beyond
//! noise, so the tables use std's.
//!
//! Rules, in order:
//!
//! 1. eventSource → IAM prefix ([`source_to_prefix`]).
//! 2. Drop the API-version suffix that Lambda and CloudFront append to
//!    event names ([`strip_version_suffix`]).
//! 3. A curated table of calls whose needed action differs from what the
//!    reference's operation data would give, or that need no permission.
//! 4. With a catalog: the service's operation of that name, reduced to the
//!    action the call itself needs ([`MappingSource::Catalog`]); else an
//!    action of the same name ([`MappingSource::SameName`]).
//! 5. Otherwise `prefix:EventName` ([`MappingSource::Fallback`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::Serialize;

use crate::hash::FastMap;
use crate::policy::catalog::Catalog;

/// How a mapping was found, from most to least trustworthy (the order is
/// used to pick one deterministically when events of one action were mapped
/// differently).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum MappingSource {
    /// From the curated table of known quirks in this module.
    Curated,
    /// From the reference's `Operations` data for the call.
    Catalog,
    /// The reference has an action spelled like the event (case-insensitively).
    SameName,
    /// No evidence: `prefix:EventName` as written in the log.
    Fallback,
}

/// The IAM actions one CloudTrail event needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// `service:Action` strings in AWS's spelling. When `needs_permission` is
    /// false this holds the single `service:EventName`, for display only.
    pub actions: Box<[Box<str>]>,
    /// False for calls no IAM policy controls (e.g. `sts:GetCallerIdentity`,
    /// console sign-in events); leave these out of generated policies.
    pub needs_permission: bool,
    /// How the mapping was found.
    pub source: MappingSource,
}

impl Mapping {
    fn new(actions: Vec<String>, needs_permission: bool, source: MappingSource) -> Mapping {
        Mapping {
            actions: actions.into_iter().map(String::into_boxed_str).collect(),
            needs_permission,
            source,
        }
    }
}

// ---------------------------------------------------------------------------
// Rule 1: eventSource → IAM prefix.

/// Event sources whose IAM prefix is not their host label.
///
/// CloudTrail's `eventSource` is the service's endpoint host, while policies
/// use the prefix from the Service Authorization Reference. The two agree for
/// almost every service; these are the exceptions observed in CloudTrail logs
/// (as collected by the iam-dataset and trailscraper projects). Several hosts
/// of one product share a prefix (Lex runtime and models, the Connect
/// family, the Marketplace family, DynamoDB Streams).
const NON_DEFAULT_SOURCES: &[(&str, &str)] = &[
    ("agreement-marketplace.amazonaws.com", "aws-marketplace"),
    ("amazonmq.amazonaws.com", "mq"),
    ("application-insights.amazonaws.com", "applicationinsights"),
    ("appstream2.amazonaws.com", "appstream"),
    ("billingconsole.amazonaws.com", "billing"),
    ("chime-sdk-media-pipelines.amazonaws.com", "chime"),
    ("chime-sdk-voice.amazonaws.com", "chime"),
    ("cloudcontrolapi.amazonaws.com", "cloudformation"),
    ("contact-lens.amazonaws.com", "connect"),
    ("discovery-marketplace.amazonaws.com", "aws-marketplace"),
    // SES's API host. Logged SES events normally say `ses.amazonaws.com`;
    // this keeps records that carry the host name on the right prefix.
    ("email.amazonaws.com", "ses"),
    (
        "management-marketplace.amazonaws.com",
        "aws-marketplace-management",
    ),
    ("marketplacecatalog.amazonaws.com", "aws-marketplace"),
    ("migrationhub.amazonaws.com", "mgh"),
    ("models.lex.amazonaws.com", "lex"),
    ("monitoring.amazonaws.com", "cloudwatch"),
    ("mturk-requester.amazonaws.com", "mechanicalturk"),
    ("opensearchservice.amazonaws.com", "es"),
    ("participant-connect.amazonaws.com", "connect"),
    ("pinpoint.amazonaws.com", "mobiletargeting"),
    ("pricelist.amazonaws.com", "pricing"),
    ("qconnect.amazonaws.com", "wisdom"),
    ("rdsdata.amazonaws.com", "rds-data"),
    ("reporting-marketplace.amazonaws.com", "aws-marketplace"),
    ("runtime.lex.amazonaws.com", "lex"),
    ("servicecatalog-appregistry.amazonaws.com", "servicecatalog"),
    ("streams.dynamodb.amazonaws.com", "dynamodb"),
    ("tagging.amazonaws.com", "tag"),
    ("taxconsole.amazonaws.com", "tax"),
    ("transcribestreaming.amazonaws.com", "transcribe"),
];

const AWS_HOST_SUFFIX: &str = ".amazonaws.com";

/// The IAM prefix for a CloudTrail event source.
///
/// Listed exceptions first; otherwise `<label>.amazonaws.com` → `<label>`.
/// Sources outside `amazonaws.com` are returned whole, so they never collide
/// with a real prefix.
pub fn source_to_prefix(event_source: &str) -> &str {
    if let Some(&(_, prefix)) = NON_DEFAULT_SOURCES
        .iter()
        .find(|(source, _)| *source == event_source)
    {
        return prefix;
    }
    match event_source.strip_suffix(AWS_HOST_SUFFIX) {
        Some(label) if !label.is_empty() => label,
        _ => event_source,
    }
}

// ---------------------------------------------------------------------------
// Rule 2: API-version suffixes.

/// Which date-shaped API-version suffix a source appends to event names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionSuffix {
    None,
    /// Lambda logged names such as `ListFunctions20150331` and
    /// `GetFunctionConfiguration20150331v2` (API version date, optional
    /// revision) until late 2021; old trails still hold them.
    Lambda,
    /// CloudFront logs names such as `UpdateDistribution2019_03_26`, with its
    /// API version as `YYYY_MM_DD`.
    CloudFront,
}

impl VersionSuffix {
    fn for_source(event_source: &str) -> VersionSuffix {
        match event_source {
            "lambda.amazonaws.com" => VersionSuffix::Lambda,
            "cloudfront.amazonaws.com" => VersionSuffix::CloudFront,
            _ => VersionSuffix::None,
        }
    }

    fn strip(self, name: &str) -> &str {
        let stripped = match self {
            VersionSuffix::None => None,
            VersionSuffix::Lambda => strip_lambda_version(name),
            VersionSuffix::CloudFront => strip_cloudfront_version(name),
        };
        stripped.unwrap_or(name)
    }
}

/// The event name without its API-version suffix, for the two services that
/// add one; any other name is returned unchanged.
///
/// Only date shapes are removed (`\d{8}(v\d+)?` for Lambda,
/// `\d{4}_\d{2}_\d{2}` for CloudFront), after a base of letters only, so
/// names that merely end in digits (`GetMetricDataV2`, `CreateLocationS3`)
/// are never damaged. Returns a sub-slice: no allocation.
pub fn strip_version_suffix<'a>(event_source: &str, event_name: &'a str) -> &'a str {
    VersionSuffix::for_source(event_source).strip(event_name)
}

/// `Name20150331` or `Name20150331v2` → `Name`.
fn strip_lambda_version(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let mut date_end = bytes.len();
    let revision = trailing_digits(bytes);
    if revision > 0 && revision < bytes.len() && bytes[bytes.len() - revision - 1] == b'v' {
        let before_v = bytes.len() - revision - 1;
        if trailing_digits(&bytes[..before_v]) == 8 {
            date_end = before_v;
        }
    }
    if trailing_digits(&bytes[..date_end]) != 8 {
        return None;
    }
    letters_only(&name[..date_end - 8])
}

/// `Name2019_03_26` → `Name`.
fn strip_cloudfront_version(name: &str) -> Option<&str> {
    const SHAPE: &[u8; 10] = b"dddd_dd_dd";
    let split = name.len().checked_sub(SHAPE.len())?;
    let suffix = name.as_bytes().get(split..)?;
    let fits = suffix.iter().zip(SHAPE).all(|(&b, &shape)| match shape {
        b'd' => b.is_ascii_digit(),
        _ => b == shape,
    });
    if !fits {
        return None;
    }
    letters_only(&name[..split])
}

fn trailing_digits(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The base must be a plain operation name, as in the documented pattern.
fn letters_only(base: &str) -> Option<&str> {
    let valid = !base.is_empty() && base.bytes().all(|b| b.is_ascii_alphabetic());
    valid.then_some(base)
}

// ---------------------------------------------------------------------------
// Rule 3: curated quirks.

/// One curated rule, keyed by IAM prefix and (suffix-free) event name.
struct Curated {
    prefix: &'static str,
    event_name: &'static str,
    /// `service:Action` strings; empty when no permission is needed.
    actions: &'static [&'static str],
}

const fn needs(
    prefix: &'static str,
    event_name: &'static str,
    actions: &'static [&'static str],
) -> Curated {
    Curated {
        prefix,
        event_name,
        actions,
    }
}

const fn no_permission(prefix: &'static str, event_name: &'static str) -> Curated {
    Curated {
        prefix,
        event_name,
        actions: &[],
    }
}

/// Calls whose needed action differs from their name, or from what the
/// operation data alone would pick, and calls that need no permission.
///
/// Every action here is checked against the catalog by a test.
#[rustfmt::skip]
const CURATED: &[Curated] = &[
    // S3 names its object-listing and HEAD calls after the resource, not the
    // permission: the S3 API reference says listing objects (V1 and V2) and
    // HeadBucket need s3:ListBucket, HeadObject needs s3:GetObject, and
    // ListBuckets needs s3:ListAllMyBuckets. The reference's operation data
    // also lists s3:GetObjectAcl and s3-object-lambda actions for the list
    // calls, which the call itself does not need.
    needs("s3", "ListObjects", &["s3:ListBucket"]),
    needs("s3", "ListObjectsV2", &["s3:ListBucket"]),
    needs("s3", "HeadBucket", &["s3:ListBucket"]),
    needs("s3", "HeadObject", &["s3:GetObject"]),
    needs("s3", "ListBuckets", &["s3:ListAllMyBuckets"]),
    needs("s3", "ListObjectVersions", &["s3:ListBucketVersions"]),
    // A copy reads the source object and writes the destination object.
    needs("s3", "CopyObject", &["s3:GetObject", "s3:PutObject"]),
    needs("s3", "UploadPartCopy", &["s3:GetObject", "s3:PutObject"]),
    // Multipart uploads are authorized as writes of the final object.
    needs("s3", "CreateMultipartUpload", &["s3:PutObject"]),
    needs("s3", "UploadPart", &["s3:PutObject"]),
    needs("s3", "CompleteMultipartUpload", &["s3:PutObject"]),
    needs("s3", "ListParts", &["s3:ListMultipartUploadParts"]),
    needs("s3", "ListMultipartUploads", &["s3:ListBucketMultipartUploads"]),
    // Batch delete checks s3:DeleteObject per key (DeleteObjectVersion only
    // when versions are named, which the event name cannot tell).
    needs("s3", "DeleteObjects", &["s3:DeleteObject"]),
    // Bucket sub-resources: the permission is named after the configuration,
    // and deleting a configuration is authorized as writing it.
    needs("s3", "GetBucketLifecycle", &["s3:GetLifecycleConfiguration"]),
    needs("s3", "GetBucketLifecycleConfiguration", &["s3:GetLifecycleConfiguration"]),
    needs("s3", "PutBucketLifecycle", &["s3:PutLifecycleConfiguration"]),
    needs("s3", "PutBucketLifecycleConfiguration", &["s3:PutLifecycleConfiguration"]),
    needs("s3", "DeleteBucketLifecycle", &["s3:PutLifecycleConfiguration"]),
    // IAM spells CORS in capitals.
    needs("s3", "GetBucketCors", &["s3:GetBucketCORS"]),
    needs("s3", "PutBucketCors", &["s3:PutBucketCORS"]),
    needs("s3", "DeleteBucketCors", &["s3:PutBucketCORS"]),
    needs("s3", "GetBucketEncryption", &["s3:GetEncryptionConfiguration"]),
    needs("s3", "PutBucketEncryption", &["s3:PutEncryptionConfiguration"]),
    needs("s3", "DeleteBucketEncryption", &["s3:PutEncryptionConfiguration"]),
    needs("s3", "GetBucketTagging", &["s3:GetBucketTagging"]),
    needs("s3", "PutBucketTagging", &["s3:PutBucketTagging"]),
    needs("s3", "DeleteBucketTagging", &["s3:PutBucketTagging"]),
    needs("s3", "GetBucketWebsite", &["s3:GetBucketWebsite"]),
    needs("s3", "PutBucketWebsite", &["s3:PutBucketWebsite"]),
    needs("s3", "DeleteBucketWebsite", &["s3:DeleteBucketWebsite"]),
    needs("s3", "GetBucketPolicy", &["s3:GetBucketPolicy"]),
    needs("s3", "PutBucketPolicy", &["s3:PutBucketPolicy"]),
    needs("s3", "DeleteBucketPolicy", &["s3:DeleteBucketPolicy"]),
    // Replication: AWS lists s3:PutReplicationConfiguration for both put
    // and delete (there is no DeleteReplicationConfiguration action, whatever
    // some tools emit); iam:PassRole is needed only when a role is passed.
    needs("s3", "GetBucketReplication", &["s3:GetReplicationConfiguration"]),
    needs("s3", "PutBucketReplication", &["s3:PutReplicationConfiguration"]),
    needs("s3", "DeleteBucketReplication", &["s3:PutReplicationConfiguration"]),
    needs("s3", "GetBucketAccelerateConfiguration", &["s3:GetAccelerateConfiguration"]),
    needs("s3", "PutBucketAccelerateConfiguration", &["s3:PutAccelerateConfiguration"]),
    needs("s3", "GetBucketAnalyticsConfiguration", &["s3:GetAnalyticsConfiguration"]),
    needs("s3", "ListBucketAnalyticsConfigurations", &["s3:GetAnalyticsConfiguration"]),
    needs("s3", "PutBucketAnalyticsConfiguration", &["s3:PutAnalyticsConfiguration"]),
    needs("s3", "DeleteBucketAnalyticsConfiguration", &["s3:PutAnalyticsConfiguration"]),
    needs("s3", "GetBucketInventoryConfiguration", &["s3:GetInventoryConfiguration"]),
    needs("s3", "ListBucketInventoryConfigurations", &["s3:GetInventoryConfiguration"]),
    needs("s3", "PutBucketInventoryConfiguration", &["s3:PutInventoryConfiguration"]),
    needs("s3", "DeleteBucketInventoryConfiguration", &["s3:PutInventoryConfiguration"]),
    needs("s3", "GetBucketMetricsConfiguration", &["s3:GetMetricsConfiguration"]),
    needs("s3", "ListBucketMetricsConfigurations", &["s3:GetMetricsConfiguration"]),
    needs("s3", "PutBucketMetricsConfiguration", &["s3:PutMetricsConfiguration"]),
    needs("s3", "DeleteBucketMetricsConfiguration", &["s3:PutMetricsConfiguration"]),
    needs("s3", "GetBucketNotificationConfiguration", &["s3:GetBucketNotification"]),
    needs("s3", "PutBucketNotificationConfiguration", &["s3:PutBucketNotification"]),
    // KMS re-encryption decrypts under one key and encrypts under another;
    // the KMS API reference requires both halves (not a ReEncrypt* wildcard).
    needs("kms", "ReEncrypt", &["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
    // Lambda's data event is named after the API call, the permission after
    // the function.
    needs("lambda", "Invoke", &["lambda:InvokeFunction"]),
    // STS documents that GetCallerIdentity needs no permission (a deny does
    // not stop it) and that policies cannot control GetSessionToken.
    no_permission("sts", "GetCallerIdentity"),
    no_permission("sts", "GetSessionToken"),
    // Console sign-in records (eventType AwsConsoleSignIn) are not API calls
    // authorized by identity policies.
    no_permission("signin", "ConsoleLogin"),
    no_permission("signin", "CheckMfa"),
    no_permission("signin", "SwitchRole"),
    no_permission("signin", "ExitRole"),
    no_permission("signin", "RenewRole"),
    no_permission("signin", "PasswordUpdated"),
    // Identity Center / console sign-in flow events (CloudTrail User Guide,
    // "AWS sign-in events"): records of authentication, not authorized calls.
    no_permission("signin", "CredentialChallenge"),
    no_permission("signin", "CredentialVerification"),
    no_permission("signin", "UserAuthentication"),
];

fn curated(prefix: &str, event_name: &str) -> Option<&'static Curated> {
    CURATED
        .iter()
        .find(|rule| rule.prefix == prefix && rule.event_name.eq_ignore_ascii_case(event_name))
}

fn curated_mapping(rule: &Curated) -> Mapping {
    if rule.actions.is_empty() {
        let display = format!("{}:{}", rule.prefix, rule.event_name);
        return Mapping::new(vec![display], false, MappingSource::Curated);
    }
    let actions = rule.actions.iter().map(|a| (*a).to_owned()).collect();
    Mapping::new(actions, true, MappingSource::Curated)
}

// ---------------------------------------------------------------------------
// Rule 4: the reference's operation data.

/// Action-name endings that mark a situational companion of the main action:
/// needed only for some request parameters (a version id, ACL, tags, legal
/// hold or retention settings), never for the plain call.
const SITUATIONAL_ENDINGS: &[&str] = &["tagging", "acl", "legalhold", "retention", "version"];

/// Actions that are only ever checked because of a parameter (passing a role).
const SITUATIONAL_ACTIONS: &[&str] = &["iam:PassRole"];

/// Picks, from an operation's `AuthorizedActions`, the action(s) the call
/// itself needs.
///
/// The reference lists the union of everything a call may check (for S3
/// GetObject also GetObjectVersion, GetObjectTagging, GetObjectLegalHold,
/// GetObjectRetention and s3-object-lambda:GetObject); granting all of it
/// over-grants. In order:
///
/// 1. the action of the event's own prefix spelled like the event;
/// 2. else the only action of the event's own prefix;
/// 3. else, with none of the own prefix (e.g. the `opensearch` operations
///    authorize `es:` actions), an action of any prefix spelled like the
///    event, else the only action;
/// 4. else the candidates (own-prefix actions if any, otherwise all) minus
///    situational ones: names ending in Tagging, Acl, LegalHold, Retention or
///    Version, and iam:PassRole; if that removes everything, keep them all.
fn primary_actions<'a>(prefix: &str, event_name: &str, authorized: &'a [Box<str>]) -> Vec<&'a str> {
    let all: Vec<&'a str> = authorized.iter().map(|a| &**a).collect();
    let own: Vec<&'a str> = all
        .iter()
        .copied()
        .filter(|a| split_action(a).0 == prefix)
        .collect();
    if let Some(same) = same_named(&own, event_name) {
        return vec![same];
    }
    if own.len() == 1 {
        return own;
    }
    let candidates = if own.is_empty() {
        if let Some(same) = same_named(&all, event_name) {
            return vec![same];
        }
        all
    } else {
        own
    };
    if candidates.len() <= 1 {
        return candidates;
    }
    let essential: Vec<&'a str> = candidates
        .iter()
        .copied()
        .filter(|a| !is_situational(a))
        .collect();
    if essential.is_empty() {
        candidates
    } else {
        essential
    }
}

fn same_named<'a>(actions: &[&'a str], event_name: &str) -> Option<&'a str> {
    actions
        .iter()
        .copied()
        .find(|a| split_action(a).1.eq_ignore_ascii_case(event_name))
}

/// `service:Action` → (`service`, `Action`).
fn split_action(full_name: &str) -> (&str, &str) {
    full_name.split_once(':').unwrap_or(("", full_name))
}

fn is_situational(full_name: &str) -> bool {
    let name = split_action(full_name).1;
    is_parameter_driven(full_name)
        || SITUATIONAL_ENDINGS
            .iter()
            .any(|ending| ends_with_ignore_case(name, ending))
}

fn is_parameter_driven(full_name: &str) -> bool {
    SITUATIONAL_ACTIONS.contains(&full_name)
}

fn ends_with_ignore_case(text: &str, ending: &str) -> bool {
    text.len() >= ending.len()
        && text.as_bytes()[text.len() - ending.len()..].eq_ignore_ascii_case(ending.as_bytes())
}

/// Resolves one (prefix, suffix-free name) pair by rules 3 to 5. Used both
/// to fill the tables and for cache misses, so both agree by construction.
fn resolve(catalog: Option<&Catalog>, prefix: &str, event_name: &str) -> Mapping {
    if let Some(rule) = curated(prefix, event_name) {
        return curated_mapping(rule);
    }
    if let Some(service) = catalog.and_then(|c| c.service(prefix)) {
        if let Some(operation) = service.operation(event_name) {
            let picked = primary_actions(prefix, event_name, operation.authorized_actions());
            if !picked.is_empty() {
                let actions = picked.into_iter().map(str::to_owned).collect();
                return Mapping::new(actions, true, MappingSource::Catalog);
            }
        }
        if let Some(action) = service.action(event_name) {
            let full_name = format!("{}:{}", service.prefix(), action.name());
            return Mapping::new(vec![full_name], true, MappingSource::SameName);
        }
    }
    Mapping::new(
        vec![format!("{prefix}:{event_name}")],
        true,
        MappingSource::Fallback,
    )
}

// ---------------------------------------------------------------------------
// The mapper.

/// Maps CloudTrail events to IAM actions; build once, share everywhere.
#[derive(Debug)]
pub struct ActionMapper {
    catalog: Option<Arc<Catalog>>,
    /// eventSource → its prefix's table and suffix rule.
    sources: FastMap<Box<str>, SourceEntry>,
    /// One table per IAM prefix: suffix-free event name → mapping.
    tables: Vec<FastMap<Box<str>, Mapping>>,
    /// prefix → actions that some operation or curated rule maps to.
    reachable: HashMap<Box<str>, HashSet<Box<str>>>,
    cache: FallbackCache,
}

#[derive(Clone, Copy, Debug)]
struct SourceEntry {
    table: usize,
    suffix: VersionSuffix,
}

impl ActionMapper {
    /// Builds the lookup tables. With `None`, only the curated rules and the
    /// `prefix:EventName` fallback are available.
    pub fn new(catalog: Option<Arc<Catalog>>) -> ActionMapper {
        let mut builder = TableBuilder::new(catalog.as_deref());
        for source in known_sources(catalog.as_deref()) {
            let table = builder.table_for(source_to_prefix(&source));
            let suffix = VersionSuffix::for_source(&source);
            builder
                .sources
                .insert(source.into_boxed_str(), SourceEntry { table, suffix });
        }
        ActionMapper {
            sources: builder.sources,
            tables: builder.tables,
            reachable: builder.reachable,
            catalog,
            cache: FallbackCache::default(),
        }
    }

    /// The IAM actions a CloudTrail event needed.
    ///
    /// Known pairs (exact spelling) are served from the tables; anything
    /// else, including an odd letter case, is resolved by the same rules once
    /// and then served from the cache. Allocation-free except on the first
    /// sight of an unknown pair.
    pub fn map(&self, event_source: &str, event_name: &str) -> &Mapping {
        if let Some(entry) = self.sources.get(event_source) {
            let name = entry.suffix.strip(event_name);
            if let Some(mapping) = self.tables[entry.table].get(name) {
                return mapping;
            }
        }
        self.cache.get_or_insert_with(event_source, event_name, || {
            let name = strip_version_suffix(event_source, event_name);
            resolve(
                self.catalog.as_deref(),
                source_to_prefix(event_source),
                name,
            )
        })
    }

    /// Whether a catalog backs the mapper; without one every mapping outside
    /// the curated table is a [`MappingSource::Fallback`].
    pub fn has_catalog(&self) -> bool {
        self.catalog.is_some()
    }

    /// The catalog, if any.
    pub fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_deref()
    }

    /// Whether a catalog action can only be granted, never observed: no
    /// operation or curated rule maps any event to it (e.g. `iam:PassRole`,
    /// or `s3:GetObjectVersion`, which depends on request parameters). Such
    /// actions can be neither confirmed nor ruled out as used from event
    /// names alone.
    ///
    /// False when unknown: without a catalog, for actions not in it, and for
    /// services whose reference has no operation data (there every action
    /// may be an API call of the same name).
    pub fn is_permission_only(&self, action: &str) -> bool {
        let Some(found) = self.catalog.as_deref().and_then(|c| c.action(action)) else {
            return false;
        };
        if found.service().operations().is_empty() {
            return false;
        }
        !self
            .reachable
            .get(found.prefix())
            .is_some_and(|names| names.contains(found.name()))
    }

    /// How many distinct unknown pairs have been resolved and cached so far.
    pub fn cached_fallbacks(&self) -> usize {
        self.cache.len()
    }
}

/// Every event source whose table is worth building: each catalog service's
/// default host, the non-default hosts, and the curated prefixes' hosts.
fn known_sources(catalog: Option<&Catalog>) -> Vec<String> {
    let mut sources: Vec<String> = NON_DEFAULT_SOURCES
        .iter()
        .map(|(s, _)| (*s).to_owned())
        .collect();
    let prefixes = catalog
        .into_iter()
        .flat_map(Catalog::services)
        .chain(CURATED.iter().map(|rule| rule.prefix));
    sources.extend(prefixes.map(|prefix| format!("{prefix}{AWS_HOST_SUFFIX}")));
    sources.sort_unstable();
    sources.dedup();
    sources
}

/// Collects the per-prefix tables during construction.
struct TableBuilder<'c> {
    catalog: Option<&'c Catalog>,
    sources: FastMap<Box<str>, SourceEntry>,
    tables: Vec<FastMap<Box<str>, Mapping>>,
    table_of_prefix: HashMap<String, usize>,
    reachable: HashMap<Box<str>, HashSet<Box<str>>>,
}

impl<'c> TableBuilder<'c> {
    fn new(catalog: Option<&'c Catalog>) -> TableBuilder<'c> {
        TableBuilder {
            catalog,
            sources: FastMap::default(),
            tables: Vec::new(),
            table_of_prefix: HashMap::new(),
            reachable: HashMap::new(),
        }
    }

    /// The table for a prefix, built on first use and shared by all sources
    /// with that prefix.
    fn table_for(&mut self, prefix: &str) -> usize {
        if let Some(&index) = self.table_of_prefix.get(prefix) {
            return index;
        }
        let table = self.build_table(prefix);
        self.tables.push(table);
        let index = self.tables.len() - 1;
        self.table_of_prefix.insert(prefix.to_owned(), index);
        index
    }

    fn build_table(&mut self, prefix: &str) -> FastMap<Box<str>, Mapping> {
        let service = self.catalog.and_then(|c| c.service(prefix));
        // Names an event can carry: curated ones and operation names (which
        // also define what is reachable), then action names.
        let call_names = CURATED
            .iter()
            .filter(|rule| rule.prefix == prefix)
            .map(|rule| rule.event_name)
            .chain(
                service
                    .into_iter()
                    .flat_map(|s| s.operations().iter().map(|o| o.name())),
            );
        let mut table = FastMap::default();
        for name in call_names {
            let mapping = resolve(self.catalog, prefix, name);
            if mapping.needs_permission {
                self.mark_reachable(&mapping);
            }
            table.insert(Box::from(name), mapping);
        }
        for action in service.into_iter().flat_map(|s| s.actions()) {
            if !table.contains_key(action.name()) {
                table.insert(
                    Box::from(action.name()),
                    resolve(self.catalog, prefix, action.name()),
                );
            }
        }
        table.shrink_to_fit();
        table
    }

    /// Records the actions events map to. iam:PassRole is skipped: it is
    /// checked because of a parameter even where AWS lists nothing else
    /// (Lambda's old `AddEventSource`), so no event name implies it.
    fn mark_reachable(&mut self, mapping: &Mapping) {
        let implied = mapping.actions.iter().filter(|a| !is_parameter_driven(a));
        for full_name in implied {
            if let Some((prefix, name)) = full_name.split_once(':') {
                self.reachable
                    .entry(Box::from(prefix))
                    .or_default()
                    .insert(Box::from(name));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The cache for pairs the tables do not cover.

/// Memoizes mappings for unknown pairs so repeats do not allocate.
///
/// Mappings live in an append-only arena of `OnceLock` slots that never
/// move, which lets `map` hand out `&Mapping` tied to `&self` without
/// `unsafe` or leaking. The index (source → name → slot) sits behind one
/// `RwLock`: hits take the read lock only; a miss resolves outside any lock,
/// then takes the write lock briefly to publish. Unknown pairs are rare in
/// practice (new APIs, non-AWS sources), so a single lock was chosen over
/// sharding.
#[derive(Debug, Default)]
struct FallbackCache {
    index: RwLock<CacheIndex>,
    arena: Arena,
    /// Returned only if the arena is full (about 4 billion distinct pairs),
    /// which memory would not allow first.
    exhausted: OnceLock<Mapping>,
}

#[derive(Debug, Default)]
struct CacheIndex {
    slots: FastMap<Box<str>, FastMap<Box<str>, usize>>,
    len: usize,
}

impl CacheIndex {
    fn get(&self, source: &str, name: &str) -> Option<usize> {
        self.slots.get(source)?.get(name).copied()
    }
}

impl FallbackCache {
    fn get_or_insert_with(
        &self,
        source: &str,
        name: &str,
        make: impl FnOnce() -> Mapping,
    ) -> &Mapping {
        let hit = self.read_index().get(source, name);
        if let Some(mapping) = hit.and_then(|slot| self.arena.get(slot)) {
            return mapping;
        }
        let mapping = make();
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have published the pair meanwhile.
        let slot = match index.get(source, name) {
            Some(slot) => slot,
            None => {
                let slot = index.len;
                index.len += 1;
                index
                    .slots
                    .entry(Box::from(source))
                    .or_default()
                    .insert(Box::from(name), slot);
                slot
            }
        };
        // Filled while the write lock is held, so readers that find the slot
        // in the index always find it filled.
        let filled = self.arena.fill(slot, mapping);
        drop(index);
        filled.unwrap_or_else(|| self.exhausted.get_or_init(exhausted_mapping))
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, CacheIndex> {
        // The index is only changed by complete inserts, so a panic elsewhere
        // cannot leave it inconsistent: ignore poisoning.
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.read_index().len
    }
}

fn exhausted_mapping() -> Mapping {
    Mapping::new(Vec::new(), true, MappingSource::Fallback)
}

/// Slots in chunks of 64, 128, 256, ... allocated on first use.
const FIRST_CHUNK: usize = 64;
const CHUNKS: usize = 26;

/// An append-only arena: a slot, once filled, keeps its address and value
/// for the arena's lifetime.
#[derive(Debug)]
struct Arena {
    chunks: [OnceLock<Box<[OnceLock<Mapping>]>>; CHUNKS],
}

impl Default for Arena {
    fn default() -> Arena {
        Arena {
            chunks: [const { OnceLock::new() }; CHUNKS],
        }
    }
}

impl Arena {
    /// (chunk, offset) of a slot: chunk `k` holds `FIRST_CHUNK << k` slots
    /// starting at `FIRST_CHUNK * (2^k - 1)`.
    fn position(slot: usize) -> (usize, usize) {
        let n = slot / FIRST_CHUNK + 1;
        let chunk = n.ilog2() as usize;
        (chunk, slot - FIRST_CHUNK * ((1 << chunk) - 1))
    }

    fn get(&self, slot: usize) -> Option<&Mapping> {
        let (chunk, offset) = Arena::position(slot);
        self.chunks.get(chunk)?.get()?.get(offset)?.get()
    }

    fn fill(&self, slot: usize, mapping: Mapping) -> Option<&Mapping> {
        let (chunk, offset) = Arena::position(slot);
        let slots = self
            .chunks
            .get(chunk)?
            .get_or_init(|| (0..FIRST_CHUNK << chunk).map(|_| OnceLock::new()).collect());
        Some(slots.get(offset)?.get_or_init(|| mapping))
    }
}

/// The mapper is shared across rayon workers.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ActionMapper>();
    assert_send_sync::<Mapping>();
};

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rayon::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::testutil::{cloudtrail_fact, real_catalog};

    fn real_mapper() -> ActionMapper {
        ActionMapper::new(Some(real_catalog()))
    }

    fn actions(mapping: &Mapping) -> Vec<&str> {
        mapping.actions.iter().map(|a| &**a).collect()
    }

    // -- Without data -------------------------------------------------------

    #[test]
    fn source_prefixes() {
        assert_eq!(source_to_prefix("s3.amazonaws.com"), "s3");
        assert_eq!(source_to_prefix("monitoring.amazonaws.com"), "cloudwatch");
        assert_eq!(source_to_prefix("email.amazonaws.com"), "ses");
        assert_eq!(source_to_prefix("tagging.amazonaws.com"), "tag");
        assert_eq!(
            source_to_prefix("streams.dynamodb.amazonaws.com"),
            "dynamodb"
        );
        assert_eq!(source_to_prefix("runtime.lex.amazonaws.com"), "lex");
        assert_eq!(source_to_prefix("models.lex.amazonaws.com"), "lex");
        assert_eq!(source_to_prefix("appstream2.amazonaws.com"), "appstream");
        assert_eq!(
            source_to_prefix("mturk-requester.amazonaws.com"),
            "mechanicalturk"
        );
        assert_eq!(
            source_to_prefix("pinpoint.amazonaws.com"),
            "mobiletargeting"
        );
        assert_eq!(source_to_prefix("rdsdata.amazonaws.com"), "rds-data");
        assert_eq!(source_to_prefix("opensearchservice.amazonaws.com"), "es");
        assert_eq!(source_to_prefix("pricelist.amazonaws.com"), "pricing");
        assert_eq!(
            source_to_prefix("access-analyzer.amazonaws.com"),
            "access-analyzer"
        );
        // Not an AWS host: kept whole.
        assert_eq!(source_to_prefix("custom.example.com"), "custom.example.com");
        assert_eq!(source_to_prefix(".amazonaws.com"), ".amazonaws.com");
        assert_eq!(source_to_prefix(""), "");
    }

    #[test]
    fn version_suffixes_are_stripped_only_where_date_shaped() {
        let lambda = |name| strip_version_suffix("lambda.amazonaws.com", name);
        let cloudfront = |name| strip_version_suffix("cloudfront.amazonaws.com", name);
        assert_eq!(lambda("ListFunctions20150331"), "ListFunctions");
        assert_eq!(
            lambda("GetFunctionConfiguration20150331v2"),
            "GetFunctionConfiguration"
        );
        assert_eq!(
            lambda("UpdateFunctionCode20150331v12"),
            "UpdateFunctionCode"
        );
        assert_eq!(lambda("ListFunctions"), "ListFunctions");
        assert_eq!(lambda("Invoke"), "Invoke");
        assert_eq!(lambda("List123456789"), "List123456789"); // nine digits
        assert_eq!(lambda("List2015033"), "List2015033"); // seven digits
        assert_eq!(lambda("List20150331v"), "List20150331v"); // revision without number
        assert_eq!(lambda("20150331"), "20150331"); // no base
        assert_eq!(lambda("GetS320150331"), "GetS320150331"); // base must be letters
        assert_eq!(lambda("Fov20150331"), "Fov");
        assert_eq!(
            cloudfront("UpdateDistribution2019_03_26"),
            "UpdateDistribution"
        );
        assert_eq!(
            cloudfront("UpdateDistribution2016_11_25"),
            "UpdateDistribution"
        );
        assert_eq!(
            cloudfront("GetDistribution2019-03-26"),
            "GetDistribution2019-03-26"
        );
        assert_eq!(cloudfront("_2019_03_26"), "_2019_03_26");
        assert_eq!(cloudfront("2019_03_26"), "2019_03_26");
        assert_eq!(cloudfront("ListDistributions"), "ListDistributions");
        // Other services never lose digits.
        assert_eq!(
            strip_version_suffix("connect.amazonaws.com", "GetMetricDataV2"),
            "GetMetricDataV2"
        );
        assert_eq!(
            strip_version_suffix("datasync.amazonaws.com", "CreateLocationS3"),
            "CreateLocationS3"
        );
        assert_eq!(
            strip_version_suffix("s3.amazonaws.com", "ListFunctions20150331"),
            "ListFunctions20150331"
        );
        assert_eq!(lambda("GetMetricDataV2"), "GetMetricDataV2");
    }

    #[test]
    fn primary_action_heuristic() {
        let boxed = |names: &[&str]| {
            names
                .iter()
                .map(|n| Box::from(*n))
                .collect::<Vec<Box<str>>>()
        };
        let pick = |prefix, name, list: &[&str]| {
            let list = boxed(list);
            primary_actions(prefix, name, &list)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let get = [
            "s3:GetObject",
            "s3-object-lambda:GetObject",
            "s3:GetObjectTagging",
            "s3:GetObjectVersion",
        ];
        assert_eq!(pick("s3", "GetObject", &get), ["s3:GetObject"]);
        assert_eq!(
            pick("sns", "PublishBatch", &["sns:Publish"]),
            ["sns:Publish"]
        );
        assert_eq!(pick("x", "Op", &["x:A", "iam:PassRole"]), ["x:A"]);
        assert_eq!(
            pick("opensearch", "GetIndex", &["es:GetIndex", "es:Other"]),
            ["es:GetIndex"]
        );
        assert_eq!(pick("x", "Op", &["y:A", "iam:PassRole"]), ["y:A"]);
        assert_eq!(
            pick("x", "Op", &["x:A", "x:B", "x:BTagging"]),
            ["x:A", "x:B"]
        );
        assert_eq!(pick("x", "Op", &["x:AAcl", "x:BAcl"]), ["x:AAcl", "x:BAcl"]);
        assert!(pick("x", "Op", &[]).is_empty());
    }

    #[test]
    fn without_catalog_uses_rules() {
        let mapper = ActionMapper::new(None);
        assert!(!mapper.has_catalog());
        let list = mapper.map("s3.amazonaws.com", "ListObjects");
        assert_eq!(
            (actions(list), list.source),
            (vec!["s3:ListBucket"], MappingSource::Curated)
        );
        let describe = mapper.map("ec2.amazonaws.com", "DescribeInstances");
        assert_eq!(actions(describe), ["ec2:DescribeInstances"]);
        assert_eq!(describe.source, MappingSource::Fallback);
        assert_eq!(
            actions(mapper.map("lambda.amazonaws.com", "ListFunctions20150331")),
            ["lambda:ListFunctions"]
        );
        assert_eq!(
            actions(mapper.map("monitoring.amazonaws.com", "GetMetricData")),
            ["cloudwatch:GetMetricData"]
        );
        let whoami = mapper.map("sts.amazonaws.com", "GetCallerIdentity");
        assert!(!whoami.needs_permission);
        assert_eq!(actions(whoami), ["sts:GetCallerIdentity"]);
        assert!(!mapper.is_permission_only("iam:PassRole"));
    }

    #[test]
    fn unknown_pairs_are_cached_once() {
        let mapper = ActionMapper::new(None);
        let first = mapper.map("example.amazonaws.com", "DoThing");
        let again = mapper.map("example.amazonaws.com", "DoThing");
        assert!(std::ptr::eq(first, again));
        assert_eq!(actions(first), ["example:DoThing"]);
        assert_eq!(mapper.cached_fallbacks(), 1);
        mapper.map("example.amazonaws.com", "DoOtherThing");
        assert_eq!(mapper.cached_fallbacks(), 2);
    }

    #[test]
    fn cache_is_consistent_across_threads() {
        let mapper = ActionMapper::new(None);
        let names: Vec<String> = (0..2_000).map(|i| format!("Call{i}")).collect();
        (0..8).into_par_iter().for_each(|_| {
            for name in &names {
                let mapping = mapper.map("example.amazonaws.com", name);
                assert_eq!(
                    *mapping.actions,
                    [format!("example:{name}").into_boxed_str()]
                );
            }
        });
        assert_eq!(mapper.cached_fallbacks(), names.len());
    }

    #[test]
    fn arena_positions_tile_the_slots() {
        assert_eq!(Arena::position(0), (0, 0));
        assert_eq!(Arena::position(63), (0, 63));
        assert_eq!(Arena::position(64), (1, 0));
        assert_eq!(Arena::position(191), (1, 127));
        assert_eq!(Arena::position(192), (2, 0));
        let arena = Arena::default();
        for slot in 0..1_000 {
            let mapping = Mapping::new(vec![slot.to_string()], true, MappingSource::Fallback);
            assert!(arena.fill(slot, mapping).is_some());
        }
        assert_eq!(&*arena.get(777).unwrap().actions[0], "777");
        assert!(arena.get(1_000).is_none());
    }

    // -- With the facts and the real reference ------------------------------

    #[test]
    fn source_table_matches_facts() {
        let facts = cloudtrail_fact("event_source_map.json");
        let non_default = facts["non_default"].as_object().unwrap();
        let ours: BTreeSet<(&str, &str)> = NON_DEFAULT_SOURCES.iter().copied().collect();
        let theirs: BTreeSet<(&str, &str)> = non_default
            .iter()
            .map(|(s, p)| (s.as_str(), p.as_str().unwrap()))
            .collect();
        let extra: Vec<_> = ours.difference(&theirs).collect();
        assert_eq!(extra, [&("email.amazonaws.com", "ses")]);
        assert!(
            theirs.is_subset(&ours),
            "{:?}",
            theirs.difference(&ours).collect::<Vec<_>>()
        );
        let all = facts["event_source_to_prefix"].as_object().unwrap();
        assert_eq!(all.len(), 330);
        for (source, prefix) in all {
            assert_eq!(
                source_to_prefix(source),
                prefix.as_str().unwrap(),
                "{source}"
            );
        }
    }

    #[test]
    fn curated_actions_exist_in_catalog() {
        let catalog = real_catalog();
        for rule in CURATED {
            for action in rule.actions {
                let found = catalog
                    .action(action)
                    .unwrap_or_else(|| panic!("{action} not in catalog"));
                assert_eq!(found.to_string(), *action, "spelling of {action}");
            }
            if rule.actions.is_empty() && rule.prefix == "sts" {
                assert!(
                    catalog
                        .action(&format!("sts:{}", rule.event_name))
                        .is_some()
                );
            }
        }
    }

    /// The curated table only ever narrows what AWS lists for the operation.
    #[test]
    fn curated_actions_are_within_operation_data() {
        let catalog = real_catalog();
        let mut checked = 0;
        for rule in CURATED.iter().filter(|r| !r.actions.is_empty()) {
            let operation = catalog
                .service(rule.prefix)
                .and_then(|s| s.operation(rule.event_name));
            let Some(operation) = operation.filter(|o| !o.authorized_actions().is_empty()) else {
                continue;
            };
            checked += 1;
            for action in rule.actions {
                assert!(
                    operation
                        .authorized_actions()
                        .iter()
                        .any(|a| &**a == *action),
                    "{}:{} → {action} not in {:?}",
                    rule.prefix,
                    rule.event_name,
                    operation.authorized_actions()
                );
            }
        }
        assert!(checked >= 45, "{checked}");
    }

    #[test]
    fn named_cases_from_the_issue() {
        let mapper = real_mapper();
        assert!(mapper.has_catalog());
        let cases: &[(&str, &str, &[&str])] = &[
            ("s3.amazonaws.com", "ListObjects", &["s3:ListBucket"]),
            ("s3.amazonaws.com", "ListObjectsV2", &["s3:ListBucket"]),
            ("s3.amazonaws.com", "HeadObject", &["s3:GetObject"]),
            ("s3.amazonaws.com", "GetObject", &["s3:GetObject"]),
            (
                "s3.amazonaws.com",
                "CopyObject",
                &["s3:GetObject", "s3:PutObject"],
            ),
            (
                "s3.amazonaws.com",
                "PutBucketReplication",
                &["s3:PutReplicationConfiguration"],
            ),
            (
                "s3.amazonaws.com",
                "DeleteBucketCors",
                &["s3:PutBucketCORS"],
            ),
            (
                "lambda.amazonaws.com",
                "ListFunctions20150331",
                &["lambda:ListFunctions"],
            ),
            (
                "lambda.amazonaws.com",
                "GetFunctionConfiguration20150331v2",
                &["lambda:GetFunctionConfiguration"],
            ),
            ("lambda.amazonaws.com", "Invoke", &["lambda:InvokeFunction"]),
            (
                "cloudfront.amazonaws.com",
                "UpdateDistribution2019_03_26",
                &["cloudfront:UpdateDistribution"],
            ),
            (
                "kms.amazonaws.com",
                "ReEncrypt",
                &["kms:ReEncryptFrom", "kms:ReEncryptTo"],
            ),
            ("kms.amazonaws.com", "Decrypt", &["kms:Decrypt"]),
            (
                "monitoring.amazonaws.com",
                "GetMetricData",
                &["cloudwatch:GetMetricData"],
            ),
            (
                "ec2.amazonaws.com",
                "DescribeInstances",
                &["ec2:DescribeInstances"],
            ),
            ("ec2.amazonaws.com", "RunInstances", &["ec2:RunInstances"]),
            ("sns.amazonaws.com", "PublishBatch", &["sns:Publish"]),
            ("sts.amazonaws.com", "AssumeRole", &["sts:AssumeRole"]),
            ("dynamodb.amazonaws.com", "GetItem", &["dynamodb:GetItem"]),
            (
                "amplify.amazonaws.com",
                "CreateWebhook",
                &["amplify:CreateWebHook"],
            ),
            (
                "access-analyzer.amazonaws.com",
                "ListFindingsV2",
                &["access-analyzer:ListFindings"],
            ),
            (
                "connect.amazonaws.com",
                "GetMetricDataV2",
                &["connect:GetMetricDataV2"],
            ),
        ];
        for (source, name, expected) in cases {
            let mapping = mapper.map(source, name);
            assert_eq!(actions(mapping), *expected, "{source} {name}");
            assert!(mapping.needs_permission, "{source} {name}");
            assert_ne!(mapping.source, MappingSource::Fallback, "{source} {name}");
        }
        for (source, name) in [
            ("sts.amazonaws.com", "GetCallerIdentity"),
            ("signin.amazonaws.com", "ConsoleLogin"),
            ("signin.amazonaws.com", "SwitchRole"),
        ] {
            let mapping = mapper.map(source, name);
            assert!(!mapping.needs_permission, "{name}");
            assert_eq!(mapping.source, MappingSource::Curated);
        }
        assert_eq!(
            mapper.map("sts.amazonaws.com", "GetCallerIdentity").actions[0].as_ref(),
            "sts:GetCallerIdentity"
        );
        assert_eq!(
            mapper.map("ec2.amazonaws.com", "DescribeInstances").source,
            MappingSource::Catalog
        );
        assert_eq!(
            mapper.map("es.amazonaws.com", "CreateIndex").source,
            MappingSource::SameName
        );
        let unknown = mapper.map("ec2.amazonaws.com", "NoSuchCall");
        assert_eq!(
            (actions(unknown), unknown.source),
            (vec!["ec2:NoSuchCall"], MappingSource::Fallback)
        );
    }

    #[test]
    fn known_pairs_hit_the_tables() {
        let mapper = real_mapper();
        let plain = mapper.map("lambda.amazonaws.com", "ListFunctions");
        let dated = mapper.map("lambda.amazonaws.com", "ListFunctions20150331");
        assert!(std::ptr::eq(plain, dated));
        mapper.map("s3.amazonaws.com", "GetObject");
        mapper.map("monitoring.amazonaws.com", "GetMetricData");
        mapper.map("streams.dynamodb.amazonaws.com", "GetRecords");
        assert_eq!(mapper.cached_fallbacks(), 0);
        // An odd spelling is still resolved case-insensitively, via the cache.
        assert_eq!(
            actions(mapper.map("ec2.amazonaws.com", "describeinstances")),
            ["ec2:DescribeInstances"]
        );
        assert_eq!(mapper.cached_fallbacks(), 1);
    }

    #[test]
    fn permission_only_actions() {
        let mapper = real_mapper();
        assert!(mapper.is_permission_only("iam:PassRole"));
        assert!(mapper.is_permission_only("s3:GetObjectVersion"));
        assert!(!mapper.is_permission_only("s3:GetObject"));
        assert!(!mapper.is_permission_only("s3:ListBucket"));
        assert!(!mapper.is_permission_only("kms:ReEncryptTo"));
        assert!(!mapper.is_permission_only("nosuch:Action"));
    }

    /// The event source to try for a fact entry (null means the default host
    /// of the service; a list names every host of the product).
    fn entry_sources(entry: &Value) -> Vec<String> {
        match &entry["eventSource"] {
            Value::String(source) => vec![source.clone()],
            Value::Array(sources) => sources
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => vec![format!(
                "{}.amazonaws.com",
                entry["service"].as_str().unwrap()
            )],
        }
    }

    fn string_set(value: &Value) -> BTreeSet<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    }

    /// Every operation whose AuthorizedActions lack a same-named action. The
    /// facts list the full AuthorizedActions; we pick the needed subset.
    #[test]
    fn agreement_with_aws_derived_exceptions() {
        let mapper = real_mapper();
        let facts = cloudtrail_fact("cloudtrail_exceptions.json");
        let entries: Vec<&Value> = facts["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "aws-service-reference")
            .collect();
        assert_eq!(entries.len(), 472);
        let (mut exact, mut within, mut single, mut single_exact) = (0, 0, 0, 0);
        for entry in &entries {
            let name = entry["eventName"].as_str().unwrap();
            let reference = string_set(&entry["actions"]);
            let results: BTreeSet<BTreeSet<String>> = entry_sources(entry)
                .iter()
                .map(|source| {
                    mapper
                        .map(source, name)
                        .actions
                        .iter()
                        .map(|a| a.to_string())
                        .collect()
                })
                .collect();
            assert_eq!(results.len(), 1, "{name}: hosts disagree");
            let Some(got) = results.first() else { continue };
            exact += usize::from(*got == reference);
            within += usize::from(!got.is_empty() && got.is_subset(&reference));
            if reference.len() == 1 {
                single += 1;
                single_exact += usize::from(*got == reference);
            }
        }
        eprintln!(
            "aws-derived: {exact}/472 identical, {within}/472 a non-empty subset, \
             {single_exact}/{single} single-action entries identical"
        );
        assert_eq!(within, 472);
        assert_eq!(single_exact, single);
        assert_eq!(single, 346);
        assert!(exact >= 390, "{exact}");
    }

    /// The trailscraper entries, with the cases where we follow AWS instead.
    #[test]
    fn agreement_with_curated_exceptions() {
        let mapper = real_mapper();
        let facts = cloudtrail_fact("cloudtrail_exceptions.json");
        let deliberate: &[(&str, &[&str])] = &[
            // Trailscraper grants only the write; a copy also reads.
            ("CopyObject", &["s3:GetObject", "s3:PutObject"]),
            ("UploadPartCopy", &["s3:GetObject", "s3:PutObject"]),
            // Trailscraper's DeleteReplicationConfiguration does not exist.
            ("PutBucketReplication", &["s3:PutReplicationConfiguration"]),
            (
                "DeleteBucketReplication",
                &["s3:PutReplicationConfiguration"],
            ),
            // Trailscraper's ReEncrypt* wildcard over-grants.
            ("ReEncrypt", &["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
        ];
        let (mut compared, mut agreed) = (0, 0);
        for entry in facts["entries"].as_array().unwrap() {
            if entry["source"] == "aws-service-reference" || entry["eventName"] == "*" {
                continue; // "*" is the API Gateway verb rule, not an event name.
            }
            let (source, name) = (
                entry["eventSource"].as_str().unwrap(),
                entry["eventName"].as_str().unwrap(),
            );
            let mapping = mapper.map(source, name);
            let got: BTreeSet<String> = if mapping.needs_permission {
                mapping.actions.iter().map(|a| a.to_string()).collect()
            } else {
                BTreeSet::new()
            };
            compared += 1;
            match deliberate.iter().find(|(event, _)| *event == name) {
                Some((_, ours)) => {
                    assert_eq!(got, ours.iter().map(|a| a.to_string()).collect(), "{name}")
                }
                None => {
                    assert_eq!(got, string_set(&entry["actions"]), "{source} {name}");
                    agreed += 1;
                }
            }
        }
        eprintln!(
            "trailscraper: {agreed}/{compared} identical, {} deliberate deviations",
            compared - agreed
        );
        assert_eq!((compared, agreed), (51, 46));
    }
}
