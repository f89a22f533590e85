//! A fuzz harness over the event-log readers (CSV, whitespace, JSON lines, Parquet),
//! the attribute snapshot and journey.yaml's `events:` mapping, driven by proptest so
//! that it runs in CI for a bounded time (issue 19: "nothing lost, nothing hangs").
//!
//! Each case must end without a panic, and the data path's contract must hold: with
//! `--skip-bad-rows` every row is an event or a counted skip (events + skipped =
//! rows), no more rows than lines are reported, and a reader that returned an error
//! returns nothing more. Memory is bounded by the readers' own limits (lines of at
//! most 8 MiB, quoted fields of at most 100 lines), which the inputs here cross.
//!
//! Short run (CI): `cargo test -p journey_events --test fuzz` (a few thousand cases per
//! target). Long run: `JOURNEY_FUZZ_CASES=2000000 cargo test -p journey_events
//! --release --test fuzz -- --nocapture` (cases per target; the executions are printed).

use journey_events::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

#[path = "support/checked.rs"]
mod checked;

const SHOP: &str = "event visit { page: text, at: time }\nevent order { amount: money, items: number, paid: bool, kind: one_of(\"a\", \"b\") }\n\
attribute tier: text\nattribute vip: bool\nattribute since: date\nattribute zone: timezone\n";

fn program() -> journey_ir::Program {
    let dir = tempfile::tempdir().unwrap();
    checked::written_program(dir.path(), "timezone: Europe/Berlin\ncurrency: EUR\n", SHOP)
}

fn cases() -> u32 {
    std::env::var("JOURNEY_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500)
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() })
}

static EXECUTIONS: AtomicU64 = AtomicU64::new(0);

/// Read `bytes` as a log in `format`, both stopping at the first error and skipping,
/// and check the contract.
fn read_log(bytes: &[u8], format: Format, mapping: &Mapping, schema: &Schema) {
    for (skip, sort) in [(false, false), (true, false), (true, true)] {
        EXECUTIONS.fetch_add(1, Ordering::Relaxed);
        let m = Mapping { format, ..mapping.clone() };
        let reader = Box::new(Cursor::new(bytes.to_vec()));
        let options = ReadOptions { skip_bad_rows: skip, sort };
        let Ok(mut r) = LogReader::from_reader(Path::new("fuzz"), reader, format, &m, schema, options) else {
            continue;
        };
        let (mut events, mut failed) = (0u64, false);
        while let Some(e) = r.next_event() {
            match e {
                Ok(_) => events += 1,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            assert!(r.next_event().is_none(), "a reader that failed returns nothing more");
            continue;
        }
        if skip {
            assert_eq!(events + r.skipped().total(), r.rows(), "every row is an event or a counted skip");
        } else {
            assert_eq!(events, r.rows());
        }
        if format != Format::Parquet {
            assert!(r.rows() <= r.lines(), "rows {} > lines {}", r.rows(), r.lines());
        }
    }
}

/// Text made of the pieces that break readers: quotes, delimiters, line endings, a
/// byte order mark, NUL, bytes that are not UTF-8, numbers, NaN, dates, JSON syntax.
fn hostile_text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\t".to_vec()),
        Just(b" ".to_vec()),
        Just(vec![0xef, 0xbb, 0xbf]),
        Just(vec![0xff, 0xfe]),
        Just(vec![0]),
        Just(vec![0xe9]),
        Just(b"c1".to_vec()),
        Just(b"c2".to_vec()),
        Just(b"visit".to_vec()),
        Just(b"order".to_vec()),
        Just(b"2026-01-01T10:00:00Z".to_vec()),
        Just(b"2025-12-31 23:00".to_vec()),
        Just(b"9999-12-31".to_vec()),
        Just(b"12.5".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"-inf".to_vec()),
        Just(b"1e309".to_vec()),
        Just(b"true".to_vec()),
        Just(b"Europe/Berlin".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b":".to_vec()),
        Just(b"\"properties\"".to_vec()),
        Just(b"\"customer_id\"".to_vec()),
        Just(b"\"timestamp\"".to_vec()),
        Just(b"\"event\"".to_vec()),
        Just(b"\"amount\"".to_vec()),
        Just(b"null".to_vec()),
        Just(b"\\".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

const CSV_HEAD: &[u8] = b"customer_id,timestamp,event,amount,items,paid,kind,page,at\n";

#[test]
fn fuzz_csv_and_whitespace_logs() {
    let schema = Schema::from_program(&program());
    let csv = Mapping::default();
    let ws = Mapping { delimiter: Delimiter::Whitespace, header: false, ..Mapping::default() };
    let ws =
        Mapping { customer: Column::Position(1), timestamp: Column::Position(2), event: Column::Position(3), ..ws };
    runner()
        .run(&(hostile_text(), any::<bool>()), |(body, with_header)| {
            let mut bytes = if with_header { CSV_HEAD.to_vec() } else { Vec::new() };
            bytes.extend_from_slice(&body);
            read_log(&bytes, Format::Csv, &csv, &schema);
            read_log(&bytes, Format::Csv, &ws, &schema);
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

#[test]
fn fuzz_json_lines_logs() {
    let schema = Schema::from_program(&program());
    let row = r#"{"customer_id":"c1","timestamp":"2026-01-01T10:00:00Z","event":"order","properties":{"amount":1}}"#;
    runner()
        .run(&(hostile_text(), 0..3usize), |(body, prefix)| {
            let mut bytes = Vec::new();
            for _ in 0..prefix {
                bytes.extend_from_slice(row.as_bytes());
                bytes.push(b'\n');
            }
            bytes.extend_from_slice(&body);
            read_log(&bytes, Format::Jsonl, &Mapping::default(), &schema);
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

#[cfg(feature = "parquet")]
#[test]
fn fuzz_parquet_logs() {
    use journey_events::generate::{generate_with, GenerateOptions, OutFormat};
    let program = checked::program(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let schema = Schema::from_program(&program);
    // a valid log of the generator's schema, then mutated: flipped, cut, spliced bytes
    let mut seed = Vec::new();
    let opts = GenerateOptions { seed: 3, customers: 20, days: 5, ..Default::default() };
    generate_with(&opts, &mut seed, OutFormat::Parquet, None).unwrap();
    read_mutated_parquet(&seed, &schema);
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

/// The same for a log in row groups of 512 rows: read a batch a row group with the
/// dictionary keys kept (`parquet_reader::batching`), from memory, its pages, levels
/// and dictionaries mutated.
#[cfg(feature = "parquet")]
#[test]
fn fuzz_parquet_logs_of_small_row_groups() {
    use journey_events::generate::{generate_with, GenerateOptions, OutFormat};
    let program = checked::program(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let schema = Schema::from_program(&program);
    let mut large = Vec::new();
    let opts = GenerateOptions { seed: 5, customers: 200, days: 40, ..Default::default() };
    generate_with(&opts, &mut large, OutFormat::Parquet, None).unwrap();
    let batches = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(large))
        .unwrap()
        .with_batch_size(512)
        .build()
        .unwrap();
    let mut seed = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(512))
        .build();
    let mut writer = None;
    for batch in batches {
        let batch = batch.unwrap();
        let w = writer.get_or_insert_with(|| {
            parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props.clone())).unwrap()
        });
        w.write(&batch).unwrap();
        w.flush().unwrap();
    }
    seed.extend(writer.unwrap().into_inner().unwrap());
    // several groups of 512 rows: a batch a row group, dictionary keys kept
    let groups = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::from(seed.clone()))
        .unwrap()
        .num_row_groups();
    assert!(groups >= 3, "{groups} row groups");
    read_mutated_parquet(&seed, &schema);
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

#[test]
fn fuzz_attribute_snapshots() {
    let program = program();
    runner()
        .run(&(hostile_text(), any::<bool>()), |(body, with_header)| {
            let mut bytes = if with_header { b"customer_id,tier,vip,since,zone\n".to_vec() } else { Vec::new() };
            bytes.extend_from_slice(&body);
            EXECUTIONS.fetch_add(1, Ordering::Relaxed);
            if let Ok(a) =
                read_attributes_from(Path::new("fuzz"), "fuzz".into(), Box::new(Cursor::new(bytes)), &program)
            {
                assert!(a.len() as u64 <= a.lines, "customers {} > lines {}", a.len(), a.lines);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

/// journey.yaml's `events:` section: any text parses to a mapping or diagnostics.
#[test]
fn fuzz_journey_yaml_mapping() {
    let keys = prop_oneof![
        Just("events:\n"),
        Just("  path: log.csv\n"),
        Just("  format: csv\n"),
        Just("  format: parquet\n"),
        Just("  delimiter: whitespace\n"),
        Just("  delimiter: \"\\t\"\n"),
        Just("  header: false\n"),
        Just("  customer: 1\n"),
        Just("  customer: 0\n"),
        Just("  timestamp: -3\n"),
        Just("  timestamp_format: \"%Y%m%d\"\n"),
        Just("  timestamp_format: unix_ms\n"),
        Just("  timezone: Mars/Olympus\n"),
        Just("  properties:\n    order.amount: 5\n"),
        Just("  properties: [1, 2]\n"),
        Just("  order: sort\n"),
        Just("timezone: UTC\n"),
        Just("currency: EUR\n"),
        Just("clv:\n  margin: 2\n"),
        Just("&a [*a]\n"),
        Just("{{{\n"),
        Just("\t- x\n"),
        Just(": :\n"),
        Just("\"\n"),
        Just("\u{feff}"),
    ];
    let text = (prop::collection::vec(keys, 0..12), prop::collection::vec(any::<char>(), 0..10))
        .prop_map(|(k, noise)| format!("{}{}", k.concat(), noise.into_iter().collect::<String>()));
    runner()
        .run(&text, |text| {
            EXECUTIONS.fetch_add(1, Ordering::Relaxed);
            let (config, diags) = journey_project::Config::parse(&text, Default::default());
            if diags.is_empty() {
                let _ = Mapping::from_yaml(config.events.as_ref(), &text);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("fuzz: {} reader executions so far", EXECUTIONS.load(Ordering::Relaxed));
}

/// Read `seed` mutated: flipped, cut and spliced bytes, one to five of them per case.
#[cfg(feature = "parquet")]
fn read_mutated_parquet(seed: &[u8], schema: &Schema) {
    let len = seed.len();
    let mutation = prop_oneof![
        (0..len, any::<u8>()).prop_map(|(i, b)| (0, i, b)),
        (0..len, any::<u8>()).prop_map(|(i, b)| (1, i, b)),
        (0..len, any::<u8>()).prop_map(|(i, b)| (2, i, b)),
    ];
    runner()
        .run(&prop::collection::vec(mutation, 1..6), |mutations| {
            let mut bytes = seed.to_vec();
            for (kind, i, b) in mutations {
                let i = i.min(bytes.len().saturating_sub(1));
                match kind {
                    0 if !bytes.is_empty() => bytes[i] ^= b | 1,
                    1 => bytes.truncate(i),
                    _ => bytes.insert(i, b),
                }
            }
            read_log(&bytes, Format::Parquet, &Mapping::default(), schema);
            Ok(())
        })
        .unwrap();
}
