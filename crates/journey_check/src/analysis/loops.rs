//! J303 loop-without-wait: a cycle through steps none of which waits, so a customer
//! who enters it would go round forever in no time (sending on every pass).
//!
//! The graph is restricted to non-wait nodes and split into strongly connected
//! components; every component with more than one node, or a self loop, holds a
//! cycle. The shortest cycle through the component's first node is reported, with the
//! label on the step (goto, branch arm, split arm) that jumps back.

use super::reachability::cycle_path;
use super::{list_names, Cx, Target};
use journey_diagnostics::Diagnostic;
use journey_ir::Step;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeSet, VecDeque};

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    let n = cx.journey.nodes.len();
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let idx: Vec<NodeIndex> = (0..n).map(|i| g.add_node(i)).collect();
    let instant = |i: usize| !cx.step(i).is_wait();
    for i in (0..n).filter(|&i| instant(i)) {
        for (_, t) in &cx.succ[i] {
            if let Target::Node(j) = *t {
                if instant(j) {
                    g.update_edge(idx[i], idx[j], ());
                }
            }
        }
    }
    let mut comps: Vec<Vec<usize>> = tarjan_scc(&g)
        .into_iter()
        .map(|c| {
            let mut v: Vec<usize> = c.into_iter().map(|x| g[x]).collect();
            v.sort();
            v
        })
        .filter(|c| c.len() > 1 || g.contains_edge(idx[c[0]], idx[c[0]]))
        .collect();
    comps.sort();

    let mut out = Vec::new();
    for comp in comps {
        let members: BTreeSet<usize> = comp.iter().copied().collect();
        let head = comp[0];
        let Some(cycle) = shortest_cycle(cx, head, &members) else { continue };
        let last = *cycle.last().unwrap_or(&head);
        let stages: Vec<&str> = {
            let mut s: Vec<&str> = Vec::new();
            for &c in &cycle {
                if !s.contains(&cx.stage_of(c)) {
                    s.push(cx.stage_of(c));
                }
            }
            s
        };
        let message = if stages.len() == 1 {
            format!("stage `{}` loops forever without a wait", stages[0])
        } else {
            format!("stages {} loop forever without a wait", list_names(&stages))
        };
        let (file, span) = closing_label(cx, last, head);
        out.push(
            Diagnostic::new("J303", message)
                .primary(file, span, format!("goes back to `{}` with no wait on the way", cx.stage_of(head)))
                .note(format!("cycle: {}", cycle_path(cx, &cycle)))
                .help("add a `wait` inside the loop, or give the loop a way out that ends"),
        );
    }
    out
}

/// Shortest cycle `head → … → last (→ head)` inside `members`.
fn shortest_cycle(cx: &Cx, head: usize, members: &BTreeSet<usize>) -> Option<Vec<usize>> {
    let mut parent: Vec<Option<usize>> = vec![None; cx.journey.nodes.len()];
    let mut queue = VecDeque::from([head]);
    let mut seen = BTreeSet::from([head]);
    while let Some(u) = queue.pop_front() {
        for (_, t) in &cx.succ[u] {
            let Target::Node(v) = *t else { continue };
            if !members.contains(&v) {
                continue;
            }
            if v == head {
                let mut path = vec![u];
                let mut at = u;
                while let Some(p) = parent[at] {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            if seen.insert(v) {
                parent[v] = Some(u);
                queue.push_back(v);
            }
        }
    }
    None
}

/// The span of the step (or of the arm) that jumps from `from` back to `to`.
fn closing_label(cx: &Cx, from: usize, to: usize) -> (journey_diagnostics::FileId, journey_diagnostics::Span) {
    let pos = cx.succ[from].iter().find(|(_, t)| *t == Target::Node(to)).map(|(p, _)| *p);
    let arm = match (cx.step(from), pos) {
        (Step::Branch { arms, .. }, Some(p)) => arms.get(p).map(|a| &a.origin),
        (Step::Split { arms, .. }, Some(p)) => arms.get(p).map(|a| &a.origin),
        _ => None,
    };
    let o = arm.unwrap_or(cx.node_origin(from));
    (o.file, o.span)
}

#[cfg(test)]
mod tests {
    use super::super::logic::tests::{attr, cmp, num};
    use super::super::testing::*;
    use super::super::Cx;
    use super::check;
    use journey_ir::CmpOp;

    #[test]
    fn instant_loop_between_stages() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), goto(to("b"))])
            .stage("b", vec![send("email", "b"), goto(to("a"))])
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J303"]);
        assert_eq!(ds[0].message, "stages `a` and `b` loop forever without a wait");
        assert_eq!(ds[0].notes, ["cycle: a → b → a"]);
        assert_eq!(labels(&ds[0], &p), ["b#1"]);
    }

    #[test]
    fn self_loop_through_a_branch_arm() {
        let j = journey("j")
            .stage("a", vec![branch(vec![(cmp(attr("score"), CmpOp::Gt, num(1.0)), to("a"))], end_t())])
            .build();
        let p = program(vec![], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J303"]);
        assert_eq!(ds[0].notes, ["cycle: a → a"]);
        assert_eq!(labels(&ds[0], &p), ["arm0"]);
    }

    #[test]
    fn loop_with_a_wait_is_fine() {
        let j = journey("j")
            .stage("a", vec![send("email", "a"), goto(to("b"))])
            .stage("b", vec![wait_days(7), goto(to("a"))])
            .build();
        let p = program(vec![], vec![j]);
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
    }
}
