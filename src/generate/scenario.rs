//! The cast: one organisation, its accounts, principals and vendors.
//!
//! Everything here is fixed data. Identifiers that AWS would randomise
//! (role IDs, user IDs, long-term access keys) are derived from the entity's
//! ARN with [`stable_id`], so the IAM export and the logs always agree and do
//! not depend on the seed.

use super::rng::stable_id;

/// The organisation whose org trail writes `AWSLogs/o-…/` prefixes.
pub(crate) const ORG_ID: &str = "o-a1b2c3d4e5";
/// Production account: org trail in us-east-1 and eu-west-1.
pub(crate) const PROD: &str = "111111111111";
/// Data account: org trail, us-east-1 only.
pub(crate) const DATA: &str = "222222222222";
/// Account with its own (non-organisation) trail.
pub(crate) const SOLO: &str = "333333333333";
/// The accounts we own, in IAM-export order.
pub(crate) const OWN_ACCOUNTS: [&str; 3] = [PROD, DATA, SOLO];

/// Home Region of both trails; global-service events land here.
pub(crate) const US_EAST_1: &str = "us-east-1";
/// Second Region of the production account.
pub(crate) const EU_WEST_1: &str = "eu-west-1";

/// Name of the organisation trail.
pub(crate) const ORG_TRAIL: &str = "org-trail";
/// Name of the standalone trail in [`SOLO`].
pub(crate) const SOLO_TRAIL: &str = "management-events";
/// Bucket of the organisation trail (in the data account).
pub(crate) const ORG_BUCKET: &str = "acme-org-cloudtrail-222222222222";
/// Bucket of the standalone trail.
pub(crate) const SOLO_BUCKET: &str = "acme-solo-cloudtrail-333333333333";

/// Datadog's public integration account (listed in fwdcloudsec/known_aws_accounts).
pub(crate) const DATADOG_ACCOUNT: &str = "464622532012";
/// "Acme Backup": an unknown outside account.
pub(crate) const ACME_ACCOUNT: &str = "999988887777";
/// "Chainer Corp": enters production, then chains into the data account.
pub(crate) const CHAINER_ACCOUNT: &str = "444455556666";
/// "Dormant Vendor": trusted by a role that is never used.
pub(crate) const DORMANT_ACCOUNT: &str = "555566667777";
/// Outside account reading a production bucket through its bucket policy.
pub(crate) const READER_ACCOUNT: &str = "777788889999";
/// The contractor's own account.
pub(crate) const CONTRACTOR_ACCOUNT: &str = "123456789012";
/// A stale integration whose AssumeRole calls are all denied.
pub(crate) const STALE_ACCOUNT: &str = "888899990000";

/// ExternalId Datadog sends; it matches the trust policy condition.
pub(crate) const DATADOG_EXTERNAL_ID: &str = "3f8a1c2e9b7d4e6fa0c5d2b18e7f9a64";
/// ExternalId Chainer Corp sends.
pub(crate) const CHAINER_EXTERNAL_ID: &str = "chainer-prod-7Qx9Lm2";

/// GitHub Actions OIDC issuer host, the `identityProvider` of its events.
pub(crate) const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";
/// The `sub` claim of the deploy workflow.
pub(crate) const GITHUB_SUBJECT: &str = "repo:acme/app:ref:refs/heads/main";
/// SAML provider ARN used as `identityProvider` by the Okta sessions.
pub(crate) const OKTA_PROVIDER: &str = "arn:aws:iam::111111111111:saml-provider/Okta";

/// An IAM role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Role {
    /// Owning account.
    pub(crate) account: &'static str,
    /// IAM path, `/` or e.g. `/aws-service-role/ops.apigateway.amazonaws.com/`.
    pub(crate) path: &'static str,
    /// Role name.
    pub(crate) name: &'static str,
}

impl Role {
    /// `arn:aws:iam::<acct>:role<path><name>`.
    pub(crate) fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }

    /// The role's unique ID (`AROA…`), stable per ARN.
    pub(crate) fn id(&self) -> String {
        stable_id("AROA", &self.arn(), 17)
    }

    /// Session ARN `arn:aws:sts::<acct>:assumed-role/<name>/<session>`.
    pub(crate) fn session_arn(&self, session: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{session}",
            self.account, self.name
        )
    }
}

/// Declares a `/`-path role constant.
const fn role(account: &'static str, name: &'static str) -> Role {
    Role {
        account,
        path: "/",
        name,
    }
}

/// Datadog's integration role (trust: Datadog account + ExternalId).
pub(crate) const DATADOG_ROLE: Role = role(PROD, "DatadogIntegrationRole");
/// Acme Backup's role (trust without ExternalId).
pub(crate) const ACME_ROLE: Role = role(PROD, "AcmeBackupRole");
/// Chainer's entry role in production (trust with ExternalId).
pub(crate) const CHAINER_ENTRY_ROLE: Role = role(PROD, "ChainerEntryRole");
/// Chainer's data role, assumed from the entry role session.
pub(crate) const CHAINER_DATA_ROLE: Role = role(DATA, "ChainerDataRole");
/// Role trusting the dormant vendor, never used.
pub(crate) const DORMANT_ROLE: Role = role(PROD, "DormantVendorRole");
/// Contractor role, trust without an MFA condition.
pub(crate) const CONTRACTOR_ROLE: Role = role(PROD, "ContractorAccess");
/// Contractor break-glass role, trust requires MFA.
pub(crate) const CONTRACTOR_BREAKGLASS_ROLE: Role = role(PROD, "ContractorBreakGlass");
/// GitHub Actions deploy role (OIDC trust).
pub(crate) const GITHUB_ROLE: Role = role(PROD, "GitHubActionsDeploy");
/// Okta SAML admin role.
pub(crate) const OKTA_ROLE: Role = role(PROD, "OktaAdmin");
/// EC2 instance-profile role.
pub(crate) const APP_ROLE: Role = role(PROD, "app-server");
/// Role the stale integration tries to assume; it does not exist any more.
pub(crate) const STALE_TARGET_ROLE: Role = role(PROD, "OldMonitoringRole");
/// Role in the data account whose trust is open to `"AWS": "*"`.
pub(crate) const OPEN_TRUST_ROLE: Role = role(DATA, "SharedReadOnly");
/// The outside reader's own role (in its account).
pub(crate) const READER_ROLE: Role = role(READER_ACCOUNT, "Reader");
/// API Gateway's service-linked role.
pub(crate) const APIGW_SLR: Role = Role {
    account: PROD,
    path: "/aws-service-role/ops.apigateway.amazonaws.com/",
    name: "AWSServiceRoleForAPIGateway",
};

/// IAM Identity Center permission-set role in `account`.
pub(crate) const fn sso_admin_role(account: &'static str) -> Role {
    Role {
        account,
        path: "/aws-reserved/sso.amazonaws.com/eu-west-1/",
        name: "AWSReservedSSO_AdministratorAccess_abc123",
    }
}

/// An IAM user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct User {
    /// Owning account.
    pub(crate) account: &'static str,
    /// User name.
    pub(crate) name: &'static str,
}

impl User {
    /// `arn:aws:iam::<acct>:user/<name>`.
    pub(crate) fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account, self.name)
    }

    /// The user's unique ID (`AIDA…`).
    pub(crate) fn id(&self) -> String {
        stable_id("AIDA", &self.arn(), 17)
    }

    /// Long-term access key number `n` (`AKIA…`).
    pub(crate) fn key(&self, n: u32) -> String {
        stable_id("AKIA", &format!("{}#{n}", self.arn()), 16)
    }
}

/// Human administrator in production (console and CLI).
pub(crate) const ALICE: User = User {
    account: PROD,
    name: "alice",
};
/// IAM user created for a vendor's CI system.
pub(crate) const CI_USER: User = User {
    account: PROD,
    name: "vendor-ci-deployer",
};
/// Automation user in the standalone account.
pub(crate) const OPS_BOT: User = User {
    account: SOLO,
    name: "ops-bot",
};

/// Source IPs per principal family (documentation ranges and plausible
/// provider ranges; no real customer addresses).
pub(crate) mod ips {
    /// Datadog crawler egress.
    pub(crate) const DATADOG: &[&str] = &["3.233.144.21", "3.233.146.198", "3.233.147.77"];
    /// Acme Backup workers.
    pub(crate) const ACME: &[&str] = &["198.51.100.23", "198.51.100.24"];
    /// Chainer Corp.
    pub(crate) const CHAINER: &[&str] = &["203.0.113.140", "203.0.113.141"];
    /// The vendor CI system using the IAM user.
    pub(crate) const CI: &[&str] = &["52.14.88.190", "52.14.88.191"];
    /// GitHub-hosted runners.
    pub(crate) const GITHUB: &[&str] = &[
        "20.42.11.7",
        "20.57.79.145",
        "4.175.114.51",
        "40.84.171.93",
        "172.183.51.38",
    ];
    /// The outside reader.
    pub(crate) const READER: &[&str] = &["192.0.2.77"];
    /// The contractor.
    pub(crate) const CONTRACTOR: &[&str] = &["198.18.44.3", "198.18.44.9"];
    /// The stale integration.
    pub(crate) const STALE: &[&str] = &["100.24.77.12"];
    /// Office egress used by employees.
    pub(crate) const OFFICE: &[&str] = &["203.0.113.10", "203.0.113.11", "198.51.100.200"];
    /// Production instances (NAT gateway addresses).
    pub(crate) const NAT: &[&str] = &["54.210.33.14", "34.246.120.9"];
}

/// User agents, truncated to what CloudTrail keeps.
pub(crate) mod agents {
    /// Datadog's integration crawler.
    pub(crate) const DATADOG: &str =
        "aws-sdk-go/1.44.327 (go1.20.8; linux; amd64) Datadog-AWS-Integration/1.0";
    /// Acme Backup's agent.
    pub(crate) const ACME: &str = "aws-sdk-java/2.21.10 Linux/5.10.198-187.748.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9 vendor/Amazon.com_Inc. exec-env/AcmeBackup md/internal";
    /// Chainer Corp's tool.
    pub(crate) const CHAINER: &str = "Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.15.0 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.34 chainer-sync/4.2";
    /// The AWS CLI v2 in CI.
    pub(crate) const CLI_CI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off command/lambda.update-function-code";
    /// configure-aws-credentials and the AWS CLI on GitHub runners.
    pub(crate) const GITHUB: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/ecs.update-service";
    /// GitHub's credentials action calling STS.
    pub(crate) const GITHUB_STS: &str = "configure-aws-credentials-for-github-actions";
    /// A desktop browser (console sessions).
    pub(crate) const BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
    /// The AWS CLI on a laptop.
    pub(crate) const CLI_LAPTOP: &str = "aws-cli/2.15.24 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/iam.put-role-policy";
    /// Boto3 on production instances.
    pub(crate) const BOTO_APP: &str = "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.77-99.164.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51";
    /// The SSM agent.
    pub(crate) const SSM_AGENT: &str =
        "aws-sdk-go/1.44.260 (go1.20.11; linux; amd64) amazon-ssm-agent/3.2.2222.0";
    /// Terraform (the contractor's tooling).
    pub(crate) const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 ua/2.0 os/linux lang/go#1.21.7 md/GOOS#linux md/GOARCH#amd64";
    /// The outside reader's Go SDK client.
    pub(crate) const READER: &str =
        "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.47.5";
}

/// Production application bucket (us-east-1).
pub(crate) const PROD_DATA_BUCKET: &str = "prod-app-data-111111111111";
/// Production archive bucket (eu-west-1).
pub(crate) const PROD_EU_BUCKET: &str = "prod-eu-archive-111111111111";
/// Bucket shared with the outside reader through its bucket policy.
pub(crate) const SHARED_EXPORTS_BUCKET: &str = "prod-shared-exports-111111111111";
/// CI artifacts bucket.
pub(crate) const DEPLOY_BUCKET: &str = "prod-deploy-artifacts-111111111111";
/// Data lake bucket in the data account.
pub(crate) const DATA_LAKE_BUCKET: &str = "data-lake-222222222222";
/// Production KMS key in us-east-1.
pub(crate) const PROD_KEY: &str = "5c3b8e9a-1f2d-4e7b-9a6c-0d1e2f3a4b5c";
/// Production KMS key in eu-west-1.
pub(crate) const PROD_EU_KEY: &str = "0b8f2c4d-6e1a-4f3b-8c9d-2e7f1a5b3c6d";
/// DynamoDB table Chainer reads in the data account.
pub(crate) const CHAINER_TABLE: &str = "customer-events";

/// Vendor scenario names (manifest `vendors[].name`).
pub(crate) mod vendor {
    /// Datadog integration role with ExternalId.
    pub(crate) const DATADOG: &str = "Datadog";
    /// Backup vendor without ExternalId.
    pub(crate) const ACME: &str = "Acme Backup";
    /// Vendor chaining roles across our accounts.
    pub(crate) const CHAINER: &str = "Chainer Corp";
    /// Vendor with a trusted role and no activity.
    pub(crate) const DORMANT: &str = "Dormant Vendor";
    /// Vendor CI using an IAM user with a long-term key.
    pub(crate) const CI: &str = "Vendor CI (IAM user)";
    /// GitHub Actions through OIDC web identity.
    pub(crate) const GITHUB: &str = "GitHub Actions";
    /// Outside account reading a bucket through its bucket policy.
    pub(crate) const READER: &str = "External Reader";
    /// Human contractor from an outside account.
    pub(crate) const CONTRACTOR: &str = "Contractor";
    /// Stale integration whose AssumeRole calls are denied.
    pub(crate) const STALE: &str = "Stale Integration";
}

/// Static description of one vendor scenario.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VendorDef {
    /// Name (one of [`vendor`]).
    pub(crate) name: &'static str,
    /// How the vendor gets in.
    pub(crate) kind: &'static str,
    /// Outside accounts the vendor calls from.
    pub(crate) outside_accounts: &'static [&'static str],
    /// Our roles (or user) the vendor uses, as ARNs are built from these.
    pub(crate) roles: &'static [Role],
    /// IAM users created for the vendor.
    pub(crate) users: &'static [User],
    /// ExternalId the vendor sends, if any.
    pub(crate) external_id: Option<&'static str>,
}

/// Every vendor scenario, in manifest order.
pub(crate) const VENDORS: &[VendorDef] = &[
    VendorDef {
        name: vendor::DATADOG,
        kind: "cross_account_role",
        outside_accounts: &[DATADOG_ACCOUNT],
        roles: &[DATADOG_ROLE],
        users: &[],
        external_id: Some(DATADOG_EXTERNAL_ID),
    },
    VendorDef {
        name: vendor::ACME,
        kind: "cross_account_role",
        outside_accounts: &[ACME_ACCOUNT],
        roles: &[ACME_ROLE],
        users: &[],
        external_id: None,
    },
    VendorDef {
        name: vendor::CHAINER,
        kind: "role_chain",
        outside_accounts: &[CHAINER_ACCOUNT],
        roles: &[CHAINER_ENTRY_ROLE, CHAINER_DATA_ROLE],
        users: &[],
        external_id: Some(CHAINER_EXTERNAL_ID),
    },
    VendorDef {
        name: vendor::DORMANT,
        kind: "cross_account_role",
        outside_accounts: &[DORMANT_ACCOUNT],
        roles: &[DORMANT_ROLE],
        users: &[],
        external_id: None,
    },
    VendorDef {
        name: vendor::CI,
        kind: "iam_user",
        outside_accounts: &[],
        roles: &[],
        users: &[CI_USER],
        external_id: None,
    },
    VendorDef {
        name: vendor::GITHUB,
        kind: "web_identity",
        outside_accounts: &[],
        roles: &[GITHUB_ROLE],
        users: &[],
        external_id: None,
    },
    VendorDef {
        name: vendor::READER,
        kind: "resource_policy",
        outside_accounts: &[READER_ACCOUNT],
        roles: &[],
        users: &[],
        external_id: None,
    },
    VendorDef {
        name: vendor::CONTRACTOR,
        kind: "cross_account_role",
        outside_accounts: &[CONTRACTOR_ACCOUNT],
        roles: &[CONTRACTOR_ROLE, CONTRACTOR_BREAKGLASS_ROLE],
        users: &[],
        external_id: None,
    },
    VendorDef {
        name: vendor::STALE,
        kind: "failed_assume_role",
        outside_accounts: &[STALE_ACCOUNT],
        roles: &[STALE_TARGET_ROLE],
        users: &[],
        external_id: None,
    },
];
