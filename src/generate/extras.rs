//! Inputs beside the log files: Insights, lookup-events output and broken files.

use std::path::Path;

use flate2::Compression;

use super::GenerateError;
use super::event::Ev;
use super::iam::pretty;
use super::json::{J, Obj};
use super::layout::{STREAMS, gzip_bytes, io_err, write_gz, write_raw};
use super::manifest::{BrokenFile, LookupEventsFile};
use super::rng::Rng;
use super::scenario::{PROD, US_EAST_1};
use super::time::{HOUR, MINUTE, cli_time, file_stamp, rfc3339};

/// Writes one Insight start/end pair for production us-east-1, each in its
/// own file under `CloudTrail-Insight/`; returns (files, records).
pub(crate) fn write_insights(
    out: &Path,
    rng: &mut Rng,
    day_start: i64,
    level: Compression,
) -> Result<(u64, u64), GenerateError> {
    let start = day_start + 14 * HOUR + rng.range(0, 50) as i64 * MINUTE;
    let end = start + rng.range(20, 60) as i64 * MINUTE;
    let shared = rng.uuid_v4();
    for (state, t) in [("Start", start), ("End", end)] {
        let record = insight(state, t, &shared, rng, end - start);
        let json = serde_json::to_vec(&Obj::new().f("Records", vec![record]).j())?;
        let key = STREAMS[0].insight_key(t + rng.range(3, 12) as i64 * MINUTE, &rng.alnum(16));
        write_gz(&out.join(key), &[&json], level)?;
    }
    Ok((2, 2))
}

/// One Insight record ("CloudTrail Insights insightDetails element"): no
/// `userIdentity`, `eventSource` or `eventName` at top level.
fn insight(state: &'static str, t: i64, shared: &str, rng: &mut Rng, duration: i64) -> J {
    let stat = |avg: f64| Obj::new().f("average", J::Float(avg)).j();
    let mut stats = Obj::new()
        .f("baseline", stat(0.0021))
        .f("insight", stat(1.4));
    if state == "End" {
        stats.push("insightDuration", duration / 60);
        stats.push("baselineDuration", 10_079i64);
    }
    let attribution = |attribute: &'static str, value: String| {
        let one = Obj::new().f("value", value).f("average", J::Float(1.4)).j();
        Obj::new()
            .f("attribute", attribute)
            .f("insight", vec![one.clone()])
            .f("baseline", vec![one])
            .j()
    };
    let role_arn = format!("arn:aws:sts::{PROD}:assumed-role/DatadogIntegrationRole");
    let details = Obj::new()
        .f("state", state)
        .f("eventSource", "logs.amazonaws.com")
        .f("eventName", "DescribeLogGroups")
        .f("insightType", "ApiErrorRateInsight")
        .f("errorCode", "AccessDeniedException")
        .f(
            "insightContext",
            Obj::new().f("statistics", stats).f(
                "attributions",
                vec![
                    attribution("userIdentityArn", role_arn),
                    attribution("userAgent", super::scenario::agents::DATADOG.to_owned()),
                    attribution("errorCode", "AccessDeniedException".to_owned()),
                ],
            ),
        );
    Obj::new()
        .f("eventVersion", "1.08")
        .f("eventTime", rfc3339(t))
        .f("awsRegion", US_EAST_1)
        .f("eventID", rng.uuid_v4())
        .f("eventType", "AwsCloudTrailInsight")
        .f("recipientAccountId", PROD)
        .f("sharedEventID", shared.to_owned())
        .f("insightDetails", details)
        .f("eventCategory", "Insight")
        .j()
}

/// Event names captured for the lookup-events file (first of each).
const LOOKUP_NAMES: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetFederationToken",
    "ConsoleLogin",
    "PutRolePolicy",
    "CreateInvalidation2019_03_26",
    "GetFunction20150331v2",
];

/// Collects a handful of production management records for lookup-events.
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    /// `(eventTime, entry)` of captured records.
    events: Vec<(i64, String, J)>,
}

impl Lookup {
    /// Offers a freshly emitted record.
    pub(crate) fn offer(&mut self, ev: &Ev, event_id: &str, record: &J, json: &[u8]) {
        let wanted = ev.account == PROD
            && ev.region == US_EAST_1
            && !ev.op.data
            && LOOKUP_NAMES.contains(&ev.op.name)
            && !self
                .events
                .iter()
                .any(|(_, _, e)| e.get("EventName").and_then(J::as_str) == Some(ev.op.name));
        if wanted {
            let entry = lookup_entry(ev, event_id, record, json);
            self.events.push((ev.time, event_id.to_owned(), entry));
        }
    }

    /// Writes `lookup-events/<acct>_<region>.json`.
    pub(crate) fn write(mut self, out: &Path) -> Result<LookupEventsFile, GenerateError> {
        // lookup-events returns newest first.
        self.events.sort_by_key(|e| std::cmp::Reverse(e.0));
        let rel = format!("lookup-events/{PROD}_{US_EAST_1}_lookup-events.json");
        let event_ids = self.events.iter().map(|(_, id, _)| id.clone()).collect();
        let doc = Obj::new()
            .f(
                "Events",
                self.events
                    .into_iter()
                    .map(|(_, _, e)| e)
                    .collect::<Vec<_>>(),
            )
            .j();
        let path = out.join(&rel);
        write_raw(&path, &pretty(&doc).map_err(io_err(&path))?)?;
        Ok(LookupEventsFile {
            path: rel,
            event_ids,
        })
    }
}

/// One `Events[]` entry of `aws cloudtrail lookup-events` output.
fn lookup_entry(ev: &Ev, event_id: &str, record: &J, json: &[u8]) -> J {
    let resources: Vec<J> = match record.get("resources") {
        Some(J::Arr(list)) => list
            .iter()
            .filter_map(|r| {
                let arn = r.get("ARN")?.as_str()?.to_owned();
                let kind = r.get("type")?.as_str()?.to_owned();
                Some(
                    Obj::new()
                        .f("ResourceType", kind)
                        .f("ResourceName", arn)
                        .j(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Obj::new()
        .f("EventId", event_id.to_owned())
        .f("EventName", ev.op.name)
        .f("ReadOnly", if ev.op.read_only { "true" } else { "false" })
        .opt(
            "AccessKeyId",
            ev.caller.access_key.clone().filter(|k| !k.is_empty()),
        )
        .f("EventTime", cli_time(ev.time))
        .f("EventSource", ev.op.source)
        .opt("Username", ev.caller.username.clone())
        .f("Resources", resources)
        .f(
            "CloudTrailEvent",
            String::from_utf8_lossy(json).into_owned(),
        )
        .j()
}

/// Writes the corrupt inputs under `broken/` and says what is wrong with each.
pub(crate) fn write_broken(
    out: &Path,
    rng: &mut Rng,
    t: i64,
) -> Result<Vec<BrokenFile>, GenerateError> {
    let good = format!(
        "{{\"Records\":[{{\"eventVersion\":\"1.08\",\"eventTime\":\"{}\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\",\"awsRegion\":\"us-east-1\",\"eventID\":\"{}\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"{PROD}\"}}]}}",
        rfc3339(t),
        rng.uuid_v4()
    );
    let gz = gzip_bytes(good.as_bytes());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (gz[..gz.len() * 2 / 3].to_vec(), "truncated gzip stream (file cut at two thirds; no gzip trailer)"),
        (gzip_bytes(&good.as_bytes()[..good.len() / 2]), "valid gzip, invalid JSON (document ends mid-record)"),
        (gzip_bytes(format!("{{\"awsAccountId\":\"{PROD}\",\"logFiles\":[]}}").as_bytes()), "valid gzip and JSON, but no Records array (digest-shaped object)"),
        (gzip_bytes(format!("{{\"Records\":{{\"eventID\":\"{}\"}}}}", rng.uuid_v4()).as_bytes()), "valid gzip and JSON, but Records is an object, not an array"),
        (Vec::new(), "empty file (0 bytes)"),
        (b"79a59df900b949e5 acme-org-cloudtrail-222222222222 [04/Mar/2024:10:00:00 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" -\n".to_vec(), "not gzip: an S3 server access log line stored under a .json.gz name"),
    ];
    let mut listed = Vec::new();
    for (bytes, reason) in cases {
        let rel = format!(
            "broken/{PROD}_CloudTrail_{US_EAST_1}_{}_{}.json.gz",
            file_stamp(t),
            rng.alnum(16)
        );
        write_raw(&out.join(&rel), &bytes)?;
        listed.push(BrokenFile {
            path: rel,
            reason: reason.to_owned(),
        });
    }
    Ok(listed)
}
