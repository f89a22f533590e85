//! The symbol tables of one program and the diagnostics collected while checking it.

use crate::suggest;
use journey_diagnostics::{Diagnostic, FileId, SourceMap, Span};
use journey_ir::{Origin, Type};
use journey_syntax::ast;
use std::collections::BTreeMap;

/// A declaration and the file it lives in.
pub(crate) struct Decl<'a, T> {
    pub file: FileId,
    pub node: &'a T,
}

impl<T> Clone for Decl<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Decl<'_, T> {}

pub(crate) struct Ctx<'a> {
    pub sources: &'a SourceMap,
    pub diags: Vec<Diagnostic>,
    pub events: BTreeMap<&'a str, Decl<'a, ast::EventDecl>>,
    pub attributes: BTreeMap<&'a str, Decl<'a, ast::AttributeDecl>>,
    pub channels: BTreeMap<&'a str, Decl<'a, ast::ChannelDecl>>,
    pub audiences: BTreeMap<&'a str, Decl<'a, ast::AudienceDecl>>,
    pub journeys: BTreeMap<&'a str, Decl<'a, ast::JourneyDecl>>,
    pub policies: Vec<Decl<'a, ast::PolicyDecl>>,
    /// Resolved property types per event, and attribute types.
    pub event_props: BTreeMap<&'a str, Vec<(String, Type)>>,
    pub attr_types: BTreeMap<&'a str, Type>,
    /// Audience → audiences its condition mentions, for cycle detection.
    pub audience_deps: BTreeMap<&'a str, Vec<(String, FileId, Span)>>,
    pub currency: String,
}

impl<'a> Ctx<'a> {
    pub fn new(sources: &'a SourceMap, currency: &str) -> Self {
        Ctx {
            sources,
            diags: Vec::new(),
            events: BTreeMap::new(),
            attributes: BTreeMap::new(),
            channels: BTreeMap::new(),
            audiences: BTreeMap::new(),
            journeys: BTreeMap::new(),
            policies: Vec::new(),
            event_props: BTreeMap::new(),
            attr_types: BTreeMap::new(),
            audience_deps: BTreeMap::new(),
            currency: currency.to_string(),
        }
    }

    pub fn origin(&self, file: FileId, span: Span) -> Origin {
        let f = self.sources.get(file);
        let lc = f.line_col(span.start as usize);
        Origin { at: format!("{}:{}:{}", f.name, lc.line, lc.column), file, span }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// J101 for an unknown name, with a suggestion drawn from `candidates`.
    pub fn undefined(&mut self, file: FileId, kind: &str, name: &ast::Ident, candidates: &[&str]) {
        let help = suggest::help_for(kind, &name.name, candidates);
        self.push(
            Diagnostic::new("J101", format!("unknown {kind} `{}`", name.name))
                .primary(file, name.span, format!("no {kind} named `{}`", name.name))
                .help(help),
        );
    }

    pub fn event_names(&self) -> Vec<&'a str> {
        self.events.keys().copied().collect()
    }
    pub fn channel_names(&self) -> Vec<&'a str> {
        self.channels.keys().copied().collect()
    }
    pub fn journey_names(&self) -> Vec<&'a str> {
        self.journeys.keys().copied().collect()
    }
}

/// Insert a declaration, reporting J102 when the name is taken.
pub(crate) fn declare<'a, T>(
    diags: &mut Vec<Diagnostic>,
    table: &mut BTreeMap<&'a str, Decl<'a, T>>,
    kind: &str,
    name: &'a ast::Ident,
    file: FileId,
    node: &'a T,
    name_of: impl Fn(&T) -> Span,
) {
    if let Some(prev) = table.get(name.name.as_str()) {
        diags.push(
            Diagnostic::new("J102", format!("{kind} `{}` is defined twice", name.name))
                .primary(file, name.span, "defined again here")
                .secondary(prev.file, name_of(prev.node), "first defined here")
                .help(format!("rename one of them; all files of a repository share one namespace for {kind}s")),
        );
        return;
    }
    table.insert(&name.name, Decl { file, node });
}
