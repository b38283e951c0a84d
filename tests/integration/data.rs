//! `vendortrail data update` / `data status` through the CLI, from a local
//! copy (the HTTP path is tested against a loopback server in
//! `src/refdata`), and `analyze` using the cached catalog without `--catalog`.

use crate::common::{catalog_dir, run, shared, vendortrail};

#[test]
fn update_then_status_then_analyze_uses_the_cache() {
    let cache = tempfile::tempdir().expect("tempdir");
    let mut status = vendortrail();
    status
        .args(["data", "status", "--cache-dir"])
        .arg(cache.path());
    let before = run(&mut status);
    assert!(before.status.success());
    let before = String::from_utf8_lossy(&before.stdout).to_string();

    let mut update = vendortrail();
    update
        .args(["data", "update", "--source"])
        .arg(catalog_dir())
        .arg("--known-accounts-source")
        .arg(shared().join("data/known_accounts/accounts.yaml"))
        .arg("--cache-dir")
        .arg(cache.path());
    let out = run(&mut update);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("466 services"));

    let after = run(&mut status);
    let after = String::from_utf8_lossy(&after.stdout).to_string();
    assert_ne!(before, after, "status changes once something is cached");
    assert!(after.contains("466"), "{after}");

    let mut analyze = vendortrail();
    analyze
        .args(["analyze", "--format", "json", "--cache-dir"])
        .arg(cache.path())
        .arg(shared().join("realdata/trailscraper-fixture"));
    let out = run(&mut analyze);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["catalog"]["kind"], "service-reference");
    assert_eq!(report["catalog"]["services"], 466);
}

#[test]
fn a_failed_update_keeps_the_previous_cache_and_exits_2() {
    let cache = tempfile::tempdir().expect("tempdir");
    let mut update = vendortrail();
    update
        .args(["data", "update", "--source"])
        .arg(cache.path().join("missing"))
        .arg("--cache-dir")
        .arg(cache.path());
    let out = run(&mut update);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not updated"));
}
