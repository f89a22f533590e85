// Empty: the crate has build-dependencies only to give the proc-macros' `syn` the
// features of the workspace's test build (see Cargo.toml), so the wheel reuses it.
fn main() {}
