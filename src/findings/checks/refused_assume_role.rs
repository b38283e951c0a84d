//! `refused-assume-role`: a party's attempts to assume a role were refused:
//! a broken integration (a rotated ExternalId, a deleted role) when every
//! attempt fails, or probing when it keeps trying roles it is not trusted
//! by.

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct RefusedAssumeRole;

impl Check for RefusedAssumeRole {
    fn id(&self) -> &'static str {
        "refused-assume-role"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for party in &input.attribution.third_parties {
            let (calls, denied) = party
                .actions
                .iter()
                .filter(|(a, _)| a.starts_with("sts:AssumeRole"))
                .fold((0, 0), |(c, d), (_, n)| (c + n.calls, d + n.denied));
            if denied == 0 {
                continue;
            }
            let all = denied == calls;
            out.push(Finding {
                check: self.id(),
                severity: Severity::Medium,
                confidence: Confidence::High,
                third_party: Some(party.name.clone()),
                principal: party.accounts.iter().next().cloned(),
                message: if all {
                    format!("every AssumeRole attempt by {} was refused ({denied} of {calls}): a broken or stale integration, or probing", party.name)
                } else {
                    format!("{denied} of {calls} AssumeRole attempts by {} were refused", party.name)
                },
                evidence: Evidence {
                    facts: vec![
                        format!("last seen {}", party.last_seen.as_deref().unwrap_or("-")),
                        format!("principals: {}", party.principals.iter().cloned().collect::<Vec<_>>().join(", ")),
                    ],
                    ..Evidence::default()
                },
                remediation: "Ask the vendor whether the integration is still in use; remove it on their side and ours if not, or fix the ExternalId or role name it uses.",
            });
        }
        out
    }
}
