use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// Files or directories (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// Write the IR here instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Print the JSON Schema of the IR instead
    #[arg(long)]
    pub schema: bool,
}

pub fn run(args: CompileArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let json = if args.schema {
        journey_ir::json_schema()
    } else {
        let project = output::load(&args.paths)?;
        let (checked, diags) = output::check(&project);
        if output::has_errors(&diags) {
            output::report(&diags, &project, Format::Full, global)?;
            return Ok(ExitStatus::Failure);
        }
        if !diags.is_empty() && !global.quiet {
            // warnings go to stderr so the JSON on stdout stays clean
            let text = journey_diagnostics::render::render(
                &diags,
                &project.sources,
                Format::Concise,
                &output::render_options(global),
            );
            eprint!("{text}");
        }
        journey_ir::to_json(&checked.program)
    };
    match args.output {
        Some(path) => crate::files::write_atomically(&path, json.as_bytes())?,
        None => crate::out!("{json}")?,
    }
    Ok(ExitStatus::Success)
}
