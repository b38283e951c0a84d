//! Where log objects come from, and which of them the filters keep.
//!
//! A source turns the user's arguments into an [`Inventory`]: the log objects
//! to read (sorted by delivery time, then name, so runs are reproducible and
//! de-duplication can forget old events), plus everything it did not keep and
//! why — pruned by filters, digest and Insight files, names that are not log
//! files, paths it could not read. Nothing is dropped without being counted.

pub mod layout;
pub mod local;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use layout::{Filters, ObjectKind, PruneReason, TrailKey};

/// Where one object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
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

    /// Reads the object's bytes into `buf` (cleared first), a buffer the
    /// caller reuses from object to object.
    pub fn read_into(&self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::Read;
        buf.clear();
        match &self.location {
            Location::Local(path) => std::fs::File::open(path)?.read_to_end(buf).map(|_| ()),
        }
    }
}

/// An input that was looked at and not used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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
    }

    /// Total stored bytes of the objects to read.
    pub fn total_bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.size).sum()
    }
}
