//! `journey calendar`: every send of every journey, week by week after entry, with
//! the cross-journey conflicts it is part of, and, with `--trace`, what a simulation
//! trace shows the journeys did (see docs/calendar.md).

use crate::{output, ExitStatus, GlobalOptions};
use journey_check::analysis::calendar::{self, Calendar};
use journey_diagnostics::render::Format;
use journey_diagnostics::Diagnostic;
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
    /// Add what a simulation trace (`journey simulate --trace FILE`, CSV or Parquet)
    /// shows: sends per day, step and channel, and the collisions customers actually
    /// got. Columns are found by name: time, customer, journey, node, kind, channel and
    /// template are required; reason (the trace's last column) and others are not read
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Customer-attribute snapshot, for each customer's own time zone in the same-day
    /// rule (default: `events.attributes` of journey.yaml)
    #[arg(long, value_name = "FILE", requires = "trace")]
    pub attributes: Option<PathBuf>,
    /// First date of the HTML page's date view, YYYY-MM-DD (default: the trace's
    /// first day, else the week of Monday 2026-01-05, the iCal export's first)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<chrono::NaiveDate>,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("expected a date as YYYY-MM-DD, found `{s}`"))
}

pub fn run(args: CalendarArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let project = output::load(&args.paths)?;
    // the cross-journey analysis runs once: inside the check, which keeps its
    // diagnostics, and for the view, from the same tables
    let mut analysed: Option<(Vec<String>, Calendar, Vec<Diagnostic>)> = None;
    let (checked, diags) = output::check_with(&project, &mut |p, facts| {
        let (diags, cal, cal_diags) = calendar::check_and_calendar_with(p, facts);
        analysed = Some((p.journeys.iter().map(|j| j.name.clone()).collect(), cal, cal_diags));
        diags
    });
    // a program with errors has no calendar: its diagnostics instead, as JSON in the
    // JSON mode (check's schema) so a script reading standard output can parse them
    let diag_format = if args.format == "json" && args.output.is_none() { Format::Json } else { Format::Full };
    if output::has_errors(&diags) {
        output::report(&diags, &project, diag_format, global)?;
        return Ok(ExitStatus::Failure);
    }
    let program = &checked.program;
    // severities as journey.yaml sets them (rules, may_overlap, ignore), as `check`
    // reports them: the same finding is not info there and a warning here
    let relative: Vec<String> = project.sources.files().map(|(id, _)| project.root_relative(id)).collect();
    let severity = |d: &Diagnostic| {
        let kept = project.config.apply(vec![d.clone()], |id| relative[id.0 as usize].clone());
        kept.into_iter().next().map(|d| d.severity)
    };
    // The check analysed the journeys that lowered cleanly; when the project's rules
    // let a program with lowering errors through, the view needs all of them.
    let mut view = match analysed {
        Some((names, cal, cal_diags))
            if names.len() == program.journeys.len()
                && names.iter().zip(&program.journeys).all(|(n, j)| *n == j.name) =>
        {
            journey_calendar::build_from(program, cal, &cal_diags, severity)
        }
        _ => journey_calendar::build_with(program, severity),
    };
    if let Some(n) = args.weeks {
        view.limit_weeks(n);
    }
    if let Some(trace) = &args.trace {
        // the attribute snapshot: given, or the one journey.yaml names
        let attributes = match &args.attributes {
            Some(p) => Some(p.clone()),
            None => match output::event_mapping(&project) {
                Ok(m) => m.attributes.map(|p| output::project_path(&project, &p)),
                Err(d) => {
                    output::report(&d, &project, diag_format, global)?;
                    return Ok(ExitStatus::Failure);
                }
            },
        };
        let attrs = match &attributes {
            Some(p) => Some(journey_events::read_attributes(p, program).map_err(miette::Report::new)?),
            None => None,
        };
        let zone = |key: &str| attrs.as_ref().and_then(|a| a.timezone(key));
        let zone_of: Option<journey_calendar::CustomerZone> = if attrs.is_some() { Some(&zone) } else { None };
        if super::trace_parquet::is_parquet(trace) {
            // the CSV reader checks every row; a Parquet trace goes through it as CSV
            let csv = super::trace_parquet::to_csv(trace)?;
            let file = csv.reopen().map_err(|e| miette::miette!("cannot read back {}: {e}", csv.path().display()))?;
            let reader = journey_calendar::TraceReader::new(
                &trace.display().to_string(),
                std::io::BufReader::with_capacity(1 << 16, file),
            )
            .map_err(miette::Report::new)?;
            journey_calendar::observe(&mut view, program, reader, zone_of).map_err(miette::Report::new)?;
        } else {
            let reader = journey_calendar::TraceReader::open(trace).map_err(miette::Report::new)?;
            journey_calendar::observe(&mut view, program, reader, zone_of).map_err(miette::Report::new)?;
        }
    }
    let text = match args.format.as_str() {
        "json" => crate::json_format::pretty(crate::json_format::CALENDAR, &view),
        "csv" => journey_calendar::csv(&view),
        "ical" => journey_calendar::ical(&view),
        "html" => journey_calendar::html_from(&view, args.from),
        _ => journey_calendar::table(&view, output::width()),
    };
    match &args.output {
        Some(path) => crate::files::write_atomically(path, text.as_bytes())?,
        None => crate::out!("{text}")?,
    }
    // The command ends here, and so does the process: freeing the view, the program
    // and the text one allocation at a time (millions on 5,000 journeys) would only
    // delay the exit, by a twentieth of the command.
    std::mem::forget((view, checked, text));
    Ok(ExitStatus::Success)
}
