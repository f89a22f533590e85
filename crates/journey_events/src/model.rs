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

/// Interned strings (customer keys and text property values) of one log.
///
/// Every row of a log interns its customer key and its text values, and a time-ordered
/// log brings a different customer on nearly every row: the lookup is a cache miss
/// whenever the keys are scattered over the heap. So the strings live back to back in
/// one buffer, in id order, and the hash table holds only ids (4 bytes a slot): a
/// lookup touches the table and the few bytes of one key, no allocation per string.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// All strings, back to back, in id order.
    text: String,
    /// Per id: where its string ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
    // ids are handed out in first-seen order, so the hash never shows in any output
    table: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

/// Whether two keys are equal: the keys are short (ids, categories), where a byte
/// loop the compiler inlines beats a call into `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Interner {
    #[inline]
    fn hash(&self, s: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(s)
    }
    #[inline]
    fn span(ends: &[usize], id: u32) -> (usize, usize) {
        let i = id as usize;
        (if i == 0 { 0 } else { ends[i - 1] }, ends[i])
    }
    #[inline]
    fn key<'a>(text: &'a str, ends: &[usize], id: u32) -> &'a str {
        let (start, end) = Self::span(ends, id);
        &text[start..end]
    }
    pub fn intern(&mut self, s: &str) -> u32 {
        let hash = self.hash(s);
        let (text, ends) = (&self.text, &self.ends);
        if let Some(&id) = self.table.find(hash, |&id| same(Self::key(text, ends, id).as_bytes(), s.as_bytes())) {
            return id;
        }
        // ids are u32 throughout the engine (`CustomerId`, `PropValue::Text`)
        let id = u32::try_from(self.ends.len()).expect("more than 4 billion distinct strings in one log");
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        // growing rehashes from the buffer: the table stores no hashes
        self.table.insert_unique(hash, id, |&id| {
            use std::hash::BuildHasher;
            hasher.hash_one(Self::key(text, ends, id))
        });
        id
    }
    pub fn get(&self, s: &str) -> Option<u32> {
        let hash = self.hash(s);
        self.table.find(hash, |&id| same(Self::key(&self.text, &self.ends, id).as_bytes(), s.as_bytes())).copied()
    }
    pub fn resolve(&self, id: u32) -> &str {
        Self::key(&self.text, &self.ends, id)
    }
    /// The strings interned from id `from` on, in id order.
    pub fn names_from(&self, from: usize) -> Vec<Box<str>> {
        (from..self.len()).map(|i| Box::from(self.resolve(i as u32))).collect()
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

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
