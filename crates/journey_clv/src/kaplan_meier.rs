//! Kaplan-Meier survival estimate: the model-free check on the sBG curve.

use serde::Serialize;

/// One step of the estimate, at a time where at least one event happened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KmStep {
    pub time: f64,
    pub at_risk: f64,
    pub events: f64,
    pub survival: f64,
    /// Greenwood standard error of the survival estimate.
    pub std_error: f64,
}

/// Estimate S(t) from (duration, event happened, weight) rows; rows without an
/// event are censored at their duration (they count as at risk up to and
/// including that time, the usual convention).
pub fn kaplan_meier(rows: &[(f64, bool, f64)]) -> Vec<KmStep> {
    let mut sorted: Vec<(f64, bool, f64)> = rows.iter().copied().filter(|r| r.0.is_finite() && r.2 > 0.0).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk: f64 = sorted.iter().map(|r| r.2).sum();
    let mut survival = 1.0;
    let mut greenwood = 0.0;
    let mut steps = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].0;
        let (mut events, mut leaving) = (0.0, 0.0);
        while i < sorted.len() && sorted[i].0 == t {
            if sorted[i].1 {
                events += sorted[i].2;
            }
            leaving += sorted[i].2;
            i += 1;
        }
        if events > 0.0 && at_risk > 0.0 {
            survival *= 1.0 - events / at_risk;
            if at_risk > events {
                greenwood += events / (at_risk * (at_risk - events));
            }
            steps.push(KmStep { time: t, at_risk, events, survival, std_error: survival * greenwood.sqrt() });
        }
        at_risk -= leaving;
    }
    steps
}

/// Kaplan-Meier from the number alive at the start of each period (index 0 is
/// the cohort size); equals the observed survival share when nobody is censored
/// before the last period.
pub fn from_survivors(survivors: &[f64]) -> Vec<KmStep> {
    let mut rows = Vec::new();
    for (t, w) in survivors.windows(2).enumerate() {
        rows.push(((t + 1) as f64, true, w[0] - w[1]));
    }
    if let Some(last) = survivors.last() {
        rows.push(((survivors.len() - 1) as f64, false, *last));
    }
    kaplan_meier(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_example() {
        // times 1,2+,3,3,4+ : S(1)=0.8, S(3)=0.8*(1-2/3)
        let rows = [(1.0, true, 1.0), (2.0, false, 1.0), (3.0, true, 1.0), (3.0, true, 1.0), (4.0, false, 1.0)];
        let km = kaplan_meier(&rows);
        assert_eq!(km.len(), 2);
        assert!((km[0].survival - 0.8).abs() < 1e-12);
        assert!((km[1].survival - 0.8 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn survivors_reproduce_observed_shares() {
        let s = [1000.0, 631.0, 468.0];
        let km = from_survivors(&s);
        assert!((km[1].survival - 0.468).abs() < 1e-12);
    }
}
