//! Graph pictures say the conditions that run: every branch label of every journey of
//! two projects (journeys/ and examples/cdnow) is the `when` condition as written in
//! the source (the files are `journey fmt`-canonical, so the formatter's text is the
//! source text), in DOT and in Mermaid. With Graphviz installed (CI installs it), each
//! DOT graph is rendered to SVG and the labels are read back from the picture.

mod common;
use common::graphs::{conditions, journeys, mermaid_unescape, tricky_project, written_project};
use common::{journey, root, stdout};
use std::path::Path;

/// Undo the escapes of a DOT string (Mermaid's: [`mermaid_unescape`]).
fn dot_unescape(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// Edge labels of a DOT graph (`[label="…"]` on `->` lines).
fn dot_labels(dot: &str) -> Vec<String> {
    dot.lines()
        .filter(|l| l.contains(" -> "))
        .filter_map(|l| l.split_once("[label=\"").map(|(_, r)| dot_unescape(&r[..r.rfind("\"]").unwrap()])))
        .collect()
}

/// Edge labels of a Mermaid flowchart (`-->|"…"|`).
fn mermaid_labels(m: &str) -> Vec<String> {
    m.lines()
        .filter_map(|l| l.split_once("-->|\"").map(|(_, r)| mermaid_unescape(&r[..r.find("\"|").unwrap()])))
        .collect()
}

/// Every label is a condition of the source, `else`, `timeout`, a split share or an
/// event name (the `then` edge of a `wait up to … for EVENT`); returns the conditions.
fn check_labels(project: &Path, labels: &[String], written: &[String], what: &str) -> Vec<String> {
    let is_name = |l: &str| l.chars().all(|c| c.is_alphanumeric() || c == '_');
    let mut drawn = Vec::new();
    for l in labels {
        if written.contains(l) {
            drawn.push(l.clone());
        } else {
            let other = l == "else" || l == "timeout" || l.ends_with('%') || is_name(l);
            assert!(other, "{what} in {}: label `{l}` is not a condition of the source", project.display());
        }
    }
    drawn
}

#[test]
fn branch_labels_are_the_conditions_as_written() {
    let tricky = tricky_project();
    for project in [root(), root().join("examples/cdnow"), tricky.path().to_path_buf()] {
        // journeys/ is what the root project's journey.yaml includes
        let sources = if project == root() { root().join("journeys") } else { project.clone() };
        let written = conditions(&sources);
        let mut drawn = std::collections::BTreeSet::new();
        for name in journeys(&project) {
            let dot = stdout(&journey(&["graph", &name, "--format", "dot"], &project));
            let mermaid = stdout(&journey(&["graph", &name, "--format", "mermaid"], &project));
            // Mermaid reads labels as HTML: `<today>` would vanish, `&` start an entity
            assert!(!mermaid.contains('<') && !mermaid.contains('&'), "{name}: unescaped Mermaid:\n{mermaid}");
            let (d, m) = (dot_labels(&dot), mermaid_labels(&mermaid));
            assert_eq!(d, m, "{name}: DOT and Mermaid draw the same labels");
            drawn.extend(check_labels(&project, &d, &written, &format!("{name} (DOT)")));
            check_labels(&project, &m, &written, &format!("{name} (Mermaid)"));
            if let Some(svg) = render_dot(&dot) {
                for l in d.iter().filter(|l| written.contains(l)) {
                    let shown =
                        l.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
                    assert!(svg.contains(&format!(">{shown}</text>")), "{name}: Graphviz drew `{l}`?\n{svg}");
                }
            }
        }
        // every `when` of the project was drawn
        let missing: Vec<&String> = written.iter().filter(|w| !drawn.contains(*w)).collect();
        assert!(missing.is_empty(), "{}: conditions never drawn: {missing:?}", project.display());
    }
}

#[test]
fn the_reported_filter_and_currency_are_drawn() {
    let dot = stdout(&journey(&["graph", "abandoned_cart", "--format", "dot"], &root()));
    assert!(dot.contains("count(cart_abandon where cart_value >= $40, 3d) >= 1"), "{dot}");
}

/// The SVG Graphviz draws, or `None` (with a note) when `dot` is not installed.
fn render_dot(dot: &str) -> Option<String> {
    use std::io::Write;
    let child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("note: Graphviz (`dot`) is not installed; the labels are checked in the text only");
        return None;
    };
    child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dot rejects the graph: {}\n{dot}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// A step box's and the start's labels in a DOT graph, by node key (`START`, `s_0`).
fn dot_nodes(dot: &str) -> std::collections::BTreeMap<String, String> {
    dot.lines()
        .filter(|l| !l.contains(" -> ") && !l.trim_start().starts_with("label="))
        .filter_map(|l| {
            let (key, rest) = l.trim().split_once(" [label=\"")?;
            let end = rest.find("\", shape=").or_else(|| rest.rfind("\"];"))?;
            Some((key.trim_matches('"').to_string(), dot_unescape(&rest[..end])))
        })
        .collect()
}

/// The same of a Mermaid flowchart (`s_0["…"]`, `START(["…"])`).
fn mermaid_nodes(m: &str) -> std::collections::BTreeMap<String, String> {
    m.lines()
        .filter(|l| !l.contains("-->") && !l.trim_start().starts_with("subgraph "))
        .filter_map(|l| {
            let l = l.trim();
            let (key, rest) = l.split_once("([\"").or_else(|| l.split_once("[\""))?;
            let end = rest.rfind("\"])").or_else(|| rest.rfind("\"]"))?;
            Some((key.to_string(), mermaid_unescape(&rest[..end])))
        })
        .collect()
}

/// Every step box and every journey's start say what the source says: the step's
/// first line and the entry after `entry`, as `journey fmt` writes them (the sources
/// are canonical), in DOT and in Mermaid. The box of a wait dropped its filters, a
/// scheduled entry its `local`, a date entry its time of day.
#[test]
fn step_and_entry_labels_are_the_source_lines() {
    let written = written_project();
    let mut seen = Vec::new();
    for project in [written.path().to_path_buf(), root().join("tests/projects/b2b")] {
        let ir: serde_json::Value = serde_json::from_slice(&journey(&["compile"], &project).stdout).unwrap();
        for j in ir["journeys"].as_array().unwrap() {
            let name = j["name"].as_str().unwrap();
            let source_line = |at: &serde_json::Value| {
                let at = at.as_str().unwrap();
                let mut parts = at.rsplitn(3, ':');
                let (_, line, path) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
                let text = std::fs::read_to_string(project.join(path)).unwrap();
                let line = text.lines().nth(line.parse::<usize>().unwrap() - 1).unwrap().trim().to_string();
                (path.ends_with(".journey")).then(|| line.strip_suffix(" {").map_or(line.clone(), str::to_string))
            };
            let dot = dot_nodes(&stdout(&journey(&["graph", name, "--format", "dot"], &project)));
            let mermaid = mermaid_nodes(&stdout(&journey(&["graph", name], &project)));
            for n in j["nodes"].as_array().unwrap() {
                let Some(expected) = source_line(&n["origin"]["at"]) else { continue };
                let key = n["id"].as_str().unwrap().replace('#', "_");
                assert_eq!(dot.get(&key), Some(&expected), "{name} {key} (DOT)");
                assert_eq!(mermaid.get(&key), Some(&expected), "{name} {key} (Mermaid)");
                seen.push(expected);
            }
            if source_line(&j["origin"]["at"]).is_some() {
                let file = j["origin"]["at"].as_str().unwrap().split(':').next().unwrap().to_string();
                let text = std::fs::read_to_string(project.join(file)).unwrap();
                let start = dot.get("START").unwrap();
                assert_eq!(mermaid.get("START"), Some(start), "{name}: DOT and Mermaid start alike");
                assert!(text.lines().any(|l| l.trim() == format!("entry {start}")), "{name}: start `{start}`");
                seen.push(format!("entry {start}"));
            }
        }
    }
    for line in [
        "entry every sunday at 08:00 local",
        "entry at renewal_date - 3d at 10:00",
        "entry at renewal_date - 60d at 09:00",
        "wait until 09:30 local",
        "wait until 18:00 \"Europe/London\"",
        "wait up to 3d for purchase where amount > $50 and category != \"a&b\" or visit where page == \"<x> #1\"",
        "wait up to 3d for milestone_reached where milestone == \"calendar_connected\"",
        "split test",
        "send email \"thanks \\\"vip\\\"\"",
    ] {
        assert!(seen.iter().any(|s| s == line), "`{line}` was drawn: {seen:#?}");
    }
}

/// The drawings of the fixture, escaped for each format.
#[test]
fn written_labels_escaped_for_each_format() {
    let dir = written_project();
    insta::assert_snapshot!("written_mermaid", stdout(&journey(&["graph", "weekly"], dir.path())));
    insta::assert_snapshot!("written_dot", stdout(&journey(&["graph", "weekly", "--format", "dot"], dir.path())));
}
