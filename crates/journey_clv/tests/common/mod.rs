//! Shared helpers: the bundled CDNOW data (copied into tests/data/cdnow at the
//! repository root, see PROVENANCE.md there).
#![allow(dead_code)]

use journey_clv::rfm::{read_summary, summarize, RfmSummary, TimeUnit};
use journey_clv::translog::{read_log, ColumnMapping, ColumnRef, LogOptions};

pub fn data_path(name: &str) -> String {
    format!("{}/../../tests/data/cdnow/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn read(name: &str) -> (String, String) {
    let path = data_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (path, text)
}

/// The published 2-decimal summary (ID, frequency, recency, T).
pub fn published_summary() -> RfmSummary {
    let (p, s) = read("cdnow_customers_summary.csv");
    read_summary(&p, &s, TimeUnit::Weeks, None).expect("published summary reads")
}

/// The published summary with zbar (mean repeat spend).
pub fn published_summary_with_spend() -> RfmSummary {
    let (p, s) = read("cdnow_customers_summary_with_transactions.csv");
    read_summary(&p, &s, TimeUnit::Weeks, None).expect("published summary reads")
}

/// The options for CDNOW_sample.txt: no header, whitespace-separated; the
/// sample id (column 2) is the ID of the published summaries.
pub fn cdnow_sample_options() -> LogOptions {
    LogOptions {
        has_header: false,
        mapping: ColumnMapping {
            customer: Some(ColumnRef::Position(2)),
            timestamp: Some(ColumnRef::Position(3)),
            amount: Some(ColumnRef::Position(5)),
            cohort: None,
            event: None,
        },
        ..Default::default()
    }
}

/// The calibration-period summary built from the sample's transactions, with
/// exact times (whole days / 7) rather than the published 2-decimal rounding.
pub fn summary_from_log() -> RfmSummary {
    let (p, s) = read("CDNOW_sample.txt");
    let log = read_log(&p, &s, &cdnow_sample_options()).expect("sample log reads");
    summarize(&log, TimeUnit::Weeks, chrono::NaiveDate::from_ymd_opt(1997, 9, 30))
}

/// |value - published| < half a unit in the last published digit.
pub fn assert_published(name: &str, value: f64, published: f64, decimals: i32) {
    let tol = 0.5 * 10f64.powi(-decimals);
    assert!(
        (value - published).abs() < tol,
        "{name}: fitted {value} does not round to the published {published} ({decimals} decimals)"
    );
}
