//! STS, sign-in and IAM payloads ("Logging IAM and AWS STS API calls with
//! AWS CloudTrail"; "AWS Sign-In events").

use super::{Parts, resource};
use crate::generate::event::{Ev, Issued, Target};
use crate::generate::json::{J, Obj};
use crate::generate::rng::Rng;
use crate::generate::scenario::{GITHUB_OIDC, GITHUB_SUBJECT};
use crate::generate::time::sts_expiration;

/// Payload for STS, sign-in and IAM.
pub(super) fn build(ev: &Ev, rng: &mut Rng) -> Parts {
    match (&ev.target, ev.op.name) {
        (Target::Issue(i), "AssumeRole") => assume_role(ev, i),
        (Target::Issue(i), "AssumeRoleWithWebIdentity") => web_identity(ev, i),
        (Target::Issue(i), "AssumeRoleWithSAML") => saml(ev, i, rng),
        (Target::Issue(i), "GetFederationToken") => federation(ev, i),
        (Target::Denied(Some((role, session))), _) => Parts::req(
            Obj::new()
                .f("roleArn", role.clone())
                .f("roleSessionName", session.clone()),
        ),
        (Target::Login(ok, mfa, device), name) => sign_in(name, *ok, *mfa, device.clone()),
        (_, "CredentialChallenge" | "CredentialVerification") => identity_center(ev.op.name),
        (target, _) if ev.op.service() == "iam" => iam(ev, target, rng),
        _ => Parts::default(),
    }
}

/// The account ID inside an ARN (`arn:aws:iam::<acct>:…`).
fn arn_account(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_owned()
}

/// `credentials` of a successful STS call.
fn credentials(ev: &Ev, i: &Issued) -> J {
    Obj::new()
        .f("accessKeyId", i.access_key.clone())
        .f("sessionToken", i.session_token.clone())
        .f("expiration", sts_expiration(ev.time + i.duration, i.comma))
        .j()
}

/// `assumedRoleUser`.
fn assumed_role_user(i: &Issued) -> J {
    Obj::new()
        .f("assumedRoleId", format!("{}:{}", i.role_id, i.session_name))
        .f("arn", i.session_arn.clone())
        .j()
}

/// The role resource entry.
fn role_resource(i: &Issued) -> J {
    resource(
        arn_account(&i.role_arn),
        "AWS::IAM::Role",
        i.role_arn.clone(),
    )
}

/// AssumeRole, with the optional parameters the caller really sent.
fn assume_role(ev: &Ev, i: &Issued) -> Parts {
    let req = Obj::new()
        .f("roleArn", i.role_arn.clone())
        .f("roleSessionName", i.session_name.clone())
        .opt("externalId", i.external_id)
        .f("durationSeconds", i.duration)
        .opt("serialNumber", i.serial.clone())
        .opt("sourceIdentity", i.source_identity);
    let resp = Obj::new()
        .f("credentials", credentials(ev, i))
        .f("assumedRoleUser", assumed_role_user(i))
        .opt("sourceIdentity", i.source_identity);
    Parts::req(req).resp(resp).res(vec![role_resource(i)])
}

/// AssumeRoleWithWebIdentity from GitHub Actions.
fn web_identity(ev: &Ev, i: &Issued) -> Parts {
    let provider = format!(
        "arn:aws:iam::{}:oidc-provider/{GITHUB_OIDC}",
        arn_account(&i.role_arn)
    );
    let req = Obj::new()
        .f("roleArn", i.role_arn.clone())
        .f("roleSessionName", i.session_name.clone())
        .f("durationSeconds", i.duration);
    let resp = Obj::new()
        .f("credentials", credentials(ev, i))
        .f("subjectFromWebIdentityToken", GITHUB_SUBJECT)
        .f("assumedRoleUser", assumed_role_user(i))
        .f("provider", provider)
        .f("audience", "sts.amazonaws.com");
    let mut p = Parts::req(req).resp(resp).res(vec![role_resource(i)]);
    p.additional = Some(
        Obj::new()
            .f(
                "identityProviderConnectionVerificationMethod",
                "IAMTrustStore",
            )
            .j(),
    );
    p
}

/// AssumeRoleWithSAML from Okta.
fn saml(ev: &Ev, i: &Issued, rng: &mut Rng) -> Parts {
    let provider = format!(
        "arn:aws:iam::{}:saml-provider/Okta",
        arn_account(&i.role_arn)
    );
    let req = Obj::new()
        .f("sAMLAssertionID", format!("id{}", rng.hex(32)))
        .f("roleSessionName", i.session_name.clone())
        .f("durationSeconds", i.duration)
        .f("roleArn", i.role_arn.clone())
        .f("principalArn", provider);
    let resp = Obj::new()
        .f("subjectType", "unspecified")
        .f("issuer", "http://www.okta.com/exk8a1b2c3d4e5f6g7h8")
        .f("credentials", credentials(ev, i))
        .f("nameQualifier", "Kq2x0mN7p4Rz8vT1yW3bC5dF6gH=")
        .f("assumedRoleUser", assumed_role_user(i))
        .f("subject", i.session_name.clone())
        .f("audience", "https://signin.aws.amazon.com/saml");
    Parts::req(req).resp(resp).res(vec![role_resource(i)])
}

/// GetFederationToken with an inline session policy (logged as a string).
fn federation(ev: &Ev, i: &Issued) -> Parts {
    let policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:ListAllMyBuckets\",\"ec2:Describe*\"],\"Resource\":\"*\"}]}";
    let req = Obj::new()
        .f("name", i.session_name.clone())
        .f("durationSeconds", i.duration)
        .f("policy", policy);
    let user = Obj::new()
        .f("federatedUserId", i.role_id.clone())
        .f("arn", i.session_arn.clone());
    let resp = Obj::new()
        .f("credentials", credentials(ev, i))
        .f("federatedUser", user)
        .f("packedPolicySize", 9i64);
    Parts::req(req).resp(resp)
}

/// ConsoleLogin and CheckMfa (AwsConsoleSignIn records).
fn sign_in(name: &str, ok: bool, mfa: bool, device: Option<String>) -> Parts {
    let outcome = if ok { "Success" } else { "Failure" };
    if name == "CheckMfa" {
        let mut p = Parts::default().resp(Obj::new().f("CheckMfa", outcome));
        p.additional = Some(Obj::new().f("MfaType", "Virtual MFA").j());
        return p;
    }
    let extra = Obj::new()
        .f(
            "LoginTo",
            "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        )
        .f("MobileVersion", "No")
        .opt("MFAIdentifier", device)
        .f("MFAUsed", if mfa { "Yes" } else { "No" });
    let mut p = Parts::default().resp(Obj::new().f("ConsoleLogin", outcome));
    p.additional = Some(extra.j());
    p
}

/// IAM Identity Center sign-in steps (AwsServiceEvent, type Unknown).
fn identity_center(name: &'static str) -> Parts {
    Parts {
        additional: Some(Obj::new().f("CredentialType", "PASSWORD").j()),
        service_details: Some(Obj::new().f(name, "Success").j()),
        ..Parts::default()
    }
}

/// IAM calls by administrators.
fn iam(ev: &Ev, target: &Target, rng: &mut Rng) -> Parts {
    let entity = match target {
        Target::IamEntity(n) => *n,
        _ => "app-server",
    };
    match ev.op.name {
        "GetRole" => Parts::req(Obj::new().f("roleName", entity)),
        "PutRolePolicy" => Parts::req(
            Obj::new()
                .f("roleName", entity)
                .f("policyName", "inline-s3-access")
                .f("policyDocument", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"arn:aws:s3:::prod-app-data-111111111111/*\"}]\n}"),
        ),
        "AttachRolePolicy" => Parts::req(
            Obj::new().f("roleName", entity).f("policyArn", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"),
        ),
        "UpdateAssumeRolePolicy" => Parts::req(
            Obj::new()
                .f("roleName", entity)
                .f("policyDocument", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"),
        ),
        "CreateAccessKey" => {
            let key = Obj::new()
                .f("userName", entity)
                .f("accessKeyId", format!("AKIA{}", rng.upper(16)))
                .f("status", "Active")
                .f("createDate", sts_expiration(ev.time, true));
            Parts::req(Obj::new().f("userName", entity)).resp(Obj::new().f("accessKey", key))
        }
        "ListRoles" => Parts::req(Obj::new().f("maxItems", 1000i64)),
        _ => Parts::default(),
    }
}
