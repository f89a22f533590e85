//! Idempotence and comment preservation on real files: the sample, and every
//! `.journey` file of the repository's journeys/ and examples/ directories as they are
//! when the test runs.

mod common;

use common::assert_canonical;
use std::path::{Path, PathBuf};

#[test]
fn sample_is_idempotent_and_keeps_comments() {
    let src = include_str!("data/sample.journey");
    let out = assert_canonical("sample", src);
    if std::env::var_os("JOURNEY_FMT_SHOW").is_some() {
        println!("{out}");
    }
}

fn journey_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            journey_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "journey") {
            out.push(path);
        }
    }
}

#[test]
fn repository_journeys_are_idempotent_and_keep_comments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["journeys", "examples"] {
        journey_files(&root.join(dir), &mut files);
    }
    files.sort();
    let (mut checked, mut skipped) = (0, Vec::new());
    // Set JOURNEY_FMT_OUT=<dir> to write the formatted files there, for review.
    let out_dir = std::env::var_os("JOURNEY_FMT_OUT").map(PathBuf::from);
    for path in files {
        let Ok(src) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Files being written right now by others may not parse yet; those are refused,
        // which is the correct behaviour and is tested elsewhere.
        let parsed = journey_syntax::parse(&src, journey_diagnostics::FileId(0));
        if parsed.diagnostics.iter().any(|d| d.code != "J002") {
            skipped.push(path.display().to_string());
            continue;
        }
        let out = assert_canonical(&path.display().to_string(), &src);
        if let Some(dir) = &out_dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(path.file_name().unwrap()), out).unwrap();
        }
        checked += 1;
    }
    eprintln!("formatted {checked} repository files; skipped {} that do not parse: {skipped:?}", skipped.len());
}
