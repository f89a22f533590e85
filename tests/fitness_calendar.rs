//! tests/projects/fitness: a fitness app written from docs/ alone, with a hand-written
//! log of the edge cases real data has (offsets like `+0545`, daylight-saving days in
//! both hemispheres, events before sign-up, a duplicate row). What `journey calendar` placed wrong in it.

mod common;

use std::path::PathBuf;

use common::{code, journey, root, stderr, stdout};

fn project() -> PathBuf {
    root().join("tests/projects/fitness")
}

/// A scheduled journey with a campaign window (`active from 2026-12-26 to
/// 2027-01-10`) enters nobody outside it: the iCal export listed its send every day
/// from the fixed anchor week of January 2026 on, forever.
#[test]
fn ical_places_a_campaign_only_inside_its_window() {
    let out = journey(&["calendar", "--format", "ical"], &project());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ics = stdout(&out).replace("\r\n ", "");
    let event = ics.split("BEGIN:VEVENT").find(|e| e.contains("SUMMARY:new_year:")).unwrap_or_else(|| panic!("{ics}"));
    // 08:00 local, shown in the program zone; the last entry on 2027-01-10 (PST)
    assert!(event.contains("DTSTART;TZID=America/Los_Angeles:20261226T080000"), "{event}");
    assert!(event.contains("RRULE:FREQ=DAILY;UNTIL=20270110T160000Z"), "{event}");
    // a schedule without a window keeps the fixed anchor week
    let daily = ics.split("BEGIN:VEVENT").find(|e| e.contains("SUMMARY:morning_motivation:")).unwrap();
    assert!(daily.contains("DTSTART;TZID=Europe/London:20260105T063000"), "{daily}");
    assert!(daily.contains("RRULE:FREQ=DAILY\r\n"), "{daily}");
}

/// The HTML page's dates: the campaign's sends only on the dates of its window.
#[test]
fn html_dates_place_a_campaign_only_inside_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("calendar.html");
    let page_arg = page.to_str().unwrap();
    let out = journey(&["calendar", "--format", "html", "--from", "2026-12-21", "-o", page_arg], &project());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    // the cell of one date, up to the next date's
    let cell = |date: &str| {
        let start = html.find(&format!("id=\"date-{date}\"")).unwrap_or_else(|| panic!("{date} not on the page"));
        let end = html[start + 1..].find("id=\"date-").map_or(html.len(), |i| start + 1 + i);
        html[start..end].to_string()
    };
    for date in ["2026-12-21", "2026-12-24", "2026-12-25"] {
        assert!(!cell(date).contains("new_year"), "{date}: {}", cell(date));
    }
    for date in ["2026-12-26", "2026-12-31", "2027-01-01"] {
        assert!(cell(date).contains("new_year"), "{date}: {}", cell(date));
    }
}
