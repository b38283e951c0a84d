//! Our own principals: people, workloads, AWS services and IAM Identity Center.

use std::rc::Rc;

use super::{Plan, fail};
use crate::generate::event::{Failure, Target};
use crate::generate::identity::{
    Caller, SessionExtras, assumed_role, aws_service, federated_user, iam_user, iam_user_console,
    root as root_identity, saml_user, service_event, unknown,
};
use crate::generate::ops::{self, Op};
use crate::generate::scenario::*;

/// Plans a console sign-in (sometimes after a failed attempt and an MFA check).
fn console_login(p: &mut Plan, t: i64, who: &Rc<Caller>, device: &str, may_fail: bool) {
    if may_fail && p.rng.chance(0.08) {
        let ev = p.ev(
            t - 40,
            who,
            (PROD, US_EAST_1),
            &ops::CONSOLE_LOGIN,
            Target::Login(false, false, None),
        );
        // Failed sign-ins carry only errorMessage, no errorCode (AWS Sign-In events).
        ev.failure = Some(Failure {
            code: None,
            message: "Failed authentication".to_owned(),
        });
    }
    if p.rng.chance(0.5) {
        p.ev(
            t - 5,
            who,
            (PROD, US_EAST_1),
            &ops::CHECK_MFA,
            Target::Login(true, true, None),
        );
    }
    p.ev(
        t,
        who,
        (PROD, US_EAST_1),
        &ops::CONSOLE_LOGIN,
        Target::Login(true, true, Some(device.to_owned())),
    );
}

/// One read-only console call by an administrator.
fn admin_call(p: &mut Plan, t: i64, caller: &Rc<Caller>, account: &'static str) {
    const CALLS: &[&Op] = &[
        &ops::DESCRIBE_INSTANCES,
        &ops::IAM_LIST_ROLES,
        &ops::IAM_GET_ROLE,
        &ops::S3_LIST_BUCKETS,
        &ops::DESCRIBE_ALARMS,
        &ops::DESCRIBE_SECURITY_GROUPS,
        &ops::ECS_DESCRIBE_SERVICES,
    ];
    let op = CALLS[p.rng.weighted(&[6, 3, 3, 3, 2, 2, 1])];
    let region = if account == PROD && p.rng.chance(0.3) {
        EU_WEST_1
    } else {
        US_EAST_1
    };
    let role = *p.rng.pick(&[
        "DatadogIntegrationRole",
        "AcmeBackupRole",
        "app-server",
        "ChainerEntryRole",
    ]);
    p.ev(t, caller, (account, region), op, Target::IamEntity(role));
}

/// alice in the console: optional failed attempt, MFA check, sign-in, then
/// console calls with a temporary key and `sessionCredentialFromConsole`.
pub(super) fn alice_console(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let signin = Rc::new(iam_user(&ALICE, Some(String::new())).origin(ip, agents::BROWSER));
    console_login(p, t0, &signin, "arn:aws:iam::111111111111:mfa/alice", true);
    let key = p.asia();
    let stamp = p.stamp(t0, true);
    let caller = Rc::new(iam_user_console(&ALICE, key, stamp).origin(ip, agents::BROWSER));
    let n = p.rng.range(4, 12);
    p.calls(t0, n, (5, 240), |p, t| admin_call(p, t, &caller, PROD));
}

/// alice on the CLI with one of her two long-term keys: IAM changes.
pub(super) fn alice_cli(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let key = if p.rng.chance(0.8) {
        ALICE.key(1)
    } else {
        ALICE.key(2)
    };
    let caller = Rc::new(iam_user(&ALICE, Some(key)).origin(ip, agents::CLI_LAPTOP));
    p.ev(
        t0,
        &caller,
        (PROD, US_EAST_1),
        &ops::GET_CALLER_IDENTITY,
        Target::None,
    );
    let n = p.rng.range(2, 8);
    p.calls(t0, n, (5, 120), |p, t| {
        const CALLS: &[&Op] = &[
            &ops::IAM_PUT_ROLE_POLICY,
            &ops::IAM_ATTACH_ROLE_POLICY,
            &ops::IAM_UPDATE_ASSUME_ROLE_POLICY,
            &ops::IAM_LIST_USERS,
            &ops::IAM_CREATE_ACCESS_KEY,
            &ops::S3_LIST_BUCKETS,
            &ops::IAM_GET_ROLE,
        ];
        let op = CALLS[p.rng.weighted(&[2, 1, 1, 3, 1, 3, 3])];
        let target = match op.name {
            "CreateAccessKey" => Target::IamEntity("vendor-ci-deployer"),
            _ => Target::IamEntity("app-server"),
        };
        let quota = p.rng.chance(0.5);
        let ev = p.ev(t, &caller, (PROD, US_EAST_1), op, target);
        if op.name == "CreateAccessKey" && quota {
            fail(
                ev,
                "LimitExceededException",
                "Cannot exceed quota for AccessKeysPerUser: 2".to_owned(),
            );
        }
    });
}

/// alice's GetFederationToken and the federated user's calls.
pub(super) fn alice_federated(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let caller = Rc::new(iam_user(&ALICE, Some(ALICE.key(1))).origin(ip, agents::CLI_LAPTOP));
    let name = "alice-fed";
    let arn = format!("arn:aws:sts::{PROD}:federated-user/{name}");
    // GetFederationToken issues credentials like AssumeRole does; reuse the
    // issuing helper and point its ARNs at the federated user.
    let mut issued = p.issue(&OKTA_ROLE, name, 43_200);
    issued.role_arn = arn.clone();
    issued.session_arn = arn;
    issued.role_id = format!("{PROD}:{name}");
    let key = p.sts(
        t0,
        &caller,
        (PROD, US_EAST_1),
        &ops::GET_FEDERATION_TOKEN,
        issued,
        false,
    );
    let stamp = p.stamp(t0, false);
    let fed = Rc::new(federated_user(&ALICE, name, key, stamp).origin(ip, agents::BOTO_APP));
    let n = p.rng.range(2, 8);
    p.calls(t0, n, (5, 300), |p, t| {
        let op = *p.rng.pick(&[
            &ops::S3_LIST_BUCKETS,
            &ops::DESCRIBE_INSTANCES,
            &ops::GET_CALLER_IDENTITY,
        ]);
        p.ev(t, &fed, (PROD, US_EAST_1), op, Target::None);
    });
}

/// The root user: console sign-in with MFA and a few account-level calls.
pub(super) fn root(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let signin = Rc::new(root_identity(PROD, "", None).origin(ip, agents::BROWSER));
    console_login(
        p,
        t0,
        &signin,
        "arn:aws:iam::111111111111:mfa/root-account-mfa-device",
        false,
    );
    let key = p.asia();
    let stamp = p.stamp(t0, true);
    let caller = Rc::new(
        root_identity(PROD, &key, Some(stamp))
            .origin(ip, agents::BROWSER)
            .console(),
    );
    let n = p.rng.range(1, 5);
    p.calls(t0, n, (10, 200), |p, t| {
        let op = *p.rng.pick(&[
            &ops::IAM_GET_ACCOUNT_SUMMARY,
            &ops::S3_LIST_BUCKETS,
            &ops::IAM_LIST_USERS,
        ]);
        p.ev(t, &caller, (PROD, US_EAST_1), op, Target::None);
    });
}

/// Okta SAML federation into `OktaAdmin`, then console work.
pub(super) fn okta_admin(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let subject = *p.rng.pick(&["carol@acme.example", "dave@acme.example"]);
    let qualifier = "Kq2x0mN7p4Rz8vT1yW3bC5dF6gH=";
    let saml = Rc::new(saml_user(OKTA_PROVIDER, qualifier, subject).origin(ip, agents::BROWSER));
    let issued = p.issue(&OKTA_ROLE, subject, 43_200);
    let key = p.sts(
        t0,
        &saml,
        (PROD, US_EAST_1),
        &ops::ASSUME_ROLE_SAML,
        issued,
        false,
    );
    let caller = Rc::new(
        p.session(
            &OKTA_ROLE,
            subject,
            key,
            t0,
            &saml,
            SessionExtras::default(),
        )
        .console(),
    );
    let n = p.rng.range(3, 12);
    p.calls(t0, n, (5, 300), |p, t| {
        if p.rng.chance(0.12) {
            p.ev(
                t,
                &caller,
                (PROD, US_EAST_1),
                &ops::RUN_INSTANCES,
                Target::None,
            );
            let id = format!("i-0{}", p.rng.hex(16));
            p.ev(
                t + 2,
                &caller,
                (PROD, US_EAST_1),
                &ops::CREATE_TAGS,
                Target::Instance(id),
            );
        } else {
            admin_call(p, t, &caller, PROD);
        }
    });
}

/// EC2 assumes `app-server` for an instance (type AWSService, Regional
/// STS), then the instance uses the credentials (`ec2RoleDelivery` 2.0).
pub(super) fn app_server(p: &mut Plan, t0: i64) {
    let host = Instance::launch(p, t0);
    let info = Target::Instance(host.id.clone());
    p.ev(
        t0 + 20,
        &host.agent,
        (PROD, host.region),
        &ops::SSM_UPDATE_INSTANCE_INFO,
        info,
    );
    let n = p.rng.range(6, 20);
    p.calls(t0 + 20, n, (10, 170), |p, t| host.call(p, t));
}

/// One production instance running with the `app-server` profile.
struct Instance {
    /// Region it runs in.
    region: &'static str,
    /// Bucket it reads and writes.
    bucket: &'static str,
    /// KMS key it decrypts with.
    key_id: &'static str,
    /// Instance ID (the role session name).
    id: String,
    /// The application (Boto3).
    app: Rc<Caller>,
    /// The SSM agent, same credentials, another user agent.
    agent: Rc<Caller>,
}

impl Instance {
    /// EC2 assumes `app-server` for a new instance (type AWSService,
    /// Regional STS); the instance then uses the credentials.
    fn launch(p: &mut Plan, t0: i64) -> Self {
        let (region, bucket, key_id, ip) = if p.rng.chance(0.3) {
            (EU_WEST_1, PROD_EU_BUCKET, PROD_EU_KEY, ips::NAT[1])
        } else {
            (US_EAST_1, PROD_DATA_BUCKET, PROD_KEY, ips::NAT[0])
        };
        let id = format!("i-0{}", p.rng.hex(16));
        let ec2 = Rc::new(aws_service("ec2.amazonaws.com"));
        let issued = p.issue(&APP_ROLE, &id, 3600);
        let key = p.sts(
            t0,
            &ec2,
            (PROD, region),
            &ops::ASSUME_ROLE_REGIONAL,
            issued,
            true,
        );
        let extras = SessionExtras {
            ec2_delivery: Some("2.0"),
            ..SessionExtras::default()
        };
        let app = p
            .session(&APP_ROLE, &id, key, t0, &ec2, extras)
            .origin(ip, agents::BOTO_APP);
        let agent = Rc::new(Caller {
            user_agent: agents::SSM_AGENT,
            ..app.clone()
        });
        Self {
            region,
            bucket,
            key_id,
            id,
            app: Rc::new(app),
            agent,
        }
    }

    /// One call of the application or its agent.
    fn call(&self, p: &mut Plan, t: i64) {
        const CALLS: &[&Op] = &[
            &ops::SSM_GET_PARAMETER,
            &ops::SECRETS_GET_VALUE,
            &ops::KMS_DECRYPT,
            &ops::S3_GET_OBJECT,
            &ops::S3_PUT_OBJECT,
            &ops::SSM_UPDATE_INSTANCE_INFO,
        ];
        let op = CALLS[p.rng.weighted(&[3, 2, 3, 6, 3, 1])];
        let (who, target) = match op.name {
            "UpdateInstanceInformation" => (&self.agent, Target::Instance(self.id.clone())),
            "GetParameter" => (&self.app, Target::Named("/prod/app/config")),
            "GetSecretValue" => (&self.app, Target::Named("prod/app/db")),
            "Decrypt" => (&self.app, Target::Key(self.key_id)),
            _ => {
                let key = format!("uploads/{}/{}.json", p.rng.range(1, 999), p.rng.hex(12));
                (&self.app, Target::Object(self.bucket, key))
            }
        };
        p.ev(t, who, (PROD, self.region), op, target);
    }
}

/// API Gateway's service-linked role managing VPC-link network interfaces
/// (no access key in the records, `invokedBy` set).
pub(super) fn apigw_slr(p: &mut Plan, t0: i64) {
    let svc = "ops.apigateway.amazonaws.com";
    let extras = SessionExtras {
        invoked_by: Some(svc),
        ..SessionExtras::default()
    };
    let session = format!("APIGatewayVpcLink-{}", p.rng.range(1_000_000, 9_999_999));
    let stamp = p.stamp(t0 - 3, false);
    let caller = Rc::new(
        assumed_role(&APIGW_SLR, &session, None, stamp, extras)
            .origin(svc, svc)
            .via_service(),
    );
    let n = p.rng.range(2, 6);
    p.calls(t0, n, (1, 20), |p, t| {
        let op = CALLS_SLR[p.rng.weighted(&[6, 1, 3])];
        p.ev(t, &caller, (PROD, US_EAST_1), op, Target::None);
    });
}

/// Calls of the API Gateway service-linked role.
const CALLS_SLR: &[&Op] = &[
    &ops::DESCRIBE_NETWORK_INTERFACES,
    &ops::CREATE_NETWORK_INTERFACE,
    &ops::DESCRIBE_LOAD_BALANCERS,
];

/// CloudTrail itself checking the trail buckets' ACLs (type AWSService).
pub(super) fn cloudtrail_service(p: &mut Plan, t0: i64) {
    let svc = Rc::new(aws_service("cloudtrail.amazonaws.com"));
    p.ev(
        t0,
        &svc,
        (DATA, US_EAST_1),
        &ops::S3_GET_BUCKET_ACL,
        Target::Bucket(ORG_BUCKET),
    );
    if p.rng.chance(0.7) {
        p.ev(
            t0 + 1,
            &svc,
            (SOLO, US_EAST_1),
            &ops::S3_GET_BUCKET_ACL,
            Target::Bucket(SOLO_BUCKET),
        );
    }
}

/// AwsServiceEvent records whose `userIdentity` has no `type`.
pub(super) fn service_events(p: &mut Plan, t0: i64) {
    if p.rng.chance(0.5) {
        let caller = Rc::new(service_event(PROD, "AWS Internal"));
        p.ev(
            t0,
            &caller,
            (PROD, US_EAST_1),
            &ops::KMS_ROTATE_KEY,
            Target::Key(PROD_KEY),
        );
    }
    let account = if p.rng.chance(0.5) { PROD } else { DATA };
    let caller = Rc::new(service_event(account, "secretsmanager.amazonaws.com"));
    p.ev(
        t0 + 60,
        &caller,
        (account, US_EAST_1),
        &ops::SECRETS_END_VERSION_DELETE,
        Target::Named("prod/app/db"),
    );
}

/// IAM Identity Center permission-set sessions (`AWSReservedSSO_*`).
pub(super) fn sso_admin(p: &mut Plan, t0: i64) {
    let account = if p.rng.chance(0.6) { PROD } else { DATA };
    let role = sso_admin_role(account);
    let user = *p.rng.pick(&["bob@acme.example", "dana@acme.example"]);
    let ip = p.ip(ips::OFFICE);
    let key = p.asia();
    let stamp = p.stamp(t0, false);
    let caller = Rc::new(
        assumed_role(&role, user, Some(key), stamp, SessionExtras::default())
            .origin(ip, agents::BROWSER)
            .console(),
    );
    let n = p.rng.range(3, 12);
    p.calls(t0, n, (5, 300), |p, t| {
        if account == DATA {
            let op = *p.rng.pick(&[
                &ops::DDB_LIST_TABLES,
                &ops::DDB_DESCRIBE_TABLE,
                &ops::S3_LIST_BUCKETS,
            ]);
            p.ev(
                t,
                &caller,
                (DATA, US_EAST_1),
                op,
                Target::Table(CHAINER_TABLE),
            );
        } else {
            admin_call(p, t, &caller, PROD);
        }
    });
}

/// IAM Identity Center sign-in steps logged with `type: Unknown`.
pub(super) fn identity_center_signin(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::OFFICE);
    let (user, id) = *p.rng.pick(&[
        ("bob", "9067c5f3a1-4b2e-4f6a-9c1d-7e8f0a1b2c3d"),
        ("dana", "9067c5f3a1-8d7c-4e5b-a1f2-3c4d5e6f7a8b"),
    ]);
    let caller = Rc::new(unknown(PROD, id.to_owned(), user).origin(ip, agents::BROWSER));
    p.ev(
        t0,
        &caller,
        (PROD, US_EAST_1),
        &ops::CREDENTIAL_CHALLENGE,
        Target::None,
    );
    p.ev(
        t0 + 2,
        &caller,
        (PROD, US_EAST_1),
        &ops::CREDENTIAL_VERIFICATION,
        Target::None,
    );
}

/// Automation user of the standalone account.
pub(super) fn ops_bot(p: &mut Plan, t0: i64) {
    let caller =
        Rc::new(iam_user(&OPS_BOT, Some(OPS_BOT.key(1))).origin(ips::NAT[0], agents::BOTO_APP));
    let n = p.rng.range(3, 9);
    p.calls(t0, n, (1, 60), |p, t| {
        const CALLS: &[&Op] = &[
            &ops::DESCRIBE_INSTANCES,
            &ops::DESCRIBE_VOLUMES,
            &ops::S3_LIST_BUCKETS,
            &ops::GET_METRIC_DATA,
            &ops::GET_CALLER_IDENTITY,
        ];
        let op = CALLS[p.rng.weighted(&[4, 2, 1, 3, 1])];
        let throttled = p.rng.chance(0.05);
        let ev = p.ev(t, &caller, (SOLO, US_EAST_1), op, Target::None);
        if op.service() == "ec2" && throttled {
            fail(
                ev,
                "Client.RequestLimitExceeded",
                "Request limit exceeded.".to_owned(),
            );
        }
    });
}
