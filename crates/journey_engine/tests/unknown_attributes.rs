//! A missing attribute is unknown, not false: conditions follow SQL's three-valued
//! logic, and a condition that ends unknown does not hold (issue 14).

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

const T0: i64 = 1_767_571_200_000;

fn program(audience: &str) -> Program {
    let mut sources = SourceMap::new();
    let src = format!(
        "event signup {{}}\nattribute account_type: text\nattribute seats: number\nchannel crm {{ kind webhook }}\n\
         journey j {{ entry on signup audience {audience} stage a {{ webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("test.journey", src);
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

/// Does a customer with these attributes enter?
fn enters(audience: &str, account_type: Option<&str>, seats: Option<f64>) -> bool {
    let p = program(audience);
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + 1000 };
    let engine = Engine::new(&p, opts);
    let attrs = vec![
        account_type.map_or(AttrValue::Missing, |s| AttrValue::Text(s.into())),
        seats.map_or(AttrValue::Missing, AttrValue::Number),
    ];
    let ev = Event {
        customer: CustomerId(0),
        time: T0,
        kind: EventKind(0),
        props: Vec::<PropValue>::new().into(),
        revenue: None,
        line: 0,
    };
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
    let (_, r) = engine.run_customer(c, [&ev], &Interner::default());
    r.journeys["j"].entrants == 1
}

#[test]
fn a_negated_comparison_on_a_missing_attribute_does_not_hold() {
    // `!=` and `not ==` agree on a customer without the attribute: neither holds
    assert!(!enters(r#"account_type != "clinic""#, None, None));
    assert!(!enters(r#"not (account_type == "clinic")"#, None, None));
    assert!(!enters(r#"not (account_type in ["clinic", "lab"])"#, None, None));
    assert!(enters(r#"not (account_type == "clinic")"#, Some("vet"), None));
    assert!(!enters(r#"not (account_type == "clinic")"#, Some("clinic"), None));
}

#[test]
fn and_or_are_kleene() {
    // false and unknown = false, so `not` of it holds
    assert!(enters(r#"not (seats > 10 and account_type == "clinic")"#, None, Some(3.0)));
    // true or unknown = true
    assert!(enters(r#"seats > 10 or account_type == "clinic""#, None, Some(30.0)));
    // true and unknown = unknown, and its negation too
    assert!(!enters(r#"seats > 10 and account_type == "clinic""#, None, Some(30.0)));
    assert!(!enters(r#"not (seats > 10 and account_type == "clinic")"#, None, Some(30.0)));
    // false or unknown = unknown
    assert!(!enters(r#"not (seats > 10 or account_type == "clinic")"#, None, Some(3.0)));
}

/// Brute force: on every combination of known and missing values, the engine's
/// answer equals a three-valued truth table evaluated by hand.
#[test]
fn matches_a_three_valued_oracle() {
    type T = Option<bool>;
    let not = |a: T| a.map(|x| !x);
    let and = |a: T, b: T| match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    };
    let or = |a: T, b: T| not(and(not(a), not(b)));
    let types = [None, Some("clinic"), Some("vet")];
    let seats = [None, Some(3.0), Some(30.0)];
    for &at in &types {
        for &se in &seats {
            let a: T = at.map(|x| x == "clinic");
            let b: T = se.map(|x| x > 10.0);
            let cases: [(&str, T); 6] = [
                (r#"account_type == "clinic" and seats > 10"#, and(a, b)),
                (r#"account_type == "clinic" or seats > 10"#, or(a, b)),
                (r#"not (account_type == "clinic" and seats > 10)"#, not(and(a, b))),
                (r#"not (account_type == "clinic" or seats > 10)"#, not(or(a, b))),
                (r#"not (account_type == "clinic") or seats > 10"#, or(not(a), b)),
                (r#"not (not (account_type == "clinic") and not (seats > 10))"#, not(and(not(a), not(b)))),
            ];
            for (cond, want) in cases {
                assert_eq!(enters(cond, at, se), want == Some(true), "{cond} with {at:?}, {se:?}");
            }
        }
    }
}

/// The report names the clause that read the missing value, once per customer.
#[test]
fn refusals_for_a_missing_value_are_counted_by_clause() {
    let p = program(r#"seats > 10 and account_type != "clinic""#);
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + 1000 };
    let engine = Engine::new(&p, opts);
    let ev = |t| Event {
        customer: CustomerId(0),
        time: t,
        kind: EventKind(0),
        props: Vec::<PropValue>::new().into(),
        revenue: None,
        line: 0,
    };
    let run = |attrs: Vec<AttrValue>| {
        let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
        let (_, r) = engine.run_customer(c, [&ev(T0), &ev(T0 + 1)], &Interner::default());
        r.journeys.get("j").map(|j| j.unknown_refusals.clone()).unwrap_or_default()
    };
    // two refused attempts, one customer, under the clause that read the missing value
    let r = run(vec![AttrValue::Missing, AttrValue::Number(30.0)]);
    assert_eq!(r.into_iter().collect::<Vec<_>>(), [(r#"account_type != "clinic""#.to_string(), 1)]);
    // refused by a known value: not counted
    assert!(run(vec![AttrValue::Text("clinic".into()), AttrValue::Number(30.0)]).is_empty());
    // `false and unknown` is false: refused by the known clause, not counted
    assert!(run(vec![AttrValue::Missing, AttrValue::Number(3.0)]).is_empty());
}

/// `is set` / `is not set` are never unknown: they are how a condition says what a
/// missing value should mean.
#[test]
fn is_set_is_never_unknown() {
    assert!(!enters("account_type is set", None, None));
    assert!(enters("account_type is set", Some("vet"), None));
    assert!(enters("account_type is not set", None, None));
    assert!(!enters("account_type is not set", Some("vet"), None));
    // `not` of it is plain negation
    assert!(enters("not (account_type is set)", None, None));
    // the guarded forms of "not a clinic" and "a clinic"
    let not_clinic = r#"account_type is not set or account_type != "clinic""#;
    assert!(enters(not_clinic, None, None));
    assert!(enters(not_clinic, Some("vet"), None));
    assert!(!enters(not_clinic, Some("clinic"), None));
    let clinic = r#"account_type is set and account_type == "clinic""#;
    assert!(!enters(clinic, None, None));
    assert!(enters(clinic, Some("clinic"), None));
    // `x is not set or x > 10` holds where `x > 10` alone is unknown
    assert!(enters("seats is not set or seats > 10", None, None));
    assert!(!enters("seats > 10", None, None));
    assert!(!enters("seats is not set or seats > 10", None, Some(3.0)));
}
