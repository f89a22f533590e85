//! `path:line:col: error[J301] message`, one line per diagnostic (ruff's concise form).

use super::{
    full::{escape_text, Paint},
    label_positions, RenderOptions,
};
use crate::{Diagnostic, SourceMap};
use std::fmt::Write;

pub(super) fn render(diags: &[&Diagnostic], sources: &SourceMap, opts: &RenderOptions) -> String {
    let paint = Paint(opts.color);
    let mut out = String::new();
    for d in diags {
        if let Some(label) = d.primary_label() {
            let file = sources.get(label.file);
            let (start, _) = label_positions(file, label);
            let loc = format!("{}:{}:{}:", file.name, start.line, start.column);
            let _ = write!(out, "{} ", paint.bold(&loc));
        }
        let head = format!("{}[{}]", d.severity.as_str(), d.code);
        let _ = writeln!(out, "{} {}", paint.severity(d.severity, &head), one_line(&escape_text(&d.message)));
    }
    out
}

/// Messages are meant to be one line; keep the format's promise if one is not.
fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}
