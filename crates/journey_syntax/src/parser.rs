//! Lowers pest's parse tree into the spanned AST. The grammar guarantees the shape of
//! every pair, so the walkers below only read what the grammar promised; what the
//! grammar cannot check (a 25:00 time, a 13th month) becomes a J002 diagnostic here,
//! with the literal's span, while parsing goes on.

use crate::ast::*;
use crate::expected;
use journey_diagnostics::{Diagnostic, FileId};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/journey.pest"]
pub(crate) struct JourneyParser;

/// The parser's result: a module (possibly partial) and what went wrong.
#[derive(Debug)]
pub struct Parsed {
    pub module: Module,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse one `.journey` source file.
pub fn parse(source: &str, file: FileId) -> Parsed {
    // Deeply nested input must come back as a diagnostic, not a stack overflow.
    if let Some(diag) = crate::depth::check_nesting(source, file) {
        return Parsed { module: Module::default(), diagnostics: vec![diag] };
    }
    // the common case, a clean file, without pest (a third of a check's time was pest)
    if let Some(module) = crate::fast::parse(source) {
        return Parsed { module, diagnostics: Vec::new() };
    }
    pest_path(source, file)
}

/// [`parse`] by pest's path alone: the oracle of the hand-written parser
/// (`tests/fast_parser.rs`), and what `parse` falls back on.
#[doc(hidden)]
pub fn parse_with_pest(source: &str, file: FileId) -> Parsed {
    if let Some(diag) = crate::depth::check_nesting(source, file) {
        return Parsed { module: Module::default(), diagnostics: vec![diag] };
    }
    pest_path(source, file)
}

/// pest's parse of a file whose nesting was checked, with recovery.
fn pest_path(source: &str, file: FileId) -> Parsed {
    match parse_whole(source, file) {
        Ok(parsed) => parsed,
        Err(err) => {
            let diag = described(&err, source, file);
            recover(source, file, diag)
        }
    }
}

fn parse_whole(source: &str, file: FileId) -> Result<Parsed, pest::error::Error<Rule>> {
    let mut pairs = JourneyParser::parse(Rule::file, source)?;
    let mut lower = Lower { file, diagnostics: Vec::new() };
    let file_pair = pairs.next().expect("grammar: file");
    let items = file_pair.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(|p| lower.item(p)).collect();
    Ok(Parsed { module: Module { items, poisoned: Vec::new() }, diagnostics: lower.diagnostics })
}

/// The J001 diagnostic of a parse error, in words.
fn described(err: &pest::error::Error<Rule>, source: &str, file: FileId) -> Diagnostic {
    // Attempt tracking slows every parse, so it runs only once we know the file
    // is broken, to learn which literal tokens would have fit.
    pest::set_error_detail(true);
    let detailed = JourneyParser::parse(Rule::file, source).err();
    pest::set_error_detail(false);
    expected::syntax_error(err, detailed.as_ref(), source, file)
}

/// A file that does not parse as a whole, parsed declaration by declaration
/// ([`crate::recover`]). The whole-file error (`first`) stands for the first broken
/// piece, wherever pest noticed it (a missing `}` is noticed at the next declaration);
/// every later broken piece adds its own error, so two mistakes make two errors.
fn recover(source: &str, file: FileId, first: Diagnostic) -> Parsed {
    use crate::yaml::shift::Shift;
    let mut module = Module::default();
    let mut diagnostics = Vec::new();
    let mut first = Some(first);
    for chunk in crate::recover::chunks(source) {
        let text = &source[chunk.start..chunk.end];
        let by = chunk.start as u32;
        let moved = move |s: Span| Span::new((s.start + by) as usize, (s.end + by) as usize);
        match parse_whole(text, file) {
            Ok(mut parsed) => {
                parsed.module.items.shift(&moved);
                module.items.append(&mut parsed.module.items);
                for mut d in parsed.diagnostics {
                    for l in &mut d.labels {
                        l.span = moved(l.span);
                    }
                    diagnostics.push(d);
                }
            }
            Err(err) => {
                module.poisoned.extend(crate::recover::poisoned(source, chunk));
                let diag = first.take().unwrap_or_else(|| {
                    let mut d = described(&err, text, file);
                    for l in &mut d.labels {
                        l.span = moved(l.span);
                    }
                    d
                });
                diagnostics.push(diag);
            }
        }
    }
    // pieces that all parse alone (pest saw a problem only across them): keep the error
    diagnostics.extend(first);
    if module.poisoned.is_empty() {
        module.poisoned.push(Poisoned { kind: None, name: None, span: Span::new(0, source.len()) });
    }
    Parsed { module, diagnostics }
}

/// The span of a pair without the whitespace and comments pest swallows when an
/// optional trailing part (`tags […]`, `where …`, another operand) is absent, so labels
/// end on the node's last token.
pub(crate) fn span(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.start() + trim_trivia(s.as_str()).len())
}

/// `text` without trailing whitespace and comments.
pub(crate) fn trim_trivia(text: &str) -> &str {
    let mut t = text.trim_end();
    loop {
        let before = t.len();
        if t.ends_with("*/") {
            if let Some(open) = t.rfind("/*") {
                t = t[..open].trim_end();
            }
        }
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        if let Some(c) = line_comment_start(&t[line_start..]) {
            t = t[..line_start + c].trim_end();
        }
        if t.len() == before {
            return t;
        }
    }
}

/// Where a `//` comment starts on one line, ignoring `//` inside strings.
fn line_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

struct Lower {
    file: FileId,
    diagnostics: Vec<Diagnostic>,
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_in, Assoc::Left))
            .op(Op::postfix(Rule::op_is_set))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
    })
}

impl Lower {
    fn invalid(&mut self, span: Span, message: String, help: &str) {
        self.diagnostics
            .push(Diagnostic::new("J002", message).primary(self.file, span, "out of range").help(help.to_string()));
    }

    fn item(&mut self, pair: Pair<Rule>) -> Item {
        let sp = span(&pair);
        match pair.as_rule() {
            Rule::event_decl => {
                let mut inner = pair.into_inner();
                inner.next(); // kw_event
                let name = ident(inner.next().unwrap());
                let properties = inner
                    .next()
                    .map(|list| {
                        list.into_inner()
                            .map(|p| {
                                let psp = span(&p);
                                let mut pi = p.into_inner();
                                let name = ident(pi.next().unwrap());
                                let ty = self.type_expr(pi.next().unwrap());
                                Property { name, ty, span: psp }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Item::Event(EventDecl { name, properties, span: sp })
            }
            Rule::attribute_decl => {
                let mut inner = pair.into_inner().peekable();
                let account = inner.peek().is_some_and(|p| p.as_rule() == Rule::kw_account);
                if account {
                    inner.next();
                }
                inner.next();
                let name = ident(inner.next().unwrap());
                let ty = self.type_expr(inner.next().unwrap());
                Item::Attribute(AttributeDecl { name, ty, account, span: sp })
            }
            Rule::channel_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                let name = ident(inner.next().unwrap());
                let settings = inner.map(|s| self.channel_setting(s)).collect();
                Item::Channel(ChannelDecl { name, settings, span: sp })
            }
            Rule::audience_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                let name = ident(inner.next().unwrap());
                let condition = self.expr(inner.next().unwrap());
                Item::Audience(AudienceDecl { name, condition, span: sp })
            }
            Rule::policy_decl => {
                let settings = pair.into_inner().skip(1).map(|s| self.policy_setting(s)).collect();
                Item::Policy(PolicyDecl { settings, span: sp })
            }
            Rule::journey_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                let name = ident(inner.next().unwrap());
                let items = inner.map(|i| self.journey_item(i)).collect();
                Item::Journey(JourneyDecl { name, items, span: sp })
            }
            Rule::score_decl => {
                let mut inner = pair.into_inner();
                inner.next(); // kw_score
                let name = ident(inner.next().unwrap());
                let value = self.expr(inner.next().unwrap());
                Item::Score(ScoreDecl { name, value, span: sp })
            }
            r => unreachable!("grammar: unexpected item {r:?}"),
        }
    }

    fn type_expr(&mut self, pair: Pair<Rule>) -> TypeExpr {
        let inner = pair.into_inner().next().unwrap();
        match inner.as_rule() {
            Rule::ident => TypeExpr::Named(ident(inner)),
            Rule::one_of_type => {
                let sp = span(&inner);
                let choices = inner.into_inner().skip(1).map(string).collect();
                TypeExpr::OneOf { choices, span: sp }
            }
            r => unreachable!("grammar: type {r:?}"),
        }
    }

    fn channel_setting(&mut self, pair: Pair<Rule>) -> ChannelSetting {
        let sp = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        inner.next(); // keyword
        match rule {
            Rule::channel_kind => ChannelSetting::Kind(ident(inner.next().unwrap())),
            Rule::channel_consent => ChannelSetting::Consent(ident(inner.next().unwrap())),
            Rule::channel_quiet => {
                let from = self.time_of_day(inner.next().unwrap());
                let to = self.time_of_day(inner.next().unwrap());
                let zone = inner.next().map(zone);
                ChannelSetting::QuietHours(QuietHours { from, to, zone, span: sp })
            }
            Rule::channel_cap => {
                let count = self.integer(inner.next().unwrap());
                inner.next(); // per
                let window = self.duration(inner.next().unwrap());
                ChannelSetting::Cap(Cap { count, window, span: sp })
            }
            Rule::channel_min_gap => ChannelSetting::MinGap(self.duration(inner.next().unwrap())),
            Rule::channel_category => ChannelSetting::Category(ident(inner.next().unwrap())),
            r => unreachable!("grammar: channel setting {r:?}"),
        }
    }

    fn policy_setting(&mut self, pair: Pair<Rule>) -> PolicySetting {
        let sp = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        inner.next(); // keyword
        match rule {
            Rule::policy_cap => {
                let set = inner.next().unwrap();
                let channels = {
                    let set_span = span(&set);
                    let names: Vec<Pair<Rule>> = set.into_inner().collect();
                    if names.first().is_some_and(|p| p.as_rule() == Rule::kw_any) {
                        ChannelSet::Any(set_span)
                    } else {
                        ChannelSet::Some(names.into_iter().map(ident).collect())
                    }
                };
                let count = self.integer(inner.next().unwrap());
                inner.next(); // per
                let window = self.duration(inner.next().unwrap());
                PolicySetting::Cap { channels, cap: Cap { count, window, span: sp } }
            }
            Rule::policy_min_gap => PolicySetting::MinGap(self.duration(inner.next().unwrap())),
            Rule::policy_quiet_days => {
                let days = inner
                    .map(|d| {
                        let d = d.into_inner().next().unwrap();
                        match d.as_rule() {
                            Rule::date => DayRef::Date(self.date(d)),
                            _ => DayRef::Weekday(ident(d)),
                        }
                    })
                    .collect();
                PolicySetting::QuietDays { days, span: sp }
            }
            Rule::policy_conflict => PolicySetting::Conflicting(tag_list(inner.next().unwrap())),
            r => unreachable!("grammar: policy setting {r:?}"),
        }
    }

    fn journey_item(&mut self, pair: Pair<Rule>) -> JourneyItem {
        let sp = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let _keyword = inner.next();
        match rule {
            Rule::journey_title => JourneyItem::Title(string(inner.next().unwrap())),
            Rule::journey_owner => JourneyItem::Owner(string(inner.next().unwrap())),
            Rule::journey_priority => JourneyItem::Priority(self.integer(inner.next().unwrap())),
            Rule::journey_tags => JourneyItem::Tags(tag_list(inner.next().unwrap())),
            Rule::journey_entry => {
                let trigger = self.trigger(inner.next().unwrap());
                // several triggers: each `entry_or` holds `or` and one more trigger
                let also = inner
                    .map(|alt| {
                        let t = alt.into_inner().nth(1).unwrap();
                        AltTrigger { span: span(&t), trigger: self.trigger(t) }
                    })
                    .collect();
                JourneyItem::Entry(Entry { trigger, span: sp, also })
            }
            Rule::journey_audience => JourneyItem::Audience(self.expr(inner.next().unwrap())),
            Rule::journey_re_entry => {
                let p = inner.next().unwrap();
                let psp = span(&p);
                JourneyItem::ReEntry(match p.as_rule() {
                    Rule::kw_never => ReEntry::Never(psp),
                    Rule::kw_always => ReEntry::Always(psp),
                    _ => {
                        let d = self.duration(p.into_inner().nth(1).unwrap());
                        ReEntry::After { duration: d, span: psp }
                    }
                })
            }
            Rule::journey_exit => {
                let p = inner.next().unwrap();
                let rule = p.as_rule();
                let mut pi = p.into_inner();
                pi.next(); // on / when
                JourneyItem::Exit(match rule {
                    Rule::exit_on_event => {
                        let event = ident(pi.next().unwrap());
                        let filter = pi.next().map(|w| self.where_clause(w));
                        Exit::OnEvent { event, filter, span: sp }
                    }
                    _ => Exit::When { condition: self.expr(pi.next().unwrap()), span: sp },
                })
            }
            Rule::journey_holdout => JourneyItem::Holdout(self.percent(inner.next().unwrap())),
            Rule::journey_active => {
                inner.next(); // kw_from
                let from = self.date(inner.next().unwrap());
                inner.next(); // kw_to
                let to = self.date(inner.next().unwrap());
                JourneyItem::Active(ActiveWindow { from, to, span: sp })
            }
            Rule::journey_for => JourneyItem::ForAccount(sp),
            Rule::stage_decl => {
                let name = ident(inner.next().unwrap());
                let steps = inner.map(|s| self.step(s)).collect();
                JourneyItem::Stage(Stage { name, steps, span: sp })
            }
            Rule::goal_decl => {
                let name = ident(inner.next().unwrap());
                let body = inner.next().unwrap();
                let (kind, within) = match body.as_rule() {
                    Rule::goal_amount => {
                        let mut bi = body.into_inner();
                        bi.next(); // sum
                        let event = ident(bi.next().unwrap());
                        let property = ident(bi.next().unwrap());
                        let mut next = bi.next().unwrap();
                        let filter = if next.as_rule() == Rule::where_clause {
                            let f = self.where_clause(next);
                            next = bi.next().unwrap();
                            Some(f)
                        } else {
                            None
                        };
                        let _ = next; // within
                        let within = self.duration(bi.next().unwrap());
                        (GoalKind::Sum { event, property, filter }, within)
                    }
                    rule => {
                        let kind = if rule == Rule::goal_reach {
                            GoalKind::Reach(ident(body.into_inner().nth(1).unwrap()))
                        } else {
                            let mut bi = body.into_inner();
                            let event = ident(bi.next().unwrap());
                            let filter = bi.next().map(|w| self.where_clause(w));
                            GoalKind::Event { event, filter }
                        };
                        inner.next(); // within
                        (kind, self.duration(inner.next().unwrap()))
                    }
                };
                JourneyItem::Goal(Goal { name, kind, within, span: sp })
            }
            Rule::guardrail_decl => {
                let metric = ident(inner.next().unwrap());
                let op = cmp_op(inner.next().unwrap());
                let lp = inner.next().unwrap();
                let limit = match lp.as_rule() {
                    Rule::percent => Literal::Percent(self.percent(lp)),
                    _ => Literal::Number(number(lp)),
                };
                JourneyItem::Guardrail(Guardrail { metric, op, limit, span: sp })
            }
            Rule::assume_decl => {
                let target = ident(inner.next().unwrap());
                let effect = effect(inner.next().unwrap());
                let low = effect_fn(inner.next().unwrap());
                let high = effect_fn(inner.next().unwrap());
                JourneyItem::Assume(Assume { target, effect, low, high, span: sp })
            }
            r => unreachable!("grammar: journey item {r:?}"),
        }
    }

    fn trigger(&mut self, pair: Pair<Rule>) -> Trigger {
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        inner.next(); // on / when / every / at
        match rule {
            Rule::entry_event => {
                let event = ident(inner.next().unwrap());
                let filter = inner.next().map(|w| self.where_clause(w));
                Trigger::Event { event, filter }
            }
            Rule::entry_audience => {
                inner.next(); // audience
                let audience = ident(inner.next().unwrap());
                let edge_pair = inner.next().unwrap();
                let edge_span = span(&edge_pair);
                let edge = match edge_pair.into_inner().next().unwrap().as_rule() {
                    Rule::kw_entered => AudienceEdge::Entered,
                    _ => AudienceEdge::Exited,
                };
                Trigger::Audience { audience, edge, edge_span }
            }
            Rule::entry_schedule => {
                let period_pair = inner.next().unwrap().into_inner().next().unwrap();
                let period = match period_pair.as_rule() {
                    Rule::schedule_monthly => {
                        let psp = span(&period_pair);
                        let day = self.integer(period_pair.into_inner().nth(2).unwrap());
                        SchedulePeriod::Monthly { day, span: psp }
                    }
                    _ => SchedulePeriod::Named(ident(period_pair)),
                };
                inner.next(); // at
                let at = self.time_of_day(inner.next().unwrap());
                let zone = inner.next().map(zone);
                Trigger::Schedule { period, at, zone }
            }
            Rule::entry_date => {
                let attribute = ident(inner.next().unwrap());
                let mut offset = None;
                let mut at = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::offset => offset = Some(self.offset(p)),
                        Rule::time_of_day => at = Some(self.time_of_day(p)),
                        _ => {} // kw_at
                    }
                }
                Trigger::Date { attribute, offset, at }
            }
            Rule::entry_condition => Trigger::Condition { condition: self.expr(inner.next().unwrap()) },
            r => unreachable!("grammar: trigger {r:?}"),
        }
    }

    fn offset(&mut self, pair: Pair<Rule>) -> SignedDuration {
        let sp = span(&pair);
        let mut inner = pair.into_inner();
        let negative = inner.next().unwrap().as_str() == "-";
        let duration = self.duration(inner.next().unwrap());
        SignedDuration { negative, duration, span: sp }
    }

    fn step(&mut self, pair: Pair<Rule>) -> Step {
        let sp = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        inner.next(); // leading keyword
        let kind = match rule {
            Rule::send_step => {
                let channel = ident(inner.next().unwrap());
                let template = string(inner.next().unwrap());
                let tags = inner.nth(1).map(tag_list);
                StepKind::Send { channel, template, tags }
            }
            Rule::wait_step => StepKind::Wait(self.duration(inner.next().unwrap())),
            Rule::wait_until_step => {
                inner.next(); // until
                let p = inner.next().unwrap();
                match p.as_rule() {
                    Rule::wait_time => {
                        let mut wi = p.into_inner();
                        let at = self.time_of_day(wi.next().unwrap());
                        let zone = wi.next().map(zone);
                        StepKind::WaitUntilTime { at, zone }
                    }
                    _ => StepKind::WaitUntilDate(self.expr(p)),
                }
            }
            Rule::wait_for_step => {
                inner.next(); // up
                inner.next(); // to
                let timeout = self.duration(inner.next().unwrap());
                inner.next(); // for
                let event = ident(inner.next().unwrap());
                let mut filter = None;
                let mut next = inner.next().unwrap();
                if next.as_rule() == Rule::wait_where {
                    filter = Some(self.where_clause(next));
                    next = inner.next().unwrap();
                }
                // any of several events: `or EVENT [where …]` each
                let mut also = Vec::new();
                while next.as_rule() == Rule::wait_for_or {
                    let mut alt = next.into_inner();
                    alt.next(); // or
                    let event = ident(alt.next().unwrap());
                    let filter = alt.next().map(|w| self.where_clause(w));
                    also.push(AltEvent { event, filter });
                    next = inner.next().unwrap();
                }
                debug_assert_eq!(next.as_rule(), Rule::kw_then);
                let then = target(inner.next().unwrap());
                inner.next(); // timeout
                let on_timeout = target(inner.next().unwrap());
                StepKind::WaitFor { timeout, event, filter, then, on_timeout, also }
            }
            Rule::branch_step => {
                let mut arms = Vec::new();
                let mut otherwise = None;
                for arm in inner {
                    let asp = span(&arm);
                    let rule = arm.as_rule();
                    let mut ai = arm.into_inner();
                    ai.next(); // when / else
                    if rule == Rule::branch_arm {
                        let condition = self.expr(ai.next().unwrap());
                        let target = target(ai.next().unwrap());
                        arms.push(BranchArm { condition, target, span: asp });
                    } else {
                        otherwise = Some(target(ai.next().unwrap()));
                    }
                }
                StepKind::Branch { arms, otherwise }
            }
            Rule::split_step => {
                let mut name = None;
                let mut arms = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => name = Some(ident(p)),
                        _ => {
                            let asp = span(&p);
                            let mut ai = p.into_inner();
                            let weight = self.percent(ai.next().unwrap());
                            let target = target(ai.next().unwrap());
                            arms.push(SplitArm { weight, target, span: asp });
                        }
                    }
                }
                StepKind::Split { name, arms }
            }
            Rule::set_step => {
                let attribute = ident(inner.next().unwrap());
                let value = self.expr(inner.next().unwrap());
                StepKind::Set { attribute, value }
            }
            Rule::task_step => {
                let channel = ident(inner.next().unwrap());
                let title = string(inner.next().unwrap());
                let (mut assignee, mut owner, mut due, mut priority) = (None, None, None, None);
                while let Some(p) = inner.next() {
                    match p.as_rule() {
                        Rule::kw_assign => assignee = inner.next().map(string),
                        Rule::task_owner => owner = Some(task_owner(p)),
                        Rule::task_due => due = Some(self.task_due(p)),
                        Rule::task_priority => priority = p.into_inner().nth(1).map(ident),
                        r => unreachable!("grammar: task clause {r:?}"),
                    }
                }
                StepKind::Task { channel, title, assignee, owner, due, priority }
            }
            Rule::webhook_step => {
                let channel = ident(inner.next().unwrap());
                let template = string(inner.next().unwrap());
                StepKind::Webhook { channel, template }
            }
            Rule::goto_step => StepKind::Goto(target(inner.next().unwrap())),
            Rule::end_step => StepKind::End,
            Rule::wait_business_step => StepKind::WaitBusinessDays(self.business_days(inner.next().unwrap())),
            r => unreachable!("grammar: step {r:?}"),
        };
        Step { kind, span: sp }
    }

    fn where_clause(&mut self, pair: Pair<Rule>) -> Expr {
        self.expr(pair.into_inner().nth(1).unwrap())
    }

    fn expr(&mut self, pair: Pair<Rule>) -> Expr {
        // entry_expr and wait_expr are expressions that stop before another alternative
        debug_assert!(matches!(pair.as_rule(), Rule::expr | Rule::entry_expr | Rule::wait_expr));
        // Operator chains build a tree as deep as they are long, and every later stage
        // walks it recursively: refuse absurd lengths here, with a way out.
        let parts = pair.clone().into_inner().count();
        if parts > 2 * MAX_OPERANDS {
            let sp = span(&pair);
            self.diagnostics.push(
                Diagnostic::new("J001", format!("this condition has more than {MAX_OPERANDS} parts"))
                    .primary(self.file, sp, "too long")
                    .help("split it into named audiences and combine those"),
            );
            return Expr { kind: ExprKind::Literal(Literal::Bool(false, sp)), span: sp };
        }
        // The Pratt closures need `&mut self` in three places at once; collect literal
        // diagnostics through a RefCell-free detour: lower primaries first.
        let file = self.file;
        let mut diags = Vec::new();
        let result = pratt()
            .map_primary(|p| {
                let mut lower = Lower { file, diagnostics: Vec::new() };
                let e = lower.primary(p);
                diags.extend(lower.diagnostics);
                e
            })
            .map_prefix(|op, rhs| Expr {
                span: span(&op).to(rhs.span),
                kind: ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(rhs) },
            })
            .map_postfix(|operand, op| {
                let negated = op.clone().into_inner().any(|p| p.as_rule() == Rule::op_not);
                Expr {
                    span: operand.span.to(span(&op)),
                    kind: ExprKind::IsSet { operand: Box::new(operand), negated, op_span: span(&op) },
                }
            })
            .map_infix(|lhs, op, rhs| {
                let bop = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    _ => BinaryOp::Cmp(cmp_rule(op.as_rule())),
                };
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary { op: bop, op_span: span(&op), lhs: Box::new(lhs), rhs: Box::new(rhs) },
                }
            })
            .parse(pair.into_inner());
        self.diagnostics.extend(diags);
        result
    }

    fn primary(&mut self, pair: Pair<Rule>) -> Expr {
        let sp = span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => ExprKind::Paren(Box::new(self.expr(pair.into_inner().next().unwrap()))),
            Rule::call => {
                let mut inner = pair.into_inner().peekable();
                // issue 15, accounts: `account.count(…)` is the function `account.count`,
                // its span from `account` to the name's end
                let scope = inner.next_if(|p| p.as_rule() == Rule::account_scope).map(|p| span(&p));
                let mut function = ident(inner.next().unwrap());
                if let Some(s) = scope {
                    function.name = format!("account.{}", function.name);
                    function.span = Span::new(s.start as usize, function.span.end as usize);
                }
                let args = inner
                    .map(|a| {
                        let asp = span(&a);
                        let mut ai = a.into_inner();
                        let value = self.expr(ai.next().unwrap());
                        let filter = ai.next().map(|w| self.where_clause(w));
                        CallArg { value, filter, span: asp }
                    })
                    .collect();
                ExprKind::Call { function, args }
            }
            Rule::path => ExprKind::Path(pair.into_inner().map(ident).collect()),
            Rule::list => ExprKind::List(pair.into_inner().map(|e| self.expr(e)).collect()),
            _ => ExprKind::Literal(self.literal(pair)),
        };
        Expr { kind, span: sp }
    }

    fn literal(&mut self, pair: Pair<Rule>) -> Literal {
        match pair.as_rule() {
            Rule::money => {
                let sp = span(&pair);
                let mut inner = pair.into_inner();
                let amount = inner.next().unwrap();
                let text = amount.as_str().to_string();
                let currency = inner.next().map(|c| c.as_str().to_string());
                Literal::Money(Money { amount: text.parse().unwrap_or(0.0), text, currency, span: sp })
            }
            Rule::percent => Literal::Percent(self.percent(pair)),
            Rule::duration => Literal::Duration(self.duration(pair)),
            Rule::date => Literal::Date(self.date(pair)),
            Rule::time_of_day => Literal::Time(self.time_of_day(pair)),
            Rule::number => Literal::Number(number(pair)),
            Rule::string => Literal::String(string(pair)),
            Rule::boolean => {
                let sp = span(&pair);
                Literal::Bool(pair.into_inner().next().unwrap().as_rule() == Rule::kw_true, sp)
            }
            r => unreachable!("grammar: literal {r:?}"),
        }
    }

    fn duration(&mut self, pair: Pair<Rule>) -> Duration {
        let sp = span(&pair);
        let text = pair.as_str();
        let (digits, unit) = text.split_at(text.len() - 1);
        let unit = match unit {
            "m" => DurationUnit::Minutes,
            "h" => DurationUnit::Hours,
            "d" => DurationUnit::Days,
            _ => DurationUnit::Weeks,
        };
        let amount = match digits.parse::<u64>() {
            Ok(a) if a.checked_mul(unit.minutes()).is_some_and(|m| m <= MAX_DURATION_MINUTES) => a,
            _ => {
                self.invalid(sp, format!("duration `{text}` is too long"), "durations are limited to 100 years");
                // the longest duration, not 0: the error is reported, and a zero would
                // draw further "lasts no time at all" diagnostics about the same value
                MAX_DURATION_MINUTES / unit.minutes()
            }
        };
        Duration { amount, unit, span: sp }
    }

    /// issue 15: a task's `due` clause.
    fn task_due(&mut self, pair: Pair<Rule>) -> TaskDue {
        let p = pair.into_inner().nth(1).unwrap();
        match p.as_rule() {
            Rule::business_days => TaskDue::Business(self.business_days(p)),
            Rule::duration => TaskDue::Duration(self.duration(p)),
            _ => {
                let sp = span(&p);
                let mut inner = p.into_inner();
                let digits = inner.next().unwrap();
                let hours = inner.next().unwrap().as_rule() == Rule::kw_hours;
                let per = if hours { 60 } else { 24 * 60 };
                let amount = match digits.as_str().parse::<u64>() {
                    Ok(a) if a.checked_mul(per).is_some_and(|m| m <= MAX_DURATION_MINUTES) => a,
                    _ => {
                        let text = format!("{} {}", digits.as_str(), if hours { "hours" } else { "days" });
                        self.invalid(sp, format!("`{text}` is too long"), "durations are limited to 100 years");
                        MAX_DURATION_MINUTES / per
                    }
                };
                TaskDue::Span { amount, hours, span: sp }
            }
        }
    }

    /// issue 15: `3 business days` (the same 100-year bound as a duration, counted
    /// in working days).
    fn business_days(&mut self, pair: Pair<Rule>) -> BusinessDays {
        let sp = span(&pair);
        let digits = pair.into_inner().next().unwrap();
        let amount = match digits.as_str().parse::<u64>() {
            Ok(a) if a <= MAX_BUSINESS_DAYS => a,
            _ => {
                let text = digits.as_str();
                self.invalid(sp, format!("`{text} business days` is too long"), "waits are limited to 100 years");
                MAX_BUSINESS_DAYS
            }
        };
        BusinessDays { amount, span: sp }
    }

    fn time_of_day(&mut self, pair: Pair<Rule>) -> TimeOfDay {
        let sp = span(&pair);
        let text = pair.as_str();
        let (h, m) = text.split_once(':').unwrap();
        let (hour, minute) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
        if hour > 23 || minute > 59 {
            self.invalid(sp, format!("`{text}` is not a time of day"), "write a 24-hour time from 00:00 to 23:59");
            return TimeOfDay { hour: 0, minute: 0, span: sp };
        }
        TimeOfDay { hour, minute, span: sp }
    }

    fn date(&mut self, pair: Pair<Rule>) -> DateLit {
        let sp = span(&pair);
        let text = pair.as_str();
        let year: i32 = text[0..4].parse().unwrap_or(0);
        let month: u32 = text[5..7].parse().unwrap_or(0);
        let day: u32 = text[8..10].parse().unwrap_or(0);
        if !valid_date(year, month, day) {
            self.invalid(sp, format!("`{text}` is not a calendar date"), "write a date as yyyy-mm-dd, e.g. 2026-12-24");
        }
        DateLit { year, month, day, span: sp }
    }

    fn percent(&mut self, pair: Pair<Rule>) -> Percent {
        let sp = span(&pair);
        let text = pair.as_str().trim_end_matches('%').to_string();
        Percent { value: text.parse().unwrap_or(0.0), text, span: sp }
    }

    fn integer(&mut self, pair: Pair<Rule>) -> Integer {
        let sp = span(&pair);
        let value = match pair.as_str().parse::<u64>() {
            Ok(v) => v,
            Err(_) => {
                self.invalid(sp, format!("`{}` is too large", pair.as_str()), "use a number below 2^64");
                // the largest number, not 0, so the value draws no "zero" diagnostics
                u64::MAX
            }
        };
        Integer { value, span: sp }
    }
}

/// The most operands one expression may have; real conditions have a handful.
pub const MAX_OPERANDS: usize = 256;

/// About a hundred years: longer windows are surely typos, and the cap keeps every
/// arithmetic on minutes far from overflow.
pub(crate) const MAX_DURATION_MINUTES: u64 = 100 * 366 * 24 * 60;
/// issue 15: business days, the same 100 years counted as 261 working days a year.
pub(crate) const MAX_BUSINESS_DAYS: u64 = 100 * 261;

pub(crate) fn valid_date(year: i32, month: u32, day: u32) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// issue 15: `owner "…"` or `owner attribute A [else queue Q]`.
fn task_owner(pair: Pair<Rule>) -> TaskOwner {
    let p = pair.into_inner().nth(1).unwrap();
    match p.as_rule() {
        Rule::string => TaskOwner::Fixed(string(p)),
        _ => {
            let mut inner = p.into_inner().skip(1);
            let attribute = ident(inner.next().unwrap());
            let queue = inner.next().map(|q| ident(q.into_inner().nth(2).unwrap()));
            TaskOwner::Attribute { attribute, queue }
        }
    }
}

fn ident(pair: Pair<Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: span(&pair) }
}

fn string(pair: Pair<Rule>) -> StringLit {
    let sp = span(&pair);
    let raw = pair.into_inner().next().map_or("", |p| p.as_str());
    StringLit { value: unescape(raw), span: sp }
}

pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn number(pair: Pair<Rule>) -> Number {
    let text = pair.as_str().to_string();
    Number { value: text.parse().unwrap_or(0.0), text, span: span(&pair) }
}

fn tag_list(pair: Pair<Rule>) -> TagList {
    let sp = span(&pair);
    TagList { tags: pair.into_inner().map(ident).collect(), span: sp }
}

fn zone(pair: Pair<Rule>) -> Zone {
    let sp = span(&pair);
    let inner = pair.into_inner().next().unwrap();
    match inner.as_rule() {
        Rule::kw_local => Zone::Local(sp),
        _ => Zone::Named(string(inner)),
    }
}

fn target(pair: Pair<Rule>) -> Target {
    let sp = span(&pair);
    let inner = pair.into_inner().next().unwrap();
    match inner.as_rule() {
        Rule::kw_end => Target::End(sp),
        Rule::target_journey => Target::Journey(ident(inner.into_inner().nth(1).unwrap()), sp),
        _ => Target::Stage(ident(inner)),
    }
}

fn cmp_op(pair: Pair<Rule>) -> CmpOp {
    cmp_rule(pair.into_inner().next().unwrap().as_rule())
}

fn cmp_rule(rule: Rule) -> CmpOp {
    match rule {
        Rule::op_eq => CmpOp::Eq,
        Rule::op_ne => CmpOp::Ne,
        Rule::op_lt => CmpOp::Lt,
        Rule::op_le => CmpOp::Le,
        Rule::op_gt => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

fn effect(pair: Pair<Rule>) -> Effect {
    effect_fn(pair)
}

fn effect_fn(pair: Pair<Rule>) -> Effect {
    let sp = span(&pair);
    let text = pair.as_str();
    let (digits, unit) = if let Some(d) = text.strip_suffix("pp") {
        (d, EffectUnit::Points)
    } else {
        (text.trim_end_matches('%'), EffectUnit::Percent)
    };
    Effect { value: digits.parse().unwrap_or(0.0), unit, span: sp }
}
