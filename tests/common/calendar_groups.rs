//! The calendar view's grouped J605 and J606 (docs/calendar.md, "Grouped conflicts")
//! against the pairs of journeys `journey check`'s way of finding them names: the
//! groups of the binary's `calendar --format json`, expanded, must be exactly those
//! pairs, each once, and each send's J605 entry must name the journeys its journey
//! actually pairs with.

use journey_check::analysis::calendar::{self, SHOWN};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The rules the view groups.
pub const GROUPED: [&str; 2] = ["J605", "J606"];

/// `(code, a, b)`, `a < b` by name.
pub type Pairs = BTreeSet<(String, String, String)>;

fn pair(code: &str, a: &str, b: &str) -> (String, String, String) {
    let (x, y) = if a < b { (a, b) } else { (b, a) };
    (code.to_string(), x.to_string(), y.to_string())
}

/// The pairs of the ungrouped analysis of the project in `dir`: each J605 and J606
/// finding names a journey and every partner.
pub fn pairs_of_check(dir: &Path) -> Pairs {
    let project = journey_project::load(&[], dir).expect("the project loads");
    let (checked, _) = journey_run::project::check(&project);
    let program = &checked.program;
    let name = |j: usize| program.journeys[j].name.as_str();
    let mut pairs = Pairs::new();
    for f in calendar::calendar_pairs(program).findings.iter().filter(|f| GROUPED.contains(&f.code)) {
        let b = f.parts[0].0;
        for &(a, _) in &f.parts[1..] {
            pairs.insert(pair(f.code, name(a), name(b)));
        }
    }
    pairs
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// The pairs the calendar's JSON stands for, each group expanded; a pair in two
/// conflicts fails.
pub fn expanded(view: &Value) -> Pairs {
    let groups: Vec<Vec<&str>> =
        view["groups"].as_array().map(|a| a.iter().map(|g| strs(&g["journeys"])).collect()).unwrap_or_default();
    let mut pairs = Pairs::new();
    for c in view["conflicts"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        if !GROUPED.contains(&code) {
            continue;
        }
        let g = c["group"].as_u64().expect("a grouped conflict has its group") as usize;
        for h in c["partner_groups"].as_array().expect("and its partner groups") {
            let h = h.as_u64().unwrap() as usize;
            assert!(h <= g, "partners are earlier groups or its own: {c}");
            for (i, a) in groups[g].iter().enumerate() {
                // within its own group, each pair once
                let from = if h == g { i + 1 } else { 0 };
                for b in &groups[h][from..] {
                    {
                        assert!(pairs.insert(pair(code, a, b)), "{a} + {b} in two {code} conflicts");
                    }
                }
            }
        }
    }
    pairs
}

/// Run the checks above on `dir`'s calendar; returns how many pairs there are.
pub fn check_grouped_calendar(dir: &Path) -> usize {
    let want = pairs_of_check(dir);
    let out = super::journey(&["calendar", "--format", "json"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", super::stderr(&out));
    let view: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(expanded(&view), want);
    let mut with: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (code, a, b) in &want {
        with.entry((code, a)).or_default().insert(b);
        with.entry((code, b)).or_default().insert(a);
    }
    for j in view["journeys"].as_array().unwrap() {
        let name = j["name"].as_str().unwrap();
        for code in GROUPED {
            let paired = with.contains_key(&(code, name));
            assert_eq!(strs(&j["conflicts"]).contains(&code), paired, "{name} {code}");
        }
    }
    for s in view["sends"].as_array().unwrap() {
        let name = s["journey"].as_str().unwrap();
        let got = s["conflicts"].as_array().unwrap().iter().find(|c| c["code"] == "J605");
        match with.get(&("J605", name)) {
            None => assert!(got.is_none(), "{s}"),
            Some(all) => {
                let got = got.expect("a J605 entry");
                let all: Vec<&str> = all.iter().copied().collect();
                let shown = if all.len() <= SHOWN + 1 { all.len() } else { SHOWN };
                assert_eq!(strs(&got["partners"]), all[..shown], "{name}");
                assert_eq!(got["more"].as_u64().unwrap_or(0) as usize, all.len() - shown, "{name}");
            }
        }
    }
    want.len()
}
