//! tests/projects/fitness: a fitness app written from docs/ alone, with a hand-written
//! log of the edge cases real data has (offsets like `+0545`, daylight-saving days in
//! both hemispheres, events before sign-up, a duplicate row). What `journey check` claimed wrong of it.

mod common;

use std::path::PathBuf;

use common::{code, journey, root, stderr, stdout};

fn project() -> PathBuf {
    root().join("tests/projects/fitness")
}

/// `trial_ending` enters at `trial_ends_on - 2d at 18:00`, sends, waits until
/// `trial_ends_on - 1d` (that midnight, six hours later) and until 10:00 local, and
/// pushes: 16 hours apart (the replay sends them so). J408 said the two "go out at
/// once", under the policy's `min_gap 1h`.
#[test]
fn a_date_wait_after_a_timed_date_entry_takes_its_hours() {
    let out = journey(&["check", "--format", "json"], &project());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let j408: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "J408")
        .map(|d| d["file"].as_str().or(d["location"]["file"].as_str()).unwrap_or("").to_string() + &d.to_string())
        .collect();
    assert!(!j408.iter().any(|d| d.contains("trial_ending")), "{j408:#?}");
    // the push after an email and a path of its own is still reported
    assert!(j408.iter().any(|d| d.contains("streak_saver")), "{j408:#?}");
    let sim = journey(&["simulate", "--format", "json"], &project());
    assert_eq!(code(&sim), 0, "{}", stderr(&sim));
}

/// The bound is sound: entered at 23:30 the date's midnight is half an hour away
/// (less where the clocks change), and a send right after it is reported.
#[test]
fn a_date_wait_after_a_late_date_entry_is_still_too_close() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.journey"),
        r#"event signup
attribute trial_ends_on: date
attribute email_opt_in: bool
channel email {
  kind email
  consent email_opt_in
}
policy {
  min_gap 1h
}
journey ending {
  entry at trial_ends_on - 2d at 23:30
  audience email_opt_in
  re_entry never
  stage remind {
    send email "a"
    wait until trial_ends_on - 1d
    send email "b"
    wait until 00:40 local
    send email "c"
    end
  }
}
"#,
    )
    .unwrap();
    let out = journey(&["check", "a.journey"], dir.path());
    let text = stdout(&out) + &stderr(&out);
    // `b` may go out half an hour after `a`; `c` forty minutes after `b`
    assert_eq!(text.matches("warning[J408]").count(), 2, "{text}");
}
