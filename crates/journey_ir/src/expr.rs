use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A resolved, typed condition or value. Names are classified (attribute, event
/// property, audience), durations are in minutes and money is a plain amount in the
/// program currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Expr {
    Const {
        value: Value,
    },
    Attribute {
        name: String,
    },
    /// A property of the event being matched (`where` clauses).
    Property {
        name: String,
    },
    /// Membership of another audience.
    Audience {
        name: String,
    },
    Aggregate(Aggregate),
    /// issue 15, accounts: `account.count(…)` and the like, over the events of every
    /// customer of the customer's account (their own included).
    AccountAggregate(Aggregate),
    Not {
        expr: Box<Expr>,
    },
    And {
        all: Vec<Expr>,
    },
    Or {
        any: Vec<Expr>,
    },
    Compare {
        cmp: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
    },
    Add {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Sub {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x is set`: whether the value exists; never unknown (`x is not set` is `not` of it).
    IsSet {
        expr: Box<Expr>,
    },
    // ---- issue 15: arithmetic and named scores. Any operand without a value makes
    // the result unknown; so does a division by zero.
    Mul {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Div {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `min(a, b, …)`; `clamp(x, lo, hi)` is lowered to `min(max(x, lo), hi)`.
    Min {
        all: Vec<Expr>,
    },
    Max {
        all: Vec<Expr>,
    },
    /// A named score (`score health = …`), with its value inlined so every reader
    /// (engine, analyses) sees what it is made of; the name is kept for display.
    Score {
        name: String,
        expr: Box<Expr>,
    },
    /// issue 15: `today`, a date: in the engine the simulated clock's day in the
    /// customer's time zone (the project's when they have none).
    Today,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    Bool(bool),
    Number(f64),
    Money(f64),
    /// Percent as written: 10% is 10.0.
    Percent(f64),
    DurationMinutes(u64),
    /// ISO date `yyyy-mm-dd`.
    Date(String),
    /// Minutes after midnight.
    TimeOfDay(u32),
    Text(String),
}

/// Behaviour aggregates over a customer's event history. `window_minutes: None` means
/// all history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "fn", rename_all = "snake_case")]
pub enum Aggregate {
    Count {
        event: String,
        filter: Option<Box<Expr>>,
        window_minutes: Option<u64>,
    },
    Sum {
        event: String,
        property: String,
        filter: Option<Box<Expr>>,
        window_minutes: Option<u64>,
    },
    Avg {
        event: String,
        property: String,
        filter: Option<Box<Expr>>,
        window_minutes: Option<u64>,
    },
    /// Time since the last occurrence (infinite when it never happened).
    Since {
        event: String,
        filter: Option<Box<Expr>>,
    },
    /// Time since a date or time attribute.
    SinceAttribute {
        attribute: String,
    },
    /// Time since the first occurrence.
    SinceFirst {
        event: String,
        filter: Option<Box<Expr>>,
    },
    /// issue 15: the property's value on the customer's latest event that carried one
    /// (no value if none did). When it was set is `since(EVENT where PROPERTY is set)`.
    Latest {
        event: String,
        property: String,
        filter: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
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
