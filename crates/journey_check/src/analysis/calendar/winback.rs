//! J604 winback-reaches-vip: a journey tagged `winback` (it brings back customers who
//! stopped buying, usually with an incentive) whose audience overlaps that of a journey
//! tagged `vip` (it serves the best customers, who are not to be treated as lapsed).
//! The tags are the journeys' own `tags`, so the rule applies to any team's naming of
//! its segments.

use super::{proven_severity, some_names, witness_note, Cross, Finding, Partner, SHOWN};
use journey_diagnostics::Diagnostic;
use journey_ir::Journey;

pub const WINBACK: &str = "winback";
pub const VIP: &str = "vip";

fn tagged(j: &Journey, tag: &str) -> bool {
    j.tags.iter().any(|t| t == tag)
}

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    let vips: Vec<usize> = cx.order.iter().copied().filter(|&j| tagged(cx.journey(j), VIP)).collect();
    let mut out = Vec::new();
    if vips.is_empty() {
        return out;
    }
    for &w in &cx.order {
        let jw = cx.journey(w);
        if !tagged(jw, WINBACK) {
            continue;
        }
        let mut partners: Vec<Partner> = vips.iter().filter(|&&v| v != w).filter_map(|&v| cx.partner(v, w)).collect();
        // decided partners first: the note shows the first one's witness
        partners.sort_by_key(|p| p.undecided.is_some());
        cx.first_witness(w, &mut partners);
        if partners.is_empty() {
            continue;
        }
        let names: Vec<&str> = partners.iter().map(|p| cx.journey(p.journey).name.as_str()).collect();
        let message = format!(
            "win-back journey `{}` can reach the customers of VIP journey {} (audiences {})",
            jw.name,
            some_names(&names, SHOWN),
            super::partner_words(&partners[0])
        );
        let mut d = Diagnostic::new("J604", message.clone()).primary(
            jw.origin.file,
            jw.origin.span,
            format!("tagged `{WINBACK}`: meant for customers who stopped buying"),
        );
        let mut parts = vec![(w, None)];
        for (i, p) in partners.iter().enumerate() {
            parts.push((p.journey, None));
            if i < SHOWN {
                let jv = cx.journey(p.journey);
                d = d.secondary(jv.origin.file, jv.origin.span, format!("tagged `{VIP}`: your best customers"));
            }
        }
        d = witness_note(d, &partners[0], &jw.name, &cx.journey(partners[0].journey).name);
        let refs: Vec<&Partner> = partners.iter().collect();
        let d = proven_severity(d, &refs).help(format!(
            "exclude the VIP audience from `{}` (`audience … and not …`), or enter it on a lapsed audience only",
            jw.name
        ));
        let witness = super::finding_witness(w, &partners);
        out.push((Finding { code: "J604", severity: d.severity, message, parts, witness, group: None }, d));
    }
    out
}
