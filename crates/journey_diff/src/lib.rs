//! A semantic diff of two journey programs (the base and the head of a pull request).
//!
//! [`diff`] compares the validated IR, not the text: journeys, stages and steps (sends,
//! waits, branches…), audiences, channels, caps, the schema and the global policy, each
//! reported as added, removed or changed with the fields that changed. Steps are matched
//! within each stage by content (see [`align`]), not by their `stage#index` ids, so
//! inserting a step reports one added step and no cascade.
//!
//! For every wait that customers can be sitting in when the new version is deployed,
//! [`JourneyDiff::impact`] says what happens to them, following one rule (documented in
//! `docs/ci.md`, "What happens to customers mid-journey"):
//!
//! * a journey that was removed: everyone in it exits;
//! * a wait that was removed (or whose stage was removed or renamed): customers waiting
//!   there exit the journey; nothing more is sent to them by it;
//! * a wait whose duration, time, date or timeout changed: customers already waiting keep
//!   the deadline they were given; only new arrivals get the new one;
//! * a wait-for whose event or filter changed: the new condition applies to events from
//!   the deployment on, with the original deadline;
//! * a wait whose exits (`then`, `timeout`, next step) changed: when the wait ends,
//!   customers follow the new version's path;
//! * a wait that kept its content but got a new id (a step was inserted or removed
//!   before it in its stage): customers stay at the same step, under its new id.
//!
//! [`diff_findings`] compares the diagnostics of `journey check` on both sides by
//! code, journey and message (never by line number), so it reports the problems,
//! calendar conflicts included, that a change introduces or resolves.
//!
//! [`Report`] bundles everything with the simulated volume and CLV deltas, which are an
//! extension point ([`Simulation`]) until the simulator exists. [`render`] draws a
//! report as terminal text, JSON or GitHub-flavoured Markdown with a Mermaid picture of
//! the changed part of each journey graph.

pub mod align;
mod describe;
mod findings;
mod mermaid;
pub mod render;

pub use findings::{diff_findings, findings, Finding, FindingsDiff};

use align::Op;
use describe::{describe_assumption, describe_cap, describe_goal, describe_guardrail, step_fields, step_kind, Ctx};
use journey_ir::draw::{describe_expr, duration, step_label};
use journey_ir::{Journey, Program, Step, Transition};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// One field that differs; `None` on the side where it does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub base: Option<String>,
    pub head: Option<String>,
}

/// What kind of program-level item changed. The order is the order of output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Setting,
    Event,
    Attribute,
    Channel,
    Cap,
    Audience,
    /// A named score (`score health = …`).
    Score,
    Policy,
    /// A program-wide rule of journey.yaml's `program:` (global holdout, suppression).
    Rule,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Setting => "setting",
            ItemKind::Event => "event",
            ItemKind::Attribute => "attribute",
            ItemKind::Channel => "channel",
            ItemKind::Cap => "cap",
            ItemKind::Audience => "audience",
            ItemKind::Score => "score",
            ItemKind::Policy => "policy",
            ItemKind::Rule => "rule",
        }
    }
}

/// A program-level item (event, channel, cap, audience, policy rule…) that changed.
/// Settings are named by their key in journey.yaml (`timezone`,
/// `business_days.holidays`, `clv.margin`), caps by what they limit (`email`,
/// `policy: any`, `category: promotional`), program rules by their key under
/// `program:` (`global_holdout`, `suppression`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemChange {
    pub kind: ItemKind,
    /// Its name; for caps the channel (`email`) or `policy: any` / `policy: email, sms`.
    pub name: String,
    pub status: Status,
    /// One-line description on each side.
    pub base: Option<String>,
    pub head: Option<String>,
    pub fields: Vec<FieldChange>,
}

/// The kind of a step, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepClass {
    Send,
    Wait,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeChange {
    pub status: Status,
    pub stage: String,
    pub class: StepClass,
    /// `stage#index` in the base version (None when added).
    pub base_id: Option<String>,
    /// `stage#index` in the head version (None when removed).
    pub head_id: Option<String>,
    pub base: Option<String>,
    pub head: Option<String>,
    /// For changed steps: what changed.
    pub fields: Vec<FieldChange>,
}

impl NodeChange {
    /// The id to show: the head id, else the base id.
    pub fn id(&self) -> &str {
        self.head_id.as_deref().or(self.base_id.as_deref()).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageChange {
    pub name: String,
    pub status: Status,
}

/// What happens to customers sitting in a wait when the head version is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// They leave the journey; nothing more is sent to them by it.
    Exit,
    /// They keep their original deadline; new arrivals get the new one.
    KeepDeadline,
    /// When their wait ends they follow the head version's path.
    FollowNewPath,
    /// Same step under a new id: nothing changes for them.
    Renumbered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// The wait in the base version (None for a whole removed journey).
    pub node: Option<String>,
    /// The base step, described.
    pub step: Option<String>,
    pub outcomes: Vec<Outcome>,
    /// The sentence for people.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JourneyDiff {
    pub name: String,
    pub status: Status,
    /// Journey settings, goals, guardrails and assumptions that changed.
    pub settings: Vec<FieldChange>,
    pub stages: Vec<StageChange>,
    /// Changed, added and removed steps, in stage order (head's order, removed stages
    /// last), each stage in sequence.
    pub nodes: Vec<NodeChange>,
    pub impact: Vec<Impact>,
    /// Mermaid source of the changed part of the graph (added and changed steps
    /// highlighted, removed ones dashed, with their direct neighbours); None when no step
    /// changed.
    pub graph: Option<String>,
}

/// Counts for the summary table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

impl Counts {
    fn bump(&mut self, s: Status) {
        match s {
            Status::Added => self.added += 1,
            Status::Removed => self.removed += 1,
            Status::Changed => self.changed += 1,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.added + self.removed + self.changed == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub what: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProgramDiff {
    /// Program-level items, ordered by kind then name.
    pub items: Vec<ItemChange>,
    /// Journeys that changed, by name.
    pub journeys: Vec<JourneyDiff>,
}

impl ProgramDiff {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.journeys.is_empty()
    }

    /// Rows of the summary table: journeys, stages, sends, waits, other steps, then
    /// each program-level kind. Every row is present, zero or not, so the table has a
    /// stable shape.
    pub fn summary(&self) -> Vec<SummaryRow> {
        let mut journeys = Counts::default();
        let mut stages = Counts::default();
        let mut steps: BTreeMap<StepClass, Counts> = BTreeMap::new();
        for j in &self.journeys {
            journeys.bump(j.status);
            for s in &j.stages {
                stages.bump(s.status);
            }
            for n in &j.nodes {
                steps.entry(n.class).or_default().bump(n.status);
            }
        }
        let mut items: BTreeMap<ItemKind, Counts> = BTreeMap::new();
        for i in &self.items {
            items.entry(i.kind).or_default().bump(i.status);
        }
        let step = |c| steps.get(&c).cloned().unwrap_or_default();
        let item = |k| items.get(&k).cloned().unwrap_or_default();
        vec![
            SummaryRow { what: "journeys", counts: journeys },
            SummaryRow { what: "stages", counts: stages },
            SummaryRow { what: "sends", counts: step(StepClass::Send) },
            SummaryRow { what: "waits", counts: step(StepClass::Wait) },
            SummaryRow { what: "other steps", counts: step(StepClass::Other) },
            SummaryRow { what: "audiences", counts: item(ItemKind::Audience) },
            SummaryRow { what: "scores", counts: item(ItemKind::Score) },
            SummaryRow { what: "caps", counts: item(ItemKind::Cap) },
            SummaryRow { what: "channels", counts: item(ItemKind::Channel) },
            SummaryRow { what: "events", counts: item(ItemKind::Event) },
            SummaryRow { what: "attributes", counts: item(ItemKind::Attribute) },
            SummaryRow { what: "policy rules", counts: item(ItemKind::Policy) },
            SummaryRow { what: "program rules", counts: item(ItemKind::Rule) },
            SummaryRow { what: "settings", counts: item(ItemKind::Setting) },
        ]
    }
}

/// One side of a comparison, as people should see it named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// `origin/main (1a2b3c4)`, `old/`, `working tree`.
    pub label: String,
    pub journeys: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// Simulated volume and CLV deltas: the extension point for the simulator.
///
/// `journey diff` fills this in once an event-log replay exists: replay the configured
/// log through BASE and through HEAD and put the differences in [`SimulationDelta`].
/// Until then it says whether a log is configured, so the report can say why the numbers
/// are missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Simulation {
    /// No event log in journey.yaml (`events:`).
    NotConfigured,
    /// A log is configured but the deltas could not be computed.
    Unavailable {
        reason: String,
    },
    Done(SimulationDelta),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimulationDelta {
    /// Sends per journey and channel over the replayed period.
    pub volume: Vec<VolumeDelta>,
    /// The CLV estimate on each side, with the interval of the difference.
    pub clv: Option<ClvDelta>,
    /// The stated assumptions that produced the numbers.
    pub assumptions: Vec<String>,
    /// Why there is no CLV estimate (`clv` is `None`): e.g. too few repeat buyers in
    /// the log to fit a purchase model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clv_unavailable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeDelta {
    pub journey: String,
    pub channel: String,
    pub base: u64,
    pub head: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvDelta {
    pub currency: String,
    pub base: f64,
    pub head: f64,
    pub delta_low: f64,
    pub delta_high: f64,
}

/// Everything `journey diff` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub base: Side,
    pub head: Side,
    pub summary: Vec<SummaryRow>,
    pub changes: ProgramDiff,
    pub diagnostics: FindingsDiff,
    pub simulation: Simulation,
}

impl Report {
    pub fn new(
        base: Side,
        head: Side,
        changes: ProgramDiff,
        diagnostics: FindingsDiff,
        simulation: Simulation,
    ) -> Report {
        Report { base, head, summary: changes.summary(), changes, diagnostics, simulation }
    }
}

// ---------------------------------------------------------------------------- diff

/// The semantic difference between two programs. Deterministic: items by kind then
/// name, journeys by name, steps in stage order.
pub fn diff(base: &Program, head: &Program) -> ProgramDiff {
    let mut items = Vec::new();
    settings(base, head, &mut items);
    keyed(
        &mut items,
        ItemKind::Event,
        &base.events,
        &head.events,
        |e| e.name.clone(),
        |e| {
            let props: Vec<String> = e.properties.iter().map(|p| format!("{}: {}", p.name, p.ty.describe())).collect();
            format!("{{ {} }}", props.join(", "))
        },
        |b, h| {
            let bp: BTreeMap<&str, String> = b.properties.iter().map(|p| (p.name.as_str(), p.ty.describe())).collect();
            let hp: BTreeMap<&str, String> = h.properties.iter().map(|p| (p.name.as_str(), p.ty.describe())).collect();
            map_fields("property ", &bp, &hp)
        },
    );
    keyed(
        &mut items,
        ItemKind::Attribute,
        &base.attributes,
        &head.attributes,
        |a| a.name.clone(),
        |a| a.ty.describe(),
        |b, h| field("type", b.ty.describe(), h.ty.describe()),
    );
    keyed(
        &mut items,
        ItemKind::Channel,
        &base.channels,
        &head.channels,
        |c| c.name.clone(),
        describe::describe_channel,
        |b, h| {
            let mut f = field("kind", b.kind.as_str().to_string(), h.kind.as_str().to_string());
            f.extend(opt_field("consent", b.consent.clone(), h.consent.clone()));
            f.extend(opt_field(
                "quiet_hours",
                b.quiet_hours.as_ref().map(describe::describe_quiet_hours),
                h.quiet_hours.as_ref().map(describe::describe_quiet_hours),
            ));
            f.extend(opt_field("min_gap", b.min_gap_minutes.map(duration), h.min_gap_minutes.map(duration)));
            // what the engine applies: an unwritten category of a message channel is
            // `promotional`, so writing it out is no change
            f.extend(opt_field(
                "category",
                b.category_name().map(str::to_string),
                h.category_name().map(str::to_string),
            ));
            f
        },
    );
    // Caps: per channel and in the policy, keyed by what they limit.
    let caps = |p: &Program| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> =
            p.channels.iter().filter_map(|c| c.cap.as_ref().map(|cap| (c.name.clone(), describe_cap(cap)))).collect();
        v.extend(p.policy.caps.iter().map(|pc| {
            let scope = pc.channels.as_ref().map_or("any".to_string(), |c| c.join(", "));
            (format!("policy: {scope}"), describe_cap(&pc.cap))
        }));
        v.extend(p.rules.category_caps.iter().map(|c| (format!("category: {}", c.category), describe_cap(&c.cap))));
        v
    };
    keyed(
        &mut items,
        ItemKind::Cap,
        &caps(base),
        &caps(head),
        |c| c.0.clone(),
        |c| c.1.clone(),
        |b, h| field("cap", b.1.clone(), h.1.clone()),
    );
    keyed(
        &mut items,
        ItemKind::Audience,
        &base.audiences,
        &head.audiences,
        |a| a.name.clone(),
        |a| describe_expr(&a.condition),
        |b, h| field("condition", describe_expr(&b.condition), describe_expr(&h.condition)),
    );
    keyed(
        &mut items,
        ItemKind::Score,
        &base.scores,
        &head.scores,
        |s| s.name.clone(),
        |s| format!("{} = {}", s.ty.describe(), describe_expr(&s.value)),
        |b, h| {
            let mut f = field("type", b.ty.describe(), h.ty.describe());
            f.extend(field("value", describe_expr(&b.value), describe_expr(&h.value)));
            f
        },
    );
    let policy = |p: &Program| -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(g) = p.policy.min_gap_minutes {
            v.push(("min_gap".to_string(), duration(g)));
        }
        if !p.policy.quiet_days.is_empty() {
            v.push(("quiet_days".to_string(), format!("[{}]", p.policy.quiet_days.join(", "))));
        }
        for group in &p.policy.conflicting {
            v.push((format!("conflicting [{}]", group.join(", ")), "conflicting".to_string()));
        }
        v
    };
    keyed(
        &mut items,
        ItemKind::Policy,
        &policy(base),
        &policy(head),
        |p| p.0.clone(),
        |p| p.1.clone(),
        |b, h| field("value", b.1.clone(), h.1.clone()),
    );
    rules(base, head, &mut items);
    items.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));

    let mut journeys = Vec::new();
    let names: std::collections::BTreeSet<&str> =
        base.journeys.iter().chain(&head.journeys).map(|j| j.name.as_str()).collect();
    for name in names {
        if let Some(d) = diff_journey(base.journey(name), head.journey(name)) {
            journeys.push(d);
        }
    }
    ProgramDiff { items, journeys }
}

fn settings(base: &Program, head: &Program, items: &mut Vec<ItemChange>) {
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    // an empty list is no setting: adding the first holiday reads as added
    let some_list = |v: &[String]| (!v.is_empty()).then(|| list(v));
    let (bd, hd) = (&base.business_days, &head.business_days);
    let (ba, ha) = (&base.accounts, &head.accounts);
    let pairs = [
        ("timezone", Some(base.timezone.clone()), Some(head.timezone.clone())),
        ("currency", Some(base.currency.clone()), Some(head.currency.clone())),
        ("timezone_attribute", base.timezone_attribute.clone(), head.timezone_attribute.clone()),
        ("business_days.calendar", bd.calendar.clone(), hd.calendar.clone()),
        ("business_days.country_attribute", bd.country_attribute.clone(), hd.country_attribute.clone()),
        ("business_days.weekend", Some(list(&bd.weekend)), Some(list(&hd.weekend))),
        ("business_days.holidays", some_list(&bd.holidays), some_list(&hd.holidays)),
        ("events.account.attribute", ba.attribute.clone(), ha.attribute.clone()),
        ("events.account.file", ba.file.clone(), ha.file.clone()),
        ("events.account.admin_attribute", ba.admin_attribute.clone(), ha.admin_attribute.clone()),
        ("events.account.admin_value", ba.admin_value.clone(), ha.admin_value.clone()),
        ("account attributes", some_list(&ba.attributes), some_list(&ha.attributes)),
    ];
    for (name, b, h) in pairs {
        if let Some(i) = setting_change(name, b, h) {
            items.push(i);
        }
    }
}

/// A setting that differs between the sides (`None`: not set on that side), as an
/// item of the diff; `None` when both sides agree. For settings the program does not
/// hold (journey.yaml's `clv:`), which the caller compares and adds with
/// [`ProgramDiff::add_items`].
pub fn setting_change(name: &str, base: Option<String>, head: Option<String>) -> Option<ItemChange> {
    if base == head {
        return None;
    }
    let status = match (&base, &head) {
        (None, _) => Status::Added,
        (_, None) => Status::Removed,
        _ => Status::Changed,
    };
    Some(ItemChange { kind: ItemKind::Setting, name: name.to_string(), status, base, head, fields: vec![] })
}

impl ProgramDiff {
    /// Add program-level items found outside [`diff`], keeping the order by kind then
    /// name.
    pub fn add_items(&mut self, items: impl IntoIterator<Item = ItemChange>) {
        self.items.extend(items);
        self.items.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    }
}

/// journey.yaml's `program:` rules: the global holdout and the suppression list
/// (category caps are caps, compared with the others).
fn rules(base: &Program, head: &Program, items: &mut Vec<ItemChange>) {
    use journey_ir::{GlobalHoldout, SuppressionList};
    let percent = |g: &GlobalHoldout| format!("{}%", describe::trim(g.percent));
    let holdout = |g: &GlobalHoldout| format!("{} (salt \"{}\")", percent(g), g.salt);
    let rule = |name: &str, status, base: Option<String>, head: Option<String>, fields| ItemChange {
        kind: ItemKind::Rule,
        name: name.to_string(),
        status,
        base,
        head,
        fields,
    };
    match (&base.rules.global_holdout, &head.rules.global_holdout) {
        (None, None) => {}
        (None, Some(h)) => items.push(rule("global_holdout", Status::Added, None, Some(holdout(h)), vec![])),
        (Some(b), None) => items.push(rule("global_holdout", Status::Removed, Some(holdout(b)), None, vec![])),
        (Some(b), Some(h)) => {
            let mut f = field("percent", percent(b), percent(h));
            f.extend(field("salt", format!("\"{}\"", b.salt), format!("\"{}\"", h.salt)));
            if !f.is_empty() {
                items.push(rule("global_holdout", Status::Changed, Some(holdout(b)), Some(holdout(h)), f));
            }
        }
    }
    let ids = |n: usize| format!("{n} customer{}", if n == 1 { "" } else { "s" });
    let suppression = |s: &SuppressionList| {
        let mut parts = Vec::new();
        if let Some(f) = &s.file {
            parts.push(format!("file {f} ({})", ids(s.customers.len())));
        }
        if let Some(a) = &s.attribute {
            parts.push(format!("attribute {a}"));
        }
        parts.join(", ")
    };
    match (&base.rules.suppression, &head.rules.suppression) {
        (None, None) => {}
        (None, Some(h)) => items.push(rule("suppression", Status::Added, None, Some(suppression(h)), vec![])),
        (Some(b), None) => items.push(rule("suppression", Status::Removed, Some(suppression(b)), None, vec![])),
        (Some(b), Some(h)) => {
            let mut f = opt_field("file", b.file.clone(), h.file.clone());
            // the ids read from the file are what the engine applies: an edited file
            // under the same name is a change
            let (bs, hs): (std::collections::BTreeSet<&String>, std::collections::BTreeSet<&String>) =
                (b.customers.iter().collect(), h.customers.iter().collect());
            if bs != hs {
                let (added, removed) = (hs.difference(&bs).count(), bs.difference(&hs).count());
                f.push(FieldChange {
                    field: "customers".to_string(),
                    base: Some(ids(bs.len())),
                    head: Some(format!("{} ({added} added, {removed} removed)", ids(hs.len()))),
                });
            }
            f.extend(opt_field("attribute", b.attribute.clone(), h.attribute.clone()));
            if !f.is_empty() {
                items.push(rule("suppression", Status::Changed, Some(suppression(b)), Some(suppression(h)), f));
            }
        }
    }
}

/// Compare two lists of named things: added, removed, and changed (when `fields`
/// finds differences).
fn keyed<T>(
    out: &mut Vec<ItemChange>,
    kind: ItemKind,
    base: &[T],
    head: &[T],
    name: impl Fn(&T) -> String,
    describe: impl Fn(&T) -> String,
    fields: impl Fn(&T, &T) -> Vec<FieldChange>,
) {
    let b: BTreeMap<String, &T> = base.iter().map(|x| (name(x), x)).collect();
    let h: BTreeMap<String, &T> = head.iter().map(|x| (name(x), x)).collect();
    for (n, x) in &b {
        match h.get(n) {
            None => out.push(ItemChange {
                kind,
                name: n.clone(),
                status: Status::Removed,
                base: Some(describe(x)),
                head: None,
                fields: vec![],
            }),
            Some(y) => {
                let f = fields(x, y);
                if !f.is_empty() {
                    out.push(ItemChange {
                        kind,
                        name: n.clone(),
                        status: Status::Changed,
                        base: Some(describe(x)),
                        head: Some(describe(y)),
                        fields: f,
                    });
                }
            }
        }
    }
    for (n, y) in &h {
        if !b.contains_key(n) {
            out.push(ItemChange {
                kind,
                name: n.clone(),
                status: Status::Added,
                base: None,
                head: Some(describe(y)),
                fields: vec![],
            });
        }
    }
}

fn field(name: &str, base: String, head: String) -> Vec<FieldChange> {
    if base == head {
        vec![]
    } else {
        vec![FieldChange { field: name.to_string(), base: Some(base), head: Some(head) }]
    }
}

fn opt_field(name: &str, base: Option<String>, head: Option<String>) -> Vec<FieldChange> {
    if base == head {
        vec![]
    } else {
        vec![FieldChange { field: name.to_string(), base, head }]
    }
}

fn map_fields(prefix: &str, base: &BTreeMap<&str, String>, head: &BTreeMap<&str, String>) -> Vec<FieldChange> {
    let keys: std::collections::BTreeSet<&&str> = base.keys().chain(head.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (b, h) = (base.get(*k).cloned(), head.get(*k).cloned());
            (b != h).then(|| FieldChange { field: format!("{prefix}{k}"), base: b, head: h })
        })
        .collect()
}

fn classify(step: &Step) -> StepClass {
    match step {
        Step::Send { .. } => StepClass::Send,
        s if s.is_wait() => StepClass::Wait,
        _ => StepClass::Other,
    }
}

fn diff_journey(base: Option<&Journey>, head: Option<&Journey>) -> Option<JourneyDiff> {
    match (base, head) {
        (None, None) => None,
        (None, Some(h)) => Some(added_journey(h)),
        (Some(b), None) => Some(JourneyDiff {
            name: b.name.clone(),
            status: Status::Removed,
            settings: vec![],
            stages: b.stages.iter().map(|s| StageChange { name: s.name.clone(), status: Status::Removed }).collect(),
            nodes: b
                .nodes
                .iter()
                .map(|n| NodeChange {
                    status: Status::Removed,
                    stage: n.stage.clone(),
                    class: classify(&n.step),
                    base_id: Some(n.id.clone()),
                    head_id: None,
                    base: Some(step_label(n)),
                    head: None,
                    fields: vec![],
                })
                .collect(),
            impact: vec![Impact {
                node: None,
                step: None,
                outcomes: vec![Outcome::Exit],
                message: format!("the journey was removed: every customer in `{}` exits it", b.name),
            }],
            graph: None,
        }),
        (Some(b), Some(h)) => {
            let d = changed_journey(b, h);
            let empty = d.settings.is_empty() && d.stages.is_empty() && d.nodes.is_empty() && d.impact.is_empty();
            (!empty).then_some(d)
        }
    }
}

fn added_journey(h: &Journey) -> JourneyDiff {
    let nodes: Vec<NodeChange> = h
        .nodes
        .iter()
        .map(|n| NodeChange {
            status: Status::Added,
            stage: n.stage.clone(),
            class: classify(&n.step),
            base_id: None,
            head_id: Some(n.id.clone()),
            base: None,
            head: Some(step_label(n)),
            fields: vec![],
        })
        .collect();
    let graph = mermaid::changed_graph(None, h, &nodes, &BTreeMap::new());
    JourneyDiff {
        name: h.name.clone(),
        status: Status::Added,
        settings: vec![],
        stages: h.stages.iter().map(|s| StageChange { name: s.name.clone(), status: Status::Added }).collect(),
        nodes,
        impact: vec![],
        graph,
    }
}

type StageOps = (String, Vec<Op>, Vec<usize>, Vec<usize>);

fn changed_journey(b: &Journey, h: &Journey) -> JourneyDiff {
    // Align the steps of each stage present on both sides.
    let mut mapping: BTreeMap<String, String> = BTreeMap::new(); // base id -> head id
                                                                 // per stage: its name, the edit script, and the node positions on each side
    let mut per_stage: Vec<StageOps> = Vec::new();
    let bctx = Ctx::new(b);
    let hctx = Ctx::new(h);
    let stage_nodes = |j: &Journey, stage: &str| -> Vec<usize> {
        j.nodes.iter().enumerate().filter(|(_, n)| n.stage == stage).map(|(i, _)| i).collect()
    };
    let mut stages = Vec::new();
    for s in &h.stages {
        let hn = stage_nodes(h, &s.name);
        let (bn, ops) = if b.stages.iter().any(|x| x.name == s.name) {
            let bn = stage_nodes(b, &s.name);
            let bf: Vec<_> = bn.iter().map(|&i| step_fields(&b.nodes[i], &bctx, None)).collect();
            let hf: Vec<_> = hn.iter().map(|&i| step_fields(&h.nodes[i], &hctx, None)).collect();
            let bk: Vec<_> = bn.iter().map(|&i| step_kind(&b.nodes[i].step)).collect();
            let hk: Vec<_> = hn.iter().map(|&i| step_kind(&h.nodes[i].step)).collect();
            let idx_b: Vec<usize> = (0..bn.len()).collect();
            let idx_h: Vec<usize> = (0..hn.len()).collect();
            // align over positions so both relations can look at their own tables
            let ops = align_positions(&idx_b, &idx_h, |i, j| bf[i] == hf[j], |i, j| bk[i] == hk[j]);
            (bn, ops)
        } else {
            stages.push(StageChange { name: s.name.clone(), status: Status::Added });
            (Vec::new(), (0..hn.len()).map(Op::Added).collect())
        };
        for op in &ops {
            if let Op::Pair(i, j) = op {
                mapping.insert(b.nodes[bn[*i]].id.clone(), h.nodes[hn[*j]].id.clone());
            }
        }
        per_stage.push((s.name.clone(), ops, bn, hn));
    }
    for s in &b.stages {
        if !h.stages.iter().any(|x| x.name == s.name) {
            stages.push(StageChange { name: s.name.clone(), status: Status::Removed });
            let bn = stage_nodes(b, &s.name);
            per_stage.push((s.name.clone(), (0..bn.len()).map(Op::Removed).collect(), bn, Vec::new()));
        }
    }

    let mut nodes = Vec::new();
    let mut impact = Vec::new();
    for (stage, ops, bn, hn) in &per_stage {
        for op in ops {
            match *op {
                Op::Added(j) => {
                    let n = &h.nodes[hn[j]];
                    nodes.push(NodeChange {
                        status: Status::Added,
                        stage: stage.clone(),
                        class: classify(&n.step),
                        base_id: None,
                        head_id: Some(n.id.clone()),
                        base: None,
                        head: Some(step_label(n)),
                        fields: vec![],
                    });
                }
                Op::Removed(i) => {
                    let n = &b.nodes[bn[i]];
                    nodes.push(NodeChange {
                        status: Status::Removed,
                        stage: stage.clone(),
                        class: classify(&n.step),
                        base_id: Some(n.id.clone()),
                        head_id: None,
                        base: Some(step_label(n)),
                        head: None,
                        fields: vec![],
                    });
                    if n.step.is_wait() {
                        let why = if stages.iter().any(|s| s.name == *stage && s.status == Status::Removed) {
                            format!("its stage `{stage}` was removed")
                        } else {
                            "the step was removed".to_string()
                        };
                        impact.push(Impact {
                            node: Some(n.id.clone()),
                            step: Some(step_label(n)),
                            outcomes: vec![Outcome::Exit],
                            message: format!(
                                "customers waiting at `{}` ({}) exit the journey: {why}",
                                n.id,
                                step_label(n)
                            ),
                        });
                    }
                }
                Op::Pair(i, j) => {
                    let (bnode, hnode) = (&b.nodes[bn[i]], &h.nodes[hn[j]]);
                    let bf = step_fields(bnode, &bctx, Some(&mapping));
                    let hf = step_fields(hnode, &hctx, None);
                    let fields: Vec<FieldChange> = describe::zip_fields(&bf, &hf);
                    if !fields.is_empty() {
                        nodes.push(NodeChange {
                            status: Status::Changed,
                            stage: stage.clone(),
                            class: classify(&hnode.step),
                            base_id: Some(bnode.id.clone()),
                            head_id: Some(hnode.id.clone()),
                            base: Some(step_label(bnode)),
                            head: Some(step_label(hnode)),
                            fields: fields.clone(),
                        });
                    }
                    if bnode.step.is_wait() {
                        if let Some(i) = wait_impact(bnode, hnode, &fields) {
                            impact.push(i);
                        }
                    }
                }
            }
        }
    }

    let graph = mermaid::changed_graph(Some(b), h, &nodes, &mapping);
    let settings = journey_settings(b, h, &bctx, &hctx, &mapping);
    JourneyDiff { name: h.name.clone(), status: Status::Changed, settings, stages, nodes, impact, graph }
}

fn align_positions(
    b: &[usize],
    h: &[usize],
    exact: impl Fn(usize, usize) -> bool,
    similar: impl Fn(usize, usize) -> bool,
) -> Vec<Op> {
    align::align(b, h, |x, y| exact(*x, *y), |x, y| similar(*x, *y))
}

/// The mid-journey rule for a wait present on both sides.
fn wait_impact(b: &journey_ir::Node, h: &journey_ir::Node, fields: &[FieldChange]) -> Option<Impact> {
    let mut outcomes = Vec::new();
    let mut parts = Vec::new();
    let timing = ["duration", "time", "zone", "date", "timeout"];
    let condition = ["event", "filter"];
    let paths = ["next", "then", "on timeout"];
    let changed = |names: &[&str]| {
        fields.iter().filter(|f| names.contains(&f.field.as_str())).map(|f| f.field.clone()).collect::<Vec<_>>()
    };
    let t = changed(&timing);
    if !t.is_empty() {
        outcomes.push(Outcome::KeepDeadline);
        parts.push(format!(
            "keep the deadline they were given ({} changed; new arrivals get the new one)",
            t.join(", ")
        ));
    }
    let c = changed(&condition);
    if !c.is_empty() {
        outcomes.push(Outcome::KeepDeadline);
        parts.push(format!("are matched against the new {} from the deployment on", c.join(" and ")));
    }
    let p = changed(&paths);
    if !p.is_empty() {
        outcomes.push(Outcome::FollowNewPath);
        parts.push(format!("follow the new path when the wait ends ({} changed)", p.join(", ")));
    }
    if parts.is_empty() && b.id != h.id {
        outcomes.push(Outcome::Renumbered);
        parts.push(format!("stay where they are: same step, now `{}`", h.id));
    }
    if parts.is_empty() {
        return None;
    }
    outcomes.dedup();
    let moved = if b.id != h.id && !outcomes.contains(&Outcome::Renumbered) {
        format!(" (now `{}`)", h.id)
    } else {
        String::new()
    };
    Some(Impact {
        node: Some(b.id.clone()),
        step: Some(step_label(b)),
        outcomes,
        message: format!("customers waiting at `{}` ({}){moved} {}", b.id, step_label(b), parts.join("; and ")),
    })
}

fn journey_settings(
    b: &Journey,
    h: &Journey,
    bctx: &Ctx,
    hctx: &Ctx,
    mapping: &BTreeMap<String, String>,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    out.extend(opt_field("title", b.title.clone(), h.title.clone()));
    out.extend(opt_field("owner", b.owner.clone(), h.owner.clone()));
    out.extend(field("priority", b.priority.to_string(), h.priority.to_string()));
    out.extend(field("tags", format!("[{}]", b.tags.join(", ")), format!("[{}]", h.tags.join(", "))));
    out.extend(field("entry", describe::describe_entry(b), describe::describe_entry(h)));
    out.extend(opt_field("audience", b.audience.as_ref().map(describe_expr), h.audience.as_ref().map(describe_expr)));
    out.extend(field("re_entry", describe::describe_re_entry(&b.re_entry), describe::describe_re_entry(&h.re_entry)));
    let exits = |j: &Journey| j.exits.iter().map(describe::describe_exit).collect::<Vec<_>>().join("; ");
    out.extend(field("exit", exits(b), exits(h)));
    out.extend(field("holdout", format!("{}%", b.holdout_percent), format!("{}%", h.holdout_percent)));
    out.extend(field("start", bctx.transition(&b.start, None, Some(mapping)), hctx.transition(&h.start, None, None)));
    fn goals(j: &Journey) -> BTreeMap<&str, String> {
        j.goals.iter().map(|g| (g.name.as_str(), describe_goal(g))).collect()
    }
    out.extend(map_fields("goal ", &goals(b), &goals(h)));
    let guards = |j: &Journey| -> BTreeMap<String, String> {
        j.guardrails.iter().map(|g| (format!("{} {}", g.metric, g.op.as_str()), describe_guardrail(g))).collect()
    };
    let (gb, gh) = (guards(b), guards(h));
    let gb: BTreeMap<&str, String> = gb.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let gh: BTreeMap<&str, String> = gh.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    out.extend(map_fields("guardrail ", &gb, &gh));
    fn assume(j: &Journey) -> BTreeMap<&str, String> {
        j.assumptions.iter().map(|a| (a.target.as_str(), describe_assumption(a))).collect()
    }
    out.extend(map_fields("assume ", &assume(b), &assume(h)));
    out
}

/// Describe a transition the way the diff compares it (exposed for renderers).
pub fn describe_transition(t: &Transition) -> String {
    match t {
        Transition::Node(id) => format!("`{id}`"),
        Transition::End => "end".to_string(),
        Transition::Journey(j) => format!("journey `{j}`"),
    }
}

#[cfg(test)]
mod tests;
