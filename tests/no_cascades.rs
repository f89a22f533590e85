//! One mistake, one error. A typo anywhere in a declarations file must cost exactly one
//! new error (its syntax error), never a cascade of "unknown channel" at every use of
//! what the broken declaration declared (issue 13: `cap 4 per week` in the channels
//! file gave 44 errors).
//!
//! Generated over typo positions: at every token of the file, one of four typos
//! (a stray character, a deleted character, a swapped pair, a doubled character),
//! on every `.journey` example of examples/ (every other token), the declarations
//! files of journeys/ and of examples/cdnow (every third token: a whole project is
//! checked per typo). Typos that still parse (a renamed name, a changed number) are a
//! different kind of mistake and are skipped; every typo that breaks the syntax counts.

mod common;
use journey_diagnostics::{Diagnostic, Severity, SourceMap};
use std::path::Path;

/// The errors of a project in which `file` (a display name) reads `text`.
fn errors_with(project: &journey_project::Project, file: &str, text: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    for (id, f) in project.sources.files() {
        let body: &str = if f.name == file { text } else { &f.text };
        let new_id = sources.add(f.name.clone(), body.to_string());
        assert_eq!(new_id, id, "file ids are kept");
        if project.files.iter().any(|j| j.id == id) {
            ids.push(new_id);
        }
    }
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        ..Default::default()
    };
    let checked = journey_check::check_sources(&sources, &ids, &settings);
    let diags = project.config.apply(checked.diagnostics, |id| project.root_relative(id));
    diags.into_iter().filter(|d| d.severity == Severity::Error).collect()
}

/// Where a typo may go: the start of every token outside comments.
fn token_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') || b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        if !b[i].is_ascii_whitespace() && (i == 0 || !word(b[i - 1]) || !word(b[i])) && text.is_char_boundary(i) {
            out.push(i);
        }
        i += 1;
    }
    out
}

/// The `n`th kind of typo at byte `at`.
fn typo(text: &str, at: usize, n: usize) -> String {
    let c = text[at..].chars().next().unwrap();
    let next = at + c.len_utf8();
    match n % 4 {
        0 => format!("{}@{}", &text[..at], &text[at..]),
        1 => format!("{}{}", &text[..at], &text[next..]),
        2 => match text[next..].chars().next() {
            Some(d) if d != c => format!("{}{d}{c}{}", &text[..at], &text[next + d.len_utf8()..]),
            _ => format!("{}{c}{}", &text[..at], &text[at..]),
        },
        _ => format!("{}{c}{}", &text[..at], &text[at..]),
    }
}

/// Error lines (code and message) of `after` that `before` does not have.
fn new_errors(before: &[Diagnostic], after: &[Diagnostic]) -> Vec<String> {
    let mut old: Vec<String> = before.iter().map(|d| format!("[{}] {}", d.code, d.message)).collect();
    let mut out = Vec::new();
    for d in after {
        let line = format!("[{}] {}", d.code, d.message);
        match old.iter().position(|o| *o == line) {
            Some(k) => {
                old.remove(k);
            }
            None => out.push(line),
        }
    }
    out
}

/// Every `stride`th syntax-breaking typo in `file` of the project at `dir`; returns
/// how many ran. `alone`: the file is a project of its own (an example), else the whole project.
fn one_error_per_typo(dir: &Path, file: &str, alone: bool, stride: usize, failures: &mut Vec<String>) -> usize {
    let paths = if alone { vec![std::path::PathBuf::from(file)] } else { Vec::new() };
    let project = journey_project::load(&paths, dir).expect("the project loads");
    let display = project
        .files
        .iter()
        .find(|f| f.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} is not in {}", dir.display()))
        .display
        .clone();
    let original = project.sources.files().find(|(_, f)| f.name == display).unwrap().1.text.to_string();
    let before = errors_with(&project, &display, &original);
    let mut ran = 0;
    for (n, at) in token_starts(&original).into_iter().enumerate() {
        if n % stride != 0 {
            continue;
        }
        let text = typo(&original, at, n);
        if !journey_syntax::parse_file(&display, &text, journey_diagnostics::FileId(0))
            .diagnostics
            .iter()
            .any(|d| d.code == "J001")
        {
            continue; // still parses: not a syntax typo
        }
        ran += 1;
        let after = errors_with(&project, &display, &text);
        let new = new_errors(&before, &after);
        let syntax = after.iter().filter(|d| d.code == "J001").count();
        // a file that had a syntax error already (J001's example): a typo in the same
        // declaration adds nothing, one elsewhere adds its own
        let had = before.iter().filter(|d| d.code == "J001").count();
        let ok = if had == 0 { new.len() == 1 && syntax == 1 } else { new.len() <= 1 && syntax <= had + 1 };
        if !ok {
            let line = original[..at].lines().count().max(1);
            failures.push(format!(
                "{display}:{line} (byte {at}, typo {}): {} new errors\n  {}",
                n % 4,
                new.len(),
                new.join("\n  ")
            ));
        }
    }
    ran
}

#[test]
fn one_typo_in_a_declarations_file_is_one_error() {
    let root = common::root();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (dir, files) in [
        ("journeys", &["schema.journey", "channels.journey", "audiences.journey", "policy.journey"][..]),
        ("examples/cdnow", &["schema.journey", "audiences.journey"][..]),
    ] {
        for f in files {
            // a whole project per typo: every third token (all four typo kinds still turn up,
            // as the kind cycles with the token)
            ran += one_error_per_typo(&root.join(dir), f, false, 3, &mut failures);
        }
    }
    let examples = root.join("examples");
    // `.journey.yaml` files are left out: a YAML shape mistake (J003) can still cost a
    // second error (a journey whose `stages:` key is misspelt has no stages, J310)
    for p in common::files(&examples, &[".journey"]) {
        if p.parent() == Some(examples.as_path()) {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            ran += one_error_per_typo(&examples, &name, true, 2, &mut failures);
        }
    }
    assert!(ran > 500, "only {ran} typos broke the syntax");
    assert!(
        failures.is_empty(),
        "{} of {ran} typos gave other than one error:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
