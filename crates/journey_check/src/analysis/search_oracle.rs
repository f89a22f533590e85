//! The witness search's shortcuts against brute force (issue 13).
//!
//! [`event_terms::feasible`] ends a search at once when it answers `false`, and
//! [`history::explain`] turns that answer into "no customer is in both audiences", a
//! pair `journey check` then never reports. So `false` must be a proof: for generated
//! constraints on one event (counts with and without windows and `where` filters on an
//! amount or a one-of property, sums, averages, `since`, `since_first`), every history
//! of up to three events over a grid of ages and property values is evaluated, and
//! none may meet the constraints of a conjunction `feasible` rejected.

use super::event_terms::{self, Compiled};
use super::history::{self, explain, History, HistoryEvent, Outcome, Val};
use super::logic::{self, NumC};
use journey_ir::{
    Aggregate, AttributeDef, CmpOp, EventDef, Expr, Origin, Policy, Program, PropertyDef, Type, Value, IR_VERSION,
};

const DAY: u64 = 1440;
/// Ages (minutes before the instant) the brute force places events at: each side of
/// every threshold the generator uses (`since` 5d and 20d, windows 10d).
const AGES: [i64; 8] = [0, 5 * 1440 - 1, 5 * 1440, 5 * 1440 + 1, 10 * 1440 - 1, 10 * 1440, 20 * 1440, 20 * 1440 + 1];
const AMOUNTS: [f64; 3] = [0.0, 5.0, 10.0];
const KINDS: [&str; 2] = ["tea", "gift"];

fn program() -> Program {
    let prop = |n: &str, ty: Type| PropertyDef { name: n.into(), ty };
    Program {
        ir_version: IR_VERSION,
        timezone: "UTC".into(),
        currency: "USD".into(),
        timezone_attribute: None,
        events: vec![EventDef {
            name: "order".into(),
            properties: vec![
                prop("amount", Type::Money),
                prop("kind", Type::OneOf { choices: KINDS.iter().map(|k| k.to_string()).collect() }),
            ],
            origin: Origin::default(),
        }],
        attributes: vec![AttributeDef { name: "opt_in".into(), ty: Type::Bool, origin: Origin::default() }],
        channels: vec![],
        audiences: vec![],
        policy: Policy::default(),
        journeys: vec![],
        scores: vec![],
        business_days: Default::default(),
        accounts: Default::default(),
        rules: Default::default(),
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }
}

fn c(v: Value) -> Box<Expr> {
    Box::new(Expr::Const { value: v })
}

fn filter(r: &mut Rng) -> Option<Box<Expr>> {
    let prop = |n: &str| Box::new(Expr::Property { name: n.into() });
    match r.below(3) {
        0 => Some(Box::new(Expr::Compare { cmp: CmpOp::Gt, lhs: prop("amount"), rhs: c(Value::Money(5.0)) })),
        1 => Some(Box::new(Expr::Compare {
            cmp: r.pick(&[CmpOp::Eq, CmpOp::Ne]),
            lhs: prop("kind"),
            rhs: c(Value::Text(r.pick(&KINDS).into())),
        })),
        _ => None,
    }
}

fn atom(r: &mut Rng) -> Expr {
    let op = r.pick(&[CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]);
    let window = r.pick(&[None, Some(10 * DAY)]);
    let event = "order".to_string();
    let (agg, rhs) = match r.below(5) {
        0 => (Aggregate::Count { event, filter: filter(r), window_minutes: window }, Value::Number(r.below(3) as f64)),
        1 => (
            Aggregate::Sum { event, property: "amount".into(), filter: None, window_minutes: window },
            Value::Money(r.pick(&AMOUNTS)),
        ),
        2 => {
            (Aggregate::Avg { event, property: "amount".into(), filter: None, window_minutes: None }, Value::Money(5.0))
        }
        3 => (Aggregate::Since { event, filter: filter(r) }, Value::DurationMinutes(r.pick(&[5 * DAY, 20 * DAY]))),
        _ => (Aggregate::SinceFirst { event, filter: None }, Value::DurationMinutes(r.pick(&[5 * DAY, 20 * DAY]))),
    };
    Expr::Compare { cmp: op, lhs: Box::new(Expr::Aggregate(agg)), rhs: c(rhs) }
}

fn expr(r: &mut Rng, depth: u32) -> Expr {
    if depth == 0 {
        return atom(r);
    }
    match r.below(5) {
        0 | 1 => atom(r),
        2 => Expr::Not { expr: Box::new(expr(r, depth - 1)) },
        3 => Expr::And { all: vec![expr(r, depth - 1), expr(r, depth - 1)] },
        _ => Expr::Or { any: vec![expr(r, depth - 1), expr(r, depth - 1)] },
    }
}

/// Every history of up to three `order` events over the grid.
fn histories() -> Vec<History> {
    let mut events: Vec<HistoryEvent> = Vec::new();
    for &age in &AGES {
        for &amount in &AMOUNTS {
            for kind in KINDS {
                events.push(HistoryEvent {
                    minutes_before: age,
                    event: "order".into(),
                    properties: vec![("amount".into(), Val::Num(amount)), ("kind".into(), Val::Text(kind.into()))],
                });
            }
        }
    }
    let n = events.len();
    let mut out = vec![History::default()];
    for i in 0..n {
        out.push(History { attributes: vec![], events: vec![events[i].clone()] });
        for j in i..n {
            out.push(History { attributes: vec![], events: vec![events[i].clone(), events[j].clone()] });
            for k in j..n {
                out.push(History {
                    attributes: vec![],
                    events: vec![events[i].clone(), events[j].clone(), events[k].clone()],
                });
            }
        }
    }
    out
}

/// The property sums and averages read, as the search picks it.
fn property(terms: &[&NumC]) -> Option<String> {
    terms.iter().rev().find_map(|c| match &c.term {
        Expr::Aggregate(Aggregate::Sum { property, .. } | Aggregate::Avg { property, .. }) => Some(property.clone()),
        _ => None,
    })
}

#[test]
fn feasible_never_rejects_constraints_some_history_meets() {
    let p = program();
    let all = histories();
    let mut r = Rng(0x13fe);
    let (mut rejected, mut accepted) = (0, 0);
    // (4,000 cases: the normal form already drops the conjunctions whose count and
    // `since` of one event contradict each other, which `feasible` used to reject)
    for case in 0..4_000 {
        // a conjunction of two to four parts: conflicting constraints need several
        let e = Expr::And { all: (0..2 + r.below(3)).map(|_| expr(&mut r, 1)).collect() };
        let Some(dnf) = logic::prepare(&e, &p).dnf else { continue };
        for conj in &dnf {
            let terms: Vec<&NumC> = conj.nums.values().collect();
            let prop = property(&terms);
            let compiled: Vec<Compiled> =
                terms.iter().map(|c| event_terms::compile(c, prop.as_deref()).expect("an event aggregate")).collect();
            if event_terms::feasible(&compiled) {
                accepted += 1;
                continue;
            }
            rejected += 1;
            let met = all.iter().find(|h| terms.iter().all(|c| history::term_meets(c, h, &p)));
            assert!(
                met.is_none(),
                "case {case}: feasible said no history meets {}, but {} does",
                terms.iter().map(|c| format!("{} in {:?}", c.display, c.set)).collect::<Vec<_>>().join(", "),
                met.unwrap()
            );
        }
    }
    // the generator reaches both answers (a test of `false` alone proves nothing)
    assert!(rejected > 200 && accepted > 200, "{rejected} rejected, {accepted} accepted");
}

fn since(days: u64, op: CmpOp) -> Expr {
    Expr::Compare {
        cmp: op,
        lhs: Box::new(Expr::Aggregate(Aggregate::Since { event: "order".into(), filter: None })),
        rhs: c(Value::DurationMinutes(days * DAY)),
    }
}

fn count(window: Option<u64>, op: CmpOp, n: f64) -> Expr {
    let agg = Aggregate::Count { event: "order".into(), filter: None, window_minutes: window.map(|d| d * DAY) };
    Expr::Compare { cmp: op, lhs: Box::new(Expr::Aggregate(agg)), rhs: c(Value::Number(n)) }
}

fn explain_pair(a: &Expr, b: &Expr, p: &Program) -> Outcome {
    let (pa, pb) = (logic::prepare(a, p), logic::prepare(b, p));
    explain(&[a, b], &[&pa, &pb], p)
}

#[test]
fn explain_proves_found_or_says_what_is_open() {
    let p = program();
    // two orders in 30 days, and none for 40 days: impossible, proven
    let a = count(Some(30), CmpOp::Ge, 2.0);
    assert_eq!(explain_pair(&a, &since(40, CmpOp::Gt), &p), Outcome::Impossible);
    // two orders ever, the last over 40 days ago: a history, checked
    let a = count(None, CmpOp::Ge, 2.0);
    let b = since(40, CmpOp::Gt);
    match explain_pair(&a, &b, &p) {
        Outcome::Found(h) => assert!(history::holds(&a, &h, &p) && history::holds(&b, &h, &p), "{h}"),
        other => panic!("expected a history, got {other:?}"),
    }
    // a score on arithmetic: not enumerated, so undecided, naming it, with the profile
    let loyalty = Expr::Score {
        name: "loyalty".into(),
        expr: Box::new(Expr::Mul {
            lhs: Box::new(Expr::Aggregate(Aggregate::Count {
                event: "order".into(),
                filter: None,
                window_minutes: Some(90 * DAY),
            })),
            rhs: c(Value::Number(10.0)),
        }),
    };
    let a = Expr::And {
        all: vec![
            Expr::Attribute { name: "opt_in".into() },
            Expr::Compare { cmp: CmpOp::Ge, lhs: Box::new(loyalty), rhs: c(Value::Number(50.0)) },
        ],
    };
    match explain_pair(&a, &since(60, CmpOp::Gt), &p) {
        Outcome::Undecided(u) => {
            assert_eq!(u.reason, history::Reason::Unmodelled);
            assert_eq!(u.open, vec!["`loyalty >= 50`".to_string()]);
            assert_eq!(u.profile.attributes, vec![("opt_in".to_string(), Val::Bool(true))]);
            assert!(u.to_string().contains("`opt_in` = true meets the attribute constraints of both"), "{u}");
        }
        other => panic!("expected undecided, got {other:?}"),
    }
}
