//! Hostile inputs for the readers (issue 19: "nothing lost, nothing hangs"), on a small
//! shop of its own (not journeys/). Each test is the minimal input of a failure seen:
//! a quote left open, a file without line breaks, NaN money in Parquet, JSON
//! `properties` that are not an object, bytes that are not UTF-8, UTF-16, a byte order
//! mark, CR-only lines, compressed logs.

use journey_events::*;
use std::io::Write;
use std::path::{Path, PathBuf};

#[path = "support/checked.rs"]
mod checked;

const SHOP: &str = "event visit { page: text }\nevent order { amount: money, note: text }\n\
attribute tier: text\nattribute vip: bool\n";

fn program() -> journey_ir::Program {
    let dir = tempfile::tempdir().unwrap();
    let program = checked::written_program(dir.path(), "timezone: UTC\ncurrency: EUR\n", SHOP);
    assert!(program.events.iter().any(|e| e.name == "order"), "the shop checks");
    program
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Every event of the log, or the first error; and the reader.
fn read(path: &Path, opts: ReadOptions) -> (Result<Vec<Event>, ReadError>, Option<LogReader>) {
    let schema = Schema::from_program(&program());
    let mut r = match LogReader::open(path, &Mapping::default(), &schema, opts) {
        Ok(r) => r,
        Err(e) => return (Err(e), None),
    };
    let mut v = Vec::new();
    while let Some(e) = r.next_event() {
        match e {
            Ok(e) => v.push(e),
            Err(e) => return (Err(e), Some(r)),
        }
    }
    (Ok(v), Some(r))
}

fn error(path: &Path, opts: ReadOptions) -> ReadError {
    match read(path, opts).0 {
        Ok(v) => panic!("expected an error, read {} events", v.len()),
        Err(e) => e,
    }
}

/// The error as a person sees it (message, help and the line shown).
fn rendered(e: &ReadError) -> String {
    use miette::Diagnostic;
    let mut s = e.to_string();
    if let Some(h) = e.help() {
        s.push_str(&format!("\nhelp: {h}"));
    }
    s
}

const HEAD: &str = "customer_id,timestamp,event,amount,note\n";

fn rows(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("c{i},2026-01-01T10:00:00Z,visit,,\n")).collect()
}

#[test]
fn a_quote_left_open_does_not_swallow_the_rest_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    // line 4 opens a quote that never closes; 500 good rows follow
    let text = format!("{HEAD}{}c9,2026-01-01T10:00:00Z,order,12,\"gift wrap\n{}", rows(0, 2), rows(10, 500));
    let path = write(dir.path(), "open.csv", text.as_bytes());
    for skip in [false, true] {
        let e = error(&path, ReadOptions { skip_bad_rows: skip, sort: false });
        let msg = rendered(&e);
        assert!(msg.contains("open.csv:4:"), "{msg}");
        assert!(msg.contains("the quoted field opened on line 4 is not closed within 100 lines"), "{msg}");
        assert_eq!(e.kind(), Some(SkipKind::Malformed));
    }
    // at the end of a short file
    let path = write(
        dir.path(),
        "short.csv",
        format!("{HEAD}{}c9,2026-01-01T10:00:00Z,order,12,\"x\n", rows(0, 3)).as_bytes(),
    );
    let msg = rendered(&error(&path, ReadOptions::default()));
    assert!(msg.contains("short.csv:5:") && msg.contains("not closed before the end of the file"), "{msg}");
}

#[test]
fn a_quoted_line_break_is_legal_and_rows_are_told_from_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}c1,2026-01-01T10:00:00Z,order,12,\"ring\nthe bell\"\n{}", rows(2, 2));
    let path = write(dir.path(), "multi.csv", text.as_bytes());
    let (events, r) = read(&path, ReadOptions::default());
    let (events, r) = (events.unwrap(), r.unwrap());
    assert_eq!(events.len(), 3);
    assert_eq!((r.rows(), r.lines(), r.multiline_rows()), (3, 5, 1));
    match events[0].props[1] {
        PropValue::Text(t) => assert_eq!(r.texts().resolve(t), "ring\nthe bell"),
        ref other => panic!("{other:?}"),
    }
    let schema = Schema::from_program(&program());
    let stats = parse_only(&path, &Mapping::default(), &schema).unwrap();
    assert_eq!((stats.rows, stats.lines, stats.multiline_rows), (3, 5, 1));
}

#[test]
fn a_quote_left_open_in_the_snapshot_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("customer_id,tier,vip\nc1,gold,true\nc2,\"silver,false\n");
    for i in 3..400 {
        text.push_str(&format!("c{i},bronze,false\n"));
    }
    let path = write(dir.path(), "attrs.csv", text.as_bytes());
    let e = read_attributes(&path, &program()).unwrap_err();
    let msg = rendered(&e);
    assert!(msg.contains("attrs.csv:3:") && msg.contains("opened on line 3"), "{msg}");
}

#[test]
fn a_log_without_line_breaks_is_refused_after_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "blob.csv", &vec![b'x'; input::MAX_LINE + 10]);
    let msg = rendered(&error(&path, ReadOptions::default()));
    assert!(msg.contains("line 1 is longer than 8 MiB without a line break"), "{msg}");
    let mut body = HEAD.as_bytes().to_vec();
    body.extend(std::iter::repeat_n(0u8, input::MAX_LINE + 10));
    let path = write(dir.path(), "zeros.jsonl", &body);
    let msg = rendered(&error(&path, ReadOptions { skip_bad_rows: true, sort: false }));
    assert!(msg.contains("line 2 is longer than 8 MiB"), "{msg}");
    #[cfg(unix)]
    {
        let schema = Schema::from_program(&program());
        let m = Mapping { format: Format::Csv, ..Mapping::default() };
        let e = match LogReader::open(Path::new("/dev/zero"), &m, &schema, ReadOptions::default()) {
            Err(e) => e,
            Ok(mut r) => r.next_event().expect("an error").unwrap_err(),
        };
        assert!(rendered(&e).contains("longer than 8 MiB"), "{}", rendered(&e));
    }
}

#[test]
fn json_properties_that_are_not_an_object_are_reported_or_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-01T10:00:00Z\",\"event\":\"order\",\"properties\":{\"amount\":3}}\n\
{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-01T11:00:00Z\",\"event\":\"order\",\"properties\":[12.5]}\n\
{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-01T12:00:00Z\",\"event\":\"order\",\"properties\":\"12.5\"}\n\
{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-01T13:00:00Z\",\"event\":\"order\",\"properties\":null}\n";
    let path = write(dir.path(), "props.jsonl", text.as_bytes());
    let e = error(&path, ReadOptions::default());
    let msg = rendered(&e);
    assert!(
        msg.contains("props.jsonl:2:") && msg.contains("`properties` must be a JSON object, found a list"),
        "{msg}"
    );
    let (events, r) = read(&path, ReadOptions { skip_bad_rows: true, sort: false });
    assert_eq!(events.unwrap().len(), 2);
    assert_eq!(r.unwrap().skipped().malformed, 2);
}

#[test]
fn bytes_that_are_not_utf8_are_named_and_counted_as_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEAD.as_bytes().to_vec();
    body.extend_from_slice(b"c1,2026-01-01T10:00:00Z,order,12,caf\xe9\n");
    body.extend_from_slice(b"c2,2026-01-01T10:00:00Z,vis\xeft,,\n");
    body.extend_from_slice(b"c3,2026-01-01T10:00:00Z,visit,,\n");
    let path = write(dir.path(), "latin1.csv", &body);
    let e = error(&path, ReadOptions::default());
    let msg = rendered(&e);
    assert!(msg.contains("latin1.csv:2:") && msg.contains("order.note: the value is not UTF-8 text"), "{msg}");
    assert!(!msg.contains("nested"), "{msg}");
    let (events, r) = read(&path, ReadOptions { skip_bad_rows: true, sort: false });
    assert_eq!(events.unwrap().len(), 1);
    let skipped = r.unwrap().skipped().clone();
    assert_eq!((skipped.malformed, skipped.missing_event, skipped.bad_value), (2, 0, 0));
}

#[test]
fn utf16_is_named_and_a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}{}", rows(0, 2));
    let mut le: Vec<u8> = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let path = write(dir.path(), "excel.csv", &le);
    let msg = rendered(&error(&path, ReadOptions::default()));
    assert!(msg.contains("the file is UTF-16 text"), "{msg}");
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let path = write(dir.path(), "nobom.csv", &be);
    assert!(rendered(&error(&path, ReadOptions::default())).contains("UTF-16"));

    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(text.as_bytes());
    let path = write(dir.path(), "bom.csv", &bom);
    assert_eq!(read(&path, ReadOptions::default()).0.unwrap().len(), 2);
    let mut jsonl = vec![0xef, 0xbb, 0xbf];
    jsonl.extend_from_slice(b"{\"customer_id\":\"c1\",\"timestamp\":\"2026-01-01T10:00:00Z\",\"event\":\"visit\"}\n");
    let path = write(dir.path(), "bom.jsonl", &jsonl);
    assert_eq!(read(&path, ReadOptions::default()).0.unwrap().len(), 1);
    let mut attrs = vec![0xef, 0xbb, 0xbf];
    attrs.extend_from_slice(b"customer_id,tier\nc1,gold\n");
    let path = write(dir.path(), "attrs.csv", &attrs);
    let a = read_attributes(&path, &program()).unwrap();
    assert_eq!((a.len(), a.missing_columns.clone()), (1, vec!["vip".to_string()]));
}

#[test]
fn lines_ending_in_a_bare_carriage_return_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}{}", rows(0, 3)).replace('\n', "\r");
    let path = write(dir.path(), "mac.csv", text.as_bytes());
    let (events, r) = read(&path, ReadOptions::default());
    assert_eq!(events.unwrap().len(), 3);
    assert_eq!(r.unwrap().lines(), 4);
    let path = write(dir.path(), "mac-attrs.csv", b"customer_id,tier\rc1,gold\rc2,silver\r");
    assert_eq!(read_attributes(&path, &program()).unwrap().len(), 2);
}

#[test]
fn compressed_logs_are_read_directly() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}{}", rows(0, 50));
    let gz = dir.path().join("log.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    assert_eq!(read(&gz, ReadOptions::default()).0.unwrap().len(), 50);
    let zst = dir.path().join("log.csv.zst");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 1).unwrap()).unwrap();
    assert_eq!(read(&zst, ReadOptions::default()).0.unwrap().len(), 50);
    assert!(!input::rereadable(&zst) && !input::rereadable(&gz));
}

#[test]
fn parquet_follows_the_csv_rule_for_nan_and_infinite_money() {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.parquet");
    let col = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("customer_id", col(vec!["c1", "c2", "c3"])),
        ("timestamp", col(vec!["2026-01-01T10:00:00Z"; 3])),
        ("event", col(vec!["order"; 3])),
        ("amount", Arc::new(Float64Array::from(vec![12.0, f64::NAN, f64::INFINITY])) as ArrayRef),
    ])
    .unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let msg = rendered(&error(&path, ReadOptions::default()));
    assert!(msg.contains("order.amount: expected an amount like 12.50, found the number NaN"), "{msg}");
    let (events, r) = read(&path, ReadOptions { skip_bad_rows: true, sort: false });
    assert_eq!(events.unwrap().len(), 1);
    assert_eq!(r.unwrap().skipped().bad_value, 2);
    // and CSV says the same of the same values
    let csv = write(
        dir.path(),
        "nan.csv",
        format!("{HEAD}c1,2026-01-01T10:00:00Z,order,NaN,\nc2,2026-01-01T10:00:00Z,order,inf,\n").as_bytes(),
    );
    let (_, r) = read(&csv, ReadOptions { skip_bad_rows: true, sort: false });
    assert_eq!(r.unwrap().skipped().bad_value, 2);
}

#[test]
fn a_long_bad_row_is_shown_as_a_window_around_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(200_000);
    let text = format!("{HEAD}c1,2026-01-01T10:00:00Z,order,twelve,{long}\n");
    let path = write(dir.path(), "long.csv", text.as_bytes());
    let e = error(&path, ReadOptions::default());
    let shown = format!("{:?}", miette::Report::new(e));
    assert!(shown.contains("twelve") && shown.len() < 5_000, "{} bytes shown", shown.len());
}

#[test]
fn bytes_that_are_not_utf8_in_a_cell_the_row_does_not_read_are_no_problem() {
    // a CSV row is validated as UTF-8 once, as a whole; a row that fails it falls back
    // to validating each cell read, so bad bytes where the event has no property
    // (`note` of a `visit`) still read
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEAD.as_bytes().to_vec();
    body.extend_from_slice(b"c1,2026-01-01T10:00:00Z,visit,,caf\xe9\n");
    body.extend_from_slice(b"c1,2026-01-01T11:00:00Z,order,12,caf\xc3\xa9\n");
    let path = write(dir.path(), "mixed.csv", &body);
    let (events, r) = read(&path, ReadOptions::default());
    let events = events.unwrap();
    assert_eq!(events.len(), 2);
    match events[1].props[1] {
        PropValue::Text(t) => assert_eq!(r.unwrap().texts().resolve(t), "café"),
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn keys_and_numbers_are_trimmed_of_any_unicode_blank() {
    // the fast path skips `trim` only when a cell starts and ends with a visible ASCII
    // character; a no-break space or a tab at either end is still trimmed
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEAD}c1,2026-01-01T10:00:00Z,order,12,\n\u{a0}c1,2026-01-01T10:01:00Z,order, 7\u{a0},\n\
         c1\t,2026-01-01T10:02:00Z, order ,3,\nc2 ,2026-01-01T10:03:00Z,visit,,\n"
    );
    let path = write(dir.path(), "blanks.csv", text.as_bytes());
    let (events, r) = read(&path, ReadOptions::default());
    let events = events.unwrap();
    let r = r.unwrap();
    assert_eq!(events.iter().map(|e| e.customer.0).collect::<Vec<_>>(), [0, 0, 0, 1]);
    assert_eq!((r.interner().resolve(0), r.interner().resolve(1)), ("c1", "c2"));
    assert_eq!(events[1].props[0], PropValue::Money(7.0));
}

/// A footer whose row group claims a negative row count (found by the fuzz run of small
/// row groups): the parquet crate summed the counts unchecked, which panicked in a debug
/// build ("attempt to add with overflow") and wrapped in a release one. It is refused
/// as a damaged file, with its row group named.
#[test]
fn a_footer_claiming_an_impossible_row_count_is_refused() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use std::sync::Arc;
    let col = |v: Vec<&str>| Arc::new(StringArray::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("customer_id", col(vec!["c1", "c2", "c3", "c4"])),
        ("timestamp", col(vec!["2026-01-01T10:00:00Z"; 4])),
        ("event", col(vec!["visit"; 4])),
    ])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(2)).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    let good = w.into_inner().unwrap();
    let meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::from(good.clone()))
        .unwrap();
    assert_eq!(meta.num_row_groups(), 2);
    // the same pages, and a footer whose second row group claims -1 rows
    let mut builder = meta.into_builder();
    let mut groups = builder.take_row_groups();
    groups[1] = groups[1].clone().into_builder().set_num_rows(-1).build().unwrap();
    let damaged = builder.set_row_groups(groups).build();
    let footer_len = u32::from_le_bytes(good[good.len() - 8..good.len() - 4].try_into().unwrap()) as usize;
    let mut bytes = good[..good.len() - 8 - footer_len].to_vec();
    parquet::file::metadata::ParquetMetaDataWriter::new(&mut bytes, &damaged).finish().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "damaged.parquet", &bytes);
    let msg = rendered(&error(&path, ReadOptions::default()));
    assert!(msg.contains("row group 2 claims -1 rows (a damaged footer)"), "{msg}");
    // the file before the damage reads
    let path = write(dir.path(), "good.parquet", &good);
    assert_eq!(read(&path, ReadOptions::default()).0.unwrap().len(), 4);
}
