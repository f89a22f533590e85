//! A Mermaid picture of the changed part of a journey: added and changed steps (and the
//! removed ones, dashed) with their direct neighbours, so a reviewer sees where in the
//! flow the change sits without the whole graph.

use crate::{NodeChange, Status};
use journey_ir::draw::{arm_label, mermaid_text, step_label};
use journey_ir::{successors, EdgeKind, Journey, Node, Step, Transition};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

fn key(id: &str) -> String {
    id.replace('#', "_")
}

fn label(node: &Node, kind: EdgeKind) -> Option<String> {
    match (&node.step, kind) {
        (Step::WaitFor { event, also, .. }, EdgeKind::Then) => Some(journey_ir::event_names(event, also, " or ")),
        (Step::WaitFor { .. }, EdgeKind::Timeout) => Some("timeout".into()),
        (Step::Branch { .. }, EdgeKind::Arm(usize::MAX)) => Some("else".into()),
        (Step::Branch { arms, .. }, EdgeKind::Arm(i)) => arms.get(i).map(arm_label),
        (Step::Split { arms, .. }, EdgeKind::Arm(i)) => arms.get(i).map(|a| format!("{}%", a.percent)),
        _ => None,
    }
}

struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    removed: bool,
}

/// Edges of a journey as (from key, to key, label), START and END included. `map`
/// turns a node id of this journey into a drawing key.
fn edges(j: &Journey, map: &dyn Fn(&str) -> String) -> Vec<(String, String, Option<String>)> {
    let target = |t: &Transition| match t {
        Transition::Node(id) => map(id),
        Transition::End => "END".to_string(),
        Transition::Journey(name) => format!("J_{name}"),
    };
    let mut out = vec![("START".to_string(), target(&j.start), None)];
    for n in &j.nodes {
        if matches!(n.step, Step::End) {
            out.push((map(&n.id), "END".to_string(), None));
        }
        for (kind, t) in successors(&n.step) {
            out.push((map(&n.id), target(t), label(n, kind)));
        }
    }
    out
}

pub fn changed_graph(
    base: Option<&Journey>,
    head: &Journey,
    nodes: &[NodeChange],
    mapping: &BTreeMap<String, String>,
) -> Option<String> {
    let mut class: BTreeMap<String, Status> = BTreeMap::new();
    for n in nodes {
        match (n.status, &n.head_id, &n.base_id) {
            (Status::Removed, _, Some(b)) => class.insert(format!("del_{}", key(b)), Status::Removed),
            (s, Some(h), _) => class.insert(key(h), s),
            _ => None,
        };
    }
    if class.is_empty() {
        return None;
    }
    let mut drawn: Vec<Edge> = Vec::new();
    for (from, to, label) in edges(head, &|id| key(id)) {
        if class.contains_key(&from) || class.contains_key(&to) {
            drawn.push(Edge { from, to, label, removed: false });
        }
    }
    if let Some(b) = base {
        let map = |id: &str| mapping.get(id).map_or_else(|| format!("del_{}", key(id)), |h| key(h));
        for (from, to, label) in edges(b, &map) {
            let gone = |k: &str| class.get(k) == Some(&Status::Removed);
            if gone(&from) || gone(&to) {
                drawn.push(Edge { from, to, label, removed: true });
            }
        }
    }
    let mut shown: BTreeSet<String> = class.keys().cloned().collect();
    for e in &drawn {
        shown.insert(e.from.clone());
        shown.insert(e.to.clone());
    }
    // the head's edges among the neighbours too (where a removed step used to sit, the
    // new direct edge)
    for (from, to, label) in edges(head, &|id| key(id)) {
        let already = drawn.iter().any(|e| !e.removed && e.from == from && e.to == to && e.label == label);
        if !already && shown.contains(&from) && shown.contains(&to) {
            drawn.push(Edge { from, to, label, removed: false });
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    if shown.contains("START") {
        let _ = writeln!(out, "  START([start])");
    }
    let by_id: BTreeMap<String, (&Node, Option<&Node>)> = head
        .nodes
        .iter()
        .map(|n| {
            let was = nodes
                .iter()
                .find(|c| c.status == Status::Changed && c.head_id.as_deref() == Some(&n.id))
                .and_then(|c| base.and_then(|b| b.node(c.base_id.as_deref()?)));
            (key(&n.id), (n, was))
        })
        .collect();
    let mut stage_names: Vec<&str> = head.stages.iter().map(|s| s.name.as_str()).collect();
    if let Some(b) = base {
        stage_names
            .extend(b.stages.iter().map(|s| s.name.as_str()).filter(|s| !head.stages.iter().any(|h| h.name == *s)));
    }
    for stage in stage_names {
        let mut lines = Vec::new();
        for n in head.nodes.iter().filter(|n| n.stage == stage && shown.contains(&key(&n.id))) {
            // each text escaped on its own: a `<br/>` the source writes (in a
            // template or a filter) is text, the one between a step and its `was:`
            // line a line break
            let now = step_label(n);
            let mut l = mermaid_text(&now);
            if let Some((_, Some(was))) = by_id.get(&key(&n.id)) {
                let before = step_label(was);
                if before != now {
                    l = format!("{l}<br/>was: {}", mermaid_text(&before));
                }
            }
            lines.push(format!("    {}[\"{l}\"]", key(&n.id)));
        }
        if let Some(b) = base {
            for n in b.nodes.iter().filter(|n| n.stage == stage && shown.contains(&format!("del_{}", key(&n.id)))) {
                lines.push(format!("    del_{}[\"removed: {}\"]", key(&n.id), mermaid_text(&step_label(n))));
            }
        }
        if !lines.is_empty() {
            let _ = writeln!(out, "  subgraph stage_{stage}[\"{stage}\"]");
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = writeln!(out, "  end");
        }
    }
    if shown.contains("END") {
        let _ = writeln!(out, "  END([end])");
    }
    for k in shown.iter().filter(|k| k.starts_with("J_")) {
        let _ = writeln!(out, "  {k}[[\"journey {}\"]]", &k[2..]);
    }
    for e in &drawn {
        let arrow = if e.removed { "-.->" } else { "-->" };
        match &e.label {
            Some(l) => {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", e.from, mermaid_text(l), e.to);
            }
            None => {
                let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
            }
        }
    }
    let _ = writeln!(out, "  classDef added fill:#dafbe1,stroke:#1a7f37,color:#1f2328");
    let _ = writeln!(out, "  classDef changed fill:#fff8c5,stroke:#9a6700,color:#1f2328");
    let _ = writeln!(out, "  classDef removed fill:#ffebe9,stroke:#cf222e,color:#1f2328,stroke-dasharray:4 3");
    for status in [Status::Added, Status::Changed, Status::Removed] {
        let keys: Vec<&str> = class.iter().filter(|(_, s)| **s == status).map(|(k, _)| k.as_str()).collect();
        if !keys.is_empty() {
            let _ = writeln!(out, "  class {} {}", keys.join(","), status.as_str());
        }
    }
    Some(out)
}
