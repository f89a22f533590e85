//! End-to-end tests of `journey clv` on the bundled CDNOW data
//! (tests/data/cdnow, see PROVENANCE.md there).

use std::process::{Command, Output};

fn journey(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journey")).args(args).output().expect("journey runs")
}

fn data(name: &str) -> String {
    format!("{}/tests/data/cdnow/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn near(v: &serde_json::Value, published: f64, decimals: i32) -> bool {
    v.as_f64().is_some_and(|x| (x - published).abs() < 0.5 * 10f64.powi(-decimals))
}

const SAMPLE_LOG: &[&str] =
    &["--no-header", "--customer", "2", "--timestamp", "3", "--amount", "5", "--calibration-end", "1997-09-30"];

#[test]
fn fit_bgnbd_on_the_published_summary_prints_the_published_parameters() {
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", &data("cdnow_customers_summary.csv")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["BG/NBD", "r ", "0.2426", "alpha", "4.4135", "0.7929", "2.4258", "-9582.43", "drop out"] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    let out = journey(&[
        "clv",
        "fit",
        "--model",
        "bg-nbd",
        "--input",
        &data("cdnow_customers_summary.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert!(near(&v["params"]["r"], 0.243, 3));
    assert!(near(&v["params"]["alpha"], 4.414, 3));
    assert!(near(&v["params"]["a"], 0.793, 3));
    assert!(near(&v["params"]["b"], 2.426, 3));
    assert!(near(&v["log_likelihood"], -9582.4, 1));
    assert_eq!(v["warnings"], serde_json::json!([]), "the published fit pins every parameter down");
    // Deterministic: the same input gives byte-identical output.
    let again = journey(&[
        "clv",
        "fit",
        "--model",
        "bg-nbd",
        "--input",
        &data("cdnow_customers_summary.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn fit_from_the_transaction_log() {
    let mut args = vec!["clv", "fit", "--model", "pareto-nbd", "--format", "json", "--input"];
    let path = data("CDNOW_sample.txt");
    args.push(&path);
    args.extend_from_slice(SAMPLE_LOG);
    let v = json(&journey(&args));
    assert!(near(&v["params"]["r"], 0.553, 3));
    assert!(near(&v["params"]["alpha"], 10.578, 3));
    assert!(near(&v["params"]["s"], 0.606, 3));
    assert!(near(&v["params"]["beta"], 11.669, 3));
    assert!(near(&v["log_likelihood"], -9595.0, 1));

    args[3] = "gamma-gamma";
    let v = json(&journey(&args));
    assert!(near(&v["params"]["p"], 6.25, 2));
    assert!(near(&v["params"]["q"], 3.74, 2));
    assert!(near(&v["params"]["gamma"], 15.44, 2));
}

#[test]
fn fit_sbg_on_survivor_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("regular.csv");
    std::fs::write(&path, "survivors\n1000\n631\n468\n382\n326\n289\n262\n241\n").expect("write");
    let out =
        journey(&["clv", "fit", "--model", "sbg", "--input", path.to_str().expect("utf-8 path"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert!(near(&v["params"]["alpha"], 0.704, 3));
    assert!(near(&v["params"]["beta"], 1.182, 3));
}

#[test]
fn a_bad_row_exits_2_and_names_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "frequency,recency,T\n1,2.5,10\n2,x,10\n").expect("write");
    let p = path.to_str().expect("utf-8 path");
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", p]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{p}:3:3")), "{err}");
    assert!(err.contains("cannot read \"x\" as recency"), "{err}");
}

#[test]
fn predict_and_backtest_on_the_sample() {
    let path = data("CDNOW_sample.txt");
    let mut args = vec!["clv", "predict", "--format", "json", "--draws", "20", "--top", "3", "--input", &path];
    args.extend_from_slice(SAMPLE_LOG);
    let out = journey(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["top_customers"].as_array().map(Vec::len), Some(3));
    let cohort = &v["cohorts"][0];
    assert_eq!(cohort["customers"], 2357);
    let total = cohort["total_clv"].as_f64().expect("a value");
    let iv = cohort["total_clv_interval"].as_array().expect("an interval");
    assert!(iv[0].as_f64().expect("low") < total && total < iv[1].as_f64().expect("high"));

    let dir = tempfile::tempdir().expect("temp dir");
    let svg = dir.path().join("backtest.svg");
    let mut args = vec!["clv", "backtest", "--input", &path, "--plot", svg.to_str().expect("utf-8 path")];
    args.extend_from_slice(SAMPLE_LOG);
    let out = journey(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("calibration") && text.contains("7+"), "{text}");
    let picture = std::fs::read_to_string(&svg).expect("plot written");
    assert!(picture.starts_with("<svg") && picture.contains("expected"));
}

#[test]
fn predict_gives_each_customer_the_probability_of_n_purchases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("p.csv");
    let path = data("cdnow_customers_summary.csv");
    let out = journey(&[
        "clv",
        "predict",
        "--format",
        "json",
        "--draws",
        "0",
        "--top",
        "2",
        "--horizon",
        "39",
        "--prob-purchases",
        "2",
        "--input",
        &path,
        "--output",
        csv.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["top_customers"][0]["prob_purchases"].as_array().map(Vec::len), Some(3));
    let text = std::fs::read_to_string(&csv).expect("csv written");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(&header[header.len() - 3..], ["p0", "p1", "p2"]);
    let expected_at = header.iter().position(|h| *h == "expected_purchases").expect("column");
    let mut rows = 0;
    for line in lines {
        let f: Vec<f64> = line.split(',').rev().take(3).map(|s| s.parse().expect("number")).collect();
        let (p2, p1, p0) = (f[0], f[1], f[2]);
        let total = p0 + p1 + p2;
        assert!(p0 > 0.0 && p1 >= 0.0 && p2 >= 0.0 && total <= 1.0 + 2e-6, "{line}");
        // The truncated mean cannot exceed the full one (eq. 10).
        let mean: f64 = line.split(',').nth(expected_at).expect("column").parse().expect("number");
        assert!(p1 + 2.0 * p2 <= mean + 2e-6, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 2357);
}

#[test]
fn fit_bgbb_on_the_donations_data_prints_the_published_parameters() {
    let path = format!("{}/tests/data/donations/donations.csv", env!("CARGO_MANIFEST_DIR"));
    let out = journey(&["clv", "fit", "--model", "bg-bb", "--format", "json", "--input", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["model"], "bg-bb");
    for (name, published) in [("alpha", 1.204), ("beta", 0.750), ("gamma", 0.657), ("delta", 2.783)] {
        assert!(near(&v["params"][name], published, 3), "{name}: {}", v["params"][name]);
    }
    assert!(near(&v["log_likelihood"], -33225.6, 1), "{}", v["log_likelihood"]);
}

#[test]
fn fit_bgbb_names_the_line_of_an_impossible_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "frequency,recency,periods\n1,2,6\n3,2,6\n").expect("written");
    let out = journey(&["clv", "fit", "--model", "bg-bb", "--input", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3") && err.contains("frequency 3 is more than the recency 2"), "{err}");
}

/// Seven buyers of a meal-kit log (a new user's first try): BG/NBD's `a` and `b` ran up
/// a flat ridge to 4.6e8 ± 1.5e13 and the fit said "converged", "48% drop out", with
/// no word of doubt. A standard error that dwarfs its value is now a warning.
#[test]
fn a_fit_the_data_cannot_pin_down_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("purchases.csv");
    std::fs::write(
        &log,
        "customer_id,timestamp,revenue\n\
         c13,2026-04-14T18:00:00+10:00,59.90\nc14,2026-04-20T12:00:00+10:00,59.90\n\
         c15,2026-04-20T12:00:00+05:30,45.00\nc13,2026-04-21T18:00:00+10:00,59.90\n\
         c13,2026-04-28T18:00:00+10:00,59.90\nc09,2026-05-09T10:00:00+05:30,45.00\n\
         c08,2026-05-09T10:00:00+10:00,59.90\nc08,2026-05-09T10:00:00+10:00,59.90\n\
         c06,2026-06-12T09:00:00+10:00,59.90\nc28,2026-07-08T12:00:00+10:00,59.90\n",
    )
    .unwrap();
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    let warnings = v["warnings"].as_array().unwrap();
    let loose: Vec<&str> =
        warnings.iter().filter_map(|w| w.as_str()).filter(|w| w.contains("does not pin down")).collect();
    assert_eq!(loose.len(), 1, "{v}");
    assert!(loose[0].contains("a = ") && loose[0].contains("b = "), "{}", loose[0]);
    assert!(!loose[0].contains("r = "), "r is estimated well enough: {}", loose[0]);
}

/// A project's event log holds sign-ups and logins with no amount beside the
/// purchases: `clv fit` stopped at the first sign-up ("cannot read \"\" as an
/// amount"); `--event` reads only the purchase rows and counts the others.
#[test]
fn fit_from_a_projects_event_log_with_event() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, jsonl) = (dir.path().join("events.csv"), dir.path().join("events.jsonl"));
    let mut rows = vec!["customer_id,timestamp,event,amount".to_string()];
    let mut lines = Vec::new();
    for c in 0..12 {
        let mut push = |day: u32, event: &str, amount: &str| {
            rows.push(format!("u{c},2026-01-{day:02}T09:00:00Z,{event},{amount}"));
            let amount = if amount.is_empty() { "null".to_string() } else { amount.to_string() };
            lines.push(format!(
                r#"{{"customer_id": "u{c}", "timestamp": "2026-01-{day:02}T09:00:00Z", "event": "{event}", "amount": {amount}}}"#
            ));
        };
        push(1 + c, "signup", "");
        push(2 + c, "invoice_paid", "40");
        push(3 + c, "login", "");
        for k in 0..c % 4 {
            push(5 + c + 3 * k, "invoice_paid", "25.5");
        }
    }
    std::fs::write(&csv, rows.join("\n") + "\n").unwrap();
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    let (csv, jsonl) = (csv.to_str().unwrap(), jsonl.to_str().unwrap());

    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", csv]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("events.csv:2:") && err.contains("--event NAME reads only the rows"), "{err}");

    let mut sources = Vec::new();
    for input in [csv, jsonl] {
        let out = journey(&[
            "clv",
            "fit",
            "--model",
            "bg-nbd",
            "--input",
            input,
            "--event",
            "invoice_paid",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{input}: {}", String::from_utf8_lossy(&out.stderr));
        let v = json(&out);
        sources.push(v["source"].as_str().unwrap().to_string());
        assert_eq!(v["customers"], 12.0, "{v}");
    }
    assert_eq!(sources[0], "the `invoice_paid` rows of a log (24 rows of other events left out)");
    assert_eq!(sources[0], sources[1], "CSV and JSON lines read alike");

    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", csv, "--event", "purchase"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no rows of event `purchase` ("), "{err}");
}

/// The same help for a JSON lines log whose sign-ups carry `"amount": ""` (an export
/// that writes every column of every row): it was the bare "cannot read \"\" as an
/// amount" there, while a CSV log's said to use `--event`.
#[test]
fn an_unreadable_amount_in_json_lines_says_to_use_event() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"customer_id": "u1", "timestamp": "2026-01-01T09:00:00Z", "event": "signup", "amount": ""}"#,
            "\n",
            r#"{"customer_id": "u1", "timestamp": "2026-01-02T09:00:00Z", "event": "invoice_paid", "amount": "40"}"#,
            "\n",
        ),
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", log]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("events.jsonl:1:89: cannot read \"\" as an amount"), "{err}");
    assert!(
        err.contains("help: this log has an `event` field: --event NAME reads only the rows of the purchase event"),
        "{err}"
    );
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", log, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let help = json(&out)["error"]["help"].as_str().unwrap_or_default().to_string();
    assert!(help.contains("--event NAME") && help.contains("e.g. --event purchase"), "{help}");
    // without an event field there is nothing to suggest
    let plain = dir.path().join("plain.jsonl");
    std::fs::write(&plain, r#"{"customer_id": "u1", "timestamp": "2026-01-01T09:00:00Z", "amount": ""}"#).unwrap();
    let out = journey(&["clv", "fit", "--model", "bg-nbd", "--input", plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("--event"), "{}", String::from_utf8_lossy(&out.stderr));
}
