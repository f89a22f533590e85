//! Issue 15: named scores and arithmetic at run time. A score is computed from the
//! customer's state whenever a condition reads it, so a threshold on it is crossed by
//! an event, by an attribute, and by events leaving an aggregate's window with no new
//! event; a division by zero has no value (the condition is unknown), never a panic.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// `login` is event 0; `seats` attribute 0. `decls` adds scores and the audience
/// `watched`, which the journey enters on.
fn program(decls: &str) -> Program {
    let mut sources = SourceMap::new();
    let src = format!(
        "event login {{}}\nattribute seats: number\nchannel crm {{ kind webhook }}\n{decls}\n\
         journey j {{ entry when audience watched entered stage a {{ webhook crm \"x\" end }} }}\n"
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

/// The times (ms after T0) at which the customer entered `j`.
fn entries(decls: &str, seats: Option<f64>, logins_at: &[i64], until: i64) -> Vec<i64> {
    let p = program(decls);
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + until };
    let engine = Engine::new(&p, opts);
    let attrs = vec![seats.map_or(AttrValue::Missing, AttrValue::Number)];
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

const HEALTH: &str = "score usage = clamp(count(login, 14d) / 10, 0, 1)\n\
                      score size = min(seats / 20, 1)\n\
                      score health = 0.5 * usage + 0.5 * size\n\
                      audience watched = health < 0.4\n";

#[test]
fn a_threshold_on_a_score_is_crossed_when_logins_leave_the_window() {
    // seats 10: size 0.5, so health = 0.25 + usage / 2; five logins make usage 0.5 and
    // health 0.5. Health drops below 0.4 when the count falls to 2, i.e. when the
    // third login (at 2h) leaves the 14-day window, with no event at that time.
    let logins = [0, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR];
    assert_eq!(entries(HEALTH, Some(10.0), &logins, 30 * DAY), vec![2 * HOUR + 14 * DAY]);
    // a bigger account stays healthy: size 1, health >= 0.5 whatever the logins
    assert_eq!(entries(HEALTH, Some(40.0), &logins, 30 * DAY), Vec::<i64>::new());
}

#[test]
fn a_missing_operand_leaves_the_score_unknown() {
    // without `seats`, health has no value: `health < 0.4` is unknown, never entered
    assert_eq!(entries(HEALTH, None, &[0], 30 * DAY), Vec::<i64>::new());
}

#[test]
fn division_by_zero_has_no_value() {
    let decls = "score per_seat = count(login) / seats\naudience watched = per_seat > 0";
    assert_eq!(entries(decls, Some(0.0), &[0], DAY), Vec::<i64>::new());
    assert_eq!(entries(decls, Some(5.0), &[0], DAY), vec![0]);
}

#[test]
fn precedence_min_and_max_are_honoured() {
    // (the audience turns true at the login, so being true is seen as entering)
    let enters = |decls: &str| {
        let decls = decls.replace("watched = ", "watched = count(login) >= 1 and ");
        !entries(&decls, Some(3.0), &[0], DAY).is_empty()
    };
    // seats 3: 1 + 2 * seats is 7, not 9
    assert!(enters("score s = 1 + 2 * seats\naudience watched = s == 7"));
    assert!(!enters("score s = 1 + 2 * seats\naudience watched = s == 9"));
    assert!(enters("score s = (1 + 2) * seats\naudience watched = s == 9"));
    // left-associative: 12 / seats / 2 is 2
    assert!(enters("score s = 12 / seats / 2\naudience watched = s == 2"));
    assert!(enters("score s = max(seats, 1) - min(seats, 1)\naudience watched = s == 2"));
    assert!(enters("score s = clamp(seats, 5, 10)\naudience watched = s == 5"));
}
