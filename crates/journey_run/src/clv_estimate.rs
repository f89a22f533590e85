//! The CLV estimate of `journey simulate` (and of each side of `journey diff`): what a
//! replay collects for it (purchases with revenue, the customers each journey treated)
//! and how the estimate is shown. The model is `journey_clv::impact`.

use chrono_tz::Tz;
use journey_clv::impact::{self, Impact, Unit};
use journey_clv::partial::ClvInput;
use journey_clv::translog::{Transaction, TransactionLog};
use journey_engine::html::money;
use journey_engine::{Action, ActionKind, Report};
use journey_events::Event;
use journey_ir::{EffectUnit, Program};
use serde::{Deserialize, Serialize};

/// Monte Carlo draws of the assumptions' ranges.
pub const DRAWS: usize = 2000;

/// `clv:` in journey.yaml: `margin` (share of revenue that is profit, default 1: value
/// is revenue) and `horizon_weeks` (default 52).
#[derive(Debug, Clone)]
pub struct ClvSettings {
    pub margin: f64,
    pub horizon_weeks: f64,
}

impl ClvSettings {
    pub fn from_config(v: Option<&serde_yaml::Value>) -> ClvSettings {
        let get = |k: &str| v.and_then(|v| v.get(k)).and_then(serde_yaml::Value::as_f64);
        ClvSettings { margin: get("margin").unwrap_or(1.0), horizon_weeks: get("horizon_weeks").unwrap_or(52.0) }
    }
}

/// What a replay gathers for the estimate, as it streams.
pub struct Collector {
    tz: Tz,
    purchases: Vec<Transaction>,
    /// Treated customers (ids) of each journey, possibly repeated.
    reached: Vec<Vec<u32>>,
}

impl Collector {
    pub fn new(program: &Program, tz: Tz) -> Collector {
        Collector { tz, purchases: Vec::new(), reached: vec![Vec::new(); program.journeys.len()] }
    }

    /// Every event that carries revenue is a purchase of that value on its local day.
    pub fn event(&mut self, e: &Event) {
        if let Some(amount) = e.revenue.filter(|r| *r > 0.0) {
            let date = journey_engine::time::local(self.tz, e.time).date();
            self.purchases.push(Transaction { customer: e.customer.0, date, amount });
        }
    }

    pub fn actions(&mut self, actions: &[Action]) {
        for a in actions {
            // an account entering a `for account` journey is no customer of the
            // CLV estimate (issue 15): its customers' purchases are not its own
            let customer =
                matches!(journey_engine::accounts::subject(a.customer), journey_engine::accounts::Subject::Customer(_));
            if let (ActionKind::Enter { holdout: false }, true) = (&a.kind, customer) {
                let v = &mut self.reached[a.journey];
                if v.last() != Some(&a.customer.0) {
                    v.push(a.customer.0);
                }
            }
        }
    }

    /// The mergeable input of the estimate (see `journey_clv::partial`): the buyers'
    /// histories and the customers each journey with assumptions treated.
    /// `customers`: how many customers the replay had.
    pub fn input(self, program: &Program, customers: usize) -> ClvInput {
        let log = TransactionLog {
            cohorts: Vec::new(),
            customers: vec![String::new(); customers],
            cohort_column: None,
            transactions: self.purchases,
            has_amounts: true,
        };
        let reached: Vec<(String, Vec<usize>)> = (program.journeys.iter().zip(self.reached))
            .filter(|(j, _)| !j.assumptions.is_empty())
            .map(|(j, mut ids)| {
                ids.sort_unstable();
                ids.dedup();
                (j.name.clone(), ids.into_iter().map(|i| i as usize).collect())
            })
            .collect();
        ClvInput::from_log(&log, &reached)
    }
}

/// What a partial report carries for the CLV estimate, so that `journey merge` refits
/// it exactly: the settings and assumptions it was made with, and the mergeable rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialClv {
    pub seed: u64,
    pub margin: f64,
    pub horizon_weeks: f64,
    pub currency: String,
    /// The journeys with `assume` lines, in program order.
    pub journeys: Vec<JourneyAssumptions>,
    #[serde(flatten)]
    pub input: ClvInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyAssumptions {
    pub journey: String,
    pub assumptions: Vec<impact::Assumption>,
}

impl PartialClv {
    pub fn new(program: &Program, settings: &ClvSettings, seed: u64, input: ClvInput) -> PartialClv {
        let journeys = (program.journeys.iter())
            .filter(|j| !j.assumptions.is_empty())
            .map(|j| JourneyAssumptions {
                journey: j.name.clone(),
                assumptions: j
                    .assumptions
                    .iter()
                    .map(|a| impact::Assumption {
                        target: a.target.clone(),
                        unit: match a.unit {
                            EffectUnit::Points => Unit::Points,
                            EffectUnit::Percent => Unit::Percent,
                        },
                        effect: a.effect,
                        low: a.low,
                        high: a.high,
                        goal: j.goals.iter().any(|g| g.name == a.target),
                    })
                    .collect(),
            })
            .collect();
        PartialClv {
            seed,
            margin: settings.margin,
            horizon_weeks: settings.horizon_weeks,
            currency: program.currency.clone(),
            journeys,
            input,
        }
    }

    /// Add the part of other customers; parts made with other settings do not add.
    pub fn merge(&mut self, other: &PartialClv) -> Result<(), String> {
        let settings = |p: &PartialClv| (p.seed, p.margin.to_bits(), p.horizon_weeks.to_bits(), p.currency.clone());
        if settings(self) != settings(other) {
            return Err("the partial reports were simulated with different seeds or `clv:` settings".into());
        }
        if self.journeys != other.journeys {
            return Err("the partial reports were simulated with different `assume` lines".into());
        }
        self.input.merge(&other.input);
        Ok(())
    }

    /// The estimate, or why there is none; `report`: the (merged) report of the same
    /// customers, for the treated entries.
    pub fn estimate(&self, report: &Report) -> Result<Impact, String> {
        if self.journeys.is_empty() {
            return Err("no journey states an `assume` line".into());
        }
        if self.input.purchases == 0 {
            return Err("the log has no events with revenue (map a `revenue` column in journey.yaml)".into());
        }
        let journeys: Vec<(String, u64, Vec<impact::Assumption>)> = (self.journeys.iter())
            .map(|j| {
                let treated = report.journeys.get(&j.journey).map_or(0, |r| r.treated);
                (j.journey.clone(), treated, j.assumptions.clone())
            })
            .collect();
        self.input.estimate(&journeys, self.margin, self.horizon_weeks, DRAWS, self.seed).map_err(|e| e.to_string())
    }
}

fn signed(x: f64) -> String {
    if x >= 0.5 {
        format!("+{}", money(x))
    } else {
        money(x)
    }
}

/// The terminal section.
pub fn text(clv: &Result<Impact, String>, currency: &str) -> String {
    let i = match clv {
        Err(why) => return format!("\nCLV estimate: not computed ({why})\n"),
        Ok(i) => i,
    };
    let b = &i.baseline;
    let mut out = format!(
        "\nCLV estimate ({currency}, next {} weeks, margin {}%; BG/NBD + Gamma-Gamma fitted on {} buyers of the log; {} Monte Carlo draws of the assumptions, 90% interval)\n",
        b.horizon_weeks,
        b.margin * 100.0,
        b.buyers,
        i.draws
    );
    out.push_str(&format!(
        "  {:<24} {:>9} {:>13} {:>12} {:>22}\n",
        "journey", "reached", "their value", "effect", "interval"
    ));
    for j in &i.journeys {
        out.push_str(&format!(
            "  {:<24} {:>9} {:>13} {:>12} {:>22}\n",
            j.journey,
            j.customers,
            money(j.baseline),
            signed(j.delta.median),
            format!("{}..{}", signed(j.delta.p05), signed(j.delta.p95))
        ));
        for a in &j.assumptions {
            out.push_str(&format!(
                "    assuming {:<34} {:>12} {:>22}\n",
                a.assumption,
                signed(a.delta.median),
                format!("{}..{}", signed(a.delta.p05), signed(a.delta.p95))
            ));
        }
    }
    out.push_str(&format!(
        "  {:<24} {:>9} {:>13} {:>12} {:>22}\n",
        "all journeys",
        "",
        "",
        signed(i.total.median),
        format!("{}..{}", signed(i.total.p05), signed(i.total.p95))
    ));
    out
}

/// The `clv_estimate` member of `--format json`.
pub fn json(clv: &Result<Impact, String>) -> serde_json::Value {
    match clv {
        Ok(i) => serde_json::to_value(i).expect("impact serialises"),
        Err(why) => serde_json::json!({ "status": "not_computed", "reason": why }),
    }
}

/// The rows of the HTML report's CLV section.
pub fn html_rows(clv: &Result<Impact, String>) -> journey_engine::html::ClvSection {
    use journey_engine::html::{ClvRow, ClvSection};
    match clv {
        Err(why) => ClvSection { note: format!("Not computed: {why}."), rows: Vec::new(), total: None },
        Ok(i) => ClvSection {
            note: format!(
                "Next {} weeks, margin {}%, BG/NBD and Gamma-Gamma fitted on the {} buyers of the log; \
                 each assumption drawn {} times from a triangular distribution over its range; 90% intervals.",
                i.baseline.horizon_weeks,
                i.baseline.margin * 100.0,
                i.baseline.buyers,
                i.draws
            ),
            rows: i
                .journeys
                .iter()
                .map(|j| ClvRow {
                    journey: j.journey.clone(),
                    customers: j.customers as u64,
                    baseline: j.baseline,
                    median: j.delta.median,
                    p05: j.delta.p05,
                    p95: j.delta.p95,
                    assumptions: j.assumptions.iter().map(|a| a.assumption.clone()).collect(),
                })
                .collect(),
            total: Some((i.total.median, i.total.p05, i.total.p95)),
        },
    }
}

/// issue 15: the lines the CLV section adds for the amount goals in money, treated
/// against held out: the difference per treated entry and over all treated entries
/// within the goal's window, as observed (not a lifetime figure, unlike the estimate).
pub fn amounts_text(report: &journey_engine::Report, program: Option<&Program>) -> String {
    let Some(program) = program else { return String::new() };
    let lines: Vec<String> = report
        .experiments(program)
        .amounts
        .iter()
        .filter(|c| c.unit == journey_ir::AmountUnit::Money)
        .filter_map(|c| c.incremental_text())
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "\nobserved revenue of the amount goals, treated vs held out, within each goal's window:\n{}",
        lines.concat()
    )
}
