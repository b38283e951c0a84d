//! vendortrail's integration tests: one binary, one module per area.

// Shared runner, paths and decoding helpers.
mod common;
// Command-line behaviour: exit codes, bad inputs, --strict, filters.
mod cli;
// Real public datasets: totals against an independent count.
mod realdata;
// The committed generated corpus against its manifest.
mod corpus;
// The terminal summary against committed snapshots.
mod snapshot;
// Reference data commands and the cache.
mod data;
// Used vs granted and least-privilege suggestions.
mod grants;
// Third parties: attribution against the manifest.
mod parties;
// S3 sources against a real S3-compatible server, with injected faults.
mod s3;
mod s3_server;
