//! issue 15: the calendar of the B2B project (tests/projects/b2b) lists its CSM tasks
//! beside the sends: every task node of the IR once, with the owner the IR names (or
//! the attribute and fallback queue), its due time and priority; and every task the
//! simulation creates comes from a node the calendar lists.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn b2b() -> std::path::PathBuf {
    root().join("tests/projects/b2b")
}

fn json_of(args: &[&str], dir: &Path) -> serde_json::Value {
    let out = journey(args, dir);
    assert_eq!(out.status.code(), Some(0), "journey {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Task nodes of the IR: `journey/node` to the node.
fn ir_tasks(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let ir = json_of(&["compile"], dir);
    let mut tasks = BTreeMap::new();
    for j in ir["journeys"].as_array().unwrap() {
        for n in j["nodes"].as_array().unwrap().iter().filter(|n| n["step"] == "task") {
            tasks.insert(format!("{}/{}", j["name"].as_str().unwrap(), n["id"].as_str().unwrap()), n.clone());
        }
    }
    tasks
}

#[test]
fn the_calendar_lists_every_task_with_its_owner_due_time_and_priority() {
    let dir = b2b();
    let ir = ir_tasks(&dir);
    assert!(ir.len() >= 5, "the b2b project has CSM tasks: {}", ir.len());
    let cal = json_of(&["calendar", "--format", "json"], &dir);
    let rows = cal["tasks"].as_array().expect("a `tasks` list");
    let listed: BTreeMap<String, &serde_json::Value> = rows
        .iter()
        .map(|r| (format!("{}/{}", r["journey"].as_str().unwrap(), r["node"].as_str().unwrap()), r))
        .collect();
    assert_eq!(listed.len(), rows.len(), "each task once");
    // every b2b task is reachable, so every task node is listed, and nothing else
    assert_eq!(listed.keys().collect::<Vec<_>>(), ir.keys().collect::<Vec<_>>());
    for (key, row) in &listed {
        let n = &ir[key];
        assert_eq!(row["title"], n["title"], "{key}");
        assert_eq!(row["queue"], n["channel"], "{key}");
        assert_eq!(row["priority"], n.get("priority").cloned().unwrap_or("normal".into()), "{key}");
        let owner = row["owner"].as_str().unwrap();
        match (n["owner"]["name"].as_str(), n["owner"]["attribute"].as_str()) {
            (Some(name), _) => assert_eq!(owner, name, "{key}"),
            (None, Some(attr)) => {
                let fallback = n["fallback_queue"].as_str().or(n["channel"].as_str()).unwrap();
                assert_eq!(owner, format!("attribute {attr}, else queue {fallback}"), "{key}");
            }
            (None, None) => assert_eq!(owner, format!("queue {}", n["channel"].as_str().unwrap()), "{key}"),
        }
        match (n["due"]["minutes"].as_u64(), n["due"]["business_days"].as_u64()) {
            (_, Some(1)) => assert_eq!(row["due"], "1 business day", "{key}"),
            (_, Some(d)) => assert_eq!(row["due"], format!("{d} business days"), "{key}"),
            (Some(_), None) => assert!(row["due"].is_string(), "{key}"),
            (None, None) => assert!(row["due"].is_null(), "{key}"),
        }
        let (week, day, offset) =
            (row["week"].as_u64().unwrap(), row["day"].as_u64().unwrap(), row["offset_minutes"].as_u64().unwrap());
        if row["time"].is_null() {
            assert_eq!((week, day), (offset / (7 * 1440) + 1, offset / 1440 % 7 + 1), "{key}");
        }
    }
    // the onboarding task waits a week: `--weeks 1` leaves it out, and the others stay
    let stalled = rows.iter().find(|r| r["title"] == "Onboarding stalled: call the clinic").unwrap();
    assert_eq!(stalled["week"], 2);
    let one = json_of(&["calendar", "--format", "json", "--weeks", "1"], &dir);
    assert_eq!(one["tasks"].as_array().unwrap().len(), rows.len() - 1);
    // tasks are not messages: none of them is a send row or a conflict's step
    let sends: BTreeSet<String> = (cal["sends"].as_array().unwrap().iter())
        .map(|r| format!("{}/{}", r["journey"].as_str().unwrap(), r["node"].as_str().unwrap()))
        .collect();
    assert!(listed.keys().all(|k| !sends.contains(k)));
}

#[test]
fn every_task_the_simulation_creates_comes_from_a_listed_node() {
    let dir = b2b();
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = generated_log(&dir, tmp.path());
    let trace = tmp.path().join("t.csv");
    let out = journey(
        &["simulate", "--format", "json", "--events", s(&log), "--attributes", s(&attrs), "--trace", s(&trace)],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (kind, journey_col, node) = (col("kind"), col("journey"), col("node"));
    let created: BTreeSet<String> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[kind] == "task")
        .map(|r| format!("{}/{}", r[journey_col], r[node]))
        .collect();
    assert!(created.len() >= 3, "the replay creates tasks: {created:?}");
    let cal = json_of(&["calendar", "--format", "json"], &dir);
    let listed: BTreeSet<String> = (cal["tasks"].as_array().unwrap().iter())
        .map(|r| format!("{}/{}", r["journey"].as_str().unwrap(), r["node"].as_str().unwrap()))
        .collect();
    assert!(created.is_subset(&listed), "created {created:?}, listed {listed:?}");
}

#[test]
fn the_table_and_the_page_show_the_tasks() {
    let dir = b2b();
    let out = journey_in_columns(&["calendar"], &dir, 240);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let section = table.split("\nTasks (").nth(1).expect("a Tasks section").split("\nJourneys\n").next().unwrap();
    assert!(section.contains("OWNER") && section.contains("DUE") && section.contains("PRIORITY"), "{section}");
    let line = section.lines().find(|l| l.contains("Urgent tickets on a quiet account")).expect("the escalation task");
    assert!(line.contains("support-lead@clinicly.example") && line.contains("urgent") && line.contains("4h"), "{line}");
    let out = journey(&["calendar", "--format", "html"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains("<a href=\"#tasks\">Tasks</a>") && page.contains("<section id=\"tasks\">"));
    assert!(page.contains("<td>Detractor: call within two days</td>"));
    // a program without tasks has no Tasks section and no `tasks` key
    let petshop = root().join("examples/cdnow");
    let out = journey(&["calendar", "--format", "json"], &petshop);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("tasks").is_none());
}

#[test]
fn the_calendar_says_which_journeys_run_for_an_account() {
    let view = json_of(&["calendar", "--format", "json"], &b2b());
    let per_account: Vec<&str> = (view["journeys"].as_array().unwrap().iter())
        .filter(|j| j["for_account"] == true)
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(per_account, ["quiet_clinic_play"]);
    let text = stdout(&journey(&["calendar"], &b2b()));
    assert!(
        text.contains("runs:     for account (once per account; its messages go to the account's admins)"),
        "{text}"
    );
}

/// issue 19: the B2B project's grouped J605 and J606 expand to the pairs of the
/// ungrouped analysis (tests/common/calendar_groups.rs).
#[test]
fn grouped_conflicts_are_the_pairs_of_the_ungrouped_analysis() {
    common::calendar_groups::check_grouped_calendar(&b2b());
}
