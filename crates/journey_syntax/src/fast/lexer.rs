//! The tokens of the grammar, read in place: trivia (`WHITESPACE`, `COMMENT`),
//! literals, keywords and names, each as its pest rule matches it.

use crate::ast::{Ident, Span, StringLit};

/// Where the parser is in the source. `last_end` is the end of the last token read:
/// pest's pairs swallow the trivia after an absent optional part and the lowering trims
/// it again ([`crate::parser::trim_trivia`]), so a node ends on its last token.
pub(crate) struct Lexer<'s> {
    pub src: &'s str,
    pub b: &'s [u8],
    pub pos: usize,
    pub last_end: usize,
    /// Something this parser leaves to pest was seen (a block comment, an out-of-range
    /// literal): the result is thrown away.
    pub declined: bool,
}

/// A position to go back to when a rule does not match.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    last_end: usize,
}

pub(crate) fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The grammar's `reserved` words: never names.
const RESERVED: [&str; 12] =
    ["and", "or", "not", "in", "true", "false", "then", "timeout", "within", "where", "else", "end"];

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str) -> Self {
        let mut l = Lexer { src, b: src.as_bytes(), pos: 0, last_end: 0, declined: false };
        // SOI ~ "\u{FEFF}"?: the byte-order mark is read as a token would be
        if src.starts_with('\u{FEFF}') {
            l.pos = '\u{FEFF}'.len_utf8();
            l.last_end = l.pos;
        }
        l
    }

    pub fn mark(&self) -> Mark {
        Mark { pos: self.pos, last_end: self.last_end }
    }

    pub fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.last_end = m.last_end;
    }

    /// `decline()` as an expression: flags the file for pest and fails the rule.
    pub fn decline<T>(&mut self) -> Option<T> {
        self.declined = true;
        None
    }

    fn peek(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    /// Skip whitespace (space, tab, LF, CR) and `//` comments. A block comment declines:
    /// pest's trimming of spans around one is not worth copying.
    pub fn skip(&mut self) {
        loop {
            match self.peek(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'/') if self.peek(self.pos + 1) == Some(b'/') => {
                    // up to NEWLINE (`\n`, `\r\n` or `\r`), which is whitespace itself
                    self.pos += 2;
                    while let Some(c) = self.peek(self.pos) {
                        if c == b'\n' || c == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.peek(self.pos + 1) == Some(b'*') => {
                    self.declined = true;
                    return;
                }
                _ => return,
            }
        }
    }

    /// Skip trivia and return where the next token starts.
    pub fn start(&mut self) -> usize {
        self.skip();
        self.pos
    }

    /// The span from `start` to the end of the last token read.
    pub fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end)
    }

    fn take(&mut self, len: usize) -> Span {
        let s = Span::new(self.pos, self.pos + len);
        self.pos += len;
        self.last_end = self.pos;
        s
    }

    pub fn at_end(&mut self) -> bool {
        self.start() == self.b.len()
    }

    /// A literal token (`{`, `->`, `..`).
    pub fn sym(&mut self, s: &str) -> Option<Span> {
        self.skip();
        if self.b[self.pos..].starts_with(s.as_bytes()) {
            Some(self.take(s.len()))
        } else {
            None
        }
    }

    fn word_len_at(&self, at: usize, w: &str) -> bool {
        self.b[at..].starts_with(w.as_bytes()) && !self.peek(at + w.len()).is_some_and(is_ident_char)
    }

    /// A keyword: the word, not followed by a name character.
    pub fn kw(&mut self, w: &str) -> Option<Span> {
        self.skip();
        if self.word_len_at(self.pos, w) {
            Some(self.take(w.len()))
        } else {
            None
        }
    }

    /// Is the next token the keyword `w`?
    pub fn at_kw(&mut self, w: &str) -> bool {
        self.skip();
        self.word_len_at(self.pos, w)
    }

    /// Length of the name at `at` (`(ASCII_ALPHA | "_") ~ ident_char*`), reserved or not.
    fn name_len_at(&self, at: usize) -> usize {
        match self.peek(at) {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                1 + self.b[at + 1..].iter().take_while(|&&c| is_ident_char(c)).count()
            }
            _ => 0,
        }
    }

    /// `ident`: a name that is not a reserved word.
    pub fn ident(&mut self) -> Option<Ident> {
        self.skip();
        let n = self.name_len_at(self.pos);
        if n == 0 || RESERVED.contains(&&self.src[self.pos..self.pos + n]) {
            return None;
        }
        let name = self.src[self.pos..self.pos + n].to_string();
        Some(Ident { name, span: self.take(n) })
    }

    /// Number of ASCII digits at `at`.
    pub fn digits_at(&self, at: usize) -> usize {
        self.b[at.min(self.b.len())..].iter().take_while(|c| c.is_ascii_digit()).count()
    }

    /// `decimal` at `at`: its length, 0 when none.
    pub fn decimal_at(&self, at: usize) -> usize {
        let int = self.digits_at(at);
        if int == 0 {
            return 0;
        }
        if self.peek(at + int) == Some(b'.') {
            let frac = self.digits_at(at + int + 1);
            if frac > 0 {
                return int + 1 + frac;
            }
        }
        int
    }

    /// `string`: `"` ~ string_inner ~ `"`, with the value unescaped.
    pub fn string(&mut self) -> Option<StringLit> {
        self.skip();
        if self.peek(self.pos) != Some(b'"') {
            return None;
        }
        let mut i = self.pos + 1;
        loop {
            match self.peek(i) {
                Some(b'"') => break,
                Some(b'\\') => match self.peek(i + 1) {
                    Some(b'"' | b'\\' | b'n' | b't') => i += 2,
                    _ => return None,
                },
                Some(b'\n' | b'\r') | None => return None,
                Some(_) => i += 1,
            }
        }
        let raw = &self.src[self.pos + 1..i];
        let value = crate::parser::unescape(raw);
        Some(StringLit { value, span: self.take(i + 1 - self.pos) })
    }

    /// `integer`: digits not followed by a name character or `.`; its text.
    pub fn integer_text(&mut self) -> Option<(&'s str, Span)> {
        self.skip();
        let n = self.digits_at(self.pos);
        if n == 0 || self.peek(self.pos + n).is_some_and(|c| is_ident_char(c) || c == b'.') {
            return None;
        }
        let text = &self.src[self.pos..self.pos + n];
        Some((text, self.take(n)))
    }

    /// Consume `len` bytes as one token at the current (skipped-to) position.
    pub fn token(&mut self, len: usize) -> (&'s str, Span) {
        let text = &self.src[self.pos..self.pos + len];
        (text, self.take(len))
    }

    pub fn byte(&self, at: usize) -> Option<u8> {
        self.peek(at)
    }
}
