//! Wall-clock arithmetic in a customer's time zone. Every instant is milliseconds since
//! the Unix epoch (UTC); local dates and times exist only inside these helpers.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;

pub const MINUTE: i64 = 60_000;
pub const DAY: i64 = 24 * 60 * MINUTE;

/// The local date-time of an instant.
pub fn local(tz: Tz, t: i64) -> NaiveDateTime {
    memo::local(tz, t)
}

/// [`local`] computed (chrono-tz's search of the zone's transitions every time).
fn local_uncached(tz: Tz, t: i64) -> NaiveDateTime {
    tz.timestamp_millis_opt(t)
        .single()
        .map(|d| d.naive_local())
        .unwrap_or_else(|| chrono::DateTime::from_timestamp_millis(t).expect("timestamp in range").naive_utc())
}

/// The instant a local date-time denotes ([`journey_events::time::local_instant`]): an
/// ambiguous time (clocks going back) is its earlier instant; a time that does not
/// exist (clocks going forward) is moved forward by the gap (02:30 to 03:30).
pub fn instant(tz: Tz, dt: NaiveDateTime) -> i64 {
    memo::instant(tz, dt)
}

/// The last answers of [`local`] and [`instant`], per thread (issue 16). Both are
/// pure functions of their arguments, and each costs a search of the zone's
/// transitions and some calendar arithmetic (~500 instructions): a send asks the
/// local time of the same instant for the quiet days, the quiet hours and the day's
/// tally, and many customers of one zone wait until the same local time of the same
/// day (`wait until 10:00`, midnights, schedule ticks). A slot holds the last answer
/// whose arguments hash to it; a miss computes the answer as before. The same answers
/// as computing each, whatever was asked before (the tests' oracle).
mod memo {
    use super::{instant_uncached, local_uncached};
    use chrono::NaiveDateTime;
    use chrono::{Datelike, NaiveDate};
    use chrono_tz::Tz;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::hash::{BuildHasherDefault, Hasher};

    const LOCAL_SLOTS: usize = 64;
    /// The repeated questions (`wait until 10:00` of one day, that day's midnight) come
    /// between many asked once (an event's time plus a `wait 3d`): with 512 slots the
    /// latter pushed the former out before they were asked again (8 in 10 missed on a
    /// year of 23,000 customers). 4096 slots of 32 bytes, 128 KiB per thread.
    const INSTANT_SLOTS: usize = 4096;

    type Slots<K, V, const N: usize> = RefCell<[Option<(K, V)>; N]>;

    /// [`on_the_clock`]'s answers, every one kept (up to [`CLOCK_MOST`], then all
    /// forgotten at once): a replay runs each customer over a group's weeks before the
    /// next customer, so between two customers' `wait until 10:00` of the same day come
    /// all the others' questions, and a table of slots lost most of them (3 in 4
    /// missed). The times of a clock are few (a zone, a day, a minute of the program).
    const CLOCK_MOST: usize = 1 << 16;

    thread_local! {
        static LOCAL: Slots<(Tz, i64), NaiveDateTime, LOCAL_SLOTS> = const { RefCell::new([None; LOCAL_SLOTS]) };
        static INSTANT: Slots<(Tz, NaiveDateTime), i64, INSTANT_SLOTS> =
            const { RefCell::new([None; INSTANT_SLOTS]) };
        static CLOCK: RefCell<HashMap<u64, i64, BuildHasherDefault<Mix>>> = RefCell::new(HashMap::default());
    }

    fn slot(tz: Tz, x: i64, slots: usize) -> usize {
        let h = (x as u64 ^ (tz as u64) << 52).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 32) as usize & (slots - 1)
    }

    fn cached<K: PartialEq + Copy, V: Copy, const N: usize>(
        memo: &'static std::thread::LocalKey<Slots<K, V, N>>,
        key: K,
        at: usize,
        compute: impl FnOnce() -> V,
    ) -> V {
        memo.with(|m| match m.try_borrow_mut() {
            Ok(mut m) => match m[at] {
                Some((k, v)) if k == key => v,
                _ => {
                    let v = compute();
                    m[at] = Some((key, v));
                    v
                }
            },
            Err(_) => compute(),
        })
    }

    pub fn local(tz: Tz, t: i64) -> NaiveDateTime {
        cached(&LOCAL, (tz, t), slot(tz, t, LOCAL_SLOTS), || local_uncached(tz, t))
    }

    pub fn instant(tz: Tz, dt: NaiveDateTime) -> i64 {
        let x = dt.and_utc().timestamp_millis();
        cached(&INSTANT, (tz, dt), slot(tz, x, INSTANT_SLOTS), || instant_uncached(tz, dt))
    }

    /// [`instant`] of minute `minute` of day `date` (see [`super::on_the_clock`]).
    pub fn on_the_clock(tz: Tz, date: NaiveDate, minute: u32) -> i64 {
        let compute = || instant_uncached(tz, super::at_minute(date, minute));
        // one number per question: a zone (fewer than 2^16), a day (32 bits), a minute
        // of the day (< 1440)
        let key = (tz as u64) << 48 | (date.num_days_from_ce() as u32 as u64) << 16 | u64::from(minute);
        CLOCK.with(|m| match m.try_borrow_mut() {
            Ok(mut m) => {
                if let Some(&v) = m.get(&key) {
                    return v;
                }
                if m.len() >= CLOCK_MOST {
                    m.clear();
                }
                let v = compute();
                m.insert(key, v);
                v
            }
            Err(_) => compute(),
        })
    }

    /// The hash of [`CLOCK`]'s keys: a SplitMix64 finaliser of the one `u64` (the
    /// standard SipHash cost more than the conversions it saved).
    #[derive(Default)]
    struct Mix(u64);

    impl Hasher for Mix {
        fn finish(&self) -> u64 {
            let mut h = self.0;
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        fn write_u64(&mut self, x: u64) {
            self.0 ^= x;
        }
    }
}

/// [`instant`] of minute `minute` of local day `date`: what many customers of a zone
/// ask of the same days (`wait until 10:00`, the end of quiet hours, midnights).
fn on_the_clock(tz: Tz, date: NaiveDate, minute: u32) -> i64 {
    memo::on_the_clock(tz, date, minute)
}

/// [`instant`] computed.
fn instant_uncached(tz: Tz, dt: NaiveDateTime) -> i64 {
    // the event reader's rule, so an event logged at a local time and a tick or wait
    // at that local time are one instant
    journey_events::time::local_instant(tz, dt)
}

/// Minute of the local day (0..1440).
pub fn minute_of_day(tz: Tz, t: i64) -> u32 {
    let l = local(tz, t);
    l.hour() * 60 + l.minute()
}

fn at_minute(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).expect("minute of day < 1440"))
}

/// The first instant `>= t` at which the local clock shows `minute` (exactly `minute`
/// at `t` counts as now: seconds are ignored only when the clock is already past it).
pub fn next_local_time(tz: Tz, t: i64, minute: u32) -> i64 {
    let mut date = local(tz, t).date();
    for _ in 0..4 {
        let c = on_the_clock(tz, date, minute);
        if c >= t {
            return c;
        }
        date = date.succ_opt().expect("date in range");
    }
    t
}

/// The next local midnight strictly after `t`.
pub fn next_local_midnight(tz: Tz, t: i64) -> i64 {
    let date = local(tz, t).date().succ_opt().expect("date in range");
    on_the_clock(tz, date, 0)
}

/// `t` plus a duration. Whole days follow the wall clock (`wait 1d` across a
/// daylight-saving change lands at the same local time); anything else is exact.
pub fn add_duration(tz: Tz, t: i64, minutes: u64) -> i64 {
    let ms = minutes as i64 * MINUTE;
    if minutes > 0 && minutes.is_multiple_of(24 * 60) {
        let l = local(tz, t);
        let days = minutes / (24 * 60);
        if let Some(d) = l.checked_add_days(Days::new(days)) {
            return instant(tz, d).max(t);
        }
    }
    t.saturating_add(ms)
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Does a schedule `period` (`day`, `weekday`, `weekend`, a weekday name,
/// `month_day:N`) include this local date? `month_day:N` past the month's end means
/// its last day.
pub fn period_matches(period: &str, date: NaiveDate) -> bool {
    let wd = date.weekday();
    match period {
        "day" => true,
        "weekday" => !matches!(wd, Weekday::Sat | Weekday::Sun),
        "weekend" => matches!(wd, Weekday::Sat | Weekday::Sun),
        p if p.starts_with("month_day:") => {
            let n: u32 = p["month_day:".len()..].parse().unwrap_or(1);
            let last = last_day_of_month(date);
            date.day() == n.min(last)
        }
        p => weekday_name(wd) == p,
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map(|d| d.day()).unwrap_or(28)
}

/// The first schedule tick strictly after `t`.
pub fn next_tick(tz: Tz, t: i64, period: &str, minute: u32) -> Option<i64> {
    let mut date = local(tz, t).date();
    for _ in 0..400 {
        if period_matches(period, date) {
            let c = instant(tz, at_minute(date, minute));
            if c > t {
                return Some(c);
            }
        }
        date = date.succ_opt()?;
    }
    None
}

/// The instant local day `days` (since 1970-01-01) shows `minute` of the day (moved
/// forward through a daylight-saving gap, as a schedule tick is).
pub fn day_at_minute(tz: Tz, days: i64, minute: u32) -> i64 {
    let date = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days);
    instant(tz, at_minute(date, minute))
}

/// Local midnight of a date given as days since 1970-01-01.
pub fn date_midnight(tz: Tz, days: i64) -> i64 {
    let date = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days);
    instant(tz, at_minute(date, 0))
}

/// The instant `date ± offset` denotes, as people read `renewal_date - 60d`: the whole
/// days of the offset move the local calendar date (so daylight saving never moves the
/// day), the rest (hours, minutes) is exact time from that date's local midnight.
/// `date` is days since 1970-01-01.
pub fn shifted_date_midnight(tz: Tz, date: i64, offset_minutes: i64) -> i64 {
    let (days, rest) = (offset_minutes / (24 * 60), offset_minutes % (24 * 60));
    date_midnight(tz, date + days) + rest * MINUTE
}

/// An instant shifted as [`shifted_date_midnight`] shifts a date: whole days of the
/// offset move the local date and keep the local time, the rest is exact.
pub fn shift_local(tz: Tz, t: i64, offset_minutes: i64) -> i64 {
    let (days, rest) = (offset_minutes / (24 * 60), offset_minutes % (24 * 60));
    let moved = match local(tz, t).checked_add_signed(chrono::Duration::days(days)) {
        Some(l) if days != 0 => instant(tz, l),
        _ => t,
    };
    moved.saturating_add(rest * MINUTE)
}

/// Days since 1970-01-01 of an ISO date.
pub fn parse_date(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some((d - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days())
}

/// Days since 1970-01-01 of the local date of an instant.
pub fn local_day(tz: Tz, t: i64) -> i64 {
    (local(tz, t).date() - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// The local date of an instant as `yyyy-mm-dd`.
pub fn day_label(tz: Tz, t: i64) -> String {
    local(tz, t).date().format("%Y-%m-%d").to_string()
}

/// The policy's quiet days (weekday names or ISO dates), parsed once: asked on every
/// send.
#[derive(Debug, Clone, Default)]
pub struct QuietDays {
    /// Bit `n`: weekday `n` days from Monday.
    weekdays: u8,
    dates: Vec<NaiveDate>,
}

impl QuietDays {
    pub fn new(days: &[String]) -> Self {
        let mut q = QuietDays::default();
        for d in days {
            let d = d.to_ascii_lowercase();
            if let Some(w) = (0..7u8).find(|&w| weekday_name(Weekday::try_from(w).expect("0..7")) == d) {
                q.weekdays |= 1 << w;
            } else if let Ok(date) = NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                q.dates.push(date);
            }
        }
        q
    }

    pub fn is_empty(&self) -> bool {
        self.weekdays == 0 && self.dates.is_empty()
    }

    pub fn contains(&self, tz: Tz, t: i64) -> bool {
        if self.is_empty() {
            return false;
        }
        let date = local(tz, t).date();
        self.weekdays & (1 << date.weekday().num_days_from_monday()) != 0 || self.dates.contains(&date)
    }
}

/// The `years`-th anniversary of a date (days since 1970-01-01): the same month and
/// day `years` later, February 28 for a February 29 in a common year.
pub fn anniversary(date: i64, years: i32) -> Option<i64> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let d = epoch.checked_add_signed(chrono::Duration::days(date))?;
    let y = d.year().checked_add(years)?;
    let on = NaiveDate::from_ymd_opt(y, d.month(), d.day()).or_else(|| NaiveDate::from_ymd_opt(y, d.month(), 28))?;
    Some((on - epoch).num_days())
}

/// When `entry at DATE_ATTR ± DUR at HH:MM` enters in the `years`-th year after the
/// date: the offset is applied to that year's [`anniversary`] (as
/// [`shifted_date_midnight`] applies it), so `birthday - 7d` is always seven days
/// before the day `birthday` enters, in a leap year or not; that day is then taken at
/// `minute`.
pub fn yearly_date_entry(tz: Tz, date: i64, years: i32, offset_minutes: i64, minute: u32) -> Option<i64> {
    let shifted = shifted_date_midnight(tz, anniversary(date, years)?, offset_minutes);
    Some(day_at_minute(tz, local_day(tz, shifted), minute))
}

#[cfg(test)]
mod memo_tests {
    use super::*;

    /// Oracle of the per-thread memo of `local` and `instant`: on seeded instants and
    /// local times in zones with and without daylight saving, many near their
    /// transitions, asked in an order that repeats some and makes others share a slot,
    /// every answer is the one computed afresh.
    #[test]
    fn memoised_conversions_answer_as_computed() {
        let zones: [Tz; 6] = [
            chrono_tz::America::New_York,
            chrono_tz::Europe::Berlin,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
            chrono_tz::America::Santiago,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // 2025-03-09 07:00 UTC (New York springs forward), 2025-10-26 01:00 UTC (Berlin falls back)
        let anchors = [1_741_503_600_000i64, 1_761_440_400_000, 1_735_689_600_000];
        let mut seen: Vec<(Tz, i64)> = Vec::new();
        for _ in 0..200_000 {
            let (tz, t) = if !seen.is_empty() && next(3) == 0 {
                seen[next(seen.len() as u64) as usize]
            } else {
                let tz = zones[next(zones.len() as u64) as usize];
                let t = anchors[next(3) as usize]
                    + (next(2 * 48 * 60) as i64 - 48 * 60) * MINUTE
                    + next(2) as i64 * next(60_000) as i64;
                seen.push((tz, t));
                (tz, t)
            };
            assert_eq!(local(tz, t), local_uncached(tz, t), "local {tz} {t}");
            // a local time that may fall in a gap or an overlap
            let dt = local_uncached(chrono_tz::UTC, t);
            assert_eq!(instant(tz, dt), instant_uncached(tz, dt), "instant {tz} {dt}");
            let (date, minute) = (dt.date(), dt.hour() * 60 + dt.minute());
            let on_clock = instant_uncached(tz, at_minute(date, minute));
            assert_eq!(on_the_clock(tz, date, minute), on_clock, "on the clock {tz} {dt}");
        }
    }
}
