//! Property tests. `format_source` checks its own output (same program, same
//! comments) and fails with `FormatError::Internal` otherwise, so each property only
//! has to ask for success and idempotence on inputs the examples would not think of.

mod common;

use common::{assert_canonical, comment_texts};
use proptest::prelude::*;

// ------------------------------------------------------------ layout perturbations

/// A source cut into tokens (string literals and comments kept whole) and the
/// whitespace after each token.
fn tokens(src: &str) -> Vec<(String, String)> {
    let bytes = src.as_bytes();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if let Some(last) = out.last_mut() {
                last.1.push_str(&src[start..i]);
            }
            continue;
        }
        if bytes[i] == b'"' {
            i += 1;
            while bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(src.len(), |n| i + n);
        } else if src[i..].starts_with("/*") {
            i = i + 2 + src[i + 2..].find("*/").unwrap() + 2;
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'"' && !src[i..].starts_with("//")
            {
                i += 1;
            }
        }
        out.push((src[start..i].to_string(), String::new()));
    }
    out
}

const SEPARATORS: &[&str] = &[" ", "\n", "\n\n\n", "  \t", "\n    ", " /* p */ ", " // q\n", "\n// r\n\n", "/*s*/\n"];

/// The source with every separator between tokens replaced by one of `SEPARATORS`
/// (chosen by `picks`), except where the grammar forbids trivia: inside `500 USD`.
fn perturb(src: &str, picks: &[usize]) -> String {
    let toks = tokens(src);
    let mut out = String::new();
    for (i, (tok, sep)) in toks.iter().enumerate() {
        out.push_str(tok);
        let next_is_currency =
            toks.get(i + 1).is_some_and(|(t, _)| t.len() == 3 && t.chars().all(|c| c.is_ascii_uppercase()));
        if sep.is_empty() || next_is_currency {
            out.push_str(sep);
            continue;
        }
        // A line comment runs to the end of its line: what follows must start a new one.
        if tok.starts_with("//") {
            out.push('\n');
        }
        out.push_str(SEPARATORS[picks[i % picks.len()] % SEPARATORS.len()]);
    }
    out
}

const SAMPLE: &str = include_str!("data/sample.journey");
const MESSY: &str = include_str!("data/messy.journey");

#[test]
fn perturbation_keeps_token_stream_valid() {
    // Sanity check of the generator itself: the all-spaces perturbation parses.
    for src in [SAMPLE, MESSY] {
        let flat = perturb(src, &[0]);
        assert!(journey_syntax::parse(&flat, journey_diagnostics::FileId(0)).diagnostics.is_empty(), "{flat}");
        assert_eq!(comment_texts(&flat), comment_texts(src));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sample_under_any_layout(picks in prop::collection::vec(0usize..SEPARATORS.len(), 1..64)) {
        let src = perturb(SAMPLE, &picks);
        let out = assert_canonical("perturbed sample", &src);
        // Layout changes never change the canonical text beyond where comments went.
        if !src.contains("/*") && !src.contains("//") {
            prop_assert_eq!(out, common::fmt(SAMPLE));
        }
    }

    #[test]
    fn messy_under_any_layout(picks in prop::collection::vec(0usize..SEPARATORS.len(), 1..64)) {
        assert_canonical("perturbed messy", &perturb(MESSY, &picks));
    }
}

// ------------------------------------------------------------ random expressions

/// Random conditions, with parentheses sprinkled at random: some needed, some not.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b.c".to_string()),
        Just("1".to_string()),
        Just("-2.50".to_string()),
        Just("3d".to_string()),
        Just("$5".to_string()),
        Just("10 EUR".to_string()),
        Just("12%".to_string()),
        Just("09:30".to_string()),
        Just("2026-01-31".to_string()),
        Just("true".to_string()),
        Just("\"s \\\"q\\\"\"".to_string()),
        Just("count(e where x > 1, 30d)".to_string()),
        Just("[a, 1]".to_string()),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        let op = prop_oneof![
            Just("or"),
            Just("and"),
            Just("=="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("in"),
            Just("+"),
            Just("-")
        ];
        prop_oneof![
            (inner.clone(), op, inner.clone(), any::<bool>(), any::<bool>()).prop_map(|(l, op, r, pl, pr)| {
                let l = if pl { format!("({l})") } else { l };
                let r = if pr { format!("({r})") } else { r };
                format!("{l} {op} {r}")
            }),
            (inner.clone(), any::<bool>()).prop_map(|(e, p)| if p { format!("not ({e})") } else { format!("not {e}") }),
            inner.prop_map(|e| format!("(({e}))")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn expressions_keep_their_meaning(e in expression()) {
        for src in [
            format!("audience x = {e}"),
            format!("journey j {{ exit when {e} stage s {{ wait until ({e}) branch {{ when {e} -> end }} }} }}"),
        ] {
            assert_canonical("expression", &src);
        }
    }
}
