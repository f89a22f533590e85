//! Aligning two sequences of steps (one stage, before and after) so that inserting or
//! deleting a step shows up as one added or removed step, never as a cascade of
//! changes to everything after it.
//!
//! Two passes of a longest common subsequence: first on exact equality (unchanged
//! steps anchor the alignment), then, inside each gap between anchors, on a weaker
//! "similar" relation (same kind of step) so that an edited step pairs with its old
//! self and reads as *changed* rather than as removed plus added.

/// One operation of an edit script, in sequence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `base[i]` and `head[j]` are the same step (possibly edited).
    Pair(usize, usize),
    /// `base[i]` was removed.
    Removed(usize),
    /// `head[j]` was added.
    Added(usize),
}

/// Align `base` with `head`: an edit script that visits every element of both once, in
/// order.
pub fn align<T>(base: &[T], head: &[T], exact: impl Fn(&T, &T) -> bool, similar: impl Fn(&T, &T) -> bool) -> Vec<Op> {
    let anchors = lcs(base.len(), head.len(), |i, j| exact(&base[i], &head[j]));
    let mut ops = Vec::new();
    let (mut i0, mut j0) = (0, 0);
    for &(i, j) in anchors.iter().chain(std::iter::once(&(base.len(), head.len()))) {
        // the gap base[i0..i] / head[j0..j]: pair similar steps, the rest are added/removed
        let inner = lcs(i - i0, j - j0, |a, b| similar(&base[i0 + a], &head[j0 + b]));
        let (mut a0, mut b0) = (i0, j0);
        for &(a, b) in &inner {
            let (a, b) = (i0 + a, j0 + b);
            ops.extend((a0..a).map(Op::Removed));
            ops.extend((b0..b).map(Op::Added));
            ops.push(Op::Pair(a, b));
            (a0, b0) = (a + 1, b + 1);
        }
        ops.extend((a0..i).map(Op::Removed));
        ops.extend((b0..j).map(Op::Added));
        if i < base.len() {
            ops.push(Op::Pair(i, j));
        }
        (i0, j0) = (i + 1, j + 1);
    }
    ops
}

/// Index pairs of a longest common subsequence of two sequences of lengths `n` and
/// `m`, in order. Ties prefer pairing earlier elements of `base`, so the result is
/// deterministic.
fn lcs(n: usize, m: usize, eq: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    if n == 0 || m == 0 {
        return Vec::new();
    }
    // len[i][j] = LCS length of base[i..] and head[j..]
    let mut len = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i][j] = if eq(i, j) { len[i + 1][j + 1] + 1 } else { len[i + 1][j].max(len[i][j + 1]) };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if eq(i, j) && len[i][j] == len[i + 1][j + 1] + 1 {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if len[i + 1][j] >= len[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(base: &str, head: &str) -> Vec<Op> {
        let b: Vec<char> = base.chars().collect();
        let h: Vec<char> = head.chars().collect();
        // exact: same letter; similar: same case
        align(&b, &h, |x, y| x == y, |x, y| x.is_uppercase() == y.is_uppercase())
    }

    #[test]
    fn identical_sequences_pair_everything() {
        assert_eq!(run("abc", "abc"), vec![Op::Pair(0, 0), Op::Pair(1, 1), Op::Pair(2, 2)]);
    }

    #[test]
    fn insert_in_the_middle_is_one_added() {
        let ops = run("abcd", "abXcd");
        assert_eq!(ops, vec![Op::Pair(0, 0), Op::Pair(1, 1), Op::Added(2), Op::Pair(2, 3), Op::Pair(3, 4)]);
    }

    #[test]
    fn delete_in_the_middle_is_one_removed() {
        let ops = run("abcd", "abd");
        assert_eq!(ops, vec![Op::Pair(0, 0), Op::Pair(1, 1), Op::Removed(2), Op::Pair(3, 2)]);
    }

    #[test]
    fn edited_step_pairs_with_its_old_self() {
        // `c` became `e`: same kind (lowercase), so a pair, not removed + added
        let ops = run("abcd", "abed");
        assert_eq!(ops, vec![Op::Pair(0, 0), Op::Pair(1, 1), Op::Pair(2, 2), Op::Pair(3, 3)]);
    }

    #[test]
    fn different_kind_is_removed_and_added() {
        let ops = run("abcd", "abCd");
        assert_eq!(ops, vec![Op::Pair(0, 0), Op::Pair(1, 1), Op::Removed(2), Op::Added(2), Op::Pair(3, 3)]);
    }

    #[test]
    fn empty_sides() {
        assert_eq!(run("", "ab"), vec![Op::Added(0), Op::Added(1)]);
        assert_eq!(run("ab", ""), vec![Op::Removed(0), Op::Removed(1)]);
        assert_eq!(run("", ""), vec![]);
    }

    #[test]
    fn every_element_is_visited_once_in_order() {
        for (b, h) in [("abcabc", "cbacba"), ("aAbB", "BbAa"), ("xyz", "XYZxyz"), ("aaaa", "aa")] {
            let ops = run(b, h);
            let bs: Vec<usize> = ops
                .iter()
                .filter_map(|o| match o {
                    Op::Pair(i, _) | Op::Removed(i) => Some(*i),
                    _ => None,
                })
                .collect();
            let hs: Vec<usize> = ops
                .iter()
                .filter_map(|o| match o {
                    Op::Pair(_, j) | Op::Added(j) => Some(*j),
                    _ => None,
                })
                .collect();
            assert_eq!(bs, (0..b.len()).collect::<Vec<_>>(), "{b} {h}");
            assert_eq!(hs, (0..h.len()).collect::<Vec<_>>(), "{b} {h}");
        }
    }
}
