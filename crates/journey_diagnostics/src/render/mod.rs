//! Renderers: one [`Diagnostic`] model, many output formats.
//!
//! | [`Format`]  | for            | shape                                                   |
//! |-------------|----------------|---------------------------------------------------------|
//! | `Full`      | people         | rustc-style snippets with labels, help and notes        |
//! | `Concise`   | people, grep   | `path:line:col: error[J301] message`, one line each     |
//! | `Json`      | scripts        | a stable JSON object; schema in [`json`]                |
//! | `Github`    | GitHub Actions | `::error file=…,line=…::message` workflow commands      |
//! | `Sarif`     | code scanning  | SARIF 2.1.0 with every rule of [`crate::RULES`]          |
//!
//! Every renderer sorts diagnostics with [`Diagnostic::sort_key`] (file id, then span,
//! then code and message), so output never depends on the order in which checks ran.
//! File ids follow the order files were added to the [`SourceMap`]; callers add files
//! sorted by path. Lines and columns are one-based and count characters (Unicode scalar
//! values), not bytes, in every format; end columns are exclusive.
//!
//! # Which engine draws `Full`
//!
//! `Full` is drawn by this crate's own renderer (`full.rs`) with or without the `fancy`
//! feature. A miette adapter (`fancy.rs`, `render_miette`) exists behind `fancy`
//! and was compared on the same inputs; the in-house renderer was kept because:
//!
//! * it puts the severity word and the code on the headline (`warning[J301]: …`);
//!   miette prints the bare code on a line of its own and only a symbol (`×`, `⚠`)
//!   before the message;
//! * cross-file labels read as one diagnostic (`-->` for the primary file, `:::` for
//!   each other file), where miette can only show them as separate `related`
//!   reports with their own headers;
//! * notes have a place (`= note:`), miette has none;
//! * it needs no terminal machinery, so the library output (and its snapshots) is the
//!   same whether or not `fancy` is on and does not change with miette releases.
//!
//! miette's own `SourceCode` for strings counts columns in bytes; the adapter supplies
//! its own source type so its `file:line:col` header agrees with the other formats.

use crate::{Diagnostic, Label, SourceFile, SourceMap};
use std::fmt;
use std::str::FromStr;

mod concise;
#[cfg(feature = "fancy")]
mod fancy;
mod full;
mod github;
pub mod json;
mod sarif;

#[cfg(feature = "fancy")]
pub use fancy::{render_miette, MietteDiagnostic};

/// An output format for [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Snippets with labels, for people. Parsed from `full` or `human`.
    #[default]
    Full,
    /// One line per diagnostic.
    Concise,
    /// A JSON object `{version, diagnostics}`; see [`json`].
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
}

impl Format {
    /// Every format, in the order `--help` should list them.
    pub const ALL: [Format; 5] = [Format::Full, Format::Concise, Format::Json, Format::Github, Format::Sarif];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Full => "full",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Github => "github",
            Format::Sarif => "sarif",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Format::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{0}`; expected one of full, human, concise, json, github, sarif")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" | "human" => Ok(Format::Full),
            "concise" => Ok(Format::Concise),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            "sarif" => Ok(Format::Sarif),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Options shared by all renderers (each uses what applies to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours in `Full` and `Concise` output.
    pub color: bool,
    /// Terminal width used to wrap help and notes in `Full` output.
    pub width: usize,
    /// Reported as the tool version in SARIF.
    pub tool_version: String,
    /// How SARIF and GitHub annotations name each file, indexed by [`crate::FileId`]:
    /// relative to the repository root, because that is how code scanning and the
    /// Actions runner find a file. A file without an entry goes by its
    /// [`crate::SourceFile::name`].
    pub artifact_paths: Vec<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            artifact_paths: Vec::new(),
        }
    }
}

/// Render `diags` (in any order) in `format`. Every label's file must be in `sources`.
/// The result ends with a newline unless it is empty (`Full`, `Concise` and `Github`
/// with no diagnostics produce an empty string; `Json` gives `[]`, `Sarif` a run
/// without results).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, format: Format, opts: &RenderOptions) -> String {
    let sorted = sorted(diags);
    match format {
        Format::Full => full::render(&sorted, sources, opts),
        Format::Concise => concise::render(&sorted, sources, opts),
        Format::Json => json::render(&sorted, sources),
        Format::Github => github::render(&sorted, sources, opts),
        Format::Sarif => sarif::render(&sorted, sources, opts),
    }
}

/// The closing line the CLI prints after the diagnostics: `found 2 errors and 1
/// warning`, `found 1 error, 2 warnings and 1 info`, or `no problems found`.
pub fn summary(diags: &[Diagnostic]) -> String {
    use crate::Severity::*;
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    let parts: Vec<String> =
        [(count(Error), "error", "errors"), (count(Warning), "warning", "warnings"), (count(Info), "info", "infos")]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .collect();
    match parts.as_slice() {
        [] => "no problems found".to_string(),
        [one] => format!("found {one}"),
        [init @ .., last] => format!("found {} and {last}", init.join(", ")),
    }
}

/// Repository-relative path of the documentation page of a code: `docs/diagnostics/J301.md`.
pub fn docs_path(code: &str) -> String {
    format!("docs/diagnostics/{code}.md")
}

/// Diagnostics in output order.
fn sorted(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut v: Vec<&Diagnostic> = diags.iter().collect();
    v.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    v
}

/// File name as written in machine formats: the artifact path when the caller gave
/// one, forward slashes.
fn machine_path(sources: &SourceMap, id: crate::FileId, opts: &RenderOptions) -> String {
    let name = opts.artifact_paths.get(id.0 as usize).unwrap_or(&sources.get(id).name);
    name.replace('\\', "/")
}

/// A relative path as a URI reference (RFC 3986): every byte outside the unreserved
/// set and `/` percent-encoded, so `spring sale.journey` becomes
/// `spring%20sale.journey`, as SARIF requires of `artifactLocation.uri`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One-based start and end (exclusive) positions of a label, in characters.
fn label_positions(file: &SourceFile, label: &Label) -> (crate::LineCol, crate::LineCol) {
    let start = clamp_to_char(&file.text, label.span.start as usize);
    let end = clamp_to_char(&file.text, (label.span.end as usize).max(start));
    (file.line_col(start), file.line_col(end))
}

/// Clamp a byte offset into the text and back onto a character boundary.
fn clamp_to_char(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    #[test]
    fn formats_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!("human".parse::<Format>(), Ok(Format::Full));
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn summaries() {
        let d = |s| Diagnostic::new("J301", "x").with_severity(s);
        assert_eq!(summary(&[]), "no problems found");
        assert_eq!(summary(&[d(Severity::Error)]), "found 1 error");
        assert_eq!(
            summary(&[d(Severity::Error), d(Severity::Warning), d(Severity::Error)]),
            "found 2 errors and 1 warning"
        );
        assert_eq!(
            summary(&[d(Severity::Info), d(Severity::Warning), d(Severity::Error)]),
            "found 1 error, 1 warning and 1 info"
        );
    }
}
