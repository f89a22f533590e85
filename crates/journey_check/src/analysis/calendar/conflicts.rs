//! J602 conflicting-tags: a send tagged with one tag of a policy `conflicting` group,
//! in a journey whose audience overlaps that of a journey sending another tag of the
//! group. Entries are independent, so both can reach one customer within the conflict
//! window (the longest policy cap window, 7 days without one).

use super::super::logic::fmt_minutes;
use super::{proven_severity, some_names, witness_note, Cross, Finding, Partner, SHOWN};
use journey_diagnostics::Diagnostic;

/// How close together conflicting sends must not be: the longest policy cap window,
/// or 7 days.
pub fn window(cx: &Cross) -> u64 {
    cx.program.policy.conflict_window_minutes()
}

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    let mut out = Vec::new();
    let policy = &cx.program.policy;
    let win = fmt_minutes(window(cx));
    for group in &policy.conflicting {
        // every send carrying a tag of the group: (journey, node, tag)
        let mut tagged: Vec<(usize, usize, &str)> = Vec::new();
        for (j, plan) in cx.plans.iter().enumerate() {
            for s in &plan.sends {
                if let Some(t) = s.tags.iter().find(|t| group.contains(t)) {
                    tagged.push((j, s.node, t.as_str()));
                }
            }
        }
        for &(b, node, tag) in &tagged {
            // the first send of each other journey with a different tag of the group
            let mut other: Vec<(usize, usize, &str)> = Vec::new();
            for &(a, an, at) in &tagged {
                if at != tag && a != b && !other.iter().any(|o| o.0 == a) {
                    other.push((a, an, at));
                }
            }
            let partners = cx.partners_or_undecided(b, other.iter().map(|o| o.0));
            if partners.is_empty() {
                continue;
            }
            let jb = cx.journey(b);
            let names: Vec<&str> = partners.iter().map(|p| cx.journey(p.journey).name.as_str()).collect();
            let first = other.iter().find(|o| o.0 == partners[0].journey).expect("partner has a send");
            let message = format!(
                "a `{tag}` send to customers who can also get a `{}` send from {} within {win}",
                first.2,
                some_names(&names, SHOWN)
            );
            let o = &jb.nodes[node].origin;
            let mut d = Diagnostic::new("J602", message.clone()).primary(o.file, o.span, format!("tagged `{tag}`"));
            let mut parts = vec![(b, Some(node))];
            for (i, p) in partners.iter().enumerate() {
                let Some(&(a, an, at)) = other.iter().find(|o| o.0 == p.journey) else { continue };
                parts.push((a, Some(an)));
                if i < SHOWN {
                    let ja = cx.journey(a);
                    let ao = &ja.nodes[an].origin;
                    let how = super::partner_words(p);
                    d = d.secondary(ao.file, ao.span, format!("`{}` sends `{at}` here (audiences {how})", ja.name));
                }
            }
            d = witness_note(d, &partners[0], &cx.journey(partners[0].journey).name, &jb.name);
            d = d.note(format!("the policy declares {} conflicting", super::super::list_names(group)));
            let refs: Vec<&Partner> = partners.iter().collect();
            let d = proven_severity(d, &refs)
                .help("exclude one audience from the other (`and not …`), or drop one of the conflicting tags");
            let witness = super::finding_witness(b, &partners);
            out.push((Finding { code: "J602", severity: d.severity, message, parts, witness, group: None }, d));
        }
    }
    out
}
