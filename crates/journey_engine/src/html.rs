//! The simulation report as one self-contained HTML page (`journey simulate --html`,
//! `journey merge --html`): headline figures, messages over time by channel, a funnel
//! per journey and the tables behind them. Inline CSS and SVG drawn here; no scripts,
//! fonts or images to fetch. The same report and meta give the same bytes: nothing
//! depends on the clock, and every map is walked in order.
//!
//! Every figure is derived from the [`Report`] (so a merged report draws the same page
//! as the whole run) and the [`HtmlMeta`]; the program only supplies order (stages in
//! declaration order, channels), configured holdouts, goal windows and guardrails.

use crate::report::{conflict_key, policy_cap_channels, policy_cap_key, JourneyReport, Report};
use chrono::{Datelike, Duration, NaiveDate};
use journey_events::{SkipCounts, SkipKind};
use journey_ir::{ChannelKind, Program};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the page says about the run besides the report itself.
#[derive(Debug, Clone, Default)]
pub struct HtmlMeta {
    /// What made the report: `journey simulate`, `journey merge`.
    pub command: String,
    /// The event log, or the partial reports merged.
    pub sources: Vec<String>,
    /// First and last simulated day (program time zone, `YYYY-MM-DD`); `None` when not
    /// recorded (partial reports do not carry their period).
    pub period: Option<(String, String)>,
    pub seed: Option<u64>,
    /// `defer` or `drop`.
    pub quiet_hours: Option<String>,
    /// Bad rows skipped while reading; `None` when not recorded.
    pub skipped: Option<SkipCounts>,
    /// The CLV estimate of the journeys' assumptions; `None` when not made (merged
    /// partial reports).
    pub clv: Option<ClvSection>,
}

/// The CLV section: one row per journey with `assume` lines, money in the program
/// currency.
#[derive(Debug, Clone, Default)]
pub struct ClvSection {
    /// How the numbers were made, or why there are none.
    pub note: String,
    pub rows: Vec<ClvRow>,
    /// All journeys: median, 5th and 95th percentile of the summed effect.
    pub total: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct ClvRow {
    pub journey: String,
    pub customers: u64,
    /// The reached customers' value without the journey.
    pub baseline: f64,
    pub median: f64,
    pub p05: f64,
    pub p95: f64,
    /// The assumptions behind the numbers, as written.
    pub assumptions: Vec<String>,
}

/// Channel colours, by position (cycled); the calendar's palette.
const PALETTE: [&str; 8] = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#475569"];

/// At most this many days are drawn one bar each; longer periods are drawn by week,
/// and periods of more than [`MAX_WEEKS`] weeks by month.
pub const MAX_DAYS: usize = 92;
pub const MAX_WEEKS: usize = 104;

/// How the messages chart groups days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucketing {
    Day,
    /// Weeks starting on Monday.
    Week,
    Month,
}

impl Bucketing {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucketing::Day => "day",
            Bucketing::Week => "week",
            Bucketing::Month => "month",
        }
    }
}

/// One bar of the messages chart: its first day and the messages per channel (in the
/// order of [`SendsChart::channels`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: NaiveDate,
    pub counts: Vec<u64>,
}

/// The messages chart's data: [`Report::sends_by_day`] over every day of the period,
/// grouped by day, week or month.
#[derive(Debug, Clone, PartialEq)]
pub struct SendsChart {
    pub bucketing: Bucketing,
    pub channels: Vec<String>,
    pub buckets: Vec<Bucket>,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Channels that sent messages: the program's order, then any others by name.
fn sending_channels(report: &Report, program: Option<&Program>) -> Vec<String> {
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for day in report.sends_by_day.values() {
        for (c, n) in day {
            if *n > 0 {
                seen.insert(c, ());
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for c in program.map(|p| p.channels.as_slice()).unwrap_or(&[]) {
        if seen.remove(c.name.as_str()).is_some() {
            out.push(c.name.clone());
        }
    }
    out.extend(seen.into_keys().map(String::from));
    out
}

/// Group the days from `first` to `last` (widened to every day with messages) into
/// bars. `None` when there is no day at all.
pub fn sends_chart(report: &Report, program: Option<&Program>, period: Option<(&str, &str)>) -> Option<SendsChart> {
    let days_with_sends = report.sends_by_day.keys().filter_map(|d| date(d));
    let mut first = period.and_then(|p| date(p.0));
    let mut last = period.and_then(|p| date(p.1));
    for d in days_with_sends {
        first = Some(first.map_or(d, |f| f.min(d)));
        last = Some(last.map_or(d, |l| l.max(d)));
    }
    let (first, last) = (first?, last?);
    if last < first {
        return None;
    }
    let days = (last - first).num_days() as usize + 1;
    let bucketing = if days <= MAX_DAYS {
        Bucketing::Day
    } else if days.div_ceil(7) <= MAX_WEEKS {
        Bucketing::Week
    } else {
        Bucketing::Month
    };
    let start_of = |d: NaiveDate| match bucketing {
        Bucketing::Day => d,
        Bucketing::Week => d - Duration::days(d.weekday().num_days_from_monday() as i64),
        Bucketing::Month => d.with_day(1).expect("day 1 exists"),
    };
    let next = |d: NaiveDate| match bucketing {
        Bucketing::Day => d + Duration::days(1),
        Bucketing::Week => d + Duration::days(7),
        Bucketing::Month => {
            let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
            NaiveDate::from_ymd_opt(y, m, 1).expect("first of a month")
        }
    };
    let channels = sending_channels(report, program);
    let mut buckets = Vec::new();
    let mut index: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut b = start_of(first);
    while b <= last {
        index.insert(b, buckets.len());
        buckets.push(Bucket { start: b, counts: vec![0; channels.len()] });
        b = next(b);
    }
    for (day, per) in &report.sends_by_day {
        let Some(d) = date(day) else { continue };
        let i = index[&start_of(d)];
        for (c, n) in per {
            if let Some(k) = channels.iter().position(|x| x == c) {
                buckets[i].counts[k] += n;
            }
        }
    }
    Some(SendsChart { bucketing, channels, buckets })
}

// ------------------------------------------------------------------ formatting

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An amount rounded to whole units: -1234.6 → `-1,235`.
pub fn money(x: f64) -> String {
    let n = num(x.abs().round() as u64);
    if x <= -0.5 {
        format!("-{n}")
    } else {
        n
    }
}

/// An amount with its currency and, when `signed`, its sign: `+1,235 USD`,
/// `−40 USD` (a minus sign, as for every negative amount of the page).
pub fn money_in(x: f64, currency: &str, signed: bool) -> String {
    let n = num(x.abs().round() as u64);
    let sign = if x <= -0.5 {
        "−"
    } else if signed && x >= 0.5 {
        "+"
    } else {
        ""
    };
    if currency.is_empty() {
        format!("{sign}{n}")
    } else {
        format!("{sign}{n} {currency}")
    }
}

/// 1234567 → `1,234,567`.
pub fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Axis labels: `950`, `12k`, `1.5M`.
fn compact(n: u64) -> String {
    if n < 10_000 {
        num(n)
    } else if n < 1_000_000 {
        format!("{}k", trim_zero(n as f64 / 1e3))
    } else {
        format!("{}M", trim_zero(n as f64 / 1e6))
    }
}

fn trim_zero(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "–".into()
    } else {
        crate::experiment::share(n as f64 / d as f64)
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", num(n), if n == 1 { one } else { many })
}

/// A whole number of minutes as the language writes durations (`30d`, `36h`, `90m`).
pub fn duration(minutes: u64) -> String {
    if minutes > 0 && minutes.is_multiple_of(24 * 60) {
        format!("{}d", minutes / (24 * 60))
    } else if minutes > 0 && minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Integer axis steps: 1, 2, 5 × 10^k, about `ticks` of them up to `max`.
fn nice_step(max: u64, ticks: u64) -> u64 {
    let raw = max.div_ceil(ticks.max(1)).max(1);
    let mut mag = 1u64;
    while mag.saturating_mul(10) <= raw {
        mag *= 10;
    }
    [1, 2, 5, 10].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10 * mag)
}

/// Shorten a label for a fixed-width SVG column; the full text goes into a `<title>`.
fn clip(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The `p`-quantile (0..=1) of a histogram of whole days.
fn quantile(h: &BTreeMap<u64, u64>, p: f64) -> Option<u64> {
    let total: u64 = h.values().sum();
    if total == 0 {
        return None;
    }
    let rank = ((p * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (d, n) in h {
        seen += n;
        if seen >= rank {
            return Some(*d);
        }
    }
    h.keys().last().copied()
}

// ------------------------------------------------------------------ the page

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-top: 8px; border-top: 1px solid #e5e7eb; }
h3 { font-size: 15px; margin: 0 0 6px; }
.scroll + h3, .scroll + p + h3 { margin-top: 18px; }
.scroll.narrow { max-width: 640px; }
p { margin: 4px 0 10px; }
.muted, .note { color: #6b7280; }
.note { font-size: 13px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; }
dl.meta dt { color: #6b7280; }
dl.meta dd { margin: 0; word-break: break-all; }
nav { margin: 14px 0 0; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
nav a { color: #2563eb; text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin-top: 18px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; }
.card .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: #4b5563; font-size: 12.5px; }
.card.bad { border-color: #fca5a5; background: #fef2f2; }
.panel { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px; }
svg { display: block; max-width: 100%; height: auto; }
svg.chart.sends, svg.chart.per-week { width: 100%; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", sans-serif; fill: #374151; }
svg .axis line, svg .axis path { stroke: #9ca3af; }
svg .grid line { stroke: #eef0f3; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 0; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; }
.funnels { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.funnel .sub { color: #6b7280; font-size: 12.5px; margin: 0 0 6px; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #eef0f3; padding: 5px 8px; text-align: left; vertical-align: top; }
thead th { background: #f1f5f9; font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.list { min-width: 10em; }
tr.total td { font-weight: 600; background: #f8fafc; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.broken { background: #fee2e2; color: #991b1b; }
.badge.unmeasured { background: #f1f5f9; color: #475569; }
details { margin-top: 8px; }
details.fold > summary { list-style: none; color: inherit; font-size: inherit; }
details.fold > summary::-webkit-details-marker { display: none; }
details.fold > summary h2 { display: inline-block; }
details.fold > summary h2::before { content: "▸ "; color: #9ca3af; }
details.fold[open] > summary h2::before { content: "▾ "; }
tr.holdout-wins td { background: #fff7ed; }
.badge.warn { background: #ffedd5; color: #9a3412; }
summary { cursor: pointer; color: #4b5563; font-size: 13px; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
"#;

/// Render the page. `program` (the journeys simulated) orders stages and channels and
/// supplies configured holdouts, goal windows and guardrails; without it the page
/// still shows every figure of the report, ordered by name.
pub fn render_html(report: &Report, program: Option<&Program>, meta: &HtmlMeta) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = match &meta.period {
        Some((a, b)) => format!("Simulation report, {a} to {b}"),
        None => "Simulation report".to_string(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&meta.command),
        esc(&title)
    );
    header(&mut out, report, program, meta, &title);
    headline(&mut out, report, program);
    sends_section(&mut out, report, program, meta);
    funnels(&mut out, report, program);
    journeys_table(&mut out, report, program);
    sends_table(&mut out, report, program);
    refusals(&mut out, report, program);
    holdouts(&mut out, report, program);
    program_rules_section(&mut out, report, program);
    goals(&mut out, report, program);
    let exps = program.map(|p| report.experiments(p)).unwrap_or_default();
    experiments(&mut out, &exps);
    guardrails(&mut out, report, program);
    per_week(&mut out, report, program);
    clv_section(&mut out, meta, program.map_or("", |p| p.currency.as_str()), &exps);
    skipped(&mut out, meta);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Journeys in the program's order, then any others of the report by name.
fn journey_order<'a>(report: &'a Report, program: Option<&'a Program>) -> Vec<&'a str> {
    let mut out: Vec<&str> = program.map(|p| p.journeys.iter().map(|j| j.name.as_str()).collect()).unwrap_or_default();
    for name in report.journeys.keys() {
        if !out.contains(&name.as_str()) {
            out.push(name);
        }
    }
    out
}

fn program_journey<'a>(program: Option<&'a Program>, name: &str) -> Option<&'a journey_ir::Journey> {
    program.and_then(|p| p.journeys.iter().find(|j| j.name == name))
}

/// Stages in declaration order, then any others the report names (by name).
fn stage_order(jr: &JourneyReport, journey: Option<&journey_ir::Journey>) -> Vec<String> {
    let mut out: Vec<String> = journey.map(|j| j.stages.iter().map(|s| s.name.clone()).collect()).unwrap_or_default();
    for name in jr.stage_entries.keys().chain(jr.sends.keys()) {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// Goals in declaration order, then any others of the report.
/// A `reach STAGE` goal: held-out customers take no steps, so they cannot reach it and
/// their rate is not a comparison (shown as n/a, never 0%).
pub fn is_reach_goal(journey: Option<&journey_ir::Journey>, goal: &str) -> bool {
    journey
        .is_some_and(|j| j.goals.iter().any(|g| g.name == goal && matches!(g.kind, journey_ir::GoalKind::Reach { .. })))
}

fn goal_order(jr: &JourneyReport, journey: Option<&journey_ir::Journey>) -> Vec<String> {
    let mut out: Vec<String> = journey.map(|j| j.goals.iter().map(|g| g.name.clone()).collect()).unwrap_or_default();
    for name in jr.goals.keys() {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

fn journey_sends(jr: &JourneyReport) -> u64 {
    jr.sends.values().flat_map(|m| m.values()).sum()
}

/// Sections fold (a `details` whose summary is the heading), so a reader can close
/// what they have read; the long tables of detail start folded.
const FOLDED: &[&str] = &["sends", "refusals", "holdouts", "skipped"];

fn section(out: &mut String, id: &str, title: &str) {
    let open = if FOLDED.contains(&id) { "" } else { " open" };
    let _ = writeln!(
        out,
        "<section id=\"{id}\">\n<details class=\"fold\"{open}><summary><h2>{}</h2></summary>",
        esc(title)
    );
}

/// `class` names the table; a class `narrow` among them keeps a short table narrow.
fn table_head(out: &mut String, class: &str, cols: &[(&str, bool)]) {
    let narrow = if class.split(' ').any(|c| c == "narrow") { " narrow" } else { "" };
    let _ = write!(out, "<div class=\"scroll{narrow}\"><table class=\"{class}\"><thead><tr>");
    for (c, numeric) in cols {
        let _ = write!(out, "<th{}>{}</th>", if *numeric { " class=\"n\"" } else { "" }, esc(c));
    }
    out.push_str("</tr></thead><tbody>\n");
}

/// issue 15: what the `for account` journeys ran on (as the terminal summary).
fn accounts_note(out: &mut String, a: &crate::report::AccountsReport) {
    if a.is_empty() {
        return;
    }
    if a.unlisted_customers > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} customers belong to accounts the account file does not list: they read no \
             account values from it.</p>",
            num(a.unlisted_customers)
        );
    }
    if a.accounts == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Accounts</h3>\n<p class=\"note\">{} accounts ({} customers, {} admins; {} without an admin). \
         Journeys that run <code>for account</code> count accounts as entrants; their messages went to \
         admins {} times, and {} sends reached no admin (none, or none with consent).</p>",
        num(a.accounts),
        num(a.customers),
        num(a.admins),
        num(a.without_admin),
        num(a.messages),
        num(a.undelivered)
    );
}

/// issue 15: tasks per owner and queue, most tasks first (as the terminal table).
fn tasks_table(out: &mut String, t: &crate::report::TasksReport) {
    if t.created == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "<h3>Tasks by owner</h3>\n<p class=\"note\">{} tasks created; {} went to a fallback queue because the \
         owner attribute was missing or empty.</p>",
        num(t.created),
        num(t.fallback)
    );
    table_head(
        out,
        "tasks-by-owner",
        &[
            ("owner or queue", false),
            ("", false),
            ("tasks", true),
            ("fallback", true),
            ("urgent", true),
            ("high", true),
            ("normal", true),
            ("low", true),
            ("due on a day off", true),
        ],
    );
    for (name, queue, c) in t.rows() {
        let p = |k: &str| num(c.by_priority.get(k).copied().unwrap_or(0));
        row(
            out,
            "",
            &[name, if queue { "queue" } else { "owner" }],
            &[num(c.tasks), num(c.fallback), p("urgent"), p("high"), p("normal"), p("low"), num(c.due_on_day_off)],
        );
    }
    table_end(out);
}

fn table_end(out: &mut String) {
    out.push_str("</tbody></table></div>\n");
}

/// One row: text cells, then numbers.
fn row(out: &mut String, class: &str, texts: &[&str], nums: &[String]) {
    if class.is_empty() {
        out.push_str("<tr>");
    } else {
        let _ = write!(out, "<tr class=\"{class}\">");
    }
    for t in texts {
        let _ = write!(out, "<td>{}</td>", esc(t));
    }
    for n in nums {
        let _ = write!(out, "<td class=\"n\">{}</td>", esc(n));
    }
    out.push_str("</tr>\n");
}

fn header(out: &mut String, report: &Report, program: Option<&Program>, meta: &HtmlMeta, title: &str) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc(title));
    out.push_str("<dl class=\"meta\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    };
    let what = if meta.sources.len() > 1 { "sources" } else { "source" };
    item(what, if meta.sources.is_empty() { "not recorded".into() } else { meta.sources.join(", ") });
    item(
        "period",
        match &meta.period {
            Some((a, b)) => {
                let days = match (date(a), date(b)) {
                    (Some(x), Some(y)) => format!(" ({})", plural((y - x).num_days().max(0) as u64 + 1, "day", "days")),
                    _ => String::new(),
                };
                format!("{a} to {b}{days}")
            }
            None => "not recorded in partial reports".into(),
        },
    );
    item("seed", meta.seed.map_or("not recorded".into(), |s| s.to_string()));
    item(
        "quiet hours",
        match meta.quiet_hours.as_deref() {
            Some("drop") => "drop (sends inside quiet hours or on quiet days are dropped)".into(),
            Some("defer") => "defer (sends inside quiet hours or on quiet days wait for them to end)".into(),
            Some(other) => other.to_string(),
            None => "not recorded".into(),
        },
    );
    if let Some(p) = program {
        item("time zone", format!("{} (days of the charts and tables)", p.timezone));
        let entered = report.journeys.values().filter(|j| j.entrants > 0).count();
        item("journeys", format!("{} in the program, {} entered in the period", p.journeys.len(), entered));
    } else {
        item(
            "journeys",
            "the program was not available: names are ordered alphabetically, guardrails are left out".into(),
        );
    }
    item("made by", meta.command.clone());
    out.push_str("</dl>\n<nav>");
    for (id, t) in [
        ("messages", "Messages over time"),
        ("funnels", "Funnels"),
        ("journeys", "Journeys"),
        ("sends", "Sends by stage"),
        ("refusals", "Caps, quiet hours, consent"),
        ("holdouts", "Holdouts"),
        ("goals", "Goals"),
        ("guardrails", "Guardrails"),
        ("per-week", "Messages per customer"),
        ("skipped", "Skipped rows"),
    ] {
        let _ = write!(out, "<a href=\"#{id}\">{t}</a>");
    }
    out.push_str("</nav>\n</header>\n");
}

fn over_per_week(report: &Report, n: u64) -> u64 {
    report.max_sends_per_week.range(n + 1..).map(|(_, c)| c).sum()
}

fn headline(out: &mut String, report: &Report, program: Option<&Program>) {
    let entries: u64 = report.journeys.values().map(|j| j.entrants).sum();
    let treated: u64 = report.journeys.values().map(|j| j.treated).sum();
    let holdout: u64 = report.journeys.values().map(|j| j.holdout).sum();
    let cap_hits: u64 = report.journeys.values().map(|j| j.cap_hits).sum();
    let consent: u64 = report.journeys.values().map(|j| j.consent_suppressions).sum();
    let deferred: u64 = report.journeys.values().map(|j| j.quiet_deferrals).sum();
    let dropped: u64 = report.journeys.values().map(|j| j.quiet_drops).sum();
    let reached = report.customers - report.max_sends_per_week.get(&0).copied().unwrap_or(0);
    let per_customer = if report.customers == 0 {
        "–".to_string()
    } else {
        let x = report.sends as f64 / report.customers as f64;
        if x > 0.0 && x < 0.01 {
            format!("{x:.4}")
        } else {
            format!("{x:.2}")
        }
    };
    let mut cards: Vec<(String, String, bool)> = vec![
        (num(report.customers), "customers".into(), false),
        (num(report.events), "events replayed".into(), false),
        (num(report.sends), "messages sent".into(), false),
        (per_customer, "messages per customer".into(), false),
        (num(reached), format!("customers messaged ({})", pct(reached, report.customers)), false),
        (num(entries), format!("journey entries ({} treated, {} held out)", num(treated), num(holdout)), false),
        (num(cap_hits), "sends refused by caps".into(), false),
        (num(consent), "sends suppressed for consent".into(), false),
        (num(deferred), "sends deferred by quiet hours or days".into(), false),
        (num(dropped), "sends dropped by quiet hours or days".into(), false),
        (num(over_per_week(report, 3)), "customers over 3 messages in 7 days".into(), false),
    ];
    if let Some(p) = program {
        let g = report.guardrails(p);
        let broken = g.iter().filter(|x| x.ok == Some(false)).count() as u64;
        let measured = g.iter().filter(|x| x.ok.is_some()).count() as u64;
        cards.push((num(broken), format!("guardrails broken (of {} measured)", num(measured)), broken > 0));
    }
    out.push_str("<div class=\"cards\" id=\"headline\">\n");
    for (value, label, bad) in cards {
        let _ = writeln!(
            out,
            "<div class=\"card{}\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            if bad { " bad" } else { "" },
            esc(&value),
            esc(&label)
        );
    }
    out.push_str("</div>\n");
}

// ------------------------------------------------------------------ messages chart

fn bucket_label(b: &Bucket, bucketing: Bucketing) -> String {
    match bucketing {
        Bucketing::Day | Bucketing::Week => b.start.format("%Y-%m-%d").to_string(),
        Bucketing::Month => b.start.format("%Y-%m").to_string(),
    }
}

fn channel_colors(channels: &[String], program: Option<&Program>) -> Vec<&'static str> {
    // by position among the program's message channels when known, so a channel keeps
    // its colour from page to page; else by position here
    channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let k = program
                .and_then(|p| p.channels.iter().filter(|x| x.kind.is_message()).position(|x| &x.name == c))
                .unwrap_or(i);
            PALETTE[k % PALETTE.len()]
        })
        .collect()
}

fn sends_section(out: &mut String, report: &Report, program: Option<&Program>, meta: &HtmlMeta) {
    section(out, "messages", "Messages over time");
    let period = meta.period.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
    let Some(chart) = sends_chart(report, program, period) else {
        out.push_str("<p class=\"note\">No days to draw: the report has no period and no messages.</p>\n</details>\n</section>\n");
        return;
    };
    let unit = chart.bucketing.as_str();
    let _ = writeln!(
        out,
        "<p class=\"note\">Messages delivered per {unit} and channel ({}), stacked.{}</p>",
        program.map_or("days of the program's time zone".to_string(), |p| format!("days in {}", p.timezone)),
        match chart.bucketing {
            Bucketing::Day => "",
            Bucketing::Week => " Weeks start on Monday; the first and last week may be partial.",
            Bucketing::Month => " The first and last month may be partial.",
        }
    );
    let colors = channel_colors(&chart.channels, program);
    out.push_str("<div class=\"panel\">\n");
    stacked_bars(out, &chart, &colors);
    out.push_str("<div class=\"legend\">");
    for (k, c) in chart.channels.iter().enumerate() {
        let total: u64 = chart.buckets.iter().map(|b| b.counts[k]).sum();
        let _ = write!(
            out,
            "<span class=\"legend-item\" data-channel=\"{}\" data-total=\"{total}\"><span class=\"swatch\" style=\"background:{}\"></span>{} · {}</span>",
            esc(c),
            colors[k],
            esc(c),
            num(total)
        );
    }
    if chart.channels.is_empty() {
        out.push_str("<span class=\"muted\">no messages were sent</span>");
    }
    out.push_str("</div>\n");
    // the numbers behind the chart
    let _ = write!(out, "<details><summary>Messages per {unit} as a table</summary>");
    let mut cols: Vec<(&str, bool)> = vec![(unit, false)];
    cols.extend(chart.channels.iter().map(|c| (c.as_str(), true)));
    cols.push(("total", true));
    table_head(out, "sends-by-bucket", &cols);
    for b in &chart.buckets {
        let mut nums: Vec<String> = b.counts.iter().map(|n| num(*n)).collect();
        nums.push(num(b.counts.iter().sum()));
        row(out, "", &[&bucket_label(b, chart.bucketing)], &nums);
    }
    table_end(out);
    out.push_str("</details>\n</div>\n</details>\n</section>\n");
}

/// The stacked bar chart: one `<g class="series">` per channel, one `<rect class="bar">`
/// per bucket with messages on that channel.
fn stacked_bars(out: &mut String, chart: &SendsChart, colors: &[&str]) {
    let (w, h) = (960.0, 320.0);
    let (left, right, top, bottom) = (60.0, 16.0, 14.0, 44.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let n = chart.buckets.len().max(1);
    let totals: Vec<u64> = chart.buckets.iter().map(|b| b.counts.iter().sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let step = nice_step(max.max(1), 5);
    let top_value = max.max(1).div_ceil(step) * step;
    let y = |v: u64| top + ph - ph * v as f64 / top_value as f64;
    let slot = pw / n as f64;
    let gap = if slot >= 4.0 { (slot * 0.2).min(8.0) } else { 0.0 };
    // bars at most 56 wide, centred in their slot (a chart of one day is one bar)
    let bar_w = (slot - gap).clamp(0.5, 56.0);
    let _ = writeln!(
        out,
        "<svg class=\"chart sends\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         data-bucketing=\"{}\" data-buckets=\"{}\" data-series=\"{}\" \
         aria-label=\"Messages per {} and channel\">",
        chart.bucketing.as_str(),
        chart.buckets.len(),
        chart.channels.len(),
        chart.bucketing.as_str()
    );
    // grid and y axis
    out.push_str("<g class=\"grid\">");
    let mut v = 0;
    while v <= top_value {
        let _ = write!(out, "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>", left + pw, y(v), y(v));
        v += step;
    }
    out.push_str("</g>\n<g class=\"axis y\">");
    let _ = write!(out, "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\"/>", top + ph);
    let mut v = 0;
    while v <= top_value {
        let _ = write!(
            out,
            "<g class=\"tick\"><line x1=\"{}\" x2=\"{left}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></g>",
            left - 4.0,
            y(v),
            y(v),
            left - 7.0,
            y(v) + 3.5,
            compact(v)
        );
        v += step;
    }
    let _ = write!(
        out,
        "<text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">messages</text>",
        top + ph / 2.0,
        top + ph / 2.0
    );
    out.push_str("</g>\n");
    // bars, one series per channel, stacked in channel order
    let mut base = vec![0u64; chart.buckets.len()];
    for (k, c) in chart.channels.iter().enumerate() {
        let _ = writeln!(out, "<g class=\"series\" data-channel=\"{}\" fill=\"{}\">", esc(c), colors[k]);
        for (i, b) in chart.buckets.iter().enumerate() {
            let count = b.counts[k];
            if count == 0 {
                continue;
            }
            let (y0, y1) = (y(base[i]), y(base[i] + count));
            base[i] += count;
            let _ = writeln!(
                out,
                "<rect class=\"bar\" data-bucket=\"{}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"><title>{} · {}: {}</title></rect>",
                bucket_label(b, chart.bucketing),
                left + slot * i as f64 + (slot - bar_w) / 2.0,
                y1,
                bar_w,
                (y0 - y1).max(0.0),
                bucket_label(b, chart.bucketing),
                esc(c),
                num(count)
            );
        }
        out.push_str("</g>\n");
    }
    // x axis: at most 8 labelled ticks, evenly spaced over the buckets
    let every = chart.buckets.len().div_ceil(8).max(1);
    let _ = write!(
        out,
        "<g class=\"axis x\"><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        left + pw,
        top + ph,
        top + ph
    );
    for (i, b) in chart.buckets.iter().enumerate().step_by(every) {
        let x = left + slot * (i as f64 + 0.5);
        let _ = write!(
            out,
            "<g class=\"tick\"><line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            top + ph,
            top + ph + 4.0,
            top + ph + 17.0,
            bucket_label(b, chart.bucketing)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
        left + pw / 2.0,
        h - 6.0,
        match chart.bucketing {
            Bucketing::Day => "day",
            Bucketing::Week => "week starting",
            Bucketing::Month => "month",
        }
    );
    out.push_str("</svg>\n");
}

// ------------------------------------------------------------------ funnels

/// One row of a journey's funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelRow {
    /// `entrants`, `treated`, `holdout`, `stage` or `goal`.
    pub kind: &'static str,
    pub name: String,
    pub value: u64,
    /// What the share is of (`entrants` or `treated`), with its count.
    pub of: Option<(&'static str, u64)>,
    /// Goals: the holdout's conversions and entrants.
    pub holdout: Option<(u64, u64)>,
}

/// A journey's funnel: entrants, treated, holdout, the arrivals at each stage in
/// declaration order, then the treated conversions of each goal.
pub fn funnel(jr: &JourneyReport, journey: Option<&journey_ir::Journey>) -> Vec<FunnelRow> {
    let mut rows = vec![
        FunnelRow { kind: "entrants", name: "entrants".into(), value: jr.entrants, of: None, holdout: None },
        FunnelRow {
            kind: "treated",
            name: "treated".into(),
            value: jr.treated,
            of: Some(("entrants", jr.entrants)),
            holdout: None,
        },
        FunnelRow {
            kind: "holdout",
            name: "holdout".into(),
            value: jr.holdout,
            of: Some(("entrants", jr.entrants)),
            holdout: None,
        },
    ];
    for s in stage_order(jr, journey) {
        let value = jr.stage_entries.get(&s).copied().unwrap_or(0);
        rows.push(FunnelRow { kind: "stage", name: s, value, of: Some(("treated", jr.treated)), holdout: None });
    }
    for g in goal_order(jr, journey) {
        let gr = jr.goals.get(&g).cloned().unwrap_or_default();
        let reach = is_reach_goal(journey, &g);
        rows.push(FunnelRow {
            kind: "goal",
            name: g,
            value: gr.treated_conversions,
            of: Some(("treated", jr.treated)),
            holdout: (!reach).then_some((gr.holdout_conversions, jr.holdout)),
        });
    }
    rows
}

fn funnels(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "funnels", "Funnels");
    out.push_str(
        "<p class=\"note\">Per journey: every entry, split into treated and held out; then the arrivals at each stage \
         in declaration order (a customer who comes back to a stage counts again, so a stage can exceed the treated); \
         then the treated entries that reached each goal, with the holdout's rate beside it. Shares are of all \
         entries for treated and held out, of the treated for stages and goals.</p>\n<div class=\"funnels\">\n",
    );
    let empty = JourneyReport::default();
    for name in journey_order(report, program) {
        let jr = report.journeys.get(name).unwrap_or(&empty);
        let journey = program_journey(program, name);
        let _ = write!(out, "<div class=\"panel funnel\" data-journey=\"{}\"><h3>{}</h3>", esc(name), esc(name));
        if let Some(t) = journey.and_then(|j| j.title.as_deref()) {
            let _ = write!(out, "<p class=\"sub\">{}</p>", esc(t));
        }
        if jr.entrants == 0 {
            out.push_str("<p class=\"note\">No entries in this period.</p></div>\n");
            continue;
        }
        funnel_svg(out, &funnel(jr, journey));
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n</details>\n</section>\n");
}

fn funnel_svg(out: &mut String, rows: &[FunnelRow]) {
    let (w, row_h, label_w, bar_w) = (520.0, 24.0, 165.0, 180.0);
    let h = row_h * rows.len() as f64 + 6.0;
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let _ = writeln!(
        out,
        "<svg class=\"chart funnel\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" data-rows=\"{}\" aria-label=\"funnel\">",
        rows.len()
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 3.0 + row_h * i as f64;
        let (color, label) = match r.kind {
            "entrants" => ("#334155", "entries".to_string()),
            "treated" => ("#2563eb", "treated".to_string()),
            "holdout" => ("#94a3b8", "held out".to_string()),
            "stage" => ("#0891b2", format!("stage {}", r.name)),
            _ => ("#059669", format!("goal {}", r.name)),
        };
        let width = bar_w * r.value as f64 / max as f64;
        let share = |long: bool| match r.of {
            Some((what, d)) if long => format!(" · {} of {what}", pct(r.value, d)),
            Some((_, d)) => format!(" · {}", pct(r.value, d)),
            None => String::new(),
        };
        let holdout = match r.holdout {
            Some((_, 0)) => " · no holdout".to_string(),
            Some((n, d)) => format!(" · holdout {}", pct(n, d)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "<g class=\"funnel-row\" data-kind=\"{}\" data-name=\"{}\" data-value=\"{}\"><title>{}: {}{}{}</title>\
             <text x=\"0\" y=\"{:.1}\">{}</text>\
             <rect class=\"funnel-bar\" x=\"{label_w}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" rx=\"2\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}{}{}</text></g>",
            r.kind,
            esc(&r.name),
            r.value,
            esc(&label),
            num(r.value),
            share(true),
            holdout,
            y + 15.0,
            esc(&clip(&label, 26)),
            y + 3.0,
            width.max(if r.value > 0 { 1.0 } else { 0.0 }),
            row_h - 7.0,
            label_w + width + 6.0,
            y + 15.0,
            num(r.value),
            share(false),
            holdout
        );
    }
    out.push_str("</svg>\n");
}

// ------------------------------------------------------------------ tables

fn journeys_table(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "journeys", "Journeys");
    out.push_str(
        "<p class=\"note\">Entries and how they ended. Refused entries: the journey's audience filter was false \
         (filtered), the re-entry rule forbade it, or the customer was still in the journey (already in). Other \
         actions: tasks, webhooks and attributes set.</p>\n",
    );
    table_head(
        out,
        "journeys",
        &[
            ("journey", false),
            ("entries", true),
            ("treated", true),
            ("held out", true),
            ("customers", true),
            ("filtered", true),
            ("re-entry", true),
            ("already in", true),
            ("messages", true),
            ("unsubscribes", true),
            ("other actions", false),
            ("exits by reason", false),
        ],
    );
    let empty = JourneyReport::default();
    for name in journey_order(report, program) {
        let j = report.journeys.get(name).unwrap_or(&empty);
        let exits: Vec<String> = j.exits.iter().map(|(r, n)| format!("{r} {}", num(*n))).collect();
        let other: Vec<String> =
            [(j.tasks, "task", "tasks"), (j.webhooks, "webhook", "webhooks"), (j.attribute_sets, "set", "sets")]
                .into_iter()
                .filter(|(n, _, _)| *n > 0)
                .map(|(n, one, many)| plural(n, one, many))
                .collect();
        let _ = write!(out, "<tr data-journey=\"{}\"><td>{}</td>", esc(name), esc(name));
        for n in [
            j.entrants,
            j.treated,
            j.holdout,
            j.customers,
            j.filtered_out,
            j.re_entry_blocked,
            j.already_in,
            journey_sends(j),
            j.unsubscribes,
        ] {
            let _ = write!(out, "<td class=\"n\">{}</td>", num(n));
        }
        let _ = writeln!(
            out,
            "<td class=\"list\">{}</td><td class=\"list\">{}</td></tr>",
            esc(&other.join(", ")),
            esc(&exits.join(", "))
        );
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

fn sends_table(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "sends", "Sends by journey, stage and channel");
    out.push_str("<p class=\"note\">Messages delivered; stages in declaration order.</p>\n");
    table_head(
        out,
        "sends-by-stage",
        &[("journey", false), ("stage", false), ("channel", false), ("messages", true), ("of the journey", true)],
    );
    let channel_rank =
        |c: &str| program.and_then(|p| p.channels.iter().position(|x| x.name == c)).unwrap_or(usize::MAX);
    let mut any = false;
    for name in journey_order(report, program) {
        let Some(j) = report.journeys.get(name) else { continue };
        let total = journey_sends(j);
        if total == 0 {
            continue;
        }
        any = true;
        for stage in stage_order(j, program_journey(program, name)) {
            let Some(per) = j.sends.get(&stage) else { continue };
            let mut chans: Vec<(&String, &u64)> = per.iter().collect();
            chans.sort_by_key(|(c, _)| (channel_rank(c), c.as_str()));
            for (c, n) in chans {
                row(out, "", &[name, &stage, c], &[num(*n), pct(*n, total)]);
            }
        }
        row(out, "total", &[name, "all stages", ""], &[num(total), pct(total, total)]);
    }
    if !any {
        out.push_str("<tr><td colspan=\"5\" class=\"muted\">No messages were sent.</td></tr>\n");
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

fn refusals(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "refusals", "Caps, quiet hours and consent");
    out.push_str(
        "<p class=\"note\">What stood between a send step and a delivered message, in the order the engine checks: \
         consent (suppressed), quiet days and quiet hours (deferred or dropped), minimum gaps (deferred), caps \
         (refused), then the policy's conflicting tags (refused). A deferred send is checked again when it wakes, so it can be counted more than once. \
         Consent withdrawn counts the log's unsubscribes that took a channel's consent away.</p>\n",
    );
    out.push_str("<h3>By journey</h3>\n");
    table_head(
        out,
        "refusals-by-journey",
        &[
            ("journey", false),
            ("messages", true),
            ("consent", true),
            ("quiet: deferred", true),
            ("dropped", true),
            ("gap deferred", true),
            ("cap refused", true),
            ("conflict refused", true),
        ],
    );
    let empty = JourneyReport::default();
    let mut totals = [0u64; 7];
    for name in journey_order(report, program) {
        let j = report.journeys.get(name).unwrap_or(&empty);
        let v = [
            journey_sends(j),
            j.consent_suppressions,
            j.quiet_deferrals,
            j.quiet_drops,
            j.min_gap_deferrals,
            j.cap_hits,
            j.conflict_refusals,
        ];
        for (t, x) in totals.iter_mut().zip(v) {
            *t += x;
        }
        row(out, "", &[name], &v.map(num));
    }
    row(out, "total", &["all journeys"], &totals.map(num));
    table_end(out);

    out.push_str("<h3>By channel</h3>\n");
    table_head(
        out,
        "refusals-by-channel",
        &[
            ("channel", false),
            ("kind", false),
            ("messages", true),
            ("consent", true),
            ("quiet hours: deferred", true),
            ("dropped", true),
            ("gap deferred", true),
            ("cap refused", true),
            ("tasks", true),
            ("webhooks", true),
            ("consent withdrawn", true),
        ],
    );
    let mut names: Vec<&str> =
        program.map(|p| p.channels.iter().map(|c| c.name.as_str()).collect()).unwrap_or_default();
    for c in report.channels.keys() {
        if !names.contains(&c.as_str()) {
            names.push(c);
        }
    }
    let default = crate::report::ChannelReport::default();
    for name in names {
        let c = report.channels.get(name).unwrap_or(&default);
        let kind = program
            .and_then(|p| p.channels.iter().find(|x| x.name == name))
            .map_or("", |x| ChannelKind::as_str(x.kind));
        row(
            out,
            "",
            &[name, kind],
            &[
                num(c.sends),
                num(c.consent_suppressions),
                num(c.quiet_hour_deferrals),
                num(c.quiet_hour_drops),
                num(c.min_gap_deferrals),
                num(c.cap_hits),
                num(c.tasks),
                num(c.webhooks),
                num(c.consent_withdrawals),
            ],
        );
    }
    table_end(out);
    tasks_table(out, &report.tasks);
    accounts_note(out, &report.accounts);

    out.push_str("<h3>Policy</h3>\n");
    table_head(out, "policy narrow", &[("rule", false), ("sends", true)]);
    let caps = program.map(|p| p.policy.caps.iter().map(|c| (policy_cap_key(c), policy_cap_label(c))).collect());
    for (label, n) in policy_rows(caps, &report.policy_cap_hits) {
        row(out, "", &[&format!("cap {label}: refused")], &[num(n)]);
    }
    row(out, "", &["quiet days: deferred"], &[num(report.quiet_day_deferrals)]);
    row(out, "", &["quiet days: dropped"], &[num(report.quiet_day_drops)]);
    row(out, "", &["minimum gap between messages: deferred"], &[num(report.policy_min_gap_deferrals)]);
    let groups = program.map(|p| p.policy.conflicting.iter().map(|g| (conflict_key(g), conflict_key(g))).collect());
    for (label, n) in policy_rows(groups, &report.policy_conflict_refusals) {
        row(out, "", &[&format!("conflicting [{label}]: refused")], &[num(n)]);
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

/// A row per policy rule, `(label, count)`: the program's rules in its order, counted
/// or not, then any key only the report has (merged partial reports of another
/// program). `rules` holds (key in the report, label as the language writes it).
fn policy_rows(rules: Option<Vec<(String, String)>>, counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut rules = rules.unwrap_or_default();
    for k in counts.keys() {
        if !rules.iter().any(|(key, _)| key == k) {
            rules.push((k.clone(), k.clone()));
        }
    }
    rules.into_iter().map(|(key, label)| (label, counts.get(&key).copied().unwrap_or(0))).collect()
}

/// A policy cap as the language writes it: `any 5 per 7d`.
fn policy_cap_label(c: &journey_ir::PolicyCap) -> String {
    format!("{} {} per {}", policy_cap_channels(c), c.cap.count, duration(c.cap.window_minutes))
}

fn holdouts(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "holdouts", "Holdouts");
    out.push_str(
        "<p class=\"note\">Held-out entries are drawn by a stable hash of the seed, the journey and the customer; \
         they get no step and are tracked for the goals: the control group.</p>\n",
    );
    table_head(
        out,
        "holdouts",
        &[("journey", false), ("configured", true), ("entries", true), ("held out", true), ("share held out", true)],
    );
    let empty = JourneyReport::default();
    for name in journey_order(report, program) {
        let j = report.journeys.get(name).unwrap_or(&empty);
        let configured = program_journey(program, name).map_or("–".to_string(), |pj| {
            if pj.holdout_percent == 0.0 {
                "none".to_string()
            } else {
                format!("{}%", pj.holdout_percent)
            }
        });
        row(out, "", &[name], &[configured, num(j.entrants), num(j.holdout), pct(j.holdout, j.entrants)]);
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

fn goals(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "goals", "Goals: treated vs holdout");
    out.push_str(
        "<p class=\"note\">Conversions per entry within the goal's window. The difference is the treated rate \
         minus the holdout rate, in percentage points. Days to goal: whole days from entry to conversion, treated \
         and held out together.</p>\n",
    );
    table_head(
        out,
        "goals",
        &[
            ("journey", false),
            ("goal", false),
            ("window", false),
            ("treated", true),
            ("rate", true),
            ("holdout", true),
            ("rate", true),
            ("difference", true),
            ("median days", true),
            ("90th percentile", true),
            ("days to goal", false),
        ],
    );
    let mut any = false;
    for name in journey_order(report, program) {
        let Some(j) = report.journeys.get(name) else { continue };
        let pj = program_journey(program, name);
        for g in goal_order(j, pj) {
            // issue 15: amount goals have their own table (experiments), not conversions
            if pj.is_some_and(|pj| pj.goals.iter().any(|x| x.name == g && x.kind.is_amount())) {
                continue;
            }
            any = true;
            let gr = j.goals.get(&g).cloned().unwrap_or_default();
            let window = pj
                .and_then(|pj| pj.goals.iter().find(|x| x.name == g))
                .map_or("–".to_string(), |x| duration(x.within_minutes));
            let reach = is_reach_goal(pj, &g);
            let d = (j.treated > 0 && j.holdout > 0 && !reach).then(|| {
                100.0
                    * (gr.treated_conversions as f64 / j.treated as f64
                        - gr.holdout_conversions as f64 / j.holdout as f64)
            });
            let diff = d.map_or("–".to_string(), |d| format!("{d:+.1} pp").replace('-', "−"));
            // the held-out customers converted more: the journey may be doing harm
            let wins = d.is_some_and(|d| d < 0.0);
            let q = |p| quantile(&gr.days_to_goal, p).map_or("–".to_string(), |d| d.to_string());
            let _ = write!(
                out,
                "<tr class=\"goal{}\" data-journey=\"{}\" data-goal=\"{}\"><td>{}</td><td>{}</td><td>{}</td>",
                if wins { " holdout-wins" } else { "" },
                esc(name),
                esc(&g),
                esc(name),
                esc(&g),
                esc(&window)
            );
            for v in [
                format!("{} of {}", num(gr.treated_conversions), num(j.treated)),
                pct(gr.treated_conversions, j.treated),
                if reach {
                    "n/a".to_string()
                } else {
                    format!("{} of {}", num(gr.holdout_conversions), num(j.holdout))
                },
                if reach { "n/a".to_string() } else { pct(gr.holdout_conversions, j.holdout) },
                diff,
                q(0.5),
                q(0.9),
            ] {
                let badge = if wins && v.ends_with(" pp") {
                    " <span class=\"badge warn\" title=\"the held-out customers converted more than the treated ones\">holdout ahead</span>"
                } else {
                    ""
                };
                let _ = write!(out, "<td class=\"n\">{}{badge}</td>", esc(&v));
            }
            out.push_str("<td>");
            let window_days =
                pj.and_then(|pj| pj.goals.iter().find(|x| x.name == g)).map(|x| x.within_minutes / (24 * 60));
            days_histogram(out, &gr.days_to_goal, window_days);
            out.push_str("</td></tr>\n");
        }
    }
    if !any {
        out.push_str("<tr><td colspan=\"11\" class=\"muted\">No journey declares a goal.</td></tr>\n");
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

/// A small histogram of days to goal over the goal's window (or the days seen): one
/// bar per day, or per group of days when that is more than 30 days.
fn days_histogram(out: &mut String, h: &BTreeMap<u64, u64>, window_days: Option<u64>) {
    let Some(&seen) = h.keys().last() else {
        out.push_str("<span class=\"muted\">–</span>");
        return;
    };
    let last = seen.max(window_days.unwrap_or(0));
    let width_days = (last + 1).div_ceil(30).max(1);
    let n = (last / width_days + 1) as usize;
    let mut bins = vec![0u64; n];
    for (d, c) in h {
        bins[(d / width_days) as usize] += c;
    }
    let max = bins.iter().copied().max().unwrap_or(1).max(1);
    let (w, hh) = (150.0, 28.0);
    let slot = w / n as f64;
    let _ = write!(
        out,
        "<svg class=\"chart days\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\" role=\"img\" data-bins=\"{n}\" \
         aria-label=\"days to goal\">",
        hh + 12.0,
        hh + 12.0
    );
    for (i, c) in bins.iter().enumerate() {
        let bh = hh * *c as f64 / max as f64;
        let from = i as u64 * width_days;
        let span =
            if width_days == 1 { format!("day {from}") } else { format!("days {from}–{}", from + width_days - 1) };
        let _ = write!(
            out,
            "<rect class=\"day-bar\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#059669\"><title>{span}: {}</title></rect>",
            slot * i as f64 + 0.5,
            hh - bh,
            (slot - 1.0).max(0.5),
            bh,
            num(*c)
        );
    }
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{}\">0</text><text x=\"{w}\" y=\"{}\" text-anchor=\"end\">{}d</text></svg>",
        hh + 11.0,
        hh + 11.0,
        last
    );
}

/// A guardrail's value and limit in the page's one number format: rates as shares
/// (`1.2%`, `<0.1%` for a non-zero share under 0.05%), other figures with one
/// decimal; a second or third decimal only where one would show a value and a
/// limit that differ as equal (`0.31%` against `< 0.30%`).
fn guardrail_numbers(value: Option<f64>, limit: f64, rate: bool) -> (String, String) {
    let show = |v: f64, d: usize| {
        if !rate {
            format!("{v:.d$}").replace('-', "−")
        } else if d == 1 {
            crate::experiment::share(v)
        } else {
            format!("{:.d$}%", v * 100.0)
        }
    };
    let d = value.map_or(1, |v| (1..=3).find(|&d| v == limit || show(v, d) != show(limit, d)).unwrap_or(3));
    (value.map_or("–".to_string(), |v| show(v, d)), show(limit, d))
}

fn guardrails(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "guardrails", "Guardrails");
    let Some(p) = program else {
        out.push_str(
            "<p class=\"note\">Guardrails need the journeys: run where the repository checks cleanly.</p>\n</details>\n</section>\n",
        );
        return;
    };
    let g = report.guardrails(p);
    if g.is_empty() {
        out.push_str("<p class=\"note\">No journey declares a guardrail.</p>\n</details>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"note\">Each journey's guardrails against the replayed figures. Rates are shares of treated \
         entries (conversion on the journey's first goal; unsubscribes while in the journey); a metric the log \
         cannot measure is shown as not measured, never as passed.</p>\n",
    );
    table_head(
        out,
        "guardrails",
        &[("journey", false), ("metric", false), ("limit", false), ("value", true), ("verdict", false)],
    );
    for x in g {
        let (value, limit) = guardrail_numbers(x.value, x.limit, x.metric.ends_with("_rate"));
        let limit = format!("{} {limit}", x.op);
        let (class, verdict) = match x.ok {
            Some(true) => ("ok", "ok"),
            Some(false) => ("broken", "broken"),
            None => ("unmeasured", "not measured"),
        };
        let _ = writeln!(
            out,
            "<tr class=\"guardrail {class}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td><span class=\"badge {class}\">{verdict}</span></td></tr>",
            esc(&x.journey),
            esc(&x.metric),
            esc(&limit),
            esc(&value)
        );
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

fn per_week(out: &mut String, report: &Report, program: Option<&Program>) {
    section(out, "per-week", "Messages per customer in any 7 days");
    let h = &report.max_sends_per_week;
    let Some(&last) = h.keys().last() else {
        out.push_str("<p class=\"note\">No customers.</p>\n</details>\n</section>\n");
        return;
    };
    out.push_str(
        "<p class=\"note\">Customers by the most messages they received in any rolling 7 days of the period. \
         The table counts the customers who would have received more than N a week.</p>\n<div class=\"two\">\n\
         <div class=\"panel\">",
    );
    let n = last as usize + 1;
    let (w, hh) = (460.0, 220.0);
    let (left, bottom, top) = (56.0, 36.0, 10.0);
    let (pw, ph) = (w - left - 10.0, hh - top - bottom);
    let max = h.values().copied().max().unwrap_or(0).max(1);
    let step = nice_step(max, 4);
    let top_value = max.div_ceil(step) * step;
    let y = |v: u64| top + ph - ph * v as f64 / top_value as f64;
    let slot = pw / n as f64;
    let _ = writeln!(
        out,
        "<svg class=\"chart per-week\" viewBox=\"0 0 {w} {hh}\" width=\"{w}\" height=\"{hh}\" role=\"img\" data-bars=\"{n}\" \
         aria-label=\"customers by most messages in 7 days\">"
    );
    out.push_str("<g class=\"grid\">");
    let mut v = 0;
    while v <= top_value {
        let _ = write!(out, "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>", left + pw, y(v), y(v));
        v += step;
    }
    out.push_str("</g><g class=\"axis y\">");
    let mut v = 0;
    while v <= top_value {
        let _ =
            write!(out, "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", left - 6.0, y(v) + 3.5, compact(v));
        v += step;
    }
    let _ = writeln!(out, "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\"/></g>", top + ph);
    let every = n.div_ceil(16).max(1);
    for i in 0..n {
        let c = h.get(&(i as u64)).copied().unwrap_or(0);
        let x = left + slot * i as f64;
        let bar_w = (slot * 0.8).clamp(0.5, 56.0);
        let _ = writeln!(
            out,
            "<rect class=\"hist-bar\" data-messages=\"{i}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#7c3aed\"><title>{}: {} in their busiest 7 days</title></rect>",
            x + (slot - bar_w) / 2.0,
            y(c),
            bar_w,
            top + ph - y(c),
            plural(c, "customer", "customers"),
            plural(i as u64, "message", "messages")
        );
        if i % every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{i}</text>",
                x + slot / 2.0,
                top + ph + 14.0
            );
        }
    }
    let _ = write!(
        out,
        "<g class=\"axis x\"><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/></g>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">most messages in any 7 days</text></svg>\n</div>\n",
        left + pw,
        top + ph,
        top + ph,
        left + pw / 2.0,
        hh - 4.0
    );
    // over N a week: every N up to the busiest, marking the policy's weekly caps
    let mut caps: BTreeMap<u64, String> = BTreeMap::new();
    for c in program.iter().flat_map(|p| &p.policy.caps) {
        if c.cap.window_minutes == 7 * 24 * 60 {
            caps.insert(c.cap.count, format!("policy cap {}", policy_cap_label(c)));
        }
    }
    table_head(out, "over-per-week", &[("more than", false), ("customers", true), ("of all", true), ("note", false)]);
    // every N below the busiest customer's count, and each weekly cap of the policy
    let ks: std::collections::BTreeSet<u64> = (0..last.max(1)).chain(caps.keys().copied()).collect();
    for k in ks {
        let over = over_per_week(report, k);
        let _ = writeln!(
            out,
            "<tr data-over=\"{k}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            plural(k, "message a week", "messages a week"),
            num(over),
            pct(over, report.customers),
            esc(caps.get(&k).map_or("", String::as_str))
        );
    }
    table_end(out);
    out.push_str("</div>\n</details>\n</section>\n");
}

/// Every holdout and split comparison, customer-level intervals and a reading in
/// words (see `experiment`), and the sample size each goal assumption needs.
fn experiments(out: &mut String, exps: &crate::experiment::Experiments) {
    use crate::experiment::{share, GroupRate};
    if exps.comparisons.is_empty() && exps.sample_sizes.is_empty() && exps.amounts.is_empty() {
        return;
    }
    section(out, "experiments", "Experiments: holdouts and splits");
    amount_goals(out, exps);
    if exps.comparisons.is_empty() && exps.sample_sizes.is_empty() {
        out.push_str("</details>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"note\">Conversions per entry. Intervals are customer-level (a customer who entered \
         several times counts once, with all their entries), from the delta method for a ratio; a difference \
         whose 95% interval spans zero is too small to tell from chance with this many customers.</p>\n",
    );
    table_head(
        out,
        "experiments",
        &[
            ("journey", false),
            ("experiment", false),
            ("goal", false),
            ("group", false),
            ("customers", true),
            ("entries", true),
            ("sends", true),
            ("conversions", true),
            ("rate", true),
            ("difference", true),
            ("90% interval", true),
            ("95% interval", true),
            ("reading", false),
        ],
    );
    let pp = |x: f64| format!("{:+.1} pp", x * 100.0).replace('-', "−");
    let iv = |v: Option<(f64, f64)>| v.map_or("–".to_string(), |(a, b)| format!("{}..{}", pp(a), pp(b)));
    for c in &exps.comparisons {
        let class = if c.holdout_beats_treated() { "experiment holdout-wins" } else { "experiment" };
        let cells = |g: &GroupRate| {
            [num(g.customers), num(g.entries), num(g.sends), num(g.conversions), g.rate.map_or("–".into(), share)]
        };
        let d = c.difference.as_ref();
        let badge = if c.holdout_beats_treated() { " <span class=\"badge warn\">holdout ahead</span>" } else { "" };
        comparison_rows(
            out,
            class,
            [&c.journey, &c.experiment, &c.goal],
            &c.goal,
            [(&c.b.group, &cells(&c.b)[..]), (&c.a.group, &cells(&c.a)[..])],
            [
                esc(&d.map_or("–".to_string(), |d| pp(d.difference))) + badge,
                iv(d.and_then(|d| d.interval90)),
                iv(d.and_then(|d| d.interval95)),
                d.map_or("no entries to compare", |d| d.reading.as_str()).to_string(),
            ],
        );
    }
    table_end(out);
    if !exps.sample_sizes.is_empty() {
        out.push_str("<p class=\"note\">The sample a real test needs to detect each stated effect \
            (two proportions, α = 0.05 two-sided, power 80%, split as the journey's holdout):</p>\n<ul class=\"sample-sizes\">\n");
        for x in &exps.sample_sizes {
            let _ = writeln!(out, "<li><b>{}</b>: {}</li>", esc(&x.journey), esc(&x.reading));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</details>\n</section>\n");
}

/// Two rows of one comparison (group B above group A): the journey, experiment and
/// goal cells and the difference, its intervals and the reading span both rows. The
/// conversion and the amount tables share it. `shared[0]` is already HTML (escaped,
/// with a badge perhaps); the other texts are escaped here.
fn comparison_rows(
    out: &mut String,
    class: &str,
    keys: [&str; 3],
    data_goal: &str,
    groups: [(&str, &[String]); 2],
    shared: [String; 4],
) {
    let _ = write!(
        out,
        "<tr class=\"{class}\" data-journey=\"{}\" data-experiment=\"{}\" data-goal=\"{}\">",
        esc(keys[0]),
        esc(keys[1]),
        esc(data_goal)
    );
    for t in keys {
        let _ = write!(out, "<td rowspan=\"2\">{}</td>", esc(t));
    }
    for (row, (group, cells)) in groups.iter().enumerate() {
        if row == 1 {
            let _ = write!(out, "<tr class=\"{class}\">");
        }
        let _ = write!(out, "<td>{}</td>", esc(group));
        for v in cells.iter() {
            let _ = write!(out, "<td class=\"n\">{}</td>", esc(v));
        }
        if row == 0 {
            let [difference, i90, i95, reading] = &shared;
            let _ = write!(
                out,
                "<td class=\"n\" rowspan=\"2\">{difference}</td><td class=\"n\" rowspan=\"2\">{}</td><td class=\"n\" rowspan=\"2\">{}</td><td rowspan=\"2\">{}</td>",
                esc(i90),
                esc(i95),
                esc(reading)
            );
        }
        out.push_str("</tr>\n");
    }
}

/// issue 15: the amount goals, treated vs held out (and arm vs arm), in money.
fn amount_goals(out: &mut String, exps: &crate::experiment::Experiments) {
    use crate::experiment::{amount_text, GroupAmount};
    if exps.amounts.is_empty() {
        return;
    }
    out.push_str(
        "<p class=\"note\">Amount goals: the total of the property per entry, within the goal's window \
         after the entry; intervals are customer-level, as for conversions.</p>\n",
    );
    table_head(
        out,
        "amount-goals",
        &[
            ("journey", false),
            ("experiment", false),
            ("goal", false),
            ("group", false),
            ("customers", true),
            ("entries", true),
            ("total", true),
            ("per entry", true),
            ("difference", true),
            ("90% interval", true),
            ("95% interval", true),
            ("reading", false),
        ],
    );
    for c in &exps.amounts {
        let cur = c.currency.as_deref();
        let m = |x: f64, signed: bool| amount_text(x, cur, signed).replace('-', "−");
        let iv =
            |v: Option<(f64, f64)>| v.map_or("–".to_string(), |(a, b)| format!("{}..{}", m(a, true), m(b, true)));
        let cells = |g: &GroupAmount| {
            [num(g.customers), num(g.entries), m(g.total, false), g.mean.map_or("–".into(), |x| m(x, false))]
        };
        let d = c.difference.as_ref();
        let goal = format!("{} (within {})", c.goal, duration(c.within_minutes));
        comparison_rows(
            out,
            "amount-goal",
            [&c.journey, &c.experiment, &goal],
            &c.goal,
            [(&c.b.group, &cells(&c.b)[..]), (&c.a.group, &cells(&c.a)[..])],
            [
                esc(&d.map_or("–".to_string(), |d| m(d.difference, true))),
                iv(d.and_then(|d| d.interval90)),
                iv(d.and_then(|d| d.interval95)),
                d.map_or("no entries to compare", |d| d.reading.as_str()).to_string(),
            ],
        );
    }
    table_end(out);
}

/// The CLV table's note on a journey whose held-out customers converted more than the
/// treated ones, in a holdout comparison (the journey's own, the global holdout or
/// both): each goal once, with the holdouts that beat it. `None` when none did.
fn holdout_ahead(journey: &str, comparisons: &[crate::experiment::Comparison]) -> Option<String> {
    let mut goals: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in comparisons.iter().filter(|c| c.journey == journey && c.holdout_beats_treated()) {
        let which = if c.experiment == crate::experiment::GLOBAL_HOLDOUT {
            "the global holdout"
        } else {
            "the journey's holdout"
        };
        match goals.iter_mut().find(|(g, _)| *g == c.goal) {
            Some((_, holdouts)) if !holdouts.contains(&which) => holdouts.push(which),
            Some(_) => {}
            None => goals.push((&c.goal, vec![which])),
        }
    }
    if goals.is_empty() {
        return None;
    }
    let and = |parts: Vec<String>| match parts.len() {
        1 => parts[0].clone(),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    let noun = if goals.len() == 1 { "goal" } else { "goals" };
    let goals = and(goals
        .iter()
        .map(|(g, h)| format!("{g} (in {})", and(h.iter().map(|x| x.to_string()).collect())))
        .collect());
    Some(format!(
        "the held-out customers converted more on {noun} {goals}: the effect is an assumption the replay does not support"
    ))
}

fn clv_section(out: &mut String, meta: &HtmlMeta, currency: &str, exps: &crate::experiment::Experiments) {
    let Some(c) = &meta.clv else { return };
    section(out, "clv", "CLV estimate");
    out.push_str(&format!("<p class=\"note\">{}</p>\n", esc(&c.note)));
    if !c.rows.is_empty() {
        out.push_str("<table class=\"clv\"><thead><tr><th>journey</th><th class=\"n\">reached</th><th class=\"n\">their value</th><th class=\"n\">effect</th><th class=\"n\">90% interval</th><th>assuming</th><th>measured</th></tr></thead><tbody>\n");
        let m = |x: f64| money_in(x, currency, true);
        for r in &c.rows {
            // a stated gain where the replay's own holdout converted more is not a gain
            // to take on trust: say so next to it
            let (class, measured) = match holdout_ahead(&r.journey, &exps.comparisons) {
                None => ("", String::new()),
                Some(sentence) => (
                    " class=\"holdout-wins\"",
                    format!("<span class=\"badge warn\">holdout ahead</span> {}", esc(&sentence)),
                ),
            };
            out.push_str(&format!(
                "<tr{class} data-journey=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}..{}</td><td>{}</td><td>{measured}</td></tr>\n",
                esc(&r.journey),
                esc(&r.journey),
                num(r.customers),
                esc(&money_in(r.baseline, currency, false)),
                esc(&m(r.median)),
                esc(&m(r.p05)),
                esc(&m(r.p95)),
                r.assumptions.iter().map(|a| esc(a)).collect::<Vec<_>>().join("<br>")
            ));
        }
        if let Some((med, lo, hi)) = c.total {
            out.push_str(&format!(
                "<tr class=\"total\"><td>all journeys</td><td></td><td></td><td class=\"n\">{}</td><td class=\"n\">{}..{}</td><td></td><td></td></tr>\n",
                esc(&m(med)),
                esc(&m(lo)),
                esc(&m(hi))
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    // issue 15: the amount goals in money, treated vs held out, next to the estimate
    let observed: Vec<&crate::experiment::AmountComparison> = (exps.amounts.iter())
        .filter(|x| x.unit == journey_ir::AmountUnit::Money && x.incremental.is_some() && x.difference.is_some())
        .collect();
    if !observed.is_empty() {
        out.push_str(
            "<p class=\"note\">Observed within each amount goal's window, treated against held out: the \
             difference per treated entry and over all treated entries. This is the difference the replay \
             measured within the window, not a lifetime figure.</p>\n<ul class=\"observed-amounts\">\n",
        );
        for x in observed {
            let _ = writeln!(out, "<li>{}</li>", esc(x.incremental_text().unwrap_or_default().trim()));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</details>\n</section>\n");
}

fn skipped(out: &mut String, meta: &HtmlMeta) {
    section(out, "skipped", "Skipped bad rows");
    let Some(s) = &meta.skipped else {
        out.push_str("<p class=\"note\">Not recorded: partial reports of an earlier version do not carry the rows their runs skipped.</p>\n</details>\n</section>\n");
        return;
    };
    if s.total() == 0 {
        out.push_str(
            "<p class=\"note\" id=\"no-skipped\">None: every row of the log was read.</p>\n</details>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">{} skipped with <code>--skip-bad-rows</code>, by kind:</p>",
        plural(s.total(), "row was", "rows were")
    );
    table_head(out, "skipped narrow", &[("kind", false), ("rows", true)]);
    for k in SkipKind::ALL {
        let n = s.get(k);
        if n > 0 {
            row(out, "", &[k.describe()], &[num(n)]);
        }
    }
    for (name, n) in &s.unknown_event_names {
        row(out, "", &[&format!("unknown event `{name}`")], &[num(*n)]);
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

// ---------------------------------------------------------------- program-wide rules (issue 15)

/// journey.yaml's `program:` rules: the global holdout (customers, and the entries
/// each marketing journey would have had), suppression (refused sends per journey)
/// and the caps per message category. The treated vs global-holdout differences on
/// goals are in the experiments section. Nothing when the program has no rules and
/// the report counted none.
fn program_rules_section(out: &mut String, report: &Report, program: Option<&Program>) {
    let pr = &report.program_rules;
    let rules = program.map(|p| &p.rules);
    let counted = !pr.is_empty() || report.journeys.values().any(|j| j.global_holdout + j.suppressed > 0);
    if !counted && rules.is_none_or(|r| r.is_empty()) {
        return;
    }
    section(out, "program-rules", "Program-wide rules");
    let mut what = Vec::new();
    if let Some(h) = rules.and_then(|r| r.global_holdout.as_ref()) {
        what.push(format!(
            "a global holdout of {}% (salt \"{}\"): {} of {} customers, kept out of every marketing journey",
            h.percent,
            esc(&h.salt),
            num(pr.global_holdout_customers),
            num(report.customers)
        ));
    }
    if let Some(s) = rules.and_then(|r| r.suppression.as_ref()) {
        let mut from = Vec::new();
        if let Some(f) = &s.file {
            from.push(format!("{} ({} ids)", esc(f), num(s.customers.len() as u64)));
        }
        if let Some(a) = &s.attribute {
            from.push(format!("attribute {}", esc(a)));
        }
        what.push(format!(
            "suppression from {}: {} marketing sends refused to {} customers",
            from.join(" and "),
            num(pr.suppressed_sends),
            num(pr.suppressed_customers)
        ));
    }
    for c in rules.map(|r| r.category_caps.as_slice()).unwrap_or_default() {
        what.push(format!(
            "cap {} {} per {}: {} sends refused",
            esc(&c.category),
            c.cap.count,
            duration(c.cap.window_minutes),
            num(pr.category_cap_hits.get(&c.category).copied().unwrap_or(0))
        ));
    }
    out.push_str("<ul class=\"program-rules\">\n");
    for w in what {
        let _ = writeln!(out, "<li>{w}</li>");
    }
    out.push_str("</ul>\n");
    out.push_str(
        "<p class=\"note\">Transactional messages, tasks and webhooks are exempt from the global holdout and \
         suppression. The global holdout's would-be entries are followed for the goals; the experiments section \
         compares them with the treated entries.</p>\n",
    );
    table_head(
        out,
        "program-rules",
        &[
            ("journey", false),
            ("entrants", true),
            ("global holdout (would-be entries)", true),
            ("suppressed sends", true),
        ],
    );
    let empty = JourneyReport::default();
    for name in journey_order(report, program) {
        let j = report.journeys.get(name).unwrap_or(&empty);
        row(out, "", &[name], &[num(j.entrants), num(j.global_holdout), num(j.suppressed)]);
    }
    table_end(out);
    out.push_str("</details>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with_days(days: &[(&str, &str, u64)]) -> Report {
        let mut r = Report::default();
        for (d, c, n) in days {
            *r.sends_by_day.entry(d.to_string()).or_default().entry(c.to_string()).or_default() += n;
            r.sends += n;
        }
        r
    }

    /// The CLV note on a journey whose holdout converted more names each goal once
    /// ("converted more on back, back" when the journey's holdout and the global
    /// holdout both beat the goal `back`), with the holdouts that did.
    #[test]
    fn holdout_ahead_names_each_goal_once() {
        use crate::experiment::{Comparison, Difference, GroupRate, GLOBAL_HOLDOUT};
        let group = |g: &str| GroupRate {
            group: g.into(),
            customers: 100,
            entries: 100,
            sends: 100,
            conversions: 10,
            rate: Some(0.1),
        };
        let c = |journey: &str, experiment: &str, goal: &str, difference: f64| Comparison {
            journey: journey.into(),
            experiment: experiment.into(),
            goal: goal.into(),
            a: group("holdout"),
            b: group("treated"),
            difference: Some(Difference { difference, interval90: None, interval95: None, reading: String::new() }),
        };
        let tail = ": the effect is an assumption the replay does not support";
        let both = [c("winback", "holdout", "back", -0.02), c("winback", GLOBAL_HOLDOUT, "back", -0.01)];
        assert_eq!(
            holdout_ahead("winback", &both).unwrap(),
            format!(
                "the held-out customers converted more on goal back (in the journey's holdout and the global holdout){tail}"
            )
        );
        let one = [c("winback", "holdout", "back", -0.02), c("winback", GLOBAL_HOLDOUT, "back", 0.01)];
        assert_eq!(
            holdout_ahead("winback", &one).unwrap(),
            format!("the held-out customers converted more on goal back (in the journey's holdout){tail}")
        );
        let goals = [
            c("onboarding", GLOBAL_HOLDOUT, "converted", -0.02),
            c("onboarding", "holdout", "activated", -0.01),
            c("onboarding", GLOBAL_HOLDOUT, "activated", -0.01),
            c("onboarding", "a/b", "paid", -0.05),
            c("other", "holdout", "paid", -0.05),
        ];
        assert_eq!(
            holdout_ahead("onboarding", &goals).unwrap(),
            format!(
                "the held-out customers converted more on goals converted (in the global holdout) and activated \
                 (in the journey's holdout and the global holdout){tail}"
            )
        );
        assert_eq!(holdout_ahead("winback", &[c("winback", "holdout", "back", 0.02)]), None);
    }

    #[test]
    fn guardrails_use_the_page_number_format() {
        let g = super::guardrail_numbers;
        assert_eq!(g(Some(0.0123), 0.02, true), ("1.2%".to_string(), "2.0%".to_string()));
        assert_eq!(g(Some(0.0031), 0.003, true), ("0.31%".to_string(), "0.30%".to_string()));
        assert_eq!(g(Some(0.00001), 0.01, true), ("<0.1%".to_string(), "1.0%".to_string()));
        assert_eq!(g(None, 0.01, true), ("–".to_string(), "1.0%".to_string()));
        assert_eq!(g(Some(2.5), 3.0, false), ("2.5".to_string(), "3.0".to_string()));
    }

    #[test]
    fn numbers_and_steps() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(num(100), "100");
        assert_eq!(compact(12_500), "12.5k");
        assert_eq!(compact(3_000_000), "3M");
        assert_eq!(nice_step(7, 5), 2);
        assert_eq!(nice_step(1, 5), 1);
        assert_eq!(nice_step(480, 5), 100);
        assert_eq!(nice_step(1200, 5), 500);
        assert_eq!(duration(30 * 24 * 60), "30d");
        assert_eq!(duration(90), "90m");
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let h: BTreeMap<u64, u64> = [(0, 5), (2, 3), (9, 2)].into_iter().collect();
        assert_eq!(quantile(&h, 0.5), Some(0));
        assert_eq!(quantile(&h, 0.6), Some(2));
        assert_eq!(quantile(&h, 0.9), Some(9));
        assert_eq!(quantile(&BTreeMap::new(), 0.5), None);
    }

    #[test]
    fn one_day_is_one_bar_and_quiet_days_count_as_zero() {
        let r = report_with_days(&[("2025-03-04", "email", 3), ("2025-03-04", "sms", 1)]);
        let c = sends_chart(&r, None, Some(("2025-03-04", "2025-03-04"))).unwrap();
        assert_eq!(c.bucketing, Bucketing::Day);
        assert_eq!(c.channels, ["email", "sms"]);
        assert_eq!(c.buckets.len(), 1);
        assert_eq!(c.buckets[0].counts, [3, 1]);
        let c = sends_chart(&r, None, Some(("2025-03-01", "2025-03-10"))).unwrap();
        assert_eq!(c.buckets.len(), 10);
        assert_eq!(c.buckets.iter().map(|b| b.counts.iter().sum::<u64>()).sum::<u64>(), 4);
        assert!(sends_chart(&Report::default(), None, None).is_none());
    }

    #[test]
    fn long_periods_are_drawn_by_week_then_by_month() {
        let r = report_with_days(&[("2025-01-01", "email", 1), ("2025-06-30", "email", 2), ("2025-07-01", "push", 5)]);
        // 182 days: by week, weeks starting on Monday (2024-12-30 is a Monday)
        let c = sends_chart(&r, None, Some(("2025-01-01", "2025-07-01"))).unwrap();
        assert_eq!(c.bucketing, Bucketing::Week);
        assert_eq!(c.buckets[0].start, NaiveDate::from_ymd_opt(2024, 12, 30).unwrap());
        assert!(c.buckets.iter().all(|b| b.start.weekday() == chrono::Weekday::Mon));
        let last = c.buckets.last().unwrap();
        assert_eq!(last.start, NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        assert_eq!(last.counts, [2, 5]);
        // four years: by month
        let c = sends_chart(&r, None, Some(("2022-01-01", "2025-12-31"))).unwrap();
        assert_eq!(c.bucketing, Bucketing::Month);
        assert_eq!(c.buckets.len(), 48);
        let june = c.buckets.iter().find(|b| b.start == NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).unwrap();
        assert_eq!(june.counts, [2, 0]);
        let total: u64 = c.buckets.iter().flat_map(|b| &b.counts).sum();
        assert_eq!(total, 8);
        // without a period, the days with messages span the chart
        let c = sends_chart(&r, None, None).unwrap();
        assert_eq!(c.bucketing, Bucketing::Week);
    }

    #[test]
    fn page_escapes_text_and_is_deterministic() {
        let mut r = report_with_days(&[("2025-01-02", "e<mail>", 2)]);
        r.customers = 3;
        r.max_sends_per_week.insert(0, 1);
        r.max_sends_per_week.insert(2, 2);
        let jr = r.journeys.entry("a&b".into()).or_default();
        jr.entrants = 4;
        jr.treated = 3;
        jr.holdout = 1;
        jr.stage_entries.insert("<script>".into(), 3);
        let mut skipped = SkipCounts { unknown_event: 2, ..SkipCounts::default() };
        skipped.unknown_event_names.insert("\"evil\"".into(), 2);
        let meta = HtmlMeta {
            command: "journey simulate".into(),
            sources: vec!["logs/<x>.csv".into()],
            period: Some(("2025-01-01".into(), "2025-01-07".into())),
            seed: Some(7),
            quiet_hours: Some("defer".into()),
            skipped: Some(skipped),
            clv: None,
        };
        let a = render_html(&r, None, &meta);
        assert_eq!(a, render_html(&r, None, &meta));
        assert!(!a.contains("<script>") && !a.contains("<mail>") && !a.contains("<x>"));
        assert!(a.contains("a&amp;b") && a.contains("&lt;script&gt;") && a.contains("&quot;evil&quot;"));
        assert!(a.contains("data-buckets=\"7\""));
        assert_eq!(a.matches("class=\"funnel-row\"").count(), 4, "entrants, treated, holdout, one stage");
        assert_eq!(a.matches("class=\"hist-bar\"").count(), 3, "0, 1 and 2 messages");
        assert!(!a.contains("http://") && !a.contains("https://") && !a.contains("<script"));
    }
}
