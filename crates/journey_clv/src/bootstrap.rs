//! Bootstrap intervals for a purchase-count fit: refit on the customer base
//! resampled with replacement and take the 2.5% and 97.5% quantiles of each
//! parameter. Slower than the Hessian's standard errors, but it needs no
//! normal approximation, which matters for small bases and skewed parameters.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::fit::FitReport;
use crate::rfm::WeightedRow;

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapIntervals {
    pub resamples: usize,
    /// Resamples whose fit failed or did not converge (left out).
    pub failed: usize,
    /// (2.5%, 97.5%) per parameter, in the model's order.
    pub intervals: Vec<(f64, f64)>,
}

/// Resample the customers behind `rows` `resamples` times (seeded: the same
/// seed gives the same intervals on any number of threads) and refit each.
pub fn bootstrap(
    rows: &[WeightedRow],
    fit: &(dyn Fn(&[WeightedRow]) -> Result<FitReport> + Sync),
    resamples: usize,
    seed: u64,
) -> Result<BootstrapIntervals> {
    let customers = rows.iter().map(|r| r.weight).sum::<f64>().round() as usize;
    if resamples < 20 || customers == 0 {
        return Err(ClvError::InvalidArgument("a bootstrap needs at least 20 resamples and some customers".into()));
    }
    // Cumulative weights: customer k belongs to the first row whose cumulative
    // count exceeds k.
    let mut cumulative = Vec::with_capacity(rows.len());
    let mut acc = 0.0;
    for r in rows {
        acc += r.weight;
        cumulative.push(acc);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let samples: Vec<Vec<WeightedRow>> = (0..resamples)
        .map(|_| {
            let mut w = vec![0.0; rows.len()];
            for _ in 0..customers {
                let k = rng.random_range(0.0..acc);
                let i = cumulative.partition_point(|c| *c <= k).min(rows.len() - 1);
                w[i] += 1.0;
            }
            rows.iter().zip(w).filter(|(_, w)| *w > 0.0).map(|(r, w)| WeightedRow { weight: w, ..*r }).collect()
        })
        .collect();
    let fits: Vec<Option<Vec<f64>>> =
        crate::parallel::map(&samples, 2, |s| fit(s).ok().filter(|f| f.converged).map(|f| f.params));
    let ok: Vec<&Vec<f64>> = fits.iter().flatten().collect();
    let failed = resamples - ok.len();
    if ok.len() * 10 < resamples * 9 {
        return Err(ClvError::FitFailed {
            model: "bootstrap",
            message: format!(
                "{failed} of {resamples} resampled fits failed: the intervals would describe the survivors only"
            ),
        });
    }
    let n = ok[0].len();
    let intervals = (0..n)
        .map(|j| {
            let mut v: Vec<f64> = ok.iter().map(|p| p[j]).collect();
            v.sort_by(f64::total_cmp);
            let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
            (at(0.025), at(0.975))
        })
        .collect();
    Ok(BootstrapIntervals { resamples, failed, intervals })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgnbd::{self, BgNbd};
    use crate::rfm::compress;
    use crate::simulate::simulate_bgnbd;

    #[test]
    fn bootstrap_intervals_bracket_the_fit_and_are_deterministic() {
        let truth = BgNbd { r: 0.5, alpha: 5.0, a: 0.8, b: 2.5 };
        let rows = compress(simulate_bgnbd(&truth, 1_500, 84, 273, 3).unwrap());
        let fit = bgnbd::fit(&rows).unwrap();
        let b = bootstrap(&rows, &bgnbd::fit, 40, 9).unwrap();
        for (p, (lo, hi)) in fit.params.iter().zip(&b.intervals) {
            assert!(lo < p && p < hi, "{p} outside [{lo}, {hi}]");
        }
        let again = bootstrap(&rows, &bgnbd::fit, 40, 9).unwrap();
        assert_eq!(format!("{:?}", b.intervals), format!("{:?}", again.intervals));
    }
}
