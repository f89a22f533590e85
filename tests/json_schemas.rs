//! Every JSON output (`--format json` of check, calendar, diff, simulate, merge, clv
//! fit/predict/backtest, events validate, and the error object of the JSON modes)
//! carries a `version` and validates against its published schema in docs/schemas/,
//! on real outputs of two projects or more (journeys/, tests/projects/petshop,
//! examples/). Two validators read them: a small one below, for exactly the JSON
//! Schema keywords the schemas use (a schema using any other keyword fails the test,
//! so nothing is silently ignored; it runs everywhere and never skips), and ajv in
//! strict mode when node can load it (CI installs it; tests/schemas.rs explains
//! AJV_DIR).

mod common;
use common::{ajv_dir, code, copy_dir, root, stderr, text};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------
// A validator for the subset of JSON Schema 2020-12 the published schemas use.

/// Keywords the validator implements, or that only annotate.
const KEYWORDS: [&str; 21] = [
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "$comment",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "anyOf",
    "oneOf",
    "minItems",
    "maxItems",
    "propertyNames",
];

/// Keywords in `schema` (recursively) the validator does not know, and objects with
/// `properties` that leave `additionalProperties` unsaid (not strict).
fn unsupported(schema: &Value, at: &str, out: &mut Vec<String>) {
    let Some(m) = schema.as_object() else { return };
    for (k, v) in m {
        if !KEYWORDS.contains(&k.as_str()) {
            out.push(format!("{at}: keyword `{k}`"));
        }
        match k.as_str() {
            "properties" | "$defs" => {
                for (name, s) in v.as_object().into_iter().flatten() {
                    unsupported(s, &format!("{at}/{k}/{name}"), out);
                }
            }
            "items" | "additionalProperties" | "propertyNames" => unsupported(v, &format!("{at}/{k}"), out),
            "anyOf" | "oneOf" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    unsupported(s, &format!("{at}/{k}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    if m.contains_key("properties") && !m.contains_key("additionalProperties") {
        out.push(format!("{at}: `properties` without `additionalProperties`"));
    }
}

struct Validator<'a> {
    root: &'a Value,
}

impl Validator<'_> {
    fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let m = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{at}: no value is allowed here")),
            Value::Object(m) => m,
            _ => return errors.push(format!("{at}: the schema is not an object")),
        };
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("only local $defs refs: {r}"));
            let target = &self.root["$defs"][name];
            assert!(!target.is_null(), "{at}: $ref to a missing definition {r}");
            self.check(target, v, at, errors);
        }
        if let Some(t) = m.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| has_type(v, t)) {
                errors.push(format!("{at}: expected {types:?}, found {}", short(v)));
                return;
            }
        }
        if let Some(e) = m.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                errors.push(format!("{at}: {} is not one of {}", short(v), short(&Value::Array(e.clone()))));
            }
        }
        if let Some(c) = m.get("const") {
            if c != v {
                errors.push(format!("{at}: expected {c}, found {}", short(v)));
            }
        }
        if let (Some(x), Some(min)) = (v.as_f64(), m.get("minimum").and_then(Value::as_f64)) {
            if x < min {
                errors.push(format!("{at}: {x} is below the minimum {min}"));
            }
        }
        if let (Some(x), Some(max)) = (v.as_f64(), m.get("maximum").and_then(Value::as_f64)) {
            if x > max {
                errors.push(format!("{at}: {x} is above the maximum {max}"));
            }
        }
        if let Some(obj) = v.as_object() {
            let props = m.get("properties").and_then(Value::as_object);
            for r in m.get("required").and_then(Value::as_array).into_iter().flatten() {
                let r = r.as_str().unwrap_or_default();
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: the required key `{r}` is missing"));
                }
            }
            for (k, x) in obj {
                if let Some(names) = m.get("propertyNames") {
                    self.check(names, &Value::String(k.clone()), &format!("{at}/{k} (name)"), errors);
                }
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.check(s, x, &format!("{at}/{k}"), errors),
                    None => match m.get("additionalProperties") {
                        Some(Value::Bool(false)) => errors.push(format!("{at}: unexpected key `{k}`")),
                        Some(s) => self.check(s, x, &format!("{at}/{k}"), errors),
                        None => {}
                    },
                }
            }
        }
        if let Some(arr) = v.as_array() {
            if let Some(min) = m.get("minItems").and_then(Value::as_u64) {
                if (arr.len() as u64) < min {
                    errors.push(format!("{at}: {} items, at least {min} expected", arr.len()));
                }
            }
            if let Some(max) = m.get("maxItems").and_then(Value::as_u64) {
                if arr.len() as u64 > max {
                    errors.push(format!("{at}: {} items, at most {max} expected", arr.len()));
                }
            }
            if let Some(items) = m.get("items") {
                for (i, x) in arr.iter().enumerate() {
                    self.check(items, x, &format!("{at}/{i}"), errors);
                }
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            let Some(options) = m.get(key).and_then(Value::as_array) else { continue };
            let mut failures = Vec::new();
            let passing = options
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    self.check(s, v, at, &mut e);
                    let ok = e.is_empty();
                    failures.extend(e);
                    ok
                })
                .count();
            if passing == 0 || (exactly_one && passing > 1) {
                let why = if passing == 0 { failures.join("; ") } else { format!("{passing} options match") };
                errors.push(format!("{at}: no single {key} option fits: {why}"));
            }
        }
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|x| x.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!("{}…", &s[..s.char_indices().nth(80).map_or(s.len(), |(i, _)| i)])
    } else {
        s
    }
}

/// The problems of `instance` against `schema`; empty when it validates.
fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    Validator { root: schema }.check(schema, instance, "", &mut errors);
    errors
}

#[test]
fn the_validator_rejects_what_it_should() {
    let schema = json!({
        "type": "object",
        "properties": {
            "version": {"const": 1},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
            "by_name": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
        },
        "required": ["version", "items"],
        "additionalProperties": false,
        "$defs": {"Item": {
            "type": "object",
            "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": ["number", "null"]}},
            "required": ["kind"],
            "additionalProperties": false
        }}
    });
    let good = json!({"version": 1, "items": [{"kind": "a", "n": 1.5}, {"kind": "b", "n": null}], "by_name": {"x": 3}});
    assert_eq!(validate(&schema, &good), Vec::<String>::new());
    for (bad, why) in [
        (json!({"version": 2, "items": []}), "expected 1"),
        (json!({"items": []}), "`version` is missing"),
        (json!({"version": 1, "items": [], "extra": 0}), "unexpected key `extra`"),
        (json!({"version": 1, "items": [{"kind": "c"}]}), "is not one of"),
        (json!({"version": 1, "items": [{"kind": "a", "m": 1}]}), "unexpected key `m`"),
        (json!({"version": 1, "items": [{"kind": "a", "n": "1"}]}), "expected [\"number\", \"null\"]"),
        (json!({"version": 1, "items": [], "by_name": {"x": -1}}), "below the minimum"),
        (json!({"version": 1, "items": [], "by_name": {"x": 1.5}}), "expected [\"integer\"]"),
    ] {
        let errors = validate(&schema, &bad);
        assert!(errors.iter().any(|e| e.contains(why)), "{bad}: {errors:?} should say {why:?}");
    }
}

// ---------------------------------------------------------------------------------
// The published schemas and the real outputs.

/// Every schema under docs/schemas/, by the name before `.schema.json`.
const SCHEMAS: [&str; 9] =
    ["check", "calendar", "diff", "simulate", "clv-fit", "clv-predict", "clv-backtest", "events-validate", "error"];

fn schema(name: &str) -> Value {
    let path = root().join(format!("docs/schemas/{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_schema_is_strict_and_uses_only_keywords_the_validator_knows() {
    let listed: Vec<String> = common::files(&root().join("docs/schemas"), &[".schema.json"])
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().trim_end_matches(".schema.json").to_string())
        .collect();
    let mut expected: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected, "docs/schemas/ and the outputs tested here");
    for name in SCHEMAS {
        let s = schema(name);
        let mut problems = Vec::new();
        unsupported(&s, name, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        assert_eq!(s["properties"]["version"]["const"], 1, "{name}: a `version` const");
        assert!(s["required"].as_array().unwrap().contains(&json!("version")), "{name}: `version` is required");
    }
}

/// Run `journey` in `cwd`; the output must be JSON and the exit code one of `codes`.
fn run(args: &[&str], cwd: &Path, codes: &[i32]) -> Value {
    let out = common::journey_in_columns(args, cwd, 200);
    assert!(
        codes.contains(&code(&out)),
        "journey {args:?} in {}: exit {}\n{}",
        cwd.display(),
        code(&out),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("journey {args:?}: not JSON ({e}):\n{}", text(&out.stdout)))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn petshop() -> PathBuf {
    root().join("tests/projects/petshop")
}

fn cdnow_data(name: &str) -> String {
    root().join("tests/data/cdnow").join(name).display().to_string()
}

/// A copy of `project` with one journey file gone and a wait changed: something for
/// `journey diff` to report.
fn changed_copy(project: &Path, into: &Path) {
    copy_dir(project, into);
    let journeys = common::files(&into.join("journeys"), &[".journey"]);
    std::fs::remove_file(&journeys[journeys.len() - 1]).unwrap();
    for f in &journeys[..journeys.len() - 1] {
        let body = std::fs::read_to_string(f).unwrap();
        if body.contains("wait 2d") {
            std::fs::write(f, body.replacen("wait 2d", "wait 3d", 1)).unwrap();
            return;
        }
    }
}

/// Real outputs, each with the schema it must validate against and where it came
/// from. Generated logs are small and seeded.
fn outputs(tmp: &Path) -> Vec<(&'static str, String, Value)> {
    let mut out = Vec::new();
    let lib = root();
    let examples = root().join("examples");
    let mut add = |schema: &'static str, what: &str, v: Value| out.push((schema, what.to_string(), v));

    for (what, dir) in [("journeys/", &lib), ("petshop", &petshop()), ("examples/", &examples)] {
        add("check", what, run(&["check", "--format", "json"], dir, &[0, 1]));
    }
    let b2b = root().join("tests/projects/b2b");
    for (what, dir) in [("journeys/", &lib), ("examples/cdnow", &examples.join("cdnow")), ("b2b (tasks)", &b2b)] {
        add("calendar", what, run(&["calendar", "--format", "json"], dir, &[0]));
    }
    // a program with errors (petshop's J602) has no calendar: its diagnostics, as JSON
    add("check", "calendar of petshop (errors)", run(&["calendar", "--format", "json"], &petshop(), &[1]));
    add("check", "simulate of petshop (errors)", run(&["simulate", "--format", "json"], &petshop(), &[1]));
    add(
        "check",
        "events validate in petshop (errors)",
        run(&["events", "validate", "x.csv", "--format", "json"], &petshop(), &[1]),
    );

    // a seeded log of the library's customers: events validate, simulate, merge,
    // the calendar with what was observed
    let log = tmp.join("log.csv");
    let attrs = tmp.join("attrs.csv");
    run_ok(&[
        "events",
        "generate",
        "--seed",
        "3",
        "--customers",
        "60",
        "--days",
        "30",
        "-o",
        p(&log),
        "--attributes",
        p(&attrs),
    ]);
    add("events-validate", "generated log", run(&["events", "validate", p(&log), "--format", "json"], &lib, &[0]));
    let trace = tmp.join("trace.csv");
    let period = ["--from", "2025-01-01", "--to", "2025-01-31"];
    let mut sim = vec!["simulate", "--events", p(&log), "--attributes", p(&attrs), "--format", "json"];
    sim.extend(period);
    let mut with_trace = sim.clone();
    with_trace.extend(["--trace", p(&trace)]);
    add("simulate", "journeys/ on a generated log", run(&with_trace, &lib, &[0]));
    add("calendar", "journeys/ with a trace", run(&["calendar", "--trace", p(&trace), "--format", "json"], &lib, &[0]));
    let colliding = tmp.join("colliding.csv");
    std::fs::write(&colliding, with_collision(&std::fs::read_to_string(&trace).unwrap())).unwrap();
    let with_collisions = run(&["calendar", "--trace", p(&colliding), "--format", "json"], &lib, &[0]);
    assert!(with_collisions["observed"]["collisions"][0]["example"].is_object(), "{with_collisions:#}");
    add("calendar", "journeys/ with colliding sends", with_collisions);
    let part = tmp.join("part.json");
    let mut partial = sim.clone();
    partial.extend(["--partial", p(&part)]);
    run(&partial, &lib, &[0]);
    add("simulate", "merge of one partial", run(&["merge", p(&part), "--format", "json"], &lib, &[0]));
    add("simulate", "examples/cdnow", run(&["simulate", "--format", "json"], &examples.join("cdnow"), &[0]));
    // issue 15: the B2B project's program-wide rules (global holdout, suppression,
    // caps per category) and campaign window add their own report fields
    let b2b = root().join("tests/projects/b2b");
    let (b2b_log, b2b_attrs) = (tmp.join("b2b.csv"), tmp.join("b2b-attrs.csv"));
    let generate = ["events", "generate", "--seed", "3", "--customers", "200", "-o", p(&b2b_log)];
    let generated = common::journey(&[&generate[..], &["--attributes", p(&b2b_attrs)]].concat(), &b2b);
    assert_eq!(code(&generated), 0, "{}", stderr(&generated));
    let b2b_sim =
        run(&["simulate", "--events", p(&b2b_log), "--attributes", p(&b2b_attrs), "--format", "json"], &b2b, &[0]);
    assert!(b2b_sim["program_rules"]["global_holdout_customers"].as_u64() > Some(0), "{:#}", b2b_sim["program_rules"]);
    // issue 15: its amount goal (expansion revenue) against the global holdout
    let amounts = b2b_sim["experiments"]["amounts"].as_array().cloned().unwrap_or_default();
    assert!(
        amounts.iter().any(|a| a["goal"] == "expansion_revenue" && a["experiment"] == "global_holdout"),
        "{:#}",
        b2b_sim["experiments"]
    );
    add("simulate", "tests/projects/b2b on a generated log", b2b_sim);

    // diff: two projects, each against a changed copy
    for (what, project) in [("journeys/", lib.clone()), ("petshop", petshop())] {
        let base = tmp.join(format!("base-{}", what.trim_end_matches('/')));
        let head = tmp.join(format!("head-{}", what.trim_end_matches('/')));
        copy_dir(&project.join("journeys"), &base.join("journeys"));
        std::fs::copy(project.join("journey.yaml"), base.join("journey.yaml")).unwrap();
        changed_copy(&base, &head);
        add("diff", what, run(&["diff", p(&base), p(&head), "--format", "json"], tmp, &[0]));
    }

    // diff with a simulation (`done`): examples/cdnow replays its log on both sides
    let (base, head) = (tmp.join("base-cdnow"), tmp.join("head-cdnow"));
    copy_dir(&examples.join("cdnow"), &base);
    let config = std::fs::read_to_string(base.join("journey.yaml")).unwrap();
    let data = root().join("tests/data/cdnow");
    std::fs::write(base.join("journey.yaml"), config.replace("../../tests/data/cdnow", p(&data))).unwrap();
    copy_dir(&base, &head);
    std::fs::remove_file(head.join("second_cd.journey")).unwrap();
    let diff = run(&["diff", p(&base), p(&head), "--format", "json"], tmp, &[0]);
    assert_eq!(diff["simulation"]["status"], "done", "{:#}", diff["simulation"]);
    add("diff", "examples/cdnow with its log", diff);

    // clv: every model's fit, predict and backtest on the CDNOW data
    let summary = cdnow_data("cdnow_customers_summary.csv");
    let sample = cdnow_data("CDNOW_sample.txt");
    let sample_log =
        ["--no-header", "--customer", "2", "--timestamp", "3", "--amount", "5", "--calibration-end", "1997-09-30"];
    let survivors = tmp.join("survivors.csv");
    std::fs::write(&survivors, "survivors\n1000\n631\n468\n382\n326\n289\n262\n241\n").unwrap();
    let donations = root().join("tests/data/donations/donations.csv");
    let with_spend = cdnow_data("cdnow_customers_summary_with_transactions.csv");
    let fits: [(&str, Vec<&str>); 6] = [
        ("bg-nbd summary", vec!["--model", "bg-nbd", "--input", &summary]),
        (
            "bg-nbd bootstrap",
            vec!["--model", "bg-nbd", "--input", &summary, "--interval", "bootstrap", "--resamples", "20"],
        ),
        ("gamma-gamma", vec!["--model", "gamma-gamma", "--input", &with_spend]),
        ("sbg", vec!["--model", "sbg", "--input", p(&survivors)]),
        ("bg-bb", vec!["--model", "bg-bb", "--input", p(&donations)]),
        ("pareto-nbd log", [&["--model", "pareto-nbd", "--input", &sample][..], &sample_log].concat()),
    ];
    for (what, args) in fits {
        add("clv-fit", what, run(&[&["clv", "fit", "--format", "json"][..], &args].concat(), &lib, &[0, 1]));
    }
    let predict = ["clv", "predict", "--format", "json", "--draws", "20", "--top", "3", "--input", &sample];
    add("clv-predict", "log", run(&[&predict[..], &sample_log].concat(), &lib, &[0]));
    let predict_probs = [
        "clv",
        "predict",
        "--format",
        "json",
        "--draws",
        "0",
        "--top",
        "2",
        "--prob-purchases",
        "2",
        "--input",
        &summary,
    ];
    add("clv-predict", "summary with probabilities", run(&predict_probs, &lib, &[0]));
    let backtest = ["clv", "backtest", "--format", "json", "--input", &sample];
    add("clv-backtest", "log", run(&[&backtest[..], &sample_log].concat(), &lib, &[0]));

    // the error object of the JSON modes (exit 2)
    let empty = tmp.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    add("error", "check without journeys", run(&["check", "--format", "json"], &empty, &[2]));
    add(
        "error",
        "clv without input",
        run(&["clv", "fit", "--model", "bg-nbd", "--format", "json", "--input", "missing.csv"], &empty, &[2]),
    );
    add("error", "diff of a missing ref", run(&["diff", "no-such-ref", "--format", "json"], &empty, &[2]));
    out
}

/// `trace` plus five email sends of its first sends, to one new customer within five
/// hours: more than the library's email cap, so the calendar reports a collision.
fn with_collision(trace: &str) -> String {
    let mut out = trace.to_string();
    let sends =
        trace.lines().skip(1).filter(|l| l.split(',').nth(4) == Some("send") && l.split(',').nth(5) == Some("email"));
    for (i, line) in sends.take(5).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        out.push_str(&format!("2025-01-20T1{i}:00:00Z,zz-collider,{}\n", f[2..].join(",")));
    }
    out
}

fn run_ok(args: &[&str]) {
    let out = common::journey_in_columns(args, &root(), 200);
    assert_eq!(code(&out), 0, "journey {args:?}: {}", stderr(&out));
}

#[test]
fn every_json_output_validates_against_its_published_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let outputs = outputs(tmp.path());
    let mut failures = Vec::new();
    for (name, what, v) in &outputs {
        assert_eq!(v["version"], 1, "{name} ({what}) carries version 1");
        for e in validate(&schema(name), v) {
            failures.push(format!("{name} ({what}): {e}"));
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    // every schema met at least one real output
    for name in SCHEMAS {
        assert!(outputs.iter().any(|(n, ..)| *n == name), "no output tested against {name}");
    }
    ajv_strict(&outputs, tmp.path());
}

/// A renamed or dropped key, a wrong type or a missing version fails: the schemas are
/// strict, so they would catch an output that drifted from them.
#[test]
fn a_drifted_output_fails_its_schema() {
    let check = run(&["check", "--format", "json"], &root().join("examples"), &[1]);
    let s = schema("check");
    assert!(validate(&s, &check).is_empty());
    let mut renamed = check.clone();
    let d = renamed["diagnostics"][0].as_object_mut().unwrap();
    let code = d.remove("code").unwrap();
    d.insert("rule".into(), code);
    assert!(!validate(&s, &renamed).is_empty(), "a renamed key fails");
    let mut unversioned = check.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    assert!(!validate(&s, &unversioned).is_empty(), "a missing version fails");
    let mut bumped = check;
    bumped["version"] = json!(2);
    assert!(!validate(&s, &bumped).is_empty(), "another version fails");

    let calendar = run(&["calendar", "--format", "json"], &root().join("examples/cdnow"), &[0]);
    let s = schema("calendar");
    let mut wrong = calendar.clone();
    wrong["sends"][0]["journey"] = json!(7);
    assert!(!validate(&s, &wrong).is_empty(), "a wrong type fails");
    let mut extra = calendar;
    extra["journeys"][0]["owner"] = json!("me");
    assert!(!validate(&s, &extra).is_empty(), "an unknown key fails");
}

/// ajv (strict mode) compiles every schema and validates every output, when node can
/// load it.
fn ajv_strict(outputs: &[(&str, String, Value)], tmp: &Path) {
    let Some(dir) = ajv_dir() else {
        eprintln!("note: node with ajv is not available (npm i ajv, or set AJV_DIR); only the built-in validator ran");
        return;
    };
    let cases: Vec<Value> = outputs
        .iter()
        .enumerate()
        .map(|(i, (name, what, v))| {
            let file = tmp.join(format!("output-{i}.json"));
            std::fs::write(&file, v.to_string()).unwrap();
            json!({"schema": root().join(format!("docs/schemas/{name}.schema.json")), "file": file, "what": format!("{name} ({what})")})
        })
        .collect();
    let manifest = tmp.join("cases.json");
    std::fs::write(&manifest, Value::Array(cases).to_string()).unwrap();
    let script = "const Ajv = require('ajv/dist/2020'); const fs = require('fs'); \
        const ajv = new Ajv({strict: true, allErrors: true}); const seen = new Map(); let bad = 0; \
        for (const c of JSON.parse(fs.readFileSync(process.argv[1], 'utf8'))) { \
          if (!seen.has(c.schema)) seen.set(c.schema, ajv.compile(JSON.parse(fs.readFileSync(c.schema, 'utf8')))); \
          const validate = seen.get(c.schema); \
          if (!validate(JSON.parse(fs.readFileSync(c.file, 'utf8')))) { bad++; \
            console.error(c.what + ': ' + JSON.stringify(validate.errors.slice(0, 5))); } } \
        process.exit(bad ? 1 : 0);";
    let out = std::process::Command::new("node")
        .args(["-e", script])
        .arg(&manifest)
        .current_dir(&dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "ajv (strict) rejects a schema or an output:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
