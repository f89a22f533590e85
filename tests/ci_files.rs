//! The files other tools run: the GitHub Action (action.yml) and the pre-commit hooks
//! (.pre-commit-hooks.yaml, pyproject.toml). The Action's shell steps run here, as
//! GitHub runs them (`bash --noprofile --norc -eo pipefail`), with stand-ins for
//! `journey`, `git` and `gh` on PATH, so what is checked is their behaviour: the file
//! the `sarif-file` output names is the file written, and the diff comment edited is
//! the action's own. Installing the hooks for real is .ci/precommit-wheel.sh.

mod common;
use common::root;
use serde_yaml::Value;
use std::path::Path;
use std::process::Command;

fn action() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap()).expect("action.yml is YAML")
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"].as_sequence().expect("runs.steps")
}

fn step<'a>(action: &'a Value, name: &str) -> &'a Value {
    steps(action).iter().find(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("no step {name:?}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// Every string in the file, for properties that must hold anywhere in it.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Mapping(m) => m.iter().for_each(|(k, x)| {
            strings(k, out);
            strings(x, out)
        }),
        _ => {}
    }
}

#[test]
fn the_action_installs_the_wheel_and_never_builds_the_tool() {
    let a = action();
    let install = str_of(step(&a, "Install journey (prebuilt wheel)"), "run");
    assert!(install.contains("pip\" install") && install.contains("journey-cli"), "{install}");
    let mut all = Vec::new();
    strings(&a, &mut all);
    assert!(!all.iter().any(|s| s.contains("cargo")), "the action must not build with cargo");
}

#[test]
fn the_action_cache_is_keyed_without_action_ref_and_saved_before_any_check() {
    let a = action();
    let mut all = Vec::new();
    strings(&a, &mut all);
    assert!(!all.iter().any(|s| s.contains("action_ref")), "github.action_ref is unreliable in composite actions");
    let steps = steps(&a);
    let position = |uses: &str| steps.iter().position(|s| str_of(s, "uses").starts_with(uses));
    let restore = position("actions/cache/restore@").expect("a restore step");
    let save = position("actions/cache/save@").expect("a separate save step (actions/cache saves only on success)");
    let first_run_of_journey = steps.iter().position(|s| str_of(s, "run").contains("journey check")).unwrap();
    assert!(restore < save && save < first_run_of_journey, "the cache is saved before a check can fail the job");
    let save_if = str_of(&steps[save], "if");
    assert!(save_if.contains("always()"), "saved even when a step before it failed: {save_if}");
    assert!(str_of(&steps[save]["with"], "key").contains("steps.cache.outputs.cache-primary-key"));
}

/// `dir` holding stand-ins for the commands the Action's scripts call.
fn fake_bin(dir: &Path, scripts: &[(&str, &str)]) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, body) in scripts {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    bin
}

/// Run one `run:` script of the Action as GitHub does, in `cwd`, with `env`.
fn run_step(script: &str, cwd: &Path, bin: &Path, env: &[(&str, String)]) -> std::process::Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script]).current_dir(cwd).env("PATH", path);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("bash runs")
}

fn output_value(file: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines().find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[test]
fn the_sarif_file_output_names_the_file_written_from_the_workspace() {
    let a = action();
    let sarif = step(&a, "journey check (SARIF)");
    assert_eq!(str_of(sarif, "working-directory"), "${{ inputs.working-directory }}");
    assert_eq!(str_of(&a["outputs"]["sarif-file"], "value"), "${{ steps.sarif.outputs.file }}");
    let upload = step(&a, "Upload SARIF to code scanning");
    assert!(str_of(upload, "uses").starts_with("github/codeql-action/upload-sarif@"));
    assert_eq!(str_of(&upload["with"], "sarif_file"), "${{ steps.sarif.outputs.file }}");
    assert!(str_of(upload, "if").contains("inputs.upload-sarif == 'true'"));
    assert!(str_of(upload, "if").contains("!cancelled()"), "uploaded also when problems were found");

    let script = str_of(sarif, "run");
    let tmp = tempfile::tempdir().unwrap();
    // problems found (exit 1): the report is still written, and the step passes
    let bin = fake_bin(tmp.path(), &[("journey", "echo '{\"version\": \"2.1.0\"}'; exit 1")]);
    let absolute = tmp.path().join("abs.sarif").display().to_string();
    for (workdir, file) in [
        (".", "journey.sarif"),
        ("marketing", "journey.sarif"),
        ("marketing/", "reports.sarif"),
        ("./marketing", "journey.sarif"),
        ("marketing/emails", "journey.sarif"),
        ("marketing", absolute.as_str()),
    ] {
        let ws = tmp.path().join("ws");
        let _ = std::fs::remove_dir_all(&ws);
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(ws.join(workdir.trim_start_matches("./"))).unwrap();
        let gh_output = tmp.path().join("github_output");
        std::fs::write(&gh_output, "").unwrap();
        let env = [
            ("SARIF_FILE", file.to_string()),
            ("WORKDIR", workdir.to_string()),
            ("GITHUB_OUTPUT", gh_output.display().to_string()),
        ];
        let out = run_step(script, &ws.join(workdir), &bin, &env);
        assert!(out.status.success(), "{workdir} {file}: {}", common::stderr(&out));
        let named = output_value(&gh_output, "file").expect("the step sets `file`");
        let seen_from_workspace = ws.join(&named);
        assert!(
            seen_from_workspace.is_file(),
            "{workdir} + {file}: the output names {named}, which is not the file written"
        );
        assert!(!named.starts_with("./"), "{named}");
    }
    // a fatal error (exit 2) fails the step instead of uploading something that is not SARIF
    let bin = fake_bin(tmp.path(), &[("journey", "echo '{\"version\": 1, \"error\": {}}'; exit 2")]);
    let gh_output = tmp.path().join("github_output");
    let env = [
        ("SARIF_FILE", "journey.sarif".to_string()),
        ("WORKDIR", ".".to_string()),
        ("GITHUB_OUTPUT", gh_output.display().to_string()),
    ];
    let out = run_step(script, tmp.path(), &bin, &env);
    assert_eq!(out.status.code(), Some(2), "{}", common::stdout(&out));
    assert!(common::stdout(&out).contains("::error::"), "{}", common::stdout(&out));
}

/// The diff step against stand-in `gh` and `git`: which comment it edits or posts.
/// `gh` answers the comment listing with `comments` (filtered by the real jq with the
/// action's own expression) and records every call.
fn diff_step_calls(workdir: &str, comments: &serde_json::Value) -> Option<Vec<String>> {
    if Command::new("jq").arg("--version").output().is_err() {
        eprintln!("note: jq is not installed; skipping the comment-selection check");
        return None;
    }
    let a = action();
    let diff = step(&a, "journey diff");
    let script = str_of(diff, "run");
    let tmp = tempfile::tempdir().unwrap();
    let fixture = tmp.path().join("comments.json");
    std::fs::write(&fixture, comments.to_string()).unwrap();
    let log = tmp.path().join("calls.log");
    let gh = format!(
        r#"echo "$*" >> '{log}'
if [ "$1" = api ] && [ "$2" = --paginate ]; then
  jq -r "$5" '{fixture}'
fi"#,
        log = log.display(),
        fixture = fixture.display()
    );
    let bin = fake_bin(
        tmp.path(),
        &[("gh", &gh), ("git", "exit 0"), ("journey", "echo '## journey diff'; echo '1 stage added'")],
    );
    let summary = tmp.path().join("summary.md");
    let env = [
        ("BASE_REF", "main".to_string()),
        ("PR_NUMBER", "7".to_string()),
        ("GH_TOKEN", "t".to_string()),
        ("COMMENT", "true".to_string()),
        ("FAIL_ON_NEW_ERRORS", "false".to_string()),
        ("WORKDIR", workdir.to_string()),
        ("GITHUB_REPOSITORY", "acme/shop".to_string()),
        ("RUNNER_TEMP", tmp.path().display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
    ];
    let out = run_step(script, tmp.path(), &bin, &env);
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("1 stage added") && !summary.contains("<!--"), "{summary}");
    Some(std::fs::read_to_string(&log).unwrap().lines().map(str::to_string).collect())
}

#[test]
fn the_diff_comment_edits_only_the_actions_own_comment() {
    let comments = serde_json::json!([
        {"id": 11, "body": "<!-- journey-diff: other-project -->\nanother project's diff"},
        {"id": 12, "body": "<!-- journey-diff: marketing -->\nthe old diff"},
        {"id": 13, "body": "a bot's last comment, <!-- journey-diff: marketing --> quoted"},
        {"id": 14, "body": "LGTM"},
    ]);
    let Some(calls) = diff_step_calls("marketing", &comments) else { return };
    let writes: Vec<&String> = calls.iter().filter(|c| c.contains("--method")).collect();
    assert_eq!(writes.len(), 1, "{calls:?}");
    assert!(writes[0].starts_with("api --method PATCH repos/acme/shop/issues/comments/12 "), "{calls:?}");

    // a directory name with quotes finds its comment too
    let comments = serde_json::json!([{"id": 16, "body": "<!-- journey-diff: a \"quoted\" dir -->\nold"}]);
    let Some(calls) = diff_step_calls("a \"quoted\" dir", &comments) else { return };
    let writes: Vec<&String> = calls.iter().filter(|c| c.contains("--method")).collect();
    assert!(writes.len() == 1 && writes[0].contains("PATCH repos/acme/shop/issues/comments/16 "), "{calls:?}");

    // no comment of its own yet (only other people's and bots'): it posts one
    let comments = serde_json::json!([{"id": 14, "body": "LGTM"}, {"id": 15, "body": "<!-- other-bot -->"}]);
    let Some(calls) = diff_step_calls("marketing", &comments) else { return };
    let writes: Vec<&String> = calls.iter().filter(|c| c.contains("--method")).collect();
    assert_eq!(writes.len(), 1, "{calls:?}");
    assert!(writes[0].starts_with("api --method POST repos/acme/shop/issues/7/comments "), "{calls:?}");
}

/// `action-validator` (npm @action-validator/cli), the schema check of action.yml;
/// skipped with a note where it is not installed (CI installs it).
#[test]
fn action_validator_accepts_the_action() {
    // on PATH, or next to ajv: AJV_DIR is npm's global prefix/lib or a local install
    let near_ajv = std::env::var_os("AJV_DIR").map(std::path::PathBuf::from).and_then(|d| {
        [d.join("../bin/action-validator"), d.join("node_modules/.bin/action-validator")]
            .into_iter()
            .find(|p| p.is_file())
    });
    let on_path = Command::new("action-validator").arg("--version").output().is_ok();
    let exe = if on_path { Some(std::path::PathBuf::from("action-validator")) } else { near_ajv };
    let Some(exe) = exe else {
        eprintln!("note: action-validator is not installed (npm i -g @action-validator/cli); skipping");
        return;
    };
    let out = Command::new(exe).arg(root().join("action.yml")).output().expect("action-validator runs");
    assert!(out.status.success(), "{}{}", common::stdout(&out), common::stderr(&out));
}

fn cargo_version() -> String {
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let line = cargo.lines().find(|l| l.starts_with("version = ")).expect("the package version");
    line.trim_start_matches("version = ").trim_matches('"').to_string()
}

#[test]
fn pre_commit_hooks_install_the_wheel_not_a_rust_build() {
    let hooks: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap()).unwrap();
    let hooks = hooks.as_sequence().expect("a list of hooks");
    let language = |id: &str| {
        let h = hooks.iter().find(|h| h["id"].as_str() == Some(id)).unwrap_or_else(|| panic!("no hook {id}"));
        str_of(h, "language").to_string()
    };
    assert_eq!(language("journey-check"), "python");
    assert_eq!(language("journey-fmt"), "python");
    assert_eq!(language("journey-check-system"), "system");
    assert_eq!(language("journey-fmt-system"), "system");

    // pre-commit runs `pip install .` at the root: a package that only depends on the
    // wheel of this very version, never a build of the Rust workspace
    let root_py = std::fs::read_to_string(root().join("pyproject.toml")).unwrap();
    assert!(!root_py.contains("maturin"), "the root package must not build the binary");
    let pin = format!("\"journey-cli=={}\"", cargo_version());
    assert!(root_py.contains(&pin), "pyproject.toml must depend on {pin}");

    let wheel = std::fs::read_to_string(root().join("python/journey-cli/pyproject.toml")).unwrap();
    assert!(wheel.contains("name = \"journey-cli\"") && wheel.contains("bindings = \"bin\""));
    let manifest = wheel.lines().find_map(|l| l.strip_prefix("manifest-path = ")).expect("manifest-path");
    let manifest = root().join("python/journey-cli").join(manifest.trim_matches('"'));
    assert_eq!(manifest.canonicalize().unwrap(), root().join("Cargo.toml").canonicalize().unwrap());
}
