//! Findings: what is risky about each third party's access.
//!
//! One module per check under [`checks`], each with a stable id, a
//! severity, a confidence, the party and principal it concerns, evidence
//! (policy and statement, event ids, figures) and one line of remediation.
//! Checks read the report, its attribution and (when given) the IAM input
//! and the used-vs-granted comparison; a check whose input is missing
//! (most trust checks need `--iam`) finds nothing rather than guessing.
//! Every check is documented in `docs/checks.md`; `--fail-on <severity>`
//! turns findings at or above a severity into exit code 1.

pub mod checks;

use serde::Serialize;

use crate::attribution::Attribution;
use crate::attribution::registry::Registry;
use crate::compare::Comparison;
use crate::policy::iam::IamInventory;
use crate::report::Report;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Tidy up.
    Low,
    /// Fix in the next review.
    Medium,
    /// Fix now.
    High,
    /// Someone may already be abusing it.
    Critical,
}

impl Severity {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// How sure the check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A heuristic over partial data.
    Low,
    /// Likely; depends on data the logs may not hold.
    Medium,
    /// Read directly from the policies or the logs.
    High,
}

/// What a finding rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The policy (label) and statement index, when a policy is the cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Statement index in that policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    /// Sample event ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<String>,
    /// Figures and facts, one per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's id (`trust-without-external-id`).
    pub check: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// The third party, when one is concerned.
    pub third_party: Option<String>,
    /// The principal (role, user, account) concerned.
    pub principal: Option<String>,
    /// What was found, in one sentence.
    pub message: String,
    /// What it rests on.
    pub evidence: Evidence,
    /// What to do.
    pub remediation: &'static str,
}

/// Everything a check may read.
pub struct Input<'a> {
    /// The report.
    pub report: &'a Report,
    /// Third parties and their activity.
    pub attribution: &'a Attribution,
    /// IAM state, with `--iam`.
    pub iam: Option<&'a IamInventory>,
    /// Used vs granted, with `--iam`.
    pub grants: Option<&'a [Comparison]>,
    /// The vendor registry, with `--vendors`.
    pub registry: Option<&'a Registry>,
    /// The IAM credential report, with `--credential-report`.
    pub credentials: Option<&'a crate::attribution::credentials::CredentialReport>,
}

/// A check: one risk, looked for everywhere it can be.
pub trait Check: Sync {
    /// Its stable id.
    fn id(&self) -> &'static str;
    /// Runs it.
    fn run(&self, input: &Input<'_>) -> Vec<Finding>;
}

/// Runs every check; findings sorted by severity (worst first), then
/// check, party and principal, so reports diff cleanly.
pub fn run_all(input: &Input<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = checks::ALL.iter().flat_map(|c| c.run(input)).collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.check.cmp(b.check))
            .then(a.third_party.cmp(&b.third_party))
            .then(a.principal.cmp(&b.principal))
            .then(a.message.cmp(&b.message))
    });
    findings
}

/// Whether any finding is at or above `threshold`.
pub fn any_at_or_above(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| f.severity >= threshold)
}
