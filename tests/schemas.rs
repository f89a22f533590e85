//! The published JSON Schemas load in strict validators: ajv's strict mode rejects a
//! `format` it does not know (schemars writes Rust's `uint64`, `double`). The ajv
//! test runs when node can load ajv (CI installs it; set `AJV_DIR` to the directory
//! holding its node_modules), and is skipped with a note otherwise.

mod common;
use common::{ajv_dir, root, text};

const STANDARD: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

fn formats(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(f) = m.get("format").and_then(|f| f.as_str()) {
                out.push(f.to_string());
            }
            m.values().for_each(|x| formats(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| formats(x, out)),
        _ => {}
    }
}

#[test]
fn the_ir_schema_uses_only_standard_formats() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/ir.schema.json")).unwrap()).unwrap();
    let mut found = Vec::new();
    formats(&schema, &mut found);
    let unknown: Vec<&String> = found.iter().filter(|f| !STANDARD.contains(&f.as_str())).collect();
    assert!(unknown.is_empty(), "formats strict validators reject: {unknown:?}");
}

#[test]
fn the_ir_schema_compiles_in_ajv_strict_mode() {
    let Some(dir) = ajv_dir() else {
        eprintln!("note: node with ajv is not available (npm i ajv, or set AJV_DIR); skipping");
        return;
    };
    let schema = root().join("docs/ir.schema.json");
    // the IR of examples/cdnow, of the B2B project (accounts, `for account`, tasks,
    // scores, program rules: issue 15) and of the bundled library
    for project in ["examples/cdnow", "tests/projects/b2b", "."] {
        let compiled = journey_ir_compile(&root().join(project));
        let script = "const Ajv = require('ajv/dist/2020'); const fs = require('fs'); \
        const ajv = new Ajv({strict: true}); \
        const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[1], 'utf8'))); \
        const ok = validate(JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))); \
        if (!ok) { console.error(JSON.stringify(validate.errors, null, 1)); process.exit(1); }";
        let out = std::process::Command::new("node")
            .args(["-e", script])
            .arg(&schema)
            .arg(compiled.path())
            .current_dir(&dir)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "ajv (strict) rejects the schema or the IR of {project}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// `journey compile` of the project at `dir`, in a file.
fn journey_ir_compile(dir: &std::path::Path) -> tempfile::NamedTempFile {
    let out = common::journey(&["compile"], dir);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), &out.stdout).unwrap();
    f
}
