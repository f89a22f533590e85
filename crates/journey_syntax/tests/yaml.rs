//! The YAML front-end: same AST as the DSL, diagnostics that point into the YAML.

use journey_diagnostics::{Diagnostic, FileId, SourceFile};
use journey_syntax::ast::*;
use journey_syntax::{parse, yaml};

const F: FileId = FileId(0);

/// Debug output with every span erased, so two ASTs compare modulo positions.
fn erase_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let close = after.find('}').expect("span closes");
        out.push_str("Span");
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `Span { start, end }` in a Debug dump.
fn all_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("Span { start: ") {
        let after = &rest[i + "Span { start: ".len()..];
        let comma = after.find(',').unwrap();
        let start: usize = after[..comma].parse().unwrap();
        let after_end = &after[comma + ", end: ".len()..];
        let close = after_end.find(' ').unwrap();
        let end: usize = after_end[..close].parse().unwrap();
        spans.push((start, end));
        rest = &after_end[close..];
    }
    spans
}

fn dsl_ok(src: &str) -> Module {
    let p = parse(src, F);
    assert!(p.diagnostics.is_empty(), "DSL diagnostics: {:#?}", p.diagnostics);
    p.module
}

fn yaml_ok(src: &str) -> Module {
    let p = yaml::parse(src, F);
    assert!(p.diagnostics.is_empty(), "YAML diagnostics: {:#?}", p.diagnostics);
    assert_spans_valid(src, &p.module);
    p.module
}

fn yaml_errors(src: &str) -> Vec<Diagnostic> {
    let p = yaml::parse(src, F);
    assert!(!p.diagnostics.is_empty(), "expected diagnostics, got a module: {:#?}", p.module);
    for d in &p.diagnostics {
        for l in &d.labels {
            assert!(l.span.start <= l.span.end && (l.span.end as usize) <= src.len(), "label out of range: {d:#?}");
        }
        assert!(d.message.chars().next().is_some_and(|c| !c.is_uppercase()), "message starts lowercase: {}", d.message);
        assert!(!d.message.ends_with('.'), "no trailing period: {}", d.message);
        assert!(d.help.is_some(), "every diagnostic has a help line: {d:#?}");
    }
    p.diagnostics
}

fn assert_spans_valid(src: &str, module: &Module) {
    for (s, e) in all_spans(&format!("{module:?}")) {
        assert!(s <= e && e <= src.len(), "span {s}..{e} out of 0..{}", src.len());
        assert!(src.is_char_boundary(s) && src.is_char_boundary(e), "span {s}..{e} splits a character");
    }
}

fn assert_same(dsl: &str, yaml_src: &str) {
    let a = erase_spans(&format!("{:?}", dsl_ok(dsl)));
    let b = erase_spans(&format!("{:?}", yaml_ok(yaml_src)));
    if a != b {
        let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(300);
        let show = |s: &str| s.get(from..(at + 200).min(s.len())).unwrap_or("").to_string();
        panic!("DSL and YAML ASTs differ at byte {at}:\n  dsl:  {}\n  yaml: {}", show(&a), show(&b));
    }
}

/// Line and column (one-based) of the first primary label.
fn at(src: &str, d: &Diagnostic) -> (usize, usize) {
    let l = d.primary_label().expect("a label");
    let lc = SourceFile::new("t.journey.yaml", src).line_col(l.span.start as usize);
    (lc.line, lc.column)
}

fn label_text<'a>(src: &'a str, d: &Diagnostic) -> &'a str {
    &src[d.primary_label().unwrap().span.range()]
}

const SAMPLE_DSL: &str = r#"
event purchase { amount: money, category: text }
event email_open { template: text }
event signup { plan: one_of("free", "pro") }
attribute country: text
attribute email_opt_in: bool
attribute renewal_date: date

channel email {
  kind        email
  consent     email_opt_in
  quiet_hours 21:00..08:00 local
  cap         3 per 7d
}
channel csm_task { kind task }

audience hero    = count(purchase, 365d) >= 5 and sum(purchase.amount, 365d) >= 500 USD
audience at_risk = count(purchase) >= 1 and since(purchase) > 60d and since(purchase) <= 120d

policy {
  cap any 5 per 7d
  min_gap 4h
  quiet_days [sunday, 2026-12-25]
  conflicting [discount, full_price]
}

journey winback {
  title    "Win back at-risk customers"
  owner    "crm-team"
  priority 40
  entry    when audience at_risk entered
  audience email_opt_in and country in ["US", "CA"]
  re_entry after 180d
  exit     on purchase
  holdout  10%

  stage remind {
    send email "winback-miss-you"
    wait up to 3d for email_open where template == "winback-miss-you"
      then offer
      timeout nudge
  }
  stage offer { send email "winback-15-off" tags [discount]  end }
  stage nudge {
    branch {
      when country == "US" -> offer
      else -> end
    }
  }
  goal reactivated = purchase within 30d
  guardrail unsubscribe_rate < 0.5%
  assume reactivated +3pp (0pp..6pp)
}
journey renewal {
  entry at renewal_date - 30d at 09:00
  stage a { wait until 09:00 local  split ab { 50% -> b  50% -> end } }
  stage b { task csm_task "Call" assign "csm" set country = "US" goto journey winback }
}
"#;

const SAMPLE_YAML: &str = r#"# the same program as SAMPLE_DSL
events:
  purchase: { amount: money, category: text }
  email_open: { template: text }
  signup:
    plan: [free, pro]
attributes:
  country: text
  email_opt_in: bool
  renewal_date: date
channels:
  email:
    kind: email
    consent: email_opt_in
    quiet_hours: 21:00..08:00 local
    cap: 3 per 7d
  csm_task: { kind: task }
audiences:
  hero: count(purchase, 365d) >= 5 and sum(purchase.amount, 365d) >= 500 USD
  at_risk: count(purchase) >= 1 and since(purchase) > 60d and since(purchase) <= 120d
policy:
  caps: [any 5 per 7d]
  min_gap: 4h
  quiet_days: [sunday, 2026-12-25]
  conflicting: [discount, full_price]
journeys:
  winback:
    title: Win back at-risk customers
    owner: crm-team
    priority: 40
    entry: when audience at_risk entered
    audience: email_opt_in and country in ["US", "CA"]
    re_entry: after 180d
    exit: on purchase
    holdout: 10%
    stages:
      remind:
        - send: email "winback-miss-you"
        - wait:
            up_to: 3d
            for: email_open
            where: template == "winback-miss-you"
            then: offer
            timeout: nudge
      offer:
        - send: { channel: email, template: winback-15-off, tags: [discount] }
        - end
      nudge:
        - branch:
            - when: country == "US"
              then: offer
            - else: end
    goals:
      reactivated: purchase within 30d
    guardrails: [unsubscribe_rate < 0.5%]
    assume:
      reactivated: +3pp (0pp..6pp)
  renewal:
    entry: at renewal_date - 30d at 09:00
    stages:
      a:
        - wait: until 09:00 local
        - split: { name: ab, arms: [50% -> b, 50% -> end] }
      b:
        - task: { channel: csm_task, title: Call, assign: csm }
        - set: country = "US"
        - goto: journey winback
"#;

#[test]
fn the_sample_reads_the_same_in_dsl_and_yaml() {
    assert_same(SAMPLE_DSL, SAMPLE_YAML);
}

#[test]
fn the_scalar_forms_read_the_same_as_the_structured_ones() {
    let dsl = r#"
journey j {
  exit on purchase
  exit when country == "FR"
  stage s {
    send email "x" tags [a, b]
    wait 3d
    wait up to 3d for email_open where template == "x" then t timeout end
    branch { when country == "US" -> t else -> end }
    split { 50% -> t 50% -> end }
    webhook hook "crm-sync"
    end
  }
  stage t { wait until renewal_date  goto s }
  guardrail unsubscribe_rate < 0.5%
  assume reactivated +3pp (0pp..6pp)
}
"#;
    let yaml_src = r#"
journeys:
  j:
    exit: [on purchase, when country == "FR"]
    stages:
      s:
        - send email "x" tags [a, b]
        - wait: 3d
        - 'wait: up to 3d for email_open where template == "x" then t timeout end'
        - branch: ['when country == "US" -> t', else -> end]
        - split: [50% -> t, 50% -> end]
        - webhook: { channel: hook, template: crm-sync }
        - end:
      t: [wait: until renewal_date, goto s]
    guardrails: { unsubscribe_rate: < 0.5% }
    assume: [reactivated +3pp (0pp..6pp)]
"#;
    // a quoted `wait: …` is a scalar step, written exactly as in the DSL
    let yaml_src = yaml_src.replace("'wait: up to", "'wait up to");
    assert_same(dsl, &yaml_src);
}

#[test]
fn the_issue_example_parses() {
    let src = r#"
events:
  purchase: { amount: money, category: text }
attributes:
  country: text
channels:
  email: { kind: email, consent: email_opt_in, quiet_hours: "21:00..08:00 local", cap: 3 per 7d }
audiences:
  hero: count(purchase, 365d) >= 5 and sum(purchase.amount, 365d) >= 500 USD
policy: { caps: ["any 5 per 7d"], min_gap: 4h, quiet_days: [sunday], conflicting: [discount, full_price] }
journeys:
  winback:
    title: Win back at-risk customers
    owner: crm-team
    priority: 40
    entry: when audience at_risk entered
    audience: email_opt_in and country == "US"
    re_entry: after 180d
    exit: [on purchase]
    holdout: 10%
    stages:
      remind:
        - send: email "winback-miss-you"
        - wait: up to 3d for email_open where template == "winback-miss-you" then offer timeout nudge
      offer:
        - send: { channel: email, template: winback-15-off, tags: [discount] }
        - end
    goals: { reactivated: purchase within 30d }
    guardrails: [unsubscribe_rate < 0.5%]
    assume: ["reactivated +3pp (0pp..6pp)"]
"#;
    let m = yaml_ok(src);
    assert_eq!(m.items.len(), 6);
}

#[test]
fn the_docs_example_parses() {
    let page = include_str!("../../../docs/yaml.md");
    let start = page.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = start + page[start..].find("```").unwrap();
    let m = yaml_ok(&page[start..end]);
    // 14, the two scores and the tasks' owner attribute of issue 15
    assert_eq!(m.items.len(), 17);
    let scores: Vec<&str> =
        m.items.iter().filter_map(|i| if let Item::Score(d) = i { Some(d.name.name.as_str()) } else { None }).collect();
    assert_eq!(scores, ["yearly_spend", "order_rate"]);
    let caps = yaml_ok("policy:\n  caps: [\"email, sms 3 per 7d\"]\n");
    let Item::Policy(p) = &caps.items[0] else { panic!() };
    assert!(matches!(&p.settings[0], PolicySetting::Cap { channels: ChannelSet::Some(c), .. } if c.len() == 2));
}

#[test]
fn spans_point_at_the_yaml_text() {
    let src = SAMPLE_YAML;
    let m = yaml_ok(src);
    let text = |s: Span| &src[s.range()];
    let Item::Journey(j) = &m.items[m.items.len() - 2] else { panic!() };
    assert_eq!(text(j.name.span), "winback");
    for item in &j.items {
        match item {
            JourneyItem::Title(s) => assert_eq!(text(s.span), "Win back at-risk customers"),
            JourneyItem::Audience(e) => {
                assert_eq!(text(e.span), r#"email_opt_in and country in ["US", "CA"]"#);
                let ExprKind::Binary { op_span, rhs, .. } = &e.kind else { panic!() };
                assert_eq!(text(*op_span), "and");
                assert_eq!(text(rhs.span), r#"country in ["US", "CA"]"#);
            }
            JourneyItem::Entry(e) => {
                assert_eq!(text(e.span), "entry: when audience at_risk entered")
            }
            JourneyItem::Holdout(p) => assert_eq!(text(p.span), "10%"),
            JourneyItem::Stage(s) if s.name.name == "remind" => {
                assert_eq!(text(s.steps[0].span), r#"send: email "winback-miss-you""#);
                let StepKind::Send { template, .. } = &s.steps[0].kind else { panic!() };
                assert_eq!(text(template.span), r#""winback-miss-you""#);
                let StepKind::WaitFor { filter, then, .. } = &s.steps[1].kind else { panic!() };
                assert_eq!(text(filter.as_ref().unwrap().span), r#"template == "winback-miss-you""#);
                assert_eq!(text(then.span()), "offer");
            }
            JourneyItem::Goal(g) => {
                assert_eq!(text(g.name.span), "reactivated");
                assert_eq!(text(g.within.span), "30d");
            }
            JourneyItem::Assume(a) => assert_eq!(text(a.low.span), "0pp"),
            _ => {}
        }
    }
}

#[test]
fn spans_inside_quoted_and_folded_scalars() {
    let src = "audiences:\n  a: \"country == \\\"US\\\" and  x > 1\"\n  b: >\n    count(purchase) >= 1\n    and y > 2\n  c: 'name == \"O''Brien\" or z'\n";
    let m = yaml_ok(src);
    let text = |s: Span| &src[s.range()];
    let cond = |i: usize| match &m.items[i] {
        Item::Audience(a) => a.condition.clone(),
        _ => panic!(),
    };
    let ExprKind::Binary { lhs, rhs, .. } = cond(0).kind else { panic!() };
    assert_eq!(text(lhs.span), "country == \\\"US\\\"");
    assert_eq!(text(rhs.span), "x > 1");
    let ExprKind::Binary { lhs, rhs, .. } = cond(1).kind else { panic!() };
    assert_eq!(text(lhs.span), "count(purchase) >= 1");
    assert_eq!(text(rhs.span), "y > 2");
    let ExprKind::Binary { rhs, .. } = cond(2).kind else { panic!() };
    assert_eq!(text(rhs.span), "z");
}

#[test]
fn several_documents_and_aliases() {
    let src = "events:\n  a: &props { amount: money }\n  b: *props\n---\nattributes:\n  country: text\n";
    let m = yaml_ok(src);
    assert_eq!(m.items.len(), 3);
    assert!(yaml::parse("", F).diagnostics.is_empty());
    assert!(yaml::parse("# only a comment\n", F).diagnostics.is_empty());
}

// ------------------------------------------------------------------ diagnostics

#[test]
fn unknown_key_suggests_the_near_one() {
    let src = "journeys:\n  j:\n    titel: Hello\n";
    let d = yaml_errors(src);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "J003");
    assert_eq!(d[0].message, "unknown key `titel` in a journey");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `title`?"));
    assert_eq!(at(src, &d[0]), (3, 5));
}

#[test]
fn dsl_error_inside_a_scalar_points_inside_it() {
    let src = "journeys:\n  j:\n    entry: when audience at_risk enterd\n";
    let d = yaml_errors(src);
    assert_eq!(d[0].code, "J001");
    assert_eq!(at(src, &d[0]), (3, 34));
    assert_eq!(label_text(src, &d[0]), "enterd");
    assert!(d[0].message.contains("`entered` or `exited`"), "{}", d[0].message);
}

#[test]
fn dsl_error_inside_a_quoted_scalar_with_escapes() {
    let src = "audiences:\n  a: \"country == \\\"US\\\" and and\"\n";
    let d = yaml_errors(src);
    assert_eq!(d[0].code, "J001");
    assert_eq!(label_text(src, &d[0]), "and");
    assert_eq!(at(src, &d[0]), (2, 25));
}

#[test]
fn trailing_text_after_a_value() {
    let src = "journeys:\n  j:\n    holdout: 10% of everyone\n";
    let d = yaml_errors(src);
    assert_eq!(d[0].code, "J001");
    assert_eq!(label_text(src, &d[0]), "of");
    assert_eq!(at(src, &d[0]), (3, 18));
}

#[test]
fn bad_literal_is_j002_at_the_literal() {
    let src = "channels:\n  email: { quiet_hours: 25:00..08:00 local }\n";
    let d = yaml_errors(src);
    assert_eq!(d[0].code, "J002");
    assert_eq!(label_text(src, &d[0]), "25:00");
    assert_eq!(at(src, &d[0]), (2, 25));
}

#[test]
fn yaml_syntax_error_is_j001() {
    let src = "journeys:\n  j:\n    title: [unclosed\n    owner: x\n";
    let d = yaml_errors(src);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "J001");
    assert!(d[0].message.starts_with("invalid YAML"), "{}", d[0].message);
}

#[test]
fn missing_key_and_wrong_kind() {
    let src = "journeys:\n  j:\n    stages:\n      s:\n        - send: { channel: email }\n    title: [a, b]\n";
    let d = yaml_errors(src);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].message, "a send step is missing `template`");
    assert_eq!(at(src, &d[0]), (5, 11));
    assert_eq!(d[1].message, "`title` must be a single value");
    assert_eq!(at(src, &d[1]), (6, 12));
}

#[test]
fn duplicate_keys_and_bad_names() {
    let src = "attributes:\n  country: text\n  country: number\n  bad-name: text\n";
    let d = yaml_errors(src);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].message, "duplicate key `country`");
    assert_eq!(at(src, &d[0]), (3, 3));
    assert_eq!(d[1].code, "J001");
    assert_eq!(d[1].message, "`bad-name` is not a valid attribute name");
}

#[test]
fn errors_do_not_stop_the_rest() {
    let src = "attributes:\n  country: txet(\n  plan: text\n";
    let p = yaml::parse(src, F);
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.module.items.len(), 1);
}

#[test]
fn snapshots_of_diagnostics() {
    let cases = [
        ("unknown_step", "journeys:\n  j:\n    stages:\n      s:\n        - sned: email \"x\"\n"),
        ("bad_wait", "journeys:\n  j:\n    stages:\n      s:\n        - wait: up to 3d for open then\n"),
        ("not_a_mapping", "journeys: [a, b]\n"),
        ("top_level", "jouneys:\n  j: {}\n"),
        ("long_duration", "policy: { min_gap: 99999999w }\n"),
    ];
    for (name, src) in cases {
        insta::assert_debug_snapshot!(name, yaml_errors(src));
    }
}

// ------------------------------------------------------------------ robustness

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "events:",
        "journeys:",
        "policy:",
        "channels:",
        "audiences:",
        "attributes:",
        "  j:",
        "    stages:",
        "      s:",
        "        - ",
        "send: ",
        "wait: ",
        "branch:",
        "split: ",
        "end",
        "{",
        "}",
        "[",
        "]",
        ",",
        ": ",
        "\"",
        "'",
        "&a ",
        "*a",
        "---",
        "#",
        "|",
        ">",
        "\t",
        "é",
        "when ",
        "country == \"US\"",
        "3d",
        "up to",
        "-> ",
        "50%",
        "(",
        ")",
        "entry: ",
        "on purchase",
        "title: ",
        "\n",
        "  ",
        "?",
        "!tag ",
        "caps: ",
        "any 5 per 7d",
        "~",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn random_text(src in "\\PC{0,200}") {
            check(&src);
        }

        #[test]
        fn random_yamlish(parts in prop::collection::vec(0..PIECES.len(), 0..60)) {
            let src: String = parts.iter().map(|&i| PIECES[i]).collect();
            check(&src);
        }

        #[test]
        fn mutated_sample(at in 0..SAMPLE_YAML.len(), len in 0usize..12, insert in "\\PC{0,4}") {
            let mut src = SAMPLE_YAML.to_string();
            let at = (0..=at).rev().find(|&i| src.is_char_boundary(i)).unwrap_or(0);
            let end = (at + len..=src.len()).find(|&i| src.is_char_boundary(i)).unwrap_or(src.len());
            src.replace_range(at..end, &insert);
            check(&src);
        }
    }

    fn check(src: &str) {
        let p = yaml::parse(src, F);
        assert_spans_valid(src, &p.module);
        for d in &p.diagnostics {
            for l in &d.labels {
                assert!(l.span.start <= l.span.end && l.span.end as usize <= src.len(), "{d:#?}");
                assert!(
                    src.is_char_boundary(l.span.start as usize) && src.is_char_boundary(l.span.end as usize),
                    "{d:#?}"
                );
            }
        }
    }

    #[test]
    fn deep_nesting_and_alias_bombs() {
        let deep = "[".repeat(100_000);
        assert!(!yaml::parse(&deep, F).diagnostics.is_empty());
        let deep_map = (0..200).map(|i| format!("{}k:\n", "  ".repeat(i))).collect::<String>();
        assert!(!yaml::parse(&deep_map, F).diagnostics.is_empty());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 { "a".to_string() } else { format!("b{}", i - 1) };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(!yaml::parse(&bomb, F).diagnostics.is_empty());
        let deep_expr = format!("audiences:\n  a: {}x{}\n", "(".repeat(5000), ")".repeat(5000));
        assert!(!yaml::parse(&deep_expr, F).diagnostics.is_empty());
    }
}

/// Issue 15: `scores:` maps names to values in the journey language, with spans in the
/// YAML text, and a broken value is reported inside its scalar.
#[test]
fn scores_are_a_top_level_mapping() {
    let src = "scores:\n  health: 0.4 * clamp(count(login, 14d) / 10, 0, 1) + 0.6\n";
    let m = yaml_ok(src);
    let Item::Score(d) = &m.items[0] else { panic!("{:?}", m.items) };
    assert_eq!(&src[d.name.span.range()], "health");
    assert_eq!(&src[d.value.span.range()], "0.4 * clamp(count(login, 14d) / 10, 0, 1) + 0.6");
    let parsed =
        journey_syntax::parse_file("t.journey.yaml", "scores:\n  health: 0.4 * \n", journey_diagnostics::FileId(0));
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    assert_eq!(parsed.diagnostics[0].code, "J001");
}

/// issue 15: a task's owner, due and priority, in the mapping form and in the one-value
/// form, read as the .journey text reads them.
#[test]
fn task_owner_due_and_priority() {
    let task = |m: &Module| {
        let Item::Journey(j) = &m.items[0] else { panic!() };
        let Some(JourneyItem::Stage(s)) = j.items.iter().find(|i| matches!(i, JourneyItem::Stage(_))) else { panic!() };
        s.steps[0].kind.clone()
    };
    let mapping = yaml_ok(
        "journeys:\n  j:\n    entry: on signup\n    stages:\n      a:\n        - task:\n            channel: csm\n            title: Call\n            owner: { attribute: csm_owner, else_queue: cs_triage }\n            due: 2 business days\n            priority: high\n        - end\n",
    );
    let text = yaml_ok(
        "journeys:\n  j:\n    entry: on signup\n    stages:\n      a:\n        - task: csm \"Call\" owner attribute csm_owner else queue cs_triage due 2 business days priority high\n        - end\n",
    );
    for m in [&mapping, &text] {
        let StepKind::Task { owner, due, priority, assignee, .. } = task(m) else { panic!() };
        assert!(assignee.is_none());
        let Some(TaskOwner::Attribute { attribute, queue }) = owner else { panic!("{owner:?}") };
        assert_eq!((attribute.name.as_str(), queue.map(|q| q.name)), ("csm_owner", Some("cs_triage".to_string())));
        assert!(matches!(due, Some(TaskDue::Business(b)) if b.amount == 2));
        assert_eq!(priority.unwrap().name, "high");
    }
    let fixed = yaml_ok(
        "journeys:\n  j:\n    entry: on signup\n    stages:\n      a:\n        - task: { channel: csm, title: Call, owner: ana@x.com, due: 4 hours }\n        - end\n",
    );
    let StepKind::Task { owner, due, .. } = task(&fixed) else { panic!() };
    assert!(matches!(owner, Some(TaskOwner::Fixed(s)) if s.value == "ana@x.com"));
    assert!(matches!(due, Some(TaskDue::Span { amount: 4, hours: true, .. })));
}

/// issue 15: an amount goal reads the same in YAML (a goal's scalar is its DSL form).
#[test]
fn amount_goals_read_the_same_in_dsl_and_yaml() {
    let dsl = r#"journey shop {
  entry on signup
  stage s { end }
  goal revenue = sum(purchase.amount within 30d)
  goal web_revenue = sum(purchase.amount where channel == "web" within 4w)
}
"#;
    let yaml_src = r#"journeys:
  shop:
    entry: on signup
    stages:
      s: [end]
    goals:
      revenue: sum(purchase.amount within 30d)
      web_revenue: 'sum(purchase.amount where channel == "web" within 4w)'
"#;
    assert_same(dsl, yaml_src);
}
