//! A [`miette::Diagnostic`] adapter over [`Diagnostic`] and miette's graphical handler.
//! Not used for [`super::Format::Full`] (see the module docs for why), but available to
//! callers that want miette's look or need a `miette::Diagnostic` value.

use super::{clamp_to_char, sorted, RenderOptions};
use crate::{Diagnostic, FileId, Severity, SourceFile, SourceMap};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::fmt;

/// A file as miette source code. Unlike miette's `NamedSource<String>`, it reports
/// columns in characters, so the `[file:line:col]` header agrees with other formats.
#[derive(Debug, Clone, Copy)]
struct FileSource<'a>(&'a SourceFile);

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text: &'b str = &self.0.text;
        let inner = text.read_span(span, context_lines_before, context_lines_after)?;
        let column = if context_lines_before == 0 {
            self.0.line_col(clamp_to_char(text, span.offset())).column - 1
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// A [`Diagnostic`] seen as a [`miette::Diagnostic`]. Labels in the primary label's file
/// are drawn on its snippet; labels in each other file become a `related` diagnostic
/// with that file as its source, so both sides of a cross-file conflict are shown.
/// Notes have no place in miette's model and are left to the caller ([`render_miette`]
/// prints them after the report).
pub struct MietteDiagnostic<'a> {
    diag: &'a Diagnostic,
    message: String,
    severity: miette::Severity,
    source: Option<FileSource<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteDiagnostic<'a>>,
    /// A `related` part: no code and no help of its own.
    child: bool,
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn labels_in(diag: &Diagnostic, file: &SourceFile, id: FileId) -> Vec<LabeledSpan> {
    diag.labels
        .iter()
        .filter(|l| l.file == id)
        .map(|l| {
            let start = clamp_to_char(&file.text, l.span.start as usize);
            let end = clamp_to_char(&file.text, (l.span.end as usize).max(start));
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            let span = SourceSpan::from(start..end);
            if l.primary {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })
        .collect()
}

impl<'a> MietteDiagnostic<'a> {
    pub fn new(diag: &'a Diagnostic, sources: &'a SourceMap) -> Self {
        let main = diag.primary_label().map(|l| l.file);
        let mut others: Vec<FileId> = diag.labels.iter().map(|l| l.file).filter(|f| Some(*f) != main).collect();
        others.sort();
        others.dedup();
        let related = others
            .into_iter()
            .map(|id| {
                let file = sources.get(id);
                MietteDiagnostic {
                    diag,
                    message: format!("see also {}", file.name),
                    severity: miette::Severity::Advice,
                    source: Some(FileSource(file)),
                    labels: labels_in(diag, file, id),
                    related: Vec::new(),
                    child: true,
                }
            })
            .collect();
        MietteDiagnostic {
            diag,
            message: diag.message.clone(),
            severity: severity(diag.severity),
            source: main.map(|id| FileSource(sources.get(id))),
            labels: main.map(|id| labels_in(diag, sources.get(id), id)).unwrap_or_default(),
            related,
            child: false,
        }
    }
}

impl fmt::Debug for MietteDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for MietteDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteDiagnostic<'_> {}

impl miette::Diagnostic for MietteDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.child).then(|| Box::new(self.diag.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.child {
            return None;
        }
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

/// Render with miette's graphical handler (unicode theme, no links or URLs), notes as
/// `note:` lines after each report, one blank line between reports.
pub fn render_miette(diags: &[Diagnostic], sources: &SourceMap, opts: &RenderOptions) -> String {
    let theme = if opts.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(opts.width).with_links(false).with_urls(false);
    let mut out = String::new();
    for d in sorted(diags) {
        let mut report = String::new();
        let _ = handler.render_report(&mut report, &MietteDiagnostic::new(d, sources));
        out.push_str(report.trim_end());
        out.push('\n');
        for note in &d.notes {
            out.push_str("  note: ");
            out.push_str(note);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
