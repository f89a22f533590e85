//! Who reads what: for each tracker and attribute, the conditions `settle` must
//! evaluate again when it changes. Most events change one or two trackers that a
//! handful of conditions read, so visiting only those, instead of testing every
//! journey and audience against what changed, is most of what `settle` saves.

use crate::expr::Deps;

/// Bit sets of the conditions that read something: by journey index (the park
/// filters of scheduled journeys, `exit when` conditions) and by position in
/// `Engine::tracked`. Only the first 64 of each fit; see [`ReadMask::members`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReadMask {
    pub park: u64,
    pub exits: u64,
    pub tracked: u64,
}

impl ReadMask {
    pub const ALL: ReadMask = ReadMask { park: u64::MAX, exits: u64::MAX, tracked: u64::MAX };

    fn add(&mut self, o: ReadMask) {
        self.park |= o.park;
        self.exits |= o.exits;
        self.tracked |= o.tracked;
    }

    /// The indexes under `n` that `bits` may name, ascending: its set bits, then every
    /// index past 63 (which no mask can rule out).
    pub fn members(bits: u64, n: usize) -> impl Iterator<Item = usize> {
        let low = if n >= 64 { bits } else { bits & ((1u64 << n) - 1) };
        let mut rest = low;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                i
            })
        })
        .chain(64..n.max(64))
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Readers {
    aggs: Vec<ReadMask>,
    attrs: Vec<ReadMask>,
}

impl Readers {
    pub fn new(n_aggs: usize, n_attrs: usize, park: &[Option<Deps>], exits: &[Deps], tracked: &[Deps]) -> Readers {
        let mut r = Readers {
            aggs: vec![ReadMask::default(); n_aggs.min(64)],
            attrs: vec![ReadMask::default(); n_attrs.min(64)],
        };
        let mut note = |d: &Deps, set: &dyn Fn(&mut ReadMask)| {
            for &i in d.aggs.iter().filter(|&&i| i < 64) {
                set(&mut r.aggs[i]);
            }
            for &i in d.attrs.iter().filter(|&&i| i < 64) {
                set(&mut r.attrs[i]);
            }
        };
        for (j, d) in park.iter().enumerate().filter(|(j, _)| *j < 64) {
            if let Some(d) = d {
                note(d, &|m| m.park |= 1 << j);
            }
        }
        for (j, d) in exits.iter().enumerate().take(64) {
            note(d, &|m| m.exits |= 1 << j);
        }
        for (k, d) in tracked.iter().enumerate().take(64) {
            note(d, &|m| m.tracked |= 1 << k);
        }
        r
    }

    /// Who reads the trackers and attributes set in `aggs` and `attrs` (indexes under
    /// 64; a change past them is `everything`, which reads as all).
    pub fn of(&self, everything: bool, aggs: u64, attrs: u64) -> ReadMask {
        if everything {
            return ReadMask::ALL;
        }
        let mut m = ReadMask::default();
        for i in ReadMask::members(aggs, self.aggs.len()) {
            m.add(self.aggs[i]);
        }
        for i in ReadMask::members(attrs, self.attrs.len()) {
            m.add(self.attrs[i]);
        }
        m
    }
}

/// What an event of one kind will likely read of a customer's state: the trackers it
/// feeds and those of the conditions it wakes, and whether any of those (or the
/// `audience` filter of a journey it starts) reads attributes. `Driver::prefetch`
/// fetches only these, ahead of time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Touches {
    pub tracks: Vec<usize>,
    pub attrs: bool,
}

impl Readers {
    /// What an event feeding trackers `fed` touches; `filters`: what the `audience`
    /// filters of the journeys it may start read.
    pub fn touches<'d>(
        &self,
        fed: &[usize],
        filters: impl IntoIterator<Item = &'d Deps>,
        park: &'d [Option<Deps>],
        exits: &'d [Deps],
        tracked: &'d [Deps],
    ) -> Touches {
        let wide = fed.iter().any(|&i| i >= 64);
        let r = self.of(wide, fed.iter().filter(|&&i| i < 64).fold(0, |m, &i| m | 1 << i), 0);
        let woken = (ReadMask::members(r.park, park.len()).filter_map(|j| park[j].as_ref()))
            .chain(ReadMask::members(r.exits, exits.len()).map(|j| &exits[j]))
            .chain(ReadMask::members(r.tracked, tracked.len()).map(|k| &tracked[k]));
        let mut t = Touches { tracks: fed.to_vec(), attrs: false };
        for d in woken.chain(filters) {
            t.tracks.extend(&d.aggs);
            t.attrs |= !d.attrs.is_empty();
        }
        t.tracks.sort_unstable();
        t.tracks.dedup();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_lists_the_set_bits_then_everything_past_63() {
        assert_eq!(ReadMask::members(0b1010_0001, 8).collect::<Vec<_>>(), [0, 5, 7]);
        assert_eq!(ReadMask::members(0b1010_0001, 6).collect::<Vec<_>>(), [0, 5]);
        assert_eq!(ReadMask::members(1 << 63 | 1, 66).collect::<Vec<_>>(), [0, 63, 64, 65]);
        assert_eq!(ReadMask::members(0, 0).count(), 0);
    }

    #[test]
    fn a_change_wakes_only_its_readers() {
        let deps = |aggs: &[usize], attrs: &[usize]| {
            let mask = |v: &[usize]| v.iter().fold(0u64, |m, &i| m | 1 << i);
            Deps {
                aggs: aggs.to_vec(),
                attrs: attrs.to_vec(),
                agg_mask: mask(aggs),
                attr_mask: mask(attrs),
                today: false,
            }
        };
        let r = Readers::new(
            3,
            2,
            &[None, Some(deps(&[2], &[]))],
            &[deps(&[0], &[1]), deps(&[], &[])],
            &[deps(&[0, 2], &[]), deps(&[1], &[1])],
        );
        assert_eq!(r.of(false, 0b001, 0), ReadMask { park: 0, exits: 0b01, tracked: 0b01 });
        assert_eq!(r.of(false, 0b100, 0), ReadMask { park: 0b10, exits: 0, tracked: 0b01 });
        assert_eq!(r.of(false, 0, 0b10), ReadMask { park: 0, exits: 0b01, tracked: 0b10 });
        assert_eq!(r.of(false, 0, 0), ReadMask::default());
        assert_eq!(r.of(true, 0, 0), ReadMask::ALL);
        // feeding tracker 1 wakes tracked audience 1, which reads an attribute
        let t = r.touches(
            &[1],
            [],
            &[None, None],
            &[deps(&[], &[]), deps(&[], &[])],
            &[deps(&[0, 2], &[]), deps(&[1], &[1])],
        );
        assert_eq!((t.tracks, t.attrs), (vec![1], true));
        let filter = deps(&[0], &[]);
        let t = r.touches(
            &[2],
            [&filter],
            &[None, Some(deps(&[2], &[]))],
            &[deps(&[], &[]), deps(&[], &[])],
            &[deps(&[0, 2], &[]), deps(&[1], &[1])],
        );
        assert_eq!((t.tracks, t.attrs), (vec![0, 2], false));
    }
}
