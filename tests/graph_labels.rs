//! Graph pictures say the conditions that run: every branch label of every journey of
//! two projects (journeys/ and examples/cdnow) is the `when` condition as written in
//! the source (the files are `journey fmt`-canonical, so the formatter's text is the
//! source text), in DOT and in Mermaid. With Graphviz installed (CI installs it), each
//! DOT graph is rendered to SVG and the labels are read back from the picture.

mod common;
use common::graphs::{conditions, journeys, tricky_project};
use common::{journey, root, stdout};
use std::path::Path;

/// Undo the escapes of a DOT string and of Mermaid entity codes.
fn dot_unescape(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

fn mermaid_unescape(s: &str) -> String {
    s.replace("#quot;", "\"")
        .replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#96;", "`")
        .replace("#35;", "#")
        .replace("#amp;", "&")
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
