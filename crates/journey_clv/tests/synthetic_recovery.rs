//! A fit on synthetic customers recovers the parameters they were drawn from
//! (the 1M-customer version is the benchmark, benches/fit_bgnbd.rs).

use journey_clv::bgnbd::{self, BgNbd};
use journey_clv::rfm::compress;
use journey_clv::simulate::simulate_bgnbd;

#[test]
fn bgnbd_recovers_known_parameters_from_20k_customers() {
    let truth = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let customers = simulate_bgnbd(&truth, 20_000, 84, 273, 7).unwrap();
    let rows = compress(customers);
    assert!(rows.len() < 20_000);
    let fit = bgnbd::fit(&rows).unwrap();
    assert!(fit.converged);
    let se = fit.std_errors.clone().expect("a proper maximum");
    let want = [truth.r, truth.alpha, truth.a, truth.b];
    for i in 0..4 {
        let z = (fit.params[i] - want[i]) / se[i];
        assert!(z.abs() < 4.0, "{}: fitted {} ± {}, true {}", fit.names[i], fit.params[i], se[i], want[i]);
    }
}
