//! A customer's per-journey states, kept only for the journeys the customer has
//! something in (entered, counted as refused for a missing value; for the plans,
//! waiting on a tick or a date): most customers touch few of a program's journeys,
//! and a slot per journey for every customer was the largest part of a state
//! (issue 16).
//!
//! Reading a journey the customer has nothing in gives the state every journey starts
//! with ([`Blank::EMPTY`]); writing one adds it. So the engine reads and writes
//! `journeys[j]` as it did a slot per journey, and the answers are the same.

use std::ops::{Index, IndexMut};

/// A per-journey state's value before anything happened in the journey. Each state
/// says which journey it is (a field of its own fits beside a 4-byte one, where a
/// `(u32, T)` pair would pad it to 8 bytes more).
pub(super) trait Blank: Sized + 'static {
    const EMPTY: Self;
    /// [`Blank::EMPTY`] as a shared value, for reads of absent journeys.
    fn empty() -> &'static Self;
    /// [`Blank::EMPTY`], of journey `j`.
    fn of(j: u32) -> Self;
    fn journey(&self) -> u32;
}

/// The journeys' states, sorted by journey; grown one at a time (a customer adds a
/// journey rarely, and a doubling vector would hold room for several).
#[derive(Debug, Clone)]
pub(super) struct Journeys<T> {
    v: Box<[T]>,
}

impl<T> Default for Journeys<T> {
    fn default() -> Self {
        Journeys { v: Box::default() }
    }
}

/// Insert `x` at `i` of a slice that is exactly as long as its room: a customer's
/// small lists grow one item at a time, rarely, and a boxed slice is 16 bytes of the
/// state where a vector is 24 (issue 16).
pub(super) fn insert_exact<T>(items: &mut Box<[T]>, i: usize, x: T) {
    let mut v = std::mem::take(items).into_vec();
    v.reserve_exact(1);
    v.insert(i, x);
    *items = v.into_boxed_slice();
}

/// [`insert_exact`] at the end.
pub(super) fn push_exact<T>(items: &mut Box<[T]>, x: T) {
    let end = items.len();
    insert_exact(items, end, x);
}

impl<T: Blank> Journeys<T> {
    fn position(&self, j: usize) -> Result<usize, usize> {
        let j = u32::try_from(j).unwrap_or(u32::MAX);
        // few entries: a linear scan beats a binary search's branches
        match self.v.iter().position(|s| s.journey() >= j) {
            Some(i) if self.v[i].journey() == j => Ok(i),
            Some(i) => Err(i),
            None => Err(self.v.len()),
        }
    }

    pub(super) fn get(&self, j: usize) -> Option<&T> {
        self.position(j).ok().map(|i| &self.v[i])
    }

    /// The state of journey `j`, without adding it.
    pub(super) fn get_mut(&mut self, j: usize) -> Option<&mut T> {
        self.position(j).ok().map(|i| &mut self.v[i])
    }

    /// The journeys that have a state, in order.
    pub(super) fn present(&self) -> impl Iterator<Item = usize> + '_ {
        self.v.iter().map(|s| s.journey() as usize)
    }

    pub(super) fn states(&self) -> impl Iterator<Item = &T> {
        self.v.iter()
    }

    pub(super) fn capacity(&self) -> usize {
        self.v.len()
    }
}

impl<T: Blank> Index<usize> for Journeys<T> {
    type Output = T;
    fn index(&self, j: usize) -> &T {
        self.get(j).unwrap_or(T::empty())
    }
}

impl<T: Blank> IndexMut<usize> for Journeys<T> {
    fn index_mut(&mut self, j: usize) -> &mut T {
        let i = match self.position(j) {
            Ok(i) => i,
            Err(i) => {
                insert_exact(&mut self.v, i, T::of(u32::try_from(j).unwrap_or(u32::MAX)));
                i
            }
        };
        &mut self.v[i]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{JState, Plan};
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
            let mut sparse: Journeys<JState> = Journeys::default();
            let mut dense_plans = vec![Plan::EMPTY; n];
            let mut plans: Journeys<Plan> = Journeys::default();
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
                        dense_plans[j].entry_timer = x;
                        plans[j].entry_timer = x;
                    }
                    _ => {
                        // a read adds nothing
                        assert_eq!(dense_plans[j].tick_from, plans[j].tick_from);
                        assert_eq!(dense[j].unknown_counted, sparse[j].unknown_counted);
                    }
                }
                for k in 0..n {
                    let (d, s) = (&dense[k], &sparse[k]);
                    assert_eq!((d.entries, d.last_entry), (s.entries, s.last_entry));
                    let (d, s) = (&dense_plans[k], &plans[k]);
                    assert_eq!((d.entry_timer, d.tick_from), (s.entry_timer, s.tick_from));
                }
            }
            let present: Vec<usize> = sparse.present().collect();
            assert!(present.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            assert!(present.len() <= n);
            assert!(plans.present().all(|k| dense_plans[k].entry_timer != 0), "only what was written");
        }
    }
}
