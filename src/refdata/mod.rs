//! Reference data downloaded at run time and cached per user.
//!
//! # Datasets
//!
//! * **Service reference**: AWS's machine-readable Service Authorization
//!   Reference, documented in "Simplified AWS service information for
//!   programmatic access"
//!   (<https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html>).
//!   `<base>/service-list.json` is
//!   `[{"service":"s3","url":"<base>/s3/s3.json"}, …]` and each service file
//!   is JSON with `Name`, `Actions`, `Resources`, `Operations`, ….
//! * **Known accounts**: the community `accounts.yaml` listing vendors' AWS
//!   account IDs, stored as downloaded (no YAML parsing here).
//!
//! # Contract
//!
//! * The cache root comes from [`default_cache_dir`] unless the caller
//!   passes another. Each dataset lives in its own directory with a
//!   `metadata.json` (`source`, `retrieved_at` in RFC 3339 UTC, `services`,
//!   `bytes`, `failed`).
//! * The service reference is stored in the endpoint's own layout under
//!   `<cache>/service-reference/v1/`, so that directory can be used
//!   anywhere a catalog directory is accepted ([`cached_catalog_dir`]).
//! * Files are stored byte for byte as served, after checking that each
//!   service file is JSON with a `Name` and an `Actions` array.
//! * Updates are all or nothing. Everything is downloaded into a staging
//!   directory inside the cache root and swapped in only when every file
//!   arrived and validated; on any failure the previous cache, metadata
//!   included, is left exactly as it was and the staging directory is
//!   removed. The swap is two renames, so a concurrent reader may briefly
//!   find the dataset absent, never half-written.
//! * HTTP: up to 8 concurrent requests, each retried (4 attempts,
//!   exponential backoff with jitter from 0.5 s) on 5xx/408/429, dropped
//!   connections and timeouts; 404 and other client errors fail at once.
//!   The first permanent failure stops further downloads. Timeouts: 10 s
//!   to connect, 30 s to the response headers, 120 s per request. Proxies
//!   come from `HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`, except that loopback
//!   hosts are always reached directly.
//! * Service URLs in the list are followed as given only when the source
//!   is [`DEFAULT_SERVICE_REFERENCE_URL`]. For any other base, e.g. a mirror,
//!   files are fetched from `<base>/<svc>/<svc>.json`, because a mirror's
//!   list still names the AWS host.
//! * A directory [`Source`] is read in the same layout, which is how an
//!   offline copy is installed.
//! * Progress is reported through [`UpdateProgress`] on the calling thread,
//!   so the callback needs neither `Send` nor `Sync`.

mod cache;
mod fetch;
#[cfg(test)]
mod test_server;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

pub use cache::{Dataset, default_cache_dir};

use cache::{METADATA_FILE, Metadata, Staging};
use fetch::{ListEntry, Options, Origin, SERVICE_LIST_FILE};

/// AWS's public service reference endpoint.
pub const DEFAULT_SERVICE_REFERENCE_URL: &str =
    "https://servicereference.us-east-1.amazonaws.com/v1/";

/// The upstream known-accounts list.
pub const DEFAULT_KNOWN_ACCOUNTS_URL: &str =
    "https://raw.githubusercontent.com/fwdcloudsec/known_aws_accounts/main/accounts.yaml";

/// File name of the known-accounts dataset, in sources and in the cache.
const KNOWN_ACCOUNTS_FILE: &str = "accounts.yaml";

/// Where reference data is fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An `http://` or `https://` URL: the service reference base (its
    /// `service-list.json` also accepted) or the known-accounts file.
    Url(String),
    /// A local directory in the endpoint's layout, or a single file for
    /// single-file datasets.
    Dir(PathBuf),
}

impl Source {
    /// `http://…` and `https://…` (any case) are URLs; anything else is a
    /// path.
    pub fn parse(text: &str) -> Source {
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Url(text.to_string())
        } else {
            Source::Dir(PathBuf::from(text))
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Everything that can go wrong fetching or caching reference data. Each
/// variant names the URL or path involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefdataError {
    /// The server answered with a non-2xx status (after retries, if the
    /// status was transient).
    #[error("GET {url}: HTTP {status} (after {attempts} attempt(s))")]
    HttpStatus {
        url: String,
        status: u16,
        attempts: u32,
    },
    /// Connection, TLS, timeout or protocol failure.
    #[error("GET {url} failed after {attempts} attempt(s): {source}")]
    Http {
        url: String,
        attempts: u32,
        #[source]
        source: Box<ureq::Error>,
    },
    /// A local source file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The cache could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `service-list.json` is not the expected JSON array.
    #[error("{location}: not a valid service list: {reason}")]
    InvalidServiceList { location: String, reason: String },
    /// A service name that cannot safely become a file name.
    #[error("{location}: refusing service name {name:?} (not a safe file name)")]
    UnsafeServiceName { location: String, name: String },
    /// A service file that is not JSON with `Name` and `Actions`.
    #[error("{location}: not a service reference file: {reason}")]
    InvalidServiceFile { location: String, reason: String },
    /// The known-accounts download does not look like the YAML list.
    #[error("{location}: not the known-accounts list: {reason}")]
    InvalidKnownAccounts { location: String, reason: String },
    /// Some service files failed, so nothing was changed.
    #[error(
        "service reference update from {source_desc} failed, cache left unchanged: {}",
        describe_failures(.failures, *.total)
    )]
    Incomplete {
        source_desc: String,
        total: usize,
        failures: Vec<ServiceFailure>,
    },
}

/// One service file that could not be fetched or validated.
#[derive(Debug)]
pub struct ServiceFailure {
    /// The service prefix, e.g. `s3`.
    pub service: String,
    /// What went wrong, naming the URL or path.
    pub error: RefdataError,
}

fn describe_failures(failures: &[ServiceFailure], total: usize) -> String {
    let mut text = format!("{} of {total} service file(s) failed", failures.len());
    for failure in failures.iter().take(3) {
        text.push_str(&format!("; {}: {}", failure.service, failure.error));
    }
    if failures.len() > 3 {
        text.push_str(&format!("; and {} more", failures.len() - 3));
    }
    text
}

/// Progress of [`update_service_reference`], delivered on the calling
/// thread in this order: one `Started`, one `ServiceDone` or
/// `ServiceFailed` per attempted service, one `Finished`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateProgress {
    /// The service list was read; `total` service files will be fetched.
    Started { total: usize },
    /// One service file was fetched, validated and staged.
    ServiceDone { service: String, bytes: u64 },
    /// One service file failed for good (the update will fail).
    ServiceFailed { service: String, error: String },
    /// Downloads are over; `failed` is zero if the update will be committed.
    Finished { services: usize, failed: usize },
}

/// The outcome of a successful [`update_service_reference`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSummary {
    /// The base URL or directory used.
    pub source: String,
    /// `<cache>/service-reference/v1`, ready to be used as a catalog.
    pub catalog_dir: PathBuf,
    /// RFC 3339 UTC, as written to `metadata.json`.
    pub retrieved_at: String,
    /// Number of service files stored.
    pub services: usize,
    /// Bytes stored, `service-list.json` included.
    pub bytes: u64,
    /// Wall-clock time of the whole update.
    pub elapsed: Duration,
}

/// The outcome of a successful [`update_known_accounts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccountsSummary {
    /// The URL or file used.
    pub source: String,
    /// `<cache>/known-accounts/accounts.yaml`.
    pub path: PathBuf,
    /// RFC 3339 UTC, as written to `metadata.json`.
    pub retrieved_at: String,
    /// Size of the stored file.
    pub bytes: u64,
}

/// Downloads the service reference from `source` into
/// `<cache_dir>/service-reference/`, replacing the previous copy only if
/// every file arrived and validated.
pub fn update_service_reference(
    source: &Source,
    cache_dir: &Path,
    progress: &dyn Fn(UpdateProgress),
) -> Result<UpdateSummary, RefdataError> {
    update_service_reference_with(source, cache_dir, &Options::default(), progress)
}

fn update_service_reference_with(
    source: &Source,
    cache_dir: &Path,
    options: &Options,
    progress: &dyn Fn(UpdateProgress),
) -> Result<UpdateSummary, RefdataError> {
    let started = Instant::now();
    let retrieved_at = cache::unix_seconds(SystemTime::now());
    let origin = Origin::new(source, options);
    let list = origin.service_list()?;
    let entries = fetch::parse_service_list(&list, &origin.list_location())?;

    let staging = Staging::create(cache_dir, Dataset::ServiceReference)?;
    let catalog = staging.path().join("v1");
    write_file(&catalog.join(SERVICE_LIST_FILE), &list)?;

    progress(UpdateProgress::Started {
        total: entries.len(),
    });
    let outcome = download_services(&origin, &entries, &catalog, options.concurrency, progress);
    progress(UpdateProgress::Finished {
        services: outcome.services,
        failed: outcome.failures.len(),
    });
    if !outcome.failures.is_empty() {
        // `staging` is dropped here, deleting the partial download.
        return Err(RefdataError::Incomplete {
            source_desc: origin.describe(),
            total: entries.len(),
            failures: outcome.failures,
        });
    }

    let metadata = Metadata {
        schema: Metadata::SCHEMA,
        dataset: Dataset::ServiceReference.dir_name().to_string(),
        source: origin.describe(),
        retrieved_at: cache::rfc3339_utc(retrieved_at),
        retrieved_at_unix: retrieved_at,
        services: Some(outcome.services),
        bytes: outcome.bytes + list.len() as u64,
        failed: Vec::new(),
    };
    metadata.write(&staging.path().join(METADATA_FILE))?;
    let dataset_dir = staging.commit()?;
    Ok(UpdateSummary {
        source: metadata.source,
        catalog_dir: dataset_dir.join("v1"),
        retrieved_at: metadata.retrieved_at,
        services: outcome.services,
        bytes: metadata.bytes,
        elapsed: started.elapsed(),
    })
}

/// What [`download_services`] achieved.
#[derive(Default)]
struct Outcome {
    services: usize,
    bytes: u64,
    failures: Vec<ServiceFailure>,
}

/// Fetches every entry into `catalog` with `workers` threads pulling from a
/// shared index. Results travel over a channel to this thread, which is the
/// only one calling `progress`. After the first failure no new fetches
/// start: the update is lost anyway, and failing fast matters when the
/// endpoint is down and each file would burn its retries.
fn download_services(
    origin: &Origin,
    entries: &[ListEntry],
    catalog: &Path,
    workers: usize,
    progress: &dyn Fn(UpdateProgress),
) -> Outcome {
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..workers.clamp(1, entries.len().max(1)) {
            let sender = sender.clone();
            let (next, abort) = (&next, &abort);
            scope.spawn(move || {
                while !abort.load(Ordering::Relaxed) {
                    let Some(entry) = entries.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let result = fetch_service(origin, entry, catalog);
                    if result.is_err() {
                        abort.store(true, Ordering::Relaxed);
                    }
                    if sender.send((entry, result)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers' clones remain, so the loop ends when they do.
        drop(sender);
        collect_results(receiver, progress)
    })
}

fn collect_results(
    receiver: mpsc::Receiver<(&ListEntry, Result<u64, RefdataError>)>,
    progress: &dyn Fn(UpdateProgress),
) -> Outcome {
    let mut outcome = Outcome::default();
    for (entry, result) in receiver {
        let service = entry.service.clone();
        match result {
            Ok(bytes) => {
                outcome.services += 1;
                outcome.bytes += bytes;
                progress(UpdateProgress::ServiceDone { service, bytes });
            }
            Err(error) => {
                progress(UpdateProgress::ServiceFailed {
                    service: service.clone(),
                    error: error.to_string(),
                });
                outcome.failures.push(ServiceFailure { service, error });
            }
        }
    }
    outcome
}

/// Fetches, validates and stages one service file; returns its size.
fn fetch_service(origin: &Origin, entry: &ListEntry, catalog: &Path) -> Result<u64, RefdataError> {
    let body = origin.service_file(entry)?;
    fetch::validate_service_file(&body, &origin.service_location(entry))?;
    write_file(&fetch::service_path(catalog, &entry.service), &body)?;
    Ok(body.len() as u64)
}

/// Writes a staged file, creating its parent directory.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RefdataError> {
    if let Some(parent) = path.parent() {
        cache::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).map_err(|source| RefdataError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Downloads the known-accounts list (a URL to the file, a local file, or
/// a directory holding `accounts.yaml`) into
/// `<cache_dir>/known-accounts/accounts.yaml` with its `metadata.json`,
/// replacing the previous copy only on success.
pub fn update_known_accounts(
    source: &Source,
    cache_dir: &Path,
) -> Result<KnownAccountsSummary, RefdataError> {
    update_known_accounts_with(source, cache_dir, &Options::default())
}

fn update_known_accounts_with(
    source: &Source,
    cache_dir: &Path,
    options: &Options,
) -> Result<KnownAccountsSummary, RefdataError> {
    let retrieved_at = cache::unix_seconds(SystemTime::now());
    let (body, location) = fetch::fetch_single(source, KNOWN_ACCOUNTS_FILE, options)?;
    fetch::validate_known_accounts(&body, &location)?;

    let staging = Staging::create(cache_dir, Dataset::KnownAccounts)?;
    write_file(&staging.path().join(KNOWN_ACCOUNTS_FILE), &body)?;
    let metadata = Metadata {
        schema: Metadata::SCHEMA,
        dataset: Dataset::KnownAccounts.dir_name().to_string(),
        source: location,
        retrieved_at: cache::rfc3339_utc(retrieved_at),
        retrieved_at_unix: retrieved_at,
        services: None,
        bytes: body.len() as u64,
        failed: Vec::new(),
    };
    metadata.write(&staging.path().join(METADATA_FILE))?;
    let dataset_dir = staging.commit()?;
    Ok(KnownAccountsSummary {
        source: metadata.source,
        path: dataset_dir.join(KNOWN_ACCOUNTS_FILE),
        retrieved_at: metadata.retrieved_at,
        bytes: metadata.bytes,
    })
}

/// `<cache_dir>/service-reference/v1` if an update completed there.
pub fn cached_catalog_dir(cache_dir: &Path) -> Option<PathBuf> {
    cached_payload(cache_dir, Dataset::ServiceReference)
}

/// `<cache_dir>/known-accounts/accounts.yaml` if an update completed there.
pub fn cached_known_accounts(cache_dir: &Path) -> Option<PathBuf> {
    cached_payload(cache_dir, Dataset::KnownAccounts)
}

/// The payload of `dataset` if it and its metadata file both exist. The
/// metadata is written last into staging, so its presence marks a
/// completed update rather than a directory someone created by hand.
fn cached_payload(cache_dir: &Path, dataset: Dataset) -> Option<PathBuf> {
    let payload = dataset.payload(cache_dir);
    let has_metadata = dataset.dir(cache_dir).join(METADATA_FILE).is_file();
    (has_metadata && payload.exists()).then_some(payload)
}

/// What is in a cache directory; `Display` renders it for a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The cache root that was inspected.
    pub cache_dir: PathBuf,
    /// One entry per [`Dataset`], in [`Dataset::ALL`] order.
    pub datasets: Vec<DatasetStatus>,
}

/// The state of one dataset in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetStatus {
    /// Which dataset this entry describes.
    pub dataset: Dataset,
    /// The catalog directory or data file (whether or not it exists).
    pub path: PathBuf,
    /// `Some` when a completed update is present.
    pub cached: Option<CachedInfo>,
    /// Why something that exists is unusable, e.g. unreadable metadata.
    pub problem: Option<String>,
}

/// Facts about a cached dataset, from its `metadata.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedInfo {
    /// URL or directory it was fetched from.
    pub source: String,
    /// RFC 3339 UTC.
    pub retrieved_at: String,
    /// Time since `retrieved_at` (zero if the clock went backwards).
    pub age: Duration,
    /// Number of service files, for the service reference.
    pub services: Option<usize>,
    /// Bytes stored, as recorded at download time.
    pub bytes: u64,
}

impl CachedInfo {
    /// The age for humans, e.g. "3 days".
    pub fn age_human(&self) -> String {
        cache::human_age(self.age)
    }
}

impl Status {
    /// The entry for `dataset`.
    pub fn dataset(&self, dataset: Dataset) -> Option<&DatasetStatus> {
        self.datasets.iter().find(|entry| entry.dataset == dataset)
    }

    /// Shorthand for the service reference entry.
    pub fn service_reference(&self) -> Option<&DatasetStatus> {
        self.dataset(Dataset::ServiceReference)
    }
}

impl DatasetStatus {
    /// True when a completed update is cached.
    pub fn is_present(&self) -> bool {
        self.cached.is_some()
    }
}

/// Describes what `cache_dir` holds. Never fails: problems are reported in
/// [`DatasetStatus::problem`].
pub fn status(cache_dir: &Path) -> Status {
    Status {
        cache_dir: cache_dir.to_path_buf(),
        datasets: Dataset::ALL
            .iter()
            .map(|&dataset| dataset_status(cache_dir, dataset))
            .collect(),
    }
}

fn dataset_status(cache_dir: &Path, dataset: Dataset) -> DatasetStatus {
    let path = dataset.payload(cache_dir);
    let metadata_path = dataset.dir(cache_dir).join(METADATA_FILE);
    let (cached, problem) = match Metadata::read(&metadata_path) {
        Ok(None) if path.exists() => (
            None,
            Some(format!("{} is missing", metadata_path.display())),
        ),
        Ok(None) => (None, None),
        Ok(Some(_)) if !path.exists() => (None, Some(format!("{} is missing", path.display()))),
        Ok(Some(metadata)) => (Some(cached_info(metadata)), None),
        Err(problem) => (None, Some(problem)),
    };
    DatasetStatus {
        dataset,
        path,
        cached,
        problem,
    }
}

fn cached_info(metadata: Metadata) -> CachedInfo {
    let now = cache::unix_seconds(SystemTime::now());
    CachedInfo {
        source: metadata.source,
        retrieved_at: metadata.retrieved_at,
        age: Duration::from_secs(now.saturating_sub(metadata.retrieved_at_unix)),
        services: metadata.services,
        bytes: metadata.bytes,
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cache directory: {}", self.cache_dir.display())?;
        for entry in &self.datasets {
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

impl fmt::Display for DatasetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.dataset.label();
        let Some(info) = &self.cached else {
            return match &self.problem {
                Some(problem) => writeln!(f, "{label}: unusable ({problem})"),
                None => writeln!(f, "{label}: not cached"),
            };
        };
        write!(f, "{label}: ")?;
        if let Some(services) = info.services {
            write!(f, "{services} services, ")?;
        }
        writeln!(
            f,
            "{}, retrieved {} ({} ago)",
            cache::human_bytes(info.bytes),
            info.retrieved_at,
            info.age_human()
        )?;
        writeln!(f, "  source: {}", info.source)?;
        writeln!(f, "  path:   {}", self.path.display())
    }
}

#[cfg(test)]
mod tests;
