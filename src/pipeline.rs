//! The only module that wires the stages together:
//! source → decode → event → usage → report → attribution (third
//! parties), then, with IAM input, compare (used vs granted) and suggest.
//!
//! Objects are processed in delivery order, in batches (never across a
//! delivery day) spread over rayon's workers, fed in segments (the layout's
//! day folders, local and S3, are listed one delivery day at a time:
//! [`Scanner`]). Each worker folds
//! its objects into its own [`Usage`]; after every batch the workers'
//! results are merged into the total by a folding thread while the next
//! batch is read (an order-independent reduce, so the output does not
//! depend on the thread count). Records reach the
//! aggregate in batches, de-duplicated at once. Before each batch of
//! objects, the de-duplicator forgets events too old to be delivered again.
//! A bad object is recorded with its path and reason and the scan goes on.

use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use crate::cache::{Entry, ObjectCache};
use crate::cloudtrail::{self, DecodeError, Record};
use crate::compare::{self, Comparison, Inputs};
use crate::dedupe::{Deduper, Sighting};
use crate::event::{ActionMapper, Event, is_insight};
use crate::policy::catalog::Catalog;
use crate::policy::evaluate::Expander;
use crate::policy::iam::{IamError, IamInventory};
use crate::progress::Progress;
use crate::report::Report;
use crate::source::{Filters, Inventory, Location, LogObject, SkippedInput};
use crate::suggest::{self, Options, SuggestError, Suggestion};
use crate::usage::Usage;

/// What a scan needs besides its objects.
pub struct ScanContext<'a> {
    /// Record-level filters (the same ones used to prune paths).
    pub filters: &'a Filters,
    /// eventSource/eventName → IAM actions.
    pub mapper: &'a ActionMapper,
    /// De-duplication window in seconds.
    pub dedupe_window: i64,
    /// `vendortrail who`: keep every event whose record mentions this text.
    pub watch: Option<&'a memchr::memmem::Finder<'a>>,
    /// Seconds without a call after which a session is packed
    /// ([`crate::usage::QUIET_AFTER`]; tests pack sooner to show that
    /// packing changes no result).
    pub pack_after: i64,
    /// Bytes of packed records after which they are spilled to disk
    /// ([`crate::usage::RUN_BYTES`]; tests spill sooner).
    pub spill_after: usize,
}

/// Objects per batch. Batches bound how far apart in delivery time
/// concurrently processed objects can be (so the de-duplicator can forget);
/// the size is fixed, not per thread, so what is forgotten when — and so the
/// output — does not depend on the thread count.
const BATCH: usize = 512;

/// Where the bytes of objects that are not local files come from: a
/// stream handing over each object's index in the inventory with its bytes
/// (or why they could not be fetched), in inventory order.
pub type Fetched<'a> = &'a mut (dyn FnMut() -> Option<(usize, Result<Vec<u8>, String>)> + Send);

/// Scans every object of the inventory into one usage aggregate. Local
/// files are read by the workers; other objects' bytes come from `fetched`,
/// which must yield exactly those objects, in inventory order.
pub fn scan(
    inventory: &Inventory,
    fetched: Option<Fetched<'_>>,
    ctx: &ScanContext<'_>,
    progress: &Progress,
) -> Usage {
    let scanner = Scanner::new(ctx, progress);
    scanner.segment(inventory, fetched);
    scanner.finish()
}

/// [`scan`] with an object cache: objects with an entry are not fetched but
/// replayed, the others are fetched, decoded and stored. The result equals
/// [`scan`]'s on the same objects (see [`crate::cache`] for why claims are
/// replayed). `fetched` yields the objects not cached, in inventory order.
pub fn scan_cached(
    inventory: &Inventory,
    fetched: Fetched<'_>,
    cached: &CacheUse<'_>,
    ctx: &ScanContext<'_>,
    progress: &Progress,
) -> Usage {
    let scanner = Scanner::new(ctx, progress);
    scanner.segment_cached(inventory, fetched, cached);
    scanner.finish()
}

/// A scan fed in segments: objects in delivery order, one segment after
/// another (day folders, local and S3, are listed and processed one
/// delivery day at a time, so only that day's objects are in memory). The
/// de-duplicator and the total (on the folding thread) live across
/// segments; batches never cross a delivery day, so a scan in day segments
/// forgets exactly when a scan of the whole inventory does, and gives the
/// same result, provided each segment holds its day's objects: a file
/// named for another day than its folder's is moved to its own day's turn
/// where it can be (see `commands::analyze` and [`crate::source::local`]).
pub struct Scanner<'a> {
    ctx: &'a ScanContext<'a>,
    progress: &'a Progress,
    deduper: Deduper,
    // One accumulator per worker thread, handed to the folder after every
    // batch of objects: a fold state per rayon split would be merged
    // thousands of times, and merging bounded sets is what aggregation
    // costs most.
    states: Vec<Mutex<Usage>>,
    folder: Folder,
}

/// A batch's worker accumulators, and the time before which what is quiet
/// is packed once they are merged.
struct Fold {
    parts: Vec<Usage>,
    delivered: Option<i64>,
}

/// The thread that merges each batch's accumulators into the total and
/// packs what has gone quiet, while the workers read the next batch: done
/// between batches, it left all but one core idle for a tenth of the scan
/// (0.23 s of 2.4 s on the 2-core bench corpus). Folds are taken in batch
/// order, so the total, and what packing sees, are the same as folding
/// between batches. One fold may wait while another is merged, so up to
/// two batches' accumulators are held besides the workers' own.
struct Folder {
    sender: Option<std::sync::mpsc::SyncSender<Fold>>,
    thread: Mutex<Option<std::thread::JoinHandle<Usage>>>,
}

impl Folder {
    /// A folder thread; [`Folder::inline`] if none can be started.
    fn start(pack_after: i64, spill_after: usize) -> Folder {
        Folder::spawn(move |total, fold| fold_into(total, fold, pack_after, spill_after))
    }

    /// A thread folding with `fold`.
    fn spawn(mut fold: impl FnMut(&mut Usage, Fold) + Send + 'static) -> Folder {
        let (sender, folds) = std::sync::mpsc::sync_channel::<Fold>(1);
        let thread = std::thread::Builder::new()
            .name("vendortrail-fold".into())
            .spawn(move || {
                let mut total = Usage::default();
                for one in folds {
                    fold(&mut total, one);
                }
                total
            });
        match thread {
            Ok(thread) => Folder {
                sender: Some(sender),
                thread: Mutex::new(Some(thread)),
            },
            Err(_) => Folder::inline(),
        }
    }

    /// No folder thread: [`Scanner::fold_workers`] folds in place.
    fn inline() -> Folder {
        Folder {
            sender: None,
            thread: Mutex::new(None),
        }
    }

    fn is_running(&self) -> bool {
        self.sender.is_some()
    }

    /// Hands a batch's accumulators over. The thread only stops early by
    /// panicking: then its panic is raised here, at once, rather than the
    /// scan going on to lose its result at the end.
    fn send(&self, fold: Fold) {
        let Some(sender) = &self.sender else {
            return;
        };
        if sender.send(fold).is_err() {
            let thread = self
                .thread
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(Err(panic)) = thread.map(std::thread::JoinHandle::join) {
                std::panic::resume_unwind(panic);
            }
            panic!("the folding thread stopped early");
        }
    }

    /// Waits for every fold handed over; the total, if there is a thread.
    fn finish(&mut self) -> Option<Usage> {
        match self.join()? {
            Ok(total) => Some(total),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Closes the channel and waits for the thread, if there is one.
    fn join(&mut self) -> Option<std::thread::Result<Usage>> {
        self.sender = None;
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        Some(thread.join())
    }
}

impl Drop for Folder {
    /// A scan given up before [`Scanner::finish`] (an error starting the
    /// worker pool) still waits for its thread, which ends once the channel
    /// closes.
    fn drop(&mut self) {
        // Its panic, if any, was reported when it happened; this drop may
        // be part of unwinding from another.
        let _ = self.join();
    }
}

/// Merges a batch's accumulators into `total`, then packs what has been
/// quiet for `pack_after` seconds before the batch's delivery time or, for
/// files outside the CloudTrail layout, before the latest event time read.
fn fold_into(total: &mut Usage, fold: Fold, pack_after: i64, spill_after: usize) {
    for part in fold.parts {
        total.merge(part);
    }
    if let Some(now) = fold.delivered.or_else(|| total.latest_event_time()) {
        total.pack_quiet(now.saturating_sub(pack_after), spill_after);
    }
}

/// Batches of at most [`BATCH`] objects, never across a delivery day.
fn batches(objects: &[LogObject]) -> Vec<std::ops::Range<usize>> {
    let day = |o: &LogObject| o.delivered().map(|t| t.div_euclid(86_400));
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=objects.len() {
        if i == objects.len() || i - start == BATCH || day(&objects[i]) != day(&objects[start]) {
            out.push(start..i);
            start = i;
        }
    }
    out
}

impl<'a> Scanner<'a> {
    /// A scan with nothing read yet.
    pub fn new(ctx: &'a ScanContext<'a>, progress: &'a Progress) -> Scanner<'a> {
        let workers = rayon::current_num_threads().max(1);
        Scanner {
            ctx,
            progress,
            deduper: Deduper::new(ctx.dedupe_window),
            states: (0..workers).map(|_| Mutex::new(Usage::default())).collect(),
            folder: Folder::start(ctx.pack_after, ctx.spill_after),
        }
    }

    /// The usage of every segment.
    pub fn finish(mut self) -> Usage {
        let folded = self.folder.finish();
        let mut parts = self
            .states
            .into_iter()
            .map(|s| s.into_inner().unwrap_or_else(PoisonError::into_inner));
        let mut total = folded.or_else(|| parts.next()).unwrap_or_default();
        parts.for_each(|part| total.merge(part));
        total
    }

    /// Scans one segment. Local files are read by the workers; other
    /// objects' bytes come from `fetched`, which must yield exactly those
    /// objects, in inventory order.
    pub fn segment(&self, inventory: &Inventory, fetched: Option<Fetched<'_>>) {
        let (ctx, progress, deduper, states) =
            (self.ctx, self.progress, &self.deduper, &self.states);
        let workers = states.len();
        let fetched = fetched.map(Mutex::new);
        let objects = &inventory.objects;
        self.each_batch(objects, |range| {
            objects[range].par_iter().for_each(|object| {
                // Each pool thread has its own index, so its lock is uncontended.
                let worker = rayon::current_thread_index().unwrap_or(0) % workers;
                let mut acc = states[worker]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if matches!(object.location, Location::Local(_)) {
                    scan_object(object, None, ctx, deduper, &mut acc);
                    progress.object_done(object.size);
                    return;
                }
                match next_fetched(fetched.as_ref(), objects) {
                    Some((object, body)) => {
                        scan_object(object, Some(body), ctx, deduper, &mut acc);
                        progress.object_done(object.size);
                    }
                    None => fail(&mut acc, object.location.to_string(), STREAM_ENDED.into()),
                }
            });
        });
    }

    /// Runs `scan` on each batch of a segment's objects (given as a range of
    /// them): before it, the de-duplicator forgets events too old to be
    /// delivered again; after it, the workers' accumulators are folded.
    fn each_batch(&self, objects: &[LogObject], mut scan: impl FnMut(std::ops::Range<usize>)) {
        for range in batches(objects) {
            let delivered = objects[range.start].delivered();
            if let Some(first) = delivered {
                self.deduper.forget_before(first);
            }
            scan(range);
            self.fold_workers(delivered);
        }
    }

    /// Folds every worker's accumulator into the total, between batches,
    /// when no worker holds one: on the [`Folder`] thread, or here if it
    /// has none. Merging is order-independent, so the result is the same as
    /// folding once at the end; but a session whose calls two workers read
    /// would otherwise have an entry in each until then, and sessions are
    /// what grows with the trail.
    ///
    /// Then what has been quiet for [`ScanContext::pack_after`] is packed:
    /// quiet since then before the batch's delivery time, or, for files
    /// outside the CloudTrail layout (no delivery time in the path), before
    /// the latest event time read so far.
    fn fold_workers(&self, delivered: Option<i64>) {
        let take = |state: &Mutex<Usage>| {
            std::mem::take(&mut *state.lock().unwrap_or_else(PoisonError::into_inner))
        };
        if self.folder.is_running() {
            let parts = self.states.iter().map(take).collect();
            self.folder.send(Fold { parts, delivered });
            return;
        }
        // No folder thread: the first worker's accumulator is the total.
        let Some((first, rest)) = self.states.split_first() else {
            return;
        };
        let parts = rest.iter().map(take).collect();
        let mut first = first.lock().unwrap_or_else(PoisonError::into_inner);
        let (pack_after, spill_after) = (self.ctx.pack_after, self.ctx.spill_after);
        fold_into(
            &mut first,
            Fold { parts, delivered },
            pack_after,
            spill_after,
        );
    }
}

/// What a scan with `--cache` needs besides the inventory.
pub struct CacheUse<'a> {
    /// The cache.
    pub cache: &'a ObjectCache,
    /// For each object of the inventory, whether its entry is in the cache
    /// (and so not in the fetched stream).
    pub cached: &'a [bool],
    /// Fetches one object again, for an entry that cannot be used.
    pub refetch: &'a (dyn Fn(&LogObject) -> Result<Vec<u8>, String> + Sync),
}

impl Scanner<'_> {
    /// Scans one segment with the object cache: objects with an entry are
    /// replayed, the others fetched (from `fetched`, which yields the objects
    /// not cached, in inventory order), decoded and stored.
    pub fn segment_cached(
        &self,
        inventory: &Inventory,
        fetched: Fetched<'_>,
        cached: &CacheUse<'_>,
    ) {
        let (ctx, progress, deduper, states) =
            (self.ctx, self.progress, &self.deduper, &self.states);
        let fetched = Mutex::new(fetched);
        let objects = &inventory.objects;
        self.each_batch(objects, |range| {
            let base = range.start;
            let chunk = &objects[range];
            // Entries of the batch's cached objects; `None` where none was
            // stored or it cannot be read (then the object is fetched again).
            let mut entries: Vec<Option<Entry>> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, object)| {
                    cached.cached[base + i]
                        .then(|| cached.cache.load(object))
                        .flatten()
                })
                .collect();
            // Replay the entries' claims in delivery order, before the new
            // objects of the batch decode.
            let mut usable: Vec<bool> = entries
                .iter()
                .zip(chunk)
                .map(|(entry, object)| {
                    entry
                        .as_ref()
                        .is_some_and(|e| deduper.claim_all(&e.won, object.delivered()))
                })
                .collect();
            // New objects: fetch, decode against the shared de-duplicator, store.
            chunk
                .par_iter()
                .enumerate()
                .filter(|(i, _)| !cached.cached[base + i])
                .for_each(|(_, handed)| {
                    let usage = match next_fetched(Some(&fetched), objects) {
                        Some((object, body)) => {
                            progress.object_done(object.size);
                            decode_and_store(object, body, ctx, deduper, cached.cache)
                        }
                        None => {
                            let mut usage = Usage::default();
                            fail(&mut usage, handed.location.to_string(), STREAM_ENDED.into());
                            usage
                        }
                    };
                    merge_into(states, usage);
                });
            // An entry that lost events counts on others having counted them.
            for (i, entry) in entries.iter().enumerate() {
                if let (true, Some(entry)) = (usable[i], entry)
                    && !entry.lost.iter().all(|&k| deduper.contains(k))
                {
                    deduper.release(&entry.won);
                    usable[i] = false;
                }
            }
            chunk
                .par_iter()
                .zip(entries.par_iter_mut())
                .enumerate()
                .filter(|(i, _)| cached.cached[base + i])
                .for_each(|(i, (object, entry))| {
                    let usage = match entry.take() {
                        Some(entry) if usable[i] => entry.usage,
                        _ => decode_and_store(
                            object,
                            (cached.refetch)(object),
                            ctx,
                            deduper,
                            cached.cache,
                        ),
                    };
                    merge_into(states, usage);
                    progress.object_done(object.size);
                });
        });
    }
}

/// Why an object expected from the fetched stream was not scanned.
const STREAM_ENDED: &str = "not fetched: the object stream ended early";

/// The fetched stream's next object and its bytes. It belongs to the batch
/// being scanned (the stream is in inventory order), though perhaps not to
/// the iteration asking, which scans whichever object comes.
fn next_fetched<'o>(
    fetched: Option<&Mutex<Fetched<'_>>>,
    objects: &'o [LogObject],
) -> Option<(&'o LogObject, Result<Vec<u8>, String>)> {
    let (at, body) = (fetched?.lock().unwrap_or_else(PoisonError::into_inner))()?;
    Some((&objects[at], body))
}

/// Adds one object's usage to the calling worker's accumulator.
fn merge_into(states: &[Mutex<Usage>], usage: Usage) {
    let worker = rayon::current_thread_index().unwrap_or(0) % states.len().max(1);
    states[worker]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .merge(usage);
}

/// Decodes one fetched object on its own, recording the event keys it
/// counted and those counted before, and stores the entry when the bytes
/// were fetched (a failed fetch is not kept: the next run tries again).
fn decode_and_store(
    object: &LogObject,
    body: Result<Vec<u8>, String>,
    ctx: &ScanContext<'_>,
    deduper: &Deduper,
    cache: &ObjectCache,
) -> Usage {
    let mut usage = Usage::default();
    let fetched = body.is_ok();
    let recording = Recording {
        global: deduper,
        won: RefCell::new(Vec::new()),
        lost: RefCell::new(Vec::new()),
    };
    scan_object(object, Some(body), ctx, &recording, &mut usage);
    if !fetched {
        return usage;
    }
    let entry = Entry {
        location: object.location.to_string(),
        etag: object.etag.clone().unwrap_or_default(),
        won: recording.won.into_inner(),
        lost: recording.lost.into_inner(),
        usage,
    };
    if let Err(e) = cache.store(object, &entry) {
        eprintln!(
            "warning: cannot write the cache entry for {}: {e}",
            entry.location
        );
    }
    entry.usage
}

/// A view of the shared de-duplicator that notes which keys one object
/// counted and which it found counted already.
struct Recording<'a> {
    global: &'a Deduper,
    won: RefCell<Vec<u64>>,
    lost: RefCell<Vec<u64>>,
}

impl Sighting for Recording<'_> {
    fn first_sightings(&self, keys: &[u64], delivered: Option<i64>) -> Vec<bool> {
        let first = self.global.first_sightings(keys, delivered);
        let (mut won, mut lost) = (self.won.borrow_mut(), self.lost.borrow_mut());
        for (&key, &first) in keys.iter().zip(&first) {
            if first {
                won.push(key);
            } else {
                lost.push(key);
            }
        }
        first
    }
}

thread_local! {
    /// Per-worker buffers for the stored bytes and the inflated JSON, reused
    /// from object to object.
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Decodes one object into `acc`, recording a failure instead of stopping.
/// `body` holds a fetched object's bytes; local files are read here.
fn scan_object(
    object: &LogObject,
    body: Option<Result<Vec<u8>, String>>,
    ctx: &ScanContext<'_>,
    deduper: &impl Sighting,
    acc: &mut Usage,
) {
    BUFFERS.with(|buffers| {
        let (buffer, inflated) = &mut *buffers.borrow_mut();
        let path = || object.location.to_string();
        let stored: &[u8] = match &body {
            Some(Ok(bytes)) => bytes,
            Some(Err(reason)) => return fail(acc, path(), format!("cannot fetch: {reason}")),
            None => match object.read_into(buffer) {
                Ok(()) => buffer,
                Err(e) => return fail(acc, path(), format!("cannot read: {e}")),
            },
        };
        let delivered = object.delivered();
        match decode_into(stored, inflated, delivered, ctx, deduper, acc) {
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
            Err(e) => {
                // Records read before a structural error were counted;
                // unreadable ones among them must be too.
                if let DecodeError::Syntax { bad_records, .. } = &e
                    && *bad_records > 0
                {
                    acc.totals.records += bad_records;
                    acc.totals.bad_records += bad_records;
                }
                fail(acc, path(), e.to_string())
            }
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
    delivered: Option<i64>,
    ctx: &ScanContext<'_>,
    deduper: &impl Sighting,
    acc: &mut Usage,
) -> Result<cloudtrail::ParseOutcome, DecodeError> {
    let json = cloudtrail::decode::decompress_into(stored, inflated)?;
    parse_into(json, delivered, ctx, deduper, acc)
}

fn parse_into(
    json: &[u8],
    delivered: Option<i64>,
    ctx: &ScanContext<'_>,
    deduper: &impl Sighting,
    acc: &mut Usage,
) -> Result<cloudtrail::ParseOutcome, DecodeError> {
    let outcome = cloudtrail::decode::parse_batches(json, |records| {
        absorb(records, delivered, ctx, deduper, acc)
    })?;
    acc.files.json_bytes += json.len() as u64;
    Ok(outcome)
}

/// Filters, de-duplicates, normalises and counts a batch of records. The
/// batch is de-duplicated at once (see [`crate::dedupe`] for why).
fn absorb(
    records: &[Record<'_>],
    delivered: Option<i64>,
    ctx: &ScanContext<'_>,
    deduper: &impl Sighting,
    acc: &mut Usage,
) {
    let events: Vec<Event<'_>> = records
        .iter()
        .filter_map(|record| admit(record, ctx, acc))
        .collect();
    let keys: Vec<u64> = events
        .iter()
        .filter_map(|e| e.record.event_id.get().map(Deduper::key_of))
        .collect();
    let mut first = deduper.first_sightings(&keys, delivered).into_iter();
    for event in &events {
        // Records without an eventID cannot be matched: each counts.
        if event.record.event_id.get().is_some() && first.next() == Some(false) {
            acc.totals.duplicates += 1;
            continue;
        }
        count(event, ctx, acc);
    }
}

/// Counts a record and returns its event if the filters keep it.
fn admit<'r>(record: &'r Record<'r>, ctx: &ScanContext<'_>, acc: &mut Usage) -> Option<Event<'r>> {
    acc.totals.records += 1;
    if is_insight(record) {
        acc.totals.insight_records += 1;
        return None;
    }
    let event = Event::from_record(record);
    let filters = ctx.filters;
    if filters.has_time_window() && !event.time.is_some_and(|t| filters.wants_time(t)) {
        acc.totals.outside_time_window += 1;
        return None;
    }
    let account_ok =
        filters.accounts.is_empty() || event.account.is_some_and(|a| filters.wants_account(a));
    let region_ok =
        filters.regions.is_empty() || event.region.is_some_and(|r| filters.wants_region(r));
    if !(account_ok && region_ok) {
        acc.totals.outside_account_or_region += 1;
        return None;
    }
    Some(event)
}

/// Maps and aggregates one event that is counted.
fn count(event: &Event<'_>, ctx: &ScanContext<'_>, acc: &mut Usage) {
    let record = event.record;
    // An AwsServiceEvent raised by a service is something the service did
    // or noticed, not a call made with anyone's permissions (CloudTrail record
    // contents, `eventType`): it counts as an event, under no action.
    let service_event = record.event_type.get() == Some("AwsServiceEvent")
        && event.principal.kind == crate::event::PrincipalKind::AwsService;
    let mapping =
        (!service_event).then(|| ctx.mapper.map(event.event_source(), event.event_name()));
    acc.record(event, mapping);
    if let Some(watch) = ctx.watch
        && mentions(watch, record.raw.as_bytes())
    {
        acc.touches.push(crate::usage::Touch::of(event));
    }
}

/// Whether a record names the watched text as a whole token: `i-0abc`
/// must not match inside `i-0abcdef`, nor `logs` inside `logs.amazonaws.com`.
fn mentions(watch: &memchr::memmem::Finder<'_>, raw: &[u8]) -> bool {
    let part_of_name = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    let len = watch.needle().len();
    watch.find_iter(raw).any(|at| {
        let before = at.checked_sub(1).map(|i| raw[i]);
        let after = raw.get(at + len).copied();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// Attributes the report's activity to third parties.
pub fn attribute(
    report: &Report,
    context: &crate::attribution::Context<'_>,
) -> crate::attribution::Attribution {
    crate::attribution::attribute(report, context)
}

/// Adds to each third party's ledger the grants of the principals it used
/// or is trusted by, with their least-privilege suggestions.
pub fn party_grants(
    report: &mut Report,
    iam: &IamInventory,
    catalog: &Catalog,
    mapper: &ActionMapper,
) {
    let Some(grants) = &report.grants else {
        return;
    };
    let mut per_party = Vec::new();
    for party in &report.attribution.third_parties {
        let mut principals: Vec<&str> = party.principals.iter().map(String::as_str).collect();
        principals.extend(party.trusted_by.iter().map(|t| t.role.as_str()));
        principals.sort_unstable();
        principals.dedup();
        let mut out = Vec::new();
        for arn in principals {
            let Ok(at) = grants.binary_search_by(|c| c.principal.as_str().cmp(arn)) else {
                continue;
            };
            let c = &grants[at];
            let suggestion = suggest_for(report, iam, arn, catalog, mapper, &Options::default());
            let (suggested_policy, suggestion_error) = match suggestion {
                Ok(s) => (Some(s.documents), None),
                Err(e) => (None, Some(e.to_string())),
            };
            out.push(crate::attribution::PartyGrant {
                principal: arn.to_owned(),
                totals: c.totals.clone(),
                by_access_level: c.by_access_level.clone(),
                suggested_policy,
                suggestion_error,
            });
        }
        per_party.push(out);
    }
    for (party, grants) in report.attribution.third_parties.iter_mut().zip(per_party) {
        party.grants = grants;
    }
}

/// Runs every check over the report, its attribution and the IAM input.
pub fn findings(
    report: &Report,
    iam: Option<&IamInventory>,
    registry: Option<&crate::attribution::registry::Registry>,
    credentials: Option<&crate::attribution::credentials::CredentialReport>,
) -> Vec<crate::findings::Finding> {
    crate::findings::run_all(&crate::findings::Input {
        report,
        attribution: &report.attribution,
        iam,
        grants: report.grants.as_deref(),
        registry,
        credentials,
    })
}

/// What comparing and suggesting read besides a principal, for this report.
fn inputs<'a>(
    report: &'a Report,
    iam: &'a IamInventory,
    catalog: &'a Catalog,
    mapper: &ActionMapper,
) -> Inputs<'a> {
    Inputs::new(
        catalog,
        mapper,
        &report.input.data_event_sources,
        iam.scps(),
    )
    .with_issued(&report.issued_sessions)
}

/// Used vs granted for every principal in the IAM input, whether the logs
/// show it or not (a role nobody used is a finding too), sorted by ARN.
pub fn compare_all(
    report: &Report,
    iam: &IamInventory,
    catalog: &Catalog,
    mapper: &ActionMapper,
) -> Vec<Comparison> {
    let inputs = inputs(report, iam, catalog, mapper);
    let principals: Vec<_> = iam.principals().collect();
    // One expander (pattern cache) per worker; results keep the ARN order.
    principals
        .par_iter()
        .map_init(
            || Expander::new(catalog),
            |expander, p| compare::compare(p, report.principal(&p.arn), &inputs, expander),
        )
        .collect()
}

/// Why `suggest` could not produce a policy.
#[derive(Debug, thiserror::Error)]
pub enum SuggestFailure {
    /// The principal is not in the IAM input.
    #[error(transparent)]
    Principal(#[from] IamError),
    /// The suggestion could not be built or failed its check.
    #[error(transparent)]
    Suggest(#[from] SuggestError),
}

/// The least-privilege suggestion for one principal of the IAM input.
pub fn suggest_for(
    report: &Report,
    iam: &IamInventory,
    principal: &str,
    catalog: &Catalog,
    mapper: &ActionMapper,
    options: &Options,
) -> Result<Suggestion, SuggestFailure> {
    let policies = iam.find(principal)?;
    let inputs = inputs(report, iam, catalog, mapper);
    let mut expander = Expander::new(catalog);
    Ok(suggest::suggest(
        policies,
        report.principal(&policies.arn),
        &inputs,
        &mut expander,
        options,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Progress;
    use crate::report::CatalogUse;
    use crate::source::local;
    use crate::testutil::{real_catalog, shared_data_dir};

    /// The committed corpus as S3 objects (bucket `b`, the path as key, an
    /// ETag from the content), with the files to read their bytes from.
    fn corpus_as_s3() -> (Inventory, Vec<std::path::PathBuf>) {
        let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/AWSLogs");
        let mut inventory = local::discover(&[logs], &Filters::default());
        let mut paths = Vec::new();
        for object in &mut inventory.objects {
            let Location::Local(path) = &object.location else {
                unreachable!("local discovery");
            };
            let size = std::fs::metadata(path).expect("stat").len();
            object.etag = Some(format!(
                "{size}-{:016x}",
                crate::hash::hash_str(&path.display().to_string())
            ));
            paths.push(path.clone());
            object.location = Location::S3 {
                bucket: "b".into(),
                key: path.display().to_string(),
            };
        }
        (inventory, paths)
    }

    fn json_of(inventory: &Inventory, usage: Usage) -> String {
        let report = Report::build(
            Vec::new(),
            inventory,
            usage,
            Filters::default(),
            CatalogUse::Rules,
        );
        let mut out = Vec::new();
        crate::output::json::write(&report, &mut out).expect("json");
        String::from_utf8(out).expect("utf-8")
    }

    /// A scan context without a catalog, watch or time filter.
    fn context<'a>(
        filters: &'a Filters,
        mapper: &'a ActionMapper,
        pack_after: i64,
        spill_after: usize,
    ) -> ScanContext<'a> {
        ScanContext {
            filters,
            mapper,
            dedupe_window: 86_400,
            watch: None,
            pack_after,
            spill_after,
        }
    }

    /// What a scan packed and spilled by its end.
    #[derive(Debug, PartialEq)]
    struct Packing {
        sessions: usize,
        issued: usize,
        runs: usize,
    }

    /// Scans local files, packing what has been quiet for `pack_after`
    /// seconds and spilling packed records past `spill_after` bytes: the
    /// JSON report, and what was packed and spilled.
    fn scan_packing(
        root: &std::path::Path,
        pack_after: i64,
        spill_after: usize,
    ) -> (String, Packing) {
        let inventory = local::discover(&[root.to_path_buf()], &Filters::default());
        let (filters, mapper) = (Filters::default(), ActionMapper::new(None));
        let ctx = context(&filters, &mapper, pack_after, spill_after);
        let usage = scan(&inventory, None, &ctx, &Progress::hidden());
        let packing = Packing {
            sessions: usage
                .principals
                .values()
                .map(|p| p.quiet_sessions.len())
                .sum(),
            issued: usage.settled_issued.len(),
            runs: usage
                .principals
                .values()
                .map(|p| p.quiet_sessions.runs())
                .sum::<usize>()
                + usage.settled_issued.runs(),
        };
        (json_of(&inventory, usage), packing)
    }

    /// Folding on the folder thread, while the next batch is read, gives
    /// the report folding in place between batches gives, packing and
    /// spilling included.
    #[test]
    fn folding_aside_equals_folding_between_batches() {
        let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/AWSLogs");
        let inventory = local::discover(&[logs], &Filters::default());
        let (filters, mapper) = (Filters::default(), ActionMapper::new(None));
        let ctx = context(&filters, &mapper, 600, 0);
        let progress = Progress::hidden();
        let aside = Scanner::new(&ctx, &progress);
        assert!(aside.folder.is_running(), "a folder thread");
        aside.segment(&inventory, None);
        let mut in_place = Scanner::new(&ctx, &progress);
        in_place.folder.finish();
        in_place.folder = Folder::inline();
        assert!(!in_place.folder.is_running());
        in_place.segment(&inventory, None);
        let (aside, in_place) = (aside.finish(), in_place.finish());
        assert!(aside.totals.events > 3000);
        assert_eq!(json_of(&inventory, aside), json_of(&inventory, in_place));
    }

    /// A fold that panics stops the scan at the next batch, with its panic,
    /// instead of the scan reading on and losing the total at the end.
    #[test]
    fn a_panic_while_folding_is_raised_at_the_next_batch() {
        let folder = Folder::spawn(|_, _| panic!("fold failed"));
        let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // The channel holds one fold: by the third, the thread has
            // taken one and died.
            for _ in 0..3 {
                folder.send(Fold {
                    parts: Vec::new(),
                    delivered: None,
                });
            }
        }));
        let panic = sent.expect_err("the fold's panic");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"fold failed"));
    }

    /// Packing sessions and issued credentials changes no result, however
    /// finely it splits sessions into fragments and spills them to disk:
    /// packing everything after every batch, after ten minutes of quiet, or
    /// never, and spilling after every record, every few, or past the
    /// product's megabyte, give one report.
    #[test]
    fn packing_and_spilling_change_no_result() {
        let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/AWSLogs");
        let (never, packing) = scan_packing(&logs, i64::MAX, crate::usage::RUN_BYTES);
        let none = Packing {
            sessions: 0,
            issued: 0,
            runs: 0,
        };
        assert_eq!(packing, none);
        for (pack_after, spill_after) in
            [(0, crate::usage::RUN_BYTES), (600, 0), (0, 0), (600, 700)]
        {
            let (report, packing) = scan_packing(&logs, pack_after, spill_after);
            assert!(
                packing.sessions > 0 && packing.issued > 0,
                "{pack_after}: {packing:?}"
            );
            assert_eq!(
                packing.runs > 0,
                spill_after < crate::usage::RUN_BYTES,
                "{spill_after}: {packing:?}"
            );
            assert!(
                report == never,
                "pack_after {pack_after}, spill_after {spill_after} changed the report"
            );
        }
    }

    /// Files outside the CloudTrail layout carry no delivery time: what went
    /// quiet is packed against the latest event time read instead.
    #[test]
    fn files_outside_the_layout_pack_by_event_time() {
        let logs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/AWSLogs");
        let flat = tempfile::tempdir().expect("tempdir");
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        let mut stack = vec![logs];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.to_string_lossy().contains("_CloudTrail_") {
                    files.push(path);
                }
            }
        }
        files.sort();
        for (i, file) in files.iter().enumerate() {
            std::fs::copy(file, flat.path().join(format!("export-{i:04}.json.gz"))).expect("copy");
        }
        let (never, _) = scan_packing(flat.path(), i64::MAX, crate::usage::RUN_BYTES);
        let (report, packing) = scan_packing(flat.path(), 600, crate::usage::RUN_BYTES);
        assert!(packing.sessions > 0 && packing.issued > 0, "{packing:?}");
        assert!(report == never, "packing changed the report");
    }

    /// A stream of the files behind `objects[i]` for the indexes given, in order.
    fn stream_of(
        paths: &[std::path::PathBuf],
        indexes: Vec<usize>,
    ) -> impl FnMut() -> Option<(usize, Result<Vec<u8>, String>)> + Send {
        let paths = paths.to_vec();
        let mut next = indexes.into_iter();
        move || {
            let i = next.next()?;
            Some((i, std::fs::read(&paths[i]).map_err(|e| e.to_string())))
        }
    }

    /// Objects delivered late (in the middle of the delivery order) after a
    /// first cached run: the second cached run fetches only them, and its
    /// report equals a cold run's, duplicates across objects included.
    #[test]
    fn a_cached_scan_with_late_objects_equals_a_cold_scan() {
        let (full, paths) = corpus_as_s3();
        let (filters, mapper) = (Filters::default(), ActionMapper::new(None));
        let ctx = context(
            &filters,
            &mapper,
            crate::usage::QUIET_AFTER,
            crate::usage::RUN_BYTES,
        );
        let all: Vec<usize> = (0..full.objects.len()).collect();
        let cold = scan(
            &full,
            Some(&mut stream_of(&paths, all)),
            &ctx,
            &Progress::hidden(),
        );
        let cold = json_of(&full, cold);
        assert!(
            cold.contains("\"duplicates\": 38"),
            "the corpus plants duplicates"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let cache = ObjectCache::open(dir.path(), "test").expect("cache");
        let refetches = std::sync::atomic::AtomicUsize::new(0);
        let refetch = |object: &LogObject| {
            refetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let at = full
                .objects
                .iter()
                .position(|o| o == object)
                .expect("known");
            std::fs::read(&paths[at]).map_err(|e| e.to_string())
        };
        // First run: every third object not delivered yet.
        let mut early = Inventory::default();
        let mut early_paths = Vec::new();
        for (i, object) in full.objects.iter().enumerate() {
            if i % 3 != 1 {
                early.objects.push(object.clone());
                early_paths.push(paths[i].clone());
            }
        }
        let none = vec![false; early.objects.len()];
        let using = CacheUse {
            cache: &cache,
            cached: &none,
            refetch: &refetch,
        };
        let indexes = (0..early.objects.len()).collect();
        scan_cached(
            &early,
            &mut stream_of(&early_paths, indexes),
            &using,
            &ctx,
            &Progress::hidden(),
        );

        // Second run: everything; only the late third is fetched.
        let cached: Vec<bool> = full.objects.iter().map(|o| cache.has(o)).collect();
        let late: Vec<usize> = (0..full.objects.len()).filter(|i| !cached[*i]).collect();
        assert_eq!(
            late.len(),
            full.objects.len() / 3 + usize::from(full.objects.len() % 3 > 1)
        );
        let using = CacheUse {
            cache: &cache,
            cached: &cached,
            refetch: &refetch,
        };
        let warm = scan_cached(
            &full,
            &mut stream_of(&paths, late),
            &using,
            &ctx,
            &Progress::hidden(),
        );
        assert_eq!(json_of(&full, warm), cold);
        // Entries whose claims broke were fetched again, and only those:
        // here a late object holds a duplicate of an event that a cached
        // object of a later batch had counted in the first run.
        let again = refetches.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            (1..full.objects.len() / 10).contains(&again),
            "{again} refetched"
        );

        // A third run changes nothing and fetches nothing.
        let cached: Vec<bool> = full.objects.iter().map(|o| cache.has(o)).collect();
        assert!(cached.iter().all(|c| *c));
        let using = CacheUse {
            cache: &cache,
            cached: &cached,
            refetch: &refetch,
        };
        let before = refetches.load(std::sync::atomic::Ordering::Relaxed);
        let third = scan_cached(
            &full,
            &mut stream_of(&paths, Vec::new()),
            &using,
            &ctx,
            &Progress::hidden(),
        );
        assert_eq!(json_of(&full, third), cold);
        assert_eq!(refetches.load(std::sync::atomic::Ordering::Relaxed), before);
    }

    #[test]
    fn a_watched_id_matches_only_as_a_whole_token() {
        let finder = memchr::memmem::Finder::new("i-0abc");
        assert!(mentions(&finder, br#"{"instanceId":"i-0abc"}"#));
        assert!(mentions(
            &finder,
            b"arn:aws:ec2:us-east-1:1:instance/i-0abc"
        ));
        assert!(!mentions(&finder, br#"{"instanceId":"i-0abcdef"}"#));
        let logs = memchr::memmem::Finder::new("logs");
        assert!(!mentions(&logs, br#"{"eventSource":"logs.amazonaws.com"}"#));
        assert!(mentions(&logs, b"arn:aws:s3:::logs/a.gz"));
    }

    /// Every real dataset (`shared/realdata`) through `suggest`, for every
    /// role and IAM user it shows, with an administrator grant (the
    /// datasets carry no IAM export): no error, the self-check passes, and
    /// every emitted action is in the catalog. In process, so the catalog
    /// is loaded once.
    #[test]
    fn realdata_suggest_for_every_principal() {
        let catalog = real_catalog();
        let mapper = ActionMapper::new(Some(catalog.clone()));
        let dir = tempfile::tempdir().unwrap();
        let admin = dir.path().join("admin.json");
        std::fs::write(
            &admin,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap();
        let realdata = shared_data_dir().join("../realdata");
        let mut sets: Vec<_> = std::fs::read_dir(&realdata)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        sets.sort();
        let mut principals = 0;
        for set in &sets {
            let filters = Filters::default();
            let inventory = local::discover(std::slice::from_ref(set), &filters);
            let ctx = ScanContext {
                filters: &filters,
                mapper: &mapper,
                dedupe_window: 86_400,
                watch: None,
                pack_after: crate::usage::QUIET_AFTER,
                spill_after: crate::usage::RUN_BYTES,
            };
            let usage = scan(&inventory, None, &ctx, &Progress::hidden());
            let report = Report::build(Vec::new(), &inventory, usage, filters, CatalogUse::Rules);
            for p in report.principals.iter().filter(|p| {
                matches!(
                    p.kind,
                    crate::event::PrincipalKind::Role | crate::event::PrincipalKind::IamUser
                ) && p.arn.contains(":iam::")
            }) {
                let mut iam = IamInventory::new();
                iam.add_policy_file(&p.arn, &admin).unwrap();
                let suggestion = suggest_for(
                    &report,
                    &iam,
                    &p.arn,
                    &catalog,
                    &mapper,
                    &Options::default(),
                )
                .unwrap_or_else(|e| panic!("{}: {}: {e}", set.display(), p.arn));
                assert!(suggestion.check.passed(), "{}", p.arn);
                for document in &suggestion.documents {
                    for statement in &document.statements {
                        for action in statement.actions.items() {
                            assert!(
                                catalog.action(action).is_some(),
                                "{}: {action} is not in the catalog",
                                p.arn
                            );
                        }
                    }
                }
                principals += 1;
            }
        }
        assert!(principals >= 5, "only {principals} principals exercised");
    }
}
