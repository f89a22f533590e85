//! Renderers of a [`Report`]: terminal text, JSON, and GitHub-flavoured Markdown for a
//! pull-request comment.

use crate::{FieldChange, Finding, ItemChange, JourneyDiff, NodeChange, Report, Simulation, Status};
use std::fmt::Write;

/// Pretty JSON with a trailing newline; field order follows the types, every list is
/// ordered, so output is byte-identical for the same input.
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report serialises");
    s.push('\n');
    s
}

fn arrow(f: &FieldChange) -> String {
    match (&f.base, &f.head) {
        (Some(b), Some(h)) => format!("{}: {b} → {h}", f.field),
        (None, Some(h)) => format!("{}: added {h}", f.field),
        (Some(b), None) => format!("{}: removed {b}", f.field),
        (None, None) => f.field.clone(),
    }
}

fn counts_line(report: &Report) -> String {
    let parts: Vec<String> = report
        .summary
        .iter()
        .filter(|r| !r.counts.is_empty())
        .map(|r| {
            let mut c = Vec::new();
            for (n, w) in [(r.counts.added, "added"), (r.counts.removed, "removed"), (r.counts.changed, "changed")] {
                if n > 0 {
                    c.push(format!("{n} {w}"));
                }
            }
            format!("{}: {}", r.what, c.join(", "))
        })
        .collect();
    parts.join("; ")
}

fn diagnostics_line(report: &Report) -> String {
    let d = &report.diagnostics;
    let sev = |list: &[Finding], s: journey_diagnostics::Severity| list.iter().filter(|f| f.severity == s).count();
    use journey_diagnostics::Severity::*;
    let mut parts = Vec::new();
    for (n, what) in [
        (sev(&d.introduced, Error), "new error"),
        (sev(&d.introduced, Warning), "new warning"),
        (sev(&d.introduced, Info), "new info"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}{}", if n == 1 || what.ends_with("info") { "" } else { "s" }));
        }
    }
    if !d.resolved.is_empty() {
        parts.push(format!("{} resolved", d.resolved.len()));
    }
    if parts.is_empty() {
        "no diagnostics introduced or resolved".to_string()
    } else {
        parts.join(", ")
    }
}

fn simulation_line(sim: &Simulation) -> Option<String> {
    match sim {
        Simulation::NotConfigured => None,
        Simulation::Unavailable { reason } => Some(format!("simulated volume and CLV deltas: not computed ({reason})")),
        Simulation::Done(d) => {
            let mut parts: Vec<String> = d
                .volume
                .iter()
                .map(|v| format!("{} on {}: {} → {} sends", v.journey, v.channel, v.base, v.head))
                .collect();
            if parts.is_empty() {
                parts.push("the same sends per journey and channel on both sides".to_string());
            }
            if let Some(reason) = d.clv.is_none().then_some(d.clv_unavailable.as_ref()).flatten() {
                parts.push(format!("CLV not computed ({reason})"));
            }
            if let Some(c) = &d.clv {
                parts.push(format!(
                    "CLV {:.2} → {:.2} {} (difference {:.2}..{:.2})",
                    c.base, c.head, c.currency, c.delta_low, c.delta_high
                ));
            }
            if !d.assumptions.is_empty() {
                parts.push(format!("assuming {}", d.assumptions.join(", ")));
            }
            Some(format!("simulated: {}", parts.join("; ")))
        }
    }
}

// ------------------------------------------------------------------------- text

struct Paint(bool);

impl Paint {
    fn status(&self, s: Status, text: &str) -> String {
        let code = match s {
            Status::Added => "32",
            Status::Removed => "31",
            Status::Changed => "33",
        };
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        if self.0 {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn sign(s: Status) -> &'static str {
    match s {
        Status::Added => "+",
        Status::Removed => "-",
        Status::Changed => "~",
    }
}

fn item_text(i: &ItemChange) -> String {
    match i.status {
        Status::Added => format!("{} {}: {}", i.kind.as_str(), i.name, i.head.as_deref().unwrap_or("")),
        Status::Removed => format!("{} {}: {}", i.kind.as_str(), i.name, i.base.as_deref().unwrap_or("")),
        Status::Changed if i.fields.is_empty() => {
            format!(
                "{} {}: {} → {}",
                i.kind.as_str(),
                i.name,
                i.base.as_deref().unwrap_or(""),
                i.head.as_deref().unwrap_or("")
            )
        }
        Status::Changed => {
            format!("{} {}: {}", i.kind.as_str(), i.name, i.fields.iter().map(arrow).collect::<Vec<_>>().join("; "))
        }
    }
}

fn node_text(n: &NodeChange) -> (String, String) {
    match n.status {
        Status::Added => (n.head_id.clone().unwrap_or_default(), n.head.clone().unwrap_or_default()),
        Status::Removed => (n.base_id.clone().unwrap_or_default(), n.base.clone().unwrap_or_default()),
        Status::Changed => {
            let id = match (&n.base_id, &n.head_id) {
                (Some(b), Some(h)) if b != h => format!("{h} (was {b})"),
                _ => n.id().to_string(),
            };
            let what = format!(
                "{}: {}",
                n.head.as_deref().unwrap_or(""),
                n.fields.iter().map(arrow).collect::<Vec<_>>().join("; ")
            );
            (id, what)
        }
    }
}

/// Terminal text; `color` adds ANSI colours (green added, red removed, yellow changed).
pub fn text(report: &Report, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.bold(&format!("journey diff {} → {}", report.base.label, report.head.label)));
    if report.changes.is_empty() {
        let _ = writeln!(out, "  no changes to the journey program");
    } else {
        let _ = writeln!(out, "  {}", counts_line(report));
    }
    let _ = writeln!(out, "  diagnostics: {}", diagnostics_line(report));
    if !report.changes.items.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("program"));
        for i in &report.changes.items {
            let _ = writeln!(out, "  {}", p.status(i.status, &format!("{} {}", sign(i.status), item_text(i))));
        }
    }
    for j in &report.changes.journeys {
        let _ = writeln!(out, "\n{}", p.bold(&format!("journey {} ({})", j.name, j.status.as_str())));
        journey_text(&mut out, j, &p);
    }
    let d = &report.diagnostics;
    if !d.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("diagnostics"));
        for (list, s) in [(&d.introduced, Status::Added), (&d.resolved, Status::Removed)] {
            for f in list.iter() {
                let line = format!("{} {}[{}] {}: {}", sign(s), f.severity.as_str(), f.code, scope(f), f.message);
                let _ = writeln!(out, "  {}", p.status(s, &line));
            }
        }
    }
    if let Some(line) = simulation_line(&report.simulation) {
        let _ = writeln!(out, "\n{line}");
    }
    out
}

fn scope(f: &Finding) -> String {
    match (&f.journey, &f.file) {
        (Some(j), _) => format!("journey {j}"),
        (None, Some(file)) => file.clone(),
        (None, None) => "project".to_string(),
    }
}

fn journey_text(out: &mut String, j: &JourneyDiff, p: &Paint) {
    if j.status != Status::Changed {
        let steps = j.nodes.len();
        let _ = writeln!(
            out,
            "  {}",
            p.status(j.status, &format!("{} {} stage(s), {steps} step(s)", sign(j.status), j.stages.len()))
        );
    } else {
        for f in &j.settings {
            let _ = writeln!(out, "  {}", p.status(Status::Changed, &format!("~ {}", arrow(f))));
        }
        for s in &j.stages {
            let _ = writeln!(out, "  {}", p.status(s.status, &format!("{} stage {}", sign(s.status), s.name)));
        }
        let rows: Vec<(Status, String, String)> =
            j.nodes.iter().map(|n| (n.status, node_text(n).0, node_text(n).1)).collect();
        let w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (s, id, what) in rows {
            let _ = writeln!(out, "  {}", p.status(s, &format!("{} {id:<w$}  {what}", sign(s))));
        }
    }
    if !j.impact.is_empty() {
        let _ = writeln!(out, "  customers mid-journey:");
        for i in &j.impact {
            let _ = writeln!(out, "    {}", i.message);
        }
    }
}

// --------------------------------------------------------------------- markdown

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A code span, unless the text already marks its own code (`stage `offer``
/// would break the span).
fn code(s: &str) -> String {
    if s.contains('`') {
        cell(s)
    } else {
        format!("`{}`", cell(s))
    }
}

/// GitHub-flavoured Markdown for a pull-request comment: a summary table, the
/// program-level changes, one section per journey (settings, steps, customers
/// mid-journey, a Mermaid picture of the changed part of the graph), then the
/// diagnostics introduced and resolved.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Journey changes");
    let _ = writeln!(out);
    let _ = writeln!(out, "{} → {}", code(&report.base.label), code(&report.head.label));
    let _ = writeln!(out);
    if report.changes.is_empty() {
        let _ = writeln!(out, "No changes to the journey program.");
    } else {
        let _ = writeln!(out, "| | added | removed | changed |");
        let _ = writeln!(out, "|---|--:|--:|--:|");
        for r in report.summary.iter().filter(|r| !r.counts.is_empty()) {
            let _ = writeln!(out, "| {} | {} | {} | {} |", r.what, r.counts.added, r.counts.removed, r.counts.changed);
        }
    }
    let _ = writeln!(out);
    let new_errors = report.diagnostics.new_errors();
    let line = diagnostics_line(report);
    if new_errors > 0 {
        let _ = writeln!(out, "**Diagnostics:** :x: {line}");
    } else {
        let _ = writeln!(out, "**Diagnostics:** {line}");
    }
    if !report.changes.items.is_empty() {
        let _ = writeln!(out, "\n### Program\n");
        let _ = writeln!(out, "| change | kind | name | details |");
        let _ = writeln!(out, "|---|---|---|---|");
        for i in &report.changes.items {
            let details = match i.status {
                Status::Added => code(i.head.as_deref().unwrap_or("")),
                Status::Removed => format!("~~{}~~", code(i.base.as_deref().unwrap_or(""))),
                Status::Changed if i.fields.is_empty() => {
                    format!("{} → {}", code(i.base.as_deref().unwrap_or("")), code(i.head.as_deref().unwrap_or("")))
                }
                Status::Changed => i.fields.iter().map(field_md).collect::<Vec<_>>().join("<br>"),
            };
            let _ = writeln!(out, "| {} | {} | {} | {} |", i.status.as_str(), i.kind.as_str(), code(&i.name), details);
        }
    }
    for j in &report.changes.journeys {
        let _ = writeln!(out, "\n### Journey {} ({})\n", code(&j.name), j.status.as_str());
        journey_md(&mut out, j);
    }
    let d = &report.diagnostics;
    if !d.is_empty() {
        let _ = writeln!(out, "\n### Diagnostics\n");
        let _ = writeln!(out, "| | severity | code | where | message |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for (list, what) in [(&d.introduced, "new"), (&d.resolved, "resolved")] {
            for f in list.iter() {
                let _ = writeln!(
                    out,
                    "| {what} | {} | {} | {} | {} |",
                    f.severity.as_str(),
                    code(&f.code),
                    cell(&scope(f)),
                    cell(&f.message)
                );
            }
        }
    }
    if let Some(line) = simulation_line(&report.simulation) {
        let _ = writeln!(out, "\n> {line}");
    }
    out
}

fn field_md(f: &FieldChange) -> String {
    match (&f.base, &f.head) {
        (Some(b), Some(h)) => format!("{}: {} → {}", cell(&f.field), code(b), code(h)),
        (None, Some(h)) => format!("{}: added {}", cell(&f.field), code(h)),
        (Some(b), None) => format!("{}: removed {}", cell(&f.field), code(b)),
        (None, None) => cell(&f.field),
    }
}

fn journey_md(out: &mut String, j: &JourneyDiff) {
    match j.status {
        Status::Added => {
            let _ = writeln!(out, "New journey: {} stage(s), {} step(s).", j.stages.len(), j.nodes.len());
        }
        Status::Removed => {
            let _ = writeln!(out, "Journey removed: {} stage(s), {} step(s).", j.stages.len(), j.nodes.len());
        }
        Status::Changed => {
            if !j.settings.is_empty() {
                let _ = writeln!(out, "| setting | before | after |");
                let _ = writeln!(out, "|---|---|---|");
                for f in &j.settings {
                    let side = |s: &Option<String>| s.as_deref().map_or("—".to_string(), code);
                    let _ = writeln!(out, "| {} | {} | {} |", cell(&f.field), side(&f.base), side(&f.head));
                }
                let _ = writeln!(out);
            }
            if !j.stages.is_empty() {
                let names: Vec<String> =
                    j.stages.iter().map(|s| format!("{} {}", s.status.as_str(), code(&s.name))).collect();
                let _ = writeln!(out, "Stages: {}.\n", names.join(", "));
            }
            if !j.nodes.is_empty() {
                let _ = writeln!(out, "| change | step | what |");
                let _ = writeln!(out, "|---|---|---|");
                for n in &j.nodes {
                    let (id, what) = match n.status {
                        Status::Added => (code(n.id()), code(n.head.as_deref().unwrap_or(""))),
                        Status::Removed => (code(n.id()), format!("~~{}~~", code(n.base.as_deref().unwrap_or("")))),
                        Status::Changed => {
                            let id = match (&n.base_id, &n.head_id) {
                                (Some(b), Some(h)) if b != h => format!("{} (was {})", code(h), code(b)),
                                _ => code(n.id()),
                            };
                            (id, n.fields.iter().map(field_md).collect::<Vec<_>>().join("<br>"))
                        }
                    };
                    let _ = writeln!(out, "| {} | {id} | {what} |", n.status.as_str());
                }
                let _ = writeln!(out);
            }
        }
    }
    if !j.impact.is_empty() {
        let _ = writeln!(out, "**Customers mid-journey**\n");
        for i in &j.impact {
            let _ = writeln!(out, "- {}", i.message);
        }
        let _ = writeln!(out);
    }
    if let Some(g) = &j.graph {
        let _ = writeln!(out, "```mermaid\n{g}```");
    }
}
