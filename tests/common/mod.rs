//! Helpers for end-to-end tests: run the real `journey` binary with a fixed terminal
//! width and no colour, so rendered output is stable.

#![allow(dead_code)]

pub mod calendar_groups;
pub mod graphs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `journey check` of the project in `dir` in process, with journey.yaml's zone and
/// currency: the program and every diagnostic.
pub fn check_project(dir: &Path) -> journey_check::Checked {
    let project = journey_project::load(&[], dir).expect("project loads");
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        ..Default::default()
    };
    journey_check::check_sources(&project.sources, &ids, &settings)
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn journey(args: &[&str], cwd: &Path) -> Output {
    journey_in_columns(args, cwd, 100)
}

/// As [`journey`], in a terminal `columns` wide (long file paths in messages).
pub fn journey_in_columns(args: &[&str], cwd: &Path, columns: u16) -> Output {
    Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("COLUMNS", columns.to_string())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the journey binary runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// The sends of `journey simulate --events log.csv --attributes attrs.csv --from FROM
/// --to TO` in `dir`, from its CSV trace: `(time, customer, journey, template)`.
pub fn traced_sends(dir: &Path, from: &str, to: &str) -> Vec<[String; 4]> {
    let args = [
        "simulate",
        "--events",
        "log.csv",
        "--attributes",
        "attrs.csv",
        "--from",
        from,
        "--to",
        to,
        "--trace",
        "trace.csv",
    ];
    let out = journey(&args, dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let trace = std::fs::read_to_string(dir.join("trace.csv")).expect("the trace is written");
    trace
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.get(4) == Some(&"send"))
        .map(|f| [f[0], f[1], f[2], f[6]].map(str::to_string))
        .collect()
}

/// Files under `dir` (recursively) whose names end with one of `exts`, sorted.
pub fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Headless Chromium, from PATH or Debian's /usr/bin/chromium.
#[allow(dead_code)]
pub fn chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("chromium")).find(|c| c.is_file()));
    on_path.or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
}

/// The DOM of `page` after `browser` loaded it headless (window 1280x2000, a fresh
/// profile, no background networking: this machine refuses those connections), with
/// `extra` flags such as a virtual-time budget for pages that render in scripts.
#[allow(dead_code)]
pub fn chromium_dump_dom(browser: &Path, page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2000",
        ])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM of a page after headless Chromium loaded it, or `None` (with a note) when
/// Chromium is not installed: CI installs it, a laptop may not.
#[allow(dead_code)]
pub fn chromium_dom(page: &Path) -> Option<String> {
    let Some(browser) = chromium() else {
        eprintln!("note: chromium is not installed; skipping the headless browser check");
        return None;
    };
    Some(chromium_dump_dom(&browser, page, &[]))
}

/// A directory from which node can `require("ajv")` (`AJV_DIR`, which CI sets to the
/// global npm root, else the repository), or `None` when ajv is not installed.
#[allow(dead_code)]
pub fn ajv_dir() -> Option<PathBuf> {
    let candidates = [std::env::var_os("AJV_DIR").map(PathBuf::from), Some(root())];
    candidates.into_iter().flatten().find(|d| {
        std::process::Command::new("node")
            .args(["-e", "require('ajv/dist/2020')"])
            .current_dir(d)
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A log and attribute snapshot of the project at `dir`, from `journey events generate
/// --seed 3 --customers 300`, written into `out`: (log, attributes). The fixture of the
/// b2b tests that replay a real run.
pub fn generated_log(dir: &Path, out: &Path) -> (PathBuf, PathBuf) {
    let (log, attrs) = (out.join("log.csv"), out.join("attrs.csv"));
    let o = journey(
        &[
            "events",
            "generate",
            "--seed",
            "3",
            "--customers",
            "300",
            "-o",
            log.to_str().unwrap(),
            "--attributes",
            attrs.to_str().unwrap(),
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (log, attrs)
}

/// Copy the folder `from` (a project) into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A seeded xorshift generator for the oracles' generated cases: the same seed, the
/// same cases on every machine (proptest's seeds are random).
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}
