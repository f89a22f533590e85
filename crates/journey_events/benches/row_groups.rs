//! Parquet logs with tiny row groups against the same rows in large ones (issue 19):
//! events per second of a parse-only pass, and the ratio.
//!
//!     cargo bench -p journey_events --bench row_groups
//!
//! JOURNEY_BENCH_ROWS changes the size (default 400,000 rows); the tiny row groups hold
//! 64 rows, the large ones 65,536.

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use journey_events::{LogReader, Mapping, ReadOptions, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[path = "../tests/support/checked.rs"]
mod checked;

fn program() -> journey_ir::Program {
    let dir = tempfile::tempdir().unwrap();
    checked::written_program(dir.path(), "timezone: UTC\ncurrency: EUR\n", "event visit { page: text }\n")
}

fn write(path: &Path, rows: usize, group: usize) {
    let customers: Vec<String> = (0..rows).map(|i| format!("c{}", i % 5000)).collect();
    let times: Vec<String> =
        (0..rows).map(|i| format!("2026-01-{:02}T{:02}:00:00Z", 1 + (i * 28 / rows), (i / 5000) % 24)).collect();
    let batch = RecordBatch::try_from_iter([
        ("customer_id", Arc::new(StringArray::from(customers)) as ArrayRef),
        ("timestamp", Arc::new(StringArray::from(times)) as ArrayRef),
        ("event", Arc::new(StringArray::from(vec!["visit"; rows])) as ArrayRef),
        ("page", Arc::new(StringArray::from(vec!["/home"; rows])) as ArrayRef),
    ])
    .unwrap();
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(group)).build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Events per second reading the log, sorted (order is not the point here).
fn rate(path: &Path, schema: &Schema) -> f64 {
    let opts = ReadOptions { skip_bad_rows: false, sort: true };
    let started = Instant::now();
    let mut r = LogReader::open(path, &Mapping::default(), schema, opts).unwrap();
    let mut n = 0u64;
    while let Some(e) = r.next_event() {
        e.unwrap();
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// The same, from the file's bytes held in memory.
fn rate_in_memory(path: &Path, schema: &Schema) -> f64 {
    let opts = ReadOptions { skip_bad_rows: false, sort: true };
    let started = Instant::now();
    let bytes = std::fs::read(path).unwrap();
    let m = Mapping::default();
    let input = Box::new(std::io::Cursor::new(bytes));
    let mut r = LogReader::from_reader(path, input, journey_events::Format::Parquet, &m, schema, opts).unwrap();
    let mut n = 0u64;
    while let Some(e) = r.next_event() {
        e.unwrap();
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("row_groups: bench");
        return;
    }
    let rows = std::env::var("JOURNEY_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(400_000);
    let schema = Schema::from_program(&program());
    let dir = tempfile::tempdir().unwrap();
    let (large, tiny) = (dir.path().join("large.parquet"), dir.path().join("tiny.parquet"));
    write(&large, rows, 65_536);
    write(&tiny, rows, 64);
    // warm the page cache and the allocator, then the best of three
    let best = |p: &Path| (0..3).map(|_| rate(p, &schema)).fold(0.0, f64::max);
    rate(&large, &schema);
    let (l, t) = (best(&large), best(&tiny));
    println!("parquet, {rows} rows: row groups of 65,536: {:.0} events/s", l);
    println!("parquet, {rows} rows: row groups of 64:     {:.0} events/s", t);
    println!("tiny / large: {:.2} (1.00 = as fast)", t / l);
    let m = (0..3).map(|_| rate_in_memory(&tiny, &schema)).fold(0.0, f64::max);
    println!("parquet, {rows} rows: row groups of 64, file held in memory: {:.0} events/s ({:.2} of large)", m, m / l);
}
