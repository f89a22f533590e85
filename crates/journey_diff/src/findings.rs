//! Diagnostics introduced and resolved by a change.
//!
//! Line numbers move whenever anything above them changes, so findings are compared by
//! code, journey and message: a diagnostic inside a journey is keyed by that journey
//! (wherever its file is), one outside every journey (a channel, an audience, the
//! policy) by its file. Equal keys are counted, so a second copy of a problem is new.

use journey_diagnostics::{Diagnostic, FileId, Severity};
use journey_ir::{Journey, Program};
use serde::Serialize;
use std::collections::BTreeMap;

/// A diagnostic reduced to what survives edits elsewhere in the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    /// The journey whose text the primary label points into.
    pub journey: Option<String>,
    /// The file, relative to the project root.
    pub file: Option<String>,
    pub message: String,
}

impl Finding {
    fn key(&self) -> (String, String, String) {
        let scope = match &self.journey {
            Some(j) => format!("journey {j}"),
            None => format!("file {}", self.file.as_deref().unwrap_or("")),
        };
        (self.code.clone(), scope, self.message.clone())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingsDiff {
    /// In HEAD but not in BASE.
    pub introduced: Vec<Finding>,
    /// In BASE but not in HEAD.
    pub resolved: Vec<Finding>,
}

impl FindingsDiff {
    /// Errors HEAD has that BASE had not (what `--fail-on-new-errors` looks at).
    pub fn new_errors(&self) -> usize {
        self.introduced.iter().filter(|f| f.severity == Severity::Error).count()
    }
    pub fn is_empty(&self) -> bool {
        self.introduced.is_empty() && self.resolved.is_empty()
    }
}

/// The extent of each journey in its file: from its name to the last thing it holds.
fn extent(j: &Journey) -> (FileId, u32, u32) {
    let mut end = j.origin.span.end;
    let mut grow = |o: &journey_ir::Origin| {
        if o.file == j.origin.file {
            end = end.max(o.span.end);
        }
    };
    j.stages.iter().for_each(|s| grow(&s.origin));
    j.nodes.iter().for_each(|n| grow(&n.origin));
    j.goals.iter().for_each(|g| grow(&g.origin));
    j.guardrails.iter().for_each(|g| grow(&g.origin));
    j.assumptions.iter().for_each(|a| grow(&a.origin));
    (j.origin.file, j.origin.span.start, end)
}

/// Reduce diagnostics to findings. `file_name` names a file relative to the project
/// root; `program` is the (best-effort) program the diagnostics were found in.
pub fn findings(diags: &[Diagnostic], program: &Program, file_name: impl Fn(FileId) -> String) -> Vec<Finding> {
    let extents: Vec<(&str, (FileId, u32, u32))> =
        program.journeys.iter().map(|j| (j.name.as_str(), extent(j))).collect();
    let mut out: Vec<Finding> = diags
        .iter()
        .map(|d| {
            let label = d.primary_label();
            let journey = label.and_then(|l| {
                extents
                    .iter()
                    .filter(|(_, (f, s, e))| *f == l.file && *s <= l.span.start && l.span.start <= *e)
                    .max_by_key(|(_, (_, s, _))| *s)
                    .map(|(n, _)| n.to_string())
            });
            Finding {
                code: d.code.to_string(),
                severity: d.severity,
                journey,
                file: label.map(|l| file_name(l.file)),
                message: d.message.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.key().cmp(&b.key()).then(a.severity.cmp(&b.severity)));
    out
}

/// Findings introduced and resolved, each list sorted by code, journey and message.
pub fn diff_findings(base: &[Finding], head: &[Finding]) -> FindingsDiff {
    let mut counts: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for f in base {
        *counts.entry(f.key()).or_default() += 1;
    }
    let mut introduced = Vec::new();
    for f in head {
        let c = counts.entry(f.key()).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            introduced.push(f.clone());
        }
    }
    let mut remaining: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for f in head {
        *remaining.entry(f.key()).or_default() += 1;
    }
    let mut resolved = Vec::new();
    for f in base {
        let c = remaining.entry(f.key()).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            resolved.push(f.clone());
        }
    }
    introduced.sort_by_key(Finding::key);
    resolved.sort_by_key(Finding::key);
    FindingsDiff { introduced, resolved }
}
