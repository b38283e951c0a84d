//! End-to-end tests of updates and status: the real HTTP and file code
//! against the loopback server and the shared copy of the endpoint.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::test_server::{ALWAYS, Fault, TestServer};
use super::*;
use crate::testutil::shared_data_dir;

const BASE_PATH: &str = "/service-reference/v1/";

/// Retries and timeouts shortened so fault tests take milliseconds, not
/// the product's seconds.
fn fast_options() -> Options {
    Options {
        backoff: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(30),
        ..Options::default()
    }
}

/// The shared copy of the endpoint.
fn source_catalog() -> PathBuf {
    let dir = shared_data_dir().join("service-reference").join("v1");
    assert!(
        dir.join(SERVICE_LIST_FILE).is_file(),
        "shared service reference missing at {}",
        dir.display()
    );
    dir
}

fn start_server() -> (TestServer, Source) {
    let server = TestServer::start(&shared_data_dir());
    let source = Source::Url(server.url(BASE_PATH));
    (server, source)
}

fn service_path_on_server(service: &str) -> String {
    format!("{BASE_PATH}{service}/{service}.json")
}

fn ignore(_: UpdateProgress) {}

/// Service names in a catalog directory's list.
fn listed_services(catalog: &Path) -> Vec<String> {
    let list = fs::read(catalog.join(SERVICE_LIST_FILE)).expect("read list");
    fetch::parse_service_list(&list, "list")
        .expect("parse list")
        .into_iter()
        .map(|entry| entry.service)
        .collect()
}

/// (services, bytes including the list) of a catalog directory, computed
/// independently of the code under test.
fn catalog_totals(catalog: &Path) -> (usize, u64) {
    let services = listed_services(catalog);
    let mut bytes = fs::metadata(catalog.join(SERVICE_LIST_FILE))
        .expect("list size")
        .len();
    for service in &services {
        let path = catalog.join(service).join(format!("{service}.json"));
        bytes += fs::metadata(&path).expect("service size").len();
    }
    (services.len(), bytes)
}

/// Asserts two catalog directories hold the same list and service files,
/// byte for byte.
fn assert_same_catalog(actual: &Path, expected: &Path) {
    let services = listed_services(expected);
    assert_eq!(listed_services(actual), services);
    for service in &services {
        let relative = Path::new(service).join(format!("{service}.json"));
        let got = fs::read(actual.join(&relative)).expect("cached file");
        let want = fs::read(expected.join(&relative)).expect("source file");
        assert!(got == want, "{} differs", relative.display());
    }
}

fn read_metadata(cache_dir: &Path, dataset: Dataset) -> serde_json::Value {
    let path = dataset.dir(cache_dir).join(METADATA_FILE);
    serde_json::from_slice(&fs::read(&path).expect("metadata")).expect("metadata json")
}

fn dir_entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn full_update_from_loopback_matches_source() {
    let (server, source) = start_server();
    let cache = tempfile::tempdir().expect("tempdir");
    let events = RefCell::new(Vec::new());

    let started = Instant::now();
    let summary = update_service_reference(&source, cache.path(), &|event| {
        events.borrow_mut().push(event)
    })
    .expect("update succeeds");
    eprintln!(
        "full loopback update: {} services, {} bytes in {:?}",
        summary.services,
        summary.bytes,
        started.elapsed()
    );

    let (services, bytes) = catalog_totals(&source_catalog());
    assert_eq!(services, 466);
    assert_eq!((summary.services, summary.bytes), (services, bytes));
    assert_eq!(summary.source, server.url(BASE_PATH));
    assert_eq!(
        cached_catalog_dir(cache.path()),
        Some(summary.catalog_dir.clone())
    );
    assert_same_catalog(&summary.catalog_dir, &source_catalog());

    let metadata = read_metadata(cache.path(), Dataset::ServiceReference);
    assert_eq!(metadata["services"], services);
    assert_eq!(metadata["bytes"], bytes);
    assert_eq!(metadata["failed"], serde_json::json!([]));
    assert_eq!(metadata["source"], server.url(BASE_PATH));
    assert_eq!(metadata["retrieved_at"], summary.retrieved_at);
    let stamp = summary.retrieved_at.as_bytes();
    assert!(stamp.len() == 20 && stamp[10] == b'T' && stamp[19] == b'Z');

    // The list names the AWS host; every file must still come from the
    // loopback base, exactly once.
    assert_eq!(server.hits(&service_path_on_server("s3")), 1);
    assert_eq!(server.total_hits(), services + 1);

    let events = events.into_inner();
    assert_eq!(
        events.first(),
        Some(&UpdateProgress::Started { total: services })
    );
    assert_eq!(
        events.last(),
        Some(&UpdateProgress::Finished {
            services,
            failed: 0
        })
    );
    let done = events
        .iter()
        .filter(|event| matches!(event, UpdateProgress::ServiceDone { .. }))
        .count();
    assert_eq!(done, services);
    assert_eq!(
        dir_entries(cache.path()),
        BTreeSet::from(["service-reference".to_string()])
    );
}

#[test]
fn retries_survive_transient_faults_and_replace_previous_cache() {
    let cache = tempfile::tempdir().expect("tempdir");
    update_service_reference(&Source::Dir(source_catalog()), cache.path(), &ignore)
        .expect("initial update from directory");

    let (server, source) = start_server();
    let list = format!("{BASE_PATH}{SERVICE_LIST_FILE}");
    let faults = [
        (list.clone(), Fault::Status(503), 1),
        (service_path_on_server("s3"), Fault::Status(503), 2),
        (service_path_on_server("ec2"), Fault::Drop, 2),
        (service_path_on_server("iam"), Fault::Truncate, 1),
        (
            service_path_on_server("kms"),
            Fault::Stall(Duration::from_secs(3)),
            1,
        ),
        // Four attempts: three failures are still survivable.
        (service_path_on_server("lambda"), Fault::Status(500), 3),
    ];
    for (path, fault, times) in &faults {
        server.inject(path, *fault, *times);
    }

    let summary = update_service_reference_with(&source, cache.path(), &fast_options(), &ignore)
        .expect("update survives transient faults");

    assert_eq!(summary.services, 466);
    for (path, _, times) in &faults {
        assert_eq!(server.hits(path), times + 1, "{path}");
    }
    assert_same_catalog(&summary.catalog_dir, &source_catalog());
    let metadata = read_metadata(cache.path(), Dataset::ServiceReference);
    assert_eq!(
        metadata["source"],
        server.url(BASE_PATH),
        "new metadata replaced old"
    );
    assert_eq!(
        dir_entries(cache.path()),
        BTreeSet::from(["service-reference".to_string()])
    );
}

#[test]
fn persistent_404_fails_and_leaves_previous_cache_untouched() {
    let cache = tempfile::tempdir().expect("tempdir");
    update_service_reference(&Source::Dir(source_catalog()), cache.path(), &ignore)
        .expect("initial update from directory");
    let metadata_path = Dataset::ServiceReference
        .dir(cache.path())
        .join(METADATA_FILE);
    let metadata_before = fs::read(&metadata_path).expect("metadata");
    let entries_before = dir_entries(cache.path());

    let (server, source) = start_server();
    // The first listed service, so the test also shows that no new
    // downloads start after a permanent failure.
    let first = listed_services(&source_catalog())[0].clone();
    let missing = service_path_on_server(&first);
    server.inject(&missing, Fault::Status(404), ALWAYS);
    let events = RefCell::new(Vec::new());
    let err = update_service_reference_with(&source, cache.path(), &fast_options(), &|event| {
        events.borrow_mut().push(event)
    })
    .expect_err("a missing service file fails the update");

    let RefdataError::Incomplete {
        failures, total, ..
    } = &err
    else {
        panic!("unexpected error: {err}");
    };
    assert_eq!(*total, 466);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].service, first);
    assert!(matches!(
        failures[0].error,
        RefdataError::HttpStatus {
            status: 404,
            attempts: 1,
            ..
        }
    ));
    let message = err.to_string();
    assert!(message.contains(&server.url(&missing)), "{message}");
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(message.contains("cache left unchanged"), "{message}");
    assert_eq!(server.hits(&missing), 1, "404 is not retried");
    // 8 workers each finish the file in hand; a few more may start before
    // they see the failure, but nowhere near all 466.
    assert!(
        server.total_hits() < 100,
        "{} requests",
        server.total_hits()
    );
    assert!(
        events
            .borrow()
            .iter()
            .any(|event| matches!(event, UpdateProgress::Finished { failed: 1, .. }))
    );

    assert_eq!(fs::read(&metadata_path).expect("metadata"), metadata_before);
    assert_eq!(
        dir_entries(cache.path()),
        entries_before,
        "no staging left behind"
    );
    assert_same_catalog(
        &cached_catalog_dir(cache.path()).expect("previous catalog"),
        &source_catalog(),
    );
}

#[test]
fn exhausted_retries_report_url_and_attempts() {
    let cache = tempfile::tempdir().expect("tempdir");
    let (server, source) = start_server();
    let first = listed_services(&source_catalog())[0].clone();
    let unavailable = service_path_on_server(&first);
    server.inject(&unavailable, Fault::Status(503), ALWAYS);
    let options = Options {
        attempts: 3,
        ..fast_options()
    };

    let err = update_service_reference_with(&source, cache.path(), &options, &ignore)
        .expect_err("persistent 503 fails");

    let RefdataError::Incomplete { failures, .. } = &err else {
        panic!("unexpected error: {err}");
    };
    assert!(matches!(
        failures[0].error,
        RefdataError::HttpStatus {
            status: 503,
            attempts: 3,
            ..
        }
    ));
    assert_eq!(server.hits(&unavailable), 3);
    assert!(err.to_string().contains(&server.url(&unavailable)), "{err}");
    // First update ever: nothing cached, nothing left behind.
    assert!(dir_entries(cache.path()).is_empty());
    assert_eq!(cached_catalog_dir(cache.path()), None);
}

#[test]
fn unreachable_service_list_fails_before_touching_the_cache() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().join("not-yet-created");
    let (server, source) = start_server();
    let list = format!("{BASE_PATH}{SERVICE_LIST_FILE}");
    server.inject(&list, Fault::Status(404), ALWAYS);

    let err = update_service_reference_with(&source, &cache_dir, &fast_options(), &ignore)
        .expect_err("no list, no update");

    assert!(err.to_string().contains(&server.url(&list)), "{err}");
    assert!(!cache_dir.exists());

    // Nothing listening at all: a connection error, retried, then reported.
    let dead = Source::Url(server.url("/nowhere/"));
    drop(server);
    let err = update_service_reference_with(&dead, &cache_dir, &fast_options(), &ignore)
        .expect_err("connection refused");
    assert!(
        matches!(err, RefdataError::Http { attempts: 4, .. }),
        "{err}"
    );
}

#[test]
fn dir_source_installs_an_offline_copy() {
    let cache = tempfile::tempdir().expect("tempdir");
    // The list file itself is accepted as well as its directory.
    let list_file = Source::Dir(source_catalog().join(SERVICE_LIST_FILE));

    let summary = update_service_reference(&list_file, cache.path(), &ignore).expect("dir update");

    let (services, bytes) = catalog_totals(&source_catalog());
    assert_eq!((summary.services, summary.bytes), (services, bytes));
    assert_same_catalog(&summary.catalog_dir, &source_catalog());
    let canonical = fs::canonicalize(source_catalog()).expect("canonical");
    assert_eq!(summary.source, canonical.display().to_string());
    assert_eq!(
        read_metadata(cache.path(), Dataset::ServiceReference)["source"],
        summary.source
    );
}

#[test]
fn dir_source_rejects_broken_and_missing_files() {
    let source = tempfile::tempdir().expect("tempdir");
    let write = |relative: &str, text: &str| {
        let path = source.path().join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    };
    write(
        SERVICE_LIST_FILE,
        r#"[{"service":"good"},{"service":"broken"}]"#,
    );
    write("good/good.json", r#"{"Name":"good","Actions":[]}"#);
    write("broken/broken.json", r#"{"Name":"broken"}"#);
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = Source::Dir(source.path().to_path_buf());

    let err = update_service_reference(&dir, cache.path(), &ignore).expect_err("broken file");
    let message = err.to_string();
    assert!(message.contains("broken.json"), "{message}");
    assert!(message.contains("missing field `Actions`"), "{message}");

    write("broken/broken.json", r#"{"Name":"broken","Actions":[{}]}"#);
    write(
        SERVICE_LIST_FILE,
        r#"[{"service":"good"},{"service":"absent"}]"#,
    );
    let err = update_service_reference(&dir, cache.path(), &ignore).expect_err("missing file");
    assert!(err.to_string().contains("absent.json"), "{err}");
    assert!(dir_entries(cache.path()).is_empty());

    write(
        SERVICE_LIST_FILE,
        r#"[{"service":"good"},{"service":"broken"}]"#,
    );
    let summary = update_service_reference(&dir, cache.path(), &ignore).expect("now valid");
    assert_eq!(summary.services, 2);
}

#[test]
fn status_before_and_after_updates() {
    let cache = tempfile::tempdir().expect("tempdir");
    let before = status(cache.path());
    assert!(before.datasets.iter().all(|entry| !entry.is_present()));
    let text = before.to_string();
    assert!(text.contains("service reference: not cached"), "{text}");
    assert!(text.contains("known accounts: not cached"), "{text}");

    update_service_reference(&Source::Dir(source_catalog()), cache.path(), &ignore)
        .expect("service reference");
    update_known_accounts(
        &Source::Dir(shared_data_dir().join("known_accounts")),
        cache.path(),
    )
    .expect("known accounts");

    let after = status(cache.path());
    let reference = after.service_reference().expect("entry");
    let info = reference.cached.as_ref().expect("present");
    assert_eq!(info.services, Some(466));
    assert_eq!(info.age_human(), "less than a minute");
    assert_eq!(
        reference.path,
        cached_catalog_dir(cache.path()).expect("catalog")
    );
    assert!(
        after
            .dataset(Dataset::KnownAccounts)
            .expect("entry")
            .is_present()
    );
    let text = after.to_string();
    assert!(text.contains("service reference: 466 services, "), "{text}");
    assert!(text.contains(&info.retrieved_at), "{text}");
    assert!(text.contains("known accounts: 40.4 kB"), "{text}");

    // Age comes from the metadata, not file times.
    let metadata_path = Dataset::ServiceReference
        .dir(cache.path())
        .join(METADATA_FILE);
    let mut metadata = read_metadata(cache.path(), Dataset::ServiceReference);
    let three_days_ago = metadata["retrieved_at_unix"].as_u64().expect("unix") - 3 * 86_400;
    metadata["retrieved_at_unix"] = three_days_ago.into();
    fs::write(&metadata_path, metadata.to_string()).expect("rewrite");
    assert!(status(cache.path()).to_string().contains("(3 days ago)"));

    // Unreadable metadata: reported, not present.
    fs::write(&metadata_path, "{").expect("corrupt");
    let broken = status(cache.path());
    let reference = broken.service_reference().expect("entry");
    assert!(!reference.is_present());
    assert!(broken.to_string().contains("service reference: unusable ("));
    fs::remove_file(&metadata_path).expect("remove");
    assert_eq!(
        cached_catalog_dir(cache.path()),
        None,
        "no metadata, no catalog"
    );
}

#[test]
fn known_accounts_from_loopback_and_failure_keeps_previous() {
    let expected = fs::read(
        shared_data_dir()
            .join("known_accounts")
            .join("accounts.yaml"),
    )
    .expect("shared accounts.yaml");
    let server = TestServer::start(&shared_data_dir());
    let url = server.url("/known_accounts/accounts.yaml");
    let cache = tempfile::tempdir().expect("tempdir");

    let summary =
        update_known_accounts_with(&Source::Url(url.clone()), cache.path(), &fast_options())
            .expect("download");

    assert_eq!(fs::read(&summary.path).expect("cached"), expected);
    assert_eq!(
        cached_known_accounts(cache.path()),
        Some(summary.path.clone())
    );
    let metadata = read_metadata(cache.path(), Dataset::KnownAccounts);
    assert_eq!(metadata["source"], url);
    assert_eq!(metadata["bytes"], expected.len());
    assert!(metadata.get("services").is_none());

    server.inject("/known_accounts/accounts.yaml", Fault::Status(404), ALWAYS);
    let err = update_known_accounts_with(&Source::Url(url.clone()), cache.path(), &fast_options())
        .expect_err("404");
    assert!(err.to_string().contains(&url), "{err}");
    assert_eq!(fs::read(&summary.path).expect("still cached"), expected);

    // A page that is not the YAML list is refused.
    let html = server.url("/service-reference/v1/s3/s3.json");
    let err = update_known_accounts_with(&Source::Url(html), cache.path(), &fast_options())
        .expect_err("not yaml");
    assert!(
        matches!(err, RefdataError::InvalidKnownAccounts { .. }),
        "{err}"
    );
    assert_eq!(
        read_metadata(cache.path(), Dataset::KnownAccounts)["source"],
        url
    );
}

#[test]
fn source_parse() {
    assert_eq!(
        Source::parse(DEFAULT_SERVICE_REFERENCE_URL),
        Source::Url(DEFAULT_SERVICE_REFERENCE_URL.to_string())
    );
    assert_eq!(
        Source::parse("HTTP://127.0.0.1:8080/v1"),
        Source::Url("HTTP://127.0.0.1:8080/v1".to_string())
    );
    assert_eq!(
        Source::parse("./mirror/v1"),
        Source::Dir(PathBuf::from("./mirror/v1"))
    );
    assert_eq!(Source::parse("http"), Source::Dir(PathBuf::from("http")));
    assert_eq!(Source::parse("/data/v1").to_string(), "/data/v1");
}
