//! Permission policies of the cast, written the way customers write them.
//!
//! Each grant is shaped to match the behaviour in the logs, so least-privilege
//! and finding logic have something real to chew on: Datadog's read-only
//! wildcards, Acme Backup's broad S3/KMS access with one explicit Deny,
//! Chainer's `NotAction` capped by a permissions boundary. Trust policies
//! live in [`super::trust`].

use super::json::{J, Obj};
use super::scenario::*;

/// A policy document `{"Version": "2012-10-17", "Statement": [...]}`.
pub(crate) fn doc(statements: Vec<J>) -> J {
    Obj::new()
        .f("Version", "2012-10-17")
        .f("Statement", statements)
        .j()
}

/// A JSON array of strings.
pub(crate) fn strs(items: &[&'static str]) -> J {
    J::Arr(items.iter().map(|s| J::from(*s)).collect())
}

/// `Allow` `actions` on `resources`.
pub(crate) fn allow(sid: &'static str, actions: &[&'static str], resources: Vec<String>) -> J {
    statement("Allow", sid, "Action", actions, resources)
}

/// A statement with an explicit effect and action key (`Action`/`NotAction`).
pub(crate) fn statement(
    effect: &'static str,
    sid: &'static str,
    key: &'static str,
    actions: &[&'static str],
    resources: Vec<String>,
) -> J {
    let res = if resources.len() == 1 {
        J::from(resources.into_iter().next().unwrap_or_default())
    } else {
        J::Arr(resources.into_iter().map(J::from).collect())
    };
    Obj::new()
        .f("Sid", sid)
        .f("Effect", effect)
        .f(key, strs(actions))
        .f("Resource", res)
        .j()
}

/// `"*"` as a resource list.
fn any() -> Vec<String> {
    vec!["*".to_owned()]
}

/// `arn:aws:s3:::<bucket>` and `arn:aws:s3:::<bucket>/*` for each bucket.
fn bucket_arns(buckets: &[&str]) -> Vec<String> {
    buckets
        .iter()
        .flat_map(|b| [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")])
        .collect()
}

/// KMS key ARNs of production.
fn prod_keys() -> Vec<String> {
    vec![
        format!("arn:aws:kms:{US_EAST_1}:{PROD}:key/{PROD_KEY}"),
        format!("arn:aws:kms:{EU_WEST_1}:{PROD}:key/{PROD_EU_KEY}"),
    ]
}

/// Acme Backup: broad S3 and KMS, but deletes are explicitly denied.
pub(crate) fn acme_backup() -> J {
    doc(vec![
        allow(
            "BackupBuckets",
            &["s3:*"],
            bucket_arns(&[PROD_DATA_BUCKET, PROD_EU_BUCKET]),
        ),
        allow(
            "BackupKeys",
            &[
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            prod_keys(),
        ),
        statement(
            "Deny",
            "NeverDelete",
            "Action",
            &[
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:DeleteBucket",
            ],
            any(),
        ),
    ])
}

/// Datadog, current version: AWS-managed-style read-only wildcards.
pub(crate) fn datadog_v2() -> J {
    doc(vec![allow(
        "DatadogReadOnly",
        &[
            "ec2:Describe*",
            "cloudwatch:Get*",
            "cloudwatch:List*",
            "cloudwatch:Describe*",
            "tag:GetResources",
            "tag:GetTagKeys",
            "tag:GetTagValues",
            "elasticloadbalancing:Describe*",
            "lambda:List*",
        ],
        any(),
    )])
}

/// Datadog, first version (not default).
pub(crate) fn datadog_v1() -> J {
    doc(vec![allow(
        "DatadogReadOnly",
        &["ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
        any(),
    )])
}

/// Chainer entry role: may only hop into the data account.
pub(crate) fn chainer_entry() -> J {
    doc(vec![allow(
        "ChainToData",
        &["sts:AssumeRole"],
        vec![CHAINER_DATA_ROLE.arn()],
    )])
}

/// Chainer data role: everything except IAM/Organizations/Account
/// (`NotAction` with Allow grants far more than intended).
pub(crate) fn chainer_data() -> J {
    doc(vec![statement(
        "Allow",
        "AllButAdmin",
        "NotAction",
        &["iam:*", "organizations:*", "account:*"],
        any(),
    )])
}

/// Permissions boundary capping vendor roles in the data account.
pub(crate) fn vendor_boundary() -> J {
    doc(vec![allow(
        "VendorDataPlane",
        &["dynamodb:*", "s3:*", "sts:GetCallerIdentity"],
        any(),
    )])
}

/// Dormant vendor: read access it never uses.
pub(crate) fn dormant() -> J {
    doc(vec![allow(
        "VendorRead",
        &["s3:Get*", "s3:List*"],
        bucket_arns(&[SHARED_EXPORTS_BUCKET]),
    )])
}

/// Contractor day-to-day access.
pub(crate) fn contractor() -> J {
    doc(vec![
        allow(
            "Inspect",
            &[
                "ec2:Describe*",
                "iam:Get*",
                "iam:List*",
                "cloudwatch:DescribeAlarms",
                "s3:ListAllMyBuckets",
            ],
            any(),
        ),
        // Conditional grants, for used-vs-granted: the parameters only in
        // us-east-1 (every observed call meets it), and policy edits only
        // from the VPN range (the contractor's attempts came from
        // elsewhere and were refused: a granted action that is `denied`).
        with_condition(
            allow(
                "Params",
                &["ssm:GetParameter", "ssm:GetParameters"],
                vec![format!(
                    "arn:aws:ssm:{US_EAST_1}:{PROD}:parameter/prod/app/*"
                )],
            ),
            "StringEquals",
            "aws:RequestedRegion",
            US_EAST_1,
        ),
        with_condition(
            allow(
                "TuneOwnRoleFromVpn",
                &["iam:PutRolePolicy"],
                vec![CONTRACTOR_ROLE.arn()],
            ),
            "IpAddress",
            "aws:SourceIp",
            "10.8.0.0/16",
        ),
    ])
}

/// Adds `"Condition": {op: {key: value}}` to a statement.
fn with_condition(statement: J, op: &'static str, key: &'static str, value: &str) -> J {
    match statement {
        J::Obj(mut fields) => {
            let condition = Obj::new()
                .f(op, Obj::new().f(key, value.to_owned()).j())
                .j();
            fields.push(("Condition".into(), condition));
            J::Obj(fields)
        }
        other => other,
    }
}

/// Contractor break-glass access.
pub(crate) fn contractor_breakglass() -> J {
    doc(vec![allow(
        "BreakGlassRead",
        &["iam:Get*", "iam:List*", "ec2:Describe*"],
        any(),
    )])
}

/// The CI user's inline policy: all of Lambda, CloudFront read and invalidate.
pub(crate) fn ci_user() -> J {
    doc(vec![
        allow(
            "Functions",
            &["lambda:*"],
            vec![format!("arn:aws:lambda:*:{PROD}:function:prod-*")],
        ),
        allow("ListFunctions", &["lambda:ListFunctions"], any()),
        allow(
            "Cdn",
            &[
                "cloudfront:CreateInvalidation",
                "cloudfront:GetDistribution",
                "cloudfront:ListDistributions",
            ],
            any(),
        ),
    ])
}

/// GitHub Actions deploy permissions.
pub(crate) fn github_deploy() -> J {
    doc(vec![
        allow("EcrAuth", &["ecr:GetAuthorizationToken"], any()),
        allow(
            "EcrPush",
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
            ],
            vec![format!(
                "arn:aws:ecr:{US_EAST_1}:{PROD}:repository/acme/app"
            )],
        ),
        allow(
            "EcsDeploy",
            &[
                "ecs:RegisterTaskDefinition",
                "ecs:UpdateService",
                "ecs:DescribeServices",
            ],
            any(),
        ),
        allow(
            "Artifacts",
            &["s3:PutObject"],
            vec![format!("arn:aws:s3:::{DEPLOY_BUCKET}/*")],
        ),
        allow(
            "PassExecutionRole",
            &["iam:PassRole"],
            vec![format!("arn:aws:iam::{PROD}:role/ecsTaskExecutionRole")],
        ),
    ])
}

/// The application instances' inline policy.
pub(crate) fn app_server() -> J {
    let mut res = bucket_arns(&[PROD_DATA_BUCKET, PROD_EU_BUCKET]);
    res.retain(|r| r.ends_with("/*"));
    doc(vec![
        allow("AppData", &["s3:GetObject", "s3:PutObject"], res),
        allow(
            "AppKeys",
            &["kms:Decrypt", "kms:GenerateDataKey"],
            prod_keys(),
        ),
        allow(
            "AppConfig",
            &[
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:UpdateInstanceInformation",
                "secretsmanager:GetSecretValue",
            ],
            any(),
        ),
    ])
}

/// Shared read-only role in the data account.
pub(crate) fn shared_read() -> J {
    doc(vec![allow(
        "ReadLake",
        &["s3:GetObject", "s3:ListBucket"],
        bucket_arns(&[DATA_LAKE_BUCKET]),
    )])
}

/// Developers group inline policy.
pub(crate) fn developers() -> J {
    doc(vec![allow(
        "Look",
        &[
            "ec2:Describe*",
            "s3:ListAllMyBuckets",
            "cloudwatch:Describe*",
        ],
        any(),
    )])
}

/// ops-bot's inline policy.
pub(crate) fn ops_bot() -> J {
    doc(vec![allow(
        "Monitor",
        &[
            "ec2:Describe*",
            "cloudwatch:GetMetricData",
            "s3:ListAllMyBuckets",
        ],
        any(),
    )])
}

/// AWS managed `AdministratorAccess`.
pub(crate) fn administrator_access() -> J {
    doc(vec![
        Obj::new()
            .f("Effect", "Allow")
            .f("Action", "*")
            .f("Resource", "*")
            .j(),
    ])
}

/// AWS managed `AmazonEC2ReadOnlyAccess`.
pub(crate) fn ec2_read_only() -> J {
    doc(vec![
        Obj::new()
            .f("Effect", "Allow")
            .f(
                "Action",
                strs(&[
                    "ec2:Describe*",
                    "elasticloadbalancing:Describe*",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:GetMetricStatistics",
                    "cloudwatch:Describe*",
                    "autoscaling:Describe*",
                ]),
            )
            .f("Resource", "*")
            .j(),
    ])
}

/// AWS managed `APIGatewayServiceRolePolicy` (abridged to what the role uses).
pub(crate) fn apigw_service_role() -> J {
    doc(vec![allow(
        "VpcLinks",
        &[
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "elasticloadbalancing:DescribeLoadBalancers",
        ],
        any(),
    )])
}

/// Percent-encodes a policy document the way the raw IAM API returns it
/// (RFC 3986: everything but unreserved characters), which is what the
/// CLI decodes and what readers of raw API output must decode themselves.
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }

    #[test]
    fn not_action_statement() {
        let s = serde_json::to_string(&chainer_data()).unwrap();
        assert!(
            s.contains(r#""Effect":"Allow","NotAction":["iam:*""#),
            "{s}"
        );
    }
}
