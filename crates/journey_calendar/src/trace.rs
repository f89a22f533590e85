//! Reading the action trace of `journey simulate --trace`: a CSV file (RFC 4180) with
//! the header `time,customer,journey,node,kind,channel,template,reason`, streamed one
//! record at a time with buffers reused between rows, so a trace of millions of rows is
//! read in constant memory. The seven columns of [`COLUMNS`] are found by name and
//! required; `reason` (why a send was refused or deferred, why a customer left) and any
//! other column are not read, so a trace written before `reason` existed reads the same.
//!
//! Every problem is a [`TraceError`] naming `file:line:column` of the offending field,
//! with the line itself and a help line.

use journey_events::LineSource;
use miette::SourceSpan;
use std::io::BufRead;
use std::path::Path;

/// The columns a trace must have, in the order `journey simulate --trace` writes them
/// (it writes [`REASON`] after them, which the calendar does not read).
pub const COLUMNS: [&str; 7] = ["time", "customer", "journey", "node", "kind", "channel", "template"];

/// Indexes into [`COLUMNS`] (and [`Record::fields`]).
pub const TIME: usize = 0;
pub const CUSTOMER: usize = 1;
pub const JOURNEY: usize = 2;
pub const NODE: usize = 3;
pub const KIND: usize = 4;
pub const CHANNEL: usize = 5;
pub const TEMPLATE: usize = 6;

/// The last column `journey simulate --trace` writes, after [`COLUMNS`]: optional here,
/// and not read.
pub const REASON: &str = "reason";

/// The header `journey simulate --trace` writes, as help texts show it.
pub const HEADER: &str = "time,customer,journey,node,kind,channel,template,reason";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TraceError {
    // `error`, not `source`: the message already says it (see journey_events::ReadError)
    #[error("cannot read {path}: {error}")]
    #[diagnostic(code(journey::calendar::trace_io), help("check the path given to `--trace`"))]
    Io { path: String, error: std::io::Error },
    /// A row (or the header) that is not what a trace holds.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Row(Box<RowError>),
}

/// A bad row: `path:line:column`, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(code(journey::calendar::bad_trace_row))]
pub struct RowError {
    pub path: String,
    pub line: u64,
    /// 1-based character column of the offending field.
    pub column: u64,
    pub message: String,
    #[source_code]
    pub src: LineSource,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl TraceError {
    /// `(line, column)` of a row error.
    pub fn position(&self) -> Option<(u64, u64)> {
        match self {
            TraceError::Row(r) => Some((r.line, r.column)),
            TraceError::Io { .. } => None,
        }
    }
}

/// Where a field is in the raw record: its line, where that line starts, and its byte
/// range within the record's text (columns are counted only for errors).
#[derive(Debug, Clone, Copy, Default)]
struct FieldPos {
    line: u64,
    line_start: usize,
    start: usize,
    end: usize,
}

/// Characters in UTF-8 bytes (continuation bytes do not count).
fn chars(b: &[u8]) -> u64 {
    b.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u64
}

/// One row of the trace, borrowed from the reader's buffers.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The seven columns of [`COLUMNS`], unquoted.
    pub fields: [&'a str; 7],
    /// 1-based line the row starts on.
    pub line: u64,
}

/// A streaming reader of a trace.
pub struct TraceReader<R> {
    path: String,
    input: R,
    /// Lines consumed so far.
    lines: u64,
    /// The raw bytes of the current record (one line, or more when a quoted field holds
    /// a line break), without the final line break.
    raw: Vec<u8>,
    record_line: u64,
    /// Unquoted field contents, back to back; `ends[i]` is where field `i` ends.
    data: Vec<u8>,
    ends: Vec<usize>,
    pos: Vec<FieldPos>,
    /// Position of each of [`COLUMNS`] in a record.
    cols: [usize; 7],
    width: usize,
    rows: u64,
}

impl TraceReader<std::io::BufReader<std::fs::File>> {
    /// Open a trace file and read its header.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = std::fs::File::open(path)
            .map_err(|source| TraceError::Io { path: path.display().to_string(), error: source })?;
        TraceReader::new(&path.display().to_string(), std::io::BufReader::with_capacity(1 << 16, file))
    }
}

impl<R: BufRead> TraceReader<R> {
    /// Read the header of a trace from `input`; `path` names it in errors.
    pub fn new(path: &str, input: R) -> Result<Self, TraceError> {
        let mut r = TraceReader {
            path: path.to_string(),
            input,
            lines: 0,
            raw: Vec::new(),
            record_line: 0,
            data: Vec::new(),
            ends: Vec::new(),
            pos: Vec::new(),
            cols: [0; 7],
            width: 0,
            rows: 0,
        };
        let help = "a trace is the CSV that `journey simulate --trace FILE` writes; its first line is `time,customer,journey,node,kind,channel,template,reason` (columns found by name; `reason` and others are not read)";
        if !r.read_record()? {
            return Err(r.error_at(
                1,
                1,
                0..0,
                "the trace is empty: expected the header `time,customer,journey,node,kind,channel,template,reason`",
                "no header",
                Some(help.to_string()),
            ));
        }
        let names: Vec<String> = (0..r.ends.len())
            .map(|i| String::from_utf8_lossy(r.field_bytes(i)).trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        for (k, want) in COLUMNS.iter().enumerate() {
            match names.iter().position(|n| n == want) {
                Some(i) => r.cols[k] = i,
                None => {
                    let p = r.pos.last().copied().unwrap_or_default();
                    let end = r.raw.len();
                    let (line, column) = (r.record_line, r.column(p) + chars(&r.raw[p.start..p.end]));
                    let found = if names.iter().all(|n| n.is_empty()) {
                        "an empty line".to_string()
                    } else {
                        format!("`{}`", shown(&names.join(",")))
                    };
                    return Err(r.error_at(
                        line,
                        column,
                        end..end,
                        &format!("not a journey trace: the header has no `{want}` column (found {found})"),
                        &format!("`{want}` missing"),
                        Some(help.to_string()),
                    ));
                }
            }
        }
        r.width = names.len();
        Ok(r)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Move to the next row (then read it with [`TraceReader::record`]); `None` at the
    /// end of the file. Blank lines are skipped.
    pub fn advance(&mut self) -> Option<Result<(), TraceError>> {
        loop {
            match self.read_record() {
                Err(e) => return Some(Err(e)),
                Ok(false) => return None,
                Ok(true) => {}
            }
            if self.raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            break;
        }
        self.rows += 1;
        if self.ends.len() != self.width {
            let (n, w) = (self.ends.len(), self.width);
            let (column, span, label) = if n > w {
                let p = self.pos[w];
                (self.column(p), p.start..self.raw.len(), "unexpected field".to_string())
            } else {
                let p = self.pos[n - 1];
                let end = self.column(p) + chars(&self.raw[p.start..p.end]);
                (end, self.raw.len()..self.raw.len(), "the row ends here".to_string())
            };
            let line = self.record_line;
            return Some(Err(self.error_at(
                line,
                column,
                span,
                &format!("malformed row: expected {w} fields like the header, found {n}"),
                &label,
                Some(
                    "each row has a field for every column of the header (`time,customer,journey,node,kind,channel,template,reason`); quote a field that holds a comma"
                        .to_string(),
                ),
            )));
        }
        // one check for the whole row: fields split at ASCII bytes stay UTF-8
        if std::str::from_utf8(&self.data).is_ok() {
            return Some(Ok(()));
        }
        for (k, name) in COLUMNS.iter().enumerate() {
            let i = self.cols[k];
            if std::str::from_utf8(self.field_bytes(i)).is_err() {
                let p = self.pos[i];
                return Some(Err(self.error_at(
                    p.line,
                    self.column(p),
                    p.start..p.end,
                    &format!("malformed row: the `{name}` field is not valid UTF-8"),
                    "not UTF-8",
                    Some("write the trace as UTF-8, as `journey simulate --trace` does".to_string()),
                )));
            }
        }
        Some(Ok(()))
    }

    /// The current row (after [`TraceReader::advance`] said there is one).
    pub fn record(&self) -> Record<'_> {
        // checked to be UTF-8 by `advance`; fields end at ASCII separators
        let text = std::str::from_utf8(&self.data).unwrap_or("");
        let mut fields = [""; 7];
        for (k, f) in fields.iter_mut().enumerate() {
            let i = self.cols[k];
            if i < self.ends.len() {
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                *f = text.get(start..self.ends[i]).unwrap_or("");
            }
        }
        Record { fields, line: self.record_line }
    }

    /// [`TraceReader::advance`] and [`TraceReader::record`] in one step.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, TraceError>> {
        match self.advance()? {
            Ok(()) => Some(Ok(self.record())),
            Err(e) => Some(Err(e)),
        }
    }

    /// An error about field `k` (one of [`COLUMNS`]) of the current row.
    pub fn field_error(&self, k: usize, message: &str, label: &str, help: Option<String>) -> TraceError {
        let p = self.pos.get(self.cols[k]).copied().unwrap_or_default();
        self.error_at(p.line, self.column(p), p.start..p.end, message, label, help)
    }

    fn field_bytes(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// 1-based character column of a field on its line.
    fn column(&self, p: FieldPos) -> u64 {
        chars(&self.raw[p.line_start..p.start]) + 1
    }

    fn error_at(
        &self,
        line: u64,
        column: u64,
        span: std::ops::Range<usize>,
        message: &str,
        label: &str,
        help: Option<String>,
    ) -> TraceError {
        let text = String::from_utf8_lossy(&self.raw).into_owned();
        // the span must stay on character boundaries of the lossy text
        let clamp = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (s, e) = (clamp(span.start), clamp(span.end.max(span.start)));
        TraceError::Row(Box::new(RowError {
            path: self.path.clone(),
            line,
            column,
            message: message.to_string(),
            src: LineSource { name: self.path.clone(), text, line: self.record_line.max(1) },
            span: (s, e - s).into(),
            label: label.to_string(),
            help,
        }))
    }

    /// Read one physical line (without its line break) and append it to `raw`; false
    /// at the end of the input.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        let before = self.raw.len();
        let n = self
            .input
            .read_until(b'\n', &mut self.raw)
            .map_err(|source| TraceError::Io { path: self.path.clone(), error: source })?;
        if n == 0 {
            return Ok(false);
        }
        self.lines += 1;
        if self.raw.last() == Some(&b'\n') {
            self.raw.pop();
            if self.raw.len() > before && self.raw.last() == Some(&b'\r') {
                self.raw.pop();
            }
        }
        Ok(true)
    }

    /// Read the next record into `raw` and split it into fields; false at the end.
    fn read_record(&mut self) -> Result<bool, TraceError> {
        self.raw.clear();
        self.data.clear();
        self.ends.clear();
        self.pos.clear();
        if !self.read_line()? {
            return Ok(false);
        }
        self.record_line = self.lines;
        // split, reading more lines while a quoted field is open
        let mut i = 0;
        let mut line = self.record_line;
        let mut line_start = 0;
        loop {
            // start of a field
            let start = i;
            let here = FieldPos { line, line_start, start, end: start };
            if self.raw.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match self.raw.get(i) {
                        Some(b'"') if self.raw.get(i + 1) == Some(&b'"') => {
                            self.data.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            if b == b'\n' {
                                line += 1;
                                line_start = i + 1;
                            }
                            self.data.push(b);
                            i += 1;
                        }
                        None => {
                            // the quoted field goes on on the next line
                            let at = self.raw.len();
                            if !self.read_line()? {
                                return Err(self.error_at(
                                    here.line,
                                    self.column(here),
                                    start..at,
                                    "malformed row: a quoted field is never closed",
                                    "the quote opens here",
                                    Some("close the field with `\"`; a quote inside a field is written `\"\"`".into()),
                                ));
                            }
                            self.raw.insert(at, b'\n');
                        }
                    }
                }
                match self.raw.get(i) {
                    None | Some(b',') => {}
                    Some(_) => {
                        let col = chars(&self.raw[line_start..i]) + 1;
                        let end = self.raw.len();
                        return Err(self.error_at(
                            line,
                            col,
                            i..end,
                            "malformed row: text after the closing quote of a field",
                            "expected `,` here",
                            Some("a quote inside a quoted field is written `\"\"`".into()),
                        ));
                    }
                }
            } else {
                let rest = &self.raw[i..];
                let len = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
                if let Some(q) = rest[..len].iter().position(|&b| b == b'"') {
                    let col = chars(&self.raw[line_start..i + q]) + 1;
                    return Err(self.error_at(
                        line,
                        col,
                        i + q..i + q + 1,
                        "malformed row: a quote inside an unquoted field",
                        "unexpected `\"`",
                        Some("quote the whole field and write the quote twice: `\"a \"\"b\"\"\"`".into()),
                    ));
                }
                self.data.extend_from_slice(&rest[..len]);
                i += len;
            }
            self.ends.push(self.data.len());
            self.pos.push(FieldPos { line: here.line, line_start: here.line_start, start, end: i });
            match self.raw.get(i) {
                Some(b',') => i += 1,
                _ => break,
            }
        }
        Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &str) -> Result<TraceReader<&[u8]>, TraceError> {
        TraceReader::new("t.csv", text.as_bytes())
    }

    const HEADER: &str = "time,customer,journey,node,kind,channel,template\n";

    #[test]
    fn reads_quoted_fields_and_crlf() {
        let text = format!("{HEADER}2026-01-05T10:00:00Z,\"c,1\",a,s#0,send,email,\"say \"\"hi\"\"\"\r\n\n");
        let mut r = reader(&text).unwrap();
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.fields, ["2026-01-05T10:00:00Z", "c,1", "a", "s#0", "send", "email", "say \"hi\""]);
        assert_eq!(rec.line, 2);
        assert!(r.next_record().is_none());
        assert_eq!(r.rows(), 1);
    }

    #[test]
    fn quoted_line_breaks_count_lines() {
        let text = format!("{HEADER}2026-01-05T10:00:00Z,\"c\n1\",a,,enter,,\n2026-01-05T10:00:00Z,c2,a,,x\n");
        let mut r = reader(&text).unwrap();
        assert_eq!(r.next_record().unwrap().unwrap().fields[1], "c\n1");
        let e = r.next_record().unwrap().unwrap_err();
        assert_eq!(e.position(), Some((4, 29)), "{e}");
        assert!(e.to_string().contains("expected 7 fields like the header, found 5"), "{e}");
    }

    #[test]
    fn columns_are_found_by_name() {
        let text = "customer,extra,time,journey,node,kind,channel,template\nc1,x,2026-01-05T10:00:00Z,a,,enter,,\n";
        let mut r = reader(text).unwrap();
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.fields[TIME], "2026-01-05T10:00:00Z");
        assert_eq!(rec.fields[CUSTOMER], "c1");
    }

    #[test]
    fn header_errors() {
        let e = reader("").err().unwrap();
        assert!(e.to_string().starts_with("t.csv:1:1: the trace is empty"), "{e}");
        let e = reader("time,customer,journey\n").err().unwrap();
        assert_eq!(
            e.to_string(),
            "t.csv:1:22: not a journey trace: the header has no `node` column (found `time,customer,journey`)"
        );
    }

    /// The error of the first row after the header.
    fn first_error(row: &str) -> TraceError {
        let text = format!("{HEADER}{row}\n");
        let mut r = reader(&text).unwrap();
        let e = r.next_record().unwrap().unwrap_err();
        e
    }

    #[test]
    fn quoting_errors_name_the_column() {
        let e = first_error("2026-01-05T10:00:00Z,c\"1,a,,enter,,");
        assert_eq!(e.to_string(), "t.csv:2:23: malformed row: a quote inside an unquoted field");
        let e = first_error("2026-01-05T10:00:00Z,\"c1\"x,a,,enter,,");
        assert_eq!(e.to_string(), "t.csv:2:26: malformed row: text after the closing quote of a field");
        let e = first_error("2026-01-05T10:00:00Z,\"c1,a,,enter,,");
        assert_eq!(e.to_string(), "t.csv:2:22: malformed row: a quoted field is never closed");
        let e = first_error("2026-01-05T10:00:00Z,c1,a,,enter,,,extra");
        assert_eq!(e.to_string(), "t.csv:2:36: malformed row: expected 7 fields like the header, found 8");
    }

    #[test]
    fn invalid_utf8_names_the_field() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"2026-01-05T10:00:00Z,c\xff1,a,,enter,,\n");
        let mut r = TraceReader::new("t.csv", bytes.as_slice()).unwrap();
        let e = r.next_record().unwrap().unwrap_err();
        assert_eq!(e.to_string(), "t.csv:2:22: malformed row: the `customer` field is not valid UTF-8");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = first_error("2026-01-05T10:00:00Z,çé,a\"");
        assert_eq!(e.position(), Some((2, 26)), "{e}");
    }
}
