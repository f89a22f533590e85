//! Timestamp parsing: hand-written fast paths for the common forms, chrono for the rest,
//! chrono-tz for times written without an offset.

use crate::mapping::TimeFormat;
use crate::Timestamp;
use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// A wall-clock time that still needs a zone: milliseconds since the epoch as if the
/// local time were UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Utc(Timestamp),
    Local(i64),
}

fn civil(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y as i64, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y as i64, mo, d);
    Some(days * MS_PER_DAY + (h as i64 * 3600 + mi as i64 * 60 + s.min(59) as i64) * 1000 + ms as i64)
}

/// `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM[:SS[.fff…]]`, then optionally
/// `Z`, `±HH:MM`, `±HHMM` or `±HH`.
pub fn parse_rfc3339(s: &[u8]) -> Option<Parsed> {
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let y = digits(&s[0..4])?;
    let mo = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    let rest = &s[10..];
    if rest.is_empty() {
        return civil(y, mo, d, 0, 0, 0, 0).map(Parsed::Local);
    }
    if !(rest[0] == b'T' || rest[0] == b't' || rest[0] == b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let h = digits(&rest[1..3])?;
    let mi = digits(&rest[4..6])?;
    let mut i = 6;
    let mut sec = 0;
    let mut ms = 0;
    if rest.len() >= i + 3 && rest[i] == b':' {
        sec = digits(&rest[i + 1..i + 3])?;
        i += 3;
        if rest.len() > i && (rest[i] == b'.' || rest[i] == b',') {
            i += 1;
            let start = i;
            while i < rest.len() && rest[i].is_ascii_digit() {
                if i - start < 3 {
                    ms = ms * 10 + (rest[i] - b'0') as u32;
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return None;
            }
            for _ in n..3 {
                ms *= 10;
            }
        }
    }
    let local = civil(y, mo, d, h, mi, sec, ms)?;
    let zone = &rest[i..];
    match zone {
        [] => Some(Parsed::Local(local)),
        [b'Z' | b'z'] => Some(Parsed::Utc(local)),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b] => (digits(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh as i64 * 60 + om as i64) * 60_000;
            Some(Parsed::Utc(if *sign == b'+' { local - off } else { local + off }))
        }
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly, the form most exports (and the generator) write:
/// fixed positions, no search for the parts that may follow; `None` for any other
/// form, which the general parser [`parse_rfc3339`] then reads.
#[inline]
pub fn parse_fixed_utc(b: &[u8]) -> Option<Timestamp> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        let (a, c) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (a < 10 && c < 10).then_some(u32::from(a) * 10 + u32::from(c))
    };
    civil(two(0)? * 100 + two(2)?, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, 0)
}

/// The instant (milliseconds UTC) a local wall-clock time denotes in `tz`: the one
/// rule of the whole tool, for the times of an event log written without an offset,
/// the engine's schedule ticks, waits and date entries, and the calendar's entries.
/// It is RFC 5545's (3.3.5) and Temporal's `compatible` disambiguation, which
/// calendar applications follow: an ambiguous time (the hour repeated when clocks go
/// back) is its earlier instant; a time that does not exist (clocks go forward) is
/// read with the offset in force before the change, i.e. moved forward by the gap:
/// 02:30 on the night New York springs forward is 03:30 EDT, and 02:00 is 03:00.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> Timestamp {
    let offset = match tz.offset_from_local_datetime(&local).earliest() {
        Some(o) => o.fix(),
        // the offset a day before, as Temporal takes it: no zone changes twice a day
        None => tz.offset_from_utc_datetime(&(local.checked_sub_days(chrono::Days::new(1)).unwrap_or(local))).fix(),
    };
    let utc = local.checked_sub_signed(chrono::Duration::seconds(i64::from(offset.local_minus_utc())));
    // at the edge of chrono's range, the local time read as UTC
    utc.unwrap_or(local).and_utc().timestamp_millis()
}

/// [`local_instant`] of a local time given as milliseconds since the epoch as if it
/// were UTC.
pub fn local_to_utc(local_ms: i64, tz: Tz) -> Timestamp {
    if tz == Tz::UTC {
        return local_ms;
    }
    match chrono::DateTime::from_timestamp_millis(local_ms) {
        Some(d) => local_instant(tz, d.naive_utc()),
        None => local_ms,
    }
}

/// Parse a timestamp cell written as text.
pub fn parse_text(s: &str, format: &TimeFormat, tz: Tz) -> Option<Timestamp> {
    if let TimeFormat::Rfc3339 = format {
        if let Some(t) = parse_fixed_utc(s.as_bytes()) {
            return Some(t);
        }
    }
    let s = s.trim();
    let parsed = match format {
        TimeFormat::Rfc3339 => parse_rfc3339(s.as_bytes())?,
        TimeFormat::UnixSeconds => return parse_unix(s, 1000.0),
        TimeFormat::UnixMillis => return parse_unix(s, 1.0),
        TimeFormat::Pattern(p) => match p.as_str() {
            "%Y%m%d" => {
                let b = s.as_bytes();
                if b.len() != 8 {
                    return None;
                }
                Parsed::Local(civil(digits(&b[0..4])?, digits(&b[4..6])?, digits(&b[6..8])?, 0, 0, 0, 0)?)
            }
            "%Y-%m-%d %H:%M:%S" | "%Y-%m-%dT%H:%M:%S" | "%Y-%m-%d" => match parse_rfc3339(s.as_bytes())? {
                p @ Parsed::Local(_) => p,
                Parsed::Utc(_) => return None,
            },
            p if p.contains("%z") || p.contains("%:z") || p.contains("%#z") => {
                return chrono::DateTime::parse_from_str(s, p).ok().map(|d| d.timestamp_millis())
            }
            p => {
                let ndt = NaiveDateTime::parse_from_str(s, p)
                    .ok()
                    .or_else(|| NaiveDate::parse_from_str(s, p).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
                Parsed::Local(ndt.and_utc().timestamp_millis())
            }
        },
    };
    Some(match parsed {
        Parsed::Utc(t) => t,
        Parsed::Local(l) => local_to_utc(l, tz),
    })
}

fn parse_unix(s: &str, scale: f64) -> Option<Timestamp> {
    if let Ok(i) = s.parse::<i64>() {
        return i.checked_mul(scale as i64);
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then(|| (f * scale).round() as i64)
}

/// A number given as seconds/milliseconds in a numeric cell (JSON, Parquet).
pub fn from_number(n: f64, format: &TimeFormat) -> Option<Timestamp> {
    if !n.is_finite() {
        return None;
    }
    match format {
        TimeFormat::UnixSeconds => Some((n * 1000.0).round() as i64),
        TimeFormat::UnixMillis => Some(n.round() as i64),
        _ => None,
    }
}

/// RFC 3339 text of a timestamp (UTC, milliseconds only when not zero).
pub fn format(t: Timestamp) -> String {
    match chrono::DateTime::from_timestamp_millis(t) {
        Some(d) if t % 1000 == 0 => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A skipped local time moves forward by the gap (an hour in New York, half an
    /// hour on Lord Howe Island), a repeated one is its first instant.
    #[test]
    fn local_times_across_changes_of_the_clocks() {
        let at = |tz: Tz, s: &str| {
            let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
            format(local_instant(tz, local))
        };
        let ny = chrono_tz::America::New_York;
        assert_eq!(at(ny, "2026-03-08 02:30"), "2026-03-08T07:30:00Z");
        assert_eq!(at(ny, "2026-03-08 02:00"), "2026-03-08T07:00:00Z");
        assert_eq!(at(ny, "2026-03-08 03:00"), "2026-03-08T07:00:00Z");
        assert_eq!(at(ny, "2026-11-01 01:30"), "2026-11-01T05:30:00Z");
        // Lord Howe springs forward half an hour at 02:00 (UTC+10:30 to +11)
        assert_eq!(at(chrono_tz::Australia::Lord_Howe, "2026-10-04 02:15"), "2026-10-03T15:45:00Z");
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            days_from_civil(2026, 1, 31),
            d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
        );
    }

    #[test]
    fn rfc3339_forms() {
        let want = chrono::DateTime::parse_from_rfc3339("2026-01-31T09:00:00Z").unwrap().timestamp_millis();
        let tz = Tz::UTC;
        for s in [
            "2026-01-31T09:00:00Z",
            "2026-01-31 09:00:00",
            "2026-01-31T10:00:00+01:00",
            "2026-01-31T04:00-0500",
            "2026-01-31t09:00Z",
        ] {
            assert_eq!(parse_text(s, &TimeFormat::Rfc3339, tz), Some(want), "{s}");
        }
        assert_eq!(parse_text("2026-01-31T09:00:00.25Z", &TimeFormat::Rfc3339, tz), Some(want + 250));
        assert_eq!(parse_text("2026-01-31T09:00:00.123456Z", &TimeFormat::Rfc3339, tz), Some(want + 123));
        for bad in
            ["31/01/2026", "2026-02-30", "2026-01-31T25:00:00Z", "2026-01-31T09:00:00+0", "", "2026-01-31T09:00:00.Z"]
        {
            assert_eq!(parse_text(bad, &TimeFormat::Rfc3339, tz), None, "{bad}");
        }
    }

    /// The fixed-format fast path reads exactly what the general parser reads, and
    /// refuses only what the general parser handles (or refuses) itself.
    #[test]
    fn the_fixed_form_agrees_with_the_general_parser() {
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200_000 {
            let mut b = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                next(10_000),
                next(14),
                next(33),
                next(26),
                next(62),
                next(62)
            )
            .into_bytes();
            // now and then a byte out of place: a letter, a sign, another separator
            let mutated = next(4) == 0;
            if mutated {
                let i = next(20) as usize;
                b[i] = b"0a-:T Z+/9"[next(10) as usize];
            }
            let general = parse_rfc3339(&b).map(|p| match p {
                Parsed::Utc(t) => t,
                Parsed::Local(l) => local_to_utc(l, Tz::UTC),
            });
            match parse_fixed_utc(&b) {
                Some(t) => assert_eq!(Some(t), general, "{}", String::from_utf8_lossy(&b)),
                // the fast path takes every valid time of its form
                None => assert!(mutated || general.is_none(), "{}", String::from_utf8_lossy(&b)),
            }
        }
        assert_eq!(parse_fixed_utc(b"1970-01-02T00:00:01Z"), Some(86_401_000));
        assert_eq!(parse_fixed_utc(b"2025-02-29T00:00:00Z"), None);
    }

    #[test]
    fn naive_times_follow_the_zone_including_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let f = TimeFormat::Rfc3339;
        // winter: UTC-5, summer: UTC-4
        assert_eq!(parse_text("2026-01-15 09:00:00", &f, ny), parse_text("2026-01-15T14:00:00Z", &f, ny));
        assert_eq!(parse_text("2026-07-15 09:00:00", &f, ny), parse_text("2026-07-15T13:00:00Z", &f, ny));
        // 2026-03-08 02:30 does not exist in New York: read with the EST offset
        assert_eq!(parse_text("2026-03-08 02:30:00", &f, ny), parse_text("2026-03-08T07:30:00Z", &f, ny));
        // 2026-11-01 01:30 happens twice: the earlier (EDT) one
        assert_eq!(parse_text("2026-11-01 01:30:00", &f, ny), parse_text("2026-11-01T05:30:00Z", &f, ny));
    }

    #[test]
    fn patterns_and_unix() {
        let tz = Tz::UTC;
        let day = parse_text("1997-01-01T00:00:00Z", &TimeFormat::Rfc3339, tz);
        assert_eq!(parse_text("19970101", &TimeFormat::Pattern("%Y%m%d".into()), tz), day);
        assert_eq!(parse_text("01/01/1997", &TimeFormat::Pattern("%d/%m/%Y".into()), tz), day);
        assert_eq!(parse_text("852076800", &TimeFormat::UnixSeconds, tz), day);
        assert_eq!(parse_text("852076800000", &TimeFormat::UnixMillis, tz), day);
        assert_eq!(parse_text("19971301", &TimeFormat::Pattern("%Y%m%d".into()), tz), None);
        assert_eq!(format(day.unwrap()), "1997-01-01T00:00:00Z");
    }
}
