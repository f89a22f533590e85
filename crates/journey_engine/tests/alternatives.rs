//! Several triggers per journey (`entry on signup or on trial_started`) and a wait for
//! any of several events (`wait up to 3d for purchase or subscription_started`), issue
//! 15: the engine enters on any listed event (each with its own filter), once, and a
//! wait takes `then` on whichever listed event arrives first.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;

const SIGNUP: &str = "signup";
const TRIAL: &str = "trial_started";
const PURCHASE: &str = "purchase";
const SUBSCRIBED: &str = "subscription_started";
const OTHER: &str = "other";

fn program() -> Program {
    let mut sources = SourceMap::new();
    let src = r#"
event signup { plan: text }
event trial_started
event purchase { amount: number }
event subscription_started
event other
channel crm { kind webhook }
journey j {
  entry on signup where plan == "pro" or on trial_started
  re_entry never
  stage waiting {
    wait up to 3d for purchase where amount > 10 or subscription_started
      then bought
      timeout lapsed
  }
  stage bought {
    webhook crm "bought"
    end
  }
  stage lapsed {
    webhook crm "lapsed"
    end
  }
}
"#;
    let f = sources.add("test.journey", src.to_string());
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

/// An event of the named kind (kinds are the program's event indices).
fn ev(name: &str, hours: i64, props: Vec<PropValue>) -> Event {
    let kind = program().events.iter().position(|e| e.name == name).unwrap() as u16;
    Event {
        customer: CustomerId(0),
        time: T0 + hours * HOUR,
        kind: EventKind(kind),
        props: props.into(),
        revenue: None,
        line: 0,
    }
}

/// Replays one customer's events; returns (entrants, stage entries of bought, of lapsed).
fn run(events: &[Event], texts: &Interner) -> (u64, u64, u64) {
    let p = program();
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + 30 * 24 * HOUR };
    let engine = Engine::new(&p, opts);
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &[] };
    let (_, r) = engine.run_customer(c, events, texts);
    // a journey nobody entered has no row
    let Some(j) = r.journeys.get("j") else { return (0, 0, 0) };
    let stage = |s: &str| j.stage_entries.get(s).copied().unwrap_or(0);
    (j.entrants, stage("bought"), stage("lapsed"))
}

fn text(texts: &mut Interner, s: &str) -> PropValue {
    PropValue::Text(texts.intern(s))
}

#[test]
fn either_trigger_enters_and_each_keeps_its_filter() {
    let mut texts = Interner::default();
    let pro = text(&mut texts, "pro");
    let free = text(&mut texts, "free");
    // the second trigger, no filter
    assert_eq!(run(&[ev(TRIAL, 0, vec![])], &texts).0, 1);
    // the first trigger, its filter holds
    assert_eq!(run(&[ev(SIGNUP, 0, vec![pro])], &texts).0, 1);
    // the first trigger's filter fails: the second trigger's (none) does not lend it a pass
    assert_eq!(run(&[ev(SIGNUP, 0, vec![free])], &texts).0, 0);
    // an event not listed enters nobody
    assert_eq!(run(&[ev(OTHER, 0, vec![])], &texts).0, 0);
    // both triggers, one after the other: entered once (`re_entry never`)
    assert_eq!(run(&[ev(SIGNUP, 0, vec![pro]), ev(TRIAL, 1, vec![])], &texts).0, 1);
}

#[test]
fn a_wait_for_several_events_ends_on_whichever_comes_first() {
    let mut texts = Interner::default();
    let _ = text(&mut texts, "unused");
    // the second awaited event ends the wait on `then`
    assert_eq!(run(&[ev(TRIAL, 0, vec![]), ev(SUBSCRIBED, 5, vec![])], &texts), (1, 1, 0));
    // the first, when its filter holds
    assert_eq!(run(&[ev(TRIAL, 0, vec![]), ev(PURCHASE, 5, vec![PropValue::Number(20.0)])], &texts), (1, 1, 0));
    // the first with its filter failing does not end the wait: it times out
    assert_eq!(run(&[ev(TRIAL, 0, vec![]), ev(PURCHASE, 5, vec![PropValue::Number(5.0)])], &texts), (1, 0, 1));
    // both arrive: `then` once
    let both = [ev(TRIAL, 0, vec![]), ev(SUBSCRIBED, 5, vec![]), ev(PURCHASE, 6, vec![PropValue::Number(20.0)])];
    assert_eq!(run(&both, &texts), (1, 1, 0));
    // too late (after 3 days): the timeout
    assert_eq!(run(&[ev(TRIAL, 0, vec![]), ev(SUBSCRIBED, 80, vec![])], &texts), (1, 0, 1));
}
