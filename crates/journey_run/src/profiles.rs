//! The customers as the engine sees them: the attribute snapshot in the engine's
//! units, and the keys of the log's customers followed by those only the snapshot
//! names.

use journey_engine::accounts::{account_key, AccountBook, Admin};
use journey_engine::{AttrValue, Customer, Profiles, Row};
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
        // issue 15: an account (a `for account` journey's action) or an admin it sent to
        if let Some(key) = self.profiles.book.key(id) {
            return Customer { id, key, attributes: &[] };
        }
        let i = id.0 as usize;
        let key = if i < self.log_keys.len() {
            self.log_keys.resolve(id.0)
        } else {
            self.extra_keys[i - self.log_keys.len()].as_str()
        };
        Customer { id, key, attributes: self.profiles.get(key) }
    }

    /// The snapshot's row itself: the customer's state shares it (issue 16).
    fn shared_row(&self, id: CustomerId) -> Option<Row> {
        if self.profiles.book.key(id).is_some() {
            return None;
        }
        let i = id.0 as usize;
        let key = if i < self.log_keys.len() {
            self.log_keys.resolve(id.0)
        } else {
            self.extra_keys.get(i - self.log_keys.len())?.as_str()
        };
        self.profiles.row(key).cloned()
    }
}

/// The attribute snapshot in the engine's units: a row of values per customer of the
/// file, found by key through the snapshot's own interner. Each row is its own shared
/// block, so that the customer's state can share it instead of copying it (issue 16).
#[derive(Default)]
pub struct Snapshot {
    pub keys: Interner,
    rows: Vec<Row>,
    /// Declared attributes the file has no column for: not an error (a snapshot may
    /// well hold only some attributes), but every comparison on them is unknown for
    /// everyone, which the caller should say.
    pub missing_columns: Vec<String>,
    /// issue 15: the accounts, when the program has `for account` journeys (see
    /// [`Snapshot::account_book`]).
    pub book: AccountBook,
    /// issue 15: customers whose account the account file does not list (see
    /// [`Snapshot::apply_accounts`]); the report counts them.
    pub unlisted: u64,
}

impl Snapshot {
    /// Read a snapshot file (CSV; see `journey_events::read_attributes`).
    pub fn read(path: &Path, program: &Program, schema: &Schema) -> miette::Result<Snapshot> {
        let attrs = journey_events::read_attributes(path, program).map_err(miette::Report::new)?;
        Ok(Snapshot::new(attrs, program, schema))
    }

    /// A snapshot already read.
    pub fn new(attrs: Attributes, program: &Program, schema: &Schema) -> Snapshot {
        let rows = (0..attrs.len()).map(|i| convert(program, &attrs, attrs.row(i), schema).collect()).collect();
        Snapshot {
            keys: attrs.customers,
            rows,
            missing_columns: attrs.missing_columns,
            book: AccountBook::default(),
            unlisted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// The customer's values (none for a customer the snapshot lacks).
    pub fn get(&self, key: &str) -> &[AttrValue] {
        self.row(key).map_or(&[], |r| r)
    }

    /// The customer's row, to share (none for a customer the snapshot lacks).
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.keys.get(key).and_then(|i| self.rows.get(i as usize))
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
        (PropValue::Text(t), _) => AttrValue::Text(attrs.texts.resolve(t).into()),
        (PropValue::Time(t), Type::Date) => AttrValue::Date(journey_engine::time::local_day(tz, t)),
        (PropValue::Time(t), _) => AttrValue::Time(t),
    })
}

impl Snapshot {
    /// issue 15: put the account file's values of the account attributes into the rows
    /// of the customers of each account (the file is the truth: a customer whose
    /// account it does not list gets no value for the attributes it has columns for).
    /// The number of such customers, or `Err` naming a column of the file that is a
    /// customer attribute (its value would be ambiguous).
    pub fn apply_accounts(&mut self, program: &Program, schema: &Schema, file: &Attributes) -> Result<u64, String> {
        let Some(id_attr) = account_attribute(program) else { return Ok(0) };
        // the account id may head the file under the mapped attribute's own name
        // (`account,seats`): that column is the key, not a value to copy
        let has: Vec<usize> = (0..program.attributes.len())
            .filter(|&a| a != id_attr && !file.missing_columns.contains(&program.attributes[a].name))
            .collect();
        if let Some(&a) = has.iter().find(|&&a| !program.accounts.attributes.contains(&program.attributes[a].name)) {
            let name = &program.attributes[a].name;
            return Err(format!(
                "column `{name}` of the account file is not an account attribute: declare it `account attribute {name}: …` or give it in the customers' snapshot"
            ));
        }
        // the file gives these: no longer missing for everyone
        let given: Vec<&String> = has.iter().map(|&a| &program.attributes[a].name).collect();
        self.missing_columns.retain(|c| !given.contains(&c));
        let rows: Vec<Vec<AttrValue>> =
            (0..file.len()).map(|i| convert(program, file, file.row(i), schema).collect()).collect();
        let mut unlisted = 0;
        for row in &mut self.rows {
            let Some(account) = account_key(&row[id_attr]) else { continue };
            // not shared yet: the states are made later
            let row = Row::make_mut(row);
            let from = file.customers.get(&account).map(|i| &rows[i as usize]);
            unlisted += u64::from(from.is_none());
            for &a in &has {
                row[a] = from.map_or(AttrValue::Missing, |r| r[a].clone());
            }
        }
        self.unlisted = unlisted;
        Ok(unlisted)
    }

    /// issue 15: the accounts of the snapshot's customers, in the order of their first
    /// customer in the file, each with the row of that customer as its values and the
    /// customers journey.yaml's `admin_attribute` marks as admins.
    pub fn account_book(&self, program: &Program) -> AccountBook {
        let mut book = AccountBook::default();
        let Some(id_attr) = account_attribute(program) else { return book };
        let admin_attr = (program.accounts.admin_attribute.as_ref())
            .and_then(|n| program.attributes.iter().position(|a| &a.name == n));
        let admin_value = program.accounts.admin_value.as_deref().unwrap_or("admin");
        for (c, row) in self.rows.iter().enumerate() {
            let Some(account) = account_key(&row[id_attr]) else { continue };
            let k = book.account(&account, || row.to_vec());
            book.accounts[k].customers += 1;
            let admin = match admin_attr.map(|a| &row[a]) {
                Some(AttrValue::Bool(b)) => *b,
                Some(AttrValue::Text(t)) => t == admin_value,
                Some(AttrValue::Number(n)) => n.to_string() == admin_value,
                _ => false,
            };
            if admin {
                let key = self.keys.resolve(c as u32).to_string();
                book.add_admin(k, Admin { key, attributes: row.to_vec() });
            }
        }
        book
    }
}

/// The attribute naming each customer's account.
fn account_attribute(program: &Program) -> Option<usize> {
    let name = program.accounts.attribute.as_ref()?;
    program.attributes.iter().position(|a| &a.name == name)
}
