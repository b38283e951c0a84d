//! `contractor-mfa`: a human contractor's role does not require MFA in its
//! trust policy (`aws:MultiFactorAuthPresent`), or sessions on it were
//! opened without MFA
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html>).

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

use super::entries;

/// Whether a condition block really requires MFA: `Bool
/// aws:MultiFactorAuthPresent true` (not `BoolIfExists`, which is also true
/// when the key is absent), or a `NumericLessThan[Equals]` on
/// `aws:MultiFactorAuthAge`.
fn requires_mfa(conditions: &str) -> bool {
    entries(conditions).iter().any(|(op, key, values)| {
        (op.eq_ignore_ascii_case("Bool")
            && key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
            && values.iter().any(|v| v.eq_ignore_ascii_case("true")))
            || (op.starts_with("NumericLessThan")
                && !op.ends_with("IfExists")
                && key.eq_ignore_ascii_case("aws:MultiFactorAuthAge"))
    })
}

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
                if requires_mfa(&grant.conditions) {
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

#[cfg(test)]
mod tests {
    use super::requires_mfa;

    // id_credentials_mfa_configure-api-require.html: `BoolIfExists` is true
    // for long-term keys too, so it does not require MFA.
    #[test]
    fn only_a_real_mfa_condition_counts() {
        assert!(requires_mfa("Bool aws:MultiFactorAuthPresent=true"));
        assert!(requires_mfa("NumericLessThan aws:MultiFactorAuthAge=3600"));
        assert!(!requires_mfa(
            "BoolIfExists aws:MultiFactorAuthPresent=true"
        ));
        assert!(!requires_mfa("Bool aws:MultiFactorAuthPresent=false"));
        assert!(!requires_mfa(""));
    }
}
