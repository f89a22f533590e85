//! The validated intermediate representation (IR) of a journey program: what the
//! checker proves correct and what the calendar analysis and the simulation engine
//! consume. Names are resolved, durations are normalised to minutes, every step is a
//! node with a stable id (`stage#index`), and every transition names its target node.
//!
//! The JSON form (`journey compile`) is stable within a [`IR_VERSION`]; its JSON Schema
//! is published at `docs/ir.schema.json`.

mod expr;
mod graph;

pub use expr::{Aggregate, CmpOp, Expr, Value};
pub use graph::{successors, EdgeKind, GraphNode, NodeGraph};

use journey_diagnostics::{FileId, Span};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bumped whenever the JSON shape changes incompatibly.
pub const IR_VERSION: u32 = 1;

/// What the engine does with a send that would go over a cap (channel or policy), in
/// the words diagnostics use: the one place that says it, so the checker's help (J603)
/// and the engine (`journey_engine`, state.rs, the cap checks: the send is refused and
/// counted as a cap hit) cannot drift apart. The engine's tests pin the behaviour.
pub const OVER_CAP: &str = "refuses the sends over the cap (they are dropped, not deferred)";

/// Where a construct came from. Only the human-readable form is serialised; the file id
/// and span exist in-process, for diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Origin {
    /// `path:line:column`
    pub at: String,
    #[serde(skip)]
    #[schemars(skip)]
    pub file: FileId,
    #[serde(skip)]
    #[schemars(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Program {
    pub ir_version: u32,
    /// Default customer time zone (IANA), from journey.yaml.
    pub timezone: String,
    pub currency: String,
    /// The attribute holding each customer's own time zone, if declared.
    pub timezone_attribute: Option<String>,
    pub events: Vec<EventDef>,
    pub attributes: Vec<AttributeDef>,
    pub channels: Vec<Channel>,
    pub audiences: Vec<Audience>,
    pub policy: Policy,
    pub journeys: Vec<Journey>,
    /// issue 15: the program's named scores (`score health = …`), in name order.
    #[serde(default)]
    pub scores: Vec<Score>,
    /// issue 15: the working-day calendar of `wait N business days` (journey.yaml
    /// `business_days`); left out of the JSON when it is the default.
    #[serde(default, skip_serializing_if = "BusinessDays::is_default")]
    pub business_days: BusinessDays,
    /// issue 15: program-wide rules from journey.yaml's `program:` (global holdout,
    /// suppression, caps per message category).
    #[serde(default, skip_serializing_if = "ProgramRules::is_empty")]
    pub rules: ProgramRules,
    /// issue 15, accounts: the account-level attributes and how customers belong to
    /// accounts (journey.yaml `events.account`); left out when there are none.
    #[serde(default, skip_serializing_if = "Accounts::is_empty")]
    pub accounts: Accounts,
}

/// issue 15, accounts: the customer attribute naming each customer's account and the
/// attribute (and value) marking an account's admins, who receive the messages of a
/// `for account` journey.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// The attributes declared `account attribute`: values of the customer's account,
    /// the same for every customer of one account (by name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// The attribute (snapshot column) holding the account id; `None` when the project
    /// maps no accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The account snapshot (CSV, first column the account id), relative to the project
    /// root; without it, account attributes come from the customers' rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The attribute saying who is an admin of their account (e.g. `role`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_attribute: Option<String>,
    /// The value of `admin_attribute` that makes an admin (default `admin`; a `bool`
    /// attribute needs none: true is admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_value: Option<String>,
}

impl Accounts {
    pub fn is_empty(&self) -> bool {
        *self == Accounts::default()
    }
}

/// The built-in holiday calendars (ISO 3166 country codes) a project or a customer's
/// country attribute can name; the engine's `business_days` module holds their rules.
pub const BUILTIN_CALENDARS: &[&str] = &["DE", "FR", "GB", "US"];

/// issue 15: which days are working days, as journey.yaml's `business_days` says. The
/// same shape is read from journey.yaml and written into the IR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessDays {
    /// The built-in holiday calendar that applies by default (one of
    /// [`BUILTIN_CALENDARS`]); none: only weekends and `holidays` are days off.
    #[serde(default)]
    pub calendar: Option<String>,
    /// A text attribute holding each customer's country code: a customer whose value
    /// names a built-in calendar uses that one instead of `calendar`.
    #[serde(default)]
    pub country_attribute: Option<String>,
    /// The days off every week, as lowercase English weekday names.
    #[serde(default = "default_weekend")]
    pub weekend: Vec<String>,
    /// More days off for every customer (`YYYY-MM-DD`), on top of the calendar's.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// A weekday as journey.yaml's `business_days.weekend` names it (`saturday` or `sat`,
/// any case): 0 for Monday to 6 for Sunday.
pub fn weekday_number(name: &str) -> Option<usize> {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let name = name.to_ascii_lowercase();
    DAYS.iter().position(|d| *d == name || (name.len() == 3 && d.starts_with(name.as_str())))
}

fn default_weekend() -> Vec<String> {
    vec!["saturday".into(), "sunday".into()]
}

impl Default for BusinessDays {
    fn default() -> Self {
        BusinessDays { calendar: None, country_attribute: None, weekend: default_weekend(), holidays: Vec::new() }
    }
}

impl BusinessDays {
    pub fn is_default(&self) -> bool {
        *self == BusinessDays::default()
    }
}

// ---------------------------------------------------------------- program-wide rules (issue 15)

/// The category a message channel has when it declares none: marketing until said
/// otherwise, so a forgotten `category` keeps the suppression list and the global
/// holdout in force rather than silently exempting a channel.
pub const DEFAULT_CATEGORY: &str = "promotional";
/// The category exempt from the global holdout and the suppression list (receipts,
/// password resets, renewal notices a contract requires).
pub const TRANSACTIONAL: &str = "transactional";

impl Channel {
    /// The channel's message category; `None` for tasks and webhooks, which reach no
    /// customer.
    pub fn category_name(&self) -> Option<&str> {
        self.kind.is_message().then(|| self.category.as_deref().unwrap_or(DEFAULT_CATEGORY))
    }
    /// Marketing: a message channel whose category is not `transactional`. Global
    /// holdout and suppression apply to these sends only.
    pub fn is_marketing(&self) -> bool {
        self.category_name().is_some_and(|c| c != TRANSACTIONAL)
    }
}

impl Program {
    /// A marketing journey sends at least one message on a marketing channel: the
    /// global holdout keeps customers out of these journeys only (tasks, webhooks and
    /// transactional messages still reach them).
    pub fn is_marketing_journey(&self, j: &Journey) -> bool {
        j.nodes.iter().any(|n| match &n.step {
            Step::Send { channel, .. } => self.channel(channel).is_some_and(Channel::is_marketing),
            _ => false,
        })
    }
}

/// Program-wide rules (journey.yaml `program:`), applied by the engine to every journey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProgramRules {
    /// A share of customers kept out of every marketing journey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_holdout: Option<GlobalHoldout>,
    /// Customers who receive no marketing sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionList>,
    /// Caps per message category, over all journeys and channels of the category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_caps: Vec<CategoryCap>,
}

impl ProgramRules {
    pub fn is_empty(&self) -> bool {
        self == &ProgramRules::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GlobalHoldout {
    /// 0 < percent < 100.
    pub percent: f64,
    /// Hashed with the customer id: the same salt keeps the same customers out in every
    /// journey and every run (the simulation seed does not change it).
    pub salt: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressionList {
    /// The file of customer ids (one a line), relative to journey.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The ids read from `file`, sorted, without duplicates.
    #[serde(default)]
    pub customers: Vec<String>,
    /// A bool attribute: customers for whom it is true are suppressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryCap {
    pub category: String,
    pub cap: Cap,
    /// The cap as journey.yaml writes it (`3 per week`), for the checker's messages
    /// (J401, J603). In-process only, like an [`Origin`]'s span: not in the IR's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub written: String,
    /// Where journey.yaml declares it (`promotional: 3 per 7d`), for the checker's
    /// labels. In-process only: not in the IR's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub origin: Origin,
}

impl CategoryCap {
    /// Does a send on `channel` count against this cap? Any message channel of its
    /// category, as the engine counts them.
    pub fn applies(&self, program: &Program, channel: &str) -> bool {
        program.channel(channel).and_then(Channel::category_name) == Some(self.category.as_str())
    }

    /// `program cap `promotional: 3 per 7d``, as journey.yaml writes it.
    pub fn describe(&self) -> String {
        format!("program cap `{}: {}`", self.category, self.written)
    }
}

impl Program {
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        // a handful, in declaration order: a scan
        self.channels.iter().find(|c| c.name == name)
    }
    pub fn audience(&self, name: &str) -> Option<&Audience> {
        by_name(&self.audiences, name, |a| &a.name)
    }
    pub fn journey(&self, name: &str) -> Option<&Journey> {
        by_name(&self.journeys, name, |j| &j.name)
    }
    pub fn event(&self, name: &str) -> Option<&EventDef> {
        self.events.iter().find(|e| e.name == name)
    }
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Type {
    Text,
    Number,
    Money,
    Bool,
    /// A point in time (date and time of day).
    Time,
    Date,
    Timezone,
    Duration,
    Percent,
    TimeOfDay,
    OneOf {
        choices: Vec<String>,
    },
    List {
        of: Box<Type>,
    },
}

impl Type {
    pub fn describe(&self) -> String {
        match self {
            Type::Text => "text".into(),
            Type::Number => "number".into(),
            Type::Money => "money".into(),
            Type::Bool => "bool".into(),
            Type::Time => "time".into(),
            Type::Date => "date".into(),
            Type::Timezone => "timezone".into(),
            Type::Duration => "duration".into(),
            Type::Percent => "percentage".into(),
            Type::TimeOfDay => "time of day".into(),
            Type::OneOf { choices } => {
                let c: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
                format!("one_of({})", c.join(", "))
            }
            Type::List { of } => format!("list of {}", of.describe()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventDef {
    pub name: String,
    pub properties: Vec<PropertyDef>,
    pub origin: Origin,
}

impl EventDef {
    pub fn property(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PropertyDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttributeDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Sms,
    Push,
    InApp,
    Webhook,
    Task,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 6] = [
        ChannelKind::Email,
        ChannelKind::Sms,
        ChannelKind::Push,
        ChannelKind::InApp,
        ChannelKind::Webhook,
        ChannelKind::Task,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Push => "push",
            ChannelKind::InApp => "in_app",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Task => "task",
        }
    }
    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Messages reach the customer and count against caps; tasks and webhooks do not.
    pub fn is_message(self) -> bool {
        !matches!(self, ChannelKind::Webhook | ChannelKind::Task)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// Bool attribute that must be true before anything is sent.
    pub consent: Option<String>,
    pub quiet_hours: Option<QuietHours>,
    pub cap: Option<Cap>,
    pub min_gap_minutes: Option<u64>,
    pub origin: Origin,
    /// issue 15 (program-wide rules): the message category (`category transactional`);
    /// `None` for a message channel means `promotional` (see [`Channel::category_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Where each setting was written, for diagnostics that point at it.
    #[serde(skip)]
    #[schemars(skip)]
    pub setting_origins: SettingOrigins,
}

/// Spans of a channel's settings (in-process only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingOrigins {
    pub consent: Option<Origin>,
    pub quiet_hours: Option<Origin>,
    pub cap: Option<Origin>,
    pub min_gap: Option<Origin>,
}

/// Local times during which nothing is sent; `from > to` wraps past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QuietHours {
    /// Minutes after midnight.
    pub from_minute: u32,
    pub to_minute: u32,
    pub zone: Zone,
}

impl QuietHours {
    /// Is this minute of the day inside the quiet window?
    pub fn contains(&self, minute: u32) -> bool {
        if self.from_minute <= self.to_minute {
            (self.from_minute..self.to_minute).contains(&minute)
        } else {
            minute >= self.from_minute || minute < self.to_minute
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "zone", content = "name", rename_all = "snake_case")]
pub enum Zone {
    /// The customer's own time zone (falling back to the program default).
    Customer,
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cap {
    pub count: u64,
    pub window_minutes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Audience {
    pub name: String,
    pub condition: Expr,
    pub origin: Origin,
}

/// issue 15: a campaign window, ISO dates, both days included, in the project time
/// zone: the journey enters customers from 00:00 on `from` until 24:00 on `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActiveWindow {
    pub from: String,
    pub to: String,
}

/// issue 15: a named computed value. Uses of it in conditions are
/// [`Expr::Score`] nodes carrying the same `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    pub name: String,
    /// `number` or `money`.
    pub ty: Type,
    pub value: Expr,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    pub caps: Vec<PolicyCap>,
    pub min_gap_minutes: Option<u64>,
    /// Lower-case weekday names (`sunday`) and ISO dates on which nothing is sent.
    pub quiet_days: Vec<String>,
    /// Groups of tags that must never reach the same customer close together.
    pub conflicting: Vec<Vec<String>>,
    /// Where `min_gap` was written (in-process only).
    #[serde(skip)]
    #[schemars(skip)]
    pub min_gap_origin: Option<Origin>,
}

impl Policy {
    /// How close together two sends with different tags of one `conflicting` group
    /// must not be: the longest policy cap window, or 7 days without one. The checker
    /// (J602), the calendar's observed collisions and the engine all use this.
    pub fn conflict_window_minutes(&self) -> u64 {
        self.caps.iter().map(|c| c.cap.window_minutes).max().unwrap_or(7 * 1440)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyCap {
    /// `None` means every message channel.
    pub channels: Option<Vec<String>>,
    pub cap: Cap,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Journey {
    pub name: String,
    pub title: Option<String>,
    pub owner: Option<String>,
    /// Higher wins when journeys compete for a customer; default 50.
    pub priority: u64,
    pub tags: Vec<String>,
    pub entry: Trigger,
    /// Several triggers: the events after the first of `entry on signup or on
    /// trial_started`; the journey is entered on any of them (only `on EVENT` triggers
    /// combine, so `entry` is then an event trigger too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_also: Vec<EventMatch>,
    /// Who may enter, checked at entry.
    pub audience: Option<Expr>,
    pub re_entry: ReEntry,
    pub exits: Vec<ExitRule>,
    pub holdout_percent: f64,
    /// The node customers start at.
    pub start: Transition,
    pub stages: Vec<StageInfo>,
    pub nodes: Vec<Node>,
    pub goals: Vec<Goal>,
    pub guardrails: Vec<Guardrail>,
    pub assumptions: Vec<Assumption>,
    /// issue 15: the campaign window (`active from … to …`): no entries outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<ActiveWindow>,
    /// issue 15, accounts: `for account`: the journey runs once per account (its
    /// subject is the account: the account's values and every event of its customers)
    /// and its messages go to the account's admins.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub for_account: bool,
    pub origin: Origin,
    /// Where the entry and each exit rule (same order as `exits`) were written
    /// (in-process only).
    #[serde(skip)]
    #[schemars(skip)]
    pub entry_origin: Origin,
    #[serde(skip)]
    #[schemars(skip)]
    pub exit_origins: Vec<Origin>,
    /// The entry's triggers as `journey fmt` prints them after `entry` (`every sunday
    /// at 08:00 local`), for pictures; empty when not lowered from source
    /// ([`draw::entry_label`] then describes the trigger). In-process only.
    #[serde(skip)]
    #[schemars(skip)]
    pub entry_label: String,
}

impl Journey {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
    /// Every node's index by id: resolving all transitions one [`Journey::node_index`]
    /// at a time is quadratic in the journey's length.
    pub fn node_lookup(&self) -> std::collections::HashMap<&str, usize> {
        self.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StageInfo {
    pub name: String,
    /// The stage's first node, or where an empty stage falls through to.
    pub first: Transition,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum Trigger {
    Event {
        event: String,
        filter: Option<Expr>,
    },
    AudienceEntered {
        audience: String,
    },
    AudienceExited {
        audience: String,
    },
    /// `period`: `day`, `weekday`, `weekend`, a weekday name, or `month_day:N`.
    Schedule {
        period: String,
        minute_of_day: u32,
        zone: Zone,
    },
    DateAttribute {
        attribute: String,
        offset_minutes: i64,
        minute_of_day: Option<u32>,
    },
    /// issue 15: `entry when COND`, entered when the condition turns from not true
    /// (false or unknown) to true, as a customer enters an audience.
    Condition {
        condition: Expr,
    },
}

/// `a`, `a or b`, …: the first event and the others of a list of several, joined by
/// `sep` (for labels and descriptions).
pub fn event_names(first: &str, also: &[EventMatch], sep: &str) -> String {
    let mut s = first.to_string();
    for a in also {
        s.push_str(sep);
        s.push_str(&a.event);
    }
    s
}

/// One event of several (several triggers, a wait for any of several events): its
/// name and the filter it must pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventMatch {
    pub event: String,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ReEntry {
    Never,
    Always,
    After { minutes: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum ExitRule {
    Event { event: String, filter: Option<Expr> },
    Condition { condition: Expr },
}

/// Where control goes next.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "to", content = "id", rename_all = "snake_case")]
pub enum Transition {
    Node(String),
    End,
    Journey(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Node {
    /// `stage#index`, stable while the stage's steps keep their order.
    pub id: String,
    pub stage: String,
    #[serde(flatten)]
    pub step: Step,
    pub origin: Origin,
    /// The step's first line as `journey fmt` prints it (`wait until 09:30 local`,
    /// `wait up to 3d for purchase where amount > $50`), its label in pictures; empty
    /// when the node was not lowered from source ([`draw::step_label`] then describes
    /// the step). In-process only, like an [`Origin`]'s span: not in the IR's JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Send {
        channel: String,
        template: String,
        tags: Vec<String>,
        next: Transition,
    },
    Wait {
        minutes: u64,
        next: Transition,
    },
    WaitUntilTime {
        minute_of_day: u32,
        zone: Zone,
        next: Transition,
    },
    WaitUntilDate {
        attribute: String,
        offset_minutes: i64,
        next: Transition,
    },
    /// `also`: the events after the first of `for purchase or subscription_started`;
    /// `then` is taken on whichever arrives first.
    WaitFor {
        event: String,
        filter: Option<Expr>,
        timeout_minutes: u64,
        then: Transition,
        timeout: Transition,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        also: Vec<EventMatch>,
    },
    Branch {
        arms: Vec<BranchArm>,
        otherwise: Transition,
    },
    Split {
        name: Option<String>,
        arms: Vec<SplitArm>,
    },
    SetAttribute {
        attribute: String,
        value: Expr,
        next: Transition,
    },
    /// A task for a CS team on a task channel (its queue).
    Task {
        channel: String,
        title: String,
        /// The fixed owner (`owner "…"` or the older `assign "…"`), also in `owner`;
        /// kept for readers of older IR.
        assignee: Option<String>,
        /// issue 15: where the owner comes from; `None`: the task goes to `channel`'s
        /// queue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<OwnerSource>,
        /// issue 15: the queue a task goes to when `owner` is an attribute that is
        /// missing or empty (`else queue Q`, else the task's own channel).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_queue: Option<String>,
        /// issue 15: when the task is due after it is created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<TaskDue>,
        #[serde(default, skip_serializing_if = "TaskPriority::is_normal")]
        priority: TaskPriority,
        next: Transition,
    },
    Webhook {
        channel: String,
        template: String,
        next: Transition,
    },
    Goto {
        target: Transition,
    },
    End,
    /// issue 15: `wait 3 business days`: the same local time on the `days`-th working
    /// day after the current local date, skipping the weekend and the holidays of the
    /// customer's calendar ([`BusinessDays`]).
    WaitBusinessDays {
        days: u64,
        next: Transition,
    },
}

/// issue 15: where a task's owner comes from. Accounts will add the account's
/// attribute (`account.csm_owner`) as another source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum OwnerSource {
    /// `owner "ana@x.com"`: always this person.
    Fixed { name: String },
    /// `owner attribute csm_owner`: the customer's text (or choice) attribute when the
    /// step runs; missing or empty sends the task to the fallback queue.
    Attribute { attribute: String },
}

/// issue 15: a task's due time after its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskDue {
    /// `due 3 days`, `due 4 hours`, `due 48h`: whole days keep the local time of day
    /// across a daylight-saving change, as waits do.
    Minutes(u64),
    /// `due 2 business days`: the same local time on the second working day of the
    /// customer's calendar.
    BusinessDays(u64),
}

/// issue 15: a task's priority (`priority high`); `normal` when not written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl TaskPriority {
    pub const ALL: [TaskPriority; 4] =
        [TaskPriority::Low, TaskPriority::Normal, TaskPriority::High, TaskPriority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskPriority::Low => "low",
            TaskPriority::Normal => "normal",
            TaskPriority::High => "high",
            TaskPriority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<TaskPriority> {
        TaskPriority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn is_normal(&self) -> bool {
        *self == TaskPriority::Normal
    }
}

impl Step {
    /// Does this step hold the customer until time passes or an event arrives?
    pub fn is_wait(&self) -> bool {
        matches!(
            self,
            Step::Wait { .. }
                | Step::WaitUntilTime { .. }
                | Step::WaitUntilDate { .. }
                | Step::WaitFor { .. }
                | Step::WaitBusinessDays { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BranchArm {
    pub condition: Expr,
    /// The condition as `journey fmt` prints it (filters, units and currency as
    /// written), for pictures and reports; empty when the arm was not lowered from
    /// source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub target: Transition,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SplitArm {
    pub percent: f64,
    pub target: Transition,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Goal {
    pub name: String,
    #[serde(flatten)]
    pub kind: GoalKind,
    pub within_minutes: u64,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GoalKind {
    Event {
        event: String,
        filter: Option<Expr>,
    },
    Reach {
        stage: String,
    },
    /// issue 15, an amount goal: per entry, the total of `property` over the customer's
    /// `event`s (those passing `filter`) from the entry to the entry + `within_minutes`.
    Sum {
        event: String,
        property: String,
        filter: Option<Expr>,
        /// `money` or `number`.
        unit: AmountUnit,
        /// The program's currency, for a money property.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        currency: Option<String>,
    },
}

/// What an amount goal adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    Money,
    Number,
}

impl GoalKind {
    /// An amount goal (`sum(…)`), rather than a conversion.
    pub fn is_amount(&self) -> bool {
        matches!(self, GoalKind::Sum { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Guardrail {
    pub metric: String,
    pub op: CmpOp,
    /// Rates as fractions (0.5% is 0.005); counts as numbers.
    pub limit: f64,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Assumption {
    /// A goal of the journey, or a built-in outcome (`order_value`, `retention`,
    /// `purchase_rate`).
    pub target: String,
    pub unit: EffectUnit,
    pub effect: f64,
    pub low: f64,
    pub high: f64,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EffectUnit {
    /// Absolute change in percentage points.
    Points,
    /// Relative change in percent.
    Percent,
}

/// Metrics the simulator measures, so guardrails can name them.
pub const METRICS: &[(&str, MetricKind)] = &[
    ("unsubscribe_rate", MetricKind::Rate),
    ("complaint_rate", MetricKind::Rate),
    ("bounce_rate", MetricKind::Rate),
    ("opt_out_rate", MetricKind::Rate),
    ("conversion_rate", MetricKind::Rate),
    ("holdout_rate", MetricKind::Rate),
    ("sends_per_customer", MetricKind::Count),
    ("sends_per_customer_per_week", MetricKind::Count),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Rate,
    Count,
}

/// Outcomes an assumption may name besides the journey's own goals.
pub const BUILTIN_OUTCOMES: &[&str] = &["order_value", "retention", "purchase_rate"];

pub mod draw;

/// The program as pretty JSON with a trailing newline. Field order follows the type
/// definitions and every collection is ordered, so output is byte-identical for the
/// same input.
pub fn to_json(program: &Program) -> String {
    let mut s = serde_json::to_string_pretty(program).expect("IR serialises");
    s.push('\n');
    s
}

/// The JSON Schema of [`Program`], as published in docs/ir.schema.json.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Program);
    let mut value = serde_json::to_value(&schema).expect("schema serialises");
    drop_unknown_formats(&mut value);
    let mut s = serde_json::to_string_pretty(&value).expect("schema serialises");
    s.push('\n');
    s
}

/// The `format` values JSON Schema (2020-12) defines. schemars adds Rust's own
/// (`uint64`, `double`, …), which validators in strict mode (ajv) reject as unknown;
/// the range they stand for is already said by `minimum`, so they are dropped.
const STANDARD_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

fn drop_unknown_formats(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()).is_some_and(|f| !STANDARD_FORMATS.contains(&f)) {
                map.remove("format");
            }
            map.values_mut().for_each(drop_unknown_formats);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_unknown_formats),
        _ => {}
    }
}

/// The item named `name`: the checker lowers audiences and journeys in name order, so a binary search finds it (the witness search asks for audiences by name
/// tens of thousands of times on a large repository); a program built in another
/// order (by hand, from JSON) is still answered, by a scan.
fn by_name<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    match items.binary_search_by(|x| key(x).as_str().cmp(name)) {
        Ok(i) => Some(&items[i]),
        Err(_) => items.iter().find(|x| key(x) == name),
    }
}
