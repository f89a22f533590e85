//! What a project says about the data its journeys need: which events are sign-ups,
//! purchases or answers to a send, the values its conditions compare with (so that
//! generated values fall on both sides of every threshold and match every `where`),
//! the date offsets its date entries and waits use, and which templates it sends.

use journey_ir::{Aggregate, Expr, Program, Step, Trigger, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What an event is to the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Once, when the customer comes to exist (named like a sign-up or a creation).
    Signup,
    /// Has a money property: bought at the customer's purchase rate, with revenue.
    Purchase,
    /// An answer to a send: it carries the template (a `template` property, or one that
    /// a condition compares with a sent template), or it is `unsubscribe`, `bounce` or
    /// `complaint`, the events the engine attributes to sends.
    Response,
    /// Ends the customer's relationship (named like a cancellation or a closure):
    /// once, on the day a churning customer goes quiet, never at the activity rate
    /// (a journey that exits on it would otherwise lose everyone within days).
    Ending,
    /// Everything else: at the customer's activity rate.
    Activity,
}

/// A constant a condition compares a value with.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Text(String),
    Num(f64),
}

#[derive(Debug, Default)]
pub struct Project {
    pub roles: Vec<Role>,
    /// (event, property) → constants compared with it.
    pub property_consts: BTreeMap<(String, String), Vec<Const>>,
    pub attribute_consts: BTreeMap<String, Vec<Const>>,
    /// Date attribute → offsets in days of the entries and waits that read it.
    pub date_offsets: BTreeMap<String, Vec<i64>>,
    /// Templates sent by the journeys.
    pub templates: BTreeSet<String>,
    /// Attributes a channel needs as consent.
    pub consent: BTreeSet<String>,
    /// Per event, the properties that carry the template of the send it answers.
    pub template_props: Vec<Vec<usize>>,
    /// The longest look-back a recency condition compares with, in days
    /// (`since(purchase) > 120d`, `since_first(purchase) > 365d`): customers need that
    /// much history before such an audience can hold, so some get it before the period.
    pub history_days: i64,
    /// Per event name, how many aggregates of the conditions read it (`count(purchase)`,
    /// `since(purchase)`): purchases share the purchase rate by this weight, so the
    /// event the program counts is the one customers mostly do.
    pub aggregate_reads: BTreeMap<String, u32>,
    /// issue 15: the bool attribute of journey.yaml's suppression list, true for few
    /// customers (a do-not-contact flag is the exception, not half of them).
    pub suppression_flag: Option<String>,
}

const SIGNUP_NAMES: &[&str] =
    &["signup", "sign_up", "signed_up", "register", "registered", "registration", "account_created", "created"];
const ENDING_NAMES: &[&str] = &["cancel", "churn", "closed", "deleted", "deactivat", "terminat"];
/// The engine attributes these to the send before them (docs/engine.md).
const SEND_OUTCOMES: &[&str] = &["unsubscribe", "bounce", "complaint"];

impl Project {
    pub fn read(program: &Program) -> Project {
        let suppression_flag = program.rules.suppression.as_ref().and_then(|s| s.attribute.clone());
        let mut p = Project { suppression_flag, ..Project::default() };
        for c in &program.channels {
            if let Some(a) = &c.consent {
                p.consent.insert(a.clone());
            }
        }
        for a in &program.audiences {
            p.walk(&a.condition, None);
        }
        for j in &program.journeys {
            if let Some(a) = &j.audience {
                p.walk(a, None);
            }
            match &j.entry {
                Trigger::Event { event, filter: Some(f) } => p.walk(f, Some(event)),
                Trigger::Condition { condition } => p.walk(condition, None),
                Trigger::DateAttribute { attribute, offset_minutes, .. } => {
                    p.date_offsets.entry(attribute.clone()).or_default().push(offset_minutes.div_euclid(1440))
                }
                _ => {}
            }
            // several triggers: each event's filter, as the first's
            for a in &j.entry_also {
                if let Some(f) = &a.filter {
                    p.walk(f, Some(&a.event));
                }
            }
            for e in &j.exits {
                match e {
                    journey_ir::ExitRule::Event { event, filter: Some(f) } => p.walk(f, Some(event)),
                    journey_ir::ExitRule::Condition { condition } => p.walk(condition, None),
                    _ => {}
                }
            }
            for n in &j.nodes {
                match &n.step {
                    Step::Send { template, .. } => {
                        p.templates.insert(template.clone());
                    }
                    Step::WaitFor { event, filter, also, .. } => {
                        if let Some(f) = filter {
                            p.walk(f, Some(event));
                        }
                        // any of several events
                        for a in also {
                            if let Some(f) = &a.filter {
                                p.walk(f, Some(&a.event));
                            }
                        }
                    }
                    Step::Branch { arms, .. } => arms.iter().for_each(|a| p.walk(&a.condition, None)),
                    Step::WaitUntilDate { attribute, offset_minutes, .. } => {
                        p.date_offsets.entry(attribute.clone()).or_default().push(offset_minutes.div_euclid(1440))
                    }
                    _ => {}
                }
            }
            for g in &j.goals {
                if let journey_ir::GoalKind::Event { event, filter: Some(f) } = &g.kind {
                    p.walk(f, Some(event));
                }
            }
        }
        for e in &program.events {
            let holds_template: Vec<usize> = e
                .properties
                .iter()
                .enumerate()
                .filter(|(_, prop)| {
                    prop.name == "template"
                        || p.property_consts
                            .get(&(e.name.clone(), prop.name.clone()))
                            .is_some_and(|cs| cs.iter().any(|c| matches!(c, Const::Text(t) if p.templates.contains(t))))
                })
                .map(|(i, _)| i)
                .collect();
            let name = e.name.to_ascii_lowercase();
            let role = if !holds_template.is_empty() || SEND_OUTCOMES.contains(&name.as_str()) {
                Role::Response
            } else if SIGNUP_NAMES.iter().any(|s| name == *s || name.ends_with(&format!("_{s}")) || name.starts_with(s))
            {
                Role::Signup
            } else if e.properties.iter().any(|p| p.ty == Type::Money) {
                Role::Purchase
            } else if ENDING_NAMES.iter().any(|s| name.contains(s)) {
                Role::Ending
            } else {
                Role::Activity
            };
            p.roles.push(role);
            p.template_props.push(holds_template);
        }
        p
    }

    fn walk(&mut self, e: &Expr, event: Option<&String>) {
        let constant = |x: &Expr| match x {
            Expr::Const { value: Value::Text(s) } => Some(Const::Text(s.clone())),
            Expr::Const { value: Value::Number(n) | Value::Money(n) | Value::Percent(n) } => Some(Const::Num(*n)),
            _ => None,
        };
        match e {
            Expr::Compare { lhs, rhs, .. } => {
                for (a, b) in [(lhs, rhs), (rhs, lhs)] {
                    if let Some(c) = constant(b) {
                        self.note(a, event, vec![c]);
                    }
                    if let (
                        Expr::Aggregate(Aggregate::Since { .. } | Aggregate::SinceFirst { .. }),
                        Expr::Const { value: Value::DurationMinutes(m) },
                    ) = (&**a, &**b)
                    {
                        self.history_days = self.history_days.max(m.div_ceil(1440) as i64);
                    }
                }
                self.walk(lhs, event);
                self.walk(rhs, event);
            }
            Expr::In { value, list } => {
                let cs: Vec<Const> = list.iter().filter_map(constant).collect();
                self.note(value, event, cs);
            }
            Expr::Not { expr } => self.walk(expr, event),
            Expr::And { all: xs } | Expr::Or { any: xs } => xs.iter().for_each(|x| self.walk(x, event)),
            Expr::Add { lhs, rhs } | Expr::Sub { lhs, rhs } | Expr::Mul { lhs, rhs } | Expr::Div { lhs, rhs } => {
                self.walk(lhs, event);
                self.walk(rhs, event);
            }
            // issue 15: what a score reads is what the customers need
            Expr::Min { all: xs } | Expr::Max { all: xs } => xs.iter().for_each(|x| self.walk(x, event)),
            Expr::Score { expr, .. } => self.walk(expr, None),
            Expr::Aggregate(a) => {
                if let Aggregate::Count { event, .. }
                | Aggregate::Sum { event, .. }
                | Aggregate::Avg { event, .. }
                | Aggregate::Latest { event, .. }
                | Aggregate::Since { event, .. }
                | Aggregate::SinceFirst { event, .. } = a
                {
                    *self.aggregate_reads.entry(event.clone()).or_default() += 1;
                }
                match a {
                    Aggregate::Count { event, filter: Some(f), .. }
                    | Aggregate::Sum { event, filter: Some(f), .. }
                    | Aggregate::Avg { event, filter: Some(f), .. }
                    | Aggregate::Latest { event, filter: Some(f), .. }
                    | Aggregate::Since { event, filter: Some(f) }
                    | Aggregate::SinceFirst { event, filter: Some(f) } => self.walk(f, Some(event)),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn note(&mut self, x: &Expr, event: Option<&String>, cs: Vec<Const>) {
        let list = match (x, event) {
            (Expr::Property { name }, Some(ev)) => self.property_consts.entry((ev.clone(), name.clone())).or_default(),
            (Expr::Attribute { name }, _) => self.attribute_consts.entry(name.clone()).or_default(),
            _ => return,
        };
        for c in cs {
            if !list.contains(&c) {
                list.push(c);
            }
        }
    }
}
