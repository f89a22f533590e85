//! The `json` format: a stable, pretty-printed (2-space indent) JSON object holding
//! the format's [`JSON_VERSION`] and one object per diagnostic, in output order,
//! followed by a newline. Its JSON Schema is docs/schemas/check.schema.json.
//!
//! # JSON schema
//!
//! ```text
//! {
//!   "version": 1,                              // JSON_VERSION
//!   "diagnostics": [
//!   {
//!     "code":     "J301",                      // stable code from RULES
//!     "name":     "unreachable-stage",         // rule name, or null for an unknown code
//!     "severity": "error" | "warning" | "info",
//!     "message":  "stage `nudge` is never reached",
//!     "file":     "journeys/winback.journey",  // file of the primary label, or null
//!     "span":     { "start": 120, "end": 125 },// byte offsets of the primary label, or null
//!     "start":    { "line": 7, "column": 9 },  // one-based; columns count characters; or null
//!     "end":      { "line": 7, "column": 14 }, // exclusive end; or null
//!     "labels": [                              // every label, primary ones included, as given
//!       {
//!         "file": "journeys/winback.journey",
//!         "message": "no path leads here",     // may be ""
//!         "primary": true,
//!         "span":  { "start": 120, "end": 125 },
//!         "start": { "line": 7, "column": 9 },
//!         "end":   { "line": 7, "column": 14 }
//!       }
//!     ],
//!     "help":  "remove the stage or add a `then nudge`", // or null
//!     "notes": ["..."],                                   // possibly empty
//!     "url":   "docs/diagnostics/J301.md"                 // repository-relative docs page, or null for an unknown code
//!   }
//!   ]
//! }
//! ```
//!
//! Keys always appear, in this order; new keys may be added at the end of an object
//! (and to the published schema in the same change), existing ones will not change
//! meaning without a new [`JSON_VERSION`].

use super::{docs_path, label_positions};
use crate::{rules, Diagnostic, Label, LineCol, Severity, SourceMap};
use serde::Serialize;

/// The version of this JSON format: bumped when a key is removed or renamed, or a
/// value changes type or meaning (docs/schemas/README.md).
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: Option<&'static str>,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    span: Option<JsonSpan>,
    start: Option<JsonPos>,
    end: Option<JsonPos>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
    url: Option<String>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    message: &'a str,
    primary: bool,
    span: JsonSpan,
    start: JsonPos,
    end: JsonPos,
}

#[derive(Serialize, Clone, Copy)]
struct JsonSpan {
    start: u32,
    end: u32,
}

#[derive(Serialize, Clone, Copy)]
struct JsonPos {
    line: usize,
    column: usize,
}

impl From<LineCol> for JsonPos {
    fn from(lc: LineCol) -> Self {
        JsonPos { line: lc.line, column: lc.column }
    }
}

fn label<'a>(sources: &'a SourceMap, l: &'a Label) -> JsonLabel<'a> {
    let file = sources.get(l.file);
    let (start, end) = label_positions(file, l);
    JsonLabel {
        file: &file.name,
        message: &l.message,
        primary: l.primary,
        span: JsonSpan { start: l.span.start, end: l.span.end },
        start: start.into(),
        end: end.into(),
    }
}

pub(super) fn render(diags: &[&Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let rule = rules::lookup(d.code).filter(|r| r.code == d.code);
            let primary = d.primary_label().map(|l| label(sources, l));
            JsonDiagnostic {
                code: d.code,
                name: rule.map(|r| r.name),
                severity: d.severity,
                message: &d.message,
                file: primary.as_ref().map(|p| p.file),
                span: primary.as_ref().map(|p| p.span),
                start: primary.as_ref().map(|p| p.start),
                end: primary.as_ref().map(|p| p.end),
                labels: d.labels.iter().map(|l| label(sources, l)).collect(),
                help: d.help.as_deref(),
                notes: &d.notes,
                url: rule.map(|r| docs_path(r.code)),
            }
        })
        .collect();
    let report = JsonReport { version: JSON_VERSION, diagnostics: items };
    let mut out = serde_json::to_string_pretty(&report).expect("diagnostics serialize to JSON");
    out.push('\n');
    out
}
