//! Issue 13 end to end: one mistake, one error, at its own file and line; files as
//! editors write them (BOM, CRLF); `fmt --check --diff`; `check examples/`.

mod common;
use common::*;

const SCHEMA: &str = "event signup\nevent purchase { amount: money }\n\nattribute email_opt_in: bool\n";
const CHANNELS: &str = "channel email {\n  consent email_opt_in\n  cap 3 per 7d\n}\n";
const JOURNEY: &str = "journey welcome {\n  entry on signup\n  audience email_opt_in\n\n  stage hello {\n    send email \"welcome-1\"\n    end\n  }\n}\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn a_typo_in_a_cap_is_one_error_not_one_per_send() {
    let channels = CHANNELS.replace("cap 3 per 7d", "cap 4 per week");
    let j2 = JOURNEY.replace("welcome", "second");
    let dir = project(&[
        ("schema.journey", SCHEMA),
        ("channels.journey", &channels),
        ("a.journey", JOURNEY),
        ("b.journey", &j2),
    ]);
    let out = journey(&["check"], dir.path());
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!("typo_in_a_cap", stdout(&out));
    assert!(stderr(&out).contains("found 1 error"), "{}", stderr(&out));
}

#[test]
fn a_tab_in_yaml_is_reported_first_on_its_own_line() {
    let yaml = "journeys:\n  welcome:\n    entry: on signup\n\tstages: {}\n";
    let bad_ref = JOURNEY.replace("send email", "send emial");
    let dir = project(&[
        ("a.journey.yaml", yaml),
        ("schema.journey", SCHEMA),
        ("channels.journey", CHANNELS),
        ("b.journey", &bad_ref),
    ]);
    let out = journey(&["check", "--format", "concise"], dir.path());
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or("");
    assert!(first.starts_with("a.journey.yaml:4:1: error[J001]"), "{text}");
    insta::assert_snapshot!("tab_in_yaml", text);
}

#[test]
fn bom_and_crlf_files_check_and_pass_fmt_check() {
    let crlf = |s: &str| s.replace('\n', "\r\n");
    let dir = project(&[
        ("schema.journey", &format!("\u{feff}{SCHEMA}")),
        ("channels.journey", &crlf(CHANNELS)),
        ("a.journey", &format!("\u{feff}{}", crlf(JOURNEY))),
    ]);
    let out = journey(&["check"], dir.path());
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let out = journey(&["fmt", "--check"], dir.path());
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    // formatting keeps the line endings it found
    std::fs::write(
        dir.path().join("channels.journey"),
        crlf("channel email {\n consent email_opt_in\n  cap 3 per 7d }\n"),
    )
    .unwrap();
    let out = journey(&["fmt"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.path().join("channels.journey")).unwrap(), crlf(CHANNELS));
}

#[test]
fn fmt_check_diff_shows_the_diff() {
    let dir = project(&[("schema.journey", "event   signup\n")]);
    let out = journey(&["fmt", "--check", "--diff"], dir.path());
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("-event   signup") && text.contains("+event signup"), "{text}{}", stderr(&out));
}

#[test]
fn check_examples_shows_each_example_once() {
    let root = root();
    let out = journey(&["check", "examples/", "--format", "concise"], &root);
    let text = stdout(&out);
    let examples: Vec<_> = files(&root.join("examples"), &[".journey", ".journey.yaml"])
        .into_iter()
        .filter(|p| p.parent() == Some(root.join("examples").as_path()))
        .collect();
    let mut total = 0;
    for p in &examples {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let alone = stdout(&journey(&["check", &format!("examples/{name}"), "--format", "concise"], &root));
        let together: Vec<&str> = text.lines().filter(|l| l.starts_with(&format!("examples/{name}:"))).collect();
        let alone: Vec<&str> = alone.lines().collect();
        total += alone.len();
        assert_eq!(together, alone, "{name}: `check examples/` differs from checking it alone");
    }
    // nothing else: no finding that exists only because the examples were read together
    assert_eq!(text.lines().count(), total, "{text}");
}
