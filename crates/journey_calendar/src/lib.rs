//! The unified messaging calendar as views a team can review: every send of every
//! journey, placed week by week after the customer's entry, with the cross-journey
//! conflicts it is part of (J601-J606, from [`journey_check::analysis::calendar`]).
//!
//! [`build`] turns a checked [`Program`] into a [`CalendarView`]; [`observe`] adds what
//! a simulation trace shows (volumes per day and the collisions customers actually
//! got, see [`observed`]); the renderers ([`table`], [`json`], [`csv`], [`ical`],
//! [`html`]) are pure functions of the view, so every format shows the same rows and
//! every output is deterministic.

pub mod dates;
mod grouping;
mod html;
mod ical;
pub mod observed;
mod text;
pub mod trace;
mod vtimezone;

/// Time zones, as [`observe`] takes a customer's.
pub use chrono_tz::Tz;
pub use html::{html, html_from};
pub use ical::ical;
pub use observed::{observe, ConflictObserved, CustomerZone, Observed};
pub use text::{csv, table};
pub use trace::{TraceError, TraceReader};

use chrono::NaiveDate;
use journey_check::analysis::calendar;
use journey_ir::{draw, Journey, Program, Trigger, Zone};
use serde::Serialize;

/// Minutes in a day and in a week.
pub const DAY: u64 = 24 * 60;
pub const WEEK: u64 = 7 * DAY;

/// Every send of a program, in journey order, with the conflicts among them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CalendarView {
    /// Weeks after entry the view covers (1..=weeks).
    pub weeks: u64,
    pub journeys: Vec<JourneyInfo>,
    pub sends: Vec<SendRow>,
    /// issue 15: every task for a team (`task csm "…"`), placed like the sends. Tasks
    /// are work for people, not messages to customers: no cap or conflict counts them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskRow>,
    pub conflicts: Vec<Conflict>,
    /// Groups of journeys alike in what J605 and J606 compare (see docs/calendar.md,
    /// "Grouped conflicts"): conflicts and sends refer to them by index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// The channels sends go out on, in declaration order (for colours and legends).
    pub channels: Vec<String>,
    /// The program time zone (journey.yaml `timezone`): scheduled entries `local` to
    /// the customer are shown in it, and observed days are counted in it.
    pub timezone: String,
    /// What a simulation trace shows, when one was given ([`observe`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
}

/// One journey: what starts it and who it is for.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JourneyInfo {
    pub name: String,
    pub title: Option<String>,
    pub priority: u64,
    pub trigger: String,
    pub audience: Option<String>,
    pub goals: Vec<String>,
    /// The entry schedule, when the journey runs on one (the iCalendar export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Codes of the conflicts this journey is part of, sorted.
    pub conflicts: Vec<String>,
    /// issue 15: its `wait N business days` steps (`onboarding#2: 3 business days`):
    /// the sends after them are placed as if no weekend or holiday fell in between,
    /// the shortest such a wait takes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub business_waits: Vec<String>,
    /// issue 15: the journey runs `for account`: once per account, its messages to
    /// the account's admins.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub for_account: bool,
    /// Proven that no customer can pass the entry (J315): its sends and tasks are not
    /// placed (it sends nothing), and it is part of no conflict.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub never_enters: bool,
}

/// `entry every … at …`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Schedule {
    /// `day`, `weekday`, `weekend`, a weekday name or `month_day:N`.
    pub period: String,
    pub minute_of_day: u32,
    /// IANA zone, or `None` for the customer's own zone.
    pub zone: Option<String>,
    /// The campaign window (`active from … to …`, dates in the program time zone):
    /// no entry outside it, so the dated views (iCal, the HTML page's dates) place
    /// no send of an entry outside it. Said in the trigger text of the JSON.
    #[serde(skip)]
    pub active: Option<(NaiveDate, NaiveDate)>,
}

/// One send, placed at its earliest time after entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SendRow {
    pub journey: String,
    pub stage: String,
    pub node: String,
    pub channel: String,
    pub template: String,
    pub tags: Vec<String>,
    pub audience: Option<String>,
    pub trigger: String,
    /// The least time from entry to this send on any path, in minutes.
    pub offset_minutes: u64,
    /// Week after entry, from 1.
    pub week: u64,
    /// Day of that week, 1 to 7 (day 1 is the day of entry).
    pub day: u64,
    /// Local time of day `HH:MM`, when the entry time is known (scheduled entries,
    /// date entries with a time).
    pub time: Option<String>,
    pub goals: Vec<String>,
    pub priority: u64,
    pub conflicts: Vec<SendConflict>,
}

/// issue 15: one task, placed at its earliest time after entry, with who gets it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaskRow {
    pub journey: String,
    pub stage: String,
    pub node: String,
    /// The task channel (the team's queue).
    pub queue: String,
    pub title: String,
    /// Who gets it: `ana@x.com`, `attribute csm_owner, else queue cs_triage`, or
    /// `queue csm` when no owner is named.
    pub owner: String,
    /// `2 business days`, `4h`; `None` when the task has no due time.
    pub due: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub trigger: String,
    /// The least time from entry to this task on any path, in minutes.
    pub offset_minutes: u64,
    pub week: u64,
    pub day: u64,
    pub time: Option<String>,
}

/// A conflict a send is part of, from the send's point of view.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SendConflict {
    pub code: String,
    pub severity: String,
    /// The other journeys of the conflicts with this code (one entry per code); for a
    /// grouped code (J605) the first few of the journeys this one pairs with. Shared,
    /// not copied: on 5,000 journeys the sends name a million partners, most of them
    /// the same few thousand names, and a grouped entry is the same for every send of
    /// its journey (copying the names was a third of building the view).
    #[serde(serialize_with = "serialize_names")]
    pub partners: Names,
    /// For a grouped code: the group of the send's journey, in `groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
    /// How many partner journeys there are beyond those in `partners`.
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
}

/// A group of journeys a J605 or J606 conflict is about: alike in everything the rule
/// compares (J606: the audience predicate; J605: that, the priority and the caps their
/// sends count against), so each pairs with the same journeys.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Group {
    pub code: String,
    /// In name order.
    pub journeys: Vec<String>,
}

/// Journey names shared between the rows that name them ([`SendConflict::partners`]).
pub type Names = std::sync::Arc<[std::sync::Arc<str>]>;

/// [`Names`] as a JSON list of strings, as a `Vec<String>` is written.
fn serialize_names<S: serde::Serializer>(names: &Names, s: S) -> Result<S::Ok, S::Error> {
    serialize_strs(names, s)
}

/// Shared strings as a JSON list of strings, as a `Vec<String>` is written.
fn serialize_strs<S: serde::Serializer>(names: &[std::sync::Arc<str>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().map(|n| &**n))
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `a, b, c`, or `a, b, c and 4 more`.
pub fn names_and_more<S: std::borrow::Borrow<str>>(names: &[S], more: usize) -> String {
    let mut s = names.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// One cross-journey finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Conflict {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub journeys: Vec<String>,
    /// `journey/node` of the sends involved (none for a journey as a whole); shared
    /// between the conflicts that name a step (see [`SendConflict::partners`]).
    #[serde(serialize_with = "serialize_strs")]
    pub steps: Vec<std::sync::Arc<str>>,
    /// For a conflict on a group of journeys (J605, J606): its group, in `groups`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<usize>,
    /// …and the groups whose journeys it pairs with (the earlier ones in name order,
    /// and its own when its journeys pair with each other).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partner_groups: Vec<usize>,
    /// How many journeys it involves beyond those in `journeys`.
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
    /// It rests on audiences that only may overlap (nothing proves one customer is in
    /// all of them): at the rule's may-overlap severity, and `journey check` reports
    /// it only with an example customer or as undecided, or not at all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub may_overlap: bool,
    /// What a trace shows of this conflict (J601-J603, when a trace was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<ConflictObserved>,
}

/// The calendar of `program`: every reachable message send with its earliest offset,
/// and every cross-journey finding, including those on audiences that only may
/// overlap.
pub fn build(program: &Program) -> CalendarView {
    build_with(program, |d| Some(d.severity))
}

/// As [`build`], with each finding's severity as the project sets it: `severity` gets
/// the finding's diagnostic (the one `journey check` reports) and answers its
/// severity after journey.yaml's `rules`, `may_overlap` and `ignore`, or `None` when
/// the project switched it off. A rule set to info in journey.yaml is then info on
/// every chip, legend and list of the calendar, as in `journey check`.
pub fn build_with(
    program: &Program,
    severity: impl Fn(&journey_diagnostics::Diagnostic) -> Option<journey_diagnostics::Severity>,
) -> CalendarView {
    let (cal, diags) = calendar::analyze(program, false);
    build_from(program, cal, &diags, severity)
}

/// As [`build_with`], from the calendar analysis of `program` already run
/// (`calendar::analyze(program, false)`, or the calendar part of
/// [`calendar::check_and_calendar`]): `journey calendar` runs it once, with the check.
pub fn build_from(
    program: &Program,
    mut cal: calendar::Calendar,
    diags: &[journey_diagnostics::Diagnostic],
    severity: impl Fn(&journey_diagnostics::Diagnostic) -> Option<journey_diagnostics::Severity>,
) -> CalendarView {
    // findings and their diagnostics come in the same order, one each
    let findings = std::mem::take(&mut cal.findings);
    let mut may = Vec::with_capacity(findings.len());
    cal.findings = findings
        .into_iter()
        .zip(diags)
        .filter_map(|(mut f, d)| {
            f.severity = severity(d)?;
            may.push(d.may_overlap);
            Some(f)
        })
        .collect();
    // indexed by journey and step, compared by index: see [`grouping`]
    let order = grouping::NameOrder::new(program);
    let groups = grouping::Groups::new(program, &cal);
    let conflicts = grouping::conflicts(program, &cal.findings, &may, &groups);
    let index = grouping::Index::new(program, &cal.findings, &order, &groups);
    let mut journeys = Vec::new();
    let mut sends = Vec::new();
    let mut tasks = Vec::new();
    for (ji, (j, plan)) in program.journeys.iter().zip(&cal.plans).enumerate() {
        let mut trigger = describe_entry(j);
        // issue 15: journey.yaml's program-wide rules, where they change who gets what
        trigger.push_str(&program_rules_note(program, j));
        let audience = audience(j);
        let goals: Vec<String> = j.goals.iter().map(|g| g.name.clone()).collect();
        let schedule = match &j.entry {
            Trigger::Schedule { period, minute_of_day, zone } => Some(Schedule {
                period: period.clone(),
                minute_of_day: *minute_of_day,
                zone: match zone {
                    Zone::Customer => None,
                    Zone::Named(z) => Some(z.clone()),
                },
                active: j.active.as_ref().and_then(|w| {
                    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
                    Some((day(&w.from)?, day(&w.to)?))
                }),
            }),
            _ => None,
        };
        // the time of day customers enter, when the entry says
        let entry_minute = match &j.entry {
            Trigger::Schedule { minute_of_day, .. } => Some(*minute_of_day),
            Trigger::DateAttribute { minute_of_day, .. } => *minute_of_day,
            _ => None,
        };
        let codes = index.journey_codes(ji);
        let grouped = index.grouped_send_conflicts(&order, ji);
        // a journey no customer can enter sends nothing: listed, not placed
        let never_enters = cal.never_enters.get(ji).copied().unwrap_or(false);
        let placed = if never_enters { &[][..] } else { &plan.sends[..] };
        for s in placed {
            let node = &j.nodes[s.node];
            let mut conflicts = index.send_conflicts(&order, ji, s.node);
            conflicts.extend(grouped.iter().cloned());
            conflicts.sort_by(|a, b| a.code.cmp(&b.code));
            let (week, day, time) = place(s.offset, entry_minute);
            sends.push(SendRow {
                journey: j.name.clone(),
                stage: node.stage.clone(),
                node: node.id.clone(),
                channel: s.channel.clone(),
                template: s.template.clone(),
                tags: s.tags.clone(),
                audience: audience.clone(),
                trigger: trigger.clone(),
                offset_minutes: s.offset,
                week,
                day,
                time,
                goals: goals.clone(),
                priority: j.priority,
                conflicts,
            });
        }
        let placed_tasks = if never_enters { &[][..] } else { &plan.tasks[..] };
        for &(node, offset) in placed_tasks {
            let n = &j.nodes[node];
            let journey_ir::Step::Task { channel, title, owner, fallback_queue, due, priority, .. } = &n.step else {
                continue;
            };
            let (week, day, time) = place(offset, entry_minute);
            tasks.push(TaskRow {
                journey: j.name.clone(),
                stage: n.stage.clone(),
                node: n.id.clone(),
                queue: channel.clone(),
                title: title.clone(),
                owner: task_owner(owner.as_ref(), fallback_queue.as_deref(), channel),
                due: due.map(|d| match d {
                    journey_ir::TaskDue::Minutes(m) => draw::duration(m),
                    journey_ir::TaskDue::BusinessDays(d) => draw::business_days(d),
                }),
                priority: priority.as_str().to_string(),
                trigger: trigger.clone(),
                offset_minutes: offset,
                week,
                day,
                time,
            });
        }
        journeys.push(JourneyInfo {
            name: j.name.clone(),
            title: j.title.clone(),
            priority: j.priority,
            trigger,
            audience,
            goals,
            schedule,
            conflicts: codes,
            business_waits: business_waits(j),
            for_account: j.for_account,
            never_enters,
        });
    }
    let weeks = sends.iter().map(|s| s.week).chain(tasks.iter().map(|t: &TaskRow| t.week)).max().unwrap_or(1).max(1);
    let mut channels: Vec<String> = program.channels.iter().map(|c| c.name.clone()).collect();
    for s in &sends {
        if !channels.contains(&s.channel) {
            channels.push(s.channel.clone());
        }
    }
    channels.retain(|c| sends.iter().any(|s| &s.channel == c));
    CalendarView {
        weeks,
        journeys,
        sends,
        tasks,
        conflicts,
        groups: groups.view(program),
        channels,
        timezone: program.timezone.clone(),
        observed: None,
    }
}

impl CalendarView {
    /// Keep the first `weeks` weeks after entry: later sends are left out.
    pub fn limit_weeks(&mut self, weeks: u64) {
        let weeks = weeks.max(1);
        self.sends.retain(|s| s.week <= weeks);
        self.tasks.retain(|t| t.week <= weeks);
        self.weeks = weeks;
    }

    /// Tasks in calendar order: week, day, time, journey, node.
    pub fn tasks_by_time(&self) -> Vec<&TaskRow> {
        in_calendar_order(&self.tasks, |t| (t.week, t.day, &t.time, t.offset_minutes, &t.journey, &t.node))
    }

    /// Sends in calendar order: week, day, time, journey, node.
    pub fn by_time(&self) -> Vec<&SendRow> {
        in_calendar_order(&self.sends, |s| (s.week, s.day, &s.time, s.offset_minutes, &s.journey, &s.node))
    }
}

/// Where a row falls in the calendar: week, day, time, offset, journey, node.
type Place<'a> = (u64, u64, &'a Option<String>, u64, &'a String, &'a String);

fn in_calendar_order<'a, T>(rows: &'a [T], place: impl Fn(&'a T) -> Place<'a>) -> Vec<&'a T> {
    let mut rows: Vec<&T> = rows.iter().collect();
    rows.sort_by(|a, b| place(a).cmp(&place(b)));
    rows
}

/// Week (from 1), day of week (from 1) and, when the entry time of day is known, the
/// time of day of a send `offset` minutes after entry.
fn place(offset: u64, entry_minute: Option<u32>) -> (u64, u64, Option<String>) {
    let at = offset + entry_minute.map_or(0, u64::from);
    let days = at / DAY;
    let time = entry_minute.map(|_| format!("{:02}:{:02}", (at % DAY) / 60, at % 60));
    (days / 7 + 1, days % 7 + 1, time)
}

/// issue 15: who a task goes to, as the calendar says it.
fn task_owner(owner: Option<&journey_ir::OwnerSource>, fallback: Option<&str>, queue: &str) -> String {
    match owner {
        Some(journey_ir::OwnerSource::Fixed { name }) => name.clone(),
        Some(journey_ir::OwnerSource::Attribute { attribute }) => {
            format!("attribute {attribute}, else queue {}", fallback.unwrap_or(queue))
        }
        None => format!("queue {queue}"),
    }
}

/// issue 15: the journey's business-day waits, by node.
fn business_waits(j: &Journey) -> Vec<String> {
    j.nodes
        .iter()
        .filter_map(|n| match &n.step {
            journey_ir::Step::WaitBusinessDays { days, .. } => {
                Some(format!("{}: {}", n.id, draw::business_days(*days)))
            }
            _ => None,
        })
        .collect()
}

/// The journey's predicate as text: its `audience` filter.
fn audience(j: &Journey) -> Option<String> {
    j.audience.as_ref().map(draw::describe_expr)
}

/// issue 15: what journey.yaml's `program:` rules do to a journey, as a suffix of its
/// entry: a marketing journey skips the global holdout's customers and sends nothing
/// to suppressed ones; caps per category refuse sends over them. Empty for a journey
/// they leave alone (tasks, webhooks, transactional messages only).
pub fn program_rules_note(program: &Program, j: &Journey) -> String {
    let r = &program.rules;
    if !program.is_marketing_journey(j) {
        return String::new();
    }
    let mut notes = Vec::new();
    if let Some(h) = &r.global_holdout {
        notes.push(format!("not for the {}% global holdout", h.percent));
    }
    if r.suppression.is_some() {
        notes.push("no marketing sends to suppressed customers".to_string());
    }
    let categories: std::collections::BTreeSet<&str> = (j.nodes.iter())
        .filter_map(|n| match &n.step {
            journey_ir::Step::Send { channel, .. } => program.channel(channel).and_then(|c| c.category_name()),
            _ => None,
        })
        .collect();
    for c in r.category_caps.iter().filter(|c| categories.contains(c.category.as_str())) {
        notes.push(format!(
            "{} sends capped at {} per {} across journeys",
            c.category,
            c.cap.count,
            journey_check::analysis::logic::fmt_minutes(c.cap.window_minutes)
        ));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    }
}

/// The entry and, for one that repeats (a schedule, a yearly date), how often one
/// customer enters by it: the engine's `re_entry` rule, so the calendar does not show
/// a weekly run that reaches each customer once as if it reached them weekly.
pub fn describe_entry(j: &journey_ir::Journey) -> String {
    // issue 15: a campaign window bounds every kind of entry
    match &j.active {
        Some(w) => format!("{}, only from {} to {}", describe_entry_unbounded(j), w.from, w.to),
        None => describe_entry_unbounded(j),
    }
}

fn describe_entry_unbounded(j: &journey_ir::Journey) -> String {
    let mut t = describe_trigger(&j.entry);
    // several triggers: `on signup or on trial_started`
    for alt in &j.entry_also {
        t.push_str(" or ");
        t.push_str(&describe_trigger(&Trigger::Event { event: alt.event.clone(), filter: alt.filter.clone() }));
    }
    if !matches!(j.entry, Trigger::Schedule { .. } | Trigger::DateAttribute { .. }) {
        return t;
    }
    let each = match &j.re_entry {
        journey_ir::ReEntry::Never => "each customer once".to_string(),
        journey_ir::ReEntry::Always => "each customer every time".to_string(),
        journey_ir::ReEntry::After { minutes } => format!("each customer at most every {}", draw::duration(*minutes)),
    };
    format!("{t}, {each}")
}

/// `on purchase`, `every monday at 10:00 local`, …
pub fn describe_trigger(t: &Trigger) -> String {
    match t {
        Trigger::Event { event, filter } => match filter {
            Some(f) => format!("on {event} where {}", draw::describe_expr(f)),
            None => format!("on {event}"),
        },
        Trigger::AudienceEntered { audience } => format!("when audience {audience} entered"),
        Trigger::AudienceExited { audience } => format!("when audience {audience} exited"),
        // evaluated on each of the customer's events and when an aggregate's window
        // lets an event go, like an audience (docs/language.md, threshold crossings)
        Trigger::Condition { condition } => {
            format!("when {} becomes true", journey_ir::draw::describe_expr(condition))
        }
        Trigger::Schedule { period, minute_of_day, zone } => {
            let period = match period.strip_prefix("month_day:") {
                Some(d) => format!("month on day {d}"),
                None => period.clone(),
            };
            let zone = match zone {
                Zone::Customer => "local".to_string(),
                Zone::Named(z) => format!("\"{z}\""),
            };
            format!("every {period} at {:02}:{:02} {zone}", minute_of_day / 60, minute_of_day % 60)
        }
        Trigger::DateAttribute { attribute, offset_minutes, minute_of_day } => {
            let mut s = match offset_minutes {
                0 => format!("on {attribute}"),
                o if *o < 0 => format!("{} before {attribute}", draw::duration(o.unsigned_abs())),
                o => format!("{} after {attribute}", draw::duration(*o as u64)),
            };
            if let Some(m) = minute_of_day {
                s.push_str(&format!(" at {:02}:{:02}", m / 60, m % 60));
            }
            s
        }
    }
}

/// `+2d 3h`: an offset after entry, for people.
pub fn offset_text(minutes: u64) -> String {
    let mut s = String::with_capacity(16);
    push_offset_text(minutes, &mut s);
    s
}

/// [`offset_text`] written at the end of `s`: the table writes one per send (40,000
/// on 5,000 journeys) into one string.
pub(crate) fn push_offset_text(minutes: u64, s: &mut String) {
    if minutes == 0 {
        s.push_str("+0");
        return;
    }
    s.push('+');
    let start = s.len();
    let mut left = minutes;
    for (unit, size) in [('w', WEEK), ('d', DAY), ('h', 60), ('m', 1)] {
        if left >= size {
            if s.len() > start {
                s.push(' ');
            }
            let _ = std::fmt::Write::write_fmt(s, format_args!("{}{unit}", left / size));
            left %= size;
        }
    }
}

/// The whole view as pretty JSON.
pub fn json(view: &CalendarView) -> String {
    let mut s = serde_json::to_string_pretty(view).expect("the view serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `offset_text` as it was, joining the parts: the oracle of the one in place.
    fn offset_text_plainly(minutes: u64) -> String {
        if minutes == 0 {
            return "+0".to_string();
        }
        let mut parts = Vec::new();
        let mut left = minutes;
        for (unit, size) in [("w", WEEK), ("d", DAY), ("h", 60), ("m", 1)] {
            if left >= size {
                parts.push(format!("{}{unit}", left / size));
                left %= size;
            }
        }
        format!("+{}", parts.join(" "))
    }

    #[test]
    fn offset_text_as_plainly() {
        let mut x: u64 = 7;
        let mut cases: Vec<u64> = vec![0, 1, 59, 60, 61, DAY, DAY + 1, WEEK, WEEK + DAY + 61, 3 * WEEK + 59];
        for _ in 0..2000 {
            // a seeded LCG over offsets up to a year
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            cases.push((x >> 33) % (53 * WEEK));
        }
        for m in cases {
            assert_eq!(offset_text(m), offset_text_plainly(m), "{m}");
        }
    }

    #[test]
    fn places_sends_by_week_and_day() {
        assert_eq!(place(0, None), (1, 1, None));
        assert_eq!(place(8 * DAY, None), (2, 2, None));
        assert_eq!(place(DAY + 30, Some(23 * 60 + 45)), (1, 3, Some("00:15".into())));
    }
}
