//! Backtest: split a transaction log at a calibration date, fit on the
//! calibration period, predict each customer's repeat purchases in the holdout
//! period, and compare with what they actually did.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::clv::PurchaseModel;
use crate::error::{ClvError, Result};
use crate::fit::FitReport;
use crate::rfm::{purchase_days, summarize, TimeUnit};
use crate::translog::TransactionLog;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountModel {
    BgNbd,
    ParetoNbd,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerForecast {
    pub id: String,
    pub frequency: u32,
    pub predicted: f64,
    pub actual: u32,
}

/// One row of the calibration table: customers grouped by how many repeat
/// purchases they made in the calibration period (the last row is "n or more").
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationRow {
    pub frequency: String,
    pub customers: usize,
    pub mean_predicted: f64,
    pub mean_actual: f64,
}

/// Repeat purchases in one calendar week across the cohort.
#[derive(Debug, Clone, Serialize)]
pub struct WeekRow {
    pub week: usize,
    pub start: NaiveDate,
    pub expected: f64,
    pub actual: f64,
    pub holdout: bool,
    /// The holdout forecast from each customer's calibration history (the
    /// per-customer conditional expectations the headline total sums) for the
    /// holdout days of this week; None before the holdout. Summed over the
    /// weeks it is exactly `total_predicted`.
    pub forecast: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    pub fit: FitReport,
    pub calibration_end: NaiveDate,
    pub holdout_end: NaiveDate,
    /// Holdout length in the time unit.
    pub holdout_length: f64,
    pub unit: TimeUnit,
    pub customers: usize,
    pub total_predicted: f64,
    pub total_actual: u64,
    /// Repeat purchases up to the calibration end (where the cumulative
    /// forecast starts).
    pub calibration_actual: u64,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Root mean squared error per customer.
    pub rmse: f64,
    pub calibration_table: Vec<CalibrationRow>,
    pub weekly: Vec<WeekRow>,
    #[serde(skip)]
    pub per_customer: Vec<CustomerForecast>,
}

/// Calibration-table rows 0..top-1 and "top+" (Fader, Hardie & Lee use 7+).
const TABLE_TOP: u32 = 7;

pub fn backtest(
    log: &TransactionLog,
    model: CountModel,
    unit: TimeUnit,
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
) -> Result<BacktestReport> {
    let (first, last) = crate::rfm::log_span(log);
    crate::rfm::check_calibration_end(log, calibration_end)?;
    if calibration_end >= last {
        return Err(ClvError::InvalidArgument(format!(
            "--calibration-end {calibration_end} leaves no holdout: the log's last purchase is on {last}"
        )));
    }
    let holdout_end = holdout_end.unwrap_or(last);
    if holdout_end <= calibration_end {
        return Err(ClvError::InvalidArgument(format!(
            "the holdout must end after the calibration period: {holdout_end} is not after {calibration_end}"
        )));
    }
    if holdout_end > last {
        return Err(ClvError::InvalidArgument(format!(
            "--holdout-end {holdout_end} is past the log's last purchase on {last} (the log covers {first} to {last}): days the log does not cover would count as days without purchases"
        )));
    }
    let summary = summarize(log, unit, Some(calibration_end));
    if summary.customers.is_empty() {
        return Err(ClvError::InvalidArgument(format!("no customer made a first purchase by {calibration_end}")));
    }
    let rows = summary.compressed();
    let fit = match model {
        CountModel::BgNbd => crate::bgnbd::fit(&rows)?,
        CountModel::ParetoNbd => crate::paretonbd::fit(&rows)?,
    };
    let m = PurchaseModel::from_report(&fit)?;
    let holdout_length = (holdout_end - calibration_end).num_days() as f64 / unit.days();

    // Per customer: predicted vs actual purchase days in the holdout.
    let days = purchase_days(log);
    let mut index = std::collections::HashMap::with_capacity(log.customers.len());
    for (i, id) in log.customers.iter().enumerate() {
        index.insert(id.as_str(), i);
    }
    let mut per_customer = Vec::with_capacity(summary.customers.len());
    let mut births = Vec::with_capacity(summary.customers.len());
    for c in &summary.customers {
        let Some(&i) = index.get(c.id.as_str()) else {
            continue;
        };
        let d = &days[i];
        let actual = d.days.iter().filter(|(day, _)| *day > calibration_end && *day <= holdout_end).count() as u32;
        let predicted = m.conditional_expected_purchases(holdout_length, c.frequency, c.recency, c.t);
        per_customer.push(CustomerForecast { id: c.id.clone(), frequency: c.frequency, predicted, actual });
        births.push(i);
    }
    let n = per_customer.len() as f64;
    let total_predicted: f64 = per_customer.iter().map(|c| c.predicted).sum();
    let total_actual: u64 = per_customer.iter().map(|c| c.actual as u64).sum();
    let mae = per_customer.iter().map(|c| (c.predicted - c.actual as f64).abs()).sum::<f64>() / n;
    let rmse = (per_customer.iter().map(|c| (c.predicted - c.actual as f64).powi(2)).sum::<f64>() / n).sqrt();

    let mut table = Vec::new();
    for k in 0..=TABLE_TOP {
        let group: Vec<&CustomerForecast> =
            per_customer.iter().filter(|c| if k == TABLE_TOP { c.frequency >= k } else { c.frequency == k }).collect();
        if group.is_empty() {
            continue;
        }
        let g = group.len() as f64;
        table.push(CalibrationRow {
            frequency: if k == TABLE_TOP { format!("{k}+") } else { k.to_string() },
            customers: group.len(),
            mean_predicted: group.iter().map(|c| c.predicted).sum::<f64>() / g,
            mean_actual: group.iter().map(|c| c.actual as f64).sum::<f64>() / g,
        });
    }

    // Weekly tracking: expected repeat purchases of the whole cohort per
    // calendar week (sum over customers of E[X(t)] increments since their first
    // purchase, grouped by first-purchase day) against the actual count.
    let first_day = births.iter().map(|&i| days[i].first).min().unwrap_or(calibration_end);
    let mut by_birth: std::collections::BTreeMap<NaiveDate, f64> = std::collections::BTreeMap::new();
    for &i in &births {
        *by_birth.entry(days[i].first).or_default() += 1.0;
    }
    let weeks = ((holdout_end - first_day).num_days() / 7 + 1) as usize;
    let mut weekly = Vec::with_capacity(weeks);
    let mut actual = vec![0.0; weeks];
    for &i in &births {
        for (day, _) in days[i].days.iter().skip(1) {
            if *day <= holdout_end {
                let w = ((*day - first_day).num_days() / 7) as usize;
                if w < weeks {
                    actual[w] += 1.0;
                }
            }
        }
    }
    let cumulative = |end: NaiveDate| -> f64 {
        by_birth
            .iter()
            .filter(|(b, _)| **b < end)
            .map(|(b, count)| count * m.expected_purchases((end - *b).num_days() as f64 / unit.days()))
            .sum()
    };
    // The holdout forecast per week: each customer's conditional expectation
    // at each week's end, so the weeks add up to the headline total. Customers
    // sharing (x, t_x, T) share the computation.
    let holdout_days = (holdout_end - calibration_end).num_days();
    let week_ends: Vec<i64> = (0..weeks)
        .map(|w| {
            let end = (first_day + Duration::days(7 * w as i64 + 7)).min(holdout_end + Duration::days(1));
            ((end - calibration_end).num_days() - 1).clamp(0, holdout_days)
        })
        .collect();
    let mut shared: std::collections::HashMap<(u32, u64, u64), Vec<f64>> = std::collections::HashMap::new();
    let mut forecast_cum = vec![0.0; weeks];
    for c in &summary.customers {
        if !index.contains_key(c.id.as_str()) {
            continue;
        }
        let curve = shared.entry((c.frequency, c.recency.to_bits(), c.t.to_bits())).or_insert_with(|| {
            week_ends
                .iter()
                .map(|&d| {
                    let t = if d == holdout_days { holdout_length } else { d as f64 / unit.days() };
                    m.conditional_expected_purchases(t, c.frequency, c.recency, c.t)
                })
                .collect()
        });
        for (acc, v) in forecast_cum.iter_mut().zip(curve.iter()) {
            *acc += v;
        }
    }
    let calibration_actual: u64 = births
        .iter()
        .map(|&i| days[i].days.iter().skip(1).filter(|(day, _)| *day <= calibration_end).count() as u64)
        .sum();
    let mut previous = 0.0;
    let mut previous_forecast = 0.0;
    for (w, a) in actual.iter().enumerate() {
        let start = first_day + Duration::days(7 * w as i64);
        // A week covers days start..start+6; the last week stops at the holdout end.
        let end = (start + Duration::days(7)).min(holdout_end + Duration::days(1));
        let cum = cumulative(end);
        weekly.push(WeekRow {
            week: w + 1,
            start,
            expected: cum - previous,
            actual: *a,
            holdout: start > calibration_end,
            forecast: (end > calibration_end + Duration::days(1)).then(|| forecast_cum[w] - previous_forecast),
        });
        previous = cum;
        previous_forecast = forecast_cum[w];
    }

    Ok(BacktestReport {
        fit,
        calibration_end,
        holdout_end,
        holdout_length,
        unit,
        customers: per_customer.len(),
        total_predicted,
        total_actual,
        calibration_actual,
        mae,
        rmse,
        calibration_table: table,
        weekly,
        per_customer,
    })
}
