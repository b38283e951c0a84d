//! Test-side reader of a generated corpus: decodes every file with
//! `serde_json::Value`, independently of the generator's types.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::Value;

/// All files under `root`, as `/`-separated relative paths.
pub(super) fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    out
}

/// Decompresses (all gzip members) and returns the `Records` array.
pub(super) fn decode_records(bytes: &[u8]) -> Result<(usize, Vec<Value>), String> {
    let mut json = Vec::new();
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut json)
        .map_err(|e| format!("gzip: {e}"))?;
    let doc: Value = serde_json::from_slice(&json).map_err(|e| format!("json: {e}"))?;
    match doc.get("Records") {
        Some(Value::Array(records)) => Ok((json.len(), records.clone())),
        _ => Err("no Records array".to_owned()),
    }
}

/// One decoded log file.
pub(super) struct LogFile {
    /// Relative path.
    pub(super) rel: String,
    /// Its records.
    pub(super) records: Vec<Value>,
    /// Uncompressed size.
    pub(super) json_len: u64,
    /// Compressed size.
    pub(super) gz_len: u64,
}

/// A decoded corpus.
pub(super) struct Corpus {
    /// Log files under `…/CloudTrail/`.
    pub(super) log_files: Vec<LogFile>,
    /// Digest files (each parsed and checked for `logFiles`).
    pub(super) digests: u64,
    /// Insight files.
    pub(super) insight_files: u64,
    /// Insight records.
    pub(super) insight_records: u64,
    /// Every relative path under `AWSLogs/`.
    pub(super) keys: Vec<String>,
}

impl Corpus {
    /// Reads and decodes every file under `root/AWSLogs`.
    pub(super) fn load(root: &Path) -> Self {
        let mut c = Corpus {
            log_files: Vec::new(),
            digests: 0,
            insight_files: 0,
            insight_records: 0,
            keys: Vec::new(),
        };
        for rel in walk(root).into_iter().filter(|r| r.starts_with("AWSLogs/")) {
            let bytes = std::fs::read(root.join(&rel)).unwrap();
            if rel.contains("/CloudTrail-Digest/") {
                let mut json = Vec::new();
                MultiGzDecoder::new(&bytes[..])
                    .read_to_end(&mut json)
                    .unwrap();
                let doc: Value = serde_json::from_slice(&json).unwrap();
                assert!(doc["logFiles"].is_array(), "{rel}");
                c.digests += 1;
            } else if rel.contains("/CloudTrail-Insight/") {
                let (_, records) = decode_records(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
                assert!(records.iter().all(|r| r["eventCategory"] == "Insight" && r.get("userIdentity").is_none()));
                c.insight_files += 1;
                c.insight_records += records.len() as u64;
            } else {
                let (json_len, records) =
                    decode_records(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
                c.log_files.push(LogFile {
                    rel: rel.clone(),
                    records,
                    json_len: json_len as u64,
                    gz_len: bytes.len() as u64,
                });
            }
            c.keys.push(rel);
        }
        c
    }
}

/// Parts of a parsed object key.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Key<'a> {
    /// Organisation ID, for org trails.
    pub(super) org: Option<&'a str>,
    /// Account.
    pub(super) account: &'a str,
    /// `CloudTrail`, `CloudTrail-Digest` or `CloudTrail-Insight`.
    pub(super) kind: &'a str,
    /// Region.
    pub(super) region: &'a str,
    /// `YYYYMMDD` from the folders.
    pub(super) date: String,
}

/// True when `s` is `n` ASCII digits.
fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a key of the documented layout without regular expressions;
/// `None` when any part is off.
pub(super) fn parse_key(key: &str) -> Option<Key<'_>> {
    let mut parts: Vec<&str> = key.split('/').collect();
    if parts.first() != Some(&"AWSLogs") {
        return None;
    }
    let org = parts.get(1).filter(|p| p.starts_with("o-")).copied();
    if org.is_some() {
        parts.remove(1);
    }
    let [_, account, kind, region, y, m, d, file] = parts[..] else {
        return None;
    };
    let date_ok = digits(y, 4) && digits(m, 2) && digits(d, 2);
    if !digits(account, 12)
        || !date_ok
        || !matches!(
            kind,
            "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight"
        )
    {
        return None;
    }
    let date = format!("{y}{m}{d}");
    parse_file_name(file, account, kind, region, &date)?;
    Some(Key {
        org,
        account,
        kind,
        region,
        date,
    })
}

/// Checks `<acct>_<kind>_<region>_…json.gz` against the folder values.
fn parse_file_name(file: &str, account: &str, kind: &str, region: &str, date: &str) -> Option<()> {
    let stem = file.strip_suffix(".json.gz")?;
    let rest = stem.strip_prefix(&format!("{account}_{kind}_{region}_"))?;
    let fields: Vec<&str> = rest.split('_').collect();
    let stamp = match (kind, &fields[..]) {
        ("CloudTrail-Digest", [_trail, home, stamp]) if home.contains('-') => {
            (stamp.len() == 16 && &stamp[8..9] == "T" && stamp.ends_with('Z')).then_some(*stamp)?
        }
        (_, [stamp, random]) => {
            let ok = stamp.len() == 14 && &stamp[8..9] == "T" && stamp.ends_with('Z');
            (ok && random.len() == 16 && random.bytes().all(|b| b.is_ascii_alphanumeric()))
                .then_some(*stamp)?
        }
        _ => return None,
    };
    (digits(&stamp[..8], 8) && &stamp[..8] == date).then_some(())
}
