//! The behaviour model: how the generated customers behave. Every key has a default
//! and a YAML file (`journey events generate --behaviour model.yaml`) can change any of
//! them; docs/events.md lists the keys.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Shares of customers in each lifecycle (normalised; need not add up to 1).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Lifecycle {
    /// Never buys.
    pub browser: f64,
    /// Buys once, soon after signing up.
    pub one_time: f64,
    pub occasional: f64,
    pub regular: f64,
    pub heavy: f64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle { browser: 0.3, one_time: 0.25, occasional: 0.25, regular: 0.15, heavy: 0.05 }
    }
}

/// Purchases per 30 days of the buying lifecycles.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseRates {
    pub occasional: f64,
    pub regular: f64,
    pub heavy: f64,
}

impl Default for PurchaseRates {
    fn default() -> Self {
        PurchaseRates { occasional: 1.0, regular: 4.0, heavy: 10.0 }
    }
}

/// Multipliers of every rate by weekday (Monday first) and by month (January first).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Seasonality {
    pub weekdays: [f64; 7],
    pub months: [f64; 12],
}

impl Default for Seasonality {
    fn default() -> Self {
        Seasonality { weekdays: [1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6], months: [1.0; 12] }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    pub lifecycle: Lifecycle,
    pub purchases_per_30d: PurchaseRates,
    /// Share of customers who go quiet (no more events) on a random day after signing up.
    pub churn: f64,
    /// Times a day an active customer does each other event (sessions, logins…).
    pub activity_per_day: f64,
    /// Per-event rate a day, instead of `activity_per_day`.
    pub events: BTreeMap<String, f64>,
    /// Chance that a send is answered by an engagement event (an open, a click given
    /// an open, an unsubscribe), by event name.
    pub engagement: BTreeMap<String, f64>,
    pub seasonality: Seasonality,
    /// Typical amount of a purchase, in the project currency.
    pub order_value: f64,
    /// Share of customers with each consent attribute (of a channel) true.
    pub consent: f64,
    /// Share of customers with each other bool attribute true.
    pub bool_true: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            lifecycle: Lifecycle::default(),
            purchases_per_30d: PurchaseRates::default(),
            churn: 0.35,
            activity_per_day: 0.08,
            events: BTreeMap::new(),
            engagement: BTreeMap::new(),
            seasonality: Seasonality::default(),
            order_value: 40.0,
            consent: 0.8,
            bool_true: 0.5,
        }
    }
}

/// A behaviour file that cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{path}:{line}: {message}")]
#[diagnostic(code(journey::events::behaviour), help("{help}"))]
pub struct BehaviourError {
    pub path: String,
    pub line: usize,
    pub message: String,
    pub help: String,
}

impl Behaviour {
    /// Parse a behaviour file. `events` are the project's event names: keys of
    /// `events:` and `engagement:` must be among them.
    pub fn from_yaml(path: &str, text: &str, events: &[&str]) -> Result<Behaviour, BehaviourError> {
        let err = |line: usize, message: String, help: &str| BehaviourError {
            path: path.to_string(),
            line,
            message,
            help: help.to_string(),
        };
        let keys_help = "see docs/events.md, \"Behaviour model\", for the keys a behaviour file accepts";
        if text.trim().is_empty() {
            return Ok(Behaviour::default());
        }
        let b: Behaviour = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1);
            let message = e.to_string();
            // serde_yaml appends " at line N column M": the line is already in front
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            err(line, message, keys_help)
        })?;
        let line_of = |needle: &str| {
            text.lines().position(|l| l.trim_start().starts_with(&format!("{needle}:"))).map(|i| i + 1).unwrap_or(1)
        };
        for (section, map) in [("events", &b.events), ("engagement", &b.engagement)] {
            for (name, v) in map {
                if !events.contains(&name.as_str()) {
                    return Err(err(
                        line_of(name),
                        format!("{section}: `{name}` is not an event of the project"),
                        &format!("the project's events are: {}", events.join(", ")),
                    ));
                }
                let bad =
                    if section == "engagement" { !(0.0..=1.0).contains(v) } else { !(*v >= 0.0 && v.is_finite()) };
                if bad {
                    let want = if section == "engagement" { "a chance from 0 to 1" } else { "a rate of 0 or more" };
                    return Err(err(line_of(name), format!("{section}.{name}: expected {want}, found {v}"), keys_help));
                }
            }
        }
        let l = &b.lifecycle;
        let shares = [l.browser, l.one_time, l.occasional, l.regular, l.heavy];
        if shares.iter().any(|s| !(*s >= 0.0 && s.is_finite())) || shares.iter().sum::<f64>() <= 0.0 {
            return Err(err(
                line_of("lifecycle"),
                "lifecycle: expected shares of 0 or more, not all 0".into(),
                keys_help,
            ));
        }
        for (key, v) in [("churn", b.churn), ("consent", b.consent), ("bool_true", b.bool_true)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(err(line_of(key), format!("{key}: expected a share from 0 to 1, found {v}"), keys_help));
            }
        }
        let p = &b.purchases_per_30d;
        let rates = [("activity_per_day", b.activity_per_day), ("order_value", b.order_value)]
            .into_iter()
            .chain([("occasional", p.occasional), ("regular", p.regular), ("heavy", p.heavy)])
            .chain(b.seasonality.weekdays.iter().chain(&b.seasonality.months).map(|v| ("seasonality", *v)));
        for (key, v) in rates {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(err(line_of(key), format!("{key}: expected a number of 0 or more, found {v}"), keys_help));
            }
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_events_are_errors_with_their_line() {
        let e = Behaviour::from_yaml("m.yaml", "churn: 0.2\nlifecycle:\n  browser: 1\n  whales: 2\n", &["login"])
            .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("unknown field `whales`"), "{e}");
        let e = Behaviour::from_yaml("m.yaml", "events:\n  logins: 0.5\n", &["login"]).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "events: `logins` is not an event of the project"));
        let e = Behaviour::from_yaml("m.yaml", "churn: 2\n", &[]).unwrap_err();
        assert_eq!(e.line, 1);
        let b = Behaviour::from_yaml(
            "m.yaml",
            "events:\n  login: 0.5\nseasonality:\n  months: [1,1,1,1,1,1,1,1,1,1,2,3]\n",
            &["login"],
        )
        .unwrap();
        assert_eq!(b.events["login"], 0.5);
        assert_eq!(b.seasonality.months[11], 3.0);
        assert_eq!(b.churn, Behaviour::default().churn);
    }
}
