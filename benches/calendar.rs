//! `cargo bench --bench calendar`: the cross-journey analysis (J601-J606) on generated
//! repositories of 250, 500 and 1,000 journeys sharing 100 audiences, single-threaded,
//! against the per-journey checks (J301-J411) measured in the same run.
//!
//! Target (issue: unified messaging calendar): 1,000 journeys in under 2 s on one core.

#[path = "support/generate.rs"]
mod generate;
#[path = "support/timing.rs"]
mod timing;
use timing::best_of;

use journey_check::analysis::{analyze_journey, calendar};
use std::time::Duration;

fn main() {
    let sizes: Vec<usize> = std::env::var("JOURNEYS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.parse().ok()).collect())
        .unwrap_or_else(|| vec![250, 500, 1000]);
    let runs = 3;
    println!("best of {runs} runs, one thread, 100 shared audiences:");
    println!(
        "  journeys   per-journey checks   cross-journey (check)   ratio   cross-journey (calendar view)   findings"
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        generate::repository(dir.path(), n, 100, 7).expect("generate");
        let project = journey_project::load(&[], dir.path()).expect("load");
        let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
        let checked = journey_check::check_sources(&project.sources, &ids, &journey_check::Settings::default());
        assert!(!checked.has_errors(), "generated repository has errors: {:?}", checked.diagnostics.first());
        let program = &checked.program;
        assert_eq!(program.journeys.len(), n);
        let (per, _) =
            best_of(runs, || program.journeys.iter().map(|j| analyze_journey(program, j).len()).sum::<usize>());
        let (cross, diags) = best_of(runs, || calendar::check(program));
        let (view, cal) = best_of(runs, || calendar::calendar(program));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  {n:>8}   {:>15.1} ms   {:>18.1} ms   {:>5.2}x   {:>26.1} ms   {} in check, {} in the view",
            ms(per),
            ms(cross),
            ms(cross) / ms(per),
            ms(view),
            diags.len(),
            cal.findings.len()
        );
    }
}
