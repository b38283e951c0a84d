//! `userIdentity` builders ("CloudTrail userIdentity element") and the
//! manifest principal each identity maps to.
//!
//! Every builder returns a [`Caller`]: the JSON subtree shared by all records
//! of one session plus the principal key, type and session facts the
//! manifest tallies. Keeping both in one place is what lets the manifest be
//! counted while writing instead of re-derived from the JSON. Key rules (the
//! analyzer uses the same): IAMUser → user ARN; AssumedRole → session issuer
//! role ARN; Root → `arn:aws:iam::<acct>:root`; FederatedUser → its ARN;
//! WebIdentityUser / SAMLUser → `identityProvider`; AWSAccount → accountId;
//! AWSService or type-less with `invokedBy` → `invokedBy`; otherwise ARN,
//! principalId or `unknown`.

use super::json::{J, Obj};
use super::scenario::{Role, User};
use super::time::{iso_basic, rfc3339};

/// Manifest facts of one role session (only sessions with an access key).
#[derive(Debug, Clone)]
pub(crate) struct SessionMeta {
    /// The `ASIA…` key all calls of the session carry.
    pub(crate) access_key_id: String,
    /// `roleSessionName`.
    pub(crate) session_name: String,
    /// Caller account of the AssumeRole that issued the session, when logged.
    pub(crate) opened_by: Option<&'static str>,
    /// `sessionContext.attributes.mfaAuthenticated`.
    pub(crate) mfa: bool,
}

/// Who made a call: the identity JSON and everything the manifest needs.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The `userIdentity` subtree, shared between records.
    pub(crate) identity: J,
    /// `userIdentity.type`, or `(none)` when the element has no type.
    pub(crate) itype: &'static str,
    /// Manifest principal key.
    pub(crate) key: String,
    /// Manifest principal type (`iam_user`, `role`, …).
    pub(crate) ptype: &'static str,
    /// `userIdentity.accountId`, when present.
    pub(crate) account: Option<&'static str>,
    /// Session facts for role sessions with an access key.
    pub(crate) session: Option<SessionMeta>,
    /// Vendor scenario the activity belongs to.
    pub(crate) vendor: Option<&'static str>,
    /// `sourceIPAddress` (an IP, or a service DNS name for AWS services).
    pub(crate) ip: &'static str,
    /// `userAgent`.
    pub(crate) user_agent: &'static str,
    /// Console session: adds `sessionCredentialFromConsole: "true"`.
    pub(crate) console: bool,
    /// Called by an AWS service: no `tlsDetails`.
    pub(crate) by_service: bool,
    /// `accessKeyId` (for lookup-events output).
    pub(crate) access_key: Option<String>,
    /// User or session name (for lookup-events output).
    pub(crate) username: Option<String>,
}

impl Caller {
    /// A caller with the fields every builder sets; the rest default.
    fn new(identity: Obj, itype: &'static str, key: String, ptype: &'static str) -> Self {
        Self {
            identity: identity.j().shared(),
            itype,
            key,
            ptype,
            account: None,
            session: None,
            vendor: None,
            ip: "AWS Internal",
            user_agent: "AWS Internal",
            console: false,
            by_service: false,
            access_key: None,
            username: None,
        }
    }

    /// Sets the network origin.
    pub(crate) fn origin(mut self, ip: &'static str, user_agent: &'static str) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// Attributes the caller's activity to a vendor scenario.
    pub(crate) fn vendor(mut self, vendor: &'static str) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Marks calls an AWS service makes with this identity (no `tlsDetails`).
    pub(crate) fn via_service(mut self) -> Self {
        self.by_service = true;
        self
    }

    /// Marks a console session.
    pub(crate) fn console(mut self) -> Self {
        self.console = true;
        self
    }
}

/// `sessionContext.attributes`, with `creationDate` in ISO basic or
/// extended form (both occur in AWS's examples) and the MFA flag as a string.
fn attributes(created: i64, basic: bool, mfa: bool) -> J {
    let date = if basic {
        iso_basic(created)
    } else {
        rfc3339(created)
    };
    Obj::new()
        .f("creationDate", date)
        .f("mfaAuthenticated", if mfa { "true" } else { "false" })
        .j()
}

/// Session timing and MFA facts shared by the session builders.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// When the credentials were issued.
    pub(crate) created: i64,
    /// Write `creationDate` in ISO basic form.
    pub(crate) basic: bool,
    /// MFA was used to obtain the credentials.
    pub(crate) mfa: bool,
}

/// An IAM user with a long-term key, or with no key at all (`None`).
pub(crate) fn iam_user(user: &User, key: Option<String>) -> Caller {
    let obj = Obj::new()
        .f("type", "IAMUser")
        .f("principalId", user.id())
        .f("arn", user.arn())
        .f("accountId", user.account)
        .opt("accessKeyId", key.clone())
        .f("userName", user.name);
    let mut c = Caller::new(obj, "IAMUser", user.arn(), "iam_user");
    c.account = Some(user.account);
    c.access_key = key;
    c.username = Some(user.name.to_owned());
    c
}

/// An IAM user signed in to the console: temporary `ASIA…` key with an
/// empty session issuer, as CloudTrail logs console sessions of users.
pub(crate) fn iam_user_console(user: &User, key: String, stamp: Stamp) -> Caller {
    let ctx = Obj::new()
        .f("sessionIssuer", Obj::new())
        .f("webIdFederationData", Obj::new())
        .f(
            "attributes",
            attributes(stamp.created, stamp.basic, stamp.mfa),
        );
    let obj = Obj::new()
        .f("type", "IAMUser")
        .f("principalId", user.id())
        .f("arn", user.arn())
        .f("accountId", user.account)
        .f("accessKeyId", key.clone())
        .f("userName", user.name)
        .f("sessionContext", ctx);
    let mut c = Caller::new(obj, "IAMUser", user.arn(), "iam_user").console();
    c.account = Some(user.account);
    c.access_key = Some(key);
    c.username = Some(user.name.to_owned());
    c
}

/// The root user; `key` is `""` on sign-in records and an `ASIA…` key for
/// console calls.
pub(crate) fn root(account: &'static str, key: &str, stamp: Option<Stamp>) -> Caller {
    let arn = format!("arn:aws:iam::{account}:root");
    let mut obj = Obj::new()
        .f("type", "Root")
        .f("principalId", account)
        .f("arn", arn.clone())
        .f("accountId", account)
        .f("accessKeyId", key.to_owned());
    if let Some(s) = stamp {
        obj.push(
            "sessionContext",
            Obj::new().f("attributes", attributes(s.created, s.basic, s.mfa)),
        );
    }
    let mut c = Caller::new(obj, "Root", arn, "root");
    c.account = Some(account);
    c.access_key = (!key.is_empty()).then(|| key.to_owned());
    c.username = Some("root".to_owned());
    c
}

/// Extra `sessionContext` members of a role session.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionExtras {
    /// `webIdFederationData.federatedProvider` for web-identity sessions.
    pub(crate) web_provider: Option<String>,
    /// `sourceIdentity` set at AssumeRole time.
    pub(crate) source_identity: Option<&'static str>,
    /// `ec2RoleDelivery` for instance-profile credentials.
    pub(crate) ec2_delivery: Option<&'static str>,
    /// `invokedBy` (service-linked role sessions).
    pub(crate) invoked_by: Option<&'static str>,
    /// Account of the AssumeRole caller, for the manifest.
    pub(crate) opened_by: Option<&'static str>,
    /// MFA was used to obtain the session (used by `Plan::session`).
    pub(crate) mfa: bool,
}

/// An `AssumedRole` session of `role`.
pub(crate) fn assumed_role(
    role: &Role,
    session: &str,
    key: Option<String>,
    stamp: Stamp,
    extras: SessionExtras,
) -> Caller {
    let issuer = Obj::new()
        .f("type", "Role")
        .f("principalId", role.id())
        .f("arn", role.arn())
        .f("accountId", role.account)
        .f("userName", role.name);
    let web = match &extras.web_provider {
        Some(p) => Obj::new()
            .f("federatedProvider", p.clone())
            .f("attributes", Obj::new()),
        None => Obj::new(),
    };
    let ctx = Obj::new()
        .f("sessionIssuer", issuer)
        .f("webIdFederationData", web)
        .f(
            "attributes",
            attributes(stamp.created, stamp.basic, stamp.mfa),
        )
        .opt("sourceIdentity", extras.source_identity)
        .opt("ec2RoleDelivery", extras.ec2_delivery);
    let obj = Obj::new()
        .f("type", "AssumedRole")
        .f("principalId", format!("{}:{session}", role.id()))
        .f("arn", role.session_arn(session))
        .f("accountId", role.account)
        .opt("accessKeyId", key.clone())
        .f("sessionContext", ctx)
        .opt("invokedBy", extras.invoked_by);
    let mut c = Caller::new(obj, "AssumedRole", role.arn(), "role");
    c.account = Some(role.account);
    c.session = key.as_ref().filter(|k| !k.is_empty()).map(|k| SessionMeta {
        access_key_id: k.clone(),
        session_name: session.to_owned(),
        opened_by: extras.opened_by,
        mfa: stamp.mfa,
    });
    c.access_key = key;
    c.username = Some(session.to_owned());
    c
}

/// Another account calling into ours (the role owner's copy of a
/// cross-account AssumeRole): only accountId and the caller's unique ID.
pub(crate) fn aws_account(account: &'static str, principal_id: String) -> Caller {
    let obj = Obj::new()
        .f("type", "AWSAccount")
        .f("principalId", principal_id)
        .f("accountId", account);
    let mut c = Caller::new(obj, "AWSAccount", account.to_owned(), "aws_account");
    c.account = Some(account);
    c
}

/// An AWS service acting itself (`type: AWSService`).
pub(crate) fn aws_service(service: &'static str) -> Caller {
    let obj = Obj::new().f("type", "AWSService").f("invokedBy", service);
    let mut c =
        Caller::new(obj, "AWSService", service.to_owned(), "aws_service").origin(service, service);
    c.by_service = true;
    c
}

/// The type-less identity of `AwsServiceEvent` records: accountId + invokedBy.
pub(crate) fn service_event(account: &'static str, invoked_by: &'static str) -> Caller {
    let obj = Obj::new()
        .f("accountId", account)
        .f("invokedBy", invoked_by);
    let mut c = Caller::new(obj, "(none)", invoked_by.to_owned(), "aws_service");
    c.account = Some(account);
    c.by_service = true;
    let origin = if invoked_by.contains('.') {
        invoked_by
    } else {
        "AWS Internal"
    };
    c.origin(origin, origin)
}

/// A federated user session from GetFederationToken issued to `issuer`.
pub(crate) fn federated_user(issuer: &User, name: &str, key: String, stamp: Stamp) -> Caller {
    let account = issuer.account;
    let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
    let iss = Obj::new()
        .f("type", "IAMUser")
        .f("principalId", issuer.id())
        .f("arn", issuer.arn())
        .f("accountId", account)
        .f("userName", issuer.name);
    let ctx = Obj::new()
        .f("sessionIssuer", iss)
        .f("webIdFederationData", Obj::new())
        .f(
            "attributes",
            attributes(stamp.created, stamp.basic, stamp.mfa),
        );
    let obj = Obj::new()
        .f("type", "FederatedUser")
        .f("principalId", format!("{account}:{name}"))
        .f("arn", arn.clone())
        .f("accountId", account)
        .f("accessKeyId", key.clone())
        .f("sessionContext", ctx);
    let mut c = Caller::new(obj, "FederatedUser", arn, "federated_user");
    c.account = Some(account);
    c.access_key = Some(key);
    c.username = Some(name.to_owned());
    c
}

/// The caller of AssumeRoleWithWebIdentity.
pub(crate) fn web_identity(
    provider: &'static str,
    provider_arn: &str,
    subject: &'static str,
) -> Caller {
    let obj = Obj::new()
        .f("type", "WebIdentityUser")
        .f(
            "principalId",
            format!("{provider_arn}:sts.amazonaws.com:{subject}"),
        )
        .f("userName", subject)
        .f("identityProvider", provider);
    let mut c = Caller::new(obj, "WebIdentityUser", provider.to_owned(), "web_identity");
    c.username = Some(subject.to_owned());
    c
}

/// The caller of AssumeRoleWithSAML.
pub(crate) fn saml_user(provider_arn: &'static str, name_qualifier: &str, subject: &str) -> Caller {
    let obj = Obj::new()
        .f("type", "SAMLUser")
        .f("principalId", format!("{name_qualifier}:{subject}"))
        .f("userName", subject.to_owned())
        .f("identityProvider", provider_arn);
    let mut c = Caller::new(obj, "SAMLUser", provider_arn.to_owned(), "saml");
    c.username = Some(subject.to_owned());
    c
}

/// `type: Unknown`, as IAM Identity Center sign-in events log their users.
pub(crate) fn unknown(
    account: &'static str,
    principal_id: String,
    user_name: &'static str,
) -> Caller {
    let obj = Obj::new()
        .f("type", "Unknown")
        .f("principalId", principal_id.clone())
        .f("accountId", account)
        .f("accessKeyId", "")
        .f("userName", user_name);
    let mut c = Caller::new(obj, "Unknown", principal_id, "unknown");
    c.account = Some(account);
    c.username = Some(user_name.to_owned());
    c
}
