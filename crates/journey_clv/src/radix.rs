//! Grouping a few million 8-byte keys by a least-significant-digit radix sort,
//! for [`crate::summary_rows`]: sorting a million packed (x, t_x, T) keys reads
//! and writes them a few times in order, where a hash table of a hundred
//! thousand distinct rows misses the cache on nearly every customer.
//!
//! A key is made of fields at known shifts, each using only its low bits (the
//! rest zero), so only the bits in use are sorted: three fields of a few
//! hundred values each take three passes.

/// Bits per pass: 2,048 counters (16 KiB) stay in the first-level cache.
const DIGIT_BITS: u32 = 11;

/// Sort `keys` ascending, given that every key is zero outside the fields
/// `(shift, bits)` (bits 0 for a field with one value, which needs no pass).
/// `scratch` is working space, left with no meaning.
pub fn sort_packed(keys: &mut Vec<u64>, scratch: &mut Vec<u64>, fields: &[(u32, u32)]) {
    let mut digits: Vec<(u32, u32)> = Vec::new();
    for &(shift, bits) in fields {
        let mut done = 0;
        while done < bits {
            let width = DIGIT_BITS.min(bits - done);
            digits.push((shift + done, width));
            done += width;
        }
    }
    // Least significant first: each pass is stable, so the last pass (the
    // most significant digit) decides first and earlier ones break ties.
    digits.sort_unstable();
    scratch.clear();
    scratch.resize(keys.len(), 0);
    let mut counts = vec![0usize; 1 << DIGIT_BITS];
    for (shift, width) in digits {
        let mask = (1u64 << width) - 1;
        counts.iter_mut().for_each(|c| *c = 0);
        for &k in keys.iter() {
            counts[((k >> shift) & mask) as usize] += 1;
        }
        // A digit every key shares moves nothing.
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut next = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = next;
            next += n;
        }
        for &k in keys.iter() {
            let slot = &mut counts[((k >> shift) & mask) as usize];
            scratch[*slot] = k;
            *slot += 1;
        }
        std::mem::swap(keys, scratch);
    }
}

/// The distinct keys of sorted `keys` with how many times each occurs,
/// appended to `out`.
pub fn count_runs(keys: &[u64], out: &mut Vec<(u64, u64)>) {
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i];
        let mut j = i + 1;
        while j < keys.len() && keys[j] == k {
            j += 1;
        }
        out.push((k, (j - i) as u64));
        i = j;
    }
}

/// Merge the counts of equal keys in `counted` (several sorted batches one
/// after another) into one sorted list.
pub fn merge_counts(counted: &mut Vec<(u64, u64)>) {
    counted.sort_unstable_by_key(|&(k, _)| k);
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(counted.len());
    for &(k, c) in counted.iter() {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 += c,
            _ => out.push((k, c)),
        }
    }
    *counted = out;
}

/// Bits needed for the indices 0..n (0 for n <= 1).
pub fn bits_for(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// Oracle: the standard library's sort, on keys of random field widths.
    #[test]
    fn sorts_as_sort_unstable_does() {
        let mut rng = StdRng::seed_from_u64(7);
        for case in 0..300 {
            let fields: Vec<(u32, u32)> =
                [0u32, 21, 42].iter().map(|&s| (s, rng.random_range(0..=if case % 3 == 0 { 21 } else { 9 }))).collect();
            let n = rng.random_range(0..3_000);
            let mut keys: Vec<u64> = (0..n)
                .map(|_| {
                    fields.iter().fold(0u64, |k, &(s, b)| {
                        let v = if b == 0 { 0 } else { rng.random_range(0..1u64 << b) };
                        k | v << s
                    })
                })
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            let mut scratch = Vec::new();
            sort_packed(&mut keys, &mut scratch, &fields);
            assert_eq!(keys, expected, "{fields:?}");
            let mut runs = Vec::new();
            count_runs(&keys, &mut runs);
            assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), n as u64);
            assert!(runs.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn batches_merge_into_one_count_per_key() {
        let mut counted = vec![(5, 1), (9, 2), (1, 1), (5, 3), (9, 1)];
        merge_counts(&mut counted);
        assert_eq!(counted, [(1, 1), (5, 4), (9, 3)]);
        assert_eq!(
            [bits_for(0), bits_for(1), bits_for(2), bits_for(3), bits_for(256), bits_for(257)],
            [0, 0, 1, 2, 8, 9]
        );
    }
}
