//! The customer-attribute snapshot: one CSV row per customer, one column per declared
//! attribute, typed like event properties.

use crate::error::{shown, LineSource, ReadError, SkipKind};
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

/// Read a snapshot. The customer column is `customer_id` when present, else the first
/// column. Any bad value is an error naming file, line and column.
pub fn read_attributes(path: &Path, program: &Program) -> Result<Attributes, ReadError> {
    let display = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ReadError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
    let mut record = csv::ByteRecord::new();
    let mapping_err =
        |message: String, help: Option<String>| ReadError::Mapping { path: display.clone(), message, help };
    let header: Vec<String> = match reader.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_string())
            .collect(),
        Ok(false) => return Err(mapping_err("the attribute snapshot is empty".into(), None)),
        Err(e) => return Err(mapping_err(e.to_string(), None)),
    };
    let key_col = header.iter().position(|h| h == "customer_id").unwrap_or(0);
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
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(mapping_err(format!("malformed row: {e}"), None)),
        }
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let pos = record.position().expect("csv records have positions").clone();
        let line = pos.line();
        let row_err = |field: usize, name: &str, message: String, label: &str| {
            let text = line_text(&record, b',');
            let (start, len) = crate_field_span(&record, field);
            ReadError::Row(Box::new(crate::error::RowError {
                kind: SkipKind::BadValue,
                path: display.clone(),
                line,
                column: text[..start.min(text.len())].chars().count() as u64 + 1,
                field: name.to_string(),
                message,
                src: LineSource { name: display.clone(), text, line },
                span: (start, len).into(),
                label: label.to_string(),
                help: None,
            }))
        };
        let key = record.get(key_col).and_then(|k| std::str::from_utf8(k).ok()).unwrap_or("").trim();
        if key.is_empty() {
            return Err(row_err(key_col, "customer", "missing customer id".into(), "empty"));
        }
        let before = out.customers.len();
        let id = out.customers.intern(key);
        if (id as usize) < before {
            let first = first_line[id as usize];
            return Err(row_err(
                key_col,
                "customer",
                format!("customer `{}` appears twice (first on line {first})", shown(key)),
                "duplicate",
            ));
        }
        first_line.push(line);
        let mut zone = None;
        for (a, (def, col)) in program.attributes.iter().zip(&cols).enumerate() {
            let cell = match col.and_then(|c| record.get(c)) {
                None => Cell::Null,
                Some(b) => std::str::from_utf8(b).map_or(Cell::Nested, Cell::Str),
            };
            let v = typed(cell, &def.ty, tz, &mut out.texts).map_err(|expected| {
                row_err(
                    col.unwrap_or(0),
                    &def.name,
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
    Ok(out)
}

fn cell_text(c: Cell<'_>) -> String {
    match c {
        Cell::Str(s) => format!("`{}`", shown(s)),
        _ => "nothing readable".into(),
    }
}

/// The record as one line of text (fields re-joined; quoting is not reproduced).
fn line_text(record: &csv::ByteRecord, d: u8) -> String {
    let mut s = String::new();
    for (i, f) in record.iter().enumerate() {
        if i > 0 {
            s.push(d as char);
        }
        s.push_str(&String::from_utf8_lossy(f));
    }
    s
}

fn crate_field_span(record: &csv::ByteRecord, field: usize) -> (usize, usize) {
    let mut start = 0;
    for (i, f) in record.iter().enumerate() {
        let len = String::from_utf8_lossy(f).len();
        if i == field {
            return (start, len);
        }
        start += len + 1;
    }
    (0, 0)
}
