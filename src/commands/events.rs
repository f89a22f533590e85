//! `journey events`: synthetic logs and log validation (docs/events.md).

use crate::files::AtomicFile;
use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use journey_events::generate::{generate_with, GenerateOptions, OutFormat};
use journey_events::{parse_only_with, read_attributes, Mapping, ParseStats, ReadOptions, Schema, SkipKind};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum EventsCommand {
    /// Write a seeded synthetic log of the project: its events, attributes and answers
    /// to its journeys' sends
    Generate(GenerateArgs),
    /// Read a whole log with the project's mapping; report counts and bad rows
    Validate(ValidateArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Csv,
    Jsonl,
    Parquet,
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Seed: the same seed, customers and days give byte-identical output
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of customers (sign-ups spread over the period)
    #[arg(long, default_value_t = 1000)]
    pub customers: u32,
    /// Length of the period in days, from 2025-01-01
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Output format (default: from the extension of --output, else csv)
    #[arg(long, value_enum)]
    pub format: Option<LogFormat>,
    /// Write the log here instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write the customer-attribute snapshot (CSV) here
    #[arg(long)]
    pub attributes: Option<PathBuf>,
    /// Tune the behaviour model (lifecycle mix, rates, seasonality, engagement) with
    /// this YAML file; docs/events.md lists its keys
    #[arg(long, value_name = "FILE")]
    pub behaviour: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// The log (default: `events.path` of journey.yaml); `-` reads standard input, and
    /// gzip and zstd logs are read directly
    pub file: Option<PathBuf>,
    /// Skip bad rows and count them per kind instead of stopping at the first one
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Sort the log by time in memory instead of requiring per-customer time order
    #[arg(long)]
    pub sort: bool,
    /// Take the `events:` mapping from this YAML file instead of journey.yaml
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output format: human (default) or json
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

pub fn run(args: EventsArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    match args.command {
        EventsCommand::Generate(a) => generate(a, global),
        EventsCommand::Validate(a) => validate(a, global),
    }
}

fn generate(a: GenerateArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let format =
        a.format.unwrap_or_else(|| match a.output.as_deref().and_then(Path::extension).and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => LogFormat::Jsonl,
            Some("parquet" | "pq") => LogFormat::Parquet,
            _ => LogFormat::Csv,
        });
    let format = match format {
        LogFormat::Csv => OutFormat::Csv,
        LogFormat::Jsonl => OutFormat::Jsonl,
        LogFormat::Parquet => OutFormat::Parquet,
    };
    let project = output::load(&[])?;
    let (checked, diags) = output::check(&project);
    if output::has_errors(&diags) {
        output::report(&diags, &project, Format::Full, global)?;
        return Ok(ExitStatus::Failure);
    }
    let mapping = match output::event_mapping(&project) {
        Ok(m) => m,
        Err(d) => {
            output::report(&d, &project, Format::Full, global)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let program = &checked.program;
    let behaviour = match &a.behaviour {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
            let events: Vec<&str> = program.events.iter().map(|e| e.name.as_str()).collect();
            Some(journey_synth::Behaviour::from_yaml(&path.display().to_string(), &text, &events)?)
        }
        None => None,
    };
    let northwind = mapping.generator == journey_events::Generator::Northwind;
    if northwind && behaviour.is_some() {
        return Err(miette::miette!(
            help = "remove `generator: northwind` from `events:` in journey.yaml to generate from the project",
            "--behaviour tunes the project's generator, but journey.yaml asks for the built-in Northwind model"
        ));
    }
    if !northwind && program.events.is_empty() {
        return Err(miette::miette!(
            help = "declare the events of your log (`event purchase { amount: money }`); see docs/language.md",
            "the project declares no events to generate"
        ));
    }
    let behaviour = behaviour.unwrap_or_default();
    let synth = journey_synth::Options {
        seed: a.seed,
        customers: a.customers,
        days: a.days,
        created_at: mapping.created_at.clone(),
        optional_attributes: mapping.optional_attributes.clone(),
        ..Default::default()
    };
    let options = GenerateOptions { seed: a.seed, customers: a.customers, days: a.days, ..Default::default() };
    let run = |out: &mut (dyn Write + Send), attrs: Option<&mut dyn Write>| -> std::io::Result<(u64, u32)> {
        if northwind {
            generate_with(&options, out, format, attrs).map(|s| (s.events, s.customers))
        } else {
            journey_synth::generate(program, &behaviour, &synth, out, format, attrs).map(|s| (s.events, s.customers))
        }
    };
    let io = |p: &Path, e: std::io::Error| crate::files::WriteError::new(p, e);
    // both files are written whole or not at all, once the generator is done
    let mut attributes = match &a.attributes {
        Some(p) => Some(AtomicFile::create(p)?),
        None => None,
    };
    let attrs = attributes.as_mut().map(|f| f as &mut dyn Write);
    let stats = match &a.output {
        Some(p) => {
            let mut f = AtomicFile::create(p)?;
            let stats = run(&mut f, attrs).map_err(|e| io(p, e))?;
            f.commit()?;
            stats
        }
        None => {
            let mut out = std::io::stdout();
            run(&mut out, attrs).map_err(crate::files::stdout_err)?
        }
    };
    if let Some(f) = attributes {
        f.commit()?;
    }
    if !global.quiet && a.output.is_some() {
        eprintln!("wrote {} events of {} customers", stats.0, stats.1);
    }
    Ok(ExitStatus::Success)
}

fn validate(a: ValidateArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let project = output::load(&[])?;
    let (checked, diags) = output::check(&project);
    // problems as JSON in the JSON mode (check's schema): standard output stays parseable
    let diag_format = if a.format == "json" { Format::Json } else { Format::Full };
    if output::has_errors(&diags) {
        output::report(&diags, &project, diag_format, global)?;
        return Ok(ExitStatus::Failure);
    }
    let schema = Schema::from_program(&checked.program);
    // the mapping: from --config (its paths are relative to that file), or journey.yaml
    let (mapping, config_dir) = match &a.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
            let problems = |d: &[journey_diagnostics::Diagnostic]| {
                let lines: Vec<String> = d.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
                miette::miette!("{}: {}", path.display(), lines.join("; "))
            };
            let (config, diags) = journey_project::Config::parse(&text, Default::default());
            if output::has_errors(&diags) {
                return Err(problems(&diags));
            }
            let mapping = Mapping::from_yaml(config.events.as_ref(), &text).map_err(|d| problems(&d))?;
            (mapping, Some(path.parent().map(Path::to_path_buf).unwrap_or_default()))
        }
        None => match output::event_mapping(&project) {
            Ok(m) => (m, None),
            Err(d) => {
                output::report(&d, &project, diag_format, global)?;
                return Ok(ExitStatus::Failure);
            }
        },
    };
    let resolve = |p: &Path| match &config_dir {
        Some(dir) => dir.join(p),
        None => output::project_path(&project, p),
    };
    let file = match (&a.file, &mapping.path) {
        (Some(f), _) => f.clone(),
        (None, Some(p)) => resolve(p),
        (None, None) => {
            return Err(miette::miette!(
                help = "name the log (`journey events validate events.csv`) or set `events.path` in journey.yaml",
                "no event log given"
            ))
        }
    };
    let options = ReadOptions { skip_bad_rows: a.skip_bad_rows, sort: a.sort };
    let stats = match parse_only_with(&file, &mapping, &schema, options) {
        Ok(s) => s,
        Err(e) => {
            // the row a validation stopped at is its finding (exit 1), in the JSON
            // mode as the error object the other commands print for it
            let report = miette::Report::new(e);
            eprintln!("{report:?}");
            if a.format == "json" {
                crate::out!("{}", crate::error_json(&report))?;
            }
            return Ok(ExitStatus::Failure);
        }
    };
    let attributes = match &mapping.attributes {
        Some(p) => {
            let a = read_attributes(&resolve(p), &checked.program).map_err(miette::Report::new)?;
            Some((p.display().to_string(), a.len(), a.missing_columns.clone()))
        }
        None => None,
    };
    let display =
        if journey_events::input::is_stdin(&file) { "standard input".to_string() } else { file.display().to_string() };
    if a.format == "json" {
        let mut v = serde_json::to_value(&stats).expect("stats serialise");
        v["file"] = display.into();
        v["first"] = stats.first.map(journey_events::time::format).into();
        v["last"] = stats.last.map(journey_events::time::format).into();
        if let Some((p, n, missing)) = &attributes {
            v["attributes"] = serde_json::json!({ "file": p, "customers": n, "missing_columns": missing });
        }
        crate::out!("{}", crate::json_format::pretty(crate::json_format::EVENTS_VALIDATE, &v))?;
    } else {
        crate::out!("{}", human(&display, &stats))?;
        if let Some((p, n, missing)) = &attributes {
            crate::outln!("attributes: {p}: {n} customers")?;
            if !missing.is_empty() {
                crate::outln!("  declared but not in the snapshot: {}", missing.join(", "))?;
            }
        }
    }
    Ok(if stats.skipped.total() > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human(file: &str, s: &ParseStats) -> String {
    let mut out = format!(
        "{file}: {} rows, {} events, {} customers",
        thousands(s.rows),
        thousands(s.events),
        thousands(s.customers)
    );
    if let (Some(f), Some(l)) = (s.first, s.last) {
        out.push_str(&format!(", {} to {}", journey_events::time::format(f), journey_events::time::format(l)));
    }
    out.push('\n');
    let width = s.per_event.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, n) in s.per_event.iter().filter(|(_, n)| *n > 0) {
        out.push_str(&format!("  {name:<width$}  {:>12}\n", thousands(*n)));
    }
    if s.revenue != 0.0 {
        out.push_str(&format!("revenue: {:.2}\n", s.revenue));
    }
    if s.multiline_rows > 0 {
        // so a person can check that a quote did not swallow lines
        let n = |k: u64, one: &str, many: &str| format!("{} {}", thousands(k), if k == 1 { one } else { many });
        out.push_str(&format!(
            "note: {} several lines (quoted line breaks): {} from {}\n",
            n(s.multiline_rows, "row spans", "rows span"),
            n(s.rows, "row", "rows"),
            n(s.lines, "line", "lines")
        ));
    }
    let total = s.skipped.total();
    if total > 0 {
        out.push_str(&format!("skipped {} bad rows:\n", thousands(total)));
        for k in SkipKind::ALL {
            let n = s.skipped.get(k);
            if n > 0 {
                out.push_str(&format!("  {:<30}  {:>12}\n", k.describe(), thousands(n)));
            }
        }
        for (name, n) in &s.skipped.unknown_event_names {
            out.push_str(&format!("    unknown event `{name}`: {}\n", thousands(*n)));
        }
    }
    out
}
