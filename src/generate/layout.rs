//! S3 key names of the trails and gzip file writing.
//!
//! Layout ("Finding your CloudTrail log files", "Creating a trail for an
//! organization"): `AWSLogs/[o-<org>/]<acct>/CloudTrail/<region>/YYYY/MM/DD/
//! <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz`, with
//! sibling `CloudTrail-Digest/` and `CloudTrail-Insight/` prefixes. Date
//! folders and stamps are *delivery* times. Gzip headers carry mtime 0 and no
//! file name, so equal content gives equal bytes.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};

use super::GenerateError;
use super::scenario::{
    DATA, EU_WEST_1, ORG_BUCKET, ORG_ID, ORG_TRAIL, PROD, SOLO, SOLO_BUCKET, SOLO_TRAIL, US_EAST_1,
};
use super::time::{date_path, file_stamp, iso_basic};

/// One trail delivering one account's events for one Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stream {
    /// Account whose events the files hold.
    pub(crate) account: &'static str,
    /// Region of the events.
    pub(crate) region: &'static str,
    /// Organization trail (`AWSLogs/o-…/<acct>/`) or standalone (`AWSLogs/<acct>/`).
    pub(crate) org: bool,
}

/// Every delivery stream of the corpus, in a fixed order.
pub(crate) const STREAMS: [Stream; 4] = [
    Stream {
        account: PROD,
        region: US_EAST_1,
        org: true,
    },
    Stream {
        account: PROD,
        region: EU_WEST_1,
        org: true,
    },
    Stream {
        account: DATA,
        region: US_EAST_1,
        org: true,
    },
    Stream {
        account: SOLO,
        region: US_EAST_1,
        org: false,
    },
];

/// Index in [`STREAMS`] of the stream receiving `account`'s `region` events.
pub(crate) fn stream_index(account: &str, region: &str) -> Option<usize> {
    STREAMS
        .iter()
        .position(|s| s.account == account && s.region == region)
}

impl Stream {
    /// `AWSLogs/o-…/<acct>` or `AWSLogs/<acct>`.
    fn base(&self) -> String {
        if self.org {
            format!("AWSLogs/{ORG_ID}/{}", self.account)
        } else {
            format!("AWSLogs/{}", self.account)
        }
    }

    /// Trail name.
    pub(crate) fn trail(&self) -> &'static str {
        if self.org { ORG_TRAIL } else { SOLO_TRAIL }
    }

    /// Bucket the trail writes to.
    pub(crate) fn bucket(&self) -> &'static str {
        if self.org { ORG_BUCKET } else { SOLO_BUCKET }
    }

    /// `…/<kind>/<region>/YYYY/MM/DD/<acct>_<kind>_<region>_` for time `t`.
    fn prefix(&self, kind: &str, t: i64) -> String {
        let (acct, region) = (self.account, self.region);
        format!(
            "{}/{kind}/{region}/{}/{acct}_{kind}_{region}_",
            self.base(),
            date_path(t)
        )
    }

    /// Log file key delivered at `t`.
    pub(crate) fn log_key(&self, t: i64, suffix: &str) -> String {
        format!(
            "{}{}_{suffix}.json.gz",
            self.prefix("CloudTrail", t),
            file_stamp(t)
        )
    }

    /// Insight file key delivered at `t`.
    pub(crate) fn insight_key(&self, t: i64, suffix: &str) -> String {
        format!(
            "{}{}_{suffix}.json.gz",
            self.prefix("CloudTrail-Insight", t),
            file_stamp(t)
        )
    }

    /// Digest file key delivered at `t` (second precision, trail and home Region in the name).
    pub(crate) fn digest_key(&self, t: i64) -> String {
        let (trail, home) = (self.trail(), US_EAST_1);
        format!(
            "{}{trail}_{home}_{}.json.gz",
            self.prefix("CloudTrail-Digest", t),
            iso_basic(t)
        )
    }
}

/// A writer that counts the bytes passing through.
struct Counting<W> {
    /// The wrapped writer.
    inner: W,
    /// Bytes written so far.
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Attaches the path to an I/O error.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `chunks` as consecutive gzip members of one file (one chunk is an
/// ordinary gzip file) and returns the compressed size.
pub(crate) fn write_gz(
    path: &Path,
    chunks: &[&[u8]],
    level: Compression,
) -> Result<u64, GenerateError> {
    create_parent(path)?;
    let file = File::create(path).map_err(io_err(path))?;
    let mut out = Counting {
        inner: BufWriter::with_capacity(1 << 16, file),
        count: 0,
    };
    for chunk in chunks {
        let mut gz = GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(&mut out, level);
        gz.write_all(chunk).map_err(io_err(path))?;
        gz.finish().map_err(io_err(path))?;
    }
    out.flush().map_err(io_err(path))?;
    Ok(out.count)
}

/// Writes raw bytes (plain JSON, broken inputs).
pub(crate) fn write_raw(path: &Path, bytes: &[u8]) -> Result<(), GenerateError> {
    create_parent(path)?;
    fs::write(path, bytes).map_err(io_err(path))
}

/// Creates the parent directory of `path`.
fn create_parent(path: &Path) -> Result<(), GenerateError> {
    match path.parent() {
        Some(dir) => fs::create_dir_all(dir).map_err(io_err(dir)),
        None => Ok(()),
    }
}

/// Gzip of `bytes` in memory (for the broken-file fixtures).
pub(crate) fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::time::{DAY, days_from_civil};

    #[test]
    fn key_shapes() {
        let t = days_from_civil(2024, 3, 4) * DAY + 3600 + 5 * 60 + 7;
        assert_eq!(
            STREAMS[0].log_key(t, "AbCdEfGh12345678"),
            "AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/us-east-1/2024/03/04/111111111111_CloudTrail_us-east-1_20240304T0105Z_AbCdEfGh12345678.json.gz"
        );
        assert_eq!(
            STREAMS[3].digest_key(t),
            "AWSLogs/333333333333/CloudTrail-Digest/us-east-1/2024/03/04/333333333333_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240304T010507Z.json.gz"
        );
        assert_eq!(stream_index(PROD, EU_WEST_1), Some(1));
        assert_eq!(stream_index(DATA, EU_WEST_1), None);
    }
}
