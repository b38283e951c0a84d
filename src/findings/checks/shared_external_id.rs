//! `shared-external-id`: one `sts:ExternalId` value guards the trust of
//! several parties (High: it no longer tells them apart) or several roles
//! (Low: one leaked value opens them all). An ExternalId should be unique
//! per vendor and customer
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html>).

use std::collections::{BTreeMap, BTreeSet};

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};

/// See the module docs.
pub struct SharedExternalId;

impl Check for SharedExternalId {
    fn id(&self) -> &'static str {
        "shared-external-id"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let Some(iam) = input.iam else {
            return Vec::new();
        };
        // ExternalId value → (role, party of the trusted principal).
        let mut uses: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        let party_of = |role: &str| -> String {
            input
                .attribution
                .third_parties
                .iter()
                .find(|p| p.trusted_by.iter().any(|g| g.role == role))
                .map_or_else(|| "(own)".to_owned(), |p| p.name.clone())
        };
        for role in iam.principals() {
            let Some(trust) = &role.trust else {
                continue;
            };
            for statement in &trust.statements {
                for (_, key, values) in statement.conditions.iter() {
                    if key.eq_ignore_ascii_case("sts:ExternalId") {
                        for value in values {
                            uses.entry(value.clone())
                                .or_default()
                                .insert((role.arn.clone(), party_of(&role.arn)));
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (value, holders) in uses.into_iter().filter(|(_, h)| h.len() > 1) {
            let parties: BTreeSet<&str> = holders.iter().map(|(_, p)| p.as_str()).collect();
            let roles: Vec<&str> = holders.iter().map(|(r, _)| r.as_str()).collect();
            let several_parties = parties.len() > 1;
            out.push(Finding {
                check: self.id(),
                severity: if several_parties { Severity::High } else { Severity::Low },
                confidence: Confidence::High,
                third_party: (!several_parties).then(|| parties.iter().next().map(|p| p.to_string())).flatten(),
                principal: None,
                message: format!(
                    "ExternalId {value:?} is shared by {} roles of {}",
                    roles.len(),
                    parties.iter().copied().collect::<Vec<_>>().join(", ")
                ),
                evidence: Evidence {
                    facts: roles.iter().map(|r| format!("trust policy of {r}")).collect(),
                    ..Evidence::default()
                },
                remediation: "Give each vendor relationship its own ExternalId (the vendor generates one per customer account).",
            });
        }
        out
    }
}
