//! Who called what: the per-principal, per-action usage table.
//!
//! [`Usage`] is the fold state of the parallel scan: each rayon worker fills
//! its own from the events it decodes, and [`Usage::merge`] combines them.
//! Every field merges with an order-independent operation (sums, min/max,
//! bounded sets, maps keyed by name), so the result is the same for any
//! thread count and file order. Maps are hashed while scanning and sorted
//! only when the report is built.
//!
//! Sessions are kept per access key id, and the credentials STS issued
//! (`AssumeRole*`, `GetFederationToken`, ...) are kept per access key id too,
//! so attribution can join a session's calls to whoever opened it (IAM User
//! Guide: subsequent calls carry the AssumeRole response's access key id).
//! Sessions with no call for a day are packed into bytes ([`packed`]), so
//! the many sessions of a long trail cost about a seventh of what open ones
//! do; so are credentials issued over a day before ([`packed_issued`]).
//! Past a budget, packed records are spilled to a temporary file
//! ([`spill`]), so what the scan holds does not grow with the trail.

pub mod bounded;
pub mod packed;
mod packed_codec;
pub mod packed_issued;
pub mod spill;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cloudtrail::record::RequestParameters;
use crate::event::{Event, Mapping, MappingSource, Outcome, PrincipalKind, conditional_actions};
use crate::hash::FastMap;
use crate::source::SkippedInput;
use crate::time::Timestamp;

pub use bounded::{BoundedSet, DistinctCount, Smallest};
pub use packed::{PackedSessions, QUIET_AFTER, SessionList};
pub use packed_codec::{Codec, KeyCountCodec, List, Packed, RUN_BYTES, Spill};

/// The temporary keys an outside account's (or web identity provider's)
/// calls issued, each with the number of records that issued it, sorted by
/// key.
pub type IssuedKeyList = List<KeyCountCodec>;
pub use packed_issued::{IssuedList, PackedIssued};

/// Sample event ids kept per action.
pub const SAMPLE_EVENT_IDS: usize = 3;

/// Counts of calls by outcome, with first and last time seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Every call, whatever its outcome.
    pub calls: u64,
    /// Calls refused by authorization.
    pub denied: u64,
    /// Calls that failed otherwise.
    pub errors: u64,
    /// Earliest event time.
    pub first_seen: Option<Timestamp>,
    /// Latest event time.
    pub last_seen: Option<Timestamp>,
}

impl Counts {
    fn add(&mut self, outcome: Outcome, time: Option<Timestamp>) {
        self.calls += 1;
        match outcome {
            Outcome::Denied => self.denied += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Success => {}
        }
        self.see(time);
    }

    fn see(&mut self, time: Option<Timestamp>) {
        if let Some(t) = time {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.calls += other.calls;
        self.denied += other.denied;
        self.errors += other.errors;
        self.see(other.first_seen);
        self.see(other.last_seen);
    }

    /// Calls that succeeded.
    pub fn successes(&self) -> u64 {
        self.calls - self.denied - self.errors
    }
}

/// Usage of one action by one principal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionUsage {
    /// Calls by outcome and time.
    pub counts: Counts,
    /// False for calls that need no permission (`sts:GetCallerIdentity`).
    pub needs_permission: bool,
    /// How the action was derived from the event name.
    pub mapping: MappingSource,
    /// Regions called in.
    pub regions: BTreeSet<String>,
    /// Source IPs (bounded).
    pub source_ips: BoundedSet,
    /// User agents (bounded).
    pub user_agents: BoundedSet,
    /// Resources named by the events (bounded).
    pub resources: BoundedSet,
    /// The smallest few event ids, as evidence.
    pub sample_event_ids: Smallest,
    /// Resources of the successful calls, complete up to
    /// [`bounded::EXACT_CAP`]: what a least-privilege suggestion scopes to.
    pub allowed_resources: BoundedSet,
    /// Source IPs of the successful calls, complete up to
    /// [`bounded::EXACT_CAP`]: for `--condition source-ip`.
    pub allowed_source_ips: BoundedSet,
}

impl ActionUsage {
    fn new(
        ActionKind {
            needs_permission,
            mapping,
        }: ActionKind,
    ) -> Self {
        ActionUsage {
            counts: Counts::default(),
            needs_permission,
            mapping,
            regions: BTreeSet::new(),
            source_ips: BoundedSet::default(),
            user_agents: BoundedSet::default(),
            resources: BoundedSet::default(),
            sample_event_ids: Smallest::with_cap(SAMPLE_EVENT_IDS),
            allowed_resources: BoundedSet::with_cap(bounded::EXACT_CAP),
            allowed_source_ips: BoundedSet::with_cap(bounded::EXACT_CAP),
        }
    }

    /// Order-independent merge: when events of one action were mapped
    /// differently (e.g. `s3:GetObject` from GetObject and from CopyObject),
    /// the most trustworthy source is kept, and the action needs a
    /// permission if any of its calls did.
    fn merge(&mut self, other: ActionUsage) {
        self.counts.merge(&other.counts);
        self.needs_permission |= other.needs_permission;
        self.mapping = self.mapping.min(other.mapping);
        self.regions.extend(other.regions);
        self.source_ips.merge(&other.source_ips);
        self.user_agents.merge(&other.user_agents);
        self.resources.merge(&other.resources);
        self.sample_event_ids.merge(&other.sample_event_ids);
        self.allowed_resources.merge(&other.allowed_resources);
        self.allowed_source_ips.merge(&other.allowed_source_ips);
    }
}

/// Calls made with one access key (a role session, or a user's key).
///
/// There is one per session in the logs, so it is kept small: sorted
/// vectors instead of tree maps (a session has a handful of actions and
/// normally one name).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionUsage {
    /// Calls by outcome and time.
    pub counts: Counts,
    /// Session names seen, sorted (a key has one; more would be an anomaly).
    pub names: Vec<Box<str>>,
    /// Whether MFA was used, when recorded (any `true` wins).
    pub mfa: Option<bool>,
    /// Source identities carried, sorted.
    pub source_identities: Vec<Box<str>>,
    /// Calls per action, sorted by action.
    pub actions: Vec<(Box<str>, Counts)>,
}

/// Inserts into a sorted vector of names if absent.
fn insert_sorted(list: &mut Vec<Box<str>>, value: &str) {
    if let Err(at) = list.binary_search_by(|v| v.as_ref().cmp(value)) {
        list.reserve_exact(1);
        list.insert(at, value.into());
    }
}

impl SessionUsage {
    fn action_counts(&mut self, action: &str) -> &mut Counts {
        let at = match self
            .actions
            .binary_search_by(|(a, _)| a.as_ref().cmp(action))
        {
            Ok(at) => at,
            Err(at) => {
                // Grown as vectors grow: growing one at a time was 0.9% of
                // the scan's CPU time in `realloc`. The slack no longer
                // grows with the trail: a session quiet for a day is packed
                // (see [`Usage::pack_quiet`]).
                self.actions.insert(at, (action.into(), Counts::default()));
                at
            }
        };
        &mut self.actions[at].1
    }

    fn merge(&mut self, other: SessionUsage) {
        self.counts.merge(&other.counts);
        other
            .names
            .iter()
            .for_each(|n| insert_sorted(&mut self.names, n));
        self.mfa = merge_mfa(self.mfa, other.mfa);
        other
            .source_identities
            .iter()
            .for_each(|s| insert_sorted(&mut self.source_identities, s));
        for (action, counts) in &other.actions {
            self.action_counts(action).merge(counts);
        }
    }
}

fn merge_mfa(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x || y),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Everything one principal did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrincipalUsage {
    /// The principal's kind.
    pub kind: PrincipalKind,
    /// Accounts the principal belongs to (normally one).
    pub accounts: BTreeSet<String>,
    /// Events (one per record, whatever the number of actions).
    pub events: Counts,
    /// Usage per action.
    pub actions: FastMap<String, ActionUsage>,
    /// Usage per access key id, of the sessions still in use.
    pub sessions: FastMap<String, SessionUsage>,
    /// Sessions that went quiet, packed ([`Usage::pack_quiet`]).
    #[serde(default, skip_serializing_if = "PackedSessions::is_empty")]
    pub quiet_sessions: PackedSessions,
    /// Accounts that received its events.
    pub recipient_accounts: BTreeSet<String>,
    /// For an account seen only as `AWSAccount` (the role owner's copy of
    /// a cross-account AssumeRole) and for a web identity provider: the
    /// temporary keys its calls issued, with how many records issued each,
    /// so attribution can follow each key to whoever made the call.
    /// One record per issuing record, packed ([`packed_codec::Packed`]):
    /// there are as many as sessions opened from outside.
    pub issued_keys: Packed<KeyCountCodec>,
    /// Events an AWS service made for it (`invokedBy`) or raised
    /// (`AwsServiceEvent`).
    pub service_made: u64,
}

impl PrincipalUsage {
    fn new(kind: PrincipalKind) -> Self {
        PrincipalUsage {
            kind,
            accounts: BTreeSet::new(),
            events: Counts::default(),
            actions: FastMap::default(),
            sessions: FastMap::default(),
            quiet_sessions: PackedSessions::default(),
            recipient_accounts: BTreeSet::new(),
            issued_keys: Packed::default(),
            service_made: 0,
        }
    }

    fn merge(&mut self, other: PrincipalUsage) {
        self.events.merge(&other.events);
        self.accounts.extend(other.accounts);
        self.recipient_accounts.extend(other.recipient_accounts);
        self.service_made += other.service_made;
        self.issued_keys.append(other.issued_keys);
        for (name, action) in other.actions {
            match self.actions.get_mut(&name) {
                Some(mine) => mine.merge(action),
                None => {
                    self.actions.insert(name, action);
                }
            }
        }
        self.quiet_sessions.append(other.quiet_sessions);
        for (key, session) in other.sessions {
            match self.sessions.get_mut(&key) {
                Some(mine) => mine.merge(session),
                None => {
                    self.sessions.insert(key, session);
                }
            }
        }
    }
}

/// Temporary credentials issued by STS, as recorded by the issuing call.
/// Ordered field by field, so a choice between two records is total.
///
/// One is kept for every issued key to the end of the run (packed once a
/// day old, [`packed_issued`]), so the fields that repeat from key to key
/// (the call, the role, the caller, accounts, addresses) are shared
/// [`Arc`]s from the scan's [`Interner`], and the rest boxed strings without
/// spare capacity: together about a third of what plain `String`s cost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IssuedSession {
    /// The issued access key id (`ASIA...`).
    pub access_key_id: Box<str>,
    /// The STS call (`AssumeRole`, `AssumeRoleWithWebIdentity`, ...).
    #[serde(with = "shared_str")]
    pub via: Arc<str>,
    /// The role assumed, when any.
    #[serde(with = "shared_str::option")]
    pub role_arn: Option<Arc<str>>,
    /// The session's ARN from the response.
    pub session_arn: Option<Box<str>>,
    /// The session name asked for.
    pub session_name: Option<Box<str>>,
    /// The caller's principal key and kind.
    #[serde(with = "shared_str")]
    pub caller: Arc<str>,
    /// The caller's kind.
    pub caller_kind: PrincipalKind,
    /// The caller's account.
    #[serde(with = "shared_str::option")]
    pub caller_account: Option<Arc<str>>,
    /// The caller's unique id (`AIDA...`, `AROA...:session`), which is all
    /// CloudTrail shows of an outside caller.
    pub caller_principal_id: Option<Box<str>>,
    /// The caller's own access key, for role chains.
    pub caller_access_key_id: Option<Box<str>>,
    /// `sts:ExternalId` given.
    #[serde(with = "shared_str::option")]
    pub external_id: Option<Arc<str>>,
    /// Source identity set.
    #[serde(with = "shared_str::option")]
    pub source_identity: Option<Arc<str>>,
    /// MFA device given.
    #[serde(with = "shared_str::option")]
    pub mfa_serial: Option<Arc<str>>,
    /// When.
    pub time: Option<Timestamp>,
    /// The issuing event's id.
    pub event_id: Option<Box<str>>,
    /// The account that received the issuing event.
    #[serde(with = "shared_str::option")]
    pub recipient_account: Option<Arc<str>>,
    /// Caller's source IP.
    #[serde(with = "shared_str::option")]
    pub source_ip: Option<Arc<str>>,
}

/// Record-level totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Records read from files.
    pub records: u64,
    /// Records counted as events (after filters and de-duplication).
    pub events: u64,
    /// Extra copies of an eventID already counted.
    pub duplicates: u64,
    /// Insights records skipped.
    pub insight_records: u64,
    /// Records outside `--since`/`--until` (or without a readable time while
    /// a window was asked for).
    pub outside_time_window: u64,
    /// Records of accounts or Regions not asked for.
    pub outside_account_or_region: u64,
    /// Counted events without a readable time.
    pub without_time: u64,
    /// Records whose shape could not be read, skipped.
    pub bad_records: u64,
    /// Events by `userIdentity.type` (`(none)` when absent).
    pub by_identity_type: BTreeMap<String, u64>,
    /// Events by `errorCode`.
    pub by_error_code: BTreeMap<String, u64>,
    /// `eventSource`s with data events (`eventCategory` `Data`): which
    /// data-plane actions this trail can observe at all.
    pub data_event_sources: BTreeSet<String>,
}

impl Totals {
    fn merge(&mut self, other: &Totals) {
        self.records += other.records;
        self.events += other.events;
        self.duplicates += other.duplicates;
        self.insight_records += other.insight_records;
        self.outside_time_window += other.outside_time_window;
        self.outside_account_or_region += other.outside_account_or_region;
        self.without_time += other.without_time;
        self.bad_records += other.bad_records;
        for (k, v) in &other.by_identity_type {
            *self.by_identity_type.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.by_error_code {
            *self.by_error_code.entry(k.clone()).or_default() += v;
        }
        for source in &other.data_event_sources {
            if !self.data_event_sources.contains(source) {
                self.data_event_sources.insert(source.clone());
            }
        }
    }
}

/// File-level totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTotals {
    /// Files decoded.
    pub files: u64,
    /// Bytes as stored.
    pub stored_bytes: u64,
    /// Bytes of JSON after decompression.
    pub json_bytes: u64,
    /// Files that could not be read, with the reason.
    pub failed: Vec<SkippedInput>,
    /// Files with some unreadable records: path and how many.
    pub with_bad_records: Vec<(String, u64)>,
}

impl FileTotals {
    fn merge(&mut self, other: FileTotals) {
        self.files += other.files;
        self.stored_bytes += other.stored_bytes;
        self.json_bytes += other.json_bytes;
        self.failed.extend(other.failed);
        self.with_bad_records.extend(other.with_bad_records);
    }
}

/// The whole usage aggregate. See the module docs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Usage per principal key.
    pub principals: FastMap<String, PrincipalUsage>,
    /// STS-issued credentials per access key id, of the last day.
    pub issued: BTreeMap<Box<str>, IssuedSession>,
    /// Older ones, packed ([`Usage::pack_quiet`]).
    #[serde(default, skip_serializing_if = "PackedIssued::is_empty")]
    pub settled_issued: PackedIssued,
    /// Record-level totals.
    pub totals: Totals,
    /// File-level totals.
    pub files: FileTotals,
    /// Events that mention the resource `vendortrail who` looks for.
    #[serde(skip)]
    pub touches: Vec<Touch>,
    /// Shared strings of the issued credentials.
    #[serde(skip)]
    strings: Interner,
}

/// One event that touched the resource `vendortrail who` looks for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Touch {
    /// `eventTime`.
    #[serde(serialize_with = "crate::usage::time_text")]
    pub time: Option<Timestamp>,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventSource`.
    pub event_source: String,
    /// `eventName`.
    pub event_name: String,
    /// The principal's key.
    pub principal: String,
    /// Its type.
    pub principal_type: PrincipalKind,
    /// The access key the call was signed with.
    pub access_key_id: Option<String>,
    /// `recipientAccountId`.
    pub account: Option<String>,
    /// `awsRegion`.
    pub region: Option<String>,
    /// `errorCode`, when the call failed.
    pub error_code: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
}

impl Touch {
    /// The touch of one event.
    pub fn of(event: &Event<'_>) -> Touch {
        let r = event.record;
        Touch {
            time: event.time,
            event_id: r.event_id.get().map(str::to_owned),
            event_source: event.event_source().to_owned(),
            event_name: event.event_name().to_owned(),
            principal: event.principal.arn.to_string(),
            principal_type: event.principal.kind,
            access_key_id: event.session.as_ref().map(|s| s.access_key_id.to_owned()),
            account: event.account.map(str::to_owned),
            region: event.region.map(str::to_owned),
            error_code: r.error_code.get().map(str::to_owned),
            source_ip: r.source_ip.get().map(str::to_owned),
        }
    }
}

/// Serializes an optional timestamp as RFC 3339.
pub(crate) fn time_text<S: serde::Serializer>(
    time: &Option<Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => serializer.serialize_str(&crate::time::format_rfc3339(*t)),
        None => serializer.serialize_none(),
    }
}

impl Usage {
    /// Counts one event with the actions it maps to (`None` for events that
    /// are no call, such as `AwsServiceEvent`).
    pub fn record(&mut self, event: &Event<'_>, mapping: Option<&Mapping>) {
        self.count_totals(event);
        let principal = match self.principals.get_mut(event.principal.arn.as_ref()) {
            Some(p) => p,
            None => self
                .principals
                .entry(event.principal.arn.to_string())
                .or_insert_with(|| PrincipalUsage::new(event.principal.kind)),
        };
        principal.events.add(event.outcome, event.time);
        // An AWS service acting for the principal (`invokedBy`), or an
        // event a service raised: not the principal's own doing.
        if event
            .record
            .user_identity
            .get()
            .is_some_and(|u| u.invoked_by.get().is_some())
            || event.record.event_type.get() == Some("AwsServiceEvent")
        {
            principal.service_made += 1;
        }
        if let Some(account) = event.principal.account
            && !principal.accounts.contains(account)
        {
            principal.accounts.insert(account.to_string());
        }
        if let Some(account) = event.account
            && !principal.recipient_accounts.contains(account)
        {
            principal.recipient_accounts.insert(account.to_string());
        }
        for (action, kind) in actions_of(event, mapping) {
            let usage = match principal.actions.get_mut(action) {
                Some(u) => {
                    // Deterministic whichever event came first (see merge).
                    u.needs_permission |= kind.needs_permission;
                    u.mapping = u.mapping.min(kind.mapping);
                    u
                }
                None => principal
                    .actions
                    .entry(action.to_string())
                    .or_insert_with(|| ActionUsage::new(kind)),
            };
            record_action(usage, event);
        }
        if let Some(session) = &event.session {
            let usage = match principal.sessions.get_mut(session.access_key_id) {
                Some(s) => s,
                None => principal
                    .sessions
                    .entry(session.access_key_id.to_string())
                    .or_default(),
            };
            record_session(usage, event, mapping);
        }
        if let Some(issued) = issued_session(event, &mut self.strings) {
            if matches!(
                event.principal.kind,
                PrincipalKind::AwsAccount | PrincipalKind::WebIdentity
            ) {
                principal
                    .issued_keys
                    .push(&(issued.access_key_id.to_string(), 1));
            }
            self.add_issued(issued);
        }
    }

    /// Packs the sessions whose last call came before `before` ([`packed`])
    /// and the credentials issued before it ([`packed_issued`]): what the
    /// scan holds as values is then what was in use lately, whatever the
    /// length of the trail.
    ///
    /// Past `run_bytes` of packed records, a buffer is spilled to the spill
    /// file ([`spill`]).
    pub fn pack_quiet(&mut self, before: Timestamp, run_bytes: usize) {
        let settled = &mut self.settled_issued;
        settled.set_run_bytes(run_bytes);
        self.issued.retain(|_, issued| {
            let old = issued.time.is_none_or(|t| t < before);
            if old {
                settled.push(issued);
            }
            !old
        });
        for principal in self.principals.values_mut() {
            let quiet = principal
                .sessions
                .extract_if(|_, s| s.counts.last_seen.is_none_or(|t| t < before));
            principal.quiet_sessions.set_run_bytes(run_bytes);
            principal.issued_keys.set_run_bytes(run_bytes);
            for (key, session) in quiet {
                principal
                    .quiet_sessions
                    .push(&packed::session_report(key, session));
            }
            // A burst of sessions leaves a large table behind.
            let open = principal.sessions.len();
            if principal.sessions.capacity() > 4 * open.max(16) {
                principal.sessions.shrink_to_fit();
            }
        }
        self.spill_over_budget(2 * run_bytes);
    }

    /// Spills the largest packed buffers until those held in memory take
    /// `budget` bytes at most: each buffer spills by itself past its own
    /// limit, but many principals each under it would add up.
    fn spill_over_budget(&mut self, budget: usize) {
        let mut buffers: Vec<&mut dyn Spill> = vec![&mut self.settled_issued];
        for principal in self.principals.values_mut() {
            buffers.push(&mut principal.quiet_sessions);
            buffers.push(&mut principal.issued_keys);
        }
        let mut held: usize = buffers.iter().map(|b| b.held_bytes()).sum();
        while held > budget {
            let Some(largest) = buffers.iter_mut().max_by_key(|b| b.held_bytes()) else {
                return;
            };
            let before = largest.held_bytes();
            largest.spill_held();
            let freed = before - largest.held_bytes();
            // Nothing left to spill, or spilling is off.
            if freed == 0 {
                return;
            }
            held -= freed;
        }
    }

    /// The time of the latest event counted, if any had one.
    pub fn latest_event_time(&self) -> Option<Timestamp> {
        self.principals
            .values()
            .filter_map(|p| p.events.last_seen)
            .max()
    }

    /// Keeps one issuing record per access key. A cross-account AssumeRole
    /// is logged in both accounts (same key, two eventIDs). The caller's
    /// own copy names the caller (its user or role ARN), the role owner's
    /// copy only its account (`AWSAccount`), so the named one is preferred;
    /// between equals, the smaller eventID. Either way the choice does not
    /// depend on the order the copies were read in.
    fn add_issued(&mut self, issued: IssuedSession) {
        match self.issued.get(&issued.access_key_id) {
            Some(mine) if packed_issued::is_preferred(mine, &issued) => {}
            _ => {
                self.issued.insert(issued.access_key_id.clone(), issued);
            }
        }
    }

    fn count_totals(&mut self, event: &Event<'_>) {
        self.totals.events += 1;
        if event.time.is_none() {
            self.totals.without_time += 1;
        }
        let kind = event
            .record
            .user_identity
            .get()
            .and_then(|u| u.kind.get())
            .unwrap_or("(none)");
        bump(&mut self.totals.by_identity_type, kind);
        if let Some(code) = event.record.error_code.get() {
            bump(&mut self.totals.by_error_code, code);
        }
        if event.record.event_category.get() == Some("Data") {
            let source = event.event_source();
            if !self.totals.data_event_sources.contains(source) {
                self.totals.data_event_sources.insert(source.to_owned());
            }
        }
    }

    /// Merges another worker's usage into this one.
    pub fn merge(&mut self, other: Usage) {
        for (key, principal) in other.principals {
            match self.principals.get_mut(&key) {
                Some(mine) => mine.merge(principal),
                None => {
                    self.principals.insert(key, principal);
                }
            }
        }
        for issued in other.issued.into_values() {
            self.add_issued(issued);
        }
        self.settled_issued.append(other.settled_issued);
        self.touches.extend(other.touches);
        self.totals.merge(&other.totals);
        self.files.merge(other.files);
    }
}

/// How an action of an event was derived.
#[derive(Debug, Clone, Copy)]
struct ActionKind {
    needs_permission: bool,
    mapping: MappingSource,
}

/// The actions an event counts under: the mapped ones, then those its
/// request adds ([`conditional_actions`]). `None` (an event that is no call)
/// has none.
fn actions_of<'m>(
    event: &Event<'_>,
    mapping: Option<&'m Mapping>,
) -> impl Iterator<Item = (&'m str, ActionKind)> {
    let mapped = mapping.into_iter().flat_map(|m| {
        let kind = ActionKind {
            needs_permission: m.needs_permission,
            mapping: m.source,
        };
        m.actions.iter().map(move |a| (a.as_ref(), kind))
    });
    let conditional = if mapping.is_some() {
        conditional_actions(event)
    } else {
        &[]
    };
    let extra = ActionKind {
        needs_permission: true,
        mapping: MappingSource::Curated,
    };
    mapped.chain(conditional.iter().map(move |a| (*a, extra)))
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

fn record_action(usage: &mut ActionUsage, event: &Event<'_>) {
    usage.counts.add(event.outcome, event.time);
    if let Some(region) = event.region
        && !usage.regions.contains(region)
    {
        usage.regions.insert(region.to_string());
    }
    if let Some(ip) = event.record.source_ip.get() {
        usage.source_ips.insert(ip);
    }
    if let Some(agent) = event.record.user_agent.get() {
        usage.user_agents.insert(agent);
    }
    // One pass over the resources: all of them describe the calls, the
    // exact ones of successful calls are what a suggestion may name.
    let succeeded = event.outcome == Outcome::Success;
    event.for_each_resource_exactness(|r, exact| {
        usage.resources.insert(r);
        if succeeded && exact {
            usage.allowed_resources.insert(r);
        }
    });
    if let Some(id) = event.record.event_id.get() {
        usage.sample_event_ids.insert(id);
    }
    if succeeded && let Some(ip) = event.record.source_ip.get() {
        usage.allowed_source_ips.insert(ip);
    }
}

fn record_session(usage: &mut SessionUsage, event: &Event<'_>, mapping: Option<&Mapping>) {
    usage.counts.add(event.outcome, event.time);
    let Some(session) = &event.session else {
        return;
    };
    if let Some(name) = session.name {
        insert_sorted(&mut usage.names, name);
    }
    usage.mfa = merge_mfa(usage.mfa, session.mfa);
    if let Some(source) = session.source_identity {
        insert_sorted(&mut usage.source_identities, source);
    }
    for (action, _) in actions_of(event, mapping) {
        usage.action_counts(action).add(event.outcome, event.time);
    }
}

/// STS calls that issue temporary credentials (IAM User Guide, "Compare AWS
/// STS credentials").
const ISSUING_CALLS: [&str; 6] = [
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetFederationToken",
    "GetSessionToken",
    "AssumeRoot",
];

fn issued_session(event: &Event<'_>, strings: &mut Interner) -> Option<IssuedSession> {
    let name = event.event_name();
    if event.event_source() != "sts.amazonaws.com" || !ISSUING_CALLS.contains(&name) {
        return None;
    }
    let response = event.record.response_elements()?;
    let key = response.credentials.get()?.access_key_id.get()?;
    let params = event.record.request_parameters.get();
    fn param<'p>(
        params: Option<&'p RequestParameters<'_>>,
        field: impl Fn(&'p RequestParameters<'_>) -> Option<&'p str>,
    ) -> Option<&'p str> {
        params.and_then(field)
    }
    let boxed = |s: Option<&str>| s.map(Box::from);
    let who = event.record.user_identity.get();
    let session_arn = response
        .assumed_role_user
        .get()
        .or(response.federated_user.get())
        .and_then(|u| u.arn.get());
    Some(IssuedSession {
        access_key_id: key.into(),
        via: strings.intern(name),
        role_arn: strings.intern_some(param(params, |p| p.role_arn.get())),
        session_arn: boxed(session_arn),
        session_name: boxed(param(params, |p| {
            p.role_session_name.get().or(p.name.get())
        })),
        caller: strings.intern(&event.principal.arn),
        caller_kind: event.principal.kind,
        caller_account: strings.intern_some(event.principal.account),
        caller_principal_id: boxed(who.and_then(|w| w.principal_id.get())),
        caller_access_key_id: boxed(event.session.as_ref().map(|s| s.access_key_id)),
        external_id: strings.intern_some(param(params, |p| p.external_id.get())),
        source_identity: strings.intern_some(param(params, |p| p.source_identity.get())),
        mfa_serial: strings.intern_some(param(params, |p| p.serial_number.get())),
        time: event.time,
        event_id: boxed(event.record.event_id.get()),
        recipient_account: strings.intern_some(event.account),
        source_ip: strings.intern_some(event.record.source_ip.get()),
    })
}

/// serde for shared strings, written as plain strings. (serde's own `rc`
/// feature would do, but turning it on rebuilds every crate that uses serde,
/// polars and the AWS SDK among them.)
mod shared_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(value: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        Ok(Arc::from(String::deserialize(deserializer)?))
    }

    /// The same for optional values.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use std::sync::Arc;

        pub fn serialize<S: Serializer>(
            value: &Option<Arc<str>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(text) => serializer.serialize_some(&**text),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Arc<str>>, D::Error> {
            Ok(Option::<String>::deserialize(deserializer)?.map(Arc::from))
        }
    }
}

/// Shares one allocation among equal strings of the records kept to the
/// end of the run ([`IssuedSession`]). Its strings live as long as a record
/// uses them; the interner only ever holds those already seen.
#[derive(Debug, Default, Clone)]
pub struct Interner(crate::hash::FastSet<Arc<str>>);

impl Interner {
    /// The shared copy of `text`.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    /// [`Interner::intern`] of a value that may be missing.
    pub fn intern_some(&mut self, text: Option<&str>) -> Option<Arc<str>> {
        text.map(|t| self.intern(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_strings_share_one_allocation() {
        let mut strings = Interner::default();
        let a = strings.intern("arn:aws:iam::111111111111:role/Vendor");
        let b = strings.intern("arn:aws:iam::111111111111:role/Vendor");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(strings.intern_some(None), None);
        assert!(!Arc::ptr_eq(&a, &strings.intern("other")));
    }

    #[test]
    fn sessions_quiet_before_the_mark_are_packed_and_the_rest_stay_open() {
        let session = |last: Option<i64>| SessionUsage {
            counts: Counts {
                calls: 1,
                first_seen: last,
                last_seen: last,
                ..Counts::default()
            },
            ..SessionUsage::default()
        };
        let mut role = PrincipalUsage::new(PrincipalKind::Role);
        role.sessions.insert("ASIAOLD".into(), session(Some(100)));
        role.sessions.insert("ASIANEW".into(), session(Some(200)));
        role.sessions.insert("ASIANOTIME".into(), session(None));
        let mut usage = Usage::default();
        usage
            .principals
            .insert("arn:aws:iam::1:role/R".into(), role);
        usage.pack_quiet(200, packed_codec::RUN_BYTES);
        let role = &usage.principals["arn:aws:iam::1:role/R"];
        let open: Vec<&str> = role.sessions.keys().map(String::as_str).collect();
        assert_eq!(open, ["ASIANEW"]);
        let mut packed: Vec<String> = role
            .quiet_sessions
            .iter()
            .map(|s| s.access_key_id)
            .collect();
        packed.sort();
        assert_eq!(packed, ["ASIANOTIME", "ASIAOLD"]);
        // A later call of a packed key opens it again; the report has one.
        let mut later = Usage::default();
        let mut again = PrincipalUsage::new(PrincipalKind::Role);
        again.sessions.insert("ASIAOLD".into(), session(Some(300)));
        later
            .principals
            .insert("arn:aws:iam::1:role/R".into(), again);
        usage.merge(later);
        let role = usage
            .principals
            .remove("arn:aws:iam::1:role/R")
            .expect("role");
        let open = role
            .sessions
            .into_iter()
            .map(|(k, s)| packed::session_report(k, s));
        let list = SessionList::build(role.quiet_sessions, open);
        let keys: Vec<(String, u64)> = list
            .iter()
            .map(|s| (s.access_key_id, s.counts.calls))
            .collect();
        assert_eq!(
            keys,
            [
                ("ASIANEW".into(), 1),
                ("ASIANOTIME".into(), 1),
                ("ASIAOLD".into(), 2)
            ]
        );
    }

    #[test]
    fn issued_sessions_round_trip_through_the_cache_format() {
        let mut strings = Interner::default();
        let issued = IssuedSession {
            access_key_id: "ASIAEXAMPLE".into(),
            via: strings.intern("AssumeRole"),
            role_arn: strings.intern_some(Some("arn:aws:iam::111111111111:role/Vendor")),
            session_arn: None,
            session_name: Some("job-1".into()),
            caller: strings.intern("222222222222"),
            caller_kind: PrincipalKind::AwsAccount,
            caller_account: strings.intern_some(Some("222222222222")),
            caller_principal_id: None,
            caller_access_key_id: None,
            external_id: strings.intern_some(Some("x-1")),
            source_identity: None,
            mfa_serial: None,
            time: Some(1_700_000_000),
            event_id: Some("e-1".into()),
            recipient_account: strings.intern_some(Some("111111111111")),
            source_ip: None,
        };
        let text = serde_json::to_string(&issued).expect("serialize");
        assert!(text.contains(r#""via":"AssumeRole""#), "{text}");
        assert!(text.contains(r#""source_ip":null"#), "{text}");
        let back: IssuedSession = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, issued);
    }
}
