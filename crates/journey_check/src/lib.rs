//! The journey checker: every file of a repository checked together as one program.
//!
//! Passes: collect declarations (duplicates), resolve the schema, lower channels,
//! audiences (with cycle detection) and the policy, lower each journey to IR nodes
//! (names, types, targets, literals), then run the graph and path analyses of
//! [`analysis`] over the journeys that lowered cleanly. Every pass reports and carries
//! on, so one run shows as many problems as it can.

pub mod analysis;
mod context;
pub use context::AccountRead;
mod declarations;
mod journeys;
mod optional;
mod scores;
mod suggest;
mod types;
mod windows;

use journey_diagnostics::{Diagnostic, FileId, Severity, SourceMap};
use journey_ir as ir;
use journey_syntax::ast::Module;

/// Project-wide settings the checker needs (from journey.yaml).
#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: String,
    pub currency: String,
    /// Attributes the snapshot may lack for some customers (`events.optional_attributes`):
    /// comparisons reading them without an `is set` guard are J314.
    pub optional_attributes: Vec<String>,
    /// journey.yaml's program caps per message category (`program: caps`), as read:
    /// the journeys are held to those of a category some message channel has (J401,
    /// J603); the project checks the others (J510) and puts the same ones in the IR.
    pub category_caps: Vec<ir::CategoryCap>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: "UTC".into(),
            currency: "USD".into(),
            optional_attributes: Vec::new(),
            category_caps: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct Checked {
    /// The lowered program. Always produced, best effort: consult `has_errors` before
    /// trusting it.
    pub program: ir::Program,
    pub diagnostics: Vec<Diagnostic>,
    /// issue 15, accounts: where the program reads account values; the project
    /// reports them (J120) when journey.yaml maps no accounts.
    pub account_reads: Vec<context::AccountRead>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// The cross-journey pass (J601-J606) of a check: given the program of the journeys
/// that lowered cleanly and the [`analysis::JourneyFacts`] the per-journey checks
/// worked out for them (so it does not work them out again), its diagnostics.
/// [`check_sources`] runs [`analysis::calendar::check_with`]; `journey calendar` runs
/// [`analysis::calendar::check_and_calendar_with`] instead and keeps the calendar, so
/// the costliest pass of both commands runs once, at the very place the check runs it
/// (the diagnostics come out in the same order).
pub type CrossPass<'a> = &'a mut dyn FnMut(&ir::Program, &[analysis::JourneyFacts]) -> Vec<Diagnostic>;

/// Parse and check the given files of `sources` as one program.
pub fn check_sources(sources: &SourceMap, files: &[FileId], settings: &Settings) -> Checked {
    check_sources_with(sources, files, settings, &mut analysis::calendar::check_with)
}

/// [`check_sources`] with the cross-journey pass given by the caller.
pub fn check_sources_with(sources: &SourceMap, files: &[FileId], settings: &Settings, cross: CrossPass<'_>) -> Checked {
    let mut diagnostics = Vec::new();
    let mut modules = Vec::with_capacity(files.len());
    for &id in files {
        let f = sources.get(id);
        let parsed = journey_syntax::parse_file(&f.name, &f.text, id);
        diagnostics.extend(parsed.diagnostics);
        modules.push((id, parsed.module));
    }
    let lowered = lower(&modules, sources, settings);
    // The syntax trees are not needed past the lowering: freed now, the analyses
    // reuse their memory. Memory touched for the first time is what costs here (the
    // kernel clears each new page), and they are a fifth of the peak on 1,000
    // journeys.
    drop(modules);
    let mut checked = analyse(lowered, cross);
    diagnostics.append(&mut checked.diagnostics);
    // by file, then position: a file's syntax error comes before what other files
    // say, and before its own later findings
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    checked.diagnostics = diagnostics;
    checked
}

/// Check already-parsed modules as one program.
pub fn check_modules(modules: &[(FileId, Module)], sources: &SourceMap, settings: &Settings) -> Checked {
    check_modules_with(modules, sources, settings, &mut analysis::calendar::check_with)
}

/// [`check_modules`] with the cross-journey pass given by the caller.
pub fn check_modules_with(
    modules: &[(FileId, Module)],
    sources: &SourceMap,
    settings: &Settings,
    cross: CrossPass<'_>,
) -> Checked {
    analyse(lower(modules, sources, settings), cross)
}

/// The program lowered from the syntax trees, before the analyses: everything the
/// check needs of the trees.
struct Lowered {
    /// The journeys that lowered cleanly (the analyses see only these).
    program: ir::Program,
    /// The others, added to the program after the analyses.
    dirty: Vec<ir::Journey>,
    diagnostics: Vec<Diagnostic>,
    account_reads: Vec<context::AccountRead>,
}

fn lower(modules: &[(FileId, Module)], sources: &SourceMap, settings: &Settings) -> Lowered {
    let mut ctx = context::Ctx::new(sources, &settings.currency, &settings.timezone);
    ctx.collect(modules);
    let (events, attributes, timezone_attribute) = ctx.schema();
    let channels = ctx.channels();
    let category_caps: Vec<ir::CategoryCap> = (settings.category_caps.iter())
        .filter(|c| channels.iter().any(|ch| ch.category_name() == Some(c.category.as_str())))
        .cloned()
        .collect();
    let scores = ctx.scores();
    let audiences = ctx.audiences();
    let policy = ctx.policy();
    let schema_clean = !ctx.diags.iter().any(|d| d.severity == Severity::Error);
    let lowered = ctx.journeys();
    let mut diagnostics = std::mem::take(&mut ctx.diags);

    let account_attributes: Vec<String> =
        attributes.iter().filter(|a| ctx.account_attrs.contains(a.name.as_str())).map(|a| a.name.clone()).collect();
    let mut program = ir::Program {
        ir_version: ir::IR_VERSION,
        timezone: settings.timezone.clone(),
        currency: settings.currency.clone(),
        timezone_attribute,
        events,
        attributes,
        channels,
        audiences,
        policy,
        journeys: Vec::new(),
        scores,
        business_days: ir::BusinessDays::default(),
        // issue 15: journey.yaml's program-wide rules, set by the project loader; its
        // caps per category already, for the analyses (J401, J603)
        rules: ir::ProgramRules { category_caps, ..ir::ProgramRules::default() },
        // issue 15: the account-level attributes; the mapping is set by the project loader
        accounts: ir::Accounts { attributes: account_attributes, ..ir::Accounts::default() },
    };
    // Graph analyses only see journeys whose names and types are sound: a misspelt
    // target would otherwise show up again as an "unreachable stage".
    let (clean, dirty): (Vec<_>, Vec<_>) = lowered.into_iter().partition(|(_, ok)| *ok && schema_clean);
    program.journeys = clean.into_iter().map(|(j, _)| j).collect();
    // reads the trees (through `ctx`), not the analyses' results
    diagnostics.extend(optional::check(&ctx, &program, &settings.optional_attributes));
    let account_reads = std::mem::take(&mut ctx.account_reads);
    Lowered { program, dirty: dirty.into_iter().map(|(j, _)| j).collect(), diagnostics, account_reads }
}

/// The per-journey and cross-journey analyses of a lowered program.
fn analyse(lowered: Lowered, cross: CrossPass<'_>) -> Checked {
    let Lowered { mut program, dirty, mut diagnostics, account_reads } = lowered;
    let facts = analysis::facts(&program);
    diagnostics.extend(analysis::analyze_journeys_with(&program, &facts));
    diagnostics.extend(cross(&program, &facts));
    program.journeys.extend(dirty);
    program.journeys.sort_by(|a, b| a.name.cmp(&b.name));

    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    Checked { program, diagnostics, account_reads }
}
