//! Helpers shared by unit tests that read the reference data.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::policy::catalog::Catalog;

/// Where the shared reference data lives, relative to this crate's manifest:
/// `shared/` sits beside the clone (never committed into it).
const SHARED_DATA_FROM_MANIFEST: &str = "../shared/data";

/// The shared reference data directory (`/work/shared/data`).
pub(crate) fn shared_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SHARED_DATA_FROM_MANIFEST)
}

/// The service reference in the endpoint layout (`service-reference/v1`).
pub(crate) fn service_reference_dir() -> PathBuf {
    shared_data_dir().join("service-reference/v1")
}

/// A CloudTrail fact file (`cloudtrail/<name>`), parsed. Facts are test
/// inputs only: the product never reads them.
pub(crate) fn cloudtrail_fact(name: &str) -> serde_json::Value {
    read_json(&shared_data_dir().join("cloudtrail").join(name))
}

/// Any JSON file, parsed, panicking with the path on failure.
pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// The real catalog, loaded once per test binary.
pub(crate) fn real_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| {
        let dir = service_reference_dir();
        let catalog = Catalog::load_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot load {}: {e:?}", dir.display()));
        Arc::new(catalog)
    });
    Arc::clone(catalog)
}
