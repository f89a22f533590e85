//! A customer's per-journey states, kept only for the journeys the customer has
//! something in (entered, waiting on a tick or a date, counted as refused for a
//! missing value): most customers touch few of a program's journeys, and a slot per
//! journey for every customer was the largest part of a state (issue 16).
//!
//! Reading a journey the customer has nothing in gives the state every journey starts
//! with ([`JState::EMPTY`]); writing one adds it. So the engine reads and writes
//! `journeys[j]` as it did a slot per journey, and the answers are the same.

use super::JState;
use std::ops::{Index, IndexMut};

/// The journeys' states, sorted by journey; grown one at a time (a customer adds a
/// journey rarely, and a doubling vector would hold room for several).
#[derive(Debug, Clone, Default)]
pub(super) struct Journeys {
    v: Vec<(u32, JState)>,
}

impl Journeys {
    fn position(&self, j: usize) -> Result<usize, usize> {
        let j = u32::try_from(j).unwrap_or(u32::MAX);
        // few entries: a linear scan beats a binary search's branches
        match self.v.iter().position(|(k, _)| *k >= j) {
            Some(i) if self.v[i].0 == j => Ok(i),
            Some(i) => Err(i),
            None => Err(self.v.len()),
        }
    }

    pub(super) fn get(&self, j: usize) -> Option<&JState> {
        self.position(j).ok().map(|i| &self.v[i].1)
    }

    /// The state of journey `j`, without adding it.
    pub(super) fn get_mut(&mut self, j: usize) -> Option<&mut JState> {
        self.position(j).ok().map(|i| &mut self.v[i].1)
    }

    /// The journeys that have a state, in order.
    pub(super) fn present(&self) -> impl Iterator<Item = usize> + '_ {
        self.v.iter().map(|(k, _)| *k as usize)
    }

    pub(super) fn states(&self) -> impl Iterator<Item = &JState> {
        self.v.iter().map(|(_, s)| s)
    }

    pub(super) fn capacity(&self) -> usize {
        self.v.capacity()
    }
}

impl Index<usize> for Journeys {
    type Output = JState;
    fn index(&self, j: usize) -> &JState {
        self.get(j).unwrap_or(&JState::EMPTY)
    }
}

impl IndexMut<usize> for Journeys {
    fn index_mut(&mut self, j: usize) -> &mut JState {
        let i = match self.position(j) {
            Ok(i) => i,
            Err(i) => {
                self.v.reserve_exact(1);
                self.v.insert(i, (u32::try_from(j).unwrap_or(u32::MAX), JState::EMPTY));
                i
            }
        };
        &mut self.v[i].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a slot per journey: the same reads after the same writes, in any order.
    #[test]
    fn sparse_journeys_read_as_a_slot_per_journey() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let n = (next() % 40 + 1) as usize;
            let mut dense = vec![JState::EMPTY; n];
            let mut sparse = Journeys::default();
            for _ in 0..(next() % 60) {
                let j = (next() % n as u64) as usize;
                let x = next();
                match x % 4 {
                    0 => {
                        dense[j].entries += 1;
                        sparse[j].entries += 1;
                    }
                    1 => {
                        dense[j].last_entry = x as i64;
                        sparse[j].last_entry = x as i64;
                    }
                    2 => {
                        dense[j].entry_timer = x;
                        sparse[j].entry_timer = x;
                    }
                    _ => {
                        // a read adds nothing
                        assert_eq!(dense[j].tick_from, sparse[j].tick_from);
                    }
                }
                for k in 0..n {
                    let (d, s) = (&dense[k], &sparse[k]);
                    assert_eq!((d.entries, d.last_entry, d.entry_timer), (s.entries, s.last_entry, s.entry_timer));
                    assert_eq!(d.tick_from, s.tick_from);
                }
            }
            let present: Vec<usize> = sparse.present().collect();
            assert!(present.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            assert!(present.len() <= n);
        }
    }
}
