//! The calendar page (`journey calendar --format html`): a date view (what goes out on
//! which date across all journeys, from scheduled entries and with `--trace` from
//! the observed sends) next to the weeks-after-entry view; severities as journey.yaml
//! sets them; the conflict list grouped by rule and then by the journeys involved,
//! code in `<code>`, never in literal backticks. Checked on a fixture, on the bundled
//! library and on a second company's project (tests/projects/petshop), as outlines
//! (snapshots of the page's structure) and in headless Chromium.

mod common;
use common::{code, journey, root, stderr, stdout};
use std::fs;
use std::path::{Path, PathBuf};

fn run(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["calendar"];
    all.extend_from_slice(args);
    let out = journey(&all, dir);
    assert_eq!(code(&out), 0, "{args:?}\n{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

fn page(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--format", "html"];
    args.extend_from_slice(extra);
    run(dir, &args)
}

/// Text of an HTML fragment: tags dropped, entities undone, spaces folded.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'");
    out.replace("&amp;", "&").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fragment from `start` to the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html.find(start).unwrap_or_else(|| panic!("`{start}` missing"));
    let rest = &html[i..];
    &rest[..rest.find(end).map_or(rest.len(), |j| j + end.len())]
}

/// Every `class="…"` value of the spans whose text is `code` (severity of each chip).
fn chip_classes(html: &str, code: &str) -> Vec<String> {
    let needle = format!("\">{code}</span>");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let open = html[..i].rfind("<span class=\"").unwrap() + "<span class=\"".len();
            html[open..i].split('"').next().unwrap().to_string()
        })
        .collect()
}

/// The page as an outline a reviewer can read: sections, the date view's cells, the
/// journeys with their conflict codes and severities, the conflict groups.
fn outline(html: &str) -> String {
    let mut out = String::new();
    for (i, _) in html.match_indices("<section id=\"") {
        let id = &html[i + 13..i + 13 + html[i + 13..].find('"').unwrap()];
        out.push_str(&format!("section {id}\n"));
    }
    let dates = between(html, "<section id=\"dates\">", "</section>");
    out.push_str(&format!("dates: {}\n", text(between(dates, "<p class=\"lead\">", "</p>"))));
    for cell in dates.split("<td id=\"date-").skip(1) {
        let date = &cell[..10];
        let cell = &cell[..cell.find("</td>").unwrap()];
        for item in cell.split("<div class=\"cal-").skip(1) {
            out.push_str(&format!("  {date} {}\n", text(&format!("<div class=\"cal-{item}"))));
        }
    }
    let weeks = between(html, "<section id=\"weeks\">", "</section>");
    for row in weeks.split("<tr id=\"journey-").skip(1) {
        let name = &row[..row.find('"').unwrap()];
        let head = &row[..row.find("</th>").unwrap()];
        let codes: Vec<String> = head
            .split("<span class=\"code ")
            .skip(1)
            .map(|s| {
                let (sev, rest) = s.split_once("\">").unwrap();
                format!("{}({sev})", &rest[..rest.find('<').unwrap()])
            })
            .collect();
        let chips = row.matches("<div class=\"chip").count();
        out.push_str(&format!("journey {name}: {chips} sends {}\n", codes.join(" ")).replace(" \n", "\n"));
    }
    let conflicts = between(html, "<section id=\"conflicts\">", "</section>");
    for rule in conflicts.split("<details class=\"rule\"").skip(1) {
        let summary = text(between(rule, "<summary>", "</summary>"));
        let open = if rule[..rule.find('>').unwrap()].contains(" open") { "open" } else { "folded" };
        out.push_str(&format!("rule {summary} [{open}]\n"));
        for group in rule.split("<div class=\"group\">").skip(1) {
            let items = group.matches("<li id=\"conflict-").count();
            out.push_str(&format!("  {}: {items}\n", text(between(group, "<h4>", "</h4>"))));
        }
    }
    out
}

/// A copy of the petshop project (tests/projects/petshop) with `config` as its
/// journey.yaml: it deliberately has J602 errors, and the calendar, like `check`,
/// refuses a program with errors, so each test says how the project ranks them.
fn petshop(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("tests/projects/petshop/journeys");
    fs::create_dir(dir.path().join("journeys")).unwrap();
    for f in fs::read_dir(&from).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, dir.path().join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    fs::write(
        dir.path().join("journey.yaml"),
        format!("timezone: UTC\ncurrency: USD\ninclude: [\"journeys/**\"]\n{config}"),
    )
    .unwrap();
    dir
}

const PETSHOP_RULES: &str = "rules:\n  conflicting-tags: warning\n  cross-journey-cap: info\n";

#[test]
fn library_page_outline() {
    let html = page(&root(), &[]);
    insta::assert_snapshot!(outline(&html));
}

#[test]
fn petshop_page_outline() {
    let dir = petshop(PETSHOP_RULES);
    let html = page(dir.path(), &[]);
    insta::assert_snapshot!(outline(&html));
}

/// journey.yaml's severities reach every chip, legend and list of the page: the
/// library sets J603 to info (it was an amber warning on 37 of 40 chips).
#[test]
fn severities_follow_journey_yaml() {
    let html = page(&root(), &[]);
    let j603 = chip_classes(&html, "J603");
    assert!(j603.len() > 10, "the library has J603 chips: {j603:?}");
    assert!(j603.iter().all(|c| c == "code info"), "journey.yaml sets J603 to info: {j603:?}");
    assert!(
        !html.contains("<div class=\"chip conflict warning\""),
        "no amber chip: the library's warnings are all info"
    );

    // the same project, three ways: the default is a warning somewhere, info and off
    // are what the project says
    let warned = petshop("rules:\n  conflicting-tags: warning\n");
    let html = page(warned.path(), &[]);
    assert!(chip_classes(&html, "J603").iter().any(|c| c == "code warning"), "by default some J603 is a warning");
    let info = petshop(PETSHOP_RULES);
    let html = page(info.path(), &[]);
    let j603 = chip_classes(&html, "J603");
    assert!(!j603.is_empty() && j603.iter().all(|c| c == "code info"), "{j603:?}");
    let json: serde_json::Value = serde_json::from_str(&run(info.path(), &["--format", "json"])).unwrap();
    for c in json["conflicts"].as_array().unwrap() {
        if c["code"] == "J603" {
            assert_eq!(c["severity"], "info", "{c}");
        }
        if c["code"] == "J602" {
            assert_ne!(c["severity"], "error", "conflicting-tags is set to warning: {c}");
        }
    }
    let off = petshop("rules:\n  conflicting-tags: warning\n  J603: off\n");
    let html = page(off.path(), &[]);
    assert!(chip_classes(&html, "J603").is_empty(), "a rule set to off is not on the page");
    // may_overlap: J601 on audiences that only may overlap is a warning by default
    let may = petshop("rules:\n  conflicting-tags: warning\nmay_overlap:\n  J601: info\n");
    let html = page(may.path(), &[]);
    let j601 = chip_classes(&html, "J601");
    assert!(!j601.is_empty() && j601.iter().all(|c| c == "code info"), "{j601:?}");
}

#[test]
fn conflicts_are_grouped_by_rule_then_journeys_without_backticks() {
    let dir = petshop(PETSHOP_RULES);
    for html in [page(&root(), &[]), page(dir.path(), &[])] {
        let list = between(&html, "<section id=\"conflicts\">", "</section>");
        assert!(!list.contains('`'), "literal backticks in the conflict list");
        assert!(list.contains("<code>"), "names are code");
        let rules: Vec<&str> =
            list.split("<details class=\"rule\" id=\"rule-").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        let mut sorted = rules.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(rules, sorted, "each rule once, in code order");
        for rule in list.split("<details class=\"rule\"").skip(1) {
            let groups: Vec<String> = rule
                .split("<div class=\"group\"><h4>")
                .skip(1)
                .map(|g| g[..g.find("</h4>").unwrap()].to_string())
                .collect();
            let mut unique = groups.clone();
            unique.dedup();
            assert_eq!(groups, unique, "each group of journeys once per rule");
        }
        // every conflict is listed once, numbered as the JSON lists them
        let n = html.matches("<li id=\"conflict-").count();
        assert!(n > 0);
        for i in 1..=n {
            assert_eq!(html.matches(&format!("<li id=\"conflict-{i}\"")).count(), 1, "conflict {i}");
        }
    }
}

/// A weekly schedule in Berlin and a monthly one on the 28th with a send 5 days later
/// (the issue's case: the day of the month it lands on moves with the month's length);
/// an event-triggered journey, which has no dates of its own.
const SCHEDULED: &str = r#"event purchase
attribute email_opt_in: bool

channel email {
  kind email
  consent email_opt_in
}

journey digest {
  priority 50
  entry every monday at 10:00 "Europe/Berlin"
  re_entry always
  audience email_opt_in

  stage digest {
    send email "weekly-digest"
    wait 26h
    send email "digest-follow-up"
    end
  }
}

journey month_end {
  priority 40
  entry every month on 28 at 09:00 "UTC"
  re_entry always
  audience email_opt_in

  stage close {
    wait 5d
    send email "new-month"
    end
  }
}

journey receipt {
  priority 30
  entry on purchase
  audience email_opt_in

  stage thanks {
    send email "thank-you"
    end
  }
}
"#;

fn scheduled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: USD\n").unwrap();
    fs::write(dir.path().join("s.journey"), SCHEDULED).unwrap();
    dir
}

/// Date view cells: date → the text of each send in it.
fn cells(html: &str) -> Vec<(String, Vec<String>)> {
    let dates = between(html, "<section id=\"dates\">", "</section>");
    dates
        .split("<td id=\"date-")
        .skip(1)
        .map(|cell| {
            let body = &cell[..cell.find("</td>").unwrap()];
            let items = body.split("<div class=\"cal-send\"").skip(1).map(|s| text(&format!("<x{s}"))).collect();
            (cell[..10].to_string(), items)
        })
        .collect()
}

#[test]
fn date_view_places_scheduled_sends_on_their_dates() {
    let dir = scheduled();
    let html = page(dir.path(), &[]);
    let cells = cells(&html);
    // without --from or a trace: the four weeks of the iCal export's first week
    assert_eq!(cells.first().unwrap().0, "2026-01-05");
    assert_eq!(cells.last().unwrap().0, "2026-02-01");
    let on = |d: &str| cells.iter().find(|c| c.0 == d).unwrap().1.clone();
    assert_eq!(on("2026-01-05"), ["10:00 digest email “weekly-digest”"]);
    assert_eq!(on("2026-01-06"), ["12:00 digest email “digest-follow-up”"]);
    assert!(on("2026-01-07").is_empty());
    assert_eq!(on("2026-01-12"), ["10:00 digest email “weekly-digest”"]);
    // December 28 + 5d is January 2, January 28 + 5d February 2: both outside
    assert!(cells.iter().all(|c| c.1.iter().all(|s| !s.contains("month_end"))));
    assert!(!html[html.find("<section id=\"dates\">").unwrap()..html.find("<section id=\"weeks\">").unwrap()]
        .contains("receipt"));

    // from February 2: January 28's send, before the Monday digest; February 28's
    // lands on March 5, after the window
    let html = page(dir.path(), &["--from", "2026-02-02"]);
    let cells = self::cells(&html);
    let on = |d: &str| cells.iter().find(|c| c.0 == d).unwrap().1.clone();
    assert_eq!(on("2026-02-02"), ["09:00 month_end email “new-month”", "10:00 digest email “weekly-digest”"]);
    let month_end: Vec<&str> =
        cells.iter().filter(|c| c.1.iter().any(|s| s.contains("month_end"))).map(|c| c.0.as_str()).collect();
    assert_eq!(month_end, ["2026-02-02"]);
    // from March 30: Berlin is on summer time, the local time stays 10:00; March 28
    // + 5d is April 2
    let html = page(dir.path(), &["--from", "2026-03-30"]);
    let cells = self::cells(&html);
    let on = |d: &str| cells.iter().find(|c| c.0 == d).unwrap().1.clone();
    assert_eq!(on("2026-03-30"), ["10:00 digest email “weekly-digest”"]);
    let month_end: Vec<&str> =
        cells.iter().filter(|c| c.1.iter().any(|s| s.contains("month_end"))).map(|c| c.0.as_str()).collect();
    assert_eq!(month_end, ["2026-04-02"]);
}

/// The month-end dates agree with the iCal export's RDATE list, which
/// tests/calendar.rs checks against the engine's own schedule.
#[test]
fn date_view_agrees_with_the_ical_dates() {
    let dir = scheduled();
    let ical = run(dir.path(), &["--format", "ical"]);
    let unfolded = ical.replace("\r\n ", "");
    let event = between(&unfolded, "UID:month_end.", "END:VEVENT");
    let mut listed: Vec<String> = Vec::new();
    for line in event.lines() {
        let value = line.split_once(':').map(|(_, v)| v).unwrap_or("");
        if line.starts_with("DTSTART") || line.starts_with("RDATE") {
            listed.extend(value.split(',').map(|s| format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8])));
        }
    }
    assert!(listed.len() > 24, "{event}");
    for from in ["2026-02-01", "2026-02-15", "2026-06-20", "2027-02-01"] {
        let html = page(dir.path(), &["--from", from]);
        let cells = cells(&html);
        let (first, last) = (cells.first().unwrap().0.clone(), cells.last().unwrap().0.clone());
        let shown: Vec<String> =
            cells.iter().filter(|c| c.1.iter().any(|s| s.contains("month_end"))).map(|c| c.0.clone()).collect();
        let want: Vec<String> = listed.iter().filter(|d| **d >= first && **d <= last).cloned().collect();
        assert_eq!(shown, want, "from {from}");
    }
}

#[test]
fn date_view_with_a_trace_counts_the_observed_sends() {
    let dir = scheduled();
    let trace = "\
time,customer,journey,node,kind,channel,template
2026-01-05T09:00:00Z,ann,digest,,enter,,
2026-01-05T09:00:00Z,ann,digest,digest#0,send,email,weekly-digest
2026-01-05T12:00:00Z,bob,receipt,,enter,,
2026-01-05T12:00:00Z,bob,receipt,thanks#0,send,email,thank-you
2026-01-05T13:00:00Z,cid,receipt,,enter,,
2026-01-05T13:00:00Z,cid,receipt,thanks#0,send,email,thank-you
2026-01-14T10:00:00Z,dan,receipt,,enter,,
2026-01-14T10:00:00Z,dan,receipt,thanks#0,send,email,thank-you
";
    fs::write(dir.path().join("trace.csv"), trace).unwrap();
    let html = page(dir.path(), &["--trace", "trace.csv"]);
    let dates = between(&html, "<section id=\"dates\">", "</section>");
    assert!(
        text(dates).contains("from 2026-01-05 to 2026-01-14 (starting on the trace's first day)"),
        "{}",
        text(dates)
    );
    let cell = |d: &str| text(between(dates, &format!("<td id=\"date-{d}\""), "</td>"));
    assert!(cell("2026-01-05").contains("receipt email: 2 sent"), "{}", cell("2026-01-05"));
    assert!(cell("2026-01-05").contains("digest email: 1 sent"), "{}", cell("2026-01-05"));
    assert!(cell("2026-01-14").contains("receipt email: 1 sent"), "{}", cell("2026-01-14"));
    assert!(!cell("2026-01-06").contains("sent"), "{}", cell("2026-01-06"));
    // the scheduled sends are there too, and the weeks view is unchanged
    assert!(cell("2026-01-12").contains("10:00 digest email “weekly-digest”"));
    assert!(html.contains("<section id=\"weeks\">") && html.contains("<h2 id=\"observed\">"));
}

#[test]
fn a_bad_from_date_is_a_usage_error() {
    let dir = scheduled();
    let out = journey(&["calendar", "--format", "html", "--from", "2026-13-01"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("expected a date as YYYY-MM-DD, found `2026-13-01`"), "{}", stderr(&out));
}

#[test]
fn pages_in_headless_chromium() {
    let work = tempfile::tempdir().unwrap();
    let shop = petshop(PETSHOP_RULES);
    let projects: [(&str, PathBuf); 2] = [("library", root()), ("petshop", shop.path().to_path_buf())];
    for (name, dir) in projects {
        let file = work.path().join(format!("{name}.html"));
        run(&dir, &["--format", "html", "-o", file.to_str().unwrap()]);
        let html = fs::read_to_string(&file).unwrap();
        assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
        let Some(dom) = common::chromium_dom(&file) else { return };
        for needle in
            ["By date", "Weeks after entry", "Conflicts", "id=\"date-2026-01-05\"", "<details class=\"rule\"", "<code>"]
        {
            assert!(dom.contains(needle), "{name}: `{needle}` missing from the DOM");
        }
        // the browser kept every cell, chip and conflict of the page
        for marker in ["<td id=\"date-", "<div class=\"chip", "<li id=\"conflict-", "<div class=\"cal-send\""] {
            assert_eq!(dom.matches(marker).count(), html.matches(marker).count(), "{name}: {marker}");
        }
        assert!(!text(between(&dom, "<section id=\"conflicts\">", "</section>")).contains('`'), "{name}");
    }
}
