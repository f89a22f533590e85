//! A pre-pass that refuses absurdly deep nesting before pest sees it. pest parses by
//! recursive descent, so ten thousand `(` would overflow the stack; real journeys nest
//! a few levels, and a clear error beats a crash.

use crate::ast::Span;
use journey_diagnostics::{Diagnostic, FileId};

pub const MAX_NESTING: usize = 64;

pub fn check_nesting(source: &str, file: FileId) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // skip the string, honouring escapes; an unterminated string is the
                // grammar's problem, not ours
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new("J001", format!("nesting deeper than {MAX_NESTING} levels"))
                            .primary(file, Span::new(i, i + 1), "too deep")
                            .help("split the condition into named audiences"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}
