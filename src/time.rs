//! UTC timestamps as seconds since the Unix epoch, and the few text forms
//! CloudTrail and our users write them in.
//!
//! CloudTrail's `eventTime` is ISO 8601 extended form (`2023-07-10T11:42:18Z`),
//! but re-exported logs (SIEMs, test fixtures) also carry
//! `2021-10-13 18:35:08`, fractional seconds (`...18.000Z`) and the basic form
//! (`20131102T010628Z`, seen in `sessionContext.attributes.creationDate`).
//! Parsing is on the hot path (once per record), so it is done by hand on
//! bytes, without allocation. Everything is UTC: CloudTrail writes no offsets.

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// Days since the epoch for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), valid for all years we can meet in logs.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = if month <= 2 {
        yoe + era * 400 + 1
    } else {
        yoe + era * 400
    };
    (year, month, day)
}

/// Builds a timestamp from calendar fields, rejecting impossible values.
pub fn from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
) -> Option<Timestamp> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec))
}

/// Formats as RFC 3339 / ISO 8601 extended UTC with seconds: `2023-07-10T11:42:18Z`.
pub fn format_rfc3339(ts: Timestamp) -> String {
    let (y, mo, d) = civil_from_days(ts.div_euclid(86_400));
    let secs = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Reads `n` ASCII digits at `pos`.
fn digits(b: &[u8], pos: usize, n: usize) -> Option<u32> {
    let slice = b.get(pos..pos + n)?;
    slice.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses the timestamp forms found in CloudTrail records.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS` with `T` or a space, optional fractional
/// seconds and optional `Z`; and the basic form `YYYYMMDDTHHMMSSZ`. Returns
/// `None` for anything else (for example the `"redacted"` some fixtures hold),
/// so the caller can count the record as having no usable time.
pub fn parse_event_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() >= 16 && b[8] == b'T' && b[4].is_ascii_digit() {
        // Basic form: 20131102T010628Z
        let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 4, 2)?, digits(b, 6, 2)?);
        let (h, mi, se) = (digits(b, 9, 2)?, digits(b, 11, 2)?, digits(b, 13, 2)?);
        return from_civil(i64::from(y), mo, d, h, mi, se);
    }
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (h, mi, se) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    let rest = &b[19..];
    let rest = match rest.first() {
        Some(b'.') => {
            let frac = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            &rest[1 + frac..]
        }
        _ => rest,
    };
    if !(rest.is_empty() || rest == b"Z" || rest == b"+00:00") {
        return None;
    }
    from_civil(i64::from(y), mo, d, h, mi, se)
}

/// Parses a user-supplied time bound: an RFC 3339 time, a date (`2024-01-31`,
/// meaning its midnight UTC), or a duration back from `now` (`90d`, `12h`,
/// `30m`, `2w`).
pub fn parse_user_time(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Some(ago) = parse_duration(s) {
        return now
            .checked_sub(ago)
            .ok_or_else(|| format!("`{s}` is too far back"));
    }
    if s.len() == 10 {
        let b = s.as_bytes();
        if b[4] == b'-' && b[7] == b'-' {
            let parsed = digits(b, 0, 4).zip(digits(b, 5, 2)).zip(digits(b, 8, 2));
            if let Some(((y, m), d)) = parsed {
                return from_civil(i64::from(y), m, d, 0, 0, 0)
                    .ok_or_else(|| format!("invalid date `{s}`"));
            }
        }
    }
    parse_event_time(s).ok_or_else(|| {
        format!("cannot read `{s}` as a time: use 2024-01-31, 2024-01-31T12:00:00Z or a duration such as 90d")
    })
}

/// Parses a duration such as `90d`, `12h`, `30m`, `45s` or `2w` into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    // Ten thousand years is more than any log holds; larger is a typo.
    (0..=10_000 * 366 * 86_400)
        .contains(&n.checked_mul(scale)?)
        .then_some(n * scale)
}

/// The current time, for relative `--since` values and cache ages.
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_across_leap_years_and_epoch() {
        for days in [-1_000_000, -1, 0, 1, 11_016, 19_000, 20_513, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(
            days_from_civil(2024, 2, 29) + 1,
            days_from_civil(2024, 3, 1)
        );
    }

    #[test]
    fn parses_every_cloudtrail_time_form() {
        let want = 1_688_989_338; // 2023-07-10T11:42:18Z
        assert_eq!(parse_event_time("2023-07-10T11:42:18Z"), Some(want));
        assert_eq!(parse_event_time("2023-07-10 11:42:18"), Some(want));
        assert_eq!(parse_event_time("2023-07-10 11:42:18.000"), Some(want));
        assert_eq!(parse_event_time("2023-07-10T11:42:18.123Z"), Some(want));
        assert_eq!(parse_event_time("20230710T114218Z"), Some(want));
        assert_eq!(format_rfc3339(want), "2023-07-10T11:42:18Z");
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in [
            "redacted",
            "...",
            "",
            "2023-13-10T11:42:18Z",
            "2023-07-10T11:42:18+02:00",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_times_accept_dates_instants_and_durations() {
        let now = 1_700_000_000;
        assert_eq!(parse_user_time("2d", now), Ok(now - 172_800));
        assert_eq!(parse_user_time("2023-07-10", now), Ok(1_688_947_200));
        assert_eq!(
            parse_user_time("2023-07-10T11:42:18Z", now),
            Ok(1_688_989_338)
        );
        assert!(parse_user_time("yesterday", now).is_err());
    }
}
