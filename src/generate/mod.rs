//! Deterministic generator of realistic CloudTrail corpora and their ground truth.
//!
//! # Contract
//!
//! [`generate`] writes, under [`GenerateOptions::out_dir`]:
//!
//! * `AWSLogs/o-a1b2c3d4e5/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz`
//!   for the organisation trail (accounts 111111111111 in us-east-1 and
//!   eu-west-1, 222222222222 in us-east-1) and `AWSLogs/333333333333/CloudTrail/…`
//!   for a standalone trail: gzip of minified `{"Records":[…]}`, one file per
//!   stream every 5–15 minutes of delivery time;
//! * hourly `CloudTrail-Digest/` files and one Insight start/end pair under
//!   `CloudTrail-Insight/`;
//! * `lookup-events/…json`: `aws cloudtrail lookup-events` output whose
//!   events also appear in the logs;
//! * `broken/`: corrupt inputs, each listed with its reason in the manifest;
//! * `iam/<acct>.json`: `aws iam get-account-authorization-details` output;
//! * `manifest.json`: the [`Manifest`], also returned.
//!
//! The same options give byte-identical files: one seeded PRNG
//! (xoshiro256**), ordered maps only, gzip headers with mtime 0. Planted
//! traps: ~1% of records delivered twice into two files, records unordered
//! inside files, late deliveries (up to an hour), one two-member gzip file,
//! mixed `eventVersion` 1.08–1.11, `creationDate` in basic and extended ISO
//! form, two `expiration` spellings, `accessKeyId: ""`, `userIdentity`
//! without `type`, failed AssumeRole with `requestParameters: null`.
//!
//! Records are planned a day at a time, rendered in time order and streamed
//! into delivery files as soon as the event clock passes their delivery
//! time, so memory stays bounded by one day's plan plus about an hour of
//! records, whatever the corpus size.

mod actors;
mod delivery;
mod digest;
mod event;
mod extras;
mod iam;
mod identity;
mod json;
mod layout;
mod manifest;
mod ops;
mod payload;
mod policies;
mod records;
mod rng;
mod scenario;
mod time;
mod trust;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use flate2::Compression;

use self::actors::Plan;
use self::delivery::{Delivery, Rec};
use self::event::Ev;
use self::extras::Lookup;
use self::manifest::{Bytes, DuplicateSample, Tally, Traps, VendorEntry};
use self::rng::Rng;
use self::time::{DAY, HOUR, MINUTE, days_from_civil, is_valid_date};

pub use self::manifest::{
    ActionStats, BrokenFile, LookupEventsFile, Manifest, ManifestOptions, PrincipalEntry,
    SessionEntry, TimeRange, is_denied,
};

/// Errors of [`generate`] and [`parse_size`].
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Reading or writing a file failed (disk full, permissions…).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Serializing JSON failed (a bug).
    #[error("serializing JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The options are unusable; this is a caller error.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// A size such as `2GB` could not be parsed; this is a user error.
    #[error(
        "invalid size {0:?}: expected a number with an optional KB/MB/GB/TB suffix, e.g. 500MB"
    )]
    InvalidSize(String),
    /// The scenario planned an event for a stream that has no trail (a bug).
    #[error("no trail delivers events of account {account} in {region}")]
    NoTrail {
        /// Account of the event.
        account: String,
        /// Region of the event.
        region: String,
    },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Output directory (created if missing).
    pub out_dir: PathBuf,
    /// PRNG seed; the only source of randomness.
    pub seed: u64,
    /// First day `(year, month, day)`, UTC.
    pub start: (i32, u32, u32),
    /// Number of days of activity.
    pub days: u32,
    /// Daily event budget, spread over the cast; every actor still gets its
    /// minimum episodes, so small budgets produce somewhat more.
    pub events_per_day: u64,
    /// Realistic large request/response payloads, for benchmarks. Padded
    /// corpora are compressed with `Compression::fast()`, others with the
    /// default level.
    pub padding: bool,
}

/// Average uncompressed bytes per record of a padded corpus, measured; used
/// to size bench corpora.
const BENCH_RECORD_BYTES: u64 = 2_000;

impl GenerateOptions {
    /// The committed test corpus: two days, about 3,400 unique records,
    /// under 1.5 MB on disk (`out_dir` defaults to `out-small`; override it).
    pub fn small() -> Self {
        Self {
            out_dir: PathBuf::from("out-small"),
            seed: 20_240_304,
            start: (2024, 3, 4),
            days: 2,
            events_per_day: 1_650,
            padding: false,
        }
    }

    /// A benchmark corpus of at least `target_uncompressed_bytes` of log
    /// JSON, spread over 30 days (more for very large targets, so one day
    /// stays under ~200 MB).
    pub fn bench(target_uncompressed_bytes: u64) -> Self {
        let days = (target_uncompressed_bytes / 200_000_000).clamp(30, 365);
        // 10% head-room: the budget is a target, the minimum episodes and
        // duplicates add a little, and the corpus must not come out short.
        let records = target_uncompressed_bytes.saturating_mul(11) / 10 / BENCH_RECORD_BYTES;
        Self {
            out_dir: PathBuf::from("out-bench"),
            seed: 7,
            start: (2024, 1, 1),
            days: days as u32,
            events_per_day: (records / days).max(1),
            padding: true,
        }
    }

    /// Start of the first day, epoch seconds.
    fn start_time(&self) -> i64 {
        days_from_civil(self.start.0, self.start.1, self.start.2) * DAY
    }

    /// Checks the options.
    fn validate(&self) -> Result<(), GenerateError> {
        let (y, m, d) = self.start;
        if !is_valid_date(y, m, d) || !(1970..=9000).contains(&y) {
            return Err(GenerateError::InvalidOptions(format!(
                "start {y}-{m}-{d} is not a date"
            )));
        }
        if self.days == 0 {
            return Err(GenerateError::InvalidOptions(
                "days must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Parses a size like `2GB`, `500MB`, `750K` or `1048576` (decimal units;
/// `KiB`/`MiB`/`GiB` are binary).
pub fn parse_size(text: &str) -> Result<u64, GenerateError> {
    let bad = || GenerateError::InvalidSize(text.to_owned());
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "T" | "TB" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes.round() as u64)
}

/// Renders planned events into records and hands them to delivery.
struct Emitter {
    /// Randomness for record contents.
    render: Rng,
    /// Randomness for delivery delays and duplicates.
    timing: Rng,
    /// Large payloads.
    padding: bool,
    /// The delivery engine.
    delivery: Delivery,
    /// Ground-truth counters.
    tally: Tally,
    /// lookup-events capture.
    lookup: Lookup,
    /// `eventID`s of the tracked duplicate samples.
    samples: Vec<String>,
}

/// How many duplicated records the manifest lists by name.
const DUPLICATE_SAMPLES: usize = 25;

impl Emitter {
    /// Renders, counts and queues one event.
    fn emit(&mut self, ev: &Ev) -> Result<(), GenerateError> {
        self.delivery.advance(ev.time)?;
        let built = records::build(ev, &mut self.render, self.padding);
        let json = serde_json::to_vec(&built.record)?;
        self.tally.count(ev);
        self.lookup.offer(ev, &built.event_id, &built.record, &json);
        let stream =
            layout::stream_index(ev.account, ev.region).ok_or_else(|| GenerateError::NoTrail {
                account: ev.account.to_owned(),
                region: ev.region.to_owned(),
            })?;
        self.queue(stream, ev.time, &built.event_id, json);
        Ok(())
    }

    /// Hands a record to delivery after a delay, and about one time in a
    /// hundred once more, 10 minutes to 6 hours later (so always in another
    /// file: "duplicates (same eventID) happen").
    fn queue(&mut self, stream: usize, time: i64, event_id: &str, json: Vec<u8>) {
        let delay = self.delay();
        if delay > 15 * MINUTE {
            self.tally.late += 1;
        }
        let duplicate = self.timing.chance(0.01);
        let sample = (duplicate && self.samples.len() < DUPLICATE_SAMPLES).then(|| {
            self.samples.push(event_id.to_owned());
            self.samples.len() - 1
        });
        let copy = duplicate.then(|| json.clone());
        let at = self.delivery.add(
            stream,
            time + delay,
            Rec {
                time,
                bytes: json,
                sample,
            },
        );
        if let Some(bytes) = copy {
            let later = at + 10 * MINUTE + self.timing.below(6 * 3600 - 600) as i64;
            self.delivery.add(
                stream,
                later,
                Rec {
                    time,
                    bytes,
                    sample,
                },
            );
            self.tally.duplicates += 1;
        }
    }

    /// Delivery delay: mostly a few minutes, sometimes up to an hour.
    fn delay(&mut self) -> i64 {
        let roll = self.timing.below(100);
        let secs = match roll {
            0..=84 => self.timing.range(30, 300),
            85..=97 => self.timing.range(300, 900),
            _ => self.timing.range(900, 3600),
        };
        secs as i64
    }
}

/// Generates a corpus into `opts.out_dir` and returns its manifest (also
/// written to `manifest.json`).
pub fn generate(opts: &GenerateOptions) -> Result<Manifest, GenerateError> {
    opts.validate()?;
    let out = opts.out_dir.as_path();
    std::fs::create_dir_all(out).map_err(layout::io_err(out))?;
    let root = Rng::new(opts.seed);
    let level = if opts.padding {
        Compression::fast()
    } else {
        Compression::default()
    };
    let start = opts.start_time();
    let mut em = Emitter {
        render: root.fork("render"),
        timing: root.fork("timing"),
        padding: opts.padding,
        delivery: Delivery::new(out.to_path_buf(), level, root.fork("delivery"), start),
        tally: Tally::default(),
        lookup: Lookup::default(),
        samples: Vec::new(),
    };
    run_days(opts, root.fork("plan"), &mut em)?;
    em.delivery.finish()?;
    finish(opts, &root, em, level)
}

/// Plans and emits every day in time order.
fn run_days(opts: &GenerateOptions, rng: Rng, em: &mut Emitter) -> Result<(), GenerateError> {
    let start = opts.start_time();
    let mut plan = Plan::new(rng);
    let mut pending: Vec<Ev> = Vec::new();
    for day in 0..i64::from(opts.days) {
        let day_start = start + day * DAY;
        plan.day(day_start, opts.events_per_day);
        pending.append(&mut plan.out);
        pending.sort_by_key(|e| (e.time, e.seq));
        let cut = pending.partition_point(|e| e.time < day_start + DAY);
        let later = pending.split_off(cut);
        for ev in &pending {
            em.emit(ev)?;
        }
        pending = later;
    }
    for ev in &pending {
        em.emit(ev)?;
    }
    Ok(())
}

/// Files written after the logs, and what the manifest says about them.
struct Extras {
    /// Digest files.
    digest_files: u64,
    /// Insight files and records.
    insights: (u64, u64),
    /// The lookup-events file.
    lookup: LookupEventsFile,
    /// Broken inputs.
    broken: Vec<BrokenFile>,
    /// IAM exports.
    iam_exports: Vec<String>,
}

/// Writes digests, insights, lookup-events, broken files and IAM exports.
fn write_extras(
    opts: &GenerateOptions,
    root: &Rng,
    em: &mut Emitter,
    level: Compression,
) -> Result<Extras, GenerateError> {
    let out = opts.out_dir.as_path();
    let start = opts.start_time();
    let last_delivery = em
        .delivery
        .files
        .iter()
        .map(|f| f.at)
        .max()
        .unwrap_or(start);
    let end = (start + i64::from(opts.days) * DAY).max(last_delivery + HOUR);
    let digest_files = digest::write_digests(
        out,
        &em.delivery.files,
        &mut root.fork("digest"),
        start,
        end,
        level,
    )?;
    Ok(Extras {
        digest_files,
        insights: extras::write_insights(out, &mut root.fork("insight"), start, level)?,
        lookup: std::mem::take(&mut em.lookup).write(out)?,
        broken: extras::write_broken(out, &mut root.fork("broken"), start + 12 * HOUR)?,
        iam_exports: iam::write_exports(out, &em.tally)?,
    })
}

/// Writes everything after the logs, then the manifest.
fn finish(
    opts: &GenerateOptions,
    root: &Rng,
    mut em: Emitter,
    level: Compression,
) -> Result<Manifest, GenerateError> {
    let extras = write_extras(opts, root, &mut em, level)?;
    let [by_identity_type, by_error_code, by_event_category] = em.tally.breakdowns();
    let stats = &em.delivery.stats;
    let manifest = Manifest {
        seed: opts.seed,
        options: ManifestOptions {
            seed: opts.seed,
            start: opts.start,
            days: opts.days,
            events_per_day: opts.events_per_day,
            padding: opts.padding,
        },
        log_files: stats.files,
        digest_files: extras.digest_files,
        insight_files: extras.insights.0,
        insight_records: extras.insights.1,
        lookup_events_files: vec![extras.lookup],
        broken_files: extras.broken,
        records: em.tally.records,
        duplicate_deliveries: em.tally.duplicates,
        bytes: Bytes {
            log_json: stats.json_bytes,
            log_gzip: stats.gz_bytes,
        },
        time_range: em.tally.time_range(),
        by_identity_type,
        by_error_code,
        by_event_category,
        principals: em.tally.principals(),
        vendors: vendors(&em.tally),
        iam_exports: extras.iam_exports,
        traps: traps(&em),
    };
    write_manifest(opts.out_dir.as_path(), &manifest)?;
    Ok(manifest)
}

/// The risks a scenario plants (see [`VendorEntry::planted_findings`]).
fn planted_findings(v: &scenario::VendorDef, sessions: u64) -> Vec<String> {
    let mut out = Vec::new();
    let trusts_outside = matches!(v.kind, "cross_account_role" | "role_chain");
    let contractor = v.name == scenario::vendor::CONTRACTOR;
    if trusts_outside && v.external_id.is_none() && !contractor {
        out.push("trust-without-external-id");
    }
    if v.kind == "failed_assume_role" {
        out.push("refused-assume-role");
    }
    if contractor {
        out.push("contractor-mfa");
    }
    if trusts_outside && sessions == 0 {
        out.push("unused-access");
    }
    out.into_iter().map(str::to_owned).collect()
}

/// The vendor entries from the static cast and the tally.
fn vendors(tally: &Tally) -> Vec<VendorEntry> {
    scenario::VENDORS
        .iter()
        .map(|v| {
            let (sessions, events, principals) = tally.vendor(v.name);
            VendorEntry {
                name: v.name.to_owned(),
                kind: v.kind.to_owned(),
                outside_accounts: v.outside_accounts.iter().map(|a| (*a).to_owned()).collect(),
                roles: v.roles.iter().map(|r| r.arn()).collect(),
                users: v.users.iter().map(|u| u.arn()).collect(),
                external_id: v.external_id.map(str::to_owned),
                expected_sessions: sessions,
                events_attributed: events,
                planted_findings: planted_findings(v, sessions),
                principals,
            }
        })
        .collect()
}

/// The trap section.
fn traps(em: &Emitter) -> Traps {
    let duplicate_samples = em
        .samples
        .iter()
        .enumerate()
        .map(|(i, id)| DuplicateSample {
            event_id: id.clone(),
            files: em
                .delivery
                .sample_files
                .get(&i)
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    Traps {
        multi_member_gzip: em.delivery.stats.multi_member.clone(),
        late_deliveries: em.tally.late,
        unordered_files: em.delivery.stats.unordered_files,
        duplicate_samples,
    }
}

/// Writes `manifest.json` (pretty, 2-space indentation, trailing newline).
fn write_manifest(out: &Path, manifest: &Manifest) -> Result<(), GenerateError> {
    let mut json = serde_json::to_vec_pretty(manifest)?;
    json.push(b'\n');
    layout::write_raw(&out.join("manifest.json"), &json)
}
