//! `journey merge`: add the partial reports of a log partitioned by customer
//! (`journey simulate --partial`) into the whole run's report.

use crate::{output, ExitStatus, GlobalOptions};
use journey_engine::{Merge, Report};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Partial reports written by `journey simulate --partial`
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    /// Output format: human (default) or json (the merged report)
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

pub fn run(args: MergeArgs, _global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let mut total = Report::default();
    for p in &args.partials {
        let text = std::fs::read_to_string(p).map_err(|e| miette::miette!("cannot read {}: {e}", p.display()))?;
        let part: Report = serde_json::from_str(&text).map_err(|e| {
            miette::miette!(
                help = "partial reports are written by `journey simulate --partial FILE`",
                "{}: not a partial report: {e}",
                p.display()
            )
        })?;
        total.merge(&part);
    }
    if args.format == "json" {
        print!("{}", total.to_json());
    } else {
        // Guardrails need the journeys: measured when the repository around the
        // current directory checks cleanly, left out otherwise.
        let program = output::load(&[]).ok().and_then(|project| {
            let (checked, diags) = output::check(&project);
            (!output::has_errors(&diags)).then_some(checked.program)
        });
        println!("{} partial report{} merged", args.partials.len(), if args.partials.len() == 1 { "" } else { "s" });
        print!("{}", super::simulate::human(&total, program.as_ref()));
    }
    Ok(ExitStatus::Success)
}
