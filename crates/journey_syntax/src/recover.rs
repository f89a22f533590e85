//! Error recovery at declaration granularity. When a file does not parse, it is cut
//! into top-level declarations (each starts on a line of its own at column 0, as
//! `journey fmt` lays them out) and every piece is parsed alone: the pieces that parse
//! are kept, the others become [`Poisoned`] declarations that still declare their kind
//! and name. A typo in one channel then costs one error, not one per send on it.

use crate::ast::{DeclKind, Ident, Poisoned, Span};

/// A top-level piece of a file: a byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
}

/// Cut `source` where a line starts at column 0 with a letter (outside block comments):
/// declarations start there. A misspelt keyword (`chanel`) still starts a piece, so it
/// cannot swallow the declaration before it. The first piece starts at 0.
pub(crate) fn chunks(source: &str) -> Vec<Chunk> {
    let bytes = source.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    let mut in_block = false;
    let mut in_string = false;
    let mut line_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        if line_start && !in_block && b.is_ascii_alphabetic() && i > 0 {
            starts.push(i);
        }
        line_start = false;
        match b {
            b'\n' => {
                line_start = true;
                in_string = false; // strings never span lines
            }
            _ if in_block => {
                if b == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    in_block = false;
                    i += 1;
                }
            }
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                // a line comment: skip to the end of the line
                while i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                    i += 1;
                }
            }
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'*') => {
                in_block = true;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    starts.dedup();
    let mut out: Vec<Chunk> = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(source.len());
        out.push(Chunk { start: s, end: e });
    }
    out
}

/// What a piece that failed to parse declares: every `keyword name` at brace depth 0
/// (two declarations may share a piece when a newline went missing). A misspelt
/// keyword leading the piece is read as the keyword it is closest to; failing that,
/// the piece may declare anything.
pub(crate) fn poisoned(source: &str, chunk: Chunk) -> Vec<Poisoned> {
    let text = &source[chunk.start..chunk.end];
    let span = Span::new(chunk.start, chunk.start + crate::parser::trim_trivia(text).len());
    let words = top_level_words(text);
    let mut out = Vec::new();
    for (k, &(at, word)) in words.iter().enumerate() {
        let kind = DeclKind::ALL.into_iter().find(|d| d.keyword() == word).or_else(|| {
            // only the piece's leading word may be a misspelt keyword
            if k == 0 {
                DeclKind::ALL.into_iter().find(|d| close(d.keyword(), word))
            } else {
                None
            }
        });
        let Some(kind) = kind else {
            if k == 0 {
                out.push(Poisoned { kind: None, name: None, span });
            }
            continue;
        };
        let name = if kind == DeclKind::Policy {
            None
        } else {
            name_after(text, at + word.len()).map(|(s, n)| Ident {
                name: n.to_string(),
                span: Span::new(chunk.start + s, chunk.start + s + n.len()),
            })
        };
        out.push(Poisoned { kind: Some(kind), name, span });
    }
    if out.is_empty() {
        out.push(Poisoned { kind: None, name: None, span });
    }
    out
}

/// One edit (insert, delete, replace or swap of neighbours) apart.
fn close(keyword: &str, word: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (keyword.chars().collect(), word.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return a == b;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    let longest = a.len().max(b.len());
    if prefix + suffix + 1 >= longest {
        return true;
    }
    // a swap of two neighbours
    a.len() == b.len() && prefix + 2 + suffix == a.len() && a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix]
}

/// The name that follows a keyword, when it is a whole, valid name: `em@il` is not
/// (the mistake is in the name, so which name is meant is unknown).
fn name_after(text: &str, from: usize) -> Option<(usize, &str)> {
    let rest = &text[from..];
    let skipped = rest.len() - rest.trim_start().len();
    let start = from + skipped;
    let token_end =
        text[start..].find(|c: char| c.is_whitespace() || "{}=:(".contains(c)).map_or(text.len(), |e| start + e);
    let token = &text[start..token_end];
    let valid = token.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some((start, token))
}

/// Words at brace depth 0, outside strings and comments, with their offsets.
fn top_level_words(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            _ if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let after_word_char = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] > 127);
                if depth == 0 && !after_word_char {
                    out.push((start, word));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_column_zero_words_only() {
        let src = "// c\nchannel a {\n  cap 1 per 1d\n}\n/*\nchannel x\n*/\nchanel b { }\n";
        let c = chunks(src);
        let starts: Vec<&str> = c.iter().map(|c| src[c.start..c.end].lines().next().unwrap()).collect();
        assert_eq!(starts, vec!["// c", "channel a {", "chanel b { }"]);
    }

    #[test]
    fn reads_kind_and_name_of_a_broken_piece() {
        let src = "channel email {\n  cap 4 per week\n}\n";
        let p = poisoned(src, Chunk { start: 0, end: src.len() });
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, Some(DeclKind::Channel));
        assert_eq!(p[0].name.as_ref().unwrap().name, "email");
        let p = poisoned("chanel sms {", Chunk { start: 0, end: 12 });
        assert_eq!((p[0].kind, p[0].name.as_ref().map(|n| n.name.as_str())), (Some(DeclKind::Channel), Some("sms")));
        let p = poisoned("channel em@il {", Chunk { start: 0, end: 15 });
        assert_eq!((p[0].kind, p[0].name.is_none()), (Some(DeclKind::Channel), true));
        let p = poisoned("xyzzy", Chunk { start: 0, end: 5 });
        assert_eq!((p[0].kind, p[0].name.is_none()), (None, true));
        let src = "channel a {\n}channel b {";
        let names: Vec<String> = poisoned(src, Chunk { start: 0, end: src.len() })
            .into_iter()
            .filter_map(|p| p.name.map(|n| n.name))
            .collect();
        assert_eq!(names, vec!["a", "b"]);
    }
}
