//! Snapshot tests of every output format on the same small project: two files, three
//! diagnostics (same-file secondary label with help, cross-file label, multi-line
//! span), tabs and non-ASCII text before the spans.

use journey_diagnostics::render::{render, summary, Format, RenderOptions};
use journey_diagnostics::{Diagnostic, Severity, SourceMap, Span};

const WINBACK: &str = "journey winback {\n\
\ttitle \"Wiederkäufer gewinnen\"\n\
\tstage remind {\n\
\t\tsend email \"miss-you\"  // grüße\n\
\t\tthen ofer\n\
\t}\n\
\tstage offer { send email \"15-off\" end }\n\
\tstage ghost {\n\
\t\tsend sms \"ghost\"\n\
\t\tthen ghost\n\
\t}\n\
}\n";

const WELCOME: &str =
    "journey welcome {\n  title \"Bienvenue à bord\"\n  stage hello { send email \"miss-you\" end }\n}\n";

/// Span of the `nth` (0-based) occurrence of `needle` in `text`.
fn find(text: &str, needle: &str, nth: usize) -> Span {
    let start = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("{needle} #{nth}")).0;
    Span::new(start, start + needle.len())
}

fn project() -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let a = sources.add("journeys/winback.journey", WINBACK);
    let b = sources.add("journeys/welcome.journey", WELCOME);

    let ghost_block = {
        let start = find(WINBACK, "stage ghost {", 0).end as usize - 1;
        let end = find(WINBACK, "\t}\n}", 0).start as usize + 2;
        Span::new(start, end)
    };
    let diags = vec![
        // Given out of order on purpose: output is sorted by file and position.
        Diagnostic::new("J303", "stage `ghost` loops back to itself without a wait")
            .primary(a, ghost_block, "every path through this stage returns to it at once")
            .help("add a `wait` before `then ghost`, or end the stage")
            .note("a customer in this loop would be sent \"ghost\" over and over"),
        Diagnostic::new("J404", "template `miss-you` is also sent by journey `welcome`")
            .with_severity(Severity::Warning)
            .primary(a, find(WINBACK, "\"miss-you\"", 0), "sent here")
            .secondary(b, find(WELCOME, "\"miss-you\"", 0), "and here, to an audience that may overlap"),
        Diagnostic::new("J101", "undefined stage `ofer`")
            .primary(a, find(WINBACK, "ofer", 0), "no stage of this name")
            .secondary(a, find(WINBACK, "offer", 0), "a stage with a similar name is defined here")
            .help("did you mean `offer`?"),
    ];
    (sources, diags)
}

fn opts() -> RenderOptions {
    RenderOptions { color: false, width: 80, tool_version: "0.0.0-test".into(), artifact_paths: Vec::new() }
}

fn rendered(format: Format) -> String {
    let (sources, diags) = project();
    render(&diags, &sources, format, &opts())
}

#[test]
fn full() {
    insta::assert_snapshot!(rendered(Format::Full));
}

#[test]
fn concise() {
    insta::assert_snapshot!(rendered(Format::Concise));
}

#[test]
fn json() {
    let out = rendered(Format::Json);
    let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["version"], 1);
    assert_eq!(value["diagnostics"].as_array().map(Vec::len), Some(3));
    insta::assert_snapshot!(out);
}

#[test]
fn github() {
    insta::assert_snapshot!(rendered(Format::Github));
}

#[test]
fn sarif() {
    let out = rendered(Format::Sarif);
    let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(value["version"], "2.1.0");
    // Results are compact to review; the rule table is checked, not snapshotted.
    let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), journey_diagnostics::RULES.len());
    for result in value["runs"][0]["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // every rule as GitHub code scanning requires it (GH2012, SARIF1005)
    for r in rules {
        assert!(r["helpUri"].as_str().unwrap().starts_with("https://"), "{r}");
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty(), "{r}");
        assert!(!r["help"]["text"].as_str().unwrap().is_empty() && !r["help"]["markdown"].as_str().unwrap().is_empty());
    }
    // the snapshot shows one rule in full and the results
    let mut shown = value.clone();
    shown["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!([rules[0]]);
    insta::assert_snapshot!(serde_json::to_string_pretty(&shown).unwrap());
}

#[test]
fn output_does_not_depend_on_input_order() {
    let (sources, mut diags) = project();
    diags.reverse();
    for format in Format::ALL {
        assert_eq!(render(&diags, &sources, format, &opts()), rendered(format), "{format}");
    }
}

#[test]
fn summary_counts_severities() {
    let (_, diags) = project();
    assert_eq!(summary(&diags), "found 2 errors and 1 warning");
}

#[test]
fn colour_only_adds_escapes() {
    let (sources, diags) = project();
    let coloured = render(&diags, &sources, Format::Full, &RenderOptions { color: true, ..opts() });
    assert!(coloured.contains("\x1b["));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, rendered(Format::Full));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Edge cases of the full renderer: no labels, an empty span at the end of a file,
/// several labels on one line, a long multi-line span, CRLF line endings.
#[test]
fn full_edge_cases() {
    let mut sources = SourceMap::new();
    let text = "a = 1\r\nb = a + a + c\r\nstage x {\r\n  l1\r\n  l2\r\n  l3\r\n  l4\r\n  l5\r\n  l6\r\n}\r\nlast";
    let f = sources.add("edge.journey", text);
    let diags = vec![
        Diagnostic::new("J501", "unknown key `colour` in journey.yaml").help("the key is spelled `color`"),
        Diagnostic::new("J001", "unexpected end of file").primary(f, Span::new(text.len(), text.len()), "expected `}`"),
        Diagnostic::new("J201", "cannot add `a` to `c`")
            .primary(f, find(text, "c", 0), "text")
            .secondary(f, find(text, "a", 1), "money")
            .secondary(f, find(text, "a", 2), "money"),
        Diagnostic::new("J302", "stage `x` never reaches an end")
            .primary(
                f,
                Span::new(find(text, "stage x", 0).start as usize, find(text, "}", 0).end as usize),
                "this stage",
            )
            .secondary(f, find(text, "x", 0), ""),
    ];
    insta::assert_snapshot!(render(&diags, &sources, Format::Full, &opts()));
}

#[cfg(feature = "fancy")]
#[test]
fn miette_full() {
    let (sources, diags) = project();
    insta::assert_snapshot!(journey_diagnostics::render::render_miette(&diags, &sources, &opts()));
}

/// A diagnostic without labels (project configuration) in the machine formats.
#[test]
fn diagnostic_without_labels() {
    let sources = SourceMap::new();
    let diags = [Diagnostic::new("J501", "unknown key `colour`, expected `color`").help("100% of keys: a, b")];
    let json: serde_json::Value = serde_json::from_str(&render(&diags, &sources, Format::Json, &opts())).unwrap();
    let first = &json["diagnostics"][0];
    assert_eq!(first["file"], serde_json::Value::Null);
    assert_eq!(first["start"], serde_json::Value::Null);
    assert_eq!(first["labels"], serde_json::json!([]));
    assert_eq!(
        render(&diags, &sources, Format::Github, &opts()),
        "::error title=J501 invalid-config::unknown key `colour`, expected `color`%0Ahelp: 100%25 of keys: a, b\n"
    );
    assert_eq!(
        render(&diags, &sources, Format::Concise, &opts()),
        "error[J501] unknown key `colour`, expected `color`\n"
    );
    let sarif: serde_json::Value = serde_json::from_str(&render(&diags, &sources, Format::Sarif, &opts())).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["locations"], serde_json::json!([]));
    assert_eq!(render(&[], &sources, Format::Full, &opts()), "");
    assert_eq!(render(&[], &sources, Format::Json, &opts()), "{\n  \"version\": 1,\n  \"diagnostics\": []\n}\n");
}
