//! A customer exists from their creation attribute (journey.yaml's
//! `events.created_at`), else from their first event; no journey enters them before
//! (issue 14: a weekly newsletter sent half its messages to people not signed up yet).

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

const H: i64 = 3_600_000;
const D: i64 = 24 * H;
/// 2026-01-05 00:00 UTC, a Monday.
const MON: i64 = 1_767_571_200_000;

fn program(journeys: &str) -> Program {
    let mut sources = SourceMap::new();
    let prelude = "event signup {}\nevent session {}\nattribute signed_up_on: date\nattribute renewal_date: date\n\
                   channel crm { kind webhook }\n";
    let p = sources.add("prelude.journey", prelude);
    let f = sources.add("test.journey", journeys);
    let checked = check_sources(
        &sources,
        &[p, f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

fn event(p: &Program, name: &str, t: i64) -> Event {
    let k = p.events.iter().position(|e| e.name == name).unwrap();
    Event {
        customer: CustomerId(0),
        time: t,
        kind: EventKind(k as u16),
        props: vec![PropValue::Missing; 0].into(),
        revenue: None,
        line: 0,
    }
}

/// Days of the webhooks (from MON) and the journey's report.
fn run(p: &Program, created_at: Option<&str>, attrs: &[AttrValue], events: &[Event]) -> (Vec<i64>, JourneyReport) {
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: MON, until: MON + 28 * D };
    let engine = Engine::new(p, opts).with_created_at(created_at).expect("a date attribute");
    // `attrs` are (signed_up_on, renewal_date), in the program's attribute order
    let mut values = vec![AttrValue::Missing; p.attributes.len()];
    for (name, v) in ["signed_up_on", "renewal_date"].iter().zip(attrs) {
        values[p.attributes.iter().position(|a| &a.name == name).unwrap()] = v.clone();
    }
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &values };
    let (actions, r) = engine.run_customer(c, events, &Interner::default());
    let days =
        actions.iter().filter(|a| matches!(a.kind, ActionKind::Webhook { .. })).map(|a| (a.time - MON) / D).collect();
    (days, r.journeys.values().next().cloned().unwrap_or_default())
}

const WEEKLY: &str = r#"journey news { entry every monday at 09:00 re_entry always stage a { webhook crm "n" end } }"#;

#[test]
fn a_weekly_journey_waits_for_the_first_event() {
    let p = program(WEEKLY);
    // first seen on Wednesday of week 2: the Mondays of weeks 3 and 4 only
    let (days, r) = run(&p, None, &[], &[event(&p, "session", MON + 9 * D)]);
    assert_eq!(days, [14, 21]);
    assert_eq!(r.before_exists, 2);
    assert_eq!(r.entrants, 2);
}

#[test]
fn a_customer_without_events_or_creation_date_is_never_messaged() {
    let p = program(WEEKLY);
    let (days, r) = run(&p, None, &[], &[]);
    assert!(days.is_empty());
    assert_eq!(r.before_exists, 4);
}

#[test]
fn the_creation_attribute_says_when_a_customer_exists() {
    let p = program(WEEKLY);
    let signed = AttrValue::Date(time::parse_date("2026-01-13").unwrap());
    // signed up on Tuesday of week 2, no events at all: Mondays of weeks 3 and 4
    let (days, r) = run(&p, Some("signed_up_on"), &[signed.clone(), AttrValue::Missing], &[]);
    assert_eq!(days, [14, 21]);
    assert_eq!(r.before_exists, 2);
    // without a value, the first event decides
    let (days, _) =
        run(&p, Some("signed_up_on"), &[AttrValue::Missing, AttrValue::Missing], &[event(&p, "session", MON + 20 * D)]);
    assert_eq!(days, [21]);
    // history before the period counts: a customer seen last year exists
    let (days, r) = run(&p, None, &[], &[event(&p, "session", MON - 100 * D)]);
    assert_eq!((days, r.before_exists), (vec![0, 7, 14, 21], 0));
}

#[test]
fn date_entries_before_the_customer_exists_are_skipped() {
    let p = program(r#"journey renew { entry at renewal_date - 7d at 09:00 stage a { webhook crm "r" end } }"#);
    let renewal = AttrValue::Date(time::parse_date("2026-01-15").unwrap());
    let signed = AttrValue::Date(time::parse_date("2026-01-10").unwrap());
    let (days, r) = run(&p, Some("signed_up_on"), &[signed, renewal.clone()], &[]);
    assert!(days.is_empty(), "{days:?}");
    assert_eq!(r.before_exists, 1);
    let signed = AttrValue::Date(time::parse_date("2026-01-01").unwrap());
    let (days, _) = run(&p, Some("signed_up_on"), &[signed, renewal], &[]);
    assert_eq!(days, [3]);
}

#[test]
fn an_unknown_creation_attribute_is_refused() {
    let p = program(WEEKLY);
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: MON, until: MON + D };
    assert!(Engine::new(&p, opts.clone()).with_created_at(Some("nope")).is_none());
    assert!(Engine::new(&p, opts).with_created_at(Some("signup")).is_none());
}
