//! The CloudTrail record, as far as vendortrail reads it.
//!
//! Only the fields the analysis uses are declared. [`Record::read`] walks a
//! record with the scanner in [`super::scan`], reads those fields by hand
//! (including `userIdentity` and the few keys of `requestParameters` that
//! name a resource or a session) and skips everything else unread;
//! `responseElements` and `additionalEventData` are kept raw and parsed with
//! serde only when asked for. Strings borrow from the object's JSON text
//! (the inflated buffer, or a repaired copy when it was not UTF-8: see
//! [`super::scan::utf8`]).
//! Field names and meanings follow the CloudTrail User Guide, "CloudTrail
//! record contents" and "CloudTrail userIdentity element".

use std::borrow::Cow;

use serde::Deserialize;

use super::lenient::{Flag, Lenient, Present, Text};
use super::scan::{ScanError, Scanner, text};

/// Why one record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The record is not a well-formed object.
    #[error("{0}")]
    Scan(#[from] ScanError),
    /// The element is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
}

/// One CloudTrail event record.
///
/// Built by [`Record::parse`], which reads the fields below and skips all
/// others without interpreting them (see [`super::scan`]).
#[derive(Debug, Default)]
pub struct Record<'a> {
    /// When the request was completed (UTC).
    pub event_time: Text<'a>,
    /// The service the request was made to, e.g. `s3.amazonaws.com`.
    pub event_source: Text<'a>,
    /// The requested action, one of the service's API actions.
    pub event_name: Text<'a>,
    /// The Region the request was made to.
    pub aws_region: Text<'a>,
    /// The caller's IP address, or a service's DNS name.
    pub source_ip: Text<'a>,
    /// The agent the request was made through (truncated at 1 KB by AWS).
    pub user_agent: Text<'a>,
    /// The service's error code, when the request failed.
    pub error_code: Text<'a>,
    /// A GUID unique to the event: the key for de-duplication.
    pub event_id: Text<'a>,
    /// `AwsApiCall`, `AwsServiceEvent`, `AwsConsoleSignIn`, ...
    pub event_type: Text<'a>,
    /// `Management`, `Data`, `NetworkActivity` or `Insight`; absent before
    /// eventVersion 1.07.
    pub event_category: Text<'a>,
    /// The account that received the event.
    pub recipient_account_id: Text<'a>,
    /// Links the copies of one cross-account action delivered to each account.
    pub shared_event_id: Text<'a>,
    /// Whether this is a management event (eventVersion 1.06 and later).
    pub management_event: Flag,
    /// Whether the operation only reads.
    pub read_only: Flag,
    /// Who made the request.
    pub user_identity: Lenient<UserIdentity<'a>>,
    /// The request's parameters (only the keys that name a resource or a
    /// session are read).
    pub request_parameters: Lenient<RequestParameters<'a>>,
    /// The response, kept raw: it is read only for the STS calls that issue
    /// credentials ([`Record::response_elements`]).
    pub response_elements_raw: Option<&'a str>,
    /// The ARNs of `resources[]`, read in place (see
    /// [`Record::for_each_resource_arn`]).
    pub resource_arns: ResourceArns<'a>,
    /// `additionalEventData`, kept raw and read on demand
    /// ([`Record::additional_event_data`]).
    pub additional_event_data_raw: Option<&'a str>,
    /// The record's whole JSON text (for `vendortrail who`, which looks for
    /// a resource id anywhere in it).
    pub raw: &'a str,
}

impl<'a> Record<'a> {
    /// Reads a record from the JSON text of its object.
    pub fn parse(object: &'a str) -> Result<Record<'a>, RecordError> {
        Record::read(&mut Scanner::new(object))
    }

    /// Reads the record at the scanner's position, consuming it even when it
    /// cannot be read as a record (so the caller can go on to the next).
    /// Structural errors are returned as [`RecordError::Scan`] and leave the
    /// scanner where they occurred.
    pub fn read(scanner: &mut Scanner<'a>) -> Result<Record<'a>, RecordError> {
        if scanner.peek() != Some(b'{') {
            scanner.value()?;
            return Err(RecordError::NotAnObject);
        }
        let mut record = Record::default();
        let start = scanner.position();
        scanner.members(|key, s| {
            if key == b"requestParameters" {
                record.request_parameters = Lenient(RequestParameters::read(s)?);
                return Ok(());
            }
            if key == b"userIdentity" {
                record.user_identity = Lenient(UserIdentity::read_at(s)?);
                return Ok(());
            }
            if key == b"resources" {
                return record.resource_arns.read_at(s);
            }
            record.set(key, s.value()?);
            Ok::<(), ScanError>(())
        })?;
        record.raw = scanner.since(start);
        Ok(record)
    }

    fn set(&mut self, key: &[u8], value: &'a str) {
        let t = || Text(text(value));
        match key {
            b"eventTime" => self.event_time = t(),
            b"eventSource" => self.event_source = t(),
            b"eventName" => self.event_name = t(),
            b"awsRegion" => self.aws_region = t(),
            b"sourceIPAddress" => self.source_ip = t(),
            b"userAgent" => self.user_agent = t(),
            b"errorCode" => self.error_code = t(),
            b"eventID" => self.event_id = t(),
            b"eventType" => self.event_type = t(),
            b"eventCategory" => self.event_category = t(),
            b"recipientAccountId" => self.recipient_account_id = t(),
            b"sharedEventID" => self.shared_event_id = t(),
            b"managementEvent" => self.management_event = Flag::from_text(&t()),
            b"readOnly" => self.read_only = Flag::from_text(&t()),
            b"additionalEventData" => self.additional_event_data_raw = Some(value),
            b"responseElements" => self.response_elements_raw = Some(value),
            _ => {}
        }
    }

    /// Calls `each` with the ARN of every element of `resources[]`.
    pub fn for_each_resource_arn(&self, each: impl FnMut(&str)) {
        self.resource_arns.iter().for_each(each);
    }

    /// `additionalEventData`, parsed on demand.
    pub fn additional_event_data(&self) -> Option<AdditionalEventData<'a>> {
        let raw = self.additional_event_data_raw?;
        serde_json::from_str::<Lenient<AdditionalEventData<'a>>>(raw)
            .ok()?
            .0
    }

    /// The response elements, parsed on demand.
    pub fn response_elements(&self) -> Option<ResponseElements<'a>> {
        let raw = self.response_elements_raw?;
        serde_json::from_str::<Lenient<ResponseElements<'a>>>(raw)
            .ok()?
            .0
    }
}

/// The ARNs of `resources[]`: the key is upper-case `ARN` in AWS's records;
/// elements of another shape (some re-exports write them as strings) are
/// passed over. The first two are kept inline, as records rarely name more.
#[derive(Debug, Default)]
pub struct ResourceArns<'a> {
    inline: [Option<Cow<'a, str>>; 2],
    more: Vec<Cow<'a, str>>,
}

impl<'a> ResourceArns<'a> {
    fn push(&mut self, arn: Cow<'a, str>) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(arn),
            None => self.more.push(arn),
        }
    }

    /// The ARNs in the record's order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.inline
            .iter()
            .flatten()
            .chain(self.more.iter())
            .map(|arn| arn.as_ref())
    }

    /// Reads `resources[]` at the scanner's position in place.
    fn read_at(&mut self, scanner: &mut Scanner<'a>) -> Result<(), ScanError> {
        if scanner.peek() != Some(b'[') {
            return scanner.value().map(|_| ());
        }
        scanner.elements(|element| {
            if element.peek() != Some(b'{') {
                return element.value().map(|_| ());
            }
            element.members(|key, s| {
                let value = s.value()?;
                if (key == b"ARN" || key == b"arn")
                    && let Some(arn) = text(value).filter(|a| !a.is_empty())
                {
                    self.push(arn);
                }
                Ok::<(), ScanError>(())
            })
        })
    }
}

/// Reads the members of an object value with `each`; `None` unless the value
/// is an object.
fn read_object<'a, T: Default>(
    value: &'a str,
    mut each: impl FnMut(&mut T, &[u8], &'a str),
) -> Result<Option<T>, ScanError> {
    if !value.starts_with('{') {
        return Ok(None);
    }
    let mut out = T::default();
    Scanner::new(value).object(|key, v| each(&mut out, key, v))?;
    Ok(Some(out))
}

/// Reads the object at the scanner's position in place, calling `each`
/// with every key and the scanner at its value (which `each` must consume);
/// `None` (the value skipped) unless it is an object.
fn read_object_at<'a, T: Default>(
    scanner: &mut Scanner<'a>,
    mut each: impl FnMut(&mut T, &[u8], &mut Scanner<'a>) -> Result<(), ScanError>,
) -> Result<Option<T>, ScanError> {
    if scanner.peek() != Some(b'{') {
        scanner.value()?;
        return Ok(None);
    }
    let mut out = T::default();
    scanner.members(|key, s| each(&mut out, key, s))?;
    Ok(Some(out))
}

impl<'a> UserIdentity<'a> {
    /// Reads `userIdentity` in place: it is in every record and is a third
    /// of its bytes, so it is walked once, by hand, not skipped and re-read.
    fn read_at(scanner: &mut Scanner<'a>) -> Result<Option<UserIdentity<'a>>, ScanError> {
        read_object_at(scanner, |u: &mut UserIdentity<'a>, key, s| {
            let slot = match key {
                b"sessionContext" => {
                    u.session_context = Lenient(SessionContext::read_at(s)?);
                    return Ok(());
                }
                b"onBehalfOf" => {
                    u.on_behalf_of = Lenient(read_object(
                        s.value()?,
                        |o: &mut OnBehalfOf<'a>, key, v| {
                            if key == b"userId" {
                                o.user_id = Text(text(v));
                            }
                        },
                    )?);
                    return Ok(());
                }
                b"type" => &mut u.kind,
                b"principalId" => &mut u.principal_id,
                b"arn" => &mut u.arn,
                b"accountId" => &mut u.account_id,
                b"accessKeyId" => &mut u.access_key_id,
                b"userName" => &mut u.user_name,
                b"invokedBy" => &mut u.invoked_by,
                b"identityProvider" => &mut u.identity_provider,
                _ => {
                    s.value()?;
                    return Ok(());
                }
            };
            *slot = Text(text(s.value()?));
            Ok(())
        })
    }
}

impl<'a> SessionContext<'a> {
    /// Reads `sessionContext` in place; its small nested objects are read
    /// from their bytes.
    fn read_at(scanner: &mut Scanner<'a>) -> Result<Option<SessionContext<'a>>, ScanError> {
        read_object_at(scanner, |c: &mut SessionContext<'a>, key, s| {
            let v = s.value()?;
            match key {
                b"sourceIdentity" => c.source_identity = Text(text(v)),
                b"sessionIssuer" => {
                    c.session_issuer =
                        Lenient(read_object(v, |i: &mut SessionIssuer<'a>, key, v| {
                            let slot = match key {
                                b"type" => &mut i.kind,
                                b"arn" => &mut i.arn,
                                b"accountId" => &mut i.account_id,
                                b"userName" => &mut i.user_name,
                                _ => return,
                            };
                            *slot = Text(text(v));
                        })?)
                }
                b"attributes" => {
                    c.attributes = Lenient(read_object(
                        v,
                        |a: &mut SessionAttributes<'a>, key, v| match key {
                            b"creationDate" => a.creation_date = Text(text(v)),
                            b"mfaAuthenticated" => {
                                a.mfa_authenticated = Flag::from_text(&Text(text(v)))
                            }
                            _ => {}
                        },
                    )?)
                }
                b"webIdFederationData" => {
                    c.web_id_federation_data = Lenient(read_object(
                        v,
                        |w: &mut WebIdFederationData<'a>, key, v| {
                            if key == b"federatedProvider" {
                                w.federated_provider = Text(text(v));
                            }
                        },
                    )?)
                }
                _ => {}
            }
            Ok(())
        })
    }
}

/// The `userIdentity` element.
#[derive(Debug, Default)]
pub struct UserIdentity<'a> {
    /// `Root`, `IAMUser`, `AssumedRole`, `AWSAccount`, `AWSService`, ...;
    /// absent on some `AwsServiceEvent` records.
    pub kind: Text<'a>,
    /// The entity's unique id (`AIDA...`, `AROA...:session`).
    pub principal_id: Text<'a>,
    /// The ARN of the principal that made the call.
    pub arn: Text<'a>,
    /// The account that owns the entity that granted the credentials.
    pub account_id: Text<'a>,
    /// `AKIA...` (long-term) or `ASIA...` (temporary); may be `""`.
    pub access_key_id: Text<'a>,
    /// The IAM user name (or the subject for web identity).
    pub user_name: Text<'a>,
    /// The service that made the request on the principal's behalf.
    pub invoked_by: Text<'a>,
    /// The identity provider of a `WebIdentityUser` or `SAMLUser`.
    pub identity_provider: Text<'a>,
    /// The session, for temporary credentials.
    pub session_context: Lenient<SessionContext<'a>>,
    /// Identity Center user on whose behalf the call was made.
    pub on_behalf_of: Lenient<OnBehalfOf<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default)]
pub struct SessionContext<'a> {
    /// The entity that issued the session (a role, user or root).
    pub session_issuer: Lenient<SessionIssuer<'a>>,
    /// When the credentials were issued and whether MFA was used.
    pub attributes: Lenient<SessionAttributes<'a>>,
    /// The source identity set on the session (persists through role chains).
    pub source_identity: Text<'a>,
    /// The federated provider, for web-identity sessions.
    pub web_id_federation_data: Lenient<WebIdFederationData<'a>>,
}

/// `sessionContext.sessionIssuer`.
#[derive(Debug, Default)]
pub struct SessionIssuer<'a> {
    /// `Role`, `IAMUser` or `Root`.
    pub kind: Text<'a>,
    /// The issuer's ARN (the role ARN for assumed roles).
    pub arn: Text<'a>,
    /// The issuer's account.
    pub account_id: Text<'a>,
    /// The issuer's name.
    pub user_name: Text<'a>,
}

/// `sessionContext.attributes`.
#[derive(Debug, Default)]
pub struct SessionAttributes<'a> {
    /// When the credentials were issued (two formats occur).
    pub creation_date: Text<'a>,
    /// Whether the session was authenticated with MFA (a string in AWS's examples).
    pub mfa_authenticated: Flag,
}

/// `sessionContext.webIdFederationData`.
#[derive(Debug, Default)]
pub struct WebIdFederationData<'a> {
    /// The OIDC or web identity provider.
    pub federated_provider: Text<'a>,
}

/// `userIdentity.onBehalfOf` (IAM Identity Center).
#[derive(Debug, Default)]
pub struct OnBehalfOf<'a> {
    /// The Identity Center user id.
    pub user_id: Text<'a>,
}

/// The request parameters that name a resource or describe a session.
/// Only top-level keys are read; nested values are skipped unread.
#[derive(Debug, Default)]
pub struct RequestParameters<'a> {
    /// S3 bucket.
    pub bucket_name: Text<'a>,
    /// S3 object key.
    pub key: Text<'a>,
    /// The role an STS call assumes.
    pub role_arn: Text<'a>,
    /// The session name an STS call asks for.
    pub role_session_name: Text<'a>,
    /// The ExternalId given to AssumeRole.
    pub external_id: Text<'a>,
    /// The source identity given to AssumeRole.
    pub source_identity: Text<'a>,
    /// Session tags given to an STS call.
    pub tags: Present,
    /// The MFA device given to AssumeRole or GetSessionToken.
    pub serial_number: Text<'a>,
    /// The SAML provider of AssumeRoleWithSAML.
    pub principal_arn: Text<'a>,
    /// The name given to GetFederationToken.
    pub name: Text<'a>,
    /// Lambda function.
    pub function_name: Text<'a>,
    /// Secrets Manager secret.
    pub secret_id: Text<'a>,
    /// KMS key.
    pub key_id: Text<'a>,
    /// DynamoDB table.
    pub table_name: Text<'a>,
    /// EC2 instance (single-instance calls).
    pub instance_id: Text<'a>,
    /// IAM role of IAM role calls.
    pub role_name: Text<'a>,
    /// IAM user of IAM user calls.
    pub user_name: Text<'a>,
    /// IAM policy of IAM policy calls.
    pub policy_arn: Text<'a>,
}

impl<'a> RequestParameters<'a> {
    /// Reads the parameters at the scanner's position, consuming the value;
    /// `None` unless it is an object.
    fn read(scanner: &mut Scanner<'a>) -> Result<Option<RequestParameters<'a>>, ScanError> {
        if scanner.peek() != Some(b'{') {
            scanner.value()?;
            return Ok(None);
        }
        let mut p = RequestParameters::default();
        scanner.object(|key, v| {
            let slot = match key {
                b"bucketName" => &mut p.bucket_name,
                b"key" => &mut p.key,
                b"roleArn" => &mut p.role_arn,
                b"roleSessionName" => &mut p.role_session_name,
                b"externalId" => &mut p.external_id,
                b"sourceIdentity" => &mut p.source_identity,
                b"serialNumber" => &mut p.serial_number,
                b"principalArn" => &mut p.principal_arn,
                b"name" => &mut p.name,
                b"functionName" => &mut p.function_name,
                b"secretId" => &mut p.secret_id,
                b"keyId" => &mut p.key_id,
                b"tableName" => &mut p.table_name,
                b"instanceId" => &mut p.instance_id,
                b"roleName" => &mut p.role_name,
                b"userName" => &mut p.user_name,
                b"policyArn" => &mut p.policy_arn,
                b"tags" => {
                    p.tags = Present(v != "null");
                    return;
                }
                _ => return,
            };
            *slot = Text(text(v));
        })?;
        Ok(Some(p))
    }
}

/// The response elements an STS call returns about the session it opened.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResponseElements<'a> {
    /// The issued credentials (the secret is never logged).
    #[serde(borrow)]
    pub credentials: Lenient<Credentials<'a>>,
    /// The assumed-role session.
    #[serde(rename = "assumedRoleUser", borrow)]
    pub assumed_role_user: Lenient<AssumedRoleUser<'a>>,
    /// The federated user of GetFederationToken.
    #[serde(rename = "federatedUser", borrow)]
    pub federated_user: Lenient<AssumedRoleUser<'a>>,
    /// The subject of AssumeRoleWithWebIdentity / AssumeRoleWithSAML.
    #[serde(rename = "subjectFromWebIdentityToken", borrow)]
    pub subject_from_web_identity_token: Text<'a>,
}

/// `responseElements.credentials`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Credentials<'a> {
    /// The issued access key id (`ASIA...`): the join key to the session's calls.
    #[serde(rename = "accessKeyId", borrow)]
    pub access_key_id: Text<'a>,
}

/// `responseElements.assumedRoleUser` / `federatedUser`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssumedRoleUser<'a> {
    /// The session's ARN.
    #[serde(borrow)]
    pub arn: Text<'a>,
}

/// `additionalEventData`, as far as it is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdditionalEventData<'a> {
    /// `Yes`/`No` on console sign-in.
    #[serde(rename = "MFAUsed", borrow)]
    pub mfa_used: Text<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_of_a_documented_assume_role_record() {
        // Shape of the IAM User Guide example "AWS STS API event in CloudTrail
        // log file" (cross-account AssumeRole), trimmed.
        let json = r#"{"eventVersion":"1.08","userIdentity":{"type":"AWSAccount","principalId":"AIDAQRSTUVWXYZEXAMPLE","accountId":"777788889999"},
        "eventTime":"2019-11-14T17:25:26Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-2",
        "sourceIPAddress":"192.0.2.101","userAgent":"aws-cli/1.16.96","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/JohnRole1",
        "roleSessionName":"Role1Session","externalId":"ex-1","durationSeconds":3600,"tags":[{"key":"a","value":"b"}]},
        "responseElements":{"credentials":{"accessKeyId":"ASIAQRSTUVWXYZEXAMPLE","expiration":"Nov 14, 2019 6:25:26 PM"},
        "assumedRoleUser":{"assumedRoleId":"AROA:Role1Session","arn":"arn:aws:sts::111122223333:assumed-role/JohnRole1/Role1Session"}},
        "resources":[{"ARN":"arn:aws:iam::111122223333:role/JohnRole1","accountId":"111122223333","type":"AWS::IAM::Role"}],
        "eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333","sharedEventID":"s1","managementEvent":true}"#;
        let r = Record::parse(json).expect("parse");
        let who = r.user_identity.get().expect("identity");
        assert_eq!(who.kind.get(), Some("AWSAccount"));
        assert_eq!(who.account_id.get(), Some("777788889999"));
        let params = r.request_parameters.get().expect("params");
        assert_eq!(params.external_id.get(), Some("ex-1"));
        let resp = r.response_elements().expect("response");
        let key = resp.credentials.get().and_then(|c| c.access_key_id.get());
        assert_eq!(key, Some("ASIAQRSTUVWXYZEXAMPLE"));
        let mut arns = Vec::new();
        r.for_each_resource_arn(|a| arns.push(a.to_string()));
        assert_eq!(arns, ["arn:aws:iam::111122223333:role/JohnRole1"]);
        assert_eq!(r.management_event.0, Some(true));
    }

    #[test]
    fn tolerates_nulls_strings_for_booleans_and_missing_type() {
        let json = r#"{"userIdentity":{"accountId":123456789012,"invokedBy":"secretsmanager.amazonaws.com",
            "sessionContext":{"attributes":{"mfaAuthenticated":"true","creationDate":"20131102T010628Z"}}},
            "requestParameters":null,"responseElements":"weird","resources":null,"readOnly":"false"}"#;
        let r = Record::parse(json).expect("parse");
        let who = r.user_identity.get().expect("identity");
        assert_eq!(who.kind.get(), None);
        assert_eq!(who.account_id.get(), Some("123456789012"));
        let attrs = who
            .session_context
            .get()
            .and_then(|s| s.attributes.get())
            .expect("attrs");
        assert_eq!(attrs.mfa_authenticated.0, Some(true));
        assert!(r.request_parameters.get().is_none());
        assert!(r.response_elements().is_none());
        assert_eq!(r.read_only.0, Some(false));
    }
}
