//! A second company's project, not the showcase: Pawprint Supplies, an online
//! pet-supplies shop (tests/projects/petshop) with the nine lifecycle segments as
//! audiences (counts, windows, `since`) and journeys that share templates and
//! conflicting tags. Every cross-journey pair that only *may* overlap is reported by
//! `journey check` with a witness history (tests/witness_replay.rs replays each one
//! through the engine).

mod common;
use common::*;

#[test]
fn check_reports_may_overlaps_with_witness_histories() {
    let dir = root().join("tests/projects/petshop");
    let out = journey(&["check", "--format", "concise"], &dir);
    let text = stdout(&out);
    insta::assert_snapshot!("petshop_check", text);
    // the pairs a marketer must hear about, each with its witness
    for (code, needle) in [
        ("J601", "template \"refill-reminder\""),
        ("J602", "`discount` send"),
        ("J604", "win-back journey `slowdown_offer`"),
    ] {
        assert!(text.lines().any(|l| l.contains(code) && l.contains(needle)), "{code} {needle} missing:\n{text}");
    }
    let full = stdout(&journey(&["check"], &dir));
    assert!(full.contains("is in both"), "witness notes are shown:\n{full}");
}
