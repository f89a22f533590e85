//! J307 unreachable-goal: a `reach STAGE` goal whose stage no path reaches, or an event
//! goal whose `where` filter no event can match.

use super::{logic, Cx};
use journey_diagnostics::Diagnostic;
use journey_ir::GoalKind;

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for goal in &cx.journey.goals {
        let o = &goal.origin;
        match &goal.kind {
            GoalKind::Reach { stage } => {
                let Some(first) = cx.stage_first(stage) else { continue };
                if !cx.reachable[first] {
                    let so = cx.stage_origin(stage);
                    out.push(
                        Diagnostic::new("J307", format!("goal `{}` can never be reached", goal.name))
                            .primary(o.file, o.span, format!("no path from the entry reaches stage `{stage}`"))
                            .secondary(so.file, so.span, "this stage is unreachable")
                            .help(format!(
                                "add a `goto {stage}` or a branch target that leads to it, or change the goal"
                            )),
                    );
                }
            }
            GoalKind::Event { event, filter: Some(f) } => {
                if !logic::satisfiable(f, cx.program) {
                    out.push(
                        Diagnostic::new("J307", format!("goal `{}` can never be reached", goal.name))
                            .primary(o.file, o.span, format!("no `{event}` event can match this filter"))
                            .note(format!("filter: {}", logic::render(f)))
                            .help("fix the `where` condition (it contradicts itself)"),
                    );
                }
            }
            GoalKind::Event { .. } | GoalKind::Sum { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::logic::tests::{and, cmp, num};
    use super::super::testing::*;
    use super::super::Cx;
    use super::check;
    use journey_ir::{CmpOp, Expr, GoalKind};

    #[test]
    fn goals() {
        let amount = || Expr::Property { name: "amount".into() };
        let j = journey("j")
            .stage("a", vec![send("email", "a"), end()])
            .stage("orphan", vec![end()])
            .goal(
                "bought",
                GoalKind::Event { event: "purchase".into(), filter: Some(cmp(amount(), CmpOp::Gt, num(5.0))) },
            )
            .goal("visited", GoalKind::Reach { stage: "a".into() })
            .goal("never", GoalKind::Reach { stage: "orphan".into() })
            .goal(
                "impossible",
                GoalKind::Event {
                    event: "purchase".into(),
                    filter: Some(and(vec![cmp(amount(), CmpOp::Gt, num(5.0)), cmp(amount(), CmpOp::Lt, num(2.0))])),
                },
            )
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J307", "J307"]);
        assert_eq!(labels(&ds[0], &p), ["never", "orphan"]);
        assert_eq!(ds[1].message, "goal `impossible` can never be reached");
    }
}
