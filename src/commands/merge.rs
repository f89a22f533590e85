//! `journey merge`: add the partial reports of a log partitioned by customer
//! (`journey simulate --partial`) into the whole run's report, and refit the CLV
//! estimate from the parts' merged rows (exactly the whole run's).

use crate::partial::Partial;
use crate::{output, ExitStatus, GlobalOptions};
use journey_engine::html::{render_html, HtmlMeta};
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
        crate::files::check_writable(p)?;
    }
    let mut parts = Vec::new();
    for p in &args.partials {
        let text = std::fs::read_to_string(p).map_err(|e| {
            miette::miette!(
                help = "pass the files written by `journey simulate --partial FILE`",
                "cannot read {}: {e}",
                p.display()
            )
        })?;
        let part = Partial::from_json(&text).map_err(|e| {
            miette::miette!(
                help = "partial reports are written by `journey simulate --partial FILE`",
                "{}: not a partial report: {e}",
                p.display()
            )
        })?;
        if part.run.is_none() && !global.quiet {
            eprintln!(
                "note: {} does not record the period, seed and quiet-hours mode it was simulated with (written by \
                 an earlier version); it is merged without checking them against the other parts",
                p.display()
            );
        }
        if part.run.as_ref().is_some_and(|r| r.program.is_none()) && !global.quiet {
            eprintln!(
                "note: {} does not record the program it was simulated with (written by an earlier version); it \
                 is merged without checking that the parts ran the same journey files and journey.yaml",
                p.display()
            );
        }
        if part.skipped.is_none() && !global.quiet {
            eprintln!(
                "note: {} does not record the bad rows its run skipped (written by an earlier version); \
                 the merged report leaves the skipped rows out",
                p.display()
            );
        }
        if part.coverage.is_none() && !global.quiet {
            eprintln!(
                "note: {} does not say which customers it covers (written by an earlier version); \
                 it is merged without checking for overlaps",
                p.display()
            );
        }
        parts.push((p.display().to_string(), part));
    }
    // a part given twice, or parts that share customers, would be counted twice;
    // parts simulated over other periods, seeds or quiet-hours modes, or with other
    // programs (their fingerprints differ), do not add up;
    // the CLV estimate is refitted from the parts' rows
    let journey_run::Merged { partial: merged, clv, currency } = journey_run::merge(&parts)?;
    let total = &merged.report;
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
            period: merged.run.as_ref().map(|r| (r.from.clone(), r.to.clone())),
            seed: merged.run.as_ref().map(|r| r.seed),
            quiet_hours: merged.run.as_ref().map(|r| r.quiet_hours.clone()),
            skipped: merged.skipped.clone(),
            clv: Some(crate::clv_estimate::html_rows(&clv)),
        };
        crate::files::write_atomically(p, render_html(total, program.as_ref(), &meta).as_bytes())?;
    }
    if args.format == "json" {
        crate::out!(
            "{}",
            super::simulate::report_json(total, merged.run.as_ref(), program.as_ref(), &clv, merged.skipped.as_ref())
        )?;
    } else {
        crate::outln!(
            "{} partial report{} merged: {}",
            args.partials.len(),
            if args.partials.len() == 1 { "" } else { "s" },
            match &merged.run {
                Some(run) => run.describe(),
                None => "period, seed and quiet hours not recorded (partial reports of an earlier version)".into(),
            }
        )?;
        crate::out!("{}", super::simulate::human(total, program.as_ref()))?;
        crate::out!("{}", crate::clv_estimate::text(&clv, &currency))?;
        crate::out!("{}", crate::clv_estimate::amounts_text(total, program.as_ref()))?;
        match &merged.skipped {
            Some(skipped) => crate::out!("{}", super::simulate::skipped_text(skipped))?,
            None => crate::outln!("skipped bad rows: not recorded (partial reports of an earlier version)")?,
        }
    }
    Ok(ExitStatus::Success)
}

fn program() -> Option<Program> {
    let project = output::load(&[]).ok()?;
    let (checked, diags) = output::check(&project);
    (!output::has_errors(&diags) && !checked.program.journeys.is_empty()).then_some(checked.program)
}
