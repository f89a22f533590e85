//! `clv predict` with its default 200 interval draws on a CDNOW-master-sized
//! customer base (23,570 customers acquired over 12 weeks, observed 78 weeks,
//! purchase days to the day, Gamma-Gamma spend).
//!
//! Run with `cargo bench -p journey_clv --bench predict_intervals`. The
//! baseline, measured in the same run, is the former way of drawing: every
//! draw recomputed every customer's forecast (13 hypergeometric functions
//! each); it is timed on 10 draws and scaled to 200. The shared way computes
//! the horizon terms once per distinct (x, T) pair per draw, on all cores.

use std::time::Instant;

use journey_clv::bgnbd::{self, BgNbd};
use journey_clv::clv::{value_customers, ClvOptions, PurchaseModel};
use journey_clv::gammagamma::{self, GammaGamma};
use journey_clv::rfm::{CustomerRfm, RfmSummary, TimeUnit};
use journey_clv::simulate::simulate_bgnbd;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Gamma};

fn main() {
    let truth = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let n = 23_570;
    let triples = simulate_bgnbd(&truth, n, 84, 546, 1997).unwrap_or_else(|e| {
        eprintln!("simulation failed: {e}");
        std::process::exit(2)
    });
    // Spend: ν ~ Gamma(q, γ) per customer, mean of x purchases ~ Gamma(p x, ν x).
    let mut rng = StdRng::seed_from_u64(7);
    let nu = Gamma::new(3.74, 1.0 / 15.44).expect("valid");
    let customers: Vec<CustomerRfm> = triples
        .iter()
        .enumerate()
        .map(|(i, &(x, tx, t))| {
            let monetary_value = (x > 0).then(|| {
                let v: f64 = nu.sample(&mut rng);
                Gamma::new(6.25 * x as f64, 1.0 / (v * x as f64)).map(|g| g.sample(&mut rng)).unwrap_or(1.0)
            });
            CustomerRfm { id: i.to_string(), frequency: x, recency: tx, t, monetary_value, cohort: None }
        })
        .collect();
    let summary = RfmSummary { unit: TimeUnit::Weeks, cohort_column: None, customers };
    let purchases = bgnbd::fit(&summary.compressed()).expect("fit");
    let spend =
        gammagamma::fit(summary.customers.iter().map(|c| (c.frequency, c.monetary_value.unwrap_or(0.0)))).expect("fit");
    let o = ClvOptions { horizon: 52.0, step: 52.0 / 12.0, discount_rate: 0.008, margin: 1.0, draws: 200, seed: 1 };

    let t0 = Instant::now();
    let report = value_customers(&summary, &purchases, Some(&spend), &o).expect("predict");
    let shared = t0.elapsed().as_secs_f64();

    // Baseline: per draw, every customer's forecast from scratch.
    let model = PurchaseModel::from_report(&purchases).expect("model");
    let g = GammaGamma::from_report(&spend);
    let baseline_draws = 10;
    let t1 = Instant::now();
    let mut sink = 0.0;
    for _ in 0..baseline_draws {
        for c in &summary.customers {
            let alive = model.p_alive(c.frequency, c.recency, c.t);
            let mut previous = 0.0;
            for i in 1..=12 {
                let cum = model.conditional_expected_purchases_alive(alive, i as f64 * o.step, c.frequency, c.t);
                sink += (cum - previous) / (1.0 + o.discount_rate).powi(i)
                    * c.monetary_value.map_or(g.population_mean(), |m| g.conditional_expected_value(c.frequency, m));
                previous = cum;
            }
            sink += model.conditional_expected_purchases(o.horizon, c.frequency, c.recency, c.t);
        }
    }
    let baseline = t1.elapsed().as_secs_f64() * (o.draws as f64 / baseline_draws as f64);
    let iv = report.cohorts[0].total_clv_interval.expect("interval");
    println!("customers:                     {n}");
    println!("predict with 200 draws:        {shared:.3} s");
    println!("baseline (per-customer draws): {baseline:.3} s (10 draws timed, scaled to 200)");
    println!("speed-up:                      {:.0}x", baseline / shared);
    println!(
        "total clv {:.0}, 95% interval {:.0}-{:.0} (checksum {:.3e})",
        report.cohorts[0].total_clv.unwrap_or(f64::NAN),
        iv.low,
        iv.high,
        sink
    );
}
