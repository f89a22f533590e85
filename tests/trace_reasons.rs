//! The trace of `journey simulate --trace` adds up to the report: each row says why in
//! its trailing `reason` column (docs/engine.md), so summing the rows by kind and
//! reason per journey gives the report's entries, holdouts, global-holdout would-be
//! entries, exits by reason, and refused sends by rule. Shown on the B2B project
//! (tests/projects/b2b), whose journey.yaml has a global holdout, a suppression list
//! and a category cap besides its channels' caps, with a holdout in onboarding and its
//! welcome email in conflict with the monthly product update. The terminal table shows
//! the conflict refusals too.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// tests/projects/b2b in `dir`, with a 20% holdout in onboarding and a `conflicting`
/// policy rule between its welcome email and the monthly product update.
fn b2b_with_holdout_and_conflict(dir: &Path) {
    copy_dir(&root().join("tests/projects/b2b"), dir);
    let edit = |file: &str, from: &str, to: &str| {
        let p = dir.join("journeys").join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    edit("onboarding.journey", "  priority 60\n", "  priority 60\n  holdout 20%\n");
    edit("onboarding.journey", "\"onboarding-welcome\"", "\"onboarding-welcome\" tags [welcome]");
    edit("newsletter.journey", "\"product-update-monthly\"", "\"product-update-monthly\" tags [monthly]");
    edit("schema.journey", "  min_gap 2h\n", "  min_gap 2h\n  conflicting [welcome, monthly]\n");
}

/// Rows of a trace by (journey, kind, reason), and the suppressed or deferred rows
/// that name no template.
fn tally(trace: &str) -> (BTreeMap<(String, String, String), u64>, Vec<String>) {
    let mut lines = trace.lines();
    assert_eq!(lines.next(), Some("time,customer,journey,node,kind,channel,template,reason"));
    let mut counts = BTreeMap::new();
    let mut nameless = Vec::new();
    for l in lines {
        // B2B's names and templates hold no comma or quote: a plain split is the CSV
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 8, "{l}");
        if matches!(f[4], "suppressed" | "deferred") && (f[6].is_empty() || f[7].is_empty()) {
            nameless.push(l.to_string());
        }
        *counts.entry((f[2].to_string(), f[4].to_string(), f[7].to_string())).or_insert(0) += 1;
    }
    (counts, nameless)
}

#[test]
fn the_trace_sums_to_the_report_by_kind_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let b2b = dir.path().join("b2b");
    b2b_with_holdout_and_conflict(&b2b);
    let (log, attrs) = generated_log(&b2b, dir.path());
    let trace = dir.path().join("trace.csv");
    let args = ["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json", "--trace", s(&trace)];
    let out = journey(&args, &b2b);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (rows, nameless) = tally(&std::fs::read_to_string(&trace).unwrap());
    assert!(nameless.is_empty(), "refused or deferred sends without their template or reason: {nameless:#?}");

    let n = |j: &str, kind: &str, reasons: &[&str]| -> u64 {
        reasons.iter().map(|r| rows.get(&(j.into(), kind.into(), r.to_string())).copied().unwrap_or(0)).sum()
    };
    let mut seen = BTreeMap::new();
    for (j, r) in report["journeys"].as_object().unwrap() {
        let get = |k: &str| r[k].as_u64().unwrap_or(0);
        let j = j.as_str();
        assert_eq!(n(j, "enter", &["", "holdout"]), get("entrants"), "{j}: entries");
        assert_eq!(n(j, "enter", &["holdout"]), get("holdout"), "{j}: held out");
        assert_eq!(n(j, "enter", &["global_holdout"]), get("global_holdout"), "{j}: global holdout");
        let exits = r["exits"].as_object().unwrap();
        for (reason, count) in exits {
            assert_eq!(n(j, "exit", &[reason]), count.as_u64().unwrap(), "{j}: exits by {reason}");
        }
        let all_exits: u64 = exits.values().map(|c| c.as_u64().unwrap()).sum();
        let traced_exits: u64 = rows.iter().filter(|((x, k, _), _)| x == j && k == "exit").map(|(_, c)| c).sum();
        assert_eq!(traced_exits, all_exits, "{j}: every exit row has a reason the report counts");
        assert_eq!(n(j, "suppressed", &["suppression_list"]), get("suppressed"), "{j}: suppression list");
        assert_eq!(n(j, "suppressed", &["consent"]), get("consent_suppressions"), "{j}: consent");
        let caps = n(j, "suppressed", &["channel_cap", "policy_cap", "category_cap"]);
        assert_eq!(caps, get("cap_hits"), "{j}: caps");
        assert_eq!(n(j, "suppressed", &["conflict"]), get("conflict_refusals"), "{j}: conflicts");
        assert_eq!(n(j, "suppressed", &["quiet_hours", "quiet_day"]), get("quiet_drops"), "{j}: quiet drops");
        assert_eq!(n(j, "deferred", &["quiet_hours", "quiet_day"]), get("quiet_deferrals"), "{j}: quiet deferrals");
        let gaps = n(j, "deferred", &["channel_min_gap", "policy_min_gap"]);
        assert_eq!(gaps, get("min_gap_deferrals"), "{j}: minimum gaps");
        for k in ["global_holdout", "suppressed", "cap_hits", "holdout", "conflict_refusals"] {
            *seen.entry(k).or_insert(0) += get(k);
        }
    }
    // the run exercises what the test adds up
    for (k, total) in &seen {
        assert!(*total > 0, "no {k} in the run: {seen:?}");
    }
    let rules = &report["program_rules"];
    let suppressed: u64 =
        rows.iter().filter(|((_, k, r), _)| k == "suppressed" && r == "suppression_list").map(|(_, c)| c).sum();
    assert_eq!(suppressed, rules["suppressed_sends"].as_u64().unwrap(), "{rules:#}");
    let category: u64 = rules["category_cap_hits"].as_object().unwrap().values().map(|c| c.as_u64().unwrap()).sum();
    let traced: u64 =
        rows.iter().filter(|((_, k, r), _)| k == "suppressed" && r == "category_cap").map(|(_, c)| c).sum();
    assert_eq!(traced, category, "{rules:#}");
    let no_admin: u64 = rows.iter().filter(|((_, k, r), _)| k == "suppressed" && r == "no_admin").map(|(_, c)| c).sum();
    assert_eq!(no_admin, report["accounts"]["undelivered"].as_u64().unwrap());
    assert!(no_admin > 0);
}

/// The per-journey table of `journey simulate` shows the sends a `conflicting` group
/// refused next to the cap hits, as the JSON report counts them (`conflict_refusals`).
#[test]
fn the_journey_table_shows_conflict_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let b2b = dir.path().join("b2b");
    b2b_with_holdout_and_conflict(&b2b);
    let (log, attrs) = generated_log(&b2b, dir.path());
    let args = ["simulate", "--events", s(&log), "--attributes", s(&attrs)];
    let json = journey(&[&args[..], &["--format", "json"]].concat(), &b2b);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let text = journey(&args, &b2b);
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    let text = stdout(&text);
    let mut lines = text.lines().skip_while(|l| !l.starts_with("journey "));
    let header: Vec<&str> = lines.next().unwrap().split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    let at = |name: &str| header.iter().position(|c| *c == name).unwrap_or_else(|| panic!("{header:?}"));
    assert_eq!(at("conflict"), at("cap hit") + 1, "{header:?}");
    let journeys = report["journeys"].as_object().unwrap();
    let mut refused = 0;
    for line in lines.take_while(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        let j = &journeys[cells[0]];
        let count = |k: &str| j[k].as_u64().unwrap_or(0).to_string();
        assert_eq!(cells[at("conflict")], count("conflict_refusals"), "{line}");
        assert_eq!(cells[at("cap hit")], count("cap_hits"), "{line}");
        refused += j["conflict_refusals"].as_u64().unwrap_or(0);
    }
    assert!(refused > 0, "{text}");
}
