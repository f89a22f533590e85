//! `journey`: customer journeys as code. This file only parses arguments and hands
//! over to one module per subcommand under `commands/`.

use journey_run::clv_estimate;
mod commands;
mod files;
mod json_format;
mod mapped_file;
mod output;
use journey_run::partial;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a 1,000-journey `journey check` spent a
/// fifth of its time in glibc's malloc and free (CPU time 566 -> 396 ms with it, the
/// output byte for byte the same; docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep freed memory for reuse instead of handing it back to the kernel 10 ms
/// later (mimalloc's default purge delay). `journey simulate` frees and grows
/// per-customer buffers all the time; with purging, a seventh of a one-thread
/// replay went to the kernel zeroing the same (huge) pages again on the next
/// touch. The peak is unchanged: freed memory is reused, not added to. A
/// `MIMALLOC_PURGE_DELAY` set by the user still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's option cells; called once, first thing in
        // main, before any other thread exists (the call is not thread safe)
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (the sys crate names only
/// some of the options): -1 is "never purge"
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[derive(Parser, Debug)]
#[command(
    name = "journey",
    version,
    about = "Customer journeys as code: check, format, compile, simulate",
    // the one table of exit codes: README.md and docs/ci.md show this text (tested)
    after_help = include_str!("exit_codes.txt"),
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to use colours (NO_COLOR is respected by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only diagnostics and results, no summaries
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check journeys: syntax, names, types, graph shape and guardrails
    Check(commands::check::CheckArgs),
    /// Format journey files canonically, keeping every comment
    Fmt(commands::fmt::FmtArgs),
    /// Write the validated program (IR) as JSON
    Compile(commands::compile::CompileArgs),
    /// Draw a journey as a Mermaid or Graphviz DOT graph
    Graph(commands::graph::GraphArgs),
    /// The messaging calendar: every send week by week, with cross-journey conflicts
    Calendar(commands::calendar::CalendarArgs),
    /// Compare two versions (git refs or directories): graph changes, mid-journey impact, new diagnostics
    Diff(commands::diff::DiffArgs),
    /// Show the documentation of a diagnostic code
    Explain(commands::explain::ExplainArgs),
    /// Event logs: generate synthetic ones, validate a log against the mapping
    Events(commands::events::EventsArgs),
    /// Fit customer-lifetime-value models, predict and backtest them
    Clv(commands::clv::ClvArgs),
    /// Replay an event log through the journeys: sends, caps, holdouts, goals, guardrails
    Simulate(commands::simulate::SimulateArgs),
    /// Merge partial reports of a log split by customer (`simulate --partial`)
    Merge(commands::merge::MergeArgs),
    /// Print a shell completion script
    Completions(commands::completions::CompletionsArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options every subcommand sees.
#[derive(Debug, Clone)]
pub struct GlobalOptions {
    pub color: bool,
    pub quiet: bool,
}

/// How a run ended: 0 clean, 1 problems found, 2 usage or fatal error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Failure,
    Error,
}

impl Command {
    /// Whether the command prints JSON (or SARIF) on standard output: a fatal error is
    /// then a JSON object there too, so a program reading the output can tell.
    fn json_output(&self) -> bool {
        use commands::clv::{ClvCommand, Format as ClvFormat};
        use commands::events::EventsCommand;
        use journey_diagnostics::render::Format;
        match self {
            Command::Check(a) => matches!(a.format, Format::Json | Format::Sarif),
            Command::Calendar(a) => a.format == "json" && a.output.is_none(),
            Command::Diff(a) => a.format == "json",
            Command::Events(a) => matches!(&a.command, EventsCommand::Validate(v) if v.format == "json"),
            Command::Clv(a) => match &a.command {
                ClvCommand::Fit(f) => f.format == ClvFormat::Json,
                ClvCommand::Predict(p) => p.format == ClvFormat::Json,
                ClvCommand::Backtest(b) => b.format == ClvFormat::Json,
            },
            Command::Simulate(a) => a.format == "json",
            Command::Merge(a) => a.format == "json",
            Command::Compile(a) => a.output.is_none(),
            _ => false,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        match s {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// Rust ignores SIGPIPE, so `journey explain --list | head` would panic on the closed
/// pipe; a command-line tool should end quietly instead, as every Unix tool does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_color(),
    };
    let global = GlobalOptions { color, quiet: cli.quiet };
    set_report_style(color);
    let json = cli.command.json_output();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args, &global),
        Command::Fmt(args) => commands::fmt::run(args, &global),
        Command::Compile(args) => commands::compile::run(args, &global),
        Command::Graph(args) => commands::graph::run(args, &global),
        Command::Calendar(args) => commands::calendar::run(args, &global),
        Command::Diff(args) => commands::diff::run(args, &global),
        Command::Explain(args) => commands::explain::run(args, &global),
        Command::Events(args) => commands::events::run(args, &global),
        Command::Clv(args) => commands::clv::run(args, &global),
        Command::Simulate(args) => commands::simulate::run(args, &global),
        Command::Merge(args) => commands::merge::run(args, &global),
        Command::Completions(args) => commands::completions::run(args, <Cli as clap::CommandFactory>::command()),
    };
    // what is still buffered is output too: a failure to write it is an error
    let result = result.and_then(|status| files::flush_stdout().map(|()| status).map_err(miette::Report::new));
    match result {
        Ok(status) => status.into(),
        Err(report) => {
            eprintln!("{report:?}");
            if json {
                // best effort: standard output may be what failed
                let _ = out!("{}", error_json(&report));
                let _ = files::flush_stdout();
            }
            ExitStatus::Error.into()
        }
    }
}

/// Colour on a terminal unless NO_COLOR says otherwise.
fn auto_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// How fatal errors look on stderr: plain ASCII without colour, so logs and tests
/// read the same everywhere.
fn set_report_style(color: bool) {
    miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                .width(output::width())
                .build(),
        )
    }))
    .ok();
}

/// Help, version and usage errors. clap's own `exit` ignores a failed write, so
/// `journey --help > full-disk` would end 0 with nothing written: help and version go
/// through the same checked standard output as every command's results.
fn clap_exit(e: clap::Error) -> ExitCode {
    if e.use_stderr() {
        // a usage error: stderr, exit 2 (what clap's `exit` does)
        let _ = e.print();
        return ExitStatus::Error.into();
    }
    let written = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // keep clap's colours on a terminal
        e.print().map_err(files::stdout_err)
    } else {
        out!("{}", e.render()).and_then(|()| files::flush_stdout())
    };
    match written {
        Ok(()) => ExitCode::from(e.exit_code().clamp(0, 255) as u8),
        Err(err) => {
            set_report_style(auto_color());
            eprintln!("{:?}", miette::Report::new(err));
            ExitStatus::Error.into()
        }
    }
}

/// A fatal error as the JSON modes print it:
/// `{"version": 1, "error": {"code", "message", "help"}}` (docs/schemas/error.schema.json).
pub(crate) fn error_json(report: &miette::Report) -> String {
    let code = report.code().map(|c| c.to_string());
    let help = report.help().map(|h| h.to_string());
    let v = serde_json::json!({ "error": { "code": code, "message": report.to_string(), "help": help } });
    json_format::pretty(json_format::ERROR, &v)
}
