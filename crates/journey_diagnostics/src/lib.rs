//! The one diagnostic model shared by every stage of the journey pipeline.
//!
//! Stages produce [`Diagnostic`] values that point into files held by a [`SourceMap`];
//! the renderers in [`render`] turn the same values into text for people (full and
//! concise), JSON, GitHub workflow annotations and SARIF. Every diagnostic carries a
//! stable code from the [`rules`] registry, so severities can be overridden and each
//! code has a documentation page.

mod diagnostic;
pub mod plain;
pub mod quiet_panic;
pub mod render;
pub mod rules;
mod source;
pub mod suggest;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use rules::{Rule, RULES};
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span};
