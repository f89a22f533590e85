//! Issue 15: `latest(EVENT.PROPERTY)` is the property's value on the customer's most
//! recent matching event that carried one: unknown before any did, not erased by an
//! event without the property, and `since(EVENT where PROPERTY is set)` says when it
//! was set.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;

/// Entry times (ms after T0) of `journey j { entry when COND }` for NPS responses
/// `(day, score)` (`None`: the response came without a score).
fn entries(cond: &str, responses: &[(i64, Option<f64>)], until: i64) -> Vec<i64> {
    let mut sources = SourceMap::new();
    let src = format!(
        "event nps_response {{ score: number }}\nchannel crm {{ kind webhook }}\n\
         journey j {{ entry when {cond} re_entry always stage a {{ webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("test.journey", src);
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + until };
    let engine = Engine::new(&checked.program, opts);
    let events: Vec<Event> = responses
        .iter()
        .enumerate()
        .map(|(i, &(day, score))| Event {
            customer: CustomerId(0),
            time: T0 + day * DAY,
            kind: EventKind(0),
            props: vec![score.map_or(PropValue::Missing, PropValue::Number)].into(),
            revenue: None,
            line: i as u64,
        })
        .collect();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &[] };
    let (actions, _) = engine.run_customer(c, events.iter(), &Interner::default());
    actions.iter().filter(|a| matches!(a.kind, ActionKind::Enter { .. })).map(|a| (a.time - T0) / DAY).collect()
}

#[test]
fn the_latest_value_replaces_the_one_before() {
    // 9, then 4 (a detractor now), then 10
    let r = [(0, Some(9.0)), (5, Some(4.0)), (9, Some(10.0))];
    assert_eq!(entries("latest(nps_response.score) <= 6", &r, 20 * DAY), vec![5]);
    // an average would never have gone that low
    assert_eq!(entries("avg(nps_response.score) <= 6", &r, 20 * DAY), Vec::<i64>::new());
}

#[test]
fn an_event_without_the_property_does_not_erase_it() {
    let r = [(0, Some(9.0)), (5, None), (9, Some(3.0))];
    // still 9 on day 5, 3 on day 9
    assert_eq!(entries("latest(nps_response.score) <= 6", &r, 20 * DAY), vec![9]);
}

#[test]
fn never_seen_is_unknown() {
    // `not (latest < 7)` holds for neither a missing value nor the value 3
    assert_eq!(entries("not (latest(nps_response.score) >= 7)", &[(0, None), (2, Some(3.0))], 5 * DAY), vec![2]);
}

#[test]
fn when_it_was_set() {
    // a detractor answer more than 30 days old: the clock crosses on day 31 + 1 ms
    let r = [(0, Some(3.0)), (10, None)];
    let cond = "latest(nps_response.score) <= 6 and since(nps_response where score is set) > 30d";
    assert_eq!(entries(cond, &r, 40 * DAY), vec![30]);
}
