//! Oracle for the indexed cross-journey computations: on small generated programs
//! (audiences drawn from a small pool of conditions, so many journeys share a
//! predicate, in a shuffled name order), each indexed answer equals the brute-force
//! one that asks about every pair of journeys.

use super::super::testing::*;
use super::{schedule, Cross, JourneyPlan, Partner};
use crate::analysis::logic::Overlap;
use journey_ir::*;

/// SplitMix64, seeded: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        (z ^ (z >> 31)) % n
    }
}

fn seat_is(values: &[&str]) -> Expr {
    let attr = Box::new(Expr::Attribute { name: "seat".into() });
    let list = values.iter().map(|v| Expr::Const { value: Value::Text((*v).into()) }).collect();
    Expr::In { value: attr, list }
}

fn purchases(op: CmpOp, n: f64) -> Expr {
    let count = Aggregate::Count { event: "purchase".into(), filter: None, window_minutes: None };
    Expr::Compare {
        cmp: op,
        lhs: Box::new(Expr::Aggregate(count)),
        rhs: Box::new(Expr::Const { value: Value::Number(n) }),
    }
}

fn since_purchase(op: CmpOp, days: u64) -> Expr {
    let since = Aggregate::Since { event: "purchase".into(), filter: None };
    Expr::Compare {
        cmp: op,
        lhs: Box::new(Expr::Aggregate(since)),
        rhs: Box::new(Expr::Const { value: Value::DurationMinutes(days * 1440) }),
    }
}

/// Conditions that are disjoint, certainly overlap, may overlap with a witness
/// history, and may overlap without one, in every combination.
fn pool() -> Vec<Expr> {
    vec![
        seat_is(&["pro"]),
        seat_is(&["free", "team"]),
        seat_is(&["pro", "team"]),
        Expr::Not { expr: Box::new(seat_is(&["team"])) },
        purchases(CmpOp::Ge, 2.0),
        purchases(CmpOp::Eq, 0.0),
        since_purchase(CmpOp::Gt, 60),
        since_purchase(CmpOp::Le, 10),
    ]
}

/// `n` journeys, each with a conjunction of one to three conditions of the pool, a
/// split (an experiment) on most, names in a shuffled order.
fn generated(n: usize, rng: &mut Rng) -> Program {
    let pool = pool();
    let mut names: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        names.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let journeys = (0..n)
        .map(|i| {
            let k = 1 + rng.below(3) as usize;
            let all: Vec<Expr> = (0..k).map(|_| pool[rng.below(pool.len() as u64) as usize].clone()).collect();
            let mut steps = vec![send("email", &format!("t{}", rng.below(3)))];
            if rng.below(4) != 0 {
                let arm = || SplitArm { percent: 50.0, target: next(), origin: origin("arm") };
                steps.push(Step::Split { name: Some(format!("s{i}")), arms: vec![arm(), arm()] });
            }
            steps.push(end());
            let mut j = journey(&format!("j{:02}", names[i])).audience(Expr::And { all }).stage("s", steps).build();
            j.priority = 40 + rng.below(2) * 10;
            j
        })
        .collect();
    let mut p = program(vec![channel("email", ChannelKind::Email)], journeys);
    let choices = vec!["free".into(), "pro".into(), "team".into()];
    p.attributes.push(AttributeDef { name: "seat".into(), ty: Type::OneOf { choices }, origin: origin("seat") });
    p
}

/// What a partner list says, comparably.
fn said(ps: &[Partner]) -> Vec<String> {
    ps.iter()
        .map(|p| {
            let h = p.history.as_ref().map(|h| h.to_string());
            let w = p.witness.as_ref().map(|w| w.to_string());
            format!("{} {:?} {h:?} {w:?} {}", p.journey, p.overlap, p.undecided.is_some())
        })
        .collect()
}

#[test]
fn indexed_partners_are_the_partners_of_every_pair() {
    let mut rng = Rng(19);
    // what the cases exercise: certain overlaps, may-overlaps with and without a
    // witness history, and pairs left out (disjoint, or without a history in check)
    let (mut certain, mut with_history, mut without, mut left_out) = (0, 0, 0, 0);
    for case in 0..40 {
        let p = generated(2 + case % 14, &mut rng);
        let caps = schedule::caps(&p);
        let plans: Vec<JourneyPlan> = p.journeys.iter().map(|j| schedule::plan(&p, j, &caps)).collect();
        for proven_only in [true, false] {
            let mut cx = Cross::new(&p, &plans, &caps);
            cx.proven_only = proven_only;
            // every journey, and a subset of them, as candidates
            let all: Vec<usize> = (0..p.journeys.len()).collect();
            let some: Vec<usize> = all.iter().copied().filter(|&j| j % 3 != 1).collect();
            for cands in [&all, &some] {
                let index = cx.candidates(cands.iter().copied());
                for b in 0..p.journeys.len() {
                    let brute = cx.partners(b, cands.iter().copied());
                    let indexed = cx.partners_among(b, &index);
                    assert_eq!(said(&indexed), said(&brute), "case {case}, journey {b}, proven_only {proven_only}");
                    for q in &indexed {
                        match (q.overlap, &q.history) {
                            (Overlap::CertainlyOverlaps, _) => certain += 1,
                            (_, Some(_)) => with_history += 1,
                            (_, None) => without += 1,
                        }
                    }
                    let earlier = cands.iter().filter(|&&a| cx.rank[a] < cx.rank[b]).count();
                    left_out += earlier - indexed.len();
                    let keep = |a: usize| p.journeys[a].priority == p.journeys[b].priority;
                    let brute = cx.partners(b, cands.iter().copied().filter(|&a| keep(a)));
                    let indexed = cx.partners_among_where(b, &index, keep);
                    assert_eq!(said(&indexed), said(&brute), "case {case}, journey {b}, filtered");
                }
            }
        }
    }
    assert!(
        certain > 0 && with_history > 0 && without > 0 && left_out > 0,
        "{certain} {with_history} {without} {left_out}"
    );
}

/// What groups and their partners say, comparably.
fn grouped_said(g: &super::groups::Grouped) -> String {
    format!("{:?}\n{:?}", g.groups, g.partners)
}

/// J605's pairing of groups within their priority equals the pairing of every group
/// with every earlier one, on groups keyed as J605 keys them and as J606 does.
#[test]
fn groups_paired_within_buckets_as_with_all() {
    let mut rng = Rng(605);
    let mut paired = 0;
    for case in 0..40 {
        let p = generated(2 + case % 14, &mut rng);
        let caps = schedule::caps(&p);
        let plans: Vec<JourneyPlan> = p.journeys.iter().map(|j| schedule::plan(&p, j, &caps)).collect();
        let cx = Cross::new(&p, &plans, &caps);
        let priority = |j: usize| p.journeys[j].priority;
        let pairs = |a: usize, b: usize| priority(a) == priority(b);
        for by_pred in [false, true] {
            let key = |j: usize| (priority(j), if by_pred { cx.pred_of[j] } else { j });
            let all = super::groups::group(&cx, &cx.order, key, pairs);
            let within = super::groups::group_within(&cx, &cx.order, key, priority, pairs);
            assert_eq!(grouped_said(&within), grouped_said(&all), "case {case}, by predicate {by_pred}");
            paired += all.partners.iter().map(Vec::len).sum::<usize>();
        }
    }
    assert!(paired > 0, "no group paired");
}
