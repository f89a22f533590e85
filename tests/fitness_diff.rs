//! tests/projects/fitness: a fitness app written from docs/ alone, with a hand-written
//! log of the edge cases real data has (offsets like `+0545`, daylight-saving days in
//! both hemispheres, events before sign-up, a duplicate row). What `journey diff` said wrong of it.

mod common;

use std::path::{Path, PathBuf};

use common::{code, journey, root, stderr, stdout};

fn project() -> PathBuf {
    root().join("tests/projects/fitness")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `journey diff` with a configured log whose replay cannot fit a CLV model (too few
/// repeat buyers) and whose change moves no send: the simulated line said
/// `simulated: ` and nothing else.
#[test]
fn diff_says_when_the_sends_do_not_change_and_why_there_is_no_clv() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = (dir.path().join("base"), dir.path().join("head"));
    copy_dir(&project(), &base);
    copy_dir(&project(), &head);
    let winback = head.join("journeys/winback.journey");
    let text = std::fs::read_to_string(&winback).unwrap();
    std::fs::write(&winback, text.replace("wait up to 5d for email_open", "wait up to 3d for email_open")).unwrap();
    let out = journey(&["diff", "base", "head"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("simulated:")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("the same sends per journey and channel on both sides"), "{line}");
    assert!(line.contains("CLV not computed ("), "{line}");
    let out = journey(&["diff", "base", "head", "--format", "json"], dir.path());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["simulation"]["status"], "done", "{v}");
    assert!(v["simulation"]["clv_unavailable"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
}
