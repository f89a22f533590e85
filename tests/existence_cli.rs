//! `journey simulate` on a small project (not journeys/): customers are not entered
//! before they exist (`events.created_at`, else their first event), and the skipped
//! entries are reported per journey in the terminal and the JSON (issue 14).

mod common;
use common::{code, stderr, stdout};

const PROJECT: &str =
    "timezone: UTC\ncurrency: USD\nevents:\n  path: log.csv\n  attributes: attrs.csv\n  created_at: signed_up_on\n";

const JOURNEYS: &str = r#"event session {}
attribute signed_up_on: date
channel crm { kind webhook }

journey news {
  entry every monday at 09:00 local
  re_entry always

  stage issue {
    webhook crm "newsletter"
    end
  }
}
"#;

fn project(dir: &std::path::Path) {
    std::fs::write(dir.join("journey.yaml"), PROJECT).unwrap();
    std::fs::write(dir.join("news.journey"), JOURNEYS).unwrap();
    // a signed up before the period, b on Wednesday 2025-01-15, c has no sign-up date
    // and is first seen on Monday 2025-01-20 at noon (after that run), d is only in
    // the snapshot
    std::fs::write(dir.join("attrs.csv"), "customer_id,signed_up_on\na,2024-12-01\nb,2025-01-15\nc,\nd,\n").unwrap();
    std::fs::write(
        dir.join("log.csv"),
        "customer_id,timestamp,event\na,2025-01-02T10:00:00Z,session\nc,2025-01-20T12:00:00Z,session\n",
    )
    .unwrap();
}

const PERIOD: [&str; 4] = ["--from", "2025-01-01", "--to", "2025-01-31"];

#[test]
fn scheduled_entries_wait_until_the_customer_exists() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut args = vec!["simulate", "--format", "json"];
    args.extend(PERIOD);
    let out = common::journey(&args, dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let news = &v["journeys"]["news"];
    // mondays 6, 13, 20, 27: a all four, b the 20th and 27th, c the 27th, d none
    assert_eq!(news["entrants"], 7, "{news:#}");
    assert_eq!(news["before_exists"], 2 + 3 + 4, "{news:#}");

    let mut args = vec!["simulate"];
    args.extend(PERIOD);
    let out = common::journey_in_columns(&args, dir.path(), 100);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("entries skipped before the customer existed (not messaged):\n  news: 9\n"), "{text}");
}

#[test]
fn a_creation_attribute_that_is_not_a_date_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::write(dir.path().join("journey.yaml"), PROJECT.replace("signed_up_on", "plan")).unwrap();
    let mut args = vec!["simulate"];
    args.extend(PERIOD);
    let out = common::journey(&args, dir.path());
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("events.created_at `plan` is not a date or time attribute"), "{}", stderr(&out));
}
