//! The terminal table and CSV.

use crate::observed::{Collision, Observed};
use crate::{offset_text, CalendarView, SendRow};
use std::borrow::Cow;
use std::fmt::Write;

const DAYS: [&str; 7] = ["day 1", "day 2", "day 3", "day 4", "day 5", "day 6", "day 7"];

/// `J602 loyalty_reward; J605 a, b`.
fn conflicts_text(row: &SendRow) -> String {
    row.conflicts
        .iter()
        .map(|c| {
            if c.partners.is_empty() {
                c.code.clone()
            } else {
                format!("{} {}", c.code, crate::names_and_more(&c.partners[..], c.more))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `J601 J603`: the codes of a send's conflicts (the partners are in the list below).
fn push_codes(row: &SendRow, s: &mut String) {
    // repeats next to each other once (the conflicts are by code)
    let mut last: Option<&str> = None;
    for c in &row.conflicts {
        if last == Some(c.code.as_str()) {
            continue;
        }
        if last.is_some() {
            s.push(' ');
        }
        s.push_str(&c.code);
        last = Some(&c.code);
    }
}

/// One line of the send table, cells padded to `widths` and two spaces apart (the
/// last one unpadded), [`clip`]ped to `width` and ended with a newline. Drawn in place
/// in `out`, as `clip` of the joined line would draw it.
fn grid_line<S: AsRef<str>>(cells: &[S], widths: &[usize], width: usize, out: &mut String) {
    let start = out.len();
    out.push_str("  ");
    let mut chars = 2;
    for (i, cell) in cells.iter().enumerate() {
        let cell = cell.as_ref();
        out.push_str(cell);
        if i + 1 < cells.len() {
            let n = cell.chars().count();
            let pad = widths[i].saturating_sub(n);
            out.extend(std::iter::repeat_n(' ', pad + 2));
            chars += n + pad + 2;
        } else {
            chars += cell.chars().count();
        }
    }
    if chars <= width {
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
    } else {
        let cut = out[start..].char_indices().nth(width.saturating_sub(1)).map_or(out.len(), |(i, _)| start + i);
        out.truncate(cut);
        out.push('…');
    }
    out.push('\n');
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

/// `clip(prefix + items joined by sep, width)`, joining only as many items as the cut
/// keeps: a conflict of one journey with thousands of others lists them all in the
/// view, and the table line shows the first few.
fn clip_joined(prefix: &str, items: &[String], sep: &str, width: usize) -> String {
    let mut s = String::from(prefix);
    let mut chars = prefix.chars().count();
    for (i, item) in items.iter().enumerate() {
        // past `width` characters the cut is the same whatever follows
        if chars > width {
            break;
        }
        if i > 0 {
            s.push_str(sep);
            chars += sep.chars().count();
        }
        s.push_str(item);
        chars += item.chars().count();
    }
    clip(&s, width)
}

/// A week-by-week terminal table of every send (with the codes of its conflicts), then
/// the journeys (trigger, audience, goals) and the conflicts with their journeys. Lines are cut to `width` characters (at least 40).
pub fn table(view: &CalendarView, width: usize) -> String {
    let width = width.max(40);
    let mut out = String::new();
    // the template goes last: a narrow terminal cuts it, never the conflicts
    let header = ["WHEN", "AT", "JOURNEY", "STAGE", "CHANNEL", "PRI", "CONFLICTS", "TEMPLATE"];
    let rows: Vec<&SendRow> = view.by_time();
    // Cells borrow from the rows, and the few made here (offset, priority, codes) are
    // written into one arena: at 5,000 journeys the table has 40,000 sends, and a copy
    // of each cell, then a string for each made one, was most of its time.
    let mut arena = String::new();
    let mut made: Vec<[std::ops::Range<usize>; 3]> = Vec::with_capacity(rows.len());
    for r in &rows {
        let at = arena.len();
        if r.time.is_none() {
            crate::push_offset_text(r.offset_minutes, &mut arena);
        }
        let priority = arena.len();
        let _ = write!(arena, "{}", r.priority);
        let codes = arena.len();
        push_codes(r, &mut arena);
        made.push([at..priority, priority..codes, codes..arena.len()]);
    }
    let all: Vec<[&str; 8]> = rows
        .iter()
        .zip(&made)
        .map(|(r, [at, priority, codes])| {
            [
                DAYS[(r.day - 1) as usize],
                r.time.as_deref().unwrap_or(&arena[at.clone()]),
                &r.journey,
                &r.stage,
                &r.channel,
                &arena[priority.clone()],
                &arena[codes.clone()],
                &r.template,
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for c in &all {
        for (w, cell) in widths.iter_mut().zip(c) {
            *w = (*w).max(cell.chars().count());
        }
    }
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
            grid_line(&header, &widths, width, &mut out);
        }
        grid_line(c, &widths, width, &mut out);
    }
    tasks_table(view, width, &mut out);
    out.push_str("\nJourneys\n");
    for j in &view.journeys {
        let _ = writeln!(out, "{}", clip(&format!("  {} (priority {})", j.name, j.priority), width));
        let _ = writeln!(out, "{}", clip(&format!("    entry:    {}", j.trigger), width));
        if j.never_enters {
            let line = "    never entered: no customer can pass this entry (J315), so its sends are not placed";
            let _ = writeln!(out, "{}", clip(line, width));
        }
        if j.for_account {
            let line = "    runs:     for account (once per account; its messages go to the account's admins)";
            let _ = writeln!(out, "{}", clip(line, width));
        }
        if let Some(a) = &j.audience {
            let _ = writeln!(out, "{}", clip(&format!("    audience: {a}"), width));
        }
        if !j.goals.is_empty() {
            let _ = writeln!(out, "{}", clip(&format!("    goals:    {}", j.goals.join(", ")), width));
        }
        // issue 15: sends after a business-day wait are placed at its shortest
        if !j.business_waits.is_empty() {
            let waits = j.business_waits.join(", ");
            let line = format!("    waits:    {waits} (placed as if no weekend or holiday fell in between)");
            let _ = writeln!(out, "{}", clip(&line, width));
        }
    }
    if !view.conflicts.is_empty() {
        out.push_str("\nConflicts\n");
        for (i, c) in view.conflicts.iter().enumerate() {
            // with a trace, conflicts are numbered: observed collisions refer to them
            let number = if view.observed.is_some() { format!("#{} ", i + 1) } else { String::new() };
            // a conflict on audiences that only may overlap says so: `journey check`
            // reports it only with an example customer, or not at all
            let may = if c.may_overlap { " (may overlap)" } else { "" };
            wrap(&format!("  {number}{} {}{may}: {}", c.code, c.severity, c.message), "       ", width, &mut out);
            let mut line = clip_joined("       journeys: ", &c.journeys, ", ", width);
            // a grouped conflict names a few of its journeys (docs/calendar.md)
            if c.more > 0 && line.chars().count() < width {
                line = clip(&format!("{line} and {} more", c.more), width);
            }
            let _ = writeln!(out, "{line}");
            if let Some(o) = &c.observed {
                let seen = if o.customers == 0 {
                    "observed: not in the trace".to_string()
                } else {
                    let refs: Vec<String> = o.collisions.iter().map(|k| format!("{}", k + 1)).collect();
                    format!(
                        "observed: {}, {} (collision{} {})",
                        count(o.customers, "customer"),
                        times(o.occurrences),
                        if refs.len() == 1 { "" } else { "s" },
                        refs.join(", ")
                    )
                };
                let _ = writeln!(out, "{}", clip(&format!("       {seen}"), width));
            }
        }
    }
    if let Some(o) = &view.observed {
        observed_table(view, o, width, &mut out);
    }
    out
}

/// issue 15: the tasks for teams, in calendar order, after the sends: who gets each
/// and when it is due. Nothing when the program has no task.
fn tasks_table(view: &CalendarView, width: usize, out: &mut String) {
    let rows = view.tasks_by_time();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTasks (work for a team, not messages: no cap or conflict counts them)");
    let header = ["WEEK", "WHEN", "AT", "JOURNEY", "STAGE", "QUEUE", "OWNER", "DUE", "PRIORITY", "TITLE"];
    let mut grid_rows: Vec<Vec<Cow<str>>> = vec![header.iter().map(|&h| Cow::Borrowed(h)).collect()];
    // cells borrow from the rows, as the send table's do
    for t in rows {
        grid_rows.push(vec![
            Cow::Owned(t.week.to_string()),
            Cow::Borrowed(DAYS[(t.day - 1) as usize]),
            t.time.as_deref().map_or_else(|| Cow::Owned(offset_text(t.offset_minutes)), Cow::Borrowed),
            Cow::Borrowed(&t.journey),
            Cow::Borrowed(&t.stage),
            Cow::Borrowed(&t.queue),
            Cow::Borrowed(&t.owner),
            Cow::Borrowed(t.due.as_deref().unwrap_or("-")),
            Cow::Borrowed(&t.priority),
            Cow::Borrowed(&t.title),
        ]);
    }
    grid(&grid_rows, &[true], width, out);
}

/// `1 customer`, `2 customers`.
pub(crate) fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `once`, `3 times`.
pub(crate) fn times(n: u64) -> String {
    if n == 1 {
        "once".to_string()
    } else {
        format!("{n} times")
    }
}

/// `J602 #3, J602 #4`: the static conflicts a collision confirms.
pub(crate) fn confirms_text(c: &Collision) -> String {
    c.confirms.iter().map(|r| format!("{} #{}", r.code, r.conflict + 1)).collect::<Vec<_>>().join(", ")
}

/// Columns laid out with two spaces between them; `right[i]` aligns column `i` right.
fn grid<S: AsRef<str>>(rows: &[Vec<S>], right: &[bool], width: usize, out: &mut String) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; n];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            // the last column is free text, never padded
            if i + 1 < r.len() {
                widths[i] = widths[i].max(c.as_ref().chars().count());
            }
        }
    }
    for r in rows {
        let mut s = String::from("  ");
        for (i, c) in r.iter().enumerate() {
            let c = c.as_ref();
            if i + 1 == r.len() {
                s.push_str(c);
            } else if right.get(i).copied().unwrap_or(false) {
                let _ = write!(s, "{c:>w$}  ", w = widths[i]);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", clip(&s, width));
    }
}

/// The observed part of the table: sends per day (with a bar), per step, and the
/// collisions with the static conflicts they confirm.
fn observed_table(view: &CalendarView, o: &Observed, width: usize, out: &mut String) {
    let span = match (&o.first_day, &o.last_day) {
        (Some(a), Some(b)) if a == b => format!(", {a}"),
        (Some(a), Some(b)) => format!(", {a} to {b}"),
        _ => String::new(),
    };
    out.push('\n');
    wrap(
        &format!(
            "Observed in {}: {}, {} to {} of {}{span}",
            o.trace,
            count(o.rows, "row"),
            count(o.sends, "send"),
            o.reached,
            count(o.customers, "customer"),
        ),
        "  ",
        width,
        out,
    );
    let zones = if o.customer_zones { "duplicates: each customer's own zone" } else { "duplicates too" };
    wrap(
        &format!(
            "  days: {} ({zones}); conflict window {}",
            o.timezone,
            journey_check::analysis::logic::fmt_minutes(o.conflict_window_minutes)
        ),
        "  ",
        width,
        out,
    );

    // sends per day: channels in declaration order, then a bar
    out.push_str("\nSends per day\n");
    let channels: Vec<&str> =
        view.channels.iter().map(String::as_str).filter(|c| o.channels.iter().any(|v| v.channel == *c)).collect();
    let channels: Vec<&str> = channels
        .into_iter()
        .chain(o.channels.iter().map(|v| v.channel.as_str()).filter(|c| !view.channels.iter().any(|v| v == c)))
        .collect();
    if o.days.is_empty() {
        out.push_str("  No rows in the trace.\n");
    } else {
        let max = o.days.iter().map(|d| d.sends).max().unwrap_or(0).max(1);
        let bar_width = 30u64;
        let mut rows = vec![];
        let mut head = vec!["DATE".to_string(), "DAY".to_string(), "SENDS".to_string()];
        head.extend(channels.iter().map(|c| c.to_string()));
        head.push(String::new());
        rows.push(head);
        for d in &o.days {
            let mut r = vec![d.date.clone(), d.weekday.clone(), d.sends.to_string()];
            r.extend(channels.iter().map(|c| d.channels.get(*c).copied().unwrap_or(0).to_string()));
            let n = if d.sends == 0 { 0 } else { (d.sends * bar_width).div_ceil(max) };
            r.push("█".repeat(n as usize));
            rows.push(r);
        }
        let mut right = vec![false, false, true];
        right.extend(channels.iter().map(|_| true));
        grid(&rows, &right, width, out);
    }

    // per step, grouped by journey so that the template keeps room
    out.push_str("\nSends per step\n");
    if o.steps.is_empty() {
        out.push_str("  No message sends in the trace.\n");
    } else {
        let mut rows = vec![["  NODE", "CHANNEL", "SENDS", "DAYS", "PEAK DAY", "TEMPLATE"]
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()];
        let mut last = "";
        for s in &o.steps {
            if s.journey != last {
                last = &s.journey;
                rows.push(vec![s.journey.clone()]);
            }
            rows.push(vec![
                format!("  {}", s.node),
                s.channel.clone(),
                s.sends.to_string(),
                s.days_active.to_string(),
                format!("{} ({})", s.peak_day, s.peak),
                s.template.clone(),
            ]);
        }
        grid(&rows, &[false, false, true, true, false], width, out);
    }

    out.push_str("\nObserved collisions\n");
    if o.collisions.is_empty() {
        out.push_str("  None: no customer got the same template twice in a day, conflicting tags within the window, or sends over a cap.\n");
    }
    for (i, c) in o.collisions.iter().enumerate() {
        let head = format!(
            "  {}. {} {}: {}, {}",
            i + 1,
            c.kind,
            c.journeys.join(" + "),
            count(c.customers, "customer"),
            times(c.occurrences)
        );
        let _ = writeln!(out, "{}", clip(&head, width));
        if !c.confirms.is_empty() {
            let _ = writeln!(out, "{}", clip(&format!("       confirms {}", confirms_text(c)), width));
        }
        for s in &c.subjects {
            let line = format!("       {} ({}, {})", s.subject, count(s.customers, "customer"), times(s.occurrences));
            let _ = writeln!(out, "{}", clip(&line, width));
        }
        let _ = writeln!(out, "{}", clip(&format!("       e.g. {}:", c.example.customer), width));
        for s in &c.example.sends {
            let line = format!("         {} {}/{} {} \"{}\"", s.time, s.journey, s.node, s.channel, s.template);
            let _ = writeln!(out, "{}", clip(&line, width));
        }
    }
}

/// Word-wrap `s` to `width` columns, continuing lines with `indent`.
fn wrap(s: &str, indent: &str, width: usize, out: &mut String) {
    let body = s.trim_start();
    let mut line = s[..s.len() - body.len()].to_string();
    // the line's length in characters and whether it is all whitespace, kept as it
    // grows: counting them again for every word made a conflict's message of
    // thousands of names quadratic
    let mut len = line.chars().count();
    let mut blank = true;
    for word in body.split(' ') {
        let word_len = word.chars().count();
        if !blank && len + 1 + word_len > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line.clear();
            line.push_str(indent);
            len = indent.chars().count();
            blank = indent.trim().is_empty();
        } else if !blank {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += word_len;
        blank &= word.trim().is_empty();
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
///
/// With a trace ([`crate::observe`]) three columns follow: `observed_sends` (the
/// step's sends in the trace), `observed_days` (`2025-01-06=12;2025-01-07=3`, days
/// with sends) and `observed_collisions` (`conflicting_tags onboarding +
/// weekly_roast_drop: 14 customers; …`, the collisions the step is part of).
pub fn csv(view: &CalendarView) -> String {
    let mut out = String::from(
        "week,day,time,offset_minutes,journey,stage,node,channel,template,tags,audience,trigger,goals,priority,conflicts",
    );
    if view.observed.is_some() {
        out.push_str(",observed_sends,observed_days,observed_collisions");
    }
    out.push_str("\r\n");
    // each step's observed figures, looked up once per row rather than searched
    let steps_of: std::collections::HashMap<(&str, &str), &crate::observed::StepVolume> =
        view.observed.iter().flat_map(|o| o.steps.iter().map(|s| ((s.journey.as_str(), s.node.as_str()), s))).collect();
    for r in view.by_time() {
        let mut cols = vec![
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
        if let Some(o) = &view.observed {
            let step = steps_of.get(&(r.journey.as_str(), r.node.as_str()));
            cols.push(step.map_or(0, |s| s.sends).to_string());
            cols.push(
                step.map(|s| s.per_day.iter().map(|(d, n)| format!("{d}={n}")).collect::<Vec<_>>().join(";"))
                    .unwrap_or_default(),
            );
            let id = format!("{}/{}", r.journey, r.node);
            cols.push(
                o.collisions
                    .iter()
                    .filter(|c| c.steps.contains(&id))
                    .map(|c| format!("{} {}: {}", c.kind, c.journeys.join(" + "), count(c.customers, "customer")))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        let cols: Vec<String> = cols.iter().map(|c| field(c)).collect();
        out.push_str(&cols.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `grid_line` against the line it replaced: the cells joined with `format!`
    /// padding, then `clip`, on seeded random cells (wide, accented and trailing
    /// white-space characters, lines shorter and longer than the width).
    #[test]
    fn grid_line_draws_what_clip_of_the_joined_line_drew() {
        let pieces = ["a", "send", "j12", " ", "é", "中", "…", "\u{3000}", "x y", "-"];
        let mut seed = 0xca1e_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        for _ in 0..20_000 {
            let cells: Vec<String> =
                (0..1 + next(8)).map(|_| (0..next(12)).map(|_| pieces[next(pieces.len())]).collect()).collect();
            let widths: Vec<usize> = cells.iter().map(|c| c.chars().count() + next(3)).collect();
            let width = 40 + next(60);
            let mut joined = String::from("  ");
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    joined.push_str(cell);
                } else {
                    let _ = write!(joined, "{cell:<w$}  ", w = widths[i]);
                }
            }
            let want = format!("{}\n", clip(&joined, width));
            let mut got = String::from("before\n");
            grid_line(&cells, &widths, width, &mut got);
            assert_eq!(got, format!("before\n{want}"), "{cells:?} in {width}");
        }
    }

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

    /// `wrap` as it was, counting the line again for every word: the oracle.
    fn wrap_plainly(s: &str, indent: &str, width: usize, out: &mut String) {
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

    /// Seeded random texts of words, runs of spaces, tabs and wide characters, at
    /// every width: the same lines as the plain wrap.
    #[test]
    fn wraps_as_the_plain_wrap() {
        let mut seed = 0x5eed_u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let pieces = ["J605", "a", "warning:", "`onboarding`", "", " ", "\t", "ü", "日本語", "x\ty", "and", "12 more"];
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next(30) {
                text.push_str(pieces[next(pieces.len() as u64) as usize]);
                text.push(' ');
            }
            let indent = ["", "  ", "       ", "\t"][next(4) as usize];
            let width = next(40) as usize;
            let (mut fast, mut plain) = (String::new(), String::new());
            wrap(&text, indent, width, &mut fast);
            wrap_plainly(&text, indent, width, &mut plain);
            assert_eq!(fast, plain, "{text:?} at {width} with indent {indent:?}");
        }
    }

    #[test]
    fn clips_a_joined_list_as_the_whole_list() {
        let items: Vec<String> = (0..200).map(|i| format!("journey_{i}")).collect();
        for width in [1, 10, 17, 18, 19, 40, 100, 3000] {
            for n in [0, 1, 2, 5, 200] {
                let whole = clip(&format!("  journeys: {}", items[..n].join(", ")), width);
                assert_eq!(clip_joined("  journeys: ", &items[..n], ", ", width), whole, "width {width}, {n} items");
            }
        }
    }

    #[test]
    fn clips_with_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc  ", 10), "abc");
    }
}
