//! Timing for the plain (`harness = false`) benchmarks.

use std::time::{Duration, Instant};

/// The fastest of `runs` runs of `f`, and the last result. The minimum is the figure
/// least disturbed by whatever else the machine is doing.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}
