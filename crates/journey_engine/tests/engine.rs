//! Engine semantics, one rule per test: programs are written as journey text and
//! checked by `journey_check`, events are built directly.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;

const PRELUDE: &str = r#"
event signup { source: text }
event purchase { amount: money }
event email_open { template: text }
event session {}
attribute email_opt_in: bool
attribute sms_opt_in: bool
attribute timezone: timezone
attribute renewal_date: date
attribute used: bool
attribute signed_up_on: date

channel email { kind email consent email_opt_in quiet_hours 21:00..08:00 local cap 2 per 7d }
channel sms { kind sms consent sms_opt_in }
channel push { kind push min_gap 12h }
channel crm { kind webhook }

audience buyer = count(purchase) >= 1
audience at_risk = buyer and since(purchase) > 60d
"#;

const H: i64 = 3_600_000;
const D: i64 = 24 * H;
/// 2026-01-05 12:00 UTC, a Monday (07:00 in New York).
const T0: i64 = 1_767_614_400_000;

fn program(extra: &str, journeys: &str) -> Program {
    program_allowing(extra, journeys, &[])
}

/// A program with errors of the `allowed` codes only: what the engine does with a
/// program whose team lowered a check in journey.yaml.
fn program_allowing(extra: &str, journeys: &str, allowed: &[&str]) -> Program {
    let mut sources = SourceMap::new();
    let p = sources.add("prelude.journey", format!("{PRELUDE}\n{extra}"));
    let f = sources.add("test.journey", journeys);
    let checked = check_sources(
        &sources,
        &[p, f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> =
        (checked.diagnostics.iter()).filter(|d| d.severity == Severity::Error && !allowed.contains(&d.code)).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

fn opts() -> EngineOptions {
    EngineOptions { quiet_hours: QuietMode::Defer, seed: 7, start: T0 - 400 * D, until: T0 + 200 * D }
}

struct Sim {
    program: Program,
    texts: Interner,
    attrs: Vec<AttrValue>,
    opts: EngineOptions,
}

impl Sim {
    fn new(program: Program) -> Sim {
        let mut attrs = vec![AttrValue::Missing; program.attributes.len()];
        let ix = |n: &str| program.attributes.iter().position(|a| a.name == n).unwrap();
        attrs[ix("email_opt_in")] = AttrValue::Bool(true);
        attrs[ix("sms_opt_in")] = AttrValue::Bool(true);
        // customers here exist long before the period (see tests/existence.rs)
        attrs[ix("signed_up_on")] = AttrValue::Date(journey_engine::time::parse_date("2000-01-01").unwrap());
        Sim { program, texts: Interner::default(), attrs, opts: opts() }
    }
    fn set(&mut self, name: &str, v: AttrValue) {
        let i = self.program.attributes.iter().position(|a| a.name == name).unwrap();
        self.attrs[i] = v;
    }
    fn ev(&mut self, name: &str, t: i64, text: Option<&str>) -> Event {
        let k = self.program.events.iter().position(|e| e.name == name).unwrap();
        let props = match (name, text) {
            ("purchase", _) => vec![PropValue::Money(20.0)],
            (_, Some(s)) => vec![PropValue::Text(self.texts.intern(s))],
            _ => vec![PropValue::Missing; self.program.events[k].properties.len()],
        };
        Event {
            customer: CustomerId(0),
            time: t,
            kind: EventKind(k as u16),
            props: props.into(),
            revenue: None,
            line: 0,
        }
    }
    fn run(&self, events: &[Event]) -> (Vec<Action>, Report) {
        let engine = Engine::new(&self.program, self.opts.clone()).with_created_at(Some("signed_up_on")).unwrap();
        engine.run_customer(Customer { id: CustomerId(0), key: "c0", attributes: &self.attrs }, events, &self.texts)
    }
    /// `(time offset from T0 in hours, what)` for every action, as a readable trace.
    fn trace(&self, events: &[Event]) -> Vec<(i64, String)> {
        let (actions, _) = self.run(events);
        actions
            .iter()
            .map(|a| {
                let d = a.describe(&self.program, "c0");
                let what = match d["action"].as_str().unwrap() {
                    "send" => format!("send {}", d["template"].as_str().unwrap()),
                    "exit" => format!("exit {}", d["reason"].as_str().unwrap()),
                    "enter" => format!("enter {} holdout={}", d["journey"].as_str().unwrap(), d["holdout"]),
                    "suppressed" => format!("suppressed {}", d["reason"]["rule"].as_str().unwrap()),
                    "deferred" => format!("deferred {}", d["reason"].as_str().unwrap()),
                    "goal" => format!("goal {}", d["goal"].as_str().unwrap()),
                    other => other.to_string(),
                };
                ((a.time - T0).div_euclid(H), what)
            })
            .collect()
    }
}

fn sends(trace: &[(i64, String)]) -> Vec<(i64, String)> {
    trace.iter().filter(|(_, w)| w.starts_with("send")).cloned().collect()
}

#[test]
fn entry_by_event_runs_steps_and_waits() {
    let mut s = Sim::new(program(
        "",
        r#"journey welcome { entry on signup audience email_opt_in
  stage a { send email "w1" wait 2d send email "w2" end } }"#,
    ));
    let e = [s.ev("signup", T0 + 2 * H, Some("x"))];
    let t = s.trace(&e);
    assert_eq!(
        t,
        vec![
            (2, "enter welcome holdout=false".into()),
            (2, "send w1".into()),
            (50, "send w2".into()),
            (50, "exit end".into())
        ]
    );
}

#[test]
fn audience_filter_and_consent() {
    let mut s =
        Sim::new(program("", r#"journey j { entry on signup audience sms_opt_in stage a { send email "x" end } }"#));
    s.set("email_opt_in", AttrValue::Bool(false));
    let e = [s.ev("signup", T0, Some("x"))];
    assert_eq!(s.trace(&e)[1].1, "suppressed consent");
    s.set("sms_opt_in", AttrValue::Bool(false));
    let (actions, report) = s.run(&e);
    assert!(actions.is_empty());
    assert_eq!(report.journeys["j"].filtered_out, 1);
}

#[test]
fn unsubscribe_withdraws_consent_from_the_channel_it_names() {
    let extra = r#"
event unsubscribe { channel: text }
attribute news_opt_in: bool
channel letters { kind push consent news_opt_in }
"#;
    let journeys = r#"journey j { entry on signup
  stage a { send email "e1" send sms "s1" wait 2d send email "e2" send sms "s2" send letters "l2" end } }
journey k { entry on signup exit when not email_opt_in stage a { wait 5d end } }"#;
    let mut s = Sim::new(program(extra, journeys));
    s.set("news_opt_in", AttrValue::Bool(true));
    let signup = s.ev("signup", T0, Some("x"));
    let run = |s: &mut Sim, channel: Option<&str>, at: i64| {
        let e = [signup.clone(), s.ev("unsubscribe", T0 + at, channel)];
        let (_, r) = s.run(&e);
        let sent = sends(&s.trace(&e)).into_iter().map(|(_, w)| w).collect::<Vec<_>>().join(" ");
        let withdrawn = ["email", "sms", "letters"].map(|c| r.channels.get(c).map_or(0, |c| c.consent_withdrawals));
        let exits = r.journeys["k"].exits.get("exit_condition").copied().unwrap_or(0);
        (sent, withdrawn, exits)
    };
    // by channel name: only that channel's consent goes, from the unsubscribe's instant
    assert_eq!(run(&mut s, Some("email"), D), ("send e1 send s1 send s2 send l2".into(), [1, 0, 0], 1));
    assert_eq!(run(&mut s, Some("sms"), D), ("send e1 send s1 send e2 send l2".into(), [0, 1, 0], 0));
    // no channel named: every channel that needs consent
    assert_eq!(run(&mut s, None, D), ("send e1 send s1".into(), [1, 1, 1], 1));
    assert_eq!(run(&mut s, Some(""), D), ("send e1 send s1".into(), [1, 1, 1], 1));
    // no channel of that name needs consent: channels of that kind
    assert_eq!(run(&mut s, Some("push"), D), ("send e1 send s1 send e2 send s2".into(), [0, 0, 1], 0));
    // a name that is no channel withdraws nothing
    assert_eq!(run(&mut s, Some("fax"), D).1, [0, 0, 0]);
    // consent already gone, or never given, is not withdrawn
    s.set("email_opt_in", AttrValue::Bool(false));
    assert_eq!(run(&mut s, Some("email"), D).1, [0, 0, 0]);
    s.set("email_opt_in", AttrValue::Missing);
    assert_eq!(run(&mut s, Some("email"), D).1, [0, 0, 0]);
    // before the period it is history: it withdraws, but is not a figure of the period
    s.set("email_opt_in", AttrValue::Bool(true));
    s.opts.start = T0 - D + H;
    let e = [s.ev("unsubscribe", T0 - D, Some("email")), s.ev("signup", T0, Some("x"))];
    let (_, r) = s.run(&e);
    assert_eq!((r.channels["email"].sends, r.channels["email"].consent_withdrawals), (0, 0));
    assert_eq!(r.channels["email"].consent_suppressions, 2);
}

#[test]
fn quiet_hours_defer_or_drop_in_customer_time_zone() {
    let mut s =
        Sim::new(program("", r#"journey j { entry on signup audience email_opt_in stage a { send email "x" end } }"#));
    // 22:00 UTC is quiet in UTC; deferred to 08:00 the next day.
    let e = [s.ev("signup", T0 + 10 * H, Some("x"))];
    let t = s.trace(&e);
    assert_eq!(sends(&t), vec![(20, "send x".into())]);
    assert!(t.contains(&(10, "deferred quiet_hours".into())));
    // The same instant is 17:00 in New York: not quiet.
    s.set("timezone", AttrValue::Text("America/New_York".into()));
    assert_eq!(sends(&s.trace(&e)), vec![(10, "send x".into())]);
    // Drop mode.
    s.set("timezone", AttrValue::Missing);
    s.opts.quiet_hours = QuietMode::Drop;
    let (_, r) = s.run(&e);
    assert_eq!((r.sends, r.channels["email"].quiet_hour_drops), (0, 1));
}

#[test]
fn channel_cap_across_journeys_and_priority() {
    let mut s = Sim::new(program(
        "",
        r#"journey low { priority 10 entry on signup audience email_opt_in stage a { send email "low" end } }
journey high { priority 90 entry on signup audience email_opt_in stage a { send email "high" end } }
journey mid { priority 50 entry on signup audience email_opt_in stage a { send email "mid" end } }"#,
    ));
    let e = [s.ev("signup", T0, Some("x"))];
    let t = s.trace(&e);
    // cap 2 per 7d: the two highest priorities win, the third is a cap hit
    assert_eq!(sends(&t), vec![(0, "send high".into()), (0, "send mid".into())]);
    let (_, r) = s.run(&e);
    assert_eq!(r.journeys["low"].cap_hits, 1);
    assert_eq!(r.channels["email"].cap_hits, 1);
}

#[test]
fn rolling_cap_window_frees_up() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on session re_entry always audience email_opt_in stage a { send email "x" end } }"#,
    ));
    let e: Vec<Event> = [0, 1, 2, 7 * 24, 7 * 24 + 1].iter().map(|h| s.ev("session", T0 + h * H, None)).collect();
    let hours: Vec<i64> = sends(&s.trace(&e)).iter().map(|x| x.0).collect();
    // the first send leaves the window at exactly 7d, the second one hour later
    assert_eq!(hours, vec![0, 1, 168, 169]);
}

#[test]
fn min_gap_defers() {
    let mut s =
        Sim::new(program("", r#"journey j { entry on session re_entry always stage a { send push "p" end } }"#));
    let e = [s.ev("session", T0, None), s.ev("session", T0 + H, None)];
    let t = s.trace(&e);
    assert_eq!(sends(&t), vec![(0, "send p".into()), (12, "send p".into())]);
}

#[test]
fn policy_cap_min_gap_and_quiet_days() {
    // J401 proves that a second session within the day passes the cap; the engine
    // refuses what the checker flags
    let mut s = Sim::new(program_allowing(
        "policy { cap any 1 per 1d min_gap 4h quiet_days [tuesday] }",
        r#"journey j { entry on session re_entry always stage a { send sms "s" end } }"#,
        &["J401"],
    ));
    // Monday 12:00, 13:00 (min_gap: deferred to 16:00, then the daily cap refuses it)
    let e = [s.ev("session", T0, None), s.ev("session", T0 + H, None)];
    let (_, r) = s.run(&e);
    assert_eq!(r.sends, 1);
    assert_eq!(r.policy_min_gap_deferrals, 1);
    assert_eq!(r.policy_cap_hits.values().sum::<u64>(), 1);
    // Tuesday is a quiet day: deferred to Wednesday midnight.
    let e = [s.ev("session", T0 + D, None)];
    assert_eq!(sends(&s.trace(&e)), vec![(36, "send s".into())]);
}

#[test]
fn conflicting_tags_refuse_the_later_send() {
    // J602 proves these journeys collide; the engine refuses what the checker flags
    let mut s = Sim::new(program_allowing(
        "policy { conflicting [discount, full_price] }",
        r#"journey sale { priority 90 entry on signup stage a { send email "sale" tags [discount] end } }
journey launch { priority 10 entry on signup stage a { send email "launch" tags [full_price] end } }
journey again { entry on purchase stage a { send push "again" tags [discount] end } }
journey later { entry on session re_entry always stage a { send email "later" tags [full_price] end } }"#,
        &["J602", "J401"],
    ));
    let e = [
        s.ev("signup", T0, Some("x")),
        s.ev("purchase", T0 + D, None),
        s.ev("session", T0 + 3 * D, None),
        s.ev("session", T0 + 8 * D, None),
    ];
    // at one instant the higher priority is served first and the other is refused; the
    // same tag never conflicts with itself, whatever the channel; a full-price send is
    // refused until the last discount is a whole window (7 days without a policy cap)
    // old, and goes out exactly then
    assert_eq!(
        sends(&s.trace(&e)),
        vec![(0, "send sale".into()), (24, "send again".into()), (192, "send later".into())]
    );
    let (_, r) = s.run(&e);
    assert_eq!(r.journeys["launch"].conflict_refusals, 1);
    assert_eq!(r.journeys["later"].conflict_refusals, 1);
    assert_eq!(r.policy_conflict_refusals["discount, full_price"], 2);
    assert_eq!(r.journeys["sale"].conflict_refusals, 0);
}

#[test]
fn wait_for_event_with_timeout_and_exit_mid_wait() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on signup audience email_opt_in exit on purchase
  stage a { send email "a" wait up to 3d for email_open where template == "a" then yes timeout no }
  stage yes { send sms "yes" end }
  stage no { send sms "no" end } }"#,
    ));
    let signup = s.ev("signup", T0, Some("x"));
    let open_other = s.ev("email_open", T0 + H, Some("b"));
    let open = s.ev("email_open", T0 + 2 * H, Some("a"));
    assert_eq!(sends(&s.trace(&[signup.clone(), open_other.clone(), open])).last().unwrap(), &(2, "send yes".into()));
    assert_eq!(sends(&s.trace(&[signup.clone(), open_other])).last().unwrap(), &(72, "send no".into()));
    let buy = s.ev("purchase", T0 + 5 * H, None);
    let t = s.trace(&[signup, buy]);
    assert_eq!(t.last().unwrap(), &(5, "exit exit_event".into()));
    assert_eq!(sends(&t).len(), 1);
}

#[test]
fn re_entry_rules() {
    let run = |rule: &str| {
        let mut s = Sim::new(program(
            "",
            &format!(r#"journey j {{ entry on session {rule} stage a {{ webhook crm "x" end }} }}"#),
        ));
        let e: Vec<Event> = [0, 24, 24 * 10].iter().map(|h| s.ev("session", T0 + h * H, None)).collect();
        s.run(&e).1.journeys["j"].entrants
    };
    assert_eq!(run(""), 1);
    assert_eq!(run("re_entry always"), 3);
    assert_eq!(run("re_entry after 7d"), 2);
}

#[test]
fn audience_entered_by_time_passing() {
    let mut s =
        Sim::new(program("", r#"journey wb { entry when audience at_risk entered stage a { webhook crm "x" end } }"#));
    let e = [s.ev("purchase", T0, None)];
    let t = s.trace(&e);
    // since(purchase) > 60d first holds 60 days + 1 ms after the purchase
    assert_eq!(t[0], (60 * 24, "enter wb holdout=false".into()));
    // a new purchase before then resets the clock
    let e = [s.ev("purchase", T0, None), s.ev("purchase", T0 + 30 * D, None)];
    assert_eq!(s.trace(&e)[0].0, 90 * 24);
}

#[test]
fn audience_exited_and_window_expiry() {
    let mut s = Sim::new(program(
        "audience active = count(session, 7d) >= 1",
        r#"journey j { entry when audience active exited re_entry always stage a { webhook crm "x" end } }"#,
    ));
    let e = [s.ev("session", T0, None)];
    let t = s.trace(&e);
    assert_eq!(t[0], (7 * 24, "enter j holdout=false".into()));
}

#[test]
fn window_counts_flip_when_the_departure_crosses_a_threshold() {
    // only departures that cross 2 (`>= 2`) or 4 and 5 (`== 4`) can change an answer;
    // the engine sets timers for those alone, and must still fire them on time
    let mut s = Sim::new(program(
        "audience busy = count(session, 7d) >= 2\naudience four = 4 == count(session, 7d)",
        r#"journey calm { entry when audience busy exited re_entry always stage a { webhook crm "calm" end } }
journey fell { entry when audience four entered re_entry always stage a { webhook crm "four" end } }"#,
    ));
    let e: Vec<Event> = [0, 1, 2, 3, 4].iter().map(|d| s.ev("session", T0 + d * D, None)).collect();
    let enters: Vec<(i64, String)> = s.trace(&e).into_iter().filter(|(_, w)| w.starts_with("enter")).collect();
    assert_eq!(
        enters,
        vec![
            // the 4th session makes four; the 5th makes five; the first leaves on day 7
            (3 * 24, "enter fell holdout=false".into()),
            (7 * 24, "enter fell holdout=false".into()),
            // `busy` ends when the 4th session leaves, on day 10, leaving one
            (10 * 24, "enter calm holdout=false".into()),
        ]
    );
}

#[test]
fn exit_when_condition_fires_mid_wait() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on signup exit when buyer stage a { wait 10d webhook crm "x" end } }"#,
    ));
    let e = [s.ev("signup", T0, Some("x")), s.ev("purchase", T0 + D, None)];
    let t = s.trace(&e);
    assert_eq!(t.last().unwrap(), &(24, "exit exit_condition".into()));
}

#[test]
fn schedule_entry_local_time() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry every day at 09:00 local re_entry always stage a { webhook crm "x" end } }"#,
    ));
    s.opts.start = T0;
    s.opts.until = T0 + 2 * D;
    s.set("timezone", AttrValue::Text("America/New_York".into()));
    let t = s.trace(&[]);
    // 09:00 New York is 14:00 UTC
    let enters: Vec<i64> = t.iter().filter(|x| x.1.starts_with("enter")).map(|x| x.0).collect();
    assert_eq!(enters, vec![2, 26]);
}

/// A scheduled journey whose filter says no is parked until what the filter reads
/// changes (an event, a `set`, an event leaving a window): the entries and the ticks
/// counted as filtered out are those of firing every tick, including ticks of the
/// very millisecond of an event (the tick fires first).
#[test]
fn parked_schedule_ticks_count_as_if_every_tick_fired() {
    let mut s = Sim::new(program(
        "",
        r#"journey daily { entry every day at 09:00 local re_entry always
  audience count(purchase, 3d) >= 1 and not used
  stage a { webhook crm "x" end } }
journey flag { entry on signup stage s { set used = true end } }"#,
    ));
    s.opts.start = T0;
    s.opts.until = T0 + 60 * D;
    // a missing `used` would make `not used` unknown (three-valued logic)
    s.set("used", AttrValue::Bool(false));
    // T0 is 12:00 UTC, so the ticks are at T0 + 21h + k days
    let tick = |k: i64| T0 + 21 * H + k * D;
    let purchases = [T0 + D, tick(5), tick(9) - 3 * D, tick(20) + 30 * 60_000, tick(30) - 1, tick(38) + H, tick(45)];
    let signup = tick(40);
    let mut events: Vec<Event> = purchases.iter().map(|&t| s.ev("purchase", t, None)).collect();
    events.push(s.ev("signup", signup, Some("x")));
    events.sort_by_key(|e| e.time);
    // by brute force: every tick sees the events strictly before it
    let ticks: Vec<i64> = (0..).map(tick).take_while(|&t| t <= s.opts.until).collect();
    let entered = |t: i64| signup >= t && purchases.iter().any(|&p| p < t && t - p < 3 * D);
    let expected = ticks.iter().filter(|&&t| entered(t)).count() as u64;
    assert!(expected > 5 && expected < ticks.len() as u64 - 20, "a test of both answers: {expected}");
    let (_, report) = s.run(&events);
    let r = &report.journeys["daily"];
    assert_eq!(r.entrants, expected);
    assert_eq!(r.filtered_out, ticks.len() as u64 - expected);
    assert_eq!(r.already_in + r.re_entry_blocked, 0);
}

/// Unsubscribes, bounces and complaints count against the journey of the customer's
/// last message when it is at most 7 days old; rates whose event the program does not
/// declare are not measured; `sends_per_customer_per_week` is the most of a journey's
/// messages one customer got in any 7 days.
#[test]
fn guardrail_metrics_attribute_opt_outs_to_the_last_message() {
    let journeys = r#"journey promo { entry on session re_entry always
  stage a { send email "promo" end }
  guardrail bounce_rate < 10%
  guardrail complaint_rate < 1%
  guardrail unsubscribe_rate < 60%
  guardrail sends_per_customer_per_week < 2 }"#;
    // (J401: sessions entered again and again pass the email cap, which the
    // guardrail's weekly count measures)
    let mut s =
        Sim::new(program_allowing("event unsubscribe {}\nevent bounce {}\nevent complaint {}", journeys, &["J401"]));
    s.opts.start = T0;
    let events = [
        s.ev("session", T0, None),
        s.ev("session", T0 + D, None),
        s.ev("bounce", T0 + D + H, None),
        s.ev("unsubscribe", T0 + D + 2 * H, None),
        // nine days after the last message, in no journey: nobody's
        s.ev("complaint", T0 + 10 * D, None),
    ];
    let (_, report) = s.run(&events);
    let r = &report.journeys["promo"];
    assert_eq!((r.treated, r.bounces, r.unsubscribes, r.complaints), (2, 1, 1, 0));
    assert_eq!(r.max_sends_per_week.iter().collect::<Vec<_>>(), [(&2, &1)]);
    let g: Vec<(String, Option<f64>, Option<bool>)> =
        report.guardrails(&s.program).into_iter().map(|g| (g.metric, g.value, g.ok)).collect();
    assert_eq!(
        g,
        [
            ("bounce_rate".into(), Some(0.5), Some(false)),
            ("complaint_rate".into(), Some(0.0), Some(true)),
            ("unsubscribe_rate".into(), Some(0.5), Some(true)),
            ("sends_per_customer_per_week".into(), Some(2.0), Some(false)),
        ]
    );
    // without a `bounce` event in the program, the bounce rate is not measured
    let s = Sim::new(program_allowing("event unsubscribe {}\nevent complaint {}", journeys, &["J401"]));
    let (_, report) = s.run(&[]);
    let bounce = report.guardrails(&s.program).into_iter().find(|g| g.metric == "bounce_rate").unwrap();
    assert_eq!((bounce.value, bounce.ok), (None, None));
}

#[test]
fn date_attribute_entry_and_wait_until() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry at renewal_date - 2d at 09:00 stage a { wait until 10:00 webhook crm "x" end } }"#,
    ));
    s.opts.start = T0;
    s.set("renewal_date", AttrValue::Date(journey_engine::time::parse_date("2026-01-10").unwrap()));
    let t = s.trace(&[]);
    // 2026-01-08 09:00 UTC = T0 + 2d 21h; webhook at 10:00
    assert_eq!(t[0].0, 69);
    assert_eq!(t[1], (70, "webhook".into()));
}

#[test]
fn holdout_is_deterministic_and_sends_nothing() {
    let p = program(
        "",
        r#"journey j { entry on signup holdout 50% stage a { webhook crm "x" end } goal bought = purchase within 10d }"#,
    );
    let s = Sim::new(p);
    let engine = Engine::new(&s.program, s.opts.clone());
    let kind = |n: &str| EventKind(s.program.events.iter().position(|e| e.name == n).unwrap() as u16);
    let mut held = 0;
    for i in 0..400u32 {
        let key = format!("cust-{i}");
        let ev = Event {
            customer: CustomerId(i),
            time: T0,
            kind: kind("signup"),
            props: vec![PropValue::Missing].into(),
            revenue: None,
            line: 0,
        };
        let buy =
            Event { time: T0 + D, kind: kind("purchase"), props: vec![PropValue::Money(5.0)].into(), ..ev.clone() };
        let c = Customer { id: CustomerId(i), key: &key, attributes: &s.attrs };
        let (a1, r1) = engine.run_customer(c, [&ev, &buy], &s.texts);
        let (a2, _) = engine.run_customer(c, [&ev, &buy], &s.texts);
        assert_eq!(a1, a2);
        if r1.journeys["j"].holdout == 1 {
            held += 1;
            assert!(a1.iter().all(|a| !matches!(a.kind, ActionKind::Webhook { .. })));
            assert_eq!(r1.journeys["j"].goals["bought"].holdout_conversions, 1);
        } else {
            assert_eq!(r1.journeys["j"].goals["bought"].treated_conversions, 1);
        }
    }
    assert!((150..250).contains(&held), "held out {held} of 400");
}

#[test]
fn splits_and_branches() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on signup
  stage a { branch { when sms_opt_in -> b else -> c } }
  stage b { split test { 100% -> c } }
  stage c { webhook crm "x" end } }"#,
    ));
    let e = [s.ev("signup", T0, Some("x"))];
    assert_eq!(s.trace(&e)[1], (0, "webhook".into()));
}

#[test]
fn goals_with_conversion_window_and_reach() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on signup
  stage a { wait 1d goto b }
  stage b { webhook crm "x" end }
  goal bought = purchase within 2d
  goal got_b = reach b within 3d }"#,
    ));
    let e = [s.ev("signup", T0, Some("x")), s.ev("purchase", T0 + 3 * D, None)];
    let (_, r) = s.run(&e);
    let g = &r.journeys["j"].goals;
    assert!(!g.contains_key("bought"), "purchase after the 2d window must not count");
    assert_eq!(g["got_b"].treated_conversions, 1);
    assert_eq!(g["got_b"].days_to_goal[&1], 1);
}

#[test]
fn set_attribute_is_seen_by_audiences() {
    let mut s = Sim::new(program(
        "audience flagged = used",
        r#"journey a { entry on signup stage x { set used = true end } }
journey b { entry when audience flagged entered stage y { webhook crm "b" end } }"#,
    ));
    let e = [s.ev("signup", T0, Some("x"))];
    let t = s.trace(&e);
    assert!(t.contains(&(0, "enter b holdout=false".into())), "{t:?}");
}

#[test]
fn events_before_start_only_build_history() {
    let mut s = Sim::new(program(
        "",
        r#"journey j { entry on purchase audience count(purchase) >= 2 stage a { webhook crm "x" end } }"#,
    ));
    s.opts.start = T0;
    let e = [s.ev("purchase", T0 - D, None), s.ev("purchase", T0 + D, None)];
    let (_, r) = s.run(&e);
    assert_eq!(r.journeys["j"].entrants, 1);
    assert_eq!(r.events, 1);
}

#[test]
fn a_date_attribute_set_by_a_journey_moves_its_date_entries() {
    let mut s = Sim::new(program(
        "",
        r#"journey renew { entry at renewal_date - 2d at 09:00 stage a { webhook crm "renew" end } }
journey extend { entry on signup stage x { set renewal_date = renewal_date + 30d end } }"#,
    ));
    s.opts.start = T0;
    s.set("renewal_date", AttrValue::Date(journey_engine::time::parse_date("2026-01-10").unwrap()));
    // unchanged: 2026-01-08 09:00 UTC = T0 + 69h
    let t = s.trace(&[]);
    assert_eq!(t[1], (69, "webhook".into()), "{t:?}");
    // extended at T0 to 2026-02-09: the entry moves to 2026-02-07 09:00 = T0 + 789h,
    // and the one planned for 2026-01-08 does not happen
    let e = [s.ev("signup", T0, Some("x"))];
    let t = s.trace(&e);
    let webhooks: Vec<_> = t.iter().filter(|(_, w)| w == "webhook").collect();
    assert_eq!(webhooks, [&(789, "webhook".to_string())], "{t:?}");
}
