//! Code scanning output as GitHub reads it: SARIF and workflow annotations name files
//! from the repository's top (a project in `marketing/`), percent-encode file URIs
//! (`spring sale.journey`), and every rule carries an absolute help link, a full
//! description and help text. The last test runs Microsoft's SARIF Multitool with
//! GitHub's rule set when it is installed (CI installs it).

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// A git repository whose journey project lives in `marketing/`, with a file name
/// holding a space and one error in it. Returns the temp dir and the project dir.
fn repository() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    // `.git` is all the tool looks for; no git process needed
    fs::create_dir(dir.path().join(".git")).unwrap();
    let project = dir.path().join("marketing");
    fs::create_dir_all(project.join("journeys")).unwrap();
    fs::write(project.join("journey.yaml"), "timezone: UTC\n").unwrap();
    fs::write(
        project.join("journeys/spring sale.journey"),
        "event signup {}\nchannel email { kind email }\njourney spring {\n  entry on sigup\n  stage a {\n    send email \"hi\"\n    end\n  }\n}\n",
    )
    .unwrap();
    (dir, project)
}

fn sarif_in(cwd: &Path, args: &[&str]) -> serde_json::Value {
    let out = journey(args, cwd);
    assert!(code(&out) == 0 || code(&out) == 1, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

#[test]
fn sarif_paths_are_relative_to_the_repository_and_percent_encoded() {
    let (_dir, project) = repository();
    // the same URI whether the tool runs in the project or in one of its folders
    for cwd in [project.clone(), project.join("journeys")] {
        let sarif = sarif_in(&cwd, &["check", "--format", "sarif"]);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty(), "the misspelled event is found");
        for r in results {
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert_eq!(uri, "marketing/journeys/spring%20sale.journey", "from {}", cwd.display());
        }
    }
}

#[test]
fn github_annotations_name_files_from_the_repository_root() {
    let (_dir, project) = repository();
    let out = stdout(&journey(&["check", "--format", "github"], &project.join("journeys")));
    assert!(out.starts_with("::error file=marketing/journeys/spring sale.journey,line=4,"), "{out}");
}

#[test]
fn without_git_paths_are_relative_to_the_project_root() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("journey.yaml"), "timezone: UTC\n").unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/a.journey"), "journey a {\n  entry on nothing\n}\n").unwrap();
    let out = stdout(&journey(&["check", "--format", "github"], &dir.path().join("sub")));
    assert!(out.contains("file=sub/a.journey,"), "{out}");
}

#[test]
fn every_rule_has_an_absolute_help_link_a_full_description_and_help() {
    let (_dir, project) = repository();
    let sarif = sarif_in(&project, &["check", "--format", "sarif"]);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), journey_diagnostics_rule_count());
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let uri = r["helpUri"].as_str().unwrap();
        assert!(uri.starts_with("https://") && uri.ends_with(&format!("docs/diagnostics/{id}.md")), "{uri}");
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty(), "{id}");
        let markdown = r["help"]["markdown"].as_str().unwrap();
        assert!(markdown.starts_with(&format!("# {id}")), "{id}: the docs page is the help");
        let text = r["help"]["text"].as_str().unwrap();
        assert!(!text.contains("**") && !text.contains('`'), "{id}: plain text has no markdown marks");
    }
}

/// The number of `J…` pages in docs/diagnostics/, one per rule.
fn journey_diagnostics_rule_count() -> usize {
    files(&root().join("docs/diagnostics"), &[".md"])
        .iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('J')))
        .count()
}

/// The SARIF Multitool's own executable: `SARIF_MULTITOOL`, else the one npm installed
/// (`npm i -g @microsoft/sarif-multitool`, or in the repository's node_modules). The
/// npm wrapper script runs it through a shell without quoting, so `Sarif;Gh` would be
/// cut at the `;`: the native executable beside it is called instead.
fn multitool() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SARIF_MULTITOOL") {
        return Some(PathBuf::from(p));
    }
    let global = std::process::Command::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(text(&o.stdout).trim()));
    [global, Some(root().join("node_modules"))]
        .into_iter()
        .flatten()
        .map(|d| d.join("@microsoft/sarif-multitool-linux/Sarif.Multitool"))
        .find(|p| p.is_file())
}

#[test]
fn sarif_multitool_with_github_rules_finds_nothing() {
    let Some(tool) = multitool() else {
        eprintln!("note: the SARIF Multitool is not installed (npm i -g @microsoft/sarif-multitool); skipping");
        return;
    };
    // examples/ (every rule fires) copied into a subdirectory of a repository, one file
    // renamed to hold a space
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let project = dir.path().join("marketing");
    fs::create_dir(&project).unwrap();
    for f in files(&root().join("examples"), &[".journey", ".yaml"]) {
        let rel = f.strip_prefix(root().join("examples")).unwrap();
        if rel.components().count() > 1 {
            continue; // examples/cdnow is a project of its own
        }
        let name = rel.to_string_lossy().replace("J301-unreachable-stage", "J301 unreachable stage");
        fs::copy(&f, project.join(name)).unwrap();
    }
    let out = journey(&["check", "--format", "sarif"], &project);
    assert_eq!(code(&out), 1, "examples/ has errors: {}", stderr(&out));
    let sarif = stdout(&out);
    assert!(sarif.contains("marketing/J301%20unreachable%20stage.journey"), "the renamed file is reported");
    let log = dir.path().join("journey.sarif");
    fs::write(&log, &out.stdout).unwrap();
    let report = dir.path().join("validation.sarif");
    let run = std::process::Command::new(&tool)
        .args(["validate", "--rule-kind", "Sarif;Gh", "--output"])
        .arg(&report)
        .arg(&log)
        .output()
        .expect("sarif-multitool runs");
    let said = format!("{}{}", text(&run.stdout), text(&run.stderr));
    let findings: serde_json::Value = serde_json::from_slice(&fs::read(&report).expect("a validation log")).unwrap();
    let results: Vec<String> = findings["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}: {}", r["level"], r["ruleId"], r["message"]))
        .collect();
    assert!(results.is_empty(), "SARIF Multitool (Sarif;Gh) findings:\n{}\n{said}", results.join("\n"));
}
