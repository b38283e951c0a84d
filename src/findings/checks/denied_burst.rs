//! `denied-burst`: a party was refused across several services (at least
//! three services, ten refusals): the pattern of a principal enumerating
//! what its credentials can do. Counts over the window read; confidence is
//! low since a misconfigured integration looks the same.

use std::collections::BTreeSet;

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct DeniedBurst;

/// Distinct services refused before it counts.
const SERVICES: usize = 3;
/// Refusals before it counts.
const DENIALS: u64 = 10;

impl Check for DeniedBurst {
    fn id(&self) -> &'static str {
        "denied-burst"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for party in &input.attribution.third_parties {
            let refused: Vec<(&String, u64)> = party
                .actions
                .iter()
                .filter(|(_, c)| c.denied > 0)
                .map(|(a, c)| (a, c.denied))
                .collect();
            let services: BTreeSet<&str> = refused
                .iter()
                .filter_map(|(a, _)| a.split(':').next())
                .collect();
            let total: u64 = refused.iter().map(|(_, n)| n).sum();
            if services.len() < SERVICES || total < DENIALS {
                continue;
            }
            out.push(Finding {
                check: self.id(),
                severity: Severity::Medium,
                confidence: Confidence::Low,
                third_party: Some(party.name.clone()),
                principal: None,
                message: format!(
                    "{} was refused {total} times across {} services ({})",
                    party.name,
                    services.len(),
                    services.iter().copied().collect::<Vec<_>>().join(", ")
                ),
                evidence: Evidence {
                    facts: refused.iter().map(|(a, n)| format!("{a}: {n} refused")).collect(),
                    ..Evidence::default()
                },
                remediation: "Check with the vendor what its integration tries to do; a broad sweep of refusals can be credentials in the wrong hands.",
            });
        }
        out
    }
}
