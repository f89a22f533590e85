//! The partial report file of `journey simulate --partial`, and the check `journey
//! merge` makes before adding parts: each part says which customers it covers, so a
//! part given twice, or parts that each ran over the whole attribute snapshot, are
//! refused instead of being counted two or three times.
//!
//! A part's coverage is a fingerprint of its set of customer keys: how many, the
//! wrapping sum of their 64-bit hashes (equal sets give equal sums; the sums of
//! disjoint parts add up to the whole run's), and the [`SMALLEST`] smallest hashes (a
//! "k minimum values" sketch). Two parts that share customers share, with high
//! probability, some of those smallest hashes: when 1% of a part's customers are also
//! in another part, the first shared hash is among the 1,024 smallest of both with
//! probability above 99.99%; a part that overlaps another entirely is always caught.
//! The merged coverage is again the fingerprint of the union, so the merge of the
//! parts of a run equals, byte for byte, the whole run's own partial report.

use journey_engine::{Merge, Report};
use serde::{Deserialize, Serialize};

/// How many of the smallest key hashes a part keeps.
pub const SMALLEST: usize = 1024;

/// A partial report: the report, then the customers it covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Partial {
    #[serde(flatten)]
    pub report: Report,
    /// Absent in partial reports of earlier versions: those are merged unchecked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// What the CLV estimate needs, so `merge` refits it exactly (absent in partial
    /// reports of earlier versions: those merge without an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clv_input: Option<crate::clv_estimate::PartialClv>,
}

impl Partial {
    /// Read a partial report. (Not `#[serde(flatten)]` on the way in: flattening
    /// loses the report's number-keyed maps.)
    pub fn from_json(text: &str) -> serde_json::Result<Partial> {
        let mut v: serde_json::Value = serde_json::from_str(text)?;
        let mut take = |key: &str| v.as_object_mut().and_then(|o| o.remove(key));
        let coverage = take("coverage").map(serde_json::from_value).transpose()?;
        let clv_input = take("clv_input").map(serde_json::from_value).transpose()?;
        Ok(Partial { report: serde_json::from_value(v)?, coverage, clv_input })
    }

    /// The file's text: pretty JSON, the report's fields first, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a partial report serialises");
        s.push('\n');
        s
    }
}

/// The fingerprint of a set of customers (see the module's comment). Hashes are
/// written as 16 hex digits: JSON numbers above 2^53 do not survive every reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub customers: u64,
    pub key_sum: String,
    pub smallest: Vec<String>,
}

/// Why parts cannot be merged.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum MergeError {
    #[error("{second} is the same partial report as {first} (both cover the same {customers} customers)")]
    #[diagnostic(code(journey::merge::duplicate), help("give each part once"))]
    Duplicate { first: String, second: String, customers: u64 },
    #[error("{first} and {second} cover some of the same customers; merging them would count those customers twice")]
    #[diagnostic(
        code(journey::merge::overlap),
        help(
            "split the log and the attribute snapshot by customer, and simulate each part with its own share of \
             both (a part given the whole snapshot simulates every customer of it)"
        )
    )]
    Overlap { first: String, second: String },
    #[error("{path}: the coverage of the partial report is malformed ({why})")]
    #[diagnostic(
        code(journey::merge::bad_coverage),
        help("partial reports are written by `journey simulate --partial FILE`")
    )]
    Malformed { path: String, why: String },
}

/// A stable 64-bit hash of a customer key: FNV-1a, then a finaliser that spreads the
/// bits (so the smallest hashes are a uniform sample of the customers).
pub fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64's finaliser
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The coverage of a set of distinct customer keys.
pub fn coverage<'a>(keys: impl IntoIterator<Item = &'a str>) -> Coverage {
    let mut hashes: Vec<u64> = keys.into_iter().map(key_hash).collect();
    let customers = hashes.len() as u64;
    let sum = hashes.iter().fold(0u64, |s, h| s.wrapping_add(*h));
    hashes.sort_unstable();
    hashes.truncate(SMALLEST);
    Coverage { customers, key_sum: hex(sum), smallest: hashes.into_iter().map(hex).collect() }
}

fn hex(h: u64) -> String {
    format!("{h:016x}")
}

struct Parsed {
    customers: u64,
    sum: u64,
    smallest: Vec<u64>,
}

fn parse(c: &Coverage, path: &str) -> Result<Parsed, MergeError> {
    let bad = |why: String| MergeError::Malformed { path: path.to_string(), why };
    let num = |s: &str| u64::from_str_radix(s, 16).map_err(|_| bad(format!("`{s}` is not a 16-digit hex hash")));
    let sum = num(&c.key_sum)?;
    let smallest = c.smallest.iter().map(|s| num(s)).collect::<Result<Vec<_>, _>>()?;
    if smallest.windows(2).any(|w| w[0] >= w[1]) || smallest.len() as u64 > c.customers.min(SMALLEST as u64) {
        return Err(bad("the smallest hashes are not sorted or too many".into()));
    }
    Ok(Parsed { customers: c.customers, sum, smallest })
}

/// Add the parts (path, partial) into one, refusing duplicates and overlaps. The
/// result's coverage is `None` when any part had none.
pub fn merge(parts: &[(String, Partial)]) -> Result<Partial, MergeError> {
    let mut parsed = Vec::new();
    for (path, p) in parts {
        parsed.push(p.coverage.as_ref().map(|c| parse(c, path)).transpose()?);
    }
    for i in 0..parts.len() {
        for j in i + 1..parts.len() {
            let (Some(a), Some(b)) = (&parsed[i], &parsed[j]) else { continue };
            let (first, second) = (parts[i].0.clone(), parts[j].0.clone());
            let same_customers = a.customers == b.customers && a.sum == b.sum && a.smallest == b.smallest;
            if a.customers > 0 && same_customers && parts[i].1.report == parts[j].1.report {
                return Err(MergeError::Duplicate { first, second, customers: a.customers });
            }
            if shares(&a.smallest, &b.smallest) {
                return Err(MergeError::Overlap { first, second });
            }
        }
    }
    let mut total = Partial::default();
    for (_, p) in parts {
        total.report.merge(&p.report);
    }
    if parsed.iter().all(Option::is_some) {
        let mut customers = 0u64;
        let mut sum = 0u64;
        let mut smallest = Vec::new();
        for p in parsed.iter().flatten() {
            customers += p.customers;
            sum = sum.wrapping_add(p.sum);
            smallest.extend(&p.smallest);
        }
        smallest.sort_unstable();
        smallest.truncate(SMALLEST);
        total.coverage =
            Some(Coverage { customers, key_sum: hex(sum), smallest: smallest.into_iter().map(hex).collect() });
    }
    Ok(total)
}

/// Whether two sorted lists have an element in common.
fn shares(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(keys: std::ops::Range<u32>) -> Partial {
        let keys: Vec<String> = keys.map(|i| format!("c{i}")).collect();
        let report = Report { customers: keys.len() as u64, ..Report::default() };
        Partial { report, coverage: Some(coverage(keys.iter().map(String::as_str))), clv_input: None }
    }

    #[test]
    fn disjoint_parts_merge_into_the_whole() {
        let merged = merge(&[("a".into(), part(0..3000)), ("b".into(), part(3000..5000))]).unwrap();
        assert_eq!(merged, part(0..5000));
    }

    #[test]
    fn duplicates_and_overlaps_are_refused() {
        let e = merge(&[("a".into(), part(0..100)), ("b".into(), part(0..100))]).unwrap_err();
        assert!(matches!(e, MergeError::Duplicate { .. }), "{e}");
        // every part ran over the whole snapshot: each covers everyone
        let mut other_period = part(0..3000);
        other_period.report.sends = 7;
        let e = merge(&[("a".into(), part(0..3000)), ("b".into(), other_period)]).unwrap_err();
        assert!(matches!(e, MergeError::Overlap { .. }), "{e}");
        let e = merge(&[("a".into(), part(0..3000)), ("b".into(), part(2000..5000))]).unwrap_err();
        assert!(matches!(e, MergeError::Overlap { .. }), "{e}");
    }

    #[test]
    fn an_overlap_of_one_percent_is_caught() {
        // 100 seeds of 10,000-customer parts sharing 100 customers: every one caught
        for s in 0..100u32 {
            let base = s * 20_000;
            let a = part(base..base + 10_000);
            let b = part(base + 9_900..base + 19_900);
            assert!(merge(&[("a".into(), a), ("b".into(), b)]).is_err(), "seed {s}");
        }
    }
}
