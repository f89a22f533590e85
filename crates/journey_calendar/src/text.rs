//! The terminal table and CSV.

use crate::{offset_text, CalendarView, SendRow};
use std::fmt::Write;

const DAYS: [&str; 7] = ["day 1", "day 2", "day 3", "day 4", "day 5", "day 6", "day 7"];

/// `J602 loyalty_reward; J605 a, b`.
fn conflicts_text(row: &SendRow) -> String {
    row.conflicts
        .iter()
        .map(|c| if c.partners.is_empty() { c.code.clone() } else { format!("{} {}", c.code, c.partners.join(", ")) })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `J601 J603`: the codes of a send's conflicts (the partners are in the list below).
fn codes(row: &SendRow) -> String {
    let mut codes: Vec<&str> = row.conflicts.iter().map(|c| c.code.as_str()).collect();
    codes.dedup();
    codes.join(" ")
}

/// Cut `s` to `width` characters, ending in `…` when cut.
fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.trim_end().to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A week-by-week terminal table of every send (with the codes of its conflicts), then
/// the journeys (trigger, audience, goals) and the conflicts with their journeys. Lines are cut to `width` characters (at least 40).
pub fn table(view: &CalendarView, width: usize) -> String {
    let width = width.max(40);
    let mut out = String::new();
    // the template goes last: a narrow terminal cuts it, never the conflicts
    let header = ["WHEN", "AT", "JOURNEY", "STAGE", "CHANNEL", "PRI", "CONFLICTS", "TEMPLATE"];
    let rows: Vec<&SendRow> = view.by_time();
    let cells = |r: &SendRow| -> [String; 8] {
        [
            DAYS[(r.day - 1) as usize].to_string(),
            r.time.clone().unwrap_or_else(|| offset_text(r.offset_minutes)),
            r.journey.clone(),
            r.stage.clone(),
            r.channel.clone(),
            r.priority.to_string(),
            codes(r),
            r.template.clone(),
        ]
    };
    let all: Vec<[String; 8]> = rows.iter().map(|r| cells(r)).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for c in &all {
        for (w, cell) in widths.iter_mut().zip(c) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |c: &[String]| -> String {
        let mut s = String::from("  ");
        for (i, cell) in c.iter().enumerate() {
            if i + 1 == c.len() {
                s.push_str(cell);
            } else {
                let _ = write!(s, "{cell:<w$}  ", w = widths[i]);
            }
        }
        clip(&s, width)
    };
    if rows.is_empty() {
        out.push_str("No message sends.\n");
    }
    let mut week = 0;
    for (r, c) in rows.iter().zip(&all) {
        if r.week != week {
            week = r.week;
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "Week {week}");
            let h: Vec<String> = header.iter().map(|h| h.to_string()).collect();
            let _ = writeln!(out, "{}", line(&h));
        }
        let _ = writeln!(out, "{}", line(c));
    }
    out.push_str("\nJourneys\n");
    for j in &view.journeys {
        let _ = writeln!(out, "{}", clip(&format!("  {} (priority {})", j.name, j.priority), width));
        let _ = writeln!(out, "{}", clip(&format!("    entry:    {}", j.trigger), width));
        if let Some(a) = &j.audience {
            let _ = writeln!(out, "{}", clip(&format!("    audience: {a}"), width));
        }
        if !j.goals.is_empty() {
            let _ = writeln!(out, "{}", clip(&format!("    goals:    {}", j.goals.join(", ")), width));
        }
    }
    if !view.conflicts.is_empty() {
        out.push_str("\nConflicts\n");
        for c in &view.conflicts {
            wrap(&format!("  {} {}: {}", c.code, c.severity, c.message), "       ", width, &mut out);
            let _ = writeln!(out, "{}", clip(&format!("       journeys: {}", c.journeys.join(", ")), width));
        }
    }
    out
}

/// Word-wrap `s` to `width` columns, continuing lines with `indent`.
fn wrap(s: &str, indent: &str, width: usize, out: &mut String) {
    let body = s.trim_start();
    let mut line = s[..s.len() - body.len()].to_string();
    for word in body.split(' ') {
        let len = line.chars().count();
        if !line.trim().is_empty() && len + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        } else if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Quote a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per send, in calendar order, with a header; lists inside a field are
/// separated by `;`, and conflicts read `J602 loyalty_reward; J605 a, b`.
pub fn csv(view: &CalendarView) -> String {
    let mut out = String::from(
        "week,day,time,offset_minutes,journey,stage,node,channel,template,tags,audience,trigger,goals,priority,conflicts\r\n",
    );
    for r in view.by_time() {
        let cols = [
            r.week.to_string(),
            r.day.to_string(),
            r.time.clone().unwrap_or_default(),
            r.offset_minutes.to_string(),
            r.journey.clone(),
            r.stage.clone(),
            r.node.clone(),
            r.channel.clone(),
            r.template.clone(),
            r.tags.join(";"),
            r.audience.clone().unwrap_or_default(),
            r.trigger.clone(),
            r.goals.join(";"),
            r.priority.to_string(),
            conflicts_text(r),
        ];
        let cols: Vec<String> = cols.iter().map(|c| field(c)).collect();
        out.push_str(&cols.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_fields() {
        assert_eq!(field("a"), "a");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn wraps_words() {
        let mut out = String::new();
        wrap("  J605 warning: one two three four", "    ", 16, &mut out);
        assert_eq!(out, "  J605 warning:\n    one two\n    three four\n");
    }

    #[test]
    fn clips_with_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc  ", 10), "abc");
    }
}
