//! `wait … for A where F or NAME then …` lists NAME as a second event to wait for
//! (issue 15). When NAME is a value the filter could read, the checker says that the
//! `or` started another event and shows the parenthesised filter, instead of a bare
//! "unknown event".

use journey_check::{check_sources, Settings};
use journey_diagnostics::{Diagnostic, SourceMap};

const PRELUDE: &str = "event purchase { amount: money, coupon: text }\nevent subscription_started {}\n\
                       attribute vip: bool\nattribute email_opt_in: bool\naudience fans = vip\n\
                       channel email { consent email_opt_in }\n";

fn check(wait: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let src = format!(
        "{PRELUDE}journey j {{\n  entry on purchase\n  stage a {{\n    {wait} then b timeout b\n  }}\n  \
         stage b {{\n    send email \"x\"\n    end\n  }}\n}}\n"
    );
    let f = sources.add("t.journey", src);
    check_sources(&sources, &[f], &Settings { timezone: "UTC".into(), currency: "USD".into(), ..Default::default() })
        .diagnostics
}

#[test]
fn a_value_after_or_in_a_wait_filter_is_explained() {
    for (name, kind) in [("vip", "an attribute"), ("fans", "an audience"), ("coupon", "an event property")] {
        let d = check(&format!("wait up to 3d for purchase where amount > 10 USD or {name}"));
        assert_eq!(d.len(), 1, "{d:#?}");
        let text = format!("{:?}", d[0]);
        assert_eq!(d[0].code, "J101");
        assert!(text.contains(&format!("`{name}` is {kind}, not an event")), "{text}");
        assert!(text.contains(&format!("put the filter in parentheses: `where (… or {name})`")), "{text}");
        // the parenthesised filter is what was meant, and checks clean
        let ok = check(&format!("wait up to 3d for purchase where (amount > 10 USD or {name})"));
        let ok: Vec<_> = ok.iter().filter(|d| d.code == "J101").collect();
        assert!(ok.is_empty(), "{ok:#?}");
    }
}

#[test]
fn a_second_event_or_an_unknown_name_reads_as_before() {
    // a real second event: no diagnostic
    let d = check("wait up to 3d for purchase where amount > 10 USD or subscription_started");
    assert!(d.iter().all(|d| d.code != "J101"), "{d:#?}");
    // no filter before the `or`: a plain unknown event, nothing to explain
    let d = check("wait up to 3d for purchase or vip");
    let text = format!("{d:?}");
    assert!(d.iter().any(|d| d.code == "J101") && !text.contains("parentheses"), "{text}");
    // a name that is nothing at all: the usual unknown event
    let d = check("wait up to 3d for purchase where amount > 10 USD or nothing_like_it");
    let text = format!("{d:?}");
    assert!(d.iter().any(|d| d.code == "J101") && !text.contains("parentheses"), "{text}");
}
