//! issue 15: CSM tasks. A `task` step creates a task when it runs: its owner is
//! resolved then (a fixed person, or the customer's owner attribute at that moment), a
//! missing or empty owner sends it to the fallback queue (`else queue Q`, else the
//! task's own channel), and its due time is computed in the customer's time zone, in
//! working days of their calendar for `due N business days`.

use crate::business_days::{add_business_days, WorkCalendar};
use crate::{time, AttrValue};
use chrono_tz::Tz;
use journey_ir::{TaskDue, TaskPriority};
use serde::Serialize;

/// Where a task's owner comes from, compiled (attribute names become indexes).
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledOwner {
    /// No owner: the task stays in its channel's queue.
    Queue,
    Fixed(String),
    /// An attribute index (`None`: the attribute is unknown to the program, which the
    /// checker refuses; treated as always missing) and the fallback queue (the index
    /// of its channel: `else queue Q` names a task channel).
    Attribute {
        attribute: Option<usize>,
        fallback: usize,
    },
}

/// Who a created task went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "to", content = "name", rename_all = "snake_case")]
pub enum Assignee {
    /// A person (`owner "…"`, or the owner attribute's value).
    Owner(String),
    /// A queue: the task's own (no owner given) or, with `fallback`, the queue the
    /// task fell back to because the owner attribute was missing or empty.
    Queue { name: String, fallback: bool },
}

impl Assignee {
    pub fn name(&self) -> &str {
        match self {
            Assignee::Owner(n) | Assignee::Queue { name: n, .. } => n,
        }
    }

    pub fn is_fallback(&self) -> bool {
        matches!(self, Assignee::Queue { fallback: true, .. })
    }
}

/// Where a task of step channel `channel` goes given the customer's attributes now:
/// the channel (queue) that holds it, the step's own unless it fell back to the
/// fallback queue, and its assignee. Text is trimmed; a value that is empty (or only
/// spaces) counts as missing. `name` gives a channel's name from its index.
pub fn resolve_owner<'c>(
    owner: &CompiledOwner,
    channel: usize,
    name: impl Fn(usize) -> &'c str,
    attrs: &[AttrValue],
) -> (usize, Assignee) {
    match owner {
        CompiledOwner::Queue => (channel, Assignee::Queue { name: name(channel).to_string(), fallback: false }),
        CompiledOwner::Fixed(person) => (channel, Assignee::Owner(person.clone())),
        CompiledOwner::Attribute { attribute, fallback } => match attribute.and_then(|a| attrs.get(a)) {
            Some(AttrValue::Text(t)) if !t.trim().is_empty() => (channel, Assignee::Owner(t.trim().to_string())),
            _ => (*fallback, Assignee::Queue { name: name(*fallback).to_string(), fallback: true }),
        },
    }
}

/// When a task created at `now` is due: whole days and hours as waits count them (a
/// whole number of days keeps the local time across a daylight-saving change),
/// business days on the customer's calendar.
pub fn due_time(tz: Tz, now: i64, due: Option<TaskDue>, calendar: &WorkCalendar) -> Option<i64> {
    match due? {
        TaskDue::Minutes(m) => Some(time::add_duration(tz, now, m)),
        TaskDue::BusinessDays(d) => Some(add_business_days(tz, now, d, calendar)),
    }
}

/// A created task as the engine records it (in the action trace and the report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedTask {
    pub assignee: Assignee,
    /// Milliseconds since the epoch; `None` without `due`.
    pub due: Option<i64>,
    pub priority: TaskPriority,
    /// The due time falls on a weekend or holiday of the customer's calendar.
    #[serde(skip)]
    pub due_on_day_off: bool,
}

/// Does `t` fall on a day off of `calendar`, in `tz`?
pub fn on_day_off(tz: Tz, t: i64, calendar: &WorkCalendar) -> bool {
    !calendar.is_working_day(time::local(tz, t).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32) -> i64 {
        tz.from_local_datetime(&NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, 0, 0).unwrap())
            .unwrap()
            .timestamp_millis()
    }

    /// Channels 0 and 1: the step's own queue and the fallback queue.
    const CHANNELS: [&str; 2] = ["csm", "cs_triage"];

    fn resolve(owner: &CompiledOwner, attrs: &[AttrValue]) -> (usize, Assignee) {
        resolve_owner(owner, 0, |c| CHANNELS[c], attrs)
    }

    fn owner_attr() -> CompiledOwner {
        CompiledOwner::Attribute { attribute: Some(1), fallback: 1 }
    }

    #[test]
    fn the_owner_comes_from_the_attribute_at_that_time() {
        let attrs = vec![AttrValue::Bool(true), AttrValue::Text(" ana@x.com ".into())];
        assert_eq!(resolve(&owner_attr(), &attrs), (0, Assignee::Owner("ana@x.com".into())));
        let fixed = CompiledOwner::Fixed("bo@x.com".into());
        assert_eq!(resolve(&fixed, &attrs), (0, Assignee::Owner("bo@x.com".into())));
        assert_eq!(
            resolve(&CompiledOwner::Queue, &attrs),
            (0, Assignee::Queue { name: "csm".into(), fallback: false })
        );
    }

    #[test]
    fn a_missing_or_empty_owner_falls_back_to_the_queue() {
        // the task goes to the fallback queue's channel, not the step's
        let fallback = (1, Assignee::Queue { name: "cs_triage".into(), fallback: true });
        for v in [AttrValue::Missing, AttrValue::Text("".into()), AttrValue::Text("  ".into())] {
            let attrs = vec![AttrValue::Missing, v];
            let got = resolve(&owner_attr(), &attrs);
            assert_eq!(got, fallback);
            assert!(got.1.is_fallback());
        }
        // no attribute at all (a snapshot without the column)
        assert_eq!(resolve(&owner_attr(), &[]), fallback);
        let unknown = CompiledOwner::Attribute { attribute: None, fallback: 0 };
        assert_eq!(resolve(&unknown, &[]).1.name(), "csm");
    }

    #[test]
    fn business_days_step_over_the_weekend_and_holidays() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let cal = WorkCalendar::new(Some("US"), &["saturday".into(), "sunday".into()], &[]);
        // Friday 2026-07-03 is the observed Independence Day (the 4th is a Saturday)
        let thu = at(tz, 2026, 7, 2, 15);
        let due = due_time(tz, thu, Some(TaskDue::BusinessDays(2)), &cal).unwrap();
        // Fri 3rd off, Sat, Sun: Mon 6th is the first working day, Tue 7th the second
        assert_eq!(due, at(tz, 2026, 7, 7, 15));
        // a Friday plus one business day is the Monday, same local time
        let fri = at(tz, 2026, 7, 10, 9);
        assert_eq!(due_time(tz, fri, Some(TaskDue::BusinessDays(1)), &cal), Some(at(tz, 2026, 7, 13, 9)));
        // listed holidays count too
        let listed = WorkCalendar::new(None, &["saturday".into(), "sunday".into()], &["2026-07-13".into()]);
        assert_eq!(due_time(tz, fri, Some(TaskDue::BusinessDays(1)), &listed), Some(at(tz, 2026, 7, 14, 9)));
    }

    #[test]
    fn task_counts_of_disjoint_customers_merge_exactly() {
        use crate::report::{Merge, TaskCounts, TasksReport};
        let counts = |tasks: u64, fallback: u64, j: &str| TaskCounts {
            tasks,
            fallback,
            by_priority: [("high".to_string(), tasks)].into(),
            by_journey: [(j.to_string(), tasks)].into(),
            due_on_day_off: 0,
        };
        let mut a = TasksReport {
            created: 3,
            fallback: 1,
            by_owner: [("ana".to_string(), counts(2, 0, "x"))].into(),
            by_queue: [("triage".to_string(), counts(1, 1, "x"))].into(),
        };
        let b = TasksReport {
            created: 2,
            fallback: 2,
            by_owner: Default::default(),
            by_queue: [("triage".to_string(), counts(2, 2, "y"))].into(),
        };
        a.merge(&b);
        assert_eq!((a.created, a.fallback), (5, 3));
        let t = &a.by_queue["triage"];
        assert_eq!((t.tasks, t.fallback, t.by_priority["high"], t.by_journey.len()), (3, 3, 3, 2));
        // most tasks first, owners before queues among equals, then by name
        let rows: Vec<(&str, bool)> = a.rows().into_iter().map(|(n, q, _)| (n, q)).collect();
        assert_eq!(rows, [("triage", true), ("ana", false)]);
    }

    #[test]
    fn calendar_days_and_hours_ignore_the_weekend() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let cal = WorkCalendar::new(Some("DE"), &["saturday".into(), "sunday".into()], &[]);
        let fri = at(tz, 2026, 10, 23, 10);
        assert_eq!(due_time(tz, fri, Some(TaskDue::Minutes(2 * 24 * 60)), &cal), Some(at(tz, 2026, 10, 25, 10)));
        // across the end of summer time (25 October 2026) two days keep 10:00 local
        assert_eq!(due_time(tz, fri, Some(TaskDue::Minutes(3 * 24 * 60)), &cal), Some(at(tz, 2026, 10, 26, 10)));
        assert_eq!(due_time(tz, fri, Some(TaskDue::Minutes(4 * 60)), &cal), Some(fri + 4 * 3_600_000));
        assert_eq!(due_time(tz, fri, None, &cal), None);
    }
}
