//! `journey check` of a journey entered on an event that customers re-enter: every
//! pass sends again, and the passes together break a cap one pass keeps (J401).
//! On a copy of tests/projects/fitness with one journey more.

mod common;

use common::{code, copy_dir, journey, root, stdout};

/// A card after every workout, with customers let back in 2 hours after the last:
/// seven workouts in 12 hours make the engine refuse the seventh card under the
/// policy's `cap any 6 per 7d`. Said for certain: nothing but `re_entry` keeps a
/// customer out (no `audience`, no `where`, no exit).
#[test]
fn a_card_after_every_workout_breaks_the_policy_cap_entry_after_entry() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/projects/fitness"), dir.path());
    std::fs::write(
        dir.path().join("journeys/workout_cheer.journey"),
        "journey workout_cheer {\n  entry on workout\n  re_entry after 2h\n\n  stage cheer {\n    send in_app_card \"nice-workout\"\n    end\n  }\n}\n",
    )
    .unwrap();
    let out = journey(
        &["check", "journeys/workout_cheer.journey", "journeys/channels.journey", "journeys/schema.journey"],
        dir.path(),
    );
    let text = stdout(&out);
    let said: Vec<&str> = text.lines().filter(|l| l.contains("[J401]")).collect();
    assert_eq!(
        said,
        [
            "error[J401]: entry after entry, this path sends 7 messages within 12h, over the policy cap of 6 per 7d",
            // the policy cap lets 6 through, over the program's 5
            "error[J401]: entry after entry, this path sends 7 promotional messages within 12h, over the program cap `promotional: 5 per 7d`",
        ],
        "{text}"
    );
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("entered on each `workout`, with `re_entry after 2h`"), "{text}");
    assert!(text.contains("= help: let customers back in less often (`re_entry after 2d`) or raise the cap"), "{text}");
    // customers let back in every other day keep to both caps
    let cheer = dir.path().join("journeys/workout_cheer.journey");
    let fixed = std::fs::read_to_string(&cheer).unwrap().replace("re_entry after 2h", "re_entry after 2d");
    std::fs::write(&cheer, fixed).unwrap();
    let out = journey(
        &["check", "journeys/workout_cheer.journey", "journeys/channels.journey", "journeys/schema.journey"],
        dir.path(),
    );
    assert!(!stdout(&out).contains("[J401]"), "{}", stdout(&out));
}
