//! Issue 15, accounts: `account.count(…)` counts the events of every customer of the
//! customer's account, so an event of customer A counts for customer B's condition;
//! customers of other accounts do not. The driver hands each customer the other
//! customers' events (docs/engine.md#accounts).

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};

const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

struct People(Vec<(String, Vec<AttrValue>)>);

impl Profiles for People {
    fn customer(&self, id: CustomerId) -> Customer<'_> {
        let (key, attrs) = &self.0[id.0 as usize];
        Customer { id, key, attributes: attrs }
    }
}

fn login(customer: u32, t: i64) -> Event {
    Event {
        customer: CustomerId(customer),
        time: T0 + t,
        kind: EventKind(0),
        props: Vec::<PropValue>::new().into(),
        revenue: None,
        line: t as u64,
    }
}

/// Who entered `busy` (customer keys with the time after T0), for customers in the
/// given accounts and logins (customer, time); the journey enters on a login when
/// the account has `threshold` logins in 7 days.
fn entered(
    condition: &str,
    accounts: &[&str],
    logins: &[(u32, i64)],
    mapped: bool,
    threads: usize,
) -> Vec<(String, i64)> {
    let mut sources = SourceMap::new();
    let src = format!(
        "event login {{}}\nattribute account: text\nchannel crm {{ kind webhook }}\n\
         journey busy {{ entry on login audience {condition} re_entry never stage a {{ webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("test.journey", src);
    let mut checked = check_sources(&sources, &[f], &Settings::default());
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "fixture has errors: {errors:#?}");
    if mapped {
        checked.program.accounts.attribute = Some("account".into());
    }
    let opts = EngineOptions { quiet_hours: QuietMode::Defer, seed: 1, start: T0 - 1, until: T0 + 30 * DAY };
    let engine = Engine::new(&checked.program, opts);
    let people = People(
        accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("c{i}"), vec![AttrValue::Text(a.to_string().into())]))
            .collect(),
    );
    let events: Vec<Event> = logins.iter().map(|&(c, t)| login(c, t)).collect();
    let mut driver = ShardedDriver::new(&engine, threads);
    driver.push_batch(&events, &people, &Interner::default());
    let (actions, _) = driver.finish(&Interner::default(), threads);
    let mut out: Vec<(String, i64)> = actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Enter { .. }))
        .map(|a| (people.0[a.customer.0 as usize].0.clone(), a.time - T0))
        .collect();
    out.sort();
    out
}

#[test]
fn an_event_of_one_customer_counts_for_another_of_the_account() {
    // c0 and c1 share account "a"; c2 is alone in "b". Three logins of the account
    // in 7 days: c0 logs in twice, c1 once; c1's login is the third for "a".
    let logins = [(0, 0), (0, HOUR), (2, 2 * HOUR), (2, 3 * HOUR), (1, 4 * HOUR)];
    let got = entered("account.count(login, 7d) >= 3", &["a", "a", "b"], &logins, true, 1);
    assert_eq!(got, vec![("c1".to_string(), 4 * HOUR)]);
    // c0's next login finds the account at 4
    let logins = [(0, 0), (0, HOUR), (1, 4 * HOUR), (0, 5 * HOUR)];
    let got = entered("account.count(login, 7d) >= 3", &["a", "a", "b"], &logins, true, 1);
    assert_eq!(got, vec![("c0".to_string(), 5 * HOUR), ("c1".to_string(), 4 * HOUR)]);
}

#[test]
fn the_customers_own_count_does_not_see_the_account() {
    let logins = [(0, 0), (0, HOUR), (1, 4 * HOUR)];
    assert!(entered("count(login, 7d) >= 3", &["a", "a"], &logins, true, 1).is_empty());
}

#[test]
fn the_window_applies_to_the_account_history() {
    // c0's two logins are 8 days before c1's: out of the 7-day window
    let logins = [(0, 0), (0, HOUR), (1, 8 * DAY)];
    assert!(entered("account.count(login, 7d) >= 3", &["a", "a"], &logins, true, 1).is_empty());
    let logins = [(0, 0), (0, HOUR), (1, 6 * DAY)];
    assert_eq!(
        entered("account.count(login, 7d) >= 3", &["a", "a"], &logins, true, 1),
        vec![("c1".to_string(), 6 * DAY)]
    );
}

#[test]
fn a_customer_seen_late_gets_the_account_history() {
    // c1's first event comes after the account's other logins: they count for them
    let logins = [(0, 0), (0, HOUR), (0, 2 * HOUR), (1, DAY)];
    let got = entered("account.count(login, 7d) >= 4", &["a", "a"], &logins, true, 1);
    assert_eq!(got, vec![("c1".to_string(), DAY)]);
}

#[test]
fn threads_change_nothing_and_no_mapping_means_the_customer_alone() {
    let logins = [(0, 0), (1, HOUR), (2, 2 * HOUR), (3, 3 * HOUR), (1, 4 * HOUR), (3, 5 * HOUR)];
    let accounts = ["a", "a", "b", "b"];
    let one = entered("account.count(login, 7d) >= 2", &accounts, &logins, true, 1);
    assert_eq!(one, entered("account.count(login, 7d) >= 2", &accounts, &logins, true, 4));
    assert_eq!(one, vec![("c1".to_string(), HOUR), ("c3".to_string(), 3 * HOUR)]);
    // without a mapping every customer is an account of their own
    let alone = entered("account.count(login, 7d) >= 2", &accounts, &logins, false, 1);
    assert_eq!(alone, vec![("c1".to_string(), 4 * HOUR), ("c3".to_string(), 5 * HOUR)]);
}
