//! `unused-access`: a party holds access it never used in the window (the
//! share unused, of what the trail could observe), and trusts that nobody
//! used at all (revoke them). Needs `--iam`.

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct UnusedAccess;

impl Check for UnusedAccess {
    fn id(&self) -> &'static str {
        "unused-access"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for party in &input.attribution.third_parties {
            for grant in &party.trusted_by {
                let used = input
                    .report
                    .principal(&grant.role)
                    .is_some_and(|p| p.events.calls > 0);
                if !used {
                    out.push(Finding {
                        check: self.id(),
                        severity: Severity::Medium,
                        confidence: Confidence::Medium,
                        third_party: Some(party.name.clone()),
                        principal: Some(grant.role.clone()),
                        message: format!(
                            "{} trusts {} but nobody used it in the logs read",
                            grant.role, party.name
                        ),
                        evidence: Evidence {
                            policy: Some(format!("trust policy of {}", grant.role)),
                            statement: Some(grant.statement),
                            ..Evidence::default()
                        },
                        remediation: "Confirm with the vendor and remove the trust (or the role) if the integration is gone.",
                    });
                }
            }
            let Some(grants) = input.grants else {
                continue;
            };
            for arn in party.principals.iter() {
                let Ok(at) = grants.binary_search_by(|c| c.principal.as_str().cmp(arn)) else {
                    continue;
                };
                let t = &grants[at].totals;
                let observable = t.granted - t.not_observable;
                if observable < 10 || t.unused * 2 < observable {
                    continue;
                }
                let share = t.unused * 100 / observable;
                out.push(Finding {
                    check: self.id(),
                    severity: if share >= 90 { Severity::Medium } else { Severity::Low },
                    confidence: Confidence::High,
                    third_party: Some(party.name.clone()),
                    principal: Some(arn.clone()),
                    message: format!(
                        "{} used {} of the {observable} observable actions {arn} grants ({share}% unused)",
                        party.name, t.used
                    ),
                    evidence: Evidence {
                        facts: vec![format!(
                            "granted {}, used {}, denied {}, unused {}, not observable {}",
                            t.granted, t.used, t.denied, t.unused, t.not_observable
                        )],
                        ..Evidence::default()
                    },
                    remediation: "Tighten the policy to what was used: `vendortrail suggest --principal <role>`.",
                });
            }
        }
        out
    }
}
