//! The column mapping: how the columns of a log file become [`Event`](crate::Event)s.
//! It lives under `events:` in `journey.yaml`; every key is optional (see
//! docs/events.md).

use chrono_tz::Tz;
use journey_diagnostics::{Diagnostic, FileId, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File format of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// From the file extension: `.csv`/`.tsv`/`.txt` CSV, `.jsonl`/`.ndjson`/`.json` JSON
    /// lines, `.parquet`/`.pq` Parquet.
    Auto,
    Csv,
    Jsonl,
    Parquet,
}

impl Format {
    /// The concrete format of a file (`Auto` resolved by extension).
    pub fn resolve(self, path: &Path) -> Option<Format> {
        if self != Format::Auto {
            return Some(self);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// A column, by name (files with a header, JSON keys, Parquet fields) or by 1-based
/// position (CSV without a header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name(String),
    Position(usize),
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Column::Name(n) => write!(f, "`{n}`"),
            Column::Position(p) => write!(f, "column {p}"),
        }
    }
}

/// Field separator of CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Byte(u8),
    /// Runs of spaces and tabs, leading and trailing ones ignored (no quoting): the
    /// layout of CDNOW_sample.txt and many fixed-width exports.
    Whitespace,
}

/// How timestamps are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 / ISO 8601: `2026-01-31T09:00:00Z`, `2026-01-31 09:00:00.250+01:00`;
    /// without an offset (`2026-01-31 09:00:00`, `2026-01-31`) the time is local to the
    /// mapping's `timezone`. Hand-parsed, no allocation.
    Rfc3339,
    /// Seconds since the Unix epoch (integer or decimal).
    UnixSeconds,
    /// Milliseconds since the Unix epoch.
    UnixMillis,
    /// A chrono `strftime` pattern such as `%Y%m%d` or `%d/%m/%Y %H:%M`. With `%z`/`%:z`
    /// the offset comes from the text, otherwise the time is local to `timezone`.
    /// `%Y%m%d` and `%Y-%m-%d %H:%M:%S` take fast paths.
    Pattern(String),
}

impl TimeFormat {
    /// What a timestamp in this format looks like, for error messages.
    pub fn example(&self) -> String {
        match self {
            TimeFormat::Rfc3339 => "a timestamp like 2026-01-31T09:00:00Z or 2026-01-31 09:00:00".into(),
            TimeFormat::UnixSeconds => "seconds since 1970-01-01 UTC, like 1769850000".into(),
            TimeFormat::UnixMillis => "milliseconds since 1970-01-01 UTC, like 1769850000000".into(),
            TimeFormat::Pattern(p) => format!("a timestamp in the format `{p}`"),
        }
    }
}

/// What to do with a customer whose time goes backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Stop with an error naming the row (or, with `--skip-bad-rows`, skip and count it).
    #[default]
    Strict,
    /// Read the whole log into memory and sort it by time (stable: equal times keep
    /// file order). Costs memory proportional to the log.
    Sort,
}

/// The `events:` section of `journey.yaml`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Default log file (relative to the project root), used when a command is given none.
    pub path: Option<PathBuf>,
    pub format: Format,
    pub delimiter: Delimiter,
    /// CSV only: whether the first line names the columns.
    pub header: bool,
    pub customer: Column,
    pub timestamp: Column,
    pub timestamp_format: TimeFormat,
    /// Zone of timestamps written without an offset; `None` means the program's zone.
    pub timezone: Option<Tz>,
    /// The column naming the event, or…
    pub event: Column,
    /// …one event name for every row (a purchases-only log such as CDNOW).
    pub event_name: Option<String>,
    /// Revenue column; `None` when the mapping says `revenue: null`. The default
    /// (`revenue`) is optional: a log without such a column has no revenue.
    pub revenue: Option<Column>,
    /// Whether `revenue` was written explicitly (then the column must exist).
    pub revenue_explicit: bool,
    /// `event.property` → column. Properties not listed are read from a column named
    /// `event.property` or, failing that, named like the property, when such a column
    /// exists; otherwise they are missing.
    pub properties: BTreeMap<String, Column>,
    pub order: Order,
    /// Customer-attribute snapshot (CSV), relative to the project root.
    pub attributes: Option<PathBuf>,
    /// The date or time attribute saying when a customer came to exist (signed up,
    /// account created); without it (or without a value), their first event.
    pub created_at: Option<String>,
    /// Attributes the snapshot may lack for some customers (`journey check` warns,
    /// J314, where a comparison reads one without an `is set` guard).
    pub optional_attributes: Vec<String>,
    /// What `journey events generate` writes: the project's own data (default) or the
    /// built-in Northwind Coffee model of journeys/.
    pub generator: Generator,
}

/// The synthetic-log generator of a project (`events.generator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// From the project's schema, channels and journeys (journey_synth).
    #[default]
    Project,
    /// The hand-written coffee-shop model behind journeys/ (its benchmarks and
    /// snapshots are measured on it).
    Northwind,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            path: None,
            format: Format::Auto,
            delimiter: Delimiter::Byte(b','),
            header: true,
            customer: Column::Name("customer_id".into()),
            timestamp: Column::Name("timestamp".into()),
            timestamp_format: TimeFormat::Rfc3339,
            timezone: None,
            event: Column::Name("event".into()),
            event_name: None,
            revenue: Some(Column::Name("revenue".into())),
            revenue_explicit: false,
            properties: BTreeMap::new(),
            order: Order::Strict,
            attributes: None,
            created_at: None,
            optional_attributes: Vec::new(),
            generator: Generator::Project,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    path: Option<PathBuf>,
    format: Option<Format>,
    delimiter: Option<String>,
    header: Option<bool>,
    customer: Option<RawColumn>,
    timestamp: Option<RawColumn>,
    timestamp_format: Option<String>,
    timezone: Option<String>,
    event: Option<RawColumn>,
    event_name: Option<String>,
    #[serde(default, deserialize_with = "explicit")]
    revenue: Option<Option<RawColumn>>,
    #[serde(default)]
    properties: BTreeMap<String, RawColumn>,
    order: Option<Order>,
    attributes: Option<PathBuf>,
    created_at: Option<String>,
    #[serde(default)]
    optional_attributes: OneOrMany,
    generator: Option<Generator>,
    /// issue 15, accounts: read by journey_project (`Config::accounts`)
    #[allow(dead_code)]
    account: Option<serde_yaml::Value>,
}

/// `optional_attributes: [a, b]`, or one name alone.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

/// `revenue: null` (no revenue) is different from no `revenue` key (the default column).
fn explicit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<RawColumn>>, D::Error> {
    Option::<RawColumn>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawColumn {
    Position(usize),
    Name(String),
}

impl Mapping {
    /// Validate the `events:` value of `journey.yaml` (`None`: all defaults).
    /// Diagnostics are J501 and J407, labelled in `config_text` as file 0; use
    /// [`Mapping::from_yaml_in`] to name the file id of `journey.yaml` in your source map.
    pub fn from_yaml(value: Option<&serde_yaml::Value>, config_text: &str) -> Result<Mapping, Vec<Diagnostic>> {
        Mapping::from_yaml_in(value, config_text, FileId::default())
    }

    pub fn from_yaml_in(
        value: Option<&serde_yaml::Value>,
        config_text: &str,
        file: FileId,
    ) -> Result<Mapping, Vec<Diagnostic>> {
        let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(Mapping::default()) };
        let at = |needle: &str| span_of(config_text, needle);
        let raw: Raw = match serde_yaml::from_value(value.clone()) {
            Ok(r) => r,
            Err(e) => {
                let message = journey_diagnostics::plain::serde_message(&e.to_string());
                let needle = message.split('`').nth(1).unwrap_or("events").to_string();
                return Err(vec![Diagnostic::new("J501", format!("events: {message}"))
                    .primary(file, at(&needle), "here")
                    .help("see docs/events.md for the keys `events:` accepts")]);
            }
        };
        let mut diags = Vec::new();
        let mut m = Mapping::default();
        let header = raw.header.unwrap_or(true);
        m.header = header;
        let column = |raw: RawColumn, key: &str, diags: &mut Vec<Diagnostic>| -> Column {
            match raw {
                RawColumn::Name(n) => {
                    if !header && n.parse::<usize>().is_err() {
                        diags.push(
                            Diagnostic::new(
                                "J501",
                                format!("events.{key}: `{n}` is a column name, but `header: false`"),
                            )
                            .primary(file, at(&n), "a file without a header has no column names")
                            .help("give the column's 1-based position, e.g. `customer: 1`"),
                        );
                    }
                    match n.parse::<usize>() {
                        Ok(p) if !header && p > 0 => Column::Position(p),
                        _ => Column::Name(n),
                    }
                }
                RawColumn::Position(0) => {
                    diags.push(
                        Diagnostic::new("J501", format!("events.{key}: column positions start at 1"))
                            .primary(file, at(key), "position 0")
                            .help("the first column is 1"),
                    );
                    Column::Position(1)
                }
                RawColumn::Position(p) => Column::Position(p),
            }
        };
        m.path = raw.path;
        m.attributes = raw.attributes;
        m.created_at = raw.created_at;
        m.optional_attributes = match raw.optional_attributes {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(a) => vec![a],
            OneOrMany::Many(v) => v,
        };
        m.generator = raw.generator.unwrap_or_default();
        m.format = raw.format.unwrap_or(Format::Auto);
        if let Some(c) = raw.customer {
            m.customer = column(c, "customer", &mut diags);
        }
        if let Some(c) = raw.timestamp {
            m.timestamp = column(c, "timestamp", &mut diags);
        }
        if let Some(c) = raw.event {
            m.event = column(c, "event", &mut diags);
        }
        m.event_name = raw.event_name;
        if let Some(r) = raw.revenue {
            m.revenue = r.map(|c| column(c, "revenue", &mut diags));
            m.revenue_explicit = true;
        }
        for (key, c) in raw.properties {
            if !key.contains('.') {
                diags.push(
                    Diagnostic::new("J501", format!("events.properties: `{key}` does not name an event property"))
                        .primary(file, at(&key), "expected `event.property`")
                        .help("write the key as `event.property: column`, e.g. `purchase.amount: total`"),
                );
            }
            let c = column(c, "properties", &mut diags);
            m.properties.insert(key, c);
        }
        if !header {
            for (key, c) in [("customer", &m.customer), ("timestamp", &m.timestamp)] {
                if matches!(c, Column::Name(_))
                    && !diags.iter().any(|d| d.message.starts_with(&format!("events.{key}")))
                {
                    diags.push(
                        Diagnostic::new(
                            "J501",
                            format!("events.{key}: a file without a header needs a column position"),
                        )
                        .primary(file, at("header"), "`header: false`")
                        .help(format!("name the position of the {key} column, e.g. `{key}: 1`")),
                    );
                }
            }
            if m.event_name.is_none() && matches!(m.event, Column::Name(_)) {
                diags.push(
                    Diagnostic::new("J501", "events.event: a file without a header needs a column position")
                        .primary(file, at("header"), "`header: false`")
                        .help("name the position of the event column (`event: 3`), or one event for all rows (`event_name: purchase`)"),
                );
            }
            if !m.revenue_explicit {
                m.revenue = None;
            }
        }
        if let Some(d) = raw.delimiter {
            m.delimiter = match d.as_str() {
                "whitespace" => Delimiter::Whitespace,
                "\\t" | "tab" => Delimiter::Byte(b'\t'),
                s if s.len() == 1 && s.is_ascii() => Delimiter::Byte(s.as_bytes()[0]),
                _ => {
                    diags.push(
                        Diagnostic::new("J501", format!("events.delimiter: `{d}` is not a delimiter"))
                            .primary(file, at(&d), "expected one ASCII character, `tab` or `whitespace`")
                            .help("use e.g. `delimiter: \";\"`, `delimiter: tab` or `delimiter: whitespace`"),
                    );
                    Delimiter::Byte(b',')
                }
            };
        }
        if let Some(f) = raw.timestamp_format {
            m.timestamp_format = match f.as_str() {
                "rfc3339" | "iso8601" => TimeFormat::Rfc3339,
                "unix" | "unix_s" | "unix_seconds" => TimeFormat::UnixSeconds,
                "unix_ms" | "unix_millis" => TimeFormat::UnixMillis,
                p if p.contains('%') => {
                    if let Some(bad) = chrono::format::StrftimeItems::new(p).find(|i| *i == chrono::format::Item::Error)
                    {
                        let _ = bad;
                        diags.push(
                            Diagnostic::new("J501", format!("events.timestamp_format: `{p}` is not a valid pattern"))
                                .primary(file, at(p), "not a strftime pattern")
                                .help("use chrono's strftime syntax, e.g. `%Y-%m-%d %H:%M:%S` or `%Y%m%d`"),
                        );
                    }
                    TimeFormat::Pattern(p.to_string())
                }
                _ => {
                    diags.push(
                        Diagnostic::new("J501", format!("events.timestamp_format: unknown format `{f}`"))
                            .primary(file, at(&f), "not a timestamp format")
                            .help(
                                "use `rfc3339` (the default), `unix_s`, `unix_ms` or a strftime pattern like `%Y%m%d`",
                            ),
                    );
                    TimeFormat::Rfc3339
                }
            };
        }
        if let Some(tz) = raw.timezone {
            match tz.parse::<Tz>() {
                Ok(z) => m.timezone = Some(z),
                Err(_) => diags.push(
                    Diagnostic::new("J407", format!("unknown time zone `{tz}`"))
                        .primary(file, at(&tz), "not an IANA time zone")
                        .help(match journey_diagnostics::suggest::time_zone(&tz) {
                            Some(z) => format!("did you mean `{z}`?"),
                            None => "use a name from the IANA database, e.g. Europe/Berlin or America/New_York".into(),
                        }),
                ),
            }
        }
        m.order = raw.order.unwrap_or_default();
        if diags.is_empty() {
            Ok(m)
        } else {
            Err(diags)
        }
    }
}

/// Where a key or value appears in the config text: serde_yaml keeps no spans, and the
/// `events:` section comes after the key, so search from there.
fn span_of(text: &str, needle: &str) -> Span {
    let from = text.find("events:").unwrap_or(0);
    match text[from..].find(needle) {
        Some(i) => Span::new(from + i, from + i + needle.len()),
        None => Span::new(from, from + "events".len().min(text.len() - from)),
    }
}
