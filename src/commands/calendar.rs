//! `journey calendar`: every send of every journey, week by week after entry, with
//! the cross-journey conflicts it is part of (see docs/calendar.md).

use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CalendarArgs {
    /// Files or directories (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// table, json, csv, ical (scheduled journeys only) or html
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "ical", "html"])]
    pub format: String,
    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show the first N weeks after entry (default: up to the last send)
    #[arg(long, value_name = "N")]
    pub weeks: Option<u64>,
}

pub fn run(args: CalendarArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let project = output::load(&args.paths)?;
    let (checked, diags) = output::check(&project);
    if output::has_errors(&diags) {
        output::report(&diags, &project, Format::Full, global);
        return Ok(ExitStatus::Failure);
    }
    let mut view = journey_calendar::build(&checked.program);
    if let Some(n) = args.weeks {
        view.limit_weeks(n);
    }
    let text = match args.format.as_str() {
        "json" => journey_calendar::json(&view),
        "csv" => journey_calendar::csv(&view),
        "ical" => journey_calendar::ical(&view),
        "html" => journey_calendar::html(&view),
        _ => journey_calendar::table(&view, output::width()),
    };
    match &args.output {
        Some(path) => crate::commands::fmt::write_atomically(path, text.as_bytes())
            .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitStatus::Success)
}
