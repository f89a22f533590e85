//! J603 cross-journey-cap: journeys whose audiences overlap can together send one
//! customer more messages within a cap's window than the cap allows, although each
//! of them alone stays within it (one journey over a cap is J401).
//!
//! The caps are every channel cap, policy cap and program cap of journey.yaml
//! (`program: caps`, over the message channels of a category: issue 15). For every
//! cap, each journey contributes its densest window (see
//! [`super::schedule`]). For each journey, in name order, the earlier journeys are
//! added greedily, largest contribution first, as long as every two members' audiences
//! overlap (certainly, for `journey check`; or may, in the calendar view), until the sum passes the cap; such a combination is reported once, at
//! its journey last in name order. Entries are independent, so the densest windows can
//! be lined up; the engine then defers or drops messages by priority, which is why
//! this is a warning. The engine checks a program cap after the channel and policy
//! caps and counts only the sends they let through, so a combination passes a program
//! cap with those only ([`reach`]).

use super::super::logic::fmt_minutes;
use super::{Cross, Finding};
use crate::analysis::logic::Overlap;
use journey_diagnostics::Diagnostic;
use journey_ir::Step;
use std::collections::BTreeSet;

/// Members named in labels and notes at most.
const LISTED: usize = 6;

pub fn check(cx: &Cross) -> Vec<(Finding, Diagnostic)> {
    let mut out = Vec::new();
    for k in 0..cx.caps.len() {
        let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
        let mut reported = vec![false; cx.plans.len()];
        combine(cx, k, Walk::Decided, &mut seen, &mut reported, &mut out);
        // where the clocks change, a scheduled journey's passes may hold more within
        // the window: a combination that passes the cap only then is said as
        // undecided, at a journey where nothing certain is said already
        if cx.order.iter().any(|&j| cx.plans[j].across_change[k].is_some()) {
            combine(cx, k, Walk::AcrossChange, &mut seen, &mut reported, &mut out);
        }
        // last, at journeys nothing is said at yet, combinations with audiences that
        // neither a history nor a proof decides: said as undecided, not passed over
        if cx.proven_only {
            combine(cx, k, Walk::Undecided, &mut seen, &mut reported, &mut out);
        }
    }
    out
}

/// The walks of [`combine`] over one cap, in order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Journeys whose audiences certainly overlap, or may with a witness history.
    Decided,
    /// Each journey's densest window across a change of the clocks.
    AcrossChange,
    /// Also audiences that may overlap where neither a history nor a proof decides
    /// (`journey check` only), at journeys the walks before said nothing at.
    Undecided,
}

/// The combinations of journeys that pass cap `k`, each journey counted with its
/// densest window, or with its densest across a change of the clocks (the
/// [`Walk::AcrossChange`]: then only combinations that do not pass it without the
/// change). The walks after the first take combinations not in `seen`, at journeys
/// not yet `reported` at.
fn combine(
    cx: &Cross,
    k: usize,
    walk: Walk,
    seen: &mut BTreeSet<Vec<usize>>,
    reported: &mut [bool],
    out: &mut Vec<(Finding, Diagnostic)>,
) {
    let across = walk == Walk::AcrossChange;
    let later = walk != Walk::Decided;
    let cap = &cx.caps[k];
    let count = |j: usize| cx.plans[j].window(k, across).count;
    // journeys that count against this cap without breaking it alone (one that may
    // break it alone across a change is J401's)
    let mut eligible: Vec<usize> =
        cx.order.iter().copied().filter(|&j| count(j) > 0 && count(j) <= cap.count).collect();
    eligible.sort_by_key(|&j| (std::cmp::Reverse(count(j)), cx.rank[j]));
    // predicates turned down in the walk of one journey: members are only added,
    // so a journey turned down for one member's audience turns down every later
    // journey of its predicate (the walks ask about a million pairs on 1,000
    // journeys)
    let mut refused = vec![false; cx.preds.len()];
    let mut refused_list: Vec<usize> = Vec::new();
    for &b in &cx.order {
        if count(b) == 0 || count(b) > cap.count || (later && reported[b]) {
            continue;
        }
        for p in refused_list.drain(..) {
            refused[p] = false;
        }
        let mut members = vec![b];
        let mut sum = count(b);
        let mut reached = sum;
        for &a in &eligible {
            if reached > cap.count {
                break;
            }
            if cx.rank[a] >= cx.rank[b] || refused[cx.pred_of[a]] {
                continue;
            }
            let fits = !members.iter().any(|&m| cx.quickly_disjoint(a, m))
                && members.iter().all(|&m| match walk {
                    Walk::Undecided => may_combine(cx, a, m),
                    _ => cx.related(a, m, cx.verdict(a, m)).is_some(),
                });
            if !fits {
                // (not remembered in the plain analysis, the oracle of this)
                if !cx.plainly {
                    refused[cx.pred_of[a]] = true;
                    refused_list.push(cx.pred_of[a]);
                }
                continue;
            }
            members.push(a);
            sum += count(a);
            reached = reach(cx, k, &members, sum, across);
        }
        if reached <= cap.count {
            continue;
        }
        if across {
            // certain without the change: the first walk's (or a combination it did
            // not pick, which its largest-first walk leaves out as it leaves out others)
            let certain: u64 = members.iter().map(|&j| cx.plans[j].windows[k].count).sum();
            if reach(cx, k, &members, certain, false) > cap.count {
                continue;
            }
        }
        let mut key = members.clone();
        key.sort_unstable();
        if !seen.insert(key) {
            continue;
        }
        // on may-overlaps, one customer must be in every member at once
        let certain = members
            .iter()
            .enumerate()
            .all(|(i, &x)| members[i + 1..].iter().all(|&y| cx.verdict(x, y) == Overlap::CertainlyOverlaps));
        let joint = if certain {
            Joint::Certain
        } else if cx.lean && !cx.proven_only {
            // the view's own combinations are all marked may-overlap ([`super::view_caps`])
            Joint::Certain
        } else if cx.lean {
            if cx.has_joint_history(&members) {
                Joint::Witnessed(None)
            } else {
                match cx.joint_undecided(&members) {
                    Some(u) => Joint::Undecided(u),
                    None => continue,
                }
            }
        } else {
            match cx.joint_history(&members) {
                Some(h) => Joint::Witnessed(Some((h, members.clone()))),
                // every pair has a history but the whole combination none: said
                // so when nothing proves it impossible (issue 13)
                None if cx.proven_only => match cx.joint_undecided(&members) {
                    Some(u) => Joint::Undecided(u),
                    None => continue,
                },
                None => Joint::Certain,
            }
        };
        reported[b] = true;
        out.push(report(cx, k, &members, (reached, sum), joint, across));
    }
}

/// Can `a` and `b` be members of one combination of [`Walk::Undecided`]:
/// [`Cross::related`], or audiences that may overlap where neither a witness history
/// nor a proof decides. Those combinations are said as undecided: left out, a cap the engine
/// refuses sends on was passed over in silence (four journeys of the B2B project
/// sent a fifth `in_app` message within the week; one pair's audiences read an
/// account aggregate, which the history search does not build).
fn may_combine(cx: &Cross, a: usize, b: usize) -> bool {
    let overlap = cx.verdict(a, b);
    cx.related(a, b, overlap).is_some() || (overlap == Overlap::MayOverlap && cx.undecided(a, b).is_some())
}

/// How many of the sends of `members`' densest windows against cap `k` (`sum` of
/// them) can go out: for a program cap, those the channel and policy caps let
/// through ([`super::schedule::let_through`]: the engine refuses a send over one of
/// them before it counts against a program cap, so their sum alone can overstate
/// it); `sum` for the others.
fn reach(cx: &Cross, k: usize, members: &[usize], sum: u64, across: bool) -> u64 {
    let cap = &cx.caps[k];
    if cap.category.is_none() {
        return sum;
    }
    let mut sent: Vec<(&str, u64)> = Vec::new();
    for &j in members {
        for &n in &cx.plans[j].window(k, across).nodes {
            if let Step::Send { channel, .. } = &cx.journey(j).nodes[n].step {
                match sent.iter_mut().find(|(c, _)| *c == channel) {
                    Some(e) => e.1 += 1,
                    None => sent.push((channel.as_str(), 1)),
                }
            }
        }
    }
    super::schedule::let_through(cx.program, cap.window, &sent).min(sum)
}

/// What is known of one customer in every member of a combination at once.
enum Joint {
    /// Every two members' audiences certainly overlap (or the view's own walk, which
    /// does not ask).
    Certain,
    /// A witness history puts one customer in all of them, and the journeys it is
    /// about (`None`: decided without building it, [`Cross::lean`]).
    Witnessed(Option<(super::History, Vec<usize>)>),
    /// Neither a history nor a proof that none exists.
    Undecided(std::rc::Rc<super::Undecided>),
}

/// A J603 finding as the view keeps it ([`Cross::lean`]): without its witness
/// history, and its diagnostic with its primary label alone (what journey.yaml's
/// rules read). The view reads nothing else of them.
pub fn lean((f, d): (Finding, Diagnostic)) -> (Finding, Diagnostic) {
    let primary = d.primary_label().cloned();
    let mut lean = Diagnostic::new(d.code, d.message.clone()).with_severity(d.severity);
    if let Some(l) = primary {
        lean = lean.primary(l.file, l.span, l.message);
    }
    if d.may_overlap {
        lean = lean.may_overlap();
    }
    (Finding { witness: None, ..f }, lean)
}

fn report(
    cx: &Cross,
    k: usize,
    members: &[usize],
    (sum, windows): (u64, u64),
    joint: Joint,
    across: bool,
) -> (Finding, Diagnostic) {
    let (witness, undecided) = match joint {
        Joint::Certain => (None, None),
        Joint::Witnessed(w) => (Some(w), None),
        Joint::Undecided(u) => (None, Some(u)),
    };
    let undecided = undecided.as_deref();
    let cap = &cx.caps[k];
    let b = members[0];
    let jb = cx.journey(b);
    let mut others: Vec<usize> = members[1..].to_vec();
    others.sort_by_key(|&j| cx.rank[j]);
    let names: Vec<&str> = others.iter().map(|&j| cx.journey(j).name.as_str()).collect();
    let window = fmt_minutes(cap.window);
    let message = if across {
        format!(
            "`{}` and {} may together send one customer {sum} {}within {window} when the clocks change, over {}",
            jb.name,
            super::some_names(&names, LISTED),
            cap.messages(),
            cap.over()
        )
    } else {
        format!(
            "`{}` and {} can together send one customer {sum} {}within {window}, over {}",
            jb.name,
            super::some_names(&names, LISTED),
            cap.messages(),
            cap.over()
        )
    };
    let wb = cx.plans[b].window(k, across);
    let last = *wb.nodes.last().expect("a counted window has sends");
    let o = &jb.nodes[last].origin;
    let mut d = Diagnostic::new("J603", message.clone()).primary(
        o.file,
        o.span,
        format!("`{}` sends {} of them, up to here", jb.name, wb.count),
    );
    let mut parts: Vec<(usize, Option<usize>)> = wb.nodes.iter().map(|&n| (b, Some(n))).collect();
    for &a in &others {
        parts.extend(cx.plans[a].window(k, across).nodes.iter().map(|&n| (a, Some(n))));
    }
    parts.dedup();
    if !cx.proven_only || cx.lean {
        // The view reads of a diagnostic only what journey.yaml's rules look at (code,
        // severity, may-overlap, primary file) and shows the finding: the secondary
        // labels and the notes, half of J603 in the view on 5,000 journeys, are
        // `journey check`'s.
        let d = if witness.is_some() || undecided.is_some() {
            d.with_severity(super::may_severity("J603")).may_overlap()
        } else {
            d
        };
        let witness = witness.flatten();
        return (Finding { code: "J603", severity: d.severity, message, parts, witness, group: None }, d);
    }
    let witness = witness.flatten();
    for &a in others.iter().take(LISTED) {
        let ja = cx.journey(a);
        let w = cx.plans[a].window(k, across);
        let ao = &ja.nodes[w.nodes[0]].origin;
        d = d.secondary(ao.file, ao.span, format!("`{}` sends {} from here", ja.name, w.count));
    }
    d = d.secondary(cap.origin.file, cap.origin.span, "the cap is declared here");
    for &j in members.iter().take(LISTED + 1) {
        let w = cx.plans[j].window(k, across);
        let when =
            if across && cx.plans[j].across_change[k].is_some() { " across a change of the clocks," } else { "" };
        d = d.note(format!("`{}`: {} within {window}{when} on the path {}", cx.journey(j).name, w.count, w.path));
    }
    if across {
        d = d.note(clocks_note(cx, k, members, &window));
    }
    if sum < windows {
        d = d.note(format!(
            "the channels' and the policy's caps let {sum} of these {windows} through: the engine refuses a send over them before it counts against the {}",
            cap.over().trim_start_matches("the ")
        ));
    }
    let d = match &witness {
        Some((h, _)) => {
            let sev = super::may_severity("J603");
            d.note(format!("e.g. a customer with {h} is in all of them at once")).with_severity(sev).may_overlap()
        }
        None => match undecided {
            Some(u) => {
                let sev = super::may_severity("J603");
                d.note(format!(
                    "undecided: the analysis could neither find a customer in all of them at once nor rule one out: {u}"
                ))
                .with_severity(sev)
                .may_overlap()
            }
            None => d,
        },
    };
    let d = d.help(format!(
        "make the audiences disjoint or space the sends out: past {} per {window} the engine {}, whichever journey sends them (priority only orders sends due at the same instant)",
        cap.count,
        journey_ir::OVER_CAP
    ));
    (Finding { code: "J603", severity: d.severity, message, parts, witness, group: None }, d)
}

/// Why a combination counted across a change of the clocks is undecided: the members
/// whose passes hold more then, and the first change of their zone.
fn clocks_note(cx: &Cross, k: usize, members: &[usize], window: &str) -> String {
    let moved: Vec<usize> = members.iter().copied().filter(|&j| cx.plans[j].across_change[k].is_some()).collect();
    let names: Vec<&str> = moved.iter().map(|&j| cx.journey(j).name.as_str()).collect();
    let names = super::some_names(&names, LISTED);
    let change = moved.iter().find_map(|&j| cx.plans[j].clock_change.as_ref());
    let where_ = match change {
        Some((zone, day)) => format!("the clocks change in {zone} (first on {day})"),
        None => "the clocks change where a customer lives".to_string(),
    };
    format!(
        "undecided: {where_}; across a change, sends of {names} counted on the clock (passes run after run, or a `wait until` a time of day) can come closer in real time, within {window}, and the analysis counts the clock, not the change"
    )
}
