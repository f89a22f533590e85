//! The simulation report. Every figure is a count, a histogram of counts or a map of
//! them, so reports of disjoint sets of customers merge exactly: counts add, maps
//! merge key by key. Rates are derived from the counts when asked for
//! ([`Report::guardrails`]), never stored, so a merged report derives the same rates as
//! a whole run.

use crate::experiment::GroupSums;
use journey_ir::{CmpOp, Program};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Combine another partial report (of other customers) into this one.
pub trait Merge {
    fn merge(&mut self, other: &Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: &Self) {
        *self += *other;
    }
}

impl<K: Ord + Clone, V: Merge + Default> Merge for BTreeMap<K, V> {
    fn merge(&mut self, other: &Self) {
        for (k, v) in other {
            self.entry(k.clone()).or_default().merge(v);
        }
    }
}

macro_rules! merge_fields {
    ($t:ty { $($f:ident),* $(,)? }) => {
        impl Merge for $t {
            fn merge(&mut self, other: &Self) {
                $( Merge::merge(&mut self.$f, &other.$f); )*
            }
        }
    };
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Customers simulated (with events or a profile).
    pub customers: u64,
    /// Events processed (inside the simulated period).
    pub events: u64,
    /// Messages delivered, all journeys and channels.
    pub sends: u64,
    pub journeys: BTreeMap<String, JourneyReport>,
    pub channels: BTreeMap<String, ChannelReport>,
    /// Messages by local day (program time zone) and channel.
    pub sends_by_day: BTreeMap<String, BTreeMap<String, u64>>,
    /// Sends refused by each policy cap (`any 5 per 7d`, `email,sms 4 per 7d`).
    pub policy_cap_hits: BTreeMap<String, u64>,
    pub quiet_day_deferrals: u64,
    pub quiet_day_drops: u64,
    /// Sends deferred by the policy `min_gap`.
    pub policy_min_gap_deferrals: u64,
    /// Sends refused by each policy `conflicting` group (`discount, full_price`): a
    /// different tag of the group had reached the customer within the conflict window.
    #[serde(default)]
    pub policy_conflict_refusals: BTreeMap<String, u64>,
    /// Customers by the most messages they got in any rolling 7 days.
    pub max_sends_per_week: BTreeMap<u64, u64>,
    /// issue 15: what journey.yaml's program-wide rules did.
    #[serde(default, skip_serializing_if = "ProgramRulesReport::is_empty")]
    pub program_rules: ProgramRulesReport,
    /// issue 15: the CSM tasks created, by owner and by queue.
    #[serde(default, skip_serializing_if = "TasksReport::is_empty")]
    pub tasks: TasksReport,
    /// issue 15: the accounts of a program with `for account` journeys.
    #[serde(default, skip_serializing_if = "AccountsReport::is_empty")]
    pub accounts: AccountsReport,
}

/// issue 15, accounts: what the `for account` journeys ran on. Present only when the
/// program has such journeys; their `entrants` and `customers` count accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsReport {
    /// Accounts simulated (every account of the attribute snapshot).
    #[serde(default)]
    pub accounts: u64,
    /// Customers who belong to one of them.
    #[serde(default)]
    pub customers: u64,
    /// Of them, the accounts' admins (who receive a `for account` journey's messages).
    #[serde(default)]
    pub admins: u64,
    /// Accounts without any admin: their `for account` messages reach nobody.
    #[serde(default)]
    pub without_admin: u64,
    /// Messages of `for account` journeys delivered, one per admin reached.
    #[serde(default)]
    pub messages: u64,
    /// Sends of `for account` journeys that reached no admin (none, or none with
    /// consent on the channel).
    #[serde(default)]
    pub undelivered: u64,
    /// Customers whose account the account file (journey.yaml `events.account.file`)
    /// does not list: they read no value for the attributes the file gives.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unlisted_customers: u64,
}

impl AccountsReport {
    pub fn is_empty(&self) -> bool {
        self == &AccountsReport::default()
    }
}

merge_fields!(AccountsReport { accounts, customers, admins, without_admin, messages, undelivered, unlisted_customers });

/// issue 15: the tasks the `task` steps created. A task counts under its owner (a
/// person: `owner "…"` or the owner attribute's value when the step ran) or, without
/// one, under its queue (`fallback` counts the tasks that went there because the owner
/// attribute was missing or empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TasksReport {
    /// Tasks created, all journeys.
    #[serde(default)]
    pub created: u64,
    /// Tasks sent to a fallback queue (owner attribute missing or empty).
    #[serde(default)]
    pub fallback: u64,
    #[serde(default)]
    pub by_owner: BTreeMap<String, TaskCounts>,
    #[serde(default)]
    pub by_queue: BTreeMap<String, TaskCounts>,
}

impl TasksReport {
    pub fn is_empty(&self) -> bool {
        self == &TasksReport::default()
    }

    /// Owners, then queues, as `(name, is_queue, counts)`, most tasks first and by
    /// name among equals: the order of the per-owner tables.
    pub fn rows(&self) -> Vec<(&str, bool, &TaskCounts)> {
        let mut rows: Vec<(&str, bool, &TaskCounts)> = (self.by_owner.iter().map(|(n, c)| (n.as_str(), false, c)))
            .chain(self.by_queue.iter().map(|(n, c)| (n.as_str(), true, c)))
            .collect();
        rows.sort_by(|a, b| b.2.tasks.cmp(&a.2.tasks).then(a.1.cmp(&b.1)).then(a.0.cmp(b.0)));
        rows
    }
}

/// One owner's or queue's tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskCounts {
    pub tasks: u64,
    /// Of them, tasks that fell back here (queues only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fallback: u64,
    /// By priority (`low`, `normal`, `high`, `urgent`).
    #[serde(default)]
    pub by_priority: BTreeMap<String, u64>,
    /// By journey.
    #[serde(default)]
    pub by_journey: BTreeMap<String, u64>,
    /// Tasks with a due time whose due time fell on a day off of the customer's
    /// calendar (a weekend or holiday), from `due N days|hours`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub due_on_day_off: u64,
}

merge_fields!(TaskCounts { tasks, fallback, by_priority, by_journey, due_on_day_off });
merge_fields!(TasksReport { created, fallback, by_owner, by_queue });

/// issue 15: the program-wide rules' figures (global holdout, suppression, caps per
/// message category); per journey they are `global_holdout`, `suppressed` and
/// `cap_hits`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramRulesReport {
    /// Simulated customers in the global holdout.
    #[serde(default)]
    pub global_holdout_customers: u64,
    /// Marketing sends refused because the customer is suppressed, all journeys.
    #[serde(default)]
    pub suppressed_sends: u64,
    /// Customers who had at least one send refused by suppression.
    #[serde(default)]
    pub suppressed_customers: u64,
    /// Sends refused by each cap per category, by category.
    #[serde(default)]
    pub category_cap_hits: BTreeMap<String, u64>,
}

impl ProgramRulesReport {
    pub fn is_empty(&self) -> bool {
        self == &ProgramRulesReport::default()
    }
}

merge_fields!(ProgramRulesReport {
    global_holdout_customers,
    suppressed_sends,
    suppressed_customers,
    category_cap_hits
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelReport {
    pub sends: u64,
    pub cap_hits: u64,
    pub consent_suppressions: u64,
    pub quiet_hour_deferrals: u64,
    pub quiet_hour_drops: u64,
    pub min_gap_deferrals: u64,
    pub tasks: u64,
    pub webhooks: u64,
    /// `unsubscribe` events that withdrew this channel's consent from a customer who
    /// had it until then.
    #[serde(default)]
    pub consent_withdrawals: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyReport {
    /// Every entry, treated and held out.
    pub entrants: u64,
    pub treated: u64,
    pub holdout: u64,
    /// Distinct customers who entered at least once.
    pub customers: u64,
    /// Entry attempts refused: the `audience` filter was false.
    pub filtered_out: u64,
    /// Entry attempts refused by `re_entry`.
    pub re_entry_blocked: u64,
    /// Entry attempts while the customer was still in the journey.
    pub already_in: u64,
    /// Entry attempts (scheduled ticks, date entries, any other) before the customer
    /// existed (their creation attribute, else their first event): skipped, so nobody
    /// is messaged before they signed up.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub before_exists: u64,
    /// issue 15: entry attempts outside the journey's campaign window
    /// (`active from … to …`): skipped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outside_window: u64,
    /// issue 15: entries that would have been, of customers in the program's global
    /// holdout (not in `entrants`): recorded, no steps, their goals followed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub global_holdout: u64,
    /// issue 15: marketing sends refused because the customer is suppressed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    /// Customers the `audience` filter refused because it read a missing value
    /// (it ended unknown, see docs/language.md), by the first top-level clause that
    /// was unknown, as written. Each customer counts once per clause.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_refusals: BTreeMap<String, u64>,
    /// Leaves, by reason (`end`, `exit_event`, `exit_condition`, `handover`, `holdout`, `step_limit`).
    pub exits: BTreeMap<String, u64>,
    /// Arrivals at each stage, by stage name (the funnel): a treated customer is counted
    /// once each time a step moves them into the stage from elsewhere.
    pub stage_entries: BTreeMap<String, u64>,
    /// Messages by stage and channel.
    pub sends: BTreeMap<String, BTreeMap<String, u64>>,
    pub sends_by_day: BTreeMap<String, u64>,
    pub cap_hits: u64,
    pub consent_suppressions: u64,
    pub quiet_deferrals: u64,
    pub quiet_drops: u64,
    pub min_gap_deferrals: u64,
    /// Sends refused by a policy `conflicting` group.
    #[serde(default)]
    pub conflict_refusals: u64,
    pub tasks: u64,
    pub webhooks: u64,
    pub attribute_sets: u64,
    /// `unsubscribe` events attributed to the journey: within 7 days of a message it
    /// sent (the customer's last), else while the customer is in it.
    pub unsubscribes: u64,
    /// `bounce` events, attributed the same way (0 when the program declares none).
    #[serde(default)]
    pub bounces: u64,
    /// `complaint` events, attributed the same way.
    #[serde(default)]
    pub complaints: u64,
    /// Customers by the most of this journey's messages they got in any rolling 7 days
    /// (customers it sent nothing are not counted).
    #[serde(default)]
    pub max_sends_per_week: BTreeMap<u64, u64>,
    pub goals: BTreeMap<String, GoalReport>,
    /// Customer-level sums of the `treated` and `holdout` entries, for the holdout's
    /// interval (see `experiment`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub experiment: BTreeMap<String, GroupSums>,
    /// Customer-level sums of the entries that took each arm, by split and arm.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub splits: BTreeMap<String, BTreeMap<String, GroupSums>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoalReport {
    pub treated_conversions: u64,
    pub holdout_conversions: u64,
    /// issue 15: conversions of the global holdout's would-be entries.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub global_holdout_conversions: u64,
    /// Conversions by whole days from entry to goal (treated and holdout together).
    pub days_to_goal: BTreeMap<u64, u64>,
}

merge_fields!(ChannelReport {
    sends,
    cap_hits,
    consent_suppressions,
    quiet_hour_deferrals,
    quiet_hour_drops,
    min_gap_deferrals,
    tasks,
    webhooks,
    consent_withdrawals
});
merge_fields!(GoalReport { treated_conversions, holdout_conversions, global_holdout_conversions, days_to_goal });
merge_fields!(JourneyReport {
    entrants,
    treated,
    holdout,
    customers,
    filtered_out,
    re_entry_blocked,
    already_in,
    before_exists,
    outside_window,
    global_holdout,
    suppressed,
    unknown_refusals,
    exits,
    stage_entries,
    sends,
    sends_by_day,
    cap_hits,
    consent_suppressions,
    quiet_deferrals,
    quiet_drops,
    min_gap_deferrals,
    conflict_refusals,
    tasks,
    webhooks,
    attribute_sets,
    unsubscribes,
    bounces,
    complaints,
    max_sends_per_week,
    goals,
    experiment,
    splits
});
merge_fields!(Report {
    customers,
    events,
    sends,
    journeys,
    channels,
    sends_by_day,
    policy_cap_hits,
    quiet_day_deferrals,
    quiet_day_drops,
    policy_min_gap_deferrals,
    policy_conflict_refusals,
    max_sends_per_week,
    program_rules,
    tasks,
    accounts
});

/// The key of a policy cap in [`Report::policy_cap_hits`]: `any 5 per 10080m`,
/// `email,sms 4 per 10080m`. The engine counts under it and the HTML page finds the
/// program's caps by it.
pub fn policy_cap_key(c: &journey_ir::PolicyCap) -> String {
    format!("{} {} per {}m", policy_cap_channels(c), c.cap.count, c.cap.window_minutes)
}

/// The channels a policy cap counts, as written: `any`, `email,sms`.
pub(crate) fn policy_cap_channels(c: &journey_ir::PolicyCap) -> String {
    c.channels.as_ref().map_or_else(|| "any".to_string(), |v| v.join(","))
}

/// The key of a policy `conflicting` group in [`Report::policy_conflict_refusals`]:
/// `discount, full_price`.
pub fn conflict_key(group: &[String]) -> String {
    group.join(", ")
}

/// A guardrail of a journey against the replayed figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailResult {
    pub journey: String,
    pub metric: String,
    pub op: String,
    pub limit: f64,
    /// `None` when the log cannot measure the metric.
    pub value: Option<f64>,
    /// `None` when not measured.
    pub ok: Option<bool>,
}

impl Report {
    /// Pretty JSON with a trailing newline; every map is ordered, so the same report is
    /// always the same bytes.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }

    /// Each journey's guardrails, measured where the report can: `conversion_rate`
    /// (treated conversions on the journey's first conversion goal / treated entrants),
    /// `holdout_rate`, `sends_per_customer` (messages / treated entrants),
    /// `sends_per_customer_per_week` (the most of its messages one customer got in
    /// any 7 days), `unsubscribe_rate` and `opt_out_rate` (unsubscribes attributed to
    /// the journey / treated entrants), `bounce_rate` and `complaint_rate` (bounces or
    /// complaints attributed to it / its messages). A rate whose event the program
    /// does not declare is reported as not measured, never as passed.
    pub fn guardrails(&self, program: &Program) -> Vec<GuardrailResult> {
        let mut out = Vec::new();
        let declared = |name: &str| program.events.iter().any(|e| e.name == name);
        for j in &program.journeys {
            let r = self.journeys.get(&j.name).cloned().unwrap_or_default();
            let ratio = |n: u64, d: u64| if d == 0 { None } else { Some(n as f64 / d as f64) };
            for g in &j.guardrails {
                let sends: u64 = r.sends.values().flat_map(|m| m.values()).sum();
                let value = match g.metric.as_str() {
                    // the first conversion goal (an amount goal has no conversions)
                    "conversion_rate" => j
                        .goals
                        .iter()
                        .find(|g| !g.kind.is_amount())
                        .and_then(|goal| r.goals.get(&goal.name))
                        .and_then(|gr| ratio(gr.treated_conversions, r.treated)),
                    "holdout_rate" => ratio(r.holdout, r.entrants),
                    "sends_per_customer" => ratio(sends, r.treated),
                    "unsubscribe_rate" | "opt_out_rate" if declared("unsubscribe") => ratio(r.unsubscribes, r.treated),
                    "bounce_rate" if declared("bounce") => ratio(r.bounces, sends),
                    "complaint_rate" if declared("complaint") => ratio(r.complaints, sends),
                    "sends_per_customer_per_week" if r.treated > 0 => {
                        Some(r.max_sends_per_week.keys().next_back().copied().unwrap_or(0) as f64)
                    }
                    _ => None,
                };
                let ok = value.map(|v| match g.op {
                    CmpOp::Lt => v < g.limit,
                    CmpOp::Le => v <= g.limit,
                    CmpOp::Gt => v > g.limit,
                    CmpOp::Ge => v >= g.limit,
                    CmpOp::Eq => v == g.limit,
                    CmpOp::Ne => v != g.limit,
                });
                out.push(GuardrailResult {
                    journey: j.name.clone(),
                    metric: g.metric.clone(),
                    op: g.op.as_str().to_string(),
                    limit: g.limit,
                    value,
                    ok,
                });
            }
        }
        out
    }
}
