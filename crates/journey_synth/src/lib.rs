//! Synthetic event logs for any journey project (docs/events.md, "Synthetic logs").
//!
//! The generator reads the program: its events and their property types, its
//! attributes, its channels and the journeys' entries, waits, branches and sends. Each
//! customer gets a lifecycle from the [`Behaviour`] model (browser, one-time,
//! occasional, regular, heavy buyer; some go quiet), signs up on a day of the period
//! and then does the project's events at its rates, with values that fall on both
//! sides of the thresholds the conditions compare with. Then the customer's events run
//! through the engine, as `journey simulate --seed 1` would run them, and every message
//! the journeys send may be answered with the project's engagement events (an open, a
//! click, an unsubscribe) on that template; answers can lead to more sends, which are
//! answered in turn. Everything is seeded per customer, so the same seed gives
//! byte-identical output.

pub mod behaviour;
pub mod project;

pub use behaviour::{Behaviour, BehaviourError};
pub use project::{Const, Project, Role};

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use journey_engine::{ActionKind, AttrValue, Customer, Engine, EngineOptions};
use journey_events::generate::{within, Rng};
use journey_events::log_writer::{number, Cell, LogWriter, OutFormat};
use journey_events::time::{days_from_civil, format as fmt_time, local_to_utc};
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue, Props, Timestamp};
use journey_ir::{Program, Type};
use std::io::Write;

const DAY: i64 = 86_400_000;
const MIN: i64 = 60_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub customers: u32,
    pub days: u32,
    /// First day, as (year, month, day), in the program's time zone.
    pub start: (i32, u32, u32),
    /// The attribute that says when a customer was created (`events.created_at`): it
    /// gets the sign-up date.
    pub created_at: Option<String>,
    /// Attributes the snapshot may lack (`events.optional_attributes`): left empty for
    /// a share of the customers, as a real snapshot would.
    pub optional_attributes: Vec<String>,
}

/// Share of customers without a value for each optional attribute.
const OPTIONAL_MISSING: f64 = 0.2;
/// issue 15: customers whose suppression flag (journey.yaml `program: suppression:
/// attribute:`) is true: few, as in a real CRM.
const SUPPRESSED_SHARE: f64 = 0.03;

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            customers: 1000,
            days: 90,
            start: (2025, 1, 1),
            created_at: None,
            optional_attributes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub events: u64,
    pub customers: u32,
    /// Engagement events answering the journeys' sends.
    pub answers: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Life {
    Browser,
    OneTime,
    Occasional,
    Regular,
    Heavy,
}

/// A generated value, typed like the property or attribute it is for.
#[derive(Debug, Clone, PartialEq)]
enum Gen {
    Text(String),
    Num(f64),
    Money(f64),
    Bool(bool),
    Time(Timestamp),
}

#[derive(Debug, Clone)]
struct Rec {
    time: Timestamp,
    seq: u32,
    event: usize,
    /// In the event's property order; `None` is an empty cell.
    props: Vec<Option<Gen>>,
    revenue: Option<f64>,
}

struct Person {
    key: String,
    tz: Tz,
    signup: Timestamp,
    signup_day: i64,
    life: Life,
    /// Last active day (exclusive).
    quiet_from: i64,
    attributes: Vec<String>,
}

const ZONES: &[&str] =
    &["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Tokyo"];

struct Gen8<'a> {
    program: &'a Program,
    project: Project,
    behaviour: &'a Behaviour,
    options: &'a Options,
    tz: Tz,
    start_day: i64,
    end_day: i64,
    /// First day of the history before the period (`start_day` when none is needed).
    history_day: i64,
}

/// Share of customers who already exist before the period, when the project's
/// recency conditions need a history (see [`Project::history_days`]).
const ESTABLISHED: f64 = 0.5;
/// Days of history beyond the longest look-back, so that customers cross each
/// recency threshold at different times, and the most the history may add.
const HISTORY_MARGIN: i64 = 60;
const HISTORY_MAX: i64 = 800;

/// Generate the log of `program`'s customers (and, with `attributes`, their attribute
/// snapshot as CSV: `customer_id` and one column per declared attribute).
pub fn generate(
    program: &Program,
    behaviour: &Behaviour,
    options: &Options,
    out: &mut (dyn Write + Send),
    format: OutFormat,
    attributes: Option<&mut dyn Write>,
) -> std::io::Result<Stats> {
    let (y, m, d) = options.start;
    let start_day = days_from_civil(y as i64, m, d);
    let project = Project::read(program);
    let history = if project.history_days > 0 { (project.history_days + HISTORY_MARGIN).min(HISTORY_MAX) } else { 0 };
    let g = Gen8 {
        program,
        project,
        behaviour,
        options,
        tz: program.timezone.parse().unwrap_or(Tz::UTC),
        start_day,
        end_day: start_day + options.days.max(1) as i64,
        history_day: start_day - history,
    };
    // the engine answers sends from the first day of the history on
    let start = local_to_utc(g.history_day * DAY, g.tz);
    let until = local_to_utc(g.end_day * DAY, g.tz);
    let engine = Engine::new(program, EngineOptions { quiet_hours: Default::default(), seed: 1, start, until });
    let engine = match options.created_at.as_deref() {
        Some(a) => engine.with_created_at(Some(a)).ok_or_else(|| {
            std::io::Error::other(format!("events.created_at `{a}` is not a date or time attribute of the program"))
        })?,
        None => engine,
    };
    let mut texts = Interner::default();
    let mut people = Vec::with_capacity(options.customers as usize);
    let mut rows: Vec<(Timestamp, u32, u32, Rec)> = Vec::new();
    let mut stats = Stats { customers: options.customers, ..Default::default() };
    for i in 0..options.customers {
        // one stream per customer: a customer's history does not depend on the others
        let mut rng = Rng::new(options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64 + 1));
        let person = g.person(i, &mut rng);
        let mut recs = g.life(&person, &mut rng);
        stats.answers += g.answer_sends(&engine, &person, i, &mut recs, &mut texts);
        for r in recs.into_iter().filter(|r| r.time < until) {
            rows.push((r.time, i, r.seq, r));
        }
        people.push(person);
    }
    rows.sort_by_key(|(t, c, s, _)| (*t, *c, *s));
    let columns = g.columns();
    let mut sink = LogWriter::new(out, format, columns.iter().map(|(n, numeric, _)| (n.clone(), *numeric)).collect())?;
    let mut texts_buf: Vec<String> = Vec::new();
    for (t, c, _, rec) in &rows {
        let def = &program.events[rec.event];
        texts_buf.clear();
        for v in rec.props.iter().flatten() {
            texts_buf.push(match v {
                Gen::Text(s) => s.clone(),
                Gen::Bool(b) => b.to_string(),
                Gen::Time(t) => fmt_time(*t),
                Gen::Num(n) | Gen::Money(n) => number(*n),
            });
        }
        let mut cells = Vec::with_capacity(def.properties.len());
        let mut k = 0;
        for (p, v) in def.properties.iter().zip(&rec.props) {
            let Some(v) = v else { continue };
            let col = columns.iter().position(|(n, _, _)| *n == p.name).expect("a column per property name");
            cells.push((
                col,
                match v {
                    Gen::Num(n) | Gen::Money(n) => Cell::Number(*n),
                    _ => Cell::Text(&texts_buf[k]),
                },
            ));
            k += 1;
        }
        sink.write(*t, &people[*c as usize].key, &def.name, rec.revenue, &cells)?;
        stats.events += 1;
    }
    sink.finish()?;
    if let Some(out) = attributes {
        g.write_attributes(&people, out)?;
    }
    Ok(stats)
}

impl Gen8<'_> {
    /// Property columns: every property name once, numeric when every property of that
    /// name is a number or an amount.
    fn columns(&self) -> Vec<(String, bool, ())> {
        let mut cols: Vec<(String, bool, ())> = Vec::new();
        for e in &self.program.events {
            for p in &e.properties {
                let numeric = matches!(p.ty, Type::Number | Type::Money | Type::Percent);
                match cols.iter_mut().find(|(n, _, _)| *n == p.name) {
                    Some(c) => c.1 &= numeric,
                    None => cols.push((p.name.clone(), numeric, ())),
                }
            }
        }
        cols
    }

    fn person(&self, i: u32, rng: &mut Rng) -> Person {
        let b = self.behaviour;
        let l = &b.lifecycle;
        let life = *rng.pick(&[
            (Life::Browser, l.browser),
            (Life::OneTime, l.one_time),
            (Life::Occasional, l.occasional),
            (Life::Regular, l.regular),
            (Life::Heavy, l.heavy),
        ]);
        let days = self.end_day - self.start_day;
        // sign-ups lean to the start of the period, so that most customers have a
        // history long enough for recency and window conditions to change
        let u = rng.f64();
        let mut signup_day = self.start_day + ((u * u) * days as f64) as i64;
        // established customers, when recency conditions need them: a lapse or a
        // first order long ago can only be seen in a history that long
        if self.history_day < self.start_day && rng.chance(ESTABLISHED) {
            signup_day = self.history_day + rng.below((self.start_day - self.history_day) as u64) as i64;
        }
        let quiet_from = if rng.chance(b.churn) {
            signup_day + 1 + rng.below((self.end_day - signup_day).max(1) as u64) as i64
        } else {
            i64::MAX
        };
        let mut person = Person {
            key: format!("c{:07}", i + 1),
            tz: self.tz,
            signup: 0,
            signup_day,
            life,
            quiet_from,
            attributes: Vec::new(),
        };
        // the zone first: times of day are local
        let zone_attr = self.program.attributes.iter().position(|a| a.ty == Type::Timezone);
        if zone_attr.is_some() {
            let zone = if rng.chance(0.6) { self.program.timezone.as_str() } else { ZONES[rng.below(6) as usize] };
            person.tz = zone.parse().unwrap_or(self.tz);
        }
        let minute = self.waking(rng);
        // inside the log's period (from the history's first day for an established
        // customer): a zone west of the project's puts an evening of the last day past
        // the end, one east of it a morning of the first day before the start; the day
        // is then the customer's local day of the sign-up
        let from = if signup_day < self.start_day { self.history_day } else { self.start_day };
        let (lo, hi) = (local_to_utc(from * DAY, self.tz), local_to_utc(self.end_day * DAY, self.tz));
        person.signup = within(local_to_utc(signup_day * DAY + minute * MIN, person.tz), lo, hi);
        person.signup_day = local_day(person.signup, person.tz);
        if person.quiet_from != i64::MAX {
            person.quiet_from = person.quiet_from.max(person.signup_day + 1);
        }
        person.attributes = self.program.attributes.iter().map(|a| self.attribute(a, &person, rng)).collect();
        person
    }

    /// A minute of the day in waking hours (8:00 to 21:00).
    fn waking(&self, rng: &mut Rng) -> i64 {
        rng.range(8 * 60, 21 * 60 - 1)
    }

    fn attribute(&self, a: &journey_ir::AttributeDef, person: &Person, rng: &mut Rng) -> String {
        let b = self.behaviour;
        let consts = self.project.attribute_consts.get(&a.name);
        if self.options.created_at.as_deref() == Some(a.name.as_str()) {
            return match a.ty {
                Type::Time => fmt_time(person.signup),
                _ => date_text(person.signup_day),
            };
        }
        if self.options.optional_attributes.contains(&a.name) && rng.chance(OPTIONAL_MISSING) {
            return String::new();
        }
        match &a.ty {
            Type::Timezone => person.tz.name().to_string(),
            Type::Bool => {
                let p = if self.project.consent.contains(&a.name) {
                    b.consent
                } else if self.project.suppression_flag.as_ref() == Some(&a.name) {
                    SUPPRESSED_SHARE
                } else {
                    b.bool_true
                };
                rng.chance(p).to_string()
            }
            Type::OneOf { choices } => {
                // as for properties: values a condition names come up more often, so
                // that `plan == "none"` and `plan != "none"` both find customers
                let listed: Vec<&String> = consts
                    .map(|cs| {
                        cs.iter()
                            .filter_map(
                                |c| if let Const::Text(t) = c { choices.iter().find(|x| *x == t) } else { None },
                            )
                            .collect()
                    })
                    .unwrap_or_default();
                if !listed.is_empty() && rng.chance(0.5) {
                    listed[rng.below(listed.len() as u64) as usize].clone()
                } else {
                    choices[rng.below(choices.len() as u64) as usize].clone()
                }
            }
            Type::Number | Type::Money | Type::Percent => number(self.number(consts, a.ty == Type::Money, rng)),
            Type::Text => match consts.filter(|_| rng.chance(0.5)).and_then(|cs| pick_text(cs, rng)) {
                Some(t) => t,
                // a handful of customers share each value: accounts, owners, teams
                None => format!("{}-{}", a.name, 1 + rng.below((self.options.customers / 5).max(3) as u64)),
            },
            Type::Date | Type::Time => {
                // dates that entries and waits shift land inside the period once shifted
                let (lo, hi) = match self.project.date_offsets.get(&a.name) {
                    Some(offs) => {
                        let (min, max) = (*offs.iter().min().unwrap_or(&0), *offs.iter().max().unwrap_or(&0));
                        (self.start_day - max, self.end_day - min)
                    }
                    None => (self.start_day - 365, self.end_day),
                };
                let day = lo + rng.below((hi - lo).max(1) as u64) as i64;
                if a.ty == Type::Time {
                    fmt_time(local_to_utc(day * DAY + 12 * 60 * MIN, person.tz))
                } else {
                    date_text(day)
                }
            }
            _ => String::new(),
        }
    }

    /// A number near the constants conditions compare with (on either side of each
    /// threshold), else a plain small number; `money`: an amount.
    fn number(&self, consts: Option<&Vec<Const>>, money: bool, rng: &mut Rng) -> f64 {
        let nums: Vec<f64> = consts
            .map(|cs| cs.iter().filter_map(|c| if let Const::Num(n) = c { Some(*n) } else { None }).collect())
            .unwrap_or_default();
        if !nums.is_empty() && rng.chance(0.6) {
            let k = nums[rng.below(nums.len() as u64) as usize];
            return if money {
                (k * (0.8 + 0.4 * rng.f64()) * 100.0).round() / 100.0
            } else {
                (k + rng.range(-1, 1) as f64).max(0.0)
            };
        }
        if money {
            let v = self.behaviour.order_value * (0.4 * rng.normal()).exp();
            return (v * 100.0).round() / 100.0;
        }
        let top = nums.iter().fold(10.0f64, |m, n| m.max(n.abs() * 1.5)).ceil() as u64;
        rng.below(top + 1) as f64
    }

    fn property(&self, event: usize, index: usize, time: Timestamp, rng: &mut Rng) -> Option<Gen> {
        let e = &self.program.events[event];
        let p = &e.properties[index];
        let consts = self.project.property_consts.get(&(e.name.clone(), p.name.clone()));
        Some(match &p.ty {
            Type::OneOf { choices } => {
                let listed: Vec<&String> = consts
                    .map(|cs| {
                        cs.iter()
                            .filter_map(
                                |c| if let Const::Text(t) = c { choices.iter().find(|x| *x == t) } else { None },
                            )
                            .collect()
                    })
                    .unwrap_or_default();
                // values a condition names come up more often than the rest
                if !listed.is_empty() && rng.chance(0.5) {
                    Gen::Text(listed[rng.below(listed.len() as u64) as usize].clone())
                } else {
                    Gen::Text(choices[rng.below(choices.len() as u64) as usize].clone())
                }
            }
            Type::Text => match consts.filter(|_| rng.chance(0.5)).and_then(|cs| pick_text(cs, rng)) {
                Some(t) => Gen::Text(t),
                None => Gen::Text(format!("{}-{}", p.name, 1 + rng.below(50))),
            },
            Type::Number | Type::Percent | Type::Duration => Gen::Num(self.number(consts, false, rng)),
            Type::Money => Gen::Money(self.number(consts, true, rng)),
            Type::Bool => Gen::Bool(rng.chance(0.5)),
            Type::Time | Type::Date => Gen::Time(time - rng.below(30) as i64 * DAY),
            Type::Timezone => Gen::Text(self.program.timezone.clone()),
            Type::TimeOfDay | Type::List { .. } => return None,
        })
    }

    fn record(&self, event: usize, time: Timestamp, seq: &mut u32, rng: &mut Rng) -> Rec {
        let n = self.program.events[event].properties.len();
        let props: Vec<Option<Gen>> = (0..n).map(|i| self.property(event, i, time, rng)).collect();
        let revenue = props.iter().find_map(|v| if let Some(Gen::Money(m)) = v { Some(*m) } else { None });
        let revenue = revenue.filter(|_| self.project.roles[event] == Role::Purchase);
        *seq += 1;
        Rec { time, seq: *seq, event, props, revenue }
    }

    /// The share of the purchase rate that goes to purchase event `e`: by how many
    /// aggregates read it (plus one, so that every purchase event happens).
    fn purchase_share(&self, e: usize) -> f64 {
        let weight = |e: usize| {
            let name = &self.program.events[e].name;
            1.0 + self.project.aggregate_reads.get(name).copied().unwrap_or(0) as f64
        };
        let roles = &self.project.roles;
        let total: f64 = (0..roles.len()).filter(|&i| roles[i] == Role::Purchase).map(weight).sum();
        weight(e) / total
    }

    fn season(&self, day: i64) -> f64 {
        let s = &self.behaviour.seasonality;
        let weekday = (day + 3).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
        let month = NaiveDate::from_num_days_from_ce_opt((day + 719_163) as i32).map(|d| d.month0()).unwrap_or(0);
        s.weekdays[weekday] * s.months[month as usize]
    }

    /// The customer's own events over the period, before any answer to a send.
    fn life(&self, person: &Person, rng: &mut Rng) -> Vec<Rec> {
        let b = self.behaviour;
        let roles = &self.project.roles;
        let mut recs = Vec::new();
        let mut seq = 0;
        for (e, _) in roles.iter().enumerate().filter(|(_, r)| **r == Role::Signup) {
            recs.push(self.record(e, person.signup, &mut seq, rng));
        }
        let purchases: Vec<usize> = (0..roles.len()).filter(|&e| roles[e] == Role::Purchase).collect();
        let per_day = match person.life {
            Life::Occasional => b.purchases_per_30d.occasional / 30.0,
            Life::Regular => b.purchases_per_30d.regular / 30.0,
            Life::Heavy => b.purchases_per_30d.heavy / 30.0,
            Life::Browser | Life::OneTime => 0.0,
        };
        let activity = match person.life {
            Life::Browser => 0.6,
            Life::OneTime => 0.8,
            Life::Occasional => 1.0,
            Life::Regular => 1.5,
            Life::Heavy => 2.0,
        };
        if person.life == Life::OneTime && !purchases.is_empty() {
            let t = person.signup + rng.range(10, 20 * 24 * 60) * MIN;
            if t.div_euclid(DAY) < person.quiet_from {
                let e = purchases[rng.below(purchases.len() as u64) as usize];
                recs.push(self.record(e, t, &mut seq, rng));
            }
        }
        if person.quiet_from < self.end_day {
            // a churning customer ends the relationship as they go quiet
            for (e, _) in roles.iter().enumerate().filter(|(_, r)| **r == Role::Ending) {
                let t = local_to_utc(person.quiet_from * DAY + self.waking(rng) * MIN, person.tz);
                recs.push(self.record(e, t, &mut seq, rng));
            }
        }
        for day in person.signup_day..self.end_day.min(person.quiet_from) {
            let season = self.season(day);
            // new customers are busier in their first weeks
            let fresh = 1.0 + 2.0 * (-((day - person.signup_day) as f64) / 14.0).exp();
            for (e, role) in roles.iter().enumerate() {
                let rate = match role {
                    Role::Purchase => per_day * self.purchase_share(e) * season,
                    Role::Activity => {
                        let name = &self.program.events[e].name;
                        b.events.get(name).copied().unwrap_or(b.activity_per_day) * activity * fresh * season
                    }
                    _ => continue,
                };
                for _ in 0..rng.poisson(rate) {
                    let minute = self.waking(rng);
                    let t = local_to_utc(day * DAY + minute * MIN, person.tz);
                    if t > person.signup {
                        recs.push(self.record(e, t, &mut seq, rng));
                    }
                }
            }
        }
        recs
    }

    /// Run the customer through the journeys and answer each send with the project's
    /// engagement events; repeat while answers lead to new sends. Returns the number
    /// of answers added.
    fn answer_sends(
        &self,
        engine: &Engine,
        person: &Person,
        index: u32,
        recs: &mut Vec<Rec>,
        texts: &mut Interner,
    ) -> u64 {
        let attrs: Vec<AttrValue> =
            self.program.attributes.iter().zip(&person.attributes).map(|(a, v)| AttrValue::parse(&a.ty, v)).collect();
        let customer = Customer { id: CustomerId(index), key: &person.key, attributes: &attrs };
        let mut answered: Vec<(Timestamp, usize, Option<usize>)> = Vec::new();
        let mut added = 0;
        let mut seq = recs.iter().map(|r| r.seq).max().unwrap_or(0);
        for _round in 0..4 {
            recs.sort_by_key(|r| (r.time, r.seq));
            let events: Vec<Event> = recs.iter().map(|r| self.event(r, index, texts)).collect();
            let (actions, _) = engine.run_customer(customer, &events, texts);
            let mut new = false;
            for a in &actions {
                let ActionKind::Send { channel } = a.kind else { continue };
                // a customer created on a date may be sent to earlier that day than
                // their sign-up: nobody answers before signing up
                if a.time < person.signup {
                    continue;
                }
                let id = (a.time, a.journey, a.node);
                if answered.contains(&id) {
                    continue;
                }
                answered.push(id);
                new = true;
                let Some(node) = a.node else { continue };
                let journey_ir::Step::Send { template, .. } = &self.program.journeys[a.journey].nodes[node].step else {
                    continue;
                };
                // the same send always gets the same answer, whatever the round
                let mut rng = Rng::new(
                    self.options.seed
                        ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407)
                        ^ (a.time as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25)
                        ^ ((a.journey as u64) << 40 | node as u64),
                );
                for r in self.answers(channel, template, a.time, &mut seq, &mut rng) {
                    recs.push(r);
                    added += 1;
                }
            }
            if !new {
                break;
            }
        }
        recs.sort_by_key(|r| (r.time, r.seq));
        added
    }

    /// The engagement events answering one send of `template` on `channel` at `sent`.
    fn answers(&self, channel: usize, template: &str, sent: Timestamp, seq: &mut u32, rng: &mut Rng) -> Vec<Rec> {
        let ch = &self.program.channels[channel];
        let names: Vec<String> = self
            .program
            .channels
            .iter()
            .flat_map(|c| [c.name.to_ascii_lowercase(), c.kind.as_str().to_string()])
            .collect();
        let mut out = Vec::new();
        let mut opened: Option<Timestamp> = None;
        let has_open = self.program.events.iter().enumerate().any(|(e, d)| {
            self.project.roles[e] == Role::Response
                && self.answers_channel(&d.name, ch, &names)
                && d.name.contains("open")
        });
        // opens first: a click answers an open (the program lists events by name)
        let mut order: Vec<usize> = (0..self.program.events.len()).collect();
        order.sort_by_key(|&e| !self.program.events[e].name.to_ascii_lowercase().contains("open"));
        for e in order {
            let def = &self.program.events[e];
            if self.project.roles[e] != Role::Response || !self.answers_channel(&def.name, ch, &names) {
                continue;
            }
            let name = def.name.to_ascii_lowercase();
            let outcome = ["unsubscribe", "bounce", "complaint"].contains(&name.as_str());
            if name == "unsubscribe" && ch.consent.is_none() {
                continue;
            }
            let default = if name.contains("open") {
                0.4
            } else if name.contains("click") {
                if has_open {
                    0.35
                } else {
                    0.12
                }
            } else if name == "unsubscribe" {
                0.005
            } else if name == "bounce" {
                0.01
            } else if name == "complaint" {
                0.001
            } else {
                0.2
            };
            let p = self.behaviour.engagement.get(&def.name).copied().unwrap_or(default);
            // a click follows an open when the project has both
            let after = if name.contains("click") && has_open {
                match opened {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                sent
            };
            if !rng.chance(p) {
                continue;
            }
            let delay = if outcome {
                rng.range(5, 24 * 60) * MIN
            } else if after == sent {
                // most answers come within hours, a few the next days
                ((-(1.0 - rng.f64()).ln() * 180.0).min(3.0 * 24.0 * 60.0) as i64 + 1) * MIN
            } else {
                rng.range(1, 30) * MIN
            };
            let t = after + delay;
            let mut r = self.record(e, t, seq, rng);
            r.revenue = None;
            for (i, p) in def.properties.iter().enumerate() {
                if self.project.template_props[e].contains(&i) {
                    r.props[i] = Some(Gen::Text(template.to_string()));
                } else if p.name == "channel" {
                    r.props[i] = Some(Gen::Text(match &p.ty {
                        Type::OneOf { choices } => choices
                            .iter()
                            .find(|c| **c == ch.name || *c == ch.kind.as_str())
                            .unwrap_or(&choices[0])
                            .clone(),
                        _ => ch.name.clone(),
                    }));
                } else if p.name == "url" {
                    r.props[i] = Some(Gen::Text(format!("https://example.com/{template}")));
                }
            }
            if name.contains("open") {
                opened = Some(t);
            }
            out.push(r);
        }
        out
    }

    /// Does an engagement event answer sends on `ch`? When its name names a channel
    /// (`email_open`, `push_open`), only that one's; otherwise every message channel's.
    fn answers_channel(&self, event: &str, ch: &journey_ir::Channel, names: &[String]) -> bool {
        let event = event.to_ascii_lowercase();
        let own = [ch.name.to_ascii_lowercase(), ch.kind.as_str().to_string()];
        if own.iter().any(|n| event.contains(n.as_str())) {
            return true;
        }
        !names.iter().any(|n| event.contains(n.as_str()))
    }

    fn event(&self, r: &Rec, customer: u32, texts: &mut Interner) -> Event {
        let props: Props = r
            .props
            .iter()
            .map(|v| match v {
                None => PropValue::Missing,
                Some(Gen::Text(s)) => PropValue::Text(texts.intern(s)),
                // the log holds two decimals: the engine sees what simulate will read
                Some(Gen::Num(n)) => PropValue::Number(number(*n).parse().unwrap_or(*n)),
                Some(Gen::Money(n)) => PropValue::Money(number(*n).parse().unwrap_or(*n)),
                Some(Gen::Bool(b)) => PropValue::Bool(*b),
                Some(Gen::Time(t)) => PropValue::Time(*t),
            })
            .collect();
        Event {
            customer: CustomerId(customer),
            time: r.time,
            kind: EventKind(r.event as u16),
            props,
            revenue: r.revenue.map(|v| number(v).parse().unwrap_or(v)),
            line: 0,
        }
    }

    fn write_attributes(&self, people: &[Person], out: &mut dyn Write) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        write!(out, "customer_id")?;
        for a in &self.program.attributes {
            write!(out, ",{}", csv(&a.name))?;
        }
        writeln!(out)?;
        for p in people {
            write!(out, "{}", csv(&p.key))?;
            for v in &p.attributes {
                write!(out, ",{}", csv(v))?;
            }
            writeln!(out)?;
        }
        out.flush()
    }
}

fn pick_text(cs: &[Const], rng: &mut Rng) -> Option<String> {
    let texts: Vec<&String> = cs.iter().filter_map(|c| if let Const::Text(t) = c { Some(t) } else { None }).collect();
    (!texts.is_empty()).then(|| texts[rng.below(texts.len() as u64) as usize].clone())
}

/// The day (since the epoch) of instant `t` in zone `tz`.
fn local_day(t: Timestamp, tz: Tz) -> i64 {
    use chrono::TimeZone;
    match tz.timestamp_millis_opt(t).single() {
        Some(d) => d.date_naive().num_days_from_ce() as i64 - 719_163,
        None => t.div_euclid(DAY),
    }
}

fn date_text(day: i64) -> String {
    fmt_time(day * DAY)[..10].to_string()
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
