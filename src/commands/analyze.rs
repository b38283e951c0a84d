//! `vendortrail analyze`: scan logs and report who called what.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cache::ObjectCache;
use crate::cli::{AnalyzeArgs, ScanArgs};
use crate::event::ActionMapper;
use crate::output::{self, Format};
use crate::pipeline::{self, CacheUse, ScanContext, Scanner};
use crate::progress::Progress;
use crate::report::{CatalogUse, Report};
use crate::source::local::{self, LocalDay};
use crate::source::s3::{self, Bodies, DayFolder, S3Options, S3Source, S3Stats, S3Url};
use crate::source::{Filters, Inventory, Location, LogObject};
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
    /// How long each stage took.
    pub stages: Stages,
}

/// The wall time of each stage of a run, in order, for `--stats`: where
/// the time goes, on the user's own trail.
#[derive(Debug, Default)]
pub struct Stages(Vec<(&'static str, std::time::Duration)>);

impl Stages {
    /// Runs `stage`, noting its time under `name`.
    pub fn time<T>(&mut self, name: &'static str, stage: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = stage();
        self.0.push((name, started.elapsed()));
        out
    }

    /// Notes a stage timed by the caller, as the first.
    pub fn first(&mut self, name: &'static str, took: std::time::Duration) {
        self.0.insert(0, (name, took));
    }

    /// `name=seconds` pairs, in the order the stages ran.
    pub fn line(&self) -> String {
        self.0
            .iter()
            .map(|(name, took)| format!("{name}={:.3}", took.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" ")
    }
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
    let mut stages = Stages::default();
    let loaded = stages.time("catalog", || super::load_catalog(&args.catalog))?;
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
    let Discovered {
        inventory,
        days,
        local_days,
        s3,
    } = stages.time("discover", || discover(args, &filters, progress_enabled))?;
    let mut progress = Progress::bytes(
        inventory.total_bytes() + local_days.iter().map(|d| d.bytes).sum::<u64>(),
        inventory.objects.len() + local_days.iter().map(|d| d.objects).sum::<usize>(),
        progress_enabled,
    );
    if let Some(s3) = &s3 {
        let stats = s3.stats_handle();
        progress = progress.with_status(Box::new(move |decoded| {
            format!(
                "listed {} objects ({:.1} MB); fetched {} ({:.1} MB); decoded {decoded}",
                S3Stats::get(&stats.listed_objects),
                S3Stats::get(&stats.listed_bytes) as f64 / 1e6,
                S3Stats::get(&stats.fetched_objects),
                S3Stats::get(&stats.fetched_bytes) as f64 / 1e6
            )
        }));
    }
    let finder = watch.map(memchr::memmem::Finder::new);
    let ctx = ScanContext {
        filters: &filters,
        mapper: &mapper,
        dedupe_window,
        watch: finder.as_ref(),
        pack_after: crate::usage::QUIET_AFTER,
        spill_after: crate::usage::RUN_BYTES,
    };
    // `who` keeps the events it watches, which entries do not hold: it
    // reads every object.
    let cache = match (&args.s3.cache, &s3) {
        (Some(dir), Some(_)) if watch.is_none() => {
            let fingerprint = crate::cache::fingerprint(&[
                &format!("{filters:?}"),
                &format!("{catalog_use:?}"),
                &dedupe_window.to_string(),
            ]);
            Some(
                ObjectCache::open(dir, &fingerprint)
                    .with_context(|| format!("cannot use the cache folder {}", dir.display()))?,
            )
        }
        (Some(_), None) => {
            eprintln!("note: --cache keeps S3 objects only; local files are read every time");
            None
        }
        _ => None,
    };
    let (inventory, usage) = stages.time("scan", || -> Result<_> {
        let scanner = Scanner::new(&ctx, &progress);
        let segments = Segments {
            scanner: &scanner,
            s3: s3.as_ref(),
            cache: cache.as_ref(),
            filters: &filters,
            progress: &progress,
        };
        let run = || segments.run(inventory, days, local_days);
        let inventory = match args.threads {
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .context("cannot start worker threads")?
                .install(run),
            None => run(),
        };
        Ok((inventory, scanner.finish()))
    })?;
    if let Some(s3) = &s3
        && args.stats
    {
        let stats = s3.stats();
        eprintln!(
            "s3: list_calls={} listed_objects={} fetched_objects={} fetched_bytes={} body_retries={}",
            S3Stats::get(&stats.list_calls),
            S3Stats::get(&stats.listed_objects),
            S3Stats::get(&stats.fetched_objects),
            S3Stats::get(&stats.fetched_bytes),
            S3Stats::get(&stats.body_retries),
        );
    }
    progress.finish();
    let sources = args
        .sources
        .iter()
        .map(|s| s.display().to_string())
        .collect();
    let report = stages.time("report", || {
        Report::build(sources, &inventory, usage, filters, catalog_use)
    });
    Ok(Scanned {
        report,
        mapper,
        stages,
    })
}

/// Feeds the scanner one delivery day at a time: the objects found while
/// walking (files and S3 objects outside day folders) grouped by their
/// delivery day, with each day's folders, local and S3, listed only when
/// its turn comes, so a scan holds one day's objects, whatever the trail's
/// length.
struct Segments<'a> {
    scanner: &'a Scanner<'a>,
    s3: Option<&'a S3Source>,
    cache: Option<&'a ObjectCache>,
    filters: &'a Filters,
    progress: &'a Progress,
}

impl Segments<'_> {
    /// Scans everything; returns the inventory's counts and lists (its
    /// objects moved into the segments and dropped as they were read) for
    /// the report.
    fn run(
        &self,
        mut summary: Inventory,
        days: Vec<DayFolder>,
        local_days: Vec<LocalDay>,
    ) -> Inventory {
        let day_of = |t: Option<i64>| t.map(|t| t.div_euclid(86_400));
        let mut by_day: BTreeMap<Option<i64>, DaySegment> = BTreeMap::new();
        for object in std::mem::take(&mut summary.objects) {
            let day = day_of(object.delivered());
            by_day.entry(day).or_default().objects.push(object);
        }
        for folder in days {
            let day = day_of(Some(folder.day));
            by_day.entry(day).or_default().s3_folders.push(folder);
        }
        for folder in local_days {
            let day = day_of(Some(folder.day));
            by_day.entry(day).or_default().local_folders.push(folder);
        }
        while let Some((key, day)) = by_day.pop_first() {
            let mut segment = Inventory {
                objects: day.objects,
                ..Inventory::default()
            };
            let mut listed = Inventory::default();
            if !day.local_folders.is_empty() {
                // Counted in the progress total when discovered.
                listed.extend(local::list_days(&day.local_folders, self.filters));
            }
            if let (Some(s3), false) = (self.s3, day.s3_folders.is_empty()) {
                let from_s3 = s3.list_days(&day.s3_folders, self.filters);
                self.progress.add_total(from_s3.total_bytes());
                listed.extend(from_s3);
            }
            // An object named for a later day than its folder's waits for
            // that day's turn, where a walk of everything would put it; one
            // named for an earlier day is read now, its turn being past.
            for object in std::mem::take(&mut listed.objects) {
                match day_of(object.delivered()) {
                    later @ Some(_) if later > key => {
                        by_day.entry(later).or_default().objects.push(object);
                    }
                    _ => segment.objects.push(object),
                }
            }
            segment.extend(listed);
            segment.sort();
            self.scan(&segment);
            segment.objects = Vec::new();
            summary.extend(segment);
        }
        summary.sort();
        summary
    }

    fn scan(&self, segment: &Inventory) {
        let cached: Vec<bool> = segment
            .objects
            .iter()
            .map(|o| self.cache.is_some_and(|c| c.has(o)))
            .collect();
        let mut bodies = self.s3.map(|s3| {
            let remote = segment
                .objects
                .iter()
                .enumerate()
                .filter(|(i, o)| !matches!(o.location, Location::Local(_)) && !cached[*i])
                .map(|(i, o)| (i, o.location.clone()))
                .collect();
            s3.fetch_in_order(remote)
        });
        let mut next_body = || bodies.as_mut().and_then(Bodies::next_body);
        match self.cache {
            Some(cache) => {
                let refetch = |object: &LogObject| match self.s3 {
                    Some(s3) => s3.fetch_blocking(&object.location),
                    None => Err("no S3 connection".to_string()),
                };
                let using = CacheUse {
                    cache,
                    cached: &cached,
                    refetch: &refetch,
                };
                self.scanner.segment_cached(segment, &mut next_body, &using);
            }
            None => {
                let fetched: Option<pipeline::Fetched<'_>> =
                    self.s3.is_some().then_some(&mut next_body);
                self.scanner.segment(segment, fetched);
            }
        }
    }
}

/// The objects of one delivery day, and the day folders to list for it.
#[derive(Default)]
struct DaySegment {
    objects: Vec<LogObject>,
    s3_folders: Vec<DayFolder>,
    local_folders: Vec<LocalDay>,
}

/// What discovery found: objects outside day folders (and every count so
/// far), and the day folders, local and S3, to list when their day comes.
struct Discovered {
    inventory: Inventory,
    days: Vec<DayFolder>,
    local_days: Vec<LocalDay>,
    s3: Option<S3Source>,
}

/// Builds the inventory of every source: local paths walked (but for the
/// files of day folders, counted for now), s3:// prefixes listed (through
/// one S3 connection, kept for fetching).
fn discover(args: &ScanArgs, filters: &Filters, progress_enabled: bool) -> Result<Discovered> {
    let (remote, local_paths): (Vec<&PathBuf>, Vec<&PathBuf>) = args
        .sources
        .iter()
        .partition(|s| s.to_str().is_some_and(s3::is_s3_url));
    let (mut inventory, local_days) = local::discover_days(&local_paths, filters);
    if remote.is_empty() {
        return Ok(Discovered {
            inventory,
            days: Vec::new(),
            local_days,
            s3: None,
        });
    }
    let mut source = S3Source::connect(S3Options {
        profile: args.s3.profile.clone(),
        endpoint_url: args.s3.endpoint_url.clone(),
        concurrency: args.s3.concurrency,
        ..S3Options::default()
    })?;
    let listing = Progress::spinner("listing S3", progress_enabled);
    let mut days = Vec::new();
    for url in remote {
        let text = url.to_str().unwrap_or_default();
        let url = S3Url::parse(text)?;
        let found = source
            .discover(&url, filters)
            .with_context(|| format!("cannot list {text}"))?;
        inventory.extend(found.inventory);
        days.extend(found.days);
        listing.note(format!("listing S3: {} day folders", days.len()));
    }
    listing.finish();
    inventory.sort();
    days.sort();
    Ok(Discovered {
        inventory,
        days,
        local_days,
        s3: Some(source),
    })
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
    let iam_loaded = started.elapsed();
    let Scanned {
        mut report,
        mapper,
        mut stages,
    } = scan(&args.scan, !args.scan.no_progress)?;
    stages.first("iam", iam_loaded);
    if let Some(iam) = &iam {
        let catalog = super::require_catalog(&mapper, "--iam")?;
        report.grants = Some(stages.time("compare", || {
            pipeline::compare_all(&report, iam, catalog, &mapper)
        }));
        report.iam_warnings = iam.warnings().to_vec();
    }
    let parties = stages.time("parties", || {
        super::load_parties(&args.parties, &args.scan.catalog)
    })?;
    report.attribution = stages.time("attribute", || {
        pipeline::attribute(&report, &parties.context(iam.as_ref()))
    });
    if let Some(iam) = &iam {
        let catalog = super::require_catalog(&mapper, "--iam")?;
        stages.time("party_grants", || {
            pipeline::party_grants(&mut report, iam, catalog, &mapper)
        });
    }
    report.findings = stages.time("findings", || {
        pipeline::findings(
            &report,
            iam.as_ref(),
            parties.registry.as_ref(),
            parties.credentials.as_ref(),
        )
    });
    // The time is the analysis's, without writing the report; the peak
    // memory is read after everything is written, so it is the run's.
    let analysed = started.elapsed();
    write_report(&report, args)?;
    if let Some(path) = &args.usage_out {
        output::tabular::write_usage(&report, path)?;
    }
    if args.scan.stats {
        print_stats(&report, analysed);
        eprintln!("stages: {}", stages.line());
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
