use journey_diagnostics::{rules, suggest, Diagnostic, FileId, Severity, Span};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const CONFIG_FILE: &str = "journey.yaml";

/// `journey.yaml`, the project configuration at the repository root.
///
/// ```yaml
/// timezone: Europe/Berlin      # default customer time zone
/// currency: EUR                # what `$12` and bare money amounts mean
/// include: ["journeys/**"]     # which files are journeys (default: everything)
/// exclude: ["journeys/drafts/**"]
/// one_program_per_file: false  # true: every file is checked alone (stand-alone examples)
/// rules:                       # severity overrides by code or name
///   J301: error
///   duplicate-template-on-path: off
/// may_overlap:                 # severity of cross-journey findings on audiences that
///   J601: error                #   only may overlap (shown with a witness history)
/// ignore:                      # rules switched off for some files
///   - path: "journeys/legacy/**"
///     rules: [J404]
/// events: { … }                # event-log mapping, read by `journey simulate`
/// program: { … }               # program-wide rules (see `program_rules`)
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Each journey file is a program of its own (a directory of stand-alone examples),
    /// instead of all files together forming one program.
    #[serde(default)]
    pub one_program_per_file: bool,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleLevel>,
    /// Severities of cross-journey findings (J601-J606) on audiences that only may
    /// overlap, by code or name; by default a warning for J601, J602 and J604 and
    /// info for the others.
    #[serde(default)]
    pub may_overlap: BTreeMap<String, RuleLevel>,
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    /// Event-log settings; their shape belongs to the simulator, which validates them.
    #[serde(default)]
    pub events: Option<serde_yaml::Value>,
    /// Settings of the CLV estimate, validated by the CLV command.
    #[serde(default)]
    pub clv: Option<serde_yaml::Value>,
    /// issue 15: working days for `wait N business days` (see docs/configuration.md).
    #[serde(default)]
    pub business_days: Option<journey_ir::BusinessDays>,
    /// issue 15: program-wide rules (global holdout, suppression, caps per category).
    #[serde(default)]
    pub program: Option<crate::program_rules::ProgramConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timezone: default_timezone(),
            currency: default_currency(),
            include: Vec::new(),
            exclude: Vec::new(),
            one_program_per_file: false,
            rules: BTreeMap::new(),
            may_overlap: BTreeMap::new(),
            ignore: Vec::new(),
            events: None,
            clv: None,
            business_days: None,
            program: None,
        }
    }
}

fn default_timezone() -> String {
    "UTC".to_string()
}
fn default_currency() -> String {
    "USD".to_string()
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Error,
    Warning,
    Info,
    Off,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub path: String,
    pub rules: Vec<String>,
}

impl Config {
    /// Parse `journey.yaml`. Problems come back as J501/J502 diagnostics pointing into
    /// the file; on a fatal shape error the defaults are used so checking can go on.
    pub fn parse(text: &str, file: FileId) -> (Config, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        if text.trim().is_empty() {
            return (Config::default(), diags);
        }
        // a repeated key inside a map (`J601: info` twice under may_overlap) would
        // be taken silently, last one winning: the untyped parse refuses it first
        let parsed = serde_yaml::from_str::<serde_yaml::Value>(text).and_then(|_| serde_yaml::from_str(text));
        let config: Config = match parsed {
            Ok(c) => c,
            Err(e) => {
                let mut span = e.location().map_or(Span::new(0, 0), |l| token_span(text, l.index()));
                let message = journey_diagnostics::plain::serde_message(&e.to_string());
                // serde reports a duplicate key at the start of its mapping; the
                // label belongs on the second occurrence, the one to delete
                let (message, label, help) = match repeated_key(&message) {
                    Some(key) => {
                        if let Some(s) = duplicate_key_span(text, span.start as usize, &key) {
                            span = s;
                        }
                        (
                            format!("duplicate key `{key}`"),
                            "written a second time here",
                            "a key may appear once in its section; keep the value you mean and delete the other",
                        )
                    }
                    None => {
                        // serde_yaml appends " at line N column M"; the label already says where
                        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                        (message, "here", "see docs/configuration.md for the keys journey.yaml accepts")
                    }
                };
                diags.push(Diagnostic::new("J501", message).primary(file, span, label).help(help));
                return (Config::default(), diags);
            }
        };
        if config.timezone.parse::<chrono_tz::Tz>().is_err() {
            let help = match suggest::time_zone(&config.timezone) {
                Some(z) => format!("did you mean `{z}`?"),
                None => "use a name from the IANA database, e.g. Europe/Berlin or America/New_York".to_string(),
            };
            diags.push(
                Diagnostic::new("J407", format!("unknown time zone `{}`", config.timezone))
                    .primary(file, find_top_level_value(text, "timezone", &config.timezone), "not an IANA time zone")
                    .help(help),
            );
        }
        if !suggest::is_currency(&config.currency) {
            // a code of the right shape that names no currency (`EUE`) is as wrong as
            // one of the wrong shape: every money amount of the project would be in it
            let shaped = config.currency.len() == 3 && config.currency.chars().all(|c| c.is_ascii_uppercase());
            let label = if shaped { "not an ISO 4217 currency" } else { "expected three capital letters" };
            let help = match suggest::currency(&config.currency) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "write the currency as an ISO 4217 code, e.g. USD or EUR".to_string(),
            };
            diags.push(
                Diagnostic::new("J501", format!("currency `{}` is not an ISO 4217 code", config.currency))
                    .primary(file, find_top_level_value(text, "currency", &config.currency), label)
                    .help(help),
            );
        }
        for pattern in config.include.iter().chain(&config.exclude).chain(config.ignore.iter().map(|i| &i.path)) {
            if let Err(e) = globset::Glob::new(pattern) {
                diags.push(
                    Diagnostic::new("J501", format!("invalid glob `{pattern}`"))
                        .primary(file, find_value(text, pattern), e.kind().to_string())
                        .help("globs use `*`, `**`, `?` and `[…]`, e.g. journeys/**/*.journey"),
                );
            }
        }
        if let Some(bd) = &config.business_days {
            diags.extend(crate::business_days::check(bd, text, file));
        }
        let names =
            config.rules.keys().chain(config.may_overlap.keys()).chain(config.ignore.iter().flat_map(|i| &i.rules));
        for name in names {
            if rules::lookup(name).is_none() {
                let mut d = Diagnostic::new("J502", format!("unknown rule `{name}`")).primary(
                    file,
                    find_value(text, name),
                    "no rule has this code or name",
                );
                if let Some(s) = closest_rule(name) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.help("`journey explain --list` shows every rule");
                }
                diags.push(d);
            }
        }
        (config, diags)
    }

    /// The attributes the snapshot may lack for some customers, as listed in
    /// `events.optional_attributes` (a list of names, or one name), in file order.
    /// `journey check` warns (J314) where a comparison reads one without an `is set`
    /// guard; the simulator validates the key's shape with the rest of `events:`.
    pub fn optional_attributes(&self) -> Vec<String> {
        let value = self.events.as_ref().and_then(|e| e.get("optional_attributes"));
        match value {
            Some(serde_yaml::Value::Sequence(items)) => {
                items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
            }
            Some(serde_yaml::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }

    /// issue 15, accounts: `events.account`, the customer attribute naming each
    /// customer's account (`account: account_id`), or the long form
    /// `account: { attribute: account_id, file: data/accounts.csv, admin_attribute:
    /// role, admin_value: admin }`. `None` when the project maps no accounts; a
    /// shape that is neither is `Err` with what is wrong.
    pub fn accounts(&self) -> Result<Option<journey_ir::Accounts>, String> {
        let Some(value) = self.events.as_ref().and_then(|e| e.get("account")) else { return Ok(None) };
        match value {
            serde_yaml::Value::String(name) => {
                Ok(Some(journey_ir::Accounts { attribute: Some(name.clone()), ..Default::default() }))
            }
            serde_yaml::Value::Mapping(_) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Long {
                    attribute: String,
                    file: Option<String>,
                    admin_attribute: Option<String>,
                    admin_value: Option<String>,
                }
                let long: Long = serde_yaml::from_value(value.clone())
                    .map_err(|e| journey_diagnostics::plain::serde_message(&e.to_string()))?;
                Ok(Some(journey_ir::Accounts {
                    attributes: Vec::new(),
                    attribute: Some(long.attribute),
                    file: long.file,
                    admin_attribute: long.admin_attribute,
                    admin_value: long.admin_value,
                }))
            }
            _ => Err("expected the name of the attribute holding the account id, or a mapping with `attribute`".into()),
        }
    }

    /// Where a name listed in `events.optional_attributes` is written in `journey.yaml`
    /// (`text`): after the key, so that an attribute also named elsewhere in the file
    /// is labelled in the list.
    pub fn optional_attribute_span(text: &str, name: &str) -> Span {
        let from = text.find("optional_attributes").unwrap_or(0);
        let rest = &text[from..];
        let found = rest.match_indices(name).find(|(i, _)| {
            let before = rest[..*i].chars().next_back();
            let after = rest[i + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        });
        found.map_or(find_value(text, name), |(i, _)| Span::new(from + i, from + i + name.len()))
    }

    /// The severity a rule has in this project for a file, or `None` when it is off.
    pub fn severity_for(&self, code: &str, default: Severity, path: &str) -> Option<Severity> {
        let rule = rules::lookup(code);
        let matches_rule =
            |name: &str| name.eq_ignore_ascii_case(code) || rule.is_some_and(|r| name.eq_ignore_ascii_case(r.name));
        for ig in &self.ignore {
            if ig.rules.iter().any(|r| matches_rule(r))
                && globset::Glob::new(&ig.path).is_ok_and(|g| g.compile_matcher().is_match(path))
            {
                return None;
            }
        }
        let level = self.rules.iter().find(|(k, _)| matches_rule(k)).map(|(_, v)| *v);
        match level {
            None => Some(default),
            Some(RuleLevel::Off) => None,
            Some(RuleLevel::Error) => Some(Severity::Error),
            Some(RuleLevel::Warning) => Some(Severity::Warning),
            Some(RuleLevel::Info) => Some(Severity::Info),
        }
    }

    /// Apply severity overrides and ignores: returns the diagnostics that remain.
    pub fn apply(&self, diags: Vec<Diagnostic>, path_of: impl Fn(FileId) -> String) -> Vec<Diagnostic> {
        diags
            .into_iter()
            .filter_map(|mut d| {
                // syntax errors cannot be switched off: nothing after them is trustworthy
                if d.code == "J001" {
                    return Some(d);
                }
                let path = d.primary_label().map(|l| path_of(l.file)).unwrap_or_default();
                d.severity = self.severity_for(d.code, d.severity, &path)?;
                if d.may_overlap {
                    let rule = rules::lookup(d.code);
                    let level = self.may_overlap.iter().find(|(k, _)| {
                        k.eq_ignore_ascii_case(d.code) || rule.is_some_and(|r| k.eq_ignore_ascii_case(r.name))
                    });
                    match level.map(|(_, v)| *v) {
                        Some(RuleLevel::Off) => return None,
                        Some(RuleLevel::Error) => d.severity = Severity::Error,
                        Some(RuleLevel::Warning) => d.severity = Severity::Warning,
                        Some(RuleLevel::Info) => d.severity = Severity::Info,
                        None => {}
                    }
                }
                Some(d)
            })
            .collect()
    }
}

fn closest_rule(name: &str) -> Option<&'static str> {
    rules::RULES
        .iter()
        .flat_map(|r| [r.code, r.name])
        .map(|c| (strsim::normalized_damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Where the value of a top-level `key: value` line appears in the YAML text (a
/// comment or another key may hold the same text earlier); else its first occurrence.
fn find_top_level_value(text: &str, key: &str, value: &str) -> Span {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key).and_then(|r| r.trim_start_matches([' ', '\t']).strip_prefix(':')) {
            if let Some(i) = rest.find(value) {
                let start = offset + (line.len() - rest.len()) + i;
                return Span::new(start, start + value.len());
            }
        }
        offset += line.len();
    }
    find_value(text, value)
}

/// Where a scalar value appears in the YAML text (first occurrence): serde_yaml keeps
/// no spans for values that parsed fine, and config files are small.
pub(crate) fn find_value(text: &str, value: &str) -> Span {
    text.find(value).map_or(Span::new(0, 0), |i| Span::new(i, i + value.len()))
}

/// The key a duplicate-key error names: serde's typed form (duplicate field `rules`)
/// or serde_yaml's untyped one (`may_overlap: duplicate entry with key "J601"`).
fn repeated_key(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return rest.split('`').next().map(str::to_string);
    }
    let (_, rest) = message.split_once("duplicate entry with key \"")?;
    rest.split('"').next().map(str::to_string)
}

/// The second `key:` of the mapping whose first key starts at `start`: keys of one
/// mapping share its indentation, and the mapping ends at the first line indented less.
fn duplicate_key_span(text: &str, start: usize, key: &str) -> Option<Span> {
    let line_start = text[..start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let indent = start - line_start;
    let mut offset = line_start;
    let mut seen = 0;
    for line in text[line_start..].split_inclusive('\n') {
        let body = line.trim_start_matches(' ');
        let here = line.len() - body.len();
        let blank = body.trim().is_empty() || body.starts_with('#');
        if !blank && here < indent {
            break;
        }
        if !blank && here == indent {
            let name = body.split(':').next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'');
            if name == key && body[name.len()..].trim_start_matches(['"', '\'']).starts_with(':') {
                seen += 1;
                if seen == 2 {
                    let at = offset + here;
                    return Some(Span::new(at, at + body.find(':').unwrap_or(key.len())));
                }
            }
        }
        offset += line.len();
    }
    None
}

fn token_span(text: &str, index: usize) -> Span {
    let index = index.min(text.len());
    let end = text[index..].find(|c: char| c.is_whitespace() || c == ':' || c == ',').map_or(text.len(), |i| index + i);
    Span::new(index, end.max(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> (String, String) {
        let (_, diags) = Config::parse(text, FileId(0));
        let d = &diags[0];
        let span = d.labels[0].span.range();
        (d.message.clone(), format!("{}@{}", &text[span.clone()], span.start))
    }

    #[test]
    fn a_duplicate_key_is_labelled_where_it_repeats() {
        let text = "rules:\n  J601: warning\ntimezone: UTC\nrules:\n  J602: info\n";
        let (message, at) = label(text);
        assert_eq!(message, "duplicate key `rules`");
        assert_eq!(at, format!("rules@{}", text.rfind("rules").unwrap()));
    }

    #[test]
    fn a_duplicate_key_in_a_nested_mapping_is_labelled_there() {
        let text = "timezone: UTC\nrules:\n  J601: warning\nmay_overlap:\n  J601: info\n  J601: off\n";
        let (message, at) = label(text);
        assert_eq!(message, "duplicate key `J601`");
        assert_eq!(at, format!("J601@{}", text.rfind("J601").unwrap()));
    }
}
