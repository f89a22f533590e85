//! `journey simulate` with a far-future date (a typo'd year 9999 in the log or in
//! `--to`): time costs nothing when nothing happens, so eight thousand years run as fast
//! as a few days (minutes and a gigabyte before, then a refusal), and the report counts
//! every daily tick of the period exactly.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A daily scheduled journey (the kind whose cost grows with the period) and an
/// event-triggered one.
const FIXTURE: &str = r#"event purchase
attribute email_opt_in: bool

channel email {
  kind email
  consent email_opt_in
}

journey daily_tip {
  entry every day at 09:00 "UTC"
  audience email_opt_in

  stage tip {
    send email "daily-tip"
    end
  }
}

journey receipt {
  entry on purchase

  stage thanks {
    send email "receipt-thanks"
    end
  }
}
"#;

/// The fixture project with a three-customer log, its last row `last`.
fn fixture(last: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("journeys.journey"), FIXTURE).unwrap();
    fs::write(
        d.join("log.csv"),
        format!(
            "customer_id,timestamp,event\nc1,2025-01-01T10:00:00Z,purchase\nc2,2025-01-02T10:00:00Z,purchase\n{last}\n"
        ),
    )
    .unwrap();
    fs::write(d.join("attrs.csv"), "customer_id,email_opt_in\nc1,true\nc2,false\nc3,true\n").unwrap();
    dir
}

/// Run `journey simulate` in `dir`, killed after a generous bound (the old binary ran
/// for minutes on these inputs): exit code, stdout, stderr.
fn simulate(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(["simulate", "--events", "log.csv", "--attributes", "attrs.csv"])
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("journey simulate still running after 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), reader.join().unwrap(), err_reader.join().unwrap())
}

/// Days from 2025-01-01 to `last`, both included: the daily ticks of the period.
fn days_to(last: &str) -> u64 {
    let d = |s: &str| journey_engine::time::parse_date(s).unwrap();
    (d(last) - d("2025-01-01") + 1) as u64
}

fn report(out: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    v["journeys"]["daily_tip"].clone()
}

#[test]
fn a_year_9999_event_runs_and_counts_every_day() {
    let dir = fixture("c3,9999-01-30T10:00:00Z,purchase");
    let (code, out, err) = simulate(dir.path(), &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (r, n) = (report(&out), days_to("9999-01-30"));
    // c1 exists from 10:00 on the first day and enters on the second, then may not
    // re-enter; c2 is opted out from its second day; c3 exists after the last tick
    assert_eq!(r["entrants"], 1, "{r}");
    assert_eq!(r["before_exists"], 1 + 2 + n, "{r}");
    assert_eq!(r["filtered_out"], n - 2, "{r}");
    assert_eq!(r["re_entry_blocked"], n - 2, "{r}");
}

#[test]
fn a_year_9999_to_runs() {
    let dir = fixture("c3,2025-01-03T10:00:00Z,purchase");
    let (code, out, err) = simulate(dir.path(), &["--to", "9999-12-31"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2025-01-01 to 9999-12-31"), "{out}");
    let (code, out, err) = simulate(dir.path(), &["--to", "9999-12-31", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (r, n) = (report(&out), days_to("9999-12-31"));
    assert_eq!(r["entrants"], 2, "{r}");
    assert_eq!(r["before_exists"], 1 + 2 + 3, "{r}");
    assert_eq!(r["filtered_out"], n - 2, "{r}");
    assert_eq!(r["re_entry_blocked"], (n - 2) + (n - 4), "{r}");
}

#[test]
fn ending_the_period_before_the_typo_gives_a_sane_report() {
    let dir = fixture("c3,9999-01-30T10:00:00Z,purchase");
    let (code, out, err) = simulate(dir.path(), &["--from", "2025-01-01", "--to", "2025-01-10", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = v.to_string();
    // the two purchases in the period (the year 9999 row is after it); the daily tip
    // once to c1, the one opted-in customer who exists in the period (c3 exists from
    // its first event, in year 9999: docs/engine.md), the receipt to the one opted in
    assert_eq!(v["events"], 2, "{text}");
    assert_eq!(v["customers"], 3, "{text}");
    assert_eq!(v["journeys"]["daily_tip"]["entrants"], 1, "{text}");
    assert!(v["journeys"]["daily_tip"]["before_exists"].as_u64().unwrap() > 0, "{text}");
    assert_eq!(v["journeys"]["receipt"]["entrants"], 2, "{text}");
    assert_eq!(v["sends"], 2, "{text}");
}

#[test]
fn a_long_plausible_period_still_runs() {
    let dir = fixture("c3,2025-01-03T10:00:00Z,purchase");
    let (code, out, err) = simulate(dir.path(), &["--to", "2099-12-31"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2025-01-01 to 2099-12-31"), "{out}");
}

/// An empty period names the bound that came from the log: `--from` past the log's
/// end was reported as "--to is before --from" with no `--to` given.
#[test]
fn an_empty_period_names_the_bound_taken_from_the_log() {
    let dir = fixture("c3,2025-01-03T10:00:00Z,purchase");
    let (code, _, err) = simulate(dir.path(), &["--from", "2027-01-01"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--from 2027-01-01 is after the log's last day, 2025-01-03"), "{err}");
    let (code, _, err) = simulate(dir.path(), &["--to", "2024-12-01"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--to 2024-12-01 is before the log's first day, 2025-01-01"), "{err}");
    let (code, _, err) = simulate(dir.path(), &["--from", "2025-01-05", "--to", "2025-01-02"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--to 2025-01-02 is before --from 2025-01-05"), "{err}");
}
