//! issue 15: `wait N business days` run by the engine: the customer's calendar comes
//! from their country attribute (else the project's), weekends and holidays are
//! stepped over in the customer's zone, and a daylight-saving change keeps the time.

use chrono_tz::Tz;
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::{BusinessDays, Program};

fn program(wait: &str) -> Program {
    let mut sources = SourceMap::new();
    let src = format!(
        "event signup {{}}\nattribute country: text\nchannel crm {{ kind webhook }}\n\
         journey onboarding {{ entry on signup\n stage a {{ {wait} webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("test.journey", src);
    let settings = Settings { timezone: "Europe/Berlin".into(), ..Default::default() };
    let mut checked = check_sources(&sources, &[f], &settings);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    checked.program.business_days =
        BusinessDays { calendar: Some("DE".into()), country_attribute: Some("country".into()), ..Default::default() };
    checked.program
}

fn local(t: i64) -> String {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    time::local(tz, t).format("%a %Y-%m-%d %H:%M").to_string()
}

/// When the webhook after the wait goes out for a customer of `country` who signs up
/// at `signup` (local Berlin time).
fn webhook_time(program: &Program, country: Option<&str>, signup: &str) -> String {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let t = time::instant(tz, chrono::NaiveDateTime::parse_from_str(signup, "%Y-%m-%d %H:%M").unwrap());
    let opts =
        EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: t - 86_400_000, until: t + 40 * 86_400_000 };
    let engine = Engine::new(program, opts);
    let attrs = vec![country.map_or(AttrValue::Missing, |c| AttrValue::Text(c.into()))];
    let events = [Event {
        customer: CustomerId(0),
        time: t,
        kind: EventKind(0),
        props: Vec::<PropValue>::new().into(),
        revenue: None,
        line: 1,
    }];
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
    let (actions, _) = engine.run_customer(c, events.iter(), &Interner::default());
    let sent: Vec<i64> =
        actions.iter().filter(|a| matches!(a.kind, ActionKind::Webhook { .. })).map(|a| a.time).collect();
    assert_eq!(sent.len(), 1, "{actions:?}");
    local(sent[0])
}

#[test]
fn each_customer_waits_by_their_own_calendar() {
    let p = program("wait 1 business day");
    // Wednesday before Thanksgiving (2026-11-26): a US customer's next business day
    // is Friday, a German one's Thursday
    assert_eq!(webhook_time(&p, Some("US"), "2026-11-25 10:00"), "Fri 2026-11-27 10:00");
    assert_eq!(webhook_time(&p, Some("de"), "2026-11-25 10:00"), "Thu 2026-11-26 10:00");
    // no country, or one without a built-in calendar: the project's (DE); Christmas
    // Eve 2026 is a Thursday, 25 and 26 December German holidays, then the weekend
    assert_eq!(webhook_time(&p, None, "2026-12-24 10:00"), "Mon 2026-12-28 10:00");
    assert_eq!(webhook_time(&p, Some("JP"), "2026-12-24 10:00"), "Mon 2026-12-28 10:00");
    // UK is GB: Boxing Day 2026 is a Saturday, its substitute Monday 28 December
    assert_eq!(webhook_time(&p, Some("UK"), "2026-12-24 10:00"), "Tue 2026-12-29 10:00");
}

#[test]
fn three_business_days_across_the_end_of_summer_time() {
    // Berlin's clocks go back on Sunday 2026-10-25: Thursday + 3 business days is
    // Tuesday at the same local time
    let p = program("wait 3 business days");
    assert_eq!(webhook_time(&p, None, "2026-10-22 09:15"), "Tue 2026-10-27 09:15");
}

#[test]
fn without_a_business_days_setting_only_weekends_are_off() {
    let mut p = program("wait 1 business day");
    p.business_days = BusinessDays::default();
    assert_eq!(webhook_time(&p, Some("US"), "2026-11-25 10:00"), "Thu 2026-11-26 10:00");
    assert_eq!(webhook_time(&p, None, "2026-12-24 10:00"), "Fri 2026-12-25 10:00");
}
