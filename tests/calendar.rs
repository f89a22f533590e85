//! `journey calendar`: the week-by-week view of every send in every format, on a
//! small fixture repository and on the bundled library; the HTML page is loaded in
//! headless Chromium when it is installed.

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
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("chromium").is_file()))
        .unwrap_or(false);
    if !found {
        eprintln!("note: chromium is not on PATH; skipping the headless browser check");
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for needle in ["receipt_tips", "pro_digest", "J605", "Week 2", "pro-weekly-digest"] {
        assert!(dom.contains(needle), "`{needle}` missing from the DOM:\n{dom}");
    }
}
