//! The streaming log reader: one backend per format turns rows into cells, and one
//! shared step turns cells into typed [`Event`]s, checks per-customer time order and
//! handles bad rows.

use crate::error::{shown, LineSource, ReadError, SkipCounts, SkipKind};
use crate::mapping::{Column, Delimiter, Format, Mapping, Order, TimeFormat};
use crate::model::{CustomerId, Event, EventKind, Interner, PropValue, Schema, Timestamp};
use crate::time;
use chrono_tz::Tz;
use journey_ir::Type;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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
}

impl Cell<'_> {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Str(s) => s.trim().is_empty(),
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
        }
    }
    fn number(&self) -> Option<f64> {
        match *self {
            Cell::Int(i) => Some(i as f64),
            Cell::Float(f) => Some(f),
            Cell::Str(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        }
    }
}

/// A row from which cells can be taken by slot.
pub(crate) trait Row {
    fn cell(&self, slot: usize) -> Cell<'_>;
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
}

impl Problem {
    fn new(kind: SkipKind, slot: Option<usize>, message: String, label: impl Into<String>) -> Problem {
        Problem { kind, slot, message, label: label.into(), help: None, name: None }
    }
    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

/// The columns a mapping needs, resolved against what the file offers.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Wanted columns, one slot each.
    pub slots: Vec<Column>,
    /// Whether the slot's column must exist (customer, timestamp, event, explicit
    /// mappings); optional slots are dropped when the file lacks them.
    customer: usize,
    timestamp: usize,
    event: Result<usize, EventKind>,
    revenue: Option<usize>,
    /// Per event kind, per declared property: the slot, if any.
    props: Vec<Vec<Option<usize>>>,
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
    schema: Schema,
    format: TimeFormat,
    tz: Tz,
    check_order: bool,
    pub customers: Interner,
    pub texts: Interner,
    /// Per customer: time and line of its latest event.
    last: Vec<(Timestamp, u64)>,
    /// Scratch for integer customer keys.
    key: String,
}

impl Builder {
    pub fn build(&mut self, row: &dyn Row, line: u64) -> Result<Event, Problem> {
        let plan = &self.plan;
        // event kind first: rows of unknown events are the commonest problem
        let kind = match plan.event {
            Err(k) => k,
            Ok(slot) => match row.cell(slot) {
                Cell::Str(s) if !s.trim().is_empty() => match self.schema.kind(s.trim()) {
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
            },
        };
        let ts = plan.timestamp;
        let t = match row.cell(ts) {
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
        let Some(t) = t else {
            return Err(Problem::new(
                SkipKind::UnparsableTime,
                Some(ts),
                format!("expected {}, found {}", self.format.example(), row.cell(ts).describe()),
                "not a timestamp",
            )
            .help("set `events.timestamp_format` in journey.yaml if the log writes times differently (see docs/events.md)"));
        };
        let props_slots = &plan.props[kind.0 as usize];
        let mut props = crate::Props::with_capacity(props_slots.len());
        for (i, slot) in props_slots.iter().enumerate() {
            let Some(slot) = *slot else {
                props.push(PropValue::Missing);
                continue;
            };
            let cell = row.cell(slot);
            let ty = &self.schema.properties(kind)[i].1;
            match typed(cell, ty, self.tz, &mut self.texts) {
                Ok(v) => props.push(v),
                Err(expected) => {
                    return Err(Problem::new(
                        SkipKind::BadValue,
                        Some(slot),
                        format!("{}: expected {expected}, found {}", plan.roles[slot], cell.describe()),
                        format!("not {expected}"),
                    ))
                }
            }
        }
        let revenue = match plan.revenue {
            None => None,
            Some(slot) => {
                let cell = row.cell(slot);
                if cell.is_blank() {
                    None
                } else {
                    match cell.number() {
                        Some(v) => Some(v),
                        None => {
                            return Err(Problem::new(
                                SkipKind::BadValue,
                                Some(slot),
                                format!("revenue: expected an amount like 12.50, found {}", cell.describe()),
                                "not an amount",
                            ))
                        }
                    }
                }
            }
        };
        let cs = plan.customer;
        let id = match row.cell(cs) {
            c if c.is_blank() => {
                return Err(Problem::new(SkipKind::MissingCustomer, Some(cs), "missing customer id".into(), "empty"))
            }
            Cell::Str(s) => self.customers.intern(s.trim()),
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
        };
        if self.check_order {
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
        Ok(Event { customer: CustomerId(id), time: t, kind, props, revenue, line })
    }
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
            Cell::Str(s) if choices.iter().any(|c| c == s.trim()) => PropValue::Text(texts.intern(s.trim())),
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

/// Streaming reader of one log file. Memory: per customer a few words (interned key and
/// the time of its last event), plus the reader's buffers; with sorting, the whole log.
pub struct LogReader {
    path: PathBuf,
    display: String,
    backend: Backend,
    builder: Builder,
    options: ReadOptions,
    skipped: SkipCounts,
    rows: u64,
    sorted: Option<std::vec::IntoIter<Event>>,
    sort: bool,
    failed: bool,
}

impl LogReader {
    pub fn open(path: &Path, mapping: &Mapping, schema: &Schema, options: ReadOptions) -> Result<LogReader, ReadError> {
        let display = path.display().to_string();
        let format = mapping.format.resolve(path).ok_or_else(|| ReadError::Mapping {
            path: display.clone(),
            message: "cannot tell the format of the log from its extension".into(),
            help: Some("name it .csv, .jsonl or .parquet, or set `events.format` in journey.yaml".into()),
        })?;
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let (backend, plan) = match format {
            Format::Csv => match mapping.delimiter {
                Delimiter::Whitespace => {
                    let (b, plan) = WsBackend::open(path, file, mapping, schema)?;
                    (Backend::Whitespace(b), plan)
                }
                Delimiter::Byte(d) => {
                    let (b, plan) = CsvBackend::open(path, file, d, mapping, schema)?;
                    (Backend::Csv(b), plan)
                }
            },
            Format::Jsonl => {
                let plan = Plan::new(path, mapping, schema, None)?;
                (Backend::Jsonl(JsonBackend::new(file, &plan)), plan)
            }
            #[cfg(feature = "parquet")]
            Format::Parquet => {
                let (b, plan) = crate::parquet_reader::ParquetBackend::open(path, file, mapping, schema)?;
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
        };
        Ok(LogReader {
            path: path.to_path_buf(),
            display,
            backend,
            builder,
            options,
            skipped: SkipCounts::default(),
            rows: 0,
            sorted: None,
            sort,
            failed: false,
        })
    }

    /// The next event, in file order (or time order when sorting). `Err` only without
    /// `skip_bad_rows`, for the first bad row; after it the reader is finished.
    pub fn next_event(&mut self) -> Option<Result<Event, ReadError>> {
        if self.failed {
            return None;
        }
        if self.sort {
            if self.sorted.is_none() {
                let mut all = Vec::new();
                loop {
                    match self.next_in_file() {
                        None => break,
                        Some(Ok(e)) => all.push(e),
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
            return self.sorted.as_mut().and_then(Iterator::next).map(Ok);
        }
        let r = self.next_in_file();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }

    fn next_in_file(&mut self) -> Option<Result<Event, ReadError>> {
        loop {
            let outcome = match &mut self.backend {
                Backend::Csv(b) => b.next(&mut self.builder),
                Backend::Whitespace(b) => b.next(&mut self.builder),
                Backend::Jsonl(b) => b.next(&mut self.builder),
                #[cfg(feature = "parquet")]
                Backend::Parquet(b) => b.next(&mut self.builder),
            };
            match outcome {
                Outcome::End => return None,
                Outcome::Io(e) => return Some(Err(ReadError::io(&self.path, e))),
                Outcome::Event(e) => {
                    self.rows += 1;
                    return Some(Ok(e));
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

    /// Build the error for a bad row: re-read its line from the file (never the whole file).
    fn locate(&self, p: Problem, at: Location) -> ReadError {
        let field = p.slot.map(|s| self.builder.plan.roles[s].clone()).unwrap_or_default();
        let (line, text, span) = match at {
            Location::Line { line, byte, field_index, delimiter } => {
                let text = read_line_at(&self.path, byte).unwrap_or_default();
                let span =
                    field_index.and_then(|f| field_span(&text, f, delimiter)).unwrap_or((0, text.trim_end().len()));
                (line, text, span)
            }
            Location::Json { line, byte, key, column } => {
                let text = read_line_at(&self.path, byte).unwrap_or_default();
                let span = match (key, column) {
                    (_, Some(c)) => (c.min(text.len()), 1.min(text.len() - c.min(text.len()))),
                    (Some(k), None) => json_value_span(&text, &k).unwrap_or((0, text.trim_end().len())),
                    _ => (0, text.trim_end().len()),
                };
                (line, text, span)
            }
            Location::Row { row, text, span } => (row, text, span),
        };
        let text = text.trim_end_matches(['\n', '\r']).to_string();
        let start = span.0.min(text.len());
        let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let len = span.1.min(text.len() - start);
        let column = text[..start].chars().count() as u64 + 1;
        ReadError::Row(Box::new(crate::error::RowError {
            kind: p.kind,
            path: self.display.clone(),
            line,
            column,
            field,
            message: p.message,
            src: LineSource { name: self.display.clone(), text, line },
            span: (start, len).into(),
            label: p.label,
            help: p.help,
        }))
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
    /// The zone used for timestamps written without an offset.
    pub fn timezone(&self) -> Tz {
        self.builder.tz
    }
    /// Whether the reader sorts the log in memory.
    pub fn sorts(&self) -> bool {
        self.sort
    }
}

impl Iterator for LogReader {
    type Item = Result<Event, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

pub(crate) enum Outcome {
    Event(Event),
    Bad(Problem, Location),
    Io(std::io::Error),
    End,
}

pub(crate) enum Location {
    /// A delimited text line: where it starts, and which field to underline.
    Line { line: u64, byte: u64, field_index: Option<usize>, delimiter: Delimiter },
    /// A JSON line: the key to underline, or the column of a syntax error.
    Json { line: u64, byte: u64, key: Option<String>, column: Option<usize> },
    /// A Parquet row, shown as text made for the message.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Row { row: u64, text: String, span: (usize, usize) },
}

fn read_line_at(path: &Path, byte: u64) -> Option<String> {
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(byte)).ok()?;
    let mut buf = Vec::new();
    BufReader::new(f.take(1 << 20)).read_until(b'\n', &mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Byte range of the `index`-th field of a delimited line (quotes respected).
fn field_span(line: &str, index: usize, delimiter: Delimiter) -> Option<(usize, usize)> {
    let line = line.trim_end_matches(['\n', '\r']);
    let b = line.as_bytes();
    match delimiter {
        Delimiter::Whitespace => {
            let mut n = 0;
            let mut i = 0;
            while i < b.len() {
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                if i == b.len() {
                    break;
                }
                let start = i;
                while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                    i += 1;
                }
                if n == index {
                    return Some((start, i - start));
                }
                n += 1;
            }
            None
        }
        Delimiter::Byte(d) => {
            let (mut n, mut start, mut quoted) = (0, 0, false);
            for (i, &c) in b.iter().enumerate() {
                if c == b'"' {
                    quoted = !quoted;
                } else if c == d && !quoted {
                    if n == index {
                        return Some((start, i - start));
                    }
                    n += 1;
                    start = i + 1;
                }
            }
            (n == index).then_some((start, b.len() - start))
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
    reader: csv::Reader<File>,
    record: csv::ByteRecord,
    /// slot → field index
    fields: Vec<usize>,
    delimiter: u8,
}

struct CsvRow<'a> {
    record: &'a csv::ByteRecord,
    fields: &'a [usize],
}

impl Row for CsvRow<'_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        match self.record.get(self.fields[slot]) {
            None => Cell::Null,
            Some(b) => match std::str::from_utf8(b) {
                Ok(s) => Cell::Str(s),
                // reported as a bad value by the typing step
                Err(_) => Cell::Nested,
            },
        }
    }
}

impl CsvBackend {
    fn open(path: &Path, file: File, d: u8, mapping: &Mapping, schema: &Schema) -> Result<(Self, Plan), ReadError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(file);
        let mut record = csv::ByteRecord::new();
        let header: Option<Vec<String>> = if mapping.header {
            match reader.read_byte_record(&mut record) {
                Ok(true) => Some(
                    record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_string())
                        .collect(),
                ),
                Ok(false) => Some(Vec::new()),
                Err(e) => {
                    return Err(ReadError::Mapping {
                        path: path.display().to_string(),
                        message: e.to_string(),
                        help: None,
                    })
                }
            }
        } else {
            None
        };
        let plan = Plan::new(path, mapping, schema, header.as_deref())?;
        let fields = plan
            .slots
            .iter()
            .map(|c| match c {
                Column::Position(p) => p - 1,
                Column::Name(n) => header.as_ref().and_then(|h| h.iter().position(|x| x == n)).unwrap_or(usize::MAX),
            })
            .collect();
        Ok((CsvBackend { reader, record, fields, delimiter: d }, plan))
    }

    fn next(&mut self, builder: &mut Builder) -> Outcome {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Outcome::End,
                Ok(true) => {}
                Err(e) => {
                    let (line, byte) = e.position().map_or((0, 0), |p| (p.line(), p.byte()));
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Outcome::Io(std::io::Error::other(e.to_string()));
                    }
                    let p = Problem::new(SkipKind::Malformed, None, format!("malformed row: {e}"), "here");
                    return Outcome::Bad(
                        p,
                        Location::Line { line, byte, field_index: None, delimiter: Delimiter::Byte(self.delimiter) },
                    );
                }
            }
            if self.record.len() == 1 && self.record[0].is_empty() {
                continue; // blank line
            }
            let pos = self.record.position().expect("csv records have positions");
            let (line, byte) = (pos.line(), pos.byte());
            let row = CsvRow { record: &self.record, fields: &self.fields };
            return match builder.build(&row, line) {
                Ok(e) => Outcome::Event(e),
                Err(p) => {
                    let field_index = p.slot.map(|s| self.fields[s]);
                    Outcome::Bad(
                        p,
                        Location::Line { line, byte, field_index, delimiter: Delimiter::Byte(self.delimiter) },
                    )
                }
            };
        }
    }
}

// ---------------------------------------------------------------------------- whitespace

/// Whitespace-separated text without quoting (CDNOW_sample.txt).
struct WsBackend {
    reader: BufReader<File>,
    buf: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    fields: Vec<usize>,
    line: u64,
    byte: u64,
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
            Some(&(s, e)) => std::str::from_utf8(&self.text[s..e]).map_or(Cell::Nested, Cell::Str),
        }
    }
}

impl WsBackend {
    fn open(path: &Path, file: File, mapping: &Mapping, schema: &Schema) -> Result<(Self, Plan), ReadError> {
        let mut b = WsBackend {
            reader: BufReader::with_capacity(1 << 16, file),
            buf: Vec::new(),
            ranges: Vec::new(),
            fields: Vec::new(),
            line: 0,
            byte: 0,
        };
        let header = if mapping.header {
            match b.read() {
                Ok(true) => Some(
                    b.ranges
                        .iter()
                        .map(|&(s, e)| String::from_utf8_lossy(&b.buf[s..e]).into_owned())
                        .collect::<Vec<_>>(),
                ),
                Ok(false) => Some(Vec::new()),
                Err(e) => return Err(ReadError::io(path, e)),
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
    fn read(&mut self) -> std::io::Result<bool> {
        loop {
            self.byte += self.buf.len() as u64;
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(false);
            }
            self.line += 1;
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

    fn next(&mut self, builder: &mut Builder) -> Outcome {
        match self.read() {
            Err(e) => Outcome::Io(e),
            Ok(false) => Outcome::End,
            Ok(true) => {
                let row = WsRow { text: &self.buf, ranges: &self.ranges, fields: &self.fields };
                match builder.build(&row, self.line) {
                    Ok(e) => Outcome::Event(e),
                    Err(p) => {
                        let field_index = p.slot.map(|s| self.fields[s]);
                        Outcome::Bad(
                            p,
                            Location::Line {
                                line: self.line,
                                byte: self.byte,
                                field_index,
                                delimiter: Delimiter::Whitespace,
                            },
                        )
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------- JSON lines

struct JsonBackend {
    reader: BufReader<File>,
    buf: String,
    /// key → slot (JSON keys are looked up at the top level and inside `properties`).
    keys: std::collections::HashMap<String, usize>,
    nslots: usize,
    /// Recycled allocation of the per-row cell vector.
    cells: Vec<JCell<'static>>,
    line: u64,
    byte: u64,
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
    fn new(file: File, plan: &Plan) -> JsonBackend {
        let keys = plan
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Column::Name(n) => Some((n.clone(), i)),
                Column::Position(_) => None,
            })
            .collect();
        JsonBackend {
            reader: BufReader::with_capacity(1 << 16, file),
            buf: String::new(),
            keys,
            nslots: plan.slots.len(),
            cells: Vec::new(),
            line: 0,
            byte: 0,
        }
    }

    fn next(&mut self, builder: &mut Builder) -> Outcome {
        loop {
            self.byte += self.buf.len() as u64;
            self.buf.clear();
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => return Outcome::End,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    // not UTF-8: skip to the end of the line
                    self.line += 1;
                    let mut rest = Vec::new();
                    if let Err(e) = self.reader.read_until(b'\n', &mut rest) {
                        return Outcome::Io(e);
                    }
                    let byte = self.byte;
                    self.byte += rest.len() as u64;
                    let p = Problem::new(SkipKind::Malformed, None, "the line is not UTF-8 text".into(), "here");
                    return Outcome::Bad(p, Location::Json { line: self.line, byte, key: None, column: None });
                }
                Err(e) => return Outcome::Io(e),
            }
            self.line += 1;
            if self.buf.trim().is_empty() {
                continue;
            }
            let mut cells: Vec<JCell<'_>> = recycle(std::mem::take(&mut self.cells));
            cells.resize_with(self.nslots, || JCell::Null);
            let mut de = serde_json::Deserializer::from_str(&self.buf);
            let parsed =
                serde::de::DeserializeSeed::deserialize(RowSeed { keys: &self.keys, cells: &mut cells }, &mut de)
                    .and_then(|_| de.end());
            let (line, byte) = (self.line, self.byte);
            let outcome = match parsed {
                Err(e) => {
                    let p = Problem::new(SkipKind::Malformed, None, format!("invalid JSON: {e}"), "here")
                        .help("each line must be one JSON object");
                    Outcome::Bad(
                        p,
                        Location::Json { line, byte, key: None, column: Some(e.column().saturating_sub(1)) },
                    )
                }
                Ok(()) => match builder.build(&JRow { cells: &cells }, line) {
                    Ok(e) => Outcome::Event(e),
                    Err(p) => {
                        let key = p.slot.and_then(|s| match &builder.plan.slots[s] {
                            Column::Name(n) => Some(n.clone()),
                            Column::Position(_) => None,
                        });
                        Outcome::Bad(p, Location::Json { line, byte, key, column: None })
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
                self.cells[slot] = map.next_value::<JValue<'de>>()?.0;
            } else if key == "properties" {
                map.next_value_seed(Nested { keys: self.keys, cells: self.cells })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `properties` object: its keys are looked up like top-level ones (anything but
/// an object is ignored).
struct Nested<'a, 'b, 'de> {
    keys: &'a std::collections::HashMap<String, usize>,
    cells: &'b mut Vec<JCell<'de>>,
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
        RowSeed { keys: self.keys, cells: self.cells }.visit_map(map)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(field_span("a,\"b,c\",d", 2, Delimiter::Byte(b',')), Some((8, 1)));
        assert_eq!(field_span("a,\"b,c\",d", 1, Delimiter::Byte(b',')), Some((2, 5)));
        assert_eq!(field_span(" 00004 0001  19970101", 2, Delimiter::Whitespace), Some((13, 8)));
        assert_eq!(json_value_span(r#"{"a": "x\"y", "b": 12}"#, "a"), Some((6, 6)));
        assert_eq!(json_value_span(r#"{"a": "x\"y", "b": 12}"#, "b"), Some((19, 2)));
    }
}
