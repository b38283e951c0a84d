//! S3 buckets as a source: `s3://bucket[/prefix]` wherever a local path is
//! accepted.
//!
//! All aws-sdk-s3 and tokio code lives here, behind the calls the rest of
//! the program sees: [`S3Source::discover`] walks the layout under a prefix
//! down to its day folders, [`S3Source::list_days`] lists a day's objects
//! into the same [`Inventory`] the local reader builds, and
//! [`S3Source::fetch_in_order`] streams their bytes to the decoder.
//!
//! - **Credentials and endpoints.** aws-config's default chain (environment,
//!   `--profile`/`AWS_PROFILE`, SSO, web identity, IMDS, `credential_process`)
//!   and its endpoint overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`,
//!   `--endpoint-url`). With an override, requests use path-style addressing,
//!   which S3-compatible stores expect.
//! - **The bucket's Region** comes from `HeadBucket` (the
//!   `x-amz-bucket-region` header, also present on its 301 and 400 errors),
//!   so users need not know it.
//! - **Listing by layout.** The CloudTrail key layout is walked level by level
//!   with delimiter listings (`AWSLogs/` → organisation → accounts →
//!   `CloudTrail/` → Regions → `YYYY/MM/DD/`), and every folder is judged by
//!   the same [`layout::judge_dir`] the local walk uses before it is listed:
//!   a one-week window lists that week's day prefixes, never the bucket.
//!   `CloudTrail-Digest/` and `CloudTrail-Insight/` prefixes are not entered;
//!   they are kept in [`Inventory::skipped_trees`]. Folders are listed
//!   concurrently (at most `concurrency` list calls at once). The walk stops
//!   at the day folders ([`Listing::days`]); the scan lists them one delivery
//!   day at a time ([`S3Source::list_days`]), so only one day's objects are
//!   ever held, whatever the bucket's size.
//! - **Fetching.** At most `concurrency` GETs are in flight, and their bodies
//!   are handed over in inventory order through a channel of the same
//!   capacity: when the decoder falls behind, fetching waits (backpressure),
//!   so memory is bounded by about twice `concurrency` objects whatever the
//!   bucket's size. Throttling (`SlowDown`, 503), 500s and failed
//!   connections are retried by the SDK's standard retry strategy
//!   (exponential backoff with jitter); a connection dropped while the body
//!   is read is retried here, the same way. An object that still fails is
//!   reported with its key and reason and the run goes on.
//! - **Errors about the source itself** (no such bucket, access denied, a
//!   prefix holding nothing) end the run with a clear message: a review that
//!   silently read nothing would be worse than none.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::layout::{self, Filters};
use super::{Inventory, Location, SkippedInput};

/// Default for `--concurrency`: GETs and list calls in flight. Chosen by
/// measurement (`cargo bench --bench s3`, README "Performance"): with 10 ms
/// of latency per request, throughput still rises from 32 to 64 requests
/// in flight (1,599 → 2,344 objects/s) while peak memory stays flat, and
/// S3 serves at least 5,500 GETs a second per prefix.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Attempts per request (the SDK's standard strategy, and the body retries
/// here): generous, as throttling under load is normal for S3.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// True if `source` names an S3 location.
pub fn is_s3_url(source: &str) -> bool {
    source.starts_with("s3://")
}

/// Why an S3 source cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// The text is not `s3://bucket[/prefix]`.
    #[error("`{0}` is not an S3 location: use s3://bucket or s3://bucket/prefix")]
    BadUrl(String),
    /// The bucket does not exist (or not where the endpoint says).
    #[error("s3://{bucket}: no such bucket")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The credentials may not read the bucket or prefix.
    #[error(
        "s3://{bucket}/{prefix}: access denied ({detail}); the credentials need s3:ListBucket on the bucket and s3:GetObject on its log objects"
    )]
    AccessDenied {
        /// The bucket.
        bucket: String,
        /// The prefix.
        prefix: String,
        /// What S3 said.
        detail: String,
    },
    /// Nothing exists under the prefix.
    #[error("s3://{bucket}/{prefix}: no objects under this prefix")]
    EmptyPrefix {
        /// The bucket.
        bucket: String,
        /// The prefix.
        prefix: String,
    },
    /// Anything else: no credentials, no network, an unexpected answer.
    #[error("s3://{bucket}/{prefix}: {detail}")]
    Other {
        /// The bucket.
        bucket: String,
        /// The prefix.
        prefix: String,
        /// The whole error chain.
        detail: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the S3 client runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A parsed `s3://bucket[/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// The bucket.
    pub bucket: String,
    /// The key prefix, without a leading slash (may be empty).
    pub prefix: String,
}

impl S3Url {
    /// Parses `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix`.
    pub fn parse(text: &str) -> Result<S3Url, S3Error> {
        let bad = || S3Error::BadUrl(text.to_string());
        let rest = text.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // Bucket naming rules (S3 User Guide, "Bucket naming rules"): 3-63
        // characters, lower-case letters, digits, dots and hyphens.
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid {
            return Err(bad());
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.trim_start_matches('/').to_string(),
        })
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A `CloudTrail/<region>/YYYY/MM/DD/` folder found by listing, not listed
/// yet: a scan lists and processes one delivery day at a time, so the
/// objects held in memory are one day's, whatever the bucket's size.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayFolder {
    /// The start of the delivery day.
    pub day: crate::time::Timestamp,
    /// The bucket.
    pub bucket: String,
    /// The folder's key prefix (ending in `/`).
    pub prefix: String,
}

/// What listing a source found: objects outside day folders (and every
/// count), and the day folders to list later.
#[derive(Debug, Default)]
pub struct Listing {
    /// Objects and counts found above the day folders.
    pub inventory: Inventory,
    /// Day folders the filters may want, sorted by day.
    pub days: Vec<DayFolder>,
}

/// How to reach S3.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// A named profile (`--profile`); otherwise `AWS_PROFILE` or the default.
    pub profile: Option<String>,
    /// An endpoint override (`--endpoint-url`); the SDK also reads
    /// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_S3`.
    pub endpoint_url: Option<String>,
    /// GETs (and list calls) in flight.
    pub concurrency: usize,
    /// Attempts per request before an object counts as failed.
    pub max_attempts: u32,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            profile: None,
            endpoint_url: None,
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// Counters a run reports and tests check: requests made, objects and bytes
/// listed and fetched.
#[derive(Debug, Default)]
pub struct S3Stats {
    /// `ListObjectsV2` pages requested.
    pub list_calls: AtomicU64,
    /// Log objects found by listing (before the filters).
    pub listed_objects: AtomicU64,
    /// Their stored bytes.
    pub listed_bytes: AtomicU64,
    /// Objects fetched.
    pub fetched_objects: AtomicU64,
    /// Their bytes.
    pub fetched_bytes: AtomicU64,
    /// Body reads retried after a dropped connection.
    pub body_retries: AtomicU64,
}

impl S3Stats {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// A connection to S3: the async runtime, the loaded configuration, and one
/// client per bucket (each in its bucket's Region).
pub struct S3Source {
    runtime: Runtime,
    config: aws_config::SdkConfig,
    options: S3Options,
    path_style: bool,
    clients: BTreeMap<String, Client>,
    stats: Arc<S3Stats>,
}

impl S3Source {
    /// Loads the configuration (credentials are resolved lazily, on the
    /// first request).
    pub fn connect(options: S3Options) -> Result<S3Source, S3Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vendortrail-s3")
            .enable_all()
            .build()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = runtime.block_on(loader.load());
        let env_override = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let path_style = options.endpoint_url.is_some() || env_override;
        Ok(S3Source {
            runtime,
            config,
            options,
            path_style,
            clients: BTreeMap::new(),
            stats: Arc::new(S3Stats::default()),
        })
    }

    /// The counters of this connection.
    pub fn stats(&self) -> &S3Stats {
        &self.stats
    }

    /// The counters, shared (for a progress bar).
    pub fn stats_handle(&self) -> Arc<S3Stats> {
        self.stats.clone()
    }

    /// The concurrency in use.
    pub fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    fn client_in(&self, region: Option<&str>) -> Client {
        let retry = RetryConfig::standard()
            .with_max_attempts(self.options.max_attempts.max(1))
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(10));
        let mut builder = aws_sdk_s3::config::Builder::from(&self.config)
            .retry_config(retry)
            .force_path_style(self.path_style);
        match region {
            Some(region) => builder = builder.region(Region::new(region.to_string())),
            // Without any configured Region the SDK cannot sign; us-east-1
            // answers HeadBucket for every bucket with its real Region.
            None if self.config.region().is_none() => {
                builder = builder.region(Region::from_static("us-east-1"));
            }
            None => {}
        }
        Client::from_conf(builder.build())
    }

    /// The client for `bucket`, in the bucket's Region, checking on first
    /// use that the bucket exists and may be read.
    fn client_for(&mut self, url: &S3Url) -> Result<Client, S3Error> {
        if let Some(client) = self.clients.get(&url.bucket) {
            return Ok(client.clone());
        }
        let first = self.client_in(None);
        let probe = self
            .runtime
            .block_on(first.head_bucket().bucket(&url.bucket).send());
        let client = match probe {
            Ok(out) => match out.bucket_region() {
                Some(region) if Some(region) != first.config().region().map(|r| r.as_ref()) => {
                    self.client_in(Some(region))
                }
                _ => first,
            },
            Err(err) => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let region = err
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_string);
                match (status, region) {
                    // Wrong Region: 301 PermanentRedirect, or 400 for a
                    // signature made for another Region.
                    (Some(301 | 400), Some(region)) => self.client_in(Some(&region)),
                    (Some(404), _) => {
                        return Err(S3Error::NoSuchBucket {
                            bucket: url.bucket.clone(),
                        });
                    }
                    (Some(403), _) => {
                        return Err(S3Error::AccessDenied {
                            bucket: url.bucket.clone(),
                            prefix: url.prefix.clone(),
                            detail: "HeadBucket returned 403 Forbidden".into(),
                        });
                    }
                    _ => {
                        return Err(S3Error::Other {
                            bucket: url.bucket.clone(),
                            prefix: url.prefix.clone(),
                            detail: format!("{}", DisplayErrorContext(&err)),
                        });
                    }
                }
            }
        };
        self.clients.insert(url.bucket.clone(), client.clone());
        Ok(client)
    }

    /// Walks the layout under `url`, pruning by the filters at every level,
    /// down to the day folders (not listed yet: see [`S3Source::list_days`]).
    pub fn discover(&mut self, url: &S3Url, filters: &Filters) -> Result<Listing, S3Error> {
        let client = self.client_for(url)?;
        let walk = Walk {
            client,
            bucket: url.bucket.clone(),
            filters: filters.clone(),
            stats: self.stats.clone(),
            stop_at_days: true,
        };
        self.runtime
            .block_on(walk.run(url.prefix.clone(), self.concurrency()))
    }

    /// Lists the objects of these day folders (of buckets already
    /// discovered), concurrently; unsorted, for the caller to merge with its
    /// own objects and sort once ([`Inventory::sort`]).
    pub fn list_days(&self, folders: &[DayFolder], filters: &Filters) -> Inventory {
        let mut inventory = Inventory::default();
        let mut by_bucket: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for folder in folders {
            by_bucket
                .entry(folder.bucket.as_str())
                .or_default()
                .push(folder.prefix.clone());
        }
        for (bucket, prefixes) in by_bucket {
            let Some(client) = self.clients.get(bucket).cloned() else {
                continue;
            };
            let walk = Walk {
                client,
                bucket: bucket.to_string(),
                filters: filters.clone(),
                stats: self.stats.clone(),
                stop_at_days: false,
            };
            let listed = self
                .runtime
                .block_on(walk.walk(prefixes.into(), self.concurrency()));
            inventory.extend(listed.inventory);
        }
        inventory
    }

    /// Starts fetching `objects` (inventory index and S3 location) with
    /// bounded concurrency, handing their bodies over in the given order.
    /// Objects in other locations come back as errors.
    pub fn fetch_in_order(&self, objects: Vec<(usize, Location)>) -> Bodies {
        let concurrency = self.concurrency();
        let (tx, rx) = mpsc::channel(concurrency);
        let clients = self.clients.clone();
        let stats = self.stats.clone();
        let attempts = self.options.max_attempts.max(1);
        self.runtime.spawn(async move {
            let mut in_flight = VecDeque::with_capacity(concurrency);
            for (index, location) in objects {
                if in_flight.len() >= concurrency
                    && let Some(pending) = in_flight.pop_front()
                    && !hand_over(&tx, pending).await
                {
                    return;
                }
                let fetch = match location {
                    Location::S3 { bucket, key } => match clients.get(&bucket).cloned() {
                        Some(client) => {
                            tokio::spawn(fetch_object(client, bucket, key, attempts, stats.clone()))
                        }
                        None => {
                            tokio::spawn(
                                async move { Err(format!("no client for bucket {bucket}")) },
                            )
                        }
                    },
                    Location::Local(_) => {
                        tokio::spawn(async { Err("not an S3 object".to_string()) })
                    }
                };
                in_flight.push_back((index, fetch));
            }
            while let Some(pending) = in_flight.pop_front() {
                if !hand_over(&tx, pending).await {
                    return;
                }
            }
        });
        Bodies { rx }
    }
}

type Pending = (usize, tokio::task::JoinHandle<Result<Vec<u8>, String>>);

impl S3Source {
    /// Fetches one object now, blocking the calling (non-async) thread.
    pub fn fetch_blocking(&self, location: &Location) -> Result<Vec<u8>, String> {
        let Location::S3 { bucket, key } = location else {
            return Err("not an S3 object".into());
        };
        let client = self
            .clients
            .get(bucket)
            .cloned()
            .ok_or_else(|| format!("no client for bucket {bucket}"))?;
        self.runtime.block_on(fetch_object(
            client,
            bucket.clone(),
            key.clone(),
            self.options.max_attempts.max(1),
            self.stats.clone(),
        ))
    }
}

/// Waits for one fetch and passes its result on; false once the receiver
/// is gone (the scan ended early).
async fn hand_over(tx: &mpsc::Sender<(usize, Result<Vec<u8>, String>)>, pending: Pending) -> bool {
    let (index, handle) = pending;
    let result = handle
        .await
        .unwrap_or_else(|e| Err(format!("fetch task failed: {e}")));
    tx.send((index, result)).await.is_ok()
}

/// Object bodies, in the order they were asked for.
pub struct Bodies {
    rx: mpsc::Receiver<(usize, Result<Vec<u8>, String>)>,
}

impl Bodies {
    /// The next object's bytes, or why it could not be fetched; `None` when
    /// every object has been handed over. Blocks while the fetch is under
    /// way; call it from a worker thread, not from async code.
    pub fn next_body(&mut self) -> Option<(usize, Result<Vec<u8>, String>)> {
        self.rx.blocking_recv()
    }
}

/// GETs one object, retrying a body cut off by a dropped connection (the
/// SDK retries the request itself, not the streaming body).
async fn fetch_object(
    client: Client,
    bucket: String,
    key: String,
    attempts: u32,
    stats: Arc<S3Stats>,
) -> Result<Vec<u8>, String> {
    let mut attempt = 1;
    loop {
        let response = client
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| describe_error(&e))?;
        match response.body.collect().await {
            Ok(body) => {
                let bytes: Vec<u8> = body.into_bytes().into();
                S3Stats::add(&stats.fetched_objects, 1);
                S3Stats::add(&stats.fetched_bytes, bytes.len() as u64);
                return Ok(bytes);
            }
            Err(_) if attempt < attempts => {
                S3Stats::add(&stats.body_retries, 1);
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => {
                return Err(format!(
                    "connection lost while reading the object, {attempts} attempts: {e}"
                ));
            }
        }
    }
}

/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
/// Backoff And Jitter"): a random wait up to 100 ms × 2^attempt, at most 10 s.
fn backoff(attempt: u32) -> Duration {
    let cap_ms = (100u64 << attempt.min(7)).min(10_000);
    // A cheap jitter source: the low bits of the clock; good enough to
    // spread retries, and no extra dependency.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    Duration::from_millis(crate::hash::fmix64(nanos) % cap_ms.max(1))
}

/// An S3 error in words: the S3 code and message when there is one, the
/// whole chain otherwise.
fn describe_error<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) if service.code().is_some() => format!(
            "{}: {}",
            service.code().unwrap_or_default(),
            service.message().unwrap_or_default()
        ),
        _ => format!("{}", DisplayErrorContext(err)),
    }
}

/// One folder's listing: its sub-folders and objects.
#[derive(Debug, Default)]
struct Level {
    folders: Vec<String>,
    objects: Vec<(String, u64, Option<String>)>,
}

/// The walk of one bucket prefix.
struct Walk {
    client: Client,
    bucket: String,
    filters: Filters,
    stats: Arc<S3Stats>,
    /// Record day folders instead of listing them.
    stop_at_days: bool,
}

/// Why a listing failed, kept apart so the walk can tell the source's own
/// failure (fatal) from one folder's (reported, skipped).
struct ListFailure {
    denied: bool,
    no_bucket: bool,
    detail: String,
}

impl Walk {
    async fn run(self, root: String, concurrency: usize) -> Result<Listing, S3Error> {
        let mut listing = Listing::default();
        let first = list_level(&self.client, &self.bucket, &root, &self.stats)
            .await
            .map_err(|f| self.source_error(&root, f))?;
        let mut queue = VecDeque::new();
        let mut found = false;
        if root.is_empty() || root.ends_with('/') {
            found = !(first.folders.is_empty() && first.objects.is_empty());
            self.absorb(first, &mut queue, &mut listing);
        } else {
            // `s3://b/AWSLogs` names the folder `AWSLogs/` or the object
            // `AWSLogs`, not its siblings such as `AWSLogs-old/`.
            let folder = format!("{root}/");
            for f in first.folders {
                if f == folder {
                    found = true;
                    self.enter(f, &mut queue, &mut listing);
                }
            }
            for (key, size, etag) in first.objects {
                if key == root {
                    found = true;
                    let components = key_components(&key);
                    let location = self.location(&key);
                    listing.inventory.consider(
                        &components,
                        location,
                        size,
                        etag,
                        true,
                        &self.filters,
                    );
                }
            }
        }
        if !found {
            return Err(S3Error::EmptyPrefix {
                bucket: self.bucket.clone(),
                prefix: root,
            });
        }
        let rest = self.walk(queue, concurrency).await;
        listing.inventory.extend(rest.inventory);
        listing.days.extend(rest.days);
        listing.days.sort();
        listing.inventory.sort();
        Ok(listing)
    }

    /// Lists the queued folders and everything below them that the filters
    /// may want, at most `concurrency` list calls at once.
    async fn walk(self, mut queue: VecDeque<String>, concurrency: usize) -> Listing {
        let mut listing = Listing::default();
        let walk = Arc::new(self);
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < concurrency
                && let Some(prefix) = queue.pop_front()
            {
                let walk = walk.clone();
                tasks.spawn(async move {
                    let level = list_level(&walk.client, &walk.bucket, &prefix, &walk.stats).await;
                    (prefix, level)
                });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            match joined {
                Ok((_, Ok(level))) => walk.absorb(level, &mut queue, &mut listing),
                Ok((prefix, Err(failure))) => listing.inventory.unreadable.push(SkippedInput {
                    path: format!("s3://{}/{prefix}", walk.bucket),
                    reason: format!("cannot list: {}", failure.detail),
                }),
                Err(e) => listing.inventory.unreadable.push(SkippedInput {
                    path: format!("s3://{}", walk.bucket),
                    reason: format!("listing task failed: {e}"),
                }),
            }
        }
        listing
    }

    fn source_error(&self, prefix: &str, failure: ListFailure) -> S3Error {
        let bucket = self.bucket.clone();
        let prefix = prefix.to_string();
        if failure.no_bucket {
            S3Error::NoSuchBucket { bucket }
        } else if failure.denied {
            S3Error::AccessDenied {
                bucket,
                prefix,
                detail: failure.detail,
            }
        } else {
            S3Error::Other {
                bucket,
                prefix,
                detail: failure.detail,
            }
        }
    }

    fn location(&self, key: &str) -> Location {
        Location::S3 {
            bucket: self.bucket.clone(),
            key: key.to_string(),
        }
    }

    fn absorb(&self, level: Level, queue: &mut VecDeque<String>, listing: &mut Listing) {
        for folder in level.folders {
            self.enter(folder, queue, listing);
        }
        let inventory = &mut listing.inventory;
        for (key, size, etag) in level.objects {
            // Zero-byte "folder" markers made by consoles and sync tools.
            if key.ends_with('/') {
                continue;
            }
            S3Stats::add(&self.stats.listed_objects, 1);
            S3Stats::add(&self.stats.listed_bytes, size);
            let components = key_components(&key);
            let location = self.location(&key);
            inventory.consider(&components, location, size, etag, false, &self.filters);
        }
    }

    /// Queues a folder for listing unless the layout says it cannot hold
    /// wanted log files.
    fn enter(&self, folder: String, queue: &mut VecDeque<String>, listing: &mut Listing) {
        let inventory = &mut listing.inventory;
        let components = key_components(&folder);
        if let [.., parent, name] = components.as_slice()
            && layout::is_account_id(parent)
            && matches!(*name, "CloudTrail-Digest" | "CloudTrail-Insight")
        {
            inventory
                .skipped_trees
                .push(format!("s3://{}/{folder}", self.bucket));
            return;
        }
        if let Err(reason) = layout::judge_dir(&components, &self.filters) {
            *inventory.pruned.entry(reason).or_default() += 1;
            return;
        }
        match layout::day_folder(&components) {
            Some(day) if self.stop_at_days => listing.days.push(DayFolder {
                day,
                bucket: self.bucket.clone(),
                prefix: folder,
            }),
            _ => queue.push_back(folder),
        }
    }
}

/// A key's (or folder prefix's) components, for the layout functions.
fn key_components(key: &str) -> Vec<&str> {
    key.split('/').filter(|c| !c.is_empty()).collect()
}

/// Lists one folder with the `/` delimiter, following continuation tokens.
async fn list_level(
    client: &Client,
    bucket: &str,
    prefix: &str,
    stats: &S3Stats,
) -> Result<Level, ListFailure> {
    let mut level = Level::default();
    let mut token: Option<String> = None;
    loop {
        S3Stats::add(&stats.list_calls, 1);
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|err| {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let code = err.as_service_error().and_then(|e| e.code()).unwrap_or("");
                ListFailure {
                    denied: status == Some(403) || code == "AccessDenied",
                    no_bucket: code == "NoSuchBucket",
                    detail: describe_error(&err),
                }
            })?;
        level.folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        level.objects.extend(page.contents().iter().filter_map(|o| {
            let key = o.key()?.to_string();
            let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
            Some((key, size, o.e_tag().map(str::to_string)))
        }));
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => return Ok(level),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        let url = S3Url::parse("s3://my-trail-bucket/AWSLogs/o-abc/").expect("url");
        assert_eq!(url.bucket, "my-trail-bucket");
        assert_eq!(url.prefix, "AWSLogs/o-abc/");
        assert_eq!(S3Url::parse("s3://bkt").expect("url").prefix, "");
        assert_eq!(S3Url::parse("s3://bkt/").expect("url").prefix, "");
        assert_eq!(S3Url::parse("s3://bkt//x").expect("url").prefix, "x");
    }

    #[test]
    fn rejects_what_is_not_a_bucket() {
        for bad in [
            "s3://",
            "s3://ab",
            "s3://Upper",
            "s3://a_b/c",
            "/tmp/x",
            "s3:/x",
        ] {
            assert!(
                matches!(S3Url::parse(bad), Err(S3Error::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn backoff_stays_under_its_cap() {
        for attempt in 1..20 {
            let wait = backoff(attempt);
            assert!(wait <= Duration::from_secs(10), "{attempt}: {wait:?}");
        }
        assert!(backoff(1) < Duration::from_millis(200));
    }
}
