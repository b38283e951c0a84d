//! The manifest: ground truth about a generated corpus.
//!
//! Counted while records are emitted (from the planner's own facts: caller,
//! operation, outcome), never re-derived from the written JSON, so tests that
//! decode the files check the writer against an independent source.
//! Duplicate deliveries are counted once. Definitions:
//! * `calls`: every record mapped to the action, whatever its outcome;
//! * `denied`: `errorCode` `AccessDenied*`, `*UnauthorizedOperation` or
//!   `VpceAccessDenied`; `errors`: any other non-empty `errorCode` (failed
//!   console sign-ins have only `errorMessage` and count as neither);
//! * events needing two actions (kms ReEncrypt, s3 CopyObject, AssumeRole
//!   with `sourceIdentity`) add one call to each action but one event;
//! * permission-free calls (sts GetCallerIdentity, sign-in events) are keyed
//!   `service:EventName` under `permissionless_actions`;
//! * `AwsServiceEvent` records by AWS services count in `events` and
//!   `service_events` only.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::event::Ev;
use super::ops::Access;
use super::time::rfc3339;

/// The options a corpus was generated with (without the output directory,
/// so manifests of equal corpora are byte-identical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestOptions {
    /// PRNG seed.
    pub seed: u64,
    /// First day, `[year, month, day]` UTC.
    pub start: (i32, u32, u32),
    /// Number of days.
    pub days: u32,
    /// Daily event budget.
    pub events_per_day: u64,
    /// Large payloads (benchmark corpus).
    pub padding: bool,
}

/// First and last `eventTime` of the unique log records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Earliest `eventTime`, `YYYY-MM-DDTHH:MM:SSZ`.
    pub first: String,
    /// Latest `eventTime`.
    pub last: String,
}

/// A corrupt input under `broken/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenFile {
    /// Path relative to the output directory.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A file in `aws cloudtrail lookup-events` output shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupEventsFile {
    /// Path relative to the output directory.
    pub path: String,
    /// `eventID`s it holds; every one also appears in the log files.
    pub event_ids: Vec<String>,
}

/// Per-action statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionStats {
    /// Records mapped to the action.
    pub calls: u64,
    /// Of which denied.
    pub denied: u64,
    /// Of which failed otherwise.
    pub errors: u64,
    /// Earliest `eventTime`.
    pub first_seen: String,
    /// Latest `eventTime`.
    pub last_seen: String,
}

/// One role session seen in the logs (sessions with an access key only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// `roleSessionName`.
    pub session_name: String,
    /// Records made with the session's key.
    pub events: u64,
    /// Caller account of the AssumeRole that issued it, when that is logged.
    pub opened_by_account: Option<String>,
    /// `mfaAuthenticated` of the session.
    pub mfa: bool,
}

/// One principal and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalEntry {
    /// `iam_user`, `role`, `root`, `federated_user`, `web_identity`, `saml`,
    /// `aws_account`, `aws_service` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `userIdentity.accountId` (for `aws_service`: `recipientAccountId`);
    /// the smallest when several occur, `null` when absent.
    pub account: Option<String>,
    /// Every account value seen, sorted.
    pub accounts: Vec<String>,
    /// Unique records.
    pub events: u64,
    /// Records denied.
    pub denied: u64,
    /// Records failed otherwise.
    pub errors: u64,
    /// `AwsServiceEvent` records (no action).
    pub service_events: u64,
    /// Regions seen.
    pub regions: Vec<String>,
    /// Earliest `eventTime`.
    pub first_seen: String,
    /// Latest `eventTime`.
    pub last_seen: String,
    /// IAM actions used.
    pub actions: BTreeMap<String, ActionStats>,
    /// Calls needing no permission, keyed `service:EventName`.
    pub permissionless_actions: BTreeMap<String, ActionStats>,
    /// Role sessions by access key ID (roles only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sessions: BTreeMap<String, SessionEntry>,
}

/// One vendor scenario and the activity attributed to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorEntry {
    /// Scenario name.
    pub name: String,
    /// `cross_account_role`, `role_chain`, `iam_user`, `web_identity`,
    /// `resource_policy` or `failed_assume_role`.
    pub kind: String,
    /// Outside accounts the vendor calls from.
    pub outside_accounts: Vec<String>,
    /// Our roles the vendor uses or is trusted by (ARNs).
    pub roles: Vec<String>,
    /// IAM users made for the vendor (ARNs).
    pub users: Vec<String>,
    /// ExternalId the vendor sends.
    pub external_id: Option<String>,
    /// Distinct temporary access keys the vendor's sessions used.
    pub expected_sessions: u64,
    /// Unique records made by the vendor: its AssumeRole calls (also
    /// failed ones), every call of sessions it opened (chained ones too) and
    /// calls with its IAM users.
    pub events_attributed: u64,
    /// Manifest principal keys that carry the vendor's activity.
    pub principals: Vec<String>,
    /// Risks planted in the scenario, by check id, that a vendor review
    /// must find (with the IAM exports): no ExternalId on a SaaS trust, a
    /// stale integration whose AssumeRole calls fail, a contractor without
    /// MFA, a trust nobody used. Derived from the scenario's own facts.
    #[serde(default)]
    pub planted_findings: Vec<String>,
}

/// Delivery traps planted in the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traps {
    /// Log files written as two concatenated gzip members.
    pub multi_member_gzip: Vec<String>,
    /// Records delivered more than 15 minutes after their `eventTime`.
    pub late_deliveries: u64,
    /// Log files whose records are not in `eventTime` order.
    pub unordered_files: u64,
    /// The first duplicated records and the files holding their copies.
    pub duplicate_samples: Vec<DuplicateSample>,
}

/// A record delivered twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateSample {
    /// Its `eventID`.
    pub event_id: String,
    /// The two log files holding it.
    pub files: Vec<String>,
}

/// Size of the log files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bytes {
    /// Uncompressed JSON bytes of all log files (duplicates included).
    pub log_json: u64,
    /// Gzip bytes of all log files.
    pub log_gzip: u64,
}

/// Ground truth of one generated corpus (`<out>/manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// PRNG seed.
    pub seed: u64,
    /// Generation options.
    pub options: ManifestOptions,
    /// Log files under `AWSLogs/…/CloudTrail/`.
    pub log_files: u64,
    /// Digest files.
    pub digest_files: u64,
    /// Insight files.
    pub insight_files: u64,
    /// Insight records (not counted in `records`).
    pub insight_records: u64,
    /// lookup-events output files.
    pub lookup_events_files: Vec<LookupEventsFile>,
    /// Corrupt inputs under `broken/`.
    pub broken_files: Vec<BrokenFile>,
    /// Unique records in the log files (insight records excluded).
    pub records: u64,
    /// Extra copies delivered (each duplicated record adds one).
    pub duplicate_deliveries: u64,
    /// Log file sizes.
    pub bytes: Bytes,
    /// Event time span.
    pub time_range: TimeRange,
    /// Unique records per `userIdentity.type` (`(none)` when it has no type).
    pub by_identity_type: BTreeMap<String, u64>,
    /// Unique records per `errorCode`.
    pub by_error_code: BTreeMap<String, u64>,
    /// Unique records per `eventCategory`.
    pub by_event_category: BTreeMap<String, u64>,
    /// Principals by key.
    pub principals: BTreeMap<String, PrincipalEntry>,
    /// Vendor scenarios.
    pub vendors: Vec<VendorEntry>,
    /// IAM exports (`iam/<acct>.json`).
    pub iam_exports: Vec<String>,
    /// Planted traps.
    pub traps: Traps,
}

/// Whether an `errorCode` is a denial (CIS metric-filter pattern plus VPC endpoint denials).
pub fn is_denied(code: &str) -> bool {
    code.starts_with("AccessDenied")
        || code.ends_with("UnauthorizedOperation")
        || code == "VpceAccessDenied"
}

/// Running statistics of one action.
#[derive(Debug, Clone, Copy, Default)]
struct ActionTally {
    /// Calls.
    calls: u64,
    /// Denied calls.
    denied: u64,
    /// Other failures.
    errors: u64,
    /// Earliest and latest time.
    span: (i64, i64),
}

impl ActionTally {
    /// Adds one call.
    fn add(&mut self, t: i64, denied: bool, error: bool) {
        self.span = if self.calls == 0 {
            (t, t)
        } else {
            (self.span.0.min(t), self.span.1.max(t))
        };
        self.calls += 1;
        self.denied += u64::from(denied);
        self.errors += u64::from(error);
    }

    /// The public form.
    fn entry(&self) -> ActionStats {
        ActionStats {
            calls: self.calls,
            denied: self.denied,
            errors: self.errors,
            first_seen: rfc3339(self.span.0),
            last_seen: rfc3339(self.span.1),
        }
    }
}

/// Running statistics of one principal.
#[derive(Debug, Clone, Default)]
struct PrincipalTally {
    /// Principal type.
    kind: &'static str,
    /// Accounts seen.
    accounts: BTreeSet<String>,
    /// All records as one tally (events, denied, errors, span).
    all: ActionTally,
    /// AwsServiceEvent records.
    service_events: u64,
    /// Regions seen.
    regions: BTreeSet<&'static str>,
    /// Region of the latest record.
    last_region: &'static str,
    /// Actions.
    actions: BTreeMap<&'static str, ActionTally>,
    /// Permission-free calls.
    permissionless: BTreeMap<&'static str, ActionTally>,
    /// Sessions.
    sessions: BTreeMap<String, SessionEntry>,
}

/// Running statistics of a vendor scenario.
#[derive(Debug, Clone, Default)]
struct VendorTally {
    /// Records.
    events: u64,
    /// Session keys.
    sessions: BTreeSet<String>,
    /// Principal keys.
    principals: BTreeSet<String>,
}

/// Counts records as they are emitted.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Unique records.
    pub(crate) records: u64,
    /// Extra copies.
    pub(crate) duplicates: u64,
    /// Records delivered > 15 minutes late.
    pub(crate) late: u64,
    /// Earliest and latest event time.
    span: Option<(i64, i64)>,
    /// By identity type.
    by_identity_type: BTreeMap<&'static str, u64>,
    /// By error code.
    by_error_code: BTreeMap<&'static str, u64>,
    /// By category.
    by_category: BTreeMap<&'static str, u64>,
    /// Principals.
    principals: BTreeMap<String, PrincipalTally>,
    /// Vendors.
    vendors: BTreeMap<&'static str, VendorTally>,
}

impl Tally {
    /// Counts one unique record.
    pub(crate) fn count(&mut self, ev: &Ev) {
        self.records += 1;
        self.span = Some(match self.span {
            None => (ev.time, ev.time),
            Some((a, b)) => (a.min(ev.time), b.max(ev.time)),
        });
        let c = &ev.caller;
        *self.by_identity_type.entry(c.itype).or_default() += 1;
        *self
            .by_category
            .entry(if ev.op.data { "Data" } else { "Management" })
            .or_default() += 1;
        let code = ev.failure.as_ref().and_then(|f| f.code);
        if let Some(code) = code {
            *self.by_error_code.entry(code).or_default() += 1;
        }
        let denied = code.is_some_and(is_denied);
        let error = code.is_some() && !denied;
        self.count_principal(ev, denied, error);
        if let Some(v) = c.vendor {
            let vt = self.vendors.entry(v).or_default();
            vt.events += 1;
            if !vt.principals.contains(&c.key) {
                vt.principals.insert(c.key.clone());
            }
            if let Some(s) = c
                .session
                .as_ref()
                .filter(|s| !vt.sessions.contains(&s.access_key_id))
            {
                vt.sessions.insert(s.access_key_id.clone());
            }
        }
    }

    /// Updates the principal entry of `ev`'s caller.
    fn count_principal(&mut self, ev: &Ev, denied: bool, error: bool) {
        let c = &ev.caller;
        if !self.principals.contains_key(&c.key) {
            self.principals
                .insert(c.key.clone(), PrincipalTally::default());
        }
        let Some(p) = self.principals.get_mut(&c.key) else {
            return;
        };
        p.kind = c.ptype;
        let account = match c.ptype {
            "aws_service" => Some(ev.account),
            _ => c.account,
        };
        if let Some(a) = account {
            p.accounts.insert(a.to_owned());
        }
        if ev.time >= p.all.span.1 || p.all.calls == 0 {
            p.last_region = ev.region;
        }
        p.all.add(ev.time, denied, error);
        p.regions.insert(ev.region);
        match ev.op.access {
            Access::Actions(list) => {
                for a in list {
                    p.actions.entry(a).or_default().add(ev.time, denied, error);
                }
            }
            Access::Permissionless(name) => p
                .permissionless
                .entry(name)
                .or_default()
                .add(ev.time, denied, error),
            Access::ServiceEvent => p.service_events += 1,
        }
        if let (Some(s), "role") = (&c.session, c.ptype) {
            match p.sessions.get_mut(&s.access_key_id) {
                Some(entry) => entry.events += 1,
                None => {
                    let entry = SessionEntry {
                        session_name: s.session_name.clone(),
                        events: 1,
                        opened_by_account: s.opened_by.map(str::to_owned),
                        mfa: s.mfa,
                    };
                    p.sessions.insert(s.access_key_id.clone(), entry);
                }
            }
        }
    }

    /// Latest use of a principal: time and Region (for `RoleLastUsed`).
    pub(crate) fn last_use(&self, key: &str) -> Option<(i64, &'static str)> {
        self.principals
            .get(key)
            .map(|p| (p.all.span.1, p.last_region))
    }

    /// Event time span.
    pub(crate) fn time_range(&self) -> TimeRange {
        let (a, b) = self.span.unwrap_or((0, 0));
        TimeRange {
            first: rfc3339(a),
            last: rfc3339(b),
        }
    }

    /// Public per-type, per-code and per-category counts.
    pub(crate) fn breakdowns(&self) -> [BTreeMap<String, u64>; 3] {
        let conv = |m: &BTreeMap<&'static str, u64>| {
            m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
        };
        [
            conv(&self.by_identity_type),
            conv(&self.by_error_code),
            conv(&self.by_category),
        ]
    }

    /// Public principal entries.
    pub(crate) fn principals(&self) -> BTreeMap<String, PrincipalEntry> {
        self.principals
            .iter()
            .map(|(k, p)| (k.clone(), principal_entry(p)))
            .collect()
    }

    /// Activity of a vendor: sessions, events, principal keys.
    pub(crate) fn vendor(&self, name: &str) -> (u64, u64, Vec<String>) {
        self.vendors.get(name).map_or((0, 0, Vec::new()), |v| {
            (
                v.sessions.len() as u64,
                v.events,
                v.principals.iter().cloned().collect(),
            )
        })
    }
}

/// Converts a principal tally to its public form.
fn principal_entry(p: &PrincipalTally) -> PrincipalEntry {
    let conv = |m: &BTreeMap<&'static str, ActionTally>| {
        m.iter()
            .map(|(k, v)| ((*k).to_owned(), v.entry()))
            .collect()
    };
    PrincipalEntry {
        kind: p.kind.to_owned(),
        account: p.accounts.iter().next().cloned(),
        accounts: p.accounts.iter().cloned().collect(),
        events: p.all.calls,
        denied: p.all.denied,
        errors: p.all.errors,
        service_events: p.service_events,
        regions: p.regions.iter().map(|r| (*r).to_owned()).collect(),
        first_seen: rfc3339(p.all.span.0),
        last_seen: rfc3339(p.all.span.1),
        actions: conv(&p.actions),
        permissionless_actions: conv(&p.permissionless),
        sessions: p.sessions.clone(),
    }
}
