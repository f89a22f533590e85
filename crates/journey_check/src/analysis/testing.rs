//! Hand-built IR for the analysis unit tests.

use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir::*;
use std::cell::Cell;

thread_local! {
    static NEXT_SPAN: Cell<u32> = const { Cell::new(1) };
}

/// A fresh origin whose `at` names the thing, with a unique span.
pub fn origin(at: &str) -> Origin {
    let s = NEXT_SPAN.with(|c| {
        let v = c.get();
        c.set(v + 10);
        v
    });
    Origin { at: at.into(), file: FileId(0), span: Span { start: s, end: s + 5 } }
}

/// Placeholder for "the next step" (resolved by [`JourneyBuilder::build`]).
pub fn next() -> Transition {
    Transition::Journey("__next__".into())
}
/// The first step of a stage.
pub fn to(stage: &str) -> Transition {
    Transition::Node(format!("{stage}#0"))
}

pub fn send(channel: &str, template: &str) -> Step {
    Step::Send { channel: channel.into(), template: template.into(), tags: vec![], next: next() }
}
pub fn wait_minutes(minutes: u64) -> Step {
    Step::Wait { minutes, next: next() }
}
pub fn wait_days(d: u64) -> Step {
    wait_minutes(d * 1440)
}
pub fn wait_until(hh: u32, mm: u32) -> Step {
    Step::WaitUntilTime { minute_of_day: hh * 60 + mm, zone: Zone::Customer, next: next() }
}
pub fn wait_for(event: &str, filter: Option<Expr>, days: u64, then: Transition, timeout: Transition) -> Step {
    Step::WaitFor { event: event.into(), filter, timeout_minutes: days * 1440, then, timeout, also: Vec::new() }
}
pub fn branch(arms: Vec<(Expr, Transition)>, otherwise: Transition) -> Step {
    Step::Branch {
        arms: arms
            .into_iter()
            .enumerate()
            .map(|(i, (condition, target))| BranchArm {
                condition,
                label: String::new(),
                target,
                origin: origin(&format!("arm{i}")),
            })
            .collect(),
        otherwise,
    }
}
pub fn goto(t: Transition) -> Step {
    Step::Goto { target: t }
}
pub fn end() -> Step {
    Step::End
}

pub struct JourneyBuilder {
    j: Journey,
    stages: Vec<(String, Vec<Step>)>,
}

pub fn journey(name: &str) -> JourneyBuilder {
    JourneyBuilder {
        j: Journey {
            name: name.into(),
            title: None,
            owner: None,
            priority: 50,
            tags: vec![],
            entry: Trigger::Event { event: "signup".into(), filter: None },
            entry_also: Vec::new(),
            audience: None,
            re_entry: ReEntry::Never,
            exits: vec![],
            holdout_percent: 0.0,
            start: Transition::End,
            stages: vec![],
            nodes: vec![],
            goals: vec![],
            guardrails: vec![],
            assumptions: vec![],
            active: None,
            for_account: false,
            origin: origin(name),
            entry_origin: origin("entry"),
            exit_origins: vec![],
            entry_label: String::new(),
        },
        stages: vec![],
    }
}

impl JourneyBuilder {
    pub fn stage(mut self, name: &str, steps: Vec<Step>) -> Self {
        self.stages.push((name.into(), steps));
        self
    }
    pub fn audience(mut self, e: Expr) -> Self {
        self.j.audience = Some(e);
        self
    }
    pub fn entry(mut self, t: Trigger) -> Self {
        self.j.entry = t;
        self
    }
    pub fn exit(mut self, r: ExitRule) -> Self {
        self.j.exits.push(r);
        self
    }
    pub fn goal(mut self, name: &str, kind: GoalKind) -> Self {
        self.j.goals.push(Goal { name: name.into(), kind, within_minutes: 30 * 1440, origin: origin(name) });
        self
    }
    pub fn build(mut self) -> Journey {
        let firsts: Vec<Transition> = self
            .stages
            .iter()
            .map(|(n, s)| if s.is_empty() { Transition::End } else { Transition::Node(format!("{n}#0")) })
            .collect();
        for (si, (name, steps)) in self.stages.iter().enumerate() {
            let fall = firsts[si + 1..].iter().find(|t| **t != Transition::End).cloned().unwrap_or(Transition::End);
            let len = steps.len();
            self.j.stages.push(StageInfo {
                name: name.clone(),
                first: if len == 0 { fall.clone() } else { firsts[si].clone() },
                origin: origin(name),
            });
            for (i, step) in steps.iter().enumerate() {
                let nxt = if i + 1 < len { Transition::Node(format!("{name}#{}", i + 1)) } else { fall.clone() };
                let mut step = step.clone();
                fix(&mut step, &nxt);
                let id = format!("{name}#{i}");
                self.j.nodes.push(Node {
                    id: id.clone(),
                    stage: name.clone(),
                    step,
                    origin: origin(&id),
                    label: String::new(),
                });
            }
        }
        self.j.start = self.j.stages.first().map_or(Transition::End, |s| s.first.clone());
        self.j
    }
}

fn fix(step: &mut Step, nxt: &Transition) {
    let f = |t: &mut Transition| {
        if *t == next() {
            *t = nxt.clone();
        }
    };
    match step {
        Step::Send { next, .. }
        | Step::Wait { next, .. }
        | Step::WaitUntilTime { next, .. }
        | Step::WaitUntilDate { next, .. }
        | Step::SetAttribute { next, .. }
        | Step::Task { next, .. }
        | Step::Webhook { next, .. }
        | Step::WaitBusinessDays { next, .. } => f(next),
        Step::WaitFor { then, timeout, .. } => {
            f(then);
            f(timeout)
        }
        Step::Branch { arms, otherwise } => {
            arms.iter_mut().for_each(|a| f(&mut a.target));
            f(otherwise)
        }
        Step::Split { arms, .. } => arms.iter_mut().for_each(|a| f(&mut a.target)),
        Step::Goto { target } => f(target),
        Step::End => {}
    }
}

pub fn channel(name: &str, kind: ChannelKind) -> Channel {
    Channel {
        name: name.into(),
        kind,
        consent: None,
        quiet_hours: None,
        cap: None,
        min_gap_minutes: None,
        category: None,
        origin: origin(name),
        setting_origins: Default::default(),
    }
}

/// journey.yaml's `program: caps: CATEGORY: N per Dd`, as the project reads it (its
/// origin's `at` is `program-cap`).
pub fn category_cap(category: &str, count: u64, days: u64) -> CategoryCap {
    CategoryCap {
        category: category.into(),
        cap: Cap { count, window_minutes: days * 1440 },
        written: format!("{count} per {days}d"),
        origin: origin("program-cap"),
    }
}

/// The logic tests' program (attributes, audiences) with these channels and journeys.
pub fn program(channels: Vec<Channel>, journeys: Vec<Journey>) -> Program {
    let mut p = super::logic::tests::program();
    p.channels = channels;
    p.journeys = journeys;
    p
}

/// What each label of a diagnostic points at (the `at` of the origin with that span),
/// primary first: `["remind#2", "offer"]`.
pub fn labels(d: &Diagnostic, p: &Program) -> Vec<String> {
    let mut origins: Vec<&Origin> = Vec::new();
    for j in &p.journeys {
        origins.push(&j.origin);
        origins.extend(j.stages.iter().map(|s| &s.origin));
        origins.extend(j.goals.iter().map(|g| &g.origin));
        for n in &j.nodes {
            origins.push(&n.origin);
            if let Step::Branch { arms, .. } = &n.step {
                origins.extend(arms.iter().map(|a| &a.origin));
            }
        }
    }
    origins.extend(p.channels.iter().map(|c| &c.origin));
    origins.extend(p.policy.caps.iter().map(|c| &c.origin));
    origins.extend(p.rules.category_caps.iter().map(|c| &c.origin));
    let mut ls: Vec<&journey_diagnostics::Label> = d.labels.iter().collect();
    ls.sort_by_key(|l| !l.primary);
    ls.iter()
        .map(|l| origins.iter().find(|o| o.span == l.span).map_or_else(|| "?".to_string(), |o| o.at.clone()))
        .collect()
}

/// `J301 stage \`x\` is unreachable` lines, for compact assertions.
pub fn codes(ds: &[Diagnostic]) -> Vec<&'static str> {
    ds.iter().map(|d| d.code).collect()
}

/// The `end` transition.
pub fn end_t() -> Transition {
    Transition::End
}
