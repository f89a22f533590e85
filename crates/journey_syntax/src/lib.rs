//! Front-ends of the journey language: the `.journey` grammar (pest, in
//! `grammar/journey.pest`) and `.journey.yaml` files, both lowered to one spanned AST.

pub mod ast;
mod depth;
mod expected;
mod fast;
mod parser;
mod recover;
pub mod yaml;

pub use expected::describe_rule;
pub use parser::{parse, parse_with_pest, Parsed};

/// The hand-written parser alone: `None` where it leaves the file to pest. For its
/// oracle test (`tests/fast_parser.rs`).
#[doc(hidden)]
pub fn parse_fast(source: &str) -> Option<ast::Module> {
    fast::parse(source)
}

/// Which front-end a path belongs to, by its name.
pub fn is_yaml_journey(path: &str) -> bool {
    path.ends_with(".journey.yaml") || path.ends_with(".journey.yml")
}

/// Parse a file with the front-end its name calls for.
pub fn parse_file(path: &str, source: &str, file: journey_diagnostics::FileId) -> Parsed {
    if is_yaml_journey(path) {
        yaml::parse(source, file)
    } else {
        parse(source, file)
    }
}
