//! The event model shared by the readers and the engine.

use journey_ir::{Program, Type};
use std::collections::HashMap;

/// Milliseconds since the Unix epoch, UTC. Logs give times with zones or offsets; the
/// readers normalise them here, and the engine converts to customer-local time only
/// where a rule asks for it (quiet hours, `wait until 09:00 local`).
pub type Timestamp = i64;

/// A customer, interned: the readers map each distinct customer key of a log to a
/// dense id in first-seen order, so per-customer state can live in a `Vec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub u32);

/// An event name declared in the program, by its position in `Program::events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKind(pub u16);

/// A typed property value. Text is interned (an id into the log's [`Interner`]) so
/// rows do not allocate and comparisons are integer comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropValue {
    Missing,
    Number(f64),
    /// Amount in the program currency.
    Money(f64),
    Bool(bool),
    Text(u32),
    Time(Timestamp),
}

/// An event's property values: inline up to six (every event of a typical schema), so
/// a row costs no allocation, and no cross-thread free when the engine drops it on
/// another thread than the reader's.
pub type Props = smallvec::SmallVec<[PropValue; 6]>;

/// One row of an event log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub customer: CustomerId,
    pub time: Timestamp,
    pub kind: EventKind,
    /// Values of the event's declared properties, in `EventDef::properties` order.
    pub props: Props,
    /// Revenue carried by the row (for CLV and goal value), if the mapping names one.
    pub revenue: Option<f64>,
    /// Where the row came from: 1-based line (CSV, JSON lines) or row index (Parquet).
    pub line: u64,
}

pub use crate::intern::Interner;

/// What the readers need from the program: event names and property types.
#[derive(Debug, Clone)]
pub struct Schema {
    pub events: Vec<(String, Vec<(String, Type)>)>,
    /// Looked up once per row: a fast hash, not SipHash.
    by_name: HashMap<String, EventKind, foldhash::fast::RandomState>,
    /// The program's default zone (journey.yaml `timezone`), for naive timestamps.
    timezone: chrono_tz::Tz,
}

impl Schema {
    pub fn from_program(program: &Program) -> Schema {
        let events: Vec<(String, Vec<(String, Type)>)> = program
            .events
            .iter()
            .map(|e| (e.name.clone(), e.properties.iter().map(|p| (p.name.clone(), p.ty.clone())).collect()))
            .collect();
        let by_name = events.iter().enumerate().map(|(i, (n, _))| (n.clone(), EventKind(i as u16))).collect();
        let timezone = program.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
        Schema { events, by_name, timezone }
    }
    /// The program's default time zone (UTC when it names none or an unknown one).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.timezone
    }
    pub fn kind(&self, name: &str) -> Option<EventKind> {
        self.by_name.get(name).copied()
    }
    pub fn name(&self, kind: EventKind) -> &str {
        &self.events[kind.0 as usize].0
    }
    pub fn properties(&self, kind: EventKind) -> &[(String, Type)] {
        &self.events[kind.0 as usize].1
    }
}
