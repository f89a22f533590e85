//! Mermaid pictures say the conditions that run, checked in the real client: every
//! journey graph of two projects (journeys/ and tests/projects/petshop) and of a
//! fixture whose labels need escaping is rendered by Mermaid in headless Chromium,
//! and the text of each edge label is read back from the rendered SVG in the DOM and
//! compared with the `when` conditions as the source (formatter-canonical) writes them.
//!
//! Offline: Mermaid's dist bundle is loaded from a local npm install (CI runs
//! `npm install -g mermaid`; `MERMAID_JS` names another mermaid.min.js). The test is
//! skipped with a note only when Chromium or Mermaid is missing.

mod common;
use common::graphs::{conditions, journeys, mermaid_unescape, tricky_project, written_project};
use common::{chromium, chromium_dump_dom, code, files, journey, root, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Mermaid's dist bundle: `MERMAID_JS`, else the global npm install, else a
/// node_modules/ at the repository root.
fn mermaid_js() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MERMAID_JS").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let global = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    [global, Some(root().join("node_modules"))]
        .into_iter()
        .flatten()
        .map(|d| d.join("mermaid/dist/mermaid.min.js"))
        .find(|p| p.is_file())
}

/// A page that renders each graph with Mermaid and writes, as JSON into
/// `<pre id="result">`, the text of every edge label of every rendered SVG (or the
/// error Mermaid gave).
fn page(mermaid: &Path, graphs: &[(String, String)]) -> String {
    let sources: Vec<serde_json::Value> =
        graphs.iter().map(|(name, text)| serde_json::json!({ "name": name, "text": text })).collect();
    // `</` cannot end the script early: JSON escapes no slash, so break it
    let data = serde_json::to_string(&sources).unwrap().replace("</", "<\\/");
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><script src="file://{}"></script></head>
<body><div id="graphs"></div><pre id="result">pending</pre>
<script>
const graphs = {data};
mermaid.initialize({{ startOnLoad: false, securityLevel: "strict" }});
(async () => {{
  const results = [];
  for (let i = 0; i < graphs.length; i++) {{
    const g = graphs[i];
    try {{
      const {{ svg }} = await mermaid.render("g" + i, g.text);
      const holder = document.createElement("div");
      holder.id = "graph-" + g.name;
      holder.innerHTML = svg;
      document.getElementById("graphs").appendChild(holder);
      const labels = [...holder.querySelectorAll("g.edgeLabel")].map(e => e.textContent).filter(t => t.length > 0);
      const nodes = [...holder.querySelectorAll("g.node")].map(e => e.textContent);
      results.push({{ name: g.name, labels, nodes }});
    }} catch (e) {{
      results.push({{ name: g.name, error: String(e && e.message || e) }});
    }}
  }}
  document.getElementById("result").textContent = JSON.stringify(results);
}})();
</script></body></html>
"#,
        mermaid.display()
    )
}

/// The DOM after Chromium ran the page's scripts to the end (virtual time: the
/// renders are promises, done before the budget runs out).
fn render(browser: &Path, page: &Path) -> String {
    chromium_dump_dom(browser, page, &["--allow-file-access-from-files", "--virtual-time-budget=60000"])
}

/// The JSON the page wrote into `<pre id="result">`, as the DOM serialised it.
fn result(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"result\">").expect("the result element") + "<pre id=\"result\">".len();
    let text = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u{a0}").replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the page finished rendering ({e}): {text}"))
}

/// Step and start labels as the Mermaid text says them (`s_0["…"]`, `START(["…"])`),
/// entity codes undone.
fn mermaid_node_labels(m: &str) -> Vec<String> {
    m.lines()
        .map(str::trim)
        .filter(|l| !l.contains("-->") && !l.starts_with("subgraph "))
        .filter_map(|l| {
            let (_, rest) = l.split_once("([\"").or_else(|| l.split_once("[\""))?;
            let end = rest.rfind("\"])").or_else(|| rest.rfind("\"]"))?;
            Some(mermaid_unescape(&rest[..end]))
        })
        .collect()
}

/// Edge labels as the Mermaid text says them (`-->|"…"|`), entity codes undone.
fn mermaid_labels(m: &str) -> Vec<String> {
    m.lines()
        .filter_map(|l| l.split_once("-->|\"").map(|(_, r)| mermaid_unescape(&r[..r.find("\"|").unwrap()])))
        .collect()
}

#[test]
fn mermaid_in_chromium_draws_the_conditions_as_written() {
    let (Some(browser), Some(mermaid)) = (chromium(), mermaid_js()) else {
        eprintln!(
            "note: skipping the Mermaid render: {}",
            if chromium().is_none() {
                "chromium is not installed"
            } else {
                "mermaid is not installed (npm install -g mermaid, or set MERMAID_JS to mermaid.min.js)"
            }
        );
        return;
    };
    let tricky = tricky_project();
    // the petshop has deliberate J602 errors, and `graph` refuses a program with
    // errors: a copy ranks them as warnings
    let petshop = tempfile::tempdir().unwrap();
    let shop = petshop.path().to_path_buf();
    std::fs::create_dir(shop.join("journeys")).unwrap();
    for f in files(&root().join("tests/projects/petshop/journeys"), &[".journey"]) {
        std::fs::copy(&f, shop.join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        shop.join("journey.yaml"),
        "timezone: UTC\ncurrency: USD\ninclude: [\"journeys/**\"]\nrules:\n  conflicting-tags: warning\n",
    )
    .unwrap();
    // steps whose labels say `local`, filters with money and characters to escape
    let written_labels = written_project();
    let projects = [
        (root(), root().join("journeys")),
        (shop.clone(), shop.join("journeys")),
        (tricky.path().to_path_buf(), tricky.path().to_path_buf()),
        (written_labels.path().to_path_buf(), written_labels.path().to_path_buf()),
    ];
    let work = tempfile::tempdir().unwrap();
    for (k, (project, sources)) in projects.iter().enumerate() {
        let written = conditions(sources);
        let graphs: Vec<(String, String)> = journeys(project)
            .into_iter()
            .map(|name| {
                let out = journey(&["graph", &name, "--format", "mermaid"], project);
                assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
                (name, stdout(&out))
            })
            .collect();
        assert!(!graphs.is_empty(), "{}: no journeys", project.display());
        let file = work.path().join(format!("mermaid-{k}.html"));
        std::fs::write(&file, page(&mermaid, &graphs)).unwrap();
        let results = result(&render(&browser, &file));
        let results = results.as_array().expect("one result per graph");
        assert_eq!(results.len(), graphs.len(), "{}: every graph rendered", project.display());
        let mut drawn = std::collections::BTreeSet::new();
        for ((name, text), r) in graphs.iter().zip(results) {
            assert_eq!(r["name"], name.as_str());
            assert!(r.get("error").is_none(), "{name}: Mermaid refuses the graph: {}\n{text}", r["error"]);
            let mut shown: Vec<String> =
                r["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
            let mut said = mermaid_labels(text);
            shown.sort();
            said.sort();
            // the picture shows exactly the labels the text says, character for character
            assert_eq!(shown, said, "{name}: the rendered edge labels differ from the Mermaid text");
            // and every step box and the start say what the text says (the steps as
            // the source writes them)
            let boxes: Vec<&str> = r["nodes"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
            for l in mermaid_node_labels(text) {
                assert!(boxes.contains(&l.as_str()), "{name}: no box shows `{l}`: {boxes:?}");
            }
            for l in &shown {
                let other = l == "else"
                    || l == "timeout"
                    || l.ends_with('%')
                    // the events of a wait (`purchase or visit`)
                    || l.split(" or ").all(|e| e.chars().all(|c| c.is_alphanumeric() || c == '_'));
                if written.contains(l) {
                    drawn.insert(l.clone());
                } else {
                    assert!(
                        other,
                        "{name} in {}: rendered label `{l}` is not a condition of the source",
                        project.display()
                    );
                }
            }
        }
        // every `when` of the project was drawn, as written
        let missing: Vec<&String> = written.iter().filter(|w| !drawn.contains(*w)).collect();
        assert!(missing.is_empty(), "{}: conditions never drawn by Mermaid: {missing:?}", project.display());
        // the petshop's journeys do not branch: its graphs are rendered and their
        // labels compared all the same; the other two must have conditions to check
        let no_branches = *project == shop || *project == written_labels.path();
        assert!(no_branches || !written.is_empty(), "{}: no branch conditions to check", project.display());
    }
}
