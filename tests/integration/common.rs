//! Helpers: run the binary, find the shared data, decode its JSON output
//! into test-side types (independent of the crate's own wire structs, as
//! ripgrep's tests do), and compare snapshots.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `shared/` beside the clone: reference data and real logs (never committed).
pub fn shared() -> PathBuf {
    root().join("../shared")
}

/// The AWS service reference in the endpoint layout.
pub fn catalog_dir() -> PathBuf {
    shared().join("data/service-reference/v1")
}

/// The committed generated corpus.
pub fn corpus() -> PathBuf {
    root().join("testdata/corpus")
}

/// A `vendortrail` command with a scrubbed environment: no user cache, no
/// progress bar.
pub fn vendortrail() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vendortrail"));
    cmd.env(
        "VENDORTRAIL_CACHE_DIR",
        root().join("target/test-empty-cache"),
    );
    cmd.env_remove("XDG_CACHE_HOME");
    cmd
}

/// Runs and returns the output, whatever the exit code.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run vendortrail")
}

/// Runs, asserts exit code 0 (showing stderr otherwise), returns the output.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "exit {:?}; stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `analyze --format json --catalog <shared>` on `sources` plus `extra`
/// flags, asserting success, and decodes the report.
pub fn analyze_json(sources: &[&Path], extra: &[&str]) -> JsonReport {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .args(sources)
        .args(["--format", "json", "--catalog"])
        .arg(catalog_dir())
        .args(extra);
    let out = run_ok(&mut cmd);
    serde_json::from_slice(&out.stdout).expect("valid JSON report")
}

/// Reads a gzip or plain file into bytes.
pub fn read_maybe_gzip(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        bytes
    }
}

/// Every file below `dir`, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Compares `actual` with `tests/integration/snapshots/<name>`; with
/// `UPDATE_SNAPSHOTS=1` writes it instead.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/integration/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(10)
            .map(|(i, (e, a))| format!("line {}:\n- {e}\n+ {a}", i + 1))
            .collect();
        panic!(
            "snapshot {name} differs ({} vs {} lines); rerun with UPDATE_SNAPSHOTS=1 if intended\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// Test-side view of the JSON report (schema version 1).
#[derive(Debug, Deserialize)]
pub struct JsonReport {
    pub schema_version: u32,
    pub catalog: JsonCatalog,
    pub input: JsonInput,
    pub own_accounts: Vec<String>,
    pub principals: Vec<JsonPrincipal>,
    pub issued_sessions: Vec<JsonIssued>,
}

#[derive(Debug, Deserialize)]
pub struct JsonCatalog {
    pub kind: String,
}

#[derive(Debug, Deserialize)]
pub struct JsonSkipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
pub struct JsonInput {
    pub files: u64,
    pub records: u64,
    pub events: u64,
    pub duplicates: u64,
    pub insight_records: u64,
    pub digest_files: u64,
    pub insight_files: u64,
    pub outside_time_window: u64,
    pub outside_account_or_region: u64,
    pub bad_records: u64,
    pub pruned: std::collections::BTreeMap<String, u64>,
    pub skipped: Vec<JsonSkipped>,
    pub by_identity_type: std::collections::BTreeMap<String, u64>,
    pub by_error_code: std::collections::BTreeMap<String, u64>,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JsonValues {
    pub distinct: u64,
    pub estimated: bool,
    pub samples: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct JsonPrincipal {
    pub arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub account: Option<String>,
    pub outside: bool,
    pub events: u64,
    pub denied: u64,
    pub errors: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub actions: Vec<JsonAction>,
    pub sessions: Vec<JsonSession>,
}

#[derive(Debug, Deserialize)]
pub struct JsonAction {
    pub action: String,
    pub calls: u64,
    pub denied: u64,
    pub errors: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub needs_permission: bool,
    pub mapped_by: String,
    pub resources: JsonValues,
    pub source_ips: JsonValues,
    pub sample_event_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct JsonSession {
    pub access_key_id: String,
    pub names: Vec<String>,
    pub events: u64,
    pub denied: u64,
    pub mfa: Option<bool>,
    pub actions: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
pub struct JsonIssued {
    pub access_key_id: String,
    pub via: String,
    pub role_arn: Option<String>,
    pub caller: String,
    pub caller_type: String,
    pub caller_account: Option<String>,
    pub external_id: Option<String>,
}
