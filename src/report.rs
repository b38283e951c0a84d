//! The report: everything a run found, sorted, ready for every renderer.
//!
//! Built once from the scan's [`Usage`] and the source's [`Inventory`]; the
//! renderers in [`crate::output`] only read it. All collections are in a
//! stable order (principals by key, actions by name, sessions by key) so
//! outputs diff cleanly between runs.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{MappingSource, PrincipalKind};
use crate::source::{Filters, Inventory, SkippedInput};
use crate::time::Timestamp;
use crate::usage::{
    ActionUsage, BoundedSet, Counts, DistinctCount, FileTotals, IssuedList, PrincipalUsage,
    SessionList, Totals, Usage,
};

/// Samples and distinct count of a bounded set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    /// The count of distinct values.
    pub distinct: DistinctCount,
    /// The smallest few values.
    pub samples: Vec<String>,
}

impl From<&BoundedSet> for Values {
    fn from(set: &BoundedSet) -> Self {
        Values {
            distinct: set.distinct(),
            samples: set.samples().to_vec(),
        }
    }
}

/// One action of one principal.
#[derive(Debug, Clone)]
pub struct ActionReport {
    /// `service:Action`.
    pub action: String,
    /// Calls by outcome and time.
    pub counts: Counts,
    /// False for calls that need no IAM permission.
    pub needs_permission: bool,
    /// How the action was derived.
    pub mapping: MappingSource,
    /// Regions.
    pub regions: Vec<String>,
    /// Source IPs.
    pub source_ips: Values,
    /// User agents.
    pub user_agents: Values,
    /// Resources.
    pub resources: Values,
    /// Sample event ids.
    pub sample_event_ids: Vec<String>,
    /// Every resource of the successful calls, or `None` when there were
    /// more than the usage table keeps.
    pub allowed_resources: Option<Vec<String>>,
    /// Every source IP of the successful calls, or `None` when there were
    /// more than the usage table keeps.
    pub allowed_source_ips: Option<Vec<String>>,
}

/// One access key's activity.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionReport {
    /// The access key id.
    pub access_key_id: String,
    /// Calls by outcome and time.
    pub counts: Counts,
    /// Session names.
    pub names: Vec<Box<str>>,
    /// MFA, when recorded.
    pub mfa: Option<bool>,
    /// Source identities.
    pub source_identities: Vec<Box<str>>,
    /// Calls per action, sorted by action.
    pub actions: Vec<(Box<str>, Counts)>,
}

/// One principal.
#[derive(Debug, Clone)]
pub struct PrincipalReport {
    /// The principal key (ARN, account id, service or provider).
    pub arn: String,
    /// Its kind.
    pub kind: PrincipalKind,
    /// Its account, when known.
    pub account: Option<String>,
    /// True when its account is not one of the accounts the logs belong to.
    pub outside: bool,
    /// Events by outcome and time.
    pub events: Counts,
    /// Actions, by name.
    pub actions: Vec<ActionReport>,
    /// Sessions (access keys), by key, packed: [`SessionList::iter`]
    /// unpacks each as [`SessionReport`].
    pub sessions: SessionList,
    /// Regions over all actions.
    pub regions: Vec<String>,
    /// Source IPs over all actions.
    pub source_ips: Values,
    /// User agents over all actions.
    pub user_agents: Values,
    /// Accounts that received its events.
    pub recipient_accounts: Vec<String>,
    /// For `aws_account` principals: temporary keys its calls issued, with
    /// the records that issued each.
    pub issued_keys: crate::usage::IssuedKeyList,
    /// Events an AWS service made for it or raised.
    pub service_made: u64,
}

/// What was read and what was not.
#[derive(Debug, Clone, Default)]
pub struct InputReport {
    /// The sources given.
    pub sources: Vec<String>,
    /// Log files decoded.
    pub files: u64,
    /// Bytes as stored.
    pub stored_bytes: u64,
    /// Bytes of JSON decoded.
    pub json_bytes: u64,
    /// Record-level totals.
    pub records: u64,
    /// Events counted.
    pub events: u64,
    /// Duplicate deliveries skipped.
    pub duplicates: u64,
    /// Insight records skipped.
    pub insight_records: u64,
    /// Records outside the time window.
    pub outside_time_window: u64,
    /// Records of other accounts or Regions.
    pub outside_account_or_region: u64,
    /// Events without a readable time.
    pub without_time: u64,
    /// Records whose shape could not be read.
    pub bad_records: u64,
    /// Digest files skipped.
    pub digest_files: u64,
    /// Insight files skipped.
    pub insight_files: u64,
    /// Digest and Insight prefixes an S3 listing did not enter.
    pub skipped_prefixes: Vec<String>,
    /// Files and folders pruned, by reason.
    pub pruned: BTreeMap<String, u64>,
    /// Files that could not be read, with the reason.
    pub skipped: Vec<SkippedInput>,
    /// Files in folders that are not log files.
    pub ignored: Vec<SkippedInput>,
    /// Files with unreadable records.
    pub files_with_bad_records: Vec<(String, u64)>,
    /// Events by `userIdentity.type`.
    pub by_identity_type: BTreeMap<String, u64>,
    /// Events by `errorCode`.
    pub by_error_code: BTreeMap<String, u64>,
    /// `eventSource`s with data events in the trail.
    pub data_event_sources: BTreeSet<String>,
    /// Earliest and latest event.
    pub time_range: Option<(Timestamp, Timestamp)>,
}

/// Which action catalog mapped event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogUse {
    /// The AWS service reference at this path.
    Catalog {
        /// Where it was read.
        path: String,
        /// Services in it.
        services: usize,
        /// Actions in it.
        actions: usize,
    },
    /// Built-in rules only.
    Rules,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The filters applied.
    pub filters: Filters,
    /// The catalog used.
    pub catalog: CatalogUse,
    /// What was read.
    pub input: InputReport,
    /// Accounts the logs belong to (recipients of events).
    pub own_accounts: Vec<String>,
    /// Principals, by key.
    pub principals: Vec<PrincipalReport>,
    /// Credentials issued by STS calls in the logs, by access key, packed
    /// ([`crate::usage::packed_issued`]): one of the few things that grow
    /// with the trail.
    pub issued_sessions: IssuedList,
    /// Used vs granted per principal of the IAM input (`--iam`), by ARN.
    pub grants: Option<Vec<crate::compare::Comparison>>,
    /// What the IAM input could not resolve.
    pub iam_warnings: Vec<String>,
    /// Third parties and what each did.
    pub attribution: crate::attribution::Attribution,
    /// What is risky about their access, worst first.
    pub findings: Vec<crate::findings::Finding>,
    /// `vendortrail who`: the events that mention the resource, by time.
    pub touches: Vec<crate::usage::Touch>,
}

impl Report {
    /// A report of logs that show nothing (for tools and benchmarks that
    /// evaluate IAM without logs).
    pub fn empty() -> Report {
        Report {
            filters: Filters::default(),
            catalog: CatalogUse::Rules,
            input: InputReport::default(),
            own_accounts: Vec::new(),
            principals: Vec::new(),
            issued_sessions: IssuedList::default(),
            grants: None,
            iam_warnings: Vec::new(),
            attribution: crate::attribution::Attribution::default(),
            findings: Vec::new(),
            touches: Vec::new(),
        }
    }

    /// The principal with this key (ARN), if the logs show it.
    pub fn principal(&self, arn: &str) -> Option<&PrincipalReport> {
        self.principals
            .binary_search_by(|p| p.arn.as_str().cmp(arn))
            .ok()
            .map(|i| &self.principals[i])
    }

    /// Builds the report.
    pub fn build(
        sources: Vec<String>,
        inventory: &Inventory,
        usage: Usage,
        filters: Filters,
        catalog: CatalogUse,
    ) -> Report {
        let own_accounts: BTreeSet<String> = usage
            .principals
            .values()
            .flat_map(|p| p.recipient_accounts.iter().cloned())
            .collect();
        let Usage {
            principals,
            issued,
            settled_issued,
            totals,
            files,
            mut touches,
            ..
        } = usage;
        touches.sort();
        let mut principals: Vec<PrincipalReport> = principals
            .into_iter()
            .map(|(arn, p)| principal_report(arn, p, &own_accounts))
            .collect();
        principals.sort_by(|a, b| a.arn.cmp(&b.arn));
        let input = input_report(sources, inventory, &totals, files, &principals);
        Report {
            filters,
            catalog,
            input,
            own_accounts: own_accounts.into_iter().collect(),
            principals,
            issued_sessions: IssuedList::build(settled_issued, issued.into_values()),
            grants: None,
            iam_warnings: Vec::new(),
            attribution: crate::attribution::Attribution::default(),
            findings: Vec::new(),
            touches,
        }
    }

    /// Principals whose account is outside the accounts the logs belong to.
    pub fn outside_principals(&self) -> impl Iterator<Item = &PrincipalReport> {
        self.principals.iter().filter(|p| p.outside)
    }
}

fn input_report(
    sources: Vec<String>,
    inventory: &Inventory,
    t: &Totals,
    files: FileTotals,
    principals: &[PrincipalReport],
) -> InputReport {
    let mut skipped: Vec<SkippedInput> = inventory
        .unreadable
        .iter()
        .cloned()
        .chain(files.failed)
        .collect();
    skipped.sort();
    let mut with_bad = files.with_bad_records;
    with_bad.sort();
    let first = principals.iter().filter_map(|p| p.events.first_seen).min();
    let last = principals.iter().filter_map(|p| p.events.last_seen).max();
    InputReport {
        sources,
        files: files.files,
        stored_bytes: files.stored_bytes,
        json_bytes: files.json_bytes,
        records: t.records,
        events: t.events,
        duplicates: t.duplicates,
        insight_records: t.insight_records,
        outside_time_window: t.outside_time_window,
        outside_account_or_region: t.outside_account_or_region,
        without_time: t.without_time,
        bad_records: t.bad_records,
        digest_files: inventory.digest_files,
        insight_files: inventory.insight_files,
        skipped_prefixes: inventory.skipped_trees.clone(),
        pruned: inventory
            .pruned
            .iter()
            .map(|(r, n)| (format!("{r:?}").to_lowercase(), *n))
            .collect(),
        skipped,
        ignored: inventory.ignored.clone(),
        files_with_bad_records: with_bad,
        by_identity_type: t.by_identity_type.clone(),
        by_error_code: t.by_error_code.clone(),
        data_event_sources: t.data_event_sources.clone(),
        time_range: first.zip(last),
    }
}

fn principal_report(arn: String, p: PrincipalUsage, own: &BTreeSet<String>) -> PrincipalReport {
    let mut actions: Vec<ActionReport> = p
        .actions
        .iter()
        .map(|(name, a)| action_report(name, a))
        .collect();
    actions.sort_by(|a, b| a.action.cmp(&b.action));
    let open = p
        .sessions
        .into_iter()
        .map(|(key, s)| crate::usage::packed::session_report(key, s));
    let sessions = SessionList::build(p.quiet_sessions, open);
    let (mut ips, mut agents) = (BoundedSet::default(), BoundedSet::default());
    let mut regions = BTreeSet::new();
    for a in p.actions.values() {
        ips.merge(&a.source_ips);
        agents.merge(&a.user_agents);
        regions.extend(a.regions.iter().cloned());
    }
    let account = p.accounts.iter().next().cloned();
    let outside = match p.kind {
        PrincipalKind::AwsService | PrincipalKind::Unknown => false,
        _ => account.as_ref().is_some_and(|a| !own.contains(a)),
    };
    PrincipalReport {
        arn,
        kind: p.kind,
        account,
        outside,
        events: p.events,
        actions,
        sessions,
        regions: regions.into_iter().collect(),
        source_ips: Values::from(&ips),
        user_agents: Values::from(&agents),
        recipient_accounts: p.recipient_accounts.iter().cloned().collect(),
        issued_keys: crate::usage::IssuedKeyList::build(p.issued_keys, []),
        service_made: p.service_made,
    }
}

fn action_report(name: &str, a: &ActionUsage) -> ActionReport {
    ActionReport {
        action: name.to_string(),
        counts: a.counts,
        needs_permission: a.needs_permission,
        mapping: a.mapping,
        regions: a.regions.iter().cloned().collect(),
        source_ips: Values::from(&a.source_ips),
        user_agents: Values::from(&a.user_agents),
        resources: Values::from(&a.resources),
        sample_event_ids: a.sample_event_ids.values().to_vec(),
        allowed_resources: a.allowed_resources.complete().map(<[String]>::to_vec),
        allowed_source_ips: a.allowed_source_ips.complete().map(<[String]>::to_vec),
    }
}
