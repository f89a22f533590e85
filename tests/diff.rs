//! End-to-end tests of `journey diff`: a git repository built by the test (two
//! commits), the directory form, exit codes and the Markdown a pull request shows.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

const CONFIG: &str = "timezone: UTC\ncurrency: USD\ninclude: [\"journeys/**\"]\n";

const SCHEMA: &str = r#"event signup { plan: one_of("free", "pro") }
event purchase { amount: money }
event email_open { template: text }
attribute email_opt_in: bool
attribute sms_opt_in: bool

channel email {
  kind email
  consent email_opt_in
  cap 3 per 7d
}

channel sms {
  kind sms
  consent sms_opt_in
  cap 2 per 7d
}

audience buyer = count(purchase) >= 1
audience at_risk = buyer and since(purchase) > 60d and since(purchase) <= 120d

policy {
  cap any 5 per 7d
}
"#;

const WELCOME: &str = r#"journey welcome {
  entry on signup
  audience email_opt_in
  stage hello {
    send email "welcome"
    wait 2d
    send email "getting-started"
    end
  }
}
"#;

const WINBACK: &str = r#"journey winback {
  entry when audience at_risk entered
  audience email_opt_in and sms_opt_in
  exit on purchase
  stage remind {
    send email "winback-miss-you"
    wait up to 3d for email_open where template == "winback-miss-you"
      then offer
      timeout offer
  }
  stage offer {
    send email "winback-15-off"
    end
  }
}
"#;

/// The change under review: a stage added (and the wait-for's timeout sent to it), the
/// wait-for's timeout 3d → 5d, a send removed, the email cap raised, an audience added.
fn change(root: &Path) {
    let winback = WINBACK
        .replace("wait up to 3d", "wait up to 5d")
        .replace("timeout offer", "timeout nudge")
        .replace("  stage offer {", "  stage nudge {\n    send sms \"winback-sms\"\n    end\n  }\n  stage offer {");
    fs::write(root.join("journeys/winback.journey"), winback).unwrap();
    let welcome = WELCOME.replace("    send email \"getting-started\"\n", "");
    fs::write(root.join("journeys/welcome.journey"), welcome).unwrap();
    let schema = SCHEMA.replace("  cap 3 per 7d", "  cap 4 per 7d")
        + "audience hero = count(purchase, 365d) >= 5 and sum(purchase.amount, 365d) >= 500\n";
    fs::write(root.join("journeys/schema.journey"), schema).unwrap();
}

fn write_base(root: &Path) {
    fs::create_dir_all(root.join("journeys")).unwrap();
    fs::write(root.join("journey.yaml"), CONFIG).unwrap();
    fs::write(root.join("journeys/schema.journey"), SCHEMA).unwrap();
    fs::write(root.join("journeys/welcome.journey"), WELCOME).unwrap();
    fs::write(root.join("journeys/winback.journey"), WINBACK).unwrap();
}

fn git(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with two commits: the base, then the change.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write_base(root);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    change(root);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "change"]);
    dir
}

/// Replace the short commit hashes in labels, which differ from run to run.
fn stable(root: &Path, text: &str) -> String {
    let base = git(root, &["rev-parse", "--short", "HEAD~1"]);
    let head = git(root, &["rev-parse", "--short", "HEAD"]);
    text.replace(&format!("({base})"), "(BASE)").replace(&format!("({head})"), "(HEAD)")
}

#[test]
fn markdown_of_two_commits() {
    let dir = repo();
    let out = journey(&["diff", "HEAD~1", "HEAD", "--format", "markdown"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("diff_markdown", stable(dir.path(), &stdout(&out)));
}

#[test]
fn text_of_two_commits() {
    let dir = repo();
    let out = journey(&["diff", "HEAD~1", "HEAD"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("diff_text", stable(dir.path(), &stdout(&out)));
}

#[test]
fn json_of_two_commits() {
    let dir = repo();
    let out = journey(&["diff", "HEAD~1", "HEAD", "--format", "json"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stable(dir.path(), &stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["base"]["label"], "HEAD~1 (BASE)");
    assert_eq!(v["simulation"]["status"], "not_configured");
    insta::assert_snapshot!("diff_json", text);
}

#[test]
fn head_defaults_to_the_working_tree_and_subdirectories_work() {
    let dir = repo();
    // HEAD~1 against the working tree (= HEAD) is the same change
    let whole = stdout(&journey(&["diff", "HEAD~1", "HEAD"], dir.path()));
    let out = journey(&["diff", "HEAD~1"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let tree = stdout(&out);
    assert!(tree.contains("→ working tree"), "{tree}");
    assert_eq!(tree.lines().skip(1).collect::<Vec<_>>(), whole.lines().skip(1).collect::<Vec<_>>());
    // run from inside journeys/: the base is read from the same place in the old tree
    let out = journey(&["diff", "HEAD~1", "HEAD"], &dir.path().join("journeys"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("journey winback (changed)"), "{}", stdout(&out));
}

#[test]
fn no_changes_is_a_short_report() {
    let dir = repo();
    let out = journey(&["diff", "HEAD", "HEAD", "--format", "markdown"], dir.path());
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("No changes to the journey program."), "{}", stdout(&out));
}

#[test]
fn two_directories() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    write_base(&a);
    write_base(&b);
    change(&b);
    let out = journey(&["diff", "a", "b"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    // the same report as from git, under other labels
    let repo = repo();
    let from_git = stable(repo.path(), &stdout(&journey(&["diff", "HEAD~1", "HEAD"], repo.path())));
    assert!(text.starts_with("journey diff a → b\n"), "{text}");
    assert_eq!(text.lines().skip(1).collect::<Vec<_>>(), from_git.lines().skip(1).collect::<Vec<_>>());
}

#[test]
fn fail_on_new_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    write_base(&a);
    write_base(&b);
    fs::write(b.join("journeys/welcome.journey"), WELCOME.replace("send email \"welcome\"", "send emial \"welcome\""))
        .unwrap();
    // a report by default, whatever it finds
    let out = journey(&["diff", "a", "b"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("+ error[J101]"), "{}", stdout(&out));
    let out = journey(&["diff", "a", "b", "--fail-on-new-errors"], dir.path());
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    // the other way round the error is resolved, not new
    let out = journey(&["diff", "b", "a", "--fail-on-new-errors"], dir.path());
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("- error[J101]"), "{}", stdout(&out));
}

#[test]
fn unknown_ref_and_no_repository_exit_2() {
    let dir = repo();
    let out = journey(&["diff", "no-such-branch"], dir.path());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown git ref `no-such-branch`"), "{}", stderr(&out));

    let plain = tempfile::tempdir().unwrap();
    let out = journey(&["diff", "HEAD~1"], plain.path());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not inside a git repository"), "{}", stderr(&out));
}

/// Copy the bundled library (journeys/ and journey.yaml) into `dir`, replaying `log`.
fn library_copy(dir: &Path, log: &str) {
    fs::create_dir_all(dir.join("journeys")).unwrap();
    for f in files(&root().join("journeys"), &[".journey", ".journey.yaml"]) {
        fs::copy(&f, dir.join("journeys").join(f.file_name().unwrap())).unwrap();
    }
    // the library's own `events:` section (its generator) gains the log to replay
    let config = fs::read_to_string(root().join("journey.yaml")).unwrap();
    let config = config.replacen("events:\n", &format!("events:\n  path: {log}\n  attributes: ../attributes.csv\n"), 1);
    assert!(config.contains("attributes: ../attributes.csv"), "the library's journey.yaml has an `events:` section");
    fs::write(dir.join("journey.yaml"), config).unwrap();
}

#[test]
fn with_an_event_log_both_sides_are_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, attrs) = (tmp.path().join("events.csv"), tmp.path().join("attributes.csv"));
    let gen = journey(
        &[
            "events",
            "generate",
            "--customers",
            "400",
            "--days",
            "60",
            "-o",
            log.to_str().unwrap(),
            "--attributes",
            attrs.to_str().unwrap(),
        ],
        root().as_path(),
    );
    assert_eq!(code(&gen), 0, "{}", stderr(&gen));
    let (base, head) = (tmp.path().join("base"), tmp.path().join("head"));
    library_copy(&base, "../events.csv");
    library_copy(&head, "../events.csv");
    // the change: the weekly roast drop is retired
    fs::remove_file(head.join("journeys/weekly_roast_drop.journey")).unwrap();

    let out = journey(&["diff", "base", "head", "--format", "json"], tmp.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let sim = &v["simulation"];
    assert_eq!(sim["status"], "done", "{sim}");
    let volume = sim["volume"].as_array().unwrap();
    let roast = volume.iter().find(|r| r["journey"] == "weekly_roast_drop").expect("the retired journey's sends");
    assert!(roast["base"].as_u64().unwrap() > 0 && roast["head"] == 0, "{roast}");
    let total = volume.iter().find(|r| r["journey"] == "all journeys").expect("a total");
    assert!(total["head"].as_u64().unwrap() < total["base"].as_u64().unwrap(), "{total}");
    // every journey left unchanged sends the same: only rows that differ are listed
    // (other journeys may gain sends the roast drop used to take from the caps)
    let clv = &sim["clv"];
    assert_eq!(clv["currency"], "USD");
    assert!(clv["delta_low"].as_f64().unwrap() <= clv["delta_high"].as_f64().unwrap(), "{clv}");
    assert!(!sim["assumptions"].as_array().unwrap().is_empty());

    let md = stdout(&journey(&["diff", "base", "head", "--format", "markdown"], tmp.path()));
    assert!(md.contains("simulated:") && md.contains("weekly_roast_drop on email"), "{md}");
    // the same inputs, the same report
    let again = journey(&["diff", "base", "head", "--format", "json"], tmp.path());
    assert_eq!(stdout(&again), stdout(&out));
}

/// A second project (the B2B one): when HEAD's journey.yaml does not load, the diff
/// says the replay is unavailable and why, instead of reading as "no log configured".
#[test]
fn a_broken_config_makes_the_replay_unavailable_not_unconfigured() {
    let tmp = tempfile::tempdir().unwrap();
    let b2b = root().join("tests/projects/b2b");
    for side in ["base", "head"] {
        fs::create_dir_all(tmp.path().join(side).join("journeys")).unwrap();
        for f in files(&b2b.join("journeys"), &[".journey"]) {
            fs::copy(&f, tmp.path().join(side).join("journeys").join(f.file_name().unwrap())).unwrap();
        }
        fs::copy(b2b.join("journey.yaml"), tmp.path().join(side).join("journey.yaml")).unwrap();
    }
    let config = fs::read_to_string(b2b.join("journey.yaml")).unwrap();
    fs::write(
        tmp.path().join("head/journey.yaml"),
        format!("events:\n  path: events.csv\n{config}events:\n  path: other.csv\n"),
    )
    .unwrap();
    let out = journey(&["diff", "base", "head", "--format", "json"], tmp.path());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let sim = &v["simulation"];
    assert_eq!(sim["status"], "unavailable", "{sim}");
    assert!(sim["reason"].as_str().unwrap_or("").contains("journey.yaml"), "{sim}");
}

/// tests/projects/b2b twice, in `base` and `head` under `dir`.
fn b2b_pair(dir: &Path) {
    for side in ["base", "head"] {
        copy_dir(&root().join("tests/projects/b2b"), &dir.join(side));
    }
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    fs::write(file, text.replacen(from, to, 1)).unwrap();
}

/// A change to journey.yaml alone (and the files it reads) changes what the program
/// does: the global holdout, the suppression list and its file, a category cap, the
/// business-day calendar, who is an account's admin, the CLV margin; and in the
/// journeys a channel's category and a score. Each is a line of the diff, in every
/// format (the report said "no changes to the journey program" for the first two).
#[test]
fn program_rules_and_settings_of_journey_yaml() {
    let dir = tempfile::tempdir().unwrap();
    b2b_pair(dir.path());
    let head = dir.path().join("head");
    let config = head.join("journey.yaml");
    edit(&config, "global_holdout: { percent: 10,", "global_holdout: { percent: 15,");
    edit(&config, "    promotional: 3 per 7d", "    promotional: 2 per 7d");
    edit(&config, "  calendar: DE", "  calendar: GB");
    edit(&config, "holidays: [2026-12-24, 2026-12-31]", "holidays: [2026-12-24, 2026-12-28, 2026-12-31]");
    edit(&config, "    admin_value: admin", "    admin_value: owner");
    edit(&config, "program:\n", "clv:\n  margin: 0.6\nprogram:\n");
    let mut suppressed = fs::read_to_string(head.join("suppressed.txt")).unwrap();
    suppressed.push_str("c0000099\n");
    fs::write(head.join("suppressed.txt"), suppressed).unwrap();
    edit(&head.join("journeys/schema.journey"), "  category product\n", "  category transactional\n");
    edit(&head.join("journeys/scores.journey"), "0.6 * usage + 0.4 *", "0.5 * usage + 0.5 *");

    let run = |format: &str| {
        let out = journey(&["diff", "base", "head", "--format", format], dir.path());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let text = run("text");
    for line in [
        "  ~ setting business_days.calendar: DE → GB",
        "  ~ setting business_days.holidays: [2026-12-24, 2026-12-31] → [2026-12-24, 2026-12-28, 2026-12-31]",
        "  ~ setting clv.margin: 1 → 0.6",
        "  ~ setting events.account.admin_value: admin → owner",
        "  ~ score health: value: ",
        "  ~ channel in_app: category: product → transactional",
        "  ~ cap category: promotional: cap: 3 per 1w → 2 per 1w",
        "  ~ rule global_holdout: percent: 10% → 15%",
        "  ~ rule suppression: customers: 8 customers → 9 customers (1 added, 0 removed)",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(!text.contains("no changes to the journey program"), "{text}");
    insta::assert_snapshot!("diff_program_rules_text", text);
    insta::assert_snapshot!("diff_program_rules_markdown", run("markdown"));
    insta::assert_snapshot!("diff_program_rules_json", run("json"));

    // the other way round, the same items changed back
    let out = journey(&["diff", "head", "base"], dir.path());
    assert!(stdout(&out).contains("  ~ rule global_holdout: percent: 15% → 10%"), "{}", stdout(&out));
}

/// Rules added or removed whole (`program:` deleted from journey.yaml), in each
/// format; a category written out as its default is no change.
#[test]
fn program_rules_removed_and_added() {
    let dir = tempfile::tempdir().unwrap();
    b2b_pair(dir.path());
    let config = dir.path().join("head/journey.yaml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, &text[..text.find("\nprogram:\n").unwrap() + 1]).unwrap();
    // `email` says `category promotional`, the default: leaving it out changes nothing
    edit(
        &dir.path().join("head/journeys/schema.journey"),
        "  cap 4 per 7d\n  category promotional\n",
        "  cap 4 per 7d\n",
    );

    let out = journey(&["diff", "base", "head"], dir.path());
    let removed = stdout(&out);
    for line in [
        "  - cap category: promotional: 3 per 1w",
        "  - rule global_holdout: 10% (salt \"clinicly-2026\")",
        "  - rule suppression: file suppressed.txt (8 customers), attribute do_not_contact",
    ] {
        assert!(removed.contains(line), "no {line:?} in\n{removed}");
    }
    assert!(!removed.contains("channel email"), "{removed}");

    let out = journey(&["diff", "head", "base", "--format", "markdown"], dir.path());
    let added = stdout(&out);
    for line in [
        "| program rules | 2 | 0 | 0 |",
        "| added | cap | `category: promotional` | `3 per 1w` |",
        "| added | rule | `global_holdout` | `10% (salt \"clinicly-2026\")` |",
        "| added | rule | `suppression` | `file suppressed.txt (8 customers), attribute do_not_contact` |",
    ] {
        assert!(added.contains(line), "no {line:?} in\n{added}");
    }

    let out = journey(&["diff", "base", "head", "--format", "json"], dir.path());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rules: Vec<(&str, &str, &str)> = json["changes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["name"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("cap", "category: promotional", "removed"),
            ("rule", "global_holdout", "removed"),
            ("rule", "suppression", "removed")
        ]
    );
    let summary = json["summary"].as_array().unwrap();
    let row = summary.iter().find(|r| r["what"] == "program rules").unwrap();
    assert_eq!((row["added"].as_u64(), row["removed"].as_u64()), (Some(0), Some(2)));
}

/// A shop of its own (not journeys/) whose only change between two commits is
/// journey.yaml's `clv.margin`: the simulated "before" is valued with the before
/// revision's margin, as `journey simulate` at that commit values it, not with HEAD's.
#[test]
fn the_simulated_base_uses_the_base_revisions_clv_settings() {
    const SHOP: &str = r#"event signup
event purchase { amount: money }

channel crm {
  kind webhook
}

journey welcome {
  entry on signup

  stage hello {
    webhook crm "welcome"
    end
  }

  assume order_value +10% (5%..15%)
}
"#;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("journeys")).unwrap();
    fs::write(root.join("journeys/shop.journey"), SHOP).unwrap();
    // 80 customers who sign up and buy 1 to 5 times over a year, a few dollars each
    let mut log = String::from("customer_id,timestamp,event,revenue\n");
    let mut rows = Vec::new();
    for c in 0..80u32 {
        let day = c % 28 + 1;
        rows.push((format!("2025-01-{day:02}T09:00:00Z"), c, "signup".to_string(), String::new()));
        for k in 0..(c * 7 % 5 + 1) {
            let month = 2 + (k * 2 + c % 2);
            rows.push((
                format!("2025-{month:02}-{day:02}T12:00:00Z"),
                c,
                "purchase".into(),
                format!("{}.{:02}", 10 + (c * 13 + k * 7) % 40, (c * 31) % 100),
            ));
        }
    }
    rows.sort();
    for (t, c, e, r) in rows {
        log.push_str(&format!("c{c:03},{t},{e},{r}\n"));
    }
    fs::write(root.join("events.csv"), log).unwrap();
    let config = |margin: &str| format!("{CONFIG}events:\n  path: events.csv\nclv:\n  margin: {margin}\n");
    fs::write(root.join("journey.yaml"), config("0.25")).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    let base_total = simulated_clv(root);
    fs::write(root.join("journey.yaml"), config("1")).unwrap();
    git(root, &["commit", "-q", "-am", "margin 0.25 -> 1"]);
    let head_total = simulated_clv(root);
    // the effect is a share of the customers' value, which the margin scales
    let near = |a: f64, b: f64| (a - b).abs() <= 0.01 + 1e-9 * b.abs();
    assert!(base_total > 0.0 && (head_total - 4.0 * base_total).abs() < 0.05, "{base_total} {head_total}");

    let out = journey(&["diff", "HEAD~1", "--format", "json"], root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let clv = &v["simulation"]["clv"];
    assert_eq!(v["simulation"]["status"], "done", "{v}");
    // before: the margin of the base commit (0.25), as `journey simulate` there says
    assert!(near(clv["base"].as_f64().unwrap(), base_total), "{clv}: simulate at the base says {base_total}");
    assert!(near(clv["head"].as_f64().unwrap(), head_total), "{clv}: simulate at HEAD says {head_total}");
    let text = stdout(&journey(&["diff", "HEAD~1"], root));
    assert!(text.contains("~ setting clv.margin: 0.25 → 1"), "{text}");
}

/// The median CLV effect of every journey of `journey simulate --format json` in `root`.
fn simulated_clv(root: &Path) -> f64 {
    let out = journey(&["simulate", "--format", "json", "-q"], root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let total = &v["clv_estimate"]["total"]["median"];
    total.as_f64().unwrap_or_else(|| panic!("no estimate: {}", v["clv_estimate"]))
}

/// A wait's filter changed, nothing else: the step is drawn as written on both sides
/// in the pull request's picture (it was `wait up to 3d for milestone_reached` twice,
/// with no `was:` line, so the picture showed no change), and named so in the text.
#[test]
fn a_changed_wait_filter_is_drawn_as_written() {
    let dir = tempfile::tempdir().unwrap();
    b2b_pair(dir.path());
    edit(
        &dir.path().join("head/journeys/onboarding.journey"),
        "wait up to 3d for milestone_reached where milestone == \"calendar_connected\"",
        "wait up to 3d for milestone_reached where milestone == \"first_patient\"",
    );
    let out = journey(&["diff", "base", "head", "--format", "markdown"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let md = stdout(&out);
    let drawn = "    welcome_2[\"wait up to 3d for milestone_reached where milestone == #quot;first_patient#quot;\
                 <br/>was: wait up to 3d for milestone_reached where milestone == #quot;calendar_connected#quot;\"]";
    assert!(md.contains(drawn), "no {drawn:?} in\n{md}");
    let text = stdout(&journey(&["diff", "base", "head"], dir.path()));
    let line = "  ~ welcome#2  wait up to 3d for milestone_reached where milestone == \"first_patient\": filter: ";
    assert!(text.contains(line), "no {line:?} in\n{text}");
}
