//! A small, sound symbolic reasoner over [`journey_ir::Expr`] conditions.
//!
//! A condition is put in negation normal form and then in disjunctive normal form
//! (an `or` of conjunctions). Inside one conjunction, every comparison of a *term*
//! (an attribute, an event property or an aggregate such as `since(purchase)`,
//! compared structurally) with constants becomes a constraint on that term:
//!
//! * numbers, money, percentages, durations, dates and times of day become a union of
//!   intervals (over the extended reals, so `since(event)` can be infinite: "never");
//! * text, `one_of` and bool values become a finite set or the complement of one.
//!
//! Anything else (a comparison of two terms, arithmetic, a recursive audience) is an
//! opaque proposition: only `p and not p` is known to be contradictory.
//!
//! **Soundness.** Every answer that claims something is *impossible* (unsatisfiable,
//! implied, disjoint) holds for every customer. Answers that claim something is
//! *possible* are best effort: terms are treated as independent, except that a
//! conjunction of a normal form whose `count(e)` and `since(e)` contradict each other
//! (`count(purchase) == 0` leaves `since(purchase)` without a value) is dropped
//! ([`Conj::events_agree`]), so [`Overlap::CertainlyOverlaps`] is only claimed in the
//! narrow case described on [`overlap`].
//!
//! **Missing values.** Attributes, event properties, `avg(..)`, `since(..)` and
//! `since_first(..)` may have no value; counts and sums always have one. As in the
//! engine, a comparison with a missing value is *unknown*, `not unknown` is unknown,
//! `and`/`or` are Kleene's, and a condition holds only when it is true: so neither
//! `x <= 5` nor `not (x > 5)` holds for a customer without `x`. `x is set` is never
//! unknown. An audience is two-valued (a customer whose condition is unknown is not
//! in it), so `not hero` holds for a customer without the values `hero` reads.
//!
//! To stay exact under these rules, a condition is put in normal form for one of four
//! questions ([`Mode`]): is it true, false, not true, or not false. `not` swaps true
//! with false (and not-true with not-false), De Morgan's laws hold for each question,
//! and only the "not true"/"not false" questions let a missing value through. The
//! public questions use "true" for a condition that must hold and "not true" for one
//! that must not (a branch arm not taken, `a` without `b`).
//!
//! Work is bounded: a DNF that grows past [`MAX_CONJUNCTIONS`] makes the answer
//! "unknown", never a wrong proof.

use journey_ir::{Aggregate, CmpOp, Expr, Program, Type, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which customers a normal form describes: those for whom the condition is true,
/// false, not true (false or unknown) or not false (true or unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    True,
    False,
    NotTrue,
    NotFalse,
}

impl Mode {
    fn of(pos: bool) -> Mode {
        if pos {
            Mode::True
        } else {
            Mode::NotTrue
        }
    }
    /// The question about `not e`, asked of `e`.
    fn negated(self) -> Mode {
        match self {
            Mode::True => Mode::False,
            Mode::False => Mode::True,
            Mode::NotTrue => Mode::NotFalse,
            Mode::NotFalse => Mode::NotTrue,
        }
    }
    /// True and not-false keep a comparison as written; the other two negate it.
    fn affirms(self) -> bool {
        matches!(self, Mode::True | Mode::NotFalse)
    }
    /// Does an unknown answer belong to this question's customers?
    fn admits_unknown(self) -> bool {
        matches!(self, Mode::NotTrue | Mode::NotFalse)
    }
    /// The truth values (bits: 1 true, 2 false, 4 unknown) this question accepts, for
    /// propositions the reasoner does not look into.
    fn values(self) -> u8 {
        match self {
            Mode::True => 1,
            Mode::False => 2,
            Mode::NotTrue => 6,
            Mode::NotFalse => 5,
        }
    }
}

/// Past this many conjunctions in one DNF the reasoner gives up (answers unknown).
pub const MAX_CONJUNCTIONS: usize = 512;

/// How two conditions relate: can one customer satisfy both?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// Proven: no customer satisfies both.
    Disjoint,
    /// Not proven either way.
    MayOverlap,
    /// Both are satisfiable constraints over the same terms and their intersection is
    /// nonempty (see [`overlap`] for the exact conditions).
    CertainlyOverlaps,
}

/// An example customer: a value for each term the conditions mention.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Witness {
    /// `(term, value)` pairs, e.g. `("since(purchase)", "31d")`, sorted by term.
    pub values: Vec<(String, String)>,
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (t, v)) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if v == "unset" {
                write!(f, "no `{t}`")?;
            } else {
                write!(f, "`{t}` = {v}")?;
            }
        }
        Ok(())
    }
}

/// Is `e` satisfiable? `false` means proven unsatisfiable; `true` means "maybe".
pub fn satisfiable(e: &Expr, program: &Program) -> bool {
    match Reasoner::new(program).dnf(e, true) {
        Some(d) => !d.is_empty(),
        None => true,
    }
}

/// Proven that every customer matching `a` also matches `b` (`a and not b` is
/// unsatisfiable). `false` means "not proven".
pub fn implies(a: &Expr, b: &Expr, program: &Program) -> bool {
    let r = Reasoner::new(program);
    unsat_all(&r, &[(a, true), (b, false)]) || implied_by_a_conjunct(&r, a, b, 0)
}

/// `x and y` implies `b` when `x` alone does: a fallback for when the whole of `a` is
/// too large to put in DNF (long audience definitions).
fn implied_by_a_conjunct(r: &Reasoner, a: &Expr, b: &Expr, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match a {
        Expr::And { all } => {
            all.iter().any(|x| unsat_all(r, &[(x, true), (b, false)]) || implied_by_a_conjunct(r, x, b, depth + 1))
        }
        Expr::Audience { name } => {
            r.program.audience(name).is_some_and(|aud| implied_by_a_conjunct(r, &aud.condition, b, depth + 1))
        }
        _ => false,
    }
}

/// Proven that no customer matches both `a` and `b`. `false` means "not proven".
pub fn disjoint(a: &Expr, b: &Expr, program: &Program) -> bool {
    let r = Reasoner::new(program);
    unsat_all(&r, &[(a, true), (b, true)])
}

/// Is the conjunction of the given literals (`(expr, polarity)`) proven unsatisfiable?
/// This is how "arm 3 is implied by arms 1 and 2" is asked: `[(c3, true), (c1, false),
/// (c2, false)]`.
pub fn unsatisfiable_conjunction(parts: &[(&Expr, bool)], program: &Program) -> bool {
    unsat_all(&Reasoner::new(program), parts)
}

fn unsat_all(r: &Reasoner, parts: &[(&Expr, bool)]) -> bool {
    // Most constrained first keeps intermediate products small.
    let mut acc = vec![Conj::default()];
    for (e, pos) in parts {
        let Some(d) = r.dnf(e, *pos) else { return false };
        let Some(next) = product(&acc, &d) else { return false };
        acc = next;
        if acc.is_empty() {
            return true;
        }
    }
    acc.is_empty()
}

/// Can one customer match both `a` and `b`?
///
/// * [`Overlap::Disjoint`] when `a and b` is proven unsatisfiable;
/// * [`Overlap::CertainlyOverlaps`] when some conjunction of `a`'s DNF and some of
///   `b`'s constrain exactly the same terms, involve no opaque proposition and no two
///   aggregates over the same event (whose values depend on each other), and their
///   intersection is nonempty; the witness is a customer in that intersection;
/// * [`Overlap::MayOverlap`] otherwise, with a witness when one is known not to
///   contradict the constraints the reasoner understands.
pub fn overlap(a: &Expr, b: &Expr, program: &Program) -> (Overlap, Option<Witness>) {
    overlap_prepared(&prepare(a, program), &prepare(b, program), program)
}

/// A condition converted once to the reasoner's normal form (audiences expanded), for
/// callers that ask many questions about the same conditions: the calendar compares
/// every pair of journeys, and preparing each audience once instead of once per pair
/// is most of its speed.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) dnf: Option<Vec<Conj>>,
}

pub fn prepare(e: &Expr, program: &Program) -> Prepared {
    Prepared { dnf: Reasoner::new(program).dnf(e, true) }
}

/// Proven that no customer matches both prepared conditions.
pub fn disjoint_prepared(a: &Prepared, b: &Prepared) -> bool {
    let (Some(da), Some(db)) = (&a.dnf, &b.dnf) else { return false };
    da.iter().all(|ca| db.iter().all(|cb| !ca.meets(cb)))
}

/// [`overlap`] on prepared conditions.
pub fn overlap_prepared(a: &Prepared, b: &Prepared, program: &Program) -> (Overlap, Option<Witness>) {
    let (o, at) = verdict_prepared(a, b, program);
    (o, at.map(|at| witness_at(a, b, at, program)))
}

/// The conjunctions (an index in each condition's normal form) whose conjunction is
/// the example customer of an overlap.
pub type WitnessAt = (usize, usize);

/// The verdict of [`overlap_prepared`], and where its witness is, without building
/// it ([`witness_at`] does): the calendar asks for the verdict of tens of thousands
/// of pairs and shows a witness for a few.
pub fn verdict_prepared(a: &Prepared, b: &Prepared, program: &Program) -> (Overlap, Option<WitnessAt>) {
    let (Some(da), Some(db)) = (&a.dnf, &b.dnf) else { return (Overlap::MayOverlap, None) };
    // `meets` and `independent_with` answer what `and` followed by `independent`
    // would, without building the conjunction
    verdict_over(
        da,
        db,
        |ca, cb| ca.meets(cb),
        |ca, cb| ca.independent_with(cb, program),
        |ca, cb| ca.opaque.is_empty() && cb.opaque.is_empty(),
    )
}

/// The verdict of two normal forms from their pairs of conjunctions, and where its
/// witness is: the first pair that is `independent` proves an overlap; else any pair
/// that `meets` makes one possible, and the first such pair without opaque terms is
/// where a witness is searched. One loop for every representation of the
/// conjunctions (plain here, interned in the calendar's verdicts), so the two always
/// scan in the same order and give the same indices.
pub fn verdict_over<A, B>(
    da: &[A],
    db: &[B],
    meets: impl Fn(&A, &B) -> bool,
    independent: impl Fn(&A, &B) -> bool,
    transparent: impl Fn(&A, &B) -> bool,
) -> (Overlap, Option<WitnessAt>) {
    let mut maybe: Option<WitnessAt> = None;
    let mut any = false;
    for (i, ca) in da.iter().enumerate() {
        for (j, cb) in db.iter().enumerate() {
            if !meets(ca, cb) {
                continue;
            }
            any = true;
            if independent(ca, cb) {
                return (Overlap::CertainlyOverlaps, Some((i, j)));
            }
            if maybe.is_none() && transparent(ca, cb) {
                maybe = Some((i, j));
            }
        }
    }
    if any {
        (Overlap::MayOverlap, maybe)
    } else {
        (Overlap::Disjoint, None)
    }
}

/// The example customer [`verdict_prepared`] pointed at.
pub fn witness_at(a: &Prepared, b: &Prepared, (i, j): WitnessAt, program: &Program) -> Witness {
    let (Some(da), Some(db)) = (&a.dnf, &b.dnf) else { return Witness { values: Vec::new() } };
    da[i].and(&db[j]).expect("`meets` agrees with `and`").witness(program)
}

/// The terms a condition constrains (rendered, e.g. `since(purchase)`), after
/// expanding audiences; `None` when the condition has opaque parts or is too large.
pub fn constrained_terms(e: &Expr, program: &Program) -> Option<BTreeSet<String>> {
    let d = Reasoner::new(program).dnf(e, true)?;
    let mut out = BTreeSet::new();
    for c in &d {
        if !c.opaque.is_empty() {
            return None;
        }
        out.extend(c.nums.values().map(|n| n.display.clone()));
        out.extend(c.discs.values().map(|n| n.display.clone()));
    }
    Some(out)
}

/// A witness for `parts` (a conjunction of literals, as in
/// [`unsatisfiable_conjunction`]) when the reasoner finds one without opaque parts.
pub fn witness_of(parts: &[(&Expr, bool)], program: &Program) -> Option<Witness> {
    let r = Reasoner::new(program);
    let mut acc = vec![Conj::default()];
    for (e, pos) in parts {
        acc = product(&acc, &r.dnf(e, *pos)?)?;
    }
    acc.iter().find(|c| c.opaque.is_empty()).map(|c| c.witness(program))
}

// ---------------------------------------------------------------- rendering

/// Render an expression roughly as it would be written in a journey file.
pub fn render(e: &Expr) -> String {
    match e {
        Expr::Const { value } => render_value(value),
        Expr::Attribute { name } | Expr::Property { name } | Expr::Audience { name } => name.clone(),
        Expr::Aggregate(a) => render_aggregate(a),
        Expr::AccountAggregate(a) => format!("account.{}", render_aggregate(a)),
        Expr::Not { expr } => match &**expr {
            Expr::IsSet { expr } => format!("{} is not set", render_atomic(expr)),
            _ => format!("not {}", render_atomic(expr)),
        },
        Expr::And { all } => all.iter().map(render_atomic).collect::<Vec<_>>().join(" and "),
        Expr::Or { any } => any.iter().map(render_atomic).collect::<Vec<_>>().join(" or "),
        Expr::Compare { cmp, lhs, rhs } => format!("{} {} {}", render_atomic(lhs), cmp.as_str(), render_atomic(rhs)),
        Expr::In { value, list } => {
            format!("{} in [{}]", render_atomic(value), list.iter().map(render).collect::<Vec<_>>().join(", "))
        }
        Expr::Add { lhs, rhs } => format!("{} + {}", render_atomic(lhs), render_atomic(rhs)),
        Expr::Sub { lhs, rhs } => format!("{} - {}", render_atomic(lhs), render_atomic(rhs)),
        Expr::IsSet { expr } => format!("{} is set", render_atomic(expr)),
        Expr::Mul { lhs, rhs } => format!("{} * {}", render_atomic(lhs), render_atomic(rhs)),
        Expr::Div { lhs, rhs } => format!("{} / {}", render_atomic(lhs), render_atomic(rhs)),
        Expr::Min { all } => format!("min({})", all.iter().map(render).collect::<Vec<_>>().join(", ")),
        Expr::Max { all } => format!("max({})", all.iter().map(render).collect::<Vec<_>>().join(", ")),
        Expr::Score { name, .. } => name.clone(),
        Expr::Today => "today".to_string(),
    }
}

fn render_atomic(e: &Expr) -> String {
    match e {
        Expr::And { .. }
        | Expr::Or { .. }
        | Expr::Compare { .. }
        | Expr::In { .. }
        | Expr::Add { .. }
        | Expr::Sub { .. }
        | Expr::Mul { .. }
        | Expr::Div { .. }
        | Expr::IsSet { .. } => {
            format!("({})", render(e))
        }
        _ => render(e),
    }
}

fn render_aggregate(a: &Aggregate) -> String {
    let filt = |f: &Option<Box<Expr>>| f.as_ref().map(|f| format!(" where {}", render(f))).unwrap_or_default();
    let win = |w: &Option<u64>| w.map(|w| format!(", {}", fmt_minutes(w))).unwrap_or_default();
    match a {
        Aggregate::Count { event, filter, window_minutes } => {
            format!("count({event}{}{})", filt(filter), win(window_minutes))
        }
        Aggregate::Sum { event, property, filter, window_minutes } => {
            format!("sum({event}.{property}{}{})", filt(filter), win(window_minutes))
        }
        Aggregate::Avg { event, property, filter, window_minutes } => {
            format!("avg({event}.{property}{}{})", filt(filter), win(window_minutes))
        }
        Aggregate::Since { event, filter } => format!("since({event}{})", filt(filter)),
        Aggregate::SinceAttribute { attribute } => format!("since({attribute})"),
        Aggregate::SinceFirst { event, filter } => format!("since_first({event}{})", filt(filter)),
        Aggregate::Latest { event, property, filter } => format!("latest({event}.{property}{})", filt(filter)),
    }
}

fn render_value(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => fmt_num(*n),
        Value::Money(n) => format!("${}", fmt_num(*n)),
        Value::Percent(p) => format!("{}%", fmt_num(*p)),
        Value::DurationMinutes(m) => fmt_minutes(*m),
        Value::Date(d) => d.clone(),
        Value::TimeOfDay(m) => fmt_time_of_day(*m),
        Value::Text(t) => format!("\"{t}\""),
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `90` → `1h 30m`, `10080` → `1w`, `2880` → `2d`.
pub fn fmt_minutes(m: u64) -> String {
    if m == 0 {
        return "0m".into();
    }
    if m >= 2 * 10080 && m.is_multiple_of(10080) {
        return format!("{}w", m / 10080);
    }
    let mut parts = Vec::new();
    let (d, h, mi) = (m / 1440, (m % 1440) / 60, m % 60);
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if mi > 0 {
        parts.push(format!("{mi}m"));
    }
    parts.join(" ")
}

/// `1320` → `22:00`.
pub fn fmt_time_of_day(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

// ---------------------------------------------------------------- constraints

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    Number,
    Money,
    Percent,
    Duration,
    Date,
    TimeOfDay,
}

/// One interval of the extended reals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Iv {
    pub(crate) lo: f64,
    pub(crate) lo_inc: bool,
    pub(crate) hi: f64,
    pub(crate) hi_inc: bool,
}

impl Iv {
    fn is_empty(&self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_inc && self.hi_inc))
    }
    fn intersect(&self, o: &Iv) -> Iv {
        let (lo, lo_inc) = match self.lo.partial_cmp(&o.lo) {
            Some(std::cmp::Ordering::Greater) => (self.lo, self.lo_inc),
            Some(std::cmp::Ordering::Less) => (o.lo, o.lo_inc),
            _ => (self.lo, self.lo_inc && o.lo_inc),
        };
        let (hi, hi_inc) = match self.hi.partial_cmp(&o.hi) {
            Some(std::cmp::Ordering::Less) => (self.hi, self.hi_inc),
            Some(std::cmp::Ordering::Greater) => (o.hi, o.hi_inc),
            _ => (self.hi, self.hi_inc && o.hi_inc),
        };
        Iv { lo, lo_inc, hi, hi_inc }
    }
    /// Tighten open or fractional bounds for integer-valued terms.
    fn integral(mut self) -> Iv {
        if self.lo.is_finite() {
            self.lo = if self.lo_inc { self.lo.ceil() } else { self.lo.floor() + 1.0 };
            self.lo_inc = true;
        }
        if self.hi.is_finite() {
            self.hi = if self.hi_inc { self.hi.floor() } else { self.hi.ceil() - 1.0 };
            self.hi_inc = true;
        }
        self
    }
}

pub(crate) const INF: f64 = f64::INFINITY;

fn iv(lo: f64, lo_inc: bool, hi: f64, hi_inc: bool) -> Iv {
    Iv { lo, lo_inc, hi, hi_inc }
}

/// A union of intervals.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IvSet(pub(crate) Vec<Iv>);

impl IvSet {
    fn intersect(&self, o: &IvSet) -> IvSet {
        let mut out = Vec::new();
        for a in &self.0 {
            for b in &o.0 {
                let c = a.intersect(b);
                if !c.is_empty() {
                    out.push(c);
                }
            }
        }
        out.sort_by(|a, b| a.lo.partial_cmp(&b.lo).unwrap_or(std::cmp::Ordering::Equal));
        IvSet(out)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Is [`Self::intersect`] nonempty?
    pub(crate) fn meets(&self, o: &IvSet) -> bool {
        self.0.iter().any(|a| o.0.iter().any(|b| !a.intersect(b).is_empty()))
    }
    /// The values `x` with `x op c`.
    fn cmp(op: CmpOp, c: f64) -> IvSet {
        IvSet(match op {
            CmpOp::Eq => vec![iv(c, true, c, true)],
            CmpOp::Ne => vec![iv(-INF, true, c, false), iv(c, false, INF, true)],
            CmpOp::Lt => vec![iv(-INF, true, c, false)],
            CmpOp::Le => vec![iv(-INF, true, c, true)],
            CmpOp::Gt => vec![iv(c, false, INF, true)],
            CmpOp::Ge => vec![iv(c, true, INF, true)],
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumC {
    pub(crate) display: String,
    /// The term itself, for the witness search to evaluate.
    pub(crate) term: Expr,
    pub(crate) unit: Unit,
    pub(crate) integer: bool,
    pub(crate) set: IvSet,
    pub(crate) null_ok: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DSet {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl DSet {
    fn intersect(&self, o: &DSet) -> DSet {
        match (self, o) {
            (DSet::Only(a), DSet::Only(b)) => DSet::Only(a.intersection(b).cloned().collect()),
            (DSet::Only(a), DSet::AllBut(b)) | (DSet::AllBut(b), DSet::Only(a)) => {
                DSet::Only(a.difference(b).cloned().collect())
            }
            (DSet::AllBut(a), DSet::AllBut(b)) => DSet::AllBut(a.union(b).cloned().collect()),
        }
    }
    fn is_empty(&self) -> bool {
        matches!(self, DSet::Only(s) if s.is_empty())
    }
    /// Is [`Self::intersect`] nonempty?
    pub(crate) fn meets(&self, o: &DSet) -> bool {
        match (self, o) {
            (DSet::Only(a), DSet::Only(b)) => a.iter().any(|x| b.contains(x)),
            (DSet::Only(a), DSet::AllBut(b)) | (DSet::AllBut(b), DSet::Only(a)) => a.iter().any(|x| !b.contains(x)),
            (DSet::AllBut(_), DSet::AllBut(_)) => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiscC {
    pub(crate) display: String,
    pub(crate) term: Expr,
    pub(crate) is_bool: bool,
    pub(crate) set: DSet,
    pub(crate) null_ok: bool,
}

/// One conjunction: a constraint per term plus opaque propositions with polarity.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Conj {
    pub(crate) nums: BTreeMap<String, NumC>,
    pub(crate) discs: BTreeMap<String, DiscC>,
    /// Opaque propositions and the truth values (bits, see [`Mode::values`]) each may
    /// take in this conjunction.
    pub(crate) opaque: BTreeMap<String, u8>,
}

impl Conj {
    /// The conjunction of both, or `None` when it is unsatisfiable.
    pub(crate) fn and(&self, o: &Conj) -> Option<Conj> {
        let mut out = self.clone();
        for (k, c) in &o.nums {
            match out.nums.get_mut(k) {
                Some(mine) => {
                    mine.set = mine.set.intersect(&c.set);
                    mine.null_ok &= c.null_ok;
                    if mine.set.is_empty() && !mine.null_ok {
                        return None;
                    }
                }
                None => {
                    out.nums.insert(k.clone(), c.clone());
                }
            }
        }
        for (k, c) in &o.discs {
            match out.discs.get_mut(k) {
                Some(mine) => {
                    mine.set = mine.set.intersect(&c.set);
                    mine.null_ok &= c.null_ok;
                    if mine.set.is_empty() && !mine.null_ok {
                        return None;
                    }
                }
                None => {
                    out.discs.insert(k.clone(), c.clone());
                }
            }
        }
        for (k, p) in &o.opaque {
            let both = out.opaque.get(k).map_or(*p, |q| q & p);
            if both == 0 {
                return None;
            }
            out.opaque.insert(k.clone(), both);
        }
        Some(out)
    }

    /// Is [`Self::and`] of both satisfiable? The same test, without building it.
    pub(crate) fn meets(&self, o: &Conj) -> bool {
        for (k, c) in &o.nums {
            if let Some(mine) = self.nums.get(k) {
                if !(mine.null_ok && c.null_ok) && !mine.set.meets(&c.set) {
                    return false;
                }
            }
        }
        for (k, c) in &o.discs {
            if let Some(mine) = self.discs.get(k) {
                if !(mine.null_ok && c.null_ok) && !mine.set.meets(&c.set) {
                    return false;
                }
            }
        }
        o.opaque.iter().all(|(k, p)| self.opaque.get(k).is_none_or(|q| q & p != 0))
    }

    /// Is every constraint of the conjunction of both (which must be satisfiable)
    /// satisfiable *at once* by some customer? True when there is nothing opaque and the terms are independent of each
    /// other: declared attributes, and at most one aggregate per event (two
    /// aggregates over one event constrain each other, and `since(date)` depends on
    /// the date attribute). Each term can then take any value of its own domain, so
    /// the per-term constraints, each nonempty, are met together.
    /// Answered without building the conjunction: the terms of both, each key once.
    pub(crate) fn independent_with(&self, o: &Conj, program: &Program) -> bool {
        if !self.opaque.is_empty() || !o.opaque.is_empty() {
            return false;
        }
        let terms = self
            .nums
            .values()
            .map(|c| &c.term)
            .chain(o.nums.iter().filter(|(k, _)| !self.nums.contains_key(*k)).map(|(_, c)| &c.term))
            .chain(self.discs.values().map(|c| &c.term))
            .chain(o.discs.iter().filter(|(k, _)| !self.discs.contains_key(*k)).map(|(_, c)| &c.term));
        independent_terms(terms, program)
    }
}

impl Conj {
    /// Do the conjunction's count and `since` of one event agree? `since(e)` (and
    /// `since_first(e)`) has a value exactly when the customer had `e` at least once,
    /// when `count(e)` (over all time, with the same filter or none) is 1 or more: the
    /// engine keeps both from the same events. So `count(signup) == 0 and
    /// since(signup) <= 14d` holds for no customer, nor does `count(signup) >= 1 and
    /// since(signup) is not set`. `false` only on such a proof; [`product`] drops the
    /// conjunctions that fail it, so a condition that contradicts itself this way is
    /// unsatisfiable (J315) and disjoint from every other. ([`Self::and`] and
    /// [`Self::meets`] keep comparing terms one by one: they must agree with each other.)
    pub(crate) fn events_agree(&self) -> bool {
        if self.nums.len() < 2 {
            return true;
        }
        for count in self.nums.values() {
            let Expr::Aggregate(Aggregate::Count { event, filter, window_minutes: None }) = &count.term else {
                continue;
            };
            let none = count.set.meets(&IvSet(vec![iv(0.0, true, 0.0, true)]));
            let some = count.set.meets(&IvSet(vec![iv(1.0, true, INF, true)]));
            for since in self.nums.values() {
                let same = match &since.term {
                    Expr::Aggregate(
                        Aggregate::Since { event: e, filter: f } | Aggregate::SinceFirst { event: e, filter: f },
                    ) => e == event && f == filter,
                    _ => false,
                };
                // no events and no `since`, or some events and a `since` value
                if same && !((none && since.null_ok) || (some && !since.set.is_empty())) {
                    return false;
                }
            }
        }
        true
    }
}

/// Terms that can each take any value of their own domain whatever the others take:
/// declared attributes, and at most one filter-free count or `since` per event.
fn independent_terms<'t>(terms: impl Iterator<Item = &'t Expr>, program: &Program) -> bool {
    let mut events = BTreeSet::new();
    let mut attrs = BTreeSet::new();
    for t in terms {
        let fresh = match t {
            Expr::Attribute { name } => program.attribute(name).is_some() && attrs.insert(name.as_str()),
            Expr::Aggregate(Aggregate::SinceAttribute { attribute }) => {
                program.attribute(attribute).is_some() && attrs.insert(attribute.as_str())
            }
            Expr::Aggregate(a) => match a {
                // a filter or an average reads event properties the reasoner does not
                // model: a customer may not be able to reach every value
                Aggregate::Count { event, filter: None, .. }
                | Aggregate::Since { event, filter: None }
                | Aggregate::SinceFirst { event, filter: None } => events.insert(event.as_str()),
                _ => false,
            },
            _ => false,
        };
        if !fresh {
            return false;
        }
    }
    true
}

impl Conj {
    pub(crate) fn witness(&self, program: &Program) -> Witness {
        let mut values: Vec<(String, String)> = Vec::new();
        for c in self.nums.values() {
            let v = match c.set.0.first() {
                None => "unset".to_string(),
                Some(i) => fmt_unit(pick(i, c), c.unit, &program.currency),
            };
            values.push((c.display.clone(), v));
        }
        for c in self.discs.values() {
            let v = match &c.set {
                DSet::Only(s) => match s.iter().next() {
                    Some(v) if c.is_bool => v.clone(),
                    Some(v) => format!("\"{v}\""),
                    None => "unset".into(),
                },
                DSet::AllBut(s) => {
                    let mut n = 0;
                    loop {
                        let cand = if n == 0 { "other".to_string() } else { format!("other{n}") };
                        if !s.contains(&cand) {
                            break format!("\"{cand}\"");
                        }
                        n += 1;
                    }
                }
            };
            values.push((c.display.clone(), v));
        }
        values.sort();
        Witness { values }
    }
}

/// A representative value of a nonempty interval: a round one where possible.
pub(crate) fn pick(i: &Iv, c: &NumC) -> f64 {
    let step = match c.unit {
        Unit::Duration if i.lo.is_finite() && i.lo % 1440.0 == 0.0 => 1440.0,
        Unit::Duration if i.lo.is_finite() && i.lo % 60.0 == 0.0 => 60.0,
        _ => 1.0,
    };
    if i.lo == INF {
        return INF;
    }
    if i.lo.is_finite() {
        if i.lo_inc {
            return i.lo;
        }
        let cand = i.lo + step;
        if cand < i.hi || (cand == i.hi && i.hi_inc) {
            return cand;
        }
        return (i.lo + i.hi) / 2.0;
    }
    if i.hi.is_finite() {
        return if i.hi_inc { i.hi } else { i.hi - 1.0 };
    }
    if i.hi == INF && i.hi_inc && c.integer {
        return 0.0;
    }
    0.0
}

/// A value of a numeric term as messages show it (`30d`, `2`, `$5`, `never`).
pub(crate) fn fmt_value(v: f64, unit: Unit, currency: &str) -> String {
    fmt_unit(v, unit, currency)
}

fn fmt_unit(v: f64, unit: Unit, currency: &str) -> String {
    if v == INF {
        return "never".into();
    }
    match unit {
        Unit::Number => fmt_num(v),
        Unit::Money => {
            if currency.is_empty() {
                format!("${}", fmt_num(v))
            } else {
                format!("{} {currency}", fmt_num(v))
            }
        }
        Unit::Percent => format!("{}%", fmt_num(v)),
        Unit::Duration if v >= 0.0 && v.fract() == 0.0 => fmt_minutes(v as u64),
        Unit::Duration => format!("{}m", fmt_num(v)),
        Unit::Date => civil_from_days(v as i64),
        Unit::TimeOfDay if (0.0..1440.0).contains(&v) => fmt_time_of_day(v as u32),
        Unit::TimeOfDay => fmt_num(v),
    }
}

pub(crate) fn days_from_civil(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146097 + doe - 719468)
}

pub(crate) fn civil_from_days(z: i64) -> String {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------- DNF

pub(crate) fn product(a: &[Conj], b: &[Conj]) -> Option<Vec<Conj>> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(c) = x.and(y).filter(Conj::events_agree) {
                if !out.contains(&c) {
                    out.push(c);
                }
                if out.len() > MAX_CONJUNCTIONS {
                    return None;
                }
            }
        }
    }
    Some(out)
}

struct Reasoner<'p> {
    program: &'p Program,
    /// Audiences being expanded, to cut recursion.
    expanding: std::cell::RefCell<Vec<String>>,
}

impl<'p> Reasoner<'p> {
    fn new(program: &'p Program) -> Self {
        Reasoner { program, expanding: Default::default() }
    }

    /// DNF of the customers for whom `e` holds (when `pos`) or does not hold; `None`
    /// when too large.
    fn dnf(&self, e: &Expr, pos: bool) -> Option<Vec<Conj>> {
        self.dnf_mode(e, Mode::of(pos))
    }

    fn dnf_mode(&self, e: &Expr, mode: Mode) -> Option<Vec<Conj>> {
        match e {
            // a constant is never unknown
            Expr::Const { value: Value::Bool(b) } => {
                Some(if *b == mode.affirms() { vec![Conj::default()] } else { vec![] })
            }
            Expr::Not { expr } => self.dnf_mode(expr, mode.negated()),
            // (a and b) is true when both are, not false when neither is false; it is
            // false when either is false, not true when either is not true
            Expr::And { all } if mode.affirms() => self.all(all, mode),
            Expr::And { all } => self.any(all, mode),
            Expr::Or { any } if mode.affirms() => self.any(any, mode),
            Expr::Or { any } => self.all(any, mode),
            Expr::Audience { name } => {
                let recursive = self.expanding.borrow().contains(name);
                match self.program.audience(name) {
                    Some(a) if !recursive => {
                        // membership is two-valued: in when the condition is true, out
                        // otherwise (false or unknown)
                        let inner = if mode.affirms() { Mode::True } else { Mode::NotTrue };
                        self.expanding.borrow_mut().push(name.clone());
                        let r = self.dnf_mode(&a.condition, inner);
                        self.expanding.borrow_mut().pop();
                        r
                    }
                    _ => Some(opaque(e, if mode.affirms() { 1 } else { 2 })),
                }
            }
            _ => Some(self.literal(e, mode)),
        }
    }

    fn all(&self, parts: &[Expr], mode: Mode) -> Option<Vec<Conj>> {
        let mut acc = vec![Conj::default()];
        for p in parts {
            acc = product(&acc, &self.dnf_mode(p, mode)?)?;
            if acc.is_empty() {
                break;
            }
        }
        Some(acc)
    }

    fn any(&self, parts: &[Expr], mode: Mode) -> Option<Vec<Conj>> {
        let mut acc: Vec<Conj> = Vec::new();
        for p in parts {
            for c in self.dnf_mode(p, mode)? {
                if !acc.contains(&c) {
                    acc.push(c);
                }
            }
            if acc.len() > MAX_CONJUNCTIONS {
                return None;
            }
        }
        Some(acc)
    }

    /// A comparison, membership test, `is set` or bare bool term.
    fn literal(&self, e: &Expr, mode: Mode) -> Vec<Conj> {
        let c = match e {
            Expr::Compare { cmp, lhs, rhs } => match (&**lhs, &**rhs) {
                (t, Expr::Const { value }) if is_term(t) => self.compare(t, *cmp, value, mode),
                (Expr::Const { value }, t) if is_term(t) => self.compare(t, flip(*cmp), value, mode),
                _ => None,
            },
            Expr::In { value, list } if is_term(value) => {
                let consts: Option<Vec<&Value>> =
                    list.iter().map(|x| if let Expr::Const { value } = x { Some(value) } else { None }).collect();
                consts.and_then(|vs| self.member(value, &vs, mode))
            }
            // never unknown: true and not-false ask for a value, the others for none
            Expr::IsSet { expr } if is_term(expr) => self.presence(expr, mode.affirms()),
            t if is_term(t) => self.compare(t, CmpOp::Eq, &Value::Bool(true), mode),
            _ => None,
        };
        match c {
            Some(Some(c)) => vec![c],
            Some(None) => vec![],
            // `x is set` of something else is still two-valued
            None if matches!(e, Expr::IsSet { .. }) => opaque(e, if mode.affirms() { 1 } else { 2 }),
            None => opaque(e, mode.values()),
        }
    }

    /// `term is set` (when `present`) or `term is not set`, for terms whose kind of
    /// value the reasoner knows (declared attributes and aggregates); `None` for the
    /// rest (event properties), which stay opaque.
    fn presence(&self, term: &Expr, present: bool) -> Option<Option<Conj>> {
        if !present && !self.nullable(term) {
            return Some(None);
        }
        let numeric_unit = |ty: &Type| match ty {
            Type::Number => Some(Unit::Number),
            Type::Money => Some(Unit::Money),
            Type::Percent => Some(Unit::Percent),
            Type::Duration => Some(Unit::Duration),
            Type::Date | Type::Time => Some(Unit::Date),
            Type::TimeOfDay => Some(Unit::TimeOfDay),
            _ => None,
        };
        let numeric = match term {
            Expr::Attribute { name } => match &self.program.attribute(name)?.ty {
                Type::Bool => Some(false),
                Type::Text | Type::OneOf { .. } | Type::Timezone => Some(false),
                ty => numeric_unit(ty).map(|_| true),
            },
            Expr::Aggregate(Aggregate::Count { .. } | Aggregate::Sum { .. } | Aggregate::Avg { .. }) => Some(true),
            Expr::Aggregate(_) => Some(true),
            _ => None,
        }?;
        if numeric {
            let unit = match term {
                Expr::Attribute { name } => self.program.attribute(name).and_then(|a| numeric_unit(&a.ty)),
                Expr::Aggregate(
                    Aggregate::Since { .. } | Aggregate::SinceFirst { .. } | Aggregate::SinceAttribute { .. },
                ) => Some(Unit::Duration),
                _ => Some(Unit::Number),
            }
            .unwrap_or(Unit::Number);
            let mut c = self.num_term(term, unit);
            if !present {
                c.set = IvSet(vec![]);
            }
            c.null_ok = !present;
            Some(finish_num(term, c))
        } else {
            let is_bool = matches!(term, Expr::Attribute { name } if matches!(self.program.attribute(name).map(|a| &a.ty), Some(Type::Bool)));
            let mut c = self.disc_term(term, is_bool);
            if !present {
                c.set = DSet::Only(BTreeSet::new());
            }
            c.null_ok = !present;
            Some(finish_disc(term, c))
        }
    }

    /// `Some(None)`: the literal alone is unsatisfiable; `None`: not understood.
    fn compare(&self, term: &Expr, op: CmpOp, value: &Value, mode: Mode) -> Option<Option<Conj>> {
        let op = if mode.affirms() { op } else { negate(op) };
        let null_ok = mode.admits_unknown() && self.nullable(term);
        if let Some((x, unit)) = numeric(value) {
            let mut c = self.num_term(term, unit);
            c.set = c.set.intersect(&IvSet::cmp(op, x));
            if c.integer {
                c.set = IvSet(c.set.0.into_iter().map(Iv::integral).filter(|i| !i.is_empty()).collect());
            }
            c.null_ok = null_ok;
            return Some(finish_num(term, c));
        }
        let v = discrete(value)?;
        let set = match op {
            CmpOp::Eq => DSet::Only([v].into()),
            CmpOp::Ne => DSet::AllBut([v].into()),
            _ => return None,
        };
        let mut c = self.disc_term(term, matches!(value, Value::Bool(_)));
        c.set = c.set.intersect(&set);
        c.null_ok = null_ok;
        Some(finish_disc(term, c))
    }

    fn member(&self, term: &Expr, values: &[&Value], mode: Mode) -> Option<Option<Conj>> {
        let pos = mode.affirms();
        let null_ok = mode.admits_unknown() && self.nullable(term);
        let first = values.first()?;
        if let Some((_, unit)) = numeric(first) {
            let mut c = self.num_term(term, unit);
            let mut set = if pos { IvSet(vec![]) } else { IvSet(vec![iv(-INF, true, INF, true)]) };
            for v in values {
                let (x, _) = numeric(v)?;
                if pos {
                    set.0.push(iv(x, true, x, true));
                } else {
                    set = set.intersect(&IvSet::cmp(CmpOp::Ne, x));
                }
            }
            c.set = c.set.intersect(&set);
            c.null_ok = null_ok;
            return Some(finish_num(term, c));
        }
        let vs: Option<BTreeSet<String>> = values.iter().map(|v| discrete(v)).collect();
        let vs = vs?;
        let mut c = self.disc_term(term, matches!(first, Value::Bool(_)));
        c.set = c.set.intersect(&if pos { DSet::Only(vs) } else { DSet::AllBut(vs) });
        c.null_ok = null_ok;
        Some(finish_disc(term, c))
    }

    /// Terms that may have no value. `since(event)` has none for a customer who never
    /// had the event (as in the engine): every comparison with it is unknown, so
    /// neither `since(purchase) > 60d` nor `not (since(purchase) <= 60d)` holds for
    /// someone who never bought.
    fn nullable(&self, term: &Expr) -> bool {
        !matches!(term, Expr::Aggregate(Aggregate::Count { .. } | Aggregate::Sum { .. }))
    }

    /// The unconstrained numeric domain of a term.
    fn num_term(&self, term: &Expr, unit: Unit) -> NumC {
        let (set, integer) = match term {
            Expr::Aggregate(Aggregate::Count { .. }) => (IvSet(vec![iv(0.0, true, INF, false)]), true),
            Expr::Aggregate(Aggregate::Since { .. } | Aggregate::SinceFirst { .. }) => {
                (IvSet(vec![iv(0.0, true, INF, false)]), false)
            }
            _ => (IvSet(vec![iv(-INF, false, INF, false)]), matches!(unit, Unit::Date)),
        };
        NumC { display: render(term), term: term.clone(), unit, integer, set, null_ok: self.nullable(term) }
    }

    fn disc_term(&self, term: &Expr, is_bool: bool) -> DiscC {
        let ty = match term {
            Expr::Attribute { name } => self.program.attribute(name).map(|a| &a.ty),
            _ => None,
        };
        let (set, is_bool) = match ty {
            Some(Type::Bool) => (DSet::Only(["true".to_string(), "false".to_string()].into()), true),
            Some(Type::OneOf { choices }) => (DSet::Only(choices.iter().cloned().collect()), false),
            _ if is_bool => (DSet::Only(["true".to_string(), "false".to_string()].into()), true),
            _ => (DSet::AllBut(BTreeSet::new()), false),
        };
        DiscC { display: render(term), term: term.clone(), is_bool, set, null_ok: self.nullable(term) }
    }
}

fn finish_num(term: &Expr, c: NumC) -> Option<Conj> {
    if c.set.is_empty() && !c.null_ok {
        return None;
    }
    let mut conj = Conj::default();
    conj.nums.insert(term_key(term, "n"), c);
    Some(conj)
}

fn finish_disc(term: &Expr, c: DiscC) -> Option<Conj> {
    if c.set.is_empty() && !c.null_ok {
        return None;
    }
    let mut conj = Conj::default();
    conj.discs.insert(term_key(term, "d"), c);
    Some(conj)
}

/// A proposition the reasoner does not look into, restricted to the truth values
/// `values` (bits, see [`Mode::values`]).
fn opaque(e: &Expr, values: u8) -> Vec<Conj> {
    let mut c = Conj::default();
    c.opaque.insert(format!("{e:?}"), values);
    vec![c]
}

/// Structural identity of a term (kind-tagged, so a term misused with two kinds of
/// constants never mixes them).
fn term_key(term: &Expr, kind: &str) -> String {
    format!("{kind}:{term:?}")
}

fn is_term(e: &Expr) -> bool {
    matches!(e, Expr::Attribute { .. } | Expr::Property { .. } | Expr::Aggregate(_))
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

fn numeric(v: &Value) -> Option<(f64, Unit)> {
    Some(match v {
        Value::Number(n) => (*n, Unit::Number),
        Value::Money(n) => (*n, Unit::Money),
        Value::Percent(n) => (*n, Unit::Percent),
        Value::DurationMinutes(m) => (*m as f64, Unit::Duration),
        Value::Date(d) => (days_from_civil(d)? as f64, Unit::Date),
        Value::TimeOfDay(m) => (*m as f64, Unit::TimeOfDay),
        Value::Text(_) | Value::Bool(_) => return None,
    })
}

fn discrete(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use journey_ir::{AttributeDef, Audience, Origin, Policy, IR_VERSION};

    pub(crate) fn attr(n: &str) -> Expr {
        Expr::Attribute { name: n.into() }
    }
    pub(crate) fn since(e: &str) -> Expr {
        Expr::Aggregate(Aggregate::Since { event: e.into(), filter: None })
    }
    pub(crate) fn count(e: &str) -> Expr {
        Expr::Aggregate(Aggregate::Count { event: e.into(), filter: None, window_minutes: None })
    }
    pub(crate) fn days(d: u64) -> Expr {
        Expr::Const { value: Value::DurationMinutes(d * 1440) }
    }
    pub(crate) fn num(n: f64) -> Expr {
        Expr::Const { value: Value::Number(n) }
    }
    pub(crate) fn text(t: &str) -> Expr {
        Expr::Const { value: Value::Text(t.into()) }
    }
    pub(crate) fn cmp(l: Expr, op: CmpOp, r: Expr) -> Expr {
        Expr::Compare { cmp: op, lhs: Box::new(l), rhs: Box::new(r) }
    }
    pub(crate) fn and(v: Vec<Expr>) -> Expr {
        Expr::And { all: v }
    }
    pub(crate) fn or(v: Vec<Expr>) -> Expr {
        Expr::Or { any: v }
    }
    pub(crate) fn not(e: Expr) -> Expr {
        Expr::Not { expr: Box::new(e) }
    }
    pub(crate) fn is_set(e: Expr) -> Expr {
        Expr::IsSet { expr: Box::new(e) }
    }
    pub(crate) fn aud(n: &str) -> Expr {
        Expr::Audience { name: n.into() }
    }

    pub(crate) fn program() -> Program {
        let a = |n: &str, ty: Type| AttributeDef { name: n.into(), ty, origin: Origin::default() };
        Program {
            ir_version: IR_VERSION,
            timezone: "UTC".into(),
            currency: "USD".into(),
            timezone_attribute: None,
            events: vec![],
            attributes: vec![
                a("email_opt_in", Type::Bool),
                a("country", Type::Text),
                a("plan", Type::OneOf { choices: vec!["none".into(), "monthly".into(), "annual".into()] }),
                a("score", Type::Number),
            ],
            channels: vec![],
            audiences: vec![
                Audience {
                    name: "at_risk".into(),
                    condition: and(vec![
                        cmp(count("purchase"), CmpOp::Ge, num(1.0)),
                        cmp(since("purchase"), CmpOp::Gt, days(60)),
                        cmp(since("purchase"), CmpOp::Le, days(120)),
                    ]),
                    origin: Origin::default(),
                },
                Audience {
                    name: "active".into(),
                    condition: cmp(since("purchase"), CmpOp::Le, days(60)),
                    origin: Origin::default(),
                },
                Audience { name: "loop_a".into(), condition: and(vec![aud("loop_b")]), origin: Origin::default() },
                Audience {
                    name: "loop_b".into(),
                    condition: or(vec![aud("loop_a"), attr("x")]),
                    origin: Origin::default(),
                },
            ],
            policy: Policy::default(),
            journeys: vec![],
            scores: vec![],
            business_days: Default::default(),
            accounts: Default::default(),
            rules: Default::default(),
        }
    }

    #[test]
    fn intervals_decide_satisfiability() {
        let p = program();
        let e = and(vec![cmp(since("purchase"), CmpOp::Gt, days(30)), cmp(since("purchase"), CmpOp::Lt, days(20))]);
        assert!(!satisfiable(&e, &p));
        let e = and(vec![cmp(since("purchase"), CmpOp::Gt, days(20)), cmp(since("purchase"), CmpOp::Lt, days(30))]);
        assert!(satisfiable(&e, &p));
        // Counts are integers: 1 < n < 2 is empty.
        let e = and(vec![cmp(count("purchase"), CmpOp::Gt, num(1.0)), cmp(count("purchase"), CmpOp::Lt, num(2.0))]);
        assert!(!satisfiable(&e, &p));
        // Counts are never negative.
        assert!(!satisfiable(&cmp(count("purchase"), CmpOp::Lt, num(0.0)), &p));
        // ... but a number attribute may be.
        assert!(satisfiable(&cmp(attr("score"), CmpOp::Lt, num(0.0)), &p));
        // Constant on the left.
        assert!(!satisfiable(
            &and(vec![cmp(num(5.0), CmpOp::Lt, attr("score")), cmp(attr("score"), CmpOp::Le, num(5.0))]),
            &p
        ));
    }

    #[test]
    fn since_can_be_infinite() {
        let p = program();
        // never purchased: since(purchase) is infinite, so `> 10000d` is satisfiable
        assert!(satisfiable(&cmp(since("purchase"), CmpOp::Gt, days(100_000)), &p));
        let (o, w) =
            overlap(&cmp(since("purchase"), CmpOp::Gt, days(30)), &cmp(since("purchase"), CmpOp::Gt, days(20)), &p);
        assert_eq!(o, Overlap::CertainlyOverlaps);
        assert_eq!(w.unwrap().to_string(), "`since(purchase)` = 31d");
    }

    #[test]
    fn count_and_since_of_one_event_agree() {
        let p = program();
        let never = cmp(count("signup"), CmpOp::Eq, num(0.0));
        let recent = cmp(since("signup"), CmpOp::Le, days(14));
        // `since(signup)` has a value only for a customer who signed up
        assert!(!satisfiable(&and(vec![recent.clone(), never.clone()]), &p));
        assert!(unsatisfiable_conjunction(&[(&recent, true), (&never, true)], &p));
        assert!(!satisfiable(&and(vec![cmp(count("signup"), CmpOp::Ge, num(1.0)), not(is_set(since("signup")))]), &p));
        let first = Expr::Aggregate(Aggregate::SinceFirst { event: "signup".into(), filter: None });
        assert!(!satisfiable(&and(vec![is_set(first), never.clone()]), &p));
        // what does agree stays satisfiable: no signup and no `since`, a signup and a
        // value, a windowed count (older signups), another event, an `or`
        assert!(satisfiable(&and(vec![never.clone(), not(is_set(since("signup")))]), &p));
        assert!(satisfiable(&and(vec![cmp(count("signup"), CmpOp::Ge, num(2.0)), recent.clone()]), &p));
        let windowed =
            Expr::Aggregate(Aggregate::Count { event: "signup".into(), filter: None, window_minutes: Some(1440) });
        assert!(satisfiable(&and(vec![cmp(windowed, CmpOp::Eq, num(0.0)), recent.clone()]), &p));
        assert!(satisfiable(&and(vec![cmp(count("purchase"), CmpOp::Eq, num(0.0)), recent.clone()]), &p));
        assert!(satisfiable(&and(vec![or(vec![recent.clone(), attr("email_opt_in")]), never.clone()]), &p));
        // within one audience, and across the journey's audience and the trigger's
        let mut p2 = p.clone();
        let ghost = and(vec![recent.clone(), never.clone()]);
        p2.audiences.push(Audience { name: "ghost".into(), condition: ghost, origin: Origin::default() });
        assert!(!satisfiable(&aud("ghost"), &p2));
        assert!(disjoint(&aud("ghost"), &attr("email_opt_in"), &p2));
    }

    #[test]
    fn sets_and_enums() {
        let p = program();
        let us = cmp(attr("country"), CmpOp::Eq, text("US"));
        let ca = cmp(attr("country"), CmpOp::Eq, text("CA"));
        assert!(disjoint(&us, &ca, &p));
        let in_list = Expr::In { value: Box::new(attr("country")), list: vec![text("US"), text("CA")] };
        assert!(implies(&us, &in_list, &p));
        assert!(!implies(&in_list, &us, &p));
        // one_of: the declared choices are the whole domain
        let plans = |v: &[&str]| or(v.iter().map(|c| cmp(attr("plan"), CmpOp::Eq, text(c))).collect());
        let none_or_monthly = plans(&["none", "monthly"]);
        // not(...) of a missing plan is unknown, so it holds only for a present plan:
        // annual; but a customer outside an audience may have no plan at all
        assert!(implies(&not(none_or_monthly.clone()), &cmp(attr("plan"), CmpOp::Eq, text("annual")), &p));
        let mut p2 = p.clone();
        p2.audiences.push(Audience { name: "cheap".into(), condition: none_or_monthly, origin: Origin::default() });
        assert!(!implies(&not(aud("cheap")), &cmp(attr("plan"), CmpOp::Eq, text("annual")), &p2));
        let present_not =
            and(vec![cmp(attr("plan"), CmpOp::Ne, text("none")), cmp(attr("plan"), CmpOp::Ne, text("monthly"))]);
        assert!(implies(&present_not, &cmp(attr("plan"), CmpOp::Eq, text("annual")), &p));
        // bool: bare attribute means == true
        assert!(disjoint(&attr("email_opt_in"), &not(attr("email_opt_in")), &p));
        assert!(implies(
            &cmp(attr("email_opt_in"), CmpOp::Eq, Expr::Const { value: Value::Bool(true) }),
            &attr("email_opt_in"),
            &p
        ));
    }

    #[test]
    fn missing_values_are_respected() {
        let p = program();
        // x > 5 or x <= 5 does not cover a customer without x ...
        let cover = or(vec![cmp(attr("score"), CmpOp::Gt, num(5.0)), cmp(attr("score"), CmpOp::Le, num(5.0))]);
        assert!(!implies(&Expr::Const { value: Value::Bool(true) }, &cover, &p));
        assert!(!satisfiable(&not(cover), &p), "no customer makes it false: it is unknown without x");
        // ... and neither does x > 5 or not (x > 5): both are unknown without x, so a
        // branch `when x > 5`, `when not (x > 5)`, `else` reaches its `else`
        let x = cmp(attr("score"), CmpOp::Gt, num(5.0));
        assert!(!satisfiable(&not(or(vec![x.clone(), not(x.clone())])), &p));
        let always = Expr::Const { value: Value::Bool(true) };
        assert!(!implies(&always, &or(vec![x.clone(), not(x.clone())]), &p));
        assert!(unsatisfiable_conjunction(
            &[(&x, false), (&not(x.clone()), false), (&is_set(attr("score")), true)],
            &p
        ));
        // `not (x > 5)` holds only with a value: it implies `x <= 5`
        assert!(implies(&not(x.clone()), &cmp(attr("score"), CmpOp::Le, num(5.0)), &p));
        // ... while outside an audience a customer may lack the value
        let mut p2 = p.clone();
        p2.audiences.push(Audience { name: "high".into(), condition: x.clone(), origin: Origin::default() });
        assert!(!disjoint(&not(aud("high")), &not(is_set(attr("score"))), &p2));
        assert!(!implies(&not(aud("high")), &cmp(attr("score"), CmpOp::Le, num(5.0)), &p2));
        // counts always have a value
        let cover = or(vec![cmp(count("purchase"), CmpOp::Gt, num(5.0)), cmp(count("purchase"), CmpOp::Le, num(5.0))]);
        assert!(!satisfiable(&not(cover), &p));
    }

    #[test]
    fn is_set_is_never_unknown() {
        let p = program();
        let set = is_set(attr("score"));
        let unset = not(set.clone());
        let high = cmp(attr("score"), CmpOp::Gt, num(5.0));
        assert!(disjoint(&set, &unset, &p));
        assert!(disjoint(&high, &unset, &p));
        assert!(disjoint(&not(high.clone()), &unset, &p));
        assert!(implies(&high, &set, &p));
        assert!(implies(&not(high.clone()), &set, &p));
        assert!(!implies(&set, &high, &p));
        // every customer either has the value or not: `is set`/`is not set` cover all
        let always = Expr::Const { value: Value::Bool(true) };
        assert!(implies(&always, &or(vec![set.clone(), unset.clone()]), &p));
        // `x is not set or x > 5` is the guarded form of "x > 5 unless unknown"
        assert!(satisfiable(&or(vec![unset.clone(), high.clone()]), &p));
        let (o, w) = overlap(&unset, &unset, &p);
        assert_eq!(o, Overlap::CertainlyOverlaps);
        assert_eq!(w.unwrap().to_string(), "no `score`");
        // enums and bools too
        let plan_set = is_set(attr("plan"));
        assert!(disjoint(&not(plan_set.clone()), &cmp(attr("plan"), CmpOp::Ne, text("none")), &p));
        assert!(disjoint(&not(is_set(attr("email_opt_in"))), &not(attr("email_opt_in")), &p));
        // counts always have a value
        assert!(!satisfiable(&not(is_set(count("purchase"))), &p));
        // since(event) has none for a customer who never had the event
        assert!(satisfiable(&not(is_set(since("purchase"))), &p));
        assert!(disjoint(&not(is_set(since("purchase"))), &cmp(since("purchase"), CmpOp::Gt, days(3)), &p));
        // an event property stays opaque, but `p is set` and `p is not set` still exclude each other
        let prop = is_set(Expr::Property { name: "amount".into() });
        assert!(disjoint(&prop, &not(prop.clone()), &p));
        assert_eq!(render(&unset), "score is not set");
    }

    #[test]
    fn audiences_expand_and_recursion_is_cut() {
        let p = program();
        assert!(disjoint(&aud("at_risk"), &aud("active"), &p));
        assert!(implies(&aud("at_risk"), &cmp(count("purchase"), CmpOp::Ge, num(1.0)), &p));
        assert!(satisfiable(&aud("loop_a"), &p));
        assert!(!satisfiable(&and(vec![aud("loop_a"), not(aud("loop_a"))]), &p));
        // at_risk mentions count and since of the same event: only "may overlap"
        let (o, _) = overlap(&aud("at_risk"), &cmp(since("purchase"), CmpOp::Gt, days(90)), &p);
        assert_eq!(o, Overlap::MayOverlap);
        let (o, w) = overlap(&aud("at_risk"), &aud("active"), &p);
        assert_eq!((o, w), (Overlap::Disjoint, None));
    }

    #[test]
    fn opaque_parts_are_never_proven_satisfiable() {
        let p = program();
        let two_terms = cmp(attr("score"), CmpOp::Gt, attr("other"));
        assert!(satisfiable(&two_terms, &p));
        assert!(!satisfiable(&and(vec![two_terms.clone(), not(two_terms.clone())]), &p));
        let (o, _) = overlap(&two_terms, &two_terms, &p);
        assert_eq!(o, Overlap::MayOverlap);
        assert_eq!(constrained_terms(&two_terms, &p), None);
    }

    #[test]
    fn dnf_blowup_answers_unknown() {
        let p = program();
        // (a1 or b1) and (a2 or b2) and ... 12 times: 4096 conjunctions
        let parts: Vec<Expr> = (0..12)
            .map(|i| {
                or(vec![
                    cmp(attr(&format!("a{i}")), CmpOp::Gt, num(1.0)),
                    cmp(attr(&format!("b{i}")), CmpOp::Gt, num(1.0)),
                ])
            })
            .collect();
        let e = and(parts);
        assert!(satisfiable(&e, &p));
        assert!(!implies(&e, &Expr::Const { value: Value::Bool(false) }, &p));
    }

    #[test]
    fn dates_and_rendering() {
        assert_eq!(days_from_civil("1970-01-01"), Some(0));
        assert_eq!(civil_from_days(days_from_civil("2026-12-25").unwrap()), "2026-12-25");
        assert_eq!(fmt_minutes(90), "1h 30m");
        assert_eq!(fmt_minutes(20160), "2w");
        assert_eq!(fmt_minutes(10080), "7d");
        assert_eq!(
            render(&and(vec![aud("hero"), not(cmp(since("purchase"), CmpOp::Gt, days(3)))])),
            "hero and not (since(purchase) > 3d)"
        );
    }
}
