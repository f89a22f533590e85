//! Any company's data (issue 14): `journey events generate` builds a log from the
//! project's own schema, channels and journeys, and replaying it enters every journey
//! and reaches every stage the compiled graph can reach. Shown on two projects that
//! are not journeys/: Clinicly, a B2B clinic product (tests/projects/b2b: accounts,
//! seats, plans, renewal dates, CSM tasks) and Pawprint Supplies, a pet shop
//! (tests/projects/petshop).

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Stages each journey of the compiled IR can reach from its start, following every
/// transition (branch and split arms, both ways out of a wait): computed, not listed.
fn reachable_stages(ir: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for j in ir["journeys"].as_array().unwrap() {
        let nodes: BTreeMap<&str, &Value> =
            j["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
        let mut seen = BTreeSet::new();
        let mut todo = vec![&j["start"]];
        while let Some(t) = todo.pop() {
            if t["to"] != "node" {
                continue; // `end`, or another journey
            }
            let id = t["id"].as_str().unwrap();
            if !seen.insert(id.to_string()) {
                continue;
            }
            let n = nodes[id];
            for key in ["next", "then", "timeout", "otherwise", "target"] {
                if n.get(key).is_some() {
                    todo.push(&n[key]);
                }
            }
            for arm in n.get("arms").and_then(Value::as_array).into_iter().flatten() {
                todo.push(&arm["target"]);
            }
        }
        let stages = seen.iter().map(|id| nodes[id.as_str()]["stage"].as_str().unwrap().to_string()).collect();
        out.insert(j["name"].as_str().unwrap().to_string(), stages);
    }
    out
}

/// Generate a log for the project in `dir` (no options beyond seed and size), check
/// that it is deterministic, replay it, and require every journey entered and every
/// reachable stage reached.
fn every_journey_and_reachable_stage(dir: &Path) {
    every_journey_and_reachable_stage_of(dir, 300)
}

fn every_journey_and_reachable_stage_of(dir: &Path, customers: u32) {
    let customers = customers.to_string();
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    let generate = |log: &Path, attrs: &Path| {
        let out = journey(
            &["events", "generate", "--seed", "3", "--customers", &customers, "-o", s(log), "--attributes", s(attrs)],
            dir,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    generate(&log, &attrs);
    let (log2, attrs2) = (tmp.path().join("log2.csv"), tmp.path().join("attrs2.csv"));
    generate(&log2, &attrs2);
    assert_eq!(std::fs::read(&log).unwrap(), std::fs::read(&log2).unwrap(), "same seed, same log");
    assert_eq!(std::fs::read(&attrs).unwrap(), std::fs::read(&attrs2).unwrap(), "same seed, same snapshot");

    let validate = journey(&["events", "validate", s(&log)], dir);
    assert_eq!(validate.status.code(), Some(0), "the log reads with the default mapping: {}", stdout(&validate));

    let compiled = journey(&["compile"], dir);
    assert_eq!(compiled.status.code(), Some(0), "{}", stderr(&compiled));
    let ir: Value = serde_json::from_slice(&compiled.stdout).unwrap();
    let reachable = reachable_stages(&ir);

    let sim = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"], dir);
    assert_eq!(sim.status.code(), Some(0), "{}", stderr(&sim));
    let report: Value = serde_json::from_slice(&sim.stdout).unwrap();
    let mut missing = Vec::new();
    for (name, stages) in &reachable {
        let j = &report["journeys"][name];
        if j["entrants"].as_u64().unwrap_or(0) == 0 {
            missing.push(format!("{name}: no entrants"));
        }
        for stage in stages {
            if j["stage_entries"][stage].as_u64().unwrap_or(0) == 0 {
                missing.push(format!("{name}: stage {stage} never reached"));
            }
        }
    }
    assert!(missing.is_empty(), "{}:\n{}", dir.display(), missing.join("\n"));
}

#[test]
fn b2b_project_checks_and_is_formatted() {
    let dir = root().join("tests/projects/b2b");
    let out = journey(&["check"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let out = journey(&["fmt", "--check"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn generated_b2b_log_enters_every_journey_and_reaches_every_reachable_stage() {
    every_journey_and_reachable_stage(&root().join("tests/projects/b2b"));
}

#[test]
fn generated_petshop_log_enters_every_journey_and_reaches_every_reachable_stage() {
    // the pet shop keeps two J602 errors on purpose (tests/petshop.rs), and `simulate`
    // refuses a program with errors: replay a copy that makes them warnings
    let src = root().join("tests/projects/petshop");
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("journeys")).unwrap();
    for f in std::fs::read_dir(src.join("journeys")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.path().join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(src.join("journey.yaml")).unwrap();
    std::fs::write(copy.path().join("journey.yaml"), config + "rules:\n  conflicting-tags: warning\n").unwrap();
    every_journey_and_reachable_stage(copy.path());
}

#[test]
fn generated_library_log_enters_every_journey_and_reaches_every_reachable_stage() {
    // journeys/ keeps the hand-written Northwind model for its benchmarks and
    // snapshots (journey.yaml, `generator: northwind`); the project generator must
    // serve it too. Its lapse audiences (`since(purchase) > 120d`) need the history
    // before the period, and its VIP path a click among few heroes: 1000 customers.
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("journeys")).unwrap();
    for f in std::fs::read_dir(root().join("journeys")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.path().join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(root().join("journey.yaml")).unwrap();
    assert!(config.contains("generator: northwind"), "{config}");
    std::fs::write(copy.path().join("journey.yaml"), config.replace("generator: northwind", "generator: project"))
        .unwrap();
    every_journey_and_reachable_stage_of(copy.path(), 1000);
}

#[test]
fn generated_log_answers_the_projects_own_templates() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.csv");
    let out = journey(&["events", "generate", "--seed", "5", "--customers", "100", "-o", s(&log)], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = std::fs::read_to_string(&log).unwrap();
    let header: Vec<&str> = body.lines().next().unwrap().split(',').collect();
    let (event, template) =
        (header.iter().position(|c| *c == "event").unwrap(), header.iter().position(|c| *c == "template").unwrap());
    let compiled = journey(&["compile"], &dir);
    let ir: Value = serde_json::from_slice(&compiled.stdout).unwrap();
    let sent: BTreeSet<String> = ir["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|j| j["nodes"].as_array().unwrap().iter())
        .filter(|n| n["step"] == "send")
        .map(|n| n["template"].as_str().unwrap().to_string())
        .collect();
    let mut clicks = 0;
    for line in body.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[event] == "email_open" || cells[event] == "email_click" {
            assert!(sent.contains(cells[template]), "an answer to a template no journey sends: {line}");
            clicks += usize::from(cells[event] == "email_click");
        }
    }
    assert!(clicks > 0, "sends are clicked");
    // no coffee here: the Northwind model is not what runs
    assert!(!body.contains("product_view"));
}

#[test]
fn behaviour_file_tunes_the_model_and_rejects_unknown_keys_with_their_line() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model.yaml");
    let run = |model_text: &str| {
        std::fs::write(&model, model_text).unwrap();
        journey(&["events", "generate", "--customers", "60", "--days", "30", "--behaviour", s(&model)], &dir)
    };
    let count = |out: &std::process::Output, event: &str| stdout(out).lines().filter(|l| l.contains(event)).count();
    let plain = run("");
    let busy = run("events:\n  support_ticket: 2\n");
    assert_eq!((plain.status.code(), busy.status.code()), (Some(0), Some(0)), "{}", stderr(&busy));
    assert!(count(&busy, ",support_ticket,") > 2 * count(&plain, ",support_ticket,"), "the rate is used");

    let bad = run("churn: 0.2\nlifecycle:\n  browser: 0.5\n  whale: 0.1\n");
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let err = stderr(&bad);
    assert!(err.contains("model.yaml:4:") && err.contains("unknown field `whale`"), "{err}");
    let bad = run("events:\n  support_tickets: 1\n");
    let err = stderr(&bad);
    assert!(err.contains("model.yaml:2:") && err.contains("`support_tickets` is not an event"), "{err}");
}

/// A copy of the B2B project in a temporary directory, with `edit` applied to the
/// text of each of its files (path relative to the project, text) first.
fn b2b_copy(edit: impl Fn(&str, String) -> String) -> tempfile::TempDir {
    let src = root().join("tests/projects/b2b");
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("journeys")).unwrap();
    for rel in std::iter::once("journey.yaml".to_string()).chain(
        std::fs::read_dir(src.join("journeys"))
            .unwrap()
            .map(|f| format!("journeys/{}", f.unwrap().file_name().to_string_lossy())),
    ) {
        let text = std::fs::read_to_string(src.join(&rel)).unwrap();
        std::fs::write(copy.path().join(&rel), edit(&rel, text)).unwrap();
    }
    copy
}

/// The `(file:line, attribute)` of every J314 in `journey check`'s JSON output.
fn j206(dir: &Path) -> Vec<(String, String)> {
    let out = journey(&["check", "--format", "json"], dir);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stdout(&out)));
    let list = v.get("diagnostics").unwrap_or(&v).as_array().unwrap_or_else(|| panic!("{v:#}")).clone();
    list.iter()
        .filter(|d| d["code"] == "J314")
        .map(|d| {
            let at = format!("{}:{}", d["file"].as_str().unwrap_or_default(), d["start"]["line"]);
            let msg = d["message"].as_str().unwrap().to_string();
            (at, msg.split('`').nth(1).unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn optional_seats_are_warned_where_a_comparison_reads_them_unguarded() {
    // journey.yaml declares `seats` optional (trial clinics have none yet)
    let dir = root().join("tests/projects/b2b");
    let found = j206(&dir);
    assert!(found.contains(&("journeys/renewal.journey:17".into(), "seats".into())), "{found:?}");
    assert!(found.contains(&("journeys/health.journey:15".into(), "seats".into())), "{found:?}");
    assert!(found.iter().all(|(_, a)| a == "seats"), "only the optional attribute: {found:?}");

    // guarded where it is read: the warning goes away there, and only there
    let guarded = b2b_copy(|rel, text| {
        if rel == "journeys/renewal.journey" {
            text.replace("when seats >= 20 or", "when seats is set and seats >= 20 or")
        } else {
            text
        }
    });
    let after = j206(guarded.path());
    assert!(!after.iter().any(|(at, _)| at.starts_with("journeys/renewal.journey")), "{after:?}");
    assert!(after.contains(&("journeys/health.journey:15".into(), "seats".into())), "{after:?}");

    // not declared optional: no warning at all
    let plain = b2b_copy(|rel, text| {
        if rel == "journey.yaml" {
            text.replace("optional_attributes: [seats]", "optional_attributes: []")
        } else {
            text
        }
    });
    assert!(j206(plain.path()).is_empty());
}

#[test]
fn an_optional_attribute_that_is_not_declared_is_an_error_in_journey_yaml() {
    let typo = b2b_copy(|rel, text| {
        if rel == "journey.yaml" {
            text.replace("optional_attributes: [seats]", "optional_attributes: [seat]")
        } else {
            text
        }
    });
    let out = journey(&["check"], typo.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("error[J501]: events.optional_attributes: `seat` is not an attribute of the program"),
        "{text}"
    );
    assert!(text.contains("journey.yaml:12:25"), "labelled on the name: {text}");
    assert!(text.contains("help: did you mean `seats`?"), "{text}");
}

#[test]
fn a_snapshot_without_an_attribute_column_says_so_and_counts_the_refusals() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    let out = journey(
        &["events", "generate", "--seed", "4", "--customers", "200", "-o", s(&log), "--attributes", s(&attrs)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // the generator leaves the optional `seats` empty for some customers, never `plan`
    let full = std::fs::read_to_string(&attrs).unwrap();
    let header: Vec<&str> = full.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let cells = |i: usize| full.lines().skip(1).map(move |l| l.split(',').nth(i).unwrap_or_default().to_string());
    let empty_seats = cells(column("seats")).filter(|c| c.is_empty()).count();
    assert!(empty_seats > 10 && empty_seats < 100, "about a fifth of 200: {empty_seats}");
    assert_eq!(cells(column("plan")).filter(|c| c.is_empty()).count(), 0);

    // drop the `seats` and `email_opt_in` columns entirely
    let (a, b) = (column("seats"), column("email_opt_in"));
    let cut: String = full
        .lines()
        .map(|l| {
            let kept: Vec<&str> =
                l.split(',').enumerate().filter(|(i, _)| *i != a && *i != b).map(|(_, c)| c).collect();
            kept.join(",") + "\n"
        })
        .collect();
    std::fs::write(&attrs, cut).unwrap();
    let sim = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs)], &dir);
    assert_eq!(sim.status.code(), Some(0), "{}", stderr(&sim));
    let err = stderr(&sim);
    // `seats` is an account attribute the project's account file (accounts.csv) gives,
    // so only `email_opt_in` is missing for everyone
    assert!(err.contains("has no column for `email_opt_in`: every customer lacks it"), "{err}");
    assert!(!err.contains("`seats`"), "{err}");
    // `audience email_opt_in` is unknown for everyone: the journeys refuse them all,
    // and say which clause did
    let text = stdout(&sim);
    let section = text
        .split("customers refused because an audience clause read a missing value:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no refusal section:\n{text}"));
    let refused: u64 = section
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.contains(": email_opt_in: "))
        .map(|l| l.rsplit(':').next().unwrap().trim().parse::<u64>().unwrap())
        .sum();
    assert!(refused > 0, "{section}");
}

/// The first timestamp of a log generated in `dir` (2025-01-01 is the first day).
fn first_timestamp(dir: &Path) -> String {
    let out = journey(&["events", "generate", "--seed", "2", "--customers", "300", "--days", "30"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = stdout(&out);
    let header: Vec<&str> = body.lines().next().unwrap().split(',').collect();
    let t = header.iter().position(|c| *c == "timestamp").unwrap();
    body.lines().skip(1).map(|l| l.split(',').nth(t).unwrap().to_string()).min().unwrap()
}

#[test]
fn a_history_before_the_period_only_when_conditions_look_back_further() {
    // Clinicly's longest look-back at events is renewal's
    // `since(nps_response where score is set) <= 180d`: history from up to 180 + 60 days
    // before the first day (2024-05-06), none from before that
    let b2b = first_timestamp(&root().join("tests/projects/b2b"));
    assert!(b2b.as_str() < "2025-01-01" && b2b.as_str() >= "2024-05-06", "{b2b}");
    // the pet shop's `since_first(purchase) > 365d` needs customers from over a year
    // before: up to 365 + 60 days before the first day (2023-11-03)
    let src = root().join("tests/projects/petshop");
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("journeys")).unwrap();
    for f in std::fs::read_dir(src.join("journeys")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, copy.path().join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(src.join("journey.yaml")).unwrap();
    std::fs::write(copy.path().join("journey.yaml"), config + "rules:\n  conflicting-tags: warning\n").unwrap();
    let petshop = first_timestamp(copy.path());
    assert!(petshop.as_str() < "2024-01-01" && petshop.as_str() >= "2023-11-03", "{petshop}");
}
