//! Issue 15, goals on amounts (`goal revenue = sum(purchase.amount within 30d)`),
//! end to end on a small hand-made shop (not journeys/): the report's treated and
//! held-out mean per entry are the sums of the log, the difference's interval covers a
//! known effect, the CLV section states the in-window figure, and `merge` of partial
//! runs gives the whole run's figures byte for byte.

mod common;

use common::{code, journey, stderr, stdout};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const JOURNEY: &str = r#"event signup
event purchase { amount: money, channel: one_of("web", "store") }

channel crm {
  kind webhook
}

journey welcome {
  entry on signup
  holdout 50%

  stage hello {
    webhook crm "welcome"
    end
  }

  goal bought = purchase within 30d
  // revenue within a month of signing up
  goal revenue = sum(purchase.amount within 30d)
  goal web_revenue = sum(purchase.amount where channel == "web" within 30d)
}
"#;

/// The effect built into the log: every treated customer buys this much more online.
const EFFECT: f64 = 20.0;
const CUSTOMERS: usize = 600;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: EUR\ninclude: [\"journeys/**\"]\n")
        .unwrap();
    std::fs::create_dir(dir.path().join("journeys")).unwrap();
    std::fs::write(dir.path().join("journeys/shop.journey"), JOURNEY).unwrap();
    dir
}

/// A small deterministic generator (no dependency on a random crate's stream).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One row per event; `treated` customers get the effect as one more web purchase.
/// Besides the purchases in the window, every customer has one before signing up and
/// one after the window, neither of which may count.
fn rows(treated: &BTreeSet<String>) -> Vec<(String, String)> {
    let mut rng = Lcg(7);
    let mut out = Vec::new();
    for i in 0..CUSTOMERS {
        let c = format!("c{i:04}");
        let mut ev =
            vec![format!("2026-01-01T08:00:00Z,purchase,999.00,store"), format!("2026-01-03T09:00:00Z,signup,,")];
        for k in 0..rng.next(4) {
            let amount = 10 + rng.next(90);
            let cents = rng.next(100);
            let ch = if rng.next(2) == 0 { "web" } else { "store" };
            ev.push(format!("2026-01-{:02}T10:00:00Z,purchase,{amount}.{cents:02},{ch}", 5 + 3 * k));
        }
        if treated.contains(&c) {
            ev.push(format!("2026-01-25T12:00:00Z,purchase,{EFFECT:.2},web"));
        }
        // 30 days after the signup and one minute: outside the window
        ev.push("2026-02-02T09:01:00Z,purchase,500.00,web".to_string());
        out.extend(ev.into_iter().map(|e| (c.clone(), e)));
    }
    out
}

fn write_log(path: &Path, rows: &[(String, String)]) {
    let mut text = String::from("customer_id,timestamp,event,amount,channel\n");
    for (c, e) in rows {
        text.push_str(&format!("{c},{e}\n"));
    }
    std::fs::write(path, text).unwrap();
}

fn simulate_json(dir: &Path, log: &Path) -> Value {
    let out = journey(&["simulate", "--events", s(log), "--format", "json"], dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The customers the holdout keeps out: those whose trace shows no step.
fn held_out(dir: &Path, log: &Path) -> BTreeSet<String> {
    let trace = dir.join("trace.csv");
    let out = journey(&["simulate", "-q", "--events", s(log), "--trace", s(&trace)], dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut entered = BTreeSet::new();
    let mut stepped = BTreeSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        entered.insert(f[1].to_string());
        if !f[3].is_empty() {
            stepped.insert(f[1].to_string());
        }
    }
    entered.difference(&stepped).cloned().collect()
}

fn amount<'a>(r: &'a Value, experiment: &str, goal: &str) -> &'a Value {
    r["experiments"]["amounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no amounts in {}", r["experiments"]))
        .iter()
        .find(|c| c["experiment"] == experiment && c["goal"] == goal)
        .unwrap_or_else(|| panic!("no {experiment}/{goal}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn the_report_gives_the_logs_means_and_its_interval_covers_the_known_effect() {
    let dir = project();
    let d = dir.path();
    let all: BTreeSet<String> = (0..CUSTOMERS).map(|i| format!("c{i:04}")).collect();
    // the holdout draw hashes the customer's key, so it is the same for any log
    let base = d.join("base.csv");
    write_log(&base, &rows(&BTreeSet::new()));
    let held = held_out(d, &base);
    assert!(held.len() > 200 && held.len() < 400, "{} held out", held.len());
    let treated: BTreeSet<String> = all.difference(&held).cloned().collect();
    let log = d.join("events.csv");
    let rows = rows(&treated);
    write_log(&log, &rows);
    let r = simulate_json(d, &log);

    // the expected totals, from the log: purchases from the signup (Jan 3, 09:00) to 30
    // days later, both ends included
    let mut want: BTreeMap<(bool, &str), f64> = BTreeMap::new();
    for (c, e) in &rows {
        let p: Vec<&str> = e.split(',').collect();
        if p[1] != "purchase" || p[0] < "2026-01-03T09:00:00Z" || p[0] > "2026-02-02T09:00:00Z" {
            continue;
        }
        let x: f64 = p[2].parse().unwrap();
        let t = treated.contains(c);
        *want.entry((t, "revenue")).or_default() += x;
        if p[3] == "web" {
            *want.entry((t, "web_revenue")).or_default() += x;
        }
    }
    for goal in ["revenue", "web_revenue"] {
        let c = amount(&r, "holdout", goal);
        assert_eq!(c["unit"], "money");
        assert_eq!(c["currency"], "EUR");
        assert_eq!(c["within_minutes"], 30 * 1440);
        assert_eq!(c["b"]["entries"].as_u64().unwrap() as usize, treated.len());
        assert_eq!(c["a"]["entries"].as_u64().unwrap() as usize, held.len());
        let (tb, ta) = (want[&(true, goal)], want[&(false, goal)]);
        assert!((f(&c["b"]["total"]) - tb).abs() < 1e-6, "{goal}: {} vs {tb}", c["b"]["total"]);
        assert!((f(&c["a"]["total"]) - ta).abs() < 1e-6, "{goal}: {} vs {ta}", c["a"]["total"]);
        let mb = tb / treated.len() as f64;
        let ma = ta / held.len() as f64;
        assert!((f(&c["b"]["mean"]) - mb).abs() < 1e-9);
        let diff = f(&c["difference"]["difference"]);
        assert!((diff - (mb - ma)).abs() < 1e-9, "{diff} vs {}", mb - ma);
        // the effect built into the log lies inside both intervals
        for k in ["interval90", "interval95"] {
            let iv = &c["difference"][k];
            let (lo, hi) = (f(&iv[0]), f(&iv[1]));
            assert!(lo < EFFECT && EFFECT < hi, "{goal} {k}: {lo}..{hi} misses {EFFECT}");
            assert!(hi - lo < 40.0, "{goal} {k}: {lo}..{hi} is too wide to say anything");
        }
        // scaled to the treated entries: the incremental amount within the window
        let inc = &c["incremental"];
        assert_eq!(inc["treated_entries"].as_u64().unwrap() as usize, treated.len());
        assert!((f(&inc["total"]) - diff * treated.len() as f64).abs() < 1e-6);
    }
    // amount goals are no conversions: the conversion comparison lists only `bought`
    let goals: Vec<&str> =
        r["experiments"]["comparisons"].as_array().unwrap().iter().map(|c| c["goal"].as_str().unwrap()).collect();
    assert_eq!(goals, ["bought"]);

    // the terminal report: the figures in money, and the CLV section's in-window line
    let out = journey(&["simulate", "--events", s(&log)], d);
    let text = stdout(&out);
    assert!(text.contains("amount goals (total per entry within the goal's window"), "{text}");
    assert!(text.contains("welcome / holdout / revenue (within 30d): treated "), "{text}");
    assert!(text.contains("observed revenue of the amount goals, treated vs held out"), "{text}");
    assert!(text.contains("not a lifetime figure"), "{text}");
    assert!(text.contains(" EUR per treated entry × "), "{text}");

    // the HTML page: a table of the amount goals, and the in-window line in the CLV section
    let html = d.join("report.html");
    let out = journey(&["simulate", "-q", "--events", s(&log), "--html", s(&html)], d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("data-experiment=\"holdout\" data-goal=\"revenue\""), "no amount goal row");
    assert!(page.contains("<td rowspan=\"2\">revenue (within 30d)</td>"));
    // and not in the conversion goals' table, as zero conversions
    let goals = &page[page.find("id=\"goals\"").unwrap()..page.find("id=\"experiments\"").unwrap()];
    assert!(goals.contains(">bought<") && !goals.contains(">revenue<"), "{goals}");
    let clv = &page[page.find("id=\"clv\"").expect("a CLV section")..];
    assert!(clv.contains("<ul class=\"observed-amounts\">") && clv.contains("not a lifetime figure"));
}

#[test]
fn no_effect_reads_too_few_customers_to_tell() {
    let dir = project();
    let log = dir.path().join("events.csv");
    write_log(&log, &rows(&BTreeSet::new()));
    let r = simulate_json(dir.path(), &log);
    let c = amount(&r, "holdout", "revenue");
    let reading = c["difference"]["reading"].as_str().unwrap();
    assert!(reading.starts_with("too few customers to tell: the 95% interval ("), "{reading}");
    assert!(reading.contains(" EUR..") && reading.ends_with(") spans zero"), "{reading}");
}

#[test]
fn merged_partial_runs_equal_the_whole_run() {
    let dir = project();
    let d = dir.path();
    let treated: BTreeSet<String> = (0..CUSTOMERS).step_by(3).map(|i| format!("c{i:04}")).collect();
    let rows = rows(&treated);
    let log = d.join("events.csv");
    write_log(&log, &rows);
    let whole = journey(&["simulate", "--events", s(&log), "--format", "json"], d);
    assert_eq!(code(&whole), 0, "{}", stderr(&whole));
    let whole = stdout(&whole);
    let mut partials = Vec::new();
    for part in 0..3 {
        let mine: Vec<(String, String)> =
            rows.iter().filter(|(c, _)| c[1..].parse::<usize>().unwrap() % 3 == part).cloned().collect();
        let plog = d.join(format!("part-{part}.csv"));
        write_log(&plog, &mine);
        let p = d.join(format!("part-{part}.json"));
        let out = journey(
            &["simulate", "--events", s(&plog), "--partial", s(&p), "--from", "2026-01-01", "--to", "2026-02-02"],
            d,
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        partials.push(p);
    }
    let mut args = vec!["merge", "--format", "json"];
    args.extend(partials.iter().map(|p| s(p)));
    let merged = journey(&args, d);
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    let (m, w): (Value, Value) =
        (serde_json::from_str(&stdout(&merged)).unwrap(), serde_json::from_str(&whole).unwrap());
    assert_eq!(w["experiments"]["amounts"].as_array().map(Vec::len), Some(2), "{}", w["experiments"]);
    assert_eq!(
        m["experiments"]["amounts"], w["experiments"]["amounts"],
        "the merged amount goals equal the whole run's"
    );
    assert_eq!(stdout(&merged), whole, "byte for byte");
    assert_eq!(m["journeys"]["welcome"]["experiment"], w["journeys"]["welcome"]["experiment"]);
    // the sums are carried exactly, as decimal strings
    assert!(w["journeys"]["welcome"]["experiment"]["treated"]["amounts"]["revenue"]["total_sq"].is_string());
}

/// What the checker refuses in an amount goal, each with its code and a help line.
#[test]
fn the_checker_refuses_what_cannot_be_added_up() {
    let cases = [
        ("sum(purchase.channel within 30d)", "error[J218]: goal `revenue` adds up `purchase.channel`, which is"),
        ("sum(purchase.amount within 0d)", "error[J219]: goal `revenue` has a window of zero"),
        ("sum(purchase.amout within 30d)", "error[J103]: event `purchase` has no property `amout`"),
        ("sum(purchas.amount within 30d)", "error[J101]"),
        // written as in conditions, or with the window outside as the other goals have it
        ("sum(purchase.amount, 30d)", "help: an amount goal takes its window inside the parentheses"),
        ("sum(purchase.amount) within 30d", "help: an amount goal takes its window inside the parentheses"),
        ("sum(purchase.amount where chanel == \"web\" within 30d)", "did you mean `channel`?"),
    ];
    for (goal, want) in cases {
        let dir = project();
        let src = JOURNEY.replace("sum(purchase.amount within 30d)", goal);
        std::fs::write(dir.path().join("journeys/shop.journey"), src).unwrap();
        let out = journey(&["check"], dir.path());
        let text = stdout(&out);
        assert_eq!(code(&out), 1, "{goal}: {text}");
        assert!(text.contains(want), "{goal}: {text}");
        assert!(text.contains("= help: "), "{goal}: {text}");
    }
    // an effect assumed on an amount goal
    let dir = project();
    let src = JOURNEY.replace("  goal bought", "  assume revenue +3pp (0pp..6pp)\n  goal bought");
    std::fs::write(dir.path().join("journeys/shop.journey"), src).unwrap();
    let text = stdout(&journey(&["check"], dir.path()));
    assert!(text.contains("error[J410]: `revenue` is an amount goal"), "{text}");
}
