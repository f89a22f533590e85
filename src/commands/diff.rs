//! `journey diff BASE [HEAD]`: what a change does to the journey program, for people
//! (text), for pull-request comments (Markdown with Mermaid) and for scripts (JSON).
//!
//! Each side is a directory or a git ref. A ref is extracted with `git archive` into a
//! temporary directory (no git library, no change to the checkout) and loaded from the
//! same place relative to the repository as the current directory, so both sides are
//! read with their own journey.yaml.

use crate::{output, ExitStatus, GlobalOptions};
use journey_diff::{render, Report, Side, Simulation};
use journey_project::{Project, CONFIG_FILE};
use miette::miette;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The base version: a git ref (`origin/main`, `HEAD~1`, a commit) or a directory
    pub base: String,
    /// The head version: a git ref or a directory (default: the working tree)
    pub head: Option<String>,
    /// Output format: text, markdown (for a pull-request comment) or json
    #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json"])]
    pub format: String,
    /// Exit with 1 when HEAD has error diagnostics that BASE had not
    #[arg(long)]
    pub fail_on_new_errors: bool,
}

/// One side, loaded. `_tree` keeps an extracted git tree alive while it is read.
struct Loaded {
    label: String,
    project: Project,
    _tree: Option<tempfile::TempDir>,
}

pub fn run(args: DiffArgs, global: &GlobalOptions) -> miette::Result<ExitStatus> {
    let cwd = std::env::current_dir().map_err(|e| miette!("cannot read the current directory: {e}"))?;
    let base = side(&args.base, &cwd)?;
    let head = match &args.head {
        Some(h) => side(h, &cwd)?,
        None => Loaded { label: "working tree".to_string(), project: load_dir(&cwd)?, _tree: None },
    };
    let (base_side, base_program, base_findings) = analyse(&base);
    let (head_side, head_program, head_findings) = analyse(&head);
    let mut changes = journey_diff::diff(&base_program, &head_program);
    changes.add_items(clv_settings(&base.project, &head.project));
    let diagnostics = journey_diff::diff_findings(&base_findings, &head_findings);
    // a journey.yaml that does not load has no `events:` section to read: that is a
    // broken configuration to name, not a project that configured no log
    let config_broken = head.project.diagnostics.iter().any(|d| d.severity == journey_diagnostics::Severity::Error);
    let simulation = if config_broken {
        Simulation::Unavailable {
            reason: "HEAD's journey.yaml has errors, so the log to replay is unknown".to_string(),
        }
    } else if head.project.config.events.is_some() {
        let ok = |s: &Side| s.errors == 0;
        if !ok(&base_side) || !ok(&head_side) {
            Simulation::Unavailable { reason: "a side has errors, so its journeys cannot run".to_string() }
        } else {
            match simulate_both(&base, &head, &cwd, &base_program, &head_program) {
                Ok(d) => Simulation::Done(d),
                Err(reason) => Simulation::Unavailable { reason },
            }
        }
    } else {
        Simulation::NotConfigured
    };
    let report = Report::new(base_side, head_side, changes, diagnostics, simulation);
    let text = match args.format.as_str() {
        "json" => crate::json_format::pretty(crate::json_format::DIFF, &report),
        "markdown" => render::markdown(&report),
        _ => render::text(&report, global.color),
    };
    crate::out!("{text}")?;
    let fail = args.fail_on_new_errors && report.diagnostics.new_errors() > 0;
    Ok(if fail { ExitStatus::Failure } else { ExitStatus::Success })
}

/// Replay the log configured in HEAD's journey.yaml through both programs: sends per
/// journey and channel where they differ, and the CLV estimates with the interval of
/// their difference (the same seed draws an unchanged assumption identically). Each
/// side's estimate is valued with its own journey.yaml's `clv:` settings (margin,
/// horizon), as `journey simulate` at that revision would value it: a change of
/// `clv.margin` is part of the change under review.
fn simulate_both(
    base_side: &Loaded,
    head: &Loaded,
    cwd: &Path,
    base: &journey_ir::Program,
    head_program: &journey_ir::Program,
) -> Result<journey_diff::SimulationDelta, String> {
    use super::simulate::{replay, ReplayOptions};
    let project = &head.project;
    let mapping = output::event_mapping(project)
        .map_err(|d| d.first().map_or("the `events:` mapping is invalid".to_string(), |d| d.message.clone()))?;
    let Some(path) = &mapping.path else {
        return Err("journey.yaml names no `events.path` to replay".to_string());
    };
    // a log is rarely committed: a ref's tree may lack it, the checkout has it
    let find = |p: &Path| [project.root.join(p), cwd.join(p)].into_iter().find(|f| f.is_file());
    let file = find(path).ok_or_else(|| format!("the event log {} does not exist", path.display()))?;
    let attributes = match &mapping.attributes {
        Some(a) => Some(find(a).ok_or_else(|| format!("the attribute snapshot {} does not exist", a.display()))?),
        None => None,
    };
    let accounts = match &head_program.accounts.file {
        Some(a) => Some(find(Path::new(a)).ok_or_else(|| format!("the account file {a} does not exist"))?),
        None => None,
    };
    let options = ReplayOptions {
        file,
        attributes,
        accounts,
        from: None,
        to: None,
        quiet_hours: journey_engine::QuietMode::Defer,
        seed: 1,
        skip_bad_rows: false,
        // `events.order` of journey.yaml still applies
        sort: false,
        bars: false,
        reader_thread: true,
        threads: crate::commands::simulate::default_threads(),
        clv: crate::clv_estimate::ClvSettings::from_config(project.config.clv.as_ref()),
        coverage: false,
        measure_state: false,
    };
    let base_options = ReplayOptions {
        clv: crate::clv_estimate::ClvSettings::from_config(base_side.project.config.clv.as_ref()),
        ..options.clone()
    };
    let run = |p: &journey_ir::Program, options: &ReplayOptions| {
        replay(p, &mapping, options, None).map_err(|e| format!("the replay failed: {e}"))
    };
    let (a, b) = (run(base, &base_options)?, run(head_program, &options)?);
    let sends = |r: &journey_engine::Report| {
        let mut m: std::collections::BTreeMap<(String, String), u64> = Default::default();
        for (j, jr) in &r.journeys {
            for by_channel in jr.sends.values() {
                for (c, n) in by_channel {
                    *m.entry((j.clone(), c.clone())).or_default() += n;
                }
            }
        }
        m
    };
    let (sa, sb) = (sends(&a.report), sends(&b.report));
    let keys: std::collections::BTreeSet<&(String, String)> = sa.keys().chain(sb.keys()).collect();
    let mut volume: Vec<journey_diff::VolumeDelta> = keys
        .into_iter()
        .map(|k| journey_diff::VolumeDelta {
            journey: k.0.clone(),
            channel: k.1.clone(),
            base: sa.get(k).copied().unwrap_or(0),
            head: sb.get(k).copied().unwrap_or(0),
        })
        .filter(|v| v.base != v.head)
        .collect();
    if !volume.is_empty() || a.report.sends != b.report.sends {
        volume.push(journey_diff::VolumeDelta {
            journey: "all journeys".into(),
            channel: "all channels".into(),
            base: a.report.sends,
            head: b.report.sends,
        });
    }
    let (clv, assumptions) = match (&a.clv, &b.clv) {
        (Ok(x), Ok(y)) => {
            let d = journey_clv::impact::difference(x, y);
            let assumptions = y
                .journeys
                .iter()
                .flat_map(|j| j.assumptions.iter().map(move |a| format!("{}: {}", j.journey, a.assumption)))
                .collect();
            let clv = journey_diff::ClvDelta {
                currency: head_program.currency.clone(),
                base: x.total.median,
                head: y.total.median,
                delta_low: d.p05,
                delta_high: d.p95,
            };
            (Some(clv), assumptions)
        }
        _ => (None, Vec::new()),
    };
    // say why there is no estimate, as `journey simulate` does, rather than nothing
    let clv_unavailable = match (&a.clv, &b.clv) {
        (Ok(_), Ok(_)) => None,
        (Err(e), _) | (_, Err(e)) => Some(e.clone()),
    };
    Ok(journey_diff::SimulationDelta { volume, clv, assumptions, clv_unavailable })
}

/// journey.yaml's `clv:` settings as the CLV estimate reads them (a value written out
/// as its default is no change): they are not part of the program, but change every
/// CLV figure.
fn clv_settings(base: &Project, head: &Project) -> Vec<journey_diff::ItemChange> {
    use crate::clv_estimate::ClvSettings;
    let (b, h) =
        (ClvSettings::from_config(base.config.clv.as_ref()), ClvSettings::from_config(head.config.clv.as_ref()));
    [("clv.margin", b.margin, h.margin), ("clv.horizon_weeks", b.horizon_weeks, h.horizon_weeks)]
        .into_iter()
        .filter_map(|(name, b, h)| journey_diff::setting_change(name, Some(format!("{b}")), Some(format!("{h}"))))
        .collect()
}

fn analyse(side: &Loaded) -> (Side, journey_ir::Program, Vec<journey_diff::Finding>) {
    let (checked, diags) = output::check(&side.project);
    let count = |s| diags.iter().filter(|d| d.severity == s).count();
    let info = Side {
        label: side.label.clone(),
        journeys: checked.program.journeys.len(),
        errors: count(journey_diagnostics::Severity::Error),
        warnings: count(journey_diagnostics::Severity::Warning),
    };
    let findings = journey_diff::findings(&diags, &checked.program, |id| side.project.root_relative(id));
    (info, checked.program, findings)
}

/// A directory is loaded as a project: with its own journey.yaml when it has one,
/// otherwise its journey files with the configuration of the project around it.
fn load_dir(dir: &Path) -> miette::Result<Project> {
    let paths = if dir.join(CONFIG_FILE).is_file() { Vec::new() } else { vec![PathBuf::from(".")] };
    Ok(journey_project::load(&paths, dir)?)
}

fn side(arg: &str, cwd: &Path) -> miette::Result<Loaded> {
    let path = cwd.join(arg);
    if path.is_dir() {
        return Ok(Loaded { label: arg.to_string(), project: load_dir(&path)?, _tree: None });
    }
    if arg.starts_with('-') || arg.is_empty() {
        return Err(miette!("`{arg}` is neither a directory nor a git ref"));
    }
    let top = git(cwd, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        miette!(
            help = "run `journey diff` inside a git repository, or give two directories",
            "`{arg}` is not a directory, and {} is not inside a git repository",
            cwd.display()
        )
    })?;
    let commit = git(cwd, &["rev-parse", "--verify", "--quiet", "--end-of-options", &format!("{arg}^{{commit}}")])
        .map_err(|_| {
            miette!(
                help = "name a branch, tag or commit (`origin/main`, `HEAD~1`); in CI fetch the base branch first (`git fetch origin main`)",
                "unknown git ref `{arg}`"
            )
        })?;
    let short = git(cwd, &["rev-parse", "--short", &commit]).unwrap_or_else(|_| commit.clone());
    let prefix = git(cwd, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    let tree = tempfile::Builder::new()
        .prefix("journey-diff-")
        .tempdir()
        .map_err(|e| miette!("cannot create a temporary directory: {e}"))?;
    extract(Path::new(&top), &commit, tree.path())?;
    let dir = tree.path().join(prefix.trim_end_matches('/'));
    std::fs::create_dir_all(&dir).map_err(|e| miette!("cannot create {}: {e}", dir.display()))?;
    let project = load_dir(&dir)?;
    Ok(Loaded { label: format!("{arg} ({short})"), project, _tree: Some(tree) })
}

/// Run git and return its trimmed standard output.
fn git(cwd: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `git archive COMMIT | tar -x -C DEST`, from the repository's top level so the whole
/// tree is extracted whatever the current directory.
fn extract(top: &Path, commit: &str, dest: &Path) -> miette::Result<()> {
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", commit])
        .current_dir(top)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| miette!("cannot run git: {e}"))?;
    let tar_in = archive.stdout.take().expect("stdout is piped");
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dest)
        .stdin(tar_in)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| miette!("cannot run tar: {e}"))?;
    let archived = archive.wait_with_output().map_err(|e| miette!("git archive failed: {e}"))?;
    if !archived.status.success() {
        return Err(miette!("git archive {commit} failed: {}", String::from_utf8_lossy(&archived.stderr).trim()));
    }
    if !tar.status.success() {
        return Err(miette!("extracting {commit} failed: {}", String::from_utf8_lossy(&tar.stderr).trim()));
    }
    Ok(())
}
