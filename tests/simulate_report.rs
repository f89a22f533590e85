//! `journey simulate --html` (and `journey merge --html`), the Parquet trace and the
//! progress bar, end to end over the bundled library and a seeded synthetic log.

mod common;

use common::{code, journey, root, stderr};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const PERIOD: [&str; 4] = ["--from", "2025-01-01", "--to", "2025-02-14"];

/// A seeded log of 150 customers over 45 days, with its attribute snapshot.
fn generate(dir: &Path) -> (PathBuf, PathBuf) {
    let (log, attrs) = (dir.join("log.csv"), dir.join("attrs.csv"));
    let args = ["events", "generate", "--seed", "11", "--customers", "150", "--days", "45", "-o", s(&log)];
    let out = journey(&[&args[..], &["--attributes", s(&attrs)]].concat(), &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    (log, attrs)
}

/// `journey simulate` over the log with the bundled journeys, the period and `extra`.
fn simulate(log: &Path, attrs: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["simulate", "--events", s(log), "--attributes", s(attrs)];
    args.extend(PERIOD);
    args.extend(extra);
    journey(&args, &root())
}

fn json_report(log: &Path, attrs: &Path) -> Value {
    let out = simulate(log, attrs, &["--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The program's stages and goals per journey, from `journey compile`.
fn stages_and_goals() -> BTreeMap<String, (usize, usize)> {
    let out = journey(&["compile"], &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: Value = serde_json::from_slice(&out.stdout).unwrap();
    ir["journeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let n = |k: &str| j[k].as_array().unwrap().len();
            (j["name"].as_str().unwrap().to_string(), (n("stages"), n("goals")))
        })
        .collect()
}

/// The value of attribute `name` in the first tag that starts with `tag_start`.
fn attr(html: &str, tag_start: &str, name: &str) -> String {
    let at = html.find(tag_start).unwrap_or_else(|| panic!("no {tag_start} in the page"));
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let key = format!(" {name}=\"");
    let v = &tag[tag.find(&key).unwrap_or_else(|| panic!("no {name} in {tag}")) + key.len()..];
    v[..v.find('"').unwrap()].to_string()
}

/// The text from `start` to the next `end` (both included).
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let a = html.find(start).unwrap_or_else(|| panic!("no {start} in the page"));
    let b = a + html[a..].find(end).unwrap() + end.len();
    &html[a..b]
}

/// The funnel card of a journey.
fn card<'a>(html: &'a str, journey: &str) -> &'a str {
    let start = format!("<div class=\"panel funnel\" data-journey=\"{journey}\">");
    let a = html.find(&start).unwrap_or_else(|| panic!("no funnel card for {journey}"));
    let rest = &html[a + start.len()..];
    let end = rest.find("<div class=\"panel funnel\"").or_else(|| rest.find("</section>")).unwrap();
    &html[a..a + start.len() + end]
}

/// Every value of attribute `name` on tags containing `marker`, in page order.
fn all_attrs(html: &str, marker: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(marker) {
        let open = rest[..i].rfind('<').unwrap();
        let close = i + rest[i..].find('>').unwrap();
        let tag = &rest[open..close];
        let key = format!(" {name}=\"");
        if let Some(k) = tag.find(&key) {
            let v = &tag[k + key.len()..];
            out.push(v[..v.find('"').unwrap()].to_string());
        }
        rest = &rest[close..];
    }
    out
}

/// (bars, channels) the messages chart must draw for a period of whole days.
fn expected_daily_bars(report: &Value) -> (usize, Vec<String>) {
    let mut bars = 0;
    let mut channels = std::collections::BTreeSet::new();
    for per in report["sends_by_day"].as_object().unwrap().values() {
        for (c, n) in per.as_object().unwrap() {
            if n.as_u64().unwrap() > 0 {
                bars += 1;
                channels.insert(c.clone());
            }
        }
    }
    (bars, channels.into_iter().collect())
}

#[test]
fn html_report_structure() {
    let dir = tempfile::tempdir().unwrap();
    let (log, attrs) = generate(dir.path());
    let page = dir.path().join("report.html");
    let out = simulate(&log, &attrs, &["--html", s(&page)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();

    // self-contained and deterministic
    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(banned), "the page must not fetch or run anything: {banned}");
    }
    let again = dir.path().join("again.html");
    let out = simulate(&log, &attrs, &["--html", s(&again), "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(html, std::fs::read_to_string(&again).unwrap(), "same run, same bytes");
    // the page does not change what goes to stdout
    let plain = simulate(&log, &attrs, &[]);
    let with_page = simulate(&log, &attrs, &["--html", s(&again)]);
    assert_eq!(plain.stdout, with_page.stdout);

    // figures agree with the JSON report
    let report = json_report(&log, &attrs);
    let (bars, channels) = expected_daily_bars(&report);
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-bucketing"), "day");
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-buckets"), "45");
    assert_eq!(html.matches("<rect class=\"bar\"").count(), bars);
    assert_eq!(all_attrs(&html, "<g class=\"series\"", "data-channel"), channels, "channels in the program's order");
    let drawn: u64 = all_attrs(&html, "<rect class=\"bar\"", "data-bucket").len() as u64;
    assert_eq!(drawn as usize, bars);
    let headline = between(&html, "<div class=\"cards\"", "</div>\n</div>");
    let sends = report["sends"].as_u64().unwrap();
    let sends_text = format!("<div class=\"value\">{}</div><div class=\"label\">messages sent", thousands(sends));
    assert!(headline.contains(&sends_text), "{headline}");

    let program = stages_and_goals();
    let mut funnels = String::new();
    for (name, (stages, goals)) in &program {
        let card = card(&html, name);
        let entrants = report["journeys"][name]["entrants"].as_u64().unwrap_or(0);
        if entrants == 0 {
            assert!(card.contains("No entries in this period."), "{card}");
            funnels.push_str(&format!("  {name}: no entries\n"));
            continue;
        }
        let rows = card.matches("<g class=\"funnel-row\"").count();
        assert_eq!(rows, 3 + stages + goals, "{name}: entrants, treated, holdout, each stage, each goal");
        let first = all_attrs(card, "<g class=\"funnel-row\"", "data-value");
        assert_eq!(first[0], entrants.to_string());
        funnels.push_str(&format!("  {name}: {rows} rows ({stages} stages, {goals} goals)\n"));
    }

    let per_week = report["max_sends_per_week"].as_object().unwrap();
    let busiest: usize = per_week.keys().map(|k| k.parse::<usize>().unwrap()).max().unwrap();
    assert_eq!(html.matches("<rect class=\"hist-bar\"").count(), busiest + 1);
    let sections = all_attrs(&html, "<section id=", "id");
    let guardrails = between(&html, "<section id=\"guardrails\"", "</section>");
    let verdicts =
        ["ok", "broken", "unmeasured"].map(|v| guardrails.matches(&format!("<tr class=\"guardrail {v}\"")).count());
    let facts = format!(
        "sections: {}\nchart: {} bars per {} over {} buckets, channels {}\nfunnels:\n{funnels}goal rows: {}\n\
         guardrails: {} ok, {} broken, {} not measured\nmessages-per-week bars: {}\nskipped rows: {}\n",
        sections.join(", "),
        bars,
        attr(&html, "<svg class=\"chart sends\"", "data-bucketing"),
        attr(&html, "<svg class=\"chart sends\"", "data-buckets"),
        channels.join(", "),
        html.matches("<tr class=\"goal\"").count() + html.matches("<tr class=\"goal holdout-wins\"").count(),
        verdicts[0],
        verdicts[1],
        verdicts[2],
        busiest + 1,
        if html.contains("id=\"no-skipped\"") { "none" } else { "some" },
    );
    insta::assert_snapshot!("html_structure", facts);
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn escaped_skipped_rows_and_long_periods() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs) = generate(d);
    // a row of an unknown event whose name is markup, skipped
    let body = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = body.lines().collect();
    lines.insert(5, "c0000001,2025-01-01T00:00:00Z,<b>x&y</b>,,,web,,,,,,,,,,,,,,,,,,,,,,,");
    let bad = d.join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let page = d.join("bad.html");
    let out = simulate(&bad, &attrs, &["--skip-bad-rows", "--html", s(&page)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    let skipped = between(&html, "<section id=\"skipped\"", "</section>");
    assert!(skipped.contains("1 row was skipped"), "{skipped}");
    assert!(skipped.contains("unknown event `&lt;b&gt;x&amp;y&lt;/b&gt;`"), "{skipped}");
    assert!(!html.contains("<b>x"), "markup from the log is escaped");

    // 259 days: weeks (starting on Monday 2024-05-27); 3 years and more: months
    let weeks = d.join("weeks.html");
    let mut args = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs), "--html", s(&weeks)];
    args.extend(["--from", "2024-06-01", "--to", "2025-02-14", "--format", "json"]);
    let out = journey(&args, &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let html = std::fs::read_to_string(&weeks).unwrap();
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-bucketing"), "week");
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-buckets"), "38");
    // (customers of the snapshot get the scheduled journeys from the first day on)
    for b in all_attrs(&html, "<rect class=\"bar\"", "data-bucket") {
        let ymd: Vec<u32> = b.split('-').map(|x| x.parse().unwrap()).collect();
        let days = journey_events::time::days_from_civil(ymd[0] as i64, ymd[1], ymd[2]);
        assert_eq!(days.rem_euclid(7), 4, "{b} is a Monday (1970-01-01 was a Thursday)");
    }
    let table = between(&html, "<table class=\"sends-by-bucket\"", "</table>");
    assert!(table.contains("<td>2024-05-27</td>") && table.contains("<td>2025-02-10</td>"));
    let legend_total: u64 =
        all_attrs(&html, "<span class=\"legend-item\"", "data-total").iter().map(|n| n.parse::<u64>().unwrap()).sum();
    assert_eq!(legend_total, report["sends"].as_u64().unwrap(), "the legend adds up to every message");

    let months = d.join("months.html");
    let mut args = vec!["simulate", "--events", s(&log), "--attributes", s(&attrs), "--html", s(&months)];
    args.extend(["--from", "2022-01-01", "--to", "2025-02-14"]);
    let out = journey(&args, &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&months).unwrap();
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-bucketing"), "month");
    assert_eq!(attr(&html, "<svg class=\"chart sends\"", "data-buckets"), "38");
}

#[test]
fn merged_partial_reports_draw_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs) = generate(d);
    let whole_page = d.join("whole.html");
    let out = simulate(&log, &attrs, &["--html", s(&whole_page)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // split by customer (the first column), simulate each part, merge with --html
    for (src, name) in [(&log, "log"), (&attrs, "attrs")] {
        let body = std::fs::read_to_string(src).unwrap();
        let mut lines = body.lines();
        let header = lines.next().unwrap();
        let (mut a, mut b) = (format!("{header}\n"), format!("{header}\n"));
        for l in lines {
            let key = l.split(',').next().unwrap();
            let part = if key.bytes().map(u64::from).sum::<u64>() % 2 == 0 { &mut a } else { &mut b };
            part.push_str(l);
            part.push('\n');
        }
        std::fs::write(d.join(format!("{name}-a.csv")), a).unwrap();
        std::fs::write(d.join(format!("{name}-b.csv")), b).unwrap();
    }
    for part in ["a", "b"] {
        let out = simulate(
            &d.join(format!("log-{part}.csv")),
            &d.join(format!("attrs-{part}.csv")),
            &["--partial", s(&d.join(format!("part-{part}.json"))), "--quiet"],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let merged_page = d.join("merged.html");
    let (pa, pb) = (d.join("part-a.json"), d.join("part-b.json"));
    let out = journey(&["merge", s(&pa), s(&pb), "--html", s(&merged_page), "--format", "json"], &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let whole = std::fs::read_to_string(&whole_page).unwrap();
    let merged = std::fs::read_to_string(&merged_page).unwrap();
    for id in ["funnels", "journeys", "sends", "refusals", "holdouts", "goals", "guardrails", "per-week"] {
        let start = format!("<section id=\"{id}\">");
        assert_eq!(between(&whole, &start, "</section>"), between(&merged, &start, "</section>"), "section {id}");
    }
    assert_eq!(
        between(&whole, "<div class=\"cards\"", "</div>\n</div>"),
        between(&merged, "<div class=\"cards\"", "</div>\n</div>")
    );
    let header = between(&merged, "<header>", "</header>");
    assert!(header.contains("part-a.json"), "{header}");
    // the parts record the period, seed and quiet-hours mode they were simulated with
    for item in ["<dt>period</dt>", "<dt>seed</dt>", "<dt>quiet hours</dt>"] {
        assert_eq!(between(&whole, item, "</dd>"), between(&merged, item, "</dd>"), "{item}");
    }
    assert!(!header.contains("not recorded"), "{header}");
    // and the bad rows their runs skipped (none here)
    let skipped = |page: &str| between(page, "<section id=\"skipped\">", "</section>").to_string();
    assert_eq!(skipped(&merged), skipped(&whole));
    assert!(skipped(&merged).contains("None: every row of the log was read."));

    // outside a repository the page still has every figure, without guardrails
    let elsewhere = tempfile::tempdir().unwrap();
    let page = elsewhere.path().join("m.html");
    let out = journey(&["merge", s(&pa), s(&pb), "--html", s(&page)], elsewhere.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("note: no journeys here"), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Guardrails need the journeys"));
    let report: Value = serde_json::from_slice(&out_json(&pa, &pb)).unwrap();
    for (name, j) in report["journeys"].as_object().unwrap() {
        if j["entrants"].as_u64().unwrap() > 0 {
            let rows = card(&html, name).matches("<g class=\"funnel-row\"").count();
            let stages = j["stage_entries"].as_object().unwrap().len();
            let goals = j["goals"].as_object().unwrap().len();
            assert_eq!(rows, 3 + stages + goals, "{name}: the stages and goals the report names");
        }
    }
}

fn out_json(a: &Path, b: &Path) -> Vec<u8> {
    let out = journey(&["merge", s(a), s(b), "--format", "json"], &root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    out.stdout
}

#[test]
fn html_output_errors_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/report.html");
    let out = journey(&["simulate", "--events", "no-log.csv", "--html", s(&missing)], &root());
    assert_eq!(code(&out), 2);
    // (miette wraps long lines: compare words)
    let err = stderr(&out).split_whitespace().filter(|w| *w != "|").collect::<Vec<_>>().join(" ");
    assert!(err.contains("cannot write") && err.contains("dir is not a directory") && err.contains("help:"), "{err}");
    assert!(!err.contains("no-log.csv"), "fails before reading the log: {err}");
    let out = journey(&["merge", "part.json", "--html", s(&missing)], &root());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
}

// ------------------------------------------------------------------ headless Chromium

/// Measures the drawn page: rendered boxes of the chart elements, as JSON in `#probe`.
const PROBE: &str = r#"<script>
(function () {
  const drawn = e => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
  const sends = document.querySelector('svg.chart.sends');
  const out = {
    sends_width: Math.round(sends.getBoundingClientRect().width),
    bars: [...sends.querySelectorAll('g.series rect.bar')].filter(drawn).length,
    series: [...sends.querySelectorAll('g.series')].map(g => g.getAttribute('data-channel')),
    hist: [...document.querySelectorAll('svg.chart.per-week rect.hist-bar')]
      .filter(r => r.getBoundingClientRect().width > 0).length,
    funnels: {},
    tables: document.querySelectorAll('table').length,
  };
  for (const f of document.querySelectorAll('div.funnel')) {
    out.funnels[f.dataset.journey] = [...f.querySelectorAll('g.funnel-row')].filter(drawn).length;
  }
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"#;

#[test]
fn html_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (log, attrs) = generate(dir.path());
    let page = dir.path().join("report.html");
    let out = simulate(&log, &attrs, &["--html", s(&page)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // the page itself has no script: the probe is added to a copy
    let html = std::fs::read_to_string(&page).unwrap();
    let probe = dir.path().join("probe.html");
    std::fs::write(&probe, html.replace("</body>", &format!("{PROBE}\n</body>"))).unwrap();
    let Some(dom) = common::chromium_dom(&probe) else { return };
    let json = between(&dom, "<pre id=\"probe\">", "</pre>");
    let json = &json["<pre id=\"probe\">".len()..json.len() - "</pre>".len()];
    let m: Value = serde_json::from_str(&json.replace("&amp;", "&")).unwrap_or_else(|e| panic!("{e}: {json}"));

    let report = json_report(&log, &attrs);
    let (bars, channels) = expected_daily_bars(&report);
    assert_eq!(m["bars"].as_u64().unwrap() as usize, bars, "every (day, channel) with messages is a drawn bar: {m}");
    let series: Vec<String> = m["series"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    assert_eq!(series, channels);
    assert!(m["sends_width"].as_u64().unwrap() > 900, "the chart fills the page: {m}");
    let busiest = report["max_sends_per_week"].as_object().unwrap().keys().map(|k| k.parse::<u64>().unwrap()).max();
    assert_eq!(m["hist"].as_u64(), busiest.map(|b| b + 1));
    assert!(m["tables"].as_u64().unwrap() >= 9, "{m}");
    let program = stages_and_goals();
    assert_eq!(m["funnels"].as_object().unwrap().len(), program.len(), "one card per journey: {m}");
    for (name, (stages, goals)) in program {
        let entrants = report["journeys"][&name]["entrants"].as_u64().unwrap_or(0);
        let rows = m["funnels"][&name].as_u64().unwrap_or_else(|| panic!("no funnel card for {name}: {m}"));
        let want = if entrants == 0 { 0 } else { 3 + stages + goals };
        assert_eq!(rows as usize, want, "{name}: {m}");
    }
}

// ------------------------------------------------------------------ Parquet trace

#[test]
fn parquet_trace_matches_the_csv_trace_row_for_row() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMillisecondType;
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs) = generate(d);
    let (csv, pq) = (d.join("trace.csv"), d.join("trace.parquet"));
    let a = simulate(&log, &attrs, &["--trace", s(&csv), "--format", "json"]);
    let b = simulate(&log, &attrs, &["--trace", s(&pq), "--format", "json"]);
    assert_eq!((code(&a), code(&b)), (0, 0), "{}{}", stderr(&a), stderr(&b));
    assert_eq!(a.stdout, b.stdout);
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let mut csv_lines = csv_text.lines();
    let header = csv_lines.next().unwrap();

    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&pq).unwrap()).unwrap();
    let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names.join(","), header, "the same columns");
    assert!(
        matches!(builder.schema().field(0).data_type(), arrow_schema::DataType::Timestamp(_, Some(tz)) if &**tz == "UTC")
    );
    let rows = builder.metadata().file_metadata().num_rows() as usize;
    assert_eq!(builder.metadata().num_row_groups(), rows.div_ceil(65_536).max(1));
    let quote = |v: &str| {
        if v.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_string()
        }
    };
    let mut n = 0;
    let mut sends = 0;
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let time = batch.column(0).as_primitive::<TimestampMillisecondType>();
        let text: Vec<_> = (1..8).map(|i| batch.column(i).as_string::<i32>()).collect();
        for r in 0..batch.num_rows() {
            let mut line = journey_events::time::format(time.value(r));
            for col in &text {
                line.push(',');
                if !col.is_null(r) {
                    line.push_str(&quote(col.value(r)));
                }
            }
            assert_eq!(Some(line.as_str()), csv_lines.next(), "row {n}");
            sends += usize::from(text[3].value(r) == "send");
            n += 1;
        }
    }
    assert_eq!(csv_lines.next(), None, "as many rows as the CSV trace");
    assert_eq!(n, rows);
    let report: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(sends as u64, report["sends"].as_u64().unwrap());
}

// ------------------------------------------------------------------ progress bar

/// Run `journey` with stderr on a pseudo-terminal (util-linux `script`) and stdout into
/// `out`; returns what the terminal showed, or `None` without `script`.
fn on_a_terminal(args: &[&str], out: &Path) -> Option<Vec<u8>> {
    let script = Command::new("script").arg("--version").output().ok()?;
    if !script.status.success() {
        return None;
    }
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let mut cmd = quote(env!("CARGO_BIN_EXE_journey"));
    for a in args {
        cmd.push(' ');
        cmd.push_str(&quote(a));
    }
    cmd.push_str(&format!(" > {}", quote(s(out))));
    let run = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    Some(run.stdout)
}

#[test]
fn progress_bar_only_on_a_terminal_and_never_in_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (log, attrs) = generate(d);
    // without --from/--to: two passes (the log's span, then the run)
    let args = ["simulate", "--events", s(&log), "--attributes", s(&attrs)];
    let piped = journey(&args, &root());
    assert_eq!(code(&piped), 0, "{}", stderr(&piped));
    assert_eq!(stderr(&piped), "", "no bar when stderr is not a terminal");

    let out = d.join("stdout.txt");
    let Some(terminal) = on_a_terminal(&args, &out) else {
        eprintln!("note: `script` is not installed; skipping the terminal check");
        return;
    };
    assert_eq!(std::fs::read(&out).unwrap(), piped.stdout, "stdout is the same with a terminal");
    let shown = String::from_utf8_lossy(&terminal);
    assert!(shown.contains("finding the period") || shown.contains("simulating"), "a bar was drawn: {shown:?}");
    assert!(shown.contains("\u{1b}[2K"), "and cleared: {shown:?}");

    let quiet: Vec<&str> = args.iter().copied().chain(["--quiet"]).collect();
    let terminal = on_a_terminal(&quiet, &out).unwrap();
    assert_eq!(String::from_utf8_lossy(&terminal), "", "--quiet draws nothing");
    assert_eq!(std::fs::read(&out).unwrap(), piped.stdout);
}
