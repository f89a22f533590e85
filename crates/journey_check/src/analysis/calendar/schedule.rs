//! Where each send of a journey falls, relative to the customer's entry, and each
//! journey's densest window for every cap.
//!
//! Paths are walked depth first from the start with the minimum elapsed time of
//! [`super::super::paths`]: a `wait` adds its duration, `wait up to D for E` adds 0 on
//! `then` and `D` on `timeout`, `wait until` a date adds 0, and `wait until` a time
//! adds 0 unless a scheduled entry has fixed the clock in its zone (then the time to
//! reach it). Sends are placed the same way, but for a customer in the program time
//! zone, whose `local` is the program's zone ([`shown_add`]). A
//! journey customers re-enter on a schedule counts its passes run after run (see
//! [`super::super::recurring`]) where a path ends. A node is visited
//! at most `largest cap count + 1` times on one path (at least twice, at most 64), and a
//! journey is given up after [`BUDGET`] steps, keeping what was found: counts are then
//! a lower bound, never an overstatement.

use super::super::recurring::Recurrence;
use super::super::{NodeLookup, Target};
use journey_ir::{successors, CategoryCap, ChannelKind, Journey, Origin, Program, Step, Transition, Trigger, Zone};
use std::collections::BTreeSet;

/// The local time of day at a point of a path, when the path fixes it.
type Clock = Option<(u32, Zone)>;

/// Node visits explored per journey.
pub const BUDGET: usize = 20_000;

/// A cap that sends of several journeys count against together.
#[derive(Debug, Clone)]
pub struct CapRule {
    /// `Some(channel)` for a channel's own cap, `None` for a policy or program cap.
    pub channel: Option<String>,
    /// Policy cap channels (`None`: every message channel).
    pub listed: Option<Vec<String>>,
    /// issue 15: a program cap of journey.yaml (`program: caps`), over every message
    /// channel of its category.
    pub category: Option<CategoryCap>,
    pub count: u64,
    pub window: u64,
    pub origin: Origin,
}

impl CapRule {
    /// Does a send on `channel` count against this cap?
    pub fn applies(&self, program: &Program, channel: &str) -> bool {
        if let Some(c) = &self.category {
            return c.applies(program, channel);
        }
        match (&self.channel, &self.listed) {
            (Some(c), _) => c == channel,
            (None, Some(list)) => list.iter().any(|c| c == channel),
            (None, None) => program.channel(channel).is_some_and(|c| c.kind.is_message()),
        }
    }

    /// `on `email` `, `on `email` and `sms` `, or nothing for every channel (and for
    /// a program cap, whose category [`Self::messages`] names).
    pub fn scope(&self) -> String {
        match (&self.channel, &self.listed) {
            _ if self.category.is_some() => String::new(),
            (Some(c), _) => format!("on `{c}` "),
            (None, Some(list)) => format!("on {} ", super::super::list_names(list)),
            (None, None) => String::new(),
        }
    }

    /// The sends counted, as messages say them: `messages on `email` `, `messages `,
    /// `promotional messages `.
    pub fn messages(&self) -> String {
        match &self.category {
            Some(c) => format!("{} messages ", c.category),
            None => format!("messages {}", self.scope()),
        }
    }

    /// The cap, as messages end: `its cap of 3 per 7d`, `the policy cap of 3 per 7d`,
    /// `the program cap `promotional: 3 per week`` (as journey.yaml writes it).
    pub fn over(&self) -> String {
        let window = super::super::logic::fmt_minutes(self.window);
        match &self.category {
            Some(c) => format!("the {}", c.describe()),
            None if self.channel.is_some() => format!("its cap of {} per {window}", self.count),
            None => format!("the policy cap of {} per {window}", self.count),
        }
    }
}

/// How many of `sent` sends, `(channel, how many)` within a program cap's `window`,
/// the channel and policy caps let through at most: a channel cap over at least that
/// window lets its count through, a policy cap over at least that window its count
/// over its channels. The engine refuses a send over one of those before it counts
/// against a program cap, so a program cap these keep the sends under cannot be
/// passed (and never more than this many of its sends go out within its window).
pub fn let_through(program: &Program, window: u64, sent: &[(&str, u64)]) -> u64 {
    let own = |c: &str, n: u64| match program.channel(c).and_then(|ch| ch.cap.as_ref()) {
        Some(cap) if cap.window_minutes >= window => n.min(cap.count),
        _ => n,
    };
    let each: Vec<u64> = sent.iter().map(|&(c, n)| own(c, n)).collect();
    let mut most: u64 = each.iter().sum();
    for pc in program.policy.caps.iter().filter(|pc| pc.cap.window_minutes >= window) {
        let listed = |c: &str| match &pc.channels {
            Some(list) => list.iter().any(|l| l == c),
            None => program.channel(c).is_some_and(|ch| ch.kind.is_message()),
        };
        let (mut inside, mut outside) = (0u64, 0u64);
        for (&(c, _), &n) in sent.iter().zip(&each) {
            if listed(c) {
                inside += n;
            } else {
                outside += n;
            }
        }
        most = most.min(inside.min(pc.cap.count) + outside);
    }
    most
}

/// Every channel cap, then every policy cap, then every program cap (journey.yaml).
pub fn caps(program: &Program) -> Vec<CapRule> {
    let mut caps = Vec::new();
    for c in &program.channels {
        if let Some(cap) = &c.cap {
            caps.push(CapRule {
                channel: Some(c.name.clone()),
                listed: None,
                category: None,
                count: cap.count,
                window: cap.window_minutes,
                origin: c.origin.clone(),
            });
        }
    }
    for pc in &program.policy.caps {
        caps.push(CapRule {
            channel: None,
            listed: pc.channels.clone(),
            category: None,
            count: pc.cap.count,
            window: pc.cap.window_minutes,
            origin: pc.origin.clone(),
        });
    }
    for cc in &program.rules.category_caps {
        caps.push(CapRule {
            channel: None,
            listed: None,
            category: Some(cc.clone()),
            count: cc.cap.count,
            window: cc.cap.window_minutes,
            origin: cc.origin.clone(),
        });
    }
    caps
}

/// A send of a journey, placed in time.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSend {
    /// Position in `journey.nodes`.
    pub node: usize,
    pub channel: String,
    pub template: String,
    pub tags: Vec<String>,
    /// When the calendar places the send after entry, in minutes: the least time on
    /// any path for a customer in the program time zone ([`shown_add`]).
    pub offset: u64,
}

/// The worst window of one journey against one cap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Sends within one cap window on one path.
    pub count: u64,
    /// The nodes of those sends (repeats for a loop).
    pub nodes: Vec<usize>,
    /// Stage names along the path up to the last of them: `a → b`.
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct JourneyPlan {
    /// Message sends reachable from the start, in node order.
    pub sends: Vec<PlannedSend>,
    /// Random splits reachable from the start (experiments), by node.
    pub splits: Vec<usize>,
    /// issue 15: tasks for a team reachable from the start, as (node, least minutes
    /// from entry), in node order. Not messages: no cap or conflict counts them.
    pub tasks: Vec<(usize, u64)>,
    /// For each cap of [`caps`], the densest window.
    pub windows: Vec<Window>,
    /// For each cap, the densest window of a journey customers re-enter on a schedule
    /// counted across a change of the clocks, when it holds more than `windows`: the
    /// passes' sends less than the window + 1h apart on the wall clock, which a change
    /// can bring within the window ([`Recurrence::densest_across_change`]). J603 says
    /// of a combination that passes a cap only with these that it may (undecided),
    /// never nothing.
    pub across_change: Vec<Option<Window>>,
    /// Where the schedule's zone first changes its clocks (the example of
    /// `across_change`); `None` for each customer's own zone.
    pub clock_change: Option<(String, chrono::NaiveDate)>,
}

impl JourneyPlan {
    /// The densest window against cap `k`, across a change of the clocks or not.
    pub fn window(&self, k: usize, across: bool) -> &Window {
        match &self.across_change[k] {
            Some(w) if across => w,
            _ => &self.windows[k],
        }
    }
}

/// The successors of each node and the start, resolved as [`super::super::Cx::new`]
/// resolves them: `(edge position, target)` per node. The walk needs nothing else of a
/// [`super::super::Cx`], whose graph, predecessors and reachability were a sixth of
/// the calendar's analysis on 5,000 journeys (the tests compare the two).
pub(crate) struct Edges {
    pub(crate) succ: Vec<Vec<(usize, Target)>>,
    pub(crate) start: Target,
}

impl Edges {
    pub(crate) fn new(journey: &Journey) -> Edges {
        let lookup = NodeLookup::new(journey);
        let resolve = |t: &Transition| match t {
            Transition::Node(id) => lookup.get(id).map_or(Target::Missing, Target::Node),
            Transition::End => Target::End,
            Transition::Journey(_) => Target::Handover,
        };
        let succ = (journey.nodes.iter())
            .map(|node| successors(&node.step).into_iter().enumerate().map(|(pos, (_, t))| (pos, resolve(t))).collect())
            .collect();
        Edges { succ, start: resolve(&journey.start) }
    }
}

/// Stage names along a node path, consecutive repeats collapsed (`a → b → a`), as
/// [`super::super::Cx::stage_path`] writes them.
fn stage_path(journey: &Journey, nodes: &[usize]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for &n in nodes {
        let s = journey.nodes[n].stage.as_str();
        if names.last() != Some(&s) {
            names.push(s);
        }
    }
    names.join(" → ")
}

/// What a walk of the paths keeps of the least real times across a change of the
/// clocks ([`plan_on`]).
struct Least {
    after: Vec<(u64, bool)>,
    of_recs: Vec<u64>,
    across: Vec<Option<Window>>,
}

/// The minutes a `wait until minute_of_day` in `zone` takes, as the calendar places
/// the steps after it: from the clock the path fixes, for a customer without a zone of
/// their own, in the program time zone (the one whose times the calendar shows, see
/// docs/calendar.md), for whom `local` and the program's zone are one clock; nothing
/// when the path does not fix the clock in that zone. The cap counts take the least
/// over every customer instead (a customer elsewhere may reach 14:00 local the moment
/// a 09:00 New York entry happens).
fn shown_add(program: &Program, clock: &Clock, minute_of_day: u32, zone: &Zone) -> u64 {
    fn name<'a>(program: &'a Program, z: &'a Zone) -> &'a str {
        match z {
            Zone::Customer => program.timezone.as_str(),
            Zone::Named(n) => n.as_str(),
        }
    }
    match clock {
        Some((m, z)) if name(program, z) == name(program, zone) => until_clock(*m, minute_of_day),
        _ => 0,
    }
}

/// Minutes from a clock showing `from` to the next time it shows `to` (none when it
/// does already), on the wall clock.
fn until_clock(from: u32, to: u32) -> u64 {
    (i64::from(to) - i64::from(from)).rem_euclid(1440) as u64
}

/// Place the sends of `journey` and find its densest window for each cap.
pub fn plan(program: &Program, journey: &Journey, caps: &[CapRule]) -> JourneyPlan {
    plan_with(program, journey, caps, &crate::analysis::JourneyFacts::of(program, journey))
}

/// [`plan`] with the journey's facts already worked out (its recurrence).
pub fn plan_with(
    program: &Program,
    journey: &Journey,
    caps: &[CapRule],
    facts: &crate::analysis::JourneyFacts,
) -> JourneyPlan {
    plan_on(program, journey, caps, &Edges::new(journey), facts.recurrence.as_ref(), |path| stage_path(journey, path))
}

/// [`plan`] on the edges of a whole [`super::super::Cx`], the oracle of [`Edges`]
/// (tests/cross_oracle.rs).
pub fn plan_plainly(program: &Program, journey: &Journey, caps: &[CapRule]) -> JourneyPlan {
    let cx = super::super::Cx::new(program, journey);
    let edges = Edges { succ: cx.succ.clone(), start: cx.start };
    plan_on(program, journey, caps, &edges, cx.facts.recurrence.as_ref(), |path| cx.stage_path(path))
}

fn plan_on(
    program: &Program,
    journey: &Journey,
    caps: &[CapRule],
    cx: &Edges,
    recurrence: Option<&Recurrence>,
    stage_path: impl Fn(&[usize]) -> String,
) -> JourneyPlan {
    let step = |i: usize| &journey.nodes[i].step;
    let n = journey.nodes.len();
    let is_message = |c: &str| program.channel(c).is_some_and(|c| c.kind.is_message());
    // live edges: (target, minutes added); arms to the same place after the same time
    // give the same timings
    // (target, minutes added, does the edge forget the clock: a wait-for's `then`)
    let edges: Vec<Vec<(Target, u64, bool)>> = (0..n)
        .map(|i| {
            let mut out: Vec<(Target, u64, bool)> = Vec::new();
            for &(pos, t) in &cx.succ[i] {
                let add = match step(i) {
                    Step::Wait { minutes, .. } => *minutes,
                    // issue 15: the shortest a business-day wait takes (nothing off in
                    // between); the calendar says so beside the journey
                    Step::WaitBusinessDays { days, .. } => days.saturating_mul(1440),
                    Step::WaitFor { timeout_minutes, .. } if pos == 1 => *timeout_minutes,
                    _ => 0,
                };
                let resets = matches!(step(i), Step::WaitFor { .. }) && pos == 0;
                if !out.contains(&(t, add, resets)) {
                    out.push((t, add, resets));
                }
            }
            out
        })
        .collect();
    let max = caps.iter().map(|c| c.count).max().unwrap_or(1);
    let limit = max.saturating_add(1).clamp(2, 64) as u32;
    // per node, the least time the calendar shows it at ([`shown_add`])
    let mut offset: Vec<Option<u64>> = vec![None; n];
    let mut windows = vec![Window::default(); caps.len()];
    let mut visits = vec![0u32; n];
    // sends on the current path: (node, time)
    let mut recs: Vec<(usize, u64)> = Vec::new();
    let channel_of = |i: usize| match step(i) {
        Step::Send { channel, .. } => channel.as_str(),
        _ => "",
    };
    let mut path: Vec<usize> = Vec::new();
    // (node, elapsed when its edges start, local time of day then, next edge, elapsed
    // as the calendar shows it)
    let mut stack: Vec<(usize, u64, Clock, usize, u64)> = Vec::new();
    let mut steps = 0usize;
    // customers re-entered run after run: every pass that ends adds its sends again
    let mut weighed: BTreeSet<(usize, Vec<u64>, u64)> = BTreeSet::new();
    let mut across_change: Vec<Option<Window>> = vec![None; caps.len()];
    let mut pass_ends = |length: u64, recs: &[(usize, u64)], path: &[usize], windows: &mut Vec<Window>| {
        let Some(recurrence) = recurrence else { return };
        for (k, cap) in caps.iter().enumerate() {
            let counted: Vec<(usize, u64)> =
                recs.iter().copied().filter(|&(rn, _)| cap.applies(program, channel_of(rn))).collect();
            if counted.is_empty() {
                continue;
            }
            let times: Vec<u64> = counted.iter().map(|r| r.1).collect();
            if !weighed.insert((k, times.clone(), length)) {
                continue;
            }
            let densest = recurrence.densest(&times, length, cap.window, None);
            if densest.count > windows[k].count {
                windows[k] = Window {
                    count: densest.count,
                    nodes: densest.picks.iter().map(|&i| counted[i].0).collect(),
                    path: stage_path(path),
                };
            }
            if let Some(d) = recurrence.densest_across_change(&times, length, cap.window) {
                if d.count > across_change[k].as_ref().map_or(0, |w| w.count) {
                    across_change[k] = Some(Window {
                        count: d.count,
                        nodes: d.picks.iter().map(|&i| counted[i].0).collect(),
                        path: stage_path(path),
                    });
                }
            }
        }
    };
    // the least real times across a change of the clocks, as the path proofs count
    // them (`Walker::lo_after`): per node of the path after it, per send on it, and
    // per cap the densest window one pass may hold then
    let mut least = Least { after: Vec::new(), of_recs: Vec::new(), across: vec![None; caps.len()] };
    let dst = |z: &Zone| super::super::recurring::zone_changes_clocks(program, z);
    let mut enter = |node: usize,
                     t: u64,
                     shown: u64,
                     add_before: u64,
                     clock: Clock,
                     visits: &mut Vec<u32>,
                     recs: &mut Vec<(usize, u64)>,
                     path: &mut Vec<usize>,
                     windows: &mut Vec<Window>,
                     least: &mut Least|
     -> (u64, u64, Clock) {
        let (lo_before, fuzzy_before) = least.after.last().copied().unwrap_or((0, false));
        let lo = lo_before + add_before;
        let fuzzy = fuzzy_before || (add_before > 0 && clock.as_ref().is_some_and(|(_, z)| dst(z)));
        least.after.push((lo, fuzzy));
        visits[node] += 1;
        path.push(node);
        offset[node] = Some(offset[node].map_or(shown, |o| o.min(shown)));
        // a `wait until` a time of day takes the time to reach it when the path fixes
        // the clock (a scheduled entry), as in the path proofs
        if let Step::WaitUntilTime { minute_of_day, zone, .. } = step(node) {
            let shown = shown + shown_add(program, &clock, *minute_of_day, zone);
            let add = match &clock {
                Some((m, z)) if z == zone => until_clock(*m, *minute_of_day),
                _ => 0,
            };
            let shortest = match &clock {
                Some((_, z)) if z == zone && dst(zone) => super::super::paths::least_across_change(add, fuzzy),
                _ => add,
            };
            if let Some(last) = least.after.last_mut() {
                *last = (lo + shortest, false);
            }
            return (t + add, shown, Some((*minute_of_day, zone.clone())));
        }
        if let Step::Send { channel, .. } = step(node) {
            if is_message(channel) {
                recs.push((node, t));
                least.of_recs.push(lo);
                // without a `wait until` that may end sooner on the path, the least
                // times are the counted ones (most journeys): nothing more to count
                let shrunk = lo < t;
                for (k, cap) in caps.iter().enumerate() {
                    if !shrunk || !cap.applies(program, channel) {
                        continue;
                    }
                    let inside = |&(&(rn, _), &rl): &(&(usize, u64), &u64)| {
                        rl + cap.window > lo && cap.applies(program, channel_of(rn))
                    };
                    // counted first: the window is rarely the densest yet
                    let count = recs.iter().zip(&least.of_recs).filter(inside).count() as u64;
                    if count > least.across[k].as_ref().map_or(0, |w| w.count) {
                        let nodes = recs.iter().zip(&least.of_recs).filter(inside).map(|(r, _)| r.0).collect();
                        least.across[k] = Some(Window { count, nodes, path: stage_path(path) });
                    }
                }
                for (k, cap) in caps.iter().enumerate() {
                    if !cap.applies(program, channel) {
                        continue;
                    }
                    let inside =
                        |&&(rn, rt): &&(usize, u64)| rt + cap.window > t && cap.applies(program, channel_of(rn));
                    // counted first: the window is rarely the densest yet
                    let count = recs.iter().filter(inside).count() as u64;
                    if count > windows[k].count {
                        let nodes = recs.iter().filter(inside).map(|r| r.0).collect();
                        windows[k] = Window { count, nodes, path: stage_path(path) };
                    }
                }
            }
        }
        (t, shown, clock)
    };
    let clock0: Clock = match &journey.entry {
        Trigger::Schedule { minute_of_day, zone, .. } => Some((*minute_of_day, zone.clone())),
        _ => None,
    };
    if let Target::Node(start) = cx.start {
        let (t0, s0, c0) = enter(start, 0, 0, 0, clock0, &mut visits, &mut recs, &mut path, &mut windows, &mut least);
        if matches!(step(start), Step::End) {
            pass_ends(t0, &recs, &path, &mut windows);
        }
        stack.push((start, t0, c0, 0, s0));
    }
    while let Some(top) = stack.last_mut() {
        let (node, t, ei, shown) = (top.0, top.1, top.3, top.4);
        if ei >= edges[node].len() {
            stack.pop();
            visits[node] -= 1;
            path.pop();
            least.after.pop();
            if recs.last().is_some_and(|r| r.0 == node) {
                recs.pop();
                least.of_recs.pop();
            }
            continue;
        }
        top.3 += 1;
        let clock = top.2.clone();
        let (target, add, resets) = edges[node][ei];
        let next = match target {
            Target::Node(next) => next,
            Target::End | Target::Handover => {
                pass_ends(t + add, &recs, &path, &mut windows);
                continue;
            }
            Target::Missing => continue,
        };
        if visits[next] >= limit {
            continue;
        }
        steps += 1;
        if steps > BUDGET {
            break;
        }
        // the clock survives fixed waits; an awaited event can come at any time
        let clock = if resets { None } else { clock.map(|(m, z)| (((m as u64 + add) % 1440) as u32, z)) };
        let (tn, sn, cn) =
            enter(next, t + add, shown + add, add, clock, &mut visits, &mut recs, &mut path, &mut windows, &mut least);
        if matches!(step(next), Step::End) {
            pass_ends(tn, &recs, &path, &mut windows);
        }
        stack.push((next, tn, cn, 0, sn));
    }
    let sends = journey
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| match &node.step {
            Step::Send { channel, template, tags, .. } if is_message(channel) => Some(PlannedSend {
                node: i,
                channel: channel.clone(),
                template: template.clone(),
                tags: tags.clone(),
                offset: offset[i]?,
            }),
            _ => None,
        })
        .collect();
    let splits = (0..n).filter(|&i| offset[i].is_some() && matches!(step(i), Step::Split { .. })).collect();
    let tasks = (0..n).filter_map(|i| matches!(step(i), Step::Task { .. }).then_some((i, offset[i]?))).collect();
    // one pass's own densest window across a change, where it holds more
    for (k, w) in least.across.into_iter().enumerate() {
        if w.as_ref().map_or(0, |w| w.count) > across_change[k].as_ref().map_or(0, |a| a.count) {
            across_change[k] = w;
        }
    }
    // kept only where the clocks add to what is certain (a pass's own window, or the
    // passes counted on the wall clock, may already hold as many)
    for (k, w) in across_change.iter_mut().enumerate() {
        if w.as_ref().is_some_and(|w| w.count <= windows[k].count) {
            *w = None;
        }
    }
    let clock_change =
        across_change.iter().any(Option::is_some).then(|| recurrence.and_then(Recurrence::clock_change)).flatten();
    JourneyPlan { sends, splits, tasks, windows, across_change, clock_change }
}

/// The kind of a channel, when declared.
pub fn kind(program: &Program, channel: &str) -> Option<ChannelKind> {
    program.channel(channel).map(|c| c.kind)
}
