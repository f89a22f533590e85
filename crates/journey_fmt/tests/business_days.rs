//! issue 15: `wait N business days` formats canonically (`1 business day` singular,
//! any other count plural, either spelling accepted), idempotently, keeping comments.

mod common;
use common::{assert_canonical, fmt};

#[test]
fn business_day_waits_are_canonical_and_keep_comments() {
    let src = r#"journey j {
  entry on signup
  stage s {
    // three working days for the CSM
    wait 3 business days  // weekends and holidays do not count
    wait 1 business day
    end
  }
}
"#;
    let out = assert_canonical("business_days", src);
    assert_eq!(out, src, "already canonical");
}

#[test]
fn spellings_and_spacing_are_normalised() {
    let src = "journey j { entry on signup stage s { wait   2\n business   day wait 1 business days end } }";
    let out = fmt(src);
    assert!(out.contains("    wait 2 business days\n    wait 1 business day\n"), "{out}");
    assert_eq!(fmt(&out), out, "idempotent");
}
