//! The iCalendar export read back by an independent parser (the `icalendar` crate):
//! RFC 5545 line syntax (CRLF, folding at 75 octets), one VTIMEZONE per zone an event
//! refers to, and VTIMEZONE rules that give the same UTC offsets as the time zone
//! database on every month of the covered years, in both hemispheres and without DST.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone};
use icalendar::parser::{read_calendar, unfold, Component};
use journey_calendar::{build, ical, Tz};
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};

const ZONES: &str = r#"
event purchase
attribute email_opt_in: bool

channel email {
  kind email
}

journey local_digest {
  entry every monday at 10:00 local
  stage s { send email "digest, with \"quotes\"; and a long template name to fold the summary line" end }
}

journey berlin_drop {
  entry every weekday at 08:30 "Europe/Berlin"
  stage s { wait 26h send email "berlin-drop" end }
}

journey sydney_perks {
  entry every month on 15 at 09:00 "Australia/Sydney"
  stage s { send email "sydney-perks" end }
}

journey tokyo_sale {
  entry every day at 12:00 "Asia/Tokyo"
  stage s { send email "tokyo-sale" end }
}

journey receipt {
  entry on purchase
  stage s { send email "receipt" end }
}
"#;

fn export() -> String {
    let mut sources = SourceMap::new();
    let f = sources.add("zones.journey", ZONES);
    let settings = Settings { timezone: "America/New_York".into(), currency: "USD".into(), ..Settings::default() };
    let checked = check_sources(&sources, &[f], &settings);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    ical(&build(&checked.program))
}

fn prop<'a>(c: &'a Component<'a>, name: &str) -> Option<&'a str> {
    c.find_prop(name).map(|p| p.val.as_str())
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn offset(s: &str) -> i64 {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let d = &s[1..];
    let (h, m, sec) = (&d[0..2], &d[2..4], d.get(4..6).unwrap_or("00"));
    sign * (h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60 + sec.parse::<i64>().unwrap())
}

/// One observance: its onsets (local time in TZOFFSETFROM) and offsets.
struct Observance {
    onsets: Vec<NaiveDateTime>,
    from: i64,
    to: i64,
}

/// The onsets of an observance up to 2040: DTSTART, then a yearly
/// `BYMONTH=M;BYDAY=nWD` rule (n from 1, or -1 for the last) up to its UNTIL.
fn observance(c: &Component) -> Observance {
    let start = local(prop(c, "DTSTART").expect("an observance has DTSTART"));
    let from = offset(prop(c, "TZOFFSETFROM").expect("TZOFFSETFROM"));
    let to = offset(prop(c, "TZOFFSETTO").expect("TZOFFSETTO"));
    let mut onsets = vec![start];
    if let Some(rule) = prop(c, "RRULE") {
        let parts: Vec<(&str, &str)> = rule.split(';').map(|p| p.split_once('=').unwrap()).collect();
        let get = |k: &str| parts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        assert_eq!(get("FREQ"), Some("YEARLY"), "{rule}");
        let month: u32 = get("BYMONTH").unwrap().parse().unwrap();
        let byday = get("BYDAY").unwrap();
        let (n, wd) = byday.split_at(byday.len() - 2);
        let n: i32 = n.parse().unwrap();
        let wd = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].iter().position(|d| *d == wd).unwrap() as u32;
        let until = get("UNTIL").map(|u| {
            assert!(u.ends_with('Z'), "UNTIL is UTC in an observance: {u}");
            local(&u[..u.len() - 1])
        });
        for year in start.year() + 1..=2040 {
            let days: Vec<NaiveDate> = (1..=31)
                .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
                .filter(|d| d.weekday().num_days_from_monday() == wd)
                .collect();
            let day = if n > 0 { days[(n - 1) as usize] } else { days[days.len() - 1] };
            let at = day.and_time(start.time());
            // UNTIL is UTC; onsets are local in TZOFFSETFROM
            if until.is_some_and(|u| at - chrono::Duration::seconds(from) > u) {
                break;
            }
            onsets.push(at);
        }
    }
    Observance { onsets, from, to }
}

/// The UTC offset a VTIMEZONE gives a local time (far from any transition).
fn offset_at(observances: &[Observance], at: NaiveDateTime) -> Option<i64> {
    let mut best: Option<(NaiveDateTime, i64)> = None;
    for o in observances {
        for &on in &o.onsets {
            // the onset on the clock after the change
            let after = on + chrono::Duration::seconds(o.to - o.from);
            if after <= at && best.is_none_or(|(b, _)| after > b) {
                best = Some((after, o.to));
            }
        }
    }
    best.map(|b| b.1)
}

#[test]
fn parses_back_with_one_vtimezone_per_zone() {
    let text = export();
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "longer than 75 octets: {line:?}");
        assert!(!line.contains('\n') && !line.contains('\r'), "bare line break in {line:?}");
    }
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(cal.properties.iter().find(|p| p.name == "VERSION").map(|p| p.val.as_str()), Some("2.0"));
    assert!(cal.properties.iter().any(|p| p.name == "PRODID"));
    let zones: Vec<&Component> = cal.components.iter().filter(|c| c.name == "VTIMEZONE").collect();
    let events: Vec<&Component> = cal.components.iter().filter(|c| c.name == "VEVENT").collect();
    assert_eq!(events.len(), 4, "the event-triggered journey has no dates");
    let tzids: Vec<&str> = zones.iter().map(|z| prop(z, "TZID").unwrap()).collect();
    assert_eq!(tzids, ["America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin"]);
    // every event refers to a zone defined in the file, and every zone is used
    let mut used: Vec<&str> = Vec::new();
    for e in &events {
        let start = e.find_prop("DTSTART").unwrap();
        let tzid = start.params.iter().find(|p| p.key == "TZID").and_then(|p| p.val.as_ref()).map(|v| v.as_str());
        let tzid = tzid.unwrap_or_else(|| panic!("DTSTART without TZID: {e:?}"));
        assert!(tzids.contains(&tzid), "{tzid} has no VTIMEZONE");
        used.push(tzid);
        for p in ["UID", "DTSTAMP", "RRULE", "SUMMARY"] {
            assert!(e.find_prop(p).is_some(), "{p} missing");
        }
    }
    used.sort();
    used.dedup();
    assert_eq!(used, tzids);
    // the summary survives escaping and folding (the parser unescapes TEXT)
    let summary = events.iter().find_map(|e| prop(e, "SUMMARY").filter(|s| s.starts_with("local_digest"))).unwrap();
    assert_eq!(
        summary,
        "local_digest: email \"digest, with \"quotes\"; and a long template name to fold the summary line\""
    );
    assert!(text.contains("digest\\, with \"quotes\"\\;"), "escaped in the file");
}

#[test]
fn vtimezone_rules_agree_with_the_time_zone_database() {
    let text = export();
    let unfolded = unfold(&text);
    let cal = read_calendar(&unfolded).unwrap();
    for z in cal.components.iter().filter(|c| c.name == "VTIMEZONE") {
        let name = prop(z, "TZID").unwrap();
        let tz: Tz = name.parse().unwrap();
        assert!(!z.components.is_empty(), "{name} has no observance");
        for o in &z.components {
            assert!(o.name == "STANDARD" || o.name == "DAYLIGHT", "{name}: {}", o.name.as_str());
        }
        let observances: Vec<Observance> = z.components.iter().map(observance).collect();
        // the 15th of every month at 10:00, from the first runs to the end of the years covered
        let mut checked = 0;
        for year in 2026..=2036 {
            for month in 1..=12 {
                let at = NaiveDate::from_ymd_opt(year, month, 15).unwrap().and_hms_opt(10, 0, 0).unwrap();
                let want = tz.from_local_datetime(&at).single().unwrap().offset().fix().local_minus_utc() as i64;
                let got = offset_at(&observances, at).unwrap_or_else(|| panic!("{name}: no observance at {at}"));
                assert_eq!(got, want, "{name} at {at}");
                checked += 1;
            }
        }
        assert_eq!(checked, 132);
        // and at each event's own first start
        for e in cal.components.iter().filter(|c| c.name == "VEVENT") {
            let start = e.find_prop("DTSTART").unwrap();
            if start.params.iter().any(|p| p.val.as_ref().map(|v| v.as_str()) == Some(name)) {
                let at = local(start.val.as_str());
                let want = tz.from_local_datetime(&at).single().unwrap().offset().fix().local_minus_utc() as i64;
                assert_eq!(offset_at(&observances, at), Some(want), "{name} at {at}");
            }
        }
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(export(), export());
}
