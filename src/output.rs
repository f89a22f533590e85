//! Shared plumbing of the subcommands: loading and checking a repository, rendering
//! diagnostics.

use crate::GlobalOptions;
use journey_diagnostics::render::{self, Format, RenderOptions};
use journey_diagnostics::{Diagnostic, Severity};
use journey_project::Project;
use std::path::PathBuf;

/// Terminal width for wrapping; COLUMNS wins so tests and CI logs are stable.
pub fn width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w: &usize| *w >= 40).unwrap_or(100)
}

pub fn load(paths: &[PathBuf]) -> miette::Result<Project> {
    let cwd = std::env::current_dir().map_err(|e| miette::miette!("cannot read the current directory: {e}"))?;
    Ok(journey_project::load(paths, &cwd)?)
}

/// Check a loaded project: config problems plus everything the checker finds, with
/// the project's severity overrides applied.
pub fn check(project: &Project) -> (journey_check::Checked, Vec<Diagnostic>) {
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
    };
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let mut checked = journey_check::check_sources(&project.sources, &ids, &settings);
    let mut diags = project.diagnostics.clone();
    diags.append(&mut checked.diagnostics);
    // each file's root-relative path once, not once per diagnostic
    let relative: Vec<String> = project.sources.files().map(|(id, _)| project.root_relative(id)).collect();
    let diags = project.config.apply(diags, |id| relative[id.0 as usize].clone());
    (checked, diags)
}

pub fn render_options(global: &GlobalOptions) -> RenderOptions {
    RenderOptions { color: global.color, width: width(), ..RenderOptions::default() }
}

/// Print diagnostics in a format, plus the summary line for people.
pub fn report(diags: &[Diagnostic], project: &Project, format: Format, global: &GlobalOptions) {
    let text = render::render(diags, &project.sources, format, &render_options(global));
    print!("{text}");
    if format == Format::Full || format == Format::Concise {
        if !global.quiet {
            let summary = render::summary(diags);
            let files = project.files.len();
            eprintln!("{summary} in {files} file{}", if files == 1 { "" } else { "s" });
        }
    }
}

/// The `events:` mapping of the project's journey.yaml (defaults when it has none), with
/// diagnostics that point into journey.yaml.
pub fn event_mapping(project: &Project) -> Result<journey_events::Mapping, Vec<Diagnostic>> {
    let text = project.config_file.map(|id| project.sources.get(id).text.to_string()).unwrap_or_default();
    journey_events::Mapping::from_yaml_in(
        project.config.events.as_ref(),
        &text,
        project.config_file.unwrap_or_default(),
    )
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
