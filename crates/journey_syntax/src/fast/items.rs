//! Declarations, journey items and steps: one function per grammar rule, in the
//! grammar's order of alternatives.

use super::expr::{self, business_days, days, duration, expr, integer, percent, time_of_day, where_clause, Flavor};
use super::lexer::Lexer;
use crate::ast::*;

/// `file = { SOI ~ "\u{FEFF}"? ~ item* ~ EOI }`.
pub(super) fn file(p: &mut Lexer) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    while let Some(item) = item(p) {
        items.push(item);
    }
    if p.declined || !p.at_end() {
        return None;
    }
    Some(items)
}

/// Run `rule` from the current position; on no match, give the input back.
fn attempt<T>(p: &mut Lexer, rule: impl FnOnce(&mut Lexer) -> Option<T>) -> Option<T> {
    let m = p.mark();
    let r = rule(p);
    if r.is_none() {
        p.reset(m);
    }
    r
}

/// `"{" ~ rule* ~ "}"`: a block of greedy repetitions, as channels, policies,
/// journeys and stages are written.
fn braced<T>(p: &mut Lexer, mut rule: impl FnMut(&mut Lexer) -> Option<T>) -> Option<Vec<T>> {
    p.sym("{")?;
    let mut items = Vec::new();
    while let Some(i) = attempt(p, &mut rule) {
        items.push(i);
    }
    p.sym("}")?;
    Some(items)
}

fn item(p: &mut Lexer) -> Option<Item> {
    let start = p.start();
    // The leading keywords are distinct words, so at most one rule can match: pick it
    // by the keyword and try it once.
    let rule: fn(&mut Lexer, usize) -> Option<Item> = if p.at_kw("event") {
        event_decl
    } else if p.at_kw("account") || p.at_kw("attribute") {
        attribute_decl
    } else if p.at_kw("channel") {
        channel_decl
    } else if p.at_kw("audience") {
        audience_decl
    } else if p.at_kw("policy") {
        policy_decl
    } else if p.at_kw("journey") {
        journey_decl
    } else if p.at_kw("score") {
        score_decl
    } else {
        return None;
    };
    attempt(p, |p| rule(p, start))
}

/// `audience_decl = { kw_audience ~ ident ~ "=" ~ expr }`.
fn audience_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("audience")?;
    let name = p.ident()?;
    p.sym("=")?;
    let condition = expr(p, Flavor::Plain)?;
    Some(Item::Audience(AudienceDecl { name, condition, span: p.span_from(start) }))
}

/// `score_decl = { kw_score ~ ident ~ "=" ~ expr }`.
fn score_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("score")?;
    let name = p.ident()?;
    p.sym("=")?;
    let value = expr(p, Flavor::Plain)?;
    Some(Item::Score(ScoreDecl { name, value, span: p.span_from(start) }))
}

/// `event_decl = { kw_event ~ ident ~ property_list? }`.
fn event_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("event")?;
    let name = p.ident()?;
    let properties = attempt(p, |p| {
        p.sym("{")?;
        let mut props = Vec::new();
        if let Some(first) = attempt(p, property) {
            props.push(first);
            while let Some(next) = attempt(p, |p| {
                p.sym(",")?;
                property(p)
            }) {
                props.push(next);
            }
            p.sym(",");
        }
        p.sym("}")?;
        Some(props)
    })
    .unwrap_or_default();
    Some(Item::Event(EventDecl { name, properties, span: p.span_from(start) }))
}

fn property(p: &mut Lexer) -> Option<Property> {
    let start = p.start();
    let name = p.ident()?;
    p.sym(":")?;
    let ty = type_expr(p)?;
    Some(Property { name, ty, span: p.span_from(start) })
}

/// `type_expr = { one_of_type | ident }`.
fn type_expr(p: &mut Lexer) -> Option<TypeExpr> {
    let start = p.start();
    let one_of = attempt(p, |p| {
        p.kw("one_of")?;
        p.sym("(")?;
        let mut choices = vec![p.string()?];
        while let Some(s) = attempt(p, |p| {
            p.sym(",")?;
            p.string()
        }) {
            choices.push(s);
        }
        p.sym(",");
        p.sym(")")?;
        Some(TypeExpr::OneOf { choices, span: p.span_from(start) })
    });
    one_of.or_else(|| p.ident().map(TypeExpr::Named))
}

/// `attribute_decl = { kw_account? ~ kw_attribute ~ ident ~ ":" ~ type_expr }`.
fn attribute_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    let account = p.kw("account").is_some();
    p.kw("attribute")?;
    let name = p.ident()?;
    p.sym(":")?;
    let ty = type_expr(p)?;
    Some(Item::Attribute(AttributeDecl { name, ty, account, span: p.span_from(start) }))
}

/// `channel_decl = { kw_channel ~ ident ~ "{" ~ channel_setting* ~ "}" }`.
fn channel_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("channel")?;
    let name = p.ident()?;
    let settings = braced(p, channel_setting)?;
    Some(Item::Channel(ChannelDecl { name, settings, span: p.span_from(start) }))
}

fn channel_setting(p: &mut Lexer) -> Option<ChannelSetting> {
    let start = p.start();
    if p.kw("kind").is_some() {
        return p.ident().map(ChannelSetting::Kind);
    }
    if p.kw("consent").is_some() {
        return p.ident().map(ChannelSetting::Consent);
    }
    if p.kw("quiet_hours").is_some() {
        let from = time_of_day(p)??;
        p.sym("..")?;
        let to = time_of_day(p)??;
        let zone = attempt(p, zone);
        return Some(ChannelSetting::QuietHours(QuietHours { from, to, zone, span: p.span_from(start) }));
    }
    if p.kw("cap").is_some() {
        let count = integer(p)?;
        p.kw("per")?;
        let window = duration(p)??;
        return Some(ChannelSetting::Cap(Cap { count, window, span: p.span_from(start) }));
    }
    if p.kw("min_gap").is_some() {
        return Some(ChannelSetting::MinGap(duration(p)??));
    }
    if p.kw("category").is_some() {
        return p.ident().map(ChannelSetting::Category);
    }
    None
}

/// `zone = { kw_local | string }`.
fn zone(p: &mut Lexer) -> Option<Zone> {
    if let Some(sp) = p.kw("local") {
        return Some(Zone::Local(sp));
    }
    p.string().map(Zone::Named)
}

/// `policy_decl = { kw_policy ~ "{" ~ policy_setting* ~ "}" }`.
fn policy_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("policy")?;
    let settings = braced(p, policy_setting)?;
    Some(Item::Policy(PolicyDecl { settings, span: p.span_from(start) }))
}

fn policy_setting(p: &mut Lexer) -> Option<PolicySetting> {
    let start = p.start();
    if p.kw("cap").is_some() {
        let set_start = p.start();
        let channels = if let Some(sp) = p.kw("any") {
            ChannelSet::Any(Span::new(set_start, sp.end as usize))
        } else {
            let mut names = vec![p.ident()?];
            while let Some(i) = attempt(p, |p| {
                p.sym(",")?;
                p.ident()
            }) {
                names.push(i);
            }
            ChannelSet::Some(names)
        };
        let count = integer(p)?;
        p.kw("per")?;
        let window = duration(p)??;
        return Some(PolicySetting::Cap { channels, cap: Cap { count, window, span: p.span_from(start) } });
    }
    if p.kw("min_gap").is_some() {
        return Some(PolicySetting::MinGap(duration(p)??));
    }
    if p.kw("quiet_days").is_some() {
        p.sym("[")?;
        let mut days = vec![day_ref(p)?];
        while let Some(d) = attempt(p, |p| {
            p.sym(",")?;
            day_ref(p)
        }) {
            days.push(d);
        }
        p.sym(",");
        p.sym("]")?;
        return Some(PolicySetting::QuietDays { days, span: p.span_from(start) });
    }
    if p.kw("conflicting").is_some() {
        return tag_list(p).map(PolicySetting::Conflicting);
    }
    None
}

/// `day_ref = { date | ident }`.
fn day_ref(p: &mut Lexer) -> Option<DayRef> {
    if let Some(d) = expr::date(p) {
        return d.map(DayRef::Date);
    }
    p.ident().map(DayRef::Weekday)
}

/// `tag_list = { "[" ~ (ident ~ ("," ~ ident)* ~ ","?)? ~ "]" }`.
fn tag_list(p: &mut Lexer) -> Option<TagList> {
    attempt(p, |p| {
        let start = p.start();
        p.sym("[")?;
        let mut tags = Vec::new();
        if let Some(first) = p.ident() {
            tags.push(first);
            while let Some(i) = attempt(p, |p| {
                p.sym(",")?;
                p.ident()
            }) {
                tags.push(i);
            }
            p.sym(",");
        }
        p.sym("]")?;
        Some(TagList { tags, span: p.span_from(start) })
    })
}

/// `journey_decl = { kw_journey ~ ident ~ "{" ~ journey_item* ~ "}" }`.
fn journey_decl(p: &mut Lexer, start: usize) -> Option<Item> {
    p.kw("journey")?;
    let name = p.ident()?;
    let items = braced(p, journey_item)?;
    Some(Item::Journey(JourneyDecl { name, items, span: p.span_from(start) }))
}

fn journey_item(p: &mut Lexer) -> Option<JourneyItem> {
    let start = p.start();
    let sp = |p: &Lexer| p.span_from(start);
    if p.kw("title").is_some() {
        return p.string().map(JourneyItem::Title);
    }
    if p.kw("owner").is_some() {
        return p.string().map(JourneyItem::Owner);
    }
    if p.kw("priority").is_some() {
        return integer(p).map(JourneyItem::Priority);
    }
    if p.kw("tags").is_some() {
        return tag_list(p).map(JourneyItem::Tags);
    }
    if p.kw("entry").is_some() {
        let first = trigger(p, true)?;
        let mut also = Vec::new();
        while let Some(alt) = attempt(p, |p| {
            p.kw("or")?;
            let t_start = p.start();
            let trigger = trigger(p, false)?;
            Some(AltTrigger { trigger, span: p.span_from(t_start) })
        }) {
            also.push(alt);
        }
        return Some(JourneyItem::Entry(Entry { trigger: first, span: sp(p), also }));
    }
    if p.kw("audience").is_some() {
        return expr(p, Flavor::Plain).map(JourneyItem::Audience);
    }
    if p.kw("re_entry").is_some() {
        let r_start = p.start();
        if let Some(s) = p.kw("never") {
            return Some(JourneyItem::ReEntry(ReEntry::Never(s)));
        }
        if let Some(s) = p.kw("always") {
            return Some(JourneyItem::ReEntry(ReEntry::Always(s)));
        }
        p.kw("after")?;
        let duration = duration(p)??;
        return Some(JourneyItem::ReEntry(ReEntry::After { duration, span: p.span_from(r_start) }));
    }
    if p.kw("exit").is_some() {
        let on = attempt(p, |p| {
            p.kw("on")?;
            let event = p.ident()?;
            let filter = where_clause(p, Flavor::Plain);
            Some(Exit::OnEvent { event, filter, span: p.span_from(start) })
        });
        if let Some(e) = on {
            return Some(JourneyItem::Exit(e));
        }
        p.kw("when")?;
        let condition = expr(p, Flavor::Plain)?;
        return Some(JourneyItem::Exit(Exit::When { condition, span: sp(p) }));
    }
    if p.kw("holdout").is_some() {
        return percent(p).map(JourneyItem::Holdout);
    }
    if p.kw("stage").is_some() {
        let name = p.ident()?;
        let steps = braced(p, step)?;
        return Some(JourneyItem::Stage(Stage { name, steps, span: sp(p) }));
    }
    if p.kw("goal").is_some() {
        return goal(p, start);
    }
    if p.kw("guardrail").is_some() {
        let metric = p.ident()?;
        let op = cmp_op(p)?;
        let limit = match percent(p) {
            Some(pc) => Literal::Percent(pc),
            None => Literal::Number(expr::number(p)?),
        };
        return Some(JourneyItem::Guardrail(Guardrail { metric, op, limit, span: sp(p) }));
    }
    if p.kw("assume").is_some() {
        let target = p.ident()?;
        let main = effect(p)?;
        p.sym("(")?;
        let low = effect(p)?;
        p.sym("..")?;
        let high = effect(p)?;
        p.sym(")")?;
        return Some(JourneyItem::Assume(Assume { target, effect: main, low, high, span: sp(p) }));
    }
    if p.kw("active").is_some() {
        p.kw("from")?;
        let from = expr::date(p)??;
        p.kw("to")?;
        let to = expr::date(p)??;
        return Some(JourneyItem::Active(ActiveWindow { from, to, span: sp(p) }));
    }
    if p.kw("for").is_some() {
        p.kw("account")?;
        return Some(JourneyItem::ForAccount(sp(p)));
    }
    None
}

/// `cmp_op = { op_le | op_ge | op_ne | op_eq | op_lt | op_gt }`.
fn cmp_op(p: &mut Lexer) -> Option<CmpOp> {
    let ops = [
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("!=", CmpOp::Ne),
        ("==", CmpOp::Eq),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ];
    ops.into_iter().find_map(|(s, op)| p.sym(s).map(|_| op))
}

/// `effect = @{ ("+" | "-")? ~ decimal ~ ("pp" | "%") }`.
fn effect(p: &mut Lexer) -> Option<Effect> {
    let at = p.start();
    let sign = usize::from(matches!(p.byte(at), Some(b'+' | b'-')));
    let d = p.decimal_at(at + sign);
    if d == 0 {
        return None;
    }
    let end = at + sign + d;
    let (unit, len) = if p.b[end..].starts_with(b"pp") {
        (EffectUnit::Points, 2)
    } else if p.byte(end) == Some(b'%') {
        (EffectUnit::Percent, 1)
    } else {
        return None;
    };
    let (_, span) = p.token(sign + d + len);
    let digits = &p.src[at..at + sign + d];
    Some(Effect { value: digits.parse().unwrap_or(0.0), unit, span })
}

/// `goal_decl = { kw_goal ~ ident ~ "=" ~ (goal_amount | (goal_reach | goal_event) ~ kw_within ~ duration) }`.
fn goal(p: &mut Lexer, start: usize) -> Option<JourneyItem> {
    let name = p.ident()?;
    p.sym("=")?;
    let amount = attempt(p, |p| {
        p.kw("sum")?;
        p.sym("(")?;
        let event = p.ident()?;
        p.sym(".")?;
        let property = p.ident()?;
        let filter = where_clause(p, Flavor::Plain);
        p.kw("within")?;
        let within = duration(p)??;
        p.sym(")")?;
        Some((GoalKind::Sum { event, property, filter }, within))
    });
    let (kind, within) = match amount {
        Some(found) => found,
        None => {
            if p.declined {
                return None;
            }
            let reach = attempt(p, |p| {
                p.kw("reach")?;
                p.ident()
            });
            let kind = match reach {
                Some(stage) => GoalKind::Reach(stage),
                None => {
                    let event = p.ident()?;
                    let filter = where_clause(p, Flavor::Plain);
                    GoalKind::Event { event, filter }
                }
            };
            p.kw("within")?;
            (kind, duration(p)??)
        }
    };
    Some(JourneyItem::Goal(Goal { name, kind, within, span: p.span_from(start) }))
}

/// The alternatives of `journey_entry` (`first`) and of `entry_or` (all but the
/// condition).
fn trigger(p: &mut Lexer, first: bool) -> Option<Trigger> {
    let event = attempt(p, |p| {
        p.kw("on")?;
        let event = p.ident()?;
        let filter = where_clause(p, Flavor::Entry);
        Some(Trigger::Event { event, filter })
    });
    if event.is_some() || p.declined {
        return event;
    }
    let audience = attempt(p, |p| {
        p.kw("when")?;
        p.kw("audience")?;
        let audience = p.ident()?;
        let (edge, edge_span) = match p.kw("entered") {
            Some(s) => (AudienceEdge::Entered, s),
            None => (AudienceEdge::Exited, p.kw("exited")?),
        };
        Some(Trigger::Audience { audience, edge, edge_span })
    });
    if audience.is_some() {
        return audience;
    }
    let schedule = attempt(p, |p| {
        p.kw("every")?;
        let monthly = attempt(p, |p| {
            let start = p.start();
            p.kw("month")?;
            p.kw("on")?;
            let day = integer(p)?;
            Some(SchedulePeriod::Monthly { day, span: p.span_from(start) })
        });
        let period = match monthly {
            Some(m) => m,
            None if p.declined => return None,
            None => SchedulePeriod::Named(p.ident()?),
        };
        p.kw("at")?;
        let at = time_of_day(p)??;
        let zone = attempt(p, zone);
        Some(Trigger::Schedule { period, at, zone })
    });
    if schedule.is_some() || p.declined {
        return schedule;
    }
    let date = attempt(p, |p| {
        p.kw("at")?;
        let attribute = p.ident()?;
        let offset = attempt(p, |p| {
            let start = p.start();
            let negative = match p.sym("+") {
                Some(_) => false,
                None => {
                    p.sym("-")?;
                    true
                }
            };
            let duration = duration(p)??;
            Some(SignedDuration { negative, duration, span: p.span_from(start) })
        });
        if p.declined {
            return None;
        }
        let at = attempt(p, |p| {
            p.kw("at")?;
            time_of_day(p)?
        });
        Some(Trigger::Date { attribute, offset, at })
    });
    if date.is_some() || p.declined || !first {
        return date;
    }
    attempt(p, |p| {
        p.kw("when")?;
        let condition = expr(p, Flavor::Plain)?;
        Some(Trigger::Condition { condition })
    })
}

/// `step = _{ send_step | wait_for_step | wait_until_step | wait_business_step |
/// wait_step | branch_step | split_step | set_step | task_step | webhook_step |
/// goto_step | end_step }`.
fn step(p: &mut Lexer) -> Option<Step> {
    let start = p.start();
    let kind = if p.at_kw("wait") {
        wait(p)?
    } else if p.kw("send").is_some() {
        let channel = p.ident()?;
        let template = p.string()?;
        let tags = attempt(p, |p| {
            p.kw("tags")?;
            tag_list(p)
        });
        StepKind::Send { channel, template, tags }
    } else if p.kw("branch").is_some() {
        branch(p)?
    } else if p.kw("split").is_some() {
        let name = p.ident();
        p.sym("{")?;
        let mut arms = Vec::new();
        while let Some(arm) = attempt(p, |p| {
            let a_start = p.start();
            let weight = percent(p)?;
            p.sym("->")?;
            let target = target(p)?;
            Some(SplitArm { weight, target, span: p.span_from(a_start) })
        }) {
            arms.push(arm);
        }
        if arms.is_empty() {
            return None;
        }
        p.sym("}")?;
        StepKind::Split { name, arms }
    } else if p.kw("set").is_some() {
        let attribute = p.ident()?;
        p.sym("=")?;
        StepKind::Set { attribute, value: expr(p, Flavor::Plain)? }
    } else if p.kw("task").is_some() {
        task(p)?
    } else if p.kw("webhook").is_some() {
        let channel = p.ident()?;
        StepKind::Webhook { channel, template: p.string()? }
    } else if p.kw("goto").is_some() {
        StepKind::Goto(target(p)?)
    } else if p.kw("end").is_some() {
        StepKind::End
    } else {
        return None;
    };
    Some(Step { kind, span: p.span_from(start) })
}

/// The four `wait` steps, tried in the grammar's order.
fn wait(p: &mut Lexer) -> Option<StepKind> {
    let wait_for = attempt(p, |p| {
        p.kw("wait")?;
        p.kw("up")?;
        p.kw("to")?;
        let timeout = duration(p)??;
        p.kw("for")?;
        let event = p.ident()?;
        let filter = where_clause(p, Flavor::Wait);
        let mut also = Vec::new();
        while let Some(alt) = attempt(p, |p| {
            p.kw("or")?;
            let event = p.ident()?;
            let filter = where_clause(p, Flavor::Wait);
            Some(AltEvent { event, filter })
        }) {
            also.push(alt);
        }
        p.kw("then")?;
        let then = target(p)?;
        p.kw("timeout")?;
        let on_timeout = target(p)?;
        Some(StepKind::WaitFor { timeout, event, filter, then, on_timeout, also })
    });
    if wait_for.is_some() || p.declined {
        return wait_for;
    }
    let until = attempt(p, |p| {
        p.kw("wait")?;
        p.kw("until")?;
        if let Some(at) = time_of_day(p) {
            let at = at?;
            let zone = attempt(p, zone);
            return Some(StepKind::WaitUntilTime { at, zone });
        }
        Some(StepKind::WaitUntilDate(expr(p, Flavor::Plain)?))
    });
    if until.is_some() || p.declined {
        return until;
    }
    let business = attempt(p, |p| {
        p.kw("wait")?;
        business_days(p)
    });
    if business.is_some() || p.declined {
        return business.map(StepKind::WaitBusinessDays);
    }
    attempt(p, |p| {
        p.kw("wait")?;
        Some(StepKind::Wait(duration(p)??))
    })
}

/// `branch_step = { kw_branch ~ "{" ~ branch_arm+ ~ else_arm? ~ "}" }`.
fn branch(p: &mut Lexer) -> Option<StepKind> {
    p.sym("{")?;
    let mut arms = Vec::new();
    while let Some(arm) = attempt(p, |p| {
        let a_start = p.start();
        p.kw("when")?;
        let condition = expr(p, Flavor::Plain)?;
        p.sym("->")?;
        let target = target(p)?;
        Some(BranchArm { condition, target, span: p.span_from(a_start) })
    }) {
        arms.push(arm);
    }
    if arms.is_empty() {
        return None;
    }
    let otherwise = attempt(p, |p| {
        p.kw("else")?;
        p.sym("->")?;
        target(p)
    });
    p.sym("}")?;
    Some(StepKind::Branch { arms, otherwise })
}

/// `task_step = { kw_task ~ ident ~ string ~ (kw_assign ~ string | task_owner)? ~
/// task_due? ~ task_priority? }`.
fn task(p: &mut Lexer) -> Option<StepKind> {
    let channel = p.ident()?;
    let title = p.string()?;
    let mut assignee = None;
    let mut owner = None;
    let assigned = attempt(p, |p| {
        p.kw("assign")?;
        p.string()
    });
    match assigned {
        Some(a) => assignee = Some(a),
        None => owner = attempt(p, task_owner),
    }
    let due = attempt(p, task_due);
    if p.declined {
        return None;
    }
    let priority = attempt(p, |p| {
        p.kw("priority")?;
        p.ident()
    });
    Some(StepKind::Task { channel, title, assignee, owner, due, priority })
}

/// `task_owner = { kw_owner ~ (string | task_owner_attr) }`.
fn task_owner(p: &mut Lexer) -> Option<TaskOwner> {
    p.kw("owner")?;
    if let Some(s) = p.string() {
        return Some(TaskOwner::Fixed(s));
    }
    p.kw("attribute")?;
    let attribute = p.ident()?;
    let queue = attempt(p, |p| {
        p.kw("else")?;
        p.kw("queue")?;
        p.ident()
    });
    Some(TaskOwner::Attribute { attribute, queue })
}

/// `task_due = { kw_due ~ (business_days | due_span | duration) }`.
fn task_due(p: &mut Lexer) -> Option<TaskDue> {
    p.kw("due")?;
    if let Some(b) = business_days(p) {
        return Some(TaskDue::Business(b));
    }
    if p.declined {
        return None;
    }
    let span = attempt(p, |p| {
        let start = p.start();
        let (text, _) = p.integer_text()?;
        let hours = if days(p) {
            false
        } else if p.kw("hours").is_some() || p.kw("hour").is_some() {
            true
        } else {
            return None;
        };
        let span = p.span_from(start);
        let per = if hours { 60 } else { 24 * 60 };
        match text.parse::<u64>() {
            Ok(a) if a.checked_mul(per).is_some_and(|m| m <= crate::parser::MAX_DURATION_MINUTES) => {
                Some(TaskDue::Span { amount: a, hours, span })
            }
            _ => p.decline(),
        }
    });
    if span.is_some() || p.declined {
        return span;
    }
    duration(p)?.map(TaskDue::Duration)
}

/// `target = { kw_end | target_journey | ident }`.
fn target(p: &mut Lexer) -> Option<Target> {
    let start = p.start();
    if let Some(sp) = p.kw("end") {
        return Some(Target::End(sp));
    }
    let journey = attempt(p, |p| {
        p.kw("journey")?;
        let name = p.ident()?;
        Some(Target::Journey(name, p.span_from(start)))
    });
    journey.or_else(|| p.ident().map(Target::Stage))
}
