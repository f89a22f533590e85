//! Our own decoder of the common Parquet case, for files of many small row groups.
//!
//! Why: arrow's reader sets up a column reader, a record reader and fresh arrays for
//! every column chunk; in row groups of 1,024 rows that machinery, not the data, is
//! most of the decoding (arrow alone reads such a file at ~0.43x its large-group rate).
//! Here a column chunk is its pages read straight from the file held in memory: the
//! page headers and decompression are the parquet crate's ([`SerializedPageReader`]),
//! the levels, dictionary ids and plain values are decoded here into the arrays the
//! arrow reader would make. A dictionary page byte-equal to the column's last one keeps
//! the last one's values array, so the builder keeps what its keys resolved to.
//!
//! Soundness: only flat columns of the types below are taken, decided from the footer
//! before the first row; anything unexpected in a row group (an encoding not handled
//! here, a short page, a key out of range, text that is not UTF-8, a panic) hands that
//! row group and every later one to arrow's reader, so errors and values are arrow's.
//! The tests compare the batches of both decoders on generated files.

use crate::parquet_levels::{hybrid, levels, plain_bools};
use arrow_array::types::*;
use arrow_array::{ArrayRef, BooleanArray, DictionaryArray, PrimitiveArray, RecordBatch, StringArray};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::basic::{Encoding, Type as Physical};
use parquet::column::page::{Page, PageReader};
use parquet::file::properties::{ReaderProperties, ReaderPropertiesPtr};
use parquet::file::serialized_reader::SerializedPageReader;
use std::sync::Arc;

/// What a projected column becomes, with the physical type it must have.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Text,
    Dict,
    I32,
    Date,
    I64,
    Ts(TimeUnit, Option<Arc<str>>),
    F32,
    F64,
    Bool,
}

impl Kind {
    fn of(t: &DataType, physical: Physical) -> Option<Kind> {
        let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        Some(match (t, physical) {
            (DataType::Utf8, Physical::BYTE_ARRAY) => Kind::Text,
            (t, Physical::BYTE_ARRAY) if *t == dict => Kind::Dict,
            (DataType::Int32, Physical::INT32) => Kind::I32,
            (DataType::Date32, Physical::INT32) => Kind::Date,
            (DataType::Int64, Physical::INT64) => Kind::I64,
            (DataType::Timestamp(u, z), Physical::INT64) => Kind::Ts(*u, z.clone()),
            (DataType::Float32, Physical::FLOAT) => Kind::F32,
            (DataType::Float64, Physical::DOUBLE) => Kind::F64,
            (DataType::Boolean, Physical::BOOLEAN) => Kind::Bool,
            _ => return None,
        })
    }
}

/// One projected column: its leaf in the file, its kind, whether it may be null.
struct Col {
    leaf: usize,
    kind: Kind,
    optional: bool,
    /// The last dictionary page of a text column and the values array made of it.
    last_dict: Option<(Bytes, StringArray)>,
}

/// Where the file stands: decoded here, handed to arrow, or done.
enum State {
    Own,
    Arrow(ParquetRecordBatchReader),
    Done,
}

/// The batches of a file of small row groups, a row group at a time, `rows` rows a batch
/// at most (a row group larger than that is cut, as arrow cuts it).
pub(crate) struct OwnReader {
    data: Bytes,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    schema: SchemaRef,
    cols: Vec<Col>,
    rows: usize,
    group: usize,
    props: ReaderPropertiesPtr,
    /// The current row group's batch and how many of its rows were handed out.
    current: Option<(RecordBatch, usize)>,
    /// Arrow's reader of the whole file, built as the reader was before: taken if
    /// the first row group is not ours.
    first: Option<ParquetRecordBatchReader>,
    state: State,
    /// Row groups decoded here (the tests check that the decoder is taken).
    #[cfg(test)]
    pub(crate) own_groups: usize,
}

/// The projected columns, when every one is of a kind taken here.
fn columns(metadata: &ArrowReaderMetadata, mask: &ProjectionMask, schema: &SchemaRef) -> Option<Vec<Col>> {
    let descr = metadata.metadata().file_metadata().schema_descr_ptr();
    let leaves: Vec<usize> = (0..descr.num_columns()).filter(|&i| mask.leaf_included(i)).collect();
    // flat: one leaf a field, in file order
    if leaves.len() != schema.fields().len() || descr.num_columns() != metadata.schema().fields().len() {
        return None;
    }
    let mut cols = Vec::new();
    for (leaf, field) in leaves.iter().zip(schema.fields()) {
        let c = descr.column(*leaf);
        if c.max_rep_level() != 0 || c.max_def_level() > 1 || c.name() != field.name() {
            return None;
        }
        let kind = Kind::of(field.data_type(), c.physical_type())?;
        cols.push(Col { leaf: *leaf, kind, optional: c.max_def_level() == 1, last_dict: None });
    }
    Some(cols)
}

/// Anything this decoder does not take: the row group goes to arrow.
struct Unexpected;

type Got<T> = Result<T, Unexpected>;

fn need<T>(x: Option<T>) -> Got<T> {
    x.ok_or(Unexpected)
}

impl OwnReader {
    /// The reader for `data` (the whole file), when every projected column is one it
    /// takes; `schema`: the projected arrow schema arrow's reader gives its batches.
    pub(crate) fn new(
        data: Bytes,
        metadata: ArrowReaderMetadata,
        mask: ProjectionMask,
        first: ParquetRecordBatchReader,
        rows: usize,
    ) -> Result<OwnReader, ParquetRecordBatchReader> {
        use arrow_array::RecordBatchReader;
        let schema = first.schema();
        let Some(cols) = columns(&metadata, &mask, &schema) else { return Err(first) };
        // arrow's reader's properties: its page headers read the same way (statistics
        // too, which may fail to decode in a corrupt file)
        let props = Arc::new(ReaderProperties::builder().build());
        Ok(OwnReader {
            data,
            metadata,
            mask,
            schema,
            cols,
            rows: rows.max(1),
            group: 0,
            props,
            current: None,
            first: Some(first),
            state: State::Own,
            #[cfg(test)]
            own_groups: 0,
        })
    }

    /// Hand the row groups from the current one on to arrow's reader.
    fn hand_to_arrow(&mut self) -> Result<(), String> {
        if self.group == 0 {
            if let Some(first) = self.first.take() {
                self.state = State::Arrow(first);
                return Ok(());
            }
        }
        let groups: Vec<usize> = (self.group..self.metadata.metadata().num_row_groups()).collect();
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(self.data.clone(), self.metadata.clone())
            .with_projection(self.mask.clone())
            .with_batch_size(self.rows)
            .with_row_groups(groups)
            .build()
            .map_err(|e| e.to_string())?;
        self.state = State::Arrow(reader);
        Ok(())
    }

    /// Decode row group `g` into one batch of all its rows.
    fn decode_group(&mut self, g: usize) -> Got<RecordBatch> {
        let meta = self.metadata.metadata().clone();
        let group = meta.row_group(g);
        let rows = need(usize::try_from(group.num_rows()).ok())?;
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.cols.len());
        for c in 0..self.cols.len() {
            let chunk = group.column(self.cols[c].leaf);
            let pages = SerializedPageReader::new_with_properties(
                Arc::new(self.data.clone()),
                chunk,
                rows,
                None,
                self.props.clone(),
            )
            .map_err(|_| Unexpected)?;
            columns.push(decode_chunk(&mut self.cols[c], pages, rows)?);
        }
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), columns, &options).map_err(|_| Unexpected)
    }
}

impl Iterator for OwnReader {
    /// Errors as arrow's reader words them.
    type Item = Result<RecordBatch, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.state {
                State::Done => return None,
                State::Arrow(reader) => return reader.next().map(|r| r.map_err(|e| e.to_string())),
                State::Own => {}
            }
            if let Some((batch, at)) = &mut self.current {
                if *at < batch.num_rows() {
                    let len = self.rows.min(batch.num_rows() - *at);
                    let out = batch.slice(*at, len);
                    *at += len;
                    return Some(Ok(out));
                }
                self.current = None;
            }
            if self.group >= self.metadata.metadata().num_row_groups() {
                self.state = State::Done;
                return None;
            }
            let g = self.group;
            // a panic in the page reader is a corrupt page: arrow says what it makes of it
            let decoded =
                journey_diagnostics::quiet_panic::catch_quietly(std::panic::AssertUnwindSafe(|| self.decode_group(g)));
            match decoded {
                Ok(Ok(batch)) => {
                    self.group += 1;
                    #[cfg(test)]
                    {
                        self.own_groups += 1;
                    }
                    self.current = Some((batch, 0));
                }
                _ => {
                    // the dictionaries kept may be half-updated: none is reused after this
                    self.cols.iter_mut().for_each(|c| c.last_dict = None);
                    self.current = None;
                    if let Err(e) = self.hand_to_arrow() {
                        self.state = State::Done;
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

/// A column chunk's values as decoded, before nulls are spread out.
enum Values {
    /// Offsets and bytes of the non-null values (text).
    Text(Vec<i32>, Vec<u8>),
    /// Dictionary ids of the non-null values (dictionary-coded text kept as keys).
    Keys(Vec<i32>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

/// A dictionary page, decoded by the column's kind.
enum Dictionary {
    Text { offsets: Vec<i32>, bytes: Vec<u8>, page: Bytes },
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

fn fixed<const W: usize, T>(buf: &[u8], n: usize, f: impl Fn([u8; W]) -> T, out: &mut Vec<T>) -> Got<()> {
    let bytes = need(buf.get(..need(n.checked_mul(W))?))?;
    if bytes.len() != buf.len() {
        return Err(Unexpected);
    }
    out.extend(bytes.chunks_exact(W).map(|c| f(c.try_into().unwrap_or([0; W]))));
    Ok(())
}

/// `n` plain byte arrays (a 4-byte length, then the bytes) appended to offsets/bytes.
fn plain_text(buf: &[u8], n: usize, offsets: &mut Vec<i32>, bytes: &mut Vec<u8>) -> Got<()> {
    let mut pos = 0;
    for _ in 0..n {
        let len = u32::from_le_bytes(need(buf.get(pos..pos + 4))?.try_into().map_err(|_| Unexpected)?) as usize;
        pos += 4;
        bytes.extend_from_slice(need(buf.get(pos..need(pos.checked_add(len))?))?);
        pos += len;
        offsets.push(need(i32::try_from(bytes.len()).ok())?);
    }
    // nothing left over (strict: a wrong count shows here)
    if pos != buf.len() {
        return Err(Unexpected);
    }
    Ok(())
}

fn plain(kind: &Kind, buf: &[u8], n: usize, values: &mut Values) -> Got<()> {
    match values {
        Values::Text(o, b) => plain_text(buf, n, o, b),
        Values::I32(v) => fixed(buf, n, i32::from_le_bytes, v),
        Values::I64(v) => fixed(buf, n, i64::from_le_bytes, v),
        Values::F32(v) => fixed(buf, n, f32::from_le_bytes, v),
        Values::F64(v) => fixed(buf, n, f64::from_le_bytes, v),
        Values::Bool(v) => need(plain_bools(buf, n, v)),
        // dictionary-coded text kept as keys meets plain values: arrow re-codes it
        Values::Keys(_) => {
            let _ = kind;
            Err(Unexpected)
        }
    }
}

fn dictionary(kind: &Kind, page: Bytes, n: usize) -> Got<Dictionary> {
    Ok(match kind {
        Kind::Text | Kind::Dict => {
            let (mut offsets, mut bytes) = (vec![0], Vec::new());
            plain_text(&page, n, &mut offsets, &mut bytes)?;
            Dictionary::Text { offsets, bytes, page }
        }
        Kind::I32 | Kind::Date => {
            let mut v = Vec::new();
            fixed(&page, n, i32::from_le_bytes, &mut v)?;
            Dictionary::I32(v)
        }
        Kind::I64 | Kind::Ts(..) => {
            let mut v = Vec::new();
            fixed(&page, n, i64::from_le_bytes, &mut v)?;
            Dictionary::I64(v)
        }
        Kind::F32 => {
            let mut v = Vec::new();
            fixed(&page, n, f32::from_le_bytes, &mut v)?;
            Dictionary::F32(v)
        }
        Kind::F64 => {
            let mut v = Vec::new();
            fixed(&page, n, f64::from_le_bytes, &mut v)?;
            Dictionary::F64(v)
        }
        Kind::Bool => return Err(Unexpected),
    })
}

/// `n` dictionary-coded values (a byte of id width, then the ids) appended to
/// `values`; `ids`: a buffer for the ids, reused.
fn coded(dict: &Dictionary, buf: &[u8], n: usize, values: &mut Values, ids: &mut Vec<u32>) -> Got<()> {
    let (&width, data) = need(buf.split_first())?;
    ids.clear();
    need(hybrid(data, width, n, ids))?;
    let len = match dict {
        Dictionary::Text { offsets, .. } => offsets.len() - 1,
        Dictionary::I32(d) => d.len(),
        Dictionary::I64(d) => d.len(),
        Dictionary::F32(d) => d.len(),
        Dictionary::F64(d) => d.len(),
    };
    // every id in range, checked once: the lookups below index safely
    if ids.iter().any(|&i| i as usize >= len) {
        return Err(Unexpected);
    }
    match (dict, values) {
        (Dictionary::Text { .. }, Values::Keys(k)) => k.extend(ids.iter().map(|&i| i as i32)),
        (Dictionary::Text { offsets, bytes, .. }, Values::Text(o, b)) => {
            for &i in ids.iter() {
                let i = i as usize;
                b.extend_from_slice(&bytes[offsets[i] as usize..offsets[i + 1] as usize]);
                o.push(need(i32::try_from(b.len()).ok())?);
            }
        }
        (Dictionary::I32(d), Values::I32(v)) => v.extend(ids.iter().map(|&i| d[i as usize])),
        (Dictionary::I64(d), Values::I64(v)) => v.extend(ids.iter().map(|&i| d[i as usize])),
        (Dictionary::F32(d), Values::F32(v)) => v.extend(ids.iter().map(|&i| d[i as usize])),
        (Dictionary::F64(d), Values::F64(v)) => v.extend(ids.iter().map(|&i| d[i as usize])),
        _ => return Err(Unexpected),
    }
    Ok(())
}

/// Decode one column chunk of `rows` rows into the array arrow's reader makes of it.
fn decode_chunk(col: &mut Col, mut pages: SerializedPageReader<Bytes>, rows: usize) -> Got<ArrayRef> {
    let mut values = match col.kind {
        Kind::Text => Values::Text(vec![0], Vec::new()),
        Kind::Dict => Values::Keys(Vec::with_capacity(rows)),
        Kind::I32 | Kind::Date => Values::I32(Vec::with_capacity(rows)),
        Kind::I64 | Kind::Ts(..) => Values::I64(Vec::with_capacity(rows)),
        Kind::F32 => Values::F32(Vec::with_capacity(rows)),
        Kind::F64 => Values::F64(Vec::with_capacity(rows)),
        Kind::Bool => Values::Bool(Vec::with_capacity(rows)),
    };
    let mut valid = BooleanBufferBuilder::new(if col.optional { rows } else { 0 });
    let mut ids = Vec::new();
    let mut dict: Option<Dictionary> = None;
    let mut seen = 0usize;
    let mut any_data = false;
    while let Some(page) = pages.get_next_page().map_err(|_| Unexpected)? {
        // (values buffer, values in it, encoding)
        let (buf, n, present, encoding) = match page {
            Page::DictionaryPage { buf, num_values, encoding, .. } => {
                if dict.is_some() || any_data || !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                    return Err(Unexpected);
                }
                dict = Some(dictionary(&col.kind, buf, num_values as usize)?);
                continue;
            }
            Page::DataPage { buf, num_values, encoding, def_level_encoding, .. } => {
                let n = num_values as usize;
                if !col.optional {
                    (buf.slice(..), n, n, encoding)
                } else {
                    if def_level_encoding != Encoding::RLE {
                        return Err(Unexpected);
                    }
                    let len = u32::from_le_bytes(need(buf.get(..4))?.try_into().map_err(|_| Unexpected)?) as usize;
                    let lv = need(buf.get(4..need(len.checked_add(4))?))?;
                    let present = need(levels(lv, n, &mut valid))?;
                    (buf.slice(4 + len..), n, present, encoding)
                }
            }
            Page::DataPageV2 {
                buf,
                num_values,
                num_nulls,
                num_rows,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => {
                let n = num_values as usize;
                if rep_levels_byte_len != 0 || num_rows != num_values {
                    return Err(Unexpected);
                }
                let len = def_levels_byte_len as usize;
                let lv = need(buf.get(..len))?;
                let present = if col.optional {
                    need(levels(lv, n, &mut valid))?
                } else if len == 0 {
                    n
                } else {
                    return Err(Unexpected);
                };
                if n - present != num_nulls as usize {
                    return Err(Unexpected);
                }
                (buf.slice(len..), n, present, encoding)
            }
        };
        any_data = true;
        seen = need(seen.checked_add(n))?;
        if seen > rows {
            return Err(Unexpected);
        }
        if present == 0 {
            continue;
        }
        match encoding {
            Encoding::PLAIN => plain(&col.kind, &buf, present, &mut values)?,
            Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                coded(need(dict.as_ref())?, &buf, present, &mut values, &mut ids)?
            }
            // booleans in v2 pages: a 4-byte length, then runs of width 1
            Encoding::RLE if col.kind == Kind::Bool => {
                let Values::Bool(v) = &mut values else { return Err(Unexpected) };
                let len = u32::from_le_bytes(need(buf.get(..4))?.try_into().map_err(|_| Unexpected)?) as usize;
                ids.clear();
                if buf.len() != need(len.checked_add(4))? {
                    return Err(Unexpected);
                }
                need(hybrid(&buf[4..], 1, present, &mut ids))?;
                v.extend(ids.iter().map(|&b| b == 1));
            }
            _ => return Err(Unexpected),
        }
    }
    if seen != rows {
        return Err(Unexpected);
    }
    let nulls = Some(NullBuffer::new(valid.finish())).filter(|n| col.optional && n.null_count() > 0);
    spread(col, values, dict, nulls, rows)
}

/// The array of `rows` rows: the non-null values spread over the rows with a value.
fn spread(
    col: &mut Col,
    values: Values,
    dict: Option<Dictionary>,
    nulls: Option<NullBuffer>,
    rows: usize,
) -> Got<ArrayRef> {
    fn spread_vec<T: Copy + Default>(v: Vec<T>, nulls: &Option<NullBuffer>, rows: usize) -> Got<Vec<T>> {
        match nulls {
            None => (v.len() == rows).then_some(v).ok_or(Unexpected),
            Some(n) => {
                if v.len() != rows - n.null_count() || n.len() != rows {
                    return Err(Unexpected);
                }
                let mut out = vec![T::default(); rows];
                for (i, x) in n.valid_indices().zip(v) {
                    out[i] = x;
                }
                Ok(out)
            }
        }
    }
    fn prim<T: ArrowPrimitiveType>(v: Vec<T::Native>, nulls: Option<NullBuffer>) -> PrimitiveArray<T> {
        PrimitiveArray::<T>::new(ScalarBuffer::from(v), nulls)
    }
    Ok(match values {
        Values::Text(offsets, bytes) => {
            let offsets = match &nulls {
                None => offsets,
                Some(n) => {
                    if offsets.len() - 1 != rows - n.null_count() || n.len() != rows {
                        return Err(Unexpected);
                    }
                    // a null row ends where the value before it ends
                    let mut out = vec![0i32; rows + 1];
                    let mut filled = 0; // out[..=filled] is set
                    for (j, i) in n.valid_indices().enumerate() {
                        out[filled + 1..=i].fill(offsets[j]);
                        out[i + 1] = offsets[j + 1];
                        filled = i + 1;
                    }
                    let end = offsets[offsets.len() - 1];
                    out[filled + 1..].fill(end);
                    out
                }
            };
            if offsets.len() != rows + 1 {
                return Err(Unexpected);
            }
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            Arc::new(StringArray::try_new(offsets, Buffer::from(bytes), nulls).map_err(|_| Unexpected)?)
        }
        Values::Keys(keys) => {
            let Some(Dictionary::Text { offsets, bytes, page }) = dict else {
                // no dictionary page: only right when every row is null
                return Err(Unexpected);
            };
            let keys = prim::<Int32Type>(spread_vec(keys, &nulls, rows)?, nulls);
            let same = col.last_dict.as_ref().filter(|(p, _)| *p == page).map(|(_, v)| v.clone());
            let values = match same {
                Some(v) => v,
                None => {
                    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
                    let v = StringArray::try_new(offsets, Buffer::from(bytes), None).map_err(|_| Unexpected)?;
                    col.last_dict = Some((page, v.clone()));
                    v
                }
            };
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values)).map_err(|_| Unexpected)?)
        }
        Values::I32(v) => {
            let v = spread_vec(v, &nulls, rows)?;
            match col.kind {
                Kind::Date => Arc::new(prim::<Date32Type>(v, nulls)),
                _ => Arc::new(prim::<Int32Type>(v, nulls)),
            }
        }
        Values::I64(v) => {
            let v = spread_vec(v, &nulls, rows)?;
            match &col.kind {
                Kind::Ts(TimeUnit::Second, z) => {
                    Arc::new(prim::<TimestampSecondType>(v, nulls).with_timezone_opt(z.clone()))
                }
                Kind::Ts(TimeUnit::Millisecond, z) => {
                    Arc::new(prim::<TimestampMillisecondType>(v, nulls).with_timezone_opt(z.clone()))
                }
                Kind::Ts(TimeUnit::Microsecond, z) => {
                    Arc::new(prim::<TimestampMicrosecondType>(v, nulls).with_timezone_opt(z.clone()))
                }
                Kind::Ts(TimeUnit::Nanosecond, z) => {
                    Arc::new(prim::<TimestampNanosecondType>(v, nulls).with_timezone_opt(z.clone()))
                }
                _ => Arc::new(prim::<Int64Type>(v, nulls)),
            }
        }
        Values::F32(v) => Arc::new(prim::<Float32Type>(spread_vec(v, &nulls, rows)?, nulls)),
        Values::F64(v) => Arc::new(prim::<Float64Type>(spread_vec(v, &nulls, rows)?, nulls)),
        Values::Bool(v) => {
            let v = spread_vec(v, &nulls, rows)?;
            Arc::new(BooleanArray::new(BooleanBuffer::from(v.as_slice()), nulls))
        }
    })
}

#[cfg(test)]
#[path = "parquet_own/tests.rs"]
mod tests;
