//! issue 15, CSM tasks on the B2B project (tests/projects/b2b): the health, NPS and
//! renewal journeys create tasks owned by the user's `csm_owner` attribute, falling
//! back to `cs_triage` (or, without `else queue`, the task's own `csm_task` queue) when
//! it is empty. Replayed from a generated log whose snapshot leaves `csm_owner` empty
//! for every fourth clinic, the JSON report must count each task under the owner the
//! snapshot names, or under the fallback queue, exactly as recomputed from the trace.
//! The clinic-wide play (`quiet_clinic_play`, `for account`) names its task's owner
//! by the clinic's `account_manager` from the project's account file (accounts.csv),
//! and its trace rows name the clinic.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

fn write_csv(path: &Path, rows: &[BTreeMap<String, String>], header: &[String]) {
    let mut out = header.join(",") + "\n";
    for r in rows {
        out += &(header.iter().map(|h| r[h].as_str()).collect::<Vec<_>>().join(",") + "\n");
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn b2b_compiles_task_owners_into_the_ir() {
    let out = journey(&["compile"], &root().join("tests/projects/b2b"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tasks: BTreeMap<String, serde_json::Value> = (ir["journeys"].as_array().unwrap().iter())
        .flat_map(|j| j["nodes"].as_array().unwrap().iter().map(move |n| (j["name"].clone(), n)))
        .filter(|(_, n)| n["step"] == "task")
        .map(|(j, n)| (format!("{}/{}", j.as_str().unwrap(), n["id"].as_str().unwrap()), n.clone()))
        .collect();
    let drop = tasks.values().find(|n| n["title"] == "Usage dropped: book a health call").unwrap();
    assert_eq!(drop["owner"], serde_json::json!({"from": "attribute", "attribute": "csm_owner"}));
    assert_eq!(drop["fallback_queue"], "cs_triage");
    assert_eq!(drop["due"], serde_json::json!({"minutes": 3 * 24 * 60}));
    assert_eq!(drop["priority"], "high");
    let nps = tasks.values().find(|n| n["title"] == "Detractor: call within two days").unwrap();
    assert_eq!(nps["fallback_queue"], "csm_task", "without `else queue`, the task's own queue");
    assert_eq!(nps["due"], serde_json::json!({"business_days": 2}));
    // the older `assign` form still compiles, to a fixed owner
    let stalled = tasks.values().find(|n| n["title"] == "Onboarding stalled: call the clinic").unwrap();
    assert_eq!(stalled["owner"], serde_json::json!({"from": "fixed", "name": "onboarding-csm"}));
    assert!(stalled.get("priority").is_none(), "normal is the default, left out");
}

#[test]
fn tasks_per_owner_and_fallback_queue_in_the_report() {
    let dir = root().join("tests/projects/b2b");
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = generated_log(&dir, tmp.path());
    let trace = tmp.path().join("t.csv");
    // every fourth clinic has no success manager in the CRM
    let header: Vec<String> =
        std::fs::read_to_string(&attrs).unwrap().lines().next().unwrap().split(',').map(str::to_string).collect();
    let mut rows = csv_rows(&attrs);
    for r in &mut rows {
        let n: u32 = r["account"].trim_start_matches("account-").parse().unwrap();
        if n.is_multiple_of(4) {
            r.insert("csm_owner".into(), String::new());
        }
    }
    write_csv(&attrs, &rows, &header);
    let mut owner_of: BTreeMap<String, String> =
        rows.iter().map(|r| (r["customer_id"].clone(), r["csm_owner"].clone())).collect();
    // a `for account` task's row names the clinic, whose owner is the account file's
    let managers: BTreeMap<String, String> = csv_rows(&dir.join("accounts.csv"))
        .into_iter()
        .map(|r| (r["account_id"].clone(), r["account_manager"].clone()))
        .collect();
    owner_of.extend(managers.clone());

    let run = |extra: &[&str]| {
        let mut args = vec!["simulate", "--format", "json", "--events", s(&log), "--attributes", s(&attrs)];
        args.extend_from_slice(extra);
        let out = journey(&args, &dir);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let text = run(&["--trace", s(&trace)]);
    assert_eq!(text, run(&[]), "the same inputs give the same report");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let tasks = &report["tasks"];

    // recompute from the trace: which task node each customer went through
    let ir: serde_json::Value = serde_json::from_slice(&journey(&["compile"], &dir).stdout).unwrap();
    let mut node_owner: BTreeMap<(String, String), (Option<String>, Option<String>, Option<String>)> = BTreeMap::new();
    for j in ir["journeys"].as_array().unwrap() {
        for n in j["nodes"].as_array().unwrap().iter().filter(|n| n["step"] == "task") {
            let key = (j["name"].as_str().unwrap().to_string(), n["id"].as_str().unwrap().to_string());
            let fixed = n["owner"]["name"].as_str().map(str::to_string);
            let attr = n["owner"]["attribute"].as_str().map(str::to_string);
            let fallback = n["fallback_queue"].as_str().or(n["channel"].as_str()).map(str::to_string);
            node_owner.insert(key, (fixed, attr, fallback));
        }
    }
    let mut owners: BTreeMap<String, u64> = BTreeMap::new();
    let mut queues: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in csv_rows(&trace).into_iter().filter(|r| r["kind"] == "task") {
        let (fixed, attr, fallback) = &node_owner[&(row["journey"].clone(), row["node"].clone())];
        match (fixed, attr) {
            (Some(f), _) => *owners.entry(f.clone()).or_default() += 1,
            (None, Some(_)) => match owner_of[&row["customer"]].as_str() {
                "" => {
                    let q = queues.entry(fallback.clone().unwrap()).or_default();
                    q.0 += 1;
                    q.1 += 1;
                }
                o => *owners.entry(o.to_string()).or_default() += 1,
            },
            (None, None) => queues.entry(row["channel"].clone()).or_default().0 += 1,
        }
    }
    let got_owners: BTreeMap<String, u64> = (tasks["by_owner"].as_object().unwrap().iter())
        .map(|(k, v)| (k.clone(), v["tasks"].as_u64().unwrap()))
        .collect();
    let got_queues: BTreeMap<String, (u64, u64)> = (tasks["by_queue"].as_object().unwrap().iter())
        .map(|(k, v)| (k.clone(), (v["tasks"].as_u64().unwrap(), v["fallback"].as_u64().unwrap_or(0))))
        .collect();
    assert_eq!(got_owners, owners);
    assert_eq!(got_queues, queues);
    // the fallback shows, in both queues, and many owners share the rest
    let triage = queues.get("cs_triage").copied().unwrap_or_default();
    let own = queues.get("csm_task").copied().unwrap_or_default();
    assert!(triage.1 >= 20 && own.1 >= 20, "fallbacks: cs_triage {triage:?}, csm_task {own:?}");
    assert_eq!(tasks["fallback"].as_u64().unwrap(), triage.1 + own.1);
    assert!(owners.len() >= 20, "{} owners", owners.len());
    assert!(owners["onboarding-csm"] > 0 && owners["support-lead@clinicly.example"] > 0);
    // the clinic-wide play's tasks went to account managers (or triage), by clinic
    let clinic_tasks = tasks["by_owner"]["ana@clinicly.example"]["by_journey"]["quiet_clinic_play"].as_u64();
    assert!(clinic_tasks.unwrap_or(0) > 0, "{tasks:#}");
    assert!(tasks["by_queue"]["cs_triage"]["by_journey"]["quiet_clinic_play"].as_u64().unwrap_or(0) > 0);
    let customers_of_clinics: Vec<String> = csv_rows(&trace)
        .into_iter()
        .filter(|r| r["journey"] == "quiet_clinic_play" && r["kind"] == "task")
        .map(|r| r["customer"].clone())
        .collect();
    assert!(customers_of_clinics.iter().all(|c| managers.contains_key(c)), "{customers_of_clinics:?}");
    let created: u64 = owners.values().sum::<u64>() + queues.values().map(|q| q.0).sum::<u64>();
    assert_eq!(tasks["created"].as_u64().unwrap(), created);
    let per_journey: u64 = report["journeys"].as_object().unwrap().values().map(|j| j["tasks"].as_u64().unwrap()).sum();
    assert_eq!(per_journey, created, "the per-journey counts agree");
    // priorities as written: every detractor task is urgent
    assert_eq!(
        tasks["by_queue"]["csm_task"]["by_priority"]["urgent"],
        tasks["by_queue"]["csm_task"]["by_journey"]["nps_detractor"]
    );

    // the terminal table: most tasks first, queues named as such
    let out = journey(&["simulate", "--events", s(&log), "--attributes", s(&attrs)], &dir);
    let human = stdout(&out);
    let table: Vec<&str> =
        human.lines().skip_while(|l| !l.starts_with("tasks: ")).skip(2).take_while(|l| !l.is_empty()).collect();
    assert!(human.contains(&format!("tasks: {created} created, {} to a fallback queue", triage.1 + own.1)), "{human}");
    let counts: Vec<u64> = table.iter().map(|l| l.split_whitespace().rev().nth(6).unwrap().parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "sorted by tasks: {table:?}");
    assert!(table.iter().any(|l| l.starts_with("queue cs_triage ")), "{table:?}");

    // the HTML page has the same table
    let html = tmp.path().join("r.html");
    let out = journey(&["simulate", "-q", "--events", s(&log), "--attributes", s(&attrs), "--html", s(&html)], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<h3>Tasks by owner</h3>"));
    let triage_row = format!(
        "<tr><td>cs_triage</td><td>queue</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        triage.0, triage.1
    );
    assert!(page.contains(&triage_row), "{triage_row}");
}

/// A task whose owner attribute is empty goes to the `else queue` channel: its trace
/// row names that queue, and the report counts it there, not on the step's channel
/// (the trace named `csm_task` for both tasks).
#[test]
fn a_fallen_back_task_names_its_fallback_queue_in_the_trace() {
    const PROJECT: &str = r#"event signup
attribute csm_owner: text

channel csm_task { kind task }
channel cs_triage { kind task }

journey onboarding {
  entry on signup
  stage call {
    task csm_task "Welcome call" owner attribute csm_owner else queue cs_triage due 2 days
    end
  }
}
"#;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.journey"), PROJECT).unwrap();
    std::fs::write(
        d.join("log.csv"),
        "customer_id,timestamp,event\nc1,2026-03-02T10:00:00Z,signup\nc2,2026-03-02T11:00:00Z,signup\n",
    )
    .unwrap();
    std::fs::write(d.join("attrs.csv"), "customer_id,csm_owner\nc1,ana\nc2,\n").unwrap();
    let args = ["simulate", "--events", "log.csv", "--attributes", "attrs.csv", "--format", "json", "--trace", "t.csv"];
    let out = journey(&args, d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let tasks: Vec<(String, String)> = (csv_rows(&d.join("t.csv")).into_iter())
        .filter(|r| r["kind"] == "task")
        .map(|r| (r["customer"].clone(), r["channel"].clone()))
        .collect();
    assert_eq!(tasks, [("c1".into(), "csm_task".into()), ("c2".into(), "cs_triage".into())]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["channels"]["csm_task"]["tasks"], 1);
    assert_eq!(report["channels"]["cs_triage"]["tasks"], 1);
    assert_eq!(report["tasks"]["by_queue"]["cs_triage"]["fallback"], 1);
}
