//! Pictures of a journey: Mermaid (renders in GitHub comments and docs) and Graphviz
//! DOT. Both draw one box per step, grouped by stage, with labelled edges.

use crate::{successors, EdgeKind, Expr, Journey, Node, Step, Transition, Value};

use std::fmt::Write;

/// A node's label: the step as its source writes it (the formatter's text, which
/// keeps `local`, filters and currency as written), else a description of the
/// lowered step.
pub fn step_label(node: &Node) -> String {
    if node.label.is_empty() {
        describe_step(&node.step)
    } else {
        node.label.clone()
    }
}

/// The label of a journey's start: its entry as written after `entry` (the
/// formatter's text), else a description of the lowered trigger.
pub fn entry_label(j: &Journey) -> String {
    if j.entry_label.is_empty() {
        entry_text(j)
    } else {
        j.entry_label.clone()
    }
}

/// A short, one-line description of a step, as people would say it.
pub fn describe_step(step: &Step) -> String {
    match step {
        Step::Send { channel, template, .. } => format!("send {channel} \"{template}\""),
        Step::Wait { minutes, .. } => format!("wait {}", duration(*minutes)),
        // the zone too: a customer's own 09:00 and one zone's 09:00 are different waits
        Step::WaitUntilTime { minute_of_day, zone, .. } => {
            format!("wait until {}{}", time(*minute_of_day), zone_text(zone))
        }
        Step::WaitUntilDate { attribute, offset_minutes, .. } => match offset_minutes.signum() {
            0 => format!("wait until {attribute}"),
            -1 => format!("wait until {attribute} - {}", duration(offset_minutes.unsigned_abs())),
            _ => format!("wait until {attribute} + {}", duration(*offset_minutes as u64)),
        },
        // with each event's filter: the wait ends only on a matching event
        Step::WaitFor { event, filter, timeout_minutes, also, .. } => {
            let mut events = filtered(event, filter.as_ref());
            for a in also {
                events.push_str(" or ");
                events.push_str(&filtered(&a.event, a.filter.as_ref()));
            }
            format!("wait up to {} for {events}", duration(*timeout_minutes))
        }
        Step::Branch { .. } => "branch".to_string(),
        Step::Split { name, .. } => name.as_ref().map_or("split".to_string(), |n| format!("split {n}")),
        Step::SetAttribute { attribute, .. } => format!("set {attribute}"),
        Step::Task { channel, title, .. } => format!("task {channel} \"{title}\""),
        Step::Webhook { channel, template, .. } => format!("webhook {channel} \"{template}\""),
        Step::Goto { .. } => "goto".to_string(),
        Step::End => "end".to_string(),
        Step::WaitBusinessDays { days, .. } => format!("wait {}", business_days(*days)),
    }
}

/// issue 15: `3 business days`, `1 business day`.
pub fn business_days(days: u64) -> String {
    format!("{days} business day{}", if days == 1 { "" } else { "s" })
}

/// Minutes as the largest whole unit: 10080 → 1w, 1440 → 1d, 90 → 90m.
pub fn duration(minutes: u64) -> String {
    for (unit, size) in [("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)] {
        if minutes >= size && minutes.is_multiple_of(size) {
            return format!("{}{unit}", minutes / size);
        }
    }
    format!("{minutes}m")
}

/// A compact rendering of a condition for edge labels.
pub fn describe_expr(e: &Expr) -> String {
    match e {
        Expr::Const { value } => match value {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) | Value::Money(n) => trim(*n),
            Value::Percent(p) => format!("{}%", trim(*p)),
            Value::DurationMinutes(m) => duration(*m),
            Value::Date(d) => d.clone(),
            Value::TimeOfDay(m) => format!("{:02}:{:02}", m / 60, m % 60),
            Value::Text(t) => format!("\"{t}\""),
        },
        Expr::Attribute { name } | Expr::Property { name } | Expr::Audience { name } => name.clone(),
        Expr::Today => "today".to_string(),
        // issue 15, accounts
        Expr::AccountAggregate(a) => format!("account.{}", describe_expr(&Expr::Aggregate(a.clone()))),
        Expr::Aggregate(a) => {
            use crate::Aggregate::*;
            match a {
                Count { event, filter, window_minutes } => {
                    call("count", &filtered(event, filter.as_deref()), *window_minutes)
                }
                Sum { event, property, filter, window_minutes } => {
                    call("sum", &filtered(&format!("{event}.{property}"), filter.as_deref()), *window_minutes)
                }
                Avg { event, property, filter, window_minutes } => {
                    call("avg", &filtered(&format!("{event}.{property}"), filter.as_deref()), *window_minutes)
                }
                Since { event, .. } => format!("since({event})"),
                SinceAttribute { attribute } => format!("since({attribute})"),
                SinceFirst { event, .. } => format!("since_first({event})"),
                Latest { event, property, filter } => {
                    format!("latest({})", filtered(&format!("{event}.{property}"), filter.as_deref()))
                }
            }
        }
        Expr::Not { expr } => match &**expr {
            Expr::IsSet { expr } => format!("{} is not set", describe_expr(expr)),
            _ => format!("not {}", describe_expr(expr)),
        },
        Expr::IsSet { expr } => format!("{} is set", describe_expr(expr)),
        Expr::And { all } => all.iter().map(describe_expr).collect::<Vec<_>>().join(" and "),
        Expr::Or { any } => format!("({})", any.iter().map(describe_expr).collect::<Vec<_>>().join(" or ")),
        Expr::Compare { cmp, lhs, rhs } => format!("{} {} {}", describe_expr(lhs), cmp.as_str(), describe_expr(rhs)),
        Expr::In { value, list } => {
            format!("{} in [{}]", describe_expr(value), list.iter().map(describe_expr).collect::<Vec<_>>().join(", "))
        }
        Expr::Add { lhs, rhs } => format!("{} + {}", describe_expr(lhs), describe_expr(rhs)),
        Expr::Sub { lhs, rhs } => format!("{} - {}", describe_expr(lhs), describe_expr(rhs)),
        Expr::Mul { lhs, rhs } => format!("{} * {}", factor(lhs), factor(rhs)),
        Expr::Div { lhs, rhs } => format!("{} / {}", factor(lhs), factor(rhs)),
        Expr::Min { all } => format!("min({})", all.iter().map(describe_expr).collect::<Vec<_>>().join(", ")),
        Expr::Max { all } => format!("max({})", all.iter().map(describe_expr).collect::<Vec<_>>().join(", ")),
        // by name: the definition is one `score` declaration away
        Expr::Score { name, .. } => name.clone(),
    }
}

/// An operand of `*` or `/`: a sum in parentheses, so `(a + b) * c` does not read as
/// `a + b * c`.
fn factor(e: &Expr) -> String {
    match e {
        Expr::Add { .. } | Expr::Sub { .. } | Expr::Div { .. } => format!("({})", describe_expr(e)),
        _ => describe_expr(e),
    }
}

/// An aggregate's argument with its `where` filter: leaving the filter out would draw
/// a different condition than the one that runs.
fn filtered(arg: &str, filter: Option<&Expr>) -> String {
    match filter {
        Some(f) => format!("{arg} where {}", describe_expr(f)),
        None => arg.to_string(),
    }
}

fn call(f: &str, arg: &str, window: Option<u64>) -> String {
    match window {
        Some(w) => format!("{f}({arg}, {})", duration(w)),
        None => format!("{f}({arg})"),
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn edge_label(node: &Node, kind: EdgeKind) -> Option<String> {
    match (&node.step, kind) {
        (Step::WaitFor { event, also, .. }, EdgeKind::Then) => Some(crate::event_names(event, also, " or ")),
        (Step::WaitFor { .. }, EdgeKind::Timeout) => Some("timeout".to_string()),
        (Step::Branch { .. }, EdgeKind::Arm(usize::MAX)) => Some("else".to_string()),
        (Step::Branch { arms, .. }, EdgeKind::Arm(i)) => arms.get(i).map(arm_label),
        (Step::Split { arms, .. }, EdgeKind::Arm(i)) => arms.get(i).map(|a| format!("{}%", trim(a.percent))),
        _ => None,
    }
}

/// A branch arm's label: its condition as written (the formatter's text, which keeps
/// `where` filters and currency), else a description of the lowered condition.
pub fn arm_label(arm: &crate::BranchArm) -> String {
    if arm.label.is_empty() {
        describe_expr(&arm.condition)
    } else {
        arm.label.clone()
    }
}

fn node_key(id: &str) -> String {
    id.replace('#', "_")
}

fn target_key(t: &Transition) -> String {
    match t {
        Transition::Node(id) => node_key(id),
        Transition::End => "END".to_string(),
        Transition::Journey(j) => format!("J_{j}"),
    }
}

fn entry_text(j: &Journey) -> String {
    use crate::Trigger::*;
    match &j.entry {
        Event { event, filter } => {
            let mut s = format!("on {}", filtered(event, filter.as_ref()));
            for a in &j.entry_also {
                s.push_str(&format!(" or on {}", filtered(&a.event, a.filter.as_ref())));
            }
            s
        }
        AudienceEntered { audience } => format!("when audience {audience} entered"),
        AudienceExited { audience } => format!("when audience {audience} exited"),
        Condition { condition } => format!("when {}", describe_expr(condition)),
        Schedule { period, minute_of_day, zone } => {
            let period = match period.strip_prefix("month_day:") {
                Some(day) => format!("month on {day}"),
                None => period.clone(),
            };
            format!("every {period} at {}{}", time(*minute_of_day), zone_text(zone))
        }
        DateAttribute { attribute, offset_minutes, minute_of_day } => {
            let mut s = match offset_minutes.signum() {
                0 => format!("at {attribute}"),
                -1 => format!("at {attribute} - {}", duration(offset_minutes.unsigned_abs())),
                _ => format!("at {attribute} + {}", duration(*offset_minutes as u64)),
            };
            if let Some(m) = minute_of_day {
                s.push_str(&format!(" at {}", time(*m)));
            }
            s
        }
    }
}

/// `09:30`
fn time(minute_of_day: u32) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// ` local` or ` "Europe/Berlin"`, after a time of day.
fn zone_text(zone: &crate::Zone) -> String {
    match zone {
        crate::Zone::Customer => " local".to_string(),
        crate::Zone::Named(name) => format!(" \"{name}\""),
    }
}

fn handovers(j: &Journey) -> Vec<String> {
    let mut out: Vec<String> = j
        .nodes
        .iter()
        .flat_map(|n| successors(&n.step).into_iter().map(|(_, t)| t.clone()).collect::<Vec<_>>())
        .chain(std::iter::once(j.start.clone()))
        .filter_map(|t| if let Transition::Journey(name) = t { Some(name) } else { None })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Text inside a quoted Mermaid label. Mermaid reads labels as HTML and `#…;` as
/// entity codes, so `<today>` would vanish and `&` or `#` could start an entity: each
/// of them is written as its entity code (`#lt;`, `#35;`, …), which Mermaid turns back
/// into the character. A backquote would start a markdown string.
pub fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            '`' => out.push_str("#96;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn mermaid(j: &Journey) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    let _ = writeln!(out, "  START([\"{}\"])", mermaid_text(&entry_label(j)));
    for stage in &j.stages {
        let _ = writeln!(out, "  subgraph {}[\"{}\"]", node_key(&format!("stage_{}", stage.name)), stage.name);
        for n in j.nodes.iter().filter(|n| n.stage == stage.name) {
            let _ = writeln!(out, "    {}[\"{}\"]", node_key(&n.id), mermaid_text(&step_label(n)));
        }
        let _ = writeln!(out, "  end");
    }
    let _ = writeln!(out, "  END([end])");
    for h in handovers(j) {
        let _ = writeln!(out, "  J_{h}[[\"journey {h}\"]]");
    }
    let _ = writeln!(out, "  START --> {}", target_key(&j.start));
    for n in &j.nodes {
        if matches!(n.step, Step::End) {
            let _ = writeln!(out, "  {} --> END", node_key(&n.id));
        }
        for (kind, t) in successors(&n.step) {
            match edge_label(n, kind) {
                Some(l) => {
                    let _ = writeln!(out, "  {} -->|\"{}\"| {}", node_key(&n.id), mermaid_text(&l), target_key(t));
                }
                None => {
                    let _ = writeln!(out, "  {} --> {}", node_key(&n.id), target_key(t));
                }
            }
        }
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(j: &Journey) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&j.name));
    let _ = writeln!(out, "  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];");
    let _ = writeln!(out, "  START [label=\"{}\", shape=oval];", dot_text(&entry_label(j)));
    for stage in &j.stages {
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{}\" {{\n    label=\"{}\";",
            dot_text(&stage.name),
            dot_text(&stage.name)
        );
        for n in j.nodes.iter().filter(|n| n.stage == stage.name) {
            let _ = writeln!(out, "    {} [label=\"{}\"];", node_key(&n.id), dot_text(&step_label(n)));
        }
        let _ = writeln!(out, "  }}");
    }
    let _ = writeln!(out, "  END [label=\"end\", shape=oval];");
    for h in handovers(j) {
        let _ = writeln!(out, "  \"J_{h}\" [label=\"journey {}\", shape=component];", dot_text(&h));
    }
    let _ = writeln!(out, "  START -> {};", quoted(&target_key(&j.start)));
    for n in &j.nodes {
        if matches!(n.step, Step::End) {
            let _ = writeln!(out, "  {} -> END;", node_key(&n.id));
        }
        for (kind, t) in successors(&n.step) {
            match edge_label(n, kind) {
                Some(l) => {
                    let _ = writeln!(
                        out,
                        "  {} -> {} [label=\"{}\"];",
                        node_key(&n.id),
                        quoted(&target_key(t)),
                        dot_text(&l)
                    );
                }
                None => {
                    let _ = writeln!(out, "  {} -> {};", node_key(&n.id), quoted(&target_key(t)));
                }
            }
        }
    }
    let _ = writeln!(out, "}}");
    out
}

fn quoted(k: &str) -> String {
    if k.starts_with("J_") {
        format!("\"{k}\"")
    } else {
        k.to_string()
    }
}
