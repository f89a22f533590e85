//! issue 15: `wait N business days` in the checker and the IR: the count lands in
//! `Step::WaitBusinessDays`, a zero count is J309 (as `wait 0d` is), and the YAML
//! form (`- wait: 3 business days`) lowers to the same step.

use journey_check::{check_sources, Settings};
use journey_diagnostics::SourceMap;
use journey_ir::Step;

fn check(path: &str, src: &str) -> journey_check::Checked {
    let mut sources = SourceMap::new();
    let f = sources.add(path, src.to_string());
    check_sources(&sources, &[f], &Settings::default())
}

const DECLS: &str = "event signup {}\nchannel crm { kind webhook }\n";

#[test]
fn the_wait_lowers_with_its_count() {
    let c = check(
        "t.journey",
        &format!("{DECLS}journey j {{ entry on signup stage a {{ wait 3 business days webhook crm \"x\" end }} }}"),
    );
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let steps: Vec<&Step> = c.program.journeys[0].nodes.iter().map(|n| &n.step).collect();
    assert!(matches!(steps[0], Step::WaitBusinessDays { days: 3, .. }), "{steps:?}");
    assert!(steps[0].is_wait());
}

#[test]
fn zero_business_days_is_j309_on_the_count() {
    let src =
        format!("{DECLS}journey j {{ entry on signup stage a {{ wait 0 business days webhook crm \"x\" end }} }}");
    let c = check("t.journey", &src);
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["J309"]);
    let label = c.diagnostics[0].primary_label().unwrap().span.range();
    assert_eq!(&src[label], "0 business days");
}

#[test]
fn a_missing_word_is_a_syntax_error_naming_business_days() {
    let c = check(
        "t.journey",
        &format!("{DECLS}journey j {{ entry on signup stage a {{ wait 3 business webhook crm \"x\" end }} }}"),
    );
    assert_eq!(c.diagnostics[0].code, "J001");
    assert!(c.diagnostics[0].message.contains("`days`"), "{}", c.diagnostics[0].message);
}

#[test]
fn the_yaml_form_is_the_same_step() {
    let yaml = "events:\n  signup: {}\nchannels:\n  crm: { kind: webhook }\njourneys:\n  j:\n    entry: on signup\n    stages:\n      a:\n        - wait: 2 business days\n        - webhook: crm \"x\"\n        - end\n";
    let c = check("t.journey.yaml", yaml);
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    assert!(matches!(c.program.journeys[0].nodes[0].step, Step::WaitBusinessDays { days: 2, .. }));
}
