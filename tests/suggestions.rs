//! "Did you mean" for the names a user types that are not declared in the project:
//! IANA time zones (journey.yaml's `timezone:`, a zone in a journey file), ISO 4217
//! currencies (journey.yaml's `currency:`, an amount's code) and the journey of
//! `journey graph NAME`. Each diagnostic keeps the house style: a lowercase message,
//! the label on the misspelt text, the suggestion on its own `help:` line.

mod common;
use common::*;
use std::path::Path;

const JOURNEYS: &str = r#"event purchase { amount: money }
attribute email_opt_in: bool

channel email {
  kind email
  consent email_opt_in
}

journey thanks {
  entry on purchase
  audience email_opt_in

  stage s {
    wait until 09:00 local
    send email "thanks"
    end
  }
}
"#;

/// A project of `journey.yaml` and one journey file, in a temporary directory.
fn project(config: &str, journeys: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), config).unwrap();
    std::fs::write(dir.path().join("shop.journey"), journeys).unwrap();
    dir
}

/// `journey check`'s exit code and report (on standard output; the count of problems
/// goes to standard error).
fn check(dir: &Path) -> (i32, String) {
    let out = journey(&["check"], dir);
    (code(&out), stdout(&out))
}

#[test]
fn a_misspelt_project_time_zone() {
    let dir = project("# the shop is in Chicago\ntimezone: America/Chicgo\ncurrency: USD\n", JOURNEYS);
    let (code, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("help: did you mean `America/Chicago`?"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_time_zone_in_another_case_or_without_its_region() {
    for (written, meant) in [("europe/berlin", "Europe/Berlin"), ("Berlin", "Europe/Berlin"), ("utc", "UTC")] {
        let dir = project(&format!("timezone: {written}\ncurrency: USD\n"), JOURNEYS);
        let (code, err) = check(dir.path());
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(&format!("help: did you mean `{meant}`?")), "{written}: {err}");
    }
}

#[test]
fn a_misspelt_zone_in_a_journey() {
    let journeys = JOURNEYS.replace("wait until 09:00 local", "wait until 09:00 \"Europe/Berln\"");
    let dir = project("timezone: UTC\ncurrency: USD\n", &journeys);
    let (code, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("help: did you mean `\"Europe/Berlin\"`?"), "{err}");
    insta::assert_snapshot!(err);
}

/// A zone nothing is close to keeps the general advice.
#[test]
fn a_zone_with_no_likely_meaning() {
    let journeys = JOURNEYS.replace("wait until 09:00 local", "wait until 09:00 \"Europe/Frankfurt\"");
    let dir = project("timezone: UTC\ncurrency: USD\n", &journeys);
    let (_, err) = check(dir.path());
    assert!(err.contains("help: use `local` for the customer's zone"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
}

/// A code of the right shape that is no currency was accepted: every amount of the
/// project would have been in it.
#[test]
fn a_misspelt_project_currency() {
    let dir = project("timezone: UTC\ncurrency: EUE\n", JOURNEYS);
    let (code, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("help: did you mean `EUR`?"), "{err}");
    insta::assert_snapshot!(err);

    let dir = project("timezone: UTC\ncurrency: eur\n", JOURNEYS);
    let (code, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("expected three capital letters") && err.contains("help: did you mean `EUR`?"), "{err}");
}

#[test]
fn an_amount_in_a_misspelt_currency() {
    let journeys = JOURNEYS.replace("entry on purchase", "entry on purchase where amount >= 250 EUE");
    let dir = project("timezone: UTC\ncurrency: EUR\n", &journeys);
    let (code, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("help: did you mean `EUR`?"), "{err}");
    insta::assert_snapshot!(err);

    // close to another currency than the project's: said so
    let journeys = JOURNEYS.replace("entry on purchase", "entry on purchase where amount >= 250 UDS");
    let dir = project("timezone: UTC\ncurrency: EUR\n", &journeys);
    let (_, err) = check(dir.path());
    assert!(err.contains("help: did you mean `USD`? the project counts money in EUR"), "{err}");
}

/// `journey graph` with a journey name that is not there: a usage error (exit 2)
/// that names the journey meant.
#[test]
fn graph_of_a_misspelt_journey() {
    let b2b = root().join("tests/projects/b2b");
    let out = journey(&["graph", "onbording"], &b2b);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("help: did you mean `onboarding`?"), "{}", stderr(&out));
    insta::assert_snapshot!(stderr(&out));

    let out = journey(&["graph", "Onboarding", "--format", "dot"], &b2b);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("help: did you mean `onboarding`?"), "{}", stderr(&out));

    // nothing close: the journeys there are
    let out = journey(&["graph", "zzz"], &b2b);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("help: journeys in this repository: "), "{}", stderr(&out));
}
