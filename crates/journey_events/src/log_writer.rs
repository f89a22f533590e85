//! Writing event logs (CSV, JSON lines, Parquet) with the columns the default mapping
//! reads: `customer_id,timestamp,event,revenue`, then one column per property name.
//! Shared by the synthetic-log generators, so every generated log reads back with no
//! `events:` mapping at all.

use crate::time::format as fmt_time;
use crate::Timestamp;
use std::io::Write;

/// Output format of a generated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Csv,
    Jsonl,
    #[cfg(feature = "parquet")]
    Parquet,
}

/// One property value of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

/// A number as logs show it: integers without a fraction, others with two decimals.
pub fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f:.2}")
    }
}

trait Sink {
    fn write(
        &mut self,
        t: Timestamp,
        key: &str,
        event: &str,
        revenue: Option<f64>,
        props: &[(usize, Cell)],
    ) -> std::io::Result<()>;
    fn finish(&mut self) -> std::io::Result<()>;
}

/// A log being written: rows go in time order, [`LogWriter::finish`] flushes.
pub struct LogWriter<'a> {
    sink: Box<dyn Sink + 'a>,
}

impl<'a> LogWriter<'a> {
    /// `columns`: the property columns after the fixed ones, each with whether it is
    /// numeric (Parquet types it; CSV and JSON lines write numbers as numbers).
    pub fn new(
        out: &'a mut (dyn Write + Send),
        format: OutFormat,
        columns: Vec<(String, bool)>,
    ) -> std::io::Result<Self> {
        let sink: Box<dyn Sink + 'a> = match format {
            OutFormat::Csv => {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
                write!(out, "customer_id,timestamp,event,revenue")?;
                for (name, _) in &columns {
                    out.write_all(b",")?;
                    csv_text(&mut out, name)?;
                }
                writeln!(out)?;
                Box::new(CsvSink { out, columns: columns.len() })
            }
            OutFormat::Jsonl => Box::new(JsonSink { out: std::io::BufWriter::with_capacity(1 << 16, out), columns }),
            #[cfg(feature = "parquet")]
            OutFormat::Parquet => Box::new(ParquetSink::new(out, columns)?),
        };
        Ok(LogWriter { sink })
    }

    /// One row; `props` are (column index, value), other columns are empty.
    pub fn write(
        &mut self,
        t: Timestamp,
        key: &str,
        event: &str,
        revenue: Option<f64>,
        props: &[(usize, Cell)],
    ) -> std::io::Result<()> {
        self.sink.write(t, key, event, revenue, props)
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.sink.finish()
    }
}

struct CsvSink<'a> {
    out: std::io::BufWriter<&'a mut (dyn Write + Send)>,
    columns: usize,
}

impl Sink for CsvSink<'_> {
    fn write(
        &mut self,
        t: Timestamp,
        key: &str,
        event: &str,
        revenue: Option<f64>,
        props: &[(usize, Cell)],
    ) -> std::io::Result<()> {
        csv_text(&mut self.out, key)?;
        write!(self.out, ",{},", fmt_time(t))?;
        csv_text(&mut self.out, event)?;
        self.out.write_all(b",")?;
        if let Some(r) = revenue {
            write!(self.out, "{}", number(r))?;
        }
        for i in 0..self.columns {
            self.out.write_all(b",")?;
            // a row has a handful of properties: a scan beats a per-row index
            match props.iter().find(|(j, _)| *j == i).map(|(_, v)| v) {
                None => {}
                Some(Cell::Text(s)) => csv_text(&mut self.out, s)?,
                Some(Cell::Number(n)) => write!(self.out, "{}", number(*n))?,
            }
        }
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn csv_text(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

struct JsonSink<'a> {
    out: std::io::BufWriter<&'a mut (dyn Write + Send)>,
    columns: Vec<(String, bool)>,
}

impl Sink for JsonSink<'_> {
    fn write(
        &mut self,
        t: Timestamp,
        key: &str,
        event: &str,
        revenue: Option<f64>,
        props: &[(usize, Cell)],
    ) -> std::io::Result<()> {
        let mut map = serde_json::Map::new();
        for (i, v) in props {
            let name = self.columns[*i].0.clone();
            map.insert(
                name,
                match v {
                    Cell::Text(s) => serde_json::Value::from(*s),
                    Cell::Number(n) => serde_json::Value::from(*n),
                },
            );
        }
        let mut obj = serde_json::Map::new();
        obj.insert("customer_id".into(), key.into());
        obj.insert("timestamp".into(), fmt_time(t).into());
        obj.insert("event".into(), event.into());
        if let Some(r) = revenue {
            obj.insert("revenue".into(), r.into());
        }
        obj.insert("properties".into(), map.into());
        serde_json::to_writer(&mut self.out, &obj)?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(feature = "parquet")]
struct ParquetSink<'a> {
    writer: Option<parquet::arrow::ArrowWriter<&'a mut (dyn Write + Send)>>,
    schema: std::sync::Arc<arrow_schema::Schema>,
    columns: Vec<(String, bool)>,
    keys: arrow_array::builder::StringBuilder,
    times: arrow_array::builder::TimestampMillisecondBuilder,
    events: arrow_array::builder::StringBuilder,
    revenue: arrow_array::builder::Float64Builder,
    texts: Vec<arrow_array::builder::StringBuilder>,
    nums: Vec<arrow_array::builder::Float64Builder>,
    rows: usize,
}

#[cfg(feature = "parquet")]
impl<'a> ParquetSink<'a> {
    fn new(out: &'a mut (dyn Write + Send), columns: Vec<(String, bool)>) -> std::io::Result<Self> {
        use arrow_schema::{DataType, Field, TimeUnit};
        let mut fields = vec![
            Field::new("customer_id", DataType::Utf8, false),
            Field::new("timestamp", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
            Field::new("event", DataType::Utf8, false),
            Field::new("revenue", DataType::Float64, true),
        ];
        for (name, numeric) in &columns {
            fields.push(Field::new(name, if *numeric { DataType::Float64 } else { DataType::Utf8 }, true));
        }
        let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let writer =
            parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(std::io::Error::other)?;
        let n_text = columns.iter().filter(|c| !c.1).count();
        let n_num = columns.len() - n_text;
        Ok(ParquetSink {
            writer: Some(writer),
            schema,
            columns,
            keys: Default::default(),
            times: arrow_array::builder::TimestampMillisecondBuilder::new().with_timezone("UTC"),
            events: Default::default(),
            revenue: Default::default(),
            texts: (0..n_text).map(|_| Default::default()).collect(),
            nums: (0..n_num).map(|_| Default::default()).collect(),
            rows: 0,
        })
    }

    fn flush_batch(&mut self) -> std::io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut cols: Vec<arrow_array::ArrayRef> = vec![
            std::sync::Arc::new(self.keys.finish()),
            std::sync::Arc::new(self.times.finish()),
            std::sync::Arc::new(self.events.finish()),
            std::sync::Arc::new(self.revenue.finish()),
        ];
        let (mut ti, mut ni) = (0, 0);
        for (_, numeric) in &self.columns {
            if *numeric {
                cols.push(std::sync::Arc::new(self.nums[ni].finish()));
                ni += 1;
            } else {
                cols.push(std::sync::Arc::new(self.texts[ti].finish()));
                ti += 1;
            }
        }
        let batch = arrow_array::RecordBatch::try_new(self.schema.clone(), cols).map_err(std::io::Error::other)?;
        self.writer.as_mut().expect("open writer").write(&batch).map_err(std::io::Error::other)?;
        self.rows = 0;
        Ok(())
    }
}

#[cfg(feature = "parquet")]
impl Sink for ParquetSink<'_> {
    fn write(
        &mut self,
        t: Timestamp,
        key: &str,
        event: &str,
        revenue: Option<f64>,
        props: &[(usize, Cell)],
    ) -> std::io::Result<()> {
        self.keys.append_value(key);
        self.times.append_value(t);
        self.events.append_value(event);
        self.revenue.append_option(revenue);
        let (mut ti, mut ni) = (0, 0);
        for (i, (_, numeric)) in self.columns.iter().enumerate() {
            let v = props.iter().find(|(c, _)| *c == i).map(|(_, v)| v);
            if *numeric {
                self.nums[ni].append_option(match v {
                    Some(Cell::Number(n)) => Some(*n),
                    _ => None,
                });
                ni += 1;
            } else {
                match v {
                    Some(Cell::Text(s)) => self.texts[ti].append_value(s),
                    Some(Cell::Number(n)) => self.texts[ti].append_value(number(*n)),
                    None => self.texts[ti].append_null(),
                }
                ti += 1;
            }
        }
        self.rows += 1;
        if self.rows >= 65_536 {
            self.flush_batch()?;
        }
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.flush_batch()?;
        if let Some(w) = self.writer.take() {
            w.close().map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}
