//! Shared plumbing of the subcommands: loading and checking a repository, rendering
//! diagnostics.

use crate::GlobalOptions;
use journey_diagnostics::render::{self, Format, RenderOptions};
use journey_diagnostics::{Diagnostic, Severity};
use journey_project::Project;
use std::path::{Component, Path, PathBuf};

/// Terminal width for wrapping; COLUMNS wins so tests and CI logs are stable.
pub fn width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w: &usize| *w >= 40).unwrap_or(100)
}

pub fn load(paths: &[PathBuf]) -> miette::Result<Project> {
    let cwd = std::env::current_dir().map_err(|e| miette::miette!("cannot read the current directory: {e}"))?;
    let project = journey_project::load(paths, &cwd)?;
    if project.files.is_empty() {
        // "no problems found in 0 files" would pass a CI job that checks nothing
        return Err(NoJourneyFiles { found: found(paths, &project.root) }.into());
    }
    Ok(project)
}

/// No journey file among the paths given (or in the repository).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("no journey files found: {found}")]
#[diagnostic(
    code(journey::no_files),
    help("journey files end in `.journey` or `.journey.yaml`; pass them, or a folder that holds them")
)]
pub struct NoJourneyFiles {
    found: String,
}

/// What each path is, in words, for [`NoJourneyFiles`].
fn found(paths: &[PathBuf], root: &Path) -> String {
    let describe = |p: &Path| {
        let what = match std::fs::metadata(p) {
            Err(_) => "does not exist",
            Ok(m) if m.is_dir() => "is a folder without journey files",
            Ok(m) if m.is_file() => "is not a journey file",
            Ok(_) => "is not a regular file (a device or a pipe)",
        };
        format!("{} {what}", p.display())
    };
    if paths.is_empty() {
        describe(root)
    } else {
        paths.iter().map(|p| describe(p)).collect::<Vec<_>>().join("; ")
    }
}

/// Check a loaded project: config problems plus everything the checker finds, with
/// the project's severity overrides applied.
pub fn check(project: &Project) -> (journey_check::Checked, Vec<Diagnostic>) {
    let settings = journey_check::Settings {
        timezone: project.config.timezone.clone(),
        currency: project.config.currency.clone(),
        optional_attributes: project.config.optional_attributes(),
    };
    let ids: Vec<_> = project.files.iter().map(|f| f.id).collect();
    let mut checked = journey_check::check_sources(&project.sources, &ids, &settings);
    let mut diags = project.diagnostics.clone();
    if project.config.one_program_per_file && ids.len() > 1 {
        // stand-alone files (examples/): what each says alone, not every file's
        // `event purchase` reported as a duplicate of every other's
        for &id in &ids {
            diags.append(&mut journey_check::check_sources(&project.sources, &[id], &settings).diagnostics);
        }
        checked.diagnostics.clear();
    }
    diags.append(&mut checked.diagnostics);
    diags.extend(unknown_optional_attributes(project, &checked.program));
    // each file's root-relative path once, not once per diagnostic
    let relative: Vec<String> = project.sources.files().map(|(id, _)| project.root_relative(id)).collect();
    let diags = project.config.apply(diags, |id| relative[id.0 as usize].clone());
    (checked, diags)
}

/// J501 for a name in `events.optional_attributes` that is no declared attribute: a
/// typo there would silently switch J206 off for the attribute meant.
fn unknown_optional_attributes(project: &Project, program: &journey_ir::Program) -> Vec<Diagnostic> {
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

pub fn render_options(global: &GlobalOptions) -> RenderOptions {
    RenderOptions { color: global.color, width: width(), ..RenderOptions::default() }
}

/// Print diagnostics in a format, plus the summary line for people.
pub fn report(
    diags: &[Diagnostic],
    project: &Project,
    format: Format,
    global: &GlobalOptions,
) -> Result<(), crate::files::WriteError> {
    let mut opts = render_options(global);
    if format == Format::Sarif || format == Format::Github {
        // code scanning and the Actions runner find files by their path from the
        // repository's top, not from where the tool ran
        opts.artifact_paths = project.sources.files().map(|(id, _)| project.repo_relative(id)).collect();
    }
    let text = render::render(diags, &project.sources, format, &opts);
    crate::out!("{text}")?;
    if format == Format::Full || format == Format::Concise {
        if !global.quiet {
            let summary = render::summary(diags);
            let files = project.files.len();
            eprintln!("{summary} in {files} file{}", if files == 1 { "" } else { "s" });
        }
    }
    Ok(())
}

/// A file that journey.yaml names (relative to the project root), as the user would
/// name it from the working directory. Messages then say `data/events.csv:3:4`, not
/// an absolute path, and nothing printed depends on where the repository is checked
/// out. A path outside the working directory's tree (nothing in common but `/`)
/// stays absolute.
pub fn project_path(project: &Project, path: &Path) -> PathBuf {
    let full = project.root.join(path);
    let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) else { return full };
    // canonical when it exists (symbolic links, `..`), else folded by hand
    let target = std::fs::canonicalize(&full).unwrap_or_else(|_| normalise(&full));
    relative_to(&target, &cwd).unwrap_or(full)
}

/// `path` without `.` and with each `..` folded into its parent, without touching the
/// file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `target` as seen from `base` (both absolute and normalised): `../` for each of
/// `base`'s own components, then the rest of `target`. `None` when they share only the
/// file system root.
fn relative_to(target: &Path, base: &Path) -> Option<PathBuf> {
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if t.iter().take(common).all(|c| matches!(c, Component::RootDir | Component::Prefix(_))) {
        return None;
    }
    let mut out: PathBuf = b[common..].iter().map(|_| Component::ParentDir).collect();
    out.extend(&t[common..]);
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::{normalise, relative_to};
    use std::path::{Path, PathBuf};

    #[test]
    fn paths_are_shown_from_the_working_directory() {
        let rel = |t: &str, b: &str| relative_to(Path::new(t), Path::new(b));
        assert_eq!(rel("/r/data/e.csv", "/r"), Some(PathBuf::from("data/e.csv")));
        assert_eq!(rel("/r/tests/data/x.txt", "/r/examples/cdnow"), Some(PathBuf::from("../../tests/data/x.txt")));
        assert_eq!(rel("/r", "/r"), Some(PathBuf::from(".")));
        // nothing in common but the root: absolute is clearer than ../../../..
        assert_eq!(rel("/tmp/e.csv", "/work/main"), None);
        assert_eq!(normalise(Path::new("/r/examples/cdnow/../../tests/./x")), PathBuf::from("/r/tests/x"));
        assert_eq!(normalise(Path::new("../x")), PathBuf::from("../x"));
    }
}
