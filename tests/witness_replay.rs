//! Witnesses are real: every witness history that `journey check` reports (findings
//! on audiences that only may overlap) is replayed through the engine, which must put
//! the customer in every journey the finding names at the same instant.
//!
//! How: each named journey is copied as a probe that enters on a probe event at the
//! witness instant with the journey's own predicate (its `audience` filter, and
//! membership of the audience its entry waits for, as the checker reads it). The
//! engine, not the checker, then decides whether the customer, with the witness's
//! attributes and events before that instant, enters each probe.

use journey_check::analysis::calendar;
use journey_check::analysis::history::{History, Val, NOW_MINUTES};
use journey_engine::{ActionKind, AttrValue, Customer, Engine, EngineOptions, QuietMode};
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::{EventDef, Expr, Origin, Program, ReEntry, Trigger, Type};
use std::path::Path;

const PROBE: &str = "witness_probe";

fn program_of(dir: &Path) -> Program {
    let project = journey_project::load(&[], dir).expect("project loads");
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        ..Default::default()
    };
    let checked = journey_check::check_sources(&project.sources, &ids, &settings);
    // cross-journey findings (J6xx) are what is under test; anything else is a broken fixture
    let broken = checked
        .diagnostics
        .iter()
        .find(|d| d.severity == journey_diagnostics::Severity::Error && !d.code.starts_with("J6"));
    assert!(broken.is_none(), "{} has errors: {broken:?}", dir.display());
    checked.program
}

/// The program with only `journeys`, each entering on the probe event with its
/// predicate as the audience filter.
fn probes(program: &Program, journeys: &[usize]) -> Program {
    let mut p = program.clone();
    p.events.push(EventDef { name: PROBE.into(), properties: vec![], origin: Origin::default() });
    p.journeys = journeys
        .iter()
        .map(|&j| {
            let mut jj = program.journeys[j].clone();
            let parts = calendar::predicate_parts(&jj);
            jj.audience = (!parts.is_empty()).then_some(Expr::And { all: parts });
            jj.entry = Trigger::Event { event: PROBE.into(), filter: None };
            jj.re_entry = ReEntry::Always;
            jj.exits.clear();
            jj.holdout_percent = 0.0;
            jj
        })
        .collect();
    p
}

fn attr_value(ty: &Type, v: &Val) -> AttrValue {
    match (ty, v) {
        (_, Val::Bool(b)) => AttrValue::Bool(*b),
        (_, Val::Num(n)) => AttrValue::Number(*n),
        (_, Val::Text(t)) => AttrValue::Text(t.clone()),
        (_, Val::Date(d)) => AttrValue::Date(*d),
    }
}

/// Does the engine put the customer of `h` in every probe at the witness instant?
fn replay(program: &Program, journeys: &[usize], h: &History) -> Result<(), String> {
    let p = probes(program, journeys);
    let now = NOW_MINUTES * 60_000;
    let attrs: Vec<AttrValue> = p
        .attributes
        .iter()
        .map(|a| {
            h.attributes.iter().find(|(k, _)| k == &a.name).map_or(AttrValue::Missing, |(_, v)| attr_value(&a.ty, v))
        })
        .collect();
    let mut texts = Interner::default();
    let mut events: Vec<Event> = Vec::new();
    let kind = |name: &str| p.events.iter().position(|e| e.name == name).expect("declared event") as u16;
    for e in &h.events {
        let def = &p.events[kind(&e.event) as usize];
        let props = def
            .properties
            .iter()
            .map(|d| match e.properties.iter().find(|(k, _)| k == &d.name).map(|(_, v)| v) {
                Some(Val::Num(n)) if d.ty == Type::Money => PropValue::Money(*n),
                Some(Val::Num(n)) => PropValue::Number(*n),
                Some(Val::Bool(b)) => PropValue::Bool(*b),
                Some(Val::Text(t)) => PropValue::Text(texts.intern(t)),
                _ => PropValue::Missing,
            })
            .collect();
        events.push(Event {
            customer: CustomerId(0),
            time: now - e.minutes_before * 60_000,
            kind: EventKind(kind(&e.event)),
            props,
            revenue: None,
            line: 0,
        });
    }
    events.push(Event {
        customer: CustomerId(0),
        time: now,
        kind: EventKind(kind(PROBE)),
        props: Default::default(),
        revenue: None,
        line: 0,
    });
    events.sort_by_key(|e| e.time);
    let start = events.first().map_or(now, |e| e.time) - 1;
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start, until: now + 60_000 };
    let engine = Engine::new(&p, opts);
    let (actions, _) =
        engine.run_customer(Customer { id: CustomerId(0), key: "witness", attributes: &attrs }, &events, &texts);
    for (k, &j) in journeys.iter().enumerate() {
        let entered =
            actions.iter().any(|a| a.journey == k && a.time == now && matches!(a.kind, ActionKind::Enter { .. }));
        if !entered {
            return Err(format!("the engine does not put the witness in `{}`", program.journeys[j].name));
        }
    }
    Ok(())
}

/// Replay every witness of `dir`'s findings; the number replayed.
fn replay_all(dir: &Path) -> usize {
    let program = program_of(dir);
    let (cal, _) = calendar::analyze(&program, true);
    let mut n = 0;
    for f in &cal.findings {
        let Some((h, journeys)) = &f.witness else { continue };
        if let Err(e) = replay(&program, journeys, h) {
            panic!("{}: {} {}: witness {h}: {e}", dir.display(), f.code, f.message);
        }
        n += 1;
    }
    n
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn petshop_witnesses_are_confirmed_by_the_engine() {
    let n = replay_all(&root().join("tests/projects/petshop"));
    assert!(n >= 5, "petshop has may-overlap findings with witnesses ({n})");
}

#[test]
fn library_witnesses_are_confirmed_by_the_engine() {
    replay_all(&root().join("journeys"));
}

#[test]
fn a_witness_the_engine_refuses_is_caught() {
    // the replay can fail: an empty history is not in the petshop's `hero` journey
    let program = program_of(&root().join("tests/projects/petshop"));
    let vip = program.journeys.iter().position(|j| j.name == "vip_club").expect("vip_club");
    assert!(replay(&program, &[vip], &History::default()).is_err());
}
