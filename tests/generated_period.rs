//! `journey events generate` keeps every customer inside the period it was asked for:
//! a customer whose zone puts their sign-up after the last day's end (an evening west
//! of the project's zone) or before the first day's start (a morning east of it) was
//! written into the attribute snapshot with no event, or signed up before the log's
//! first day; and a customer created on a date could answer a message sent earlier
//! that day than their sign-up. Now every customer of the snapshot is in the log,
//! their sign-up is their first event, and every event of the period lies inside it.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SCHEMA: &str = r#"
event signup { source: one_of("web", "app") }
event purchase { amount: money }
event email_open { template: text }
attribute email_opt_in: bool
attribute timezone: timezone
attribute signed_up_on: date

channel email {
  kind email
  consent email_opt_in
}

journey welcome {
  entry on signup
  audience email_opt_in
  stage hello {
    send email "welcome"
    end
  }
}
"#;

/// A project in `dir` with `yaml` as its journey.yaml and [`SCHEMA`].
fn project(dir: &Path, yaml: &str) {
    std::fs::create_dir_all(dir.join("journeys")).unwrap();
    std::fs::write(dir.join("journey.yaml"), yaml).unwrap();
    std::fs::write(dir.join("journeys/shop.journey"), SCHEMA).unwrap();
}

/// Generate `customers` over `days` days with `seed` in `dir`: the log's rows as
/// (customer, timestamp, event), and the customers of the attribute snapshot.
fn generate(dir: &Path, seed: &str, customers: &str, days: &str) -> (Vec<[String; 3]>, BTreeSet<String>) {
    let (log, attrs) = (dir.join("log.csv"), dir.join("attrs.csv"));
    let args = ["events", "generate", "--seed", seed, "--customers", customers, "--days", days, "-q"];
    let args: Vec<&str> =
        args.iter().copied().chain(["-o", log.to_str().unwrap(), "--attributes", attrs.to_str().unwrap()]).collect();
    let out = journey(&args, dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            [(); 3].map(|_| f.next().unwrap().to_string())
        })
        .collect();
    let people = std::fs::read_to_string(&attrs)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    (rows, people)
}

/// Every event at or after `from` (when given) and before `to`; every customer of the
/// snapshot in the log, with the sign-up `signup` as their first event.
fn assert_inside(rows: &[[String; 3]], people: &BTreeSet<String>, from: Option<&str>, to: &str, signup: &str) {
    let mut first: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for [c, t, e] in rows {
        assert!(t.as_str() < to, "{c}'s {e} at {t} is after the period's end {to}");
        if let Some(from) = from {
            assert!(t.as_str() >= from, "{c}'s {e} at {t} is before the period's start {from}");
        }
        first.entry(c).or_insert((t, e));
    }
    let logged: BTreeSet<String> = first.keys().map(|c| c.to_string()).collect();
    let missing: Vec<&String> = people.difference(&logged).collect();
    assert!(missing.is_empty(), "customers of the snapshot with no event in the log: {missing:?}");
    for (c, (t, e)) in &first {
        assert_eq!(*e, signup, "{c}'s first event is {e} at {t}, not their sign-up");
    }
}

#[test]
fn the_project_generator_keeps_sign_ups_inside_the_period() {
    // a UTC project: customers in Tokyo sign up on the first day's morning (the UTC
    // day before), customers in Los Angeles on the last day's evening (the UTC day after)
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "timezone: UTC\ninclude: [\"journeys/**\"]\nevents:\n  created_at: signed_up_on\n");
    let (rows, people) = generate(dir.path(), "3", "400", "3");
    assert_eq!(people.len(), 400);
    assert_inside(&rows, &people, Some("2025-01-01T00:00:00Z"), "2025-01-04T00:00:00Z", "signup");
    let (again, _) = generate(dir.path(), "3", "400", "3");
    assert_eq!(rows, again, "same seed, same log");
}

#[test]
fn the_northwind_generator_keeps_sign_ups_inside_the_period() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "timezone: UTC\ninclude: [\"journeys/**\"]\nevents:\n  generator: northwind\n");
    let (rows, people) = generate(dir.path(), "3", "400", "3");
    assert_eq!(people.len(), 400);
    assert_inside(&rows, &people, Some("2025-01-01T00:00:00Z"), "2025-01-04T00:00:00Z", "signup");
}

#[test]
fn the_b2b_log_starts_each_user_with_their_account() {
    // Berlin: the period ends at 2025-01-06 00:00 there; established users have a
    // history before the period (docs/events.md), so only the end bounds the log
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/projects/b2b"), dir.path());
    let (rows, people) = generate(dir.path(), "3", "300", "5");
    assert_eq!(people.len(), 300);
    assert_inside(&rows, &people, None, "2025-01-05T23:00:00Z", "account_created");
}
