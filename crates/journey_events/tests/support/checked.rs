//! A project's program as `journey check` reads it (journey.yaml's time zone, currency
//! and optional attributes), for the event readers' tests and benches, which cannot
//! call journey_run (it depends on this crate). One copy, included where needed with
//! `#[path = "…/tests/support/checked.rs"] mod checked;`.

// each including test or bench uses some of these
#![allow(dead_code)]

use std::path::Path;

/// Check the project at `root`.
pub fn check_project(root: &Path) -> journey_check::Checked {
    let project = journey_project::load(&[], root).expect("the project loads");
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        optional_attributes: project.config.optional_attributes(),
        ..Default::default()
    };
    journey_check::check_sources(&project.sources, &ids, &settings)
}

/// The program of the project at `root`.
pub fn program(root: &Path) -> journey_ir::Program {
    check_project(root).program
}

/// The program of a project of one journey.yaml and one journey file, written to `dir`.
pub fn written_program(dir: &Path, yaml: &str, journey: &str) -> journey_ir::Program {
    std::fs::write(dir.join("journey.yaml"), yaml).unwrap();
    std::fs::write(dir.join("shop.journey"), journey).unwrap();
    program(dir)
}
