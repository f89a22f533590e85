//! `entry every month on N` with a day some months lack (docs/language.md, "Entry"):
//! it runs on the last day of those months. `check` refused it (J406, "would skip five
//! months a year") while the engine and the docs ran it on the last day; only a day no
//! month has is J406 now.

mod common;
use common::{code, journey, stderr, stdout, traced_sends};

const PROJECT: &str = r#"event order
attribute email_opt_in: bool

channel email {
  kind email
  consent email_opt_in
}

journey month_end_statement {
  entry every month on 31 at 09:00 "Australia/Sydney"
  audience email_opt_in
  re_entry always

  stage statement {
    send email "statement"
    end
  }
}
"#;

#[test]
fn a_day_some_months_lack_checks_clean_and_runs_on_their_last_day() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("statements.journey"), PROJECT).unwrap();
    std::fs::write(d.join("log.csv"), "customer_id,timestamp,event\nc1,2026-01-02T10:00:00Z,order\n").unwrap();
    std::fs::write(d.join("attrs.csv"), "customer_id,email_opt_in\nc1,true\n").unwrap();

    let out = journey(&["check"], d);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));

    // 09:00 in Sydney is 22:00 or 23:00 UTC the day before (AEDT to 5 April, then AEST)
    let sends: Vec<String> = traced_sends(d, "2026-01-01", "2026-06-30").into_iter().map(|[t, ..]| t).collect();
    assert_eq!(
        sends,
        [
            "2026-01-30T22:00:00Z",
            "2026-02-27T22:00:00Z",
            "2026-03-30T22:00:00Z",
            "2026-04-29T23:00:00Z",
            "2026-05-30T23:00:00Z",
            "2026-06-29T23:00:00Z",
        ]
    );
}

#[test]
fn a_day_no_month_has_is_j406() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("statements.journey"), PROJECT.replace("on 31", "on 32")).unwrap();
    let out = journey(&["check", "--format", "concise"], dir.path());
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("error[J406] day 32 is not a day of the month"), "{}", stdout(&out));
}
