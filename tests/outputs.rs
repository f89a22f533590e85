//! Nothing lost, nothing hangs, on the output side (issue 19): a standard output that
//! cannot be written is a message and exit 2 for every command form, never a panic; a
//! closed pipe stays quiet; files are written whole or not at all, with the usual
//! permissions. The project is examples/cdnow, not journeys/.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cdnow() -> PathBuf {
    root().join("examples/cdnow")
}

fn data(name: &str) -> String {
    root().join("tests/data/cdnow").join(name).to_string_lossy().into_owned()
}

/// Run `journey` in `cwd` with standard output going to `stdout`.
fn run_into(args: &[&str], cwd: &Path, stdout: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("the journey binary runs")
}

fn dev_full() -> Stdio {
    Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists"))
}

/// A partial report of the CDNOW replay, for the `merge` forms.
fn partial(dir: &Path) -> String {
    let p = dir.join("part.json");
    let out = journey(
        &["simulate", "--from", "1997-01-01", "--to", "1997-03-31", "--partial", p.to_str().unwrap(), "-q"],
        &cdnow(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    p.to_string_lossy().into_owned()
}

/// Every command form that prints to standard output.
fn forms(dir: &Path) -> Vec<Vec<String>> {
    let sample = data("CDNOW_sample.txt");
    let summary = data("cdnow_customers_summary.csv");
    let log_args = ["--no-header", "--customer", "2", "--timestamp", "3", "--amount", "5"];
    let part = partial(dir);
    let unformatted = dir.join("messy");
    std::fs::create_dir_all(&unformatted).unwrap();
    std::fs::write(unformatted.join("a.journey"), "event signup {}\njourney a { entry on signup\n stage s { end } }\n")
        .unwrap();
    let mut forms: Vec<Vec<&str>> = vec![
        // a clean check prints nothing on stdout: these have a warning to print
        vec!["check", "../J301-unreachable-stage.journey"],
        vec!["check", "../J301-unreachable-stage.journey", "--format", "concise"],
        vec!["check", "--format", "json"],
        vec!["check", "../J301-unreachable-stage.journey", "--format", "github"],
        vec!["check", "--format", "sarif"],
        vec!["fmt", "--diff", unformatted.to_str().unwrap()],
        vec!["compile"],
        vec!["compile", "--schema"],
        vec!["graph", "second_cd"],
        vec!["graph", "second_cd", "--format", "dot"],
        vec!["calendar"],
        vec!["calendar", "--format", "json"],
        vec!["calendar", "--format", "csv"],
        vec!["calendar", "--format", "html"],
        vec!["diff", ".", "."],
        vec!["diff", ".", ".", "--format", "json"],
        vec!["explain", "J101"],
        vec!["explain", "--list"],
        vec!["events", "generate", "--customers", "20", "--days", "5"],
        vec!["events", "validate"],
        vec!["events", "validate", "--format", "json"],
        vec!["clv", "fit", "--model", "bg-nbd", "--input", &summary],
        vec!["clv", "fit", "--model", "bg-nbd", "--input", &summary, "--format", "json"],
        vec!["simulate", "--from", "1997-01-01", "--to", "1997-01-31"],
        vec!["simulate", "--from", "1997-01-01", "--to", "1997-01-31", "--format", "json"],
        vec!["merge", &part],
        vec!["merge", &part, "--format", "json"],
        vec!["completions", "bash"],
        // help and version: clap's own printing ignored the failed write (exit 0)
        vec!["--help"],
        vec!["--version"],
        vec!["simulate", "--help"],
    ];
    let mut predict = vec!["clv", "predict", "--draws", "5", "--input", &sample, "--calibration-end", "1997-09-30"];
    predict.extend(log_args);
    let mut backtest = vec!["clv", "backtest", "--input", &sample, "--calibration-end", "1997-09-30"];
    backtest.extend(log_args);
    forms.push(predict);
    forms.push(backtest);
    forms.into_iter().map(|f| f.into_iter().map(String::from).collect()).collect()
}

#[test]
fn a_full_disk_on_standard_output_is_a_message_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let forms = forms(dir.path());
    assert!(forms.len() >= 30, "{} forms", forms.len());
    let mut wrong = Vec::new();
    for form in &forms {
        let args: Vec<&str> = form.iter().map(String::as_str).collect();
        // each form works when standard output can be written
        let ok = run_into(&args, &cdnow(), Stdio::piped());
        assert!(code(&ok) == 0 || code(&ok) == 1, "{args:?} exit {}: {}", code(&ok), stderr(&ok));
        assert!(!ok.stdout.is_empty(), "{args:?} prints something");
        let out = run_into(&args, &cdnow(), dev_full());
        let err = stderr(&out);
        if code(&out) != 2 || !err.contains("cannot write to standard output: No space left on device") {
            wrong.push(format!("{args:?}: exit {}\n{err}", code(&out)));
        }
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(wrong.is_empty(), "{} of {} forms:\n{}", wrong.len(), forms.len(), wrong.join("\n"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `journey explain --list | head -1`: the reader goes away after one line
    let mut child = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(["completions", "zsh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert_ne!(out.status.code(), Some(101));
}

#[test]
fn a_json_mode_prints_a_json_error_object_on_a_fatal_error() {
    let out = journey(&["simulate", "--events", "no-such-log.csv", "--format", "json"], &cdnow());
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON error object on stdout");
    assert!(v["error"]["message"].as_str().unwrap().contains("no-such-log.csv"), "{v}");
    // the human message is still on stderr
    assert!(stderr(&out).contains("no-such-log.csv"));
    let out = journey(&["merge", "no-such-part.json", "--format", "json"], &cdnow());
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON error object on stdout");
    assert!(v["error"]["help"].as_str().is_some(), "{v}");
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn new_files_get_the_usual_permissions_and_old_files_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ir = d.join("ir.json");
    let cal = d.join("calendar.html");
    let trace = d.join("trace.csv");
    let html = d.join("report.html");
    let out = journey(&["compile", "-o", ir.to_str().unwrap()], &cdnow());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = journey(&["calendar", "--format", "html", "-o", cal.to_str().unwrap()], &cdnow());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = journey(
        &[
            "simulate",
            "--from",
            "1997-01-01",
            "--to",
            "1997-01-15",
            "--trace",
            trace.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
        &cdnow(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // the test harness runs with the usual umask of 022 or 002
    let umask = 0o666 & !mode(&ir);
    assert!(umask == 0o022 || umask == 0o002, "ir.json has mode {:o}", mode(&ir));
    for p in [&cal, &trace, &html] {
        assert_eq!(mode(p), mode(&ir), "{}", p.display());
    }
    // an existing file keeps its mode when replaced
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ir, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = journey(&["compile", "-o", ir.to_str().unwrap()], &cdnow());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(mode(&ir), 0o640);
    // nothing left behind in the directory but the outputs
    let mut names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["calendar.html", "ir.json", "report.html", "trace.csv"]);
}

#[test]
fn a_failed_run_leaves_the_old_outputs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (trace, html, partial) = (d.join("trace.csv"), d.join("report.html"), d.join("part.json"));
    for p in [&trace, &html, &partial] {
        std::fs::write(p, "the previous run's output\n").unwrap();
    }
    // a log with a bad row half-way: the run stops with an error after writing rows
    let log = d.join("log.csv");
    let mut body = String::from("customer_id,timestamp,event\n");
    for i in 0..2000 {
        body.push_str(&format!("c{i},2025-01-01T10:00:00Z,signup\n"));
    }
    body.push_str("c9,not a time,signup\n");
    std::fs::write(&log, body).unwrap();
    let project = d.join("p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("j.journey"),
        "event signup {}\nchannel email {\n  kind email\n}\njourney hello {\n  entry on signup\n  stage s {\n    send email \"hi\"\n    end\n  }\n}\n",
    )
    .unwrap();
    let out = journey(
        &[
            "simulate",
            "--events",
            log.to_str().unwrap(),
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-02",
            "--trace",
            trace.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
            "--partial",
            partial.to_str().unwrap(),
        ],
        &project,
    );
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    for p in [&trace, &html, &partial] {
        assert_eq!(std::fs::read_to_string(p).unwrap(), "the previous run's output\n", "{}", p.display());
    }
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 5, "no temporary file is left behind");
}

#[test]
fn output_to_a_full_device_is_a_message() {
    // a device is written directly (never renamed over), and its error is a message
    let out = journey(&["calendar", "-o", "/dev/full"], &cdnow());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write /dev/full: No space left on device"), "{}", stderr(&out));
    let out = journey(&["compile", "-o", "/dev/null"], &cdnow());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    #[cfg(unix)]
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&Path::new("/dev/null").metadata().unwrap().file_type()));
}

#[test]
fn merge_refuses_a_part_given_twice_and_parts_that_share_customers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let part = |name: &str, from: &str, to: &str| {
        let p = d.join(name);
        let out = journey(&["simulate", "--from", from, "--to", to, "--partial", p.to_str().unwrap(), "-q"], &cdnow());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        p.to_string_lossy().into_owned()
    };
    let q1 = part("q1.json", "1997-01-01", "1997-03-31");
    let q2 = part("q2.json", "1997-04-01", "1997-06-30");
    // the same part twice would count every customer twice
    let out = journey(&["merge", &q1, &q1], &cdnow());
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("is the same partial report as"), "{}", stderr(&out));
    assert!(stderr(&out).contains("[journey::merge::duplicate]") || stderr(&out).contains("journey::merge::duplicate"));
    // two periods of the whole log share every customer, but what to fix is the
    // periods: named first (parts of one run that share customers are refused as
    // overlapping, crates/journey_run/src/partial.rs)
    let out = journey(&["merge", &q1, &q2], &cdnow());
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("were simulated with different settings"), "{}", stderr(&out));
    assert!(stderr(&out).contains("period 1997-01-01 to 1997-03-31"), "{}", stderr(&out));
    // one part alone merges into its own run's report
    let out = journey(&["merge", &q1, "--format", "json"], &cdnow());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let merged: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let part: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&q1).unwrap()).unwrap();
    assert_eq!(merged["customers"], part["customers"]);
    assert_eq!(merged["sends"], part["sends"]);
}

#[test]
#[cfg(unix)]
fn fmt_refuses_read_only_files_and_keeps_mode_and_hard_links() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let messy = "event signup {}\njourney a { entry on signup\n stage s { end } }\n";
    let file = d.join("a.journey");
    std::fs::write(&file, messy).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = journey(&["fmt", "a.journey"], d);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("a.journey: the file is read-only"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy, "a read-only file is left alone");

    // a writable file with a second hard link: both names see the formatted text
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = d.join("link.txt");
    std::fs::hard_link(&file, &link).unwrap();
    let out = journey(&["fmt", "a.journey"], d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert_ne!(formatted, messy);
    assert_eq!(std::fs::read_to_string(&link).unwrap(), formatted, "the hard link sees the new text");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.nlink(), 2);
    assert_eq!(meta.permissions().mode() & 0o777, 0o640, "the mode is kept");
}

#[test]
fn the_default_period_is_the_logs_days_as_if_given() {
    // CDNOW's log runs from 1997-01-01 to 1998-06-30 (New York)
    let default = journey(&["simulate", "--format", "json", "-q"], &cdnow());
    assert_eq!(code(&default), 0, "{}", stderr(&default));
    let given = journey(&["simulate", "--format", "json", "-q", "--to", "1998-06-30"], &cdnow());
    assert_eq!(code(&given), 0, "{}", stderr(&given));
    let both = journey(&["simulate", "--format", "json", "-q", "--from", "1997-01-01", "--to", "1998-06-30"], &cdnow());
    assert_eq!(stdout(&default), stdout(&given), "--to of the last day is the default");
    assert_eq!(stdout(&default), stdout(&both), "--from of the first day is the default");
}

#[test]
#[cfg(unix)]
fn paths_without_journey_files_are_named_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("empty")).unwrap();
    let fifo = d.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, what) in [
        ("empty", "empty is a folder without journey files"),
        ("/dev/null", "/dev/null is not a regular file (a device or a pipe)"),
        ("pipe", "pipe is not a regular file (a device or a pipe)"),
    ] {
        for command in ["check", "simulate", "calendar", "compile"] {
            let out = journey(&[command, path], d);
            assert_eq!(code(&out), 2, "{command} {path}: {}", stderr(&out));
            assert!(stderr(&out).contains(&format!("no journey files found: {what}")), "{}", stderr(&out));
        }
    }
}

#[test]
fn one_table_of_exit_codes_in_help_readme_and_docs() {
    let help = journey(&["--help"], &root());
    let table = std::fs::read_to_string(root().join("src/exit_codes.txt")).unwrap();
    assert!(stdout(&help).contains(table.trim_end()), "{}", stdout(&help));
    for page in ["README.md", "docs/ci.md"] {
        let text = std::fs::read_to_string(root().join(page)).unwrap();
        assert!(text.contains(&format!("```text\n{table}```")), "{page} shows the exit codes of `journey --help`");
    }
}

/// fmt lays out `.journey` files only: a YAML journey was counted as "already
/// formatted" however it was written.
#[test]
fn fmt_counts_yaml_journeys_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("schema.journey"), "event signup\n").unwrap();
    std::fs::write(
        d.join("w.journey.yaml"),
        "journeys:\n  welcome:\n    entry:     on signup\n    stages:\n      hi:\n        - end\n",
    )
    .unwrap();
    let out = journey(&["fmt", "--check"], d);
    assert_eq!(
        stderr(&out).trim_end(),
        "0 files would be reformatted, 1 already formatted, 1 YAML journey kept as written (fmt lays out .journey files)"
    );
}

#[test]
fn fmt_check_fails_on_a_yaml_journey_that_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // the other file is canonical: only the broken one can fail the check
    std::fs::write(d.join("schema.journey"), "event signup\n").unwrap();
    let out = journey(&["fmt", "--check"], d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::write(d.join("broken.journey.yaml"), "journey: [unclosed\n  entry: {\n").unwrap();
    let out = journey(&["fmt", "--check"], d);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("broken.journey.yaml"), "{}", stderr(&out));
    assert!(stderr(&out).contains("files with syntax errors are not formatted"), "{}", stderr(&out));
}

#[test]
fn config_errors_do_not_name_internal_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.journey"), "event signup\n").unwrap();
    for (yaml, command) in [("- a\n- b\n", "check"), ("events:\n  - a\n", "simulate")] {
        std::fs::write(d.join("journey.yaml"), yaml).unwrap();
        let out = journey(&[command], d);
        // diagnostics go to stdout, the summary to stderr
        let err = stdout(&out) + &stderr(&out);
        assert_eq!(code(&out), 1, "{err}");
        assert!(err.contains("expected a mapping of keys (`key: value` lines)"), "{err}");
        assert!(!err.contains("struct"), "{err}");
    }
}
