//! Docs that pass their own tools (issue 13). Every ```journey block of docs/ parses,
//! is canonical (`journey fmt --check` clean) and, checked together with the other
//! blocks of its page as one program, has no errors; unless its fence says
//! ```journey broken (a page showing a mistake on purpose). The generated example
//! sections of docs/diagnostics/ are checked by tests/examples.rs instead. Inline
//! `entry …` code in prose must parse too: readers copy it.

mod common;
use journey_diagnostics::{FileId, Severity, SourceMap};

struct Block {
    page: String,
    line: usize,
    broken: bool,
    text: String,
}

fn journey_blocks(page: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut generated = false;
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.contains("<!-- example:start") {
            generated = true;
        }
        if line.contains("<!-- example:end") {
            generated = false;
        }
        let Some(info) = line.trim_start().strip_prefix("```journey") else { continue };
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if !generated {
            out.push(Block { page: page.to_string(), line: i + 1, broken: info.contains("broken"), text: body });
        }
    }
    out
}

fn pages() -> Vec<(String, String)> {
    let root = common::root();
    common::files(&root.join("docs"), &[".md"])
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn every_journey_block_in_the_docs_parses_is_canonical_and_checks_clean() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for (page, text) in pages() {
        let blocks = journey_blocks(&page, &text);
        let mut sources = SourceMap::new();
        let mut ids = Vec::new();
        for b in blocks.iter().filter(|b| !b.broken) {
            seen += 1;
            let at = format!("{}:{}", b.page, b.line);
            let parsed = journey_syntax::parse(&b.text, FileId(0));
            if let Some(d) = parsed.diagnostics.first() {
                problems.push(format!("{at}: does not parse: {}", d.message));
                continue;
            }
            match journey_fmt::format_source(&b.text, FileId(0), &journey_fmt::FormatOptions::default()) {
                Ok(out) if out == b.text => {}
                Ok(out) => problems.push(format!("{at}: not canonical; `journey fmt` makes it:\n{out}")),
                Err(e) => problems.push(format!("{at}: {e}")),
            }
            ids.push(sources.add(at, b.text.clone()));
        }
        if ids.is_empty() {
            continue;
        }
        let checked = journey_check::check_sources(&sources, &ids, &journey_check::Settings::default());
        for d in checked.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let at = d.primary_label().map_or(page.clone(), |l| sources.get(l.file).name.clone());
            problems.push(format!("{at}: [{}] {} (the page's blocks checked as one program)", d.code, d.message));
        }
    }
    assert!(seen >= 7, "only {seen} journey blocks in docs/");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn inline_entry_code_in_the_docs_parses() {
    let mut problems = Vec::new();
    let mut seen = 0;
    for (page, text) in pages() {
        for (i, line) in text.lines().enumerate() {
            for (k, span) in line.split('`').enumerate() {
                // odd pieces are inside `code`
                // a syntax summary with placeholders (`entry on EVENT [where COND]`) is not code
                let template = span.contains(['…', '[', '|']) || span.chars().any(|c| c.is_ascii_uppercase());
                if k % 2 == 0 || !span.starts_with("entry ") || template || span.split_whitespace().count() < 3 {
                    continue;
                }
                seen += 1;
                let wrapped = format!("journey j {{\n  {span}\n}}\n");
                let parsed = journey_syntax::parse(&wrapped, FileId(0));
                if let Some(d) = parsed.diagnostics.iter().find(|d| d.code == "J001") {
                    problems.push(format!("{page}:{}: `{span}` does not parse: {}", i + 1, d.message));
                }
            }
        }
    }
    assert!(seen > 0, "no inline entry code found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
