//! Overlap verdicts on normal forms with interned terms.
//!
//! The calendar asks how the audiences of every pair of predicates relate (728k pairs
//! on 5,000 generated journeys). [`crate::analysis::logic::verdict_prepared`] finds each term of one
//! conjunction in the other's maps by its key, a string as long as the term's debug
//! form, and collects the terms into sets of names to tell whether they are
//! independent: string compares and allocation were most of the view's cross-journey
//! pass. Here every conjunction is turned once into lists sorted by an interned key,
//! so a pair is compared by merging two short lists of integers, and each term knows
//! beforehand the name (attribute or event) its independence rests on.
//!
//! [`verdict`] answers exactly what [`crate::analysis::logic::verdict_prepared`] answers, with the same
//! witness indices (tests/cross_oracle.rs compares whole analyses, and the tests below
//! every pair of a generated pool).

use crate::analysis::logic::{Conj, DSet, IvSet, Overlap, Prepared, WitnessAt};
use journey_ir::{Aggregate, Expr, Program};
use std::collections::HashMap;

/// A term whose value a customer cannot be given freely, whatever the other terms
/// take ([`crate::analysis::logic::Conj::independent_with`]).
const TIED: u32 = u32::MAX;

/// One conjunction of a normal form, its constraints sorted by interned key.
#[derive(Debug, Clone)]
pub struct Interned {
    nums: Vec<(u32, IvSet, bool)>,
    discs: Vec<(u32, Values, bool)>,
    opaque: Vec<(u32, u8)>,
    /// Every term (numeric and discrete) with the name its independence rests on:
    /// `2 * id` for an attribute, `2 * id + 1` for an event, [`TIED`] for a term that
    /// is never independent.
    terms: Vec<(u32, u32)>,
}

/// A discrete constraint ([`DSet`]) with interned values, sorted: two are compared by
/// merging integers instead of looking strings up in a `BTreeSet` (a third of the
/// view's J606 pairing on 5,000 journeys).
#[derive(Debug, Clone)]
struct Values {
    /// `true`: only these values ([`DSet::Only`]); `false`: all but them.
    only: bool,
    ids: Vec<u32>,
}

impl Values {
    /// [`DSet::meets`]: do the two allow a common value?
    fn meets(&self, o: &Values) -> bool {
        match (self.only, o.only) {
            (true, true) => shared_id(&self.ids, &o.ids),
            (true, false) => self.ids.iter().any(|x| o.ids.binary_search(x).is_err()),
            (false, true) => o.ids.iter().any(|x| self.ids.binary_search(x).is_err()),
            (false, false) => true,
        }
    }
}

/// Do two sorted lists share an item?
fn shared_id(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// The interned normal form of a prepared condition (`None`: too large to prepare,
/// which always may overlap).
pub type Dnf = Option<Vec<Interned>>;

/// The interning tables: term keys and names.
#[derive(Default)]
pub struct Keys {
    keys: HashMap<String, u32>,
    names: HashMap<String, u32>,
    values: HashMap<String, u32>,
}

impl Keys {
    fn key(&mut self, k: &str) -> u32 {
        let next = self.keys.len() as u32;
        *self.keys.entry(k.to_string()).or_insert(next)
    }

    fn values(&mut self, d: &DSet) -> Values {
        let (only, set) = match d {
            DSet::Only(set) => (true, set),
            DSet::AllBut(set) => (false, set),
        };
        let mut ids: Vec<u32> = set
            .iter()
            .map(|v| {
                let next = self.values.len() as u32;
                *self.values.entry(v.clone()).or_insert(next)
            })
            .collect();
        ids.sort_unstable();
        Values { only, ids }
    }

    fn name(&mut self, n: &str) -> u32 {
        let next = self.names.len() as u32;
        *self.names.entry(n.to_string()).or_insert(next)
    }

    /// What a term's independence rests on, as `independent_terms` in
    /// [`super::super::logic`] decides it: a declared attribute, or a filter-free
    /// count or `since` of an event.
    fn resource(&mut self, term: &Expr, program: &Program) -> u32 {
        match term {
            Expr::Attribute { name } if program.attribute(name).is_some() => 2 * self.name(name),
            Expr::Aggregate(Aggregate::SinceAttribute { attribute }) if program.attribute(attribute).is_some() => {
                2 * self.name(attribute)
            }
            Expr::Aggregate(
                Aggregate::Count { event, filter: None, .. }
                | Aggregate::Since { event, filter: None }
                | Aggregate::SinceFirst { event, filter: None },
            ) => 2 * self.name(event) + 1,
            _ => TIED,
        }
    }

    /// `p`'s normal form, interned.
    pub fn intern(&mut self, p: &Prepared, program: &Program) -> Dnf {
        let dnf = p.dnf.as_ref()?;
        Some(dnf.iter().map(|c| self.conj(c, program)).collect())
    }

    fn conj(&mut self, c: &Conj, program: &Program) -> Interned {
        let mut nums: Vec<(u32, IvSet, bool)> =
            c.nums.iter().map(|(k, n)| (self.key(k), n.set.clone(), n.null_ok)).collect();
        let mut discs: Vec<(u32, Values, bool)> =
            c.discs.iter().map(|(k, d)| (self.key(k), self.values(&d.set), d.null_ok)).collect();
        let mut opaque: Vec<(u32, u8)> = c.opaque.iter().map(|(k, &p)| (self.key(k), p)).collect();
        let mut terms: Vec<(u32, u32)> = Vec::new();
        for (k, n) in &c.nums {
            let key = self.key(k);
            terms.push((key, self.resource(&n.term, program)));
        }
        for (k, d) in &c.discs {
            let key = self.key(k);
            terms.push((key, self.resource(&d.term, program)));
        }
        nums.sort_unstable_by_key(|x| x.0);
        discs.sort_unstable_by_key(|x| x.0);
        opaque.sort_unstable_by_key(|x| x.0);
        terms.sort_unstable_by_key(|x| x.0);
        Interned { nums, discs, opaque, terms }
    }
}

/// The pairs of entries with one key in two lists sorted by key.
fn shared<'a, A, B>(
    a: &'a [(u32, A, B)],
    b: &'a [(u32, A, B)],
) -> impl Iterator<Item = (&'a (u32, A, B), &'a (u32, A, B))> {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    return Some((&a[i - 1], &b[j - 1]));
                }
            }
        }
        None
    })
}

/// [`crate::analysis::logic::Conj::meets`]: is the conjunction of both satisfiable?
fn meets(a: &Interned, b: &Interned) -> bool {
    shared(&a.nums, &b.nums).all(|(x, y)| (x.2 && y.2) || x.1.meets(&y.1))
        && shared(&a.discs, &b.discs).all(|(x, y)| (x.2 && y.2) || x.1.meets(&y.1))
        && opaque_meets(&a.opaque, &b.opaque)
}

fn opaque_meets(a: &[(u32, u8)], b: &[(u32, u8)]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if a[i].1 & b[j].1 == 0 {
                    return false;
                }
                i += 1;
                j += 1;
            }
        }
    }
    true
}

/// [`crate::analysis::logic::Conj::independent_with`]: nothing opaque, and the terms of both (each key
/// once) each rest on a name of their own.
fn independent(a: &Interned, b: &Interned) -> bool {
    if !a.opaque.is_empty() || !b.opaque.is_empty() {
        return false;
    }
    // `b`'s terms that `a` does not have
    let mut j = 0;
    let extra = b.terms.iter().filter(move |t| {
        while j < a.terms.len() && a.terms[j].0 < t.0 {
            j += 1;
        }
        !(j < a.terms.len() && a.terms[j].0 == t.0)
    });
    // the names seen, on the stack while they fit: this runs for most of the 700,000
    // pairs of predicates the view compares on 5,000 journeys, and allocating a list
    // each time was a tenth of it
    let mut near = [0u32; 32];
    let mut far: Vec<u32> = Vec::new();
    let mut n = 0;
    for &(_, r) in a.terms.iter().chain(extra) {
        if r == TIED || near[..n].contains(&r) || far.contains(&r) {
            return false;
        }
        if n < near.len() {
            near[n] = r;
            n += 1;
        } else {
            far.push(r);
        }
    }
    true
}

/// [`crate::analysis::logic::verdict_prepared`] on interned normal forms: the same verdict and the same
/// witness indices.
pub fn verdict(a: &Dnf, b: &Dnf) -> (Overlap, Option<WitnessAt>) {
    let (Some(da), Some(db)) = (a, b) else { return (Overlap::MayOverlap, None) };
    crate::analysis::logic::verdict_over(da, db, meets, independent, |ca, cb| {
        ca.opaque.is_empty() && cb.opaque.is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::logic;
    use crate::analysis::testing::*;
    use journey_ir::{AttributeDef, CmpOp, Type, Value};

    fn cmp(lhs: Expr, op: CmpOp, v: Value) -> Expr {
        Expr::Compare { cmp: op, lhs: Box::new(lhs), rhs: Box::new(Expr::Const { value: v }) }
    }

    fn attr(n: &str) -> Expr {
        Expr::Attribute { name: n.into() }
    }

    fn count(event: &str, filter: Option<Expr>) -> Expr {
        Expr::Aggregate(Aggregate::Count { event: event.into(), filter: filter.map(Box::new), window_minutes: None })
    }

    /// Conditions on attributes (declared or not), counts with and without filters,
    /// `since`, opaque ones and `or`s.
    fn pool() -> Vec<Expr> {
        let since = Expr::Aggregate(Aggregate::Since { event: "order".into(), filter: None });
        let device = cmp(Expr::Property { name: "device".into() }, CmpOp::Eq, Value::Text("ios".into()));
        vec![
            attr("opt_in"),
            Expr::Not { expr: Box::new(attr("opt_in")) },
            cmp(attr("plan"), CmpOp::Eq, Value::Text("pro".into())),
            cmp(attr("plan"), CmpOp::Ne, Value::Text("pro".into())),
            cmp(attr("score"), CmpOp::Ge, Value::Number(3.0)),
            cmp(attr("undeclared"), CmpOp::Ge, Value::Number(1.0)),
            cmp(count("order", None), CmpOp::Ge, Value::Number(2.0)),
            cmp(count("order", None), CmpOp::Eq, Value::Number(0.0)),
            cmp(count("visit", Some(device)), CmpOp::Ge, Value::Number(1.0)),
            cmp(since.clone(), CmpOp::Le, Value::DurationMinutes(10 * 1440)),
            cmp(since, CmpOp::Gt, Value::DurationMinutes(60 * 1440)),
            Expr::Or { any: vec![attr("opt_in"), cmp(count("order", None), CmpOp::Ge, Value::Number(5.0))] },
            Expr::Mul { lhs: Box::new(attr("score")), rhs: Box::new(attr("score")) },
        ]
    }

    #[test]
    fn interned_verdicts_are_the_prepared_ones() {
        let mut p = program(vec![], vec![]);
        for (n, ty) in [("opt_in", Type::Bool), ("score", Type::Number)] {
            p.attributes.push(AttributeDef { name: n.into(), ty, origin: origin(n) });
        }
        let choices = vec!["free".into(), "pro".into()];
        p.attributes.push(AttributeDef { name: "plan".into(), ty: Type::OneOf { choices }, origin: origin("plan") });
        let pool = pool();
        // every conjunction of one or two conditions of the pool
        let mut conds: Vec<Expr> = pool.clone();
        for (i, a) in pool.iter().enumerate() {
            for b in &pool[i..] {
                conds.push(Expr::And { all: vec![a.clone(), b.clone()] });
            }
        }
        let prepared: Vec<Prepared> = conds.iter().map(|e| logic::prepare(e, &p)).collect();
        let mut keys = Keys::default();
        let interned: Vec<Dnf> = prepared.iter().map(|x| keys.intern(x, &p)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..conds.len() {
            for j in 0..conds.len() {
                let want = logic::verdict_prepared(&prepared[i], &prepared[j], &p);
                assert_eq!(verdict(&interned[i], &interned[j]), want, "{:?} / {:?}", conds[i], conds[j]);
                seen.insert(format!("{:?}", want.0));
            }
        }
        assert_eq!(seen.len(), 3, "every verdict is exercised: {seen:?}");
    }
}
