//! `open-trust`: a role's trust policy allows any AWS principal
//! (`"AWS": "*"`, or `NotPrincipal`) without a condition that restricts who
//! (organization, account, principal ARN, source, ExternalId): anyone in
//! any account can assume it
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous>).

use crate::findings::{Check, Confidence, Evidence, Finding, Input, Severity};
use crate::policy::document::{Effect, Match};

/// See the module docs.
pub struct OpenTrust;

/// Condition keys that narrow who may assume the role.
const RESTRICTING: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "sts:externalid",
];

impl Check for OpenTrust {
    fn id(&self) -> &'static str {
        "open-trust"
    }

    fn run(&self, input: &Input<'_>) -> Vec<Finding> {
        let Some(iam) = input.iam else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for role in iam.principals() {
            let Some(trust) = &role.trust else {
                continue;
            };
            for (index, s) in trust.statements.iter().enumerate() {
                if s.effect != Effect::Allow {
                    continue;
                }
                let open = match &s.principals {
                    Some(Match::Listed(maps)) => maps
                        .iter()
                        .flatten()
                        .any(|(kind, values)| kind == "AWS" && values.iter().any(|v| v == "*")),
                    Some(Match::Not(_)) => true,
                    None => false,
                };
                // Only a positive match on concrete values narrows who:
                // `StringNotEquals`, `Null`, `…IfExists` or a `*` value do not.
                let restricted = s.conditions.iter().any(|(op, key, values)| {
                    RESTRICTING.contains(&key.to_ascii_lowercase().as_str())
                        && !op.contains("Not")
                        && !op.starts_with("Null")
                        && !op.ends_with("IfExists")
                        && !values.iter().any(|v| v == "*")
                });
                if !open || restricted {
                    continue;
                }
                out.push(Finding {
                    check: self.id(),
                    severity: Severity::Critical,
                    confidence: Confidence::High,
                    third_party: None,
                    principal: Some(role.arn.clone()),
                    message: format!("{} can be assumed by any AWS principal", role.arn),
                    evidence: Evidence {
                        policy: Some(format!("trust policy of {}", role.arn)),
                        statement: Some(index),
                        facts: vec![format!(
                            "conditions: {}",
                            if s.conditions.is_empty() { "none".to_owned() } else { s.conditions.to_string() }
                        )],
                        ..Evidence::default()
                    },
                    remediation: "Name the trusted accounts or roles in Principal, or add an aws:PrincipalOrgID condition.",
                });
            }
        }
        out
    }
}
