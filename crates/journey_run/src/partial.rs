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
//!
//! A part also records what it was simulated with ([`RunSettings`]: the period, the
//! seed of the holdout and split draws, the quiet-hours mode): parts that disagree
//! are not pieces of one run, and their figures do not add up, so they are refused.
//! Nor do parts of different programs (journey files or journey.yaml edited between
//! them): each records the fingerprint of its program ([`program_fingerprint`]).

use journey_engine::{Merge, Report};
use serde::{Deserialize, Serialize};

/// How many of the smallest key hashes a part keeps.
pub const SMALLEST: usize = 1024;

/// A partial report: what it was simulated with, the report, then the customers it
/// covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Partial {
    /// Absent in partial reports of earlier versions: those are merged unchecked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunSettings>,
    #[serde(flatten)]
    pub report: Report,
    /// The bad rows the run skipped (`--skip-bad-rows`), by kind; absent in partial
    /// reports of earlier versions (then the merged report has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<journey_events::SkipCounts>,
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
        let run = take("run").map(serde_json::from_value).transpose()?;
        let skipped = take("skipped").map(serde_json::from_value).transpose()?;
        let coverage = take("coverage").map(serde_json::from_value).transpose()?;
        let clv_input = take("clv_input").map(serde_json::from_value).transpose()?;
        Ok(Partial { run, report: serde_json::from_value(v)?, skipped, coverage, clv_input })
    }

    /// The file's text: pretty JSON, the report's fields first, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a partial report serialises");
        s.push('\n');
        s
    }
}

/// What a run was simulated with, so that parts add up: the first and last simulated
/// day (program time zone, YYYY-MM-DD, both included), the seed of the holdout and
/// split draws, and what a send inside quiet hours does (`defer` or `drop`). Written
/// in the partial report and in the report of `--format json` (`run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSettings {
    pub from: String,
    pub to: String,
    pub seed: u64,
    pub quiet_hours: String,
    /// The fingerprint of the program simulated ([`program_fingerprint`]); absent in
    /// partial reports of earlier versions (merged unchecked, with a note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
}

impl RunSettings {
    /// The settings of a replay of `program` over `start..=until` (ms UTC) in time
    /// zone `tz`.
    pub fn new(
        tz: chrono_tz::Tz,
        start: i64,
        until: i64,
        seed: u64,
        quiet_hours: journey_engine::QuietMode,
        program: &journey_ir::Program,
    ) -> Self {
        RunSettings {
            from: journey_engine::time::day_label(tz, start),
            to: journey_engine::time::day_label(tz, until),
            seed,
            quiet_hours: match quiet_hours {
                journey_engine::QuietMode::Defer => "defer".into(),
                journey_engine::QuietMode::Drop => "drop".into(),
            },
            program: Some(program_fingerprint(program)),
        }
    }

    /// How many calendar days the period spans, both ends included (`None` when a
    /// day is not a date).
    pub fn days(&self) -> Option<i64> {
        let from = journey_engine::time::parse_date(&self.from)?;
        let to = journey_engine::time::parse_date(&self.to)?;
        Some(to - from + 1)
    }

    /// "2024-10-01 to 2025-04-30 (212 days), seed 1, quiet hours defer"
    pub fn describe(&self) -> String {
        let days = match self.days() {
            Some(n) => format!(" ({n} day{})", if n == 1 { "" } else { "s" }),
            None => String::new(),
        };
        format!("{} to {}{days}, seed {}, quiet hours {}", self.from, self.to, self.seed, self.quiet_hours)
    }

    /// What differs from `other`, as "what: mine vs theirs" phrases.
    fn differences(&self, other: &RunSettings) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if (&self.from, &self.to) != (&other.from, &other.to) {
            out.push(("period", format!("{} to {}", self.from, self.to), format!("{} to {}", other.from, other.to)));
        }
        if self.seed != other.seed {
            out.push(("seed", self.seed.to_string(), other.seed.to_string()));
        }
        if self.quiet_hours != other.quiet_hours {
            out.push(("quiet hours", self.quiet_hours.clone(), other.quiet_hours.clone()));
        }
        out
    }
}

/// The fingerprint of a program as the simulator sees it: a stable 64-bit hash (16 hex
/// digits) of its IR serialised as JSON, without the `origin`s that say where each
/// construct was written (file, line and column): the same program gives the same
/// fingerprint wherever the project lives, on any machine, thread or partition count,
/// and a comment, a blank line or a reformatting leaves it alone. Anything the replay
/// reads (an event, a threshold, a wait, journey.yaml's rules, time zone, currency)
/// changes it. Two parts of a merge with different fingerprints were simulated with
/// different programs, and their figures do not add up.
pub fn program_fingerprint(program: &journey_ir::Program) -> String {
    let mut ir = serde_json::to_value(program).expect("the IR serialises");
    strip_origins(&mut ir);
    let text = serde_json::to_string(&ir).expect("the IR serialises");
    hex(key_hash(&text))
}

/// Drop every `origin` (and `…_origin`, `…_origins`) of the serialised IR.
fn strip_origins(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !(k == "origin" || k.ends_with("_origin") || k.ends_with("_origins")));
            map.values_mut().for_each(strip_origins);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_origins),
        _ => {}
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
    #[error(
        "{first} and {second} were simulated with different settings, so their figures do not add up: {differences}"
    )]
    #[diagnostic(
        code(journey::merge::different_runs),
        help(
            "simulate every part with the same --from, --to, --seed and --quiet-hours (only the log and the \
             attribute snapshot differ between parts), then merge them"
        )
    )]
    DifferentRuns { first: String, second: String, differences: String },
    #[error(
        "{first} and {second} were simulated with different programs (program {first_program} in {first}, \
         {second_program} in {second}): the journey files or journey.yaml changed between the parts, so their \
         figures do not add up"
    )]
    #[diagnostic(
        code(journey::merge::different_programs),
        help(
            "simulate every part with the same journey files and journey.yaml (the same commit), then merge them; \
             `run.program` of a part (or of `journey simulate --format json`) is the fingerprint of the program it ran"
        )
    )]
    DifferentPrograms { first: String, second: String, first_program: String, second_program: String },
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

/// Add the parts (path, partial) into one, refusing duplicates, overlaps and parts
/// simulated with different [`RunSettings`]. The result's coverage (its run settings)
/// is `None` when any part had none (parts of earlier versions).
pub fn merge(parts: &[(String, Partial)]) -> Result<Partial, MergeError> {
    let mut parsed = Vec::new();
    for (path, p) in parts {
        parsed.push(p.coverage.as_ref().map(|c| parse(c, path)).transpose()?);
    }
    // parts of one run were simulated alike: the first part that records its
    // settings is the reference every other part is compared with
    let recorded: Vec<(&String, &RunSettings)> =
        parts.iter().filter_map(|(path, p)| p.run.as_ref().map(|r| (path, r))).collect();
    if let Some((first, reference)) = recorded.first() {
        for (second, run) in &recorded[1..] {
            let differences = reference.differences(run);
            if !differences.is_empty() {
                let differences = (differences.iter())
                    .map(|(what, a, b)| format!("{what} {a} in {first}, {b} in {second}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(MergeError::DifferentRuns {
                    first: first.to_string(),
                    second: second.to_string(),
                    differences,
                });
            }
        }
    }
    // the same for the program, among the parts that record it (parts of earlier
    // versions do not: merged unchecked, with a note)
    let programs: Vec<(&String, &String)> =
        recorded.iter().filter_map(|(path, r)| r.program.as_ref().map(|p| (*path, p))).collect();
    if let Some((first, reference)) = programs.first() {
        for (second, program) in &programs[1..] {
            if program != reference {
                return Err(MergeError::DifferentPrograms {
                    first: first.to_string(),
                    second: second.to_string(),
                    first_program: reference.to_string(),
                    second_program: program.to_string(),
                });
            }
        }
    }
    // after the settings and the program: parts of different runs (two periods of
    // the whole log, say) share their customers too, and that is not what to fix
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
    if recorded.len() == parts.len() {
        total.run = recorded.first().map(|(_, r)| (*r).clone());
        // the merged run names a program only when every part recorded it
        if let Some(run) = &mut total.run {
            if programs.len() < parts.len() {
                run.program = None;
            }
        }
    }
    for (_, p) in parts {
        total.report.merge(&p.report);
    }
    // every part's skipped rows, or none when a part does not record them
    if parts.iter().all(|(_, p)| p.skipped.is_some()) {
        let mut skipped = journey_events::SkipCounts::default();
        parts.iter().flat_map(|(_, p)| &p.skipped).for_each(|s| skipped.merge(s));
        total.skipped = Some(skipped);
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
        Partial { report, coverage: Some(coverage(keys.iter().map(String::as_str))), ..Partial::default() }
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
    fn parts_simulated_with_other_settings_are_refused() {
        let settings = |from: &str, seed: u64| RunSettings {
            from: from.into(),
            to: "2025-04-30".into(),
            seed,
            quiet_hours: "defer".into(),
            program: None,
        };
        let with = |keys, run| Partial { run: Some(run), ..part(keys) };
        let a = with(0..100, settings("2024-10-01", 1));
        let merged = merge(&[("a".into(), a.clone()), ("b".into(), with(100..200, settings("2024-10-01", 1)))]);
        assert_eq!(merged.unwrap().run, Some(settings("2024-10-01", 1)));
        let e = merge(&[("a".into(), a.clone()), ("b".into(), with(100..200, settings("2024-09-17", 5)))]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a and b were simulated with different settings, so their figures do not add up: period 2024-10-01 to \
             2025-04-30 in a, 2024-09-17 to 2025-04-30 in b; seed 1 in a, 5 in b"
        );
        // two periods of the whole log share every customer: the periods are what to
        // fix, not the split
        let e = merge(&[("a".into(), a.clone()), ("b".into(), with(0..100, settings("2024-09-17", 1)))]).unwrap_err();
        assert!(matches!(e, MergeError::DifferentRuns { .. }), "{e}");
        // a part of an earlier version records nothing: merged unchecked, no settings
        let merged = merge(&[("a".into(), a), ("b".into(), part(100..200))]).unwrap();
        assert_eq!(merged.run, None);
    }

    #[test]
    fn parts_of_different_programs_are_refused() {
        let settings = |program: Option<&str>| RunSettings {
            from: "2024-10-01".into(),
            to: "2025-04-30".into(),
            seed: 1,
            quiet_hours: "defer".into(),
            program: program.map(str::to_string),
        };
        let with = |keys, run| Partial { run: Some(run), ..part(keys) };
        let a = with(0..100, settings(Some("00000000000000aa")));
        let merged =
            merge(&[("a".into(), a.clone()), ("b".into(), with(100..200, settings(Some("00000000000000aa"))))]);
        assert_eq!(merged.unwrap().run, Some(settings(Some("00000000000000aa"))));
        let e = merge(&[("a".into(), a.clone()), ("b".into(), with(100..200, settings(Some("00000000000000bb"))))])
            .unwrap_err();
        assert!(matches!(e, MergeError::DifferentPrograms { .. }), "{e}");
        assert!(
            e.to_string().starts_with(
                "a and b were simulated with different programs (program 00000000000000aa in a, 00000000000000bb in b)"
            ),
            "{e}"
        );
        // a part of an earlier version records no program: merged unchecked, and the
        // merged run names none
        let merged = merge(&[("a".into(), a), ("b".into(), with(100..200, settings(None)))]).unwrap();
        assert_eq!(merged.run, Some(settings(None)));
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
