//! J309 wait-never-ends: a `wait up to … for EVENT` whose `then` can never happen.
//!
//! * The journey exits on the same event (unconditionally, or with a filter every
//!   awaited event matches): the customer leaves before `then` can be taken.
//! * The wait's `where` filter is unsatisfiable: it can only time out.
//!
//! Either way the `then` edge is dead and returned so path checks skip it.

use super::{logic, Cx};
use journey_diagnostics::Diagnostic;
use journey_ir::{ExitRule, Expr, Step, Value};

pub fn check(cx: &Cx) -> (Vec<Diagnostic>, Vec<(usize, usize)>) {
    let p = cx.program;
    let mut out = Vec::new();
    let mut dead = Vec::new();
    let truth = Expr::Const { value: Value::Bool(true) };
    for (ni, node) in cx.journey.nodes.iter().enumerate() {
        let Step::WaitFor { event, filter, timeout_minutes, also, .. } = &node.step else { continue };
        // any of several events: `then` is taken when any arrives, and the reasons
        // below speak of one event, so a wait for several is not judged (no false
        // "can only time out")
        if !also.is_empty() {
            continue;
        }
        let o = &node.origin;
        let wait_filter = filter.as_ref().unwrap_or(&truth);
        let preempted = cx.journey.exits.iter().enumerate().find_map(|(xi, r)| match r {
            ExitRule::Event { event: e, filter: ef } if e == event => match ef {
                None => Some((xi, None)),
                Some(ef) if logic::implies(wait_filter, ef, p) => Some((xi, Some(ef))),
                _ => None,
            },
            _ => None,
        });
        if let Some((exit_index, exit_filter)) = preempted {
            dead.push((ni, 0));
            let exit = match exit_filter {
                None => format!("exit on {event}"),
                Some(f) => format!("exit on {event} where {}", logic::render(f)),
            };
            let jo = cx.journey.exit_origins.get(exit_index).unwrap_or(&cx.journey.origin);
            out.push(
                Diagnostic::new("J309", format!("this wait for `{event}` can only time out"))
                    .primary(o.file, o.span, format!("customers leave the journey on `{event}` before `then` is taken"))
                    .secondary(jo.file, jo.span, format!("the journey has `{exit}`"))
                    .note("the `then` target is dead: every customer still here when the wait ends has timed out")
                    .help(format!(
                        "wait for a different event, narrow the journey's exit, or replace this step with `wait {}`",
                        logic::fmt_minutes(*timeout_minutes)
                    )),
            );
            continue;
        }
        if let Some(f) = filter {
            if !logic::satisfiable(f, p) {
                dead.push((ni, 0));
                out.push(
                    Diagnostic::new("J309", format!("this wait for `{event}` can only time out"))
                        .primary(o.file, o.span, format!("no `{event}` event can match this filter"))
                        .note(format!("filter: {}", logic::render(f)))
                        .help("fix the `where` condition (it contradicts itself)"),
                );
            }
        }
    }
    (out, dead)
}

#[cfg(test)]
mod tests {
    use super::super::logic::tests::{cmp, num, text};
    use super::super::testing::*;
    use super::super::Cx;
    use super::check;
    use journey_ir::{CmpOp, ExitRule, Expr};

    fn prop(n: &str) -> Expr {
        Expr::Property { name: n.into() }
    }

    #[test]
    fn wait_for_the_exit_event() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), wait_for("purchase", None, 3, to("b"), end_t())])
            .stage("b", vec![send("email", "thanks"), end()])
            .exit(ExitRule::Event { event: "purchase".into(), filter: None })
            .build();
        let p = program(vec![], vec![j]);
        let (ds, dead) = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J309"]);
        assert_eq!(labels(&ds[0], &p), ["a#1", "j"]);
        assert_eq!(dead, [(1, 0)]);
    }

    #[test]
    fn exit_filter_covering_the_wait_filter() {
        let big = cmp(prop("amount"), CmpOp::Gt, num(100.0));
        let any = cmp(prop("amount"), CmpOp::Gt, num(0.0));
        let j = journey("j")
            .stage("a", vec![wait_for("purchase", Some(big.clone()), 3, end_t(), end_t())])
            .exit(ExitRule::Event { event: "purchase".into(), filter: Some(any.clone()) })
            .build();
        let p = program(vec![], vec![j]);
        assert_eq!(codes(&check(&Cx::new(&p, &p.journeys[0])).0), ["J309"]);
        // the other way round, some awaited purchases do not exit: fine
        let j = journey("j")
            .stage("a", vec![wait_for("purchase", Some(any), 3, end_t(), end_t())])
            .exit(ExitRule::Event { event: "purchase".into(), filter: Some(big) })
            .build();
        let p = program(vec![], vec![j]);
        assert!(check(&Cx::new(&p, &p.journeys[0])).0.is_empty());
    }

    #[test]
    fn unsatisfiable_filter_and_ordinary_wait() {
        let t = |v| cmp(prop("template"), CmpOp::Eq, text(v));
        let j = journey("j")
            .stage(
                "a",
                vec![wait_for(
                    "email_open",
                    Some(super::super::logic::tests::and(vec![t("a"), t("b")])),
                    3,
                    end_t(),
                    end_t(),
                )],
            )
            .stage("b", vec![wait_for("email_open", Some(t("a")), 3, end_t(), end_t())])
            .exit(ExitRule::Event { event: "purchase".into(), filter: None })
            .build();
        let p = program(vec![], vec![j]);
        let (ds, _) = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J309"]);
        assert_eq!(labels(&ds[0], &p), ["a#0"]);
    }
}
