//! Issue 15: `*`, `/`, `min` and `max` at run time (`clamp` arrives as `min(max(…))`).
//!
//! Any operand without a value makes the result unknown, like a comparison with a
//! missing value; so does a division by zero (and any result that is not a finite
//! number), so a score never turns into infinity or NaN that a threshold would then
//! compare as if it were a real value. Durations only meet `min`/`max` (the checker
//! refuses `*` and `/` on them).

use crate::expr::V;

pub fn product<'a>(l: V<'a>, r: V<'a>) -> V<'a> {
    match (l, r) {
        (V::Num(a), V::Num(b)) => finite(a * b),
        _ => V::None,
    }
}

pub fn quotient<'a>(l: V<'a>, r: V<'a>) -> V<'a> {
    match (l, r) {
        (V::Num(_), V::Num(b)) if b == 0.0 => V::None,
        (V::Num(a), V::Num(b)) => finite(a / b),
        _ => V::None,
    }
}

/// The largest (`max`) or smallest value, unknown when any value is.
pub fn extreme<'a>(values: impl Iterator<Item = V<'a>>, max: bool) -> V<'a> {
    let mut best: Option<V<'a>> = None;
    for v in values {
        let better = match (&best, &v) {
            (_, V::None) => return V::None,
            (None, _) => true,
            (Some(V::Num(b)), V::Num(x)) => (x > b) == max && x != b,
            (Some(V::Dur(b)), V::Dur(x)) => (x > b) == max && x != b,
            // mixed kinds never pass the checker
            (Some(_), _) => return V::None,
        };
        if better {
            best = Some(v);
        }
    }
    best.unwrap_or(V::None)
}

fn finite<'a>(x: f64) -> V<'a> {
    if x.is_finite() {
        V::Num(x)
    } else {
        V::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_is_unknown_not_a_panic_or_infinity() {
        assert_eq!(quotient(V::Num(3.0), V::Num(0.0)), V::None);
        assert_eq!(quotient(V::Num(0.0), V::Num(0.0)), V::None);
        assert_eq!(quotient(V::Num(3.0), V::Num(2.0)), V::Num(1.5));
    }

    #[test]
    fn a_missing_operand_makes_the_result_unknown() {
        assert_eq!(product(V::None, V::Num(2.0)), V::None);
        assert_eq!(quotient(V::Num(2.0), V::None), V::None);
        assert_eq!(extreme([V::Num(1.0), V::None].into_iter(), true), V::None);
    }

    #[test]
    fn min_and_max_pick_the_extreme_value() {
        let vals = || [V::Num(0.3), V::Num(-1.0), V::Num(2.5)].into_iter();
        assert_eq!(extreme(vals(), true), V::Num(2.5));
        assert_eq!(extreme(vals(), false), V::Num(-1.0));
        assert_eq!(extreme([V::Dur(5), V::Dur(9)].into_iter(), false), V::Dur(5));
    }

    #[test]
    fn overflow_is_unknown() {
        assert_eq!(product(V::Num(f64::MAX), V::Num(10.0)), V::None);
    }
}
