//! A project as `journey check` sees it: the checked program with the diagnostics of
//! its files and journey.yaml, and the event mapping. The CLI renders the diagnostics
//! itself; [`load_for_replay`] (journey_py) renders them into its error.

use journey_diagnostics::render::{self, Format, RenderOptions};
use journey_diagnostics::{Diagnostic, Severity};
use journey_events::Mapping;
use journey_ir::Program;
use journey_project::Project;
use std::path::{Path, PathBuf};

/// Check the project's journey files (each on its own too with
/// `one_program_per_file`): config problems plus everything the checker finds, with
/// journey.yaml's severity overrides applied.
pub fn check(project: &Project) -> (journey_check::Checked, Vec<Diagnostic>) {
    check_with(project, &mut journey_check::analysis::calendar::check_with)
}

/// [`check`] with the cross-journey pass of the whole program given by the caller
/// (see [`journey_check::CrossPass`]); stand-alone files (`one_program_per_file`) are
/// each checked with the ordinary pass.
pub fn check_with(project: &Project, cross: journey_check::CrossPass<'_>) -> (journey_check::Checked, Vec<Diagnostic>) {
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        optional_attributes: project.config.optional_attributes(),
        // issue 15: the program's caps per category, for J401 and J603 (not for
        // stand-alone files, which get no `program:` rules)
        category_caps: if project.config.one_program_per_file {
            Vec::new()
        } else {
            crate::program_rules::category_caps(project)
        },
    };
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let mut checked = journey_check::check_sources_with(&project.sources, &ids, &settings, cross);
    let mut diags = project.diagnostics.clone();
    if project.config.one_program_per_file && ids.len() > 1 {
        // stand-alone files (examples/): what each says alone, not every file's
        // `event purchase` reported as a duplicate of every other's
        for &id in &ids {
            let mut alone = journey_check::check_sources(&project.sources, &[id], &settings);
            diags.append(&mut alone.diagnostics);
            diags.extend(crate::accounts::unmapped(&project.config, &alone.account_reads));
        }
        checked.diagnostics.clear();
    } else {
        diags.extend(crate::accounts::unmapped(&project.config, &checked.account_reads));
    }
    // issue 15, accounts: journey.yaml's account mapping goes into the IR
    diags.extend(crate::accounts::lower(project, &mut checked.program));
    diags.append(&mut checked.diagnostics);
    diags.extend(unknown_optional_attributes(project, &checked.program));
    // issue 15: the working-day calendar goes into the IR for the engine
    if let Some(bd) = &project.config.business_days {
        checked.program.business_days = bd.clone();
        diags.extend(unknown_country_attribute(project, &checked.program));
    }
    // issue 15: the program-wide rules of journey.yaml, checked against the program
    // and carried in its IR for the engine and the calendar
    if !project.config.one_program_per_file {
        let (rules, mut problems) = crate::program_rules::lower(project, &checked.program);
        checked.program.rules = rules;
        diags.append(&mut problems);
    }
    // each file's root-relative path once, not once per diagnostic
    let relative: Vec<String> = project.sources.files().map(|(id, _)| project.root_relative(id)).collect();
    let diags = project.config.apply(diags, |id| relative[id.0 as usize].clone());
    (checked, diags)
}

/// issue 15: J501 when `business_days.country_attribute` is no declared text
/// attribute: every customer would silently get the project's calendar.
fn unknown_country_attribute(project: &Project, program: &Program) -> Vec<Diagnostic> {
    let (Some(file), Some(name)) = (project.config_file, &program.business_days.country_attribute) else {
        return Vec::new();
    };
    if project.config.one_program_per_file {
        return Vec::new();
    }
    let text = &project.sources.get(file).text;
    let at = text.find("country_attribute").map_or(0, |i| i + text[i..].find(name.as_str()).unwrap_or(0));
    let span = journey_diagnostics::Span::new(at, at + name.len());
    match program.attribute(name) {
        Some(a) if matches!(a.ty, journey_ir::Type::Text | journey_ir::Type::OneOf { .. }) => Vec::new(),
        Some(_) => vec![Diagnostic::new("J501", format!("`{name}` is not a text attribute"))
            .primary(file, span, "a country code is text")
            .help("name a text attribute holding codes like US, GB, DE or FR")],
        None => vec![Diagnostic::new("J501", format!("no attribute `{name}`"))
            .primary(file, span, "not declared")
            .help("declare it (`attribute country: text`) or remove `country_attribute`")],
    }
}

/// J501 for a name in `events.optional_attributes` that is no declared attribute: a
/// typo there would silently switch J314 off for the attribute meant.
fn unknown_optional_attributes(project: &Project, program: &Program) -> Vec<Diagnostic> {
    let Some(file) = project.config_file else { return Vec::new() };
    if project.config.one_program_per_file {
        // stand-alone programs (examples/): a project-wide list cannot be held against
        // the attributes of the one file being checked
        return Vec::new();
    }
    let text = &project.sources.get(file).text;
    let declared: Vec<&str> = program.attributes.iter().map(|a| a.name.as_str()).collect();
    let mut out = Vec::new();
    for name in project.config.optional_attributes() {
        if declared.contains(&name.as_str()) {
            continue;
        }
        let span = journey_project::Config::optional_attribute_span(text, &name);
        let close = declared
            .iter()
            .map(|d| (strsim::normalized_damerau_levenshtein(&name, d), *d))
            .filter(|(score, _)| *score > 0.6)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let help = match close {
            Some((_, d)) => format!("did you mean `{d}`?"),
            None => "list attributes declared with `attribute NAME: TYPE` in the journeys".to_string(),
        };
        out.push(
            Diagnostic::new("J501", format!("events.optional_attributes: `{name}` is not an attribute of the program"))
                .primary(file, span, "no attribute of this name")
                .help(help),
        );
    }
    out
}

/// `events:` of journey.yaml (the defaults when there is none), or its problems.
pub fn event_mapping(project: &Project) -> Result<Mapping, Vec<Diagnostic>> {
    let text = project.config_file.map(|id| project.sources.get(id).text.to_string()).unwrap_or_default();
    Mapping::from_yaml_in(project.config.events.as_ref(), &text, project.config_file.unwrap_or_default())
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// What a replay needs of a project.
pub struct Loaded {
    pub program: Program,
    pub mapping: Mapping,
    pub clv: crate::clv_estimate::ClvSettings,
    /// The project's root folder.
    pub root: PathBuf,
}

/// Load and check the project of `path` (a folder or journey files; journey.yaml is
/// found as `check` finds it) for a replay. `Err`: the rendered diagnostics (plain
/// text, as `journey check` prints them) or why there is nothing to replay.
pub fn load_for_replay(path: &Path) -> Result<Loaded, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let project = journey_project::load(&[path.to_path_buf()], &cwd).map_err(|e| format!("{e}"))?;
    if project.files.is_empty() {
        return Err(format!(
            "no journey files found in {}\nhelp: journey files end in `.journey` or `.journey.yaml`",
            path.display()
        ));
    }
    let rendered = |diags: &[Diagnostic]| {
        let text = render::render(diags, &project.sources, Format::Full, &RenderOptions::default());
        format!("{text}{}", render::summary(diags))
    };
    let (checked, diags) = check(&project);
    if has_errors(&diags) {
        return Err(rendered(&diags));
    }
    let mapping = event_mapping(&project).map_err(|d| rendered(&d))?;
    if checked.program.journeys.is_empty() {
        return Err(format!("no journeys to simulate: the journey files of {} declare none", path.display()));
    }
    let clv = crate::clv_estimate::ClvSettings::from_config(project.config.clv.as_ref());
    Ok(Loaded { program: checked.program, mapping, clv, root: project.root.clone() })
}
