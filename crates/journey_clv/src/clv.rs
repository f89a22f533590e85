//! Customer lifetime value: expected purchases from a purchase model times the
//! expected spend per purchase from Gamma-Gamma, times the margin, discounted
//! step by step over a horizon; per customer and summed per cohort, with
//! intervals from parameter draws around the fit (the inverse Hessian).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use crate::bgnbd::BgNbd;
use crate::error::{ClvError, Result};
use crate::fit::FitReport;
use crate::gammagamma::GammaGamma;
use crate::optimize::cholesky;
use crate::paretonbd::ParetoNbd;
use crate::rfm::{CustomerRfm, RfmSummary, WeightedRow};

/// A fitted model of purchase counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum PurchaseModel {
    BgNbd(BgNbd),
    ParetoNbd(ParetoNbd),
}

impl PurchaseModel {
    pub fn from_report(f: &FitReport) -> Result<PurchaseModel> {
        Self::from_params(f.model, &f.params)
    }

    fn from_params(model: &str, p: &[f64]) -> Result<PurchaseModel> {
        match model {
            "bg-nbd" => Ok(PurchaseModel::BgNbd(BgNbd { r: p[0], alpha: p[1], a: p[2], b: p[3] })),
            "pareto-nbd" => Ok(PurchaseModel::ParetoNbd(ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3] })),
            other => Err(ClvError::InvalidArgument(format!("{other} is not a purchase-count model"))),
        }
    }

    pub fn p_alive(&self, x: u32, t_x: f64, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.p_alive(x, t_x, t),
            PurchaseModel::ParetoNbd(m) => m.p_alive(x, t_x, t),
        }
    }

    pub fn conditional_expected_purchases(&self, horizon: f64, x: u32, t_x: f64, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.conditional_expected_purchases(horizon, x, t_x, t),
            PurchaseModel::ParetoNbd(m) => m.conditional_expected_purchases(horizon, x, t_x, t),
        }
    }

    /// [`PurchaseModel::conditional_expected_purchases`] given the customer's
    /// `p_alive`, to share it between horizons.
    pub fn conditional_expected_purchases_alive(&self, p_alive: f64, horizon: f64, x: u32, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.conditional_expected_purchases_alive(p_alive, horizon, x, t),
            PurchaseModel::ParetoNbd(m) => m.conditional_expected_purchases_alive(p_alive, horizon, x, t),
        }
    }

    /// P(exactly `n` purchases in the next `horizon` | x, t_x, T).
    pub fn conditional_prob_purchases(&self, n: u32, horizon: f64, x: u32, t_x: f64, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.conditional_prob_purchases(n, horizon, x, t_x, t),
            PurchaseModel::ParetoNbd(m) => m.conditional_prob_purchases(n, horizon, x, t_x, t),
        }
    }

    /// ln L of one customer's (x, t_x, T).
    pub fn log_likelihood(&self, x: u32, t_x: f64, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.log_likelihood(x, t_x, t),
            PurchaseModel::ParetoNbd(m) => m.log_likelihood(x, t_x, t),
        }
    }

    pub fn expected_purchases(&self, t: f64) -> f64 {
        match self {
            PurchaseModel::BgNbd(m) => m.expected_purchases(t),
            PurchaseModel::ParetoNbd(m) => m.expected_purchases(t),
        }
    }
}

/// Customers whose own ln L is a large share (more than `share`) of the
/// total at the fitted parameters, largest first: one such row can drag the
/// fit wherever it explains that row best, so the user should look at it.
pub fn dominant_customers(summary: &RfmSummary, fit: &FitReport, share: f64) -> Result<Vec<(String, f64)>> {
    dominant_customers_in(summary, &summary.compressed(), fit, share)
}

/// [`dominant_customers`] given the summary's compressed rows
/// ([`RfmSummary::compressed`]), which a fit has at hand: ln L is evaluated once
/// per distinct (x, t_x, T) and weighted, not once per customer (a million
/// customers are about a tenth as many rows), and only the customers of the
/// rows above `share` are looked up.
pub fn dominant_customers_in(
    summary: &RfmSummary,
    rows: &[WeightedRow],
    fit: &FitReport,
    share: f64,
) -> Result<Vec<(String, f64)>> {
    let heavy = dominant_rows(rows, fit, share, summary.customers.len())?;
    if heavy.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(String, f64)> = summary
        .customers
        .iter()
        .filter_map(|c| {
            let key = (c.frequency, c.recency.to_bits(), c.t.to_bits());
            heavy.iter().find(|(k, _)| *k == key).map(|(_, s)| (c.id.clone(), *s))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// A compressed row's identity: x and the bits of t_x and T.
pub type RowKey = (u32, u64, u64);

/// The rows of [`dominant_customers_in`] (keyed as [`crate::rfm::compress`]
/// keys them: x and the bits of t_x and T) with their shares of |ln L|, for
/// `customers` customers in all: what a caller holding only the compressed
/// rows can check before reading the customers to name them.
pub fn dominant_rows(
    rows: &[WeightedRow],
    fit: &FitReport,
    share: f64,
    customers: usize,
) -> Result<Vec<(RowKey, f64)>> {
    let model = PurchaseModel::from_report(fit)?;
    let lls: Vec<f64> = rows.iter().map(|r| model.log_likelihood(r.x, r.t_x, r.t).abs()).collect();
    let total: f64 = rows.iter().zip(&lls).map(|(r, ll)| r.weight * ll).sum();
    // Written so a NaN total counts as not positive.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let no_total = !(total > 0.0);
    if no_total || customers < 20 {
        return Ok(Vec::new());
    }
    Ok(rows
        .iter()
        .zip(&lls)
        .filter(|(_, ll)| **ll / total > share)
        .map(|(r, ll)| ((r.x, r.t_x.to_bits(), r.t.to_bits()), ll / total))
        .collect())
}

/// How value is counted.
#[derive(Debug, Clone, Serialize)]
pub struct ClvOptions {
    /// How far ahead, in the summary's time unit.
    pub horizon: f64,
    /// Length of one discounting step in the time unit (a month by default).
    pub step: f64,
    /// Discount rate per step.
    pub discount_rate: f64,
    /// Share of spend that is profit.
    pub margin: f64,
    /// Parameter draws for intervals; 0 for none.
    pub draws: usize,
    pub seed: u64,
}

/// One customer's forecast.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerValue {
    pub id: String,
    pub cohort: Option<String>,
    pub frequency: u32,
    pub recency: f64,
    #[serde(rename = "T")]
    pub t: f64,
    pub p_alive: f64,
    pub expected_purchases: f64,
    /// Expected spend per purchase (Gamma-Gamma); None without spend data.
    pub expected_spend: Option<f64>,
    /// Margin-adjusted, discounted value over the horizon; None without spend.
    pub clv: Option<f64>,
}

/// A 95% interval from parameter draws.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CohortValue {
    pub cohort: String,
    pub customers: usize,
    pub expected_purchases: f64,
    pub expected_purchases_interval: Option<Interval>,
    pub total_clv: Option<f64>,
    pub total_clv_interval: Option<Interval>,
    pub mean_clv: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClvReport {
    pub options: ClvOptions,
    pub customers: Vec<CustomerValue>,
    pub cohorts: Vec<CohortValue>,
}

/// What a customer's purchase-model figures depend on: (x, t_x, T), as bits (the same
/// bits, the same figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct History(u32, u64, u64);

impl History {
    fn of(c: &CustomerRfm) -> History {
        History(c.frequency, c.recency.to_bits(), c.t.to_bits())
    }

    /// A customer of this history (the figures read nothing else).
    fn customer(&self) -> CustomerRfm {
        CustomerRfm {
            id: String::new(),
            frequency: self.0,
            recency: f64::from_bits(self.1),
            t: f64::from_bits(self.2),
            monetary_value: None,
            cohort: None,
        }
    }
}

/// Discounted expected purchases of one customer over the horizon.
fn discounted_purchases(model: &PurchaseModel, c: &CustomerRfm, p_alive: f64, o: &ClvOptions) -> f64 {
    // 12 × 4.345 / 4.345 may come out as 12.000000000000002: not a 13th month.
    let steps = (o.horizon / o.step - 1e-9).ceil().max(1.0) as usize;
    let mut previous = 0.0;
    let mut total = 0.0;
    for i in 1..=steps {
        let t = (i as f64 * o.step).min(o.horizon);
        let cum = model.conditional_expected_purchases_alive(p_alive, t, c.frequency, c.t);
        total += (cum - previous) / (1.0 + o.discount_rate).powi(i as i32);
        previous = cum;
    }
    total
}

fn expected_spend(spend: &GammaGamma, c: &CustomerRfm) -> f64 {
    match c.monetary_value {
        Some(m) if c.frequency > 0 && m > 0.0 => spend.conditional_expected_value(c.frequency, m),
        _ => spend.population_mean(),
    }
}

/// Value every customer of `summary` and sum per cohort.
pub fn value_customers(
    summary: &RfmSummary,
    purchases: &FitReport,
    spend: Option<&FitReport>,
    options: &ClvOptions,
) -> Result<ClvReport> {
    // A horizon of 0 is a valid question (value so far: none); negative is not.
    if !(options.horizon >= 0.0 && options.horizon.is_finite() && options.step > 0.0 && options.step.is_finite()) {
        return Err(ClvError::InvalidArgument(
            "the horizon must be 0 or more and the month (discounting step) positive".into(),
        ));
    }
    if !(0.0..=1.0).contains(&options.margin) || options.discount_rate <= -1.0 {
        return Err(ClvError::InvalidArgument("margin must be between 0 and 1, and the discount rate above -1".into()));
    }
    let model = PurchaseModel::from_report(purchases)?;
    let gg = spend.map(GammaGamma::from_report);
    // hypergeometric functions at every horizon step, once per distinct (x, t_x, T):
    // customers of the same history get the same numbers (the same function of the
    // same values), and a log's one-time buyers of the same week share one (issue 16:
    // this ran after the replay). On all cores.
    let histories: Vec<History> = {
        let mut h: Vec<History> = summary.customers.iter().map(History::of).collect();
        h.sort_unstable();
        h.dedup();
        h
    };
    let discounted = gg.is_some();
    let values: Vec<(f64, f64, Option<f64>)> = crate::parallel::map(&histories, 20_000, |h| {
        let c = h.customer();
        let p_alive = model.p_alive(c.frequency, c.recency, c.t);
        let expected = model.conditional_expected_purchases_alive(p_alive, options.horizon, c.frequency, c.t);
        (p_alive, expected, discounted.then(|| discounted_purchases(&model, &c, p_alive, options)))
    });
    let customers: Vec<CustomerValue> = crate::parallel::map(&summary.customers, 20_000, |c| {
        let expected_spend = gg.as_ref().map(|g| expected_spend(g, c));
        let k = histories.binary_search(&History::of(c)).expect("every history is listed");
        let (p_alive, expected_purchases, discounted) = values[k];
        CustomerValue {
            id: c.id.clone(),
            cohort: c.cohort.clone(),
            frequency: c.frequency,
            recency: c.recency,
            t: c.t,
            p_alive,
            expected_purchases,
            expected_spend,
            clv: expected_spend.map(|s| options.margin * s * discounted.unwrap_or(f64::NAN)),
        }
    });
    let groups = summary.cohorts();
    let intervals =
        if options.draws > 0 { Some(draw_intervals(summary, &groups, purchases, spend, options)?) } else { None };
    let mut cohorts: Vec<CohortValue> = groups
        .iter()
        .enumerate()
        .map(|(k, (name, members))| {
            let purchases: f64 = members.iter().map(|&i| customers[i].expected_purchases).sum();
            let total = gg.map(|_| members.iter().filter_map(|&i| customers[i].clv).sum::<f64>());
            let iv = intervals.as_ref().map(|v| v[k]);
            CohortValue {
                cohort: name.clone(),
                customers: members.len(),
                expected_purchases: purchases,
                expected_purchases_interval: iv.map(|v| v.0),
                total_clv: total,
                total_clv_interval: iv.and_then(|v| v.1),
                mean_clv: total.map(|t| t / members.len().max(1) as f64),
            }
        })
        .collect();
    sort_cohorts(&mut cohorts);
    Ok(ClvReport { options: options.clone(), customers, cohorts })
}

/// Cohorts whose names are all numbers (years, plan tiers, acquisition weeks)
/// sort as numbers, 2 before 10; otherwise as text.
fn sort_cohorts(cohorts: &mut [CohortValue]) {
    let numbers: Option<Vec<f64>> = cohorts.iter().map(|c| c.cohort.trim().parse::<f64>().ok()).collect();
    if numbers.is_some() {
        cohorts.sort_by(|a, b| {
            let (x, y) = (a.cohort.trim().parse::<f64>().unwrap_or(0.0), b.cohort.trim().parse::<f64>().unwrap_or(0.0));
            x.total_cmp(&y).then(a.cohort.cmp(&b.cohort))
        });
    }
}

/// Draw parameters from N(θ̂, H⁻¹) on the log scale (the fits' asymptotic
/// distribution), recompute each cohort's totals, and take the 2.5% and 97.5%
/// quantiles.
fn draw_intervals(
    summary: &RfmSummary,
    groups: &BTreeMap<String, Vec<usize>>,
    purchases: &FitReport,
    spend: Option<&FitReport>,
    o: &ClvOptions,
) -> Result<Vec<(Interval, Option<Interval>)>> {
    let mut rng = StdRng::seed_from_u64(o.seed);
    let sampler = |f: &FitReport| -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        let cov = f.log_covariance.as_ref().ok_or_else(|| ClvError::FitFailed {
            model: f.model,
            message: "no interval: the likelihood is flat at the optimum (Hessian not positive definite)".into(),
        })?;
        let l = cholesky(cov).ok_or_else(|| ClvError::FitFailed {
            model: f.model,
            message: "covariance is not positive definite".into(),
        })?;
        Ok((f.params.iter().map(|p| p.ln()).collect(), l))
    };
    let draw = |rng: &mut StdRng, (mean, l): &(Vec<f64>, Vec<Vec<f64>>)| -> Vec<f64> {
        let z: Vec<f64> = (0..mean.len()).map(|_| StandardNormal.sample(rng)).collect();
        (0..mean.len()).map(|i| (mean[i] + (0..=i).map(|k| l[i][k] * z[k]).sum::<f64>()).exp()).collect()
    };
    let ps = sampler(purchases)?;
    let ss = match spend {
        Some(f) => Some(sampler(f)?),
        None => None,
    };
    // All random numbers first, in one sequence, so the result does not depend
    // on how the draws are then spread over threads.
    let mut draws = Vec::with_capacity(o.draws);
    for _ in 0..o.draws {
        let model = PurchaseModel::from_params(purchases.model, &draw(&mut rng, &ps))?;
        let gg = ss.as_ref().map(|s| {
            let p = draw(&mut rng, s);
            GammaGamma { p: p[0], q: p[1], gamma: p[2] }
        });
        draws.push((model, gg));
    }
    let shape = SharedTerms::new(summary);
    let mut cohort_of = vec![0usize; summary.customers.len()];
    for (k, members) in groups.values().enumerate() {
        for &i in members {
            cohort_of[i] = k;
        }
    }
    // One draw = one parameter vector for every customer; the draws are
    // independent, so they run on all cores (each a whole pass over customers).
    let totals: Vec<(Vec<f64>, Vec<f64>)> = crate::parallel::map(&draws, 2, |(model, gg)| {
        let terms = shape.evaluate(model, o);
        let (mut n, mut v) = (vec![0.0; groups.len()], vec![0.0; groups.len()]);
        for (i, c) in summary.customers.iter().enumerate() {
            let alive = model.p_alive(c.frequency, c.recency, c.t);
            let (e, d) = terms[shape.key[i]];
            let k = cohort_of[i];
            n[k] += alive * e;
            if let Some(g) = gg {
                v[k] += o.margin * expected_spend(g, c) * alive * d;
            }
        }
        (n, v)
    });
    let mut purchase_draws = vec![Vec::with_capacity(o.draws); groups.len()];
    let mut value_draws = vec![Vec::with_capacity(o.draws); groups.len()];
    for (n, v) in totals {
        for k in 0..groups.len() {
            purchase_draws[k].push(n[k]);
            value_draws[k].push(v[k]);
        }
    }
    Ok(purchase_draws.into_iter().zip(value_draws).map(|(p, v)| (quantiles(p), spend.map(|_| quantiles(v)))).collect())
}

/// The horizon terms of a forecast depend on a customer only through (x, T):
/// E[Y(h) | alive, x, T] and its discounted monthly increments. Customers
/// share them (CDNOW's 23,570 have about 1,700 distinct pairs), so each draw
/// computes the hypergeometric functions once per pair, not per customer.
struct SharedTerms {
    /// Distinct (x, T) pairs.
    pairs: Vec<(u32, f64)>,
    /// Each customer's index into `pairs`.
    key: Vec<usize>,
}

impl SharedTerms {
    fn new(summary: &RfmSummary) -> SharedTerms {
        let mut pairs: Vec<(u32, u64)> = summary.customers.iter().map(|c| (c.frequency, c.t.to_bits())).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let key =
            summary.customers.iter().map(|c| pairs.binary_search(&(c.frequency, c.t.to_bits())).unwrap_or(0)).collect();
        SharedTerms { pairs: pairs.into_iter().map(|(x, t)| (x, f64::from_bits(t))).collect(), key }
    }

    /// (expected purchases over the horizon, discounted purchases) per pair,
    /// both given that the customer is alive.
    fn evaluate(&self, model: &PurchaseModel, o: &ClvOptions) -> Vec<(f64, f64)> {
        self.pairs
            .iter()
            .map(|&(x, t)| {
                let c = CustomerRfm {
                    id: String::new(),
                    frequency: x,
                    recency: 0.0,
                    t,
                    monetary_value: None,
                    cohort: None,
                };
                (
                    model.conditional_expected_purchases_alive(1.0, o.horizon, x, t),
                    discounted_purchases(model, &c, 1.0, o),
                )
            })
            .collect()
    }
}

fn quantiles(mut v: Vec<f64>) -> Interval {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Interval { low: f64::NAN, high: f64::NAN };
    }
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Interval { low: at(0.025), high: at(0.975) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfm::TimeUnit;

    #[test]
    fn numeric_cohorts_sort_as_numbers() {
        let c = |name: &str| CohortValue {
            cohort: name.into(),
            customers: 1,
            expected_purchases: 0.0,
            expected_purchases_interval: None,
            total_clv: None,
            total_clv_interval: None,
            mean_clv: None,
        };
        let mut v = vec![c("10"), c("2"), c("1")];
        sort_cohorts(&mut v);
        assert_eq!(v.iter().map(|c| c.cohort.as_str()).collect::<Vec<_>>(), ["1", "2", "10"]);
        let mut w = vec![c("b"), c("10"), c("2")];
        w.sort_by(|a, b| a.cohort.cmp(&b.cohort));
        sort_cohorts(&mut w);
        assert_eq!(w.iter().map(|c| c.cohort.as_str()).collect::<Vec<_>>(), ["10", "2", "b"]);
    }

    #[test]
    fn undiscounted_value_is_margin_times_spend_times_purchases() {
        // Enough customers for a proper maximum: intervals need the inverse
        // Hessian there. (Four rows of 85 customers used to do, but their
        // likelihood is maximal at a, b -> 0 and only the noise of a
        // finite-difference Hessian made it look positive definite.)
        let truth = crate::bgnbd::BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let rows = crate::rfm::compress(crate::simulate::simulate_bgnbd(&truth, 2_000, 84, 273, 3).unwrap());
        let fit = crate::bgnbd::fit(&rows).unwrap();
        assert!(fit.converged, "{fit:?}");
        let summary = RfmSummary {
            unit: TimeUnit::Weeks,
            cohort_column: None,
            customers: vec![CustomerRfm {
                id: "a".into(),
                frequency: 3,
                recency: 25.0,
                t: 30.0,
                monetary_value: Some(20.0),
                cohort: None,
            }],
        };
        let spend = FitReport {
            model: "gamma-gamma",
            names: vec!["p", "q", "gamma"],
            params: vec![6.0, 4.0, 15.0],
            log_covariance: Some(vec![vec![0.01, 0.0, 0.0], vec![0.0, 0.01, 0.0], vec![0.0, 0.0, 0.01]]),
            ..fit.clone()
        };
        let o = ClvOptions { horizon: 52.0, step: 52.0 / 12.0, discount_rate: 0.0, margin: 0.3, draws: 20, seed: 1 };
        let r = value_customers(&summary, &fit, Some(&spend), &o).unwrap();
        let c = &r.customers[0];
        let want = 0.3 * c.expected_spend.unwrap() * c.expected_purchases;
        assert!((c.clv.unwrap() - want).abs() < 1e-9);
        let iv = r.cohorts[0].expected_purchases_interval.unwrap();
        assert!(iv.low <= c.expected_purchases * 1.5 && iv.high >= c.expected_purchases * 0.5);
    }

    /// Oracle of the figures computed once per distinct history: on seeded customer
    /// bases (many sharing a history, as one-time buyers of the same week do), every
    /// customer's figures are those computed for them alone, bit for bit.
    #[test]
    fn figures_per_history_are_each_customers_own() {
        let truth = crate::bgnbd::BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let rows = crate::rfm::compress(crate::simulate::simulate_bgnbd(&truth, 2_000, 84, 273, 3).unwrap());
        let fit = crate::bgnbd::fit(&rows).unwrap();
        let spend = FitReport {
            model: "gamma-gamma",
            names: vec!["p", "q", "gamma"],
            params: vec![6.0, 4.0, 15.0],
            ..fit.clone()
        };
        let model = PurchaseModel::from_report(&fit).unwrap();
        let gg = GammaGamma::from_report(&spend);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..40 {
            let customers: Vec<CustomerRfm> = (0..1 + next(400))
                .map(|i| {
                    let t = (1 + next(30)) as f64 / 2.0;
                    let frequency = next(4) as u32;
                    let recency = if frequency == 0 { 0.0 } else { next(1 + 2 * t as u64) as f64 / 2.0 };
                    CustomerRfm {
                        id: format!("c{i}"),
                        frequency,
                        recency: recency.min(t),
                        t,
                        monetary_value: (frequency > 0).then(|| (1 + next(100)) as f64),
                        cohort: (next(2) == 0).then(|| "a".to_string()),
                    }
                })
                .collect();
            let summary = RfmSummary { unit: TimeUnit::Weeks, cohort_column: None, customers };
            let o =
                ClvOptions { horizon: 52.0, step: 52.0 / 12.0, discount_rate: 0.01, margin: 0.3, draws: 0, seed: 1 };
            for spend in [None, Some(&spend)] {
                let r = value_customers(&summary, &fit, spend, &o).unwrap();
                for (c, v) in summary.customers.iter().zip(&r.customers) {
                    let p_alive = model.p_alive(c.frequency, c.recency, c.t);
                    let expected = model.conditional_expected_purchases_alive(p_alive, o.horizon, c.frequency, c.t);
                    let clv =
                        spend.map(|_| o.margin * expected_spend(&gg, c) * discounted_purchases(&model, c, p_alive, &o));
                    assert_eq!(v.p_alive.to_bits(), p_alive.to_bits(), "case {case}: {}", c.id);
                    assert_eq!(v.expected_purchases.to_bits(), expected.to_bits(), "case {case}: {}", c.id);
                    assert_eq!(v.clv.map(f64::to_bits), clv.map(f64::to_bits), "case {case}: {}", c.id);
                    assert_eq!((v.frequency, v.recency, v.t), (c.frequency, c.recency, c.t));
                    assert_eq!((&v.id, &v.cohort), (&c.id, &c.cohort));
                }
            }
        }
    }
}
