//! `contractor-mfa`: a human contractor's role does not require MFA in its
//! trust policy (`aws:MultiFactorAuthPresent`), or sessions on it were
//! opened without MFA
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html>).

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

use super::mentions;

/// See the module docs.
pub struct ContractorMfa;

impl Check for ContractorMfa {
    fn id(&self) -> &'static str {
        "contractor-mfa"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for party in input
            .attribution
            .third_parties
            .iter()
            .filter(|p| p.contractor)
        {
            for grant in &party.trusted_by {
                if mentions(&grant.conditions, "aws:MultiFactorAuth") {
                    continue;
                }
                out.push(Finding {
                    check: self.id(),
                    severity: Severity::High,
                    confidence: Confidence::High,
                    third_party: Some(party.name.clone()),
                    principal: Some(grant.role.clone()),
                    message: format!(
                        "contractor role {} does not require MFA to be assumed",
                        grant.role
                    ),
                    evidence: Evidence {
                        policy: Some(format!("trust policy of {}", grant.role)),
                        statement: Some(grant.statement),
                        ..Evidence::default()
                    },
                    remediation: "Add a Bool aws:MultiFactorAuthPresent \"true\" condition to the trust statement.",
                });
            }
            let without = party.sessions.count.saturating_sub(party.sessions.with_mfa);
            if without > 0 {
                out.push(Finding {
                    check: self.id(),
                    severity: Severity::Medium,
                    confidence: Confidence::Medium,
                    third_party: Some(party.name.clone()),
                    principal: None,
                    message: format!(
                        "{without} of {} sessions of contractor {} were opened without MFA",
                        party.sessions.count, party.name
                    ),
                    evidence: Evidence {
                        facts: vec![format!(
                            "session names: {}",
                            party.sessions.names.iter().cloned().collect::<Vec<_>>().join(", ")
                        )],
                        ..Evidence::default()
                    },
                    remediation: "Require MFA in the trust policy of every role the contractor uses.",
                });
            }
        }
        out
    }
}
