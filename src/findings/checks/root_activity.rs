//! `root-activity`: the root user of an account acted: console sign-in, or
//! calls with a root access key (which should not exist)
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html>).
//! As in the CIS root-usage metric filter, events an AWS service made for
//! root (`invokedBy`) or raised (`AwsServiceEvent`) are not root activity;
//! failed sign-ins are counted apart.

use crate::event::PrincipalKind;
use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct RootActivity;

impl Check for RootActivity {
    fn id(&self) -> &'static str {
        "root-activity"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for p in input
            .report
            .principals
            .iter()
            .filter(|p| p.kind == PrincipalKind::Root)
        {
            let own_events = p.events.calls.saturating_sub(p.service_made);
            if own_events == 0 {
                continue;
            }
            let keys: Vec<String> = p
                .sessions
                .iter()
                .map(|s| s.access_key_id)
                .filter(|k| k.starts_with("AKIA"))
                .collect();
            let (console, failed) = p
                .actions
                .iter()
                .filter(|a| a.action.ends_with(":ConsoleLogin"))
                .fold((0, 0), |(ok, failed), a| {
                    let bad = a.counts.denied + a.counts.errors;
                    (ok + a.counts.calls - bad, failed + bad)
                });
            let samples: Vec<String> = p
                .actions
                .iter()
                .flat_map(|a| a.sample_event_ids.iter().cloned())
                .take(5)
                .collect();
            let (severity, what) = if !keys.is_empty() {
                (
                    Severity::Critical,
                    format!("calls with root access keys {}", keys.join(", ")),
                )
            } else if console > 0 {
                (
                    Severity::High,
                    if failed > 0 {
                        format!("{console} console sign-ins ({failed} failed attempts)")
                    } else {
                        format!("{console} console sign-ins")
                    },
                )
            } else if failed > 0 {
                (
                    Severity::Medium,
                    format!("{failed} failed console sign-in attempts"),
                )
            } else {
                (Severity::High, "activity".to_owned())
            };
            out.push(Finding {
                check: self.id(),
                severity,
                confidence: Confidence::High,
                third_party: None,
                principal: Some(p.arn.clone()),
                message: format!("root user {}: {what}, {own_events} events", p.arn),
                evidence: Evidence {
                    event_ids: samples,
                    facts: vec![format!(
                        "first {}, last {}",
                        p.events.first_seen.map(crate::time::format_rfc3339).unwrap_or_default(),
                        p.events.last_seen.map(crate::time::format_rfc3339).unwrap_or_default()
                    )],
                    ..Evidence::default()
                },
                remediation: "Delete root access keys, lock root behind MFA, and use roles for daily work.",
            });
        }
        out
    }
}
