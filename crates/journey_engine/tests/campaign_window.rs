//! Issue 15: `active from … to …` bounds a journey's entries to a campaign window
//! (00:00 on the first day to 24:00 on the last, in the project time zone); entries
//! outside it are refused and counted.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

/// 2026-11-20T00:00:00Z
const NOV20: i64 = 1_795_132_800_000;
const DAY: i64 = 86_400_000;

#[test]
fn entries_only_inside_the_window() {
    let mut sources = SourceMap::new();
    let src = "event login {}\nchannel crm { kind webhook }\n\
               journey j { entry on login re_entry always active from 2026-11-20 to 2026-12-01\n\
               stage a { webhook crm \"x\" end } }\n";
    let f = sources.add("test.journey", src.to_string());
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let opts =
        EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: NOV20 - 30 * DAY, until: NOV20 + 30 * DAY };
    let engine = Engine::new(&checked.program, opts);
    // the day before, the first instant, the last day's last minute, the day after
    let times = [NOV20 - DAY, NOV20, NOV20 + 12 * DAY - 60_000, NOV20 + 12 * DAY];
    let events: Vec<Event> = times
        .iter()
        .enumerate()
        .map(|(i, &t)| Event {
            customer: CustomerId(0),
            time: t,
            kind: EventKind(0),
            props: Vec::<PropValue>::new().into(),
            revenue: None,
            line: i as u64,
        })
        .collect();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &[] };
    let (actions, report) = engine.run_customer(c, events.iter(), &Interner::default());
    let entered: Vec<i64> =
        actions.iter().filter(|a| matches!(a.kind, ActionKind::Enter { .. })).map(|a| a.time).collect();
    assert_eq!(entered, vec![NOV20, NOV20 + 12 * DAY - 60_000]);
    assert_eq!(report.journeys["j"].outside_window, 2);
}
