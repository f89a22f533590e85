//! The grammar's `WHITESPACE` matches single characters by range (`" " | '\t'..'\n' |
//! "\r"`) instead of by literal (`" " | "\t" | NEWLINE`), because it runs between
//! every two tokens. This holds the two grammars equal on seeded mutations of the
//! repository's journey files: the same parse trees, and for broken input the same
//! error and the same attempts that J001's message is made of (`expected.rs`: the
//! furthest position, the rules tried there and the literal tokens, without the
//! white-space ones, which neither grammar ever showed).

use pest::Parser;

mod before {
    #[derive(pest_derive::Parser)]
    #[grammar = "../tests/journey_before_whitespace_ranges.pest"]
    pub struct Before;
}

mod after {
    #[derive(pest_derive::Parser)]
    #[grammar = "../../grammar/journey.pest"]
    pub struct After;
}

/// What a parse tells J001 and the lowering, with rules by name (the two grammars have
/// two `Rule` types).
fn outcome<R: pest::RuleType>(result: Result<pest::iterators::Pairs<'_, R>, pest::error::Error<R>>) -> String {
    match result {
        Ok(pairs) => pairs.flatten().map(|p| format!("{:?} {:?}\n", p.as_rule(), p.as_span())).collect(),
        Err(e) => {
            let mut s = format!("error at {:?}: {:?}\n", e.location, e.variant);
            if let Some(a) = e.parse_attempts() {
                s += &format!("furthest {}\n", a.max_position);
                for t in a.expected_tokens() {
                    let t = t.to_string();
                    let is_range = t.chars().count() == 4 && t.chars().nth(1) == Some('.');
                    if !(is_range || t == "BUILTIN_RULE" || t.trim().is_empty() || t == "//" || t == "/*") {
                        s += &format!("token {t:?}\n");
                    }
                }
                for c in a.call_stacks() {
                    if let Some(r) = c.deepest.get_rule() {
                        s += &format!("rule {r:?}\n");
                    }
                }
            }
            s
        }
    }
}

fn both(source: &str, detail: bool) -> (String, String) {
    pest::set_error_detail(detail);
    let b = outcome(before::Before::parse(before::Rule::file, source));
    let a = outcome(after::After::parse(after::Rule::file, source));
    pest::set_error_detail(false);
    (b, a)
}

fn sources() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["journeys", "examples", "tests/projects/b2b/journeys"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|e| e == "journey") {
                out.push(std::fs::read_to_string(&p).expect("read a journey file"));
            }
        }
    }
    out
}

#[test]
fn whitespace_by_range_parses_as_whitespace_by_literal() {
    let files = sources();
    assert!(files.len() > 20, "found {} journey files", files.len());
    let inserts =
        [" ", "\t", "\n", "\r", "\r\n", "\u{b}", "\u{c}", "/", "//", "/*", "*/", "{", "}", "\"", "x", "1", "é"];
    let mut seed = 0x3e11_u64;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut broken = 0;
    for (k, file) in files.iter().enumerate() {
        let (b, a) = both(file, false);
        assert_eq!(b, a, "file {k} as it is");
        for round in 0..12 {
            let mut text = file.clone();
            // line endings swapped for CRLF or CR in some rounds, then a few edits
            match round % 4 {
                1 => text = text.replace('\n', "\r\n"),
                2 => text = text.replace('\n', "\r"),
                _ => {}
            }
            for _ in 0..1 + next(3) {
                let mut at = next(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if next(3) == 0 {
                    let mut end = (at + 1 + next(4)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                } else {
                    text.insert_str(at, inserts[next(inserts.len())]);
                }
            }
            for detail in [false, true] {
                let (b, a) = both(&text, detail);
                assert_eq!(b, a, "file {k}, round {round}, detail {detail}:\n{text}");
                broken += usize::from(b.starts_with("error"));
            }
        }
    }
    assert!(broken > 100, "only {broken} broken cases");
}
