//! Vendors assuming our roles from their own accounts (design notes 4.4):
//! Datadog, Acme Backup, the contractor and a stale integration.

use std::rc::Rc;

use super::{Plan, fail, not_authorized};
use crate::generate::event::{Issued, Target};
use crate::generate::identity::{Caller, SessionExtras, aws_account};
use crate::generate::ops::{self, Op};
use crate::generate::rng::stable_id;
use crate::generate::scenario::*;

/// The Access Denied message S3 gives callers from other organizations.
pub(super) const S3_DENIED: &str = "Access Denied";

/// Unique ID of a principal in an outside account (`AROA…:session` or `AIDA…`).
pub(super) fn outside_principal(prefix: &str, name: &str, session: Option<&str>) -> String {
    let id = stable_id(prefix, name, 17);
    match session {
        Some(s) => format!("{id}:{s}"),
        None => id,
    }
}

/// Plans a cross-account AssumeRole into `role` by `outside` and returns the
/// resulting session caller (its `opened_by` is the outside account).
pub(super) fn assume_from(
    p: &mut Plan,
    t: i64,
    outside: &Rc<Caller>,
    role: &Role,
    session: &str,
    setup: impl FnOnce(&mut Issued),
) -> (String, bool) {
    let mut issued = p.issue(role, session, 3600);
    setup(&mut issued);
    let mfa = issued.serial.is_some();
    let op = match issued.source_identity {
        Some(_) => &ops::ASSUME_ROLE_SOURCE_ID,
        None => &ops::ASSUME_ROLE,
    };
    (
        p.sts(t, outside, (role.account, US_EAST_1), op, issued, true),
        mfa,
    )
}

/// Datadog's crawler: AssumeRole with ExternalId (sometimes through the
/// eu-west-1 STS endpoint), then read-only Describe/metrics/tag calls in both
/// production Regions, with a few denied calls outside its policy.
pub(super) fn datadog(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::DATADOG);
    let caller_session = format!("DatadogIntegration-{}", p.rng.hex(8));
    let principal = outside_principal("AROA", "datadog-integration", Some(&caller_session));
    let outside = Rc::new(
        aws_account(DATADOG_ACCOUNT, principal)
            .origin(ip, agents::DATADOG)
            .vendor(vendor::DATADOG),
    );
    let session = "DatadogAWSIntegration";
    let mut issued = p.issue(&DATADOG_ROLE, session, 3600);
    issued.external_id = Some(DATADOG_EXTERNAL_ID);
    // One session in five goes through the eu-west-1 STS endpoint and is
    // logged there, while its calls still span both Regions.
    let (op, region) = if p.rng.chance(0.2) {
        (&ops::ASSUME_ROLE_REGIONAL, EU_WEST_1)
    } else {
        (&ops::ASSUME_ROLE, US_EAST_1)
    };
    let key = p.sts(t0, &outside, (PROD, region), op, issued, true);
    let extras = SessionExtras {
        opened_by: Some(DATADOG_ACCOUNT),
        ..SessionExtras::default()
    };
    let caller = Rc::new(p.session(&DATADOG_ROLE, session, key, t0, &outside, extras));
    let n = p.rng.range(10, 36);
    p.calls(t0, n, (4, 90), |p, t| datadog_call(p, t, &caller));
}

/// One Datadog crawler call.
fn datadog_call(p: &mut Plan, t: i64, caller: &Rc<Caller>) {
    const CALLS: &[&Op] = &[
        &ops::DESCRIBE_INSTANCES,
        &ops::DESCRIBE_VOLUMES,
        &ops::DESCRIBE_SECURITY_GROUPS,
        &ops::GET_METRIC_DATA,
        &ops::LIST_METRICS,
        &ops::GET_RESOURCES,
        &ops::DESCRIBE_REGIONS,
        &ops::DESCRIBE_LOG_GROUPS,
        &ops::S3_GET_BUCKET_TAGGING,
        &ops::GET_CALLER_IDENTITY,
    ];
    const WEIGHTS: &[u32] = &[14, 6, 4, 30, 10, 10, 2, 2, 1, 1];
    let op = CALLS[p.rng.weighted(WEIGHTS)];
    let region = if p.rng.chance(0.45) {
        EU_WEST_1
    } else {
        US_EAST_1
    };
    let arn = DATADOG_ROLE.session_arn("DatadogAWSIntegration");
    match op.name {
        "DescribeLogGroups" => {
            let res = format!("arn:aws:logs:{region}:{PROD}:log-group::log-stream:");
            let ev = p.ev(t, caller, (PROD, region), op, Target::None);
            fail(
                ev,
                "AccessDeniedException",
                not_authorized(&arn, "logs:DescribeLogGroups", &res),
            );
        }
        "GetBucketTagging" => {
            let ev = p.ev(
                t,
                caller,
                (PROD, US_EAST_1),
                op,
                Target::Bucket(PROD_DATA_BUCKET),
            );
            fail(ev, "AccessDenied", S3_DENIED.to_owned());
        }
        _ => {
            p.ev(t, caller, (PROD, region), op, Target::None);
        }
    }
}

/// Acme Backup: nightly AssumeRole without ExternalId, then S3 data events
/// and KMS calls; DeleteObject hits the explicit Deny in its policy.
pub(super) fn acme_backup(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::ACME);
    let principal = outside_principal("AIDA", "acme-backup-agent", None);
    let outside = Rc::new(
        aws_account(ACME_ACCOUNT, principal)
            .origin(ip, agents::ACME)
            .vendor(vendor::ACME),
    );
    let session = format!("acme-backup-job-{}", p.rng.range(100_000, 999_999));
    let (key, _) = assume_from(p, t0, &outside, &ACME_ROLE, &session, |_| {});
    let extras = SessionExtras {
        opened_by: Some(ACME_ACCOUNT),
        ..SessionExtras::default()
    };
    let caller = Rc::new(p.session(&ACME_ROLE, &session, key, t0, &outside, extras));
    let n = p.rng.range(12, 48);
    p.calls(t0, n, (2, 70), |p, t| acme_call(p, t, &caller));
}

/// One Acme Backup call.
fn acme_call(p: &mut Plan, t: i64, caller: &Rc<Caller>) {
    const CALLS: &[&Op] = &[
        &ops::S3_LIST_OBJECTS,
        &ops::S3_HEAD_OBJECT,
        &ops::S3_GET_OBJECT,
        &ops::S3_PUT_OBJECT,
        &ops::S3_COPY_OBJECT,
        &ops::S3_DELETE_OBJECT,
        &ops::KMS_DECRYPT,
        &ops::KMS_GENERATE_DATA_KEY,
        &ops::KMS_RE_ENCRYPT,
    ];
    const WEIGHTS: &[u32] = &[6, 6, 16, 4, 2, 1, 6, 3, 2];
    let op = CALLS[p.rng.weighted(WEIGHTS)];
    let (region, bucket, kms) = if p.rng.chance(0.3) {
        (EU_WEST_1, PROD_EU_BUCKET, PROD_EU_KEY)
    } else {
        (US_EAST_1, PROD_DATA_BUCKET, PROD_KEY)
    };
    let key = format!(
        "backups/2024/{:02}/db-{}.tar.gz",
        p.rng.range(1, 12),
        p.rng.hex(8)
    );
    let target = match op.name {
        "ListObjects" => Target::Bucket(bucket),
        "CopyObject" => Target::Copy(bucket, key.clone(), key.replace("backups/", "archive/")),
        "Decrypt" | "GenerateDataKey" | "ReEncrypt" => Target::Key(kms),
        _ => Target::Object(bucket, key),
    };
    let ev = p.ev(t, caller, (PROD, region), op, target);
    if op.name == "DeleteObject" {
        fail(ev, "AccessDenied", S3_DENIED.to_owned());
    }
}

/// The contractor: a user in the contractor's account assumes
/// `ContractorAccess` with a source identity, with MFA about half the time.
pub(super) fn contractor(p: &mut Plan, t0: i64) {
    let mfa = p.rng.chance(0.5);
    let caller = contractor_session(p, t0, &CONTRACTOR_ROLE, "jdoe", mfa);
    let n = p.rng.range(4, 14);
    p.calls(t0, n, (5, 200), |p, t| {
        const CALLS: &[&Op] = &[
            &ops::DESCRIBE_INSTANCES,
            &ops::DESCRIBE_SECURITY_GROUPS,
            &ops::SSM_GET_PARAMETER,
            &ops::S3_LIST_BUCKETS,
            &ops::IAM_LIST_ROLES,
            &ops::IAM_GET_ROLE,
            &ops::DESCRIBE_ALARMS,
            &ops::IAM_PUT_ROLE_POLICY,
        ];
        let op = CALLS[p.rng.weighted(&[6, 3, 3, 2, 2, 2, 2, 1])];
        let target = match op.service() {
            "iam" => Target::IamEntity("app-server"),
            "ssm" => Target::Named("/prod/app/feature-flags"),
            _ => Target::None,
        };
        let ev = p.ev(t, &caller, (PROD, US_EAST_1), op, target);
        if op.name == "PutRolePolicy" {
            let arn = CONTRACTOR_ROLE.session_arn("jdoe");
            let res = format!("arn:aws:iam::{PROD}:role/app-server");
            fail(
                ev,
                "AccessDenied",
                not_authorized(&arn, "iam:PutRolePolicy", &res),
            );
        }
    });
}

/// The contractor's break-glass role: its trust requires MFA, so every
/// session carries `serialNumber`.
pub(super) fn contractor_breakglass(p: &mut Plan, t0: i64) {
    let caller = contractor_session(p, t0, &CONTRACTOR_BREAKGLASS_ROLE, "jdoe-breakglass", true);
    let n = p.rng.range(2, 6);
    p.calls(t0, n, (10, 300), |p, t| {
        let op = *p.rng.pick(&[
            &ops::IAM_GET_ROLE,
            &ops::IAM_LIST_ROLES,
            &ops::DESCRIBE_INSTANCES,
        ]);
        p.ev(
            t,
            &caller,
            (PROD, US_EAST_1),
            op,
            Target::IamEntity("ContractorAccess"),
        );
    });
}

/// AssumeRole by the contractor's user and the resulting session caller.
fn contractor_session(p: &mut Plan, t0: i64, role: &Role, session: &str, mfa: bool) -> Rc<Caller> {
    let ip = p.ip(ips::CONTRACTOR);
    let principal = outside_principal("AIDA", "contractor-jdoe", None);
    let outside = Rc::new(
        aws_account(CONTRACTOR_ACCOUNT, principal)
            .origin(ip, agents::TERRAFORM)
            .vendor(vendor::CONTRACTOR),
    );
    let (key, mfa) = assume_from(p, t0, &outside, role, session, |i| {
        i.source_identity = Some("jdoe");
        if mfa {
            i.serial = Some(format!("arn:aws:iam::{CONTRACTOR_ACCOUNT}:mfa/jdoe"));
        }
    });
    let extras = SessionExtras {
        opened_by: Some(CONTRACTOR_ACCOUNT),
        source_identity: Some("jdoe"),
        mfa,
        ..SessionExtras::default()
    };
    Rc::new(p.session(role, session, key, t0, &outside, extras))
}

/// The stale integration: AssumeRole into a role that no longer trusts it.
/// Half the records have `requestParameters: null`, as seen in real trails.
pub(super) fn stale_integration(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::STALE);
    let instance = format!("i-0{}", p.rng.hex(16));
    let principal = outside_principal("AROA", "stale-monitoring-collector", Some(&instance));
    let outside = Rc::new(
        aws_account(STALE_ACCOUNT, principal)
            .origin(ip, agents::BOTO_APP)
            .vendor(vendor::STALE),
    );
    let caller_arn =
        format!("arn:aws:sts::{STALE_ACCOUNT}:assumed-role/monitoring-collector/{instance}");
    let role = STALE_TARGET_ROLE.arn();
    let attempts = p.rng.range(1, 3);
    let mut t = t0;
    for _ in 0..attempts {
        let params = p
            .rng
            .chance(0.5)
            .then(|| (role.clone(), "monitoring".to_owned()));
        let ev = p.ev(
            t,
            &outside,
            (PROD, US_EAST_1),
            &ops::ASSUME_ROLE,
            Target::Denied(params),
        );
        fail(
            ev,
            "AccessDenied",
            format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role}"
            ),
        );
        t += p.gap(1, 30);
    }
}
