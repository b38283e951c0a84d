//! The JSON output, schema version 1 (documented in `docs/json-output.md`).
//!
//! These wire types are separate from the report's so the format can stay
//! stable while the internals change; scripts rely on it. Adding a field is a
//! compatible change; renaming or removing one bumps [`SCHEMA_VERSION`].

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::report::{
    ActionReport, CatalogUse, InputReport, PrincipalReport, Report, SessionReport, Values,
};
use crate::time::{Timestamp, format_rfc3339};
use crate::usage::packed::SessionIter;
use crate::usage::packed_issued::IssuedIter;
use crate::usage::{Counts, IssuedSession};

/// The version of this format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool,
    catalog: JsonCatalog<'a>,
    filters: JsonFilters<'a>,
    input: JsonInput<'a>,
    own_accounts: &'a [String],
    principals: Stream<std::slice::Iter<'a, PrincipalReport>, JsonPrincipal<'a>>,
    issued_sessions: Stream<IssuedIter<'a>, Unpacked>,
    /// Used vs granted (`--iam`); the [`crate::compare`] types are written
    /// as they are and are part of this schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    grants: Option<&'a [crate::compare::Comparison]>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    iam_warnings: &'a [String],
    /// Third parties (the [`crate::attribution`] types are written as they
    /// are and are part of this schema).
    third_parties: &'a [crate::attribution::Ledger],
    unattributed_sessions: &'a [crate::attribution::Unattributed],
    /// Findings (the [`crate::findings::Finding`] type is written as it is).
    findings: &'a [crate::findings::Finding],
}

/// A list written straight from the report, one element at a time, rather
/// than built as a vector of wire values first: the sessions and issued
/// credentials of a month of a busy trail are tens of megabytes of them,
/// which would all be alive at the peak of the run.
/// The iterator is cloned to write (a slice's or a map's: a pair of
/// references).
struct Stream<I: Iterator, W>(I, fn(I::Item) -> W);

impl<I: Iterator + Clone, W: Serialize> Serialize for Stream<I, W> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone().map(self.1))
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonCatalog<'a> {
    kind: &'static str,
    path: Option<&'a str>,
    services: Option<usize>,
    actions: Option<usize>,
}

#[derive(Serialize)]
struct JsonFilters<'a> {
    accounts: &'a [String],
    regions: &'a [String],
    since: Option<String>,
    until: Option<String>,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonBadRecords<'a> {
    path: &'a str,
    records: u64,
}

#[derive(Serialize)]
struct JsonInput<'a> {
    sources: &'a [String],
    files: u64,
    stored_bytes: u64,
    json_bytes: u64,
    records: u64,
    events: u64,
    duplicates: u64,
    insight_records: u64,
    outside_time_window: u64,
    outside_account_or_region: u64,
    without_time: u64,
    bad_records: u64,
    digest_files: u64,
    insight_files: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    skipped_prefixes: &'a [String],
    pruned: &'a BTreeMap<String, u64>,
    skipped: Vec<JsonSkipped<'a>>,
    ignored: Vec<JsonSkipped<'a>>,
    files_with_bad_records: Vec<JsonBadRecords<'a>>,
    by_identity_type: &'a BTreeMap<String, u64>,
    by_error_code: &'a BTreeMap<String, u64>,
    first_event: Option<String>,
    last_event: Option<String>,
}

#[derive(Serialize)]
struct JsonValues<'a> {
    distinct: u64,
    estimated: bool,
    samples: &'a [String],
}

#[derive(Serialize)]
struct JsonPrincipal<'a> {
    arn: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    account: Option<&'a str>,
    outside: bool,
    events: u64,
    denied: u64,
    errors: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    regions: &'a [String],
    recipient_accounts: &'a [String],
    source_ips: JsonValues<'a>,
    user_agents: JsonValues<'a>,
    actions: Stream<std::slice::Iter<'a, ActionReport>, JsonAction<'a>>,
    sessions: Stream<SessionIter<'a>, JsonSession>,
}

#[derive(Serialize)]
struct JsonAction<'a> {
    action: &'a str,
    calls: u64,
    denied: u64,
    errors: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    needs_permission: bool,
    mapped_by: &'static str,
    regions: &'a [String],
    source_ips: JsonValues<'a>,
    user_agents: JsonValues<'a>,
    resources: JsonValues<'a>,
    sample_event_ids: &'a [String],
}

/// Owns its values: the report's sessions are packed and unpacked one at a
/// time as they are written.
#[derive(Serialize)]
struct JsonSession {
    access_key_id: String,
    names: Vec<Box<str>>,
    events: u64,
    denied: u64,
    errors: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    mfa: Option<bool>,
    source_identities: Vec<Box<str>>,
    actions: BTreeMap<Box<str>, u64>,
}

#[derive(Serialize)]
struct JsonIssued<'a> {
    access_key_id: &'a str,
    via: &'a str,
    role_arn: Option<&'a str>,
    session_arn: Option<&'a str>,
    session_name: Option<&'a str>,
    caller: &'a str,
    caller_type: &'static str,
    caller_account: Option<&'a str>,
    caller_principal_id: Option<&'a str>,
    caller_access_key_id: Option<&'a str>,
    external_id: Option<&'a str>,
    source_identity: Option<&'a str>,
    mfa_serial: Option<&'a str>,
    time: Option<String>,
    event_id: Option<&'a str>,
    recipient_account: Option<&'a str>,
    source_ip: Option<&'a str>,
}

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(format_rfc3339)
}

fn values(v: &Values) -> JsonValues<'_> {
    JsonValues {
        distinct: v.distinct.count,
        estimated: v.distinct.estimated,
        samples: &v.samples,
    }
}

fn skipped(list: &[crate::source::SkippedInput]) -> Vec<JsonSkipped<'_>> {
    list.iter()
        .map(|s| JsonSkipped {
            path: &s.path,
            reason: &s.reason,
        })
        .collect()
}

fn input(i: &InputReport) -> JsonInput<'_> {
    JsonInput {
        sources: &i.sources,
        files: i.files,
        stored_bytes: i.stored_bytes,
        json_bytes: i.json_bytes,
        records: i.records,
        events: i.events,
        duplicates: i.duplicates,
        insight_records: i.insight_records,
        outside_time_window: i.outside_time_window,
        outside_account_or_region: i.outside_account_or_region,
        without_time: i.without_time,
        bad_records: i.bad_records,
        digest_files: i.digest_files,
        insight_files: i.insight_files,
        skipped_prefixes: &i.skipped_prefixes,
        pruned: &i.pruned,
        skipped: skipped(&i.skipped),
        ignored: skipped(&i.ignored),
        files_with_bad_records: i
            .files_with_bad_records
            .iter()
            .map(|(path, records)| JsonBadRecords {
                path,
                records: *records,
            })
            .collect(),
        by_identity_type: &i.by_identity_type,
        by_error_code: &i.by_error_code,
        first_event: time(i.time_range.map(|r| r.0)),
        last_event: time(i.time_range.map(|r| r.1)),
    }
}

fn action(a: &ActionReport) -> JsonAction<'_> {
    JsonAction {
        action: &a.action,
        calls: a.counts.calls,
        denied: a.counts.denied,
        errors: a.counts.errors,
        first_seen: time(a.counts.first_seen),
        last_seen: time(a.counts.last_seen),
        needs_permission: a.needs_permission,
        mapped_by: super::mapping_name(a.mapping),
        regions: &a.regions,
        source_ips: values(&a.source_ips),
        user_agents: values(&a.user_agents),
        resources: values(&a.resources),
        sample_event_ids: &a.sample_event_ids,
    }
}

fn session(s: SessionReport) -> JsonSession {
    JsonSession {
        actions: s
            .actions
            .into_iter()
            .map(|(a, c): (Box<str>, Counts)| (a, c.calls))
            .collect(),
        access_key_id: s.access_key_id,
        names: s.names,
        events: s.counts.calls,
        denied: s.counts.denied,
        errors: s.counts.errors,
        first_seen: time(s.counts.first_seen),
        last_seen: time(s.counts.last_seen),
        mfa: s.mfa,
        source_identities: s.source_identities,
    }
}

fn principal(p: &PrincipalReport) -> JsonPrincipal<'_> {
    JsonPrincipal {
        arn: &p.arn,
        kind: p.kind.as_str(),
        account: p.account.as_deref(),
        outside: p.outside,
        events: p.events.calls,
        denied: p.events.denied,
        errors: p.events.errors,
        first_seen: time(p.events.first_seen),
        last_seen: time(p.events.last_seen),
        regions: &p.regions,
        recipient_accounts: &p.recipient_accounts,
        source_ips: values(&p.source_ips),
        user_agents: values(&p.user_agents),
        actions: Stream(p.actions.iter(), action),
        sessions: Stream(p.sessions.iter(), session),
    }
}

/// An issued credential unpacked from the report, written as [`JsonIssued`].
struct Unpacked(IssuedSession);

impl Serialize for Unpacked {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        issued(&self.0).serialize(serializer)
    }
}

fn issued(s: &IssuedSession) -> JsonIssued<'_> {
    JsonIssued {
        access_key_id: &s.access_key_id,
        via: &s.via,
        role_arn: s.role_arn.as_deref(),
        session_arn: s.session_arn.as_deref(),
        session_name: s.session_name.as_deref(),
        caller: &s.caller,
        caller_type: s.caller_kind.as_str(),
        caller_account: s.caller_account.as_deref(),
        caller_principal_id: s.caller_principal_id.as_deref(),
        caller_access_key_id: s.caller_access_key_id.as_deref(),
        external_id: s.external_id.as_deref(),
        source_identity: s.source_identity.as_deref(),
        mfa_serial: s.mfa_serial.as_deref(),
        time: time(s.time),
        event_id: s.event_id.as_deref(),
        recipient_account: s.recipient_account.as_deref(),
        source_ip: s.source_ip.as_deref(),
    }
}

/// Writes the report as pretty-printed JSON, schema version 1.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let catalog = match &report.catalog {
        CatalogUse::Catalog {
            path,
            services,
            actions,
        } => JsonCatalog {
            kind: "service-reference",
            path: Some(path),
            services: Some(*services),
            actions: Some(*actions),
        },
        CatalogUse::Rules => JsonCatalog {
            kind: "rules",
            path: None,
            services: None,
            actions: None,
        },
    };
    let doc = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "vendortrail",
            version: env!("CARGO_PKG_VERSION"),
        },
        catalog,
        filters: JsonFilters {
            accounts: &report.filters.accounts,
            regions: &report.filters.regions,
            since: time(report.filters.since),
            until: time(report.filters.until),
        },
        input: input(&report.input),
        own_accounts: &report.own_accounts,
        principals: Stream(report.principals.iter(), principal),
        issued_sessions: Stream(report.issued_sessions.iter(), Unpacked),
        grants: report.grants.as_deref(),
        iam_warnings: &report.iam_warnings,
        third_parties: &report.attribution.third_parties,
        unattributed_sessions: &report.attribution.unattributed,
        findings: &report.findings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
