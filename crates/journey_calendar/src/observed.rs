//! The dynamic calendar: what a simulation trace shows the journeys *did*, next to what
//! the static analysis says they *can* do (docs/calendar.md, "Observed").
//!
//! **Volumes.** Every `send` row on a message channel is a message delivered. Sends
//! are counted per calendar day in the program time zone (the days `journey simulate`
//! reports), in total, per channel and per journey step.
//!
//! **Collisions.** Three rules, each the observed counterpart of a static finding:
//!
//! * `duplicate_template` (J601): one customer gets the same template from two
//!   different journeys on the same local day (the customer's own zone when an
//!   attribute snapshot says it, else the program's);
//! * `conflicting_tags` (J602): one customer gets sends carrying two different tags of a
//!   policy `conflicting` group less than the conflict window apart (the longest policy
//!   cap window, 7 days without one, as in J602), from any journeys, one journey too;
//! * `over_cap` (J603): one customer gets more sends counted by a cap (a channel's own
//!   cap or a policy cap) within the cap's rolling window than the cap allows, the
//!   engine's rule: a send over the cap is one with `count` counted sends less than the
//!   window before it.
//!
//! An *occurrence* is one send that collides with earlier sends of the same customer
//! (once per partner journey and subject); *customers* are counted once per collision.
//! Collisions are aggregated by kind and the journeys involved (a pair, one journey,
//! or for caps every journey whose sends fill the window). The example customer is the
//! one with the smallest key, at their first occurrence, so the same trace gives the same
//! example whatever order its customers come in.
//!
//! **Confirmations.** A collision confirms the static conflicts it is an instance of:
//! a J601 conflict with a send of the same template in both journeys; a J602 conflict
//! with sends tagged with the pair's tags in both journeys; a J603 conflict on the same
//! cap all of whose journeys sent into the over-cap window.
//!
//! **Streaming.** The trace is read row by row. State is kept per customer (their last
//! time and their sends within the longest window a rule looks back on) and per day
//! and step, so memory grows with customers and days, never with rows. The engine
//! writes a customer's actions in time order but interleaves customers (timers fire
//! lazily), so each customer's rows must be in time order; the trace as a whole need
//! not be. A globally time-sorted trace qualifies too and gives the same result.

use crate::trace::{self, TraceError, TraceReader};
use crate::CalendarView;
use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;
use journey_check::analysis::calendar::schedule::{caps, CapRule};
use journey_check::analysis::logic::fmt_minutes;
use journey_ir::{Program, Step};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::BufRead;

const MINUTE_MS: i64 = 60_000;

/// What a trace shows, for the calendar views.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Observed {
    /// The trace's file name.
    pub trace: String,
    /// The zone of the days (the program's time zone).
    pub timezone: String,
    /// Whether same-day duplicates were judged in each customer's own zone (from an
    /// attribute snapshot) rather than the program's.
    pub customer_zones: bool,
    /// The conflict window of `conflicting_tags`, in minutes.
    pub conflict_window_minutes: u64,
    /// Data rows of the trace.
    pub rows: u64,
    /// Rows per action kind (`send`, `enter`, `deferred`…).
    pub actions: BTreeMap<String, u64>,
    /// Customers in the trace, and those who got at least one message.
    pub customers: u64,
    pub reached: u64,
    /// Messages delivered (`send` rows on message channels).
    pub sends: u64,
    /// First and last day of the trace (any row), `YYYY-MM-DD`.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Every day from the first to the last, including days without sends.
    pub days: Vec<DayVolume>,
    /// Channels with sends, in declaration order.
    pub channels: Vec<ChannelVolume>,
    /// Send steps with sends, in journey and node order.
    pub steps: Vec<StepVolume>,
    pub collisions: Vec<Collision>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayVolume {
    pub date: String,
    /// `mon` … `sun`.
    pub weekday: String,
    pub sends: u64,
    /// Sends per channel (channels with none are left out).
    pub channels: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelVolume {
    pub channel: String,
    pub sends: u64,
    /// The day with the most sends (the first of equals) and its count.
    pub peak_day: String,
    pub peak: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepVolume {
    pub journey: String,
    pub stage: String,
    pub node: String,
    pub channel: String,
    pub template: String,
    pub sends: u64,
    /// Days with at least one send.
    pub days_active: u64,
    pub peak_day: String,
    pub peak: u64,
    /// Sends per day (days with none are left out).
    pub per_day: BTreeMap<String, u64>,
}

/// Customers who received colliding sends, aggregated by kind and journeys.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Collision {
    /// `duplicate_template`, `conflicting_tags` or `over_cap`.
    pub kind: String,
    /// The journeys involved, sorted by name.
    pub journeys: Vec<String>,
    pub customers: u64,
    pub occurrences: u64,
    /// What collided: templates, tag pairs (`discount vs full_price`) or caps
    /// (`channel email: 3 per 7d`), with their own counts.
    pub subjects: Vec<SubjectCount>,
    /// Every send step (`journey/node`) involved in an occurrence, in program order.
    pub steps: Vec<String>,
    pub example: Example,
    /// The static conflicts this collision is an instance of.
    pub confirms: Vec<Confirmation>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubjectCount {
    pub subject: String,
    pub customers: u64,
    pub occurrences: u64,
}

/// One customer's colliding sends, at their first occurrence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Example {
    pub customer: String,
    pub sends: Vec<ExampleSend>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExampleSend {
    /// RFC 3339, UTC, as in the trace.
    pub time: String,
    pub journey: String,
    pub node: String,
    pub channel: String,
    pub template: String,
}

/// A static conflict an observed collision confirms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Confirmation {
    pub code: String,
    /// Index into [`CalendarView::conflicts`].
    pub conflict: usize,
}

/// What the trace shows of one static conflict (J601-J603 only: the others have no
/// observable counterpart in a trace).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConflictObserved {
    /// Customers with at least one confirming collision, and the occurrences.
    pub customers: u64,
    pub occurrences: u64,
    /// Indexes into [`Observed::collisions`].
    pub collisions: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Duplicate,
    Tags,
    Cap,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Duplicate => "duplicate_template",
            Kind::Tags => "conflicting_tags",
            Kind::Cap => "over_cap",
        }
    }
    fn code(self) -> &'static str {
        match self {
            Kind::Duplicate => "J601",
            Kind::Tags => "J602",
            Kind::Cap => "J603",
        }
    }
}

/// What collided, interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Subject {
    /// A template (index into `Analysis::templates`).
    Template(u32),
    /// A group of `policy.conflicting` and two of its tags (indexes, smaller first).
    Tags(u16, u16, u16),
    /// Index into the caps.
    Cap(u16),
}

/// The action kinds of a trace (`Action::describe` of the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionKind {
    Enter,
    Exit,
    Send,
    Task,
    Webhook,
    Set,
    Goal,
    Suppressed,
    Deferred,
}

const KINDS: [(&str, ActionKind); 9] = [
    ("enter", ActionKind::Enter),
    ("exit", ActionKind::Exit),
    ("send", ActionKind::Send),
    ("task", ActionKind::Task),
    ("webhook", ActionKind::Webhook),
    ("set", ActionKind::Set),
    ("goal", ActionKind::Goal),
    ("suppressed", ActionKind::Suppressed),
    ("deferred", ActionKind::Deferred),
];

/// A message step of the program.
struct StepInfo {
    journey: u16,
    node: u32,
    channel: u16,
    template: u32,
    /// `(group, tag)` of each tag in a `conflicting` group.
    tags: Vec<(u16, u16)>,
    /// Caps the step's channel counts against.
    caps: Vec<u16>,
}

/// Local calendar days of instants in one zone, with the last day's bounds cached.
struct DayCache {
    tz: Tz,
    start: i64,
    end: i64,
    day: i32,
}

impl DayCache {
    fn new(tz: Tz) -> Self {
        DayCache { tz, start: 1, end: 0, day: 0 }
    }

    /// Days since 1970-01-01 of the local date of `t` (ms UTC).
    fn day(&mut self, t: i64) -> i32 {
        if t >= self.start && t < self.end {
            return self.day;
        }
        let date = match self.tz.timestamp_millis_opt(t).single() {
            Some(d) => d.date_naive(),
            None => chrono::DateTime::from_timestamp_millis(t).map(|d| d.date_naive()).unwrap_or_default(),
        };
        let day = (date - epoch()).num_days() as i32;
        let start = midnight(self.tz, date);
        let end = date.succ_opt().map(|d| midnight(self.tz, d)).unwrap_or(i64::MAX);
        if start <= t && t < end {
            (self.start, self.end) = (start, end);
        } else {
            (self.start, self.end) = (1, 0);
        }
        self.day = day;
        day
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date")
}

/// The first instant of a local date (a midnight that does not exist starts the day
/// when the clocks jump).
fn midnight(tz: Tz, date: NaiveDate) -> i64 {
    let mut at = date.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..(24 * 4) {
        if let Some(d) = tz.from_local_datetime(&at).earliest() {
            return d.timestamp_millis();
        }
        at += chrono::Duration::minutes(15);
    }
    at.and_utc().timestamp_millis()
}

fn date_label(day: i32) -> String {
    (epoch() + chrono::Duration::days(i64::from(day))).format("%Y-%m-%d").to_string()
}

fn weekday_label(day: i32) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [(epoch() + chrono::Duration::days(i64::from(day))).weekday().num_days_from_monday() as usize]
}

/// A send as remembered in a customer's state.
#[derive(Debug, Clone, Copy)]
struct Sent {
    time: i64,
    /// Index into `Analysis::steps`.
    step: u32,
    /// The customer's local day of the send.
    day: i32,
}

/// One customer's state: only what the rules look back on.
#[derive(Default)]
struct Customer {
    last: i64,
    /// Index into `Analysis::zones`.
    zone: u16,
    reached: bool,
    /// The customer's sends less than `Analysis::keep_ms` ago (the longest window any
    /// rule looks back on), oldest first.
    recent: VecDeque<Sent>,
    /// Counters this customer was already counted in (sorted).
    seen: Vec<u32>,
}

#[derive(Default, Clone, Copy)]
struct Counter {
    customers: u64,
    occurrences: u64,
}

struct Agg {
    kind: Kind,
    journeys: Vec<u16>,
    counter: u32,
    subjects: BTreeMap<Subject, u32>,
    steps: BTreeSet<u32>,
    /// Smallest customer key and their first colliding sends.
    example: Option<(String, Vec<Sent>)>,
}

/// The streaming analysis of one trace.
struct Analysis<'p, 'z> {
    program: &'p Program,
    /// A customer's own zone, when an attribute snapshot was given.
    zone_of: Option<CustomerZone<'z>>,
    journeys: HashMap<&'p str, u16>,
    nodes: Vec<HashMap<&'p str, u32>>,
    channels: HashMap<&'p str, u16>,
    message: Vec<bool>,
    /// Step index of each (journey, node), `u32::MAX` for non-sends.
    step_of: Vec<Vec<u32>>,
    steps: Vec<StepInfo>,
    templates: Vec<&'p str>,
    caps: Vec<CapRule>,
    window_ms: i64,
    /// How long a customer's sends are remembered: the longest cap window, the
    /// conflict window, and at least a local day (up to 25 hours) for duplicates.
    keep_ms: i64,
    zones: Vec<DayCache>,
    customers: HashMap<Box<str>, Customer>,
    actions: [u64; 9],
    sends: u64,
    reached: u64,
    first_day: Option<i32>,
    last_day: Option<i32>,
    /// Per day, sends per channel.
    days: BTreeMap<i32, Vec<u64>>,
    /// Per step, sends per day.
    step_days: Vec<BTreeMap<i32, u64>>,
    counters: Vec<Counter>,
    aggs: Vec<Agg>,
    agg_ids: HashMap<(Kind, Vec<u16>), usize>,
    /// Per (agg, subject) counter: the static conflicts it confirms.
    subject_links: HashMap<u32, Vec<usize>>,
    /// Counter of each static conflict (J601-J603).
    conflict_counters: Vec<Option<u32>>,
    conflict_collisions: Vec<BTreeSet<usize>>,
    /// Each static conflict's steps, resolved.
    conflict_steps: Vec<Vec<(u16, u32)>>,
    /// The cap of each J603 conflict.
    conflict_cap: Vec<Option<u16>>,
    conflict_codes: Vec<String>,
    conflict_journeys: Vec<Vec<u16>>,
}

/// A customer's own time zone by their key (from an attribute snapshot), when known.
pub type CustomerZone<'a> = &'a dyn Fn(&str) -> Option<Tz>;

/// The conflict window of J602: the longest policy cap window, or 7 days.
pub fn conflict_window(program: &Program) -> u64 {
    program.policy.conflict_window_minutes()
}

/// `channel email: 3 per 7d`, `policy any: 5 per 7d`, `policy email, sms: 4 per 7d`,
/// `program promotional: 3 per week`.
fn cap_label(cap: &CapRule) -> String {
    let w = fmt_minutes(cap.window);
    if let Some(c) = &cap.category {
        return format!("program {}: {}", c.category, c.written);
    }
    match (&cap.channel, &cap.listed) {
        (Some(c), _) => format!("channel {c}: {} per {w}", cap.count),
        (None, Some(list)) => format!("policy {}: {} per {w}", list.join(", "), cap.count),
        (None, None) => format!("policy any: {} per {w}", cap.count),
    }
}

/// The end of a J603 message for `cap` (how the analysis words it).
fn cap_message_suffix(cap: &CapRule) -> String {
    format!("{}within {}, over {}", cap.messages(), fmt_minutes(cap.window), cap.over())
}

impl<'p, 'z> Analysis<'p, 'z> {
    fn new(program: &'p Program, view: &CalendarView, zone: Tz, zone_of: Option<CustomerZone<'z>>) -> Self {
        let journeys = program.journeys.iter().enumerate().map(|(i, j)| (j.name.as_str(), i as u16)).collect();
        let nodes = program
            .journeys
            .iter()
            .map(|j| j.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i as u32)).collect())
            .collect();
        let channels = program.channels.iter().enumerate().map(|(i, c)| (c.name.as_str(), i as u16)).collect();
        let message = program.channels.iter().map(|c| c.kind.is_message()).collect();
        let caps = caps(program);
        let mut templates: Vec<&'p str> = Vec::new();
        let mut template_ids: HashMap<&'p str, u32> = HashMap::new();
        let mut steps = Vec::new();
        let mut step_of = Vec::new();
        for (ji, j) in program.journeys.iter().enumerate() {
            let mut of = vec![u32::MAX; j.nodes.len()];
            for (ni, n) in j.nodes.iter().enumerate() {
                let Step::Send { channel, template, tags, .. } = &n.step else { continue };
                let Some(ch) = program.channels.iter().position(|c| &c.name == channel) else { continue };
                let t = *template_ids.entry(template.as_str()).or_insert_with(|| {
                    templates.push(template.as_str());
                    (templates.len() - 1) as u32
                });
                let mut tg = Vec::new();
                for (gi, group) in program.policy.conflicting.iter().enumerate() {
                    for tag in tags {
                        if let Some(k) = group.iter().position(|g| g == tag) {
                            tg.push((gi as u16, k as u16));
                        }
                    }
                }
                let capped = caps
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| program.channels[ch].kind.is_message() && c.applies(program, channel))
                    .map(|(k, _)| k as u16)
                    .collect();
                of[ni] = steps.len() as u32;
                steps.push(StepInfo {
                    journey: ji as u16,
                    node: ni as u32,
                    channel: ch as u16,
                    template: t,
                    tags: tg,
                    caps: capped,
                });
            }
            step_of.push(of);
        }
        let step_days = vec![BTreeMap::new(); steps.len()];
        let mut a = Analysis {
            program,
            zone_of,
            journeys,
            nodes,
            channels,
            message,
            step_of,
            steps,
            templates,
            window_ms: conflict_window(program) as i64 * MINUTE_MS,
            keep_ms: caps
                .iter()
                .map(|c| c.window as i64 * MINUTE_MS)
                .chain([conflict_window(program) as i64 * MINUTE_MS, 26 * 60 * MINUTE_MS])
                .max()
                .unwrap_or(0),
            caps,
            zones: vec![DayCache::new(zone)],
            customers: HashMap::new(),
            actions: [0; 9],
            sends: 0,
            reached: 0,
            first_day: None,
            last_day: None,
            days: BTreeMap::new(),
            step_days,
            counters: Vec::new(),
            aggs: Vec::new(),
            agg_ids: HashMap::new(),
            subject_links: HashMap::new(),
            conflict_counters: Vec::new(),
            conflict_collisions: vec![BTreeSet::new(); view.conflicts.len()],
            conflict_steps: Vec::new(),
            conflict_cap: Vec::new(),
            conflict_codes: Vec::new(),
            conflict_journeys: Vec::new(),
        };
        for c in &view.conflicts {
            let counter = match c.code.as_str() {
                "J601" | "J602" | "J603" => Some(a.counter()),
                _ => None,
            };
            a.conflict_counters.push(counter);
            let steps: Vec<(u16, u32)> = c
                .steps
                .iter()
                .filter_map(|s| {
                    let (j, n) = s.split_once('/')?;
                    let ji = *a.journeys.get(j)?;
                    let ni = *a.nodes[ji as usize].get(n)?;
                    Some((ji, ni))
                })
                .collect();
            a.conflict_steps.push(steps);
            // the cap whose wording ends the message (the longest: `on `email` and
            // `sms` within 7d, over the policy cap…` also ends like the `any` cap's)
            let cap = (c.code == "J603")
                .then(|| {
                    a.caps
                        .iter()
                        .enumerate()
                        .map(|(k, cap)| (k, cap_message_suffix(cap)))
                        .filter(|(_, suffix)| c.message.ends_with(suffix.as_str()))
                        .max_by_key(|(k, suffix)| (suffix.len(), std::cmp::Reverse(*k)))
                        .map(|(k, _)| k as u16)
                })
                .flatten();
            a.conflict_cap.push(cap);
            a.conflict_codes.push(c.code.clone());
            a.conflict_journeys.push(c.journeys.iter().filter_map(|j| a.journeys.get(j.as_str()).copied()).collect());
        }
        a
    }

    fn counter(&mut self) -> u32 {
        self.counters.push(Counter::default());
        (self.counters.len() - 1) as u32
    }

    fn zone_index(&mut self, tz: Tz) -> u16 {
        match self.zones.iter().position(|z| z.tz == tz) {
            Some(i) => i as u16,
            None => {
                self.zones.push(DayCache::new(tz));
                (self.zones.len() - 1) as u16
            }
        }
    }

    /// The static conflicts a subject of a collision between `journeys` confirms.
    fn links(&self, kind: Kind, journeys: &[u16], subject: Subject) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, code) in self.conflict_codes.iter().enumerate() {
            if code != kind.code() {
                continue;
            }
            let steps = &self.conflict_steps[i];
            let has = |j: u16, pred: &dyn Fn(&StepInfo) -> bool| {
                steps.iter().any(|&(sj, sn)| {
                    sj == j && {
                        let s = self.step_of[sj as usize][sn as usize];
                        s != u32::MAX && pred(&self.steps[s as usize])
                    }
                })
            };
            let ok = match subject {
                Subject::Template(t) => {
                    journeys.len() == 2 && journeys.iter().all(|&j| has(j, &|s: &StepInfo| s.template == t))
                }
                Subject::Tags(g, x, y) => {
                    journeys.len() == 2
                        && journeys.iter().all(|&j| {
                            has(j, &|s: &StepInfo| s.tags.iter().any(|&(sg, st)| sg == g && (st == x || st == y)))
                        })
                }
                Subject::Cap(k) => {
                    let cj = &self.conflict_journeys[i];
                    journeys.len() >= 2
                        && self.conflict_cap[i] == Some(k)
                        && cj.len() >= 2
                        && cj.iter().all(|j| journeys.contains(j))
                }
            };
            if ok {
                out.push(i);
            }
        }
        out
    }

    fn bump(counters: &mut [Counter], seen: &mut Vec<u32>, c: u32) {
        counters[c as usize].occurrences += 1;
        if let Err(pos) = seen.binary_search(&c) {
            seen.insert(pos, c);
            counters[c as usize].customers += 1;
        }
    }

    /// Count one occurrence of a collision for customer `key`.
    fn record(&mut self, key: &str, kind: Kind, mut journeys: Vec<u16>, subject: Subject, sends: &[Sent]) {
        journeys.sort_unstable();
        journeys.dedup();
        let a = match self.agg_ids.get(&(kind, journeys.clone())) {
            Some(&a) => a,
            None => {
                let counter = self.counter();
                self.aggs.push(Agg {
                    kind,
                    journeys: journeys.clone(),
                    counter,
                    subjects: BTreeMap::new(),
                    steps: BTreeSet::new(),
                    example: None,
                });
                self.agg_ids.insert((kind, journeys.clone()), self.aggs.len() - 1);
                self.aggs.len() - 1
            }
        };
        let s = match self.aggs[a].subjects.get(&subject) {
            Some(&s) => s,
            None => {
                let s = self.counter();
                self.aggs[a].subjects.insert(subject, s);
                let links = self.links(kind, &journeys, subject);
                for &l in &links {
                    self.conflict_collisions[l].insert(a);
                }
                self.subject_links.insert(s, links);
                s
            }
        };
        self.aggs[a].steps.extend(sends.iter().map(|s| s.step));
        let replace = match &self.aggs[a].example {
            None => true,
            Some((k, _)) => key < k.as_str(),
        };
        if replace {
            self.aggs[a].example = Some((key.to_string(), sends.to_vec()));
        }
        let agg_counter = self.aggs[a].counter;
        let cust = self.customers.get_mut(key).expect("the customer was seen");
        Self::bump(&mut self.counters, &mut cust.seen, agg_counter);
        Self::bump(&mut self.counters, &mut cust.seen, s);
        for &l in self.subject_links.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(c) = self.conflict_counters[l] {
                Self::bump(&mut self.counters, &mut cust.seen, c);
            }
        }
    }

    /// A delivered message.
    fn send(&mut self, key: &str, time: i64, step: u32) {
        let info = &self.steps[step as usize];
        let (journey, channel, template) = (info.journey, info.channel, info.template);
        self.sends += 1;
        let day = self.zones[0].day(time);
        let n_channels = self.program.channels.len();
        self.days.entry(day).or_insert_with(|| vec![0; n_channels])[channel as usize] += 1;
        *self.step_days[step as usize].entry(day).or_default() += 1;

        let cust = self.customers.get_mut(key).expect("the customer was seen");
        if !cust.reached {
            cust.reached = true;
            self.reached += 1;
        }
        while cust.recent.front().is_some_and(|s| time - s.time >= self.keep_ms) {
            cust.recent.pop_front();
        }
        let this = Sent { time, step, day: self.zones[cust.zone as usize].day(time) };
        let steps = &self.steps;
        let info = &steps[step as usize];
        let journey_of = |s: &Sent| steps[s.step as usize].journey;
        let mut found: Vec<(Kind, Vec<u16>, Subject, Vec<Sent>)> = Vec::new();

        // the same template from another journey on the customer's local day
        let mut partners: Vec<u16> = Vec::new();
        for s in cust.recent.iter().filter(|s| s.day == this.day) {
            let j = journey_of(s);
            if steps[s.step as usize].template == template && j != journey && !partners.contains(&j) {
                partners.push(j);
                found.push((Kind::Duplicate, vec![j, journey], Subject::Template(template), vec![*s, this]));
            }
        }

        // conflicting tags within the window
        if !info.tags.is_empty() {
            let mut pairs: Vec<(u16, Subject)> = Vec::new();
            for s in cust.recent.iter().filter(|s| time - s.time < self.window_ms) {
                let j = journey_of(s);
                for &(g, x) in &info.tags {
                    for &(eg, y) in &steps[s.step as usize].tags {
                        if eg != g || y == x || info.tags.contains(&(g, y)) {
                            continue;
                        }
                        let subject = Subject::Tags(g, x.min(y), x.max(y));
                        if !pairs.contains(&(j, subject)) {
                            pairs.push((j, subject));
                            found.push((Kind::Tags, vec![j, journey], subject, vec![*s, this]));
                        }
                    }
                }
            }
        }

        // caps: `count` counted sends less than the window before this one
        for &k in &info.caps {
            let cap = &self.caps[k as usize];
            let window = cap.window as i64 * MINUTE_MS;
            let counted: Vec<Sent> = cust
                .recent
                .iter()
                .filter(|s| time - s.time < window && steps[s.step as usize].caps.contains(&k))
                .copied()
                .collect();
            if counted.len() as u64 >= cap.count {
                let mut journeys: Vec<u16> = counted.iter().map(journey_of).collect();
                journeys.push(journey);
                let mut sends = counted;
                sends.push(this);
                found.push((Kind::Cap, journeys, Subject::Cap(k), sends));
            }
        }
        cust.recent.push_back(this);
        for (kind, journeys, subject, sends) in found {
            self.record(key, kind, journeys, subject, &sends);
        }
    }

    /// Check one row against the program and feed it to the rules.
    fn row<R: BufRead>(&mut self, r: &TraceReader<R>, f: &[&str; 7]) -> Result<(), TraceError> {
        let err = |k: usize, message: String, label: &str, help: &str| {
            Err(r.field_error(k, &message, label, Some(help.to_string())))
        };
        let other_version = "the trace was written for other journeys: run `journey simulate --trace` again on this repository, or pass the journey files the trace was written for";
        // time
        let time = match journey_events::time::parse_rfc3339(f[trace::TIME].trim().as_bytes()) {
            Some(journey_events::time::Parsed::Utc(t)) => t,
            Some(journey_events::time::Parsed::Local(_)) => {
                return err(
                    trace::TIME,
                    format!("the time `{}` has no zone", trace::shown(f[trace::TIME])),
                    "no `Z` or offset",
                    "write times in RFC 3339 with `Z` or an offset, e.g. `2026-01-05T10:00:00Z`, as `journey simulate --trace` does",
                )
            }
            None => {
                return err(
                    trace::TIME,
                    format!("unparsable time `{}`", trace::shown(f[trace::TIME])),
                    "not an RFC 3339 time",
                    "write times in RFC 3339, e.g. `2026-01-05T10:00:00Z`, as `journey simulate --trace` does",
                )
            }
        };
        let key = f[trace::CUSTOMER];
        if key.is_empty() {
            return err(
                trace::CUSTOMER,
                "missing customer".into(),
                "empty",
                "every row names the customer the action is for",
            );
        }
        let kind = match KINDS.iter().find(|(n, _)| *n == f[trace::KIND]) {
            Some(&(_, k)) => k,
            None => {
                return err(
                    trace::KIND,
                    format!("unknown action kind `{}`", trace::shown(f[trace::KIND])),
                    "not an action kind",
                    "kinds are enter, exit, send, task, webhook, set, goal, suppressed and deferred",
                )
            }
        };
        let name = f[trace::JOURNEY];
        let Some(&j) = self.journeys.get(name) else {
            let mut message = format!("unknown journey `{}`", trace::shown(name));
            if let Some(s) = suggest(name, self.program.journeys.iter().map(|j| j.name.as_str())) {
                message.push_str(&format!(" (did you mean `{s}`?)"));
            }
            return err(trace::JOURNEY, message, "not a journey of this repository", other_version);
        };
        let node = f[trace::NODE];
        let n = if node.is_empty() {
            None
        } else {
            match self.nodes[j as usize].get(node) {
                Some(&n) => Some(n),
                None => {
                    let mut message = format!("journey `{name}` has no node `{}`", trace::shown(node));
                    if let Some(s) =
                        suggest(node, self.program.journeys[j as usize].nodes.iter().map(|n| n.id.as_str()))
                    {
                        message.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    return err(trace::NODE, message, "no such node", other_version);
                }
            }
        };
        let channel = f[trace::CHANNEL];
        let c = if channel.is_empty() {
            None
        } else {
            match self.channels.get(channel) {
                Some(&c) => Some(c),
                None => {
                    let mut message = format!("unknown channel `{}`", trace::shown(channel));
                    if let Some(s) = suggest(channel, self.program.channels.iter().map(|c| c.name.as_str())) {
                        message.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    return err(trace::CHANNEL, message, "not a channel of this repository", other_version);
                }
            }
        };
        let step_kind = matches!(
            kind,
            ActionKind::Send | ActionKind::Task | ActionKind::Webhook | ActionKind::Suppressed | ActionKind::Deferred
        );
        if step_kind && n.is_none() {
            return err(
                trace::NODE,
                format!("a `{}` row without a node", f[trace::KIND]),
                "empty",
                "sends, tasks, webhooks, suppressions and deferrals name the node (`stage#index`) they happen at",
            );
        }
        if step_kind && c.is_none() {
            return err(
                trace::CHANNEL,
                format!("a `{}` row without a channel", f[trace::KIND]),
                "empty",
                "sends, tasks, webhooks, suppressions and deferrals name their channel",
            );
        }
        // order: each customer's rows in time order
        match self.customers.get_mut(key) {
            Some(cust) if time < cust.last => {
                let last = cust.last;
                return err(
                    trace::TIME,
                    format!(
                        "customer `{}` goes back in time: {} is before their previous row at {}",
                        trace::shown(key),
                        journey_events::time::format(time),
                        journey_events::time::format(last)
                    ),
                    "out of order",
                    "a trace lists each customer's actions in time order, as `journey simulate --trace` writes it; if you merged traces, sort them by time keeping equal times in order (`sort -s -t, -k1,1`)",
                );
            }
            Some(cust) => cust.last = time,
            None => {
                let zone = match self.zone_of.and_then(|f| f(key)) {
                    Some(tz) => self.zone_index(tz),
                    None => 0,
                };
                self.customers.insert(key.into(), Customer { last: time, zone, ..Default::default() });
            }
        }
        let day = self.zones[0].day(time);
        self.first_day = Some(self.first_day.map_or(day, |d| d.min(day)));
        self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        self.actions[KINDS.iter().position(|(_, k)| *k == kind).expect("a kind")] += 1;
        if kind != ActionKind::Send {
            return Ok(());
        }
        let (n, c) = (n.expect("checked"), c.expect("checked"));
        let jd = &self.program.journeys[j as usize];
        let nd = &jd.nodes[n as usize];
        let Step::Send { channel: want_channel, template: want_template, .. } = &nd.step else {
            return err(
                trace::NODE,
                format!("node `{node}` of `{name}` is not a send"),
                "not a send step",
                other_version,
            );
        };
        if want_channel != channel {
            return err(
                trace::CHANNEL,
                format!("node `{node}` of `{name}` sends on `{want_channel}`, not `{}`", trace::shown(channel)),
                "another channel",
                other_version,
            );
        }
        if want_template != f[trace::TEMPLATE] {
            return err(
                trace::TEMPLATE,
                format!(
                    "node `{node}` of `{name}` sends \"{want_template}\", not \"{}\"",
                    trace::shown(f[trace::TEMPLATE])
                ),
                "another template",
                other_version,
            );
        }
        if !self.message[c as usize] {
            return Ok(());
        }
        let step = self.step_of[j as usize][n as usize];
        self.send(key, time, step);
        Ok(())
    }

    fn finish(self, name: &str, zone_name: &str, customer_zones: bool, rows: u64) -> (Observed, Vec<ConflictObserved>) {
        let program = self.program;
        let channel_name = |c: usize| program.channels[c].name.clone();
        let mut days = Vec::new();
        if let (Some(first), Some(last)) = (self.first_day, self.last_day) {
            for d in first..=last {
                let counts = self.days.get(&d);
                let channels: BTreeMap<String, u64> = counts
                    .map(|v| {
                        v.iter().enumerate().filter(|(_, n)| **n > 0).map(|(c, n)| (channel_name(c), *n)).collect()
                    })
                    .unwrap_or_default();
                days.push(DayVolume {
                    date: date_label(d),
                    weekday: weekday_label(d).to_string(),
                    sends: channels.values().sum(),
                    channels,
                });
            }
        }
        let mut channels = Vec::new();
        for c in 0..program.channels.len() {
            let mut sends = 0;
            let mut peak = (0u64, 0i32);
            for (&d, v) in &self.days {
                sends += v[c];
                if v[c] > peak.0 {
                    peak = (v[c], d);
                }
            }
            if sends > 0 {
                channels.push(ChannelVolume {
                    channel: channel_name(c),
                    sends,
                    peak_day: date_label(peak.1),
                    peak: peak.0,
                });
            }
        }
        let mut steps = Vec::new();
        for (s, info) in self.steps.iter().enumerate() {
            let per = &self.step_days[s];
            if per.is_empty() {
                continue;
            }
            let j = &program.journeys[info.journey as usize];
            let node = &j.nodes[info.node as usize];
            let mut peak = (0u64, 0i32);
            for (&d, &n) in per {
                if n > peak.0 {
                    peak = (n, d);
                }
            }
            steps.push(StepVolume {
                journey: j.name.clone(),
                stage: node.stage.clone(),
                node: node.id.clone(),
                channel: channel_name(info.channel as usize),
                template: self.templates[info.template as usize].to_string(),
                sends: per.values().sum(),
                days_active: per.len() as u64,
                peak_day: date_label(peak.1),
                peak: peak.0,
                per_day: per.iter().map(|(&d, &n)| (date_label(d), n)).collect(),
            });
        }
        let jname = |j: u16| program.journeys[j as usize].name.clone();
        let example_send = |s: &Sent| {
            let info = &self.steps[s.step as usize];
            ExampleSend {
                time: journey_events::time::format(s.time),
                journey: jname(info.journey),
                node: program.journeys[info.journey as usize].nodes[info.node as usize].id.clone(),
                channel: channel_name(info.channel as usize),
                template: self.templates[info.template as usize].to_string(),
            }
        };
        let subject_text = |s: &Subject| match *s {
            Subject::Template(t) => format!("\"{}\"", self.templates[t as usize]),
            Subject::Tags(g, x, y) => {
                let group = &program.policy.conflicting[g as usize];
                format!("{} vs {}", group[x as usize], group[y as usize])
            }
            Subject::Cap(k) => cap_label(&self.caps[k as usize]),
        };
        // (sort key, agg index)
        let mut order: Vec<usize> = (0..self.aggs.len()).collect();
        let names = |a: &Agg| {
            let mut v: Vec<String> = a.journeys.iter().map(|&j| jname(j)).collect();
            v.sort();
            v
        };
        order.sort_by(|&x, &y| {
            let (a, b) = (&self.aggs[x], &self.aggs[y]);
            (a.kind, std::cmp::Reverse(self.counters[a.counter as usize].customers), names(a)).cmp(&(
                b.kind,
                std::cmp::Reverse(self.counters[b.counter as usize].customers),
                names(b),
            ))
        });
        let mut position = vec![0usize; self.aggs.len()];
        for (i, &a) in order.iter().enumerate() {
            position[a] = i;
        }
        let mut collisions = Vec::new();
        for &ai in &order {
            let a = &self.aggs[ai];
            let counter = self.counters[a.counter as usize];
            let mut subjects: Vec<SubjectCount> = a
                .subjects
                .iter()
                .map(|(s, &c)| SubjectCount {
                    subject: subject_text(s),
                    customers: self.counters[c as usize].customers,
                    occurrences: self.counters[c as usize].occurrences,
                })
                .collect();
            subjects.sort_by(|x, y| {
                (std::cmp::Reverse(x.customers), &x.subject).cmp(&(std::cmp::Reverse(y.customers), &y.subject))
            });
            let mut links: BTreeSet<usize> = BTreeSet::new();
            for c in a.subjects.values() {
                links.extend(self.subject_links.get(c).into_iter().flatten().copied());
            }
            let (customer, sends) = a.example.clone().expect("a collision has an example");
            collisions.push(Collision {
                kind: a.kind.name().to_string(),
                journeys: names(a),
                customers: counter.customers,
                occurrences: counter.occurrences,
                subjects,
                steps: a
                    .steps
                    .iter()
                    .map(|&s| {
                        let info = &self.steps[s as usize];
                        let j = &program.journeys[info.journey as usize];
                        format!("{}/{}", j.name, j.nodes[info.node as usize].id)
                    })
                    .collect(),
                example: Example { customer, sends: sends.iter().map(example_send).collect() },
                confirms: links
                    .into_iter()
                    .map(|l| Confirmation { code: self.conflict_codes[l].clone(), conflict: l })
                    .collect(),
            });
        }
        let per_conflict: Vec<ConflictObserved> = self
            .conflict_counters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let counter = c.map(|c| self.counters[c as usize]).unwrap_or_default();
                let mut collisions: Vec<usize> = self.conflict_collisions[i].iter().map(|&a| position[a]).collect();
                collisions.sort_unstable();
                ConflictObserved { customers: counter.customers, occurrences: counter.occurrences, collisions }
            })
            .collect();
        let actions = KINDS
            .iter()
            .zip(self.actions)
            .filter(|(_, n)| *n > 0)
            .map(|((name, _), n)| (name.to_string(), n))
            .collect();
        let observed = Observed {
            trace: name.to_string(),
            timezone: zone_name.to_string(),
            customer_zones,
            conflict_window_minutes: (self.window_ms / MINUTE_MS) as u64,
            rows,
            actions,
            customers: self.customers.len() as u64,
            reached: self.reached,
            sends: self.sends,
            first_day: self.first_day.map(date_label),
            last_day: self.last_day.map(date_label),
            days,
            channels,
            steps,
            collisions,
        };
        (observed, per_conflict)
    }
}

/// The closest candidate to a misspelt name, when one is close enough.
fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        if score >= 0.8 && best.is_none_or(|(b, bn)| score > b || (score == b && c < bn)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Read a trace and add what it shows to `view`: volumes per day, channel and step,
/// the collisions, and, on each static J601-J603 conflict, the customers it was
/// observed for. `customer_zone` gives a customer's own zone (from an attribute
/// snapshot) for the same-day rule; customers without one use the program's zone.
pub fn observe<R: BufRead>(
    view: &mut CalendarView,
    program: &Program,
    mut reader: TraceReader<R>,
    customer_zone: Option<CustomerZone<'_>>,
) -> Result<(), TraceError> {
    let zone: Tz = program.timezone.parse().unwrap_or(Tz::UTC);
    let mut a = Analysis::new(program, view, zone, customer_zone);
    while let Some(next) = reader.advance() {
        next?;
        let rec = reader.record();
        a.row(&reader, &rec.fields)?;
    }
    let name = std::path::Path::new(reader.path())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| reader.path().to_string());
    let (observed, per_conflict) = a.finish(&name, zone.name(), customer_zone.is_some(), reader.rows());
    for (c, o) in view.conflicts.iter_mut().zip(per_conflict) {
        if matches!(c.code.as_str(), "J601" | "J602" | "J603") {
            c.observed = Some(o);
        }
    }
    view.observed = Some(observed);
    Ok(())
}
