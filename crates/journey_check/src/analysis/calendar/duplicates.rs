//! J601 audience-overlap-duplicate-send: the same template (on the same channel) sent
//! by two journeys whose audiences overlap. Entries are independent, so one customer
//! can get both sends at once. (Twice on one path of one journey is J404.)

use super::{proven_severity, some_names, witness_note, Cross, Finding, Partner, SHOWN};
use journey_diagnostics::Diagnostic;
use std::collections::BTreeMap;

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    // (channel, template) -> every (journey, node) sending it
    let mut senders: BTreeMap<(&str, &str), Vec<(usize, usize)>> = BTreeMap::new();
    for (j, plan) in cx.plans.iter().enumerate() {
        for s in &plan.sends {
            let list = senders.entry((s.channel.as_str(), s.template.as_str())).or_default();
            if !list.iter().any(|&(k, _)| k == j) {
                list.push((j, s.node));
            }
        }
    }
    let mut out = Vec::new();
    for ((channel, template), list) in senders {
        if list.len() < 2 {
            continue;
        }
        for &(b, node) in &list {
            let partners = cx.partners_or_undecided(b, list.iter().map(|&(a, _)| a));
            if partners.is_empty() {
                continue;
            }
            let jb = cx.journey(b);
            let names: Vec<&str> = partners.iter().map(|p| cx.journey(p.journey).name.as_str()).collect();
            let o = &jb.nodes[node].origin;
            let message = format!(
                "template \"{template}\" is also sent by {} to customers of `{}` (audiences {})",
                some_names(&names, SHOWN),
                jb.name,
                super::partner_words(&partners[0])
            );
            let mut d = Diagnostic::new("J601", message.clone()).primary(
                o.file,
                o.span,
                format!("`{}` sends \"{template}\" on `{channel}` here", jb.name),
            );
            let mut parts = vec![(b, Some(node))];
            for p in partners.iter().take(SHOWN) {
                let Some(&(_, an)) = list.iter().find(|&&(a, _)| a == p.journey) else { continue };
                let ja = cx.journey(p.journey);
                let ao = &ja.nodes[an].origin;
                d = d.secondary(ao.file, ao.span, format!("`{}` sends the same template here", ja.name));
                parts.push((p.journey, Some(an)));
            }
            for p in partners.iter().skip(SHOWN) {
                if let Some(&(_, an)) = list.iter().find(|&&(a, _)| a == p.journey) {
                    parts.push((p.journey, Some(an)));
                }
            }
            d = witness_note(d, &partners[0], &cx.journey(partners[0].journey).name, &jb.name);
            let refs: Vec<&Partner> = partners.iter().collect();
            let d = proven_severity(d, &refs)
                .help("send it from one journey only, or make the audiences disjoint (add `and not …` to one of them)");
            let witness = super::finding_witness(b, &partners);
            out.push((Finding { code: "J601", severity: d.severity, message, parts, witness, group: None }, d));
        }
    }
    out
}
