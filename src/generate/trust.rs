//! Role trust policies, matching who assumes what in the logs: vendor trusts
//! with and without `sts:ExternalId` conditions (the Datadog value is the one
//! its AssumeRole calls send), contractor trusts with and without an MFA
//! condition, OIDC and SAML federation, service principals, and one trust
//! open to `"AWS": "*"` with no condition (a finding for the analyzer).

use super::json::{J, Obj};
use super::policies::{doc, strs};
use super::scenario::*;

/// A trust statement for `principal` (`{"AWS": …}`, `{"Service": …}`, …).
fn trust(principal: J, actions: &[&'static str], condition: Option<J>) -> J {
    let action = if actions.len() == 1 {
        J::from(actions[0])
    } else {
        strs(actions)
    };
    Obj::new()
        .f("Effect", "Allow")
        .f("Principal", principal)
        .f("Action", action)
        .opt("Condition", condition)
        .j()
}

/// `{"<kind>": "<value>"}`.
fn principal(kind: &'static str, value: String) -> J {
    Obj::new().f(kind, value).j()
}

/// `{"<op>": {"<key>": "<value>"}}`.
fn condition(op: &'static str, key: &'static str, value: &'static str) -> J {
    Obj::new().f(op, Obj::new().f(key, value)).j()
}

/// Trust of an outside account's root, optionally with a condition.
fn account_trust(account: &str, actions: &[&'static str], cond: Option<J>) -> J {
    doc(vec![trust(
        principal("AWS", format!("arn:aws:iam::{account}:root")),
        actions,
        cond,
    )])
}

/// Trust policy of each role.
pub(crate) fn trust_policy(role: &Role) -> J {
    let assume = &["sts:AssumeRole"];
    let with_source = &["sts:AssumeRole", "sts:SetSourceIdentity"];
    match role.name {
        "DatadogIntegrationRole" => account_trust(
            DATADOG_ACCOUNT,
            assume,
            Some(condition(
                "StringEquals",
                "sts:ExternalId",
                DATADOG_EXTERNAL_ID,
            )),
        ),
        "AcmeBackupRole" => account_trust(ACME_ACCOUNT, assume, None),
        "ChainerEntryRole" => account_trust(
            CHAINER_ACCOUNT,
            assume,
            Some(condition(
                "StringEquals",
                "sts:ExternalId",
                CHAINER_EXTERNAL_ID,
            )),
        ),
        "ChainerDataRole" => doc(vec![trust(
            principal("AWS", CHAINER_ENTRY_ROLE.arn()),
            assume,
            None,
        )]),
        "DormantVendorRole" => account_trust(DORMANT_ACCOUNT, assume, None),
        "ContractorAccess" => account_trust(CONTRACTOR_ACCOUNT, with_source, None),
        "ContractorBreakGlass" => account_trust(
            CONTRACTOR_ACCOUNT,
            with_source,
            Some(condition("Bool", "aws:MultiFactorAuthPresent", "true")),
        ),
        "GitHubActionsDeploy" => github_trust(),
        "OktaAdmin" => doc(vec![trust(
            principal("Federated", OKTA_PROVIDER.to_owned()),
            &["sts:AssumeRoleWithSAML"],
            Some(condition(
                "StringEquals",
                "SAML:aud",
                "https://signin.aws.amazon.com/saml",
            )),
        )]),
        "app-server" => doc(vec![trust(
            principal("Service", "ec2.amazonaws.com".to_owned()),
            assume,
            None,
        )]),
        "AWSServiceRoleForAPIGateway" => doc(vec![trust(
            principal("Service", "ops.apigateway.amazonaws.com".to_owned()),
            assume,
            None,
        )]),
        "SharedReadOnly" => doc(vec![trust(principal("AWS", "*".to_owned()), assume, None)]),
        _ => sso_trust(role.account),
    }
}

/// GitHub OIDC trust: audience and repository conditions.
fn github_trust() -> J {
    let cond = Obj::new()
        .f(
            "StringEquals",
            Obj::new().f(
                "token.actions.githubusercontent.com:aud",
                "sts.amazonaws.com",
            ),
        )
        .f(
            "StringLike",
            Obj::new().f("token.actions.githubusercontent.com:sub", "repo:acme/app:*"),
        );
    let provider = format!("arn:aws:iam::{PROD}:oidc-provider/{GITHUB_OIDC}");
    doc(vec![trust(
        principal("Federated", provider),
        &["sts:AssumeRoleWithWebIdentity"],
        Some(cond.j()),
    )])
}

/// IAM Identity Center permission-set role trust.
fn sso_trust(account: &str) -> J {
    let provider =
        format!("arn:aws:iam::{account}:saml-provider/AWSSSO_8f1c2a3b4d5e6f70_DO_NOT_DELETE");
    doc(vec![trust(
        principal("Federated", provider),
        &["sts:AssumeRoleWithSAML", "sts:TagSession"],
        Some(condition(
            "StringEquals",
            "SAML:aud",
            "https://signin.aws.amazon.com/saml",
        )),
    )])
}
