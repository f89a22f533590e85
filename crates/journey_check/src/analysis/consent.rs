//! J403 consent-not-filtered: a send on a channel that needs consent (`consent ATTR`)
//! that can reach customers never filtered for `ATTR == true`.
//!
//! What is known about a customer at each step is the conjunction of the journey's
//! `audience`, the audience whose entry triggers it, the entry event's filter, and the
//! conditions of the branch arms taken on every way there (a forward data flow,
//! intersected where paths meet; `set ATTR = …` forgets what mentioned `ATTR`). A
//! send is fine when that conjunction implies the consent attribute
//! ([`super::logic::implies`]). Reported once per journey and channel, on the first
//! such send.

use super::{logic, Cx, Target};
use journey_diagnostics::Diagnostic;
use journey_ir::{Expr, Step, Trigger};

/// The facts known at a node: sorted, distinct indexes into [`FactTable::exprs`].
/// Interning keeps the data flow to cheap integer-set intersections; the
/// expressions themselves are only touched to build a table entry.
type Facts = Vec<u32>;

/// Every distinct conjunct met in one journey, with what it may depend on cached.
#[derive(Default)]
struct FactTable {
    exprs: Vec<Expr>,
}

impl FactTable {
    fn id(&mut self, e: Expr) -> u32 {
        // a journey has tens of distinct conjuncts, so a scan beats hashing an `Expr`
        match self.exprs.iter().position(|x| *x == e) {
            Some(i) => i as u32,
            None => {
                self.exprs.push(e);
                (self.exprs.len() - 1) as u32
            }
        }
    }

    /// Add `e` to `f`, conjunction by conjunction, so `set ATTR` later forgets only
    /// the conjuncts that mention `ATTR`.
    fn add(&mut self, f: &mut Facts, e: Expr) {
        match e {
            Expr::And { all } => all.into_iter().for_each(|x| self.add(f, x)),
            e => {
                let id = self.id(e);
                if let Err(at) = f.binary_search(&id) {
                    f.insert(at, id);
                }
            }
        }
    }
}

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    // issue 15: a `for account` journey's messages go to the account's admins, each
    // checked for their own consent when it is sent: the account's audience cannot
    // filter for it, and need not
    if cx.journey.for_account {
        return Vec::new();
    }
    let needs: Vec<usize> = (0..cx.journey.nodes.len())
        .filter(|&i| cx.reachable[i])
        .filter(|&i| matches!(cx.step(i), Step::Send { channel, .. } if cx.program.channel(channel).is_some_and(|c| c.consent.is_some())))
        .collect();
    if needs.is_empty() {
        return Vec::new();
    }
    let (facts, table) = known_facts(cx);
    let mut done: Vec<&str> = Vec::new();
    // sends after the same branches share their facts: prove each set once
    let mut proven: Vec<(&Facts, &str)> = Vec::new();
    let mut out = Vec::new();
    for i in needs {
        let Step::Send { channel, .. } = cx.step(i) else { continue };
        let Some(ch) = cx.program.channel(channel) else { continue };
        let Some(attr) = &ch.consent else { continue };
        if done.contains(&channel.as_str()) {
            continue;
        }
        // `None`: only dead edges lead here
        let Some(f) = &facts[i] else { continue };
        if proven.contains(&(f, attr.as_str())) {
            continue;
        }
        if filtered(f, &table, attr, cx.program) {
            proven.push((f, attr));
            continue;
        }
        done.push(channel);
        let o = cx.node_origin(i);
        let mut d = Diagnostic::new(
            "J403",
            format!("`{channel}` needs consent (`{attr}`), but this journey never filters its customers for it"),
        )
        .primary(o.file, o.span, format!("may reach customers without `{attr}`"))
        .secondary(
            ch.setting_origins.consent.as_ref().unwrap_or(&ch.origin).file,
            ch.setting_origins.consent.as_ref().unwrap_or(&ch.origin).span,
            format!("`{channel}` requires `{attr}`"),
        );
        if let Some(a) = &cx.journey.audience {
            d = d.note(format!("the journey's audience is `{}`", logic::render(a)));
        }
        out.push(d.help(format!("add `audience {attr}` (or `and {attr}`) to the journey")));
    }
    out
}

/// Do the facts `f` imply the consent attribute `attr`?
///
/// Most journeys filter for consent in so many words (`audience email_opt_in and …`),
/// so one of their conjuncts *is* the attribute: that proves it without building the
/// conjunction and its normal form, which was half of all per-journey checks. The
/// answer is [`logic::implies`]'s either way (`implied_by_a_conjunct` proves such a
/// conjunct alone; `tests::conjunct_fast_path_agrees_with_implies` holds them equal).
fn filtered(f: &Facts, table: &FactTable, attr: &str, program: &journey_ir::Program) -> bool {
    let is_attr = |e: &Expr| matches!(e, Expr::Attribute { name } if name == attr);
    if f.iter().any(|&k| is_attr(&table.exprs[k as usize])) {
        return true;
    }
    implies_plainly(f, table, attr, program)
}

/// [`filtered`] without the shortcut: the conjunction of the facts against the attribute.
fn implies_plainly(f: &Facts, table: &FactTable, attr: &str, program: &journey_ir::Program) -> bool {
    let known = Expr::And { all: f.iter().map(|&k| table.exprs[k as usize].clone()).collect() };
    logic::implies(&known, &Expr::Attribute { name: attr.to_string() }, program)
}

/// What holds for every customer at each node (`None`: unreachable).
fn known_facts(cx: &Cx) -> (Vec<Option<Facts>>, FactTable) {
    let n = cx.journey.nodes.len();
    let mut table = FactTable::default();
    let mut facts: Vec<Option<Facts>> = vec![None; n];
    let Target::Node(start) = cx.start else { return (facts, table) };
    let mut entry = Facts::new();
    if let Some(a) = &cx.journey.audience {
        table.add(&mut entry, a.clone());
    }
    match &cx.journey.entry {
        Trigger::AudienceEntered { audience } => table.add(&mut entry, Expr::Audience { name: audience.clone() }),
        // it has just turned true (a condition entry is never joined with `or`: J320)
        Trigger::Condition { condition } if cx.journey.entry_also.is_empty() => {
            table.add(&mut entry, condition.clone())
        }
        // several triggers: a customer entered by another event never passed this filter
        Trigger::Event { filter: Some(f), .. } if cx.journey.entry_also.is_empty() => table.add(&mut entry, f.clone()),
        _ => {}
    }
    facts[start] = Some(entry);
    // (fact, attribute) -> may the fact depend on the attribute
    let mut mentions_cache: Vec<(u32, &str, bool)> = Vec::new();
    let mut work = vec![start];
    while let Some(i) = work.pop() {
        let Some(here) = facts[i].clone() else { continue };
        for &(pos, t) in &cx.succ[i] {
            let Target::Node(j) = t else { continue };
            if cx.dead_edges.contains(&(i, pos)) {
                continue;
            }
            let mut f = here.clone();
            match cx.step(i) {
                Step::Branch { arms, .. } => {
                    let mut all: Vec<Expr> = arms[..pos.min(arms.len())]
                        .iter()
                        .map(|a| Expr::Not { expr: Box::new(a.condition.clone()) })
                        .collect();
                    if let Some(a) = arms.get(pos) {
                        all.push(a.condition.clone());
                    }
                    table.add(&mut f, Expr::And { all });
                }
                Step::SetAttribute { attribute, .. } => f.retain(|&k| {
                    if let Some(&(_, _, m)) = mentions_cache.iter().find(|(x, a, _)| *x == k && *a == attribute) {
                        return !m;
                    }
                    let m = mentions(cx.program, &table.exprs[k as usize], attribute, &mut Vec::new());
                    mentions_cache.push((k, attribute, m));
                    !m
                }),
                _ => {}
            }
            let merged = match &facts[j] {
                None => f,
                Some(old) => old.iter().copied().filter(|k| f.binary_search(k).is_ok()).collect(),
            };
            if facts[j].as_ref() != Some(&merged) {
                facts[j] = Some(merged);
                work.push(j);
            }
        }
    }
    (facts, table)
}

/// Could `e` depend on attribute `name`? Audiences are expanded (a recursive or
/// unknown audience is assumed to).
fn mentions<'p>(p: &'p journey_ir::Program, e: &'p Expr, name: &str, seen: &mut Vec<&'p str>) -> bool {
    match e {
        Expr::Attribute { name: n } => n == name,
        Expr::Audience { name: a } => {
            if seen.contains(&a.as_str()) {
                return true;
            }
            seen.push(a);
            p.audience(a).is_none_or(|aud| mentions(p, &aud.condition, name, seen))
        }
        Expr::Aggregate(journey_ir::Aggregate::SinceAttribute { attribute }) => attribute == name,
        Expr::Const { .. } | Expr::Property { .. } | Expr::Aggregate(_) | Expr::AccountAggregate(_) | Expr::Today => {
            false
        }
        Expr::Not { expr } => mentions(p, expr, name, seen),
        // whether the flag exists says nothing of its value
        Expr::IsSet { .. } => false,
        Expr::And { all: v } | Expr::Or { any: v } => v.iter().any(|x| mentions(p, x, name, seen)),
        Expr::Compare { lhs, rhs, .. }
        | Expr::Add { lhs, rhs }
        | Expr::Sub { lhs, rhs }
        | Expr::Mul { lhs, rhs }
        | Expr::Div { lhs, rhs } => mentions(p, lhs, name, seen) || mentions(p, rhs, name, seen),
        Expr::Min { all: v } | Expr::Max { all: v } => v.iter().any(|x| mentions(p, x, name, seen)),
        Expr::Score { expr, .. } => mentions(p, expr, name, seen),
        Expr::In { value, list } => mentions(p, value, name, seen) || list.iter().any(|x| mentions(p, x, name, seen)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::logic::tests::{and, attr, aud, cmp, days, not, since};
    use super::super::testing::*;
    use super::super::Cx;
    use super::check;
    use journey_ir::{Audience, ChannelKind, CmpOp, Origin, Trigger};

    fn email() -> journey_ir::Channel {
        let mut c = channel("email", ChannelKind::Email);
        c.consent = Some("email_opt_in".into());
        c
    }

    #[test]
    fn unfiltered_audience() {
        let j = journey("j")
            .audience(aud("at_risk"))
            .stage("a", vec![send("email", "x"), wait_days(1), send("email", "y"), end()])
            .build();
        let p = program(vec![email()], vec![j]);
        let ds = check(&Cx::new(&p, &p.journeys[0]));
        assert_eq!(codes(&ds), ["J403"]);
        assert_eq!(labels(&ds[0], &p), ["a#0", "email"]);
        assert_eq!(ds[0].help.as_deref(), Some("add `audience email_opt_in` (or `and email_opt_in`) to the journey"));
    }

    #[test]
    fn filtered_by_audience_entry_or_branch() {
        let a = journey("a")
            .audience(and(vec![aud("at_risk"), attr("email_opt_in")]))
            .stage("a", vec![send("email", "x"), end()])
            .build();
        let b = journey("b")
            .entry(Trigger::AudienceEntered { audience: "mailable".into() })
            .stage("a", vec![send("email", "x"), end()])
            .build();
        let c = journey("c")
            .stage("a", vec![branch(vec![(not(attr("email_opt_in")), end_t())], to("b"))])
            .stage("b", vec![send("email", "x"), end()])
            .build();
        let mut p = program(vec![email()], vec![a, b, c]);
        p.audiences.push(Audience {
            name: "mailable".into(),
            condition: and(vec![attr("email_opt_in"), cmp(since("purchase"), CmpOp::Lt, days(30))]),
            origin: Origin::default(),
        });
        for j in &p.journeys {
            assert!(check(&Cx::new(&p, j)).is_empty(), "{}", j.name);
        }
    }

    #[test]
    fn setting_an_attribute_forgets_only_what_mentions_it() {
        let j = journey("j")
            .audience(and(vec![attr("email_opt_in"), not(attr("invited"))]))
            .stage("a", vec![set("invited"), send("email", "x"), end()])
            .build();
        let p = program(vec![email()], vec![j]);
        assert!(check(&Cx::new(&p, &p.journeys[0])).is_empty());
        let j = journey("j")
            .audience(attr("email_opt_in"))
            .stage("a", vec![set("email_opt_in"), send("email", "x"), end()])
            .build();
        let p = program(vec![email()], vec![j]);
        assert_eq!(codes(&check(&Cx::new(&p, &p.journeys[0]))), ["J403"]);
    }

    /// The shortcut of `filtered` (a conjunct that is the attribute) against the plain
    /// `implies` of the whole conjunction, on seeded random fact sets: attributes of
    /// every type and undeclared ones, audiences (recursive ones too), negations,
    /// disjunctions and conjunctions too wide for the normal form.
    #[test]
    fn conjunct_fast_path_agrees_with_implies() {
        use super::super::logic::tests::{count, num, or, text};
        use super::{filtered, implies_plainly, FactTable, Facts};
        let mut seed = 0x5eed_u64;
        let mut next = move |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        let names = ["email_opt_in", "country", "plan", "score", "undeclared"];
        let p = program(vec![email()], vec![]);
        let pick = |next: &mut dyn FnMut(usize) -> usize| -> journey_ir::Expr {
            let a = attr(names[next(names.len())]);
            match next(9) {
                0..=2 => a,
                3 => not(a),
                4 => aud(["at_risk", "active", "loop_a", "nowhere"][next(4)]),
                5 => or(vec![a, cmp(count("purchase"), CmpOp::Ge, num(next(4) as f64))]),
                6 => cmp(attr("country"), CmpOp::Eq, text(["US", "CA"][next(2)])),
                7 => or((0..40).map(|i| cmp(attr("score"), CmpOp::Eq, num(i as f64))).collect()),
                _ => and(vec![a, cmp(since("purchase"), CmpOp::Lt, days(next(90) as u64))]),
            }
        };
        let mut shortcuts = 0;
        for _ in 0..3000 {
            let mut table = FactTable::default();
            let mut f = Facts::new();
            for _ in 0..next(6) {
                let e = pick(&mut next);
                table.add(&mut f, e);
            }
            let want = names[next(names.len())];
            let fast = filtered(&f, &table, want, &p);
            let plain = implies_plainly(&f, &table, want, &p);
            assert_eq!(fast, plain, "facts {:?}, attribute {want}", table.exprs);
            shortcuts += usize::from(f.iter().any(|&k| table.exprs[k as usize] == attr(want)));
        }
        assert!(shortcuts > 300, "the shortcut was tried {shortcuts} times");
    }

    fn set(a: &str) -> journey_ir::Step {
        journey_ir::Step::SetAttribute {
            attribute: a.into(),
            value: journey_ir::Expr::Const { value: journey_ir::Value::Bool(true) },
            next: crate::analysis::testing::next(),
        }
    }

    #[test]
    fn one_filtered_way_and_one_unfiltered_way() {
        let j = journey("j")
            .stage("a", vec![branch(vec![(attr("email_opt_in"), to("b"))], to("b"))])
            .stage("b", vec![send("email", "x"), end()])
            .build();
        let p = program(vec![email()], vec![j]);
        assert_eq!(codes(&check(&Cx::new(&p, &p.journeys[0]))), ["J403"]);
    }
}
