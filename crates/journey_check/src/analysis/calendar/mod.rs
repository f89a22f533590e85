//! The unified messaging calendar: what the journeys of a program do to one customer
//! *together* (J601-J606). The per-journey checks prove guardrails along the paths of
//! one journey; this pass looks at every pair of journeys that can hold the same
//! customer at the same time.
//!
//! **Audiences.** Each journey's *predicate* is its `audience` filter, and, for `entry
//! when audience X entered`, membership of `X` at entry (for `entry when COND`, COND).
//! Two journeys overlap when one customer can satisfy both predicates at one instant;
//! [`super::logic::overlap`] answers proven disjoint, may overlap or certainly
//! overlaps, with an example customer (the witness). Pairs are first screened by their top-level conjuncts (`a and b` is
//! disjoint from `c` when `a` alone is), which is how 1,000 journeys stay fast.
//!
//! **Timing.** [`schedule`] walks the paths of each journey with *minimum* elapsed
//! times (as [`super::paths`] does) to place every send at an offset from entry and to
//! find each journey's densest window for every cap. Entries of different journeys are
//! independent events, so sends of two overlapping journeys can always be lined up:
//! the worst case of a combination is the sum of each journey's worst window.
//!
//! **Three verdicts.** Every pair of journeys ends in `disjoint` (proved: never
//! reported), `certain` (the reasoner's witness profile is a customer in both) or
//! `may` (undecided, often because two aggregates of one event depend on each other).
//! `journey check` reports a may-overlap with a witness *history* (attributes and
//! timed events that put one customer in both audiences at one instant, found by
//! [`super::history::search`] and checked by evaluating both predicates on it); when
//! the search finds none, [`super::history::explain`] looks at every conjunction and
//! either proves that no customer is in both (the pair stays silent) or the finding
//! says the overlap is *undecided*, with the attribute profile that meets both and
//! the constraints left open (issue 13: never silent without a proof). Both are at
//! the rule's may-overlap severity ([`may_severity`]: a warning for J601, J602 and
//! J604, info for the others; `may_overlap:` in journey.yaml changes it). `journey
//! calendar` shows every pair not proven disjoint, witness or not, at the same
//! may-overlap severity and marked as resting on a may-overlap (for J603 it starts
//! from the check's own combinations, so it never leaves one out: [`view_caps`]). On certain
//! overlaps, J601, J602 and J604 are errors (a proven conflict); cap sums (J603),
//! equal priorities (J605) and concurrent experiments (J606) are warnings: they depend
//! on when customers enter, and the engine resolves caps by priority at run time.
//!
//! Every finding is reported once, at the journey that comes later in name order, and
//! lists the earlier journeys it conflicts with, so a repository of 1,000 journeys
//! gets at most one diagnostic per journey and kind.
//!
//! A journey no customer can enter (J315, [`super::entry::never_enters`]) is part of
//! no finding: its predicate gets a `false` conjunct, which no other meets.
//!
//! Not modelled: branch conditions along a path (a send behind `when plan == "pro"`
//! counts for the whole audience), exit rules, re-entry limits, holdouts, campaign
//! windows (`active from … to …`: customers stay after it ends), event filters of
//! entries (`entry on a or on b` counts as any event) and changes of a customer's attributes between two entries.

pub mod caps;
pub mod conflicts;
pub mod duplicates;
pub mod experiments;
pub mod groups;
pub mod parts;
pub mod priority;
pub mod schedule;
pub mod verdicts;
pub mod winback;

use super::history::{self, History, Outcome, Undecided};
use super::logic::{self, Overlap, Witness};
use journey_diagnostics::{Diagnostic, Severity};
use journey_ir::{Expr, Journey, Program, Trigger};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Memo tables keyed by a sorted set of ids (atoms, predicates), hashed with
/// foldhash's fixed state: SipHash of the keys was a twentieth of finding the
/// witness histories of a 1,000-journey repository. Nothing iterates them, so the
/// order they keep cannot reach the output.
type SetMap<V> = HashMap<Vec<usize>, V, foldhash::fast::FixedState>;

pub use schedule::{CapRule, JourneyPlan, PlannedSend};

use super::JourneyFacts;

/// The static calendar of a program: each journey's sends with their offsets, and
/// every cross-journey finding.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// One plan per journey, in `program.journeys` order.
    pub plans: Vec<JourneyPlan>,
    /// The caps every combination is checked against.
    pub caps: Vec<CapRule>,
    pub findings: Vec<Finding>,
    /// Per journey, in `program.journeys` order: proven that no customer can enter it
    /// (J315). Such a journey is part of no finding, and the view does not place its
    /// sends.
    pub never_enters: Vec<bool>,
    /// Groups of journeys the view's J605 and J606 findings are about ([`groups`]):
    /// each group's journeys in name order. Empty for `journey check`'s findings.
    pub groups: Vec<Vec<usize>>,
    /// Time spent searching for witness histories (the benchmarks print its share).
    pub witness_time: std::time::Duration,
}

/// One cross-journey problem, as the calendar views show it next to the sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// One line, the diagnostic's message.
    pub message: String,
    /// `(journey index, node index)` of the steps involved; `None` for the journey as
    /// a whole (priorities, experiments).
    pub parts: Vec<(usize, Option<usize>)>,
    /// For a finding on audiences that only may overlap: the witness history, and
    /// the journeys (indices) it puts one customer in at once.
    pub witness: Option<(History, Vec<usize>)>,
    /// For the view's J605 and J606, a finding on a group of journeys ([`groups`]):
    /// `parts` then lists only the journeys its message names.
    pub group: Option<FindingGroup>,
}

/// A finding on a group of journeys: every journey of `group` pairs with every journey
/// of each group in `partners` (with each other when `group` is among them).
#[derive(Debug, Clone, PartialEq)]
pub struct FindingGroup {
    /// Index into [`Calendar::groups`].
    pub group: usize,
    /// Indices into [`Calendar::groups`]: the earlier groups it pairs with, and
    /// `group` itself when its journeys pair with each other.
    pub partners: Vec<usize>,
    /// How many journeys the finding involves: its group's and its partners'.
    pub journeys: usize,
}

/// Run the cross-journey analysis: the diagnostics of `journey check`, on certain
/// overlaps and on may-overlaps with a witness history.
pub fn check(program: &Program) -> Vec<Diagnostic> {
    check_with(program, &super::facts(program))
}

/// [`check`] with the journeys' facts already worked out by the per-journey checks.
pub fn check_with(program: &Program, facts: &[JourneyFacts]) -> Vec<Diagnostic> {
    // the diagnostics of `analyze(program, true)` (tests/cross_oracle.rs), without
    // building the findings no one reads: J606's would list every partner of every
    // experiment, 12.6 million journeys and a third of the memory of `journey check`
    // on 5,000 generated journeys
    let (caps, plans) = planned(program, facts);
    let mut cx = Cross::with_never_enters(program, &plans, &caps, never_enters(facts));
    cx.proven_only = true;
    check_diagnostics(&cx).0
}

/// The caps every combination is checked against, and each journey's plan.
fn planned(program: &Program, facts: &[JourneyFacts]) -> (Vec<CapRule>, Vec<JourneyPlan>) {
    let caps = schedule::caps(program);
    let plans = program.journeys.iter().zip(facts).map(|(j, f)| schedule::plan_with(program, j, &caps, f)).collect();
    (caps, plans)
}

fn never_enters(facts: &[JourneyFacts]) -> Vec<bool> {
    facts.iter().map(|f| f.never_enters).collect()
}

/// The calendar of `journey calendar`: every finding, including those on audiences
/// that only may overlap (at the rule's may-overlap severity).
pub fn calendar(program: &Program) -> Calendar {
    analyze(program, false).0
}

/// The calendar and the diagnostics, computed together; `proven_only` keeps the
/// findings on audiences that certainly overlap or have a witness history. Without it
/// (the view's findings), J603's diagnostics carry no notes or help: the view shows
/// the findings and reads of their diagnostics only what journey.yaml's rules look at.
pub fn analyze(program: &Program, proven_only: bool) -> (Calendar, Vec<Diagnostic>) {
    let facts = super::facts(program);
    let (caps, plans) = planned(program, &facts);
    let mut cx = Cross::with_never_enters(program, &plans, &caps, never_enters(&facts));
    cx.proven_only = proven_only;
    // the view groups J605 and J606; `journey check` lists every pair
    let mut groups = Vec::new();
    let (findings, diags) = run_checks(&mut cx, (!proven_only).then_some(&mut groups), None).into_iter().unzip();
    let witness_time = cx.witness_time.get();
    let never_enters = std::mem::take(&mut cx.never_enters);
    (Calendar { plans, caps, findings, never_enters, groups, witness_time }, diags)
}

/// [`analyze`] the plain way, the oracle of its shortcuts (tests/cross_oracle.rs):
/// every pair of journeys decided on its merged witness history
/// ([`Cross::plainly`]), each journey planned on a whole [`super::Cx`]
/// ([`schedule::plan_plainly`]), every fact of a journey asked where it is used.
pub fn analyze_plainly(program: &Program, proven_only: bool) -> (Calendar, Vec<Diagnostic>) {
    let caps = schedule::caps(program);
    let plans: Vec<JourneyPlan> = program.journeys.iter().map(|j| schedule::plan_plainly(program, j, &caps)).collect();
    let mut cx = Cross::new(program, &plans, &caps);
    cx.proven_only = proven_only;
    cx.plainly = true;
    let mut groups = Vec::new();
    let (findings, diags) = run_checks(&mut cx, (!proven_only).then_some(&mut groups), None).into_iter().unzip();
    let witness_time = cx.witness_time.get();
    let never_enters = std::mem::take(&mut cx.never_enters);
    (Calendar { plans, caps, findings, never_enters, groups, witness_time }, diags)
}

/// The calendar with J605 and J606 as `journey check` finds them, one finding per
/// journey naming every partner (no [`groups`]): the oracle of the grouped view.
pub fn calendar_pairs(program: &Program) -> Calendar {
    let facts = super::facts(program);
    let (caps, plans) = planned(program, &facts);
    let mut cx = Cross::with_never_enters(program, &plans, &caps, never_enters(&facts));
    let findings = run_checks(&mut cx, None, None).into_iter().map(|(f, _)| f).collect();
    let witness_time = cx.witness_time.get();
    let never_enters = std::mem::take(&mut cx.never_enters);
    Calendar { plans, caps, findings, never_enters, groups: Vec::new(), witness_time }
}

/// What `journey calendar` needs, on one set of plans and memo tables: the
/// diagnostics of `journey check` (`analyze(program, true).1`, to refuse a program
/// with errors exactly as the check does), then the calendar and its diagnostics
/// (`analyze(program, false)`). Every memo of [`Cross`] holds a fact about its pair
/// or set of predicates that does not depend on [`Cross::proven_only`], so the second
/// pass answers from the first one's tables and both equal what the separate runs
/// give.
pub fn check_and_calendar(program: &Program) -> (Vec<Diagnostic>, Calendar, Vec<Diagnostic>) {
    check_and_calendar_with(program, &super::facts(program))
}

/// [`check_and_calendar`] with the journeys' facts already worked out.
pub fn check_and_calendar_with(
    program: &Program,
    facts: &[JourneyFacts],
) -> (Vec<Diagnostic>, Calendar, Vec<Diagnostic>) {
    let (caps, plans) = planned(program, facts);
    let mut cx = Cross::with_never_enters(program, &plans, &caps, never_enters(facts));
    cx.proven_only = true;
    let (checked, checked_caps) = check_diagnostics(&cx);
    cx.proven_only = false;
    let mut groups = Vec::new();
    let (findings, diags) = run_checks(&mut cx, Some(&mut groups), Some(checked_caps)).into_iter().unzip();
    let witness_time = cx.witness_time.get();
    let never_enters = std::mem::take(&mut cx.never_enters);
    drop(cx);
    (checked, Calendar { plans, caps, findings, never_enters, groups, witness_time }, diags)
}

/// The diagnostics of [`run_checks`] without groups, without their findings (which
/// `journey calendar` does not keep from the check): J606 then counts partners
/// instead of listing them ([`experiments::diagnostics`]). With J603's findings, which
/// the view starts from ([`view_caps`]).
fn check_diagnostics(cx: &Cross) -> (Vec<Diagnostic>, Vec<(Finding, Diagnostic)>) {
    let mut out: Vec<Diagnostic> = Vec::new();
    out.extend(duplicates::check(cx).into_iter().map(|(_, d)| d));
    out.extend(conflicts::check(cx).into_iter().map(|(_, d)| d));
    let checked_caps = caps::check(cx);
    out.extend(checked_caps.iter().map(|(_, d)| d.clone()));
    out.extend(winback::check(cx).into_iter().map(|(_, d)| d));
    out.extend(priority::check(cx).into_iter().map(|(_, d)| d));
    out.extend(experiments::diagnostics(cx));
    (out, checked_caps)
}

/// Every cross-journey check, in the order of their findings; with `groups`, J605 and
/// J606 by groups of journeys (the view's, [`groups`]), their groups appended there.
/// For the view, J603 is [`view_caps`], from `journey check`'s J603 findings
/// (`checked_caps` when they were found already, else found here).
fn run_checks(
    cx: &mut Cross,
    groups: Option<&mut Vec<Vec<usize>>>,
    checked_caps: Option<Vec<(Finding, Diagnostic)>>,
) -> Vec<(Finding, Diagnostic)> {
    let caps_found = if cx.proven_only {
        caps::check(cx)
    } else {
        cx.lean = true;
        let checked = match checked_caps {
            Some(checked) => checked.into_iter().map(caps::lean).collect(),
            None => {
                cx.proven_only = true;
                let checked = caps::check(cx);
                cx.proven_only = false;
                checked
            }
        };
        view_caps(cx, checked)
    };
    let cx: &Cross = cx;
    let mut out: Vec<(Finding, Diagnostic)> = Vec::new();
    out.extend(duplicates::check(cx));
    out.extend(conflicts::check(cx));
    out.extend(caps_found);
    out.extend(winback::check(cx));
    match groups {
        Some(groups) => {
            out.extend(priority::grouped(cx, groups));
            out.extend(experiments::grouped(cx, groups));
        }
        None => {
            out.extend(priority::check(cx));
            out.extend(experiments::check(cx));
        }
    }
    out
}

/// J603 as the view shows it: every finding of `journey check` (`checked`: the same
/// combinations and severities, in their [`caps::lean`] form, so the view never leaves
/// one out), then
/// the combinations only audiences that may overlap make ([`caps::check`] in the view's
/// mode: its greedy walk also takes may-overlapping journeys, so it can settle on
/// other combinations than the check's). Those are at the rule's may-overlap severity
/// and marked so (the check reports none of them). They are not searched for an
/// example customer as the check's are: on 2,000 journeys that search tripled the
/// time of `journey calendar` (issue 19's target is under 2 s).
fn view_caps(cx: &Cross, checked: Vec<(Finding, Diagnostic)>) -> Vec<(Finding, Diagnostic)> {
    type Key = (String, Vec<(usize, Option<usize>)>);
    let key = |f: &Finding| -> Key { (f.message.clone(), f.parts.clone()) };
    let known: std::collections::HashSet<Key> = checked.iter().map(|(f, _)| key(f)).collect();
    let mut out = checked;
    for (f, d) in caps::check(cx) {
        if known.contains(&key(&f)) {
            continue;
        }
        let mut members: Vec<usize> = Vec::new();
        for &(j, _) in &f.parts {
            if !members.contains(&j) {
                members.push(j);
            }
        }
        let certain = members
            .iter()
            .enumerate()
            .all(|(i, &x)| members[i + 1..].iter().all(|&y| cx.verdict(x, y) == Overlap::CertainlyOverlaps));
        if certain {
            out.push((f, d));
            continue;
        }
        let d = d.with_severity(may_severity("J603")).may_overlap();
        out.push((Finding { severity: d.severity, ..f }, d));
    }
    out
}

/// What every cross-journey check shares: the plans, and audience overlap with a memo.
pub struct Cross<'a> {
    pub program: &'a Program,
    pub plans: &'a [JourneyPlan],
    pub caps: &'a [CapRule],
    /// Journeys no customer can enter (J315, [`super::entry::never_enters`]): part of
    /// no finding.
    pub never_enters: Vec<bool>,
    /// Pair only journeys whose audiences certainly overlap, or may overlap with a
    /// witness history.
    pub proven_only: bool,
    /// Take no shortcut (the oracle of the tests): decide every pair on its merged
    /// witness history, and its verdict on its prepared normal forms.
    pub plainly: bool,
    /// J603 for the view ([`caps::lean`]): whether a combination has a joint witness
    /// history is decided, but the history is not built, and the diagnostics carry
    /// their primary label only. The view reads neither (on 5,000 journeys, building
    /// them for `journey check`'s combinations was a third of the view).
    pub lean: bool,
    /// Journey indices sorted by name: findings are reported at the later journey.
    pub order: Vec<usize>,
    /// Position of each journey in `order`.
    pub rank: Vec<usize>,
    /// Interned predicate of each journey.
    pred_of: Vec<usize>,
    /// Each predicate's conjuncts (interned atom ids) and its expression.
    preds: Vec<(Vec<usize>, Expr)>,
    /// Each atom and each predicate prepared once for the reasoner: preparing (audience
    /// expansion, normal form) costs far more than comparing, and there are thousands
    /// of pairs to compare.
    atoms: Vec<logic::Prepared>,
    prepared: Vec<logic::Prepared>,
    /// Each predicate's normal form with interned terms, for the verdicts.
    interned: Vec<verdicts::Dnf>,
    /// Each atom's condition and the names it reads: the witness search runs on the
    /// parts of a predicate that share no name ([`parts`]).
    atom_exprs: Vec<Expr>,
    sigs: Vec<parts::Signature>,
    /// The atoms of the predicates whose parts are looked up, and their split, kept
    /// from one lookup to the next ([`parts::Split`]).
    split: RefCell<(Vec<usize>, parts::Split)>,
    /// Witness histories of parts (sorted atom ids), found or not.
    /// With whether the history names only what the part reads
    /// ([`parts::reads_only_its_names`]).
    part_histories: RefCell<SetMap<PartFound>>,
    /// The interned names of the signatures.
    names: HashMap<String, u32>,
    /// `atom_disjoint[a * atoms + b]`: 0 unknown yet, 1 disjoint, 2 not proven.
    atom_disjoint: RefCell<Vec<u8>>,
    /// Everything asked about a pair of predicates, at [`Self::pair_index`]: the checks
    /// ask about the same pairs hundreds of thousands of times on 1,000 journeys, and a
    /// dense table answers without hashing.
    /// Each slot a packed [`PairMemo`] ([`PairMemo::pack`]), all zero when nothing is
    /// known: the table is allocated zeroed, so the pages of pairs never asked about
    /// are never touched (12.5 million slots on 5,000 journeys: 600 MB written up front
    /// as 48-byte `Option`s was a fifth of `journey check` there).
    pairs: RefCell<Vec<[u32; 4]>>,
    /// The witnesses of the pairs that have some ([`PairMemo::extra`]).
    extras: RefCell<Vec<PairExtra>>,
    /// Witness histories of sets of predicates (J603's combinations): many
    /// combinations of journeys share their audiences, and a failed search is the
    /// costliest, so both outcomes are kept.
    joint_histories: RefCell<SetMap<Option<History>>>,
    /// Whether a set of predicates has one, where only that was asked
    /// ([`Self::has_joint_history`]).
    joint_has: RefCell<SetMap<bool>>,
    /// Why a set of predicates has no joint witness history, when that was asked
    /// ([`Self::joint_undecided`]); `None`: proven impossible.
    joint_undecided: RefCell<SetMap<Option<Rc<Undecided>>>>,
    /// Whether a set of predicates can hold for one customer at once, unless proven
    /// impossible ([`Self::jointly_possible`]).
    joint_possible: RefCell<SetMap<bool>>,
    /// Time spent searching for witness histories (for the benchmark).
    pub witness_time: std::cell::Cell<std::time::Duration>,
}

impl<'a> Cross<'a> {
    pub fn new(program: &'a Program, plans: &'a [JourneyPlan], caps: &'a [CapRule]) -> Self {
        let never_enters = program.journeys.iter().map(|j| super::entry::never_enters(program, j)).collect();
        Self::with_never_enters(program, plans, caps, never_enters)
    }

    /// [`Self::new`] with each journey's J315 proof already made
    /// ([`super::JourneyFacts`]).
    pub fn with_never_enters(
        program: &'a Program,
        plans: &'a [JourneyPlan],
        caps: &'a [CapRule],
        never_enters: Vec<bool>,
    ) -> Self {
        let mut atom_ids: HashMap<String, usize> = HashMap::new();
        let mut atoms: Vec<Expr> = Vec::new();
        let mut pred_ids: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut preds: Vec<(Vec<usize>, Expr)> = Vec::new();
        let mut pred_of = Vec::with_capacity(program.journeys.len());
        for (j, &never) in program.journeys.iter().zip(&never_enters) {
            let mut parts = predicate_parts(j);
            // a journey no customer can enter (J315) pairs with none: `false` makes its
            // predicate disjoint from every other, and its own (a journey proven dead by
            // its entry's event filter reads the same audience as live ones)
            if never {
                parts.push(Expr::Const { value: journey_ir::Value::Bool(false) });
            }
            let mut ids: Vec<usize> = parts
                .into_iter()
                .map(|e| {
                    let key = format!("{e:?}");
                    *atom_ids.entry(key).or_insert_with(|| {
                        atoms.push(e.clone());
                        atoms.len() - 1
                    })
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let next = preds.len();
            let id = *pred_ids.entry(ids.clone()).or_insert(next);
            if id == next {
                let all: Vec<Expr> = ids.iter().map(|&a| atoms[a].clone()).collect();
                preds.push((ids, Expr::And { all }));
            }
            pred_of.push(id);
        }
        let mut order: Vec<usize> = (0..program.journeys.len()).collect();
        order.sort_by(|&a, &b| program.journeys[a].name.cmp(&program.journeys[b].name));
        let mut rank = vec![0; order.len()];
        for (r, &j) in order.iter().enumerate() {
            rank[j] = r;
        }
        let n = atoms.len();
        let npreds = preds.len();
        let mut names = HashMap::new();
        let sigs = atoms.iter().map(|e| parts::signature(e, program, &mut names)).collect();
        let atom_exprs = atoms;
        let atoms: Vec<logic::Prepared> = atom_exprs.iter().map(|e| logic::prepare(e, program)).collect();
        let prepared: Vec<logic::Prepared> = preds.iter().map(|(_, e)| logic::prepare(e, program)).collect();
        let mut keys = verdicts::Keys::default();
        let interned = prepared.iter().map(|p| keys.intern(p, program)).collect();
        Cross {
            program,
            plans,
            caps,
            never_enters,
            proven_only: false,
            plainly: false,
            lean: false,
            order,
            rank,
            pred_of,
            preds,
            atoms,
            prepared,
            interned,
            atom_exprs,
            sigs,
            split: RefCell::default(),
            part_histories: RefCell::new(SetMap::default()),
            names,
            atom_disjoint: RefCell::new(vec![0; n * n]),
            pairs: RefCell::new(vec![[0; 4]; npreds * (npreds + 1) / 2]),
            extras: RefCell::new(Vec::new()),
            joint_histories: RefCell::new(SetMap::default()),
            joint_has: RefCell::new(SetMap::default()),
            joint_undecided: RefCell::new(SetMap::default()),
            joint_possible: RefCell::new(SetMap::default()),
            witness_time: Default::default(),
        }
    }

    /// The slot of a pair of predicates in the upper triangle of [`Self::pairs`].
    fn pair_index(&self, pa: usize, pb: usize) -> usize {
        let (lo, hi) = (pa.min(pb), pa.max(pb));
        hi * (hi + 1) / 2 + lo
    }

    /// What is known about pair slot `i`.
    #[inline]
    fn memo(&self, i: usize) -> PairMemo {
        PairMemo::unpack(self.pairs.borrow()[i])
    }

    /// Word 0 of pair slot `i` (its flags and verdict, see [`PairMemo::pack`]): the
    /// walks read one field of a slot millions of times, and unpacking all of it
    /// each time cost more than the table saved.
    #[inline]
    fn flags(&self, i: usize) -> u32 {
        self.pairs.borrow()[i][0]
    }

    /// Change what is known about pair slot `i`.
    fn update_memo(&self, i: usize, f: impl FnOnce(&mut PairMemo)) {
        let mut pairs = self.pairs.borrow_mut();
        let mut m = PairMemo::unpack(pairs[i]);
        f(&mut m);
        pairs[i] = m.pack();
    }

    /// Read the witnesses of pair slot `i`, if it has any.
    fn extra<R>(&self, i: usize, f: impl FnOnce(&PairExtra) -> R) -> Option<R> {
        let e = self.pairs.borrow()[i][3];
        (e > 0).then(|| f(&self.extras.borrow()[e as usize - 1]))
    }

    /// Change the witnesses of pair slot `i`, giving it some first.
    fn extra_mut(&self, i: usize, f: impl FnOnce(&mut PairExtra)) {
        let mut extras = self.extras.borrow_mut();
        let mut e = self.pairs.borrow()[i][3];
        if e == 0 {
            extras.push(PairExtra::default());
            e = u32::try_from(extras.len()).expect("fewer than 4 billion pairs with witnesses");
            self.update_memo(i, |m| m.extra = e);
        }
        f(&mut extras[e as usize - 1]);
    }

    /// Whether journeys `a` and `b` have a witness history: exactly when
    /// [`Self::history`] finds one, decided on the histories of the parts without
    /// merging them ([`Self::decide`]), memoised per pair of predicates. `journey
    /// check` asks this of every may-overlapping pair it could report, and shows the
    /// history of one partner per finding.
    pub fn has_history(&self, a: usize, b: usize) -> bool {
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        let i = self.pair_index(pa, pb);
        if let Some(h) = PairMemo::flag(self.flags(i) >> 2) {
            return h;
        }
        let decided = if self.plainly { None } else { self.decide(&[pa.min(pb), pa.max(pb)]) };
        let found = match decided {
            Some(found) => found,
            None => self.history(a, b).is_some(),
        };
        self.update_memo(i, |m| m.has_history = Some(found));
        found
    }

    /// A witness history for journeys `a` and `b` (memoised per pair of predicates).
    pub fn history(&self, a: usize, b: usize) -> Option<Rc<History>> {
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        let i = self.pair_index(pa, pb);
        if let Some(h) = self.extra(i, |x| x.history.clone()).flatten() {
            return h;
        }
        let h = self.search(&[pa.min(pb), pa.max(pb)]);
        self.extra_mut(i, |x| x.history = Some(h.clone()));
        h
    }

    /// Why journeys `a` and `b`, whose audiences may overlap, have no witness history:
    /// `None` when one was found after all or none can exist (proven). Memoised per
    /// pair of predicates; the closer look ([`history::explain`]) runs only on pairs
    /// the search failed on.
    pub fn undecided(&self, a: usize, b: usize) -> Option<Rc<Undecided>> {
        if self.has_history(a, b) {
            return None;
        }
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        let i = self.pair_index(pa, pb);
        if let Some(u) = self.extra(i, |x| x.undecided.clone()).flatten() {
            return u;
        }
        // A history found here (in a conjunction the quick search skipped) decides
        // the pair, but is not reported yet: the replay test showed such a witness on
        // a send behind `wait … for email_click`, which the engine sends only after
        // the click, and the schedule does not model that (see the module docs).
        let (_found, u) = self.explain(&[pa.min(pb), pa.max(pb)]);
        self.extra_mut(i, |x| x.undecided = Some(u.clone()));
        u
    }

    /// Why the journeys of a combination have no joint witness history (see
    /// [`Self::undecided`]); asked only after [`Self::joint_history`] found none.
    pub fn joint_undecided(&self, journeys: &[usize]) -> Option<Rc<Undecided>> {
        let mut preds: Vec<usize> = journeys.iter().map(|&j| self.pred_of[j]).collect();
        preds.sort_unstable();
        preds.dedup();
        if let Some(u) = self.joint_undecided.borrow().get(&preds) {
            return u.clone();
        }
        let (_, u) = self.explain(&preds);
        self.joint_undecided.borrow_mut().insert(preds, u.clone());
        u
    }

    /// Can one customer be in the audiences of all of `journeys` at once, as far as
    /// [`history::explain`] can tell? `false` only on a proof that none can. Memoised
    /// per set of predicates.
    pub fn jointly_possible(&self, journeys: &[usize]) -> bool {
        let mut preds: Vec<usize> = journeys.iter().map(|&j| self.pred_of[j]).collect();
        preds.sort_unstable();
        preds.dedup();
        if let Some(&p) = self.joint_possible.borrow().get(&preds) {
            return p;
        }
        let (found, undecided) = self.explain(&preds);
        let possible = found.is_some() || undecided.is_some();
        self.joint_possible.borrow_mut().insert(preds, possible);
        possible
    }

    /// [`history::explain`] on the whole of `preds`, to its first conjunction that
    /// is not impossible: a history the quick search missed, or what stayed
    /// undecided (`(None, None)`: proven impossible). A history found here is said as
    /// undecided too ([`history::Reason::Unconfirmed`]): taken for "nothing to say",
    /// it dropped findings the engine could bear out.
    fn explain(&self, preds: &[usize]) -> (Option<History>, Option<Rc<Undecided>>) {
        let start = std::time::Instant::now();
        let exprs: Vec<&Expr> = preds.iter().map(|&p| &self.preds[p].1).collect();
        let prepared: Vec<&logic::Prepared> = preds.iter().map(|&p| &self.prepared[p]).collect();
        let r = match history::explain_first(&exprs, &prepared, self.program) {
            Outcome::Found(h) => {
                let profile = History { attributes: h.attributes.clone(), ..History::default() };
                let u = Undecided { profile, open: Vec::new(), reason: history::Reason::Unconfirmed };
                (Some(h), Some(Rc::new(u)))
            }
            Outcome::Impossible => (None, None),
            Outcome::Undecided(u) => (None, Some(Rc::new(u))),
        };
        self.witness_time.set(self.witness_time.get() + start.elapsed());
        r
    }

    /// The distinct predicates of `journeys`, sorted, and, when there are two, a
    /// journey of each (the pair's own memo answers for the combination).
    fn combination(&self, journeys: &[usize]) -> (Vec<usize>, Option<(usize, usize)>) {
        let mut preds: Vec<usize> = journeys.iter().map(|&j| self.pred_of[j]).collect();
        preds.sort_unstable();
        preds.dedup();
        let of = |p: usize| journeys.iter().copied().find(|&j| self.pred_of[j] == p);
        let pair = match preds[..] {
            [x, y] => of(x).zip(of(y)),
            _ => None,
        };
        (preds, pair)
    }

    /// A witness history for all of `journeys` at once.
    pub fn joint_history(&self, journeys: &[usize]) -> Option<History> {
        let (preds, pair) = self.combination(journeys);
        if let Some((a, b)) = pair {
            // the pair's own (memoised) search
            return self.history(a, b).map(|h| (*h).clone());
        }
        if let Some(h) = self.joint_histories.borrow().get(&preds) {
            return h.clone();
        }
        let h = self.search(&preds).map(|h| (*h).clone());
        self.joint_histories.borrow_mut().insert(preds, h.clone());
        h
    }

    /// Whether [`Self::joint_history`] finds one, without building it where the
    /// histories of the parts decide it ([`Self::decide`]); memoised per set of
    /// predicates.
    pub fn has_joint_history(&self, journeys: &[usize]) -> bool {
        let (preds, pair) = self.combination(journeys);
        if let Some((a, b)) = pair {
            return self.has_history(a, b);
        }
        if let Some(h) = self.joint_histories.borrow().get(&preds) {
            return h.is_some();
        }
        if let Some(&h) = self.joint_has.borrow().get(&preds) {
            return h;
        }
        let decided = if self.plainly { None } else { self.decide(&preds) };
        let found = match decided {
            Some(found) => found,
            None => self.search(&preds).is_some(),
        };
        self.joint_has.borrow_mut().insert(preds, found);
        found
    }

    /// Whether [`Self::search`] finds a history for `preds`, without merging the
    /// histories of the parts: `Some(false)` when a part has none, `Some(true)` when
    /// every predicate holds on them as merged ([`history::holds_merged`]); `None`
    /// when that cannot be told without the merged history (two parts' histories
    /// name one attribute or event) or it fails there ([`Self::search`] then searches
    /// the whole).
    fn decide(&self, preds: &[usize]) -> Option<bool> {
        let start = std::time::Instant::now();
        let found = self.part_histories_of(preds);
        let r = match &found {
            None => Some(false),
            // every part's history names only what its atoms read, and its atoms hold
            // on it (the search checked them): every predicate holds on them merged
            Some((_, true)) => Some(true),
            Some((found, false)) => {
                let parts: Vec<&History> = found.iter().map(|h| &**h).collect();
                let mut r = Some(true);
                for &p in preds {
                    match history::holds_merged(&self.preds[p].1, &parts, self.program) {
                        Some(true) => {}
                        _ => {
                            r = None;
                            break;
                        }
                    }
                }
                r
            }
        };
        self.witness_time.set(self.witness_time.get() + start.elapsed());
        r
    }

    /// The witness histories of the independent parts of the atoms of `preds` (each
    /// searched once per program), and whether each names only what its part reads;
    /// `None` when some part has none.
    fn part_histories_of(&self, preds: &[usize]) -> Option<(Vec<Rc<History>>, bool)> {
        let mut split = self.split.borrow_mut();
        let split = &mut *split;
        split.0.clear();
        split.0.extend(preds.iter().flat_map(|&p| self.preds[p].0.iter().copied()));
        split.0.sort_unstable();
        split.0.dedup();
        split.1.split(&split.0, &self.sigs);
        let mut found: Vec<Rc<History>> = Vec::new();
        let mut own = true;
        for part in split.1.parts() {
            let known = self.part_histories.borrow().get(part).cloned();
            let h = match known {
                Some(h) => h,
                None => {
                    let h = parts::search_part(part, &self.atom_exprs, &self.atoms, self.program).map(|h| {
                        let own = parts::reads_only_its_names(&h, part, &self.sigs, &self.names);
                        (Rc::new(h), own)
                    });
                    self.part_histories.borrow_mut().insert(part.to_vec(), h.clone());
                    h
                }
            };
            // one part without a history: the whole has none the search can find
            let (h, o) = h?;
            found.push(h);
            own &= o;
        }
        Some((found, own))
    }

    /// A history in which every predicate of `preds` holds: the histories of the
    /// independent parts of their atoms (each searched once per program), merged and
    /// checked on every predicate.
    fn search(&self, preds: &[usize]) -> Option<Rc<History>> {
        let start = std::time::Instant::now();
        let Some((found, _)) = self.part_histories_of(preds) else {
            self.witness_time.set(self.witness_time.get() + start.elapsed());
            return None;
        };
        let merged = parts::merge(found.iter().map(|h| &**h));
        let h = if preds.iter().all(|&p| history::holds(&self.preds[p].1, &merged, self.program)) {
            Some(merged)
        } else {
            // parts that read more than their names tell (never seen): search the whole
            let exprs: Vec<&Expr> = preds.iter().map(|&p| &self.preds[p].1).collect();
            let prepared: Vec<&logic::Prepared> = preds.iter().map(|&p| &self.prepared[p]).collect();
            history::search(&exprs, &prepared, self.program)
        };
        self.witness_time.set(self.witness_time.get() + start.elapsed());
        h.map(Rc::new)
    }

    pub fn journey(&self, j: usize) -> &'a Journey {
        &self.program.journeys[j]
    }

    /// Proven that no customer is in both journeys' audiences, by their conjuncts alone
    /// (cheap, memoised per pair of conjuncts).
    pub fn quickly_disjoint(&self, a: usize, b: usize) -> bool {
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        if pa == pb {
            return false;
        }
        let i = self.pair_index(pa, pb);
        if let Some(d) = PairMemo::flag(self.flags(i)) {
            return d;
        }
        let d = self.conjuncts_disjoint(pa, pb);
        self.update_memo(i, |m| m.quickly_disjoint = Some(d));
        d
    }

    fn conjuncts_disjoint(&self, pa: usize, pb: usize) -> bool {
        let n = self.atoms.len();
        let mut memo = self.atom_disjoint.borrow_mut();
        for &x in &self.preds[pa].0 {
            for &y in &self.preds[pb].0 {
                let (lo, hi) = (x.min(y), x.max(y));
                let cell = &mut memo[lo * n + hi];
                if *cell == 0 {
                    *cell = if logic::disjoint_prepared(&self.atoms[lo], &self.atoms[hi]) { 1 } else { 2 };
                }
                if *cell == 1 {
                    return true;
                }
            }
        }
        false
    }

    /// How the audiences of journeys `a` and `b` relate, with an example customer in
    /// both when the reasoner has one.
    pub fn overlap(&self, a: usize, b: usize) -> (Overlap, Option<Rc<Witness>>) {
        let (o, at) = self.verdict_at(a, b);
        let Some(at) = at else { return (o, None) };
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        let i = self.pair_index(pa, pb);
        if let Some(w) = self.extra(i, |x| x.witness.clone()).flatten() {
            return (o, w);
        }
        let (lo, hi) = (pa.min(pb), pa.max(pb));
        let w = Some(Rc::new(logic::witness_at(&self.prepared[lo], &self.prepared[hi], at, self.program)));
        self.extra_mut(i, |x| x.witness = Some(w.clone()));
        (o, w)
    }

    /// How the audiences of journeys `a` and `b` relate, without the example customer.
    pub fn verdict(&self, a: usize, b: usize) -> Overlap {
        if self.quickly_disjoint(a, b) {
            return Overlap::Disjoint;
        }
        let i = self.pair_index(self.pred_of[a], self.pred_of[b]);
        match PairMemo::overlap(self.flags(i)) {
            Some(o) => o,
            None => self.verdict_at(a, b).0,
        }
    }

    fn verdict_at(&self, a: usize, b: usize) -> (Overlap, Option<logic::WitnessAt>) {
        if self.quickly_disjoint(a, b) {
            return (Overlap::Disjoint, None);
        }
        let (pa, pb) = (self.pred_of[a], self.pred_of[b]);
        let i = self.pair_index(pa, pb);
        if self.flags(i) >> 4 & 3 != 0 {
            let r = self.memo(i).verdict.expect("a verdict is packed");
            return r;
        }
        let (lo, hi) = (pa.min(pb), pa.max(pb));
        let r = if self.plainly {
            logic::verdict_prepared(&self.prepared[lo], &self.prepared[hi], self.program)
        } else {
            verdicts::verdict(&self.interned[lo], &self.interned[hi])
        };
        self.update_memo(i, |m| m.verdict = Some(r));
        r
    }

    /// Can `a` and `b` be reported together: audiences that certainly overlap, or that
    /// may overlap with a witness history (or, unless [`Self::proven_only`], that are
    /// not proven disjoint)? Never with the history itself (`Some(None)`): only the
    /// first partner of a finding shows one, and [`Self::first_witness`] builds that
    /// one (on 1,000 journeys, searching a history for every pair the view names was
    /// a fifth of the calendar's analysis, and building one for every pair `journey
    /// check` decides on was a third of its pass).
    pub fn related(&self, a: usize, b: usize, o: Overlap) -> Option<Option<Rc<History>>> {
        match o {
            Overlap::Disjoint => None,
            Overlap::CertainlyOverlaps => Some(None),
            Overlap::MayOverlap if !self.proven_only => Some(None),
            Overlap::MayOverlap => self.has_history(a, b).then_some(None),
        }
    }

    /// The earlier journeys (in name order) among `candidates` whose audiences are
    /// [`Self::related`] to `b`'s, with the overlap.
    pub fn partners(&self, b: usize, candidates: impl IntoIterator<Item = usize>) -> Vec<Partner> {
        let mut out: Vec<Partner> = candidates
            .into_iter()
            .filter(|&a| a != b && self.rank[a] < self.rank[b])
            .filter_map(|a| {
                let overlap = self.verdict(a, b);
                let history = self.related(a, b, overlap)?;
                Some(Partner { journey: a, overlap, witness: None, history, undecided: None })
            })
            .collect();
        out.sort_by_key(|p| self.rank[p.journey]);
        self.first_witness(b, &mut out);
        out
    }

    /// A set of candidate partners indexed for [`Self::partners_among`]: J606 asks
    /// about every experiment against every earlier one, and what it asks depends only
    /// on the two journeys' predicates.
    pub fn candidates(&self, journeys: impl IntoIterator<Item = usize>) -> Candidates {
        let mut by_rank: Vec<usize> = journeys.into_iter().collect();
        by_rank.sort_unstable_by_key(|&j| self.rank[j]);
        by_rank.dedup();
        let mut class_of_pred: HashMap<usize, u32> = HashMap::new();
        let class = by_rank
            .iter()
            .map(|&j| {
                let next = class_of_pred.len() as u32;
                *class_of_pred.entry(self.pred_of[j]).or_insert(next)
            })
            .collect();
        Candidates { by_rank, class, classes: class_of_pred.len() }
    }

    /// [`Self::partners`] of `b` among indexed candidates, the same list: the
    /// candidates before `b` in name order, in that order, whose audiences are
    /// [`Self::related`] to `b`'s. The relation is asked once per predicate among
    /// them (of the first journey that has it), not once per journey, so the loop over
    /// earlier journeys does no more than look up its class.
    pub fn partners_among(&self, b: usize, c: &Candidates) -> Vec<Partner> {
        self.partners_among_where(b, c, |_| true)
    }

    /// [`Self::partners_among`] the candidates `keep` keeps (a cheap test: it runs on
    /// every earlier candidate).
    pub fn partners_among_where(&self, b: usize, c: &Candidates, keep: impl Fn(usize) -> bool) -> Vec<Partner> {
        let end = c.by_rank.partition_point(|&a| self.rank[a] < self.rank[b]);
        // per class: not asked yet, or the relation of its predicate to `b`'s
        let mut related: Vec<Option<Related>> = vec![None; c.classes];
        let mut out = Vec::new();
        for (&a, &k) in c.by_rank[..end].iter().zip(&c.class) {
            if !keep(a) {
                continue;
            }
            let r = related[k as usize].get_or_insert_with(|| {
                let overlap = self.verdict(a, b);
                self.related(a, b, overlap).map(|h| (overlap, h))
            });
            if let Some((overlap, history)) = r {
                out.push(Partner {
                    journey: a,
                    overlap: *overlap,
                    witness: None,
                    history: history.clone(),
                    undecided: None,
                });
            }
        }
        self.first_witness(b, &mut out);
        out
    }

    /// [`Self::partners_among`] of `b`, summed up: the first `keep` partners (the first
    /// with its witness, as there), how many there are and whether some partner's
    /// audience certainly overlaps `b`'s. Asks the same questions in the same order,
    /// without a list of every partner.
    pub fn partners_summary(&self, b: usize, c: &Candidates, keep: usize) -> PartnerSummary {
        let end = c.by_rank.partition_point(|&a| self.rank[a] < self.rank[b]);
        let mut related: Vec<Option<Related>> = vec![None; c.classes];
        let mut summary = PartnerSummary { first: Vec::new(), total: 0, certain: false };
        for (&a, &k) in c.by_rank[..end].iter().zip(&c.class) {
            let r = related[k as usize].get_or_insert_with(|| {
                let overlap = self.verdict(a, b);
                self.related(a, b, overlap).map(|h| (overlap, h))
            });
            if let Some((overlap, history)) = r {
                summary.total += 1;
                summary.certain |= *overlap == Overlap::CertainlyOverlaps;
                if summary.first.len() < keep {
                    summary.first.push(Partner {
                        journey: a,
                        overlap: *overlap,
                        witness: None,
                        history: history.clone(),
                        undecided: None,
                    });
                }
            }
        }
        self.first_witness(b, &mut summary.first);
        summary
    }

    /// [`Self::partners`], and, for `journey check`, also the may-overlapping journeys
    /// neither a witness history nor a proof decides ([`Self::undecided`]), after the
    /// decided ones: a duplicate send the analysis cannot rule out is reported as
    /// undecided rather than dropped (issue 13).
    pub fn partners_or_undecided(&self, b: usize, candidates: impl IntoIterator<Item = usize>) -> Vec<Partner> {
        let mut out: Vec<Partner> = candidates
            .into_iter()
            .filter(|&a| a != b && self.rank[a] < self.rank[b])
            .filter_map(|a| self.partner(a, b))
            .collect();
        out.sort_by_key(|p| (p.undecided.is_some(), self.rank[p.journey]));
        self.first_witness(b, &mut out);
        out
    }

    /// `a` as a partner of `b` ([`Self::partners_or_undecided`]).
    pub fn partner(&self, a: usize, b: usize) -> Option<Partner> {
        let overlap = self.verdict(a, b);
        if let Some(history) = self.related(a, b, overlap) {
            return Some(Partner { journey: a, overlap, witness: None, history, undecided: None });
        }
        if overlap != Overlap::MayOverlap || !self.proven_only {
            return None;
        }
        let undecided = self.undecided(a, b)?;
        Some(Partner { journey: a, overlap, witness: None, history: None, undecided: Some(undecided) })
    }

    /// The example customer of the first partner, the one [`witness_note`] shows,
    /// and its witness history when [`Self::related`] left that to here.
    pub fn first_witness(&self, b: usize, partners: &mut [Partner]) {
        if let Some(p) = partners.first_mut() {
            if p.overlap == Overlap::MayOverlap && p.history.is_none() && p.undecided.is_none() {
                p.history = self.history(p.journey, b);
            }
            p.witness = self.overlap(p.journey, b).1;
        }
    }
}

/// The witness history of a part and whether it names only what the part reads
/// ([`parts::reads_only_its_names`]); `None`: the search found none.
type PartFound = Option<(Rc<History>, bool)>;

/// How a candidate's predicate relates to a journey's, as [`Cross::partners_among`]
/// remembers it: `None` when not [`Cross::related`], else the overlap and history.
type Related = Option<(Overlap, Option<Rc<History>>)>;

/// Candidate partners in name order with the class of their predicate
/// ([`Cross::candidates`]).
pub struct Candidates {
    by_rank: Vec<usize>,
    /// Parallel to `by_rank`: the class (distinct predicate, numbered from 0).
    class: Vec<u32>,
    classes: usize,
}

/// [`Cross::partners_summary`]: the first partners, how many, whether some certainly
/// overlaps.
pub struct PartnerSummary {
    pub first: Vec<Partner>,
    pub total: usize,
    pub certain: bool,
}

/// What is known about one pair of predicates; `None`: not asked yet. Plain data:
/// the table has a slot for every pair of predicates (half a million on 1,000
/// journeys), most never get past the quick screen, and a table of `Copy` slots is
/// allocated lazily and freed at once (dropping slots holding `Rc`s was a tenth of
/// the cross-journey pass). Stored packed in 16 bytes ([`Self::pack`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PairMemo {
    quickly_disjoint: Option<bool>,
    verdict: Option<(Overlap, Option<logic::WitnessAt>)>,
    /// Whether the pair has a witness history ([`Cross::has_history`]), decided
    /// without building it.
    has_history: Option<bool>,
    /// 1 + the position of the pair's [`PairExtra`] in [`Cross::extras`]; 0: none yet.
    extra: u32,
}

impl PairMemo {
    /// Four words, all zero for the default (nothing known): word 0 holds
    /// `quickly_disjoint` (bits 0-1: 0 unknown, 1 false, 2 true), `has_history` (bits
    /// 2-3, the same) and the verdict (bits 4-5: 0 unknown, 1 disjoint, 2 may, 3
    /// certain; bit 6: it has a witness at words 1 and 2); word 3 is `extra`.
    #[inline]
    fn pack(self) -> [u32; 4] {
        let flag = |b: Option<bool>| match b {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        let mut w = [flag(self.quickly_disjoint) | flag(self.has_history) << 2, 0, 0, self.extra];
        if let Some((o, at)) = self.verdict {
            w[0] |= match o {
                Overlap::Disjoint => 1,
                Overlap::MayOverlap => 2,
                Overlap::CertainlyOverlaps => 3,
            } << 4;
            if let Some((i, j)) = at {
                w[0] |= 1 << 6;
                w[1] = u32::try_from(i).expect("fewer than 4 billion conjunctions");
                w[2] = u32::try_from(j).expect("fewer than 4 billion conjunctions");
            }
        }
        w
    }

    /// The verdict's overlap in word 0.
    #[inline]
    fn overlap(w0: u32) -> Option<Overlap> {
        match (w0 >> 4) & 3 {
            0 => None,
            1 => Some(Overlap::Disjoint),
            2 => Some(Overlap::MayOverlap),
            _ => Some(Overlap::CertainlyOverlaps),
        }
    }

    /// A flag of word 0, shifted to bits 0-1.
    #[inline]
    fn flag(bits: u32) -> Option<bool> {
        match bits & 3 {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        }
    }

    #[inline]
    fn unpack(w: [u32; 4]) -> Self {
        let flag = Self::flag;
        let overlap = Self::overlap(w[0]);
        let at = (w[0] & 1 << 6 != 0).then(|| (w[1] as usize, w[2] as usize));
        PairMemo {
            quickly_disjoint: flag(w[0]),
            verdict: overlap.map(|o| (o, at)),
            has_history: flag(w[0] >> 2),
            extra: w[3],
        }
    }
}

/// The witnesses of a pair, for the few pairs that get that far. Witnesses and
/// histories are shared, not cloned, because most pairs are asked about many times.
#[derive(Debug, Clone, Default)]
struct PairExtra {
    /// Built on demand: only the first partner of a finding shows its witness.
    witness: Option<Option<Rc<Witness>>>,
    /// The witness history of a may-overlapping pair (`Some(None)`: none found).
    history: Option<Option<Rc<History>>>,
    /// Why none was found (`Some(None)`: a closer look found one, or proved none exists).
    undecided: Option<Option<Rc<Undecided>>>,
}

/// An earlier journey a finding pairs with.
#[derive(Debug, Clone)]
pub struct Partner {
    pub journey: usize,
    pub overlap: Overlap,
    /// The reasoner's example customer; only on the first partner of a finding (the
    /// one its note shows).
    pub witness: Option<Rc<Witness>>,
    /// For a may-overlap: a customer history in both audiences.
    pub history: Option<Rc<History>>,
    /// For a may-overlap without a history: what the analysis found and what it could
    /// not decide.
    pub undecided: Option<Rc<Undecided>>,
}

/// The conjuncts of a journey's predicate: its `audience` filter split at top-level
/// `and`s, plus the audience its entry waits for.
pub fn predicate_parts(j: &Journey) -> Vec<Expr> {
    fn flatten(e: &Expr, out: &mut Vec<Expr>) {
        match e {
            Expr::And { all } => all.iter().for_each(|x| flatten(x, out)),
            _ => out.push(e.clone()),
        }
    }
    let mut out = Vec::new();
    if let Some(a) = &j.audience {
        flatten(a, &mut out);
    }
    match &j.entry {
        Trigger::AudienceEntered { audience } => out.push(Expr::Audience { name: audience.clone() }),
        // `entry when COND` enters as `entry when audience (COND) entered` would, so it
        // is read the same way: the condition held at entry
        Trigger::Condition { condition } => flatten(condition, &mut out),
        // event and schedule entries, and any entry added later: no condition
        _ => {}
    }
    out
}

/// `may overlap` / `certainly overlap`, for messages.
pub fn overlap_words(o: Overlap) -> &'static str {
    match o {
        Overlap::CertainlyOverlaps => "certainly overlap",
        Overlap::MayOverlap => "may overlap",
        Overlap::Disjoint => "are disjoint",
    }
}

/// [`overlap_words`] for a partner: `may overlap, undecided` when neither a witness
/// history nor a proof decides.
pub fn partner_words(p: &Partner) -> &'static str {
    if p.undecided.is_some() {
        "may overlap, undecided"
    } else {
        overlap_words(p.overlap)
    }
}

/// The severity of a finding on audiences that only may overlap, by rule, before
/// journey.yaml's `may_overlap:` overrides: a warning for duplicate sends, conflicting
/// tags and win-backs reaching VIPs (a real customer history shows each), info for
/// cap sums, priorities and experiments (they depend on when customers enter).
pub fn may_severity(code: &str) -> Severity {
    match code {
        "J601" | "J602" | "J604" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// The rule's default when some partner's audience certainly overlaps, else the
/// rule's may-overlap severity, marked as such (journey.yaml may change it).
pub fn proven_severity(d: Diagnostic, partners: &[&Partner]) -> Diagnostic {
    if partners.iter().any(|p| p.overlap == Overlap::CertainlyOverlaps) {
        d
    } else {
        let sev = may_severity(d.code);
        d.with_severity(sev).may_overlap()
    }
}

/// The witness of a finding (for the replay test and the views): the history of the
/// first partner when the finding rests on a may-overlap.
pub fn finding_witness(b: usize, partners: &[Partner]) -> Option<(History, Vec<usize>)> {
    if partners.iter().any(|p| p.overlap == Overlap::CertainlyOverlaps) {
        return None;
    }
    let p = partners.first()?;
    p.history.as_ref().map(|h| ((**h).clone(), vec![b, p.journey]))
}

/// The note with the example customer, when there is one: the witness profile of a
/// certain overlap, or the witness history of a may-overlap.
pub fn witness_note(d: Diagnostic, p: &Partner, a: &str, b: &str) -> Diagnostic {
    if let Some(u) = &p.undecided {
        return d.note(format!(
            "undecided: the analysis could neither find a customer in both `{a}` and `{b}` nor rule one out: {u}"
        ));
    }
    if let Some(h) = &p.history {
        if p.overlap == Overlap::MayOverlap {
            return d.note(format!("e.g. a customer with {h} is in both `{a}` and `{b}` at once"));
        }
    }
    match &p.witness {
        Some(w) if !w.values.is_empty() => d.note(format!("e.g. a customer with {w} is in both `{a}` and `{b}`")),
        _ => d,
    }
}

/// `a`, `a and b`, `a, b, c and 4 more`.
pub fn some_names(names: &[&str], shown: usize) -> String {
    if names.len() <= shown + 1 {
        return super::list_names(names);
    }
    let head: Vec<String> = names[..shown].iter().map(|n| format!("`{n}`")).collect();
    format!("{} and {} more", head.join(", "), names.len() - shown)
}

/// Labels on how many partner journeys at most (the message counts all of them).
pub const SHOWN: usize = 3;

#[cfg(test)]
mod index_oracle;
#[cfg(test)]
mod tests;
