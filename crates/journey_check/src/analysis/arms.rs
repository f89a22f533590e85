//! J305 overlapping-branch-arms and J306 dead-branch-arm.
//!
//! A branch takes its first matching arm. With the reasoner of [`super::logic`]:
//!
//! * J306: an arm whose condition is unsatisfiable, or is implied by the union of the
//!   arms above it (an earlier arm always wins); the `else` (or the steps after a
//!   branch without one) when the arms together cover every customer.
//! * J305: two live arms that constrain the same single term, can both match one
//!   customer (shown as an example), and where neither implies the other. The
//!   first-match idiom `since(x) > 30d` then `since(x) > 20d` is *not* reported: the
//!   first implies the second, which is how ranges are written in a first-match branch.
//!   What is reported is a genuine overlap such as `<= 30d` then `>= 30d`.
//!
//! Dead arms are returned as `(node, edge position)` so path checks skip them.

use super::logic::{self, Overlap};
use super::Cx;
use journey_diagnostics::Diagnostic;
use journey_ir::{Step, Transition};

pub fn check(cx: &Cx) -> (Vec<Diagnostic>, Vec<(usize, usize)>) {
    let p = cx.program;
    let mut out = Vec::new();
    let mut dead = Vec::new();
    for (ni, node) in cx.journey.nodes.iter().enumerate() {
        let Step::Branch { arms, otherwise } = &node.step else { continue };
        let mut live: Vec<usize> = Vec::new();
        for (i, arm) in arms.iter().enumerate() {
            let o = &arm.origin;
            if !logic::satisfiable(&arm.condition, p) {
                dead.push((ni, i));
                out.push(
                    Diagnostic::new("J306", "this branch arm can never be taken")
                        .primary(o.file, o.span, "no customer can match this condition")
                        .note(format!("condition: {}", logic::render(&arm.condition)))
                        .help("fix the condition (a contradiction, or a range that is empty) or remove the arm"),
                );
                continue;
            }
            let mut parts: Vec<(&journey_ir::Expr, bool)> = vec![(&arm.condition, true)];
            parts.extend(arms[..i].iter().map(|a| (&a.condition, false)));
            if i > 0 && logic::unsatisfiable_conjunction(&parts, p) {
                dead.push((ni, i));
                let mut d = Diagnostic::new("J306", "this branch arm can never be taken").primary(
                    o.file,
                    o.span,
                    "every customer it matches is taken by an earlier arm",
                );
                for a in &arms[..i] {
                    if !logic::disjoint(&a.condition, &arm.condition, p) {
                        d = d.secondary(a.origin.file, a.origin.span, "this arm matches them first");
                    }
                }
                out.push(d.help("move this arm above the arms that shadow it, or remove it"));
                continue;
            }
            for &j in &live {
                if let Some(d) = overlapping(cx, &arms[j], arm) {
                    out.push(d);
                    break;
                }
            }
            live.push(i);
        }
        let negated: Vec<(&journey_ir::Expr, bool)> = arms.iter().map(|a| (&a.condition, false)).collect();
        if !arms.is_empty() && logic::unsatisfiable_conjunction(&negated, p) {
            dead.push((ni, arms.len()));
            let o = &node.origin;
            let (msg, label, help) = if implicit_else(&node.id, otherwise) {
                (
                    "the steps after this branch can never run",
                    "its arms cover every customer, so none carries on past it",
                    "remove the steps after the branch, or narrow an arm",
                )
            } else if falls_through(cx, ni, otherwise) {
                // an explicit `else -> next_stage` and no `else` look the same in the IR
                (
                    "no customer gets past the arms of this branch",
                    "its arms cover every customer",
                    "remove the `else` (or the fall-through it stands for), or narrow an arm",
                )
            } else {
                (
                    "the `else` of this branch can never be taken",
                    "its arms cover every customer",
                    "remove the `else`, or narrow an arm so some customers reach it",
                )
            };
            out.push(Diagnostic::new("J306", msg).primary(o.file, o.span, label).help(help));
        }
    }
    (out, dead)
}

/// J305 for two live arms, earlier `a` and later `b`.
fn overlapping(cx: &Cx, a: &journey_ir::BranchArm, b: &journey_ir::BranchArm) -> Option<Diagnostic> {
    let p = cx.program;
    let ta = logic::constrained_terms(&a.condition, p)?;
    let tb = logic::constrained_terms(&b.condition, p)?;
    if ta.len() != 1 || ta != tb {
        return None;
    }
    if logic::implies(&a.condition, &b.condition, p) || logic::implies(&b.condition, &a.condition, p) {
        return None;
    }
    let (Overlap::CertainlyOverlaps, Some(w)) = logic::overlap(&a.condition, &b.condition, p) else { return None };
    let term = ta.into_iter().next().unwrap_or_default();
    Some(
        Diagnostic::new("J305", format!("two arms of this branch overlap on `{term}`"))
            .primary(b.origin.file, b.origin.span, "customers matching both arms never get here")
            .secondary(a.origin.file, a.origin.span, "this arm takes them first")
            .note(format!("both arms match a customer with {w}"))
            .help("make the ranges disjoint (e.g. `<` in one arm and `>=` in the other)"),
    )
}

/// Is `otherwise` where a branch that ends its stage would fall through to anyway?
fn falls_through(cx: &Cx, ni: usize, otherwise: &Transition) -> bool {
    let node = &cx.journey.nodes[ni];
    let last_of_stage = cx.journey.nodes.get(ni + 1).is_none_or(|n| n.stage != node.stage);
    let Some(pos) = cx.journey.stages.iter().position(|s| s.name == node.stage) else { return false };
    let fall = cx.journey.stages.get(pos + 1).map_or(Transition::End, |s| s.first.clone());
    last_of_stage && *otherwise == fall
}

/// Without an `else`, the lowering sends unmatched customers to the next step of the
/// same stage (`stage#k` → `stage#k+1`).
fn implicit_else(id: &str, otherwise: &Transition) -> bool {
    let Some((stage, k)) = id.rsplit_once('#') else { return false };
    let Ok(k) = k.parse::<usize>() else { return false };
    *otherwise == Transition::Node(format!("{stage}#{}", k + 1))
}

#[cfg(test)]
mod tests {
    use super::super::logic::tests::{and, attr, aud, cmp, days, not, since};
    use super::super::testing::*;
    use super::super::Cx;
    use super::check;
    use journey_ir::CmpOp::*;
    use journey_ir::{Expr, Value};

    fn run(
        arms: Vec<(Expr, journey_ir::Transition)>,
        otherwise: journey_ir::Transition,
    ) -> (Vec<journey_diagnostics::Diagnostic>, Vec<(usize, usize)>, journey_ir::Program) {
        let j = journey("j")
            .stage("a", vec![branch(arms, otherwise)])
            .stage("x", vec![end()])
            .stage("y", vec![end()])
            .stage("z", vec![end()])
            .build();
        let p = program(vec![], vec![j]);
        let (d, dead) = check(&Cx::new(&p, &p.journeys[0]));
        (d, dead, p)
    }

    #[test]
    fn arm_shadowed_by_earlier_arm() {
        let (ds, dead, p) = run(
            vec![(cmp(since("purchase"), Gt, days(20)), to("x")), (cmp(since("purchase"), Gt, days(30)), to("y"))],
            to("z"),
        );
        assert_eq!(codes(&ds), ["J306"]);
        assert_eq!(labels(&ds[0], &p), ["arm1", "arm0"]);
        assert_eq!(dead, [(0, 1)]);
    }

    #[test]
    fn first_match_ranges_are_fine() {
        // > 30d, then > 20d (i.e. 20..30), then else: the idiom for ranges
        let (ds, dead, _) = run(
            vec![(cmp(since("purchase"), Gt, days(30)), to("x")), (cmp(since("purchase"), Gt, days(20)), to("y"))],
            to("z"),
        );
        assert!(ds.is_empty(), "{ds:?}");
        assert!(dead.is_empty());
    }

    #[test]
    fn contradictory_arm() {
        let c = and(vec![cmp(since("purchase"), Gt, days(30)), cmp(since("purchase"), Lt, days(20))]);
        let (ds, _, p) = run(vec![(c, to("x"))], to("z"));
        assert_eq!(codes(&ds), ["J306"]);
        assert_eq!(labels(&ds[0], &p), ["arm0"]);
    }

    #[test]
    fn overlapping_ranges() {
        let (ds, _, p) = run(
            vec![
                (cmp(since("purchase"), Le, days(30)), to("x")),
                (and(vec![cmp(since("purchase"), Ge, days(30)), cmp(since("purchase"), Lt, days(60))]), to("y")),
            ],
            to("z"),
        );
        assert_eq!(codes(&ds), ["J305"]);
        assert_eq!(ds[0].message, "two arms of this branch overlap on `since(purchase)`");
        assert_eq!(ds[0].notes, ["both arms match a customer with `since(purchase)` = 30d"]);
        assert_eq!(labels(&ds[0], &p), ["arm1", "arm0"]);
    }

    #[test]
    fn else_after_covering_arms() {
        let opt = attr("email_opt_in");
        // a customer without the flag takes neither `opt` nor `not opt`: the else is live
        let (ds, _, _) = run(vec![(opt.clone(), to("x")), (not(opt.clone()), to("y"))], to("z"));
        assert!(ds.is_empty(), "{ds:?}");
        let unset = not(Expr::IsSet { expr: Box::new(opt.clone()) });
        let (ds, dead, _) =
            run(vec![(opt.clone(), to("x")), (Expr::Or { any: vec![not(opt), unset.clone()] }, to("y"))], to("z"));
        assert_eq!(codes(&ds), ["J306"]);
        assert_eq!(ds[0].message, "the `else` of this branch can never be taken");
        assert_eq!(dead, [(0, 2)]);
        // an else that is also the fall-through could have been left out
        let (ds, _, _) = run(
            vec![(attr("email_opt_in"), to("y")), (Expr::Or { any: vec![not(attr("email_opt_in")), unset] }, to("y"))],
            to("x"),
        );
        assert_eq!(ds[0].message, "no customer gets past the arms of this branch");
        // with a comparison, a customer without the attribute still reaches the else
        let b = |v| Expr::Const { value: Value::Bool(v) };
        let (ds, _, _) = run(
            vec![(cmp(attr("email_opt_in"), Eq, b(true)), to("x")), (cmp(attr("email_opt_in"), Eq, b(false)), to("y"))],
            to("z"),
        );
        assert!(ds.is_empty(), "{ds:?}");
    }

    #[test]
    fn covering_ranges_make_the_else_dead() {
        let recent = cmp(since("purchase"), Lt, days(30));
        let never = not(Expr::IsSet { expr: Box::new(since("purchase")) });
        let (ds, _, _) = run(
            vec![(recent.clone(), to("x")), (Expr::Or { any: vec![not(recent.clone()), never] }, to("y"))],
            to("z"),
        );
        assert_eq!(codes(&ds), ["J306"]);
        // `not recent` is unknown for a customer who never purchased: the else is live
        let (ds, _, _) = run(vec![(recent.clone(), to("x")), (not(recent), to("y"))], to("z"));
        assert!(ds.is_empty(), "{ds:?}");
        // a customer who never purchased has no `since(purchase)`: neither range holds
        // and the engine takes the else (this was once wrongly reported as dead)
        let (ds, _, _) = run(
            vec![(cmp(since("purchase"), Lt, days(30)), to("x")), (cmp(since("purchase"), Ge, days(30)), to("y"))],
            to("z"),
        );
        assert!(ds.is_empty(), "{ds:?}");
    }

    #[test]
    fn disjoint_audiences_are_fine() {
        let (ds, _, _) = run(vec![(aud("at_risk"), to("x")), (aud("active"), to("y"))], to("z"));
        assert!(ds.is_empty(), "{ds:?}");
    }
}
