//! The observed calendar on hand-written traces: every collision rule with its edges
//! (local days, the conflict window, rolling cap windows), the example customer, the
//! links to the static conflicts, independence from how customers are interleaved, and
//! the errors for rows the program does not know.

use journey_calendar::observed::Observed;
use journey_calendar::{build, observe, CalendarView, CustomerZone, TraceError, TraceReader, Tz};
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_ir::Program;

/// `sale` and `launch` may overlap (J601 on "weekly-news", J602 discount vs
/// full_price, J603 on the email cap and on the policy cap); `quiet` is proven
/// disjoint from both, so nothing static links it to them.
const SHOP: &str = r#"
event purchase
attribute plan: one_of("free", "pro")
attribute timezone: timezone

channel email {
  kind email
  cap 2 per 7d
}

channel push {
  kind push
}

channel crm {
  kind webhook
}

policy {
  cap any 3 per 7d
  conflicting [discount, full_price]
}

journey sale {
  priority 40
  entry on purchase
  audience plan == "pro" and count(purchase) >= 1

  stage offer {
    send email "weekly-news"
    send email "ten-off" tags [discount]
    webhook crm "sale-sent"
    end
  }
}

journey launch {
  priority 30
  entry on purchase
  audience plan == "pro" and count(purchase, 30d) >= 2

  stage news {
    send email "weekly-news"
    wait 1d
    send push "launch-day" tags [full_price]
    end
  }
}

journey quiet {
  priority 20
  entry every monday at 09:00 "Europe/Berlin"
  audience plan == "free"

  stage digest {
    send email "weekly-news" tags [full_price]
    end
  }
}
"#;

const HEADER: &str = "time,customer,journey,node,kind,channel,template\n";

fn program() -> Program {
    let mut sources = SourceMap::new();
    let f = sources.add("shop.journey", SHOP);
    let settings = Settings { timezone: "America/New_York".into(), currency: "USD".into(), ..Settings::default() };
    let checked = check_sources(&sources, &[f], &settings);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

fn run(program: &Program, rows: &str, zones: Option<CustomerZone>) -> Result<CalendarView, TraceError> {
    let mut view = build(program);
    let text = format!("{HEADER}{rows}");
    let reader = TraceReader::new("dir/trace.csv", text.as_bytes())?;
    observe(&mut view, program, reader, zones)?;
    Ok(view)
}

fn observed(view: &CalendarView) -> &Observed {
    view.observed.as_ref().expect("observed")
}

/// c2 collides three ways; c0 repeats the same-day duplicate later (and, having the
/// smaller key, is the example); c1's two "weekly-news" are on two New York days but
/// one London day; c3 gets full_price then discount exactly 7 days apart (outside the
/// window), then from `quiet` a full_price 6 days 23 hours after the discount and a
/// same-day duplicate, which nothing static predicts (`quiet` is proven disjoint).
const ROWS: &str = "\
2026-01-05T14:00:00Z,c2,sale,,enter,,
2026-01-05T14:00:00Z,c2,sale,offer#0,send,email,weekly-news
2026-01-05T15:00:00Z,c2,sale,offer#1,send,email,ten-off
2026-01-05T15:00:00Z,c2,sale,offer#2,webhook,crm,
2026-01-05T16:00:00Z,c2,launch,,enter,,
2026-01-05T16:00:00Z,c2,launch,news#0,send,email,weekly-news
2026-01-06T16:00:00Z,c2,launch,news#2,send,push,launch-day
2026-01-06T03:30:00Z,c1,sale,offer#0,send,email,weekly-news
2026-01-06T05:30:00Z,c1,launch,news#0,send,email,weekly-news
2026-01-06T05:30:00Z,c1,launch,,exit,,
2026-01-05T14:00:00Z,c3,launch,news#2,send,push,launch-day
2026-01-12T14:00:00Z,c3,sale,offer#1,send,email,ten-off
2026-01-19T13:00:00Z,c3,quiet,digest#0,send,email,weekly-news
2026-01-19T20:00:00Z,c3,sale,offer#0,send,email,weekly-news
2026-01-20T10:00:00Z,c0,launch,news#0,send,email,weekly-news
2026-01-20T11:00:00Z,c0,sale,offer#0,send,email,weekly-news
";

#[test]
fn volumes_per_day_channel_and_step() {
    let p = program();
    let view = run(&p, ROWS, None).unwrap();
    let o = observed(&view);
    assert_eq!((o.rows, o.sends, o.customers, o.reached), (16, 12, 4, 4));
    assert_eq!(o.trace, "trace.csv");
    assert_eq!(o.timezone, "America/New_York");
    assert_eq!(o.actions.get("send"), Some(&12));
    assert_eq!(o.actions.get("webhook"), Some(&1));
    // every day from the first to the last, New York days
    assert_eq!(o.first_day.as_deref(), Some("2026-01-05"));
    assert_eq!(o.last_day.as_deref(), Some("2026-01-20"));
    assert_eq!(o.days.len(), 16);
    let day = |d: &str| o.days.iter().find(|x| x.date == d).unwrap();
    // c1's 03:30Z send is still Jan 5 in New York
    assert_eq!(day("2026-01-05").sends, 5);
    assert_eq!(day("2026-01-05").channels.get("push"), Some(&1));
    assert_eq!(day("2026-01-06").sends, 2);
    assert_eq!(day("2026-01-07").sends, 0);
    assert_eq!(day("2026-01-05").weekday, "mon");
    assert_eq!(o.days.iter().map(|d| d.sends).sum::<u64>(), o.sends);
    let ch: Vec<(&str, u64)> = o.channels.iter().map(|c| (c.channel.as_str(), c.sends)).collect();
    assert_eq!(ch, [("email", 10), ("push", 2)]);
    let step = o.steps.iter().find(|s| s.journey == "sale" && s.node == "offer#0").unwrap();
    // c1's is on the same New York day as c2's
    assert_eq!((step.sends, step.days_active, step.template.as_str()), (4, 3, "weekly-news"));
    assert_eq!(step.per_day.get("2026-01-19"), Some(&1));
    // steps in journey order (launch, quiet, sale), then node order
    let order: Vec<String> = o.steps.iter().map(|s| format!("{}/{}", s.journey, s.node)).collect();
    assert_eq!(order, ["launch/news#0", "launch/news#2", "quiet/digest#0", "sale/offer#0", "sale/offer#1"]);
}

#[test]
fn collisions_with_examples_and_static_links() {
    let p = program();
    let view = run(&p, ROWS, None).unwrap();
    let o = observed(&view);
    let got: Vec<(String, String, u64, u64)> =
        o.collisions.iter().map(|c| (c.kind.clone(), c.journeys.join("+"), c.customers, c.occurrences)).collect();
    assert_eq!(
        got,
        [
            ("duplicate_template".into(), "launch+sale".into(), 2, 2),
            ("duplicate_template".into(), "quiet+sale".into(), 1, 1),
            ("conflicting_tags".into(), "launch+sale".into(), 1, 1),
            ("conflicting_tags".into(), "quiet+sale".into(), 1, 1),
            ("over_cap".into(), "launch+sale".into(), 1, 2),
        ]
    );
    let code = |i: usize| view.conflicts[i].code.as_str();
    let dup = &o.collisions[0];
    assert_eq!(dup.example.customer, "c0", "the smallest key is the example");
    assert_eq!(dup.example.sends.len(), 2);
    assert_eq!(dup.example.sends[0].time, "2026-01-20T10:00:00Z");
    assert_eq!(dup.subjects[0].subject, "\"weekly-news\"");
    assert_eq!(dup.confirms.iter().map(|c| code(c.conflict)).collect::<Vec<_>>(), ["J601"]);
    // a duplicate the static analysis rules out (audiences proven disjoint)
    assert!(o.collisions[1].confirms.is_empty());
    assert_eq!(o.collisions[1].example.customer, "c3");
    let tags = &o.collisions[2];
    assert_eq!(tags.subjects[0].subject, "discount vs full_price");
    assert_eq!(tags.example.sends.iter().map(|s| s.node.as_str()).collect::<Vec<_>>(), ["offer#1", "news#2"]);
    assert_eq!(tags.confirms.iter().map(|c| code(c.conflict)).collect::<Vec<_>>(), ["J602"]);
    // c3: discount on the 12th, full_price from `quiet` 6 days 23 hours later
    let late = &o.collisions[3];
    assert_eq!(late.example.sends.iter().map(|s| s.journey.as_str()).collect::<Vec<_>>(), ["sale", "quiet"]);
    assert!(late.confirms.is_empty());
    let cap = &o.collisions[4];
    let subjects: Vec<(&str, u64)> = cap.subjects.iter().map(|s| (s.subject.as_str(), s.occurrences)).collect();
    assert_eq!(subjects, [("channel email: 2 per 7d", 1), ("policy any: 3 per 7d", 1)]);
    // the example is the first occurrence: the third email within 7 days (the fourth
    // message, a day later, is the policy cap's)
    assert_eq!(cap.example.sends.len(), 3, "{:?}", cap.example);
    assert_eq!(cap.example.sends[2].time, "2026-01-05T16:00:00Z");
    assert_eq!(cap.steps, ["launch/news#0", "launch/news#2", "sale/offer#0", "sale/offer#1"]);
    // both caps' J603 conflicts are confirmed, each by its own cap
    let confirmed: Vec<&str> = cap.confirms.iter().map(|c| code(c.conflict)).collect();
    assert_eq!(confirmed, ["J603", "J603"]);
    for c in &cap.confirms {
        let o = view.conflicts[c.conflict].observed.as_ref().unwrap();
        assert_eq!((o.customers, o.occurrences), (1, 1));
    }
    // every J601-J603 conflict says what was observed; the per-conflict view links back
    for (i, c) in view.conflicts.iter().enumerate() {
        let o = c.observed.as_ref().expect("J601-J603 carry an observation");
        assert!(o.customers > 0, "{} is confirmed", c.code);
        for &k in &o.collisions {
            assert!(observed(&view).collisions[k].confirms.iter().any(|r| r.conflict == i));
        }
    }
}

#[test]
fn customer_zones_decide_the_local_day() {
    let p = program();
    let london: Tz = "Europe/London".parse().unwrap();
    let zone = move |k: &str| (k == "c1").then_some(london);
    let view = run(&p, ROWS, Some(&zone)).unwrap();
    let o = observed(&view);
    assert!(o.customer_zones);
    let dup = &o.collisions[0];
    assert_eq!((dup.kind.as_str(), dup.customers, dup.occurrences), ("duplicate_template", 3, 3));
    // volumes stay in the program zone
    assert_eq!(o.days.iter().find(|d| d.date == "2026-01-05").unwrap().sends, 5);
}

#[test]
fn windows_are_half_open_like_the_engine() {
    let p = program();
    // exactly 7 days apart: outside the conflict window and the cap window
    let rows = "\
2026-01-05T10:00:00Z,c1,sale,offer#1,send,email,ten-off
2026-01-12T10:00:00Z,c1,launch,news#2,send,push,launch-day
2026-01-12T10:00:00Z,c2,sale,offer#0,send,email,weekly-news
2026-01-13T10:00:00Z,c2,sale,offer#1,send,email,ten-off
2026-01-19T10:00:00Z,c2,launch,news#0,send,email,weekly-news
2026-01-19T09:59:59Z,c3,sale,offer#1,send,email,ten-off
2026-01-26T09:59:58Z,c3,launch,news#2,send,push,launch-day
";
    let view = run(&p, rows, None).unwrap();
    let o = observed(&view);
    let got: Vec<(&str, u64)> = o.collisions.iter().map(|c| (c.kind.as_str(), c.customers)).collect();
    // c2's third email comes exactly 7 days after the first: within the cap; c3's
    // full_price one second inside the window collides
    assert_eq!(got, [("conflicting_tags", 1)]);
    assert_eq!(o.collisions[0].example.customer, "c3");
}

#[test]
fn the_same_journey_can_collide_with_itself_but_not_duplicate() {
    let p = program();
    let rows = "\
2026-01-05T10:00:00Z,c1,sale,offer#0,send,email,weekly-news
2026-01-05T11:00:00Z,c1,sale,offer#0,send,email,weekly-news
2026-01-05T12:00:00Z,c1,sale,offer#1,send,email,ten-off
";
    let view = run(&p, rows, None).unwrap();
    let o = observed(&view);
    let got: Vec<(&str, String, Vec<String>)> = o
        .collisions
        .iter()
        .map(|c| (c.kind.as_str(), c.journeys.join("+"), c.subjects.iter().map(|s| s.subject.clone()).collect()))
        .collect();
    assert_eq!(got, [("over_cap", "sale".to_string(), vec!["channel email: 2 per 7d".to_string()])]);
    assert!(o.collisions[0].confirms.is_empty(), "one journey alone is not a cross-journey conflict");
}

#[test]
fn interleaving_customers_does_not_change_the_result() {
    let p = program();
    let a = run(&p, ROWS, None).unwrap();
    // the same rows grouped by customer, customers in reverse order
    let mut by: Vec<(&str, Vec<&str>)> = Vec::new();
    for l in ROWS.lines() {
        let c = l.split(',').nth(1).unwrap();
        match by.iter_mut().find(|(k, _)| *k == c) {
            Some((_, v)) => v.push(l),
            None => by.push((c, vec![l])),
        }
    }
    by.reverse();
    let rows: String = by.iter().flat_map(|(_, v)| v.iter().map(|l| format!("{l}\n"))).collect();
    let b = run(&p, &rows, None).unwrap();
    assert_eq!(a, b);
    assert_eq!(journey_calendar::json(&a), journey_calendar::json(&b));
    assert_eq!(journey_calendar::html(&a), journey_calendar::html(&b));
}

#[test]
fn an_empty_trace_has_no_days() {
    let p = program();
    let view = run(&p, "", None).unwrap();
    let o = observed(&view);
    assert_eq!((o.rows, o.sends, o.days.len(), o.collisions.len()), (0, 0, 0, 0));
    assert!(view.conflicts.iter().all(|c| c.observed.as_ref().is_some_and(|o| o.customers == 0)));
    assert!(journey_calendar::table(&view, 100).contains("No rows in the trace."));
}

/// The error of a trace whose third line is `row` (after a good first row).
fn error(row: &str) -> String {
    let p = program();
    let rows = format!("2026-01-05T10:00:00Z,c1,sale,offer#0,send,email,weekly-news\n{row}\n");
    let e = run(&p, &rows, None).unwrap_err();
    let text = e.to_string();
    let help = match &e {
        TraceError::Row(r) => r.help.clone().unwrap_or_default(),
        TraceError::Io { .. } => String::new(),
    };
    assert!(!help.is_empty() && !help.ends_with('.'), "a help line: {help:?}");
    assert!(!text.ends_with('.'), "{text}");
    text
}

#[test]
fn rows_the_program_does_not_know_are_errors() {
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,sael,offer#0,send,email,weekly-news"),
        "dir/trace.csv:3:25: unknown journey `sael` (did you mean `sale`?)"
    );
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,sale,offer#9,send,email,weekly-news"),
        "dir/trace.csv:3:30: journey `sale` has no node `offer#9` (did you mean `offer#0`?)"
    );
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,sale,offer#0,send,sms,weekly-news"),
        "dir/trace.csv:3:43: unknown channel `sms`"
    );
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,sale,offer#0,send,email,monthly-news"),
        "dir/trace.csv:3:49: node `offer#0` of `sale` sends \"weekly-news\", not \"monthly-news\""
    );
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,sale,offer#2,send,crm,sale-sent"),
        "dir/trace.csv:3:30: node `offer#2` of `sale` is not a send"
    );
    assert_eq!(
        error("2026-01-05T11:00:00Z,c1,launch,news#2,send,email,launch-day"),
        "dir/trace.csv:3:44: node `news#2` of `launch` sends on `push`, not `email`"
    );
    assert_eq!(error("2026-01-05T11:00:00Z,c1,sale,,sent,,"), "dir/trace.csv:3:31: unknown action kind `sent`");
    assert_eq!(error("2026-01-05T11:00:00Z,c1,sale,,send,,"), "dir/trace.csv:3:30: a `send` row without a node");
}

#[test]
fn times_must_parse_and_go_forward_per_customer() {
    assert_eq!(
        error("2026-01-05 11:00,c1,sale,,enter,,"),
        "dir/trace.csv:3:1: the time `2026-01-05 11:00` has no zone"
    );
    assert_eq!(error("yesterday,c1,sale,,enter,,"), "dir/trace.csv:3:1: unparsable time `yesterday`");
    assert_eq!(
        error("2026-01-05T09:00:00Z,c1,sale,,enter,,"),
        "dir/trace.csv:3:1: customer `c1` goes back in time: 2026-01-05T09:00:00Z is before their previous row at 2026-01-05T10:00:00Z"
    );
    // another customer may come earlier: the trace interleaves customers
    let p = program();
    let rows = "2026-01-05T10:00:00Z,c1,sale,,enter,,\n2026-01-05T09:00:00Z,c2,sale,,enter,,\n";
    assert!(run(&p, rows, None).is_ok());
    assert_eq!(error("2026-01-05T11:00:00Z,,sale,,enter,,"), "dir/trace.csv:3:22: missing customer");
}

#[test]
fn errors_render_with_the_line() {
    let p = program();
    let rows = "2026-01-05T10:00:00Z,c1,sael,,enter,,\n";
    let e = run(&p, rows, None).unwrap_err();
    let report = miette::Report::new(e);
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, report.as_ref())
        .unwrap();
    assert!(out.contains("2026-01-05T10:00:00Z,c1,sael,,enter,,"), "{out}");
    assert!(out.contains("not a journey of this repository"), "{out}");
    assert!(out.contains("journey simulate --trace"), "{out}");
}
