//! The registry of diagnostic codes. Codes are stable: once published, a code keeps its
//! meaning forever (retired codes stay here, marked as such), because users pin them in
//! `journey.yaml` overrides and CI configurations.
//!
//! Numbering: J0xx syntax and input, J1xx names, J2xx types, J3xx graph shape,
//! J4xx guardrails proved along paths, J5xx project configuration, J6xx cross-journey
//! calendar analysis.

use crate::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    /// kebab-case name, usable instead of the code in `journey.yaml`.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line, shown by `journey explain --list` and in SARIF rule metadata.
    pub summary: &'static str,
}

const fn rule(code: &'static str, name: &'static str, default_severity: Severity, summary: &'static str) -> Rule {
    Rule { code, name, default_severity, summary }
}

use Severity::{Error, Warning};

pub const RULES: &[Rule] = &[
    // syntax and input
    rule("J001", "syntax-error", Error, "the file does not follow the journey grammar"),
    rule("J002", "invalid-literal", Error, "a duration, time, date, percentage or number is out of range"),
    rule("J003", "invalid-yaml-journey", Error, "a .journey.yaml file does not have the expected shape"),
    // names
    rule("J101", "undefined-name", Error, "a name is used but never defined"),
    rule("J102", "duplicate-definition", Error, "the same name is defined twice"),
    rule("J103", "unknown-property", Error, "an event has no property of that name"),
    rule("J104", "wrong-kind-of-name", Error, "a name refers to the wrong kind of thing"),
    // issue 15: accounts
    rule(
        "J120",
        "account-not-mapped",
        Error,
        "a condition reads the customer's account, but journey.yaml maps no accounts",
    ),
    // types
    rule("J201", "type-mismatch", Error, "two values of incompatible types are compared or combined"),
    rule("J202", "invalid-enum-value", Error, "a value is not one of the declared choices"),
    rule("J203", "unit-mismatch", Error, "a duration, percentage or money amount is compared with a bare number"),
    rule("J204", "condition-not-boolean", Error, "a condition does not evaluate to true or false"),
    rule("J205", "invalid-aggregate", Error, "an aggregate is applied to something it cannot aggregate"),
    // issue 15: arithmetic and scores
    rule("J206", "money-plus-number", Error, "an amount of money and a plain number are added or subtracted"),
    rule("J207", "score-not-numeric", Error, "a score's value is not a number or an amount"),
    // issue 15: goals on amounts
    rule("J218", "amount-goal-not-numeric", Error, "an amount goal adds up a property that is not money or a number"),
    rule("J219", "goal-window-zero", Error, "a goal's window is zero"),
    // graph shape
    rule("J301", "unreachable-stage", Warning, "no path from the entry reaches this stage"),
    rule("J302", "no-path-to-end", Error, "a stage can never reach the end of the journey"),
    rule(
        "J303",
        "loop-without-wait",
        Error,
        "a loop in the journey graph has no wait, so a customer would cycle forever",
    ),
    rule("J304", "split-weights", Error, "the weights of a random split do not add up to 100%"),
    rule(
        "J305",
        "overlapping-branch-arms",
        Warning,
        "a customer can match two arms of a branch; only the first is taken",
    ),
    rule("J306", "dead-branch-arm", Warning, "an arm of a branch can never be taken"),
    rule("J307", "unreachable-goal", Warning, "no path through the journey can reach this goal"),
    rule("J308", "unreachable-step", Warning, "a step follows a step that never continues"),
    rule("J309", "wait-never-ends", Error, "a wait can never finish the way it was written to"),
    rule(
        "J310",
        "incomplete-declaration",
        Error,
        "a declaration lacks a setting it needs (a journey's entry or stages, a channel's kind)",
    ),
    rule("J311", "cyclic-definition", Error, "audiences or scores are defined in terms of each other in a circle"),
    rule(
        "J312",
        "recurring-entry-once",
        Warning,
        "a scheduled or yearly entry without `re_entry` enters each customer only once",
    ),
    rule("J313", "campaign-window-ended", Warning, "a journey's campaign window has already ended"),
    rule(
        "J314",
        "unguarded-optional-attribute",
        Warning,
        "a comparison reads an optional attribute without `is set`, so customers without it are refused",
    ),
    rule(
        "J315",
        "journey-never-enters",
        Warning,
        "no customer can ever pass a journey's entry (its audience, or what its trigger needs, can never hold)",
    ),
    // several triggers, any of several events (issue 15)
    rule(
        "J320",
        "bad-alternative",
        Error,
        "triggers or awaited events joined with `or` that cannot be combined (not `on EVENT`, or listed twice)",
    ),
    // CSM tasks (issue 15)
    rule(
        "J330",
        "task-owner-not-text",
        Error,
        "a task's `owner attribute` names an attribute that is not text or a choice",
    ),
    rule("J331", "task-due-zero", Error, "a task is due the moment it is created (`due 0 days`)"),
    rule("J332", "unknown-task-priority", Error, "a task's priority is not low, normal, high or urgent"),
    rule("J333", "empty-task-owner", Error, "a task's fixed owner is an empty string"),
    // guardrails along paths
    rule("J401", "path-exceeds-cap", Error, "a path sends more messages than a cap allows within its window"),
    rule("J402", "send-in-quiet-hours", Warning, "a send can only happen inside the channel's quiet hours"),
    rule(
        "J403",
        "consent-not-filtered",
        Warning,
        "a send on a consent channel reaches customers never filtered for consent",
    ),
    rule("J404", "duplicate-template-on-path", Warning, "the same template is sent twice on one path"),
    rule("J405", "holdout-out-of-range", Error, "a holdout percentage is outside 0% to 100%"),
    rule("J406", "invalid-schedule", Error, "a schedule or time of day is not valid"),
    rule("J407", "invalid-time-zone", Error, "a time zone is not a known IANA zone"),
    rule("J408", "min-gap-on-path", Warning, "two sends on a path are closer than the policy's minimum gap"),
    rule("J409", "unknown-metric", Error, "a guardrail names a metric the simulator does not measure"),
    rule("J410", "invalid-assumption", Error, "an effect assumption is inconsistent or names no goal"),
    rule("J411", "channel-kind-mismatch", Error, "a step uses a channel of the wrong kind"),
    rule(
        "J412",
        "conflicting-tags-on-path",
        Warning,
        "conflicting tags are sent on one path within the conflict window",
    ),
    // cross-journey calendar analysis
    rule(
        "J601",
        "audience-overlap-duplicate-send",
        Error,
        "two journeys whose audiences certainly overlap send the same template",
    ),
    rule(
        "J602",
        "conflicting-tags",
        Error,
        "sends with tags the policy declares conflicting reach overlapping audiences",
    ),
    rule(
        "J603",
        "cross-journey-cap",
        Warning,
        "journeys whose audiences certainly overlap together send more than a cap allows",
    ),
    rule("J604", "winback-reaches-vip", Error, "a journey tagged winback reaches the audience of a journey tagged vip"),
    rule(
        "J605",
        "equal-priority-overlap",
        Warning,
        "two journeys with overlapping audiences and a shared cap have the same priority",
    ),
    rule("J606", "concurrent-experiments", Warning, "two journeys run experiments on audiences that certainly overlap"),
    // project configuration
    rule("J501", "invalid-config", Error, "journey.yaml has an unknown key or a bad value"),
    rule("J502", "unknown-rule", Warning, "journey.yaml names a rule that does not exist"),
    // issue 15: program-wide rules (journey.yaml `program:`); numbered from J510 so
    // other configuration codes can take J503..J509
    rule("J510", "invalid-program-rule", Error, "a program-wide rule in journey.yaml cannot be applied as written"),
    rule(
        "J511",
        "bad-suppression-list",
        Error,
        "the suppression list file cannot be read or has a line that is no customer id",
    ),
];

/// Find a rule by code (`J301`) or name (`unreachable-stage`), case-insensitively.
pub fn lookup(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name))
}

// `static DOCS: &[(&str, &str)]`, `(code, markdown)` sorted by code, from
// docs/diagnostics/*.md at the workspace root (see build.rs).
include!(concat!(env!("OUT_DIR"), "/docs.rs"));

/// Where the project is published: the one place that says it. SARIF's `helpUri`
/// must be absolute (GitHub code scanning links it from every alert), so each rule's
/// page is [`docs_url`], under this address; SARIF's `informationUri` is this.
pub const HOME_URL: &str = "https://github.com/journey-lang/journey";

/// The absolute address of a rule's documentation page:
/// `HOME_URL/blob/main/docs/diagnostics/<CODE>.md`.
pub fn docs_url(code: &str) -> String {
    format!("{HOME_URL}/blob/main/docs/diagnostics/{code}.md")
}

/// The documentation page (markdown) of a rule, by code (`J301`) or rule name
/// (`unreachable-stage`), case-insensitively. Pages are embedded at build time from
/// `docs/diagnostics/<CODE>.md`.
pub fn docs_page(code_or_name: &str) -> Option<&'static str> {
    let code = lookup(code_or_name).map_or(code_or_name, |r| r.code);
    DOCS.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|(_, page)| *page)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails until docs/diagnostics/ has exactly one page per rule.
    #[test]
    fn every_rule_has_a_docs_page_and_every_page_a_rule() {
        let missing: Vec<&str> = RULES.iter().map(|r| r.code).filter(|c| docs_page(c).is_none()).collect();
        let orphans: Vec<&str> = DOCS.iter().map(|(c, _)| *c).filter(|c| !RULES.iter().any(|r| r.code == *c)).collect();
        assert!(missing.is_empty(), "rules without a page in docs/diagnostics/: {missing:?}");
        assert!(orphans.is_empty(), "pages in docs/diagnostics/ without a rule: {orphans:?}");
        assert!(DOCS.windows(2).all(|w| w[0].0 < w[1].0), "DOCS is sorted");
        assert!(DOCS.iter().all(|(_, page)| !page.trim().is_empty()), "a docs page is empty");
    }

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(seen.insert(r.name), "duplicate name {}", r.name);
            assert!(r.code.len() == 4 && r.code.starts_with('J'), "{}", r.code);
            assert!(!r.summary.ends_with('.'), "{} summary ends with a period", r.code);
        }
    }
}
