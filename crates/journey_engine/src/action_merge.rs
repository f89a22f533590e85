//! The shards' actions of a group as one list in customer order (`ShardedDriver`).
//! Each shard hands its actions in customer order (it replays its customers in id
//! order) and no customer is in two shards, so merging the shards' runs of customers
//! gives exactly the stable sort of their concatenation by customer, without the
//! sort's scratch list or the growth of the first shard's list to hold them all: both
//! were fresh memory at every group, megabytes that the system faulted and zeroed
//! again.

use crate::Action;

/// Append `parts`, drained (each keeps its room, for the next group), to `out` in the
/// order `sort_by_key(customer)` (stable) gives their concatenation, as they were
/// joined before (the first part alone is left as it is). A part out of customer
/// order, which a driver never hands, falls back to that sort.
pub(crate) fn merge_by_customer(parts: &mut [Vec<Action>], out: &mut Vec<Action>) {
    out.reserve(parts.iter().map(Vec::len).sum());
    if let [first, rest @ ..] = parts {
        // one shard with actions: nothing to interleave (the sort left it as it was)
        if rest.iter().all(Vec::is_empty) {
            out.append(first);
            return;
        }
    }
    let sorted = parts.iter().all(|p| p.is_sorted_by_key(|a| a.customer));
    if !sorted {
        let from = out.len();
        parts.iter_mut().for_each(|p| out.append(p));
        out[from..].sort_by_key(|a| a.customer);
        return;
    }
    let mut heads: Vec<std::iter::Peekable<std::vec::Drain<'_, Action>>> =
        parts.iter_mut().map(|p| p.drain(..).peekable()).collect();
    loop {
        // the part whose next customer comes first (the earlier part on a tie, as
        // the stable sort keeps it first), then that customer's whole run
        let mut next: Option<(usize, u32)> = None;
        for (k, h) in heads.iter_mut().enumerate() {
            if let Some(a) = h.peek() {
                if next.is_none_or(|(_, c)| a.customer.0 < c) {
                    next = Some((k, a.customer.0));
                }
            }
        }
        let Some((k, c)) = next else { return };
        while let Some(a) = heads[k].next_if(|a| a.customer.0 == c) {
            out.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ActionKind, ExitReason};
    use journey_events::CustomerId;

    /// A small deterministic generator (the crate has no rand dependency).
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    fn action(customer: u32, time: i64, journey: usize) -> Action {
        let kind = match time % 3 {
            0 => ActionKind::Send { channel: journey },
            1 => ActionKind::Enter { holdout: false, global_holdout: false },
            _ => ActionKind::Exit { reason: ExitReason::End },
        };
        Action { time, customer: CustomerId(customer), journey, node: Some(time as usize % 7), kind }
    }

    /// Oracle: the merge against the stable sort of the concatenation, on seeded
    /// shards of disjoint customers (1 to 5 shards, empty ones, several actions per
    /// customer in their own order), and on parts out of customer order (the fallback)
    /// or sharing customers.
    #[test]
    fn merging_the_shards_is_the_stable_sort() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for case in 0..3000 {
            let shards = 1 + (next(&mut seed) % 5) as u32;
            let customers = (next(&mut seed) % 60) as u32;
            let shuffled = case % 7 == 0;
            let shared = case % 11 == 0;
            let mut parts: Vec<Vec<Action>> = vec![Vec::new(); shards as usize];
            for c in 0..customers {
                let n = next(&mut seed) % 4;
                for i in 0..n {
                    let shard = if shared { next(&mut seed) % shards as u64 } else { (c % shards) as u64 };
                    let t = (next(&mut seed) % 1000) as i64 + i as i64;
                    parts[shard as usize].push(action(c, t, (next(&mut seed) % 3) as usize));
                }
            }
            if shuffled {
                for p in parts.iter_mut() {
                    p.reverse();
                }
            }
            // what the shards' lists were joined by before
            let mut want: Vec<Action> = parts.concat();
            if parts.iter().skip(1).any(|p| !p.is_empty()) {
                want.sort_by_key(|a| a.customer);
            }
            let mut out = vec![action(u32::MAX, 1, 0)];
            let rooms: Vec<usize> = parts.iter().map(Vec::capacity).collect();
            merge_by_customer(&mut parts, &mut out);
            assert_eq!(out[0], action(u32::MAX, 1, 0), "case {case}: what was in the list stays first");
            assert_eq!(out[1..], want[..], "case {case}: {shards} shards, {customers} customers");
            assert!(parts.iter().all(Vec::is_empty), "case {case}: parts drained");
            let kept: Vec<usize> = parts.iter().map(Vec::capacity).collect();
            assert_eq!(kept, rooms, "case {case}: parts keep their room");
        }
    }
}
