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
    /// issue 15: named scores, and each one's type and lowered value once checked
    /// (`None` while it is being lowered, so a circular definition stops).
    pub scores: BTreeMap<&'a str, Decl<'a, ast::ScoreDecl>>,
    pub score_values: BTreeMap<&'a str, Option<(Option<Type>, journey_ir::Expr)>>,
    pub policies: Vec<Decl<'a, ast::PolicyDecl>>,
    /// Resolved property types per event, and attribute types.
    pub event_props: BTreeMap<&'a str, Vec<(String, Type)>>,
    pub attr_types: BTreeMap<&'a str, Type>,
    /// Audience → audiences its condition mentions, for cycle detection.
    pub audience_deps: BTreeMap<&'a str, Vec<(String, FileId, Span)>>,
    pub currency: String,
    /// The project time zone (journey.yaml `timezone`): a time written without a zone
    /// is in it (docs/language.md), not in each customer's own.
    pub timezone: String,
    /// Declarations that failed to parse: their uses are not reported again.
    pub poison: Poison,
    /// issue 15, accounts: attributes declared `account attribute`, and where the
    /// program reads an account value (`account.seats`, `account.count(…)`), for
    /// the project's J120 when journey.yaml maps no accounts.
    pub account_attrs: std::collections::BTreeSet<&'a str>,
    pub account_reads: Vec<AccountRead>,
    /// issue 15: whether the journey being lowered runs `for account` (a handover
    /// must stay on the same side: customer to customer, account to account).
    pub in_account_journey: bool,
}

/// issue 15, accounts: one read of an account value, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRead {
    pub file: FileId,
    pub span: Span,
    pub text: String,
}

/// The declarations of the program that failed to parse ([`ast::Poisoned`]).
#[derive(Default)]
pub(crate) struct Poison {
    named: std::collections::BTreeSet<(ast::DeclKind, String)>,
    /// Kinds with a broken declaration whose name could not be read.
    unnamed: std::collections::BTreeSet<ast::DeclKind>,
    /// A broken piece that could be any declaration.
    anything: bool,
}

impl Poison {
    pub fn add(&mut self, p: &ast::Poisoned) {
        match (p.kind, &p.name) {
            (Some(kind), Some(name)) => {
                self.named.insert((kind, name.name.clone()));
            }
            (Some(kind), None) => {
                self.unnamed.insert(kind);
            }
            (None, _) => self.anything = true,
        }
    }

    /// Might `name` be declared, as a `kind`, by a declaration that failed to parse?
    pub fn covers(&self, kind: ast::DeclKind, name: &str) -> bool {
        self.anything || self.unnamed.contains(&kind) || self.named.contains(&(kind, name.to_string()))
    }
}

impl<'a> Ctx<'a> {
    pub fn new(sources: &'a SourceMap, currency: &str, timezone: &str) -> Self {
        Ctx {
            sources,
            diags: Vec::new(),
            events: BTreeMap::new(),
            attributes: BTreeMap::new(),
            channels: BTreeMap::new(),
            audiences: BTreeMap::new(),
            journeys: BTreeMap::new(),
            in_account_journey: false,
            scores: BTreeMap::new(),
            score_values: BTreeMap::new(),
            policies: Vec::new(),
            event_props: BTreeMap::new(),
            attr_types: BTreeMap::new(),
            audience_deps: BTreeMap::new(),
            currency: currency.to_string(),
            timezone: timezone.to_string(),
            poison: Poison::default(),
            account_attrs: Default::default(),
            account_reads: Vec::new(),
        }
    }

    pub fn origin(&self, file: FileId, span: Span) -> Origin {
        let f = self.sources.get(file);
        let lc = f.line_col(span.start as usize);
        // `path:line:column`, joined by hand: one per step of every journey, and
        // `format!` was 3% of `journey check` on 1,000 journeys with the step ids
        let mut at = String::with_capacity(f.name.len() + 12);
        at.push_str(&f.name);
        at.push(':');
        push_decimal(&mut at, lc.line as u64);
        at.push(':');
        push_decimal(&mut at, lc.column as u64);
        Origin { at, file, span }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// J101 for an unknown name, with a suggestion drawn from `candidates`.
    pub fn undefined(&mut self, file: FileId, kind: &str, name: &ast::Ident, candidates: &[&str]) {
        let decl_kind = match kind {
            "event" => Some(ast::DeclKind::Event),
            "attribute" | "date attribute" => Some(ast::DeclKind::Attribute),
            "channel" => Some(ast::DeclKind::Channel),
            "audience" => Some(ast::DeclKind::Audience),
            "journey" => Some(ast::DeclKind::Journey),
            "score" => Some(ast::DeclKind::Score),
            _ => None,
        };
        // its declaration failed to parse: that error was reported already
        if decl_kind.is_some_and(|k| self.poison.covers(k, &name.name)) {
            return;
        }
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

/// Append `n` in decimal to `out` (what `write!(out, "{n}")` does, without the
/// formatting machinery).
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

#[cfg(test)]
mod push_decimal_tests {
    #[test]
    fn writes_what_format_writes() {
        for n in [0u64, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut s = String::from("x");
            super::push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }
}
