//! Building the RFM summary from CDNOW_sample.txt reproduces the published
//! cdnow_customers_summary.csv (and the zbar column of the "with transactions"
//! file) row by row at the published two decimals.

mod common;

use common::*;
use journey_clv::rfm::{round_half_up, write_summary_csv};

#[test]
fn summary_from_sample_matches_published_csv() {
    let built = summary_from_log();
    let published = published_summary();
    let spend = published_summary_with_spend();
    assert_eq!(built.customers.len(), 2357);
    assert_eq!(published.customers.len(), 2357);
    for ((b, p), m) in built.customers.iter().zip(&published.customers).zip(&spend.customers) {
        let id: u32 = b.id.parse().unwrap();
        assert_eq!(id.to_string(), p.id, "customers in the same order");
        assert_eq!(b.frequency, p.frequency, "frequency of {}", p.id);
        assert_eq!(round_half_up(b.recency, 2), p.recency, "recency of {}", p.id);
        assert_eq!(round_half_up(b.t, 2), p.t, "T of {}", p.id);
        let zbar = b.monetary_value.map_or(0.0, |v| round_half_up(v, 2));
        assert_eq!(zbar, m.monetary_value.unwrap_or(0.0), "zbar of {}", p.id);
    }
    let csv = write_summary_csv(&built, 2);
    assert!(csv.starts_with("ID,frequency,recency,T,monetary_value\n0001,2,30.43,38.86,22.35\n"), "{}", &csv[..80]);
}
