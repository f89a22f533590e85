//! The fast build against the row-wise one (its oracle) on seeded generated Parquet
//! files: nulls, dictionary-coded and plain columns, tiny and large row groups, bad
//! values, NaN and infinite amounts, unknown and blank event names, customers padded
//! with blanks, times out of order, UTC, local and text timestamps, a column shared by
//! two `one_of` properties with different choices. Every event, error (with its row
//! number and text), skip count and interned id must be the same.

use crate::mapping::Mapping;
use crate::model::{Event, Schema};
use crate::reader::{LogReader, ReadOptions};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_array::{TimestampMicrosecondArray, TimestampSecondArray};
use arrow_schema::{DataType, Field, TimeUnit};
use journey_ir::Type;
use std::path::Path;
use std::sync::Arc;

const SHOP: &str = "event visit { page: text, at: time, kind: one_of(\"a\", \"b\", \"c\") }\n\
event order { amount: money, items: number, paid: bool, kind: one_of(\"b\", \"c\", \"d\"), code: text }\n\
event ping { }\n";

#[path = "../../tests/support/checked.rs"]
mod checked;

fn shop() -> Schema {
    let dir = tempfile::tempdir().unwrap();
    Schema::from_program(&checked::written_program(dir.path(), "timezone: Europe/Berlin\ncurrency: EUR\n", SHOP))
}

fn b2b() -> Schema {
    Schema::from_program(&checked::program(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/projects/b2b")))
}

/// xorshift64*: the tests' own seeded generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How one generated file is laid out.
#[derive(Debug, Clone, Copy)]
struct Shape {
    rows: usize,
    /// Rows per row group (a multiple of 8,192 keeps dictionaries as keys).
    group: usize,
    dictionary: bool,
    /// A small dictionary page limit: columns fall back to plain pages part way.
    small_pages: bool,
    /// Text properties all null in the first row group (an empty dictionary there:
    /// those columns are read as text, not keys).
    empty_first_group: bool,
    /// 0: milliseconds UTC, 1: milliseconds without zone, 2: microseconds UTC,
    /// 3: seconds UTC, 4: RFC 3339 text.
    time: u8,
    /// Percent of rows with something wrong.
    bad: u64,
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

/// A seeded log of `schema`'s events: the mapped columns in the default mapping's
/// names, each declared property once (typed by its first declaration).
fn write_log(path: &Path, schema: &Schema, shape: Shape, seed: u64) {
    let mut rng = Rng(seed | 1);
    let n = shape.rows;
    let bad = shape.bad;
    let mut customers: Vec<Option<String>> = Vec::with_capacity(n);
    let mut times: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut events: Vec<Option<String>> = Vec::with_capacity(n);
    let mut revenue: Vec<Option<f64>> = Vec::with_capacity(n);
    let mut columns: Vec<(String, Type)> = Vec::new();
    for (_, props) in &schema.events {
        for (p, ty) in props {
            if !columns.iter().any(|(c, _)| c == p) {
                columns.push((p.clone(), ty.clone()));
            }
        }
    }
    let names: Vec<&str> = schema.events.iter().map(|(e, _)| e.as_str()).collect();
    let mut t = 1_735_689_600_000i64; // 2025-01-01
    for _ in 0..n {
        t += rng.below(60_000) as i64;
        let c = rng.below(400);
        customers.push(if rng.chance(bad / 4) {
            pick(&mut rng, &["", " ", "null"]).ne("null").then(|| " ".into())
        } else if rng.chance(3) {
            Some(format!(" c{c:04}"))
        } else {
            Some(format!("c{c:04}"))
        });
        // now and then a time well before the last one: out of order for its customer
        let back = if rng.chance(bad / 2) { 86_400_000 } else { 0 };
        times.push((!rng.chance(bad / 4)).then_some(t - back));
        events.push(if rng.chance(bad) {
            match rng.below(4) {
                0 => None,
                1 => Some(String::new()),
                2 => Some("bogus".into()),
                _ => Some(format!(" {} ", pick(&mut rng, &names))),
            }
        } else {
            Some(pick(&mut rng, &names).to_string())
        });
        revenue.push(match rng.below(100) {
            x if x < bad / 3 => Some(f64::NAN),
            x if x < bad / 2 => Some(f64::INFINITY),
            x if x < 60 => None,
            _ => Some(rng.below(10_000) as f64 / 100.0),
        });
    }
    let mut fields = vec![
        Field::new("customer_id", DataType::Utf8, true),
        Field::new(
            "timestamp",
            match shape.time {
                0 => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                1 => DataType::Timestamp(TimeUnit::Millisecond, None),
                2 => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                3 => DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                _ => DataType::Utf8,
            },
            true,
        ),
        Field::new("event", DataType::Utf8, true),
        Field::new("revenue", DataType::Float64, true),
    ];
    let time_col: ArrayRef = match shape.time {
        0 => Arc::new(TimestampMillisecondArray::from(times.clone()).with_timezone("UTC")),
        1 => Arc::new(TimestampMillisecondArray::from(times.clone())),
        2 => Arc::new(
            TimestampMicrosecondArray::from(times.iter().map(|t| t.map(|t| t * 1000)).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        3 => Arc::new(
            TimestampSecondArray::from(times.iter().map(|t| t.map(|t| t / 1000)).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        _ => Arc::new(StringArray::from(
            times.iter().map(|t| t.map(crate::time::format)).collect::<Vec<Option<String>>>(),
        )),
    };
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(customers)),
        time_col,
        Arc::new(StringArray::from(events)),
        Arc::new(Float64Array::from(revenue)),
    ];
    for (name, ty) in &columns {
        let (field, array): (DataType, ArrayRef) = match ty {
            Type::Number | Type::Percent | Type::Duration | Type::Money => {
                let v: Vec<Option<f64>> = (0..n)
                    .map(|_| match rng.below(100) {
                        x if x < bad / 3 => Some(f64::NAN),
                        x if x < bad / 2 => Some(f64::NEG_INFINITY),
                        x if x < 50 => None,
                        _ => Some(rng.below(100_000) as f64 / 100.0),
                    })
                    .collect();
                (DataType::Float64, Arc::new(Float64Array::from(v)))
            }
            Type::Bool => {
                let v: Vec<Option<bool>> = (0..n).map(|_| (!rng.chance(40)).then(|| rng.chance(50))).collect();
                (DataType::Boolean, Arc::new(BooleanArray::from(v)))
            }
            _ => {
                // a column shared by several `one_of`s: the choices common to all (the
                // others are bad values for some)
                let choices: Vec<String> = match ty {
                    Type::OneOf { choices } => choices
                        .iter()
                        .filter(|c| {
                            schema.events.iter().flat_map(|(_, p)| p).all(|(p, t)| match t {
                                Type::OneOf { choices } if p == name => choices.contains(c),
                                _ => true,
                            })
                        })
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                let v: Vec<Option<String>> = (0..n)
                    .map(|r| {
                        if shape.empty_first_group && r < shape.group {
                            return None;
                        }
                        if rng.chance(45) {
                            return None;
                        }
                        if rng.chance(bad) {
                            return Some(
                                pick(&mut rng, &["", " ", "zz", " a", "b ", "d", "2025-13-01", "Mars/Base"]).into(),
                            );
                        }
                        Some(match ty {
                            Type::OneOf { .. } => choices[rng.below(choices.len() as u64) as usize].clone(),
                            Type::Time | Type::Date => crate::time::format(t - rng.below(1 << 30) as i64),
                            Type::Timezone => pick(&mut rng, &["Europe/Berlin", "UTC", "America/New_York"]).into(),
                            // many distinct values: a dictionary that may outgrow its page
                            _ => format!("{name}-{}", rng.below(3000)),
                        })
                    })
                    .collect();
                (DataType::Utf8, Arc::new(StringArray::from(v)))
            }
        };
        fields.push(Field::new(name, field, true));
        arrays.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), arrays).unwrap();
    let mut props = parquet::file::properties::WriterProperties::builder()
        .set_dictionary_enabled(shape.dictionary)
        .set_max_row_group_row_count(Some(shape.group));
    if shape.small_pages {
        props = props.set_dictionary_page_size_limit(512);
    }
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props.build())).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Everything a read shows: each event or the error, then the counts and interners.
#[derive(Debug, PartialEq)]
struct Read {
    events: Vec<Result<Event, String>>,
    rows: u64,
    skipped: String,
    customers: Vec<Box<str>>,
    texts: Vec<Box<str>>,
    /// Not compared: how many rows the fast build finished.
    fast_rows: u64,
}

fn read(path: &Path, schema: &Schema, options: ReadOptions, fast: bool) -> Read {
    let mut r = LogReader::open(path, &Mapping::default(), schema, options).unwrap();
    // the fast build from batches decoded on a second thread, the oracle from
    // batches decoded on its own
    r.decode_ahead(fast);
    if !fast {
        r.row_wise();
    }
    let mut events = Vec::new();
    while let Some(e) = r.next_event() {
        events.push(e.map_err(|e| format!("{e:?}")));
    }
    Read {
        events,
        rows: r.rows(),
        skipped: format!("{:?}", r.skipped()),
        customers: r.interner().names_from(0),
        texts: r.texts().names_from(0),
        fast_rows: r.fast_rows(),
    }
}

fn compare(schema: &Schema, shape: Shape, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.parquet");
    write_log(&path, schema, shape, seed);
    for (skip_bad_rows, sort) in [(false, false), (true, false), (true, true)] {
        let options = ReadOptions { skip_bad_rows, sort };
        let mut fast = read(&path, schema, options, true);
        let slow = read(&path, schema, options, false);
        assert_eq!(slow.fast_rows, 0);
        // the rows of a clean file take the fast build, but for events with a text
        // time (`visit.at`: typed row-wise), a third of them
        if shape.bad == 0 {
            assert!(fast.fast_rows * 2 > fast.rows, "{shape:?}: {} of {}", fast.fast_rows, fast.rows);
        }
        fast.fast_rows = 0;
        assert!(!slow.events.is_empty());
        if fast != slow {
            let at = fast.events.iter().zip(&slow.events).position(|(a, b)| a != b);
            panic!(
                "{shape:?} seed {seed} {options:?}: first difference at event {at:?}: {:?} vs {:?}",
                at.map(|i| &fast.events[i]),
                at.map(|i| &slow.events[i]),
            );
        }
    }
}

#[test]
fn the_fast_build_gives_the_row_wise_events_and_errors() {
    let schema = shop();
    let mut seed = 7u64;
    for dictionary in [true, false] {
        // 1,024 and 600: a batch a row group, dictionary keys kept; 300: read as text
        for (group, rows) in [(16_384, 20_000), (8_192, 9_000), (1_024, 5_000), (600, 3_000), (300, 2_000)] {
            // every timestamp type in the smaller files; UTC and text in the large one
            let times: &[u8] = if rows > 10_000 { &[0, 4] } else { &[0, 1, 2, 3, 4] };
            for &time in times {
                for bad in [0, 6] {
                    seed += 1;
                    let small_pages = seed.is_multiple_of(3);
                    let empty_first_group = group < 8_192 && seed.is_multiple_of(2);
                    let shape = Shape { rows, group, dictionary, small_pages, empty_first_group, time, bad };
                    compare(&schema, shape, seed);
                }
            }
        }
    }
}

#[test]
fn the_fast_build_gives_the_row_wise_events_on_the_b2b_project() {
    let schema = b2b();
    for (seed, bad) in [(3, 0), (4, 5)] {
        let shape = Shape {
            rows: 17_000,
            group: 8_192,
            dictionary: true,
            small_pages: false,
            empty_first_group: false,
            time: 0,
            bad,
        };
        compare(&schema, shape, seed);
    }
    for (group, empty_first_group) in [(500, false), (1_024, true), (1_024, false)] {
        let shape =
            Shape { rows: 3_000, group, dictionary: true, small_pages: false, empty_first_group, time: 1, bad: 4 };
        compare(&schema, shape, 5);
    }
}

/// What [`crate::BatchReader`] makes of a file's record batches (`rows` each).
fn push_batches(path: &Path, schema: &Schema, rows: usize, skip_bad_rows: bool, fast: bool) -> Read {
    let file = std::fs::File::open(path).unwrap();
    let batches = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .with_batch_size(rows)
        .build()
        .unwrap();
    let options = ReadOptions { skip_bad_rows, sort: false };
    let mut reader = None;
    let mut events = Vec::new();
    for batch in batches {
        let batch = batch.unwrap();
        let r = reader.get_or_insert_with(|| {
            let fields: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
            let mut r =
                crate::BatchReader::new("batches", &fields, &Mapping::default(), schema, options, true).unwrap();
            r.typed.enabled = fast;
            r
        });
        let mut out = Vec::new();
        let pushed = r.push(&batch, &mut out);
        events.extend(out.into_iter().map(Ok));
        if let Err(e) = pushed {
            events.push(Err(format!("{e:?}")));
            break;
        }
    }
    let r = reader.unwrap();
    Read {
        events,
        rows: r.rows(),
        skipped: format!("{:?}", r.skipped()),
        customers: r.interner().names_from(0),
        texts: r.texts().names_from(0),
        fast_rows: 0,
    }
}

#[test]
fn record_batches_build_the_row_wise_events_too() {
    let dir = tempfile::tempdir().unwrap();
    for (n, schema) in [shop(), b2b()].iter().enumerate() {
        for (dictionary, bad) in [(true, 0), (true, 6), (false, 6)] {
            let path = dir.path().join("log.parquet");
            let shape = Shape {
                rows: 5_000,
                group: 8_192,
                dictionary,
                small_pages: false,
                empty_first_group: false,
                time: 0,
                bad,
            };
            write_log(&path, schema, shape, 40 + n as u64 + bad);
            for skip in [false, true] {
                let fast = push_batches(&path, schema, 1_000, skip, true);
                let slow = push_batches(&path, schema, 1_000, skip, false);
                assert!(!slow.events.is_empty());
                assert!(
                    fast == slow,
                    "{shape:?} skip {skip}: {:?}",
                    fast.events.iter().zip(&slow.events).find(|(a, b)| a != b)
                );
            }
        }
    }
}

/// Batches decoded on a second thread hand over the same events, errors and ends as
/// batches decoded on the reading thread, corrupt files included (bytes overwritten
/// in the column chunks: decoder errors, panics, bad values).
#[test]
fn decoding_ahead_reads_what_decoding_here_reads() {
    let schema = shop();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.parquet");
    let shape = Shape {
        rows: 40_000,
        group: 1_024,
        dictionary: true,
        small_pages: false,
        empty_first_group: true,
        time: 0,
        bad: 2,
    };
    write_log(&path, &schema, shape, 11);
    let clean = std::fs::read(&path).unwrap();
    let mut rng = Rng(99);
    let mut failed = 0;
    for case in 0..12 {
        let mut bytes = clean.clone();
        // the first case as written; then a few bytes of the data (not the footer)
        if case > 0 {
            for _ in 0..1 + case % 3 {
                let at = 4 + rng.below(bytes.len() as u64 / 2) as usize;
                bytes[at] = rng.next() as u8;
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        for skip_bad_rows in [false, true] {
            let options = ReadOptions { skip_bad_rows, sort: false };
            let read = |ahead: bool| {
                let Ok(mut r) = LogReader::open(&path, &Mapping::default(), &schema, options) else { return None };
                r.decode_ahead(ahead);
                let mut events = Vec::new();
                while let Some(e) = r.next_event() {
                    events.push(e.map_err(|e| format!("{e:?}")));
                }
                Some((events, r.rows(), format!("{:?}", r.skipped()), r.interner().names_from(0)))
            };
            let ahead = read(true);
            assert!(ahead == read(false), "case {case}, skipping bad rows {skip_bad_rows}");
            failed += ahead.is_none_or(|(events, ..)| events.iter().any(|e| e.is_err())) as u32;
        }
    }
    // some reads end in an error (a bad row, a decoder error), not only at the end
    assert!(failed > 2, "{failed}");
}
