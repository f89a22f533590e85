//! Issue 15: `today` and date literals in conditions, on the B2B project: onboarding
//! only takes users who signed up within the last 30 days (`signed_up_on >= today -
//! 30d`); the IR says `today`, and replaying a generated log runs the filter against
//! the simulated clock's day.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn b2b_onboarding_reads_today_and_the_replay_applies_it() {
    let dir = root().join("tests/projects/b2b");
    let out = journey(&["compile"], &dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: Value = serde_json::from_slice(&out.stdout).unwrap();
    let onboarding = ir["journeys"].as_array().unwrap().iter().find(|j| j["name"] == "onboarding").unwrap();
    let text = onboarding["audience"].to_string();
    assert!(text.contains(r#"{"op":"today"}"#), "{text}");

    // an old sign-up date: the same log with every user's sign-up moved a year back
    // enters onboarding for nobody (their account_created events are in the period)
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("log.csv"), tmp.path().join("attrs.csv"));
    let gen = journey(
        &[
            "events",
            "generate",
            "--seed",
            "3",
            "--customers",
            "200",
            "-o",
            log.to_str().unwrap(),
            "--attributes",
            attrs.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code(&gen), 0, "{}", stderr(&gen));
    let sim = |attrs: &std::path::Path| {
        let out = journey(
            &[
                "simulate",
                "--events",
                log.to_str().unwrap(),
                "--attributes",
                attrs.to_str().unwrap(),
                "--format",
                "json",
            ],
            &dir,
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        r["journeys"]["onboarding"].clone()
    };
    let fresh = sim(&attrs);
    assert!(fresh["entrants"].as_u64().unwrap() > 0, "{fresh:#}");
    let body = std::fs::read_to_string(&attrs).unwrap();
    let header: Vec<&str> = body.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|c| *c == "signed_up_on").unwrap();
    let moved: Vec<String> = body
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return l.to_string();
            }
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            if let Ok(y) = cells[col][..4].parse::<i32>() {
                cells[col] = format!("{}{}", y - 1, &cells[col][4..]);
            }
            cells.join(",")
        })
        .collect();
    let old = tmp.path().join("old.csv");
    std::fs::write(&old, moved.join("\n") + "\n").unwrap();
    let stale = sim(&old);
    assert_eq!(stale["entrants"].as_u64().unwrap_or(0), 0, "{stale:#}");
    assert!(stale["filtered_out"].as_u64().unwrap() >= fresh["entrants"].as_u64().unwrap(), "{stale:#}");
}
