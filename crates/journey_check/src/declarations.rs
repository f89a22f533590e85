//! Schema, channels, audiences and the policy: collected across all files, resolved
//! and lowered to the IR.

use crate::context::{declare, Ctx, Decl};
use crate::suggest;
use crate::types::Scope;
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir as ir;
use journey_syntax::ast::{self, ChannelSetting, PolicySetting, TypeExpr};
use std::collections::{BTreeMap, BTreeSet};

const TYPE_NAMES: &[&str] = &["text", "number", "money", "bool", "time", "date", "timezone", "duration"];
pub(crate) const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

impl<'a> Ctx<'a> {
    /// Pass 1: every top-level name, so later passes can resolve references in any order.
    pub fn collect(&mut self, modules: &'a [(FileId, ast::Module)]) {
        let mut diags = Vec::new();
        for (file, module) in modules {
            let file = *file;
            for p in &module.poisoned {
                self.poison.add(p);
            }
            for item in &module.items {
                match item {
                    ast::Item::Event(d) => {
                        declare(&mut diags, &mut self.events, "event", &d.name, file, d, |d| d.name.span)
                    }
                    ast::Item::Attribute(d) => {
                        declare(&mut diags, &mut self.attributes, "attribute", &d.name, file, d, |d| d.name.span)
                    }
                    ast::Item::Channel(d) => {
                        declare(&mut diags, &mut self.channels, "channel", &d.name, file, d, |d| d.name.span)
                    }
                    ast::Item::Audience(d) => {
                        declare(&mut diags, &mut self.audiences, "audience", &d.name, file, d, |d| d.name.span)
                    }
                    ast::Item::Journey(d) => {
                        declare(&mut diags, &mut self.journeys, "journey", &d.name, file, d, |d| d.name.span)
                    }
                    ast::Item::Policy(d) => self.policies.push(Decl { file, node: d }),
                    ast::Item::Score(d) => {
                        declare(&mut diags, &mut self.scores, "score", &d.name, file, d, |d| d.name.span)
                    }
                }
            }
        }
        self.diags.extend(diags);
        self.score_name_clashes();
        if let [first, rest @ ..] = self.policies.as_slice() {
            for p in rest {
                self.diags.push(
                    Diagnostic::new("J102", "the policy is defined twice")
                        .primary(
                            p.file,
                            Span::new(p.node.span.start as usize, p.node.span.start as usize + 6),
                            "second policy block",
                        )
                        .secondary(
                            first.file,
                            Span::new(first.node.span.start as usize, first.node.span.start as usize + 6),
                            "first policy block",
                        )
                        .help("keep one policy block per repository; its settings apply to every journey"),
                );
            }
        }
    }

    pub fn resolve_type(&mut self, file: FileId, ty: &TypeExpr) -> ir::Type {
        match ty {
            TypeExpr::OneOf { choices, .. } => {
                let mut seen = BTreeSet::new();
                for c in choices {
                    if !seen.insert(c.value.as_str()) {
                        self.push(
                            Diagnostic::new("J102", format!("choice \"{}\" is listed twice", c.value))
                                .primary(file, c.span, "repeated")
                                .help("list each choice once"),
                        );
                    }
                }
                ir::Type::OneOf { choices: choices.iter().map(|c| c.value.clone()).collect() }
            }
            TypeExpr::Named(id) => match id.name.as_str() {
                "text" => ir::Type::Text,
                "number" => ir::Type::Number,
                "money" => ir::Type::Money,
                "bool" => ir::Type::Bool,
                "time" => ir::Type::Time,
                "date" => ir::Type::Date,
                "timezone" => ir::Type::Timezone,
                "duration" => ir::Type::Duration,
                _ => {
                    self.undefined(file, "type", id, TYPE_NAMES);
                    ir::Type::Text
                }
            },
        }
    }

    /// Pass 2: types of event properties and attributes.
    pub fn schema(&mut self) -> (Vec<ir::EventDef>, Vec<ir::AttributeDef>, Option<String>) {
        let events: Vec<(&'a str, Decl<'a, ast::EventDecl>)> = self.events.iter().map(|(k, v)| (*k, *v)).collect();
        let mut out_events = Vec::new();
        for (name, d) in events {
            let mut props: Vec<(String, ir::Type)> = Vec::new();
            for p in &d.node.properties {
                if props.iter().any(|(n, _)| *n == p.name.name) {
                    self.push(
                        Diagnostic::new(
                            "J102",
                            format!("property `{}` of event `{name}` is declared twice", p.name.name),
                        )
                        .primary(d.file, p.name.span, "declared again")
                        .help("declare each property once"),
                    );
                    continue;
                }
                let ty = self.resolve_type(d.file, &p.ty);
                props.push((p.name.name.clone(), ty));
            }
            out_events.push(ir::EventDef {
                name: name.to_string(),
                properties: props.iter().map(|(n, t)| ir::PropertyDef { name: n.clone(), ty: t.clone() }).collect(),
                origin: self.origin(d.file, d.node.name.span),
            });
            self.event_props.insert(name, props);
        }
        let attrs: Vec<(&'a str, Decl<'a, ast::AttributeDecl>)> =
            self.attributes.iter().map(|(k, v)| (*k, *v)).collect();
        let mut out_attrs = Vec::new();
        let mut tz_attr: Option<(&str, FileId, Span)> = None;
        for (name, d) in attrs {
            let ty = self.resolve_type(d.file, &d.node.ty);
            if ty == ir::Type::Timezone {
                if let Some((first, ffile, fspan)) = tz_attr {
                    self.push(
                        Diagnostic::new(
                            "J102",
                            format!("two attributes hold the customer time zone: `{first}` and `{name}`"),
                        )
                        .primary(d.file, d.node.name.span, "second time zone attribute")
                        .secondary(ffile, fspan, "first one")
                        .help("keep one attribute of type timezone; quiet hours and `local` times use it"),
                    );
                } else {
                    tz_attr = Some((name, d.file, d.node.name.span));
                }
            }
            if d.node.account {
                self.account_attrs.insert(name);
            }
            out_attrs.push(ir::AttributeDef {
                name: name.to_string(),
                ty: ty.clone(),
                origin: self.origin(d.file, d.node.name.span),
            });
            self.attr_types.insert(name, ty);
        }
        (out_events, out_attrs, tz_attr.map(|(n, _, _)| n.to_string()))
    }

    pub fn zone(&mut self, file: FileId, zone: Option<&ast::Zone>) -> ir::Zone {
        match zone {
            Some(ast::Zone::Local(_)) => ir::Zone::Customer,
            // no zone written: the project's, as docs/language.md says (each customer's
            // own zone is `local`); it was lowered as `local`, so a bare `wait until
            // 09:00` ran at 09:00 in every customer's zone
            None => ir::Zone::Named(self.timezone.clone()),
            Some(ast::Zone::Named(s)) => {
                if s.value.parse::<chrono_tz::Tz>().is_err() {
                    let help = match journey_diagnostics::suggest::time_zone(&s.value) {
                        Some(z) => format!("did you mean `\"{z}\"`?"),
                        None => "use `local` for the customer's zone, or a name such as \"Europe/Berlin\"".to_string(),
                    };
                    self.push(
                        Diagnostic::new("J407", format!("unknown time zone \"{}\"", s.value))
                            .primary(file, s.span, "not an IANA time zone")
                            .help(help),
                    );
                }
                ir::Zone::Named(s.value.clone())
            }
        }
    }

    pub fn channels(&mut self) -> Vec<ir::Channel> {
        let channels: Vec<(&'a str, Decl<'a, ast::ChannelDecl>)> =
            self.channels.iter().map(|(k, v)| (*k, *v)).collect();
        let mut out = Vec::new();
        for (name, d) in channels {
            let file = d.file;
            let mut kind = None;
            let mut consent = None;
            let mut quiet = None;
            let mut cap = None;
            let mut min_gap = None;
            let mut category: Option<journey_syntax::ast::Ident> = None;
            let mut origins = ir::SettingOrigins::default();
            let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
            for s in &d.node.settings {
                let (key, span) = match s {
                    ChannelSetting::Kind(i) => ("kind", i.span),
                    ChannelSetting::Consent(i) => ("consent", i.span),
                    ChannelSetting::QuietHours(q) => ("quiet_hours", q.span),
                    ChannelSetting::Cap(c) => ("cap", c.span),
                    ChannelSetting::MinGap(g) => ("min_gap", g.span),
                    ChannelSetting::Category(i) => ("category", i.span),
                };
                let whole = match s {
                    ChannelSetting::Kind(i) | ChannelSetting::Consent(i) | ChannelSetting::Category(i) => i.span,
                    ChannelSetting::QuietHours(q) => q.span,
                    ChannelSetting::Cap(c) => c.span,
                    ChannelSetting::MinGap(g) => g.span,
                };
                let o = Some(self.origin(file, whole));
                match s {
                    ChannelSetting::Consent(_) => origins.consent = o,
                    ChannelSetting::QuietHours(_) => origins.quiet_hours = o,
                    ChannelSetting::Cap(_) => origins.cap = o,
                    ChannelSetting::MinGap(_) => origins.min_gap = o,
                    ChannelSetting::Kind(_) | ChannelSetting::Category(_) => {}
                }
                if let Some(prev) = seen.insert(key, span) {
                    self.push(
                        Diagnostic::new("J102", format!("channel `{name}` sets `{key}` twice"))
                            .primary(file, span, "set again")
                            .secondary(file, prev, "first set here")
                            .help("keep one; the second would silently win"),
                    );
                }
                match s {
                    ChannelSetting::Kind(i) => match ir::ChannelKind::parse(&i.name) {
                        Some(k) => kind = Some(k),
                        None => {
                            let kinds: Vec<&str> = ir::ChannelKind::ALL.iter().map(|k| k.as_str()).collect();
                            self.undefined(file, "channel kind", i, &kinds);
                        }
                    },
                    ChannelSetting::Consent(i) => {
                        match self.attr_types.get(i.name.as_str()) {
                            Some(ir::Type::Bool) => {}
                            Some(other) => {
                                let other = other.describe();
                                self.push(
                                    Diagnostic::new(
                                        "J104",
                                        format!("consent needs a bool attribute, and `{}` is {other}", i.name),
                                    )
                                    .primary(file, i.span, other)
                                    .help("point consent at a bool attribute such as `email_opt_in`"),
                                );
                            }
                            None => {
                                let names: Vec<&str> = self.attr_types.keys().copied().collect();
                                self.undefined(file, "attribute", i, &names);
                            }
                        }
                        consent = Some(i.name.clone());
                    }
                    ChannelSetting::QuietHours(q) => {
                        if q.from.minutes_after_midnight() == q.to.minutes_after_midnight() {
                            self.push(
                                Diagnostic::new("J406", "quiet hours start and end at the same time")
                                    .primary(file, q.span, "an empty window")
                                    .help("write the window as START..END, e.g. 21:00..08:00"),
                            );
                        }
                        quiet = Some(ir::QuietHours {
                            from_minute: q.from.minutes_after_midnight(),
                            to_minute: q.to.minutes_after_midnight(),
                            zone: self.zone(file, q.zone.as_ref()),
                        });
                    }
                    ChannelSetting::Cap(c) => cap = self.cap(file, c),
                    ChannelSetting::MinGap(g) => min_gap = Some(g.minutes()),
                    ChannelSetting::Category(i) => category = Some(i.clone()),
                }
            }
            let kind = kind.or_else(|| ir::ChannelKind::parse(name)).unwrap_or_else(|| {
                if !d.node.settings.iter().any(|s| matches!(s, ChannelSetting::Kind(_))) {
                    self.push(
                        Diagnostic::new("J310", format!("channel `{name}` has no kind"))
                            .primary(file, d.node.name.span, "kind missing")
                            .help("add `kind email` (or sms, push, in_app, webhook, task)"),
                    );
                }
                ir::ChannelKind::Email
            });
            // issue 15: a category is what caps, suppression and the global holdout read;
            // on a task or webhook it would be taken for a message that never goes out
            if let (Some(c), false) = (&category, kind.is_message()) {
                self.push(
                    Diagnostic::new(
                        "J411",
                        format!("channel `{name}` is a {} channel, which reaches no customer", kind.as_str()),
                    )
                    .primary(file, c.span, "a category is for messages")
                    .help("remove `category`; tasks and webhooks are never suppressed, capped or held out"),
                );
            }
            if !kind.is_message() && (quiet.is_some() || cap.is_some() || consent.is_some()) {
                self.push(
                    Diagnostic::new(
                        "J411",
                        format!("channel `{name}` is a {} channel, which reaches no customer", kind.as_str()),
                    )
                    .primary(file, d.node.name.span, "consent, quiet hours and caps are for messages")
                    .help("remove consent, quiet_hours and cap, or make it a message channel"),
                );
            }
            out.push(ir::Channel {
                name: name.to_string(),
                kind,
                consent,
                quiet_hours: quiet,
                cap,
                min_gap_minutes: min_gap,
                category: category.map(|c| c.name),
                origin: self.origin(file, d.node.name.span),
                setting_origins: origins,
            });
        }
        out
    }

    fn cap(&mut self, file: FileId, c: &ast::Cap) -> Option<ir::Cap> {
        if c.count.value == 0 || c.window.minutes() == 0 {
            self.push(
                Diagnostic::new("J002", "a cap needs a count and a window above zero")
                    .primary(file, c.span, "never allows a message")
                    .help("write e.g. `cap 3 per 7d`; to block a channel, remove the sends"),
            );
            return None;
        }
        Some(ir::Cap { count: c.count.value, window_minutes: c.window.minutes() })
    }

    pub fn audiences(&mut self) -> Vec<ir::Audience> {
        let audiences: Vec<(&'a str, Decl<'a, ast::AudienceDecl>)> =
            self.audiences.iter().map(|(k, v)| (*k, *v)).collect();
        let mut out = Vec::new();
        for (name, d) in &audiences {
            let condition = self.condition(d.file, &d.node.condition, Scope::Customer, Some(name));
            out.push(ir::Audience { name: name.to_string(), condition, origin: self.origin(d.file, d.node.name.span) });
        }
        self.audience_cycles();
        out
    }

    /// J311: audiences defined through each other in a circle, reported as the path.
    fn audience_cycles(&mut self) {
        use petgraph::graph::DiGraph;
        // scores too (issue 15): an audience may read a score that reads the audience
        let names: Vec<&'a str> = self.audiences.keys().chain(self.scores.keys()).copied().collect();
        let mut g = DiGraph::<&str, (FileId, Span)>::new();
        let idx: BTreeMap<&str, _> = names.iter().map(|n| (*n, g.add_node(*n))).collect();
        for (from, deps) in &self.audience_deps {
            for (to, file, span) in deps {
                if let (Some(&a), Some(&b)) = (idx.get(from), idx.get(to.as_str())) {
                    g.add_edge(a, b, (*file, *span));
                }
            }
        }
        let mut reported = BTreeSet::new();
        for scc in petgraph::algo::tarjan_scc(&g) {
            let is_cycle = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
            if !is_cycle {
                continue;
            }
            // walk the cycle from its alphabetically first member, so output is stable
            let members: BTreeSet<_> = scc.iter().copied().collect();
            let start = *scc.iter().min_by_key(|i| g[**i]).unwrap();
            let mut path = vec![start];
            let mut edges = Vec::new();
            let mut cur = start;
            loop {
                let mut next = g
                    .edges(cur)
                    .filter(|e| members.contains(&petgraph::visit::EdgeRef::target(e)))
                    .map(|e| (petgraph::visit::EdgeRef::target(&e), *e.weight()))
                    .collect::<Vec<_>>();
                next.sort_by_key(|(t, _)| (*t != start, g[*t]));
                let Some((t, w)) = next.into_iter().find(|(t, _)| *t == start || !path.contains(t)) else { break };
                edges.push(w);
                if t == start {
                    path.push(t);
                    break;
                }
                path.push(t);
                cur = t;
            }
            if !reported.insert(g[start]) {
                continue;
            }
            let text: Vec<&str> = path.iter().map(|i| g[*i]).collect();
            let (file, span) = edges.first().copied().unwrap_or_default();
            let kind = if self.scores.contains_key(g[start]) { "score" } else { "audience" };
            let mut d = Diagnostic::new("J311", format!("{kind} `{}` is defined in terms of itself", g[start]))
                .primary(file, span, "refers back into the cycle")
                .note(format!("cycle: {}", text.join(" → ")))
                .help(format!("define one of these {kind}s without the others"));
            for (f, s) in edges.iter().skip(1) {
                d = d.secondary(*f, *s, "part of the cycle");
            }
            self.push(d);
        }
    }

    pub fn policy(&mut self) -> ir::Policy {
        let mut policy = ir::Policy::default();
        let policies: Vec<Decl<'a, ast::PolicyDecl>> = self.policies.clone();
        for p in policies {
            let file = p.file;
            for s in &p.node.settings {
                match s {
                    PolicySetting::Cap { channels, cap } => {
                        let chans = match channels {
                            ast::ChannelSet::Any(_) => None,
                            ast::ChannelSet::Some(list) => {
                                for c in list {
                                    if !self.channels.contains_key(c.name.as_str()) {
                                        let names = self.channel_names();
                                        self.undefined(file, "channel", c, &names);
                                    }
                                }
                                Some(list.iter().map(|c| c.name.clone()).collect())
                            }
                        };
                        if let Some(c) = self.cap(file, cap) {
                            policy.caps.push(ir::PolicyCap {
                                channels: chans,
                                cap: c,
                                origin: self.origin(file, cap.span),
                            });
                        }
                    }
                    PolicySetting::MinGap(d) => {
                        policy.min_gap_minutes = Some(d.minutes());
                        policy.min_gap_origin = Some(self.origin(file, d.span));
                    }
                    PolicySetting::QuietDays { days, .. } => {
                        for day in days {
                            match day {
                                ast::DayRef::Date(d) => {
                                    policy.quiet_days.push(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                                }
                                ast::DayRef::Weekday(w) => {
                                    let lower = w.name.to_lowercase();
                                    if WEEKDAYS.contains(&lower.as_str()) {
                                        policy.quiet_days.push(lower);
                                    } else {
                                        let help = suggest::help_for("weekday", &lower, WEEKDAYS);
                                        self.push(
                                            Diagnostic::new("J406", format!("`{}` is not a weekday", w.name))
                                                .primary(file, w.span, "not a weekday")
                                                .help(help),
                                        );
                                    }
                                }
                            }
                        }
                    }
                    PolicySetting::Conflicting(tags) => {
                        if tags.tags.len() < 2 {
                            self.push(
                                Diagnostic::new("J002", "a conflict needs at least two tags")
                                    .primary(file, tags.span, "nothing to conflict with")
                                    .help(
                                        "list the tags that must not meet, e.g. `conflicting [discount, full_price]`",
                                    ),
                            );
                        }
                        policy.conflicting.push(tags.tags.iter().map(|t| t.name.clone()).collect());
                    }
                }
            }
        }
        policy
    }
}
