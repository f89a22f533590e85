//! Unit tests of the cross-journey analysis on hand-built IR: each kind is reported on
//! audiences that certainly overlap, and not on audiences proven disjoint.

use super::super::testing::*;
use super::{calendar, check};
use journey_ir::*;

fn plan_is(values: &[&str]) -> Expr {
    let attr = Box::new(Expr::Attribute { name: "seat".into() });
    let list = values.iter().map(|v| Expr::Const { value: Value::Text((*v).into()) }).collect();
    Expr::In { value: attr, list }
}

fn with_plan(mut p: Program) -> Program {
    let choices = vec!["free".into(), "pro".into(), "team".into()];
    p.attributes.push(AttributeDef { name: "seat".into(), ty: Type::OneOf { choices }, origin: origin("seat") });
    p
}

fn two(a: &[&str], b: &[&str], sa: Step, sb: Step) -> Program {
    let ja = journey("a").audience(plan_is(a)).stage("s", vec![sa, end()]).build();
    let mut jb = journey("b").audience(plan_is(b)).stage("s", vec![sb, end()]).build();
    jb.priority = 40;
    with_plan(program(vec![channel("email", ChannelKind::Email)], vec![ja, jb]))
}

#[test]
fn duplicate_send_on_overlapping_audiences_only() {
    let p = two(&["pro"], &["pro", "team"], send("email", "x"), send("email", "x"));
    let ds = check(&p);
    assert_eq!(codes(&ds), ["J601"]);
    assert_eq!(labels(&ds[0], &p), ["s#0", "s#0"]);
    assert!(ds[0].notes[0].contains("`seat` = \"pro\""), "{:?}", ds[0].notes);
    // proven disjoint: nothing, not even in the calendar view
    let p = two(&["pro"], &["free", "team"], send("email", "x"), send("email", "x"));
    assert!(check(&p).is_empty());
    assert!(calendar(&p).findings.is_empty());
}

#[test]
fn conflicting_tags_need_overlap() {
    let tagged =
        |t: &str| Step::Send { channel: "email".into(), template: t.into(), tags: vec![t.into()], next: next() };
    let mut p = two(&["pro"], &["pro"], tagged("discount"), tagged("full_price"));
    p.policy.conflicting.push(vec!["discount".into(), "full_price".into()]);
    assert_eq!(codes(&check(&p)), ["J602"]);
    let mut p = two(&["pro"], &["team"], tagged("discount"), tagged("full_price"));
    p.policy.conflicting.push(vec!["discount".into(), "full_price".into()]);
    assert!(check(&p).is_empty());
}

#[test]
fn caps_add_up_across_journeys() {
    let mut p = two(&["pro"], &["pro"], send("email", "x"), send("email", "y"));
    p.channels[0].cap = Some(Cap { count: 1, window_minutes: 7 * 1440 });
    let ds = check(&p);
    assert_eq!(codes(&ds), ["J603"]);
    assert_eq!(
        ds[0].message,
        "`b` and `a` can together send one customer 2 messages on `email` within 7d, over its cap of 1 per 7d"
    );
    let mut p = two(&["pro"], &["free"], send("email", "x"), send("email", "y"));
    p.channels[0].cap = Some(Cap { count: 1, window_minutes: 7 * 1440 });
    assert!(check(&p).is_empty());
}

/// issue 15: journey.yaml's program cap per category adds up the sends of every
/// message channel of its category, across journeys.
#[test]
fn program_caps_add_up_across_journeys_and_channels() {
    let mut p = two(&["pro"], &["pro"], send("email", "x"), send("sms", "y"));
    p.channels.push(channel("sms", ChannelKind::Sms));
    p.rules.category_caps.push(category_cap("promotional", 1, 7));
    let ds = check(&p);
    assert_eq!(codes(&ds), ["J603"]);
    let d = &ds[0];
    assert_eq!(
        d.message,
        "`b` and `a` can together send one customer 2 promotional messages within 7d, over the program cap `promotional: 1 per 7d`"
    );
    assert_eq!(labels(d, &p), ["s#0", "s#0", "program-cap"]);
    assert_eq!(
        d.help.as_deref(),
        Some(
            "make the audiences disjoint or space the sends out: past 1 per 7d the engine refuses the sends over the cap (they are dropped, not deferred), whichever journey sends them (priority only orders sends due at the same instant)"
        )
    );
    // the calendar view has it too
    assert_eq!(calendar(&p).findings.iter().map(|f| f.code).collect::<Vec<_>>(), ["J603"]);
    // disjoint audiences: nothing
    let mut q = two(&["pro"], &["free"], send("email", "x"), send("sms", "y"));
    q.channels.push(channel("sms", ChannelKind::Sms));
    q.rules.category_caps.push(category_cap("promotional", 1, 7));
    assert!(check(&q).is_empty());
    // a channel of another category is not counted
    p.channels[1].category = Some("transactional".into());
    assert!(check(&p).is_empty());
}

/// A program cap the channel caps keep the sends under cannot be passed (the engine
/// refuses a send over the channel's cap first), and one they keep only partly under
/// is reported with the sends that can go out.
#[test]
fn program_caps_count_only_what_the_channel_caps_let_through() {
    let mut p = two(&["pro"], &["pro"], send("email", "x"), send("email", "y"));
    p.channels[0].cap = Some(Cap { count: 1, window_minutes: 7 * 1440 });
    p.rules.category_caps.push(category_cap("promotional", 1, 7));
    let ds = check(&p);
    // the email cap's J603 only
    assert_eq!(codes(&ds), ["J603"]);
    assert!(ds[0].message.ends_with("over its cap of 1 per 7d"), "{}", ds[0].message);

    // `a` sends two emails and a text; `b` two emails: five sends, of which the email
    // cap of 3 lets 4 through, over the program cap of 3
    let ja = journey("a")
        .audience(plan_is(&["pro"]))
        .stage("s", vec![send("email", "x1"), send("email", "x2"), send("sms", "x3"), end()])
        .build();
    let jb = journey("b")
        .audience(plan_is(&["pro"]))
        .stage("s", vec![send("email", "y1"), send("email", "y2"), end()])
        .build();
    let mut email = channel("email", ChannelKind::Email);
    email.cap = Some(Cap { count: 3, window_minutes: 7 * 1440 });
    let mut p = with_plan(program(vec![email, channel("sms", ChannelKind::Sms)], vec![ja, jb]));
    p.rules.category_caps.push(category_cap("promotional", 3, 7));
    let ds = check(&p);
    let d = ds.iter().find(|d| d.message.contains("program cap")).expect("the program cap's J603");
    assert_eq!(
        d.message,
        "`b` and `a` can together send one customer 4 promotional messages within 7d, over the program cap `promotional: 3 per 7d`"
    );
    assert!(
        d.notes.iter().any(|n| n == "the channels' and the policy's caps let 4 of these 5 through: the engine refuses a send over them before it counts against the program cap `promotional: 3 per 7d`"),
        "{:?}",
        d.notes
    );
}

fn purchases(op: CmpOp, n: f64) -> Expr {
    Expr::Compare {
        cmp: op,
        lhs: Box::new(Expr::Aggregate(Aggregate::Count {
            event: "purchase".into(),
            filter: None,
            window_minutes: None,
        })),
        rhs: Box::new(Expr::Const { value: Value::Number(n) }),
    }
}

fn since_purchase(op: CmpOp, days: u64) -> Expr {
    Expr::Compare {
        cmp: op,
        lhs: Box::new(Expr::Aggregate(Aggregate::Since { event: "purchase".into(), filter: None })),
        rhs: Box::new(Expr::Const { value: Value::DurationMinutes(days * 1440) }),
    }
}

fn same_template(a: Expr, b: Expr) -> Program {
    let ja = journey("a").audience(a).stage("s", vec![send("email", "x"), end()]).build();
    let jb = journey("b").audience(b).stage("s", vec![send("email", "x"), end()]).build();
    with_plan(program(vec![channel("email", ChannelKind::Email)], vec![ja, jb]))
}

#[test]
fn independent_terms_certainly_overlap() {
    // `count(purchase) >= 1` and `seat == "pro"` constrain independent terms: any
    // buyer on the pro seat is in both (this was once only "may")
    let p = same_template(purchases(CmpOp::Ge, 1.0), plan_is(&["pro"]));
    let ds = check(&p);
    assert_eq!(codes(&ds), ["J601"]);
    assert_eq!(ds[0].severity, journey_diagnostics::Severity::Error);
    assert!(!ds[0].may_overlap);
}

#[test]
fn may_overlap_is_reported_with_a_witness_history() {
    // two aggregates of one event: the reasoner cannot decide, the search finds a
    // customer with two purchases, the last one over 60 days ago
    let p = same_template(purchases(CmpOp::Ge, 2.0), since_purchase(CmpOp::Gt, 60));
    let ds = check(&p);
    assert_eq!(codes(&ds), ["J601"]);
    assert_eq!(ds[0].severity, journey_diagnostics::Severity::Warning);
    assert!(ds[0].may_overlap);
    assert!(ds[0].message.contains("audiences may overlap"), "{}", ds[0].message);
    assert!(ds[0].notes[0].contains("`purchase` 60d 1m ago"), "{:?}", ds[0].notes);
    let view = calendar(&p);
    let (h, journeys) = view.findings[0].witness.clone().expect("a witness history");
    assert_eq!(journeys.len(), 2);
    assert_eq!(h.events.iter().filter(|e| e.event == "purchase").count(), 2);
}

#[test]
fn may_overlap_without_a_witness_is_left_to_the_calendar_view() {
    // never purchased, yet purchased in the last 10 days: no customer, but the
    // reasoner does not know that `count` and `since` of one event are tied
    let p = same_template(purchases(CmpOp::Eq, 0.0), since_purchase(CmpOp::Le, 10));
    assert!(check(&p).is_empty());
    let view = calendar(&p);
    assert_eq!(view.findings.len(), 1);
    assert_eq!(view.findings[0].code, "J601");
    assert_eq!(view.findings[0].severity, journey_diagnostics::Severity::Warning);
    assert!(view.findings[0].witness.is_none());
}

/// The pair table's packed slots keep every combination of what is known, and the
/// all-zero slot (how the table is allocated) is the slot nothing is known about.
#[test]
fn pair_memo_packs_every_state() {
    use super::super::logic::Overlap;
    use super::PairMemo;
    assert_eq!(PairMemo::unpack([0; 4]), PairMemo::default());
    let flags = [None, Some(false), Some(true)];
    let overlaps = [Overlap::Disjoint, Overlap::MayOverlap, Overlap::CertainlyOverlaps];
    let mut verdicts = vec![None];
    for o in overlaps {
        for at in [None, Some((0, 0)), Some((3, 7)), Some((u32::MAX as usize, 1))] {
            verdicts.push(Some((o, at)));
        }
    }
    for quickly_disjoint in flags {
        for has_history in flags {
            for &verdict in &verdicts {
                for extra in [0, 1, u32::MAX] {
                    let m = PairMemo { quickly_disjoint, verdict, has_history, extra };
                    assert_eq!(PairMemo::unpack(m.pack()), m);
                }
            }
        }
    }
}
