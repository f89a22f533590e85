//! Several triggers per journey and waits for any of several events (issue 15), end to
//! end on the B2B project (tests/projects/b2b, `team_upsell` in expansion.journey:
//! `entry on milestone_reached where … or on feature_used where …`, `wait up to 7d for
//! invoice_paid or email_click where …`): compiled to IR, shown by the calendar, and
//! replayed by `journey simulate` on a small hand-written log.

mod common;
use common::*;
use serde_json::Value;

const HEADER: &str = "customer_id,timestamp,event,revenue,plan,template,url,feature,amount,invoice_id,device,milestone,score,comment,severity,topic,channel";

/// a: enters by the first trigger and times out; b: by the second, pays, thanks;
/// c: a feature the filter does not take, never enters; d: both triggers, enters once.
const LOG: &str = "\
a,2025-03-03T08:00:00Z,milestone_reached,,,,,,,,,team_invited,,,,,
b,2025-03-03T08:00:00Z,feature_used,,,,,billing,,,,,,,,,
b,2025-03-05T12:00:00Z,invoice_paid,,,,,,99.00,inv-1,,,,,,,
c,2025-03-03T08:00:00Z,feature_used,,,,,scheduling,,,,,,,,,
d,2025-03-03T08:00:00Z,milestone_reached,,,,,,,,,team_invited,,,,,
d,2025-03-03T09:00:00Z,feature_used,,,,,billing,,,,,,,,,
d,2025-03-20T09:00:00Z,login,,,,,,,,web,,,,,,
";

const ATTRS: &str = "\
customer_id,account,csm_owner,email_opt_in,plan,renewal_date,seats,signed_up_on,timezone
a,acc-1,csm-1,true,starter,2025-12-01,3,2025-01-01,Europe/Berlin
b,acc-2,csm-1,true,starter,2025-12-01,3,2025-01-01,Europe/Berlin
c,acc-3,csm-2,true,starter,2025-12-01,3,2025-01-01,Europe/Berlin
d,acc-4,csm-2,true,starter,2025-12-01,3,2025-01-01,Europe/Berlin
";

fn b2b() -> std::path::PathBuf {
    root().join("tests/projects/b2b")
}

#[test]
fn the_ir_lists_every_trigger_and_every_awaited_event() {
    let out = journey(&["compile"], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let j = ir["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "team_upsell").unwrap();
    assert_eq!(j["entry"]["event"], "milestone_reached");
    assert_eq!(j["entry_also"][0]["event"], "feature_used");
    assert_eq!(j["entry_also"][0]["filter"]["rhs"]["value"]["value"], "billing");
    let wait = j["nodes"].as_array().unwrap().iter().find(|n| n["step"] == "wait_for").unwrap();
    assert_eq!(wait["event"], "invoice_paid");
    assert_eq!(wait["also"][0]["event"], "email_click");
    // a journey with one trigger keeps the IR it had: no empty lists
    let single = ir["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "onboarding").unwrap();
    assert!(single.get("entry_also").is_none());
}

#[test]
fn the_calendar_shows_every_trigger() {
    let out = journey_in_columns(&["calendar"], &b2b(), 200);
    assert!(
        stdout(&out).contains(
            "entry:    on milestone_reached where milestone == \"team_invited\" or on feature_used where feature == \"billing\""
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn simulate_enters_on_either_trigger_once_and_ends_the_wait_on_either_event() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    std::fs::write(&log, format!("{HEADER}\n{LOG}")).unwrap();
    std::fs::write(&attrs, ATTRS).unwrap();
    let out = journey(
        &["simulate", "--events", log.to_str().unwrap(), "--attributes", attrs.to_str().unwrap(), "--format", "json"],
        &b2b(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let j = &r["journeys"]["team_upsell"];
    // a, b and d enter; c's feature is not billing; d's second trigger finds it inside
    assert_eq!(j["entrants"], 3, "{j:#}");
    assert_eq!(j["already_in"], 1, "{j:#}");
    assert_eq!(j["stage_entries"]["pitch"], 3);
    // b's invoice ends the wait on `then`; a and d time out
    assert_eq!(j["stage_entries"]["thanks"], 1);
    assert_eq!(j["stage_entries"]["reminder"], 2);
}
