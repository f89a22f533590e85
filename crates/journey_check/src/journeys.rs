//! Journeys: header settings, stages and steps lowered to IR nodes, goals, guardrails
//! and assumptions. Control flow is made explicit here: every step names the node it
//! goes to, and a stage without a terminating step falls through to the next stage.

use crate::context::{Ctx, Decl};
use crate::suggest;
use crate::types::Scope;
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir as ir;
use journey_syntax::ast::{self, JourneyItem, StepKind};
use std::collections::BTreeMap;

const SCHEDULE_PERIODS: &[&str] =
    &["day", "weekday", "weekend", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Where each stage starts, for resolving targets.
struct StageTable<'a> {
    first: BTreeMap<&'a str, ir::Transition>,
}

impl<'a> Ctx<'a> {
    pub fn journeys(&mut self) -> Vec<(ir::Journey, bool)> {
        let journeys: Vec<(&'a str, Decl<'a, ast::JourneyDecl>)> =
            self.journeys.iter().map(|(k, v)| (*k, *v)).collect();
        journeys
            .into_iter()
            .map(|(name, d)| {
                let before = self.error_count();
                let j = self.journey(name, d.file, d.node);
                (j, self.error_count() == before)
            })
            .collect()
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.severity == journey_diagnostics::Severity::Error).count()
    }

    fn journey(&mut self, name: &'a str, file: FileId, decl: &'a ast::JourneyDecl) -> ir::Journey {
        self.in_account_journey = runs_for_account(decl);
        let mut title = None;
        let mut owner = None;
        let mut priority = 50;
        let mut tags = Vec::new();
        let mut entry: Option<ir::Trigger> = None;
        let mut entry_also: Vec<ir::EventMatch> = Vec::new();
        let mut audience = None;
        let mut re_entry = ir::ReEntry::Never;
        let mut exits = Vec::new();
        let mut exit_origins = Vec::new();
        let mut entry_origin = self.origin(file, decl.name.span);
        let mut entry_label = String::new();
        let mut holdout = 0.0;
        let mut active = None;
        let mut for_account = false;
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let stages: Vec<&ast::Stage> =
            decl.items.iter().filter_map(|i| if let JourneyItem::Stage(s) = i { Some(s) } else { None }).collect();

        for item in &decl.items {
            let key = match item {
                JourneyItem::Title(s) => Some(("title", s.span)),
                JourneyItem::Owner(s) => Some(("owner", s.span)),
                JourneyItem::Priority(p) => Some(("priority", p.span)),
                JourneyItem::Tags(t) => Some(("tags", t.span)),
                JourneyItem::Entry(e) => Some(("entry", e.span)),
                JourneyItem::Audience(e) => Some(("audience", e.span)),
                JourneyItem::ReEntry(r) => Some((
                    "re_entry",
                    match r {
                        ast::ReEntry::Never(s) | ast::ReEntry::Always(s) | ast::ReEntry::After { span: s, .. } => *s,
                    },
                )),
                JourneyItem::Holdout(h) => Some(("holdout", h.span)),
                JourneyItem::Active(a) => Some(("active", a.span)),
                JourneyItem::ForAccount(s) => Some(("for", *s)),
                _ => None,
            };
            if let Some((key, span)) = key {
                if let Some(prev) = seen.insert(key, span) {
                    let help = if key == "entry" {
                        "a journey has one `entry`; to enter on either of two events write `entry on a or on b`"
                            .to_string()
                    } else {
                        format!("keep one `{key}`")
                    };
                    self.push(
                        Diagnostic::new("J102", format!("journey `{name}` sets `{key}` twice"))
                            .primary(file, span, "set again")
                            .secondary(file, prev, "first set here")
                            .help(help),
                    );
                    continue;
                }
            }
            match item {
                JourneyItem::Title(s) => title = Some(s.value.clone()),
                JourneyItem::Owner(s) => owner = Some(s.value.clone()),
                JourneyItem::Priority(p) => {
                    if p.value > 100 {
                        self.push(
                            Diagnostic::new("J002", format!("priority {} is above 100", p.value))
                                .primary(file, p.span, "out of range")
                                .help("priorities run from 0 to 100; higher wins when journeys compete"),
                        );
                    }
                    priority = p.value;
                }
                JourneyItem::Tags(t) => tags = t.tags.iter().map(|t| t.name.clone()).collect(),
                JourneyItem::Entry(e) => {
                    entry_origin = self.origin(file, e.span);
                    entry_label = journey_fmt::entry_line(&self.sources.get(file).text, e);
                    entry = Some(self.trigger(file, &e.trigger));
                    entry_also = self.entry_alternatives(file, e);
                }
                JourneyItem::Audience(e) => audience = Some(self.condition(file, e, Scope::Customer, None)),
                JourneyItem::ReEntry(r) => {
                    re_entry = match r {
                        ast::ReEntry::Never(_) => ir::ReEntry::Never,
                        ast::ReEntry::Always(_) => ir::ReEntry::Always,
                        ast::ReEntry::After { duration, .. } => ir::ReEntry::After { minutes: duration.minutes() },
                    }
                }
                JourneyItem::Exit(x) => {
                    let span = match x {
                        ast::Exit::OnEvent { span, .. } | ast::Exit::When { span, .. } => *span,
                    };
                    exit_origins.push(self.origin(file, span));
                    exits.push(match x {
                        ast::Exit::OnEvent { event, filter, .. } => match self.event_ref(file, event) {
                            Some(ev) => ir::ExitRule::Event {
                                event: ev.to_string(),
                                filter: filter.as_ref().map(|f| self.condition(file, f, Scope::Event(ev), None)),
                            },
                            None => {
                                exit_origins.pop();
                                continue;
                            }
                        },
                        ast::Exit::When { condition, .. } => ir::ExitRule::Condition {
                            condition: self.condition(file, condition, Scope::Customer, None),
                        },
                    })
                }
                JourneyItem::Holdout(h) => {
                    if !(0.0..=100.0).contains(&h.value) {
                        self.push(
                            Diagnostic::new("J405", format!("holdout of {}% is outside 0% to 100%", h.text))
                                .primary(file, h.span, "out of range")
                                .help("a holdout keeps this share of entrants out of the journey, e.g. `holdout 10%`"),
                        );
                    }
                    holdout = h.value.clamp(0.0, 100.0);
                }
                JourneyItem::Active(a) => active = self.active_window(file, a),
                JourneyItem::ForAccount(s) => {
                    for_account = true;
                    // J120 when journey.yaml maps no accounts (journey_run::accounts)
                    self.account_reads.push(crate::context::AccountRead { file, span: *s, text: "for account".into() });
                }
                _ => {}
            }
        }
        let entry = entry.unwrap_or_else(|| {
            self.push(
                Diagnostic::new("J310", format!("journey `{name}` has no entry"))
                    .primary(file, decl.name.span, "no one can enter")
                    .help("add an entry, e.g. `entry on signup` or `entry when audience at_risk entered`"),
            );
            ir::Trigger::Event { event: String::new(), filter: None }
        });

        // A recurring entry (a schedule, a yearly date) with the default `re_entry
        // never` enters each customer once, on the first run they exist for; the engine
        // and the calendar both follow that, and so must the author's expectation.
        let recurring = matches!(entry, ir::Trigger::Schedule { .. } | ir::Trigger::DateAttribute { .. });
        if let (true, None, Some(&span)) = (recurring, seen.get("re_entry"), seen.get("entry")) {
            let runs = match &entry {
                ir::Trigger::Schedule { period, .. } => {
                    format!("runs every {}", period.replace("month_day:", "month on day "))
                }
                _ => "comes back every year".to_string(),
            };
            self.push(
                Diagnostic::new("J312", format!("journey `{name}` enters each customer only once, though its entry repeats"))
                    .primary(file, span, format!("{runs}, but `re_entry` defaults to `never`"))
                    .help("write `re_entry always` to enter customers on every run, `re_entry after 28d` to space entries, or `re_entry never` if once is meant"),
            );
        }

        // stages: duplicates, then the table of where each one starts
        let mut unique: Vec<&ast::Stage> = Vec::new();
        for s in &stages {
            if let Some(prev) = unique.iter().find(|u| u.name.name == s.name.name) {
                self.push(
                    Diagnostic::new("J102", format!("stage `{}` is defined twice in journey `{name}`", s.name.name))
                        .primary(file, s.name.span, "defined again")
                        .secondary(file, prev.name.span, "first defined here")
                        .help("rename one of the stages"),
                );
                continue;
            }
            unique.push(s);
        }
        if unique.is_empty() {
            self.push(
                Diagnostic::new("J310", format!("journey `{name}` has no stages"))
                    .primary(file, decl.name.span, "nothing happens in it")
                    .help("add a stage, e.g. `stage welcome { send email \"welcome\" }`"),
            );
        }
        let table = stage_table(&unique);
        // sized once: a node is large, and growing by doubling copied every journey's
        // nodes several times (a third of lowering, with the page faults)
        let mut nodes = Vec::with_capacity(unique.iter().map(|s| s.steps.len()).sum());
        let mut stage_infos = Vec::with_capacity(unique.len());
        for (si, stage) in unique.iter().enumerate() {
            let fall_through =
                unique.get(si + 1).map_or(ir::Transition::End, |n| table.first[n.name.name.as_str()].clone());
            stage_infos.push(ir::StageInfo {
                name: stage.name.name.clone(),
                first: table.first[stage.name.name.as_str()].clone(),
                origin: self.origin(file, stage.name.span),
            });
            self.stage_nodes(file, name, stage, &table, &unique, fall_through, &mut nodes);
        }
        let start = unique.first().map_or(ir::Transition::End, |s| table.first[s.name.name.as_str()].clone());

        let mut goals: Vec<ir::Goal> = Vec::new();
        let mut guardrails = Vec::new();
        let mut assumptions = Vec::new();
        for item in &decl.items {
            match item {
                JourneyItem::Goal(g) => {
                    if let Some(prev) = goals.iter().find(|p| p.name == g.name.name) {
                        let prev_span = prev.origin.span;
                        self.push(
                            Diagnostic::new("J102", format!("goal `{}` is defined twice", g.name.name))
                                .primary(file, g.name.span, "defined again")
                                .secondary(file, prev_span, "first defined here")
                                .help("give each goal its own name"),
                        );
                        continue;
                    }
                    let kind = match &g.kind {
                        ast::GoalKind::Event { event, filter } => match self.event_ref(file, event) {
                            Some(ev) => ir::GoalKind::Event {
                                event: ev.to_string(),
                                filter: filter.as_ref().map(|f| self.condition(file, f, Scope::Event(ev), None)),
                            },
                            None => continue,
                        },
                        ast::GoalKind::Reach(stage) => {
                            if !table.first.contains_key(stage.name.as_str()) {
                                let names: Vec<&str> = table.first.keys().copied().collect();
                                self.undefined(file, "stage", stage, &names);
                            }
                            ir::GoalKind::Reach { stage: stage.name.clone() }
                        }
                        ast::GoalKind::Sum { event, property, filter } => {
                            match self.amount_goal(file, g, event, property, filter) {
                                Some(kind) => kind,
                                None => continue,
                            }
                        }
                    };
                    if g.within.minutes() == 0 {
                        self.push(
                            Diagnostic::new("J219", format!("goal `{}` has a window of zero", g.name.name))
                                .primary(file, g.within.span, "no time after the entry")
                                .help("give the goal a window after the entry, such as `within 30d`"),
                        );
                        continue;
                    }
                    goals.push(ir::Goal {
                        name: g.name.name.clone(),
                        kind,
                        within_minutes: g.within.minutes(),
                        origin: self.origin(file, g.name.span),
                    });
                }
                JourneyItem::Guardrail(g) => {
                    if let Some(gr) = self.guardrail(file, g) {
                        guardrails.push(gr);
                    }
                }
                _ => {}
            }
        }
        let declared_goals: Vec<&str> = decl
            .items
            .iter()
            .filter_map(|i| match i {
                JourneyItem::Goal(g) => Some(g.name.name.as_str()),
                _ => None,
            })
            .collect();
        for item in &decl.items {
            if let JourneyItem::Assume(a) = item {
                if let Some(a) = self.assumption(file, a, &goals, &declared_goals) {
                    assumptions.push(a);
                }
            }
        }
        ir::Journey {
            name: name.to_string(),
            title,
            owner,
            priority,
            tags,
            entry,
            entry_also,
            audience,
            re_entry,
            exits,
            holdout_percent: holdout,
            start,
            stages: stage_infos,
            nodes,
            goals,
            guardrails,
            assumptions,
            active,
            for_account,
            origin: self.origin(file, decl.name.span),
            entry_origin,
            exit_origins,
            entry_label,
        }
    }

    /// issue 15: `goal revenue = sum(purchase.amount [where …] within 30d)`: the
    /// property must be money (kept in the program's currency) or a number.
    fn amount_goal(
        &mut self,
        file: FileId,
        g: &ast::Goal,
        event: &ast::Ident,
        property: &ast::Ident,
        filter: &Option<ast::Expr>,
    ) -> Option<ir::GoalKind> {
        let ev = self.event_ref(file, event)?;
        let props = self.event_props.get(ev).cloned().unwrap_or_default();
        let Some((_, pty)) = props.iter().find(|(p, _)| *p == property.name) else {
            let names: Vec<&str> = props.iter().map(|(p, _)| p.as_str()).collect();
            let help = suggest::help_for("property", &property.name, &names);
            self.push(
                Diagnostic::new("J103", format!("event `{ev}` has no property `{}`", property.name))
                    .primary(file, property.span, "unknown property")
                    .help(help),
            );
            return None;
        };
        let unit = match pty {
            ir::Type::Money => ir::AmountUnit::Money,
            ir::Type::Number => ir::AmountUnit::Number,
            other => {
                let numeric: Vec<&str> = props
                    .iter()
                    .filter(|(_, t)| matches!(t, ir::Type::Money | ir::Type::Number))
                    .map(|(p, _)| p.as_str())
                    .collect();
                let help = match numeric.as_slice() {
                    [] => format!(
                        "`{ev}` has no money or number property; count conversions with `goal {} = {ev} within …`",
                        g.name.name
                    ),
                    [one] => format!("an amount goal adds up money or numbers: write `sum({ev}.{one} within …)`"),
                    many => format!(
                        "an amount goal adds up money or numbers; `{ev}` has {}",
                        many.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                self.push(
                    Diagnostic::new(
                        "J218",
                        format!(
                            "goal `{}` adds up `{ev}.{}`, which is {}, not money or a number",
                            g.name.name,
                            property.name,
                            other.describe()
                        ),
                    )
                    .primary(file, property.span, other.describe())
                    .help(help),
                );
                return None;
            }
        };
        Some(ir::GoalKind::Sum {
            event: ev.to_string(),
            property: property.name.clone(),
            filter: filter.as_ref().map(|f| self.condition(file, f, Scope::Event(ev), None)),
            unit,
            currency: (unit == ir::AmountUnit::Money).then(|| self.currency.clone()),
        })
    }

    fn event_ref(&mut self, file: FileId, event: &ast::Ident) -> Option<&'a str> {
        match self.events.get_key_value(event.name.as_str()) {
            Some((k, _)) => Some(*k),
            None => {
                let names = self.event_names();
                self.undefined(file, "event", event, &names);
                None
            }
        }
    }

    /// `wait … for purchase where amount > 10 or vip then …` reads `vip` as a second
    /// event to wait for (`or NAME then` lists events). When `vip` is no event but a
    /// value the filter could read, the writer most likely meant the filter: say so,
    /// with the parenthesised form, instead of a bare "unknown event".
    fn value_read_as_event(&mut self, file: FileId, name: &ast::Ident, after_filter: bool) -> bool {
        let n = name.name.as_str();
        if self.events.contains_key(n) || !after_filter {
            return false;
        }
        let kind = if self.attributes.contains_key(n) {
            "an attribute"
        } else if self.audiences.contains_key(n) {
            "an audience"
        } else if self.scores.contains_key(n) {
            "a score"
        } else if self.event_props.values().any(|ps| ps.iter().any(|(p, _)| p == n)) {
            "an event property"
        } else {
            return false;
        };
        self.push(
            Diagnostic::new("J101", format!("unknown event `{n}`"))
                .primary(file, name.span, format!("`or {n}` here starts another event to wait for"))
                .note(format!("`{n}` is {kind}, not an event"))
                .help(format!("to read `{n}` in the filter, put the filter in parentheses: `where (… or {n})`")),
        );
        true
    }

    /// Several triggers: the alternatives after the first, which must all be `on
    /// EVENT` (as must the first): a journey entered on an event or on a schedule
    /// would need two notions of when it runs, so other kinds are rejected (J320).
    fn entry_alternatives(&mut self, file: FileId, e: &ast::Entry) -> Vec<ir::EventMatch> {
        let mut out = Vec::new();
        if e.also.is_empty() {
            return out;
        }
        let first_is_event = matches!(e.trigger, ast::Trigger::Event { .. });
        if !first_is_event {
            let kind = trigger_kind(&e.trigger);
            self.push(
                Diagnostic::new("J320", format!("{kind} cannot be combined with other triggers"))
                    .primary(file, e.also[0].span, "only `on EVENT` triggers can be combined with `or`")
                    .help("enter on events only (`entry on signup or on trial_started`), or split the journey in two"),
            );
        }
        let mut seen: Vec<&str> = match &e.trigger {
            ast::Trigger::Event { event, .. } => vec![event.name.as_str()],
            _ => Vec::new(),
        };
        for alt in &e.also {
            let ast::Trigger::Event { event, .. } = &alt.trigger else {
                if first_is_event {
                    let kind = trigger_kind(&alt.trigger);
                    self.push(
                        Diagnostic::new("J320", format!("{kind} cannot be combined with other triggers"))
                            .primary(file, alt.span, "only `on EVENT` triggers can be combined with `or`")
                            .help("enter on events only (`entry on signup or on trial_started`), or give this trigger a journey of its own"),
                    );
                }
                continue;
            };
            if seen.contains(&event.name.as_str()) {
                self.push(
                    Diagnostic::new("J320", format!("the entry lists `{}` twice", event.name))
                        .primary(file, alt.span, "listed again")
                        .help(format!(
                            "write one `on {}` with both filters joined by `or`: `on {} where (a) or (b)`",
                            event.name, event.name
                        )),
                );
                continue;
            }
            seen.push(event.name.as_str());
            // an unknown event is reported by `trigger` and left out of the IR
            if let ir::Trigger::Event { event, filter } = self.trigger(file, &alt.trigger) {
                if self.events.contains_key(event.as_str()) {
                    out.push(ir::EventMatch { event, filter });
                }
            }
        }
        out
    }

    fn trigger(&mut self, file: FileId, t: &ast::Trigger) -> ir::Trigger {
        match t {
            ast::Trigger::Event { event, filter } => match self.event_ref(file, event) {
                Some(ev) => ir::Trigger::Event {
                    event: ev.to_string(),
                    filter: filter.as_ref().map(|f| self.condition(file, f, Scope::Event(ev), None)),
                },
                None => ir::Trigger::Event { event: event.name.clone(), filter: None },
            },
            ast::Trigger::Audience { audience, edge, .. } => {
                if !self.audiences.contains_key(audience.name.as_str()) {
                    let names: Vec<&str> = self.audiences.keys().copied().collect();
                    self.undefined(file, "audience", audience, &names);
                }
                let audience = audience.name.clone();
                match edge {
                    ast::AudienceEdge::Entered => ir::Trigger::AudienceEntered { audience },
                    ast::AudienceEdge::Exited => ir::Trigger::AudienceExited { audience },
                }
            }
            ast::Trigger::Condition { condition } => {
                ir::Trigger::Condition { condition: self.condition(file, condition, Scope::Customer, None) }
            }
            ast::Trigger::Schedule { period, at, zone } => {
                let period = match period {
                    ast::SchedulePeriod::Named(p) => {
                        let lower = p.name.to_lowercase();
                        if !SCHEDULE_PERIODS.contains(&lower.as_str()) {
                            let help = suggest::help_for("schedule period", &lower, SCHEDULE_PERIODS);
                            self.push(
                                Diagnostic::new("J406", format!("`{}` is not a schedule period", p.name))
                                    .primary(file, p.span, "unknown period")
                                    .help(help),
                            );
                        }
                        lower
                    }
                    ast::SchedulePeriod::Monthly { day, .. } => {
                        // 29 to 31 run on the last day of a shorter month, as the engine
                        // does and docs/language.md says: only a day no month has is wrong
                        if !(1..=31).contains(&day.value) {
                            self.push(
                                Diagnostic::new("J406", format!("day {} is not a day of the month", day.value))
                                    .primary(file, day.span, "use 1 to 31")
                                    .help("pick a day from 1 to 31; in a month without it (the 31st of April, the 30th of February) the journey runs on the month's last day"),
                            );
                        }
                        format!("month_day:{}", day.value)
                    }
                };
                ir::Trigger::Schedule {
                    period,
                    minute_of_day: at.minutes_after_midnight(),
                    zone: self.zone(file, zone.as_ref()),
                }
            }
            ast::Trigger::Date { attribute, offset, at } => {
                self.date_attribute(file, attribute);
                let offset_minutes = offset.as_ref().map_or(0, |o| signed(o.negative, o.duration.minutes()));
                ir::Trigger::DateAttribute {
                    attribute: attribute.name.clone(),
                    offset_minutes,
                    minute_of_day: at.as_ref().map(|t| t.minutes_after_midnight()),
                }
            }
        }
    }

    fn date_attribute(&mut self, file: FileId, attribute: &ast::Ident) {
        match self.attr_types.get(attribute.name.as_str()) {
            Some(ir::Type::Date | ir::Type::Time) => {}
            Some(other) => {
                let other = other.describe();
                self.push(
                    Diagnostic::new("J104", format!("`{}` is {other}, not a date", attribute.name))
                        .primary(file, attribute.span, other)
                        .help("use an attribute of type date or time, e.g. `renewal_date`"),
                );
            }
            None => {
                let names: Vec<&str> = self
                    .attr_types
                    .iter()
                    .filter(|(_, t)| matches!(t, ir::Type::Date | ir::Type::Time))
                    .map(|(n, _)| *n)
                    .collect();
                self.undefined(file, "date attribute", attribute, &names);
            }
        }
    }

    fn target(&mut self, file: FileId, t: &ast::Target, table: &StageTable) -> ir::Transition {
        match t {
            ast::Target::End(_) => ir::Transition::End,
            ast::Target::Stage(s) => match table.first.get(s.name.as_str()) {
                Some(t) => t.clone(),
                None => {
                    let names: Vec<&str> = table.first.keys().copied().collect();
                    let help = suggest::help_for("stage", &s.name, &names);
                    let mut help = help;
                    if self.journeys.contains_key(s.name.as_str()) {
                        help = format!("`{}` is a journey; write `journey {}` to hand over to it", s.name, s.name);
                    }
                    self.push(
                        Diagnostic::new("J101", format!("unknown stage `{}`", s.name))
                            .primary(file, s.span, "no stage of this name in the journey")
                            .help(help),
                    );
                    ir::Transition::End
                }
            },
            ast::Target::Journey(j, _) => {
                match self.journeys.get(j.name.as_str()).copied() {
                    None => {
                        let names = self.journey_names();
                        self.undefined(file, "journey", j, &names);
                    }
                    // issue 15: an account's state runs only `for account` journeys
                    // and a customer's only the others, so a handover across would
                    // silently enter no one
                    Some(target) if runs_for_account(target.node) != self.in_account_journey => {
                        let (from, to) = if self.in_account_journey {
                            ("an account", "a customer")
                        } else {
                            ("a customer", "an account")
                        };
                        self.push(
                            Diagnostic::new(
                                "J104",
                                format!("`goto journey {}` hands {from} over to a journey that runs per {}", j.name, &to[to.find(' ').map_or(0, |i| i + 1)..]),
                            )
                            .primary(file, j.span, format!("runs for {to}"))
                            .help("a `for account` journey can hand over only to another `for account` journey, and a customer's journey only to a customer's"),
                        );
                    }
                    Some(_) => {}
                }
                ir::Transition::Journey(j.name.clone())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn stage_nodes(
        &mut self,
        file: FileId,
        journey: &str,
        stage: &ast::Stage,
        table: &StageTable,
        _stages: &[&ast::Stage],
        fall_through: ir::Transition,
        nodes: &mut Vec<ir::Node>,
    ) {
        let live = live_steps(&stage.steps);
        if live < stage.steps.len() {
            let dead = &stage.steps[live];
            let last = &stage.steps[stage.steps.len() - 1];
            self.push(
                Diagnostic::new("J308", "this step can never run")
                    .primary(file, dead.span.to(last.span), "unreachable")
                    .secondary(file, stage.steps[live - 1].span, "control never continues past this step")
                    .help("move these steps to a stage of their own and target it, or delete them"),
            );
        }
        let id = |i: usize| {
            let mut id = String::with_capacity(stage.name.name.len() + 4);
            id.push_str(&stage.name.name);
            id.push('#');
            crate::context::push_decimal(&mut id, i as u64);
            id
        };
        for (i, step) in stage.steps[..live].iter().enumerate() {
            let next = if i + 1 < live { ir::Transition::Node(id(i + 1)) } else { fall_through.clone() };
            let step_ir = self.step(file, journey, step, next, table);
            nodes.push(ir::Node {
                id: id(i),
                stage: stage.name.name.clone(),
                step: step_ir,
                origin: self.origin(file, step.span),
                label: self.step_label(file, step),
            });
        }
    }

    /// A step's label in pictures: its first line as `journey fmt` prints it; a bare
    /// `wait until 09:00` also names the project zone it runs in, as the same step
    /// would write it (`wait until 09:00 "Europe/Berlin"`), so it does not read as
    /// the customer's own 09:00.
    fn step_label(&self, file: FileId, step: &ast::Step) -> String {
        let line = journey_fmt::step_line(&self.sources.get(file).text, step);
        match &step.kind {
            StepKind::WaitUntilTime { zone: None, .. } => {
                format!("{line} {}", journey_fmt::string_literal(&self.timezone))
            }
            _ => line,
        }
    }

    /// issue 15: a CSM task: its owner (J330 on an owner attribute that is not text,
    /// J333 on an empty fixed owner), fallback queue (a task channel), due (J331 when
    /// zero) and priority (J332 when unknown).
    #[allow(clippy::too_many_arguments)]
    fn task_step(
        &mut self,
        file: FileId,
        channel: &ast::Ident,
        title: &ast::StringLit,
        assignee: Option<&ast::StringLit>,
        owner: Option<&ast::TaskOwner>,
        due: Option<&ast::TaskDue>,
        priority: Option<&ast::Ident>,
        next: ir::Transition,
    ) -> ir::Step {
        use ir::ChannelKind as K;
        let fixed = assignee.or(match owner {
            Some(ast::TaskOwner::Fixed(s)) => Some(s),
            _ => None,
        });
        if let Some(s) = fixed {
            if s.value.trim().is_empty() {
                let word = if assignee.is_some() { "assign" } else { "owner" };
                self.push(Diagnostic::new("J333", "this task's owner is empty").primary(file, s.span, "no one").help(
                    format!(
                        "name the owner (`{word} \"ana@example.com\"`), read it from an attribute \
                             (`owner attribute csm_owner`), or remove `{word}` to leave the task in its queue"
                    ),
                ));
            }
        }
        let mut source = fixed.map(|s| ir::OwnerSource::Fixed { name: s.value.clone() });
        let mut fallback_queue = None;
        if let Some(ast::TaskOwner::Attribute { attribute, queue }) = owner {
            match self.attr_types.get(attribute.name.as_str()).cloned() {
                None => {
                    let names: Vec<&str> = self.attr_types.keys().copied().collect();
                    self.undefined(file, "attribute", attribute, &names);
                }
                Some(ir::Type::Text | ir::Type::OneOf { .. }) => {}
                Some(other) => {
                    let mut d = Diagnostic::new(
                        "J330",
                        format!("a task's owner must be text, but `{}` is {}", attribute.name, other.describe()),
                    )
                    .primary(file, attribute.span, other.describe());
                    if let Some(decl) = self.attributes.get(attribute.name.as_str()).copied() {
                        d = d.secondary(decl.file, decl.node.ty.span(), "declared here");
                    }
                    let texts: Vec<&str> = (self.attr_types.iter())
                        .filter(|(_, t)| matches!(t, ir::Type::Text | ir::Type::OneOf { .. }))
                        .map(|(n, _)| *n)
                        .collect();
                    let help = match texts.as_slice() {
                        [] => {
                            "declare a text attribute holding the owner (`attribute csm_owner: text`) and read it with \
                               `owner attribute csm_owner`"
                                .to_string()
                        }
                        [one] => format!("read the owner from a text attribute, e.g. `owner attribute {one}`"),
                        many => format!(
                            "read the owner from a text or choice attribute: {}",
                            many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    self.push(d.help(help));
                }
            }
            if let Some(q) = queue {
                self.channel_of_kind(file, q, "else queue", &[K::Task]);
            }
            source = Some(ir::OwnerSource::Attribute { attribute: attribute.name.clone() });
            fallback_queue = Some(queue.as_ref().map_or_else(|| channel.name.clone(), |q| q.name.clone()));
        }
        let due = due.map(|d| {
            if d.amount() == 0 {
                let (label, help) = match d {
                    ast::TaskDue::Business(_) => ("zero business days", "give at least `due 1 business day`"),
                    _ => ("due at once", "give a positive delay (`due 2 days`, `due 4 hours`), or remove `due`"),
                };
                self.push(
                    Diagnostic::new("J331", "this task is due the moment it is created")
                        .primary(file, d.span(), label)
                        .help(help),
                );
            }
            match d {
                ast::TaskDue::Business(b) => ir::TaskDue::BusinessDays(b.amount),
                ast::TaskDue::Span { amount, hours, .. } => {
                    ir::TaskDue::Minutes(amount.saturating_mul(if *hours { 60 } else { 24 * 60 }))
                }
                ast::TaskDue::Duration(d) => ir::TaskDue::Minutes(d.minutes()),
            }
        });
        let priority = match priority {
            None => ir::TaskPriority::Normal,
            Some(p) => ir::TaskPriority::parse(&p.name).unwrap_or_else(|| {
                let names: Vec<&str> = ir::TaskPriority::ALL.iter().map(|p| p.as_str()).collect();
                let help = match crate::suggest::closest(&p.name, names.iter().copied()) {
                    Some(c) => format!("did you mean `priority {c}`? The priorities are low, normal, high and urgent"),
                    None => "the priorities are low, normal, high and urgent".to_string(),
                };
                self.push(
                    Diagnostic::new("J332", format!("unknown task priority `{}`", p.name))
                        .primary(file, p.span, "not a priority")
                        .help(help),
                );
                ir::TaskPriority::Normal
            }),
        };
        ir::Step::Task {
            channel: channel.name.clone(),
            title: title.value.clone(),
            assignee: fixed.map(|a| a.value.clone()),
            owner: source,
            fallback_queue,
            due,
            priority,
            next,
        }
    }

    fn channel_of_kind(&mut self, file: FileId, channel: &ast::Ident, step: &str, want: &[ir::ChannelKind]) {
        let Some(decl) = self.channels.get(channel.name.as_str()).copied() else {
            let candidates: Vec<&str> = self.channels.keys().copied().collect();
            self.undefined(file, "channel", channel, &candidates);
            return;
        };
        let kind = decl
            .node
            .settings
            .iter()
            .find_map(|s| if let ast::ChannelSetting::Kind(k) = s { ir::ChannelKind::parse(&k.name) } else { None })
            .or_else(|| ir::ChannelKind::parse(&channel.name));
        if let Some(kind) = kind {
            if !want.contains(&kind) {
                let help = match kind {
                    ir::ChannelKind::Task => format!("create tasks with `task {} \"…\"`", channel.name),
                    ir::ChannelKind::Webhook => format!("call webhooks with `webhook {} \"…\"`", channel.name),
                    _ => format!("send messages with `send {} \"…\"`", channel.name),
                };
                self.push(
                    Diagnostic::new(
                        "J411",
                        format!("`{step}` cannot use `{}`, a {} channel", channel.name, kind.as_str()),
                    )
                    .primary(file, channel.span, format!("a {} channel", kind.as_str()))
                    .secondary(decl.file, decl.node.name.span, "declared here")
                    .help(help),
                );
            }
        }
    }

    fn step(
        &mut self,
        file: FileId,
        journey: &str,
        step: &ast::Step,
        next: ir::Transition,
        table: &StageTable,
    ) -> ir::Step {
        use ir::ChannelKind as K;
        match &step.kind {
            StepKind::Send { channel, template, tags } => {
                self.channel_of_kind(file, channel, "send", &[K::Email, K::Sms, K::Push, K::InApp]);
                ir::Step::Send {
                    channel: channel.name.clone(),
                    template: template.value.clone(),
                    tags: tags.as_ref().map(|t| t.tags.iter().map(|t| t.name.clone()).collect()).unwrap_or_default(),
                    next,
                }
            }
            StepKind::Wait(d) => {
                if d.minutes() == 0 {
                    self.push(
                        Diagnostic::new("J309", "this wait lasts no time at all")
                            .primary(file, d.span, "zero duration")
                            .help("wait a positive duration, or remove the step"),
                    );
                }
                ir::Step::Wait { minutes: d.minutes(), next }
            }
            StepKind::WaitBusinessDays(d) => {
                // issue 15: `wait 0 business days` is `wait 0d` in other words
                if d.amount == 0 {
                    self.push(
                        Diagnostic::new("J309", "this wait lasts no time at all")
                            .primary(file, d.span, "zero business days")
                            .help("wait at least `1 business day`, or remove the step"),
                    );
                }
                ir::Step::WaitBusinessDays { days: d.amount, next }
            }
            StepKind::WaitUntilTime { at, zone } => ir::Step::WaitUntilTime {
                minute_of_day: at.minutes_after_midnight(),
                zone: self.zone(file, zone.as_ref()),
                next,
            },
            StepKind::WaitUntilDate(e) => {
                let (attribute, offset) = self.date_target(file, e);
                ir::Step::WaitUntilDate { attribute, offset_minutes: offset, next }
            }
            StepKind::WaitFor { timeout, event, filter, then, on_timeout, also } => {
                let ev = self.event_ref(file, event);
                // did the event before each `or` have a `where` (which `or NAME` ends)?
                let mut filtered = filter.is_some();
                let filter = match (ev, filter) {
                    (Some(ev), Some(f)) => Some(self.condition(file, f, Scope::Event(ev), None)),
                    _ => None,
                };
                // any of several events: each checked as the first is
                let mut seen = vec![event.name.as_str()];
                let mut also_ir = Vec::new();
                for alt in also {
                    let after_filter = std::mem::replace(&mut filtered, alt.filter.is_some());
                    if seen.contains(&alt.event.name.as_str()) {
                        self.push(
                            Diagnostic::new("J320", format!("the wait lists `{}` twice", alt.event.name))
                                .primary(file, alt.event.span, "listed again")
                                .help(format!(
                                    "wait for one `{}` with both filters joined by `or`: `{} where (a) or (b)`",
                                    alt.event.name, alt.event.name
                                )),
                        );
                        continue;
                    }
                    seen.push(alt.event.name.as_str());
                    if self.value_read_as_event(file, &alt.event, after_filter) {
                        continue;
                    }
                    let Some(aev) = self.event_ref(file, &alt.event) else { continue };
                    let afilter = alt.filter.as_ref().map(|f| self.condition(file, f, Scope::Event(aev), None));
                    also_ir.push(ir::EventMatch { event: aev.to_string(), filter: afilter });
                }
                if timeout.minutes() == 0 {
                    self.push(
                        Diagnostic::new("J309", "this wait times out at once")
                            .primary(file, timeout.span, "zero timeout")
                            .help("give the customer time to act, e.g. `wait up to 3d for …`"),
                    );
                }
                ir::Step::WaitFor {
                    event: event.name.clone(),
                    filter,
                    timeout_minutes: timeout.minutes(),
                    then: self.target(file, then, table),
                    timeout: self.target(file, on_timeout, table),
                    also: also_ir,
                }
            }
            StepKind::Branch { arms, otherwise } => {
                let arms = arms
                    .iter()
                    .map(|a| ir::BranchArm {
                        condition: self.condition(file, &a.condition, Scope::Customer, None),
                        label: journey_fmt::expression(&self.sources.get(file).text, &a.condition),
                        target: self.target(file, &a.target, table),
                        origin: self.origin(file, a.span),
                    })
                    .collect();
                // without an else, customers who match no arm carry on with the next step
                let otherwise = match otherwise {
                    Some(t) => self.target(file, t, table),
                    None => next,
                };
                ir::Step::Branch { arms, otherwise }
            }
            StepKind::Split { name, arms } => {
                let total: f64 = arms.iter().map(|a| a.weight.value).sum();
                if (total - 100.0).abs() > 1e-9 {
                    let first = arms.first().map_or(step.span, |a| a.span);
                    let last = arms.last().map_or(step.span, |a| a.span);
                    let shown = format!("{total}").trim_end_matches(".0").to_string();
                    self.push(
                        Diagnostic::new("J304", format!("split weights add up to {shown}%, not 100%"))
                            .primary(file, first.to(last), format!("{shown}% in total"))
                            .help("make the weights add up to 100%; to hold customers out, use `holdout`"),
                    );
                }
                for a in arms {
                    if a.weight.value <= 0.0 {
                        self.push(
                            Diagnostic::new("J306", "an arm with 0% is never taken")
                                .primary(file, a.span, "never taken")
                                .help("remove the arm or give it a weight"),
                        );
                    }
                }
                ir::Step::Split {
                    name: name.as_ref().map(|n| n.name.clone()),
                    arms: arms
                        .iter()
                        .map(|a| ir::SplitArm {
                            percent: a.weight.value,
                            target: self.target(file, &a.target, table),
                            origin: self.origin(file, a.span),
                        })
                        .collect(),
                }
            }
            StepKind::Set { attribute, value } => {
                let v = self.expr(file, value, Scope::Customer, None);
                match self.attr_types.get(attribute.name.as_str()).cloned() {
                    None => {
                        let names: Vec<&str> = self.attr_types.keys().copied().collect();
                        self.undefined(file, "attribute", attribute, &names);
                    }
                    Some(want) => {
                        if let Some(got) = &v.ty {
                            let ok = *got == want
                                || matches!(
                                    (&want, got),
                                    (ir::Type::OneOf { .. }, ir::Type::Text) | (ir::Type::Money, ir::Type::Number)
                                )
                                || matches!(
                                    (&want, got),
                                    (ir::Type::Date | ir::Type::Time, ir::Type::Date | ir::Type::Time)
                                );
                            if !ok {
                                self.push(
                                    Diagnostic::new(
                                        "J201",
                                        format!(
                                            "`{}` is {}, but the value is {}",
                                            attribute.name,
                                            want.describe(),
                                            got.describe()
                                        ),
                                    )
                                    .primary(file, value.span, got.describe())
                                    .secondary(file, attribute.span, want.describe())
                                    .help(format!(
                                        "set `{}` to a {}",
                                        attribute.name,
                                        want.describe()
                                    )),
                                );
                            }
                            if let (ir::Type::OneOf { choices }, ast::ExprKind::Literal(ast::Literal::String(s))) =
                                (&want, &value.kind)
                            {
                                if !choices.contains(&s.value) {
                                    let list: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
                                    self.push(
                                        Diagnostic::new(
                                            "J202",
                                            format!("\"{}\" is not one of the declared choices", s.value),
                                        )
                                        .primary(file, s.span, "not a declared choice")
                                        .help(format!("the choices are {}", list.join(", "))),
                                    );
                                }
                            }
                        }
                    }
                }
                ir::Step::SetAttribute { attribute: attribute.name.clone(), value: v.expr, next }
            }
            StepKind::Task { channel, title, assignee, owner, due, priority } => {
                self.channel_of_kind(file, channel, "task", &[K::Task]);
                self.task_step(
                    file,
                    channel,
                    title,
                    assignee.as_ref(),
                    owner.as_ref(),
                    due.as_ref(),
                    priority.as_ref(),
                    next,
                )
            }
            StepKind::Webhook { channel, template } => {
                self.channel_of_kind(file, channel, "webhook", &[K::Webhook]);
                ir::Step::Webhook { channel: channel.name.clone(), template: template.value.clone(), next }
            }
            StepKind::Goto(t) => {
                if let ast::Target::Journey(j, _) = t {
                    if j.name == journey {
                        // restarting the same journey is legal but rarely meant
                        let _ = j;
                    }
                }
                ir::Step::Goto { target: self.target(file, t, table) }
            }
            StepKind::End => ir::Step::End,
        }
    }

    /// `wait until renewal_date - 7d`: an attribute, optionally moved by a duration.
    fn date_target(&mut self, file: FileId, e: &ast::Expr) -> (String, i64) {
        use ast::{BinaryOp, ExprKind, Literal};
        let inner = match &e.kind {
            ExprKind::Paren(p) => p.as_ref(),
            _ => e,
        };
        match &inner.kind {
            ExprKind::Path(p) if p.len() == 1 => {
                self.date_attribute(file, &p[0]);
                (p[0].name.clone(), 0)
            }
            ExprKind::Binary { op: op @ (BinaryOp::Add | BinaryOp::Sub), lhs, rhs, .. } => {
                if let (ExprKind::Path(p), ExprKind::Literal(Literal::Duration(d))) = (&lhs.kind, &rhs.kind) {
                    if p.len() == 1 {
                        self.date_attribute(file, &p[0]);
                        return (p[0].name.clone(), signed(*op == BinaryOp::Sub, d.minutes()));
                    }
                }
                self.bad_date_target(file, e)
            }
            _ => self.bad_date_target(file, e),
        }
    }

    fn bad_date_target(&mut self, file: FileId, e: &ast::Expr) -> (String, i64) {
        self.push(
            Diagnostic::new("J201", "`wait until` needs a time of day or a date attribute")
                .primary(file, e.span, "not a date")
                .help("write e.g. `wait until 09:00 local` or `wait until renewal_date - 7d`"),
        );
        (String::new(), 0)
    }

    fn guardrail(&mut self, file: FileId, g: &ast::Guardrail) -> Option<ir::Guardrail> {
        let Some((_, kind)) = ir::METRICS.iter().find(|(m, _)| *m == g.metric.name) else {
            let names: Vec<&str> = ir::METRICS.iter().map(|(m, _)| *m).collect();
            let help = suggest::help_for("metric", &g.metric.name, &names);
            self.push(
                Diagnostic::new("J409", format!("unknown metric `{}`", g.metric.name))
                    .primary(file, g.metric.span, "the simulator does not measure this")
                    .help(help),
            );
            return None;
        };
        let limit = match (&g.limit, kind) {
            (ast::Literal::Percent(p), ir::MetricKind::Rate) => p.value / 100.0,
            (ast::Literal::Number(n), ir::MetricKind::Count) => n.value,
            (lit, ir::MetricKind::Rate) => {
                self.push(
                    Diagnostic::new("J203", format!("`{}` is a rate, so its limit needs a percentage", g.metric.name))
                        .primary(file, literal_span(lit), "no unit")
                        .help("write the limit as a percentage, e.g. 0.5%"),
                );
                return None;
            }
            (lit, ir::MetricKind::Count) => {
                self.push(
                    Diagnostic::new("J203", format!("`{}` is a count, so its limit is a plain number", g.metric.name))
                        .primary(file, literal_span(lit), "a percentage")
                        .help("write the limit as a number, e.g. 3"),
                );
                return None;
            }
        };
        let op = match g.op {
            ast::CmpOp::Eq => ir::CmpOp::Eq,
            ast::CmpOp::Ne => ir::CmpOp::Ne,
            ast::CmpOp::Lt => ir::CmpOp::Lt,
            ast::CmpOp::Le => ir::CmpOp::Le,
            ast::CmpOp::Gt => ir::CmpOp::Gt,
            ast::CmpOp::Ge => ir::CmpOp::Ge,
        };
        Some(ir::Guardrail { metric: g.metric.name.clone(), op, limit, origin: self.origin(file, g.span) })
    }

    fn assumption(
        &mut self,
        file: FileId,
        a: &ast::Assume,
        goals: &[ir::Goal],
        declared_goals: &[&str],
    ) -> Option<ir::Assumption> {
        let is_goal = goals.iter().any(|g| g.name == a.target.name);
        if !is_goal && declared_goals.contains(&a.target.name.as_str()) {
            // a goal that failed to lower (its own error was reported): not another one
            return None;
        }
        if !is_goal && !ir::BUILTIN_OUTCOMES.contains(&a.target.name.as_str()) {
            let mut names: Vec<&str> = goals.iter().map(|g| g.name.as_str()).collect();
            names.extend(ir::BUILTIN_OUTCOMES);
            let help = suggest::help_for("goal or outcome", &a.target.name, &names);
            self.push(
                Diagnostic::new(
                    "J410",
                    format!("`{}` is neither a goal of this journey nor a built-in outcome", a.target.name),
                )
                .primary(file, a.target.span, "nothing to apply the effect to")
                .help(help),
            );
            return None;
        }
        if let Some(g) = goals.iter().find(|g| g.name == a.target.name && g.kind.is_amount()) {
            // issue 15: an amount goal's effect is measured (treated vs held out), in money
            self.push(
                Diagnostic::new(
                    "J410",
                    format!("`{}` is an amount goal: an assumed effect applies to a conversion", g.name),
                )
                .primary(file, a.target.span, "an amount goal")
                .help(
                    "the report measures an amount goal's difference from the holdout; state the effect on a \
                         conversion goal or on `order_value` (`+5% (0%..10%)`)",
                ),
            );
            return None;
        }
        if a.effect.unit != a.low.unit || a.effect.unit != a.high.unit {
            self.push(
                Diagnostic::new("J410", "the effect and its range use different units")
                    .primary(file, a.effect.span.to(a.high.span), "mixed pp and %")
                    .help("write all three in percentage points (`+3pp (0pp..6pp)`) or all relative (`+5% (0%..10%)`)"),
            );
            return None;
        }
        if !(a.low.value <= a.effect.value && a.effect.value <= a.high.value) {
            self.push(
                Diagnostic::new("J410", "the stated effect lies outside its own range")
                    .primary(file, a.effect.span, "the effect")
                    .secondary(file, a.low.span.to(a.high.span), "the range")
                    .help("the range (low..high) must contain the effect, with low first"),
            );
            return None;
        }
        let unit = match a.effect.unit {
            ast::EffectUnit::Points => ir::EffectUnit::Points,
            ast::EffectUnit::Percent => ir::EffectUnit::Percent,
        };
        Some(ir::Assumption {
            target: a.target.name.clone(),
            unit,
            effect: a.effect.value,
            low: a.low.value,
            high: a.high.value,
            origin: self.origin(file, a.span),
        })
    }
}

fn literal_span(l: &ast::Literal) -> Span {
    match l {
        ast::Literal::Number(n) => n.span,
        ast::Literal::Money(m) => m.span,
        ast::Literal::Percent(p) => p.span,
        ast::Literal::Duration(d) => d.span,
        ast::Literal::Date(d) => d.span,
        ast::Literal::Time(t) => t.span,
        ast::Literal::String(s) => s.span,
        ast::Literal::Bool(_, s) => *s,
    }
}

fn signed(negative: bool, minutes: u64) -> i64 {
    let m = minutes.min(i64::MAX as u64) as i64;
    if negative {
        -m
    } else {
        m
    }
}

/// How many leading steps of a stage can run: everything up to and including the first
/// terminator.
fn live_steps(steps: &[ast::Step]) -> usize {
    steps.iter().position(|s| s.kind.is_terminator()).map_or(steps.len(), |i| i + 1)
}

fn stage_table<'a>(stages: &[&'a ast::Stage]) -> StageTable<'a> {
    let mut first = BTreeMap::new();
    // an empty stage starts wherever it falls through to: resolve from the back
    let mut next = ir::Transition::End;
    for s in stages.iter().rev() {
        let t = if s.steps.is_empty() { next.clone() } else { ir::Transition::Node(format!("{}#0", s.name.name)) };
        first.insert(s.name.name.as_str(), t.clone());
        next = t;
    }
    StageTable { first }
}

/// How a trigger reads in J320's message.
fn trigger_kind(t: &ast::Trigger) -> &'static str {
    match t {
        ast::Trigger::Event { .. } => "an event trigger",
        ast::Trigger::Audience { .. } => "an audience trigger",
        ast::Trigger::Schedule { .. } => "a schedule",
        ast::Trigger::Date { .. } => "a date trigger",
        ast::Trigger::Condition { .. } => "a threshold trigger",
    }
}

/// issue 15: does the journey say `for account`?
fn runs_for_account(decl: &ast::JourneyDecl) -> bool {
    decl.items.iter().any(|i| matches!(i, JourneyItem::ForAccount(_)))
}
