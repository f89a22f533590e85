//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987), with the likelihood as in
//! Fader & Hardie's "A Note on Implementing the Pareto/NBD Model in MATLAB"
//! (2008): purchases at Poisson rate λ ~ Gamma(r, α) while alive, an exponential
//! lifetime with rate μ ~ Gamma(s, β).
//!
//! The likelihood needs 2F1(r+s+x, ·; r+s+x+1; z) with z = |α-β| / (max(α,β) + t),
//! which the formula keeps in [0, 1) by choosing its form on the sign of α - β;
//! the two hypergeometric terms are subtracted in log space.

use serde::Serialize;
use std::collections::HashMap;

use crate::error::{ClvError, Result};
use crate::fit::{fit_log_params, FitReport, LogLikelihood};
use crate::optimize::Objective;
use crate::rfm::WeightedRow;
use crate::special::{integrate, ln_beta, ln_gamma, ln_hyp2f1, ln_integrate, ln_rising, log_add_exp, log_sub_exp};

/// From this many distinct rows a likelihood evaluation is split over the cores
/// (below it the threads cost more than they save).
const PARALLEL_ROWS: usize = 4096;

/// Above this z the 2F1 series needs hundreds of terms; quadrature is cheaper.
const SERIES_MAX_Z: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParetoNbd {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

impl ParetoNbd {
    pub fn from_report(f: &FitReport) -> ParetoNbd {
        ParetoNbd { r: f.params[0], alpha: f.params[1], s: f.params[2], beta: f.params[3] }
    }

    /// ln A0 of the note's eq. (20): the "died between t_x and T" part of the
    /// likelihood is s/(r+s+x) · A0 times the factors shared with the "alive" part.
    ///
    /// The closed form needs 2F1 at z = |α-β| / (max(α,β) + t_x), whose series
    /// slows down as z → 1, and subtracts two close numbers when t_x ≈ T. In
    /// either case A0 = (r+s+x) ∫ from t_x to T of (α+τ)^-(r+x) (β+τ)^-(s+1) dτ is
    /// integrated numerically instead.
    fn log_a0(&self, x: u32, t_x: f64, t: f64) -> f64 {
        self.log_a0_by(x, t_x, t, &mut |x, u| self.closed_term(x, u))
    }

    /// [`ParetoNbd::log_a0`] with the closed form's terms from `term` (the same
    /// values as [`ParetoNbd::closed_term`], possibly remembered).
    fn log_a0_by(&self, x: u32, t_x: f64, t: f64, term: &mut impl FnMut(u32, f64) -> Option<f64>) -> f64 {
        let ParetoNbd { alpha, beta, .. } = *self;
        let big = alpha.max(beta);
        let diff = (alpha - beta).abs();
        if diff / (big + t_x) <= SERIES_MAX_Z {
            if let (Some(early), Some(late)) = (term(x, t_x), term(x, t)) {
                // Keep the closed form unless more than ~6 of 16 digits cancel.
                if early - late > 1e-6 || early == late {
                    return log_sub_exp(early, late);
                }
            }
        }
        self.log_a0_by_quadrature(x, t_x, t)
    }

    /// One term of A0's closed form at time `u`: ln 2F1(r+s+x, ·; r+s+x+1; z) -
    /// (r+s+x) ln(max(α,β) + u). It depends on the row only through x and u, so rows
    /// share it: every row of the same x and T, every row with no repeat purchase.
    fn closed_term(&self, x: u32, u: f64) -> Option<f64> {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let xf = x as f64;
        let (big, second) = if alpha >= beta { (alpha, s + 1.0) } else { (beta, r + xf) };
        let diff = (alpha - beta).abs();
        let rsx = r + s + xf;
        let q = big + u;
        Some(ln_hyp2f1(rsx, second, rsx + 1.0, diff / q)? - rsx * q.ln())
    }

    /// ln A0 by integrating in u = ln(min(α,β) + τ), where the log-integrand
    /// is concave and smooth, so a fixed Gauss-Legendre rule is accurate.
    fn log_a0_by_quadrature(&self, x: u32, t_x: f64, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let xf = x as f64;
        let (small, k_small, big, k_big) =
            if alpha <= beta { (alpha, r + xf, beta, s + 1.0) } else { (beta, s + 1.0, alpha, r + xf) };
        let gap = big - small;
        let g = |u: f64| (1.0 - k_small) * u - k_big * (gap + u.exp()).ln();
        (r + s + xf).ln() + ln_integrate(g, (small + t_x).ln(), (small + t).ln(), 8)
    }

    pub fn log_likelihood(&self, x: u32, t_x: f64, t: f64) -> f64 {
        self.log_likelihood_by(x, t_x, t, &mut |x, u| self.closed_term(x, u))
    }

    /// [`ParetoNbd::log_likelihood`] with A0's closed-form terms from `term`.
    fn log_likelihood_by(&self, x: u32, t_x: f64, t: f64, term: &mut impl FnMut(u32, f64) -> Option<f64>) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let xf = x as f64;
        let a1 = ln_rising(r, x) + r * alpha.ln() + s * beta.ln();
        let alive = -(r + xf) * (alpha + t).ln() - s * (beta + t).ln();
        let died = s.ln() + self.log_a0_by(x, t_x, t, term) - (r + s + xf).ln();
        a1 + log_add_exp(alive, died)
    }

    pub fn p_alive(&self, x: u32, t_x: f64, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let xf = x as f64;
        let log_ratio =
            s.ln() - (r + s + xf).ln() + (r + xf) * (alpha + t).ln() + s * (beta + t).ln() + self.log_a0(x, t_x, t);
        1.0 / (1.0 + log_ratio.exp())
    }

    /// E[X(t)] for a new customer.
    pub fn expected_purchases(&self, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        r * beta / alpha * lifetime_factor(s, beta, t)
    }

    /// E[Y(t) | x, t_x, T].
    pub fn conditional_expected_purchases(&self, t: f64, x: u32, t_x: f64, big_t: f64) -> f64 {
        self.conditional_expected_purchases_alive(self.p_alive(x, t_x, big_t), t, x, big_t)
    }

    /// The same, given `p_alive` (which does not depend on `t`).
    pub fn conditional_expected_purchases_alive(&self, p_alive: f64, t: f64, x: u32, big_t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let xf = x as f64;
        p_alive * (r + xf) * (beta + big_t) / (alpha + big_t) * lifetime_factor(s, beta + big_t, t)
    }

    /// P(X(t) = n) for a new customer (Fader & Hardie 2006, "Deriving an
    /// expression for P(X(t) = x) under the Pareto/NBD model").
    pub fn prob_purchases(&self, n: u32, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let nf = n as f64;
        let rs = r + s;
        let ln_nb = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
        let alive = (ln_nb
            + r * (alpha / (alpha + t)).ln()
            + if n > 0 { nf * (t / (alpha + t)).ln() } else { 0.0 }
            + s * (beta / (beta + t)).ln())
        .exp();
        let (big, second) = if alpha >= beta { (alpha, s + 1.0) } else { (beta, r + nf) };
        let diff = (alpha - beta).abs();
        let c = rs + nf + 1.0;
        let Some(lb1) = ln_hyp2f1(rs, second, c, diff / big) else {
            return f64::NAN;
        };
        let lb1 = lb1 - rs * big.ln();
        let mut terms = Vec::with_capacity(n as usize + 1);
        for i in 0..=n {
            let fi = i as f64;
            let Some(lh) = ln_hyp2f1(rs + fi, second, c, diff / (big + t)) else {
                return f64::NAN;
            };
            let tpow = if i > 0 { fi * t.ln() } else { 0.0 };
            terms.push(ln_gamma(rs + fi) - ln_gamma(rs) - ln_gamma(fi + 1.0) + tpow + lh - (rs + fi) * (big + t).ln());
        }
        let lsum = terms.iter().fold(f64::NEG_INFINITY, |acc, &v| log_add_exp(acc, v));
        // B1 - Σ loses digits as the partial sum approaches B1 (large n, where
        // the "died" term is tiny); there the integral is computed directly.
        if lb1.is_nan() || lsum.is_nan() || lb1 - lsum <= 1e-4 {
            return self.prob_purchases_by_quadrature(n, t);
        }
        let lead = r * alpha.ln() + s * beta.ln() + ln_beta(r + nf, s + 1.0) - ln_beta(r, s);
        alive + (lead + log_sub_exp(lb1, lsum)).exp()
    }

    /// P(X(T, T + t) = n | x, t_x, T). An active customer's λ ~ Gamma(r + x,
    /// α + T) and μ ~ Gamma(s, β + T), and lifetimes are memoryless, so from
    /// T on they buy as a new Pareto/NBD customer with those parameters.
    pub fn conditional_prob_purchases(&self, n: u32, t: f64, x: u32, t_x: f64, big_t: f64) -> f64 {
        if t <= 0.0 {
            return if n == 0 { 1.0 } else { 0.0 };
        }
        let p_alive = self.p_alive(x, t_x, big_t);
        let active = ParetoNbd { r: self.r + x as f64, alpha: self.alpha + big_t, s: self.s, beta: self.beta + big_t };
        let dead = if n == 0 { 1.0 - p_alive } else { 0.0 };
        dead + p_alive * active.prob_purchases(n, t)
    }

    /// P(X(t) = n) by numerical integration over the death time; the check on
    /// [`Self::prob_purchases`].
    pub fn prob_purchases_by_quadrature(&self, n: u32, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let nf = n as f64;
        let ln_nb = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
        let nb = |tau: f64| {
            if tau <= 0.0 {
                return if n == 0 { 1.0 } else { 0.0 };
            }
            (ln_nb + r * (alpha / (alpha + tau)).ln() + nf * (tau / (alpha + tau)).ln()).exp()
        };
        let alive = nb(t) * (beta / (beta + t)).powf(s);
        let died = integrate(|tau| nb(tau) * s * beta.powf(s) / (beta + tau).powf(s + 1.0), 0.0, t, 200);
        alive + died
    }
}

/// (β/(s-1)) [1 - (β/(β+t))^(s-1)] / β, i.e. E[min(lifetime, t)] scaled by
/// 1/β, with the s → 1 limit ln(1 + t/β).
fn lifetime_factor(s: f64, beta: f64, t: f64) -> f64 {
    let l = (beta / (beta + t)).ln();
    if (s - 1.0).abs() < 1e-9 {
        -l
    } else {
        -((s - 1.0) * l).exp_m1() / (s - 1.0)
    }
}

/// Negative log-likelihood over (ln r, ln α, ln s, ln β); gradient by central
/// differences (the hypergeometric terms make an analytic one unwieldy).
pub struct ParetoNbdLikelihood<'a> {
    rows: &'a [WeightedRow],
}

impl Objective for ParetoNbdLikelihood<'_> {
    fn value(&self, p: &[f64]) -> f64 {
        let m = ParetoNbd { r: p[0].exp(), alpha: p[1].exp(), s: p[2].exp(), beta: p[3].exp() };
        if ![m.r, m.alpha, m.s, m.beta].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::INFINITY;
        }
        // Each row's term, on the cores (a row costs hypergeometric series or a
        // quadrature), summed here in row order: the same sum, bit for bit, as on one
        // thread, so a fit does not depend on the machine. Each run of rows remembers
        // the closed form's terms by (x, u): distinct rows share them (100,000
        // customers: 30,389 distinct rows but 1,534 pairs of x and T).
        let threads = if self.rows.len() >= PARALLEL_ROWS {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
        } else {
            1
        };
        let runs: Vec<&[WeightedRow]> = self.rows.chunks(self.rows.len().div_ceil(threads).max(1)).collect();
        let terms = crate::parallel::map(&runs, 2, |run| {
            let mut memo: HashMap<(u32, u64), Option<f64>> = HashMap::new();
            let mut term = |x: u32, u: f64| *memo.entry((x, u.to_bits())).or_insert_with(|| m.closed_term(x, u));
            run.iter()
                .map(|row| row.weight * m.log_likelihood_by(row.x, row.t_x, row.t, &mut term))
                .collect::<Vec<f64>>()
        });
        let total: f64 = terms.iter().flatten().sum();
        if total.is_finite() {
            -total
        } else {
            f64::INFINITY
        }
    }
}

impl LogLikelihood for ParetoNbdLikelihood<'_> {
    fn model(&self) -> &'static str {
        "pareto-nbd"
    }
    fn cheap(&self) -> bool {
        false
    }
    fn names(&self) -> Vec<&'static str> {
        vec!["r", "alpha", "s", "beta"]
    }
}

pub fn fit(rows: &[WeightedRow]) -> Result<FitReport> {
    if rows.is_empty() {
        return Err(ClvError::FitFailed { model: "pareto-nbd", message: "no customers".into() });
    }
    crate::fit::check_purchase_data("pareto-nbd", rows)?;
    let customers: f64 = rows.iter().map(|r| r.weight).sum();
    let mean_rate = rows.iter().map(|r| r.weight * r.x as f64).sum::<f64>()
        / rows.iter().map(|r| r.weight * r.t).sum::<f64>().max(1e-9);
    let scale = (1.0 / mean_rate.max(1e-6)).clamp(1e-3, 1e6);
    let start = [1.0, scale, 1.0, scale];
    fit_log_params(&ParetoNbdLikelihood { rows }, &start, customers, rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ParetoNbd = ParetoNbd { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };

    #[test]
    fn conditional_probabilities_sum_to_one_and_their_mean_is_the_conditional_expectation() {
        for &(x, t_x, big_t) in &[(0u32, 0.0, 30.0), (3, 25.0, 38.0), (8, 5.0, 39.0)] {
            let probs: Vec<f64> = (0..300).map(|n| P.conditional_prob_purchases(n, 26.0, x, t_x, big_t)).collect();
            let total: f64 = probs.iter().sum();
            let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-6, "{total}");
            let expected = P.conditional_expected_purchases(26.0, x, t_x, big_t);
            assert!((mean - expected).abs() < 1e-4 * expected.max(1.0), "{mean} vs {expected}");
        }
    }

    #[test]
    fn likelihood_matches_direct_integration() {
        // ∫ over death times in (t_x, T) done numerically, plus the "alive" term.
        for &(x, t_x, t) in &[(0u32, 0.0, 38.86), (2, 30.43, 38.86), (5, 10.0, 30.0), (3, 20.0, 20.0)] {
            for m in [P, ParetoNbd { alpha: 2.0, beta: 15.0, ..P }, ParetoNbd { alpha: 25.0, beta: 1.5, ..P }] {
                let xf = x as f64;
                let pref = ln_gamma(m.r + xf) - ln_gamma(m.r) + m.r * m.alpha.ln() + m.s * m.beta.ln();
                let alive = (-(m.r + xf) * (m.alpha + t).ln() - m.s * (m.beta + t).ln()).exp();
                let died = if t > t_x {
                    integrate(
                        |tau| m.s * (m.alpha + tau).powf(-(m.r + xf)) * (m.beta + tau).powf(-(m.s + 1.0)),
                        t_x,
                        t,
                        50,
                    )
                } else {
                    0.0
                };
                let direct = pref + (alive + died).ln();
                let ll = m.log_likelihood(x, t_x, t);
                assert!((ll - direct).abs() < 1e-10, "{m:?} x={x}: {ll} vs {direct}");
            }
        }
    }

    #[test]
    fn closed_form_and_quadrature_agree() {
        for m in [P, ParetoNbd { alpha: 2.0, beta: 15.0, ..P }, ParetoNbd { alpha: 25.0, beta: 1.5, ..P }] {
            for &(x, t_x, t) in &[(1u32, 0.5, 38.86), (2, 30.43, 38.86), (12, 3.0, 30.0)] {
                let a = m.log_a0(x, t_x, t);
                let b = m.log_a0_by_quadrature(x, t_x, t);
                assert!((a - b).abs() < 1e-11, "{m:?} x={x}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn probabilities_match_quadrature_sum_to_one_and_mean() {
        for m in [P, ParetoNbd { alpha: 20.0, beta: 3.0, ..P }] {
            let t = 39.0;
            let mut total = 0.0;
            let mut mean = 0.0;
            for n in 0..300 {
                let p = m.prob_purchases(n, t);
                if n < 6 {
                    let q = m.prob_purchases_by_quadrature(n, t);
                    assert!((p - q).abs() < 1e-10, "{m:?} n={n}: {p} vs {q}");
                }
                total += p;
                mean += n as f64 * p;
            }
            assert!((total - 1.0).abs() < 1e-8, "{total}");
            assert!((mean - m.expected_purchases(t)).abs() < 1e-6, "{mean}");
        }
    }

    /// The likelihood split over threads with remembered terms is, bit for bit, the
    /// plain sum over the rows in order (seeded rows with shared x, t_x and T, more
    /// of them than one thread takes).
    #[test]
    fn the_parallel_remembered_likelihood_is_the_plain_sum() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let rows: Vec<WeightedRow> = (0..PARALLEL_ROWS * 2 + 17)
            .map(|_| {
                let t = [30.0, 38.86, 52.0][(next() % 3) as usize];
                let x = (next() % 6) as u32;
                let t_x = if x == 0 { 0.0 } else { (next() % 300) as f64 / 10.0 };
                WeightedRow { x, t_x, t, weight: 1.0 + (next() % 4) as f64 }
            })
            .collect();
        for m in [P, ParetoNbd { alpha: 2.0, beta: 15.0, ..P }, ParetoNbd { alpha: 25.0, beta: 1.5, ..P }] {
            let p = [m.r.ln(), m.alpha.ln(), m.s.ln(), m.beta.ln()];
            let fast = ParetoNbdLikelihood { rows: &rows }.value(&p);
            let plain: f64 = rows.iter().map(|r| r.weight * m.log_likelihood(r.x, r.t_x, r.t)).sum();
            assert_eq!(fast.to_bits(), (-plain).to_bits(), "{m:?}");
        }
    }
}
