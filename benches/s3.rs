//! `vendortrail analyze s3://...` against a loopback S3-compatible server
//! (moto) at several `--concurrency` levels, next to the local run of the
//! same files.
//!
//! ```text
//! scripts/test --no-run && VENDORTRAIL_TEST_PYTHON=~/.cache/vendortrail/test-venv/bin/python \
//!     cargo bench --bench s3
//! VENDORTRAIL_S3_BENCH_SIZE=100MB VENDORTRAIL_S3_BENCH_LATENCY_MS=30 ... cargo bench --bench s3
//! ```
//!
//! Generates (once, under `target/bench-s3-<size>`, 25MB unless set: 3,448 log objects) a corpus with
//! `vendortrail generate --preset bench`, uploads its `AWSLogs/` tree to a
//! bucket on a moto server started on 127.0.0.1, then runs `analyze` as a
//! child process with `--stats` (its own wall time and peak RSS): once on the
//! local folder, once on moto directly, and once per concurrency level
//! through the tests' proxy in replay mode (it answers each GET it has seen
//! from memory, after an added latency, default 10 ms, like S3's first-byte
//! latency in-Region): moto is a single Python process answering about 200
//! requests a second, which would hide what the client does. Figures:
//! objects/s, MB/s of stored (gzip) bytes fetched, MB/s of JSON decoded,
//! peak RSS.

#[path = "../tests/integration/s3_server.rs"]
mod s3_server;
#[path = "support/analyze.rs"]
mod support;

use std::path::{Path, PathBuf};

use s3_server::moto;
use vendortrail::generate::{GenerateOptions, generate, parse_size};

fn main() {
    let size_text = std::env::var("VENDORTRAIL_S3_BENCH_SIZE").unwrap_or_else(|_| "25MB".into());
    let size = parse_size(&size_text).expect("VENDORTRAIL_S3_BENCH_SIZE");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("target/bench-s3-{size_text}"));
    if !dir.join("manifest.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let mut opts = GenerateOptions::bench(size);
        opts.out_dir = dir.clone();
        generate(&opts).expect("generate the corpus");
    }
    let logs = dir.join("AWSLogs");
    let catalog = root.join("../shared/data/service-reference/v1");
    let bucket = "bench";
    s3_server::create_bucket(bucket);
    let keys = s3_server::upload_tree(bucket, "AWSLogs/", &logs, &|_| true);
    println!(
        "corpus: {} objects uploaded to {} ({})",
        keys.len(),
        s3_server::moto().endpoint,
        dir.display()
    );
    println!("| source | concurrency | time | objects/s | stored MB/s | JSON MB/s | peak RSS |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let local = analyze(
        &catalog,
        logs.to_str().expect("utf-8"),
        &moto().endpoint,
        &[],
    );
    row("local disk", "", &local);
    let source = format!("s3://{bucket}/AWSLogs/");
    let levels =
        std::env::var("VENDORTRAIL_S3_BENCH_CONCURRENCY").unwrap_or_else(|_| "1,4,16,32,64".into());
    let levels: Vec<&str> = levels.split(',').collect();
    // moto itself, at the default concurrency.
    let direct = analyze(
        &catalog,
        &source,
        &moto().endpoint,
        &["--concurrency", "32"],
    );
    row("moto", "32", &direct);
    // The replaying proxy, once to fill it, then with a network latency.
    let latency_ms: u64 = std::env::var("VENDORTRAIL_S3_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let proxy = s3_server::Proxy::start(s3_server::Faults {
        replay: true,
        ..s3_server::Faults::default()
    });
    analyze(&catalog, &source, &proxy.endpoint, &["--concurrency", "64"]);
    let zero = analyze(&catalog, &source, &proxy.endpoint, &["--concurrency", "32"]);
    row("replay, no latency", "32", &zero);
    drop(proxy);
    let delayed = s3_server::Proxy::start(s3_server::Faults {
        replay: true,
        latency: std::time::Duration::from_millis(latency_ms),
        ..s3_server::Faults::default()
    });
    analyze(
        &catalog,
        &source,
        &delayed.endpoint,
        &["--concurrency", "64"],
    );
    for level in levels {
        let stats = analyze(
            &catalog,
            &source,
            &delayed.endpoint,
            &["--concurrency", level],
        );
        row(&format!("replay, {latency_ms} ms latency"), level, &stats);
    }
}

fn row(source: &str, concurrency: &str, stats: &[(String, String)]) {
    let get = |k: &str| -> f64 {
        stats
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let secs = get("seconds");
    println!(
        "| {source} | {concurrency} | {secs:.2} s | {:.0} | {:.1} | {:.1} | {:.0} MB |",
        get("files") / secs,
        get("stored_bytes") / 1e6 / secs,
        get("json_bytes") / 1e6 / secs,
        get("peak_rss_bytes") / 1e6
    );
}

/// The `--stats` line of a child `vendortrail analyze` reaching S3 at
/// `endpoint` with dummy credentials, as key/value pairs.
fn analyze(catalog: &Path, source: &str, endpoint: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut cmd = support::command(source, catalog, extra);
    cmd.args(["--endpoint-url", endpoint])
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    support::stats(&mut cmd)
}
