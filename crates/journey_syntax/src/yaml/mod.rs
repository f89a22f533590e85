//! The YAML front-end: `*.journey.yaml` files lowered to the same AST as `.journey`
//! files. The shape is documented in `docs/yaml.md`.
//!
//! # How it works
//!
//! * **One positioned parser.** The YAML is read with `saphyr-parser`, an event parser
//!   that gives every scalar a start and end position; [`tree`] turns its events into a
//!   small node tree with byte spans. serde_yaml is not used: it keeps no positions for
//!   values that parse fine, and a second parse would only add a second set of error
//!   messages.
//! * **The structure is YAML, the leaves are the DSL.** Mappings and lists give the
//!   structure (events, channels, journeys, stages, steps); conditions, durations,
//!   triggers, caps and steps are scalars written in the journey language. Each such
//!   scalar is first checked against its grammar rule alone (so a mistake is reported
//!   in words of that rule, at the exact place inside the scalar, and nothing can leak
//!   out of the scalar), then wrapped into a tiny DSL snippet (`journey _ { entry … }`),
//!   parsed with [`crate::parse`], and the node taken out of it with every span moved
//!   into the YAML file ([`shift`]). Spans inside quoted, escaped or folded scalars are
//!   mapped character by character ([`tree::value_positions`]).
//! * **Diagnostics.** J001 for YAML syntax errors and for DSL syntax errors inside a
//!   scalar, J002 for out-of-range literals (from the DSL lowering, moved into the
//!   YAML), J003 (`invalid-yaml-journey`) for shape errors: unknown key (with "did you
//!   mean"), wrong kind of value, missing key, duplicate key.
//!
//! Parsing never stops at the first shape error: every problem in the file is reported
//! and the rest is lowered, so the checker still sees the journeys that are fine.

pub(crate) mod shift;
mod tree;

use crate::ast::*;
use crate::parser::{JourneyParser, Rule};
use crate::Parsed;
use journey_diagnostics::{Diagnostic, FileId};
use pest::Parser as _;
use shift::Shift;
use tree::{Node, NodeKind, Scalar};

/// The module of a file that is not YAML at all: it may declare anything, so uses of
/// what it declares are not reported on top of its own error.
fn unreadable(source: &str) -> Module {
    Module { items: Vec::new(), poisoned: vec![Poisoned { kind: None, name: None, span: Span::new(0, source.len()) }] }
}

/// Parse one `.journey.yaml` source file.
pub fn parse(source: &str, file: FileId) -> Parsed {
    let docs = match journey_diagnostics::quiet_panic::catch_quietly(|| tree::parse_documents(source)) {
        Ok(Ok(docs)) => docs,
        Ok(Err(e)) => {
            let diag = Diagnostic::new("J001", e.message).primary(file, e.span, "here").help(e.help);
            return Parsed { module: unreadable(source), diagnostics: vec![diag] };
        }
        Err(_) => {
            let diag = Diagnostic::new("J001", "this file could not be read as YAML")
                .primary(file, Span::new(0, 0), "here")
                .help("check that the file is valid YAML");
            return Parsed { module: unreadable(source), diagnostics: vec![diag] };
        }
    };
    let mut lower = Lower { src: source, file, diagnostics: Vec::new(), items: Vec::new() };
    for doc in &docs {
        lower.document(doc);
    }
    // A scalar that failed to parse drops what it belonged to (a trigger, a channel's
    // setting, a whole declaration); which names that hides is not tracked per key, so
    // the file may declare anything: its uses elsewhere are not reported on top.
    let poisoned =
        if lower.diagnostics.iter().any(|d| d.code == "J001") { unreadable(source).poisoned } else { Vec::new() };
    Parsed { module: Module { items: lower.items, poisoned }, diagnostics: lower.diagnostics }
}

const TOP_KEYS: &[&str] = &["events", "attributes", "channels", "audiences", "scores", "policy", "journeys"];
const CHANNEL_KEYS: &[&str] = &["kind", "consent", "quiet_hours", "cap", "min_gap", "category"];
const POLICY_KEYS: &[&str] = &["caps", "cap", "min_gap", "quiet_days", "conflicting"];
const JOURNEY_KEYS: &[&str] = &[
    "title",
    "owner",
    "priority",
    "tags",
    "entry",
    "audience",
    "re_entry",
    "exit",
    "holdout",
    "stages",
    "goals",
    "guardrails",
    "assume",
    "active",
    "for",
];
const STEP_KEYS: &[&str] = &["send", "wait", "branch", "split", "set", "task", "webhook", "goto", "end"];

/// The DSL snippet a fragment is parsed in.
#[derive(Clone, Copy)]
enum Wrap {
    Journey,
    Stage,
    Channel,
    Policy,
    Audience,
    Attribute,
}

impl Wrap {
    fn around(self) -> (&'static str, &'static str) {
        match self {
            Wrap::Journey => ("journey _ {\n", "\n}"),
            Wrap::Stage => ("journey _ { stage _ {\n", "\n} }"),
            Wrap::Channel => ("channel _ {\n", "\n}"),
            Wrap::Policy => ("policy {\n", "\n}"),
            Wrap::Audience => ("audience _ = ", "\n"),
            Wrap::Attribute => ("attribute _: ", "\n"),
        }
    }
}

/// What a DSL scalar is, for messages: `what` reads after "after", `example` is a
/// valid value.
struct Frag<'a> {
    rule: Rule,
    wrap: Wrap,
    what: &'a str,
    example: &'a str,
}

struct Lower<'s> {
    src: &'s str,
    file: FileId,
    diagnostics: Vec<Diagnostic>,
    items: Vec<Item>,
}

type Entries<'n> = Vec<(&'n Scalar, &'n Node)>;

impl<'s> Lower<'s> {
    // ------------------------------------------------------------ diagnostics

    fn shape(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>, help: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new("J003", message).primary(self.file, span, label).help(help));
    }

    fn wrong_kind(&mut self, node: &Node, what: &str, expected: &str, example: &str) {
        let found = node.describe();
        self.shape(
            node.span,
            format!("{what} must be {expected}"),
            format!("expected {expected}, found {found}"),
            format!("write it like `{example}`"),
        );
    }

    fn unknown_key(&mut self, key: &Scalar, allowed: &[&str], context: &str) {
        let name = key.value.as_str();
        let best = allowed
            .iter()
            .map(|k| (strsim::osa_distance(name, k), *k))
            .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
            .min();
        let help = match best {
            Some((_, k)) => format!("did you mean `{k}`?"),
            None => {
                format!("{context} takes {}", allowed.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))
            }
        };
        self.shape(key.span, format!("unknown key `{name}` in {context}"), "unknown key", help);
    }

    // ------------------------------------------------------------ yaml shapes

    /// The entries of a mapping (nothing counts as an empty mapping), with duplicate
    /// and non-scalar keys reported and dropped.
    fn entries<'n>(&mut self, node: &'n Node, what: &str, example: &str) -> Option<Entries<'n>> {
        let list = match &node.kind {
            NodeKind::Map(list) => list,
            NodeKind::Scalar(s) if s.is_null() => return Some(Vec::new()),
            _ => {
                self.wrong_kind(node, what, "a mapping", example);
                return None;
            }
        };
        let mut out: Entries<'n> = Vec::new();
        for (k, v) in list {
            let NodeKind::Scalar(key) = &k.kind else {
                self.shape(
                    k.span,
                    "keys must be plain names",
                    format!("found {}", k.describe()),
                    "write the key as a plain word, e.g. `title:`",
                );
                continue;
            };
            if let Some((first, _)) = out.iter().find(|(f, _)| f.value == key.value) {
                let first_span = first.span;
                self.diagnostics.push(
                    Diagnostic::new("J003", format!("duplicate key `{}`", key.value))
                        .primary(self.file, key.span, "written again here")
                        .secondary(self.file, first_span, "first written here")
                        .help("YAML keeps only one of them: merge the two"),
                );
                continue;
            }
            out.push((key, v));
        }
        Some(out)
    }

    /// A mapping with a fixed set of keys: unknown keys are reported and dropped.
    fn fields<'n>(&mut self, node: &'n Node, allowed: &[&str], what: &str, example: &str) -> Option<Entries<'n>> {
        let entries = self.entries(node, what, example)?;
        let mut out = Vec::new();
        for (k, v) in entries {
            if allowed.contains(&k.value.as_str()) {
                out.push((k, v));
            } else {
                self.unknown_key(k, allowed, what);
            }
        }
        Some(out)
    }

    fn required<'n>(
        &mut self,
        fields: &Entries<'n>,
        key: &str,
        owner: Span,
        what: &str,
        example: &str,
    ) -> Option<&'n Node> {
        match fields.iter().find(|(k, _)| k.value == key) {
            Some((_, v)) => Some(v),
            None => {
                self.shape(
                    owner,
                    format!("{what} is missing `{key}`"),
                    format!("needs `{key}`"),
                    format!("add `{key}: {example}`"),
                );
                None
            }
        }
    }

    /// A non-empty scalar.
    fn scalar<'n>(&mut self, node: &'n Node, what: &str, example: &str) -> Option<&'n Scalar> {
        match &node.kind {
            NodeKind::Scalar(s) if !s.is_null() => Some(s),
            NodeKind::Scalar(_) => {
                self.shape(
                    node.span,
                    format!("{what} has no value"),
                    "expected a value here",
                    format!("write it like `{example}`"),
                );
                None
            }
            _ => {
                self.wrong_kind(node, what, "a single value", example);
                None
            }
        }
    }

    /// A scalar or a list of scalars (nothing counts as an empty list).
    fn one_or_many<'n>(&mut self, node: &'n Node, what: &str, example: &str) -> Vec<&'n Scalar> {
        match &node.kind {
            NodeKind::Scalar(s) if s.is_null() => Vec::new(),
            NodeKind::Scalar(s) => vec![s],
            NodeKind::Seq(items) => items.iter().filter_map(|n| self.scalar(n, what, example)).collect(),
            NodeKind::Map(_) => {
                self.wrong_kind(node, what, "a value or a list of values", example);
                Vec::new()
            }
        }
    }

    /// The bytes of a scalar's value in the source (without quotes).
    fn value_span(&self, sc: &Scalar) -> Span {
        let map = tree::value_positions(self.src, sc);
        let start = map[0];
        let end = if sc.value.is_empty() { start } else { map[sc.value.len() - 1] + 1 };
        Span { start, end: end.max(start) }
    }

    fn ident(&mut self, sc: &Scalar, what: &str) -> Option<Ident> {
        let ok = JourneyParser::parse(Rule::ident, &sc.value)
            .is_ok_and(|mut p| p.next().is_some_and(|p| p.as_str().len() == sc.value.len()));
        let span = self.value_span(sc);
        if ok {
            return Some(Ident { name: sc.value.clone(), span });
        }
        let reserved = ["and", "or", "not", "in", "true", "false", "then", "timeout", "within", "where", "else", "end"];
        let help = if reserved.contains(&sc.value.as_str()) {
            format!("`{}` is a reserved word and cannot be used as a name", sc.value)
        } else {
            "names start with a letter or `_` and contain only letters, digits and `_`".to_string()
        };
        self.diagnostics.push(
            Diagnostic::new("J001", format!("`{}` is not a valid {what} name", sc.value))
                .primary(self.file, span, "not a name")
                .help(help),
        );
        None
    }

    fn string(&mut self, node: &Node, what: &str, example: &str) -> Option<StringLit> {
        let sc = self.scalar(node, what, example)?;
        Some(StringLit { value: sc.value.clone(), span: sc.span })
    }

    fn tag_list(&mut self, node: &Node, what: &str) -> TagList {
        let tags = self
            .one_or_many(node, what, "[discount, winback]")
            .into_iter()
            .filter_map(|s| self.ident(s, "tag"))
            .collect();
        TagList { tags, span: node.span }
    }

    // ------------------------------------------------------------ DSL scalars

    /// Parse a scalar written in the journey language. The text parsed is
    /// `kw value tail`; `kw` and `tail` are spelled by the YAML structure (e.g. the key
    /// `entry`), and positions inside them map to `anchor` and the value's end.
    fn dsl(&mut self, sc: &Scalar, kw: &str, anchor: u32, tail: &str, frag: &Frag) -> Option<Item> {
        let value = sc.value.as_str();
        let lead = value.len() - value.trim_start().len();
        let v = value.trim();
        let kwpart = if kw.is_empty() { String::new() } else { format!("{kw} ") };
        let inner = format!("{kwpart}{v}{tail}");
        let (kwlen, vlen) = (kwpart.len(), v.len());
        let positions = tree::value_positions(self.src, sc);
        let map_pos = |q: usize, end: bool| -> u32 {
            if q < kwlen {
                return anchor;
            }
            let vi = (q - kwlen).min(vlen);
            let i = lead + vi;
            if end && vi > 0 {
                positions[i - 1] + 1
            } else {
                positions[i]
            }
        };
        let map_span = |s: Span| {
            let a = map_pos(s.start as usize, false);
            let b = map_pos(s.end as usize, true).max(a);
            Span { start: a, end: b }
        };

        // 1. the scalar alone against its rule: errors in the rule's words, no leaks
        if let Some(diag) = crate::depth::check_nesting(&inner, self.file) {
            self.push_moved(diag, &map_span, 0, frag);
            return None;
        }
        match JourneyParser::parse(frag.rule, &inner) {
            Err(err) => {
                pest::set_error_detail(true);
                let detailed = JourneyParser::parse(frag.rule, &inner).err();
                pest::set_error_detail(false);
                let diag = crate::expected::syntax_error(&err, detailed.as_ref(), &inner, self.file);
                self.push_moved(diag, &map_span, 0, frag);
                return None;
            }
            Ok(pairs) => {
                let end = pairs.map(|p| p.as_span().end()).max().unwrap_or(0);
                let want = inner.trim_end().len();
                if end < want {
                    let rest = &inner[end..want];
                    let at = end + (rest.len() - rest.trim_start().len());
                    // text the rule could not take: if the DSL, reading on, fails
                    // further in (`a and and`), its error is the precise one
                    let (pre, post) = frag.wrap.around();
                    let further =
                        crate::parse(&format!("{pre}{inner}{post}"), self.file).diagnostics.into_iter().find(|d| {
                            d.code == "J001"
                                && d.primary_label().is_some_and(|l| {
                                    let p = (l.span.start as usize).saturating_sub(pre.len());
                                    p > at && p < want
                                })
                        });
                    if let Some(diag) = further {
                        self.push_moved(diag, &map_span, pre.len(), frag);
                        return None;
                    }
                    let word = inner[at..].split(|c: char| c.is_whitespace()).next().unwrap_or("");
                    let word_end =
                        at + word.len().max(inner[at..].chars().next().map_or(0, char::len_utf8)).min(inner.len() - at);
                    let span = map_span(Span::new(at, word_end));
                    let tok = &inner[at..word_end];
                    self.diagnostics.push(
                        Diagnostic::new("J001", format!("unexpected `{tok}` after {}", frag.what))
                            .primary(self.file, span, "expected the end of the value")
                            .help(format!("{} is written as in a .journey file, e.g. `{}`", frag.what, frag.example)),
                    );
                    return None;
                }
            }
        }

        // 2. the same text inside a snippet, lowered by the DSL front-end
        let (pre, post) = frag.wrap.around();
        let full = format!("{pre}{inner}{post}");
        let parsed = crate::parse(&full, self.file);
        for diag in parsed.diagnostics {
            self.push_moved(diag, &map_span, pre.len(), frag);
        }
        let mut items = parsed.module.items;
        if items.len() != 1 {
            return None;
        }
        let mut item = items.pop()?;
        let shift_by = |s: Span| {
            let p = pre.len() as u32;
            let q = |x: u32| x.saturating_sub(p).min(inner.len() as u32);
            map_span(Span { start: q(s.start), end: q(s.end) })
        };
        item.shift(&shift_by);
        Some(item)
    }

    /// Move a diagnostic about a snippet (whose DSL text starts at `offset`) into the
    /// YAML file, and make its words fit a scalar.
    fn push_moved(&mut self, mut diag: Diagnostic, map_span: &dyn Fn(Span) -> Span, offset: usize, frag: &Frag) {
        for label in &mut diag.labels {
            let q = |x: u32| x.saturating_sub(offset as u32);
            label.span = map_span(Span { start: q(label.span.start), end: q(label.span.end) });
            label.message = label.message.replace("end of file", "end of the value");
        }
        diag.message = diag
            .message
            .replace("the end of the file", "the end of the value")
            .replace("end of file", "end of the value");
        let generic = diag.help.as_deref().is_none_or(|h| h.contains("may be missing its"));
        if generic {
            diag.help = Some(format!("{} is written as in a .journey file, e.g. `{}`", frag.what, frag.example));
        }
        self.diagnostics.push(diag);
    }

    fn journey_item(&mut self, sc: &Scalar, kw: &str, anchor: u32, frag: &Frag) -> Option<JourneyItem> {
        match self.dsl(sc, kw, anchor, "", frag)? {
            Item::Journey(mut j) if j.items.len() == 1 => j.items.pop(),
            _ => None,
        }
    }

    fn step_text(&mut self, sc: &Scalar, kw: &str, anchor: u32, tail: &str, frag: &Frag) -> Option<Step> {
        match self.dsl(sc, kw, anchor, tail, frag)? {
            Item::Journey(mut j) => match j.items.pop()? {
                JourneyItem::Stage(mut s) if s.steps.len() == 1 => s.steps.pop(),
                _ => None,
            },
            _ => None,
        }
    }

    fn expr(&mut self, sc: &Scalar, what: &str, example: &str) -> Option<Expr> {
        let frag = Frag { rule: Rule::expr, wrap: Wrap::Audience, what, example };
        match self.dsl(sc, "", sc.span.start, "", &frag)? {
            Item::Audience(a) => Some(a.condition),
            _ => None,
        }
    }

    fn duration(&mut self, sc: &Scalar, what: &str) -> Option<Duration> {
        let frag = Frag { rule: Rule::wait_step, wrap: Wrap::Stage, what, example: "3d" };
        match self.step_text(sc, "wait", sc.span.start, "", &frag)?.kind {
            StepKind::Wait(d) => Some(d),
            _ => None,
        }
    }

    /// issue 15: a task's `owner`: a scalar is a fixed owner (`ana@x.com`), a mapping
    /// reads an attribute (`{ attribute: csm_owner, else_queue: cs_triage }`).
    fn task_owner(&mut self, node: &Node) -> Option<TaskOwner> {
        let example = "{ attribute: csm_owner, else_queue: cs_triage }";
        if let NodeKind::Scalar(_) = &node.kind {
            return Some(TaskOwner::Fixed(self.string(node, "`owner`", "ana@example.com")?));
        }
        let f = self.fields(node, &["attribute", "else_queue"], "a task owner", example)?;
        let attribute = self.required(&f, "attribute", node.span, "a task owner", "csm_owner")?;
        let attribute = self.scalar(attribute, "`attribute`", "csm_owner").and_then(|s| self.ident(s, "attribute"))?;
        let queue = match f.iter().find(|(k, _)| k.value == "else_queue") {
            Some((_, q)) => Some(self.scalar(q, "`else_queue`", "cs_triage").and_then(|s| self.ident(s, "queue"))?),
            None => None,
        };
        Some(TaskOwner::Attribute { attribute, queue })
    }

    /// issue 15: a task's `due` (`2 business days`, `3 days`, `4 hours`, `48h`), parsed
    /// as the clause of a task step.
    fn task_due(&mut self, node: &Node) -> Option<TaskDue> {
        let sc = self.scalar(node, "`due`", "2 business days")?;
        let frag = Frag { rule: Rule::task_step, wrap: Wrap::Stage, what: "`due`", example: "2 business days" };
        match self.step_text(sc, "task q \"\" due", sc.span.start, "", &frag)?.kind {
            StepKind::Task { due, .. } => due,
            _ => None,
        }
    }

    fn target(&mut self, sc: &Scalar, what: &str) -> Option<Target> {
        let frag = Frag { rule: Rule::goto_step, wrap: Wrap::Stage, what, example: "offer" };
        match self.step_text(sc, "goto", sc.span.start, "", &frag)?.kind {
            StepKind::Goto(t) => Some(t),
            _ => None,
        }
    }

    fn type_expr(&mut self, node: &Node) -> Option<TypeExpr> {
        if let NodeKind::Seq(items) = &node.kind {
            let choices = items
                .iter()
                .filter_map(|n| self.scalar(n, "a choice", "pro"))
                .map(|s| StringLit { value: s.value.clone(), span: s.span })
                .collect();
            return Some(TypeExpr::OneOf { choices, span: node.span });
        }
        let sc = self.scalar(node, "a type", "text")?;
        let frag = Frag { rule: Rule::type_expr, wrap: Wrap::Attribute, what: "the type", example: "money" };
        match self.dsl(sc, "", sc.span.start, "", &frag)? {
            Item::Attribute(a) => Some(a.ty),
            _ => None,
        }
    }

    // ------------------------------------------------------------ documents

    fn document(&mut self, doc: &Node) {
        let example = "journeys:\n  winback: …";
        let Some(entries) = self.fields(doc, TOP_KEYS, "a journey file", example) else {
            return;
        };
        for (key, value) in entries {
            match key.value.as_str() {
                "events" => self.events(value),
                "attributes" => self.attributes(value),
                "channels" => self.channels(value),
                "audiences" => self.audiences(value),
                "scores" => self.scores(value),
                "policy" => self.policy(key, value),
                _ => self.journeys(value),
            }
        }
    }

    fn events(&mut self, node: &Node) {
        let Some(entries) = self.entries(node, "`events`", "purchase: { amount: money }") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "event");
            let props =
                self.entries(value, "an event's properties", "{ amount: money, category: text }").unwrap_or_default();
            let mut properties = Vec::new();
            for (pk, pv) in props {
                let pname = self.ident(pk, "property");
                let ty = self.type_expr(pv);
                if let (Some(name), Some(ty)) = (pname, ty) {
                    properties.push(Property { name, ty, span: key_to(pk, pv) });
                }
            }
            if let Some(name) = name {
                self.items.push(Item::Event(EventDecl { name, properties, span: key_to(key, value) }));
            }
        }
    }

    fn attributes(&mut self, node: &Node) {
        let Some(entries) = self.entries(node, "`attributes`", "country: text") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "attribute");
            // issue 15, accounts: `seats: account number` is the text form's `account
            // attribute seats: number`. The word is blanked, not cut, so that the
            // type's positions still map onto the file.
            let account = match &value.kind {
                NodeKind::Scalar(sc) => sc.value.trim_start().strip_prefix("account").filter(|r| r.starts_with(' ')),
                _ => None,
            }
            .is_some();
            let ty = if account {
                let mut blanked = value.clone();
                if let NodeKind::Scalar(sc) = &mut blanked.kind {
                    sc.value = sc.value.replacen("account", "       ", 1);
                }
                self.type_expr(&blanked)
            } else {
                self.type_expr(value)
            };
            if let (Some(name), Some(ty)) = (name, ty) {
                self.items.push(Item::Attribute(AttributeDecl { name, ty, account, span: key_to(key, value) }));
            }
        }
    }

    fn channels(&mut self, node: &Node) {
        let Some(entries) = self.entries(node, "`channels`", "email: { kind: email }") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "channel");
            let fields =
                self.fields(value, CHANNEL_KEYS, "a channel", "{ kind: email, cap: 3 per 7d }").unwrap_or_default();
            let mut settings = Vec::new();
            for (sk, sv) in fields {
                let frag = match sk.value.as_str() {
                    "kind" => Frag {
                        rule: Rule::channel_kind,
                        wrap: Wrap::Channel,
                        what: "the channel kind",
                        example: "email",
                    },
                    "consent" => Frag {
                        rule: Rule::channel_consent,
                        wrap: Wrap::Channel,
                        what: "the consent attribute",
                        example: "email_opt_in",
                    },
                    "quiet_hours" => Frag {
                        rule: Rule::channel_quiet,
                        wrap: Wrap::Channel,
                        what: "the quiet hours",
                        example: "21:00..08:00 local",
                    },
                    "cap" => {
                        Frag { rule: Rule::channel_cap, wrap: Wrap::Channel, what: "the cap", example: "3 per 7d" }
                    }
                    // issue 15: the message category (`category: transactional`)
                    "category" => Frag {
                        rule: Rule::channel_category,
                        wrap: Wrap::Channel,
                        what: "the message category",
                        example: "transactional",
                    },
                    _ => Frag {
                        rule: Rule::channel_min_gap,
                        wrap: Wrap::Channel,
                        what: "the minimum gap",
                        example: "4h",
                    },
                };
                let values: Vec<(&Scalar, u32)> = if sk.value == "cap" {
                    let many = matches!(sv.kind, NodeKind::Seq(_));
                    self.one_or_many(sv, "`cap`", frag.example)
                        .into_iter()
                        .map(|s| (s, if many { s.span.start } else { sk.span.start }))
                        .collect()
                } else {
                    self.scalar(sv, &format!("`{}`", sk.value), frag.example)
                        .map(|s| (s, sk.span.start))
                        .into_iter()
                        .collect()
                };
                for (sc, anchor) in values {
                    if let Some(Item::Channel(c)) = self.dsl(sc, &sk.value, anchor, "", &frag) {
                        settings.extend(c.settings);
                    }
                }
            }
            if let Some(name) = name {
                self.items.push(Item::Channel(ChannelDecl { name, settings, span: key_to(key, value) }));
            }
        }
    }

    fn audiences(&mut self, node: &Node) {
        let Some(entries) = self.entries(node, "`audiences`", "hero: count(purchase, 365d) >= 5") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "audience");
            let Some(sc) = self.scalar(value, "an audience", "count(purchase, 365d) >= 5") else {
                continue;
            };
            let condition = self.expr(sc, "the audience condition", "count(purchase, 365d) >= 5");
            if let (Some(name), Some(condition)) = (name, condition) {
                self.items.push(Item::Audience(AudienceDecl { name, condition, span: key_to(key, value) }));
            }
        }
    }

    /// issue 15: `scores: { health: "0.4 * clamp(count(login, 14d) / 10, 0, 1)" }`, the
    /// same expression as after `score health =` in the DSL.
    fn scores(&mut self, node: &Node) {
        let example = "count(login, 14d) / 14";
        let Some(entries) = self.entries(node, "`scores`", "health: count(login, 14d) / 14") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "score");
            let Some(sc) = self.scalar(value, "a score", example) else {
                continue;
            };
            let value_expr = self.expr(sc, "the score's value", example);
            if let (Some(name), Some(value_expr)) = (name, value_expr) {
                self.items.push(Item::Score(ScoreDecl { name, value: value_expr, span: key_to(key, value) }));
            }
        }
    }

    fn policy(&mut self, key: &Scalar, node: &Node) {
        let Some(fields) = self.fields(node, POLICY_KEYS, "the policy", "{ caps: [any 5 per 7d], min_gap: 4h }") else {
            return;
        };
        let mut settings = Vec::new();
        for (sk, sv) in fields {
            match sk.value.as_str() {
                "caps" | "cap" => {
                    let frag =
                        Frag { rule: Rule::policy_cap, wrap: Wrap::Policy, what: "the cap", example: "any 5 per 7d" };
                    let many = matches!(sv.kind, NodeKind::Seq(_));
                    for sc in self.one_or_many(sv, "`caps`", "[any 5 per 7d, email 3 per 7d]") {
                        let anchor = if many { sc.span.start } else { sk.span.start };
                        if let Some(Item::Policy(p)) = self.dsl(sc, "cap", anchor, "", &frag) {
                            settings.extend(p.settings);
                        }
                    }
                }
                "min_gap" => {
                    let frag =
                        Frag { rule: Rule::policy_min_gap, wrap: Wrap::Policy, what: "the minimum gap", example: "4h" };
                    if let Some(sc) = self.scalar(sv, "`min_gap`", "4h") {
                        if let Some(Item::Policy(p)) = self.dsl(sc, "min_gap", sk.span.start, "", &frag) {
                            settings.extend(p.settings);
                        }
                    }
                }
                "quiet_days" => {
                    let frag = Frag {
                        rule: Rule::policy_quiet_days,
                        wrap: Wrap::Policy,
                        what: "a quiet day",
                        example: "sunday",
                    };
                    let mut days = Vec::new();
                    for sc in self.one_or_many(sv, "`quiet_days`", "[sunday, 2026-12-25]") {
                        if let Some(Item::Policy(mut p)) = self.dsl(sc, "quiet_days [", sc.span.start, "]", &frag) {
                            if let Some(PolicySetting::QuietDays { days: d, .. }) = p.settings.pop() {
                                days.extend(d);
                            }
                        }
                    }
                    settings.push(PolicySetting::QuietDays { days, span: key_to(sk, sv) });
                }
                _ => {
                    // one group `[a, b]`, or a list of groups `[[a, b], [c, d]]`
                    match &sv.kind {
                        NodeKind::Seq(items) if items.iter().any(|n| matches!(n.kind, NodeKind::Seq(_))) => {
                            for group in items {
                                let t = self.tag_list(group, "a group of conflicting tags");
                                settings.push(PolicySetting::Conflicting(t));
                            }
                        }
                        _ => {
                            let t = self.tag_list(sv, "`conflicting`");
                            settings.push(PolicySetting::Conflicting(t));
                        }
                    }
                }
            }
        }
        self.items.push(Item::Policy(PolicyDecl { settings, span: key_to(key, node) }));
    }

    fn journeys(&mut self, node: &Node) {
        let Some(entries) = self.entries(node, "`journeys`", "winback: { entry: on signup }") else {
            return;
        };
        for (key, value) in entries {
            let name = self.ident(key, "journey");
            let items = self.journey(value);
            if let Some(name) = name {
                self.items.push(Item::Journey(JourneyDecl { name, items, span: key_to(key, value) }));
            }
        }
    }

    fn journey(&mut self, node: &Node) -> Vec<JourneyItem> {
        let mut items = Vec::new();
        let Some(fields) = self.fields(node, JOURNEY_KEYS, "a journey", "{ entry: on signup, stages: { … } }") else {
            return items;
        };
        for (k, v) in fields {
            let key = k.value.as_str();
            let simple = |rule, what, example| Frag { rule, wrap: Wrap::Journey, what, example };
            match key {
                "title" | "owner" => {
                    if let Some(s) = self.string(v, &format!("`{key}`"), "Win back at-risk customers") {
                        items.push(if key == "title" { JourneyItem::Title(s) } else { JourneyItem::Owner(s) });
                    }
                }
                "tags" => items.push(JourneyItem::Tags(self.tag_list(v, "`tags`"))),
                "priority" | "audience" | "re_entry" | "holdout" | "active" | "for" => {
                    let frag = match key {
                        "priority" => simple(Rule::journey_priority, "the priority", "40"),
                        "audience" => simple(
                            Rule::journey_audience,
                            "the audience condition",
                            "email_opt_in and country == \"US\"",
                        ),
                        "re_entry" => simple(Rule::journey_re_entry, "the re-entry rule", "after 180d"),
                        "active" => {
                            simple(Rule::journey_active, "the campaign window", "from 2026-11-20 to 2026-12-01")
                        }
                        "for" => simple(Rule::journey_for, "what the journey runs for", "account"),
                        _ => simple(Rule::journey_holdout, "the holdout", "10%"),
                    };
                    if let Some(sc) = self.scalar(v, &format!("`{key}`"), frag.example) {
                        items.extend(self.journey_item(sc, key, k.span.start, &frag));
                    }
                }
                "entry" | "exit" => {
                    let frag = if key == "entry" {
                        simple(Rule::journey_entry, "the entry trigger", "when audience at_risk entered")
                    } else {
                        simple(Rule::journey_exit, "the exit rule", "on purchase")
                    };
                    let many = matches!(v.kind, NodeKind::Seq(_));
                    let mut read = Vec::new();
                    for sc in self.one_or_many(v, &format!("`{key}`"), frag.example) {
                        let anchor = if many { sc.span.start } else { k.span.start };
                        read.extend(self.journey_item(sc, key, anchor, &frag));
                    }
                    if key == "entry" {
                        // several triggers: a list of entries is one entry whose
                        // triggers are alternatives, as `entry on a or on b` is
                        items.extend(merge_entries(read));
                    } else {
                        items.extend(read);
                    }
                }
                "stages" => {
                    let Some(stages) = self.entries(v, "`stages`", "remind: [send: email \"hello\"]") else {
                        continue;
                    };
                    for (sk, sv) in stages {
                        let name = self.ident(sk, "stage");
                        let steps = self.steps(sv);
                        if let Some(name) = name {
                            items.push(JourneyItem::Stage(Stage { name, steps, span: key_to(sk, sv) }));
                        }
                    }
                }
                "goals" => {
                    let frag = simple(Rule::goal_decl, "the goal", "purchase within 30d");
                    let Some(goals) = self.entries(v, "`goals`", "reactivated: purchase within 30d") else {
                        continue;
                    };
                    for (gk, gv) in goals {
                        let name = self.ident(gk, "goal");
                        let Some(sc) = self.scalar(gv, "a goal", frag.example) else {
                            continue;
                        };
                        if let (Some(name), Some(JourneyItem::Goal(mut g))) =
                            (name, self.journey_item(sc, "goal _ =", gk.span.start, &frag))
                        {
                            g.name = name;
                            g.span = key_to(gk, gv);
                            items.push(JourneyItem::Goal(g));
                        }
                    }
                }
                _ => {
                    // guardrails and assume: a list of full statements, or a mapping
                    // from the metric (goal) to the rest
                    let (frag, kw) = if key == "guardrails" {
                        (simple(Rule::guardrail_decl, "the guardrail", "unsubscribe_rate < 0.5%"), "guardrail")
                    } else {
                        (simple(Rule::assume_decl, "the assumption", "reactivated +3pp (0pp..6pp)"), "assume")
                    };
                    if let NodeKind::Map(_) = v.kind {
                        let Some(map) = self.entries(v, &format!("`{key}`"), frag.example) else {
                            continue;
                        };
                        for (mk, mv) in map {
                            let name = self.ident(mk, if key == "guardrails" { "metric" } else { "goal" });
                            let Some(sc) = self.scalar(mv, &format!("`{}`", mk.value), "< 0.5%") else {
                                continue;
                            };
                            let item = self.journey_item(sc, &format!("{kw} _"), mk.span.start, &frag);
                            let span = key_to(mk, mv);
                            match (name, item) {
                                (Some(n), Some(JourneyItem::Guardrail(mut g))) => {
                                    g.metric = n;
                                    g.span = span;
                                    items.push(JourneyItem::Guardrail(g));
                                }
                                (Some(n), Some(JourneyItem::Assume(mut a))) => {
                                    a.target = n;
                                    a.span = span;
                                    items.push(JourneyItem::Assume(a));
                                }
                                _ => {}
                            }
                        }
                    } else {
                        for sc in self.one_or_many(v, &format!("`{key}`"), frag.example) {
                            items.extend(self.journey_item(sc, kw, sc.span.start, &frag));
                        }
                    }
                }
            }
        }
        items
    }

    // ------------------------------------------------------------ steps

    fn steps(&mut self, node: &Node) -> Vec<Step> {
        let example = "[send: email \"winback-miss-you\", wait: 3d, end]";
        let items: &[Node] = match &node.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Scalar(s) if s.is_null() => return Vec::new(),
            _ => {
                self.wrong_kind(node, "a stage", "a list of steps", example);
                return Vec::new();
            }
        };
        items.iter().filter_map(|n| self.step(n)).collect()
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let any =
            Frag { rule: Rule::step, wrap: Wrap::Stage, what: "the step", example: "send email \"winback-miss-you\"" };
        match &node.kind {
            NodeKind::Scalar(sc) if !sc.is_null() => self.step_text(sc, "", sc.span.start, "", &any),
            NodeKind::Map(list) if list.len() == 1 => {
                let entries = self.entries(node, "a step", "send: email \"hello\"")?;
                let (k, v) = *entries.first()?;
                if !STEP_KEYS.contains(&k.value.as_str()) {
                    self.unknown_key(k, STEP_KEYS, "a step");
                    return None;
                }
                let span = key_to(k, v);
                let mut step = match &v.kind {
                    NodeKind::Scalar(s) if s.is_null() => self.step_text(k, "", k.span.start, "", &any)?,
                    NodeKind::Scalar(s) => self.step_text(s, &k.value, k.span.start, "", &any)?,
                    _ => self.structured_step(k, v)?,
                };
                step.span = span;
                Some(step)
            }
            _ => {
                self.shape(
                    node.span,
                    "a step must be one value or a mapping with one key",
                    format!("found {}", node.describe()),
                    "write a step like `- send: email \"hello\"`, `- wait: 3d` or `- end`",
                );
                None
            }
        }
    }

    fn structured_step(&mut self, k: &Scalar, v: &Node) -> Option<Step> {
        let span = key_to(k, v);
        let kind = match k.value.as_str() {
            "send" | "webhook" => {
                let send = k.value == "send";
                let allowed: &[&str] = if send { &["channel", "template", "tags"] } else { &["channel", "template"] };
                let what = if send { "a send step" } else { "a webhook step" };
                let f = self.fields(v, allowed, what, "{ channel: email, template: winback-15-off }")?;
                let channel = self.required(&f, "channel", span, what, "email");
                let template = self.required(&f, "template", span, what, "winback-15-off");
                let channel = self.scalar(channel?, "`channel`", "email").and_then(|s| self.ident(s, "channel"));
                let template = self.string(template?, "`template`", "winback-15-off");
                let tags = f.iter().find(|(k, _)| k.value == "tags").map(|(_, t)| self.tag_list(t, "`tags`"));
                let (channel, template) = (channel?, template?);
                if send {
                    StepKind::Send { channel, template, tags }
                } else {
                    StepKind::Webhook { channel, template }
                }
            }
            "task" => {
                let what = "a task step";
                let keys = &["channel", "title", "assign", "owner", "due", "priority"];
                let f = self.fields(v, keys, what, "{ channel: csm_task, title: Call them }")?;
                let channel = self.required(&f, "channel", span, what, "csm_task");
                let title = self.required(&f, "title", span, what, "Call them");
                let channel = self.scalar(channel?, "`channel`", "csm_task").and_then(|s| self.ident(s, "channel"));
                let title = self.string(title?, "`title`", "Call them");
                let field = |key: &str| f.iter().find(|(k, _)| k.value == key).map(|(_, v)| *v);
                let assignee = match field("assign") {
                    Some(a) => Some(self.string(a, "`assign`", "csm")?),
                    None => None,
                };
                let owner = match field("owner") {
                    Some(o) => Some(self.task_owner(o)?),
                    None => None,
                };
                let due = match field("due") {
                    Some(d) => Some(self.task_due(d)?),
                    None => None,
                };
                let priority = match field("priority") {
                    Some(p) => Some(self.scalar(p, "`priority`", "high").and_then(|s| self.ident(s, "priority"))?),
                    None => None,
                };
                if let (Some(_), Some(o)) = (field("assign"), field("owner")) {
                    self.shape(
                        o.span,
                        "a task has `assign` and `owner`",
                        "a second owner",
                        "keep one: `owner` (or the older `assign`)",
                    );
                    return None;
                }
                StepKind::Task { channel: channel?, title: title?, assignee, owner, due, priority }
            }
            "wait" => {
                let what = "a wait step";
                let example = "{ up_to: 3d, for: email_open, then: offer, timeout: nudge }";
                let f = self.fields(v, &["until", "up_to", "for", "where", "then", "timeout"], what, example)?;
                if let Some((uk, uv)) = f.iter().find(|(k, _)| k.value == "until").copied() {
                    if let Some((other, _)) = f.iter().find(|(k, _)| k.value != "until") {
                        let other_span = other.span;
                        self.shape(
                            other_span,
                            "`until` cannot be combined with other keys",
                            "not with `until`",
                            "write either `until: 09:00` or `up_to`, `for`, `then` and `timeout`",
                        );
                        return None;
                    }
                    let frag = Frag {
                        rule: Rule::wait_until_step,
                        wrap: Wrap::Stage,
                        what: "the wait",
                        example: "09:00 local",
                    };
                    let sc = self.scalar(uv, "`until`", "09:00 local")?;
                    return self.step_text(sc, "wait until", uk.span.start, "", &frag).map(|s| Step { span, ..s });
                }
                let up_to = self.required(&f, "up_to", span, what, "3d");
                let event = self.required(&f, "for", span, what, "email_open");
                let then = self.required(&f, "then", span, what, "offer");
                let on_timeout = self.required(&f, "timeout", span, what, "nudge");
                let timeout = self.scalar(up_to?, "`up_to`", "3d").and_then(|s| self.duration(s, "the wait"));
                // any of several events: `for: [purchase, subscription_started]`
                // (a filter then goes with the first; write the wait as a string to
                // filter each)
                let events: Vec<&Scalar> = self.one_or_many(event?, "`for`", "email_open");
                let mut names = events.iter().map(|s| self.ident(s, "event")).collect::<Vec<_>>().into_iter();
                let event = names.next().flatten();
                let also: Option<Vec<AltEvent>> =
                    names.map(|n| n.map(|event| AltEvent { event, filter: None })).collect();
                let filter = match f.iter().find(|(k, _)| k.value == "where") {
                    Some((_, w)) => {
                        let sc = self.scalar(w, "`where`", "template == \"hello\"")?;
                        Some(self.expr(sc, "the filter", "template == \"hello\"")?)
                    }
                    None => None,
                };
                let then = self.scalar(then?, "`then`", "offer").and_then(|s| self.target(s, "the target"));
                let on_timeout =
                    self.scalar(on_timeout?, "`timeout`", "nudge").and_then(|s| self.target(s, "the target"));
                StepKind::WaitFor {
                    timeout: timeout?,
                    event: event?,
                    filter,
                    then: then?,
                    on_timeout: on_timeout?,
                    also: also?,
                }
            }
            "branch" => {
                let example = "[{ when: country == \"US\", then: offer }, { else: end }]";
                let NodeKind::Seq(arms_in) = &v.kind else {
                    self.wrong_kind(v, "`branch`", "a list of arms", example);
                    return None;
                };
                let arm_frag = Frag {
                    rule: Rule::branch_step,
                    wrap: Wrap::Stage,
                    what: "the branch arm",
                    example: "when country == \"US\" -> offer",
                };
                let mut arms = Vec::new();
                let mut otherwise = None;
                for arm in arms_in {
                    match &arm.kind {
                        NodeKind::Scalar(sc) if !sc.is_null() => {
                            let is_else = sc.value.trim_start().starts_with("else");
                            let kw = if is_else { "branch { when true -> end" } else { "branch {" };
                            if let Some(Step { kind: StepKind::Branch { arms: mut a, otherwise: o }, .. }) =
                                self.step_text(sc, kw, sc.span.start, " }", &arm_frag)
                            {
                                if is_else {
                                    otherwise = o;
                                } else {
                                    arms.append(&mut a);
                                    if o.is_some() {
                                        otherwise = o;
                                    }
                                }
                            }
                        }
                        NodeKind::Map(_) => {
                            let f = self.fields(
                                arm,
                                &["when", "then", "else"],
                                "a branch arm",
                                "{ when: country == \"US\", then: offer }",
                            )?;
                            if let Some((_, e)) = f.iter().find(|(k, _)| k.value == "else") {
                                if f.len() > 1 {
                                    self.shape(
                                        arm.span,
                                        "an `else` arm takes no other key",
                                        "only `else` here",
                                        "write `- else: end`",
                                    );
                                    continue;
                                }
                                otherwise = self.scalar(e, "`else`", "end").and_then(|s| self.target(s, "the target"));
                                continue;
                            }
                            let when = self.required(&f, "when", arm.span, "a branch arm", "country == \"US\"");
                            let then = self.required(&f, "then", arm.span, "a branch arm", "offer");
                            let (Some(when), Some(then)) = (when, then) else {
                                continue;
                            };
                            let condition = self
                                .scalar(when, "`when`", "country == \"US\"")
                                .and_then(|s| self.expr(s, "the condition", "country == \"US\""));
                            let target =
                                self.scalar(then, "`then`", "offer").and_then(|s| self.target(s, "the target"));
                            if let (Some(condition), Some(target)) = (condition, target) {
                                arms.push(BranchArm { condition, target, span: arm.span });
                            }
                        }
                        _ => self.wrong_kind(
                            arm,
                            "a branch arm",
                            "a mapping or `when … -> …`",
                            "{ when: country == \"US\", then: offer }",
                        ),
                    }
                }
                StepKind::Branch { arms, otherwise }
            }
            "split" => {
                let (name, arms_node) = match &v.kind {
                    NodeKind::Map(_) => {
                        let f =
                            self.fields(v, &["name", "arms"], "a split", "{ name: ab, arms: [50% -> a, 50% -> b] }")?;
                        let name = match f.iter().find(|(k, _)| k.value == "name") {
                            Some((_, n)) => Some(self.scalar(n, "`name`", "ab").and_then(|s| self.ident(s, "split"))?),
                            None => None,
                        };
                        (name, self.required(&f, "arms", span, "a split", "[50% -> a, 50% -> b]")?)
                    }
                    _ => (None, v),
                };
                let frag =
                    Frag { rule: Rule::split_step, wrap: Wrap::Stage, what: "the split arm", example: "50% -> offer" };
                let mut arms = Vec::new();
                for sc in self.one_or_many(arms_node, "a split arm", "50% -> offer") {
                    if let Some(Step { kind: StepKind::Split { arms: mut a, .. }, .. }) =
                        self.step_text(sc, "split {", sc.span.start, " }", &frag)
                    {
                        arms.append(&mut a);
                    }
                }
                StepKind::Split { name, arms }
            }
            other => {
                let other = other.to_string();
                self.wrong_kind(v, &format!("`{other}`"), "a single value", &format!("{other}: …"));
                return None;
            }
        };
        Some(Step { kind, span })
    }
}

/// From a key to the end of its value.
/// Several triggers: the entries read from a YAML list become one entry whose later
/// triggers are alternatives of the first (the checker then rejects alternatives that
/// are not `on EVENT`, J320, just as for `entry … or …`).
fn merge_entries(read: Vec<JourneyItem>) -> Option<JourneyItem> {
    let mut read = read.into_iter();
    let Some(JourneyItem::Entry(mut first)) = read.next() else { return None };
    for item in read {
        if let JourneyItem::Entry(e) = item {
            first.also.push(AltTrigger { trigger: e.trigger, span: e.span });
            first.also.extend(e.also);
            first.span = first.span.to(e.span);
        }
    }
    Some(JourneyItem::Entry(first))
}

fn key_to(key: &Scalar, value: &Node) -> Span {
    Span { start: key.span.start, end: value.span.end.max(key.span.end) }
}
