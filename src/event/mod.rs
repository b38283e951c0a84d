//! Normalising a record into an event: who, what, where, when, and with
//! what result.
//!
//! An [`Event`] borrows from its [`Record`]. The few strings it derives are
//! built only when the record lacks them: a role ARN without its session
//! issuer, a root or IAM user ARN rebuilt from account and name, and
//! resource ARNs from request parameters when `resources[]` names none.

pub mod action_map;
pub mod principal;

use std::borrow::Cow;

use crate::cloudtrail::Record;
use crate::time::{Timestamp, parse_event_time};

pub use action_map::{ActionMapper, Mapping, MappingSource};
pub use principal::{Principal, PrincipalKind};

/// The result of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// No error code.
    Success,
    /// Refused by authorization.
    Denied,
    /// Failed for another reason (not found, throttled, invalid input...).
    Error,
}

impl Outcome {
    /// Classifies an `errorCode`. Denials are `AccessDenied*`,
    /// `*UnauthorizedOperation` (EC2) and `VpceAccessDenied` — the same set as
    /// the CIS benchmark's metric filter for unauthorized API calls.
    pub fn of_error_code(code: Option<&str>) -> Outcome {
        match code {
            None | Some("") => Outcome::Success,
            Some(c)
                if c.starts_with("AccessDenied")
                    || c.ends_with("UnauthorizedOperation")
                    || c == "VpceAccessDenied" =>
            {
                Outcome::Denied
            }
            Some(_) => Outcome::Error,
        }
    }
}

/// The credentials a call was signed with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Session<'r> {
    /// `AKIA...` or `ASIA...`.
    pub access_key_id: &'r str,
    /// The session name (assumed roles and federated users).
    pub name: Option<&'r str>,
    /// Whether the session was authenticated with MFA.
    pub mfa: Option<bool>,
    /// The source identity carried by the session.
    pub source_identity: Option<&'r str>,
}

/// One normalised event.
#[derive(Debug)]
pub struct Event<'r> {
    /// The record it came from.
    pub record: &'r Record<'r>,
    /// Event time; `None` when the record's time cannot be read.
    pub time: Option<Timestamp>,
    /// The account that received the event.
    pub account: Option<&'r str>,
    /// The Region of the call.
    pub region: Option<&'r str>,
    /// Who made the call.
    pub principal: Principal<'r>,
    /// The result.
    pub outcome: Outcome,
    /// The credentials, when the record names an access key.
    pub session: Option<Session<'r>>,
}

impl<'r> Event<'r> {
    /// Normalises a record.
    pub fn from_record(record: &'r Record<'r>) -> Event<'r> {
        let principal = Principal::of(record);
        let session = session_of(record);
        Event {
            record,
            time: record.event_time.get().and_then(parse_event_time),
            account: record.recipient_account_id.get().or(principal.account),
            region: record.aws_region.get(),
            outcome: Outcome::of_error_code(record.error_code.get()),
            principal,
            session,
        }
    }

    /// `eventSource`, or `""`.
    pub fn event_source(&self) -> &'r str {
        self.record.event_source.get().unwrap_or("")
    }

    /// `eventName`, or `""`.
    pub fn event_name(&self) -> &'r str {
        self.record.event_name.get().unwrap_or("")
    }

    /// Calls `each` with every resource the event names: the ARNs of
    /// `resources[]`, or, when it names none, ARNs built from request
    /// parameters that name a resource (bucket and key, role, function,
    /// table, instance, ...).
    pub fn for_each_resource(&self, mut each: impl FnMut(&str)) {
        self.for_each_resource_exactness(|arn, _| each(arn));
    }

    /// Like [`Event::for_each_resource`], but only ARNs that are the
    /// resource's real ARN: not those built from a name that leaves out
    /// part of it (an IAM role or user's path, a secret's random suffix, a
    /// KMS alias). A least-privilege policy may only name these.
    pub fn for_each_exact_resource(&self, mut each: impl FnMut(&str)) {
        self.for_each_resource_exactness(|arn, exact| {
            if exact {
                each(arn);
            }
        });
    }

    /// Every resource of [`Event::for_each_resource`], with whether it is
    /// exact (see [`Event::for_each_exact_resource`]): one pass for callers
    /// that want both.
    pub fn for_each_resource_exactness(&self, mut each: impl FnMut(&str, bool)) {
        let mut named = 0;
        self.record.for_each_resource_arn(|arn| {
            named += 1;
            each(arn, true);
        });
        if named > 0 {
            return;
        }
        if let Some(params) = self.record.request_parameters.get() {
            for (arn, exact) in params_resources(self, params) {
                each(&arn, exact);
            }
        }
    }
}

/// The resource ARNs named by request parameters (only those that
/// `resources[]` does not always carry), each with whether it is the
/// resource's full ARN (`false` when built from a partial name).
fn params_resources<'r>(
    event: &Event<'r>,
    params: &'r crate::cloudtrail::record::RequestParameters<'_>,
) -> Vec<(Cow<'r, str>, bool)> {
    let mut out: Vec<(Cow<'r, str>, bool)> = Vec::new();
    let region = event.region.unwrap_or("");
    let account = event.account.unwrap_or("");
    if let Some(bucket) = params.bucket_name.get() {
        out.push((
            match params.key.get() {
                Some(key) => Cow::Owned(format!("arn:aws:s3:::{bucket}/{key}")),
                None => Cow::Owned(format!("arn:aws:s3:::{bucket}")),
            },
            true,
        ));
    }
    // `exact_name`: whether a plain name gives the full ARN.
    let arn_or = |value: Option<&'r str>, exact_name: bool, build: &dyn Fn(&str) -> String| {
        value.map(|v| {
            if v.starts_with("arn:") {
                (Cow::Borrowed(v), true)
            } else {
                (Cow::Owned(build(v)), exact_name)
            }
        })
    };
    out.extend(params.role_arn.get().map(|a| (Cow::Borrowed(a), true)));
    out.extend(params.policy_arn.get().map(|a| (Cow::Borrowed(a), true)));
    out.extend(arn_or(params.function_name.get(), true, &|n| {
        format!("arn:aws:lambda:{region}:{account}:function:{n}")
    }));
    out.extend(arn_or(params.table_name.get(), true, &|n| {
        format!("arn:aws:dynamodb:{region}:{account}:table/{n}")
    }));
    out.extend(arn_or(params.instance_id.get(), true, &|n| {
        format!("arn:aws:ec2:{region}:{account}:instance/{n}")
    }));
    // A secret's ARN ends in a random `-XXXXXX` the name lacks.
    out.extend(arn_or(params.secret_id.get(), false, &|n| {
        format!("arn:aws:secretsmanager:{region}:{account}:secret:{n}")
    }));
    // A key id may be an alias, which is not the key's ARN.
    let key_is_id = params
        .key_id
        .get()
        .is_some_and(|k| !k.starts_with("alias/"));
    out.extend(arn_or(params.key_id.get(), key_is_id, &|n| {
        format!("arn:aws:kms:{region}:{account}:key/{n}")
    }));
    if event.event_source() == "iam.amazonaws.com" {
        // A name leaves out the entity's path.
        out.extend(params.role_name.get().map(|n| {
            (
                Cow::Owned(format!("arn:aws:iam::{account}:role/{n}")),
                false,
            )
        }));
        out.extend(params.user_name.get().map(|n| {
            (
                Cow::Owned(format!("arn:aws:iam::{account}:user/{n}")),
                false,
            )
        }));
    }
    out
}

fn session_of<'r>(record: &'r Record<'_>) -> Option<Session<'r>> {
    let who = record.user_identity.get()?;
    let access_key_id = who.access_key_id.get()?;
    let context = who.session_context.get();
    Some(Session {
        access_key_id,
        name: who.arn.get().and_then(principal::session_name_of_arn),
        mfa: context
            .and_then(|c| c.attributes.get())
            .and_then(|a| a.mfa_authenticated.0),
        source_identity: context.and_then(|c| c.source_identity.get()),
    })
}

/// Actions a call needs only because of what its request asked for, on top
/// of the mapped ones. STS: passing a source identity needs
/// `sts:SetSourceIdentity`, passing session tags needs `sts:TagSession` (IAM
/// User Guide, "Passing session tags in AWS STS" and "Monitor and control
/// actions taken with assumed roles").
pub fn conditional_actions(event: &Event<'_>) -> &'static [&'static str] {
    let assumes = matches!(
        event.event_name(),
        "AssumeRole" | "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity"
    );
    let Some(params) = event
        .record
        .request_parameters
        .get()
        .filter(|_| assumes && event.event_source() == "sts.amazonaws.com")
    else {
        return &[];
    };
    match (params.source_identity.get().is_some(), params.tags.0) {
        (true, true) => &["sts:SetSourceIdentity", "sts:TagSession"],
        (true, false) => &["sts:SetSourceIdentity"],
        (false, true) => &["sts:TagSession"],
        (false, false) => &[],
    }
}

/// True for records that are not API activity: CloudTrail Insights events,
/// which can appear in a log file read directly.
pub fn is_insight(record: &Record<'_>) -> bool {
    record.event_category.get() == Some("Insight")
        || record.event_type.get() == Some("AwsCloudTrailInsight")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_denials_errors_and_success() {
        for code in [
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
            "UnauthorizedOperation",
            "VpceAccessDenied",
        ] {
            assert_eq!(
                Outcome::of_error_code(Some(code)),
                Outcome::Denied,
                "{code}"
            );
        }
        for code in [
            "ThrottlingException",
            "NoSuchBucketPolicy",
            "Client.InvalidVolume.NotFound",
        ] {
            assert_eq!(Outcome::of_error_code(Some(code)), Outcome::Error, "{code}");
        }
        assert_eq!(Outcome::of_error_code(None), Outcome::Success);
        assert_eq!(Outcome::of_error_code(Some("")), Outcome::Success);
    }

    #[test]
    fn builds_resources_and_session_from_an_s3_data_event() {
        let json = r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111122223333",
          "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Backup/s1","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE",
            "sessionContext":{"attributes":{"mfaAuthenticated":"false"},"sourceIdentity":"alice"}},
          "requestParameters":{"bucketName":"b","key":"k/1.txt"},
          "resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k/1.txt"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]}"#;
        let record = Record::parse(json).expect("parse");
        let event = Event::from_record(&record);
        let mut seen = Vec::new();
        event.for_each_resource(|r| seen.push(r.to_string()));
        assert_eq!(
            seen,
            ["arn:aws:s3:::b/k/1.txt", "arn:aws:s3:::b"],
            "resources[] wins over parameters"
        );
        let session = event.session.expect("session");
        assert_eq!(session.access_key_id, "ASIAEXAMPLE");
        assert_eq!(session.name, Some("s1"));
        assert_eq!(session.mfa, Some(false));
        assert_eq!(session.source_identity, Some("alice"));
        assert_eq!(event.account, Some("111122223333"));
    }
}

#[cfg(test)]
mod exact_resource_tests {
    use super::*;

    fn resources(json: &str, exact: bool) -> Vec<String> {
        let record = Record::parse(json).unwrap();
        let event = Event::from_record(&record);
        let mut out = Vec::new();
        if exact {
            event.for_each_exact_resource(|r| out.push(r.to_owned()));
        } else {
            event.for_each_resource(|r| out.push(r.to_owned()));
        }
        out
    }

    // A secret's ARN carries a random suffix its name lacks, and an IAM
    // name leaves out the path: such ARNs describe, but may not be granted.
    #[test]
    fn names_that_are_not_full_arns_are_not_exact() {
        let secret = r#"{"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","awsRegion":"eu-west-1","recipientAccountId":"111111111111","requestParameters":{"secretId":"prod/db"}}"#;
        assert_eq!(
            resources(secret, false),
            vec!["arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/db"]
        );
        assert!(resources(secret, true).is_empty());
        let role = r#"{"eventSource":"iam.amazonaws.com","eventName":"GetRole","awsRegion":"us-east-1","recipientAccountId":"111111111111","requestParameters":{"roleName":"deployer"}}"#;
        assert!(resources(role, true).is_empty());
        let object = r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111111111111","requestParameters":{"bucketName":"b","key":"k"}}"#;
        assert_eq!(resources(object, true), vec!["arn:aws:s3:::b/k"]);
    }
}
