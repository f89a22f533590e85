//! End-to-end tests of `journey simulate` and `journey merge` over the bundled library
//! and a seeded synthetic log (docs/engine.md).

use std::path::Path;
mod common;
use common::text;
use std::process::Output;

/// From the repository root, 200 columns wide: messages name long temporary paths.
fn journey(args: &[&str]) -> Output {
    common::journey_in_columns(args, &common::root(), 200)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const PERIOD: [&str; 4] = ["--from", "2025-01-01", "--to", "2025-02-14"];

/// A seeded log of 150 customers over 45 days, with its attribute snapshot.
fn generate(dir: &Path) {
    let out = journey(&[
        "events",
        "generate",
        "--seed",
        "11",
        "--customers",
        "150",
        "--days",
        "45",
        "-o",
        s(&dir.join("log.csv")),
        "--attributes",
        s(&dir.join("attrs.csv")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// [`generate`]d into `dir`: the log, the attribute snapshot and the log's text.
fn generated(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    generate(dir);
    let log = dir.join("log.csv");
    let body = std::fs::read_to_string(&log).unwrap();
    (log, dir.join("attrs.csv"), body)
}

/// Split a CSV (header, customer key in the first column) into two by customer.
fn split(src: &Path, a: &Path, b: &Path) {
    let body = std::fs::read_to_string(src).unwrap();
    let mut lines = body.lines();
    let header = lines.next().unwrap();
    let (mut x, mut y) = (format!("{header}\n"), format!("{header}\n"));
    for l in lines {
        let key = l.split(',').next().unwrap();
        let even = key.bytes().map(u64::from).sum::<u64>().is_multiple_of(2);
        let part = if even { &mut x } else { &mut y };
        part.push_str(l);
        part.push('\n');
    }
    std::fs::write(a, x).unwrap();
    std::fs::write(b, y).unwrap();
}

fn simulate_json(log: &Path, attrs: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["simulate", "--events", s(log), "--attributes", s(attrs), "--format", "json"];
    args.extend(PERIOD);
    args.extend(extra);
    journey(&args)
}

#[test]
fn simulate_is_deterministic_and_split_runs_merge_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    let (log, attrs) = (d.join("log.csv"), d.join("attrs.csv"));

    let whole = simulate_json(&log, &attrs, &[]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    let v: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert!(v["sends"].as_u64().unwrap() > 0, "{v}");
    let customers = v["customers"].as_u64().unwrap();
    assert!((100..=150).contains(&customers), "{v}");
    assert!(v["journeys"]["onboarding"]["entrants"].as_u64().unwrap() > 0);
    let again = simulate_json(&log, &attrs, &[]);
    assert_eq!(whole.stdout, again.stdout, "same input, same bytes");

    // a trace: one row per action, sends name their channel and template
    let trace = d.join("trace.csv");
    let out = simulate_json(&log, &attrs, &["--trace", s(&trace)]);
    assert_eq!(out.stdout, whole.stdout);
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(t.starts_with("time,customer,journey,node,kind,channel,template,reason\n"));
    let sends = t.lines().filter(|l| l.split(',').nth(4) == Some("send")).count() as u64;
    assert_eq!(sends, v["sends"].as_u64().unwrap());

    // split by customer, simulate each part, merge: exactly the whole run
    split(&log, &d.join("log-a.csv"), &d.join("log-b.csv"));
    split(&attrs, &d.join("attrs-a.csv"), &d.join("attrs-b.csv"));
    for part in ["a", "b"] {
        let out = simulate_json(
            &d.join(format!("log-{part}.csv")),
            &d.join(format!("attrs-{part}.csv")),
            &["--partial", s(&d.join(format!("part-{part}.json")))],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_ne!(out.stdout, whole.stdout, "each part is only part of the run");
    }
    let merged = journey(&["merge", s(&d.join("part-a.json")), s(&d.join("part-b.json")), "--format", "json"]);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    // the whole run's report, byte for byte, its CLV estimate included (the parts carry
    // the rows the fit needs, and merge refits on them)
    assert_eq!(text(&merged.stdout), text(&whole.stdout), "merged partial reports equal the whole run");
    let whole_part = d.join("whole.json");
    let out = simulate_json(&log, &attrs, &["--partial", s(&whole_part)]);
    assert_eq!(out.stdout, whole.stdout);
    let whole_report = std::fs::read_to_string(&whole_part).unwrap();
    let mut v_whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    for derived in ["version", "clv_estimate", "experiments"] {
        v_whole.as_object_mut().unwrap().remove(derived);
    }
    // the partial report adds the fingerprint of the customers it covers and the
    // estimate's input (for `merge`); it records the run's settings as the report does
    let mut v_part: serde_json::Value = serde_json::from_str(&whole_report).unwrap();
    assert_eq!(v_part["coverage"]["customers"], v_whole["customers"]);
    assert_eq!(v_part["run"], v_whole["run"]);
    for added in ["coverage", "clv_input"] {
        v_part.as_object_mut().unwrap().remove(added);
    }
    assert_eq!(v_part, v_whole);

    // the human summaries
    let mut args = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs)];
    args.extend(PERIOD);
    let out = journey(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let h = text(&out.stdout);
    let head = format!("{customers} customers");
    for needle in [head.as_str(), "onboarding", "email", "goals (conversions: treated vs holdout)", "guardrails:"] {
        assert!(h.contains(needle), "missing {needle:?} in\n{h}");
    }
    let out = journey(&["merge", s(&d.join("part-a.json")), s(&d.join("part-b.json"))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let merged_head = format!("2 partial reports merged: {} to {} (", PERIOD[1], PERIOD[3]);
    assert!(text(&out.stdout).starts_with(&merged_head), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(&format!(", seed 1, quiet hours defer\n{head},")), "{}", text(&out.stdout));
}

#[test]
fn a_bad_row_stops_the_run_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs, body) = generated(d);
    let mut lines: Vec<&str> = body.lines().collect();
    lines.insert(3, "c0000001,not-a-time,session,,,web,,,,,,,,,,,,,,,,,,,,,,,");
    let bad = d.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();

    let out = simulate_json(&bad, &attrs, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.csv") && err.contains('4'), "names the file and line 4:\n{err}");
    // no report: the JSON on stdout is the error object
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("bad.csv"), "{v}");

    let out = simulate_json(&bad, &attrs, &["--skip-bad-rows"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("skipped 1 bad row"), "{}", text(&out.stderr));
    let good = simulate_json(&log, &attrs, &[]);
    // the report counts it by kind; it changes nothing else
    let mut skipped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut clean: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(skipped["skipped"]["unparsable_time"], 1, "{:#}", skipped["skipped"]);
    assert_eq!(clean["skipped"]["unparsable_time"], 0, "{:#}", clean["skipped"]);
    for v in [&mut skipped, &mut clean] {
        v.as_object_mut().unwrap().remove("skipped");
    }
    assert_eq!(skipped, clean, "the skipped row changes nothing else");

    let mut args = vec!["simulate", "--events", s(&bad), "--attributes", s(&attrs), "--skip-bad-rows"];
    args.extend(PERIOD);
    let out = journey(&args);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("skipped 1 bad row:\n"), "{}", text(&out.stdout));
}

#[test]
fn partial_needs_the_period_and_merge_refuses_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = journey(&["simulate", "--events", "x.csv", "--partial", s(&d.join("p.json"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--from"), "{}", text(&out.stderr));
    std::fs::write(d.join("junk.json"), "[1, 2]").unwrap();
    let out = journey(&["merge", s(&d.join("junk.json"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a partial report"), "{}", text(&out.stderr));
}

/// Engine threads, the reader thread and the grouping change nothing in the output:
/// the report and the trace are the same bytes for any number of threads.
#[test]
fn the_output_is_the_same_for_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    let (log, attrs) = (d.join("log.csv"), d.join("attrs.csv"));
    let run = |extra: &[&str], trace: &str| {
        let t = d.join(trace);
        let mut args = extra.to_vec();
        args.extend(["--trace", s(&t)]);
        let out = simulate_json(&log, &attrs, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (out.stdout, std::fs::read(t).unwrap())
    };
    let one = run(&["--threads", "1", "--reader-threads", "0"], "one.csv");
    assert!(one.1.len() > 1000, "the trace has actions");
    for (extra, name) in [
        (&["--threads", "1"][..], "reader.csv"),
        (&["--threads", "3"][..], "three.csv"),
        (&["--threads", "2", "--reader-threads", "0"][..], "two.csv"),
    ] {
        let other = run(extra, name);
        assert!(one.0 == other.0, "report differs with {extra:?}");
        assert!(one.1 == other.1, "trace differs with {extra:?}");
    }
    let bad = journey(&["simulate", "--events", s(&log), "--threads", "0"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
}

/// A log out of time order stops the run with the way out it names (`--sort`), and
/// `--sort` replays it exactly as the sorted file.
#[test]
fn an_unsorted_log_is_refused_unless_sorted_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs, body) = generated(d);
    // the second half of the log first: every customer in both halves goes back in time
    let mut lines: Vec<&str> = body.lines().collect();
    let header = lines.remove(0);
    let time = |l: &str| l.split(',').nth(1).unwrap().to_string();
    // cut between two different times, so the rows of one millisecond stay in file order
    let cut = (lines.len() / 2..lines.len()).find(|&i| time(lines[i - 1]) != time(lines[i])).unwrap();
    let rotated: Vec<&str> = lines[cut..].iter().chain(&lines[..cut]).copied().collect();
    let unsorted = d.join("unsorted.csv");
    std::fs::write(&unsorted, format!("{header}\n{}\n", rotated.join("\n"))).unwrap();

    let out = simulate_json(&unsorted, &attrs, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("goes back in time") && err.contains("pass --sort"), "{err}");
    let sorted = simulate_json(&unsorted, &attrs, &["--sort"]);
    assert_eq!(sorted.status.code(), Some(0), "{}", text(&sorted.stderr));
    assert_eq!(text(&sorted.stdout), text(&simulate_json(&log, &attrs, &[]).stdout));
}

#[test]
fn an_empty_or_missing_log_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.csv"), "").unwrap();
    let out = journey(&["simulate", "--events", s(&d.join("empty.csv"))]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("empty.csv: the file is empty: expected a header line"), "{err}");

    let out = journey(&["simulate", "--events", s(&d.join("missing.csv"))]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.matches("No such file").count(), 1, "the cause is said once:\n{err}");
}
