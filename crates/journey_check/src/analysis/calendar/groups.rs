//! The calendar view's J605 and J606 by *groups* of journeys.
//!
//! Whether two journeys pair up under J605 (same priority, a shared cap, audiences not
//! proven disjoint) or J606 (both run experiments, audiences not proven disjoint)
//! depends only on a few facts of each journey: its predicate, and for J605 its
//! priority and the caps its sends count against. Journeys alike in those facts form
//! a group, and a pair of groups either pairs all their journeys or none. On 5,000
//! generated journeys (about 1,200 distinct predicates) listing every pair of
//! journeys, as `journey check` does, named 12.6M journeys; the view lists each group
//! once and names, per group, the groups it pairs with.
//!
//! Groups are numbered in the order of their first journey by name. A group's finding
//! names the *earlier* groups it pairs with, and itself when its own journeys pair
//! with each other, so every pair of journeys is covered by exactly one finding: the
//! one of the later group (of the pair's only group). With every group a single
//! journey this is `journey check`'s own finding per journey, partners earlier in name
//! order.

use super::{Cross, SHOWN};
use crate::analysis::logic::Overlap;
use std::collections::HashMap;
use std::hash::Hash;

/// Groups of journeys and, per group, the groups it pairs with.
pub struct Grouped {
    /// Each group's journeys in name order; groups in the name order of their first.
    pub groups: Vec<Vec<usize>>,
    /// Per group: the earlier groups it pairs with, and itself when its journeys pair
    /// with each other, with how their audiences overlap.
    pub partners: Vec<Vec<(usize, Overlap)>>,
}

/// Group `journeys` (in name order) by `key`, and pair the groups whose first journeys
/// `pairs` accepts (a cheap test of the grouped facts) and whose audiences are not
/// proven disjoint.
pub fn group<K: Hash + Eq>(
    cx: &Cross,
    journeys: &[usize],
    key: impl Fn(usize) -> K,
    pairs: impl Fn(usize, usize) -> bool,
) -> Grouped {
    group_within(cx, journeys, key, |_| (), pairs)
}

/// [`group`], asking `pairs` only of groups in one `bucket`: `pairs(a, b)` must imply
/// `bucket(a) == bucket(b)` (J605: one priority). Every group asked about every
/// earlier one was most of J605 in the view on 5,000 journeys (4,000 groups, 8
/// million tests of priorities), and a group pairs only within its priority. The
/// same groups and partners, in the same order (index_oracle.rs).
pub fn group_within<K: Hash + Eq, B: Hash + Eq>(
    cx: &Cross,
    journeys: &[usize],
    key: impl Fn(usize) -> K,
    bucket: impl Fn(usize) -> B,
    pairs: impl Fn(usize, usize) -> bool,
) -> Grouped {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &j in journeys {
        let next = groups.len();
        let g = *index.entry(key(j)).or_insert(next);
        if g == next {
            groups.push(Vec::new());
        }
        groups[g].push(j);
    }
    // each bucket's groups, in group order
    let mut bucket_ids: HashMap<B, usize> = HashMap::new();
    let mut in_bucket: Vec<Vec<usize>> = Vec::new();
    let bucket_of: Vec<usize> = (groups.iter().enumerate())
        .map(|(g, members)| {
            let next = in_bucket.len();
            let b = *bucket_ids.entry(bucket(members[0])).or_insert(next);
            if b == next {
                in_bucket.push(Vec::new());
            }
            in_bucket[b].push(g);
            b
        })
        .collect();
    let partners = (0..groups.len())
        .map(|g| {
            let b = groups[g][0];
            let mut out: Vec<(usize, Overlap)> = Vec::new();
            for &h in in_bucket[bucket_of[g]].iter().take_while(|&&h| h < g) {
                let a = groups[h][0];
                if pairs(a, b) {
                    let o = cx.verdict(a, b);
                    if o != Overlap::Disjoint {
                        out.push((h, o));
                    }
                }
            }
            // two journeys of one group: the same facts, so the same verdict
            if let [first, second, ..] = groups[g][..] {
                if pairs(first, second) {
                    let o = cx.verdict(first, second);
                    if o != Overlap::Disjoint {
                        out.push((g, o));
                    }
                }
            }
            out
        })
        .collect();
    Grouped { groups, partners }
}

/// What a group's finding names: up to [`SHOWN`] of its own journeys, up to `SHOWN + 1`
/// of its partners in other groups (in name order: [`super::some_names`] lists all of
/// `SHOWN + 1`), and how many journeys it involves in all.
pub struct Named {
    pub own: Vec<usize>,
    pub others: Vec<usize>,
    /// Journeys of the partner groups other than its own.
    pub others_total: usize,
    /// Whether its own journeys pair with each other.
    pub within: bool,
    /// The overlap of the first partner named (its own group's when they pair).
    pub first_overlap: Overlap,
}

impl Named {
    pub fn new(cx: &Cross, grouped: &Grouped, g: usize) -> Named {
        let own_group = &grouped.groups[g];
        let partners = &grouped.partners[g];
        let within = partners.iter().any(|&(h, _)| h == g);
        let mut others: Vec<usize> = Vec::new();
        let mut others_total = 0;
        for &(h, _) in partners.iter().filter(|&&(h, _)| h != g) {
            others_total += grouped.groups[h].len();
            others.extend(grouped.groups[h].iter().take(SHOWN + 1));
        }
        others.sort_unstable_by_key(|&j| cx.rank[j]);
        others.truncate(SHOWN + 1);
        let first_overlap = match partners.iter().find(|&&(h, _)| h == g) {
            Some(&(_, o)) => o,
            None => {
                let first = others.first().copied();
                let of = |h: usize| grouped.groups[h].contains(&first.unwrap_or(usize::MAX));
                partners.iter().find(|&&(h, _)| of(h)).map_or(Overlap::MayOverlap, |&(_, o)| o)
            }
        };
        Named { own: own_group.iter().take(SHOWN).copied().collect(), others, others_total, within, first_overlap }
    }

    /// `a`, `a and b`, `a, b, c and 4 more` for the partners in other groups.
    pub fn others_text(&self, cx: &Cross) -> String {
        names_text(cx, &self.others, self.others_total)
    }

    /// Whom a group of several journeys pairs with, in the rule's words: `within`
    /// for each other, `others` before the other groups' names (J606: "each other's
    /// experiments", "in those of", "experiments of").
    pub fn partners_text(&self, cx: &Cross, within: &str, and_others: &str, others: &str) -> String {
        match (self.within, self.others.is_empty()) {
            (true, true) => within.to_string(),
            (true, false) => format!("{within} and {and_others} {}", self.others_text(cx)),
            (false, _) => format!("{others} {}", self.others_text(cx)),
        }
    }

    /// The journeys the finding lists: its own shown, then the others shown (at most
    /// [`SHOWN`] of each).
    pub fn listed(&self) -> Vec<usize> {
        self.own.iter().chain(self.others.iter().take(SHOWN)).copied().collect()
    }
}

/// [`super::some_names`] of `first` (the first `SHOWN + 1`, or all) of `total` journeys.
pub fn names_text(cx: &Cross, first: &[usize], total: usize) -> String {
    let names: Vec<&str> = first.iter().map(|&j| cx.journey(j).name.as_str()).collect();
    if total <= SHOWN + 1 {
        return super::super::list_names(&names);
    }
    let head: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    format!("{} and {} more", head.join(", "), total - SHOWN)
}

/// [`super::proven_severity`] for a group's finding: the rule's default when some
/// partner group's audience certainly overlaps, else its may-overlap severity.
/// The finding of one group (J605, J606): its diagnostic with the group's severity, and
/// the group's index, its partner groups' and how many journeys it involves, so the view
/// can name a few of them and count the rest.
pub fn finding(
    d: journey_diagnostics::Diagnostic,
    parts: Vec<(usize, Option<usize>)>,
    group: usize,
    partners: &[(usize, Overlap)],
    base: usize,
    journeys: usize,
) -> (super::Finding, journey_diagnostics::Diagnostic) {
    let group = super::FindingGroup { group, partners: partners.iter().map(|&(h, _)| base + h).collect(), journeys };
    let finding = super::Finding {
        code: d.code,
        severity: d.severity,
        message: d.message.clone(),
        parts,
        witness: None,
        group: Some(group),
    };
    (finding, d)
}

pub fn severity(d: journey_diagnostics::Diagnostic, partners: &[(usize, Overlap)]) -> journey_diagnostics::Diagnostic {
    if partners.iter().any(|&(_, o)| o == Overlap::CertainlyOverlaps) {
        d
    } else {
        let sev = super::may_severity(d.code);
        d.with_severity(sev).may_overlap()
    }
}
