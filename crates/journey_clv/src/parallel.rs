//! Work split over the cores, for the per-customer loops that run over a whole
//! customer base (100,000s of customers) while the rest of a replay waits for them.

/// `items.iter().map(f).collect()`, on up to `available_parallelism` threads (at most
/// 8) once there are `min` items or more: each thread maps a contiguous run and the
/// runs are joined in order, so the result is the same as on one thread.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], min: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads =
        if items.len() >= min { std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) } else { 1 };
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let run = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> =
            items.chunks(run).map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>())).collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_as_one_thread_in_the_same_order() {
        let items: Vec<u64> = (0..100_003).collect();
        let squares = super::map(&items, 10, |x| x * x);
        assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(super::map(&items[..3], 10, |x| x + 1), vec![1, 2, 3]);
    }
}
