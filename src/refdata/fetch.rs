//! Getting bytes from a [`Source`]: HTTP with retries and timeouts, or a
//! local directory in the endpoint's layout. Also the checks that decide
//! whether what came back is usable.
//!
//! Nothing here writes to the cache; see `cache.rs` for that.

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{DEFAULT_SERVICE_REFERENCE_URL, RefdataError, Source};

/// The index file at the root of the service reference.
pub(crate) const SERVICE_LIST_FILE: &str = "service-list.json";

/// Tuning for downloads. `Default` is what the product uses; tests shorten
/// the waits.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Service files fetched at once. Each is a separate small request, so
    /// latency, not bandwidth, dominates; 8 keeps a full update to seconds
    /// without hammering the endpoint.
    pub concurrency: usize,
    /// Tries per URL, including the first.
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further retry.
    pub backoff: Duration,
    pub connect_timeout: Duration,
    /// Time allowed until the response headers arrive; catches stalls.
    pub response_timeout: Duration,
    /// Time allowed for one whole request, body included.
    pub request_timeout: Duration,
    /// Largest body accepted (the biggest service file, ec2, is ~1 MB).
    pub max_body: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: 8,
            attempts: 4,
            backoff: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            max_body: 64 * 1024 * 1024,
        }
    }
}

/// Longest single wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// An HTTP client that retries transient failures.
pub(crate) struct Client {
    agent: ureq::Agent,
    attempts: u32,
    backoff: Duration,
    max_body: u64,
}

/// Why one attempt failed, before deciding whether to retry.
enum Attempt {
    Status(u16),
    Transport(ureq::Error),
}

impl Attempt {
    /// 5xx, 408 and 429 are the server asking us to come back later;
    /// I/O errors, timeouts and protocol errors are what a dropped or
    /// stalled connection looks like. Everything else (404, bad URL, DNS
    /// failure, TLS) will not change on a retry.
    fn is_transient(&self) -> bool {
        match self {
            Attempt::Status(status) => *status >= 500 || matches!(status, 408 | 429),
            Attempt::Transport(err) => matches!(
                err,
                ureq::Error::Io(_)
                    | ureq::Error::Timeout(_)
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Protocol(_)
            ),
        }
    }

    fn into_error(self, url: &str, attempts: u32) -> RefdataError {
        let url = url.to_string();
        match self {
            Attempt::Status(status) => RefdataError::HttpStatus {
                url,
                status,
                attempts,
            },
            Attempt::Transport(source) => RefdataError::Http {
                url,
                attempts,
                source: Box::new(source),
            },
        }
    }
}

impl Client {
    /// A client for requests to `url`'s host. Proxies come from the usual
    /// environment variables (`HTTPS_PROXY`, `NO_PROXY`, …), except for
    /// loopback hosts, which no proxy can reach on the caller's behalf.
    pub(crate) fn for_url(options: &Options, url: &str) -> Client {
        let config = ureq::Agent::config_builder();
        let config = if is_loopback_url(url) {
            config.proxy(None)
        } else {
            config
        };
        let agent = config
            // Status codes are inspected here so they can be retried.
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_recv_response(Some(options.response_timeout))
            .timeout_global(Some(options.request_timeout))
            // Let every worker keep its connection alive between files.
            .max_idle_connections_per_host(options.concurrency.max(1))
            .user_agent(concat!("vendortrail/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client {
            agent,
            attempts: options.attempts.max(1),
            backoff: options.backoff,
            max_body: options.max_body,
        }
    }

    /// GETs `url` and returns the body of a 2xx response, retrying
    /// transient failures with exponential backoff.
    pub(crate) fn get(&self, url: &str) -> Result<Vec<u8>, RefdataError> {
        let mut attempt = 1;
        loop {
            match self.get_once(url) {
                Ok(body) => return Ok(body),
                Err(failure) if failure.is_transient() && attempt < self.attempts => {
                    thread::sleep(self.backoff_before_retry(attempt));
                    attempt += 1;
                }
                Err(failure) => return Err(failure.into_error(url, attempt)),
            }
        }
    }

    fn get_once(&self, url: &str) -> Result<Vec<u8>, Attempt> {
        let mut response = self.agent.get(url).call().map_err(Attempt::Transport)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(Attempt::Status(status));
        }
        response
            .body_mut()
            .with_config()
            .limit(self.max_body)
            .read_to_vec()
            .map_err(Attempt::Transport)
    }

    /// `backoff * 2^(attempt-1)`, capped, plus up to 50% jitter so eight
    /// workers that failed together do not retry in lockstep.
    fn backoff_before_retry(&self, attempt: u32) -> Duration {
        let base = self
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        base + base.mul_f64(f64::from(nanos % 500) / 1000.0)
    }
}

/// True for `http(s)://` URLs whose host is `localhost` or a loopback IP.
fn is_loopback_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(bracketed),
        None => host_port.split(':').next().unwrap_or(host_port),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One row of `service-list.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ListEntry {
    pub service: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// Where the service reference comes from, resolved once per update.
pub(crate) enum Origin {
    Http {
        client: Client,
        /// Ends with `/`; `service-list.json` is relative to it.
        base: String,
        /// Only for AWS's own endpoint are the list's URLs trusted as is;
        /// any other base (a mirror, a test server) still gets a list that
        /// names the AWS host, so files are resolved against the base.
        follow_list_urls: bool,
    },
    Dir(PathBuf),
}

impl Origin {
    pub(crate) fn new(source: &Source, options: &Options) -> Origin {
        match source {
            Source::Url(url) => {
                let base = service_reference_base(url);
                Origin::Http {
                    client: Client::for_url(options, &base),
                    follow_list_urls: base == DEFAULT_SERVICE_REFERENCE_URL,
                    base,
                }
            }
            Source::Dir(dir) => {
                // Accept the list file itself as well as its directory.
                let dir = if dir
                    .file_name()
                    .is_some_and(|name| name == SERVICE_LIST_FILE)
                {
                    dir.parent().unwrap_or(dir).to_path_buf()
                } else {
                    dir.clone()
                };
                Origin::Dir(dir)
            }
        }
    }

    /// How the origin is recorded in metadata: the base URL, or the
    /// directory made absolute where possible.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::Http { base, .. } => base.clone(),
            Origin::Dir(dir) => fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.clone())
                .display()
                .to_string(),
        }
    }

    pub(crate) fn list_location(&self) -> String {
        match self {
            Origin::Http { base, .. } => format!("{base}{SERVICE_LIST_FILE}"),
            Origin::Dir(dir) => dir.join(SERVICE_LIST_FILE).display().to_string(),
        }
    }

    pub(crate) fn service_list(&self) -> Result<Vec<u8>, RefdataError> {
        match self {
            Origin::Http { client, .. } => client.get(&self.list_location()),
            Origin::Dir(dir) => read_file(&dir.join(SERVICE_LIST_FILE)),
        }
    }

    /// Where the file for `entry` is fetched from.
    pub(crate) fn service_location(&self, entry: &ListEntry) -> String {
        match self {
            Origin::Http {
                base,
                follow_list_urls,
                ..
            } => service_url(base, *follow_list_urls, entry),
            Origin::Dir(dir) => service_path(dir, &entry.service).display().to_string(),
        }
    }

    pub(crate) fn service_file(&self, entry: &ListEntry) -> Result<Vec<u8>, RefdataError> {
        match self {
            Origin::Http { client, .. } => client.get(&self.service_location(entry)),
            Origin::Dir(dir) => read_file(&service_path(dir, &entry.service)),
        }
    }
}

/// Normalises a user-given URL to the directory the list lives in. Accepts
/// `…/v1`, `…/v1/` and `…/v1/service-list.json`.
pub(crate) fn service_reference_base(url: &str) -> String {
    if let Some(base) = url.strip_suffix(SERVICE_LIST_FILE) {
        return base.to_string();
    }
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// `<base><svc>/<svc>.json`, the endpoint's own layout, unless the list's
/// URL is to be followed.
pub(crate) fn service_url(base: &str, follow_list_urls: bool, entry: &ListEntry) -> String {
    match (&entry.url, follow_list_urls) {
        (Some(url), true) => url.clone(),
        _ => format!("{base}{0}/{0}.json", entry.service),
    }
}

/// `<dir>/<svc>/<svc>.json`.
pub(crate) fn service_path(dir: &Path, service: &str) -> PathBuf {
    dir.join(service).join(format!("{service}.json"))
}

/// Reads a whole local file, naming it on failure.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, RefdataError> {
    fs::read(path).map_err(|source| RefdataError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Fetches a single-file dataset: a URL to the file (a trailing `/` gets
/// `file_name` appended), or a local file, or a directory holding
/// `file_name`. Returns the bytes and where they came from.
pub(crate) fn fetch_single(
    source: &Source,
    file_name: &str,
    options: &Options,
) -> Result<(Vec<u8>, String), RefdataError> {
    match source {
        Source::Url(url) => {
            let url = if url.ends_with('/') {
                format!("{url}{file_name}")
            } else {
                url.clone()
            };
            let body = Client::for_url(options, &url).get(&url)?;
            Ok((body, url))
        }
        Source::Dir(path) => {
            let path = if path.is_dir() {
                path.join(file_name)
            } else {
                path.clone()
            };
            let body = read_file(&path)?;
            let canonical = fs::canonicalize(&path).unwrap_or(path);
            Ok((body, canonical.display().to_string()))
        }
    }
}

/// Parses `service-list.json`, rejects names that are unsafe as path
/// components, and drops duplicates (keeping the first).
pub(crate) fn parse_service_list(
    bytes: &[u8],
    location: &str,
) -> Result<Vec<ListEntry>, RefdataError> {
    let invalid = |reason: String| RefdataError::InvalidServiceList {
        location: location.to_string(),
        reason,
    };
    let entries: Vec<ListEntry> =
        serde_json::from_slice(bytes).map_err(|err| invalid(err.to_string()))?;
    if entries.is_empty() {
        return Err(invalid("the list is empty".to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut unique = Vec::with_capacity(entries.len());
    for entry in entries {
        if !is_safe_service_name(&entry.service) {
            return Err(RefdataError::UnsafeServiceName {
                location: location.to_string(),
                name: entry.service,
            });
        }
        if seen.insert(entry.service.clone()) {
            unique.push(entry);
        }
    }
    Ok(unique)
}

/// Service names become directory and file names in the cache, so a list
/// from a hostile mirror must not be able to say `../../somewhere`. AWS's
/// prefixes are lowercase letters, digits and `-`; `_` and `.` are allowed
/// for safety margin, but not a leading `.`.
fn is_safe_service_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The minimum a service file needs for the catalog: a JSON object with a
/// string `Name` and an `Actions` array. This catches HTML error pages and
/// truncated bodies; the rest is left to the catalog loader.
#[derive(Deserialize)]
struct ServiceFileShape {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Actions")]
    #[allow(dead_code)] // Only its presence and type are checked.
    actions: Vec<IgnoredAny>,
}

pub(crate) fn validate_service_file(bytes: &[u8], location: &str) -> Result<(), RefdataError> {
    let invalid = |reason: String| RefdataError::InvalidServiceFile {
        location: location.to_string(),
        reason,
    };
    let shape: ServiceFileShape =
        serde_json::from_slice(bytes).map_err(|err| invalid(err.to_string()))?;
    if shape.name.is_empty() {
        return Err(invalid("`Name` is empty".to_string()));
    }
    Ok(())
}

/// A light check that a download is the known-accounts YAML and not, say,
/// a captive portal's HTML: UTF-8 with an `accounts:` key. No YAML parsing.
pub(crate) fn validate_known_accounts(bytes: &[u8], location: &str) -> Result<(), RefdataError> {
    let invalid = |reason: &str| RefdataError::InvalidKnownAccounts {
        location: location.to_string(),
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text"))?;
    if !text.contains("accounts:") {
        return Err(invalid("no `accounts:` key"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(service: &str, url: Option<&str>) -> ListEntry {
        ListEntry {
            service: service.to_string(),
            url: url.map(str::to_string),
        }
    }

    #[test]
    fn base_normalisation() {
        let expected = "http://127.0.0.1:9/v1/";
        for given in [
            "http://127.0.0.1:9/v1",
            "http://127.0.0.1:9/v1/",
            "http://127.0.0.1:9/v1/service-list.json",
        ] {
            assert_eq!(service_reference_base(given), expected, "{given}");
        }
    }

    #[test]
    fn list_urls_followed_only_for_the_default_endpoint() {
        let aws = "https://servicereference.us-east-1.amazonaws.com/v1/s3/s3.json";
        let s3 = entry("s3", Some(aws));
        assert_eq!(service_url(DEFAULT_SERVICE_REFERENCE_URL, true, &s3), aws);
        assert_eq!(
            service_url("http://mirror.example/v1/", false, &s3),
            "http://mirror.example/v1/s3/s3.json"
        );
        // A list without URLs still works against the default endpoint.
        assert_eq!(
            service_url(DEFAULT_SERVICE_REFERENCE_URL, true, &entry("kms", None)),
            "https://servicereference.us-east-1.amazonaws.com/v1/kms/kms.json"
        );
        let origin = Origin::new(
            &Source::Url(DEFAULT_SERVICE_REFERENCE_URL.into()),
            &Options::default(),
        );
        assert!(matches!(
            origin,
            Origin::Http {
                follow_list_urls: true,
                ..
            }
        ));
        let origin = Origin::new(
            &Source::Url("http://127.0.0.1:1/v1".into()),
            &Options::default(),
        );
        assert!(matches!(
            origin,
            Origin::Http {
                follow_list_urls: false,
                ..
            }
        ));
    }

    #[test]
    fn service_list_rejects_unsafe_names_and_dedupes() {
        let list = br#"[{"service":"s3"},{"service":"s3"},{"service":"kms","url":"x"}]"#;
        let entries = parse_service_list(list, "list").expect("valid list");
        assert_eq!(entries, vec![entry("s3", None), entry("kms", Some("x"))]);

        for bad in ["../etc", "a/b", ".hidden", "", "a\\b", "s3 "] {
            let list = serde_json::to_vec(&[serde_json::json!({ "service": bad })]).expect("json");
            let err = parse_service_list(&list, "list").expect_err(bad);
            assert!(
                matches!(err, RefdataError::UnsafeServiceName { .. }),
                "{bad}: {err}"
            );
        }
        let err = parse_service_list(b"[]", "http://x/v1/service-list.json").expect_err("empty");
        assert!(
            err.to_string().contains("http://x/v1/service-list.json"),
            "{err}"
        );
        assert!(parse_service_list(b"<html>", "list").is_err());
    }

    #[test]
    fn service_file_needs_name_and_actions() {
        assert!(validate_service_file(br#"{"Name":"s3","Actions":[]}"#, "f").is_ok());
        for bad in [
            &br#"{"Name":"s3"}"#[..],
            br#"{"Actions":[]}"#,
            br#"{"Name":"","Actions":[]}"#,
            br#"{"Name":"s3","Actions":{}}"#,
            br#"{"Name":"s3","Actions":[{"#,
            b"<html>503</html>",
        ] {
            let err = validate_service_file(bad, "u/s3.json").expect_err("invalid");
            assert!(err.to_string().starts_with("u/s3.json"), "{err}");
        }
    }

    #[test]
    fn known_accounts_check() {
        assert!(validate_known_accounts(b"- name: 'X'\n  accounts: ['1']\n", "f").is_ok());
        assert!(validate_known_accounts(b"<html></html>", "f").is_err());
        assert!(validate_known_accounts(&[0xff, 0xfe], "f").is_err());
    }

    #[test]
    fn loopback_detection() {
        for url in [
            "http://127.0.0.1:8080/v1/",
            "http://127.1.2.3/",
            "http://localhost/x",
            "http://user@LOCALHOST:9",
            "http://[::1]:8080/v1/",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            DEFAULT_SERVICE_REFERENCE_URL,
            "http://10.0.0.1/",
            "http://localhost.example.com/",
            "http://127.0.0.1.example.com/",
            "/local/dir",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let options = Options {
            backoff: Duration::from_millis(100),
            ..Options::default()
        };
        let client = Client::for_url(&options, DEFAULT_SERVICE_REFERENCE_URL);
        let first = client.backoff_before_retry(1);
        let third = client.backoff_before_retry(3);
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(150));
        assert!(third >= Duration::from_millis(400) && third < Duration::from_millis(600));
        assert!(client.backoff_before_retry(30) <= MAX_BACKOFF.mul_f64(1.5));
    }
}
