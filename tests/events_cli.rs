//! End-to-end tests of `journey events` (docs/events.md).

mod common;
use common::text;
use std::process::Output;

/// From the repository root, 200 columns wide: messages name long temporary paths.
fn journey(args: &[&str]) -> Output {
    common::journey_in_columns(args, &common::root(), 200)
}

#[test]
fn generate_is_seeded_and_its_log_validates_against_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    let attrs = dir.path().join("attributes.csv");
    let log = log.to_str().unwrap();
    let out = journey(&[
        "events",
        "generate",
        "--seed",
        "7",
        "--customers",
        "120",
        "--days",
        "45",
        "-o",
        log,
        "--attributes",
        attrs.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = std::fs::read(log).unwrap();
    let out = journey(&["events", "generate", "--seed", "7", "--customers", "120", "--days", "45"]);
    assert_eq!(out.stdout, first, "same seed, same bytes");
    assert!(text(&std::fs::read(&attrs).unwrap()).starts_with("customer_id,first_name,country,timezone"));

    let out = journey(&["events", "validate", log, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((110..=120).contains(&v["customers"].as_u64().unwrap()), "{v}");
    assert_eq!(v["rows"], v["events"]);
    assert!(v["events"].as_u64().unwrap() > 1000);
    assert!(v["first"].as_str().unwrap().starts_with("2025-01-0"), "{v}");
}

#[test]
fn validate_reads_cdnow_with_its_mapping() {
    let out = journey(&[
        "events",
        "validate",
        "tests/data/cdnow/CDNOW_sample.txt",
        "--config",
        "tests/data/cdnow/journey-events.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "tests/data/cdnow/CDNOW_sample.txt: 6,919 rows, 6,919 events, 2,357 customers, \
         1997-01-01T00:00:00Z to 1998-06-30T00:00:00Z\n  purchase                       6,919\nrevenue: 244091.94\n"
    );
}

#[test]
fn a_bad_row_is_reported_with_file_line_and_column_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.csv");
    std::fs::write(
        &log,
        "customer_id,timestamp,event\nc1,2026-01-05T10:00:00Z,session\nc1,31/01/2026,session\n\
         c2,2026-01-05T10:00:00Z,teleport\nc1,2026-01-01T10:00:00Z,session\n",
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let out = journey(&["events", "validate", log]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.csv:3:4: expected a timestamp like 2026-01-31T09:00:00Z or 2026-01-31 09:00:00, found"),
        "{err}"
    );
    assert!(err.contains(" 3 | c1,31/01/2026,session"), "{err}");

    let out = journey(&["events", "validate", log, "--skip-bad-rows"]);
    assert_eq!(out.status.code(), Some(1), "skipped rows fail validation");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("4 rows, 1 events, 1 customers"), "{stdout}");
    for want in
        ["skipped 3 bad rows:", "unparsable timestamp", "unknown event `teleport`: 1", "out of order for its customer"]
    {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }

    let out = journey(&["events", "validate", log, "--skip-bad-rows", "--sort"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("4 rows, 2 events, 1 customers"), "sorting accepts the late row:\n{stdout}");
}
