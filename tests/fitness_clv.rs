//! tests/projects/fitness: a fitness app written from docs/ alone, with a hand-written
//! log of the edge cases real data has (offsets like `+0545`, daylight-saving days in
//! both hemispheres, events before sign-up, a duplicate row). What `journey clv` read wrong in it.

mod common;

use std::path::PathBuf;

use common::{code, journey, root, stderr, stdout};

fn project() -> PathBuf {
    root().join("tests/projects/fitness")
}

/// The log `journey simulate` reads (offsets `+05:30`, `+0545`, `-05:00`, `Z`, a
/// naive local time) is read by `journey clv` too: docs/events.md accepts `+0100`
/// and `+01` as offsets, and the CLV reader stopped at the Kathmandu row.
#[test]
fn clv_reads_the_offsets_the_event_log_reader_reads() {
    let dir = project();
    let validate = journey(&["events", "validate", "data/events.csv"], &dir);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
    for (log, amount) in [("data/events.csv", Some("minutes")), ("data/events.jsonl", None)] {
        let mut args =
            vec!["clv", "fit", "--model", "bg-nbd", "--input", log, "--event", "workout", "--format", "json"];
        if let Some(a) = amount {
            args.extend(["--amount", a]);
        }
        let out = journey(&args, &dir);
        assert!(!stderr(&out).contains("as a timestamp"), "{log}: {}", stderr(&out));
        assert_ne!(code(&out), 2, "{log}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        // the workouts of 10 customers, the Kathmandu one's included
        assert_eq!(v["customers"].as_f64(), Some(10.0), "{log}: {v}");
        assert!(v["source"].as_str().is_some_and(|s| s.contains("21 rows of other events")), "{log}: {v}");
    }
}

/// A bad timestamp in a JSON lines log is labelled at its value, not the whole line
/// (as a CSV cell is), and the column says where it starts.
#[test]
fn clv_json_lines_errors_point_at_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("renewals.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"customer_id": "c1", "timestamp": "2026-03-08T10:00:00-0800", "amount": 9.99}"#,
            "\n",
            r#"{"customer_id": "c2", "timestamp": "08/03/2026", "amount": 9.99}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", "renewals.jsonl"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(r#"renewals.jsonl:2:36: cannot read "08/03/2026" as a timestamp"#), "{err}");
    // the label is under the value only
    let caret = err.lines().find(|l| l.contains('^')).expect("a label");
    assert_eq!(caret.matches('^').count() + caret.matches('|').count(), r#""08/03/2026""#.len(), "{err}");
    assert!(err.contains("help: accepted:"), "{err}");
}
