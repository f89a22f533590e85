//! `journey merge` of partial reports on a project that is not journeys/ (the B2B
//! project, tests/projects/b2b, whose log is split by account as its account
//! conditions need): parts simulated over other periods, with other seeds or another
//! quiet-hours mode are refused, naming both files and what differs, and so are parts
//! simulated with different programs (journey files or journey.yaml edited between
//! them); parts of one run merge into the whole run's report byte for byte, and the
//! merge prints the period.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn b2b() -> PathBuf {
    root().join("tests/projects/b2b")
}

const PERIOD: [&str; 4] = ["--from", "2024-05-07", "--to", "2025-03-31"];

/// Split a CSV (header kept in both) by the part of its first column's customer.
fn split_csv(file: &Path, part_of: &dyn Fn(&str) -> usize, out: [&Path; 2]) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut parts = [format!("{header}\n"), format!("{header}\n")];
    for line in lines {
        let customer = line.split(',').next().unwrap();
        parts[part_of(customer)].push_str(&format!("{line}\n"));
    }
    for (p, body) in out.iter().zip(parts) {
        std::fs::write(p, body).unwrap();
    }
}

/// The generated B2B log and snapshot split in two by account: (log, attributes) of
/// the whole and of each part.
fn split_b2b(d: &Path) -> ((PathBuf, PathBuf), [(PathBuf, PathBuf); 2]) {
    let (log, attrs) = generated_log(&b2b(), d);
    let snapshot = std::fs::read_to_string(&attrs).unwrap();
    let account: std::collections::HashMap<String, String> = (snapshot.lines().skip(1))
        .map(|l| {
            let mut cells = l.split(',');
            (cells.next().unwrap().to_string(), cells.next().unwrap().to_string())
        })
        .collect();
    let part_of = |customer: &str| {
        let key = account.get(customer).map_or(customer, String::as_str);
        key.bytes().map(usize::from).sum::<usize>() % 2
    };
    let parts = [0, 1].map(|i| (d.join(format!("log{i}.csv")), d.join(format!("attrs{i}.csv"))));
    split_csv(&log, &part_of, [&parts[0].0, &parts[1].0]);
    split_csv(&attrs, &part_of, [&parts[0].1, &parts[1].1]);
    ((log, attrs), parts)
}

fn simulate_part(log: &Path, attrs: &Path, partial: &Path, extra: &[&str]) {
    let mut args = vec!["simulate", "--events", s(log), "--attributes", s(attrs), "--partial", s(partial), "-q"];
    args.extend(extra);
    let out = journey(&args, &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// The error of `journey merge A B --format json` (exit 2): its message.
fn refusal(a: &Path, b: &Path) -> String {
    let out = journey(&["merge", s(a), s(b), "--format", "json"], &b2b());
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["code"], "journey::merge::different_runs", "{v}");
    v["error"]["message"].as_str().unwrap().to_string()
}

#[test]
fn merge_refuses_parts_of_other_periods_seeds_or_quiet_hours_and_prints_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ((log, attrs), [(log0, attrs0), (log1, attrs1)]) = split_b2b(d);
    let p0 = d.join("p0.json");
    simulate_part(&log0, &attrs0, &p0, &PERIOD);

    // the other part over another period: refused, both files and both periods named
    let p1 = d.join("p1-later.json");
    simulate_part(&log1, &attrs1, &p1, &["--from", "2024-06-01", "--to", "2025-03-31"]);
    let out = journey(&["merge", s(&p0), s(&p1)], &b2b());
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert_eq!(stdout(&out), "", "nothing merged");
    assert!(stderr(&out).contains("journey::merge::different_runs"), "{}", stderr(&out));
    let (a, b) = (p0.display(), p1.display());
    assert_eq!(
        refusal(&p0, &p1),
        format!(
            "{a} and {b} were simulated with different settings, so their figures do not add up: \
             period 2024-05-07 to 2025-03-31 in {a}, 2024-06-01 to 2025-03-31 in {b}"
        )
    );

    // the same period with another seed: the holdout and split draws differ
    let p1 = d.join("p1-seed.json");
    simulate_part(&log1, &attrs1, &p1, &[&PERIOD[..], &["--seed", "5"]].concat());
    assert!(refusal(&p0, &p1).ends_with(&format!("add up: seed 1 in {a}, 5 in {}", p1.display())));

    // another quiet-hours mode
    let p1 = d.join("p1-drop.json");
    simulate_part(&log1, &attrs1, &p1, &[&PERIOD[..], &["--quiet-hours", "drop"]].concat());
    assert!(refusal(&p0, &p1).ends_with(&format!("add up: quiet hours defer in {a}, drop in {}", p1.display())));

    // the parts of one run: the whole run's report, byte for byte, its period included
    let p1 = d.join("p1.json");
    simulate_part(&log1, &attrs1, &p1, &PERIOD);
    let mut whole = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"];
    whole.extend(PERIOD);
    let whole = journey(&whole, &b2b());
    assert_eq!(code(&whole), 0, "{}", stderr(&whole));
    let merged = journey(&["merge", s(&p0), s(&p1), "--format", "json"], &b2b());
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    assert_eq!(stdout(&merged), stdout(&whole), "merged parts equal the whole run");
    let mut v: Value = serde_json::from_str(&stdout(&merged)).unwrap();
    let program = v["run"].as_object_mut().unwrap().remove("program").expect("the program's fingerprint");
    assert!(program.as_str().is_some_and(|p| p.len() == 16 && p.bytes().all(|b| b.is_ascii_hexdigit())), "{program}");
    assert_eq!(
        v["run"],
        serde_json::json!({"from": "2024-05-07", "to": "2025-03-31", "seed": 1, "quiet_hours": "defer"})
    );
    let out = journey(&["merge", s(&p0), s(&p1)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out)
            .starts_with("2 partial reports merged: 2024-05-07 to 2025-03-31 (329 days), seed 1, quiet hours defer\n"),
        "{}",
        stdout(&out)
    );
    let page = d.join("merged.html");
    let out = journey(&["merge", s(&p0), s(&p1), "--html", s(&page)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<dt>period</dt><dd>2024-05-07 to 2025-03-31 (329 days)</dd>"), "period in the header");
    assert!(html.contains("<dt>seed</dt><dd>1</dd>"), "seed in the header");

    // a part of an earlier version (no `run`): merged with a note, its period unknown
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&p1).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("run");
    let p1_old = d.join("p1-old.json");
    std::fs::write(&p1_old, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let out = journey(&["merge", s(&p0), s(&p1_old)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let note = stderr(&out).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        note.contains("p1-old.json does not record the period, seed and quiet-hours mode it was simulated with"),
        "{note}"
    );
    assert!(
        stdout(&out).starts_with("2 partial reports merged: period, seed and quiet hours not recorded"),
        "{}",
        stdout(&out)
    );
    let out = journey(&["merge", s(&p0), s(&p1_old), "--format", "json", "-q"], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v.get("run").is_none(), "no period when a part does not record it");
    assert_eq!(v["customers"], 300);
}

/// Bad rows skipped with `--skip-bad-rows` are counted by kind in the JSON report, in
/// each partial report, and summed by `journey merge` (text, JSON, HTML), so a merge
/// of the parts reports them as the whole run does.
#[test]
fn skipped_rows_are_in_the_json_report_the_partials_and_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ((log, attrs), [(log0, attrs0), (log1, attrs1)]) = split_b2b(d);
    let empty = ",".repeat(14);
    let bad = [
        // part 0: unparsable time, unknown event, missing customer
        vec![
            format!("c0000001,not-a-time,login{empty}"),
            format!("c0000001,2024-05-01T00:00:00Z,teleport{empty}"),
            format!(",2024-06-01T00:00:00Z,login{empty}"),
        ],
        // part 1: a short row, two unknown events
        vec![
            "c0000002,2024-06-01T10:00:00Z".to_string(),
            format!("c0000002,2024-05-01T00:00:00Z,teleport{empty}"),
            format!("c0000002,2024-05-01T00:00:00Z,warp{empty}"),
        ],
    ];
    let with_bad = |from: &Path, rows: &[String], to: &Path| {
        let mut body = std::fs::read_to_string(from).unwrap();
        rows.iter().for_each(|r| body.push_str(&format!("{r}\n")));
        std::fs::write(to, body).unwrap();
    };
    let (bad_log, bad0, bad1) = (d.join("bad.csv"), d.join("bad0.csv"), d.join("bad1.csv"));
    with_bad(&log, &bad.concat(), &bad_log);
    with_bad(&log0, &bad[0], &bad0);
    with_bad(&log1, &bad[1], &bad1);

    // the JSON report of the whole run counts them by kind, as the text does
    let mut args = vec!["simulate", "--events", s(&bad_log), "--attributes", s(&attrs), "--skip-bad-rows"];
    args.extend(PERIOD);
    let whole = journey(&[&args[..], &["--format", "json", "-q"]].concat(), &b2b());
    assert_eq!(code(&whole), 0, "{}", stderr(&whole));
    let v: Value = serde_json::from_str(&stdout(&whole)).unwrap();
    let expected = serde_json::json!({
        "malformed": 1, "missing_customer": 1, "missing_time": 0, "unparsable_time": 1, "missing_event": 0,
        "unknown_event": 3, "bad_value": 0, "out_of_order": 0,
        "unknown_event_names": {"teleport": 2, "warp": 1}
    });
    assert_eq!(v["skipped"], expected, "{:#}", v["skipped"]);
    let text = journey(&args, &b2b());
    assert!(stdout(&text).contains("skipped 6 bad rows:\n"), "{}", stdout(&text));
    // a clean log: every count 0, still there
    let mut clean = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs), "--format", "json"];
    clean.extend(PERIOD);
    let v: Value = serde_json::from_str(&stdout(&journey(&clean, &b2b()))).unwrap();
    assert_eq!(v["skipped"]["unknown_event"], 0, "{v}");

    // each part records its own skipped rows; the merge sums them: the whole run's
    // report, byte for byte
    let (p0, p1) = (d.join("p0.json"), d.join("p1.json"));
    simulate_part(&bad0, &attrs0, &p0, &[&PERIOD[..], &["--skip-bad-rows"]].concat());
    simulate_part(&bad1, &attrs1, &p1, &[&PERIOD[..], &["--skip-bad-rows"]].concat());
    let part: Value = serde_json::from_str(&std::fs::read_to_string(&p0).unwrap()).unwrap();
    assert_eq!(part["skipped"]["unparsable_time"], 1, "{:#}", part["skipped"]);
    assert_eq!(part["skipped"]["unknown_event_names"], serde_json::json!({"teleport": 1}));
    let merged = journey(&["merge", s(&p0), s(&p1), "--format", "json"], &b2b());
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    assert_eq!(stdout(&merged), stdout(&whole), "merged parts equal the whole run, skipped rows included");
    let out = journey(&["merge", s(&p0), s(&p1)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(summary.ends_with(&stdout(&text)[stdout(&text).find("skipped 6 bad rows:").unwrap()..]), "{summary}");
    let page = d.join("merged.html");
    let out = journey(&["merge", s(&p0), s(&p1), "--html", s(&page)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("6 rows were skipped with <code>--skip-bad-rows</code>"), "the skipped rows on the page");
    assert!(html.contains("unknown event `warp`"), "by name");

    // a part of an earlier version (no `skipped`): merged with a note, the skipped
    // rows left out rather than undercounted
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&p1).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("skipped");
    let p1_old = d.join("p1-old.json");
    std::fs::write(&p1_old, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let out = journey(&["merge", s(&p0), s(&p1_old)], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let note = stderr(&out).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(note.contains("p1-old.json does not record the bad rows its run skipped"), "{note}");
    assert!(stdout(&out).ends_with("skipped bad rows: not recorded (partial reports of an earlier version)\n"));
    let out = journey(&["merge", s(&p0), s(&p1_old), "--format", "json", "-q"], &b2b());
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v.get("skipped").is_none(), "{:#}", v["skipped"]);
}

/// The fingerprint of the program (`run.program`) of simulate's JSON report.
fn fingerprint(project: &Path, log: &Path, attrs: &Path, extra: &[&str]) -> String {
    let mut args = vec!["simulate", "--events", s(log), "--attributes", s(attrs), "--format", "json", "-q"];
    args.extend(PERIOD);
    args.extend(extra);
    let out = journey(&args, project);
    assert_eq!(code(&out), 0, "{} {}", stderr(&out), stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["run"]["program"].as_str().expect("run.program").to_string()
}

/// Parts simulated with different programs (a journey file edited between the parts)
/// are refused, naming both files and both fingerprints; the fingerprint is the same
/// on any thread count, wherever the project lives and after an edit of comments and
/// layout only; a part of an earlier version (no fingerprint) merges with a note.
#[test]
fn merge_refuses_parts_of_different_programs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ((log, attrs), [(log0, attrs0), (log1, attrs1)]) = split_b2b(d);
    // the project elsewhere, with its comments and blank lines changed: the same program
    let moved = d.join("elsewhere/b2b");
    copy_dir(&b2b(), &moved);
    let renewal = moved.join("journeys/renewal.journey");
    let text = std::fs::read_to_string(&renewal).unwrap();
    let reformatted = format!("// reviewed in December\n\n{}", text.replace("\n\n", "\n\n\n// --\n"));
    std::fs::write(&renewal, reformatted).unwrap();
    let config = moved.join("journey.yaml");
    let yaml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("# moved\n{yaml}")).unwrap();
    let here = fingerprint(&b2b(), &log, &attrs, &[]);
    assert_eq!(fingerprint(&b2b(), &log, &attrs, &["--threads", "1"]), here, "any thread count");
    assert_eq!(fingerprint(&b2b(), &log, &attrs, &["--threads", "3"]), here, "any thread count");
    assert_eq!(fingerprint(&moved, &log, &attrs, &[]), here, "another place, other comments: the same program");

    // a part simulated after journey.yaml changed a rule: another program
    let edited = d.join("edited/b2b");
    copy_dir(&b2b(), &edited);
    let config = edited.join("journey.yaml");
    let yaml = std::fs::read_to_string(&config).unwrap();
    assert!(yaml.contains("global_holdout: { percent: 10,"));
    std::fs::write(&config, yaml.replace("global_holdout: { percent: 10,", "global_holdout: { percent: 15,")).unwrap();
    let other = fingerprint(&edited, &log, &attrs, &[]);
    assert_ne!(other, here, "a changed global holdout is another program");

    let p0 = d.join("p0.json");
    simulate_part(&log0, &attrs0, &p0, &PERIOD);
    let p1 = d.join("p1-edited.json");
    let mut args = vec!["simulate", "--events", s(&log1), "--attributes", s(&attrs1), "--partial", s(&p1), "-q"];
    args.extend(PERIOD);
    let out = journey(&args, &edited);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = journey(&["merge", s(&p0), s(&p1), "--format", "json"], &b2b());
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["code"], "journey::merge::different_programs", "{v}");
    let (a, b) = (p0.display(), p1.display());
    assert_eq!(
        v["error"]["message"].as_str().unwrap(),
        format!(
            "{a} and {b} were simulated with different programs (program {here} in {a}, {other} in {b}): the \
             journey files or journey.yaml changed between the parts, so their figures do not add up"
        )
    );
    let out = journey(&["merge", s(&p0), s(&p1)], &b2b());
    assert_eq!(code(&out), 2);
    assert_eq!(stdout(&out), "", "nothing merged");
    assert!(stderr(&out).contains("journey::merge::different_programs"), "{}", stderr(&out));

    // the same program in the moved copy: merges, and names the program
    let p1 = d.join("p1.json");
    let mut args = vec!["simulate", "--events", s(&log1), "--attributes", s(&attrs1), "--partial", s(&p1), "-q"];
    args.extend(PERIOD);
    let out = journey(&args, &moved);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = journey(&["merge", s(&p0), s(&p1), "--format", "json"], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["run"]["program"], here.as_str());

    // a part of an earlier version records no program: merged with a note, and the
    // merged run names none
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&p1).unwrap()).unwrap();
    old["run"].as_object_mut().unwrap().remove("program");
    let p1_old = d.join("p1-old.json");
    std::fs::write(&p1_old, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let out = journey(&["merge", s(&p0), s(&p1_old), "--format", "json"], &b2b());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let note = stderr(&out).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(note.contains("p1-old.json does not record the program it was simulated with"), "{note}");
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["run"].get("program").is_none(), "{}", v["run"]);
    assert_eq!(v["run"]["seed"], 1);
}
