//! What every maximum-likelihood fit here returns, and the shared driver that
//! optimises over log-parameters and derives standard errors from the Hessian.

use serde::Serialize;

use crate::error::{ClvError, Result};
use crate::optimize::{hessian, invert_spd, minimize, Objective};

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
    pub converged: bool,
}

impl FitReport {
    pub fn param(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| *n == name).map(|i| self.params[i])
    }
}

/// Negative log-likelihood over log-parameters.
pub trait LogLikelihood: Objective {
    fn model(&self) -> &'static str;
    fn names(&self) -> Vec<&'static str>;
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
}

/// Maximise `ll` from `start` (natural-scale parameters).
pub fn fit_log_params(
    ll: &dyn LogLikelihood,
    start: &[f64],
    customers: f64,
    distinct_rows: usize,
) -> Result<FitReport> {
    let x0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let m = minimize(&Bounded(ll), &x0);
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
    let h = hessian(ll, &m.x);
    let log_covariance = invert_spd(&h);
    let std_errors =
        log_covariance.as_ref().map(|c| params.iter().enumerate().map(|(i, p)| p * c[i][i].max(0.0).sqrt()).collect());
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
        converged: m.converged,
    })
}
