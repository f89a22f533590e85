//! Parquet logs, read through Arrow record batches with only the mapped columns
//! projected. Columns may be strings (plain, large, view or dictionary-encoded),
//! integers, floats, booleans, timestamps (any unit; with a zone they are UTC, without
//! one they are wall-clock times in the mapping's zone) or dates.
//!
//! A text column whose pages are all dictionary-encoded is read as dictionary keys
//! (the dictionary decoded once per column chunk, not the text once per row), and the
//! builder resolves each key once per dictionary ([`Builder::new_dictionary`]).

use crate::error::ReadError;
use crate::mapping::{Column, Mapping};
use crate::model::{Event, Schema};
use crate::parquet_ahead::{Batches, Decoded};
use crate::parquet_columns::Columns;
use crate::reader::{Builder, Cell, Location, Outcome, Plan, Row};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, PrimitiveArray, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::basic::Encoding;
use parquet::file::metadata::ParquetMetaData;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch. Larger batches spread the decoder's per-batch work over more
/// rows, but a batch of every mapped column must stay in the cache while its rows are
/// built: 65,536 rows (about 15 MiB of arrays for the generated log) read slower.
const BATCH: usize = 8192;

/// How many rows ahead the customer's time-order entry is loaded
/// ([`Builder::prefetch_customer`]): far enough for the load to arrive, near enough
/// to stay in the cache.
const AHEAD: usize = 8;

/// The file's arrow schema with every flat text column whose data pages are all
/// dictionary-encoded, in every row group, and that has a value in every row group,
/// read as dictionary keys; `None` when there
/// is none (or the schema is nested, where columns and fields do not line up).
fn keep_dictionaries(meta: &ParquetMetaData, schema: &arrow_schema::SchemaRef) -> Option<arrow_schema::SchemaRef> {
    let groups = meta.row_groups();
    if groups.is_empty() || meta.file_metadata().schema_descr().num_columns() != schema.fields().len() {
        return None;
    }
    // A chunk of nulls only (common for a rare event's property in small row groups)
    // has an empty dictionary: the decoder then hands its batch over as text and codes
    // it again, comparing every null with the first (half the time of a log of
    // 1,024-row groups). Such a column is read as text, cheap for what is mostly nulls.
    let only_nulls = |g: &parquet::file::metadata::RowGroupMetaData, c: usize| {
        let nulls = g.column(c).statistics().and_then(|s| s.null_count_opt());
        nulls.is_some_and(|n| n as i64 >= g.num_rows())
    };
    let coded = |c: usize| {
        groups.iter().all(|g| {
            let chunk = g.column(c);
            !only_nulls(g, c)
                && chunk.dictionary_page_offset().is_some()
                && chunk
                    .page_encoding_stats_mask()
                    .is_some_and(|m| m.is_only(Encoding::PLAIN_DICTIONARY) || m.is_only(Encoding::RLE_DICTIONARY))
        })
    };
    let mut any = false;
    let fields: Vec<arrow_schema::FieldRef> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(c, f)| {
            if *f.data_type() == DataType::Utf8 && coded(c) {
                any = true;
                let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                Arc::new(f.as_ref().clone().with_data_type(dict))
            } else {
                f.clone()
            }
        })
        .collect();
    any.then(|| Arc::new(arrow_schema::Schema::new_with_metadata(fields, schema.metadata().clone())))
}

/// How a file's rows are cut into batches: `rows` a batch, and whether dictionary-coded
/// text may be read as dictionary keys (only when no batch spans two row groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Batching {
    pub(crate) rows: usize,
    pub(crate) keys: bool,
}

/// Row groups of a common size below this are still read as text: each batch is a
/// call into every column's decoder, and below it those calls cost more than the text.
const MIN_GROUP_BATCH: usize = 512;

/// The batches of a file with `groups` rows per row group: [`BATCH`] rows when every
/// row group but the last is a multiple of it (the writers' default of about a million
/// is); else, when those groups share a common size between [`MIN_GROUP_BATCH`] and
/// [`BATCH`] (a file of 1,024-row groups), a batch is that size, so that no batch spans
/// two groups; else [`BATCH`] rows read as text.
///
/// Why: a batch that meets a second dictionary makes the decoder turn the column back
/// into text and code it again, with a hash per row; read as text, each value is copied
/// and then interned row by row. A log of 1,024-row groups read 0.39x as fast as the
/// same rows in large groups that way (`cargo bench --bench simulate`, "tiny"); with a
/// batch a group, keys stay keys and a value is resolved once per group.
pub(crate) fn batching(groups: &[i64]) -> Batching {
    let Some((_, full)) = groups.split_last() else { return Batching { rows: BATCH, keys: true } };
    if full.iter().any(|&g| g <= 0) {
        return Batching { rows: BATCH, keys: false };
    }
    if full.iter().all(|&g| (g as usize).is_multiple_of(BATCH)) {
        return Batching { rows: BATCH, keys: true };
    }
    let common = full.iter().fold(0u64, |a, &g| gcd(a, g as u64)) as usize;
    if (MIN_GROUP_BATCH..BATCH).contains(&common) {
        return Batching { rows: common, keys: true };
    }
    Batching { rows: BATCH, keys: false }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Row groups smaller than this on average, in a file no larger than
/// [`IN_MEMORY_LIMIT`], are read from memory: from a file, every column chunk of every
/// row group is a read of its own, which made a log of 64-row groups 20% slower than
/// the same rows in large groups (`cargo bench -p journey_events --bench row_groups`).
const SMALL_ROW_GROUP: i64 = 4096;
const IN_MEMORY_LIMIT: u64 = 512 << 20;

/// The footer of a Parquet file with many small row groups that fits the in-memory
/// limit (handed on to [`ParquetBackend::open`]: a footer of thousands of row groups
/// takes a while to parse); `None` for any other file.
pub(crate) fn small_row_groups(file: &std::fs::File) -> Option<Arc<ParquetMetaData>> {
    let len = file.metadata().ok()?.len();
    if len > IN_MEMORY_LIMIT {
        return None;
    }
    let clone = file.try_clone().ok()?;
    let meta = parquet::file::metadata::ParquetMetaDataReader::new().parse_and_finish(&clone).ok()?;
    let groups = meta.num_row_groups() as i64;
    (groups > 1 && meta.file_metadata().num_rows() / groups < SMALL_ROW_GROUP).then(|| Arc::new(meta))
}

pub(crate) struct ParquetBackend {
    pub(crate) batches: Batches,
    /// slot → column of the projected batch (`None`: the file lacks it)
    columns: Vec<Option<usize>>,
    accs: Vec<Acc>,
    /// Per slot: the dictionary its keys refer to, held so that its memory cannot be
    /// reused by a different dictionary that would look the same.
    dicts: Vec<Option<arrow_array::StringArray>>,
    len: usize,
    i: usize,
    row: u64,
    /// The decoder failed on corrupt data: nothing more is read.
    corrupt: bool,
    /// The batch's columns typed once, for the fast build of its rows.
    pub(crate) typed: Columns,
}

pub(crate) enum Acc {
    Missing,
    Utf8(arrow_array::StringArray),
    LargeUtf8(arrow_array::LargeStringArray),
    View(arrow_array::StringViewArray),
    Dict(PrimitiveArray<Int32Type>, arrow_array::StringArray),
    I64(PrimitiveArray<Int64Type>),
    I32(PrimitiveArray<Int32Type>),
    F64(PrimitiveArray<Float64Type>),
    F32(PrimitiveArray<Float32Type>),
    Bool(arrow_array::BooleanArray),
    TsS(PrimitiveArray<TimestampSecondType>, bool),
    TsMs(PrimitiveArray<TimestampMillisecondType>, bool),
    TsUs(PrimitiveArray<TimestampMicrosecondType>, bool),
    TsNs(PrimitiveArray<TimestampNanosecondType>, bool),
    Date(PrimitiveArray<Date32Type>),
}

pub(crate) fn acc(a: &ArrayRef) -> Option<Acc> {
    Some(match a.data_type() {
        DataType::Null => Acc::Missing,
        DataType::Utf8 => Acc::Utf8(a.as_string::<i32>().clone()),
        DataType::LargeUtf8 => Acc::LargeUtf8(a.as_string::<i64>().clone()),
        DataType::Utf8View => Acc::View(a.as_string_view().clone()),
        DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
            let d = a.as_dictionary::<Int32Type>();
            Acc::Dict(d.keys().clone(), d.values().as_string::<i32>().clone())
        }
        DataType::Int64 => Acc::I64(a.as_primitive::<Int64Type>().clone()),
        DataType::Int32 => Acc::I32(a.as_primitive::<Int32Type>().clone()),
        DataType::Float64 => Acc::F64(a.as_primitive::<Float64Type>().clone()),
        DataType::Float32 => Acc::F32(a.as_primitive::<Float32Type>().clone()),
        DataType::Boolean => Acc::Bool(a.as_boolean().clone()),
        DataType::Timestamp(unit, tz) => {
            let local = tz.is_none();
            match unit {
                TimeUnit::Second => Acc::TsS(a.as_primitive().clone(), local),
                TimeUnit::Millisecond => Acc::TsMs(a.as_primitive().clone(), local),
                TimeUnit::Microsecond => Acc::TsUs(a.as_primitive().clone(), local),
                TimeUnit::Nanosecond => Acc::TsNs(a.as_primitive().clone(), local),
            }
        }
        DataType::Date32 => Acc::Date(a.as_primitive().clone()),
        _ => return None,
    })
}

fn ts(ms: i64, local: bool) -> Cell<'static> {
    if local {
        Cell::LocalTime(ms)
    } else {
        Cell::Time(ms)
    }
}

pub(crate) struct PqRow<'a> {
    pub(crate) accs: &'a [Acc],
    pub(crate) i: usize,
}

// Both inlined into the builder's generic code, forced: as ordinary calls (the
// compiler kept `cell` out of line for its size) they were 15% of reading a Parquet
// log, the call and the dispatch on the column's type costing more than the read.
impl Row for PqRow<'_> {
    #[inline(always)]
    fn code(&self, slot: usize) -> Option<u32> {
        match &self.accs[slot] {
            Acc::Dict(k, v) if !k.is_null(self.i) => {
                let k = k.value(self.i);
                (k >= 0 && (k as usize) < v.len() && !v.is_null(k as usize)).then_some(k as u32)
            }
            _ => None,
        }
    }

    /// One match on the column's type, each arm testing its own nulls (it was a match
    /// for the null test, then a second one for the value: twice the dispatch per cell).
    #[inline(always)]
    fn cell(&self, slot: usize) -> Cell<'_> {
        let i = self.i;
        macro_rules! or_null {
            ($x:expr, $v:expr) => {
                if $x.is_null(i) {
                    Cell::Null
                } else {
                    $v
                }
            };
        }
        match &self.accs[slot] {
            Acc::Missing => Cell::Null,
            Acc::Utf8(x) => or_null!(x, Cell::Str(x.value(i))),
            Acc::LargeUtf8(x) => or_null!(x, Cell::Str(x.value(i))),
            Acc::View(x) => or_null!(x, Cell::Str(x.value(i))),
            Acc::Dict(k, v) => or_null!(k, {
                let k = k.value(i);
                if k < 0 || k as usize >= v.len() || v.is_null(k as usize) {
                    Cell::Null
                } else {
                    Cell::Str(v.value(k as usize))
                }
            }),
            Acc::I64(x) => or_null!(x, Cell::Int(x.value(i))),
            Acc::I32(x) => or_null!(x, Cell::Int(x.value(i) as i64)),
            Acc::F64(x) => or_null!(x, Cell::Float(x.value(i))),
            Acc::F32(x) => or_null!(x, Cell::Float(x.value(i) as f64)),
            Acc::Bool(x) => or_null!(x, Cell::Bool(x.value(i))),
            Acc::TsS(x, l) => or_null!(x, ts(x.value(i).saturating_mul(1000), *l)),
            Acc::TsMs(x, l) => or_null!(x, ts(x.value(i), *l)),
            Acc::TsUs(x, l) => or_null!(x, ts(x.value(i).div_euclid(1000), *l)),
            Acc::TsNs(x, l) => or_null!(x, ts(x.value(i).div_euclid(1_000_000), *l)),
            Acc::Date(x) => or_null!(x, Cell::LocalTime(x.value(i) as i64 * 86_400_000)),
        }
    }
}

impl ParquetBackend {
    /// Open a Parquet log: a file, or the bytes of one held in memory (a stream);
    /// `footer`: its metadata when already read ([`small_row_groups`]).
    pub(crate) fn open<R: parquet::file::reader::ChunkReader + 'static>(
        path: &Path,
        file: R,
        footer: Option<Arc<ParquetMetaData>>,
        mapping: &Mapping,
        schema: &Schema,
    ) -> Result<(Self, Plan), ReadError> {
        let bad = |e: parquet::errors::ParquetError| ReadError::Mapping {
            path: path.display().to_string(),
            message: format!("not a readable Parquet file: {e}"),
            help: None,
        };
        let metadata = match footer {
            Some(footer) => ArrowReaderMetadata::try_new(footer, ArrowReaderOptions::new()),
            None => ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()),
        }
        .map_err(bad)?;
        // text columns coded with a dictionary throughout: read the keys, not the text
        // (only where the row groups allow it, see `batching`)
        let sizes: Vec<i64> = metadata.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        // a damaged footer can claim any row count, and the parquet crate sums them
        // unchecked (a panic in a debug build, a wrapped total in a release one)
        let mut total: i64 = 0;
        for (i, &n) in sizes.iter().enumerate() {
            match total.checked_add(n).filter(|_| n >= 0) {
                Some(t) => total = t,
                None => {
                    return Err(ReadError::Mapping {
                        path: path.display().to_string(),
                        message: format!(
                            "not a readable Parquet file: row group {} claims {n} rows (a damaged footer)",
                            i + 1
                        ),
                        help: None,
                    })
                }
            }
        }
        let batching = batching(&sizes);
        let keep = batching.keys.then(|| keep_dictionaries(metadata.metadata(), metadata.schema())).flatten();
        let metadata = match keep {
            Some(schema) => {
                ArrowReaderMetadata::try_new(metadata.metadata().clone(), ArrowReaderOptions::new().with_schema(schema))
                    .map_err(bad)?
            }
            None => metadata,
        };
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata);
        let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        let plan = Plan::new(path, mapping, schema, Some(&fields))?;
        if plan.slots.iter().any(|c| matches!(c, Column::Position(_))) {
            return Err(ReadError::Mapping {
                path: path.display().to_string(),
                message: "Parquet columns are named, not numbered".into(),
                help: Some("map columns by name in journey.yaml under `events:`".into()),
            });
        }
        let mut roots: Vec<usize> = Vec::new();
        for c in &plan.slots {
            if let Column::Name(n) = c {
                if let Some(i) = fields.iter().position(|f| f == n) {
                    if !roots.contains(&i) {
                        roots.push(i);
                    }
                }
            }
        }
        roots.sort_unstable();
        // the projected batch keeps file order of the chosen roots
        let columns = plan
            .slots
            .iter()
            .map(|c| match c {
                Column::Name(n) => fields.iter().position(|f| f == n).and_then(|i| roots.iter().position(|r| *r == i)),
                Column::Position(_) => None,
            })
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let reader = builder.with_projection(mask).with_batch_size(batching.rows).build().map_err(bad)?;
        let batches = Batches::new(reader, rows, batching.rows);
        let dicts = vec![None; plan.slots.len()];
        let typed = Columns::new(&plan, schema);
        let backend =
            ParquetBackend { batches, columns, accs: Vec::new(), dicts, len: 0, i: 0, row: 0, corrupt: false, typed };
        Ok((backend, plan))
    }

    fn load(&mut self, batch: RecordBatch, builder: &mut Builder) -> Result<(), String> {
        self.accs.clear();
        for c in &self.columns {
            match c {
                None => self.accs.push(Acc::Missing),
                Some(i) => {
                    let a = batch.column(*i);
                    match acc(a) {
                        Some(x) => self.accs.push(x),
                        None => {
                            let name = batch.schema().field(*i).name().clone();
                            return Err(format!("column `{name}` has the unsupported type {}", a.data_type()));
                        }
                    }
                }
            }
        }
        // a batch of the same column chunk shares its dictionary: keep what its keys
        // resolved to; a new one starts afresh
        for (slot, a) in self.accs.iter().enumerate() {
            if let Acc::Dict(_, values) = a {
                let same = self.dicts[slot].as_ref().is_some_and(|d| {
                    d.len() == values.len()
                        && d.values().as_ptr() == values.values().as_ptr()
                        && d.offsets().as_ptr() == values.offsets().as_ptr()
                });
                if !same {
                    builder.new_dictionary(slot, values.len());
                    self.typed.new_dictionary(slot, values.len());
                    self.dicts[slot] = Some(values.clone());
                }
            }
        }
        self.typed.load(&self.accs, builder);
        self.len = batch.num_rows();
        self.i = 0;
        Ok(())
    }

    /// The next row when it is in the current batch and the fast build takes it (the
    /// common case), without an [`Outcome`]: handing that back and matching on it cost
    /// about as much per row as the build. `false`: call [`ParquetBackend::next`].
    #[inline]
    pub(crate) fn next_fast(&mut self, builder: &mut Builder, out: &mut Event) -> bool {
        let i = self.i;
        if i >= self.len {
            return false;
        }
        if i + AHEAD < self.len {
            self.typed.prefetch(builder, i + AHEAD);
        }
        if !self.typed.try_build(builder, &PqRow { accs: &self.accs, i }, self.row + 1, out) {
            return false;
        }
        self.i += 1;
        self.row += 1;
        true
    }

    pub(crate) fn next(&mut self, builder: &mut Builder, out: &mut Event) -> Outcome {
        while self.i >= self.len {
            if self.corrupt {
                return Outcome::End;
            }
            match self.batches.next() {
                Decoded::Corrupt => {
                    self.corrupt = true;
                    let e = "the Parquet file is corrupt (its data cannot be decoded)";
                    return Outcome::Io(std::io::Error::other(e));
                }
                Decoded::End => return Outcome::End,
                Decoded::Failed(e) => return Outcome::Io(std::io::Error::other(e)),
                Decoded::Batch(batch) => {
                    if let Err(m) = self.load(batch, builder) {
                        return Outcome::Io(std::io::Error::other(m));
                    }
                }
            }
        }
        let i = self.i;
        self.i += 1;
        self.row += 1;
        if i + AHEAD < self.len {
            self.typed.prefetch(builder, i + AHEAD);
        }
        let row = PqRow { accs: &self.accs, i };
        match self.typed.build(builder, &row, self.row, out) {
            Ok(()) => Outcome::Event,
            Err(p) => {
                // show the row as `column = value` pairs of the mapped columns
                let text = builder
                    .plan
                    .slots
                    .iter()
                    .enumerate()
                    .map(|(s, c)| {
                        let v = match row.cell(s) {
                            Cell::Str(x) => format!("{x:?}"),
                            Cell::Null => "null".into(),
                            Cell::Int(x) => x.to_string(),
                            Cell::Float(x) => x.to_string(),
                            Cell::Bool(x) => x.to_string(),
                            Cell::Time(t) | Cell::LocalTime(t) => crate::time::format(t),
                            Cell::Nested | Cell::NotUtf8 => "…".into(),
                        };
                        let name = match c {
                            Column::Name(n) => n.clone(),
                            Column::Position(p) => p.to_string(),
                        };
                        (s, format!("{name} = {v}"))
                    })
                    .collect::<Vec<_>>();
                let mut line = String::from("row ");
                line.push_str(&self.row.to_string());
                line.push_str(": ");
                let mut start = 0;
                let mut len = 0;
                for (k, (s, t)) in text.iter().enumerate() {
                    if k > 0 {
                        line.push_str(", ");
                    }
                    if Some(*s) == p.slot {
                        start = line.len();
                        len = t.len();
                    }
                    line.push_str(t);
                }
                Outcome::Bad(p, Location::Row { row: self.row, text: line, span: (start, len) })
            }
        }
    }
}

#[cfg(test)]
mod batching_tests {
    use super::{batching, Batching, BATCH};

    #[test]
    fn batches_never_span_row_groups_where_keys_are_kept() {
        let keys = |rows| Batching { rows, keys: true };
        assert_eq!(batching(&[]), keys(BATCH));
        assert_eq!(batching(&[5]), keys(BATCH));
        assert_eq!(batching(&[1 << 20, 935_303]), keys(BATCH));
        assert_eq!(batching(&[16_384, 8_192, 100]), keys(BATCH));
        // small groups of one size: a batch a group, the last one any size
        assert_eq!(batching(&[1024, 1024, 1024, 391]), keys(1024));
        assert_eq!(batching(&[1024, 1024, 5000]), keys(1024));
        assert_eq!(batching(&[2048, 1024, 3072, 7]), keys(1024));
        // too small, no common size, or an empty group: text in batches of BATCH
        let text = Batching { rows: BATCH, keys: false };
        assert_eq!(batching(&[300, 300, 10]), text);
        assert_eq!(batching(&[1000, 1001, 10]), text);
        assert_eq!(batching(&[10_000, 10_000, 10]), text);
        assert_eq!(batching(&[1024, 0, 1024]), text);
    }
}
