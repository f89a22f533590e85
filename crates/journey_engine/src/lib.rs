//! The journey engine: runs a program's journeys over customers' event streams on a
//! virtual clock. The semantics are documented rule by rule in `docs/engine.md`.
//!
//! The core is per customer ([`Engine::run_customer`]): one customer's time-ordered
//! events in, that customer's [`Action`]s and a mergeable partial [`Report`] out. The
//! streaming [`Driver`] feeds the same per-customer state machine from a time-ordered
//! stream of every customer's events, keeping one state per customer, so memory grows
//! with customers and never with the length of the log.

pub mod accounts;
mod action_merge;
mod alternatives;
mod arith;
mod attr_text;
pub mod business_days;
pub(crate) mod customer_order;
pub mod experiment;
mod expr;
pub mod html;
pub mod program_rules;
mod reactions;
mod readers;
mod report;
mod slot_queue;
mod state;
mod tally;
pub mod tasks;
mod ticks;
pub mod time;

pub use attr_text::AttrText;
pub use program_rules::global_draw;
pub use report::{
    conflict_key, policy_cap_key, AccountsReport, ChannelReport, GoalReport, GuardrailResult, JourneyReport, Merge,
    ProgramRulesReport, Report, TaskCounts, TasksReport,
};
pub use state::{CustomerState, Footprint};

use chrono_tz::Tz;
use expr::{AggSpec, CExpr, Compiler};
use journey_events::{CustomerId, Event, Interner, Timestamp};
use journey_ir::{Program, ReEntry, Step, Transition, Trigger, Type, Zone};
use readers::Readers;
use serde::Serialize;
use tally::Tally;

/// What happens to a send that falls inside quiet hours or on a quiet day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuietMode {
    /// Hold the customer at the send until the quiet window ends, then try again.
    #[default]
    Defer,
    /// Do not send; record the drop and move on.
    Drop,
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub quiet_hours: QuietMode,
    /// Salt of the holdout and split hashes: the same seed gives the same assignment.
    pub seed: u64,
    /// The simulated period starts here: earlier events only build behaviour history.
    pub start: Timestamp,
    /// The simulated period ends here: timers up to it fire, later events are ignored.
    pub until: Timestamp,
}

/// A customer attribute value, in the engine's units.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Missing,
    Bool(bool),
    /// Numbers, money (program currency) and percentages.
    Number(f64),
    /// Text, `one_of` and time zone names (shared with the row it was copied from).
    Text(AttrText),
    /// Days since 1970-01-01.
    Date(i64),
    /// Milliseconds since the epoch.
    Time(i64),
}

impl AttrValue {
    /// Parse a profile value of the given type (`true`/`false`, numbers, ISO dates,
    /// RFC 3339 times); empty or unparsable values are `Missing`.
    pub fn parse(ty: &Type, s: &str) -> AttrValue {
        let s = s.trim();
        if s.is_empty() {
            return AttrValue::Missing;
        }
        match ty {
            Type::Bool => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => AttrValue::Bool(true),
                "false" | "0" | "no" => AttrValue::Bool(false),
                _ => AttrValue::Missing,
            },
            Type::Number | Type::Money | Type::Percent => {
                s.trim_start_matches('$').parse().map(AttrValue::Number).unwrap_or(AttrValue::Missing)
            }
            Type::Date => time::parse_date(s).map(AttrValue::Date).unwrap_or(AttrValue::Missing),
            Type::Time => chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| AttrValue::Time(d.timestamp_millis()))
                .unwrap_or(AttrValue::Missing),
            _ => AttrValue::Text(s.into()),
        }
    }
}

/// Who a run is for: the customer's id in this log, their stable key (the customer
/// column's value: holdout and split hashes use it, so assignment does not depend on
/// how a log was partitioned) and their profile, in `Program::attributes` order
/// (shorter means missing).
#[derive(Debug, Clone, Copy)]
pub struct Customer<'a> {
    pub id: CustomerId,
    pub key: &'a str,
    pub attributes: &'a [AttrValue],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Reached `end` (or fell off the last stage, or a branch with no matching arm).
    End,
    /// An `exit on EVENT` rule fired.
    ExitEvent,
    /// An `exit when COND` rule became true.
    ExitCondition,
    /// `goto journey NAME`.
    Handover,
    /// Held out: entered, recorded, no steps.
    Holdout,
    /// More than [`STEP_LIMIT`] steps at one instant (a loop without a wait).
    StepLimit,
    /// issue 15: in the program's global holdout: recorded as the journey's
    /// `global_holdout` group, no steps.
    GlobalHoldout,
}

impl ExitReason {
    pub const ALL: [ExitReason; 7] = [
        ExitReason::End,
        ExitReason::ExitEvent,
        ExitReason::ExitCondition,
        ExitReason::Handover,
        ExitReason::Holdout,
        ExitReason::StepLimit,
        ExitReason::GlobalHoldout,
    ];

    /// Position in [`ExitReason::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::End => "end",
            ExitReason::ExitEvent => "exit_event",
            ExitReason::ExitCondition => "exit_condition",
            ExitReason::Handover => "handover",
            ExitReason::Holdout => "holdout",
            ExitReason::StepLimit => "step_limit",
            ExitReason::GlobalHoldout => "global_holdout",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "index")]
pub enum Suppression {
    Consent,
    ChannelCap,
    /// Index into `Policy::caps`.
    PolicyCap(usize),
    /// A different tag of this `Policy::conflicting` group (index) reached the customer
    /// within the conflict window.
    Conflict(usize),
    QuietHours,
    QuietDay,
    /// issue 15: the customer is on the program's suppression list (a marketing send).
    SuppressionList,
    /// issue 15: index into the program's caps per message category.
    CategoryCap(usize),
    /// issue 15, accounts: a `for account` journey's message found no admin of the
    /// account to go to (none, or none with consent and off the suppression list).
    NoAdmin,
}

impl Suppression {
    /// The refusal's word, as serialised (`consent`, `channel_cap`, `policy_cap`,
    /// `category_cap`, `conflict`, `quiet_hours`, `quiet_day`, `suppression_list`,
    /// `no_admin`): the trace's `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Consent => "consent",
            Suppression::ChannelCap => "channel_cap",
            Suppression::PolicyCap(_) => "policy_cap",
            Suppression::Conflict(_) => "conflict",
            Suppression::QuietHours => "quiet_hours",
            Suppression::QuietDay => "quiet_day",
            Suppression::SuppressionList => "suppression_list",
            Suppression::CategoryCap(_) => "category_cap",
            Suppression::NoAdmin => "no_admin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferReason {
    QuietHours,
    QuietDay,
    ChannelMinGap,
    PolicyMinGap,
}

impl DeferReason {
    /// The deferral's word, as serialised: the trace's `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeferReason::QuietHours => "quiet_hours",
            DeferReason::QuietDay => "quiet_day",
            DeferReason::ChannelMinGap => "channel_min_gap",
            DeferReason::PolicyMinGap => "policy_min_gap",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionKind {
    Enter {
        holdout: bool,
        /// issue 15: the would-be entry of a customer in the program's global holdout
        /// (`holdout` is true too): recorded as the journey's `global_holdout` group,
        /// not as an entry, and no step is taken.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        global_holdout: bool,
    },
    Exit {
        reason: ExitReason,
    },
    /// A message delivered on a channel (index into `Program::channels`).
    Send {
        channel: usize,
    },
    /// issue 15: who the task went to, when it is due and its priority.
    Task {
        channel: usize,
        task: tasks::CreatedTask,
    },
    Webhook {
        channel: usize,
    },
    SetAttribute {
        attribute: usize,
    },
    /// Index into the journey's goals.
    GoalReached {
        goal: usize,
    },
    Suppressed {
        channel: usize,
        reason: Suppression,
    },
    Deferred {
        channel: usize,
        until: Timestamp,
        reason: DeferReason,
    },
}

/// One thing the engine did. `journey` indexes `Program::journeys`; `node` indexes that
/// journey's `nodes` for step actions (sends, tasks, deferrals…) and is `None` for
/// entries, exits and goals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub time: Timestamp,
    #[serde(skip)]
    pub customer: CustomerId,
    pub journey: usize,
    pub node: Option<usize>,
    #[serde(flatten)]
    pub kind: ActionKind,
}

/// Steps one customer may take in one journey at one instant before the engine stops
/// them (the checker rejects loops without a wait; this is the runtime backstop).
pub const STEP_LIMIT: usize = 10_000;

impl Action {
    /// The action with names instead of indexes, for traces.
    pub fn describe(&self, program: &Program, customer_key: &str) -> serde_json::Value {
        let j = &program.journeys[self.journey];
        let mut v = serde_json::json!({
            "time": self.time,
            "customer": customer_key,
            "journey": j.name,
        });
        if let Some(n) = self.node {
            v["node"] = j.nodes[n].id.clone().into();
        }
        let ch = |c: usize| program.channels[c].name.clone();
        match &self.kind {
            ActionKind::Enter { holdout, .. } => {
                v["action"] = "enter".into();
                v["holdout"] = (*holdout).into();
            }
            ActionKind::Exit { reason } => {
                v["action"] = "exit".into();
                v["reason"] = reason.as_str().into();
            }
            ActionKind::Send { channel } => {
                v["action"] = "send".into();
                v["channel"] = ch(*channel).into();
                if let Some(Step::Send { template, .. }) = self.node.map(|n| &j.nodes[n].step) {
                    v["template"] = template.clone().into();
                }
            }
            ActionKind::Task { channel, task } => {
                v["action"] = "task".into();
                v["channel"] = ch(*channel).into();
                match &task.assignee {
                    tasks::Assignee::Owner(o) => v["owner"] = o.clone().into(),
                    tasks::Assignee::Queue { name, fallback } => {
                        v["queue"] = name.clone().into();
                        if *fallback {
                            v["fallback"] = true.into();
                        }
                    }
                }
                if let Some(d) = task.due {
                    v["due"] = d.into();
                }
                v["priority"] = task.priority.as_str().into();
            }
            ActionKind::Webhook { channel } => {
                v["action"] = "webhook".into();
                v["channel"] = ch(*channel).into();
            }
            ActionKind::SetAttribute { attribute } => {
                v["action"] = "set".into();
                v["attribute"] = program.attributes[*attribute].name.clone().into();
            }
            ActionKind::GoalReached { goal } => {
                v["action"] = "goal".into();
                v["goal"] = j.goals[*goal].name.clone().into();
            }
            ActionKind::Suppressed { channel, reason } => {
                v["action"] = "suppressed".into();
                v["channel"] = ch(*channel).into();
                v["reason"] = serde_json::to_value(reason).expect("serialises");
            }
            ActionKind::Deferred { channel, until, reason } => {
                v["action"] = "deferred".into();
                v["channel"] = ch(*channel).into();
                v["until"] = (*until).into();
                v["reason"] = serde_json::to_value(reason).expect("serialises");
            }
        }
        v
    }
}

// ---------------------------------------------------------------- compiled program

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Node(usize),
    End,
    Journey(usize),
}

#[derive(Debug)]
pub(crate) enum CStep {
    Send {
        channel: usize,
        next: Target,
    },
    Wait {
        minutes: u64,
        next: Target,
    },
    WaitUntilTime {
        minute: u32,
        zone: Option<Tz>,
        next: Target,
    },
    /// `offset_minutes` is calendar arithmetic in the customer's zone (see
    /// [`time::shifted_date_midnight`]), not a fixed number of milliseconds.
    WaitUntilDate {
        attribute: usize,
        offset_minutes: i64,
        next: Target,
    },
    WaitFor {
        event: Option<u16>,
        filter: Option<CExpr>,
        timeout_minutes: u64,
        then: Target,
        timeout: Target,
        /// Any of several events: the events after the first.
        also: Vec<alternatives::Alt>,
    },
    Branch {
        arms: Vec<(CExpr, Target)>,
        otherwise: Target,
    },
    /// `first_arm`: the number of the first arm among the journey's (see
    /// [`experiment::split_arms`]).
    Split {
        salt: String,
        arms: Vec<(f64, Target)>,
        first_arm: u16,
    },
    Set {
        attribute: Option<usize>,
        value: CExpr,
        next: Target,
    },
    Task {
        channel: usize,
        owner: tasks::CompiledOwner,
        due: Option<journey_ir::TaskDue>,
        priority: journey_ir::TaskPriority,
        next: Target,
    },
    Webhook {
        channel: usize,
        next: Target,
    },
    Goto(Target),
    End,
    /// issue 15: `wait N business days` (see [`business_days`]).
    WaitBusinessDays {
        days: u64,
        next: Target,
    },
}

#[derive(Debug)]
pub(crate) enum CTrigger {
    Event { event: Option<u16>, filter: Option<CExpr> },
    AudienceEntered(usize),
    AudienceExited(usize),
    Schedule { period: String, minute: u32, zone: Option<Tz> },
    DateAttribute { attribute: usize, offset_minutes: i64, minute: u32 },
    Never,
}

#[derive(Debug)]
pub(crate) enum CGoal {
    Event {
        event: Option<u16>,
        filter: Option<CExpr>,
        within_ms: i64,
    },
    Reach {
        stage: usize,
        within_ms: i64,
    },
    /// issue 15: an amount goal, the total of property `prop` of `event`.
    Sum {
        event: Option<u16>,
        prop: Option<usize>,
        filter: Option<CExpr>,
        within_ms: i64,
    },
}

impl CGoal {
    pub(crate) fn within(&self) -> i64 {
        match self {
            CGoal::Event { within_ms, .. } | CGoal::Reach { within_ms, .. } | CGoal::Sum { within_ms, .. } => {
                *within_ms
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct CJourney {
    pub name: String,
    pub trigger: CTrigger,
    /// Several triggers: the events after the first that also enter the journey.
    pub entry_also: Vec<alternatives::Alt>,
    pub audience: Option<CExpr>,
    /// The `audience` filter's top-level `and` clauses (the whole filter when it is
    /// not an `and`) with their text: when the filter ends unknown, the first clause
    /// that is unknown is counted as the one that read a missing value.
    pub audience_clauses: Vec<(String, CExpr)>,
    /// Some clause is a named audience: a refusal may come from its condition being
    /// unknown even though the filter is false (see `count_unknown`).
    pub named_clauses: bool,
    pub re_entry: ReEntry,
    pub exit_events: Vec<(Option<u16>, Option<CExpr>)>,
    pub exit_conditions: Vec<CExpr>,
    /// Parts per 10 000.
    pub holdout: u64,
    pub start: Target,
    pub steps: Vec<CStep>,
    /// Stage index of each node.
    pub node_stage: Vec<usize>,
    pub stage_names: Vec<String>,
    pub goals: Vec<CGoal>,
    /// By node: the ids of the `conflicting` tags its send carries (see [`Conflicts`]);
    /// empty when the policy has no conflicting groups.
    pub conflict_tags: Vec<Box<[u16]>>,
    /// The goals' names, by index.
    pub goal_names: Vec<String>,
    /// issue 15: which goals are amount goals, by index.
    pub goal_is_amount: Vec<bool>,
    /// Every split arm of the journey as (split, arm) labels.
    pub arms: Vec<(String, String)>,
    /// issue 15: the campaign window `[from, to)` in ms: no entries outside it.
    pub active: Option<(i64, i64)>,
}

/// A clause of a scheduled journey's `and` filter. A tick its filter refused, parks
/// until what the filter reads changes or crosses a threshold; when this clause is
/// false, the filter stays false, whatever its other clauses read, until what this
/// clause reads changes: the ticks can park that long (`state::Park::FilteredBy`).
#[derive(Debug)]
pub(crate) struct ParkClause {
    pub deps: expr::Deps,
    /// The refusals of the ticks so skipped count as firing them would: the filter
    /// has no named-audience clause (a false filter then counts no missing value),
    /// or every other clause always has a value (so a missing value is counted only
    /// when this clause, a named audience, has an unknown condition, which is checked
    /// when parking).
    pub eligible: bool,
}

/// The policy's `conflicting` groups, compiled. Every tag a group names gets an id (a
/// tag named by two groups gets one in each), so a customer keeps one time per id: when
/// a send with that tag was last delivered.
#[derive(Debug, Default)]
pub(crate) struct Conflicts {
    /// The conflict window (ms): [`journey_ir::Policy::conflict_window_minutes`].
    pub window: i64,
    /// By tag id: (its group, the tag).
    pub tags: Vec<(usize, String)>,
    /// By group: `discount, full_price`, the key of the report's refusals.
    pub labels: Vec<String>,
}

impl Conflicts {
    fn new(policy: &journey_ir::Policy) -> Conflicts {
        let groups = &policy.conflicting;
        Conflicts {
            window: policy.conflict_window_minutes() as i64 * time::MINUTE,
            tags: (groups.iter().enumerate()).flat_map(|(g, tags)| tags.iter().map(move |t| (g, t.clone()))).collect(),
            labels: groups.iter().map(|g| conflict_key(g)).collect(),
        }
    }

    /// The ids of the conflicting tags among a send's `tags`.
    fn ids(&self, tags: &[String]) -> Box<[u16]> {
        (self.tags.iter().enumerate()).filter(|(_, (_, t))| tags.contains(t)).map(|(i, _)| i as u16).collect()
    }
}

#[derive(Debug)]
pub(crate) struct CChannel {
    pub name: String,
    pub message: bool,
    pub consent: Option<usize>,
    pub quiet: Option<(u32, u32, Option<Tz>)>,
    pub cap: Option<(u64, i64)>,
    pub min_gap: Option<i64>,
}

/// An `unsubscribe` event withdraws consent: from the channels its `channel`
/// property names (a channel's name, else every channel of that kind), or, when the
/// event has no such property or leaves it empty, from every channel that needs
/// consent. The customer's consent attribute becomes `false` from then on, as a
/// `set` would make it, until something sets it again.
#[derive(Debug)]
pub(crate) struct Withdrawal {
    /// Position of the event's `channel` property.
    pub channel_prop: Option<usize>,
    /// Per channel that needs consent: (index, name, kind).
    pub channels: Vec<(usize, String, &'static str)>,
}

impl Withdrawal {
    fn new(program: &Program, event: u16, channels: &[CChannel]) -> Withdrawal {
        let channel_prop = program.events[event as usize].properties.iter().position(|p| p.name == "channel");
        let channels = (program.channels.iter().enumerate())
            .filter(|(c, _)| channels[*c].consent.is_some())
            .map(|(c, ch)| (c, ch.name.clone(), ch.kind.as_str()))
            .collect();
        Withdrawal { channel_prop, channels }
    }

    /// The channels (indexes) an unsubscribe saying `channel` withdraws consent from.
    pub fn channels<'a>(&'a self, channel: Option<&'a str>) -> impl Iterator<Item = usize> + 'a {
        let named = move |c: &&(usize, String, &str)| channel.is_none_or(|v| c.1 == v);
        let by_name = self.channels.iter().any(|c| named(&c));
        self.channels
            .iter()
            .filter(move |c| if by_name { named(c) } else { channel.is_some_and(|v| c.2 == v) })
            .map(|c| c.0)
    }
}

#[derive(Debug)]
pub(crate) struct CPolicyCap {
    pub label: String,
    /// `None`: every message channel.
    pub channels: Option<Vec<usize>>,
    pub count: u64,
    pub window: i64,
}

/// A compiled program, ready to run customers. Cheap to share across threads.
pub struct Engine<'p> {
    pub(crate) program: &'p Program,
    pub(crate) opts: EngineOptions,
    /// Per journey, [`stable_prefix`] of the seed, `"holdout"` and its name: the
    /// holdout draw of an entry hashes only the customer's key on top of it.
    pub(crate) holdout_prefix: Vec<u64>,
    pub(crate) default_tz: Tz,
    pub(crate) tz_attr: Option<usize>,
    /// Every attribute missing: the row of the customers the snapshot lacks, shared by
    /// all of them.
    pub(crate) blank_row: Row,
    /// The attribute saying when a customer came to exist (see
    /// [`Engine::with_created_at`]); without it, their first event.
    pub(crate) created_attr: Option<usize>,
    pub(crate) aggs: Vec<AggSpec>,
    /// Trackers fed by each event kind.
    pub(crate) aggs_by_event: Vec<Vec<usize>>,
    /// Every duration constant of the program's conditions, ascending (ms).
    pub(crate) durations: Vec<i64>,
    pub(crate) since_attrs: Vec<usize>,
    pub(crate) audiences: Vec<CExpr>,
    /// Audiences whose edges start journeys (membership is tracked for these).
    pub(crate) tracked: Vec<usize>,
    /// What each tracked audience reads (parallel to `tracked`).
    pub(crate) tracked_deps: Vec<expr::Deps>,
    /// What each journey's `exit when` conditions read, by journey.
    pub(crate) exit_deps: Vec<expr::Deps>,
    /// What the `audience` filter of each scheduled journey reads (`None`: not a
    /// scheduled journey, or one without a filter).
    pub(crate) park: Vec<Option<expr::Deps>>,
    /// By journey: for a scheduled journey whose filter is an `and` of clauses, what
    /// each clause reads and whether a refusal by it alone may park the ticks (see
    /// [`ParkClause`]); empty for the others.
    pub(crate) park_clauses: Vec<Vec<ParkClause>>,
    /// An event that moves a count without crossing a level of it (see
    /// `AggSpec::levels`) marks nothing for `settle` (see `CustomerState::record`);
    /// `false` is the plain path of the oracle tests.
    pub(crate) quiet_counts: bool,
    /// Who reads each tracker and attribute, so `settle` visits only them.
    pub(crate) readers: Readers,
    /// By event kind: what such an event likely reads (for prefetching).
    pub(crate) touches: Vec<readers::Touches>,
    /// Bit `j`: journey `j` has `exit when` conditions (the first 64).
    pub(crate) exiting: u64,
    /// Does anything depend on time passing (audience edges, `exit when`, the filters
    /// of scheduled journeys)?
    pub(crate) needs_flips: bool,
    pub(crate) journeys: Vec<CJourney>,
    /// Journey indexes by priority (higher first), then name.
    pub(crate) order: Vec<usize>,
    /// By event kind: the journeys it may start, in `order`.
    pub(crate) entered_by: Vec<Vec<usize>>,
    /// By event kind: whether `on_event` can react to it (see [`reactions`]).
    pub(crate) reacting: Vec<u8>,
    pub(crate) rank: Vec<u32>,
    pub(crate) channels: Vec<CChannel>,
    pub(crate) policy_caps: Vec<CPolicyCap>,
    pub(crate) policy_min_gap: Option<i64>,
    pub(crate) quiet_days: time::QuietDays,
    pub(crate) conflicts: Conflicts,
    /// How much send history a customer keeps (the longest cap window, at least 7d).
    pub(crate) send_window: i64,
    /// issue 15: the program-wide rules (global holdout, suppression, category caps).
    pub(crate) rules: program_rules::CRules,
    /// issue 15: a condition that time alone re-evaluates (a tracked audience, an
    /// `exit when`, a scheduled journey's filter) reads `today`: plan a flip at every
    /// local midnight.
    pub(crate) reads_today: bool,
    /// The `unsubscribe`, `bounce` and `complaint` events, for the guardrails.
    pub(crate) unsubscribe_event: Option<u16>,
    /// What an `unsubscribe` event withdraws consent from.
    pub(crate) withdrawal: Option<Withdrawal>,
    pub(crate) bounce_event: Option<u16>,
    pub(crate) complaint_event: Option<u16>,
    /// Scheduled journeys' ticks, computed a year at a time on first use and shared
    /// by every customer of a zone (see `ticks`).
    pub(crate) tick_cache: ticks::TickCache,
    /// issue 15: the working-day calendars of `wait N business days`.
    pub(crate) calendars: business_days::Calendars,
    /// issue 15, accounts: the attribute naming each customer's account, when the
    /// program reads account aggregates (then the drivers hand every customer the
    /// events of their account's other customers; see docs/engine.md#accounts).
    pub(crate) account_attr: Option<usize>,
    /// By event kind: whether an account aggregate counts it.
    pub(crate) account_events: Vec<bool>,
    /// issue 15, accounts: by journey, whether it runs `for account` (in the account
    /// states only; customers' states never enter it, nor accounts' the others).
    pub(crate) per_account: Vec<bool>,
}

fn parse_tz(s: &str) -> Option<Tz> {
    s.parse::<Tz>().ok()
}

impl<'p> Engine<'p> {
    pub fn new(program: &'p Program, opts: EngineOptions) -> Engine<'p> {
        use time::MINUTE;
        let mut c = Compiler::new(program);
        let default_tz = parse_tz(&program.timezone).unwrap_or(Tz::UTC);
        let tz_attr = program
            .timezone_attribute
            .as_ref()
            .and_then(|n| program.attributes.iter().position(|a| &a.name == n))
            .or_else(|| program.attributes.iter().position(|a| a.ty == Type::Timezone));
        let mut audiences: Vec<CExpr> = program.audiences.iter().map(|a| c.compile(&a.condition, None)).collect();
        let zone = |z: &Zone| match z {
            Zone::Customer => None,
            Zone::Named(n) => Some(parse_tz(n).unwrap_or(default_tz)),
        };
        let attr = |n: &str| program.attributes.iter().position(|a| a.name == n);
        let channels: Vec<CChannel> = program
            .channels
            .iter()
            .map(|ch| CChannel {
                name: ch.name.clone(),
                message: ch.kind.is_message(),
                consent: ch.consent.as_deref().and_then(attr),
                quiet: ch.quiet_hours.as_ref().map(|q| (q.from_minute, q.to_minute, zone(&q.zone))),
                cap: ch.cap.as_ref().map(|cap| (cap.count, cap.window_minutes as i64 * MINUTE)),
                min_gap: ch.min_gap_minutes.map(|m| m as i64 * MINUTE),
            })
            .collect();
        let chan = |n: &str| program.channels.iter().position(|x| x.name == n).unwrap_or(0);
        let policy_caps: Vec<CPolicyCap> = program
            .policy
            .caps
            .iter()
            .map(|pc| CPolicyCap {
                label: policy_cap_key(pc),
                channels: pc.channels.as_ref().map(|v| v.iter().map(|n| chan(n)).collect()),
                count: pc.cap.count,
                window: pc.cap.window_minutes as i64 * MINUTE,
            })
            .collect();
        let rules = program_rules::CRules::new(program);
        let send_window = channels
            .iter()
            .filter_map(|ch| ch.cap.map(|c| c.1))
            .chain(policy_caps.iter().map(|p| p.window))
            .chain([7 * time::DAY, rules.longest_window()])
            .max()
            .unwrap_or(7 * time::DAY);

        let conflicts = Conflicts::new(&program.policy);
        let mut journeys = Vec::new();
        for j in &program.journeys {
            let lookup = j.node_lookup();
            let node_ix = |t: &Transition| -> Target {
                match t {
                    Transition::Node(id) => lookup.get(id.as_str()).map(|&i| Target::Node(i)).unwrap_or(Target::End),
                    Transition::End => Target::End,
                    Transition::Journey(n) => {
                        program.journeys.iter().position(|x| &x.name == n).map(Target::Journey).unwrap_or(Target::End)
                    }
                }
            };
            let trigger = match &j.entry {
                Trigger::Event { event, filter } => {
                    let ev = c.event_index(event);
                    CTrigger::Event { event: ev, filter: filter.as_ref().map(|f| c.compile(f, ev)) }
                }
                Trigger::AudienceEntered { audience } => {
                    match program.audiences.iter().position(|a| &a.name == audience) {
                        Some(i) => CTrigger::AudienceEntered(i),
                        None => CTrigger::Never,
                    }
                }
                Trigger::AudienceExited { audience } => {
                    match program.audiences.iter().position(|a| &a.name == audience) {
                        Some(i) => CTrigger::AudienceExited(i),
                        None => CTrigger::Never,
                    }
                }
                Trigger::Schedule { period, minute_of_day, zone: z } => {
                    CTrigger::Schedule { period: period.clone(), minute: *minute_of_day, zone: zone(z) }
                }
                // issue 15: a threshold crossing is an audience of its own, unnamed
                // (after the program's audiences, so their indexes do not move): the
                // engine already tracks when an audience turns true, on events and on
                // the lazy ticks where windows let events go (ticks.rs)
                Trigger::Condition { condition } => {
                    audiences.push(c.compile(condition, None));
                    CTrigger::AudienceEntered(audiences.len() - 1)
                }
                Trigger::DateAttribute { attribute, offset_minutes, minute_of_day } => match attr(attribute) {
                    Some(a) => CTrigger::DateAttribute {
                        attribute: a,
                        offset_minutes: *offset_minutes,
                        minute: minute_of_day.unwrap_or(0),
                    },
                    None => CTrigger::Never,
                },
            };
            let audience = j.audience.as_ref().map(|a| c.compile(a, None));
            let audience_clauses: Vec<(String, CExpr)> = match &j.audience {
                Some(journey_ir::Expr::And { all }) => {
                    all.iter().map(|x| (journey_ir::draw::describe_expr(x), c.compile(x, None))).collect()
                }
                Some(a) => vec![(journey_ir::draw::describe_expr(a), c.compile(a, None))],
                None => Vec::new(),
            };
            let mut exit_events = Vec::new();
            let mut exit_conditions = Vec::new();
            for e in &j.exits {
                match e {
                    journey_ir::ExitRule::Event { event, filter } => {
                        let ev = c.event_index(event);
                        exit_events.push((ev, filter.as_ref().map(|f| c.compile(f, ev))));
                    }
                    journey_ir::ExitRule::Condition { condition } => exit_conditions.push(c.compile(condition, None)),
                }
            }
            let stage_names: Vec<String> = j.stages.iter().map(|s| s.name.clone()).collect();
            let node_stage: Vec<usize> =
                j.nodes.iter().map(|n| stage_names.iter().position(|s| s == &n.stage).unwrap_or(0)).collect();
            let mut steps = Vec::new();
            let mut arms_so_far = 0u16;
            for n in &j.nodes {
                let s = match &n.step {
                    Step::Send { channel, next, .. } => CStep::Send { channel: chan(channel), next: node_ix(next) },
                    Step::Wait { minutes, next } => CStep::Wait { minutes: *minutes, next: node_ix(next) },
                    Step::WaitUntilTime { minute_of_day, zone: z, next } => {
                        CStep::WaitUntilTime { minute: *minute_of_day, zone: zone(z), next: node_ix(next) }
                    }
                    Step::WaitUntilDate { attribute, offset_minutes, next } => match attr(attribute) {
                        Some(a) => {
                            CStep::WaitUntilDate { attribute: a, offset_minutes: *offset_minutes, next: node_ix(next) }
                        }
                        None => CStep::Goto(node_ix(next)),
                    },
                    Step::WaitFor { event, filter, timeout_minutes, then, timeout, also } => {
                        let ev = c.event_index(event);
                        CStep::WaitFor {
                            event: ev,
                            filter: filter.as_ref().map(|f| c.compile(f, ev)),
                            timeout_minutes: *timeout_minutes,
                            then: node_ix(then),
                            timeout: node_ix(timeout),
                            also: alternatives::compile(&mut c, also),
                        }
                    }
                    Step::Branch { arms, otherwise } => CStep::Branch {
                        arms: arms.iter().map(|a| (c.compile(&a.condition, None), node_ix(&a.target))).collect(),
                        otherwise: node_ix(otherwise),
                    },
                    Step::Split { name, arms } => {
                        let first_arm = arms_so_far;
                        arms_so_far += arms.len() as u16;
                        CStep::Split {
                            salt: format!("{}/{}", n.id, name.as_deref().unwrap_or("")),
                            arms: arms.iter().map(|a| (a.percent, node_ix(&a.target))).collect(),
                            first_arm,
                        }
                    }
                    Step::SetAttribute { attribute, value, next } => {
                        CStep::Set { attribute: attr(attribute), value: c.compile(value, None), next: node_ix(next) }
                    }
                    Step::Task { channel, owner, fallback_queue, due, priority, next, .. } => CStep::Task {
                        channel: chan(channel),
                        owner: match owner {
                            None => tasks::CompiledOwner::Queue,
                            Some(journey_ir::OwnerSource::Fixed { name }) => tasks::CompiledOwner::Fixed(name.clone()),
                            Some(journey_ir::OwnerSource::Attribute { attribute }) => tasks::CompiledOwner::Attribute {
                                attribute: attr(attribute),
                                fallback: chan(fallback_queue.as_deref().unwrap_or(channel)),
                            },
                        },
                        due: *due,
                        priority: *priority,
                        next: node_ix(next),
                    },
                    Step::Webhook { channel, next, .. } => {
                        CStep::Webhook { channel: chan(channel), next: node_ix(next) }
                    }
                    Step::Goto { target } => CStep::Goto(node_ix(target)),
                    Step::End => CStep::End,
                    Step::WaitBusinessDays { days, next } => {
                        CStep::WaitBusinessDays { days: *days, next: node_ix(next) }
                    }
                };
                steps.push(s);
            }
            let goals = j
                .goals
                .iter()
                .map(|g| {
                    let within_ms = g.within_minutes as i64 * MINUTE;
                    match &g.kind {
                        journey_ir::GoalKind::Event { event, filter } => {
                            let ev = c.event_index(event);
                            CGoal::Event { event: ev, filter: filter.as_ref().map(|f| c.compile(f, ev)), within_ms }
                        }
                        journey_ir::GoalKind::Sum { event, property, filter, .. } => {
                            let ev = c.event_index(event);
                            CGoal::Sum {
                                event: ev,
                                prop: c.prop_index(ev, property),
                                filter: filter.as_ref().map(|f| c.compile(f, ev)),
                                within_ms,
                            }
                        }
                        journey_ir::GoalKind::Reach { stage } => CGoal::Reach {
                            stage: stage_names.iter().position(|s| s == stage).unwrap_or(usize::MAX),
                            within_ms,
                        },
                    }
                })
                .collect();
            // from 00:00 on the first day to 24:00 on the last, in the project time zone
            let active = j.active.as_ref().map(|w| {
                let day = |d: &str| time::parse_date(d).unwrap_or(0);
                (time::date_midnight(default_tz, day(&w.from)), time::date_midnight(default_tz, day(&w.to) + 1))
            });
            journeys.push(CJourney {
                active,
                name: j.name.clone(),
                trigger,
                entry_also: alternatives::compile(&mut c, &j.entry_also),
                audience,
                named_clauses: audience_clauses.iter().any(|(_, c)| matches!(c, CExpr::Audience(_))),
                audience_clauses,
                re_entry: j.re_entry.clone(),
                exit_events,
                exit_conditions,
                holdout: (j.holdout_percent.clamp(0.0, 100.0) * 100.0).round() as u64,
                start: node_ix(&j.start),
                steps,
                node_stage,
                stage_names,
                goals,
                conflict_tags: if conflicts.tags.is_empty() {
                    Vec::new()
                } else {
                    (j.nodes.iter())
                        .map(|n| match &n.step {
                            Step::Send { tags, .. } => conflicts.ids(tags),
                            _ => Box::default(),
                        })
                        .collect()
                },
                goal_names: j.goals.iter().map(|g| g.name.clone()).collect(),
                goal_is_amount: j.goals.iter().map(|g| g.kind.is_amount()).collect(),
                arms: experiment::split_arms(j),
            });
        }
        let mut order: Vec<usize> = (0..journeys.len()).collect();
        order.sort_by(|&a, &b| {
            let (ja, jb) = (&program.journeys[a], &program.journeys[b]);
            jb.priority.cmp(&ja.priority).then_with(|| ja.name.cmp(&jb.name))
        });
        let mut entered_by = vec![Vec::new(); program.events.len()];
        for &j in &order {
            if let CTrigger::Event { event: Some(k), .. } = journeys[j].trigger {
                if let Some(v) = entered_by.get_mut(k as usize) {
                    v.push(j);
                }
            }
            // several triggers: the journey is listed once under each of its events
            for k in alternatives::kinds(&journeys[j].entry_also) {
                if let Some(v) = entered_by.get_mut(k as usize).filter(|v| v.last() != Some(&j)) {
                    v.push(j);
                }
            }
        }
        let mut rank = vec![0u32; journeys.len()];
        for (r, &j) in order.iter().enumerate() {
            rank[j] = r as u32;
        }
        let mut tracked: Vec<usize> = journeys
            .iter()
            .filter_map(|j| match j.trigger {
                CTrigger::AudienceEntered(a) | CTrigger::AudienceExited(a) => Some(a),
                _ => None,
            })
            .collect();
        tracked.sort_unstable();
        tracked.dedup();
        // A scheduled journey's `audience` filter that said no keeps saying no until
        // what it reads changes, so its ticks can wait for that (see `Park`).
        let park: Vec<Option<expr::Deps>> = journeys
            .iter()
            .map(|j| match (&j.trigger, &j.audience) {
                (CTrigger::Schedule { .. }, Some(a)) => Some(expr::Deps::of([a], &audiences)),
                _ => None,
            })
            .collect();
        let park_clauses: Vec<Vec<ParkClause>> = journeys
            .iter()
            .zip(&park)
            .map(|(j, p)| {
                // a campaign window refuses ticks for a reason of its own: not parked past it
                if p.is_none() || j.audience_clauses.len() < 2 || j.active.is_some() {
                    return Vec::new();
                }
                let always: Vec<bool> =
                    j.audience_clauses.iter().map(|(_, x)| expr::never_unknown(x, &c.aggs)).collect();
                (j.audience_clauses.iter().enumerate())
                    .map(|(k, (_, x))| ParkClause {
                        deps: expr::Deps::of([x], &audiences),
                        eligible: !j.named_clauses || always.iter().enumerate().all(|(o, &a)| o == k || a),
                    })
                    .collect()
            })
            .collect();
        let needs_flips = !tracked.is_empty()
            || journeys.iter().any(|j| !j.exit_conditions.is_empty())
            || park.iter().any(Option::is_some);
        let mut aggs_by_event = vec![Vec::new(); program.events.len()];
        for (i, a) in c.aggs.iter().enumerate() {
            if let Some(v) = aggs_by_event.get_mut(a.event as usize) {
                v.push(i);
            }
        }
        let mut since_attrs = Vec::new();
        collect_since_attrs(&audiences, &mut since_attrs);
        for j in &journeys {
            collect_since_attrs(&j.exit_conditions, &mut since_attrs);
        }
        for (j, p) in journeys.iter().zip(&park) {
            if let (Some(a), Some(_)) = (&j.audience, p) {
                collect_since_attrs(std::slice::from_ref(a), &mut since_attrs);
            }
        }
        let unsubscribe_event = c.event_index("unsubscribe");
        let withdrawal = unsubscribe_event.map(|e| Withdrawal::new(program, e, &channels));
        let bounce_event = c.event_index("bounce");
        let complaint_event = c.event_index("complaint");
        let tracked_deps: Vec<expr::Deps> =
            tracked.iter().map(|&a| expr::Deps::of([&audiences[a]], &audiences)).collect();
        let exit_deps: Vec<expr::Deps> =
            journeys.iter().map(|j| expr::Deps::of(&j.exit_conditions, &audiences)).collect();
        let reads_today = tracked_deps.iter().chain(&exit_deps).chain(park.iter().flatten()).any(|d| d.today);
        let readers = Readers::new(c.aggs.len(), program.attributes.len(), &park, &exit_deps, &tracked_deps);
        let touches = (aggs_by_event.iter().zip(&entered_by))
            .map(|(fed, starts)| {
                let filters: Vec<expr::Deps> = (starts.iter())
                    .filter_map(|&j| journeys[j].audience.as_ref())
                    .map(|a| expr::Deps::of([a], &audiences))
                    .collect();
                readers.touches(fed, &filters, &park, &exit_deps, &tracked_deps)
            })
            .collect();
        let exiting = journeys
            .iter()
            .enumerate()
            .filter(|(j, cj)| *j < 64 && !cj.exit_conditions.is_empty())
            .fold(0u64, |m, (j, _)| m | 1 << j);
        let (aggs, mut durations) = (c.aggs, c.durations);
        // ascending, so the next threshold after an instant is a binary search
        durations.sort_unstable();
        let per_account: Vec<bool> = program.journeys.iter().map(|j| j.for_account).collect();
        let account_attr = (aggs.iter().any(|a| a.account) || per_account.contains(&true))
            .then_some(program.accounts.attribute.as_ref())
            .flatten()
            .and_then(|n| program.attributes.iter().position(|a| &a.name == n));
        let account_events =
            (0..program.events.len()).map(|k| aggs.iter().any(|a| a.account && a.event as usize == k)).collect();
        let reacting = reactions::reacting_kinds(
            program.events.len(),
            &journeys,
            &[unsubscribe_event, bounce_event, complaint_event],
        );
        let holdout_prefix = journeys.iter().map(|cj| stable_prefix(opts.seed, &["holdout", &cj.name])).collect();
        Engine {
            program,
            opts,
            holdout_prefix,
            default_tz,
            tz_attr,
            blank_row: vec![AttrValue::Missing; program.attributes.len()].into(),
            created_attr: None,
            aggs,
            aggs_by_event,
            durations,
            since_attrs,
            audiences,
            tracked,
            tracked_deps,
            exit_deps,
            park,
            park_clauses,
            quiet_counts: true,
            readers,
            touches,
            exiting,
            needs_flips,
            journeys,
            order,
            entered_by,
            rank,
            channels,
            policy_caps,
            policy_min_gap: program.policy.min_gap_minutes.map(|m| m as i64 * MINUTE),
            quiet_days: time::QuietDays::new(&program.policy.quiet_days),
            conflicts,
            send_window,
            rules,
            reads_today,
            unsubscribe_event,
            withdrawal,
            bounce_event,
            complaint_event,
            tick_cache: Default::default(),
            account_attr,
            account_events,
            reacting,
            per_account,
            calendars: business_days::Calendars::new(&program.business_days, |n| {
                program.attributes.iter().position(|a| a.name == n)
            }),
        }
    }

    /// Customers exist from the date or time in this attribute (journey.yaml's
    /// `events.created_at`); a customer without a value, or every customer when it is
    /// `None`, exists from their first event (history before the period included).
    /// No journey is entered before a customer exists: such attempts are counted as
    /// [`crate::JourneyReport::before_exists`]. Returns `None` when the
    /// program has no date or time attribute of that name.
    pub fn with_created_at(mut self, attribute: Option<&str>) -> Option<Self> {
        self.created_attr = match attribute {
            None => None,
            Some(name) => Some(
                self.program
                    .attributes
                    .iter()
                    .position(|a| a.name == name && matches!(a.ty, journey_ir::Type::Date | journey_ir::Type::Time))?,
            ),
        };
        Some(self)
    }

    /// The plain path for oracle tests: a refused tick of a scheduled journey parks
    /// only until what its whole filter reads changes (see [`ParkClause`]).
    #[doc(hidden)]
    pub fn parking_on_whole_filters(mut self) -> Self {
        self.park_clauses.iter_mut().for_each(Vec::clear);
        self
    }

    /// The plain path for oracle tests: a `since` plans a flip at every duration
    /// of the program, not only at those it is compared with.
    #[doc(hidden)]
    pub fn flipping_at_every_duration(mut self) -> Self {
        self.aggs.iter_mut().for_each(|a| a.thresholds = None);
        self
    }

    /// The plain path for oracle tests: every event a tracker records marks it
    /// changed, whether its count crossed a level or not.
    #[doc(hidden)]
    pub fn marking_every_count(mut self) -> Self {
        self.quiet_counts = false;
        self
    }

    /// The plain path for oracle tests: every event kind walks every list of the
    /// event step, as if each could react (see [`reactions`]).
    #[doc(hidden)]
    pub fn reacting_to_every_event(mut self) -> Self {
        self.reacting.iter_mut().for_each(|r| *r = reactions::ALL);
        self
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Run one customer over their time-ordered events (events out of order are
    /// processed as if they came at the latest time seen so far). `texts` resolves the
    /// log's interned text properties.
    pub fn run_customer<'e>(
        &self,
        customer: Customer,
        events: impl IntoIterator<Item = &'e Event>,
        texts: &Interner,
    ) -> (Vec<Action>, Report) {
        let mut tally = Tally::new(self);
        let mut actions = Vec::new();
        let mut state = CustomerState::new(self, customer);
        for e in events {
            state.push(self, e, texts, &mut actions, &mut tally);
        }
        state.finish(self, texts, &mut actions, &mut tally);
        (actions, tally.into_report(self))
    }
}

fn collect_since_attrs(exprs: &[CExpr], out: &mut Vec<usize>) {
    fn walk(e: &CExpr, out: &mut Vec<usize>) {
        match e {
            CExpr::SinceAttr(i) if !out.contains(i) => out.push(*i),
            CExpr::Not(x) | CExpr::IsSet(x) => walk(x, out),
            CExpr::And(xs) | CExpr::Or(xs) => xs.iter().for_each(|x| walk(x, out)),
            CExpr::Cmp(_, a, b) | CExpr::Add(a, b) | CExpr::Sub(a, b) | CExpr::Mul(a, b) | CExpr::Div(a, b) => {
                walk(a, out);
                walk(b, out)
            }
            CExpr::Min(xs) | CExpr::Max(xs) => xs.iter().for_each(|x| walk(x, out)),
            CExpr::In(a, xs) => {
                walk(a, out);
                xs.iter().for_each(|x| walk(x, out))
            }
            _ => {}
        }
    }
    exprs.iter().for_each(|e| walk(e, out));
}

/// Where a driver finds a customer's key and profile the first time it sees them.
pub trait Profiles {
    fn customer(&self, id: CustomerId) -> Customer<'_>;

    /// The customer's attribute row (the values of `customer(id).attributes`, one per
    /// attribute of the program), when the profiles keep it in shared storage: the
    /// customer's state then shares it until a `set` changes a value, instead of
    /// holding a copy (issue 16). `None`: the state copies the row.
    fn shared_row(&self, _id: CustomerId) -> Option<Row> {
        None
    }
}

/// A customer's attribute values, one per attribute of the program, shared (by
/// reference count) between the attribute snapshot and the customer's state until the
/// state writes one (copy on write).
pub type Row = std::sync::Arc<[AttrValue]>;

/// The streaming driver: a time-ordered stream of every customer's events in, the
/// same actions per customer as [`Engine::run_customer`] out. One [`CustomerState`]
/// per customer (a dense `Vec` by id); a customer's timers fire lazily, just before
/// their next event or at [`Driver::finish`], which is exact because no state is
/// shared between customers.
pub struct Driver<'e, 'p> {
    engine: &'e Engine<'p>,
    /// This driver's customers are those whose id is `shard` modulo `shards`; the
    /// state of customer `id` is at `id / shards`.
    shard: u32,
    shards: u32,
    states: Vec<Option<CustomerState>>,
    tally: Tally,
    actions: Vec<Action>,
    /// An emptied list of actions to take the next group's (see
    /// [`Driver::recycle_actions`]).
    spare_actions: Vec<Action>,
    /// Scratch for [`Driver::push_batch`]: (customer, position) of a batch's events.
    order: Vec<(u32, u32)>,
    order_scratch: customer_order::Scratch,
    /// issue 15, accounts (only when the program reads account aggregates): the
    /// accounts by id, each one's customers (ids) and the events its account
    /// aggregates count so far (handed to a customer seen later, so they start with
    /// the account's whole history).
    accounts: Accounts,
}

/// issue 15: the state of account `k`, made on first use.
fn account_state<'a>(accounts: &'a mut Accounts, engine: &Engine, k: usize) -> &'a mut CustomerState {
    let Accounts { states, book, .. } = accounts;
    states[k].get_or_insert_with(|| CustomerState::for_account(engine, book, k))
}

impl Accounts {
    /// Finish every account's state (after the customers', in book order; one made
    /// now for an account without events, whose scheduled entries still run) and
    /// count the accounts.
    fn finish(&mut self, engine: &Engine, texts: &Interner, actions: &mut Vec<Action>, tally: &mut Tally) {
        for k in 0..self.states.len() {
            let entry = &self.book.accounts[k];
            tally.accounts.accounts += 1;
            tally.accounts.customers += entry.customers;
            tally.accounts.admins += entry.admins.len() as u64;
            tally.accounts.without_admin += u64::from(entry.admins.is_empty());
            account_state(self, engine, k).finish(engine, texts, actions, tally);
        }
    }
}

#[derive(Default)]
struct Accounts {
    index: std::collections::HashMap<String, u32>,
    members: Vec<Vec<CustomerId>>,
    history: Vec<Vec<Event>>,
    /// By state slot: the customer's account (`u32::MAX`: none).
    of: Vec<u32>,
    /// issue 15, `for account` journeys: every account (from the caller), each one's
    /// state once its first event came, and by state slot the customer's account in
    /// the book (`u32::MAX`: none).
    book: accounts::AccountBook,
    states: Vec<Option<CustomerState>>,
    book_of: Vec<u32>,
}

impl<'e, 'p> Driver<'e, 'p> {
    pub fn new(engine: &'e Engine<'p>) -> Self {
        Driver::shard(engine, 0, 1)
    }

    /// A driver for the customers whose id is `shard` modulo `shards` (see
    /// [`ShardedDriver`]).
    pub fn shard(engine: &'e Engine<'p>, shard: u32, shards: u32) -> Self {
        Driver {
            engine,
            shard,
            shards: shards.max(1),
            states: Vec::new(),
            tally: Tally::new(engine),
            actions: Vec::new(),
            spare_actions: Vec::new(),
            order: Vec::new(),
            order_scratch: customer_order::Scratch::default(),
            accounts: Accounts::default(),
        }
    }

    fn owns(&self, id: CustomerId) -> bool {
        id.0 % self.shards == self.shard
    }

    /// issue 15: the accounts the `for account` journeys run on (see
    /// [`accounts`]); without them those journeys enter no one.
    pub fn set_accounts(&mut self, book: accounts::AccountBook) {
        self.accounts.states = (0..book.accounts.len()).map(|_| None).collect();
        self.accounts.book = book;
    }

    /// Register a customer who may have no events (from the profile file), so their
    /// scheduled and date-attribute entries run.
    pub fn add_customer(&mut self, customer: Customer) {
        self.add_customer_in(customer, &Interner::default())
    }

    /// [`Driver::add_customer`] with the log's text values, which the account's
    /// events handed to a new customer of an account may hold (issue 15).
    pub fn add_customer_in(&mut self, customer: Customer, texts: &Interner) {
        self.add_customer_row(customer, None, texts)
    }

    /// Customer `id` as `profiles` describe them, their state sharing the profiles'
    /// row where they keep one (see [`Profiles::shared_row`]).
    pub fn add_profile(&mut self, profiles: &impl Profiles, id: CustomerId, texts: &Interner) {
        self.add_customer_row(profiles.customer(id), profiles.shared_row(id), texts)
    }

    fn add_customer_row(&mut self, customer: Customer, row: Option<Row>, texts: &Interner) {
        debug_assert!(self.owns(customer.id), "customer of another shard");
        let i = (customer.id.0 / self.shards) as usize;
        if self.states.len() <= i {
            self.states.resize_with(i + 1, || None);
        }
        if self.states[i].is_none() {
            self.states[i] = Some(CustomerState::with_row(self.engine, customer, row));
            self.join_account(i, customer, texts);
        }
    }

    /// issue 15, accounts: enter a new customer in their account and give them the
    /// account's events so far.
    fn join_account(&mut self, slot: usize, customer: Customer, texts: &Interner) {
        let Some(attr) = self.engine.account_attr else { return };
        let Some(id) = customer.attributes.get(attr).and_then(accounts::account_key) else { return };
        let a = &mut self.accounts;
        let next = a.index.len() as u32;
        let k = *a.index.entry(id.clone()).or_insert(next);
        if k == next {
            a.members.push(Vec::new());
            a.history.push(Vec::new());
        }
        if a.of.len() <= slot {
            a.of.resize(slot + 1, u32::MAX);
        }
        a.of[slot] = k;
        if !a.states.is_empty() {
            if a.book_of.len() <= slot {
                a.book_of.resize(slot + 1, u32::MAX);
            }
            a.book_of[slot] = a.book.find(&id).map_or(u32::MAX, |b| b as u32);
        }
        a.members[k as usize].push(customer.id);
        let state = self.states[slot].as_mut().expect("state exists");
        for ev in &a.history[k as usize] {
            state.push_peer(self.engine, ev, texts, &mut self.actions, &mut self.tally);
        }
    }

    pub fn push(&mut self, event: &Event, profiles: &impl Profiles, texts: &Interner) {
        debug_assert!(self.owns(event.customer), "event of another shard's customer");
        let i = (event.customer.0 / self.shards) as usize;
        if self.states.get(i).is_none_or(|s| s.is_none()) {
            self.add_profile(profiles, event.customer, texts);
        }
        let state = self.states[i].as_mut().expect("state exists");
        state.push(self.engine, event, texts, &mut self.actions, &mut self.tally);
        // issue 15, `for account` journeys: the event is also its account's own
        if let Some(&k) = self.accounts.book_of.get(i).filter(|k| **k != u32::MAX) {
            // an admin's own unsubscribe reaches the account's messages to them
            let unsubscribe = Some(event.kind.0) == self.engine.unsubscribe_event;
            let admin =
                unsubscribe.then(|| self.accounts.book.admin_of(k as usize, profiles.customer(event.customer).key));
            let state = account_state(&mut self.accounts, self.engine, k as usize);
            state.taking_from_admin(admin.flatten());
            state.push(self.engine, event, texts, &mut self.actions, &mut self.tally);
            state.taking_from_admin(None);
        }
        // issue 15, accounts: the event counts for the account of its customer
        if self.engine.account_events.get(event.kind.0 as usize).copied().unwrap_or(false) {
            let Some(&k) = self.accounts.of.get(i).filter(|k| **k != u32::MAX) else { return };
            for &m in &self.accounts.members[k as usize] {
                if m == event.customer {
                    continue;
                }
                let slot = (m.0 / self.shards) as usize;
                if let Some(Some(s)) = self.states.get_mut(slot) {
                    s.push_peer(self.engine, event, texts, &mut self.actions, &mut self.tally);
                }
            }
            self.accounts.history[k as usize].push(event.clone());
        }
    }

    /// Push a run of time-ordered events, grouped by customer: each customer's
    /// events in log order, customers in id order. The same actions per customer and
    /// the same report as pushing them one by one (customers share no state), with
    /// each customer's state loaded into the cache once per group instead of once per
    /// event.
    pub fn push_batch(&mut self, events: &[Event], profiles: &impl Profiles, texts: &Interner) {
        if self.engine.account_attr.is_some() {
            // issue 15, accounts: customers of one account share their account
            // aggregates, so the events go in log (time) order, not by customer
            for e in events {
                if self.owns(e.customer) {
                    self.push(e, profiles, texts);
                }
            }
            return;
        }
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        let mine = events.iter().enumerate().filter(|(_, e)| self.owns(e.customer));
        order.extend(mine.map(|(i, e)| (e.customer.0, i as u32)));
        let shards = self.shards;
        customer_order::sort_by_customer(&mut order, |c| c / shards, &mut self.order_scratch);
        for (n, &(c, i)) in order.iter().enumerate() {
            self.prefetch(events, &order, n);
            self.push(&events[i as usize], profiles, texts);
            // the customer's last event of the group: its state rests until the next
            if order.get(n + 1).is_none_or(|next| next.0 != c) {
                if let Some(Some(s)) = self.states.get_mut((c / self.shards) as usize) {
                    s.idle(self.engine);
                }
            }
        }
        self.order = order;
    }

    /// Ask the memory for the states of the customers a few events ahead, in three
    /// steps (the state itself, then the buffers it points to, then those the
    /// trackers point to), so that a replay of many customers does not wait on a
    /// cache miss at every pointer. Only what the event is likely to touch: a log
    /// interleaves customers, so almost every event finds its customer's state out
    /// of the cache, and fetching all of it would spend the memory bandwidth on parts
    /// that event never reads. A hint only: it changes no result.
    fn prefetch(&self, events: &[Event], order: &[(u32, u32)], n: usize) {
        // the event itself, which the steps below read (its kind) before it is run
        if let Some(&(_, i)) = order.get(n + 8) {
            state::prefetch(&events[i as usize] as *const Event as *const u8, std::mem::size_of::<Event>());
        }
        let slot = |k: usize| {
            let (c, i) = *order.get(n + k)?;
            // the first event of a customer in the group; the rest find it in the cache
            if order[n + k - 1].0 == c {
                return None;
            }
            Some((self.states.get((c / self.shards) as usize)?, &events[i as usize]))
        };
        if let Some((s, _)) = slot(6) {
            state::prefetch(s as *const _ as *const u8, std::mem::size_of_val(s));
        }
        if let Some((Some(s), ev)) = slot(4) {
            s.prefetch_buffers(self.engine, ev);
        }
        if let Some((Some(s), ev)) = slot(2) {
            s.prefetch_tracks(self.engine, ev);
        }
    }

    /// Actions produced so far (drain them to keep memory flat on long logs). The next
    /// group starts with room for as many: a group's actions grown from nothing were
    /// copied at every doubling. The room is the list [`Driver::recycle_actions`] gave
    /// back when it is large enough.
    pub fn take_actions(&mut self) -> Vec<Action> {
        let room = self.actions.len();
        let next = match std::mem::take(&mut self.spare_actions) {
            spare if spare.capacity() >= room => spare,
            _ => Vec::with_capacity(room),
        };
        std::mem::replace(&mut self.actions, next)
    }

    /// A list [`Driver::take_actions`] handed out, done with: it is emptied and kept
    /// for the next group's actions. A group's list is megabytes, which the allocator
    /// takes from the system afresh each time (every page of it faulted and zeroed
    /// again: 5% of a one-thread replay) unless one is kept.
    pub fn recycle_actions(&mut self, mut actions: Vec<Action>) {
        if actions.capacity() > self.spare_actions.capacity() {
            actions.clear();
            self.spare_actions = actions;
        }
    }

    /// Run every customer's remaining timers up to `until`, in customer id order.
    pub fn finish(mut self, texts: &Interner) -> (Vec<Action>, Report) {
        for s in self.states.iter_mut().flatten() {
            s.finish(self.engine, texts, &mut self.actions, &mut self.tally);
        }
        self.accounts.finish(self.engine, texts, &mut self.actions, &mut self.tally);
        free_later(std::mem::take(&mut self.states));
        (self.actions, self.tally.into_report(self.engine))
    }

    /// [`Driver::finish`] on `threads` threads: the states split into runs of
    /// consecutive customers, each run finished with a tally of its own; the runs'
    /// actions joined in order and their reports merged (exact, as for `--partial`),
    /// so the result is the same for any number of threads.
    pub fn finish_on(self, texts: &Interner, threads: usize) -> (Vec<Action>, Report) {
        let n = threads.clamp(1, 64);
        if n == 1 {
            return self.finish(texts);
        }
        // issue 15: the accounts' states here (they are few): their figures add to
        // this tally, their actions go after the customers' as in `finish`
        let Driver { engine, mut states, mut tally, mut actions, mut accounts, .. } = self;
        let mut account_actions = Vec::new();
        accounts.finish(engine, texts, &mut account_actions, &mut tally);
        let run = states.len().div_ceil(n).max(1);
        let parts: Vec<(Vec<Action>, Report)> = std::thread::scope(|s| {
            let handles: Vec<_> = (states.chunks_mut(run))
                .map(|states| {
                    s.spawn(move || {
                        let (mut actions, mut tally) = (Vec::new(), Tally::new(engine));
                        for st in states.iter_mut().flatten() {
                            st.finish(engine, texts, &mut actions, &mut tally);
                        }
                        (actions, tally.into_report(engine))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        free_later(states);
        let mut report = tally.into_report(engine);
        for (a, r) in parts {
            actions.extend(a);
            report.merge(&r);
        }
        actions.extend(account_actions);
        (actions, report)
    }

    pub fn customers(&self) -> usize {
        self.states.iter().filter(|s| s.is_some()).count()
    }

    /// The memory the customers' states hold now (accounts' states included), part by
    /// part, and how many customers there are (see [`CustomerState::footprint`]).
    pub fn footprint(&self) -> StateMeasure {
        let mut m = StateMeasure::default();
        for s in self.states.iter().flatten() {
            m.customers += 1;
            m.bytes.add(&s.footprint_parts());
        }
        for s in self.accounts.states.iter().flatten() {
            m.bytes.add(&s.footprint_parts());
        }
        m
    }
}

/// The engine's states at one moment: how many customers, and the bytes their states
/// hold (summed part by part).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateMeasure {
    pub customers: usize,
    pub bytes: Footprint,
}

impl StateMeasure {
    /// Bytes of state per customer (0 without customers).
    pub fn per_customer(&self) -> f64 {
        self.bytes.total() as f64 / self.customers.max(1) as f64
    }

    fn add(&mut self, o: &StateMeasure) {
        self.customers += o.customers;
        self.bytes.add(&o.bytes);
    }
}

/// [`Driver`]s on several threads, each with the customers whose id is its index
/// modulo their number: customers share no state, so this is the same replay split
/// by customer (as `journey simulate --partial` splits it between machines), merged
/// as it goes. Actions come out in the order of one driver's [`Driver::push_batch`]
/// (by customer, each customer's in order) and the report is the merge of the
/// shards' reports, so the output is the same for any number of threads.
pub struct ShardedDriver<'e, 'p> {
    shards: Vec<Driver<'e, 'p>>,
    /// The list the shards' actions were last merged into, given back for the next
    /// group's (see [`ShardedDriver::take_actions`]).
    spare_merged: Vec<Action>,
}

impl<'e, 'p> ShardedDriver<'e, 'p> {
    pub fn new(engine: &'e Engine<'p>, threads: usize) -> Self {
        // issue 15, accounts: one shard holds every customer, so an account is never
        // split (customers of other accounts still share no state)
        let n = if engine.account_attr.is_some() { 1 } else { threads.clamp(1, 64) as u32 };
        ShardedDriver { shards: (0..n).map(|s| Driver::shard(engine, s, n)).collect(), spare_merged: Vec::new() }
    }

    /// Room for `customers` customers (those of the attribute snapshot, say), so the
    /// states are not moved as they grow.
    pub fn reserve(&mut self, customers: usize) {
        let n = self.shards.len();
        for s in &mut self.shards {
            s.states.reserve(customers.div_ceil(n));
        }
    }

    /// [`Driver::set_accounts`]: accounts are on one shard (see [`ShardedDriver::new`]).
    pub fn set_accounts(&mut self, book: accounts::AccountBook) {
        if let Some(first) = self.shards.first_mut() {
            first.set_accounts(book);
        }
    }

    pub fn add_customer(&mut self, customer: Customer) {
        let n = self.shards.len();
        self.shards[customer.id.0 as usize % n].add_customer(customer);
    }

    /// [`Driver::add_customer_in`] on the customer's shard.
    pub fn add_customer_in(&mut self, customer: Customer, texts: &Interner) {
        let n = self.shards.len();
        self.shards[customer.id.0 as usize % n].add_customer_in(customer, texts);
    }

    /// [`Driver::add_profile`] on the customer's shard.
    pub fn add_profile(&mut self, profiles: &impl Profiles, id: CustomerId, texts: &Interner) {
        let n = self.shards.len();
        self.shards[id.0 as usize % n].add_profile(profiles, id, texts);
    }

    /// [`Driver::push_batch`], each shard on its own thread (this one runs the first).
    pub fn push_batch(&mut self, events: &[Event], profiles: &(impl Profiles + Sync), texts: &Interner) {
        let Some((first, rest)) = self.shards.split_first_mut() else { return };
        if rest.is_empty() {
            return first.push_batch(events, profiles, texts);
        }
        std::thread::scope(|s| {
            for shard in rest.iter_mut() {
                s.spawn(|| shard.push_batch(events, profiles, texts));
            }
            first.push_batch(events, profiles, texts);
        });
    }

    /// Actions produced so far, by customer (each customer's in order). With several
    /// shards they are merged into the list [`ShardedDriver::recycle_actions`] gave
    /// back, and each shard's own list goes back to it emptied, so that a group's
    /// lists are reused rather than allocated (and their pages zeroed) afresh.
    pub fn take_actions(&mut self) -> Vec<Action> {
        if let [only] = &mut self.shards[..] {
            return only.take_actions();
        }
        let mut parts: Vec<Vec<Action>> = self.shards.iter_mut().map(Driver::take_actions).collect();
        let mut merged = std::mem::take(&mut self.spare_merged);
        merged.clear();
        action_merge::merge_by_customer(&mut parts, &mut merged);
        for (shard, part) in self.shards.iter_mut().zip(parts) {
            shard.recycle_actions(part);
        }
        merged
    }

    /// [`Driver::recycle_actions`]: a list [`ShardedDriver::take_actions`] handed
    /// out, kept for the next group's.
    pub fn recycle_actions(&mut self, mut actions: Vec<Action>) {
        if let [only] = &mut self.shards[..] {
            return only.recycle_actions(actions);
        }
        if actions.capacity() > self.spare_merged.capacity() {
            actions.clear();
            self.spare_merged = actions;
        }
    }

    /// [`Driver::footprint`] over every shard.
    pub fn footprint(&self) -> StateMeasure {
        let mut m = StateMeasure::default();
        for s in &self.shards {
            m.add(&s.footprint());
        }
        m
    }

    /// [`Driver::finish`] of every shard, in parallel on `threads` threads in all
    /// (the reader is done by then, so every core can take part): the actions by
    /// customer, and the merged report.
    pub fn finish(self, texts: &Interner, threads: usize) -> (Vec<Action>, Report) {
        let each = (threads / self.shards.len()).max(1);
        let parts: Vec<(Vec<Action>, Report)> = std::thread::scope(|s| {
            let handles: Vec<_> = self.shards.into_iter().map(|d| s.spawn(move || d.finish_on(texts, each))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let mut report = Report::default();
        let mut actions = Vec::with_capacity(parts.len());
        for (a, r) in parts {
            report.merge(&r);
            actions.push(a);
        }
        (by_customer(actions), report)
    }
}

/// Free the customers' states on a thread of their own: about ten allocations per
/// customer, which take a noticeable part of a second to free and which the caller
/// need not wait for. Freed on the finishing threads instead, they contend for the
/// allocator's lock (the engine thread allocated them all), which was slower still.
fn free_later(states: Vec<Option<CustomerState>>) {
    if !states.is_empty() {
        std::thread::spawn(move || drop(states));
    }
}

/// Actions of disjoint sets of customers, each in customer order, as one list in
/// customer order (each customer's own order kept).
fn by_customer(mut parts: Vec<Vec<Action>>) -> Vec<Action> {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut all = Vec::new();
    action_merge::merge_by_customer(&mut parts, &mut all);
    all
}

/// A 64-bit hash that is the same on every platform and build: FNV-1a over the parts
/// (each followed by a 0xff separator), then a SplitMix64 finaliser.
pub fn stable_hash(seed: u64, parts: &[&str]) -> u64 {
    stable_hash_from(stable_prefix(seed, &[]), parts)
}

/// [`stable_hash`]'s state after its leading parts: FNV-1a reads the parts in order,
/// so `stable_hash_from(stable_prefix(seed, a), b)` is `stable_hash(seed, a ++ b)`.
/// The parts that are the same for every customer (`"holdout"` and the journey's
/// name) are read once per program, not at every entry.
pub(crate) fn stable_prefix(seed: u64, parts: &[&str]) -> u64 {
    fnv(0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), parts)
}

fn fnv(mut h: u64, parts: &[&str]) -> u64 {
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// [`stable_hash`] of the parts that follow a [`stable_prefix`].
pub(crate) fn stable_hash_from(prefix: u64, parts: &[&str]) -> u64 {
    let mut h = fnv(prefix, parts);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}
