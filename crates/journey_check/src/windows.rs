//! Issue 15, campaign windows: `active from 2026-11-20 to 2026-12-01` on a journey.
//! A window that ends before it starts is J002; one that has already ended is J313, a
//! warning (the journey will never enter anyone again, which is fine for last year's
//! campaign kept for the record, but usually means a date was not updated).
//!
//! "Today" is the `JOURNEY_TODAY` environment variable (`yyyy-mm-dd`) when set, else
//! the system clock's date in UTC: tests and CI fix it so output stays stable.

use crate::context::Ctx;
use journey_diagnostics::{Diagnostic, FileId};
use journey_ir as ir;
use journey_syntax::ast;

/// Days since 1970-01-01 of a valid date.
fn days(d: &ast::DateLit) -> i64 {
    crate::analysis::logic::days_from_civil(&iso(d)).unwrap_or(0)
}

fn iso(d: &ast::DateLit) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Today, as days since 1970-01-01: `JOURNEY_TODAY` or the system date (UTC).
pub(crate) fn today() -> i64 {
    if let Some(d) = std::env::var("JOURNEY_TODAY").ok().and_then(|s| crate::analysis::logic::days_from_civil(s.trim()))
    {
        return d;
    }
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

impl Ctx<'_> {
    pub(crate) fn active_window(&mut self, file: FileId, a: &ast::ActiveWindow) -> Option<ir::ActiveWindow> {
        let (from, to) = (days(&a.from), days(&a.to));
        if to < from {
            self.push(
                Diagnostic::new(
                    "J002",
                    format!("the campaign window ends on {} before it starts on {}", iso(&a.to), iso(&a.from)),
                )
                .primary(file, a.to.span, "before the start")
                .secondary(file, a.from.span, "the start")
                .help("write the first day first: `active from 2026-11-20 to 2026-12-01`"),
            );
            return None;
        }
        if to < today() {
            self.push(
                Diagnostic::new("J313", format!("this journey's campaign window ended on {}", iso(&a.to)))
                    .primary(file, a.to.span, "already past")
                    .help("move the dates to the next campaign, or delete the journey if it is done"),
            );
        }
        Some(ir::ActiveWindow { from: iso(&a.from), to: iso(&a.to) })
    }
}
