//! Command-line behaviour: bad input never ends the run and is never dropped
//! silently; `--strict` turns it into exit code 2; filters; determinism
//! across thread counts; the usage table.

use std::io::Write;
use std::path::Path;

use crate::common::{analyze_json, catalog_dir, run, shared, vendortrail};

/// The child `analyze --stats` the benchmarks run, and its line parsers.
#[path = "../../benches/support/analyze.rs"]
#[allow(dead_code)] // `stats` serves the benchmarks only
mod analyze_command;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("write");
    enc.finish().expect("finish")
}

/// A folder with one good file and one of each kind of bad input.
fn bad_inputs(dir: &Path) {
    let good = br#"{"Records":[{"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/a","accountId":"111111111111"},"recipientAccountId":"111111111111"}]}"#;
    std::fs::write(dir.join("good.json.gz"), gzip(good)).expect("write");
    let full = gzip(good);
    std::fs::write(dir.join("truncated.json.gz"), &full[..full.len() / 2]).expect("write");
    let mut corrupt = full.clone();
    corrupt[15] ^= 0x55;
    std::fs::write(dir.join("corrupt.json.gz"), corrupt).expect("write");
    std::fs::write(dir.join("invalid.json"), b"{\"Records\":[{\"eventName\":").expect("write");
    std::fs::write(dir.join("norecords.json.gz"), gzip(br#"{"Foo":1}"#)).expect("write");
    std::fs::write(dir.join("empty.json.gz"), b"").expect("write");
    std::fs::write(dir.join("notgzip.gz"), b"hello world").expect("write");
}

#[test]
fn bad_inputs_are_reported_counted_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_inputs(dir.path());
    let missing = dir.path().join("does-not-exist");
    let report = analyze_json(&[dir.path(), &missing], &[]);
    assert_eq!(report.input.files, 1);
    assert_eq!(report.input.events, 1);
    let reasons: Vec<(String, String)> = report
        .input
        .skipped
        .iter()
        .map(|s| {
            (
                Path::new(&s.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                s.reason.clone(),
            )
        })
        .collect();
    let reason_of = |name: &str| {
        reasons
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{name} not reported: {reasons:?}"))
    };
    assert!(
        reason_of("truncated.json.gz").contains("gzip"),
        "{reasons:?}"
    );
    assert!(reason_of("corrupt.json.gz").contains("gzip"), "{reasons:?}");
    assert!(
        reason_of("invalid.json").contains("invalid JSON"),
        "{reasons:?}"
    );
    assert!(
        reason_of("norecords.json.gz").contains("Records"),
        "{reasons:?}"
    );
    assert!(reason_of("empty.json.gz").contains("empty"), "{reasons:?}");
    assert!(
        reason_of("notgzip.gz").contains("neither gzip nor JSON"),
        "{reasons:?}"
    );
    assert!(
        reason_of("does-not-exist").contains("cannot read"),
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 7);
}

#[test]
fn strict_makes_bad_input_exit_2_and_default_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_inputs(dir.path());
    let mut lenient = vendortrail();
    lenient
        .args(["analyze", "--format", "json"])
        .arg(dir.path());
    let out = run(&mut lenient);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be read"));
    let mut strict = vendortrail();
    strict
        .args(["analyze", "--strict", "--format", "json"])
        .arg(dir.path());
    assert_eq!(run(&mut strict).status.code(), Some(2));
}

#[test]
fn without_a_catalog_it_falls_back_to_rules_and_says_so_once() {
    let mut cmd = vendortrail();
    cmd.args(["analyze", "--format", "json"])
        .arg(shared().join("realdata/trailscraper-fixture"));
    let out = run(&mut cmd);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("built-in rules").count(), 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["catalog"]["kind"], "rules");
}

/// A log file copied into a later day's folder is read in its own day's
/// turn, as a walk of everything would order it, so de-duplication still
/// knows its events: with a one-hour window, reading it in the later
/// day's turn, after a day in between made the scan forget them, would
/// count them twice.
#[test]
fn a_copy_in_a_later_day_folder_is_deduplicated_in_its_own_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir
        .path()
        .join("AWSLogs/111111111111/CloudTrail/us-east-1/2024/01");
    let record = |id: &str, time: &str| {
        format!(
            r#"{{"eventID":"{id}","eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/a","accountId":"111111111111"}},"recipientAccountId":"111111111111"}}"#
        )
    };
    let first = format!(
        r#"{{"Records":[{},{}]}}"#,
        record(
            "00000000-0000-4000-8000-000000000001",
            "2024-01-01T00:50:00Z"
        ),
        record(
            "00000000-0000-4000-8000-000000000002",
            "2024-01-01T00:55:00Z"
        )
    );
    let between = format!(
        r#"{{"Records":[{}]}}"#,
        record(
            "00000000-0000-4000-8000-000000000003",
            "2024-01-03T00:55:00Z"
        )
    );
    let later = format!(
        r#"{{"Records":[{}]}}"#,
        record(
            "00000000-0000-4000-8000-000000000004",
            "2024-01-05T00:55:00Z"
        )
    );
    let name = "111111111111_CloudTrail_us-east-1_20240101T0100Z_a.json.gz";
    for (day, file, json) in [
        ("01", name.to_string(), &first),
        (
            "03",
            "111111111111_CloudTrail_us-east-1_20240103T0100Z_b.json.gz".into(),
            &between,
        ),
        (
            "05",
            "111111111111_CloudTrail_us-east-1_20240105T0100Z_c.json.gz".into(),
            &later,
        ),
        ("05", name.to_string(), &first),
    ] {
        std::fs::create_dir_all(base.join(day)).expect("mkdir");
        std::fs::write(base.join(day).join(file), gzip(json.as_bytes())).expect("write");
    }
    let logs = dir.path().join("AWSLogs");
    let report = analyze_json(&[&logs], &["--dedupe-window", "1h"]);
    assert_eq!(report.input.files, 4);
    assert_eq!(report.input.records, 6);
    assert_eq!(report.input.duplicates, 2);
    assert_eq!(report.input.events, 4);
}

/// `--stats` prints the throughput line and the time of each stage, in
/// the order they ran, on stderr, after the report.
#[test]
fn stats_name_the_counts_and_each_stage() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let iam = corpus.join("iam/111111111111.json");
    let iam = iam.to_str().expect("a UTF-8 path");
    let mut cmd = analyze_command::command(corpus.join("AWSLogs"), &catalog_dir(), &["--iam", iam]);
    // No known-accounts list from the user's cache (see `common::vendortrail`).
    let empty_cache =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-empty-cache");
    cmd.env("VENDORTRAIL_CACHE_DIR", empty_cache)
        .env_remove("XDG_CACHE_HOME");
    let stderr = analyze_command::stderr_of(&mut cmd);
    let stats = analyze_command::pairs(&stderr, "stats:");
    let stat = |key: &str| {
        stats
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(stat("files"), Some("544"));
    assert_eq!(stat("records"), Some("3372"));
    let stages = analyze_command::pairs(&stderr, "stages:");
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "iam",
            "catalog",
            "discover",
            "scan",
            "report",
            "compare",
            "parties",
            "attribute",
            "party_grants",
            "findings"
        ]
    );
    for (name, secs) in &stages {
        let secs: f64 = secs.parse().unwrap_or_else(|_| panic!("{name}={secs}"));
        assert!(secs >= 0.0);
    }
}

#[test]
fn invalid_flags_exit_2_with_a_message() {
    let mut cmd = vendortrail();
    cmd.args(["analyze", "--since", "last tuesday", "."]);
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));
    let mut cmd = vendortrail();
    cmd.args(["analyze", "--catalog", "/nonexistent/catalog", "."]);
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("service reference"));
}

#[test]
fn time_window_filters_records_by_event_time() {
    let dir = shared().join("realdata/invictus-aws-dataset");
    let all = analyze_json(&[&dir], &[]);
    let window = analyze_json(
        &[&dir],
        &[
            "--since",
            "2023-07-10T12:00:00Z",
            "--until",
            "2023-07-10T12:10:00Z",
        ],
    );
    // Independent count of the events in the window.
    let (since, until) = ("2023-07-10T12:00:00Z", "2023-07-10T12:10:00Z");
    let mut want = 0;
    for file in crate::common::files_below(&dir) {
        let doc: serde_json::Value =
            serde_json::from_slice(&crate::common::read_maybe_gzip(&file)).expect("json");
        let times = doc["Records"]
            .as_array()
            .expect("records")
            .iter()
            .filter_map(|r| r["eventTime"].as_str());
        want += times.filter(|t| (since..=until).contains(t)).count() as u64;
    }
    assert!(want > 0 && want < all.input.events);
    assert_eq!(window.input.events, want);
    assert!(window.input.first_event.as_deref() >= Some("2023-07-10T12:00:00Z"));
    assert!(window.input.last_event.as_deref() <= Some("2023-07-10T12:10:00Z"));
    // Files delivered before the window are pruned without being opened.
    assert!(window.input.files < all.input.files);
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let dirs = [
        shared().join("realdata/invictus-aws-dataset"),
        shared().join("realdata/panther-analysis-fixtures"),
    ];
    let outputs: Vec<Vec<u8>> = ["1", "2", "5", "8", "2"]
        .iter()
        .map(|threads| {
            let mut cmd = vendortrail();
            cmd.arg("analyze")
                .args(&dirs)
                .args(["--format", "json", "--threads", threads, "--catalog"])
                .arg(catalog_dir());
            let out = run(&mut cmd);
            assert!(out.status.success());
            out.stdout
        })
        .collect();
    for (i, output) in outputs.iter().enumerate().skip(1) {
        assert!(
            outputs[0] == *output,
            "run {i} differs from the single-threaded run"
        );
    }
}

#[test]
fn usage_table_is_written_as_csv_and_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("usage.csv");
    let parquet = dir.path().join("usage.parquet");
    let source = shared().join("realdata/otrf-ec2-proxy-s3-exfiltration");
    for path in [&csv, &parquet] {
        let mut cmd = vendortrail();
        cmd.arg("analyze")
            .arg(&source)
            .args(["--format", "json", "--catalog"])
            .arg(catalog_dir())
            .arg("--usage-out")
            .arg(path);
        assert!(run(&mut cmd).status.success());
    }
    let report = analyze_json(&[&source], &[]);
    let rows: usize = report.principals.iter().map(|p| p.actions.len()).sum();
    let text = std::fs::read_to_string(&csv).expect("csv");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("principal,principal_type,account,outside,action,calls")
    );
    assert_eq!(lines.count(), rows);
    let bytes = std::fs::read(&parquet).expect("parquet");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let mut bad = vendortrail();
    bad.arg("analyze")
        .arg(&source)
        .arg("--usage-out")
        .arg(dir.path().join("usage.xlsx"));
    assert_eq!(run(&mut bad).status.code(), Some(2));
}
