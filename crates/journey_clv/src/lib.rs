//! Customer-lifetime-value models for journey: BG/NBD, Pareto/NBD and
//! Gamma-Gamma for non-contractual customers, shifted-beta-geometric and
//! Kaplan-Meier for subscriptions; RFM summaries from transaction logs,
//! discounted CLV per customer and cohort with intervals, and backtests.
//!
//! Every fit reproduces the published CDNOW and sBG figures; see
//! `docs/clv.md` in the repository and the tests in `tests/`.

pub mod backtest;
pub mod bgbb;
pub mod bgnbd;
mod bgnbd_likelihood;
pub mod bootstrap;
pub mod clv;
pub mod error;
pub mod fit;
pub mod gammagamma;
pub mod impact;
pub mod kaplan_meier;
pub mod optimize;
mod parallel;
pub mod paretonbd;
pub mod partial;
pub mod plot;
mod radix;
pub mod rfm;
pub mod sbg;
pub mod simulate;
pub mod special;
pub mod summary_rows;
pub mod table;
pub mod translog;

pub use error::{ClvError, Result};
pub use fit::FitReport;

/// Re-exported so front-ends can name dates without depending on chrono.
pub use chrono::NaiveDate;
