//! Issue 16, small states: `journey simulate --state-memory` reports the customers'
//! states (bytes per customer, by part) on stderr and changes no output, on a project
//! that is not journeys/: the B2B one (tests/projects/b2b: accounts, account
//! aggregates, `for account` journeys, tasks, scheduled journeys), whose replay
//! exercises the sparse journey states, capped windowed counts, packed timers and
//! shared attribute texts and rows. The outputs of the compact states against the plain ones
//! were compared old binary against new (docs/engine.md, "Speed").

mod common;
use common::*;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `state memory: N bytes per customer (…)`, then one line per part: N and the parts.
fn parse(err: &str) -> (u64, Vec<(String, u64)>) {
    let mut lines = err.lines().skip_while(|l| !l.starts_with("state memory: "));
    let head = lines.next().expect("a state memory line");
    let total = head["state memory: ".len()..].split(' ').next().unwrap().parse().unwrap();
    let parts = lines
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().parse().unwrap())
        })
        .collect();
    (total, parts)
}

#[test]
fn state_memory_is_reported_and_changes_no_output_on_the_b2b_project() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    let gen = journey(
        &["events", "generate", "--seed", "7", "--customers", "300", "-o", s(&log), "--attributes", s(&attrs)],
        &dir,
    );
    assert_eq!(gen.status.code(), Some(0), "{}", stderr(&gen));
    let base = ["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"];
    let plain = journey(&base, &dir);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    for threads in ["1", "2"] {
        let mut args = base.to_vec();
        args.extend(["--state-memory", "--threads", threads]);
        let measured = journey(&args, &dir);
        assert_eq!(measured.status.code(), Some(0), "{}", stderr(&measured));
        assert_eq!(stdout(&measured), stdout(&plain), "the report is the same with --state-memory");
        let (total, parts) = parse(&stderr(&measured));
        assert!(total > 0, "{}", stderr(&measured));
        assert!(parts.iter().any(|(name, b)| name == "inline" && *b > 0), "{parts:?}");
        // the parts are rounded per customer: they add up to the total within one each
        let sum: u64 = parts.iter().map(|p| p.1).sum();
        assert!(sum.abs_diff(total) <= parts.len() as u64, "{total} against {parts:?}");
    }
}
