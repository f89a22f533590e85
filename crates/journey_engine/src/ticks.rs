//! A scheduled journey's ticks without stepping through the period: time costs
//! nothing when nothing happens (issue 19, a typo'd year 9999 in a log).
//!
//! The ticks are the instants `next_tick` chains from the period's start. They are
//! computed lazily, a year-long chunk at a time, shared by every customer of a zone
//! (the calendar arithmetic of a tick costs more than the rest of an entry); a customer
//! only ever asks for the tick it arms next. The ticks a customer skips (parked:
//! every one of them would only be counted as refused) are counted without being
//! listed: by enumeration over a few chunks for a span of up to ten years, by calendar
//! arithmetic beyond (the matching local dates of the span), except around the rare
//! days a zone skipped or repeated a whole day, where enumeration stays exact.

use crate::time::{self, DAY};
use crate::{CTrigger, Engine};
use chrono::{Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Width of a chunk of shared ticks. Every schedule period recurs within 31 days, so a
/// chunk that has no tick is the period's last one (or the period never matches).
pub(crate) const CHUNK: i64 = 366 * DAY;
/// Spans up to this long are counted by listing their ticks (a few shared chunks).
const LISTED_SPAN: i64 = 10 * CHUNK;

/// A customer's view of a schedule's ticks: the chunk it looked at last (one pointer:
/// every customer keeps one per scheduled journey, issue 16).
pub(crate) type ChunkCursor = Option<Arc<Chunk>>;

/// Chunk `k` of a schedule's ticks in one zone.
#[derive(Debug)]
pub(crate) struct Chunk {
    k: u32,
    ticks: Box<[i64]>,
}

/// The engine's shared, lazily computed schedule ticks.
#[derive(Default)]
pub(crate) struct TickCache {
    /// Chunk `k` of journey `j` in zone `tz`: its ticks in `[start + k·CHUNK, start +
    /// (k+1)·CHUNK)` within the period.
    chunks: Mutex<HashMap<(usize, Tz, u32), Arc<Chunk>>>,
    /// By zone: the spans around a whole day skipped or repeated (offset jumps of 20
    /// hours or more), where counting by calendar dates would be wrong.
    irregular: Mutex<HashMap<Tz, Arc<[(i64, i64)]>>>,
    /// How many tick instants were computed, for the tests of bounded work.
    computed: AtomicU64,
}

impl std::fmt::Debug for TickCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TickCache").field("computed", &self.computed.load(Ordering::Relaxed)).finish()
    }
}

/// One scheduled journey's ticks: its period and local minute within the simulated
/// period (`key` tells journeys apart in the cache).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sched<'a> {
    pub key: usize,
    pub period: &'a str,
    pub minute: u32,
    pub start: i64,
    pub until: i64,
}

impl Sched<'_> {
    fn chunk_of(&self, t: i64) -> u32 {
        ((t - self.start).max(0) / CHUNK).min(u32::MAX as i64) as u32
    }

    fn chunk_start(&self, k: u32) -> i64 {
        self.start.saturating_add(k as i64 * CHUNK)
    }
}

impl TickCache {
    /// How many tick instants were computed so far.
    pub(crate) fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// Chunk `k` of schedule `s`'s ticks in zone `tz`.
    fn chunk(&self, s: &Sched, tz: Tz, k: u32) -> Arc<Chunk> {
        let mut cache = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((s.key, tz, k))
            .or_insert_with(|| {
                let end = s.chunk_start(k).saturating_add(CHUNK).min(s.until.saturating_add(1));
                let mut v = Vec::new();
                let mut t = s.chunk_start(k) - 1;
                while let Some(n) = time::next_tick(tz, t, s.period, s.minute).filter(|&n| n < end) {
                    v.push(n);
                    t = n;
                }
                self.computed.fetch_add(v.len() as u64, Ordering::Relaxed);
                Arc::new(Chunk { k, ticks: v.into_boxed_slice() })
            })
            .clone()
    }

    /// Chunk `k` through the customer's cursor: borrowed from it when it holds that
    /// chunk (no lock, no hash, no reference count: this runs for every armed tick
    /// and every unpark), else fetched from the shared cache and kept there.
    fn cursor_chunk<'c>(&self, s: &Sched, tz: Tz, k: u32, cursor: &'c mut ChunkCursor) -> &'c Chunk {
        if cursor.as_ref().is_some_and(|c| c.k != k) {
            *cursor = None;
        }
        cursor.get_or_insert_with(|| self.chunk(s, tz, k))
    }

    /// Schedule `s`'s first tick at or after `x` in zone `tz` (`None`: none left in
    /// the period).
    pub(crate) fn at_or_after(&self, s: &Sched, tz: Tz, x: i64, cursor: &mut ChunkCursor) -> Option<i64> {
        let x = x.max(s.start);
        if x > s.until {
            return None;
        }
        let k = s.chunk_of(x);
        let c = self.cursor_chunk(s, tz, k, cursor);
        if let Some(&t) = c.ticks.get(c.ticks.partition_point(|&t| t < x)) {
            return Some(t);
        }
        // none left in this chunk: the next one starts with the next tick, if any
        if c.ticks.is_empty() || s.chunk_start(k + 1) > s.until {
            return None;
        }
        self.cursor_chunk(s, tz, k + 1, cursor).ticks.first().copied()
    }

    /// How many of schedule `s`'s ticks in zone `tz` fall in `[a, b)`; `cursor` as
    /// for [`TickCache::at_or_after`] (it ends on the last chunk counted).
    pub(crate) fn count(&self, s: &Sched, tz: Tz, a: i64, b: i64, cursor: &mut ChunkCursor) -> u64 {
        let a = a.max(s.start);
        let b = b.min(s.until.saturating_add(1));
        if a >= b {
            return 0;
        }
        if b - a <= LISTED_SPAN {
            return self.count_listed(s, tz, a, b, cursor);
        }
        let mut n = 0;
        let mut at = a;
        for &(from, to) in self.irregular(s, tz).iter() {
            let (from, to) = (from.max(at), to.min(b));
            if from >= to {
                continue;
            }
            n += count_by_dates(tz, s.period, s.minute, at, from) + self.count_listed(s, tz, from, to, cursor);
            at = to;
        }
        n + count_by_dates(tz, s.period, s.minute, at, b)
    }

    fn count_listed(&self, s: &Sched, tz: Tz, a: i64, b: i64, cursor: &mut ChunkCursor) -> u64 {
        let mut n = 0;
        for k in s.chunk_of(a)..=s.chunk_of(b - 1) {
            let c = self.cursor_chunk(s, tz, k, cursor);
            n += (c.ticks.partition_point(|&t| t < b) - c.ticks.partition_point(|&t| t < a)) as u64;
        }
        n
    }

    /// The spans of the period around a whole local day skipped or repeated in `tz`
    /// (a UTC offset change of 20 hours or more between two samples a year apart),
    /// widened by two days on each side. The period is the engine's, the same for
    /// every schedule.
    fn irregular(&self, s: &Sched, tz: Tz) -> Arc<[(i64, i64)]> {
        let mut cache = self.irregular.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(tz)
            .or_insert_with(|| {
                let offset = |t: i64| {
                    chrono::DateTime::from_timestamp_millis(t)
                        .map(|d| tz.offset_from_utc_datetime(&d.naive_utc()).fix().local_minus_utc() as i64)
                        .unwrap_or(0)
                };
                let step = 365 * DAY;
                let mut spans: Vec<(i64, i64)> = Vec::new();
                let mut t = s.start;
                let mut before = offset(t);
                while t <= s.until {
                    let next = t.saturating_add(step);
                    let after = offset(next);
                    if (after - before).abs() >= 20 * 3600 {
                        let span = (t - 2 * DAY, next + 2 * DAY);
                        match spans.last_mut() {
                            Some(last) if last.1 >= span.0 => last.1 = span.1,
                            _ => spans.push(span),
                        }
                    }
                    (t, before) = (next, after);
                }
                spans.into()
            })
            .clone()
    }
}

impl Engine<'_> {
    /// How many schedule tick instants this engine computed so far: bounded by the
    /// ticks customers may enter on, not by the length of the period.
    pub fn schedule_ticks_computed(&self) -> u64 {
        self.tick_cache.computed()
    }

    /// Scheduled journey `j`'s ticks.
    pub(crate) fn sched(&self, j: usize) -> Option<Sched<'_>> {
        match &self.journeys[j].trigger {
            CTrigger::Schedule { period, minute, .. } => Some(Sched {
                key: j,
                period: period.as_str(),
                minute: *minute,
                start: self.opts.start,
                until: self.opts.until,
            }),
            _ => None,
        }
    }
}

/// The instant of local day `day` (days since 1970-01-01) at `minute` in `tz`, as a
/// schedule tick on that day.
fn tick_on(tz: Tz, day: i64, minute: u32) -> i64 {
    time::day_at_minute(tz, day, minute)
}

fn date_of(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day)
}

fn day_of(date: NaiveDate) -> i64 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// The first local day whose tick is at or after `x` (ticks grow with the day outside
/// the irregular spans).
fn first_day_at_or_after(tz: Tz, period: &str, minute: u32, x: i64) -> i64 {
    let mut day = time::local_day(tz, x) - 2;
    for _ in 0..400 {
        if time::period_matches(period, date_of(day)) && tick_on(tz, day, minute) >= x {
            return day;
        }
        day += 1;
    }
    day
}

/// How many ticks fall in `[a, b)`, from the matching local dates between the first
/// day whose tick is at or after `a` and the first at or after `b`. Exact where ticks
/// strictly grow with the day: everywhere but the irregular spans.
fn count_by_dates(tz: Tz, period: &str, minute: u32, a: i64, b: i64) -> u64 {
    if a >= b {
        return 0;
    }
    let d0 = first_day_at_or_after(tz, period, minute, a);
    let d1 = first_day_at_or_after(tz, period, minute, b);
    matching_days(period, d0, d1)
}

/// How many local days in `[d0, d1)` the schedule `period` includes (as
/// [`time::period_matches`] says), by arithmetic.
pub(crate) fn matching_days(period: &str, d0: i64, d1: i64) -> u64 {
    if d1 <= d0 {
        return 0;
    }
    if let Some(n) = period.strip_prefix("month_day:") {
        let n: u32 = n.parse().unwrap_or(1);
        return month_days(n, d0, d1);
    }
    // bit w: weekday w, counted from Monday
    let mask: u8 = match period {
        "day" => 0x7f,
        "weekday" => 0x1f,
        "weekend" => 0x60,
        p => (0..7u8)
            .find(|&w| time::weekday_name(chrono::Weekday::try_from(w).expect("0..7")) == p)
            .map_or(0, |w| 1 << w),
    };
    let n = d1 - d0;
    let mut count = (n / 7) as u64 * mask.count_ones() as u64;
    for d in d0 + n / 7 * 7..d1 {
        // 1970-01-01 was a Thursday (3 days from Monday)
        if mask >> (d + 3).rem_euclid(7) & 1 == 1 {
            count += 1;
        }
    }
    count
}

/// `month_day:n` days in `[d0, d1)`: one a month (its last day when the month is
/// shorter), so only the first and last month need looking at.
fn month_days(n: u32, d0: i64, d1: i64) -> u64 {
    if n == 0 {
        return 0;
    }
    let month = |date: NaiveDate| date.year() as i64 * 12 + date.month0() as i64;
    let target = |m: i64| {
        let (y, m0) = (m.div_euclid(12) as i32, m.rem_euclid(12) as u32);
        let first = NaiveDate::from_ymd_opt(y, m0 + 1, 1).expect("a month's first day");
        let next = first.checked_add_months(chrono::Months::new(1)).expect("date in range");
        let last = (next - first).num_days() as u32;
        day_of(first) + n.min(last) as i64 - 1
    };
    let inside = |m: i64| u64::from((d0..d1).contains(&target(m)));
    let (m0, m1) = (month(date_of(d0)), month(date_of(d1 - 1)));
    if m0 == m1 {
        inside(m0)
    } else {
        inside(m0) + inside(m1) + (m1 - m0 - 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The ticks as the engine listed them before: the whole chain from the start.
    fn chain(tz: Tz, period: &str, minute: u32, start: i64, until: i64) -> Vec<i64> {
        let mut v = Vec::new();
        let mut t = start - 1;
        while let Some(n) = time::next_tick(tz, t, period, minute).filter(|&n| n <= until) {
            v.push(n);
            t = n;
        }
        v
    }

    const PERIODS: &[&str] = &[
        "day",
        "weekday",
        "weekend",
        "monday",
        "sunday",
        "month_day:1",
        "month_day:15",
        "month_day:29",
        "month_day:31",
        "month_day:0",
        "fortnight",
    ];
    /// Zones with daylight saving at midnight, half-hour offsets, a skipped day
    /// (Apia and Fakaofo, 2011-12-30) and a repeated one (Kwajalein went the other
    /// way in 1993).
    const ZONES: &[&str] = &[
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/Santiago",
        "America/Havana",
        "Asia/Beirut",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "Pacific/Apia",
        "Pacific/Fakaofo",
        "Pacific/Kwajalein",
        "America/Sao_Paulo",
    ];

    #[test]
    fn matching_days_agrees_with_period_matches_day_by_day() {
        for p in PERIODS {
            for (d0, len) in [(0, 0), (-400, 900), (15_000, 1), (19_700, 3000), (20_089, 31)] {
                let brute = (d0..d0 + len).filter(|&d| time::period_matches(p, date_of(d))).count() as u64;
                assert_eq!(matching_days(p, d0, d0 + len), brute, "{p} from day {d0}, {len} days");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

        /// Counting and arming from the lazy chunks give what listing the whole
        /// chain gave, over spans of days to decades, around skipped days included.
        #[test]
        fn lazy_ticks_are_the_chain(
            zone in prop::sample::select(ZONES),
            period in prop::sample::select(PERIODS),
            minute in prop::sample::select(&[0u32, 30, 90, 150, 540, 1410, 1439][..]),
            start_day in 14_000i64..16_000,
            days in 1i64..9000,
            cuts in prop::collection::vec(0.0f64..1.0, 2..6),
        ) {
            let tz: Tz = zone.parse().unwrap();
            let start = time::day_at_minute(tz, start_day, 0) + 1234;
            let until = start + days * DAY;
            let s = Sched { key: 0, period, minute, start, until };
            let all = chain(tz, period, minute, start, until);
            let cache = TickCache::default();
            let mut cuts: Vec<i64> = cuts.iter().map(|c| start - DAY + (c * (days + 2) as f64 * DAY as f64) as i64).collect();
            cuts.sort_unstable();
            let mut cursor = None;
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1]);
                let listed = all.iter().filter(|&&t| a <= t && t < b).count() as u64;
                // through the cursor the arming left, and through none (the shared cache)
                prop_assert_eq!(cache.count(&s, tz, a, b, &mut cursor), listed, "ticks in [{}, {})", a, b);
                prop_assert_eq!(cache.count(&s, tz, a, b, &mut None), listed, "ticks in [{}, {}), no cursor", a, b);
                let next = all.iter().copied().find(|&t| t >= a);
                prop_assert_eq!(cache.at_or_after(&s, tz, a, &mut cursor), next, "first tick from {}", a);
            }
            prop_assert_eq!(cache.count(&s, tz, i64::MIN, i64::MAX, &mut cursor), all.len() as u64);
        }
    }

    /// A schedule over eight thousand years: the first and last ticks and the count,
    /// computing only the chunks asked for.
    #[test]
    fn a_period_of_millennia_costs_a_few_chunks() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let start = time::day_at_minute(tz, time::parse_date("2025-01-01").unwrap(), 0);
        let until = time::day_at_minute(tz, time::parse_date("9999-12-31").unwrap() + 1, 0) - 1;
        let s = Sched { key: 0, period: "day", minute: 9 * 60, start, until };
        let cache = TickCache::default();
        let mut cursor = None;
        let late = time::day_at_minute(tz, time::parse_date("9999-01-30").unwrap(), 10 * 60);
        let first = cache.at_or_after(&s, tz, late, &mut cursor).unwrap();
        assert_eq!(time::day_label(tz, first), "9999-01-31");
        let days = time::parse_date("9999-12-31").unwrap() - time::parse_date("2025-01-01").unwrap() + 1;
        assert_eq!(cache.count(&s, tz, start, until + 1, &mut cursor), days as u64);
        assert!(cache.computed() < 1000, "{} ticks computed", cache.computed());
    }
}
