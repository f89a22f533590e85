//! One column serving two events' properties (`order.kind` and `visit.kind` both read
//! the `kind` column, as they do by default): a bad value names the property it was
//! read as, not the column's first user. Before the fix a bad `visit.kind` was reported
//! as `order.kind: expected one of "a", "b"`, with the wrong choices.

use journey_events::*;
use std::path::Path;

#[path = "support/checked.rs"]
mod checked;

const PROGRAM: &str = "event order { kind: one_of(\"a\", \"b\") }\nevent visit { kind: one_of(\"x\", \"y\") }\n";

fn schema(dir: &Path) -> Schema {
    Schema::from_program(&checked::written_program(dir, "timezone: UTC\ncurrency: EUR\n", PROGRAM))
}

fn first_error(dir: &Path, name: &str, csv: &str) -> RowError {
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    let schema = schema(dir);
    let mut r = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()).unwrap();
    loop {
        match r.next_event() {
            Some(Ok(_)) => continue,
            Some(Err(ReadError::Row(e))) => return *e,
            other => panic!("expected a row error, got {other:?}"),
        }
    }
}

#[test]
fn a_bad_value_names_the_property_it_was_read_as() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "customer_id,timestamp,event,kind\nc1,2026-01-05T10:00:00Z,order,a\nc1,2026-01-05T11:00:00Z,visit,a\n";
    let e = first_error(dir.path(), "log.csv", csv);
    assert_eq!(e.line, 3);
    assert_eq!(e.field, "visit.kind");
    assert!(e.message.starts_with("visit.kind: expected one of \"x\", \"y\""), "{}", e.message);
}

#[test]
fn the_column_s_first_user_is_still_named_for_its_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "customer_id,timestamp,event,kind\nc1,2026-01-05T10:00:00Z,visit,x\nc1,2026-01-05T11:00:00Z,order,z\n";
    let e = first_error(dir.path(), "log.csv", csv);
    assert_eq!(e.field, "order.kind");
    assert!(e.message.starts_with("order.kind: expected one of \"a\", \"b\""), "{}", e.message);
}

#[test]
fn not_utf8_names_the_property_it_was_read_as() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = b"customer_id,timestamp,event,kind\nc1,2026-01-05T10:00:00Z,visit,".to_vec();
    csv.extend_from_slice(b"\xff\xfe\n");
    let path = dir.path().join("latin.csv");
    std::fs::write(&path, &csv).unwrap();
    let schema = schema(dir.path());
    let mut r = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()).unwrap();
    match r.next_event() {
        Some(Err(ReadError::Row(e))) => {
            assert_eq!(e.field, "visit.kind");
            assert!(e.message.starts_with("visit.kind: the value is not UTF-8"), "{}", e.message);
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}
