//! A replay of an event log through the journeys, as a library: what `journey
//! simulate`, `journey merge` and `journey diff` run, and what the Python module
//! (crates/journey_py, `journey.spark`) runs on each Spark partition. One core, so a
//! Spark run's report is the CLI's byte for byte.
//!
//! * [`project`]: a project as `check` sees it (diagnostics, the event mapping).
//! * [`replay`]: the driver loop over groups of events ([`replay::Source`]), the
//!   profile-only customers, the coverage and the CLV input of a partial report.
//! * [`profiles`]: the attribute snapshot in the engine's units.
//! * [`partial`]: the partial report and the checked merge of parts.
//! * [`clv_estimate`]: what a replay collects for the CLV estimate, and its views.
//! * [`trace`]: one row per action, and the trace as Arrow columns.
//! * [`report_json`]: the report of `--format json`.

pub mod accounts;
pub mod clv_estimate;
pub mod partial;
pub mod profiles;
pub mod program_rules;
pub mod project;
pub mod replay;
pub mod trace;

use journey_engine::Report;
use journey_ir::Program;

/// The `version` of the report JSON of `journey simulate --format json` and `journey
/// merge --format json` (docs/schemas/).
pub const REPORT_VERSION: u32 = 1;

/// The report of `--format json` (of `simulate` and `merge`): its format version,
/// what the run was simulated with (`None` for merged partial reports of earlier
/// versions, which do not record it), the report's own fields, the experiments read
/// from it, the CLV estimate, then the bad rows skipped by kind (`None` for merged
/// partial reports of earlier versions, which do not record them).
pub fn report_json(
    report: &Report,
    run: Option<&partial::RunSettings>,
    program: Option<&Program>,
    clv: &Result<journey_clv::impact::Impact, String>,
    skipped: Option<&journey_events::SkipCounts>,
) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        version: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        run: Option<&'a partial::RunSettings>,
        #[serde(flatten)]
        report: &'a Report,
        #[serde(skip_serializing_if = "Option::is_none")]
        experiments: Option<journey_engine::experiment::Experiments>,
        clv_estimate: serde_json::Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<&'a journey_events::SkipCounts>,
    }
    let out = Out {
        version: REPORT_VERSION,
        run,
        report,
        experiments: program.map(|p| report.experiments(p)),
        clv_estimate: clv_estimate::json(clv),
        skipped,
    };
    let mut s = serde_json::to_string_pretty(&out).expect("report serialises");
    s.push('\n');
    s
}

/// The merged report of partial reports (what `journey merge` prints): the parts
/// added with the overlap check of [`partial::merge`], the CLV estimate refitted from
/// the parts' rows, or why there is none.
pub struct Merged {
    pub partial: partial::Partial,
    pub clv: Result<journey_clv::impact::Impact, String>,
    /// The currency of the estimate ("" when there is none).
    pub currency: String,
}

/// Merge the parts (a name for messages, the part).
pub fn merge(parts: &[(String, partial::Partial)]) -> Result<Merged, partial::MergeError> {
    // a part given twice, or parts that share customers, would be counted twice
    let merged = partial::merge(parts)?;
    // the CLV input of every part, or why the estimate cannot be made
    let mut clv: Option<Result<clv_estimate::PartialClv, String>> = None;
    for (path, part) in parts {
        let input = part
            .clv_input
            .clone()
            .ok_or_else(|| format!("{path} carries no CLV input (written by an older `journey simulate --partial`)"));
        clv = Some(match (clv, input) {
            (None, input) => input,
            (Some(Ok(mut all)), Ok(input)) => all.merge(&input).map(|()| all),
            (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Err(e),
        });
    }
    let currency = clv.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.currency.clone()).unwrap_or_default();
    let clv = match clv {
        Some(Ok(input)) => input.estimate(&merged.report),
        Some(Err(e)) => Err(e),
        None => Err("no partial reports".into()),
    };
    Ok(Merged { partial: merged, clv, currency })
}
