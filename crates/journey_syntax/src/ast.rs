//! The abstract syntax tree. Both front-ends (the `.journey` grammar and
//! `.journey.yaml`) produce it; every node keeps the byte span it came from so the
//! checker can point at the exact text (in YAML, at the scalar the value came from).

pub use journey_diagnostics::Span;

/// A parsed file: the items in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    pub items: Vec<Item>,
    /// Top-level declarations that failed to parse. They are still declared (by kind
    /// and, when it could be read, by name) so the checker does not report every use
    /// of them again: one mistake, one error.
    pub poisoned: Vec<Poisoned>,
}

/// A declaration that did not parse: what it seems to declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Poisoned {
    /// `None` when even the leading keyword is unreadable: it may declare anything.
    pub kind: Option<DeclKind>,
    /// `None` when the name itself is where the mistake is.
    pub name: Option<Ident>,
    pub span: Span,
}

/// The kinds of top-level declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclKind {
    Event,
    Attribute,
    Channel,
    Audience,
    Policy,
    Journey,
    /// issue 15: `score health = …`
    Score,
}

impl DeclKind {
    pub const ALL: [DeclKind; 7] = [
        DeclKind::Event,
        DeclKind::Attribute,
        DeclKind::Channel,
        DeclKind::Audience,
        DeclKind::Policy,
        DeclKind::Journey,
        DeclKind::Score,
    ];

    /// The keyword that starts such a declaration.
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Event => "event",
            DeclKind::Attribute => "attribute",
            DeclKind::Channel => "channel",
            DeclKind::Audience => "audience",
            DeclKind::Policy => "policy",
            DeclKind::Journey => "journey",
            DeclKind::Score => "score",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    /// The value with escapes resolved.
    pub value: String,
    /// Span including the quotes.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(EventDecl),
    Attribute(AttributeDecl),
    Channel(ChannelDecl),
    Audience(AudienceDecl),
    Policy(PolicyDecl),
    Journey(JourneyDecl),
    /// issue 15: a named computed value.
    Score(ScoreDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Event(d) => d.span,
            Item::Attribute(d) => d.span,
            Item::Channel(d) => d.span,
            Item::Audience(d) => d.span,
            Item::Policy(d) => d.span,
            Item::Journey(d) => d.span,
            Item::Score(d) => d.span,
        }
    }
}

// ------------------------------------------------------------------ schema

#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    pub name: Ident,
    pub properties: Vec<Property>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    /// issue 15, accounts: `account attribute NAME: TYPE`, a value of the customer's
    /// account (read as `account.NAME`)
    pub account: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `text`, `number`, `money`, `bool`, `time`, `date`, `timezone`, `duration`;
    /// kept as a name so the checker can say "did you mean".
    Named(Ident),
    OneOf {
        choices: Vec<StringLit>,
        span: Span,
    },
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) => i.span,
            TypeExpr::OneOf { span, .. } => *span,
        }
    }
}

// ------------------------------------------------------------------ channels

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDecl {
    pub name: Ident,
    pub settings: Vec<ChannelSetting>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelSetting {
    Kind(Ident),
    Consent(Ident),
    QuietHours(QuietHours),
    Cap(Cap),
    MinGap(Duration),
    /// issue 15: `category transactional`.
    Category(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuietHours {
    pub from: TimeOfDay,
    pub to: TimeOfDay,
    pub zone: Option<Zone>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// The customer's own time zone.
    Local(Span),
    /// A named IANA zone, e.g. "Europe/Paris".
    Named(StringLit),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    pub count: Integer,
    pub window: Duration,
    pub span: Span,
}

// ------------------------------------------------------------------ audiences and policy

#[derive(Debug, Clone, PartialEq)]
pub struct AudienceDecl {
    pub name: Ident,
    pub condition: Expr,
    pub span: Span,
}

/// `score health = 0.4 * clamp(count(login, 14d) / 10, 0, 1) + …` (issue 15): a
/// named number or amount, computed per customer whenever it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDecl {
    pub settings: Vec<PolicySetting>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicySetting {
    Cap { channels: ChannelSet, cap: Cap },
    MinGap(Duration),
    QuietDays { days: Vec<DayRef>, span: Span },
    Conflicting(TagList),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelSet {
    Any(Span),
    Some(Vec<Ident>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DayRef {
    Date(DateLit),
    /// A weekday name, checked by the checker.
    Weekday(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TagList {
    pub tags: Vec<Ident>,
    pub span: Span,
}

// ------------------------------------------------------------------ journeys

#[derive(Debug, Clone, PartialEq)]
pub struct JourneyDecl {
    pub name: Ident,
    pub items: Vec<JourneyItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JourneyItem {
    Title(StringLit),
    Owner(StringLit),
    Priority(Integer),
    Tags(TagList),
    Entry(Entry),
    Audience(Expr),
    ReEntry(ReEntry),
    Exit(Exit),
    Holdout(Percent),
    Stage(Stage),
    Goal(Goal),
    Guardrail(Guardrail),
    Assume(Assume),
    /// issue 15: `active from 2026-11-20 to 2026-12-01`
    Active(ActiveWindow),
    /// issue 15, accounts: `for account` (the span of the whole item)
    ForAccount(Span),
}

/// A campaign window: the journey enters customers only from the first day through the
/// last (both included, in the project time zone).
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveWindow {
    pub from: DateLit,
    pub to: DateLit,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub trigger: Trigger,
    pub span: Span,
    /// Several triggers: `entry on signup or on trial_started` (or the YAML list form)
    /// holds the triggers after the first here, in the order written.
    pub also: Vec<AltTrigger>,
}

/// Another trigger of the same entry (`… or on trial_started`); `span` covers it
/// without the `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct AltTrigger {
    pub trigger: Trigger,
    pub span: Span,
}

/// Another event a `wait up to … for A or B` ends on: `B [where …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AltEvent {
    pub event: Ident,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// `entry on signup where plan == "pro"`
    Event { event: Ident, filter: Option<Expr> },
    /// `entry when audience at_risk entered`
    Audience { audience: Ident, edge: AudienceEdge, edge_span: Span },
    /// `entry every monday at 09:00`
    Schedule { period: SchedulePeriod, at: TimeOfDay, zone: Option<Zone> },
    /// `entry at renewal_date - 30d at 09:00`
    Date { attribute: Ident, offset: Option<SignedDuration>, at: Option<TimeOfDay> },
    /// issue 15: `entry when health < 0.4`, entered when the condition turns true
    Condition { condition: Expr },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceEdge {
    Entered,
    Exited,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SchedulePeriod {
    /// `day`, `weekday`, `weekend` or a weekday name; checked by the checker.
    Named(Ident),
    /// `month on 1`
    Monthly { day: Integer, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignedDuration {
    pub negative: bool,
    pub duration: Duration,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReEntry {
    Never(Span),
    Always(Span),
    After { duration: Duration, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    OnEvent { event: Ident, filter: Option<Expr>, span: Span },
    When { condition: Expr, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: Ident,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Send {
        channel: Ident,
        template: StringLit,
        tags: Option<TagList>,
    },
    Wait(Duration),
    WaitUntilTime {
        at: TimeOfDay,
        zone: Option<Zone>,
    },
    WaitUntilDate(Expr),
    /// `also`: the events after the first (`for purchase or subscription_started`).
    WaitFor {
        timeout: Duration,
        event: Ident,
        filter: Option<Expr>,
        then: Target,
        on_timeout: Target,
        also: Vec<AltEvent>,
    },
    Branch {
        arms: Vec<BranchArm>,
        otherwise: Option<Target>,
    },
    Split {
        name: Option<Ident>,
        arms: Vec<SplitArm>,
    },
    Set {
        attribute: Ident,
        value: Expr,
    },
    Task {
        channel: Ident,
        title: StringLit,
        /// The older `assign "…"` form (a fixed owner); `owner` is `None` with it.
        assignee: Option<StringLit>,
        /// issue 15: `owner "…"` or `owner attribute A [else queue Q]`.
        owner: Option<TaskOwner>,
        /// issue 15: `due 2 business days`, `due 3 days`, `due 4 hours`, `due 48h`.
        due: Option<TaskDue>,
        /// issue 15: `priority high` (the checker knows the levels).
        priority: Option<Ident>,
    },
    Webhook {
        channel: Ident,
        template: StringLit,
    },
    Goto(Target),
    End,
    /// issue 15: `wait 3 business days`.
    WaitBusinessDays(BusinessDays),
}

impl StepKind {
    /// Steps after which control never falls through to the next step.
    pub fn is_terminator(&self) -> bool {
        matches!(
            self,
            StepKind::WaitFor { .. }
                | StepKind::Branch { .. }
                | StepKind::Split { .. }
                | StepKind::Goto(_)
                | StepKind::End
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BranchArm {
    pub condition: Expr,
    pub target: Target,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SplitArm {
    pub weight: Percent,
    pub target: Target,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    End(Span),
    Stage(Ident),
    Journey(Ident, Span),
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::End(s) | Target::Journey(_, s) => *s,
            Target::Stage(i) => i.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub name: Ident,
    pub kind: GoalKind,
    pub within: Duration,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GoalKind {
    Event {
        event: Ident,
        filter: Option<Expr>,
    },
    Reach(Ident),
    /// issue 15: `sum(purchase.amount where … within 30d)`, an amount goal (its window
    /// is the goal's `within`).
    Sum {
        event: Ident,
        property: Ident,
        filter: Option<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Guardrail {
    pub metric: Ident,
    pub op: CmpOp,
    /// A percentage (`0.5%`) or a plain number (`2`, for per-customer counts).
    pub limit: Literal,
    pub span: Span,
}

/// `assume reactivated +3pp (0pp..6pp)`: the stated effect of the journey on a goal
/// (or built-in outcome), with its plausible range, for the CLV estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Assume {
    pub target: Ident,
    pub effect: Effect,
    pub low: Effect,
    pub high: Effect,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectUnit {
    /// Percentage points, absolute (`+3pp`).
    Points,
    /// Relative change (`+10%`).
    Percent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub value: f64,
    pub unit: EffectUnit,
    pub span: Span,
}

// ------------------------------------------------------------------ expressions

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `country`, `purchase.amount`, `hero`: resolved by the checker.
    Path(Vec<Ident>),
    /// `count(purchase where amount > 10, 365d)`
    Call {
        function: Ident,
        args: Vec<CallArg>,
    },
    List(Vec<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Paren(Box<Expr>),
    /// `account_type is set` / `account_type is not set`: whether a value was
    /// recorded. Never unknown, unlike a comparison with a missing value.
    IsSet {
        operand: Box<Expr>,
        negated: bool,
        op_span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallArg {
    pub value: Expr,
    pub filter: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    In,
    Cmp(CmpOp),
    Add,
    Sub,
    /// issue 15: arithmetic
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::In => "in",
            BinaryOp::Cmp(c) => c.as_str(),
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(Number),
    Money(Money),
    Percent(Percent),
    Duration(Duration),
    Date(DateLit),
    Time(TimeOfDay),
    String(StringLit),
    Bool(bool, Span),
}

// ------------------------------------------------------------------ scalar literals

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DurationUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl DurationUnit {
    pub fn suffix(self) -> char {
        match self {
            DurationUnit::Minutes => 'm',
            DurationUnit::Hours => 'h',
            DurationUnit::Days => 'd',
            DurationUnit::Weeks => 'w',
        }
    }
    pub fn minutes(self) -> u64 {
        match self {
            DurationUnit::Minutes => 1,
            DurationUnit::Hours => 60,
            DurationUnit::Days => 24 * 60,
            DurationUnit::Weeks => 7 * 24 * 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duration {
    pub amount: u64,
    pub unit: DurationUnit,
    pub span: Span,
}

impl Duration {
    /// Normalised length in minutes, saturating on absurd inputs.
    pub fn minutes(&self) -> u64 {
        self.amount.saturating_mul(self.unit.minutes())
    }
}

/// issue 15: who a task goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOwner {
    /// `owner "ana@x.com"`.
    Fixed(StringLit),
    /// `owner attribute csm_owner [else queue cs_triage]`: read when the step runs; a
    /// missing or empty value sends the task to `queue` (else the task's own queue).
    Attribute { attribute: Ident, queue: Option<Ident> },
}

/// issue 15: when a task is due, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskDue {
    /// `due 2 business days`.
    Business(BusinessDays),
    /// `due 3 days`, `due 4 hours` (`day`/`hour` parse too).
    Span { amount: u64, hours: bool, span: Span },
    /// `due 48h`.
    Duration(Duration),
}

impl TaskDue {
    pub fn span(&self) -> Span {
        match self {
            TaskDue::Business(b) => b.span,
            TaskDue::Span { span, .. } => *span,
            TaskDue::Duration(d) => d.span,
        }
    }

    /// The amount as written (0 is refused by the checker).
    pub fn amount(&self) -> u64 {
        match self {
            TaskDue::Business(b) => b.amount,
            TaskDue::Span { amount, .. } => *amount,
            TaskDue::Duration(d) => d.amount,
        }
    }
}

/// issue 15: `3 business days`, a count of working days (weekends and the holidays of
/// the customer's calendar are stepped over), as written in a wait or a task's `due`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusinessDays {
    pub amount: u64,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeOfDay {
    pub hour: u32,
    pub minute: u32,
    pub span: Span,
}

impl TimeOfDay {
    pub fn minutes_after_midnight(&self) -> u32 {
        self.hour * 60 + self.minute
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateLit {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    /// The digits as written, so the formatter reproduces `0.50` as `0.50`.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Integer {
    pub value: u64,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Percent {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    pub amount: f64,
    pub text: String,
    /// ISO code, or `None` for `$12`, which means the project currency.
    pub currency: Option<String>,
    pub span: Span,
}
