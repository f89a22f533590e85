//! Decimal numbers of a log (`12.50`, `-3`, `0.5`), read exactly as `str::parse::<f64>`
//! reads them, without its general machinery for the short forms logs write.
//!
//! Why it is exact: a number of at most 15 significant digits is an integer `m` below
//! 2^53 and a power of ten `10^k` (k <= 15), both exact in a double; IEEE division
//! rounds `m / 10^k` correctly, which is the correctly rounded value of the decimal,
//! what the standard parser returns (Clinger's fast path). Everything else (exponents,
//! more digits, `inf`, `NaN`) goes to the standard parser.

const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// `s` (already trimmed) as a number, or `None` where `str::parse::<f64>` fails.
#[inline]
pub fn parse_f64(s: &str) -> Option<f64> {
    match short_decimal(s.as_bytes()) {
        Some(v) => Some(v),
        None => s.parse().ok(),
    }
}

/// `[+-]digits[.digits]` with at most 15 digits in all; `None` for anything else
/// (which may still be a number: the caller falls back).
#[inline]
fn short_decimal(b: &[u8]) -> Option<f64> {
    let (neg, body) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if body.is_empty() || body.len() > 16 {
        return None;
    }
    let (mut m, mut digits, mut point) = (0u64, 0usize, None);
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    let k = point.map_or(0, |p| body.len() - 1 - p);
    let v = m as f64 / POW10[k];
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(s: &str) {
        let want: Option<f64> = s.parse().ok();
        let got = parse_f64(s);
        assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{s:?}");
    }

    #[test]
    fn agrees_with_the_standard_parser_on_edge_forms() {
        for s in [
            "0",
            "-0",
            "+0",
            "12.50",
            "0.1",
            ".5",
            "5.",
            "-.5",
            ".",
            "-",
            "+",
            "",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            "999999999999999",
            "9999999999999999",
            "0.000000000000001",
            "123456789.012345",
            "1,5",
            " 1",
            "0x10",
            "00012.3400",
            "-999999999999.99",
        ] {
            same(s);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Every short decimal, bit for bit as the standard parser reads it.
        #[test]
        fn short_decimals_are_exact(int in 0u64..10_000_000_000, frac in "[0-9]{0,7}", neg: bool, point: bool) {
            let s = format!("{}{int}{}{frac}", if neg { "-" } else { "" }, if point { "." } else { "" });
            same(&s);
        }

        #[test]
        fn any_text_agrees(s in "[-+0-9.eE]{0,18}") {
            same(&s);
        }
    }
}
