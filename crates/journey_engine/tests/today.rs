//! Issue 15: `today` in conditions is the simulated clock's date in the customer's
//! time zone; a condition that time alone re-evaluates (a tracked audience) flips at
//! the local midnight where it starts to hold.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

/// 2026-01-05T00:00:00Z
const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

const SRC: &str = "event login {}\n\
    attribute renewal_date: date\nattribute tz: timezone\n\
    channel crm { kind webhook }\n\
    audience renewal_close = renewal_date <= today + 7d\n\
    journey on_login { entry on login re_entry always audience renewal_date < today + 30d\n\
      stage a { webhook crm \"soon\" end } }\n\
    journey close { entry when audience renewal_close entered stage a { webhook crm \"close\" end } }\n\
    journey literal { entry on login re_entry always audience renewal_date < 2026-02-01\n\
      stage a { webhook crm \"lit\" end } }\n";

fn program() -> Program {
    let mut sources = SourceMap::new();
    let f = sources.add("today.journey", SRC.to_string());
    let checked = check_sources(&sources, &[f], &Settings { timezone: "UTC".into(), ..Default::default() });
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    checked.program
}

/// Entries per journey name, with their times, for one customer.
fn entries(p: &Program, renewal: &str, tz: &str, logins: &[i64]) -> Vec<(String, i64)> {
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0, until: T0 + 60 * DAY };
    let engine = Engine::new(p, opts);
    let events: Vec<Event> = logins
        .iter()
        .map(|&t| Event {
            customer: CustomerId(0),
            time: t,
            kind: EventKind(0),
            props: Vec::<PropValue>::new().into(),
            revenue: None,
            line: 0,
        })
        .collect();
    let attrs: Vec<AttrValue> = p
        .attributes
        .iter()
        .map(|a| match a.name.as_str() {
            "renewal_date" => AttrValue::parse(&a.ty, renewal),
            "tz" => AttrValue::parse(&a.ty, tz),
            _ => AttrValue::Missing,
        })
        .collect();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
    let (actions, _) = engine.run_customer(c, events.iter(), &Interner::default());
    actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Enter { .. }))
        .map(|a| (p.journeys[a.journey].name.clone(), a.time))
        .collect()
}

#[test]
fn today_moves_with_the_clock() {
    let p = program();
    // renewal on 2026-02-20: 30 days ahead from 2026-01-22 on
    let got = entries(&p, "2026-02-20", "UTC", &[T0 + 10 * HOUR, T0 + 20 * DAY + 10 * HOUR]);
    let on_login: Vec<i64> = got.iter().filter(|(j, _)| j == "on_login").map(|(_, t)| *t).collect();
    assert_eq!(on_login, vec![T0 + 20 * DAY + 10 * HOUR], "{got:?}");
    // a date literal does not move: 2026-02-20 is never before 2026-02-01
    assert!(!got.iter().any(|(j, _)| j == "literal"), "{got:?}");
}

#[test]
fn a_tracked_audience_reading_today_enters_at_the_local_midnight_it_starts_to_hold() {
    let p = program();
    // renewal on 2026-02-20 holds `renewal_date <= today + 7d` from 2026-02-13, with no
    // event then: the engine's midnight flip finds it
    let feb13 = T0 + 39 * DAY;
    let got = entries(&p, "2026-02-20", "UTC", &[T0 + 10 * HOUR]);
    let close: Vec<i64> = got.iter().filter(|(j, _)| j == "close").map(|(_, t)| *t).collect();
    assert_eq!(close, vec![feb13], "{got:?}");
    // in Auckland (UTC+13 in February) that midnight is 13 hours earlier
    let got = entries(&p, "2026-02-20", "Pacific/Auckland", &[T0 + 10 * HOUR]);
    let close: Vec<i64> = got.iter().filter(|(j, _)| j == "close").map(|(_, t)| *t).collect();
    assert_eq!(close, vec![feb13 - 13 * HOUR], "{got:?}");
}
