//! `requestParameters`, `responseElements`, `resources` and friends.
//!
//! Shapes follow real records ("CloudTrail record contents"): EC2 wraps
//! lists in `{"items": [...]}`, S3 data events carry `Host`,
//! `additionalEventData` byte counts and upper-case `ARN` resources, and
//! `responseElements` is `null` for read-only calls and for failures. With
//! `padding` on, calls that really carry large payloads (DescribeInstances
//! filters, GetMetricData queries, RunInstances, task definitions, image
//! manifests) get realistic large ones, which is what pushes the benchmark
//! corpus to an average of about 2 KB per record.

mod auth;
mod compute;
mod deploy;
mod storage;

use super::event::Ev;
use super::json::{J, Obj};
use super::rng::Rng;

/// The payload fields of one record.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    /// `requestParameters`.
    pub(crate) request: J,
    /// `responseElements`.
    pub(crate) response: J,
    /// `additionalEventData`.
    pub(crate) additional: Option<J>,
    /// `resources`.
    pub(crate) resources: Option<J>,
    /// `serviceEventDetails` (AwsServiceEvent records).
    pub(crate) service_details: Option<J>,
    /// A service-specific `requestID` (S3 and some service events use their own style).
    pub(crate) request_id: Option<String>,
    /// `apiVersion` (CloudFront, ELB).
    pub(crate) api_version: Option<&'static str>,
}

impl Default for Parts {
    fn default() -> Self {
        Self {
            request: J::Null,
            response: J::Null,
            additional: None,
            resources: None,
            service_details: None,
            request_id: None,
            api_version: None,
        }
    }
}

impl Parts {
    /// Parts with only `requestParameters`.
    fn req(request: impl Into<J>) -> Self {
        Self {
            request: request.into(),
            ..Self::default()
        }
    }

    /// Sets `responseElements`.
    fn resp(mut self, response: impl Into<J>) -> Self {
        self.response = response.into();
        self
    }

    /// Sets `resources`.
    fn res(mut self, resources: Vec<J>) -> Self {
        self.resources = Some(J::Arr(resources));
        self
    }
}

/// Builds the payload of `ev`. Failed calls never have `responseElements`.
pub(crate) fn build(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let mut parts = match ev.op.service() {
        "ec2" | "cloudwatch" | "tag" | "logs" | "elasticloadbalancing" => {
            compute::build(ev, rng, padding)
        }
        "ecr" | "ecs" | "lambda" | "cloudfront" | "ssm" => deploy::build(ev, rng, padding),
        "s3" | "kms" | "dynamodb" | "secretsmanager" => storage::build(ev, rng, padding),
        "sts" | "signin" | "iam" => auth::build(ev, rng),
        _ => Parts::default(),
    };
    if ev.failure.is_some() {
        parts.response = J::Null;
    }
    parts
}

/// The service endpoint host the client used, e.g. `ec2.eu-west-1.amazonaws.com`.
pub(crate) fn endpoint(ev: &Ev) -> String {
    let host = ev.op.source.trim_end_matches(".amazonaws.com");
    if ev.op.global {
        match host {
            "signin" => "signin.aws.amazon.com".to_owned(),
            _ => format!("{host}.amazonaws.com"),
        }
    } else {
        format!("{host}.{}.amazonaws.com", ev.region)
    }
}

/// `{"items": [...]}`: the EC2 Query API list wrapper.
fn items(list: Vec<J>) -> J {
    Obj::new().f("items", list).j()
}

/// An EC2 instance ID.
fn instance_id(rng: &mut Rng) -> String {
    format!("i-0{}", rng.hex(16))
}

/// A resource entry `{accountId, type, ARN}` (upper-case `ARN`, as logged).
fn resource(account: impl Into<J>, kind: &'static str, arn: String) -> J {
    Obj::new()
        .f("accountId", account)
        .f("type", kind)
        .f("ARN", arn)
        .j()
}

/// Key/value tag list in the `{"key", "value"}` spelling of EC2 and STS.
fn tags(pairs: &[(&'static str, &'static str)]) -> J {
    J::Arr(
        pairs
            .iter()
            .map(|(k, v)| Obj::new().f("key", *k).f("value", *v).j())
            .collect(),
    )
}

/// How many repeated elements a list gets: small without padding,
/// `lo..=hi` with it.
fn count(rng: &mut Rng, padding: bool, lo: u64, hi: u64) -> u64 {
    if padding {
        rng.range(lo, hi)
    } else {
        rng.range(1, 3)
    }
}
