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
        out.push((Finding { code: "J606", severity: d.severity, message, parts, witness }, d));
    }
    out
}
