//! J401's loop case end to end (issue 13, "caps reached by one journey's own loops"):
//! a journey with a single send step that loops back to it every two days reaches the
//! policy's weekly cap on its third pass. Shown on tests/projects/loopcap (a hiking
//! app's trial reminders), not on journeys/, with the exact rendered output.

mod common;
use common::*;

const EXPECTED: &str = r#"error[J401]: this path sends 3 messages within 4d, over the policy cap of 2 per 7d
  --> journeys/trial.journey:24:5
   |
14 |   cap any 2 per 7d
   |   ---------------- the cap is declared here
...
24 |     send push "trial-pick-your-next-trail"
   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ message 3 in the same 7d window
   |
   = help: add a wait of at least 3d between these sends or raise the cap
   = note: a loop sends from the same step again inside the window
   = note: path: remind (send push "trial-pick-your-next-trail") → wait 2d → remind (send push
           "trial-pick-your-next-trail") → wait 2d → remind (send push "trial-pick-your-next-trail")

warning[J404]: template "trial-pick-your-next-trail" is sent twice on one path
  --> journeys/trial.journey:24:5
   |
24 |     send push "trial-pick-your-next-trail"
   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ sent again on every pass through this loop
   |
   = help: send it before the loop, or send a different template on later passes
   = note: path: remind (send push "trial-pick-your-next-trail") → wait 2d → remind (send push
           "trial-pick-your-next-trail")

"#;

#[test]
fn a_loop_that_sends_again_within_the_cap_window_is_j401() {
    let dir = root().join("tests/projects/loopcap");
    let out = journey(&["check"], &dir);
    assert_eq!(stdout(&out), EXPECTED);
    assert_eq!(stderr(&out), "found 1 error and 1 warning in 1 file\n");
    assert_eq!(out.status.code(), Some(1));
    let out = journey(&["fmt", "--check"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_loop_that_waits_long_enough_stays_under_the_cap() {
    // every four days: at most two passes fall in any 7 days, so no J401 (the
    // template still repeats on every pass: J404 stays)
    let src = root().join("tests/projects/loopcap");
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("journeys")).unwrap();
    std::fs::copy(src.join("journey.yaml"), copy.path().join("journey.yaml")).unwrap();
    let text = std::fs::read_to_string(src.join("journeys/trial.journey")).unwrap();
    assert!(text.contains("    wait 2d\n"));
    std::fs::write(copy.path().join("journeys/trial.journey"), text.replace("    wait 2d\n", "    wait 4d\n")).unwrap();
    let out = journey(&["check"], copy.path());
    let rendered = stdout(&out);
    assert!(!rendered.contains("[J401]"), "{rendered}");
    assert!(rendered.contains("warning[J404]"), "{rendered}");
    assert_eq!(out.status.code(), Some(0), "{rendered}");
}
