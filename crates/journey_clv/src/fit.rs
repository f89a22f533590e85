//! What every maximum-likelihood fit here returns, and the shared driver that
//! optimises over log-parameters and derives standard errors from the Hessian.

use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::optimize::{hessian, invert_spd, minimize, Objective};

/// A standard error above this multiple of its parameter's value: the data leaves the
/// parameter free over orders of magnitude ([`loose_parameters`]).
const LOOSE: f64 = 10.0;

/// The warning for parameters the data does not pin down: an interior optimum with a
/// zero gradient on a ridge so flat that a standard error dwarfs its value (seven
/// buyers fitted BG/NBD's `a` = 4.6e8 ± 1.5e13, read out as "48% drop out"). The
/// optimiser converged, but the figure is no estimate; the readings that use it say
/// nothing either.
fn loose_parameters(names: &[&str], params: &[f64], se: &[f64]) -> Option<String> {
    let loose: Vec<String> = names
        .iter()
        .zip(params.iter().zip(se))
        .filter(|(_, (p, s))| !s.is_finite() || **s > LOOSE * p.abs())
        .map(|(n, (p, s))| format!("{n} = {p:.3e} ± {s:.1e}"))
        .collect();
    (!loose.is_empty()).then(|| {
        format!(
            "the data does not pin down {} (a standard error over {LOOSE:.0} times the value): values far apart fit the data about as well, so {} and the readings that use {} are not estimates; fit more customers or a longer period",
            loose.join(", "),
            if loose.len() == 1 { "this figure" } else { "these figures" },
            if loose.len() == 1 { "it" } else { "them" },
        )
    })
}

/// Result of a fit: the parameters (named, in the model's order), the maximised
/// log-likelihood and the covariance of the log-parameters (inverse Hessian),
/// which the interval code samples from.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub model: &'static str,
    pub names: Vec<&'static str>,
    pub params: Vec<f64>,
    pub log_likelihood: f64,
    /// Delta-method standard errors of the parameters; None if the Hessian at
    /// the optimum is not positive definite (a boundary or flat likelihood).
    pub std_errors: Option<Vec<f64>>,
    #[serde(skip)]
    pub log_covariance: Option<Vec<Vec<f64>>>,
    pub customers: f64,
    pub distinct_rows: usize,
    pub iterations: usize,
    pub evaluations: usize,
    /// True only when the optimiser stopped at an interior point where the
    /// gradient is ~0 (checked after the fact, whatever the optimiser said).
    pub converged: bool,
    /// Largest |∂(-ln L)/∂ ln θ| at the reported optimum.
    pub gradient_max: f64,
    /// Plain-words cautions: parameters at a bound, starts that disagreed, ...
    pub warnings: Vec<String>,
}

impl FitReport {
    pub fn param(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| *n == name).map(|i| self.params[i])
    }
}

/// Refuse purchase-count data that cannot identify a BG/NBD or Pareto/NBD
/// model, saying what is missing, instead of "fitting" a boundary point.
pub fn check_purchase_data(model: &'static str, rows: &[crate::rfm::WeightedRow]) -> Result<()> {
    let customers: f64 = rows.iter().map(|r| r.weight).sum();
    let unidentifiable =
        |message: String, help: &str| Err(ClvError::Unidentifiable { model, message, help: Some(help.to_string()) });
    if customers < 5.0 {
        return unidentifiable(
            format!("{customers} customer(s) cannot identify how buying rates and lifetimes vary between customers"),
            "the model describes a population: fit it on at least 5 customers (hundreds in practice)",
        );
    }
    if rows.iter().all(|r| r.t <= 0.0) {
        return unidentifiable(
            "every customer was observed for no time (T = 0), so nothing about buying rates or dropout is in the data"
                .into(),
            "set --calibration-end after the first purchases, or check the T column",
        );
    }
    if rows.iter().all(|r| r.x == 0) {
        return unidentifiable(
            "no customer made a repeat purchase: the data cannot tell a low buying rate from early dropout".into(),
            "fit on a longer calibration period, or a log where some customers bought twice",
        );
    }
    Ok(())
}

/// Negative log-likelihood over log-parameters.
pub trait LogLikelihood: Objective {
    fn model(&self) -> &'static str;
    fn names(&self) -> Vec<&'static str>;
    /// False when an evaluation is costly (Pareto/NBD: hypergeometric terms
    /// and a finite-difference gradient); the extra starts then run only when
    /// the first one does not end at a clean optimum.
    fn cheap(&self) -> bool {
        true
    }
}

/// Parameters are kept within e^±LOG_BOUND (about 1e-13 to 1e13): beyond that
/// every model here has degenerated (no purchases, no dropout) and the
/// likelihood is flat up to rounding, which an optimiser would happily chase.
const LOG_BOUND: f64 = 30.0;

struct Bounded<'a>(&'a dyn LogLikelihood);

impl Objective for Bounded<'_> {
    fn value(&self, x: &[f64]) -> f64 {
        if x.iter().any(|v| v.abs() > LOG_BOUND) {
            return f64::INFINITY;
        }
        self.0.value(x)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if x.iter().any(|v| v.abs() > LOG_BOUND) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return f64::INFINITY;
        }
        self.0.value_grad(x, grad)
    }
    fn value_grad_hess(&self, x: &[f64], grad: &mut [f64], hess: &mut [Vec<f64>]) -> Option<f64> {
        if x.iter().any(|v| v.abs() > LOG_BOUND) {
            grad.iter_mut().for_each(|g| *g = f64::NAN);
            return Some(f64::INFINITY);
        }
        self.0.value_grad_hess(x, grad, hess)
    }
}

/// A gradient (per log-parameter, of -ln L) below this counts as zero: moving
/// any parameter by 1% then changes ln L by less than 1e-4 per 10,000 units of
/// ln L, far below what any decision rests on, and above the rounding noise of
/// a finite-difference gradient.
pub fn gradient_tolerance(neg_log_likelihood: f64) -> f64 {
    1e-4 + 1e-6 * neg_log_likelihood.abs()
}

/// Offsets (in log-parameter space) of the extra starting points: the start
/// itself, everything larger, everything smaller, and the two mixed patterns.
/// Several starts guard against a ridge or a second mode that one run follows
/// to a wrong answer (one outlying customer can create both).
fn start_offsets(n: usize) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; n]];
    for pattern in [[2.0, 2.0], [-2.0, -2.0], [2.0, -2.0], [-2.0, 2.0]] {
        out.push((0..n).map(|i| pattern[i % 2]).collect());
    }
    out
}

/// True when a run ended inside the bounds with a ~0 gradient.
fn clean_optimum(ll: &dyn LogLikelihood, m: &crate::optimize::Minimum) -> bool {
    if !m.value.is_finite() || m.x.iter().any(|x| x.abs() > LOG_BOUND - 1.0) {
        return false;
    }
    let mut grad = vec![0.0; m.x.len()];
    ll.value_grad(&m.x, &mut grad);
    grad.iter().all(|g| g.abs() <= gradient_tolerance(m.value))
}

/// A sharp optimum: a clean one ([`clean_optimum`]) that the optimiser
/// itself called converged, well inside the parameter space (|ln θ| < 10 for
/// every parameter), with a positive definite Hessian and every log-parameter
/// pinned to within a standard error of 0.5 (about ±50%). A ridge, a boundary
/// or a flat direction fails one of these, and those are where other starts
/// can end elsewhere.
fn sharp_optimum(ll: &dyn LogLikelihood, m: &crate::optimize::Minimum) -> bool {
    if !m.converged || m.x.iter().any(|x| x.abs() >= 10.0) || !clean_optimum(ll, m) {
        return false;
    }
    let n = m.x.len();
    let (mut grad, mut exact) = (vec![0.0; n], vec![vec![0.0; n]; n]);
    let h = match ll.value_grad_hess(&m.x, &mut grad, &mut exact) {
        Some(_) => exact,
        None => hessian(ll, &m.x),
    };
    invert_spd(&h).is_some_and(|c| (0..n).all(|i| c[i][i] > 0.0 && c[i][i].sqrt() < 0.5))
}

/// Which starting points a fit runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starts {
    /// All of them where an evaluation is cheap; for a costly likelihood the
    /// extra starts only when the first does not end at a clean optimum.
    Usual,
    /// The extra starts only when the first does not end at a sharp optimum
    /// ([`sharp_optimum`]). The result is then the first start's, which can
    /// differ from the best of all starts in the last bits (both are the same
    /// optimum to within the optimiser's tolerance), so only for output
    /// rounded to a few digits: `journey clv fit` prints 6 decimals, and for
    /// BG/NBD a test checks on hundreds of generated data sets that the printed
    /// digits are those of all starts (evidence, not proof, that a sharp
    /// optimum is the only one).
    OneIfSharp,
}

/// Maximise `ll` from `start` (natural-scale parameters) and from a few
/// starts around it; keep the best, and call it converged only if the
/// gradient there is ~0 and no parameter sits at the bound.
pub fn fit_log_params(
    ll: &dyn LogLikelihood,
    start: &[f64],
    customers: f64,
    distinct_rows: usize,
) -> Result<FitReport> {
    fit_log_params_from(ll, start, customers, distinct_rows, Starts::Usual)
}

/// [`fit_log_params`] running the starts `starts` says.
pub fn fit_log_params_from(
    ll: &dyn LogLikelihood,
    start: &[f64],
    customers: f64,
    distinct_rows: usize,
    starts: Starts,
) -> Result<FitReport> {
    let x0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut runs: Vec<crate::optimize::Minimum> = Vec::new();
    for (k, offset) in start_offsets(x0.len()).into_iter().enumerate() {
        if k == 1 {
            let enough = match starts {
                Starts::Usual => !ll.cheap() && clean_optimum(ll, &runs[0]),
                Starts::OneIfSharp => sharp_optimum(ll, &runs[0]),
            };
            if enough {
                break;
            }
        }
        let from: Vec<f64> =
            x0.iter().zip(&offset).map(|(x, o)| (x + o).clamp(-LOG_BOUND + 1.0, LOG_BOUND - 1.0)).collect();
        runs.push(minimize(&Bounded(ll), &from));
    }
    let best_value = runs.iter().map(|r| r.value).fold(f64::INFINITY, f64::min);
    let mut warnings = Vec::new();
    // Starts that stopped at a clearly worse point (a ridge, a second mode) are
    // worth saying when the best point also looks doubtful; a worse stop with a
    // clean optimum elsewhere is just the optimiser's business.
    let stalled = runs.iter().filter(|r| r.value.is_finite() && r.value > best_value + 1.0).count();
    let m = runs.into_iter().min_by(|a, b| a.value.total_cmp(&b.value)).expect("at least one start");
    if !m.value.is_finite() {
        return Err(ClvError::FitFailed {
            model: ll.model(),
            message: "the likelihood is not finite anywhere the optimiser looked".into(),
        });
    }
    let params: Vec<f64> = m.x.iter().map(|v| v.exp()).collect();
    if params.iter().any(|p| !p.is_finite() || *p <= 0.0) {
        return Err(ClvError::FitFailed { model: ll.model(), message: format!("parameters ran off to {params:?}") });
    }
    let mut grad = vec![0.0; m.x.len()];
    ll.value_grad(&m.x, &mut grad);
    let gradient_max = grad.iter().fold(0.0f64, |acc, g| if g.is_finite() { acc.max(g.abs()) } else { f64::INFINITY });
    let at_bound: Vec<&str> =
        ll.names().into_iter().zip(&m.x).filter(|(_, x)| x.abs() > LOG_BOUND - 1.0).map(|(n, _)| n).collect();
    if !at_bound.is_empty() {
        warnings.push(format!(
            "{} ran to the edge of the search (beyond e^±{}): the data cannot pin {} down, so the fit is not a proper maximum",
            at_bound.join(", "),
            LOG_BOUND as i32 - 1,
            if at_bound.len() == 1 { "it" } else { "them" }
        ));
    }
    let tolerance = gradient_tolerance(m.value);
    if gradient_max > tolerance {
        warnings.push(format!(
            "the gradient at the reported point is {gradient_max:.2e}, not ~0 (tolerance {tolerance:.1e}): the optimiser stopped short of the maximum"
        ));
    }
    let converged = at_bound.is_empty() && gradient_max <= tolerance;
    if !converged && stalled > 0 {
        warnings.push(format!("{stalled} of the starting points stopped at a worse point (a ridge or a second mode)"));
    }
    // The exact Hessian where the model has one; central differences otherwise.
    let mut exact = vec![vec![0.0; m.x.len()]; m.x.len()];
    let h = match ll.value_grad_hess(&m.x, &mut grad, &mut exact) {
        Some(_) => exact,
        None => hessian(ll, &m.x),
    };
    let log_covariance = invert_spd(&h);
    let std_errors: Option<Vec<f64>> =
        log_covariance.as_ref().map(|c| params.iter().enumerate().map(|(i, p)| p * c[i][i].max(0.0).sqrt()).collect());
    if let Some(se) = &std_errors {
        warnings.extend(loose_parameters(&ll.names(), &params, se));
    }
    Ok(FitReport {
        model: ll.model(),
        names: ll.names(),
        params,
        log_likelihood: -m.value,
        std_errors,
        log_covariance,
        customers,
        distinct_rows,
        iterations: m.iterations,
        evaluations: m.evaluations,
        converged,
        gradient_max,
        warnings,
    })
}
