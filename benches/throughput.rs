//! Throughput and memory of `vendortrail analyze` on a generated corpus.
//!
//! ```text
//! cargo bench --bench throughput                  # 2 GB corpus, 0.5 GB subset
//! VENDORTRAIL_BENCH_SIZE=1GB cargo bench --bench throughput
//! ```
//!
//! Generates (once, cached under `target/bench-corpus-<size>`) a corpus with
//! `vendortrail generate --preset bench`, then measures on all cores:
//!
//! 1. decompress only, libdeflate (what analyze uses) and flate2 (zlib-rs):
//!    read every object and inflate it, nothing else — the floor; then
//!    decompress and find each record's extent without reading a field;
//!    then decompress and decode every record without aggregating; then the
//!    whole scan stage in this process (`pipeline::scan`: decode, map,
//!    de-duplicate, aggregate), without the report;
//! 2. the whole `analyze` (decode, map, de-duplicate, aggregate, JSON report)
//!    run as a child process with `--stats`, which reports its own peak RSS,
//!    on the full corpus and on a quarter of it (`--until`), to show that
//!    memory does not grow with the corpus.
//!
//! Figures are MB/s of uncompressed JSON (10^6 bytes) and records/s, each
//! the best of three runs (peak RSS: the highest of the three). The README
//! quotes a run of this benchmark.

#[path = "support/analyze.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use vendortrail::cloudtrail::decode::decompress;
use vendortrail::generate::{GenerateOptions, generate, parse_size};
use vendortrail::source::{Filters, local};

fn main() {
    let size_text = std::env::var("VENDORTRAIL_BENCH_SIZE").unwrap_or_else(|_| "2GB".into());
    let size = parse_size(&size_text).expect("VENDORTRAIL_BENCH_SIZE");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("VENDORTRAIL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(format!("target/bench-corpus-{size_text}")));
    let opts = ensure_corpus(&dir, size);
    let logs = dir.join("AWSLogs");
    let inventory = local::discover(&[&logs], &Filters::default());
    let stored: u64 = inventory.total_bytes();
    println!(
        "corpus: {} files, {:.1} MB stored, {} cores ({})",
        inventory.objects.len(),
        stored as f64 / 1e6,
        rayon::current_num_threads(),
        dir.display()
    );

    // Warm the page cache so every stage reads from memory, not disk: the
    // first stage would otherwise pay for the I/O the others do not.
    let (secs, stored_read) = decompress_only(&inventory.objects, |bytes| bytes.len());
    println!(
        "read only (warming the page cache): {secs:.2} s, {:.0} MB",
        stored_read as f64 / 1e6
    );
    let (secs, json) = decompress_only(&inventory.objects, |bytes| {
        decompress(bytes).map(|j| j.len()).unwrap_or(0)
    });
    let decompress_rate = json as f64 / 1e6 / secs;
    println!(
        "decompress only, libdeflate: {secs:.2} s, {:.0} MB JSON, {decompress_rate:.0} MB/s",
        json as f64 / 1e6
    );
    let (secs, json) = decompress_only(&inventory.objects, flate2_inflate);
    println!(
        "decompress only, flate2 (zlib-rs): {secs:.2} s, {:.0} MB/s",
        json as f64 / 1e6 / secs
    );
    let (secs, json) = decompress_only(&inventory.objects, skip_records);
    println!(
        "decompress + find each record's extent (no field read): {secs:.2} s, {:.0} MB/s ({:.2}x decompress-only)",
        json as f64 / 1e6 / secs,
        json as f64 / 1e6 / secs / decompress_rate
    );
    let (secs, json) = decompress_only(&inventory.objects, decode_records);
    println!(
        "decompress + decode records (no aggregation): {secs:.2} s, {:.0} MB/s ({:.2}x decompress-only)",
        json as f64 / 1e6 / secs,
        json as f64 / 1e6 / secs / decompress_rate
    );

    let catalog = root.join("../shared/data/service-reference/v1");
    let (secs, json) = scan_in_process(&inventory, &catalog);
    println!(
        "decompress + decode + aggregate (pipeline::scan in process, no report): {secs:.2} s, {:.0} MB/s ({:.2}x decompress-only)",
        json as f64 / 1e6 / secs,
        json as f64 / 1e6 / secs / decompress_rate
    );
    let full = analyze(&logs, &catalog, &[]);
    report("analyze, whole corpus", &full, decompress_rate);
    let (y, m, d) = opts.start;
    let start = vendortrail::time::from_civil(i64::from(y), m, d, 0, 0, 0).expect("start date");
    let quarter_end = start + i64::from(opts.days / 4) * 86_400;
    let until = vendortrail::time::format_rfc3339(quarter_end);
    let quarter = analyze(&logs, &catalog, &["--until", &until]);
    report(
        "analyze, first quarter (--until)",
        &quarter,
        decompress_rate,
    );
}

/// Generates the corpus unless a complete one is already there.
fn ensure_corpus(dir: &Path, size: u64) -> GenerateOptions {
    let mut opts = GenerateOptions::bench(size);
    opts.out_dir = dir.to_path_buf();
    if !dir.join("manifest.json").exists() {
        let started = Instant::now();
        let manifest = generate(&opts).expect("generate the bench corpus");
        println!(
            "generated {} records in {:.1} s",
            manifest.records,
            started.elapsed().as_secs_f64()
        );
    }
    opts
}

/// The scan stage of `analyze` alone, in this process: reading, inflating,
/// decoding, mapping, de-duplicating and aggregating, without process
/// start, catalog loading or the report. Returns seconds and JSON bytes
/// (the best of [`RUNS`]).
fn scan_in_process(inventory: &vendortrail::source::Inventory, catalog: &Path) -> (f64, u64) {
    let catalog = vendortrail::policy::catalog::Catalog::load_dir(catalog).expect("catalog");
    let mapper =
        vendortrail::event::action_map::ActionMapper::new(Some(std::sync::Arc::new(catalog)));
    let filters = Filters::default();
    let ctx = vendortrail::pipeline::ScanContext {
        filters: &filters,
        mapper: &mapper,
        dedupe_window: vendortrail::dedupe::DEFAULT_WINDOW,
        watch: None,
        pack_after: vendortrail::usage::QUIET_AFTER,
        spill_after: vendortrail::usage::RUN_BYTES,
    };
    best_of(|| {
        let started = Instant::now();
        let usage = vendortrail::pipeline::scan(
            inventory,
            None,
            &ctx,
            &vendortrail::progress::Progress::hidden(),
        );
        (started.elapsed().as_secs_f64(), usage.files.json_bytes)
    })
}

/// Inflates and finds where every record starts and ends, reading none of
/// its fields: the least any scan of the JSON does after inflating.
fn skip_records(bytes: &[u8]) -> usize {
    use vendortrail::cloudtrail::scan::{Scanner, utf8};
    let json = decompress(bytes).expect("inflate");
    let mut records = 0u64;
    Scanner::new(&utf8(&json))
        .members(|key, s| {
            if key != b"Records" {
                return s.value().map(|_| ());
            }
            s.elements(|s| {
                records += 1;
                s.value().map(|_| ())
            })
        })
        .expect("scan");
    std::hint::black_box(records);
    json.len()
}

/// Inflates and walks every record (reading its event name), no more.
fn decode_records(bytes: &[u8]) -> usize {
    let json = decompress(bytes).expect("inflate");
    let mut named = 0u64;
    vendortrail::cloudtrail::decode::parse(&json, |r| {
        named += u64::from(r.event_name.get().is_some())
    })
    .expect("parse");
    std::hint::black_box(named);
    json.len()
}

fn flate2_inflate(bytes: &[u8]) -> usize {
    use std::io::Read;
    let mut out = Vec::with_capacity(bytes.len() * 6);
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map(|_| out.len())
        .unwrap_or(0)
}

/// Every figure is the best of this many runs: this shared 2-core machine
/// varies by 15% or more from run to run, and the first run after a build
/// pays for the kernel finding huge pages.
const RUNS: usize = 3;

/// The fastest of [`RUNS`] runs of `run`, which returns seconds and bytes.
fn best_of(mut run: impl FnMut() -> (f64, u64)) -> (f64, u64) {
    (0..RUNS)
        .map(|_| run())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("at least one run")
}

/// Reads and inflates every object on all cores; returns seconds and JSON
/// bytes (the best of [`RUNS`]).
fn decompress_only(
    objects: &[vendortrail::source::LogObject],
    inflate: impl Fn(&[u8]) -> usize + Sync,
) -> (f64, u64) {
    best_of(|| {
        let started = Instant::now();
        let json: u64 = objects
            .par_iter()
            .map(|o| inflate(&o.read().expect("read")) as u64)
            .sum();
        (started.elapsed().as_secs_f64(), json)
    })
}

/// The `--stats` line of the fastest of [`RUNS`] child `vendortrail
/// analyze` runs, as key/value pairs, with `peak_rss_bytes` the highest of
/// all runs.
fn analyze(logs: &Path, catalog: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let runs: Vec<Vec<(String, String)>> = (0..RUNS)
        .map(|_| support::stats(&mut support::command(logs, catalog, extra)))
        .collect();
    let number = |stats: &[(String, String)], key: &str| -> f64 {
        stats
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let peak = runs
        .iter()
        .map(|r| number(r, "peak_rss_bytes"))
        .fold(0.0, f64::max);
    let mut best = runs
        .into_iter()
        .min_by(|a, b| number(a, "seconds").total_cmp(&number(b, "seconds")))
        .expect("at least one run");
    for (key, value) in &mut best {
        if key == "peak_rss_bytes" {
            *value = format!("{peak:.0}");
        }
    }
    best
}

fn report(label: &str, stats: &[(String, String)], decompress_rate: f64) {
    let get = |k: &str| {
        stats
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("?")
    };
    let rate: f64 = get("json_mb_per_s").parse().unwrap_or(0.0);
    let rss: f64 = get("peak_rss_bytes").parse().unwrap_or(0.0);
    let json: f64 = get("json_bytes").parse().unwrap_or(0.0);
    println!(
        "{label}: {} s, {:.0} MB JSON, {rate:.0} MB/s ({:.2}x decompress-only), {} records/s, peak RSS {:.0} MB",
        get("seconds"),
        json / 1e6,
        rate / decompress_rate,
        get("events_per_s"),
        rss / 1e6
    );
}
