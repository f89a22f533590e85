//! Every date the iCal export gives a send of a monthly schedule is a date the engine
//! sends it on, and the other way round, over three years: the engine's own schedule
//! (`next_tick`, wall-clock waits) is the oracle. `every month on 28` + `wait 5d` was
//! `RRULE:FREQ=MONTHLY;BYMONTHDAY=2`, wrong in five months of 2026.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use icalendar::parser::{read_calendar, unfold};
use journey_calendar::{build, ical, Tz};
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::time;
use std::collections::BTreeSet;

const END: (i32, u32, u32) = (2029, 1, 1);

fn end() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap().and_hms_opt(0, 0, 0).unwrap()
}

/// The export of one journey `every month on {day} at 09:00 "{zone}"` sending after
/// `wait`: its DTSTART and its RRULE or RDATE.
fn export(day: u32, zone: &str, wait: &str) -> (String, Option<String>, Option<String>) {
    let src = format!(
        "channel email {{\n  kind email\n}}\njourney m {{\n  entry every month on {day} at 09:00 \"{zone}\"\n  stage s {{\n    {wait}\n    send email \"x\"\n    end\n  }}\n}}\n"
    );
    let mut sources = SourceMap::new();
    let f = sources.add("m.journey", src.as_str());
    let settings = Settings { timezone: "UTC".into(), currency: "USD".into(), ..Settings::default() };
    let checked = check_sources(&sources, &[f], &settings);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{src}: {errors:#?}");
    let text = ical(&build(&checked.program));
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let ev = cal.components.iter().find(|c| c.name == "VEVENT").expect("one event");
    let get = |n: &str| ev.find_prop(n).map(|p| p.val.to_string());
    (get("DTSTART").unwrap(), get("RRULE"), get("RDATE"))
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn month_len(y: i32, m: u32) -> u32 {
    (28..=31).rev().find(|d| NaiveDate::from_ymd_opt(y, m, *d).is_some()).unwrap()
}

/// The starts the export says, before [`END`]: DTSTART, then the RDATEs or the
/// monthly RRULE expanded here (BYMONTHDAY days, negative from the month's end, and
/// BYSETPOS=-1 keeping each month's last), as RFC 5545 defines them.
fn exported(dtstart: &str, rrule: Option<&str>, rdate: Option<&str>) -> BTreeSet<NaiveDateTime> {
    let first = local(dtstart);
    let mut out = BTreeSet::from([first]);
    if let Some(list) = rdate {
        out.extend(list.split(',').map(local));
    }
    if let Some(rule) = rrule {
        let parts: Vec<(&str, &str)> = rule.split(';').map(|p| p.split_once('=').unwrap()).collect();
        let get = |k: &str| parts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        assert_eq!(get("FREQ"), Some("MONTHLY"), "{rule}");
        let days: Vec<i32> = get("BYMONTHDAY").unwrap().split(',').map(|d| d.parse().unwrap()).collect();
        let last_only = get("BYSETPOS") == Some("-1");
        let (mut y, mut m) = (first.year(), first.month());
        loop {
            let len = month_len(y, m) as i32;
            let mut in_month: Vec<i32> =
                days.iter().map(|d| if *d < 0 { len + 1 + d } else { *d }).filter(|d| (1..=len).contains(d)).collect();
            in_month.sort();
            if last_only {
                in_month = in_month.last().copied().into_iter().collect();
            }
            for d in in_month {
                out.insert(NaiveDate::from_ymd_opt(y, m, d as u32).unwrap().and_time(first.time()));
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            if y >= END.0 {
                break;
            }
        }
    }
    out.retain(|t| *t < end() && *t >= first);
    out
}

/// The local send times the engine produces for entries from 2026 on, before [`END`].
fn engine(day: u32, zone: &str, wait_minutes: u64) -> BTreeSet<NaiveDateTime> {
    let tz: Tz = zone.parse().unwrap();
    let period = format!("month_day:{day}");
    let mut t = time::instant(tz, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()) - 1;
    let mut out = BTreeSet::new();
    while let Some(tick) = time::next_tick(tz, t, &period, 9 * 60) {
        let at = time::local(tz, time::add_duration(tz, tick, wait_minutes));
        if time::local(tz, tick) >= end() {
            break;
        }
        if at < end() {
            out.insert(at);
        }
        t = tick;
    }
    out
}

#[test]
fn monthly_sends_fall_on_the_engines_dates_for_three_years() {
    // (wait as written, in minutes); hour waits in UTC, where wall clock and elapsed
    // time agree, day waits across Berlin's daylight-saving changes
    let cases: [(&str, u64, &str); 6] = [
        ("wait 1m", 1, "UTC"),
        ("wait 20h", 20 * 60, "UTC"),
        ("wait 5d", 5 * 1440, "Europe/Berlin"),
        ("wait 45d", 45 * 1440, "Europe/Berlin"),
        ("wait 3d", 3 * 1440, "UTC"),
        ("wait 2h", 120, "Europe/Berlin"),
    ];
    let mut checked = 0;
    // 29 to 31 are J406 errors, so a project cannot run them
    for day in [1, 2, 15, 27, 28] {
        for (wait, minutes, zone) in cases {
            let (dtstart, rrule, rdate) = export(day, zone, wait);
            let got = exported(&dtstart, rrule.as_deref(), rdate.as_deref());
            let want = engine(day, zone, minutes);
            assert!(want.len() >= 34, "{day} {wait}: three years of sends");
            assert_eq!(
                got.iter().collect::<Vec<_>>(),
                want.iter().collect::<Vec<_>>(),
                "every month on {day} + {wait} in {zone}: RRULE {rrule:?}"
            );
            checked += got.len();
        }
    }
    assert!(checked > 5 * 6 * 34);
}

#[test]
fn the_reported_case_lists_its_dates() {
    let (dtstart, rrule, rdate) = export(28, "UTC", "wait 5d");
    assert_eq!(dtstart, "20260202T090000");
    assert_eq!(rrule, None, "no RRULE says `5 days after the 28th`");
    let rdate = rdate.unwrap();
    // 28 February + 5d is 5 March, not 2 March
    assert!(rdate.starts_with("20260305T090000,20260402T090000,"), "{rdate}");
}
