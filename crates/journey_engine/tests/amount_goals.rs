//! Issue 15: amount goals (`goal revenue = sum(purchase.amount within 30d)`): per
//! entry, the total of the property over the customer's matching events from the entry
//! to the entry + window, both ends included, for treated and held-out entries alike.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::experiment::{AmountSums, UNITS_PER_ONE};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;

/// Events: (time after T0 in ms, 0 = signup / 1 = purchase, amount). The journey is
/// entered on signup; the result is the group's sums of `revenue` and its entries.
fn run(holdout: &str, re_entry: &str, events: &[(i64, u16, f64)]) -> (u64, AmountSums) {
    let mut sources = SourceMap::new();
    let src = format!(
        "event signup\nevent purchase {{ amount: money }}\nchannel crm {{ kind webhook }}\n\
         journey j {{ entry on signup {re_entry} {holdout} stage a {{ webhook crm \"x\" end }}\n\
         goal revenue = sum(purchase.amount within 30d) }}\n"
    );
    let f = sources.add("test.journey", src);
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 100 * DAY, until: T0 + 200 * DAY };
    let engine = Engine::new(&checked.program, opts);
    let kind_of = |name: &str| checked.program.events.iter().position(|e| e.name == name).unwrap() as u16;
    let (signup, purchase) = (kind_of("signup"), kind_of("purchase"));
    let evs: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, &(t, kind, amount))| Event {
            customer: CustomerId(0),
            time: T0 + t,
            kind: EventKind(if kind == 1 { purchase } else { signup }),
            props: if kind == 1 { vec![PropValue::Money(amount)].into() } else { vec![].into() },
            revenue: None,
            line: i as u64,
        })
        .collect();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &[] };
    let (_, report) = engine.run_customer(c, evs.iter(), &Interner::default());
    let group = if holdout.is_empty() { "treated" } else { "holdout" };
    let g = &report.journeys["j"].experiment[group];
    (g.entries, g.amounts.get("revenue").cloned().unwrap_or_default())
}

fn units(x: f64) -> i128 {
    (x * UNITS_PER_ONE).round() as i128
}

#[test]
fn an_event_exactly_at_the_end_of_the_window_counts_and_one_later_does_not() {
    let ev = [(0, 0, 0.0), (30 * DAY, 1, 12.5), (30 * DAY + 1, 1, 100.0)];
    let (entries, s) = run("", "", &ev);
    assert_eq!(entries, 1);
    assert_eq!(s.total, units(12.5));
}

#[test]
fn events_before_the_entry_do_not_count() {
    // a purchase 5 days before signing up
    let ev = [(-5 * DAY, 1, 40.0), (0, 0, 0.0), (2 * DAY, 1, 7.25), (3 * DAY, 1, 0.75)];
    let (_, s) = run("", "", &ev);
    assert_eq!(s.total, units(8.0));
    // one customer: Σa² = a², Σm·a = a
    assert_eq!(s.total_sq, units(8.0) * units(8.0));
    assert_eq!(s.total_x_entries, units(8.0));
}

#[test]
fn repeated_entries_each_add_their_window_and_count_the_customer_once() {
    // held out (100%): each entry leaves at once, so every signup enters again; the
    // windows of day 0 and day 20 overlap on days 20..30
    let ev = [(0, 0, 0.0), (10 * DAY, 1, 1.0), (20 * DAY, 0, 0.0), (25 * DAY, 1, 2.0), (45 * DAY, 1, 4.0)];
    let (entries, s) = run("holdout 100%", "re_entry always", &ev);
    assert_eq!(entries, 2);
    // entry 1: 1 + 2; entry 2: 2 + 4 — the customer's total over their entries is 9
    assert_eq!(s.total, units(9.0));
    assert_eq!(s.total_sq, units(9.0) * units(9.0));
    assert_eq!(s.total_x_entries, 2 * units(9.0));
}

#[test]
fn a_treated_entry_that_never_buys_adds_zero() {
    let (entries, s) = run("", "", &[(0, 0, 0.0)]);
    assert_eq!(entries, 1);
    assert_eq!(s, AmountSums::default());
}
