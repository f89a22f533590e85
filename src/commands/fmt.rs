use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::{self, Format};
use journey_diagnostics::SourceMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Files or directories to format (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// Change nothing; exit with 1 if any file is not formatted
    #[arg(long)]
    pub check: bool,
    /// Change nothing; print a unified diff of what formatting would change
    #[arg(long)]
    pub diff: bool,
}

pub fn run(args: FmtArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let project = output::load(&args.paths)?;
    let opts = journey_fmt::FormatOptions::default();
    let mut broken = Vec::new();
    let mut changed = Vec::new();
    let mut failed = false;
    // YAML journeys read, not formatted: counted apart, not as "already formatted"
    let mut yaml = 0;
    for f in &project.files {
        let source = project.sources.get(f.id);
        // YAML journeys keep the layout their authors chose, but one that does not
        // parse is as broken as a `.journey` file that does not
        if journey_syntax::is_yaml_journey(&f.display) {
            let parsed = journey_syntax::yaml::parse(&source.text, f.id);
            let before = broken.len();
            broken
                .extend(parsed.diagnostics.into_iter().filter(|d| d.severity == journey_diagnostics::Severity::Error));
            yaml += usize::from(broken.len() == before);
            continue;
        }
        match journey_fmt::format_source(&source.text, f.id, &opts) {
            Ok(formatted) if formatted.as_str() == &*source.text => {}
            Ok(formatted) => {
                if args.diff {
                    print_diff(&f.display, &source.text, &formatted)?;
                }
                if !args.check && !args.diff {
                    crate::files::write_atomically(&f.path, formatted.as_bytes())?;
                }
                changed.push(f.display.clone());
            }
            Err(journey_fmt::FormatError::Parse(diags)) => broken.extend(diags),
            Err(journey_fmt::FormatError::Internal(why)) => {
                eprintln!("error: {}: the formatter would change the meaning or drop a comment ({why}); the file was left as it is", f.display);
                failed = true;
            }
        }
    }
    if !broken.is_empty() {
        let text = render::render(&broken, &project.sources, Format::Full, &output::render_options(global));
        eprint!("{text}");
        eprintln!("files with syntax errors are not formatted");
    }
    if !global.quiet {
        let verb = if args.check || args.diff { "would be reformatted" } else { "reformatted" };
        for c in &changed {
            if args.check {
                eprintln!("{c} {verb}");
            }
        }
        let n = changed.len();
        let total = project.files.len();
        let kept = if yaml == 0 {
            String::new()
        } else {
            format!(
                ", {yaml} YAML journey{} kept as written (fmt lays out .journey files)",
                if yaml == 1 { "" } else { "s" }
            )
        };
        eprintln!(
            "{n} file{} {verb}, {} already formatted{kept}",
            if n == 1 { "" } else { "s" },
            total - n - yaml - broken_files(&broken, &project.sources)
        );
    }
    let problems = !broken.is_empty() || failed || ((args.check || args.diff) && !changed.is_empty());
    Ok(if problems { ExitStatus::Failure } else { ExitStatus::Success })
}

fn broken_files(diags: &[journey_diagnostics::Diagnostic], _sources: &SourceMap) -> usize {
    let mut files: Vec<_> = diags.iter().filter_map(|d| d.primary_label().map(|l| l.file)).collect();
    files.sort();
    files.dedup();
    files.len()
}

fn print_diff(name: &str, old: &str, new: &str) -> Result<(), crate::files::WriteError> {
    let diff = similar::TextDiff::from_lines(old, new);
    crate::out!("{}", diff.unified_diff().context_radius(3).header(name, name))
}
