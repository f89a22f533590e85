//! A lexical scan for comments. The grammar makes comments silent, so the AST never
//! sees them; the formatter finds them again here, by byte range, and re-attaches each
//! one to the node it leads or trails while printing.
//!
//! The scan only has to know what can hide a `//` or `/*`: string literals (which
//! cannot span lines) and comments themselves. No other token contains a slash.

/// One comment of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the first `/`.
    pub start: usize,
    /// Byte offset just past the comment (a line comment stops before its newline and
    /// any trailing blanks).
    pub end: usize,
    /// The comment as it will be printed: line comments lose trailing whitespace
    /// (canonical output never ends a line with spaces), block comments use `\n`
    /// line ends.
    pub text: String,
    /// `/* … */` rather than `// …`.
    pub block: bool,
    /// Nothing but whitespace precedes it on its source line.
    pub own_line: bool,
}

/// Every comment of `source`, in order.
pub fn scan(source: &str) -> Vec<Comment> {
    let bytes = source.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let line_end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                // Trailing blanks (and the `\r` of a CRLF) are not part of the comment.
                let end = i + source[i..line_end].trim_end().len();
                comments.push(comment(source, i, end, false));
                i = line_end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // An unterminated block comment runs to the end of the file; such a
                // file does not parse, so the formatter never prints it anyway.
                let end = source[i + 2..].find("*/").map_or(source.len(), |n| i + 2 + n + 2);
                comments.push(comment(source, i, end, true));
                i = end;
            }
            _ => i += 1,
        }
    }
    comments
}

/// The offset just past the string literal opening at `start` (or the end of its line,
/// for an unterminated one), honouring `\"` and `\\` escapes.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            b'\n' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn comment(source: &str, start: usize, end: usize, block: bool) -> Comment {
    let raw = &source[start..end];
    let text = if block { raw.replace("\r\n", "\n") } else { raw.trim_end().to_string() };
    let line_start = source[..start].rfind('\n').map_or(0, |n| n + 1);
    let own_line = source[line_start..start].trim().is_empty();
    Comment { start, end, text, block, own_line }
}

/// The offset of the first character at or after `pos` that is neither whitespace nor
/// part of a comment: where the next token starts.
pub fn next_token(source: &str, mut pos: usize) -> usize {
    let bytes = source.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                pos = source[pos..].find('\n').map_or(source.len(), |n| pos + n);
            }
            b'/' if bytes.get(pos + 1) == Some(&b'*') => {
                pos = source[pos + 2..].find("*/").map_or(source.len(), |n| pos + 2 + n + 2);
            }
            _ => return pos,
        }
    }
    pos
}

/// Whether the text between two tokens holds at least one empty line, i.e. the author
/// separated them with a blank line. Only the lines strictly inside the gap count: the
/// first and last pieces are the ends of the lines the tokens stand on.
pub fn has_blank_line(gap: &str) -> bool {
    let pieces: Vec<&str> = gap.split('\n').collect();
    pieces.len() > 2 && pieces[1..pieces.len() - 1].iter().any(|p| p.trim().is_empty())
}

/// The comment texts of a source, sorted: the multiset the formatter must preserve.
pub fn texts(source: &str) -> Vec<String> {
    let mut texts: Vec<String> = scan(source).into_iter().map(|c| c.text).collect();
    texts.sort();
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_line_and_block_comments_outside_strings() {
        let src = "event a // one\nsend x \"not // a comment\" /* two\n lines */\n  // three  \n";
        let cs = scan(src);
        let texts: Vec<&str> = cs.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// one", "/* two\n lines */", "// three"]);
        assert_eq!(cs.iter().map(|c| c.own_line).collect::<Vec<_>>(), [false, false, true]);
        assert!(cs[1].block && !cs[0].block);
    }

    #[test]
    fn escaped_quote_does_not_end_a_string() {
        let src = r#"title "say \"hi\" // still string" // real"#;
        let cs = scan(src);
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].text, "// real");
    }

    #[test]
    fn next_token_skips_comments() {
        let src = "a /* x */ // y\n  {";
        assert_eq!(next_token(src, 1), src.len() - 1);
    }

    #[test]
    fn blank_lines() {
        assert!(!has_blank_line(" "));
        assert!(!has_blank_line("\n  "));
        assert!(has_blank_line("\n\n  "));
        assert!(has_blank_line(",\n   \n  "));
    }
}
