//! Oracle of the hand-written parser (`src/fast`): on every journey file of the
//! repository, every journey code block of the docs, a generated repository and
//! seeded mutations of all of them, it either declines or gives exactly pest's AST
//! (spans included), and it declines whenever pest reports anything.
//!
//! `JOURNEY_FAST_MUTATIONS=n` sets the mutations per source (default 40).

// the benches' generator, whose lints are the benches' business
#[path = "../../../benches/support/generate.rs"]
#[allow(dead_code, clippy::manual_is_multiple_of, clippy::write_literal)]
mod generate;

use journey_diagnostics::FileId;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The fast parser declines `source`, or agrees with pest on it. True when it accepted.
fn agrees(source: &str, what: &str) -> bool {
    let Some(fast) = journey_syntax::parse_fast(source) else { return false };
    let pest = journey_syntax::parse_with_pest(source, FileId(0));
    assert!(
        pest.diagnostics.is_empty(),
        "{what}: the fast parser accepted a file pest rejects ({:?})\n---\n{source}",
        pest.diagnostics.first().map(|d| &d.message)
    );
    assert!(pest.module == fast, "{what}: the ASTs differ\n---\n{source}");
    true
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every `.journey` file of the repository, and every ```journey block of its docs.
fn corpus() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    files_under(&repo_root(), &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        if name.ends_with(".journey") {
            if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((name, text));
            }
        } else if name.ends_with(".md") && (name.contains("/docs/") || name.ends_with("README.md")) {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for (i, block) in journey_blocks(&text).into_iter().enumerate() {
                out.push((format!("{name} block {i}"), block));
            }
        }
    }
    out
}

fn journey_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        let t = line.trim_start();
        match &mut current {
            None if t.starts_with("```journey") && !t.starts_with("```journey.yaml") => current = Some(String::new()),
            Some(b) if t.starts_with("```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn generated() -> Vec<(String, String)> {
    // one directory per call: the tests of this binary run at once in one process, and
    // one's clean-up must not delete the files another is reading
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("journey_fast_parser_{}_{call}", std::process::id()));
    generate::repository(&dir, 60, 40, 11).expect("generate");
    let mut paths = Vec::new();
    files_under(&dir.join("journeys"), &mut paths);
    paths.sort();
    let out = paths.iter().map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn real_files_parse_as_pest_parses_them() {
    let corpus = corpus();
    assert!(corpus.len() > 100, "the corpus was not found: {} sources", corpus.len());
    let accepted = corpus.iter().filter(|(name, text)| agrees(text, name)).count();
    let clean =
        corpus.iter().filter(|(_, t)| journey_syntax::parse_with_pest(t, FileId(0)).diagnostics.is_empty()).count();
    eprintln!("fast parser: {accepted} of {} sources ({clean} parse cleanly)", corpus.len());
    // most clean files are the common case (those with block comments go to pest)
    assert!(accepted * 10 >= clean * 8, "only {accepted} of {clean} clean sources taken");
}

#[test]
fn generated_files_are_all_taken() {
    for (name, text) in generated() {
        assert!(agrees(&text, &name), "{name}: the fast parser declined a generated file");
    }
}

/// A different project than journeys/: the B2B one, every file taken and equal.
#[test]
fn b2b_project_is_taken() {
    let mut paths = Vec::new();
    files_under(&repo_root().join("tests/projects/b2b"), &mut paths);
    let journeys: Vec<_> = paths.iter().filter(|p| p.extension().is_some_and(|e| e == "journey")).collect();
    assert!(!journeys.is_empty());
    for p in journeys {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(agrees(&text, &p.display().to_string()), "{}: declined", p.display());
    }
}

/// SplitMix64, seeded: the mutations are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Byte ranges of the tokens of `s`, roughly: runs of name characters, single other
/// characters, whitespace left out.
fn tokens(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else {
            i += 1;
            while i < b.len() && !s.is_char_boundary(i) {
                i += 1;
            }
        }
        out.push((start, i));
    }
    out
}

/// Pieces spliced in: every keyword-ish word, operator and literal shape.
const PIECES: &[&str] = &[
    " or ",
    " and ",
    " not ",
    " is set",
    " is not set",
    " in ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "..",
    "->",
    "==",
    "<=",
    ">",
    "-",
    "+",
    "*",
    "/",
    "%",
    "$",
    "\"",
    "\\",
    "//",
    "/*",
    "*/",
    " where ",
    " within ",
    " then ",
    " timeout ",
    " else ",
    " end",
    " on ",
    " when ",
    " every ",
    " at ",
    " audience ",
    " entered",
    "3d",
    "25:00",
    "10:30",
    "2026-02-30",
    "2026-12-24",
    "99999999999999999999",
    "44 USD",
    "1.5",
    "-2",
    "\t",
    "\r\n",
    "\u{feff}",
    " account.",
    " sum(",
    " business days",
    " wait ",
    " send email \"x\"",
    " stage s {",
    " true",
    " false",
    " local",
    // characters outside ASCII and the odd whitespace: the grammar's own notion of
    // whitespace and identifiers must be the fast parser's too
    "\u{a0}",
    "\u{2028}",
    "\u{3000}",
    "\r",
    "\u{b}",
    "\u{c}",
    "\0",
    "\u{202e}",
    "é",
    "名前",
    "\"é名\"",
    "\"\\u{1F600}\"",
    "\"\\n\"",
    "#",
    "'",
    "`",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let toks = tokens(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = text.to_string();
    match rng.below(8) {
        0 if !toks.is_empty() => {
            let (s, e) = toks[rng.below(toks.len())];
            out.replace_range(s..e, "");
        }
        1 if !toks.is_empty() => {
            let (s, e) = toks[rng.below(toks.len())];
            out.insert_str(e, &format!(" {}", &text[s..e]));
        }
        2 if toks.len() > 1 => {
            let a = toks[rng.below(toks.len())];
            let b = toks[rng.below(toks.len())];
            let (a, b) = if a.0 <= b.0 { (a, b) } else { (b, a) };
            if a.1 <= b.0 {
                out = format!(
                    "{}{}{}{}{}",
                    &text[..a.0],
                    &text[b.0..b.1],
                    &text[a.1..b.0],
                    &text[a.0..a.1],
                    &text[b.1..]
                );
            }
        }
        3 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            out = lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| *l).collect();
        }
        4 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            out = lines.iter().enumerate().flat_map(|(j, l)| if j == i { vec![*l, *l] } else { vec![*l] }).collect();
        }
        5 if lines.len() > 1 => {
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            let mut ls = lines.clone();
            ls.swap(i, j);
            out = ls.concat();
        }
        _ => {
            let piece = PIECES[rng.below(PIECES.len())];
            let at = if toks.is_empty() || rng.below(2) == 0 {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                at
            } else {
                let (s, e) = toks[rng.below(toks.len())];
                if rng.below(2) == 0 {
                    s
                } else {
                    e
                }
            };
            out.insert_str(at, piece);
        }
    }
    out
}

#[test]
fn mutated_files_are_declined_or_parsed_as_pest_parses_them() {
    let per: usize = std::env::var("JOURNEY_FAST_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let mut sources = corpus();
    sources.extend(generated().into_iter().take(12));
    let mut rng = Rng(0x5eed_f457);
    let (mut tried, mut accepted) = (0, 0);
    for (name, text) in &sources {
        let mut current = text.clone();
        for i in 0..per {
            // chains of mutations now and then, from the original otherwise
            current = mutate(if rng.below(3) == 0 { &current } else { text }, &mut rng);
            tried += 1;
            if agrees(&current, &format!("{name}, mutation {i}")) {
                accepted += 1;
            }
        }
    }
    eprintln!("mutations: {accepted} of {tried} taken by the fast parser");
    assert!(accepted > 0 && accepted < tried);
}
