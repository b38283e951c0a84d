//! Where log objects come from, and which of them the filters keep.
//!
//! A source turns the user's arguments into an [`Inventory`]: the log objects
//! to read (sorted by delivery time, then name, so runs are reproducible and
//! de-duplication can forget old events), plus everything it did not keep and
//! why — pruned by filters, digest and Insight files, names that are not log
//! files, paths it could not read. Nothing is dropped without being counted.
//! Both sources can leave the layout's day folders to be listed later, one
//! delivery day at a time (`local::LocalDay`, `s3::DayFolder`), so the
//! inventory held at once is one day's.

pub mod layout;
pub mod local;
pub mod s3;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use layout::{Filters, ObjectKind, PruneReason, TrailKey};

/// Where one object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An S3 object.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// A log object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogObject {
    /// Where it is.
    pub location: Location,
    /// Its size in bytes as stored (compressed).
    pub size: u64,
    /// What its key says, when it follows the CloudTrail layout.
    pub key: Option<TrailKey>,
    /// The object's ETag, for S3 objects: with the bucket and key it names
    /// one version of the content (the `--cache` key).
    pub etag: Option<String>,
}

impl LogObject {
    /// Delivery time from the key, if known.
    pub fn delivered(&self) -> Option<i64> {
        self.key.as_ref().and_then(|k| k.delivered)
    }

    /// Reads the object's bytes.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.read_into(&mut bytes)?;
        Ok(bytes)
    }

    /// Reads a local object's bytes into `buf` (cleared first), a buffer
    /// the caller reuses from object to object. S3 objects are fetched by
    /// [`s3::S3Source`], never through this.
    pub fn read_into(&self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::Read;
        buf.clear();
        match &self.location {
            Location::Local(path) => std::fs::File::open(path)?.read_to_end(buf).map(|_| ()),
            Location::S3 { .. } => Err(std::io::Error::other(
                "an S3 object is fetched by the S3 source, not read as a file",
            )),
        }
    }
}

/// True if a file found in a folder (or under a prefix) is a candidate log
/// file by its name.
fn looks_like_log(name: &str) -> bool {
    name.ends_with(".json.gz") || name.ends_with(".json") || name.ends_with(".gz")
}

/// An input that was looked at and not used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SkippedInput {
    /// The path or key.
    pub path: String,
    /// Why it was skipped, in words.
    pub reason: String,
}

/// The objects a source yields and the account of what it left out.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Log objects to decode, in processing order.
    pub objects: Vec<LogObject>,
    /// Inputs that could not be read at all (missing path, permission).
    pub unreadable: Vec<SkippedInput>,
    /// Files in folders whose names are not log files (kept off the list of
    /// objects but counted and named).
    pub ignored: Vec<SkippedInput>,
    /// Digest files recognised and skipped.
    pub digest_files: u64,
    /// Insight files recognised and skipped.
    pub insight_files: u64,
    /// Files and folders left unread by the filters, by reason.
    pub pruned: BTreeMap<PruneReason, u64>,
    /// Digest and Insight prefixes an S3 listing did not enter (kept so a
    /// later integrity check can find them).
    pub skipped_trees: Vec<String>,
}

impl Inventory {
    /// Puts objects in processing order: by delivery time (unknown first, so
    /// de-duplication sees them while it still remembers everything), then
    /// by location.
    pub fn sort(&mut self) {
        self.objects
            .sort_by(|a, b| (a.delivered(), &a.location).cmp(&(b.delivered(), &b.location)));
        self.unreadable.sort();
        self.ignored.sort();
        self.skipped_trees.sort();
    }

    /// Takes a file found by a source: counted as ignored if a folder held it
    /// and its name is not a log file's, counted if the layout marks it as a
    /// digest or Insight file or the filters prune it, and added to the
    /// objects otherwise. `components` are its path or key components, the
    /// file name last; `named` is true when the user named the file itself.
    pub fn consider(
        &mut self,
        components: &[&str],
        location: Location,
        size: u64,
        etag: Option<String>,
        named: bool,
        filters: &Filters,
    ) {
        let name = components.last().copied().unwrap_or("");
        if !named && !looks_like_log(name) {
            self.ignored.push(SkippedInput {
                path: location.to_string(),
                reason: "not a log file name (.json.gz, .json, .gz)".into(),
            });
            return;
        }
        let key = layout::parse_key(components);
        if let Some(key) = &key {
            match key.kind {
                ObjectKind::Digest => return self.digest_files += 1,
                ObjectKind::Insight => return self.insight_files += 1,
                ObjectKind::Log => {}
            }
            if let Err(reason) = layout::judge_file(key, filters) {
                *self.pruned.entry(reason).or_default() += 1;
                return;
            }
        }
        self.objects.push(LogObject {
            location,
            size,
            key,
            etag,
        });
    }

    /// Adds another source's inventory to this one (call [`Inventory::sort`]
    /// after).
    pub fn extend(&mut self, other: Inventory) {
        self.objects.extend(other.objects);
        self.unreadable.extend(other.unreadable);
        self.ignored.extend(other.ignored);
        self.digest_files += other.digest_files;
        self.insight_files += other.insight_files;
        for (reason, n) in other.pruned {
            *self.pruned.entry(reason).or_default() += n;
        }
        self.skipped_trees.extend(other.skipped_trees);
    }

    /// Total stored bytes of the objects to read.
    pub fn total_bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
    }
}
