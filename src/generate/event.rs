//! A planned CloudTrail event, before it becomes JSON.

use std::rc::Rc;

use super::identity::Caller;
use super::ops::Op;

/// Why a call failed: `errorCode` (absent for failed console sign-ins,
/// which only carry `errorMessage`) and `errorMessage`.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// `errorCode`, if the record has one.
    pub(crate) code: Option<&'static str>,
    /// `errorMessage`.
    pub(crate) message: String,
}

/// Credentials issued by an STS call (AssumeRole*, GetFederationToken).
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    /// Role ARN (or federated-user ARN for GetFederationToken).
    pub(crate) role_arn: String,
    /// Role unique ID (`AROA…`), or the federated user ID.
    pub(crate) role_id: String,
    /// `roleSessionName` / federated user name.
    pub(crate) session_name: String,
    /// ARN of the session (`assumedRoleUser.arn`).
    pub(crate) session_arn: String,
    /// The `ASIA…` key handed out.
    pub(crate) access_key: String,
    /// The session token, identical in every copy of the record.
    pub(crate) session_token: String,
    /// `durationSeconds`.
    pub(crate) duration: i64,
    /// `externalId` sent by the caller.
    pub(crate) external_id: Option<&'static str>,
    /// `serialNumber` of the MFA device, when MFA was used.
    pub(crate) serial: Option<String>,
    /// `sourceIdentity`.
    pub(crate) source_identity: Option<&'static str>,
    /// Spell `expiration` with a comma after the year.
    pub(crate) comma: bool,
}

/// What a call acted on; the payload builders turn it into
/// `requestParameters`, `responseElements` and `resources`.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// Nothing specific.
    None,
    /// An S3 bucket.
    Bucket(&'static str),
    /// An S3 object.
    Object(&'static str, String),
    /// An S3 copy inside one bucket: source key, destination key.
    Copy(&'static str, String, String),
    /// A KMS key ID (UUID) in the event's account and Region.
    Key(&'static str),
    /// A DynamoDB table.
    Table(&'static str),
    /// A Lambda function.
    Function(&'static str),
    /// A CloudFront distribution ID.
    Distribution(&'static str),
    /// An SSM parameter or Secrets Manager secret name.
    Named(&'static str),
    /// An EC2 instance ID.
    Instance(String),
    /// An IAM role or user name.
    IamEntity(&'static str),
    /// Credentials issued by STS.
    Issue(Box<Issued>),
    /// A denied AssumeRole: role ARN and session, or `None` when CloudTrail
    /// logged `requestParameters: null`.
    Denied(Option<(String, String)>),
    /// A console sign-in: success, MFA used, MFA device ARN.
    Login(bool, bool, Option<String>),
}

/// One event to emit.
#[derive(Debug, Clone)]
pub(crate) struct Ev {
    /// `eventTime`, epoch seconds.
    pub(crate) time: i64,
    /// Plan order, the tie-breaker for equal times.
    pub(crate) seq: u64,
    /// `recipientAccountId`: whose trail receives the record.
    pub(crate) account: &'static str,
    /// `awsRegion`.
    pub(crate) region: &'static str,
    /// The operation.
    pub(crate) op: &'static Op,
    /// Who called.
    pub(crate) caller: Rc<Caller>,
    /// Failure, if the call failed.
    pub(crate) failure: Option<Failure>,
    /// What the call acted on.
    pub(crate) target: Target,
    /// `sharedEventID` shared with the other account's copy.
    pub(crate) shared_event_id: Option<Rc<str>>,
    /// `requestID` shared with the other account's copy.
    pub(crate) request_id: Option<Rc<str>>,
}
