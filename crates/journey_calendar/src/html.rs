//! One self-contained HTML page: weeks after entry as columns, a row per journey,
//! send chips coloured by channel, conflicts outlined with their codes, and legends.
//! Inline CSS only: no scripts, fonts or images to fetch.

use crate::{offset_text, CalendarView, SendRow};
use std::fmt::Write;

/// Channel colours, by position in [`CalendarView::channels`] (cycled).
const PALETTE: [&str; 8] = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#475569"];

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2937; background: #f8fafc; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p.lead { margin: 0 0 16px; color: #4b5563; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0 16px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 8px; vertical-align: top; text-align: left; }
thead th { background: #f1f5f9; position: sticky; top: 0; font-weight: 600; white-space: nowrap; }
th.journey { font-weight: normal; word-break: break-word; }
col.journey { width: 280px; }
th.journey .name { font-weight: 600; }
th.journey .meta { color: #6b7280; font-size: 12px; }
.chip { display: block; color: #fff; border-radius: 6px; padding: 4px 8px; margin: 0 0 6px; font-size: 12px; border: 2px solid transparent; }
.chip .when { opacity: .85; font-size: 11px; }
.chip .tpl { font-weight: 600; word-break: break-word; }
.chip.conflict { border-color: #dc2626; box-shadow: 0 0 0 2px #fecaca; }
.chip.conflict.warning { border-color: #f59e0b; box-shadow: 0 0 0 2px #fde68a; }
.code { display: inline-block; background: #fee2e2; color: #991b1b; border-radius: 4px; padding: 0 5px; margin: 2px 4px 0 0; font: 600 11px/1.5 ui-monospace, monospace; }
.code.warning { background: #fef3c7; color: #92400e; }
.code.info { background: #e0f2fe; color: #075985; }
ul.conflicts { padding-left: 0; list-style: none; }
ul.conflicts li { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 10px; margin-bottom: 6px; }
.muted { color: #6b7280; }
"#;

fn chip(r: &SendRow, color: &str, out: &mut String) {
    let when = match &r.time {
        Some(t) => format!("day {} {t}", r.day),
        None => format!("day {} ({})", r.day, offset_text(r.offset_minutes)),
    };
    let class = if r.conflicts.is_empty() {
        "chip"
    } else if r.conflicts.iter().any(|c| c.severity == "error") {
        "chip conflict error"
    } else {
        "chip conflict warning"
    };
    let _ = write!(
        out,
        "<div class=\"{class}\" style=\"background:{color}\" title=\"{} · {}\"><div class=\"when\">{} · {}</div><div class=\"tpl\">{}</div>",
        esc(&r.stage),
        esc(&r.node),
        esc(&when),
        esc(&r.channel),
        esc(&r.template)
    );
    for c in &r.conflicts {
        let _ = write!(
            out,
            "<span class=\"code {}\" title=\"with {}\">{}</span>",
            esc(&c.severity),
            esc(&c.partners.join(", ")),
            esc(&c.code)
        );
    }
    out.push_str("</div>");
}

/// The calendar as one self-contained page.
pub fn html(view: &CalendarView) -> String {
    let color = |channel: &str| {
        let i = view.channels.iter().position(|c| c == channel).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>Messaging calendar</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<h1>Messaging calendar</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"lead\">{}, {}, {}. Each send is placed at its earliest time after the customer enters the journey (week 1 starts at entry).</p>",
        count(view.journeys.len(), "journey"),
        count(view.sends.len(), "send"),
        count(view.conflicts.len(), "conflict")
    );
    out.push_str("<div class=\"legend\"><strong>Channels</strong>");
    for c in &view.channels {
        let _ = write!(out, "<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>", color(c), esc(c));
    }
    out.push_str("</div>\n");
    let mut codes: Vec<(&str, &str)> = view.conflicts.iter().map(|c| (c.code.as_str(), c.severity.as_str())).collect();
    codes.sort();
    codes.dedup_by(|a, b| a.0 == b.0);
    if !codes.is_empty() {
        out.push_str("<div class=\"legend\"><strong>Conflicts</strong>");
        for (code, sev) in &codes {
            let _ = write!(
                out,
                "<span><span class=\"code {}\">{}</span>{}</span>",
                esc(sev),
                esc(code),
                esc(rule_name(code))
            );
        }
        out.push_str("</div>\n");
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table style=\"min-width:{}px\">\n<colgroup><col class=\"journey\">",
        280 + 190 * view.weeks
    );
    for _ in 1..=view.weeks {
        out.push_str("<col class=\"week\">");
    }
    out.push_str("</colgroup>\n<thead><tr><th>Journey</th>");
    for w in 1..=view.weeks {
        let _ = write!(out, "<th>Week {w}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for j in &view.journeys {
        let _ = write!(
            out,
            "<tr id=\"journey-{}\"><th class=\"journey\" scope=\"row\"><div class=\"name\">{}</div><div class=\"meta\">priority {} · {}</div>",
            esc(&j.name),
            esc(&j.name),
            j.priority,
            esc(&j.trigger)
        );
        if let Some(a) = &j.audience {
            let _ = write!(out, "<div class=\"meta\">audience: {}</div>", esc(a));
        }
        if !j.goals.is_empty() {
            let _ = write!(out, "<div class=\"meta\">goals: {}</div>", esc(&j.goals.join(", ")));
        }
        for code in &j.conflicts {
            let sev = view.conflicts.iter().find(|c| &c.code == code).map_or("error", |c| c.severity.as_str());
            let _ = write!(out, "<span class=\"code {}\">{}</span>", esc(sev), esc(code));
        }
        out.push_str("</th>");
        let rows: Vec<&SendRow> = view.by_time().into_iter().filter(|r| r.journey == j.name).collect();
        for w in 1..=view.weeks {
            out.push_str("<td class=\"week\">");
            for r in rows.iter().filter(|r| r.week == w) {
                chip(r, color(&r.channel), &mut out);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    out.push_str("<h2>Conflicts</h2>\n");
    if view.conflicts.is_empty() {
        out.push_str("<p class=\"muted\">No conflicts between journeys.</p>\n");
    } else {
        out.push_str("<ul class=\"conflicts\">\n");
        for c in &view.conflicts {
            let _ = writeln!(
                out,
                "<li><span class=\"code {}\">{}</span> <strong>{}</strong> {} <span class=\"muted\">({})</span></li>",
                esc(&c.severity),
                esc(&c.code),
                esc(&c.severity),
                esc(&c.message),
                esc(&c.journeys.join(", "))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// `1 send`, `2 sends`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What each calendar rule is about, for the legend.
fn rule_name(code: &str) -> &'static str {
    match code {
        "J601" => "duplicate send",
        "J602" => "conflicting tags",
        "J603" => "caps summed across journeys",
        "J604" => "win-back reaches active customers",
        "J605" => "equal priority",
        "J606" => "concurrent experiments",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
