//! The customer-attribute snapshot: one CSV row per customer, one column per declared
//! attribute, typed like event properties.

use crate::csv_split::CsvSplitter;
use crate::error::{row_error, shown, ReadError, SkipKind};
use crate::model::{Interner, PropValue};
use crate::reader::{typed, Cell};
use chrono_tz::Tz;
use journey_ir::{Program, Type};
use std::path::Path;

/// Attribute values of every customer in the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    /// Declared attribute names, in `Program::attributes` order: the order of values.
    pub names: Vec<String>,
    /// Customer keys, in file order.
    pub customers: Interner,
    /// Text values: `PropValue::Text(n)` is `texts.resolve(n)`.
    pub texts: Interner,
    /// Row-major: `customers.len() × names.len()`.
    values: Vec<PropValue>,
    /// Per customer, the zone of the program's `timezone`-typed attribute, if any.
    zones: Vec<Option<Tz>>,
    /// Declared attributes with no column in the file (all missing).
    pub missing_columns: Vec<String>,
    /// Columns of the file that are not declared attributes (ignored).
    pub ignored_columns: Vec<String>,
    /// Lines of the file (header included): more than rows when quoted fields span
    /// lines.
    pub lines: u64,
}

impl Attributes {
    pub fn len(&self) -> usize {
        self.customers.len()
    }
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }
    /// All values of a customer, in `names` order.
    pub fn get(&self, customer: &str) -> Option<&[PropValue]> {
        Some(self.row(self.customers.get(customer)? as usize))
    }
    /// All values of the `i`-th customer of the file (`customers.resolve(i)`).
    pub fn row(&self, i: usize) -> &[PropValue] {
        let n = self.names.len();
        &self.values[i * n..(i + 1) * n]
    }
    /// One value of a customer (`None` for an unknown customer or attribute).
    pub fn value(&self, customer: &str, attribute: &str) -> Option<PropValue> {
        let a = self.names.iter().position(|n| n == attribute)?;
        self.get(customer).map(|v| v[a])
    }
    /// The customer's own zone, from the program's `timezone` attribute.
    pub fn timezone(&self, customer: &str) -> Option<Tz> {
        self.zones.get(self.customers.get(customer)? as usize).copied().flatten()
    }
}

/// Read a snapshot (a file, `-` for standard input, or gzip/zstd-compressed). The
/// customer column is `customer_id` when present, else the first column. Any bad value
/// is an error naming file, line and column.
pub fn read_attributes(path: &Path, program: &Program) -> Result<Attributes, ReadError> {
    let display = crate::input::display_name(path);
    let opened = crate::input::open(path)?;
    read_attributes_from(path, display, opened.reader, program)
}

/// [`read_attributes`] from bytes already open (`path` names them in messages).
pub fn read_attributes_from(
    path: &Path,
    display: String,
    reader: Box<dyn std::io::BufRead + Send>,
    program: &Program,
) -> Result<Attributes, ReadError> {
    read_rows(path, display, reader, program, "customer")
}

/// issue 15: read an account file (journey.yaml `events.account.file`): one row per
/// account, the id in column `account_id` (else the first column), then values of the
/// declared attributes by name, checked as a snapshot's are (`Attributes::customers`
/// holds the account ids).
pub fn read_accounts(path: &Path, program: &Program) -> Result<Attributes, ReadError> {
    let display = crate::input::display_name(path);
    let opened = crate::input::open(path)?;
    read_rows(path, display, opened.reader, program, "account")
}

/// A file of rows keyed by `what` (`customer` or `account`): the key column is
/// `{what}_id` when present, else the first column.
fn read_rows(
    path: &Path,
    display: String,
    reader: Box<dyn std::io::BufRead + Send>,
    program: &Program,
    what: &str,
) -> Result<Attributes, ReadError> {
    let lines = crate::input::LineReader::new(path, reader)?;
    let mut split = CsvSplitter::new(lines, b',');
    let mapping_err =
        |message: String, help: Option<String>| ReadError::Mapping { path: display.clone(), message, help };
    let header: Vec<String> = crate::reader::read_header(path, &mut split)?;
    if header.is_empty() {
        return Err(mapping_err("the attribute snapshot is empty".into(), None));
    }
    let key_col = header.iter().position(|h| *h == format!("{what}_id")).unwrap_or(0);
    let mut out =
        Attributes { names: program.attributes.iter().map(|a| a.name.clone()).collect(), ..Default::default() };
    let cols: Vec<Option<usize>> =
        program.attributes.iter().map(|a| header.iter().position(|h| *h == a.name)).collect();
    for (a, c) in program.attributes.iter().zip(&cols) {
        if c.is_none() {
            out.missing_columns.push(a.name.clone());
        }
    }
    out.ignored_columns = header
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != key_col && !out.names.contains(h))
        .map(|(_, h)| h.clone())
        .collect();
    let zone_attr = program
        .timezone_attribute
        .as_deref()
        .and_then(|n| out.names.iter().position(|x| x == n))
        .or_else(|| program.attributes.iter().position(|a| a.ty == Type::Timezone));
    let tz = program.timezone.parse().unwrap_or(Tz::UTC);
    let mut first_line: Vec<u64> = Vec::new();
    loop {
        match split.read() {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(crate::reader::split_read_error(e, &split, &display)),
        }
        if split.is_blank() {
            continue;
        }
        let line = split.line;
        if split.len() != header.len() {
            if let Some((p, span)) = crate::reader::width_problem(&split, header.len()) {
                let raw = split.raw();
                return Err(row_error(p.kind, &display, line, raw, span, String::new(), p.message, p.label, p.help));
            }
        }
        let row_err = |field: usize, name: &str, kind: SkipKind, message: String, label: &str| {
            row_error(
                kind,
                &display,
                line,
                split.raw(),
                split.span(field),
                name.to_string(),
                message,
                label.to_string(),
                None,
            )
        };
        let key = match split.get(key_col).map(std::str::from_utf8) {
            Some(Ok(k)) => k.trim(),
            Some(Err(_)) => {
                return Err(row_err(
                    key_col,
                    what,
                    SkipKind::Malformed,
                    format!("{what}: the value is not UTF-8 text"),
                    "not UTF-8",
                ))
            }
            None => "",
        };
        if key.is_empty() {
            return Err(row_err(key_col, what, SkipKind::BadValue, format!("missing {what} id"), "empty"));
        }
        let before = out.customers.len();
        let id = out.customers.intern(key);
        if (id as usize) < before {
            let first = first_line[id as usize];
            return Err(row_err(
                key_col,
                what,
                SkipKind::BadValue,
                format!("{what} `{}` appears twice (first on line {first})", shown(key)),
                "duplicate",
            ));
        }
        first_line.push(line);
        let mut zone = None;
        for (a, (def, col)) in program.attributes.iter().zip(&cols).enumerate() {
            let cell = match col.and_then(|c| split.get(c)) {
                None => Cell::Null,
                Some(b) => std::str::from_utf8(b).map_or(Cell::NotUtf8, Cell::Str),
            };
            if let Cell::NotUtf8 = cell {
                return Err(row_err(
                    col.unwrap_or(0),
                    &def.name,
                    SkipKind::Malformed,
                    format!("{}: the value is not UTF-8 text", def.name),
                    "not UTF-8",
                ));
            }
            let v = typed(cell, &def.ty, tz, &mut out.texts).map_err(|expected| {
                row_err(
                    col.unwrap_or(0),
                    &def.name,
                    SkipKind::BadValue,
                    format!("{}: expected {expected}, found {}", def.name, cell_text(cell)),
                    &format!("not {expected}"),
                )
            })?;
            if Some(a) == zone_attr {
                if let PropValue::Text(t) = v {
                    zone = out.texts.resolve(t).parse::<Tz>().ok();
                }
            }
            out.values.push(v);
        }
        out.zones.push(zone);
    }
    out.lines = split.lines.line;
    Ok(out)
}

fn cell_text(c: Cell<'_>) -> String {
    match c {
        Cell::Str(s) => format!("`{}`", shown(s)),
        _ => "nothing readable".into(),
    }
}
