//! issue 15, business days on the B2B project (tests/projects/b2b): onboarding's
//! `stalled` stage creates a CSM task, waits 3 business days and asks the CRM for a
//! follow-up. journey.yaml gives German holidays by default, a clinic's own country's
//! (GB, US) by its `country` attribute, and two office-closed dates. Replayed from a
//! generated log, every follow-up must land on the third working day after its task,
//! counted day by day in the customer's time zone and calendar, at the same local time.

mod common;
use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

/// Is `date` a day off for a clinic of `country`, as tests/projects/b2b/journey.yaml
/// says: weekends, the country's holidays if built in (else Germany's), and the two
/// listed dates.
fn day_off(country: &str, date: NaiveDate) -> bool {
    let calendar = match country {
        "GB" | "US" => country,
        _ => "DE",
    };
    let listed = ["2026-12-24", "2026-12-31"].contains(&date.to_string().as_str());
    let holidays = |y| journey_engine::business_days::holidays(calendar, y);
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        || listed
        || holidays(date.year()).contains(&date)
        || holidays(date.year() + 1).contains(&date)
}

#[test]
fn b2b_compiles_business_days_into_the_ir() {
    let dir = root().join("tests/projects/b2b");
    let out = journey(&["compile"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ir["business_days"]["calendar"], "DE");
    assert_eq!(ir["business_days"]["country_attribute"], "country");
    let waits: Vec<&serde_json::Value> = ir["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|j| j["nodes"].as_array().unwrap())
        .filter(|n| n["step"] == "wait_business_days")
        .collect();
    assert_eq!(waits.len(), 1);
    assert_eq!((waits[0]["id"].as_str(), waits[0]["days"].as_u64()), (Some("stalled#1"), Some(3)));
}

#[test]
fn b2b_calendar_names_the_business_day_wait() {
    let out = journey(&["calendar"], &root().join("tests/projects/b2b"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("waits:    stalled#1: 3 business days (placed as if no weekend or holiday fell in between)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn replayed_follow_ups_land_three_working_days_after_the_task() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = generated_log(&dir, tmp.path());
    let trace = tmp.path().join("t.csv");
    let out = journey(&["simulate", "-q", "--events", s(&log), "--attributes", s(&attrs), "--trace", s(&trace)], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let customers: BTreeMap<String, (String, Tz)> = csv_rows(&attrs)
        .into_iter()
        .map(|r| {
            (r["customer_id"].clone(), (r["country"].clone(), r["timezone"].parse().unwrap_or(Tz::Europe__Berlin)))
        })
        .collect();
    let mut task_at: BTreeMap<String, i64> = BTreeMap::new();
    let (mut checked, mut stepped_over, mut countries) = (0, 0, std::collections::BTreeSet::new());
    for row in csv_rows(&trace) {
        let t = chrono::DateTime::parse_from_rfc3339(&row["time"]).unwrap().timestamp_millis();
        match row["node"].as_str() {
            "stalled#0" => {
                task_at.insert(row["customer"].clone(), t);
            }
            "stalled#2" => {
                let (country, tz) = &customers[&row["customer"]];
                let task = task_at.remove(&row["customer"]).expect("a follow-up comes after its task");
                let local = |t: i64| chrono::TimeZone::timestamp_millis_opt(tz, t).unwrap().naive_local();
                let (from, to) = (local(task), local(t));
                assert_eq!(from.time(), to.time(), "{}: the local time is kept", row["customer"]);
                assert!(!day_off(country, to.date()), "{}: {} is a day off in {country}", row["customer"], to);
                // the naive count: each local date after the task's, up to the follow-up's
                let mut working = 0;
                let mut date = from.date();
                while date < to.date() {
                    date = date.succ_opt().unwrap();
                    working += u32::from(!day_off(country, date));
                }
                assert_eq!(working, 3, "{}: task {from}, follow-up {to} ({country})", row["customer"]);
                stepped_over += u32::from((to.date() - from.date()).num_days() > 3);
                countries.insert(country.clone());
                checked += 1;
            }
            _ => {}
        }
    }
    // enough follow-ups, from clinics of several countries, to mean something
    assert!(checked >= 20, "only {checked} follow-ups");
    assert!(stepped_over > 0 && countries.len() >= 3, "{stepped_over} over a day off; countries {countries:?}");
}
