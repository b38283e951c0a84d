//! Third parties without a cross-account role: the vendor's CI with an IAM
//! user, GitHub Actions through OIDC, and an outside account reading a bucket
//! through its bucket policy.

use std::rc::Rc;

use super::vendors::S3_DENIED;
use super::{Plan, fail, not_authorized};
use crate::generate::event::Target;
use crate::generate::identity::{Caller, SessionExtras, assumed_role, iam_user, web_identity};
use crate::generate::ops::{self, Op};
use crate::generate::scenario::*;

/// The vendor's CI system using an IAM user and a long-term key: Lambda
/// deploys (versioned event names), CloudFront invalidations, and a few
/// calls outside its grant.
pub(super) fn ci_user(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::CI);
    let caller = Rc::new(
        iam_user(&CI_USER, Some(CI_USER.key(1)))
            .origin(ip, agents::CLI_CI)
            .vendor(vendor::CI),
    );
    p.ev(
        t0,
        &caller,
        (PROD, US_EAST_1),
        &ops::GET_CALLER_IDENTITY,
        Target::None,
    );
    let n = p.rng.range(4, 14);
    p.calls(t0, n, (2, 40), |p, t| ci_call(p, t, &caller));
}

/// One CI call.
fn ci_call(p: &mut Plan, t: i64, caller: &Rc<Caller>) {
    const CALLS: &[&Op] = &[
        &ops::LAMBDA_LIST_FUNCTIONS,
        &ops::LAMBDA_GET_FUNCTION,
        &ops::LAMBDA_UPDATE_CODE,
        &ops::CF_GET_DISTRIBUTION,
        &ops::CF_CREATE_INVALIDATION,
        &ops::CF_UPDATE_DISTRIBUTION,
        &ops::DESCRIBE_SECURITY_GROUPS,
    ];
    const WEIGHTS: &[u32] = &[3, 6, 5, 3, 3, 1, 1];
    const FUNCTIONS: &[&str] = &["prod-api", "prod-thumbnailer", "prod-webhooks"];
    let op = CALLS[p.rng.weighted(WEIGHTS)];
    let region = if p.rng.chance(0.2) {
        EU_WEST_1
    } else {
        US_EAST_1
    };
    let function = *p.rng.pick(FUNCTIONS);
    let target = match op.service() {
        "lambda" => Target::Function(function),
        "cloudfront" => Target::Distribution("E2QWRUHAPOMQZL"),
        _ => Target::None,
    };
    let missing = op.name.starts_with("GetFunction") && p.rng.chance(0.12);
    let ev = p.ev(t, caller, (PROD, region), op, target);
    let arn = CI_USER.arn();
    match op.name {
        "UpdateDistribution2020_05_31" => {
            let res = format!("arn:aws:cloudfront::{PROD}:distribution/E2QWRUHAPOMQZL");
            fail(ev, "AccessDenied", not_authorized(&arn, "cloudfront:UpdateDistribution", &res));
        }
        "DescribeSecurityGroups" => fail(
            ev,
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/vendor-ci-deployer is not authorized to perform: ec2:DescribeSecurityGroups because no identity-based policy allows the ec2:DescribeSecurityGroups action".to_owned(),
        ),
        _ if missing => {
            let res = format!("arn:aws:lambda:{region}:{PROD}:function:{function}");
            fail(ev, "ResourceNotFoundException", format!("Function not found: {res}"));
        }
        _ => {}
    }
}

/// GitHub Actions: AssumeRoleWithWebIdentity (Regional endpoint), then
/// ECR push, ECS deploy and artifact upload with the web-identity session.
pub(super) fn github_actions(p: &mut Plan, t0: i64) {
    let caller = github_session(p, t0);
    const STEPS: &[&Op] = &[
        &ops::GET_CALLER_IDENTITY,
        &ops::ECR_GET_AUTH_TOKEN,
        &ops::ECR_BATCH_CHECK,
        &ops::ECR_PUT_IMAGE,
        &ops::S3_PUT_OBJECT,
        &ops::ECS_REGISTER_TASK_DEF,
        &ops::ECS_UPDATE_SERVICE,
        &ops::ECS_DESCRIBE_SERVICES,
        &ops::ECS_DESCRIBE_SERVICES,
    ];
    let mut t = t0;
    for op in STEPS {
        t += p.gap(3, 90);
        let target = match op.name {
            "PutObject" => {
                Target::Object(DEPLOY_BUCKET, format!("builds/app/{}.zip", p.rng.hex(40)))
            }
            _ => Target::None,
        };
        let exists = p.rng.chance(0.06);
        let ev = p.ev(t, &caller, (PROD, US_EAST_1), op, target);
        if op.name == "PutImage" && exists {
            fail(
                ev,
                "ImageAlreadyExistsException",
                "Image with digest already exists".to_owned(),
            );
        }
    }
}

/// AssumeRoleWithWebIdentity by the workflow and the resulting session,
/// whose records carry `webIdFederationData`.
fn github_session(p: &mut Plan, t0: i64) -> Rc<Caller> {
    let ip = p.ip(ips::GITHUB);
    let provider = format!("arn:aws:iam::{PROD}:oidc-provider/{GITHUB_OIDC}");
    let federated = Rc::new(
        web_identity(GITHUB_OIDC, &provider, GITHUB_SUBJECT)
            .origin(ip, agents::GITHUB_STS)
            .vendor(vendor::GITHUB),
    );
    let session = "GitHubActions";
    let issued = p.issue(&GITHUB_ROLE, session, 3600);
    let key = p.sts(
        t0,
        &federated,
        (PROD, US_EAST_1),
        &ops::ASSUME_ROLE_WEB_IDENTITY,
        issued,
        false,
    );
    let extras = SessionExtras {
        web_provider: Some(provider),
        ..SessionExtras::default()
    };
    let session = p.session(&GITHUB_ROLE, session, key, t0, &federated, extras);
    Rc::new(session.origin(ip, agents::GITHUB))
}

/// The outside reader: its own AssumedRole session reading our shared
/// bucket through the bucket policy (`userIdentity.accountId` ≠
/// `recipientAccountId`, with `sharedEventID`).
pub(super) fn outside_reader(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::READER);
    let key = p.asia();
    let created = t0 - p.gap(30, 1800);
    let stamp = p.stamp(created, false);
    let caller = Rc::new(
        assumed_role(
            &READER_ROLE,
            "sess",
            Some(key),
            stamp,
            SessionExtras::default(),
        )
        .origin(ip, agents::READER)
        .vendor(vendor::READER),
    );
    let n = p.rng.range(3, 12);
    p.calls(t0, n, (1, 40), |p, t| {
        let roll = p.rng.below(10);
        let (op, target) = match roll {
            0..=1 => (&ops::S3_LIST_OBJECTS, Target::Bucket(SHARED_EXPORTS_BUCKET)),
            2..=3 => (
                &ops::S3_HEAD_OBJECT,
                Target::Object(
                    SHARED_EXPORTS_BUCKET,
                    format!("exports/daily/{}.csv.gz", p.rng.hex(8)),
                ),
            ),
            _ => (
                &ops::S3_GET_OBJECT,
                Target::Object(
                    SHARED_EXPORTS_BUCKET,
                    format!("exports/daily/{}.csv.gz", p.rng.hex(8)),
                ),
            ),
        };
        let shared = p.rng.uuid_v4();
        let denied = roll == 9 && p.rng.chance(0.3);
        let ev = p.ev(t, &caller, (PROD, US_EAST_1), op, target);
        ev.shared_event_id = Some(shared.into());
        if denied {
            fail(ev, "AccessDenied", S3_DENIED.to_owned());
        }
    });
}
