//! issue 15: journey.yaml's `program:` section, the rules that hold across every
//! journey of the program:
//!
//! ```yaml
//! program:
//!   global_holdout: { percent: 5, salt: "clinicly-2026" }
//!   suppression: { file: suppressed.txt, attribute: do_not_contact }
//!   caps:
//!     promotional: 3 per 7d
//! ```
//!
//! Only the shape is read here (a wrong key or type is J501 like the rest of the
//! file); what the values mean against the program (a category no channel has, an
//! attribute that is not a bool, the suppression file's lines) is checked where the
//! program is known (journey_run, J503/J504).

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    #[serde(default)]
    pub global_holdout: Option<GlobalHoldoutConfig>,
    #[serde(default)]
    pub suppression: Option<SuppressionConfig>,
    /// By message category: `N per DURATION` (`3 per 7d`, `3 per week`).
    #[serde(default)]
    pub caps: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GlobalHoldoutConfig {
    pub percent: f64,
    /// What the customer id is hashed with; changing it draws a new holdout.
    #[serde(default)]
    pub salt: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SuppressionConfig {
    /// A file of customer ids, one a line, relative to journey.yaml.
    #[serde(default)]
    pub file: Option<String>,
    /// A bool attribute: true suppresses the customer.
    #[serde(default)]
    pub attribute: Option<String>,
}
