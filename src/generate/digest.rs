//! Hourly digest files ("CloudTrail digest file structure").
//!
//! One digest per stream per hour of delivery time, empty ones included,
//! chained through `previousDigest*`. Hashes and signatures are random
//! hex of the right length: digest validation is out of scope.

use std::path::Path;

use flate2::Compression;

use super::GenerateError;
use super::delivery::Delivered;
use super::json::{J, Obj};
use super::layout::{STREAMS, Stream, write_gz};
use super::rng::Rng;
use super::time::{HOUR, rfc3339};

/// The previous digest of a chain.
struct Previous {
    /// Its S3 key.
    key: String,
    /// Its (fake) SHA-256.
    hash: String,
    /// Its (fake) signature.
    signature: String,
}

/// Writes the digests of every stream for delivery hours `[from, to)`;
/// returns how many files were written.
pub(crate) fn write_digests(
    out: &Path,
    files: &[Delivered],
    rng: &mut Rng,
    from: i64,
    to: i64,
    level: Compression,
) -> Result<u64, GenerateError> {
    let mut count = 0;
    for (idx, stream) in STREAMS.iter().enumerate() {
        let mine: Vec<&Delivered> = files.iter().filter(|f| f.stream == idx).collect();
        let mut previous: Option<Previous> = None;
        let mut hour = from - from.rem_euclid(HOUR);
        while hour < to {
            let in_window: Vec<&Delivered> = mine
                .iter()
                .copied()
                .filter(|f| f.at >= hour && f.at < hour + HOUR)
                .collect();
            let delivered = hour + HOUR + rng.range(60, 900) as i64;
            let key = stream.digest_key(delivered);
            let doc = digest(stream, hour, &key, &in_window, previous.as_ref(), rng);
            let json = serde_json::to_vec(&doc)?;
            write_gz(&out.join(&key), &[&json], level)?;
            previous = Some(Previous {
                key,
                hash: rng.hex(64),
                signature: rng.hex(512),
            });
            count += 1;
            hour += HOUR;
        }
    }
    Ok(count)
}

/// One digest document.
fn digest(
    stream: &Stream,
    hour: i64,
    key: &str,
    files: &[&Delivered],
    prev: Option<&Previous>,
    rng: &mut Rng,
) -> J {
    let newest = files.iter().map(|f| f.span.1).max();
    let oldest = files.iter().map(|f| f.span.0).min();
    let logs: Vec<J> = files
        .iter()
        .map(|f| {
            Obj::new()
                .f("s3Bucket", stream.bucket())
                .f("s3Object", f.key.clone())
                .f("hashValue", rng.hex(64))
                .f("hashAlgorithm", "SHA-256")
                .f("newestEventTime", rfc3339(f.span.1))
                .f("oldestEventTime", rfc3339(f.span.0))
                .j()
        })
        .collect();
    Obj::new()
        .f("awsAccountId", stream.account)
        .f("digestStartTime", rfc3339(hour))
        .f("digestEndTime", rfc3339(hour + HOUR))
        .f("digestS3Bucket", stream.bucket())
        .f("digestS3Object", key.to_owned())
        .f(
            "digestPublicKeyFingerprint",
            "9e2d8ab5c2f1e04d7b6a3c5e8f1d2a4b",
        )
        .f("digestSignatureAlgorithm", "SHA256withRSA")
        .f("newestEventTime", newest.map(rfc3339))
        .f("oldestEventTime", oldest.map(rfc3339))
        .f("previousDigestS3Bucket", prev.map(|_| stream.bucket()))
        .f("previousDigestS3Object", prev.map(|p| p.key.clone()))
        .f("previousDigestHashValue", prev.map(|p| p.hash.clone()))
        .f("previousDigestHashAlgorithm", prev.map(|_| "SHA-256"))
        .f("previousDigestSignature", prev.map(|p| p.signature.clone()))
        .f("logFiles", logs)
        .j()
}
