//! `--cache DIR`: each S3 object's contribution to the usage, kept between
//! runs so a periodic review fetches and decodes only new objects.
//!
//! An entry is keyed by bucket, key and ETag (an object rewritten in place
//! gets a new ETag, and so a miss), under a folder named by a fingerprint of
//! everything else that shapes a contribution: the tool version, the record
//! filters and the action catalog. Entries are gzipped JSON written to a
//! temporary name and renamed, so a crash never leaves half an entry; an
//! entry that cannot be read is treated as a miss and rewritten.
//!
//! What an entry holds is the object's *contribution* to the cold run's
//! usage, not its whole content: with de-duplication, an event delivered in
//! two objects counts in only one of them. So each entry also keeps the
//! event keys the object counted (`won`) and those it found counted already
//! (`lost`). The scan replays the claims in delivery order (see
//! [`crate::pipeline`]) and uses an entry only while they still hold; when
//! they do not (a late-delivered object now counts an event first), the
//! object is fetched and decoded again. The result therefore equals a cold
//! run's, which the tests check.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hash::hash_str;
use crate::source::{Location, LogObject};
use crate::usage::Usage;

/// Bumped whenever the entry or [`Usage`] layout changes, or what an
/// object decodes to. 2: a principal's `issued_keys` is a list of
/// `[key, count]` pairs, not a map. 3: a value holding bytes that are not
/// UTF-8 is read with U+FFFD in their place, not as absent.
const FORMAT: u32 = 3;

/// One object's contribution, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// `s3://bucket/key`, to catch a hash collision of names.
    pub location: String,
    /// The object's ETag.
    pub etag: String,
    /// Event keys this object counted.
    pub won: Vec<u64>,
    /// Event keys this object held but found counted already.
    pub lost: Vec<u64>,
    /// The usage it added.
    pub usage: Usage,
}

/// A cache directory for one fingerprint.
#[derive(Debug, Clone)]
pub struct ObjectCache {
    dir: PathBuf,
}

impl ObjectCache {
    /// Opens (creating) the cache under `root` for runs with this
    /// `fingerprint` (see [`fingerprint`]).
    pub fn open(root: &Path, fingerprint: &str) -> std::io::Result<ObjectCache> {
        let dir = root.join(format!("v{FORMAT}-{fingerprint}"));
        std::fs::create_dir_all(&dir)?;
        Ok(ObjectCache { dir })
    }

    /// Where an object's entry lives; `None` for objects the cache does not
    /// keep (local files, S3 objects listed without an ETag).
    fn path_of(&self, object: &LogObject) -> Option<PathBuf> {
        let Location::S3 { .. } = &object.location else {
            return None;
        };
        // The ETag is in the name, so whether an object is cached is one
        // `stat`, and a rewritten object simply misses.
        let etag = object.etag.as_ref()?;
        let name = format!(
            "{:016x}-{:016x}.json.gz",
            hash_str(&object.location.to_string()),
            hash_str(etag)
        );
        Some(self.dir.join(name))
    }

    /// True if an entry for this object and ETag exists.
    pub fn has(&self, object: &LogObject) -> bool {
        self.path_of(object).is_some_and(|p| p.is_file())
    }

    /// The object's entry, if one was stored for this exact ETag.
    pub fn load(&self, object: &LogObject) -> Option<Entry> {
        let stored = std::fs::read(self.path_of(object)?).ok()?;
        let json = crate::cloudtrail::decode::decompress(&stored).ok()?;
        let entry: Entry = serde_json::from_slice(&json).ok()?;
        let same = entry.location == object.location.to_string()
            && Some(&entry.etag) == object.etag.as_ref();
        same.then_some(entry)
    }

    /// Stores an entry for the object (its ETag is taken from the object).
    pub fn store(&self, object: &LogObject, entry: &Entry) -> std::io::Result<()> {
        let Some(path) = self.path_of(object) else {
            return Ok(());
        };
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        {
            let file = std::fs::File::create(&tmp)?;
            let mut gz = flate2::write::GzEncoder::new(
                std::io::BufWriter::new(file),
                flate2::Compression::fast(),
            );
            serde_json::to_writer(&mut gz, entry)?;
            gz.finish()?.flush()?;
        }
        std::fs::rename(&tmp, &path)
    }
}

/// A short hex fingerprint of what shapes a contribution besides the
/// object: pass the filters, catalog and anything else as text.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut text = format!("vendortrail {}", env!("CARGO_PKG_VERSION"));
    for part in parts {
        text.push('\u{1f}');
        text.push_str(part);
    }
    format!("{:016x}", hash_str(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, etag: &str) -> LogObject {
        LogObject {
            location: Location::S3 {
                bucket: "b".into(),
                key: key.into(),
            },
            size: 1,
            key: None,
            etag: Some(etag.into()),
        }
    }

    #[test]
    fn an_entry_comes_back_only_for_the_same_etag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ObjectCache::open(dir.path(), &fingerprint(&["x"])).expect("open");
        let stored = object("AWSLogs/a.json.gz", "\"e1\"");
        let mut usage = Usage::default();
        usage.totals.records = 7;
        let entry = Entry {
            location: stored.location.to_string(),
            etag: "\"e1\"".into(),
            won: vec![1, 2],
            lost: vec![3],
            usage,
        };
        cache.store(&stored, &entry).expect("store");
        let back = cache.load(&stored).expect("hit");
        assert_eq!((back.won, back.lost), (vec![1, 2], vec![3]));
        assert_eq!(back.usage.totals.records, 7);
        assert!(cache.load(&object("AWSLogs/a.json.gz", "\"e2\"")).is_none());
        assert!(cache.load(&object("AWSLogs/b.json.gz", "\"e1\"")).is_none());
    }

    #[test]
    fn fingerprints_differ_with_their_parts() {
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab"]));
        assert_eq!(fingerprint(&["a"]), fingerprint(&["a"]));
    }

    #[test]
    fn local_files_are_not_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ObjectCache::open(dir.path(), "f").expect("open");
        let local = LogObject {
            location: Location::Local("/tmp/x.json.gz".into()),
            size: 1,
            key: None,
            etag: None,
        };
        assert!(!cache.has(&local));
    }
}
