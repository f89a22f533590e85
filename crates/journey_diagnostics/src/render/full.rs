//! The `full` format: rustc-style snippets.
//!
//! ```text
//! error[J102]: stage `remind` is defined twice
//!   --> journeys/winback.journey:12:9
//!    |
//!  4 |   stage remind {
//!    |         ------ first defined here
//! ...
//! 12 |   stage remind {
//!    |         ^^^^^^ defined again here
//!   ::: journeys/other.journey:3:1
//!    |
//!  3 | stage remind {
//!    | ------------ also used here
//!    |
//!    = help: rename one of the stages
//!    = note: stage names are local to a journey
//! ```
//!
//! `^` marks primary labels, `-` secondary ones. A label spanning lines is drawn in a
//! margin (`/`, `|`, `|_^`). Tabs expand to the next multiple of four columns and wide
//! characters take two, so markers line up under the text in a terminal; the
//! `line:col` in the `-->` line counts characters, like every other format.

use super::{clamp_to_char, RenderOptions};
use crate::{Diagnostic, FileId, Label, Severity, SourceFile, SourceMap};
use std::borrow::Cow;
use std::fmt::Write;

const TAB_WIDTH: usize = 4;
/// Multi-line labels longer than this show their first and last two lines only.
const MAX_SPAN_LINES: usize = 5;
/// Source lines wider than this (a minified or generated file, a multi-megabyte
/// string) are shown as a window of this many columns around their labels.
const MAX_LINE_COLUMNS: usize = 120;
/// Columns kept before the first label of a windowed line.
const WINDOW_LEAD: usize = 40;

/// How a character that must not reach the terminal as itself is shown: NUL, and the
/// bidirectional controls that can make a line read differently from what it is
/// ("Trojan Source"), as `\0` and `\u{202e}`.
pub(super) fn escaped(c: char) -> Option<String> {
    match c {
        '\0' => Some("\\0".to_string()),
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some(format!("\\u{{{:x}}}", c as u32))
        }
        _ => None,
    }
}

/// `s` with [`escaped`] characters replaced, for messages printed as they are.
pub(super) fn escape_text(s: &str) -> std::borrow::Cow<'_, str> {
    if !may_need_escaping(s) || !s.chars().any(|c| escaped(c).is_some()) {
        return s.into();
    }
    escape_chars(s).into()
}

/// [`escape_text`] character by character (also the oracle of its byte shortcut).
fn escape_chars(s: &str) -> String {
    s.chars().map(|c| escaped(c).unwrap_or_else(|| c.to_string())).collect()
}

/// Could `s` hold an [`escaped`] character? Looked for in bytes: NUL, or the lead
/// bytes of U+061C (`D8 9C`) and of U+200E-U+200F, U+202A-U+202E and U+2066-U+2069
/// (`E2 80 ..`, `E2 81 ..`). Most messages are ASCII, many others hold only arrows
/// (`→`, `E2 86 92`), and neither needs a look at its characters one by one.
fn may_need_escaping(s: &str) -> bool {
    let b = s.as_bytes();
    // ASCII (checked a word at a time) can only hold NUL (found by `memchr`)
    if s.is_ascii() {
        return b.contains(&0);
    }
    b.iter().enumerate().any(|(i, &x)| match x {
        0 => true,
        0xD8 => b.get(i + 1) == Some(&0x9C),
        0xE2 => matches!(b.get(i + 1), Some(0x80 | 0x81)),
        _ => false,
    })
}

/// ANSI colouring that is a no-op when colour is off.
#[derive(Clone, Copy)]
pub(super) struct Paint(pub bool);

impl Paint {
    /// `s` itself without colour: most runs print to a file or a CI log, and a copy of
    /// every piece of every line was a fifth of the rendering.
    fn wrap<'s>(self, codes: &str, s: &'s str) -> Cow<'s, str> {
        if self.0 && !s.is_empty() {
            format!("\x1b[{codes}m{s}\x1b[0m").into()
        } else {
            s.into()
        }
    }
    pub(super) fn bold(self, s: &str) -> Cow<'_, str> {
        self.wrap("1", s)
    }
    pub(super) fn severity(self, sev: Severity, s: &str) -> Cow<'_, str> {
        self.wrap(severity_codes(sev), s)
    }
    fn style(self, style: Style, sev: Severity, s: &str) -> Cow<'_, str> {
        match style {
            Style::Plain => s.into(),
            Style::Primary => self.severity(sev, s),
            Style::Secondary | Style::Gutter => self.wrap("1;34", s),
        }
    }
}

fn severity_codes(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Primary,
    Secondary,
    Gutter,
}

/// A row of styled cells, for the lines drawn under source text.
struct Row(Vec<(char, Style)>);

impl Default for Row {
    /// Room for a terminal's width: a row grown cell run by cell run was reallocated
    /// several times (there is one or more per line of output).
    fn default() -> Self {
        Row(Vec::with_capacity(ROW_CAPACITY))
    }
}

const ROW_CAPACITY: usize = 128;

impl Row {
    fn put(&mut self, col: usize, s: &str, style: Style) {
        // grown once for the whole of `s`, not cell by cell (and not at all for nothing)
        let end = col + s.chars().count();
        if end == col {
            return;
        }
        if self.0.len() < end {
            self.0.resize(end, (' ', Style::Plain));
        }
        for (cell, c) in self.0[col..end].iter_mut().zip(s.chars()) {
            *cell = (c, style);
        }
    }
    fn end(&self) -> usize {
        self.0.len()
    }
    /// Append the row, trailing blanks trimmed, to `out` after a space (neither when
    /// the row is blank): what `emit` printed as `" {body}"` with `body` from
    /// [`Self::paint`], without building `body` (rows are most of the output).
    fn paint_into(&self, out: &mut String, paint: Paint, sev: Severity) {
        if paint.0 {
            let body = self.paint(paint, sev);
            if !body.is_empty() {
                out.push(' ');
                out.push_str(&body);
            }
            return;
        }
        let start = out.len();
        out.push(' ');
        out.extend(self.0.iter().map(|c| c.0));
        // only the row is trimmed: `start` follows the gutter's `|`
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
    }
    fn paint(&self, paint: Paint, sev: Severity) -> String {
        if !paint.0 {
            // without colour every style draws its characters as they are
            let mut out: String = self.0.iter().map(|c| c.0).collect();
            out.truncate(out.trim_end().len());
            return out;
        }
        let mut out = String::new();
        let mut cells = self.0.as_slice();
        while let Some(&(_, style)) = cells.first() {
            let n = cells.iter().take_while(|c| c.1 == style).count();
            let run: String = cells[..n].iter().map(|c| c.0).collect();
            out.push_str(&paint.style(style, sev, &run));
            cells = &cells[n..];
        }
        out.trim_end().to_string()
    }
}

/// Display width of a character (tabs are handled by the caller).
fn char_width(c: char) -> usize {
    let cp = c as u32;
    match cp {
        0..=0x1F | 0x7F..=0x9F => 0,
        // combining marks, zero-width space/joiners, variation selectors
        0x300..=0x36F | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0x20D0..=0x20FF => 0,
        // CJK, Hangul, full-width forms, emoji
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// Width of `s` when it starts at column `col`, tabs expanded.
fn advance(s: &str, mut col: usize) -> usize {
    // nearly every line is ASCII: its bytes are its characters (widths as below)
    if s.is_ascii() {
        for b in s.bytes() {
            col += match b {
                b'\t' => TAB_WIDTH - col % TAB_WIDTH,
                0 => 2, // `\0`
                0x01..=0x1F | 0x7F => 0,
                _ => 1,
            };
        }
        return col;
    }
    advance_chars(s, col)
}

/// [`advance`] character by character (also the oracle of its ASCII shortcut).
fn advance_chars(s: &str, mut col: usize) -> usize {
    for c in s.chars() {
        col += match escaped(c) {
            Some(e) => e.len(),
            None if c == '\t' => TAB_WIDTH - col % TAB_WIDTH,
            None => char_width(c),
        };
    }
    col
}

/// The line with tabs expanded, NUL and bidirectional controls escaped and other
/// control characters dropped.
fn expand(line: &str) -> String {
    if is_plain(line) {
        return line.to_string();
    }
    expand_chars(line)
}

/// Printable ASCII (most lines): nothing to expand, escape or drop.
fn is_plain(line: &str) -> bool {
    line.bytes().all(|b| (0x20..0x7F).contains(&b))
}

/// [`expand`] character by character (also the oracle of its ASCII shortcut).
fn expand_chars(line: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in line.chars() {
        if let Some(e) = escaped(c) {
            col += e.len();
            out.push_str(&e);
        } else if c == '\t' {
            let n = TAB_WIDTH - col % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else if char_width(c) > 0 || !c.is_control() {
            out.push(c);
            col += char_width(c);
        }
    }
    out
}

/// The columns of a source line that are shown: all of it, or, when it is wider than
/// [`MAX_LINE_COLUMNS`], a window from a little before its first label, with `…`
/// where it is cut, so a multi-megabyte line is never echoed.
struct Window {
    lo: usize,
    hi: usize,
    width: usize,
}

impl Window {
    /// The window of `text` for labels from display column `focus` on.
    fn of(text: &str, focus: usize) -> Window {
        let width = advance(text, 0);
        if width <= MAX_LINE_COLUMNS {
            return Window { lo: 0, hi: width, width };
        }
        let lo = focus.saturating_sub(WINDOW_LEAD).min(width - MAX_LINE_COLUMNS);
        Window { lo, hi: lo + MAX_LINE_COLUMNS, width }
    }

    fn lead(&self) -> usize {
        usize::from(self.lo > 0)
    }

    /// Where display column `col` of the line is drawn (columns outside the window at
    /// its edges).
    fn col(&self, col: usize) -> usize {
        col.clamp(self.lo, self.hi) - self.lo + self.lead()
    }

    /// Append the shown part of `line` to `out`: [`Self::show`] of the [`expand`]ed
    /// line, without copying a line that needs no expanding and is shown whole.
    fn show_into(&self, out: &mut String, line: &str) {
        if self.lo == 0 && self.hi >= self.width && is_plain(line) {
            out.push_str(line);
        } else {
            out.push_str(&self.show(expand(line)));
        }
    }

    /// The shown part of the line, already [`expand`]ed.
    fn show(&self, expanded: String) -> String {
        if self.lo == 0 && self.hi >= self.width {
            return expanded;
        }
        let mut out = String::new();
        if self.lo > 0 {
            out.push('…');
        }
        let mut col = 0;
        for c in expanded.chars() {
            let w = char_width(c);
            if col >= self.lo && col + w <= self.hi {
                out.push(c);
            }
            col += w;
            if col >= self.hi {
                break;
            }
        }
        if self.hi < self.width {
            out.push('…');
        }
        out
    }
}

/// The block's labels with columns moved into the windows of their lines.
fn windowed<'a>(labels: &[Placed<'a>], windows: &std::collections::BTreeMap<usize, Window>) -> Vec<Placed<'a>> {
    labels
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l.start_col = windows[&l.start_line].col(l.start_col);
            l.end_col = windows[&l.end_line].col(l.end_col);
            if !l.multiline() && l.end_col <= l.start_col {
                l.end_col = l.start_col + 1;
            }
            l
        })
        .collect()
}

/// A label located in lines and display columns.
#[derive(Clone)]
struct Placed<'a> {
    start_line: usize,
    end_line: usize,
    /// Display column where the label starts on its first line.
    start_col: usize,
    /// Display column just past the label on its last line.
    end_col: usize,
    primary: bool,
    message: std::borrow::Cow<'a, str>,
    /// A multi-line label starting at the first non-blank character of its line is
    /// drawn with `/`; otherwise with `_^` under its start.
    slash: bool,
}

impl Placed<'_> {
    fn multiline(&self) -> bool {
        self.start_line != self.end_line
    }
    fn style(&self) -> Style {
        if self.primary {
            Style::Primary
        } else {
            Style::Secondary
        }
    }
    fn marker(&self) -> &'static str {
        if self.primary {
            "^"
        } else {
            "-"
        }
    }
    /// Lines shown for this label.
    fn lines(&self) -> Vec<usize> {
        let (s, e) = (self.start_line, self.end_line);
        if e - s < MAX_SPAN_LINES {
            (s..=e).collect()
        } else {
            vec![s, s + 1, e - 1, e]
        }
    }
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

fn place<'a>(file: &SourceFile, label: &'a Label) -> Placed<'a> {
    let text = &*file.text;
    let start = clamp_to_char(text, label.span.start as usize);
    let mut end = clamp_to_char(text, (label.span.end as usize).max(start));
    // A span that takes in its line ending ends on that line, not the next one.
    while end > start && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let start_line = file.line_of(start);
    let end_line = file.line_of(end);
    let s_line_start = line_start(text, start);
    let e_line_start = line_start(text, end);
    let before = &text[s_line_start..start];
    let start_col = advance(before, 0);
    let mut end_col = advance(&text[e_line_start..end], 0);
    if start_line == end_line && end_col <= start_col {
        end_col = start_col + 1; // an empty span still gets one marker
    }
    Placed {
        start_line,
        end_line,
        start_col,
        end_col,
        primary: label.primary,
        message: escape_text(&label.message),
        slash: before.trim().is_empty(),
    }
}

/// Labels of one file drawn together. Multi-line labels share one margin, so a block
/// holds multi-line labels whose lines do not overlap.
struct Block<'a> {
    labels: Vec<Placed<'a>>,
}

impl Block<'_> {
    fn fits(&self, p: &Placed) -> bool {
        !p.multiline()
            || self
                .labels
                .iter()
                .filter(|l| l.multiline())
                .all(|l| l.end_line < p.start_line || p.end_line < l.start_line)
    }
    fn has_margin(&self) -> bool {
        self.labels.iter().any(Placed::multiline)
    }
    fn multiline_at(&self, line: usize) -> Option<&Placed<'_>> {
        self.labels.iter().find(|l| l.multiline() && l.start_line <= line && line <= l.end_line)
    }
}

pub(super) fn render(diags: &[&Diagnostic], sources: &SourceMap, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        render_one(&mut out, d, sources, opts);
        out.push('\n');
        if i + 1 == SAMPLED {
            out.reserve(expected_rest(out.len(), SAMPLED, diags.len()));
        }
    }
    out
}

/// Diagnostics rendered before the output's size is estimated.
const SAMPLED: usize = 16;

/// Room for the rest of the output, judged from the first `done` of `total`
/// diagnostics (a quarter more, for longer ones later). Thousands of diagnostics
/// make megabytes of text: grown by doubling, the string was copied again and again
/// (a seventh of the rendering).
fn expected_rest(len: usize, done: usize, total: usize) -> usize {
    (len / done).saturating_mul(total - done).saturating_mul(5) / 4
}

fn render_one(out: &mut String, d: &Diagnostic, sources: &SourceMap, opts: &RenderOptions) {
    let paint = Paint(opts.color);
    let sev = d.severity;
    if paint.0 {
        let head = format!("{}[{}]", sev.as_str(), d.code);
        let _ =
            writeln!(out, "{}{}", paint.severity(sev, &head), paint.bold(&format!(": {}", escape_text(&d.message))));
    } else {
        let _ = writeln!(out, "{}[{}]: {}", sev.as_str(), d.code, escape_text(&d.message));
    }

    // Files in order: the primary label's file first, then the others by id.
    let primary = d.primary_label();
    let mut files: Vec<FileId> = d.labels.iter().map(|l| l.file).collect();
    files.sort();
    files.dedup();
    if let Some(p) = primary {
        files.retain(|f| *f != p.file);
        files.insert(0, p.file);
    }

    let groups: Vec<(FileId, Vec<Placed>)> = files
        .iter()
        .map(|&f| {
            let file = sources.get(f);
            let mut placed: Vec<Placed> = d.labels.iter().filter(|l| l.file == f).map(|l| place(file, l)).collect();
            placed.sort_by_key(|p| (p.start_line, p.start_col, p.end_line, p.end_col));
            (f, placed)
        })
        .collect();

    let width =
        groups.iter().flat_map(|(_, ps)| ps.iter().map(|p| p.end_line)).max().map_or(1, |n| n.to_string().len());
    let pad = " ".repeat(width);
    let bar = paint.style(Style::Gutter, sev, "|");

    for (i, (f, placed)) in groups.into_iter().enumerate() {
        let file = sources.get(f);
        let file_text = &*file.text;
        // Where this file's part is: the primary label, else its first label.
        let anchor = match primary {
            Some(p) if i == 0 => p,
            _ => d.labels.iter().filter(|l| l.file == f).min_by_key(|l| (l.span.start, l.span.end)).unwrap(),
        };
        let at = file.line_col(clamp_to_char(file_text, anchor.span.start as usize));
        let arrow = if i == 0 { "-->" } else { ":::" };
        let _ =
            writeln!(out, "{pad}{} {}:{}:{}", paint.style(Style::Gutter, sev, arrow), file.name, at.line, at.column);
        let _ = writeln!(out, "{pad} {bar}");

        let mut blocks: Vec<Block> = Vec::new();
        for p in placed {
            match blocks.iter_mut().find(|b| b.fits(&p)) {
                Some(b) => b.labels.push(p),
                None => blocks.push(Block { labels: vec![p] }),
            }
        }
        for (bi, block) in blocks.iter().enumerate() {
            if bi > 0 {
                let _ = writeln!(out, "...");
            }
            render_block(out, block, file, &pad, paint, sev);
        }
    }

    let notes = d.help.iter().map(|h| ("help", h)).chain(d.notes.iter().map(|n| ("note", n)));
    let mut first = true;
    for (kind, text) in notes {
        if first && !d.labels.is_empty() {
            let _ = writeln!(out, "{pad} {bar}");
        }
        first = false;
        let label = format!("{kind}: ");
        let indent = width + 3 + label.len();
        let first = format!("{pad} {} {}", paint.style(Style::Gutter, sev, "="), paint.bold(&label));
        wrap_into(out, &escape_text(text), opts.width.saturating_sub(indent), &first, indent);
    }
}

fn render_block(out: &mut String, block: &Block, file: &SourceFile, pad: &str, paint: Paint, sev: Severity) {
    let margin = block.has_margin();
    let mut lines: Vec<usize> = block.labels.iter().flat_map(Placed::lines).collect();
    lines.sort();
    lines.dedup();
    let windows: std::collections::BTreeMap<usize, Window> = lines
        .iter()
        .map(|&line| {
            let starts = block.labels.iter().filter(|l| l.start_line == line).map(|l| l.start_col);
            let ends = block
                .labels
                .iter()
                .filter(|l| l.multiline() && l.end_line == line)
                .map(|l| l.end_col.saturating_sub(1));
            (line, Window::of(file.line_text(line), starts.chain(ends).min().unwrap_or(0)))
        })
        .collect();
    let block = &Block { labels: windowed(&block.labels, &windows) };
    let bar = paint.style(Style::Gutter, sev, "|");
    // Rows under the source are drawn in cells: column 0 is the margin (if any), the
    // source text starts at `text_at`.
    let text_at = if margin { 2 } else { 0 };

    let mut prev: Option<usize> = None;
    for &line in &lines {
        if prev.is_some_and(|p| line > p + 1) {
            let _ = writeln!(out, "...");
        }
        prev = Some(line);
        let ml = block.multiline_at(line);

        // The source line.
        // written into `out` and trimmed there (the gutter ends in `|`, which stops
        // the trim), not built as a string of its own
        let row_start = out.len();
        let row = &mut *out;
        if paint.0 {
            let _ = write!(row, "{} {bar} ", paint.style(Style::Gutter, sev, &format!("{line:>w$}", w = pad.len())));
        } else {
            let _ = write!(row, "{line:>w$} {bar} ", w = pad.len());
        }
        if margin {
            let m = match ml {
                Some(l) if l.start_line == line && l.slash => "/",
                Some(l) if l.start_line == line => " ",
                Some(_) => "|",
                None => " ",
            };
            let style = ml.map_or(Style::Plain, Placed::style);
            row.push_str(&paint.style(style, sev, m));
            row.push(' ');
        }
        windows[&line].show_into(row, file.line_text(line));
        let kept = out[row_start..].trim_end().len();
        out.truncate(row_start + kept);
        out.push('\n');

        // Prefix of the rows drawn under this line: gutter plus margin.
        let under_margin = |row: &mut Row| {
            if let Some(l) = ml {
                if line > l.start_line || l.slash {
                    row.put(0, "|", l.style());
                }
            }
        };
        let emit = |out: &mut String, row: &Row| {
            out.push_str(pad);
            out.push(' ');
            out.push_str(&bar);
            row.paint_into(out, paint, sev);
            out.push('\n');
        };

        // Single-line labels on this line, rustc style: markers (and the rightmost
        // label's message) on one row, the other messages hanging below.
        let singles: Vec<&Placed> = block.labels.iter().filter(|l| !l.multiline() && l.start_line == line).collect();
        if !singles.is_empty() {
            let mut row = Row::default();
            under_margin(&mut row);
            for l in singles.iter().filter(|l| !l.primary).chain(singles.iter().filter(|l| l.primary)) {
                row.put(text_at + l.start_col, &l.marker().repeat(l.end_col - l.start_col), l.style());
            }
            let last = singles.last().unwrap();
            if !last.message.is_empty() {
                let at = row.end() + 1;
                row.put(at, &last.message, last.style());
            }
            emit(out, &row);
            let hanging: Vec<&&Placed> =
                singles[..singles.len() - 1].iter().filter(|l| !l.message.is_empty()).collect();
            if !hanging.is_empty() {
                let mut row = Row::default();
                under_margin(&mut row);
                for l in &hanging {
                    row.put(text_at + l.start_col, "|", l.style());
                }
                emit(out, &row);
                for k in (0..hanging.len()).rev() {
                    let mut row = Row::default();
                    under_margin(&mut row);
                    for l in &hanging[..k] {
                        row.put(text_at + l.start_col, "|", l.style());
                    }
                    row.put(text_at + hanging[k].start_col, &hanging[k].message, hanging[k].style());
                    emit(out, &row);
                }
            }
        }

        // Start and end of a multi-line label.
        if let Some(l) = ml {
            if line == l.start_line && !l.slash {
                let mut row = Row::default();
                row.put(1, &"_".repeat(l.start_col + 1), l.style());
                row.put(text_at + l.start_col, l.marker(), l.style());
                emit(out, &row);
            }
            if line == l.end_line {
                let mut row = Row::default();
                let caret = text_at + l.end_col.saturating_sub(1);
                row.put(0, "|", l.style());
                row.put(1, &"_".repeat(caret - 1), l.style());
                row.put(caret, l.marker(), l.style());
                if !l.message.is_empty() {
                    row.put(caret + 2, &l.message, l.style());
                }
                emit(out, &row);
            }
        }
    }
}

/// The lines of [`wrap`] written straight into `out`, each ended by a newline, the
/// first after `first` and the others after `indent` spaces. Notes are a third of the
/// rendering (witness histories are long): a string per line and a vector of them
/// were most of that.
fn wrap_into(out: &mut String, text: &str, width: usize, first: &str, indent: usize) {
    let mut lines = 0;
    let mut start_line = |out: &mut String| {
        if lines == 0 {
            out.push_str(first);
        } else {
            out.extend(std::iter::repeat_n(' ', indent));
        }
        lines += 1;
    };
    for para in text.split('\n') {
        start_line(out);
        if width == 0 {
            out.push_str(para.trim_end());
            out.push('\n');
            continue;
        }
        // characters on the line so far, and whether it has a word yet
        let mut chars = 0;
        let mut empty = true;
        let ascii = para.is_ascii() && !para.contains('\x0b');
        let words: Box<dyn Iterator<Item = &str>> =
            if ascii { Box::new(para.split_ascii_whitespace()) } else { Box::new(para.split_whitespace()) };
        for word in words {
            let n = if ascii { word.len() } else { word.chars().count() };
            if !empty && chars + 1 + n > width {
                out.push('\n');
                start_line(out);
                chars = 0;
                empty = true;
            }
            if !empty {
                out.push(' ');
                chars += 1;
            }
            out.push_str(word);
            chars += n;
            empty = false;
        }
        out.push('\n');
    }
}

/// Greedy word wrap to `width` characters (0: no wrapping); explicit newlines are kept.
/// (The oracle of [`wrap_into`].)
#[cfg(test)]
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        if width == 0 {
            out.push(para.trim_end().to_string());
            continue;
        }
        let mut line = String::new();
        // characters in `line`, kept as it grows rather than counted again per word
        let mut chars = 0;
        // ASCII without vertical tabs (the one ASCII space `split_ascii_whitespace`
        // keeps) splits the same way byte by byte, and its words are as long as their
        // bytes
        let ascii = para.is_ascii() && !para.contains('\x0b');
        let words: Box<dyn Iterator<Item = &str>> =
            if ascii { Box::new(para.split_ascii_whitespace()) } else { Box::new(para.split_whitespace()) };
        for word in words {
            let n = if ascii { word.len() } else { word.chars().count() };
            if !line.is_empty() && chars + 1 + n > width {
                out.push(std::mem::take(&mut line));
                chars = 0;
            }
            if !line.is_empty() {
                line.push(' ');
                chars += 1;
            }
            line.push_str(word);
            chars += n;
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(advance("\tab", 0), 6);
        assert_eq!(advance("a\tb", 0), 5);
        assert_eq!(advance("é中", 0), 3);
        assert_eq!(expand("a\tb"), "a   b");
    }

    /// The shortcuts for ASCII text (and for rows without colour) against the plain
    /// character-by-character forms they replace, on seeded random text mixing
    /// ASCII, tabs, NUL and other controls, bidirectional controls, wide and
    /// combining characters, spaces and line breaks.
    #[test]
    fn ascii_shortcuts_agree_with_the_plain_forms() {
        fn wrap_plain(text: &str, width: usize) -> Vec<String> {
            let mut out = Vec::new();
            for para in text.split('\n') {
                if width == 0 {
                    out.push(para.trim_end().to_string());
                    continue;
                }
                let mut line = String::new();
                for word in para.split_whitespace() {
                    if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                        out.push(std::mem::take(&mut line));
                    }
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                }
                out.push(line);
            }
            out
        }
        let alphabet = [
            "a", "Z", "0", " ", " ", "\t", "\0", "\x01", "\x1b", "\x7f", "\n", "\r", "é", "中", "\u{202e}", "\u{0301}",
            "\u{200b}", "\u{85}", "\u{3000}", "word", "~", "😀", "→", "\u{61c}", "\u{2067}", "\u{200e}", "\u{2069}",
            "\u{2070}", "\u{2029}", "\u{60c}", "\x0b", "\x0c", "\u{a0}",
        ];
        let ascii: Vec<&str> = alphabet.iter().copied().filter(|a| a.is_ascii()).collect();
        let mut seed = 0x0dd_c0de_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        for round in 0..20_000 {
            // half the cases plain ASCII, where the shortcuts apply
            let ascii_only = round % 2 == 0;
            let len = next(30);
            let text: String = (0..len)
                .map(|_| if ascii_only { ascii[next(ascii.len())] } else { alphabet[next(alphabet.len())] })
                .collect();
            let col = next(9);
            assert_eq!(advance(&text, col), advance_chars(&text, col), "{text:?} at {col}");
            assert_eq!(expand(&text), expand_chars(&text), "{text:?}");
            assert_eq!(escape_text(&text), escape_chars(&text), "{text:?}");
            let width = next(12);
            assert_eq!(wrap(&text, width), wrap_plain(&text, width), "{text:?} in {width}");
            let mut written = String::new();
            wrap_into(&mut written, &text, width, "> ", 3);
            let expected: String = wrap(&text, width)
                .iter()
                .enumerate()
                .map(|(j, line)| format!("{}{line}\n", if j == 0 { "> " } else { "   " }))
                .collect();
            assert_eq!(written, expected, "{text:?} in {width}");
            let mut row = Row::default();
            let styles = [Style::Plain, Style::Primary, Style::Secondary, Style::Gutter];
            for piece in text.split('\n') {
                row.put(next(20), piece, styles[next(4)]);
            }
            let mut plain_row = Row::default();
            for (piece, (at, style)) in text.split('\n').zip(row_puts(&text, &mut next)) {
                let mut fast = std::mem::take(&mut plain_row);
                let mut slow = Row(fast.0.clone());
                fast.put(at, piece, styles[style]);
                for (i, c) in piece.chars().enumerate() {
                    if slow.0.len() <= at + i {
                        slow.0.resize(at + i + 1, (' ', Style::Plain));
                    }
                    slow.0[at + i] = (c, styles[style]);
                }
                assert!(fast.0 == slow.0, "put {piece:?} at {at}");
                plain_row = fast;
            }
            let coloured_off = Paint(false);
            let plain: String = {
                let mut out = String::new();
                let mut cells = row.0.as_slice();
                while let Some(&(_, style)) = cells.first() {
                    let n = cells.iter().take_while(|c| c.1 == style).count();
                    let run: String = cells[..n].iter().map(|c| c.0).collect();
                    out.push_str(&coloured_off.style(style, Severity::Error, &run));
                    cells = &cells[n..];
                }
                out.trim_end().to_string()
            };
            assert_eq!(row.paint(coloured_off, Severity::Error), plain, "{text:?}");
            // the row written in place against `emit`'s former `" {body}"`
            for paint in [coloured_off, Paint(true)] {
                let body = row.paint(paint, Severity::Error);
                let mut written = String::from("7 |");
                row.paint_into(&mut written, paint, Severity::Error);
                let spaced = if body.is_empty() { "" } else { " " };
                assert_eq!(written, format!("7 |{spaced}{body}"), "{text:?}");
            }
            let line = text.split('\n').next().unwrap_or("");
            let window = Window::of(line, next(200));
            let mut shown = String::new();
            window.show_into(&mut shown, line);
            assert_eq!(shown, window.show(expand(line)), "{line:?}");
        }
    }

    fn row_puts(text: &str, next: &mut impl FnMut(usize) -> usize) -> Vec<(usize, usize)> {
        text.split('\n').map(|_| (next(20), next(4))).collect()
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("one two three four", 9), vec!["one two", "three", "four"]);
        assert_eq!(wrap("a\nb", 0), vec!["a", "b"]);
    }
}
