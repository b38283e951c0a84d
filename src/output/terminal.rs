//! The terminal summary: what was read, the principals by activity with
//! their top actions, who is outside the accounts, and what was skipped.
//!
//! Plain text with aligned columns; no colour, so it pastes into tickets and
//! snapshot tests compare it byte for byte.

use std::io::{self, Write};

use crate::report::{CatalogUse, PrincipalReport, Report};
use crate::time::format_rfc3339;

/// Principals listed before the rest are summarised in one line.
const MAX_PRINCIPALS: usize = 25;
/// Top actions shown per principal.
const TOP_ACTIONS: usize = 3;

/// Writes the summary.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_input(report, out)?;
    write_principals(report, out)?;
    write_third_parties(report, out)?;
    write_findings(report, out)?;
    write_grants(report, out)?;
    write_outside(report, out)?;
    write_skipped(report, out)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units with one decimal.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn write_input(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let i = &report.input;
    writeln!(
        out,
        "Read {} log files ({} stored, {} JSON): {} records, {} events counted, {} duplicate deliveries skipped",
        thousands(i.files),
        bytes(i.stored_bytes),
        bytes(i.json_bytes),
        thousands(i.records),
        thousands(i.events),
        thousands(i.duplicates)
    )?;
    if let Some((first, last)) = i.time_range {
        writeln!(
            out,
            "Events from {} to {}",
            format_rfc3339(first),
            format_rfc3339(last)
        )?;
    }
    writeln!(out, "Accounts: {}", report.own_accounts.join(", "))?;
    match &report.catalog {
        CatalogUse::Catalog {
            services, actions, ..
        } => writeln!(
            out,
            "Actions mapped with the AWS service reference ({services} services, {} actions)",
            thousands(*actions as u64)
        )?,
        CatalogUse::Rules => writeln!(
            out,
            "Actions mapped with built-in rules only (no AWS service reference: run `vendortrail data update`)"
        )?,
    }
    let mut notes = Vec::new();
    if i.digest_files + i.insight_files > 0 {
        notes.push(format!(
            "{} digest and {} Insights files skipped",
            i.digest_files, i.insight_files
        ));
    }
    if i.insight_records > 0 {
        notes.push(format!("{} Insights records skipped", i.insight_records));
    }
    let pruned: u64 = i.pruned.values().sum();
    if pruned > 0 {
        notes.push(format!("{pruned} files or folders pruned by filters"));
    }
    let outside = i.outside_time_window + i.outside_account_or_region;
    if outside > 0 {
        notes.push(format!(
            "{} records outside the filters",
            thousands(outside)
        ));
    }
    if !notes.is_empty() {
        writeln!(out, "Also: {}", notes.join("; "))?;
    }
    Ok(())
}

fn top_actions(p: &PrincipalReport) -> String {
    let mut actions: Vec<_> = p.actions.iter().collect();
    actions.sort_by(|a, b| {
        b.counts
            .calls
            .cmp(&a.counts.calls)
            .then(a.action.cmp(&b.action))
    });
    let mut shown: Vec<String> = actions
        .iter()
        .take(TOP_ACTIONS)
        .map(|a| format!("{} ({})", a.action, thousands(a.counts.calls)))
        .collect();
    if actions.len() > TOP_ACTIONS {
        shown.push(format!("+{} more", actions.len() - TOP_ACTIONS));
    }
    shown.join(", ")
}

fn principal_rows<'a>(
    principals: impl Iterator<Item = &'a PrincipalReport>,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let mut sorted: Vec<&PrincipalReport> = principals.collect();
    sorted.sort_by(|a, b| b.events.calls.cmp(&a.events.calls).then(a.arn.cmp(&b.arn)));
    writeln!(
        out,
        "{:>9} {:>7} {:>7}  {:<15} {:<56} TOP ACTIONS",
        "EVENTS", "DENIED", "ERRORS", "TYPE", "PRINCIPAL"
    )?;
    for p in sorted.iter().take(MAX_PRINCIPALS) {
        writeln!(
            out,
            "{:>9} {:>7} {:>7}  {:<15} {:<56} {}",
            thousands(p.events.calls),
            thousands(p.events.denied),
            thousands(p.events.errors),
            p.kind.as_str(),
            p.arn,
            top_actions(p)
        )?;
    }
    if sorted.len() > MAX_PRINCIPALS {
        writeln!(
            out,
            "  ... and {} more (use --format json)",
            sorted.len() - MAX_PRINCIPALS
        )?;
    }
    Ok(sorted.len())
}

fn write_principals(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\nPrincipals by events ({})", report.principals.len())?;
    principal_rows(report.principals.iter(), out).map(|_| ())
}

fn write_outside(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let outside: Vec<&PrincipalReport> = report.outside_principals().collect();
    if outside.is_empty() {
        return writeln!(out, "\nNo principals from outside these accounts.");
    }
    writeln!(out, "\nFrom outside these accounts ({})", outside.len())?;
    principal_rows(outside.into_iter(), out).map(|_| ())
}

fn write_skipped(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let i = &report.input;
    if !i.skipped.is_empty() {
        writeln!(out, "\nSkipped {} unreadable inputs:", i.skipped.len())?;
        for s in &i.skipped {
            writeln!(out, "  {}: {}", s.path, s.reason)?;
        }
    }
    if !i.files_with_bad_records.is_empty() {
        writeln!(out, "\nSkipped {} unreadable records in:", i.bad_records)?;
        for (path, n) in &i.files_with_bad_records {
            writeln!(out, "  {path}: {n}")?;
        }
    }
    if !i.ignored.is_empty() {
        writeln!(
            out,
            "\nIgnored {} files that are not log files (first: {})",
            i.ignored.len(),
            i.ignored[0].path
        )?;
    }
    Ok(())
}

/// Each third party: how it gets in, when it last came, from where, what
/// it did, what it was refused.
fn write_third_parties(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let a = &report.attribution;
    if a.third_parties.is_empty() && a.unattributed.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Third parties ({})", a.third_parties.len())?;
    for p in &a.third_parties {
        let how = p.how_identified.as_str();
        let paths: Vec<&str> = p.paths.iter().map(|x| x.as_str()).collect();
        writeln!(
            out,
            "  {}  [{how}{}]  accounts: {}",
            p.name,
            if p.contractor { ", contractor" } else { "" },
            if p.accounts.is_empty() {
                "-".to_owned()
            } else {
                p.accounts.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        )?;
        writeln!(
            out,
            "    {} events ({} denied), {} sessions; first {}, last {}; via {}",
            thousands(p.events),
            thousands(p.denied),
            thousands(p.sessions.count),
            p.first_seen.as_deref().unwrap_or("-"),
            p.last_seen.as_deref().unwrap_or("-"),
            paths.join(", ")
        )?;
        let principals: Vec<&str> = p.principals.iter().map(String::as_str).collect();
        writeln!(out, "    principals: {}", principals.join(", "))?;
        let mut top: Vec<(&String, u64)> = p.actions.iter().map(|(a, c)| (a, c.calls)).collect();
        top.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
        let shown: Vec<String> = top
            .iter()
            .take(TOP_ACTIONS + 2)
            .map(|(a, n)| format!("{a} ({n})"))
            .collect();
        writeln!(out, "    actions: {}", shown.join(", "))?;
        let refused: Vec<String> = p
            .actions
            .iter()
            .filter(|(_, c)| c.denied > 0)
            .map(|(a, c)| format!("{a} ({})", c.denied))
            .collect();
        if !refused.is_empty() {
            writeln!(out, "    refused: {}", refused.join(", "))?;
        }
        if p.sessions.by_trust > 0 {
            writeln!(
                out,
                "    {} sessions attributed through the role's trust policy only (their AssumeRole is outside the logs read)",
                p.sessions.by_trust
            )?;
        }
    }
    if !a.unattributed.is_empty() {
        writeln!(
            out,
            "  unattributed: {} sessions on roles trusted by outside parties, opener unknown (see --format json)",
            a.unattributed.len()
        )?;
    }
    Ok(())
}

/// Findings, worst first.
fn write_findings(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Findings ({})", report.findings.len())?;
    for f in &report.findings {
        writeln!(
            out,
            "  {:<8}  {:<26}  {}",
            f.severity.as_str().to_ascii_uppercase(),
            f.check,
            f.message
        )?;
    }
    Ok(())
}

/// Used vs granted per principal of the IAM input (`--iam`).
fn write_grants(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let Some(grants) = &report.grants else {
        return Ok(());
    };
    writeln!(out)?;
    writeln!(
        out,
        "Used vs granted ({} principals in the IAM input)",
        grants.len()
    )?;
    for c in grants {
        let t = &c.totals;
        writeln!(out, "  {}", c.principal)?;
        writeln!(
            out,
            "    granted {} actions: used {}, denied {}, unused {}, not observable {}",
            thousands(t.granted as u64),
            t.used,
            t.denied,
            thousands(t.unused as u64),
            t.not_observable
        )?;
        if !c.by_access_level.is_empty() {
            let levels: Vec<String> = c
                .by_access_level
                .iter()
                .map(|l| {
                    format!(
                        "{} {} (used {})",
                        l.access_level.map_or("?", |a| a.as_str()),
                        thousands(l.granted as u64),
                        l.used
                    )
                })
                .collect();
            writeln!(out, "    by access level: {}", levels.join(" · "))?;
        }
        let conditional: Vec<String> = c
            .actions
            .iter()
            .filter(|a| a.status == crate::compare::Status::Used)
            .filter_map(|a| {
                let check = a.conditional.as_ref()?;
                let outcome = match check.outcome {
                    crate::policy::condition::Tri::True => "met by every observed call".to_owned(),
                    crate::policy::condition::Tri::False => {
                        format!(
                            "not met in {} of {} observed contexts",
                            check.failing, check.contexts
                        )
                    }
                    crate::policy::condition::Tri::Unknown => format!(
                        "not decidable from the log ({})",
                        check.undecided_keys.join(", ")
                    ),
                };
                Some(format!(
                    "{} [{}]: {outcome}",
                    a.action,
                    check.conditions.join(" | ")
                ))
            })
            .collect();
        for line in conditional.iter().take(TOP_ACTIONS) {
            writeln!(out, "    conditional: {line}")?;
        }
        if conditional.len() > TOP_ACTIONS {
            writeln!(
                out,
                "    conditional: … {} more",
                conditional.len() - TOP_ACTIONS
            )?;
        }
        for u in c.ungranted.iter().filter(|u| u.successes > 0) {
            writeln!(
                out,
                "    used but not granted: {} ({} successful calls; likely {})",
                u.action,
                thousands(u.successes),
                u.reason.as_str()
            )?;
        }
        for t in &c.assumed_by {
            let verdict = match t.trust {
                crate::policy::condition::Tri::True => "trust policy allows".to_owned(),
                crate::policy::condition::Tri::False => "trust policy does NOT allow".to_owned(),
                crate::policy::condition::Tri::Unknown => format!(
                    "trust policy allows if {} hold",
                    t.undecided_keys.join(", ")
                ),
            };
            writeln!(
                out,
                "    assumed by: {} via {} ({} sessions, {}): {verdict}",
                t.caller,
                t.via,
                thousands(t.sessions),
                if t.external_id_sent {
                    "ExternalId sent"
                } else {
                    "no ExternalId"
                }
            )?;
        }
        for missing in &c.unresolved {
            writeln!(out, "    not in the export: {missing}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_sizes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
