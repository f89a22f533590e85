//! Errors of the readers, rendered by miette as `file:line:col` with the offending line.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::Serialize;

/// Why a row was rejected. Each kind is counted separately by `--skip-bad-rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// The row could not be split into fields (bad quoting, invalid JSON, not UTF-8).
    Malformed,
    MissingCustomer,
    MissingTime,
    UnparsableTime,
    MissingEvent,
    /// An event name the program does not declare.
    UnknownEvent,
    /// A property or revenue value of the wrong type, or a `one_of` value not listed.
    BadValue,
    /// A customer's time went backwards (see docs/events.md, "Order").
    OutOfOrder,
}

impl SkipKind {
    pub const ALL: [SkipKind; 8] = [
        SkipKind::Malformed,
        SkipKind::MissingCustomer,
        SkipKind::MissingTime,
        SkipKind::UnparsableTime,
        SkipKind::MissingEvent,
        SkipKind::UnknownEvent,
        SkipKind::BadValue,
        SkipKind::OutOfOrder,
    ];
    pub fn describe(self) -> &'static str {
        match self {
            SkipKind::Malformed => "malformed row",
            SkipKind::MissingCustomer => "missing customer",
            SkipKind::MissingTime => "missing timestamp",
            SkipKind::UnparsableTime => "unparsable timestamp",
            SkipKind::MissingEvent => "missing event name",
            SkipKind::UnknownEvent => "unknown event",
            SkipKind::BadValue => "bad property or revenue value",
            SkipKind::OutOfOrder => "out of order for its customer",
        }
    }
}

/// Rows skipped under `--skip-bad-rows`, per kind. Unknown events are also counted by
/// name, because an unknown event is more often a schema gap than a broken row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SkipCounts {
    pub malformed: u64,
    pub missing_customer: u64,
    pub missing_time: u64,
    pub unparsable_time: u64,
    pub missing_event: u64,
    pub unknown_event: u64,
    pub bad_value: u64,
    pub out_of_order: u64,
    /// Unknown event names and how often each occurred (sorted by name).
    pub unknown_event_names: std::collections::BTreeMap<String, u64>,
}

impl SkipCounts {
    pub fn get(&self, kind: SkipKind) -> u64 {
        match kind {
            SkipKind::Malformed => self.malformed,
            SkipKind::MissingCustomer => self.missing_customer,
            SkipKind::MissingTime => self.missing_time,
            SkipKind::UnparsableTime => self.unparsable_time,
            SkipKind::MissingEvent => self.missing_event,
            SkipKind::UnknownEvent => self.unknown_event,
            SkipKind::BadValue => self.bad_value,
            SkipKind::OutOfOrder => self.out_of_order,
        }
    }
    pub(crate) fn add(&mut self, kind: SkipKind) {
        *match kind {
            SkipKind::Malformed => &mut self.malformed,
            SkipKind::MissingCustomer => &mut self.missing_customer,
            SkipKind::MissingTime => &mut self.missing_time,
            SkipKind::UnparsableTime => &mut self.unparsable_time,
            SkipKind::MissingEvent => &mut self.missing_event,
            SkipKind::UnknownEvent => &mut self.unknown_event,
            SkipKind::BadValue => &mut self.bad_value,
            SkipKind::OutOfOrder => &mut self.out_of_order,
        } += 1;
    }
    pub fn total(&self) -> u64 {
        SkipKind::ALL.iter().map(|k| self.get(*k)).sum()
    }
    /// Add the counts of another part of a log (`journey merge`).
    pub fn merge(&mut self, other: &SkipCounts) {
        self.malformed += other.malformed;
        self.missing_customer += other.missing_customer;
        self.missing_time += other.missing_time;
        self.unparsable_time += other.unparsable_time;
        self.missing_event += other.missing_event;
        self.unknown_event += other.unknown_event;
        self.bad_value += other.bad_value;
        self.out_of_order += other.out_of_order;
        for (name, n) in &other.unknown_event_names {
            *self.unknown_event_names.entry(name.clone()).or_default() += n;
        }
    }
}

/// One line of a (possibly huge) log file, shown by miette with its real line number:
/// the file is never loaded whole for an error.
#[derive(Debug, Clone)]
pub struct LineSource {
    pub name: String,
    pub text: String,
    /// 1-based line number of `text`.
    pub line: u64,
}

impl SourceCode for LineSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.line.saturating_sub(1) as usize,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReadError {
    // The message says what the operating system said. The field is not named (or
    // marked) `source`, so the renderer does not print that again as a cause.
    #[error("cannot read {path}: {error}")]
    #[diagnostic(code(journey::events::io))]
    Io { path: String, error: std::io::Error },
    /// The file as a whole does not fit the mapping (missing column, unknown format…).
    #[error("{path}: {message}")]
    #[diagnostic(code(journey::events::mapping))]
    Mapping {
        path: String,
        message: String,
        #[help]
        help: Option<String>,
    },
    /// A bad row: `path:line:column`, what was expected and what was found.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Row(Box<RowError>),
}

/// A bad row (boxed in [`ReadError`] so that results of the hot path stay small).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(code(journey::events::bad_row))]
pub struct RowError {
    pub kind: SkipKind,
    pub path: String,
    pub line: u64,
    /// 1-based character column of the offending field (1 when unknown).
    pub column: u64,
    /// The mapped column (`timestamp`, `purchase.amount`, …).
    pub field: String,
    pub message: String,
    #[source_code]
    pub src: LineSource,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl ReadError {
    /// The kind of a row error (`None` for file-level errors).
    pub fn kind(&self) -> Option<SkipKind> {
        match self {
            ReadError::Row(r) => Some(r.kind),
            _ => None,
        }
    }
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> ReadError {
        ReadError::Io { path: path.display().to_string(), error: source }
    }
}

/// Shorten a found value for a message.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Bytes of context kept either side of the underlined span when a row is longer than
/// this: a diagnostic never echoes a multi-megabyte line.
const WINDOW: usize = 240;

/// A row error from the row's text as written (`raw`, one or more lines joined by
/// `\n`, the first being line `first_line`) and the byte span to underline. The line
/// and column are those of the span's start; a long row is cut to a window around it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn row_error(
    kind: SkipKind,
    path: &str,
    first_line: u64,
    raw: &[u8],
    span: Option<(usize, usize)>,
    field: String,
    message: String,
    label: String,
    help: Option<String>,
) -> ReadError {
    let (start, len) = span.unwrap_or((0, raw.len()));
    let start = start.min(raw.len());
    let len = len.min(raw.len() - start);
    let breaks = raw[..start].iter().filter(|b| **b == b'\n').count() as u64;
    let line_start = raw[..start].iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    // the text shown: the whole row when short, else a window around the span
    let (from, to) = if raw.len() <= 4 * WINDOW {
        (0, raw.len())
    } else {
        (start.saturating_sub(WINDOW).max(line_start), (start + len.min(WINDOW) + WINDOW).min(raw.len()))
    };
    let mut text = String::new();
    if from > 0 && from != line_start {
        text.push('…');
    }
    let before = String::from_utf8_lossy(&raw[from..start]).into_owned();
    let column = String::from_utf8_lossy(&raw[line_start..start]).chars().count() as u64 + 1;
    text.push_str(&before);
    let span_start = text.len();
    let end = (start + len).min(to);
    text.push_str(&String::from_utf8_lossy(&raw[start..end]));
    let span_len = text.len() - span_start;
    text.push_str(&String::from_utf8_lossy(&raw[end..to]));
    if to < raw.len() {
        text.push('…');
    }
    // the source starts at the window's line, so miette numbers it right
    let window_line = first_line + raw[..from].iter().filter(|b| **b == b'\n').count() as u64;
    ReadError::Row(Box::new(RowError {
        kind,
        path: path.to_string(),
        line: first_line + breaks,
        column,
        field,
        message,
        src: LineSource { name: path.to_string(), text, line: window_line },
        span: (span_start, span_len).into(),
        label,
        help,
    }))
}
