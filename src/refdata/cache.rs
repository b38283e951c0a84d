//! Where the per-user cache lives, how it is laid out, and how a dataset
//! is replaced atomically.
//!
//! Layout (one directory per dataset, each with a `metadata.json`):
//!
//! ```text
//! <cache>/service-reference/metadata.json
//! <cache>/service-reference/v1/service-list.json
//! <cache>/service-reference/v1/<svc>/<svc>.json
//! <cache>/known-accounts/metadata.json
//! <cache>/known-accounts/accounts.yaml
//! ```
//!
//! A dataset is never modified in place. An update fills a staging
//! directory next to it (`<cache>/.<dataset>.staging-*`, same file system
//! so `rename` works) and [`Staging::commit`] swaps the whole dataset
//! directory, so the payload and its `metadata.json` always belong to the
//! same download. A staging directory that is dropped without being
//! committed is deleted, which is how a failed update leaves the previous
//! cache untouched.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::RefdataError;

/// Name of the per-dataset metadata file.
pub(crate) const METADATA_FILE: &str = "metadata.json";

/// Staging and old directories older than this are considered abandoned
/// (an interrupted run never reaches its `Drop`) and are swept. No live
/// update takes anywhere near this long.
const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A dataset kept in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// AWS's machine-readable Service Authorization Reference.
    ServiceReference,
    /// The community list of known AWS accounts (`accounts.yaml`).
    KnownAccounts,
}

impl Dataset {
    /// Every dataset, in the order `status` reports them.
    pub const ALL: [Dataset; 2] = [Dataset::ServiceReference, Dataset::KnownAccounts];

    /// The directory name under the cache root.
    pub fn dir_name(self) -> &'static str {
        match self {
            Dataset::ServiceReference => "service-reference",
            Dataset::KnownAccounts => "known-accounts",
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Dataset::ServiceReference => "service reference",
            Dataset::KnownAccounts => "known accounts",
        }
    }

    /// The dataset directory inside `cache_dir`.
    pub(crate) fn dir(self, cache_dir: &Path) -> PathBuf {
        cache_dir.join(self.dir_name())
    }

    /// The payload users point other tools at: the `v1` catalog directory
    /// or the `accounts.yaml` file.
    pub(crate) fn payload(self, cache_dir: &Path) -> PathBuf {
        match self {
            Dataset::ServiceReference => self.dir(cache_dir).join("v1"),
            Dataset::KnownAccounts => self.dir(cache_dir).join("accounts.yaml"),
        }
    }
}

/// The operating-system conventions that decide the fallback cache root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    MacOs,
    Windows,
    Other,
}

impl Platform {
    pub(crate) fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Other
        }
    }
}

/// The per-user cache directory, or `None` if no candidate variable is set.
///
/// In order: `$VENDORTRAIL_CACHE_DIR` as given; `$XDG_CACHE_HOME/vendortrail`
/// if that variable is an absolute path (the XDG Base Directory spec says
/// to ignore relative values); then the platform convention:
/// `$HOME/Library/Caches/vendortrail` on macOS,
/// `%LOCALAPPDATA%\vendortrail` on Windows and `$HOME/.cache/vendortrail`
/// elsewhere. Empty variables count as unset.
pub fn default_cache_dir() -> Option<PathBuf> {
    resolve_cache_dir(&|name| std::env::var_os(name), Platform::current())
}

/// [`default_cache_dir`] with the environment passed in, so tests need not
/// mutate process-global state.
pub(crate) fn resolve_cache_dir(
    env: &dyn Fn(&str) -> Option<OsString>,
    platform: Platform,
) -> Option<PathBuf> {
    let var = |name: &str| {
        env(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("VENDORTRAIL_CACHE_DIR") {
        return Some(dir);
    }
    if let Some(xdg) = var("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()) {
        return Some(xdg.join("vendortrail"));
    }
    let base = match platform {
        Platform::MacOs => var("HOME")?.join("Library").join("Caches"),
        Platform::Windows => var("LOCALAPPDATA")?,
        Platform::Other => var("HOME")?.join(".cache"),
    };
    Some(base.join("vendortrail"))
}

/// The contents of `<cache>/<dataset>/metadata.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Metadata {
    /// Layout version of this file, bumped on incompatible changes.
    pub schema: u32,
    /// [`Dataset::dir_name`].
    pub dataset: String,
    /// The URL or directory the data came from.
    pub source: String,
    /// When the download started, RFC 3339 UTC.
    pub retrieved_at: String,
    /// The same instant as seconds since the Unix epoch, so readers can
    /// compute the age without parsing dates.
    pub retrieved_at_unix: u64,
    /// Number of service files (service reference only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<usize>,
    /// Bytes written into the payload.
    pub bytes: u64,
    /// Items that could not be fetched. An update only commits when every
    /// item succeeded, so this is empty today; it is kept so a future
    /// "accept partial" mode does not change the file format.
    #[serde(default)]
    pub failed: Vec<String>,
}

impl Metadata {
    pub(crate) const SCHEMA: u32 = 1;

    pub(crate) fn write(&self, path: &Path) -> Result<(), RefdataError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|err| RefdataError::Write {
            path: path.to_path_buf(),
            source: io::Error::other(err),
        })?;
        text.push('\n');
        fs::write(path, text).map_err(|source| RefdataError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a metadata file; `Ok(None)` if it does not exist.
    pub(crate) fn read(path: &Path) -> Result<Option<Metadata>, String> {
        let text = match fs::read(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|err| format!("{} is not valid metadata: {err}", path.display()))
    }
}

/// A directory being filled for one dataset. Deleted on drop unless
/// committed.
#[derive(Debug)]
pub(crate) struct Staging {
    dataset: Dataset,
    cache_dir: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates `<cache>/.<dataset>.staging-<pid>-<nanos>`, creating the
    /// cache directory itself if needed.
    pub(crate) fn create(cache_dir: &Path, dataset: Dataset) -> Result<Staging, RefdataError> {
        create_dir_all(cache_dir)?;
        sweep_abandoned(cache_dir, dataset);
        let path = cache_dir.join(format!(
            ".{}.staging-{}",
            dataset.dir_name(),
            unique_suffix()
        ));
        fs::create_dir(&path).map_err(|source| RefdataError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Staging {
            dataset,
            cache_dir: cache_dir.to_path_buf(),
            path,
            committed: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces `<cache>/<dataset>` with the staged directory and returns
    /// the new dataset directory.
    ///
    /// `rename` cannot replace a non-empty directory, so the current one is
    /// first moved aside, and moved back if the second rename fails. Between
    /// the two renames the dataset is briefly absent; it is never partial.
    pub(crate) fn commit(mut self) -> Result<PathBuf, RefdataError> {
        let target = self.dataset.dir(&self.cache_dir);
        let aside = self.cache_dir.join(format!(
            ".{}.old-{}",
            self.dataset.dir_name(),
            unique_suffix()
        ));
        let had_previous = rename(&target, &aside).or_else(|err| match err {
            RefdataError::Write { ref source, .. } if source.kind() == io::ErrorKind::NotFound => {
                Ok(false)
            }
            err => Err(err),
        })?;
        if let Err(err) = rename(&self.path, &target) {
            if had_previous {
                // Best effort: put the previous cache back; the rename error
                // is what the user needs to see.
                let _ = fs::rename(&aside, &target);
            }
            return Err(err);
        }
        self.committed = true;
        if had_previous {
            // Failure here only leaves a hidden directory for the next sweep.
            let _ = fs::remove_dir_all(&aside);
        }
        Ok(target)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Renames and reports `Ok(true)`, naming both paths on failure.
fn rename(from: &Path, to: &Path) -> Result<bool, RefdataError> {
    fs::rename(from, to)
        .map(|()| true)
        .map_err(|source| RefdataError::Write {
            path: to.to_path_buf(),
            source: io::Error::new(
                source.kind(),
                format!("renaming {} failed: {source}", from.display()),
            ),
        })
}

pub(crate) fn create_dir_all(path: &Path) -> Result<(), RefdataError> {
    fs::create_dir_all(path).map_err(|source| RefdataError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Removes staging and set-aside directories of `dataset` left behind by
/// interrupted runs. Young ones may belong to a concurrent update and are
/// kept. Errors are ignored: this is housekeeping.
fn sweep_abandoned(cache_dir: &Path, dataset: Dataset) {
    let Ok(entries) = fs::read_dir(cache_dir) else {
        return;
    };
    let staging = format!(".{}.staging-", dataset.dir_name());
    let old = format!(".{}.old-", dataset.dir_name());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&staging) || name.starts_with(&old)) {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok());
        if age.is_some_and(|age| age > STALE_AFTER) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A suffix that is unique across processes and across calls in one.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos}-{count}", std::process::id())
}

/// Whole seconds since the Unix epoch; instants before it clamp to 0.
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Formats `secs` since the Unix epoch as RFC 3339 UTC,
/// e.g. `2026-08-22T09:05:00Z` ([`crate::time`] does the calendar).
pub(crate) fn rfc3339_utc(secs: u64) -> String {
    crate::time::format_rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// A coarse age for terminals: "less than a minute", "5 minutes",
/// "1 hour", "3 days".
pub(crate) fn human_age(age: Duration) -> String {
    let secs = age.as_secs();
    let (count, unit) = match secs {
        0..60 => return "less than a minute".to_string(),
        60..3600 => (secs / 60, "minute"),
        3600..86_400 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// A byte count for terminals, in decimal units ("21.3 MB").
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(vars: &[(&str, &str)], platform: Platform) -> Option<PathBuf> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), OsString::from(value)))
            .collect();
        resolve_cache_dir(&|name| vars.get(name).cloned(), platform)
    }

    #[test]
    fn explicit_cache_dir_wins_everywhere() {
        for platform in [Platform::MacOs, Platform::Windows, Platform::Other] {
            let dir = resolve(
                &[
                    ("VENDORTRAIL_CACHE_DIR", "/tmp/vt"),
                    ("XDG_CACHE_HOME", "/xdg"),
                    ("HOME", "/home/u"),
                    ("LOCALAPPDATA", "C:\\Users\\u\\AppData\\Local"),
                ],
                platform,
            );
            assert_eq!(dir, Some(PathBuf::from("/tmp/vt")));
        }
    }

    #[test]
    fn xdg_cache_home_beats_platform_default() {
        let dir = resolve(
            &[("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/u")],
            Platform::MacOs,
        );
        assert_eq!(dir, Some(PathBuf::from("/xdg/vendortrail")));
    }

    #[test]
    fn empty_or_relative_variables_are_ignored() {
        let dir = resolve(
            &[
                ("VENDORTRAIL_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", "relative/cache"),
                ("HOME", "/home/u"),
            ],
            Platform::Other,
        );
        assert_eq!(dir, Some(PathBuf::from("/home/u/.cache/vendortrail")));
    }

    #[test]
    fn platform_fallbacks() {
        assert_eq!(
            resolve(&[("HOME", "/Users/u")], Platform::MacOs),
            Some(PathBuf::from("/Users/u/Library/Caches/vendortrail"))
        );
        assert_eq!(
            resolve(&[("HOME", "/home/u")], Platform::Other),
            Some(PathBuf::from("/home/u/.cache/vendortrail"))
        );
        assert_eq!(
            resolve(&[("LOCALAPPDATA", "/appdata")], Platform::Windows),
            Some(PathBuf::from("/appdata").join("vendortrail"))
        );
        // HOME is not a Windows convention, and nothing at all gives None.
        assert_eq!(resolve(&[("HOME", "/home/u")], Platform::Windows), None);
        assert_eq!(resolve(&[], Platform::Other), None);
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339_utc(1_735_689_600), "2025-01-01T00:00:00Z");
        // 2100 is not a leap year: the day after 28 February is 1 March.
        assert_eq!(rfc3339_utc(4_107_456_000), "2100-02-28T00:00:00Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_787_389_500), "2026-08-22T09:05:00Z");
    }

    #[test]
    fn human_age_units() {
        let cases = [
            (0, "less than a minute"),
            (59, "less than a minute"),
            (60, "1 minute"),
            (3599, "59 minutes"),
            (3600, "1 hour"),
            (86_399, "23 hours"),
            (86_400, "1 day"),
            (3 * 86_400 + 5, "3 days"),
        ];
        for (secs, expected) in cases {
            assert_eq!(human_age(Duration::from_secs(secs)), expected, "{secs}s");
        }
    }

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(21_345_678), "21.3 MB");
        assert_eq!(human_bytes(2_500_000_000), "2.5 GB");
    }

    #[test]
    fn failed_commit_keeps_nothing_and_success_replaces() {
        let cache = tempfile::tempdir().expect("tempdir");
        let dataset = Dataset::KnownAccounts;

        let first = Staging::create(cache.path(), dataset).expect("staging");
        fs::write(first.path().join("accounts.yaml"), "one").expect("write");
        let dir = first.commit().expect("commit");
        assert_eq!(
            fs::read_to_string(dir.join("accounts.yaml")).expect("read"),
            "one"
        );

        // Dropped without commit: staged data disappears, cache unchanged.
        let abandoned = Staging::create(cache.path(), dataset).expect("staging");
        let abandoned_path = abandoned.path().to_path_buf();
        fs::write(abandoned.path().join("accounts.yaml"), "two").expect("write");
        drop(abandoned);
        assert!(!abandoned_path.exists());
        assert_eq!(
            fs::read_to_string(dir.join("accounts.yaml")).expect("read"),
            "one"
        );

        let second = Staging::create(cache.path(), dataset).expect("staging");
        fs::write(second.path().join("accounts.yaml"), "three").expect("write");
        second.commit().expect("commit");
        assert_eq!(
            fs::read_to_string(dir.join("accounts.yaml")).expect("read"),
            "three"
        );
        let leftovers: Vec<_> = fs::read_dir(cache.path())
            .expect("read_dir")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(leftovers, vec![OsString::from("known-accounts")]);
    }
}
