//! `vendortrail who <RESOURCE> <SOURCE>...`: every event that touched a
//! resource, with its principal and third party, oldest first.
//!
//! "Touched" means the record names the resource anywhere (`resources[]`,
//! request parameters, response elements) as a whole token: an instance
//! id, a bucket name or a key ARN all work, and `i-0abc` does not match
//! inside `i-0abcdef`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::analyze::{Scanned, scan_watching};
use crate::cli::WhoArgs;
use crate::output::Format;
use crate::pipeline;
use crate::usage::Touch;

/// One event, with its party.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    touch: &'a Touch,
    third_party: Option<&'a str>,
}

/// Runs `who`.
pub fn run(args: &WhoArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        args.resource.len() >= 3,
        "the resource id {:?} is too short to look for",
        args.resource
    );
    let iam = super::load_iam(&args.iam)?;
    let Scanned { mut report, .. } =
        scan_watching(&args.scan, !args.scan.no_progress, Some(&args.resource))?;
    let parties = super::load_parties(&args.parties, &args.scan.catalog)?;
    report.attribution = pipeline::attribute(&report, &parties.context(iam.as_ref()));
    let rows: Vec<Row<'_>> = report
        .touches
        .iter()
        .map(|t| Row {
            touch: t,
            third_party: report
                .attribution
                .party_of(&t.principal, t.access_key_id.as_deref()),
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table | Format::Markdown => write_table(&rows, &args.resource, &mut out)?,
    }
    out.flush().context("cannot write the output")?;
    Ok(ExitCode::from(super::EXIT_OK))
}

fn write_table(rows: &[Row<'_>], resource: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{} events touched {resource}", rows.len())?;
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<20}  {:<38}  {:<16}  {:<24}  PRINCIPAL",
        "TIME", "EVENT", "OUTCOME", "THIRD PARTY"
    )?;
    for r in rows {
        let t = r.touch;
        let event = format!(
            "{}:{}",
            t.event_source.trim_end_matches(".amazonaws.com"),
            t.event_name
        );
        writeln!(
            out,
            "{:<20}  {:<38}  {:<16}  {:<24}  {}",
            t.time.map(crate::time::format_rfc3339).unwrap_or_default(),
            event,
            t.error_code.as_deref().unwrap_or("ok"),
            r.third_party.unwrap_or("-"),
            t.principal
        )?;
    }
    Ok(())
}
