//! Shifted-beta-geometric model of contractual retention (Fader & Hardie 2007,
//! "How to Project Customer Retention"; 2010, "Customer-Base Valuation in a
//! Contractual Setting"): each customer renews every period with their own
//! probability 1-θ, θ ~ Beta(α, β) across the cohort.

use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::fit::{fit_log_params, FitReport, LogLikelihood};
use crate::optimize::Objective;
use crate::special::{ln_beta, ln_hyp2f1};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShiftedBetaGeometric {
    pub alpha: f64,
    pub beta: f64,
}

/// Lifetimes in whole periods: `churned_at` is the period a customer left in
/// (1 = did not renew after the first period), `censored_at` the number of
/// periods seen so far for customers still active.
#[derive(Debug, Clone, Default)]
pub struct Lifetimes {
    pub churned: Vec<(u32, f64)>,
    pub censored: Vec<(u32, f64)>,
}

impl Lifetimes {
    /// From the number alive at the start of periods 0..n of one cohort
    /// (the first entry is the cohort size).
    pub fn from_survivors(survivors: &[f64]) -> Result<Lifetimes> {
        if survivors.len() < 2 {
            return Err(ClvError::InvalidArgument("sbg needs the cohort size and at least one later count".into()));
        }
        let mut out = Lifetimes::default();
        for (t, w) in survivors.windows(2).enumerate() {
            if w[1] > w[0] || w[1] < 0.0 {
                return Err(ClvError::InvalidArgument(format!(
                    "survivor counts must not grow: {} at period {} after {}",
                    w[1],
                    t + 1,
                    w[0]
                )));
            }
            out.churned.push((t as u32 + 1, w[0] - w[1]));
        }
        let n = survivors.len() - 1;
        out.censored.push((n as u32, survivors[n]));
        Ok(out)
    }

    /// From per-customer (periods observed, still active) pairs.
    pub fn from_customers(rows: impl IntoIterator<Item = (u32, bool)>) -> Lifetimes {
        let mut out = Lifetimes::default();
        for (t, active) in rows {
            if active {
                out.censored.push((t, 1.0));
            } else {
                out.churned.push((t.max(1), 1.0));
            }
        }
        out
    }
}

impl ShiftedBetaGeometric {
    pub fn from_report(f: &FitReport) -> Self {
        ShiftedBetaGeometric { alpha: f.params[0], beta: f.params[1] }
    }

    /// P(T = t): churn in period t (t ≥ 1).
    pub fn prob_churn_at(&self, t: u32) -> f64 {
        (ln_beta(self.alpha + 1.0, self.beta + t as f64 - 1.0) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// S(t) = P(T > t), the share of the cohort still active after t periods.
    pub fn survival(&self, t: u32) -> f64 {
        (ln_beta(self.alpha, self.beta + t as f64) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// r(t) = S(t)/S(t-1): the retention rate in period t, rising with t because
    /// the customers with high churn probabilities leave first.
    pub fn retention(&self, t: u32) -> f64 {
        let tf = t as f64;
        (self.beta + tf - 1.0) / (self.alpha + self.beta + tf - 1.0)
    }

    /// Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6): the
    /// expected number of further payments, discounted at rate `discount` per
    /// period, of a customer who has made `renewals` renewals so far (the next
    /// payment, if they renew, counts undiscounted).
    pub fn derl(&self, discount: f64, renewals: u32) -> f64 {
        let n = renewals as f64 + 1.0;
        let (a, b) = (self.alpha, self.beta);
        let Some(h) = ln_hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount)) else {
            return f64::NAN;
        };
        (b + n - 1.0) / (a + b + n - 1.0) * h.exp()
    }

    pub fn log_likelihood(&self, data: &Lifetimes) -> f64 {
        let churn: f64 =
            data.churned.iter().map(|&(t, w)| if w > 0.0 { w * self.prob_churn_at(t).ln() } else { 0.0 }).sum();
        let alive: f64 =
            data.censored.iter().map(|&(t, w)| if w > 0.0 { w * self.survival(t).ln() } else { 0.0 }).sum();
        churn + alive
    }
}

struct SbgLikelihood<'a> {
    data: &'a Lifetimes,
}

impl Objective for SbgLikelihood<'_> {
    fn value(&self, p: &[f64]) -> f64 {
        let m = ShiftedBetaGeometric { alpha: p[0].exp(), beta: p[1].exp() };
        let v = -m.log_likelihood(self.data);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    }
}

impl LogLikelihood for SbgLikelihood<'_> {
    fn model(&self) -> &'static str {
        "sbg"
    }
    fn names(&self) -> Vec<&'static str> {
        vec!["alpha", "beta"]
    }
}

pub fn fit(data: &Lifetimes) -> Result<FitReport> {
    let customers: f64 = data.churned.iter().chain(&data.censored).map(|r| r.1).sum();
    if customers <= 0.0 || data.churned.iter().all(|r| r.1 == 0.0) {
        return Err(ClvError::FitFailed { model: "sbg", message: "needs at least one customer who churned".into() });
    }
    let rows = data.churned.len() + data.censored.len();
    fit_log_params(&SbgLikelihood { data }, &[1.0, 1.0], customers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derl_equals_discounted_survival_sum() {
        let m = ShiftedBetaGeometric { alpha: 0.704, beta: 1.182 };
        for renewals in [0u32, 1, 4] {
            let n = renewals + 1;
            let d: f64 = 0.1;
            let brute: f64 = (0..5000).map(|k| m.survival(n + k) / m.survival(n - 1) / (1.0 + d).powi(k as i32)).sum();
            assert!((m.derl(d, renewals) - brute).abs() < 1e-9, "{} vs {brute}", m.derl(d, renewals));
        }
    }
}
