//! Issue 15, accounts, on the B2B project (tests/projects/b2b): users belong to a
//! clinic (`events.account: account`), `busy_clinic` reads
//! `account.count(login, 7d) >= 3` and `busy_clinic_tip` enters a user on the login
//! that makes their clinic busy, colleagues' logins included.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const ATTRS: &str = "customer_id,account,seats,plan,email_opt_in,country,timezone,signed_up_on\n\
    u1,clinic-a,5,team,true,DE,Europe/Berlin,2026-01-01\n\
    u2,clinic-a,5,team,true,DE,Europe/Berlin,2026-01-01\n\
    u3,clinic-b,3,team,true,DE,Europe/Berlin,2026-01-01\n\
    u4,clinic-b,3,team,true,DE,Europe/Berlin,2026-01-01\n\
    u5,clinic-c,,starter,true,DE,Europe/Berlin,2026-01-01\n";

/// u1 and u2 (clinic-a) log in three times between them in a week: u2's login is the
/// third, so u2 enters and u1, whose own logins are two, does not. Clinic-b's two
/// users log in twice in all: nobody enters. u5 logs in three times alone, but
/// clinic-c has no seats (a trial): the audience says no.
const LOG: &str = "customer_id,timestamp,event,device\n\
    u1,2026-03-02T09:00:00Z,login,web\n\
    u3,2026-03-02T09:30:00Z,login,web\n\
    u1,2026-03-03T09:00:00Z,login,web\n\
    u4,2026-03-03T10:00:00Z,login,ios\n\
    u2,2026-03-04T09:00:00Z,login,web\n\
    u5,2026-03-04T10:00:00Z,login,web\n\
    u5,2026-03-05T10:00:00Z,login,web\n\
    u5,2026-03-06T10:00:00Z,login,web\n";

fn simulate(project: &Path) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    std::fs::write(&log, LOG).unwrap();
    std::fs::write(&attrs, ATTRS).unwrap();
    let sim = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"], project);
    assert_eq!(sim.status.code(), Some(0), "{}", stderr(&sim));
    serde_json::from_slice(&sim.stdout).unwrap()
}

#[test]
fn b2b_checks_clean_with_accounts() {
    let dir = root().join("tests/projects/b2b");
    let out = journey(&["check"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let compiled = journey(&["compile"], &dir);
    let ir: Value = serde_json::from_slice(&compiled.stdout).unwrap();
    assert_eq!(ir["accounts"]["attribute"], "account");
    assert_eq!(ir["accounts"]["attributes"], serde_json::json!(["account_manager", "seats"]));
    assert_eq!(ir["accounts"]["file"], "accounts.csv");
    assert_eq!(ir["accounts"]["admin_attribute"], "role");
}

#[test]
fn a_colleagues_logins_count_for_the_clinic() {
    let dir = root().join("tests/projects/b2b");
    let report = simulate(&dir);
    let j = &report["journeys"]["busy_clinic_tip"];
    assert_eq!(j["entrants"], 1, "{j:#}");
    let twice = simulate(&dir);
    assert_eq!(report, twice, "same inputs, same report");
}

#[test]
fn without_the_mapping_account_reads_are_j120() {
    // the same project with `account:` taken out of journey.yaml
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("tests/projects/b2b");
    copy_dir(&src, tmp.path());
    let yaml = std::fs::read_to_string(tmp.path().join("journey.yaml")).unwrap();
    let yaml: String = yaml.lines().filter(|l| !l.starts_with("  account:")).map(|l| format!("{l}\n")).collect();
    std::fs::write(tmp.path().join("journey.yaml"), yaml).unwrap();
    let out = journey(&["check"], tmp.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[J120]") && text.contains("account.count(login, 7d)"), "{text}");
}
