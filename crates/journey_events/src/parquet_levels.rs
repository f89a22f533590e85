//! The two bit-level encodings of Parquet's common case, for [`crate::parquet_own`]:
//! the RLE / bit-packed hybrid (definition levels, dictionary ids) and plain booleans.
//!
//! Every function checks its input and answers `None` on anything short or out of
//! range: the caller then hands the row group to arrow's decoder, whose answer (values
//! or error) is the one the reader gives.

use arrow_buffer::BooleanBufferBuilder;

/// A ULEB128 varint at `pos`, moving `pos` past it.
fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The `i`th value of `width` bits of a little-endian bit stream (`width` <= 32).
#[inline]
fn unpack(bytes: &[u8], i: usize, width: usize) -> u32 {
    let bit = i * width;
    let start = bit / 8;
    let mut word = [0u8; 8];
    let end = (start + 8).min(bytes.len());
    if start < end {
        word[..end - start].copy_from_slice(&bytes[start..end]);
    }
    let w = u64::from_le_bytes(word) >> (bit % 8);
    (w & ((1u64 << width) - 1)) as u32
}

/// The 8 values of `width` (<= 16) bits of one bit-packed group of `width` bytes:
/// one load and eight shifts, not a load a value.
#[inline]
fn unpack8(group: &[u8], width: usize, out: &mut Vec<u32>, take: usize) {
    let mut word = [0u8; 16];
    word[..group.len()].copy_from_slice(group);
    let w = u128::from_le_bytes(word);
    let mask = (1u128 << width) - 1;
    out.extend((0..take).map(|i| ((w >> (i * width)) & mask) as u32));
}

/// The header of the next run at `pos`: (bit-packed?, count: groups of 8 or values).
fn run(buf: &[u8], pos: &mut usize) -> Option<(bool, usize)> {
    let header = varint(buf, pos)?;
    Some((header & 1 == 1, usize::try_from(header >> 1).ok()?))
}

/// Decode `n` values of `width` bits from the hybrid encoding in `buf` onto `out`.
/// `None`: the data ends early, a width over 32, a run of none, or a run's value wider
/// than `width`.
pub(crate) fn hybrid(buf: &[u8], width: u8, n: usize, out: &mut Vec<u32>) -> Option<()> {
    if width > 32 {
        return None;
    }
    let width = width as usize;
    let mut pos = 0;
    let mut left = n;
    out.reserve(n);
    while left > 0 {
        let (packed, count) = run(buf, &mut pos)?;
        if count == 0 {
            return None;
        }
        if packed {
            let len = count.checked_mul(width)?;
            let bytes = buf.get(pos..pos.checked_add(len)?)?;
            pos += len;
            let take = left.min(count.checked_mul(8)?);
            if width == 0 {
                out.resize(out.len() + take, 0);
            } else if width <= 16 {
                for (g, group) in bytes.chunks_exact(width).enumerate().take(take.div_ceil(8)) {
                    unpack8(group, width, out, (take - g * 8).min(8));
                }
            } else {
                out.extend((0..take).map(|i| unpack(bytes, i, width)));
            }
            left -= take;
        } else {
            let len = width.div_ceil(8);
            let bytes = buf.get(pos..pos + len)?;
            pos += len;
            let mut word = [0u8; 4];
            word[..len].copy_from_slice(bytes);
            let v = u32::from_le_bytes(word);
            if width < 32 && v >> width != 0 {
                return None;
            }
            let take = left.min(count);
            out.resize(out.len() + take, v);
            left -= take;
        }
    }
    // nothing left over: a count or width read wrongly shows here (strict, as the
    // caller hands anything unexpected to arrow)
    (pos == buf.len()).then_some(())
}

/// `n` definition levels of a column of at most one level (1: a value, 0: null) from
/// the hybrid encoding in `buf`, appended to `valid` as its validity bits; how many are
/// values. A bit-packed run of width 1 is already a validity bitmap: it is copied.
pub(crate) fn levels(buf: &[u8], n: usize, valid: &mut BooleanBufferBuilder) -> Option<usize> {
    let mut pos = 0;
    let mut left = n;
    let mut present = 0;
    while left > 0 {
        let (packed, count) = run(buf, &mut pos)?;
        if count == 0 {
            return None;
        }
        if packed {
            let bytes = buf.get(pos..pos.checked_add(count)?)?;
            pos += count;
            let take = left.min(count.checked_mul(8)?);
            let whole = take / 8;
            present += bytes[..whole].iter().map(|b| b.count_ones() as usize).sum::<usize>();
            if take % 8 != 0 {
                present += (bytes[whole] & ((1u8 << (take % 8)) - 1)).count_ones() as usize;
            }
            valid.append_packed_range(0..take, bytes);
            left -= take;
        } else {
            let v = *buf.get(pos)?;
            pos += 1;
            if v > 1 {
                return None;
            }
            let take = left.min(count);
            valid.append_n(take, v == 1);
            present += take * v as usize;
            left -= take;
        }
    }
    (pos == buf.len()).then_some(present)
}

/// `n` plain booleans (bit-packed, least significant bit first) from `buf`; `None`
/// when it is too short.
pub(crate) fn plain_bools(buf: &[u8], n: usize, out: &mut Vec<bool>) -> Option<()> {
    let bytes = buf.get(..n.div_ceil(8))?;
    if bytes.len() != buf.len() {
        return None;
    }
    out.extend((0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(buf: &[u8], width: u8, n: usize) -> Option<Vec<u32>> {
        let mut v = Vec::new();
        hybrid(buf, width, n, &mut v)?;
        Some(v)
    }

    #[test]
    fn runs_and_bit_packed_groups() {
        // a run of 5 threes (width 2), then one bit-packed group of 0..8 (width 3)
        let mut buf = vec![5 << 1, 3, 1 << 1 | 1];
        let vals: u32 = (0..8u32).fold(0, |a, i| a | i << (3 * i));
        buf.extend_from_slice(&vals.to_le_bytes()[..3]);
        assert_eq!(all(&buf[..2], 2, 5), Some(vec![3; 5]));
        assert_eq!(all(&buf[2..], 3, 8), Some((0..8).collect::<Vec<_>>()));
        // the generic unpacking of widths over 16: 0..8 in 20 bits each
        let mut wide = vec![1 << 1 | 1];
        let mut bits = 0u128;
        for i in 0..6u128 {
            bits |= (i * 100_000) << (20 * i);
        }
        wide.extend_from_slice(&bits.to_le_bytes()[..15]);
        wide.extend_from_slice(&[0; 5]);
        let got = all(&wide, 20, 6).unwrap();
        assert_eq!(got, (0..6).map(|i| i * 100_000).collect::<Vec<_>>());
        // short data, a run value too wide, a run of none
        assert_eq!(all(&buf[..1], 2, 5), None);
        assert_eq!(all(&[2, 4], 2, 1), None);
        assert_eq!(all(&[0, 1], 2, 1), None);
        assert_eq!(all(&[], 40, 1), None);
        // zero width: all zeros
        assert_eq!(all(&[3], 0, 8), Some(vec![0; 8]));
    }

    #[test]
    fn levels_as_validity_bits() {
        // 3 values, then a bit-packed group 0b0110_1001 (of which 6 are taken)
        let buf = [3 << 1, 1, 1 << 1 | 1, 0b0110_1001];
        let mut v = BooleanBufferBuilder::new(0);
        assert_eq!(levels(&buf, 9, &mut v), Some(6));
        let bits: Vec<bool> = v.finish().iter().collect();
        assert_eq!(bits, [true, true, true, true, false, false, true, false, true]);
        let mut v = BooleanBufferBuilder::new(0);
        assert_eq!(levels(&[2, 2], 1, &mut v), None);
        assert_eq!(levels(&[1 << 1 | 1], 1, &mut v), None);
    }

    #[test]
    fn booleans() {
        let mut v = Vec::new();
        plain_bools(&[0b101], 3, &mut v).unwrap();
        assert_eq!(v, vec![true, false, true]);
        assert_eq!(plain_bools(&[], 1, &mut v), None);
    }
}
