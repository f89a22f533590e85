//! `journey calendar` and `journey check` agree on the cross-journey conflicts
//! (J601-J604): every finding of the check is in the calendar, as the check words it
//! and at its severity, and what only the calendar shows rests on audiences that only
//! may overlap and says so. A journey no customer can enter (J315) is part of no
//! conflict in either, and the calendar says it is never entered instead of placing
//! its sends. Also: the help of `--trace` names the columns a trace has now.

mod common;

use common::{code, journey, root, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// A new user's project: `g` waits for an audience no customer can be in
/// (`since(signup)` has a value only for a customer who signed up), so its email
/// never goes out and cannot push anyone over the cap with `a` and `b`.
const NEVER_ENTERED: &str = r#"event signup
event visit
attribute email_opt_in: bool
channel email {
  kind email
  consent email_opt_in
  cap 2 per 7d
}
audience ghost = since(signup) <= 14d and count(signup) == 0
journey a {
  priority 10
  entry on visit
  audience email_opt_in
  stage s {
    send email "a"
    end
  }
}
journey b {
  priority 20
  entry on signup
  audience email_opt_in
  stage s {
    send email "b"
    end
  }
}
journey c {
  priority 30
  entry every monday at 09:00
  audience email_opt_in
  re_entry always
  stage s {
    send email "c"
    end
  }
}
journey g {
  priority 40
  entry when audience ghost entered
  audience email_opt_in
  stage s {
    send email "g"
    end
  }
}
"#;

fn never_entered() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.journey"), NEVER_ENTERED).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = journey(args, dir);
    assert_eq!(code(&out), 0, "{args:?}\n{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run(dir, args)).unwrap()
}

/// `(code, message) -> severity` of the check's cross-journey diagnostics.
fn checked(dir: &Path) -> BTreeMap<(String, String), String> {
    let out = journey(&["check", "--format", "json"], dir);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| ["J601", "J602", "J603", "J604"].contains(&d["code"].as_str().unwrap()))
        .map(|d| {
            let key = (d["code"].as_str().unwrap().to_string(), d["message"].as_str().unwrap().to_string());
            (key, d["severity"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn a_journey_no_one_can_enter_is_in_no_conflict() {
    let dir = never_entered();
    let d = dir.path();
    // the check proves it (J315) and leaves it out of the cap sum
    let out = journey(&["check", "--color", "never"], d);
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("warning[J315]: journey `g` can never enter a customer"), "{text}");
    assert!(text.contains("no customer is ever in `ghost`, so none enters it"), "{text}");
    let found = checked(d);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found.keys().all(|(_, m)| !m.contains("`g`")), "{found:?}");
    // the calendar: the same single J603, `g` listed as never entered, not placed
    let view = json(d, &["calendar", "--format", "json"]);
    let conflicts = view["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0]["journeys"], serde_json::json!(["c", "a", "b"]));
    assert!(view["sends"].as_array().unwrap().iter().all(|s| s["journey"] != "g"));
    let g = view["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "g").unwrap();
    assert_eq!(g["never_enters"], true);
    assert_eq!(g["conflicts"], serde_json::json!([]));
    let a = view["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "a").unwrap();
    assert!(a.get("never_enters").is_none(), "left out when false: {a}");
    let out = common::journey_in_columns(&["calendar"], d, 100);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

/// Every J601-J604 finding of `journey check` is in the calendar with its words and
/// severity; every other J601-J604 conflict of the calendar is marked `may_overlap`.
fn calendar_has_what_check_has(dir: &Path) -> (usize, usize) {
    let want = checked(dir);
    let view = json(dir, &["calendar", "--format", "json"]);
    let mut shown: BTreeMap<(String, String), (String, bool)> = BTreeMap::new();
    for c in view["conflicts"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        if !["J601", "J602", "J603", "J604"].contains(&code) {
            continue;
        }
        let may = c.get("may_overlap").and_then(Value::as_bool).unwrap_or(false);
        let key = (code.to_string(), c["message"].as_str().unwrap().to_string());
        shown.insert(key, (c["severity"].as_str().unwrap().to_string(), may));
    }
    // the check says `(audiences may overlap, undecided)` where the view, which shows
    // every may-overlap, says `(audiences may overlap)`
    let plain = |m: &str| m.replace("(audiences may overlap, undecided)", "(audiences may overlap)");
    // the names a message quotes: J601, J602 and J604 name a journey's partners, and
    // the calendar's, which also counts those that only may overlap, can name more
    let names = |m: &str| -> std::collections::BTreeSet<String> {
        m.split('`').skip(1).step_by(2).map(str::to_string).collect()
    };
    for ((code, message), severity) in &want {
        let key = (code.clone(), plain(message));
        if let Some((sev, _)) = shown.get(&key) {
            assert_eq!(sev, severity, "{code} {message}");
            continue;
        }
        // J603 exactly as the check says it; the others with more partners, marked
        let wider = code != "J603"
            && shown.iter().any(|((c, m), (sev, may))| {
                c == code && sev == severity && *may && names(message).is_subset(&names(m))
            });
        assert!(wider, "{}: the calendar leaves out {code} {message}\ncalendar: {shown:#?}", dir.display());
    }
    let mut extra = 0;
    for ((code, message), (_, may)) in &shown {
        let in_check = want.keys().any(|(c, m)| c == code && plain(m) == *message);
        // (a J601, J602 or J604 on one partner that certainly overlaps and more that
        // only may: the check names the first, the calendar all of them)
        let widens = code != "J603" && want.keys().any(|(c, m)| c == code && names(m).is_subset(&names(message)));
        if !in_check && !widens {
            assert!(*may, "{}: {code} {message} is only in the calendar and not marked may_overlap", dir.display());
            extra += 1;
        }
    }
    (want.len(), extra)
}

#[test]
fn the_calendar_shows_every_cross_journey_finding_of_the_check() {
    // b2b: the calendar's walk, taking in journeys whose audiences only may overlap,
    // settled on other J603 combinations and left out both of the check's
    let (found, extra) = calendar_has_what_check_has(&root().join("tests/projects/b2b"));
    assert!(found >= 2 && extra > 0, "{found} {extra}");
    // (tests/projects/loopcap has errors: no calendar)
    for p in ["tests/projects/teashop", "."] {
        calendar_has_what_check_has(&root().join(p));
    }
    // petshop's J602 are errors on purpose: as warnings, it has a calendar
    let petshop = tempfile::tempdir().unwrap();
    common::copy_dir(&root().join("tests/projects/petshop"), petshop.path());
    let config = "timezone: UTC\ncurrency: USD\ninclude: [\"journeys/**\"]\nrules:\n  conflicting-tags: warning\n";
    fs::write(petshop.path().join("journey.yaml"), config).unwrap();
    calendar_has_what_check_has(petshop.path());
    let dir = never_entered();
    calendar_has_what_check_has(dir.path());
}

/// On generated repositories (shared audiences, caps, tags), as on the bundled ones.
#[test]
fn the_calendar_shows_every_finding_of_the_check_on_generated_repositories() {
    for (journeys, audiences, seed) in [(40, 6, 3), (60, 8, 7)] {
        let dir = tempfile::tempdir().unwrap();
        generate::repository(dir.path(), journeys, audiences, seed).unwrap();
        calendar_has_what_check_has(dir.path());
    }
}

#[path = "../benches/support/generate.rs"]
#[allow(dead_code)]
mod generate;

#[test]
fn the_calendar_labels_what_only_may_overlap() {
    let dir = root().join("tests/projects/b2b");
    let out = common::journey_in_columns(&["calendar"], &dir, 100);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    let conflicts = &table[table.find("\nConflicts\n").expect("conflicts")..];
    insta::assert_snapshot!(conflicts);
}

#[test]
fn trace_help_names_the_reason_column() {
    let d = root();
    let help = run(&d, &["calendar", "--help"]);
    assert!(help.contains("reason"), "{help}");
    // the header `journey simulate --trace` writes is the one the errors show
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.journey"), NEVER_ENTERED).unwrap();
    fs::write(dir.path().join("t.csv"), "time,customer\n").unwrap();
    let out = journey(&["calendar", "--trace", "t.csv"], dir.path());
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(err.contains("time,customer,journey,node,kind,channel,template,reason"), "{err}");
    // and a trace with it reads, its reasons unread
    fs::write(
        dir.path().join("t.csv"),
        "time,customer,journey,node,kind,channel,template,reason\n\
         2026-01-05T09:00:00Z,ann,c,,enter,,,\n\
         2026-01-05T09:00:00Z,ann,c,s#0,send,email,c,\n\
         2026-01-05T09:00:00Z,bob,c,,enter,,,\n\
         2026-01-05T09:00:00Z,bob,c,s#0,suppressed,email,c,consent\n",
    )
    .unwrap();
    let table = run(dir.path(), &["calendar", "--trace", "t.csv"]);
    assert!(table.contains("1 sends to 1 of 2 customers") || table.contains("1 send to 1 of 2 customers"), "{table}");
}
