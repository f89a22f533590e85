//! Delimited rows whose field count is not their header's (docs/events.md, "Bad rows"),
//! on the B2B project. An unquoted thousands separator (`1,234.50`) split one value in
//! two and shifted every later cell of its row: the row was read as amount 1 and
//! invoice `234.50`, the last field dropped, with exit 0 and nothing counted.

mod common;
use common::{code, root, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Output;

fn b2b() -> PathBuf {
    root().join("tests/projects/b2b")
}

fn journey(args: &[&str]) -> Output {
    common::journey_in_columns(args, &b2b(), 200)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const HEADER: &str = "customer_id,timestamp,event,device,amount,invoice_id\n";

#[test]
fn an_event_row_with_more_or_fewer_fields_than_its_header_is_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    let rows = [
        "u1,2026-03-02T09:00:00Z,login,web,,",
        "u1,2026-03-03T09:00:00Z,invoice_paid,,1,234.50,inv-7",
        // one blank field too many: a shift whose pushed-out field was empty looks
        // exactly like this, so it is refused too
        "u1,2026-03-04T09:00:00Z,login,ios,,,",
        "u1,2026-03-05T09:00:00Z,login",
    ];
    std::fs::write(&log, format!("{HEADER}{}\n", rows.join("\n"))).unwrap();

    let out = journey(&["events", "validate", s(&log)]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("log.csv:3:"), "the line of the row: {err}");
    assert!(err.contains("the row has 7 fields but the header has 6"), "{err}");
    assert!(err.contains("must be quoted (\"1,234.50\")"), "{err}");

    let out = journey(&["events", "validate", s(&log), "--skip-bad-rows"]);
    assert_eq!(code(&out), 1, "skipped rows fail validation: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("4 rows, 1 events, 1 customers"), "{text}");
    assert!(text.contains("skipped 3 bad rows:") && text.contains("malformed row"), "{text}");

    // the short row alone, to see its own message
    std::fs::write(&log, format!("{HEADER}{}\n", rows[3])).unwrap();
    let out = journey(&["events", "validate", s(&log)]);
    let err = stderr(&out);
    assert!(err.contains("log.csv:2:") && err.contains("the row has 3 fields but the header has 6"), "{err}");
    assert!(err.contains("the row ends after this field"), "{err}");
}

/// A new user's export: the last columns empty on every row, so the field an
/// unquoted `1,234.50` pushes out is blank. It was read as amount 1 (the rest of the
/// row shifted one cell right) with exit 0.
#[test]
fn a_shift_whose_pushed_out_field_is_blank_is_still_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    let header = "customer_id,timestamp,event,amount,invoice_id,device\n";
    let rows = ["u1,2026-03-03T09:00:00Z,invoice_paid,1,234.50,,", "u2,2026-03-03T09:00:00Z,invoice_paid,1234.50,,"];
    std::fs::write(&log, format!("{header}{}\n", rows.join("\n"))).unwrap();
    let out = journey(&["events", "validate", s(&log)]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("log.csv:2:") && err.contains("the row has 7 fields but the header has 6"), "{err}");

    // rows that all end with a delimiter read once the header line ends with one too
    let header = "customer_id,timestamp,event,amount,invoice_id,device,\n";
    let rows = ["u1,2026-03-03T09:00:00Z,invoice_paid,1234.50,,,", "u2,2026-03-03T09:00:00Z,login,,,web,"];
    std::fs::write(&log, format!("{header}{}\n", rows.join("\n"))).unwrap();
    let out = journey(&["events", "validate", s(&log)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("2 rows, 2 events, 2 customers"), "{}", stdout(&out));
}

#[test]
fn the_bad_row_validate_stops_at_is_a_json_error_object_in_the_json_mode() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    std::fs::write(&log, format!("{HEADER}u1,2026-03-03T09:00:00Z,invoice_paid,,1,234.50,inv-7\n")).unwrap();
    let out = journey(&["events", "validate", s(&log), "--format", "json"]);
    assert_eq!(code(&out), 1, "a validation that found a bad row: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("standard output is JSON");
    assert_eq!(v["error"]["code"], "journey::events::bad_row", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("7 fields"), "{v}");
}

#[test]
fn an_attribute_row_with_extra_fields_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (log, attrs) = (dir.path().join("log.csv"), dir.path().join("attrs.csv"));
    let out = journey(&["events", "generate", "--customers", "3", "-o", s(&log), "--attributes", s(&attrs), "-q"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let good = std::fs::read_to_string(&attrs).unwrap();
    let out = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"]);
    assert_eq!(code(&out), 0, "the generated snapshot reads: {}", stderr(&out));

    // a last_health of `7,5` (a decimal comma) on the second customer's row
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let health = header.iter().position(|h| *h == "last_health").unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[health] = "7,5".to_string();
    lines[2] = cells.join(",");
    std::fs::write(&attrs, lines.join("\n") + "\n").unwrap();
    let out = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs)]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("attrs.csv:3:"), "{err}");
    let n = header.len();
    assert!(err.contains(&format!("the row has {} fields but the header has {n}", n + 1)), "{err}");
}
