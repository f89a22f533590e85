//! Fit BG/NBD on 1,000,000 synthetic customers drawn from known parameters.
//!
//! Run with `cargo bench -p journey_clv --bench fit_bgnbd`. Prints the time to
//! compress the customers into distinct (x, t_x, T) rows and to fit, the number
//! of distinct rows, and the recovered parameters next to the true ones. The
//! customers are also written to target/bgnbd_1m.csv so that
//! benches/lifetimes_baseline.py can time the Python `lifetimes` package on the
//! very same data.

use std::time::Instant;

use journey_clv::bgnbd::{self, BgNbd};
use journey_clv::rfm::compress;
use journey_clv::simulate::simulate_bgnbd;

fn main() {
    let truth = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let n = 1_000_000;
    let t0 = Instant::now();
    // CDNOW-like: acquired over 12 weeks, observed for 39 weeks, daily purchase records.
    let customers = match simulate_bgnbd(&truth, n, 84, 273, 2005) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("simulation failed: {e}");
            std::process::exit(2);
        }
    };
    let simulate_secs = t0.elapsed().as_secs_f64();

    if let Ok(dir) = std::env::var("CLV_BENCH_CSV") {
        let mut csv = String::with_capacity(n * 24);
        csv.push_str("frequency,recency,T\n");
        for (x, tx, t) in &customers {
            csv.push_str(&format!("{x},{tx:.17},{t:.17}\n"));
        }
        let path = format!("{dir}/bgnbd_1m.csv");
        if let Err(e) = std::fs::write(&path, csv) {
            eprintln!("cannot write {path}: {e}");
        }
    }

    let t1 = Instant::now();
    let rows = compress(customers.iter().copied());
    let compress_secs = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let fit = match bgnbd::fit(&rows) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fit failed: {e}");
            std::process::exit(2);
        }
    };
    let fit_secs = t2.elapsed().as_secs_f64();

    println!("customers:           {n}");
    println!("distinct rows:       {}", rows.len());
    println!("simulate:            {simulate_secs:.3} s (not part of the fit)");
    println!("compress:            {compress_secs:.3} s");
    println!(
        "fit:                 {fit_secs:.3} s ({} iterations, {} likelihood+gradient evaluations)",
        fit.iterations, fit.evaluations
    );
    println!("compress + fit:      {:.3} s", compress_secs + fit_secs);
    println!("log-likelihood:      {:.3}", fit.log_likelihood);
    let truth_v = [truth.r, truth.alpha, truth.a, truth.b];
    let se = fit.std_errors.clone().unwrap_or_else(|| vec![f64::NAN; 4]);
    let mut worst: f64 = 0.0;
    for i in 0..4 {
        let rel = (fit.params[i] - truth_v[i]) / truth_v[i];
        worst = worst.max(rel.abs());
        println!(
            "{:<6} true {:>8.4}  fitted {:>8.4} ± {:.4}  ({:+.2}%)",
            fit.names[i],
            truth_v[i],
            fit.params[i],
            se[i],
            100.0 * rel
        );
    }
    // Recording purchases per day (as a real log does) merges the rare same-day
    // repeat purchases, so allow a little more than sampling error.
    if worst > 0.03 {
        eprintln!("the fit did not recover the parameters (worst relative error {:.1}%)", 100.0 * worst);
        std::process::exit(1);
    }
}
