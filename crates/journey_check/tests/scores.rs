//! Issue 15: arithmetic and named scores in the checker. Each new way to go wrong has
//! its code (J206 money + number, J207 a score that is not a number, J311 a circle
//! through scores, J102 a score named like an attribute); a sound program lowers each
//! use of a score to an `Expr::Score` that carries its value.

use journey_check::{check_sources, Settings};
use journey_diagnostics::SourceMap;
use journey_ir::Expr;

const PRELUDE: &str = "event login {}\nevent invoice_paid { amount: money }\nattribute seats: number\n\
                       attribute last_health: number\nchannel crm { kind webhook }\n";

fn check(src: &str) -> (journey_ir::Program, Vec<(String, String)>) {
    let mut sources = SourceMap::new();
    let f = sources.add("t.journey", format!("{PRELUDE}{src}"));
    let checked = check_sources(
        &sources,
        &[f],
        &Settings { timezone: "UTC".into(), currency: "EUR".into(), ..Default::default() },
    );
    let diags = checked.diagnostics.iter().map(|d| (d.code.to_string(), d.message.clone())).collect();
    (checked.program, diags)
}

fn codes(src: &str) -> Vec<String> {
    check(src).1.into_iter().map(|(c, _)| c).collect()
}

#[test]
fn a_sound_score_checks_clean_and_is_inlined_by_name() {
    let (p, diags) = check(
        "score usage = clamp(count(login, 14d) / 10, 0, 1)\n\
         score health = 0.4 * usage + 0.6 * min(seats / 20, 1)\n\
         score revenue = sum(invoice_paid.amount, 90d) / 3\n\
         audience unhealthy = health < 0.4 and revenue > 100 EUR\n\
         journey j { entry on login stage a { set last_health = health\n branch { when health > 0.5 -> b else -> end } }\n\
         stage b { webhook crm \"x\" end } }\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let names: Vec<&str> = p.scores.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["health", "revenue", "usage"]);
    assert_eq!(p.scores[1].ty, journey_ir::Type::Money);
    let Expr::And { all } = &p.audiences[0].condition else { panic!("{:?}", p.audiences[0].condition) };
    let Expr::Compare { lhs, .. } = &all[0] else { panic!() };
    let Expr::Score { name, expr } = &**lhs else { panic!("{lhs:?}") };
    assert_eq!(name, "health");
    // the value is the formula, with `usage` inside it by name too
    let Expr::Add { lhs, .. } = &**expr else { panic!("{expr:?}") };
    let Expr::Mul { rhs, .. } = &**lhs else { panic!("{lhs:?}") };
    assert!(matches!(&**rhs, Expr::Score { name, .. } if name == "usage"));
}

#[test]
fn money_plus_a_plain_number_is_j206() {
    let (_, d) = check("score s = sum(invoice_paid.amount, 90d) - 50\n");
    assert_eq!(d, [("J206".to_string(), "cannot subtract an amount and a plain number".to_string())]);
    assert!(codes("score s = sum(invoice_paid.amount, 90d) - 50 EUR\n").is_empty());
    assert!(codes("score s = sum(invoice_paid.amount, 90d) * 0.5\n").is_empty());
    assert!(codes("score s = 1 + count(login)\n").is_empty());
}

#[test]
fn money_types_of_products_and_quotients() {
    // money / money is a ratio: compared with a number
    assert!(codes("audience a = sum(invoice_paid.amount, 30d) / sum(invoice_paid.amount, 90d) > 0.5\n").is_empty());
    // money * money means nothing
    assert_eq!(codes("score s = sum(invoice_paid.amount) * sum(invoice_paid.amount)\n"), ["J201"]);
    // number / money is not a thing either
    assert_eq!(codes("score s = 3 / sum(invoice_paid.amount)\n"), ["J201"]);
    // durations are not scaled
    assert_eq!(codes("audience a = since(login) * 2 > 3d\n"), ["J201"]);
}

#[test]
fn a_condition_is_not_a_score_j207() {
    assert_eq!(codes("score s = count(login, 14d) >= 3\n"), ["J207"]);
    // its uses are not reported again
    assert_eq!(codes("score s = count(login, 14d) >= 3\naudience a = s > 1\n"), ["J207"]);
}

#[test]
fn circular_scores_are_j311() {
    let (_, d) = check("score a = b + 1\nscore b = a * 2\n");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "J311");
    assert!(d[0].1.contains("score `a`"), "{d:?}");
    // through an audience
    let c = codes("score s = count(login where hot, 7d)\naudience hot = s > 3\n");
    assert_eq!(c, ["J311"]);
}

#[test]
fn names_arity_and_kinds() {
    assert_eq!(codes("attribute s: number\nscore s = 1 + 1\n"), ["J102"]);
    assert_eq!(codes("score s = clamp(seats, 1)\n"), ["J205"]);
    assert_eq!(codes("score s = min(seats)\n"), ["J205"]);
    assert_eq!(codes("score s = max(seats, since(login))\n"), ["J201"]);
    let (_, d) = check("score s = maxx(seats, 1)\n");
    assert_eq!(d[0].0, "J101");
    // did you mean
    assert!(d[0].1.contains("maxx"), "{d:?}");
}

#[test]
fn a_threshold_entry_is_a_condition_trigger() {
    let (p, d) = check(
        "score usage = count(login, 14d) / 14\n\
         journey j { entry when usage < 0.1 stage a { webhook crm \"x\" end } }\n",
    );
    assert!(d.is_empty(), "{d:?}");
    let journey_ir::Trigger::Condition { condition } = &p.journeys[0].entry else {
        panic!("{:?}", p.journeys[0].entry)
    };
    assert!(matches!(condition, Expr::Compare { .. }));
    // the audience form still parses as before
    let (p, d) = check("audience quiet = count(login, 14d) == 0\njourney j { entry when audience quiet entered stage a { webhook crm \"x\" end } }\n");
    assert!(d.is_empty(), "{d:?}");
    assert!(matches!(p.journeys[0].entry, journey_ir::Trigger::AudienceEntered { .. }));
    // not a condition
    assert_eq!(codes("journey j { entry when count(login, 14d) stage a { webhook crm \"x\" end } }\n"), ["J204"]);
}

#[test]
fn latest_reads_a_numeric_property() {
    let (p, d) = check(
        "event nps_response { score: number, comment: text }\n\
         score nps = latest(nps_response.score where comment is set)\n\
         audience detractor = nps <= 6 and since(nps_response where score is set) <= 90d\n",
    );
    assert!(d.is_empty(), "{d:?}");
    assert!(
        matches!(&p.scores[0].value, Expr::Aggregate(journey_ir::Aggregate::Latest { property, filter: Some(_), .. }) if property == "score")
    );
    // a text property, a window, a bare event: J205
    assert_eq!(
        codes("event nps_response { score: number, comment: text }\nscore s = latest(nps_response.comment)\n"),
        ["J205"]
    );
    assert_eq!(codes("event nps_response { score: number }\nscore s = latest(nps_response.score, 30d)\n"), ["J205"]);
    assert_eq!(codes("event nps_response { score: number }\nscore s = latest(nps_response)\n"), ["J205"]);
    // it can be missing, so `is set` applies
    assert!(codes("event nps_response { score: number }\naudience a = latest(nps_response.score) is set\n").is_empty());
}
