pub mod check;
pub mod clv;
pub mod compile;
pub mod completions;
pub mod explain;
pub mod fmt;
pub mod graph;
