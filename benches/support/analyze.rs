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
    let out = cmd.output().expect("run vendortrail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("stats:"))
        .expect("stats line");
    line.split_whitespace()
        .skip(1)
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
