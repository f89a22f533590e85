//! issue 15: CSM task clauses (owner, fallback queue, due, priority) format
//! canonically, idempotently, keeping comments; the older `assign` form is kept.

mod common;
use common::{assert_canonical, fmt};

#[test]
fn task_clauses_are_canonical_and_keep_comments() {
    let src = r#"journey j {
  entry on signup
  stage s {
    // the account's success manager, else the triage queue
    task csm "Call {first_name}" owner attribute csm_owner else queue cs_triage due 2 business days priority high  // SLA
    task csm "Renewal review" owner attribute csm_owner due 1 business day
    task csm "Ticket storm" owner "lead@x.com" due 4 hours priority urgent
    task csm "Check seats" due 3 days
    task csm "Quick look" due 1 day priority low
    task csm "Old form" assign "success-managers"
    task csm "Plain"
    end
  }
}
"#;
    let out = assert_canonical("tasks", src);
    assert_eq!(out, src, "already canonical");
}

#[test]
fn task_spacing_and_spellings_are_normalised() {
    let src = "journey j { entry on signup stage s { task csm \"a\"   owner\n attribute  o  else  queue q due 2 day task csm \"b\" due 1 hours task csm \"c\" due 48h end } }";
    let out = fmt(src);
    assert!(
        out.contains(
            "    task csm \"a\" owner attribute o else queue q due 2 days\n    task csm \"b\" due 1 hour\n    task csm \"c\" due 48h\n"
        ),
        "{out}"
    );
    assert_eq!(fmt(&out), out, "idempotent");
}
