//! Readers against the Northwind library (journeys/) and the CDNOW sample.

use journey_events::generate::{generate_with, GenerateOptions, OutFormat};
use journey_events::*;
use std::path::{Path, PathBuf};

#[path = "support/checked.rs"]
mod checked;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn program() -> journey_ir::Program {
    checked::program(&repo())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read_all(path: &Path, m: &Mapping, schema: &Schema, opts: ReadOptions) -> (Vec<Event>, LogReader) {
    let mut r = LogReader::open(path, m, schema, opts).unwrap();
    let mut v = Vec::new();
    while let Some(e) = r.next_event() {
        v.push(e.unwrap());
    }
    (v, r)
}

const CSV: &str = "customer_id,timestamp,event,revenue,amount,category,items,discount_code,order_id,platform\n\
c1,2026-01-05T10:00:00Z,session,,,,,,,web\n\
c2,2026-01-05 09:00:00,purchase,20.5,20.5,beans,2,,o1,\n\
c1,2026-01-06T10:00:00+01:00,purchase,12,12,merch,1,WELCOME10,o2,\n";

#[test]
fn csv_events_are_typed_and_interned() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let path = write(dir.path(), "log.csv", CSV);
    let (events, r) = read_all(&path, &Mapping::default(), &schema, ReadOptions::default());
    assert_eq!(events.len(), 3);
    let purchase = schema.kind("purchase").unwrap();
    assert_eq!(events[1].kind, purchase);
    assert_eq!(events[1].customer, CustomerId(1));
    // naive time: the project's zone (America/New_York, UTC-5 in January)
    assert_eq!(time::format(events[1].time), "2026-01-05T14:00:00Z");
    assert_eq!(time::format(events[2].time), "2026-01-06T09:00:00Z");
    assert_eq!(events[1].revenue, Some(20.5));
    let props = schema.properties(purchase);
    let get = |e: &Event, name: &str| e.props[props.iter().position(|(n, _)| n == name).unwrap()];
    assert_eq!(get(&events[1], "amount"), PropValue::Money(20.5));
    assert_eq!(get(&events[1], "items"), PropValue::Number(2.0));
    match get(&events[2], "discount_code") {
        PropValue::Text(t) => assert_eq!(r.texts().resolve(t), "WELCOME10"),
        other => panic!("{other:?}"),
    }
    match get(&events[1], "discount_code") {
        PropValue::Text(t) => assert_eq!(r.texts().resolve(t), ""),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.interner().resolve(0), "c1");
    assert_eq!(events[2].line, 4);
}

#[test]
fn bad_rows_name_file_line_and_column_or_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let text = format!(
        "{CSV}c3,31/01/2026,session,,,,,,,web\nc4,2026-01-07T10:00:00Z,teleport,,,,,,,\nc5,2026-01-07T10:00:00Z,teleport,,,,,,,\n\
         ,2026-01-07T10:00:00Z,session,,,,,,,web\nc1,2026-01-07T10:00:00Z,purchase,x,,,,,,\nc6,2026-01-07T10:00:00Z,session,,,,,,,tv\n\
         c1,2026-01-01T10:00:00Z,session,,,,,,,web\n"
    );
    let path = write(dir.path(), "bad.csv", &text);
    let mut r = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()).unwrap();
    let mut err = None;
    while let Some(e) = r.next_event() {
        if let Err(e) = e {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("a bad row");
    let msg = err.to_string();
    assert!(
        msg.ends_with(
            "bad.csv:5:4: expected a timestamp like 2026-01-31T09:00:00Z or 2026-01-31 09:00:00, found `31/01/2026`"
        ),
        "{msg}"
    );
    assert_eq!(err.kind(), Some(SkipKind::UnparsableTime));
    assert!(r.next_event().is_none(), "the reader stops after an error");

    let opts = ReadOptions { skip_bad_rows: true, sort: false };
    let (events, r) = read_all(&path, &Mapping::default(), &schema, opts);
    assert_eq!(events.len(), 3);
    let s = r.skipped();
    assert_eq!((s.unparsable_time, s.unknown_event, s.missing_customer, s.bad_value, s.out_of_order), (1, 2, 1, 2, 1));
    assert_eq!(s.unknown_event_names.get("teleport"), Some(&2));
    assert_eq!(s.total(), 7);
    assert_eq!(r.rows(), 10);
}

#[test]
fn out_of_order_is_an_error_unless_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let text = "customer_id,timestamp,event\nc1,2026-01-05T10:00:00Z,session\nc2,2026-01-04T10:00:00Z,session\nc1,2026-01-03T10:00:00Z,session\n";
    let path = write(dir.path(), "ooo.csv", text);
    let mut r = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()).unwrap();
    assert!(r.next_event().unwrap().is_ok());
    assert!(r.next_event().unwrap().is_ok(), "other customers may interleave freely");
    let e = r.next_event().unwrap().unwrap_err();
    assert_eq!(e.kind(), Some(SkipKind::OutOfOrder));
    assert!(e.to_string().contains("customer `c1` goes back in time: 2026-01-03T10:00:00Z is before its previous event at 2026-01-05T10:00:00Z (line 2)"), "{e}");
    let (events, _) = read_all(&path, &Mapping::default(), &schema, ReadOptions { sort: true, ..Default::default() });
    let lines: Vec<u64> = events.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 3, 2]);
}

#[test]
fn generated_logs_read_back_identically_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let opts = GenerateOptions { seed: 11, customers: 200, days: 60, ..Default::default() };
    let mut results = Vec::new();
    let mut formats = vec![(OutFormat::Csv, "log.csv"), (OutFormat::Jsonl, "log.jsonl")];
    #[cfg(feature = "parquet")]
    formats.push((OutFormat::Parquet, "log.parquet"));
    for (format, name) in formats {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let mut attrs = Vec::new();
        let stats = generate_with(&opts, &mut f, format, Some(&mut attrs)).unwrap();
        drop(f);
        let (events, r) = read_all(&path, &Mapping::default(), &schema, ReadOptions::default());
        assert_eq!(events.len() as u64, stats.events, "{name}");
        assert_eq!(r.skipped().total(), 0);
        // compare by resolved values (text ids may differ between readers only if order differs)
        let flat: Vec<(String, i64, u16, Option<i64>, usize)> = events
            .iter()
            .map(|e| {
                let key = r.interner().resolve(e.customer.0).to_string();
                let missing = e.props.iter().filter(|p| **p == PropValue::Missing).count();
                (key, e.time, e.kind.0, e.revenue.map(|x| (x * 100.0).round() as i64), missing)
            })
            .collect();
        results.push(flat);
        let attr_path = write(dir.path(), "attributes.csv", std::str::from_utf8(&attrs).unwrap());
        let a = read_attributes(&attr_path, &program()).unwrap();
        assert!(a.len() > 100);
        assert!(a.missing_columns.is_empty() && a.ignored_columns.is_empty(), "{a:?}");
        let key = r.interner().resolve(0);
        assert!(a.timezone(key).is_some());
    }
    for w in results.windows(2) {
        assert_eq!(w[0], w[1]);
    }
    // every kind of event shows up
    let kinds: std::collections::BTreeSet<u16> = results[0].iter().map(|r| r.2).collect();
    assert!(kinds.len() >= 18, "{kinds:?}");
}

#[test]
fn cdnow_sample_reads_with_the_shipped_mapping() {
    let schema = Schema::from_program(&program());
    let dir = repo().join("tests/data/cdnow");
    let yaml = std::fs::read_to_string(dir.join("journey-events.yaml")).unwrap();
    let config: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    let m = Mapping::from_yaml(config.get("events"), &yaml).unwrap();
    let stats = parse_only(&dir.join("CDNOW_sample.txt"), &m, &schema).unwrap();
    assert_eq!((stats.rows, stats.events, stats.customers), (6919, 6919, 2357));
    assert_eq!(time::format(stats.first.unwrap()), "1997-01-01T00:00:00Z");
    assert_eq!(time::format(stats.last.unwrap()), "1998-06-30T00:00:00Z");
    assert!((stats.revenue - 244_091.94).abs() < 0.01, "{}", stats.revenue);
}

#[test]
fn mapping_errors_are_diagnostics() {
    let yaml = "events:\n  format: xml\n";
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    let d = Mapping::from_yaml(v.get("events"), yaml).unwrap_err();
    assert_eq!(d[0].code, "J501");
    let yaml = "events:\n  timezone: Mars/Olympus\n  timestamp_format: weird\n";
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    let d = Mapping::from_yaml(v.get("events"), yaml).unwrap_err();
    let codes: Vec<_> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["J501", "J407"]);
    assert_eq!(Mapping::from_yaml(None, "").unwrap(), Mapping::default());
}

#[test]
fn optional_attributes_are_a_list_or_one_name() {
    let parse = |yaml: &str| {
        let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        Mapping::from_yaml(v.get("events"), yaml)
    };
    assert_eq!(
        parse("events:\n  optional_attributes: [plan, seats]\n").unwrap().optional_attributes,
        ["plan", "seats"]
    );
    assert_eq!(parse("events:\n  optional_attributes: plan\n").unwrap().optional_attributes, ["plan"]);
    assert!(parse("events:\n  path: log.csv\n").unwrap().optional_attributes.is_empty());
    // a mapping is neither: J501, not silently nothing
    let d = parse("events:\n  optional_attributes: {plan: true}\n").unwrap_err();
    assert_eq!(d[0].code, "J501");
}

#[test]
fn json_lines_with_nested_properties_and_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let text = "{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-05T10:00:00Z\",\"event\":\"purchase\",\"properties\":{\"amount\":\"12\",\"order_id\":\"o\\\"1\"}}\n\n\
                {\"customer_id\":42,\"timestamp\":\"2026-01-05T11:00:00Z\",\"event\":\"purchase\",\"amount\":\"abc\"}\n";
    let path = write(dir.path(), "log.jsonl", text);
    let mut r = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()).unwrap();
    let e = r.next_event().unwrap().unwrap();
    assert_eq!(e.props[1], PropValue::Money(12.0));
    let err = r.next_event().unwrap().unwrap_err();
    assert!(
        err.to_string().ends_with("log.jsonl:3:82: purchase.amount: expected an amount like 12.50, found `abc`"),
        "{err}"
    );
    let text = "customer_id,event\nc1,session\n";
    let path = write(dir.path(), "nots.csv", text);
    let Err(e) = LogReader::open(&path, &Mapping::default(), &schema, ReadOptions::default()) else { panic!() };
    assert!(e.to_string().contains("the timestamp column `timestamp` is not in the file"), "{e}");
}

/// `next_ref` lends the events `next_event` hands out, in the same order, with the
/// same first error: on generated logs in every format, and on a CSV with bad rows,
/// stopping at the first, skipping them, and sorting.
#[test]
fn lent_events_are_the_events_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_program(&program());
    let opts = GenerateOptions { seed: 5, customers: 150, days: 40, ..Default::default() };
    let mut paths = Vec::new();
    let mut formats = vec![(OutFormat::Csv, "log.csv"), (OutFormat::Jsonl, "log.jsonl")];
    #[cfg(feature = "parquet")]
    formats.push((OutFormat::Parquet, "log.parquet"));
    for (format, name) in formats {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        generate_with(&opts, &mut f, format, None).unwrap();
        paths.push(path);
    }
    let bad = format!(
        "{CSV}c3,31/01/2026,session,,,,,,,web\nc4,2026-01-07T10:00:00Z,teleport,,,,,,,\n\
         c1,2026-01-07T10:00:00Z,purchase,x,,,,,,\nc1,2026-01-01T10:00:00Z,session,,,,,,,web\nc6,2026-01-08T10:00:00Z,session,,,,,,,web\n"
    );
    paths.push(write(dir.path(), "bad.csv", &bad));
    for path in &paths {
        for (skip_bad_rows, sort) in [(false, false), (true, false), (true, true), (false, true)] {
            let options = ReadOptions { skip_bad_rows, sort };
            let mut handed = LogReader::open(path, &Mapping::default(), &schema, options).unwrap();
            let mut lent = LogReader::open(path, &Mapping::default(), &schema, options).unwrap();
            let mut n = 0;
            loop {
                let a = handed.next_event().map(|r| r.map_err(|e| format!("{e:?}")));
                let b = lent.next_ref().map(|r| r.cloned().map_err(|e| format!("{e:?}")));
                assert_eq!(a, b, "{} {options:?}, event {n}", path.display());
                if a.is_none() {
                    break;
                }
                n += 1;
            }
            assert!(n >= 1, "{}", path.display());
            assert_eq!(handed.rows(), lent.rows());
            assert_eq!(handed.skipped(), lent.skipped());
            assert_eq!(handed.interner().len(), lent.interner().len());
        }
    }
}
