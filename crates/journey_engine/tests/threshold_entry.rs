//! Issue 15: `entry when CONDITION` enters a customer when the condition turns from
//! not true (false or unknown) to true: on one of their events, or when an
//! aggregate's window lets an event go with no event at that instant (the engine's
//! lazy ticks). A condition that is already true does not enter again until it has
//! been false.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The times (ms after T0) at which the customer entered `j`; `login` is event 0.
fn entries(entry: &str, seats: f64, logins_at: &[i64], until: i64) -> Vec<i64> {
    let mut sources = SourceMap::new();
    let src = format!(
        "event login {{}}\nattribute seats: number\nchannel crm {{ kind webhook }}\n\
         score usage = clamp(count(login, 14d) / 10, 0, 1)\n\
         score health = 0.5 * usage + 0.5 * min(seats / 20, 1)\n\
         journey j {{ entry {entry} re_entry always stage a {{ webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("test.journey", src);
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    assert!(matches!(checked.program.journeys[0].entry, journey_ir::Trigger::Condition { .. }));
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + until };
    let engine = Engine::new(&checked.program, opts);
    let attrs = vec![AttrValue::Number(seats)];
    let events: Vec<Event> = logins_at
        .iter()
        .enumerate()
        .map(|(i, &t)| Event {
            customer: CustomerId(0),
            time: T0 + t,
            kind: EventKind(0),
            props: Vec::<PropValue>::new().into(),
            revenue: None,
            line: i as u64,
        })
        .collect();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
    let (actions, _) = engine.run_customer(c, events.iter(), &Interner::default());
    actions.iter().filter(|a| matches!(a.kind, ActionKind::Enter { .. })).map(|a| a.time - T0).collect()
}

#[test]
fn crossing_on_the_clock_as_logins_leave_the_window() {
    // seats 10: health = 0.25 + usage / 2; five logins: 0.5. It drops below 0.4 when
    // the third login (at 2h) leaves the 14-day window: no event happens then.
    let logins = [0, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR];
    assert_eq!(entries("when health < 0.4", 10.0, &logins, 30 * DAY), vec![2 * HOUR + 14 * DAY]);
}

#[test]
fn crossing_on_an_event_and_only_once_while_true() {
    // health rises above 0.42 with the 4th login (0.25 + 0.2 = 0.45; three logins
    // make 0.40); later logins keep it true and do not enter again
    let logins = [0, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 5 * HOUR];
    assert_eq!(entries("when health > 0.42", 10.0, &logins, DAY), vec![3 * HOUR]);
    // the boundary is strict: 0.45 is not above 0.45, the 5th login (0.5) is
    assert_eq!(entries("when health > 0.45", 10.0, &logins, DAY), vec![4 * HOUR]);
}

#[test]
fn true_again_after_being_false_enters_again() {
    // four logins make health 0.45 (> 0.42); 14 days later they leave the window,
    // health falls back to 0.25; four new logins cross again
    let d = 20 * DAY;
    let logins = [0, HOUR, 2 * HOUR, 3 * HOUR, d, d + HOUR, d + 2 * HOUR, d + 3 * HOUR];
    assert_eq!(entries("when health > 0.42", 10.0, &logins, 40 * DAY), vec![3 * HOUR, d + 3 * HOUR]);
}

#[test]
fn already_true_at_the_first_event_is_not_a_crossing() {
    // seats never change: `seats > 1` holds from the start, nothing crosses
    assert_eq!(entries("when seats > 1", 10.0, &[0, HOUR], DAY), Vec::<i64>::new());
}
