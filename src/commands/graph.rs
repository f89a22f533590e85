use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    /// The journey to draw
    pub journey: String,
    /// Files or directories (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// mermaid or dot
    #[arg(long, default_value = "mermaid", value_parser = ["mermaid", "dot"])]
    pub format: String,
}

pub fn run(args: GraphArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let project = output::load(&args.paths)?;
    let (checked, diags) = output::check(&project);
    if output::has_errors(&diags) {
        output::report(&diags, &project, Format::Full, global)?;
        return Ok(ExitStatus::Failure);
    }
    let Some(journey) = checked.program.journey(&args.journey) else {
        let names: Vec<&str> = checked.program.journeys.iter().map(|j| j.name.as_str()).collect();
        return Err(miette::miette!(
            help = unknown_journey_help(&args.journey, &names),
            "no journey named `{}`",
            args.journey
        ));
    };
    let text = match args.format.as_str() {
        "dot" => journey_ir::draw::dot(journey),
        _ => journey_ir::draw::mermaid(journey),
    };
    crate::out!("{text}")?;
    Ok(ExitStatus::Success)
}

/// The help of `journey graph NAME` for a name no journey has: the journey meant (the
/// same name in another case, else a close spelling), else the names there are.
fn unknown_journey_help(name: &str, names: &[&str]) -> String {
    let lower = name.to_lowercase();
    let meant = names
        .iter()
        .copied()
        .find(|n| n.to_lowercase() == lower)
        .or_else(|| journey_diagnostics::suggest::closest(name, names.iter().copied()));
    match meant {
        Some(n) => format!("did you mean `{n}`?"),
        None if names.is_empty() => "this repository has no journeys".to_string(),
        None => format!("journeys in this repository: {}", names.join(", ")),
    }
}
