//! Which tracked audiences a customer is in, as bits: 24 bytes in the state and no
//! heap up to 64 audiences, where a flag per audience kept inline took 48 (issue 16).

/// Bit `a`: in audience `a`. The first 64 in `low`, the rest in `high`.
#[derive(Debug, Clone, Default)]
pub(super) struct Members {
    low: u64,
    high: Box<[u64]>,
}

impl Members {
    /// Out of all `n` audiences.
    pub(super) fn new(n: usize) -> Members {
        Members { low: 0, high: vec![0; n.saturating_sub(64).div_ceil(64)].into_boxed_slice() }
    }

    fn word(&self, a: usize) -> u64 {
        match a.checked_sub(64) {
            None => self.low,
            Some(k) => self.high.get(k / 64).copied().unwrap_or(0),
        }
    }

    pub(super) fn get(&self, a: usize) -> bool {
        self.word(a) >> (a % 64) & 1 == 1
    }

    /// Set audience `a`'s bit (one past those of [`Members::new`] is ignored).
    pub(super) fn set(&mut self, a: usize, in_it: bool) {
        let word = match a.checked_sub(64) {
            None => &mut self.low,
            Some(k) => match self.high.get_mut(k / 64) {
                Some(w) => w,
                None => return,
            },
        };
        let bit = 1u64 << (a % 64);
        if in_it {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    /// The heap it holds: words past the first 64 audiences.
    pub(super) fn heap_words(&self) -> usize {
        self.high.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Members;

    /// Against a flag per audience, for programs of up to 300 audiences.
    #[test]
    fn bits_read_as_flags() {
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0, 1, 18, 63, 64, 65, 127, 128, 129, 300] {
            let mut bits = Members::new(n);
            let mut flags = vec![false; n];
            for _ in 0..4 * n {
                let a = (next() % n as u64) as usize;
                let v = next() % 2 == 0;
                bits.set(a, v);
                flags[a] = v;
                assert!((0..n).all(|k| bits.get(k) == flags[k]), "{n} audiences");
            }
            assert_eq!(bits.heap_words(), n.saturating_sub(64).div_ceil(64));
        }
    }
}
