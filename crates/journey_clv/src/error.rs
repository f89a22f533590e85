//! Errors of the CLV crate. Input problems carry the file text and a span so
//! miette renders them as `file:line:col` with the offending field underlined.

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum ClvError {
    // `error`, not `source`: the message already says it (see journey_events::ReadError)
    #[error("cannot read {path}: {error}")]
    #[diagnostic(code(clv::io))]
    Io { path: String, error: std::io::Error },

    #[error("cannot write {path}: {error}")]
    #[diagnostic(code(clv::write))]
    Write { path: String, error: std::io::Error },

    /// The data are well formed but cannot identify the model (no repeat
    /// purchases, no observation time, one customer, constant spend, ...).
    #[error("{model}: {message}")]
    #[diagnostic(code(clv::unidentifiable))]
    Unidentifiable {
        model: &'static str,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// One row of an input file is malformed (boxed: it carries the file text).
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadRow(Box<BadRow>),

    /// A column the mapping names is not in the header.
    #[error("{path}: no column {column:?} in the header")]
    #[diagnostic(code(clv::missing_column))]
    MissingColumn {
        path: String,
        column: String,
        #[help]
        help: Option<String>,
    },

    #[error("{path}: {message}")]
    #[diagnostic(code(clv::empty_input))]
    EmptyInput { path: String, message: String },

    #[error("{0}")]
    #[diagnostic(code(clv::invalid_argument))]
    InvalidArgument(String),

    #[error("{model} fit failed: {message}")]
    #[diagnostic(code(clv::fit_failed))]
    FitFailed { model: &'static str, message: String },
}

/// A malformed row: where it is, what was wrong, and the file text to show it in.
#[derive(Debug, Error, Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(code(clv::bad_row))]
pub struct BadRow {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

pub type Result<T, E = ClvError> = std::result::Result<T, E>;

/// Build a [`ClvError::BadRow`] for the byte range `start..end` of `source`.
pub fn bad_row(
    path: &str,
    source: &str,
    start: usize,
    end: usize,
    message: impl Into<String>,
    label: impl Into<String>,
    help: Option<String>,
) -> ClvError {
    let start = start.min(source.len());
    let end = end.clamp(start, source.len());
    let before = &source[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..start].chars().count() + 1;
    ClvError::BadRow(Box::new(BadRow {
        path: path.to_string(),
        line,
        column,
        message: message.into(),
        src: NamedSource::new(path, source.to_string()),
        span: (start, end.saturating_sub(start).max(if start < source.len() { 1 } else { 0 })).into(),
        label: label.into(),
        help,
    }))
}
