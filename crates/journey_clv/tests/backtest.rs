//! Backtest on the CDNOW sample: calibrate on the first 39 weeks (to
//! 1997-09-30), predict the next 39 (to 1998-06-30).

mod common;

use common::*;
use journey_clv::backtest::{backtest, CountModel};
use journey_clv::plot::backtest_svg;
use journey_clv::rfm::TimeUnit;
use journey_clv::translog::read_log;

#[test]
fn bgnbd_backtest_on_cdnow_sample() {
    let (p, s) = read("CDNOW_sample.txt");
    let log = read_log(&p, &s, &cdnow_sample_options()).unwrap();
    let cal = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let report = backtest(&log, CountModel::BgNbd, TimeUnit::Weeks, cal, None).unwrap();
    assert_eq!(report.customers, 2357);
    assert_eq!(report.holdout_end, chrono::NaiveDate::from_ymd_opt(1998, 6, 30).unwrap());
    assert_published("holdout weeks", report.holdout_length, 39.0, 0);
    assert_published("r", report.fit.params[0], 0.243, 3);
    // The aggregate forecast is close to what happened (FHL 2005, fig. 2/3).
    let ratio = report.total_predicted / report.total_actual as f64;
    // BG/NBD under-forecasts the light buyers of CDNOW somewhat (FHL 2005, fig. 4).
    assert!((0.85..1.0).contains(&ratio), "predicted {} vs actual {}", report.total_predicted, report.total_actual);
    assert_eq!(report.calibration_table.len(), 8);
    assert_eq!(report.calibration_table[0].frequency, "0");
    assert_eq!(report.calibration_table[7].frequency, "7+");
    // Holdout means by calibration frequency, as in FHL 2005 fig. 4.
    assert_published("actual, x = 0", report.calibration_table[0].mean_actual, 0.237, 3);
    assert_published("actual, x = 1", report.calibration_table[1].mean_actual, 0.697, 3);
    // 78 weeks from the first purchase on 1997-01-01 to 1998-06-30.
    assert_eq!(report.weekly.len(), 78);
    let svg = backtest_svg(&report, "CDNOW");
    assert!(svg.starts_with("<svg") && svg.contains("holdout starts 1997-10-01"));
    println!("predicted {:.1} actual {} mae {:.3}", report.total_predicted, report.total_actual, report.mae);
    for r in &report.calibration_table {
        println!("{:>3} {:>5} {:.3} {:.3}", r.frequency, r.customers, r.mean_actual, r.mean_predicted);
    }
}

#[test]
fn the_chart_draws_the_headline_forecast_weekly_and_cumulatively() {
    let (p, s) = read("CDNOW_sample.txt");
    let log = read_log(&p, &s, &cdnow_sample_options()).unwrap();
    // A calibration end mid-week, so one week straddles the cut.
    let cal = chrono::NaiveDate::from_ymd_opt(1997, 10, 3).unwrap();
    let report = backtest(&log, CountModel::BgNbd, TimeUnit::Weeks, cal, None).unwrap();
    let weekly_forecast: f64 = report.weekly.iter().filter_map(|w| w.forecast).sum();
    assert!(
        (weekly_forecast - report.total_predicted).abs() < 1e-6 * report.total_predicted,
        "weeks add to {weekly_forecast}, headline {}",
        report.total_predicted
    );
    // The straddling week has a forecast for its holdout days only; earlier weeks none.
    let straddle = report.weekly.iter().position(|w| w.forecast.is_some()).unwrap();
    assert!(!report.weekly[straddle].holdout && report.weekly[straddle - 1].forecast.is_none());
    // The cumulative forecast starts from the calibration period's actual total.
    let before: f64 = report.weekly[..straddle].iter().map(|w| w.actual).sum();
    assert!(before <= report.calibration_actual as f64);
    let svg = backtest_svg(&report, "CDNOW");
    assert!(svg.contains("cumulative repeat purchases") && svg.contains("repeat purchases to date"));
    let headline = format!("holdout forecast from calibration: {:.1} repeat purchases", report.total_predicted);
    assert!(svg.contains(&headline), "{headline}");
    assert_eq!(svg.matches("<path").count(), 6, "three lines in each of the two panels");
}
