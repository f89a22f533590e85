//! `journey simulate`: replay an event log through the engine (docs/engine.md) and
//! report what the journeys would have done.
//!
//! The log is streamed through the engine's `Driver`: one state per customer, so memory
//! grows with customers, never with the log. The log only needs each customer's events
//! in time order (the reader checks it). `--partial` writes the mergeable report of a
//! log partitioned by customer; `journey merge` adds the parts into exactly the whole
//! run's report.
//!
//! Besides the summary (or the JSON report) on stdout it writes, when asked: the trace
//! of every action (CSV or Parquet, by extension), the report as an HTML page, and the
//! partial report. Long runs draw a progress bar on stderr when it is a terminal.

use crate::files::AtomicFile;
use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use journey_engine::html::{render_html, HtmlMeta};
use journey_engine::{Action, QuietMode, Report};
use journey_events::progress::{ProgressUnit, ReadProgress};
use journey_events::{
    Interner, LogReader, Mapping, PipedReader, ReadOptions, Schema, SkipCounts, SkipKind, PIPE_BATCH,
};
use journey_ir::Program;
use journey_run::profiles::{Snapshot, World};
use journey_run::replay::Stage;
use journey_run::trace::{trace_row, TraceColumns, TRACE_COLUMNS};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Journey files or directories (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// The event log (default: `events.path` of journey.yaml); `-` reads standard
    /// input. Gzip and zstd logs are read directly. A stream (`-`, a pipe) is read once:
    /// without --from and --to its events are held in memory to find the period.
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Customer-attribute snapshot (CSV; default: `events.attributes` of journey.yaml)
    #[arg(long)]
    pub attributes: Option<PathBuf>,
    /// First simulated day, YYYY-MM-DD, program time zone (default: the log's first event)
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last simulated day, YYYY-MM-DD, inclusive (default: the log's last event)
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// What a send inside quiet hours or on a quiet day does
    #[arg(long, default_value = "defer", value_parser = ["defer", "drop"])]
    pub quiet_hours: String,
    /// Salt of the holdout and split hashes
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Skip bad rows and count them per kind instead of stopping at the first one
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Sort the log by time in memory instead of requiring per-customer time order
    /// (memory grows with the log; see docs/events.md, "Order")
    #[arg(long)]
    pub sort: bool,
    /// Output format: human (default) or json (the report)
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Write every action (time, customer, journey, node, kind, channel, template, reason) as
    /// Parquet when FILE ends in .parquet or .pq, else as CSV
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write the report as a self-contained HTML page: charts, funnels, tables
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the mergeable partial report (JSON) here, for `journey merge`
    #[arg(long, value_name = "FILE", requires_all = ["from", "to"])]
    pub partial: Option<PathBuf>,
    /// Threads that read the log ahead of the engine: 1 (default) overlaps parsing with
    /// simulating on a second core; 0 reads on the engine's thread
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub reader_threads: u8,
    /// Threads that run the engine, each for its share of the customers (default: one
    /// per core); the output is the same for any number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: Option<u16>,
    /// Print on stderr how much memory the customers' states held at their largest
    /// (bytes per customer, by part) and the process's peak; the outputs are unchanged
    #[arg(long)]
    pub state_memory: bool,
}

/// Engine threads when none are asked for: one per core, the reader's thread included.
/// The reader needs about a quarter of the engine's CPU, so a core kept for it idles
/// most of the time: on two cores one engine thread beside the reader replayed the
/// bench's 2M-event log in 1.45 s, two in 1.18-1.24 s (10M events: 8.8-9.6 s against
/// 7.45 s), the output the same. More threads than that is slower: the engine mostly
/// waits on memory, and threads that share a core share its cache.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 64)
}

fn date_arg(name: &str, s: &str) -> miette::Result<i64> {
    journey_engine::time::parse_date(s.trim()).ok_or_else(|| {
        miette::miette!(help = "write the date as YYYY-MM-DD, e.g. 2025-01-31", "--{name}: `{s}` is not a date")
    })
}

/// Everything a run needs besides the options: the checked program, the log, the mapping.
pub(crate) struct Setup {
    pub program: Program,
    pub mapping: Mapping,
    /// `events.path` and `events.attributes` of journey.yaml, as seen from the working
    /// directory
    pub log: Option<PathBuf>,
    pub attributes: Option<PathBuf>,
    /// issue 15: `events.account.file` of journey.yaml, as seen from the working directory
    pub accounts: Option<PathBuf>,
    pub clv: crate::clv_estimate::ClvSettings,
}

/// `diag_format`: how problems of the program or its journey.yaml are shown (JSON in
/// the JSON mode, so standard output stays parseable).
fn setup(paths: &[PathBuf], global: &GlobalOptions, diag_format: Format) -> miette::Result<Result<Setup, ExitStatus>> {
    let project = output::load(paths)?;
    let (checked, diags) = output::check(&project);
    if output::has_errors(&diags) {
        output::report(&diags, &project, diag_format, global)?;
        return Ok(Err(ExitStatus::Failure));
    }
    let mapping = match output::event_mapping(&project) {
        Ok(m) => m,
        Err(d) => {
            output::report(&d, &project, diag_format, global)?;
            return Ok(Err(ExitStatus::Failure));
        }
    };
    // A program without journeys checks clean (declarations alone are valid), but a
    // replay of it reports nothing, or fails on the log's first row as "unknown event"
    // when the files declare no events either: say what is missing instead.
    if checked.program.journeys.is_empty() {
        let n = project.files.len();
        return Err(miette::miette!(
            help = "add a `journey` block (docs/language.md), or give the folder or files that hold the journeys",
            "no journeys to simulate: the {n} journey {} read declare{} none",
            if n == 1 { "file" } else { "files" },
            if n == 1 { "s" } else { "" }
        ));
    }
    let clv = crate::clv_estimate::ClvSettings::from_config(project.config.clv.as_ref());
    let log = mapping.path.as_ref().map(|p| output::project_path(&project, p));
    let attributes = mapping.attributes.as_ref().map(|p| output::project_path(&project, p));
    let accounts = checked.program.accounts.file.as_ref().map(|p| output::project_path(&project, Path::new(p)));
    Ok(Ok(Setup { program: checked.program, mapping, log, attributes, accounts, clv }))
}

pub fn run(args: SimulateArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let Setup { program, mapping, log, attributes, accounts, clv } =
        match setup(&args.paths, global, if args.format == "json" { Format::Json } else { Format::Full })? {
            Ok(s) => s,
            Err(status) => return Ok(status),
        };
    let file = match (&args.events, log) {
        (Some(f), _) => f.clone(),
        (None, Some(p)) => p,
        (None, None) => {
            return Err(miette::miette!(
                help = "pass `--events events.csv` or set `events.path` in journey.yaml",
                "no event log given"
            ))
        }
    };
    // Outputs that cannot be written should fail now, not after a long run.
    for p in [&args.html, &args.trace, &args.partial].into_iter().flatten() {
        check_writable(p)?;
    }
    let options = ReplayOptions {
        file: file.clone(),
        attributes: args.attributes.clone().or(attributes),
        accounts,
        from: args.from.as_deref().map(|s| date_arg("from", s)).transpose()?,
        to: args.to.as_deref().map(|s| date_arg("to", s)).transpose()?,
        quiet_hours: if args.quiet_hours == "drop" { QuietMode::Drop } else { QuietMode::Defer },
        seed: args.seed,
        skip_bad_rows: args.skip_bad_rows,
        sort: args.sort,
        // A bar on stderr, only for a person watching: never with --quiet, never into a
        // file or pipe, so what is written is the same with and without a terminal.
        bars: !global.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        reader_thread: args.reader_threads > 0,
        threads: args.threads.map_or_else(default_threads, usize::from),
        clv,
        coverage: args.partial.is_some(),
        measure_state: args.state_memory,
    };
    let mut trace = match &args.trace {
        Some(p) => Some(TraceWriter::create(p)?),
        None => None,
    };
    let Replay { report, skipped, start, until, clv, coverage, clv_input, state } =
        replay(&program, &mapping, &options, trace.as_mut())?;
    if let Some(peak) = state {
        eprint!("{}", state_memory_text(&peak));
    }
    if let Some(t) = trace {
        t.finish()?;
    }
    let tz = Schema::from_program(&program).timezone();
    let run = journey_run::partial::RunSettings::new(tz, start, until, args.seed, options.quiet_hours, &program);
    if let Some(p) = &args.partial {
        let partial = crate::partial::Partial {
            run: Some(run.clone()),
            report: report.clone(),
            skipped: Some(skipped.clone()),
            coverage,
            clv_input: Some(clv_input),
        };
        crate::files::write_atomically(p, partial.to_json().as_bytes())?;
    }
    if let Some(p) = &args.html {
        let meta = HtmlMeta {
            command: "journey simulate".into(),
            sources: vec![file.display().to_string()],
            period: Some((run.from.clone(), run.to.clone())),
            seed: Some(run.seed),
            quiet_hours: Some(run.quiet_hours.clone()),
            skipped: Some(skipped.clone()),
            clv: Some(crate::clv_estimate::html_rows(&clv)),
        };
        crate::files::write_atomically(p, render_html(&report, Some(&program), &meta).as_bytes())?;
    }
    if args.format == "json" {
        crate::out!("{}", report_json(&report, Some(&run), Some(&program), &clv, Some(&skipped)))?;
        if !global.quiet && skipped.total() > 0 {
            eprint!("{}", skipped_text(&skipped));
        }
    } else {
        // calendar days of the program's zone, both ends included, as the labels read
        // (and as the HTML page counts them)
        crate::outln!("{}: {}", file.display(), run.describe())?;
        crate::out!("{}", human(&report, Some(&program)))?;
        crate::out!("{}", crate::clv_estimate::text(&clv, &program.currency))?;
        crate::out!("{}", crate::clv_estimate::amounts_text(&report, Some(&program)))?;
        crate::out!("{}", skipped_text(&skipped))?;
    }
    Ok(ExitStatus::Success)
}

/// The report of `--format json` (of `simulate` and `merge`; journey_run writes it).
pub(crate) fn report_json(
    report: &Report,
    run: Option<&journey_run::partial::RunSettings>,
    program: Option<&Program>,
    clv: &Result<journey_clv::impact::Impact, String>,
    skipped: Option<&SkipCounts>,
) -> String {
    journey_run::report_json(report, run, program, clv, skipped)
}

/// issue 15: the account file's values into the customers' rows; a column that is
/// not an account attribute is an error, customers of unlisted accounts a note.
fn apply_account_file(snapshot: &mut Snapshot, file: &Path, program: &Program, schema: &Schema) -> miette::Result<()> {
    let rows = journey_events::read_accounts(file, program).map_err(miette::Report::new)?;
    match snapshot.apply_accounts(program, schema, &rows) {
        Err(message) => Err(miette::miette!(
            help = "the account file holds values of the account (docs/configuration.md#accounts)",
            "{}: {message}",
            file.display()
        )),
        Ok(0) => Ok(()),
        Ok(n) => {
            eprintln!(
                "note: {n} customer{} belong to accounts {} does not list: their account attributes are unknown",
                if n == 1 { "" } else { "s" },
                file.display()
            );
            Ok(())
        }
    }
}

/// What to replay and how (shared by `journey simulate` and `journey diff`).
#[derive(Clone)]
pub(crate) struct ReplayOptions {
    pub file: PathBuf,
    pub attributes: Option<PathBuf>,
    /// issue 15: the account file (`events.account.file`)
    pub accounts: Option<PathBuf>,
    /// First and last simulated day (days since 1970-01-01), else the log's span.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub quiet_hours: QuietMode,
    pub seed: u64,
    pub skip_bad_rows: bool,
    /// Sort the log in memory (as `events.order: sort` does)
    pub sort: bool,
    pub bars: bool,
    /// Read the log on its own thread ([`PipedReader`]).
    pub reader_thread: bool,
    /// Engine threads ([`ShardedDriver`]).
    pub threads: usize,
    pub clv: crate::clv_estimate::ClvSettings,
    /// Fingerprint the customers covered (for `--partial`).
    pub coverage: bool,
    /// Measure the customers' states (`--state-memory`).
    pub measure_state: bool,
}

/// Events handed to the engine at a time: the engine replays a group customer by
/// customer, in id order (each customer's events in log order), and its threads meet
/// once per group. A log interleaves customers, so a group of one reader batch (a few
/// hours of a large log) holds at most one event of most customers, and every event
/// waits for its customer's state from memory. A group of some days holds several
/// events of each customer who appears, and walks the states nearly in address
/// order, which the memory serves far faster (13-25% less time on one thread, on 10M
/// events). The reader thread reads in groups, one ahead, so a group passes as it
/// is; the cost is three groups of events held at once (about 60 MB). Twice as large
/// was no faster.
const GROUP: usize = 16 * PIPE_BATCH;

/// What a replay found.
pub(crate) struct Replay {
    pub report: Report,
    pub skipped: SkipCounts,
    pub start: i64,
    pub until: i64,
    /// The CLV estimate of the journeys' assumptions, or why there is none.
    pub clv: Result<journey_clv::impact::Impact, String>,
    /// The customers replayed, when [`ReplayOptions::coverage`] asked for them.
    pub coverage: Option<crate::partial::Coverage>,
    /// What `--partial` writes for the estimate, so `merge` refits it exactly.
    pub clv_input: crate::clv_estimate::PartialClv,
    /// The customers' states at their largest, when measured.
    pub state: Option<journey_run::replay::StatePeak>,
}

/// The log, read on this thread or on its own, or already read (a stream).
enum Source {
    Here(LogReader),
    /// The reader on its own thread, and where the purchases it fits arrive.
    Piped(PipedReader, std::sync::mpsc::Receiver<journey_run::clv_estimate::Fitted>),
    /// A stream read to its end to find the period: its events, and the finished
    /// reader (interners, skip counts).
    Held {
        reader: LogReader,
        events: std::vec::IntoIter<journey_events::Event>,
    },
}

impl journey_run::replay::Source for Source {
    /// Replace `group` with the next events (up to [`GROUP`]); whether more may
    /// follow, and the error that ended the log, if any, after these events.
    fn next_group(&mut self, group: &mut Vec<journey_events::Event>) -> (bool, Option<miette::Report>) {
        group.clear();
        match self {
            // the reader thread's batch as it is
            Source::Piped(r, _) => match r.next_batch() {
                Some(Ok(events)) => {
                    r.recycle(std::mem::replace(group, events));
                    (true, None)
                }
                Some(Err(e)) => (false, Some(miette::Report::new(e))),
                None => (false, None),
            },
            Source::Held { events, .. } => {
                group.extend(events.by_ref().take(GROUP));
                (events.len() > 0, None)
            }
            Source::Here(r) => {
                while group.len() < GROUP {
                    match r.next_event() {
                        Some(Ok(e)) => group.push(e),
                        Some(Err(e)) => return (false, Some(miette::Report::new(e))),
                        None => return (false, None),
                    }
                }
                (true, None)
            }
        }
    }
    fn interner(&self) -> &Interner {
        match self {
            Source::Here(r) | Source::Held { reader: r, .. } => r.interner(),
            Source::Piped(r, _) => r.interner(),
        }
    }
    fn texts(&self) -> &Interner {
        match self {
            Source::Here(r) | Source::Held { reader: r, .. } => r.texts(),
            Source::Piped(r, _) => r.texts(),
        }
    }
    fn fits_purchases(&self) -> bool {
        matches!(self, Source::Piped(..))
    }
    fn fitted(&mut self) -> Option<journey_run::clv_estimate::Fitted> {
        match self {
            Source::Piped(_, fitted) => fitted.recv().ok(),
            _ => None,
        }
    }
}

impl Source {
    fn skipped(&self) -> &SkipCounts {
        match self {
            Source::Here(r) | Source::Held { reader: r, .. } => r.skipped(),
            Source::Piped(r, _) => r.skipped(),
        }
    }
}

impl ReadState for Source {
    fn rows(&self) -> u64 {
        match self {
            Source::Here(r) | Source::Held { reader: r, .. } => r.rows(),
            Source::Piped(r, _) => r.rows(),
        }
    }
    fn skipped_total(&self) -> u64 {
        self.skipped().total()
    }
}

impl ReadState for LogReader {
    fn rows(&self) -> u64 {
        LogReader::rows(self)
    }
    fn skipped_total(&self) -> u64 {
        self.skipped().total()
    }
}

/// Where a pass over the log is, for the progress bar.
trait ReadState {
    fn rows(&self) -> u64;
    fn skipped_total(&self) -> u64;
}

/// Replay the log through the program: the report, and the CLV estimate of the
/// journeys' assumptions on the customers the replay reached.
pub(crate) fn replay(
    program: &Program,
    mapping: &Mapping,
    o: &ReplayOptions,
    mut trace: Option<&mut TraceWriter>,
) -> miette::Result<Replay> {
    let schema = Schema::from_program(program);
    let tz = schema.timezone();
    let file = &o.file;
    let read_options = ReadOptions { skip_bad_rows: o.skip_bad_rows, sort: o.sort };
    // The simulated period is whole local days of the program's zone, from the first
    // day's midnight to the last day's end, whether the days are given or taken from
    // the log's span (one extra pass over a file; a stream that can be read only once
    // is held in memory): `--to` left out and `--to` of the log's last day are the
    // same period, with the same timers fired (docs/engine.md, "The period").
    let first_midnight = |day: i64| journey_engine::time::date_midnight(tz, day);
    let last_instant = |day: i64| journey_engine::time::date_midnight(tz, day + 1) - 1;
    let mut held = None;
    let (start, until) = match (o.from, o.to) {
        (Some(f), Some(t)) => (first_midnight(f), last_instant(t)),
        _ => {
            let span = if journey_events::input::rereadable(file) {
                log_span(file, mapping, &schema, read_options, o.bars)?
            } else {
                let (reader, events) = hold_log(file, mapping, &schema, read_options)?;
                let span = events.iter().fold(None, |s: Option<(i64, i64)>, e| {
                    Some(s.map_or((e.time, e.time), |(a, b)| (a.min(e.time), b.max(e.time))))
                });
                held = Some((reader, events));
                span
            };
            let Some((first, last)) = span else {
                return Err(miette::miette!(
                    help = "check that the log has rows after its header and that they map to declared events",
                    "{}: the log has no events",
                    file.display()
                ));
            };
            let day = |t: i64| journey_engine::time::local_day(tz, t);
            (first_midnight(o.from.unwrap_or_else(|| day(first))), last_instant(o.to.unwrap_or_else(|| day(last))))
        }
    };
    if until < start {
        // name the bound that came from the log, so a --from past the log's end is not
        // reported as a --to nobody gave
        let day = |t: i64| journey_engine::time::day_label(tz, t);
        let (what, help) = match (o.from, o.to) {
            (Some(_), None) => (
                format!("--from {} is after the log's last day, {}", day(start), day(until)),
                "pass a --from on or before the log's last day, or a --to after it",
            ),
            (None, Some(_)) => (
                format!("--to {} is before the log's first day, {}", day(until), day(start)),
                "pass a --to on or after the log's first day, or a --from before it",
            ),
            _ => (
                format!("--to {} is before --from {}", day(until), day(start)),
                "--to is the last simulated day and must not be before --from",
            ),
        };
        return Err(miette::miette!(help = help, "the simulated period is empty: {what}"));
    }
    // A long period (a typo'd year 9999 in the log or in --to) costs nothing where
    // nothing happens: the engine jumps its clock to the next timer or event and counts
    // the schedule ticks that could only be refused without firing them (docs/engine.md).

    let (mut progress, mut reader) = match held {
        Some((reader, events)) => {
            let progress = Progress::start(false, "simulating", file, mapping, &reader);
            (progress, Source::Held { reader, events: events.into_iter() })
        }
        None => {
            let reader = LogReader::open(file, mapping, &schema, read_options).map_err(miette::Report::new)?;
            let progress = Progress::start(o.bars, "simulating", file, mapping, &reader);
            // the reader thread starts on the log while this one reads the snapshot
            let reader = if o.reader_thread {
                // the reader collects the purchases too and fits them once the log is
                // read, while the engine still replays (the CLV fit was ~8% of a
                // replay after it)
                let (tap, fitted) = journey_run::clv_estimate::PurchaseTap::new(program, &o.clv);
                let reader = PipedReader::spawn_tapped(reader, GROUP, 1, tap);
                Source::Piped(reader, fitted)
            } else {
                Source::Here(reader)
            };
            (progress, reader)
        }
    };
    let profiles = match &o.attributes {
        Some(p) => {
            let mut snapshot = Snapshot::read(p, program, &schema)?;
            if let Some(file) = &o.accounts {
                apply_account_file(&mut snapshot, file, program, &schema)?;
            }
            let missing = &snapshot.missing_columns;
            if !missing.is_empty() {
                // the refusals counted by clause would otherwise read as a fact about
                // the customers rather than about the file
                let them = if missing.len() == 1 { "it" } else { "them" };
                eprintln!(
                    "note: {} has no column for {}: every customer lacks {them}, so comparisons on {them} are unknown and do not hold",
                    p.display(),
                    missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                );
            }
            snapshot
        }
        None => Snapshot::default(),
    };
    let settings = journey_run::replay::Settings {
        start,
        until,
        quiet_hours: o.quiet_hours,
        seed: o.seed,
        threads: o.threads,
        // the reader is done at the end: its core can run timers out too
        finish_threads: o.threads + usize::from(o.reader_thread),
        clv: o.clv.clone(),
        coverage: o.coverage,
        measure_state: o.measure_state,
    };
    let outcome = journey_run::replay::run(
        program,
        mapping,
        &settings,
        profiles,
        &mut reader,
        GROUP,
        |reader, world, actions, stage| {
            if let Some(t) = trace.as_mut() {
                t.write(program, world, actions)?;
            }
            match stage {
                Stage::Group => progress.tick(reader),
                Stage::Finishing => progress.finishing(),
                Stage::Last => {}
            }
            Ok(())
        },
    )?;
    drop(progress);
    let skipped = reader.skipped().clone();
    // the log's keys and texts: many small allocations, which take a noticeable part
    // of a second to free and need not be waited for
    std::thread::spawn(move || drop(reader));
    let journey_run::replay::Outcome { report, clv, coverage, clv_input, state } = outcome;
    Ok(Replay { report, skipped, start, until, clv, coverage, clv_input, state })
}

/// A stream read once to its end: the reader and every event (the first bad row, when
/// not skipping, is the error).
fn hold_log(
    file: &Path,
    mapping: &Mapping,
    schema: &Schema,
    options: ReadOptions,
) -> miette::Result<(LogReader, Vec<journey_events::Event>)> {
    let mut reader = LogReader::open(file, mapping, schema, options).map_err(miette::Report::new)?;
    let mut events = Vec::new();
    while let Some(e) = reader.next_event() {
        events.push(e.map_err(miette::Report::new)?);
    }
    Ok((reader, events))
}

/// The first and last event time of the log (`None`: no events), with a bar while
/// reading it.
fn log_span(
    file: &Path,
    mapping: &Mapping,
    schema: &Schema,
    options: ReadOptions,
    bars: bool,
) -> miette::Result<Option<(i64, i64)>> {
    let mut reader = LogReader::open(file, mapping, schema, options).map_err(miette::Report::new)?;
    let mut progress = Progress::start(bars, "finding the period", file, mapping, &reader);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    while let Some(e) = reader.next_event() {
        let e = e.map_err(miette::Report::new)?;
        first = first.min(e.time);
        last = last.max(e.time);
        progress.tick(&reader);
    }
    Ok((first <= last).then_some((first, last)))
}

/// `--state-memory`: the states' bytes per customer at their largest, by part, and
/// the process's peak (what the operating system counted: reader buffers, report and
/// allocator overhead included) per customer.
fn state_memory_text(peak: &journey_run::replay::StatePeak) -> String {
    let m = &peak.measure;
    let n = m.customers.max(1) as f64;
    let mib = |b: f64| b / 1048576.0;
    let mut s = format!(
        "state memory: {:.0} bytes per customer ({:.1} MiB over {} customers, after group {} of {}; {:.1} heap blocks each)\n",
        m.per_customer(),
        mib(m.bytes.total() as f64),
        m.customers,
        peak.group,
        peak.groups,
        m.bytes.blocks as f64 / n
    );
    for (name, bytes) in m.bytes.parts() {
        s.push_str(&format!("  {name:<11} {:>8.0} bytes per customer\n", bytes as f64 / n));
    }
    if let Some(hwm) = process_peak() {
        s.push_str(&format!("process peak: {:.0} MiB, {:.0} bytes per customer\n", mib(hwm as f64), hwm as f64 / n));
    }
    s
}

/// The process's peak resident memory (VmHWM), where /proc tells it.
fn process_peak() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok().map(|k| k * 1024)
}

pub(crate) fn write_err(p: &Path, e: impl std::fmt::Display) -> miette::Report {
    miette::Report::new(crate::files::WriteError::new(p, e))
}

/// Fail early, before a long run, when `p` cannot be written.
pub(crate) fn check_writable(p: &Path) -> miette::Result<()> {
    Ok(crate::files::check_writable(p)?)
}

// ------------------------------------------------------------------ progress

/// How often the bar is brought up to date: every 65,536 events, so the read loop pays
/// one counter increment and test per event.
const TICK_MASK: u64 = (1 << 16) - 1;

/// The progress bar of a pass over the log: bytes (CSV, JSON lines) or rows (Parquet)
/// of the file when the reader's position is known, else a count of events. Hidden
/// unless stderr is a terminal and not `--quiet`; cleared when dropped, so an error or
/// the results print on a clean line.
struct Progress {
    bar: indicatif::ProgressBar,
    watch: Option<ReadProgress>,
    /// The reader sorts in memory: nothing comes before the whole log is read, then the
    /// events come out counted against their total.
    sorting: bool,
    events: u64,
    started: std::time::Instant,
}

impl Progress {
    fn start(enabled: bool, what: &'static str, file: &Path, mapping: &Mapping, reader: &LogReader) -> Progress {
        // (the reader is watched before it may move to its own thread)
        let started = std::time::Instant::now();
        if !enabled {
            let bar = indicatif::ProgressBar::hidden();
            return Progress { bar, watch: None, sorting: false, events: 0, started };
        }
        let sorting = reader.sorts();
        let watch = if sorting { None } else { Some(ReadProgress::watch(file, mapping, reader)) };
        let total = watch.as_ref().and_then(ReadProgress::total);
        // set up hidden, then shown: nothing is drawn in the default style first
        let bar = indicatif::ProgressBar::with_draw_target(total, indicatif::ProgressDrawTarget::hidden());
        bar.set_prefix(what);
        let template = match (total, watch.as_ref().map(ReadProgress::unit)) {
            (Some(_), Some(ProgressUnit::Bytes)) => {
                "{prefix} [{wide_bar}] {percent:>3}% of {total_bytes} · {msg} · eta {eta}"
            }
            (Some(_), _) => "{prefix} [{wide_bar}] {percent:>3}% of {human_len} rows · {msg} · eta {eta}",
            (None, _) => "{spinner} {prefix} · {msg} · {elapsed}",
        };
        bar.set_style(style(template));
        bar.set_message(if sorting { "reading and sorting the log".to_string() } else { "starting".to_string() });
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress { bar, watch, sorting, events: 0, started }
    }

    /// One event done; cheap except every 65,536th.
    #[inline]
    fn tick(&mut self, reader: &impl ReadState) {
        self.events += 1;
        if self.events & TICK_MASK == 0 || (self.sorting && self.events == 1) {
            self.update(reader);
        }
    }

    #[cold]
    fn update(&mut self, reader: &impl ReadState) {
        if self.bar.is_hidden() {
            return;
        }
        if self.sorting && self.bar.length().is_none() {
            // the whole log is in memory now: count the events against their total,
            // and time them from here (reading and sorting took the time so far)
            let events = reader.rows() - reader.skipped_total();
            self.bar.set_length(events);
            self.bar.set_style(style("{prefix} [{wide_bar}] {percent:>3}% · {msg} · eta {eta}"));
            self.bar.reset_eta();
            self.bar.set_message(format!("{} sorted events", short(events)));
            self.started = std::time::Instant::now();
            return;
        }
        let position = match &self.watch {
            Some(w) => w.position(reader.rows()),
            None if self.sorting => Some(self.events),
            None => None,
        };
        if let Some(p) = position {
            self.bar.set_position(p);
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = short((self.events as f64 / secs) as u64);
        self.bar.set_message(match self.bar.length().filter(|_| self.sorting) {
            Some(total) => format!("{} of {} sorted events, {rate}/s", short(self.events), short(total)),
            None => format!("{} events, {rate}/s", short(self.events)),
        });
    }

    /// The log is read; the engine fires the timers left until the end of the period.
    fn finishing(&mut self) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_style(style("{spinner} {prefix} · {msg} · {elapsed}"));
        self.bar.set_message(format!(
            "{} events read; firing the remaining timers",
            journey_engine::html::num(self.events)
        ));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template).expect("a valid progress template").progress_chars("=> ")
}

/// `950`, `12.3k`, `2.70M`: counts that keep the bar on one line.
fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.2}M", n as f64 / 1e6),
    }
}

// ------------------------------------------------------------------ the trace

pub(crate) enum TraceWriter {
    Csv { path: PathBuf, out: AtomicFile },
    Parquet(Box<ParquetTrace>),
}

impl TraceWriter {
    /// Parquet for `.parquet` and `.pq`, else CSV.
    fn create(p: &Path) -> miette::Result<TraceWriter> {
        let f = AtomicFile::create(p)?;
        let parquet = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"));
        if parquet {
            return Ok(TraceWriter::Parquet(Box::new(ParquetTrace::new(p, f)?)));
        }
        let mut out = f;
        writeln!(out, "{}", TRACE_COLUMNS.join(",")).map_err(|e| write_err(p, e))?;
        Ok(TraceWriter::Csv { path: p.to_path_buf(), out })
    }

    fn write(&mut self, program: &Program, world: &World, actions: &[Action]) -> miette::Result<()> {
        match self {
            TraceWriter::Csv { path, out } => {
                write_csv_rows(out, program, world, actions).map_err(|e| write_err(path, e))
            }
            TraceWriter::Parquet(t) => {
                for a in actions {
                    t.push(&trace_row(program, world, a))?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> miette::Result<()> {
        match self {
            TraceWriter::Csv { out, .. } => Ok(out.commit()?),
            TraceWriter::Parquet(t) => t.finish(),
        }
    }
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

fn write_csv_rows(w: &mut impl Write, program: &Program, world: &World, actions: &[Action]) -> std::io::Result<()> {
    for a in actions {
        let r = trace_row(program, world, a);
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            journey_events::time::format(r.time),
            csv_field(r.customer),
            csv_field(r.journey),
            csv_field(r.node.unwrap_or("")),
            r.kind,
            csv_field(r.channel.unwrap_or("")),
            csv_field(r.template.unwrap_or("")),
            r.reason.unwrap_or("")
        )?;
    }
    Ok(())
}

/// Rows per Parquet row group: the trace is written a row group at a time, so memory
/// stays bounded however long the run.
const TRACE_ROW_GROUP: usize = 65_536;

/// The trace as Parquet: `time` a UTC timestamp in milliseconds, the other columns
/// strings (dictionary-encoded by the writer), node, channel and template null where
/// the CSV trace leaves them empty. Snappy-compressed.
pub(crate) struct ParquetTrace {
    path: PathBuf,
    writer: parquet::arrow::ArrowWriter<AtomicFile>,
    columns: TraceColumns,
}

impl ParquetTrace {
    fn new(path: &Path, file: AtomicFile) -> miette::Result<ParquetTrace> {
        let columns = TraceColumns::default();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(TRACE_ROW_GROUP))
            .set_created_by(format!("journey {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = parquet::arrow::ArrowWriter::try_new(file, columns.schema(), Some(props))
            .map_err(|e| write_err(path, e))?;
        Ok(ParquetTrace { path: path.to_path_buf(), writer, columns })
    }

    fn push(&mut self, r: &journey_run::trace::TraceRow) -> miette::Result<()> {
        self.columns.push(r);
        if self.columns.len() == TRACE_ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> miette::Result<()> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let batch = self.columns.finish();
        self.writer.write(&batch).map_err(|e| write_err(&self.path, e))?;
        Ok(())
    }

    fn finish(mut self) -> miette::Result<()> {
        self.flush()?;
        let file = self.writer.into_inner().map_err(|e| write_err(&self.path, e))?;
        Ok(file.commit()?)
    }
}

pub(crate) fn skipped_text(s: &SkipCounts) -> String {
    let total = s.total();
    if total == 0 {
        return String::new();
    }
    let mut out = format!("skipped {} bad row{}:\n", total, if total == 1 { "" } else { "s" });
    for k in SkipKind::ALL {
        let n = s.get(k);
        if n > 0 {
            out.push_str(&format!("  {:<30}  {:>10}\n", k.describe(), n));
        }
    }
    for (name, n) in &s.unknown_event_names {
        out.push_str(&format!("    unknown event `{name}`: {n}\n"));
    }
    out
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

/// The terminal summary of a report; guardrails need the program.
pub(crate) fn human(r: &Report, program: Option<&Program>) -> String {
    let mut out = format!("{} customers, {} events, {} messages sent\n", r.customers, r.events, r.sends);
    if !r.journeys.is_empty() {
        let w = r.journeys.keys().map(String::len).max().unwrap_or(7).max(7);
        // sends refused by a cap, then by a `conflicting` group of the policy (the
        // report's `cap_hits` and `conflict_refusals`)
        out.push_str(&format!(
            "\n{:<w$}  {:>8}  {:>8}  {:>8}  {:>7}  {:>8}  {:>9}  {:>8}  {:>8}\n",
            "journey", "entrants", "holdout", "sends", "cap hit", "conflict", "quiet def", "consent", "dropped"
        ));
        for (name, j) in &r.journeys {
            let sends: u64 = j.sends.values().flat_map(|m| m.values()).sum();
            out.push_str(&format!(
                "{name:<w$}  {:>8}  {:>8}  {:>8}  {:>7}  {:>8}  {:>9}  {:>8}  {:>8}\n",
                j.entrants,
                j.holdout,
                sends,
                j.cap_hits,
                j.conflict_refusals,
                j.quiet_deferrals,
                j.consent_suppressions,
                j.quiet_drops
            ));
        }
    }
    let before: Vec<String> = (r.journeys.iter())
        .filter(|(_, j)| j.before_exists > 0)
        .map(|(name, j)| format!("  {name}: {}\n", j.before_exists))
        .collect();
    if !before.is_empty() {
        // a customer exists from their creation attribute, else their first event
        out.push_str("\nentries skipped before the customer existed (not messaged):\n");
        before.iter().for_each(|l| out.push_str(l));
    }
    let unknown: Vec<String> = (r.journeys.iter())
        .flat_map(|(name, j)| j.unknown_refusals.iter().map(move |(clause, n)| format!("  {name}: {clause}: {n}\n")))
        .collect();
    if !unknown.is_empty() {
        // three-valued logic: a comparison with a missing value is unknown, not true
        out.push_str("\ncustomers refused because an audience clause read a missing value:\n");
        unknown.iter().for_each(|l| out.push_str(l));
    }
    if !r.channels.is_empty() {
        let w = r.channels.keys().map(String::len).max().unwrap_or(7).max(7);
        out.push_str(&format!(
            "\n{:<w$}  {:>8}  {:>7}  {:>9}  {:>8}  {:>7}  {:>6}  {:>8}  {:>8}\n",
            "channel", "sends", "cap hit", "quiet def", "consent", "min gap", "tasks", "webhooks", "opt-outs"
        ));
        for (name, c) in &r.channels {
            out.push_str(&format!(
                "{name:<w$}  {:>8}  {:>7}  {:>9}  {:>8}  {:>7}  {:>6}  {:>8}  {:>8}\n",
                c.sends,
                c.cap_hits,
                c.quiet_hour_deferrals,
                c.consent_suppressions,
                c.min_gap_deferrals,
                c.tasks,
                c.webhooks,
                c.consent_withdrawals
            ));
        }
    }
    out.push_str(&tasks_table(&r.tasks));
    out.push_str(&accounts_line(&r.accounts));
    if !r.policy_cap_hits.is_empty()
        || !r.policy_conflict_refusals.is_empty()
        || r.quiet_day_deferrals + r.quiet_day_drops + r.policy_min_gap_deferrals > 0
    {
        out.push_str("\npolicy:\n");
        for (cap, n) in &r.policy_cap_hits {
            out.push_str(&format!("  cap {}: {n} refused\n", cap_label(cap)));
        }
        if r.quiet_day_deferrals + r.quiet_day_drops > 0 {
            out.push_str(&format!("  quiet days: {} deferred, {} dropped\n", r.quiet_day_deferrals, r.quiet_day_drops));
        }
        if r.policy_min_gap_deferrals > 0 {
            out.push_str(&format!("  min gap: {} deferred\n", r.policy_min_gap_deferrals));
        }
        for (group, n) in &r.policy_conflict_refusals {
            out.push_str(&format!("  conflicting [{group}]: {n} refused\n"));
        }
        let by_journey: Vec<String> = (r.journeys.iter())
            .filter(|(_, j)| j.conflict_refusals > 0)
            .map(|(name, j)| format!("{name} {}", j.conflict_refusals))
            .collect();
        if !by_journey.is_empty() {
            out.push_str(&format!("    refused in: {}\n", by_journey.join(", ")));
        }
    }
    // issue 15: what the program-wide rules of journey.yaml did
    out.push_str(&journey_engine::program_rules::text(r, program));
    let goals: Vec<_> =
        r.journeys.iter().flat_map(|(j, jr)| jr.goals.iter().map(move |(g, gr)| (j, jr, g, gr))).collect();
    if !goals.is_empty() {
        out.push_str("\ngoals (conversions: treated vs holdout):\n");
        for (j, jr, g, gr) in goals {
            let pj = program.and_then(|p| p.journeys.iter().find(|x| &x.name == j));
            let holdout = if journey_engine::html::is_reach_goal(pj, g) {
                "holdout n/a (held-out customers take no steps)".to_string()
            } else {
                format!(
                    "holdout {} of {} ({})",
                    gr.holdout_conversions,
                    jr.holdout,
                    pct(gr.holdout_conversions, jr.holdout)
                )
            };
            out.push_str(&format!(
                "  {j} / {g}: treated {} of {} ({}), {holdout}\n",
                gr.treated_conversions,
                jr.treated,
                pct(gr.treated_conversions, jr.treated),
            ));
        }
    }
    if let Some(p) = program {
        out.push_str(&r.experiments(p).text());
    }
    if let Some(p) = program {
        let g = r.guardrails(p);
        if !g.is_empty() {
            out.push_str("\nguardrails:\n");
            for x in g {
                let (value, verdict) = match (x.value, x.ok) {
                    (Some(v), Some(true)) => (format!("{v:.4}"), "ok"),
                    (Some(v), _) => (format!("{v:.4}"), "BROKEN"),
                    (None, _) => ("-".to_string(), "not measured"),
                };
                out.push_str(&format!("  {} {} {} {}: {} {}\n", x.journey, x.metric, x.op, x.limit, value, verdict));
            }
        }
    }
    if !r.max_sends_per_week.is_empty() {
        out.push_str("\ncustomers by most messages in any 7 days:");
        for (n, c) in &r.max_sends_per_week {
            out.push_str(&format!(" {n}: {c};"));
        }
        out.pop();
        out.push('\n');
        // over 3 a week, and over each `cap any N per 7d` of the policy
        let mut limits: Vec<(u64, &str)> = vec![(3, "")];
        for c in program.iter().flat_map(|p| &p.policy.caps) {
            if c.channels.is_none() && c.cap.window_minutes == 7 * 24 * 60 {
                limits.push((c.cap.count, " (the policy cap)"));
            }
        }
        limits.sort();
        limits.dedup_by_key(|l| l.0);
        for (n, note) in limits {
            let over: u64 = r.max_sends_per_week.range(n + 1..).map(|(_, c)| c).sum();
            out.push_str(&format!("  over {n} a week{note}: {over}\n"));
        }
    }
    out
}

/// issue 15: what the `for account` journeys ran on, in one paragraph.
fn accounts_line(a: &journey_engine::AccountsReport) -> String {
    if a.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    if a.accounts > 0 {
        out += &format!(
            "accounts: {} ({} customers, {} admins; {} without an admin); `for account` journeys count accounts as entrants\n\
             account messages: {} delivered to admins, {} sends reached no admin (none, or none with consent)\n",
            a.accounts, a.customers, a.admins, a.without_admin, a.messages, a.undelivered
        );
    }
    if a.unlisted_customers > 0 {
        out += &format!(
            "account file: {} customers belong to accounts it does not list (they read no account values from it)\n",
            a.unlisted_customers
        );
    }
    out
}

/// issue 15: the tasks per owner and queue, most tasks first (then owners before
/// queues, then by name), with their priorities and the fallbacks.
fn tasks_table(t: &journey_engine::TasksReport) -> String {
    if t.created == 0 {
        return String::new();
    }
    let rows = t.rows();
    let label = |name: &str, queue: bool| if queue { format!("queue {name}") } else { name.to_string() };
    let w = rows.iter().map(|(n, q, _)| label(n, *q).chars().count()).max().unwrap_or(5).max(11);
    let mut out = format!(
        "\ntasks: {} created, {} to a fallback queue (owner missing)\n{:<w$}  {:>6}  {:>8}  {:>6}  {:>4}  {:>6}  {:>3}  {:>7}\n",
        t.created, t.fallback, "owner/queue", "tasks", "fallback", "urgent", "high", "normal", "low", "day off"
    );
    for (name, queue, c) in rows {
        let p = |k: &str| c.by_priority.get(k).copied().unwrap_or(0);
        out.push_str(&format!(
            "{:<w$}  {:>6}  {:>8}  {:>6}  {:>4}  {:>6}  {:>3}  {:>7}\n",
            label(name, queue),
            c.tasks,
            c.fallback,
            p("urgent"),
            p("high"),
            p("normal"),
            p("low"),
            c.due_on_day_off
        ));
    }
    out
}

/// A policy cap's report key (`any 4 per 10080m`: minutes, so the JSON key is exact and
/// stable) as the program writes its window: `any 4 per 7d`.
fn cap_label(key: &str) -> String {
    match key.rsplit_once(" per ").and_then(|(head, m)| Some((head, m.strip_suffix('m')?.parse::<u64>().ok()?))) {
        Some((head, minutes)) => format!("{head} per {}", journey_engine::html::duration(minutes)),
        None => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn a_cap_is_shown_with_the_window_as_written() {
        assert_eq!(cap_label("any 4 per 10080m"), "any 4 per 7d");
        assert_eq!(cap_label("email,sms 2 per 2160m"), "email,sms 2 per 36h");
        assert_eq!(cap_label("any 1 per 90m"), "any 1 per 90m");
        assert_eq!(cap_label("odd"), "odd");
    }

    #[test]
    fn parquet_trace_streams_in_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.parquet");
        let mut t = ParquetTrace::new(&path, AtomicFile::create(&path).unwrap()).unwrap();
        let rows = 2 * TRACE_ROW_GROUP + 1234;
        let keys: Vec<String> = (0..rows).map(|i| format!("c{i}")).collect();
        for (i, key) in keys.iter().enumerate() {
            let send = i % 3 == 0;
            t.push(&journey_run::trace::TraceRow {
                time: 1_700_000_000_000 + i as i64,
                customer: key,
                journey: "onboarding",
                node: send.then_some("welcome#0"),
                kind: if send { "send" } else { "enter" },
                channel: send.then_some("email"),
                template: send.then_some("welcome-1"),
                reason: None,
            })
            .unwrap();
            // a full row group is written out, not kept
            assert!(t.columns.len() < TRACE_ROW_GROUP);
        }
        t.finish().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
        let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [TRACE_ROW_GROUP as i64, TRACE_ROW_GROUP as i64, 1234]);
        let mut seen = 0;
        for batch in reader.build().unwrap() {
            let batch = batch.unwrap();
            let customers = batch.column(1).as_string::<i32>();
            let channels = batch.column(5).as_string::<i32>();
            for r in 0..batch.num_rows() {
                let i = seen + r;
                assert_eq!(customers.value(r), keys[i]);
                assert_eq!(arrow_array::Array::is_null(channels, r), i % 3 != 0);
            }
            seen += batch.num_rows();
        }
        assert_eq!(seen, rows);
    }
}
