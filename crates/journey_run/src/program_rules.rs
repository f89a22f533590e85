//! issue 15: journey.yaml's `program:` rules, checked against the program and lowered
//! into the IR ([`journey_ir::ProgramRules`]), where the engine reads them:
//!
//! * `global_holdout: { percent, salt }`: 0 < percent < 100 (J510);
//! * `suppression: { file, attribute }`: at least one of them; the attribute a
//!   declared bool (J510); the file readable, one customer id a line, `#` comments and
//!   blank lines skipped (J511 names the file and line of anything else);
//! * `caps: { CATEGORY: N per DURATION }`: a category some message channel has, a
//!   count of at least 1 and a window (J510).
//!
//! Diagnostics are labelled on the value in journey.yaml.

use journey_diagnostics::{Diagnostic, Span};
use journey_ir::{Cap, CategoryCap, GlobalHoldout, Origin, Program, ProgramRules, SuppressionList, Type};
use journey_project::Project;

/// The salt of the global holdout when journey.yaml names none.
pub const DEFAULT_SALT: &str = "global-holdout";

/// The program's rules from `project`'s journey.yaml, and the problems with them.
pub fn lower(project: &Project, program: &Program) -> (ProgramRules, Vec<Diagnostic>) {
    let mut rules = ProgramRules::default();
    let mut diags = Vec::new();
    let (Some(cfg), Some(file)) = (&project.config.program, project.config_file) else {
        return (rules, diags);
    };
    let text = project.sources.get(file).text.to_string();
    let at = |needle: &str| span_after(&text, "program:", needle);
    let j510 = |message: String, span: Span, label: &str, help: &str| {
        Diagnostic::new("J510", message).primary(file, span, label.to_string()).help(help.to_string())
    };

    if let Some(h) = &cfg.global_holdout {
        if !(h.percent > 0.0 && h.percent < 100.0) {
            diags.push(j510(
                format!("the global holdout is {}%, outside 0..100", h.percent),
                at("percent"),
                "not a share of customers",
                "write a percentage above 0 and below 100, e.g. `percent: 5`",
            ));
        } else {
            rules.global_holdout = Some(GlobalHoldout {
                percent: h.percent,
                salt: h.salt.clone().unwrap_or_else(|| DEFAULT_SALT.to_string()),
            });
        }
    }

    if let Some(s) = &cfg.suppression {
        let mut list = SuppressionList::default();
        if s.file.is_none() && s.attribute.is_none() {
            diags.push(j510(
                "the suppression list names neither a file nor an attribute".into(),
                at("suppression"),
                "suppresses nobody",
                "add `file: suppressed.txt` (customer ids, one a line) and/or `attribute: do_not_contact`",
            ));
        }
        if let Some(a) = &s.attribute {
            match program.attribute(a).map(|d| &d.ty) {
                Some(Type::Bool) => list.attribute = Some(a.clone()),
                Some(other) => diags.push(j510(
                    format!("the suppression attribute `{a}` is {}, not bool", other.describe()),
                    at(a),
                    "not a bool attribute",
                    "name a bool attribute that is true for customers who must get no marketing",
                )),
                None => diags.push(j510(
                    format!("the suppression attribute `{a}` is not an attribute of the program"),
                    at(a),
                    "no attribute of this name",
                    "declare it with `attribute NAME: bool` in the journeys, or fix the name",
                )),
            }
        }
        if let Some(f) = &s.file {
            match read_ids(&project.root.join(f)) {
                Ok(ids) => list.customers = ids,
                Err((problem, label)) => diags.push(
                    Diagnostic::new("J511", format!("suppression list {f}{problem}"))
                        .primary(file, at(f), label)
                        .help("the file holds customer ids, one a line; `#` starts a comment"),
                ),
            }
            list.file = Some(f.clone());
        }
        if list.file.is_some() || list.attribute.is_some() {
            rules.suppression = Some(list);
        }
    }

    let categories: Vec<&str> = program.channels.iter().filter_map(|c| c.category_name()).collect();
    for (category, spec) in &cfg.caps {
        if !categories.contains(&category.as_str()) {
            let mut known = categories.clone();
            known.sort_unstable();
            known.dedup();
            diags.push(j510(
                format!("caps: no message channel has the category `{category}`"),
                at(category),
                "caps nothing",
                &format!(
                    "the categories of this program's message channels are: {} (set one with `category NAME` in a channel)",
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ),
            ));
            continue;
        }
        match declared_cap(project, file, &text, category, spec) {
            Some(cap) => rules.category_caps.push(cap),
            None => diags.push(j510(
                format!("caps: `{spec}` is not a cap"),
                at(spec),
                "expected `N per DURATION`",
                "write the count and the window, e.g. `3 per 7d` or `3 per week`",
            )),
        }
    }
    (rules, diags)
}

/// journey.yaml's `program: caps` that read as caps, before they are checked against
/// the program: the checker holds the journeys to those of a category some message
/// channel has (J401, J603), as [`lower`] then puts them in the IR (the same caps, the
/// others are its J510).
pub fn category_caps(project: &Project) -> Vec<CategoryCap> {
    let (Some(cfg), Some(file)) = (&project.config.program, project.config_file) else {
        return Vec::new();
    };
    let text = project.sources.get(file).text.to_string();
    cfg.caps.iter().filter_map(|(category, spec)| declared_cap(project, file, &text, category, spec)).collect()
}

/// The cap `category: spec` of journey.yaml, with where it is written there (the
/// category and its cap, `promotional: 3 per 7d`); `None` when `spec` is not a cap.
fn declared_cap(
    project: &Project,
    file: journey_diagnostics::FileId,
    text: &str,
    category: &str,
    spec: &str,
) -> Option<CategoryCap> {
    let cap = parse_cap(spec)?;
    let written = spec.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = span_after(text, "program:", category);
    let (start, key_end) = (key.start as usize, key.end as usize);
    // to the end of the cap when it follows on the key's line
    let line = &text[key_end..text[key_end..].find('\n').map_or(text.len(), |i| key_end + i)];
    let end = line.find(spec.trim()).map_or(key_end, |i| key_end + i + spec.trim().len());
    let source = project.sources.get(file);
    let lc = source.line_col(start);
    let at = format!("{}:{}:{}", source.name, lc.line, lc.column);
    let origin = Origin { at, file, span: Span::new(start, end) };
    Some(CategoryCap { category: category.to_string(), cap, written, origin })
}

/// `N per DURATION`: `3 per 7d`, `10 per 24h`, `3 per week`, `1 per day`; N ≥ 1.
pub fn parse_cap(spec: &str) -> Option<Cap> {
    let mut words = spec.split_whitespace();
    let count: u64 = words.next()?.parse().ok().filter(|&n| n >= 1)?;
    (words.next()? == "per").then_some(())?;
    let window = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let minutes = match window {
        "day" => 1440,
        "week" => 7 * 1440,
        w => {
            let split = w.find(|c: char| !c.is_ascii_digit())?;
            let n: u64 = w[..split].parse().ok().filter(|&n| n >= 1)?;
            n * match &w[split..] {
                "m" => 1,
                "h" => 60,
                "d" => 1440,
                "w" => 7 * 1440,
                _ => return None,
            }
        }
    };
    Some(Cap { count, window_minutes: minutes })
}

/// The ids of a suppression file, sorted, each once; an error says which line is bad
/// (and the label for the file's name in journey.yaml).
fn read_ids(path: &std::path::Path) -> Result<Vec<String>, (String, &'static str)> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => (" does not exist".to_string(), "no such file next to journey.yaml"),
        std::io::ErrorKind::InvalidData => (" is not UTF-8 text".to_string(), "not a text file"),
        _ => (format!(" cannot be read: {}", e.to_string().to_lowercase()), "cannot be read"),
    })?;
    let mut ids = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        if id.contains(char::is_whitespace) || id.contains(',') {
            return Err((
                format!(
                    ", line {}: `{id}` is not one customer id (expected one id a line, no spaces or commas)",
                    n + 1
                ),
                "read here",
            ));
        }
        ids.push(id.to_string());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Where `needle` is written after `section` in journey.yaml (serde_yaml keeps no
/// spans for values that parsed), as a whole word.
fn span_after(text: &str, section: &str, needle: &str) -> Span {
    let from = text.find(section).unwrap_or(0);
    let rest = &text[from..];
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let found = rest
        .match_indices(needle)
        .find(|(i, _)| !word(rest[..*i].chars().next_back()) && !word(rest[i + needle.len()..].chars().next()));
    found.map_or(Span::new(from, from + section.len().min(rest.len())), |(i, _)| {
        Span::new(from + i, from + i + needle.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_read_counts_and_windows() {
        assert_eq!(parse_cap("3 per week"), Some(Cap { count: 3, window_minutes: 7 * 1440 }));
        assert_eq!(parse_cap("3 per 7d"), Some(Cap { count: 3, window_minutes: 7 * 1440 }));
        assert_eq!(parse_cap("10 per 24h"), Some(Cap { count: 10, window_minutes: 1440 }));
        assert_eq!(parse_cap("0 per 7d"), None);
        assert_eq!(parse_cap("3 per 7"), None);
        assert_eq!(parse_cap("3 every 7d"), None);
        assert_eq!(parse_cap("3 per 7d please"), None);
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.txt");
        std::fs::write(&p, "# opted out by phone\nc1\n\nc2 # at the fair\nc1\nc3 c4\n").unwrap();
        let (e, _) = read_ids(&p).unwrap_err();
        assert!(e.contains("line 6: `c3 c4`"), "{e}");
        std::fs::write(&p, "c2\n# x\nc1\nc1\n").unwrap();
        assert_eq!(read_ids(&p).unwrap(), vec!["c1", "c2"]);
    }
}
