//! The only module that wires the stages together:
//! source → decode → event → usage.
//!
//! Objects are processed in delivery order, in batches. Within a batch rayon
//! folds each worker's objects into its own [`Usage`] and reduces them; after
//! a batch, the de-duplicator forgets events too old to be delivered again.
//! A bad object is recorded with its path and reason and the scan goes on.

use std::cell::RefCell;

use rayon::prelude::*;

use crate::cloudtrail::{self, DecodeError, Record};
use crate::dedupe::Deduper;
use crate::event::{ActionMapper, Event, is_insight};
use crate::progress::Progress;
use crate::source::{Filters, Inventory, LogObject, SkippedInput};
use crate::usage::Usage;

/// What a scan needs besides its objects.
pub struct ScanContext<'a> {
    /// Record-level filters (the same ones used to prune paths).
    pub filters: &'a Filters,
    /// eventSource/eventName → IAM actions.
    pub mapper: &'a ActionMapper,
    /// De-duplication window in seconds.
    pub dedupe_window: i64,
}

/// Objects per rayon batch, per worker thread. Batches bound how far apart
/// in delivery time concurrently processed objects can be; a few dozen per
/// thread keeps the barrier between batches cheap.
const BATCH_PER_THREAD: usize = 32;

/// Scans every object of the inventory into one usage aggregate.
pub fn scan(inventory: &Inventory, ctx: &ScanContext<'_>, progress: &Progress) -> Usage {
    let deduper = Deduper::new(ctx.dedupe_window);
    let batch = (rayon::current_num_threads() * BATCH_PER_THREAD).max(1);
    let objects = &inventory.objects;
    let mut total = Usage::default();
    for (index, chunk) in objects.chunks(batch).enumerate() {
        // One fold state per worker, not per rayon split: fewer merges.
        let per_worker = chunk.len().div_ceil(rayon::current_num_threads()).max(1);
        let part = chunk
            .par_iter()
            .with_min_len(per_worker)
            .fold(Usage::default, |mut acc, object| {
                scan_object(object, ctx, &deduper, &mut acc);
                progress.object_done(object.size);
                acc
            })
            .reduce(Usage::default, |mut a, b| {
                a.merge(b);
                a
            });
        total.merge(part);
        if let Some(next) = objects
            .get((index + 1) * batch)
            .and_then(LogObject::delivered)
        {
            deduper.forget_before(next);
        }
    }
    total
}

thread_local! {
    /// Per-worker buffers for the stored bytes and the inflated JSON, reused
    /// from object to object.
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Decodes one object into `acc`, recording a failure instead of stopping.
fn scan_object(object: &LogObject, ctx: &ScanContext<'_>, deduper: &Deduper, acc: &mut Usage) {
    BUFFERS.with(|buffers| {
        let (stored, inflated) = &mut *buffers.borrow_mut();
        let path = || object.location.to_string();
        if let Err(e) = object.read_into(stored) {
            return fail(acc, path(), format!("cannot read: {e}"));
        }
        match decode_into(stored, inflated, ctx, deduper, acc) {
            Ok(outcome) => {
                acc.files.files += 1;
                acc.files.stored_bytes += stored.len() as u64;
                if outcome.bad_records > 0 {
                    // Unreadable records were read from the file all the same.
                    acc.totals.records += outcome.bad_records;
                    acc.totals.bad_records += outcome.bad_records;
                    acc.files
                        .with_bad_records
                        .push((path(), outcome.bad_records));
                }
            }
            Err(e) => fail(acc, path(), e.to_string()),
        }
    });
}

fn fail(acc: &mut Usage, path: String, reason: String) {
    acc.files.failed.push(SkippedInput { path, reason });
}

/// Decompresses and parses one object into `acc`.
fn decode_into(
    stored: &[u8],
    inflated: &mut Vec<u8>,
    ctx: &ScanContext<'_>,
    deduper: &Deduper,
    acc: &mut Usage,
) -> Result<cloudtrail::ParseOutcome, DecodeError> {
    let json = cloudtrail::decode::decompress_into(stored, inflated)?;
    parse_into(json, ctx, deduper, acc)
}

fn parse_into(
    json: &[u8],
    ctx: &ScanContext<'_>,
    deduper: &Deduper,
    acc: &mut Usage,
) -> Result<cloudtrail::ParseOutcome, DecodeError> {
    let outcome = cloudtrail::decode::parse(json, |record| absorb(record, ctx, deduper, acc))?;
    acc.files.json_bytes += json.len() as u64;
    Ok(outcome)
}

/// Filters, de-duplicates, normalises and counts one record.
fn absorb(record: &Record<'_>, ctx: &ScanContext<'_>, deduper: &Deduper, acc: &mut Usage) {
    acc.totals.records += 1;
    if is_insight(record) {
        acc.totals.insight_records += 1;
        return;
    }
    let event = Event::from_record(record);
    let filters = ctx.filters;
    if filters.has_time_window() && !event.time.is_some_and(|t| filters.wants_time(t)) {
        acc.totals.outside_time_window += 1;
        return;
    }
    let account_ok =
        filters.accounts.is_empty() || event.account.is_some_and(|a| filters.wants_account(a));
    let region_ok =
        filters.regions.is_empty() || event.region.is_some_and(|r| filters.wants_region(r));
    if !(account_ok && region_ok) {
        acc.totals.outside_account_or_region += 1;
        return;
    }
    if let Some(id) = record.event_id.get()
        && !deduper.first_sighting(id, event.time)
    {
        acc.totals.duplicates += 1;
        return;
    }
    // An AwsServiceEvent raised by a service is something the service did
    // or noticed, not a call made with anyone's permissions (CloudTrail record
    // contents, `eventType`): it counts as an event, under no action.
    let service_event = record.event_type.get() == Some("AwsServiceEvent")
        && event.principal.kind == crate::event::PrincipalKind::AwsService;
    let mapping =
        (!service_event).then(|| ctx.mapper.map(event.event_source(), event.event_name()));
    acc.record(&event, mapping);
}
