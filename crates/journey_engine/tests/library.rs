//! The bundled Northwind library (journeys/) under random event streams: invariants
//! that must hold for every input (property tests), the streaming driver against the
//! per-customer core, and split-by-customer + merge against the whole run.

use journey_check::{check_sources, Settings};
use journey_diagnostics::SourceMap;
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::{Program, Step, Type};
use proptest::prelude::*;
use std::sync::OnceLock;

const H: i64 = 3_600_000;
const D: i64 = 24 * H;
const T0: i64 = 1_767_614_400_000; // 2026-01-05 12:00 UTC

fn library() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| checked_folder("journeys", "America/New_York", "USD"))
}

/// The B2B test project's journeys (tests/projects/b2b: tasks, scores, business days,
/// `for account` journeys), with users grouped into accounts by their `account`
/// attribute as its journey.yaml says (what `journey_run::accounts` puts in).
fn b2b() -> &'static Program {
    static P: OnceLock<Program> = OnceLock::new();
    P.get_or_init(|| {
        let mut p = checked_folder("tests/projects/b2b/journeys", "Europe/Berlin", "EUR");
        p.accounts.attribute = Some("account".into());
        p
    })
}

/// Every journey file of a folder of the repository, checked as one program.
fn checked_folder(folder: &str, timezone: &str, currency: &str) -> Program {
    let root = format!("{}/../../{folder}", env!("CARGO_MANIFEST_DIR"));
    let mut sources = SourceMap::new();
    let mut files = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".journey") || name.ends_with(".journey.yaml") {
            files.push(sources.add(format!("{folder}/{name}"), std::fs::read_to_string(&p).unwrap()));
        }
    }
    let settings = Settings { timezone: timezone.into(), currency: currency.into(), ..Default::default() };
    let checked = check_sources(&sources, &files, &settings);
    assert!(!checked.has_errors(), "{folder} must check cleanly");
    checked.program
}

fn options() -> EngineOptions {
    EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0, until: T0 + 120 * D }
}

/// A deterministic pseudo-random profile for a customer.
fn profile(program: &Program, texts: &mut Interner, seed: u64) -> Vec<AttrValue> {
    let _ = texts;
    program
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let r = stable_hash(seed, &[&a.name]) % 100;
            match &a.ty {
                Type::Bool => AttrValue::Bool(r < 70),
                Type::Timezone => {
                    AttrValue::Text(["America/New_York", "Europe/Paris", "Asia/Tokyo"][r as usize % 3].into())
                }
                Type::OneOf { choices } => AttrValue::Text(choices[r as usize % choices.len()].clone().into()),
                Type::Money | Type::Number => AttrValue::Number((r * 5) as f64),
                Type::Date => AttrValue::Date(20_460 + (r as i64 + i as i64) % 150),
                Type::Text => AttrValue::Text(if r < 50 { "US".into() } else { "GB".into() }),
                _ => AttrValue::Missing,
            }
        })
        .collect()
}

/// Events for one customer from a list of (hour offset, event index, prop seed).
fn events(program: &Program, texts: &mut Interner, c: u32, raw: &[(u32, u8, u8)]) -> Vec<Event> {
    let mut raw = raw.to_vec();
    raw.sort();
    raw.iter()
        .map(|&(h, k, s)| {
            let k = k as usize % program.events.len();
            let def = &program.events[k];
            let props = def
                .properties
                .iter()
                .map(|p| match &p.ty {
                    Type::Money | Type::Number => PropValue::Number((s % 60) as f64),
                    Type::OneOf { choices } => PropValue::Text(texts.intern(&choices[s as usize % choices.len()])),
                    Type::Text => PropValue::Text(texts.intern(if s % 2 == 0 { "" } else { "winback-1-we-miss-you" })),
                    Type::Bool => PropValue::Bool(s % 2 == 0),
                    _ => PropValue::Missing,
                })
                .collect();
            Event {
                customer: CustomerId(c),
                time: T0 - 30 * D + h as i64 * H,
                kind: EventKind(k as u16),
                props,
                revenue: None,
                line: 0,
            }
        })
        .collect()
}

struct World {
    keys: Vec<String>,
    profiles: Vec<Vec<AttrValue>>,
    /// The same rows as shared blocks, as the attribute snapshot keeps them.
    rows: Vec<Row>,
    events: Vec<Vec<Event>>,
    texts: Interner,
}

impl Profiles for World {
    fn customer(&self, id: CustomerId) -> Customer<'_> {
        Customer { id, key: &self.keys[id.0 as usize], attributes: &self.profiles[id.0 as usize] }
    }

    fn shared_row(&self, id: CustomerId) -> Option<Row> {
        self.rows.get(id.0 as usize).cloned()
    }
}

fn world(raw: &[Vec<(u32, u8, u8)>]) -> World {
    world_of(library(), raw)
}

fn world_of(p: &Program, raw: &[Vec<(u32, u8, u8)>]) -> World {
    let mut texts = Interner::default();
    let mut w = World {
        keys: Vec::new(),
        profiles: Vec::new(),
        rows: Vec::new(),
        events: Vec::new(),
        texts: Interner::default(),
    };
    for (c, r) in raw.iter().enumerate() {
        w.keys.push(format!("customer-{c}"));
        w.profiles.push(profile(p, &mut texts, c as u64));
        w.rows.push(w.profiles[c].as_slice().into());
        w.events.push(events(p, &mut texts, c as u32, r));
    }
    w.texts = texts;
    w
}

fn check_invariants(program: &Program, opts: &EngineOptions, w: &World, c: usize, actions: &[Action]) {
    let attrs = &w.profiles[c];
    let customer = c; // `c` is a channel below
    let tz: chrono_tz::Tz = match program.attributes.iter().position(|a| a.ty == Type::Timezone).map(|i| &attrs[i]) {
        Some(AttrValue::Text(s)) => s.parse().unwrap(),
        _ => program.timezone.parse().unwrap(),
    };
    let sends: Vec<(i64, usize)> = actions
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Send { channel } => Some((a.time, channel)),
            _ => None,
        })
        .collect();
    for a in actions {
        assert!(a.time >= opts.start && a.time <= opts.until);
        let j = &program.journeys[a.journey];
        if let ActionKind::Send { channel } = a.kind {
            // every send traces to a send node of its journey, on that node's channel
            let node = &j.nodes[a.node.expect("a send has a node")];
            match &node.step {
                Step::Send { channel: ch, .. } => assert_eq!(ch, &program.channels[channel].name),
                other => panic!("send from a non-send node {other:?}"),
            }
        }
    }
    // conflicting tags: no two delivered sends with different tags of one group closer
    // than the conflict window
    let window = program.policy.conflict_window_minutes() as i64 * 60_000;
    let tagged: Vec<(i64, &String)> = actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Send { .. }))
        .filter_map(|a| match &program.journeys[a.journey].nodes[a.node?].step {
            Step::Send { tags, .. } => Some(tags.iter().map(move |t| (a.time, t))),
            _ => None,
        })
        .flatten()
        .collect();
    for group in &program.policy.conflicting {
        for &(t1, x) in tagged.iter().filter(|(_, x)| group.contains(x)) {
            for &(t2, y) in tagged.iter().filter(|(_, y)| group.contains(y)) {
                assert!(x == y || t2 < t1 || t2 - t1 >= window, "`{x}` at {t1} and `{y}` at {t2} conflict");
            }
        }
    }
    for &(t, c) in &sends {
        let ch = &program.channels[c];
        // consent (attributes can change through `set`: replay them from the trace)
        if let Some(attr) = &ch.consent {
            let i = program.attributes.iter().position(|a| &a.name == attr).unwrap();
            let set_before = actions.iter().any(|a| a.time <= t && a.kind == ActionKind::SetAttribute { attribute: i });
            if !set_before {
                assert_eq!(attrs[i], AttrValue::Bool(true), "send on {} without consent", ch.name);
                // an unsubscribe from this channel withdrew the consent for good (the
                // library's journeys only ever `set` consent to false)
                let withdrawn =
                    w.events[customer].iter().any(|e| e.time < t && unsubscribes_from(program, &w.texts, e, c));
                assert!(!withdrawn, "send on {} at {t} after the customer unsubscribed from it", ch.name);
            }
        }
        // quiet hours in the customer's zone, quiet days
        if let Some(q) = &ch.quiet_hours {
            let ztz = match &q.zone {
                journey_ir::Zone::Customer => tz,
                journey_ir::Zone::Named(n) => n.parse().unwrap(),
            };
            assert!(!q.contains(journey_engine::time::minute_of_day(ztz, t)), "send inside quiet hours");
        }
        assert!(
            !journey_engine::time::QuietDays::new(&program.policy.quiet_days).contains(tz, t),
            "send on a quiet day"
        );
        // caps: rolling windows over every journey's sends
        if let Some(cap) = &ch.cap {
            let w = cap.window_minutes as i64 * 60_000;
            let n = sends.iter().filter(|(s, x)| *x == c && *s <= t && t - s < w).count() as u64;
            assert!(n <= cap.count, "channel cap broken on {}", ch.name);
        }
        for pc in &program.policy.caps {
            let counts = |x: usize| {
                let name = &program.channels[x].name;
                program.channels[x].kind.is_message() && pc.channels.as_ref().is_none_or(|v| v.contains(name))
            };
            if !counts(c) {
                continue;
            }
            let w = pc.cap.window_minutes as i64 * 60_000;
            let n = sends.iter().filter(|(s, x)| counts(*x) && *s <= t && t - s < w).count() as u64;
            assert!(n <= pc.cap.count, "policy cap broken");
        }
        if let Some(g) = program.policy.min_gap_minutes {
            let prev = sends.iter().filter(|(s, _)| *s < t).map(|(s, _)| *s).max();
            if let Some(p) = prev {
                assert!(t - p >= g as i64 * 60_000, "policy min_gap broken");
            }
            assert_eq!(sends.iter().filter(|(s, _)| *s == t).count(), 1, "two sends at one instant despite min_gap");
        }
    }
}

/// Does this event take away the consent of channel `c`? An `unsubscribe` names a
/// channel by name, else by kind; naming none means every channel (docs/engine.md,
/// "Consent").
fn unsubscribes_from(program: &Program, texts: &Interner, e: &Event, c: usize) -> bool {
    let def = &program.events[e.kind.0 as usize];
    if def.name != "unsubscribe" {
        return false;
    }
    let said = def.properties.iter().position(|p| p.name == "channel").and_then(|i| match e.props.get(i) {
        Some(PropValue::Text(t)) => Some(texts.resolve(*t)).filter(|s| !s.is_empty()),
        _ => None,
    });
    let Some(said) = said else { return true };
    let ch = &program.channels[c];
    if program.channels.iter().any(|x| x.name == said) {
        ch.name == said
    } else {
        ch.kind.as_str() == said
    }
}

fn raw_customers() -> impl Strategy<Value = Vec<Vec<(u32, u8, u8)>>> {
    prop::collection::vec(prop::collection::vec((0u32..(140 * 24), any::<u8>(), any::<u8>()), 0..40), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_send_breaks_a_rule(raw in raw_customers(), drop in any::<bool>()) {
        let program = library();
        let mut opts = options();
        if drop { opts.quiet_hours = QuietMode::Drop; }
        let engine = Engine::new(program, opts.clone());
        let w = world(&raw);
        for c in 0..raw.len() {
            let (actions, _) = engine.run_customer(w.customer(CustomerId(c as u32)), &w.events[c], &w.texts);
            check_invariants(program, &opts, &w, c, &actions);
        }
    }

    /// The event step skips the events no goal, exit rule, `wait … for`, entry or
    /// opt-out names (src/reactions.rs): the same actions and report as walking them
    /// all, with the driver's groups (push_batch) and event by event.
    #[test]
    fn skipping_events_nothing_reacts_to_changes_nothing(raw in raw_customers(), drop in any::<bool>()) {
        skipping_changes_nothing(library(), &raw, drop)?;
    }

    /// The same on the B2B project: other event kinds, tasks, scores, business days,
    /// and customers sharing accounts (their events then go in log order).
    #[test]
    fn skipping_events_nothing_reacts_to_changes_nothing_on_b2b(raw in raw_customers(), drop in any::<bool>()) {
        skipping_changes_nothing(b2b(), &raw, drop)?;
    }

    /// A scheduled journey's refused tick parks on a false clause of its filter
    /// (lib.rs, `ParkClause`): the same actions and report as parking on the whole
    /// filter (`csm_health_check` refuses most customers on `key_subscriber` while
    /// their session count changes, `weekly_roast_drop` on `email_opt_in`).
    #[test]
    fn parking_on_a_refusing_clause_changes_nothing(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(library(), &raw, drop, Engine::parking_on_whole_filters)?;
    }

    /// The same on the B2B project.
    #[test]
    fn parking_on_a_refusing_clause_changes_nothing_on_b2b(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(b2b(), &raw, drop, Engine::parking_on_whole_filters)?;
    }

    /// An event that moves a count without crossing a level of it marks nothing for
    /// `settle` (state.rs, `record`): the same actions and report as marking every
    /// recorded event (`ghost`'s and `lead`'s 90-day session counts, compared with 0
    /// and 1, stop changing anything after a customer's first session).
    #[test]
    fn counts_that_cross_no_level_change_nothing(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(library(), &raw, drop, Engine::marking_every_count)?;
    }

    /// The same on the B2B project.
    #[test]
    fn counts_that_cross_no_level_change_nothing_on_b2b(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(b2b(), &raw, drop, Engine::marking_every_count)?;
    }

    /// A `since` plans its flips only at the durations it is compared with
    /// (expr.rs, `AggSpec::thresholds`): the same actions and report as flipping at
    /// every duration of the program.
    #[test]
    fn since_flips_at_its_own_durations_only(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(library(), &raw, drop, Engine::flipping_at_every_duration)?;
    }

    /// The same on the B2B project.
    #[test]
    fn since_flips_at_its_own_durations_only_on_b2b(raw in raw_customers(), drop in any::<bool>()) {
        same_as_plain(b2b(), &raw, drop, Engine::flipping_at_every_duration)?;
    }

    #[test]
    fn driver_matches_core_and_split_merge_is_exact(raw in raw_customers(), cut in 0usize..6) {
        let program = library();
        let engine = Engine::new(program, options());
        let w = world(&raw);
        // the core, customer by customer
        let mut core_actions = Vec::new();
        let mut whole = Report::default();
        for c in 0..raw.len() {
            let (a, r) = engine.run_customer(w.customer(CustomerId(c as u32)), &w.events[c], &w.texts);
            core_actions.push(a);
            whole.merge(&r);
        }
        // the streaming driver over the time-ordered log
        let mut all: Vec<&Event> = w.events.iter().flatten().collect();
        all.sort_by_key(|e| (e.time, e.customer));
        let mut driver = Driver::new(&engine);
        for c in 0..raw.len() { driver.add_customer(w.customer(CustomerId(c as u32))); }
        for e in &all { driver.push(e, &w, &w.texts); }
        let (actions, streamed) = driver.finish(&w.texts);
        // finishing on several threads changes nothing
        let mut driver = Driver::new(&engine);
        for c in 0..raw.len() { driver.add_customer(w.customer(CustomerId(c as u32))); }
        for e in &all { driver.push(e, &w, &w.texts); }
        let (actions_3, streamed_3) = driver.finish_on(&w.texts, 3);
        prop_assert_eq!(&actions_3, &actions);
        prop_assert_eq!(&streamed_3, &streamed);
        // states sharing the profiles' rows (copied on a write) answer as copies do
        let mut driver = Driver::new(&engine);
        for c in 0..raw.len() { driver.add_profile(&w, CustomerId(c as u32), &w.texts); }
        for e in &all { driver.push(e, &w, &w.texts); }
        let (actions_shared, streamed_shared) = driver.finish(&w.texts);
        prop_assert_eq!(&actions_shared, &actions);
        prop_assert_eq!(&streamed_shared, &streamed);
        for (c, core) in core_actions.iter().enumerate() {
            let mine: Vec<&Action> = actions.iter().filter(|a| a.customer.0 as usize == c).collect();
            prop_assert_eq!(mine, core.iter().collect::<Vec<_>>());
        }
        prop_assert_eq!(streamed.to_json(), whole.to_json());
        // two partitions by customer, merged
        let cut = cut.min(raw.len());
        let mut parts = [Driver::new(&engine), Driver::new(&engine)];
        for c in 0..raw.len() { parts[usize::from(c >= cut)].add_customer(w.customer(CustomerId(c as u32))); }
        for e in &all { parts[usize::from(e.customer.0 as usize >= cut)].push(e, &w, &w.texts); }
        let [a, b] = parts;
        let (_, mut ra) = a.finish(&w.texts);
        let (_, rb) = b.finish(&w.texts);
        let rb: Report = serde_json::from_str(&rb.to_json()).unwrap(); // through JSON, as `journey merge` would
        ra.merge(&rb);
        prop_assert_eq!(ra.to_json(), whole.to_json());
    }
}

#[test]
fn same_input_gives_byte_identical_output() {
    let raw: Vec<Vec<(u32, u8, u8)>> = (0..8)
        .map(|c| (0..30).map(|i| ((i * 97 + c * 13) % 3000, (i * 7 + c) as u8, (i * 31) as u8)).collect())
        .collect();
    let program = library();
    let engine = Engine::new(program, options());
    let run = || {
        let w = world(&raw);
        let mut out = String::new();
        let mut report = Report::default();
        for c in 0..raw.len() {
            let (a, r) = engine.run_customer(w.customer(CustomerId(c as u32)), &w.events[c], &w.texts);
            for x in &a {
                out.push_str(&x.describe(program, &w.keys[c]).to_string());
                out.push('\n');
            }
            report.merge(&r);
        }
        out + &report.to_json()
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.contains("\"send\""), "the fixture should produce sends");
}

/// The oracle of `skipping_events_nothing_reacts_to_changes_nothing`: `program` run
/// with the event step's per-list skip and walking every list, grouped (push_batch),
/// event by event, and customer by customer.
fn skipping_changes_nothing(
    program: &'static Program,
    raw: &[Vec<(u32, u8, u8)>],
    drop: bool,
) -> Result<(), TestCaseError> {
    same_as_plain(program, raw, drop, Engine::reacting_to_every_event)
}

/// `program` run as it is and as `plain` makes it (a fast path turned off), grouped
/// (push_batch), event by event, and customer by customer: the same actions and
/// report.
fn same_as_plain(
    program: &'static Program,
    raw: &[Vec<(u32, u8, u8)>],
    drop: bool,
    plain: fn(Engine<'static>) -> Engine<'static>,
) -> Result<(), TestCaseError> {
    let mut opts = options();
    if drop {
        opts.quiet_hours = QuietMode::Drop;
    }
    let fast = Engine::new(program, opts.clone());
    let plain = plain(Engine::new(program, opts));
    let w = world_of(program, raw);
    let mut all: Vec<Event> = w.events.iter().flatten().cloned().collect();
    all.sort_by_key(|e| (e.time, e.customer));
    let run = |engine: &Engine, grouped: bool| {
        let mut driver = Driver::new(engine);
        for c in 0..raw.len() {
            driver.add_profile(&w, CustomerId(c as u32), &w.texts);
        }
        if grouped {
            for group in all.chunks(7) {
                driver.push_batch(group, &w, &w.texts);
            }
        } else {
            for e in &all {
                driver.push(e, &w, &w.texts);
            }
        }
        let (actions, report) = driver.finish(&w.texts);
        (actions, report.to_json())
    };
    for grouped in [false, true] {
        prop_assert_eq!(run(&fast, grouped), run(&plain, grouped));
    }
    for c in 0..raw.len() {
        let a = fast.run_customer(w.customer(CustomerId(c as u32)), &w.events[c], &w.texts);
        let b = plain.run_customer(w.customer(CustomerId(c as u32)), &w.events[c], &w.texts);
        prop_assert_eq!(a.0, b.0);
        prop_assert_eq!(a.1.to_json(), b.1.to_json());
    }
    Ok(())
}
