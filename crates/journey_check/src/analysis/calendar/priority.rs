//! J605 equal-priority-overlap: two journeys with the same `priority`, overlapping
//! audiences and a cap their sends count against together. When the cap bites, the
//! priority decides which send goes out; a tie leaves it to chance.

use super::{proven_severity, some_names, witness_note, Cross, Finding, Partner, SHOWN};
use journey_diagnostics::Diagnostic;
use std::collections::BTreeMap;

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    let mut by_priority: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for &j in &cx.order {
        if !cx.plans[j].sends.is_empty() {
            by_priority.entry(cx.journey(j).priority).or_default().push(j);
        }
    }
    // each priority's journeys indexed once: every journey asks about all of them
    let by_priority: BTreeMap<u64, super::Candidates> =
        by_priority.into_iter().map(|(p, js)| (p, cx.candidates(js))).collect();
    // the caps each journey's sends count against
    let capped: Vec<Vec<bool>> = cx
        .plans
        .iter()
        .map(|p| cx.caps.iter().map(|c| p.sends.iter().any(|s| c.applies(cx.program, &s.channel))).collect())
        .collect();
    let mut out = Vec::new();
    for &b in &cx.order {
        let jb = cx.journey(b);
        let Some(same) = by_priority.get(&jb.priority) else { continue };
        let shares = |a: usize| (0..cx.caps.len()).any(|k| capped[a][k] && capped[b][k]);
        let partners = cx.partners_among_where(b, same, shares);
        if partners.is_empty() {
            continue;
        }
        let names: Vec<&str> = partners.iter().map(|p| cx.journey(p.journey).name.as_str()).collect();
        let message = format!(
            "`{}` has the same priority ({}) as {}, and their audiences {}",
            jb.name,
            jb.priority,
            some_names(&names, SHOWN),
            super::overlap_words(partners[0].overlap)
        );
        let mut d = Diagnostic::new("J605", message.clone()).primary(
            jb.origin.file,
            jb.origin.span,
            format!("priority {}", jb.priority),
        );
        let mut parts = vec![(b, None)];
        for (i, p) in partners.iter().enumerate() {
            parts.push((p.journey, None));
            if i < SHOWN {
                let ja = cx.journey(p.journey);
                d = d.secondary(ja.origin.file, ja.origin.span, format!("also priority {}", ja.priority));
            }
        }
        d = witness_note(d, &partners[0], &cx.journey(partners[0].journey).name, &jb.name);
        let refs: Vec<&Partner> = partners.iter().collect();
        let d = proven_severity(d, &refs)
            .note("when a shared cap is reached, priority decides whose message goes out; a tie does not")
            .help("give one journey a higher priority (0 to 100, higher wins)");
        let witness = super::finding_witness(b, &partners);
        out.push((Finding { code: "J605", severity: d.severity, message, parts, witness, group: None }, d));
    }
    out
}

/// The calendar view's J605 ([`super::groups`]): one finding per group of journeys
/// with one priority, one predicate and the same caps, naming the groups they tie
/// with; the groups are appended to `groups` (the findings' indices point there).
pub fn grouped(cx: &Cross, groups: &mut Vec<Vec<usize>>) -> Vec<(Finding, Diagnostic)> {
    let sending: Vec<usize> = cx.order.iter().copied().filter(|&j| !cx.plans[j].sends.is_empty()).collect();
    let capped: Vec<Vec<bool>> = cx
        .plans
        .iter()
        .map(|p| cx.caps.iter().map(|c| p.sends.iter().any(|s| c.applies(cx.program, &s.channel))).collect())
        .collect();
    let priority = |j: usize| cx.journey(j).priority;
    let key = |j: usize| (priority(j), cx.pred_of[j], capped[j].clone());
    let pairs =
        |a: usize, b: usize| priority(a) == priority(b) && capped[a].iter().zip(&capped[b]).any(|(&x, &y)| x && y);
    // only journeys of one priority tie
    let grouped = super::groups::group_within(cx, &sending, key, priority, pairs);
    let base = groups.len();
    let mut out = Vec::new();
    for (g, members) in grouped.groups.iter().enumerate() {
        let partners = &grouped.partners[g];
        if partners.is_empty() {
            continue;
        }
        let named = super::groups::Named::new(cx, &grouped, g);
        let jb = cx.journey(members[0]);
        let words = super::overlap_words(named.first_overlap);
        let message = if members.len() == 1 {
            format!(
                "`{}` has the same priority ({}) as {}, and their audiences {words}",
                jb.name,
                jb.priority,
                named.others_text(cx)
            )
        } else {
            let own = super::groups::names_text(cx, &named.own, members.len());
            let with = named.partners_text(cx, "as each other", "as", "as");
            format!("{own} (one audience) have the same priority ({}) {with}, and their audiences {words}", jb.priority)
        };
        let d = Diagnostic::new("J605", message).primary(
            jb.origin.file,
            jb.origin.span,
            format!("priority {}", jb.priority),
        );
        let d = super::groups::severity(d, partners)
            .note("when a shared cap is reached, priority decides whose message goes out; a tie does not")
            .help("give one journey a higher priority (0 to 100, higher wins)");
        let parts = named.listed().into_iter().map(|j| (j, None)).collect();
        out.push(super::groups::finding(d, parts, base + g, partners, base, members.len() + named.others_total));
    }
    groups.extend(grouped.groups);
    out
}
