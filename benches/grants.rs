//! Time to expand and evaluate a large IAM account export.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target cargo bench --bench grants
//! ```
//!
//! Builds in memory, deterministically (fixed-seed LCG), an `aws iam
//! get-account-authorization-details` export of one account: 500 roles and
//! 100 users in 20 groups; AWS managed policies shaped like the real ones (a
//! ReadOnlyAccess generated from the catalog — `Describe*`, `Get*`, `List*`,
//! `BatchGet*`, `View*`, … for every service and the read actions those
//! miss, ~1,500 patterns in one statement where the real one has ~1,700 —
//! AdministratorAccess, a PowerUserAccess with `NotAction`, a
//! SecurityAudit and a ViewOnlyAccess, and smaller service policies); 50
//! customer managed policies (mid-pattern wildcards such as `s3:*Object*`,
//! ARN resources, conditions, `Deny`, `NotResource`, permissions boundaries,
//! older non-default versions); inline policies on most roles and some
//! users and groups; trust policies (vendor accounts with an external ID,
//! AWS services, GitHub OIDC, SAML). One SCP file (FullAWSAccess, a Region
//! deny, DenyLeaveOrganization) applies to every principal.
//!
//! Then measures, single-threaded except the catalog load, each phase three
//! times (wall clock, best and median):
//!
//! 1. loading the action catalog from `../shared/data/service-reference/v1`
//!    (reported, not part of the target);
//! 2. parsing the export (`IamInventory::add_export_json`, the SCP file and
//!    the first `principals()` call, which resolves references);
//! 3. expanding every principal's grants over the whole catalog
//!    (`Grants::of`, one `Expander` shared by all principals, fresh per run);
//! 4. used vs granted for every principal against empty usage
//!    (`pipeline::compare_all`, which expands again with its own `Expander`
//!    and builds one status per granted action);
//! 5. 100,000 single requests through `evaluate` (random principal, action,
//!    resource ARN and request context).
//!
//! The target: the whole export parsed, expanded and evaluated under one
//! second, i.e. phases 2, 4 (which includes the expansion) and 5, best runs
//! summed. The last line also gives parse + expand and parse + compare_all
//! alone. Peak RSS is the process's (`VmHWM`), the generated export and the
//! largest single phase result included.

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use vendortrail::event::ActionMapper;
use vendortrail::pipeline::compare_all;
use vendortrail::policy::catalog::{AccessLevel, Catalog, Service, wildcard_match};
use vendortrail::policy::condition::{RequestContext, Tri};
use vendortrail::policy::evaluate::{Expander, Grants, PolicySet, Request, evaluate};
use vendortrail::policy::iam::IamInventory;
use vendortrail::report::Report;

const ACCOUNT: &str = "123456789012";
const ROLES: usize = 500;
const USERS: usize = 100;
const GROUPS: usize = 20;
const CUSTOMER_POLICIES: usize = 50;
const REQUESTS: usize = 100_000;
const RUNS: usize = 3;
const TARGET_SECS: f64 = 1.0;

/// Services that customer policies, inline policies and requests favour.
const COMMON: &[&str] = &[
    "s3",
    "ec2",
    "lambda",
    "dynamodb",
    "sqs",
    "sns",
    "kms",
    "logs",
    "cloudwatch",
    "iam",
    "sts",
    "rds",
    "ecr",
    "ecs",
    "eks",
    "secretsmanager",
    "ssm",
    "cloudformation",
    "route53",
    "elasticloadbalancing",
    "autoscaling",
    "glue",
    "athena",
    "kinesis",
    "firehose",
    "states",
    "events",
    "apigateway",
    "cloudfront",
    "acm",
    "codebuild",
    "codepipeline",
    "xray",
    "elasticache",
    "es",
];

/// Mid-pattern wildcards as people write them.
const MIDDLE: &[(&str, &[&str])] = &[
    ("s3", &["s3:*Object*", "s3:Get*Tagging", "s3:*Multipart*"]),
    ("dynamodb", &["dynamodb:*Item*", "dynamodb:Describe*"]),
    ("ec2", &["ec2:*Snapshot*", "ec2:*Instance*", "ec2:*Tags"]),
    ("lambda", &["lambda:*Function*", "lambda:*Alias*"]),
    ("sqs", &["sqs:*Message*", "sqs:Get*"]),
    ("logs", &["logs:*Log*", "logs:Put*"]),
    ("kms", &["kms:*Key*", "kms:Generate*", "kms:*crypt*"]),
    ("ecr", &["ecr:*Image*", "ecr:*Layer*"]),
    ("ssm", &["ssm:*Parameter*", "ssm:*Command*"]),
    ("secretsmanager", &["secretsmanager:*Secret*"]),
    ("cloudwatch", &["cloudwatch:*Metric*", "cloudwatch:*Alarm*"]),
    ("kinesis", &["kinesis:*Record*", "kinesis:*Stream*"]),
];

const WORDS: &[&str] = &[
    "orders",
    "billing",
    "analytics",
    "ingest",
    "payments",
    "search",
    "media",
    "reports",
    "audit",
    "etl",
    "ml",
    "web",
    "api",
    "batch",
    "backup",
    "metrics",
    "catalog",
    "inventory",
    "identity",
    "shipping",
];

const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "eu-central-1", "us-west-2"];

const GROUP_NAMES: &[&str] = &[
    "Admins",
    "Developers",
    "ReadOnly",
    "Security",
    "DataEngineers",
    "Billing",
    "Support",
    "Platform",
    "Mobile",
    "Analysts",
    "Auditors",
    "QA",
    "Operations",
    "NetworkAdmins",
    "DBAs",
    "MLResearch",
    "Contractors",
    "Interns",
    "Release",
    "Observability",
];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let catalog_dir = root.join("../shared/data/service-reference/v1");
    let (load, catalog) = time(|| Catalog::load_dir(&catalog_dir).expect("load the catalog"));
    let catalog = Arc::new(catalog);
    let summary = catalog.summary();
    println!(
        "catalog: {} services, {} actions ({}); load {} (not part of the target)",
        summary.services,
        summary.actions,
        catalog_dir.display(),
        load
    );

    let started = Instant::now();
    let mut generator = Generator::new(&catalog);
    let export = generator.export();
    let export_json = serde_json::to_string_pretty(&export).expect("serialize the export");
    drop(export);
    let stats = generator.stats;
    let mut scp_file = tempfile::NamedTempFile::new().expect("temp SCP file");
    scp_file
        .write_all(scps().to_string().as_bytes())
        .expect("write the SCP file");
    println!(
        "export: {} roles, {} users in {} groups; {} policies ({} AWS managed, {} customer managed, {} inline; \
         {} boundaries attached), {} statements, {} action patterns (ReadOnlyAccess alone: {}), {} trust policies; \
         {:.1} MB of JSON, generated in {:.2} s",
        stats.roles,
        stats.users,
        stats.groups,
        stats.aws_managed + stats.customer_managed + stats.inline,
        stats.aws_managed,
        stats.customer_managed,
        stats.inline,
        stats.boundaries,
        stats.statements,
        stats.patterns,
        stats.read_only_patterns,
        stats.trust,
        export_json.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let (parse, iam) = time(|| {
        let mut iam = IamInventory::new();
        iam.add_export_json("bench-export.json", &export_json)
            .expect("parse the export");
        iam.add_scp_file(scp_file.path()).expect("parse the SCPs");
        black_box(iam.principals().count());
        iam
    });
    let principals: Vec<_> = iam.principals().collect();
    let identity_policies: usize = principals.iter().map(|p| p.identity.len()).sum();
    let unresolved: usize = principals.iter().map(|p| p.unresolved.len()).sum();
    assert_eq!(principals.len(), ROLES + USERS, "every principal parsed");
    assert_eq!(unresolved, 0, "every reference resolves");
    println!(
        "parse (add_export_json + SCP file + resolve): {parse}; {} principals, {} identity policies \
         attached over them, {} SCPs, {} warnings",
        principals.len(),
        identity_policies,
        iam.scps().len(),
        iam.warnings().len()
    );

    let scps = iam.scps();
    let expand_all = |expander: &mut Expander<'_>| {
        let mut totals = [0usize; 3];
        for p in &principals {
            let grants = Grants::of(expander, &PolicySet::of(p, scps));
            totals[0] += grants.granted.count();
            totals[1] += grants.conditional.count();
            totals[2] += grants.blocked.count();
        }
        totals
    };
    let (expand, [granted, conditional, blocked]) =
        time(|| expand_all(&mut Expander::new(&catalog)));
    let mut warm_expander = Expander::new(&catalog);
    expand_all(&mut warm_expander);
    let (expand_warm, _) = time(|| expand_all(&mut warm_expander));
    println!(
        "expand every principal (Grants::of, one shared Expander, cold cache): {expand}; \
         granted actions summed over principals: {granted} ({} per principal on average; \
         {conditional} conditional, {blocked} blocked by boundary or SCP)",
        granted / principals.len()
    );
    println!("  same, pattern cache already warm (bit-set work only): {expand_warm}");

    let started = Instant::now();
    let mapper = ActionMapper::new(Some(Arc::clone(&catalog)));
    let mapper_secs = started.elapsed().as_secs_f64();
    let report = empty_report();
    let (compare, comparisons) = time(|| compare_all(&report, &iam, &catalog, &mapper));
    let statuses: usize = comparisons.iter().map(|c| c.actions.len()).sum();
    drop(comparisons);
    println!(
        "compare_all, empty usage (expands again, one status per granted action): {compare}; \
         {statuses} action statuses (ActionMapper built once beforehand in {mapper_secs:.2} s)"
    );

    let sets: Vec<PolicySet<'_>> = principals.iter().map(|p| PolicySet::of(p, scps)).collect();
    let requests = generator.requests(principals.len());
    let contexts = contexts();
    let (eval, [allowed, unknown, refused]) = time(|| {
        let mut tally = [0usize; 3];
        for r in &requests {
            let request = Request {
                action: &r.action,
                resource: r.resource.as_deref(),
                context: &contexts[r.context],
            };
            let verdict = evaluate(&sets[r.principal], &request);
            tally[match verdict.allowed {
                Tri::True => 0,
                Tri::Unknown => 1,
                Tri::False => 2,
            }] += 1;
        }
        tally
    });
    println!(
        "evaluate, {REQUESTS} requests (random principal, action, resource, context): {eval}; \
         {:.0} requests/s; allowed {allowed}, unknown {unknown}, refused {refused}",
        REQUESTS as f64 / eval.best
    );

    let verdict = |secs: f64| {
        let answer = if secs < TARGET_SECS { "yes" } else { "NO" };
        format!("{secs:.3} s, under {TARGET_SECS:.0} s: {answer}")
    };
    println!(
        "target, best runs summed: parse + expand {}; parse + compare_all {}; \
         whole export (parse + compare_all + {REQUESTS} evaluate) {}",
        verdict(parse.best + expand.best),
        verdict(parse.best + compare.best),
        verdict(parse.best + compare.best + eval.best)
    );
    match vendortrail::progress::peak_rss_bytes() {
        Some(bytes) => println!("peak RSS: {:.0} MB", bytes as f64 / 1e6),
        None => println!("peak RSS: unknown on this platform"),
    }
}

/// Best and median wall-clock seconds of [`RUNS`] runs.
#[derive(Clone, Copy)]
struct Timing {
    best: f64,
    median: f64,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "best {:.3} s, median {:.3} s", self.best, self.median)
    }
}

/// Runs `f` [`RUNS`] times; returns the timing and the last result.
fn time<T>(mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut secs = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        // Results never overlap in memory, and dropping one is not timed.
        drop(last.take());
        let started = Instant::now();
        let out = black_box(f());
        secs.push(started.elapsed().as_secs_f64());
        last = Some(out);
    }
    secs.sort_by(f64::total_cmp);
    let timing = Timing {
        best: secs[0],
        median: secs[secs.len() / 2],
    };
    (timing, last.expect("at least one run"))
}

/// A report of logs that show nothing: every grant is unused or not
/// observable.
fn empty_report() -> Report {
    Report::empty()
}

/// The request contexts `evaluate` sees: nothing known, and what CloudTrail
/// tells about three kinds of call.
fn contexts() -> Vec<RequestContext> {
    let mut known = RequestContext::new();
    known
        .set("aws:RequestedRegion", ["eu-west-1"])
        .set("aws:SourceIp", ["203.0.113.7"])
        .set("aws:PrincipalAccount", [ACCOUNT])
        .set("aws:SecureTransport", ["true"]);
    let mut elsewhere = RequestContext::new();
    elsewhere
        .set("aws:RequestedRegion", ["ap-southeast-2"])
        .set("aws:SourceIp", ["192.0.2.44"])
        .set("aws:PrincipalAccount", [ACCOUNT]);
    let mut mfa = RequestContext::new();
    mfa.set("aws:RequestedRegion", ["us-east-1"])
        .set("aws:MultiFactorAuthPresent", ["true"])
        .set("aws:MultiFactorAuthAge", ["120"]);
    vec![RequestContext::new(), known, elsewhere, mfa]
}

/// The organization's SCPs, one file: one level.
fn scps() -> Value {
    json!([
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
        ]},
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyOutsideRegions", "Effect": "Deny",
             "NotAction": ["iam:*", "organizations:*", "route53:*", "cloudfront:*", "sts:*",
                           "support:*", "budgets:*", "waf:*", "globalaccelerator:*"],
             "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGIONS}}},
            {"Sid": "DenyLeaveOrganization", "Effect": "Deny",
             "Action": ["organizations:LeaveOrganization", "account:CloseAccount"], "Resource": "*"}
        ]}
    ])
}

/// A simple 64-bit LCG (Knuth's MMIX constants): deterministic, no crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the generated export holds.
#[derive(Default, Clone, Copy)]
struct Stats {
    roles: usize,
    users: usize,
    groups: usize,
    aws_managed: usize,
    customer_managed: usize,
    inline: usize,
    boundaries: usize,
    trust: usize,
    /// Statements of permission policies (managed at their default
    /// version, inline), each policy once.
    statements: usize,
    /// `Action`/`NotAction` entries of those statements.
    patterns: usize,
    read_only_patterns: usize,
}

/// A managed policy's ARN and name.
#[derive(Clone)]
struct Managed {
    arn: String,
    name: String,
}

/// One request for `evaluate`.
struct Req {
    principal: usize,
    action: String,
    resource: Option<String>,
    context: usize,
}

struct Generator<'c> {
    rng: Lcg,
    catalog: &'c Catalog,
    common: Vec<&'c Service>,
    stats: Stats,
}

impl<'c> Generator<'c> {
    fn new(catalog: &'c Catalog) -> Self {
        Generator {
            rng: Lcg(0x5eed_1a3c_0ffe_e042),
            catalog,
            common: COMMON.iter().filter_map(|s| catalog.service(s)).collect(),
            stats: Stats::default(),
        }
    }

    fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}{:08X}{:09X}", self.rng.next(), self.rng.next())
    }

    fn date(&mut self) -> String {
        format!(
            "20{}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
            self.rng.range(19, 24),
            self.rng.range(1, 12),
            self.rng.range(1, 28),
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60)
        )
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.rng.below(WORDS.len())]
    }

    /// A permission policy document; counts its statements and patterns.
    fn document(&mut self, statements: Vec<Value>) -> Value {
        self.stats.statements += statements.len();
        self.stats.patterns += statements
            .iter()
            .map(|s| match s.get("Action").or_else(|| s.get("NotAction")) {
                Some(Value::Array(items)) => items.len(),
                Some(_) => 1,
                None => 0,
            })
            .sum::<usize>();
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    /// An entry of `Policies`, with `older` non-default versions before the
    /// default one.
    fn managed_entry(&mut self, policy: &Managed, document: Value, older: usize) -> Value {
        let mut versions = Vec::new();
        for v in 1..=older {
            versions.push(json!({
                "Document": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "ec2:DescribeRegions"], "Resource": "*"}
                ]},
                "VersionId": format!("v{v}"),
                "IsDefaultVersion": false,
                "CreateDate": self.date(),
            }));
        }
        let default = format!("v{}", older + 1);
        versions.push(json!({
            "Document": document,
            "VersionId": default,
            "IsDefaultVersion": true,
            "CreateDate": self.date(),
        }));
        let path = if policy.arn.contains(":aws:policy/") {
            "/"
        } else {
            "/custom/"
        };
        json!({
            "PolicyName": policy.name,
            "PolicyId": self.id("ANPA"),
            "Arn": policy.arn,
            "Path": path,
            "DefaultVersionId": default,
            "AttachmentCount": self.rng.range(1, 40),
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": true,
            "CreateDate": self.date(),
            "UpdateDate": self.date(),
            "PolicyVersionList": versions,
        })
    }

    /// The whole `get-account-authorization-details` output.
    fn export(&mut self) -> Value {
        let mut policies = Vec::new();
        let aws = |name: &str| Managed {
            arn: format!("arn:aws:iam::aws:policy/{name}"),
            name: name.to_owned(),
        };
        let admin = aws("AdministratorAccess");
        let read_only = aws("ReadOnlyAccess");
        let power_user = aws("PowerUserAccess");
        let security_audit = aws("SecurityAudit");
        let view_only = aws("job-function/ViewOnlyAccess");

        let doc = self.document(vec![
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        ]);
        policies.push(self.managed_entry(&admin, doc, 0));
        let patterns = self.read_only_patterns();
        self.stats.read_only_patterns = patterns.len();
        let doc = self.document(vec![
            json!({"Sid": "ReadOnlyAccess", "Effect": "Allow", "Action": patterns, "Resource": "*"}),
        ]);
        policies.push(self.managed_entry(&read_only, doc, 2));
        let doc = self.document(vec![
            json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}),
            json!({"Effect": "Allow", "Action": ["account:GetAccountInformation", "account:GetPrimaryEmail",
                "account:ListRegions", "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole",
                "iam:ListRoles", "organizations:DescribeOrganization"], "Resource": "*"}),
        ]);
        policies.push(self.managed_entry(&power_user, doc, 1));
        let patterns = self.audit_patterns();
        let doc = self.document(vec![
            json!({"Effect": "Allow", "Action": patterns, "Resource": "*"}),
            json!({"Sid": "APIGatewayAccess", "Effect": "Allow", "Action": ["apigateway:GET"],
                "Resource": ["arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*/stages/*"]}),
        ]);
        policies.push(self.managed_entry(&security_audit, doc, 3));
        let patterns = self.view_only_patterns();
        let doc = self.document(vec![
            json!({"Effect": "Allow", "Action": patterns, "Resource": "*"}),
        ]);
        policies.push(self.managed_entry(&view_only, doc, 1));

        let small: Vec<(Managed, Vec<Value>)> = vec![
            (
                aws("AmazonS3ReadOnlyAccess"),
                vec![json!({"Effect": "Allow",
                "Action": ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"],
                "Resource": "*"})],
            ),
            (
                aws("AmazonS3FullAccess"),
                vec![json!({"Effect": "Allow",
                "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"})],
            ),
            (
                aws("service-role/AWSLambdaBasicExecutionRole"),
                vec![json!({"Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"})],
            ),
            (
                aws("AmazonEC2ReadOnlyAccess"),
                vec![
                    json!({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": ["cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics",
                    "cloudwatch:Describe*"], "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": "autoscaling:Describe*", "Resource": "*"}),
                ],
            ),
            (
                aws("AmazonDynamoDBFullAccess"),
                vec![
                    json!({"Effect": "Allow", "Action": ["dynamodb:*", "dax:*", "application-autoscaling:DeleteScalingPolicy",
                    "application-autoscaling:Describe*", "application-autoscaling:PutScalingPolicy",
                    "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarm*", "cloudwatch:GetMetric*",
                    "cloudwatch:PutMetricAlarm", "kms:DescribeKey", "kms:ListAliases", "sns:*Subscri*",
                    "sns:CreateTopic", "sns:ListTopics", "lambda:*EventSourceMapping*", "lambda:ListFunctions"],
                    "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                    "Condition": {"StringLike": {"iam:PassedToService": ["application-autoscaling.amazonaws.com",
                        "dax.amazonaws.com"]}}}),
                ],
            ),
            (
                aws("CloudWatchReadOnlyAccess"),
                vec![json!({"Effect": "Allow",
                "Action": ["autoscaling:Describe*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
                    "logs:Get*", "logs:List*", "logs:StartQuery", "logs:StopQuery", "logs:Describe*",
                    "logs:TestMetricFilter", "logs:FilterLogEvents", "sns:Get*", "sns:List*", "xray:Get*",
                    "xray:BatchGet*", "oam:ListSinks", "oam:ListAttachedLinks"],
                "Resource": "*"})],
            ),
            (
                aws("AmazonSSMManagedInstanceCore"),
                vec![
                    json!({"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance",
                    "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter",
                    "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
                    "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
                    "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
                    "ssm:UpdateInstanceInformation"], "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel"], "Resource": "*"}),
                    json!({"Effect": "Allow", "Action": ["ec2messages:*"], "Resource": "*"}),
                ],
            ),
            (
                aws("AWSSupportAccess"),
                vec![json!({"Effect": "Allow", "Action": ["support:*"], "Resource": "*"})],
            ),
            (
                aws("AWSCodeCommitReadOnly"),
                vec![json!({"Effect": "Allow",
                "Action": ["codecommit:BatchGet*", "codecommit:BatchDescribe*", "codecommit:Describe*",
                    "codecommit:EvaluatePullRequestApprovalRules", "codecommit:Get*", "codecommit:List*",
                    "codecommit:GitPull"], "Resource": "*"})],
            ),
            (
                aws("AmazonECS_FullAccess"),
                vec![json!({"Effect": "Allow",
                "Action": ["application-autoscaling:*", "ecs:*", "elasticloadbalancing:*", "servicediscovery:*",
                    "cloudformation:CreateStack", "cloudformation:DescribeStack*", "ec2:Describe*",
                    "ec2:CreateSecurityGroup", "ec2:*Tags", "logs:CreateLogGroup", "logs:DescribeLogGroups",
                    "logs:FilterLogEvents", "route53:*HostedZone*", "iam:ListRoles", "iam:ListInstanceProfiles"],
                "Resource": "*"})],
            ),
        ];
        let mut small_aws = Vec::new();
        for (policy, statements) in small {
            let doc = self.document(statements);
            let older = self.rng.below(3);
            policies.push(self.managed_entry(&policy, doc, older));
            small_aws.push(policy);
        }
        self.stats.aws_managed = policies.len();

        // Customer managed: two boundaries, then application and vendor policies.
        let customer = |name: String| Managed {
            arn: format!("arn:aws:iam::{ACCOUNT}:policy/custom/{name}"),
            name,
        };
        let developer_boundary = customer("DeveloperBoundary".to_owned());
        let doc = self.document(vec![
            json!({"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}),
            json!({"Sid": "NoIdentityAdmin", "Effect": "Deny",
                "Action": ["iam:*User*", "iam:*AccessKey*", "iam:*LoginProfile*", "iam:*Policy*",
                    "iam:DeleteRolePermissionsBoundary", "organizations:*", "account:*"],
                "Resource": "*"}),
            json!({"Sid": "OnlyOwnRoles", "Effect": "Deny", "Action": ["iam:CreateRole", "iam:PutRolePolicy",
                "iam:AttachRolePolicy"], "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PermissionsBoundary":
                    format!("arn:aws:iam::{ACCOUNT}:policy/custom/DeveloperBoundary")}}}),
        ]);
        policies.push(self.managed_entry(&developer_boundary, doc, 2));
        let vendor_boundary = customer("VendorBoundary".to_owned());
        let mut reads = Vec::new();
        for s in self.common.clone() {
            reads.push(format!("{}:Describe*", s.prefix()));
            reads.push(format!("{}:List*", s.prefix()));
        }
        let doc = self.document(vec![
            json!({"Effect": "Allow", "Action": reads, "Resource": "*"}),
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:GetBucketLocation",
                "sqs:SendMessage", "sns:Publish", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*"}),
            json!({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::corp-vendor-*",
                "arn:aws:s3:::corp-vendor-*/*"]}),
        ]);
        policies.push(self.managed_entry(&vendor_boundary, doc, 0));
        let boundaries = [
            developer_boundary.clone(),
            vendor_boundary.clone(),
            power_user.clone(),
        ];
        let mut customers = Vec::new();
        for i in 0..CUSTOMER_POLICIES - 2 {
            let word = self.word();
            let purpose = *self.rng.pick(&[
                "access",
                "deploy",
                "integration",
                "readonly",
                "pipeline",
                "ops",
            ]);
            let policy = customer(format!("{word}-{purpose}-{i}"));
            let n = self.rng.range(2, 7);
            let statements = (0..n).map(|_| self.statement()).collect();
            let doc = self.document(statements);
            let older = if self.rng.chance(35) {
                self.rng.range(1, 4)
            } else {
                0
            };
            policies.push(self.managed_entry(&policy, doc, older));
            customers.push(policy);
        }
        self.stats.customer_managed = policies.len() - self.stats.aws_managed;

        let groups: Vec<Value> = (0..GROUPS)
            .map(|g| {
                let name = GROUP_NAMES[g % GROUP_NAMES.len()];
                let mut attached = Vec::new();
                match g {
                    0 => attached.push(admin.clone()),
                    1 => attached.push(power_user.clone()),
                    2 | 10 => attached.push(read_only.clone()),
                    4 | 11 => attached.push(security_audit.clone()),
                    6 | 13 => attached.push(view_only.clone()),
                    _ => {}
                }
                for _ in 0..self.rng.range(0, 2) {
                    attached.push(self.rng.pick(&small_aws).clone());
                }
                for _ in 0..self.rng.range(0, 2) {
                    attached.push(self.rng.pick(&customers).clone());
                }
                let inline = self.inline_policies(40, 2);
                json!({
                    "Path": "/",
                    "GroupName": name,
                    "GroupId": self.id("AGPA"),
                    "Arn": format!("arn:aws:iam::{ACCOUNT}:group/{name}"),
                    "CreateDate": self.date(),
                    "GroupPolicyList": inline,
                    "AttachedManagedPolicies": attachments(attached),
                })
            })
            .collect();
        self.stats.groups = groups.len();

        let users: Vec<Value> = (0..USERS)
            .map(|u| {
                let name = format!("{}.{}{u}", self.word(), self.word());
                let mut group_list: Vec<&str> = (0..self.rng.range(1, 3))
                    .map(|_| GROUP_NAMES[self.rng.below(GROUPS.min(GROUP_NAMES.len()))])
                    .collect();
                group_list.sort_unstable();
                group_list.dedup();
                let mut attached = Vec::new();
                if self.rng.chance(20) {
                    attached.push(self.rng.pick(&customers).clone());
                    if self.rng.chance(50) {
                        attached.push(self.rng.pick(&small_aws).clone());
                    }
                }
                let inline = self.inline_policies(30, 2);
                let mut user = json!({
                    "Path": "/",
                    "UserName": name,
                    "UserId": self.id("AIDA"),
                    "Arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
                    "CreateDate": self.date(),
                    "UserPolicyList": inline,
                    "GroupList": group_list,
                    "AttachedManagedPolicies": attachments(attached),
                    "Tags": [{"Key": "team", "Value": self.word()}],
                });
                if self.rng.chance(5) {
                    user["PermissionsBoundary"] = boundary(&developer_boundary);
                    self.stats.boundaries += 1;
                }
                user
            })
            .collect();
        self.stats.users = users.len();

        let roles: Vec<Value> = (0..ROLES)
            .map(|r| {
                let word = self.word();
                let (path, name, trust) = match self.rng.below(100) {
                    0..6 => {
                        let service = self.common[self.rng.below(self.common.len())].prefix();
                        (
                            format!("/aws-service-role/{service}.amazonaws.com/"),
                            format!("AWSServiceRoleFor{}{r}", service.to_ascii_uppercase()),
                            self.trust_service(&format!("{service}.amazonaws.com")),
                        )
                    }
                    6..26 => (
                        "/vendor/".to_owned(),
                        format!("{word}-vendor-integration-{r}"),
                        self.trust_vendor(),
                    ),
                    26..60 => {
                        let service = *self.rng.pick(&[
                            "lambda.amazonaws.com",
                            "ec2.amazonaws.com",
                            "ecs-tasks.amazonaws.com",
                            "states.amazonaws.com",
                            "glue.amazonaws.com",
                            "codebuild.amazonaws.com",
                        ]);
                        (
                            "/service-role/".to_owned(),
                            format!(
                                "{word}-{}-role-{r}",
                                service.split('.').next().unwrap_or("svc")
                            ),
                            self.trust_service(service),
                        )
                    }
                    60..75 => (
                        "/".to_owned(),
                        format!("github-{word}-deploy-{r}"),
                        self.trust_github(word),
                    ),
                    75..90 => (
                        "/aws-reserved/sso.amazonaws.com/".to_owned(),
                        format!("AWSReservedSSO_{word}_{:016x}", self.rng.next()),
                        self.trust_saml(),
                    ),
                    _ => (
                        "/".to_owned(),
                        format!("{word}-admin-{r}"),
                        self.trust_account_mfa(),
                    ),
                };
                let mut attached = Vec::new();
                if self.rng.chance(28) {
                    attached.push(read_only.clone());
                }
                if self.rng.chance(4) {
                    attached.push(admin.clone());
                } else if self.rng.chance(8) {
                    attached.push(power_user.clone());
                }
                if self.rng.chance(10) {
                    attached.push(security_audit.clone());
                }
                if self.rng.chance(8) {
                    attached.push(view_only.clone());
                }
                if self.rng.chance(35) {
                    attached.push(self.rng.pick(&small_aws).clone());
                }
                for _ in 0..self.rng.range(0, 3) {
                    attached.push(self.rng.pick(&customers).clone());
                }
                let inline = self.inline_policies(60, 3);
                let last_used = if self.rng.chance(70) {
                    json!({"LastUsedDate": self.date(), "Region": *self.rng.pick(REGIONS)})
                } else {
                    json!({})
                };
                let mut role = json!({
                    "Path": path,
                    "RoleName": name,
                    "RoleId": self.id("AROA"),
                    "Arn": format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
                    "CreateDate": self.date(),
                    "AssumeRolePolicyDocument": trust,
                    "InstanceProfileList": [],
                    "RolePolicyList": inline,
                    "AttachedManagedPolicies": attachments(attached),
                    "Tags": [{"Key": "owner", "Value": self.word()},
                             {"Key": "managed-by", "Value": "terraform"}],
                    "RoleLastUsed": last_used,
                });
                if self.rng.chance(15) {
                    role["PermissionsBoundary"] = boundary(self.rng.pick(&boundaries));
                    self.stats.boundaries += 1;
                }
                role
            })
            .collect();
        self.stats.roles = roles.len();

        json!({
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": policies,
        })
    }

    /// `PolicyList` entries: with `percent` chance, 1 to `most` inline policies.
    fn inline_policies(&mut self, percent: u64, most: usize) -> Vec<Value> {
        if !self.rng.chance(percent) {
            return Vec::new();
        }
        (0..self.rng.range(1, most))
            .map(|i| {
                let n = self.rng.range(1, 4);
                let statements = (0..n).map(|_| self.statement()).collect();
                self.stats.inline += 1;
                json!({
                    "PolicyName": format!("{}-inline-{i}", self.word()),
                    "PolicyDocument": self.document(statements),
                })
            })
            .collect()
    }

    /// ReadOnlyAccess as AWS writes it: read prefixes per service, plus the
    /// read and list actions those prefixes miss, by name.
    fn read_only_patterns(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.catalog.iter_services() {
            let prefixes = [
                "Describe",
                "Get",
                "List",
                "BatchGet",
                "BatchDescribe",
                "View",
                "Search",
                "Lookup",
                "Query",
            ];
            for p in prefixes {
                if s.actions().iter().any(|a| a.name().starts_with(p)) {
                    out.push(format!("{}:{p}*", s.prefix()));
                }
            }
            let extra = s
                .actions()
                .iter()
                .filter(|a| matches!(a.access_level(), AccessLevel::Read | AccessLevel::List))
                .filter(|a| !prefixes.iter().any(|p| a.name().starts_with(p)));
            out.extend(extra.map(|a| format!("{}:{}", s.prefix(), a.name())));
        }
        out
    }

    /// SecurityAudit-like: configuration and policy reads of every other
    /// service.
    fn audit_patterns(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, s) in self.catalog.iter_services().enumerate() {
            if i % 2 == 1 {
                continue;
            }
            for p in ["Describe*", "List*", "Get*Policy*", "Get*Configuration*"] {
                if s.actions().iter().any(|a| wildcard_match(p, a.name())) {
                    out.push(format!("{}:{p}", s.prefix()));
                }
            }
        }
        out
    }

    /// ViewOnlyAccess-like: `List*` everywhere, `Describe*` on a third.
    fn view_only_patterns(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, s) in self.catalog.iter_services().enumerate() {
            if s.actions().iter().any(|a| a.name().starts_with("List")) {
                out.push(format!("{}:List*", s.prefix()));
            }
            if i % 3 == 0 && s.actions().iter().any(|a| a.name().starts_with("Describe")) {
                out.push(format!("{}:Describe*", s.prefix()));
            }
        }
        out
    }

    fn common_service(&mut self) -> &'c Service {
        self.common[self.rng.below(self.common.len())]
    }

    /// A resource pattern of a service, as policies write them.
    fn resource_pattern(&mut self, service: &str) -> String {
        let word = self.word();
        let n = self.rng.below(5);
        let region = if self.rng.chance(50) {
            "*"
        } else {
            self.rng.pick(REGIONS)
        };
        match service {
            "s3" => match self.rng.below(3) {
                0 => format!("arn:aws:s3:::corp-{word}-{n}"),
                1 => format!("arn:aws:s3:::corp-{word}-{n}/*"),
                _ => format!("arn:aws:s3:::corp-{word}-*/exports/*"),
            },
            "dynamodb" => format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{word}-{n}"),
            "lambda" => format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{word}-*"),
            "sqs" | "sns" => format!("arn:aws:{service}:{region}:{ACCOUNT}:{word}-{n}"),
            "kms" => format!("arn:aws:kms:{region}:{ACCOUNT}:key/*"),
            "logs" => format!("arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/{word}-*"),
            "secretsmanager" => {
                format!("arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{word}/*")
            }
            "ssm" => format!("arn:aws:ssm:{region}:{ACCOUNT}:parameter/{word}/*"),
            "ecr" => format!("arn:aws:ecr:{region}:{ACCOUNT}:repository/{word}"),
            "ec2" => format!("arn:aws:ec2:{region}:{ACCOUNT}:instance/*"),
            "iam" => format!("arn:aws:iam::{ACCOUNT}:role/{word}-*"),
            other => format!("arn:aws:{other}:{region}:{ACCOUNT}:*{word}*"),
        }
    }

    /// A concrete ARN such as a request names; often inside the patterns.
    fn resource_arn(&mut self, service: &str) -> String {
        let word = self.word();
        let n = self.rng.below(5);
        let region = *self.rng.pick(REGIONS);
        match service {
            "s3" => format!("arn:aws:s3:::corp-{word}-{n}/exports/2024/part-{n}.parquet"),
            "dynamodb" => format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{word}-{n}"),
            "lambda" => format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{word}-handler"),
            "sqs" | "sns" => format!("arn:aws:{service}:{region}:{ACCOUNT}:{word}-{n}"),
            "kms" => format!(
                "arn:aws:kms:{region}:{ACCOUNT}:key/{:08x}-1234-4abc-8def-0123456789ab",
                self.rng.next()
            ),
            "logs" => {
                format!("arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/{word}-handler:*")
            }
            "secretsmanager" => {
                format!("arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{word}/db-AbCdEf")
            }
            "ssm" => format!("arn:aws:ssm:{region}:{ACCOUNT}:parameter/{word}/endpoint"),
            "ecr" => format!("arn:aws:ecr:{region}:{ACCOUNT}:repository/{word}"),
            "ec2" => format!(
                "arn:aws:ec2:{region}:{ACCOUNT}:instance/i-{:017x}",
                self.rng.next()
            ),
            "iam" => format!("arn:aws:iam::{ACCOUNT}:role/{word}-lambda-role-{n}"),
            other => format!("arn:aws:{other}:{region}:{ACCOUNT}:thing/{word}-{n}"),
        }
    }

    fn resources(&mut self, service: &str) -> Vec<String> {
        (0..self.rng.range(1, 3))
            .map(|_| self.resource_pattern(service))
            .collect()
    }

    fn condition(&mut self) -> Value {
        match self.rng.below(11) {
            0 => json!({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}),
            1 => json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}),
            2 => json!({"Bool": {"aws:SecureTransport": "true"}}),
            3 => json!({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
            4 => json!({"StringLike": {"s3:prefix": ["home/${aws:username}/*", "shared/*"]}}),
            5 => json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}}),
            6 => {
                json!({"ArnLike": {"aws:SourceArn": format!("arn:aws:events:*:{ACCOUNT}:rule/*")}})
            }
            7 => json!({"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}}),
            8 => json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
            9 => json!({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}),
            _ => json!({"Null": {"aws:TokenIssueTime": "false"}}),
        }
    }

    /// One statement of a customer managed or inline policy.
    fn statement(&mut self) -> Value {
        let mut s = match self.rng.below(100) {
            // Explicit actions of one service on some of its resources.
            0..30 => {
                let service = self.common_service();
                let actions = service.actions();
                let mut picked: Vec<String> = (0..self.rng.range(2, 10))
                    .map(|_| {
                        format!(
                            "{}:{}",
                            service.prefix(),
                            actions[self.rng.below(actions.len())].name()
                        )
                    })
                    .collect();
                picked.sort_unstable();
                picked.dedup();
                json!({"Effect": "Allow", "Action": picked, "Resource": self.resources(service.prefix())})
            }
            // Mid-pattern wildcards.
            30..50 => {
                let (service, patterns) = *self.rng.pick(MIDDLE);
                let n = self.rng.range(1, patterns.len());
                json!({"Effect": "Allow", "Action": patterns[..n], "Resource": self.resources(service)})
            }
            // A whole service under a condition.
            50..62 => {
                let service = self.common_service().prefix();
                let actions = if self.rng.chance(50) {
                    vec![format!("{service}:*")]
                } else {
                    vec![
                        format!("{service}:Get*"),
                        format!("{service}:List*"),
                        format!("{service}:Put*"),
                    ]
                };
                json!({"Effect": "Allow", "Action": actions, "Resource": self.resources(service),
                    "Condition": self.condition()})
            }
            // Reads of a few services on everything.
            62..70 => {
                let actions: Vec<String> = (0..self.rng.range(2, 5))
                    .flat_map(|_| {
                        let service = self.common_service().prefix();
                        [format!("{service}:Describe*"), format!("{service}:List*")]
                    })
                    .collect();
                json!({"Effect": "Allow", "Action": actions, "Resource": "*"})
            }
            70..80 => self.deny(),
            // Allow outside some resources.
            80..86 => {
                let service = *self
                    .rng
                    .pick(&["s3", "secretsmanager", "ssm", "kms", "dynamodb"]);
                let action = match service {
                    "s3" => "s3:*Object",
                    "secretsmanager" => "secretsmanager:GetSecretValue",
                    "ssm" => "ssm:GetParameter*",
                    "kms" => "kms:Decrypt",
                    _ => "dynamodb:*",
                };
                json!({"Effect": "Allow", "Action": action, "NotResource": self.resources(service)})
            }
            // PassRole and AssumeRole, as deploy roles have.
            86..92 => {
                if self.rng.chance(50) {
                    json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": self.resources("iam"),
                        "Condition": {"StringEquals": {"iam:PassedToService":
                            *self.rng.pick(&["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com"])}}})
                } else {
                    json!({"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                        "Resource": self.resources("iam")})
                }
            }
            // Read and write of one service on everything, under a condition.
            _ => {
                let service = self.common_service().prefix();
                json!({"Effect": "Allow", "Action": [format!("{service}:*"), "cloudwatch:PutMetricData"],
                    "Resource": "*", "Condition": self.condition()})
            }
        };
        if self.rng.chance(40) {
            s["Sid"] = json!(format!("Stmt{}", self.rng.next() % 100_000));
        }
        s
    }

    fn deny(&mut self) -> Value {
        match self.rng.below(6) {
            0 => {
                json!({"Effect": "Deny", "Action": ["iam:*User*", "iam:*AccessKey*", "iam:*LoginProfile*",
                "organizations:*"], "Resource": "*"})
            }
            1 => {
                let word = self.word();
                json!({"Effect": "Deny", "Action": "s3:*", "NotResource": [
                    format!("arn:aws:s3:::corp-{word}-*"), format!("arn:aws:s3:::corp-{word}-*/*")]})
            }
            2 => {
                json!({"Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*",
                "cloudfront:*", "route53:*"], "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}})
            }
            3 => json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            4 => {
                json!({"Effect": "Deny", "Action": ["ec2:TerminateInstances", "rds:DeleteDBInstance",
                "dynamodb:DeleteTable", "s3:DeleteBucket", "kms:ScheduleKeyDeletion"], "Resource": "*"})
            }
            _ => {
                json!({"Effect": "Deny", "Action": ["kms:Disable*", "kms:*Grant*"], "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
            }
        }
    }

    fn trust(&mut self, statement: Value) -> Value {
        self.stats.trust += 1;
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    fn trust_service(&mut self, service: &str) -> Value {
        self.trust(json!({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}))
    }

    fn trust_vendor(&mut self) -> Value {
        let vendor = format!("{:012}", self.rng.next() % 1_000_000_000_000);
        let external = format!("{:016x}{:016x}", self.rng.next(), self.rng.next());
        self.trust(json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{vendor}:root")},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external}}}))
    }

    fn trust_github(&mut self, repo: &str) -> Value {
        self.trust(json!({"Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": format!("repo:corp/{repo}:ref:refs/heads/main")}}}))
    }

    fn trust_saml(&mut self) -> Value {
        self.trust(json!({"Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE")},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}))
    }

    fn trust_account_mfa(&mut self) -> Value {
        self.trust(json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    }

    /// Requests for `evaluate`: mostly actions of common services on ARNs
    /// like those the policies name, the rest any catalog action.
    fn requests(&mut self, principals: usize) -> Vec<Req> {
        (0..REQUESTS)
            .map(|_| {
                let principal = self.rng.below(principals);
                let (action, service) = if self.rng.chance(70) {
                    let service = self.common_service();
                    let actions = service.actions();
                    let action = &actions[self.rng.below(actions.len())];
                    (
                        format!("{}:{}", service.prefix(), action.name()),
                        service.prefix(),
                    )
                } else {
                    let action = self
                        .catalog
                        .action_by_id(self.rng.below(self.catalog.action_count()));
                    (action.to_string(), action.prefix())
                };
                let resource = (!self.rng.chance(15)).then(|| self.resource_arn(service));
                Req {
                    principal,
                    action,
                    resource,
                    context: self.rng.below(4),
                }
            })
            .collect()
    }
}

/// `AttachedManagedPolicies`, each policy once.
fn attachments(mut policies: Vec<Managed>) -> Vec<Value> {
    policies.sort_by(|a, b| a.arn.cmp(&b.arn));
    policies.dedup_by(|a, b| a.arn == b.arn);
    policies
        .into_iter()
        .map(|p| json!({"PolicyName": p.name, "PolicyArn": p.arn}))
        .collect()
}

fn boundary(policy: &Managed) -> Value {
    json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy.arn})
}
