//! issue 15: CSM tasks in the checker and the IR: owner (fixed, older `assign`, or an
//! attribute with its fallback queue), due and priority lower into `Step::Task`; each
//! way to get them wrong is named on its exact span (J101 for an unknown attribute,
//! J411 for a fallback queue that is not a task channel, J330-J333 for the rest), in
//! the .journey text and the YAML form alike.

use journey_check::{check_sources, Settings};
use journey_diagnostics::SourceMap;
use journey_ir::{OwnerSource, Step, TaskDue, TaskPriority};

fn check(path: &str, src: &str) -> journey_check::Checked {
    let mut sources = SourceMap::new();
    let f = sources.add(path, src.to_string());
    check_sources(&sources, &[f], &Settings::default())
}

const DECLS: &str = "event signup {}\nattribute csm_owner: text\nattribute tier: one_of(\"a\", \"b\")\n\
    attribute seats: number\nchannel csm { kind task }\nchannel cs_triage { kind task }\n\
    channel email { kind email }\n";

fn with_task(task: &str) -> String {
    format!("{DECLS}journey j {{ entry on signup stage a {{ {task} end }} }}")
}

fn codes_and_labels(src: &str) -> Vec<(&'static str, String)> {
    let path = if src.starts_with("events:") { "t.journey.yaml" } else { "t.journey" };
    let c = check(path, src);
    c.diagnostics.iter().map(|d| (d.code, src[d.primary_label().unwrap().span.range()].to_string())).collect()
}

#[test]
fn task_clauses_lower_into_the_ir() {
    let src = with_task(
        "task csm \"a\" owner attribute csm_owner else queue cs_triage due 2 business days priority urgent \
         task csm \"b\" owner attribute tier due 36h \
         task csm \"c\" owner \"ana@x.com\" due 3 days priority low \
         task csm \"d\" assign \"bo\" due 4 hours \
         task csm \"e\"",
    );
    let c = check("t.journey", &src);
    assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
    let tasks: Vec<_> = (c.program.journeys[0].nodes.iter())
        .filter_map(|n| match &n.step {
            Step::Task { owner, fallback_queue, due, priority, assignee, .. } => {
                Some((owner.clone(), fallback_queue.clone(), *due, *priority, assignee.clone()))
            }
            _ => None,
        })
        .collect();
    let attr = |a: &str| Some(OwnerSource::Attribute { attribute: a.to_string() });
    let fixed = |a: &str| Some(OwnerSource::Fixed { name: a.to_string() });
    assert_eq!(
        tasks,
        [
            (attr("csm_owner"), Some("cs_triage".into()), Some(TaskDue::BusinessDays(2)), TaskPriority::Urgent, None),
            (attr("tier"), Some("csm".into()), Some(TaskDue::Minutes(36 * 60)), TaskPriority::Normal, None),
            (fixed("ana@x.com"), None, Some(TaskDue::Minutes(3 * 1440)), TaskPriority::Low, Some("ana@x.com".into())),
            (fixed("bo"), None, Some(TaskDue::Minutes(240)), TaskPriority::Normal, Some("bo".into())),
            (None, None, None, TaskPriority::Normal, None),
        ]
    );
}

#[test]
fn each_mistake_is_named_on_its_span() {
    let cases: [(&str, &[(&str, &str)]); 8] = [
        ("task csm \"a\" owner attribute seats", &[("J330", "seats")]),
        ("task csm \"a\" owner attribute csm_ownr", &[("J101", "csm_ownr")]),
        ("task csm \"a\" owner attribute csm_owner else queue email", &[("J411", "email")]),
        ("task csm \"a\" owner attribute csm_owner else queue triage", &[("J101", "triage")]),
        ("task csm \"a\" due 0 days", &[("J331", "0 days")]),
        ("task csm \"a\" due 0 business days", &[("J331", "0 business days")]),
        ("task csm \"a\" priority hgh", &[("J332", "hgh")]),
        ("task csm \"a\" owner \" \"", &[("J333", "\" \"")]),
    ];
    for (task, want) in cases {
        let got = codes_and_labels(&with_task(task));
        let want: Vec<(&str, String)> = want.iter().map(|(c, l)| (*c, l.to_string())).collect();
        assert_eq!(got, want, "{task}");
    }
    let c = check("t.journey", &with_task("task csm \"a\" priority hgh"));
    assert!(c.diagnostics[0].help.as_deref().unwrap().contains("did you mean `priority high`"));
}

#[test]
fn the_yaml_form_checks_the_same() {
    let src = "events:\n  signup: {}\nattributes:\n  seats: number\nchannels:\n  csm: { kind: task }\n\
journeys:\n  j:\n    entry: on signup\n    stages:\n      a:\n        - task: { channel: csm, title: a, owner: { attribute: seats }, due: 0 days, priority: top }\n        - end\n";
    let got = codes_and_labels(src);
    let codes: Vec<&str> = got.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, ["J330", "J331", "J332"], "{got:?}");
    assert_eq!(got[0].1, "seats");
    assert_eq!(got[2].1, "top");
}
