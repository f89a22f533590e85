//! How much memory one customer's state holds: the state itself plus every buffer it
//! owns, counted by capacity (what the allocator handed out, not what is in use), so
//! that the figure answers "how many bytes does a customer cost" (issue 16). Buffers
//! shared between customers (a schedule's ticks, behind an `Arc`) are the engine's and
//! count only as the pointer the state keeps; so does an attribute row shared with the
//! snapshot (or the engine's blank row), until a write makes it the state's own copy.
//! The allocator's own overhead per block is not counted; [`Footprint::blocks`] says
//! how many blocks there are.

use super::CustomerState;
use crate::expr::{Track, Tracker};
use crate::AttrValue;
use std::mem::{size_of, size_of_val};

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
        AttrValue::Text(s) => s.own_bytes(),
        _ => (0, 0),
    }
}

/// A shared row is its owners' (the snapshot's); an own one is its allocation (the
/// reference counts and the values) and its values' own text.
fn row_heap(row: &crate::Row) -> (usize, usize) {
    if std::sync::Arc::strong_count(row) > 1 {
        return (0, 0);
    }
    let counts = 2 * size_of::<usize>();
    sum([(counts + size_of_val::<[AttrValue]>(row), 1)].into_iter().chain(row.iter().map(attr_heap)))
}

fn sum(parts: impl IntoIterator<Item = (usize, usize)>) -> (usize, usize) {
    parts.into_iter().fold((0, 0), |(b, n), (b2, n2)| (b + b2, n + n2))
}

impl CustomerState {
    /// The bytes this customer's state holds, by part (see the module's notes).
    pub fn footprint_parts(&self) -> Footprint {
        let attrs = row_heap(&self.attrs);
        let tracks = sum([buffer::<Tracker>(self.tracks.capacity())]
            .into_iter()
            .chain(self.tracks.iter().map(|t| track_heap(&t.track))));
        let active = self.journeys.states().filter_map(|js| js.active.as_ref());
        let journeys =
            sum([buffer::<super::JState>(self.journeys.capacity()), buffer::<super::Plan>(self.plans.capacity())]
                .into_iter()
                .chain(active.flat_map(|a| [buffer::<super::Active>(1), spilled(&a.arms)])));
        let timers = buffer::<std::cmp::Reverse<super::Timer>>(self.timers.capacity());
        let sends = buffer::<(i64, u32, u32)>(self.sends.capacity());
        let goals = sum([buffer::<super::PendingGoal>(self.goals.capacity())]
            .into_iter()
            .chain(self.goals.iter().map(|g| spilled(&g.arms))));
        let cells = sum([buffer::<crate::experiment::CustomerCell>(self.cells.len())]
            .into_iter()
            .chain(self.cells.iter().map(|c| buffer::<i64>(c.per_goal.len()))));
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
            buffer::<(u32, u32)>(self.journey_weeks.len()),
            buffer::<u64>(self.members.heap_words()),
            buffer::<i64>(self.last_sent.len()),
            buffer::<i64>(self.since_flips.len()),
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
        Track::Window(q) => buffer::<i64>(q.block_slots()),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Customer, Engine, EngineOptions, QuietMode};
    use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

    const PROGRAM: &str = r#"
event visit { page: text }
event purchase { amount: money }
attribute email_opt_in: bool
attribute plan: text
channel email { kind email consent email_opt_in }
audience regular = count(visit, 30d) >= 2

journey welcome {
  entry on visit
  re_entry never
  stage hello {
    send email "welcome-1"
    wait 2d
    send email "welcome-2"
  }
  goal bought = purchase within 14d
}

journey loyal {
  entry when audience regular entered
  stage thanks {
    send email "loyal-1"
  }
}
"#;

    fn program() -> journey_ir::Program {
        let mut sources = journey_diagnostics::SourceMap::new();
        let f = sources.add("footprint.journey", PROGRAM);
        let settings = journey_check::Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() };
        let checked = journey_check::check_sources(&sources, &[f], &settings);
        let errors: Vec<_> =
            (checked.diagnostics.iter()).filter(|d| d.severity == journey_diagnostics::Severity::Error).collect();
        assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
        checked.program
    }

    /// The footprint of a customer after three visits, counted by hand from what the
    /// engine must hold: the state, the attribute row and its text, one tracker whose
    /// window keeps two visits (`>= 2` is its only use), two journeys entered (one
    /// goal pending, a cell each), the timers set so far, two sends in the cap window.
    #[test]
    fn footprint_matches_a_hand_count() {
        let program = program();
        const DAY: i64 = 86_400_000;
        let t0 = 1_767_614_400_000;
        let options = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: t0 - DAY, until: t0 + 60 * DAY };
        let engine = Engine::new(&program, options);
        let mut attrs = vec![AttrValue::Missing; program.attributes.len()];
        let attr = |n: &str| program.attributes.iter().position(|a| a.name == n).expect("declared");
        attrs[attr("email_opt_in")] = AttrValue::Bool(true);
        attrs[attr("plan")] = AttrValue::Text("gold".into());
        let mut state = CustomerState::new(&engine, Customer { id: CustomerId(0), key: "c-17", attributes: &attrs });
        let texts = Interner::default();
        let (mut actions, mut tally) = (Vec::new(), crate::tally::Tally::new(&engine));
        let visit = program.events.iter().position(|e| e.name == "visit").expect("declared");
        for k in 0..3 {
            let ev = Event {
                customer: CustomerId(0),
                time: t0 + k * 3_600_000,
                kind: EventKind(visit as u16),
                props: vec![PropValue::Missing].into(),
                revenue: None,
                line: 0,
            };
            state.push(&engine, &ev, &texts, &mut actions, &mut tally);
        }
        let f = state.footprint_parts();
        assert_eq!(f.inline, size_of::<CustomerState>());
        // the state's copy of the row (two counts and two values); the text "gold" of
        // `plan` is the row's it was copied from
        let row = 2 * 8 + 2 * size_of::<AttrValue>();
        assert_eq!(size_of::<AttrValue>(), 16);
        assert_eq!(f.attrs, row);
        // one tracker (count(visit, 30d)) and its next flip, keeping its two newest
        // visits as times, after the slot saying where they are
        assert_eq!(state.tracks.len(), 1);
        assert_eq!((size_of::<Track>(), size_of::<Tracker>()), (24, 32));
        assert_eq!(f.tracks, size_of::<Tracker>() + 3 * size_of::<i64>());
        // two journeys, grown one at a time, 32 bytes each; the customer is still in
        // welcome (waiting), whose position is boxed; loyal is done
        assert_eq!(size_of::<super::super::JState>(), 32);
        // (and a scheduled or date-attribute journey's plan, which it has none of, 40)
        assert_eq!(size_of::<super::super::Plan>(), 40);
        assert_eq!(f.journeys, 2 * 32 + size_of::<super::super::Active>());
        // one pending goal; a cell (treated) per journey, welcome's with one goal's count
        assert_eq!(state.goals.len(), 1);
        assert_eq!(f.goals, state.goals.capacity() * size_of::<super::super::PendingGoal>());
        assert_eq!(state.cells.len(), 2);
        let cell = state.cells.len() * size_of::<crate::experiment::CustomerCell>();
        assert_eq!(f.cells, cell + size_of::<i64>());
        // the wait's timer and the audience's flip timer at least, 16 bytes each
        assert!(state.timers.len() >= 2);
        assert_eq!(size_of::<super::super::Timer>(), 16);
        assert_eq!(f.timers, state.timers.capacity() * 16);
        // two sends: (time, channel, journey), 16 bytes each
        assert_eq!(state.sends.len(), 2);
        assert_eq!(f.sends, state.sends.capacity() * 16);
        // the key "c-17", the journey weeks, the last send on the one channel (no
        // conflict tags); no inline array spilled
        assert_eq!(f.other, 4 + state.journey_weeks.len() * 8 + 8);
        let parts = f.inline + f.attrs + f.tracks + f.journeys + f.timers + f.sends + f.goals + f.cells + f.other;
        assert_eq!(state.footprint(), parts);
        // the row and its text, the tracker's queue, journeys, timers, sends, goals,
        // cells and welcome's box (loyal has no goal), key, journey weeks, last sends,
        // welcome's position
        assert_eq!(f.blocks, 13);
        // without the row it was copied from, the text is the state's own: its shared
        // allocation (two counts and the string's pointer and length) and the string
        drop(attrs);
        let own = state.footprint_parts();
        assert_eq!(own.attrs, row + 2 * 8 + 16 + "gold".len());
        assert_eq!(own.blocks, 15);
    }

    /// A row shared with the snapshot is the snapshot's, until a write copies it.
    #[test]
    fn a_shared_row_costs_nothing_until_written() {
        let program = program();
        let options = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: 0, until: 1 };
        let engine = Engine::new(&program, options);
        let mut values = vec![AttrValue::Missing; program.attributes.len()];
        values[0] = AttrValue::Bool(true);
        let snapshot: crate::Row = values.clone().into();
        let customer = Customer { id: CustomerId(0), key: "c", attributes: &values };
        let mut state = CustomerState::with_row(&engine, customer, Some(snapshot.clone()));
        assert_eq!(state.footprint_parts().attrs, 0);
        assert_eq!(&state.attrs[..], &values[..]);
        // one of the engine's blank rows for a customer the snapshot lacks
        let blank = CustomerState::new(&engine, Customer { id: CustomerId(1), key: "d", attributes: &[] });
        assert_eq!(blank.footprint_parts().attrs, 0);
        assert!(blank.attrs.iter().all(|a| *a == AttrValue::Missing));
        // a write: the state's own copy, and the snapshot's row unchanged
        state.attrs_mut()[0] = AttrValue::Bool(false);
        assert_eq!(snapshot[0], AttrValue::Bool(true));
        assert_eq!(state.attrs[0], AttrValue::Bool(false));
        assert_eq!(state.footprint_parts().attrs, 2 * 8 + program.attributes.len() * size_of::<AttrValue>());
    }
}
