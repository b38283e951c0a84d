//! `analyze s3://...` against a real S3-compatible server (moto), directly
//! and through a fault-injecting proxy: the S3 run of a bucket gives the same
//! JSON as the local run of the same files, lists only what the filters
//! need, survives throttling and dropped connections, names what it could
//! not read, and with `--cache` fetches only new objects.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{catalog_dir, corpus, root, run, run_ok, vendortrail};
use crate::s3_server::{Faults, Proxy, Seen, create_bucket, create_bucket_in, moto, upload_tree};

/// A `vendortrail` command that reaches S3 only through `endpoint`, with
/// dummy credentials and no profile, metadata service or user config.
fn s3_command() -> Command {
    let mut cmd = vendortrail();
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/vendortrail-test")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/vendortrail-test",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// `analyze <source> --format json` plus `extra`, through `endpoint`.
fn analyze(endpoint: &str, source: &str, extra: &[&str]) -> Output {
    let mut cmd = s3_command();
    cmd.arg("analyze")
        .arg(source)
        .args(["--format", "json", "--no-progress", "--stats"])
        .arg("--endpoint-url")
        .arg(endpoint)
        .arg("--catalog")
        .arg(catalog_dir())
        .args(extra);
    run(&mut cmd)
}

fn analyze_ok(endpoint: &str, source: &str, extra: &[&str]) -> Value {
    let out = analyze(endpoint, source, extra);
    assert!(
        out.status.success(),
        "exit {:?}; stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// The local run of `dir`, as JSON.
fn analyze_local(dir: &Path, extra: &[&str]) -> Value {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(dir)
        .args(["--format", "json", "--no-progress", "--catalog"])
        .arg(catalog_dir())
        .args(extra);
    serde_json::from_slice(&run_ok(&mut cmd).stdout).expect("JSON report")
}

/// A report with what necessarily differs between a local and an S3 run
/// taken out: the sources named, and the digest and Insight trees (counted
/// file by file locally; not listed at all from S3, see `skipped_prefixes`).
/// Paths are rewritten from `local_root` to `s3_root`.
fn comparable(mut report: Value, local_root: &str, s3_root: &str) -> String {
    let input = report["input"].as_object_mut().expect("input");
    for field in [
        "sources",
        "digest_files",
        "insight_files",
        "skipped_prefixes",
    ] {
        input.remove(field);
    }
    serde_json::to_string_pretty(&report)
        .expect("serialise")
        .replace(local_root, s3_root)
}

/// The committed corpus's `AWSLogs` tree in a bucket of its own (uploaded
/// once per test binary).
fn corpus_bucket() -> &'static str {
    static UPLOADED: OnceLock<()> = OnceLock::new();
    UPLOADED.get_or_init(|| {
        create_bucket("corpus");
        upload_tree("corpus", "AWSLogs/", &corpus().join("AWSLogs"), &|_| true);
    });
    "corpus"
}

fn local_corpus_logs() -> String {
    format!("{}/", corpus().join("AWSLogs").display())
}

#[test]
fn an_s3_run_of_the_committed_corpus_equals_the_local_run() {
    let bucket = corpus_bucket();
    let s3 = analyze_ok(&moto().endpoint, &format!("s3://{bucket}/AWSLogs/"), &[]);
    let local = analyze_local(&corpus().join("AWSLogs"), &[]);
    assert!(local["input"]["events"].as_u64().unwrap_or(0) > 1000);
    assert_eq!(
        comparable(
            s3.clone(),
            &local_corpus_logs(),
            &format!("s3://{bucket}/AWSLogs/")
        ),
        comparable(
            local,
            &local_corpus_logs(),
            &format!("s3://{bucket}/AWSLogs/")
        ),
    );
    // The digest and Insight trees were not listed, but are named.
    let skipped = s3["input"]["skipped_prefixes"]
        .as_array()
        .expect("skipped_prefixes");
    assert!(
        skipped.iter().any(|p| p
            .as_str()
            .is_some_and(|p| p.ends_with("/CloudTrail-Digest/"))),
        "{skipped:?}"
    );
    assert_eq!(s3["input"]["digest_files"], 0);
}

#[test]
fn a_bucket_named_without_prefix_or_with_a_partial_one_reads_the_same() {
    let bucket = corpus_bucket();
    let whole = analyze_ok(&moto().endpoint, &format!("s3://{bucket}"), &[]);
    let folder = analyze_ok(&moto().endpoint, &format!("s3://{bucket}/AWSLogs"), &[]);
    assert_eq!(whole["principals"], folder["principals"]);
    assert_eq!(whole["input"]["files"], folder["input"]["files"]);
}

#[test]
fn a_time_window_lists_only_its_day_prefixes() {
    let bucket = corpus_bucket();
    let proxy = Proxy::start(Faults::default());
    // One day, and no delivery margin: the day's folders, nothing later.
    let window = [
        "--since",
        "2024-03-05T00:00:00Z",
        "--until",
        "2024-03-05T23:59:59Z",
        "--delivery-lag",
        "0m",
    ];
    let s3 = analyze_ok(&proxy.endpoint, &format!("s3://{bucket}/AWSLogs/"), &window);
    let lists: Vec<Seen> = proxy.seen().into_iter().filter(Seen::is_list).collect();
    let prefixes: Vec<String> = lists
        .iter()
        .map(|l| l.param("prefix").unwrap_or_default())
        .collect();
    // Every list call used the delimiter: the bucket was never listed flat.
    assert!(
        lists
            .iter()
            .all(|l| l.param("delimiter").as_deref() == Some("/"))
    );
    // Day folders listed: exactly the 2024/03/05 ones that exist.
    let day_lists: Vec<&String> = prefixes
        .iter()
        .filter(|p| p.split('/').filter(|c| !c.is_empty()).count() >= 3 && is_day_folder(p))
        .collect();
    assert!(!day_lists.is_empty());
    assert!(
        day_lists.iter().all(|p| p.ends_with("2024/03/05/")),
        "{day_lists:?}"
    );
    let existing_days = day_folders(&corpus().join("AWSLogs"), "2024/03/05");
    assert_eq!(day_lists.len(), existing_days, "{prefixes:#?}");
    // No digest or Insight tree was entered.
    assert!(prefixes.iter().all(|p| !p.contains("CloudTrail-Digest")));
    // The tool counts the same list calls the proxy saw.
    // And the events are those of the local run with the same window.
    let local = analyze_local(&corpus().join("AWSLogs"), &window);
    assert_eq!(s3["principals"], local["principals"]);
    assert_eq!(s3["input"]["events"], local["input"]["events"]);
}

/// True for `.../YYYY/MM/DD/`.
fn is_day_folder(prefix: &str) -> bool {
    let parts: Vec<&str> = prefix.split('/').filter(|c| !c.is_empty()).collect();
    matches!(parts.as_slice(), [.., y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
            && [y, m, d].iter().all(|c| c.bytes().all(|b| b.is_ascii_digit())))
}

/// How many `CloudTrail/<region>/<day>` folders exist under `logs`.
fn day_folders(logs: &Path, day: &str) -> usize {
    let mut found = 0;
    let mut stack = vec![logs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let text = dir.to_string_lossy();
        if text.ends_with(day) && text.contains("/CloudTrail/") {
            found += 1;
            continue;
        }
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    found
}

#[test]
fn an_account_filter_never_lists_other_accounts() {
    let bucket = corpus_bucket();
    let proxy = Proxy::start(Faults::default());
    analyze_ok(
        &proxy.endpoint,
        &format!("s3://{bucket}/AWSLogs/"),
        &["--account", "333333333333"],
    );
    let prefixes: Vec<String> = proxy
        .seen()
        .iter()
        .filter(|s| s.is_list())
        .map(|l| l.param("prefix").unwrap_or_default())
        .collect();
    let accounts: Vec<&str> = prefixes
        .iter()
        .flat_map(|p| p.split('/'))
        .filter(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert!(!accounts.is_empty());
    assert!(
        accounts.iter().all(|a| *a == "333333333333"),
        "{prefixes:#?}"
    );
}

#[test]
fn a_wrong_bucket_a_missing_prefix_and_denied_access_are_clear_errors() {
    let bucket = corpus_bucket();
    let no_bucket = analyze(&moto().endpoint, "s3://no-such-bucket-here/AWSLogs/", &[]);
    assert_eq!(no_bucket.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_bucket.stderr);
    assert!(
        stderr.contains("s3://no-such-bucket-here: no such bucket"),
        "{stderr}"
    );

    let missing = analyze(
        &moto().endpoint,
        &format!("s3://{bucket}/AWSLogs/o-nothing/"),
        &[],
    );
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no objects under this prefix"), "{stderr}");

    let proxy = Proxy::start(Faults {
        deny_bucket: Some(bucket.to_string()),
        ..Faults::default()
    });
    let denied = analyze(&proxy.endpoint, &format!("s3://{bucket}/AWSLogs/"), &[]);
    assert_eq!(denied.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(stderr.contains("access denied"), "{stderr}");
    assert!(stderr.contains("s3:ListBucket"), "{stderr}");

    let bad = analyze(&moto().endpoint, "s3://Not_A_Bucket/x", &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an S3 location"));
}

#[test]
fn throttling_and_dropped_connections_are_survived() {
    let bucket = corpus_bucket();
    let proxy = Proxy::start(Faults {
        throttle_every: 7,
        drop_body_every: 5,
        ..Faults::default()
    });
    let out = analyze(
        &proxy.endpoint,
        &format!("s3://{bucket}/AWSLogs/"),
        &["--concurrency", "8"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s3: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(s3["input"]["skipped"], Value::Array(vec![]));
    let local = analyze_local(&corpus().join("AWSLogs"), &[]);
    let s3_root = format!("s3://{bucket}/AWSLogs/");
    assert_eq!(
        comparable(s3, &local_corpus_logs(), &s3_root),
        comparable(local, &local_corpus_logs(), &s3_root)
    );
    // Faults really happened: some requests were answered 503 and some
    // bodies cut, and the tool retried them.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let retries = stat(&stderr, "body_retries");
    assert!(retries > 0, "{stderr}");
    let gets = proxy.seen().iter().filter(|s| s.is_get_object()).count() as u64;
    assert!(
        gets > stat(&stderr, "fetched_objects"),
        "{gets} GETs for {stderr}"
    );
}

/// A counter from the `s3:` line of `--stats`.
fn stat(stderr: &str, name: &str) -> u64 {
    stderr
        .lines()
        .find(|l| l.starts_with("s3:"))
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {stderr}"))
}

#[test]
fn an_object_that_keeps_failing_is_named_counted_and_skipped() {
    let bucket = corpus_bucket();
    let logs = corpus().join("AWSLogs");
    let victim = first_log_key(&logs);
    let proxy = Proxy::start(Faults {
        fail_key: Some(victim.rsplit('/').next().expect("name").to_string()),
        ..Faults::default()
    });
    let s3 = analyze_ok(&proxy.endpoint, &format!("s3://{bucket}/AWSLogs/"), &[]);
    let skipped = s3["input"]["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(
        skipped[0]["path"],
        format!("s3://{bucket}/AWSLogs/{victim}")
    );
    let reason = skipped[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("InternalError"), "{reason}");
    let local = analyze_local(&logs, &[]);
    assert_eq!(
        s3["input"]["files"].as_u64().expect("files") + 1,
        local["input"]["files"].as_u64().expect("files")
    );
    // --strict makes it an error.
    let strict = analyze(
        &proxy.endpoint,
        &format!("s3://{bucket}/AWSLogs/"),
        &["--strict"],
    );
    assert_eq!(strict.status.code(), Some(2));
}

/// The key (relative to `AWSLogs/`) of the first log file under `logs`.
fn first_log_key(logs: &Path) -> String {
    let mut files = Vec::new();
    let mut stack = vec![logs.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("/CloudTrail/") {
                files.push(path);
            }
        }
    }
    files.sort();
    let first: &PathBuf = files.first().expect("a log file");
    first
        .strip_prefix(logs)
        .expect("relative")
        .to_string_lossy()
        .into_owned()
}

/// A generated corpus of thousands of objects, in its own bucket.
fn generated() -> &'static (PathBuf, &'static str) {
    static GENERATED: OnceLock<(PathBuf, &'static str)> = OnceLock::new();
    GENERATED.get_or_init(|| {
        let dir = root().join("target/test-s3-generated");
        if !dir.join("manifest.json").exists() {
            let _ = std::fs::remove_dir_all(&dir);
            run_ok(
                vendortrail()
                    .args(["generate", "--preset", "bench", "--size", "25MB", "--out"])
                    .arg(&dir),
            );
        }
        create_bucket("generated");
        upload_tree("generated", "AWSLogs/", &dir.join("AWSLogs"), &|_| true);
        (dir, "generated")
    })
}

#[test]
fn an_s3_run_of_thousands_of_objects_equals_the_local_run() {
    let (dir, bucket) = generated();
    let logs = dir.join("AWSLogs");
    let s3 = analyze_ok(&moto().endpoint, &format!("s3://{bucket}/AWSLogs/"), &[]);
    let local = analyze_local(&logs, &[]);
    let files = local["input"]["files"].as_u64().expect("files");
    assert!(files >= 2000, "{files} objects");
    let local_root = format!("{}/", logs.display());
    let s3_root = format!("s3://{bucket}/AWSLogs/");
    assert_eq!(
        comparable(s3, &local_root, &s3_root),
        comparable(local, &local_root, &s3_root)
    );
}

#[test]
fn with_a_cache_the_next_review_fetches_only_new_objects() {
    // The committed corpus without its last delivery day, then that day.
    create_bucket("incremental");
    let logs = corpus().join("AWSLogs");
    let last_day = "/2024/03/06/";
    let old = upload_tree("incremental", "AWSLogs/", &logs, &|k| !k.contains(last_day));
    let cache = tempfile::tempdir().expect("cache dir");
    let cache_arg = cache.path().to_str().expect("utf-8");
    let proxy = Proxy::start(Faults::default());
    let source = "s3://incremental/AWSLogs/";
    let first = analyze_ok(&proxy.endpoint, source, &["--cache", cache_arg]);
    let first_gets = proxy.seen().iter().filter(|s| s.is_get_object()).count();
    let old_logs = old.iter().filter(|k| k.contains("/CloudTrail/")).count();
    assert_eq!(first_gets, old_logs);
    // Same answer as without a cache.
    assert_eq!(first, analyze_ok(&moto().endpoint, source, &[]));

    let new = upload_tree("incremental", "AWSLogs/", &logs, &|k| k.contains(last_day));
    let new_logs: Vec<&String> = new.iter().filter(|k| k.contains("/CloudTrail/")).collect();
    assert!(!new_logs.is_empty());
    proxy.clear();
    let second = analyze_ok(&proxy.endpoint, source, &["--cache", cache_arg]);
    let fetched: Vec<String> = proxy
        .seen()
        .iter()
        .filter(|s| s.is_get_object())
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(fetched.len(), new_logs.len(), "{fetched:#?}");
    assert!(fetched.iter().all(|p| p.contains(last_day)));
    let cold = analyze_ok(&moto().endpoint, source, &[]);
    assert_eq!(second, cold);
    assert_ne!(second["input"]["events"], first["input"]["events"]);
}

#[test]
fn the_bucket_region_is_found_and_the_endpoint_can_come_from_the_environment() {
    create_bucket_in("frankfurt", "eu-central-1");
    let logs = corpus().join("AWSLogs/333333333333");
    upload_tree("frankfurt", "AWSLogs/333333333333/", &logs, &|_| true);
    let proxy = Proxy::start(Faults::default());
    // No --endpoint-url: AWS_ENDPOINT_URL_S3 names the proxy; the client
    // starts in us-east-1 (AWS_REGION) and must move to the bucket's Region.
    let mut cmd = s3_command();
    cmd.env("AWS_ENDPOINT_URL_S3", &proxy.endpoint)
        .arg("analyze")
        .arg("s3://frankfurt/AWSLogs/")
        .args(["--format", "json", "--no-progress", "--catalog"])
        .arg(catalog_dir());
    let s3: Value = serde_json::from_slice(&run_ok(&mut cmd).stdout).expect("JSON");
    let local = analyze_local(&logs, &[]);
    assert_eq!(s3["principals"], local["principals"]);
    let seen = proxy.seen();
    let gets: Vec<&Seen> = seen.iter().filter(|s| s.is_get_object()).collect();
    assert!(!gets.is_empty());
    assert!(
        gets.iter()
            .chain(
                seen.iter()
                    .filter(|s| s.is_list())
                    .collect::<Vec<_>>()
                    .iter()
            )
            .all(|s| s.signed_for.as_deref() == Some("eu-central-1")),
        "{seen:#?}"
    );
}

#[test]
fn each_delivery_day_is_listed_only_after_the_previous_day_is_read() {
    let bucket = corpus_bucket();
    let proxy = Proxy::start(Faults::default());
    analyze_ok(&proxy.endpoint, &format!("s3://{bucket}/AWSLogs/"), &[]);
    let seen = proxy.seen();
    // The day (YYYY/MM/DD) of a day-folder listing or of a GET's key.
    let day_of = |s: &Seen| -> Option<String> {
        let text = if s.is_list() {
            s.param("prefix")?
        } else if s.is_get_object() {
            s.path.clone()
        } else {
            return None;
        };
        let parts: Vec<&str> = text.split('/').collect();
        parts
            .windows(3)
            .find(|w| {
                w[0].len() == 4
                    && w[1].len() == 2
                    && w[2].len() == 2
                    && w.iter().all(|c| c.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|w| w.join("/"))
    };
    let mut days: Vec<String> = seen.iter().filter_map(day_of).collect();
    days.sort();
    days.dedup();
    assert!(days.len() >= 3, "{days:?}");
    let mut checked = 0;
    for pair in days.windows(2) {
        let last_get_of_earlier = seen
            .iter()
            .rposition(|s| s.is_get_object() && day_of(s).as_deref() == Some(&pair[0]));
        let first_list_of_later = seen.iter().position(|s| {
            s.is_list()
                && is_day_folder(&s.param("prefix").unwrap_or_default())
                && day_of(s).as_deref() == Some(&pair[1])
        });
        if let (Some(get), Some(list)) = (last_get_of_earlier, first_list_of_later) {
            assert!(get < list, "{} listed before {} was read", pair[1], pair[0]);
            checked += 1;
        }
    }
    assert!(checked >= 2, "{days:?}");
}
