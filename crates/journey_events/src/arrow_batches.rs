//! Events from Arrow record batches already in memory: what journey_py hands over
//! for one Spark partition (a query engine's rows are not a file, so there is no
//! format to sniff and no file to reopen). The same column mapping, typing and bad-row
//! handling as the file readers: the cells come from the Parquet reader's Arrow
//! accessors and go through the shared [`Builder`]. A bad row is named by its position
//! in the batches ("row N") and shown as `column = value` pairs of the mapped columns.

use crate::error::{ReadError, SkipCounts};
use crate::mapping::{Column, Mapping};
use crate::model::{Event, Interner, Schema};
use crate::parquet_columns::Columns;
use crate::parquet_reader::{acc, Acc, PqRow};
use crate::reader::{blank_event, Builder, Cell, Plan, ReadOptions, Row};
use arrow_array::{Array, RecordBatch};
use std::path::Path;

/// Reads the rows of record batches of one schema into events.
pub struct BatchReader {
    display: String,
    builder: Builder,
    options: ReadOptions,
    skipped: SkipCounts,
    rows: u64,
    /// slot → column of the batches (`None`: the batches lack it)
    columns: Vec<Option<usize>>,
    accs: Vec<Acc>,
    /// The batch's columns typed once, for the fast build of its rows (as the
    /// Parquet reader's).
    pub(crate) typed: Columns,
}

impl BatchReader {
    /// `name` names the batches in messages (e.g. `spark partition 3`); `fields` are
    /// the column names of the batches. `check_order`: each customer's rows must come
    /// in time order (what the engine needs); off to read the times of rows not yet
    /// sorted. `options.sort` is not supported here (sort before handing rows over).
    pub fn new(
        name: &str,
        fields: &[String],
        mapping: &Mapping,
        schema: &Schema,
        options: ReadOptions,
        check_order: bool,
    ) -> Result<BatchReader, ReadError> {
        let plan = Plan::new(Path::new(name), mapping, schema, Some(fields))?;
        // by name, or by position (1-based, for a mapping of a header-less file)
        let mut columns = Vec::with_capacity(plan.slots.len());
        for c in &plan.slots {
            columns.push(match c {
                Column::Name(n) => fields.iter().position(|f| f == n),
                Column::Position(p) if *p <= fields.len() => Some(p - 1),
                Column::Position(p) => {
                    return Err(ReadError::Mapping {
                        path: name.to_string(),
                        message: format!("column {p} is mapped, but the batches have {} columns", fields.len()),
                        help: Some("map the columns of the record batches in journey.yaml under `events:`".into()),
                    })
                }
            });
        }
        let typed = Columns::new(&plan, schema);
        let builder = Builder::for_batches(plan, mapping, schema, check_order);
        Ok(BatchReader {
            display: name.to_string(),
            builder,
            options,
            skipped: SkipCounts::default(),
            rows: 0,
            columns,
            accs: Vec::new(),
            typed,
        })
    }

    fn load(&mut self, batch: &RecordBatch) -> Result<(), ReadError> {
        self.accs.clear();
        for (slot, c) in self.columns.iter().enumerate() {
            let Some(i) = *c else {
                self.accs.push(Acc::Missing);
                continue;
            };
            let Some(a) = batch.columns().get(i).and_then(acc) else {
                let field = batch.schema().fields().get(i).map(|f| (f.name().clone(), f.data_type().to_string()));
                let (name, ty) = field.unwrap_or_else(|| (format!("#{i}"), "absent".into()));
                return Err(ReadError::Mapping {
                    path: self.display.clone(),
                    message: format!("column `{name}` has the unsupported type {ty}"),
                    help: Some("cast it to a string, an integer, a double, a boolean, a date or a timestamp".into()),
                });
            };
            // no cache across batches: each batch's dictionary is resolved afresh
            if let Acc::Dict(_, values) = &a {
                self.builder.new_dictionary(slot, values.len());
                self.typed.new_dictionary(slot, values.len());
            }
            self.accs.push(a);
        }
        self.typed.load(&self.accs, &self.builder);
        Ok(())
    }

    /// Append the events of `batch` to `out`. A bad row is the error (the first one),
    /// or, skipping bad rows, a count per kind.
    pub fn push(&mut self, batch: &RecordBatch, out: &mut Vec<Event>) -> Result<(), ReadError> {
        self.load(batch)?;
        for i in 0..batch.num_rows() {
            self.rows += 1;
            let row = PqRow { accs: &self.accs, i };
            let mut event = blank_event();
            match self.typed.build(&mut self.builder, &row, self.rows, &mut event) {
                Ok(()) => out.push(event),
                Err(p) if self.options.skip_bad_rows => {
                    self.skipped.add(p.kind);
                    if let Some(name) = p.name {
                        *self.skipped.unknown_event_names.entry(name).or_default() += 1;
                    }
                }
                Err(p) => {
                    let (text, span) = shown_row(&self.builder.plan, &row, self.rows, p.slot);
                    let field = p.slot.map(|s| self.builder.plan.roles[s].clone()).unwrap_or_default();
                    return Err(crate::error::row_error(
                        p.kind,
                        &self.display,
                        self.rows,
                        text.as_bytes(),
                        Some(span),
                        field,
                        p.message,
                        p.label,
                        p.help,
                    ));
                }
            }
        }
        Ok(())
    }

    /// The time of each row of `batch` (ms UTC), `None` for a row that is not an
    /// event (a bad row; the replay reports it). Rows are not counted.
    pub fn times(&mut self, batch: &RecordBatch) -> Result<Vec<Option<i64>>, ReadError> {
        self.load(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| self.builder.build(&PqRow { accs: &self.accs, i }, 0).ok().map(|e| e.time))
            .collect())
    }

    /// Customer keys: `CustomerId(n)` is `interner().resolve(n)`, in first-seen order.
    pub fn interner(&self) -> &Interner {
        &self.builder.customers
    }
    /// Text property values.
    pub fn texts(&self) -> &Interner {
        &self.builder.texts
    }
    pub fn skipped(&self) -> &SkipCounts {
        &self.skipped
    }
    /// Rows read (events plus skipped rows).
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// A row as `row N: column = value, …`, and the span of the slot at fault.
fn shown_row(plan: &Plan, row: &PqRow, n: u64, at: Option<usize>) -> (String, (usize, usize)) {
    let mut line = format!("row {n}: ");
    let mut span = (0, 0);
    for (s, c) in plan.slots.iter().enumerate() {
        if s > 0 {
            line.push_str(", ");
        }
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
        let text = format!("{name} = {v}");
        if Some(s) == at {
            span = (line.len(), text.len());
        }
        line.push_str(&text);
    }
    (line, span)
}
