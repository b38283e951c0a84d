//! The child `vendortrail analyze` the benchmarks time: it reports its own
//! wall time and peak RSS on its `--stats` line.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// `vendortrail analyze <source> --format json -o /dev/null --stats
/// --no-progress --catalog <catalog>` plus `extra`, for the caller to add to.
pub fn command(source: impl AsRef<OsStr>, catalog: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vendortrail"));
    cmd.arg("analyze")
        .arg(source)
        .args([
            "--format",
            "json",
            "-o",
            "/dev/null",
            "--stats",
            "--no-progress",
            "--catalog",
        ])
        .arg(catalog)
        .args(extra);
    cmd
}

/// Runs the command, asserting success, and returns its `--stats` line as
/// key/value pairs.
pub fn stats(cmd: &mut Command) -> Vec<(String, String)> {
    pairs(&stderr_of(cmd), "stats:")
}

/// Runs the command, asserting success, and returns its stderr.
pub fn stderr_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run vendortrail");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// The `key=value` pairs of the stderr line starting with `prefix`
/// (`stats:`, `stages:`), in order.
pub fn pairs(stderr: &str, prefix: &str) -> Vec<(String, String)> {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{stderr}"));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
