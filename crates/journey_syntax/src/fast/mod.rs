//! A hand-written parser for the common case: a file that parses cleanly, whose
//! literals are all in range, without block comments. It builds the very AST that
//! pest's path builds (spans included) in a fraction of the time, and declines
//! (returns `None`) on anything else, so every diagnostic still comes from pest.
//!
//! It follows the grammar's PEG rules one for one: ordered choice, greedy repetition,
//! a failed sequence giving its input back. A rule that does not match returns `None`
//! with the position restored; declining is a `None` that reaches [`parse`]: the file
//! does not parse, or holds what this parser leaves to pest. Oracle:
//! `tests/fast_parser.rs` (pest's AST or a decline, on every file of the repository and
//! on mutated ones).

mod expr;
mod items;
mod lexer;

use crate::ast::Module;

/// The module of `source`, or `None` when pest must parse it (an error, an
/// out-of-range literal, a block comment, an over-long condition).
pub(crate) fn parse(source: &str) -> Option<Module> {
    let mut p = lexer::Lexer::new(source);
    let items = items::file(&mut p)?;
    if p.declined {
        return None;
    }
    Some(Module { items, poisoned: Vec::new() })
}
