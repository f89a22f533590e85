//! Events of a Parquet batch built through columns typed once per batch.
//!
//! The row-wise build ([`Builder::build_into`] over [`PqRow`]) asks each cell for its
//! column's array type and tests its nulls through arrow's accessors, cell by cell; that
//! was most of the reader's time outside the decoder. Here each mapped column is looked
//! at once per batch, and each declared property gets a [`Prop`] that knows both its
//! column's array type and the property's type, so that a row is a few array reads.
//!
//! Soundness: the fast build does what the row-wise one does, in the same order (texts
//! interned property by property, then the customer), and a row it is not sure of (an
//! event name not resolved yet, a null where a value is needed, text to type, NaN, a
//! time out of order, any column type not handled here) is built again by the row-wise
//! build from the start. Interning is idempotent, so a row begun here and redone there
//! interns the same strings in the same order: ids, errors, row numbers and skip counts
//! are those of the row-wise build (the tests below compare the two on generated files).

use crate::model::{Event, EventKind, PropValue};
use crate::parquet_reader::{Acc, PqRow};
use crate::reader::{trimmed, Builder, Plan, Problem, UNSEEN};
use arrow_array::types::{Float64Type, Int32Type, TimestampMillisecondType};
use arrow_array::{Array, BooleanArray, PrimitiveArray, StringArray};
use journey_ir::Type;

/// A `one_of` verdict of a dictionary key not computed yet.
const UNKNOWN: u8 = 0;
/// The key's text is one of the choices as written: its text id is the property's value.
const CHOSEN: u8 = 1;
/// Anything else (blank, padded, not a choice): the row-wise typing decides.
const OTHER: u8 = 2;

/// One declared property of an event kind, as the current batch holds it.
enum Prop {
    /// No column for it: missing.
    Absent,
    /// Dictionary-coded text read as text (text, time of day, list): the key's text id.
    Text { slot: usize, keys: PrimitiveArray<Int32Type>, values: StringArray },
    /// Dictionary-coded text of a `one_of`: the key's verdict (cached per key, the
    /// choices differ between properties sharing a column), then its text id.
    /// `at`: its verdict table and choices in [`Columns`].
    OneOf { slot: usize, at: usize, keys: PrimitiveArray<Int32Type>, values: StringArray },
    /// Plain text read as text.
    Plain(StringArray),
    /// Plain text of a `one_of`: blank is missing, a choice (trimmed) its text id.
    PlainOneOf { values: StringArray, at: usize },
    /// Booleans read as booleans.
    Bool(BooleanArray),
    /// Doubles read as a number (`money`: an amount).
    Float { values: PrimitiveArray<Float64Type>, money: bool },
    /// Any other pairing of column and type: the row is built row-wise.
    RowWise,
}

enum EventCol {
    /// `event_name:` in the mapping: every row is this event.
    Fixed(EventKind),
    /// Dictionary keys, resolved through the builder's cache.
    Keys(PrimitiveArray<Int32Type>),
    /// Plain text, looked up per row.
    Plain(StringArray),
    RowWise,
}

enum TimeCol {
    /// Milliseconds UTC as stored.
    Utc(PrimitiveArray<TimestampMillisecondType>),
    /// Any other column: [`Builder::time`] on the row.
    Cell,
}

enum RevenueCol {
    Unmapped,
    Float(PrimitiveArray<Float64Type>),
    Cell,
}

enum CustomerCol {
    Keys(PrimitiveArray<Int32Type>),
    Cell,
}

/// The current batch's columns, as the fast build reads them.
struct Batch {
    event: EventCol,
    time: TimeCol,
    revenue: RevenueCol,
    customer: CustomerCol,
    /// Per event kind, per declared property.
    props: Vec<Vec<Prop>>,
}

/// The fast build's state across batches.
pub(crate) struct Columns {
    /// Boxed: the reader's backend enum stays small.
    batch: Option<Box<Batch>>,
    /// Per `one_of` property read from a column (numbered in plan order): per key of
    /// its column's current dictionary, the verdict.
    verdicts: Vec<Vec<u8>>,
    /// The slot each verdict table belongs to.
    verdict_slots: Vec<usize>,
    /// The choices of each `one_of` (held here, not cloned into every batch).
    choices: Vec<Vec<String>>,
    /// Off: every row is built row-wise (the oracle the fast build is tested against).
    pub(crate) enabled: bool,
    /// Rows the fast build finished (the tests check that it is taken).
    #[cfg(test)]
    pub(crate) fast_rows: u64,
}

impl Columns {
    pub(crate) fn new(plan: &Plan, schema: &crate::model::Schema) -> Columns {
        let (mut verdict_slots, mut choices) = (Vec::new(), Vec::new());
        for (k, per) in plan.props.iter().enumerate() {
            for (n, slot) in per.iter().enumerate() {
                if let (Some(slot), Type::OneOf { choices: c }) = (slot, &schema.properties(EventKind(k as u16))[n].1) {
                    verdict_slots.push(*slot);
                    choices.push(c.clone());
                }
            }
        }
        Columns {
            batch: None,
            verdicts: vec![Vec::new(); verdict_slots.len()],
            verdict_slots,
            choices,
            enabled: true,
            #[cfg(test)]
            fast_rows: 0,
        }
    }

    /// The dictionary of `slot` changed (now `len` keys): its verdicts are void.
    pub(crate) fn new_dictionary(&mut self, slot: usize, len: usize) {
        for (v, s) in self.verdicts.iter_mut().zip(&self.verdict_slots) {
            if *s == slot {
                v.clear();
                v.resize(len, UNKNOWN);
            }
        }
    }

    /// Look at the columns of a new batch (`accs`, by slot) once.
    pub(crate) fn load(&mut self, accs: &[Acc], builder: &Builder) {
        if !self.enabled {
            return;
        }
        let plan = &builder.plan;
        let dict = |slot: usize| match &accs[slot] {
            // a null among the values would be a null cell: left to the row-wise build
            Acc::Dict(k, v) if v.null_count() == 0 => Some((k.clone(), v.clone())),
            _ => None,
        };
        let event = match plan.event {
            Err(k) => EventCol::Fixed(k),
            Ok(slot) => match &accs[slot] {
                Acc::Dict(k, _) => EventCol::Keys(k.clone()),
                Acc::Utf8(s) => EventCol::Plain(s.clone()),
                _ => EventCol::RowWise,
            },
        };
        let time = match &accs[plan.timestamp] {
            Acc::TsMs(a, false) => TimeCol::Utc(a.clone()),
            _ => TimeCol::Cell,
        };
        let revenue = match plan.revenue {
            None => RevenueCol::Unmapped,
            Some(slot) => match &accs[slot] {
                Acc::F64(a) => RevenueCol::Float(a.clone()),
                _ => RevenueCol::Cell,
            },
        };
        let customer = match &accs[plan.customer] {
            Acc::Dict(k, _) => CustomerCol::Keys(k.clone()),
            _ => CustomerCol::Cell,
        };
        let mut verdicts = 0;
        let props = plan
            .props
            .iter()
            .enumerate()
            .map(|(k, per)| {
                let declared = builder.schema.properties(EventKind(k as u16));
                per.iter()
                    .zip(declared)
                    .map(|(slot, (_, ty))| {
                        let Some(slot) = *slot else { return Prop::Absent };
                        let at = verdicts;
                        if matches!(ty, Type::OneOf { .. }) {
                            verdicts += 1;
                        }
                        match (ty, &accs[slot]) {
                            (Type::Text | Type::TimeOfDay | Type::List { .. }, Acc::Dict(..)) => match dict(slot) {
                                Some((keys, values)) => Prop::Text { slot, keys, values },
                                None => Prop::RowWise,
                            },
                            (Type::OneOf { .. }, Acc::Dict(..)) => match dict(slot) {
                                Some((keys, values)) => Prop::OneOf { slot, at, keys, values },
                                None => Prop::RowWise,
                            },
                            (Type::Text | Type::TimeOfDay | Type::List { .. }, Acc::Utf8(s)) => Prop::Plain(s.clone()),
                            (Type::OneOf { .. }, Acc::Utf8(s)) => Prop::PlainOneOf { values: s.clone(), at },
                            (Type::Number | Type::Percent | Type::Duration, Acc::F64(a)) => {
                                Prop::Float { values: a.clone(), money: false }
                            }
                            (Type::Money, Acc::F64(a)) => Prop::Float { values: a.clone(), money: true },
                            (Type::Bool, Acc::Bool(a)) => Prop::Bool(a.clone()),
                            _ => Prop::RowWise,
                        }
                    })
                    .collect()
            })
            .collect();
        self.batch = Some(Box::new(Batch { event, time, revenue, customer, props }));
    }

    /// Start loading the time-order entry of row `i`'s customer
    /// ([`Builder::prefetch_customer`]), read from the batch's keys.
    #[inline]
    pub(crate) fn prefetch(&self, builder: &Builder, i: usize) {
        if let Some(CustomerCol::Keys(keys)) = self.batch.as_ref().map(|b| &b.customer) {
            if let Some(k) = key(keys, i) {
                builder.prefetch_customer(k as u32);
            }
        }
    }

    /// Build the event of `row` (row number `line`) into `out` through the columns;
    /// `false`: not done, build it row-wise ([`Columns::build`]).
    #[inline]
    pub(crate) fn try_build(&mut self, builder: &mut Builder, row: &PqRow, line: u64, out: &mut Event) -> bool {
        let Some(batch) = self.batch.as_ref().filter(|_| self.enabled) else { return false };
        let done = fast(batch, &mut self.verdicts, &self.choices, builder, row, line, out).is_some();
        #[cfg(test)]
        {
            self.fast_rows += u64::from(done);
        }
        done
    }

    /// Build the event of `row` (row number `line`) into `out`: through the columns
    /// where it can, else row-wise.
    pub(crate) fn build(
        &mut self,
        builder: &mut Builder,
        row: &PqRow,
        line: u64,
        out: &mut Event,
    ) -> Result<(), Problem> {
        if self.try_build(builder, row, line, out) {
            return Ok(());
        }
        builder.build_into(row, line, out)
    }
}

/// The properties of an event before they are read: copied in as one slice (a
/// `resize` was a call and a loop of its own, 5% of a read).
const MISSING: [PropValue; 16] = [PropValue::Missing; 16];

/// A dictionary key as an index (a negative key is out of range, as a large one).
#[inline(always)]
fn key(keys: &PrimitiveArray<Int32Type>, i: usize) -> Option<usize> {
    (!keys.is_null(i)).then(|| keys.values()[i] as u32 as usize)
}

/// The event of row `row.i` through the columns; `None`: build it row-wise (nothing
/// done here differs from what the row-wise build does first).
#[inline(always)]
fn fast(
    batch: &Batch,
    verdicts: &mut [Vec<u8>],
    choices: &[Vec<String>],
    b: &mut Builder,
    row: &PqRow,
    line: u64,
    out: &mut Event,
) -> Option<()> {
    let i = row.i;
    // the event kind and the time first, as the row-wise build: neither interns
    let kind = match &batch.event {
        EventCol::Fixed(k) => *k,
        EventCol::Keys(keys) => {
            let k = *b.codes.kinds.get(key(keys, i)?)?;
            if k == UNSEEN {
                return None;
            }
            EventKind(k as u16)
        }
        EventCol::Plain(names) => {
            if names.is_null(i) {
                return None;
            }
            b.schema.kind(trimmed(names.value(i)))?
        }
        EventCol::RowWise => return None,
    };
    let t = match &batch.time {
        TimeCol::Utc(a) => {
            if a.is_null(i) {
                return None;
            }
            a.values()[i]
        }
        TimeCol::Cell => b.time(row).ok()?,
    };
    let declared = &batch.props[kind.0 as usize];
    let props = &mut out.props;
    // sized first and written in place: a push per property tested the capacity
    props.clear();
    match MISSING.get(..declared.len()) {
        Some(missing) => props.extend_from_slice(missing),
        None => props.resize(declared.len(), PropValue::Missing),
    }
    for (value_at, prop) in props.iter_mut().zip(declared) {
        *value_at = match prop {
            Prop::Absent => PropValue::Missing,
            Prop::Text { slot, keys, values } => match key(keys, i) {
                None => PropValue::Missing,
                Some(k) => match b.codes.texts[*slot].get_mut(k) {
                    // out of the dictionary: a null cell
                    None => PropValue::Missing,
                    Some(id) => {
                        if *id == UNSEEN {
                            *id = b.texts.intern(values.value(k));
                        }
                        PropValue::Text(*id)
                    }
                },
            },
            Prop::OneOf { slot, at, keys, values } => match key(keys, i) {
                None => PropValue::Missing,
                Some(k) => match verdicts[*at].get_mut(k) {
                    // out of the dictionary: a null cell
                    None => PropValue::Missing,
                    Some(verdict) => {
                        if *verdict == UNKNOWN {
                            // the row-wise build's test for taking the key's text id as is
                            let s = values.value(k);
                            let chosen =
                                !s.is_empty() && trimmed(s).len() == s.len() && choices[*at].iter().any(|c| c == s);
                            *verdict = if chosen { CHOSEN } else { OTHER };
                        }
                        if *verdict != CHOSEN {
                            return None;
                        }
                        let id = &mut b.codes.texts[*slot][k];
                        if *id == UNSEEN {
                            *id = b.texts.intern(values.value(k));
                        }
                        PropValue::Text(*id)
                    }
                },
            },
            Prop::Plain(texts) => {
                if texts.is_null(i) {
                    PropValue::Missing
                } else {
                    PropValue::Text(b.texts.intern(texts.value(i)))
                }
            }
            Prop::PlainOneOf { values, at } => {
                if values.is_null(i) {
                    PropValue::Missing
                } else {
                    // `typed`'s rule for a `one_of`
                    let s = trimmed(values.value(i));
                    if s.is_empty() {
                        PropValue::Missing
                    } else if choices[*at].iter().any(|c| c == s) {
                        PropValue::Text(b.texts.intern(s))
                    } else {
                        return None;
                    }
                }
            }
            Prop::Bool(values) => {
                if values.is_null(i) {
                    PropValue::Missing
                } else {
                    PropValue::Bool(values.value(i))
                }
            }
            Prop::Float { values, money } => {
                if values.is_null(i) {
                    PropValue::Missing
                } else {
                    let f = values.values()[i];
                    if !f.is_finite() {
                        return None;
                    }
                    if *money {
                        PropValue::Money(f)
                    } else {
                        PropValue::Number(f)
                    }
                }
            }
            Prop::RowWise => return None,
        };
    }
    let revenue = match &batch.revenue {
        RevenueCol::Unmapped => None,
        RevenueCol::Float(a) => {
            if a.is_null(i) {
                None
            } else {
                let f = a.values()[i];
                if !f.is_finite() {
                    return None;
                }
                Some(f)
            }
        }
        RevenueCol::Cell => b.revenue(row).ok()?,
    };
    // the customer last, as in the row-wise build
    let id = match &batch.customer {
        CustomerCol::Keys(keys) => {
            let k = key(keys, i)?;
            let known = *b.codes.customers.get(k)?;
            if known != UNSEEN {
                known
            } else {
                let id = b.customer(row).ok()?;
                b.codes.customers[k] = id;
                id
            }
        }
        CustomerCol::Cell => b.customer(row).ok()?,
    };
    if b.check_order {
        let at = id as usize;
        if at == b.last.len() {
            b.last.push((t, line));
        } else {
            let last = b.last.get_mut(at)?;
            if t < last.0 {
                return None;
            }
            *last = (t, line);
        }
    }
    out.customer = crate::model::CustomerId(id);
    out.time = t;
    out.kind = kind;
    out.revenue = revenue;
    out.line = line;
    Some(())
}

#[cfg(test)]
mod tests;
