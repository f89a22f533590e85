//! `cargo bench --bench calendar`: the cross-journey analysis (J601-J606) and the whole
//! `journey calendar` view (analysis, view, table) on generated repositories of 1,000,
//! 2,000 and 5,000 journeys sharing 100 audiences, single-threaded, against the
//! per-journey checks (J301-J411) measured in the same run; then how time grows with
//! the number of journeys.
//!
//! Targets (issue 19): `journey calendar` near-linear, each size under 2 s on one core.
//!
//! `BENCH_REPO=dir` writes the repositories to `dir/<journeys>` and keeps them (to
//! profile `journey calendar` on one: `perf record -g journey calendar dir/5000`).

#[path = "support/generate.rs"]
mod generate;
#[path = "support/timing.rs"]
mod timing;
use timing::best_of;

use journey_check::analysis::{analyze_journey, calendar};

/// The allocator of the `journey` binary (src/main.rs): the library calls measured
/// here run in the command with it. With glibc's malloc, a third of the view's time
/// on 5,000 journeys was malloc, free and heap consolidation, time the command does
/// not spend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Duration;

/// The least CPU time this thread spent in one of `runs` runs of `f`, from
/// /proc/thread-self/schedstat (Linux; `None` elsewhere).
fn best_cpu<T>(runs: usize, mut f: impl FnMut() -> T) -> Option<Duration> {
    let now = || -> Option<u64> {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        s.split_whitespace().next()?.parse().ok()
    };
    let mut best: Option<Duration> = None;
    for _ in 0..runs {
        let start = now()?;
        std::hint::black_box(f());
        let spent = Duration::from_nanos(now()?.saturating_sub(start));
        best = Some(best.map_or(spent, |b| b.min(spent)));
    }
    best
}

fn main() {
    let sizes: Vec<usize> = std::env::var("JOURNEYS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 2000, 5000]);
    let runs = 3;
    println!("best of {runs} runs, one thread, 100 shared audiences:");
    println!(
        "  journeys   per-journey checks   cross-journey (check)   ratio   cross-journey (calendar view)   journey calendar (view + table)   witnesses   findings"
    );
    let mut growth: Vec<(usize, f64)> = Vec::new();
    let mut command: Vec<(usize, f64)> = Vec::new();
    for n in sizes {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = match std::env::var_os("BENCH_REPO") {
            Some(d) => std::path::PathBuf::from(d).join(n.to_string()),
            None => temp.path().to_path_buf(),
        };
        generate::repository(&dir, n, 100, 7).expect("generate");
        let project = journey_project::load(&[], &dir).expect("load");
        let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
        let checked = journey_check::check_sources(&project.sources, &ids, &journey_check::Settings::default());
        assert!(!checked.has_errors(), "generated repository has errors: {:?}", checked.diagnostics.first());
        let program = &checked.program;
        assert_eq!(program.journeys.len(), n);
        let (per, _) =
            best_of(runs, || program.journeys.iter().map(|j| analyze_journey(program, j).len()).sum::<usize>());
        let (cross, diags) = best_of(runs, || calendar::check(program));
        let (view, cal) = best_of(runs, || calendar::calendar(program));
        let (whole, table) = best_of(runs, || {
            let v = journey_calendar::build(program);
            journey_calendar::table(&v, 100)
        });
        // the same in this thread's CPU time: on a shared machine the wall time also
        // counts the time other processes held the core
        let whole_cpu = best_cpu(runs, || {
            let v = journey_calendar::build(program);
            journey_calendar::table(&v, 100)
        });
        let (_, checked) = best_of(1, || calendar::analyze(program, true));
        // what the `journey calendar` command does before its output: the check, then
        // the view; with the cross-journey analysis run twice (in the check, then for
        // the view, as before) and once (`check_and_calendar` inside the check)
        // (one run each above 2,000 journeys: a run of the old way takes tens of seconds)
        let e2e_runs = if n > 2000 { 1 } else { runs };
        let settings = journey_check::Settings::default();
        let (twice, a) = best_of(e2e_runs, || {
            let c = journey_check::check_sources(&project.sources, &ids, &settings);
            journey_calendar::table(&journey_calendar::build(&c.program), 100)
        });
        let (once, b) = best_of(e2e_runs, || {
            let mut analysed = None;
            let c = journey_check::check_sources_with(&project.sources, &ids, &settings, &mut |p, facts| {
                let (d, cal, cal_diags) = calendar::check_and_calendar_with(p, facts);
                analysed = Some((cal, cal_diags));
                d
            });
            let (cal, cal_diags) = analysed.expect("the check ran the cross-journey pass");
            journey_calendar::table(
                &journey_calendar::build_from(&c.program, cal, &cal_diags, |d| Some(d.severity)),
                100,
            )
        });
        assert_eq!(a, b, "one analysis gives the view of two");
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        // the size of what the view shows: every journey a finding names (one
        // experiment can overlap most other journeys, so this may grow faster than
        // the journeys even when the view itself is linear in it)
        let parts: usize = cal.findings.iter().map(|f| f.parts.len()).sum();
        println!(
            "  {n:>8}   {:>15.1} ms   {:>18.1} ms   {:>5.2}x   {:>26.1} ms   {:>28.1} ms   {:>6.1} ms   {} in check, {} in the view ({} parts, {} table lines)",
            ms(per),
            ms(cross),
            ms(cross) / ms(per),
            ms(view),
            ms(whole),
            ms(checked.0.witness_time),
            diags.len(),
            cal.findings.len(),
            parts,
            table.lines().count()
        );
        println!(
            "  {n:>8}   check + calendar view: {:.1} ms with the cross-journey analysis run twice, {:.1} ms once ({:.2}x)",
            ms(twice),
            ms(once),
            ms(once) / ms(twice)
        );
        if let Some(cpu) = whole_cpu {
            println!("  {n:>8}   journey calendar (view + table) in this thread's CPU time: {:.1} ms", ms(cpu));
        }
        growth.push((n, whole.as_secs_f64()));
        command.push((n, once.as_secs_f64()));
    }
    for (what, series) in [("`journey calendar` (view + table)", &growth), ("check + calendar view (once)", &command)] {
        let Some(&(n0, t0)) = series.first() else { continue };
        println!("growth of {what} (time ratio vs journeys ratio; exponent 1.00 is linear):");
        for &(n, t) in &series[1..] {
            let (jr, tr) = (n as f64 / n0 as f64, t / t0);
            println!("  {n0} -> {n} journeys: {jr:.1}x journeys, {tr:.2}x time, exponent {:.2}", tr.ln() / jr.ln());
        }
    }
    // checked after printing, so a miss still shows every figure
    if !cfg!(debug_assertions) {
        for &(n, t) in &growth {
            assert!(t < 2.0, "journey calendar on {n} journeys took {t:.2} s (target: under 2 s)");
        }
    }
}
