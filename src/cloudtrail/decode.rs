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
//! Records are read one at a time with [`super::scan`] and handed to a
//! callback as they are read, alone or in batches of at most
//! [`RECORD_BATCH`]; no more is collected. A record that cannot be
//! read is counted and skipped; a structural error ends the file.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Read;

use super::record::{Record, RecordError};
use super::scan::{ScanError, Scanner};

impl From<ScanError> for DecodeError {
    fn from(error: ScanError) -> Self {
        DecodeError::Syntax {
            error,
            records: 0,
            bad_records: 0,
        }
    }
}

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
    /// The JSON is malformed or truncated. Records before the error were
    /// read and counted.
    #[error("invalid JSON: {error} ({records} records before it were read)")]
    Syntax {
        /// Where and what.
        error: ScanError,
        /// Records read before it.
        records: u64,
        /// Unreadable records skipped before it.
        bad_records: u64,
    },
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
    if !is_gzip(bytes)? {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    inflate(bytes, &mut out)?;
    Ok(Cow::Owned(out))
}

/// True if the object is gzip; an error if it is neither gzip nor JSON.
fn is_gzip(bytes: &[u8]) -> Result<bool, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        return Ok(true);
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => Ok(false),
        None => Err(DecodeError::Empty),
        Some(_) => Err(DecodeError::NotJson),
    }
}

/// Like [`decompress`], inflating into `out`, a buffer the caller reuses
/// from object to object (fresh zeroed buffers cost page faults on every
/// object). Returns the JSON text: `bytes` itself when it is not gzip.
pub fn decompress_into<'b>(bytes: &'b [u8], out: &'b mut Vec<u8>) -> Result<&'b [u8], DecodeError> {
    if !is_gzip(bytes)? {
        return Ok(bytes);
    }
    inflate(bytes, out)?;
    Ok(out)
}

/// Inflates gzip into `out`: one shot when the trailer allows, streaming
/// through every member otherwise.
fn inflate(gz: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    if inflate_whole(gz, out) {
        return Ok(());
    }
    inflate_streaming(gz, out)
}

/// One-shot libdeflate inflate into `out`, sized by the gzip trailer's
/// ISIZE. Returns false when that does not give the whole content: several
/// members, a size over [`MAX_TRUSTED_ISIZE`], or corrupt data (which the
/// streaming decoder then reports in its own words).
fn inflate_whole(gz: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(trailer) = gz.len().checked_sub(4).and_then(|at| gz.get(at..)) else {
        return false;
    };
    let isize = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]) as usize;
    // DEFLATE expands at most about 1032:1; a larger claim is a corrupt or
    // hostile trailer, not a reason to allocate.
    if isize == 0 || isize > MAX_TRUSTED_ISIZE || isize / 1032 > gz.len() {
        return false;
    }
    // Only new capacity is zeroed: the bytes left from the previous object
    // are overwritten, and a short write is rejected below.
    out.resize(isize, 0);
    let written = INFLATER.with(|d| d.borrow_mut().gzip_decompress(gz, out));
    // A multi-member file inflates only its first member here; the trailer
    // is the last member's, so the sizes disagree — or, if they happen to
    // agree, the first member ends mid-document, which a complete JSON text
    // never does.
    written == Ok(isize) && ends_like_a_document(out)
}

/// True if the text ends with the close of an object or array.
fn ends_like_a_document(json: &[u8]) -> bool {
    matches!(
        json.iter().rev().find(|b| !b.is_ascii_whitespace()),
        Some(b'}' | b']')
    )
}

/// Streaming inflate of every gzip member into `out`.
fn inflate_streaming(gz: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    out.clear();
    let limit = MAX_TRUSTED_ISIZE as u64 + 1;
    flate2::read::MultiGzDecoder::new(gz)
        .take(limit)
        .read_to_end(out)
        .map_err(|e| DecodeError::Gzip(e.to_string()))?;
    if out.len() as u64 >= limit {
        return Err(DecodeError::Gzip(format!(
            "inflates to more than {MAX_TRUSTED_ISIZE} bytes"
        )));
    }
    if out.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(())
}

/// What parsing a document found besides its good records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParseOutcome {
    /// Records handed to the callback.
    pub records: u64,
    /// Records whose shape could not be read, skipped.
    pub bad_records: u64,
}

/// Records handed over at once by [`parse_batches`]: enough that per-batch
/// work (one de-duplication lock per batch instead of one per record) is
/// spread thin, few enough that a huge file never holds many records. A
/// batch is about 80 KB (64 records of 1.2 KB): four times that went to the
/// allocator's large-object pages, which it returns to the OS and must get
/// back zeroed, object after object.
pub const RECORD_BATCH: usize = 64;

/// Parses a JSON document and calls `each` for every record in it, as it
/// is read. On a structural error the records before it have already been
/// handed over; the error says how many.
pub fn parse(json: &[u8], mut each: impl FnMut(&Record<'_>)) -> Result<ParseOutcome, DecodeError> {
    parse_batches(json, |records| records.iter().for_each(&mut each))
}

/// Like [`parse`], handing records over in document order in batches of at
/// most [`RECORD_BATCH`].
pub fn parse_batches(
    json: &[u8],
    each: impl FnMut(&[Record<'_>]),
) -> Result<ParseOutcome, DecodeError> {
    // Declared before the batch, whose records borrow from it.
    let json = super::scan::utf8(json);
    let mut batch = Batch {
        pending: Vec::new(),
        each,
    };
    let mut outcome = ParseOutcome::default();
    let mut scanner = Scanner::new(&json);
    let result = match scanner.peek() {
        Some(b'[') => scanner.elements(|s| visit(s, &mut outcome, &mut batch)),
        Some(b'{') => top_level_object(&mut scanner, &mut outcome, &mut batch),
        None => return Err(DecodeError::Empty),
        Some(_) => return Err(DecodeError::NotJson),
    };
    batch.flush();
    match result {
        Ok(()) if scanner.peek().is_none() => Ok(outcome),
        Ok(()) => Err(DecodeError::Syntax {
            error: trailing(&mut scanner),
            records: outcome.records,
            bad_records: outcome.bad_records,
        }),
        Err(DecodeError::Syntax { error, .. }) => Err(DecodeError::Syntax {
            error,
            records: outcome.records,
            bad_records: outcome.bad_records,
        }),
        Err(other) => Err(other),
    }
}

/// Records read but not yet handed over.
struct Batch<'a, F> {
    pending: Vec<Record<'a>>,
    each: F,
}

impl<'a, F: FnMut(&[Record<'_>])> Batch<'a, F> {
    fn push(&mut self, record: Record<'a>) {
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(RECORD_BATCH);
        }
        self.pending.push(record);
        if self.pending.len() == RECORD_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            (self.each)(&self.pending);
            self.pending.clear();
        }
    }

    /// A record that borrows from something shorter-lived than the
    /// document (an unescaped lookup-events string): handed over alone,
    /// after those pending, so the order is kept.
    fn hand_over(&mut self, record: Record<'_>) {
        self.flush();
        (self.each)(std::slice::from_ref(&record));
    }
}

fn trailing(scanner: &mut Scanner<'_>) -> ScanError {
    let at = scanner.position();
    match scanner.peek() {
        Some(b) => ScanError::Unexpected {
            at,
            found: b as char,
            expected: "the end of the document",
        },
        None => ScanError::Eof(at),
    }
}

/// `{"Records":[...]}` or lookup-events output `{"Events":[...]}`. The
/// records array is walked in place, one record at a time.
fn top_level_object<'a, F: FnMut(&[Record<'_>])>(
    scanner: &mut Scanner<'a>,
    outcome: &mut ParseOutcome,
    batch: &mut Batch<'a, F>,
) -> Result<(), DecodeError> {
    let mut found = false;
    scanner.members(|key, s| {
        let is_list = s.peek() == Some(b'[');
        match key {
            b"Records" if is_list => {
                found = true;
                s.elements(|s| visit(s, outcome, batch))
            }
            b"Events" if is_list => {
                found = true;
                s.array(|element| visit_lookup_event(element, outcome, batch))
            }
            _ => s.value().map(|_| ()).map_err(DecodeError::from),
        }
    })?;
    if found {
        Ok(())
    } else {
        Err(DecodeError::MissingRecords)
    }
}

fn visit<'a, F: FnMut(&[Record<'_>])>(
    scanner: &mut Scanner<'a>,
    outcome: &mut ParseOutcome,
    batch: &mut Batch<'a, F>,
) -> Result<(), DecodeError> {
    match Record::read(scanner) {
        Ok(record) => {
            outcome.records += 1;
            batch.push(record);
            Ok(())
        }
        // A structural error cannot be stepped over: it ends the document.
        Err(RecordError::Scan(error)) => Err(error.into()),
        Err(_) => {
            outcome.bad_records += 1;
            Ok(())
        }
    }
}

/// One event of `aws cloudtrail lookup-events`: the record is the JSON text
/// in `CloudTrailEvent`.
fn visit_lookup_event<F: FnMut(&[Record<'_>])>(
    element: &str,
    outcome: &mut ParseOutcome,
    batch: &mut Batch<'_, F>,
) -> Result<(), DecodeError> {
    let mut inner = None;
    if element.starts_with('{') {
        Scanner::new(element).object(|key, value| {
            if key == b"CloudTrailEvent" {
                inner = super::scan::text(value);
            }
        })?;
    }
    match inner {
        // A malformed record inside the string is one bad record, not a
        // broken file.
        Some(text) => match Record::read(&mut Scanner::new(&text)) {
            Ok(record) => {
                outcome.records += 1;
                batch.hand_over(record);
                Ok(())
            }
            Err(_) => {
                outcome.bad_records += 1;
                Ok(())
            }
        },
        None => {
            outcome.bad_records += 1;
            Ok(())
        }
    }
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
            Err(DecodeError::Syntax { records: 1, .. })
        ));
        assert!(matches!(names(b"   "), Err(DecodeError::Empty)));
    }

    #[test]
    fn batches_keep_document_order_and_flush_before_an_error() {
        let n = RECORD_BATCH * 2 + 3;
        let records: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"eventName":"E{i}"}}"#))
            .collect();
        let file = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        let outcome = parse_batches(file.as_bytes(), |batch| {
            sizes.push(batch.len());
            seen.extend(
                batch
                    .iter()
                    .map(|r| r.event_name.get().unwrap_or("?").to_string()),
            );
        })
        .expect("parse");
        assert_eq!(outcome.records, n as u64);
        assert_eq!(sizes, [RECORD_BATCH, RECORD_BATCH, 3]);
        let want: Vec<String> = (0..n).map(|i| format!("E{i}")).collect();
        assert_eq!(seen, want);

        // Cut inside the last record: the ones before it are still handed over.
        let cut = &file[..file.len() - 6];
        let mut handed = 0;
        let error =
            parse_batches(cut.as_bytes(), |batch| handed += batch.len()).expect_err("truncated");
        assert!(matches!(error, DecodeError::Syntax { records, .. } if records == (n - 1) as u64));
        assert_eq!(handed, n - 1);
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

    /// A byte that is not UTF-8 spoils the value holding it, not the file:
    /// in a value the analysis skips it changes nothing, in one it reads it
    /// stands as U+FFFD.
    #[test]
    fn bytes_that_are_not_utf8_spoil_one_value() {
        let mut file = br#"{"Records":[{"eventName":"A","requestID":"x"#.to_vec();
        file.push(0xff);
        file.extend_from_slice(br#"","userAgent":"ua"#);
        file.push(0xfe);
        file.extend_from_slice(br#""},{"eventName":"B","userAgent":"ok"}]}"#);
        let mut seen = Vec::new();
        parse(&file, |r| {
            seen.push((
                r.event_name.get().map(str::to_owned),
                r.user_agent.get().map(str::to_owned),
            ))
        })
        .expect("parse");
        let owned = |s: &str| Some(s.to_owned());
        assert_eq!(
            seen,
            [(owned("A"), owned("ua\u{fffd}")), (owned("B"), owned("ok"))]
        );
    }

    /// The same inside a record that lookup-events output holds as a
    /// string.
    #[test]
    fn bytes_that_are_not_utf8_in_a_lookup_event_spoil_one_value() {
        let mut lookup = br#"{"Events":[{"CloudTrailEvent":"{\"eventName\":\"D"#.to_vec();
        lookup.push(0xff);
        lookup.extend_from_slice(br#"\",\"awsRegion\":\"eu-west-1\"}"}]}"#);
        let mut seen = Vec::new();
        parse(&lookup, |r| {
            seen.push((
                r.event_name.get().map(str::to_owned),
                r.aws_region.get().map(str::to_owned),
            ))
        })
        .expect("parse");
        assert_eq!(
            seen,
            [(Some("D\u{fffd}".to_owned()), Some("eu-west-1".to_owned()))]
        );
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

/// Property tests: the decoder never panics, whatever bytes it is given, and
/// a truncated document is an error or a prefix of the records, never more.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/R"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k\"]}","nested":[{"a":[1,2,{"b":null}]}]},"responseElements":null,"resources":[{"ARN":"arn:aws:s3:::b/k"}],"eventID":"e1"},{"eventName":"B","eventID":"e2","userIdentity":{"type":"Root"}}]}"#;

    fn count(json: &[u8]) -> Result<u64, DecodeError> {
        let mut n = 0;
        parse(json, |_| n += 1)?;
        Ok(n)
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decompress(&bytes);
            let _ = count(&bytes);
        }

        #[test]
        fn random_json_like_text_never_panics(text in r#"[\[\]{}":,\\ a-z0-9.-]{0,200}"#) {
            let _ = count(text.as_bytes());
        }

        #[test]
        fn truncated_documents_fail_or_yield_a_prefix(cut in 0..DOC.len()) {
            let outcome = count(&DOC.as_bytes()[..cut]);
            prop_assert!(outcome.is_err(), "a cut document at {} parsed: {:?}", cut, outcome);
            if let Err(DecodeError::Syntax { records, .. }) = outcome {
                prop_assert!(records <= 2);
            }
        }

        #[test]
        fn corrupted_gzip_never_panics(flip in 0usize..400, bit in 0u8..8) {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(DOC.as_bytes()).expect("write");
            let mut gz = enc.finish().expect("finish");
            let at = flip % gz.len();
            gz[at] ^= 1 << bit;
            if let Ok(json) = decompress(&gz) {
                let _ = count(&json);
            }
        }
    }

    #[test]
    fn the_whole_document_parses() {
        assert_eq!(count(DOC.as_bytes()).expect("parse"), 2);
    }
}
