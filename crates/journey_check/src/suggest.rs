//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.82)
        // ties go to the alphabetically first name, so output is deterministic
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// A help line for an unknown name: a suggestion, or the list of what exists.
pub fn help_for(kind: &str, name: &str, candidates: &[&str]) -> String {
    if let Some(c) = closest(name, candidates.iter().copied()) {
        return format!("did you mean `{c}`?");
    }
    match candidates.len() {
        0 => format!("no {kind} is defined; declare one first"),
        1..=6 => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!("known {kind}s: {}", list.join(", "))
        }
        _ => format!("declare the {kind} or check the spelling"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_typos_only() {
        assert_eq!(super::closest("purchse", ["purchase", "signup"]), Some("purchase"));
        assert_eq!(super::closest("zzz", ["purchase", "signup"]), None);
    }
}
