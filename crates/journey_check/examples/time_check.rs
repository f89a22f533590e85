//! `cargo run --release -p journey_check --example time_check -- DIR`: the time of
//! `check_sources` on every `.journey` file under DIR/journeys and of the
//! cross-journey pass, with its share spent on witness histories. A light way to
//! profile the checker (no CLI, no event readers to build).
//!
//! When DIR has no `journeys/` yet, the benchmarks' generated repository is written
//! there first (`JOURNEYS=n`, default 1,000; 100 shared audiences, seed 7, as in
//! `cargo bench --bench check`), so a profile needs no bench build.

#[path = "../../../benches/support/generate.rs"]
#[allow(dead_code)]
mod generate;

use journey_diagnostics::SourceMap;
use std::time::Instant;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: time_check DIR"));
    if !dir.join("journeys").exists() {
        let n = std::env::var("JOURNEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        generate::repository(&dir, n, 100, 7).expect("generate the benchmark repository");
    }
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("journeys"))
        .expect("DIR/journeys")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "journey"))
        .collect();
    paths.sort();
    let mut sources = SourceMap::default();
    let ids: Vec<_> =
        paths.iter().map(|p| sources.add(p.display().to_string(), std::fs::read_to_string(p).expect("read"))).collect();
    let settings = journey_check::Settings::default();
    let start = Instant::now();
    let checked = journey_check::check_sources(&sources, &ids, &settings);
    let check = start.elapsed();
    let start = Instant::now();
    let (cal, _) = journey_check::analysis::calendar::analyze(&checked.program, true);
    let cross = start.elapsed();
    println!(
        "{} journeys, {} diagnostics: check {:.1} ms; cross-journey {:.1} ms, witness histories {:.1} ms ({} findings with a witness)",
        checked.program.journeys.len(),
        checked.diagnostics.len(),
        check.as_secs_f64() * 1e3,
        cross.as_secs_f64() * 1e3,
        cal.witness_time.as_secs_f64() * 1e3,
        cal.findings.iter().filter(|f| f.witness.is_some()).count()
    );
}
