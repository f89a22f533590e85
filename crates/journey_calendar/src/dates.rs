//! The date view: what goes out on which calendar date across all journeys. The
//! weeks-after-entry view answers "what does one customer get"; this one answers
//! "what leaves on Tuesday the 13th", the question of whoever plans the sends.
//!
//! Two sources, never mixed up: sends of journeys that enter on a schedule (their
//! dates are known before any customer exists, the same dates the iCal export lists),
//! and, with a trace, the sends the simulation actually made on each day. Journeys
//! that start on an event or an audience change have no date of their own: they
//! appear only through the trace.
//!
//! Deterministic: the window starts on `--from`, else the trace's first day, else
//! the iCal export's fixed anchor week, never on today's date.

use crate::ical::{month_len, send_at, ANCHOR};
use crate::{CalendarView, Schedule, SendRow, DAY};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// Weeks shown without a trace.
pub const DEFAULT_WEEKS: i64 = 4;
/// At most this many weeks of a trace are shown (a page per quarter stays readable).
pub const MAX_WEEKS: i64 = 8;

/// The dates of a window, each with the sends that go out on it.
#[derive(Debug, Clone, PartialEq)]
pub struct DateView {
    /// First and last date shown (inclusive).
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Where the first date came from, for the page's lead (`--from`, the trace, …).
    pub origin: &'static str,
    /// The trace goes on after `last` (the window was cut at [`MAX_WEEKS`]).
    pub cut: bool,
    pub days: Vec<DateDay>,
}

/// One date of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct DateDay {
    pub date: NaiveDate,
    /// Sends of scheduled journeys on this date, by time then journey and node.
    pub scheduled: Vec<DatedSend>,
    /// Sends the trace shows on this date, per journey and channel.
    pub observed: Vec<ObservedSends>,
}

/// A scheduled journey's send on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedSend {
    /// `HH:MM`, in the zone of `zone`.
    pub time: String,
    /// The schedule's zone, or the program's for `local` schedules.
    pub zone: String,
    /// Index of the send in [`CalendarView::sends`].
    pub send: usize,
}

/// What the trace shows one journey sent on one channel on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedSends {
    pub journey: String,
    pub channel: String,
    pub sends: u64,
}

fn parse(date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Does a schedule run on `date` (a date in its own zone)?
pub fn runs_on(s: &Schedule, date: NaiveDate) -> bool {
    let wd = date.weekday();
    match s.period.as_str() {
        "day" => true,
        "weekday" => !matches!(wd, Weekday::Sat | Weekday::Sun),
        "weekend" => matches!(wd, Weekday::Sat | Weekday::Sun),
        p => match p.strip_prefix("month_day:") {
            // on that day, or the month's last when the month is shorter (the engine)
            Some(d) => {
                let day: u32 = d.parse().unwrap_or(1).clamp(1, 31);
                date.day() == day.min(month_len(date.year(), date.month()))
            }
            None => p.parse::<Weekday>().is_ok_and(|w| w == wd),
        },
    }
}

/// The window of the date view: from `from`, else the trace's first day, else the
/// iCal anchor week; as long as the trace (at most [`MAX_WEEKS`]) or [`DEFAULT_WEEKS`].
pub fn window(view: &CalendarView, from: Option<NaiveDate>) -> (NaiveDate, NaiveDate, &'static str, bool) {
    let trace =
        view.observed.as_ref().and_then(|o| Some((parse(o.first_day.as_deref()?)?, parse(o.last_day.as_deref()?)?)));
    let anchor = NaiveDate::from_ymd_opt(ANCHOR.0, ANCHOR.1, ANCHOR.2).expect("a date");
    let (first, origin) = match (from, trace) {
        (Some(d), _) => (d, "--from"),
        (None, Some((a, _))) => (a, "the trace's first day"),
        (None, None) => (anchor, "a fixed week (the iCal export's first)"),
    };
    let most = first + Duration::days(7 * MAX_WEEKS - 1);
    match trace {
        Some((_, last)) if last >= first => (first, last.min(most), origin, last > most),
        _ => (first, first + Duration::days(7 * DEFAULT_WEEKS - 1), origin, false),
    }
}

/// Every date of the window with its scheduled and observed sends.
pub fn date_view(view: &CalendarView, from: Option<NaiveDate>) -> DateView {
    let (first, last, origin, cut) = window(view, from);
    let n = (last - first).num_days() as usize + 1;
    let mut days: Vec<DateDay> = (0..n)
        .map(|i| DateDay { date: first + Duration::days(i as i64), scheduled: Vec::new(), observed: Vec::new() })
        .collect();
    let index = |d: NaiveDate| -> Option<usize> {
        let i = (d - first).num_days();
        (0..n as i64).contains(&i).then_some(i as usize)
    };
    for j in &view.journeys {
        let Some(s) = &j.schedule else { continue };
        let zone = s.zone.clone().unwrap_or_else(|| view.timezone.clone());
        let rows: Vec<(usize, &SendRow)> = view.sends.iter().enumerate().filter(|(_, r)| r.journey == j.name).collect();
        // entries up to the longest offset before the window still send inside it
        let back = rows.iter().map(|(_, r)| (u64::from(s.minute_of_day) + r.offset_minutes) / DAY).max().unwrap_or(0);
        let mut entry = first - Duration::days(back as i64);
        while entry <= last {
            if runs_on(s, entry) && crate::ical::entry_in_window(view, s, entry) {
                for &(i, r) in &rows {
                    let at = send_at(s, r, entry);
                    if let Some(k) = index(at.date()) {
                        days[k].scheduled.push(DatedSend {
                            time: at.format("%H:%M").to_string(),
                            zone: zone.clone(),
                            send: i,
                        });
                    }
                }
            }
            entry += Duration::days(1);
        }
    }
    for d in &mut days {
        d.scheduled.sort_by(|a, b| {
            let (ra, rb) = (&view.sends[a.send], &view.sends[b.send]);
            (&a.time, &ra.journey, ra.offset_minutes, &ra.node).cmp(&(
                &b.time,
                &rb.journey,
                rb.offset_minutes,
                &rb.node,
            ))
        });
    }
    if let Some(o) = &view.observed {
        let mut per: BTreeMap<(usize, &str, &str), u64> = BTreeMap::new();
        for s in &o.steps {
            for (date, sends) in &s.per_day {
                if let Some(k) = parse(date).and_then(index) {
                    *per.entry((k, s.journey.as_str(), s.channel.as_str())).or_default() += sends;
                }
            }
        }
        for ((k, journey, channel), sends) in per {
            days[k].observed.push(ObservedSends { journey: journey.to_string(), channel: channel.to_string(), sends });
        }
    }
    DateView { first, last, origin, cut, days }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(period: &str, minute_of_day: u32) -> Schedule {
        Schedule { period: period.to_string(), minute_of_day, zone: Some("UTC".to_string()), active: None }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn schedules_run_on_their_days() {
        // 2026-01-05 is a Monday
        assert!(runs_on(&schedule("monday", 600), d(2026, 1, 5)));
        assert!(!runs_on(&schedule("monday", 600), d(2026, 1, 6)));
        assert!(runs_on(&schedule("weekday", 600), d(2026, 1, 9)));
        assert!(!runs_on(&schedule("weekday", 600), d(2026, 1, 10)));
        assert!(runs_on(&schedule("weekend", 600), d(2026, 1, 11)));
        assert!(runs_on(&schedule("day", 600), d(2026, 1, 11)));
        // the 31st of a 30-day month is its 30th; February's is its 28th
        assert!(runs_on(&schedule("month_day:31", 600), d(2026, 4, 30)));
        assert!(runs_on(&schedule("month_day:30", 600), d(2026, 2, 28)));
        assert!(!runs_on(&schedule("month_day:30", 600), d(2026, 2, 27)));
        assert!(runs_on(&schedule("month_day:28", 600), d(2026, 3, 28)));
    }
}
