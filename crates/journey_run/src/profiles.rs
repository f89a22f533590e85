//! The customers as the engine sees them: the attribute snapshot in the engine's
//! units, and the keys of the log's customers followed by those only the snapshot
//! names.

use journey_engine::{AttrValue, Customer, Profiles};
use journey_events::{Attributes, CustomerId, Interner, PropValue, Schema};
use journey_ir::{Program, Type};
use std::path::Path;

/// Profiles of the customers: keys from the log's interner (then profile-only
/// customers), attributes from the snapshot.
pub struct World<'a> {
    pub log_keys: &'a Interner,
    pub extra_keys: &'a [String],
    pub profiles: &'a Snapshot,
}

impl Profiles for World<'_> {
    fn customer(&self, id: CustomerId) -> Customer<'_> {
        let i = id.0 as usize;
        let key = if i < self.log_keys.len() {
            self.log_keys.resolve(id.0)
        } else {
            self.extra_keys[i - self.log_keys.len()].as_str()
        };
        Customer { id, key, attributes: self.profiles.get(key) }
    }
}

/// The attribute snapshot in the engine's units: a row of values per customer of the
/// file (one block, row-major), found by key through the snapshot's own interner.
#[derive(Default)]
pub struct Snapshot {
    pub keys: Interner,
    width: usize,
    values: Vec<AttrValue>,
    /// Declared attributes the file has no column for: not an error (a snapshot may
    /// well hold only some attributes), but every comparison on them is unknown for
    /// everyone, which the caller should say.
    pub missing_columns: Vec<String>,
}

impl Snapshot {
    /// Read a snapshot file (CSV; see `journey_events::read_attributes`).
    pub fn read(path: &Path, program: &Program, schema: &Schema) -> miette::Result<Snapshot> {
        let attrs = journey_events::read_attributes(path, program).map_err(miette::Report::new)?;
        Ok(Snapshot::new(attrs, program, schema))
    }

    /// A snapshot already read.
    pub fn new(attrs: Attributes, program: &Program, schema: &Schema) -> Snapshot {
        let width = program.attributes.len();
        let mut values = Vec::with_capacity(attrs.len() * width);
        for i in 0..attrs.len() {
            values.extend(convert(program, &attrs, attrs.row(i), schema));
        }
        Snapshot { keys: attrs.customers, width, values, missing_columns: attrs.missing_columns }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// The customer's values (none for a customer the snapshot lacks).
    pub fn get(&self, key: &str) -> &[AttrValue] {
        match self.keys.get(key) {
            Some(i) => &self.values[i as usize * self.width..(i as usize + 1) * self.width],
            None => &[],
        }
    }
}

/// The snapshot's typed values in the engine's units.
fn convert<'v>(
    program: &'v Program,
    attrs: &'v Attributes,
    values: &'v [PropValue],
    schema: &Schema,
) -> impl Iterator<Item = AttrValue> + 'v {
    let tz = schema.timezone();
    program.attributes.iter().zip(values).map(move |(def, v)| match (*v, &def.ty) {
        (PropValue::Missing, _) => AttrValue::Missing,
        (PropValue::Number(n) | PropValue::Money(n), _) => AttrValue::Number(n),
        (PropValue::Bool(b), _) => AttrValue::Bool(b),
        (PropValue::Text(t), _) => AttrValue::Text(attrs.texts.resolve(t).to_string()),
        (PropValue::Time(t), Type::Date) => AttrValue::Date(journey_engine::time::local_day(tz, t)),
        (PropValue::Time(t), _) => AttrValue::Time(t),
    })
}
