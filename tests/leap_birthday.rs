//! `entry at DATE_ATTR ± DUR` in the years after the date (docs/engine.md, "Entry"):
//! the offset is applied to each year's anniversary, and a February 29 date has its
//! anniversary on February 28 in a common year. `birthday - 7d` entered on February 22
//! in a common year (the date shifted first, then moved by whole years) while
//! `birthday` entered on the 28th: six days apart, not seven.

mod common;
use common::{code, journey, stderr, stdout, traced_sends};

const PROJECT: &str = r#"event visit
attribute birthday: date

channel email { kind email }

journey birthday {
  entry at birthday at 09:00
  re_entry always
  stage greet {
    send email "on-the-day"
    end
  }
}

journey birthday_week {
  entry at birthday - 7d at 09:00
  re_entry always
  stage greet {
    send email "a-week-before"
    end
  }
}
"#;

fn sends(birthday: &str) -> Vec<[String; 2]> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("birthday.journey"), PROJECT).unwrap();
    std::fs::write(d.join("log.csv"), "customer_id,timestamp,event\nc1,2025-12-01T10:00:00Z,visit\n").unwrap();
    std::fs::write(d.join("attrs.csv"), format!("customer_id,birthday\nc1,{birthday}\n")).unwrap();
    let out = journey(&["check"], d);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    traced_sends(d, "2026-01-01", "2028-12-31").into_iter().map(|[t, _, _, template]| [t, template]).collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<[String; 2]> {
    expected.iter().map(|(t, template)| [t.to_string(), template.to_string()]).collect()
}

#[test]
fn a_leap_day_birthday_and_the_week_before() {
    assert_eq!(
        sends("2000-02-29"),
        pairs(&[
            ("2026-02-21T09:00:00Z", "a-week-before"),
            ("2026-02-28T09:00:00Z", "on-the-day"),
            ("2027-02-21T09:00:00Z", "a-week-before"),
            ("2027-02-28T09:00:00Z", "on-the-day"),
            ("2028-02-22T09:00:00Z", "a-week-before"),
            ("2028-02-29T09:00:00Z", "on-the-day"),
        ])
    );
}

#[test]
fn a_week_before_a_march_birthday_counts_a_leap_february() {
    // born in a common year: the week before March 5th is February 27th in 2028
    assert_eq!(
        sends("2001-03-05"),
        pairs(&[
            ("2026-02-26T09:00:00Z", "a-week-before"),
            ("2026-03-05T09:00:00Z", "on-the-day"),
            ("2027-02-26T09:00:00Z", "a-week-before"),
            ("2027-03-05T09:00:00Z", "on-the-day"),
            ("2028-02-27T09:00:00Z", "a-week-before"),
            ("2028-03-05T09:00:00Z", "on-the-day"),
        ])
    );
}
