//! issue 15, `for account` journeys on the B2B project (tests/projects/b2b):
//! `quiet_clinic_play` runs once per clinic, reads the clinic's values from the
//! project's account file (accounts.csv) and every login of its users, messages the
//! clinic's admins (each by their own consent) and gives its account manager a task.
//! The expected trace below is worked out by hand from the journey's text.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// clinic-a: u1 (admin, consents), u2 (admin, does not), u3 (member). clinic-b: two
/// members, no admin. clinic-c: an admin, but accounts.csv gives it no seats (a
/// trial). The `seats` column here is empty: accounts.csv is the truth for it.
const ATTRS: &str = "customer_id,account,role,seats,plan,email_opt_in,country,timezone,signed_up_on\n\
    u1,clinic-a,admin,,team,true,DE,Europe/Berlin,2026-01-01\n\
    u2,clinic-a,admin,,team,false,DE,Europe/Berlin,2026-01-01\n\
    u3,clinic-a,member,,team,true,DE,Europe/Berlin,2026-01-01\n\
    u4,clinic-b,member,,team,true,DE,Europe/Berlin,2026-01-01\n\
    u5,clinic-b,member,,team,true,DE,Europe/Berlin,2026-01-01\n\
    u6,clinic-c,admin,,starter,true,DE,Europe/Berlin,2026-01-01\n";

/// u3's login enters clinic-a (1 login in 14 days, 5 seats); u4's enters clinic-b
/// (3 seats); u6's does not enter clinic-c (no seats). u1's login the next day is
/// clinic-a's goal (a login within 21 days). A week on, neither clinic logged in 5
/// times in 7 days: both get the reminder.
const LOG: &str = "customer_id,timestamp,event,device\n\
    u3,2026-03-02T09:00:00Z,login,web\n\
    u4,2026-03-02T09:30:00Z,login,web\n\
    u6,2026-03-02T10:00:00Z,login,web\n\
    u1,2026-03-03T09:00:00Z,login,web\n";

fn project() -> std::path::PathBuf {
    root().join("tests/projects/b2b")
}

fn simulate(extra: &[&str]) -> (Value, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs, trace) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"), tmp.path().join("t.csv"));
    std::fs::write(&log, LOG).unwrap();
    std::fs::write(&attrs, ATTRS).unwrap();
    let mut args = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs), "--to", "2026-03-31"];
    args.extend_from_slice(extra);
    let json = journey(&[&args[..], &["--format", "json", "--trace", s(&trace)]].concat(), &project());
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let text = journey(&args, &project());
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    (serde_json::from_slice(&json.stdout).unwrap(), std::fs::read_to_string(trace).unwrap(), stdout(&text))
}

#[test]
fn a_clinic_runs_the_play_once_and_its_admins_get_the_messages() {
    let (report, trace, text) = simulate(&[]);
    let rows: Vec<&str> = trace.lines().filter(|l| l.contains(",quiet_clinic_play,")).collect();
    assert_eq!(
        rows,
        [
            "2026-03-02T09:00:00Z,clinic-a,quiet_clinic_play,,enter,,,",
            "2026-03-02T09:00:00Z,u1,quiet_clinic_play,invite#0,send,email,clinic-training-invite,",
            "2026-03-02T09:00:00Z,clinic-a,quiet_clinic_play,invite#1,task,csm_task,,",
            "2026-03-02T09:30:00Z,clinic-b,quiet_clinic_play,,enter,,,",
            "2026-03-02T09:30:00Z,clinic-b,quiet_clinic_play,invite#0,suppressed,email,clinic-training-invite,no_admin",
            // no account manager: the task fell back to the `cs_triage` queue
            "2026-03-02T09:30:00Z,clinic-b,quiet_clinic_play,invite#1,task,cs_triage,,",
            "2026-03-03T09:00:00Z,clinic-a,quiet_clinic_play,,goal,,,",
            "2026-03-09T09:00:00Z,u1,quiet_clinic_play,still_quiet#0,send,email,clinic-training-reminder,",
            "2026-03-09T09:00:00Z,clinic-a,quiet_clinic_play,,exit,,,end",
            "2026-03-09T09:30:00Z,clinic-b,quiet_clinic_play,still_quiet#0,suppressed,email,clinic-training-reminder,no_admin",
            "2026-03-09T09:30:00Z,clinic-b,quiet_clinic_play,,exit,,,end",
        ]
    );
    assert_eq!(
        report["accounts"],
        serde_json::json!({"accounts": 3, "customers": 6, "admins": 3, "without_admin": 1, "messages": 2, "undelivered": 2})
    );
    let j = &report["journeys"]["quiet_clinic_play"];
    assert_eq!((j["entrants"].as_u64(), j["customers"].as_u64()), (Some(2), Some(2)), "{j:#}");
    // clinic-a's manager (accounts.csv) gets its task; clinic-b has none: triage
    let tasks = &report["tasks"];
    assert_eq!(tasks["by_owner"]["ana@clinicly.example"]["by_journey"]["quiet_clinic_play"], 1, "{tasks:#}");
    assert_eq!(tasks["by_queue"]["cs_triage"]["by_journey"]["quiet_clinic_play"], 1, "{tasks:#}");
    // the customers' own journeys still run per customer: each of the four logins was
    // tried against `busy_clinic_tip` (and refused: no clinic is busy)
    assert_eq!(report["journeys"]["busy_clinic_tip"]["filtered_out"], 4);
    assert!(!trace.lines().any(|l| l.contains(",clinic-") && !l.contains(",quiet_clinic_play,")));
    assert!(text.contains("accounts: 3 (6 customers, 3 admins; 1 without an admin)"), "{text}");
    assert!(text.contains("account messages: 2 delivered to admins, 2 sends reached no admin"), "{text}");
}

#[test]
fn the_same_inputs_give_the_same_outputs_on_any_thread_count() {
    // the text's first line names the temporary log
    let body = |(r, t, text): (Value, String, String)| (r, t, text.lines().skip(1).collect::<Vec<_>>().join("\n"));
    let one = body(simulate(&["--threads", "1"]));
    assert_eq!(one, body(simulate(&["--threads", "4"])));
}

/// A copy of the B2B project with `accounts.csv` replaced.
fn with_accounts(csv: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&project(), tmp.path());
    std::fs::write(tmp.path().join("accounts.csv"), csv).unwrap();
    std::fs::write(tmp.path().join("log.csv"), LOG).unwrap();
    std::fs::write(tmp.path().join("attrs.csv"), ATTRS).unwrap();
    tmp
}

fn simulate_in(dir: &Path) -> std::process::Output {
    journey(&["simulate", "--events", "log.csv", "--attributes", "attrs.csv", "--format", "json"], dir)
}

#[test]
fn an_account_file_column_that_is_a_customer_attribute_is_refused() {
    let dir = with_accounts("account_id,seats,plan\nclinic-a,5,team\n");
    let out = simulate_in(dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("accounts.csv") && err.contains("column `plan` of the account file is not an account attribute"),
        "{err}"
    );
}

#[test]
fn the_account_file_may_name_its_id_column_as_the_mapped_attribute() {
    // `account` (journey.yaml's `events.account.attribute`) heads the id column
    let dir =
        with_accounts("account,seats,account_manager\nclinic-a,5,ana@clinicly.example\nclinic-b,3,\nclinic-c,,\n");
    let out = simulate_in(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["journeys"]["quiet_clinic_play"]["entrants"], 2, "{:#}", report["accounts"]);
}

#[test]
fn a_bad_value_in_the_account_file_names_its_line_and_column() {
    let dir = with_accounts("account_id,seats\nclinic-a,5\nclinic-b,many\n");
    let out = simulate_in(dir.path());
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("accounts.csv") && err.contains(":3") && err.contains("seats"), "{err}");
    let dup = with_accounts("account_id,seats\nclinic-a,5\nclinic-a,6\n");
    let err = stderr(&simulate_in(dup.path()));
    assert!(err.contains("account `clinic-a` appears twice (first on line 2)"), "{err}");
}

#[test]
fn customers_of_accounts_the_file_does_not_list_are_counted_in_a_note() {
    let dir = with_accounts("account_id,seats,account_manager\nclinic-a,5,ana@clinicly.example\n");
    let out = simulate_in(dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("note: 3 customers belong to accounts") && err.contains("does not list"), "{err}");
    // clinic-b now has no seats: only clinic-a enters; the report counts the users
    // the file left out (so a Spark run, with no stderr to read, says it too)
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["accounts"]["unlisted_customers"], 3, "{:#}", report["accounts"]);
    assert_eq!(report["journeys"]["quiet_clinic_play"]["entrants"], 1);
}

#[test]
fn for_account_without_an_account_mapping_is_j120() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("a.journey"),
        "event login\nattribute opt_in: bool\nchannel email { kind email consent opt_in }\n\
         journey clinic_play {\n  for account\n  entry on login\n  stage a {\n    send email \"x\"\n    end\n  }\n}\n",
    )
    .unwrap();
    let out = journey(&["check", "a.journey"], tmp.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[J120]: the journey runs `for account`, but the project maps no accounts"), "{text}");
    assert!(text.contains("a.journey:5:3"), "{text}");
}

#[test]
fn the_yaml_form_says_for_account_and_account_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("journey.yaml"), "events:\n  account: clinic\n").unwrap();
    std::fs::write(
        tmp.path().join("play.journey.yaml"),
        "events:\n  login: {}\nattributes:\n  clinic: text\n  opt_in: bool\n  seats: account number\n\
         channels:\n  email: { kind: email, consent: opt_in }\n\
         journeys:\n  clinic_play:\n    for: account\n    entry: on login\n    audience: account.seats >= 3\n\
         \x20   stages:\n      a:\n        - send: email \"x\"\n        - end\n",
    )
    .unwrap();
    let out = journey(&["check"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let ir: Value = serde_json::from_slice(&journey(&["compile"], tmp.path()).stdout).unwrap();
    assert_eq!(ir["journeys"][0]["for_account"], true);
    assert_eq!(ir["accounts"]["attributes"], serde_json::json!(["seats"]));
    // a misspelt value is a syntax error at the value
    let bad =
        std::fs::read_to_string(tmp.path().join("play.journey.yaml")).unwrap().replace("for: account", "for: acount");
    std::fs::write(tmp.path().join("play.journey.yaml"), bad).unwrap();
    let out = journey(&["check"], tmp.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("play.journey.yaml:11:10") && text.contains("account"), "{text}");
}

#[test]
fn a_handover_across_customers_and_accounts_is_j104() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("journey.yaml"), "events:\n  account: clinic\n").unwrap();
    std::fs::write(
        tmp.path().join("a.journey"),
        "event login\nattribute clinic: text\n\n\
         journey clinic_play {\n  for account\n  entry on login\n  stage a {\n    goto journey welcome\n  }\n}\n\n\
         journey welcome {\n  entry on login\n  stage a {\n    goto journey clinic_play\n  }\n}\n",
    )
    .unwrap();
    let out = journey(&["check"], tmp.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[J104]: `goto journey welcome` hands an account over to a journey that runs per customer"),
        "{text}"
    );
    assert!(
        text.contains(
            "error[J104]: `goto journey clinic_play` hands a customer over to a journey that runs per account"
        ),
        "{text}"
    );
}

#[test]
fn fmt_keeps_for_account() {
    let out = journey(&["fmt", "--check", "journeys/accounts.journey"], &project());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("a.journey");
    std::fs::write(&f, "event login\njourney x {   for    account\n entry on login\n stage a { end } }\n").unwrap();
    let out = journey(&["fmt", "a.journey"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let once = std::fs::read_to_string(&f).unwrap();
    assert!(once.contains("\n  for account\n"), "{once}");
    journey(&["fmt", "a.journey"], tmp.path());
    assert_eq!(std::fs::read_to_string(&f).unwrap(), once, "idempotent");
}
