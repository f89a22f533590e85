//! Helpers shared by the integration tests.
#![allow(dead_code)]

use journey_diagnostics::FileId;
use journey_fmt::{format_source, FormatOptions};

pub fn fmt(source: &str) -> String {
    match format_source(source, FileId(0), &FormatOptions::default()) {
        Ok(out) => out,
        Err(e) => panic!("formatting failed: {e}\n--- input ---\n{source}"),
    }
}

/// The sorted comment texts of a source (line comments without trailing blanks).
pub fn comment_texts(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if source[i..].starts_with("//") {
            let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
            out.push(source[i..end].trim_end().to_string());
            i = end;
        } else if source[i..].starts_with("/*") {
            let end = source[i + 2..].find("*/").map_or(source.len(), |n| i + 2 + n + 2);
            out.push(source[i..end].to_string());
            i = end;
        } else {
            i += 1;
        }
    }
    out.sort();
    out
}

/// Formats, checks idempotence and comment preservation, returns the formatted text.
pub fn assert_canonical(name: &str, source: &str) -> String {
    let once = fmt(source);
    let twice = fmt(&once);
    if once != twice {
        let line = once.lines().zip(twice.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let context = |text: &str| text.lines().skip(line.saturating_sub(3)).take(6).collect::<Vec<_>>().join("\n");
        panic!(
            "{name}: formatting is not idempotent (line {})\n--- once ---\n{}\n--- twice ---\n{}\n--- input ---\n{source}",
            line + 1,
            context(&once),
            context(&twice)
        );
    }
    assert_eq!(comment_texts(source), comment_texts(&once), "{name}: comments changed");
    once
}
