//! Who made a call: the principal a record's `userIdentity` names.
//!
//! The principal is the IAM entity that permissions attach to, so that usage
//! can later be set against grants: the user ARN for IAM users, the *role*
//! ARN (the session issuer) for assumed-role sessions, with the session kept
//! apart; the account id for an outside account; the service name for an AWS
//! service. Rules follow the CloudTrail User Guide, "CloudTrail userIdentity
//! element".

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::cloudtrail::record::{Record, UserIdentity};

/// The kind of principal, as written in the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An IAM user (long-term or session credentials).
    IamUser,
    /// An IAM role, through its sessions.
    Role,
    /// The account root user.
    Root,
    /// A federated user from `GetFederationToken`.
    FederatedUser,
    /// An identity from a web identity (OIDC) provider.
    WebIdentity,
    /// An identity from a SAML provider.
    Saml,
    /// Another AWS account, as the caller of a cross-account call.
    AwsAccount,
    /// An AWS service acting on its own.
    AwsService,
    /// An IAM Identity Center user.
    IdentityCenterUser,
    /// Anything CloudTrail did not identify.
    Unknown,
}

impl PrincipalKind {
    /// The snake_case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::IamUser => "iam_user",
            PrincipalKind::Role => "role",
            PrincipalKind::Root => "root",
            PrincipalKind::FederatedUser => "federated_user",
            PrincipalKind::WebIdentity => "web_identity",
            PrincipalKind::Saml => "saml",
            PrincipalKind::AwsAccount => "aws_account",
            PrincipalKind::AwsService => "aws_service",
            PrincipalKind::IdentityCenterUser => "identity_center_user",
            PrincipalKind::Unknown => "unknown",
        }
    }
}

/// The principal of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal<'r> {
    /// What kind of principal.
    pub kind: PrincipalKind,
    /// The key it is counted under: an ARN, an account id, a service name,
    /// a provider, or `unknown`.
    pub arn: Cow<'r, str>,
    /// The account that owns it, when known.
    pub account: Option<&'r str>,
}

/// The key for records whose caller CloudTrail does not name.
pub const UNKNOWN: &str = "unknown";

impl PrincipalKind {
    /// The key for a principal of this kind whose name the record lacks.
    /// One key per kind, so a key always means one kind (and merged results
    /// do not depend on which record came first).
    pub fn unknown_key(self) -> &'static str {
        match self {
            PrincipalKind::Unknown => UNKNOWN,
            PrincipalKind::IamUser => "unknown iam_user",
            PrincipalKind::Role => "unknown role",
            PrincipalKind::Root => "unknown root",
            PrincipalKind::FederatedUser => "unknown federated_user",
            PrincipalKind::WebIdentity => "unknown web_identity",
            PrincipalKind::Saml => "unknown saml",
            PrincipalKind::AwsAccount => "unknown aws_account",
            PrincipalKind::AwsService => "unknown aws_service",
            PrincipalKind::IdentityCenterUser => "unknown identity_center_user",
        }
    }
}

impl<'r> Principal<'r> {
    /// Reads the principal of a record.
    pub fn of(record: &'r Record<'_>) -> Principal<'r> {
        let Some(who) = record.user_identity.get() else {
            return Principal {
                kind: PrincipalKind::Unknown,
                arn: Cow::Borrowed(UNKNOWN),
                account: None,
            };
        };
        let account = who.account_id.get();
        let named = |kind: PrincipalKind, arn: Option<&'r str>| Principal {
            kind,
            arn: Cow::Borrowed(arn.unwrap_or(kind.unknown_key())),
            account,
        };
        match who.kind.get() {
            Some("IAMUser") => iam_user(who, account),
            Some("AssumedRole") => assumed_role(who, account),
            Some("Role") => named(PrincipalKind::Role, who.arn.get()),
            Some("Root") => Principal {
                kind: PrincipalKind::Root,
                arn: match account {
                    Some(acct) => Cow::Owned(format!("arn:aws:iam::{acct}:root")),
                    None => {
                        Cow::Borrowed(who.arn.get().unwrap_or(PrincipalKind::Root.unknown_key()))
                    }
                },
                account,
            },
            Some("FederatedUser") => named(PrincipalKind::FederatedUser, who.arn.get()),
            Some("WebIdentityUser") => {
                named(PrincipalKind::WebIdentity, who.identity_provider.get())
            }
            Some("SAMLUser") => named(PrincipalKind::Saml, who.identity_provider.get()),
            Some("AWSAccount") => named(PrincipalKind::AwsAccount, account),
            Some("AWSService") => aws_service(record, who),
            Some("IdentityCenterUser") => named(
                PrincipalKind::IdentityCenterUser,
                who.on_behalf_of
                    .get()
                    .and_then(|o| o.user_id.get())
                    .or(who.arn.get()),
            ),
            // AwsServiceEvent records may carry only accountId + invokedBy.
            None if who.invoked_by.get().is_some() => aws_service(record, who),
            _ => named(
                PrincipalKind::Unknown,
                who.arn.get().or(who.principal_id.get()),
            ),
        }
    }
}

/// CloudTrail writes the user's name that AWS failed to recognise as
/// `HIDDEN_DUE_TO_SECURITY_REASONS` (failed console sign-in).
const HIDDEN_USER_NAME: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// An IAM user: its ARN, or, for the few records without one (sign-in
/// events such as `CheckMfa`), the ARN rebuilt from account and user name
/// (a user with a path cannot be told apart that way).
fn iam_user<'r>(who: &'r UserIdentity<'_>, account: Option<&'r str>) -> Principal<'r> {
    let arn = match (who.arn.get(), account, who.user_name.get()) {
        (Some(arn), _, _) => Cow::Borrowed(arn),
        (None, Some(acct), Some(name)) if name != HIDDEN_USER_NAME => {
            Cow::Owned(format!("arn:aws:iam::{acct}:user/{name}"))
        }
        _ => Cow::Borrowed(PrincipalKind::IamUser.unknown_key()),
    };
    Principal {
        kind: PrincipalKind::IamUser,
        arn,
        account,
    }
}

fn aws_service<'r>(record: &'r Record<'_>, who: &'r UserIdentity<'_>) -> Principal<'r> {
    Principal {
        kind: PrincipalKind::AwsService,
        arn: Cow::Borrowed(
            who.invoked_by
                .get()
                .unwrap_or(PrincipalKind::AwsService.unknown_key()),
        ),
        account: record.recipient_account_id.get().or(who.account_id.get()),
    }
}

/// An assumed-role session counts under its role: the session issuer's ARN,
/// or, when a record lacks the issuer, the role derived from the session ARN
/// (`arn:aws:sts::A:assumed-role/R/S` → `arn:aws:iam::A:role/R`, path unknown).
fn assumed_role<'r>(who: &'r UserIdentity<'_>, account: Option<&'r str>) -> Principal<'r> {
    let issuer = who
        .session_context
        .get()
        .and_then(|s| s.session_issuer.get())
        .and_then(|i| i.arn.get());
    let arn = match issuer {
        Some(role) => Cow::Borrowed(role),
        None => match who.arn.get().and_then(role_of_session_arn) {
            Some(role) => Cow::Owned(role),
            None => Cow::Borrowed(who.arn.get().unwrap_or(PrincipalKind::Role.unknown_key())),
        },
    };
    Principal {
        kind: PrincipalKind::Role,
        arn,
        account,
    }
}

/// `arn:aws:sts::A:assumed-role/R/S` → `arn:aws:iam::A:role/R`.
pub fn role_of_session_arn(session_arn: &str) -> Option<String> {
    let (head, resource) = session_arn.split_once(":assumed-role/")?;
    let account = head.rsplit(':').next()?;
    let partition = head.split(':').nth(1)?;
    let role = resource.split('/').next()?;
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// The session name of an assumed-role or federated session ARN (its last
/// path segment).
pub fn session_name_of_arn(arn: &str) -> Option<&str> {
    if arn.contains(":assumed-role/") || arn.contains(":federated-user/") {
        arn.rsplit('/').next()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal_of(json: &str) -> (PrincipalKind, String, Option<String>) {
        let record = Record::parse(json).expect("parse");
        let p = Principal::of(&record);
        (p.kind, p.arn.into_owned(), p.account.map(str::to_string))
    }

    #[test]
    fn each_identity_type_has_its_key() {
        let cases = [
            (
                r#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Alice","accountId":"111122223333"}}"#,
                PrincipalKind::IamUser,
                "arn:aws:iam::111122223333:user/Alice",
            ),
            (
                r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R/s","accountId":"111122223333",
                "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/path/R"}}}}"#,
                PrincipalKind::Role,
                "arn:aws:iam::111122223333:role/path/R",
            ),
            (
                r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/R/s","accountId":"111122223333"}}"#,
                PrincipalKind::Role,
                "arn:aws:iam::111122223333:role/R",
            ),
            (
                r#"{"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}}"#,
                PrincipalKind::Root,
                "arn:aws:iam::111122223333:root",
            ),
            (
                r#"{"userIdentity":{"type":"AWSAccount","principalId":"AIDAEXAMPLE","accountId":"777788889999"}}"#,
                PrincipalKind::AwsAccount,
                "777788889999",
            ),
            (
                r#"{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"recipientAccountId":"111122223333"}"#,
                PrincipalKind::AwsService,
                "ec2.amazonaws.com",
            ),
            (
                r#"{"userIdentity":{"accountId":"111122223333","invokedBy":"secretsmanager.amazonaws.com"}}"#,
                PrincipalKind::AwsService,
                "secretsmanager.amazonaws.com",
            ),
            (
                r#"{"userIdentity":{"type":"WebIdentityUser","userName":"repo:a/b:ref:refs/heads/main","identityProvider":"token.actions.githubusercontent.com"}}"#,
                PrincipalKind::WebIdentity,
                "token.actions.githubusercontent.com",
            ),
            (
                r#"{"userIdentity":{"type":"SAMLUser","identityProvider":"arn:aws:iam::111122223333:saml-provider/Okta"}}"#,
                PrincipalKind::Saml,
                "arn:aws:iam::111122223333:saml-provider/Okta",
            ),
            (
                r#"{"userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333"}}"#,
                PrincipalKind::FederatedUser,
                "arn:aws:sts::111122223333:federated-user/bob",
            ),
            (
                r#"{"userIdentity":{"type":"Unknown","principalId":"X"}}"#,
                PrincipalKind::Unknown,
                "X",
            ),
            (r#"{"eventName":"x"}"#, PrincipalKind::Unknown, "unknown"),
            (
                r#"{"userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"bob"}}"#,
                PrincipalKind::IamUser,
                "arn:aws:iam::111122223333:user/bob",
            ),
            (
                r#"{"userIdentity":{"type":"IAMUser","accountId":"1","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}}"#,
                PrincipalKind::IamUser,
                "unknown iam_user",
            ),
        ];
        for (json, kind, arn) in cases {
            let (k, a, _) = principal_of(json);
            assert_eq!((k, a.as_str()), (kind, arn), "{json}");
        }
    }

    #[test]
    fn session_arns_give_role_and_session_name() {
        let arn = "arn:aws:sts::111122223333:assumed-role/Vendor/sess-1";
        assert_eq!(
            role_of_session_arn(arn).as_deref(),
            Some("arn:aws:iam::111122223333:role/Vendor")
        );
        assert_eq!(session_name_of_arn(arn), Some("sess-1"));
        assert_eq!(session_name_of_arn("arn:aws:iam::1:user/u"), None);
    }
}
