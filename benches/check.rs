//! `cargo bench --bench check`: `journey check` on a generated repository of 1,000
//! journeys (~100k lines), single-threaded, against two baselines measured in the same
//! run: reading the files, and parsing them without checking.
//!
//! Targets: the whole check in under 1 s on one core with the may-overlap witness
//! search on (issues 2 and 13), and at least 250k lines/s end to end (issue 16).

#[path = "support/generate.rs"]
mod generate;
#[path = "support/timing.rs"]
mod timing;
use timing::best_of;

use std::time::Duration;

/// The allocator of the `journey` binary (src/main.rs), so the in-process figures
/// (parse, parse + check, cross-journey) are those of the command's own code.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let journeys: usize = std::env::var("JOURNEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    // `BENCH_REPO=dir` keeps the generated repository there, for profiling `journey check`.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::env::var_os("BENCH_REPO").map(std::path::PathBuf::from).unwrap_or_else(|| dir.path().to_path_buf());
    let (files, lines) = generate::repository(&root, journeys, 100, 7).expect("generate");
    let runs = 5;

    let (read, bytes) = best_of(runs, || {
        let mut n = 0;
        for e in std::fs::read_dir(root.join("journeys")).unwrap() {
            n += std::fs::read(e.unwrap().path()).unwrap().len();
        }
        n
    });
    let (load, project) = best_of(runs, || journey_project::load(&[], &root).expect("load"));
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let (parse, items) = best_of(runs, || {
        let mut items = 0;
        for &id in &ids {
            let f = project.sources.get(id);
            let p = journey_syntax::parse(&f.text, id);
            assert!(p.diagnostics.is_empty(), "generated file does not parse: {:?}", p.diagnostics.first());
            items += p.module.items.len();
        }
        items
    });
    // the same files through pest alone, as they were parsed before the hand-written
    // parser of the common case (`journey_syntax::parse` declines to pest on anything else)
    let (pest_parse, _) = best_of(runs, || {
        ids.iter()
            .map(|&id| journey_syntax::parse_with_pest(&project.sources.get(id).text, id).module.items.len())
            .sum::<usize>()
    });
    let settings = journey_check::Settings::default();
    let (check, checked) = best_of(runs, || journey_check::check_sources(&project.sources, &ids, &settings));
    assert!(!checked.has_errors(), "generated repository has errors: {:?}", checked.diagnostics.first());
    assert_eq!(checked.program.journeys.len(), journeys);

    // the binary end to end, as users run it (process start, load, check, render)
    let exe = env!("CARGO_BIN_EXE_journey");
    let (cli, status) = best_of(runs, || {
        std::process::Command::new(exe).arg("check").arg("--quiet").current_dir(&root).output().expect("run journey")
    });
    assert!(
        status.status.success() || status.status.code() == Some(0),
        "journey check failed: {}",
        String::from_utf8_lossy(&status.stdout)
    );

    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "repository: {files} files, {lines} lines, {bytes} bytes, {items} items, {} diagnostics",
        checked.diagnostics.len()
    );
    println!("best of {runs} runs, one thread:");
    println!("  read files          {:>8.1} ms", secs(read) * 1e3);
    println!("  load project        {:>8.1} ms", secs(load) * 1e3);
    println!("  parse only          {:>8.1} ms   {:>10.0} lines/s", secs(parse) * 1e3, lines as f64 / secs(parse));
    println!(
        "  parse only, pest    {:>8.1} ms   {:>10.0} lines/s   {:.2}x the parse above",
        secs(pest_parse) * 1e3,
        lines as f64 / secs(pest_parse),
        secs(pest_parse) / secs(parse)
    );
    println!(
        "  parse + check       {:>8.1} ms   {:>10.0} lines/s   {:.2}x parse-only",
        secs(check) * 1e3,
        lines as f64 / secs(check),
        secs(check) / secs(parse)
    );
    println!(
        "  `journey check`     {:>8.1} ms   {:>10.0} lines/s   {:.2}x parse-only   (targets < 1000 ms, >= 250000 lines/s)",
        secs(cli) * 1e3,
        lines as f64 / secs(cli),
        secs(cli) / secs(parse)
    );
    // the cross-journey part, and within it the search for may-overlap witnesses
    let (cross, (cal, _)) = best_of(runs, || journey_check::analysis::calendar::analyze(&checked.program, true));
    println!(
        "  cross-journey       {:>8.1} ms   witness histories {:.1} ms = {:.1}% of parse + check ({} findings with a witness)",
        secs(cross) * 1e3,
        secs(cal.witness_time) * 1e3,
        100.0 * secs(cal.witness_time) / secs(check),
        cal.findings.iter().filter(|f| f.witness.is_some()).count()
    );
    println!(
        "  cross-journey share {:>7.1} %   of parse + check (the rest, {:.1} ms, is parsing and the per-journey checks)",
        100.0 * secs(cross) / secs(check),
        (secs(check) - secs(cross)).max(0.0) * 1e3
    );
}
