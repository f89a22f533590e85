//! Static analysis of a lowered [`Program`]: graph shape (J301-J309) and guardrails
//! proved along paths (J401-J408).
//!
//! [`analyze`] runs every check over every journey, in program order, and within a
//! journey in this fixed order: entry (J315), reachability (J301, J302), loops (J303), branch arms
//! (J305, J306), goals (J307), waits (J309), paths (J401, J404, J408), quiet hours
//! (J402), consent (J403). The same program always yields the same diagnostics in the
//! same order.
//!
//! Every check reports only what it proves: a diagnostic names a concrete stage, arm,
//! cycle or path. Conditions are reasoned about by [`logic`], which answers "unknown"
//! rather than guess.

pub mod arms;
pub mod calendar;
pub mod consent;
pub mod entry;
pub(crate) mod event_terms;
pub mod goals;
pub mod history;
pub mod logic;
pub mod loops;
pub mod paths;
pub mod reachability;
pub mod recurring;
pub mod waits;

use journey_diagnostics::Diagnostic;
use journey_ir::{successors, Journey, NodeGraph, Origin, Program, Step, Transition};
use std::collections::BTreeSet;

/// Run every analysis over every journey of `program`.
pub fn analyze(program: &Program) -> Vec<Diagnostic> {
    let facts = facts(program);
    let mut out = analyze_journeys_with(program, &facts);
    out.extend(calendar::check_with(program, &facts));
    out
}

/// What the per-journey checks and the cross-journey pass both ask of a journey,
/// worked out once per check: on 1,000 generated journeys, asking twice was 3% of
/// `journey check` (the reasoner's proof of J315 and the recurring entry's runs over
/// six years of dates).
#[derive(Debug, Clone)]
pub struct JourneyFacts {
    /// Proven that no customer can ever enter (J315, [`entry::never_enters`]).
    pub never_enters: bool,
    /// How a scheduled journey that lets customers back in recurs
    /// ([`recurring::Recurrence::of`]).
    pub recurrence: Option<recurring::Recurrence>,
}

impl JourneyFacts {
    pub fn of(program: &Program, journey: &Journey) -> Self {
        JourneyFacts {
            never_enters: entry::never_enters(program, journey),
            recurrence: recurring::Recurrence::of(journey, program),
        }
    }
}

/// [`JourneyFacts`] of every journey of `program`, in order.
pub fn facts(program: &Program) -> Vec<JourneyFacts> {
    program.journeys.iter().map(|j| JourneyFacts::of(program, j)).collect()
}

/// Every analysis of one journey over every journey: [`analyze`] without the
/// cross-journey pass.
pub fn analyze_journeys(program: &Program) -> Vec<Diagnostic> {
    analyze_journeys_with(program, &facts(program))
}

/// [`analyze_journeys`] with the journeys' [`facts`] already worked out.
pub fn analyze_journeys_with(program: &Program, facts: &[JourneyFacts]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (journey, facts) in program.journeys.iter().zip(facts) {
        out.extend(analyze_journey_with(program, journey, facts.clone()));
    }
    out
}

/// Every analysis over one journey.
pub fn analyze_journey(program: &Program, journey: &Journey) -> Vec<Diagnostic> {
    analyze_journey_with(program, journey, JourneyFacts::of(program, journey))
}

fn analyze_journey_with(program: &Program, journey: &Journey, facts: JourneyFacts) -> Vec<Diagnostic> {
    let mut cx = Cx::with_facts(program, journey, facts);
    let mut out = entry::check(&cx);
    out.extend(reachability::check(&cx));
    out.extend(loops::check(&cx));
    let (diags, dead) = arms::check(&cx);
    out.extend(diags);
    cx.dead_edges.extend(dead);
    out.extend(goals::check(&cx));
    let (diags, dead) = waits::check(&cx);
    out.extend(diags);
    cx.dead_edges.extend(dead);
    out.extend(paths::check(&cx));
    out.extend(paths::quiet_hours(&cx));
    out.extend(consent::check(&cx));
    out
}

/// What every check of one journey shares.
pub struct Cx<'a> {
    pub program: &'a Program,
    pub journey: &'a Journey,
    pub graph: NodeGraph,
    /// Successors of each node, by position in `journey.nodes`: `(edge position in
    /// [`successors`], target)`.
    pub succ: Vec<Vec<(usize, Target)>>,
    /// Predecessors of each node (by position), deduplicated.
    pub pred: Vec<Vec<usize>>,
    /// Nodes a path from the start reaches.
    pub reachable: Vec<bool>,
    /// `(node, edge position)` pairs proven never taken (dead branch arms, the `then`
    /// of a wait the journey's exit always preempts). Path checks skip them.
    pub dead_edges: BTreeSet<(usize, usize)>,
    /// Where customers start.
    pub start: Target,
    /// What the cross-journey pass asks of this journey too.
    pub facts: JourneyFacts,
}

/// Node indexes by id, as [`Journey::node_lookup`] gives them (the last node of an id
/// wins), from a sorted list: a journey has tens of nodes, and hashing every id and
/// transition with SipHash was a third of building a [`Cx`].
struct NodeLookup<'a>(Vec<(&'a str, usize)>);

impl<'a> NodeLookup<'a> {
    fn new(journey: &'a Journey) -> Self {
        let mut ids: Vec<(&str, usize)> = journey.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        // stable: nodes of one id stay in order, so the last of them is found
        ids.sort_by(|a, b| a.0.cmp(b.0));
        NodeLookup(ids)
    }

    fn get(&self, id: &str) -> Option<usize> {
        let after = self.0.partition_point(|(k, _)| *k <= id);
        after.checked_sub(1).map(|i| self.0[i]).filter(|(k, _)| *k == id).map(|(_, i)| i)
    }
}

/// Where a transition leads, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Node(usize),
    End,
    Handover,
    /// A node id that does not exist (reported by the lowering, ignored here).
    Missing,
}

impl<'a> Cx<'a> {
    pub fn new(program: &'a Program, journey: &'a Journey) -> Self {
        Self::with_facts(program, journey, JourneyFacts::of(program, journey))
    }

    pub fn with_facts(program: &'a Program, journey: &'a Journey, facts: JourneyFacts) -> Self {
        let lookup = NodeLookup::new(journey);
        let resolve = |t: &Transition| match t {
            Transition::Node(id) => lookup.get(id).map_or(Target::Missing, Target::Node),
            Transition::End => Target::End,
            Transition::Journey(_) => Target::Handover,
        };
        let n = journey.nodes.len();
        let mut succ = vec![Vec::new(); n];
        let mut pred = vec![Vec::new(); n];
        for (i, node) in journey.nodes.iter().enumerate() {
            for (pos, (_, t)) in successors(&node.step).into_iter().enumerate() {
                let t = resolve(t);
                if let Target::Node(j) = t {
                    if !pred[j].contains(&i) {
                        pred[j].push(i);
                    }
                }
                succ[i].push((pos, t));
            }
        }
        let start = resolve(&journey.start);
        let mut reachable = vec![false; n];
        let mut stack: Vec<usize> = match start {
            Target::Node(i) => vec![i],
            _ => vec![],
        };
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut reachable[i], true) {
                continue;
            }
            stack.extend(succ[i].iter().filter_map(|(_, t)| if let Target::Node(j) = t { Some(*j) } else { None }));
        }
        Cx {
            program,
            journey,
            graph: NodeGraph::build(journey),
            succ,
            pred,
            reachable,
            dead_edges: BTreeSet::new(),
            start,
            facts,
        }
    }

    pub fn node_origin(&self, i: usize) -> &'a Origin {
        &self.journey.nodes[i].origin
    }

    pub fn step(&self, i: usize) -> &'a Step {
        &self.journey.nodes[i].step
    }

    pub fn stage_of(&self, i: usize) -> &'a str {
        &self.journey.nodes[i].stage
    }

    /// The origin of a stage's name, falling back to the journey's.
    pub fn stage_origin(&self, stage: &str) -> &'a Origin {
        self.journey.stages.iter().find(|s| s.name == stage).map_or(&self.journey.origin, |s| &s.origin)
    }

    /// The node a stage starts at, if the stage has steps.
    pub fn stage_first(&self, stage: &str) -> Option<usize> {
        let info = self.journey.stages.iter().find(|s| s.name == stage)?;
        match &info.first {
            Transition::Node(id) => {
                let i = self.journey.node_index(id)?;
                (self.journey.nodes[i].stage == stage).then_some(i)
            }
            _ => None,
        }
    }

    /// Stage names along a node path, consecutive repeats collapsed:
    /// `a → b → a`.
    pub fn stage_path(&self, nodes: &[usize]) -> String {
        let mut names: Vec<&str> = Vec::new();
        for &n in nodes {
            let s = self.stage_of(n);
            if names.last() != Some(&s) {
                names.push(s);
            }
        }
        names.join(" → ")
    }
}

/// `a`, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
pub(crate) fn list_names<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod search_oracle;
#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod node_lookup_tests {
    use super::NodeLookup;

    /// The sorted lookup against `Journey::node_lookup`'s hash map, on seeded random
    /// journeys with repeated ids and ids that are not there.
    #[test]
    fn sorted_lookup_agrees_with_the_hash_map() {
        let mut seed = 0x100c_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        for _ in 0..2000 {
            let mut j = crate::analysis::testing::journey("j").build();
            let len = next(12);
            j.nodes = (0..len)
                .map(|_| journey_ir::Node {
                    id: format!("s{}#{}", next(3), next(4)),
                    stage: "s".into(),
                    step: journey_ir::Step::End,
                    origin: journey_ir::Origin::default(),
                    label: String::new(),
                })
                .collect();
            let map = j.node_lookup();
            let sorted = NodeLookup::new(&j);
            for a in 0..3 {
                for b in 0..5 {
                    let id = format!("s{a}#{b}");
                    assert_eq!(sorted.get(&id), map.get(id.as_str()).copied(), "{id} in {:?}", map);
                }
            }
        }
    }
}
