//! VTIMEZONE components (RFC 5545 §3.6.5) derived from the chrono-tz database.
//!
//! The zone's UTC offset is sampled every six hours over the years covered and each
//! change is pinned to the second by bisection. Transitions that repeat every year on
//! the same weekday of the same month (the 2nd Sunday, the last Sunday…) at the same
//! wall-clock time with the same offsets become one STANDARD or DAYLIGHT observance
//! with a yearly RRULE (with an UNTIL when the zone later changes its rule); others are
//! written one by one. When no transition precedes the first event, an observance at
//! the start of the covered years gives the offset then in force (zones without
//! daylight saving time have only that one).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// Seconds between samples of the zone's offset.
const STEP: i64 = 6 * 3600;

/// The zone's state at an instant: total UTC offset (seconds), daylight saving time or
/// not, abbreviation.
#[derive(Debug, Clone, PartialEq)]
struct State {
    offset: i32,
    dst: bool,
    name: String,
}

fn state(tz: Tz, t: i64) -> State {
    let utc = DateTime::from_timestamp(t, 0).expect("instant in range").naive_utc();
    let o = tz.offset_from_utc_datetime(&utc);
    State {
        offset: o.fix().local_minus_utc(),
        dst: o.dst_offset().num_seconds() != 0,
        name: o.abbreviation().map(str::to_string).unwrap_or_else(|| offset_text(o.fix().local_minus_utc())),
    }
}

#[derive(Debug, Clone)]
struct Transition {
    /// The instant (seconds since the epoch, UTC).
    at: i64,
    from: State,
    to: State,
}

impl Transition {
    /// Wall-clock time of the transition in the offset before it (RFC 5545: DTSTART
    /// of an observance is local time in TZOFFSETFROM).
    fn local(&self) -> NaiveDateTime {
        DateTime::from_timestamp(self.at + i64::from(self.from.offset), 0).expect("instant in range").naive_utc()
    }
}

/// Every change of state in `[from, to)` (seconds since the epoch).
fn transitions(tz: Tz, from: i64, to: i64) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut t = from;
    let mut s = state(tz, t);
    while t < to {
        let next = (t + STEP).min(to);
        let n = state(tz, next);
        if n != s {
            // the first second in (t, next] with the new state
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if state(tz, mid) == s {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let to_state = state(tz, hi);
            out.push(Transition { at: hi, from: s, to: to_state.clone() });
            s = to_state;
            // a second change within the same step is found from `hi`
            if s != n {
                t = hi;
                continue;
            }
        }
        t = next;
        s = n;
    }
    out
}

/// `+0100`, `-0430`, `+053328` (seconds only when there are some).
pub(crate) fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, (a % 3600) / 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) };
    next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// Transitions that follow one yearly rule.
struct Run {
    first: Transition,
    last: Transition,
    count: usize,
    /// The week of the month shared by every transition (1-4), if any.
    nth: Option<u32>,
    /// Whether every transition is on the month's last such weekday.
    last_week: bool,
}

impl Run {
    /// Month, weekday, wall-clock time and states: what must stay the same.
    fn key(t: &Transition) -> (u32, u32, u32, &State, &State) {
        let l = t.local();
        (l.month(), l.weekday().num_days_from_monday(), l.num_seconds_from_midnight(), &t.from, &t.to)
    }

    fn week(t: &Transition) -> (u32, bool) {
        let l = t.local();
        ((l.day() - 1) / 7 + 1, l.day() + 7 > days_in_month(l.year(), l.month()))
    }

    /// Take `t` if it is next year's instance of this rule.
    fn extend(&mut self, t: &Transition) -> bool {
        if Self::key(&self.last) != Self::key(t) || t.local().year() != self.last.local().year() + 1 {
            return false;
        }
        let (nth, last) = Self::week(t);
        let nth = self.nth.filter(|&n| n == nth && n <= 4);
        let last_week = self.last_week && last;
        if nth.is_none() && !last_week {
            return false;
        }
        self.nth = nth;
        self.last_week = last_week;
        self.last = t.clone();
        self.count += 1;
        true
    }

    fn rrule(&self, until: bool) -> Option<String> {
        if self.count < 2 {
            return None;
        }
        let l = self.first.local();
        let week = match self.nth {
            Some(n) => n.to_string(),
            None => "-1".to_string(),
        };
        let mut r = format!(
            "FREQ=YEARLY;BYMONTH={};BYDAY={week}{}",
            l.month(),
            BYDAY[l.weekday().num_days_from_monday() as usize]
        );
        if until {
            let u = DateTime::from_timestamp(self.last.at, 0).expect("instant in range").naive_utc();
            r.push_str(&format!(";UNTIL={}Z", stamp(u)));
        }
        Some(r)
    }
}

fn observance(out: &mut Vec<String>, start: NaiveDateTime, from: &State, to: &State, rrule: Option<String>) {
    let kind = if to.dst { "DAYLIGHT" } else { "STANDARD" };
    out.push(format!("BEGIN:{kind}"));
    out.push(format!("DTSTART:{}", stamp(start)));
    if let Some(r) = rrule {
        out.push(format!("RRULE:{r}"));
    }
    out.push(format!("TZOFFSETFROM:{}", offset_text(from.offset)));
    out.push(format!("TZOFFSETTO:{}", offset_text(to.offset)));
    out.push(format!("TZNAME:{}", crate::ical::text(&to.name)));
    out.push(format!("END:{kind}"));
}

/// The content lines (unfolded) of a VTIMEZONE for `tz` covering the years
/// `first_year..=last_year`; `first_event` is the earliest local time an event of the
/// calendar starts at in this zone.
pub(crate) fn vtimezone(tz: Tz, first_year: i32, last_year: i32, first_event: NaiveDateTime) -> Vec<String> {
    let start = NaiveDate::from_ymd_opt(first_year, 1, 1).expect("a date").and_hms_opt(0, 0, 0).expect("midnight");
    let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1).expect("a date").and_hms_opt(0, 0, 0).expect("midnight");
    // a day of margin on each side for the zone's offset, then keep what falls inside
    let all = transitions(tz, start.and_utc().timestamp() - 86_400, end.and_utc().timestamp() + 86_400);
    let all: Vec<Transition> = all.into_iter().filter(|t| t.local() >= start && t.local() < end).collect();
    let mut runs: Vec<Run> = Vec::new();
    for t in &all {
        if runs.iter_mut().rev().any(|r| r.extend(t)) {
            continue;
        }
        let (nth, last_week) = Run::week(t);
        runs.push(Run { first: t.clone(), last: t.clone(), count: 1, nth: Some(nth), last_week });
    }
    let mut out = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    // the offset in force before the first transition, when an event needs it
    if all.first().is_none_or(|t| t.local() > first_event) {
        let s = state(tz, start.and_utc().timestamp());
        observance(&mut out, start, &s, &s, None);
    }
    for r in &runs {
        let last_year_of_run = r.last.local().year();
        observance(&mut out, r.first.local(), &r.first.from, &r.first.to, r.rrule(last_year_of_run < last_year));
    }
    out.push("END:VTIMEZONE".to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_event() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(10, 0, 0).unwrap()
    }

    #[test]
    fn new_york_is_two_yearly_rules() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let lines = vtimezone(tz, 2025, 2036, first_event());
        assert_eq!(
            lines,
            [
                "BEGIN:VTIMEZONE",
                "TZID:America/New_York",
                "BEGIN:DAYLIGHT",
                "DTSTART:20250309T020000",
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
                "TZOFFSETFROM:-0500",
                "TZOFFSETTO:-0400",
                "TZNAME:EDT",
                "END:DAYLIGHT",
                "BEGIN:STANDARD",
                "DTSTART:20251102T020000",
                "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
                "TZOFFSETFROM:-0400",
                "TZOFFSETTO:-0500",
                "TZNAME:EST",
                "END:STANDARD",
                "END:VTIMEZONE",
            ]
        );
    }

    #[test]
    fn europe_uses_the_last_sunday() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let lines = vtimezone(tz, 2025, 2036, first_event());
        assert!(lines.contains(&"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU".to_string()), "{lines:#?}");
        assert!(lines.contains(&"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU".to_string()), "{lines:#?}");
        assert!(lines.contains(&"DTSTART:20250330T020000".to_string()), "{lines:#?}");
        assert!(lines.contains(&"DTSTART:20251026T030000".to_string()), "{lines:#?}");
    }

    #[test]
    fn southern_hemisphere_and_no_dst() {
        let tz: Tz = "Australia/Sydney".parse().unwrap();
        let lines = vtimezone(tz, 2025, 2036, first_event());
        // standard time from the first Sunday of April, daylight from the first of October
        assert!(lines.contains(&"RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU".to_string()), "{lines:#?}");
        assert!(lines.contains(&"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU".to_string()), "{lines:#?}");
        let tz: Tz = "Asia/Tokyo".parse().unwrap();
        let lines = vtimezone(tz, 2025, 2036, first_event());
        assert_eq!(
            lines,
            [
                "BEGIN:VTIMEZONE",
                "TZID:Asia/Tokyo",
                "BEGIN:STANDARD",
                "DTSTART:20250101T000000",
                "TZOFFSETFROM:+0900",
                "TZOFFSETTO:+0900",
                "TZNAME:JST",
                "END:STANDARD",
                "END:VTIMEZONE",
            ]
        );
    }

    #[test]
    fn a_rule_that_ends_gets_an_until() {
        // Mexico City stopped daylight saving time after October 2022
        let tz: Tz = "America/Mexico_City".parse().unwrap();
        let at = NaiveDate::from_ymd_opt(2021, 1, 4).unwrap().and_hms_opt(10, 0, 0).unwrap();
        let lines = vtimezone(tz, 2020, 2025, at);
        let rr: Vec<&String> = lines.iter().filter(|l| l.starts_with("RRULE")).collect();
        assert_eq!(rr.len(), 2, "{lines:#?}");
        assert!(rr.iter().all(|l| l.contains(";UNTIL=2022")), "{lines:#?}");
    }

    #[test]
    fn offsets() {
        assert_eq!(offset_text(3600), "+0100");
        assert_eq!(offset_text(-16200), "-0430");
        assert_eq!(offset_text(0), "+0000");
        assert_eq!(offset_text(3208), "+005328");
    }
}
