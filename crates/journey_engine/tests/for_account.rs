//! issue 15, `for account` journeys, against an oracle: a `for account` journey run
//! on an account must do exactly what the same journey (without `for account`) does
//! for one customer whose row is the account's and whose events are every event of the
//! account's customers, except that each message goes to the account's admins who
//! consented (one send each) or, when there are none, is refused as `NoAdmin`.
//! Customers' own journeys must never run in an account's state, nor the account's
//! journey in a customer's. Checked on generated accounts, roles, consents and logs.

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_engine::accounts::{subject, AccountBook, Admin, Subject};
use journey_engine::*;
use journey_events::{CustomerId, Event, EventKind, Interner, PropValue};
use journey_ir::Program;
use proptest::prelude::*;

/// 2026-01-05T00:00:00Z (a Monday)
const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn source(for_account: bool) -> String {
    let scope = if for_account { "for account" } else { "" };
    format!(
        "event login {{}}\nevent purchase {{}}\n\
         attribute account: text\nattribute role: text\nattribute opt_in: bool\n\
         account attribute seats: number\n\
         channel email {{ kind email consent opt_in }}\n\
         channel tasks {{ kind task }}\n\
         journey quiet {{ {scope}\n\
           entry on login\n\
           audience account.seats >= 3 and account.count(login, 3d) <= 2\n\
           re_entry after 5d\n\
           stage a {{ send email \"x\" task tasks \"call\" wait 2d\n\
             branch {{ when account.count(login, 2d) >= 2 -> b else -> c }} }}\n\
           stage b {{ send email \"y\" end }}\n\
           stage c {{ end }}\n\
           goal bought = purchase within 4d }}\n\
         journey welcome {{ entry on login re_entry never stage a {{ send email \"w\" end }} }}\n"
    )
}

fn program(for_account: bool) -> Program {
    let mut sources = SourceMap::new();
    let f = sources.add("accounts.journey", source(for_account));
    let checked = check_sources(&sources, &[f], &Settings { timezone: "UTC".into(), ..Default::default() });
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut p = checked.program;
    // what journey.yaml's `events.account` puts in (journey_run::accounts)
    p.accounts.attribute = Some("account".into());
    p
}

/// A generated program's world: customers' rows (account, role, consent, seats).
#[derive(Debug, Clone)]
struct World {
    rows: Vec<Vec<AttrValue>>,
    keys: Vec<String>,
}

impl Profiles for World {
    fn customer(&self, id: CustomerId) -> Customer<'_> {
        Customer { id, key: &self.keys[id.0 as usize], attributes: &self.rows[id.0 as usize] }
    }
}

fn attr(p: &Program, name: &str) -> usize {
    p.attributes.iter().position(|a| a.name == name).unwrap()
}

/// The accounts of the world, as journey_run's `Snapshot::account_book` makes them:
/// in the order of their first customer, the first customer's row as the account's.
fn book(p: &Program, w: &World) -> AccountBook {
    let mut book = AccountBook::default();
    for (c, row) in w.rows.iter().enumerate() {
        let AttrValue::Text(a) = &row[attr(p, "account")] else { continue };
        let k = book.account(a, || row.clone());
        book.accounts[k].customers += 1;
        if row[attr(p, "role")] == AttrValue::Text("admin".into()) {
            book.add_admin(k, Admin { key: w.keys[c].clone(), attributes: row.clone() });
        }
    }
    book
}

fn options() -> EngineOptions {
    EngineOptions { quiet_hours: QuietMode::Defer, seed: 7, start: T0, until: T0 + 20 * DAY }
}

/// Comparable actions: (time, journey, node, what).
type Row = (i64, usize, Option<usize>, String);

fn row(a: &Action) -> Row {
    let what = match &a.kind {
        ActionKind::Suppressed { reason, .. } => format!("suppressed {reason:?}"),
        other => format!("{other:?}"),
    };
    (a.time, a.journey, a.node, what)
}

fn world_strategy() -> impl Strategy<Value = (Vec<(u8, bool, bool, u8)>, Vec<(u8, u8, u16)>)> {
    // customers: (account 0..3, admin, consent, seats of their account), events:
    // (customer, kind, hour)
    let customers = prop::collection::vec((0u8..3, any::<bool>(), any::<bool>(), 0u8..6), 1..8);
    let events = prop::collection::vec((0u8..8, 0u8..4, 0u16..(18 * 24)), 0..30);
    (customers, events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn an_account_runs_the_journey_as_one_customer_of_all_its_events((customers, events) in world_strategy()) {
        let pa = program(true);
        let po = program(false);
        let n = customers.len();
        // one `seats` per account: the first customer's (as the book takes it)
        let rows: Vec<Vec<AttrValue>> = customers
            .iter()
            .map(|&(a, admin, consent, seats)| {
                let mut r = vec![AttrValue::Missing; pa.attributes.len()];
                r[attr(&pa, "account")] = AttrValue::Text(format!("acct-{a}").into());
                r[attr(&pa, "role")] = AttrValue::Text(if admin { "admin" } else { "member" }.into());
                r[attr(&pa, "opt_in")] = AttrValue::Bool(consent);
                r[attr(&pa, "seats")] = AttrValue::Number(f64::from(seats));
                r
            })
            .collect();
        let world = World { rows, keys: (0..n).map(|i| format!("c{i}")).collect() };
        let login = pa.events.iter().position(|e| e.name == "login").unwrap() as u16;
        let purchase = pa.events.iter().position(|e| e.name == "purchase").unwrap() as u16;
        let mut log: Vec<Event> = events
            .iter()
            .filter(|(c, _, _)| (*c as usize) < n)
            .map(|&(c, k, h)| Event {
                customer: CustomerId(c as u32),
                time: T0 + i64::from(h) * HOUR,
                kind: EventKind(if k == 0 { purchase } else { login }),
                props: Vec::<PropValue>::new().into(),
                revenue: None,
                line: 0,
            })
            .collect();
        log.sort_by_key(|e| e.time);
        let texts = Interner::default();

        // the program with `for account`, through the driver
        let engine = Engine::new(&pa, options());
        let book = book(&pa, &world);
        let mut driver = Driver::new(&engine);
        driver.set_accounts(book.clone());
        for c in 0..n {
            driver.add_customer_in(world.customer(CustomerId(c as u32)), &texts);
        }
        for e in &log {
            driver.push(e, &world, &texts);
        }
        let (actions, report) = driver.finish(&texts);
        let quiet = pa.journeys.iter().position(|j| j.name == "quiet").unwrap();

        // customers never run `quiet`; accounts never run `welcome`
        for a in &actions {
            match subject(a.customer) {
                Subject::Customer(_) => prop_assert_ne!(a.journey, quiet, "a customer ran the account's journey"),
                Subject::Account(_) | Subject::Admin(_) => prop_assert_eq!(a.journey, quiet),
            }
        }
        prop_assert_eq!(report.accounts.accounts, book.accounts.len() as u64);
        prop_assert_eq!(report.accounts.customers, n as u64);

        // the oracle, account by account
        let oracle_engine = Engine::new(&po, options());
        let consent = attr(&pa, "opt_in");
        let mut messages = 0;
        let mut undelivered = 0;
        for (k, entry) in book.accounts.iter().enumerate() {
            let members: Vec<u32> = (0..n as u32)
                .filter(|&c| world.rows[c as usize][attr(&pa, "account")] == AttrValue::Text(entry.key.clone().into()))
                .collect();
            let merged: Vec<Event> = log
                .iter()
                .filter(|e| members.contains(&e.customer.0))
                .map(|e| Event { customer: CustomerId(0), ..e.clone() })
                .collect();
            let mut row_all = entry.attributes.clone();
            // the oracle customer consents: consent is the admins' (checked below)
            row_all[consent] = AttrValue::Bool(true);
            let me = Customer { id: CustomerId(0), key: &entry.key, attributes: &row_all };
            let (expected, _) = oracle_engine.run_customer(me, merged.iter(), &texts);
            let expected: Vec<&Action> = expected.iter().filter(|a| a.journey == quiet).collect();
            let recipients: Vec<CustomerId> = entry
                .admins
                .iter()
                .filter(|&&i| book.admins[i as usize].attributes[consent] == AttrValue::Bool(true))
                .map(|&i| AccountBook::admin_id(i))
                .collect();
            let mine: Vec<&Action> = actions
                .iter()
                .filter(|a| match subject(a.customer) {
                    Subject::Account(x) => x == k,
                    Subject::Admin(i) => book.accounts[k].admins.contains(&(i as u32)),
                    Subject::Customer(_) => false,
                })
                .collect();
            let mut want: Vec<(Row, Option<CustomerId>)> = Vec::new();
            for a in expected {
                match a.kind {
                    ActionKind::Send { .. } if recipients.is_empty() => {
                        undelivered += 1;
                        want.push(((a.time, a.journey, a.node, "suppressed NoAdmin".into()), None));
                    }
                    ActionKind::Send { .. } => {
                        for &r in &recipients {
                            messages += 1;
                            want.push((row(a), Some(r)));
                        }
                    }
                    _ => want.push((row(a), None)),
                }
            }
            let got: Vec<(Row, Option<CustomerId>)> = mine
                .iter()
                .map(|a| (row(a), matches!(subject(a.customer), Subject::Admin(_)).then_some(a.customer)))
                .collect();
            prop_assert_eq!(got, want, "account {}", entry.key);
        }
        prop_assert_eq!(report.accounts.messages, messages);
        prop_assert_eq!(report.accounts.undelivered, undelivered);
    }
}

/// Every customer's journeys and every account's: the same actions and report with
/// the states finished on one thread or several.
#[test]
fn finishing_on_several_threads_changes_nothing() {
    let p = program(true);
    let rows: Vec<Vec<AttrValue>> = (0..40)
        .map(|c| {
            let mut r = vec![AttrValue::Missing; p.attributes.len()];
            r[attr(&p, "account")] = AttrValue::Text(format!("acct-{}", c % 7).into());
            r[attr(&p, "role")] = AttrValue::Text(if c % 3 == 0 { "admin" } else { "member" }.into());
            r[attr(&p, "opt_in")] = AttrValue::Bool(c % 4 != 1);
            r[attr(&p, "seats")] = AttrValue::Number(5.0);
            r
        })
        .collect();
    let world = World { rows, keys: (0..40).map(|i| format!("c{i}")).collect() };
    let login = p.events.iter().position(|e| e.name == "login").unwrap() as u16;
    let log: Vec<Event> = (0..200)
        .map(|i| Event {
            customer: CustomerId((i * 7 % 40) as u32),
            time: T0 + i as i64 * 2 * HOUR,
            kind: EventKind(login),
            props: Vec::<PropValue>::new().into(),
            revenue: None,
            line: 0,
        })
        .collect();
    let texts = Interner::default();
    let engine = Engine::new(&p, options());
    let run = |threads: usize| {
        let mut d = Driver::new(&engine);
        d.set_accounts(book(&p, &world));
        for e in &log {
            d.push(e, &world, &texts);
        }
        let (a, r) = d.finish_on(&texts, threads);
        (a.iter().map(|a| (a.customer, row(a))).collect::<Vec<_>>(), r)
    };
    let one = run(1);
    assert!(one.1.accounts.messages > 0, "{:?}", one.1.accounts);
    assert_eq!(one, run(3));
}
