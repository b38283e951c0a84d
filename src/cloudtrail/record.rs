//! The CloudTrail record, as far as vendortrail reads it.
//!
//! Only the fields the analysis uses are declared; serde skips everything else
//! (`requestParameters` and `responseElements` are most of a record's bytes,
//! and only a handful of their keys matter). Strings borrow from the
//! decompressed buffer. Field names and meanings follow the CloudTrail User
//! Guide, "CloudTrail record contents" and "CloudTrail userIdentity element".

use serde::Deserialize;

use super::lenient::{Flag, Lenient, Present, Text};

/// One CloudTrail event record.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Record<'a> {
    /// When the request was completed (UTC).
    #[serde(rename = "eventTime", borrow)]
    pub event_time: Text<'a>,
    /// The service the request was made to, e.g. `s3.amazonaws.com`.
    #[serde(rename = "eventSource", borrow)]
    pub event_source: Text<'a>,
    /// The requested action, one of the service's API actions.
    #[serde(rename = "eventName", borrow)]
    pub event_name: Text<'a>,
    /// The Region the request was made to.
    #[serde(rename = "awsRegion", borrow)]
    pub aws_region: Text<'a>,
    /// The caller's IP address, or a service's DNS name.
    #[serde(rename = "sourceIPAddress", borrow)]
    pub source_ip: Text<'a>,
    /// The agent the request was made through (truncated at 1 KB by AWS).
    #[serde(rename = "userAgent", borrow)]
    pub user_agent: Text<'a>,
    /// The service's error code, when the request failed.
    #[serde(rename = "errorCode", borrow)]
    pub error_code: Text<'a>,
    /// A GUID unique to the event: the key for de-duplication.
    #[serde(rename = "eventID", borrow)]
    pub event_id: Text<'a>,
    /// `AwsApiCall`, `AwsServiceEvent`, `AwsConsoleSignIn`, ...
    #[serde(rename = "eventType", borrow)]
    pub event_type: Text<'a>,
    /// `Management`, `Data`, `NetworkActivity` or `Insight`; absent before
    /// eventVersion 1.07.
    #[serde(rename = "eventCategory", borrow)]
    pub event_category: Text<'a>,
    /// The account that received the event.
    #[serde(rename = "recipientAccountId", borrow)]
    pub recipient_account_id: Text<'a>,
    /// Links the copies of one cross-account action delivered to each account.
    #[serde(rename = "sharedEventID", borrow)]
    pub shared_event_id: Text<'a>,
    /// Whether this is a management event (eventVersion 1.06 and later).
    #[serde(rename = "managementEvent")]
    pub management_event: Flag,
    /// Whether the operation only reads.
    #[serde(rename = "readOnly")]
    pub read_only: Flag,
    /// Who made the request.
    #[serde(rename = "userIdentity", borrow)]
    pub user_identity: Lenient<UserIdentity<'a>>,
    /// The request's parameters (only the keys that name a resource or a
    /// session are read).
    #[serde(rename = "requestParameters", borrow)]
    pub request_parameters: Lenient<RequestParameters<'a>>,
    /// The response (only the credentials an STS call issued are read).
    #[serde(rename = "responseElements", borrow)]
    pub response_elements: Lenient<ResponseElements<'a>>,
    /// Resources accessed, with their ARNs. Elements of another shape (some
    /// re-exports write them as strings) read as absent.
    #[serde(borrow)]
    pub resources: Lenient<Vec<Lenient<Resource<'a>>>>,
    /// Extra event data, e.g. `MFAUsed` on console sign-in.
    #[serde(rename = "additionalEventData", borrow)]
    pub additional_event_data: Lenient<AdditionalEventData<'a>>,
}

/// The `userIdentity` element.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserIdentity<'a> {
    /// `Root`, `IAMUser`, `AssumedRole`, `AWSAccount`, `AWSService`, ...;
    /// absent on some `AwsServiceEvent` records.
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    /// The entity's unique id (`AIDA...`, `AROA...:session`).
    #[serde(rename = "principalId", borrow)]
    pub principal_id: Text<'a>,
    /// The ARN of the principal that made the call.
    #[serde(borrow)]
    pub arn: Text<'a>,
    /// The account that owns the entity that granted the credentials.
    #[serde(rename = "accountId", borrow)]
    pub account_id: Text<'a>,
    /// `AKIA...` (long-term) or `ASIA...` (temporary); may be `""`.
    #[serde(rename = "accessKeyId", borrow)]
    pub access_key_id: Text<'a>,
    /// The IAM user name (or the subject for web identity).
    #[serde(rename = "userName", borrow)]
    pub user_name: Text<'a>,
    /// The service that made the request on the principal's behalf.
    #[serde(rename = "invokedBy", borrow)]
    pub invoked_by: Text<'a>,
    /// The identity provider of a `WebIdentityUser` or `SAMLUser`.
    #[serde(rename = "identityProvider", borrow)]
    pub identity_provider: Text<'a>,
    /// The session, for temporary credentials.
    #[serde(rename = "sessionContext", borrow)]
    pub session_context: Lenient<SessionContext<'a>>,
    /// Identity Center user on whose behalf the call was made.
    #[serde(rename = "onBehalfOf", borrow)]
    pub on_behalf_of: Lenient<OnBehalfOf<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionContext<'a> {
    /// The entity that issued the session (a role, user or root).
    #[serde(rename = "sessionIssuer", borrow)]
    pub session_issuer: Lenient<SessionIssuer<'a>>,
    /// When the credentials were issued and whether MFA was used.
    #[serde(borrow)]
    pub attributes: Lenient<SessionAttributes<'a>>,
    /// The source identity set on the session (persists through role chains).
    #[serde(rename = "sourceIdentity", borrow)]
    pub source_identity: Text<'a>,
    /// The federated provider, for web-identity sessions.
    #[serde(rename = "webIdFederationData", borrow)]
    pub web_id_federation_data: Lenient<WebIdFederationData<'a>>,
}

/// `sessionContext.sessionIssuer`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionIssuer<'a> {
    /// `Role`, `IAMUser` or `Root`.
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    /// The issuer's ARN (the role ARN for assumed roles).
    #[serde(borrow)]
    pub arn: Text<'a>,
    /// The issuer's account.
    #[serde(rename = "accountId", borrow)]
    pub account_id: Text<'a>,
    /// The issuer's name.
    #[serde(rename = "userName", borrow)]
    pub user_name: Text<'a>,
}

/// `sessionContext.attributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionAttributes<'a> {
    /// When the credentials were issued (two formats occur).
    #[serde(rename = "creationDate", borrow)]
    pub creation_date: Text<'a>,
    /// Whether the session was authenticated with MFA (a string in AWS's examples).
    #[serde(rename = "mfaAuthenticated")]
    pub mfa_authenticated: Flag,
}

/// `sessionContext.webIdFederationData`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebIdFederationData<'a> {
    /// The OIDC or web identity provider.
    #[serde(rename = "federatedProvider", borrow)]
    pub federated_provider: Text<'a>,
}

/// `userIdentity.onBehalfOf` (IAM Identity Center).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OnBehalfOf<'a> {
    /// The Identity Center user id.
    #[serde(rename = "userId", borrow)]
    pub user_id: Text<'a>,
}

/// The request parameters that name a resource or describe a session.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestParameters<'a> {
    /// S3 bucket.
    #[serde(rename = "bucketName", borrow)]
    pub bucket_name: Text<'a>,
    /// S3 object key.
    #[serde(borrow)]
    pub key: Text<'a>,
    /// The role an STS call assumes.
    #[serde(rename = "roleArn", borrow)]
    pub role_arn: Text<'a>,
    /// The session name an STS call asks for.
    #[serde(rename = "roleSessionName", borrow)]
    pub role_session_name: Text<'a>,
    /// The ExternalId given to AssumeRole.
    #[serde(rename = "externalId", borrow)]
    pub external_id: Text<'a>,
    /// The source identity given to AssumeRole.
    #[serde(rename = "sourceIdentity", borrow)]
    pub source_identity: Text<'a>,
    /// Session tags given to an STS call.
    pub tags: Present,
    /// The MFA device given to AssumeRole or GetSessionToken.
    #[serde(rename = "serialNumber", borrow)]
    pub serial_number: Text<'a>,
    /// The SAML provider of AssumeRoleWithSAML.
    #[serde(rename = "principalArn", borrow)]
    pub principal_arn: Text<'a>,
    /// The name given to GetFederationToken.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Lambda function.
    #[serde(rename = "functionName", borrow)]
    pub function_name: Text<'a>,
    /// Secrets Manager secret.
    #[serde(rename = "secretId", borrow)]
    pub secret_id: Text<'a>,
    /// KMS key.
    #[serde(rename = "keyId", borrow)]
    pub key_id: Text<'a>,
    /// DynamoDB table.
    #[serde(rename = "tableName", borrow)]
    pub table_name: Text<'a>,
    /// EC2 instance (single-instance calls).
    #[serde(rename = "instanceId", borrow)]
    pub instance_id: Text<'a>,
    /// IAM role of IAM role calls.
    #[serde(rename = "roleName", borrow)]
    pub role_name: Text<'a>,
    /// IAM user of IAM user calls.
    #[serde(rename = "userName", borrow)]
    pub user_name: Text<'a>,
    /// IAM policy of IAM policy calls.
    #[serde(rename = "policyArn", borrow)]
    pub policy_arn: Text<'a>,
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

/// One element of `resources[]`. AWS writes the key as upper-case `ARN`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    /// The resource's ARN.
    #[serde(rename = "ARN", alias = "arn", borrow)]
    pub arn: Text<'a>,
    /// The resource owner's account.
    #[serde(rename = "accountId", borrow)]
    pub account_id: Text<'a>,
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
        let r: Record = serde_json::from_str(json).expect("parse");
        let who = r.user_identity.get().expect("identity");
        assert_eq!(who.kind.get(), Some("AWSAccount"));
        assert_eq!(who.account_id.get(), Some("777788889999"));
        let params = r.request_parameters.get().expect("params");
        assert_eq!(params.external_id.get(), Some("ex-1"));
        let resp = r.response_elements.get().expect("response");
        let key = resp.credentials.get().and_then(|c| c.access_key_id.get());
        assert_eq!(key, Some("ASIAQRSTUVWXYZEXAMPLE"));
        let arns: Vec<_> = r
            .resources
            .get()
            .expect("resources")
            .iter()
            .map(|r| r.get().and_then(|r| r.arn.get()))
            .collect();
        assert_eq!(arns, [Some("arn:aws:iam::111122223333:role/JohnRole1")]);
        assert_eq!(r.management_event.0, Some(true));
    }

    #[test]
    fn tolerates_nulls_strings_for_booleans_and_missing_type() {
        let json = r#"{"userIdentity":{"accountId":123456789012,"invokedBy":"secretsmanager.amazonaws.com",
            "sessionContext":{"attributes":{"mfaAuthenticated":"true","creationDate":"20131102T010628Z"}}},
            "requestParameters":null,"responseElements":"weird","resources":null,"readOnly":"false"}"#;
        let r: Record = serde_json::from_str(json).expect("parse");
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
        assert!(r.response_elements.get().is_none());
        assert_eq!(r.read_only.0, Some(false));
    }
}
