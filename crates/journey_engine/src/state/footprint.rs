//! How much memory one customer's state holds: the state itself plus every buffer it
//! owns, counted by capacity (what the allocator handed out, not what is in use), so
//! that the figure answers "how many bytes does a customer cost" (issue 16). Buffers
//! shared between customers (a schedule's ticks, behind an `Arc`) are the engine's and
//! count only as the pointer the state keeps. The allocator's own overhead per block
//! is not counted; [`Footprint::blocks`] says how many blocks there are.

use super::CustomerState;
use crate::expr::Track;
use crate::AttrValue;
use std::mem::size_of;

/// One state's bytes by part (each part's heap; `inline` is the state's own size).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// `size_of::<CustomerState>()`: the arrays kept inside it included.
    pub inline: usize,
    pub attrs: usize,
    pub tracks: usize,
    pub journeys: usize,
    pub timers: usize,
    pub sends: usize,
    pub goals: usize,
    pub cells: usize,
    /// The customer key, the small inline arrays that spilled to the heap, the
    /// account's part.
    pub other: usize,
    /// Heap blocks owned (each costs the allocator a header besides its bytes).
    pub blocks: usize,
}

impl Footprint {
    pub fn total(&self) -> usize {
        self.inline
            + self.attrs
            + self.tracks
            + self.journeys
            + self.timers
            + self.sends
            + self.goals
            + self.cells
            + self.other
    }

    /// Part by part, summed (over customers).
    pub fn add(&mut self, o: &Footprint) {
        self.inline += o.inline;
        self.attrs += o.attrs;
        self.tracks += o.tracks;
        self.journeys += o.journeys;
        self.timers += o.timers;
        self.sends += o.sends;
        self.goals += o.goals;
        self.cells += o.cells;
        self.other += o.other;
        self.blocks += o.blocks;
    }

    /// The parts as (name, bytes), largest first, for a breakdown.
    pub fn parts(&self) -> Vec<(&'static str, usize)> {
        let mut v = vec![
            ("inline", self.inline),
            ("attributes", self.attrs),
            ("trackers", self.tracks),
            ("journeys", self.journeys),
            ("timers", self.timers),
            ("sends", self.sends),
            ("goals", self.goals),
            ("cells", self.cells),
            ("other", self.other),
        ];
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

/// Bytes and blocks of a heap buffer of `cap` elements of `T` (none when empty).
fn buffer<T>(cap: usize) -> (usize, usize) {
    let bytes = cap * size_of::<T>();
    (bytes, usize::from(bytes > 0))
}

/// The heap of a small inline array: nothing unless it spilled.
fn spilled<A: smallvec::Array>(v: &smallvec::SmallVec<A>) -> (usize, usize) {
    if v.spilled() {
        buffer::<A::Item>(v.capacity())
    } else {
        (0, 0)
    }
}

fn attr_heap(a: &AttrValue) -> (usize, usize) {
    match a {
        AttrValue::Text(s) => buffer::<u8>(s.capacity()),
        _ => (0, 0),
    }
}

fn sum(parts: impl IntoIterator<Item = (usize, usize)>) -> (usize, usize) {
    parts.into_iter().fold((0, 0), |(b, n), (b2, n2)| (b + b2, n + n2))
}

impl CustomerState {
    /// The bytes this customer's state holds, by part (see the module's notes).
    pub fn footprint_parts(&self) -> Footprint {
        let attrs =
            sum([buffer::<AttrValue>(self.attrs.capacity())].into_iter().chain(self.attrs.iter().map(attr_heap)));
        let tracks =
            sum([buffer::<Track>(self.tracks.capacity())].into_iter().chain(self.tracks.iter().map(track_heap)));
        let journeys = sum([buffer::<(u32, super::JState)>(self.journeys.capacity())]
            .into_iter()
            .chain(self.journeys.states().filter_map(|js| js.active.as_ref()).map(|a| spilled(&a.arms))));
        let timers = buffer::<std::cmp::Reverse<super::Timer>>(self.timers.capacity());
        let sends = buffer::<(i64, usize, u32)>(self.sends.capacity());
        let goals = sum([buffer::<super::PendingGoal>(self.goals.capacity())]
            .into_iter()
            .chain(self.goals.iter().map(|g| spilled(&g.arms))));
        let cells = sum([buffer::<crate::experiment::CustomerCell>(self.cells.capacity())].into_iter().chain(
            self.cells.iter().flat_map(|c| [buffer::<u32>(c.conversions.len()), buffer::<i64>(c.amounts.len())]),
        ));
        let account = self.account.as_ref().map_or((0, 0), |part| {
            let admins = part.admins.iter().map(|(_, row, _)| {
                sum([buffer::<AttrValue>(row.capacity())].into_iter().chain(row.iter().map(attr_heap)))
            });
            sum([buffer::<super::AccountPart>(1), buffer::<(u32, Vec<AttrValue>, bool)>(part.admins.capacity())]
                .into_iter()
                .chain(admins))
        });
        let other = sum([
            buffer::<u8>(self.key.len()),
            buffer::<(u32, u32)>(self.journey_weeks.capacity()),
            spilled(&self.members),
            spilled(&self.last_send_channel),
            spilled(&self.conflict_last),
            spilled(&self.flips),
            spilled(&self.since_flips),
            account,
        ]);
        let parts = [attrs, tracks, journeys, timers, sends, goals, cells, other];
        Footprint {
            inline: size_of::<CustomerState>(),
            attrs: attrs.0,
            tracks: tracks.0,
            journeys: journeys.0,
            timers: timers.0,
            sends: sends.0,
            goals: goals.0,
            cells: cells.0,
            other: other.0,
            blocks: parts.iter().map(|p| p.1).sum(),
        }
    }

    /// The bytes this customer's state holds: the state and every buffer it owns, by
    /// capacity.
    pub fn footprint(&self) -> usize {
        self.footprint_parts().total()
    }
}

fn track_heap(t: &Track) -> (usize, usize) {
    match t {
        Track::Window { q, .. } => buffer::<(i64, f64)>(q.capacity()),
        Track::Times { q, .. } => buffer::<i64>(q.capacity()),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        eprintln!(
            "state {} jstate {} active {} track {} timer {} goal {} cell {} attr {}",
            size_of::<CustomerState>(),
            size_of::<super::super::JState>(),
            size_of::<super::super::Active>(),
            size_of::<Track>(),
            size_of::<super::super::Timer>(),
            size_of::<super::super::PendingGoal>(),
            size_of::<crate::experiment::CustomerCell>(),
            size_of::<AttrValue>()
        );
    }
}
