//! A journey repository: the `journey.yaml` at its root, and the journey files it holds.
//! All files of a repository are checked together as one program, so loading is the
//! first stage of the pipeline.

mod business_days;
mod config;
mod discover;
pub mod program_rules;

pub use config::{Config, Ignore, RuleLevel, CONFIG_FILE};
pub use discover::{find_root, is_journey_file, load, repository_root, JourneyFile, Project, ProjectError};
