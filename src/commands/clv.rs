//! `journey clv`: fit customer-lifetime-value models, predict per customer and
//! cohort, and backtest on a transaction log. The models live in journey_clv;
//! this file only reads arguments and prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use journey_clv::backtest::{backtest, BacktestReport, CountModel};
use journey_clv::clv::{value_customers, ClvOptions, ClvReport, PurchaseModel};
use journey_clv::error::ClvError;
use journey_clv::fit::FitReport;
use journey_clv::rfm::{looks_like_summary, read_summary, summarize, RfmSummary, TimeUnit, WeightedRow};
use journey_clv::sbg::{Lifetimes, ShiftedBetaGeometric};
use journey_clv::summary_rows::read_summary_rows;
use journey_clv::table::{split_rows, Delimiter};
use journey_clv::translog::{read_log, ColumnMapping, ColumnRef, LogOptions, RefundRule};
use journey_clv::NaiveDate;
use journey_clv::{bgbb, bgnbd, gammagamma, kaplan_meier, paretonbd, plot, sbg};
use serde_json::{json, Value};

#[derive(Args, Debug)]
pub struct ClvArgs {
    #[command(subcommand)]
    pub command: ClvCommand,
}

#[derive(Subcommand, Debug)]
pub enum ClvCommand {
    /// Fit a model to a transaction log or an RFM summary and explain the parameters
    Fit(FitArgs),
    /// Forecast purchases and lifetime value per customer and per cohort
    Predict(PredictArgs),
    /// Fit on a calibration period of a log and compare forecasts with the holdout
    Backtest(BacktestArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    BgNbd,
    ParetoNbd,
    GammaGamma,
    Sbg,
    /// BG/BB: discrete opportunities (frequency, recency, periods[, weights])
    BgBb,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountModelArg {
    BgNbd,
    ParetoNbd,
}

impl CountModelArg {
    fn model(self) -> CountModel {
        match self {
            CountModelArg::BgNbd => CountModel::BgNbd,
            CountModelArg::ParetoNbd => CountModel::ParetoNbd,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelimiterArg {
    Comma,
    Tab,
    Semicolon,
    Whitespace,
}

/// Where the data comes from and how to read it.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// A transaction log (CSV or JSON lines) or an RFM summary CSV (columns frequency, recency, T[, monetary_value]), told apart by the header
    #[arg(long, short)]
    pub input: PathBuf,
    /// Log column with the customer id: a header name, or a 1-based position with --no-header [default: customer_id, customer, id, ...]
    #[arg(long, value_name = "COLUMN")]
    pub customer: Option<String>,
    /// Log column with the purchase date or timestamp [default: timestamp, date, ...]
    #[arg(long, value_name = "COLUMN")]
    pub timestamp: Option<String>,
    /// Log column with the purchase amount [default: amount, value, revenue, ...]
    #[arg(long, value_name = "COLUMN")]
    pub amount: Option<String>,
    /// The log has no header row (columns are then given by position)
    #[arg(long)]
    pub no_header: bool,
    /// Field separator of a delimited log [default: guessed from the first line]
    #[arg(long, value_enum)]
    pub delimiter: Option<DelimiterArg>,
    /// chrono format of the timestamps, e.g. "%d/%m/%Y" [default: ISO dates, RFC 3339, yyyymmdd]
    #[arg(long, value_name = "FORMAT")]
    pub timestamp_format: Option<String>,
    /// Time unit of recency, T and horizons
    #[arg(long, value_enum, default_value = "weeks")]
    pub time_unit: Unit,
    /// Last day of the calibration period for a log (YYYY-MM-DD) [default: the last date in the log]
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub calibration_end: Option<NaiveDate>,
    /// Negative amounts in a log: reject (stop at the first, with file:line) or net (against the same day's purchases; a day counts only if it nets positive)
    #[arg(long, value_enum, default_value = "reject")]
    pub refunds: RefundsArg,
    /// Read only the log's rows of this event (a project's event log: `--event purchase`); the others are counted and left out
    #[arg(long, value_name = "NAME")]
    pub event: Option<String>,
    /// Log column with the event name, for --event [default: event, event_name, event_type, type]
    #[arg(long, value_name = "COLUMN", requires = "event")]
    pub event_column: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundsArg {
    Reject,
    Net,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalArg {
    /// ± one standard error from the inverse Hessian (fast)
    Se,
    /// 95% percentile intervals from refitting on resampled customers (bg-nbd, pareto-nbd)
    Bootstrap,
}

#[derive(Args, Debug)]
pub struct FitArgs {
    #[arg(long, value_enum)]
    pub model: Model,
    #[command(flatten)]
    pub input: InputArgs,
    /// How to show the uncertainty of the parameters
    #[arg(long, value_enum, default_value = "se")]
    pub interval: IntervalArg,
    /// Resamples for --interval bootstrap
    #[arg(long, default_value_t = 200)]
    pub resamples: usize,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Purchase-count model (spend comes from Gamma-Gamma when amounts are present)
    #[arg(long, value_enum, default_value = "bg-nbd")]
    pub model: CountModelArg,
    #[command(flatten)]
    pub input: InputArgs,
    /// Forecast horizon in the time unit [default: one year]
    #[arg(long)]
    pub horizon: Option<f64>,
    /// Share of spend that is profit (0-1)
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Annual discount rate, applied monthly
    #[arg(long, default_value_t = 0.10)]
    pub discount_rate: f64,
    /// Monthly discount rate instead of an annual one (lifetimes' `discount_rate`)
    #[arg(long, value_name = "RATE", conflicts_with = "discount_rate")]
    pub monthly_discount_rate: Option<f64>,
    /// Length of the CLV month (the discounting step): 52/12w (default in weeks), 365/12d (default in days), or lifetimes' 4.345w / 30d; any NUMBER or A/B followed by d or w
    #[arg(long, value_name = "LENGTH", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Column to group customers by (summary column, or log column taken from each customer's first purchase)
    #[arg(long, value_name = "COLUMN")]
    pub cohort: Option<String>,
    /// Parameter draws for the 95% intervals (0 turns them off)
    #[arg(long, default_value_t = 200)]
    pub draws: usize,
    /// Seed for the parameter draws
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many of the most valuable customers to show
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Write every customer's forecast to this CSV file
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add each customer's probability of exactly n purchases over the horizon, for n = 0..N (columns p0..pN in --output, prob_purchases in JSON)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub prob_purchases: Option<u32>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    #[arg(long, value_enum, default_value = "bg-nbd")]
    pub model: CountModelArg,
    #[command(flatten)]
    pub input: InputArgs,
    /// Last day of the holdout period (YYYY-MM-DD) [default: the last date in the log]
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub holdout_end: Option<NaiveDate>,
    /// Write the expected-vs-actual chart (weekly and cumulative) here (.svg, or .html for a page)
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// A CLV month: its length in days and how the user wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Month {
    days: f64,
    text: String,
}

fn parse_month(text: &str) -> Result<Month, String> {
    let t = text.trim();
    let expected = || format!("expected a month length like 30d, 4.345w, 52/12w or 365/12d, found {text:?}");
    let (number, per_day) = match t.char_indices().last() {
        Some((i, 'd' | 'D')) => (&t[..i], 1.0),
        Some((i, 'w' | 'W')) => (&t[..i], 7.0),
        _ => return Err(expected()),
    };
    let value = match number.split_once('/') {
        Some((a, b)) => a.trim().parse::<f64>().ok().zip(b.trim().parse::<f64>().ok()).map(|(a, b)| a / b),
        None => number.trim().parse::<f64>().ok(),
    };
    match value {
        Some(v) if v.is_finite() && v > 0.0 => Ok(Month { days: v * per_day, text: t.to_string() }),
        _ => Err(expected()),
    }
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("expected a date like 1997-09-30: {e}"))
}

pub fn run(args: ClvArgs, global: &crate::GlobalOptions) -> miette::Result<crate::ExitStatus> {
    let out = match args.command {
        ClvCommand::Fit(a) => run_fit(&a, global),
        ClvCommand::Predict(a) => run_predict(&a, global),
        ClvCommand::Backtest(a) => run_backtest(&a, global),
    }
    .map_err(miette::Report::new)?;
    // files once the run succeeded, each whole or not at all
    for (path, body) in &out.files {
        crate::files::write_atomically(path, body.as_bytes())?;
    }
    crate::out!("{}", out.text)?;
    Ok(if out.ok { crate::ExitStatus::Success } else { crate::ExitStatus::Failure })
}

struct Output {
    text: String,
    /// False when the result is usable but suspect (a fit that did not converge).
    ok: bool,
    /// Files to write (`--output`, `--plot`) and their content.
    files: Vec<(PathBuf, String)>,
}

// ---------------------------------------------------------------- input

fn unit(u: Unit) -> TimeUnit {
    match u {
        Unit::Days => TimeUnit::Days,
        Unit::Weeks => TimeUnit::Weeks,
    }
}

fn read_text(path: &Path) -> Result<(String, String), ClvError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ClvError::Io { path: name.clone(), error: source })?;
    Ok((name, text))
}

fn log_options(a: &InputArgs, cohort: Option<&str>) -> LogOptions {
    LogOptions {
        format: None,
        delimiter: a.delimiter.map(|d| match d {
            DelimiterArg::Comma => Delimiter::Comma,
            DelimiterArg::Tab => Delimiter::Tab,
            DelimiterArg::Semicolon => Delimiter::Semicolon,
            DelimiterArg::Whitespace => Delimiter::Whitespace,
        }),
        has_header: !a.no_header,
        mapping: ColumnMapping {
            customer: a.customer.as_deref().map(ColumnRef::parse),
            timestamp: a.timestamp.as_deref().map(ColumnRef::parse),
            amount: a.amount.as_deref().map(ColumnRef::parse),
            cohort: cohort.map(ColumnRef::parse),
            event: a.event_column.as_deref().map(ColumnRef::parse),
        },
        timestamp_format: a.timestamp_format.clone(),
        refunds: match a.refunds {
            RefundsArg::Reject => RefundRule::Reject,
            RefundsArg::Net => RefundRule::Net,
        },
        event: a.event.clone(),
    }
}

enum Loaded {
    Summary(RfmSummary),
    /// A log summarised, and how many rows of other events than `--event` it left out.
    Log(RfmSummary, Option<(String, u64)>),
}

impl Loaded {
    fn summary(&self) -> &RfmSummary {
        match self {
            Loaded::Summary(s) | Loaded::Log(s, _) => s,
        }
    }
    fn source(&self) -> String {
        match self {
            Loaded::Summary(_) => "an rfm summary".into(),
            Loaded::Log(_, None) => "a transaction log".into(),
            Loaded::Log(_, Some((event, other))) => {
                format!("the `{event}` rows of a log ({other} rows of other events left out)")
            }
        }
    }
}

/// Read an RFM summary or a transaction log (summarised at the calibration end).
fn load(a: &InputArgs, cohort: Option<&str>) -> Result<Loaded, ClvError> {
    let (name, text) = read_text(&a.input)?;
    load_from(a, cohort, &name, &text)
}

/// [`load`] given the file's name and text.
fn load_from(a: &InputArgs, cohort: Option<&str>, name: &str, text: &str) -> Result<Loaded, ClvError> {
    let u = unit(a.time_unit);
    if !a.no_header && looks_like_summary(text) {
        return Ok(Loaded::Summary(read_summary(name, text, u, cohort)?));
    }
    let log = read_log(name, text, &log_options(a, cohort))?;
    if let Some(end) = a.calibration_end {
        journey_clv::rfm::check_calibration_end(&log, end)?;
    }
    let summary = summarize(&log, u, a.calibration_end);
    Ok(Loaded::Log(summary, a.event.clone().map(|e| (e, log.other_events))))
}

/// What a count model is fitted from: the customers, or only how many share
/// each distinct row.
enum Counted {
    Customers(Loaded),
    /// A summary read straight into distinct rows ([`read_summary_rows`]).
    Rows {
        customers: usize,
    },
}

/// The distinct (x, t_x, T) rows of the input and what they came from. A
/// summary goes straight to rows when the fast reader takes it (a million
/// customers in a fraction of the time); anything else, errors included, is
/// read by [`load`] as always. The file is mapped rather than read where it
/// can be ([`crate::mapped_file`], which says what that risks).
fn load_count_rows(a: &InputArgs) -> Result<(Vec<WeightedRow>, Counted), ClvError> {
    let name = a.input.display().to_string();
    let read = |text: &str| {
        if !a.no_header && looks_like_summary(text) {
            if let Some(s) = read_summary_rows(text) {
                return Ok((s.rows, Counted::Rows { customers: s.customers }));
            }
        }
        let data = load_from(a, None, &name, text)?;
        Ok((data.summary().compressed(), Counted::Customers(data)))
    };
    crate::mapped_file::with_file_text(&a.input, read).map_err(|error| ClvError::Io { path: name.clone(), error })?
}

/// sBG input: a CSV with a `survivors` column (customers still active at the
/// start of each period, first row the cohort size) or per-customer `periods`
/// and `active` (1/0, true/false) columns.
fn load_lifetimes(path: &Path) -> Result<(Lifetimes, Option<Vec<f64>>), ClvError> {
    let (name, text) = read_text(path)?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let rows = split_rows(&name, &text, Delimiter::sniff(first))?;
    let Some((head, data)) = rows.split_first() else {
        return Err(ClvError::EmptyInput { path: name, message: "the file is empty".into() });
    };
    let col = |n: &str| head.fields.iter().position(|f| f.text.eq_ignore_ascii_case(n));
    let number = |row: &journey_clv::table::Row, i: usize, what: &str| -> Result<f64, ClvError> {
        let f = row.fields.get(i).ok_or_else(|| {
            journey_clv::error::bad_row(
                &name,
                &text,
                row.start,
                row.end,
                format!("missing the {what} field"),
                "too few fields",
                None,
            )
        })?;
        f.text.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| {
            journey_clv::error::bad_row(
                &name,
                &text,
                f.start,
                f.end,
                format!("cannot read {:?} as {what}", f.text),
                "expected a non-negative number",
                None,
            )
        })
    };
    if let Some(i) = col("survivors").or_else(|| col("active_customers")) {
        let counts = data.iter().map(|r| number(r, i, "a survivor count")).collect::<Result<Vec<f64>, _>>()?;
        return Ok((Lifetimes::from_survivors(&counts)?, Some(counts)));
    }
    if let (Some(p), Some(a)) = (col("periods"), col("active")) {
        let mut out = Vec::with_capacity(data.len());
        for r in data {
            let periods = number(r, p, "a number of periods")?;
            if periods < 1.0 || periods.fract() != 0.0 || periods > f64::from(u32::MAX) {
                let f = &r.fields[p];
                return Err(journey_clv::error::bad_row(
                    &name,
                    &text,
                    f.start,
                    f.end,
                    format!("periods {:?} is not a whole number of periods of at least 1", f.text),
                    "expected 1, 2, 3, ...",
                    Some("periods counts the periods a customer was seen, their first included".into()),
                ));
            }
            let f = r.fields.get(a).map(|f| (f.text.to_ascii_lowercase(), f.start, f.end));
            let active = match f.as_ref().map(|(t, _, _)| t.as_str()) {
                Some("1" | "true" | "yes") => true,
                Some("0" | "false" | "no") => false,
                _ => {
                    let (s, e) = f.map_or((r.start, r.end), |(_, s, e)| (s, e));
                    return Err(journey_clv::error::bad_row(
                        &name,
                        &text,
                        s,
                        e,
                        "active must be 1/0, true/false or yes/no",
                        "expected a flag",
                        None,
                    ));
                }
            };
            out.push((periods as u32, active));
        }
        return Ok((Lifetimes::from_customers(out), None));
    }
    Err(ClvError::MissingColumn {
        path: name,
        column: "survivors".into(),
        help: Some("sbg reads a `survivors` column (one row per period, first row the cohort size) or `periods` and `active` columns (one row per customer)".into()),
    })
}

// ---------------------------------------------------------------- fit

/// BG/NBD as `clv fit` fits it: everything it prints is rounded (6 decimals
/// at most), so the extra starts run only if the first does not end at a sharp
/// optimum ([`journey_clv::fit::Starts::OneIfSharp`] says why that prints the
/// same). Other callers print full-precision values and run every start.
fn fit_bgnbd_rounded(rows: &[WeightedRow]) -> Result<FitReport, ClvError> {
    bgnbd::fit_from(rows, journey_clv::fit::Starts::OneIfSharp)
}

fn run_fit(a: &FitArgs, global: &crate::GlobalOptions) -> Result<Output, ClvError> {
    if a.interval == IntervalArg::Bootstrap && !matches!(a.model, Model::BgNbd | Model::ParetoNbd) {
        return Err(ClvError::InvalidArgument("--interval bootstrap is offered for bg-nbd and pareto-nbd".into()));
    }
    let mut boot = None;
    let (fit, source, extra) = match a.model {
        Model::Sbg => {
            let (lifetimes, survivors) = load_lifetimes(&a.input.input)?;
            let fit = sbg::fit(&lifetimes)?;
            (fit, "cohort lifetimes".to_string(), survivors)
        }
        Model::BgNbd | Model::ParetoNbd => {
            let (rows, counted) = load_count_rows(&a.input)?;
            let fitter: fn(&[journey_clv::rfm::WeightedRow]) -> Result<FitReport, ClvError> =
                if a.model == Model::BgNbd { fit_bgnbd_rounded } else { paretonbd::fit };
            let mut fit = fitter(&rows)?;
            let source = match &counted {
                Counted::Customers(data) => {
                    warn_dominant(data.summary(), &rows, &mut fit)?;
                    data.source()
                }
                Counted::Rows { customers } => {
                    // Naming dominant customers needs the customers: read
                    // them only in the rare case there are some to name.
                    if !journey_clv::clv::dominant_rows(&rows, &fit, DOMINANT_SHARE, *customers)?.is_empty() {
                        warn_dominant(load(&a.input, None)?.summary(), &rows, &mut fit)?;
                    }
                    "an rfm summary".to_string()
                }
            };
            if a.interval == IntervalArg::Bootstrap {
                boot = Some(journey_clv::bootstrap::bootstrap(&rows, &fitter, a.resamples, 1)?);
            }
            (fit, source, None)
        }
        Model::BgBb => {
            let (name, text) = read_text(&a.input.input)?;
            let fit = bgbb::fit(&bgbb::read_table(&name, &text)?)?;
            (fit, "discrete-opportunity summary".to_string(), None)
        }
        Model::GammaGamma => {
            let data = load(&a.input, None)?;
            let s = data.summary();
            if s.customers.iter().all(|c| c.monetary_value.is_none()) {
                return Err(ClvError::InvalidArgument(format!(
                    "{}: gamma-gamma needs spend: a monetary_value column in the summary, or an amount column in the log",
                    a.input.input.display()
                )));
            }
            let fit = gammagamma::fit(s.customers.iter().map(|c| (c.frequency, c.monetary_value.unwrap_or(0.0))))?;
            (fit, data.source(), None)
        }
    };
    let u = unit(a.input.time_unit);
    let reading = read_params(&fit, u);
    let text = match a.format {
        Format::Json => {
            let mut v = fit_json(&fit);
            v["source"] = json!(source);
            v["time_unit"] = json!(u.name());
            v["reading"] = json!(reading);
            if let Some(s) = &extra {
                v["curve"] = sbg_curve_json(&fit, s);
            }
            if let Some(b) = &boot {
                v["bootstrap"] = json!({
                    "resamples": b.resamples,
                    "failed": b.failed,
                    "intervals_95": fit.names.iter().zip(&b.intervals)
                        .map(|(n, (lo, hi))| (n.to_string(), json!([round(*lo, 6), round(*hi, 6)])))
                        .collect::<serde_json::Map<String, Value>>(),
                });
            }
            pretty(&v)
        }
        Format::Human => {
            let mut t = fit_human(&fit, &source);
            if let Some(b) = &boot {
                let _ = writeln!(
                    t,
                    "  95% bootstrap intervals ({} resamples of the customers{}):",
                    b.resamples,
                    if b.failed > 0 { format!(", {} failed fits left out", b.failed) } else { String::new() }
                );
                for (n, (lo, hi)) in fit.names.iter().zip(&b.intervals) {
                    let _ = writeln!(t, "  {n:<15} [{lo:.4}, {hi:.4}]");
                }
            }
            if let Some(s) = &extra {
                t.push_str(&sbg_curve_human(&fit, s));
            }
            if !global.quiet {
                for line in &reading {
                    let _ = writeln!(t, "  {line}");
                }
            }
            t
        }
    };
    Ok(Output { text, ok: fit.converged, files: Vec::new() })
}

/// Name the customers who dominate the likelihood (see
/// [`journey_clv::clv::dominant_customers`]) in the fit's warnings.
fn warn_dominant(summary: &RfmSummary, rows: &[WeightedRow], fit: &mut FitReport) -> Result<(), ClvError> {
    let dominant = journey_clv::clv::dominant_customers_in(summary, rows, fit, DOMINANT_SHARE)?;
    if dominant.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = dominant
        .iter()
        .take(5)
        .map(|(id, share)| {
            let c = summary.customers.iter().find(|c| &c.id == id);
            let x = c.map(|c| format!(", frequency {}", c.frequency)).unwrap_or_default();
            format!("customer {id} ({:.0}% of |log-likelihood|{x})", 100.0 * share)
        })
        .collect();
    fit.warnings.push(format!(
        "{} dominate{} the likelihood: the parameters are pulled to explain {} rather than the other {} customers; check {} for a data error, or fit without {}",
        named.join(", "),
        if dominant.len() == 1 { "s" } else { "" },
        if dominant.len() == 1 { "that row" } else { "those rows" },
        summary.customers.len() - dominant.len(),
        if dominant.len() == 1 { "it" } else { "them" },
        if dominant.len() == 1 { "it" } else { "them" },
    ));
    Ok(())
}

/// A single customer above this share of |ln L| is named in a warning: in a
/// healthy fit of n customers each holds about 1/n of it.
const DOMINANT_SHARE: f64 = 0.05;

/// A `--format json` output: the format's version first, then `v`'s keys.
fn pretty(v: &Value) -> String {
    crate::json_format::pretty(crate::json_format::CLV, v)
}

fn model_title(model: &str) -> &'static str {
    match model {
        "bg-nbd" => "BG/NBD",
        "pareto-nbd" => "Pareto/NBD",
        "gamma-gamma" => "Gamma-Gamma",
        "sbg" => "shifted-beta-geometric",
        "bg-bb" => "BG/BB",
        _ => "model",
    }
}

fn fit_json(f: &FitReport) -> Value {
    let params: serde_json::Map<String, Value> =
        f.names.iter().zip(&f.params).map(|(n, p)| (n.to_string(), json!(round(*p, 6)))).collect();
    let se: Value = match &f.std_errors {
        Some(se) => Value::Object(f.names.iter().zip(se).map(|(n, s)| (n.to_string(), json!(round(*s, 6)))).collect()),
        None => Value::Null,
    };
    json!({
        "model": f.model,
        "params": params,
        "std_errors": se,
        "log_likelihood": round(f.log_likelihood, 4),
        "customers": f.customers,
        "distinct_rows": f.distinct_rows,
        "converged": f.converged,
        "std_errors_are": "one standard error (delta method, inverse Hessian)",
        "warnings": f.warnings,
    })
}

/// Round for output so JSON does not carry optimiser noise in the last digits.
fn round(v: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (v * s).round() / s
}

fn fit_human(f: &FitReport, source: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} fitted to {} customers from {source} ({} distinct rows){}",
        model_title(f.model),
        f.customers,
        f.distinct_rows,
        if f.converged { "" } else { " - did not converge, treat with care" }
    );
    for (i, (n, p)) in f.names.iter().zip(&f.params).enumerate() {
        let se = f.std_errors.as_ref().map(|s| format!("  ± {:.4}", s[i])).unwrap_or_default();
        let _ = writeln!(t, "  {n:<15} {p:>10.4}{se}");
    }
    let _ = writeln!(t, "  {:<15} {:>10.2}", "log-likelihood", f.log_likelihood);
    if f.std_errors.is_some() {
        let _ = writeln!(t, "  ± is one standard error (about 68% coverage; double it for 95%)");
    } else {
        let _ =
            writeln!(t, "  no standard errors: the likelihood is flat at this point (Hessian not positive definite)");
    }
    for w in &f.warnings {
        let _ = writeln!(t, "  warning: {w}");
    }
    t
}

/// A few sentences that say what the parameters mean for the business.
fn read_params(f: &FitReport, u: TimeUnit) -> Vec<String> {
    let p = |n: &str| f.param(n).unwrap_or(f64::NAN);
    let unit = u.name();
    match f.model {
        "bg-nbd" => {
            let rate = p("r") / p("alpha");
            let drop = p("a") / (p("a") + p("b"));
            vec![
                format!(
                    "while active, the average customer buys about every {:.1} {unit} (r/alpha = {:.3} purchases per {}); r = {:.2} {} means buying rates differ {} between customers",
                    1.0 / rate,
                    rate,
                    unit.trim_end_matches('s'),
                    p("r"),
                    if p("r") < 1.0 { "below 1" } else { "above 1" },
                    if p("r") < 1.0 { "a lot" } else { "moderately" }
                ),
                format!("after each repeat purchase about {:.0}% of customers drop out for good (a/(a+b))", 100.0 * drop),
            ]
        }
        "pareto-nbd" => {
            let rate = p("r") / p("alpha");
            // Lifetimes are Pareto (Lomax) distributed: P(alive at t) = (β/(β+t))^s.
            let median = p("beta") * (2f64.powf(1.0 / p("s")) - 1.0);
            let mean = if p("s") > 1.0 {
                format!("mean lifetime {:.1} {unit}", p("beta") / (p("s") - 1.0))
            } else {
                "the mean lifetime is unbounded (s <= 1): a few customers stay for very long".into()
            };
            vec![
                format!(
                    "while active, the average customer buys about every {:.1} {unit} (r/alpha = {:.3} per {})",
                    1.0 / rate,
                    rate,
                    unit.trim_end_matches('s')
                ),
                if median.is_finite() {
                    format!("half of new customers are still active after about {median:.1} {unit}; {mean}")
                } else {
                    format!("lifetimes are too long for the data to put a number on (s = {:.3e})", p("s"))
                },
            ]
        }
        "bg-bb" => {
            let m = journey_clv::bgbb::BgBb::from_report(f);
            vec![
                format!(
                    "while alive, the average customer transacts at {:.0}% of opportunities (alpha/(alpha+beta)); before each opportunity {:.0}% drop out for good (gamma/(gamma+delta))",
                    100.0 * p("alpha") / (p("alpha") + p("beta")),
                    100.0 * p("gamma") / (p("gamma") + p("delta"))
                ),
                format!(
                    "a new customer is expected to transact {:.2} times in the first 5 opportunities and {:.2} in the first 10",
                    m.expected_transactions(5),
                    m.expected_transactions(10)
                ),
            ]
        }
        "gamma-gamma" => {
            let (pp, q, g) = (p("p"), p("q"), p("gamma"));
            let mean = if q > 1.0 { format!("about {:.2}", pp * g / (q - 1.0)) } else { "unbounded (q <= 1)".into() };
            vec![
                format!("the average spend per purchase across customers is {mean} (p*gamma/(q-1))"),
                format!(
                    "a customer's own average counts for {:.0}% of their expected spend after 1 repeat purchase and {:.0}% after 5 (p*x/(p*x+q-1))",
                    100.0 * pp / (pp + q - 1.0),
                    100.0 * 5.0 * pp / (5.0 * pp + q - 1.0)
                ),
            ]
        }
        "sbg" => {
            let m = ShiftedBetaGeometric { alpha: p("alpha"), beta: p("beta") };
            vec![
                format!("{:.0}% of new customers leave after the first period (alpha/(alpha+beta))", 100.0 * (1.0 - m.retention(1))),
                format!(
                    "retention rises with tenure as the likely churners leave: {:.0}% in period 2, {:.0}% in period 5, {:.0}% in period 10",
                    100.0 * m.retention(2),
                    100.0 * m.retention(5),
                    100.0 * m.retention(10)
                ),
                format!(
                    "a new customer is worth {:.2} discounted payments at 10% per period (DEL); one with 4 renewals {:.2} more (DERL)",
                    1.0 + m.derl(0.10, 0) * (1.0 / 1.1),
                    m.derl(0.10, 4)
                ),
            ]
        }
        _ => Vec::new(),
    }
}

fn sbg_curve_json(f: &FitReport, survivors: &[f64]) -> Value {
    let m = ShiftedBetaGeometric::from_report(f);
    let km = kaplan_meier::from_survivors(survivors);
    let n0 = survivors.first().copied().unwrap_or(1.0).max(1e-12);
    let rows: Vec<Value> = (0..survivors.len() + 5)
        .map(|t| {
            let observed = survivors.get(t).map(|s| round(s / n0, 6));
            let kaplan =
                if t == 0 { Some(1.0) } else { km.iter().find(|k| k.time == t as f64).map(|k| round(k.survival, 6)) };
            json!({
                "period": t,
                "model": round(m.survival(t as u32), 6),
                "observed": observed,
                "kaplan_meier": kaplan,
                "retention": if t == 0 { Value::Null } else { json!(round(m.retention(t as u32), 6)) },
            })
        })
        .collect();
    Value::Array(rows)
}

fn sbg_curve_human(f: &FitReport, survivors: &[f64]) -> String {
    let m = ShiftedBetaGeometric::from_report(f);
    let km = kaplan_meier::from_survivors(survivors);
    let n0 = survivors.first().copied().unwrap_or(1.0).max(1e-12);
    let mut t = String::from("  period  survival (model)  observed  kaplan-meier  retention\n");
    for p in 0..survivors.len() + 5 {
        let obs = survivors.get(p).map(|s| format!("{:.1}%", 100.0 * s / n0)).unwrap_or_else(|| "-".into());
        let kmv = if p == 0 {
            "100.0%".to_string()
        } else {
            km.iter()
                .find(|k| k.time == p as f64)
                .map(|k| format!("{:.1}%", 100.0 * k.survival))
                .unwrap_or_else(|| "-".into())
        };
        let ret = if p == 0 { "-".into() } else { format!("{:.1}%", 100.0 * m.retention(p as u32)) };
        let _ = writeln!(t, "  {p:>6}  {:>15.1}%  {obs:>8}  {kmv:>12}  {ret:>9}", 100.0 * m.survival(p as u32));
    }
    t
}

// ---------------------------------------------------------------- predict

fn run_predict(a: &PredictArgs, global: &crate::GlobalOptions) -> Result<Output, ClvError> {
    let data = load(&a.input, a.cohort.as_deref())?;
    let summary = data.summary();
    let rows = summary.compressed();
    let mut purchases = match a.model {
        CountModelArg::BgNbd => bgnbd::fit(&rows)?,
        CountModelArg::ParetoNbd => paretonbd::fit(&rows)?,
    };
    warn_dominant(summary, &rows, &mut purchases)?;
    let has_spend = summary.customers.iter().any(|c| c.monetary_value.is_some());
    let spend = if has_spend {
        Some(gammagamma::fit(summary.customers.iter().map(|c| (c.frequency, c.monetary_value.unwrap_or(0.0))))?)
    } else {
        None
    };
    let u = unit(a.input.time_unit);
    let year = match u {
        TimeUnit::Weeks => 52.0,
        TimeUnit::Days => 365.0,
    };
    let month = a.month.clone().unwrap_or_else(|| match u {
        TimeUnit::Weeks => Month { days: 7.0 * 52.0 / 12.0, text: "52/12w".into() },
        TimeUnit::Days => Month { days: 365.0 / 12.0, text: "365/12d".into() },
    });
    let options = ClvOptions {
        horizon: a.horizon.unwrap_or(year),
        step: month.days / u.days(),
        discount_rate: a.monthly_discount_rate.unwrap_or((1.0 + a.discount_rate).powf(1.0 / 12.0) - 1.0),
        margin: a.margin,
        draws: a.draws,
        seed: a.seed,
    };
    let report = value_customers(summary, &purchases, spend.as_ref(), &options)?;
    let probs = match a.prob_purchases {
        Some(top) => {
            let model = PurchaseModel::from_report(&purchases)?;
            // Customers sharing (x, t_x, T) share their probabilities.
            let mut shared: std::collections::HashMap<(u32, u64, u64), Vec<f64>> = std::collections::HashMap::new();
            summary
                .customers
                .iter()
                .map(|c| {
                    shared
                        .entry((c.frequency, c.recency.to_bits(), c.t.to_bits()))
                        .or_insert_with(|| {
                            (0..=top)
                                .map(|n| {
                                    model.conditional_prob_purchases(n, options.horizon, c.frequency, c.recency, c.t)
                                })
                                .collect()
                        })
                        .clone()
                })
                .collect()
        }
        None => Vec::new(),
    };
    let files = a.output.iter().map(|path| (path.clone(), customers_csv(&report, summary, &probs))).collect();
    let ok = purchases.converged && spend.as_ref().is_none_or(|s| s.converged);
    let text = match a.format {
        Format::Json => pretty(&predict_json(&purchases, spend.as_ref(), &report, a, u, &month, &probs)),
        Format::Human => predict_human(&purchases, spend.as_ref(), &report, a, u, &month, global),
    };
    Ok(Output { text, ok, files })
}

fn ranked(report: &ClvReport) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..report.customers.len()).collect();
    let key = |i: usize| report.customers[i].clv.unwrap_or(report.customers[i].expected_purchases);
    idx.sort_by(|&x, &y| key(y).total_cmp(&key(x)).then(report.customers[x].id.cmp(&report.customers[y].id)));
    idx
}

fn predict_json(
    purchases: &FitReport,
    spend: Option<&FitReport>,
    report: &ClvReport,
    a: &PredictArgs,
    u: TimeUnit,
    month: &Month,
    probs: &[Vec<f64>],
) -> Value {
    let top: Vec<Value> = ranked(report)
        .into_iter()
        .take(a.top)
        .map(|i| {
            let c = &report.customers[i];
            let mut row = json!({
                "id": c.id, "cohort": c.cohort, "frequency": c.frequency, "recency": round(c.recency, 4), "T": round(c.t, 4),
                "p_alive": round(c.p_alive, 6), "expected_purchases": round(c.expected_purchases, 6),
                "expected_spend": c.expected_spend.map(|v| round(v, 4)), "clv": c.clv.map(|v| round(v, 4)),
            });
            if let Some(p) = probs.get(i) {
                // P(exactly n purchases over the horizon) for n = 0, 1, ...
                row["prob_purchases"] = json!(p.iter().map(|&v| round(v, 6)).collect::<Vec<_>>());
            }
            row
        })
        .collect();
    let cohorts: Vec<Value> = report
        .cohorts
        .iter()
        .map(|c| {
            json!({
                "cohort": c.cohort, "customers": c.customers,
                "expected_purchases": round(c.expected_purchases, 4),
                "expected_purchases_interval": c.expected_purchases_interval.map(|i| [round(i.low, 4), round(i.high, 4)]),
                "total_clv": c.total_clv.map(|v| round(v, 2)),
                "total_clv_interval": c.total_clv_interval.map(|i| [round(i.low, 2), round(i.high, 2)]),
                "mean_clv": c.mean_clv.map(|v| round(v, 4)),
            })
        })
        .collect();
    json!({
        "purchase_model": fit_json(purchases),
        "spend_model": spend.map(fit_json),
        "time_unit": u.name(),
        "horizon": report.options.horizon,
        "margin": a.margin,
        "annual_discount_rate": if a.monthly_discount_rate.is_some() { Value::Null } else { json!(a.discount_rate) },
        "monthly_discount_rate": round(report.options.discount_rate, 10),
        "clv_month": json!({ "length": round(report.options.step, 10), "unit": u.name(), "written": month.text }),
        "interval_draws": a.draws,
        "cohort_column": a.cohort,
        "cohorts": cohorts,
        "top_customers": top,
    })
}

fn predict_human(
    purchases: &FitReport,
    spend: Option<&FitReport>,
    report: &ClvReport,
    a: &PredictArgs,
    u: TimeUnit,
    month: &Month,
    global: &crate::GlobalOptions,
) -> String {
    let mut t = fit_human(purchases, "the calibration summary");
    if let Some(s) = spend {
        t.push_str(&fit_human(s, "the calibration summary"));
    }
    let o = &report.options;
    let rate = match a.monthly_discount_rate {
        Some(m) => format!("{:.2}% a month", 100.0 * m),
        None => format!("{:.1}% a year", 100.0 * a.discount_rate),
    };
    let _ = writeln!(
        t,
        "\nforecast over {} {}, margin {:.0}%, discounted monthly at {rate}; a CLV month is {} ({:.4} {}, --month){}",
        o.horizon,
        u.name(),
        100.0 * a.margin,
        month.text,
        o.step,
        u.name(),
        if a.draws > 0 { format!("; 95% intervals from {} parameter draws", a.draws) } else { String::new() }
    );
    if spend.is_none() {
        let _ = writeln!(
            t,
            "no spend data: showing expected purchases only (map an amount column or add monetary_value for CLV)"
        );
    }
    let _ = writeln!(
        t,
        "\n  {:<16} {:>9} {:>22} {:>26}",
        a.cohort.as_deref().unwrap_or("cohort"),
        "customers",
        "expected purchases",
        "total clv"
    );
    for c in &report.cohorts {
        let name = if c.cohort.is_empty() { "(all)" } else { c.cohort.as_str() };
        let pi = c.expected_purchases_interval.map(|i| format!(" [{:.0}-{:.0}]", i.low, i.high)).unwrap_or_default();
        let vi = c.total_clv_interval.map(|i| format!(" [{:.0}-{:.0}]", i.low, i.high)).unwrap_or_default();
        let v = c.total_clv.map(|v| format!("{v:.0}{vi}")).unwrap_or_else(|| "-".into());
        let _ =
            writeln!(t, "  {name:<16} {:>9} {:>22} {:>26}", c.customers, format!("{:.1}{pi}", c.expected_purchases), v);
    }
    if a.top > 0 {
        let _ = writeln!(t, "\n  top customers      frequency  P(alive)  expected purchases  clv");
        for i in ranked(report).into_iter().take(a.top) {
            let c = &report.customers[i];
            let _ = writeln!(
                t,
                "  {:<18} {:>9}  {:>7.1}%  {:>18.2}  {}",
                c.id,
                c.frequency,
                100.0 * c.p_alive,
                c.expected_purchases,
                c.clv.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
            );
        }
    }
    if !global.quiet {
        if let Some(p) = &a.output {
            let _ = writeln!(t, "\nwrote every customer's forecast to {}", p.display());
        }
    }
    t
}

fn customers_csv(report: &ClvReport, summary: &RfmSummary, probs: &[Vec<f64>]) -> String {
    let mut s =
        String::from("id,cohort,frequency,recency,T,monetary_value,p_alive,expected_purchases,expected_spend,clv");
    for n in 0..probs.first().map_or(0, Vec::len) {
        let _ = write!(s, ",p{n}");
    }
    s.push('\n');
    for (i, (c, rfm)) in report.customers.iter().zip(&summary.customers).enumerate() {
        let _ = write!(
            s,
            "{},{},{},{:.4},{:.4},{},{:.6},{:.6},{},{}",
            csv_field(&c.id),
            csv_field(c.cohort.as_deref().unwrap_or("")),
            c.frequency,
            c.recency,
            c.t,
            rfm.monetary_value.map(|v| format!("{v:.4}")).unwrap_or_default(),
            c.p_alive,
            c.expected_purchases,
            c.expected_spend.map(|v| format!("{v:.4}")).unwrap_or_default(),
            c.clv.map(|v| format!("{v:.4}")).unwrap_or_default()
        );
        for p in probs.get(i).into_iter().flatten() {
            let _ = write!(s, ",{p:.6}");
        }
        s.push('\n');
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------- backtest

fn run_backtest(a: &BacktestArgs, global: &crate::GlobalOptions) -> Result<Output, ClvError> {
    let (name, text) = read_text(&a.input.input)?;
    if !a.input.no_header && looks_like_summary(&text) {
        return Err(ClvError::InvalidArgument(format!(
            "{name}: a backtest needs the transaction log, not an rfm summary (the holdout purchases are not in a summary)"
        )));
    }
    let cal = a
        .input
        .calibration_end
        .ok_or_else(|| ClvError::InvalidArgument("a backtest needs --calibration-end DATE".into()))?;
    let log = read_log(&name, &text, &log_options(&a.input, None))?;
    let report = backtest(&log, a.model.model(), unit(a.input.time_unit), cal, a.holdout_end)?;
    let mut files = Vec::new();
    if let Some(path) = &a.plot {
        // The data's name, not where it happens to live on this machine.
        let data_name = a.input.input.file_stem().map_or(name.clone(), |s| s.to_string_lossy().into_owned());
        let title = format!("{data_name}: repeat purchases, expected vs actual");
        let body = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("html" | "htm") => plot::backtest_html(&report, &title),
            Some("svg") => plot::backtest_svg(&report, &title),
            other => {
                return Err(ClvError::InvalidArgument(format!(
                    "--plot {}: cannot write {} charts; use a .svg or .html file",
                    path.display(),
                    other.map_or("extension-less".to_string(), |e| format!(".{e}"))
                )))
            }
        };
        files.push((path.clone(), body));
    }
    let text = match a.format {
        Format::Json => pretty(&backtest_json(&report)),
        Format::Human => backtest_human(&report, a, global),
    };
    Ok(Output { text, ok: report.fit.converged, files })
}

fn backtest_json(r: &BacktestReport) -> Value {
    json!({
        "fit": fit_json(&r.fit),
        "calibration_end": r.calibration_end.to_string(),
        "holdout_end": r.holdout_end.to_string(),
        "holdout_length": round(r.holdout_length, 4),
        "time_unit": r.unit.name(),
        "customers": r.customers,
        "total_predicted": round(r.total_predicted, 3),
        "total_actual": r.total_actual,
        "mae": round(r.mae, 6),
        "rmse": round(r.rmse, 6),
        "calibration_table": r.calibration_table.iter().map(|c| json!({
            "frequency": c.frequency, "customers": c.customers,
            "mean_predicted": round(c.mean_predicted, 4), "mean_actual": round(c.mean_actual, 4),
        })).collect::<Vec<_>>(),
        "weekly": r.weekly.iter().map(|w| json!({
            "week": w.week, "start": w.start.to_string(), "expected": round(w.expected, 3), "actual": w.actual, "holdout": w.holdout,
            "forecast": w.forecast.map(|f| round(f, 3)),
        })).collect::<Vec<_>>(),
    })
}

fn backtest_human(r: &BacktestReport, a: &BacktestArgs, global: &crate::GlobalOptions) -> String {
    let mut t = fit_human(&r.fit, "the calibration period");
    let _ = writeln!(
        t,
        "\nholdout {} to {} ({:.1} {}), {} customers",
        plot::holdout_start(r),
        r.holdout_end,
        r.holdout_length,
        r.unit.name(),
        r.customers
    );
    let diff = if r.total_actual > 0 { 100.0 * (r.total_predicted / r.total_actual as f64 - 1.0) } else { f64::NAN };
    let _ =
        writeln!(t, "  repeat purchases: predicted {:.1}, actual {} ({diff:+.1}%)", r.total_predicted, r.total_actual);
    let _ = writeln!(t, "  per customer: mean absolute error {:.3}, root mean squared error {:.3}", r.mae, r.rmse);
    let _ = writeln!(t, "\n  calibration   customers  mean actual  mean predicted");
    for c in &r.calibration_table {
        let _ = writeln!(
            t,
            "  {:>11}   {:>9}  {:>11.3}  {:>14.3}",
            c.frequency, c.customers, c.mean_actual, c.mean_predicted
        );
    }
    if !global.quiet {
        if let Some(p) = &a.plot {
            let _ = writeln!(t, "\nwrote the weekly and cumulative chart to {}", p.display());
        }
    }
    t
}
