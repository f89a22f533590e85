//! Witness histories: a concrete customer (attribute values and timed events) that
//! puts one customer in several audiences at one instant, found by a small bounded
//! search and checked by evaluating the conditions on it.
//!
//! The reasoner ([`super::logic`]) answers "may overlap" when it cannot decide, most
//! often because two aggregates of one event depend on each other (`count(purchase)`
//! and `since(purchase)`). A finding on such a pair is only worth a marketer's time
//! with an example, so `journey check` reports a may-overlap only when [`search`]
//! finds a history that satisfies every predicate under [`holds`], which evaluates
//! conditions as the engine does (a comparison with a missing value is unknown and
//! a condition holds only when true, `since` of an event
//! that never happened has no value, an event is inside a window `w` when it is less
//! than `w` old). A test replays every history through the engine.

use super::event_terms;
use super::logic::{self, Conj, Prepared, INF};
use journey_ir::{Aggregate, CmpOp, Expr, Program, Type, Value};
use std::collections::BTreeSet;
use std::fmt;

/// The instant every history is evaluated at: 2025-06-02 12:00 UTC, in minutes since
/// the epoch (a Monday at noon, far from any date boundary).
pub const NOW_MINUTES: i64 = 20_241 * 1440 + 12 * 60;

/// One customer, as data the engine can replay.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Attribute values, by name; attributes not listed are unset.
    pub attributes: Vec<(String, Val)>,
    /// Events, oldest first: how long before the instant, the event, its properties.
    pub events: Vec<HistoryEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub minutes_before: i64,
    pub event: String,
    pub properties: Vec<(String, Val)>,
}

/// A concrete value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Bool(bool),
    Num(f64),
    Text(String),
    /// Days since 1970-01-01.
    Date(i64),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Bool(b) => write!(f, "{b}"),
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Val::Num(n) => write!(f, "{n}"),
            Val::Text(t) => write!(f, "\"{t}\""),
            Val::Date(d) => f.write_str(&logic::civil_from_days(*d)),
        }
    }
}

impl fmt::Display for History {
    /// `plan = "pro"; purchase 200d ago, purchase 61d ago` (relative to the instant
    /// both audiences are checked at). Written piece by piece into `f`: thousands of
    /// findings show a witness, and joining strings of strings was a twentieth of
    /// `journey check`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (k, v) in &self.attributes {
            write!(f, "{sep}`{k}` = {v}")?;
            sep = "; ";
        }
        if self.events.is_empty() {
            return write!(f, "{sep}no events");
        }
        write!(f, "{sep}events ")?;
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{}` ", e.event)?;
            if !e.properties.is_empty() {
                f.write_str("(")?;
                for (j, (k, v)) in e.properties.iter().enumerate() {
                    if j > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                f.write_str(") ")?;
            }
            if e.minutes_before == 0 {
                f.write_str("just now")?;
            } else {
                write!(f, "{} ago", logic::fmt_minutes(e.minutes_before as u64))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- evaluation

/// A value during evaluation; durations and times in minutes. Text is borrowed from
/// the expression or the history: evaluating allocates nothing (the witness checks
/// evaluate predicates on hundreds of thousands of histories).
#[derive(Debug, Clone, PartialEq)]
enum V<'a> {
    None,
    Bool(bool),
    Num(f64),
    Dur(i64),
    Date(i64),
    Time(i64),
    Text(&'a str),
}

/// Does `e` hold for the customer of `h` at [`NOW_MINUTES`]?
pub fn holds(e: &Expr, h: &History, program: &Program) -> bool {
    matches!(eval(e, h, None, program, 0), V::Bool(true))
}

/// [`holds`] on the history that [`super::calendar::parts::merge`] would make of
/// `parts`, without making it (the check asks this of tens of thousands of pairs of
/// journeys, and building and freeing their merged histories was a third of its
/// cross-journey pass). Only when no attribute name and no event name is in two of
/// the parts (`None` otherwise): each name's values then come from one part, in
/// that part's order, which is the merged history's order for that name.
pub fn holds_merged(e: &Expr, parts: &[&History], program: &Program) -> Option<bool> {
    distinct_names(parts).then(|| matches!(eval(e, parts, None, program, 0), V::Bool(true)))
}

/// No attribute name and no event name in two of `parts`.
pub fn distinct_names(parts: &[&History]) -> bool {
    parts.iter().enumerate().all(|(i, h)| {
        parts[i + 1..].iter().all(|o| {
            h.attributes.iter().all(|(k, _)| o.attributes.iter().all(|(m, _)| k != m))
                && h.events.iter().all(|x| o.events.iter().all(|y| x.event != y.event))
        })
    })
}

/// What evaluation reads of a customer: one history, or the parts of one
/// ([`holds_merged`]). Monomorphised, so evaluating a single history (the hot loop
/// of the search) costs what it did before.
trait Facts<'a>: Copy + 'a {
    /// The first value of an attribute, in the order of the (merged) history.
    fn attribute(self, name: &str) -> Option<&'a Val>;
    /// Every event, in the order of the history; for parts, part after part (the
    /// merged order for the events of any one name, see [`holds_merged`]).
    fn events(self) -> impl Iterator<Item = &'a HistoryEvent> + 'a;
}

impl<'a> Facts<'a> for &'a History {
    fn attribute(self, name: &str) -> Option<&'a Val> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    fn events(self) -> impl Iterator<Item = &'a HistoryEvent> + 'a {
        self.events.iter()
    }
}

impl<'a> Facts<'a> for &'a [&'a History] {
    fn attribute(self, name: &str) -> Option<&'a Val> {
        self.iter().find_map(|h| h.attribute(name))
    }
    fn events(self) -> impl Iterator<Item = &'a HistoryEvent> + 'a {
        self.iter().flat_map(|h| h.events.iter())
    }
}

fn attr_value<'a>(h: impl Facts<'a>, name: &str) -> V<'a> {
    match h.attribute(name) {
        None => V::None,
        Some(Val::Bool(b)) => V::Bool(*b),
        Some(Val::Num(n)) => V::Num(*n),
        Some(Val::Text(t)) => V::Text(t),
        Some(Val::Date(d)) => V::Date(*d),
    }
}

fn val(v: &Val) -> V<'_> {
    match v {
        Val::Bool(b) => V::Bool(*b),
        Val::Num(n) => V::Num(*n),
        Val::Text(t) => V::Text(t),
        Val::Date(d) => V::Date(*d),
    }
}

fn eval<'a>(
    e: &'a Expr,
    h: impl Facts<'a>,
    event: Option<&'a HistoryEvent>,
    program: &'a Program,
    depth: usize,
) -> V<'a> {
    if depth > 32 {
        return V::Bool(false);
    }
    let ev = |x: &'a Expr| eval(x, h, event, program, depth + 1);
    match e {
        Expr::Const { value } => match value {
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) | Value::Money(n) | Value::Percent(n) => V::Num(*n),
            Value::DurationMinutes(m) => V::Dur(*m as i64),
            Value::Date(d) => V::Date(logic::days_from_civil(d).unwrap_or(0)),
            Value::TimeOfDay(m) => V::Num(*m as f64),
            Value::Text(t) => V::Text(t),
        },
        Expr::Attribute { name } => {
            if program.attribute(name).is_some() {
                attr_value(h, name)
            } else if let Some(a) = program.audience(name) {
                V::Bool(matches!(ev(&a.condition), V::Bool(true)))
            } else {
                V::Bool(false)
            }
        }
        Expr::Property { name } => {
            let declared = event
                .and_then(|x| program.event(&x.event))
                .is_some_and(|d| d.properties.iter().any(|p| &p.name == name));
            if declared {
                event.and_then(|x| x.properties.iter().find(|(k, _)| k == name)).map_or(V::None, |(_, v)| val(v))
            } else if program.attribute(name).is_some() {
                attr_value(h, name)
            } else {
                V::Bool(false)
            }
        }
        Expr::Audience { name } => match program.audience(name) {
            Some(a) => V::Bool(matches!(ev(&a.condition), V::Bool(true))),
            None => V::Bool(false),
        },
        Expr::Aggregate(a) => aggregate(a, h, program, depth),
        // issue 15, accounts: a history is one customer's, so the account is theirs alone
        Expr::AccountAggregate(a) => aggregate(a, h, program, depth),
        // three-valued, as in the engine: a comparison with no value is unknown
        // (`None`), `not` keeps it unknown, `and`/`or` are Kleene's
        Expr::Not { expr } => match ev(expr) {
            V::None => V::None,
            v => V::Bool(v != V::Bool(true)),
        },
        Expr::And { all } => kleene(all.iter().map(ev), false),
        Expr::Or { any } => kleene(any.iter().map(ev), true),
        Expr::Compare { cmp, lhs, rhs } => match (ev(lhs), ev(rhs)) {
            (V::None, _) | (_, V::None) => V::None,
            (l, r) => V::Bool(compare(*cmp, &l, &r)),
        },
        Expr::In { value, list } => match ev(value) {
            V::None => V::None,
            v => V::Bool(list.iter().any(|y| compare(CmpOp::Eq, &v, &ev(y)))),
        },
        Expr::IsSet { expr } => V::Bool(ev(expr) != V::None),
        Expr::Add { lhs, rhs } => arith(ev(lhs), ev(rhs), 1),
        Expr::Sub { lhs, rhs } => arith(ev(lhs), ev(rhs), -1),
        // issue 15, as the engine's arith.rs: unknown operands, a division by zero and
        // non-finite results are unknown
        Expr::Mul { lhs, rhs } => match (ev(lhs), ev(rhs)) {
            (V::Num(a), V::Num(b)) if (a * b).is_finite() => V::Num(a * b),
            _ => V::None,
        },
        Expr::Div { lhs, rhs } => match (ev(lhs), ev(rhs)) {
            (V::Num(a), V::Num(b)) if b != 0.0 && (a / b).is_finite() => V::Num(a / b),
            _ => V::None,
        },
        Expr::Min { all } => extreme(all.iter().map(ev), false),
        Expr::Max { all } => extreme(all.iter().map(ev), true),
        Expr::Score { expr, .. } => eval(expr, h, None, program, depth + 1),
        // issue 15: the day of the instant histories are evaluated at
        Expr::Today => V::Date(NOW_MINUTES.div_euclid(1440)),
    }
}

/// `max` (or `min`) of numbers or durations; unknown when any value is.
fn extreme<'a>(values: impl Iterator<Item = V<'a>>, max: bool) -> V<'a> {
    let mut best: Option<V> = None;
    for v in values {
        let better = match (&best, &v) {
            (_, V::None) => return V::None,
            (None, _) => true,
            (Some(V::Num(b)), V::Num(x)) => (x > b) == max && x != b,
            (Some(V::Dur(b)), V::Dur(x)) => (x > b) == max && x != b,
            (Some(_), _) => return V::None,
        };
        if better {
            best = Some(v);
        }
    }
    best.unwrap_or(V::None)
}

/// Kleene's `or` (`wins` = true) or `and` (`wins` = false): the winning value decides,
/// otherwise any unknown makes the result unknown.
fn kleene<'a>(values: impl Iterator<Item = V<'a>>, wins: bool) -> V<'a> {
    let mut unknown = false;
    for v in values {
        match v {
            V::None => unknown = true,
            v if (v == V::Bool(true)) == wins => return V::Bool(wins),
            _ => {}
        }
    }
    if unknown {
        V::None
    } else {
        V::Bool(!wins)
    }
}

/// The events of `h` an aggregate counts, oldest first, without collecting them.
fn matching<'a>(
    h: impl Facts<'a>,
    event: &'a str,
    filter: &'a Option<Box<Expr>>,
    window: Option<u64>,
    program: &'a Program,
    depth: usize,
) -> impl Iterator<Item = &'a HistoryEvent> + 'a {
    h.events()
        .filter(move |x| x.event == event)
        .filter(move |x| window.is_none_or(|w| x.minutes_before < w as i64))
        .filter(move |x| {
            filter.as_ref().is_none_or(|f| matches!(eval(f, h, Some(x), program, depth + 1), V::Bool(true)))
        })
}

fn aggregate<'a>(a: &'a Aggregate, h: impl Facts<'a>, program: &'a Program, depth: usize) -> V<'a> {
    let matching = |event: &'a str, filter: &'a Option<Box<Expr>>, window: Option<u64>| {
        matching(h, event, filter, window, program, depth)
    };
    let amount = |x: &HistoryEvent, p: &str| match x.properties.iter().find(|(k, _)| k == p) {
        Some((_, Val::Num(n))) => *n,
        _ => 0.0,
    };
    match a {
        Aggregate::Count { event, filter, window_minutes } => {
            V::Num(matching(event, filter, *window_minutes).count() as f64)
        }
        Aggregate::Sum { event, property, filter, window_minutes } => {
            V::Num(matching(event, filter, *window_minutes).map(|x| amount(x, property)).sum())
        }
        Aggregate::Avg { event, property, filter, window_minutes } => {
            // the mean of the values there are: an event without the property is no 0
            // (as the engine); two passes rather than a collected list: no allocation
            let carries =
                |x: &&HistoryEvent| x.properties.iter().any(|(k, v)| k == property && matches!(v, Val::Num(_)));
            let n = matching(event, filter, *window_minutes).filter(carries).count();
            if n == 0 {
                V::None
            } else {
                V::Num(
                    matching(event, filter, *window_minutes).filter(carries).map(|x| amount(x, property)).sum::<f64>()
                        / n as f64,
                )
            }
        }
        Aggregate::Since { event, filter } => {
            matching(event, filter, None).map(|x| x.minutes_before).min().map_or(V::None, V::Dur)
        }
        Aggregate::SinceFirst { event, filter } => {
            matching(event, filter, None).map(|x| x.minutes_before).max().map_or(V::None, V::Dur)
        }
        // issue 15: the value on the most recent matching event that carries one
        Aggregate::Latest { event, property, filter } => matching(event, filter, None)
            .filter_map(|x| match x.properties.iter().find(|(k, _)| k == property) {
                Some((_, Val::Num(n))) => Some((x.minutes_before, *n)),
                _ => None,
            })
            .min_by_key(|(ago, _)| *ago)
            .map_or(V::None, |(_, n)| V::Num(n)),
        Aggregate::SinceAttribute { attribute } => match attr_value(h, attribute) {
            V::Date(d) => V::Dur(NOW_MINUTES - d * 1440),
            V::Time(t) => V::Dur(NOW_MINUTES - t),
            _ => V::None,
        },
    }
}

fn arith<'a>(l: V<'a>, r: V<'a>, sign: i64) -> V<'a> {
    match (l, r) {
        (V::Date(d), V::Dur(x)) if x % 1440 == 0 => V::Date(d + sign * (x / 1440)),
        (V::Date(d), V::Dur(x)) => V::Time(d * 1440 + sign * x),
        (V::Time(t), V::Dur(x)) => V::Time(t + sign * x),
        (V::Dur(a), V::Dur(b)) => V::Dur(a + sign * b),
        (V::Num(a), V::Num(b)) => V::Num(a + sign as f64 * b),
        (V::Time(a), V::Time(b)) if sign < 0 => V::Dur(a - b),
        _ => V::None,
    }
}

fn compare(op: CmpOp, l: &V, r: &V) -> bool {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (V::Num(a), V::Num(b)) => a.partial_cmp(b),
        (V::Dur(a), V::Dur(b)) | (V::Date(a), V::Date(b)) | (V::Time(a), V::Time(b)) => Some(a.cmp(b)),
        (V::Date(a), V::Time(b)) => Some((a * 1440).cmp(b)),
        (V::Time(a), V::Date(b)) => Some(a.cmp(&(b * 1440))),
        (V::Text(a), V::Text(b)) => Some(a.cmp(b)),
        (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let Some(o) = ord else { return false };
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

// ---------------------------------------------------------------- search

/// Conjunction combinations tried per question.
const COMBINATIONS: usize = 24;
/// Events of one kind in a history at most.
const MAX_EVENTS: usize = 6;
/// Candidate histories of one event kind tried per conjunction at most.
const EVENT_BUDGET: usize = 4_000;

/// A history in which every one of `exprs` holds, when the search finds one. `prepared`
/// are the same conditions in the reasoner's normal form (the search follows the
/// constraints of one conjunction of each).
pub fn search(exprs: &[&Expr], prepared: &[&Prepared], program: &Program) -> Option<History> {
    let dnfs: Vec<&[Conj]> = prepared.iter().map(|p| p.dnf.as_deref()).collect::<Option<_>>()?;
    let mut walk = Product { dnfs, made: vec![0; prepared.len()], tried: 0, exprs, program };
    match walk.from(0, &Conj::default()) {
        Walked::Found(h) => Some(h),
        Walked::Stop | Walked::On => None,
    }
}

/// The conjunctions of the product of normal forms, in order, as long as the product
/// stays small: level by level, the first `4 * COMBINATIONS` satisfiable ones of the
/// level before each combined with every conjunction of the next normal form; of the
/// last level, the first [`COMBINATIONS`] without opaque parts are tried. Walked
/// depth first, which visits them in the same order as building each level in full
/// would, and stops at the first that gives a history (building the levels was a
/// third of a search, mostly conjunctions never tried).
struct Product<'a> {
    dnfs: Vec<&'a [Conj]>,
    /// Conjunctions made so far on each level (at most `4 * COMBINATIONS`).
    made: Vec<usize>,
    /// Conjunctions of the last level tried.
    tried: usize,
    exprs: &'a [&'a Expr],
    program: &'a Program,
}

enum Walked {
    Found(History),
    /// The search is over: the last level's tries are used up.
    Stop,
    /// Go on with the next conjunction.
    On,
}

impl Product<'_> {
    /// Combine `x` (a conjunction of the levels before `level`) with the rest.
    fn from(&mut self, level: usize, x: &Conj) -> Walked {
        if level == self.dnfs.len() {
            return self.try_conj(x);
        }
        for y in self.dnfs[level] {
            if self.made[level] >= COMBINATIONS * 4 {
                return Walked::On;
            }
            let Some(c) = x.and(y) else { continue };
            self.made[level] += 1;
            match self.from(level + 1, &c) {
                Walked::On => {}
                done => return done,
            }
        }
        Walked::On
    }

    fn try_conj(&mut self, conj: &Conj) -> Walked {
        if !conj.opaque.is_empty() {
            return Walked::On;
        }
        if self.tried >= COMBINATIONS {
            return Walked::Stop;
        }
        self.tried += 1;
        if let Some(h) = realize(conj, self.program) {
            if self.exprs.iter().all(|e| holds(e, &h, self.program)) {
                return Walked::Found(h);
            }
        }
        Walked::On
    }
}

/// A history meeting every constraint of `conj`, term by term: attributes take a
/// value of their constraint, and each event kind's aggregates are met by a small
/// enumeration of event times.
fn realize(conj: &Conj, program: &Program) -> Option<History> {
    let mut h = History::default();
    // attributes (and since(date attribute))
    for c in conj.discs.values() {
        if let Expr::Attribute { name } = &c.term {
            let v = match &c.set {
                logic::DSet::Only(s) => s.iter().next().cloned(),
                logic::DSet::AllBut(s) => {
                    let mut n = 0;
                    Some(loop {
                        let cand = if n == 0 { "other".to_string() } else { format!("other{n}") };
                        if !s.contains(&cand) {
                            break cand;
                        }
                        n += 1;
                    })
                }
            };
            if let Some(v) = v {
                let v = if c.is_bool { Val::Bool(v == "true") } else { Val::Text(v) };
                h.attributes.push((name.clone(), v));
            }
        }
    }
    let mut events: BTreeSet<&str> = BTreeSet::new();
    for c in conj.nums.values() {
        match &c.term {
            Expr::Attribute { name } => {
                if let Some(i) = c.set.0.first() {
                    let x = logic::pick(i, c);
                    let ty = program.attribute(name).map(|a| &a.ty);
                    let v = if matches!(ty, Some(Type::Date)) { Val::Date(x as i64) } else { Val::Num(x) };
                    h.attributes.push((name.clone(), v));
                }
            }
            Expr::Aggregate(Aggregate::SinceAttribute { attribute }) => {
                if let Some(i) = c.set.0.first() {
                    let x = logic::pick(i, c);
                    if x.is_finite() {
                        // a date whose midnight is `x` minutes or more before the instant
                        let days = ((NOW_MINUTES as f64 - x) / 1440.0).floor() as i64;
                        h.attributes.retain(|(k, _)| k != attribute);
                        h.attributes.push((attribute.clone(), Val::Date(days)));
                    }
                }
            }
            Expr::Aggregate(a) => {
                events.insert(agg_event(a));
            }
            _ => {}
        }
    }
    h.attributes.sort_by(|a, b| a.0.cmp(&b.0));
    for e in events {
        let terms: Vec<&logic::NumC> = conj
            .nums
            .values()
            .filter(|c| matches!(&c.term, Expr::Aggregate(a) if !matches!(a, Aggregate::SinceAttribute { .. }) && agg_event(a) == e))
            .collect();
        let found = events_for(e, &terms, &h, program)?;
        h.events.extend(found);
    }
    h.events.sort_by(|a, b| b.minutes_before.cmp(&a.minutes_before).then(a.event.cmp(&b.event)));
    Some(h)
}

/// Property profiles for the events of a search: for each property of `event` that a
/// `where` filter of `terms` compares with constants (other than the searched amount
/// `property`), values that make the comparison true and false; the profiles are
/// their combinations (a few at most). One empty profile when no filter reads one.
fn filter_profiles(
    event: &str,
    terms: &[&logic::NumC],
    property: Option<&str>,
    program: &Program,
) -> Vec<Vec<(String, Val)>> {
    let Some(def) = program.event(event) else { return vec![Vec::new()] };
    let mut values: std::collections::BTreeMap<String, Vec<Val>> = Default::default();
    for c in terms {
        let filter = match &c.term {
            Expr::Aggregate(
                Aggregate::Count { filter: Some(f), .. }
                | Aggregate::Sum { filter: Some(f), .. }
                | Aggregate::Avg { filter: Some(f), .. }
                | Aggregate::Since { filter: Some(f), .. }
                | Aggregate::SinceFirst { filter: Some(f), .. }
                | Aggregate::Latest { filter: Some(f), .. },
            ) => f,
            _ => continue,
        };
        collect_filter_values(filter, &mut |name, v| {
            if Some(name) == property {
                return;
            }
            let Some(p) = def.properties.iter().find(|p| p.name == name) else { return };
            let list = values.entry(name.to_string()).or_default();
            for x in with_other(v, &p.ty) {
                if !list.contains(&x) {
                    list.push(x);
                }
            }
        });
    }
    let mut profiles: Vec<Vec<(String, Val)>> = vec![Vec::new()];
    for (name, vs) in values {
        let mut next = Vec::new();
        for base in &profiles {
            for v in &vs {
                let mut p = base.clone();
                p.push((name.clone(), v.clone()));
                next.push(p);
            }
        }
        profiles = next;
        if profiles.len() > MAX_PROFILES {
            profiles.truncate(MAX_PROFILES);
            break;
        }
    }
    profiles
}

/// Property profiles per search at most (the slots multiply the candidates).
const MAX_PROFILES: usize = 6;

/// `(property, constant)` of every comparison of a property with a constant in `f`.
fn collect_filter_values(f: &Expr, out: &mut dyn FnMut(&str, &Value)) {
    match f {
        Expr::Compare { lhs, rhs, .. } => match (&**lhs, &**rhs) {
            (Expr::Property { name }, Expr::Const { value }) | (Expr::Const { value }, Expr::Property { name }) => {
                out(name, value)
            }
            _ => {}
        },
        Expr::In { value, list } => {
            if let Expr::Property { name } = &**value {
                for x in list {
                    if let Expr::Const { value } = x {
                        out(name, value);
                    }
                }
            }
        }
        Expr::Not { expr } => collect_filter_values(expr, out),
        Expr::And { all: xs } | Expr::Or { any: xs } => xs.iter().for_each(|x| collect_filter_values(x, out)),
        _ => {}
    }
}

/// The constant, and a value of the property's type that differs from it (so both
/// outcomes of `==`, `!=`, `<`, `>` are tried).
fn with_other(v: &Value, ty: &Type) -> Vec<Val> {
    match v {
        Value::Text(t) => {
            let other = match ty {
                Type::OneOf { choices } => choices.iter().find(|c| *c != t).cloned(),
                _ => Some(if t == "other" { "other1".to_string() } else { "other".to_string() }),
            };
            std::iter::once(Val::Text(t.clone())).chain(other.map(Val::Text)).collect()
        }
        Value::Bool(b) => vec![Val::Bool(*b), Val::Bool(!b)],
        Value::Number(n) | Value::Money(n) | Value::Percent(n) => {
            vec![Val::Num(*n), Val::Num(n + 1.0), Val::Num(n - 1.0)]
        }
        _ => Vec::new(),
    }
}

fn agg_event(a: &Aggregate) -> &str {
    match a {
        Aggregate::Count { event, .. }
        | Aggregate::Sum { event, .. }
        | Aggregate::Avg { event, .. }
        | Aggregate::Since { event, .. }
        | Aggregate::SinceFirst { event, .. }
        | Aggregate::Latest { event, .. } => event,
        Aggregate::SinceAttribute { attribute } => attribute,
    }
}

/// Does the value of a term meet its constraint?
fn meets(c: &logic::NumC, v: &V) -> bool {
    let x = match v {
        V::None => return c.null_ok,
        V::Num(n) => *n,
        V::Dur(m) => *m as f64,
        _ => return false,
    };
    c.set.0.iter().any(|i| (x > i.lo || (x == i.lo && i.lo_inc)) && (x < i.hi || (x == i.hi && i.hi_inc)) && x != INF)
}

/// Does the value of `c`'s term on `h` meet `c`? (For the tests of the search's
/// shortcuts against brute force.)
#[cfg(test)]
pub(crate) fn term_meets(c: &logic::NumC, h: &History, program: &Program) -> bool {
    meets(c, &eval(&c.term, h, None, program, 0))
}

/// The empty history of an event, when it meets every term (no `since` can be met).
fn events_for_none(terms: &[&logic::NumC], base: &History, program: &Program) -> Option<Vec<HistoryEvent>> {
    let h = History { attributes: base.attributes.clone(), events: Vec::new() };
    terms.iter().all(|c| meets(c, &eval(&c.term, &h, None, program, 0))).then(Vec::new)
}

/// Events of kind `event` that give every term of `terms` a value its constraint
/// allows: multisets of event ages drawn from the boundaries the constraints mention.
fn events_for(event: &str, terms: &[&logic::NumC], base: &History, program: &Program) -> Option<Vec<HistoryEvent>> {
    let mut points: BTreeSet<i64> = [0].into();
    let mut amounts: Vec<f64> = vec![1.0];
    let mut need = 1usize;
    let mut property: Option<String> = None;
    for c in terms {
        let window = match &c.term {
            Expr::Aggregate(Aggregate::Count { window_minutes, .. }) => *window_minutes,
            Expr::Aggregate(Aggregate::Sum { window_minutes, property: p, .. })
            | Expr::Aggregate(Aggregate::Avg { window_minutes, property: p, .. }) => {
                property = Some(p.clone());
                *window_minutes
            }
            _ => None,
        };
        if let Some(w) = window {
            points.extend([w as i64 - 1, w as i64]);
        }
        let is_time = matches!(&c.term, Expr::Aggregate(Aggregate::Since { .. } | Aggregate::SinceFirst { .. }));
        for i in &c.set.0 {
            for b in [i.lo, i.hi] {
                if !b.is_finite() {
                    continue;
                }
                if is_time {
                    let b = b.round() as i64;
                    points.extend([b - 1, b, b + 1, b + 1440]);
                } else if matches!(&c.term, Expr::Aggregate(Aggregate::Count { .. })) {
                    need = need.max(b.max(0.0) as usize + 1);
                } else {
                    amounts.extend([b, b + 1.0, b - 1.0, b / 2.0, (b + 1.0) / 2.0]);
                }
            }
        }
    }
    let far = points.iter().max().copied().unwrap_or(0) + 30 * 1440;
    points.insert(far);
    let ages_only: Vec<i64> = points.into_iter().filter(|&p| p >= 0).collect();
    // Filters on other properties of the event (`where kind == "gift"`): each event
    // takes one of a few property profiles, values that pass and fail each filter.
    // Without such filters there is one empty profile and the slots are the ages.
    let profiles = filter_profiles(event, terms, property.as_deref(), program);
    let slots: Vec<(i64, usize)> = ages_only.iter().flat_map(|&p| (0..profiles.len()).map(move |k| (p, k))).collect();
    let points: Vec<i64> = slots.iter().map(|s| s.0).collect();
    let need = need.min(MAX_EVENTS);
    amounts.sort_by(|a, b| a.total_cmp(b));
    amounts.dedup();
    if property.is_none() {
        amounts.truncate(1);
    }
    // the aggregates compiled once: a proof that nothing can meet them ends the
    // search at once, and filter-free ones are evaluated on the ages directly
    let compiled: Option<Vec<event_terms::Compiled>> =
        terms.iter().map(|c| event_terms::compile(c, property.as_deref())).collect();
    if compiled.as_ref().is_some_and(|t| !event_terms::feasible(t)) {
        return None;
    }
    let mut ages: Vec<i64> = Vec::with_capacity(need);
    let mut tried = 0usize;
    // One history reused for every candidate: only the events' ages and amounts change
    // (the search tries thousands, and allocating each was most of `check`'s time).
    let template = HistoryEvent {
        minutes_before: 0,
        event: event.to_string(),
        properties: property.iter().map(|p| (p.clone(), Val::Num(0.0))).collect(),
    };
    let mut h = History { attributes: base.attributes.clone(), events: Vec::new() };
    // multisets of `k` ages, k = 0..=need, in lexicographic order of indices
    let fewest = compiled.as_ref().map_or(0, |t| event_terms::fewest_events(t));
    // The youngest event decides `since` and the oldest `since_first`: candidates whose
    // youngest age fails a `since` are skipped as a block, those whose oldest fails a
    // `since_first` one by one, neither counted against the budget. Only candidates
    // that fail anyway are skipped, so the order of the rest, and the first witness,
    // are those of the plain enumeration.
    let age_ok = |kind: event_terms::Kind| -> Vec<bool> {
        points
            .iter()
            .map(|&p| {
                compiled
                    .iter()
                    .flatten()
                    .filter(|t| t.kind == kind && !t.filtered)
                    .all(|t| event_terms::meets(t.c, event_terms::Value::Dur(p)))
            })
            .collect()
    };
    let youngest_ok = age_ok(event_terms::Kind::Since);
    let oldest_ok = age_ok(event_terms::Kind::SinceFirst);
    let Some(first) = youngest_ok.iter().position(|&ok| ok) else {
        // no age meets every `since`: only the empty history can
        return if fewest == 0 { events_for_none(terms, &h, program) } else { None };
    };
    for k in fewest..=need {
        let mut idx = vec![if k == 0 { 0 } else { first }; k];
        h.events.resize(k, template.clone());
        loop {
            let skip = k > 0 && !oldest_ok[idx[k - 1]];
            for &amount in amounts.iter().filter(|_| !skip) {
                tried += 1;
                if tried > EVENT_BUDGET {
                    return None;
                }
                for (e, &i) in h.events.iter_mut().zip(&idx) {
                    e.minutes_before = points[i];
                    if profiles.len() > 1 {
                        e.properties.truncate(usize::from(property.is_some()));
                        e.properties.extend(profiles[slots[i].1].iter().cloned());
                    }
                    for p in e.properties.iter_mut().take(usize::from(property.is_some())) {
                        p.1 = Val::Num(amount);
                    }
                }
                // ascending, as `points` is sorted and the indices never decrease
                ages.clear();
                ages.extend(idx.iter().map(|&i| points[i]));
                let ok = match &compiled {
                    Some(compiled) => compiled.iter().all(|t| {
                        if t.filtered {
                            meets(t.c, &eval(&t.c.term, &h, None, program, 0))
                        } else {
                            event_terms::meets(t.c, t.value(&ages, amount))
                        }
                    }),
                    None => terms.iter().all(|c| meets(c, &eval(&c.term, &h, None, program, 0))),
                };
                if ok {
                    return Some(h.events);
                }
            }
            // next multiset (non-decreasing indices)
            let mut i = k;
            let mut advanced = false;
            while i > 0 {
                i -= 1;
                if idx[i] + 1 < points.len() {
                    idx[i] += 1;
                    for q in i + 1..k {
                        idx[q] = idx[i];
                    }
                    advanced = true;
                    break;
                }
            }
            if advanced && !youngest_ok[idx[0]] {
                // every candidate with this youngest age fails: on to the next one
                match (idx[0]..points.len()).find(|&i| youngest_ok[i]) {
                    Some(next) => idx.iter_mut().for_each(|x| *x = next),
                    None => advanced = false,
                }
            }
            if !advanced {
                break;
            }
        }
    }
    None
}

// ---------------------------------------------------------------- undecided pairs

/// What a closer look at conditions the search found no history for concludes.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A history in which every condition holds (checked by [`holds`]).
    Found(History),
    /// Proven: no customer meets every condition (every conjunction of the product is
    /// contradictory, or [`event_terms::feasible`] rules out its events).
    Impossible,
    /// Neither: what was found, and what stayed open.
    Undecided(Undecided),
}

/// Why the witness search could neither find a history nor rule one out, for a
/// finding that says so instead of staying silent.
#[derive(Debug, Clone, PartialEq)]
pub struct Undecided {
    /// Attribute values meeting every attribute constraint of the first open
    /// conjunction (no events).
    pub profile: History,
    /// The constraints left open, rendered: `count(order, 10d) >= 2`, or a condition
    /// the search does not evaluate (`score * 2 > 3`).
    pub open: Vec<String>,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The conditions are too large for the normal form.
    TooLarge,
    /// They compare computed values (arithmetic, scores, two terms) the search does
    /// not enumerate.
    Unmodelled,
    /// No history of some event was found within the search's bounds, and none was
    /// ruled out.
    Bounds,
    /// A history meets every constraint the reasoner extracted, but the conditions
    /// themselves do not hold on it (filters, `latest`).
    NotConfirmed,
    /// A fuller look than the witness search's found a customer in all of them, but
    /// not one the witness search builds (whose histories the tests replay through
    /// the engine), so it is not shown as a witness.
    Unconfirmed,
}

impl fmt::Display for Undecided {
    /// `` `plan` = "pro" meets both; open: `count(order, 10d)` >= 2, `since(order)` > 20d
    /// (no history of these events within the search's bounds) ``
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.profile.attributes.is_empty() {
            f.write_str("no attribute constraint in the way")?;
        } else {
            let attrs: Vec<String> = self.profile.attributes.iter().map(|(k, v)| format!("`{k}` = {v}")).collect();
            write!(f, "{} meets the attribute constraints of both", attrs.join(", "))?;
        }
        if !self.open.is_empty() {
            write!(f, "; open: {}", self.open.join(", "))?;
        }
        f.write_str(match self.reason {
            Reason::TooLarge => " (the conditions are too large to analyse)",
            Reason::Unmodelled => " (computed values the search does not enumerate)",
            Reason::Bounds => " (no event history found within the search's bounds, none ruled out)",
            Reason::NotConfirmed => " (the history meeting these constraints does not satisfy the filters)",
            Reason::Unconfirmed => {
                " (a fuller search finds a customer in all of them, but not a witness history the engine replays)"
            }
        })
    }
}

/// Conjunctions looked at in full when the search failed: the reasoner's product of
/// two normal forms rarely exceeds this.
const EXPLAIN_COMBINATIONS: usize = 256;

/// Why [`search`] found no history for `exprs`, looking at every conjunction of the
/// product (not only the first [`COMBINATIONS`]), each with the full event
/// enumeration: [`Outcome::Impossible`] only on a proof, [`Outcome::Found`] when a
/// conjunction the search skipped has a history. Slower than [`search`]; the calendar
/// asks it only of pairs the search failed on (memoised).
pub fn explain(exprs: &[&Expr], prepared: &[&Prepared], program: &Program) -> Outcome {
    let too_large = || too_large(exprs);
    let mut acc = vec![Conj::default()];
    let mut truncated = false;
    for p in prepared {
        let Some(d) = p.dnf.as_ref() else { return too_large() };
        let mut next = Vec::new();
        'outer: for x in &acc {
            for y in d {
                if let Some(c) = x.and(y) {
                    next.push(c);
                    if next.len() >= EXPLAIN_COMBINATIONS {
                        truncated = true;
                        break 'outer;
                    }
                }
            }
        }
        acc = next;
        if acc.is_empty() {
            // a contradiction in the complete product is a proof; in a truncated
            // one it is not
            return if truncated { too_large() } else { Outcome::Impossible };
        }
    }
    let mut first_open: Option<Undecided> = None;
    for conj in &acc {
        match explain_conj(conj, exprs, program) {
            Outcome::Found(h) => return Outcome::Found(h),
            Outcome::Impossible => {}
            Outcome::Undecided(u) => {
                first_open.get_or_insert(u);
            }
        }
    }
    match first_open {
        Some(u) => Outcome::Undecided(u),
        None if truncated => too_large(),
        None => Outcome::Impossible,
    }
}

/// [`explain`], enough for a caller that only tells "impossible" from "possible, and
/// why not decided" (a history found here is one the witness search did not find):
/// the product of the normal forms walked depth first, each conjunction looked at as
/// soon as it is whole, up to the first that is not impossible. Built breadth first, the whole product (up to
/// [`EXPLAIN_COMBINATIONS`] conjunctions, each a copy of the constraints) cost more
/// than looking at them, when the first was already the answer. Impossible only when
/// the whole product was walked.
pub fn explain_first(exprs: &[&Expr], prepared: &[&Prepared], program: &Program) -> Outcome {
    let Some(dnfs) = prepared.iter().map(|p| p.dnf.as_deref()).collect::<Option<Vec<&[Conj]>>>() else {
        return too_large(exprs);
    };
    struct Walk<'a> {
        dnfs: Vec<&'a [Conj]>,
        exprs: &'a [&'a Expr],
        program: &'a Program,
        /// Conjunctions still to look at, and whether some were left unlooked at.
        budget: usize,
        truncated: bool,
    }
    impl Walk<'_> {
        fn go(&mut self, i: usize, acc: &Conj) -> Option<Outcome> {
            if i == self.dnfs.len() {
                self.budget -= 1;
                return match explain_conj(acc, self.exprs, self.program) {
                    Outcome::Impossible => None,
                    other => Some(other),
                };
            }
            for y in self.dnfs[i] {
                if self.budget == 0 {
                    self.truncated = true;
                    return None;
                }
                if let Some(next) = acc.and(y) {
                    if let Some(o) = self.go(i + 1, &next) {
                        return Some(o);
                    }
                }
            }
            None
        }
    }
    let mut walk = Walk { dnfs, exprs, program, budget: EXPLAIN_COMBINATIONS, truncated: false };
    match walk.go(0, &Conj::default()) {
        Some(o) => o,
        None if walk.truncated => too_large(exprs),
        None => Outcome::Impossible,
    }
}

/// What [`explain`] says of conditions too large to analyse.
fn too_large(exprs: &[&Expr]) -> Outcome {
    Outcome::Undecided(Undecided {
        profile: History::default(),
        open: exprs.iter().map(|e| format!("`{}`", logic::render(e))).collect(),
        reason: Reason::TooLarge,
    })
}

/// One conjunction: its attributes realised, then each event kind on its own.
fn explain_conj(conj: &Conj, exprs: &[&Expr], program: &Program) -> Outcome {
    let profile = attribute_profile(conj, program);
    if !conj.opaque.is_empty() {
        let mut open = Vec::new();
        for e in exprs {
            opaque_parts(e, &conj.opaque, program, &mut open, &mut Vec::new());
        }
        if open.is_empty() {
            open.push("a condition the reasoner keeps whole".into());
        }
        return Outcome::Undecided(Undecided { profile, open, reason: Reason::Unmodelled });
    }
    let mut events: BTreeSet<&str> = BTreeSet::new();
    for c in conj.nums.values() {
        if let Expr::Aggregate(a) = &c.term {
            if !matches!(a, Aggregate::SinceAttribute { .. }) {
                events.insert(agg_event(a));
            }
        }
    }
    let Some(base) = realize_attributes(conj, program) else {
        return Outcome::Undecided(Undecided { profile, open: Vec::new(), reason: Reason::Bounds });
    };
    let mut h = base.clone();
    let mut open: Vec<String> = Vec::new();
    for e in events {
        let terms: Vec<&logic::NumC> = conj
            .nums
            .values()
            .filter(|c| matches!(&c.term, Expr::Aggregate(a) if !matches!(a, Aggregate::SinceAttribute { .. }) && agg_event(a) == e))
            .collect();
        // a proof for one event kind rules out the whole conjunction
        let compiled: Option<Vec<event_terms::Compiled>> =
            terms.iter().map(|c| event_terms::compile(c, property_of(&terms).as_deref())).collect();
        if compiled.as_ref().is_some_and(|t| !event_terms::feasible(t)) {
            return Outcome::Impossible;
        }
        match events_for(e, &terms, &base, program) {
            Some(found) => h.events.extend(found),
            None => open.extend(terms.iter().map(|c| describe(c, &program.currency))),
        }
    }
    if !open.is_empty() {
        return Outcome::Undecided(Undecided { profile, open, reason: Reason::Bounds });
    }
    h.events.sort_by(|a, b| b.minutes_before.cmp(&a.minutes_before).then(a.event.cmp(&b.event)));
    if exprs.iter().all(|e| holds(e, &h, program)) {
        return Outcome::Found(h);
    }
    let open = exprs.iter().filter(|e| !holds(e, &h, program)).map(|e| format!("`{}`", logic::render(e))).collect();
    Outcome::Undecided(Undecided { profile, open, reason: Reason::NotConfirmed })
}

/// The property the sums and averages of one event read (as [`events_for`] picks it).
fn property_of(terms: &[&logic::NumC]) -> Option<String> {
    terms.iter().rev().find_map(|c| match &c.term {
        Expr::Aggregate(Aggregate::Sum { property, .. } | Aggregate::Avg { property, .. }) => Some(property.clone()),
        _ => None,
    })
}

/// The attributes of [`realize`], without events: the profile an undecided finding
/// shows.
fn attribute_profile(conj: &Conj, program: &Program) -> History {
    let mut plain = conj.clone();
    plain.opaque.clear();
    realize_attributes(&plain, program).unwrap_or_default()
}

/// [`realize`] with no event kind: attribute values only.
fn realize_attributes(conj: &Conj, program: &Program) -> Option<History> {
    let mut only = conj.clone();
    only.nums.retain(|_, c| match &c.term {
        Expr::Aggregate(a) => matches!(a, Aggregate::SinceAttribute { .. }),
        _ => true,
    });
    realize(&only, program)
}

/// A numeric constraint, as a marketer reads it: `` `count(order, 10d)` >= 2 ``.
fn describe(c: &logic::NumC, currency: &str) -> String {
    let v = |x: f64| logic::fmt_value(x, c.unit, currency);
    let mut alts: Vec<String> = c
        .set
        .0
        .iter()
        .map(|i| {
            let (lo, hi) = (i.lo.is_finite(), i.hi.is_finite());
            let ge = if i.lo_inc { ">=" } else { ">" };
            let le = if i.hi_inc { "<=" } else { "<" };
            match (lo, hi) {
                (true, true) if i.lo == i.hi => format!("= {}", v(i.lo)),
                (true, true) => format!("{ge} {} and {le} {}", v(i.lo), v(i.hi)),
                (true, false) => format!("{ge} {}", v(i.lo)),
                (false, true) => format!("{le} {}", v(i.hi)),
                (false, false) if i.lo == INF => "never".to_string(),
                (false, false) => "any value".to_string(),
            }
        })
        .collect();
    if c.null_ok {
        alts.push("unset".into());
    }
    if alts.is_empty() {
        alts.push("no value".into());
    }
    format!("`{}` {}", c.display, alts.join(" or "))
}

/// The parts of `e` the reasoner keeps opaque in `keys` (audiences expanded), rendered.
fn opaque_parts(
    e: &Expr,
    keys: &std::collections::BTreeMap<String, u8>,
    program: &Program,
    out: &mut Vec<String>,
    expanding: &mut Vec<String>,
) {
    if keys.contains_key(&format!("{e:?}")) {
        let r = format!("`{}`", logic::render(e));
        if !out.contains(&r) {
            out.push(r);
        }
        return;
    }
    match e {
        Expr::Not { expr } => opaque_parts(expr, keys, program, out, expanding),
        Expr::And { all: xs } | Expr::Or { any: xs } => {
            xs.iter().for_each(|x| opaque_parts(x, keys, program, out, expanding))
        }
        Expr::Audience { name } | Expr::Attribute { name } if !expanding.contains(name) => {
            if let Some(a) = program.audience(name) {
                expanding.push(name.clone());
                opaque_parts(&a.condition, keys, program, out, expanding);
                expanding.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    /// The display as it was written before, by joining strings (the oracle of the
    /// piece-by-piece [`fmt::Display`] of [`History`]).
    fn joined(h: &History) -> String {
        let mut parts: Vec<String> = h.attributes.iter().map(|(k, v)| format!("`{k}` = {v}")).collect();
        if h.events.is_empty() {
            parts.push("no events".into());
        }
        let events: Vec<String> = h
            .events
            .iter()
            .map(|e| {
                let when = if e.minutes_before == 0 {
                    "just now".to_string()
                } else {
                    format!("{} ago", logic::fmt_minutes(e.minutes_before as u64))
                };
                let props: Vec<String> = e.properties.iter().map(|(k, v)| format!("{k} {v}")).collect();
                if props.is_empty() {
                    format!("`{}` {when}", e.event)
                } else {
                    format!("`{}` ({}) {when}", e.event, props.join(", "))
                }
            })
            .collect();
        if !events.is_empty() {
            parts.push(format!("events {}", events.join(", ")));
        }
        parts.join("; ")
    }

    #[test]
    fn display_agrees_with_joining_strings() {
        let mut seed = 0x5eed_1234_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..5_000 {
            let val = |next: &mut dyn FnMut(u64) -> u64| match next(4) {
                0 => Val::Bool(next(2) == 0),
                1 => Val::Num(next(2000) as f64 / [1.0, 4.0][next(2) as usize]),
                2 => Val::Text(["pro", "", "a b"][next(3) as usize].to_string()),
                _ => Val::Date(next(30000) as i64),
            };
            let h = History {
                attributes: (0..next(4)).map(|i| (format!("attr{i}"), val(&mut next))).collect(),
                events: (0..next(4))
                    .map(|_| HistoryEvent {
                        minutes_before: [0, 1, 59, 1440, 20160, next(100_000) as i64][next(6) as usize],
                        event: ["purchase", "email_click"][next(2) as usize].to_string(),
                        properties: (0..next(3)).map(|i| (format!("p{i}"), val(&mut next))).collect(),
                    })
                    .collect(),
            };
            assert_eq!(h.to_string(), joined(&h), "{h:?}");
        }
    }
}
