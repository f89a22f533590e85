//! What the CLV estimate of a replay needs, without customer identities, in a form
//! that merges exactly: each customer's purchase history reduced to (first purchase
//! day, last purchase day, repeat purchases x, mean repeat spend), identical histories
//! counted once with a weight, and per journey the same rows for the customers it
//! reached. Histories are kept as days, not as (t_x, T): T runs to the log's last
//! purchase, which only the whole log knows, so it is computed when the rows are
//! fitted.
//!
//! A replay split by customer (`journey simulate --partial`) writes its rows; `journey
//! merge` adds them (weights add) and fits once. The fits and the estimate read only
//! the multiset of histories (both fits compress and sort their rows, and the
//! estimate sums values in ascending order), so the merged estimate equals the whole
//! run's to the last bit; the whole run goes through these rows too.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::impact::{self, Assumption, Baseline, Impact, Reach};
use crate::rfm::{purchase_days, CustomerRfm, RfmSummary, TimeUnit};
use crate::translog::TransactionLog;

/// One customer's purchase history. `first: None`: no purchase (valued as a new
/// customer).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct History {
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// Repeat purchase days.
    pub x: u32,
    /// The mean spend of the repeat purchase days, written as the shortest text that
    /// reads back to the same number (JSON numbers are not read back exactly by every
    /// parser); `None` without repeats.
    pub spend: Option<String>,
}

impl History {
    fn spend_value(&self) -> Option<f64> {
        self.spend.as_deref().and_then(|s| s.parse().ok())
    }
}

/// A history and how many customers share it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    #[serde(flatten)]
    pub history: History,
    pub customers: u64,
}

/// The mergeable input of the CLV estimate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClvInput {
    /// Purchase records of the log (before same-day purchases merge).
    pub purchases: u64,
    /// Every customer with a purchase.
    pub buyers: Vec<Row>,
    /// Per journey with assumptions: the distinct customers it treated.
    pub reached: BTreeMap<String, Vec<Row>>,
}

fn add_rows(into: &mut Vec<Row>, from: &[Row]) {
    let mut m: BTreeMap<History, u64> = into.drain(..).map(|r| (r.history, r.customers)).collect();
    for r in from {
        *m.entry(r.history.clone()).or_default() += r.customers;
    }
    into.extend(m.into_iter().map(|(history, customers)| Row { history, customers }));
}

fn rows(histories: impl Iterator<Item = History>) -> Vec<Row> {
    let mut m: BTreeMap<History, u64> = BTreeMap::new();
    for h in histories {
        *m.entry(h).or_default() += 1;
    }
    m.into_iter().map(|(history, customers)| Row { history, customers }).collect()
}

/// A log's purchase histories (each customer's purchase days) and the rows of its
/// buyers: what the estimate reads of the purchases alone, so that it can be made,
/// and the baseline fitted ([`ClvInput::fit`]), before the journeys' reach is known
/// (`journey simulate` does it on the reader's thread while the engine replays).
#[derive(Debug, Clone)]
pub struct Histories {
    days: Vec<crate::rfm::CustomerDays>,
    has_amounts: bool,
    purchases: u64,
    buyers: Vec<Row>,
}

impl Histories {
    pub fn of(log: &TransactionLog) -> Histories {
        let days = purchase_days(log);
        let mut h = Histories {
            days,
            has_amounts: log.has_amounts,
            purchases: log.transactions.len() as u64,
            buyers: Vec::new(),
        };
        h.buyers = rows((0..h.days.len()).filter(|&i| !h.days[i].days.is_empty()).map(|i| h.history(i)));
        h
    }

    /// Customer `i`'s history, as `rfm::summarize` computes it, with every purchase
    /// inside the period.
    fn history(&self, i: usize) -> History {
        let Some(c) = self.days.get(i).filter(|c| !c.days.is_empty()) else {
            return History { first: None, last: None, x: 0, spend: None };
        };
        let x = c.days.len() as u32 - 1;
        let spend = (x > 0 && self.has_amounts)
            .then(|| c.days[1..].iter().map(|d| d.1).sum::<f64>() / x as f64)
            .map(|m| m.to_string());
        History { first: Some(c.first), last: c.days.last().map(|d| d.0), x, spend }
    }

    /// The input with the buyers' rows only (what [`ClvInput::fit`] reads).
    pub fn buyers(&self) -> ClvInput {
        ClvInput { purchases: self.purchases, buyers: self.buyers.clone(), reached: BTreeMap::new() }
    }

    /// The input; `reached`: per journey, the distinct customers (indexes of the
    /// log's customers) it treated.
    pub fn input(&self, reached: &[(String, Vec<usize>)]) -> ClvInput {
        let reached = reached.iter().map(|(j, ids)| (j.clone(), rows(ids.iter().map(|&i| self.history(i))))).collect();
        ClvInput { reached, ..self.buyers() }
    }
}

impl ClvInput {
    /// The rows of a log's customers; `reached`: per journey, the distinct customers
    /// (indexes of `log.customers`) it treated.
    pub fn from_log(log: &TransactionLog, reached: &[(String, Vec<usize>)]) -> ClvInput {
        Histories::of(log).input(reached)
    }

    /// Add the input of other customers.
    pub fn merge(&mut self, other: &ClvInput) {
        self.purchases += other.purchases;
        add_rows(&mut self.buyers, &other.buyers);
        for (j, r) in &other.reached {
            add_rows(self.reached.entry(j.clone()).or_default(), r);
        }
    }

    /// The RFM summary of the buyers (one entry per customer), T up to the last
    /// purchase of all.
    fn summary(&self) -> (RfmSummary, Vec<usize>) {
        let unit = TimeUnit::Weeks;
        let end = self.buyers.iter().filter_map(|r| r.history.last).max().unwrap_or_default();
        let mut customers = Vec::new();
        let mut of_row = Vec::new();
        for (k, r) in self.buyers.iter().enumerate() {
            let h = &r.history;
            let (Some(first), Some(last)) = (h.first, h.last) else { continue };
            for _ in 0..r.customers {
                customers.push(CustomerRfm {
                    id: k.to_string(),
                    frequency: h.x,
                    recency: (last - first).num_days() as f64 / unit.days(),
                    t: (end - first).num_days() as f64 / unit.days(),
                    monetary_value: h.spend_value(),
                    cohort: None,
                });
                of_row.push(k);
            }
        }
        (RfmSummary { unit, cohort_column: None, customers }, of_row)
    }

    /// Fit the baseline on the buyers and estimate every journey's assumptions on
    /// the customers it reached (see [`impact::estimate`]).
    /// `journeys`: (name, treated entries, assumptions) of each journey with any.
    pub fn estimate(
        &self,
        journeys: &[(String, u64, Vec<Assumption>)],
        margin: f64,
        horizon_weeks: f64,
        draws: usize,
        seed: u64,
    ) -> Result<Impact> {
        let base = self.fit(margin, horizon_weeks)?;
        Ok(self.estimate_on(base, journeys, draws, seed))
    }

    /// The baseline fitted on the buyers: it reads only `buyers` and `purchases`, so
    /// it may be fitted on an input without `reached` (see [`Histories::buyers`])
    /// and given to [`ClvInput::estimate_on`] of the whole input.
    pub fn fit(&self, margin: f64, horizon_weeks: f64) -> Result<Baseline> {
        let (summary, of_row) = self.summary();
        // one value per distinct history (`baseline` values each customer; those of a
        // row are the same customer many times), the new customer's at the end
        let base = impact::baseline_from_summary(&summary, self.purchases as usize, margin, horizon_weeks)?;
        let mut value = vec![base.new_customer_value; self.buyers.len() + 1];
        let mut p_alive = vec![1.0; self.buyers.len() + 1];
        for (i, &k) in of_row.iter().enumerate() {
            value[k] = base.value[i];
            p_alive[k] = base.p_alive[i];
        }
        Ok(Baseline { value, p_alive, ..base })
    }

    /// [`ClvInput::estimate`] with the baseline [`ClvInput::fit`] made of the same
    /// buyers.
    pub fn estimate_on(
        &self,
        base: Baseline,
        journeys: &[(String, u64, Vec<Assumption>)],
        draws: usize,
        seed: u64,
    ) -> Impact {
        let index: BTreeMap<&History, usize> = self.buyers.iter().enumerate().map(|(k, r)| (&r.history, k)).collect();
        let new_customer = self.buyers.len();
        let reach: Vec<Reach> = journeys
            .iter()
            .map(|(name, treated_entries, assumptions)| {
                let rows = self.reached.get(name).map_or(&[][..], Vec::as_slice);
                let customers = rows
                    .iter()
                    .flat_map(|r| {
                        let k = index.get(&r.history).copied().unwrap_or(new_customer);
                        std::iter::repeat_n(k, r.customers as usize)
                    })
                    .collect();
                Reach {
                    journey: name.clone(),
                    treated_entries: *treated_entries,
                    customers,
                    assumptions: assumptions.clone(),
                }
            })
            .collect();
        impact::estimate(base, &reach, draws, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::Unit;
    use crate::translog::Transaction;

    fn log(customers: std::ops::Range<u32>) -> TransactionLog {
        let mut l = TransactionLog { has_amounts: true, ..TransactionLog::default() };
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        for (i, c) in customers.enumerate() {
            l.customers.push(format!("c{c}"));
            l.cohorts.push(None);
            if c % 10 == 9 {
                continue; // never bought
            }
            let every = 1 + (c % 9) as i64 * 3;
            for k in 0..(1 + c % 7) as i64 {
                let date = start + chrono::Duration::weeks(k * every + (c % 5) as i64);
                let amount = 10.0 + (c % 13) as f64 * 3.1;
                l.transactions.push(Transaction { customer: i as u32, date, amount });
            }
        }
        l
    }

    fn reached(n: usize) -> Vec<(String, Vec<usize>)> {
        vec![("j".to_string(), (0..n).filter(|i| i % 3 != 1).collect())]
    }

    /// Split by customer, written as JSON, read back and merged: the same estimate as
    /// the whole log, to the last bit.
    #[test]
    fn merged_parts_estimate_exactly_as_the_whole() {
        let a =
            vec![Assumption { target: "g".into(), unit: Unit::Points, effect: 2.0, low: 0.0, high: 4.0, goal: true }];
        let b = vec![Assumption {
            target: "retention".into(),
            unit: Unit::Points,
            effect: 1.0,
            low: 0.0,
            high: 2.0,
            goal: false,
        }];
        let journeys = vec![("j".to_string(), 500, a), ("k".to_string(), 0, b)];
        let whole = ClvInput::from_log(&log(0..400), &reached(400));
        let e = whole.estimate(&journeys, 0.3, 52.0, 300, 5).unwrap();
        let mut merged = ClvInput::default();
        for part in [0..150, 150..160, 160..400] {
            let start = part.start as usize;
            let l = log(part.clone());
            let r: Vec<(String, Vec<usize>)> = reached(400)
                .into_iter()
                .map(|(j, ids)| {
                    (j, ids.into_iter().filter(|i| part.contains(&(*i as u32))).map(|i| i - start).collect())
                })
                .collect();
            let text = serde_json::to_string(&ClvInput::from_log(&l, &r)).unwrap();
            merged.merge(&serde_json::from_str(&text).unwrap());
        }
        assert_eq!(merged, whole);
        let m = merged.estimate(&journeys, 0.3, 52.0, 300, 5).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), serde_json::to_string(&e).unwrap());
        // and the same as the per-customer path of `impact::baseline`
        let l = log(0..400);
        let base = impact::baseline(&l, 400, 0.3, 52.0).unwrap();
        let reach = vec![Reach {
            journey: "j".into(),
            treated_entries: 500,
            customers: reached(400)[0].1.clone(),
            assumptions: journeys[0].2.clone(),
        }];
        let direct = impact::estimate(base, &reach, 300, 5);
        assert_eq!(direct.journeys[0].baseline.to_bits(), e.journeys[0].baseline.to_bits());
        assert_eq!(direct.journeys[0].delta, e.journeys[0].delta);
    }
}
