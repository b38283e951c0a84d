//! Corpus-level tests: determinism, budgets, parseability, layout and an
//! independent recount of the manifest from the written files.

mod cast;
mod corpus;
mod recount;

use std::path::Path;
use std::time::Instant;

use super::{GenerateOptions, Manifest, generate, parse_size};
use corpus::Corpus;

/// The small preset, generated into a fresh temp dir (about half a second).
fn small() -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = GenerateOptions {
        out_dir: dir.path().to_path_buf(),
        ..GenerateOptions::small()
    };
    let manifest = generate(&opts).expect("generate small preset");
    (dir, manifest)
}

/// Every file under `root` with its relative path and bytes, sorted.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = corpus::walk(root)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(root.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn same_options_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ma = generate(&GenerateOptions {
        out_dir: a.path().into(),
        ..GenerateOptions::small()
    })
    .unwrap();
    let mb = generate(&GenerateOptions {
        out_dir: b.path().into(),
        ..GenerateOptions::small()
    })
    .unwrap();
    assert_eq!(ma, mb);
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    assert_eq!(ta.len(), tb.len());
    for ((pa, ba), (pb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa} differs between runs");
    }
    let c = tempfile::tempdir().unwrap();
    let other = GenerateOptions {
        out_dir: c.path().into(),
        seed: 1,
        days: 1,
        ..GenerateOptions::small()
    };
    let mc = generate(&other).unwrap();
    assert_ne!(mc.records, 0);
    assert_ne!(tree(c.path()), ta, "another seed must give another corpus");
}

#[test]
fn small_preset_within_budget() {
    let (dir, m) = &small();
    let total: u64 = tree(dir.path()).iter().map(|(_, b)| b.len() as u64).sum();
    println!(
        "small preset: {} records, {} log files, {total} bytes on disk",
        m.records, m.log_files
    );
    assert!(
        (3_000..=6_000).contains(&m.records),
        "records {}",
        m.records
    );
    assert!(total < 1_500_000, "small corpus is {total} bytes on disk");
    assert!(m.duplicate_deliveries > 0 && m.duplicate_deliveries * 50 < m.records);
    assert!(m.traps.late_deliveries > 0);
    assert!(m.traps.unordered_files > 0);
    assert_eq!(m.traps.multi_member_gzip.len(), 1);
}

#[test]
fn every_file_parses() {
    let (dir, m) = &small();
    let c = Corpus::load(dir.path());
    assert_eq!(c.log_files.len() as u64, m.log_files);
    assert_eq!(c.digests, m.digest_files);
    assert_eq!(c.insight_files, m.insight_files);
    assert_eq!(c.insight_records, m.insight_records);
    for b in &m.broken_files {
        let bytes = std::fs::read(dir.path().join(&b.path)).unwrap();
        assert!(
            corpus::decode_records(&bytes).is_err(),
            "{} ({}) parsed",
            b.path,
            b.reason
        );
    }
    assert_eq!(m.broken_files.len(), 6);
    for rel in &m.iam_exports {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(rel)).unwrap()).unwrap();
        for key in [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ] {
            assert!(v[key].is_array(), "{rel}: {key}");
        }
    }
}

#[test]
fn multi_member_file_needs_a_multi_member_reader() {
    let (dir, m) = &small();
    let path = dir.path().join(&m.traps.multi_member_gzip[0]);
    let bytes = std::fs::read(path).unwrap();
    let mut first = Vec::new();
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut first);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&first).is_err(),
        "first member alone must not parse"
    );
    assert!(corpus::decode_records(&bytes).is_ok());
}

#[test]
fn bench_preset_smoke() {
    let dir = tempfile::tempdir().unwrap();
    let target = 20_000_000;
    let opts = GenerateOptions {
        out_dir: dir.path().into(),
        ..GenerateOptions::bench(target)
    };
    assert!(opts.days >= 30 && opts.padding);
    let t = Instant::now();
    let m = generate(&opts).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let per_record = m.bytes.log_json / (m.records + m.duplicate_deliveries);
    println!(
        "bench preset: {} MB JSON ({} MB gzip) in {secs:.2} s = {:.1} MB/s; {} records, {per_record} B/record",
        m.bytes.log_json / 1_000_000,
        m.bytes.log_gzip / 1_000_000,
        m.bytes.log_json as f64 / secs / 1e6,
        m.records,
    );
    assert!(
        m.bytes.log_json >= target,
        "{} < {target}",
        m.bytes.log_json
    );
    assert!(
        (1_500..=2_600).contains(&per_record),
        "{per_record} bytes per record"
    );
}

#[test]
fn parse_sizes() {
    assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
    assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
    assert_eq!(parse_size("1.5 gb").unwrap(), 1_500_000_000);
    assert_eq!(parse_size("64KiB").unwrap(), 65_536);
    assert_eq!(parse_size("1048576").unwrap(), 1_048_576);
    for bad in ["", "GB", "2XB", "-1MB", "0", "1e9"] {
        assert!(parse_size(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn rejects_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let base = GenerateOptions {
        out_dir: dir.path().into(),
        ..GenerateOptions::small()
    };
    assert!(
        generate(&GenerateOptions {
            start: (2023, 2, 30),
            ..base.clone()
        })
        .is_err()
    );
    assert!(generate(&GenerateOptions { days: 0, ..base }).is_err());
}
