//! The aggregates of one event kind, compiled for the witness search
//! ([`super::history`]): a fast evaluation of candidate event histories, and a cheap
//! proof that no history of that event can meet the constraints at all.
//!
//! Why: the search enumerates multisets of event ages (thousands per question) and
//! most of `journey check`'s time on a large repository went into evaluating each
//! candidate through the general expression evaluator (string compares of event and
//! property names, a vector per aggregate) and into searches that could never
//! succeed, such as `count(purchase, 30d) >= 2` with `since(purchase) > 40d`, which
//! ran until the search budget was spent. [`feasible`] rejects those up front and
//! [`Compiled::value`] evaluates a filter-free aggregate directly on the ages.
//!
//! Both are exact where they answer: [`Compiled::value`] computes what
//! [`super::history`]'s evaluator computes for the same events (the same additions in
//! the same order), and [`feasible`] answers `false` only when no history of the
//! event, with any ages and any amounts, meets every constraint (it relaxes the
//! problem, never tightens it), so the search finds the same witnesses as before,
//! only sooner.

use super::logic::{NumC, INF};
use journey_ir::{Aggregate, Expr};

/// What an aggregate computes, without names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Count,
    /// The sum of the searched property; `reads` says whether it is the property the
    /// candidate events carry (otherwise they add nothing, and an average has no
    /// value).
    Sum {
        reads: bool,
    },
    Avg {
        reads: bool,
    },
    Since,
    SinceFirst,
}

/// One constrained aggregate of the event being searched.
#[derive(Debug, Clone)]
pub struct Compiled<'c> {
    pub kind: Kind,
    /// Events strictly younger than this many minutes count; `None`: all.
    pub window: Option<i64>,
    /// Aggregates with a `where` filter read properties: evaluated the general way.
    pub filtered: bool,
    pub c: &'c NumC,
}

/// `None` when the term is not an event aggregate (the caller falls back).
pub fn compile<'c>(c: &'c NumC, property: Option<&str>) -> Option<Compiled<'c>> {
    let Expr::Aggregate(a) = &c.term else { return None };
    let reads = |p: &String| property == Some(p.as_str());
    let (kind, window, filter) = match a {
        Aggregate::Count { filter, window_minutes, .. } => (Kind::Count, *window_minutes, filter),
        Aggregate::Sum { property: p, filter, window_minutes, .. } => {
            (Kind::Sum { reads: reads(p) }, *window_minutes, filter)
        }
        Aggregate::Avg { property: p, filter, window_minutes, .. } => {
            (Kind::Avg { reads: reads(p) }, *window_minutes, filter)
        }
        Aggregate::Since { filter, .. } => (Kind::Since, None, filter),
        Aggregate::SinceFirst { filter, .. } => (Kind::SinceFirst, None, filter),
        // `latest` reads a property value: evaluated the general way
        Aggregate::SinceAttribute { .. } | Aggregate::Latest { .. } => return None,
    };
    Some(Compiled { kind, window: window.map(|w| w as i64), filtered: filter.is_some(), c })
}

/// A value as the evaluator sees it: a number, a duration in minutes, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    None,
    Num(f64),
    Dur(i64),
}

impl<'c> Compiled<'c> {
    /// The value of a filter-free aggregate on events aged `ages` (ascending), each
    /// carrying `amount`.
    pub fn value(&self, ages: &[i64], amount: f64) -> Value {
        let inside = |a: &&i64| self.window.is_none_or(|w| **a < w);
        match self.kind {
            Kind::Count => Value::Num(ages.iter().filter(inside).count() as f64),
            Kind::Sum { reads } => {
                let x = if reads { amount } else { 0.0 };
                // one addition per event, as the evaluator sums
                Value::Num(ages.iter().filter(inside).map(|_| x).sum())
            }
            // the candidate events do not carry the averaged property: no value (a
            // missing value is no 0 in a mean, as in the engine)
            Kind::Avg { reads: false } => Value::None,
            Kind::Avg { reads: true } => {
                let x = amount;
                let n = ages.iter().filter(inside).count();
                if n == 0 {
                    Value::None
                } else {
                    Value::Num(ages.iter().filter(inside).map(|_| x).sum::<f64>() / n as f64)
                }
            }
            Kind::Since => ages.first().map_or(Value::None, |&a| Value::Dur(a)),
            Kind::SinceFirst => ages.last().map_or(Value::None, |&a| Value::Dur(a)),
        }
    }
}

/// Does a value meet its constraint? (The same test as the search's.)
pub fn meets(c: &NumC, v: Value) -> bool {
    let x = match v {
        Value::None => return c.null_ok,
        Value::Num(n) => n,
        Value::Dur(m) => m as f64,
    };
    admits(c, x)
}

fn admits(c: &NumC, x: f64) -> bool {
    c.set.0.iter().any(|i| (x > i.lo || (x == i.lo && i.lo_inc)) && (x < i.hi || (x == i.hi && i.hi_inc)) && x != INF)
}

/// Does some integer in `lo..=hi` meet the constraint?
fn admits_count(c: &NumC, lo: i64, hi: i64) -> bool {
    if lo > hi {
        return false;
    }
    c.set.0.iter().any(|i| {
        // the integers of the interval, clipped to lo..=hi
        let a = if i.lo.is_finite() {
            if i.lo_inc {
                i.lo.ceil()
            } else {
                i.lo.floor() + 1.0
            }
        } else if i.lo > 0.0 {
            return false;
        } else {
            lo as f64
        };
        let b = if i.hi.is_finite() {
            if i.hi_inc {
                i.hi.floor()
            } else {
                i.hi.ceil() - 1.0
            }
        } else if i.hi < 0.0 {
            return false;
        } else {
            hi as f64
        };
        a.max(lo as f64) <= b.min(hi as f64)
    })
}

/// Fewer events than this fail some count (a count, filtered or not, never exceeds
/// the number of events): the search starts there.
pub fn fewest_events(terms: &[Compiled]) -> usize {
    let least = |t: &Compiled| -> f64 {
        t.c.set
            .0
            .iter()
            .map(|i| match (i.lo.is_finite(), i.lo_inc) {
                (true, true) => i.lo.ceil(),
                (true, false) => i.lo.floor() + 1.0,
                // unbounded below, or only infinity: nothing to learn
                (false, _) => 0.0,
            })
            .fold(INF, f64::min)
    };
    let most = terms
        .iter()
        .filter(|t| t.kind == Kind::Count && !(t.c.null_ok && t.c.set.0.is_empty()))
        .map(least)
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    most.max(0.0) as usize
}

/// Can some history of this event (any number of events, any ages, any amounts) meet
/// every constraint of `terms`? `false` is a proof; `true` may be wrong.
///
/// The relaxation keeps, per history shape: the youngest age `m` (`since`), the
/// oldest `M` (`since_first`) and the number of events `k`. A window `w` then holds
/// no event when `w <= m`, all of them when `w > M`, and between 1 and `k - 1`
/// otherwise; a filter keeps any number of those. Sums and averages are free once
/// their window holds an event. Ages only matter against the bounds the terms
/// mention, so `m` and `M` range over those bounds and one point between each two,
/// and `k` up to two past the largest count bound.
pub fn feasible(terms: &[Compiled]) -> bool {
    // no events at all
    let empty = terms.iter().all(|t| match t.kind {
        Kind::Count | Kind::Sum { .. } => meets(t.c, Value::Num(0.0)),
        _ => meets(t.c, Value::None),
    });
    if empty {
        return true;
    }
    let mut bounds: Vec<f64> = vec![0.0];
    let mut max_count = 0.0f64;
    for t in terms {
        if let Some(w) = t.window {
            bounds.push(w as f64);
        }
        for i in &t.c.set.0 {
            for b in [i.lo, i.hi] {
                if !b.is_finite() {
                    continue;
                }
                match t.kind {
                    Kind::Since | Kind::SinceFirst => bounds.push(b),
                    Kind::Count => max_count = max_count.max(b),
                    _ => {}
                }
            }
        }
    }
    bounds.retain(|b| *b >= 0.0);
    bounds.sort_by(|a, b| a.total_cmp(b));
    bounds.dedup();
    // every class of ages: each bound, a point between each two, one past the last
    let mut ages: Vec<f64> = Vec::with_capacity(bounds.len() * 2);
    for (i, &b) in bounds.iter().enumerate() {
        ages.push(b);
        ages.push(match bounds.get(i + 1) {
            Some(&next) => (b + next) / 2.0,
            None => b + 1.0,
        });
    }
    let k_max = (max_count.max(0.0) as i64).saturating_add(2).max(2);
    for (i, &m) in ages.iter().enumerate() {
        for &big in &ages[i..] {
            for k in 1..=k_max {
                if k == 1 && big != m {
                    continue;
                }
                if shape_fits(terms, m, big, k) {
                    return true;
                }
            }
        }
    }
    false
}

/// Do `k >= 1` events, the youngest `m` and the oldest `big` minutes old, leave every
/// term a value its constraint allows?
fn shape_fits(terms: &[Compiled], m: f64, big: f64, k: i64) -> bool {
    terms.iter().all(|t| {
        // how many events the window holds: lo..=hi
        let (lo, hi) = match t.window {
            None => (k, k),
            Some(w) if (w as f64) <= m => (0, 0),
            Some(w) if (w as f64) > big => (k, k),
            Some(_) => (1, k - 1),
        };
        let (lo, hi) = if t.filtered { (0, hi) } else { (lo, hi) };
        match t.kind {
            Kind::Count => admits_count(t.c, lo, hi),
            Kind::Sum { .. } => hi > 0 || meets(t.c, Value::Num(0.0)),
            Kind::Avg { reads: true } => hi > 0 || meets(t.c, Value::None),
            Kind::Avg { reads: false } => meets(t.c, Value::None),
            // a filter may keep no event (no value) or any of them (a later one)
            Kind::Since if t.filtered => true,
            Kind::SinceFirst if t.filtered => true,
            Kind::Since => admits(t.c, m),
            Kind::SinceFirst => admits(t.c, big),
        }
    })
}
