//! The streaming log reader: one backend per format turns rows into cells, and one
//! shared step turns cells into typed [`Event`]s, checks per-customer time order and
//! handles bad rows.

use crate::csv_split::{CsvSplitter, SplitError};
use crate::error::{shown, ReadError, SkipCounts, SkipKind};
use crate::input::{self, LineError, LineReader};
use crate::mapping::{Column, Delimiter, Format, Mapping, Order, TimeFormat};
use crate::model::{CustomerId, Event, EventKind, Interner, PropValue, Schema, Timestamp};
use crate::time;
use chrono_tz::Tz;
use journey_ir::Type;
#[cfg(feature = "parquet")]
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;

/// How to read a log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Skip bad rows and count them per kind instead of stopping at the first one.
    pub skip_bad_rows: bool,
    /// Sort the log by time in memory (the `order: sort` mapping setting does the same).
    pub sort: bool,
}

/// One cell of a row, as a backend sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Milliseconds since the epoch in UTC.
    Time(Timestamp),
    /// Wall-clock milliseconds still needing a zone (Parquet timestamps without zone).
    LocalTime(i64),
    /// A nested value (JSON object or array) where a scalar was expected.
    Nested,
    /// Bytes that are not UTF-8 text (a CSV cell): the row is malformed.
    NotUtf8,
}

/// `s.trim()`, without its Unicode scan for the common cell that starts and ends with
/// a visible ASCII character (nothing to trim). Any other first or last byte (a blank,
/// a control, a non-ASCII byte) takes the full `trim`, so the result is the same.
#[inline]
pub(crate) fn trimmed(s: &str) -> &str {
    let visible = |b: u8| b > b' ' && b < 0x7f;
    match s.as_bytes() {
        [first, .., last] if visible(*first) && visible(*last) => s,
        [only] if visible(*only) => s,
        _ => s.trim(),
    }
}

impl Cell<'_> {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Str(s) => trimmed(s).is_empty(),
            _ => false,
        }
    }
    fn describe(&self) -> String {
        match self {
            Cell::Null => "nothing".into(),
            Cell::Str(s) => format!("`{}`", shown(s)),
            Cell::Int(i) => format!("the number {i}"),
            Cell::Float(f) => format!("the number {f}"),
            Cell::Bool(b) => format!("`{b}`"),
            Cell::Time(t) | Cell::LocalTime(t) => format!("the time {}", time::format(*t)),
            Cell::Nested => "a nested object or list".into(),
            Cell::NotUtf8 => "bytes that are not UTF-8 text".into(),
        }
    }
    fn number(&self) -> Option<f64> {
        match *self {
            Cell::Int(i) => Some(i as f64),
            // one rule for every format: NaN and infinities are not amounts or
            // numbers, whether written as text (CSV, JSON) or as floats (Parquet)
            Cell::Float(f) => Some(f).filter(|f| f.is_finite()),
            Cell::Str(s) => crate::numbers::parse_f64(trimmed(s)).filter(|f| f.is_finite()),
            _ => None,
        }
    }
}

/// A row from which cells can be taken by slot.
pub(crate) trait Row {
    fn cell(&self, slot: usize) -> Cell<'_>;
    /// The cell's key in the dictionary the backend holds for this slot (Parquet
    /// dictionary pages): equal keys are equal text until the backend announces a new
    /// dictionary ([`Builder::new_dictionary`]).
    #[inline]
    fn code(&self, _slot: usize) -> Option<u32> {
        None
    }
}

/// A dictionary key not resolved yet.
pub(crate) const UNSEEN: u32 = u32::MAX;

/// What each key of the current dictionaries resolved to, so that a value of a
/// dictionary-coded column is looked up once per distinct value, not once per row.
/// Only successes are kept: a bad value takes the ordinary path, and its message, on
/// every row.
#[derive(Debug, Default)]
pub(crate) struct Codes {
    /// Per slot: key → text id (the value as written, interned).
    pub(crate) texts: Vec<Vec<u32>>,
    /// Key → customer id, for the customer slot.
    pub(crate) customers: Vec<u32>,
    /// Key → event kind, for the event slot.
    pub(crate) kinds: Vec<u32>,
}

/// A dictionary-coded text through its slot's cache: interned the first time its key
/// shows, after that one array read.
#[inline]
fn coded_text(cache: &mut [u32], code: u32, s: &str, texts: &mut Interner) -> u32 {
    match cache.get_mut(code as usize) {
        Some(id) if *id != UNSEEN => *id,
        Some(id) => {
            *id = texts.intern(s);
            *id
        }
        None => texts.intern(s),
    }
}

/// What went wrong with a row, before the backend locates it in the file.
#[derive(Debug)]
pub(crate) struct Problem {
    pub kind: SkipKind,
    /// The slot of the offending cell, when one cell is at fault.
    pub slot: Option<usize>,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    /// Extra detail for the report (the unknown event name).
    pub name: Option<String>,
    /// The property the cell was read as (`event.property`), when it is not the slot's
    /// role: one column may serve several events' properties, and the slot's role
    /// names only the first of them.
    pub field: Option<String>,
}

impl Problem {
    fn new(kind: SkipKind, slot: Option<usize>, message: String, label: impl Into<String>) -> Problem {
        Problem { kind, slot, message, label: label.into(), help: None, name: None, field: None }
    }
    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
    fn field(mut self, field: String) -> Problem {
        self.field = Some(field);
        self
    }
}

/// `event.property`, as a message names a property cell: the property read, not the
/// column's first user.
fn property_role(schema: &Schema, kind: EventKind, property: &str) -> String {
    format!("{}.{property}", schema.events[kind.0 as usize].0)
}

/// The columns a mapping needs, resolved against what the file offers.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Wanted columns, one slot each.
    pub slots: Vec<Column>,
    /// Whether the slot's column must exist (customer, timestamp, event, explicit
    /// mappings); optional slots are dropped when the file lacks them.
    pub(crate) customer: usize,
    pub(crate) timestamp: usize,
    pub(crate) event: Result<usize, EventKind>,
    pub(crate) revenue: Option<usize>,
    /// Per event kind, per declared property: the slot, if any.
    pub(crate) props: Vec<Vec<Option<usize>>>,
    /// Human name of each slot (`customer`, `purchase.amount`, …) for messages.
    pub roles: Vec<String>,
}

impl Plan {
    /// `available`: the column names of the file when known up front (CSV header,
    /// Parquet schema); `None` for JSON lines and header-less CSV.
    pub fn new(
        path: &Path,
        mapping: &Mapping,
        schema: &Schema,
        available: Option<&[String]>,
    ) -> Result<Plan, ReadError> {
        let err = |message: String, help: Option<String>| ReadError::Mapping {
            path: path.display().to_string(),
            message,
            help,
        };
        let has = |c: &Column| match (c, available) {
            (Column::Name(n), Some(cols)) => cols.iter().any(|x| x == n),
            _ => true,
        };
        // A file with no header line at all has no columns to list: say it is empty.
        if available.is_some_and(|a| a.is_empty()) {
            return Err(err(
                "the file is empty: expected a header line naming its columns".to_string(),
                Some("write the columns on the first line (customer_id,timestamp,event,…), or set `events.header: false` and map columns by position".to_string()),
            ));
        }
        let missing = |c: &Column, what: &str| {
            let cols = available.map(|a| a.join(", ")).unwrap_or_default();
            err(
                format!("the {what} column {c} is not in the file"),
                Some(format!(
                    "the file has the columns: {cols}; map the {what} column in journey.yaml under `events:` (see docs/events.md)"
                )),
            )
        };
        let mut plan = Plan {
            slots: Vec::new(),
            customer: 0,
            timestamp: 0,
            event: Ok(0),
            revenue: None,
            props: Vec::new(),
            roles: Vec::new(),
        };
        let slot = |plan: &mut Plan, c: &Column, role: &str| -> usize {
            if let Some(i) = plan.slots.iter().position(|s| s == c) {
                return i;
            }
            plan.slots.push(c.clone());
            plan.roles.push(role.to_string());
            plan.slots.len() - 1
        };
        for (c, what) in [(&mapping.customer, "customer"), (&mapping.timestamp, "timestamp")] {
            if !has(c) {
                return Err(missing(c, what));
            }
        }
        plan.customer = slot(&mut plan, &mapping.customer, "customer");
        plan.timestamp = slot(&mut plan, &mapping.timestamp, "timestamp");
        plan.event = match &mapping.event_name {
            Some(name) => Err(schema.kind(name).ok_or_else(|| {
                err(
                    format!("`event_name: {name}` is not an event of the program"),
                    Some(format!("declared events: {}", event_names(schema))),
                )
            })?),
            None => {
                if !has(&mapping.event) {
                    return Err(missing(&mapping.event, "event"));
                }
                Ok(slot(&mut plan, &mapping.event, "event"))
            }
        };
        if let Some(r) = &mapping.revenue {
            if has(r) {
                plan.revenue = Some(slot(&mut plan, r, "revenue"));
            } else if mapping.revenue_explicit {
                return Err(missing(r, "revenue"));
            }
        }
        for key in mapping.properties.keys() {
            let (e, p) = key.split_once('.').unwrap_or((key, ""));
            let Some(kind) = schema.kind(e) else {
                return Err(err(
                    format!("events.properties: `{key}` names no event of the program"),
                    Some(format!("declared events: {}", event_names(schema))),
                ));
            };
            if !schema.properties(kind).iter().any(|(n, _)| n == p) {
                let props: Vec<&str> = schema.properties(kind).iter().map(|(n, _)| n.as_str()).collect();
                return Err(err(
                    format!("events.properties: event `{e}` has no property `{p}`"),
                    Some(format!("`{e}` declares: {}", props.join(", "))),
                ));
            }
        }
        for (k, (ename, props)) in schema.events.iter().enumerate() {
            let mut per = Vec::with_capacity(props.len());
            for (pname, _) in props {
                let role = format!("{ename}.{pname}");
                let chosen = if let Some(c) = mapping.properties.get(&role) {
                    if !has(c) {
                        return Err(missing(c, &format!("`{role}`")));
                    }
                    Some(c.clone())
                } else {
                    match available {
                        Some(cols) if mapping.header => {
                            [role.clone(), pname.clone()].into_iter().find(|n| cols.contains(n)).map(Column::Name)
                        }
                        Some(_) => None,
                        None if mapping.header => Some(Column::Name(pname.clone())),
                        None => None,
                    }
                };
                per.push(chosen.map(|c| slot(&mut plan, &c, &role)));
            }
            plan.props.push(per);
            let _ = k;
        }
        Ok(plan)
    }
}

fn event_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema.events.iter().map(|(n, _)| n.as_str()).collect();
    names.join(", ")
}

/// Turns cells into events: interning, typing, order checks.
pub(crate) struct Builder {
    pub plan: Plan,
    pub(crate) schema: Schema,
    format: TimeFormat,
    tz: Tz,
    pub(crate) check_order: bool,
    pub customers: Interner,
    pub texts: Interner,
    /// Per customer: time and line of its latest event.
    pub(crate) last: Vec<(Timestamp, u64)>,
    /// Scratch for integer customer keys.
    key: String,
    /// Resolved keys of dictionary-coded columns.
    pub(crate) codes: Codes,
}

/// A cell that is not UTF-8 text: the row is malformed, whichever column it is in.
fn not_utf8(slot: usize, role: &str) -> Problem {
    Problem::new(
        SkipKind::Malformed,
        Some(slot),
        format!("{role}: the value is not UTF-8 text"),
        "not UTF-8",
    )
    .help("journey reads UTF-8 text; convert the file (e.g. `iconv -f LATIN1 -t UTF-8`), or skip such rows with --skip-bad-rows")
}

impl Builder {
    /// The backend's dictionary for `slot` changed (now `len` keys): forget what the
    /// keys of the previous one resolved to.
    pub(crate) fn new_dictionary(&mut self, slot: usize, len: usize) {
        let fresh = |v: &mut Vec<u32>| {
            v.clear();
            v.resize(len, UNSEEN);
        };
        if self.codes.texts.len() <= slot {
            self.codes.texts.resize_with(slot + 1, Vec::new);
        }
        fresh(&mut self.codes.texts[slot]);
        if slot == self.plan.customer {
            fresh(&mut self.codes.customers);
        }
        if self.plan.event == Ok(slot) {
            fresh(&mut self.codes.kinds);
        }
    }

    /// A backend that can see rows ahead (Parquet batches) names the dictionary key of
    /// a later row's customer: if resolved already, start loading its time-order entry
    /// (a random access per row of a time-ordered log) so it is there when that row is
    /// built. Only a hint: nothing changes.
    #[inline]
    pub(crate) fn prefetch_customer(&self, code: u32) {
        if let Some(&id) = self.codes.customers.get(code as usize) {
            if let Some(at) = self.last.get(id as usize) {
                crate::intern::prefetch(at);
            }
        }
    }

    /// The event of `row` (read from `line`), as a value: [`Builder::build_into`] for
    /// callers that keep it.
    #[cfg(feature = "parquet")]
    pub fn build<R: Row + ?Sized>(&mut self, row: &R, line: u64) -> Result<Event, Problem> {
        let mut event = blank_event();
        self.build_into(row, line, &mut event)?;
        Ok(event)
    }

    /// Build the event of `row` (read from `line`) into `out`, a reused event: an event
    /// handed back by value went through `Result` and `Outcome`, a copy of its 152
    /// bytes each time (12% of reading a Parquet log). On `Err`, `out` holds a partial
    /// event, to be overwritten by the next row.
    pub fn build_into<R: Row + ?Sized>(&mut self, row: &R, line: u64, out: &mut Event) -> Result<(), Problem> {
        // The customer is resolved last (below), but its lookups are the cache misses
        // of a time-ordered log (a different customer on nearly every row): start
        // loading them now, to overlap with typing the row. A dictionary key already
        // resolved gives the id, so its time-order entry; else the interner's slot.
        let cs = self.plan.customer;
        let customer_code = row.code(cs);
        let known = customer_code.and_then(|c| self.codes.customers.get(c as usize).copied()).filter(|&v| v != UNSEEN);
        match known {
            Some(id) => {
                if let Some(at) = self.last.get(id as usize) {
                    crate::intern::prefetch(at);
                }
            }
            None => {
                if let Cell::Str(s) = row.cell(cs) {
                    self.customers.prefetch(trimmed(s));
                }
            }
        }
        let plan = &self.plan;
        // event kind first: rows of unknown events are the commonest problem
        let kind = match plan.event {
            Err(k) => k,
            Ok(slot) => {
                let code = row.code(slot);
                match code.and_then(|c| self.codes.kinds.get(c as usize).copied()).filter(|&k| k != UNSEEN) {
                    Some(k) => EventKind(k as u16),
                    None => {
                        let k = self.event_kind(row, slot)?;
                        if let Some(known) = code.and_then(|c| self.codes.kinds.get_mut(c as usize)) {
                            *known = u32::from(k.0);
                        }
                        k
                    }
                }
            }
        };
        let t = self.time(row)?;
        let plan = &self.plan;
        let props_slots = &plan.props[kind.0 as usize];
        let props = &mut out.props;
        props.clear();
        for (i, slot) in props_slots.iter().enumerate() {
            let Some(slot) = *slot else {
                props.push(PropValue::Missing);
                continue;
            };
            let cell = row.cell(slot);
            let (name, ty) = &self.schema.properties(kind)[i];
            if let Cell::NotUtf8 = cell {
                let role = property_role(&self.schema, kind, name);
                return Err(not_utf8(slot, &role).field(role));
            }
            // the dictionary key only for text (one dispatch on the column less per
            // number)
            let code = match cell {
                Cell::Str(_) => row.code(slot),
                _ => None,
            };
            if let (Some(code), Cell::Str(s)) = (code, cell) {
                // a `one_of` value as written (not trimmed) is the same text id either way
                let coded = match ty {
                    Type::Text | Type::TimeOfDay | Type::List { .. } => true,
                    Type::OneOf { choices } => {
                        !s.is_empty() && trimmed(s).len() == s.len() && choices.iter().any(|c| c == s)
                    }
                    _ => false,
                };
                if coded {
                    let cache = self.codes.texts.get_mut(slot).map_or(&mut [][..], |v| &mut v[..]);
                    props.push(PropValue::Text(coded_text(cache, code, s, &mut self.texts)));
                    continue;
                }
            }
            match typed(cell, ty, self.tz, &mut self.texts) {
                Ok(v) => props.push(v),
                Err(expected) => {
                    let role = property_role(&self.schema, kind, name);
                    return Err(Problem::new(
                        SkipKind::BadValue,
                        Some(slot),
                        format!("{role}: expected {expected}, found {}", cell.describe()),
                        format!("not {expected}"),
                    )
                    .field(role));
                }
            }
        }
        let revenue = self.revenue(row)?;
        // the customer last, as always: a row refused above interns no customer
        let id = match known {
            Some(id) => id,
            None => {
                let id = self.customer(row)?;
                if let Some(known) = customer_code.and_then(|c| self.codes.customers.get_mut(c as usize)) {
                    *known = id;
                }
                id
            }
        };
        if self.check_order {
            let plan = &self.plan;
            let ts = plan.timestamp;
            let i = id as usize;
            if i == self.last.len() {
                self.last.push((t, line));
            } else if t < self.last[i].0 {
                let (prev, prev_line) = self.last[i];
                return Err(Problem::new(
                    SkipKind::OutOfOrder,
                    Some(ts),
                    format!(
                        "customer `{}` goes back in time: {} is before its previous event at {} (line {prev_line})",
                        shown(self.customers.resolve(id)),
                        time::format(t),
                        time::format(prev),
                    ),
                    "earlier than the customer's previous event",
                )
                .help(
                    "the log must be sorted by time per customer: sort it (e.g. `sort -t, -k2,2` on RFC 3339 times), \
                     or pass --sort (or set `events.order: sort`) to sort it in memory",
                ));
            } else {
                self.last[i] = (t, line);
            }
        }
        out.customer = CustomerId(id);
        out.time = t;
        out.kind = kind;
        out.revenue = revenue;
        out.line = line;
        Ok(())
    }

    /// The event kind of a row whose event column is `slot`.
    fn event_kind<R: Row + ?Sized>(&self, row: &R, slot: usize) -> Result<EventKind, Problem> {
        Ok(match row.cell(slot) {
            Cell::Str(s) if !trimmed(s).is_empty() => match self.schema.kind(trimmed(s)) {
                Some(k) => k,
                None => {
                    let mut p = Problem::new(
                        SkipKind::UnknownEvent,
                        Some(slot),
                        format!("unknown event `{}`", shown(s.trim())),
                        "not an event of the program",
                    )
                    .help(format!(
                        "declare it in the schema (`event {} {{ … }}`), or skip such rows with --skip-bad-rows",
                        s.trim()
                    ));
                    p.name = Some(s.trim().to_string());
                    return Err(p);
                }
            },
            Cell::NotUtf8 => return Err(not_utf8(slot, "event")),
            c if c.is_blank() => {
                return Err(Problem::new(SkipKind::MissingEvent, Some(slot), "missing event name".into(), "empty"))
            }
            c => {
                return Err(Problem::new(
                    SkipKind::MissingEvent,
                    Some(slot),
                    format!("expected an event name, found {}", c.describe()),
                    "not an event name",
                ))
            }
        })
    }

    /// The row's time, in UTC.
    pub(crate) fn time<R: Row + ?Sized>(&self, row: &R) -> Result<Timestamp, Problem> {
        let ts = self.plan.timestamp;
        let t = match row.cell(ts) {
            Cell::NotUtf8 => return Err(not_utf8(ts, "timestamp")),
            c if c.is_blank() => {
                return Err(Problem::new(SkipKind::MissingTime, Some(ts), "missing timestamp".into(), "empty"))
            }
            Cell::Time(t) => Some(t),
            Cell::LocalTime(l) => Some(time::local_to_utc(l, self.tz)),
            Cell::Str(s) => time::parse_text(s, &self.format, self.tz),
            Cell::Int(i) => time::from_number(i as f64, &self.format),
            Cell::Float(f) => time::from_number(f, &self.format),
            _ => None,
        };
        t.ok_or_else(|| {
            Problem::new(
                SkipKind::UnparsableTime,
                Some(ts),
                format!("expected {}, found {}", self.format.example(), row.cell(ts).describe()),
                "not a timestamp",
            )
            .help("set `events.timestamp_format` in journey.yaml if the log writes times differently (see docs/events.md)")
        })
    }

    /// The row's revenue, if the mapping names a revenue column and the cell is not blank.
    pub(crate) fn revenue<R: Row + ?Sized>(&self, row: &R) -> Result<Option<f64>, Problem> {
        let Some(slot) = self.plan.revenue else { return Ok(None) };
        let cell = row.cell(slot);
        if let Cell::NotUtf8 = cell {
            return Err(not_utf8(slot, "revenue"));
        }
        if cell.is_blank() {
            return Ok(None);
        }
        match cell.number() {
            Some(v) => Ok(Some(v)),
            None => Err(Problem::new(
                SkipKind::BadValue,
                Some(slot),
                format!("revenue: expected an amount like 12.50, found {}", cell.describe()),
                "not an amount",
            )),
        }
    }

    /// The row's customer, interned.
    pub(crate) fn customer<R: Row + ?Sized>(&mut self, row: &R) -> Result<u32, Problem> {
        let cs = self.plan.customer;
        Ok(match row.cell(cs) {
            Cell::NotUtf8 => return Err(not_utf8(cs, "customer")),
            c if c.is_blank() => {
                return Err(Problem::new(SkipKind::MissingCustomer, Some(cs), "missing customer id".into(), "empty"))
            }
            Cell::Str(s) => self.customers.intern(trimmed(s)),
            Cell::Int(i) => {
                use std::fmt::Write;
                self.key.clear();
                let _ = write!(self.key, "{i}");
                self.customers.intern(&self.key)
            }
            c => {
                return Err(Problem::new(
                    SkipKind::MissingCustomer,
                    Some(cs),
                    format!("expected a customer id (text or integer), found {}", c.describe()),
                    "not a customer id",
                ))
            }
        })
    }
}

/// An event to be filled by [`Builder::build_into`].
pub(crate) fn blank_event() -> Event {
    Event { customer: CustomerId(0), time: 0, kind: EventKind(0), props: crate::Props::new(), revenue: None, line: 0 }
}

/// Type a property cell. `Err` carries what was expected.
pub(crate) fn typed(cell: Cell<'_>, ty: &Type, tz: Tz, texts: &mut Interner) -> Result<PropValue, String> {
    if matches!(cell, Cell::Null) {
        return Ok(PropValue::Missing);
    }
    let blank = cell.is_blank();
    Ok(match ty {
        Type::Text | Type::TimeOfDay | Type::List { .. } => match cell {
            Cell::Str(s) => PropValue::Text(texts.intern(s)),
            Cell::Int(i) => PropValue::Text(texts.intern(&i.to_string())),
            Cell::Float(f) => PropValue::Text(texts.intern(&f.to_string())),
            Cell::Bool(b) => PropValue::Text(texts.intern(if b { "true" } else { "false" })),
            _ => return Err("text".into()),
        },
        _ if blank => PropValue::Missing,
        Type::OneOf { choices } => match cell {
            Cell::Str(s) if choices.iter().any(|c| c == trimmed(s)) => PropValue::Text(texts.intern(trimmed(s))),
            _ => {
                let list: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
                return Err(format!("one of {}", list.join(", ")));
            }
        },
        Type::Number | Type::Percent | Type::Duration => {
            PropValue::Number(cell.number().ok_or_else(|| "a number".to_string())?)
        }
        Type::Money => PropValue::Money(cell.number().ok_or_else(|| "an amount like 12.50".to_string())?),
        Type::Bool => PropValue::Bool(match cell {
            Cell::Bool(b) => b,
            Cell::Int(0) => false,
            Cell::Int(1) => true,
            Cell::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "t" | "y" => true,
                "false" | "0" | "no" | "f" | "n" => false,
                _ => return Err("true or false".into()),
            },
            _ => return Err("true or false".into()),
        }),
        Type::Time | Type::Date => PropValue::Time(match cell {
            Cell::Time(t) => t,
            Cell::LocalTime(l) => time::local_to_utc(l, tz),
            Cell::Str(s) => time::parse_text(s, &TimeFormat::Rfc3339, tz)
                .ok_or_else(|| "a time like 2026-01-31T09:00:00Z or a date like 2026-01-31".to_string())?,
            _ => return Err("a time like 2026-01-31T09:00:00Z".into()),
        }),
        Type::Timezone => match cell {
            Cell::Str(s) if s.trim().parse::<Tz>().is_ok() => PropValue::Text(texts.intern(s.trim())),
            _ => return Err("an IANA time zone like Europe/Berlin".into()),
        },
    })
}

/// A format backend.
enum Backend {
    Csv(CsvBackend),
    Whitespace(WsBackend),
    Jsonl(JsonBackend),
    #[cfg(feature = "parquet")]
    Parquet(crate::parquet_reader::ParquetBackend),
}

impl Backend {
    /// The current record as written, and its first line (text formats).
    fn current(&self) -> Option<(u64, &[u8])> {
        match self {
            Backend::Csv(b) => Some((b.split.line, b.split.raw())),
            Backend::Whitespace(b) => Some((b.lines.line, &b.buf)),
            Backend::Jsonl(b) => Some((b.lines.line, &b.buf)),
            #[cfg(feature = "parquet")]
            Backend::Parquet(_) => None,
        }
    }
}

/// Streaming reader of one log file. Memory: per customer a few words (interned key and
/// the time of its last event), plus the reader's buffers; with sorting, the whole log.
pub struct LogReader {
    display: String,
    backend: Backend,
    builder: Builder,
    options: ReadOptions,
    skipped: SkipCounts,
    rows: u64,
    sorted: Option<std::vec::IntoIter<Event>>,
    sort: bool,
    failed: bool,
    /// The event last read: built in place, lent by [`LogReader::next_ref`].
    event: Event,
}

/// The format of a stream whose name does not tell (standard input, `<(zcat …)`), from
/// its first bytes: `{` is JSON lines, `PAR1` is Parquet, anything else delimited text.
fn sniff(head: &[u8]) -> Format {
    let head = head.strip_prefix(&[0xef, 0xbb, 0xbf][..]).unwrap_or(head);
    if head.starts_with(b"PAR1") {
        return Format::Parquet;
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Format::Jsonl,
        _ => Format::Csv,
    }
}

impl LogReader {
    /// Open a log: a file, `-` for standard input, a FIFO, or a gzip/zstd-compressed
    /// file, read once as a stream.
    pub fn open(path: &Path, mapping: &Mapping, schema: &Schema, options: ReadOptions) -> Result<LogReader, ReadError> {
        let display = input::display_name(path);
        let by_name = mapping.format.resolve(input::without_compression(path));
        if by_name.is_none() && input::rereadable(path) {
            return Err(ReadError::Mapping {
                path: display,
                message: "cannot tell the format of the log from its extension".into(),
                help: Some("name it .csv, .jsonl or .parquet, or set `events.format` in journey.yaml".into()),
            });
        }
        let mut opened = input::open(path)?;
        let format = match by_name {
            Some(f) => f,
            None => sniff(opened.reader.fill_buf().map_err(|e| ReadError::io(path, e))?),
        };
        Self::with_input(path, display, opened, format, mapping, schema, options)
    }

    /// Read a log from bytes already open (`path` names it in messages): what
    /// [`LogReader::open`] does after opening, for in-memory inputs (the fuzz harness).
    pub fn from_reader(
        path: &Path,
        reader: Box<dyn BufRead + Send>,
        format: Format,
        mapping: &Mapping,
        schema: &Schema,
        options: ReadOptions,
    ) -> Result<LogReader, ReadError> {
        let opened = input::Opened { reader, origin: input::Origin::Stream };
        let format = if format == Format::Auto { Format::Csv } else { format };
        Self::with_input(path, path.display().to_string(), opened, format, mapping, schema, options)
    }

    fn with_input(
        path: &Path,
        display: String,
        mut opened: input::Opened,
        format: Format,
        mapping: &Mapping,
        schema: &Schema,
        options: ReadOptions,
    ) -> Result<LogReader, ReadError> {
        let (backend, plan) = match format {
            Format::Csv => {
                let lines = LineReader::new(path, opened.reader)?;
                match mapping.delimiter {
                    Delimiter::Whitespace => {
                        let (b, plan) = WsBackend::open(path, lines, mapping, schema)?;
                        (Backend::Whitespace(b), plan)
                    }
                    Delimiter::Byte(d) => {
                        let (b, plan) = CsvBackend::open(path, lines, d, mapping, schema)?;
                        (Backend::Csv(b), plan)
                    }
                }
            }
            Format::Jsonl => {
                let lines = LineReader::new(path, opened.reader)?;
                let plan = Plan::new(path, mapping, schema, None)?;
                (Backend::Jsonl(JsonBackend::new(lines, &plan)), plan)
            }
            #[cfg(feature = "parquet")]
            Format::Parquet => {
                let (b, plan) = if opened.origin == input::Origin::File {
                    drop(opened);
                    let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
                    if let Some(footer) = crate::parquet_reader::small_row_groups(&file) {
                        // many small row groups cost a read per column chunk each:
                        // one read of the whole (moderate) file is as fast as large groups
                        let all = std::fs::read(path).map_err(|e| ReadError::io(path, e))?;
                        let all = bytes::Bytes::from(all);
                        crate::parquet_reader::ParquetBackend::open(path, all, Some(footer), mapping, schema)?
                    } else {
                        crate::parquet_reader::ParquetBackend::open(path, file, None, mapping, schema)?
                    }
                } else {
                    // Parquet needs random access: a stream is held in memory
                    let mut all = Vec::new();
                    opened.reader.read_to_end(&mut all).map_err(|e| ReadError::io(path, e))?;
                    crate::parquet_reader::ParquetBackend::open(path, bytes::Bytes::from(all), None, mapping, schema)?
                };
                (Backend::Parquet(b), plan)
            }
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => {
                return Err(ReadError::Mapping {
                    path: display,
                    message: "this build of journey cannot read Parquet".into(),
                    help: Some("build with the default `parquet` feature, or convert the log to CSV".into()),
                })
            }
            Format::Auto => unreachable!("resolved above"),
        };
        let sort = options.sort || mapping.order == Order::Sort;
        let tz = mapping.timezone.unwrap_or_else(|| schema.timezone());
        let builder = Builder {
            plan,
            schema: schema.clone(),
            format: mapping.timestamp_format.clone(),
            tz,
            check_order: !sort,
            customers: Interner::default(),
            texts: Interner::default(),
            last: Vec::new(),
            key: String::new(),
            codes: Codes::default(),
        };
        Ok(LogReader {
            display,
            backend,
            builder,
            options,
            skipped: SkipCounts::default(),
            rows: 0,
            sorted: None,
            sort,
            failed: false,
            event: blank_event(),
        })
    }

    /// The next event, in file order (or time order when sorting). `Err` only without
    /// `skip_bad_rows`, for the first bad row; after it the reader is finished.
    pub fn next_event(&mut self) -> Option<Result<Event, ReadError>> {
        Some(self.advance()?.map(|()| std::mem::replace(&mut self.event, blank_event())))
    }

    /// [`LogReader::next_event`], lent instead of moved out, for a caller that only
    /// reads each event (a parse-only pass): it stays where the reader built it.
    pub fn next_ref(&mut self) -> Option<Result<&Event, ReadError>> {
        Some(self.advance()?.map(|()| &self.event))
    }

    /// Read the next event into `self.event`.
    fn advance(&mut self) -> Option<Result<(), ReadError>> {
        if self.failed {
            return None;
        }
        if self.sort {
            if self.sorted.is_none() {
                let mut all = Vec::new();
                loop {
                    match self.next_in_file() {
                        None => break,
                        Some(Ok(())) => all.push(std::mem::replace(&mut self.event, blank_event())),
                        Some(Err(e)) => {
                            self.failed = true;
                            return Some(Err(e));
                        }
                    }
                }
                // stable: equal times keep file order
                all.sort_by_key(|e| e.time);
                self.sorted = Some(all.into_iter());
            }
            self.event = self.sorted.as_mut().and_then(Iterator::next)?;
            return Some(Ok(()));
        }
        let r = self.next_in_file();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }

    fn next_in_file(&mut self) -> Option<Result<(), ReadError>> {
        loop {
            let out = &mut self.event;
            let outcome = match &mut self.backend {
                Backend::Csv(b) => b.next(&mut self.builder, out),
                Backend::Whitespace(b) => b.next(&mut self.builder, out),
                Backend::Jsonl(b) => b.next(&mut self.builder, out),
                #[cfg(feature = "parquet")]
                Backend::Parquet(b) => {
                    if b.next_fast(&mut self.builder, out) {
                        self.rows += 1;
                        return Some(Ok(()));
                    }
                    b.next(&mut self.builder, out)
                }
            };
            match outcome {
                Outcome::End => return None,
                Outcome::Io(e) => {
                    return Some(Err(ReadError::Io { path: self.display.clone(), error: e }));
                }
                Outcome::Fatal(problem, at) => return Some(Err(self.locate(problem, at))),
                Outcome::Event => {
                    self.rows += 1;
                    return Some(Ok(()));
                }
                Outcome::Bad(problem, at) => {
                    self.rows += 1;
                    if self.options.skip_bad_rows {
                        self.skipped.add(problem.kind);
                        if let Some(name) = problem.name {
                            *self.skipped.unknown_event_names.entry(name).or_default() += 1;
                        }
                        continue;
                    }
                    return Some(Err(self.locate(problem, at)));
                }
            }
        }
    }

    /// Build the error for a bad row from the row as the reader holds it (the file is
    /// never read again: it may be a stream).
    fn locate(&self, p: Problem, at: Location) -> ReadError {
        let field = p.field.clone().or_else(|| p.slot.map(|s| self.builder.plan.roles[s].clone())).unwrap_or_default();
        let (line, raw, span): (u64, &[u8], Option<(usize, usize)>) = match &at {
            Location::Current { span, key } => {
                let (line, raw) = self.backend.current().unwrap_or((0, &[]));
                let span = match (span, key) {
                    (Some(s), _) => Some(*s),
                    (None, Some(k)) => std::str::from_utf8(raw).ok().and_then(|t| json_value_span(t, k)),
                    (None, None) => None,
                };
                (line, raw, span)
            }
            Location::Row { row, text, span } => (*row, text.as_bytes(), Some(*span)),
        };
        crate::error::row_error(p.kind, &self.display, line, raw, span, field, p.message, p.label, p.help)
    }

    /// Customer keys: `CustomerId(n)` is `interner().resolve(n)`. Ids are dense, in
    /// first-seen order.
    pub fn interner(&self) -> &Interner {
        &self.builder.customers
    }
    /// Text property values: `PropValue::Text(n)` is `texts().resolve(n)`.
    pub fn texts(&self) -> &Interner {
        &self.builder.texts
    }
    pub fn skipped(&self) -> &SkipCounts {
        &self.skipped
    }
    /// Rows read so far (events plus skipped rows; blank lines and the header excluded).
    pub fn rows(&self) -> u64 {
        self.rows
    }
    /// Lines of the file read so far (rows for Parquet). With quoted line breaks in a
    /// CSV, one row spans several lines.
    pub fn lines(&self) -> u64 {
        match &self.backend {
            Backend::Csv(b) => b.split.lines.line,
            Backend::Whitespace(b) => b.lines.line,
            Backend::Jsonl(b) => b.lines.line,
            #[cfg(feature = "parquet")]
            Backend::Parquet(_) => self.rows,
        }
    }
    /// Rows that spanned more than one line (quoted line breaks in a CSV).
    pub fn multiline_rows(&self) -> u64 {
        match &self.backend {
            Backend::Csv(b) => b.split.multiline,
            _ => 0,
        }
    }
    /// The zone used for timestamps written without an offset.
    pub fn timezone(&self) -> Tz {
        self.builder.tz
    }
    /// Whether the reader sorts the log in memory.
    pub fn sorts(&self) -> bool {
        self.sort
    }

    /// Build every Parquet row row-wise: the oracle the fast build is tested against.
    #[cfg(all(test, feature = "parquet"))]
    pub(crate) fn row_wise(&mut self) {
        if let Backend::Parquet(b) = &mut self.backend {
            b.typed.enabled = false;
        }
    }

    /// Decode Parquet batches on a thread of their own or not, whatever the file's
    /// size and the machine's cores.
    #[cfg(all(test, feature = "parquet"))]
    pub(crate) fn decode_ahead(&mut self, on: bool) {
        if let Backend::Parquet(b) = &mut self.backend {
            b.batches.set_ahead(on);
        }
    }

    /// Parquet rows the fast build finished.
    #[cfg(all(test, feature = "parquet"))]
    pub(crate) fn fast_rows(&self) -> u64 {
        match &self.backend {
            Backend::Parquet(b) => b.typed.fast_rows,
            _ => 0,
        }
    }
}

impl Iterator for LogReader {
    type Item = Result<Event, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

pub(crate) enum Outcome {
    /// The row's event, built into the caller's slot.
    Event,
    Bad(Problem, Location),
    /// The input cannot be read on (a quote never closed, a line without end): an
    /// error even when skipping bad rows, since no next row can be found.
    Fatal(Problem, Location),
    Io(std::io::Error),
    End,
}

pub(crate) enum Location {
    /// The backend's current record: the byte span to underline, or the JSON key whose
    /// value to underline.
    Current { span: Option<(usize, usize)>, key: Option<String> },
    /// A row shown as text made for the message (Parquet), or one line of a record.
    Row { row: u64, text: String, span: (usize, usize) },
}

/// A line over [`input::MAX_LINE`], or a quote never closed: the outcome that stops
/// the reader.
fn line_failure(e: LineError) -> Outcome {
    match e {
        LineError::Io(e) => Outcome::Io(e),
        LineError::TooLong { line, .. } => Outcome::Fatal(
            Problem::new(SkipKind::Malformed, None, input::too_long_message(line), "the line starts here")
                .help("journey reads text logs with one row per line; check that this is the log, uncompressed or .gz/.zst, and not a binary file"),
            Location::Row { row: line, text: String::new(), span: (0, 0) },
        ),
    }
}

pub(crate) fn split_failure(e: SplitError, split: &CsvSplitter) -> Outcome {
    match e {
        SplitError::Line(e) => line_failure(e),
        SplitError::Unterminated { line, column, offset, at_end } => {
            // the line where the quote opened, as written
            let raw = split.raw();
            let rest = &raw[offset.min(raw.len())..];
            let text = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
            let text = String::from_utf8_lossy(&text[..text.len().min(4096)]).into_owned();
            let column = column.min(text.len());
            let within = if at_end {
                "before the end of the file".to_string()
            } else {
                format!("within {} lines", input::MAX_QUOTED_LINES)
            };
            Outcome::Fatal(
                Problem::new(
                    SkipKind::Malformed,
                    None,
                    format!("unterminated quote: the quoted field opened on line {line} is not closed {within}"),
                    "this quote is never closed",
                )
                .help(format!(
                    "close the quote, or double a quote inside a quoted field (\"\"); a quoted field may span at most {} lines",
                    input::MAX_QUOTED_LINES
                )),
                Location::Row { row: line, text, span: (column, 1) },
            )
        }
    }
}

/// Byte range of the value of `"key":` in a JSON line (first occurrence).
fn json_value_span(line: &str, key: &str) -> Option<(usize, usize)> {
    let pat = format!("\"{key}\"");
    let k = line.find(&pat)?;
    let rest = &line[k + pat.len()..];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    let skip = after.len() - after.trim_start().len();
    let start = k + pat.len() + colon + 1 + skip;
    let v = &line[start..];
    let len = if let Some(quoted) = v.strip_prefix('"') {
        let mut esc = false;
        quoted
            .char_indices()
            .find(|&(_, c)| {
                let end = c == '"' && !esc;
                esc = c == '\\' && !esc;
                end
            })
            .map_or(v.len(), |(i, _)| i + 2)
    } else {
        v.find([',', '}']).unwrap_or(v.len()).min(v.trim_end().len())
    };
    Some((start, len))
}

// ---------------------------------------------------------------------------- CSV

struct CsvBackend {
    split: CsvSplitter,
    /// slot → field index
    fields: Vec<usize>,
    /// The header's field count, which every record must have ([`width_problem`]);
    /// `None` without a header.
    width: Option<usize>,
}

/// A record of a file with a header whose field count is not the header's, as the
/// problem to report and the span to underline; `None` when the counts agree. A value
/// holding the delimiter unquoted (`1,234.50`) splits in two and shifts every later
/// cell, so its row would be read wrong without a sign; a row cut short lacks cells.
/// Extra fields are refused even when they are blank: an export leaves its last
/// columns empty on most rows, so the field a shift pushes out is blank as often as
/// not, and a blank extra says nothing about whether the cells before it moved (it
/// once let `1,234.50` pass as revenue 1 with exit 0). A file whose rows all end with
/// a delimiter reads once its header line ends with one too.
pub(crate) fn width_problem(split: &CsvSplitter, width: usize) -> Option<(Problem, Option<(usize, usize)>)> {
    let n = split.len();
    if n > width {
        let span = match (split.span(width), split.span(n - 1)) {
            (Some((start, _)), Some((last, len))) => Some((start, (last + len).saturating_sub(start).max(1))),
            _ => None,
        };
        let message = format!("the row has {n} fields but the header has {width}");
        let p = Problem::new(SkipKind::Malformed, None, message, "extra fields").help(
            "a value that holds the delimiter must be quoted (\"1,234.50\"); every row needs one field per header column (rows that all end with a delimiter need the header line to end with one too)",
        );
        return Some((p, span));
    }
    if n < width {
        let span = split.span(n.saturating_sub(1)).map(|(start, len)| (start, len.max(1)));
        let message = format!("the row has {n} fields but the header has {width}");
        let p = Problem::new(SkipKind::Malformed, None, message, "the row ends after this field")
            .help("the row may be cut short; every row needs one field per header column (empty ones as `,,`)");
        return Some((p, span));
    }
    None
}

struct CsvRow<'a> {
    split: &'a CsvSplitter,
    fields: &'a [usize],
    /// The whole record as text, when it was split in place (no quote), on an ASCII
    /// delimiter, and is UTF-8 throughout: validated once per row instead of once per
    /// cell. Its fields are cut at delimiter bytes, which are never inside a character,
    /// so each is a `str` slice of it. `None`: every cell is validated on its own, and
    /// only a cell that is not UTF-8 is refused.
    text: Option<&'a str>,
}

impl<'a> CsvRow<'a> {
    fn new(split: &'a CsvSplitter, fields: &'a [usize]) -> CsvRow<'a> {
        let text = match split.direct() {
            true => split.ascii_text().or_else(|| std::str::from_utf8(split.raw()).ok()),
            false => None,
        };
        CsvRow { split, fields, text }
    }
}

impl Row for CsvRow<'_> {
    #[inline]
    fn cell(&self, slot: usize) -> Cell<'_> {
        let field = self.fields[slot];
        if let Some(text) = self.text {
            return match self.split.direct_range(field) {
                None => Cell::Null,
                Some((start, end)) => text.get(start..end).map_or(Cell::NotUtf8, Cell::Str),
            };
        }
        match self.split.get(field) {
            None => Cell::Null,
            Some(b) => std::str::from_utf8(b).map_or(Cell::NotUtf8, Cell::Str),
        }
    }
}

/// The header of a delimited file: its first record, as trimmed names.
pub(crate) fn read_header(path: &Path, split: &mut CsvSplitter) -> Result<Vec<String>, ReadError> {
    match split.read() {
        Ok(true) => Ok(split.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(e) => Err(split_read_error(e, split, &input::display_name(path))),
    }
}

/// A record the splitter could not read (an I/O error, a line past the length limit,
/// an unterminated quote) as the error a reader returns, naming the file as `display`.
/// One mapping for the event log and the attribute snapshot, so both say the same.
pub(crate) fn split_read_error(e: SplitError, split: &CsvSplitter, display: &str) -> ReadError {
    match split_failure(e, split) {
        Outcome::Io(e) => ReadError::Io { path: display.to_string(), error: e },
        Outcome::Fatal(p, Location::Row { row, text, span }) => crate::error::row_error(
            p.kind,
            display,
            row,
            text.as_bytes(),
            Some(span),
            String::new(),
            p.message,
            p.label,
            p.help,
        ),
        // `split_failure` builds only those two
        _ => unreachable!("split failures are I/O or fatal"),
    }
}

impl CsvBackend {
    fn open(
        path: &Path,
        lines: LineReader,
        d: u8,
        mapping: &Mapping,
        schema: &Schema,
    ) -> Result<(Self, Plan), ReadError> {
        let mut split = CsvSplitter::new(lines, d);
        let header = if mapping.header { Some(read_header(path, &mut split)?) } else { None };
        let plan = Plan::new(path, mapping, schema, header.as_deref())?;
        let width = header.as_ref().map(Vec::len);
        let fields = plan
            .slots
            .iter()
            .map(|c| match c {
                Column::Position(p) => p - 1,
                Column::Name(n) => header.as_ref().and_then(|h| h.iter().position(|x| x == n)).unwrap_or(usize::MAX),
            })
            .collect();
        Ok((CsvBackend { split, fields, width }, plan))
    }

    fn next(&mut self, builder: &mut Builder, out: &mut Event) -> Outcome {
        loop {
            match self.split.read() {
                Ok(false) => return Outcome::End,
                Ok(true) => {}
                Err(e) => return split_failure(e, &self.split),
            }
            if self.split.is_blank() {
                continue;
            }
            if let Some(width) = self.width.filter(|w| *w != self.split.len()) {
                if let Some((p, span)) = width_problem(&self.split, width) {
                    return Outcome::Bad(p, Location::Current { span, key: None });
                }
            }
            let row = CsvRow::new(&self.split, &self.fields);
            return match builder.build_into(&row, self.split.line, out) {
                Ok(()) => Outcome::Event,
                Err(p) => {
                    let span = p.slot.and_then(|s| self.split.span(self.fields[s]));
                    Outcome::Bad(p, Location::Current { span, key: None })
                }
            };
        }
    }
}

// ---------------------------------------------------------------------------- whitespace

/// Whitespace-separated text without quoting (CDNOW_sample.txt).
struct WsBackend {
    lines: LineReader,
    buf: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    fields: Vec<usize>,
}

struct WsRow<'a> {
    text: &'a [u8],
    ranges: &'a [(usize, usize)],
    fields: &'a [usize],
}

impl Row for WsRow<'_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        match self.ranges.get(self.fields[slot]) {
            None => Cell::Null,
            Some(&(s, e)) => std::str::from_utf8(&self.text[s..e]).map_or(Cell::NotUtf8, Cell::Str),
        }
    }
}

impl WsBackend {
    fn open(path: &Path, lines: LineReader, mapping: &Mapping, schema: &Schema) -> Result<(Self, Plan), ReadError> {
        let mut b = WsBackend { lines, buf: Vec::new(), ranges: Vec::new(), fields: Vec::new() };
        let header = if mapping.header {
            match b.read() {
                Ok(true) => Some(
                    b.ranges
                        .iter()
                        .map(|&(s, e)| String::from_utf8_lossy(&b.buf[s..e]).into_owned())
                        .collect::<Vec<_>>(),
                ),
                Ok(false) => Some(Vec::new()),
                Err(LineError::Io(e)) => return Err(ReadError::io(path, e)),
                Err(LineError::TooLong { line, .. }) => {
                    return Err(ReadError::Mapping {
                        path: path.display().to_string(),
                        message: input::too_long_message(line),
                        help: None,
                    })
                }
            }
        } else {
            None
        };
        let plan = Plan::new(path, mapping, schema, header.as_deref())?;
        b.fields = plan
            .slots
            .iter()
            .map(|c| match c {
                Column::Position(p) => p - 1,
                Column::Name(n) => header.as_ref().and_then(|h| h.iter().position(|x| x == n)).unwrap_or(usize::MAX),
            })
            .collect();
        Ok((b, plan))
    }

    /// Read the next non-blank line into `buf` and split it.
    fn read(&mut self) -> Result<bool, LineError> {
        loop {
            self.buf.clear();
            if !self.lines.read_line(&mut self.buf)? {
                return Ok(false);
            }
            self.ranges.clear();
            let b = &self.buf;
            let mut i = 0;
            while i < b.len() {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i > start {
                    self.ranges.push((start, i));
                }
            }
            if !self.ranges.is_empty() {
                return Ok(true);
            }
        }
    }

    fn next(&mut self, builder: &mut Builder, out: &mut Event) -> Outcome {
        match self.read() {
            Err(e) => line_failure(e),
            Ok(false) => Outcome::End,
            Ok(true) => {
                let row = WsRow { text: &self.buf, ranges: &self.ranges, fields: &self.fields };
                match builder.build_into(&row, self.lines.line, out) {
                    Ok(()) => Outcome::Event,
                    Err(p) => {
                        let span = p
                            .slot
                            .and_then(|s| self.ranges.get(self.fields[s]))
                            .map(|&(start, end)| (start, end - start));
                        Outcome::Bad(p, Location::Current { span, key: None })
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------- JSON lines

struct JsonBackend {
    lines: LineReader,
    buf: Vec<u8>,
    /// key → slot (JSON keys are looked up at the top level and inside `properties`).
    keys: std::collections::HashMap<String, usize>,
    nslots: usize,
    /// Recycled allocation of the per-row cell vector.
    cells: Vec<JCell<'static>>,
    /// Which slots the row has set so far ([`RowSeed::duplicate`]).
    seen: Vec<bool>,
}

#[derive(Debug)]
enum JCell<'de> {
    Null,
    Str(std::borrow::Cow<'de, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nested,
}

struct JRow<'a, 'de> {
    cells: &'a [JCell<'de>],
}

impl Row for JRow<'_, '_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        match &self.cells[slot] {
            JCell::Null => Cell::Null,
            JCell::Str(s) => Cell::Str(s),
            JCell::Int(i) => Cell::Int(*i),
            JCell::Float(f) => Cell::Float(*f),
            JCell::Bool(b) => Cell::Bool(*b),
            JCell::Nested => Cell::Nested,
        }
    }
}

/// Reuse a vector's allocation for another lifetime (in-place collect of an empty vec).
fn recycle<'a, 'b>(mut v: Vec<JCell<'a>>) -> Vec<JCell<'b>> {
    v.clear();
    v.into_iter().map(|_| JCell::Null).collect()
}

impl JsonBackend {
    fn new(lines: LineReader, plan: &Plan) -> JsonBackend {
        let keys = plan
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Column::Name(n) => Some((n.clone(), i)),
                Column::Position(_) => None,
            })
            .collect();
        JsonBackend { lines, buf: Vec::new(), keys, nslots: plan.slots.len(), cells: Vec::new(), seen: Vec::new() }
    }

    fn next(&mut self, builder: &mut Builder, out: &mut Event) -> Outcome {
        loop {
            self.buf.clear();
            match self.lines.read_line(&mut self.buf) {
                Ok(false) => return Outcome::End,
                Ok(true) => {}
                Err(e) => return line_failure(e),
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                let p = Problem::new(SkipKind::Malformed, None, "the line is not UTF-8 text".into(), "here");
                return Outcome::Bad(p, Location::Current { span: None, key: None });
            };
            if text.trim().is_empty() {
                continue;
            }
            let mut cells: Vec<JCell<'_>> = recycle(std::mem::take(&mut self.cells));
            cells.resize_with(self.nslots, || JCell::Null);
            let mut bad_properties = None;
            let mut duplicate = None;
            self.seen.clear();
            self.seen.resize(self.nslots, false);
            let mut de = serde_json::Deserializer::from_str(text);
            let seed = RowSeed {
                keys: &self.keys,
                cells: &mut cells,
                bad_properties: &mut bad_properties,
                seen: &mut self.seen,
                duplicate: &mut duplicate,
            };
            let parsed = serde::de::DeserializeSeed::deserialize(seed, &mut de).and_then(|_| de.end());
            let line = self.lines.line;
            let outcome = match parsed {
                Err(e) => {
                    let p = Problem::new(SkipKind::Malformed, None, format!("invalid JSON: {e}"), "here")
                        .help("each line must be one JSON object");
                    let c = e.column().saturating_sub(1).min(text.len());
                    Outcome::Bad(p, Location::Current { span: Some((c, usize::from(c < text.len()))), key: None })
                }
                Ok(()) if duplicate.is_some() => {
                    let key = duplicate.unwrap_or_default();
                    let p = Problem::new(
                        SkipKind::Malformed,
                        None,
                        format!("`{key}` appears twice in the row: which value is meant is not clear"),
                        "first here",
                    )
                    .help("give each key once (a property at the top level or in `properties`, not in both), or skip such rows with --skip-bad-rows");
                    Outcome::Bad(p, Location::Current { span: None, key: Some(key) })
                }
                Ok(()) if bad_properties.is_some() => {
                    let found = bad_properties.unwrap_or_default();
                    let p = Problem::new(
                        SkipKind::Malformed,
                        None,
                        format!("`properties` must be a JSON object, found {found}"),
                        "not an object",
                    )
                    .help(r#"write the event's properties as an object, e.g. "properties": {"amount": 12.5}, or skip such rows with --skip-bad-rows"#);
                    Outcome::Bad(p, Location::Current { span: None, key: Some("properties".into()) })
                }
                Ok(()) => match builder.build_into(&JRow { cells: &cells }, line, out) {
                    Ok(()) => Outcome::Event,
                    Err(p) => {
                        let key = p.slot.and_then(|s| match &builder.plan.slots[s] {
                            Column::Name(n) => Some(n.clone()),
                            Column::Position(_) => None,
                        });
                        Outcome::Bad(p, Location::Current { span: None, key })
                    }
                },
            };
            self.cells = recycle(cells);
            return outcome;
        }
    }
}

struct RowSeed<'a, 'b, 'de> {
    keys: &'a std::collections::HashMap<String, usize>,
    cells: &'b mut Vec<JCell<'de>>,
    /// What `properties` was when it was not an object (or null).
    bad_properties: &'b mut Option<&'static str>,
    /// The slots set so far in this row, and the first mapped key met twice: a JSON
    /// object with a repeated key is legal, but the parser would keep the last value
    /// silently, and `{"event": "signup", "event": "purchase"}` is no purchase to guess.
    seen: &'b mut Vec<bool>,
    duplicate: &'b mut Option<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key: &str = &key.0;
            if let Some(&slot) = self.keys.get(key) {
                if std::mem::replace(&mut self.seen[slot], true) && self.duplicate.is_none() {
                    *self.duplicate = Some(key.to_string());
                }
                self.cells[slot] = map.next_value::<JValue<'de>>()?.0;
            } else if key == "properties" {
                map.next_value_seed(Nested {
                    keys: self.keys,
                    cells: self.cells,
                    bad_properties: self.bad_properties,
                    seen: self.seen,
                    duplicate: self.duplicate,
                })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `properties` object: its keys are looked up like top-level ones. Null means
/// none; anything else that is not an object is reported (never dropped silently).
struct Nested<'a, 'b, 'de> {
    keys: &'a std::collections::HashMap<String, usize>,
    cells: &'b mut Vec<JCell<'de>>,
    bad_properties: &'b mut Option<&'static str>,
    seen: &'b mut Vec<bool>,
    duplicate: &'b mut Option<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Nested<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Nested<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let Nested { keys, cells, bad_properties, seen, duplicate } = self;
        RowSeed { keys, cells, bad_properties, seen, duplicate }.visit_map(map)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        *self.bad_properties = Some("a list");
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        *self.bad_properties = Some("true or false");
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        *self.bad_properties = Some("a number");
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        *self.bad_properties = Some("a number");
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        *self.bad_properties = Some("a number");
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        *self.bad_properties = Some("text");
        Ok(())
    }
}

struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_string().into()))
            }
        }
        d.deserialize_str(V)
    }
}

struct JValue<'de>(JCell<'de>);

impl<'de> serde::Deserialize<'de> for JValue<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Str(v.into())))
            }
            fn visit_str<E>(self, v: &str) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Str(v.to_string().into())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Int(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<JValue<'de>, E> {
                Ok(JValue(i64::try_from(v).map_or(JCell::Float(v as f64), JCell::Int)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Float(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Bool(v)))
            }
            fn visit_unit<E>(self) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Null))
            }
            fn visit_none<E>(self) -> Result<JValue<'de>, E> {
                Ok(JValue(JCell::Null))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<JValue<'de>, A::Error> {
                while m.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(JValue(JCell::Nested))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<JValue<'de>, A::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(JValue(JCell::Nested))
            }
        }
        d.deserialize_any(V)
    }
}

impl Builder {
    /// A builder for rows that come from record batches in memory
    /// (`arrow_batches::BatchReader`), with the file readers' typing and checks.
    #[cfg(feature = "parquet")]
    pub(crate) fn for_batches(plan: Plan, mapping: &Mapping, schema: &Schema, check_order: bool) -> Builder {
        Builder {
            plan,
            schema: schema.clone(),
            format: mapping.timestamp_format.clone(),
            tz: mapping.timezone.unwrap_or_else(|| schema.timezone()),
            check_order,
            customers: Interner::default(),
            texts: Interner::default(),
            last: Vec::new(),
            key: String::new(),
            codes: Codes::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(json_value_span(r#"{"a": "x\"y", "b": 12}"#, "a"), Some((6, 6)));
        assert_eq!(json_value_span(r#"{"a": "x\"y", "b": 12}"#, "b"), Some((19, 2)));
    }
}
