//! The CloudTrail S3 key layout, and pruning decisions made from it.
//!
//! AWS delivers log files as (CloudTrail User Guide, "Finding your CloudTrail
//! log files"; "Creating a trail for an organization"):
//!
//! ```text
//! [prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/
//!     <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz
//! ```
//!
//! with sibling `CloudTrail-Digest/` and `CloudTrail-Insight/` trees. The date
//! folders and the file-name timestamp are the *delivery* time, not the event
//! time, so time pruning keeps a margin (see [`Filters::delivery_lag`]).
//!
//! The same logic serves local folders and S3 listings: [`judge_dir`] decides
//! from the path components seen so far whether a folder can hold anything
//! the filters want, and [`parse_key`] reads a file's place in the layout.

use crate::time::{Timestamp, from_civil};

/// What kind of CloudTrail object a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// A log file of API activity.
    Log,
    /// A digest file for log file integrity validation (`CloudTrail-Digest`).
    Digest,
    /// A CloudTrail Insights file (`CloudTrail-Insight`).
    Insight,
}

/// What the layout says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailKey {
    /// Log, digest or insight file.
    pub kind: ObjectKind,
    /// The organisation id for organisation trails (`o-...`).
    pub org: Option<String>,
    /// The account the trail logged.
    pub account: Option<String>,
    /// The Region folder.
    pub region: Option<String>,
    /// Delivery time from the file name (minute precision), or the start of
    /// the date folder's day when the name carries none.
    pub delivered: Option<Timestamp>,
    /// The latest the delivery can be: the end of the minute named, or of
    /// the date folder's day when the name carries no time.
    pub delivered_by: Option<Timestamp>,
}

/// Filters the user asked for, applied to paths before files are opened and
/// to records after they are read.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep only these accounts (empty: all).
    pub accounts: Vec<String>,
    /// Keep only these Regions (empty: all).
    pub regions: Vec<String>,
    /// Keep events at or after this time.
    pub since: Option<Timestamp>,
    /// Keep events at or before this time.
    pub until: Option<Timestamp>,
    /// How long after an event its file may be delivered. A file delivered
    /// after `until + delivery_lag` cannot hold a wanted event. AWS delivers
    /// within about 5 minutes on average but late deliveries happen (the
    /// `addendum.reason` `DELIVERY_DELAY`), so the default is generous.
    pub delivery_lag: i64,
}

/// Default for [`Filters::delivery_lag`]: 6 hours.
pub const DEFAULT_DELIVERY_LAG: i64 = 6 * 3600;

impl Filters {
    /// True if the account passes the account filter.
    pub fn wants_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account)
    }

    /// True if the Region passes the Region filter.
    pub fn wants_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// True if an event at `t` is inside the time window.
    pub fn wants_time(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    /// True if the filters restrict time at all.
    pub fn has_time_window(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// True if a file delivered during `[from, to]` may hold wanted events.
    /// Events are delivered after they happen, never before.
    fn wants_delivery(&self, from: Timestamp, to: Timestamp) -> bool {
        let after_since = self.since.is_none_or(|s| to >= s);
        let before_until = self
            .until
            .is_none_or(|u| from <= u.saturating_add(self.delivery_lag));
        after_since && before_until
    }
}

/// Why a path was pruned, for the counts the user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PruneReason {
    /// The account is not among `--account`.
    Account,
    /// The Region is not among `--region`.
    Region,
    /// The delivery date is outside `--since`/`--until` (with margin).
    Time,
}

/// Finds where the layout starts in a path: the index of `AWSLogs`.
fn awslogs_index(components: &[&str]) -> Option<usize> {
    components.iter().rposition(|c| *c == "AWSLogs")
}

/// The layout fields of the components after `AWSLogs`, as far as present.
struct LayoutParts<'a> {
    org: Option<&'a str>,
    account: Option<&'a str>,
    kind_dir: Option<&'a str>,
    region: Option<&'a str>,
    date: [Option<u32>; 3],
}

fn layout_parts<'a>(after: &[&'a str]) -> LayoutParts<'a> {
    let mut rest = after;
    let org = match rest.first() {
        Some(c) if c.starts_with("o-") => {
            rest = &rest[1..];
            Some(*c)
        }
        _ => None,
    };
    let date_at = |i: usize| rest.get(i).and_then(|c| c.parse::<u32>().ok());
    LayoutParts {
        org,
        account: rest.first().copied(),
        kind_dir: rest.get(1).copied(),
        region: rest.get(2).copied(),
        date: [date_at(3), date_at(4), date_at(5)],
    }
}

/// Decides whether a directory can hold files the filters want. `components`
/// are the path components from the root of the walk to the directory.
/// Directories outside a recognisable layout are always entered.
pub fn judge_dir(components: &[&str], filters: &Filters) -> Result<(), PruneReason> {
    let Some(at) = awslogs_index(components) else {
        return Ok(());
    };
    let parts = layout_parts(&components[at + 1..]);
    if let Some(account) = parts.account
        && is_account_id(account)
        && !filters.wants_account(account)
    {
        return Err(PruneReason::Account);
    }
    if parts.kind_dir == Some("CloudTrail")
        && let Some(region) = parts.region
        && !filters.wants_region(region)
    {
        return Err(PruneReason::Region);
    }
    if let Some((from, to)) = date_range(parts.date)
        && !filters.wants_delivery(from, to)
    {
        return Err(PruneReason::Time);
    }
    Ok(())
}

/// The start of the delivery day a folder stands for, when it is a
/// `CloudTrail/<region>/YYYY/MM/DD` folder of the layout: the unit a scan
/// lists and processes at a time, from S3 or a local folder.
pub fn day_folder(components: &[&str]) -> Option<Timestamp> {
    let at = awslogs_index(components)?;
    let after = &components[at + 1..];
    let parts = layout_parts(after);
    let depth = if parts.org.is_some() { 7 } else { 6 };
    if after.len() != depth || parts.kind_dir != Some("CloudTrail") || parts.date[2].is_none() {
        return None;
    }
    date_range(parts.date).map(|(from, _)| from)
}

/// The delivery interval covered by a year, month or day folder.
fn date_range(date: [Option<u32>; 3]) -> Option<(Timestamp, Timestamp)> {
    let year = i64::from(date[0]?);
    let start = |m, d| from_civil(year, m, d, 0, 0, 0);
    match (date[1], date[2]) {
        (None, _) => Some((start(1, 1)?, from_civil(year + 1, 1, 1, 0, 0, 0)? - 1)),
        (Some(m), None) => {
            let next = if m == 12 {
                from_civil(year + 1, 1, 1, 0, 0, 0)
            } else {
                start(m + 1, 1)
            };
            Some((start(m, 1)?, next? - 1))
        }
        (Some(m), Some(d)) => {
            let from = start(m, d)?;
            Some((from, from + 86_399))
        }
    }
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads what the layout says about a file path (its components, file name
/// last). Recognises the full `AWSLogs/...` layout and, for files copied out
/// of it, the delivery file name alone.
pub fn parse_key(components: &[&str]) -> Option<TrailKey> {
    let name = *components.last()?;
    let from_name = parse_file_name(name);
    // The layout fields are folders: never read the file name as one.
    let dirs = &components[..components.len() - 1];
    let from_path = awslogs_index(dirs).map(|at| layout_parts(&dirs[at + 1..]));
    if from_name.is_none() && from_path.is_none() {
        return None;
    }
    let kind_from_dir = from_path.as_ref().and_then(|p| match p.kind_dir? {
        "CloudTrail" => Some(ObjectKind::Log),
        "CloudTrail-Digest" => Some(ObjectKind::Digest),
        "CloudTrail-Insight" => Some(ObjectKind::Insight),
        _ => None,
    });
    let kind = from_name.as_ref().map(|n| n.kind).or(kind_from_dir)?;
    let account = from_name
        .as_ref()
        .map(|n| n.account.to_string())
        .or_else(|| {
            from_path
                .as_ref()
                .and_then(|p| p.account)
                .filter(|a| is_account_id(a))
                .map(str::to_string)
        });
    let region = from_name
        .as_ref()
        .map(|n| n.region.to_string())
        .or_else(|| {
            from_path
                .as_ref()
                .and_then(|p| p.region)
                .map(str::to_string)
        });
    let day = from_path
        .as_ref()
        .filter(|p| p.date[2].is_some())
        .and_then(|p| date_range(p.date));
    let (delivered, delivered_by) = match from_name.as_ref().and_then(|n| n.delivered) {
        Some(at) => (Some(at), Some(at + 59)),
        None => (day.map(|d| d.0), day.map(|d| d.1)),
    };
    Some(TrailKey {
        kind,
        org: from_path.as_ref().and_then(|p| p.org).map(str::to_string),
        account,
        region,
        delivered,
        delivered_by,
    })
}

struct FileName<'a> {
    kind: ObjectKind,
    account: &'a str,
    region: &'a str,
    delivered: Option<Timestamp>,
}

/// Parses `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz`
/// and the digest and insight variants
/// (`<account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHmmssZ>.json.gz`).
fn parse_file_name(name: &str) -> Option<FileName<'_>> {
    let mut fields = name.split('_');
    let account = fields.next().filter(|a| is_account_id(a))?;
    let kind = match fields.next()? {
        "CloudTrail" => ObjectKind::Log,
        "CloudTrail-Digest" => ObjectKind::Digest,
        "CloudTrail-Insight" => ObjectKind::Insight,
        _ => return None,
    };
    let region = fields.next()?;
    // The timestamp is the last field that looks like one: log files put it
    // before the random suffix, digests after the trail name.
    let delivered = name
        .split(['_', '.'])
        .filter_map(parse_name_timestamp)
        .next_back();
    Some(FileName {
        kind,
        account,
        region,
        delivered,
    })
}

/// Parses `20230710T1145Z` or `20230710T114500Z`.
fn parse_name_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if !(b.len() == 14 || b.len() == 16) || b[8] != b'T' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let n = |from: usize, len: usize| -> Option<u32> { s.get(from..from + len)?.parse().ok() };
    let sec = if b.len() == 16 { n(13, 2)? } else { 0 };
    from_civil(
        i64::from(n(0, 4)?),
        n(4, 2)?,
        n(6, 2)?,
        n(9, 2)?,
        n(11, 2)?,
        sec,
    )
}

/// True if a file delivered at `key.delivered` may hold events the filters
/// want; also applies the account and Region filters to what the key says.
pub fn judge_file(key: &TrailKey, filters: &Filters) -> Result<(), PruneReason> {
    if let Some(account) = &key.account
        && !filters.wants_account(account)
    {
        return Err(PruneReason::Account);
    }
    if let Some(region) = &key.region
        && !filters.wants_region(region)
    {
        return Err(PruneReason::Region);
    }
    if let (Some(from), Some(to)) = (key.delivered, key.delivered_by)
        && !filters.wants_delivery(from, to)
    {
        return Err(PruneReason::Time);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_event_time;

    fn split(p: &str) -> Vec<&str> {
        p.split('/').collect()
    }

    #[test]
    fn day_folders_are_recognised_at_their_depth_only() {
        let day = parse_event_time("2024-03-05T00:00:00Z");
        assert_eq!(
            day_folder(&split(
                "AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2024/03/05"
            )),
            day
        );
        assert_eq!(
            day_folder(&split(
                "x/AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/05"
            )),
            day
        );
        assert_eq!(
            day_folder(&split("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03")),
            None
        );
        assert_eq!(
            day_folder(&split(
                "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/03/05"
            )),
            None
        );
    }

    #[test]
    fn reads_an_organisation_trail_key() {
        let key = "logs/AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/eu-west-1/2024/03/05/111111111111_CloudTrail_eu-west-1_20240305T1455Z_AbCdEfGhIjKlMnOp.json.gz";
        let k = parse_key(&split(key)).expect("layout");
        assert_eq!(k.kind, ObjectKind::Log);
        assert_eq!(k.org.as_deref(), Some("o-a1b2c3d4e5"));
        assert_eq!(k.account.as_deref(), Some("111111111111"));
        assert_eq!(k.region.as_deref(), Some("eu-west-1"));
        assert_eq!(k.delivered, parse_event_time("2024-03-05T14:55:00Z"));
    }

    #[test]
    fn reads_digest_and_insight_names_and_bare_file_names() {
        let digest = "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/03/05/111111111111_CloudTrail-Digest_us-east-1_main_us-east-1_20240305T150000Z.json.gz";
        let k = parse_key(&split(digest)).expect("digest");
        assert_eq!(k.kind, ObjectKind::Digest);
        assert_eq!(k.delivered, parse_event_time("2024-03-05T15:00:00Z"));
        let insight = "AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/03/05/111111111111_CloudTrail-Insight_us-east-1_20240305T1500Z_abcdefabcdefabcd.json.gz";
        assert_eq!(
            parse_key(&split(insight)).map(|k| k.kind),
            Some(ObjectKind::Insight)
        );
        let bare = "218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz";
        let k = parse_key(&[bare]).expect("bare");
        assert_eq!(k.account.as_deref(), Some("218007301253"));
        assert_eq!(k.delivered, parse_event_time("2023-07-10T11:45:00Z"));
        assert_eq!(parse_key(&["aws.execution.ssm-send-command.json.gz"]), None);
    }

    #[test]
    fn a_file_dated_only_by_its_folder_may_hold_the_whole_day() {
        let key = parse_key(&split(
            "AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/05/renamed.json.gz",
        ))
        .expect("layout");
        assert_eq!(key.region.as_deref(), Some("us-east-1"));
        let since_noon = Filters {
            since: parse_event_time("2024-03-05T12:00:00Z"),
            ..Filters::default()
        };
        assert_eq!(judge_file(&key, &since_noon), Ok(()));
        let next_day = Filters {
            since: parse_event_time("2024-03-06T00:00:00Z"),
            ..Filters::default()
        };
        assert_eq!(judge_file(&key, &next_day), Err(PruneReason::Time));
    }

    #[test]
    fn prunes_folders_by_account_region_and_day() {
        let filters = Filters {
            accounts: vec!["111111111111".into()],
            regions: vec!["us-east-1".into()],
            since: parse_event_time("2024-03-05T00:00:00Z"),
            until: parse_event_time("2024-03-06T12:00:00Z"),
            delivery_lag: DEFAULT_DELIVERY_LAG,
        };
        let judge = |p: &str| judge_dir(&split(p), &filters);
        assert_eq!(judge("AWSLogs/o-x/222222222222"), Err(PruneReason::Account));
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/eu-west-1"),
            Err(PruneReason::Region)
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/04"),
            Err(PruneReason::Time)
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/05"),
            Ok(())
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/06"),
            Ok(())
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/07"),
            Err(PruneReason::Time)
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2024/02"),
            Err(PruneReason::Time)
        );
        assert_eq!(
            judge("AWSLogs/111111111111/CloudTrail/us-east-1/2023"),
            Err(PruneReason::Time)
        );
        assert_eq!(judge("some/other/folder"), Ok(()));
    }

    #[test]
    fn keeps_files_delivered_shortly_after_the_window() {
        let filters = Filters {
            until: parse_event_time("2024-03-06T12:00:00Z"),
            delivery_lag: 3600,
            ..Filters::default()
        };
        let key = |t: &str| TrailKey {
            kind: ObjectKind::Log,
            org: None,
            account: None,
            region: None,
            delivered: parse_event_time(t),
            delivered_by: parse_event_time(t).map(|t| t + 59),
        };
        assert_eq!(judge_file(&key("2024-03-06T12:55:00Z"), &filters), Ok(()));
        assert_eq!(
            judge_file(&key("2024-03-06T13:05:00Z"), &filters),
            Err(PruneReason::Time)
        );
    }
}
