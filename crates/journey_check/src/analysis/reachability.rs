//! J301 unreachable-stage and J302 no-path-to-end.
//!
//! * J301: a stage whose first node no path from the entry reaches. Empty stages (that
//!   only fall through) are skipped.
//! * J302: a reachable node from which no path leads to `end` or to another journey.
//!   Reported once per trap (the cycle customers end up in), on a stage of that cycle,
//!   with the other stages that lead into it as secondary labels. A cycle that waits,
//!   in a journey with exit rules, is the "repeat until they act" pattern: not reported.

use super::{Cx, Target};
use journey_diagnostics::Diagnostic;

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for stage in &cx.journey.stages {
        let Some(first) = cx.stage_first(&stage.name) else { continue };
        if !cx.reachable[first] {
            out.push(
                Diagnostic::new("J301", format!("stage `{}` is unreachable", stage.name))
                    .primary(stage.origin.file, stage.origin.span, "no path from the entry leads here")
                    .help(format!(
                        "add a `goto {}` or a branch target that leads here, or remove the stage",
                        stage.name
                    )),
            );
        }
    }
    let finishes = can_finish(cx);
    // One diagnostic per trap: the stages that lead into the same cycle are one problem.
    let mut traps: Vec<(Vec<usize>, Vec<&journey_ir::StageInfo>)> = Vec::new();
    for stage in &cx.journey.stages {
        let trapped =
            (0..cx.journey.nodes.len()).find(|&i| cx.stage_of(i) == stage.name && cx.reachable[i] && !finishes[i]);
        let Some(node) = trapped else { continue };
        let cycle = trap_cycle(cx, node, &finishes).unwrap_or_default();
        let mut key = cycle.clone();
        key.sort_unstable();
        // A waiting loop that the journey's exit rules end ("remind weekly until they
        // buy") is a design, not a trap.
        if !cx.journey.exits.is_empty() && cycle.iter().any(|&n| cx.step(n).is_wait()) {
            continue;
        }
        match traps.iter_mut().find(|(k, _)| *k == key) {
            Some((_, stages)) => stages.push(stage),
            None => {
                traps.push((key, vec![stage]));
            }
        }
    }
    for (key, stages) in traps {
        let in_cycle = |s: &journey_ir::StageInfo| key.iter().any(|&n| cx.stage_of(n) == s.name);
        // label a stage of the cycle itself when there is one
        let main = stages.iter().copied().find(|s| in_cycle(s)).unwrap_or(stages[0]);
        let mut d = Diagnostic::new("J302", format!("stage `{}` can never reach the end of the journey", main.name))
            .primary(main.origin.file, main.origin.span, "customers who get here never leave")
            .help("add an `end`, or a `goto` or timeout that leads to a stage that ends");
        for other in stages.iter().filter(|s| s.name != main.name) {
            d = d.secondary(other.origin.file, other.origin.span, "leads into the same trap");
        }
        if let Some(&first) = key.iter().find(|&&n| cx.stage_of(n) == main.name).or(key.first()) {
            if let Some(cycle) = trap_cycle(cx, first, &finishes) {
                d = d.note(format!("cycle: {}", cycle_path(cx, &cycle)));
            }
        }
        out.push(d);
    }
    out
}

/// Nodes from which `end`, a handover or an unresolved target is reachable.
pub(crate) fn can_finish(cx: &Cx) -> Vec<bool> {
    let n = cx.journey.nodes.len();
    let mut ok = vec![false; n];
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| {
            matches!(cx.step(i), journey_ir::Step::End) || cx.succ[i].iter().any(|(_, t)| !matches!(t, Target::Node(_)))
        })
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut ok[i], true) {
            continue;
        }
        stack.extend(cx.pred[i].iter().copied().filter(|&p| !ok[p]));
    }
    ok
}

/// Walk from a trapped node until a node repeats: the cycle it ends up in.
fn trap_cycle(cx: &Cx, from: usize, finishes: &[bool]) -> Option<Vec<usize>> {
    let mut seen: Vec<usize> = Vec::new();
    let mut at = from;
    loop {
        if let Some(pos) = seen.iter().position(|&s| s == at) {
            return Some(seen[pos..].to_vec());
        }
        seen.push(at);
        at = cx.succ[at].iter().find_map(|(_, t)| match t {
            Target::Node(j) if !finishes[*j] => Some(*j),
            _ => None,
        })?;
    }
}

/// A cycle of nodes as stages, closed: `a → b → a` (a loop inside one stage: `a → a`).
pub(crate) fn cycle_path(cx: &Cx, cycle: &[usize]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for &n in cycle {
        let s = cx.stage_of(n);
        if names.last() != Some(&s) {
            names.push(s);
        }
    }
    if names.len() > 1 && names.first() == names.last() {
        names.pop();
    }
    names.push(names[0]);
    names.join(" → ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{analyze_journey, Cx};
    use super::check;

    #[test]
    fn unreachable_stage_is_reported_on_its_name() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), end()])
            .stage("orphan", vec![send("email", "o"), end()])
            .stage("empty", vec![])
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J301"]);
        assert_eq!(ds[0].message, "stage `orphan` is unreachable");
        assert_eq!(labels(&ds[0], &p), ["orphan"]);
    }

    #[test]
    fn connected_journey_is_silent() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), wait_days(1), goto(to("b"))])
            .stage("b", vec![wait_for("purchase", None, 3, to("c"), crate::analysis::testing::next())])
            .stage("c", vec![end()])
            .build();
        let p = program(vec![], vec![j]);
        assert!(analyze_journey(&p, &p.journeys[0]).is_empty());
    }

    #[test]
    fn trapped_stages_name_their_cycle() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), goto(to("b"))])
            .stage("b", vec![wait_days(1), goto(to("c"))])
            .stage("c", vec![wait_days(1), goto(to("b"))])
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J302"]);
        assert_eq!(ds[0].notes, ["cycle: b → c → b"]);
        assert_eq!(labels(&ds[0], &p), ["b", "a", "c"]);
    }

    #[test]
    fn loop_with_a_way_out_is_fine() {
        let j = journey("j")
            .stage(
                "a",
                vec![send("email", "a"), wait_for("purchase", None, 3, crate::analysis::testing::end_t(), to("a"))],
            )
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert!(ds.is_empty(), "{ds:?}");
    }
}
