//! A window's queue of 8-byte slots (an event's time, and for `sum`/`avg` its value)
//! in 16 bytes: one heap block whose first slot says where the queue starts in the
//! ring that follows and how long it is, so a tracker holding one is 24 bytes where a
//! `VecDeque` alone is 32 (issue 16). Grows as a `VecDeque` does (doubling, at least
//! four slots), so a window's room is what it was, plus the one slot of the block's
//! header; a queue that never held anything has no block.

/// Oldest first (see the module's notes). At most `u32::MAX` slots: a window of one
/// customer holding 32 GiB.
#[derive(Debug, Clone, Default)]
pub struct SlotQueue {
    /// Empty, or the header (`start << 32 | len`) and then the ring.
    block: Box<[i64]>,
}

impl SlotQueue {
    pub fn new() -> SlotQueue {
        SlotQueue::default()
    }

    /// Where the queue starts in the ring, and how many slots it holds.
    fn header(&self) -> (usize, usize) {
        let h = self.block.first().map_or(0, |&h| h as u64);
        ((h >> 32) as usize, (h & 0xffff_ffff) as usize)
    }

    fn set_header(&mut self, start: usize, len: usize) {
        if let Some(h) = self.block.first_mut() {
            *h = ((start as u64) << 32 | len as u64) as i64;
        }
    }

    fn ring(&self) -> &[i64] {
        self.block.get(1..).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.header().1
    }

    /// Slots the ring has room for.
    pub fn capacity(&self) -> usize {
        self.ring().len()
    }

    /// The block's slots (header included): the heap this queue holds.
    pub fn block_slots(&self) -> usize {
        self.block.len()
    }

    /// The header and the queue, as two runs of the ring (the second one empty unless
    /// the queue wraps around).
    pub fn as_slices(&self) -> (&[i64], &[i64]) {
        let (start, len) = self.header();
        let ring = self.ring();
        let end = start + len;
        if end <= ring.len() {
            (&ring[start..end], &[])
        } else {
            (&ring[start..], &ring[..end - ring.len()])
        }
    }

    /// The first slots of the block (header and the ring's start), for a prefetch.
    pub fn block_start(&self) -> &[i64] {
        &self.block[..self.block.len().min(1)]
    }

    pub fn iter(&self) -> impl Iterator<Item = &i64> + Clone {
        let (a, b) = self.as_slices();
        a.iter().chain(b)
    }

    /// Slot `i`, 0 the oldest.
    pub fn get(&self, i: usize) -> Option<&i64> {
        let (start, len) = self.header();
        if i >= len {
            return None;
        }
        let ring = self.ring();
        let k = start + i;
        ring.get(if k >= ring.len() { k - ring.len() } else { k })
    }

    pub fn front(&self) -> Option<&i64> {
        self.get(0)
    }

    pub fn push_back(&mut self, x: i64) {
        let len = self.len();
        if len == self.capacity() {
            // as a `VecDeque`: double, at least four
            self.resize(len.saturating_mul(2).max(len + 1).max(4));
        }
        let (start, len) = self.header();
        let cap = self.capacity();
        let k = start + len;
        let k = if k >= cap { k - cap } else { k };
        self.block[1 + k] = x;
        self.set_header(start, len + 1);
    }

    pub fn pop_front(&mut self) -> Option<i64> {
        let x = *self.front()?;
        self.drop_front(1);
        Some(x)
    }

    /// Drop the `n` oldest slots (all of them, if fewer).
    pub fn drop_front(&mut self, n: usize) {
        let (start, len) = self.header();
        let n = n.min(len);
        if n == len {
            self.set_header(0, 0);
            return;
        }
        let cap = self.capacity();
        let k = start + n;
        self.set_header(if k >= cap { k - cap } else { k }, len - n);
    }

    /// Room for `additional` more slots, exactly.
    pub fn reserve_exact(&mut self, additional: usize) {
        let need = self.len().saturating_add(additional);
        if need > self.capacity() {
            self.resize(need);
        }
    }

    /// A new block with room for `cap` slots (at least the queue's), the queue moved to
    /// its start.
    fn resize(&mut self, cap: usize) {
        assert!(cap <= u32::MAX as usize, "a window of over 4 billion slots (32 GiB for one customer)");
        let len = self.len();
        let mut block = vec![0i64; cap.max(len) + 1];
        let (a, b) = self.as_slices();
        block[1..1 + a.len()].copy_from_slice(a);
        block[1 + a.len()..1 + len].copy_from_slice(b);
        self.block = block.into_boxed_slice();
        self.set_header(0, len);
    }
}

#[cfg(test)]
mod tests {
    use super::SlotQueue;
    use std::collections::VecDeque;

    /// Against a `VecDeque`: the same slots, in the same order, after the same pushes,
    /// pops, drops and reservations, wrapped around the ring or not.
    #[test]
    fn reads_as_a_vecdeque() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..500 {
            let mut q = SlotQueue::new();
            let mut plain: VecDeque<i64> = VecDeque::new();
            for step in 0..(next() % 200) {
                let x = next() as i64;
                match next() % 8 {
                    0..=3 => {
                        q.push_back(x);
                        plain.push_back(x);
                    }
                    4 => assert_eq!(q.pop_front(), plain.pop_front(), "case {case} step {step}"),
                    5 => {
                        let n = (next() % 5) as usize;
                        q.drop_front(n);
                        plain.drain(..n.min(plain.len()));
                    }
                    6 => {
                        let n = (next() % 9) as usize;
                        q.reserve_exact(n);
                        assert!(q.capacity() >= q.len() + n);
                    }
                    _ => {
                        let i = (next() % 12) as usize;
                        assert_eq!(q.get(i), plain.get(i), "case {case} step {step}");
                    }
                }
                assert_eq!(q.len(), plain.len());
                assert_eq!(q.front(), plain.front());
                assert!(q.iter().eq(plain.iter()), "case {case} step {step}");
                let (a, b) = q.as_slices();
                assert!(a.iter().chain(b).eq(plain.iter()));
                assert!(q.capacity() >= q.len());
                assert_eq!(q.block_slots(), if q.capacity() == 0 { 0 } else { q.capacity() + 1 });
            }
        }
    }

    /// Room grows as a `VecDeque`'s: four slots, then doubling; a reservation is exact.
    #[test]
    fn grows_by_doubling_and_reserves_exactly() {
        let mut q = SlotQueue::new();
        assert_eq!((q.capacity(), q.block_slots()), (0, 0));
        q.push_back(1);
        assert_eq!(q.capacity(), 4);
        (2..=5).for_each(|x| q.push_back(x));
        assert_eq!(q.capacity(), 8);
        let mut r = SlotQueue::new();
        r.reserve_exact(3);
        assert_eq!((r.capacity(), r.block_slots()), (3, 4));
    }
}
