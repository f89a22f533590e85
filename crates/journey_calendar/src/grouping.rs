//! The view's conflicts, from the analysis's findings: findings that read the same are
//! shown once with every step they involve, and each send lists the conflicts it is
//! part of with their partner journeys.
//!
//! Everything here works on journey and node *indices* and turns them into text once,
//! at the end: on 5,000 journeys the findings hold millions of `(journey, node)` parts
//! (an experiment overlaps most other journeys' audiences), and formatting, hashing or
//! comparing a name per part (as a first version did) made the view grow with the
//! square of the journeys. Journey names are unique in a checked program, so an index
//! stands for its name in every comparison; names are ordered by their position in
//! name order ([`NameOrder`]), which is the order of the strings themselves.

use crate::{Conflict, Group, Names, SendConflict};
use journey_check::analysis::calendar::{Calendar, Finding, FindingGroup, SHOWN};
use journey_diagnostics::Severity;
use journey_ir::Program;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Each journey's position when the journeys are sorted by name, and back.
pub(crate) struct NameOrder {
    /// `rank[j]`: position of journey `j` in name order.
    rank: Vec<usize>,
    /// `names[r]`: the name of the journey at position `r`, allocated once and shared
    /// by every send that names it ([`SendConflict::partners`]).
    names: Vec<Arc<str>>,
}

impl NameOrder {
    pub(crate) fn new(program: &Program) -> NameOrder {
        let mut by_rank: Vec<usize> = (0..program.journeys.len()).collect();
        by_rank.sort_by(|&a, &b| program.journeys[a].name.cmp(&program.journeys[b].name));
        let mut rank = vec![0; by_rank.len()];
        for (r, &j) in by_rank.iter().enumerate() {
            rank[j] = r;
        }
        let names = by_rank.iter().map(|&j| Arc::from(program.journeys[j].name.as_str())).collect();
        NameOrder { rank, names }
    }

    /// The names of the journeys at name positions `ranks`.
    fn names(&self, ranks: &[usize]) -> Names {
        ranks.iter().map(|&r| self.names[r].clone()).collect()
    }
}

/// The groups of journeys the kept J605 and J606 findings refer to, numbered anew
/// (a finding the project switched off leaves its groups out).
pub(crate) struct Groups<'c> {
    /// Index in the view of each group of the analysis; `None`: not referred to.
    new: Vec<Option<usize>>,
    /// The view's groups: their code and journeys (name order).
    kept: Vec<(&'static str, &'c [usize])>,
    /// The view's groups each journey is in (one per code at most).
    of_journey: Vec<Vec<usize>>,
}

impl<'c> Groups<'c> {
    pub(crate) fn new(program: &Program, cal: &'c Calendar) -> Groups<'c> {
        let mut new: Vec<Option<usize>> = vec![None; cal.groups.len()];
        let mut code_of: Vec<&'static str> = vec![""; cal.groups.len()];
        for f in &cal.findings {
            let Some(fg) = &f.group else { continue };
            for &g in std::iter::once(&fg.group).chain(&fg.partners) {
                new[g] = Some(0);
                code_of[g] = f.code;
            }
        }
        let mut kept = Vec::new();
        let mut of_journey: Vec<Vec<usize>> = vec![Vec::new(); program.journeys.len()];
        for (g, slot) in new.iter_mut().enumerate() {
            if slot.is_some() {
                *slot = Some(kept.len());
                for &j in &cal.groups[g] {
                    of_journey[j].push(kept.len());
                }
                kept.push((code_of[g], cal.groups[g].as_slice()));
            }
        }
        Groups { new, kept, of_journey }
    }

    /// The view's index of the analysis's group `g`.
    fn id(&self, g: usize) -> usize {
        self.new[g].expect("a kept finding's group is kept")
    }

    pub(crate) fn view(&self, program: &Program) -> Vec<Group> {
        self.kept
            .iter()
            .map(|&(code, journeys)| Group {
                code: code.to_string(),
                journeys: journeys.iter().map(|&j| program.journeys[j].name.clone()).collect(),
            })
            .collect()
    }
}

/// The findings indexed by the journeys and steps they involve.
pub(crate) struct Index<'f> {
    findings: &'f [Finding],
    /// Findings each journey is part of, in finding order.
    pub(crate) of_journey: Vec<Vec<usize>>,
    /// Findings on a step, by journey and node (a table, not a hash map: the view
    /// looks up every send, and J603's findings name 700,000 steps on 5,000 journeys).
    of_node: Vec<Vec<Vec<usize>>>,
    /// Findings on a journey as a whole (priorities, experiments, win-backs).
    whole: Vec<Vec<usize>>,
    /// Each finding's journeys as name ranks, sorted, once each.
    partners: Vec<Vec<usize>>,
    /// Grouped findings: those each view group is part of, as its own or a partner.
    of_group: Vec<Vec<usize>>,
    /// The codes of each view group's findings, sorted, once each: a group can be
    /// the partner of thousands of findings, and each of its journeys asks.
    group_codes: Vec<Vec<&'static str>>,
    groups: &'f Groups<'f>,
}

impl<'f> Index<'f> {
    pub(crate) fn new(
        program: &Program,
        findings: &'f [Finding],
        order: &NameOrder,
        groups: &'f Groups<'f>,
    ) -> Index<'f> {
        let n = program.journeys.len();
        let mut of_journey: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut of_node: Vec<Vec<Vec<usize>>> =
            program.journeys.iter().map(|j| vec![Vec::new(); j.nodes.len()]).collect();
        let mut whole: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut partners = Vec::with_capacity(findings.len());
        let mut of_group: Vec<Vec<usize>> = vec![Vec::new(); groups.kept.len()];
        for (fi, f) in findings.iter().enumerate() {
            // a grouped finding reaches its journeys through their groups: its parts
            // are only the journeys its message names
            if let Some(fg) = &f.group {
                for &g in std::iter::once(&fg.group).chain(&fg.partners) {
                    let list = &mut of_group[groups.id(g)];
                    if list.last() != Some(&fi) {
                        list.push(fi);
                    }
                }
                partners.push(Vec::new());
                continue;
            }
            for &(pj, pn) in &f.parts {
                if of_journey[pj].last() != Some(&fi) {
                    of_journey[pj].push(fi);
                }
                let list = match pn {
                    Some(node) => &mut of_node[pj][node],
                    None => &mut whole[pj],
                };
                if list.last() != Some(&fi) {
                    list.push(fi);
                }
            }
            let mut ranks: Vec<usize> = f.parts.iter().map(|&(pj, _)| order.rank[pj]).collect();
            ranks.sort_unstable();
            ranks.dedup();
            partners.push(ranks);
        }
        let group_codes = (of_group.iter())
            .map(|list| {
                let mut codes: Vec<&'static str> = list.iter().map(|&fi| findings[fi].code).collect();
                codes.sort_unstable();
                codes.dedup();
                codes
            })
            .collect();
        Index { findings, of_journey, of_node, whole, partners, of_group, group_codes, groups }
    }

    /// The grouped conflicts (J605) every send of journey `j` is part of, one entry
    /// per code: the worst severity, the journeys `j` pairs with (the first few, in
    /// name order, and how many more) and `j`'s group. J606 is about experiments, not
    /// sends, as in [`Self::send_conflicts`].
    pub(crate) fn grouped_send_conflicts(&self, order: &NameOrder, j: usize) -> Vec<SendConflict> {
        // code -> (worst severity, own group, groups it pairs with)
        let mut by_code: BTreeMap<&str, (Severity, usize, Vec<usize>)> = BTreeMap::new();
        for &g in &self.groups.of_journey[j] {
            for &fi in &self.of_group[g] {
                let f = &self.findings[fi];
                let Some(fg) = &f.group else { continue };
                if f.parts.iter().any(|&(_, n)| n.is_some()) {
                    continue;
                }
                let e = by_code.entry(f.code).or_insert_with(|| (f.severity, g, Vec::new()));
                e.0 = e.0.max(f.severity);
                if self.groups.id(fg.group) == g {
                    e.2.extend(fg.partners.iter().map(|&h| self.groups.id(h)));
                } else {
                    e.2.push(self.groups.id(fg.group));
                }
            }
        }
        by_code
            .into_iter()
            .map(|(code, (severity, g, mut with))| {
                with.sort_unstable();
                with.dedup();
                let total: usize =
                    with.iter().map(|&h| self.groups.kept[h].1.len()).sum::<usize>() - usize::from(with.contains(&g));
                // the first `SHOWN + 1` of each group but `j` are enough to name them
                let mut first: Vec<usize> = with
                    .iter()
                    .flat_map(|&h| self.groups.kept[h].1.iter().filter(|&&a| a != j).take(SHOWN + 1))
                    .map(|&a| order.rank[a])
                    .collect();
                first.sort_unstable();
                let shown = if total <= SHOWN + 1 { total } else { SHOWN };
                first.truncate(shown);
                SendConflict {
                    code: code.to_string(),
                    severity: severity.as_str().to_string(),
                    partners: order.names(&first),
                    group: Some(g),
                    more: total - shown,
                }
            })
            .collect()
    }

    /// The conflicts a send of journey `j` at `node` is part of: one entry per code,
    /// sorted by code, with the worst severity and every other journey of those
    /// findings, in name order.
    pub(crate) fn send_conflicts(&self, order: &NameOrder, j: usize, node: usize) -> Vec<SendConflict> {
        let mut mine: Vec<usize> = self.whole[j].clone();
        mine.extend(self.of_node[j].get(node).into_iter().flatten().copied());
        mine.sort_unstable();
        mine.dedup();
        // by code: (worst severity, partner ranks); ties keep the first severity seen,
        // which is the same severity
        let mut by_code: BTreeMap<&str, (Severity, Vec<usize>)> = BTreeMap::new();
        for &fi in &mine {
            let f = &self.findings[fi];
            let e = by_code.entry(f.code).or_insert_with(|| (f.severity, Vec::new()));
            e.0 = e.0.max(f.severity);
            e.1.extend(self.partners[fi].iter().copied().filter(|&r| r != order.rank[j]));
        }
        by_code
            .into_iter()
            .map(|(code, (severity, mut ranks))| {
                ranks.sort_unstable();
                ranks.dedup();
                SendConflict {
                    code: code.to_string(),
                    severity: severity.as_str().to_string(),
                    partners: order.names(&ranks),
                    group: None,
                    more: 0,
                }
            })
            .collect()
    }

    /// The codes of the findings journey `j` is part of, sorted, once each.
    pub(crate) fn journey_codes(&self, j: usize) -> Vec<String> {
        let mut codes: Vec<&str> = self.of_journey[j].iter().map(|&fi| self.findings[fi].code).collect();
        for &g in &self.groups.of_journey[j] {
            codes.extend_from_slice(&self.group_codes[g]);
        }
        codes.sort_unstable();
        codes.dedup();
        codes.into_iter().map(str::to_string).collect()
    }
}

/// Findings that read the same (code, severity, message and journeys; one per pair of
/// steps) shown once, in the order they first come, with every step they involve in
/// the order first met. A grouped finding is one conflict of its own, with its groups.
/// `may[i]`: finding `i` rests on audiences that only may overlap.
pub(crate) fn conflicts(program: &Program, findings: &[Finding], may: &[bool], view_groups: &Groups) -> Vec<Conflict> {
    struct Group<'f> {
        code: &'static str,
        severity: Severity,
        may_overlap: bool,
        message: &'f str,
        journeys: Vec<usize>,
        steps: Vec<(usize, usize)>,
        grouped: Option<&'f FindingGroup>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut seen: HashMap<(&str, Severity, bool, &str, Vec<usize>), usize> = HashMap::new();
    // `stamp[j] == fi + 1`: journey `j` already listed for finding `fi`
    let mut stamp = vec![0usize; program.journeys.len()];
    for (fi, f) in findings.iter().enumerate() {
        let mut journeys: Vec<usize> = Vec::new();
        for &(j, _) in &f.parts {
            if stamp[j] != fi + 1 {
                stamp[j] = fi + 1;
                journeys.push(j);
            }
        }
        let steps = f.parts.iter().filter_map(|&(j, n)| Some((j, n?)));
        let may_overlap = may.get(fi).copied().unwrap_or(false);
        // A grouped finding (J605, J606 in the view) is one of a kind already; the
        // others merge with an earlier one on the same journeys and words.
        if f.group.is_none() {
            let key = (f.code, f.severity, may_overlap, f.message.as_str(), journeys);
            if let Some(&gi) = seen.get(&key) {
                groups[gi].steps.extend(steps);
                continue;
            }
            journeys = key.4.clone();
            seen.insert(key, groups.len());
        }
        groups.push(Group {
            code: f.code,
            severity: f.severity,
            may_overlap,
            message: &f.message,
            journeys,
            steps: steps.collect(),
            grouped: f.group.as_ref(),
        });
    }
    let mut step_names = StepNames::new(program);
    groups
        .into_iter()
        .map(|g| Conflict {
            code: g.code.to_string(),
            severity: g.severity.as_str().to_string(),
            message: g.message.to_string(),
            journeys: g.journeys.iter().map(|&j| program.journeys[j].name.clone()).collect(),
            steps: first_each(g.steps).into_iter().map(|(j, n)| step_names.get(program, j, n)).collect(),
            group: g.grouped.map(|fg| view_groups.id(fg.group)),
            partner_groups: g
                .grouped
                .map(|fg| fg.partners.iter().map(|&h| view_groups.id(h)).collect())
                .unwrap_or_default(),
            more: g.grouped.map_or(0, |fg| fg.journeys.saturating_sub(g.journeys.len())),
            may_overlap: g.may_overlap,
            observed: None,
        })
        .collect()
}

/// `journey/node` of each step, made once and shared by every conflict that names
/// it: on 5,000 journeys the conflicts name 700,000 steps, of about 40,000 sends, and
/// a string per mention was a tenth of building and dropping the view.
struct StepNames {
    /// By journey and node; `None`: not named yet.
    made: Vec<Vec<Option<Arc<str>>>>,
}

impl StepNames {
    fn new(program: &Program) -> StepNames {
        StepNames { made: program.journeys.iter().map(|j| vec![None; j.nodes.len()]).collect() }
    }

    fn get(&mut self, program: &Program, j: usize, n: usize) -> Arc<str> {
        self.made[j][n].get_or_insert_with(|| Arc::from(step_text(program, j, n))).clone()
    }
}

/// `journey/node`, sized once.
fn step_text(program: &Program, j: usize, n: usize) -> String {
    let jn = &program.journeys[j];
    let id = &jn.nodes[n].id;
    let mut s = String::with_capacity(jn.name.len() + 1 + id.len());
    s.push_str(&jn.name);
    s.push('/');
    s.push_str(id);
    s
}

/// The items of `all` once each, in the order first met.
fn first_each(all: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    // short lists (almost all) without hashing
    if all.len() <= 16 {
        let mut out: Vec<(usize, usize)> = Vec::with_capacity(all.len());
        for s in all {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        return out;
    }
    let mut seen: HashSet<(usize, usize)> = HashSet::with_capacity(all.len());
    all.into_iter().filter(|s| seen.insert(*s)).collect()
}
