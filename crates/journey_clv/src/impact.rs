//! The CLV effect of journeys: their stated assumptions (`assume first_order +3pp
//! (1pp..6pp)`) applied to the customers a replay says each journey reaches, with the
//! uncertainty of each range propagated by Monte Carlo into an interval.
//!
//! The baseline comes from the replayed log itself: BG/NBD for purchase counts and
//! Gamma-Gamma for spend, fitted on its purchases, value every customer over the
//! horizon (discounted, margin-adjusted). A customer without a purchase yet is valued
//! as a new customer of the fitted population. Then, per journey and per draw, each
//! assumption's effect is drawn from a triangular distribution over its range (mode at
//! the stated effect) and turned into value:
//!
//! * a goal, `+Npp`: N more conversions per 100 treated entries, each worth one
//!   expected purchase (the fitted mean spend times the margin);
//! * `order_value` or `purchase_rate`, `+N%`: N% of the reached customers' value;
//! * `retention`, `+Npp`: N more of every 100 reached customers still active, each
//!   worth a reached customer's value if active (value / P(alive)).
//!
//! Every figure keeps the assumption it came from, so a report can name them.

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Triangular};
use serde::Serialize;

use crate::bgnbd;
use crate::clv::{value_customers, ClvOptions, PurchaseModel};
use crate::error::{ClvError, Result};
use crate::gammagamma::{self, GammaGamma};
use crate::rfm::{summarize, TimeUnit};
use crate::translog::TransactionLog;

/// How an assumption's effect is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Percentage points.
    Points,
    /// Percent, relative.
    Percent,
}

/// One `assume` line of a journey.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Assumption {
    pub target: String,
    pub unit: Unit,
    pub effect: f64,
    pub low: f64,
    pub high: f64,
    /// True when `target` names a goal of the journey (else a built-in outcome).
    pub goal: bool,
}

impl Assumption {
    /// As written: `first_order +3pp (1pp..6pp)`.
    pub fn label(&self) -> String {
        let u = match self.unit {
            Unit::Points => "pp",
            Unit::Percent => "%",
        };
        let n = |x: f64| {
            let s = format!("{x}");
            s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
        };
        format!(
            "{} {}{}{u} ({}{u}..{}{u})",
            self.target,
            if self.effect >= 0.0 { "+" } else { "" },
            n(self.effect),
            n(self.low),
            n(self.high)
        )
    }
}

/// What the replay says a journey reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub journey: String,
    /// Treated entries (an entry held out is not treated).
    pub treated_entries: u64,
    /// Distinct treated customers, by index into the baseline's customers.
    pub customers: Vec<usize>,
    pub assumptions: Vec<Assumption>,
}

/// Every customer of the replay valued without any journey effect.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// Fitted on this many customers with a purchase.
    pub buyers: usize,
    pub purchases: usize,
    /// Expected spend of one purchase (Gamma-Gamma population mean).
    pub mean_spend: f64,
    pub margin: f64,
    pub horizon_weeks: f64,
    /// Value and P(alive) per customer, by customer index.
    #[serde(skip)]
    pub value: Vec<f64>,
    #[serde(skip)]
    pub p_alive: Vec<f64>,
    /// The value of a customer who has not bought yet.
    pub new_customer_value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub p05: f64,
    pub median: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssumptionImpact {
    pub assumption: String,
    pub delta: Interval,
}

#[derive(Debug, Clone, Serialize)]
pub struct JourneyImpact {
    pub journey: String,
    pub customers: usize,
    pub treated_entries: u64,
    /// The reached customers' value without the journey.
    pub baseline: f64,
    pub delta: Interval,
    pub assumptions: Vec<AssumptionImpact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub baseline: Baseline,
    pub draws: usize,
    pub seed: u64,
    pub journeys: Vec<JourneyImpact>,
    /// All journeys together (their effects added, draw by draw).
    pub total: Interval,
    /// The summed effect of every draw, in draw order: two estimates of the same seed
    /// draw an unchanged assumption identically, so their difference can be taken
    /// draw by draw.
    #[serde(skip)]
    pub total_draws: Vec<f64>,
}

/// The interval of `b - a`, draw by draw (estimates with the same seed and draws).
pub fn difference(a: &Impact, b: &Impact) -> Interval {
    interval(b.total_draws.iter().zip(&a.total_draws).map(|(y, x)| y - x).collect())
}

/// A stream of draws per journey and assumption, so adding or changing one journey
/// leaves the draws of every other one as they were.
fn stream(seed: u64, journey: &str, assumption: &str) -> StdRng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in journey.bytes().chain([0xff]).chain(assumption.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    StdRng::seed_from_u64(h)
}

/// Value every customer of the log. `customers` is the number of customers of the
/// replay (transactions name them by index); `log` holds their purchases.
pub fn baseline(log: &TransactionLog, customers: usize, margin: f64, horizon_weeks: f64) -> Result<Baseline> {
    if !(0.0..=1.0).contains(&margin) || horizon_weeks <= 0.0 {
        return Err(ClvError::InvalidArgument("margin must be between 0 and 1 and the horizon positive".into()));
    }
    let summary = summarize(log, TimeUnit::Weeks, None);
    let fitted = baseline_from_summary(&summary, log.transactions.len(), margin, horizon_weeks)?;
    let mut value = vec![fitted.new_customer_value; customers];
    let mut p_alive = vec![1.0; customers];
    let index: std::collections::HashMap<&str, usize> =
        log.customers.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    for (k, c) in summary.customers.iter().enumerate() {
        if let Some(&i) = index.get(c.id.as_str()) {
            if i < customers {
                value[i] = fitted.value[k];
                p_alive[i] = fitted.p_alive[k];
            }
        }
    }
    Ok(Baseline { value, p_alive, ..fitted })
}

/// [`baseline`] from an RFM summary of the buyers (weeks; `purchases`: the purchase
/// records behind it): value and P(alive) by position in `summary.customers`.
pub fn baseline_from_summary(
    summary: &crate::rfm::RfmSummary,
    purchases: usize,
    margin: f64,
    horizon_weeks: f64,
) -> Result<Baseline> {
    if !(0.0..=1.0).contains(&margin) || horizon_weeks <= 0.0 {
        return Err(ClvError::InvalidArgument("margin must be between 0 and 1 and the horizon positive".into()));
    }
    let buyers = summary.customers.len();
    if summary.customers.iter().filter(|c| c.frequency > 0).count() < 10 {
        return Err(ClvError::InvalidArgument(format!(
            "the log has {buyers} customers with a purchase and too few repeat buyers to fit a purchase model"
        )));
    }
    let fit_purchases = bgnbd::fit(&summary.compressed())?;
    let spend = gammagamma::fit(summary.customers.iter().filter_map(|c| c.monetary_value.map(|m| (c.frequency, m))))?;
    let options =
        ClvOptions { horizon: horizon_weeks, step: 52.0 / 12.0, discount_rate: 0.01, margin, draws: 0, seed: 0 };
    let report = value_customers(summary, &fit_purchases, Some(&spend), &options)?;
    let model = PurchaseModel::from_report(&fit_purchases)?;
    let gg = GammaGamma::from_report(&spend);
    let mean_spend = gg.population_mean();
    // a new customer: no repeat purchases yet, just acquired
    let new_customer_value = margin * mean_spend * model.expected_purchases(horizon_weeks);
    let value = report.customers.iter().map(|c| c.clv.unwrap_or(new_customer_value)).collect();
    let p_alive = report.customers.iter().map(|c| if c.clv.is_some() { c.p_alive } else { 1.0 }).collect();
    Ok(Baseline { buyers, purchases, mean_spend, margin, horizon_weeks, value, p_alive, new_customer_value })
}

fn interval(mut xs: Vec<f64>) -> Interval {
    if xs.is_empty() {
        return Interval { p05: 0.0, median: 0.0, p95: 0.0 };
    }
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    Interval { p05: at(0.05), median: at(0.5), p95: at(0.95) }
}

/// The sum of `xs` in ascending order. Customer ids follow the order in which a log
/// first names its customers, so the same customers listed otherwise (a log sorted
/// by another tool, or in memory by `--sort`) would otherwise give sums that differ
/// in the last bits.
fn order_free_sum(xs: impl Iterator<Item = f64>) -> f64 {
    let mut xs: Vec<f64> = xs.collect();
    xs.sort_unstable_by(f64::total_cmp);
    xs.iter().sum()
}

/// One draw of an assumption's effect: triangular over its range, mode at the effect.
fn sampler(a: &Assumption) -> Option<Triangular<f64>> {
    (a.high > a.low).then(|| Triangular::new(a.low, a.high, a.effect.clamp(a.low, a.high)).ok()).flatten()
}

/// Propagate every journey's assumptions into CLV deltas over `draws` Monte Carlo draws.
pub fn estimate(base: Baseline, reach: &[Reach], draws: usize, seed: u64) -> Impact {
    let draws = draws.max(1);
    let mut total = vec![0.0; draws];
    let mut journeys = Vec::new();
    for r in reach {
        let value = order_free_sum(r.customers.iter().map(|&c| base.value[c]));
        let if_alive = order_free_sum(r.customers.iter().map(|&c| base.value[c] / base.p_alive[c].max(0.05)));
        let per_conversion = base.margin * base.mean_spend;
        let mut journey_draws = vec![0.0; draws];
        let mut parts = Vec::new();
        for a in &r.assumptions {
            let scale = match (a.goal, a.target.as_str()) {
                (true, _) => r.treated_entries as f64 * per_conversion / 100.0,
                (false, "retention") => if_alive / 100.0,
                (false, _) => value / 100.0,
            };
            let dist = sampler(a);
            let mut rng = stream(seed, &r.journey, &a.label());
            let xs: Vec<f64> = (0..draws)
                .map(|_| {
                    let e = dist.as_ref().map_or(a.effect, |d| d.sample(&mut rng));
                    e * scale
                })
                .collect();
            for (k, x) in xs.iter().enumerate() {
                journey_draws[k] += x;
            }
            parts.push(AssumptionImpact { assumption: a.label(), delta: interval(xs) });
        }
        for (k, x) in journey_draws.iter().enumerate() {
            total[k] += x;
        }
        journeys.push(JourneyImpact {
            journey: r.journey.clone(),
            customers: r.customers.len(),
            treated_entries: r.treated_entries,
            baseline: value,
            delta: interval(journey_draws),
            assumptions: parts,
        });
    }
    Impact { baseline: base, draws, seed, journeys, total: interval(total.clone()), total_draws: total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translog::Transaction;
    use chrono::NaiveDate;

    /// A log of 400 customers buying every `k` weeks, with varying spend.
    fn log() -> TransactionLog {
        let mut l = TransactionLog { has_amounts: true, ..TransactionLog::default() };
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for c in 0..400u32 {
            l.customers.push(format!("c{c}"));
            l.cohorts.push(None);
            let every = 1 + (c % 9) as i64 * 3;
            let n = 1 + (c % 7);
            for k in 0..n as i64 {
                let date = start + chrono::Duration::weeks(k * every + (c % 5) as i64);
                l.transactions.push(Transaction { customer: c, date, amount: 10.0 + (c % 13) as f64 * 3.0 });
            }
        }
        l
    }

    fn assume(target: &str, unit: Unit, effect: f64, low: f64, high: f64, goal: bool) -> Assumption {
        Assumption { target: target.into(), unit, effect, low, high, goal }
    }

    #[test]
    fn labels_read_as_written() {
        assert_eq!(assume("first_order", Unit::Points, 3.0, 1.0, 6.0, true).label(), "first_order +3pp (1pp..6pp)");
        assert_eq!(assume("order_value", Unit::Percent, -4.0, -8.0, 0.0, false).label(), "order_value -4% (-8%..0%)");
    }

    #[test]
    fn deltas_scale_with_reach_and_stay_inside_the_range() {
        let base = baseline(&log(), 500, 0.3, 52.0).expect("fit");
        assert_eq!(base.value.len(), 500);
        assert!(base.value[450] == base.new_customer_value && base.new_customer_value > 0.0);
        let few: Vec<usize> = (0..50).collect();
        let many: Vec<usize> = (0..400).collect();
        let a = vec![assume("order_value", Unit::Percent, 5.0, 0.0, 10.0, false)];
        let r = |c: &Vec<usize>| Reach {
            journey: "j".into(),
            treated_entries: c.len() as u64,
            customers: c.clone(),
            assumptions: a.clone(),
        };
        let small = estimate(base.clone(), &[r(&few)], 2000, 7);
        let large = estimate(base.clone(), &[r(&many)], 2000, 7);
        assert!(large.total.median > small.total.median * 4.0, "{:?} vs {:?}", large.total, small.total);
        let j = &large.journeys[0];
        // +5% (0%..10%) of the reached value: the interval sits inside 0..10% of it
        assert!(j.delta.p05 >= 0.0 && j.delta.p95 <= j.baseline * 0.10 + 1e-9, "{:?} of {}", j.delta, j.baseline);
        assert!((j.delta.median / j.baseline - 0.05).abs() < 0.01, "{:?} of {}", j.delta, j.baseline);
        // same seed, same numbers; an added journey leaves the others' draws alone
        let again = estimate(base.clone(), &[r(&many)], 2000, 7);
        assert_eq!(again.total, large.total);
        let mut other = r(&few);
        other.journey = "k".into();
        let both = estimate(base, &[r(&many), other], 2000, 7);
        assert_eq!(both.journeys[0].delta, large.journeys[0].delta);
        let (d, k) = (difference(&large, &both), both.journeys[1].delta);
        for (x, y) in [(d.p05, k.p05), (d.median, k.median), (d.p95, k.p95)] {
            assert!((x - y).abs() < 1e-9, "{d:?} vs {k:?}");
        }
    }

    /// The same customers under other ids (a log that names them in another order)
    /// give the same estimate to the last bit.
    #[test]
    fn the_estimate_does_not_depend_on_customer_ids() {
        let original = log();
        let n = original.customers.len() as u32;
        let mut renumbered = original.clone();
        renumbered.customers.reverse();
        for t in &mut renumbered.transactions {
            t.customer = n - 1 - t.customer;
        }
        let reach = |ids: Vec<usize>| Reach {
            journey: "j".into(),
            treated_entries: ids.len() as u64,
            customers: ids,
            assumptions: vec![
                assume("order_value", Unit::Percent, 5.0, 0.0, 10.0, false),
                assume("retention", Unit::Points, 2.0, 0.0, 4.0, false),
            ],
        };
        let reached: Vec<usize> = (0..n as usize).filter(|c| c % 3 != 0).collect();
        let a = estimate(baseline(&original, n as usize, 0.3, 52.0).unwrap(), &[reach(reached.clone())], 500, 3);
        let mut moved: Vec<usize> = reached.iter().map(|c| n as usize - 1 - c).collect();
        moved.sort_unstable();
        let b = estimate(baseline(&renumbered, n as usize, 0.3, 52.0).unwrap(), &[reach(moved)], 500, 3);
        assert_eq!(a.journeys[0].baseline.to_bits(), b.journeys[0].baseline.to_bits());
        assert_eq!(a.total, b.total);
    }

    #[test]
    fn goal_effects_count_conversions_of_treated_entries() {
        let base = baseline(&log(), 400, 1.0, 52.0).expect("fit");
        let r = Reach {
            journey: "j".into(),
            treated_entries: 1000,
            customers: (0..100).collect(),
            assumptions: vec![assume("first_order", Unit::Points, 2.0, 2.0, 2.0, true)],
        };
        let i = estimate(base.clone(), &[r], 100, 1);
        // exactly 2 more conversions per 100 entries, each one purchase at the mean spend
        let want = 1000.0 * 0.02 * base.mean_spend;
        assert!((i.total.median - want).abs() < 1e-6 * want, "{} vs {want}", i.total.median);
        assert_eq!(i.total.p05, i.total.p95);
    }

    #[test]
    fn too_few_buyers_is_an_error_not_a_number() {
        let mut l = log();
        l.transactions.truncate(3);
        assert!(baseline(&l, 400, 0.3, 52.0).is_err());
    }
}
