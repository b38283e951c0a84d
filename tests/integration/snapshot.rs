//! The terminal summary (the default `--format table`) compared byte for
//! byte with committed snapshots, so any change to its wording, columns or
//! numbers shows up in review. Regenerate with `UPDATE_SNAPSHOTS=1` when a
//! change is intended, and read the diff.

use std::path::Path;

use crate::common::{assert_snapshot, catalog_dir, corpus, root, run_ok, shared, vendortrail};

/// Runs `analyze <source> --catalog <shared>` and returns its stdout,
/// asserting success and that it names no path of this machine.
fn summary(source: &Path) -> String {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(source)
        .arg("--catalog")
        .arg(catalog_dir());
    let out = run_ok(&mut cmd);
    let text = String::from_utf8(out.stdout).expect("UTF-8 summary");
    let here = root().display().to_string();
    assert!(
        !text.contains(&here),
        "the summary names a local path ({here}), so it cannot be a snapshot:\n{text}"
    );
    text
}

#[test]
fn corpus_summary_matches_snapshot() {
    let text = summary(&corpus().join("AWSLogs"));
    assert_snapshot("analyze_corpus.txt", &text);
}

#[test]
fn invictus_summary_matches_snapshot() {
    let text = summary(&shared().join("realdata/invictus-aws-dataset"));
    assert_snapshot("analyze_invictus.txt", &text);
}

/// The Markdown vendor access review of the corpus, with its registry and
/// IAM exports.
#[test]
fn corpus_review_matches_snapshot() {
    let mut cmd = vendortrail();
    cmd.arg("analyze")
        .arg(corpus().join("AWSLogs"))
        .arg("--catalog")
        .arg(catalog_dir())
        .arg("--vendors")
        .arg(root().join("testdata/vendors.toml"))
        .args(["--format", "markdown"]);
    for account in ["111111111111", "222222222222", "333333333333"] {
        cmd.arg("--iam")
            .arg(corpus().join(format!("iam/{account}.json")));
    }
    let out = run_ok(&mut cmd);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(!text.contains(&root().display().to_string()));
    assert_snapshot("review_corpus.md", &text);
}
