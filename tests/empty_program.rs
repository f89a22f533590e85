//! `journey simulate` on files that parse but declare no journeys: refused with a
//! message saying so (it used to report nothing, or fail on the log's first row with
//! "unknown event" when no events were declared either).

mod common;

use common::{code, journey, stderr, stdout};
use std::fs;

fn simulate_in(files: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    fs::write(dir.path().join("log.csv"), "customer_id,timestamp,event\nc1,2025-01-01T10:00:00Z,purchase\n").unwrap();
    let out = journey(&["simulate", "--events", "log.csv"], dir.path());
    (code(&out), stdout(&out), stderr(&out))
}

#[test]
fn declarations_without_journeys_are_refused() {
    let (code, out, err) = simulate_in(&[("schema.journey", "event purchase\n")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no journeys to simulate: the 1 journey file read declares none"), "{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn comments_only_are_refused_before_the_log_is_read() {
    let (code, out, err) = simulate_in(&[("a.journey", "// nothing yet\n"), ("b.journey", "// nor here\n")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no journeys to simulate: the 2 journey files read declare none"), "{err}");
    assert!(!err.contains("unknown event"), "{err}");
}

#[test]
fn one_journey_is_enough() {
    let program = "event purchase\n\njourney thanks {\n  entry on purchase\n\n  stage s {\n    end\n  }\n}\n";
    let (code, out, err) = simulate_in(&[("p.journey", program)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("thanks"), "{out}");
}
