//! `date ± Nd` is calendar arithmetic in the customer's zone: the whole days move the
//! local date, then the local time applies. Daylight saving never moves the day
//! (issue 14: a renewal on 2025-03-17 in New York entered on Jan 15, not Jan 16).

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Interner};
use journey_ir::Program;
use proptest::prelude::*;

/// Zones with and without daylight saving, both hemispheres, half-hour offsets and a
/// zone whose change happens at midnight.
const ZONES: [&str; 10] = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "UTC",
];

fn program(journeys: &str) -> Program {
    let mut sources = SourceMap::new();
    let prelude =
        "attribute timezone: timezone\nattribute renewal_date: date\nattribute member_since: date\nchannel crm { kind webhook }\n";
    let p = sources.add("prelude.journey", prelude);
    let f = sources.add("test.journey", journeys);
    let checked = check_sources(
        &sources,
        &[p, f],
        &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() },
    );
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    checked.program
}

fn days(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

fn at(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis()
}

/// The local date-times of the webhooks one customer in `zone` with `renewal` gets.
fn webhooks(program: &Program, engine: &Engine, zone: &str, renewal: NaiveDate) -> Vec<chrono::NaiveDateTime> {
    let mut attrs = vec![AttrValue::Missing; program.attributes.len()];
    let ix = |n: &str| program.attributes.iter().position(|a| a.name == n).unwrap();
    attrs[ix("timezone")] = AttrValue::Text(zone.into());
    attrs[ix("renewal_date")] = AttrValue::Date(days(renewal));
    // a customer long before: existence is not what these tests are about
    attrs[ix("member_since")] = AttrValue::Date(days(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()));
    let texts = Interner::default();
    let c = Customer { id: CustomerId(0), key: "c0", attributes: &attrs };
    let (actions, _) = engine.run_customer(c, std::iter::empty(), &texts);
    let tz: Tz = zone.parse().unwrap();
    actions.iter().filter(|a| matches!(a.kind, ActionKind::Webhook { .. })).map(|a| time::local(tz, a.time)).collect()
}

fn engine_over<'p>(program: &'p Program, from: NaiveDate, to: NaiveDate) -> Engine<'p> {
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: at(from), until: at(to) };
    Engine::new(program, opts).with_created_at(Some("member_since")).unwrap()
}

#[test]
fn a_renewal_in_summer_time_enters_sixty_calendar_days_before_in_winter_time() {
    let p = program(r#"journey renew { entry at renewal_date - 60d at 09:00 stage a { webhook crm "r" end } }"#);
    let e = engine_over(&p, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
    let got = webhooks(&p, &e, "America/New_York", NaiveDate::from_ymd_opt(2025, 3, 17).unwrap());
    let want = NaiveDate::from_ymd_opt(2025, 1, 16).unwrap().and_hms_opt(9, 0, 0).unwrap();
    assert_eq!(got, [want]);
}

#[test]
fn wait_until_a_date_minus_days_keeps_the_calendar_day() {
    let p = program(
        r#"journey renew { entry at renewal_date - 90d at 09:00
  stage a { wait until renewal_date - 60d webhook crm "r" end } }"#,
    );
    let e =
        engine_over(&p, NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
    let got = webhooks(&p, &e, "America/New_York", NaiveDate::from_ymd_opt(2025, 3, 17).unwrap());
    let want = NaiveDate::from_ymd_opt(2025, 1, 16).unwrap().and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(got, [want]);
}

/// For every zone of ten and every renewal day of two years, the entry's local date
/// is the renewal date minus 60 calendar days and its local time 09:00; `wait until
/// renewal_date - 30d` ends at local midnight of the renewal date minus 30 days.
#[test]
fn every_zone_every_day_of_two_years_keeps_calendar_days() {
    let p = program(
        r#"journey renew { entry at renewal_date - 60d at 09:00
  stage a { webhook crm "entered" wait until renewal_date - 30d webhook crm "waited" end } }"#,
    );
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let e = engine_over(&p, first - chrono::Days::new(90), NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
    let mut checked = 0;
    for zone in ZONES {
        for k in 0..730 {
            let renewal = first + chrono::Days::new(k);
            let got = webhooks(&p, &e, zone, renewal);
            let entry = renewal - chrono::Days::new(60);
            let wait = renewal - chrono::Days::new(30);
            assert_eq!(got.len(), 2, "{zone} {renewal}: {got:?}");
            assert_eq!((got[0].date(), got[0].hour(), got[0].minute()), (entry, 9, 0), "{zone} {renewal}");
            // local midnight may not exist (a change at midnight): then the first minute
            // that does, on the same day
            assert_eq!(got[1].date(), wait, "{zone} {renewal}: {got:?}");
            assert!(got[1].hour() <= 1, "{zone} {renewal}: {got:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 7300);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any offset in days, before or after, any zone: the entry lands on the shifted
    /// calendar date at the stated local time.
    #[test]
    fn any_offset_keeps_calendar_days(zone in 0..ZONES.len(), day in 0u64..730, n in 1i64..400, before in any::<bool>(), minute in 0u32..1440) {
        let sign = if before { "-" } else { "+" };
        let src = format!(
            "journey renew {{ entry at renewal_date {sign} {n}d at {:02}:{:02} stage a {{ webhook crm \"r\" end }} }}",
            minute / 60,
            minute % 60
        );
        let p = program(&src);
        let renewal = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(day);
        let entry = if before { renewal - chrono::Days::new(n as u64) } else { renewal + chrono::Days::new(n as u64) };
        let e = engine_over(&p, entry - chrono::Days::new(2), entry + chrono::Days::new(2));
        let got = webhooks(&p, &e, ZONES[zone], renewal);
        prop_assert_eq!(got.len(), 1, "{:?}", got);
        prop_assert_eq!(got[0].date(), entry);
        // a local time skipped by a clock change moves forward by the gap (at most 1h)
        let want = entry.and_hms_opt(minute / 60, minute % 60, 0).unwrap();
        prop_assert!(got[0] >= want && got[0] - want <= chrono::Duration::hours(1), "{:?} vs {:?}", got[0], want);
        prop_assert!(got[0].day() == entry.day());
    }
}
