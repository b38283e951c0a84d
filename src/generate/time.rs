//! Civil-date arithmetic and the timestamp spellings CloudTrail uses.
//!
//! Times are whole seconds since the Unix epoch, UTC. Day/date conversions
//! are [`crate::time`]'s; this module adds the spellings the generator writes.

use std::fmt::Write as _;

/// Seconds in one day.
pub(crate) const DAY: i64 = 86_400;
/// Seconds in one hour.
pub(crate) const HOUR: i64 = 3_600;
/// Seconds in one minute.
pub(crate) const MINUTE: i64 = 60;

/// English month abbreviations used by STS `expiration` strings.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of the civil date `y-m-d` ([`crate::time`] does
/// the arithmetic).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    crate::time::days_from_civil(i64::from(y), m, d)
}

/// Civil date `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let (y, m, d) = crate::time::civil_from_days(z);
    (y as i32, m, d)
}

/// True when `y-m-d` names a real calendar date.
pub(crate) fn is_valid_date(y: i32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)
}

/// Broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// Year.
    pub(crate) y: i32,
    /// Month 1-12.
    pub(crate) mo: u32,
    /// Day of month 1-31.
    pub(crate) d: u32,
    /// Hour 0-23.
    pub(crate) h: u32,
    /// Minute 0-59.
    pub(crate) mi: u32,
    /// Second 0-59.
    pub(crate) s: u32,
}

impl Civil {
    /// Splits epoch seconds into calendar fields.
    pub(crate) fn of(t: i64) -> Self {
        let (y, mo, d) = civil_from_days(t.div_euclid(DAY));
        let sod = t.rem_euclid(DAY) as u32;
        Self {
            y,
            mo,
            d,
            h: sod / 3600,
            mi: sod / 60 % 60,
            s: sod % 60,
        }
    }
}

/// `2023-11-02T01:06:28Z`: CloudTrail `eventTime` and RFC 3339 manifest times.
pub(crate) fn rfc3339(t: i64) -> String {
    crate::time::format_rfc3339(t)
}

/// Appends [`rfc3339`] to `out` without allocating a new string.
pub(crate) fn push_rfc3339(out: &mut String, t: i64) {
    let c = Civil::of(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    );
}

/// `20231102T010628Z`: ISO 8601 basic form, seen in `creationDate` and digest names.
pub(crate) fn iso_basic(t: i64) -> String {
    let c = Civil::of(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    )
}

/// `20231102T0106Z`: the minute stamp in log file names ("Finding your CloudTrail log files").
pub(crate) fn file_stamp(t: i64) -> String {
    let c = Civil::of(t);
    format!("{:04}{:02}{:02}T{:02}{:02}Z", c.y, c.mo, c.d, c.h, c.mi)
}

/// `2023/11/02`: the date folders of the S3 layout.
pub(crate) fn date_path(t: i64) -> String {
    let c = Civil::of(t);
    format!("{:04}/{:02}/{:02}", c.y, c.mo, c.d)
}

/// `2023-11-02T01:06:28+00:00`: how the AWS CLI prints timestamps.
pub(crate) fn cli_time(t: i64) -> String {
    let c = Civil::of(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    )
}

/// STS `credentials.expiration` text, e.g. `Jul 18, 2014, 4:07:39 PM`. Older
/// records omit the comma after the year (`Jul 18, 2014 4:07:39 PM`), so a
/// parser has to accept both.
pub(crate) fn sts_expiration(t: i64, comma_after_year: bool) -> String {
    let c = Civil::of(t);
    let (h12, ampm) = match c.h {
        0 => (12, "AM"),
        1..=11 => (c.h, "AM"),
        12 => (12, "PM"),
        _ => (c.h - 12, "PM"),
    };
    let sep = if comma_after_year { "," } else { "" };
    let month = MONTHS[(c.mo - 1) as usize];
    format!(
        "{month} {}, {}{sep} {h12}:{:02}:{:02} {ampm}",
        c.d, c.y, c.mi, c.s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1000, 0, 1, 19_000, 19_417, 60_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert!(!is_valid_date(2023, 2, 29));
        assert!(is_valid_date(2024, 2, 29));
    }

    #[test]
    fn formats() {
        // 2014-07-18T16:07:39Z, the STS example in the IAM User Guide.
        let t = days_from_civil(2014, 7, 18) * DAY + 16 * HOUR + 7 * MINUTE + 39;
        assert_eq!(rfc3339(t), "2014-07-18T16:07:39Z");
        assert_eq!(iso_basic(t), "20140718T160739Z");
        assert_eq!(file_stamp(t), "20140718T1607Z");
        assert_eq!(date_path(t), "2014/07/18");
        assert_eq!(cli_time(t), "2014-07-18T16:07:39+00:00");
        assert_eq!(sts_expiration(t, true), "Jul 18, 2014, 4:07:39 PM");
        assert_eq!(sts_expiration(t, false), "Jul 18, 2014 4:07:39 PM");
        assert_eq!(
            sts_expiration(t - 16 * HOUR, true),
            "Jul 18, 2014, 12:07:39 AM"
        );
        let mut s = String::new();
        push_rfc3339(&mut s, t);
        assert_eq!(s, rfc3339(t));
    }
}
