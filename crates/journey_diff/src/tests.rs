use super::*;
use journey_diagnostics::SourceMap;

const SCHEMA: &str = r#"
event purchase { amount: money }
event email_open { template: text }
attribute email_opt_in: bool
channel email { kind email consent email_opt_in cap 5 per 7d }
audience at_risk = count(purchase) >= 1 and since(purchase) > 60d
policy { cap any 5 per 7d }
"#;

const JOURNEY: &str = r#"
journey winback {
  entry when audience at_risk entered
  audience email_opt_in
  exit on purchase
  stage remind {
    send email "miss-you"
    wait 3d
    send email "second"
    wait up to 2d for email_open
      then offer
      timeout offer
  }
  stage offer {
    send email "offer"
    end
  }
}
"#;

fn program(journey: &str) -> (Program, Vec<journey_diagnostics::Diagnostic>) {
    program_with(SCHEMA, journey)
}

fn program_with(schema: &str, journey: &str) -> (Program, Vec<journey_diagnostics::Diagnostic>) {
    let mut sources = SourceMap::new();
    let a = sources.add("schema.journey".to_string(), schema.to_string());
    let b = sources.add("winback.journey".to_string(), journey.to_string());
    let checked = journey_check::check_sources(&sources, &[a, b], &journey_check::Settings::default());
    (checked.program, checked.diagnostics)
}

fn clean(journey: &str) -> Program {
    let (p, d) = program(journey);
    let errors: Vec<_> = d.iter().filter(|d| d.severity == journey_diagnostics::Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    p
}

fn only_journey(d: &ProgramDiff) -> &JourneyDiff {
    assert_eq!(d.journeys.len(), 1, "{d:#?}");
    &d.journeys[0]
}

#[test]
fn identical_programs_have_no_diff() {
    let p = clean(JOURNEY);
    let d = diff(&p, &p);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn inserting_a_step_in_the_middle_is_one_added_step() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("    wait 3d\n", "    wait 3d\n    send email \"inserted\"\n"));
    let d = diff(&base, &head);
    let j = only_journey(&d);
    assert_eq!(j.nodes.len(), 1, "{j:#?}");
    let n = &j.nodes[0];
    assert_eq!(
        (n.status, n.head_id.as_deref(), n.head.as_deref()),
        (Status::Added, Some("remind#2"), Some("send email \"inserted\""))
    );
    assert!(j.settings.is_empty() && j.stages.is_empty());
    // the wait-for after it moved from remind#3 to remind#4: same step, new id
    assert_eq!(j.impact.len(), 1, "{:#?}", j.impact);
    assert_eq!(j.impact[0].outcomes, vec![Outcome::Renumbered]);
    assert_eq!(j.impact[0].node.as_deref(), Some("remind#3"));
}

#[test]
fn removing_a_send_is_one_removed_step() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("    send email \"second\"\n", ""));
    let j = diff(&base, &head).journeys.remove(0);
    assert_eq!(j.nodes.len(), 1, "{j:#?}");
    assert_eq!(
        (j.nodes[0].status, j.nodes[0].class, j.nodes[0].base_id.as_deref()),
        (Status::Removed, StepClass::Send, Some("remind#2"))
    );
}

#[test]
fn changed_wait_keeps_the_deadline() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("wait 3d", "wait 5d"));
    let j = diff(&base, &head).journeys.remove(0);
    assert_eq!(j.nodes.len(), 1, "{j:#?}");
    let n = &j.nodes[0];
    assert_eq!(n.status, Status::Changed);
    assert_eq!(
        n.fields,
        vec![FieldChange { field: "duration".into(), base: Some("3d".into()), head: Some("5d".into()) }]
    );
    assert_eq!(j.impact.len(), 1);
    assert_eq!(j.impact[0].outcomes, vec![Outcome::KeepDeadline]);
    assert!(j.graph.as_deref().unwrap().contains("class remind_1 changed"), "{}", j.graph.as_deref().unwrap());
}

#[test]
fn removed_wait_makes_customers_exit() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("    wait 3d\n", ""));
    let j = diff(&base, &head).journeys.remove(0);
    let removed: Vec<_> = j.nodes.iter().filter(|n| n.status == Status::Removed).collect();
    assert_eq!(removed.len(), 1, "{j:#?}");
    assert_eq!(j.nodes.len(), 1);
    let exits: Vec<_> = j.impact.iter().filter(|i| i.outcomes == vec![Outcome::Exit]).collect();
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].node.as_deref(), Some("remind#1"));
}

#[test]
fn changed_wait_for_target_follows_the_new_path() {
    let base = clean(JOURNEY);
    let head = clean(
        &JOURNEY
            .replace("timeout offer", "timeout nudge")
            .replace("  stage offer {", "  stage nudge {\n    send email \"nudge\"\n    end\n  }\n  stage offer {"),
    );
    let j = diff(&base, &head).journeys.remove(0);
    assert_eq!(j.stages, vec![StageChange { name: "nudge".into(), status: Status::Added }]);
    let changed: Vec<_> = j.nodes.iter().filter(|n| n.status == Status::Changed).collect();
    assert_eq!(changed.len(), 1, "{j:#?}");
    assert_eq!(changed[0].fields[0].field, "on timeout");
    assert_eq!(j.impact[0].outcomes, vec![Outcome::FollowNewPath]);
}

#[test]
fn program_items_audiences_and_caps() {
    let base = clean(JOURNEY);
    let schema = SCHEMA.replace("cap 5 per 7d", "cap 6 per 7d") + "audience hero = count(purchase, 365d) >= 5\n";
    let (head, _) = program_with(&schema, JOURNEY);
    let d = diff(&base, &head);
    assert!(d.journeys.is_empty());
    let got: Vec<(ItemKind, &str, Status)> = d.items.iter().map(|i| (i.kind, i.name.as_str(), i.status)).collect();
    assert_eq!(got, vec![(ItemKind::Cap, "email", Status::Changed), (ItemKind::Audience, "hero", Status::Added)]);
    let summary = d.summary();
    assert_eq!(summary.iter().find(|r| r.what == "caps").unwrap().counts.changed, 1);
}

#[test]
fn added_and_removed_journeys() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("journey winback", "journey winback_v2"));
    let d = diff(&base, &head);
    let got: Vec<(&str, Status)> = d.journeys.iter().map(|j| (j.name.as_str(), j.status)).collect();
    assert_eq!(got, vec![("winback", Status::Removed), ("winback_v2", Status::Added)]);
    assert_eq!(d.journeys[0].impact[0].outcomes, vec![Outcome::Exit]);
    assert!(d.journeys[1].graph.is_some());
}

#[test]
fn findings_are_compared_without_line_numbers() {
    // the same problem, moved down by blank lines, is neither new nor resolved
    let broken = JOURNEY.replace("send email \"offer\"", "send emial \"offer\"");
    let (bp, bd) = program(&broken);
    let (hp, hd) = program(&format!("\n\n\n{broken}"));
    let name = |_| "winback.journey".to_string();
    let (bf, hf) = (findings(&bd, &bp, name), findings(&hd, &hp, name));
    assert!(!bf.is_empty());
    assert!(diff_findings(&bf, &hf).is_empty());
    // fixing it resolves it
    let (fp, fd) = program(JOURNEY);
    let fixed = diff_findings(&bf, &findings(&fd, &fp, name));
    assert!(fixed.introduced.is_empty());
    assert_eq!(fixed.resolved.len(), bf.len());
    assert_eq!(
        diff_findings(&findings(&fd, &fp, name), &bf).new_errors(),
        bf.iter().filter(|f| f.severity == journey_diagnostics::Severity::Error).count()
    );
}

#[test]
fn output_is_deterministic() {
    let base = clean(JOURNEY);
    let head = clean(&JOURNEY.replace("wait 3d", "wait 5d").replace("    send email \"second\"\n", ""));
    let a = serde_json::to_string(&diff(&base, &head)).unwrap();
    let b = serde_json::to_string(&diff(&base, &head)).unwrap();
    assert_eq!(a, b);
}
