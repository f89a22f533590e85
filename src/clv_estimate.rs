//! The CLV estimate of `journey simulate` (and of each side of `journey diff`): what a
//! replay collects for it (purchases with revenue, the customers each journey treated)
//! and how the estimate is shown. The model is `journey_clv::impact`.

use chrono_tz::Tz;
use journey_clv::impact::{self, Impact, Reach, Unit};
use journey_clv::translog::{Transaction, TransactionLog};
use journey_engine::html::money;
use journey_engine::{Action, ActionKind, Report};
use journey_events::Event;
use journey_ir::{EffectUnit, Program};

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
            if let ActionKind::Enter { holdout: false } = a.kind {
                let v = &mut self.reached[a.journey];
                if v.last() != Some(&a.customer.0) {
                    v.push(a.customer.0);
                }
            }
        }
    }

    /// The customers' value without the journeys, fitted on the purchases: it needs
    /// nothing from the replay but the log, so it can run while the replay finishes.
    /// `keys`: every customer's key, by id.
    pub fn baseline(&mut self, keys: Vec<String>, settings: &ClvSettings) -> Result<impact::Baseline, String> {
        let n = keys.len();
        let log = TransactionLog {
            cohorts: vec![None; n],
            customers: keys,
            cohort_column: None,
            transactions: std::mem::take(&mut self.purchases),
            has_amounts: true,
        };
        if log.transactions.is_empty() {
            return Err("the log has no events with revenue (map a `revenue` column in journey.yaml)".into());
        }
        impact::baseline(&log, n, settings.margin, settings.horizon_weeks).map_err(|e| e.to_string())
    }

    /// The estimate from the [`Collector::baseline`], or why there is none.
    pub fn estimate(
        self,
        program: &Program,
        report: &Report,
        base: Result<impact::Baseline, String>,
        seed: u64,
    ) -> Result<Impact, String> {
        let reach: Vec<Reach> = program
            .journeys
            .iter()
            .zip(self.reached)
            .filter(|(j, _)| !j.assumptions.is_empty())
            .map(|(j, mut ids)| {
                ids.sort_unstable();
                ids.dedup();
                Reach {
                    journey: j.name.clone(),
                    treated_entries: report.journeys.get(&j.name).map_or(0, |r| r.treated),
                    customers: ids.into_iter().map(|i| i as usize).collect(),
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
                }
            })
            .collect();
        if reach.is_empty() {
            return Err("no journey states an `assume` line".into());
        }
        Ok(impact::estimate(base?, &reach, DRAWS, seed))
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
