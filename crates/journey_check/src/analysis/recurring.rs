//! Recurring entries: a journey entered on a schedule (`entry every day at 22:00`)
//! with `re_entry always` or `re_entry after DUR` enters the same customer run after
//! run, and every pass sends again. One pass can stay within a cap while the passes
//! together break it (a daily send under `cap 3 per 7d`), so the cap proofs (J401 for
//! one journey, J603 across journeys) count the passes too.
//!
//! The engine enters a customer at a run unless they are still in the journey (the
//! previous pass has not ended) or `re_entry after DUR` has not passed since their
//! previous entry. So one customer's entries are a chain: from an entry at `e`, the
//! next is the first run at or after `e + length` (the pass's length: the engine ends
//! a pass before it runs the schedule at the same moment), later than `e`, and at or
//! after `e + DUR`. Every pass is taken to follow the same path with its least
//! timings, which a customer can actually do (see [`super::paths`]).
//!
//! Runs are listed on real calendar dates in local wall-clock minutes (24h a day): six
//! years from a Monday, 2024-01-01, which covers every weekday and every month length
//! (a leap February too), or the journey's own `active from … to …` days. Chains start
//! from every run of the first week (the weekly schedules repeat weekly) or of the
//! first four years (`month_day`). A window counts the sends of a chain that lie less
//! than its length apart, as the engine's caps do. Daylight saving moves real time off
//! the wall clock by up to an hour within a window (and a `wait until` a time of day
//! with it), so in a zone that changes its clocks a window counts only sends less than
//! `window − 1h` apart on the wall clock: counts are never more than some customer
//! gets. Sends less than `window + 1h` apart may fall in one window across a change
//! (a weekly send under `1 per 7d`, the week the clocks go forward): J401 reports
//! such passes as undecided, with the day of the change
//! ([`Recurrence::densest_across_change`]), so no refusal goes unsaid.

use chrono::{Datelike, Duration, NaiveDate, Offset, TimeZone};
use journey_ir::{Journey, Program, ReEntry, Trigger, Zone};

/// Wall-clock minutes in a day.
const DAY: u64 = 1440;

/// How one customer re-enters a scheduled journey.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// Run times, local wall-clock minutes from the first listed day, ascending.
    runs: Vec<u64>,
    /// Chains start at `runs[..starts]`.
    starts: usize,
    /// `re_entry after DUR` in minutes; 0 for `re_entry always`.
    pub after: u64,
    /// Minutes a window shrinks by: an hour where the clocks change.
    shrink: u64,
    /// The zone the schedule runs in, when it is one zone (not each customer's own).
    zone: Option<String>,
    /// The day the runs are listed from.
    first: NaiveDate,
    /// `every day at 22:00`, as the source reads.
    pub schedule: String,
    /// `re_entry always` or `re_entry after 3d`, as the source reads.
    pub rule: String,
    /// A journey entered on an event ([`Recurrence::on_event`]) rather than on a
    /// schedule: how a customer comes back.
    pub event: Option<EventEntry>,
}

/// How a customer re-enters a journey entered on an event (`entry on workout` with
/// `re_entry always` or `after DUR`).
#[derive(Debug, Clone)]
pub struct EventEntry {
    /// The entry's events as the source names them: `workout`, or `signup` or `trial_started`.
    pub events: String,
    /// Why a customer may not be let back in every time their event comes (an
    /// `audience` filter, a `where`, a campaign window), as J401 says it; `None`
    /// when nothing but `re_entry` and the previous pass decide.
    pub doubt: Option<&'static str>,
    /// Passes counted at most in one chain: with no time between them (`re_entry
    /// always` and a pass that takes no time) their number is the events', unbounded;
    /// more than any cap allows is enough to prove every cap ([`passes_needed`]).
    most: u64,
}

/// The densest cap window over one customer's passes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Densest {
    /// Sends counted in the window.
    pub count: u64,
    /// Wall-clock minutes from the first counted send to the last.
    pub span: u64,
    /// Passes (entries) the counted sends come from.
    pub entries: u64,
    /// The index in the pass's sends of each counted send, in time order.
    pub picks: Vec<usize>,
}

impl Recurrence {
    /// The recurrence of `journey`, if it has a schedule and lets customers back in.
    pub fn of(journey: &Journey, program: &Program) -> Option<Recurrence> {
        let (after, rule) = match journey.re_entry {
            ReEntry::Never => return None,
            ReEntry::Always => (0, "re_entry always".to_string()),
            ReEntry::After { minutes } => (minutes, format!("re_entry after {}", super::logic::fmt_minutes(minutes))),
        };
        if let Trigger::Event { .. } = &journey.entry {
            return Some(Self::on_event(journey, program, after, rule));
        }
        let Trigger::Schedule { period, minute_of_day, zone } = &journey.entry else { return None };
        let monthly = period.starts_with("month_day:");
        let (first, last) = match &journey.active {
            Some(w) => {
                let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
                (day(&w.from)?, day(&w.to)?)
            }
            None => (NaiveDate::from_ymd_opt(2024, 1, 1)?, NaiveDate::from_ymd_opt(2029, 12, 31)?),
        };
        let mut runs = Vec::new();
        let mut starts = 0;
        let start_days = if journey.active.is_some() {
            u64::MAX
        } else if monthly {
            4 * 366
        } else {
            7
        };
        // the days of the runs, from `first`: by weekday arithmetic for the weekly
        // schedules (every journey of a large repository asks), a month at a time for
        // `month_day` (each month's day once)
        let days = (last - first).num_days().max(-1) + 1;
        let mut run_days: Vec<u64> = Vec::new();
        if monthly {
            let mut month = first.with_day(1)?;
            while month <= last {
                if let Some(d) = (0..31).map(|i| month + Duration::days(i)).find(|&d| period_matches(period, d)) {
                    if d >= first && d <= last {
                        run_days.push((d - first).num_days() as u64);
                    }
                }
                month = month.checked_add_months(chrono::Months::new(1))?;
            }
        } else {
            let week: Vec<bool> = (0..7).map(|i| period_matches(period, first + Duration::days(i))).collect();
            run_days.extend((0..days.max(0) as u64).filter(|&k| week[(k % 7) as usize]));
        }
        for k in run_days {
            runs.push(k * DAY + u64::from(*minute_of_day));
            if k < start_days {
                starts = runs.len();
            }
        }
        if runs.is_empty() {
            return None;
        }
        // a customer's own zone (an attribute) may be any zone
        let dst = match zone {
            Zone::Named(z) => changes_clocks(z),
            Zone::Customer => program.timezone_attribute.is_some() || changes_clocks(&program.timezone),
        };
        let shrink = if dst { 60 } else { 0 };
        let one_zone = match zone {
            Zone::Named(z) => Some(z.clone()),
            Zone::Customer if program.timezone_attribute.is_none() => Some(program.timezone.clone()),
            Zone::Customer => None,
        };
        let at = format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
        let zone_text = match zone {
            Zone::Customer => " local".to_string(),
            Zone::Named(z) => format!(" \"{z}\""),
        };
        let schedule = match period.strip_prefix("month_day:") {
            Some(n) => format!("every month on {n} at {at}{zone_text}"),
            None => format!("every {period} at {at}{zone_text}"),
        };
        Some(Recurrence { runs, starts, after, shrink, zone: one_zone, first, schedule, rule, event: None })
    }

    /// The recurrence of a journey entered on an event. The customer sends the event
    /// when they like, so the densest passes enter as soon as the engine lets them:
    /// `re_entry after DUR` from the previous entry, and not before the previous pass
    /// has ended (the engine fires a pass's timers due at an event's time before the
    /// event, so an event at the very minute the pass ends enters again). Passes
    /// never overlap, so entering each as early as possible brings every set of sends
    /// closest together: one chain, entered at 0, g, 2g, … with g = max(DUR, length).
    fn on_event(journey: &Journey, program: &Program, after: u64, rule: String) -> Recurrence {
        let Trigger::Event { event, filter } = &journey.entry else { unreachable!("an event entry") };
        let filtered = filter.is_some() || journey.entry_also.iter().any(|a| a.filter.is_some());
        let doubt = if journey.audience.is_some() {
            Some("the journey's `audience` filter may keep a customer from entering again")
        } else if filtered {
            Some("the entry's `where` may turn down the events that would enter a customer again")
        } else if journey.active.is_some() {
            Some("the journey's campaign window (`active from … to …`) may end before the passes do")
        } else {
            None
        };
        let events = journey_ir::event_names(event, &journey.entry_also, "` or `");
        let first = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a valid date");
        Recurrence {
            runs: Vec::new(),
            starts: 0,
            after,
            shrink: 0,
            zone: None,
            first,
            schedule: format!("entered on each `{events}`"),
            rule,
            event: Some(EventEntry { events, doubt, most: passes_needed(program) }),
        }
    }

    /// The densest window of length `window` over one customer's passes, each pass
    /// sending at `sends` (minutes from its entry, ascending) and ending `length`
    /// minutes after its entry. `after` overrides the journey's `re_entry after`.
    pub fn densest(&self, sends: &[u64], length: u64, window: u64, after: Option<u64>) -> Densest {
        if window == 0 {
            return Densest::default();
        }
        // a window holds sends less than `reach` wall-clock minutes apart
        self.densest_within(sends, length, window.saturating_sub(self.shrink).max(1), after)
    }

    /// Where the clocks change: the densest window of sends less than `window` + 1h
    /// apart on the wall clock, which a change of the clocks can bring within `window`
    /// of real time. `None` in a zone that keeps its clocks. What [`Self::densest`]
    /// counts is certain; what this counts beyond it may or may not happen, depending on
    /// where the change falls.
    pub fn densest_across_change(&self, sends: &[u64], length: u64, window: u64) -> Option<Densest> {
        (self.shrink > 0 && window > 0).then(|| self.densest_within(sends, length, window + self.shrink, None))
    }

    /// The first day the schedule's zone changes its clocks, from the first listed
    /// day, with the zone: the example of [`Self::densest_across_change`]. `None` for
    /// each customer's own zone.
    pub fn clock_change(&self) -> Option<(String, NaiveDate)> {
        let zone = self.zone.as_ref()?;
        first_clock_change(zone, self.first).map(|d| (zone.clone(), d))
    }

    fn densest_within(&self, sends: &[u64], length: u64, reach: u64, after: Option<u64>) -> Densest {
        let mut best = Densest::default();
        if sends.is_empty() {
            return best;
        }
        let after = after.unwrap_or(self.after);
        if let Some(e) = &self.event {
            return densest_of_chain(&event_chain(sends, after.max(length), reach, e.most), sends.len(), reach);
        }
        // (time, entry number, send index) of the chain's sends within reach of its first
        let mut chain: Vec<(u64, u64, usize)> = Vec::new();
        for s in 0..self.starts {
            chain.clear();
            let e0 = self.runs[s];
            let horizon = e0 + sends[sends.len() - 1] + reach;
            let (mut e, mut i, mut n) = (e0, s, 0u64);
            loop {
                for (k, &o) in sends.iter().enumerate() {
                    chain.push((e + o, n, k));
                }
                // the next run once this pass has ended (the engine ends a pass before it
                // runs the schedule at the same moment) and at least `after` after this
                // entry
                let earliest_gap = after.max(length).max(1);
                let next = self.runs[i + 1..].partition_point(|&r| r < e + earliest_gap) + i + 1;
                if next >= self.runs.len() || self.runs[next] + sends[0] >= horizon {
                    break;
                }
                (e, i, n) = (self.runs[next], next, n + 1);
            }
            // windows that start at a send of the first pass (later ones are the
            // chains from later starts)
            let d = densest_of_chain(&chain, sends.len(), reach);
            if d.count > best.count {
                best = d;
            }
        }
        best
    }

    /// The least `re_entry after` (whole days, up to the window) under which the
    /// passes keep within `count` per `window`, if one does: where the clocks change,
    /// also across a change ([`Self::densest_across_change`]), so the advice is never
    /// one the next spring undoes.
    pub fn least_after(&self, sends: &[u64], length: u64, window: u64, count: u64) -> Option<u64> {
        // an event comes at any minute: whole hours (a day and more: whole days, the
        // passes of a schedule are days apart anyway), up to the window past the last send
        // up to the window past the last send, which keeps any two passes apart
        let (hours, most) = match self.event {
            Some(_) => (1..DAY / 60, window + sends.last().copied().unwrap_or(0)),
            None => (1..1, window),
        };
        (hours.map(|h| h * 60))
            .chain((1..=most.div_ceil(DAY) + 1).map(|d| d * DAY))
            .find(|&a| self.densest_within(sends, length, window + self.shrink, Some(a)).count <= count)
    }
}

impl Recurrence {
    /// For a journey entered on an event with an exit rule: the densest window when
    /// each pass may also be cut short by an exit right after any of its sends (the
    /// next pass then enters sooner), pass by pass as the customer likes: a full pass
    /// whose last sends fall together with the first sends of short passes after it
    /// holds more than a chain of one kind. Only the least entry time is kept per
    /// count of sends so far; passes at most as many as any cap needs.
    pub fn densest_with_exits(&self, sends: &[u64], length: u64, window: u64) -> Densest {
        let Some(e) = &self.event else { return Densest::default() };
        if sends.is_empty() || window == 0 {
            return Densest::default();
        }
        let after = self.after;
        // a pass: the sends it makes (a prefix) and when the next may enter
        let options: Vec<(usize, u64)> =
            (0..sends.len()).map(|b| (b + 1, after.max(sends[b]))).chain([(sends.len(), after.max(length))]).collect();
        let mut best = Densest::default();
        for a in 0..sends.len() {
            let end = sends[a] + window;
            // per count of sends in the window so far: the soonest next entry, the
            // passes taken and the picks
            let mut states: Vec<Option<Pass>> = vec![None; 1];
            for &(made, next) in &options {
                if made > a {
                    let picks: Vec<usize> = (a..made).filter(|&i| sends[i] < end).collect();
                    let last = sends[picks[picks.len() - 1]];
                    keep(&mut states, picks.len(), (next, 1, picks, last));
                }
            }
            for _ in 1..e.most {
                let mut grown = false;
                for c in 0..states.len() {
                    let Some((at, passes, picks, last)) = states[c].clone() else { continue };
                    if at + sends[0] >= end {
                        continue;
                    }
                    for &(made, next) in &options {
                        let more: Vec<usize> = (0..made).filter(|&i| at + sends[i] < end).collect();
                        let last = more.last().map_or(last, |&i| at + sends[i]);
                        let mut all = picks.clone();
                        all.extend(&more);
                        grown |= keep(&mut states, c + more.len(), (at + next, passes + 1, all, last));
                    }
                }
                if !grown {
                    break;
                }
            }
            if let Some((c, Some((_, passes, picks, last)))) =
                states.iter().enumerate().rev().find(|(_, s)| s.is_some())
            {
                if c as u64 > best.count {
                    best = Densest { count: c as u64, span: last - sends[a], entries: *passes, picks: picks.clone() };
                }
            }
        }
        best
    }
}

/// Passes so far with some count of sends in the window: (the soonest next entry,
/// passes taken, the sends counted, the time of the last counted).
type Pass = (u64, u64, Vec<usize>, u64);

/// Keep `state` for `count` sends if it enters the next pass sooner than what is
/// kept (or nothing is): whether it was kept.
fn keep(states: &mut Vec<Option<Pass>>, count: usize, state: Pass) -> bool {
    if states.len() <= count {
        states.resize(count + 1, None);
    }
    if states[count].as_ref().is_some_and(|s| s.0 <= state.0) {
        return false;
    }
    states[count] = Some(state);
    true
}

/// The sends of a chain of passes entered `gap` apart from 0, as (time, entry number,
/// send index), while a pass's first send lies within `reach` of the first pass's
/// last and at most `most` passes.
fn event_chain(sends: &[u64], gap: u64, reach: u64, most: u64) -> Vec<(u64, u64, usize)> {
    let horizon = sends[sends.len() - 1] + reach;
    let mut chain = Vec::new();
    let mut n = 0u64;
    while n < most && n.saturating_mul(gap) + sends[0] < horizon {
        chain.extend(sends.iter().enumerate().map(|(k, &o)| (n * gap + o, n, k)));
        n += 1;
    }
    chain
}

/// The densest window of a chain of passes (as [`event_chain`] lists them) that
/// starts at a send of its first pass: sends less than `reach` apart.
fn densest_of_chain(chain: &[(u64, u64, usize)], per_pass: usize, reach: u64) -> Densest {
    let mut best = Densest::default();
    for a in 0..per_pass.min(chain.len()) {
        let t0 = chain[a].0;
        let inside: Vec<&(u64, u64, usize)> = chain[a..].iter().filter(|c| c.0 - t0 < reach).collect();
        let count = inside.len() as u64;
        if count > best.count {
            let last = inside.last().expect("holds its first send");
            best =
                Densest { count, span: last.0 - t0, entries: last.1 + 1, picks: inside.iter().map(|c| c.2).collect() };
        }
    }
    best
}

/// Passes that are enough to prove any cap of `program` broken: one more than its
/// largest count, as each pass sends at least once against the cap it is weighed
/// by. A window over more passes is counted short, but still over the cap (its
/// first pass and the next `count` whole ones); a count the cap allows is exact.
fn passes_needed(program: &Program) -> u64 {
    let channels = program.channels.iter().filter_map(|c| c.cap.as_ref()).map(|c| c.count);
    let policy = program.policy.caps.iter().map(|c| c.cap.count);
    let category = program.rules.category_caps.iter().map(|c| c.cap.count);
    channels.chain(policy).chain(category).max().unwrap_or(1).clamp(1, 1000) + 1
}

/// Does a schedule `period` (`day`, `weekday`, `weekend`, a weekday name,
/// `month_day:N`) include this date? As the engine decides (`month_day:N` past the
/// month's end means its last day).
fn period_matches(period: &str, date: NaiveDate) -> bool {
    use chrono::Weekday::*;
    let wd = date.weekday();
    match period {
        "day" => true,
        "weekday" => !matches!(wd, Sat | Sun),
        "weekend" => matches!(wd, Sat | Sun),
        p if p.starts_with("month_day:") => {
            let n: u32 = p["month_day:".len()..].parse().unwrap_or(1);
            let next = date.with_day(1).and_then(|d| d.checked_add_months(chrono::Months::new(1)));
            let last = next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day());
            date.day() == n.min(last)
        }
        p => {
            let name = match wd {
                Mon => "monday",
                Tue => "tuesday",
                Wed => "wednesday",
                Thu => "thursday",
                Fri => "friday",
                Sat => "saturday",
                Sun => "sunday",
            };
            name == p
        }
    }
}

/// Does the zone's UTC offset change within a year (daylight saving time)?
/// The first day from `first` on which `zone` changes its clocks, within two years.
pub(crate) fn first_clock_change(zone: &str, first: NaiveDate) -> Option<NaiveDate> {
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    let offset = |d: NaiveDate| {
        let noon = d.and_hms_opt(12, 0, 0)?;
        Some(tz.offset_from_utc_datetime(&noon).fix().local_minus_utc())
    };
    let mut before = offset(first)?;
    for k in 1..=2 * 366 {
        let d = first + Duration::days(k);
        let now = offset(d)?;
        if now != before {
            return Some(d);
        }
        before = now;
    }
    None
}

/// Whether the clocks of `zone` may change: a named zone with daylight saving, or each
/// customer's own zone (an attribute may name any zone, else the program's).
pub(crate) fn zone_changes_clocks(program: &Program, zone: &Zone) -> bool {
    match zone {
        Zone::Named(z) => changes_clocks(z),
        Zone::Customer => program.timezone_attribute.is_some() || changes_clocks(&program.timezone),
    }
}

fn changes_clocks(zone: &str) -> bool {
    // asked at every `wait until` of every path walked: remembered per zone (a program
    // names a few)
    thread_local! {
        static KNOWN: std::cell::RefCell<Vec<(String, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(known) = KNOWN.with(|k| k.borrow().iter().find(|(z, _)| z == zone).map(|(_, c)| *c)) {
        return known;
    }
    let changes = offsets_change(zone);
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() < 64 {
            k.push((zone.to_string(), changes));
        }
    });
    changes
}

fn offsets_change(zone: &str) -> bool {
    let Ok(tz) = zone.parse::<chrono_tz::Tz>() else { return false };
    let offset = |m: u32| {
        let at = NaiveDate::from_ymd_opt(2025, m, 1).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("a valid date");
        tz.offset_from_utc_datetime(&at).fix().local_minus_utc()
    };
    let jan = offset(1);
    (2..=12).any(|m| offset(m) != jan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(period: &str, zone: &str, re_entry: ReEntry) -> Recurrence {
        let mut j = crate::analysis::testing::journey("r")
            .entry(Trigger::Schedule { period: period.into(), minute_of_day: 22 * 60, zone: Zone::Named(zone.into()) })
            .build();
        j.re_entry = re_entry;
        let p = crate::analysis::testing::program(vec![], vec![j.clone()]);
        Recurrence::of(&j, &p).expect("recurs")
    }

    /// The engine's rules, one customer, step by step over real minutes: the oracle.
    fn brute(r: &Recurrence, sends: &[u64], length: u64, window: u64) -> u64 {
        let mut best = 0;
        for s in 0..r.starts {
            let mut times = Vec::new();
            let (mut last_entry, mut busy_until): (Option<u64>, Option<u64>) = (None, None);
            for &run in &r.runs[s..] {
                if busy_until.is_some_and(|b| run < b)
                    || last_entry == Some(run)
                    || last_entry.is_some_and(|l| run - l < r.after)
                {
                    continue;
                }
                last_entry = Some(run);
                busy_until = Some(run + length);
                times.extend(sends.iter().map(|o| run + o));
                if run > r.runs[s] + 3 * window + length {
                    break;
                }
            }
            let reach = window.saturating_sub(r.shrink).max(1);
            for (i, &t) in times.iter().enumerate() {
                best = best.max(times[i..].iter().filter(|&&u| u - t < reach).count() as u64);
            }
        }
        best
    }

    #[test]
    fn a_daily_send_counts_every_run() {
        let r = rec("day", "UTC", ReEntry::Always);
        assert_eq!(r.densest(&[0], 0, 7 * DAY, None).count, 7);
        assert_eq!(r.densest(&[0], 0, 7 * DAY, None).entries, 7);
        // a pass of two days and one minute skips two runs
        assert_eq!(r.densest(&[0], 2 * DAY + 1, 7 * DAY, None).count, 3);
        assert_eq!(r.least_after(&[0], 0, 7 * DAY, 2), Some(4 * DAY));
    }

    #[test]
    fn a_weekly_send_fits_a_weekly_cap() {
        assert_eq!(rec("monday", "UTC", ReEntry::Always).densest(&[0], 0, 7 * DAY, None).count, 1);
        assert_eq!(rec("monday", "UTC", ReEntry::Always).densest(&[0], 0, 7 * DAY + 1, None).count, 2);
        // daylight saving can move a send an hour either way
        assert_eq!(rec("monday", "Europe/Berlin", ReEntry::Always).densest(&[0], 0, 7 * DAY + 60, None).count, 1);
        assert_eq!(rec("monday", "Europe/Berlin", ReEntry::Always).densest(&[0], 0, 7 * DAY + 61, None).count, 2);
    }

    #[test]
    fn months_are_lined_up_on_their_shortest() {
        // 28 days from a February 15th to March 15th
        let r = rec("month_day:15", "UTC", ReEntry::Always);
        assert_eq!(r.densest(&[0], 0, 29 * DAY, None).count, 2);
        assert_eq!(r.densest(&[0], 0, 28 * DAY, None).count, 1);
    }

    #[test]
    fn the_chain_agrees_with_stepping_through_every_run() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let periods = ["day", "weekday", "weekend", "monday", "month_day:31", "month_day:1"];
        for _ in 0..400 {
            let period = periods[next(periods.len() as u64) as usize];
            let zone = ["UTC", "America/Chicago"][next(2) as usize];
            let re_entry = match next(3) {
                0 => ReEntry::Always,
                _ => ReEntry::After { minutes: next(10 * DAY) + 1 },
            };
            let r = rec(period, zone, re_entry);
            let mut sends: Vec<u64> = (0..1 + next(3)).map(|_| next(4 * DAY)).collect();
            sends.sort_unstable();
            let length = sends.last().copied().unwrap_or(0) + next(2) * next(3 * DAY);
            let window = [DAY, 3 * DAY, 7 * DAY, 30 * DAY][next(4) as usize];
            assert_eq!(
                r.densest(&sends, length, window, None).count,
                brute(&r, &sends, length, window),
                "{period} {zone} {:?} sends {sends:?} length {length} window {window}",
                r.after
            );
        }
    }
}
