//! `vendortrail analyze`: scan logs and report who called what.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{AnalyzeArgs, ScanArgs};
use crate::event::ActionMapper;
use crate::output::{self, Format};
use crate::pipeline::{self, ScanContext};
use crate::progress::Progress;
use crate::report::{CatalogUse, Report};
use crate::source::{Filters, local};
use crate::time::{now, parse_duration, parse_user_time};

/// Reads the filters from the flags.
pub fn filters(args: &ScanArgs) -> Result<Filters> {
    let now = now();
    let time = |v: &Option<String>| -> Result<Option<i64>> {
        v.as_deref()
            .map(|s| parse_user_time(s, now).map_err(anyhow::Error::msg))
            .transpose()
    };
    let filters = Filters {
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        since: time(&args.since).context("--since")?,
        until: time(&args.until).context("--until")?,
        delivery_lag: duration(&args.delivery_lag).context("--delivery-lag")?,
    };
    if let (Some(since), Some(until)) = (filters.since, filters.until) {
        anyhow::ensure!(since <= until, "--since is after --until");
    }
    Ok(filters)
}

fn duration(s: &str) -> Result<i64> {
    parse_duration(s)
        .ok_or_else(|| anyhow::anyhow!("cannot read `{s}` as a duration: use e.g. 30m, 6h, 2d"))
}

/// A finished scan: the report and the mapping (with its catalog) it used.
pub struct Scanned {
    /// The report.
    pub report: Report,
    /// The event-name mapper; its catalog, when one was loaded.
    pub mapper: ActionMapper,
}

/// Scans the sources and builds the report, without writing anything.
pub fn build_report(args: &ScanArgs, progress_enabled: bool) -> Result<Report> {
    Ok(scan(args, progress_enabled)?.report)
}

/// Scans the sources, keeping the mapper for the stages after the report.
pub fn scan(args: &ScanArgs, progress_enabled: bool) -> Result<Scanned> {
    scan_watching(args, progress_enabled, None)
}

/// [`scan`], also keeping every event whose record mentions `watch`
/// (`vendortrail who`).
pub fn scan_watching(
    args: &ScanArgs,
    progress_enabled: bool,
    watch: Option<&str>,
) -> Result<Scanned> {
    let filters = filters(args)?;
    let dedupe_window = duration(&args.dedupe_window).context("--dedupe-window")?;
    let loaded = super::load_catalog(&args.catalog)?;
    let catalog_use = match &loaded {
        Some((dir, catalog)) => CatalogUse::Catalog {
            path: dir.display().to_string(),
            services: catalog.services().count(),
            actions: catalog.action_count(),
        },
        None => {
            eprintln!(
                "note: no AWS service reference found; event names are mapped to IAM actions by built-in rules. \
                 Run `vendortrail data update` (or pass --catalog DIR) for exact mapping."
            );
            CatalogUse::Rules
        }
    };
    let mapper = ActionMapper::new(loaded.map(|(_, c)| c));
    let inventory = local::discover(&args.sources, &filters);
    let progress = Progress::bytes(
        inventory.total_bytes(),
        inventory.objects.len(),
        progress_enabled,
    );
    let finder = watch.map(memchr::memmem::Finder::new);
    let ctx = ScanContext {
        filters: &filters,
        mapper: &mapper,
        dedupe_window,
        watch: finder.as_ref(),
    };
    let scan = || pipeline::scan(&inventory, &ctx, &progress);
    let usage = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("cannot start worker threads")?
            .install(scan),
        None => scan(),
    };
    progress.finish();
    let sources = args
        .sources
        .iter()
        .map(|s| s.display().to_string())
        .collect();
    let report = Report::build(sources, &inventory, usage, filters, catalog_use);
    Ok(Scanned { report, mapper })
}

/// Writes the report in the chosen format to stdout or `--output`.
fn write_report(report: &Report, args: &AnalyzeArgs) -> Result<()> {
    let mut sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match args.format {
        Format::Table => output::terminal::write(report, &mut sink)?,
        Format::Json => output::json::write(report, &mut sink)?,
        Format::Markdown => output::markdown::write(report, &mut sink)?,
    }
    sink.flush()?;
    Ok(())
}

/// `--stats`: one line a script can parse (the benchmark does).
fn print_stats(report: &Report, elapsed: std::time::Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let i = &report.input;
    let peak = crate::progress::peak_rss_bytes().map_or("unknown".into(), |b| b.to_string());
    eprintln!(
        "stats: seconds={secs:.3} files={} stored_bytes={} json_bytes={} records={} events={} json_mb_per_s={:.1} events_per_s={:.0} peak_rss_bytes={peak}",
        i.files,
        i.stored_bytes,
        i.json_bytes,
        i.records,
        i.events,
        i.json_bytes as f64 / 1e6 / secs,
        i.records as f64 / secs,
    );
}

/// Runs `analyze`.
pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let iam = super::load_iam(&args.iam)?;
    let Scanned { mut report, mapper } = scan(&args.scan, !args.scan.no_progress)?;
    if let Some(iam) = &iam {
        let catalog = super::require_catalog(&mapper, "--iam")?;
        report.grants = Some(pipeline::compare_all(&report, iam, catalog, &mapper));
        report.iam_warnings = iam.warnings().to_vec();
    }
    let parties = super::load_parties(&args.parties, &args.scan.catalog)?;
    report.attribution = pipeline::attribute(&report, &parties.context(iam.as_ref()));
    if let Some(iam) = &iam {
        let catalog = super::require_catalog(&mapper, "--iam")?;
        pipeline::party_grants(&mut report, iam, catalog, &mapper);
    }
    report.findings = pipeline::findings(
        &report,
        iam.as_ref(),
        parties.registry.as_ref(),
        parties.credentials.as_ref(),
    );
    if args.scan.stats {
        print_stats(&report, started.elapsed());
    }
    write_report(&report, args)?;
    if let Some(path) = &args.usage_out {
        output::tabular::write_usage(&report, path)?;
    }
    let unreadable = report.input.skipped.len() as u64;
    if unreadable > 0 || report.input.bad_records > 0 {
        eprintln!(
            "warning: {unreadable} inputs and {} records could not be read; they are listed in the report",
            report.input.bad_records
        );
        if args.scan.strict {
            return Ok(ExitCode::from(super::EXIT_ERROR));
        }
    }
    if let Some(threshold) = args.fail_on
        && crate::findings::any_at_or_above(&report.findings, threshold)
    {
        return Ok(ExitCode::from(super::EXIT_FINDINGS));
    }
    Ok(ExitCode::from(super::EXIT_OK))
}
