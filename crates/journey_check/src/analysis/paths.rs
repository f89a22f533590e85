//! Guardrails proved along paths: J401 path-exceeds-cap (including caps reached by
//! a journey's own loops), J404 duplicate-template-on-path, J408 min-gap-on-path,
//! J412 conflicting-tags-on-path, and J402 send-in-quiet-hours.
//!
//! Paths are enumerated depth first from the start. On one path a node may be visited
//! at most `largest cap count + 1` times (at least twice), so loops that wait are
//! unrolled far enough to exceed any cap and to repeat a template. Each path carries
//! the *minimum* elapsed time: a `wait` adds its duration, `wait up to D for E` adds 0
//! on `then` (the event can come at once) and `D` on `timeout`, `wait until` a time or a
//! date adds 0 (it can be reached just before that moment) unless the path already
//! pinned that date attribute (a date-triggered entry, an earlier `wait until` it), in
//! which case it adds the difference of the offsets (less a day of slack after an
//! entry, whose time of day is not the wait's). Likewise a `wait until` a time of day
//! adds the time to reach it when the path fixes the clock (a scheduled entry, an
//! earlier `wait until` a time followed by fixed waits). So every reported timing
//! is one some customer can actually hit. Edges proven dead (see [`super::arms`],
//! [`super::waits`]) are skipped. Exploration stops after [`BUDGET`] steps per journey:
//! what was proven until then is kept, nothing more is reported for that journey.
//!
//! Not modelled: exit rules that may end a path early, and correlations between branch
//! conditions along one path (a path through `when x > 5` and then `when x <= 5` is
//! still explored).

use super::logic::{fmt_minutes, fmt_time_of_day};
use super::recurring::{Densest, EventEntry, Recurrence};
use super::{Cx, Target};
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir::{CategoryCap, ChannelKind, Origin, Step, Trigger, Zone};
use std::collections::BTreeSet;

/// Node visits explored per journey before giving up.
pub const BUDGET: usize = 50_000;

/// The local time of day at a point of a path, when the path fixes it.
type Clock = Option<(u32, Zone)>;

/// Minutes a change of the clocks moves real time off the wall clock.
const CLOCK_CHANGE: u64 = 60;

/// The least real time a `wait until` a time of day takes that the wall clock counts
/// as `add` minutes, where the clocks may change: an hour less across a change during
/// the wait; nothing for a time within the hour before the clock's (a time in the hour
/// the clocks skip in spring is moved forward by the gap, as the engine resolves it, so
/// it comes within the hour after the jump, and the hour they repeat in autumn comes
/// again); from a clock that may be an hour off (`fuzzy`), also
/// nothing when the hour takes it past the time it waits for.
pub(crate) fn least_across_change(add: u64, fuzzy: bool) -> u64 {
    if add + CLOCK_CHANGE >= 1440 || (fuzzy && add <= CLOCK_CHANGE) {
        0
    } else {
        add.saturating_sub(CLOCK_CHANGE)
    }
}

#[derive(Debug, Clone)]
struct CapRule<'a> {
    /// `Some(channel)` for a channel's own cap, `None` for a policy cap.
    channel: Option<&'a str>,
    /// Policy cap channels (`None`: every message channel).
    listed: Option<&'a [String]>,
    /// issue 15: a program cap of journey.yaml, over the message channels of its
    /// category.
    category: Option<&'a CategoryCap>,
    count: u64,
    window: u64,
    origin: &'a Origin,
}

impl CapRule<'_> {
    fn applies(&self, cx: &Cx, rec: &Rec) -> bool {
        if let Some(c) = self.category {
            return rec.is_send && c.applies(cx.program, rec.channel);
        }
        match (self.channel, self.listed) {
            (Some(c), _) => rec.channel == c,
            (None, Some(list)) => list.iter().any(|c| *c == rec.channel),
            (None, None) => rec.is_send && kind(cx, rec.channel).is_some_and(ChannelKind::is_message),
        }
    }
}

impl CapRule<'_> {
    /// What the cap counts and the cap itself, as J401 says them: (`messages on
    /// `email` `, `its cap of 3 per 7d`).
    fn words(&self) -> (String, String) {
        match (self.channel, self.listed, self.category) {
            (_, _, Some(cc)) => (format!("{} messages ", cc.category), format!("the {}", cc.describe())),
            (Some(c), _, _) => {
                (format!("messages on `{c}` "), format!("its cap of {} per {}", self.count, fmt_minutes(self.window)))
            }
            (None, Some(list), _) => (
                format!("messages on {} ", super::list_names(list)),
                format!("the policy cap of {} per {}", self.count, fmt_minutes(self.window)),
            ),
            (None, None, _) => {
                ("messages ".to_string(), format!("the policy cap of {} per {}", self.count, fmt_minutes(self.window)))
            }
        }
    }
}

fn kind(cx: &Cx, channel: &str) -> Option<ChannelKind> {
    cx.program.channel(channel).map(|c| c.kind)
}

/// A send, task or webhook on the current path.
#[derive(Debug, Clone)]
struct Rec<'a> {
    node: usize,
    t: u64,
    /// The least real time from entry to this send where the clocks may change
    /// ([`Walker::lo_after`]); `t` where they do not.
    lo: u64,
    channel: &'a str,
    template: Option<&'a str>,
    is_send: bool,
    tags: &'a [String],
}

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    let mut w = Walker::new(cx);
    w.recurring = (0..w.caps.len()).map(|_| None).collect();
    w.across_change = (0..w.caps.len()).map(|_| None).collect();
    w.run();
    w.report_recurring();
    w.out
}

struct Walker<'c, 'a> {
    cx: &'c Cx<'a>,
    caps: Vec<CapRule<'a>>,
    limit: u32,
    /// Live edges of each node: (target, minutes added, edge position).
    edges: Vec<Vec<(Target, u64, usize)>>,
    visits: Vec<u32>,
    /// Nodes of the current path and the edge position that led to each.
    path: Vec<(usize, usize)>,
    recs: Vec<Rec<'a>>,
    /// Moments of the path pinned to a date attribute: `(attribute, elapsed, offset,
    /// slack)`: at `elapsed` the clock reads at least `attribute + offset - slack`.
    anchors: Vec<(&'a str, u64, i64, i64)>,
    reported: BTreeSet<(&'static str, usize, usize, usize)>,
    out: Vec<Diagnostic>,
    /// A scheduled journey customers re-enter (`re_entry always`, `after DUR`).
    recurrence: Option<Recurrence>,
    /// Per cap, the passes that break it together (one pass alone does not).
    recurring: Vec<Option<Repeated>>,
    /// Per cap, passes that break it together only if a change of the clocks falls
    /// in the window ([`Recurrence::densest_across_change`]).
    across_change: Vec<Option<Repeated>>,
    /// Passes already weighed: (cap, send times, length, in doubt).
    weighed: BTreeSet<(usize, Vec<u64>, u64, bool)>,
    /// Path lengths at the `wait until` a time of day on the path whose wait the clock
    /// fixed, in a zone whose clocks change, and its zone (for the note).
    clock_waits: Vec<(usize, Zone)>,
    /// Per node of the path, after it: the least real time from entry, and whether the
    /// wall clock may be off the one the path counts (a fixed wait since the clock was
    /// last fixed, in a zone whose clocks change). A `wait until` a time of day the
    /// clock fixes is counted on the wall clock; across a change of the clocks it takes
    /// an hour less, or, when the clock it starts from is an hour off, up to a day less
    /// (`wait 12h` then `wait until 05:30` from 18:30: at 05:30 after the autumn change,
    /// so no wait at all, not 23h). Sends that break a cap only on these times may or
    /// may not break it: said as undecided, never left unsaid.
    lo_after: Vec<(u64, bool)>,
}

/// A pass that, repeated run after run, breaks a cap: what J401 says of it.
struct Repeated {
    densest: Densest,
    /// The pass's sends counted by the cap: (node, minutes from entry).
    sends: Vec<(usize, u64)>,
    length: u64,
    path: String,
    /// Why passes of a journey entered on an event may not come this close (an exit
    /// that may end a pass early, a filter that may turn the next entry down).
    doubt: Option<String>,
}

impl<'c, 'a> Walker<'c, 'a> {
    fn new(cx: &'c Cx<'a>) -> Self {
        let p = cx.program;
        let mut caps = Vec::new();
        for c in &p.channels {
            if let Some(cap) = &c.cap {
                caps.push(CapRule {
                    channel: Some(&c.name),
                    listed: None,
                    category: None,
                    count: cap.count,
                    window: cap.window_minutes,
                    origin: c.setting_origins.cap.as_ref().unwrap_or(&c.origin),
                });
            }
        }
        for pc in &p.policy.caps {
            caps.push(CapRule {
                channel: None,
                listed: pc.channels.as_deref(),
                category: None,
                count: pc.cap.count,
                window: pc.cap.window_minutes,
                origin: &pc.origin,
            });
        }
        for cc in &p.rules.category_caps {
            caps.push(CapRule {
                channel: None,
                listed: None,
                category: Some(cc),
                count: cc.cap.count,
                window: cc.cap.window_minutes,
                origin: &cc.origin,
            });
        }
        let max = caps.iter().map(|c| c.count).max().unwrap_or(1).clamp(1, 1000) as u32;
        let edges = (0..cx.journey.nodes.len())
            .map(|i| {
                cx.succ[i]
                    .iter()
                    .filter(|(pos, _)| !cx.dead_edges.contains(&(i, *pos)))
                    .map(|&(pos, t)| {
                        let add = match cx.step(i) {
                            Step::Wait { minutes, .. } => *minutes,
                            // issue 15: at least that many calendar days (no weekend or
                            // holiday in between), the shortest a path can take, which is
                            // what the cap and gap proofs need
                            Step::WaitBusinessDays { days, .. } => days.saturating_mul(1440),
                            Step::WaitFor { timeout_minutes, .. } if pos == 1 => *timeout_minutes,
                            _ => 0,
                        };
                        (t, add, pos)
                    })
                    .fold(Vec::new(), |mut unique: Vec<(Target, u64, usize)>, (t, add, pos)| {
                        // Arms that lead to the same node after the same time give the
                        // same paths; walking each would multiply the work by the number
                        // of arms at every branch (a wait-for's `then` is kept apart from
                        // its timeout: it forgets the clock).
                        let resets = |p: usize| matches!(cx.step(i), Step::WaitFor { .. }) && p == 0;
                        if !unique.iter().any(|&(u, a, p)| u == t && a == add && resets(p) == resets(pos)) {
                            unique.push((t, add, pos));
                        }
                        unique
                    })
            })
            .collect();
        Walker {
            cx,
            caps,
            limit: max + 1,
            edges,
            visits: vec![0; cx.journey.nodes.len()],
            path: Vec::new(),
            recs: Vec::new(),
            anchors: Vec::new(),
            reported: BTreeSet::new(),
            out: Vec::new(),
            recurrence: cx.facts.recurrence.clone(),
            recurring: Vec::new(),
            across_change: Vec::new(),
            weighed: BTreeSet::new(),
            clock_waits: Vec::new(),
            lo_after: Vec::new(),
        }
    }

    fn run(&mut self) {
        let Target::Node(start) = self.cx.start else { return };
        if let Trigger::DateAttribute { attribute, offset_minutes, minute_of_day, .. } = &self.cx.journey.entry {
            // entry is on the day of `attribute + offset`, at some time of that day: at
            // its `at HH:MM` when it says one (an hour later at most, where the clocks
            // skip that time), else at any time of the day
            let latest = minute_of_day.map_or(1440, |m| (i64::from(m) + 60).min(1440));
            self.anchors.push((attribute.as_str(), 0, *offset_minutes, latest));
        }
        // the local time of day when customers enter, if the entry fixes it
        let clock0 = match &self.cx.journey.entry {
            Trigger::Schedule { minute_of_day, zone, .. } => Some((*minute_of_day, zone.clone())),
            Trigger::DateAttribute { minute_of_day: Some(m), .. } => Some((*m, Zone::Customer)),
            _ => None,
        };
        // (node, elapsed when its edges start, local clock then, next edge to try)
        let mut stack: Vec<(usize, u64, Clock, usize)> = Vec::new();
        let mut steps = 0usize;
        let (t0, c0) = self.enter(start, 0, clock0, usize::MAX, 0);
        stack.push((start, t0, c0, 0));
        while let Some(top) = stack.last_mut() {
            let (node, t, ei) = (top.0, top.1, top.3);
            if ei >= self.edges[node].len() {
                stack.pop();
                self.leave(node);
                continue;
            }
            top.3 += 1;
            let clock = top.2.clone();
            let (target, add, pos) = self.edges[node][ei];
            let next = match target {
                Target::Node(next) => next,
                Target::End | Target::Handover => {
                    self.pass_ends(t + add);
                    continue;
                }
                Target::Missing => continue,
            };
            if self.visits[next] >= self.limit {
                continue;
            }
            steps += 1;
            if steps > BUDGET {
                return;
            }
            // the clock survives fixed waits; an awaited event can come at any time
            let clock = match self.cx.step(node) {
                Step::WaitFor { .. } if pos == 0 => None,
                _ => clock.map(|(m, z)| (((m as u64 + add) % 1440) as u32, z)),
            };
            let (tn, cn) = self.enter(next, t + add, clock, pos, add);
            if matches!(self.cx.step(next), Step::End) {
                self.pass_ends(tn);
            }
            stack.push((next, tn, cn, 0));
        }
    }

    /// Arrive at `node` at elapsed time `t` with local time of day `clock` (when the
    /// path has fixed it); returns when its outgoing edges start and the clock then.
    /// Only `wait until` steps take time here: a time of day the clock already fixes
    /// (`wait until 10:00` at a known 09:00 takes an hour), a date the path has already
    /// pinned.
    fn enter(&mut self, node: usize, t: u64, clock: Clock, via: usize, add: u64) -> (u64, Clock) {
        // the least real time to here: the node before's, and the fixed wait between
        let (lo_before, fuzzy_before) = self.lo_after.last().copied().unwrap_or((0, false));
        let lo = lo_before + add;
        let fuzzy = fuzzy_before
            || (add > 0
                && clock.as_ref().is_some_and(|(_, z)| super::recurring::zone_changes_clocks(self.cx.program, z)));
        self.lo_after.push((lo, fuzzy));
        self.visits[node] += 1;
        self.path.push((node, via));
        let (channel, template, is_send, tags) = match self.cx.step(node) {
            Step::Send { channel, template, tags, .. } => (channel, Some(template.as_str()), true, tags.as_slice()),
            Step::Task { channel, .. } => (channel, None, false, &[][..]),
            Step::Webhook { channel, template, .. } => (channel, Some(template.as_str()), false, &[][..]),
            Step::WaitUntilDate { attribute, offset_minutes, .. } => {
                let wait = self.date_wait(attribute, *offset_minutes, t);
                let end = t + wait;
                self.anchors.push((attribute.as_str(), end, *offset_minutes, 0));
                if let Some(last) = self.lo_after.last_mut() {
                    last.0 += wait;
                }
                // a wait that surely waits ends at the date's midnight, customer time
                // (language.md): a `wait until 10:00 local` after it takes 10 hours
                return (end, (wait > 0).then(|| (0, Zone::Customer)));
            }
            Step::WaitUntilTime { minute_of_day, zone, .. } => {
                let add = match &clock {
                    Some((m, z)) if z == zone => (*minute_of_day as i64 - *m as i64).rem_euclid(1440) as u64,
                    _ => 0,
                };
                let least = match &clock {
                    Some((_, z)) if z == zone && super::recurring::zone_changes_clocks(self.cx.program, zone) => {
                        self.clock_waits.push((self.path.len(), zone.clone()));
                        least_across_change(add, fuzzy)
                    }
                    _ => add,
                };
                if let Some(last) = self.lo_after.last_mut() {
                    *last = (lo + least, false);
                }
                return (t + add, Some((*minute_of_day, zone.clone())));
            }
            _ => return (t, clock),
        };
        let rec = Rec { node, t, lo, channel, template, is_send, tags };
        self.recs.push(rec.clone());
        self.caps_at(&rec);
        if is_send {
            self.duplicate_at(&rec);
            self.conflict_at(&rec);
            self.gap_at(&rec);
        }
        (t, clock)
    }

    /// The least time `wait until ATTR + offset` can take at elapsed time `t`, given an
    /// earlier moment of the path pinned to the same attribute (a date-triggered entry
    /// or an earlier `wait until` it): `wait until renewal_date - 7d` after entering at
    /// `renewal_date - 30d` takes at least 22 days (23, less a day for the entry's time
    /// of day). Without such a moment it can end at once.
    fn date_wait(&self, attribute: &str, offset: i64, t: u64) -> u64 {
        let Some(&(_, ta, oa, slop)) = self.anchors.iter().rev().find(|a| a.0 == attribute) else { return 0 };
        let gap = offset - oa - slop - (t - ta) as i64;
        gap.max(0) as u64
    }

    /// The current path ends `length` minutes after entry. In a journey customers
    /// re-enter on a schedule, its passes run after run may break a cap that one pass
    /// keeps; the densest such pass per cap is reported after the walk (J401).
    ///
    /// A journey entered on an event is entered again as soon as the engine lets the
    /// customer back in, and where it has an exit rule each pass may be cut short
    /// after any send ([`Recurrence::densest_with_exits`]): said as may.
    fn pass_ends(&mut self, length: u64) {
        let Some(recurrence) = self.recurrence.take() else { return };
        let cx = self.cx;
        let doubt = recurrence.event.as_ref().and_then(|e| e.doubt).map(str::to_string);
        for ci in 0..self.caps.len() {
            let cap = &self.caps[ci];
            let counted: Vec<&Rec> = self.recs.iter().filter(|r| cap.applies(cx, r)).collect();
            if counted.is_empty() {
                continue;
            }
            // one pass over the cap is reported where its last send is
            let alone = (0..counted.len())
                .map(|a| counted[a..].iter().filter(|r| r.t - counted[a].t < cap.window).count())
                .max()
                .unwrap_or(0);
            if alone as u64 > cap.count {
                continue;
            }
            let times: Vec<u64> = counted.iter().map(|r| r.t).collect();
            if !self.weighed.insert((ci, times.clone(), length, doubt.is_some())) {
                continue;
            }
            let certain = recurrence.densest(&times, length, cap.window, None);
            // where the clocks change, passes within an hour of the window on the wall
            // clock may break the cap too: said as such, never left unsaid; passes of
            // an event entry that may not come this close are said as may too, and so
            // are passes an exit may cut short
            let exits = recurrence.event.is_some() && !cx.journey.exits.is_empty();
            let mut doubt = doubt.clone();
            let (densest, across) = if certain.count > cap.count {
                (certain, doubt.is_some())
            } else if exits {
                let d = recurrence.densest_with_exits(&times, length, cap.window);
                if d.count <= cap.count {
                    continue;
                }
                doubt = Some(
                    "an exit rule can end a pass right after one of its sends, so that the next enters sooner, if the exit comes"
                        .to_string(),
                );
                (d, true)
            } else {
                match recurrence.densest_across_change(&times, length, cap.window) {
                    Some(d) if d.count > cap.count => (d, true),
                    _ => continue,
                }
            };
            let kept = if across { &self.across_change[ci] } else { &self.recurring[ci] };
            if kept.as_ref().is_some_and(|r| r.densest.count >= densest.count) {
                continue;
            }
            if let Some(cc) = cap.category {
                // the channel and policy caps refuse first: a program cap they keep
                // these sends under cannot be passed
                let mut sent: Vec<(&str, u64)> = Vec::new();
                for &k in &densest.picks {
                    match sent.iter_mut().find(|(c, _)| *c == counted[k].channel) {
                        Some(e) => e.1 += 1,
                        None => sent.push((counted[k].channel, 1)),
                    }
                }
                if super::calendar::schedule::let_through(cx.program, cc.cap.window_minutes, &sent) <= cap.count {
                    continue;
                }
            }
            let sends = counted.iter().map(|r| (r.node, r.t)).collect();
            let path = self.render_path();
            let found = Some(Repeated { densest, sends, length, path, doubt: doubt.clone() });
            if across {
                self.across_change[ci] = found;
            } else {
                self.recurring[ci] = found;
            }
        }
        self.recurrence = Some(recurrence);
    }

    /// J401 for the passes of a recurring journey that break a cap together.
    fn report_recurring(&mut self) {
        let Some(rec) = self.recurrence.take() else { return };
        let cx = self.cx;
        let entry = &cx.journey.entry_origin;
        for (ci, (found, maybe)) in self.recurring.iter().zip(&self.across_change).enumerate() {
            // a certain break of the cap, else one across a change of the clocks
            let (f, across) = match (found, maybe) {
                (Some(f), _) => (f, false),
                (None, Some(f)) => (f, true),
                (None, None) => continue,
            };
            let cap = &self.caps[ci];
            if let Some(event) = &rec.event {
                self.out.push(reentry_finding(cx, cap, &rec, event, f));
                continue;
            }
            let (what, over) = cap.words();
            let d = &f.densest;
            let times: Vec<u64> = f.sends.iter().map(|s| s.1).collect();
            let within = if d.span == 0 { "at once".to_string() } else { format!("within {}", fmt_minutes(d.span)) };
            let window = fmt_minutes(cap.window);
            let first = f.sends[d.picks[0]].0;
            let o = cx.node_origin(first);
            let mut diag = if across {
                Diagnostic::new(
                    "J401",
                    format!(
                        "run after run, this path may send {} {what}within {window} when the clocks change, over {over}",
                        d.count
                    ),
                )
                .with_severity(journey_diagnostics::Severity::Warning)
                .primary(
                    o.file,
                    o.span,
                    format!(
                        "sent again on each pass: {} passes {} apart on the clock, which a change of the clocks brings within {window}",
                        d.entries,
                        fmt_minutes(d.span)
                    ),
                )
            } else {
                Diagnostic::new(
                    "J401",
                    format!("run after run, this path sends {} {what}{within}, over {over}", d.count),
                )
                .primary(
                    o.file,
                    o.span,
                    format!("sent again on each pass: {} passes in one {window} window", d.entries),
                )
            };
            diag = also_sent_on_each_pass(cx, diag, f, first)
                .secondary(entry.file, entry.span, format!("runs {}, with `{}`", rec.schedule, rec.rule))
                .secondary(cap.origin.file, cap.origin.span, "the cap is declared here");
            let again = match rec.after {
                0 => "at the first run after the previous pass ends".to_string(),
                a => format!(
                    "at the first run after the previous pass ends and {} after the previous entry",
                    fmt_minutes(a)
                ),
            };
            diag = diag.note(format!(
                "a customer still in the audience is entered again {again}; one pass takes {}",
                if f.length == 0 { "no time".to_string() } else { fmt_minutes(f.length) }
            ));
            diag = diag.note(format!("path: {}", f.path));
            if across {
                diag = diag.note(match rec.clock_change() {
                    Some((zone, day)) => format!(
                        "undecided: the clocks change in {zone} (first on {day}); across a change, sends up to an hour more than {window} apart on the clock can fall within {window}, and the analysis counts the clock, not the change"
                    ),
                    None => format!(
                        "undecided: where a customer's clocks change, sends up to an hour more than {window} apart on the clock can fall within {window}, and the analysis counts the clock, not the change"
                    ),
                });
            }
            let help = match rec.least_after(&times, f.length, cap.window, cap.count) {
                _ if across => format!(
                    "let customers back in less often (`re_entry after` more than {window}), run the schedule less often, or raise the cap"
                ),
                Some(a) => format!(
                    "let customers back in less often (`re_entry after {}`), run the schedule less often, or raise the cap",
                    fmt_minutes(a)
                ),
                None => "run the schedule less often, or raise the cap".to_string(),
            };
            self.out.push(diag.help(help));
        }
        self.recurrence = Some(rec);
    }

    fn leave(&mut self, node: usize) {
        self.visits[node] -= 1;
        if matches!(self.cx.step(node), Step::WaitUntilDate { .. }) {
            self.anchors.pop();
        }
        if self.clock_waits.last().is_some_and(|(at, _)| *at == self.path.len()) {
            self.clock_waits.pop();
        }
        self.lo_after.pop();
        self.path.pop();
        if self.recs.last().is_some_and(|r| r.node == node) {
            self.recs.pop();
        }
    }

    /// J401: does the send just appended make some cap's window hold `count + 1`?
    fn caps_at(&mut self, rec: &Rec<'a>) {
        let cx = self.cx;
        for (ci, cap) in self.caps.iter().enumerate() {
            if !cap.applies(cx, rec) {
                continue;
            }
            let hits: Vec<&Rec> = self.recs.iter().filter(|r| cap.applies(cx, r)).collect();
            let n = cap.count as usize;
            if hits.len() <= n {
                continue;
            }
            let first = hits[hits.len() - 1 - n];
            let span = rec.t - first.t;
            // across a change of the clocks, a `wait until` a time of day between them
            // may take less than the clock counts ([`Walker::lo_after`])
            let across = span >= cap.window && rec.lo - first.lo < cap.window;
            if span >= cap.window && !across {
                continue;
            }
            let earlier: Vec<&Rec> = hits[..hits.len() - 1]
                .iter()
                .copied()
                .filter(|r| if across { r.lo + cap.window > rec.lo } else { r.t + cap.window > rec.t })
                .collect();
            if let Some(cc) = cap.category {
                // a program cap the channel and policy caps keep these sends under
                // cannot be passed: the engine refuses a send over those first
                let mut sent: Vec<(&str, u64)> = Vec::new();
                for r in earlier.iter().copied().chain([rec]) {
                    match sent.iter_mut().find(|(c, _)| *c == r.channel) {
                        Some(e) => e.1 += 1,
                        None => sent.push((r.channel, 1)),
                    }
                }
                if super::calendar::schedule::let_through(cx.program, cc.cap.window_minutes, &sent) <= cap.count {
                    continue;
                }
            }
            if !self.reported.insert(("J401", ci, rec.node, usize::from(across))) {
                continue;
            }
            let (what, over) = cap.words();
            let within = if span == 0 { "at once".to_string() } else { format!("within {}", fmt_minutes(span)) };
            let o = cx.node_origin(rec.node);
            let window = fmt_minutes(cap.window);
            let mut d = if across {
                Diagnostic::new(
                    "J401",
                    format!("this path may send {} {what}within {window} when the clocks change, over {over}", n + 1),
                )
                .with_severity(journey_diagnostics::Severity::Warning)
                .primary(
                    o.file,
                    o.span,
                    format!("message {}, {} after the first on the clock, which a change of the clocks brings within {window}", n + 1, fmt_minutes(span)),
                )
            } else {
                Diagnostic::new("J401", format!("this path sends {} {what}{within}, over {over}", n + 1)).primary(
                    o.file,
                    o.span,
                    format!("message {} in the same {window} window", n + 1),
                )
            };
            let mut seen = BTreeSet::from([rec.node]);
            let mut looped = false;
            for r in &earlier {
                if r.node == rec.node {
                    looped = true;
                } else if seen.insert(r.node) {
                    let ro = cx.node_origin(r.node);
                    d = d.secondary(ro.file, ro.span, "an earlier message in the window");
                }
            }
            d = d.secondary(cap.origin.file, cap.origin.span, "the cap is declared here");
            if looped {
                d = d.note("a loop sends from the same step again inside the window");
            }
            if across {
                let zone = match self.clock_waits.last() {
                    Some((_, Zone::Named(z))) => format!("the clocks change in {z}"),
                    _ => "a customer's clocks may change".to_string(),
                };
                d = d.note(format!(
                    "undecided: a `wait until` a time of day lies between these sends and {zone}; across a change, it can end an hour sooner than the clock counts, or, after a fixed wait that crosses the change, up to a day sooner, and the analysis counts the clock, not the change"
                ));
            }
            let path = self.render_path();
            let help = if across {
                // a wait before a `wait until` a time of day may not move the send
                format!(
                    "space these sends further apart on the clock (at least {} more), or raise the cap",
                    fmt_minutes(cap.window - (rec.lo - first.lo))
                )
            } else {
                let extra = cap.window - span;
                format!("add a wait of at least {} between these sends or raise the cap", fmt_minutes(extra))
            };
            self.out.push(d.note(format!("path: {path}")).help(help));
        }
    }

    /// J412: an earlier send on this path carries another tag of a policy
    /// `conflicting` group within the conflict window: the engine refuses this send.
    fn conflict_at(&mut self, rec: &Rec<'a>) {
        let cx = self.cx;
        let policy = &cx.program.policy;
        let window = policy.conflict_window_minutes();
        let before = &self.recs[..self.recs.len() - 1];
        for group in &policy.conflicting {
            let Some(tag) = rec.tags.iter().find(|t| group.contains(t)) else { continue };
            let prev = before
                .iter()
                .rev()
                .find(|r| r.is_send && rec.t - r.t < window && r.tags.iter().any(|t| t != tag && group.contains(t)));
            let Some(prev) = prev else { continue };
            if !self.reported.insert(("J412", prev.node, rec.node, 0)) {
                continue;
            }
            let other = prev.tags.iter().find(|t| *t != tag && group.contains(t)).expect("found above");
            let o = cx.node_origin(rec.node);
            let po = cx.node_origin(prev.node);
            let d = Diagnostic::new(
                "J412",
                format!(
                    "a `{tag}` send {} a `{other}` send on one path, within the conflict window of {}",
                    match rec.t - prev.t {
                        0 => "right after".to_string(),
                        gap => format!("{} after", fmt_minutes(gap)),
                    },
                    fmt_minutes(window)
                ),
            )
            .primary(o.file, o.span, format!("tagged `{tag}`: the engine refuses this send"))
            .secondary(po.file, po.span, format!("tagged `{other}`"))
            .note(format!("the policy declares {} conflicting", super::list_names(group)))
            .note(format!("path: {}", self.render_path()))
            .help(format!(
                "wait at least {} between the two sends, or drop one of the conflicting tags",
                fmt_minutes(window - (rec.t - prev.t))
            ));
            self.out.push(d);
        }
    }

    /// J404: the same channel and template sent earlier on this path.
    fn duplicate_at(&mut self, rec: &Rec<'a>) {
        let cx = self.cx;
        let before = &self.recs[..self.recs.len() - 1];
        let Some(prev) =
            before.iter().rev().find(|r| r.is_send && r.channel == rec.channel && r.template == rec.template)
        else {
            return;
        };
        if !self.reported.insert(("J404", prev.node, rec.node, 0)) {
            return;
        }
        let template = rec.template.unwrap_or_default();
        let o = cx.node_origin(rec.node);
        let mut d = Diagnostic::new("J404", format!("template \"{template}\" is sent twice on one path"));
        if prev.node == rec.node {
            d = d
                .primary(o.file, o.span, "sent again on every pass through this loop")
                .help("send it before the loop, or send a different template on later passes");
        } else {
            let po = cx.node_origin(prev.node);
            d = d
                .primary(o.file, o.span, format!("the second `{}` send of \"{template}\"", rec.channel))
                .secondary(po.file, po.span, "first sent here")
                .help("send a different template the second time, or branch so customers who got it skip this send");
        }
        let path = self.render_path();
        self.out.push(d.note(format!("path: {path}")));
    }

    /// J408: the previous message on the path is closer than a minimum gap.
    fn gap_at(&mut self, rec: &Rec<'a>) {
        let cx = self.cx;
        let Some(k) = kind(cx, rec.channel) else { return };
        if !k.is_message() {
            return;
        }
        let before = &self.recs[..self.recs.len() - 1];
        let is_msg = |r: &&Rec| r.is_send && kind(cx, r.channel).is_some_and(ChannelKind::is_message);
        // (required gap, previous send, where the rule comes from)
        let mut worst: Option<(u64, &Rec, Option<&Origin>, String)> = None;
        if let Some(mg) = cx.program.policy.min_gap_minutes {
            if let Some(prev) = before.iter().rev().find(is_msg) {
                if rec.t - prev.t < mg {
                    let at = cx.program.policy.min_gap_origin.as_ref();
                    worst = Some((mg, prev, at, format!("the policy's `min_gap {}`", fmt_minutes(mg))));
                }
            }
        }
        if let Some(ch) = cx.program.channel(rec.channel) {
            if let Some(mg) = ch.min_gap_minutes {
                if let Some(prev) = before.iter().rev().find(|r| r.is_send && r.channel == rec.channel) {
                    if rec.t - prev.t < mg && worst.as_ref().is_none_or(|w| w.0 < mg) {
                        worst = Some((
                            mg,
                            prev,
                            Some(ch.setting_origins.min_gap.as_ref().unwrap_or(&ch.origin)),
                            format!("`{}`'s `min_gap {}`", ch.name, fmt_minutes(mg)),
                        ));
                    }
                }
            }
        }
        let Some((mg, prev, rule_origin, rule)) = worst else { return };
        if !self.reported.insert(("J408", prev.node, rec.node, 0)) {
            return;
        }
        let gap = rec.t - prev.t;
        let o = cx.node_origin(rec.node);
        let msg = if gap == 0 {
            format!("two messages on this path go out at once, closer than the minimum gap of {}", fmt_minutes(mg))
        } else {
            format!(
                "two messages on this path can be only {} apart, less than the minimum gap of {}",
                fmt_minutes(gap),
                fmt_minutes(mg)
            )
        };
        let mut d = Diagnostic::new("J408", msg);
        if prev.node == rec.node {
            d = d.primary(o.file, o.span, format!("sent again {} later on the next pass of a loop", fmt_minutes(gap)));
        } else {
            let po = cx.node_origin(prev.node);
            let when = if gap == 0 { "right after".to_string() } else { format!("{} after", fmt_minutes(gap)) };
            d = d.primary(o.file, o.span, format!("sent {when} the previous message")).secondary(
                po.file,
                po.span,
                "the previous message",
            );
        }
        if let Some(ro) = rule_origin {
            d = d.secondary(ro.file, ro.span, "the minimum gap is declared here");
        }
        let path = self.render_path();
        self.out.push(
            d.note(format!("rule: {rule}"))
                .note(format!("path: {path}"))
                .help(format!("add a `wait {}` between these sends", fmt_minutes(mg - gap))),
        );
    }

    /// The current path as stages, sends and waits.
    fn render_path(&self) -> String {
        let cx = self.cx;
        let mut items: Vec<String> = Vec::new();
        for (k, &(node, _)) in self.path.iter().enumerate() {
            let out_edge = self.path.get(k + 1).map(|p| p.1);
            let stage = cx.stage_of(node);
            let item = match cx.step(node) {
                Step::Send { channel, template, .. } => format!("{stage} (send {channel} \"{template}\")"),
                Step::Task { channel, .. } => format!("{stage} (task {channel})"),
                Step::Webhook { channel, template, .. } => format!("{stage} (webhook {channel} \"{template}\")"),
                Step::Wait { minutes, .. } if out_edge.is_some() => format!("wait {}", fmt_minutes(*minutes)),
                Step::WaitBusinessDays { days, .. } if out_edge.is_some() => {
                    format!("wait {}", journey_ir::draw::business_days(*days))
                }
                Step::WaitUntilTime { minute_of_day, .. } if out_edge.is_some() => {
                    format!("wait until {}", fmt_time_of_day(*minute_of_day))
                }
                Step::WaitUntilDate { attribute, offset_minutes, .. } if out_edge.is_some() => {
                    let off = offset_minutes.unsigned_abs();
                    match offset_minutes.signum() {
                        0 => format!("wait until {attribute}"),
                        1 => format!("wait until {attribute} + {}", fmt_minutes(off)),
                        _ => format!("wait until {attribute} - {}", fmt_minutes(off)),
                    }
                }
                Step::WaitFor { event, timeout_minutes, also, .. } => match out_edge {
                    Some(0) => format!("{} arrives", journey_ir::event_names(event, also, " or ")),
                    Some(_) => format!(
                        "no {} for {}",
                        journey_ir::event_names(event, also, " or "),
                        fmt_minutes(*timeout_minutes)
                    ),
                    None => continue,
                },
                _ => continue,
            };
            items.push(item);
        }
        if items.len() > 14 {
            let tail = items.split_off(items.len() - 10);
            items.truncate(3);
            items.push("…".into());
            items.extend(tail);
        }
        items.join(" → ")
    }
}

/// J402: a send on a channel with quiet hours that can only happen inside them: every
/// chain of steps leading to it since the last wait starts at a `wait until` a time
/// inside the quiet window (or at a scheduled entry inside it), with no time passing
/// in between.
pub fn quiet_hours(cx: &Cx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (n, node) in cx.journey.nodes.iter().enumerate() {
        let Step::Send { channel, .. } = &node.step else { continue };
        if !cx.reachable[n] {
            continue;
        }
        let Some(ch) = cx.program.channel(channel) else { continue };
        let Some(q) = &ch.quiet_hours else { continue };
        let Some(anchors) = anchors(cx, n) else { continue };
        let quiet = |m: u32, z: &Zone| *z == q.zone && q.contains(m);
        if anchors.is_empty() || !anchors.iter().all(|(m, z, _)| quiet(*m, z)) {
            continue;
        }
        let times: BTreeSet<u32> = anchors.iter().map(|a| a.0).collect();
        let at = times.iter().map(|m| fmt_time_of_day(*m)).collect::<Vec<_>>().join(" or ");
        let window = format!("{}..{}", fmt_time_of_day(q.from_minute), fmt_time_of_day(q.to_minute));
        let o = &node.origin;
        let mut d = Diagnostic::new(
            "J402",
            format!("this `{channel}` message can only be sent inside the channel's quiet hours ({window})"),
        )
        .primary(o.file, o.span, format!("sent at {at}, inside the quiet hours"));
        for (m, _, src) in &anchors {
            let (file, span, label): (FileId, Span, String) = match src {
                Some(w) => {
                    let wo = cx.node_origin(*w);
                    (wo.file, wo.span, format!("waits until {}", fmt_time_of_day(*m)))
                }
                None => (
                    cx.journey.entry_origin.file,
                    cx.journey.entry_origin.span,
                    format!("the journey starts at {}", fmt_time_of_day(*m)),
                ),
            };
            d = d.secondary(file, span, label);
        }
        let at = ch.setting_origins.quiet_hours.as_ref().unwrap_or(&ch.origin);
        d = d.secondary(at.file, at.span, format!("quiet hours {window}"));
        out.push(d.help(format!(
            "wait until {} (when the quiet hours end) before sending, or move the wait or schedule outside {window}",
            fmt_time_of_day(q.to_minute)
        )));
    }
    out
}

/// The time-of-day anchors of every zero-time chain that ends at `n`: `(minute, zone,
/// the wait node or None for the entry)`. `None` when some chain starts at anything
/// else (another kind of wait, an unscheduled entry).
fn anchors(cx: &Cx, n: usize) -> Option<Vec<(u32, Zone, Option<usize>)>> {
    let mut found: Vec<(u32, Zone, Option<usize>)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![n];
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        if i != n && cx.step(i).is_wait() {
            match cx.step(i) {
                Step::WaitUntilTime { minute_of_day, zone, .. } => found.push((*minute_of_day, zone.clone(), Some(i))),
                _ => return None,
            }
            continue;
        }
        if cx.start == Target::Node(i) {
            match &cx.journey.entry {
                Trigger::Schedule { minute_of_day, zone, .. } => found.push((*minute_of_day, zone.clone(), None)),
                Trigger::DateAttribute { minute_of_day: Some(m), .. } => found.push((*m, Zone::Customer, None)),
                _ => return None,
            }
        }
        stack.extend(cx.pred[i].iter().copied().filter(|&p| cx.reachable[p]));
    }
    found.sort_by_key(|a| (a.2.map_or(0, |w| w + 1), a.0));
    found.dedup();
    Some(found)
}

/// J401 for the passes of a journey entered on an event that break a cap together:
/// the customer's events can come as often as `re_entry` lets them in. Said for
/// certain unless an exit or a filter may keep the passes apart ([`Repeated::doubt`]).
/// The other sends of a repeated pass's densest window (`first` is labelled
/// already), each labelled once.
fn also_sent_on_each_pass(cx: &Cx, mut diag: Diagnostic, f: &Repeated, first: usize) -> Diagnostic {
    let mut seen = BTreeSet::from([first]);
    for &k in &f.densest.picks {
        let node = f.sends[k].0;
        if seen.insert(node) {
            let so = cx.node_origin(node);
            diag = diag.secondary(so.file, so.span, "also sent on each pass");
        }
    }
    diag
}

fn reentry_finding(cx: &Cx, cap: &CapRule, rec: &Recurrence, event: &EventEntry, f: &Repeated) -> Diagnostic {
    let (what, over) = cap.words();
    let d = &f.densest;
    let window = fmt_minutes(cap.window);
    let within = if d.span == 0 { "at once".to_string() } else { format!("within {}", fmt_minutes(d.span)) };
    let first = f.sends[d.picks[0]].0;
    let o = cx.node_origin(first);
    let sends = if f.doubt.is_some() { "may send" } else { "sends" };
    let mut diag = Diagnostic::new(
        "J401",
        format!("entry after entry, this path {sends} {} {what}{within}, over {over}", d.count),
    )
    .primary(o.file, o.span, format!("sent again on each pass: {} passes in one {window} window", d.entries));
    if f.doubt.is_some() {
        diag = diag.with_severity(journey_diagnostics::Severity::Warning);
    }
    diag = also_sent_on_each_pass(cx, diag, f, first);
    let entry = &cx.journey.entry_origin;
    diag = diag.secondary(entry.file, entry.span, format!("{}, with `{}`", rec.schedule, rec.rule)).secondary(
        cap.origin.file,
        cap.origin.span,
        "the cap is declared here",
    );
    let once = match rec.after {
        0 => "once the previous pass has ended".to_string(),
        a => format!("once the previous pass has ended and {} after the previous entry", fmt_minutes(a)),
    };
    let length = if f.length == 0 { "no time".to_string() } else { fmt_minutes(f.length) };
    diag = diag
        .note(format!("a customer is entered again by their next `{}` {once}; one pass takes {length}", event.events))
        .note(format!("path: {}", f.path));
    if let Some(why) = &f.doubt {
        diag = diag.note(format!("undecided: {why}"));
    }
    let times: Vec<u64> = f.sends.iter().map(|s| s.1).collect();
    let help = match rec.least_after(&times, f.length, cap.window, cap.count) {
        Some(a) => format!("let customers back in less often (`re_entry after {}`) or raise the cap", fmt_minutes(a)),
        None => "let customers in once (`re_entry never`) or raise the cap".to_string(),
    };
    diag.help(help)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::Cx;
    use super::{check, quiet_hours};
    use journey_ir::{Cap, ChannelKind, PolicyCap, QuietHours, Trigger, Zone};

    fn email(cap: Option<(u64, u64)>) -> journey_ir::Channel {
        let mut c = channel("email", ChannelKind::Email);
        c.cap = cap.map(|(count, d)| Cap { count, window_minutes: d * 1440 });
        c
    }

    #[test]
    fn cap_exceeded_on_a_path() {
        let j = journey("j")
            .stage("welcome", vec![send("email", "w1"), wait_days(1)])
            .stage("tips", vec![send("email", "t1"), wait_days(1), send("email", "t2"), wait_days(1)])
            .stage("offer", vec![send("email", "o1"), end()])
            .build();
        let p = program(vec![email(Some((3, 7)))], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J401"]);
        let d = &ds[0];
        assert_eq!(d.message, "this path sends 4 messages on `email` within 3d, over its cap of 3 per 7d");
        assert_eq!(labels(d, &p), ["offer#0", "welcome#0", "tips#0", "tips#2", "email"]);
        assert_eq!(
            d.notes,
            ["path: welcome (send email \"w1\") → wait 1d → tips (send email \"t1\") → wait 1d → tips (send email \"t2\") → wait 1d → offer (send email \"o1\")"]
        );
        assert_eq!(d.help.as_deref(), Some("add a wait of at least 4d between these sends or raise the cap"));
    }

    /// issue 15: journey.yaml's program cap per category counts the sends on every
    /// message channel of its category, and no other.
    #[test]
    fn a_path_over_a_program_cap_of_its_category() {
        let j = journey("j")
            .stage("welcome", vec![send("email", "w1"), wait_days(1), send("sms", "s1"), wait_days(1)])
            .stage("offer", vec![send("receipts", "r1"), send("email", "o1"), end()])
            .build();
        let mut receipts = channel("receipts", ChannelKind::Email);
        receipts.category = Some("transactional".into());
        let mut p = program(vec![email(None), channel("sms", ChannelKind::Sms), receipts], vec![j]);
        p.rules.category_caps.push(category_cap("promotional", 2, 7));
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J401"]);
        let d = &ds[0];
        assert_eq!(
            d.message,
            "this path sends 3 promotional messages within 2d, over the program cap `promotional: 2 per 7d`"
        );
        // the transactional receipt is not one of them
        assert_eq!(labels(d, &p), ["offer#1", "welcome#0", "welcome#2", "program-cap"]);
        assert_eq!(d.help.as_deref(), Some("add a wait of at least 5d between these sends or raise the cap"));
        // a cap on another category, or on promotional sends that fit: nothing
        p.rules.category_caps = vec![category_cap("transactional", 1, 7), category_cap("promotional", 3, 7)];
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
    }

    /// A program cap the channel caps keep the path under cannot be passed: the engine
    /// refuses the sends over the channel's cap before they count against it.
    #[test]
    fn a_program_cap_under_the_channel_caps_is_not_passed() {
        let j =
            journey("j").stage("s", vec![send("email", "a"), send("email", "b"), send("email", "c"), end()]).build();
        let mut p = program(vec![email(Some((2, 7)))], vec![j]);
        p.rules.category_caps.push(category_cap("promotional", 2, 7));
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        // the channel's own cap only
        assert_eq!(codes(&ds), ["J401"]);
        assert_eq!(ds[0].message, "this path sends 3 messages on `email` at once, over its cap of 2 per 7d");
    }

    #[test]
    fn spread_out_sends_respect_the_cap() {
        let j = journey("j")
            .stage("a", vec![send("email", "w1"), wait_days(3), send("email", "w2"), wait_days(3), send("email", "w3")])
            .stage("b", vec![wait_days(1), send("email", "w4"), end()])
            .build();
        let p = program(vec![email(Some((3, 7)))], vec![j]);
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
    }

    #[test]
    fn loop_with_a_short_wait_exceeds_a_policy_cap_and_repeats_a_template() {
        let j = journey("j").stage("nag", vec![send("email", "nag"), wait_days(1), goto(to("nag"))]).build();
        let mut p = program(vec![email(None)], vec![j]);
        p.policy.caps.push(PolicyCap {
            channels: None,
            cap: Cap { count: 2, window_minutes: 7 * 1440 },
            origin: origin("policy-cap"),
        });
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J404", "J401"]);
        assert_eq!(ds[0].message, "template \"nag\" is sent twice on one path");
        assert_eq!(ds[1].message, "this path sends 3 messages within 2d, over the policy cap of 2 per 7d");
        assert_eq!(labels(&ds[1], &p), ["nag#0", "policy-cap"]);
    }

    #[test]
    fn conflicting_tags_on_one_path_within_the_window() {
        let tagged = |t: &str, tag: &str| Step::Send {
            channel: "email".into(),
            template: t.into(),
            tags: vec![tag.into()],
            next: crate::analysis::testing::next(),
        };
        let build = |gap: u64| {
            let j = journey("j")
                .stage("a", vec![tagged("x", "discount"), wait_days(gap), tagged("y", "full_price"), end()])
                .build();
            let mut p = program(vec![email(None)], vec![j]);
            p.policy.conflicting.push(vec!["discount".into(), "full_price".into()]);
            p
        };
        let p = build(2);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J412"]);
        assert_eq!(
            ds[0].message,
            "a `full_price` send 2d after a `discount` send on one path, within the conflict window of 7d"
        );
        assert_eq!(labels(&ds[0], &p), ["a#2", "a#0"]);
        assert_eq!(
            ds[0].help.as_deref(),
            Some("wait at least 5d between the two sends, or drop one of the conflicting tags")
        );
        // a week apart: the engine delivers both
        let p = build(7);
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
    }

    #[test]
    fn dead_then_edge_is_not_a_path() {
        // "then" leads to a second send of the same template, but it is dead
        let j = journey("j")
            .stage("a", vec![send("email", "x"), wait_for("purchase", None, 3, to("b"), end_t())])
            .stage("b", vec![send("email", "x"), end()])
            .build();
        let p = program(vec![email(None)], vec![j]);
        let mut cx = Cx::new(&p, &p.journeys[0]);
        assert_eq!(codes(&check(&cx)), ["J404"]);
        cx.dead_edges.insert((1, 0));
        assert!(check(&cx).is_empty());
    }

    #[test]
    fn min_gap_between_consecutive_messages() {
        let j = journey("j")
            .stage(
                "a",
                vec![send("email", "x"), wait_minutes(60), send("push", "y"), wait_days(1), send("email", "z"), end()],
            )
            .build();
        let mut p = program(vec![email(None), channel("push", ChannelKind::Push)], vec![j]);
        p.policy.min_gap_minutes = Some(4 * 60);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J408"]);
        assert_eq!(ds[0].message, "two messages on this path can be only 1h apart, less than the minimum gap of 4h");
        assert_eq!(labels(&ds[0], &p), ["a#2", "a#0"]);
        assert_eq!(ds[0].help.as_deref(), Some("add a `wait 3h` between these sends"));
    }

    #[test]
    fn waits_until_a_date_the_entry_pinned() {
        let until = |offset_days: i64| Step::WaitUntilDate {
            attribute: "renewal_date".into(),
            offset_minutes: offset_days * 1440,
            next: crate::analysis::testing::next(),
        };
        let build = |entry: Trigger| {
            journey("j")
                .entry(entry)
                .stage(
                    "a",
                    vec![
                        send("email", "notice"),
                        until(-7),
                        send("email", "reminder"),
                        until(-1),
                        send("email", "last"),
                    ],
                )
                .build()
        };
        let dated = Trigger::DateAttribute {
            attribute: "renewal_date".into(),
            offset_minutes: -30 * 1440,
            minute_of_day: Some(540),
        };
        let mut p = program(vec![email(Some((2, 30)))], vec![build(dated)]);
        p.policy.min_gap_minutes = Some(240);
        // 22 days 14 hours (23 days less the entry's 09:00 and an hour of slack) then
        // 6 days: the gaps are fine but 3 sends fall inside 30 days
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J401"]);
        assert_eq!(ds[0].message, "this path sends 3 messages on `email` within 28d 14h, over its cap of 2 per 30d");
        assert!(ds[0].notes[0].contains("wait until renewal_date - 7d"), "{:?}", ds[0].notes);
        // entered on an event, the date can be right now: the sends may go out at once
        let mut p = program(vec![email(None)], vec![build(Trigger::Event { event: "signup".into(), filter: None })]);
        p.policy.min_gap_minutes = Some(240);
        // (the second wait is pinned by the first: 6 days)
        assert_eq!(codes(&check(&Cx::new(&p, &p.journeys[0]))), ["J408"]);
    }

    #[test]
    fn waits_until_a_time_the_clock_fixes() {
        // 10:00, a day later 10:00 again: a whole day between the sends
        let j = journey("j")
            .stage(
                "a",
                vec![wait_until(10, 0), send("email", "x"), wait_days(1), wait_until(10, 0), send("email", "y"), end()],
            )
            .build();
        // 10:00, then 16:00 the same day: six hours
        let k = journey("k")
            .stage("a", vec![wait_until(10, 0), send("email", "x"), wait_until(16, 0), send("email", "y"), end()])
            .build();
        // unknown time of day: 16:00 may be a minute away
        let m = journey("m").stage("a", vec![send("email", "x"), wait_until(16, 0), send("email", "y"), end()]).build();
        let mut p = program(vec![email(None)], vec![j, k, m]);
        p.policy.min_gap_minutes = Some(4 * 60);
        let found: Vec<Vec<&str>> = p.journeys.iter().map(|j| codes(&check(&Cx::new(&p, j)))).collect();
        assert_eq!(found, [vec![], vec![], vec!["J408"]]);
    }

    #[test]
    fn budget_stops_exponential_paths() {
        // 30 two-way branches in a row: 2^30 paths
        let mut jb = journey("j");
        for i in 0..30 {
            let next_stage = format!("s{}", i + 1);
            jb = jb.stage(
                &format!("s{i}"),
                vec![Step::Split { name: None, arms: vec![arm(to(&next_stage)), arm(to(&next_stage))] }],
            );
        }
        let j = jb.stage("s30", vec![send("email", "x"), end()]).build();
        let p = program(vec![email(Some((3, 7)))], vec![j]);
        let t = std::time::Instant::now();
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
        assert!(t.elapsed().as_secs() < 5);
    }

    use journey_ir::{SplitArm, Step};
    fn arm(t: journey_ir::Transition) -> SplitArm {
        SplitArm { percent: 50.0, target: t, origin: origin("split") }
    }

    fn sms_with_quiet_hours() -> journey_ir::Channel {
        let mut c = channel("sms", ChannelKind::Sms);
        c.quiet_hours = Some(QuietHours { from_minute: 20 * 60, to_minute: 9 * 60, zone: Zone::Customer });
        c
    }

    #[test]
    fn send_right_after_waiting_until_a_quiet_time() {
        let j = journey("j").stage("late", vec![wait_until(22, 0), send("sms", "x"), end()]).build();
        let p = program(vec![sms_with_quiet_hours()], vec![j]);
        let ds = quiet_hours(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J402"]);
        assert_eq!(
            ds[0].message,
            "this `sms` message can only be sent inside the channel's quiet hours (20:00..09:00)"
        );
        assert_eq!(labels(&ds[0], &p), ["late#1", "late#0", "sms"]);
    }

    #[test]
    fn scheduled_entry_inside_quiet_hours() {
        let j = journey("j")
            .entry(Trigger::Schedule { period: "day".into(), minute_of_day: 6 * 60, zone: Zone::Customer })
            .stage("early", vec![send("sms", "x"), end()])
            .build();
        let p = program(vec![sms_with_quiet_hours()], vec![j]);
        assert_eq!(codes(&quiet_hours(&Cx::new(&p, &p.journeys[0]))), ["J402"]);
    }

    #[test]
    fn quiet_hours_respected() {
        // 10:00 is outside; an event entry can happen at any time; a relative wait too
        let j = journey("j")
            .stage("a", vec![wait_until(10, 0), send("sms", "x"), wait_days(1), send("sms", "y"), end()])
            .build();
        let k = journey("k").stage("a", vec![send("sms", "x"), end()]).build();
        // one chain inside, another outside: not *only* inside
        let m = journey("m")
            .stage("a", vec![wait_for("purchase", None, 1, to("b"), to("c"))])
            .stage("b", vec![wait_until(22, 0), goto(to("d"))])
            .stage("c", vec![wait_until(10, 0), goto(to("d"))])
            .stage("d", vec![send("sms", "x"), end()])
            .build();
        let p = program(vec![sms_with_quiet_hours()], vec![j, k, m]);
        for j in &p.journeys {
            assert!(quiet_hours(&Cx::new(&p, j)).is_empty(), "{}", j.name);
        }
    }
}
