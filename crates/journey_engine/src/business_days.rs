//! issue 15: business days. `wait 3 business days` lands at the same local time on the
//! third working day after the customer's current local date: weekends (Saturday and
//! Sunday unless journey.yaml says otherwise), the holidays of the customer's calendar
//! and the project's own listed dates are stepped over. The arithmetic is on local
//! calendar dates, as [`time::add_duration`] does for whole days, so a daylight-saving
//! change in between never moves the time of day.
//!
//! The built-in calendars are national public holidays, computed from their rules
//! (fixed dates, nth weekdays, Easter), so they hold for any year; they were checked
//! against the published lists for 2025-2028 (see the tests):
//! * US: the federal holidays of 5 U.S.C. 6103(a), observed on the Friday before when
//!   they fall on a Saturday and the Monday after when on a Sunday (6103(b), Executive
//!   Order 11582), as OPM publishes them (opm.gov, "Federal Holidays").
//! * GB: the bank holidays of England and Wales (Banking and Financial Dealings Act
//!   1971, Schedule 1, and the royal proclamations), with substitute days on the next
//!   weekday that is not already a holiday, as gov.uk/bank-holidays lists them.
//!   One-off holidays (coronations, jubilees) are not in the rules: list them under
//!   `holidays`.
//! * DE: the nine holidays observed in every German state (Neujahr, Karfreitag,
//!   Ostermontag, 1. Mai, Christi Himmelfahrt, Pfingstmontag, Tag der Deutschen
//!   Einheit, 1. and 2. Weihnachtstag; the states' own laws, e.g. FTG Berlin). State
//!   holidays (Fronleichnam, Reformationstag, …) differ by state: list them.
//! * FR: the jours fériés of the Code du travail, article L3133-1 (Alsace-Moselle's
//!   extra days are not in it).

use crate::time;
use crate::AttrValue;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use chrono_tz::Tz;
use journey_ir::BusinessDays;

/// Built-in holidays are computed for these years (inclusive); outside them only the
/// weekend and the listed dates are days off.
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2199;

/// Which days are working days for one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCalendar {
    /// By `Weekday::num_days_from_monday`.
    weekend: [bool; 7],
    /// Days off other than the weekend, as days since 1970-01-01, ascending.
    days_off: Vec<i64>,
}

impl WorkCalendar {
    /// `country`: a built-in calendar's code (`None`: no built-in holidays); `weekend`:
    /// weekday names; `listed`: more days off (`YYYY-MM-DD`; unparsable ones, which
    /// journey.yaml's check refuses, are left out).
    pub fn new(country: Option<&str>, weekend: &[String], listed: &[String]) -> WorkCalendar {
        let mut off = [false; 7];
        for name in weekend {
            if let Some(d) = journey_ir::weekday_number(name) {
                off[d] = true;
            }
        }
        if off.iter().all(|&o| o) {
            // no working day at all would make every business-day wait endless: the
            // configuration check refuses it, and the engine falls back to Sat/Sun
            off = [false, false, false, false, false, true, true];
        }
        let mut days_off: Vec<i64> = listed.iter().filter_map(|d| time::parse_date(d)).collect();
        if let Some(c) = country {
            for year in FIRST_YEAR..=LAST_YEAR {
                days_off.extend(holidays(c, year).into_iter().map(day_number));
            }
        }
        days_off.sort_unstable();
        days_off.dedup();
        WorkCalendar { weekend: off, days_off }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !self.weekend[date.weekday().num_days_from_monday() as usize]
            && self.days_off.binary_search(&day_number(date)).is_err()
    }
}

/// The calendars of a program: the project's default and, with a country attribute,
/// one per built-in calendar.
#[derive(Debug)]
pub(crate) struct Calendars {
    default: WorkCalendar,
    by_country: Vec<(&'static str, WorkCalendar)>,
    country_attr: Option<usize>,
}

impl Calendars {
    pub fn new(bd: &BusinessDays, attribute_index: impl Fn(&str) -> Option<usize>) -> Calendars {
        let default = WorkCalendar::new(bd.calendar.as_deref(), &bd.weekend, &bd.holidays);
        let country_attr = bd.country_attribute.as_deref().and_then(attribute_index);
        let by_country = match country_attr {
            Some(_) => journey_ir::BUILTIN_CALENDARS
                .iter()
                .map(|&c| (c, WorkCalendar::new(Some(c), &bd.weekend, &bd.holidays)))
                .collect(),
            None => Vec::new(),
        };
        Calendars { default, by_country, country_attr }
    }

    /// The customer's calendar: the one their country attribute names (`us`, `US`;
    /// `UK` is GB), else the project's.
    pub fn for_customer(&self, attrs: &[AttrValue]) -> &WorkCalendar {
        let country = self.country_attr.and_then(|a| match attrs.get(a) {
            Some(AttrValue::Text(t)) => Some(t.trim()),
            _ => None,
        });
        let Some(country) = country else { return &self.default };
        let code = if country.eq_ignore_ascii_case("UK") { "GB" } else { country };
        self.by_country.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map_or(&self.default, |(_, cal)| cal)
    }
}

/// `t` plus `days` working days: the same local time on the `days`-th working day
/// after `t`'s local date (a Saturday plus one business day is the Monday). A time
/// that does not exist that day (a daylight-saving gap) moves forward, as
/// [`time::instant`] does.
pub fn add_business_days(tz: Tz, t: i64, days: u64, cal: &WorkCalendar) -> i64 {
    let local = time::local(tz, t);
    let mut date = local.date();
    let mut left = days;
    while left > 0 {
        date = match date.checked_add_days(Days::new(1)) {
            Some(d) => d,
            None => return i64::MAX,
        };
        if cal.is_working_day(date) {
            left -= 1;
        }
    }
    time::instant(tz, date.and_time(local.time())).max(t)
}

fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid holiday date")
}

/// The `n`-th (1-based) `wd` of a month.
fn nth_weekday(y: i32, m: u32, wd: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, wd, n).expect("every month has four of each weekday")
}

/// The last `wd` of a month.
fn last_weekday(y: i32, m: u32, wd: Weekday) -> NaiveDate {
    let next = if m == 12 { ymd(y + 1, 1, 1) } else { ymd(y, m + 1, 1) };
    let mut d = next.pred_opt().expect("date in range");
    while d.weekday() != wd {
        d = d.pred_opt().expect("date in range");
    }
    d
}

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus, Astronomical
/// Algorithms, ch. 8).
pub fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(y, month as u32, day as u32)
}

/// The days off of a built-in calendar that are named for `year` (a US observed day
/// can fall in the year before: New Year's Day on a Saturday is observed on 31 Dec).
pub fn holidays(country: &str, year: i32) -> Vec<NaiveDate> {
    use Weekday::*;
    let shift = |d: NaiveDate, days: i64| d + chrono::Duration::days(days);
    let easter = easter(year);
    match country {
        "US" => {
            let observed = |d: NaiveDate| match d.weekday() {
                Sat => shift(d, -1),
                Sun => shift(d, 1),
                _ => d,
            };
            vec![
                observed(ymd(year, 1, 1)),
                nth_weekday(year, 1, Mon, 3),  // Birthday of Martin Luther King, Jr.
                nth_weekday(year, 2, Mon, 3),  // Washington's Birthday
                last_weekday(year, 5, Mon),    // Memorial Day
                observed(ymd(year, 6, 19)),    // Juneteenth
                observed(ymd(year, 7, 4)),     // Independence Day
                nth_weekday(year, 9, Mon, 1),  // Labor Day
                nth_weekday(year, 10, Mon, 2), // Columbus Day
                observed(ymd(year, 11, 11)),   // Veterans Day
                nth_weekday(year, 11, Thu, 4), // Thanksgiving Day
                observed(ymd(year, 12, 25)),
            ]
        }
        "GB" => {
            let mut days = vec![
                shift(easter, -2), // Good Friday
                shift(easter, 1),  // Easter Monday
                nth_weekday(year, 5, Mon, 1),
                last_weekday(year, 5, Mon),
                last_weekday(year, 8, Mon),
            ];
            // New Year's, Christmas and Boxing Day move to the next weekday that is
            // not already a holiday (Christmas on a Sunday: Tuesday 27th, as Monday
            // 26th is Boxing Day)
            let fixed = [ymd(year, 1, 1), ymd(year, 12, 25), ymd(year, 12, 26)];
            let mut taken: Vec<NaiveDate> = fixed.to_vec();
            for d in fixed {
                if matches!(d.weekday(), Sat | Sun) {
                    let mut s = shift(d, 1);
                    while matches!(s.weekday(), Sat | Sun) || taken.contains(&s) {
                        s = shift(s, 1);
                    }
                    taken.push(s);
                    days.push(s);
                } else {
                    days.push(d);
                }
            }
            days
        }
        "DE" => vec![
            ymd(year, 1, 1),
            shift(easter, -2),
            shift(easter, 1),
            ymd(year, 5, 1),
            shift(easter, 39), // Christi Himmelfahrt
            shift(easter, 50), // Pfingstmontag
            ymd(year, 10, 3),
            ymd(year, 12, 25),
            ymd(year, 12, 26),
        ],
        "FR" => vec![
            ymd(year, 1, 1),
            shift(easter, 1),
            ymd(year, 5, 1),
            ymd(year, 5, 8),
            shift(easter, 39), // Ascension
            shift(easter, 50), // lundi de Pentecôte
            ymd(year, 7, 14),
            ymd(year, 8, 15),
            ymd(year, 11, 1),
            ymd(year, 11, 11),
            ymd(year, 12, 25),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, Timelike};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn list(country: &str, year: i32) -> Vec<String> {
        let mut v: Vec<String> = holidays(country, year).iter().map(|d| d.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn easter_sundays_2025_to_2028() {
        let got: Vec<String> = (2025..=2028).map(|y| easter(y).to_string()).collect();
        assert_eq!(got, ["2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16"]);
    }

    #[test]
    fn us_federal_holidays_as_opm_lists_them() {
        // opm.gov, federal holidays 2026: July 4 is a Saturday, observed Friday July 3
        assert_eq!(
            list("US", 2026),
            [
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-06-19",
                "2026-07-03",
                "2026-09-07",
                "2026-10-12",
                "2026-11-11",
                "2026-11-26",
                "2026-12-25"
            ]
        );
        // 2028 New Year's Day is a Saturday: observed Friday 2027-12-31; Christmas
        // 2027 (a Saturday) on Friday 2027-12-24
        assert!(list("US", 2028).contains(&"2027-12-31".to_string()));
        assert!(list("US", 2027).contains(&"2027-12-24".to_string()));
    }

    #[test]
    fn england_and_wales_bank_holidays_with_substitute_days() {
        // gov.uk/bank-holidays 2026: Boxing Day (a Saturday) on Monday 28 December
        assert_eq!(
            list("GB", 2026),
            [
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-04",
                "2026-05-25",
                "2026-08-31",
                "2026-12-25",
                "2026-12-28"
            ]
        );
        // 2027: Christmas on a Saturday and Boxing Day on a Sunday: Monday 27, Tuesday 28
        let y2027 = list("GB", 2027);
        assert!(y2027.contains(&"2027-12-27".to_string()) && y2027.contains(&"2027-12-28".to_string()));
        // 2028 New Year's Day, a Saturday: Monday 3 January
        assert!(list("GB", 2028).contains(&"2028-01-03".to_string()));
    }

    #[test]
    fn german_and_french_movable_feasts() {
        assert_eq!(
            list("DE", 2026),
            [
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-01",
                "2026-05-14",
                "2026-05-25",
                "2026-10-03",
                "2026-12-25",
                "2026-12-26"
            ]
        );
        let fr = list("FR", 2025);
        assert_eq!(fr.len(), 11);
        // Ascension and Whit Monday 2025, from Easter on 20 April
        assert!(fr.contains(&"2025-05-29".to_string()) && fr.contains(&"2025-06-09".to_string()));
    }

    fn at(tz: Tz, s: &str) -> i64 {
        time::instant(tz, NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn local(tz: Tz, t: i64) -> String {
        time::local(tz, t).format("%Y-%m-%d %H:%M").to_string()
    }

    fn weekend() -> Vec<String> {
        vec!["saturday".into(), "sunday".into()]
    }

    #[test]
    fn a_wait_steps_over_the_weekend_and_a_holiday() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let us = WorkCalendar::new(Some("US"), &weekend(), &[]);
        // Wednesday before Thanksgiving + 2 business days: Friday, then Monday
        let t = at(tz, "2026-11-25 10:00");
        assert_eq!(local(tz, add_business_days(tz, t, 2, &us)), "2026-11-30 10:00");
        // without the calendar, Thursday counts
        let plain = WorkCalendar::new(None, &weekend(), &[]);
        assert_eq!(local(tz, add_business_days(tz, t, 2, &plain)), "2026-11-27 10:00");
        // a Saturday plus one business day is the Monday
        assert_eq!(local(tz, add_business_days(tz, at(tz, "2026-11-28 15:30"), 1, &us)), "2026-11-30 15:30");
        // a listed date is a day off too
        let listed = WorkCalendar::new(Some("US"), &weekend(), &["2026-11-27".into()]);
        assert_eq!(local(tz, add_business_days(tz, t, 1, &listed)), "2026-11-30 10:00");
        // a Friday-Saturday weekend
        let gulf = WorkCalendar::new(None, &["fri".into(), "sat".into()], &[]);
        assert_eq!(local(tz, add_business_days(tz, at(tz, "2026-11-26 10:00"), 1, &gulf)), "2026-11-29 10:00");
    }

    #[test]
    fn a_wait_across_a_daylight_saving_change_keeps_the_local_time() {
        // Berlin leaves summer time on Sunday 2026-10-25: Friday 10:00 + 1 business day
        // is Monday 10:00, 73 hours later
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let de = WorkCalendar::new(Some("DE"), &weekend(), &[]);
        let t = at(tz, "2026-10-23 10:00");
        let due = add_business_days(tz, t, 1, &de);
        assert_eq!(local(tz, due), "2026-10-26 10:00");
        assert_eq!(due - t, 73 * 3_600_000);
        // and over German Unity Day (Saturday 2026-10-03 is a weekend anyway) into
        // Easter: Thursday before Good Friday + 1 is Tuesday after Easter Monday
        assert_eq!(local(tz, add_business_days(tz, at(tz, "2026-04-02 09:00"), 1, &de)), "2026-04-07 09:00");
        // a time the clocks skip that day moves forward by the gap, as `wait 1d`
        // does: 02:30 on 2027-03-28 (spring forward in Berlin) is 03:30
        let t = at(tz, "2027-03-26 02:30");
        let plain = WorkCalendar::new(None, &["monday".into()], &[]);
        assert_eq!(local(tz, add_business_days(tz, t, 2, &plain)), "2027-03-28 03:30");
    }

    const ZONES: [&str; 4] = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC"];

    proptest! {
        /// Against a naive count: walking the local dates one by one from the start,
        /// the due date is the `days`-th working one, at the same local time unless
        /// that time does not exist on it.
        #[test]
        fn matches_a_day_by_day_count(
            start in 1_735_689_600_000i64..1_861_920_000_000i64, // 2025-01-01 .. 2029-01-01
            days in 0u64..40,
            zone in 0usize..4,
            country in 0usize..5,
            extra in proptest::collection::vec(0i64..1460, 0..10),
        ) {
            let tz: Tz = ZONES[zone].parse().unwrap();
            let base = d("2025-01-01");
            let listed: Vec<String> = extra.iter().map(|&o| (base + chrono::Duration::days(o)).to_string()).collect();
            let country = BUILTIN_CALENDARS_OR_NONE[country];
            let cal = WorkCalendar::new(country, &weekend(), &listed);
            let due = add_business_days(tz, start, days, &cal);
            prop_assert!(due >= start);
            let from = time::local(tz, start);
            let to = time::local(tz, due);
            // the naive count: every date after the start up to the due date
            let mut counted = 0;
            let mut date = from.date();
            while date < to.date() {
                date = date.succ_opt().unwrap();
                let holiday = listed.contains(&date.to_string())
                    || country.is_some_and(|c| holidays(c, date.year()).contains(&date) || holidays(c, date.year() + 1).contains(&date));
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !holiday {
                    counted += 1;
                }
            }
            prop_assert_eq!(counted, days);
            if days > 0 {
                prop_assert!(cal.is_working_day(to.date()));
                // the same local time, or later when the clocks skipped it that day
                let (a, b) = (from.time().num_seconds_from_midnight(), to.time().num_seconds_from_midnight());
                prop_assert!(a == b || (b > a && b - a <= 3600), "{} -> {}", from, to);
            } else {
                prop_assert_eq!(due, start);
            }
        }
    }

    const BUILTIN_CALENDARS_OR_NONE: [Option<&str>; 5] = [None, Some("US"), Some("GB"), Some("DE"), Some("FR")];
}
