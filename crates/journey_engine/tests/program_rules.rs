//! Issue 15: journey.yaml's program-wide rules as the engine applies them: the global
//! holdout (stable per customer, independent of the seed, marketing journeys only,
//! goals followed), suppression (a list and a flag; transactional messages exempt) and
//! caps per message category.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::{Cap, CategoryCap, GlobalHoldout, Program, SuppressionList};

/// 2026-01-05T00:00:00Z (a Monday)
const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// `signup` enters `promo` (three promotional emails an hour apart, goal: a purchase),
/// `notice` (a transactional email) and `csm` (a task only).
const SRC: &str = "event signup {}\nevent purchase {}\n\
    attribute no_marketing: bool\n\
    channel email { kind email category promotional }\n\
    channel service { kind email category transactional }\n\
    channel tasks { kind task }\n\
    journey promo { entry on signup\n\
      stage a { send email \"p1\" wait 1h send email \"p2\" wait 1h send email \"p3\" end }\n\
      goal bought = purchase within 7d }\n\
    journey notice { entry on signup stage a { send service \"n1\" end } }\n\
    journey csm { entry on signup stage a { task tasks \"call\" end } }\n";

fn program() -> Program {
    let mut sources = SourceMap::new();
    let f = sources.add("rules.journey", SRC.to_string());
    let checked = check_sources(&sources, &[f], &Settings { timezone: "UTC".into(), ..Default::default() });
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    checked.program
}

fn event(kind: u16, time: i64) -> Event {
    Event {
        customer: CustomerId(0),
        time,
        kind: EventKind(kind),
        props: Vec::<PropValue>::new().into(),
        revenue: None,
        line: 0,
    }
}

fn run(program: &Program, seed: u64, key: &str, flag: bool, bought: bool) -> (Vec<Action>, Report) {
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed, start: T0, until: T0 + 30 * DAY };
    let engine = Engine::new(program, opts);
    let kind = |name: &str| program.events.iter().position(|e| e.name == name).unwrap() as u16;
    let mut events = vec![event(kind("signup"), T0 + HOUR)];
    if bought {
        events.push(event(kind("purchase"), T0 + 2 * DAY));
    }
    let attrs = [AttrValue::Bool(flag)];
    let c = Customer { id: CustomerId(0), key, attributes: &attrs };
    engine.run_customer(c, events.iter(), &Interner::default())
}

/// Templates delivered, in order (sends on message channels).
fn sent(program: &Program, actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Send { .. }))
        .map(|a| a.describe(program, "c")["template"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_global_holdout_keeps_the_same_customers_out_of_marketing_journeys_only() {
    let mut p = program();
    p.rules.global_holdout = Some(GlobalHoldout { percent: 30.0, salt: "s1".into() });
    assert!(p.is_marketing_journey(p.journey("promo").unwrap()));
    assert!(!p.is_marketing_journey(p.journey("notice").unwrap()), "transactional only");
    assert!(!p.is_marketing_journey(p.journey("csm").unwrap()), "a task only");
    let mut held = 0;
    let mut total = Report::default();
    for i in 0..400 {
        let key = format!("c{i}");
        let expect_held = global_draw("s1", &key) < 3000;
        // the seed changes journey holdouts and splits, never the global holdout
        for seed in [1, 2] {
            let (actions, report) = run(&p, seed, &key, false, i % 2 == 0);
            let got = sent(&p, &actions);
            if expect_held {
                assert_eq!(got, vec!["n1"], "{key}: only the transactional notice");
                assert_eq!(report.journeys["promo"].global_holdout, 1);
                assert_eq!(report.journeys["promo"].entrants, 0);
                assert_eq!(report.journeys["csm"].tasks, 1, "tasks still run");
                assert_eq!(report.program_rules.global_holdout_customers, 1);
            } else {
                assert_eq!(got.len(), 4, "{key}: {got:?}");
                assert_eq!(report.journeys["promo"].global_holdout, 0);
            }
            if seed == 1 {
                total.merge(&report);
            }
        }
        held += usize::from(expect_held);
    }
    // about 30% of 400, and a different salt draws different customers
    assert!((90..150).contains(&held), "{held}");
    let other = (0..400).filter(|i| global_draw("s2", &format!("c{i}")) < 3000).count();
    let both = (0..400)
        .filter(|i| global_draw("s1", &format!("c{i}")) < 3000 && global_draw("s2", &format!("c{i}")) < 3000)
        .count();
    assert!(both < held && both < other, "salts draw independently: {both} of {held}/{other}");

    // goals are followed for the held-out customers: a treated vs global-holdout comparison
    let promo = &total.journeys["promo"];
    assert_eq!(promo.global_holdout as usize, held);
    let g = &promo.goals["bought"];
    assert!(g.global_holdout_conversions > 0 && g.treated_conversions > 0, "{g:?}");
    assert_eq!(g.global_holdout_conversions + g.treated_conversions, 200, "every second customer bought");
    let exps = total.experiments(&p);
    let c = exps.comparisons.iter().find(|c| c.experiment == "global_holdout").expect("a comparison");
    assert_eq!((c.journey.as_str(), c.goal.as_str()), ("promo", "bought"));
    assert_eq!(c.a.entries as usize, held);
    assert_eq!(c.a.conversions, g.global_holdout_conversions);
    let d = c.difference.as_ref().unwrap();
    let (lo, hi) = d.interval95.unwrap();
    assert!(lo < d.difference && d.difference < hi, "{d:?}");
    assert!(!exps.comparisons.iter().any(|c| c.journey != "promo"), "only the marketing journey");
}

#[test]
fn suppressed_customers_get_no_marketing_but_their_transactional_messages() {
    let mut p = program();
    p.rules.suppression = Some(SuppressionList {
        file: Some("suppressed.txt".into()),
        customers: vec!["c1".into(), "c7".into()],
        attribute: Some("no_marketing".into()),
    });
    // on the list
    let (actions, report) = run(&p, 1, "c7", false, false);
    assert_eq!(sent(&p, &actions), vec!["n1"]);
    assert_eq!(report.journeys["promo"].suppressed, 3);
    assert_eq!(report.program_rules.suppressed_sends, 3);
    assert_eq!(report.program_rules.suppressed_customers, 1);
    let reasons: Vec<_> = actions
        .iter()
        .filter_map(|a| match a.kind {
            ActionKind::Suppressed { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec![Suppression::SuppressionList; 3]);
    // flagged by the attribute
    let (actions, report) = run(&p, 1, "c2", true, false);
    assert_eq!(sent(&p, &actions), vec!["n1"]);
    assert_eq!(report.journeys["promo"].suppressed, 3);
    // neither: everything goes out
    let (actions, report) = run(&p, 1, "c2", false, false);
    assert_eq!(sent(&p, &actions), vec!["n1", "p1", "p2", "p3"]);
    assert_eq!(report.program_rules, ProgramRulesReport::default());
}

#[test]
fn a_category_cap_counts_every_channel_of_its_category_only() {
    let mut p = program();
    p.rules.category_caps = vec![CategoryCap {
        category: "promotional".into(),
        cap: Cap { count: 2, window_minutes: 7 * 1440 },
        written: "2 per 7d".into(),
        origin: Default::default(),
    }];
    let (actions, report) = run(&p, 1, "c1", false, false);
    // (journeys of equal priority act in name order: the notice first)
    // the third promotional email is over the cap; the transactional notice is not counted
    assert_eq!(sent(&p, &actions), vec!["n1", "p1", "p2"]);
    assert_eq!(report.program_rules.category_cap_hits["promotional"], 1);
    assert_eq!(report.journeys["promo"].cap_hits, 1);
    assert!(actions
        .iter()
        .any(|a| matches!(a.kind, ActionKind::Suppressed { reason: Suppression::CategoryCap(0), .. })));
    // a cap on transactional messages caps them
    p.rules.category_caps[0].category = "transactional".into();
    p.rules.category_caps[0].cap.count = 1;
    let (actions, _) = run(&p, 1, "c1", false, false);
    assert_eq!(sent(&p, &actions), vec!["n1", "p1", "p2", "p3"], "one transactional message is under 1 per 7d");
}
