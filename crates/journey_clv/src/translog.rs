//! Reading transaction logs (delimited text or JSON lines) through a column
//! mapping into (customer, date, amount) rows.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::error::{bad_row, ClvError, Result};
use crate::table::{split_rows, Delimiter, Row};

/// Which column of the log holds a value: by header name, or by 1-based
/// position for files without a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Name(String),
    Position(usize),
}

impl ColumnRef {
    /// `"3"` is a position, anything else a name.
    pub fn parse(text: &str) -> ColumnRef {
        match text.parse::<usize>() {
            Ok(n) if n > 0 => ColumnRef::Position(n),
            _ => ColumnRef::Name(text.to_string()),
        }
    }

    fn describe(&self) -> String {
        match self {
            ColumnRef::Name(n) => n.clone(),
            ColumnRef::Position(p) => format!("column {p}"),
        }
    }
}

/// Where customer, timestamp and amount live. `None` means "find it by a usual
/// header name" (customer_id, date, amount, ...).
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    pub customer: Option<ColumnRef>,
    pub timestamp: Option<ColumnRef>,
    pub amount: Option<ColumnRef>,
    /// An attribute to group customers by (taken from their first transaction).
    pub cohort: Option<ColumnRef>,
    /// Where the event name is, for [`LogOptions::event`] (default: a usual header name,
    /// event, event_name, event_type, type).
    pub event: Option<ColumnRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Delimited,
    JsonLines,
}

/// What a negative amount (a refund) in a log means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefundRule {
    /// Stop at the first negative amount with its file:line (the default: a
    /// refund silently counted as a purchase changes frequency and CLV).
    #[default]
    Reject,
    /// Net refunds against the same day's purchases: a day counts as a
    /// purchase only if its net amount is positive; a day with a refund whose
    /// net is zero or negative is not a purchase (its refund is not carried to
    /// other days).
    Net,
}

/// The help line of a rejected refund.
pub const REFUND_HELP: &str =
    "refunds are rejected by default; --refunds net nets them against the same day's purchases (a day counts only if its net amount is positive)";

/// How to read a transaction log.
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub format: Option<LogFormat>,
    pub delimiter: Option<Delimiter>,
    pub has_header: bool,
    pub mapping: ColumnMapping,
    /// A chrono format string; by default ISO dates, RFC 3339 and yyyymmdd are tried.
    pub timestamp_format: Option<String>,
    pub refunds: RefundRule,
    /// Read only the rows of this event (a project's event log holds sign-ups, visits
    /// and the like, whose empty amount is no purchase); the others are counted in
    /// [`TransactionLog::other_events`].
    pub event: Option<String>,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            format: None,
            delimiter: None,
            has_header: true,
            mapping: ColumnMapping::default(),
            timestamp_format: None,
            refunds: RefundRule::Reject,
            event: None,
        }
    }
}

/// One purchase. Customers are interned into [`TransactionLog::customers`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transaction {
    pub customer: u32,
    pub date: NaiveDate,
    pub amount: f64,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionLog {
    /// Customer ids in order of first appearance in the file.
    pub customers: Vec<String>,
    /// Cohort value per customer (from their earliest transaction), if mapped.
    pub cohorts: Vec<Option<String>>,
    pub cohort_column: Option<String>,
    pub transactions: Vec<Transaction>,
    pub has_amounts: bool,
    /// Rows left out for naming another event than [`LogOptions::event`].
    pub other_events: u64,
}

const CUSTOMER_NAMES: &[&str] = &["customer_id", "customer", "cust_id", "user_id", "id", "client_id"];
const TIMESTAMP_NAMES: &[&str] = &["timestamp", "date", "datetime", "time", "ts", "order_date", "purchase_date"];
const EVENT_NAMES: &[&str] = &["event", "event_name", "event_type", "type"];
const AMOUNT_NAMES: &[&str] = &["amount", "value", "revenue", "monetary_value", "price", "total", "dollars", "sales"];

/// Read a log from its text. `path` is only used in error messages.
pub fn read_log(path: &str, source: &str, options: &LogOptions) -> Result<TransactionLog> {
    let format = options.format.unwrap_or_else(|| sniff_format(path, source));
    match format {
        LogFormat::Delimited => read_delimited(path, source, options),
        LogFormat::JsonLines => read_json_lines(path, source, options),
    }
}

/// JSON lines if the extension says so or the first non-blank character is `{`.
pub fn sniff_format(path: &str, source: &str) -> LogFormat {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") || source.trim_start().starts_with('{') {
        LogFormat::JsonLines
    } else {
        LogFormat::Delimited
    }
}

struct Builder {
    index: HashMap<String, u32>,
    log: TransactionLog,
    first_seen: Vec<NaiveDate>,
}

impl Builder {
    fn new(cohort_column: Option<String>) -> Self {
        Builder {
            index: HashMap::new(),
            log: TransactionLog { cohort_column, ..Default::default() },
            first_seen: Vec::new(),
        }
    }

    fn push(&mut self, customer: &str, date: NaiveDate, amount: f64, cohort: Option<String>) {
        let id = match self.index.get(customer) {
            Some(&id) => id,
            None => {
                let id = self.log.customers.len() as u32;
                self.index.insert(customer.to_string(), id);
                self.log.customers.push(customer.to_string());
                self.log.cohorts.push(cohort.clone());
                self.first_seen.push(date);
                id
            }
        };
        let i = id as usize;
        if date < self.first_seen[i] {
            self.first_seen[i] = date;
            if cohort.is_some() {
                self.log.cohorts[i] = cohort;
            }
        }
        self.log.transactions.push(Transaction { customer: id, date, amount });
    }
}

/// The help of an amount that cannot be read in a log with an event column or field
/// (`what`: "`event` column", "`event` field") read without `--event`: its rows of
/// other events (sign-ups, visits) have no amount.
fn event_hint(what: &str) -> String {
    format!("this log has an {what}: --event NAME reads only the rows of the purchase event (e.g. --event purchase)")
}

fn read_delimited(path: &str, source: &str, options: &LogOptions) -> Result<TransactionLog> {
    let first_line = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = options.delimiter.unwrap_or_else(|| Delimiter::sniff(first_line));
    let rows = split_rows(path, source, delimiter)?;
    let (header, data): (Option<&Row>, &[Row]) = if options.has_header {
        match rows.split_first() {
            Some((h, rest)) => (Some(h), rest),
            None => return Err(ClvError::EmptyInput { path: path.into(), message: "the log is empty".into() }),
        }
    } else {
        (None, &rows[..])
    };
    let names: Vec<String> = header.map(|h| h.fields.iter().map(|f| f.text.clone()).collect()).unwrap_or_default();
    let m = &options.mapping;
    let customer = resolve(path, &names, m.customer.as_ref(), CUSTOMER_NAMES, "customer")?;
    let timestamp = resolve(path, &names, m.timestamp.as_ref(), TIMESTAMP_NAMES, "timestamp")?;
    let amount = resolve_optional(path, &names, m.amount.as_ref(), AMOUNT_NAMES)?;
    let cohort = match &m.cohort {
        Some(c) => Some(resolve(path, &names, Some(c), &[], "cohort")?),
        None => None,
    };
    let cohort_name = cohort.map(|i| names.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1)));
    let event = match &options.event {
        Some(name) => Some((resolve(path, &names, m.event.as_ref(), EVENT_NAMES, "event")?, name.as_str())),
        None => None,
    };
    // an event log read whole: its rows of other events have no amount, which is what
    // the error on the first of them says how to fix
    let event_hint = match (&options.event, resolve_optional(path, &names, m.event.as_ref(), EVENT_NAMES)?) {
        (None, Some(i)) => Some(event_hint(&format!("`{}` column", names[i]))),
        _ => None,
    };
    let needed = [Some(customer), Some(timestamp), amount, cohort, event.map(|(i, _)| i)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
        + 1;
    let mut b = Builder::new(cohort_name);
    b.log.has_amounts = amount.is_some();
    for row in data {
        if row.fields.len() < needed {
            return Err(bad_row(
                path,
                source,
                row.start,
                row.end,
                format!("expected at least {needed} fields, found {}", row.fields.len()),
                "too few fields",
                None,
            ));
        }
        if let Some((i, name)) = event {
            if row.fields[i].text.trim() != name {
                b.log.other_events += 1;
                continue;
            }
        }
        let cust = &row.fields[customer];
        if cust.text.is_empty() {
            return Err(bad_row(
                path,
                source,
                cust.start,
                cust.end,
                "empty customer id",
                "expected a customer id",
                None,
            ));
        }
        let ts = &row.fields[timestamp];
        let date = parse_date(&ts.text, options.timestamp_format.as_deref()).ok_or_else(|| {
            bad_row(
                path,
                source,
                ts.start,
                ts.end,
                format!("cannot read {:?} as a timestamp", ts.text),
                "expected a date or timestamp",
                Some(timestamp_help(options.timestamp_format.as_deref())),
            )
        })?;
        let value = match amount {
            Some(i) => {
                let f = &row.fields[i];
                parse_amount(&f.text).ok_or_else(|| {
                    bad_row(
                        path,
                        source,
                        f.start,
                        f.end,
                        format!("cannot read {:?} as an amount", f.text),
                        "expected a finite number",
                        event_hint.clone(),
                    )
                })?
            }
            None => 0.0,
        };
        if value < 0.0 && options.refunds == RefundRule::Reject {
            let f = &row.fields[amount.unwrap_or(0)];
            return Err(bad_row(
                path,
                source,
                f.start,
                f.end,
                format!("negative amount {} (a refund)", f.text),
                "a refund",
                Some(REFUND_HELP.into()),
            ));
        }
        let coh = cohort.map(|i| row.fields[i].text.clone());
        b.push(&cust.text, date, value, coh);
    }
    if b.log.transactions.is_empty() {
        return Err(ClvError::EmptyInput { path: path.into(), message: no_transactions(options, &b.log) });
    }
    Ok(b.log)
}

fn read_json_lines(path: &str, source: &str, options: &LogOptions) -> Result<TransactionLog> {
    let m = &options.mapping;
    let key = |c: Option<&ColumnRef>| -> Result<Option<String>> {
        match c {
            None => Ok(None),
            Some(ColumnRef::Name(n)) => Ok(Some(n.clone())),
            Some(ColumnRef::Position(p)) => Err(ClvError::InvalidArgument(format!(
                "json lines have no column positions: name the field instead of {p}"
            ))),
        }
    };
    let customer_key = key(m.customer.as_ref())?;
    let timestamp_key = key(m.timestamp.as_ref())?;
    let amount_key = key(m.amount.as_ref())?;
    let cohort_key = key(m.cohort.as_ref())?;
    let event_key = key(m.event.as_ref())?;
    let mut b = Builder::new(cohort_key.clone());
    // the first row without an amount key, while no row has had one
    let mut without_amount: Option<(usize, usize, Option<String>)> = None;
    let mut offset = 0;
    for (index, raw) in source.split('\n').enumerate() {
        let start = offset;
        offset += raw.len() + 1;
        let text = raw.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let end = start + text.len();
        let err = |msg: String, label: &str| bad_row(path, source, start, end, msg, label.to_string(), None);
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(format!("invalid json: {e}"), "expected one json object per line"))?;
        let obj = value.as_object().ok_or_else(|| err("expected a json object".into(), "not an object"))?;
        let pick =
            |explicit: &Option<String>, names: &[&str], what: &str| -> Result<Option<(String, serde_json::Value)>> {
                if let Some(k) = explicit {
                    return match obj.get(k) {
                        Some(v) => Ok(Some((k.clone(), v.clone()))),
                        None => Err(err(format!("line {} has no field {k:?} ({what})", index + 1), "field missing")),
                    };
                }
                Ok(names.iter().find_map(|n| obj.get(*n).map(|v| (n.to_string(), v.clone()))))
            };
        if let Some(name) = &options.event {
            let (_, e) = pick(&event_key, EVENT_NAMES, "event")?
                .ok_or_else(|| err("no event field (event, event_name, event_type, type)".into(), "field missing"))?;
            if e.as_str().map(str::trim) != Some(name.as_str()) {
                b.log.other_events += 1;
                continue;
            }
        }
        let (_, cust) = pick(&customer_key, CUSTOMER_NAMES, "customer")?
            .ok_or_else(|| err("no customer field (customer_id, customer, user_id, id)".into(), "field missing"))?;
        let cust = match cust {
            serde_json::Value::String(s) if !s.is_empty() => s,
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(err(format!("customer id must be a string or number, found {other}"), "bad customer id"))
            }
        };
        let (ts_key, ts) = pick(&timestamp_key, TIMESTAMP_NAMES, "timestamp")?
            .ok_or_else(|| err("no timestamp field (timestamp, date, time)".into(), "field missing"))?;
        let ts_text = match &ts {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            other => other.to_string(),
        };
        let date = parse_date(&ts_text, options.timestamp_format.as_deref()).ok_or_else(|| {
            // the label points at the value, as a CSV log's points at its cell
            let (s, e) = json_value_span(text, &ts_key).map_or((start, end), |(s, e)| (start + s, start + e));
            bad_row(
                path,
                source,
                s,
                e,
                format!("cannot read {ts_text:?} as a timestamp"),
                "expected a date or timestamp",
                Some(timestamp_help(options.timestamp_format.as_deref())),
            )
        })?;
        // a row of an event log read whole (a sign-up without an amount): the same
        // help as a CSV log's
        let hint = || match (&options.event, pick(&event_key, EVENT_NAMES, "event")) {
            (None, Ok(Some((field, _)))) => Some(event_hint(&format!("`{field}` field"))),
            _ => None,
        };
        let amount = match pick(&amount_key, AMOUNT_NAMES, "amount")? {
            Some((_, serde_json::Value::Number(n))) => {
                b.log.has_amounts = true;
                n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| err("amount is not finite".into(), "bad amount"))?
            }
            Some((field, serde_json::Value::String(s))) => {
                b.log.has_amounts = true;
                parse_amount(&s).ok_or_else(|| {
                    let (s0, e0) = json_value_span(text, &field).map_or((start, end), |(s, e)| (start + s, start + e));
                    bad_row(
                        path,
                        source,
                        s0,
                        e0,
                        format!("cannot read {s:?} as an amount"),
                        "expected a number",
                        hint(),
                    )
                })?
            }
            // A null amount is no amount, as an empty cell of a CSV log's amount
            // column is: an error, never a purchase of 0 (it would lower the mean
            // spend and count as a purchase day).
            Some((field, serde_json::Value::Null)) => {
                let (s0, e0) = json_value_span(text, &field).map_or((start, end), |(s, e)| (start + s, start + e));
                return Err(bad_row(
                    path,
                    source,
                    s0,
                    e0,
                    format!("no amount: `{field}` is null"),
                    "expected a number",
                    hint(),
                ));
            }
            // No amount key at all: fine for a log without amounts (purchase counts
            // only), but once any row has one, every row needs one, as every row of a
            // CSV log with an amount column does (the first row without is reported,
            // wherever the first amount shows).
            None => {
                if b.log.has_amounts {
                    return Err(no_amount_row(path, source, start, end, hint()));
                }
                if without_amount.is_none() {
                    without_amount = Some((start, end, hint()));
                }
                0.0
            }
            Some((_, other)) => return Err(err(format!("amount must be a number, found {other}"), "bad amount")),
        };
        if b.log.has_amounts {
            if let Some((start, end, hint)) = without_amount.take() {
                return Err(no_amount_row(path, source, start, end, hint));
            }
        }
        if amount < 0.0 && options.refunds == RefundRule::Reject {
            return Err(bad_row(
                path,
                source,
                start,
                end,
                format!("negative amount {amount} (a refund)"),
                "a refund",
                Some(REFUND_HELP.into()),
            ));
        }
        let cohort = match &cohort_key {
            Some(k) => obj.get(k).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            None => None,
        };
        b.push(&cust, date, amount, cohort);
    }
    if b.log.transactions.is_empty() {
        return Err(ClvError::EmptyInput { path: path.into(), message: no_transactions(options, &b.log) });
    }
    Ok(b.log)
}

/// A JSON lines row without an amount key in a log whose other rows have amounts.
fn no_amount_row(path: &str, source: &str, start: usize, end: usize, hint: Option<String>) -> ClvError {
    let names = AMOUNT_NAMES.join(", ");
    bad_row(
        path,
        source,
        start,
        end,
        format!("no amount: the row has none of the amount fields ({names}), while other rows of the log have one"),
        "expected an amount",
        Some(hint.unwrap_or_else(|| "give every row its amount, or name the amount field with --amount".into())),
    )
}

fn resolve(path: &str, names: &[String], wanted: Option<&ColumnRef>, defaults: &[&str], what: &str) -> Result<usize> {
    match resolve_optional(path, names, wanted, defaults)? {
        Some(i) => Ok(i),
        None => Err(ClvError::MissingColumn {
            path: path.into(),
            column: what.into(),
            help: Some(if names.is_empty() {
                format!("the file has no header: give the {what} column by position, e.g. --{what} 1")
            } else {
                format!("name the {what} column with --{what}; the header has: {}", names.join(", "))
            }),
        }),
    }
}

fn resolve_optional(
    path: &str,
    names: &[String],
    wanted: Option<&ColumnRef>,
    defaults: &[&str],
) -> Result<Option<usize>> {
    match wanted {
        Some(ColumnRef::Position(p)) => Ok(Some(p - 1)),
        Some(ColumnRef::Name(n)) => {
            names.iter().position(|h| h == n).map(Some).ok_or_else(|| ClvError::MissingColumn {
                path: path.into(),
                column: ColumnRef::Name(n.clone()).describe(),
                help: Some(format!("the header has: {}", names.join(", "))),
            })
        }
        None => Ok(defaults.iter().find_map(|d| names.iter().position(|h| h.eq_ignore_ascii_case(d)))),
    }
}

/// Why a log gave no transaction: empty, or none of its rows of the event asked for.
fn no_transactions(options: &LogOptions, log: &TransactionLog) -> String {
    match &options.event {
        Some(e) => format!("the log has no rows of event `{e}` ({} rows of other events)", log.other_events),
        None => "the log has no transactions".into(),
    }
}

fn timestamp_help(format: Option<&str>) -> String {
    match format {
        Some(f) => format!("the timestamp format given is {f:?}"),
        None => "accepted: 2024-03-01, 20240301, 2024-03-01 12:00:00, RFC 3339; or pass --timestamp-format".into(),
    }
}

/// Where the value of the top-level `key` of one JSON object line is: byte offsets
/// within `line`, from the first `"key"` followed by a colon to the end of its value
/// (a string with its quotes, or a bare number, literal or nested value); `None` when
/// the key is written with escapes the search does not see.
fn json_value_span(line: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(key).ok()?;
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(&quoted) {
        let mut p = from + i + quoted.len();
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        if p < b.len() && b[p] == b':' {
            p += 1;
            while p < b.len() && b[p].is_ascii_whitespace() {
                p += 1;
            }
            let start = p;
            if p < b.len() && b[p] == b'"' {
                p += 1;
                while p < b.len() && b[p] != b'"' {
                    p += if b[p] == b'\\' { 2 } else { 1 };
                }
                return Some((start, (p + 1).min(b.len())));
            }
            let mut depth = 0i32;
            let mut in_str = false;
            while p < b.len() {
                match b[p] {
                    b'\\' if in_str => p += 1,
                    b'"' => in_str = !in_str,
                    b'{' | b'[' if !in_str => depth += 1,
                    b'}' | b']' if !in_str && depth > 0 => depth -= 1,
                    b',' | b'}' | b']' if !in_str && depth == 0 => break,
                    _ => {}
                }
                p += 1;
            }
            let value = line[start..p].trim_end();
            return (!value.is_empty()).then_some((start, start + value.len()));
        }
        from += i + quoted.len();
    }
    None
}

/// A timestamp with a UTC offset written `+HHMM` or `+HH` (or `Z`), which the event
/// log reader of `journey simulate` accepts (docs/events.md) and chrono's RFC 3339
/// parser does not: its UTC date, as an RFC 3339 timestamp gives.
fn parse_offset_timestamp(t: &str) -> Option<NaiveDate> {
    let (head, minutes) = if let Some(h) = t.strip_suffix(['Z', 'z']) {
        (h, 0i64)
    } else {
        let at = t.rfind(['+', '-']).filter(|&i| i > 10)?;
        let (head, tail) = (&t[..at], &t[at + 1..]);
        // `HH`, `HHMM` or `HH:MM`
        let digits = match tail.len() {
            2 | 4 => tail.to_string(),
            5 if tail.as_bytes()[2] == b':' => tail.replacen(':', "", 1),
            _ => return None,
        };
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let h: i64 = digits[..2].parse().ok()?;
        let m: i64 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
        if h > 23 || m > 59 {
            return None;
        }
        let sign = if t.as_bytes()[at] == b'-' { -1 } else { 1 };
        (head, sign * (h * 60 + m))
    };
    let local =
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dt%H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(head, f).ok())?;
    Some((local - chrono::Duration::minutes(minutes)).date())
}

/// Parse a date or timestamp and keep its calendar date (purchases are counted
/// per day, as in the published RFM summaries).
pub fn parse_date(text: &str, format: Option<&str>) -> Option<NaiveDate> {
    let t = text.trim();
    if let Some(f) = format {
        return NaiveDateTime::parse_from_str(t, f).map(|d| d.date()).or_else(|_| NaiveDate::parse_from_str(t, f)).ok();
    }
    if t.len() == 8 && t.bytes().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.naive_utc().date());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d.date());
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    parse_offset_timestamp(t)
}

fn parse_amount(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_default_names() {
        let src =
            "customer_id,date,amount,channel\na,2024-01-01,10,web\nb,2024-01-02,5.5,store\na,2024-01-05,3,store\n";
        let o = LogOptions {
            mapping: ColumnMapping { cohort: Some(ColumnRef::parse("channel")), ..Default::default() },
            ..Default::default()
        };
        let log = read_log("t.csv", src, &o).unwrap();
        assert_eq!(log.customers, vec!["a", "b"]);
        assert_eq!(log.transactions.len(), 3);
        assert_eq!(log.cohorts[0].as_deref(), Some("web"));
    }

    #[test]
    fn bad_amount_names_file_line_and_column() {
        let src = "customer_id,date,amount\na,2024-01-01,10\nb,2024-01-02,ten\n";
        let err = read_log("t.csv", src, &LogOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv:3:14: cannot read \"ten\" as an amount");
    }

    #[test]
    fn bad_date_and_json_lines() {
        let src = "{\"customer_id\": 1, \"timestamp\": \"2024-01-01T10:00:00Z\", \"amount\": 2}\n{\"customer_id\": 2, \"timestamp\": \"yesterday\"}\n";
        let err = read_log("t.jsonl", src, &LogOptions::default()).unwrap_err();
        assert!(err.to_string().starts_with("t.jsonl:2:33: cannot read \"yesterday\""), "{err}");
    }

    /// A null or absent amount is no amount: an error naming the line, as the empty
    /// cell of a CSV log's amount column is; never a purchase of 0.
    #[test]
    fn null_or_absent_amount_in_json_lines_is_an_error_like_an_empty_csv_cell() {
        let csv = "customer_id,timestamp,amount\na,2024-01-01,10\na,2024-01-02,\n";
        assert_eq!(
            read_log("t.csv", csv, &LogOptions::default()).unwrap_err().to_string(),
            "t.csv:3:14: cannot read \"\" as an amount"
        );
        let null = "{\"customer_id\": \"a\", \"timestamp\": \"2024-01-01\", \"amount\": 10}\n{\"customer_id\": \"a\", \"timestamp\": \"2024-01-02\", \"amount\": null}\n";
        let e = read_log("t.jsonl", null, &LogOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("t.jsonl:2:59: no amount: `amount` is null"), "{e}");
        // the row without comes first: reported once a later row shows the log has amounts
        let absent = "{\"customer_id\": \"a\", \"timestamp\": \"2024-01-01\"}\n{\"customer_id\": \"a\", \"timestamp\": \"2024-01-02\", \"amount\": 10}\n";
        let e = read_log("t.jsonl", absent, &LogOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with("t.jsonl:1:1: no amount: the row has none of the amount fields"), "{e}");
        // a log without amounts at all still reads (purchase counts only)
        let none = "{\"customer_id\": \"a\", \"timestamp\": \"2024-01-01\"}\n{\"customer_id\": \"a\", \"timestamp\": \"2024-01-02\"}\n";
        let log = read_log("t.jsonl", none, &LogOptions::default()).unwrap();
        assert!(!log.has_amounts);
        assert_eq!(log.transactions.len(), 2);
        // an explicit amount field: null is an error too
        let o = LogOptions {
            mapping: ColumnMapping { amount: Some(ColumnRef::parse("total")), ..Default::default() },
            ..Default::default()
        };
        let src = "{\"customer_id\": \"a\", \"timestamp\": \"2024-01-01\", \"total\": null}\n";
        let e = read_log("t.jsonl", src, &o).unwrap_err().to_string();
        assert!(e.starts_with("t.jsonl:1:58: no amount: `total` is null"), "{e}");
    }

    /// The offsets the event log reader accepts (`+01:00`, `+0100`, `+01`,
    /// docs/events.md) are read here too, so `journey clv` reads the log `journey
    /// simulate` reads; the date is the UTC date, as for `+01:00`.
    #[test]
    fn offsets_without_a_colon_read_as_the_event_log_reads_them() {
        let d = |s: &str| parse_date(s, None);
        let ymd = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(d("2026-02-20T06:00:00+05:45"), ymd(2026, 2, 20));
        assert_eq!(d("2026-02-20T06:00:00+0545"), ymd(2026, 2, 20));
        assert_eq!(d("2026-02-20T03:00:00+0545"), ymd(2026, 2, 19));
        assert_eq!(d("2026-02-20T23:30:00-05"), ymd(2026, 2, 21));
        assert_eq!(d("2026-02-20 23:30:00-0500"), ymd(2026, 2, 21));
        assert_eq!(d("2026-02-20T23:30-05:00"), ymd(2026, 2, 21));
        assert_eq!(d("2026-02-20T09:00Z"), ymd(2026, 2, 20));
        assert_eq!(d("2026-02-20 09:00"), ymd(2026, 2, 20));
        assert_eq!(d("2026-02-20T06:00:00+2400"), None);
        assert_eq!(d("2026-02-20T06:00:00+05:4"), None);
        assert_eq!(d("2026-02-20T06:00:00+5"), None);
    }

    /// A bad value of a JSON lines row is labelled where it is, as a CSV cell is.
    #[test]
    fn json_lines_errors_point_at_the_value() {
        let line = r#"{"customer_id": "a", "timestamp" : "soon", "amount": 3}"#;
        let (s, e) = json_value_span(line, "timestamp").unwrap();
        assert_eq!(&line[s..e], r#""soon""#);
        let (s, e) = json_value_span(line, "amount").unwrap();
        assert_eq!(&line[s..e], "3");
        let line = r#"{"note": "a \"timestamp\": x", "timestamp": {"a": [1, 2]}, "b": 1}"#;
        let (s, e) = json_value_span(line, "timestamp").unwrap();
        assert_eq!(&line[s..e], r#"{"a": [1, 2]}"#);
        assert_eq!(json_value_span(line, "missing"), None);
    }
}
