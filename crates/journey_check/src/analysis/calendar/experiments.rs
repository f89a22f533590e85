//! J606 concurrent-experiments: two journeys run random splits (experiments) on
//! overlapping audiences, so some customers are in both experiments at once and each
//! result is measured with the other's treatment mixed in. On audiences that only may
//! overlap (with a witness history) it is information by default.

use super::{witness_note, Cross, Finding, Partner, SHOWN};
use crate::analysis::logic::Overlap;
use journey_diagnostics::Diagnostic;
use journey_ir::Step;

fn split_name(cx: &Cross, j: usize, node: usize) -> String {
    match &cx.journey(j).nodes[node].step {
        Step::Split { name: Some(n), .. } => format!("`{n}`"),
        _ => format!("the split in stage `{}`", cx.journey(j).nodes[node].stage),
    }
}

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    let testing: Vec<usize> = cx.order.iter().copied().filter(|&j| !cx.plans[j].splits.is_empty()).collect();
    let candidates = cx.candidates(testing.iter().copied());
    let mut out = Vec::new();
    for &b in &testing {
        let partners = cx.partners_among(b, &candidates);
        if partners.is_empty() {
            continue;
        }
        let certain = partners.iter().any(|p| p.overlap == Overlap::CertainlyOverlaps);
        let shown = &partners[..partners.len().min(SHOWN + 1)];
        let d = diagnostic(cx, b, shown, partners.len(), certain);
        let mut parts = vec![(b, Some(cx.plans[b].splits[0]))];
        parts.extend(partners.iter().map(|p| (p.journey, Some(cx.plans[p.journey].splits[0]))));
        let witness = super::finding_witness(b, &partners);
        let message = d.message.clone();
        out.push((Finding { code: "J606", severity: d.severity, message, parts, witness, group: None }, d));
    }
    out
}

/// [`check`]'s diagnostics without its findings, for `journey calendar`, which keeps
/// only the check's diagnostics: a finding lists every partner, 12.6 million journeys
/// on 5,000 generated ones, and a diagnostic names the first few and counts the rest
/// ([`Cross::partners_summary`]). The same diagnostics, in the same order
/// (tests/cross_oracle.rs).
pub fn diagnostics(cx: &Cross) -> Vec<Diagnostic> {
    let testing: Vec<usize> = cx.order.iter().copied().filter(|&j| !cx.plans[j].splits.is_empty()).collect();
    let candidates = cx.candidates(testing.iter().copied());
    let mut out = Vec::new();
    for &b in &testing {
        let summary = cx.partners_summary(b, &candidates, SHOWN + 1);
        if summary.total > 0 {
            out.push(diagnostic(cx, b, &summary.first, summary.total, summary.certain));
        }
    }
    out
}

/// The J606 diagnostic of journey `b`, from its first partners (at least `SHOWN + 1`
/// when there are that many, the first with its witness), how many there are, and
/// whether some partner's audience certainly overlaps.
fn diagnostic(cx: &Cross, b: usize, first: &[Partner], total: usize, certain: bool) -> Diagnostic {
    let jb = cx.journey(b);
    let bn = cx.plans[b].splits[0];
    let first_journeys: Vec<usize> = first.iter().map(|p| p.journey).collect();
    let message = format!(
        "experiment {} of `{}` runs on customers who are also in experiments of {}",
        split_name(cx, b, bn),
        jb.name,
        super::groups::names_text(cx, &first_journeys, total)
    );
    let o = &jb.nodes[bn].origin;
    let mut d = Diagnostic::new("J606", message).primary(o.file, o.span, "this experiment");
    for p in first.iter().take(SHOWN) {
        let an = cx.plans[p.journey].splits[0];
        let ja = cx.journey(p.journey);
        let ao = &ja.nodes[an].origin;
        d = d.secondary(ao.file, ao.span, format!("experiment {} of `{}`", split_name(cx, p.journey, an), ja.name));
    }
    d = witness_note(d, &first[0], &cx.journey(first[0].journey).name, &jb.name);
    let d = if certain { d } else { d.with_severity(super::may_severity("J606")).may_overlap() };
    d.help("run the experiments one after the other, or split the shared audience between them")
}

/// The calendar view's J606 ([`super::groups`]): one finding per group of experiments
/// on one predicate, naming the groups it runs alongside; the groups are appended to
/// `groups` (the findings' indices point there).
pub fn grouped(cx: &Cross, groups: &mut Vec<Vec<usize>>) -> Vec<(Finding, Diagnostic)> {
    let testing: Vec<usize> = cx.order.iter().copied().filter(|&j| !cx.plans[j].splits.is_empty()).collect();
    let grouped = super::groups::group(cx, &testing, |j| cx.pred_of[j], |_, _| true);
    let base = groups.len();
    let mut out = Vec::new();
    for (g, members) in grouped.groups.iter().enumerate() {
        let partners = &grouped.partners[g];
        if partners.is_empty() {
            continue;
        }
        let named = super::groups::Named::new(cx, &grouped, g);
        let b = members[0];
        let jb = cx.journey(b);
        let bn = cx.plans[b].splits[0];
        let message = if members.len() == 1 {
            format!(
                "experiment {} of `{}` runs on customers who are also in experiments of {}",
                split_name(cx, b, bn),
                jb.name,
                named.others_text(cx)
            )
        } else {
            let own = super::groups::names_text(cx, &named.own, members.len());
            let with = named.partners_text(cx, "each other's experiments", "in those of", "experiments of");
            format!("experiments of {own} (one audience) run on customers who are also in {with}")
        };
        let o = &jb.nodes[bn].origin;
        let d = Diagnostic::new("J606", message).primary(o.file, o.span, "this experiment");
        let d = super::groups::severity(d, partners)
            .help("run the experiments one after the other, or split the shared audience between them");
        let parts = named.listed().into_iter().map(|j| (j, Some(cx.plans[j].splits[0]))).collect();
        out.push(super::groups::finding(d, parts, base + g, partners, base, members.len() + named.others_total));
    }
    groups.extend(grouped.groups);
    out
}
