//! The counters the engine bumps while it runs: dense, indexed by journey, stage,
//! channel and local day number, so counting a send or an entry costs an array
//! increment instead of a string-keyed map lookup (and a name cloned for the key).
//! [`Tally::into_report`] turns them into the name-keyed, mergeable [`Report`] once,
//! at the end, keeping only what was counted: a zero never appears in a report, as if
//! the report had been filled key by key.

use crate::experiment::{CustomerCell, GroupSums};
use crate::report::{
    AccountsReport, ChannelReport, GoalReport, JourneyReport, ProgramRulesReport, Report, TasksReport,
};
use crate::{Engine, ExitReason};
use std::collections::BTreeMap;

/// Exit reasons in the order of [`ExitReason::ALL`].
const REASONS: usize = ExitReason::ALL.len();

#[derive(Debug, Clone, Default)]
pub(crate) struct JourneyTally {
    pub entrants: u64,
    pub treated: u64,
    pub holdout: u64,
    pub customers: u64,
    pub filtered_out: u64,
    pub re_entry_blocked: u64,
    pub already_in: u64,
    pub before_exists: u64,
    /// issue 15: entry attempts outside the campaign window.
    pub outside_window: u64,
    /// issue 15: would-be entries of customers in the global holdout.
    pub global_holdout: u64,
    /// issue 15: marketing sends refused by suppression.
    pub suppressed: u64,
    /// By audience clause index (see `CJourney::audience_clauses`).
    pub unknown_refusals: BTreeMap<usize, u64>,
    pub exits: [u64; REASONS],
    /// By stage index.
    pub stage_entries: Vec<u64>,
    /// By `stage * channels + channel`.
    pub sends: Vec<u64>,
    /// By local day number (days from the common era, program time zone).
    pub sends_by_day: BTreeMap<i32, u64>,
    pub cap_hits: u64,
    pub consent_suppressions: u64,
    pub quiet_deferrals: u64,
    pub quiet_drops: u64,
    pub min_gap_deferrals: u64,
    pub conflict_refusals: u64,
    pub tasks: u64,
    pub webhooks: u64,
    pub attribute_sets: u64,
    pub unsubscribes: u64,
    pub bounces: u64,
    pub complaints: u64,
    pub max_sends_per_week: BTreeMap<u64, u64>,
    /// By goal index.
    pub goals: Vec<GoalReport>,
    /// Customer-level sums: treated, held out, then each split arm (see
    /// [`crate::experiment::CustomerCell::group`]).
    pub groups: Vec<GroupSums>,
}

#[derive(Debug, Clone)]
pub(crate) struct Tally {
    pub customers: u64,
    pub events: u64,
    pub sends: u64,
    pub journeys: Vec<JourneyTally>,
    pub channels: Vec<ChannelReport>,
    /// Local day number -> sends by channel index.
    pub sends_by_day: BTreeMap<i32, Vec<u64>>,
    /// By policy cap index.
    pub policy_cap_hits: Vec<u64>,
    pub quiet_day_deferrals: u64,
    pub quiet_day_drops: u64,
    pub policy_min_gap_deferrals: u64,
    /// By policy `conflicting` group index.
    pub policy_conflict_refusals: Vec<u64>,
    pub max_sends_per_week: BTreeMap<u64, u64>,
    /// issue 15: the program-wide rules' figures; category cap hits by cap index.
    pub program_rules: ProgramRulesReport,
    pub category_cap_hits: Vec<u64>,
    /// issue 15: tasks by owner and queue (named as they come: tasks are rare).
    pub tasks: TasksReport,
    /// issue 15: the accounts of `for account` journeys.
    pub accounts: AccountsReport,
}

impl Tally {
    pub fn new(eng: &Engine) -> Tally {
        let channels = eng.channels.len();
        Tally {
            customers: 0,
            events: 0,
            sends: 0,
            journeys: eng
                .journeys
                .iter()
                .map(|j| JourneyTally {
                    stage_entries: vec![0; j.stage_names.len()],
                    sends: vec![0; j.stage_names.len() * channels],
                    goals: vec![GoalReport::default(); j.goals.len()],
                    // treated, held out, each arm, then (issue 15) the global holdout
                    groups: vec![GroupSums::default(); 3 + j.arms.len()],
                    ..JourneyTally::default()
                })
                .collect(),
            channels: vec![ChannelReport::default(); channels],
            sends_by_day: BTreeMap::new(),
            policy_cap_hits: vec![0; eng.policy_caps.len()],
            quiet_day_deferrals: 0,
            quiet_day_drops: 0,
            policy_min_gap_deferrals: 0,
            policy_conflict_refusals: vec![0; eng.conflicts.labels.len()],
            max_sends_per_week: BTreeMap::new(),
            program_rules: ProgramRulesReport::default(),
            category_cap_hits: vec![0; eng.rules.caps.len()],
            tasks: TasksReport::default(),
            accounts: AccountsReport::default(),
        }
    }

    /// issue 15: a task created by journey `journey`.
    pub fn task(&mut self, journey: &str, task: &crate::tasks::CreatedTask) {
        use crate::tasks::Assignee;
        let t = &mut self.tasks;
        t.created += 1;
        let counts = match &task.assignee {
            Assignee::Owner(name) => t.by_owner.entry(name.clone()).or_default(),
            Assignee::Queue { name, fallback } => {
                let c = t.by_queue.entry(name.clone()).or_default();
                if *fallback {
                    c.fallback += 1;
                    t.fallback += 1;
                }
                c
            }
        };
        counts.tasks += 1;
        *counts.by_priority.entry(task.priority.as_str().to_string()).or_default() += 1;
        *counts.by_journey.entry(journey.to_string()).or_default() += 1;
        if task.due_on_day_off {
            counts.due_on_day_off += 1;
        }
    }

    /// A delivered message: journey `j`, stage `stage`, channel `c`, local day `day`.
    pub fn send(&mut self, j: usize, stage: usize, c: usize, day: i32) {
        let channels = self.channels.len();
        let jt = &mut self.journeys[j];
        jt.sends[stage * channels + c] += 1;
        *jt.sends_by_day.entry(day).or_default() += 1;
        self.channels[c].sends += 1;
        self.sends_by_day.entry(day).or_insert_with(|| vec![0; channels])[c] += 1;
        self.sends += 1;
    }

    /// A customer's counts in one group, at the end of the run.
    pub fn customer_cell(&mut self, eng: &Engine, c: &CustomerCell) {
        let j = c.journey as usize;
        self.journeys[j].groups[c.group as usize].add(c, &eng.journeys[j].goal_names, &eng.journeys[j].goal_is_amount);
    }

    pub fn into_report(self, eng: &Engine) -> Report {
        let channel_name = |c: usize| eng.channels[c].name.clone();
        let day_label = |d: i32| {
            chrono::NaiveDate::from_num_days_from_ce_opt(d)
                .map_or_else(|| d.to_string(), |d| d.format("%Y-%m-%d").to_string())
        };
        let mut journeys = BTreeMap::new();
        for (j, t) in self.journeys.into_iter().enumerate() {
            let cj = &eng.journeys[j];
            let exits: BTreeMap<String, u64> = ExitReason::ALL
                .iter()
                .zip(t.exits)
                .filter(|(_, n)| *n > 0)
                .map(|(r, n)| (r.as_str().to_string(), n))
                .collect();
            let stage_entries: BTreeMap<String, u64> = (t.stage_entries.iter().enumerate())
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| (cj.stage_names[s].clone(), *n))
                .collect();
            let mut sends: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            let channels = eng.channels.len().max(1);
            for (i, &n) in t.sends.iter().enumerate().filter(|(_, n)| **n > 0) {
                sends.entry(cj.stage_names[i / channels].clone()).or_default().insert(channel_name(i % channels), n);
            }
            let goals: BTreeMap<String, GoalReport> = (t.goals.into_iter().enumerate())
                .filter(|(_, g)| *g != GoalReport::default())
                .map(|(g, r)| (eng.program.journeys[j].goals[g].name.clone(), r))
                .collect();
            let mut groups = t.groups;
            let global = groups.pop().unwrap_or_default();
            let mut groups = groups.into_iter();
            let mut experiment = BTreeMap::new();
            if global.customers > 0 {
                experiment.insert(crate::experiment::GLOBAL_HOLDOUT.to_string(), global);
            }
            for name in ["treated", "holdout"] {
                let g = groups.next().unwrap_or_default();
                if g.customers > 0 {
                    experiment.insert(name.to_string(), g);
                }
            }
            let mut splits: BTreeMap<String, BTreeMap<String, GroupSums>> = BTreeMap::new();
            for ((split, arm), g) in cj.arms.iter().zip(groups) {
                if g.customers > 0 {
                    splits.entry(split.clone()).or_default().insert(arm.clone(), g);
                }
            }
            let r = JourneyReport {
                entrants: t.entrants,
                treated: t.treated,
                holdout: t.holdout,
                customers: t.customers,
                filtered_out: t.filtered_out,
                re_entry_blocked: t.re_entry_blocked,
                already_in: t.already_in,
                before_exists: t.before_exists,
                outside_window: t.outside_window,
                global_holdout: t.global_holdout,
                suppressed: t.suppressed,
                unknown_refusals: (t.unknown_refusals.iter())
                    .map(|(&k, &n)| (cj.audience_clauses[k].0.clone(), n))
                    .fold(BTreeMap::new(), |mut m, (k, n)| {
                        *m.entry(k).or_insert(0) += n;
                        m
                    }),
                exits,
                stage_entries,
                sends,
                sends_by_day: t.sends_by_day.into_iter().map(|(d, n)| (day_label(d), n)).collect(),
                cap_hits: t.cap_hits,
                consent_suppressions: t.consent_suppressions,
                quiet_deferrals: t.quiet_deferrals,
                quiet_drops: t.quiet_drops,
                min_gap_deferrals: t.min_gap_deferrals,
                conflict_refusals: t.conflict_refusals,
                tasks: t.tasks,
                webhooks: t.webhooks,
                attribute_sets: t.attribute_sets,
                unsubscribes: t.unsubscribes,
                bounces: t.bounces,
                complaints: t.complaints,
                max_sends_per_week: t.max_sends_per_week,
                goals,
                experiment,
                splits,
            };
            if r != JourneyReport::default() {
                journeys.insert(cj.name.clone(), r);
            }
        }
        let channels = (self.channels.into_iter().enumerate())
            .filter(|(_, r)| *r != ChannelReport::default())
            .map(|(c, r)| (channel_name(c), r))
            .collect();
        let sends_by_day = (self.sends_by_day.into_iter())
            .map(|(d, by)| {
                let by =
                    by.into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(c, n)| (channel_name(c), n)).collect();
                (day_label(d), by)
            })
            .collect();
        let mut policy_cap_hits: BTreeMap<String, u64> = BTreeMap::new();
        for (i, n) in self.policy_cap_hits.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            *policy_cap_hits.entry(eng.policy_caps[i].label.clone()).or_default() += n;
        }
        let policy_conflict_refusals = (self.policy_conflict_refusals.into_iter().enumerate())
            .filter(|(_, n)| *n > 0)
            .map(|(g, n)| (eng.conflicts.labels[g].clone(), n))
            .collect();
        Report {
            customers: self.customers,
            events: self.events,
            sends: self.sends,
            journeys,
            channels,
            sends_by_day,
            policy_cap_hits,
            quiet_day_deferrals: self.quiet_day_deferrals,
            quiet_day_drops: self.quiet_day_drops,
            policy_min_gap_deferrals: self.policy_min_gap_deferrals,
            policy_conflict_refusals,
            max_sends_per_week: self.max_sends_per_week,
            program_rules: ProgramRulesReport {
                category_cap_hits: (self.category_cap_hits.into_iter().enumerate())
                    .filter(|(_, n)| *n > 0)
                    .map(|(i, n)| (eng.rules.caps[i].category.clone(), n))
                    .collect(),
                ..self.program_rules
            },
            tasks: self.tasks,
            accounts: self.accounts,
        }
    }
}
