//! Messages of serde (through serde_yaml) in a user's words: a type error names the
//! Rust type that was expected ("expected struct Raw"), which means nothing to the
//! person who wrote journey.yaml.

/// `message` with every `struct NAME`, `enum NAME` or `map` the deserialiser expected
/// said as what a YAML author writes.
pub fn serde_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("expected ") {
        let (before, after) = rest.split_at(i + "expected ".len());
        out.push_str(before);
        let (kind, words) = if let Some(a) = after.strip_prefix("struct ") {
            (a, "a mapping of keys (`key: value` lines)")
        } else if let Some(a) = after.strip_prefix("enum ") {
            (a, "one of the values the key accepts")
        } else {
            rest = after;
            continue;
        };
        out.push_str(words);
        // skip the type's name
        let end = kind.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(kind.len());
        rest = &kind[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::serde_message;

    #[test]
    fn rust_type_names_are_not_shown() {
        assert_eq!(
            serde_message("invalid type: sequence, expected struct Raw"),
            "invalid type: sequence, expected a mapping of keys (`key: value` lines)"
        );
        assert_eq!(
            serde_message("unknown variant `x`, expected enum Kind at line 2"),
            "unknown variant `x`, expected one of the values the key accepts at line 2"
        );
        assert_eq!(
            serde_message("invalid type: sequence, expected a string"),
            "invalid type: sequence, expected a string"
        );
    }
}
