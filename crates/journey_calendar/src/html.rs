//! One self-contained HTML page with two views of the same sends: by date (what goes
//! out on which day across all journeys, see [`crate::dates`]) and weeks after entry
//! (a row per journey, what one customer gets), send chips coloured by channel,
//! conflicts outlined in their severity as journey.yaml sets it, the conflict list
//! grouped by rule and then by the journeys involved, and legends.
//! Inline CSS only: no scripts, fonts or images to fetch.

use crate::dates::{date_view, DateView};
use crate::observed::Observed;
use crate::text::times;
use crate::{offset_text, CalendarView, SendRow};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, HashMap};
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
.chip .obs { font-size: 11px; opacity: .9; }
.observed { background: #ecfdf5; color: #065f46; border-radius: 4px; padding: 0 5px; font-size: 12px; }
.observed.none { background: #f1f5f9; color: #475569; }
.strip { display: flex; align-items: flex-end; gap: 1px; height: 140px; padding: 8px 8px 0; min-width: 100%; }
.strip .d { flex: 1 0 4px; min-width: 4px; height: 100%; display: flex; flex-direction: column-reverse; }
.strip .d span { display: block; width: 100%; }
.strip .d.weekend { background: #f8fafc; }
.ticks { display: flex; gap: 1px; padding: 2px 8px 8px; min-width: 100%; font-size: 10px; color: #6b7280; }
.ticks span { flex: 1 0 4px; min-width: 4px; white-space: nowrap; overflow: visible; }
table.obs { table-layout: auto; }
table.obs td.n, table.obs th.n { text-align: right; font-variant-numeric: tabular-nums; }
ol.collisions { padding-left: 24px; }
ol.collisions > li { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 10px; margin-bottom: 6px; }
.kind { display: inline-block; background: #fee2e2; color: #991b1b; border-radius: 4px; padding: 0 5px; font: 600 11px/1.5 ui-monospace, monospace; }
ol.collisions ul { margin: 4px 0; padding-left: 18px; }
.example { font: 12px/1.5 ui-monospace, monospace; color: #374151; }
.chip.conflict.info { border-color: #7dd3fc; box-shadow: none; }
code { font: 12px/1.4 ui-monospace, monospace; background: #f1f5f9; border-radius: 3px; padding: 0 3px; }
nav.views { margin: 8px 0 0; }
nav.views a { margin-right: 12px; }
table.bydate { table-layout: fixed; min-width: 980px; }
table.bydate th { text-align: center; }
table.bydate td { height: 84px; border-left: 1px solid #e5e7eb; padding: 4px; }
table.bydate td.cal-weekend { background: #f8fafc; }
table.bydate td.cal-out { background: #f1f5f9; }
.cal-day { font-size: 11px; color: #6b7280; font-weight: 600; margin-bottom: 2px; }
.cal-send { font-size: 11px; border-left: 4px solid #94a3b8; background: #f8fafc; border-radius: 3px; padding: 1px 4px; margin-bottom: 3px; word-break: break-word; }
.cal-send .code { font-size: 10px; margin: 0 0 0 3px; }
.cal-obs { font-size: 11px; color: #065f46; margin-bottom: 2px; word-break: break-word; }
.cal-obs .swatch { display: inline-block; width: 8px; height: 8px; border-radius: 2px; margin-right: 3px; }
details.rule { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 6px 10px; margin-bottom: 8px; }
details.rule > summary { cursor: pointer; }
.group h4 { font-size: 13px; margin: 10px 0 4px; }
"#;

fn chip(r: &SendRow, color: &str, observed: Option<u64>, out: &mut String) {
    let when = match &r.time {
        Some(t) => format!("day {} {t}", r.day),
        None => format!("day {} ({})", r.day, offset_text(r.offset_minutes)),
    };
    // outlined in the worst severity of its conflicts: an info-only send (a rule
    // journey.yaml set to info) is not drawn as a warning
    let class = match worst(r.conflicts.iter().map(|c| c.severity.as_str())) {
        None => "chip",
        Some("error") => "chip conflict error",
        Some("warning") => "chip conflict warning",
        Some(_) => "chip conflict info",
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
    if let Some(n) = observed {
        let _ = write!(out, "<div class=\"obs\">{n} sent in the trace</div>");
    }
    for c in &r.conflicts {
        let _ = write!(
            out,
            "<span class=\"code {}\" title=\"with {}\">{}</span>",
            esc(&c.severity),
            esc(&crate::names_and_more(&c.partners[..], c.more)),
            esc(&c.code)
        );
    }
    out.push_str("</div>");
}

/// The calendar as one self-contained page, its date view starting where
/// [`crate::dates::window`] says without `--from`.
pub fn html(view: &CalendarView) -> String {
    html_from(view, None)
}

/// The calendar as one self-contained page, its date view starting on `from` when
/// given.
pub fn html_from(view: &CalendarView, from: Option<NaiveDate>) -> String {
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
    let tasks = if view.tasks.is_empty() { String::new() } else { format!("{}, ", count(view.tasks.len(), "task")) };
    let _ = writeln!(
        out,
        "<p class=\"lead\">{}, {}, {tasks}{}.</p>",
        count(view.journeys.len(), "journey"),
        count(view.sends.len(), "send"),
        count(view.conflicts.len(), "conflict")
    );
    out.push_str("<nav class=\"views\"><a href=\"#dates\">By date</a><a href=\"#weeks\">Weeks after entry</a>");
    if !view.tasks.is_empty() {
        out.push_str("<a href=\"#tasks\">Tasks</a>");
    }
    out.push_str("<a href=\"#conflicts\">Conflicts</a>");
    if view.observed.is_some() {
        out.push_str("<a href=\"#observed\">Observed</a>");
    }
    out.push_str("</nav>\n");
    out.push_str("<div class=\"legend\"><strong>Channels</strong>");
    for c in &view.channels {
        let _ = write!(out, "<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>", color(c), esc(c));
    }
    out.push_str("</div>\n");
    // the worst severity of each code, as the project set it
    let mut codes: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &view.conflicts {
        let e = codes.entry(c.code.as_str()).or_insert(c.severity.as_str());
        *e = worst([*e, c.severity.as_str()]).unwrap_or("info");
    }
    if !codes.is_empty() {
        out.push_str("<div class=\"legend\"><strong>Conflicts</strong>");
        for (code, sev) in &codes {
            let _ = write!(
                out,
                "<span><span class=\"code {}\">{}</span>{} <span class=\"muted\">({})</span></span>",
                esc(sev),
                esc(code),
                esc(rule_name(code)),
                esc(sev)
            );
        }
        out.push_str("</div>\n");
    }
    dates_html(view, &date_view(view, from), &color, &mut out);
    weeks_html(view, &color, &mut out);
    tasks_html(view, &mut out);
    conflicts_html(view, &mut out);
    if let Some(o) = &view.observed {
        observed_html(view, o, &color, &mut out);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The worst of some severities (`error`, `warning`, `info`), `None` for none.
fn worst<'a>(severities: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let rank = |s: &str| match s {
        "error" => 2,
        "warning" => 1,
        _ => 0,
    };
    severities.into_iter().max_by_key(|s| rank(s))
}

/// The date view: a month-like grid, Monday to Sunday, of the window's dates.
fn dates_html(view: &CalendarView, dv: &DateView, color: &dyn Fn(&str) -> &'static str, out: &mut String) {
    out.push_str("<section id=\"dates\">\n<h2>By date</h2>\n");
    let scheduled = view.journeys.iter().filter(|j| j.schedule.is_some()).count();
    let local = view.journeys.iter().any(|j| j.schedule.as_ref().is_some_and(|s| s.zone.is_none()));
    let mut lead = format!(
        "What goes out on each date from {} to {} (starting on {}): the sends of {} that enter on a schedule",
        dv.first,
        dv.last,
        dv.origin,
        count(scheduled, "journey")
    );
    if local {
        lead.push_str(&format!(
            " (times of <code>local</code> schedules are shown in {}, the zone of customers without one)",
            esc(&view.timezone)
        ));
    }
    if view.observed.is_some() {
        lead.push_str(", and the sends the trace shows on each day, per journey and channel");
    } else {
        lead.push_str(". Journeys entered on an event or an audience change send when customers act: add <code>--trace</code> to see what a simulation sent on each day");
    }
    lead.push('.');
    if dv.cut {
        lead.push_str(&format!(
            " The trace goes on after {}: <code>--from</code> moves the {}-week window.",
            dv.last,
            crate::dates::MAX_WEEKS
        ));
    }
    let _ = writeln!(out, "<p class=\"lead\">{lead}</p>");
    let monday = dv.first - chrono::Duration::days(i64::from(dv.first.weekday().num_days_from_monday()));
    let sunday = dv.last + chrono::Duration::days(6 - i64::from(dv.last.weekday().num_days_from_monday()));
    out.push_str("<div class=\"scroll\"><table class=\"bydate\">\n<thead><tr>");
    for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
        let _ = write!(out, "<th>{d}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut day = monday;
    while day <= sunday {
        if day.weekday().num_days_from_monday() == 0 {
            out.push_str("<tr>");
        }
        let weekend = day.weekday().num_days_from_monday() >= 5;
        match dv.days.iter().find(|d| d.date == day) {
            None => out.push_str("<td class=\"cal-out\"></td>"),
            Some(d) => {
                let _ = write!(
                    out,
                    "<td id=\"date-{day}\"{}><div class=\"cal-day\">{}</div>",
                    if weekend { " class=\"cal-weekend\"" } else { "" },
                    day.format("%b %-d")
                );
                for s in &d.scheduled {
                    let r = &view.sends[s.send];
                    let _ = write!(
                        out,
                        "<div class=\"cal-send\" style=\"border-left-color:{}\" title=\"{} · {} · {}, {}\">{} <strong>{}</strong> {} \u{201c}{}\u{201d}",
                        color(&r.channel),
                        esc(&r.stage),
                        esc(&r.node),
                        esc(&s.time),
                        esc(&s.zone),
                        esc(&s.time),
                        esc(&r.journey),
                        esc(&r.channel),
                        esc(&r.template)
                    );
                    for c in &r.conflicts {
                        let _ = write!(
                            out,
                            "<span class=\"code {}\" title=\"with {}\">{}</span>",
                            esc(&c.severity),
                            esc(&crate::names_and_more(&c.partners[..], c.more)),
                            esc(&c.code)
                        );
                    }
                    out.push_str("</div>");
                }
                for o in &d.observed {
                    let _ = write!(
                        out,
                        "<div class=\"cal-obs\"><span class=\"swatch\" style=\"background:{}\"></span>{} {}: {} sent</div>",
                        color(&o.channel),
                        esc(&o.journey),
                        esc(&o.channel),
                        o.sends
                    );
                }
                out.push_str("</td>");
            }
        }
        if day.weekday().num_days_from_monday() == 6 {
            out.push_str("</tr>\n");
        }
        day += chrono::Duration::days(1);
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// The weeks-after-entry view: a row per journey, a column per week.
fn weeks_html(view: &CalendarView, color: &dyn Fn(&str) -> &'static str, out: &mut String) {
    out.push_str("<section id=\"weeks\">\n<h2>Weeks after entry</h2>\n");
    out.push_str("<p class=\"lead\">Each send is placed at its earliest time after the customer enters the journey (week 1 starts at entry).</p>\n");
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
    // rows by journey (in time order) and severities by (journey, code), looked up
    // once: one pass over the sends and conflicts, not one per journey
    let mut rows_of: HashMap<&str, Vec<&SendRow>> = HashMap::new();
    for r in view.by_time() {
        rows_of.entry(r.journey.as_str()).or_default().push(r);
    }
    let mut severity_of: HashMap<(&str, &str), &str> = HashMap::new();
    // a grouped conflict (J605, J606) is about every journey of its group and of its
    // partner groups: the worst severity per group first, then per journey
    let mut of_group: Vec<Option<&str>> = vec![None; view.groups.len()];
    for c in &view.conflicts {
        for j in &c.journeys {
            let e = severity_of.entry((j.as_str(), c.code.as_str())).or_insert(c.severity.as_str());
            *e = worst([*e, c.severity.as_str()]).unwrap_or("info");
        }
        for &g in c.group.iter().chain(&c.partner_groups) {
            of_group[g] = worst(of_group[g].into_iter().chain([c.severity.as_str()]));
        }
    }
    for (g, sev) in view.groups.iter().zip(&of_group) {
        let Some(sev) = *sev else { continue };
        for j in &g.journeys {
            let e = severity_of.entry((j.as_str(), g.code.as_str())).or_insert(sev);
            *e = worst([*e, sev]).unwrap_or("info");
        }
    }
    let sends_of: HashMap<(&str, &str), u64> = view
        .observed
        .iter()
        .flat_map(|o| o.steps.iter().map(|s| ((s.journey.as_str(), s.node.as_str()), s.sends)))
        .collect();
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
        if j.never_enters {
            out.push_str("<div class=\"meta\">never entered: no customer can pass this entry (J315), so its sends are not placed</div>");
        }
        for code in &j.conflicts {
            let sev = severity_of.get(&(j.name.as_str(), code.as_str())).copied().unwrap_or("error");
            let _ = write!(out, "<span class=\"code {}\">{}</span>", esc(sev), esc(code));
        }
        out.push_str("</th>");
        let rows: &[&SendRow] = rows_of.get(j.name.as_str()).map_or(&[], |v| v.as_slice());
        for w in 1..=view.weeks {
            out.push_str("<td class=\"week\">");
            for r in rows.iter().filter(|r| r.week == w) {
                let sent = view
                    .observed
                    .as_ref()
                    .map(|_| sends_of.get(&(r.journey.as_str(), r.node.as_str())).copied().unwrap_or(0));
                chip(r, color(&r.channel), sent, out);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// issue 15: the tasks for teams, in calendar order: who gets each and when it is due.
/// No section when the program has no task (pages of programs without tasks are
/// unchanged).
fn tasks_html(view: &CalendarView, out: &mut String) {
    if view.tasks.is_empty() {
        return;
    }
    out.push_str("<section id=\"tasks\">\n<h2>Tasks</h2>\n");
    out.push_str("<p class=\"lead\">Work for a team, placed at its earliest time after entry; tasks are not messages, so no cap or conflict counts them.</p>\n");
    out.push_str("<div class=\"scroll\"><table class=\"obs\">\n<thead><tr><th class=\"n\">Week</th><th>Day</th><th>At</th><th>Journey</th><th>Stage</th><th>Queue</th><th>Owner</th><th>Due</th><th>Priority</th><th>Title</th></tr></thead>\n<tbody>\n");
    for t in view.tasks_by_time() {
        let at = t.time.clone().unwrap_or_else(|| crate::offset_text(t.offset_minutes));
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td><a href=\"#journey-{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t.week,
            t.day,
            esc(&at),
            esc(&t.journey),
            esc(&t.journey),
            esc(&t.stage),
            esc(&t.queue),
            esc(&t.owner),
            esc(t.due.as_deref().unwrap_or("-")),
            esc(&t.priority),
            esc(&t.title)
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// The conflict list, grouped by rule (in code order) and then by the journeys
/// involved; each conflict keeps its number (`#conflict-N`), which the observed
/// collisions link to.
fn conflicts_html(view: &CalendarView, out: &mut String) {
    out.push_str("<section id=\"conflicts\">\n<h2>Conflicts</h2>\n");
    if view.conflicts.is_empty() {
        out.push_str("<p class=\"muted\">No conflicts between journeys.</p>\n</section>\n");
        return;
    }
    let mut by_rule: BTreeMap<&str, BTreeMap<Vec<&str>, Vec<usize>>> = BTreeMap::new();
    for (i, c) in view.conflicts.iter().enumerate() {
        let mut journeys: Vec<&str> = c.journeys.iter().map(String::as_str).collect();
        journeys.sort_unstable();
        by_rule.entry(c.code.as_str()).or_default().entry(journeys).or_default().push(i);
    }
    for (code, groups) in &by_rule {
        let all: Vec<usize> = groups.values().flatten().copied().collect();
        let sev = worst(all.iter().map(|&i| view.conflicts[i].severity.as_str())).unwrap_or("info");
        // by severity, in the order people act on them
        let mut tally = Vec::new();
        for s in ["error", "warning", "info"] {
            let n = all.iter().filter(|&&i| view.conflicts[i].severity == s).count();
            if n > 0 {
                tally.push(format!("{n} {s}"));
            }
        }
        // rules with errors or warnings open; a rule kept as info folded
        let open = if sev == "info" { "" } else { " open" };
        let _ = writeln!(
            out,
            "<details class=\"rule\" id=\"rule-{code}\"{open}><summary><span class=\"code {}\">{}</span> <strong>{}</strong> <span class=\"muted\">{}, {}: {}</span></summary>",
            esc(sev),
            esc(code),
            esc(rule_name(code)),
            count(all.len(), "finding"),
            count(groups.len(), "group"),
            esc(&tally.join(", "))
        );
        for (journeys, list) in groups {
            let _ =
                write!(out, "<div class=\"group\"><h4>{}</h4>\n<ul class=\"conflicts\">\n", esc(&journeys.join(" + ")));
            for &i in list {
                conflict_item(view, i, out);
            }
            out.push_str("</ul></div>\n");
        }
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

fn conflict_item(view: &CalendarView, i: usize, out: &mut String) {
    let c = &view.conflicts[i];
    // with a trace, conflicts are numbered: observed collisions refer to them
    let number =
        if view.observed.is_some() { format!("<span class=\"muted\">#{}</span> ", i + 1) } else { String::new() };
    // a conflict on audiences that only may overlap says so
    let may = if c.may_overlap { " (may overlap)" } else { "" };
    let _ = write!(
        out,
        "<li id=\"conflict-{}\">{number}<span class=\"code {}\">{}</span> <strong>{}{may}</strong> {}",
        i + 1,
        esc(&c.severity),
        esc(&c.code),
        esc(&c.severity),
        inline_code(&c.message)
    );
    if let Some(o) = &c.observed {
        if o.customers == 0 {
            out.push_str(" <span class=\"observed none\">not observed in the trace</span>");
        } else {
            let links: Vec<String> =
                o.collisions.iter().map(|k| format!("<a href=\"#collision-{}\">{}</a>", k + 1, k + 1)).collect();
            let _ = write!(
                out,
                " <span class=\"observed\">observed: {}, {} (collision {})</span>",
                count(o.customers as usize, "customer"),
                times(o.occurrences),
                links.join(", ")
            );
        }
    }
    out.push_str("</li>\n");
}

/// A diagnostic message as HTML: escaped, its `code spans` as `<code>` (the
/// messages are written for terminals, where backticks mark names).
fn inline_code(message: &str) -> String {
    let parts: Vec<&str> = message.split('`').collect();
    // an unpaired backtick (odd count) stays a backtick
    let paired = parts.len() % 2 == 1;
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 && (paired || i + 1 < parts.len()) {
            let _ = write!(out, "<code>{}</code>", esc(p));
        } else {
            if i > 0 && i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&esc(p));
        }
    }
    out
}

/// The observed section: a strip of sends per day stacked by channel, sends per
/// step, and the collisions with links to the static conflicts they confirm.
fn observed_html(view: &CalendarView, o: &Observed, color: &dyn Fn(&str) -> &'static str, out: &mut String) {
    let span = match (&o.first_day, &o.last_day) {
        (Some(a), Some(b)) if a == b => format!(" on {a}"),
        (Some(a), Some(b)) => format!(" from {a} to {b}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "<h2 id=\"observed\">Observed in {}</h2>", esc(&o.trace));
    let _ = writeln!(
        out,
        "<p class=\"lead\">{} rows{}: {} to {} of {}. Days are in {}; same-day duplicates are judged {}; the conflict window is {}.</p>",
        o.rows,
        esc(&span),
        count(o.sends as usize, "send"),
        o.reached,
        count(o.customers as usize, "customer"),
        esc(&o.timezone),
        if o.customer_zones { "in each customer's own zone" } else { "in that zone too" },
        esc(&journey_check::analysis::logic::fmt_minutes(o.conflict_window_minutes))
    );
    // channels in the calendar's order (for colours), then any others
    let mut channels: Vec<&str> =
        view.channels.iter().map(String::as_str).filter(|c| o.channels.iter().any(|v| v.channel == *c)).collect();
    for v in &o.channels {
        if !channels.contains(&v.channel.as_str()) {
            channels.push(&v.channel);
        }
    }
    out.push_str("<h3>Sends per day</h3>\n<div class=\"legend\">");
    for c in &channels {
        let total = o.channels.iter().find(|v| v.channel == *c).map_or(0, |v| v.sends);
        let _ = write!(
            out,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{} ({total})</span>",
            color(c),
            esc(c)
        );
    }
    out.push_str("</div>\n");
    if o.days.is_empty() {
        out.push_str("<p class=\"muted\">No rows in the trace.</p>\n");
    } else {
        let max = o.days.iter().map(|d| d.sends).max().unwrap_or(0).max(1);
        let _ = write!(
            out,
            "<div class=\"scroll\"><div class=\"strip\" role=\"img\" aria-label=\"sends per day, highest {max}\" style=\"min-width:{}px\">",
            o.days.len() * 5 + 16
        );
        for d in &o.days {
            let parts: Vec<String> =
                channels.iter().filter_map(|c| d.channels.get(*c).map(|n| format!("{c} {n}"))).collect();
            let weekend = if d.weekday == "sat" || d.weekday == "sun" { " weekend" } else { "" };
            let _ = write!(
                out,
                "<div class=\"d{weekend}\" title=\"{} {}: {}{}\">",
                esc(&d.date),
                esc(&d.weekday),
                count(d.sends as usize, "send"),
                esc(&if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) })
            );
            for c in &channels {
                if let Some(n) = d.channels.get(*c) {
                    let pct = *n as f64 * 100.0 / max as f64;
                    let _ = write!(out, "<span style=\"height:{pct:.2}%;background:{}\"></span>", color(c));
                }
            }
            out.push_str("</div>");
        }
        out.push_str("</div>\n<div class=\"ticks\" aria-hidden=\"true\">");
        for (i, d) in o.days.iter().enumerate() {
            // a label on every Monday (and the first day)
            if i == 0 || d.weekday == "mon" {
                let _ = write!(out, "<span>{}</span>", esc(&d.date[5..]));
            } else {
                out.push_str("<span></span>");
            }
        }
        out.push_str("</div></div>\n");
    }
    out.push_str("<h3>Sends per step</h3>\n");
    if o.steps.is_empty() {
        out.push_str("<p class=\"muted\">No message sends in the trace.</p>\n");
    } else {
        out.push_str("<div class=\"scroll\"><table class=\"obs\"><thead><tr><th>Journey</th><th>Node</th><th>Channel</th><th>Template</th><th class=\"n\">Sends</th><th class=\"n\">Days</th><th>Peak day</th></tr></thead>\n<tbody>\n");
        for s in &o.steps {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><span class=\"swatch\" style=\"display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;background:{}\"></span>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} ({})</td></tr>",
                esc(&s.journey),
                esc(&s.node),
                color(&s.channel),
                esc(&s.channel),
                esc(&s.template),
                s.sends,
                s.days_active,
                esc(&s.peak_day),
                s.peak
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("<h3>Observed collisions</h3>\n");
    if o.collisions.is_empty() {
        out.push_str("<p class=\"muted\">None: no customer got the same template twice in a day, conflicting tags within the window, or sends over a cap.</p>\n");
        return;
    }
    out.push_str("<ol class=\"collisions\">\n");
    for (i, c) in o.collisions.iter().enumerate() {
        let _ = write!(
            out,
            "<li id=\"collision-{}\"><span class=\"kind\">{}</span> <strong>{}</strong>: {}, {}",
            i + 1,
            esc(&c.kind),
            esc(&c.journeys.join(" + ")),
            count(c.customers as usize, "customer"),
            times(c.occurrences)
        );
        if !c.confirms.is_empty() {
            let links: Vec<String> = c
                .confirms
                .iter()
                .map(|r| format!("<a href=\"#conflict-{}\">{} #{}</a>", r.conflict + 1, esc(&r.code), r.conflict + 1))
                .collect();
            let _ = write!(out, " · confirms {}", links.join(", "));
        }
        out.push_str("<ul>");
        for s in &c.subjects {
            let _ = write!(
                out,
                "<li>{}: {}, {}</li>",
                esc(&s.subject),
                count(s.customers as usize, "customer"),
                times(s.occurrences)
            );
        }
        out.push_str("</ul><div class=\"example\">e.g. ");
        out.push_str(&esc(&c.example.customer));
        for s in &c.example.sends {
            let _ = write!(
                out,
                "<br>{} {}/{} {} \u{201c}{}\u{201d}",
                esc(&s.time),
                esc(&s.journey),
                esc(&s.node),
                esc(&s.channel),
                esc(&s.template)
            );
        }
        out.push_str("</div></li>\n");
    }
    out.push_str("</ol>\n");
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

    #[test]
    fn code_spans_become_code_elements() {
        assert_eq!(super::inline_code("`a<b>` and `c` send"), "<code>a&lt;b&gt;</code> and <code>c</code> send");
        assert_eq!(super::inline_code("no code"), "no code");
        assert_eq!(super::inline_code("`a` and `b"), "<code>a</code> and `b");
    }

    #[test]
    fn the_worst_severity_wins() {
        assert_eq!(super::worst(["info", "warning", "info"]), Some("warning"));
        assert_eq!(super::worst(["info", "error", "warning"]), Some("error"));
        assert_eq!(super::worst(["info"]), Some("info"));
        assert_eq!(super::worst([]), None);
    }
}
