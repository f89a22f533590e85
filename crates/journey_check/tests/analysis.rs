//! End-to-end tests of the graph and path analyses (J3xx, J4xx): journey text is parsed,
//! checked and lowered by `check_sources`, then analysed. Each code has a case that
//! fires and a correct journey that stays silent; the shared journey library must
//! produce no analysis findings at all.

use journey_check::{check_sources, Settings};
use journey_diagnostics::render::{render, Format, RenderOptions};
use journey_diagnostics::{Diagnostic, SourceMap};

/// Schema, channels and policy shared by the fixtures (a small Northwind).
const PRELUDE: &str = r#"
event signup { source: text }
event purchase { amount: money, category: one_of("beans", "gear") }
event email_open { template: text }
event session {}
attribute email_opt_in: bool
attribute sms_opt_in: bool
attribute country: text
attribute plan: one_of("none", "monthly", "annual")

channel email {
  kind        email
  consent     email_opt_in
  quiet_hours 21:00..08:00 local
  cap         3 per 7d
}
channel sms {
  kind        sms
  consent     sms_opt_in
  quiet_hours 20:00..09:00 local
  cap         2 per 7d
}
channel push { kind push  min_gap 12h }
channel crm { kind webhook }

audience buyer   = count(purchase) >= 1
audience at_risk = buyer and since(purchase) > 60d and since(purchase) <= 120d
audience mailable = email_opt_in and at_risk

policy {
  cap any 5 per 7d
  min_gap 4h
}
"#;

struct Run {
    sources: SourceMap,
    diags: Vec<Diagnostic>,
}

impl Run {
    /// Only the analysis codes (J3xx from the graph, J4xx from paths), in order.
    fn codes(&self) -> Vec<&'static str> {
        self.diags.iter().map(|d| d.code).filter(|c| is_analysis(c)).collect()
    }
    fn text(&self) -> String {
        render(&self.diags, &self.sources, Format::Full, &RenderOptions::default())
    }
    fn one(&self, code: &str) -> &Diagnostic {
        let found: Vec<&Diagnostic> = self.diags.iter().filter(|d| d.code == code).collect();
        assert_eq!(found.len(), 1, "expected one {code}:\n{}", self.text());
        found[0]
    }
    /// The source text under the primary label.
    fn primary_text(&self, d: &Diagnostic) -> String {
        let l = d.primary_label().expect("a label");
        self.sources.get(l.file).text[l.span.range()].to_string()
    }
}

fn is_analysis(code: &str) -> bool {
    matches!(
        code,
        "J301"
            | "J302"
            | "J303"
            | "J305"
            | "J306"
            | "J307"
            | "J309"
            | "J315"
            | "J401"
            | "J402"
            | "J403"
            | "J404"
            | "J408"
    )
}

fn check(journey: &str) -> Run {
    let mut sources = SourceMap::new();
    let prelude = sources.add("prelude.journey", PRELUDE);
    let file = sources.add("test.journey", journey);
    let checked = check_sources(&sources, &[prelude, file], &Settings::default());
    let run = Run { diags: checked.diagnostics, sources };
    let other: Vec<&Diagnostic> = run.diags.iter().filter(|d| !is_analysis(d.code) && d.code != "J308").collect();
    assert!(other.is_empty(), "the fixture itself has problems:\n{}", run.text());
    run
}

fn silent(journey: &str) {
    let run = check(journey);
    assert!(run.codes().is_empty(), "expected no findings:\n{}", run.text());
}

// ---------------------------------------------------------------- J315

/// A journey with this entry and audience line (the audience may be empty).
fn entering(entry: &str, audience: &str) -> String {
    format!(
        "audience never_bought = count(purchase) == 0\n\
         journey j {{\n  {entry}\n  {audience}\n  stage s {{ send email \"s\" end }}\n}}"
    )
}

#[test]
fn j315_a_journey_no_customer_can_enter() {
    let cases = [
        // the audience alone: a contradiction, an empty range, an enum through a named audience
        ("entry on signup", "audience count(purchase) >= 3 and count(purchase) == 0"),
        ("entry on signup", "audience since(purchase) > 30d and since(purchase) < 20d"),
        ("entry on signup", "audience plan == \"none\" and plan == \"annual\""),
        // the entered audience, alone and with the journey's audience
        ("entry when audience never_bought entered", "audience buyer"),
        // the journey's audience holds only inside the audience being left
        ("entry when audience buyer exited", "audience at_risk"),
        // a condition that never turns true, or not with the audience
        ("entry when count(purchase) > 2 and count(purchase) < 2", ""),
        ("entry when count(purchase) >= 5", "audience never_bought"),
    ];
    for (entry, audience) in cases {
        let run = check(&entering(entry, audience));
        assert!(run.codes().contains(&"J315"), "{entry} / {audience}:\n{}", run.text());
        let d = run.one("J315");
        assert_eq!(d.message, "journey `j` can never enter a customer");
        assert_eq!(run.primary_text(d), entry, "the label is on the entry");
    }
}

#[test]
fn j315_is_silent_where_someone_can_enter_or_the_reasoner_cannot_tell() {
    for (entry, audience) in [
        ("entry on signup", "audience buyer and since(purchase) > 30d"),
        ("entry when audience buyer entered", "audience email_opt_in"),
        // a customer leaves `at_risk` and can be a buyer still
        ("entry when audience at_risk exited", "audience buyer"),
        ("entry when count(purchase) >= 5", "audience buyer"),
        ("entry on purchase where amount > $20", "audience buyer"),
        ("entry every day at 09:00", "audience email_opt_in\n  re_entry always"),
    ] {
        let run = check(&entering(entry, audience));
        assert!(!run.codes().contains(&"J315"), "{entry} / {audience}:\n{}", run.text());
    }
}

// ---------------------------------------------------------------- J301, J302

#[test]
fn j301_unreachable_stage() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage welcome { send email "welcome" end }
  stage orphan  { send email "orphan" end }
}"#,
    );
    assert_eq!(run.codes(), ["J301"]);
    let d = run.one("J301");
    assert_eq!(d.message, "stage `orphan` is unreachable");
    assert_eq!(run.primary_text(d), "orphan");
}

#[test]
fn j302_stage_trapped_in_a_loop() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage a { send email "a" goto b }
  stage b { wait 7d goto c }
  stage c { wait 7d goto b }
}"#,
    );
    // one trap, one diagnostic: `a` and `c` lead into the same cycle
    let d = run.one("J302");
    assert_eq!(d.message, "stage `b` can never reach the end of the journey");
    assert_eq!(d.notes, ["cycle: b → c → b"]);
    assert_eq!(run.primary_text(d), "b");
    assert_eq!(d.labels.len(), 3);
}

#[test]
fn j302_silent_for_a_waiting_loop_that_exit_rules_end() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  exit on purchase
  stage a { send email "a" goto b }
  stage b { wait 7d goto c }
  stage c { wait 7d goto b }
}"#,
    );
    assert!(!run.codes().contains(&"J302"), "{:?}", run.codes());
}

#[test]
fn j301_j302_silent_for_a_connected_journey() {
    silent(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage a { send email "a" wait up to 3d for purchase then done timeout b }
  stage b { wait 2d goto done }
  stage done { end }
}"#,
    );
}

// ---------------------------------------------------------------- J303

#[test]
fn j303_loop_without_wait() {
    let run = check(
        r#"journey j {
  entry on signup
  stage a { webhook crm "ping" goto b }
  stage b { branch { when country == "US" -> a else -> end } }
}"#,
    );
    let d = run.one("J303");
    assert_eq!(d.message, "stages `a` and `b` loop forever without a wait");
    assert_eq!(d.notes, ["cycle: a → b → a"]);
    assert_eq!(run.primary_text(d), r#"when country == "US" -> a"#);
}

#[test]
fn j303_silent_when_the_loop_waits() {
    silent(
        r#"journey j {
  entry on signup
  stage a { webhook crm "ping" wait 1d goto b }
  stage b { branch { when country == "US" -> a else -> end } }
}"#,
    );
}

// ---------------------------------------------------------------- J305, J306

#[test]
fn j306_shadowed_arm_and_dead_else() {
    let run = check(
        r#"journey j {
  entry on signup
  stage a {
    branch {
      when since(purchase) > 20d -> x
      when since(purchase) > 30d -> y
      when not (since(purchase) > 20d) or since(purchase) is not set -> z
      else -> end
    }
  }
  stage x { end }
  stage y { end }
  stage z { end }
}"#,
    );
    assert_eq!(run.codes(), ["J306", "J306"], "{}", run.text());
    let dead: Vec<&Diagnostic> = run.diags.iter().filter(|d| d.code == "J306").collect();
    assert_eq!(dead.len(), 2, "{}", run.text());
    let arm = dead.iter().find(|d| d.message == "this branch arm can never be taken").expect("dead arm");
    assert_eq!(run.primary_text(arm), "when since(purchase) > 30d -> y");
    assert!(dead.iter().any(|d| d.message == "the `else` of this branch can never be taken"));
}

/// `not (since(purchase) > 20d)` is unknown for a customer who never purchased, so the
/// engine takes the `else`: it must not be reported dead (it once was).
#[test]
fn j306_else_reached_by_a_missing_value_is_live() {
    let run = check(
        r#"journey j {
  entry on signup
  stage a {
    branch {
      when since(purchase) > 20d -> x
      when not (since(purchase) > 20d) -> z
      else -> end
    }
  }
  stage x { end }
  stage z { end }
}"#,
    );
    assert!(run.codes().is_empty(), "{}", run.text());
}

#[test]
fn j305_overlapping_arms() {
    let run = check(
        r#"journey j {
  entry on signup
  stage a {
    branch {
      when since(purchase) <= 30d -> x
      when since(purchase) >= 30d and since(purchase) < 90d -> y
      else -> end
    }
  }
  stage x { end }
  stage y { end }
}"#,
    );
    assert_eq!(run.codes(), ["J305"]);
    let d = run.one("J305");
    assert_eq!(d.notes, ["both arms match a customer with `since(purchase)` = 30d"]);
    assert_eq!(run.primary_text(d), "when since(purchase) >= 30d and since(purchase) < 90d -> y");
}

#[test]
fn j305_j306_silent_for_first_match_ranges() {
    silent(
        r#"journey j {
  entry on signup
  stage a {
    branch {
      when since(purchase) > 90d -> x
      when since(purchase) > 30d -> y
      when plan == "annual" -> y
      else -> end
    }
  }
  stage x { end }
  stage y { end }
}"#,
    );
}

// ---------------------------------------------------------------- J307

#[test]
fn j307_unreachable_goals() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage a { send email "a" end }
  stage lost { end }
  goal reached_lost = reach lost within 30d
  goal big = purchase where amount > 100 USD and amount < 50 USD within 30d
  goal bought = purchase where category == "beans" within 30d
}"#,
    );
    let goals: Vec<&Diagnostic> = run.diags.iter().filter(|d| d.code == "J307").collect();
    assert_eq!(goals.len(), 2, "{}", run.text());
    assert_eq!(goals[0].message, "goal `reached_lost` can never be reached");
    assert_eq!(goals[1].message, "goal `big` can never be reached");
}

// ---------------------------------------------------------------- J309

#[test]
fn j309_wait_for_the_exit_event() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  exit on purchase
  stage a { send email "a" wait up to 3d for purchase then thanks timeout end }
  stage thanks { send email "thanks" end }
}"#,
    );
    assert_eq!(run.codes(), ["J309"]);
    assert_eq!(run.one("J309").message, "this wait for `purchase` can only time out");
}

#[test]
fn j309_silent_for_a_different_event() {
    silent(
        r#"journey j {
  entry on signup
  audience email_opt_in
  exit on purchase
  stage a { send email "a" wait up to 3d for email_open where template == "a" then b timeout end }
  stage b { wait 1d send email "b" end }
}"#,
    );
}

// ---------------------------------------------------------------- J401, J404, J408

#[test]
fn j401_path_exceeds_channel_cap() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage welcome { send email "welcome-1" wait 1d }
  stage tips { send email "tips-1" wait 1d send email "tips-2" wait 1d }
  stage offer { send email "offer-1" end }
}"#,
    );
    assert_eq!(run.codes(), ["J401"]);
    let d = run.one("J401");
    assert_eq!(d.message, "this path sends 4 messages on `email` within 3d, over its cap of 3 per 7d");
    assert_eq!(run.primary_text(d), r#"send email "offer-1""#);
    assert!(
        d.notes.iter().any(|n| n.starts_with(r#"path: welcome (send email "welcome-1") → wait 1d → tips"#)),
        "{d:?}"
    );
}

#[test]
fn j404_template_resent_by_a_loop() {
    let run = check(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage nag { send email "nag" wait up to 7d for purchase then end timeout nag }
}"#,
    );
    assert_eq!(run.codes(), ["J404"]);
    assert_eq!(run.one("J404").message, "template \"nag\" is sent twice on one path");
}

#[test]
fn j408_sends_closer_than_min_gap() {
    let run = check(
        r#"journey j {
  entry on signup
  stage a { send push "p1" wait 1h send push "p2" end }
}"#,
    );
    assert_eq!(run.codes(), ["J408"]);
    let d = run.one("J408");
    assert_eq!(d.message, "two messages on this path can be only 1h apart, less than the minimum gap of 12h");
    assert_eq!(d.help.as_deref(), Some("add a `wait 11h` between these sends"));
}

#[test]
fn j401_j404_j408_silent_for_a_paced_journey() {
    silent(
        r#"journey j {
  entry on signup
  audience email_opt_in
  stage a { send email "a" wait 3d send email "b" wait 3d }
  stage b { send email "c" wait 2d send push "d" wait 12h send push "e" end }
}"#,
    );
}

// ---------------------------------------------------------------- J402

#[test]
fn j402_send_after_waiting_until_a_quiet_time() {
    let run = check(
        r#"journey j {
  entry on signup
  audience sms_opt_in
  stage late { wait until 22:00 local send sms "late" end }
}"#,
    );
    assert_eq!(run.codes(), ["J402"]);
    let d = run.one("J402");
    assert_eq!(d.message, "this `sms` message can only be sent inside the channel's quiet hours (20:00..09:00)");
    assert_eq!(run.primary_text(d), r#"send sms "late""#);
}

#[test]
fn j402_scheduled_entry_inside_quiet_hours() {
    let run = check(
        r#"journey j {
  entry every monday at 07:00 local
  re_entry always
  audience email_opt_in
  stage early { send email "digest" end }
}"#,
    );
    assert_eq!(run.codes(), ["J402"]);
}

#[test]
fn j402_silent_outside_quiet_hours() {
    silent(
        r#"journey j {
  entry every monday at 09:00
  re_entry always
  audience email_opt_in and sms_opt_in
  stage a { send email "digest" wait 4h wait until 14:00 send sms "x" end }
}"#,
    );
}

// ---------------------------------------------------------------- J403

#[test]
fn j403_consent_not_filtered() {
    let run = check(
        r#"journey j {
  entry when audience at_risk entered
  stage a { send email "a" wait 3d send email "b" end }
}"#,
    );
    assert_eq!(run.codes(), ["J403"]);
    let d = run.one("J403");
    assert_eq!(
        d.message,
        "`email` needs consent (`email_opt_in`), but this journey never filters its customers for it"
    );
    assert_eq!(run.primary_text(d), r#"send email "a""#);
}

#[test]
fn j403_silent_when_filtered() {
    silent(
        r#"journey a {
  entry when audience mailable entered
  stage a { send email "a" end }
}
journey b {
  entry on signup
  stage a { branch { when not email_opt_in -> end } send email "a" end }
}"#,
    );
}

// ---------------------------------------------------------------- the shared library

#[test]
fn journey_library_has_no_analysis_findings() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../journeys");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("journeys/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "journey"))
        .collect();
    paths.sort();
    let mut sources = SourceMap::new();
    let files: Vec<_> =
        paths.iter().map(|p| sources.add(p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect();
    let checked = check_sources(&sources, &files, &Settings::default());
    let findings: Vec<Diagnostic> = checked.diagnostics.into_iter().filter(|d| is_analysis(d.code)).collect();
    assert!(
        findings.is_empty(),
        "the journey library has analysis findings:\n{}",
        render(&findings, &sources, Format::Full, &RenderOptions::default())
    );
}
