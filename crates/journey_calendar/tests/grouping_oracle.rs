//! The view's indexed grouping of conflicts (crates/journey_calendar/src/grouping.rs)
//! against the first, all-pairs version kept here as the oracle: on small generated
//! programs with every kind of cross-journey finding (J601-J606), both give the same
//! view, field for field.
//!
//! The oracle is `build` as it was before issue 19 (names formatted, hashed and
//! compared per part; `contains` on the journeys of a finding), which was right and
//! grew with the square of the parts. J605 and J606 are grouped in the view now
//! (docs/calendar.md, "Grouped conflicts"): the all-pairs oracle is compared without
//! them, and the groups are expanded back into pairs and compared with the pairs of
//! `journey check`'s findings.

use journey_calendar::{build, describe_entry, CalendarView, Conflict, JourneyInfo, Schedule, SendConflict, SendRow};
use journey_check::analysis::calendar;
use journey_check::analysis::calendar::SHOWN;
use journey_check::{check_sources, Settings};
use journey_diagnostics::{Severity, SourceMap};
use journey_ir::{draw, Program, Trigger, Zone};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

const DAY: u64 = 24 * 60;

/// The old `journey_calendar::build`, verbatim but for the private helpers it used.
fn oracle(program: &Program) -> CalendarView {
    let (cal, diags) = calendar::analyze(program, false);
    let name = |j: usize| program.journeys[j].name.clone();
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut seen: HashMap<(String, String, bool, String, Vec<String>), usize> = HashMap::new();
    let mut seen_steps: Vec<HashSet<String>> = Vec::new();
    for (f, d) in cal.findings.iter().zip(&diags) {
        let mut journeys: Vec<String> = Vec::new();
        let mut steps: Vec<String> = Vec::new();
        for &(j, n) in &f.parts {
            let jn = name(j);
            if let Some(n) = n {
                steps.push(format!("{jn}/{}", program.journeys[j].nodes[n].id));
            }
            if !journeys.contains(&jn) {
                journeys.push(jn);
            }
        }
        let key = (f.code.to_string(), f.severity.as_str().to_string(), d.may_overlap, f.message.clone(), journeys);
        let i = *seen.entry(key).or_insert_with_key(|key| {
            conflicts.push(Conflict {
                code: key.0.clone(),
                severity: key.1.clone(),
                message: key.3.clone(),
                journeys: key.4.clone(),
                steps: Vec::new(),
                group: None,
                partner_groups: Vec::new(),
                more: 0,
                may_overlap: key.2,
                observed: None,
            });
            seen_steps.push(HashSet::new());
            conflicts.len() - 1
        });
        for st in steps {
            if seen_steps[i].insert(st.clone()) {
                conflicts[i].steps.push(st.into());
            }
        }
    }
    let mut of_journey: Vec<Vec<usize>> = vec![Vec::new(); program.journeys.len()];
    let mut of_node: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    let mut whole: Vec<Vec<usize>> = vec![Vec::new(); program.journeys.len()];
    for (fi, f) in cal.findings.iter().enumerate() {
        for &(pj, pn) in &f.parts {
            if of_journey[pj].last() != Some(&fi) {
                of_journey[pj].push(fi);
            }
            let list = match pn {
                Some(n) => of_node.entry((pj, n)).or_default(),
                None => &mut whole[pj],
            };
            if list.last() != Some(&fi) {
                list.push(fi);
            }
        }
    }
    let mut journeys = Vec::new();
    let mut sends = Vec::new();
    for (ji, (j, plan)) in program.journeys.iter().zip(&cal.plans).enumerate() {
        let trigger = describe_entry(j);
        let audience = j.audience.as_ref().map(draw::describe_expr);
        let goals: Vec<String> = j.goals.iter().map(|g| g.name.clone()).collect();
        let schedule = match &j.entry {
            Trigger::Schedule { period, minute_of_day, zone } => Some(Schedule {
                period: period.clone(),
                minute_of_day: *minute_of_day,
                zone: match zone {
                    Zone::Customer => None,
                    Zone::Named(z) => Some(z.clone()),
                },
                active: j.active.as_ref().and_then(|w| {
                    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
                    Some((day(&w.from)?, day(&w.to)?))
                }),
            }),
            _ => None,
        };
        let entry_minute = match &j.entry {
            Trigger::Schedule { minute_of_day, .. } => Some(*minute_of_day),
            Trigger::DateAttribute { minute_of_day, .. } => *minute_of_day,
            _ => None,
        };
        let mut codes: Vec<String> = of_journey[ji].iter().map(|&fi| cal.findings[fi].code.to_string()).collect();
        codes.sort();
        codes.dedup();
        let never_enters = cal.never_enters[ji];
        for s in plan.sends.iter().filter(|_| !never_enters) {
            let node = &j.nodes[s.node];
            let mut mine: Vec<usize> = whole[ji].clone();
            mine.extend(of_node.get(&(ji, s.node)).into_iter().flatten().copied());
            mine.sort_unstable();
            mine.dedup();
            let conflicts: Vec<SendConflict> = mine
                .iter()
                .map(|&fi| {
                    let f = &cal.findings[fi];
                    let partners: BTreeSet<&str> = f
                        .parts
                        .iter()
                        .filter(|&&(pj, _)| pj != ji)
                        .map(|&(pj, _)| program.journeys[pj].name.as_str())
                        .collect();
                    let partners: journey_calendar::Names = partners.into_iter().map(std::sync::Arc::from).collect();
                    SendConflict {
                        code: f.code.to_string(),
                        severity: f.severity.as_str().to_string(),
                        partners,
                        group: None,
                        more: 0,
                    }
                })
                .collect();
            let conflicts = merge(conflicts);
            let (week, day, time) = place(s.offset, entry_minute);
            sends.push(SendRow {
                journey: j.name.clone(),
                stage: node.stage.clone(),
                node: node.id.clone(),
                channel: s.channel.clone(),
                template: s.template.clone(),
                tags: s.tags.clone(),
                audience: audience.clone(),
                trigger: trigger.clone(),
                offset_minutes: s.offset,
                week,
                day,
                time,
                goals: goals.clone(),
                priority: j.priority,
                conflicts,
            });
        }
        journeys.push(JourneyInfo {
            name: j.name.clone(),
            title: j.title.clone(),
            priority: j.priority,
            trigger,
            audience,
            goals,
            schedule,
            conflicts: codes,
            // the generator writes no `wait N business days`
            business_waits: Vec::new(),
            for_account: j.for_account,
            never_enters,
        });
    }
    let weeks = sends.iter().map(|s| s.week).max().unwrap_or(1).max(1);
    let mut channels: Vec<String> = program.channels.iter().map(|c| c.name.clone()).collect();
    for s in &sends {
        if !channels.contains(&s.channel) {
            channels.push(s.channel.clone());
        }
    }
    channels.retain(|c| sends.iter().any(|s| &s.channel == c));
    // The generator writes no task steps, so the task list is empty on both sides.
    CalendarView {
        weeks,
        journeys,
        sends,
        tasks: Vec::new(),
        conflicts,
        groups: Vec::new(),
        channels,
        timezone: program.timezone.clone(),
        observed: None,
    }
}

/// The rules the view groups.
const GROUPED: [&str; 2] = ["J605", "J606"];

/// `view` without the grouped rules.
fn ungrouped(mut view: CalendarView) -> CalendarView {
    view.conflicts.retain(|c| !GROUPED.contains(&c.code.as_str()));
    for s in &mut view.sends {
        s.conflicts.retain(|c| !GROUPED.contains(&c.code.as_str()));
    }
    for j in &mut view.journeys {
        j.conflicts.retain(|c| !GROUPED.contains(&c.as_str()));
    }
    view.groups.clear();
    view
}

/// `(code, a, b)` with `a < b`: the pairs of journeys the view's grouped conflicts
/// stand for, each group expanded.
fn expanded(view: &CalendarView) -> BTreeSet<(String, String, String)> {
    let mut pairs = BTreeSet::new();
    for c in view.conflicts.iter().filter(|c| GROUPED.contains(&c.code.as_str())) {
        let g = c.group.expect("a grouped conflict has its group");
        assert!(!c.partner_groups.is_empty(), "{c:?}");
        for &h in &c.partner_groups {
            assert!(h <= g, "partners are earlier groups or its own: {c:?}");
            for (i, a) in view.groups[g].journeys.iter().enumerate() {
                // within its own group, each pair once
                let from = if h == g { i + 1 } else { 0 };
                for b in &view.groups[h].journeys[from..] {
                    {
                        let (x, y) = if a < b { (a, b) } else { (b, a) };
                        assert!(
                            pairs.insert((c.code.clone(), x.clone(), y.clone())),
                            "pair {x} + {y} in two {} conflicts",
                            c.code
                        );
                    }
                }
            }
        }
    }
    pairs
}

/// The same pairs from `journey check`'s findings: each names a journey and every
/// partner.
pub fn pairs_of_check(program: &Program) -> BTreeSet<(String, String, String)> {
    let cal = calendar::calendar_pairs(program);
    let name = |j: usize| program.journeys[j].name.clone();
    let mut pairs = BTreeSet::new();
    for f in cal.findings.iter().filter(|f| GROUPED.contains(&f.code)) {
        let b = f.parts[0].0;
        for &(a, _) in &f.parts[1..] {
            let (x, y) = if name(a) < name(b) { (name(a), name(b)) } else { (name(b), name(a)) };
            pairs.insert((f.code.to_string(), x, y));
        }
    }
    pairs
}

/// The grouped view against the pairs: the expanded groups are the pairs, each send's
/// J605 entry names the journeys its journey pairs with (the first ones, and how many
/// more), and a journey has a grouped code exactly when it is in a pair of that rule.
fn check_groups(program: &Program, view: &CalendarView) -> usize {
    let want = pairs_of_check(program);
    assert_eq!(expanded(view), want);
    let mut with: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (code, a, b) in &want {
        with.entry((code, a)).or_default().insert(b);
        with.entry((code, b)).or_default().insert(a);
    }
    for j in &view.journeys {
        for code in GROUPED {
            let paired = with.contains_key(&(code, j.name.as_str()));
            assert_eq!(j.conflicts.iter().any(|c| c == code), paired, "{} {code}", j.name);
        }
    }
    for s in &view.sends {
        let got = s.conflicts.iter().find(|c| c.code == "J605");
        match with.get(&("J605", s.journey.as_str())) {
            None => assert!(got.is_none(), "{s:?}"),
            Some(all) => {
                let got = got.expect("a J605 entry");
                let all: Vec<&str> = all.iter().copied().collect();
                let shown = if all.len() <= SHOWN + 1 { all.len() } else { SHOWN };
                let partners: Vec<&str> = got.partners.iter().map(|n| &**n).collect();
                assert_eq!(partners, all[..shown], "{}", s.journey);
                assert_eq!(got.more, all.len() - shown, "{}", s.journey);
            }
        }
    }
    want.len()
}

fn merge(all: Vec<SendConflict>) -> Vec<SendConflict> {
    let rank = |s: &str| match s {
        "error" => 2,
        "warning" => 1,
        _ => 0,
    };
    let mut by_code: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for c in all {
        let e = by_code.entry(c.code).or_insert_with(|| (c.severity.clone(), BTreeSet::new()));
        if rank(&c.severity) > rank(&e.0) {
            e.0 = c.severity;
        }
        e.1.extend(c.partners.iter().map(|n| n.to_string()));
    }
    by_code
        .into_iter()
        .map(|(code, (severity, partners))| SendConflict {
            code,
            severity,
            partners: partners.into_iter().map(std::sync::Arc::from).collect(),
            group: None,
            more: 0,
        })
        .collect()
}

fn place(offset: u64, entry_minute: Option<u32>) -> (u64, u64, Option<String>) {
    let at = offset + entry_minute.map_or(0, u64::from);
    let days = at / DAY;
    let time = entry_minute.map(|_| format!("{:02}:{:02}", (at % DAY) / 60, at % 60));
    (days / 7 + 1, days % 7 + 1, time)
}

/// SplitMix64, seeded: the same programs on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const HEADER: &str = r#"
event purchase
attribute plan: one_of("free", "pro", "team")
attribute country: text

channel email {
  kind email
  cap 2 per 7d
}

channel push {
  kind push
}

policy {
  cap any 3 per 7d
  conflicting [discount, full_price]
}
"#;

/// Audiences that overlap certainly, may overlap (aggregates) or are proven disjoint
/// (`plan` values), so that findings have one, several or no partners.
const AUDIENCES: &[&str] = &[
    "plan == \"pro\"",
    "plan == \"free\"",
    "plan != \"team\"",
    "plan == \"pro\" and count(purchase) >= 1",
    "count(purchase, 30d) >= 2",
    "country == \"US\"",
];

/// A program of 2 to 13 journeys sharing templates, tags, caps and priorities, with
/// experiments and win-back/VIP journeys: every rule J601-J606 can fire.
fn generated(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut s = String::from(HEADER);
    let n = 2 + rng.below(12);
    for j in 0..n {
        let _ = writeln!(s, "\njourney j{j} {{");
        let _ = writeln!(s, "  priority {}", 10 * (1 + rng.below(2)));
        match rng.below(5) {
            0 => s.push_str("  tags [winback]\n"),
            1 => s.push_str("  tags [vip]\n"),
            _ => {}
        }
        s.push_str("  entry on purchase\n");
        let _ = writeln!(s, "  audience {}", rng.pick(AUDIENCES));
        let experiment = rng.below(3) == 0;
        let _ = writeln!(s, "\n  stage first {{");
        // at most two sends in any 7 days, so no journey is over a cap alone (J401)
        let first = rng.below(4) as usize;
        for k in 0..1 + rng.below(2) as usize {
            if k > 0 {
                let _ = writeln!(s, "    wait {}h", 1 + rng.below(30));
            }
            let channel = rng.pick(&["email", "email", "push"]);
            // different templates on one path (the same twice is J404)
            let template = ["welcome", "news", "offer", "reminder"][(first + k) % 4];
            let tags = rng.pick(&["", "", " tags [discount]", " tags [full_price]"]);
            let _ = writeln!(s, "    send {channel} \"{template}\"{tags}");
        }
        if experiment {
            let a = 10 + rng.below(80);
            let _ = writeln!(s, "    split test_{j} {{\n      {a}% -> second\n      {}% -> second\n    }}", 100 - a);
        } else {
            s.push_str("    end\n");
        }
        s.push_str("  }\n");
        if experiment {
            let template = rng.pick(&["follow-up", "survey"]);
            let _ = writeln!(s, "\n  stage second {{\n    wait 8d\n    send email \"{template}\"\n    end\n  }}");
        }
        s.push_str("}\n");
    }
    s
}

fn compile(text: &str) -> Program {
    let mut sources = SourceMap::new();
    let f = sources.add("generated.journey", text);
    let settings = Settings { timezone: "UTC".into(), currency: "USD".into(), ..Settings::default() };
    let checked = check_sources(&sources, &[f], &settings);
    // cross-journey findings on certain overlaps are errors of `check` (what the
    // calendar shows); anything else is a mistake of the generator
    let errors: Vec<_> =
        checked.diagnostics.iter().filter(|d| d.severity == Severity::Error && !d.code.starts_with("J6")).collect();
    assert!(errors.is_empty(), "generated program has errors: {errors:#?}\n{text}");
    checked.program
}

#[test]
fn indexed_grouping_equals_the_all_pairs_oracle() {
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut merged = 0;
    for seed in 0..150 {
        let text = generated(seed);
        let program = compile(&text);
        let expected = oracle(&program);
        let got = build(&program);
        check_groups(&program, &got);
        assert_eq!(ungrouped(got), ungrouped(expected.clone()), "seed {seed}:\n{text}");
        for c in &expected.conflicts {
            *codes.entry(c.code.clone()).or_default() += 1;
        }
        // sends with a code shared by several findings (partners merged)
        merged += expected.sends.iter().flat_map(|s| &s.conflicts).filter(|c| c.partners.len() > 1).count();
    }
    // the programs exercise every rule, and merging partners
    for code in ["J601", "J602", "J603", "J604", "J605", "J606"] {
        assert!(codes.get(code).copied().unwrap_or(0) > 0, "no {code} in any generated program: {codes:?}");
    }
    assert!(merged > 0, "no send with several partners for one code");
}
