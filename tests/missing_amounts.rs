//! A missing amount is never a 0. In a JSON lines log a money property that is `null`
//! or absent is missing, exactly as an empty CSV cell is (docs/events.md, "Properties"):
//! `journey simulate` gives the same report from either, and an amount goal adds up the
//! amounts there are. `journey clv` on a project's event log read its own way: a null
//! or absent amount was a purchase of 0 (lowering the mean spend, adding a purchase
//! day), where the CSV log's empty cell stops with the file and line. Now both stop.
//! On a small invoicing project written here (not journeys/).

mod common;

use common::{code, journey, stderr, stdout};
use std::path::Path;

const SCHEMA: &str = r#"event account_created
event invoice_paid { amount: money, invoice_id: text }

channel crm {
  kind webhook
}

journey onboarding {
  entry on account_created

  stage hello {
    webhook crm "welcome"
    end
  }

  goal paid = invoice_paid within 30d
  goal billed = sum(invoice_paid.amount within 30d)
  goal priced = invoice_paid where amount is set within 30d
}
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: EUR\ninclude: [\"journeys/**\"]\n")
        .unwrap();
    std::fs::create_dir(dir.path().join("journeys")).unwrap();
    std::fs::write(dir.path().join("journeys/billing.journey"), SCHEMA).unwrap();
    dir
}

/// (customer, day, event, amount): `None` is an invoice without an amount.
const ROWS: &[(&str, u32, &str, Option<&str>)] = &[
    ("c1", 1, "account_created", None),
    ("c1", 2, "invoice_paid", Some("120.00")),
    ("c1", 9, "invoice_paid", None),
    ("c2", 1, "account_created", None),
    ("c2", 3, "invoice_paid", None),
    ("c3", 2, "account_created", None),
    ("c3", 4, "invoice_paid", Some("80.50")),
    ("c3", 6, "invoice_paid", Some("19.50")),
];

fn csv() -> String {
    let mut s = String::from("customer_id,timestamp,event,amount,invoice_id\n");
    for (i, (c, d, e, a)) in ROWS.iter().enumerate() {
        s += &format!("{c},2026-03-{d:02}T10:00:00Z,{e},{},inv{i}\n", a.unwrap_or(""));
    }
    s
}

/// `absent`: an invoice without an amount has no `amount` key (else `"amount": null`).
fn jsonl(absent: bool) -> String {
    let mut s = String::new();
    for (i, (c, d, e, a)) in ROWS.iter().enumerate() {
        let amount = match (a, absent) {
            (Some(a), _) => format!(r#","amount":{a}"#),
            (None, false) => r#","amount":null"#.to_string(),
            (None, true) => String::new(),
        };
        s += &format!(
            r#"{{"customer_id":"{c}","timestamp":"2026-03-{d:02}T10:00:00Z","event":"{e}"{amount},"invoice_id":"inv{i}"}}"#
        );
        s.push('\n');
    }
    s
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn simulate_reads_a_null_or_absent_json_amount_as_the_empty_csv_cell() {
    let dir = project();
    let logs = [("log.csv", csv()), ("null.jsonl", jsonl(false)), ("absent.jsonl", jsonl(true))];
    let mut reports = Vec::new();
    for (name, text) in &logs {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = journey(&["simulate", "--events", s(&path), "--format", "json"], dir.path());
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        reports.push((name, stdout(&out)));
    }
    for (name, r) in &reports[1..] {
        assert_eq!(r, &reports[0].1, "{name} gives the CSV log's report");
    }
    let v: serde_json::Value = serde_json::from_str(&reports[0].1).unwrap();
    let goals = &v["journeys"]["onboarding"]["goals"];
    assert_eq!(goals["paid"]["treated_conversions"], 3, "{goals}");
    // c2's only invoice has no amount: not a priced invoice
    assert_eq!(goals["priced"]["treated_conversions"], 2, "{goals}");
    // 120.00 + 80.50 + 19.50, in ten-thousandths: the invoices without an amount add nothing
    let amounts = &v["journeys"]["onboarding"]["experiment"]["treated"]["amounts"]["billed"];
    assert_eq!(amounts["total"], "2200000", "{amounts}");
    // nothing was skipped or refused: a missing amount is a value the log may lack
    let validate = journey(&["events", "validate", s(&dir.path().join("null.jsonl"))], dir.path());
    assert_eq!(code(&validate), 0, "{}", stdout(&validate));
}

#[test]
fn clv_stops_at_a_null_or_absent_json_amount_as_at_an_empty_csv_cell() {
    let dir = project();
    let run = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        journey(&["clv", "fit", "--model", "gamma-gamma", "--event", "invoice_paid", "--input", name], dir.path())
    };
    // the model: an empty amount cell stops with file, line and column
    let out = run("log.csv", &csv());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(r#"log.csv:4:38: cannot read "" as an amount"#), "{}", stderr(&out));
    // JSON lines: `null` on the same row (line 3 of a log without header)
    let out = run("null.jsonl", &jsonl(false));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("null.jsonl:3:88: no amount: `amount` is null"), "{}", stderr(&out));
    // no `amount` key on that row, while other rows have one
    let out = run("absent.jsonl", &jsonl(true));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("absent.jsonl:3:1: no amount: the row has none of the amount fields"),
        "{}",
        stderr(&out)
    );
    // with every amount given, CSV and JSON lines fit the same spend model
    let mut rows = Vec::new();
    for c in 0..40u32 {
        for k in 0..c % 4 + 1 {
            let t = format!("2026-{:02}-{:02}T10:00:00Z", 1 + k * 2 + c % 3, 1 + c % 28);
            rows.push((t, format!("c{c:02}"), format!("{}.{:02}", 10 + (c * 7 + k * 3) % 50, c * 13 % 100)));
        }
    }
    rows.sort();
    let csv_full: String = std::iter::once("customer_id,timestamp,event,amount\n".to_string())
        .chain(rows.iter().map(|(t, c, a)| format!("{c},{t},invoice_paid,{a}\n")))
        .collect();
    let json_full: String = rows
        .iter()
        .map(|(t, c, a)| {
            format!("{{\"customer_id\":\"{c}\",\"timestamp\":\"{t}\",\"event\":\"invoice_paid\",\"amount\":{a}}}\n")
        })
        .collect();
    let fit = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        let out = journey(
            &["clv", "fit", "--model", "gamma-gamma", "--event", "invoice_paid", "--input", name, "--format", "json"],
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(fit("full.csv", &csv_full), fit("full.jsonl", &json_full));
}

/// `avg` of a property takes the events that carry it: an invoice without an amount
/// is no 0 pulling the mean down (it was, in the engine and in the checker's
/// witnesses alike). c1 paid 120.00 and then an invoice without an amount: its mean is
/// 120, not 60, so it is no small payer; c3 (80.50, 19.50) is.
#[test]
fn avg_leaves_out_the_events_without_the_value() {
    let dir = project();
    std::fs::write(
        dir.path().join("journeys/small.journey"),
        r#"audience small_payer = avg(invoice_paid.amount) < 100

journey small_payers {
  entry on invoice_paid
  audience small_payer

  stage thanks {
    webhook crm "thanks"
    end
  }
}
"#,
    )
    .unwrap();
    let check = journey(&["check"], dir.path());
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    for (name, text) in [("log.csv", csv()), ("null.jsonl", jsonl(false)), ("absent.jsonl", jsonl(true))] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let trace = dir.path().join("trace.csv");
        let out = journey(&["simulate", "-q", "--events", s(&path), "--trace", s(&trace)], dir.path());
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let trace = std::fs::read_to_string(&trace).unwrap();
        let entered: std::collections::BTreeSet<&str> = (trace.lines().skip(1))
            .filter(|l| l.contains("small_payers"))
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        // c2's only invoice has no amount: its mean has no value, so it is not one either
        assert_eq!(entered.into_iter().collect::<Vec<_>>(), ["c3"], "{name}:\n{trace}");
    }
}
