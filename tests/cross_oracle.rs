//! The cross-journey analysis (J601-J606) against its plain self: the shortcuts of
//! `journey_check::analysis::calendar` (pairs decided on the histories of their parts
//! without merging them, ...) must give exactly the findings and diagnostics of
//! `analyze_plainly`, which takes none. On repositories of the benchmarks' generator
//! (benches/support/generate.rs) small enough to run in a test, with few shared
//! audiences so that journeys share predicates and most pairs may overlap, and on the
//! projects of tests/projects (the B2B one has accounts, scores and program caps).

#[path = "../benches/support/generate.rs"]
#[allow(dead_code)]
mod generate;

use journey_check::analysis::calendar;
use journey_ir::Program;
use std::path::Path;

/// Everything a finding and a diagnostic say, comparably, and every journey's plan.
fn said(cal: &calendar::Calendar, diags: &[journey_diagnostics::Diagnostic]) -> String {
    format!("{:?}\n{:?}\n{diags:?}\n{:?}", cal.findings, cal.groups, cal.plans)
}

fn program_of(dir: &Path) -> Program {
    let project = journey_project::load(&[], dir).expect("load");
    let mut program = None;
    // the program the cross-journey pass gets, as `journey check` runs it
    journey_run::project::check_with(&project, &mut |p, _| {
        program = Some(p.clone());
        Vec::new()
    });
    program.expect("the check reaches the cross-journey pass")
}

/// The fast analysis equals the plain one: `journey check`'s, the view's, and both at
/// once (as `journey calendar` runs them).
fn same_as_plain(program: &Program, what: &str) {
    let (plain_check, plain_diags) = calendar::analyze_plainly(program, true);
    let (fast_check, fast_diags) = calendar::analyze(program, true);
    assert_eq!(said(&fast_check, &fast_diags), said(&plain_check, &plain_diags), "{what}: journey check");
    // what `journey check` runs: the diagnostics alone, without building findings
    assert_eq!(format!("{:?}", calendar::check(program)), format!("{plain_diags:?}"), "{what}: check's diagnostics");
    let (plain_view, plain_view_diags) = calendar::analyze_plainly(program, false);
    let (fast_view, fast_view_diags) = calendar::analyze(program, false);
    assert_eq!(said(&fast_view, &fast_view_diags), said(&plain_view, &plain_view_diags), "{what}: calendar view");
    let (checked, view, view_diags) = calendar::check_and_calendar(program);
    assert_eq!(format!("{checked:?}"), format!("{plain_diags:?}"), "{what}: check inside the calendar");
    assert_eq!(said(&view, &view_diags), said(&plain_view, &plain_view_diags), "{what}: view after the check");
}

#[test]
fn generated_repositories_analyse_as_plainly() {
    let mut findings = 0;
    let mut witnesses = 0;
    let mut program_caps = 0;
    for case in 0..24u64 {
        let journeys = 6 + (case as usize * 7) % 45;
        let audiences = 2 + (case as usize) % 9;
        let dir = tempfile::tempdir().expect("temp dir");
        generate::repository(dir.path(), journeys, audiences, 1000 + case).expect("generate");
        let mut program = program_of(dir.path());
        // issue 15: every other case with a program cap on the generator's message
        // channels (promotional, the default category), as journey.yaml would give it:
        // a day's window, where a journey alone mostly stays under it
        if case % 2 == 1 {
            program.rules.category_caps.push(journey_ir::CategoryCap {
                category: "promotional".into(),
                cap: journey_ir::Cap { count: 2 + case % 3, window_minutes: 1440 },
                written: format!("{} per 1d", 2 + case % 3),
                origin: Default::default(),
            });
        }
        same_as_plain(&program, &format!("case {case}: {journeys} journeys, {audiences} audiences"));
        let (cal, _) = calendar::analyze(&program, true);
        findings += cal.findings.len();
        witnesses += cal.findings.iter().filter(|f| f.witness.is_some()).count();
        program_caps += cal.findings.iter().filter(|f| f.message.contains("over the program cap")).count();
    }
    // the cases reach what the shortcuts are about: findings resting on witness histories
    assert!(findings > 100 && witnesses > 20, "{findings} findings, {witnesses} with a witness history");
    assert!(program_caps > 5, "{program_caps} findings on a program cap");
}

#[test]
fn test_projects_analyse_as_plainly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests/projects/b2b", "tests/projects/petshop", "tests/projects/teashop", "tests/projects/loopcap", "."]
    {
        same_as_plain(&program_of(&root.join(dir)), dir);
    }
}
