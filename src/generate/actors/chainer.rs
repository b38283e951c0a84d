//! Chainer Corp: a role chain from a vendor account through production into
//! the data account ("role chaining", design notes 4.4 item 3).

use std::rc::Rc;

use super::vendors::{assume_from, outside_principal};
use super::{Plan, fail, not_authorized};
use crate::generate::event::Target;
use crate::generate::identity::{Caller, SessionExtras, aws_account};
use crate::generate::ops::{self, Op};
use crate::generate::scenario::*;

/// Chainer Corp: enters production with ExternalId, then from that session
/// assumes a role in the data account (two copies of that AssumeRole, one
/// per account, sharing `sharedEventID` and `requestID`), then works there.
pub(super) fn chainer(p: &mut Plan, t0: i64) {
    let ip = p.ip(ips::CHAINER);
    let principal = outside_principal("AROA", "chainer-sync", Some("chainer-sync"));
    let outside = Rc::new(
        aws_account(CHAINER_ACCOUNT, principal)
            .origin(ip, agents::CHAINER)
            .vendor(vendor::CHAINER),
    );
    let entry_session = format!("chainer-entry-{}", p.rng.hex(6));
    let (entry_key, _) = assume_from(p, t0, &outside, &CHAINER_ENTRY_ROLE, &entry_session, |i| {
        i.external_id = Some(CHAINER_EXTERNAL_ID);
    });
    let extras = SessionExtras {
        opened_by: Some(CHAINER_ACCOUNT),
        ..SessionExtras::default()
    };
    let entry = Rc::new(p.session(
        &CHAINER_ENTRY_ROLE,
        &entry_session,
        entry_key,
        t0,
        &outside,
        extras,
    ));
    let t1 = t0 + p.gap(2, 20);
    p.ev(
        t1,
        &entry,
        (PROD, US_EAST_1),
        &ops::GET_CALLER_IDENTITY,
        Target::None,
    );
    let t2 = t1 + p.gap(1, 10);
    let data_session = format!("chainer-data-{}", p.rng.hex(6));
    let data_key = chain_assume(p, t2, &entry, &entry_session, &data_session);
    // The data session was opened by a caller in production (the entry session).
    let extras = SessionExtras {
        opened_by: Some(PROD),
        ..SessionExtras::default()
    };
    let data = Rc::new(p.session(
        &CHAINER_DATA_ROLE,
        &data_session,
        data_key,
        t2,
        &entry,
        extras,
    ));
    let n = p.rng.range(6, 20);
    p.calls(t2, n, (3, 60), |p, t| chainer_call(p, t, &data));
}

/// The chained AssumeRole: the caller's copy in production and the role
/// owner's copy (type AWSAccount) in the data account.
fn chain_assume(
    p: &mut Plan,
    t: i64,
    entry: &Rc<Caller>,
    entry_session: &str,
    session: &str,
) -> String {
    let issued = p.issue(&CHAINER_DATA_ROLE, session, 3600);
    let key = issued.access_key.clone();
    let shared: Rc<str> = p.rng.uuid_v4().into();
    let request: Rc<str> = p.rng.uuid_v4().into();
    let target = Target::Issue(Box::new(issued));
    let ev = p.ev(
        t,
        entry,
        (PROD, US_EAST_1),
        &ops::ASSUME_ROLE,
        target.clone(),
    );
    ev.shared_event_id = Some(Rc::clone(&shared));
    ev.request_id = Some(Rc::clone(&request));
    let principal = format!("{}:{entry_session}", CHAINER_ENTRY_ROLE.id());
    let owner_view = Rc::new(
        aws_account(PROD, principal)
            .origin(entry.ip, entry.user_agent)
            .vendor(vendor::CHAINER),
    );
    let ev = p.ev(t, &owner_view, (DATA, US_EAST_1), &ops::ASSUME_ROLE, target);
    ev.shared_event_id = Some(shared);
    ev.request_id = Some(request);
    key
}

/// One call of Chainer's data-account session.
fn chainer_call(p: &mut Plan, t: i64, caller: &Rc<Caller>) {
    const CALLS: &[&Op] = &[
        &ops::DDB_DESCRIBE_TABLE,
        &ops::DDB_QUERY,
        &ops::DDB_GET_ITEM,
        &ops::S3_GET_OBJECT,
        &ops::S3_LIST_OBJECTS,
        &ops::GET_CALLER_IDENTITY,
        &ops::IAM_LIST_ROLES,
    ];
    const WEIGHTS: &[u32] = &[2, 8, 8, 6, 3, 1, 1];
    let op = CALLS[p.rng.weighted(WEIGHTS)];
    let target = match op.service() {
        "dynamodb" => Target::Table(CHAINER_TABLE),
        "s3" if op.name == "ListObjects" => Target::Bucket(DATA_LAKE_BUCKET),
        "s3" => Target::Object(
            DATA_LAKE_BUCKET,
            format!(
                "events/dt=2024-03-0{}/part-{}.parquet",
                p.rng.range(1, 9),
                p.rng.hex(8)
            ),
        ),
        _ => Target::None,
    };
    let ev = p.ev(t, caller, (DATA, US_EAST_1), op, target);
    if op.name == "ListRoles" {
        let arn = ev
            .caller
            .identity
            .get("arn")
            .and_then(|a| a.as_str())
            .unwrap_or_default()
            .to_owned();
        let res = format!("arn:aws:iam::{DATA}:role/");
        fail(
            ev,
            "AccessDenied",
            not_authorized(&arn, "iam:ListRoles", &res),
        );
    }
}
