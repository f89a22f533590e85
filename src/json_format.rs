//! The `version` of every JSON output (`--format json`, and the error object of the
//! JSON modes): one number per output, each with its schema under docs/schemas/. A
//! version is bumped when a key is removed or renamed, or a value changes its type or
//! meaning; adding a key does not bump it (readers ignore keys they do not know), but
//! the schema gains the key in the same change. docs/schemas/README.md says the same
//! for users, and tests/json_schemas.rs validates real outputs against the schemas.

use serde::Serialize;

// `journey check --format json` is written by journey_diagnostics, with its own
// `render::json::JSON_VERSION`.
/// `journey calendar --format json`.
pub const CALENDAR: u32 = 1;
/// `journey diff --format json`.
pub const DIFF: u32 = 1;
// `journey simulate --format json` and `journey merge --format json` are written by
// journey_run (shared with the Python module), with its own `REPORT_VERSION`.
/// `journey clv fit|predict|backtest --format json`.
pub const CLV: u32 = 1;
/// `journey events validate --format json`.
pub const EVENTS_VALIDATE: u32 = 1;
/// The `{"version", "error"}` object a JSON mode prints on a fatal error.
pub const ERROR: u32 = 1;

/// `body`'s own keys, in their order, after a leading `version`.
#[derive(Serialize)]
struct Versioned<'a, T: Serialize> {
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// Pretty JSON (2-space indent) of `body` (a struct or map) with `version` first,
/// ending in a newline.
pub fn pretty<T: Serialize>(version: u32, body: &T) -> String {
    let mut s = serde_json::to_string_pretty(&Versioned { version, body }).expect("the output serialises");
    s.push('\n');
    s
}
