//! Assembles one CloudTrail record from a planned [`Ev`].
//!
//! Field order follows real delivery files ("CloudTrail record contents for
//! management, data, and network activity events"): identity first, then
//! time/source/name/Region/origin, error fields, payloads, IDs, flags,
//! resources, type, account fields, category and TLS details.

use super::event::Ev;
use super::json::{J, Obj};
use super::ops::Op;
use super::payload::{self, Parts};
use super::rng::Rng;

/// A record ready to serialize, with the `eventID` the manifest keys on.
#[derive(Debug)]
pub(crate) struct Built {
    /// The record.
    pub(crate) record: J,
    /// Its `eventID`.
    pub(crate) event_id: String,
}

/// `eventVersion`: CloudTrail rolled 1.08 → 1.11 out service by service, so a
/// trail mixes them; parsers must compare major == 1 and accept any minor.
fn event_version(op: &Op) -> &'static str {
    match op.service() {
        "s3" if op.data => "1.10",
        "sts" | "iam" | "kms" | "lambda" | "cloudfront" | "ssm" | "secretsmanager" => "1.08",
        "signin" | "s3" | "dynamodb" | "elasticloadbalancing" => "1.09",
        "ec2" | "ecs" | "ecr" => "1.10",
        _ => "1.11",
    }
}

/// `tlsDetails` for a client that called a public endpoint.
fn tls_details(ev: &Ev) -> J {
    let legacy = ev.caller.user_agent.contains("java");
    let (version, suite) = if legacy {
        ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    } else {
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    };
    Obj::new()
        .f("tlsVersion", version)
        .f("cipherSuite", suite)
        .f("clientProvidedHostHeader", payload::endpoint(ev))
        .j()
}

/// Builds the record for `ev`, drawing IDs and payload details from `rng`.
pub(crate) fn build(ev: &Ev, rng: &mut Rng, padding: bool) -> Built {
    let parts = payload::build(ev, rng, padding);
    let event_id = rng.uuid_v4();
    let mut r = head(ev);
    if let Some(f) = &ev.failure {
        r.push_opt("errorCode", f.code);
        r.push("errorMessage", f.message.clone());
    }
    tail(ev, parts, &event_id, rng, &mut r);
    Built {
        record: r.j(),
        event_id,
    }
}

/// Identity, time, source, name, Region and origin.
fn head(ev: &Ev) -> Obj {
    let mut time = String::with_capacity(20);
    super::time::push_rfc3339(&mut time, ev.time);
    Obj::new()
        .f("eventVersion", event_version(ev.op))
        .f("userIdentity", ev.caller.identity.clone())
        .f("eventTime", time)
        .f("eventSource", ev.op.source)
        .f("eventName", ev.op.name)
        .f("awsRegion", ev.region)
        .f("sourceIPAddress", ev.caller.ip)
        .f("userAgent", ev.caller.user_agent)
}

/// Payloads, IDs, flags and the account/category fields.
fn tail(ev: &Ev, parts: Parts, event_id: &str, rng: &mut Rng, r: &mut Obj) {
    r.push("requestParameters", parts.request);
    r.push("responseElements", parts.response);
    r.push_opt("additionalEventData", parts.additional);
    if ev.op.source != "signin.amazonaws.com" {
        let id = match (parts.request_id, &ev.request_id) {
            (Some(id), _) => id,
            (None, Some(shared)) => shared.to_string(),
            (None, None) => rng.uuid_v4(),
        };
        r.push("requestID", id);
    }
    r.push("eventID", event_id.to_owned());
    r.push("readOnly", ev.op.read_only);
    r.push_opt("resources", parts.resources);
    r.push("eventType", ev.op.event_type);
    r.push_opt("apiVersion", parts.api_version);
    r.push("managementEvent", !ev.op.data);
    r.push("recipientAccountId", ev.account);
    r.push_opt(
        "sharedEventID",
        ev.shared_event_id.as_ref().map(|s| s.to_string()),
    );
    r.push_opt("serviceEventDetails", parts.service_details);
    r.push(
        "eventCategory",
        if ev.op.data { "Data" } else { "Management" },
    );
    if !ev.caller.by_service && ev.op.event_type != "AwsServiceEvent" {
        r.push("tlsDetails", tls_details(ev));
    }
    if ev.caller.console {
        r.push("sessionCredentialFromConsole", "true");
    }
}
