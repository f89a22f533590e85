//! BG/BB (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a
//! Discrete-Time Noncontractual Setting"): transactions can only happen at
//! discrete opportunities (an annual appeal, a weekly event). While alive a
//! customer transacts at each opportunity with probability p ~ Beta(α, β);
//! before each opportunity they drop out for good with probability
//! θ ~ Beta(γ, δ).
//!
//! A customer is summarised by x (opportunities with a transaction), t_x (the
//! last one, 0 when x = 0) and n (opportunities seen).

use serde::Serialize;

use crate::error::{bad_row, ClvError, Result};
use crate::fit::{fit_log_params, FitReport, LogLikelihood};
use crate::optimize::Objective;
use crate::special::{ln_beta, ln_gamma, log_add_exp};
use crate::table::{split_rows, Delimiter};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgBb {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub delta: f64,
}

/// One (x, t_x, n) pattern and how many customers share it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBbRow {
    pub x: u32,
    pub t_x: u32,
    pub n: u32,
    pub weight: f64,
}

/// The likelihood sums over the opportunity a customer may have died at, one
/// term per opportunity after t_x. Discrete-time data have few opportunities
/// (6 appeals, 52 weeks, a few years of days); more than this is almost surely
/// a continuous time in the wrong unit, and would make every evaluation slow.
pub const MAX_OPPORTUNITIES: u32 = 100_000;

impl BgBbRow {
    /// Why the row is impossible, if it is.
    pub fn problem(&self) -> Option<String> {
        let BgBbRow { x, t_x, n, weight } = *self;
        if !(weight.is_finite() && weight >= 0.0) {
            Some(format!("weight {weight} is not a count"))
        } else if n > MAX_OPPORTUNITIES {
            Some(format!(
                "{n} opportunities is more than BG/BB handles ({MAX_OPPORTUNITIES}); is this a continuous time?"
            ))
        } else if t_x > n {
            Some(format!("recency {t_x} is after the last opportunity {n}"))
        } else if x > t_x {
            Some(format!("frequency {x} is more than the recency {t_x} allows (one transaction per opportunity)"))
        } else if x == 0 && t_x != 0 {
            Some(format!("recency {t_x} with no transactions (recency is 0 when frequency is 0)"))
        } else if x > 0 && t_x == 0 {
            Some(format!("frequency {x} with recency 0 (recency is the last opportunity with a transaction)"))
        } else {
            None
        }
    }
}

impl BgBb {
    pub fn from_report(f: &FitReport) -> BgBb {
        BgBb { alpha: f.params[0], beta: f.params[1], gamma: f.params[2], delta: f.params[3] }
    }

    /// ln L of one customer (eq. 5 of the paper): alive through all n
    /// opportunities, or died just before opportunity t_x + i + 1 for
    /// i = 0 .. n - t_x - 1.
    pub fn log_likelihood(&self, x: u32, t_x: u32, n: u32) -> f64 {
        let BgBb { alpha, beta, gamma, delta } = *self;
        let (xf, tf, nf) = (x as f64, t_x as f64, n as f64);
        let lb_ab = ln_beta(alpha, beta);
        let lb_gd = ln_beta(gamma, delta);
        let mut total = ln_beta(alpha + xf, beta + nf - xf) - lb_ab + ln_beta(gamma, delta + nf) - lb_gd;
        for i in 0..n - t_x {
            let fi = i as f64;
            let term = ln_beta(alpha + xf, beta + tf - xf + fi) - lb_ab + ln_beta(gamma + 1.0, delta + tf + fi) - lb_gd;
            total = log_add_exp(total, term);
        }
        total
    }

    /// P(alive after opportunity n | x, t_x, n) (eq. 11).
    pub fn p_alive(&self, x: u32, t_x: u32, n: u32) -> f64 {
        let BgBb { alpha, beta, gamma, delta } = *self;
        let (xf, nf) = (x as f64, n as f64);
        let alive = ln_beta(alpha + xf, beta + nf - xf) - ln_beta(alpha, beta) + ln_beta(gamma, delta + nf + 1.0)
            - ln_beta(gamma, delta);
        (alive - self.log_likelihood(x, t_x, n)).exp()
    }

    /// E[X(n)]: expected transactions in the first n opportunities of a new
    /// customer (eq. 7).
    pub fn expected_transactions(&self, n: u32) -> f64 {
        let BgBb { alpha, beta, gamma, delta } = *self;
        let nf = n as f64;
        let ratio = (ln_gamma(gamma + delta) - ln_gamma(gamma + delta + nf) + ln_gamma(1.0 + delta + nf)
            - ln_gamma(1.0 + delta))
        .exp();
        alpha / (alpha + beta) * delta / (gamma - 1.0) * (1.0 - ratio)
    }
}

struct BgBbLikelihood<'a> {
    rows: &'a [BgBbRow],
}

impl Objective for BgBbLikelihood<'_> {
    fn value(&self, p: &[f64]) -> f64 {
        let m = BgBb { alpha: p[0].exp(), beta: p[1].exp(), gamma: p[2].exp(), delta: p[3].exp() };
        let v: f64 = -self
            .rows
            .iter()
            .filter(|r| r.weight > 0.0)
            .map(|r| r.weight * m.log_likelihood(r.x, r.t_x, r.n))
            .sum::<f64>();
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    }
}

impl LogLikelihood for BgBbLikelihood<'_> {
    fn model(&self) -> &'static str {
        "bg-bb"
    }
    fn names(&self) -> Vec<&'static str> {
        vec!["alpha", "beta", "gamma", "delta"]
    }
}

/// Fit by maximum likelihood.
pub fn fit(rows: &[BgBbRow]) -> Result<FitReport> {
    if let Some((i, why)) = rows.iter().enumerate().find_map(|(i, r)| r.problem().map(|p| (i, p))) {
        return Err(ClvError::InvalidArgument(format!("bg-bb row {}: {why}", i + 1)));
    }
    let customers: f64 = rows.iter().map(|r| r.weight).sum();
    let unidentifiable = |message: &str, help: &str| {
        Err(ClvError::Unidentifiable { model: "bg-bb", message: message.into(), help: Some(help.into()) })
    };
    if customers <= 0.0 {
        return unidentifiable("there are no customers", "give at least one row with a positive weight");
    }
    if rows.iter().filter(|r| r.weight > 0.0).all(|r| r.n <= 1) {
        return unidentifiable(
            "no customer was seen for more than one opportunity: one opportunity cannot tell dropout from not transacting",
            "fit on data with at least two opportunities per customer",
        );
    }
    if rows.iter().filter(|r| r.weight > 0.0).all(|r| r.x == 0) {
        return unidentifiable(
            "no customer ever transacted: the data cannot tell a low transaction probability from early dropout",
            "fit on data where some customers transacted",
        );
    }
    fit_log_params(&BgBbLikelihood { rows }, &[1.0, 1.0, 1.0, 1.0], customers, rows.len())
}

/// Read a BG/BB table: one row per customer or per pattern, with columns
/// `frequency`, `recency` and `periods` (lifetimes' `n_periods` and Fader &
/// Hardie's `x`, `t_x`, `n` are accepted), and optionally `weights` (or
/// `count`): how many customers share the row.
pub fn read_table(path: &str, text: &str) -> Result<Vec<BgBbRow>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let rows = split_rows(path, text, Delimiter::sniff(first))?;
    let Some((head, data)) = rows.split_first() else {
        return Err(ClvError::EmptyInput { path: path.into(), message: "the file is empty".into() });
    };
    let col =
        |names: &[&str]| head.fields.iter().position(|f| names.iter().any(|n| f.text.trim().eq_ignore_ascii_case(n)));
    let need = |names: &[&str]| {
        col(names).ok_or_else(|| ClvError::MissingColumn {
            path: path.into(),
            column: names[0].into(),
            help: Some(
                "bg-bb reads `frequency`, `recency` and `periods` columns (or x, t_x, n), and optionally `weights`"
                    .into(),
            ),
        })
    };
    let (fx, ft, fnn) = (need(&["frequency", "x"])?, need(&["recency", "t_x"])?, need(&["periods", "n_periods", "n"])?);
    let fw = col(&["weights", "weight", "count"]);
    let mut out = Vec::with_capacity(data.len());
    for r in data {
        let whole = |i: usize, what: &str| -> Result<u32> {
            let f = r.fields.get(i).ok_or_else(|| {
                bad_row(path, text, r.start, r.end, format!("missing the {what} field"), "too few fields", None)
            })?;
            f.text.trim().parse::<u32>().map_err(|_| {
                bad_row(
                    path,
                    text,
                    f.start,
                    f.end,
                    format!("cannot read {:?} as {what}", f.text),
                    "expected a whole number of opportunities",
                    None,
                )
            })
        };
        let (x, t_x, n) = (whole(fx, "a frequency")?, whole(ft, "a recency")?, whole(fnn, "a number of periods")?);
        let weight = match fw {
            None => 1.0,
            Some(i) => {
                let f = r.fields.get(i).ok_or_else(|| {
                    bad_row(path, text, r.start, r.end, "missing the weights field", "too few fields", None)
                })?;
                f.text.trim().parse::<f64>().ok().filter(|w| w.is_finite() && *w >= 0.0).ok_or_else(|| {
                    bad_row(
                        path,
                        text,
                        f.start,
                        f.end,
                        format!("cannot read {:?} as a weight", f.text),
                        "expected a non-negative count",
                        None,
                    )
                })?
            }
        };
        let row = BgBbRow { x, t_x, n, weight };
        if let Some(why) = row.problem() {
            return Err(bad_row(
                path,
                text,
                r.start,
                r.end,
                why,
                "impossible for discrete opportunities",
                Some("0 <= frequency <= recency <= periods, and recency is 0 exactly when frequency is".into()),
            ));
        }
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLISHED: BgBb = BgBb { alpha: 1.204, beta: 0.750, gamma: 0.657, delta: 2.783 };

    /// Oracle: enumerate every transaction/death history over n opportunities
    /// at fixed (p, θ) and integrate p and θ numerically over their Betas.
    fn brute_force_likelihood(m: &BgBb, x: u32, t_x: u32, n: u32) -> f64 {
        let grid = 1000;
        let beta_pdf = |v: f64, a: f64, b: f64| ((a - 1.0) * v.ln() + (b - 1.0) * (1.0 - v).ln() - ln_beta(a, b)).exp();
        // Midpoints in a variable that spreads the endpoints' singularities: v = sin²(πu/2).
        let mut total = 0.0;
        for i in 0..grid {
            let u = (i as f64 + 0.5) / grid as f64;
            let p = (std::f64::consts::FRAC_PI_2 * u).sin().powi(2);
            let dp = std::f64::consts::FRAC_PI_2 * (std::f64::consts::PI * u).sin() / grid as f64;
            for j in 0..grid {
                let w = (j as f64 + 0.5) / grid as f64;
                let th = (std::f64::consts::FRAC_PI_2 * w).sin().powi(2);
                let dth = std::f64::consts::FRAC_PI_2 * (std::f64::consts::PI * w).sin() / grid as f64;
                // Alive at opportunity k (1-based) with prob (1-θ)^k; the pattern
                // (x, t_x) fixes transactions up to t_x; after t_x none happen.
                let mut l = 0.0;
                for death in (t_x + 1)..=(n + 1) {
                    // Alive for opportunities 1..death-1, dead from `death` on.
                    let alive = death - 1;
                    let pr_life =
                        if death == n + 1 { (1.0 - th).powi(n as i32) } else { (1.0 - th).powi(alive as i32) * th };
                    l += pr_life * p.powi(x as i32) * (1.0 - p).powi((alive - x) as i32);
                }
                total += l * beta_pdf(p, m.alpha, m.beta) * beta_pdf(th, m.gamma, m.delta) * dp * dth;
            }
        }
        total.ln()
    }

    #[test]
    fn likelihood_matches_brute_force_integration() {
        let m = BgBb { alpha: 1.6, beta: 2.1, gamma: 1.3, delta: 3.2 };
        for &(x, t_x, n) in &[(0u32, 0u32, 3u32), (2, 3, 5), (4, 4, 4), (1, 1, 6)] {
            let exact = m.log_likelihood(x, t_x, n);
            let brute = brute_force_likelihood(&m, x, t_x, n);
            assert!((exact - brute).abs() < 1e-4, "({x}, {t_x}, {n}): {exact} vs {brute}");
        }
    }

    #[test]
    fn probabilities_of_all_histories_sum_to_one() {
        // Each (x, t_x) over n opportunities stands for C(t_x - 1, x - 1) histories.
        let n = 6u32;
        let choose = |a: u32, b: u32| (0..b).fold(1.0, |acc, i| acc * (a - i) as f64 / (i + 1) as f64);
        let mut total = PUBLISHED.log_likelihood(0, 0, n).exp();
        for t_x in 1..=n {
            for x in 1..=t_x {
                total += choose(t_x - 1, x - 1) * PUBLISHED.log_likelihood(x, t_x, n).exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn expected_transactions_is_the_mean_over_histories() {
        let n = 6u32;
        let choose = |a: u32, b: u32| (0..b).fold(1.0, |acc, i| acc * (a - i) as f64 / (i + 1) as f64);
        let mut mean = 0.0;
        for t_x in 1..=n {
            for x in 1..=t_x {
                mean += x as f64 * choose(t_x - 1, x - 1) * PUBLISHED.log_likelihood(x, t_x, n).exp();
            }
        }
        assert!((mean - PUBLISHED.expected_transactions(n)).abs() < 1e-12, "{mean}");
    }

    #[test]
    fn impossible_rows_are_refused() {
        for (x, t_x, n) in [(3u32, 2u32, 6u32), (1, 7, 6), (0, 2, 6), (2, 0, 6)] {
            let err = fit(&[BgBbRow { x, t_x, n, weight: 1.0 }]).expect_err("refused");
            assert!(err.to_string().contains("row 1"), "{err}");
        }
    }
}
