//! Several triggers per journey and waits for any of several events (issue 15): the
//! DSL forms, the YAML forms that mean the same, and where a filter's condition ends.

use journey_diagnostics::FileId;
use journey_syntax::ast::*;
use journey_syntax::{parse, yaml};

const F: FileId = FileId(0);

fn erase_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        out.push_str("Span");
        rest = &after[after.find('}').unwrap() + 1..];
    }
    out.push_str(rest);
    out
}

fn dsl(src: &str) -> Module {
    let p = parse(src, F);
    assert!(p.diagnostics.is_empty(), "DSL diagnostics: {:#?}", p.diagnostics);
    p.module
}

fn journey(m: &Module) -> &JourneyDecl {
    m.items.iter().find_map(|i| if let Item::Journey(j) = i { Some(j) } else { None }).unwrap()
}

fn entry(m: &Module) -> &Entry {
    journey(m).items.iter().find_map(|i| if let JourneyItem::Entry(e) = i { Some(e) } else { None }).unwrap()
}

fn wait_for(m: &Module) -> &StepKind {
    journey(m)
        .items
        .iter()
        .find_map(|i| match i {
            JourneyItem::Stage(s) => s.steps.iter().map(|s| &s.kind).find(|k| matches!(k, StepKind::WaitFor { .. })),
            _ => None,
        })
        .unwrap()
}

fn event_of(t: &Trigger) -> (&str, bool) {
    match t {
        Trigger::Event { event, filter } => (event.name.as_str(), filter.is_some()),
        other => panic!("not an event trigger: {other:?}"),
    }
}

#[test]
fn an_entry_filter_ends_at_or_on() {
    let m = dsl(r#"journey j { entry on signup where plan == "pro" or on trial_started stage s { end } }"#);
    let e = entry(&m);
    assert_eq!(event_of(&e.trigger), ("signup", true));
    assert_eq!(e.also.len(), 1);
    assert_eq!(event_of(&e.also[0].trigger), ("trial_started", false));
    // a filter that is itself an `or` keeps both sides
    let m = dsl(r#"journey j { entry on signup where a or b or on trial_started where c stage s { end } }"#);
    let e = entry(&m);
    let Trigger::Event { filter: Some(f), .. } = &e.trigger else { panic!() };
    assert!(matches!(f.kind, ExprKind::Binary { op: BinaryOp::Or, .. }), "{f:?}");
    assert_eq!(event_of(&e.also[0].trigger), ("trial_started", true));
    // one trigger: no alternatives
    assert!(entry(&dsl("journey j { entry on signup stage s { end } }")).also.is_empty());
}

#[test]
fn other_kinds_of_trigger_parse_after_or_so_the_checker_can_name_them() {
    let m = dsl("journey j { entry on signup or every monday at 09:00 or when audience a entered stage s { end } }");
    let e = entry(&m);
    assert!(matches!(e.also[0].trigger, Trigger::Schedule { .. }));
    assert!(matches!(e.also[1].trigger, Trigger::Audience { .. }));
}

#[test]
fn a_wait_filter_ends_at_or_name_then() {
    let m = dsl(
        "journey j { entry on a stage s { wait up to 3d for purchase where amount > 10 or subscription_started or signup where x \
         then t timeout t } stage t { end } }",
    );
    let StepKind::WaitFor { event, filter, also, .. } = wait_for(&m) else { unreachable!() };
    assert_eq!(event.name, "purchase");
    assert!(matches!(filter.as_ref().unwrap().kind, ExprKind::Binary { op: BinaryOp::Cmp(_), .. }));
    let names: Vec<(&str, bool)> = also.iter().map(|a| (a.event.name.as_str(), a.filter.is_some())).collect();
    assert_eq!(names, [("subscription_started", false), ("signup", true)]);
}

#[test]
fn a_parenthesised_or_of_a_property_stays_in_the_filter() {
    let m = dsl("journey j { entry on a stage s { wait up to 3d for email_open where (template == \"x\" or resend) then t timeout t } stage t { end } }");
    let StepKind::WaitFor { also, filter, .. } = wait_for(&m) else { unreachable!() };
    assert!(also.is_empty());
    assert!(filter.is_some());
    // without parentheses, `or resend then` names an event
    let m = dsl("journey j { entry on a stage s { wait up to 3d for email_open where template == \"x\" or resend then t timeout t } stage t { end } }");
    let StepKind::WaitFor { also, .. } = wait_for(&m) else { unreachable!() };
    assert_eq!(also[0].event.name, "resend");
    // an `or` inside a condition elsewhere (a branch, an audience) is untouched
    let m = dsl("audience a = x or y or z\njourney j { entry on a stage s { end } }");
    let Item::Audience(a) = &m.items[0] else { panic!() };
    assert!(matches!(a.condition.kind, ExprKind::Binary { op: BinaryOp::Or, .. }));
}

#[test]
fn the_yaml_list_forms_mean_the_same_as_or() {
    let dsl_src = r#"journey j {
  entry on signup where plan == "pro" or on trial_started
  stage s {
    wait up to 3d for purchase or subscription_started
      then t
      timeout t
  }
  stage t {
    end
  }
}
"#;
    let yaml_src = r#"journeys:
  j:
    entry: ['on signup where plan == "pro"', on trial_started]
    stages:
      s:
        - wait: { up_to: 3d, for: [purchase, subscription_started], then: t, timeout: t }
      t:
        - end
"#;
    let y = yaml::parse(yaml_src, F);
    assert!(y.diagnostics.is_empty(), "YAML diagnostics: {:#?}", y.diagnostics);
    assert_eq!(erase_spans(&format!("{:?}", dsl(dsl_src))), erase_spans(&format!("{:?}", y.module)));
    // the string form of a wait reads the DSL
    let yaml_text = "journeys:\n  j:\n    entry: on signup or on trial_started\n    stages:\n      s:\n        - wait: up to 3d for purchase or subscription_started then t timeout t\n      t: [end]\n";
    let y = yaml::parse(yaml_text, F);
    assert!(y.diagnostics.is_empty(), "YAML diagnostics: {:#?}", y.diagnostics);
    let StepKind::WaitFor { also, .. } = wait_for(&y.module) else { unreachable!() };
    assert_eq!(also.len(), 1);
    assert_eq!(entry(&y.module).also.len(), 1);
}
