//! Leafline Tea (tests/projects/teashop), a project whose audiences read scores,
//! arithmetic and `latest(...)`: cross-journey pairs the analysis can neither confirm
//! with a witness history nor rule out are reported as *undecided* (issue 13), with
//! the attribute profile that meets both audiences and the constraints left open;
//! a pair the analysis proves impossible stays silent. A `where` filter on a one-of
//! property (`count(order where kind == "gift", 90d)`) gets a witness history
//! (replayed in tests/witness_replay.rs).

mod common;
use common::*;
use std::path::Path;

fn teashop() -> std::path::PathBuf {
    root().join("tests/projects/teashop")
}

#[test]
fn undecided_pairs_are_reported_not_dropped() {
    let out = journey(&["check", "--format", "concise"], &teashop());
    let text = stdout(&out);
    insta::assert_snapshot!("teashop_check", text);
    // a score (J601, J604: `entry when loyalty >= 50` is part of the VIP's audience)
    // and `latest(...)` (J602) each leave one pair undecided
    for (code, needle) in [
        ("J601", "template \"tasting-box\""),
        ("J602", "`full_price` send"),
        ("J604", "win-back journey `tasting_promo`"),
    ] {
        assert!(
            text.lines().any(|l| l.contains(&format!("warning[{code}]")) && l.contains(needle)),
            "{code} {needle} missing:\n{text}"
        );
    }
    // a filtered count on a one-of property against `since`: a witness with a gift order
    assert!(
        text.lines().any(|l| l.contains("warning[J601]") && l.contains("\"gift-ideas\"") && !l.contains("undecided")),
        "{text}"
    );
    // `count(order, 30d) >= 2` against `since(order) > 40d`: proven impossible, silent
    assert!(!text.contains("brew-guide"), "a pair proven impossible is reported:\n{text}");

    // notes wrap at the terminal width: compare with single spaces
    let full = stdout(&journey(&["check"], &teashop())).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(full.contains("undecided: the analysis could neither find a customer in both"), "{full}");
    // what was found (the profile) and what stayed open (the score's comparison)
    assert!(full.contains("`email_opt_in` = true meets the attribute constraints of both"), "{full}");
    assert!(full.contains("open: `loyalty >= 50`"), "{full}");
    assert!(full.contains("events `order` (kind \"gift\") 30d 1m ago"), "{full}");
}

/// A copy of the project with `journey.yaml` extended by `extra`.
fn with_config(extra: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let dst = copy.path();
    std::fs::create_dir(dst.join("journeys")).unwrap();
    let src: &Path = &teashop();
    let yaml = std::fs::read_to_string(src.join("journey.yaml")).unwrap();
    std::fs::write(dst.join("journey.yaml"), format!("{yaml}{extra}")).unwrap();
    for f in std::fs::read_dir(src.join("journeys")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dst.join("journeys").join(f.file_name())).unwrap();
    }
    copy
}

#[test]
fn undecided_findings_follow_the_may_overlap_severity() {
    // CI can gate on them: journey.yaml's `may_overlap:` sets their severity as for
    // may-overlaps with a witness
    let strict = with_config("may_overlap:\n  J601: error\n");
    let out = journey(&["check", "--format", "concise"], strict.path());
    let text = stdout(&out);
    assert!(text.contains("error[J601] template \"tasting-box\""), "{text}");
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("warning[J602]"), "other rules keep theirs:\n{text}");
}
