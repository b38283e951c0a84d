//! From the bytes of one log object to its records.
//!
//! A CloudTrail log file is the gzip of one JSON object `{"Records":[...]}`
//! (CloudTrail User Guide, "CloudTrail log file examples"). We also read the
//! uncompressed form, a bare array of records (what tools that collect
//! through LookupEvents save), and the output of `aws cloudtrail
//! lookup-events` (`{"Events":[{"CloudTrailEvent":"<record as a string>"}]}`).
//!
//! Whole objects are inflated in one call with libdeflate, which measured
//! fastest (see `benches/throughput.rs`); gzip files of several members, or
//! whose trailer does not give the size, go through flate2's multi-member
//! streaming decoder instead.
//!
//! Records are parsed in one pass into borrowed [`Record`]s. If a record has
//! a shape the typed pass cannot take, the file is read again record by
//! record, so one bad record is counted and skipped instead of costing the file.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::record::Record;

/// Why an object could not be read. Each is the input's fault, not ours.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The object has no bytes.
    #[error("empty file")]
    Empty,
    /// The gzip stream is corrupt or truncated.
    #[error("corrupt or truncated gzip: {0}")]
    Gzip(String),
    /// The content is neither gzip nor JSON.
    #[error("not a CloudTrail log: neither gzip nor JSON")]
    NotJson,
    /// The JSON is malformed or truncated.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is an object without `Records` (or `Events`).
    #[error("no `Records` array: not a CloudTrail log file")]
    MissingRecords,
}

/// The gzip magic bytes (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Objects larger than this when inflated are streamed through flate2 rather
/// than sized from the gzip trailer: the trailer holds the size modulo 2^32,
/// and a corrupt one must not make us allocate gigabytes.
const MAX_TRUSTED_ISIZE: usize = 1 << 30;

thread_local! {
    static INFLATER: RefCell<libdeflater::Decompressor> = RefCell::new(libdeflater::Decompressor::new());
}

/// Returns the JSON text of an object: inflated if it is gzip, borrowed as
/// is otherwise.
pub fn decompress(bytes: &[u8]) -> Result<Cow<'_, [u8]>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if !bytes.starts_with(&GZIP_MAGIC) {
        return match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => Ok(Cow::Borrowed(bytes)),
            None => Err(DecodeError::Empty),
            Some(_) => Err(DecodeError::NotJson),
        };
    }
    if let Some(out) = inflate_whole(bytes) {
        return Ok(Cow::Owned(out));
    }
    inflate_streaming(bytes).map(Cow::Owned)
}

/// One-shot libdeflate inflate into a buffer sized by the gzip trailer's
/// ISIZE. Returns `None` when that does not give the whole content: several
/// members, a size over [`MAX_TRUSTED_ISIZE`], or corrupt data (which the
/// streaming decoder then reports in its own words).
fn inflate_whole(gz: &[u8]) -> Option<Vec<u8>> {
    let trailer: [u8; 4] = gz.get(gz.len().checked_sub(4)?..)?.try_into().ok()?;
    let isize = u32::from_le_bytes(trailer) as usize;
    if isize == 0 || isize > MAX_TRUSTED_ISIZE {
        return None;
    }
    let mut out = vec![0u8; isize];
    let written = INFLATER
        .with(|d| d.borrow_mut().gzip_decompress(gz, &mut out))
        .ok()?;
    // A multi-member file inflates only its first member here; the trailer
    // is the last member's, so the sizes disagree (or the JSON will not
    // parse, which `parse` retries through `decompress_multi_member`).
    (written == isize).then_some(out)
}

/// Streaming inflate of every gzip member.
fn inflate_streaming(gz: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(gz.len().saturating_mul(8));
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Gzip(e.to_string()))?;
    if out.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(out)
}

/// Inflates every member of a gzip object with the streaming decoder; used
/// when a one-shot inflate gave text that does not parse, which is what a
/// multi-member file whose members happen to match the trailer looks like.
pub fn decompress_multi_member(gz: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if !gz.starts_with(&GZIP_MAGIC) {
        return Err(DecodeError::NotJson);
    }
    inflate_streaming(gz)
}

/// What parsing a document found besides its good records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParseOutcome {
    /// Records handed to the callback.
    pub records: u64,
    /// Records whose shape could not be read, skipped.
    pub bad_records: u64,
}

/// The top-level shapes we accept.
#[derive(Deserialize)]
struct TrailFile<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<Record<'a>>>,
    #[serde(rename = "Events", borrow, default)]
    events: Option<Vec<LookupEvent<'a>>>,
}

/// One event of `aws cloudtrail lookup-events` output.
#[derive(Deserialize)]
struct LookupEvent<'a> {
    #[serde(rename = "CloudTrailEvent", borrow, default)]
    cloud_trail_event: Option<Cow<'a, str>>,
}

/// The same shapes, with records kept raw for the record-by-record retry.
#[derive(Deserialize)]
struct RawTrailFile<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<&'a RawValue>>,
}

/// Parses a JSON document and calls `each` for every record in it.
pub fn parse<'a>(
    json: &'a [u8],
    mut each: impl FnMut(&Record<'_>),
) -> Result<ParseOutcome, DecodeError> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => match serde_json::from_slice::<Vec<Record<'a>>>(json) {
            Ok(records) => Ok(visit_all(&records, &mut each)),
            Err(e) if is_shape_error(&e) => {
                let raw: Vec<&RawValue> = serde_json::from_slice(json)?;
                Ok(visit_raw(&raw, &mut each))
            }
            Err(e) => Err(e.into()),
        },
        Some(b'{') => match serde_json::from_slice::<TrailFile<'a>>(json) {
            Ok(TrailFile {
                records: Some(records),
                ..
            }) => Ok(visit_all(&records, &mut each)),
            Ok(TrailFile {
                events: Some(events),
                ..
            }) => Ok(visit_lookup_events(&events, &mut each)),
            Ok(_) => Err(DecodeError::MissingRecords),
            Err(e) if is_shape_error(&e) => {
                let raw: RawTrailFile = serde_json::from_slice(json)?;
                let records = raw.records.ok_or(DecodeError::MissingRecords)?;
                Ok(visit_raw(&records, &mut each))
            }
            Err(e) => Err(e.into()),
        },
        None => Err(DecodeError::Empty),
        Some(_) => Err(DecodeError::NotJson),
    }
}

/// A data error (valid JSON, unexpected shape), as opposed to a syntax error.
fn is_shape_error(e: &serde_json::Error) -> bool {
    e.classify() == serde_json::error::Category::Data
}

fn visit_all(records: &[Record<'_>], each: &mut impl FnMut(&Record<'_>)) -> ParseOutcome {
    records.iter().for_each(&mut *each);
    ParseOutcome {
        records: records.len() as u64,
        bad_records: 0,
    }
}

fn visit_raw(records: &[&RawValue], each: &mut impl FnMut(&Record<'_>)) -> ParseOutcome {
    let mut outcome = ParseOutcome::default();
    for raw in records {
        match serde_json::from_str::<Record>(raw.get()) {
            Ok(record) => {
                outcome.records += 1;
                each(&record);
            }
            Err(_) => outcome.bad_records += 1,
        }
    }
    outcome
}

fn visit_lookup_events(
    events: &[LookupEvent<'_>],
    each: &mut impl FnMut(&Record<'_>),
) -> ParseOutcome {
    let mut outcome = ParseOutcome::default();
    for event in events {
        let parsed = event
            .cloud_trail_event
            .as_deref()
            .map(serde_json::from_str::<Record>);
        match parsed {
            Some(Ok(record)) => {
                outcome.records += 1;
                each(&record);
            }
            _ => outcome.bad_records += 1,
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("write");
        enc.finish().expect("finish")
    }

    fn names(json: &[u8]) -> Result<Vec<String>, DecodeError> {
        let mut out = Vec::new();
        parse(json, |r| {
            out.push(r.event_name.get().unwrap_or("?").to_string())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_records_files_arrays_and_lookup_events() {
        let file = br#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#;
        assert_eq!(names(file).expect("records"), ["A", "B"]);
        assert_eq!(names(br#" [{"eventName":"C"}]"#).expect("array"), ["C"]);
        let lookup = br#"{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"D\"}"}],"NextToken":null}"#;
        assert_eq!(names(lookup).expect("lookup"), ["D"]);
    }

    #[test]
    fn rejects_documents_without_records() {
        assert!(matches!(
            names(br#"{"Foo":[]}"#),
            Err(DecodeError::MissingRecords)
        ));
        assert!(matches!(
            names(br#"{"Records":[{"eventName":"A"}"#),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(names(b"   "), Err(DecodeError::Empty)));
    }

    #[test]
    fn skips_one_misshapen_record_and_keeps_the_rest() {
        let file = br#"{"Records":[{"eventName":"A"},"not a record",{"eventName":"C"}]}"#;
        let mut seen = Vec::new();
        let outcome = parse(file, |r| {
            seen.push(r.event_name.get().unwrap_or("?").to_string())
        })
        .expect("parse");
        assert_eq!(outcome.bad_records, 1);
        assert_eq!(seen, ["A", "C"]);
    }

    #[test]
    fn inflates_single_and_multi_member_gzip() {
        let json = br#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#;
        assert_eq!(&*decompress(&gzip(json)).expect("single"), json);
        let (a, b) = json.split_at(20);
        let mut multi = gzip(a);
        multi.extend(gzip(b));
        assert_eq!(&*decompress(&multi).expect("multi"), json);
    }

    #[test]
    fn reports_corrupt_and_truncated_gzip() {
        let gz = gzip(br#"{"Records":[]}"#);
        let truncated = gz[..gz.len() - 6].to_vec();
        assert!(matches!(decompress(&truncated), Err(DecodeError::Gzip(_))));
        let mut corrupt = gz.clone();
        corrupt[12] ^= 0xff;
        assert!(decompress(&corrupt).is_err());
        assert!(matches!(decompress(&[]), Err(DecodeError::Empty)));
        assert!(matches!(decompress(b"hello"), Err(DecodeError::NotJson)));
    }
}
