//! J314: a comparison that reads an attribute the snapshot may lack, without an
//! `is set` / `is not set` guard on its path.
//!
//! Conditions use three-valued logic (docs/engine.md, "Missing values"): a comparison
//! with a missing value is *unknown*, and an unknown audience, branch arm, goal or exit
//! is not taken. On an attribute that every customer has, that never matters; on one
//! that journey.yaml declares optional (`events.optional_attributes`), it silently
//! refuses the customers without a value, which is how a first run ends with "0
//! messages sent". So every such comparison must be guarded, where it is written or
//! earlier on its path:
//!
//! * in the same condition: `plan is set and plan != "free"`, `plan is not set or …`;
//! * by the journey's audience or entry (`audience: plan is set`, `entry at
//!   renewal_date - 30d`: only customers with a value are entered);
//! * by an earlier branch arm on every path to it (`if plan is not set -> ask` makes
//!   later arms, and the `otherwise` target, see `plan` set), or a `set plan = …` step.
//!
//! The guards along paths are a must-analysis over the IR graph (a fact holds at a
//! node when it holds on every path from the start); the comparisons themselves are
//! found in the syntax tree, so each warning points at the exact comparison.

use crate::context::Ctx;
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir as ir;
use journey_syntax::ast::{self, BinaryOp, ExprKind, JourneyItem};
use std::collections::{BTreeMap, BTreeSet};

type Facts = BTreeSet<String>;

/// The J314 warnings of a checked program. `optional` are the attribute names
/// journey.yaml declares optional (unknown names are reported by the caller).
pub(crate) fn check(ctx: &Ctx, program: &ir::Program, optional: &[String]) -> Vec<Diagnostic> {
    let optional: BTreeSet<&str> =
        optional.iter().map(String::as_str).filter(|a| ctx.attr_types.contains_key(*a)).collect();
    if optional.is_empty() {
        return Vec::new();
    }
    let mut w = Walker { ctx, program, optional, out: Vec::new(), seen: BTreeSet::new() };
    for d in ctx.audiences.values() {
        w.condition(d.file, &d.node.condition, None, &Facts::new());
    }
    for (name, d) in &ctx.journeys {
        let Some(j) = program.journeys.iter().find(|j| j.name == *name) else { continue };
        w.journey(d.file, d.node, j);
    }
    w.out
}

struct Walker<'c, 'a> {
    ctx: &'c Ctx<'a>,
    program: &'c ir::Program,
    optional: BTreeSet<&'c str>,
    out: Vec<Diagnostic>,
    /// Comparisons already reported (an audience is walked once, but a span could be
    /// reached twice through nested filters).
    seen: BTreeSet<(FileId, Span)>,
}

impl Walker<'_, '_> {
    fn journey(&mut self, file: FileId, decl: &ast::JourneyDecl, j: &ir::Journey) {
        // what holds for every customer in the journey: its audience and its entry
        let mut start = Facts::new();
        if let Some(a) = &j.audience {
            start.extend(self.true_facts(a, 0));
        }
        match &j.entry {
            ir::Trigger::DateAttribute { attribute, .. } => {
                start.insert(attribute.clone());
            }
            ir::Trigger::AudienceEntered { audience } => {
                start.extend(self.true_facts(&ir::Expr::Audience { name: audience.clone() }, 0));
            }
            _ => {}
        }
        let at_arm = self.arm_facts(j, &start);
        for item in &decl.items {
            match item {
                JourneyItem::Entry(e) => {
                    if let ast::Trigger::Event { event, filter: Some(f) } = &e.trigger {
                        // the entry filter is read before the audience admits anyone
                        self.condition(file, f, Some(event.name.as_str()), &Facts::new());
                    }
                }
                JourneyItem::Audience(e) => self.condition(file, e, None, &Facts::new()),
                JourneyItem::Exit(ast::Exit::OnEvent { event, filter: Some(f), .. }) => {
                    self.condition(file, f, Some(event.name.as_str()), &start)
                }
                JourneyItem::Exit(ast::Exit::When { condition, .. }) => self.condition(file, condition, None, &start),
                JourneyItem::Goal(g) => {
                    if let ast::GoalKind::Event { event, filter: Some(f) }
                    | ast::GoalKind::Sum { event, filter: Some(f), .. } = &g.kind
                    {
                        self.condition(file, f, Some(event.name.as_str()), &start);
                    }
                }
                JourneyItem::Stage(s) => {
                    for step in &s.steps {
                        match &step.kind {
                            ast::StepKind::Branch { arms, .. } => {
                                for a in arms {
                                    let known = at_arm.get(&(file, a.span)).cloned().unwrap_or_else(|| start.clone());
                                    self.condition(file, &a.condition, None, &known);
                                }
                            }
                            ast::StepKind::WaitFor { event, filter: Some(f), .. } => {
                                let known = at_arm.get(&(file, step.span)).cloned().unwrap_or_else(|| start.clone());
                                self.condition(file, f, Some(event.name.as_str()), &known);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The attributes known to be set where each branch arm is evaluated (keyed by the
    /// arm's span) and where each `wait for` listens (keyed by the step's span).
    fn arm_facts(&self, j: &ir::Journey, start: &Facts) -> BTreeMap<(FileId, Span), Facts> {
        let index = j.node_lookup();
        // `None`: not reached yet (the top of the lattice); facts only shrink
        let mut at: Vec<Option<Facts>> = vec![None; j.nodes.len()];
        let mut work: Vec<usize> = Vec::new();
        let flow = |to: &ir::Transition, facts: Facts, at: &mut Vec<Option<Facts>>, work: &mut Vec<usize>| {
            let ir::Transition::Node(id) = to else { return };
            let Some(&i) = index.get(id.as_str()) else { return };
            let new = match &at[i] {
                None => facts,
                Some(old) => old.intersection(&facts).cloned().collect(),
            };
            if at[i].as_ref() != Some(&new) {
                at[i] = Some(new);
                work.push(i);
            }
        };
        flow(&j.start, start.clone(), &mut at, &mut work);
        while let Some(i) = work.pop() {
            let here = at[i].clone().unwrap_or_default();
            match &j.nodes[i].step {
                ir::Step::Branch { arms, otherwise } => {
                    let mut untaken = here.clone();
                    for a in arms {
                        let mut taken = untaken.clone();
                        taken.extend(self.true_facts(&a.condition, 0));
                        flow(&a.target, taken, &mut at, &mut work);
                        untaken.extend(untaken_facts(&a.condition));
                    }
                    flow(otherwise, untaken, &mut at, &mut work);
                }
                ir::Step::SetAttribute { attribute, next, .. } => {
                    let mut f = here;
                    f.insert(attribute.clone());
                    flow(next, f, &mut at, &mut work);
                }
                step => {
                    for t in successors(step) {
                        flow(t, here.clone(), &mut at, &mut work);
                    }
                }
            }
        }
        let mut out = BTreeMap::new();
        for (i, n) in j.nodes.iter().enumerate() {
            // a node no path reaches (J301 says so) still gets the journey's own facts
            let here = at[i].clone().unwrap_or_else(|| start.clone());
            match &n.step {
                ir::Step::Branch { arms, .. } => {
                    let mut untaken = here;
                    for a in arms {
                        out.insert((a.origin.file, a.origin.span), untaken.clone());
                        untaken.extend(untaken_facts(&a.condition));
                    }
                }
                ir::Step::WaitFor { .. } => {
                    out.insert((n.origin.file, n.origin.span), here);
                }
                _ => {}
            }
        }
        out
    }

    /// Attributes certainly set when `e` is true (a comparison is only true on values
    /// that exist; a named audience brings its own condition's facts).
    fn true_facts(&self, e: &ir::Expr, depth: usize) -> Facts {
        let mut f = Facts::new();
        match e {
            ir::Expr::IsSet { expr } => {
                if let ir::Expr::Attribute { name } = &**expr {
                    f.insert(name.clone());
                }
            }
            ir::Expr::Not { expr } => f = untaken_facts(expr),
            ir::Expr::And { all } => all.iter().for_each(|x| f.extend(self.true_facts(x, depth))),
            ir::Expr::Or { any } => {
                let mut sets = any.iter().map(|x| self.true_facts(x, depth));
                if let Some(first) = sets.next() {
                    f = sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect());
                }
            }
            ir::Expr::Compare { lhs, rhs, .. } => {
                read_attributes(lhs, &mut f);
                read_attributes(rhs, &mut f);
            }
            ir::Expr::In { value, .. } => read_attributes(value, &mut f),
            // audiences may not form cycles (J311), but a broken program may still hold one
            ir::Expr::Audience { name } if depth < 16 => {
                if let Some(a) = self.program.audiences.iter().find(|a| a.name == *name) {
                    f = self.true_facts(&a.condition, depth + 1);
                }
            }
            _ => {}
        }
        f
    }

    /// Walk one condition written in `file`, `event` naming the event whose properties
    /// bare names may be (in `where` filters); `known` are the attributes certainly set
    /// here.
    fn condition(&mut self, file: FileId, e: &ast::Expr, event: Option<&str>, known: &Facts) {
        match &e.kind {
            ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => {
                self.condition(file, inner, event, known)
            }
            ExprKind::Binary { op: BinaryOp::And, lhs, rhs, .. } => {
                // the engine evaluates the whole conjunction: a guard on either side
                // makes the intent explicit for the other
                let mut k = known.clone();
                k.extend(self.ast_true_facts(rhs, event));
                self.condition(file, lhs, event, &k);
                let mut k = known.clone();
                k.extend(self.ast_true_facts(lhs, event));
                self.condition(file, rhs, event, &k);
            }
            ExprKind::Binary { op: BinaryOp::Or, lhs, rhs, .. } => {
                let mut k = known.clone();
                k.extend(self.ast_untaken_facts(rhs, event));
                self.condition(file, lhs, event, &k);
                let mut k = known.clone();
                k.extend(self.ast_untaken_facts(lhs, event));
                self.condition(file, rhs, event, &k);
            }
            ExprKind::Binary { op: BinaryOp::Cmp(_) | BinaryOp::In, lhs, rhs, .. } => {
                let mut reads = Vec::new();
                self.reads(lhs, event, &mut reads);
                self.reads(rhs, event, &mut reads);
                if let Some((name, _)) = reads.iter().find(|(n, _)| !known.contains(n.as_str())) {
                    self.report(file, e.span, name);
                }
                self.filters(file, lhs, known);
                self.filters(file, rhs, known);
            }
            ExprKind::Call { .. } => self.filters(file, e, known),
            _ => {}
        }
    }

    /// The `where` filters of aggregates inside a value, each in its event's scope.
    fn filters(&mut self, file: FileId, e: &ast::Expr, known: &Facts) {
        match &e.kind {
            ExprKind::Paren(inner) => self.filters(file, inner, known),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.filters(file, lhs, known);
                self.filters(file, rhs, known);
            }
            ExprKind::Call { args, .. } => {
                let event = args.first().and_then(|a| path_name(&a.value)).filter(|n| self.ctx.events.contains_key(*n));
                for a in args {
                    if let (Some(f), Some(ev)) = (&a.filter, event) {
                        self.condition(file, f, Some(ev), known);
                    }
                }
            }
            _ => {}
        }
    }

    /// Optional attributes a value reads directly (`plan`, `renewal_date - 30d`,
    /// `since(trial_ends_on)`), with where.
    fn reads(&self, e: &ast::Expr, event: Option<&str>, out: &mut Vec<(String, Span)>) {
        match &e.kind {
            ExprKind::Paren(inner) => self.reads(inner, event, out),
            ExprKind::Path(parts) if parts.len() == 1 => {
                if let Some(a) = self.attribute(&parts[0].name, event) {
                    out.push((a.to_string(), e.span));
                }
            }
            ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub, lhs, rhs, .. } => {
                self.reads(lhs, event, out);
                self.reads(rhs, event, out);
            }
            ExprKind::List(items) => items.iter().for_each(|i| self.reads(i, event, out)),
            ExprKind::Call { function, args } if function.name == "since" => {
                // `since(attribute)`: missing when the date is
                if let Some(a) = args.first().and_then(|a| path_name(&a.value)) {
                    if !self.ctx.events.contains_key(a) {
                        if let Some(a) = self.attribute(a, None) {
                            out.push((a.to_string(), e.span));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// `name` as an optional attribute, unless a property of `event` shadows it.
    fn attribute<'n>(&self, name: &'n str, event: Option<&str>) -> Option<&'n str> {
        if let Some(ev) = event {
            if self.ctx.event_props.get(ev).is_some_and(|ps| ps.iter().any(|(p, _)| p == name)) {
                return None;
            }
        }
        self.optional.contains(name).then_some(name)
    }

    fn ast_true_facts(&self, e: &ast::Expr, event: Option<&str>) -> Facts {
        let mut f = Facts::new();
        match &e.kind {
            ExprKind::Paren(inner) => f = self.ast_true_facts(inner, event),
            ExprKind::IsSet { operand, negated: false, .. } => {
                if let Some(a) = path_name(operand).and_then(|n| self.attribute(n, event)) {
                    f.insert(a.to_string());
                }
            }
            ExprKind::IsSet { negated: true, .. } => {}
            ExprKind::Unary { operand, .. } => f = self.ast_untaken_facts(operand, event),
            ExprKind::Binary { op: BinaryOp::And, lhs, rhs, .. } => {
                f = self.ast_true_facts(lhs, event);
                f.extend(self.ast_true_facts(rhs, event));
            }
            ExprKind::Binary { op: BinaryOp::Or, lhs, rhs, .. } => {
                let (a, b) = (self.ast_true_facts(lhs, event), self.ast_true_facts(rhs, event));
                f = a.intersection(&b).cloned().collect();
            }
            _ => {}
        }
        f
    }

    /// Attributes certainly set when `e` is not true: only `x is not set` says so (a
    /// comparison that is not true may just be unknown).
    fn ast_untaken_facts(&self, e: &ast::Expr, event: Option<&str>) -> Facts {
        let mut f = Facts::new();
        match &e.kind {
            ExprKind::Paren(inner) => f = self.ast_untaken_facts(inner, event),
            ExprKind::IsSet { operand, negated: true, .. } => {
                if let Some(a) = path_name(operand).and_then(|n| self.attribute(n, event)) {
                    f.insert(a.to_string());
                }
            }
            ExprKind::Unary { operand, .. } => {
                // `not (x is set)` is not true exactly when x is set
                if let ExprKind::IsSet { operand, negated: false, .. } = &strip(operand).kind {
                    if let Some(a) = path_name(operand).and_then(|n| self.attribute(n, event)) {
                        f.insert(a.to_string());
                    }
                }
            }
            ExprKind::Binary { op: BinaryOp::Or, lhs, rhs, .. } => {
                f = self.ast_untaken_facts(lhs, event);
                f.extend(self.ast_untaken_facts(rhs, event));
            }
            ExprKind::Binary { op: BinaryOp::And, lhs, rhs, .. } => {
                let (a, b) = (self.ast_untaken_facts(lhs, event), self.ast_untaken_facts(rhs, event));
                f = a.intersection(&b).cloned().collect();
            }
            _ => {}
        }
        f
    }

    fn report(&mut self, file: FileId, span: Span, attribute: &str) {
        if !self.seen.insert((file, span)) {
            return;
        }
        self.out.push(
            Diagnostic::new("J314", format!("this comparison reads `{attribute}`, which some customers lack"))
                .primary(file, span, format!("unknown, so refused, for customers without `{attribute}`"))
                .help(format!(
                    "say what happens to them: `{attribute} is not set or …` lets them through, \
                     `{attribute} is set and …` refuses them on purpose (journey.yaml declares `{attribute}` optional)"
                )),
        );
    }
}

fn strip(e: &ast::Expr) -> &ast::Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

fn path_name(e: &ast::Expr) -> Option<&str> {
    match &strip(e).kind {
        ExprKind::Path(parts) if parts.len() == 1 => Some(parts[0].name.as_str()),
        _ => None,
    }
}

/// Attributes certainly set when `e` is not true (see [`Walker::ast_untaken_facts`]).
fn untaken_facts(e: &ir::Expr) -> Facts {
    let mut f = Facts::new();
    match e {
        ir::Expr::Not { expr } => {
            if let ir::Expr::IsSet { expr } = &**expr {
                if let ir::Expr::Attribute { name } = &**expr {
                    f.insert(name.clone());
                }
            }
        }
        ir::Expr::Or { any } => any.iter().for_each(|x| f.extend(untaken_facts(x))),
        ir::Expr::And { all } => {
            let mut sets = all.iter().map(untaken_facts);
            if let Some(first) = sets.next() {
                f = sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect());
            }
        }
        _ => {}
    }
    f
}

/// Attributes a value reads directly.
fn read_attributes(e: &ir::Expr, out: &mut Facts) {
    match e {
        ir::Expr::Attribute { name } => {
            out.insert(name.clone());
        }
        ir::Expr::Aggregate(ir::Aggregate::SinceAttribute { attribute }) => {
            out.insert(attribute.clone());
        }
        ir::Expr::Add { lhs, rhs } | ir::Expr::Sub { lhs, rhs } => {
            read_attributes(lhs, out);
            read_attributes(rhs, out);
        }
        _ => {}
    }
}

fn successors(step: &ir::Step) -> Vec<&ir::Transition> {
    use ir::Step::*;
    match step {
        Send { next, .. }
        | Wait { next, .. }
        | WaitUntilTime { next, .. }
        | WaitUntilDate { next, .. }
        | SetAttribute { next, .. }
        | Task { next, .. }
        | Webhook { next, .. }
        | WaitBusinessDays { next, .. } => vec![next],
        WaitFor { then, timeout, .. } => vec![then, timeout],
        Branch { arms, otherwise } => arms.iter().map(|a| &a.target).chain([otherwise]).collect(),
        Split { arms, .. } => arms.iter().map(|a| &a.target).collect(),
        Goto { target } => vec![target],
        End => vec![],
    }
}

#[cfg(test)]
mod tests {
    use crate::{check_sources, Settings};
    use journey_diagnostics::SourceMap;

    const SCHEMA: &str = r#"
event signed_up
event ticket { plan: text }
attribute plan: one_of("starter", "team")
attribute seats: number
attribute renewal_date: date
attribute email_opt_in: bool
channel email {
  kind email
  consent email_opt_in
}
"#;

    /// The J314 findings of `body` (after the schema), as `line: attribute`, with
    /// `optional` declared optional.
    fn j206(body: &str, optional: &[&str]) -> Vec<String> {
        let text = format!("{SCHEMA}{body}");
        let mut sources = SourceMap::new();
        let file = sources.add("t.journey", text.clone());
        let settings =
            Settings { optional_attributes: optional.iter().map(|s| s.to_string()).collect(), ..Settings::default() };
        let checked = check_sources(&sources, &[file], &settings);
        let errors: Vec<_> =
            checked.diagnostics.iter().filter(|d| d.code.starts_with("J1") || d.code.starts_with("J2")).collect();
        assert!(errors.is_empty(), "{errors:?}");
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code == "J314")
            .map(|d| {
                let l = d.primary_label().unwrap();
                let line = text[..l.span.start as usize].lines().count();
                format!("{line}: {}", &text[l.span.start as usize..l.span.end as usize])
            })
            .collect()
    }

    fn journey(stages: &str) -> String {
        format!("journey j {{\n  entry on signed_up\n  audience email_opt_in\n{stages}\n}}\n",)
    }

    const SEND: &str =
        "  stage a {\n    send email \"a\"\n    end\n  }\n  stage b {\n    send email \"b\"\n    end\n  }\n";

    #[test]
    fn an_unguarded_comparison_is_reported_at_the_comparison() {
        let body = journey(&format!(
            "  stage r {{\n    branch {{\n      when seats >= 20 -> a\n      else -> b\n    }}\n  }}\n{SEND}"
        ));
        assert_eq!(j206(&body, &["seats"]), vec!["17: seats >= 20"]);
        // not optional: nothing to say
        assert!(j206(&body, &["plan"]).is_empty());
        assert!(j206(&body, &[]).is_empty());
    }

    #[test]
    fn guards_in_the_same_condition() {
        for cond in [
            "seats is set and seats >= 20",
            "seats is not set or seats >= 20",
            "seats >= 20 and seats is set",
            "(seats is not set) or (seats > 3 and seats < 20)",
            "not (seats is set) or seats > 3",
        ] {
            let body = journey(&format!(
                "  stage r {{\n    branch {{\n      when {cond} -> a\n      else -> b\n    }}\n  }}\n{SEND}"
            ));
            assert!(j206(&body, &["seats"]).is_empty(), "{cond}");
        }
        // a guard on another attribute, or `is set` under `or`, does not count
        for cond in ["plan is set and seats >= 20", "seats is set or seats >= 20"] {
            let body = journey(&format!(
                "  stage r {{\n    branch {{\n      when {cond} -> a\n      else -> b\n    }}\n  }}\n{SEND}"
            ));
            assert_eq!(j206(&body, &["seats"]).len(), 1, "{cond}");
        }
    }

    #[test]
    fn guards_on_the_path() {
        // an earlier arm takes the customers without a value
        let earlier_arm = journey(&format!("  stage r {{\n    branch {{\n      when seats is not set -> b\n      when seats >= 20 -> a\n      else -> b\n    }}\n  }}\n{SEND}"));
        assert!(j206(&earlier_arm, &["seats"]).is_empty());
        // an earlier branch led here only with a value
        let earlier_branch = journey(&format!("  stage r {{\n    branch {{\n      when seats is set -> s\n      else -> b\n    }}\n  }}\n  stage s {{\n    wait 1d\n    branch {{\n      when seats >= 20 -> a\n      else -> b\n    }}\n  }}\n{SEND}"));
        assert!(j206(&earlier_branch, &["seats"]).is_empty());
        // … but not on every path: `s` is also reached from the start of `r2`
        let one_path = journey(&format!("  stage r {{\n    split {{\n      50% -> r2\n      50% -> s\n    }}\n  }}\n  stage r2 {{\n    branch {{\n      when seats is set -> s\n      else -> b\n    }}\n  }}\n  stage s {{\n    wait 1d\n    branch {{\n      when seats >= 20 -> a\n      else -> b\n    }}\n  }}\n{SEND}"));
        assert_eq!(j206(&one_path, &["seats"]).len(), 1);
        // the journey's audience
        let audience = "journey j {\n  entry on signed_up\n  audience email_opt_in and seats is set\n  stage r {\n    branch {\n      when seats >= 20 -> a\n      else -> b\n    }\n  }\n".to_string() + SEND + "}\n";
        assert!(j206(&audience, &["seats"]).is_empty());
        // a date entry only enters customers with the date
        let dated = "journey j {\n  entry at renewal_date - 30d\n  re_entry never\n  audience email_opt_in\n  exit when since(renewal_date) > 1d\n  stage a {\n    send email \"a\"\n    end\n  }\n}\n";
        assert!(j206(dated, &["renewal_date"]).is_empty());
    }

    #[test]
    fn audiences_exits_goals_and_where_filters() {
        let body = "audience big = seats >= 20\naudience named = plan is set and plan == \"team\"\n\
            journey j {\n  entry on signed_up\n  audience email_opt_in\n  exit when plan == \"starter\"\n  \
            stage a {\n    send email \"a\"\n    end\n  }\n  \
            goal upgraded = ticket where plan == \"team\" within 30d\n}\n";
        // the goal's `plan` is the event's property, not the attribute
        let found = j206(body, &["seats", "plan"]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].ends_with("seats >= 20") && found[1].ends_with("plan == \"starter\""), "{found:?}");
    }
}
