//! Shell completions offer the values of `--format` and the other enums, not file
//! names: the generated scripts list every value.

mod common;
use common::{code, journey, root, stdout};

fn script(shell: &str) -> String {
    let out = journey(&["completions", shell], &root());
    assert_eq!(code(&out), 0, "{shell}");
    stdout(&out)
}

#[test]
fn bash_completes_format_values() {
    let bash = script("bash");
    for values in [
        "human concise json github sarif", // check
        "table json csv ical html",        // calendar
        "text markdown json",              // diff
        "mermaid dot",                     // graph
        "auto always never",               // --color
    ] {
        assert!(bash.contains(&format!("compgen -W \"{values}\"")), "bash completes `{values}`");
    }
}

#[test]
fn fish_completes_format_values_without_files() {
    let fish = script("fish");
    // the entry of `check --format`, whose values follow on continuation lines
    let start = fish.find("__fish_journey_using_subcommand check\" -l format").expect("check --format is completed");
    let rest = &fish[start..];
    let check_format = &rest[..rest[1..].find("\ncomplete ").map_or(rest.len(), |i| i + 1)];
    for v in ["human", "concise", "json", "github", "sarif"] {
        assert!(check_format.contains(v), "{v}: {check_format}");
    }
    assert!(check_format.contains(" -f "), "no file names offered: {check_format}");
}
