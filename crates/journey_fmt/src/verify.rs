//! The safety net: formatting must not change what a file means nor lose a comment.
//! Two modules mean the same when they are equal once spans (positions) and the
//! user's parentheses (which the printer recomputes) are ignored.

use journey_syntax::ast::*;

/// Whether two modules are the same program, ignoring layout.
pub fn same_meaning(a: &Module, b: &Module) -> bool {
    normalised(a) == normalised(b)
}

/// The module's Debug text without parentheses nodes and without spans. Debug output
/// covers every field, so no field can be forgotten when the AST grows.
fn normalised(module: &Module) -> String {
    let mut module = module.clone();
    for item in &mut module.items {
        strip_item(item);
    }
    strip_spans(&format!("{module:?}"))
}

/// Replaces every `Span { start: N, end: M }` with `Span`.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { start: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        out.push_str("Span");
        let after = &rest[at + OPEN.len()..];
        rest = after.find('}').map_or("", |close| &after[close + 1..]);
    }
    out.push_str(rest);
    out
}

fn strip_item(item: &mut Item) {
    match item {
        Item::Audience(a) => strip_expr(&mut a.condition),
        Item::Score(d) => strip_expr(&mut d.value),
        Item::Journey(j) => j.items.iter_mut().for_each(strip_journey_item),
        Item::Event(_) | Item::Attribute(_) | Item::Channel(_) | Item::Policy(_) => {}
    }
}

fn strip_option(e: &mut Option<Expr>) {
    if let Some(e) = e {
        strip_expr(e);
    }
}

fn strip_journey_item(item: &mut JourneyItem) {
    match item {
        JourneyItem::Entry(e) => {
            for t in std::iter::once(&mut e.trigger).chain(e.also.iter_mut().map(|a| &mut a.trigger)) {
                match t {
                    Trigger::Event { filter, .. } => strip_option(filter),
                    Trigger::Condition { condition } => strip_expr(condition),
                    _ => {}
                }
            }
        }
        JourneyItem::Audience(e) => strip_expr(e),
        JourneyItem::Exit(Exit::OnEvent { filter, .. }) => strip_option(filter),
        JourneyItem::Exit(Exit::When { condition, .. }) => strip_expr(condition),
        JourneyItem::Goal(Goal { kind: GoalKind::Event { filter, .. } | GoalKind::Sum { filter, .. }, .. }) => {
            strip_option(filter)
        }
        JourneyItem::Stage(stage) => stage.steps.iter_mut().for_each(|s| strip_step(&mut s.kind)),
        _ => {}
    }
}

fn strip_step(step: &mut StepKind) {
    match step {
        StepKind::WaitUntilDate(e) | StepKind::Set { value: e, .. } => strip_expr(e),
        StepKind::WaitFor { filter, also, .. } => {
            strip_option(filter);
            also.iter_mut().for_each(|a| strip_option(&mut a.filter));
        }
        StepKind::Branch { arms, .. } => arms.iter_mut().for_each(|a| strip_expr(&mut a.condition)),
        _ => {}
    }
}

/// Removes every `Paren` node under `e`.
fn strip_expr(e: &mut Expr) {
    while let ExprKind::Paren(inner) = &mut e.kind {
        let inner = std::mem::replace(inner.as_mut(), Expr { kind: ExprKind::List(Vec::new()), span: e.span });
        *e = inner;
    }
    match &mut e.kind {
        ExprKind::Call { args, .. } => {
            for arg in args {
                strip_expr(&mut arg.value);
                strip_option(&mut arg.filter);
            }
        }
        ExprKind::List(items) => items.iter_mut().for_each(strip_expr),
        ExprKind::Unary { operand, .. } | ExprKind::IsSet { operand, .. } => strip_expr(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            strip_expr(lhs);
            strip_expr(rhs);
        }
        ExprKind::Literal(_) | ExprKind::Path(_) | ExprKind::Paren(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey_diagnostics::FileId;

    fn module(src: &str) -> Module {
        journey_syntax::parse(src, FileId(0)).module
    }

    #[test]
    fn ignores_layout_and_parentheses() {
        assert!(same_meaning(&module("audience a = (x and y) or z"), &module("audience  a =\n x and y or z")));
    }

    #[test]
    fn sees_real_changes() {
        assert!(!same_meaning(&module("audience a = x and (y or z)"), &module("audience a = x and y or z")));
        assert!(!same_meaning(&module("audience a = x > 1"), &module("audience a = x > 2")));
    }

    #[test]
    fn strips_spans() {
        assert_eq!(strip_spans("A { span: Span { start: 1, end: 2 }, b: 3 }"), "A { span: Span, b: 3 }");
    }
}
