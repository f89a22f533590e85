//! A JSON lines row with a mapped key twice (docs/events.md, "Bad rows"), on the B2B
//! project: the parser kept the last value silently, so `"event": "login", "event":
//! "invoice_paid"` was read as a payment with exit 0.

mod common;
use common::{code, root, stderr, stdout};

#[test]
fn a_key_given_twice_is_a_bad_row_not_the_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let rows = [
        r#"{"customer_id": "u1", "timestamp": "2026-03-02T09:00:00Z", "event": "login", "properties": {"device": "web"}}"#,
        r#"{"customer_id": "u1", "timestamp": "2026-03-03T09:00:00Z", "event": "login", "event": "invoice_paid", "properties": {"amount": 10, "invoice_id": "i1"}}"#,
        // the same property at the top level and in `properties`
        r#"{"customer_id": "u1", "timestamp": "2026-03-04T09:00:00Z", "event": "invoice_paid", "amount": 5, "properties": {"amount": 10, "invoice_id": "i2"}}"#,
    ];
    std::fs::write(&log, rows.join("\n") + "\n").unwrap();
    let b2b = root().join("tests/projects/b2b");
    let run = |args: &[&str]| common::journey_in_columns(args, &b2b, 200);
    let path = log.to_str().unwrap();

    let out = run(&["events", "validate", path]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("log.jsonl:2:") && err.contains("`event` appears twice in the row"), "{err}");

    let out = run(&["events", "validate", path, "--skip-bad-rows"]);
    let text = stdout(&out);
    assert!(text.contains("3 rows, 1 events") && text.contains("malformed row"), "{text}");
    assert!(!text.contains("invoice_paid"), "no row was read as a payment: {text}");
}
