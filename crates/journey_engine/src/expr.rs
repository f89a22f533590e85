//! Conditions compiled for evaluation: names resolved to indexes (attributes, event
//! properties, audiences, aggregate trackers), constants converted to engine values
//! (durations in milliseconds, dates in days since 1970-01-01).

use crate::slot_queue::SlotQueue;
use crate::time::{self, DAY, MINUTE};
use crate::AttrValue;
use chrono_tz::Tz;
use journey_events::{Event, Interner, PropValue};
use journey_ir::{Aggregate, CmpOp, Expr, Program, Value};

/// A value during evaluation. `None` is "no value" (a missing attribute, `avg` of no
/// events, `since` of something that never happened). Conditions follow SQL's
/// three-valued logic: a comparison with no value is unknown (`None`), `not unknown`
/// is unknown, `and`/`or` are Kleene's (`false and unknown` is false, `true or
/// unknown` is true), and a condition that ends unknown does not hold. So
/// `account_type != "clinic"` and `not (account_type == "clinic")` agree: neither
/// holds for a customer without an `account_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum V<'a> {
    None,
    Bool(bool),
    Num(f64),
    /// Milliseconds.
    Dur(i64),
    /// Days since 1970-01-01.
    Date(i64),
    /// Milliseconds since the epoch.
    Time(i64),
    Text(&'a str),
}

impl V<'_> {
    pub fn truthy(&self) -> bool {
        matches!(self, V::Bool(true))
    }
}

#[derive(Debug, Clone)]
pub enum CExpr {
    Const(ConstV),
    Attr(usize),
    Prop(usize),
    Audience(usize),
    Agg(usize),
    SinceAttr(usize),
    Not(Box<CExpr>),
    And(Vec<CExpr>),
    Or(Vec<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    In(Box<CExpr>, Vec<CExpr>),
    Add(Box<CExpr>, Box<CExpr>),
    Sub(Box<CExpr>, Box<CExpr>),
    /// `x is set`: never unknown.
    IsSet(Box<CExpr>),
    // issue 15: arithmetic (see arith.rs); named scores are inlined when compiled
    Mul(Box<CExpr>, Box<CExpr>),
    Div(Box<CExpr>, Box<CExpr>),
    Min(Vec<CExpr>),
    Max(Vec<CExpr>),
    /// issue 15: `today`, the clock's local date in the customer's zone.
    Today,
}

#[derive(Debug, Clone)]
pub enum ConstV {
    Bool(bool),
    Num(f64),
    Dur(i64),
    Date(i64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    Sum,
    Avg,
    Since,
    SinceFirst,
    /// issue 15: `latest(EVENT.PROPERTY)`
    Latest,
}

/// One behaviour aggregate the program uses; identical aggregates share a tracker.
#[derive(Debug, Clone)]
pub struct AggSpec {
    pub kind: AggKind,
    pub event: u16,
    pub prop: Option<usize>,
    pub filter: Option<CExpr>,
    /// Milliseconds; `None` is all history.
    pub window: Option<i64>,
    /// For a windowed count: the counts `m` at which some condition of the program
    /// answers differently for `m` and `m - 1` (ascending), when every use of the
    /// count is a comparison with a number; `None` when any other use may see every
    /// change. As events leave the window, only the departures that bring the count
    /// below such a level can change an answer, so only those need a timer.
    pub levels: Option<Vec<u64>>,
    /// For a `since` or `since_first`: the durations (ms, ascending) some condition
    /// compares it with, when every use of it is such a comparison; `None` when any
    /// other use may see it cross any duration of the program (`Engine::durations`).
    /// Its answers change only where it crosses one of them, so only those need a
    /// flip (issue 16).
    pub thresholds: Option<Vec<i64>>,
    /// issue 15, accounts: fed by the events of every customer of the account (the
    /// driver hands each customer their account's other events, see `Driver`).
    pub account: bool,
    source: Aggregate,
}

/// The counts `m` at which `count OP c` answers differently for `m` and `m - 1`.
fn levels_of(op: CmpOp, c: f64) -> Vec<u64> {
    let at = |m: f64| if m >= 1.0 && m.is_finite() { vec![m as u64] } else { Vec::new() };
    match op {
        // `>= c` and `< c` hold from / below ceil(c); `> c` and `<= c` switch at floor(c) + 1
        CmpOp::Ge | CmpOp::Lt => at(c.ceil()),
        CmpOp::Gt | CmpOp::Le => at(c.floor() + 1.0),
        CmpOp::Eq | CmpOp::Ne if c.fract() == 0.0 => [at(c), at(c + 1.0)].concat(),
        CmpOp::Eq | CmpOp::Ne => Vec::new(),
    }
}

/// `c OP x` as `x OP' c`.
fn mirrored(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// The per-customer memory of one aggregate: bounded by its window, never by the log.
#[derive(Debug, Clone)]
pub enum Track {
    Total {
        count: u64,
        sum: f64,
    },
    /// A window's matching events, oldest first: each one's time, then for a `sum` or
    /// `avg` its value's bits (a count needs no values), so every window is one
    /// queue and a tracker fits in 24 bytes. A count keeps the newest
    /// [`AggSpec::keep`] events at most. Trimmed lazily: a prefix may have left the
    /// window already (see [`trim`]).
    Window(SlotQueue),
    Time(Option<i64>),
    /// issue 15: the latest value seen (`latest(…)`); no window, no timer.
    Latest(Option<f64>),
}

/// A tracker and the next instant it crosses a threshold of the program (`i64::MAX`:
/// never; see `next_flip`), kept up to date for what changed so a planned flip finds
/// what crossed without walking every window; beside the tracker, in its 32 bytes.
#[derive(Debug, Clone)]
pub struct Tracker {
    pub flip: i64,
    pub track: Track,
}

impl AggSpec {
    /// The most events a windowed count must keep: with every use a comparison with a
    /// number, its highest level (see `levels`). Above it every comparison answers as
    /// it does at it, and the events that decide when the count falls below a level
    /// are the newest ones, so the older ones change no answer and no planned flip.
    /// `None`: every event in the window.
    pub fn keep(&self) -> Option<usize> {
        let levels = self.levels.as_ref()?;
        Some(levels.last().map_or(0, |&m| usize::try_from(m).unwrap_or(usize::MAX)))
    }

    /// Queue slots per event of a window: its time, and its value unless a count.
    pub fn stride(&self) -> usize {
        if self.kind == AggKind::Count {
            1
        } else {
            2
        }
    }

    pub fn new_tracker(&self) -> Tracker {
        Tracker { flip: i64::MAX, track: self.new_track() }
    }

    pub fn new_track(&self) -> Track {
        match (self.kind, self.window) {
            (AggKind::Since | AggKind::SinceFirst, _) => Track::Time(None),
            (AggKind::Latest, _) => Track::Latest(None),
            (_, Some(_)) => Track::Window(SlotQueue::new()),
            (_, None) => Track::Total { count: 0, sum: 0.0 },
        }
    }
}

/// Event kinds by name, property positions by event, attributes and audiences by name.
pub struct Compiler<'p> {
    pub program: &'p Program,
    pub aggs: Vec<AggSpec>,
    /// Every duration constant in conditions (ms), for the times a `since` may flip.
    pub durations: Vec<i64>,
}

impl<'p> Compiler<'p> {
    pub fn new(program: &'p Program) -> Self {
        Compiler { program, aggs: Vec::new(), durations: Vec::new() }
    }

    pub fn event_index(&self, name: &str) -> Option<u16> {
        self.program.events.iter().position(|e| e.name == name).map(|i| i as u16)
    }

    pub(crate) fn prop_index(&self, event: Option<u16>, name: &str) -> Option<usize> {
        let e = &self.program.events[event? as usize];
        e.properties.iter().position(|p| p.name == name)
    }

    /// Compile `e`; `event` is the event whose properties bare names may refer to.
    pub fn compile(&mut self, e: &Expr, event: Option<u16>) -> CExpr {
        match e {
            Expr::Const { value } => CExpr::Const(match value {
                Value::Bool(b) => ConstV::Bool(*b),
                Value::Number(n) | Value::Money(n) | Value::Percent(n) => ConstV::Num(*n),
                Value::DurationMinutes(m) => {
                    let ms = *m as i64 * MINUTE;
                    if !self.durations.contains(&ms) {
                        self.durations.push(ms);
                    }
                    ConstV::Dur(ms)
                }
                Value::Date(d) => ConstV::Date(time::parse_date(d).unwrap_or(0)),
                Value::TimeOfDay(m) => ConstV::Num(*m as f64),
                Value::Text(s) => ConstV::Text(s.clone()),
            }),
            Expr::Attribute { name } => match self.program.attributes.iter().position(|a| &a.name == name) {
                Some(i) => CExpr::Attr(i),
                None => match self.program.audiences.iter().position(|a| &a.name == name) {
                    Some(i) => CExpr::Audience(i),
                    None => CExpr::Const(ConstV::Bool(false)),
                },
            },
            Expr::Property { name } => match self.prop_index(event, name) {
                Some(i) => CExpr::Prop(i),
                None => match self.program.attributes.iter().position(|a| &a.name == name) {
                    Some(i) => CExpr::Attr(i),
                    None => CExpr::Const(ConstV::Bool(false)),
                },
            },
            Expr::Audience { name } => match self.program.audiences.iter().position(|a| &a.name == name) {
                Some(i) => CExpr::Audience(i),
                None => CExpr::Const(ConstV::Bool(false)),
            },
            Expr::AccountAggregate(a) => {
                let e = self.scoped_aggregate(a, true);
                if let CExpr::Agg(i) = e {
                    self.aggs[i].levels = None;
                    self.aggs[i].thresholds = None;
                }
                e
            }
            Expr::Aggregate(a) => {
                let e = self.aggregate(a);
                if let CExpr::Agg(i) = e {
                    // read other than compared with a number: every change may matter
                    self.aggs[i].levels = None;
                    self.aggs[i].thresholds = None;
                }
                e
            }
            Expr::Not { expr } => CExpr::Not(Box::new(self.compile(expr, event))),
            Expr::And { all } => CExpr::And(all.iter().map(|x| self.compile(x, event)).collect()),
            Expr::Or { any } => CExpr::Or(any.iter().map(|x| self.compile(x, event)).collect()),
            Expr::Compare { cmp, lhs, rhs } => {
                // `since(…) OP duration`, either way round: the duration is one of the
                // tracker's thresholds
                let duration = |e: &Expr| match e {
                    Expr::Const { value: Value::DurationMinutes(m) } => Some(*m as i64 * MINUTE),
                    _ => None,
                };
                let timed = match (&**lhs, &**rhs) {
                    (Expr::Aggregate(a), r) if duration(r).is_some() => Some((a, duration(r), true)),
                    (l, Expr::Aggregate(a)) if duration(l).is_some() => Some((a, duration(l), false)),
                    _ => None,
                };
                if let Some((a, Some(d), left)) = timed {
                    let agg = self.aggregate(a);
                    if let CExpr::Agg(i) = agg {
                        match &mut self.aggs[i].thresholds {
                            Some(t) => {
                                t.push(d);
                                t.sort_unstable();
                                t.dedup();
                            }
                            // a count or sum compared with a duration: read as any other use
                            None => self.aggs[i].levels = None,
                        }
                    }
                    let (l, r) = if left {
                        (Box::new(agg), Box::new(self.compile(rhs, event)))
                    } else {
                        (Box::new(self.compile(lhs, event)), Box::new(agg))
                    };
                    return CExpr::Cmp(*cmp, l, r);
                }
                let number = |e: &Expr| match e {
                    Expr::Const { value: Value::Number(n) } => Some(*n),
                    _ => None,
                };
                let counted = match (&**lhs, &**rhs) {
                    (Expr::Aggregate(a), r) if number(r).is_some() => Some((a, *cmp, number(r))),
                    (l, Expr::Aggregate(a)) if number(l).is_some() => Some((a, mirrored(*cmp), number(l))),
                    _ => None,
                };
                if let Some((a, op, Some(c))) = counted {
                    let agg = self.aggregate(a);
                    if let CExpr::Agg(i) = agg {
                        if let Some(levels) = &mut self.aggs[i].levels {
                            levels.extend(levels_of(op, c));
                            levels.sort_unstable();
                            levels.dedup();
                        }
                    }
                    let c = Box::new(CExpr::Const(ConstV::Num(c)));
                    return if number(rhs).is_some() {
                        CExpr::Cmp(*cmp, Box::new(agg), c)
                    } else {
                        CExpr::Cmp(*cmp, c, Box::new(agg))
                    };
                }
                CExpr::Cmp(*cmp, Box::new(self.compile(lhs, event)), Box::new(self.compile(rhs, event)))
            }
            Expr::In { value, list } => {
                CExpr::In(Box::new(self.compile(value, event)), list.iter().map(|x| self.compile(x, event)).collect())
            }
            Expr::Add { lhs, rhs } => {
                CExpr::Add(Box::new(self.compile(lhs, event)), Box::new(self.compile(rhs, event)))
            }
            Expr::Sub { lhs, rhs } => {
                CExpr::Sub(Box::new(self.compile(lhs, event)), Box::new(self.compile(rhs, event)))
            }
            Expr::IsSet { expr } => CExpr::IsSet(Box::new(self.compile(expr, event))),
            Expr::Mul { lhs, rhs } => {
                CExpr::Mul(Box::new(self.compile(lhs, event)), Box::new(self.compile(rhs, event)))
            }
            Expr::Div { lhs, rhs } => {
                CExpr::Div(Box::new(self.compile(lhs, event)), Box::new(self.compile(rhs, event)))
            }
            Expr::Min { all } => CExpr::Min(all.iter().map(|x| self.compile(x, event)).collect()),
            Expr::Max { all } => CExpr::Max(all.iter().map(|x| self.compile(x, event)).collect()),
            // a score reads the customer, never the event being matched
            Expr::Score { expr, .. } => self.compile(expr, None),
            Expr::Today => CExpr::Today,
        }
    }

    fn aggregate(&mut self, a: &Aggregate) -> CExpr {
        self.scoped_aggregate(a, false)
    }

    fn scoped_aggregate(&mut self, a: &Aggregate, account: bool) -> CExpr {
        if let Aggregate::SinceAttribute { attribute } = a {
            return match self.program.attributes.iter().position(|x| &x.name == attribute) {
                Some(i) => CExpr::SinceAttr(i),
                None => CExpr::Const(ConstV::Bool(false)),
            };
        }
        if let Some(i) = self.aggs.iter().position(|s| &s.source == a && s.account == account) {
            return CExpr::Agg(i);
        }
        let (kind, event, prop, filter, window) = match a {
            Aggregate::Count { event, filter, window_minutes } => {
                (AggKind::Count, event, None, filter, *window_minutes)
            }
            Aggregate::Sum { event, property, filter, window_minutes } => {
                (AggKind::Sum, event, Some(property), filter, *window_minutes)
            }
            Aggregate::Avg { event, property, filter, window_minutes } => {
                (AggKind::Avg, event, Some(property), filter, *window_minutes)
            }
            Aggregate::Since { event, filter } => (AggKind::Since, event, None, filter, None),
            Aggregate::SinceFirst { event, filter } => (AggKind::SinceFirst, event, None, filter, None),
            Aggregate::Latest { event, property, filter } => (AggKind::Latest, event, Some(property), filter, None),
            Aggregate::SinceAttribute { .. } => unreachable!(),
        };
        let Some(ev) = self.event_index(event) else { return CExpr::Const(ConstV::Bool(false)) };
        let prop = prop.and_then(|p| self.prop_index(Some(ev), p));
        let filter = filter.as_ref().map(|f| self.compile(f, Some(ev)));
        // only a windowed count changes by single steps as time passes
        let levels = (kind == AggKind::Count && window.is_some()).then(Vec::new);
        let thresholds = matches!(kind, AggKind::Since | AggKind::SinceFirst).then(Vec::new);
        let window = window.map(|w| w as i64 * MINUTE);
        let spec = AggSpec { kind, event: ev, prop, filter, window, levels, thresholds, account, source: a.clone() };
        self.aggs.push(spec);
        CExpr::Agg(self.aggs.len() - 1)
    }
}

/// What a condition reads of a customer, through the audiences it names: which
/// trackers and which attributes. `settle` re-evaluates a condition only when one of
/// them changed (or time crossed a planned flip).
#[derive(Debug, Clone, Default)]
pub struct Deps {
    pub aggs: Vec<usize>,
    pub attrs: Vec<usize>,
    /// The same, as bit sets of the indexes under 64.
    pub agg_mask: u64,
    pub attr_mask: u64,
    /// issue 15: reads `today`, so its answer may change at every local midnight.
    pub today: bool,
}

impl Deps {
    pub fn of<'e>(exprs: impl IntoIterator<Item = &'e CExpr>, audiences: &[CExpr]) -> Deps {
        let mut d = Deps::default();
        let mut seen = Vec::new();
        for e in exprs {
            d.walk(e, audiences, &mut seen);
        }
        d.aggs.sort_unstable();
        d.aggs.dedup();
        d.attrs.sort_unstable();
        d.attrs.dedup();
        let mask = |v: &[usize]| v.iter().filter(|&&i| i < 64).fold(0u64, |m, &i| m | 1 << i);
        d.agg_mask = mask(&d.aggs);
        d.attr_mask = mask(&d.attrs);
        d
    }

    fn walk(&mut self, e: &CExpr, audiences: &[CExpr], seen: &mut Vec<usize>) {
        match e {
            CExpr::Attr(i) | CExpr::SinceAttr(i) => self.attrs.push(*i),
            CExpr::Agg(i) => self.aggs.push(*i),
            CExpr::Audience(i) => {
                if !seen.contains(i) {
                    seen.push(*i);
                    self.walk(&audiences[*i], audiences, seen);
                }
            }
            CExpr::Not(x) | CExpr::IsSet(x) => self.walk(x, audiences, seen),
            CExpr::And(xs) | CExpr::Or(xs) => xs.iter().for_each(|x| self.walk(x, audiences, seen)),
            CExpr::Cmp(_, a, b) | CExpr::Add(a, b) | CExpr::Sub(a, b) | CExpr::Mul(a, b) | CExpr::Div(a, b) => {
                self.walk(a, audiences, seen);
                self.walk(b, audiences, seen);
            }
            CExpr::Min(xs) | CExpr::Max(xs) => xs.iter().for_each(|x| self.walk(x, audiences, seen)),
            CExpr::In(a, xs) => {
                self.walk(a, audiences, seen);
                xs.iter().for_each(|x| self.walk(x, audiences, seen));
            }
            CExpr::Const(_) | CExpr::Prop(_) => {}
            CExpr::Today => self.today = true,
        }
    }
}

/// Whether `e` always has a value (is never unknown), whatever the customer and the
/// clock: constants, named audiences (a fact: true or false), `is set`, counts and
/// sums (0 without events), and comparisons and logic of such. Conservative: `false`
/// may still never be unknown.
pub fn never_unknown(e: &CExpr, aggs: &[AggSpec]) -> bool {
    match e {
        CExpr::Const(_) | CExpr::Audience(_) | CExpr::IsSet(_) => true,
        CExpr::Agg(i) => aggs.get(*i).is_some_and(|a| matches!(a.kind, AggKind::Count | AggKind::Sum)),
        CExpr::Cmp(_, a, b) => never_unknown(a, aggs) && never_unknown(b, aggs),
        CExpr::Not(x) => never_unknown(x, aggs),
        CExpr::And(xs) | CExpr::Or(xs) => xs.iter().all(|x| never_unknown(x, aggs)),
        _ => false,
    }
}

/// What an expression is evaluated against.
pub struct Scope<'a> {
    pub now: i64,
    pub tz: Tz,
    pub attrs: &'a [AttrValue],
    pub tracks: &'a [Tracker],
    pub aggs: &'a [AggSpec],
    pub audiences: &'a [CExpr],
    pub event: Option<&'a Event>,
    pub texts: &'a Interner,
    /// Audience answers already known at this instant (0 unknown, 1 out, 2 in): one
    /// audience is often part of several others (`buyer` in six of them). Only valid
    /// while nothing about the customer changes.
    pub memo: Option<&'a [std::cell::Cell<u8>]>,
}

pub fn prop_value<'a>(p: &PropValue, texts: &'a Interner) -> V<'a> {
    match *p {
        PropValue::Missing => V::None,
        PropValue::Number(n) | PropValue::Money(n) => V::Num(n),
        PropValue::Bool(b) => V::Bool(b),
        PropValue::Text(id) => {
            if (id as usize) < texts.len() {
                V::Text(texts.resolve(id))
            } else {
                V::None
            }
        }
        PropValue::Time(t) => V::Time(t),
    }
}

/// Is the customer in audience `i`? What `eval` answers for `CExpr::Audience(i)`,
/// without building that expression (`settle` asks it of every tracked audience a
/// change touches, and a temporary expression cost a drop call each time).
pub fn eval_audience(i: usize, s: &Scope<'_>) -> bool {
    match s.memo.map(|m| &m[i]) {
        Some(m) if m.get() != 0 => m.get() == 2,
        Some(m) => {
            let b = eval(&s.audiences[i], s).truthy();
            m.set(1 + b as u8);
            b
        }
        None => eval(&s.audiences[i], s).truthy(),
    }
}

/// The value of `e`. The leaves (constants, attributes, aggregates, named audiences)
/// are answered here, inlined into the caller; only an operator goes through
/// [`eval_node`]. Most calls are leaves (the operands of a comparison, the terms of
/// an `and`), and a call to the whole interpreter saves and restores its large frame
/// each time, which was about half of evaluating a condition (issue 16).
#[inline]
pub fn eval<'a>(e: &'a CExpr, s: &Scope<'a>) -> V<'a> {
    match e {
        CExpr::Const(c) => const_value(c),
        CExpr::Attr(i) => match s.attrs.get(*i) {
            Some(v) => v.value(),
            None => V::None,
        },
        CExpr::Agg(i) => agg_value(&s.aggs[*i], &s.tracks[*i].track, s.now),
        CExpr::Audience(i) => V::Bool(eval_audience(*i, s)),
        _ => eval_node(e, s),
    }
}

#[inline]
fn const_value(c: &ConstV) -> V<'_> {
    match c {
        ConstV::Bool(b) => V::Bool(*b),
        ConstV::Num(n) => V::Num(*n),
        ConstV::Dur(d) => V::Dur(*d),
        ConstV::Date(d) => V::Date(*d),
        ConstV::Text(t) => V::Text(t),
    }
}

/// [`eval`] of any expression (the leaves too, answered as there).
#[inline(never)]
fn eval_node<'a>(e: &'a CExpr, s: &Scope<'a>) -> V<'a> {
    match e {
        CExpr::Const(c) => const_value(c),
        CExpr::Attr(i) => match s.attrs.get(*i) {
            Some(v) => v.value(),
            None => V::None,
        },
        CExpr::Prop(i) => match s.event.and_then(|ev| ev.props.get(*i)) {
            Some(p) => prop_value(p, s.texts),
            None => V::None,
        },
        CExpr::Audience(i) => V::Bool(eval_audience(*i, s)),
        CExpr::Agg(i) => agg_value(&s.aggs[*i], &s.tracks[*i].track, s.now),
        CExpr::SinceAttr(i) => match s.attrs.get(*i).map(|v| v.value()) {
            Some(V::Date(d)) => V::Dur(s.now - time::date_midnight(s.tz, d)),
            Some(V::Time(t)) => V::Dur(s.now - t),
            _ => V::None,
        },
        CExpr::Not(x) => match eval(x, s) {
            V::None => V::None,
            v => V::Bool(!v.truthy()),
        },
        CExpr::And(xs) => {
            let mut unknown = false;
            for x in xs {
                match eval(x, s) {
                    V::None => unknown = true,
                    v if !v.truthy() => return V::Bool(false),
                    _ => {}
                }
            }
            if unknown {
                V::None
            } else {
                V::Bool(true)
            }
        }
        CExpr::Or(xs) => {
            let mut unknown = false;
            for x in xs {
                match eval(x, s) {
                    V::None => unknown = true,
                    v if v.truthy() => return V::Bool(true),
                    _ => {}
                }
            }
            if unknown {
                V::None
            } else {
                V::Bool(false)
            }
        }
        CExpr::Cmp(op, l, r) => {
            let (l, r) = (eval(l, s), eval(r, s));
            if matches!(l, V::None) || matches!(r, V::None) {
                return V::None;
            }
            V::Bool(compare(*op, &l, &r))
        }
        CExpr::In(x, list) => {
            let v = eval(x, s);
            if v == V::None {
                return V::None;
            }
            V::Bool(list.iter().any(|y| compare(CmpOp::Eq, &v, &eval(y, s))))
        }
        CExpr::Add(l, r) => arith(eval(l, s), eval(r, s), 1),
        CExpr::Sub(l, r) => arith(eval(l, s), eval(r, s), -1),
        CExpr::IsSet(x) => V::Bool(eval(x, s) != V::None),
        CExpr::Mul(l, r) => crate::arith::product(eval(l, s), eval(r, s)),
        CExpr::Div(l, r) => crate::arith::quotient(eval(l, s), eval(r, s)),
        CExpr::Min(xs) => crate::arith::extreme(xs.iter().map(|x| eval(x, s)), false),
        CExpr::Max(xs) => crate::arith::extreme(xs.iter().map(|x| eval(x, s)), true),
        // issue 15: the simulated clock's day where the customer is
        CExpr::Today => V::Date(time::local_day(s.tz, s.now)),
    }
}

fn arith<'a>(l: V<'a>, r: V<'a>, sign: i64) -> V<'a> {
    match (l, r) {
        (V::Date(d), V::Dur(x)) if x % DAY == 0 => V::Date(d + sign * (x / DAY)),
        (V::Date(d), V::Dur(x)) => V::Time(d * DAY + sign * x),
        (V::Time(t), V::Dur(x)) => V::Time(t + sign * x),
        (V::Dur(a), V::Dur(b)) => V::Dur(a + sign * b),
        (V::Num(a), V::Num(b)) => V::Num(a + sign as f64 * b),
        (V::Time(a), V::Time(b)) if sign < 0 => V::Dur(a - b),
        _ => V::None,
    }
}

/// Compare two values; anything involving "no value" or mismatched types is false.
pub fn compare(op: CmpOp, l: &V, r: &V) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        (V::Num(a), V::Num(b)) => a.partial_cmp(b),
        (V::Dur(a), V::Dur(b)) | (V::Date(a), V::Date(b)) | (V::Time(a), V::Time(b)) => Some(a.cmp(b)),
        (V::Date(a), V::Time(b)) => Some((a * DAY).cmp(b)),
        (V::Time(a), V::Date(b)) => Some(a.cmp(&(b * DAY))),
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

/// An event is inside a window ending at `now` when `now - t < window`.
fn in_window(t: i64, now: i64, w: i64) -> bool {
    now - t < w
}

pub fn agg_value<'a>(spec: &AggSpec, track: &Track, now: i64) -> V<'a> {
    match track {
        Track::Time(t) => match t {
            Some(t) => V::Dur(now - t),
            None => V::None,
        },
        Track::Total { count, sum } => finish(spec.kind, *count, *sum),
        Track::Latest(v) => v.map_or(V::None, V::Num),
        Track::Window(q) => {
            let k = spec.stride();
            let stale = stale_events(spec, q, now);
            let live = q.len() / k - stale;
            if spec.kind == AggKind::Count {
                return finish(spec.kind, live as u64, 0.0);
            }
            let values = q.iter().skip(stale * k + 1).step_by(k);
            let sum = values.fold(0.0, |acc, &v| acc + f64::from_bits(v as u64));
            finish(spec.kind, live as u64, sum)
        }
    }
}

/// The events of a window still inside it at `now`, as [`agg_value`] counts them
/// (`None`: not a window).
#[inline]
pub fn live_events(spec: &AggSpec, track: &Track, now: i64) -> Option<usize> {
    let Track::Window(q) = track else { return None };
    Some(q.len() / spec.stride() - stale_events(spec, q, now))
}

/// How many of a window's events (the first of each `stride` slots) have left it by
/// `now`: the queue is in time order and trimmed lazily, so only a prefix can have
/// left since, and none has while the oldest is inside it.
#[inline]
fn stale_events(spec: &AggSpec, q: &SlotQueue, now: i64) -> usize {
    let w = spec.window.unwrap_or(i64::MAX);
    match q.front() {
        Some(&oldest) if !in_window(oldest, now, w) => {
            q.iter().step_by(spec.stride()).take_while(|t| !in_window(**t, now, w)).count()
        }
        _ => 0,
    }
}

fn finish<'a>(kind: AggKind, count: u64, sum: f64) -> V<'a> {
    match kind {
        AggKind::Count => V::Num(count as f64),
        AggKind::Sum => V::Num(sum),
        AggKind::Avg if count == 0 => V::None,
        AggKind::Avg => V::Num(sum / count as f64),
        _ => V::None,
    }
}

/// Record an event in a tracker (the filter has already matched) and drop what fell
/// out of its window.
pub fn record(spec: &AggSpec, track: &mut Track, t: i64, value: f64) {
    match track {
        Track::Time(x) => match spec.kind {
            AggKind::SinceFirst => {
                if x.is_none() {
                    *x = Some(t)
                }
            }
            _ => *x = Some(t),
        },
        Track::Total { count, sum } => {
            *count += 1;
            *sum += value;
        }
        Track::Latest(v) => *v = Some(value),
        Track::Window(q) => {
            match spec.keep() {
                Some(0) => return,
                Some(keep) => {
                    if q.len() >= keep {
                        // the oldest kept event changes no answer any more
                        q.pop_front();
                    } else if q.capacity() == 0 {
                        // room for all it will keep, at once (small: a level)
                        q.reserve_exact(keep.min(64));
                    }
                }
                None => {}
            }
            q.push_back(t);
            if spec.stride() == 2 {
                q.push_back(value.to_bits() as i64);
            }
            trim(spec, track, t);
        }
    }
}

pub fn trim(spec: &AggSpec, track: &mut Track, now: i64) {
    let (Some(w), Track::Window(q)) = (spec.window, track) else { return };
    let k = spec.stride();
    while q.front().is_some_and(|&t| !in_window(t, now, w)) {
        q.drop_front(k);
    }
}

/// The first instant after `now` at which `since` an `anchor` crosses one of the
/// program's durations: `anchor + d` (where `since == d` starts) or `anchor + d + 1`
/// (where `since > d` starts). `durations` must be ascending.
pub fn next_threshold(anchor: i64, now: i64, durations: &[i64]) -> Option<i64> {
    // the first duration whose later candidate is still ahead
    let i = durations.partition_point(|&d| anchor + d < now);
    let d = *durations.get(i)?;
    Some(if anchor + d > now { anchor + d } else { anchor + d + 1 })
}

/// The earliest instant after `now` at which this tracker's value, compared with any
/// duration constant of the program, may change its answer without a new event:
/// `since` crossing a threshold, or the oldest event leaving the window.
pub fn next_flip(spec: &AggSpec, track: &Track, now: i64, durations: &[i64]) -> Option<i64> {
    match track {
        Track::Time(Some(anchor)) => next_threshold(*anchor, now, spec.thresholds.as_deref().unwrap_or(durations)),
        Track::Window(q) => {
            let w = spec.window?;
            let k = spec.stride();
            let oldest = *q.front()?;
            let stale = if oldest.saturating_add(w) > now {
                0
            } else {
                q.iter().step_by(k).take_while(|t| *t + w <= now).count()
            };
            let Some(levels) = &spec.levels else {
                return q.get(stale * k).map(|t| t + w);
            };
            // the departure that takes the count from the highest level it has reached
            // to one below it; those before it change no answer (levels: counts only)
            let live = (q.len() / k - stale) as u64;
            let m = levels.iter().rev().find(|&&m| m <= live)?;
            q.get((stale + (live - m) as usize) * k).map(|t| t + w)
        }
        _ => None,
    }
}

impl AttrValue {
    pub fn value(&self) -> V<'_> {
        match self {
            AttrValue::Missing => V::None,
            AttrValue::Bool(b) => V::Bool(*b),
            AttrValue::Number(n) => V::Num(*n),
            AttrValue::Text(s) => V::Text(s),
            AttrValue::Date(d) => V::Date(*d),
            AttrValue::Time(t) => V::Time(*t),
        }
    }
    pub fn from_value(v: &V) -> AttrValue {
        match v {
            V::None | V::Dur(_) => AttrValue::Missing,
            V::Bool(b) => AttrValue::Bool(*b),
            V::Num(n) => AttrValue::Number(*n),
            V::Date(d) => AttrValue::Date(*d),
            V::Time(t) => AttrValue::Time(*t),
            V::Text(s) => AttrValue::Text((*s).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, levels_of, mirrored, next_threshold, CmpOp, V};

    /// xorshift64 from a fixed seed: `next(n)` is below `n`, the same on every run.
    fn seeded() -> impl FnMut(u64) -> u64 {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    /// Oracle of the audience memo (`Scope::memo`, shared by every evaluation at one
    /// instant in `settle` and by a journey filter and its refusal in `try_enter`):
    /// on seeded generated audiences that name earlier ones, over attributes that may
    /// be missing, every audience and every filter answers with a memo as without.
    #[test]
    fn memoised_audiences_answer_as_evaluated_plainly() {
        use super::{eval, eval_audience, CExpr, ConstV, Scope};
        use crate::AttrValue;
        use std::cell::Cell;
        let mut next = seeded();
        fn tree(next: &mut dyn FnMut(u64) -> u64, audiences: usize, depth: u32) -> CExpr {
            let leaf = depth == 0 || next(3) == 0;
            match if leaf { next(3) } else { 3 + next(4) } {
                0 => CExpr::Attr(next(4) as usize),
                1 if audiences > 0 => CExpr::Audience(next(audiences as u64) as usize),
                1 | 2 => CExpr::Cmp(
                    [CmpOp::Ge, CmpOp::Lt, CmpOp::Eq][next(3) as usize],
                    Box::new(CExpr::Attr(4 + next(2) as usize)),
                    Box::new(CExpr::Const(ConstV::Num(next(4) as f64))),
                ),
                3 => CExpr::Not(Box::new(tree(next, audiences, depth - 1))),
                4 => CExpr::And((0..1 + next(3)).map(|_| tree(next, audiences, depth - 1)).collect()),
                5 => CExpr::Or((0..1 + next(3)).map(|_| tree(next, audiences, depth - 1)).collect()),
                _ => CExpr::IsSet(Box::new(tree(next, audiences, depth - 1))),
            }
        }
        fn scope<'a>(
            attrs: &'a [AttrValue],
            audiences: &'a [CExpr],
            texts: &'a journey_events::Interner,
            memo: Option<&'a [Cell<u8>]>,
        ) -> Scope<'a> {
            let (tracks, aggs) = (&[], &[]);
            Scope { now: 0, tz: chrono_tz::UTC, attrs, tracks, aggs, audiences, event: None, texts, memo }
        }
        let texts = journey_events::Interner::default();
        for case in 0..300 {
            let audiences: Vec<CExpr> = (0..1 + next(12) as usize).map(|k| tree(&mut next, k, 4)).collect();
            let filters: Vec<CExpr> = (0..4).map(|_| tree(&mut next, audiences.len(), 4)).collect();
            for _ in 0..8 {
                let mut attrs: Vec<AttrValue> = (0..4)
                    .map(|_| match next(3) {
                        0 => AttrValue::Missing,
                        k => AttrValue::Bool(k == 1),
                    })
                    .collect();
                for _ in 0..2 {
                    attrs.push(match next(4) {
                        0 => AttrValue::Missing,
                        k => AttrValue::Number(k as f64),
                    });
                }
                let memo: Vec<Cell<u8>> = (0..audiences.len()).map(|_| Cell::new(0)).collect();
                let memoised = scope(&attrs, &audiences, &texts, Some(&memo));
                let plain = scope(&attrs, &audiences, &texts, None);
                // filters first, so the audiences below also read answers they left
                for f in &filters {
                    assert!(eval(f, &memoised) == eval(f, &plain), "case {case}: filter {f:?}");
                }
                for (a, body) in audiences.iter().enumerate() {
                    assert_eq!(eval_audience(a, &memoised), eval_audience(a, &plain), "case {case}: audience {a}");
                    assert!(eval(body, &memoised) == eval(body, &plain), "case {case}: body of {a}");
                }
            }
        }
    }

    /// The binary search finds what trying every candidate finds.
    #[test]
    fn next_threshold_is_the_smallest_candidate_ahead() {
        let durations = [0, 5, 6, 7, 100, 1000];
        for anchor in [-50i64, 0, 3, 99] {
            for now in -60..1200 {
                let brute = durations.iter().flat_map(|d| [anchor + d, anchor + d + 1]).filter(|&c| c > now).min();
                assert_eq!(next_threshold(anchor, now, &durations), brute, "anchor {anchor}, now {now}");
            }
        }
        assert_eq!(next_threshold(0, 5, &[]), None);
    }

    #[test]
    fn levels_are_the_counts_where_a_comparison_changes_its_answer() {
        use CmpOp::*;
        let cases: [(CmpOp, f64, &[u64]); 9] = [
            (Ge, 2.0, &[2]),
            (Ge, 2.5, &[3]),
            (Gt, 2.0, &[3]),
            (Le, 2.0, &[3]),
            (Lt, 1.0, &[1]),
            (Eq, 0.0, &[1]),
            (Ne, 3.0, &[3, 4]),
            (Eq, 2.5, &[]),
            (Ge, 0.0, &[]),
        ];
        for (op, c, want) in cases {
            assert_eq!(levels_of(op, c), want, "count {op:?} {c}");
            // brute force: m is a level exactly when the answers for m and m - 1 differ
            let holds = |n: f64| compare(op, &V::Num(n), &V::Num(c));
            let brute: Vec<u64> = (1..10).filter(|&m| holds(m as f64) != holds(m as f64 - 1.0)).collect();
            assert_eq!(brute, want, "count {op:?} {c}");
        }
        assert_eq!(mirrored(Lt), Gt);
    }

    /// A windowed count kept capped at its highest level answers every comparison of
    /// the program as the whole window does, and plans the same flips, on seeded
    /// random event times, comparisons and clocks (the plain window is a list of every
    /// event's time).
    #[test]
    fn a_capped_count_answers_as_the_whole_window() {
        use super::{agg_value, next_flip, record, trim, AggKind, AggSpec, Track};
        let mut next = seeded();
        let ops = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
        for case in 0..2000 {
            let w = next(40) as i64 + 1;
            let comparisons: Vec<(CmpOp, f64)> =
                (0..next(3) + 1).map(|_| (ops[next(6) as usize], next(14) as f64 / 2.0 - 1.0)).collect();
            let mut levels: Vec<u64> = comparisons.iter().flat_map(|&(op, c)| levels_of(op, c)).collect();
            levels.sort_unstable();
            levels.dedup();
            let source = journey_ir::Aggregate::Count { event: "e".into(), filter: None, window_minutes: Some(1) };
            let spec = AggSpec {
                kind: AggKind::Count,
                event: 0,
                prop: None,
                filter: None,
                window: Some(w),
                levels: Some(levels.clone()),
                thresholds: None,
                account: false,
                source,
            };
            let mut track = spec.new_track();
            let mut all: Vec<i64> = Vec::new();
            let mut now = 0i64;
            for _ in 0..next(60) {
                now += next(8) as i64;
                // an event, or the clock moving on (a settle trims what changed)
                if next(3) > 0 {
                    record(&spec, &mut track, now, 1.0);
                    all.push(now);
                } else if next(2) == 0 {
                    trim(&spec, &mut track, now);
                }
                let live: Vec<i64> = all.iter().copied().filter(|&t| now - t < w).collect();
                let V::Num(n) = agg_value(&spec, &track, now) else { panic!("a count") };
                for &(op, c) in &comparisons {
                    let plain = compare(op, &V::Num(live.len() as f64), &V::Num(c));
                    assert_eq!(compare(op, &V::Num(n), &V::Num(c)), plain, "case {case}: count {op:?} {c} at {now}");
                }
                // the plain window's next flip: the departure that takes the count
                // below the highest level it reached
                let plain_flip =
                    levels.iter().rev().find(|&&m| m <= live.len() as u64).map(|&m| live[live.len() - m as usize] + w);
                assert_eq!(next_flip(&spec, &track, now, &[]), plain_flip, "case {case}: flip at {now}");
                let Track::Window(q) = &track else { panic!("a count window") };
                assert!(q.len() <= spec.keep().unwrap_or(usize::MAX), "case {case}: kept {} events", q.len());
            }
        }
    }

    /// A `sum` or `avg` window, its values' bits beside their times in one queue,
    /// gives the very number (same additions, same order) and flips of a plain list of
    /// (time, value), on seeded random sequences.
    #[test]
    fn a_window_of_values_answers_as_a_plain_list() {
        use super::{agg_value, next_flip, record, trim, AggKind, AggSpec};
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..1000 {
            let w = next(40) as i64 + 1;
            let kind = if next(2) == 0 { AggKind::Sum } else { AggKind::Avg };
            let source = journey_ir::Aggregate::Count { event: "e".into(), filter: None, window_minutes: Some(1) };
            let spec = AggSpec {
                kind,
                event: 0,
                prop: None,
                filter: None,
                window: Some(w),
                levels: None,
                thresholds: None,
                account: false,
                source,
            };
            let mut track = spec.new_track();
            let mut all: Vec<(i64, f64)> = Vec::new();
            let mut now = 0i64;
            for _ in 0..next(60) {
                now += next(8) as i64;
                if next(3) > 0 {
                    let v = next(1000) as f64 / 7.0 - 50.0;
                    record(&spec, &mut track, now, v);
                    all.push((now, v));
                } else if next(2) == 0 {
                    trim(&spec, &mut track, now);
                }
                let live: Vec<(i64, f64)> = all.iter().copied().filter(|&(t, _)| now - t < w).collect();
                let sum = live.iter().fold(0.0, |acc, &(_, v)| acc + v);
                let plain = match kind {
                    AggKind::Sum => V::Num(sum),
                    _ if live.is_empty() => V::None,
                    _ => V::Num(sum / live.len() as f64),
                };
                assert_eq!(agg_value(&spec, &track, now), plain, "case {case} at {now}");
                let plain_flip = live.first().map(|&(t, _)| t + w);
                assert_eq!(next_flip(&spec, &track, now, &[]), plain_flip, "case {case}: flip at {now}");
            }
        }
    }
}
