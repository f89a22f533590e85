//! Time costs nothing when nothing happens (issue 19): a scheduled journey's ticks
//! that could only be refused (the customer does not exist yet, is already in the
//! journey, may not re-enter, or fails the filter) are counted without being fired, so
//! a period of eight thousand years computes a handful of ticks, and the counts are
//! those of firing every tick (checked against a tick-by-tick simulation here).

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner};
use journey_ir::Program;

const H: i64 = 3_600_000;
const D: i64 = 24 * H;

fn program(journeys: &str) -> Program {
    let mut sources = SourceMap::new();
    let p = sources.add(
        "prelude.journey",
        "event purchase\nattribute email_opt_in: bool\nchannel crm { kind webhook }\n".to_string(),
    );
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

fn day(s: &str) -> i64 {
    time::parse_date(s).unwrap() * D
}

fn purchase(t: i64) -> Event {
    Event { customer: CustomerId(0), time: t, kind: EventKind(0), props: Vec::new().into(), revenue: None, line: 0 }
}

fn run(engine: &Engine, opted_in: bool, events: &[Event]) -> JourneyReport {
    let attrs = [AttrValue::Bool(opted_in)];
    let customer = Customer { id: CustomerId(0), key: "c", attributes: &attrs };
    let (_, report) = engine.run_customer(customer, events, &Interner::default());
    report.journeys["tip"].clone()
}

/// One far-future event (a typo'd year 9999) and a period to 9999-12-31: the daily
/// journey's ticks are counted for every customer, exactly, computing only the ticks
/// someone may enter on.
#[test]
fn a_far_future_period_computes_a_handful_of_ticks() {
    let program = program(
        r#"journey tip { entry every day at 09:00 local audience email_opt_in stage a { webhook crm "x" end } }"#,
    );
    let (start, until) = (day("2025-01-01"), day("9999-12-31") + D - 1);
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start, until };
    let engine = Engine::new(&program, opts);
    let ticks = (until - start) / D + 1;
    // exists from 2025-01-01 10:00: the first tick is before, the second enters, the
    // rest may not re-enter (`re_entry never` by default)
    let r = run(&engine, true, &[purchase(start + 10 * H)]);
    assert_eq!((r.before_exists, r.entrants, r.re_entry_blocked), (1, 1, ticks as u64 - 2));
    // opted out, existing from the second day
    let r = run(&engine, false, &[purchase(start + D + 10 * H)]);
    assert_eq!((r.before_exists, r.filtered_out, r.entrants), (2, ticks as u64 - 2, 0));
    // exists from its one event in year 9999
    let late = day("9999-01-30") + 10 * H;
    let before = (late - start) / D + 1;
    let r = run(&engine, true, &[purchase(late)]);
    assert_eq!((r.before_exists, r.entrants, r.re_entry_blocked), (before as u64, 1, (ticks - before - 1) as u64));
    // and without any event: never exists
    let r = run(&engine, true, &[]);
    assert_eq!(r.before_exists, ticks as u64);
    let computed = engine.schedule_ticks_computed();
    assert!(computed < 2_000, "{computed} ticks computed for {ticks} days");
}

/// Tick by tick, what each tick of a daily journey counts as for one customer who
/// exists from `exists`, stays `stay` in the journey, and may re-enter `re_entry`
/// after the last entry.
fn by_hand(ticks: &[i64], exists: i64, stay: i64, re_entry: i64) -> [u64; 4] {
    let (mut n, mut inside_until, mut last) = ([0; 4], i64::MIN, None::<i64>);
    for &t in ticks {
        let k = if t < exists {
            0
        } else if t < inside_until {
            1
        } else if last.is_some_and(|l| t - l < re_entry) {
            2
        } else {
            last = Some(t);
            inside_until = t + stay;
            3
        };
        n[k] += 1;
    }
    n
}

#[test]
fn skipped_ticks_count_as_firing_each_would() {
    let (start, until) = (day("2025-03-01"), day("2027-02-28") + D - 1);
    let ticks: Vec<i64> = (0..).map(|k| start + 9 * H + k * D).take_while(|&t| t <= until).collect();
    for (stay, re_entry) in [(3, 5), (7, 5), (4, 0), (30, 45), (1, 400)] {
        let rule = if re_entry == 0 { "re_entry always".to_string() } else { format!("re_entry after {re_entry}d") };
        let program = program(&format!(
            r#"journey tip {{ entry every day at 09:00 local {rule} stage a {{ wait {stay}d webhook crm "x" end }} }}"#
        ));
        let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start, until };
        let engine = Engine::new(&program, opts);
        let exists = start + 40 * D + 10 * H;
        let r = run(&engine, true, &[purchase(exists)]);
        let expected = by_hand(&ticks, exists, stay * D, re_entry * D);
        let got = [r.before_exists, r.already_in, r.re_entry_blocked, r.entrants];
        assert_eq!(got, expected, "wait {stay}d, {rule}");
    }
}
