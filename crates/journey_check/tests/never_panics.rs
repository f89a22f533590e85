//! Parsing and checking must never panic, whatever the input: random text, random
//! edits of real journeys, token soup, and absurd nesting all come back as
//! diagnostics.

use journey_diagnostics::SourceMap;
use proptest::prelude::*;

fn check_text(texts: &[String]) {
    let mut sources = SourceMap::new();
    let ids: Vec<_> = texts.iter().enumerate().map(|(i, t)| sources.add(format!("f{i}.journey"), t.as_str())).collect();
    let _ = journey_check::check_sources(&sources, &ids, &journey_check::Settings::default());
}

fn library() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../journeys");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "journey"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

const TOKENS: &[&str] = &[
    "journey",
    "stage",
    "event",
    "channel",
    "audience",
    "policy",
    "entry",
    "on",
    "when",
    "send",
    "wait",
    "up",
    "to",
    "for",
    "then",
    "timeout",
    "branch",
    "split",
    "goto",
    "end",
    "goal",
    "within",
    "assume",
    "guardrail",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "==",
    "->",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "3d",
    "25:00",
    "09:00",
    "50%",
    "150%",
    "+3pp",
    "$5",
    "500 USD",
    "\"x\"",
    "x",
    "purchase",
    "email",
    "count",
    "sum",
    "since",
    "a.b",
    "0d",
    "//c\n",
    "/*",
    "*/",
    "\n",
    "2026-02-30",
    "99999999999999999999999d",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        check_text(&[text]);
    }

    #[test]
    fn token_soup(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..120)) {
        check_text(&[tokens.join(" ")]);
    }

    #[test]
    fn edits_of_the_library(file in 0usize..64, at in any::<prop::sample::Index>(), cut in 0usize..40, insert in proptest::sample::select(TOKENS)) {
        let mut lib = library();
        let i = file % lib.len();
        let text = &lib[i];
        let mut pos = at.index(text.len() + 1);
        while !text.is_char_boundary(pos) { pos -= 1; }
        let mut end = (pos + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        lib[i] = format!("{}{}{}", &text[..pos], insert, &text[end..]);
        check_text(&lib);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    for open in ["(", "[", "{"] {
        let text = format!("audience a = {}x", open.repeat(100_000));
        let mut sources = SourceMap::new();
        let id = sources.add("deep.journey", text.as_str());
        let checked = journey_check::check_sources(&sources, &[id], &journey_check::Settings::default());
        assert!(checked.diagnostics.iter().any(|d| d.code == "J001"), "{open}");
    }
    // a 20,000-part chain would be as deep as it is long: refused with a diagnostic
    let text = format!("attribute x: number\naudience a = {}", vec!["x > 1"; 20_000].join(" and "));
    let mut sources = SourceMap::new();
    let id = sources.add("long.journey", text.as_str());
    let checked = journey_check::check_sources(&sources, &[id], &journey_check::Settings::default());
    assert!(checked.diagnostics.iter().any(|d| d.code == "J001" && d.message.contains("more than 256 parts")));
    // while 200 parts are fine
    check_text(&[format!("attribute x: number\naudience a = {}", vec!["x > 1"; 200].join(" and "))]);
}
