//! One-line descriptions of IR items, and the field lists steps are compared by.

use crate::FieldChange;
use journey_ir::draw::{describe_expr, duration};
use journey_ir::{
    Assumption, Cap, Channel, EffectUnit, ExitRule, Goal, GoalKind, Guardrail, Journey, MetricKind, Node, QuietHours,
    ReEntry, Step, Transition, Trigger, Zone, METRICS,
};
use std::collections::BTreeMap;

/// What a journey's transitions mean in words, independent of step numbering where
/// possible: the next step of the same stage is "next step", the first step of a stage is
/// "stage `name`".
pub struct Ctx<'a> {
    journey: &'a Journey,
}

impl<'a> Ctx<'a> {
    pub fn new(journey: &'a Journey) -> Ctx<'a> {
        Ctx { journey }
    }

    fn sequential_next(&self, from: &Node) -> Option<&str> {
        let i = self.journey.node_index(&from.id)?;
        let n = self.journey.nodes.get(i + 1)?;
        (n.stage == from.stage).then_some(n.id.as_str())
    }

    /// `mapping` (base id → head id) is given when describing the base side for
    /// comparison with the head side.
    pub fn transition(
        &self,
        t: &Transition,
        from: Option<&Node>,
        mapping: Option<&BTreeMap<String, String>>,
    ) -> String {
        match t {
            Transition::Node(id) => {
                if from.and_then(|f| self.sequential_next(f)) == Some(id.as_str()) {
                    return "next step".to_string();
                }
                if let Some(s) = self.journey.stages.iter().find(|s| s.first == *t) {
                    return format!("stage `{}`", s.name);
                }
                match mapping {
                    Some(m) => match m.get(id) {
                        Some(h) => format!("`{h}`"),
                        None => format!("`{id}` (removed)"),
                    },
                    None => format!("`{id}`"),
                }
            }
            Transition::End => "end".to_string(),
            Transition::Journey(j) => format!("journey `{j}`"),
        }
    }
}

pub fn step_kind(step: &Step) -> &'static str {
    match step {
        Step::Send { .. } => "send",
        Step::Wait { .. } => "wait",
        Step::WaitUntilTime { .. } => "wait_until_time",
        Step::WaitUntilDate { .. } => "wait_until_date",
        Step::WaitFor { .. } => "wait_for",
        Step::Branch { .. } => "branch",
        Step::Split { .. } => "split",
        Step::SetAttribute { .. } => "set_attribute",
        Step::Task { .. } => "task",
        Step::Webhook { .. } => "webhook",
        Step::Goto { .. } => "goto",
        Step::End => "end",
        Step::WaitBusinessDays { .. } => "wait_business_days",
    }
}

fn time(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn zone(z: &Zone) -> String {
    match z {
        Zone::Customer => "local".to_string(),
        Zone::Named(n) => n.clone(),
    }
}

fn offset(base: &str, minutes: i64) -> String {
    match minutes.signum() {
        0 => base.to_string(),
        -1 => format!("{base} - {}", duration(minutes.unsigned_abs())),
        _ => format!("{base} + {}", duration(minutes as u64)),
    }
}

pub(crate) fn trim(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The named fields of a step, as compared by the diff. The first is always `kind`.
pub fn step_fields(node: &Node, ctx: &Ctx, mapping: Option<&BTreeMap<String, String>>) -> Vec<(&'static str, String)> {
    let tr = |t: &Transition| ctx.transition(t, Some(node), mapping);
    let mut f = vec![("kind", step_kind(&node.step).to_string())];
    match &node.step {
        Step::Send { channel, template, tags, next } => {
            f.push(("channel", channel.clone()));
            f.push(("template", format!("\"{template}\"")));
            f.push(("tags", format!("[{}]", tags.join(", "))));
            f.push(("next", tr(next)));
        }
        Step::Wait { minutes, next } => {
            f.push(("duration", duration(*minutes)));
            f.push(("next", tr(next)));
        }
        Step::WaitUntilTime { minute_of_day, zone: z, next } => {
            f.push(("time", time(*minute_of_day)));
            f.push(("zone", zone(z)));
            f.push(("next", tr(next)));
        }
        Step::WaitUntilDate { attribute, offset_minutes, next } => {
            f.push(("date", offset(attribute, *offset_minutes)));
            f.push(("next", tr(next)));
        }
        Step::WaitFor { event, filter, timeout_minutes, then, timeout, also } => {
            f.push(("event", event.clone()));
            f.push(("filter", filter.as_ref().map_or("none".to_string(), describe_expr)));
            // any of several events
            for a in also {
                let filter = a.filter.as_ref().map_or(String::new(), |x| format!(" where {}", describe_expr(x)));
                f.push(("or event", format!("{}{filter}", a.event)));
            }
            f.push(("timeout", duration(*timeout_minutes)));
            f.push(("then", tr(then)));
            f.push(("on timeout", tr(timeout)));
        }
        Step::Branch { arms, otherwise } => {
            let a: Vec<String> =
                arms.iter().map(|a| format!("{} → {}", journey_ir::draw::arm_label(a), tr(&a.target))).collect();
            f.push(("arms", a.join("; ")));
            f.push(("else", tr(otherwise)));
        }
        Step::Split { name, arms } => {
            f.push(("name", name.clone().unwrap_or_default()));
            let a: Vec<String> = arms.iter().map(|a| format!("{}% → {}", trim(a.percent), tr(&a.target))).collect();
            f.push(("arms", a.join("; ")));
        }
        Step::SetAttribute { attribute, value, next } => {
            f.push(("attribute", attribute.clone()));
            f.push(("value", describe_expr(value)));
            f.push(("next", tr(next)));
        }
        Step::Task { channel, title, assignee, owner, fallback_queue, due, priority, next } => {
            f.push(("channel", channel.clone()));
            f.push(("title", format!("\"{title}\"")));
            f.push(("assignee", assignee.clone().unwrap_or_default()));
            if let Some(journey_ir::OwnerSource::Attribute { attribute }) = owner {
                f.push(("owner", format!("attribute {attribute}")));
            }
            if let Some(q) = fallback_queue {
                f.push(("fallback queue", q.clone()));
            }
            match due {
                Some(journey_ir::TaskDue::Minutes(m)) => f.push(("due", format!("{m}m"))),
                Some(journey_ir::TaskDue::BusinessDays(d)) => f.push(("due", format!("{d} business days"))),
                None => {}
            }
            if !priority.is_normal() {
                f.push(("priority", priority.as_str().to_string()));
            }
            f.push(("next", tr(next)));
        }
        Step::Webhook { channel, template, next } => {
            f.push(("channel", channel.clone()));
            f.push(("template", format!("\"{template}\"")));
            f.push(("next", tr(next)));
        }
        Step::Goto { target } => f.push(("target", tr(target))),
        Step::End => {}
        Step::WaitBusinessDays { days, next } => {
            f.push(("duration", journey_ir::draw::business_days(*days)));
            f.push(("next", tr(next)));
        }
    }
    f
}

/// The fields that differ between two steps of the same kind.
pub fn zip_fields(base: &[(&'static str, String)], head: &[(&'static str, String)]) -> Vec<FieldChange> {
    let names_b: Vec<&str> = base.iter().map(|f| f.0).collect();
    let names_h: Vec<&str> = head.iter().map(|f| f.0).collect();
    if names_b != names_h {
        let join = |v: &[(&str, String)]| v.iter().map(|(k, x)| format!("{k} {x}")).collect::<Vec<_>>().join(", ");
        return vec![FieldChange { field: "step".into(), base: Some(join(base)), head: Some(join(head)) }];
    }
    base.iter()
        .zip(head)
        .filter(|(b, h)| b.1 != h.1)
        .map(|(b, h)| FieldChange { field: b.0.to_string(), base: Some(b.1.clone()), head: Some(h.1.clone()) })
        .collect()
}

/// The entry with its several triggers: `on signup or on trial_started`.
pub fn describe_entry(j: &journey_ir::Journey) -> String {
    let mut s = describe_trigger(&j.entry);
    for a in &j.entry_also {
        s.push_str(" or ");
        s.push_str(&describe_trigger(&Trigger::Event { event: a.event.clone(), filter: a.filter.clone() }));
    }
    s
}

pub fn describe_trigger(t: &Trigger) -> String {
    match t {
        Trigger::Event { event, filter } => match filter {
            Some(f) => format!("on {event} where {}", describe_expr(f)),
            None => format!("on {event}"),
        },
        Trigger::AudienceEntered { audience } => format!("audience {audience} entered"),
        Trigger::AudienceExited { audience } => format!("audience {audience} exited"),
        Trigger::Condition { condition } => format!("when {}", journey_ir::draw::describe_expr(condition)),
        Trigger::Schedule { period, minute_of_day, zone: z } => {
            format!("every {period} at {} {}", time(*minute_of_day), zone(z))
        }
        Trigger::DateAttribute { attribute, offset_minutes, minute_of_day } => {
            let at = offset(attribute, *offset_minutes);
            match minute_of_day {
                Some(m) => format!("at {at} {}", time(*m)),
                None => format!("at {at}"),
            }
        }
    }
}

pub fn describe_re_entry(r: &ReEntry) -> String {
    match r {
        ReEntry::Never => "never".into(),
        ReEntry::Always => "always".into(),
        ReEntry::After { minutes } => format!("after {}", duration(*minutes)),
    }
}

pub fn describe_exit(e: &ExitRule) -> String {
    match e {
        ExitRule::Event { event, filter } => match filter {
            Some(f) => format!("on {event} where {}", describe_expr(f)),
            None => format!("on {event}"),
        },
        ExitRule::Condition { condition } => format!("when {}", describe_expr(condition)),
    }
}

pub fn describe_goal(g: &Goal) -> String {
    let what = match &g.kind {
        GoalKind::Event { event, filter } => match filter {
            Some(f) => format!("{event} where {}", describe_expr(f)),
            None => event.clone(),
        },
        GoalKind::Reach { stage } => format!("reach {stage}"),
        GoalKind::Sum { event, property, filter, .. } => {
            let filter = filter.as_ref().map_or(String::new(), |f| format!(" where {}", describe_expr(f)));
            return format!("sum({event}.{property}{filter} within {})", duration(g.within_minutes));
        }
    };
    format!("{what} within {}", duration(g.within_minutes))
}

pub fn describe_guardrail(g: &Guardrail) -> String {
    let rate = METRICS.iter().any(|(m, k)| *m == g.metric && *k == MetricKind::Rate);
    let limit = if rate { format!("{}%", trim((g.limit * 100.0 * 1e9).round() / 1e9)) } else { trim(g.limit) };
    format!("{} {} {limit}", g.metric, g.op.as_str())
}

pub fn describe_assumption(a: &Assumption) -> String {
    let u = match a.unit {
        EffectUnit::Points => "pp",
        EffectUnit::Percent => "%",
    };
    let sign = if a.effect >= 0.0 { "+" } else { "" };
    format!("{sign}{}{u} ({}{u}..{}{u})", trim(a.effect), trim(a.low), trim(a.high))
}

pub fn describe_cap(c: &Cap) -> String {
    format!("{} per {}", c.count, duration(c.window_minutes))
}

pub fn describe_quiet_hours(q: &QuietHours) -> String {
    format!("{}..{} {}", time(q.from_minute), time(q.to_minute), zone(&q.zone))
}

pub fn describe_channel(c: &Channel) -> String {
    let mut parts = vec![format!("kind {}", c.kind.as_str())];
    if let Some(x) = &c.category {
        parts.push(format!("category {x}"));
    }
    if let Some(x) = &c.consent {
        parts.push(format!("consent {x}"));
    }
    if let Some(q) = &c.quiet_hours {
        parts.push(format!("quiet_hours {}", describe_quiet_hours(q)));
    }
    if let Some(g) = c.min_gap_minutes {
        parts.push(format!("min_gap {}", duration(g)));
    }
    parts.join(", ")
}
