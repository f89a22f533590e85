use crate::source::{FileId, Span};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported but never fails a run.
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A labelled span. The primary label marks where the problem is; secondary labels
/// give context (the other definition of a duplicate, the other journey of a conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// One finding. Messages are lowercase, one line, without a trailing period; the help
/// line says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code from [`crate::rules::RULES`], e.g. `J301`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// A cross-journey finding on audiences that only *may* overlap (shown with a
    /// witness history): journey.yaml's `may_overlap:` sets its severity.
    pub may_overlap: bool,
}

impl Diagnostic {
    /// A diagnostic with the rule's default severity.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        let severity = crate::rules::lookup(code).map_or(Severity::Error, |r| r.default_severity);
        Diagnostic {
            code,
            severity,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            may_overlap: false,
        }
    }
    pub fn primary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { file, span, message: message.into(), primary: true });
        self
    }
    pub fn secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { file, span, message: message.into(), primary: false });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    /// Mark as a finding on audiences that only may overlap.
    pub fn may_overlap(mut self) -> Self {
        self.may_overlap = true;
        self
    }
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
    /// The label that locates the diagnostic (first primary, else first label).
    pub fn primary_label(&self) -> Option<&Label> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first())
    }
    /// Deterministic order for output: by file, position, then code and message.
    pub fn sort_key(&self) -> (u32, u32, u32, &'static str, &str) {
        let (f, s, e) = self.primary_label().map_or((u32::MAX, 0, 0), |l| (l.file.0, l.span.start, l.span.end));
        (f, s, e, self.code, &self.message)
    }
}
