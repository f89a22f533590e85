//! issue 15: amount goals (`goal revenue = sum(purchase.amount where … within 30d)`)
//! format canonically (the window inside the parentheses), idempotently, keeping
//! comments.

mod common;
use common::{assert_canonical, fmt};

#[test]
fn amount_goals_are_canonical_and_keep_comments() {
    let src = r#"journey j {
  entry on signup
  stage s {
    end
  }

  goal bought = purchase within 30d
  // what they spent in the month after
  goal revenue = sum(purchase.amount within 30d)  // in the project's currency
  goal web_revenue = sum(purchase.amount where channel == "web" and amount > $5 within 4w)
}
"#;
    let out = assert_canonical("amount_goals", src);
    assert_eq!(out, src, "already canonical");
}

#[test]
fn spacing_inside_the_sum_is_normalised() {
    let src = "journey j { entry on signup stage s { end } goal r = sum (  purchase . amount\n where channel == \"web\"   within 30d ) }";
    let out = fmt(src);
    assert!(out.contains("  goal r = sum(purchase.amount where channel == \"web\" within 30d)\n"), "{out}");
    assert_eq!(fmt(&out), out, "idempotent");
}
