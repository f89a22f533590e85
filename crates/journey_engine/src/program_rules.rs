//! issue 15: the program-wide rules of journey.yaml (`program:`, lowered into
//! [`journey_ir::ProgramRules`]) as the engine applies them.
//!
//! * **Global holdout.** A customer is in it when a hash of their id with the
//!   program's salt falls under the share: the same customers in every journey and
//!   every run (the simulation seed does not enter the hash), so the program's total
//!   effect can be measured. They enter no *marketing* journey (one that sends a
//!   message on a non-transactional channel, [`journey_ir::Program::is_marketing_journey`]):
//!   at the moment they would have entered, the entry is counted as the journey's
//!   `global_holdout` group and its goals are followed like a holdout's, so each goal
//!   has a treated vs global-holdout difference with customer-level intervals.
//!   Journeys that only create tasks, call webhooks or send transactional messages
//!   run for them as for everyone.
//! * **Suppression.** A customer on the list (a file of ids, or a bool attribute that
//!   is true at the time of the send) gets no marketing message: each such send is
//!   refused and counted per journey (`suppressed`). Transactional messages, tasks and
//!   webhooks go out.
//! * **Caps per category.** `promotional: 3 per 7d` refuses a send on a channel of
//!   that category when the customer already got 3 such messages, all journeys
//!   together, in the last 7 days; counted as a cap hit of the journey and under the
//!   category in the report. Transactional messages are capped only if a cap names
//!   `transactional`.

use crate::{stable_hash, AttrValue};
use journey_ir::Program;

#[derive(Debug, Default)]
pub(crate) struct CRules {
    /// (parts per 10 000, salt).
    global_holdout: Option<(u64, String)>,
    /// By journey: the global holdout keeps customers out of it.
    pub marketing_journey: Vec<bool>,
    /// By channel: suppression applies to its sends.
    marketing_channel: Vec<bool>,
    /// Sorted customer ids of the suppression file.
    listed: Vec<String>,
    attribute: Option<usize>,
    pub caps: Vec<CCategoryCap>,
}

#[derive(Debug)]
pub(crate) struct CCategoryCap {
    pub category: String,
    /// By channel: does a send on it count (and is it capped)?
    pub channels: Vec<bool>,
    pub count: u64,
    /// Milliseconds.
    pub window: i64,
}

impl CRules {
    pub(crate) fn new(program: &Program) -> CRules {
        let r = &program.rules;
        let category = |c: &journey_ir::Channel| c.category_name().map(str::to_string);
        CRules {
            global_holdout: r
                .global_holdout
                .as_ref()
                .map(|h| ((h.percent.clamp(0.0, 100.0) * 100.0).round() as u64, h.salt.clone())),
            marketing_journey: program.journeys.iter().map(|j| program.is_marketing_journey(j)).collect(),
            marketing_channel: program.channels.iter().map(journey_ir::Channel::is_marketing).collect(),
            listed: r.suppression.as_ref().map(|s| s.customers.clone()).unwrap_or_default(),
            attribute: r
                .suppression
                .as_ref()
                .and_then(|s| s.attribute.as_deref())
                .and_then(|a| program.attributes.iter().position(|x| x.name == a)),
            caps: r
                .category_caps
                .iter()
                .map(|c| CCategoryCap {
                    category: c.category.clone(),
                    channels: program.channels.iter().map(|ch| category(ch).as_deref() == Some(&c.category)).collect(),
                    count: c.cap.count,
                    window: c.cap.window_minutes as i64 * crate::time::MINUTE,
                })
                .collect(),
        }
    }

    /// Is this customer in the global holdout? (Fixed for the customer: computed once.)
    pub(crate) fn globally_held(&self, key: &str) -> bool {
        self.global_holdout.as_ref().is_some_and(|(parts, salt)| global_draw(salt, key) < *parts)
    }

    /// Is the customer's id on the suppression file? (Computed once per customer.)
    pub(crate) fn listed(&self, key: &str) -> bool {
        self.listed.binary_search_by(|x| x.as_str().cmp(key)).is_ok()
    }

    /// Is a send on channel `c` refused by suppression, for a customer `listed` (or
    /// not) with these attributes now?
    pub(crate) fn suppresses(&self, c: usize, listed: bool, attrs: &[AttrValue]) -> bool {
        self.marketing_channel.get(c).copied().unwrap_or(false)
            && (listed || self.attribute.is_some_and(|a| attrs[a] == AttrValue::Bool(true)))
    }

    /// The longest window a category cap looks back over (0 without one).
    pub(crate) fn longest_window(&self) -> i64 {
        self.caps.iter().map(|c| c.window).max().unwrap_or(0)
    }
}

/// The customer's draw in 0..10 000: the program's salt and the id only, so the same
/// customers are held out in every journey and every run.
pub fn global_draw(salt: &str, key: &str) -> u64 {
    stable_hash(0, &["global_holdout", salt, key]) % 10_000
}

/// The terminal section of `journey simulate` and `journey merge`: what the program-wide
/// rules did (empty when the program has none and the report counted nothing).
pub fn text(report: &crate::Report, program: Option<&Program>) -> String {
    let pr = &report.program_rules;
    let rules = program.map(|p| &p.rules);
    let configured = rules.is_some_and(|r| !r.is_empty());
    let any_count = !pr.is_empty() || report.journeys.values().any(|j| j.global_holdout + j.suppressed > 0);
    if !configured && !any_count {
        return String::new();
    }
    let mut out = String::from("\nprogram rules (journey.yaml `program:`):\n");
    if let Some(h) = rules.and_then(|r| r.global_holdout.as_ref()) {
        out.push_str(&format!(
            "  global holdout {}% (salt \"{}\"): {} of {} customers kept out of every marketing journey\n",
            h.percent, h.salt, pr.global_holdout_customers, report.customers
        ));
    } else if pr.global_holdout_customers > 0 {
        out.push_str(&format!("  global holdout: {} customers\n", pr.global_holdout_customers));
    }
    let held: Vec<String> = (report.journeys.iter())
        .filter(|(_, j)| j.global_holdout > 0)
        .map(|(n, j)| format!("{n} {}", j.global_holdout))
        .collect();
    if !held.is_empty() {
        out.push_str(&format!("    entries that would have been: {}\n", held.join(", ")));
    }
    if let Some(s) = rules.and_then(|r| r.suppression.as_ref()) {
        let mut from = Vec::new();
        if let Some(f) = &s.file {
            from.push(format!("{} ({} ids)", f, s.customers.len()));
        }
        if let Some(a) = &s.attribute {
            from.push(format!("attribute {a}"));
        }
        out.push_str(&format!(
            "  suppression ({}): {} marketing sends refused, {} customers\n",
            from.join(", "),
            pr.suppressed_sends,
            pr.suppressed_customers
        ));
    } else if pr.suppressed_sends > 0 {
        out.push_str(&format!("  suppression: {} marketing sends refused\n", pr.suppressed_sends));
    }
    let suppressed: Vec<String> = (report.journeys.iter())
        .filter(|(_, j)| j.suppressed > 0)
        .map(|(n, j)| format!("{n} {}", j.suppressed))
        .collect();
    if !suppressed.is_empty() {
        out.push_str(&format!("    refused in: {}\n", suppressed.join(", ")));
    }
    let caps = rules.map(|r| r.category_caps.clone()).unwrap_or_default();
    for c in &caps {
        out.push_str(&format!(
            "  cap {} {} per {}: {} refused\n",
            c.category,
            c.cap.count,
            crate::html::duration(c.cap.window_minutes),
            pr.category_cap_hits.get(&c.category).copied().unwrap_or(0)
        ));
    }
    for (category, n) in pr.category_cap_hits.iter().filter(|(k, _)| !caps.iter().any(|c| &c.category == *k)) {
        out.push_str(&format!("  cap {category}: {n} refused\n"));
    }
    out
}
