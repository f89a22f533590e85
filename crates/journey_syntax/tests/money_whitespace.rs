//! `250<TAB>USD` is money like `250 USD`: whitespace between amount and currency is any
//! run of spaces and tabs (issue 19).

use journey_diagnostics::FileId;

fn parses(amount_and_currency: &str) -> bool {
    let src = format!(
        "event purchase {{ amount: money }}\naudience big = sum(purchase.amount, 365d) >= {amount_and_currency}\n"
    );
    let parsed = journey_syntax::parse(&src, FileId(0));
    parsed.diagnostics.is_empty() && !parsed.module.items.is_empty()
}

#[test]
fn a_tab_separates_amount_and_currency() {
    assert!(parses("250 USD"));
    assert!(parses("250\tUSD"));
    assert!(parses("250 \t USD"));
}

#[test]
fn the_amount_keeps_its_currency_after_a_tab() {
    let src = "event purchase { amount: money }\naudience big = sum(purchase.amount, 365d) >= 250\tEUR\n";
    let parsed = journey_syntax::parse(src, FileId(0));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let dbg = format!("{:?}", parsed.module);
    assert!(dbg.contains("currency: Some(\"EUR\")"), "{dbg}");
}
