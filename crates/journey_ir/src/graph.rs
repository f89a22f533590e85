//! The control-flow graph of one journey as a petgraph graph, for analyses that want
//! graph algorithms (reachability, strongly connected components, paths).

use crate::{Journey, Step, Transition};
use petgraph::graph::{DiGraph, NodeIndex};

/// Nodes of the journey plus two sinks: `end` (leaving normally) and `exit` (handing
/// over to another journey).
pub struct NodeGraph {
    pub graph: DiGraph<GraphNode, EdgeKind>,
    pub start: NodeIndex,
    pub end: NodeIndex,
    pub handover: NodeIndex,
    /// Graph index of each journey node, in `journey.nodes` order.
    pub index: Vec<NodeIndex>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphNode {
    /// Position in `journey.nodes`.
    Step(usize),
    End,
    Handover,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    Then,
    Timeout,
    /// Branch or split arm, by position; `usize::MAX` is a branch's `else`.
    Arm(usize),
}

/// Where each step can go, with the kind of edge.
pub fn successors(step: &Step) -> Vec<(EdgeKind, &Transition)> {
    match step {
        Step::Send { next, .. }
        | Step::Wait { next, .. }
        | Step::WaitUntilTime { next, .. }
        | Step::WaitUntilDate { next, .. }
        | Step::SetAttribute { next, .. }
        | Step::Task { next, .. }
        | Step::Webhook { next, .. }
        | Step::WaitBusinessDays { next, .. } => vec![(EdgeKind::Next, next)],
        Step::WaitFor { then, timeout, .. } => vec![(EdgeKind::Then, then), (EdgeKind::Timeout, timeout)],
        Step::Branch { arms, otherwise } => arms
            .iter()
            .enumerate()
            .map(|(i, a)| (EdgeKind::Arm(i), &a.target))
            .chain(std::iter::once((EdgeKind::Arm(usize::MAX), otherwise)))
            .collect(),
        Step::Split { arms, .. } => arms.iter().enumerate().map(|(i, a)| (EdgeKind::Arm(i), &a.target)).collect(),
        Step::Goto { target } => vec![(EdgeKind::Next, target)],
        Step::End => vec![],
    }
}

impl NodeGraph {
    pub fn build(journey: &Journey) -> NodeGraph {
        let mut graph = DiGraph::new();
        let index: Vec<NodeIndex> = (0..journey.nodes.len()).map(|i| graph.add_node(GraphNode::Step(i))).collect();
        let end = graph.add_node(GraphNode::End);
        let handover = graph.add_node(GraphNode::Handover);
        let lookup = journey.node_lookup();
        let resolve = |t: &Transition| match t {
            Transition::Node(id) => lookup.get(id.as_str()).map(|&i| index[i]),
            Transition::End => Some(end),
            Transition::Journey(_) => Some(handover),
        };
        for (i, node) in journey.nodes.iter().enumerate() {
            if matches!(node.step, Step::End) {
                graph.add_edge(index[i], end, EdgeKind::Next);
            }
            for (kind, t) in successors(&node.step) {
                if let Some(to) = resolve(t) {
                    graph.add_edge(index[i], to, kind);
                }
            }
        }
        let start = resolve(&journey.start).unwrap_or(end);
        NodeGraph { graph, start, end, handover, index }
    }
}
