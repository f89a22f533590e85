//! A time written without a zone is in the project's time zone (docs/language.md:
//! quiet hours, `entry every …`, `wait until`); `local` is each customer's own. The
//! lowering read a missing zone as `local`, so for customers with a time zone of their
//! own a bare `wait until 09:00` ran at their 09:00, five and a half hours early in
//! Kolkata, and bare quiet hours deferred sends the project's night allowed.

mod common;
use common::{code, journey, stderr, traced_sends};

const PROJECT: &str = r#"event signup
attribute email_opt_in: bool
attribute tz: timezone

channel email {
  kind email
  consent email_opt_in
  quiet_hours 21:00..08:00
}

journey welcome {
  entry on signup
  audience email_opt_in

  stage hello {
    send email "hello"
    wait until 09:00
    send email "tips"
    wait until 09:00 local
    send email "local-tips"
    end
  }
}

journey daily {
  entry every day at 10:00
  audience email_opt_in
  re_entry always

  stage tip {
    send email "daily"
    end
  }
}
"#;

fn sends(dir: &std::path::Path) -> Vec<String> {
    traced_sends(dir, "2026-03-02", "2026-03-04").into_iter().map(|[t, c, _, tpl]| format!("{t} {c} {tpl}")).collect()
}

#[test]
fn times_without_a_zone_are_in_the_project_zone_and_local_is_the_customers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("j.journey"), PROJECT).unwrap();
    std::fs::write(d.join("journey.yaml"), "timezone: UTC\n").unwrap();
    // c1 signs up at 20:00 UTC (01:30 in Kolkata): outside the project's quiet hours
    std::fs::write(d.join("log.csv"), "customer_id,timestamp,event\nc1,2026-03-02T20:00:00Z,signup\n").unwrap();
    std::fs::write(d.join("attrs.csv"), "customer_id,email_opt_in,tz\nc1,true,Asia/Kolkata\n").unwrap();
    assert_eq!(
        sends(d),
        [
            // not deferred: 20:00 UTC is outside 21:00..08:00 UTC
            "2026-03-02T20:00:00Z c1 hello",
            "2026-03-03T09:00:00Z c1 tips",
            // daily at 10:00 UTC, not 10:00 in Kolkata (04:30 UTC); c1 exists from
            // their sign-up on, so not on the 2nd
            "2026-03-03T10:00:00Z c1 daily",
            // `local`: 09:00 in Kolkata is 03:30 UTC, the next one after 09:00 UTC,
            // inside the project's quiet hours, so deferred to their end at 08:00 UTC
            "2026-03-04T08:00:00Z c1 local-tips",
            "2026-03-04T10:00:00Z c1 daily",
        ]
        .map(String::from)
    );
}

#[test]
fn the_graph_shows_the_zone_of_a_wait() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("j.journey"), PROJECT).unwrap();
    std::fs::write(d.join("journey.yaml"), "timezone: Europe/Berlin\n").unwrap();
    let out = journey(&["graph", "welcome"], d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = common::stdout(&out);
    // Mermaid writes a quote as #quot;
    assert!(text.contains("wait until 09:00 #quot;Europe/Berlin#quot;"), "{text}");
    assert!(text.contains("wait until 09:00 local"), "{text}");
}
