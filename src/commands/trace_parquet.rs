//! `journey calendar --trace` on a Parquet trace (`journey simulate --trace x.parquet`).
//!
//! The calendar's trace reader streams CSV with `file:line:column` errors; a Parquet
//! trace is turned into that CSV one row group at a time in a temporary file, so memory
//! stays bounded however long the trace, and the reader (with its checks) is shared.
//! A file is Parquet when it starts with the `PAR1` magic, whatever its name.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, RecordBatch};
use std::io::{Read, Write};
use std::path::Path;

const COLUMNS: [&str; 7] = ["time", "customer", "journey", "node", "kind", "channel", "template"];

/// Does the file start with Parquet's magic bytes?
pub fn is_parquet(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
}

/// The Parquet trace at `path` as the CSV trace `journey simulate` would have written.
pub fn to_csv(path: &Path) -> miette::Result<tempfile::NamedTempFile> {
    let shown = path.display();
    let bad = |e: &dyn std::fmt::Display| {
        miette::miette!(
            help = "a Parquet trace is what `journey simulate --trace FILE.parquet` writes",
            "cannot read the Parquet trace {shown}: {e}"
        )
    };
    let file = std::fs::File::open(path).map_err(|e| bad(&e))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(&e))?;
    let tmp = tempfile::NamedTempFile::new().map_err(|e| bad(&e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    let io = |e: std::io::Error| miette::miette!("cannot write a temporary file for {shown}: {e}");
    writeln!(out, "{}", COLUMNS.join(",")).map_err(io)?;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        write_batch(&mut out, &batch).map_err(|e| bad(&e))?.map_err(io)?;
    }
    out.flush().map_err(io)?;
    drop(out);
    Ok(tmp)
}

/// One record batch as CSV rows: the outer error is a column of the wrong type or
/// missing, the inner one a write error.
fn write_batch(out: &mut impl Write, batch: &RecordBatch) -> Result<std::io::Result<()>, String> {
    let column = |name: &str| {
        batch.column_by_name(name).ok_or_else(|| format!("not a journey trace: it has no `{name}` column"))
    };
    let time = column("time")?;
    let times: Vec<Option<i64>> = (0..batch.num_rows()).map(|i| millis(time.as_ref(), i)).collect::<Result<_, _>>()?;
    let mut strings = Vec::new();
    for name in &COLUMNS[1..] {
        let c = column(name)?;
        let s = c
            .as_string_opt::<i32>()
            .ok_or_else(|| format!("the `{name}` column holds {}, expected strings", c.data_type()))?;
        strings.push(s);
    }
    for (i, t) in times.iter().enumerate() {
        let Some(t) = t else {
            return Err(format!("row {} has no `time`", i + 1));
        };
        let mut row = journey_events::time::format(*t);
        for s in &strings {
            row.push(',');
            if s.is_valid(i) {
                row.push_str(&csv_field(s.value(i)));
            }
        }
        row.push('\n');
        if let Err(e) = out.write_all(row.as_bytes()) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// The `time` of row `i` in milliseconds since the epoch, from any timestamp unit.
fn millis(a: &dyn Array, i: usize) -> Result<Option<i64>, String> {
    if a.is_null(i) {
        return Ok(None);
    }
    if let Some(t) = a.as_primitive_opt::<TimestampMillisecondType>() {
        return Ok(Some(t.value(i)));
    }
    if let Some(t) = a.as_primitive_opt::<TimestampMicrosecondType>() {
        return Ok(Some(t.value(i).div_euclid(1_000)));
    }
    if let Some(t) = a.as_primitive_opt::<TimestampNanosecondType>() {
        return Ok(Some(t.value(i).div_euclid(1_000_000)));
    }
    if let Some(t) = a.as_primitive_opt::<TimestampSecondType>() {
        return Ok(Some(t.value(i) * 1_000));
    }
    Err(format!("the `time` column holds {}, expected a timestamp", a.data_type()))
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}
