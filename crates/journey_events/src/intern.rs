//! Interned strings (customer keys and text property values) of one log.
//!
//! Every row of a log interns its customer key and its text values, and a time-ordered
//! log brings a different customer on nearly every row, so a lookup is a cache miss
//! wherever it has to go. A general hash table (control bytes, then a slot holding an
//! id, then the key's end offsets, then its bytes) made that four dependent misses,
//! 27% of a CSV parse-only pass. Here a lookup touches one slot of 16 bytes: keys of
//! at most eight bytes (`c0020684`, `web`, `p0123`: most keys of real logs) are held
//! in the slot itself, zero-padded, with their length; a longer key holds its full
//! hash there and is compared against the buffer only when the hashes agree.
//!
//! The strings live back to back in one buffer, in id order, for [`Interner::resolve`].
//! Ids are handed out in first-seen order, so the hash never shows in any output.

/// One slot of the open-addressing table (linear probing).
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Short key: its bytes, little-endian, zero-padded. Long key: its hash.
    key: u64,
    /// Short key: its length (0..=8). Long key: [`LONG`] | its length (low 31 bits).
    tag: u32,
    /// The string's id; [`EMPTY`] for a free slot.
    id: u32,
}

const EMPTY: u32 = u32::MAX;
const LONG: u32 = 1 << 31;
const FREE: Slot = Slot { key: 0, tag: 0, id: EMPTY };

#[derive(Debug, Clone)]
pub struct Interner {
    /// All strings, back to back, in id order.
    text: String,
    /// Per id: where its string ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
    /// A power of two long (or empty), at most three quarters full.
    slots: Vec<Slot>,
    /// Seeds of the short-key hash, drawn from `hasher` (so per interner, like it).
    seeds: (u64, u64),
    hasher: foldhash::fast::RandomState,
}

impl Default for Interner {
    fn default() -> Interner {
        use std::hash::BuildHasher;
        let hasher = foldhash::fast::RandomState::default();
        // odd and above 8, so that the multiplier below is never zero or tiny
        let seeds = (hasher.hash_one(0x5eed_u64), hasher.hash_one(0xfeed_u64) | 0x8000_0000_0000_0001);
        Interner { text: String::new(), ends: Vec::new(), slots: Vec::new(), seeds, hasher }
    }
}

/// A key as its slot holds it, and its hash: short keys packed into a word and hashed
/// by one folded multiply (no loop, no call), long keys through foldhash.
#[inline]
fn pack(s: &[u8], seeds: (u64, u64), hasher: &foldhash::fast::RandomState) -> (u64, u32, u64) {
    if s.len() <= 8 {
        let mut word = [0u8; 8];
        word[..s.len()].copy_from_slice(s);
        let key = u64::from_le_bytes(word);
        (key, s.len() as u32, short_hash(key, s.len() as u32, seeds))
    } else {
        use std::hash::BuildHasher;
        let h = hasher.hash_one(s);
        (h, LONG | (s.len() as u32 & !LONG), h)
    }
}

#[inline]
fn short_hash(key: u64, len: u32, seeds: (u64, u64)) -> u64 {
    let full = u128::from(key ^ seeds.0 ^ u64::from(len)) * u128::from(seeds.1);
    (full as u64) ^ ((full >> 64) as u64)
}

impl Interner {
    #[inline]
    fn span(&self, id: u32) -> (usize, usize) {
        let i = id as usize;
        (if i == 0 { 0 } else { self.ends[i - 1] }, self.ends[i])
    }

    /// The slot of `s` if it is interned, else the free slot where it would go.
    #[inline]
    fn find(&self, s: &[u8], key: u64, tag: u32, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.id == EMPTY {
                return i;
            }
            if slot.key == key && slot.tag == tag {
                // short keys are equal when word and length are; long ones have equal
                // hashes and lengths here, so compare the bytes
                if tag & LONG == 0 {
                    return i;
                }
                let (start, end) = self.span(slot.id);
                if &self.text.as_bytes()[start..end] == s {
                    return i;
                }
            }
            i = (i + 1) & mask;
        }
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        if (self.ends.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let (key, tag, hash) = pack(s.as_bytes(), self.seeds, &self.hasher);
        let i = self.find(s.as_bytes(), key, tag, hash);
        if self.slots[i].id != EMPTY {
            return self.slots[i].id;
        }
        // ids are u32 throughout the engine (`CustomerId`, `PropValue::Text`)
        let id = u32::try_from(self.ends.len())
            .ok()
            .filter(|&id| id != EMPTY)
            .expect("more than 4 billion distinct strings in one log");
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.slots[i] = Slot { key, tag, id };
        id
    }

    /// Double the table (16 slots at first) and place every key again: short keys are
    /// hashed again from their slot, long ones keep their hash there.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| s.id != EMPTY) {
            let hash = if slot.tag & LONG == 0 { short_hash(slot.key, slot.tag, self.seeds) } else { slot.key };
            let mut i = hash as usize & mask;
            while self.slots[i].id != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Start loading the slot where `s` is (or would go), without waiting for it: a
    /// reader calls this at the start of a row and interns at its end, the miss
    /// overlapped with typing the row.
    #[inline]
    pub fn prefetch(&self, s: &str) {
        if !self.slots.is_empty() {
            let (_, _, hash) = pack(s.as_bytes(), self.seeds, &self.hasher);
            prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
        }
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let (key, tag, hash) = pack(s.as_bytes(), self.seeds, &self.hasher);
        Some(self.slots[self.find(s.as_bytes(), key, tag, hash)].id).filter(|&id| id != EMPTY)
    }

    pub fn resolve(&self, id: u32) -> &str {
        let (start, end) = self.span(id);
        &self.text[start..end]
    }

    /// The strings interned from id `from` on, in id order.
    pub fn names_from(&self, from: usize) -> Vec<Box<str>> {
        (from..self.len()).map(|i| Box::from(self.resolve(i as u32))).collect()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// A hint to the cache: load the line of `at` (no effect on results).
#[inline(always)]
pub(crate) fn prefetch<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing the program sees; SSE is part
    // of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch(at as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Against a `HashMap` on generated keys: short, exactly eight bytes, long, empty,
    /// with NUL bytes (which the zero padding must not confuse with shorter keys), and
    /// many repeats; ids, `get` and `resolve` agree at every step, across growths.
    #[test]
    fn agrees_with_a_hash_map() {
        let alphabet: &[&str] = &["a", "b", "\0", "é", "c0", "x"];
        let mut seed = 11u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for round in 0..20 {
            let mut mine = Interner::default();
            let mut oracle: HashMap<String, u32> = HashMap::new();
            let mut names = Vec::new();
            for _ in 0..3000 {
                let parts = next() % if round % 2 == 0 { 6 } else { 14 };
                let s: String = (0..parts).map(|_| alphabet[next() % alphabet.len()]).collect();
                let want = oracle.get(&s).copied();
                assert_eq!(mine.get(&s), want, "{s:?}");
                let n = oracle.len() as u32;
                let want = *oracle.entry(s.clone()).or_insert(n);
                if want == n {
                    names.push(s.clone());
                }
                assert_eq!(mine.intern(&s), want, "{s:?}");
                assert_eq!(mine.resolve(want), s);
            }
            assert_eq!(mine.len(), oracle.len());
            for (id, s) in names.iter().enumerate() {
                assert_eq!(mine.get(s), Some(id as u32));
            }
            assert_eq!(mine.get("never interned, long enough"), None);
            assert_eq!(&*mine.names_from(0).join("|"), names.join("|"));
        }
    }

    #[test]
    fn short_keys_differing_only_by_trailing_nul_are_distinct() {
        let mut i = Interner::default();
        assert_eq!(i.get("a"), None);
        let (a, a0, a00, empty) = (i.intern("a"), i.intern("a\0"), i.intern("a\0\0"), i.intern(""));
        assert_eq!((a, a0, a00, empty), (0, 1, 2, 3));
        assert_eq!(i.intern("a\0"), 1);
        assert_eq!(i.resolve(2), "a\0\0");
        assert_eq!(i.get(""), Some(3));
    }
}
