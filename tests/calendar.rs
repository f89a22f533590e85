//! `journey calendar`: the week-by-week view of every send in every format, on a
//! small fixture repository and on the bundled library; with `--trace`, the volumes
//! and collisions of a simulation trace (hand-written for the fixture, simulated from
//! a generated log for the library); the HTML pages are loaded in headless Chromium
//! when it is installed.

mod common;

use common::{code, journey, root, stderr, stdout};
use std::fs;
use std::path::Path;

/// Two journeys with the same priority on overlapping audiences (J605), one of them
/// scheduled, sharing the email cap.
const FIXTURE: &str = r#"event purchase
attribute email_opt_in: bool
attribute plan: one_of("free", "pro", "team")

channel email {
  kind email
  consent email_opt_in
  cap 3 per 7d
}

channel push {
  kind push
}

journey receipt_tips {
  priority 50
  entry on purchase
  audience email_opt_in and plan == "pro"

  stage tips {
    send email "receipt-brew-tips"
    wait 8d
    send push "receipt-how-was-it"
    end
  }
}

journey pro_digest {
  priority 50
  entry every monday at 10:00 "Europe/Berlin"
  audience email_opt_in and plan in ["pro", "team"]

  stage digest {
    send email "pro-weekly-digest"
    wait 26h
    send email "pro-digest-follow-up"
    end
  }
  goal bought = purchase within 7d
}
"#;

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("journeys.journey"), FIXTURE).unwrap();
    dir
}

fn calendar(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["calendar"];
    all.extend_from_slice(args);
    let out = journey(&all, dir);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

#[test]
fn fixture_table() {
    let dir = fixture();
    insta::assert_snapshot!(calendar(dir.path(), &[]));
}

#[test]
fn fixture_csv() {
    let dir = fixture();
    insta::assert_snapshot!(calendar(dir.path(), &["--format", "csv"]));
}

#[test]
fn fixture_json() {
    let dir = fixture();
    let text = calendar(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["sends"].as_array().unwrap().len(), 4);
    insta::assert_snapshot!(text);
}

#[test]
fn fixture_ical() {
    let dir = fixture();
    let text = calendar(dir.path(), &["--format", "ical"]);
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    // the event-triggered journey has no schedule
    assert!(!text.contains("receipt-brew-tips"));
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    insta::assert_snapshot!(text.replace("\r\n", "⏎\n"));
}

#[test]
fn weeks_and_output_file() {
    let dir = fixture();
    let path = dir.path().join("out.csv");
    assert_eq!(calendar(dir.path(), &["--format", "csv", "--weeks", "1", "-o", path.to_str().unwrap()]), "");
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(!text.contains("receipt-how-was-it"));
}

#[test]
fn refuses_on_check_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.journey"), "journey broken {\n  stage a {\n    send nowhere \"x\"\n  }\n}\n")
        .unwrap();
    let out = journey(&["calendar"], dir.path());
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn bundled_library_is_deterministic() {
    let root = root();
    for format in ["table", "json", "csv", "ical", "html"] {
        let a = calendar(&root, &["--format", format]);
        let b = calendar(&root, &["--format", format]);
        assert!(!a.is_empty(), "{format}");
        assert_eq!(a, b, "{format}");
    }
}

#[test]
fn html_in_headless_chromium() {
    let dir = fixture();
    let page = dir.path().join("calendar.html");
    calendar(dir.path(), &["--format", "html", "-o", page.to_str().unwrap()]);
    let html = fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("J605"), "{html}");
    let Some(dom) = common::chromium_dom(&page) else { return };
    for needle in ["receipt_tips", "pro_digest", "J605", "Week 2", "pro-weekly-digest"] {
        assert!(dom.contains(needle), "`{needle}` missing from the DOM:\n{dom}");
    }
}

// ------------------------------------------------------------------ with a trace

/// A hand-written trace for the fixture: `ann` gets four emails within a week from
/// both journeys (over the email cap of 3 per 7d), `bob` one journey's two sends,
/// `cid` a digest and a suppression.
const FIXTURE_TRACE: &str = "\
time,customer,journey,node,kind,channel,template
2026-01-05T09:00:00Z,ann,pro_digest,,enter,,
2026-01-05T09:00:00Z,ann,pro_digest,digest#0,send,email,pro-weekly-digest
2026-01-05T10:00:00Z,bob,receipt_tips,,enter,,
2026-01-05T10:00:00Z,bob,receipt_tips,tips#0,send,email,receipt-brew-tips
2026-01-05T12:00:00Z,ann,receipt_tips,,enter,,
2026-01-05T12:00:00Z,ann,receipt_tips,tips#0,send,email,receipt-brew-tips
2026-01-06T11:00:00Z,ann,pro_digest,digest#2,send,email,pro-digest-follow-up
2026-01-06T11:00:00Z,ann,pro_digest,,exit,,
2026-01-07T08:00:00Z,ann,receipt_tips,tips#0,send,email,receipt-brew-tips
2026-01-12T09:00:00Z,cid,pro_digest,digest#0,send,email,pro-weekly-digest
2026-01-12T09:05:00Z,cid,pro_digest,digest#0,suppressed,email,
2026-01-13T10:00:00Z,bob,receipt_tips,tips#2,send,push,receipt-how-was-it
";

fn fixture_with_trace() -> tempfile::TempDir {
    let dir = fixture();
    fs::write(dir.path().join("trace.csv"), FIXTURE_TRACE).unwrap();
    dir
}

#[test]
fn fixture_trace_table() {
    let dir = fixture_with_trace();
    let text = calendar(dir.path(), &["--trace", "trace.csv"]);
    // the weeks and journeys are those of the table without a trace
    let plain = calendar(dir.path(), &[]);
    let cut = |t: &str| t[..t.find("\nConflicts\n").unwrap()].to_string();
    assert_eq!(cut(&text), cut(&plain));
    insta::assert_snapshot!(text);
}

#[test]
fn fixture_trace_csv() {
    let dir = fixture_with_trace();
    let text = calendar(dir.path(), &["--trace", "trace.csv", "--format", "csv"]);
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",conflicts,observed_sends,observed_days,observed_collisions"), "{header}");
    insta::assert_snapshot!(text);
}

#[test]
fn fixture_trace_json() {
    let dir = fixture_with_trace();
    let text = calendar(dir.path(), &["--trace", "trace.csv", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let o = &v["observed"];
    assert_eq!(o["sends"], 7);
    assert_eq!(o["collisions"][0]["kind"], "over_cap");
    assert_eq!(o["collisions"][0]["example"]["customer"], "ann");
    insta::assert_snapshot!(text);
}

#[test]
fn ical_ignores_the_trace() {
    let dir = fixture_with_trace();
    assert_eq!(
        calendar(dir.path(), &["--trace", "trace.csv", "--format", "ical"]),
        calendar(dir.path(), &["--format", "ical"])
    );
}

/// Run `journey` in `cwd`, expecting `code`; stdout and stderr.
fn run_expecting(cwd: &Path, args: &[&str], want: i32) -> (String, String) {
    let out = journey(args, cwd);
    assert_eq!(code(&out), want, "{args:?}\n{}{}", stdout(&out), stderr(&out));
    (stdout(&out), stderr(&out))
}

#[test]
fn bad_traces_are_errors_with_file_line_and_column() {
    let dir = fixture();
    let d = dir.path();
    let cases: [(&str, &str); 5] = [
        (
            "2026-01-05T09:00:00Z,ann,pro_digets,,enter,,",
            "bad.csv:3:26: unknown journey `pro_digets` (did you mean `pro_digest`?)",
        ),
        ("2026-01-05T09:00:00Z,ann,pro_digest,digest#7,send,email,x", "bad.csv:3:37: journey `pro_digest` has no node"),
        (
            "2026-01-05T09:00:00Z,ann,pro_digest,digest#0,send,fax,pro-weekly-digest",
            "bad.csv:3:51: unknown channel `fax`",
        ),
        ("2026-01-05T08:00:00Z,ann,pro_digest,,exit,,", "bad.csv:3:1: customer `ann` goes back in time"),
        (
            "2026-01-05T09:00:00Z,ann,pro_digest,,exit",
            "bad.csv:3:42: malformed row: expected 7 fields like the header, found 5",
        ),
    ];
    for (row, want) in cases {
        let trace = format!(
            "time,customer,journey,node,kind,channel,template\n2026-01-05T09:00:00Z,ann,pro_digest,digest#0,send,email,pro-weekly-digest\n{row}\n"
        );
        fs::write(d.join("bad.csv"), trace).unwrap();
        for format in ["table", "html"] {
            let (out, err) = run_expecting(d, &["calendar", "--trace", "bad.csv", "--format", format], 2);
            assert!(out.is_empty(), "{out}");
            assert!(err.contains(want), "{want}\n{err}");
            assert!(err.contains("help:"), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let (_, err) = run_expecting(d, &["calendar", "--trace", "missing.csv"], 2);
    assert!(err.contains("cannot read missing.csv"), "{err}");
    fs::write(d.join("log.csv"), "customer_id,event,timestamp\nann,purchase,2026-01-05T09:00:00Z\n").unwrap();
    let (_, err) = run_expecting(d, &["calendar", "--trace", "log.csv"], 2);
    assert!(err.contains("log.csv:1:28: not a journey trace: the header has no `time` column"), "{err}");
    // --attributes only means something with a trace
    run_expecting(d, &["calendar", "--attributes", "attrs.csv"], 2);
}

/// A seeded log of the bundled library (600 customers, 120 days) replayed with
/// `simulate --trace`: the trace, the attribute snapshot and the run's JSON report.
struct Simulated {
    dir: tempfile::TempDir,
    report: serde_json::Value,
}

impl Simulated {
    fn new() -> Simulated {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        let root = root();
        let generate = [
            "events",
            "generate",
            "--seed",
            "11",
            "--customers",
            "600",
            "--days",
            "120",
            "-o",
            &p("log.csv"),
            "--attributes",
            &p("attrs.csv"),
        ];
        run_expecting(&root, &generate, 0);
        let simulate = [
            "simulate",
            "--events",
            &p("log.csv"),
            "--attributes",
            &p("attrs.csv"),
            "--trace",
            &p("trace.csv"),
            "--format",
            "json",
        ];
        let (report, _) = run_expecting(&root, &simulate, 0);
        Simulated { report: serde_json::from_str(&report).unwrap(), dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// `journey calendar --trace … --attributes …` on the repository at `repo`.
    fn calendar(&self, repo: &Path, extra: &[&str]) -> String {
        let (trace, attrs) = (self.path("trace.csv"), self.path("attrs.csv"));
        let mut args = vec!["calendar", "--trace", &trace, "--attributes", &attrs];
        args.extend_from_slice(extra);
        run_expecting(repo, &args, 0).0
    }
}

/// The part of a table from its `Observed in` line on.
fn observed_part(table: &str) -> &str {
    &table[table.find("\nObserved in ").expect("an observed section") + 1..]
}

#[test]
fn library_trace_agrees_with_the_simulation_report() {
    let sim = Simulated::new();
    let v: serde_json::Value = serde_json::from_str(&sim.calendar(&root(), &["--format", "json"])).unwrap();
    let o = &v["observed"];
    let r = &sim.report;
    assert_eq!(o["sends"], r["sends"]);
    assert!(o["sends"].as_u64().unwrap() > 1000, "{}", o["sends"]);
    assert_eq!(o["customer_zones"], true);
    // sends per day and channel, exactly as the engine counted them
    let mut days = serde_json::Map::new();
    for d in o["days"].as_array().unwrap() {
        if d["sends"].as_u64().unwrap() > 0 {
            days.insert(d["date"].as_str().unwrap().to_string(), d["channels"].clone());
        }
    }
    assert_eq!(serde_json::Value::Object(days), r["sends_by_day"]);
    // and per journey
    for (name, j) in r["journeys"].as_object().unwrap() {
        let want: u64 = j["sends"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|m| m.as_object().unwrap().values())
            .map(|n| n.as_u64().unwrap())
            .sum();
        let got: u64 = o["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["journey"] == name.as_str())
            .map(|s| s["sends"].as_u64().unwrap())
            .sum();
        assert_eq!(got, want, "{name}");
    }
    // every day from the first to the last is listed
    let n = o["days"].as_array().unwrap().len();
    assert_eq!(o["days"][0]["date"], "2025-01-01");
    assert_eq!(o["days"][n - 1]["date"], o["last_day"]);
    // the engine keeps to the caps and the conflicting tags it enforces
    let collisions = o["collisions"].as_array().unwrap();
    assert!(collisions.iter().all(|c| c["kind"] != "over_cap" && c["kind"] != "conflicting_tags"), "{collisions:#?}");
    // under a longer conflict window (the longest policy cap window: 21 days instead of
    // 7) the same trace shows who would have collided, and confirms J602
    let repo = library_with_policy_cap("cap any 5 per 21d");
    let v: serde_json::Value = serde_json::from_str(&sim.calendar(repo.path(), &["--format", "json"])).unwrap();
    let collisions = v["observed"]["collisions"].as_array().unwrap();
    let confirmed: Vec<&serde_json::Value> = (collisions.iter())
        .filter(|c| c["kind"] == "conflicting_tags" && !c["confirms"].as_array().unwrap().is_empty())
        .collect();
    assert!(!confirmed.is_empty(), "a J602 is confirmed: {collisions:#?}");
    for c in confirmed {
        for r in c["confirms"].as_array().unwrap() {
            let conflict = &v["conflicts"][r["conflict"].as_u64().unwrap() as usize];
            assert_eq!(conflict["code"], "J602");
            let journeys = conflict["journeys"].as_array().unwrap();
            assert!(c["journeys"].as_array().unwrap().iter().all(|j| journeys.contains(j)), "{c:#?} / {conflict:#?}");
            assert!(conflict["observed"]["customers"].as_u64().unwrap() >= c["customers"].as_u64().unwrap());
        }
    }
    // a collision the static analysis does not predict is shown all the same
    assert!(collisions.iter().any(|c| c["confirms"].as_array().unwrap().is_empty()), "{collisions:#?}");
}

#[test]
fn library_trace_table() {
    let sim = Simulated::new();
    let text = sim.calendar(&root(), &[]);
    assert!(text.contains("observed: "), "static conflicts say what was observed");
    insta::assert_snapshot!(observed_part(&text));
}

#[test]
fn library_trace_is_deterministic_and_order_independent() {
    let sim = Simulated::new();
    let root = root();
    // the same rows sorted by time (stable: equal times keep their order)
    let text = fs::read_to_string(sim.path("trace.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut rows: Vec<&str> = lines.collect();
    rows.sort_by_key(|l| l.split(',').next().unwrap().to_string());
    let sorted_dir = tempfile::tempdir().unwrap();
    let sorted = sorted_dir.path().join("trace.csv");
    fs::write(&sorted, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let attrs = sim.path("attrs.csv");
    for format in ["table", "json", "csv", "html"] {
        let a = sim.calendar(&root, &["--format", format]);
        let b = sim.calendar(&root, &["--format", format]);
        assert_eq!(a, b, "{format}");
        let args = ["calendar", "--trace", sorted.to_str().unwrap(), "--attributes", &attrs, "--format", format];
        let c = run_expecting(&root, &args, 0).0;
        assert_eq!(a, c, "{format}: a time-sorted trace gives the same calendar");
    }
}

/// A copy of the bundled library with its policy's `cap any 5 per 7d` replaced: a
/// stricter policy than the one the trace was made under.
fn library_with_policy_cap(cap: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let root = root();
    fs::copy(root.join("journey.yaml"), repo.path().join("journey.yaml")).unwrap();
    fs::create_dir(repo.path().join("journeys")).unwrap();
    for f in common::files(&root.join("journeys"), &[".journey", ".journey.yaml"]) {
        let text = fs::read_to_string(&f).unwrap();
        let text = text.replace("  cap any 5 per 7d", &format!("  {cap}"));
        fs::write(repo.path().join("journeys").join(f.file_name().unwrap()), text).unwrap();
    }
    repo
}

#[test]
fn a_tighter_policy_cap_shows_who_would_have_been_over_it() {
    let sim = Simulated::new();
    // the same library with `cap any 4 per 7d` instead of 5: the trace was made under 5
    let repo = library_with_policy_cap("cap any 4 per 7d");
    let v: serde_json::Value = serde_json::from_str(&sim.calendar(repo.path(), &["--format", "json"])).unwrap();
    let over: Vec<&serde_json::Value> =
        v["observed"]["collisions"].as_array().unwrap().iter().filter(|c| c["kind"] == "over_cap").collect();
    assert!(!over.is_empty(), "{:#}", v["observed"]["collisions"]);
    for c in &over {
        assert_eq!(c["subjects"][0]["subject"], "policy any: 4 per 7d");
        // the example fills the window: 4 sends and the one over
        assert_eq!(c["example"]["sends"].as_array().unwrap().len(), 5);
        for r in c["confirms"].as_array().unwrap() {
            let conflict = &v["conflicts"][r["conflict"].as_u64().unwrap() as usize];
            assert_eq!(conflict["code"], "J603");
            assert!(conflict["message"].as_str().unwrap().ends_with("within 7d, over the policy cap of 4 per 7d"));
            assert!(!conflict["message"].as_str().unwrap().contains("`sms`"), "{conflict}");
        }
    }
    assert!(over.iter().any(|c| !c["confirms"].as_array().unwrap().is_empty()), "a J603 is confirmed");
    let table = sim.calendar(repo.path(), &[]);
    let part = observed_part(&table);
    insta::assert_snapshot!(&part[part.find("Observed collisions").unwrap()..]);
}

#[test]
fn html_with_a_trace_in_headless_chromium() {
    let sim = Simulated::new();
    // a longer conflict window than the replay kept to, so the page has collisions
    // that confirm a J602 (the replay's own trace has none: the engine refuses them)
    let repo = library_with_policy_cap("cap any 5 per 21d");
    let page = sim.dir.path().join("calendar.html");
    sim.calendar(repo.path(), &["--format", "html", "-o", page.to_str().unwrap()]);
    let html = fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("), "self-contained");
    let v: serde_json::Value = serde_json::from_str(&sim.calendar(repo.path(), &["--format", "json"])).unwrap();
    let days = v["observed"]["days"].as_array().unwrap().len();
    assert_eq!(html.matches("<div class=\"d").count(), days, "one bar per day");
    assert!(html.contains("href=\"#conflict-"), "collisions link to the conflicts they confirm");
    let Some(dom) = common::chromium_dom(&page) else { return };
    for needle in [
        "Observed in trace.csv",
        "Sends per day",
        "Sends per step",
        "Observed collisions",
        "conflicting_tags",
        "discount vs full_price",
        "confirms",
        "observed: ",
        "sent in the trace",
        "welcome-1-our-story",
    ] {
        assert!(dom.contains(needle), "`{needle}` missing from the DOM");
    }
    assert_eq!(dom.matches("<div class=\"d").count(), days, "the strip survives parsing");
}

#[test]
fn attribute_snapshot_from_the_config_decides_the_local_day() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("shop.journey"),
        r#"event purchase
attribute plan: one_of("free", "pro")
attribute timezone: timezone

channel email {
  kind email
}

journey sale {
  priority 40
  entry on purchase
  audience plan == "pro" and count(purchase) >= 1
  stage offer { send email "weekly-news" end }
}

journey launch {
  priority 30
  entry on purchase
  audience plan == "pro" and count(purchase, 30d) >= 2
  stage news { send email "weekly-news" end }
}
"#,
    )
    .unwrap();
    fs::write(d.join("journey.yaml"), "timezone: America/New_York\nevents:\n  attributes: london.csv\n").unwrap();
    fs::write(d.join("london.csv"), "customer_id,plan,timezone\nc1,pro,Europe/London\n").unwrap();
    fs::write(d.join("new_york.csv"), "customer_id,plan,timezone\nc1,pro,America/New_York\n").unwrap();
    // 22:30 and 00:30 in New York, 03:30 and 05:30 in London
    fs::write(
        d.join("trace.csv"),
        "time,customer,journey,node,kind,channel,template\n\
         2026-01-06T03:30:00Z,c1,sale,offer#0,send,email,weekly-news\n\
         2026-01-06T05:30:00Z,c1,launch,news#0,send,email,weekly-news\n",
    )
    .unwrap();
    let observed = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["calendar", "--trace", "trace.csv", "--format", "json"];
        args.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&run_expecting(d, &args, 0).0).unwrap();
        v["observed"].clone()
    };
    let london = observed(&[]);
    assert_eq!(london["customer_zones"], true);
    assert_eq!(london["collisions"][0]["kind"], "duplicate_template");
    assert_eq!(london["collisions"][0]["confirms"][0]["code"], "J601");
    let new_york = observed(&["--attributes", "new_york.csv"]);
    assert_eq!(new_york["collisions"].as_array().unwrap().len(), 0, "{new_york:#}");
    // volumes are counted in the program zone either way
    assert_eq!(london["days"], new_york["days"]);
    assert_eq!(london["days"][0]["date"], "2026-01-05");
}

#[test]
fn refuses_on_cross_journey_errors_as_check_reports_them() {
    // `journey calendar` runs the cross-journey analysis once, with the check: a
    // program whose errors come from that analysis is refused with exactly what
    // `journey check` reports, in both diagnostic formats
    let certain = tempfile::tempdir().unwrap();
    fs::write(
        certain.path().join("dup.journey"),
        FIXTURE
            .replace("\"pro-weekly-digest\"", "\"receipt-brew-tips\"")
            .replace("plan in [\"pro\", \"team\"]", "plan == \"pro\""),
    )
    .unwrap();
    // undecided pairs (issue 13), which only the check reports, made errors by the
    // project (tests/teashop.rs)
    let teashop = tempfile::tempdir().unwrap();
    let src = root().join("tests/projects/teashop");
    let yaml = fs::read_to_string(src.join("journey.yaml")).unwrap();
    fs::write(teashop.path().join("journey.yaml"), format!("{yaml}may_overlap:\n  J601: error\n")).unwrap();
    fs::create_dir(teashop.path().join("journeys")).unwrap();
    for f in fs::read_dir(src.join("journeys")).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), teashop.path().join("journeys").join(f.file_name())).unwrap();
    }
    for dir in [certain.path(), teashop.path()] {
        for (cal, check) in [
            (vec!["calendar"], vec!["check"]),
            (vec!["calendar", "--format", "json"], vec!["check", "--format", "json"]),
        ] {
            let c = journey(&check, dir);
            let k = journey(&cal, dir);
            assert_eq!(code(&c), 1, "{}", stdout(&c));
            assert!(stdout(&c).contains("J601"), "{}", stdout(&c));
            assert_eq!(code(&k), 1, "{}", stdout(&k));
            assert_eq!(stdout(&k), stdout(&c), "{cal:?}");
            assert_eq!(stderr(&k), stderr(&c), "{cal:?}");
        }
    }
}

#[path = "../benches/support/generate.rs"]
#[allow(dead_code)]
mod generate;

/// issue 19: the view groups J605 and J606 by journeys alike in what the rule compares
/// (docs/calendar.md, "Grouped conflicts"). On a generated repository of 60 journeys
/// sharing 8 audiences (so many share a predicate, and groups pair with themselves and
/// with each other), the groups expand to exactly the pairs of the ungrouped analysis.
#[test]
fn grouped_conflicts_expand_to_the_pairs_of_the_ungrouped_analysis() {
    let dir = tempfile::tempdir().unwrap();
    generate::repository(dir.path(), 60, 8, 7).unwrap();
    let pairs = common::calendar_groups::check_grouped_calendar(dir.path());
    // every generated journey runs an experiment: J606 pairs most of them
    assert!(pairs > 500, "{pairs} pairs");
    let out = journey(&["calendar", "--format", "json"], dir.path());
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = view["groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["journeys"].as_array().unwrap().len() > 1), "some group has several journeys");
}
