//! `journey simulate`: replay an event log through the engine (docs/engine.md) and
//! report what the journeys would have done.
//!
//! The log is streamed through the engine's `Driver`: one state per customer, so memory
//! grows with customers, never with the log. The log only needs each customer's events
//! in time order (the reader checks it). `--partial` writes the mergeable report of a
//! log partitioned by customer; `journey merge` adds the parts into exactly the whole
//! run's report.

use crate::{output, ExitStatus, GlobalOptions};
use journey_diagnostics::render::Format;
use journey_engine::{AttrValue, Customer, Driver, Engine, EngineOptions, Profiles, QuietMode, Report};
use journey_events::{
    read_attributes, Attributes, CustomerId, Interner, LogReader, Mapping, PropValue, ReadOptions, Schema, SkipCounts,
    SkipKind,
};
use journey_ir::{Program, Type};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Journey files or directories (default: the repository around the current directory)
    pub paths: Vec<PathBuf>,
    /// The event log (default: `events.path` of journey.yaml)
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
    /// Output format: human (default) or json (the report)
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Write every action as CSV: time, customer, journey, node, kind, channel, template
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write the mergeable partial report (JSON) here, for `journey merge`
    #[arg(long, value_name = "FILE", requires_all = ["from", "to"])]
    pub partial: Option<PathBuf>,
}

const DAY: i64 = 86_400_000;

/// Profiles of the customers: keys from the log's interner (then profile-only
/// customers), attributes from the snapshot converted to the engine's values.
struct World<'a> {
    log_keys: &'a Interner,
    extra_keys: &'a [String],
    profiles: &'a HashMap<String, Vec<AttrValue>>,
}

impl Profiles for World<'_> {
    fn customer(&self, id: CustomerId) -> Customer<'_> {
        let i = id.0 as usize;
        let key = if i < self.log_keys.len() {
            self.log_keys.resolve(id.0)
        } else {
            self.extra_keys[i - self.log_keys.len()].as_str()
        };
        let attributes = self.profiles.get(key).map(Vec::as_slice).unwrap_or(&[]);
        Customer { id, key, attributes }
    }
}

/// The snapshot's typed values in the engine's units.
fn convert(program: &Program, attrs: &Attributes, values: &[PropValue], schema: &Schema) -> Vec<AttrValue> {
    let tz = schema.timezone();
    program
        .attributes
        .iter()
        .zip(values)
        .map(|(def, v)| match (*v, &def.ty) {
            (PropValue::Missing, _) => AttrValue::Missing,
            (PropValue::Number(n) | PropValue::Money(n), _) => AttrValue::Number(n),
            (PropValue::Bool(b), _) => AttrValue::Bool(b),
            (PropValue::Text(t), _) => AttrValue::Text(attrs.texts.resolve(t).to_string()),
            (PropValue::Time(t), Type::Date) => {
                journey_engine::time::parse_date(&journey_engine::time::day_label(tz, t))
                    .map(AttrValue::Date)
                    .unwrap_or(AttrValue::Missing)
            }
            (PropValue::Time(t), _) => AttrValue::Time(t),
        })
        .collect()
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
    pub base: PathBuf,
}

fn setup(paths: &[PathBuf], global: &GlobalOptions) -> miette::Result<Result<Setup, ExitStatus>> {
    let project = output::load(paths)?;
    let (checked, diags) = output::check(&project);
    if output::has_errors(&diags) {
        output::report(&diags, &project, Format::Full, global);
        return Ok(Err(ExitStatus::Failure));
    }
    let text = project.config_file.map(|id| project.sources.get(id).text.to_string()).unwrap_or_default();
    let mapping =
        match Mapping::from_yaml_in(project.config.events.as_ref(), &text, project.config_file.unwrap_or_default()) {
            Ok(m) => m,
            Err(d) => {
                output::report(&d, &project, Format::Full, global);
                return Ok(Err(ExitStatus::Failure));
            }
        };
    Ok(Ok(Setup { program: checked.program, mapping, base: project.root.clone() }))
}

pub fn run(args: SimulateArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let Setup { program, mapping, base } = match setup(&args.paths, global)? {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let schema = Schema::from_program(&program);
    let tz = schema.timezone();
    let file = match (&args.events, &mapping.path) {
        (Some(f), _) => f.clone(),
        (None, Some(p)) => base.join(p),
        (None, None) => {
            return Err(miette::miette!(
                help = "pass `--events events.csv` or set `events.path` in journey.yaml",
                "no event log given"
            ))
        }
    };
    let read_options = ReadOptions { skip_bad_rows: args.skip_bad_rows, sort: false };

    // The simulated period: the dates given, else the log's span (one extra pass).
    let from = args.from.as_deref().map(|s| date_arg("from", s)).transpose()?;
    let to = args.to.as_deref().map(|s| date_arg("to", s)).transpose()?;
    let (start, until) = match (from, to) {
        (Some(f), Some(t)) => {
            (journey_engine::time::date_midnight(tz, f), journey_engine::time::date_midnight(tz, t + 1) - 1)
        }
        _ => {
            let stats =
                journey_events::parse_only_with(&file, &mapping, &schema, read_options).map_err(miette::Report::new)?;
            let (Some(first), Some(last)) = (stats.first, stats.last) else {
                return Err(miette::miette!("{}: the log has no events", file.display()));
            };
            let start = from.map(|f| journey_engine::time::date_midnight(tz, f)).unwrap_or(first);
            let until = to.map(|t| journey_engine::time::date_midnight(tz, t + 1) - 1).unwrap_or(last);
            (start, until)
        }
    };
    if until < start {
        return Err(miette::miette!("the simulated period is empty: --to is before --from"));
    }

    // Attributes, keyed by customer.
    let attr_path = args.attributes.clone().or_else(|| mapping.attributes.as_ref().map(|p| base.join(p)));
    let mut profiles: HashMap<String, Vec<AttrValue>> = HashMap::new();
    let mut profile_order: Vec<String> = Vec::new();
    if let Some(p) = &attr_path {
        let attrs = read_attributes(p, &program).map_err(miette::Report::new)?;
        for i in 0..attrs.customers.len() as u32 {
            let key = attrs.customers.resolve(i).to_string();
            let values = attrs.get(&key).expect("customer of the snapshot");
            profiles.insert(key.clone(), convert(&program, &attrs, values, &schema));
            profile_order.push(key);
        }
    }

    let quiet_hours = if args.quiet_hours == "drop" { QuietMode::Drop } else { QuietMode::Defer };
    let engine = Engine::new(&program, EngineOptions { quiet_hours, seed: args.seed, start, until });
    let mut driver = Driver::new(&engine);
    let mut reader = LogReader::open(&file, &mapping, &schema, read_options).map_err(miette::Report::new)?;
    let mut trace = match &args.trace {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| miette::miette!("cannot write {}: {e}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            writeln!(w, "time,customer,journey,node,kind,channel,template").map_err(|e| write_err(p, e))?;
            Some((p.clone(), w))
        }
        None => None,
    };
    let no_extra: Vec<String> = Vec::new();
    while let Some(event) = reader.next_event() {
        let event = event.map_err(miette::Report::new)?;
        let world = World { log_keys: reader.interner(), extra_keys: &no_extra, profiles: &profiles };
        driver.push(&event, &world, reader.texts());
        if let Some((p, w)) = &mut trace {
            write_trace(w, &program, &world, &driver.take_actions()).map_err(|e| write_err(p, e))?;
        } else {
            driver.take_actions();
        }
    }
    // Customers of the snapshot without events still get their scheduled and
    // date-attribute entries.
    let log_keys = reader.interner();
    let extra: Vec<String> = profile_order.into_iter().filter(|k| log_keys.get(k).is_none()).collect();
    let world = World { log_keys, extra_keys: &extra, profiles: &profiles };
    for i in 0..extra.len() {
        driver.add_customer(world.customer(CustomerId((log_keys.len() + i) as u32)));
    }
    let (actions, report) = driver.finish(reader.texts());
    if let Some((p, mut w)) = trace {
        write_trace(&mut w, &program, &world, &actions).map_err(|e| write_err(&p, e))?;
        w.flush().map_err(|e| write_err(&p, e))?;
    }
    if let Some(p) = &args.partial {
        std::fs::write(p, report.to_json()).map_err(|e| write_err(p, e))?;
    }
    if args.format == "json" {
        print!("{}", report.to_json());
        if !global.quiet && reader.skipped().total() > 0 {
            eprint!("{}", skipped_text(reader.skipped()));
        }
    } else {
        let days = (until - start + DAY - 1) / DAY;
        println!(
            "{}: {} to {} ({} day{}), seed {}, quiet hours {}",
            file.display(),
            journey_engine::time::day_label(tz, start),
            journey_engine::time::day_label(tz, until),
            days,
            if days == 1 { "" } else { "s" },
            args.seed,
            args.quiet_hours
        );
        print!("{}", human(&report, Some(&program)));
        print!("{}", skipped_text(reader.skipped()));
    }
    Ok(ExitStatus::Success)
}

fn write_err(p: &Path, e: std::io::Error) -> miette::Report {
    miette::miette!("cannot write {}: {e}", p.display())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_trace(
    w: &mut impl Write,
    program: &Program,
    world: &World,
    actions: &[journey_engine::Action],
) -> std::io::Result<()> {
    for a in actions {
        let key = world.customer(a.customer).key;
        let v = a.describe(program, key);
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            journey_events::time::format(a.time),
            csv_field(key),
            csv_field(&s("journey")),
            csv_field(&s("node")),
            csv_field(&s("action")),
            csv_field(&s("channel")),
            csv_field(&s("template"))
        )?;
    }
    Ok(())
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
        out.push_str(&format!(
            "\n{:<w$}  {:>8}  {:>8}  {:>8}  {:>7}  {:>9}  {:>8}  {:>8}\n",
            "journey", "entrants", "holdout", "sends", "cap hit", "quiet def", "consent", "dropped"
        ));
        for (name, j) in &r.journeys {
            let sends: u64 = j.sends.values().flat_map(|m| m.values()).sum();
            out.push_str(&format!(
                "{name:<w$}  {:>8}  {:>8}  {:>8}  {:>7}  {:>9}  {:>8}  {:>8}\n",
                j.entrants, j.holdout, sends, j.cap_hits, j.quiet_deferrals, j.consent_suppressions, j.quiet_drops
            ));
        }
    }
    if !r.channels.is_empty() {
        let w = r.channels.keys().map(String::len).max().unwrap_or(7).max(7);
        out.push_str(&format!(
            "\n{:<w$}  {:>8}  {:>7}  {:>9}  {:>8}  {:>7}  {:>6}  {:>8}\n",
            "channel", "sends", "cap hit", "quiet def", "consent", "min gap", "tasks", "webhooks"
        ));
        for (name, c) in &r.channels {
            out.push_str(&format!(
                "{name:<w$}  {:>8}  {:>7}  {:>9}  {:>8}  {:>7}  {:>6}  {:>8}\n",
                c.sends,
                c.cap_hits,
                c.quiet_hour_deferrals,
                c.consent_suppressions,
                c.min_gap_deferrals,
                c.tasks,
                c.webhooks
            ));
        }
    }
    if !r.policy_cap_hits.is_empty() || r.quiet_day_deferrals + r.quiet_day_drops + r.policy_min_gap_deferrals > 0 {
        out.push_str("\npolicy:\n");
        for (cap, n) in &r.policy_cap_hits {
            out.push_str(&format!("  cap {cap}: {n} refused\n"));
        }
        if r.quiet_day_deferrals + r.quiet_day_drops > 0 {
            out.push_str(&format!("  quiet days: {} deferred, {} dropped\n", r.quiet_day_deferrals, r.quiet_day_drops));
        }
        if r.policy_min_gap_deferrals > 0 {
            out.push_str(&format!("  min gap: {} deferred\n", r.policy_min_gap_deferrals));
        }
    }
    let goals: Vec<_> =
        r.journeys.iter().flat_map(|(j, jr)| jr.goals.iter().map(move |(g, gr)| (j, jr, g, gr))).collect();
    if !goals.is_empty() {
        out.push_str("\ngoals (conversions: treated vs holdout):\n");
        for (j, jr, g, gr) in goals {
            out.push_str(&format!(
                "  {j} / {g}: treated {} of {} ({}), holdout {} of {} ({})\n",
                gr.treated_conversions,
                jr.treated,
                pct(gr.treated_conversions, jr.treated),
                gr.holdout_conversions,
                jr.holdout,
                pct(gr.holdout_conversions, jr.holdout)
            ));
        }
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
