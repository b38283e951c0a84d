//! The Markdown report: a vendor access review a reviewer can paste into a
//! ticket or keep as audit evidence. Per third party: how it gets in, when
//! it last came, from where, what it did, what it was refused, what it may
//! do and what should be taken away; then every finding.
//!
//! Deterministic like every output: the report's order, no local paths
//! beyond the sources given, no clock.

use std::io::{self, Write};

use crate::attribution::Ledger;
use crate::compare::Comparison;
use crate::report::Report;

/// Writes the review.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let i = &report.input;
    writeln!(out, "# Vendor access review")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} log files, {} events ({} duplicate deliveries skipped, {} inputs unreadable); accounts: {}.",
        i.files,
        i.events,
        i.duplicates,
        i.skipped.len(),
        report.own_accounts.join(", ")
    )?;
    let a = &report.attribution;
    writeln!(out)?;
    writeln!(out, "## Third parties")?;
    writeln!(out)?;
    if a.third_parties.is_empty() {
        writeln!(
            out,
            "No third party reached these accounts in the logs read."
        )?;
    } else {
        writeln!(
            out,
            "| party | identified by | accounts | events | denied | sessions | last seen |"
        )?;
        writeln!(out, "| --- | --- | --- | ---: | ---: | ---: | --- |")?;
        for p in &a.third_parties {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&p.name),
                identified(p),
                cell(&p.accounts.iter().cloned().collect::<Vec<_>>().join(", ")),
                p.events,
                p.denied,
                p.sessions.count,
                p.last_seen.as_deref().unwrap_or("never")
            )?;
        }
        for p in &a.third_parties {
            party(report, p, out)?;
        }
    }
    if !a.unattributed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "**Unattributed:** {} sessions on roles trusted by outside parties; the call that opened them is not in the logs read.",
            a.unattributed.len()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "## Findings")?;
    writeln!(out)?;
    if report.findings.is_empty() {
        writeln!(out, "None.")?;
    } else {
        writeln!(
            out,
            "| severity | check | party | principal | finding | remediation |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
        for f in &report.findings {
            writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} |",
                f.severity.as_str(),
                f.check,
                cell(f.third_party.as_deref().unwrap_or("")),
                cell(f.principal.as_deref().unwrap_or("")),
                cell(&f.message),
                cell(f.remediation)
            )?;
        }
    }
    Ok(())
}

fn identified(p: &Ledger) -> &'static str {
    match p.how_identified {
        crate::attribution::Identified::Registry => "registry",
        crate::attribution::Identified::KnownAccounts => "known-accounts list",
        crate::attribution::Identified::UnknownAccount => "unknown account",
        crate::attribution::Identified::OidcProvider => "OIDC provider",
        crate::attribution::Identified::IamTag => "IAM user tag",
    }
}

/// One party's section.
fn party(report: &Report, p: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "### {}{}",
        p.name,
        if p.contractor { " (contractor)" } else { "" }
    )?;
    writeln!(out)?;
    let paths: Vec<String> = p
        .paths
        .iter()
        .map(|x| x.as_str().replace('_', " "))
        .collect();
    writeln!(
        out,
        "- **How it gets in:** {}",
        if paths.is_empty() {
            "no activity in the logs read".to_owned()
        } else {
            paths.join(", ")
        }
    )?;
    for t in &p.trusted_by {
        writeln!(
            out,
            "- **Trusted by** `{}` (statement {}{})",
            t.role,
            t.statement,
            if t.conditions.is_empty() {
                ", no condition".to_owned()
            } else {
                format!(", {}", t.conditions)
            }
        )?;
    }
    writeln!(
        out,
        "- **When:** first {}, last {}; {} sessions{}",
        p.first_seen.as_deref().unwrap_or("never"),
        p.last_seen.as_deref().unwrap_or("never"),
        p.sessions.count,
        if p.sessions.by_trust > 0 {
            format!(" ({} attributed by trust policy only)", p.sessions.by_trust)
        } else {
            String::new()
        }
    )?;
    if !p.source_ips.is_empty() {
        writeln!(
            out,
            "- **From:** {}",
            p.source_ips.iter().cloned().collect::<Vec<_>>().join(", ")
        )?;
    }
    if !p.principals.is_empty() {
        writeln!(
            out,
            "- **As:** {}",
            p.principals
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    if !p.actions.is_empty() {
        writeln!(out)?;
        writeln!(out, "| action | calls | denied | errors |")?;
        writeln!(out, "| --- | ---: | ---: | ---: |")?;
        for (action, c) in &p.actions {
            writeln!(
                out,
                "| `{action}` | {} | {} | {} |",
                c.calls, c.denied, c.errors
            )?;
        }
    }
    let grants: Vec<&Comparison> = report
        .grants
        .iter()
        .flatten()
        .filter(|c| {
            p.principals.contains(&c.principal)
                || p.trusted_by.iter().any(|t| t.role == c.principal)
        })
        .collect();
    for c in grants {
        let t = &c.totals;
        writeln!(out)?;
        writeln!(
            out,
            "`{}` grants {} actions: {} used, {} denied, {} unused, {} not observable.",
            c.principal, t.granted, t.used, t.denied, t.unused, t.not_observable
        )?;
        let levels: Vec<String> = c
            .by_access_level
            .iter()
            .map(|l| {
                format!(
                    "{} {} ({} used)",
                    l.access_level.map_or("?", |a| a.as_str()),
                    l.granted,
                    l.used
                )
            })
            .collect();
        writeln!(out, "By access level: {}.", levels.join(", "))?;
        let suggested = p
            .grants
            .iter()
            .find(|g| g.principal == c.principal)
            .and_then(|g| g.suggested_policy.as_ref());
        match suggested {
            Some(documents) => {
                writeln!(out)?;
                writeln!(
                    out,
                    "<details><summary>Least-privilege policy for <code>{}</code> (checked: every observed call allowed, nothing beyond today's grant)</summary>",
                    c.principal
                )?;
                writeln!(out)?;
                writeln!(out, "```json")?;
                write!(out, "{}", crate::suggest::render::json(documents))?;
                writeln!(out, "```")?;
                writeln!(out)?;
                writeln!(out, "</details>")?;
            }
            None => writeln!(
                out,
                "Take away the unused: `vendortrail suggest <SOURCE> --iam <FILE> --principal {}`.",
                c.principal
            )?,
        }
    }
    Ok(())
}

/// Escapes a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
