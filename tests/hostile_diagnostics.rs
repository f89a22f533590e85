//! Diagnostics on hostile sources: a multi-megabyte line is shown as a window around
//! the error, never echoed whole; NUL and bidirectional controls are escaped where
//! printed (snippet and message); a number or duration reported as too large draws no
//! further "zero" diagnostics.

mod common;

use common::{code, journey, stderr, stdout};
use std::fs;

/// `check` of one file written with `text` into a fresh folder: exit code, stdout
/// then stderr (the one-line formats print on stdout).
fn check(name: &str, text: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), text).unwrap();
    let mut args = vec!["check"];
    args.extend_from_slice(extra);
    args.push(name);
    let out = journey(&args, dir.path());
    (code(&out), stdout(&out) + &stderr(&out))
}

#[test]
fn a_multi_megabyte_line_is_shown_as_a_window_around_the_error() {
    let text = format!(
        "event purchase\njourney x {{\n  entry on purchase\n  stage s {{\n    send email \"{}\" nonsense\n  }}\n}}\n",
        "a".repeat(3_000_000)
    );
    let (code, err) = check("long.journey", &text, &[]);
    assert_eq!(code, 1, "{}", &err[..err.len().min(2000)]);
    assert!(err.len() < 2_000, "{} bytes of diagnostics", err.len());
    insta::assert_snapshot!(err);
}

#[test]
fn a_multi_megabyte_token_is_shortened_in_the_message() {
    let text = format!("event purchase \"{}\"\n", "b".repeat(3_000_000));
    let (code, err) = check("token.journey", &text, &[]);
    assert_eq!(code, 1);
    assert!(err.len() < 2_000, "{} bytes of diagnostics", err.len());
    insta::assert_snapshot!(err);
}

#[test]
fn nul_and_bidirectional_controls_are_escaped() {
    let text = "event buy\u{202e}\0 zz\n";
    for format in ["full", "concise"] {
        let (code, err) = check("bidi.journey", text, &["--format", format]);
        assert_eq!(code, 1);
        assert!(!err.contains('\u{202e}') && !err.contains('\0'), "{err:?}");
        assert!(err.contains("\\u{202e}"), "{err}");
        insta::assert_snapshot!(format!("bidi_{format}"), err);
    }
}

#[test]
fn an_overflowing_value_is_reported_once_not_also_as_zero() {
    let text = r#"event purchase
attribute email_opt_in: bool

channel email {
  kind email
  consent email_opt_in
  cap 99999999999999999999999 per 7d
}

journey x {
  entry on purchase
  audience email_opt_in

  stage s {
    wait 99999999999999999999d
    send email "t"
    wait up to 99999999999999999999w for purchase
      then done
      timeout done
  }

  stage done {
    end
  }
}
"#;
    let (code, err) = check("overflow.journey", text, &[]);
    assert_eq!(code, 1);
    assert!(!err.contains("no time at all") && !err.contains("at once") && !err.contains("zero"), "{err}");
    insta::assert_snapshot!(err);
}
