//! BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
//!
//! While active a customer buys at Poisson rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b).

use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::fit::{fit_log_params, FitReport, LogLikelihood};
use crate::optimize::Objective;
use crate::rfm::WeightedRow;
use crate::special::{digamma_rising, hyp2f1, ln_beta, ln_gamma, ln_hyp2f1, ln_rising};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    pub fn from_report(f: &FitReport) -> BgNbd {
        BgNbd { r: f.params[0], alpha: f.params[1], a: f.params[2], b: f.params[3] }
    }

    /// ln L for one customer (eq. 6 of the paper, arranged in log space).
    pub fn log_likelihood(&self, x: u32, t_x: f64, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let xf = x as f64;
        let a1 = ln_rising(r, x) + r * alpha.ln();
        let a2 = ln_rising(b, x) - ln_rising(a + b, x);
        let a3 = -(r + xf) * (alpha + t).ln();
        if x == 0 {
            return a1 + a2 + a3;
        }
        let a4 = (a / (b + xf - 1.0)).ln() - (r + xf) * (alpha + t_x).ln();
        a1 + a2 + crate::special::log_add_exp(a3, a4)
    }

    /// P(still active | x, t_x, T).
    pub fn p_alive(&self, x: u32, t_x: f64, t: f64) -> f64 {
        if x == 0 {
            return 1.0;
        }
        let xf = x as f64;
        let ratio = (self.a / (self.b + xf - 1.0)).ln() + (self.r + xf) * ((self.alpha + t) / (self.alpha + t_x)).ln();
        1.0 / (1.0 + ratio.exp())
    }

    /// E[X(t)]: expected repeat purchases in (0, t] for a new customer (eq. 9).
    pub fn expected_purchases(&self, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        if t <= 0.0 {
            return 0.0;
        }
        let z = t / (alpha + t);
        let Some(h) = hyp2f1(r, b, a + b - 1.0, z) else {
            return f64::NAN;
        };
        (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * h)
    }

    /// E[Y(t) | x, t_x, T]: expected purchases in the next t periods (eq. 10).
    pub fn conditional_expected_purchases(&self, t: f64, x: u32, t_x: f64, big_t: f64) -> f64 {
        self.conditional_expected_purchases_alive(self.p_alive(x, t_x, big_t), t, x, big_t)
    }

    /// The same, given `p_alive` (which does not depend on `t`, so a customer's
    /// expectations at several horizons can share it).
    pub fn conditional_expected_purchases_alive(&self, p_alive: f64, t: f64, x: u32, big_t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        if t <= 0.0 {
            return 0.0;
        }
        let xf = x as f64;
        let z = t / (alpha + big_t + t);
        let Some(lh) = ln_hyp2f1(r + xf, b + xf, a + b + xf - 1.0, z) else {
            return f64::NAN;
        };
        let lead = (a + b + xf - 1.0) / (a - 1.0);
        let inner = -((r + xf) * ((alpha + big_t) / (alpha + big_t + t)).ln() + lh).exp_m1();
        lead * inner * p_alive
    }

    /// P(X(t) = n) for a new customer (eq. 8).
    pub fn prob_purchases(&self, n: u32, t: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let nf = n as f64;
        let lb = ln_beta(a, b);
        let log_q = (alpha / (alpha + t)).ln();
        let log_p = (t / (alpha + t)).ln();
        let nb = |j: f64| {
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * log_q + if j > 0.0 { j * log_p } else { 0.0 }
        };
        let first = (ln_beta(a, b + nf) - lb + nb(nf)).exp();
        if n == 0 {
            return first;
        }
        let cdf: f64 = (0..n).map(|j| nb(j as f64).exp()).sum();
        first + (ln_beta(a + 1.0, b + nf - 1.0) - lb).exp() * (1.0 - cdf)
    }

    /// P(X(T, T + t) = n | x, t_x, T): the chance this customer makes exactly
    /// `n` purchases in the next `t` periods. A customer who has dropped out
    /// makes none; one still active has λ ~ Gamma(r + x, α + T) and
    /// p ~ Beta(a, b + x) (the likelihood of an active customer factorises in
    /// λ and p), and from T on buys as a new BG/NBD customer with those
    /// parameters, so eq. 8 applies to the updated parameters. Its mean is
    /// eq. 10, which the tests check.
    pub fn conditional_prob_purchases(&self, n: u32, t: f64, x: u32, t_x: f64, big_t: f64) -> f64 {
        let p_alive = self.p_alive(x, t_x, big_t);
        let xf = x as f64;
        let active = BgNbd { r: self.r + xf, alpha: self.alpha + big_t, a: self.a, b: self.b + xf };
        let dead = if n == 0 { 1.0 - p_alive } else { 0.0 };
        if t <= 0.0 {
            // Nothing can happen in no time.
            return if n == 0 { 1.0 } else { 0.0 };
        }
        dead + p_alive * active.prob_purchases(n, t)
    }
}

/// Negative log-likelihood of compressed rows, over (ln r, ln α, ln a, ln b),
/// with an analytic gradient. Terms that depend only on x are computed once per
/// distinct x, and ln(α + T), ln(α + t_x) once per distinct T and t_x (a log
/// recorded to the day has a few hundred of each however many rows it has);
/// rows are split across threads when there are many.
pub struct BgNbdLikelihood<'a> {
    rows: &'a [WeightedRow],
    /// Index of each row's x in `xs`.
    group: Vec<u32>,
    xs: Vec<u32>,
    /// Distinct T and t_x values, and each row's index among them.
    times: Distinct,
    threads: usize,
}

/// Distinct values of T and of t_x, and where each row's are: the per-row
/// logarithms become look-ups of the same numbers, computed once per value.
struct Distinct {
    values: Vec<f64>,
    /// Per row: index of T, index of t_x in `values`.
    at: Vec<(u32, u32)>,
}

impl Distinct {
    fn new(rows: &[WeightedRow]) -> Distinct {
        // Exact look-ups by bit pattern: a row finds its own value, whatever it is.
        let mut bits: Vec<u64> = rows.iter().flat_map(|r| [r.t.to_bits(), r.t_x.to_bits()]).collect();
        bits.sort_unstable();
        bits.dedup();
        let index = |v: f64| bits.binary_search(&v.to_bits()).unwrap_or(0) as u32;
        let at = rows.iter().map(|r| (index(r.t), index(r.t_x))).collect();
        Distinct { values: bits.into_iter().map(f64::from_bits).collect(), at }
    }
}

impl<'a> BgNbdLikelihood<'a> {
    pub fn new(rows: &'a [WeightedRow]) -> Self {
        let mut xs: Vec<u32> = rows.iter().map(|r| r.x).collect();
        xs.sort_unstable();
        xs.dedup();
        let group = rows.iter().map(|r| xs.binary_search(&r.x).unwrap_or(0) as u32).collect();
        let threads =
            if rows.len() >= 50_000 { std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) } else { 1 };
        BgNbdLikelihood { rows, group, xs, times: Distinct::new(rows), threads }
    }
}

/// Per-x constants of the likelihood and its gradient.
struct XTerms {
    x: f64,
    /// ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x) - ln B(a, b)
    base: f64,
    /// ln(a / (b + x - 1)), the log odds of having dropped out at the last purchase
    log_odds: f64,
    d_r: f64,
    d_a: f64,
    d_b: f64,
}

impl Objective for BgNbdLikelihood<'_> {
    fn value(&self, p: &[f64]) -> f64 {
        let mut g = [0.0; 4];
        self.value_grad(p, &mut g)
    }

    fn value_grad(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let (r, alpha, a, b) = (p[0].exp(), p[1].exp(), p[2].exp(), p[3].exp());
        if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        let ln_alpha = alpha.ln();
        // Per-x constants by running sums over j < x: Γ ratios of integer
        // offsets are products, which stay exact where ln Γ differences would
        // not. Past RUNNING_MAX the cost must not grow with x (a row may claim
        // a billion purchases), so those x get closed forms instead.
        const RUNNING_MAX: u32 = 256;
        let mut terms: Vec<XTerms> = Vec::with_capacity(self.xs.len());
        let (mut base, mut d_r, mut d_a, mut d_b) = (r * ln_alpha, ln_alpha, 0.0, 0.0);
        let mut next = 0usize;
        let log_odds = |xf: f64| if xf > 0.0 { (a / (b + xf - 1.0)).ln() } else { f64::NEG_INFINITY };
        for x in 0..=RUNNING_MAX {
            if next == self.xs.len() {
                break;
            }
            if self.xs[next] == x {
                let xf = x as f64;
                terms.push(XTerms { x: xf, base, log_odds: log_odds(xf), d_r, d_a, d_b });
                next += 1;
            }
            let j = x as f64;
            base += ((r + j) * (b + j) / (a + b + j)).ln();
            d_r += 1.0 / (r + j);
            d_a -= 1.0 / (a + b + j);
            d_b += 1.0 / (b + j) - 1.0 / (a + b + j);
        }
        for &x in &self.xs[next..] {
            let xf = x as f64;
            let (ab, dab) = (ln_rising(a + b, x), digamma_rising(a + b, x));
            terms.push(XTerms {
                x: xf,
                base: r * ln_alpha + ln_rising(r, x) + ln_rising(b, x) - ab,
                log_odds: log_odds(xf),
                d_r: ln_alpha + digamma_rising(r, x),
                d_a: -dab,
                d_b: digamma_rising(b, x) - dab,
            });
        }
        // Per distinct time v: α + v, ln(α + v) and 1/(α + v), the very
        // expressions the rows used to evaluate, so the sums are unchanged to
        // the bit.
        let shifted: Vec<(f64, f64, f64)> = self
            .times
            .values
            .iter()
            .map(|v| {
                let s = alpha + v;
                (s, s.ln(), 1.0 / s)
            })
            .collect();
        let kernel = |lo: usize, hi: usize| -> [f64; 5] {
            let mut acc = [0.0; 5];
            for i in lo..hi {
                let row = &self.rows[i];
                let k = &terms[self.group[i] as usize];
                let (ti, txi) = self.times.at[i];
                let (s_t, l_t, inv_t) = shifted[ti as usize];
                let rx = r + k.x;
                let (mut ll, mut g_r, mut g_alpha, mut g_a, mut g_b) =
                    (k.base - rx * l_t, k.d_r - l_t, r / alpha - rx / s_t, k.d_a, k.d_b);
                if row.x > 0 {
                    // ln(e^A3 + e^A4) = A3 + softplus(A4 - A3); w4 is the weight of A4.
                    let (_, l_tx, inv_tx) = shifted[txi as usize];
                    let d = k.log_odds + rx * (l_t - l_tx);
                    let (softplus, w4) = if d > 0.0 {
                        let e = (-d).exp();
                        (d + e.ln_1p(), 1.0 / (1.0 + e))
                    } else {
                        let e = d.exp();
                        (e.ln_1p(), e / (1.0 + e))
                    };
                    ll += softplus;
                    g_r += w4 * (l_t - l_tx);
                    g_alpha += w4 * rx * (inv_t - inv_tx);
                    g_a += w4 / a;
                    g_b -= w4 / (b + k.x - 1.0);
                }
                let w = row.weight;
                acc[0] += w * ll;
                acc[1] += w * g_r;
                acc[2] += w * g_alpha;
                acc[3] += w * g_a;
                acc[4] += w * g_b;
            }
            acc
        };
        let n = self.rows.len();
        let acc = if self.threads > 1 {
            let chunk = n.div_ceil(self.threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..self.threads)
                    .map(|t| {
                        let kernel = &kernel;
                        s.spawn(move || kernel((t * chunk).min(n), ((t + 1) * chunk).min(n)))
                    })
                    .collect();
                let mut total = [0.0; 5];
                for h in handles {
                    // A worker only does arithmetic; if it died the sum is unusable.
                    let part = h.join().unwrap_or([f64::NAN; 5]);
                    for (t, p) in total.iter_mut().zip(part) {
                        *t += p;
                    }
                }
                total
            })
        } else {
            kernel(0, n)
        };
        // Chain rule to log-parameters, and negate (we minimise).
        grad[0] = -acc[1] * r;
        grad[1] = -acc[2] * alpha;
        grad[2] = -acc[3] * a;
        grad[3] = -acc[4] * b;
        let v = -acc[0];
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    }
}

impl LogLikelihood for BgNbdLikelihood<'_> {
    fn model(&self) -> &'static str {
        "bg-nbd"
    }
    fn names(&self) -> Vec<&'static str> {
        vec!["r", "alpha", "a", "b"]
    }
}

/// Fit BG/NBD to compressed rows by maximum likelihood.
pub fn fit(rows: &[WeightedRow]) -> Result<FitReport> {
    if rows.is_empty() {
        return Err(ClvError::FitFailed { model: "bg-nbd", message: "no customers".into() });
    }
    crate::fit::check_purchase_data("bg-nbd", rows)?;
    let ll = BgNbdLikelihood::new(rows);
    let customers: f64 = rows.iter().map(|r| r.weight).sum();
    // Method-of-moments-ish start: purchase rate from the mean frequency.
    let mean_rate = rows.iter().map(|r| r.weight * r.x as f64).sum::<f64>()
        / rows.iter().map(|r| r.weight * r.t).sum::<f64>().max(1e-9);
    let start = [1.0, (1.0 / mean_rate.max(1e-6)).clamp(1e-3, 1e6), 1.0, 1.0];
    fit_log_params(&ll, &start, customers, rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BgNbd = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

    #[test]
    fn gradient_matches_finite_differences() {
        let rows = vec![
            WeightedRow { x: 0, t_x: 0.0, t: 38.86, weight: 3.0 },
            WeightedRow { x: 2, t_x: 30.43, t: 38.86, weight: 1.0 },
            WeightedRow { x: 7, t_x: 12.0, t: 33.0, weight: 2.0 },
            // past the running sums: the closed forms must agree with them
            WeightedRow { x: 300, t_x: 35.0, t: 38.0, weight: 1.0 },
        ];
        let ll = BgNbdLikelihood::new(&rows);
        let x = [P.r.ln(), P.alpha.ln(), P.a.ln(), P.b.ln()];
        let mut g = [0.0; 4];
        let v = ll.value_grad(&x, &mut g);
        let direct: f64 = -rows.iter().map(|r| r.weight * P.log_likelihood(r.x, r.t_x, r.t)).sum::<f64>();
        assert!((v - direct).abs() < 1e-10);
        for i in 0..4 {
            let h = 1e-6;
            let mut xp = x;
            xp[i] += h;
            let mut xm = x;
            xm[i] -= h;
            let fd = (ll.value(&xp) - ll.value(&xm)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-5 * g[i].abs().max(1.0), "param {i}: {fd} vs {}", g[i]);
        }
    }

    #[test]
    fn probabilities_sum_to_one_and_match_mean() {
        let t = 39.0;
        let probs: Vec<f64> = (0..400).map(|n| P.prob_purchases(n, t)).collect();
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert!((mean - P.expected_purchases(t)).abs() < 1e-7, "{mean}");
    }

    /// Oracle: average the individual-level probability (Poisson purchases,
    /// geometric dropout after each) over draws of λ and p from the posterior
    /// of an active customer, weighted by P(alive); no eq. 8 involved.
    fn brute_force_conditional(m: &BgNbd, n: u32, t: f64, x: u32, t_x: f64, big_t: f64) -> f64 {
        use rand::{rngs::StdRng, SeedableRng};
        use rand_distr::{Beta, Distribution, Gamma};
        let xf = x as f64;
        let lambda = Gamma::new(m.r + xf, 1.0 / (m.alpha + big_t)).unwrap();
        let drop = Beta::new(m.a, m.b + xf).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let draws = 200_000;
        let mut total = 0.0;
        for _ in 0..draws {
            let (l, p): (f64, f64) = (lambda.sample(&mut rng), drop.sample(&mut rng));
            let pois = |j: u32| (-(l * t) + j as f64 * (l * t).ln() - ln_gamma(j as f64 + 1.0)).exp();
            let mut v = (1.0 - p).powi(n as i32) * pois(n);
            if n > 0 {
                let below: f64 = (0..n).map(pois).sum();
                v += p * (1.0 - p).powi(n as i32 - 1) * (1.0 - below);
            }
            total += v;
        }
        let alive = m.p_alive(x, t_x, big_t);
        alive * total / draws as f64 + if n == 0 { 1.0 - alive } else { 0.0 }
    }

    #[test]
    fn conditional_probabilities_match_a_brute_force_average_over_the_posterior() {
        for &(x, t_x, big_t) in &[(0u32, 0.0, 30.0), (2, 20.0, 38.0), (7, 10.0, 39.0)] {
            for n in 0..5 {
                let exact = P.conditional_prob_purchases(n, 26.0, x, t_x, big_t);
                let brute = brute_force_conditional(&P, n, 26.0, x, t_x, big_t);
                assert!((exact - brute).abs() < 4e-3, "x={x} n={n}: {exact} vs {brute}");
            }
        }
    }

    #[test]
    fn conditional_probabilities_sum_to_one_and_their_mean_is_eq_10() {
        for &(x, t_x, big_t) in &[(0u32, 0.0, 30.0), (3, 25.0, 38.0), (12, 5.0, 39.0)] {
            let probs: Vec<f64> = (0..600).map(|n| P.conditional_prob_purchases(n, 52.0, x, t_x, big_t)).collect();
            let total: f64 = probs.iter().sum();
            let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            let eq10 = P.conditional_expected_purchases(52.0, x, t_x, big_t);
            assert!((mean - eq10).abs() < 1e-7, "{mean} vs {eq10}");
        }
        assert_eq!(P.conditional_prob_purchases(0, 0.0, 3, 25.0, 38.0), 1.0);
    }

    #[test]
    fn conditional_expectation_for_new_customer_equals_unconditional() {
        // A customer observed for no time at all has told us nothing.
        let v = P.conditional_expected_purchases(10.0, 0, 0.0, 0.0);
        assert!((v - P.expected_purchases(10.0)).abs() < 1e-10);
    }
}
