//! `journey calendar` after a scheduled entry and a `wait until` a time of day in the
//! other of the two zones a customer without their own zone is in: the schedule's
//! bare zone (the project's) and `local` (the customer's, the project's for them).
//! The calendar shows times for such a customer (docs/calendar.md), and the engine
//! sends them the message at the time waited for; every view placed it at the entry
//! time instead, as if the wait took no time.

mod common;
use common::{code, journey, stderr, stdout, traced_sends};

const JOURNEY: &str = r#"event visit
channel email { kind email }

journey weekly {
  entry every monday at 09:00 ENTRY_ZONE
  re_entry always
  stage a {
    wait until 14:00 WAIT_ZONE
    send email "afternoon"
    end
  }
}
"#;

/// The project with the entry's and the wait's zones written as given, in a temp dir.
fn project(entry_zone: &str, wait_zone: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("journey.yaml"), "timezone: America/New_York\n").unwrap();
    let text = JOURNEY.replace(" ENTRY_ZONE", entry_zone).replace(" WAIT_ZONE", wait_zone);
    std::fs::write(d.join("weekly.journey"), text).unwrap();
    std::fs::write(d.join("log.csv"), "customer_id,timestamp,event\nc1,2026-01-01T12:00:00Z,visit\n").unwrap();
    std::fs::write(d.join("attrs.csv"), "customer_id\nc1\n").unwrap();
    dir
}

fn calendar(d: &std::path::Path, format: &str) -> String {
    let out = journey(&["calendar", "--format", format], d);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

#[test]
fn a_wait_until_after_a_scheduled_entry_is_placed_when_the_engine_sends() {
    for (entry_zone, wait_zone) in [(" local", ""), ("", " local"), ("", ""), (" local", " local")] {
        let dir = project(entry_zone, wait_zone);
        let d = dir.path();
        let case = format!("entry at 09:00{entry_zone}, wait until 14:00{wait_zone}");
        // the engine: Monday 2026-01-05 at 14:00 in New York (19:00 UTC)
        let sends = traced_sends(d, "2026-01-05", "2026-01-06");
        assert_eq!(sends.len(), 1, "{case}: {sends:?}");
        assert_eq!(sends[0][0], "2026-01-05T19:00:00Z", "{case}");
        let csv = calendar(d, "csv");
        assert!(csv.lines().nth(1).unwrap().starts_with("1,1,14:00,300,weekly,"), "{case}: {csv}");
        let table = calendar(d, "table");
        assert!(table.contains("day 1  14:00  weekly"), "{case}: {table}");
        let ical = calendar(d, "ical");
        assert!(ical.contains("DTSTART;TZID=America/New_York:20260105T140000"), "{case}: {ical}");
        let html = calendar(d, "html");
        assert!(html.contains("14:00 <strong>weekly</strong>"), "{case}");
        assert!(html.contains("day 1 14:00 · email"), "{case}");
        assert!(!html.contains("09:00 <strong>weekly</strong>"), "{case}");
    }
}
