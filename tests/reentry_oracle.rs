//! J401 on journeys entered on an event that customers re-enter (`entry on workout`
//! with `re_entry always` or `re_entry after DUR`), against the engine as a
//! brute-force oracle: small generated programs (one to three sends with fixed waits,
//! a channel or policy cap of 1-3 per window, sometimes an `exit on cancel`), and
//! one customer replayed over random histories of workouts (and cancels) and over the
//! history the check's reasoning builds: workouts as close as the engine lets the
//! customer back in.
//!
//! Whenever the engine refuses a send over a cap, the check says J401, for certain or
//! as undecided ("may send"); whenever it says J401 for certain, the constructed
//! history makes the engine refuse. `re_entry never` is never said to send again.

mod common;

use common::Rng;

use journey_engine::{ActionKind, AttrValue, Customer, Engine, EngineOptions, QuietMode, Suppression};
use journey_events::{CustomerId, Event, EventKind, Interner};
use journey_ir::Program;

const MINUTE: i64 = 60_000;
/// 2025-01-01T00:00:00Z, the first day of the replay.
const START: i64 = 1_735_689_600_000;

/// A generated case: the program's source and what the histories are built from.
struct Case {
    src: String,
    /// Minutes from one entry to the next the engine allows at the soonest: the
    /// `re_entry after` and the pass's length, whichever is longer; `None` for
    /// `re_entry never`.
    gap: Option<i64>,
    /// The cap's count and window in minutes.
    cap: (i64, i64),
    /// Minutes one pass takes.
    length: i64,
    exits: bool,
}

/// Durations as the source writes them and in minutes.
const WAITS: &[(&str, i64)] = &[("1h", 60), ("3h", 180), ("12h", 720), ("1d", 1440), ("2d", 2880)];
const AFTERS: &[(&str, i64)] = &[("1h", 60), ("2h", 120), ("3h", 180), ("12h", 720), ("1d", 1440), ("3d", 4320)];
const WINDOWS: &[(&str, i64)] = &[("6h", 360), ("1d", 1440), ("2d", 2880), ("3d", 4320), ("7d", 10080)];

/// A one-journey program: a capped channel (or a policy cap) and a journey entered on
/// `workout` of one to three sends and fixed waits.
fn generate(rng: &mut Rng) -> Case {
    let count = 1 + rng.below(3) as i64;
    let (window, window_min) = rng.pick(WINDOWS);
    let (re_entry, after) = match rng.below(6) {
        0 => ("re_entry never".to_string(), None),
        1 | 2 => ("re_entry always".to_string(), Some(0)),
        _ => {
            let (a, m) = rng.pick(AFTERS);
            (format!("re_entry after {a}"), Some(m))
        }
    };
    let mut steps = vec!["    send email \"t0\"".to_string()];
    let mut length = 0;
    for k in 1..=rng.below(3) {
        if rng.below(3) > 0 {
            let (w, m) = rng.pick(WAITS);
            steps.push(format!("    wait {w}"));
            length += m;
        }
        steps.push(format!("    send email \"t{k}\""));
    }
    if rng.below(3) == 0 {
        let (w, m) = rng.pick(WAITS);
        steps.push(format!("    wait {w}"));
        length += m;
    }
    let exits = rng.below(4) == 0;
    let (channel_cap, policy) = if rng.below(3) == 0 {
        (String::new(), format!("policy {{\n  cap any {count} per {window}\n}}\n\n"))
    } else {
        (format!("  cap {count} per {window}\n"), String::new())
    };
    let src = format!(
        "event workout\nevent cancel\n\nchannel email {{\n  kind email\n{channel_cap}}}\n\n{policy}\
         journey r {{\n  entry on workout\n  {re_entry}\n{}  stage s {{\n{}\n    end\n  }}\n}}\n",
        if exits { "  exit on cancel\n" } else { "" },
        steps.join("\n")
    );
    Case { src, gap: after.map(|a: i64| a.max(length)), cap: (count, window_min), length, exits }
}

/// The kind of event `name`: its position among the program's events.
fn kind(program: &Program, name: &str) -> EventKind {
    EventKind(program.events.iter().position(|e| e.name == name).expect("declared") as u16)
}

/// Events of one customer at `start + minutes` (workouts, and cancels if `cancel`).
fn events(program: &Program, times: &[(i64, bool)]) -> Vec<Event> {
    let (workout, cancel) = (kind(program, "workout"), kind(program, "cancel"));
    let mut evs: Vec<Event> = times
        .iter()
        .map(|&(m, is_cancel)| Event {
            customer: CustomerId(0),
            time: START + 60 * MINUTE + m * MINUTE,
            kind: if is_cancel { cancel } else { workout },
            props: Default::default(),
            revenue: None,
            line: 0,
        })
        .collect();
    evs.sort_by_key(|e| e.time);
    evs
}

/// The history the check reasons about: a workout each time the engine lets the
/// customer back in, for as many passes as a window can hold (and one more than the
/// cap when passes take no time at all).
fn witness(case: &Case) -> Vec<(i64, bool)> {
    let gap = case.gap.unwrap_or(0);
    let (count, window) = case.cap;
    let n = if gap == 0 { count + 2 } else { ((window + case.length) / gap + count + 2).min(300) };
    (0..n).map(|i| (i * gap, false)).collect()
}

/// A random history: workouts at gaps around the ones that matter (none, a minute,
/// the re-entry gap, hours, days), and, where the journey exits on `cancel`, some
/// cancels right after a workout or later.
fn random_history(rng: &mut Rng, case: &Case) -> Vec<(i64, bool)> {
    let gap = case.gap.unwrap_or(60);
    let gaps = [0, 1, 59, 60, 180, 720, 1440, 2880, gap, gap + 1, gap.saturating_sub(1), case.length];
    let mut t = 0;
    let mut out = Vec::new();
    for _ in 0..2 + rng.below(9) {
        out.push((t, false));
        if case.exits && rng.below(3) == 0 {
            out.push((t + rng.pick(&[0, 1, 60, 180, 1440]), true));
        }
        t += rng.pick(&gaps);
    }
    out
}

/// Does the engine refuse a send over a cap (the channel's or the policy's) to the
/// customer of `history`?
fn engine_refuses(engine: &Engine, program: &Program, history: &[(i64, bool)]) -> bool {
    let texts = Interner::default();
    let attrs: Vec<AttrValue> = program.attributes.iter().map(|_| AttrValue::Missing).collect();
    let evs = events(program, history);
    let (actions, _) = engine.run_customer(Customer { id: CustomerId(0), key: "c", attributes: &attrs }, &evs, &texts);
    actions.iter().any(|a| {
        matches!(&a.kind, ActionKind::Suppressed { reason: Suppression::ChannelCap | Suppression::PolicyCap(_), .. })
    })
}

/// Cases to generate: 300, or `REENTRY_CASES` (a longer local run).
fn cases() -> usize {
    std::env::var("REENTRY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

#[test]
fn j401_on_re_entered_event_journeys_agrees_with_the_engine() {
    let mut rng = Rng(0x3c6e_f372_fe94_f82b);
    let dir = tempfile::tempdir().unwrap();
    let (mut refused, mut certain, mut may, mut unsaid, mut again) = (0, 0, 0, 0, 0);
    for case_no in 0..cases() {
        let case = generate(&mut rng);
        let src = &case.src;
        std::fs::write(dir.path().join("p.journey"), src).unwrap();
        let c = common::check_project(dir.path());
        let errors: Vec<_> = (c.diagnostics.iter())
            .filter(|d| d.severity == journey_diagnostics::Severity::Error && d.code != "J401")
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "case {case_no} does not check:\n{src}\n{errors:?}");
        let j401: Vec<&str> = (c.diagnostics.iter()).filter(|d| d.code == "J401").map(|d| d.message.as_str()).collect();
        let says = j401.iter().any(|m| !m.contains(" may send "));
        let says_may = j401.iter().any(|m| m.contains(" may send "));
        let show = || format!("{src}\n{}", j401.join("\n"));
        let opts = EngineOptions {
            quiet_hours: QuietMode::Defer,
            seed: 1,
            start: START - 1,
            until: START + 60 * 1440 * MINUTE,
        };
        let engine = Engine::new(&c.program, opts);
        let by_witness = engine_refuses(&engine, &c.program, &witness(&case));
        let refuses =
            by_witness || (0..8).any(|_| engine_refuses(&engine, &c.program, &random_history(&mut rng, &case)));
        if case.gap.is_none() {
            assert!(
                !j401.iter().any(|m| m.starts_with("entry after entry")),
                "case {case_no}: re_entry never\n{}",
                show()
            );
        }
        assert!(!refuses || says || says_may, "case {case_no}: the engine refuses, the check says nothing\n{}", show());
        assert!(!says || by_witness, "case {case_no}: said for certain, the witness is not refused\n{}", show());
        refused += usize::from(refuses);
        certain += usize::from(says);
        may += usize::from(says_may && !says);
        unsaid += usize::from(refuses && !says && !says_may);
        again += usize::from(j401.iter().any(|m| m.starts_with("entry after entry")));
    }
    eprintln!(
        "{} cases: {refused} refused by the engine, {certain} said for certain, {may} said only as may, {unsaid} refusals unsaid, {again} said entry after entry",
        cases()
    );
    assert!(refused * 5 > cases() && again * 10 > cases() && may > 0, "{refused} {again} {may}");
}
