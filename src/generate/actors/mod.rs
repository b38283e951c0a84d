//! Who does what, and when: one planner function per actor.
//!
//! A planner writes one *episode* (a session, a sign-in, a CI run…) as a
//! list of [`Ev`]s starting at a given time. [`ACTORS`] says how many
//! episodes each actor gets per day: `share` of `events_per_day` divided by
//! the actor's mean episode length, but never fewer than `min_per_day`, so
//! even the small corpus contains every principal every day.

mod chainer;
mod integrations;
mod own;
mod vendors;

use std::rc::Rc;

use super::event::{Ev, Failure, Issued, Target};
use super::identity::{Caller, SessionExtras, Stamp, assumed_role};
use super::ops::Op;
use super::rng::Rng;
use super::scenario::Role;
use super::time::HOUR;

/// One actor's schedule and planner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor {
    /// Fraction of the daily event budget.
    pub(crate) share: f64,
    /// Typical records per episode (used to turn `share` into episodes).
    pub(crate) mean_events: f64,
    /// Episodes per day whatever the budget.
    pub(crate) min_per_day: u64,
    /// Episodes start in `[hours.0, hours.1)` UTC.
    pub(crate) hours: (i64, i64),
    /// Writes one episode starting at the given time.
    pub(crate) run: fn(&mut Plan, i64),
}

/// Declares an actor.
const fn actor(
    share: f64,
    mean_events: f64,
    min_per_day: u64,
    hours: (i64, i64),
    run: fn(&mut Plan, i64),
) -> Actor {
    Actor {
        share,
        mean_events,
        min_per_day,
        hours,
        run,
    }
}

/// The cast's schedule. Shares add up to about 1.
pub(crate) const ACTORS: &[Actor] = &[
    actor(0.26, 24.0, 4, (0, 24), vendors::datadog),
    actor(0.13, 30.0, 1, (1, 4), vendors::acme_backup),
    actor(0.05, 16.0, 1, (6, 20), chainer::chainer),
    actor(0.04, 9.0, 1, (7, 19), integrations::ci_user),
    actor(0.06, 11.0, 1, (8, 20), integrations::github_actions),
    actor(0.03, 8.0, 1, (0, 24), integrations::outside_reader),
    actor(0.04, 10.0, 2, (8, 18), vendors::contractor),
    actor(0.003, 5.0, 1, (9, 17), vendors::contractor_breakglass),
    actor(0.004, 1.0, 2, (0, 24), vendors::stale_integration),
    actor(0.04, 9.0, 1, (8, 18), own::alice_console),
    actor(0.03, 6.0, 1, (9, 19), own::alice_cli),
    actor(0.015, 6.0, 1, (9, 19), own::alice_federated),
    actor(0.002, 4.0, 1, (10, 16), own::root),
    actor(0.04, 9.0, 1, (8, 19), own::okta_admin),
    actor(0.09, 14.0, 2, (0, 24), own::app_server),
    actor(0.02, 4.0, 1, (0, 24), own::apigw_slr),
    actor(0.02, 2.0, 1, (0, 24), own::cloudtrail_service),
    actor(0.008, 2.0, 1, (0, 24), own::service_events),
    actor(0.05, 8.0, 2, (7, 20), own::sso_admin),
    actor(0.004, 2.0, 1, (7, 20), own::identity_center_signin),
    actor(0.04, 6.0, 2, (0, 24), own::ops_bot),
];

/// Collects planned events and hands out IDs.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Randomness for plans (separate from record rendering).
    pub(crate) rng: Rng,
    /// Planned events, unordered.
    pub(crate) out: Vec<Ev>,
    /// Next sequence number.
    seq: u64,
}

impl Plan {
    /// An empty plan drawing from `rng`.
    pub(crate) fn new(rng: Rng) -> Self {
        Self {
            rng,
            out: Vec::new(),
            seq: 0,
        }
    }

    /// Plans every actor's episodes for the day starting at `day_start`.
    pub(crate) fn day(&mut self, day_start: i64, events_per_day: u64) {
        for a in ACTORS {
            let wanted = (a.share * events_per_day as f64 / a.mean_events).round() as u64;
            for _ in 0..wanted.max(a.min_per_day) {
                let span = (a.hours.1 - a.hours.0) * HOUR;
                let start = day_start + a.hours.0 * HOUR + self.rng.below(span as u64) as i64;
                (a.run)(self, start);
            }
        }
    }

    /// Adds an event and returns it for further tweaks.
    pub(crate) fn ev(
        &mut self,
        time: i64,
        caller: &Rc<Caller>,
        at: (&'static str, &'static str),
        op: &'static Op,
        target: Target,
    ) -> &mut Ev {
        self.seq += 1;
        let region = if op.global {
            super::scenario::US_EAST_1
        } else {
            at.1
        };
        self.out.push(Ev {
            time,
            seq: self.seq,
            account: at.0,
            region,
            op,
            caller: Rc::clone(caller),
            failure: None,
            target,
            shared_event_id: None,
            request_id: None,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// A fresh temporary access key ID.
    pub(crate) fn asia(&mut self) -> String {
        format!("ASIA{}", self.rng.upper(16))
    }

    /// A plausible STS session token (a base64 blob of several hundred bytes).
    fn session_token(&mut self) -> String {
        let len = 300 + self.rng.below(400) as usize;
        format!("IQoJb3JpZ2luX2VjE{}", self.rng.alnum(len))
    }

    /// One address of a principal's stable set.
    pub(crate) fn ip(&mut self, set: &'static [&'static str]) -> &'static str {
        set[self.rng.below(set.len() as u64) as usize]
    }

    /// Session timing; about one in five sessions logs `creationDate` in
    /// ISO basic form.
    pub(crate) fn stamp(&mut self, created: i64, mfa: bool) -> Stamp {
        Stamp {
            created,
            basic: self.rng.chance(0.2),
            mfa,
        }
    }

    /// Seconds to the next call of a session.
    pub(crate) fn gap(&mut self, lo: u64, hi: u64) -> i64 {
        self.rng.range(lo, hi) as i64
    }

    /// Plans `n` calls `gap` seconds apart after `t0`, each by `call`.
    pub(crate) fn calls(
        &mut self,
        t0: i64,
        n: u64,
        gap: (u64, u64),
        mut call: impl FnMut(&mut Plan, i64),
    ) {
        let mut t = t0;
        for _ in 0..n {
            t += self.gap(gap.0, gap.1);
            call(self, t);
        }
    }

    /// Plans the STS call `op` by `caller` handing out `issued` (with a
    /// `sharedEventID` when another account or a service is involved) and
    /// returns the new access key.
    pub(crate) fn sts(
        &mut self,
        t: i64,
        caller: &Rc<Caller>,
        at: (&'static str, &'static str),
        op: &'static Op,
        issued: Issued,
        shared: bool,
    ) -> String {
        let key = issued.access_key.clone();
        let shared_id = shared.then(|| self.rng.uuid_v4().into());
        self.ev(t, caller, at, op, Target::Issue(Box::new(issued)))
            .shared_event_id = shared_id;
        key
    }

    /// A session of `role` issued at `t` with `key`, calling from where
    /// `like` (usually the STS caller) called and for the same vendor.
    pub(crate) fn session(
        &mut self,
        role: &Role,
        name: &str,
        key: String,
        t: i64,
        like: &Caller,
        extras: SessionExtras,
    ) -> Caller {
        let stamp = self.stamp(t, extras.mfa);
        let mut c =
            assumed_role(role, name, Some(key), stamp, extras).origin(like.ip, like.user_agent);
        c.vendor = like.vendor;
        c
    }

    /// Credentials issued for `role` to `session`.
    pub(crate) fn issue(&mut self, role: &Role, session: &str, duration: i64) -> Issued {
        Issued {
            role_arn: role.arn(),
            role_id: role.id(),
            session_name: session.to_owned(),
            session_arn: role.session_arn(session),
            access_key: self.asia(),
            session_token: self.session_token(),
            duration,
            external_id: None,
            serial: None,
            source_identity: None,
            comma: !self.rng.chance(0.1),
        }
    }
}

/// Marks the last planned event as failed.
pub(crate) fn fail(ev: &mut Ev, code: &'static str, message: String) {
    ev.failure = Some(Failure {
        code: Some(code),
        message,
    });
}

/// The standard IAM "not authorized" message.
pub(crate) fn not_authorized(arn: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {arn} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
    )
}
