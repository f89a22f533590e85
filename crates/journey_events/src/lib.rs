//! Event logs for the journey engine.
//!
//! The engine consumes [`Event`]s: one row of a log, with the customer, the event name
//! and the time resolved to compact ids, and the properties the program declares for
//! that event already typed. Readers build them from CSV, JSON lines and Parquet using
//! the column mapping in `journey.yaml`, without allocating per row on the hot path.
//!
//! `model.rs` is the contract between the readers and the engine.

pub mod model;

pub use model::{CustomerId, Event, EventKind, Interner, PropValue, Schema, Timestamp};
