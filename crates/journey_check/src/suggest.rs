//! "Did you mean" suggestions for misspelt names.

pub use journey_diagnostics::suggest::closest;

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
