//! J606 concurrent-experiments: two journeys run random splits (experiments) on
//! overlapping audiences, so some customers are in both experiments at once and each
//! result is measured with the other's treatment mixed in. On audiences that only may
//! overlap (with a witness history) it is information by default.

use super::{proven_severity, some_names, witness_note, Cross, Finding, Partner, SHOWN};
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
        let jb = cx.journey(b);
        let bn = cx.plans[b].splits[0];
        let names: Vec<&str> = partners.iter().map(|p| cx.journey(p.journey).name.as_str()).collect();
        let message = format!(
            "experiment {} of `{}` runs on customers who are also in experiments of {}",
            split_name(cx, b, bn),
            jb.name,
            some_names(&names, SHOWN)
        );
        let o = &jb.nodes[bn].origin;
        let mut d = Diagnostic::new("J606", message.clone()).primary(o.file, o.span, "this experiment");
        let mut parts = vec![(b, Some(bn))];
        for (i, p) in partners.iter().enumerate() {
            let an = cx.plans[p.journey].splits[0];
            parts.push((p.journey, Some(an)));
            if i < SHOWN {
                let ja = cx.journey(p.journey);
                let ao = &ja.nodes[an].origin;
                d = d.secondary(
                    ao.file,
                    ao.span,
                    format!("experiment {} of `{}`", split_name(cx, p.journey, an), ja.name),
                );
            }
        }
        d = witness_note(d, &partners[0], &cx.journey(partners[0].journey).name, &jb.name);
        let refs: Vec<&Partner> = partners.iter().collect();
        let d = proven_severity(d, &refs)
            .help("run the experiments one after the other, or split the shared audience between them");
        let witness = super::finding_witness(b, &partners);
        out.push((Finding { code: "J606", severity: d.severity, message, parts, witness, group: None }, d));
    }
    out
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
