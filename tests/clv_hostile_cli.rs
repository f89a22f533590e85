//! `journey clv` on inputs a new user hands over without thinking: each is a
//! clear message with the right exit code, naming the right thing.

use std::process::{Command, Output};

fn journey(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journey")).args(args).env("NO_COLOR", "1").output().expect("journey runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

const LOG: &str = "customer_id,date,amount\n\
a,2024-01-01,10\na,2024-01-20,12\nb,2024-01-02,5\nb,2024-01-09,-5\nc,2024-01-03,7\nc,2024-02-01,9\n\
d,2024-01-04,3\ne,2024-01-05,8\ne,2024-01-25,4\nf,2024-01-06,6\n";

#[test]
fn a_refund_is_refused_at_its_line_unless_netted() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "log.csv", LOG);
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &log, "--time-unit", "days"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("log.csv:5:14: negative amount -5 (a refund)"), "{}", text(&out));
    assert!(text(&out).contains("--refunds net"), "{}", text(&out));
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &log, "--time-unit", "days", "--refunds", "net"]);
    assert!(!text(&out).contains("negative amount"), "{}", text(&out));
}

#[test]
fn dates_outside_the_log_and_a_missing_t_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "log.csv", &LOG.replace("-5", "5"));
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &log, "--calibration-end", "1999-12-31"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("outside the log, which covers 2024-01-01 to 2024-02-01"), "{}", text(&out));
    let out = journey(&[
        "clv",
        "backtest",
        "--input",
        &log,
        "--calibration-end",
        "2024-01-15",
        "--holdout-end",
        "2025-01-01",
    ]);
    assert!(text(&out).contains("past the log's last purchase"), "{}", text(&out));
    let summary = write(&dir, "s.csv", "frequency,recency\n1,2\n");
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &summary]);
    assert!(text(&out).contains("no column \"T\""), "{}", text(&out));
}

#[test]
fn a_write_failure_says_write_and_sbg_periods_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let summary = format!("{}/tests/data/cdnow/cdnow_customers_summary.csv", env!("CARGO_MANIFEST_DIR"));
    let out =
        journey(&["clv", "predict", "--input", &summary, "--draws", "0", "--output", "/nonexistent-dir/x/all.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("cannot write /nonexistent-dir/x/all.csv"), "{}", text(&out));
    let sbg = write(&dir, "sbg.csv", "periods,active\n3,1\n0,0\n");
    let out = journey(&["clv", "fit", "--model", "sbg", "--input", &sbg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("sbg.csv:3:1: periods \"0\""), "{}", text(&out));
}

#[test]
fn the_month_and_the_standard_error_are_said() {
    let summary = format!("{}/tests/data/cdnow/cdnow_customers_summary.csv", env!("CARGO_MANIFEST_DIR"));
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &summary]);
    assert!(text(&out).contains("± is one standard error"), "{}", text(&out));
    let out = journey(&["clv", "predict", "--input", &summary, "--draws", "0", "--month", "4.345w"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("a CLV month is 4.345w (4.3450 weeks, --month)"), "{}", text(&out));
    let out = journey(&["clv", "predict", "--input", &summary, "--draws", "0", "--month", "a fortnight"]);
    assert_eq!(out.status.code(), Some(2));
    let out = journey(&["clv", "predict", "--input", &summary, "--draws", "0", "--horizon", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_backtest_chart_names_the_data_labels_its_axes_and_one_holdout_date() {
    let dir = tempfile::tempdir().unwrap();
    let sample = format!("{}/tests/data/cdnow/CDNOW_sample.txt", env!("CARGO_MANIFEST_DIR"));
    let args =
        ["--no-header", "--customer", "2", "--timestamp", "3", "--amount", "5", "--calibration-end", "1997-09-30"];
    let html = dir.path().join("chart.html").display().to_string();
    let mut a = vec!["clv", "backtest", "--input", &sample, "--plot", &html];
    a.extend_from_slice(&args);
    let out = journey(&a);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<title>CDNOW_sample: repeat purchases"), "title is the data's name");
    assert!(!page.contains(env!("CARGO_MANIFEST_DIR")), "no path in the page");
    assert!(page.contains("repeat purchases per week") && page.contains("weeks since the first purchase"));
    assert!(page.contains("repeat purchases to date"));
    // one holdout start date everywhere: terminal, chart and page
    assert!(text(&out).contains("holdout 1997-10-01 to"), "{}", text(&out));
    assert!(page.contains("holdout starts 1997-10-01") && page.contains("holdout 1997-10-01 to"));
    assert!(!page.contains("1997-09-30"), "the calibration end is not shown as a second holdout date");
    let png = dir.path().join("chart.png").display().to_string();
    let mut a = vec!["clv", "backtest", "--input", &sample, "--plot", &png];
    a.extend_from_slice(&args);
    let out = journey(&a);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("cannot write .png charts; use a .svg or .html file"), "{}", text(&out));
    assert!(!std::path::Path::new(&png).exists());
}

#[test]
fn fit_offers_bootstrap_intervals() {
    let summary = format!("{}/tests/data/cdnow/cdnow_customers_summary.csv", env!("CARGO_MANIFEST_DIR"));
    let args = ["clv", "fit", "--model", "bg-nbd", "--input", &summary, "--interval", "bootstrap", "--resamples", "20"];
    let out = journey(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("95% bootstrap intervals (20 resamples of the customers"), "{}", text(&out));
    let mut json_args = args.to_vec();
    json_args.extend_from_slice(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&journey(&json_args).stdout).unwrap();
    let r = v["bootstrap"]["intervals_95"]["r"].as_array().unwrap();
    let (lo, hi) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
    assert!(lo < 0.2426 && 0.2426 < hi, "[{lo}, {hi}]");
    let out = journey(&["clv", "fit", "--model", "sbg", "--input", &summary, "--interval", "bootstrap"]);
    assert_eq!(out.status.code(), Some(2));
}
