//! `trust-without-external-id`: a role trusts a third party's account
//! without an `sts:ExternalId` condition, so anyone who can make that vendor
//! act for them can make it act on your account (the confused deputy,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>).
//! Human contractors are left to `contractor-mfa`.

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

use super::{allows_assume, mentions};

/// See the module docs.
pub struct TrustWithoutExternalId;

impl Check for TrustWithoutExternalId {
    fn id(&self) -> &'static str {
        "trust-without-external-id"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for party in input
            .attribution
            .third_parties
            .iter()
            .filter(|p| !p.contractor)
        {
            for grant in &party.trusted_by {
                // Web identity is bound by the token's claims, not ExternalId.
                if grant.principal.contains(":oidc-provider/")
                    || !allows_assume(&grant.actions)
                    || mentions(&grant.conditions, "sts:ExternalId")
                {
                    continue;
                }
                out.push(Finding {
                    check: self.id(),
                    severity: Severity::High,
                    confidence: Confidence::High,
                    third_party: Some(party.name.clone()),
                    principal: Some(grant.role.clone()),
                    message: format!(
                        "{} trusts {} ({}) without an sts:ExternalId condition",
                        grant.role, grant.principal, party.name
                    ),
                    evidence: Evidence {
                        policy: Some(format!("trust policy of {}", grant.role)),
                        statement: Some(grant.statement),
                        facts: vec![format!(
                            "conditions: {}",
                            if grant.conditions.is_empty() { "none" } else { &grant.conditions }
                        )],
                        ..Evidence::default()
                    },
                    remediation: "Ask the vendor for its ExternalId for your account and add a StringEquals sts:ExternalId condition to the trust statement.",
                });
            }
        }
        out
    }
}
