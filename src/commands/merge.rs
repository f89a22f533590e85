//! `journey merge`: add the partial reports of a log partitioned by customer
//! (`journey simulate --partial`) into the whole run's report, and refit the CLV
//! estimate from the parts' merged rows (exactly the whole run's).

use crate::clv_estimate::PartialClv;
use crate::{output, ExitStatus, GlobalOptions};
use journey_engine::html::{render_html, HtmlMeta};
use journey_engine::{Merge, Report};
use journey_ir::Program;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Partial reports written by `journey simulate --partial`
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    /// Output format: human (default) or json (the merged report)
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Write the merged report as a self-contained HTML page: charts, funnels, tables
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn run(args: MergeArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    if let Some(p) = &args.html {
        super::simulate::check_writable(p)?;
    }
    let mut total = Report::default();
    // the CLV input of every part, or why the estimate cannot be made
    let mut clv: Option<Result<PartialClv, String>> = None;
    for p in &args.partials {
        let text = std::fs::read_to_string(p).map_err(|e| {
            miette::miette!(
                help = "pass the files written by `journey simulate --partial FILE`",
                "cannot read {}: {e}",
                p.display()
            )
        })?;
        let part: Report = serde_json::from_str(&text).map_err(|e| {
            miette::miette!(
                help = "partial reports are written by `journey simulate --partial FILE`",
                "{}: not a partial report: {e}",
                p.display()
            )
        })?;
        total.merge(&part);
        #[derive(serde::Deserialize)]
        struct ClvPart {
            #[serde(default)]
            clv_input: Option<PartialClv>,
        }
        let part = serde_json::from_str::<ClvPart>(&text).ok().and_then(|c| c.clv_input).ok_or_else(|| {
            format!("{} carries no CLV input (written by an older `journey simulate --partial`)", p.display())
        });
        clv = Some(match (clv, part) {
            (None, part) => part,
            (Some(Ok(mut all)), Ok(part)) => all.merge(&part).map(|()| all),
            (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Err(e),
        });
    }
    let currency = clv.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.currency.clone()).unwrap_or_default();
    let clv = match clv {
        Some(Ok(input)) => input.estimate(&total),
        Some(Err(e)) => Err(e),
        None => Err("no partial reports".into()),
    };
    // Guardrails, stage order and goal windows need the journeys: taken from the
    // repository around the current directory when it checks cleanly, left out
    // otherwise.
    let program = program();
    if let Some(p) = &args.html {
        if program.is_none() && !global.quiet {
            eprintln!(
                "note: no journeys here that check cleanly; the page orders stages by name and leaves out guardrails\n\
                 help: run `journey merge` inside the repository that was simulated"
            );
        }
        let meta = HtmlMeta {
            command: "journey merge".into(),
            sources: args.partials.iter().map(|p| p.display().to_string()).collect(),
            clv: Some(crate::clv_estimate::html_rows(&clv)),
            ..HtmlMeta::default()
        };
        std::fs::write(p, render_html(&total, program.as_ref(), &meta))
            .map_err(|e| super::simulate::write_err(p, e))?;
    }
    if args.format == "json" {
        print!("{}", super::simulate::report_json(&total, program.as_ref(), &clv));
    } else {
        println!("{} partial report{} merged", args.partials.len(), if args.partials.len() == 1 { "" } else { "s" });
        print!("{}", super::simulate::human(&total, program.as_ref()));
        print!("{}", crate::clv_estimate::text(&clv, &currency));
    }
    Ok(ExitStatus::Success)
}

fn program() -> Option<Program> {
    let project = output::load(&[]).ok()?;
    let (checked, diags) = output::check(&project);
    (!output::has_errors(&diags) && !checked.program.journeys.is_empty()).then_some(checked.program)
}
