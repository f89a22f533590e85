//! GitHub Actions workflow commands, which the runner turns into annotations:
//! `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=J301 rule-name::message`.
//! Help and notes follow the message on their own lines (`%0A`). Severities map to
//! `error`, `warning` and `notice`.

use super::{label_positions, machine_path, RenderOptions};
use crate::{rules, Diagnostic, Severity, SourceMap};
use std::fmt::Write;

pub(super) fn render(diags: &[&Diagnostic], sources: &SourceMap, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(label) = d.primary_label() {
            let file = sources.get(label.file);
            let (start, end) = label_positions(file, label);
            props.push(format!("file={}", escape_property(&machine_path(sources, label.file, opts))));
            props.push(format!("line={}", start.line));
            props.push(format!("col={}", start.column));
            props.push(format!("endLine={}", end.line));
            props.push(format!("endColumn={}", end.column));
        }
        let title = match rules::lookup(d.code) {
            Some(rule) => format!("{} {}", d.code, rule.name),
            None => d.code.to_string(),
        };
        props.push(format!("title={}", escape_property(&title)));

        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        for note in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(note);
        }
        let _ = writeln!(out, "::{command} {}::{}", props.join(","), escape_data(&message));
    }
    out
}

/// Escaping for the message part of a workflow command.
pub(super) fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping for `key=value` properties, which also may not contain `:` or `,`.
pub(super) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% sure\r\nyes: a, b"), "100%25 sure%0D%0Ayes: a, b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
