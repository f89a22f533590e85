//! Graph pictures say the conditions that run: every branch label of every journey of
//! two projects (journeys/ and examples/cdnow) is the `when` condition as written in
//! the source (the files are `journey fmt`-canonical, so the formatter's text is the
//! source text), in DOT and in Mermaid. With Graphviz installed (CI installs it), each
//! DOT graph is rendered to SVG and the labels are read back from the picture.

mod common;
use common::{code, files, journey, root, stderr, stdout};
use std::path::Path;

/// Every `when COND -> target` condition written in a project's journey files.
fn conditions(project: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in files(project, &[".journey"]) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("when ") {
                if let Some((cond, _)) = rest.rsplit_once(" -> ") {
                    out.push(cond.trim().to_string());
                }
            }
        }
    }
    out
}

fn journeys(project: &Path) -> Vec<String> {
    let out = journey(&["compile"], project);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    ir["journeys"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_string()).collect()
}

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

/// A third project, with labels that need escaping in both targets: quotes, `<`, `>`,
/// `&`, `#`, a filter and money.
const TRICKY: &str = r#"event cart_abandon { cart_value: money }
event visit { page: text }

attribute email_opt_in: bool
attribute nickname: text

channel email {
  kind email
}

journey tricky {
  entry on cart_abandon
  audience email_opt_in

  stage s {
    branch {
      when count(cart_abandon where cart_value >= $40, 3d) >= 1 -> a
      when nickname == "<today> & more #1" -> b
      when count(visit where page != "a&b<c>", 7d) >= 2 -> b
      else -> end
    }
  }

  stage a {
    send email "a & more <today>"
    end
  }

  stage b {
    send email "b"
    end
  }
}
"#;

fn tricky_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: USD\n").unwrap();
    std::fs::write(dir.path().join("tricky.journey"), TRICKY).unwrap();
    let out = journey(&["fmt", "--check"], dir.path());
    assert_eq!(code(&out), 0, "the fixture is canonical: {}{}", stdout(&out), stderr(&out));
    dir
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
