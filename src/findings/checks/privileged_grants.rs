//! `privileged-grants`: a role or user a party uses (or is trusted by) may
//! escalate to admin (it may change IAM policies or trust), manage
//! permissions, or write; the finding says how much of it the party used.
//! Needs `--iam`.

use crate::compare::{Comparison, Status};
use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};
use crate::policy::catalog::AccessLevel;

/// See the module docs.
pub struct PrivilegedGrants;

/// Any of these lets a principal grant itself anything: admin-equivalent
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html>).
const ESCALATION: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:CreatePolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
];

fn level(c: &Comparison, level: AccessLevel) -> (usize, usize) {
    c.by_access_level
        .iter()
        .find(|l| l.access_level == Some(level))
        .map_or((0, 0), |l| (l.granted, l.used))
}

impl Check for PrivilegedGrants {
    fn id(&self) -> &'static str {
        "privileged-grants"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let Some(grants) = input.grants else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for party in &input.attribution.third_parties {
            let mut principals: Vec<&str> =
                party.trusted_by.iter().map(|g| g.role.as_str()).collect();
            principals.extend(party.principals.iter().map(String::as_str));
            principals.sort_unstable();
            principals.dedup();
            for arn in principals {
                let Ok(at) = grants.binary_search_by(|c| c.principal.as_str().cmp(arn)) else {
                    continue;
                };
                let c = &grants[at];
                let escalation: Vec<&str> = c
                    .actions
                    .iter()
                    .filter(|a| ESCALATION.contains(&a.action.as_str()))
                    .map(|a| a.action.as_str())
                    .collect();
                let (pm, pm_used) = level(c, AccessLevel::PermissionsManagement);
                let (write, write_used) = level(c, AccessLevel::Write);
                let (severity, what) = if !escalation.is_empty() {
                    (
                        Severity::Critical,
                        format!("admin-equivalent access ({})", escalation.join(", ")),
                    )
                } else if pm > 0 {
                    (
                        Severity::High,
                        format!("{pm} permissions-management actions (used {pm_used})"),
                    )
                } else if write > 0 {
                    (
                        Severity::Medium,
                        format!("{write} write actions (used {write_used})"),
                    )
                } else {
                    continue;
                };
                let used_any = c
                    .actions
                    .iter()
                    .any(|a| a.status == Status::Used && a.access_level >= AccessLevel::Write);
                out.push(Finding {
                    check: self.id(),
                    severity,
                    confidence: Confidence::High,
                    third_party: Some(party.name.clone()),
                    principal: Some(arn.to_owned()),
                    message: format!(
                        "{} can reach {arn}, which holds {what}{}",
                        party.name,
                        if used_any { "" } else { "; the party used none of its write or permissions actions" }
                    ),
                    evidence: Evidence {
                        policy: c.policies.first().cloned(),
                        facts: vec![format!(
                            "granted {} actions: used {}, unused {}, denied {}, not observable {}",
                            c.totals.granted, c.totals.used, c.totals.unused, c.totals.denied, c.totals.not_observable
                        )],
                        ..Evidence::default()
                    },
                    remediation: "Replace the policy with `vendortrail suggest --principal <role>` output, which keeps only what the party used.",
                });
            }
        }
        out
    }
}
