//! iCalendar (RFC 5545) for scheduled sends: one recurring VEVENT per send of every
//! journey whose entry runs on a schedule, at the entry time plus the send's offset.
//!
//! Start times carry the zone they are meant in (`DTSTART;TZID=…`): the schedule's
//! zone, or for `local` schedules (each customer's own zone) the program time zone,
//! the zone of customers without one. Every zone used gets a VTIMEZONE derived from
//! the time zone database ([`crate::vtimezone`]), so the file does not rely on the
//! calendar app knowing the IANA names. Lines are folded at 75 octets and end in CRLF.
//!
//! Monthly schedules whose send lands days after the entry have no RRULE (the day of
//! the month it falls on depends on the month's length): they list their dates
//! (RDATE) for [`RDATE_YEARS`] years instead, as the engine would send them.
//!
//! Output is deterministic: the first run is anchored on a fixed week (the week of
//! Monday 2026-01-05), DTSTAMP is fixed and UIDs come from the journey and node.

use crate::{CalendarView, JourneyInfo, Schedule, SendRow, DAY};
use chrono::TimeZone;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// The Monday of the week the first run of every schedule falls in.
pub const ANCHOR: (i32, u32, u32) = (2026, 1, 5);
/// Years the VTIMEZONE components describe: from the year before the first run (so
/// the offset in force at the first run is defined) to this many years after it.
pub const ZONE_YEARS_AFTER: i32 = 10;

const DTSTAMP: &str = "20260101T000000Z";
const WEEKDAYS: [(&str, &str); 7] = [
    ("monday", "MO"),
    ("tuesday", "TU"),
    ("wednesday", "WE"),
    ("thursday", "TH"),
    ("friday", "FR"),
    ("saturday", "SA"),
    ("sunday", "SU"),
];

/// `MO`..`SU`, from a weekday index from Monday.
fn code(day: u32) -> &'static str {
    WEEKDAYS[(day % 7) as usize].1
}

/// The first entry of a schedule (date) and its days of the week (`None`: daily or
/// monthly).
fn anchor(s: &Schedule) -> (NaiveDate, Rule) {
    let monday = NaiveDate::from_ymd_opt(ANCHOR.0, ANCHOR.1, ANCHOR.2).expect("a date");
    let p = s.period.as_str();
    if let Some(d) = p.strip_prefix("month_day:") {
        let day: u32 = d.parse().unwrap_or(1).clamp(1, 31);
        // January has every day; the engine runs on the month's last day when the
        // month is shorter than `day`
        return (NaiveDate::from_ymd_opt(ANCHOR.0, ANCHOR.1, day).expect("a date"), Rule::Monthly(day));
    }
    match p {
        "day" => (monday, Rule::Daily),
        "weekday" => (monday, Rule::Weekly(vec![0, 1, 2, 3, 4])),
        "weekend" => (monday + Duration::days(5), Rule::Weekly(vec![5, 6])),
        _ => {
            let i = WEEKDAYS.iter().position(|(n, _)| *n == p).unwrap_or(0) as u32;
            (monday + Duration::days(i64::from(i)), Rule::Weekly(vec![i]))
        }
    }
}

enum Rule {
    Daily,
    /// Days of the week, from Monday = 0.
    Weekly(Vec<u32>),
    /// On this day of the month, or its last day when the month is shorter.
    Monthly(u32),
}

/// How a send recurs: a rule, or (where no RRULE can say it) the list of its dates.
enum Recurrence {
    Rule(String),
    /// Every start after the first, up to [`RDATE_YEARS`] after the anchor.
    Dates(Vec<NaiveDateTime>),
}

/// Years of dates listed for a send no RRULE can describe (a monthly schedule whose
/// send falls days after the entry: `every month on 28` + `wait 5d` is the 2nd, 3rd,
/// 5th or 2nd depending on the month's length).
pub const RDATE_YEARS: i32 = 5;

fn stamp(t: NaiveDateTime) -> String {
    format!("{:04}{:02}{:02}T{:02}{:02}00", t.year(), t.month(), t.day(), t.hour(), t.minute())
}

/// Escape a TEXT value (RFC 5545 §3.3.11).
pub(crate) fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// Fold a content line at 75 octets (never inside a UTF-8 character), CRLF-terminated.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += n;
    }
    out.push_str("\r\n");
}

/// The zone a schedule's times are meant in: its own, or the program's for `local`.
pub(crate) fn zone_of(view: &CalendarView, s: &Schedule) -> Option<Tz> {
    s.zone.as_deref().unwrap_or(&view.timezone).parse().ok()
}

/// The instant of the entry on local date `entry` of a schedule, in UTC (a time the
/// clocks skip is moved forward by the gap, as the engine moves it).
fn entry_utc(view: &CalendarView, s: &Schedule, entry: NaiveDate) -> Option<NaiveDateTime> {
    let tz = zone_of(view, s)?;
    let local = entry.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(s.minute_of_day));
    chrono::DateTime::from_timestamp_millis(journey_events::time::local_instant(tz, local)).map(|d| d.naive_utc())
}

/// Is the entry on local date `entry` inside the journey's campaign window (`active
/// from … to …`: from 00:00 on the first day to 24:00 on the last, in the program
/// time zone)? Always, without a window.
pub(crate) fn entry_in_window(view: &CalendarView, s: &Schedule, entry: NaiveDate) -> bool {
    let Some((from, to)) = s.active else { return true };
    let day = match (entry_utc(view, s, entry), view.timezone.parse::<Tz>()) {
        (Some(utc), Ok(program)) => program.from_utc_datetime(&utc).date_naive(),
        // a zone the database does not know (the checker reports it): the date as written
        _ => entry,
    };
    (from..=to).contains(&day)
}

/// The first and the last date a schedule with a campaign window enters on, in the
/// schedule's own zone (`None`: no run falls in the window).
fn window_runs(view: &CalendarView, s: &Schedule, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    // the schedule's zone may be a day ahead of or behind the program's
    let days: Vec<NaiveDate> = from
        .pred_opt()?
        .iter_days()
        .take_while(|d| *d <= to.succ_opt().unwrap_or(to))
        .filter(|d| runs_on_day(s, *d) && entry_in_window(view, s, *d))
        .collect();
    Some((*days.first()?, *days.last()?))
}

fn runs_on_day(s: &Schedule, d: NaiveDate) -> bool {
    crate::dates::runs_on(s, d)
}

/// The local start of a send after an entry on local date `entry`.
pub(crate) fn send_at(s: &Schedule, r: &SendRow, entry: NaiveDate) -> NaiveDateTime {
    entry.and_hms_opt(0, 0, 0).expect("midnight")
        + Duration::minutes(i64::from(s.minute_of_day) + r.offset_minutes as i64)
}

/// The last day of a month.
pub(crate) fn month_len(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// The local start of the first run of a send, and its recurrence; `None` when the
/// journey's campaign window holds no run.
fn start(view: &CalendarView, s: &Schedule, r: &SendRow) -> Option<(NaiveDateTime, Recurrence)> {
    let (anchored, rule) = anchor(s);
    // a campaign window: the first run in it, and the rule ends with the last
    let (first, until) = match s.active {
        Some((from, to)) => {
            let (a, b) = window_runs(view, s, from, to)?;
            let last = send_at(s, r, b);
            let until = zone_of(view, s)
                .and_then(|tz| tz.from_local_datetime(&last).latest())
                .map_or_else(|| stamp(last), |t| format!("{}Z", stamp(t.naive_utc())));
            (a, Some(until))
        }
        None => (anchored, None),
    };
    let start = send_at(s, r, first);
    let shift = ((u64::from(s.minute_of_day) + r.offset_minutes) / DAY % 7) as u32;
    let recurrence = match rule {
        Rule::Daily => Recurrence::Rule("FREQ=DAILY".to_string()),
        Rule::Weekly(days) => {
            let mut days: Vec<u32> = days.iter().map(|d| (d + shift) % 7).collect();
            days.sort_unstable();
            let codes: Vec<&str> = days.into_iter().map(code).collect();
            Recurrence::Rule(format!("FREQ=WEEKLY;BYDAY={}", codes.join(",")))
        }
        // the send is on the entry's own day: the day of the month, or the month's
        // last when it is shorter (the greatest of 28..=day that the month has)
        Rule::Monthly(day) if start.date() == first => Recurrence::Rule(match day {
            ..=28 => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
            31 => "FREQ=MONTHLY;BYMONTHDAY=-1".to_string(),
            _ => {
                let days: Vec<String> = (28..=day).map(|d| d.to_string()).collect();
                format!("FREQ=MONTHLY;BYMONTHDAY={};BYSETPOS=-1", days.join(","))
            }
        }),
        // days later: the date moves with the length of the month, so list them
        Rule::Monthly(day) => {
            let dates = (0..12 * RDATE_YEARS as u32)
                .filter_map(|k| {
                    let (y, m) = (first.year() + ((first.month0() + k) / 12) as i32, 1 + (first.month0() + k) % 12);
                    let entry = NaiveDate::from_ymd_opt(y, m, day.min(month_len(y, m))).expect("a date");
                    (entry > first && entry_in_window(view, s, entry)).then(|| send_at(s, r, entry))
                })
                .collect();
            Recurrence::Dates(dates)
        }
    };
    let recurrence = match (recurrence, until) {
        (Recurrence::Rule(rule), Some(until)) => Recurrence::Rule(format!("{rule};UNTIL={until}")),
        (other, _) => other,
    };
    Some((start, recurrence))
}

fn event(view: &CalendarView, j: &JourneyInfo, s: &Schedule, r: &SendRow, out: &mut String) {
    let Some((start, recurrence)) = start(view, s, r) else { return };
    let tzid = match zone_of(view, s) {
        Some(z) => format!(";TZID={}", z.name()),
        // a zone the database does not know (the checker reports it): floating time
        None => String::new(),
    };
    let dtstart = format!("DTSTART{tzid}:{}", stamp(start));
    let repeat = match &recurrence {
        Recurrence::Rule(rule) => format!("RRULE:{rule}"),
        Recurrence::Dates(dates) if dates.is_empty() => String::new(),
        Recurrence::Dates(dates) => {
            format!("RDATE{tzid}:{}", dates.iter().map(|d| stamp(*d)).collect::<Vec<_>>().join(","))
        }
    };
    let mut desc = format!("Stage {} ({}), entry {}", r.stage, r.node, j.trigger);
    if s.zone.is_none() {
        desc.push_str(&format!(
            "\nat this time in each customer's own zone; shown in {}, the zone of customers without one",
            view.timezone
        ));
    }
    if let Recurrence::Dates(d) = &recurrence {
        if let Some(last) = d.last() {
            desc.push_str(&format!("\ndates listed up to {}", last.date()));
        }
    }
    if let Some(a) = &r.audience {
        desc.push_str(&format!("\naudience: {a}"));
    }
    if !r.goals.is_empty() {
        desc.push_str(&format!("\ngoals: {}", r.goals.join(", ")));
    }
    desc.push_str(&format!("\npriority: {}", r.priority));
    for c in &r.conflicts {
        desc.push_str(&format!("\n{} {}: with {}", c.code, c.severity, crate::names_and_more(&c.partners[..], c.more)));
    }
    let mut categories = vec![r.channel.clone()];
    categories.extend(r.conflicts.iter().map(|c| c.code.clone()));
    let lines = [
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}.{}@journey", r.journey, r.node.replace('#', "-")),
        format!("DTSTAMP:{DTSTAMP}"),
        dtstart,
        "DURATION:PT15M".to_string(),
        repeat,
        format!("SUMMARY:{}", text(&format!("{}: {} \"{}\"", r.journey, r.channel, r.template))),
        format!("DESCRIPTION:{}", text(&desc)),
        format!("CATEGORIES:{}", categories.iter().map(|c| text(c)).collect::<Vec<_>>().join(",")),
        "TRANSP:TRANSPARENT".to_string(),
        "END:VEVENT".to_string(),
    ];
    for l in lines.iter().filter(|l| !l.is_empty()) {
        fold(l, out);
    }
}

/// A VCALENDAR with a VTIMEZONE per zone used and one recurring event per send of
/// every scheduled journey.
pub fn ical(view: &CalendarView) -> String {
    let mut out = String::new();
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//journey//calendar//EN", "CALSCALE:GREGORIAN"] {
        fold(l, &mut out);
    }
    let scheduled: Vec<(&JourneyInfo, &Schedule, &SendRow)> = view
        .journeys
        .iter()
        .filter_map(|j| j.schedule.as_ref().map(|s| (j, s)))
        .flat_map(|(j, s)| view.sends.iter().filter(move |r| r.journey == j.name).map(move |r| (j, s, r)))
        .collect();
    // each zone used, with the earliest start in it, in name order
    let mut zones: BTreeMap<&str, (Tz, NaiveDateTime, NaiveDateTime)> = BTreeMap::new();
    for &(_, s, r) in &scheduled {
        if let Some(z) = zone_of(view, s) {
            let Some((at, _)) = start(view, s, r) else { continue };
            let e = zones.entry(z.name()).or_insert((z, at, at));
            e.1 = e.1.min(at);
            e.2 = e.2.max(at);
        }
    }
    for (tz, first, latest) in zones.values() {
        // a campaign window years after the anchor still has its zone's rules
        let (from, to) = ((ANCHOR.0 - 1).min(first.year() - 1), (ANCHOR.0 + ZONE_YEARS_AFTER).max(latest.year() + 1));
        for l in crate::vtimezone::vtimezone(*tz, from, to, *first) {
            fold(&l, &mut out);
        }
    }
    for (j, s, r) in scheduled {
        event(view, j, s, r, &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets() {
        let mut out = String::new();
        fold(&"é".repeat(50), &mut out);
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{}\r\n", "é".repeat(50)));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(text("a, b; c\nd"), "a\\, b\\; c\\nd");
    }
}
