//! Event logs for the journey engine.
//!
//! The engine consumes [`Event`]s: one row of a log, with the customer, the event name
//! and the time resolved to compact ids, and the properties the program declares for
//! that event already typed. Readers build them from CSV, JSON lines and Parquet using
//! the column mapping in `journey.yaml` ([`Mapping`]), streaming, without allocating
//! per row on the hot path beyond the event's own property vector.
//!
//! `model.rs` is the contract between the readers and the engine; docs/events.md is the
//! user documentation (mapping keys, bad rows, ordering, the generator).

#[cfg(feature = "parquet")]
mod arrow_batches;
mod attributes;
mod csv_split;
mod error;
pub mod generate;
pub mod input;
mod intern;
pub mod log_writer;
mod mapping;
pub mod model;
mod numbers;
#[cfg(feature = "parquet")]
mod parquet_ahead;
#[cfg(feature = "parquet")]
mod parquet_columns;
#[cfg(feature = "parquet")]
mod parquet_reader;
mod pipe;
pub mod progress;
mod reader;
pub mod time;

#[cfg(feature = "parquet")]
pub use arrow_batches::BatchReader;
pub use attributes::{read_accounts, read_attributes, read_attributes_from, Attributes};
pub use error::{LineSource, ReadError, RowError, SkipCounts, SkipKind};
pub use mapping::{Column, Delimiter, Format, Generator, Mapping, Order, TimeFormat};
pub use model::{CustomerId, Event, EventKind, Interner, PropValue, Props, Schema, Timestamp};
pub use pipe::{PipedReader, BATCH as PIPE_BATCH};
pub use reader::{LogReader, ReadOptions};

use serde::Serialize;
use std::path::Path;

/// What a parse-only pass saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParseStats {
    /// Rows read (events plus skipped rows).
    pub rows: u64,
    pub events: u64,
    pub customers: u64,
    /// Events per declared event, in `Schema::events` order.
    pub per_event: Vec<(String, u64)>,
    /// Earliest and latest event time (ms UTC), when there are events.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub revenue: f64,
    pub skipped: SkipCounts,
    /// Lines of the file (rows for Parquet): more than the rows when quoted fields
    /// span lines, so a person can check that nothing was swallowed.
    pub lines: u64,
    /// Rows that spanned more than one line (quoted line breaks in a CSV).
    pub multiline_rows: u64,
}

/// Read a whole log without simulating anything: the baseline the engine's replay is
/// measured against. Stops at the first bad row.
pub fn parse_only(path: &Path, mapping: &Mapping, schema: &Schema) -> Result<ParseStats, ReadError> {
    parse_only_with(path, mapping, schema, ReadOptions::default())
}

/// [`parse_only`] with options (skip bad rows, sort).
pub fn parse_only_with(
    path: &Path,
    mapping: &Mapping,
    schema: &Schema,
    options: ReadOptions,
) -> Result<ParseStats, ReadError> {
    let mut reader = LogReader::open(path, mapping, schema, options)?;
    let mut per = vec![0u64; schema.events.len()];
    let mut stats = ParseStats::default();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    while let Some(e) = reader.next_ref() {
        let e = e?;
        per[e.kind.0 as usize] += 1;
        first = first.min(e.time);
        last = last.max(e.time);
        if let Some(r) = e.revenue {
            stats.revenue += r;
        }
    }
    stats.events = per.iter().sum();
    stats.rows = reader.rows();
    stats.customers = reader.interner().len() as u64;
    stats.per_event = schema.events.iter().map(|(n, _)| n.clone()).zip(per).collect();
    if stats.events > 0 {
        stats.first = Some(first);
        stats.last = Some(last);
    }
    stats.skipped = reader.skipped().clone();
    stats.lines = reader.lines();
    stats.multiline_rows = reader.multiline_rows();
    Ok(stats)
}
