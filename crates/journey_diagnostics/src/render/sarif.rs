//! SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/>), the format code
//! scanning services (GitHub code scanning, Azure DevOps, IDE viewers) read.
//!
//! One run; `tool.driver.rules` lists every rule of [`crate::RULES`] sorted by code, so
//! `ruleIndex` is stable across runs. Columns count Unicode code points
//! (`columnKind: unicodeCodePoints`), end columns are exclusive, as SARIF defines.
//! Secondary labels become `relatedLocations`; help follows the message after a newline.

use super::{label_positions, machine_path, percent_encode_path, RenderOptions};
use crate::{
    rules::{self, Rule},
    Diagnostic, Label, Severity, SourceMap, RULES,
};
use serde::Serialize;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    help_uri: String,
    help: Help,
}

/// A rule's help as GitHub shows it under an alert: the rule's documentation page.
#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(sources: &SourceMap, l: &Label, id: Option<usize>, opts: &RenderOptions) -> Location {
    let file = sources.get(l.file);
    let (start, end) = label_positions(file, l);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: percent_encode_path(&machine_path(sources, l.file, opts)) },
            region: Region {
                start_line: start.line,
                start_column: start.column,
                end_line: end.line,
                end_column: end.column,
            },
        },
        message: (!l.message.is_empty()).then(|| Text { text: l.message.clone() }),
    }
}

/// The page's first paragraph after its title (the rule in a sentence or two), else
/// the summary.
fn full_description(page: &str, rule: &Rule) -> String {
    let para: Vec<&str> = page
        .lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    if para.is_empty() {
        rule.summary.to_string()
    } else {
        para.join(" ")
    }
}

/// Markdown read as plain text: without heading marks, emphasis and code quotes (the
/// `text` of a SARIF message is shown verbatim by viewers that do not render markdown).
fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            continue;
        }
        let line = line.trim_start_matches('#').trim_start_matches(' ');
        out.push_str(&line.replace("**", "").replace('`', ""));
        out.push('\n');
    }
    out
}

pub(super) fn render(diags: &[&Diagnostic], sources: &SourceMap, opts: &RenderOptions) -> String {
    let mut rules: Vec<&Rule> = RULES.iter().collect();
    rules.sort_by_key(|r| r.code);

    let results = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            for note in &d.notes {
                text.push_str("\nnote: ");
                text.push_str(note);
            }
            let primary = d.primary_label();
            SarifResult {
                rule_id: d.code,
                rule_index: rules.iter().position(|r| r.code == d.code),
                level: level(d.severity),
                message: Text { text },
                locations: primary.map(|l| location(sources, l, None, opts)).into_iter().collect(),
                related_locations: d
                    .labels
                    .iter()
                    .filter(|l| !primary.is_some_and(|p| std::ptr::eq(p, *l)))
                    .enumerate()
                    .map(|(i, l)| location(sources, l, Some(i + 1), opts))
                    .collect(),
            }
        })
        .collect();

    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "journey",
                    version: &opts.tool_version,
                    information_uri: rules::HOME_URL,
                    rules: rules
                        .iter()
                        .map(|r| {
                            let page = rules::docs_page(r.code)
                                .map_or_else(|| format!("{}: {}\n", r.code, r.summary), str::to_string);
                            SarifRule {
                                id: r.code,
                                name: r.name,
                                short_description: Text { text: r.summary.to_string() },
                                full_description: Text { text: full_description(&page, r) },
                                default_configuration: Configuration { level: level(r.default_severity) },
                                help_uri: rules::docs_url(r.code),
                                help: Help { text: plain_text(&page), markdown: page },
                            }
                        })
                        .collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes to JSON");
    out.push('\n');
    out
}
