//! Our decoder against arrow's reader (its oracle) on seeded files written by the
//! parquet crate's writer under many settings: row groups of 1 to 5,000 rows and of
//! mixed sizes, dictionaries on and off, dictionary pages small enough to fall back to
//! plain pages part way, data pages v1 and v2, small data pages (many a chunk), no
//! compression, snappy and zstd, nulls, chunks of nulls only, required columns, empty
//! strings, text that is not UTF-8, NaN and infinities; and the same files corrupted.
//! Every batch (schema, values, nulls), error and their order must be arrow's.

use super::OwnReader;
use crate::parquet_reader::batching;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_schema::Field;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use std::sync::Arc;

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

#[derive(Debug, Clone)]
struct Settings {
    /// Row group sizes, repeated to the end of the rows.
    groups: Vec<usize>,
    rows: usize,
    dictionary: bool,
    small_dictionary_pages: bool,
    v2: bool,
    small_data_pages: bool,
    compression: Compression,
    /// Percent of nulls in the nullable columns (100: chunks of nulls only).
    nulls: u64,
    /// Some text that is not UTF-8 in a text column.
    not_utf8: bool,
}

/// A text value: few distinct ones (dictionaries), empty strings, now and then a long one.
fn text(rng: &mut Rng, distinct: u64) -> String {
    match rng.below(20) {
        0 => String::new(),
        1 => "x".repeat(rng.below(300) as usize),
        _ => format!("v{}", rng.below(distinct)),
    }
}

fn columns(rng: &mut Rng, s: &Settings) -> RecordBatch {
    let n = s.rows;
    let nulls = s.nulls;
    macro_rules! col {
        ($f:expr) => {
            (0..n).map(|_| if rng.chance(nulls) { None } else { Some($f) }).collect::<Vec<_>>()
        };
    }
    let texts: Vec<Option<String>> = col!(text(rng, 40));
    let many: Vec<Option<String>> = col!(text(rng, 5000));
    let required: Vec<String> = (0..n).map(|_| text(rng, 7)).collect();
    let floats: Vec<Option<f64>> = col!(match rng.below(10) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        _ => rng.below(1000) as f64 / 8.0,
    });
    let f32s: Vec<Option<f32>> = col!(match rng.below(8) {
        0 => f32::NAN,
        1 => f32::NEG_INFINITY,
        _ => rng.below(100) as f32 / 4.0,
    });
    let i32s: Vec<Option<i32>> = col!(rng.next() as i32 % 50);
    let i64s: Vec<Option<i64>> = col!(rng.next() as i64);
    let req_i64: Vec<i64> = (0..n).map(|_| rng.below(10) as i64).collect();
    let bools: Vec<Option<bool>> = col!(rng.chance(50));
    let req_bools: Vec<bool> = (0..n).map(|_| rng.chance(30)).collect();
    let times: Vec<Option<i64>> = col!(1_735_689_600_000 + rng.below(1 << 30) as i64);
    let dates: Vec<Option<i32>> = col!(20_000 + rng.below(400) as i32);
    let texts_array = if s.not_utf8 && n > 0 {
        // bytes that are not UTF-8 in one row: a StringArray the writer takes as it is
        let bad = rng.below(n as u64) as usize;
        let (mut offsets, mut bytes, mut valid) = (vec![0i32], Vec::new(), Vec::new());
        for (i, t) in texts.iter().enumerate() {
            if let Some(t) = t {
                bytes.extend_from_slice(t.as_bytes());
            }
            if i == bad {
                bytes.extend_from_slice(&[0xff, 0xfe]);
            }
            valid.push(t.is_some() || i == bad);
            offsets.push(bytes.len() as i32);
        }
        let nulls = Some(arrow_buffer::NullBuffer::from(valid));
        // SAFETY: not UTF-8 on purpose; only the writer and the readers under test see it
        unsafe { StringArray::new_unchecked(arrow_buffer::OffsetBuffer::new(offsets.into()), bytes.into(), nulls) }
    } else {
        StringArray::from(texts)
    };
    let arrays: Vec<(&str, ArrayRef, bool)> = vec![
        ("text", Arc::new(texts_array), true),
        ("many", Arc::new(StringArray::from(many)), true),
        ("required", Arc::new(StringArray::from(required)), false),
        ("f64", Arc::new(Float64Array::from(floats)), true),
        ("f32", Arc::new(Float32Array::from(f32s)), true),
        ("i32", Arc::new(Int32Array::from(i32s)), true),
        ("i64", Arc::new(Int64Array::from(i64s)), true),
        ("req_i64", Arc::new(Int64Array::from(req_i64)), false),
        ("bool", Arc::new(BooleanArray::from(bools)), true),
        ("req_bool", Arc::new(BooleanArray::from(req_bools)), false),
        ("ms", Arc::new(TimestampMillisecondArray::from(times.clone()).with_timezone("UTC")), true),
        ("ms_local", Arc::new(TimestampMillisecondArray::from(times.clone())), true),
        ("us", Arc::new(TimestampMicrosecondArray::from(times.clone()).with_timezone("+01:00")), true),
        ("s", Arc::new(TimestampSecondArray::from(times.clone())), true),
        ("ns", Arc::new(TimestampNanosecondArray::from(times).with_timezone("UTC")), true),
        ("date", Arc::new(Date32Array::from(dates)), true),
    ];
    let fields: Vec<Field> = arrays.iter().map(|(n, a, null)| Field::new(*n, a.data_type().clone(), *null)).collect();
    RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), arrays.into_iter().map(|x| x.1).collect())
        .unwrap()
}

fn write(batch: &RecordBatch, s: &Settings) -> Bytes {
    let mut props = WriterProperties::builder()
        .set_dictionary_enabled(s.dictionary)
        .set_compression(s.compression)
        .set_writer_version(if s.v2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 });
    if s.small_dictionary_pages {
        props = props.set_dictionary_page_size_limit(256);
    }
    if s.small_data_pages {
        props = props.set_data_page_size_limit(128).set_write_batch_size(17).set_data_page_row_count_limit(50);
    }
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props.build())).unwrap();
    let mut at = 0;
    let mut k = 0;
    while at < batch.num_rows() {
        let len = s.groups[k % s.groups.len()].min(batch.num_rows() - at);
        w.write(&batch.slice(at, len)).unwrap();
        w.flush().unwrap();
        at += len;
        k += 1;
    }
    w.close().unwrap();
    Bytes::from(out)
}

type Outcome = Vec<Result<RecordBatch, String>>;

/// Every batch or error of one reader, stopping at a panic (a corrupt file) as the
/// reading thread does.
fn drain(mut next: impl FnMut() -> Option<Result<RecordBatch, String>>) -> Outcome {
    let mut out = Vec::new();
    loop {
        match journey_diagnostics::quiet_panic::catch_quietly(std::panic::AssertUnwindSafe(&mut next)) {
            Err(_) => {
                out.push(Err("panic".into()));
                return out;
            }
            Ok(None) => return out,
            Ok(Some(r)) => {
                let stop = r.is_err();
                out.push(r);
                if stop {
                    return out;
                }
            }
        }
    }
}

/// Read `data` with arrow's reader and with ours; `keys`: text columns read as
/// dictionary keys where the file allows (as the log reader asks); `leaves`: the
/// projected columns. `None` when our reader does not take the file.
/// Also how many row groups our reader decoded itself.
fn both(data: &Bytes, keys: bool, leaves: &[usize]) -> Option<(Outcome, Outcome, usize, usize)> {
    let meta = match ArrowReaderMetadata::load(data, ArrowReaderOptions::new()) {
        Ok(m) => m,
        Err(_) => return None,
    };
    let sizes: Vec<i64> = meta.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    // a batch a row group, or rows that divide every group but the last
    let b = batching(&sizes);
    let rows = if b.keys {
        b.rows
    } else {
        let (_, full) = sizes.split_last()?;
        full.iter().fold(0u64, |a, &g| crate::parquet_reader::gcd(a, g as u64)).max(1) as usize
    };
    let meta = if keys {
        match crate::parquet_reader::keep_dictionaries(meta.metadata(), meta.schema()) {
            Some(schema) => {
                ArrowReaderMetadata::try_new(meta.metadata().clone(), ArrowReaderOptions::new().with_schema(schema))
                    .ok()?
            }
            None => meta,
        }
    } else {
        meta
    };
    let mask = ProjectionMask::leaves(meta.metadata().file_metadata().schema_descr(), leaves.iter().copied());
    let build = || {
        ParquetRecordBatchReaderBuilder::new_with_metadata(data.clone(), meta.clone())
            .with_projection(mask.clone())
            .with_batch_size(rows)
            .build()
            .unwrap()
    };
    let mut arrow = build();
    let theirs = drain(|| arrow.next().map(|r| r.map_err(|e| e.to_string())));
    let mut own = OwnReader::new(data.clone(), meta.clone(), mask.clone(), build(), rows).ok()?;
    let ours = drain(|| own.next());
    Some((theirs, ours, rows, own.own_groups))
}

/// Row groups in the file and row groups our reader decoded.
fn check(data: &Bytes, keys: bool, leaves: &[usize], what: &str) -> (usize, usize) {
    let Some((theirs, ours, rows, own)) = both(data, keys, leaves) else { return (0, 0) };
    if theirs != ours {
        for &leaf in leaves {
            if let Some((t, o, _, _)) = both(data, keys, &[leaf]) {
                if t != o {
                    eprintln!("leaf {leaf} differs: {:?}", t.iter().zip(&o).find(|(a, b)| a != b).map(|x| x.0));
                }
            }
        }
        let at = theirs.iter().zip(&ours).position(|(a, b)| a != b);
        panic!(
            "{what} (rows {rows}, keys {keys}, leaves {leaves:?}): {} vs {} batches, first difference at {at:?}:\n{:?}\nvs\n{:?}",
            theirs.len(),
            ours.len(),
            at.map(|i| &theirs[i]),
            at.map(|i| &ours[i])
        );
    }
    let groups =
        parquet::file::metadata::ParquetMetaDataReader::new().parse_and_finish(data).map_or(0, |m| m.num_row_groups());
    (groups, own)
}

fn settings(rng: &mut Rng) -> Settings {
    let sizes = [1, 2, 7, 100, 512, 600, 1024, 1024, 1024, 2048, 3000, 5000];
    // mixed: of a common size (batches of 1 row would make the arrow side slow)
    let mixed = [512, 1024, 1536, 2048, 3072, 5120];
    let groups = if rng.chance(25) {
        (0..1 + rng.below(4)).map(|_| mixed[rng.below(mixed.len() as u64) as usize]).collect()
    } else {
        vec![sizes[rng.below(sizes.len() as u64) as usize]]
    };
    let rows = 1 + rng.below(4000) as usize;
    Settings {
        groups,
        rows,
        dictionary: rng.chance(70),
        small_dictionary_pages: rng.chance(30),
        v2: rng.chance(50),
        small_data_pages: rng.chance(30),
        compression: match rng.below(3) {
            0 => Compression::UNCOMPRESSED,
            1 => Compression::SNAPPY,
            _ => Compression::ZSTD(ZstdLevel::default()),
        },
        nulls: [0, 10, 50, 100][rng.below(4) as usize],
        not_utf8: rng.chance(10),
    }
}

/// Generated files a test: fewer in a debug build (arrow's reader is slow there).
fn cases() -> usize {
    if cfg!(debug_assertions) {
        15
    } else {
        60
    }
}

#[test]
fn our_batches_are_arrows_on_generated_files() {
    let mut rng = Rng(0x5eed);
    let (mut groups, mut own) = (0, 0);
    for case in 0..cases() {
        let s = settings(&mut rng);
        let batch = columns(&mut rng, &s);
        let data = write(&batch, &s);
        let all: Vec<usize> = (0..batch.num_columns()).collect();
        let some: Vec<usize> = all.iter().copied().filter(|_| rng.chance(50)).collect();
        for keys in [true, false] {
            for leaves in [&all, &some] {
                let (g, o) = check(&data, keys, leaves, &format!("case {case} {s:?}"));
                // every row group is ours to decode, but from text that is not
                // UTF-8 on (arrow's error), and where pages are delta-coded
                // v2 writers fall back from dictionaries to delta encodings (not ours)
                let delta = s.v2 && (!s.dictionary || s.small_dictionary_pages);
                if !s.not_utf8 && !delta && o != g {
                    let not: Vec<usize> =
                        leaves.iter().copied().filter(|&l| check(&data, keys, &[l], "one").1 != g).collect();
                    panic!("case {case}: {o} of {g} row groups decoded here (not for leaves {not:?}), {s:?}");
                }
                groups += g;
                own += o;
            }
        }
    }
    assert!(own * 2 > groups, "{own} of {groups} row groups");
}

#[test]
fn our_reader_gives_arrows_errors_on_corrupt_files() {
    let mut rng = Rng(0xbad);
    for case in 0..cases() {
        let mut s = settings(&mut rng);
        s.rows = s.rows.min(2000);
        let batch = columns(&mut rng, &s);
        let data = write(&batch, &s).to_vec();
        let all: Vec<usize> = (0..batch.num_columns()).collect();
        // damage the data pages only (the footer stays readable)
        let footer = u32::from_le_bytes(data[data.len() - 8..data.len() - 4].try_into().unwrap()) as usize;
        let end = data.len() - 8 - footer;
        for round in 0..4 {
            let mut bad = data.clone();
            for _ in 0..1 + rng.below(4) {
                let at = 4 + rng.below((end - 4) as u64) as usize;
                bad[at] = match rng.below(3) {
                    0 => rng.next() as u8,
                    1 => bad[at] ^ 1,
                    _ => 0xff,
                };
            }
            check(&Bytes::from(bad), round % 2 == 0, &all, &format!("corrupt case {case}.{round} {s:?}"));
        }
    }
}

#[test]
fn a_dictionary_page_equal_to_the_last_keeps_its_values_array() {
    // one text column of the same few values in the same order in every group (of a
    // size divisible by 3)
    let values: Vec<Option<&str>> = (0..4092).map(|i| Some(["a", "b", "c"][i % 3])).collect();
    let batch = RecordBatch::try_from_iter([("t", Arc::new(StringArray::from(values)) as ArrayRef)]).unwrap();
    let s = Settings {
        groups: vec![1023],
        rows: 4092,
        dictionary: true,
        small_dictionary_pages: false,
        v2: false,
        small_data_pages: false,
        compression: Compression::SNAPPY,
        nulls: 0,
        not_utf8: false,
    };
    let data = write(&batch, &s);
    let (theirs, ours, _, _) = both(&data, true, &[0]).unwrap();
    assert_eq!(theirs, ours);
    assert_eq!(ours.len(), 4);
    let dict = |b: &Result<RecordBatch, String>| {
        use arrow_array::cast::AsArray;
        let b = b.as_ref().unwrap();
        let d = b.column(0).as_dictionary::<arrow_array::types::Int32Type>();
        d.values().as_string::<i32>().values().as_ptr()
    };
    assert!(ours.iter().all(|b| dict(b) == dict(&ours[0])));
}
