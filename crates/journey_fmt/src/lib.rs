//! `journey fmt`: the canonical layout of `.journey` files.
//!
//! [`format_source`] parses a file, prints its AST in canonical form and puts every
//! comment back (the `printer` module says where comments go). Before returning, it re-parses
//! its own output and checks that the program and the comments are unchanged; if not,
//! it returns [`FormatError::Internal`] rather than text that would change a journey's
//! meaning or drop a comment. Formatting is idempotent: formatting the output again
//! gives the same text.
//!
//! Only the `.journey` syntax is formatted; `.journey.yaml` files are left to YAML
//! tools.

mod comments;
mod expr;
mod printer;
mod verify;

use journey_diagnostics::{Diagnostic, FileId};
use std::fmt;

/// An expression as `journey fmt` prints it (`src` is the text its spans point
/// into): the one way a condition is shown, in files and in pictures.
pub fn expression(src: &str, e: &journey_syntax::ast::Expr) -> String {
    expr::expr(src, e)
}

/// A step's first line as `journey fmt` prints it (`src` is the text its spans point
/// into): the whole of a one-line step, `wait up to 3d for purchase where amount > $50`
/// for an event wait, `branch` or `split NAME` for a block. The label of the step in
/// pictures of the journey.
pub fn step_line(src: &str, step: &journey_syntax::ast::Step) -> String {
    let opts = FormatOptions::default();
    printer::Printer::new(src, &[], &opts).step_head(step)
}

/// An entry's triggers as `journey fmt` prints them after `entry` (`every sunday at
/// 08:00 local`, `at renewal_date - 3d at 10:00`, `on signup or on trial_started`).
pub fn entry_line(src: &str, entry: &journey_syntax::ast::Entry) -> String {
    let opts = FormatOptions::default();
    printer::Printer::new(src, &[], &opts).triggers(entry)
}

/// A text as a quoted string literal of the language (`"Europe/Berlin"`).
pub fn string_literal(value: &str) -> String {
    expr::string(value)
}

/// Layout settings. The defaults are the canonical style; other values exist for
/// tests and for embedding, not for per-project taste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    /// Spaces per indentation level.
    pub indent: usize,
    /// Lines that can be broken (event property lists) are broken past this width.
    pub max_width: usize,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions { indent: 2, max_width: 100 }
    }
}

/// Why a file was not formatted.
#[derive(Debug, Clone)]
pub enum FormatError {
    /// The file does not parse; its syntax errors, to report as usual.
    Parse(Vec<Diagnostic>),
    /// The formatter's own output failed its safety check (a bug in the formatter):
    /// the file must be left untouched.
    Internal(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Parse(diags) => match diags.first() {
                Some(d) => write!(f, "the file does not parse: {}", d.message),
                None => write!(f, "the file does not parse"),
            },
            FormatError::Internal(why) => {
                write!(f, "internal formatter error, file left unchanged: {why}")
            }
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one `.journey` source file.
///
/// Out-of-range literals (`25:00`, J002) do not stop formatting: the file parses, and
/// such literals are printed exactly as written. Any other diagnostic means the file
/// does not parse and is refused with [`FormatError::Parse`].
pub fn format_source(source: &str, file: FileId, opts: &FormatOptions) -> Result<String, FormatError> {
    // Files as editors write them: a byte-order mark and CRLF line endings are kept as
    // found, so `fmt --check` passes on a Windows-saved file that is otherwise canonical.
    let body = source.strip_prefix('\u{feff}').unwrap_or(source);
    let bom = body.len() != source.len();
    let crlf = body.contains("\r\n");
    if !bom && !crlf {
        return format_canonical(source, file, opts);
    }
    let lf = if crlf { body.replace("\r\n", "\n") } else { body.to_string() };
    match format_canonical(&lf, file, opts) {
        Ok(out) => {
            let out = if crlf { out.replace('\n', "\r\n") } else { out };
            Ok(if bom { format!("\u{feff}{out}") } else { out })
        }
        // the diagnostics must point into the file as it is
        Err(FormatError::Parse(_)) => Err(FormatError::Parse(journey_syntax::parse(source, file).diagnostics)),
        Err(e) => Err(e),
    }
}

/// [`format_source`] of a file with `\n` line endings and no byte-order mark.
fn format_canonical(source: &str, file: FileId, opts: &FormatOptions) -> Result<String, FormatError> {
    let parsed = journey_syntax::parse(source, file);
    if parsed.diagnostics.iter().any(|d| d.code != "J002") {
        return Err(FormatError::Parse(parsed.diagnostics));
    }
    let comments = comments::scan(source);
    let output = printer::Printer::new(source, &comments, opts).module(&parsed.module);
    check(source, &parsed.module, &output, file)?;
    Ok(output)
}

/// The safety net: the output must parse to the same program and hold the same
/// comments as the input.
fn check(source: &str, module: &journey_syntax::ast::Module, output: &str, file: FileId) -> Result<(), FormatError> {
    let reparsed = journey_syntax::parse(output, file);
    if let Some(d) = reparsed.diagnostics.iter().find(|d| d.code != "J002") {
        return Err(FormatError::Internal(format!("the formatted text does not parse: {}", d.message)));
    }
    if !verify::same_meaning(module, &reparsed.module) {
        return Err(FormatError::Internal("the formatted text parses to a different program".to_string()));
    }
    if comments::texts(source) != comments::texts(output) {
        return Err(FormatError::Internal("the formatted text does not keep every comment".to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_against(source: &str, output: &str) -> Result<(), FormatError> {
        let module = journey_syntax::parse(source, FileId(0)).module;
        check(source, &module, output, FileId(0))
    }

    #[test]
    fn safety_net_catches_a_changed_program() {
        let err = check_against("audience a = x and (y or z)", "audience a = x and y or z\n").unwrap_err();
        assert!(matches!(err, FormatError::Internal(m) if m.contains("different program")));
    }

    #[test]
    fn safety_net_catches_a_lost_comment() {
        let err = check_against("event a // keep me", "event a\n").unwrap_err();
        assert!(matches!(err, FormatError::Internal(m) if m.contains("comment")));
    }

    #[test]
    fn safety_net_catches_unparsable_output() {
        assert!(matches!(check_against("event a", "event\n"), Err(FormatError::Internal(_))));
    }
}
