//! `vendor-iam-user`: long-term credentials handed to a vendor: more than
//! one access key in use or listed, console sign-ins, and keys unused for
//! 90 days within the window read
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#rotate-credentials>).
//! With `--credential-report` it also reads key ages, last use and console
//! passwords from the IAM credential report, which exports do not hold:
//! a key older than 90 days, a key unused for 90 days, more than one active
//! key, console access.

use std::collections::BTreeSet;

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct VendorIamUser;

/// 90 days in seconds.
const NINETY_DAYS: i64 = 90 * 86_400;

impl Check for VendorIamUser {
    fn id(&self) -> &'static str {
        "vendor-iam-user"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let window_end = input
            .report
            .principals
            .iter()
            .filter_map(|p| p.events.last_seen)
            .max();
        let window_start = input
            .report
            .principals
            .iter()
            .filter_map(|p| p.events.first_seen)
            .min();
        for party in &input.attribution.third_parties {
            for user in party.principals.iter().filter(|p| p.contains(":user/")) {
                let Some(p) = input.report.principal(user) else {
                    continue;
                };
                let used: BTreeSet<String> = p
                    .sessions
                    .iter()
                    .map(|s| s.access_key_id)
                    .filter(|k| k.starts_with("AKIA"))
                    .collect();
                let listed: BTreeSet<String> = input
                    .iam
                    .and_then(|iam| iam.principal(user))
                    .map(|u| u.access_keys.iter().cloned().collect())
                    .unwrap_or_default();
                let keys: BTreeSet<&str> = used.iter().chain(&listed).map(String::as_str).collect();
                let finding = |severity, message: String, facts: Vec<String>| Finding {
                    check: "vendor-iam-user",
                    severity,
                    confidence: Confidence::High,
                    third_party: Some(party.name.clone()),
                    principal: Some(user.clone()),
                    message,
                    evidence: Evidence {
                        facts,
                        ..Evidence::default()
                    },
                    remediation: "Replace the vendor's IAM user with a role it assumes (with an ExternalId) or web identity; until then keep one active key and rotate it.",
                };
                if let Some(creds) = input.credentials.and_then(|c| c.users.get(user.as_str())) {
                    let as_of = input.credentials.and_then(|c| c.as_of);
                    let active = creds.keys.iter().filter(|k| k.active).count();
                    if active > 1 {
                        out.push(finding(
                            Severity::Medium,
                            format!("vendor user {user} has {active} active access keys"),
                            vec!["credential report".to_owned()],
                        ));
                    }
                    if creds.password_enabled {
                        out.push(finding(
                            Severity::Medium,
                            format!("vendor user {user} has a console password"),
                            vec!["credential report: password_enabled".to_owned()],
                        ));
                    }
                    for (n, key) in creds.keys.iter().enumerate().filter(|(_, k)| k.active) {
                        let Some(as_of) = as_of else { break };
                        if key.last_rotated.is_some_and(|t| as_of - t >= NINETY_DAYS) {
                            out.push(finding(
                                Severity::Medium,
                                format!(
                                    "access key {} of vendor user {user} is older than 90 days",
                                    n + 1
                                ),
                                vec![format!(
                                    "last rotated {}",
                                    key.last_rotated
                                        .map(crate::time::format_rfc3339)
                                        .unwrap_or_default()
                                )],
                            ));
                        }
                        if key.last_used.is_none_or(|t| as_of - t >= NINETY_DAYS) {
                            out.push(finding(
                                Severity::Low,
                                format!(
                                    "access key {} of vendor user {user} unused for 90 days",
                                    n + 1
                                ),
                                vec![format!(
                                    "last used {}",
                                    key.last_used
                                        .map_or("never".to_owned(), crate::time::format_rfc3339)
                                )],
                            ));
                        }
                    }
                    continue;
                }
                if keys.len() > 1 {
                    out.push(finding(
                        Severity::Medium,
                        format!("vendor user {user} has {} access keys", keys.len()),
                        keys.iter().map(|k| format!("key {k}")).collect(),
                    ));
                }
                let console = p
                    .actions
                    .iter()
                    .filter(|a| a.action.ends_with(":ConsoleLogin"))
                    .map(|a| a.counts.calls)
                    .sum::<u64>();
                if console > 0 {
                    out.push(finding(
                        Severity::Medium,
                        format!("vendor user {user} signed in to the console {console} times"),
                        Vec::new(),
                    ));
                }
                if let (Some(start), Some(end)) = (window_start, window_end)
                    && end - start >= NINETY_DAYS
                {
                    for s in p
                        .sessions
                        .iter()
                        .filter(|s| s.access_key_id.starts_with("AKIA"))
                    {
                        if s.counts.last_seen.is_some_and(|t| end - t >= NINETY_DAYS) {
                            out.push(finding(
                                Severity::Low,
                                format!(
                                    "key {} of vendor user {user} unused for 90 days",
                                    s.access_key_id
                                ),
                                Vec::new(),
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}
