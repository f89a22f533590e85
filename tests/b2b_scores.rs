//! Issue 15 on the B2B project (tests/projects/b2b, Clinicly), through the CLI: the
//! health score and the threshold-crossing journey `health_drop` compile to IR
//! (scores, `Expr::Score` uses, a `condition` trigger), the calendar describes the
//! crossing, and a replay enters `health_drop` only at crossings.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn b2b() -> std::path::PathBuf {
    root().join("tests/projects/b2b")
}

#[test]
fn scores_and_the_threshold_entry_compile_to_ir() {
    let out = journey(&["compile"], &b2b());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ir: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = ir["scores"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["health", "latest_nps", "revenue_90d", "revenue_per_seat", "support_load", "usage"]);
    let per_seat = ir["scores"].as_array().unwrap().iter().find(|s| s["name"] == "revenue_per_seat").unwrap();
    assert_eq!(per_seat["ty"]["type"], "money", "money / number is money: {per_seat}");
    let drop = ir["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "health_drop").unwrap();
    let cond = &drop["entry"]["condition"];
    assert_eq!(drop["entry"]["on"], "condition", "{}", drop["entry"]);
    assert_eq!(cond["lhs"]["op"], "score", "{cond}");
    assert_eq!(cond["lhs"]["name"], "health", "{cond}");
    // the score's formula travels with its use
    assert_eq!(cond["lhs"]["expr"]["op"], "add", "{cond}");
}

#[test]
fn the_calendar_describes_the_crossing() {
    let out = journey(&["calendar"], &b2b());
    assert!(stdout(&out).contains("entry:    when health < 0.4 becomes true"), "{}", stdout(&out));
}

/// Replay a log where one paying clinic user logs in often, then stops: the health
/// score falls below 0.4 as the logins leave the 14-day window, on the clock.
#[test]
fn a_replay_enters_health_drop_when_the_score_crosses() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.csv");
    let attrs = tmp.path().join("attrs.csv");
    // 8 logins and 2 tickets: usage 0.8, support 0.4, health 0.6 * 0.8 + 0.4 * 0.6 =
    // 0.72. Once the logins are older than 14 days usage is 0 and health 0.24.
    // Health never dips below 0.4 while the logins come in (lowest 0.42, after the
    // second ticket). On 2026-03-21 the logins of 1-6 March are older than 14 days
    // (usage 0.2) and health falls to 0.36, with no event then; the tickets leave on 1-2 April (health 0.4, not below);
    // a login on 30 April (health 0.46) keeps the replay running past all of it.
    let mut rows = String::from("customer_id,event,timestamp,severity,topic\n");
    for d in 1..=8 {
        rows.push_str(&format!("c1,login,2026-03-0{d}T10:00:00Z,,\n"));
        if d == 2 || d == 3 {
            rows.push_str(&format!("c1,support_ticket,2026-03-0{d}T11:00:00Z,low,billing\n"));
        }
    }
    rows.push_str("c1,login,2026-04-30T10:00:00Z,,\n");
    std::fs::write(&log, rows).unwrap();
    std::fs::write(
        &attrs,
        "customer_id,plan,seats,email_opt_in,signed_up_on,account\nc1,team,5,true,2026-03-01,acme\n",
    )
    .unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let out = journey(&["simulate", "--events", &s(&log), "--attributes", &s(&attrs), "--format", "json"], &b2b());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drop = &report["journeys"]["health_drop"];
    assert_eq!(drop["entrants"], 1, "{drop}");
    // a healthy customer (a single login: health 0.46) is never entered
    std::fs::write(&log, "customer_id,event,timestamp\nc1,login,2026-03-01T10:00:00Z\nc1,login,2026-04-30T10:00:00Z\n")
        .unwrap();
    let out = journey(&["simulate", "--events", &s(&log), "--attributes", &s(&attrs), "--format", "json"], &b2b());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // (a journey nobody entered may be left out of the report)
    assert_eq!(report["journeys"]["health_drop"]["entrants"].as_u64().unwrap_or(0), 0, "{}", report["journeys"]);
}
