//! The bundled journey library must always pass `journey check`, and its compiled IR
//! and graphs are snapshotted so a change to lowering shows up in review.

mod common;
use common::*;

#[test]
fn journeys_library_is_clean() {
    let root = root();
    let out = journey(&["check", "--deny-warnings", "--format", "concise"], &root);
    assert_eq!(code(&out), 0, "journey check failed on journeys/:\n{}{}", stdout(&out), stderr(&out));
    // infos are the accepted, documented trade-offs of journey.yaml; nothing else
    for line in stdout(&out).lines() {
        let accepted = [": info[J603]", ": info[J605]", ": info[J606]", ": info[J602]"];
        assert!(accepted.iter().any(|a| line.contains(a)), "journeys/ should hold no errors or warnings: {line}");
    }
}

#[test]
fn journeys_library_checks_in_every_format() {
    let root = root();
    for format in ["concise", "json", "github", "sarif"] {
        let out = journey(&["check", "--format", format], &root);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
    }
}

#[test]
fn compiled_ir_is_stable() {
    let root = root();
    let a = journey(&["compile"], &root);
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    let b = journey(&["compile"], &root);
    assert_eq!(a.stdout, b.stdout, "compile output must be byte-identical across runs");
    let json: serde_json::Value = serde_json::from_slice(&a.stdout).expect("compile prints JSON");
    assert_eq!(json["ir_version"], 1);
    // one journey in full (reviewable), and the shape of the rest
    let winback =
        json["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "winback_at_risk").expect("winback_at_risk");
    insta::assert_snapshot!("winback_ir", serde_json::to_string_pretty(winback).unwrap());
    let summary: Vec<String> = json["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            format!(
                "{}: {} stages, {} nodes, entry {}",
                j["name"].as_str().unwrap(),
                j["stages"].as_array().unwrap().len(),
                j["nodes"].as_array().unwrap().len(),
                j["entry"]["on"]
            )
        })
        .collect();
    insta::assert_snapshot!("library_summary", summary.join("\n"));
}

#[test]
fn ir_schema_is_published() {
    let root = root();
    let out = journey(&["compile", "--schema"], &root);
    assert_eq!(code(&out), 0);
    let published = std::fs::read_to_string(root.join("docs/ir.schema.json")).unwrap_or_default();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(root.join("docs/ir.schema.json"), stdout(&out)).unwrap();
        return;
    }
    assert_eq!(published, stdout(&out), "docs/ir.schema.json is stale: run `UPDATE_DOCS=1 cargo test --test library`");
}

#[test]
fn every_journey_draws_in_both_formats() {
    let root = root();
    let ir: serde_json::Value = serde_json::from_slice(&journey(&["compile"], &root).stdout).unwrap();
    let names: Vec<String> =
        ir["journeys"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_string()).collect();
    assert!(names.len() >= 10, "the library should hold at least 10 journeys, found {}", names.len());
    for name in &names {
        for format in ["mermaid", "dot"] {
            let out = journey(&["graph", name, "--format", format], &root);
            assert_eq!(code(&out), 0, "{name} {format}: {}", stderr(&out));
            let text = stdout(&out);
            assert!(text.starts_with(if format == "dot" { "digraph" } else { "flowchart" }));
        }
    }
    let first = &names[0];
    insta::assert_snapshot!("graph_mermaid", stdout(&journey(&["graph", first, "--format", "mermaid"], &root)));
    insta::assert_snapshot!("graph_dot", stdout(&journey(&["graph", first, "--format", "dot"], &root)));
}
