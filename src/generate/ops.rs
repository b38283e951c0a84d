//! The API operations the cast calls, and the IAM actions each one needs.
//!
//! This table is the generator's ground truth for the manifest: every
//! emitted record is tallied against `Op::access`, never re-derived from the
//! JSON. Action names follow AWS's Service Authorization Reference (a test
//! checks them against `service-reference/v1`), including the known renames
//! listed in the design notes (ListObjects → `s3:ListBucket`, HeadObject →
//! `s3:GetObject`, ListBuckets → `s3:ListAllMyBuckets`, versioned Lambda and
//! CloudFront names, `monitoring` → `cloudwatch`, `tagging` → `tag`).

/// What an operation needs from IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// An API call authorized by these actions (all of them counted).
    Actions(&'static [&'static str]),
    /// A call that needs no permission; tallied as `service:EventName`.
    Permissionless(&'static str),
    /// An `AwsServiceEvent` emitted by AWS, not a call anyone made.
    ServiceEvent,
}

/// One CloudTrail event kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    /// `eventSource`.
    pub(crate) source: &'static str,
    /// `eventName`.
    pub(crate) name: &'static str,
    /// Authorization needed.
    pub(crate) access: Access,
    /// `readOnly`.
    pub(crate) read_only: bool,
    /// Data event (`eventCategory: Data`, `managementEvent: false`).
    pub(crate) data: bool,
    /// `eventType`.
    pub(crate) event_type: &'static str,
    /// Logged in us-east-1 whatever Region the caller used (IAM, STS global
    /// endpoint, sign-in, CloudFront: "Logging IAM and AWS STS API calls").
    pub(crate) global: bool,
}

impl Op {
    /// A management API call.
    const fn api(
        source: &'static str,
        name: &'static str,
        actions: &'static [&'static str],
    ) -> Self {
        Self {
            source,
            name,
            access: Access::Actions(actions),
            read_only: false,
            data: false,
            event_type: "AwsApiCall",
            global: false,
        }
    }

    /// Marks the call read-only.
    const fn ro(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Marks the call as a data event.
    const fn data(mut self) -> Self {
        self.data = true;
        self
    }

    /// Marks the call as a global-service event.
    const fn global(mut self) -> Self {
        self.global = true;
        self
    }

    /// The service prefix of `eventSource` (`monitoring` → `cloudwatch` etc.).
    pub(crate) fn service(&self) -> &'static str {
        let host = self.source.trim_end_matches(".amazonaws.com");
        match host {
            "monitoring" => "cloudwatch",
            "tagging" => "tag",
            other => other,
        }
    }
}

/// Declares a read-only management call.
const fn read(source: &'static str, name: &'static str, actions: &'static [&'static str]) -> Op {
    Op::api(source, name, actions).ro()
}

/// Declares a write management call.
const fn write(source: &'static str, name: &'static str, actions: &'static [&'static str]) -> Op {
    Op::api(source, name, actions)
}

/// EC2 (`ec2.amazonaws.com`).
const EC2: &str = "ec2.amazonaws.com";
/// S3 (`s3.amazonaws.com`).
const S3: &str = "s3.amazonaws.com";
/// STS (`sts.amazonaws.com`).
const STS: &str = "sts.amazonaws.com";
/// KMS.
const KMS: &str = "kms.amazonaws.com";
/// IAM.
const IAM: &str = "iam.amazonaws.com";

/// `ec2` `DescribeInstances`.
pub(crate) const DESCRIBE_INSTANCES: Op =
    read(EC2, "DescribeInstances", &["ec2:DescribeInstances"]);
/// `ec2` `DescribeVolumes`.
pub(crate) const DESCRIBE_VOLUMES: Op = read(EC2, "DescribeVolumes", &["ec2:DescribeVolumes"]);
/// `ec2` `DescribeSecurityGroups`.
pub(crate) const DESCRIBE_SECURITY_GROUPS: Op = read(
    EC2,
    "DescribeSecurityGroups",
    &["ec2:DescribeSecurityGroups"],
);
/// `ec2` `DescribeRegions`.
pub(crate) const DESCRIBE_REGIONS: Op = read(EC2, "DescribeRegions", &["ec2:DescribeRegions"]);
/// `ec2` `DescribeNetworkInterfaces`.
pub(crate) const DESCRIBE_NETWORK_INTERFACES: Op = read(
    EC2,
    "DescribeNetworkInterfaces",
    &["ec2:DescribeNetworkInterfaces"],
);
/// `ec2` `CreateNetworkInterface`.
pub(crate) const CREATE_NETWORK_INTERFACE: Op = write(
    EC2,
    "CreateNetworkInterface",
    &["ec2:CreateNetworkInterface"],
);
/// `ec2` `RunInstances`.
pub(crate) const RUN_INSTANCES: Op = write(EC2, "RunInstances", &["ec2:RunInstances"]);
/// `ec2` `CreateTags`.
pub(crate) const CREATE_TAGS: Op = write(EC2, "CreateTags", &["ec2:CreateTags"]);

/// `monitoring` `GetMetricData`.
pub(crate) const GET_METRIC_DATA: Op = read(
    "monitoring.amazonaws.com",
    "GetMetricData",
    &["cloudwatch:GetMetricData"],
);
/// `monitoring` `ListMetrics`.
pub(crate) const LIST_METRICS: Op = read(
    "monitoring.amazonaws.com",
    "ListMetrics",
    &["cloudwatch:ListMetrics"],
);
/// `monitoring` `DescribeAlarms`.
pub(crate) const DESCRIBE_ALARMS: Op = read(
    "monitoring.amazonaws.com",
    "DescribeAlarms",
    &["cloudwatch:DescribeAlarms"],
);
/// `tagging` `GetResources`.
pub(crate) const GET_RESOURCES: Op = read(
    "tagging.amazonaws.com",
    "GetResources",
    &["tag:GetResources"],
);
/// `logs` `DescribeLogGroups`.
pub(crate) const DESCRIBE_LOG_GROUPS: Op = read(
    "logs.amazonaws.com",
    "DescribeLogGroups",
    &["logs:DescribeLogGroups"],
);
/// `elasticloadbalancing` `DescribeLoadBalancers`.
pub(crate) const DESCRIBE_LOAD_BALANCERS: Op = read(
    "elasticloadbalancing.amazonaws.com",
    "DescribeLoadBalancers",
    &["elasticloadbalancing:DescribeLoadBalancers"],
);

/// `s3` `GetObject`.
pub(crate) const S3_GET_OBJECT: Op = read(S3, "GetObject", &["s3:GetObject"]).data();
/// `s3` `HeadObject`.
pub(crate) const S3_HEAD_OBJECT: Op = read(S3, "HeadObject", &["s3:GetObject"]).data();
/// `s3` `PutObject`.
pub(crate) const S3_PUT_OBJECT: Op = write(S3, "PutObject", &["s3:PutObject"]).data();
/// `s3` `CopyObject`.
pub(crate) const S3_COPY_OBJECT: Op =
    write(S3, "CopyObject", &["s3:GetObject", "s3:PutObject"]).data();
/// `s3` `DeleteObject`.
pub(crate) const S3_DELETE_OBJECT: Op = write(S3, "DeleteObject", &["s3:DeleteObject"]).data();
/// `s3` `ListObjects`.
pub(crate) const S3_LIST_OBJECTS: Op = read(S3, "ListObjects", &["s3:ListBucket"]).data();
/// `s3` `ListBuckets`.
pub(crate) const S3_LIST_BUCKETS: Op = read(S3, "ListBuckets", &["s3:ListAllMyBuckets"]);
/// `s3` `GetBucketAcl`.
pub(crate) const S3_GET_BUCKET_ACL: Op = read(S3, "GetBucketAcl", &["s3:GetBucketAcl"]);
/// `s3` `GetBucketTagging`.
pub(crate) const S3_GET_BUCKET_TAGGING: Op = read(S3, "GetBucketTagging", &["s3:GetBucketTagging"]);

/// `kms` `Decrypt`.
pub(crate) const KMS_DECRYPT: Op = read(KMS, "Decrypt", &["kms:Decrypt"]);
/// `kms` `GenerateDataKey`.
pub(crate) const KMS_GENERATE_DATA_KEY: Op = read(KMS, "GenerateDataKey", &["kms:GenerateDataKey"]);
/// `kms` `ReEncrypt`.
pub(crate) const KMS_RE_ENCRYPT: Op =
    read(KMS, "ReEncrypt", &["kms:ReEncryptFrom", "kms:ReEncryptTo"]);
/// `kms` `RotateKey`.
pub(crate) const KMS_ROTATE_KEY: Op = Op {
    access: Access::ServiceEvent,
    event_type: "AwsServiceEvent",
    ..write(KMS, "RotateKey", &[])
};

/// `dynamodb` `DescribeTable`.
pub(crate) const DDB_DESCRIBE_TABLE: Op = read(
    "dynamodb.amazonaws.com",
    "DescribeTable",
    &["dynamodb:DescribeTable"],
);
/// `dynamodb` `ListTables`.
pub(crate) const DDB_LIST_TABLES: Op = read(
    "dynamodb.amazonaws.com",
    "ListTables",
    &["dynamodb:ListTables"],
);
/// `dynamodb` `GetItem`.
pub(crate) const DDB_GET_ITEM: Op =
    read("dynamodb.amazonaws.com", "GetItem", &["dynamodb:GetItem"]).data();
/// `dynamodb` `Query`.
pub(crate) const DDB_QUERY: Op =
    read("dynamodb.amazonaws.com", "Query", &["dynamodb:Query"]).data();

/// `sts` `AssumeRole`.
pub(crate) const ASSUME_ROLE: Op = read(STS, "AssumeRole", &["sts:AssumeRole"]).global();
/// AssumeRole that also sets a source identity (`sts:SetSourceIdentity`).
pub(crate) const ASSUME_ROLE_SOURCE_ID: Op = read(
    STS,
    "AssumeRole",
    &["sts:AssumeRole", "sts:SetSourceIdentity"],
)
.global();
/// AssumeRole through a Regional STS endpoint: logged in that Region.
pub(crate) const ASSUME_ROLE_REGIONAL: Op = read(STS, "AssumeRole", &["sts:AssumeRole"]);
/// `sts` `AssumeRoleWithWebIdentity`.
pub(crate) const ASSUME_ROLE_WEB_IDENTITY: Op = read(
    STS,
    "AssumeRoleWithWebIdentity",
    &["sts:AssumeRoleWithWebIdentity"],
);
/// `sts` `AssumeRoleWithSAML`.
pub(crate) const ASSUME_ROLE_SAML: Op =
    read(STS, "AssumeRoleWithSAML", &["sts:AssumeRoleWithSAML"]).global();
/// `sts` `GetFederationToken`.
pub(crate) const GET_FEDERATION_TOKEN: Op =
    read(STS, "GetFederationToken", &["sts:GetFederationToken"]).global();
/// `sts` `GetCallerIdentity`.
pub(crate) const GET_CALLER_IDENTITY: Op = Op {
    access: Access::Permissionless("sts:GetCallerIdentity"),
    ..read(STS, "GetCallerIdentity", &[]).global()
};

/// `signin` `ConsoleLogin`.
pub(crate) const CONSOLE_LOGIN: Op = Op {
    access: Access::Permissionless("signin:ConsoleLogin"),
    event_type: "AwsConsoleSignIn",
    ..write("signin.amazonaws.com", "ConsoleLogin", &[]).global()
};
/// `signin` `CheckMfa`.
pub(crate) const CHECK_MFA: Op = Op {
    access: Access::Permissionless("signin:CheckMfa"),
    event_type: "AwsConsoleSignIn",
    ..write("signin.amazonaws.com", "CheckMfa", &[]).global()
};
/// `signin` `CredentialChallenge`.
pub(crate) const CREDENTIAL_CHALLENGE: Op = Op {
    access: Access::Permissionless("signin:CredentialChallenge"),
    event_type: "AwsServiceEvent",
    ..write("signin.amazonaws.com", "CredentialChallenge", &[]).global()
};
/// `signin` `CredentialVerification`.
pub(crate) const CREDENTIAL_VERIFICATION: Op = Op {
    access: Access::Permissionless("signin:CredentialVerification"),
    event_type: "AwsServiceEvent",
    ..write("signin.amazonaws.com", "CredentialVerification", &[]).global()
};

/// `iam` `ListRoles`.
pub(crate) const IAM_LIST_ROLES: Op = read(IAM, "ListRoles", &["iam:ListRoles"]).global();
/// `iam` `GetRole`.
pub(crate) const IAM_GET_ROLE: Op = read(IAM, "GetRole", &["iam:GetRole"]).global();
/// `iam` `ListUsers`.
pub(crate) const IAM_LIST_USERS: Op = read(IAM, "ListUsers", &["iam:ListUsers"]).global();
/// `iam` `GetAccountSummary`.
pub(crate) const IAM_GET_ACCOUNT_SUMMARY: Op =
    read(IAM, "GetAccountSummary", &["iam:GetAccountSummary"]).global();
/// `iam` `PutRolePolicy`.
pub(crate) const IAM_PUT_ROLE_POLICY: Op =
    write(IAM, "PutRolePolicy", &["iam:PutRolePolicy"]).global();
/// `iam` `AttachRolePolicy`.
pub(crate) const IAM_ATTACH_ROLE_POLICY: Op =
    write(IAM, "AttachRolePolicy", &["iam:AttachRolePolicy"]).global();
/// `iam` `UpdateAssumeRolePolicy`.
pub(crate) const IAM_UPDATE_ASSUME_ROLE_POLICY: Op = write(
    IAM,
    "UpdateAssumeRolePolicy",
    &["iam:UpdateAssumeRolePolicy"],
)
.global();
/// `iam` `CreateAccessKey`.
pub(crate) const IAM_CREATE_ACCESS_KEY: Op =
    write(IAM, "CreateAccessKey", &["iam:CreateAccessKey"]).global();

/// `lambda` `ListFunctions20150331`.
pub(crate) const LAMBDA_LIST_FUNCTIONS: Op = read(
    "lambda.amazonaws.com",
    "ListFunctions20150331",
    &["lambda:ListFunctions"],
);
/// `lambda` `GetFunction20150331v2`.
pub(crate) const LAMBDA_GET_FUNCTION: Op = read(
    "lambda.amazonaws.com",
    "GetFunction20150331v2",
    &["lambda:GetFunction"],
);
/// `lambda` `UpdateFunctionCode20150331v2`.
pub(crate) const LAMBDA_UPDATE_CODE: Op = write(
    "lambda.amazonaws.com",
    "UpdateFunctionCode20150331v2",
    &["lambda:UpdateFunctionCode"],
);

/// `cloudfront` `GetDistribution2020_05_31`.
pub(crate) const CF_GET_DISTRIBUTION: Op = read(
    "cloudfront.amazonaws.com",
    "GetDistribution2020_05_31",
    &["cloudfront:GetDistribution"],
)
.global();
/// `cloudfront` `CreateInvalidation2019_03_26`.
pub(crate) const CF_CREATE_INVALIDATION: Op = write(
    "cloudfront.amazonaws.com",
    "CreateInvalidation2019_03_26",
    &["cloudfront:CreateInvalidation"],
)
.global();
/// `cloudfront` `UpdateDistribution2020_05_31`.
pub(crate) const CF_UPDATE_DISTRIBUTION: Op = write(
    "cloudfront.amazonaws.com",
    "UpdateDistribution2020_05_31",
    &["cloudfront:UpdateDistribution"],
)
.global();

/// `ecr` `GetAuthorizationToken`.
pub(crate) const ECR_GET_AUTH_TOKEN: Op = read(
    "ecr.amazonaws.com",
    "GetAuthorizationToken",
    &["ecr:GetAuthorizationToken"],
);
/// `ecr` `BatchCheckLayerAvailability`.
pub(crate) const ECR_BATCH_CHECK: Op = read(
    "ecr.amazonaws.com",
    "BatchCheckLayerAvailability",
    &["ecr:BatchCheckLayerAvailability"],
);
/// `ecr` `PutImage`.
pub(crate) const ECR_PUT_IMAGE: Op = write("ecr.amazonaws.com", "PutImage", &["ecr:PutImage"]);
/// `ecs` `RegisterTaskDefinition`.
pub(crate) const ECS_REGISTER_TASK_DEF: Op = write(
    "ecs.amazonaws.com",
    "RegisterTaskDefinition",
    &["ecs:RegisterTaskDefinition"],
);
/// `ecs` `UpdateService`.
pub(crate) const ECS_UPDATE_SERVICE: Op =
    write("ecs.amazonaws.com", "UpdateService", &["ecs:UpdateService"]);
/// `ecs` `DescribeServices`.
pub(crate) const ECS_DESCRIBE_SERVICES: Op = read(
    "ecs.amazonaws.com",
    "DescribeServices",
    &["ecs:DescribeServices"],
);

/// `ssm` `GetParameter`.
pub(crate) const SSM_GET_PARAMETER: Op =
    read("ssm.amazonaws.com", "GetParameter", &["ssm:GetParameter"]);
/// `ssm` `UpdateInstanceInformation`.
pub(crate) const SSM_UPDATE_INSTANCE_INFO: Op = write(
    "ssm.amazonaws.com",
    "UpdateInstanceInformation",
    &["ssm:UpdateInstanceInformation"],
);
/// `secretsmanager` `GetSecretValue`.
pub(crate) const SECRETS_GET_VALUE: Op = read(
    "secretsmanager.amazonaws.com",
    "GetSecretValue",
    &["secretsmanager:GetSecretValue"],
);
/// `secretsmanager` `EndSecretVersionDelete`.
pub(crate) const SECRETS_END_VERSION_DELETE: Op = Op {
    access: Access::ServiceEvent,
    event_type: "AwsServiceEvent",
    ..write(
        "secretsmanager.amazonaws.com",
        "EndSecretVersionDelete",
        &[],
    )
};

/// Every operation in the table, for tests.
#[cfg(test)]
pub(crate) const ALL: &[Op] = &[
    DESCRIBE_INSTANCES,
    DESCRIBE_VOLUMES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_REGIONS,
    DESCRIBE_NETWORK_INTERFACES,
    CREATE_NETWORK_INTERFACE,
    RUN_INSTANCES,
    CREATE_TAGS,
    GET_METRIC_DATA,
    LIST_METRICS,
    DESCRIBE_ALARMS,
    GET_RESOURCES,
    DESCRIBE_LOG_GROUPS,
    DESCRIBE_LOAD_BALANCERS,
    S3_GET_OBJECT,
    S3_HEAD_OBJECT,
    S3_PUT_OBJECT,
    S3_COPY_OBJECT,
    S3_DELETE_OBJECT,
    S3_LIST_OBJECTS,
    S3_LIST_BUCKETS,
    S3_GET_BUCKET_ACL,
    S3_GET_BUCKET_TAGGING,
    KMS_DECRYPT,
    KMS_GENERATE_DATA_KEY,
    KMS_RE_ENCRYPT,
    KMS_ROTATE_KEY,
    DDB_DESCRIBE_TABLE,
    DDB_LIST_TABLES,
    DDB_GET_ITEM,
    DDB_QUERY,
    ASSUME_ROLE,
    ASSUME_ROLE_SOURCE_ID,
    ASSUME_ROLE_REGIONAL,
    ASSUME_ROLE_WEB_IDENTITY,
    ASSUME_ROLE_SAML,
    GET_FEDERATION_TOKEN,
    GET_CALLER_IDENTITY,
    CONSOLE_LOGIN,
    CHECK_MFA,
    CREDENTIAL_CHALLENGE,
    CREDENTIAL_VERIFICATION,
    IAM_LIST_ROLES,
    IAM_GET_ROLE,
    IAM_LIST_USERS,
    IAM_GET_ACCOUNT_SUMMARY,
    IAM_PUT_ROLE_POLICY,
    IAM_ATTACH_ROLE_POLICY,
    IAM_UPDATE_ASSUME_ROLE_POLICY,
    IAM_CREATE_ACCESS_KEY,
    LAMBDA_LIST_FUNCTIONS,
    LAMBDA_GET_FUNCTION,
    LAMBDA_UPDATE_CODE,
    CF_GET_DISTRIBUTION,
    CF_CREATE_INVALIDATION,
    CF_UPDATE_DISTRIBUTION,
    ECR_GET_AUTH_TOKEN,
    ECR_BATCH_CHECK,
    ECR_PUT_IMAGE,
    ECS_REGISTER_TASK_DEF,
    ECS_UPDATE_SERVICE,
    ECS_DESCRIBE_SERVICES,
    SSM_GET_PARAMETER,
    SSM_UPDATE_INSTANCE_INFO,
    SECRETS_GET_VALUE,
    SECRETS_END_VERSION_DELETE,
];
