//! End-to-end behaviour of the `journey` command line: exit codes, output formats,
//! project configuration, formatting safety, explanations and completions.

mod common;
use common::*;
use std::fs;
use std::path::Path;

const SCHEMA: &str = r#"event signup { plan: one_of("free", "pro") }
event purchase { amount: money }
attribute email_opt_in: bool
channel email {
  kind email
  consent email_opt_in
  cap 3 per 7d
}
"#;

const GOOD: &str = r#"// welcome new customers
journey welcome {
  entry on signup
  audience email_opt_in
  stage hello {
    send email "welcome"  // the first touch
    end
  }
}
"#;

/// A journey with an unknown event (an error), and one with an unreachable stage (a
/// warning: graph analyses only run on journeys whose names resolve).
const BAD: &str = r#"journey broken {
  entry on sigup
  audience email_opt_in
  stage a {
    end
  }
}

journey orphaned {
  entry on signup
  audience email_opt_in
  stage a {
    end
  }
  stage orphan {
    send email "never"
  }
}
"#;

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    journey(args, dir)
}

#[test]
fn clean_repository_exits_zero() {
    let dir = repo(&[("schema.journey", SCHEMA), ("welcome.journey", GOOD)]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("no problems found in 2 files"), "{}", stderr(&out));
}

#[test]
fn problems_exit_one_and_every_message_has_its_code() {
    let dir = repo(&[("schema.journey", SCHEMA), ("broken.journey", BAD)]);
    let out = run(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("broken.journey:2:12: error[J101] unknown event `sigup`"), "{text}");
    for line in text.lines() {
        assert!(line.contains("[J"), "line without a code: {line}");
    }
}

#[test]
fn usage_and_fatal_errors_exit_two() {
    let dir = repo(&[("schema.journey", SCHEMA)]);
    assert_eq!(code(&run(dir.path(), &["check", "no/such/dir"])), 2);
    assert_eq!(code(&run(dir.path(), &["check", "--format", "xml"])), 2);
    assert_eq!(code(&run(dir.path(), &["frobnicate"])), 2);
    let out = run(dir.path(), &["check", "no/such/dir"]);
    assert!(stderr(&out).contains("no such file or directory: no/such/dir"), "{}", stderr(&out));
}

#[test]
fn not_utf8_is_a_clear_fatal_error() {
    let dir = repo(&[("schema.journey", SCHEMA)]);
    fs::write(dir.path().join("latin1.journey"), b"journey caf\xe9 {}").unwrap();
    let out = run(dir.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("latin1.journey is not UTF-8 text"), "{}", stderr(&out));
}

#[test]
fn machine_formats_are_well_formed() {
    let dir = repo(&[("schema.journey", SCHEMA), ("broken.journey", BAD)]);
    let json: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["check", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["version"], 1);
    let arr = json["diagnostics"].as_array().unwrap();
    assert!(arr.iter().any(|d| d["code"] == "J101" && d["severity"] == "error"));
    assert!(arr.iter().any(|d| d["code"] == "J301" && d["severity"] == "warning"));

    let sarif: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["check", "--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), arr.len());
    assert!(results.iter().all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64()));

    let gh = stdout(&run(dir.path(), &["check", "--format", "github"]));
    assert!(gh.lines().all(|l| l.starts_with("::error ") || l.starts_with("::warning ")), "{gh}");
    assert!(gh.contains("file=broken.journey,line=2,col=12"), "{gh}");
}

#[test]
fn output_is_deterministic_and_colourless_under_no_color() {
    let dir = repo(&[("schema.journey", SCHEMA), ("broken.journey", BAD), ("welcome.journey", GOOD)]);
    let a = run(dir.path(), &["check"]);
    let b = run(dir.path(), &["check"]);
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.contains(&0x1b), "NO_COLOR output holds an escape code");
    let forced = journey(&["--color", "always", "check"], dir.path());
    assert!(forced.stdout.contains(&0x1b), "--color always should colour");
}

#[test]
fn many_errors_are_reported_at_once() {
    let text = r#"journey a {
  entry on nothing
  stage s {
    send nowhere "x"
    goto missing
  }
}
"#;
    let dir = repo(&[("schema.journey", SCHEMA), ("a.journey", text)]);
    let json: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["check", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 3, "{json:#}");
}

#[test]
fn config_overrides_severities_and_ignores() {
    let files = [("schema.journey", SCHEMA), ("broken.journey", BAD)];
    // unreachable-stage switched off by name, the unknown event made a warning by code
    let dir = repo(&[files[0], files[1], ("journey.yaml", "rules:\n  unreachable-stage: off\n  J101: warning\n")]);
    let out = run(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(!stdout(&out).contains("J301"));
    assert!(stdout(&out).contains("warning[J101]"));
    // --deny-warnings turns them into a failure
    assert_eq!(code(&run(dir.path(), &["check", "--deny-warnings"])), 1);

    let dir = repo(&[
        files[0],
        files[1],
        ("journey.yaml", "ignore:\n  - path: \"broken.journey\"\n    rules: [J301, J101]\n"),
    ]);
    let out = run(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(stdout(&out), "");
    assert_eq!(code(&out), 0);
}

#[test]
fn config_problems_point_into_journey_yaml() {
    let dir = repo(&[
        ("schema.journey", SCHEMA),
        ("journey.yaml", "timezone: Mars/Olympus\nrules:\n  unreachable-stag: off\n"),
    ]);
    let out = run(dir.path(), &["check", "--format", "concise"]);
    let text = stdout(&out);
    assert!(text.contains("journey.yaml:1:11: error[J407] unknown time zone `Mars/Olympus`"), "{text}");
    assert!(text.contains("journey.yaml:3:3: warning[J502] unknown rule `unreachable-stag`"), "{text}");
    let dir = repo(&[("schema.journey", SCHEMA), ("journey.yaml", "timezon: UTC\n")]);
    let text = stdout(&run(dir.path(), &["check", "--format", "concise"]));
    assert!(text.contains("journey.yaml:1:1: error[J501] unknown field `timezon`"), "{text}");
}

#[test]
fn include_and_exclude_select_files() {
    let dir = repo(&[
        ("journey.yaml", "include: [\"lib/**\"]\nexclude: [\"lib/drafts/**\"]\n"),
        ("lib/schema.journey", SCHEMA),
        ("lib/drafts/broken.journey", BAD),
        ("examples/broken.journey", BAD),
    ]);
    let out = run(dir.path(), &["check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // naming a directory checks it even outside `include`
    assert_eq!(code(&run(dir.path(), &["check", "examples"])), 1);
}

#[test]
fn yaml_journeys_are_checked_with_the_rest() {
    let yaml = "journeys:\n  welcome:\n    entry: on signup\n    audience: email_opt_in\n    stages:\n      hello:\n        - send: emial \"welcome\"\n";
    let dir = repo(&[("schema.journey", SCHEMA), ("welcome.journey.yaml", yaml)]);
    let out = run(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("welcome.journey.yaml:7:17: error[J101] unknown channel `emial`"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fmt_rewrites_checks_and_keeps_comments() {
    let messy = "journey welcome{entry on signup audience email_opt_in\n// greet\nstage hello{send email \"welcome\" // first\nend}}\n";
    let dir = repo(&[("schema.journey", SCHEMA), ("welcome.journey", messy)]);
    let out = run(dir.path(), &["fmt", "--check"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("welcome.journey would be reformatted"));
    assert_eq!(fs::read_to_string(dir.path().join("welcome.journey")).unwrap(), messy, "--check must not write");

    let diff = run(dir.path(), &["fmt", "--diff"]);
    assert!(stdout(&diff).contains("+++ welcome.journey"), "{}", stdout(&diff));

    assert_eq!(code(&run(dir.path(), &["fmt"])), 0);
    let formatted = fs::read_to_string(dir.path().join("welcome.journey")).unwrap();
    assert!(formatted.contains("// greet") && formatted.contains("// first"), "{formatted}");
    assert_eq!(code(&run(dir.path(), &["fmt", "--check"])), 0);
    assert_eq!(code(&run(dir.path(), &["check"])), 0);
    // no temporary files are left behind
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fmt_refuses_files_that_do_not_parse() {
    let broken = "journey x { stage a { sned email \"x\" } }\n";
    let dir = repo(&[("x.journey", broken)]);
    let out = run(dir.path(), &["fmt"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("error[J001]"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.path().join("x.journey")).unwrap(), broken);
}

#[test]
fn compile_refuses_errors_and_writes_ir() {
    let dir = repo(&[("schema.journey", SCHEMA), ("broken.journey", BAD)]);
    assert_eq!(code(&run(dir.path(), &["compile"])), 1);
    let dir = repo(&[("schema.journey", SCHEMA), ("welcome.journey", GOOD)]);
    let out = run(dir.path(), &["compile", "-o", "ir.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.path().join("ir.json")).unwrap()).unwrap();
    assert_eq!(ir["journeys"][0]["nodes"][0]["id"], "hello#0");
    assert_eq!(ir["journeys"][0]["nodes"][0]["step"], "send");
}

#[test]
fn graph_names_missing_journeys() {
    let dir = repo(&[("schema.journey", SCHEMA), ("welcome.journey", GOOD)]);
    let out = run(dir.path(), &["graph", "welcom"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no journey named `welcom`"), "{}", stderr(&out));
    let out = run(dir.path(), &["graph", "welcome"]);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn explain_prints_docs_pages() {
    let root = root();
    let out = journey(&["explain", "J301"], &root);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("# J301"), "{}", stdout(&out));
    let by_name = journey(&["explain", "unreachable-stage"], &root);
    assert_eq!(by_name.stdout, out.stdout);
    assert_eq!(code(&journey(&["explain", "J999"], &root)), 2);
    let list = stdout(&journey(&["explain", "--list"], &root));
    assert_eq!(list.lines().count(), journey_diagnostics::RULES.len());
}

#[test]
fn completions_for_every_shell() {
    let root = root();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = journey(&["completions", shell], &root);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("journey"), "{shell}");
    }
}
