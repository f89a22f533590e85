//! Special functions the likelihoods need: log-gamma, digamma, log-beta and the
//! Gauss hypergeometric function 2F1 on [0, 1).
//!
//! Hand-written rather than pulled from a crate so the numerical choices (which
//! transformation of 2F1 to sum, when to stop) are visible and tested here.

use std::f64::consts::PI;

/// Lanczos coefficients (g = 7, n = 9); relative error below 1e-15 for x > 0.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0 (reflection below 0.5 keeps the Lanczos sum accurate).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.5 {
        // Γ(x)Γ(1-x) = π / sin(πx)
        return (PI / (PI * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// ln Γ(a+n) - ln Γ(a) = Σ_{j<n} ln(a+j), summed directly for moderate n: the
/// difference of two ln Γ values loses every digit when a is large, and the
/// likelihoods need this for every purchase count. For large n the cost must
/// not grow with n (a summary row may claim a billion purchases), so it is a
/// closed form: ln Γ differences for moderate a, Stirling's series for large a.
pub fn ln_rising(a: f64, n: u32) -> f64 {
    if n > 256 {
        return if a < 1e6 { ln_gamma(a + n as f64) - ln_gamma(a) } else { ln_rising_stirling(a, n as f64) };
    }
    let mut s = 0.0;
    let mut prod = 1.0f64;
    for j in 0..n {
        // Multiply in blocks and take one log per block: same accuracy, fewer logs.
        prod *= a + j as f64;
        if !(1e-250..=1e250).contains(&prod) || j % 16 == 15 {
            s += prod.ln();
            prod = 1.0;
        }
    }
    s + prod.ln()
}

/// ln Γ(a+n) - ln Γ(a) for a >= 1e6 from Stirling's series, written so the
/// large terms cancel analytically: (a-½) ln(1+n/a) + n ln(a+n) - n plus the
/// 1/(12x) corrections (the next term is below 1e-19 there).
fn ln_rising_stirling(a: f64, n: f64) -> f64 {
    (a - 0.5) * (n / a).ln_1p() + n * (a + n).ln() - n + (1.0 / (a + n) - 1.0 / a) / 12.0
}

/// ψ(a+n) - ψ(a) = Σ_{j<n} 1/(a+j): the sum for small n (exact where a
/// difference of digammas cancels), a closed form for large n.
pub fn digamma_rising(a: f64, n: u32) -> f64 {
    if n <= 256 {
        return (0..n).map(|j| 1.0 / (a + j as f64)).sum();
    }
    let nf = n as f64;
    if a < 1e6 {
        digamma(a + nf) - digamma(a)
    } else {
        // ψ(x) = ln x - 1/(2x) - 1/(12x²) + ..., differenced without cancelling.
        (nf / a).ln_1p() - 0.5 * (1.0 / (a + nf) - 1.0 / a) - (1.0 / ((a + nf) * (a + nf)) - 1.0 / (a * a)) / 12.0
    }
}

/// ψ'(a) - ψ'(a+n) = Σ_{j<n} 1/(a+j)², the second derivative counterpart of
/// [`digamma_rising`] (the exact Hessians need it): the sum for small n, a
/// closed form for large n so the cost does not grow with n.
pub fn trigamma_rising(a: f64, n: u32) -> f64 {
    if n <= 256 {
        return (0..n).map(|j| 1.0 / ((a + j as f64) * (a + j as f64))).sum();
    }
    let nf = n as f64;
    if a < 1e6 {
        trigamma(a) - trigamma(a + nf)
    } else {
        // ψ'(x) = 1/x + 1/(2x²) + 1/(6x³) - ..., differenced term by term so
        // nothing cancels: 1/a - 1/(a+n) = n/(a(a+n)).
        let b = a + nf;
        nf / (a * b) + 0.5 * nf * (a + b) / (a * a * b * b) + (1.0 / (a * a * a) - 1.0 / (b * b * b)) / 6.0
    }
}

/// ψ'(x) for x > 0: shift x above 12 with ψ'(x) = ψ'(x+1) + 1/x², then the
/// asymptotic series, whose first omitted term is below 1e-15 there.
pub fn trigamma(mut x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut result = 0.0;
    while x < 12.0 {
        result += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // 1/x + 1/(2x²) + 1/(6x³) - 1/(30x⁵) + 1/(42x⁷) - 1/(30x⁹) + 5/(66x¹¹)
    result
        + inv
            * (1.0
                + inv * 0.5
                + inv2
                    * (1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 * (1.0 / 30.0 - inv2 * 5.0 / 66.0)))))
}

/// ln B(a, b)
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// ψ(x), the derivative of ln Γ: shift x above 12 with the recurrence, then use
/// the asymptotic series, whose first omitted term is below 3e-15 there.
pub fn digamma(mut x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 && x == x.floor() {
        return f64::NAN;
    }
    let mut result = 0.0;
    if x < 0.0 {
        // ψ(1-x) - ψ(x) = π cot(πx)
        result -= PI / (PI * x).tan();
        x = 1.0 - x;
    }
    while x < 12.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    result + x.ln()
        - 0.5 * inv
        - inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))))
}

/// ln(e^a + e^b) without overflow; tolerates -inf on either side.
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// ln(e^a - e^b) for a >= b; -inf when they are equal.
pub fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b == f64::NEG_INFINITY {
        return a;
    }
    if a < b {
        return f64::NAN;
    }
    if a == b {
        return f64::NEG_INFINITY;
    }
    a + (-(-(a - b)).exp_m1()).ln()
}

/// Largest number of series terms before 2F1 gives up: at z = 0.999 the terms
/// shrink by about 1e-3 per 7,000 terms, so this covers z up to about 0.9995.
const MAX_TERMS: usize = 200_000;

/// ln 2F1(a, b; c; z) for 0 <= z < 1 and c > 0, when the function is positive.
///
/// The series converges for |z| < 1 at a rate of about z^n n^(a+b-c-1). Euler's
/// transformation 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) has the same
/// geometric rate but terms of order n^(c-a-b-1), so whichever of the two has
/// the smaller polynomial factor is summed. That also keeps the summands small:
/// in the likelihoods a and b grow with the purchase count x while c - a and
/// c - b do not, and the (1-z)^(c-a-b) factor is taken exactly in log space.
///
/// Returns `None` when the series does not converge within [`MAX_TERMS`] or the
/// sum is not positive (the caller treats that parameter point as infeasible).
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) || c <= 0.0 || !(a.is_finite() && b.is_finite() && c.is_finite()) {
        return None;
    }
    if z == 0.0 {
        return Some(0.0);
    }
    if a + b > c {
        let s = series_2f1(c - a, c - b, c, z)?;
        Some((c - a - b) * (-z).ln_1p() + s.ln())
    } else {
        Some(series_2f1(a, b, c, z)?.ln())
    }
}

/// 2F1(a, b; c; z) itself (see [`ln_hyp2f1`]).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    ln_hyp2f1(a, b, c, z).map(f64::exp)
}

/// Plain power series, summed until a term no longer changes the sum.
fn series_2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        sum += term;
        if term == 0.0 {
            // A zero parameter ends the series: it is a polynomial.
            return (sum > 0.0 && sum.is_finite()).then_some(sum);
        }
        // Stop once the terms are negligible and shrinking (the ratio has passed
        // its peak): ratio < 1 means all later terms are smaller still, bounded
        // by a geometric tail of ratio at most max(z, current ratio).
        let ratio = ((a + nf + 1.0) * (b + nf + 1.0) / ((c + nf + 1.0) * (nf + 2.0)) * z).abs();
        if ratio < 1.0 && (term.abs() / (1.0 - ratio)) <= 1e-16 * sum.abs() {
            return (sum > 0.0 && sum.is_finite()).then_some(sum);
        }
        if !sum.is_finite() {
            return None;
        }
    }
    None
}

/// ∫ f over [lo, hi] by composite Gauss-Legendre (16 nodes per panel).
/// Used where a closed form would subtract nearly equal numbers and to check
/// the closed forms in tests.
pub fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64, panels: usize) -> f64 {
    let (nodes, weights) = gauss_legendre_16();
    let width = (hi - lo) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let a = lo + p as f64 * width;
        let mid = a + 0.5 * width;
        for (x, w) in nodes.iter().zip(weights) {
            total += w * f(mid + 0.5 * width * x);
        }
    }
    total * 0.5 * width
}

/// ln ∫ e^g(u) du over [lo, hi] for a log-integrand g, by composite
/// Gauss-Legendre with the largest term factored out (no overflow or underflow
/// whatever the scale of the integrand).
pub fn ln_integrate(g: impl Fn(f64) -> f64, lo: f64, hi: f64, panels: usize) -> f64 {
    if hi <= lo {
        return f64::NEG_INFINITY;
    }
    let (nodes, weights) = gauss_legendre_16();
    let width = (hi - lo) / panels as f64;
    let mut values = Vec::with_capacity(panels * 16);
    for p in 0..panels {
        let mid = lo + (p as f64 + 0.5) * width;
        for (x, w) in nodes.iter().zip(weights) {
            values.push((g(mid + 0.5 * width * x), *w));
        }
    }
    let top = values.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return top;
    }
    let sum: f64 = values.iter().map(|(v, w)| w * (v - top).exp()).sum();
    top + (sum * 0.5 * width).ln()
}

/// Nodes and weights on [-1, 1] (see [`legendre_nodes`]), found once: Pareto/NBD
/// integrates for many of its rows at every likelihood evaluation, and finding the
/// nodes again each time was a quarter of a fit.
fn gauss_legendre_16() -> &'static ([f64; 16], [f64; 16]) {
    static NODES: std::sync::OnceLock<([f64; 16], [f64; 16])> = std::sync::OnceLock::new();
    NODES.get_or_init(legendre_nodes)
}

/// Nodes and weights on [-1, 1], found by Newton's method on P_16.
fn legendre_nodes() -> ([f64; 16], [f64; 16]) {
    const N: usize = 16;
    let mut nodes = [0.0; N];
    let mut weights = [0.0; N];
    for i in 0..N {
        let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
        for _ in 0..100 {
            let (p, dp) = legendre(N, x);
            let dx = p / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(N, x);
        nodes[i] = x;
        weights[i] = 2.0 / ((1.0 - x * x) * dp * dp);
    }
    (nodes, weights)
}

/// P_n(x) and its derivative by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    for k in 2..=n {
        let kf = k as f64;
        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
        p0 = p1;
        p1 = p2;
    }
    let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, dp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14));
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-14));
        assert!(close(ln_gamma(0.1), 2.252_712_651_734_206, 1e-13));
        assert!(close(ln_gamma(171.5), 709.143_163_030_928_2, 1e-13));
    }

    #[test]
    fn rising_factorial_matches_gamma() {
        for &(a, n) in &[(0.3, 0u32), (0.3, 1), (2.5, 17), (0.01, 40), (3.0, 300)] {
            assert!(close(ln_rising(a, n), ln_gamma(a + n as f64) - ln_gamma(a), 1e-12), "{a} {n}");
        }
        // huge a: ln Γ differences would give 0 here
        assert!(close(ln_rising(1e15, 2), 2.0 * 1e15f64.ln(), 1e-14));
        // huge a and n: the closed form against the direct sum just above its cut-off
        let direct: f64 = (0..300).map(|j| (2e7 + j as f64).ln()).sum();
        assert!(close(ln_rising_stirling(2e7, 300.0), direct, 1e-14));
        assert!(close(ln_rising(2e7, 300), direct, 1e-14));
    }

    #[test]
    fn digamma_rising_matches_the_sum() {
        for &(a, n) in &[(0.3, 0u32), (0.3, 5), (2.5, 300), (0.01, 1000), (2e7, 400), (3e12, 1_000)] {
            let sum: f64 = (0..n).map(|j| 1.0 / (a + j as f64)).sum();
            let d = digamma_rising(a, n);
            assert!((d - sum).abs() <= 1e-10 * sum.abs(), "{a} {n}: {d} vs {sum}");
        }
    }

    #[test]
    fn trigamma_known_values_and_rising_sums() {
        // ψ'(1) = π²/6, ψ'(1/2) = π²/2
        assert!(close(trigamma(1.0), PI * PI / 6.0, 1e-14), "{}", trigamma(1.0));
        assert!(close(trigamma(0.5), PI * PI / 2.0, 1e-14));
        let at_30 = PI * PI / 6.0 - (1..30).map(|k| 1.0 / (k * k) as f64).sum::<f64>();
        assert!((trigamma(30.0) / at_30 - 1.0).abs() < 1e-13, "{} vs {at_30}", trigamma(30.0));
        // the closed forms past the direct sum agree with summing term by term
        for &a in &[0.3, 2.5, 40.0, 3e6] {
            for &n in &[257u32, 1000, 5000] {
                let direct: f64 = (0..n).map(|j| 1.0 / ((a + j as f64) * (a + j as f64))).sum();
                let fast = trigamma_rising(a, n);
                assert!((fast / direct - 1.0).abs() < 1e-11, "a={a} n={n}: {fast} vs {direct}");
            }
        }
    }

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-14));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-14));
        assert!(close(digamma(10.0), 2.251_752_589_066_721, 1e-14));
        // derivative check against ln_gamma
        for &x in &[0.3, 1.7, 4.2, 25.0] {
            let h = 1e-5;
            let fd = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), fd, 1e-8), "x={x}");
        }
    }

    #[test]
    fn hyp2f1_closed_forms() {
        // 2F1(1,1;2;z) = -ln(1-z)/z
        for &z in &[0.1, 0.5, 0.9, 0.99] {
            let exact = -(1.0_f64 - z).ln() / z;
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), exact, 1e-13), "z={z}");
        }
        // 2F1(a,b;b;z) = (1-z)^-a
        assert!(close(hyp2f1(2.5, 3.0, 3.0, 0.7).unwrap(), 0.3f64.powf(-2.5), 1e-13));
        // Euler branch: 2F1(a, b; a+1; z) with large a and b (Pareto/NBD shape)
        let v = hyp2f1(40.0, 30.0, 41.0, 0.4).unwrap();
        let direct = series_2f1(40.0, 30.0, 41.0, 0.4).unwrap();
        assert!(close(v, direct, 1e-12));
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
    }

    #[test]
    fn quadrature_is_exact_for_smooth_functions() {
        assert!(close(integrate(|x| x.exp(), 0.0, 2.0, 1), 2f64.exp() - 1.0, 1e-14));
        assert!(close(integrate(|x| 1.0 / (1.0 + x), 0.0, 100.0, 20), 101f64.ln(), 1e-12));
    }

    #[test]
    fn log_sum_helpers() {
        assert!(close(log_add_exp(0.0, 0.0), 2f64.ln(), 1e-15));
        assert!(close(log_sub_exp(2f64.ln(), 0.0), 0.0, 1e-15));
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 1.0), 1.0);
    }
}
