//! Witness searches split into independent parts.
//!
//! A journey's predicate is a conjunction of atoms (`email_opt_in and sms_opt_in and
//! seg_12`, plus the audience its entry waits for). Two atoms that mention no common
//! attribute and no common event (after expanding audiences, filters included)
//! constrain different parts of a customer: a history for each part, put together,
//! is a history for both. So the witness search for a set of journeys runs once per
//! *connected part* of their atoms, and each part's outcome is memoised: on 1,000
//! journeys the same consent flags and the same few audience pairs come back in
//! thousands of journey pairs, and a failed search (the costliest kind) then runs
//! once per pair of audiences instead of once per pair of journeys.
//!
//! The search of one part follows the same conjunctions in the same order as the
//! search over the whole would restricted to that part (term by term, see
//! [`history::search`]), so the witnesses are the ones the whole search finds, and
//! more are found where the whole's product of conjunctions was too large. The merged
//! history is evaluated on every predicate before it is used: a witness is never
//! taken on trust.

use super::super::history::{self, History};
use super::super::logic::Prepared;
use journey_ir::{Aggregate, Expr, Program};
use std::collections::{BTreeSet, HashMap};

/// What an atom reads: interned attribute and event names.
pub type Signature = Vec<u32>;

/// The names `e` reads, audiences expanded (`names` interns them).
pub fn signature(e: &Expr, program: &Program, names: &mut HashMap<String, u32>) -> Signature {
    let mut out = BTreeSet::new();
    let mut expanding = Vec::new();
    collect(e, program, names, &mut out, &mut expanding);
    out.into_iter().collect()
}

fn intern(names: &mut HashMap<String, u32>, key: String) -> u32 {
    let next = names.len() as u32;
    *names.entry(key).or_insert(next)
}

fn collect(
    e: &Expr,
    program: &Program,
    names: &mut HashMap<String, u32>,
    out: &mut BTreeSet<u32>,
    expanding: &mut Vec<String>,
) {
    match e {
        // issue 15: `today` reads the clock, nothing of the customer
        Expr::Const { .. } | Expr::Today => {}
        // an attribute, or an audience written as a bare name
        Expr::Attribute { name } => {
            out.insert(intern(names, format!("a:{name}")));
            audience(name, program, names, out, expanding);
        }
        // an event's property inside a filter, or an attribute of the same name
        // (as the evaluation reads it): the event itself is the aggregate's
        Expr::Property { name } => {
            out.insert(intern(names, format!("a:{name}")));
        }
        Expr::Audience { name } => audience(name, program, names, out, expanding),
        Expr::Aggregate(a) | Expr::AccountAggregate(a) => match a {
            Aggregate::Count { event, filter, .. }
            | Aggregate::Sum { event, filter, .. }
            | Aggregate::Avg { event, filter, .. }
            | Aggregate::Latest { event, filter, .. }
            | Aggregate::Since { event, filter }
            | Aggregate::SinceFirst { event, filter } => {
                out.insert(intern(names, format!("e:{event}")));
                if let Some(f) = filter {
                    collect(f, program, names, out, expanding);
                }
            }
            Aggregate::SinceAttribute { attribute } => {
                out.insert(intern(names, format!("a:{attribute}")));
            }
        },
        Expr::Not { expr } | Expr::IsSet { expr } => collect(expr, program, names, out, expanding),
        Expr::And { all: xs } | Expr::Or { any: xs } => {
            xs.iter().for_each(|x| collect(x, program, names, out, expanding));
        }
        Expr::Compare { lhs, rhs, .. }
        | Expr::Add { lhs, rhs }
        | Expr::Sub { lhs, rhs }
        | Expr::Mul { lhs, rhs }
        | Expr::Div { lhs, rhs } => {
            collect(lhs, program, names, out, expanding);
            collect(rhs, program, names, out, expanding);
        }
        Expr::Min { all: xs } | Expr::Max { all: xs } => {
            xs.iter().for_each(|x| collect(x, program, names, out, expanding));
        }
        Expr::Score { expr, .. } => collect(expr, program, names, out, expanding),
        Expr::In { value, list } => {
            collect(value, program, names, out, expanding);
            list.iter().for_each(|x| collect(x, program, names, out, expanding));
        }
    }
}

fn audience(
    name: &str,
    program: &Program,
    names: &mut HashMap<String, u32>,
    out: &mut BTreeSet<u32>,
    expanding: &mut Vec<String>,
) {
    if expanding.iter().any(|x| x == name) {
        return;
    }
    if let Some(a) = program.audience(name) {
        expanding.push(name.to_string());
        collect(&a.condition, program, names, out, expanding);
        expanding.pop();
    }
}

/// `atoms` (sorted ids) grouped into parts that share no name, each part sorted, the
/// parts in order of their first atom.
pub fn parts(atoms: &[usize], sigs: &[Signature]) -> Vec<Vec<usize>> {
    let mut split = Split::default();
    split.split(atoms, sigs);
    split.parts().map(<[usize]>::to_vec).collect()
}

/// [`parts`] into buffers kept from one call to the next: this runs for every pair of
/// predicates whose witness history is asked for, and allocating a list per part was
/// a fifth of the lookup of their histories.
#[derive(Debug, Default)]
pub struct Split {
    /// The parts one after the other.
    atoms: Vec<usize>,
    /// Where each part ends in `atoms`.
    ends: Vec<usize>,
    /// Union-find over positions in the atoms split.
    parent: Vec<usize>,
    /// The first position reading each name.
    owner: Vec<(u32, usize)>,
    /// Whether a position's part was written out.
    done: Vec<bool>,
}

impl Split {
    /// Group `atoms` (sorted ids) as [`parts`] does, replacing what was split before.
    pub fn split(&mut self, atoms: &[usize], sigs: &[Signature]) {
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        self.parent.clear();
        self.parent.extend(0..atoms.len());
        // the first atom reading each name; a few atoms of a few names each, so a list
        // scanned is cheaper than a hash map
        self.owner.clear();
        for (i, &a) in atoms.iter().enumerate() {
            for &n in &sigs[a] {
                match self.owner.iter().find(|(m, _)| *m == n).map(|&(_, j)| j) {
                    Some(j) => {
                        let (ri, rj) = (root(&mut self.parent, i), root(&mut self.parent, j));
                        if ri != rj {
                            self.parent[ri.max(rj)] = ri.min(rj);
                        }
                    }
                    None => self.owner.push((n, i)),
                }
            }
        }
        // each part in order of its first atom: the root is a part's first position
        self.atoms.clear();
        self.ends.clear();
        self.done.clear();
        self.done.resize(atoms.len(), false);
        for i in 0..atoms.len() {
            let r = root(&mut self.parent, i);
            if self.done[r] {
                continue;
            }
            self.done[r] = true;
            for (k, &a) in atoms.iter().enumerate().skip(i) {
                if root(&mut self.parent, k) == r {
                    self.atoms.push(a);
                }
            }
            self.ends.push(self.atoms.len());
        }
    }

    /// The parts of the last [`Self::split`], in order.
    pub fn parts(&self) -> impl Iterator<Item = &[usize]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(s, e)| &self.atoms[s..e])
    }
}

/// Does `h`, the history found for `part`, name only attributes and events the
/// part's atoms read (`names` interned them for the signatures)? Then no other part's
/// atoms read anything of it, and each atom of the part, which reads only names of
/// its signature, evaluates on the part's history merged with those of other such
/// parts as on the part's own, where the search checked it: the merged history needs
/// no evaluation ([`super::Cross::has_history`]).
pub fn reads_only_its_names(h: &History, part: &[usize], sigs: &[Signature], names: &HashMap<String, u32>) -> bool {
    let read = |key: String| names.get(&key).is_some_and(|id| part.iter().any(|&a| sigs[a].contains(id)));
    h.attributes.iter().all(|(k, _)| read(format!("a:{k}"))) && h.events.iter().all(|e| read(format!("e:{}", e.event)))
}

/// The witness search over one part: its atoms' conditions and normal forms.
pub fn search_part(part: &[usize], atoms: &[Expr], prepared: &[Prepared], program: &Program) -> Option<History> {
    let exprs: Vec<&Expr> = part.iter().map(|&a| &atoms[a]).collect();
    let prepared: Vec<&Prepared> = part.iter().map(|&a| &prepared[a]).collect();
    history::search(&exprs, &prepared, program)
}

/// One history from the histories of independent parts, in the order a single search
/// would give it: attributes by name, events oldest first (ties by event name).
pub fn merge<'h>(found: impl IntoIterator<Item = &'h History>) -> History {
    let mut h = History::default();
    for f in found {
        h.attributes.extend(f.attributes.iter().cloned());
        h.events.extend(f.events.iter().cloned());
    }
    h.attributes.sort_by(|a, b| a.0.cmp(&b.0));
    h.events.sort_by(|a, b| b.minutes_before.cmp(&a.minutes_before).then(a.event.cmp(&b.event)));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_sharing_a_name_are_one_part() {
        // 0 reads {1}, 1 reads {2}, 2 reads {1, 3}, 3 reads nothing, 4 reads {3}
        let sigs: Vec<Signature> = vec![vec![1], vec![2], vec![1, 3], vec![], vec![3]];
        assert_eq!(parts(&[0, 1, 2, 3, 4], &sigs), vec![vec![0, 2, 4], vec![1], vec![3]]);
        assert_eq!(parts(&[1, 3], &sigs), vec![vec![1], vec![3]]);
        assert!(parts(&[], &sigs).is_empty());
    }
}
