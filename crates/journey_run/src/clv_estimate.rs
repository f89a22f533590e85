//! The CLV estimate of `journey simulate` (and of each side of `journey diff`): what a
//! replay collects for it (purchases with revenue, the customers each journey treated)
//! and how the estimate is shown. The model is `journey_clv::impact`.

use chrono_tz::Tz;
use journey_clv::impact::{self, Impact, Unit};
use journey_clv::partial::{ClvInput, Histories};
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

/// The log's purchases, as they stream: every event that carries revenue is a
/// purchase of that value on its local day. Whoever reads the events collects them (the
/// replay, or the reader's thread: see [`PurchaseTap`]).
pub struct Purchases {
    tz: Tz,
    purchases: Vec<Transaction>,
}

impl Purchases {
    pub fn new(tz: Tz) -> Purchases {
        Purchases { tz, purchases: Vec::new() }
    }

    pub fn event(&mut self, e: &Event) {
        if let Some(amount) = e.revenue.filter(|r| *r > 0.0) {
            let date = journey_engine::time::local(self.tz, e.time).date();
            self.purchases.push(Transaction { customer: e.customer.0, date, amount });
        }
    }

    /// The customers' histories; `customers`: at least one more than the highest id of
    /// a buyer (a customer past the end has no purchase).
    pub fn histories(self, customers: usize) -> Histories {
        let log = TransactionLog {
            cohorts: Vec::new(),
            customers: vec![String::new(); customers],
            cohort_column: None,
            transactions: self.purchases,
            has_amounts: true,
            other_events: 0,
        };
        Histories::of(&log)
    }
}

/// What the estimate needs of the purchases alone, made as soon as the log is read:
/// the histories, and the baseline fitted on the buyers when an estimate will be
/// made (`None`: there will be none, see [`PartialClv::estimate`]).
pub struct Fitted {
    pub histories: Histories,
    pub baseline: Option<Result<impact::Baseline, String>>,
}

impl Fitted {
    /// Fit `purchases` as [`PartialClv::estimate`] would (the same settings and the
    /// same buyers give the same baseline, to the last bit).
    /// `estimated`: whether the program makes an estimate (a journey states an
    /// `assume` line).
    pub fn new(estimated: bool, settings: &ClvSettings, purchases: Purchases, customers: usize) -> Fitted {
        let histories = purchases.histories(customers);
        let buyers = histories.buyers();
        let wanted = estimated && buyers.purchases > 0;
        let baseline = wanted.then(|| buyers.fit(settings.margin, settings.horizon_weeks).map_err(|e| e.to_string()));
        Fitted { histories, baseline }
    }
}

/// The purchases collected and fitted on the reader's thread of `journey simulate`
/// (see `journey_events::pipe`): the reader reads several times faster than the engine
/// replays, so the fit, which otherwise runs after the replay, is done by the time the
/// engine is. Its result comes back through the receiver [`PurchaseTap::new`] gives.
pub struct PurchaseTap {
    purchases: Purchases,
    estimated: bool,
    settings: ClvSettings,
    done: std::sync::mpsc::SyncSender<Fitted>,
}

impl PurchaseTap {
    /// The tap and where its fit arrives (nothing arrives when the log failed).
    pub fn new(program: &Program, settings: &ClvSettings) -> (PurchaseTap, std::sync::mpsc::Receiver<Fitted>) {
        let tz = journey_events::Schema::from_program(program).timezone();
        let (done, fitted) = std::sync::mpsc::sync_channel(1);
        let estimated = program.journeys.iter().any(|j| !j.assumptions.is_empty());
        let tap = PurchaseTap { purchases: Purchases::new(tz), estimated, settings: settings.clone(), done };
        (tap, fitted)
    }
}

impl journey_events::PipeTap for PurchaseTap {
    /// A batch of the log's events, in log order.
    fn batch(&mut self, events: &[Event]) {
        events.iter().for_each(|e| self.purchases.event(e));
    }

    /// The log is read: `customers` customer keys.
    fn end(self, customers: usize) {
        let fitted = Fitted::new(self.estimated, &self.settings, self.purchases, customers);
        // the replay may have stopped listening (it failed): nothing to hand over
        let _ = self.done.send(fitted);
    }
}

/// What a replay gathers for the estimate, as it streams.
pub struct Collector {
    /// The purchases, unless the source collects them ([`Fitted`]).
    purchases: Option<Purchases>,
    /// Treated customers (ids) of each journey, possibly repeated.
    reached: Vec<Vec<u32>>,
}

impl Collector {
    /// `purchases`: whether the replay collects the purchases itself.
    pub fn new(program: &Program, tz: Tz, purchases: bool) -> Collector {
        Collector {
            purchases: purchases.then(|| Purchases::new(tz)),
            reached: vec![Vec::new(); program.journeys.len()],
        }
    }

    pub fn event(&mut self, e: &Event) {
        if let Some(p) = self.purchases.as_mut() {
            p.event(e);
        }
    }

    pub fn actions(&mut self, actions: &[Action]) {
        for a in actions {
            // an account entering a `for account` journey is no customer of the
            // CLV estimate (issue 15): its customers' purchases are not its own
            let customer =
                matches!(journey_engine::accounts::subject(a.customer), journey_engine::accounts::Subject::Customer(_));
            if let (ActionKind::Enter { holdout: false, .. }, true) = (&a.kind, customer) {
                let v = &mut self.reached[a.journey];
                if v.last() != Some(&a.customer.0) {
                    v.push(a.customer.0);
                }
            }
        }
    }

    /// The mergeable input of the estimate (see `journey_clv::partial`): the buyers'
    /// histories and the customers each journey with assumptions treated, and the
    /// baseline when it was fitted already. `customers`: how many customers the
    /// replay had; `fitted`: what the source made of the purchases, when it
    /// collected them.
    pub fn input(
        self,
        program: &Program,
        customers: usize,
        fitted: Option<Fitted>,
    ) -> (ClvInput, Option<Result<impact::Baseline, String>>) {
        let fitted = match (fitted, self.purchases) {
            (Some(f), _) => f,
            // fitted later, by the estimate
            (None, Some(p)) => Fitted { histories: p.histories(customers), baseline: None },
            // (the replay checks that a source that collects gave its fit)
            (None, None) => Fitted { histories: Purchases::new(Tz::UTC).histories(customers), baseline: None },
        };
        let reached: Vec<(String, Vec<usize>)> = (program.journeys.iter().zip(self.reached))
            .filter(|(j, _)| !j.assumptions.is_empty())
            .map(|(j, mut ids)| {
                ids.sort_unstable();
                ids.dedup();
                (j.name.clone(), ids.into_iter().map(|i| i as usize).collect())
            })
            .collect();
        (fitted.histories.input(&reached), fitted.baseline)
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
        self.estimate_fitted(report, None)
    }

    /// [`PartialClv::estimate`] with the baseline already fitted on the same buyers
    /// (see [`Fitted`]), or `None` to fit it now.
    pub fn estimate_fitted(
        &self,
        report: &Report,
        baseline: Option<Result<impact::Baseline, String>>,
    ) -> Result<Impact, String> {
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
        match baseline {
            Some(base) => Ok(self.input.estimate_on(base?, &journeys, DRAWS, self.seed)),
            None => self
                .input
                .estimate(&journeys, self.margin, self.horizon_weeks, DRAWS, self.seed)
                .map_err(|e| e.to_string()),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use journey_events::{CustomerId, EventKind, PipeTap};

    /// The seeded generator of the engine's oracle tests (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    /// A time-ordered log of `customers` customers over a year: revenue missing, zero,
    /// negative (refunds) or a purchase, several on some days.
    fn log(rng: &mut Rng, customers: u32, events: usize) -> Vec<Event> {
        let start = 1_735_689_600_000_i64; // 2025-01-01 UTC
        let mut times: Vec<i64> = (0..events).map(|_| start + rng.below(365 * 86_400_000) as i64).collect();
        times.sort_unstable();
        times
            .into_iter()
            .map(|time| {
                let revenue = match rng.below(10) {
                    0..=3 => None,
                    4 => Some(0.0),
                    5 => Some(-(rng.below(5000) as f64) / 100.0),
                    _ => Some(rng.below(20_000) as f64 / 100.0),
                };
                // a few customers buy often: repeat buyers for the fit
                let customer =
                    CustomerId(rng.below(customers as u64) as u32 % (1 + rng.below(customers as u64)) as u32);
                Event { customer, time, kind: EventKind(0), props: Default::default(), revenue, line: 0 }
            })
            .collect()
    }

    /// Enter actions of random customers in every journey (what `reached` counts).
    fn entries(rng: &mut Rng, program: &Program, customers: u32) -> Vec<Action> {
        (0..customers as usize * 2)
            .map(|i| Action {
                time: i as i64,
                customer: CustomerId(rng.below(customers as u64 + 5) as u32),
                journey: rng.below(program.journeys.len() as u64) as usize,
                node: None,
                kind: ActionKind::Enter { holdout: rng.below(8) == 0, global_holdout: false },
            })
            .collect()
    }

    /// The purchases collected and fitted on the reader's thread ([`PurchaseTap`],
    /// in batches of any size) give the same partial input and the same estimate, to
    /// the last digit, as the replay collecting them and fitting after: on the bundled
    /// library (whose journeys state assumptions) and on the B2B project (no
    /// assumptions: no estimate, and no fit on either side), over seeded logs.
    #[test]
    fn purchases_fitted_by_the_reader_estimate_as_the_replay_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for project in ["journeys", "tests/projects/b2b"] {
            let loaded = crate::project::load_for_replay(&root.join(project)).expect("the project loads");
            let (program, settings) = (&loaded.program, &loaded.clv);
            let tz = journey_events::Schema::from_program(program).timezone();
            for seed in 1..=12u64 {
                let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let customers = 20 + rng.below(400) as u32;
                let n = 50 + rng.below(4000) as usize;
                let events = log(&mut rng, customers, n);
                let actions = entries(&mut rng, program, customers);
                // extra customers of the snapshot, without events
                let everyone = customers as usize + rng.below(50) as usize;
                let mut report = Report::default();
                for j in &program.journeys {
                    report.journeys.entry(j.name.clone()).or_default().treated = rng.below(500);
                }

                let mut own = Collector::new(program, tz, true);
                events.iter().for_each(|e| own.event(e));
                own.actions(&actions);
                let (input, baseline) = own.input(program, everyone, None);
                assert!(baseline.is_none(), "the replay fits in the estimate");
                let own = PartialClv::new(program, settings, seed, input);
                let own_estimate = own.estimate(&report);

                let (mut tap, fitted) = PurchaseTap::new(program, settings);
                let mut rest = &events[..];
                while !rest.is_empty() {
                    let (batch, more) = rest.split_at(1 + rng.below(rest.len() as u64) as usize);
                    tap.batch(batch);
                    rest = more;
                }
                // the reader knows the customers of the log only
                let seen = events.iter().map(|e| e.customer.0 as usize + 1).max().unwrap_or(0);
                tap.end(seen);
                let mut tapped = Collector::new(program, tz, false);
                tapped.actions(&actions);
                let (input, baseline) = tapped.input(program, everyone, Some(fitted.recv().expect("fitted")));
                let tapped = PartialClv::new(program, settings, seed, input);
                let tapped_estimate = tapped.estimate_fitted(&report, baseline);

                assert_eq!(own, tapped, "{project}, seed {seed}: the partial input");
                let (a, b) = (json(&own_estimate).to_string(), json(&tapped_estimate).to_string());
                assert_eq!(a, b, "{project}, seed {seed}: the estimate");
                if project == "journeys" && seed == 1 {
                    assert!(own_estimate.is_ok(), "an estimate is made: {a}");
                }
            }
        }
    }
}
