//! Several triggers and waits for any of several events (issue 15) format
//! canonically, idempotently, keeping comments; a wait filter that would read a
//! following `or NAME` as an awaited event is put in parentheses.

mod common;
use common::{assert_canonical, fmt};

#[test]
fn several_triggers_and_events_are_canonical_and_keep_comments() {
    let src = r#"journey j {
  // enter on either
  entry on signup where plan == "pro" or on trial_started  // the trial
  stage s {
    wait up to 3d for purchase where amount > 10 or subscription_started  // or a subscription
      then t
      timeout t
  }
  stage t {
    end
  }
}
"#;
    let out = assert_canonical("alternatives", src);
    assert_eq!(out, src, "already canonical");
}

#[test]
fn messy_alternatives_are_laid_out() {
    let src = "journey j { entry   on signup   or\n on trial_started stage s { wait up to 3d for purchase   or subscription_started then t timeout t } stage t { end } }";
    let out = fmt(src);
    assert!(out.contains("  entry on signup or on trial_started\n"), "{out}");
    assert!(
        out.contains("    wait up to 3d for purchase or subscription_started\n      then t\n      timeout t\n"),
        "{out}"
    );
    assert_eq!(fmt(&out), out, "idempotent");
}

#[test]
fn a_wait_filter_ending_in_or_name_keeps_its_parentheses() {
    let src = "journey j { entry on a stage s { wait up to 3d for email_open where ((template == \"x\") or resend) then t timeout t } stage t { end } }";
    let out = fmt(src);
    assert!(out.contains("for email_open where (template == \"x\" or resend)\n"), "{out}");
    // and a filter whose `or` has no bare name needs none
    let src = "journey j { entry on a stage s { wait up to 3d for email_open where (template == \"x\" or template == \"y\") or signup then t timeout t } stage t { end } }";
    let out = fmt(src);
    assert!(out.contains("for email_open where template == \"x\" or template == \"y\" or signup\n"), "{out}");
    assert_eq!(fmt(&out), out, "idempotent");
}
