//! A local time the clocks skip (docs/engine.md, "Time"): the engine's schedule ticks
//! and waits and the event-log reader's times without an offset read it by one rule,
//! with the offset in force before the change, i.e. moved forward by the gap (RFC 5545,
//! Temporal's "compatible"): 02:30 on the night New York springs forward is 03:30 EDT.
//! The engine moved it to the first minute that exists (03:00) while the reader moved
//! it by the gap, so an event logged at 02:30 and a 02:30 tick of the same night were
//! half an hour apart.

mod common;
use common::{code, journey, stderr, stdout, traced_sends};

const PROJECT: &str = r#"event visit
channel email { kind email }

journey nightly {
  entry every day at 02:30 "America/New_York"
  re_entry always
  stage a {
    send email "nightly"
    end
  }
}

journey visited {
  entry on visit
  re_entry always
  stage a {
    send email "visit"
    end
  }
}
"#;

#[test]
fn a_skipped_local_time_is_moved_forward_by_the_gap_by_the_engine_and_the_reader_alike() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("journey.yaml"), "timezone: America/New_York\n").unwrap();
    std::fs::write(d.join("p.journey"), PROJECT).unwrap();
    // the second visit is logged at 02:30 local time, without an offset
    let log = "customer_id,timestamp,event\nc1,2026-03-01T12:00:00Z,visit\nc1,2026-03-08T02:30:00,visit\n";
    std::fs::write(d.join("log.csv"), log).unwrap();
    std::fs::write(d.join("attrs.csv"), "customer_id\nc1\n").unwrap();
    let out = journey(&["check"], d);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let sends: Vec<[String; 2]> =
        traced_sends(d, "2026-03-07", "2026-03-09").into_iter().map(|[t, _, _, template]| [t, template]).collect();
    let want = |rows: &[(&str, &str)]| -> Vec<[String; 2]> {
        rows.iter().map(|(t, m)| [t.to_string(), m.to_string()]).collect()
    };
    assert_eq!(
        sends,
        want(&[
            ("2026-03-07T07:30:00Z", "nightly"),
            ("2026-03-08T07:30:00Z", "nightly"),
            ("2026-03-08T07:30:00Z", "visit"),
            ("2026-03-09T06:30:00Z", "nightly"),
        ])
    );
}
