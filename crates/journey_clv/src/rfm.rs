//! RFM summaries: per customer, repeat-purchase count (frequency), time of the
//! last purchase since the first (recency), length of observation (T) and mean
//! repeat spend; built from a transaction log or read from a summary CSV.
//!
//! Conventions follow Fader, Hardie & Lee's CDNOW data: purchases on the same
//! day merge into one (their amounts add up), frequency counts repeat purchase
//! days, and times are whole days divided by the time unit.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{bad_row, ClvError, Result};
use crate::table::{for_each_row, split_rows, Delimiter};
use crate::translog::TransactionLog;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Days,
    Weeks,
}

impl TimeUnit {
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
        }
    }
}

/// One customer's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRfm {
    pub id: String,
    /// Number of repeat purchases (days with a purchase, minus the first).
    pub frequency: u32,
    /// Time of the last purchase, measured from the first.
    pub recency: f64,
    /// Time from the first purchase to the end of the calibration period.
    #[serde(rename = "T")]
    pub t: f64,
    /// Mean value of the repeat purchases; None without repeats or amounts.
    pub monetary_value: Option<f64>,
    pub cohort: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RfmSummary {
    pub unit: TimeUnit,
    pub cohort_column: Option<String>,
    pub customers: Vec<CustomerRfm>,
}

/// The daily purchase history of one customer, used by the backtest.
#[derive(Debug, Clone)]
pub struct CustomerDays {
    pub first: NaiveDate,
    /// Purchase days (sorted, distinct) and the total spent on each.
    pub days: Vec<(NaiveDate, f64)>,
}

/// Group a log into sorted, distinct purchase days per customer.
pub fn purchase_days(log: &TransactionLog) -> Vec<CustomerDays> {
    let mut per: Vec<Vec<(NaiveDate, f64)>> = vec![Vec::new(); log.customers.len()];
    for t in &log.transactions {
        per[t.customer as usize].push((t.date, t.amount));
    }
    per.into_iter()
        .map(|mut v| {
            v.sort_by_key(|d| d.0);
            // (day, net amount, had a refund)
            let mut days: Vec<(NaiveDate, f64, bool)> = Vec::with_capacity(v.len());
            for (d, a) in v {
                match days.last_mut() {
                    Some(last) if last.0 == d => {
                        last.1 += a;
                        last.2 |= a < 0.0;
                    }
                    _ => days.push((d, a, a < 0.0)),
                }
            }
            // Refunds net against the day's purchases (RefundRule::Net; under
            // Reject there are none): a day is a purchase only if it nets positive.
            let days: Vec<(NaiveDate, f64)> =
                days.into_iter().filter(|d| !d.2 || d.1 > 0.0).map(|(d, a, _)| (d, a)).collect();
            let first = days.first().map(|d| d.0).unwrap_or_default();
            CustomerDays { first, days }
        })
        .collect()
}

/// First and last purchase dates of a log.
pub fn log_span(log: &TransactionLog) -> (NaiveDate, NaiveDate) {
    let first = log.transactions.iter().map(|t| t.date).min().unwrap_or_default();
    let last = log.transactions.iter().map(|t| t.date).max().unwrap_or_default();
    (first, last)
}

/// A calibration end must fall within the log: before its first purchase
/// there are no customers, after its last the days the log does not cover
/// would count as days without purchases (every customer would look lapsed).
pub fn check_calibration_end(log: &TransactionLog, end: NaiveDate) -> Result<()> {
    let (first, last) = log_span(log);
    if end < first || end > last {
        return Err(ClvError::InvalidArgument(format!(
            "--calibration-end {end} is outside the log, which covers {first} to {last}"
        )));
    }
    Ok(())
}

/// Build the calibration-period summary. Customers whose first purchase falls
/// after `calibration_end` are left out (they were not yet customers). The end
/// defaults to the last date in the log.
pub fn summarize(log: &TransactionLog, unit: TimeUnit, calibration_end: Option<NaiveDate>) -> RfmSummary {
    let end = calibration_end.unwrap_or_else(|| log.transactions.iter().map(|t| t.date).max().unwrap_or_default());
    let days = purchase_days(log);
    let mut customers = Vec::with_capacity(days.len());
    for (i, c) in days.iter().enumerate() {
        if c.days.is_empty() || c.first > end {
            continue;
        }
        let in_cal: Vec<&(NaiveDate, f64)> = c.days.iter().take_while(|d| d.0 <= end).collect();
        let frequency = in_cal.len().saturating_sub(1) as u32;
        let last = in_cal.last().map(|d| d.0).unwrap_or(c.first);
        let recency = (last - c.first).num_days() as f64 / unit.days();
        let t = (end - c.first).num_days() as f64 / unit.days();
        let monetary_value =
            (frequency > 0 && log.has_amounts).then(|| in_cal[1..].iter().map(|d| d.1).sum::<f64>() / frequency as f64);
        customers.push(CustomerRfm {
            id: log.customers[i].clone(),
            frequency,
            recency,
            t,
            monetary_value,
            cohort: log.cohorts.get(i).cloned().flatten(),
        });
    }
    RfmSummary { unit, cohort_column: log.cohort_column.clone(), customers }
}

/// Column names accepted in a summary CSV (the lifetimes names and the
/// Fader-Hardie x / t_x / zbar names).
const FREQUENCY: &[&str] = &["frequency", "x"];
const RECENCY: &[&str] = &["recency", "t_x"];
const AGE: &[&str] = &["T"];
const MONETARY: &[&str] = &["monetary_value", "zbar", "m_x"];
const ID: &[&str] = &["id", "customer_id", "customer"];

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| header.iter().position(|h| h == n)).or_else(|| {
        names.iter().find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n) && *n != "T" && *n != "t_x"))
    })
}

/// True when the header (first line) names frequency and recency columns.
pub fn looks_like_summary(source: &str) -> bool {
    let first = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = Delimiter::sniff(first);
    let Ok(rows) = split_rows("", first, delimiter) else {
        return false;
    };
    let Some(row) = rows.first() else {
        return false;
    };
    let header: Vec<String> = row.fields.iter().map(|f| f.text.clone()).collect();
    // frequency and recency are enough to call it a summary, so that a summary
    // missing T is told so rather than searched for a timestamp column.
    find(&header, FREQUENCY).is_some() && find(&header, RECENCY).is_some()
}

/// Where the columns of a summary are, from its header.
pub(crate) struct SummaryColumns {
    pub width: usize,
    pub frequency: usize,
    pub recency: usize,
    pub t: usize,
    pub monetary: Option<usize>,
    pub id: Option<usize>,
    pub cohort: Option<usize>,
}

impl SummaryColumns {
    pub(crate) fn find(path: &str, header: &[String], cohort_column: Option<&str>) -> Result<SummaryColumns> {
        let need = |names: &[&str]| {
            find(header, names).ok_or_else(|| ClvError::MissingColumn {
                path: path.into(),
                column: names[0].into(),
                help: Some(format!("a summary needs frequency, recency and T; the header has: {}", header.join(", "))),
            })
        };
        let frequency = need(FREQUENCY)?;
        let recency = need(RECENCY)?;
        let t = need(AGE)?;
        let monetary = find(header, MONETARY);
        let id = find(header, ID).or(if header.first().map(|h| h.is_empty()) == Some(true) { Some(0) } else { None });
        let cohort = match cohort_column {
            Some(c) => Some(header.iter().position(|h| h == c).ok_or_else(|| ClvError::MissingColumn {
                path: path.into(),
                column: c.into(),
                help: Some(format!("the header has: {}", header.join(", "))),
            })?),
            None => None,
        };
        Ok(SummaryColumns { width: header.len(), frequency, recency, t, monetary, id, cohort })
    }
}

/// What is wrong with one of a summary row's numbers: which of (frequency,
/// recency, T) it is and what to say.
pub(crate) struct NumberProblem {
    pub field: usize,
    pub message: String,
    pub label: &'static str,
}

/// A field read as a non-negative finite number, as [`read_summary`] reads
/// every number.
pub(crate) fn non_negative(text: &str, what: &str) -> std::result::Result<f64, NumberProblem> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(NumberProblem {
            field: 0,
            message: format!("cannot read {text:?} as {what}"),
            label: "expected a non-negative number",
        }),
    }
}

/// The (frequency, recency, T) of a summary row from the texts of those three
/// fields, checked: the one place both summary readers (this module's and
/// [`crate::summary_rows`]) decide what a row may hold.
pub(crate) fn summary_numbers(texts: [&str; 3]) -> std::result::Result<(u32, f64, f64), NumberProblem> {
    let at = |field: usize| move |p: NumberProblem| NumberProblem { field, ..p };
    let x = frequency_number(texts[0]).map_err(at(0))?;
    let recency = non_negative(texts[1], "recency").map_err(at(1))?;
    let t = non_negative(texts[2], "T").map_err(at(2))?;
    summary_row_check(x, recency, t)?;
    Ok((x, recency, t))
}

/// The frequency field alone: a whole number of repeat purchases (field 0 of
/// [`summary_numbers`]; [`crate::summary_rows`] reads each distinct text once).
pub(crate) fn frequency_number(text: &str) -> std::result::Result<u32, NumberProblem> {
    let fv = non_negative(text, "frequency")?;
    let problem = |message: String, label: &'static str| Err(NumberProblem { field: 0, message, label });
    if fv > f64::from(u32::MAX) {
        return problem(
            format!("frequency {text} is beyond what a customer can have made (at most {})", u32::MAX),
            "implausibly many repeat purchases",
        );
    }
    if fv.fract() != 0.0 {
        return problem(format!("frequency {text:?} is not a whole number"), "expected a count of repeat purchases");
    }
    Ok(fv as u32)
}

/// What must hold between the numbers of one summary row (recency within T,
/// no recency without repeat purchases); the problem is in field 1.
pub(crate) fn summary_row_check(x: u32, recency: f64, t: f64) -> std::result::Result<(), NumberProblem> {
    let problem = |message: String, label: &'static str| Err(NumberProblem { field: 1, message, label });
    if recency > t + 1e-9 {
        return problem(format!("recency {recency} is larger than T {t}"), "recency must not exceed T");
    }
    if x == 0 && recency != 0.0 {
        return problem(
            format!("recency {recency} with frequency 0"),
            "a customer without repeat purchases has recency 0",
        );
    }
    Ok(())
}

/// Read a summary CSV (columns frequency, recency, T and optionally
/// monetary_value, an id and the cohort column; other columns are ignored).
/// The rows are split in place ([`for_each_row`]): a million-customer summary
/// allocates only what it keeps (the ids).
pub fn read_summary(path: &str, source: &str, unit: TimeUnit, cohort_column: Option<&str>) -> Result<RfmSummary> {
    let first = source.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    // A summary line is about 25-45 bytes: reserve once rather than grow.
    let mut customers = Vec::with_capacity(source.len() / 32);
    let mut columns: Option<SummaryColumns> = None;
    let mut seen: std::collections::HashMap<Cow<'_, str>, usize> = std::collections::HashMap::new();
    for_each_row(path, source, Delimiter::sniff(first), |row| {
        let Some(cols) = &columns else {
            let header: Vec<String> = row.fields.iter().map(|f| f.text.clone().into_owned()).collect();
            columns = Some(SummaryColumns::find(path, &header, cohort_column)?);
            return Ok(());
        };
        if row.fields.len() != cols.width {
            return Err(bad_row(
                path,
                source,
                row.start,
                row.end,
                format!("expected {} fields like the header, found {}", cols.width, row.fields.len()),
                "wrong number of fields",
                None,
            ));
        }
        let field = |i: usize| &row.fields[i];
        let (frequency, recency, t) =
            summary_numbers([&field(cols.frequency).text, &field(cols.recency).text, &field(cols.t).text]).map_err(
                |p| {
                    let f = field([cols.frequency, cols.recency, cols.t][p.field]);
                    bad_row(path, source, f.start, f.end, p.message, p.label, None)
                },
            )?;
        let fv = f64::from(frequency);
        let monetary_value = match cols.monetary {
            Some(i) if fv > 0.0 => Some(non_negative(&field(i).text, "monetary value").map_err(|p| {
                let f = field(i);
                bad_row(path, source, f.start, f.end, p.message, p.label, None)
            })?),
            _ => None,
        };
        let id = match cols.id {
            Some(i) => {
                let f = &row.fields[i];
                // Keyed by the text borrowed from the file (a Cow: only an id
                // with an escaped quote is copied), so checking a million ids
                // for duplicates allocates only the map.
                if let Some(line) = seen.insert(f.text.clone(), row.line) {
                    return Err(bad_row(
                        path,
                        source,
                        f.start,
                        f.end,
                        format!("customer {:?} appears twice (first on line {line})", &*f.text),
                        "duplicate customer id",
                        Some(
                            "a summary has one row per customer; merge the rows or build the summary from the log"
                                .into(),
                        ),
                    ));
                }
                f.text.clone().into_owned()
            }
            None => (customers.len() + 1).to_string(),
        };
        customers.push(CustomerRfm {
            id,
            frequency,
            recency,
            t,
            monetary_value,
            cohort: cols.cohort.map(|i| row.fields[i].text.clone().into_owned()),
        });
        Ok(())
    })?;
    if columns.is_none() {
        return Err(ClvError::EmptyInput { path: path.into(), message: "the summary is empty".into() });
    }
    if customers.is_empty() {
        return Err(ClvError::EmptyInput { path: path.into(), message: "the summary has no rows".into() });
    }
    Ok(RfmSummary { unit, cohort_column: cohort_column.map(String::from), customers })
}

/// Round half away from zero at `decimals`, treating values within 1e-9 of a
/// half as the half they stand for: 18.135 (the mean of 18.13 and 18.14,
/// stored as 18.13499...) becomes 18.14, as in the published summaries.
pub fn round_half_up(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let scaled = value * scale;
    let nudged = scaled + scaled.signum() * 1e-9 * scaled.abs().max(1.0);
    nudged.round() / scale
}

/// Write a summary as CSV (ID,frequency,recency,T,monetary_value[,cohort]).
pub fn write_summary_csv(summary: &RfmSummary, decimals: usize) -> String {
    let mut out = String::from("ID,frequency,recency,T,monetary_value");
    if let Some(c) = &summary.cohort_column {
        out.push(',');
        out.push_str(c);
    }
    out.push('\n');
    for c in &summary.customers {
        let d = decimals as i32;
        let m = c.monetary_value.map(|m| format!("{:.decimals$}", round_half_up(m, d))).unwrap_or_else(|| "0".into());
        out.push_str(&format!(
            "{},{},{:.decimals$},{:.decimals$},{}",
            c.id,
            c.frequency,
            round_half_up(c.recency, d),
            round_half_up(c.t, d),
            m
        ));
        if summary.cohort_column.is_some() {
            out.push(',');
            out.push_str(c.cohort.as_deref().unwrap_or(""));
        }
        out.push('\n');
    }
    out
}

/// One distinct (x, t_x, T) row and how many customers share it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedRow {
    pub x: u32,
    pub t_x: f64,
    pub t: f64,
    pub weight: f64,
}

/// Distinct (x, t_x, T) rows with counts, sorted by x so per-x terms of the
/// likelihood are computed once per group. A million customers with daily
/// timestamps collapse to a small fraction of that.
pub fn compress<I: IntoIterator<Item = (u32, f64, f64)>>(rows: I) -> Vec<WeightedRow> {
    let mut keys: Vec<(u32, u64, u64)> = rows.into_iter().map(|(x, tx, t)| (x, tx.to_bits(), t.to_bits())).collect();
    keys.sort_unstable();
    let mut out: Vec<WeightedRow> = Vec::new();
    let mut prev: Option<(u32, u64, u64)> = None;
    for k in keys {
        if prev == Some(k) {
            if let Some(last) = out.last_mut() {
                last.weight += 1.0;
            }
        } else {
            out.push(WeightedRow { x: k.0, t_x: f64::from_bits(k.1), t: f64::from_bits(k.2), weight: 1.0 });
            prev = Some(k);
        }
    }
    out
}

impl RfmSummary {
    pub fn compressed(&self) -> Vec<WeightedRow> {
        compress(self.customers.iter().map(|c| (c.frequency, c.recency, c.t)))
    }

    /// Customers grouped by cohort value (customers without one under "").
    pub fn cohorts(&self) -> BTreeMap<String, Vec<usize>> {
        let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, c) in self.customers.iter().enumerate() {
            m.entry(c.cohort.clone().unwrap_or_default()).or_default().push(i);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translog::{read_log, LogOptions};

    #[test]
    fn same_day_purchases_merge() {
        let src = "customer_id,date,amount\na,2024-01-01,10\na,2024-01-01,5\na,2024-01-08,4\na,2024-01-08,2\na,2024-01-15,9\n";
        let log = read_log("t.csv", src, &LogOptions::default()).unwrap();
        let s = summarize(&log, TimeUnit::Weeks, NaiveDate::from_ymd_opt(2024, 1, 29));
        let c = &s.customers[0];
        assert_eq!(c.frequency, 2);
        assert_eq!(c.recency, 2.0);
        assert_eq!(c.t, 4.0);
        assert_eq!(c.monetary_value, Some(7.5));
    }

    #[test]
    fn compress_counts_duplicates() {
        let rows = compress(vec![(1, 2.0, 3.0), (0, 0.0, 3.0), (1, 2.0, 3.0)]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].weight, 2.0);
    }

    #[test]
    fn summary_ids_are_checked_as_unquoted() {
        // the same id written bare, quoted and with an escaped quote
        let src = "id,frequency,recency,T\nab,1,1,2\n\"a\"\"b\",0,0,2\n\"a\"\"b\",2,1,2\n";
        let err = read_summary("s.csv", src, TimeUnit::Weeks, None).unwrap_err();
        assert!(err.to_string().starts_with("s.csv:4:1: customer \"a\\\"b\" appears twice (first on line 3)"), "{err}");
        let err = read_summary("s.csv", "id,frequency,recency,T\n\"ab\",1,1,2\nab,0,0,2\n", TimeUnit::Weeks, None)
            .unwrap_err();
        assert!(err.to_string().starts_with("s.csv:3:1: customer \"ab\" appears twice (first on line 2)"), "{err}");
    }

    #[test]
    fn summary_rows_keep_their_ids_and_numbers() {
        let src =
            "\u{feff}customer_id,frequency,recency,T,monetary_value,segment\n\n\"x,1\",2,3.5,10,7.25,a\ny,0,0,4,0,\n";
        let s = read_summary("s.csv", src, TimeUnit::Weeks, Some("segment")).unwrap();
        assert_eq!(s.customers.len(), 2);
        assert_eq!(s.customers[0].id, "x,1");
        assert_eq!((s.customers[0].frequency, s.customers[0].recency, s.customers[0].t), (2, 3.5, 10.0));
        assert_eq!(s.customers[0].monetary_value, Some(7.25));
        assert_eq!(s.customers[0].cohort.as_deref(), Some("a"));
        assert_eq!(s.customers[1].monetary_value, None);
        assert_eq!(s.customers[1].cohort.as_deref(), Some(""));
        // without an id column customers are numbered by row
        let s = read_summary("s.csv", "frequency,recency,T\n1,1,2\n0,0,2\n", TimeUnit::Weeks, None).unwrap();
        assert_eq!(s.customers.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["1", "2"]);
        let err = read_summary("s.csv", "frequency,recency,T\n1,1\n", TimeUnit::Weeks, None).unwrap_err();
        assert!(err.to_string().starts_with("s.csv:2:1: expected 3 fields like the header, found 2"), "{err}");
        let err = read_summary("s.csv", "\n\n", TimeUnit::Weeks, None).unwrap_err();
        assert!(err.to_string().contains("the summary is empty"), "{err}");
        let err = read_summary("s.csv", "frequency,recency,T\n", TimeUnit::Weeks, None).unwrap_err();
        assert!(err.to_string().contains("the summary has no rows"), "{err}");
    }

    #[test]
    fn summary_rejects_recency_above_t() {
        let err = read_summary("s.csv", "frequency,recency,T\n1,5,4\n", TimeUnit::Weeks, None).unwrap_err();
        assert!(err.to_string().starts_with("s.csv:2:3: recency 5 is larger than T 4"), "{err}");
    }
}
