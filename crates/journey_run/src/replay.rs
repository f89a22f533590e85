//! The replay's driver loop: groups of events from a [`Source`] through the engine's
//! sharded driver, the actions handed out as they come, then the customers only the
//! attribute snapshot names, the timers run out to the end of the period, and what a
//! partial report carries (coverage, CLV input).
//!
//! The CLI's source is a log file (read on this thread or its own); journey_py's is
//! Arrow record batches of one Spark partition. Both give each customer's events in
//! time order; the engine needs nothing else (docs/engine.md).

use crate::clv_estimate::{ClvSettings, Collector, Fitted, PartialClv};
use crate::partial::Coverage;
use crate::profiles::{Snapshot, World};
use journey_engine::{Action, Engine, EngineOptions, QuietMode, Report, ShardedDriver};
use journey_events::{CustomerId, Event, Interner, Mapping, Schema};
use journey_ir::Program;

/// Where the events come from.
pub trait Source {
    /// Replace `group` with the next events; whether more may follow, and the error
    /// that ended the log, if any, after these events (they are replayed first).
    fn next_group(&mut self, group: &mut Vec<Event>) -> (bool, Option<miette::Report>);
    /// Customer keys of the events so far: `CustomerId(n)` is `resolve(n)`.
    fn interner(&self) -> &Interner;
    /// Text property values.
    fn texts(&self) -> &Interner;
    /// Whether the source collects the log's purchases and fits them itself (on a
    /// thread of its own, while the engine replays): then the replay does neither and
    /// takes [`Source::fitted`] after the last group.
    fn fits_purchases(&self) -> bool {
        false
    }
    /// The source's [`Fitted`] purchases of the whole log (see
    /// [`Source::fits_purchases`]), once the last group was taken.
    fn fitted(&mut self) -> Option<Fitted> {
        None
    }
}

/// How to replay (the period is whole local days, already resolved to instants).
#[derive(Debug, Clone)]
pub struct Settings {
    /// First and last instant of the period (ms UTC).
    pub start: i64,
    pub until: i64,
    pub quiet_hours: QuietMode,
    pub seed: u64,
    /// Engine threads ([`ShardedDriver`]).
    pub threads: usize,
    /// Threads that run the timers out at the end (the reader's too, once it is done).
    pub finish_threads: usize,
    pub clv: ClvSettings,
    /// Fingerprint the customers covered (for a partial report).
    pub coverage: bool,
    /// Measure the memory of the customers' states ([`Outcome::state`]).
    pub measure_state: bool,
}

/// What a replay found.
pub struct Outcome {
    pub report: Report,
    /// The CLV estimate of the journeys' assumptions, or why there is none.
    pub clv: Result<journey_clv::impact::Impact, String>,
    /// The customers replayed, when [`Settings::coverage`] asked for them.
    pub coverage: Option<Coverage>,
    /// What a partial report carries for the estimate, so a merge refits it exactly.
    pub clv_input: PartialClv,
    /// When [`Settings::measure_state`] asked: the customers' states at their largest
    /// measure (see [`StatePeak`]).
    pub state: Option<StatePeak>,
}

/// The largest the customers' states were, of the moments measured: after the 1st,
/// 2nd, 4th, 8th, … group of events and when the log is read (the states grow with
/// the customers seen and their windows; measuring after every group would cost a
/// walk over every state per group).
#[derive(Debug, Clone, Copy, Default)]
pub struct StatePeak {
    pub measure: journey_engine::StateMeasure,
    /// After which group (1-based) it was measured, of how many.
    pub group: usize,
    pub groups: usize,
}

impl StatePeak {
    fn sample(&mut self, driver: &ShardedDriver, group: usize) {
        let m = driver.footprint();
        if m.bytes.total() >= self.measure.bytes.total() {
            self.measure = m;
            self.group = group;
        }
    }
}

impl Outcome {
    /// The partial report of this replay (`journey simulate --partial`).
    pub fn partial(
        &self,
        run: crate::partial::RunSettings,
        skipped: journey_events::SkipCounts,
    ) -> crate::partial::Partial {
        crate::partial::Partial {
            run: Some(run),
            report: self.report.clone(),
            skipped: Some(skipped),
            coverage: self.coverage.clone(),
            clv_input: Some(self.clv_input.clone()),
        }
    }
}

/// Where a replay is when it hands out actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The actions of a group of events.
    Group,
    /// The log is read; the timers left until the end of the period run next (no
    /// actions).
    Finishing,
    /// The actions of the timers run out: the last call.
    Last,
}

/// Replay `source` through the program. `actions` is called with the actions of each
/// group as they come, then at the [`Stage`]s of the end, for the trace and the
/// progress bar; its error stops the run.
pub fn run<S: Source>(
    program: &Program,
    mapping: &Mapping,
    settings: &Settings,
    profiles: Snapshot,
    source: &mut S,
    group_capacity: usize,
    mut actions: impl FnMut(&S, &World, &[Action], Stage) -> miette::Result<()>,
) -> miette::Result<Outcome> {
    let tz = Schema::from_program(program).timezone();
    let s = settings;
    let options = EngineOptions { quiet_hours: s.quiet_hours, seed: s.seed, start: s.start, until: s.until };
    let engine = Engine::new(program, options).with_created_at(mapping.created_at.as_deref()).ok_or_else(|| {
        miette::miette!(
            help = "name a `date` or `time` attribute declared in the journeys, e.g. `created_at: signed_up_on`",
            "journey.yaml: events.created_at `{}` is not a date or time attribute of the program",
            mapping.created_at.as_deref().unwrap_or_default()
        )
    })?;
    let mut driver = ShardedDriver::new(&engine, s.threads);
    driver.reserve(profiles.len());
    // issue 15: the accounts `for account` journeys run on, known before the replay
    // so that every account's admins are known from its first event
    let mut profiles = profiles;
    if program.journeys.iter().any(|j| j.for_account) {
        profiles.book = profiles.account_book(program);
        driver.set_accounts(profiles.book.clone());
    }
    let own_purchases = !source.fits_purchases();
    let mut clv = Collector::new(program, tz, own_purchases);
    let no_extra: Vec<String> = Vec::new();
    let mut batch = Vec::with_capacity(group_capacity);
    let mut peak = s.measure_state.then(StatePeak::default);
    let mut groups: usize = 0;
    loop {
        let (more, failed) = source.next_group(&mut batch);
        if own_purchases {
            batch.iter().for_each(|e| clv.event(e));
        }
        let world = World { log_keys: source.interner(), extra_keys: &no_extra, profiles: &profiles };
        driver.push_batch(&batch, &world, source.texts());
        groups += 1;
        if let Some(p) = peak.as_mut().filter(|_| groups.is_power_of_two() || !more) {
            p.sample(&driver, groups);
        }
        let taken = driver.take_actions();
        clv.actions(&taken);
        actions(source, &world, &taken, Stage::Group)?;
        driver.recycle_actions(taken);
        if let Some(e) = failed {
            return Err(e);
        }
        if !more {
            break;
        }
    }
    actions(
        source,
        &World { log_keys: source.interner(), extra_keys: &no_extra, profiles: &profiles },
        &[],
        Stage::Finishing,
    )?;
    // Customers of the snapshot without events still get their scheduled and
    // date-attribute entries.
    let log_keys = source.interner();
    let extra: Vec<String> = (0..profiles.len() as u32)
        .map(|i| profiles.keys.resolve(i))
        .filter(|k| log_keys.get(k).is_none())
        .map(String::from)
        .collect();
    let world = World { log_keys, extra_keys: &extra, profiles: &profiles };
    for i in 0..extra.len() {
        driver.add_profile(&world, CustomerId((log_keys.len() + i) as u32), source.texts());
    }
    let customers = log_keys.len() + extra.len();
    let coverage = s.coverage.then(|| {
        let keys: Vec<&str> = (0..customers).map(|i| world.customer_of(CustomerId(i as u32)).key).collect();
        crate::partial::coverage(keys)
    });
    // the snapshot's customers without events too: they are states from here on
    if let Some(p) = peak.as_mut() {
        p.sample(&driver, groups);
        p.groups = groups;
    }
    let (taken, mut report) = driver.finish(source.texts(), s.finish_threads);
    // issue 15: not a silent default: the customers the account file left out
    report.accounts.unlisted_customers += profiles.unlisted;
    clv.actions(&taken);
    actions(source, &world, &taken, Stage::Last)?;
    let fitted = match own_purchases {
        true => None,
        false => Some(source.fitted().ok_or_else(|| miette::miette!("the log's purchases were not collected"))?),
    };
    let (input, baseline) = clv.input(program, customers, fitted);
    let clv_input = PartialClv::new(program, &s.clv, s.seed, input);
    let clv = clv_input.estimate_fitted(&report, baseline);
    // the snapshot's strings: many small allocations, which take a noticeable part of
    // a second to free and need not be waited for
    std::thread::spawn(move || drop((profiles, extra)));
    Ok(Outcome { report, clv, coverage, clv_input, state: peak })
}

impl World<'_> {
    fn customer_of(&self, id: CustomerId) -> journey_engine::Customer<'_> {
        journey_engine::Profiles::customer(self, id)
    }
}
