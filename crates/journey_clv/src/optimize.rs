//! Minimisers for the small (2-4 parameter) likelihood problems here: BFGS with a
//! backtracking line search, Nelder-Mead as the derivative-free fallback, and a
//! finite-difference Hessian for standard errors.
//!
//! All models optimise over log-parameters so every point the optimiser visits
//! is a valid (positive) parameter vector and the problem is better scaled.

/// A function to minimise. `value` may return +inf or NaN for infeasible points;
/// the line search and the simplex both treat those as "worse than anything".
pub trait Objective {
    fn value(&self, x: &[f64]) -> f64;

    /// Value and gradient. The default is a central finite difference, which is
    /// what models without an analytic gradient use.
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let f = self.value(x);
        let mut xp = x.to_vec();
        for i in 0..x.len() {
            // eps^(1/3): balances truncation against rounding in f.
            let h = 6e-6 * x[i].abs().max(1.0);
            xp[i] = x[i] + h;
            let fp = self.value(&xp);
            xp[i] = x[i] - h;
            let fm = self.value(&xp);
            xp[i] = x[i];
            grad[i] = (fp - fm) / (2.0 * h);
        }
        f
    }

    /// Value, gradient and Hessian, for objectives with an exact Hessian: the
    /// optimiser then tries Newton's method first, and standard errors come
    /// from it rather than from finite differences. None (the default) means
    /// there is none.
    fn value_grad_hess(&self, _x: &[f64], _grad: &mut [f64], _hess: &mut [Vec<f64>]) -> Option<f64> {
        None
    }
}

/// Where an optimiser stopped and why.
#[derive(Debug, Clone)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        f64::INFINITY
    }
}

/// Quasi-Newton minimisation (BFGS update of the inverse Hessian).
pub fn bfgs(obj: &dyn Objective, x0: &[f64], max_iter: usize) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut f = finite(obj.value_grad(&x, &mut g));
    let mut evaluations = 1;
    let mut h = identity(n);
    let mut converged = false;
    let mut iterations = 0;
    let mut small_steps = 0;
    let mut first = true;
    while iterations < max_iter {
        iterations += 1;
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
            break;
        }
        if max_abs(&g) < 1e-9 {
            converged = true;
            break;
        }
        let mut p = mat_vec(&h, &g);
        p.iter_mut().for_each(|v| *v = -*v);
        let mut slope = dot(&g, &p);
        if slope >= 0.0 {
            // Lost positive definiteness: restart from steepest descent.
            h = identity(n);
            p = g.iter().map(|v| -v).collect();
            slope = dot(&g, &p);
        }
        // On the first step the inverse Hessian is the identity, so limit the step
        // to one unit in log-parameter space rather than trusting |g|.
        let t = if first { (1.0 / max_abs(&p)).min(1.0) } else { 1.0 };
        first = false;
        let mut g_new = vec![0.0; n];
        let search = LineSearch { x: &x, p: &p, f, slope };
        let accepted = search.backtrack(t, 60, &mut g_new, &mut evaluations, |x, g| finite(obj.value_grad(x, g)));
        let Some((x_new, f_new, _)) = accepted else {
            // No descent along p: we are at the optimum to the precision the
            // function (and a finite-difference gradient) allows if the gradient is
            // small relative to the objective's size; otherwise stalled.
            converged = max_abs(&g) < 1e-6 * (1.0 + f.abs());
            break;
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            bfgs_update(&mut h, &s, &y, sy);
        }
        let df = f - f_new;
        x = x_new;
        g.copy_from_slice(&g_new);
        f = f_new;
        if df.abs() <= 1e-14 * (1.0 + f.abs()) {
            small_steps += 1;
            if small_steps >= 3 {
                converged = max_abs(&g) < 1e-6 * (1.0 + f.abs());
                break;
            }
        } else {
            small_steps = 0;
        }
    }
    Minimum { x, value: f, iterations, evaluations, converged }
}

fn bfgs_update(h: &mut [Vec<f64>], s: &[f64], y: &[f64], sy: f64) {
    // H+ = (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ
    let n = s.len();
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// Damped Newton's method on an objective with an exact Hessian; None if it
/// has none. Each step solves (H + μI) p = -g, μ = 0 while H is positive
/// definite and grown until it is otherwise (far from the optimum the
/// likelihood need not be convex), steps are capped at [`NEWTON_MAX_STEP`] and
/// backtracked until the value decreases enough. Near the optimum the full step
/// is taken and the error squares at every step, so a fit takes a handful of
/// evaluations where BFGS needs dozens.
pub fn newton(obj: &dyn Objective, x0: &[f64], max_iter: usize) -> Option<Minimum> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut h = vec![vec![0.0; n]; n];
    let mut f = finite(obj.value_grad_hess(&x, &mut g, &mut h)?);
    let mut evaluations = 1;
    let mut iterations = 0;
    let mut converged = false;
    let (mut g_new, mut h_new) = (vec![0.0; n], vec![vec![0.0; n]; n]);
    while iterations < max_iter {
        iterations += 1;
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) || h.iter().flatten().any(|v| !v.is_finite()) {
            break;
        }
        if max_abs(&g) < 1e-9 {
            converged = true;
            break;
        }
        let Some((mut p, damped)) = damped_newton_step(&h, &g) else {
            break;
        };
        let longest = max_abs(&p);
        if !damped && longest < NEWTON_DONE {
            // The quadratic model puts the optimum within NEWTON_DONE of x:
            // there, if the gradient is as small as rounding lets it be.
            converged = max_abs(&g) < 1e-6 * (1.0 + f.abs());
            break;
        }
        if longest > NEWTON_MAX_STEP {
            p.iter_mut().for_each(|v| *v *= NEWTON_MAX_STEP / longest);
        }
        let slope = dot(&g, &p);
        // Written so a NaN slope also stops.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        let no_descent = !(slope < 0.0);
        if no_descent {
            break;
        }
        if !damped && -slope < 1e-12 * (1.0 + f.abs()) {
            // The decrease the step promises is below what the value can
            // resolve, so a line search would only halve it against rounding
            // noise: the quadratic model is exact to far better than that
            // here, so take the step as it is and stop.
            let x_new: Vec<f64> = x.iter().zip(&p).map(|(xi, pi)| xi + pi).collect();
            let f_new = obj.value_grad_hess(&x_new, &mut g_new, &mut h_new).map_or(f64::INFINITY, finite);
            evaluations += 1;
            if f_new.is_finite() && f_new <= f + 1e-12 * (1.0 + f.abs()) && g_new.iter().all(|v| v.is_finite()) {
                x = x_new;
                f = f_new;
                std::mem::swap(&mut g, &mut g_new);
            }
            converged = max_abs(&g) < 1e-6 * (1.0 + f.abs());
            break;
        }
        // Halving 30 times takes the step below 1e-9 of its length: by then
        // there is nothing left to gain along it.
        let search = LineSearch { x: &x, p: &p, f, slope };
        let accepted = search.backtrack(1.0, 30, &mut g_new, &mut evaluations, |x, g| {
            obj.value_grad_hess(x, g, &mut h_new).map_or(f64::INFINITY, finite)
        });
        let Some((x_new, f_new, t)) = accepted else {
            // No decrease along a descent direction: at the optimum to the
            // precision of the function, if the gradient is small for its size.
            converged = !damped && max_abs(&g) < 1e-6 * (1.0 + f.abs());
            break;
        };
        x = x_new;
        f = f_new;
        std::mem::swap(&mut g, &mut g_new);
        std::mem::swap(&mut h, &mut h_new);
        // A step this short changes nothing that matters: the line search
        // is down to rounding noise in the value.
        if longest * t < NEWTON_DONE * 1e-3 {
            converged = !damped && max_abs(&g) < 1e-6 * (1.0 + f.abs());
            break;
        }
    }
    Some(Minimum { x, value: f, iterations, evaluations, converged })
}

/// A backtracking (Armijo) line search from `x` along the descent direction `p`,
/// where the value is `f` and its slope along `p` is `slope`.
struct LineSearch<'a> {
    x: &'a [f64],
    p: &'a [f64],
    f: f64,
    slope: f64,
}

impl LineSearch<'_> {
    /// Try steps `t`, `t/2`, … (`tries` of them) until `eval` (the value, filling the
    /// gradient) decreases enough with a finite gradient: the point, its value and
    /// the step taken; `grad` then holds its gradient.
    fn backtrack(
        &self,
        mut t: f64,
        tries: usize,
        grad: &mut [f64],
        evaluations: &mut usize,
        mut eval: impl FnMut(&[f64], &mut [f64]) -> f64,
    ) -> Option<(Vec<f64>, f64, f64)> {
        for _ in 0..tries {
            let x_new: Vec<f64> = self.x.iter().zip(self.p).map(|(xi, pi)| xi + t * pi).collect();
            let f_new = eval(&x_new, grad);
            *evaluations += 1;
            if f_new <= self.f + 1e-4 * t * self.slope && grad.iter().all(|v| v.is_finite()) {
                return Some((x_new, f_new, t));
            }
            t *= 0.5;
        }
        None
    }
}

/// A Newton step shorter than this (in log-parameters: relative changes of the
/// parameters) ends the search: the next would be shorter still, quadratically,
/// and far below any printed digit.
const NEWTON_DONE: f64 = 1e-9;

/// Longest Newton step, in log-parameters (a factor e² on a parameter): the
/// quadratic model is not trusted further.
const NEWTON_MAX_STEP: f64 = 2.0;

/// Solve (H + μI) p = -g with the smallest μ in 0, 1e-8·s, 1e-7·s, ... (s the
/// largest |H_ii|, at least 1) for which H + μI is positive definite; the step
/// and whether it was damped.
fn damped_newton_step(h: &[Vec<f64>], g: &[f64]) -> Option<(Vec<f64>, bool)> {
    let n = g.len();
    let scale = (0..n).map(|i| h[i][i].abs()).fold(1.0, f64::max);
    let mut mu = 0.0;
    for _ in 0..24 {
        let m: Vec<Vec<f64>> =
            (0..n).map(|i| (0..n).map(|j| h[i][j] + if i == j { mu } else { 0.0 }).collect()).collect();
        if let Some(l) = cholesky(&m) {
            return Some((cholesky_solve(&l, &g.iter().map(|v| -v).collect::<Vec<_>>()), mu > 0.0));
        }
        mu = if mu == 0.0 { 1e-8 * scale } else { mu * 10.0 };
    }
    None
}

/// Solve L Lᵀ x = b for a lower-triangular Cholesky factor L.
#[allow(clippy::needless_range_loop)] // triangular solves read clearest with indices
fn cholesky_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

/// Nelder-Mead simplex with the standard coefficients; used when BFGS stalls.
pub fn nelder_mead(obj: &dyn Objective, x0: &[f64], step: f64, max_evals: usize) -> Minimum {
    let n = x0.len();
    let mut simplex: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut v = x0.to_vec();
        v[i] += step;
        simplex.push(v);
    }
    let mut values: Vec<f64> = simplex.iter().map(|v| finite(obj.value(v))).collect();
    let mut evaluations = n + 1;
    let mut iterations = 0;
    let mut converged = false;
    while evaluations < max_evals {
        iterations += 1;
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        let spread = values[n] - values[0];
        let size = simplex[1..]
            .iter()
            .map(|v| v.iter().zip(&simplex[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
            .fold(0.0, f64::max);
        if spread.is_finite() && spread <= 1e-12 * (1.0 + values[0].abs()) && size < 1e-9 {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..n).map(|j| simplex[..n].iter().map(|v| v[j]).sum::<f64>() / n as f64).collect();
        let along =
            |coef: f64| -> Vec<f64> { centroid.iter().zip(&simplex[n]).map(|(c, w)| c + coef * (c - w)).collect() };
        let xr = along(1.0);
        let fr = finite(obj.value(&xr));
        evaluations += 1;
        if fr < values[0] {
            let xe = along(2.0);
            let fe = finite(obj.value(&xe));
            evaluations += 1;
            if fe < fr {
                simplex[n] = xe;
                values[n] = fe;
            } else {
                simplex[n] = xr;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = xr;
            values[n] = fr;
        } else {
            let (xc, fc) = if fr < values[n] {
                let xc = along(0.5);
                let fc = finite(obj.value(&xc));
                (xc, fc)
            } else {
                let xc = along(-0.5);
                let fc = finite(obj.value(&xc));
                (xc, fc)
            };
            evaluations += 1;
            if fc < values[n].min(fr) {
                simplex[n] = xc;
                values[n] = fc;
            } else {
                // Shrink towards the best vertex.
                for i in 1..=n {
                    let v: Vec<f64> = simplex[0].iter().zip(&simplex[i]).map(|(b, w)| b + 0.5 * (w - b)).collect();
                    values[i] = finite(obj.value(&v));
                    simplex[i] = v;
                }
                evaluations += n;
            }
        }
    }
    let best = (0..=n).min_by(|&a, &b| values[a].total_cmp(&values[b])).unwrap_or(0);
    Minimum { x: simplex[best].clone(), value: values[best], iterations, evaluations, converged }
}

/// Newton's method first where the objective has an exact Hessian; otherwise,
/// or if it does not converge, BFGS; if that does not converge either,
/// Nelder-Mead from where it stopped and a second BFGS polish. Returns the best
/// point seen.
pub fn minimize(obj: &dyn Objective, x0: &[f64]) -> Minimum {
    let newton = newton(obj, x0, 100);
    if let Some(m) = &newton {
        if m.converged {
            return m.clone();
        }
    }
    let mut m = minimize_without_hessian(obj, x0);
    if let Some(nm) = newton {
        if nm.value < m.value {
            m = Minimum { evaluations: m.evaluations + nm.evaluations, ..nm };
        } else {
            m.evaluations += nm.evaluations;
        }
    }
    m
}

/// BFGS first; if it does not converge, Nelder-Mead from where it stopped and a
/// second BFGS polish. Returns the best point seen.
fn minimize_without_hessian(obj: &dyn Objective, x0: &[f64]) -> Minimum {
    let first = bfgs(obj, x0, 500);
    if first.converged {
        return first;
    }
    let start = if first.value.is_finite() { first.x.clone() } else { x0.to_vec() };
    let nm = nelder_mead(obj, &start, 0.5, 3_000);
    let polish = bfgs(obj, &nm.x, 500);
    // The best point; whether it is an optimum is for the caller to check
    // (fit.rs tests the gradient there) rather than assumed because it is finite.
    [first, nm, polish].into_iter().min_by(|a, b| a.value.total_cmp(&b.value)).expect("three candidates")
}

/// Hessian of the objective at x by central differences of the function value.
pub fn hessian(obj: &dyn Objective, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let f0 = obj.value(x);
    let h: Vec<f64> = x.iter().map(|v| 1e-4 * v.abs().max(1.0)).collect();
    let mut out = vec![vec![0.0; n]; n];
    let eval = |di: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(i, d) in di {
            p[i] += d;
        }
        obj.value(&p)
    };
    for i in 0..n {
        let fp = eval(&[(i, h[i])]);
        let fm = eval(&[(i, -h[i])]);
        out[i][i] = (fp - 2.0 * f0 + fm) / (h[i] * h[i]);
        for j in 0..i {
            let fpp = eval(&[(i, h[i]), (j, h[j])]);
            let fpm = eval(&[(i, h[i]), (j, -h[j])]);
            let fmp = eval(&[(i, -h[i]), (j, h[j])]);
            let fmm = eval(&[(i, -h[i]), (j, -h[j])]);
            let v = (fpp - fpm - fmp + fmm) / (4.0 * h[i] * h[j]);
            out[i][j] = v;
            out[j][i] = v;
        }
    }
    out
}

/// Inverse of a small symmetric positive definite matrix via Cholesky; None if
/// it is not positive definite (the fit is then not at a proper maximum).
#[allow(clippy::needless_range_loop)] // triangular solves read clearest with indices
pub fn invert_spd(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let l = cholesky(m)?;
    // Solve L Lᵀ X = I column by column.
    let mut inv = vec![vec![0.0; n]; n];
    for col in 0..n {
        let unit: Vec<f64> = (0..n).map(|i| if i == col { 1.0 } else { 0.0 }).collect();
        let xcol = cholesky_solve(&l, &unit);
        for i in 0..n {
            inv[i][col] = xcol[i];
        }
    }
    Some(inv)
}

/// Lower-triangular Cholesky factor; None unless positive definite.
#[allow(clippy::needless_range_loop)]
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = m[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosenbrock;
    impl Objective for Rosenbrock {
        fn value(&self, x: &[f64]) -> f64 {
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        }
    }

    #[test]
    fn bfgs_and_nelder_mead_find_rosenbrock_minimum() {
        let m = minimize(&Rosenbrock, &[-1.2, 1.0]);
        assert!((m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5, "{m:?}");
        let nm = nelder_mead(&Rosenbrock, &[-1.2, 1.0], 0.5, 10_000);
        assert!((nm.x[0] - 1.0).abs() < 1e-4, "{nm:?}");
    }

    #[test]
    fn hessian_and_inverse() {
        struct Quad;
        impl Objective for Quad {
            fn value(&self, x: &[f64]) -> f64 {
                2.0 * x[0] * x[0] + x[0] * x[1] + x[1] * x[1]
            }
        }
        let h = hessian(&Quad, &[0.3, -0.2]);
        assert!((h[0][0] - 4.0).abs() < 1e-5 && (h[0][1] - 1.0).abs() < 1e-5);
        let inv = invert_spd(&h).unwrap();
        // [[4,1],[1,2]]^-1 = [[2,-1],[-1,4]]/7
        assert!((inv[0][0] - 2.0 / 7.0).abs() < 1e-5 && (inv[0][1] + 1.0 / 7.0).abs() < 1e-5);
    }
}
