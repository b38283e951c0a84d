//! `vendortrail suggest`: the least-privilege policy for one principal.
//!
//! stdout (or `-o`) gets only the policy, so it can be piped into
//! `aws iam create-policy --policy-document file:///dev/stdin`; the
//! self-check and the diff go to stderr (or `--explain FILE`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::analyze::{Scanned, scan};
use crate::cli::{PolicyFormat, SuggestArgs};
use crate::pipeline;
use crate::policy::catalog::Catalog;
use crate::suggest::{Options, Suggestion, render};

/// Runs `suggest`.
pub fn run(args: &SuggestArgs) -> Result<ExitCode> {
    let iam = super::load_iam(&args.iam)?.context(
        "suggest needs the principal's policies (--iam FILE or --policy ARN=FILE): \
         a suggestion never grants more than today's policies",
    )?;
    let Scanned { report, mapper, .. } = scan(&args.scan, !args.scan.no_progress)?;
    let catalog = super::require_catalog(&mapper, "suggest")?;
    let options = Options {
        resources: args.resources,
        conditions: args.conditions.clone(),
        ..Options::default()
    };
    let suggestion =
        pipeline::suggest_for(&report, &iam, &args.principal, catalog, &mapper, &options)
            .with_context(|| format!("cannot suggest a policy for {}", args.principal))?;

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-least-privilege", short_name(&suggestion.principal)));
    let description = format!(
        "Least privilege for {} from CloudTrail usage (vendortrail)",
        suggestion.principal
    );
    let policy = match args.format {
        PolicyFormat::Json => render::json(&suggestion.documents),
        PolicyFormat::Terraform => render::terraform(&suggestion.documents, &name, &description),
        PolicyFormat::Cloudformation => {
            render::cloudformation(&suggestion.documents, &name, &description)
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, &policy)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{policy}"),
    }
    let explanation = explain(&suggestion, catalog);
    match &args.explain {
        Some(path) => std::fs::write(path, &explanation)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => eprint!("{explanation}"),
    }
    if args.scan.strict && !report.input.skipped.is_empty() {
        return Ok(ExitCode::from(super::EXIT_ERROR));
    }
    Ok(ExitCode::from(super::EXIT_OK))
}

/// `arn:aws:iam::1:role/team/Deploy` → `Deploy`.
fn short_name(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// The check's result and a plain diff, for a reviewer.
pub fn explain(s: &Suggestion, catalog: &Catalog) -> String {
    let mut out = String::new();
    let c = &s.check;
    let _ = writeln!(out, "suggestion for {}", s.principal);
    let _ = writeln!(
        out,
        "check: {} ({} of {} observed calls allowed; {} suggested action/resource pairs within today's grant)",
        if c.passed() { "passed" } else { "FAILED" },
        c.observed_allowed,
        c.observed_checked,
        c.grant_checked,
    );
    for problem in &c.problems {
        let _ = writeln!(out, "  problem: {problem}");
    }
    if s.documents.is_empty() {
        let _ = writeln!(
            out,
            "no successful call needs a permission: the policy is empty ([]); the principal's access can be removed"
        );
    } else if s.documents.len() > 1 {
        let _ = writeln!(
            out,
            "split into {} policies to fit IAM's {}-character limit",
            s.documents.len(),
            render::MANAGED_POLICY_LIMIT
        );
    }
    let _ = writeln!(out, "\nkept ({}):", s.kept.len());
    for k in &s.kept {
        let _ = writeln!(
            out,
            "  + {}  {} successful calls  on {}",
            k.action,
            k.successes,
            k.resources.join(", ")
        );
        let _ = writeln!(out, "      granted by {}", k.granted_by);
        if !k.sample_event_ids.is_empty() {
            let _ = writeln!(out, "      events: {}", k.sample_event_ids.join(", "));
        }
        if let Some(note) = &k.note {
            let _ = writeln!(out, "      note: {note}");
        }
    }
    let _ = writeln!(
        out,
        "\nremoved ({} granted actions never used successfully):",
        s.removed.len()
    );
    let mut by_level: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for action in &s.removed {
        let level = catalog
            .access_level(action)
            .map_or("unknown", |l| l.as_str())
            .to_owned();
        let service = action.split(':').next().unwrap_or("").to_owned();
        by_level.entry((service, level)).or_default().push(action);
    }
    for ((service, level), actions) in &by_level {
        let shown: Vec<&str> = actions.iter().take(5).copied().collect();
        let more = actions.len().saturating_sub(shown.len());
        let _ = writeln!(
            out,
            "  - {service} {level}: {}  ({}{})",
            actions.len(),
            shown.join(", "),
            if more > 0 {
                format!(", +{more} more")
            } else {
                String::new()
            }
        );
    }
    if !s.left_out.is_empty() {
        let _ = writeln!(
            out,
            "\nleft out ({}): observed, but not added:",
            s.left_out.len()
        );
        for l in &s.left_out {
            let _ = writeln!(
                out,
                "  ! {}  {} successful calls: {}",
                l.action, l.successes, l.reason
            );
        }
    }
    out
}
