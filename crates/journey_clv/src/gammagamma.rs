//! Gamma-Gamma model of spend (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader &
//! Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): each transaction of
//! a customer is Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so the mean
//! of their x transactions, z̄, is Gamma(px, νx). Only repeat buyers (x ≥ 1)
//! enter the fit, and z̄ is the mean of their repeat transactions.

use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::fit::{fit_log_params, FitReport, LogLikelihood};
use crate::optimize::Objective;
use crate::special::{digamma, ln_gamma};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl GammaGamma {
    pub fn from_report(f: &FitReport) -> GammaGamma {
        GammaGamma { p: f.params[0], q: f.params[1], gamma: f.params[2] }
    }

    /// ln f(z̄ | x).
    pub fn log_likelihood(&self, x: u32, mean: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let px = p * x as f64;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * gamma.ln() + (px - 1.0) * mean.ln() + px * (x as f64).ln()
            - (px + q) * (gamma + x as f64 * mean).ln()
    }

    /// E[M | p, q, γ, z̄, x]: a weighted average of the population mean pγ/(q-1)
    /// and the customer's own mean, the weight on their own growing with x.
    pub fn conditional_expected_value(&self, x: u32, mean: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let xf = x as f64;
        p * (gamma + xf * mean) / (p * xf + q - 1.0)
    }

    /// pγ/(q-1), the expected spend per transaction of a new customer (infinite
    /// when q ≤ 1).
    pub fn population_mean(&self) -> f64 {
        if self.q <= 1.0 {
            f64::INFINITY
        } else {
            self.p * self.gamma / (self.q - 1.0)
        }
    }
}

/// Distinct (x, z̄) rows with weights.
#[derive(Debug, Clone, Copy)]
pub struct SpendRow {
    pub x: u32,
    pub mean: f64,
    pub weight: f64,
}

struct GammaGammaLikelihood<'a> {
    rows: &'a [SpendRow],
    /// By row: `ln z̄` and `ln x`, which every evaluation of the likelihood reads and
    /// no parameter changes (issue 16: the fit evaluates it hundreds of times over
    /// every repeat buyer, on the tail of `journey simulate`).
    logs: Vec<(f64, f64)>,
}

impl<'a> GammaGammaLikelihood<'a> {
    fn new(rows: &'a [SpendRow]) -> Self {
        GammaGammaLikelihood { rows, logs: rows.iter().map(|r| (r.mean.ln(), (r.x as f64).ln())).collect() }
    }
}

impl Objective for GammaGammaLikelihood<'_> {
    fn value(&self, p: &[f64]) -> f64 {
        let mut g = [0.0; 3];
        self.value_grad(p, &mut g)
    }

    fn value_grad(&self, lp: &[f64], grad: &mut [f64]) -> f64 {
        let (p, q, gamma) = (lp[0].exp(), lp[1].exp(), lp[2].exp());
        if ![p, q, gamma].iter().all(|v| v.is_finite() && *v > 0.0) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let (dg_q, ln_gamma_g) = (digamma(q), gamma.ln());
        // [`GammaGamma::log_likelihood`] term by term, each function of the same
        // arguments computed once: per evaluation (`q`, `γ`), per run of rows of one
        // `x` (the rows are sorted by it) and per row once for the whole fit. The same
        // operations on the same values in the same order, so the same bits (the
        // plain sum is the test's oracle).
        let (lg_q, q_ln_g) = (ln_gamma(q), q * ln_gamma_g);
        let mut last_x = None;
        let (mut lg_pxq, mut lg_px, mut dg_pxq, mut dg_px) = (0.0, 0.0, 0.0, 0.0);
        let (mut ll, mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0, 0.0);
        for (row, &(ln_mean, ln_x)) in self.rows.iter().zip(&self.logs) {
            let xf = row.x as f64;
            let px = p * xf;
            if last_x != Some(row.x) {
                last_x = Some(row.x);
                (lg_pxq, lg_px) = (ln_gamma(px + q), ln_gamma(px));
                (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
            }
            let lden = (gamma + xf * row.mean).ln();
            let l = lg_pxq - lg_px - lg_q + q_ln_g + (px - 1.0) * ln_mean + px * ln_x - (px + q) * lden;
            ll += row.weight * l;
            gp += row.weight * xf * (dg_pxq - dg_px + ln_mean + ln_x - lden);
            gq += row.weight * (dg_pxq - dg_q + ln_gamma_g - lden);
            gg += row.weight * (q / gamma - (px + q) / (gamma + xf * row.mean));
        }
        grad[0] = -gp * p;
        grad[1] = -gq * q;
        grad[2] = -gg * gamma;
        if ll.is_finite() {
            -ll
        } else {
            f64::INFINITY
        }
    }
}

impl LogLikelihood for GammaGammaLikelihood<'_> {
    fn model(&self) -> &'static str {
        "gamma-gamma"
    }
    fn names(&self) -> Vec<&'static str> {
        vec!["p", "q", "gamma"]
    }
}

/// Fit on customers with at least one repeat purchase and a positive mean spend.
pub fn fit(customers: impl IntoIterator<Item = (u32, f64)>) -> Result<FitReport> {
    let mut zero_spend = 0usize;
    let mut rows: Vec<SpendRow> = customers
        .into_iter()
        .filter(|(x, m)| {
            // Repeat buyers whose repeat purchases were all free ($0.00) have no
            // spend Gamma-Gamma can describe: left out, and said so below.
            let keep = *x > 0 && *m > 0.0 && m.is_finite();
            zero_spend += usize::from(*x > 0 && !keep);
            keep
        })
        .map(|(x, mean)| SpendRow { x, mean, weight: 1.0 })
        .collect();
    rows.sort_by(|a, b| a.x.cmp(&b.x).then(a.mean.total_cmp(&b.mean)));
    rows.dedup_by(|later, kept| {
        let same = later.x == kept.x && later.mean == kept.mean;
        if same {
            kept.weight += later.weight;
        }
        same
    });
    if rows.len() < 3 {
        return Err(ClvError::FitFailed {
            model: "gamma-gamma",
            message: "needs at least 3 customers with a repeat purchase and a positive monetary value".into(),
        });
    }
    if rows.iter().all(|r| r.mean == rows[0].mean) {
        return Err(ClvError::Unidentifiable {
            model: "gamma-gamma",
            message: format!(
                "every repeat buyer has the same mean spend ({}): how spend varies within and between customers (p and q) cannot be identified",
                rows[0].mean
            ),
            help: Some(format!("spend looks constant: use {} per purchase instead of a spend model", rows[0].mean)),
        });
    }
    let n: f64 = rows.iter().map(|r| r.weight).sum();
    let mean = rows.iter().map(|r| r.weight * r.mean).sum::<f64>() / n;
    let start = [1.0, 2.0, mean.max(1e-6)];
    let mut report = fit_log_params(&GammaGammaLikelihood::new(&rows), &start, n, rows.len())?;
    if zero_spend > 0 {
        report.warnings.push(format!(
            "{zero_spend} repeat buyer(s) with a mean repeat spend of 0 are left out of the spend fit (Gamma-Gamma needs positive spend); their CLV uses the population mean spend"
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let rows = [SpendRow { x: 1, mean: 12.0, weight: 2.0 }, SpendRow { x: 4, mean: 40.5, weight: 1.0 }];
        let ll = GammaGammaLikelihood::new(&rows);
        let x = [6.25f64.ln(), 3.74f64.ln(), 15.44f64.ln()];
        let mut g = [0.0; 3];
        ll.value_grad(&x, &mut g);
        for i in 0..3 {
            let h = 1e-6;
            let (mut xp, mut xm) = (x, x);
            xp[i] += h;
            xm[i] -= h;
            let fd = (ll.value(&xp) - ll.value(&xm)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-6, "{i}: {fd} vs {}", g[i]);
        }
    }

    /// The likelihood as first written, every term computed afresh for every row: the
    /// oracle of the hoisted one.
    fn plain_value_grad(rows: &[SpendRow], lp: &[f64], grad: &mut [f64]) -> f64 {
        let (p, q, gamma) = (lp[0].exp(), lp[1].exp(), lp[2].exp());
        if ![p, q, gamma].iter().all(|v| v.is_finite() && *v > 0.0) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let m = GammaGamma { p, q, gamma };
        let (dg_q, ln_gamma_g) = (digamma(q), gamma.ln());
        let (mut ll, mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0, 0.0);
        for row in rows {
            let xf = row.x as f64;
            let px = p * xf;
            let lden = (gamma + xf * row.mean).ln();
            let dg_pxq = digamma(px + q);
            ll += row.weight * m.log_likelihood(row.x, row.mean);
            gp += row.weight * xf * (dg_pxq - digamma(px) + row.mean.ln() + xf.ln() - lden);
            gq += row.weight * (dg_pxq - dg_q + ln_gamma_g - lden);
            gg += row.weight * (q / gamma - (px + q) / (gamma + xf * row.mean));
        }
        grad[0] = -gp * p;
        grad[1] = -gq * q;
        grad[2] = -gg * gamma;
        if ll.is_finite() {
            -ll
        } else {
            f64::INFINITY
        }
    }

    #[test]
    fn hoisted_likelihood_is_the_plain_one_bit_for_bit() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..300 {
            let n = 1 + next() % 60;
            let mut rows: Vec<SpendRow> = (0..n)
                .map(|_| SpendRow {
                    x: 1 + (next() % 12) as u32,
                    mean: (1 + next() % 50_000) as f64 / 100.0,
                    weight: (1 + next() % 4) as f64,
                })
                .collect();
            // sorted by x as `fit` sorts them, or left in any order
            if case % 2 == 0 {
                rows.sort_by(|a, b| a.x.cmp(&b.x).then(a.mean.total_cmp(&b.mean)));
            }
            let ll = GammaGammaLikelihood::new(&rows);
            for _ in 0..5 {
                let lp: Vec<f64> = (0..3).map(|_| (next() % 4_000) as f64 / 1_000.0 - 2.0).collect();
                let (mut g, mut h) = ([0.0; 3], [0.0; 3]);
                let (a, b) = (ll.value_grad(&lp, &mut g), plain_value_grad(&rows, &lp, &mut h));
                assert_eq!(a.to_bits(), b.to_bits(), "case {case}: value");
                for i in 0..3 {
                    assert_eq!(g[i].to_bits(), h[i].to_bits(), "case {case}: gradient {i}");
                }
            }
        }
    }
}
