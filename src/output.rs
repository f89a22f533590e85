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
/// the project's severity overrides applied. One definition for the CLI and the Python
/// module (`journey_run::project::check`), so both refuse the same programs.
pub fn check(project: &Project) -> (journey_check::Checked, Vec<Diagnostic>) {
    journey_run::project::check(project)
}

/// [`check`] with the cross-journey pass given by the caller (`journey calendar`
/// keeps the calendar it computes along with the diagnostics).
pub fn check_with(project: &Project, cross: journey_check::CrossPass<'_>) -> (journey_check::Checked, Vec<Diagnostic>) {
    journey_run::project::check_with(project, cross)
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
    if (format == Format::Full || format == Format::Concise) && !global.quiet {
        let summary = render::summary(diags);
        let files = project.files.len();
        eprintln!("{summary} in {files} file{}", if files == 1 { "" } else { "s" });
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
    journey_run::project::event_mapping(project)
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
