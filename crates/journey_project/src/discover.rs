use crate::config::{Config, CONFIG_FILE};
use journey_diagnostics::{Diagnostic, FileId, SourceMap};
use std::path::{Path, PathBuf};

/// A loaded repository: its configuration and every journey file, in path order.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `journey.yaml`, or the starting directory when there is none.
    pub root: PathBuf,
    /// The git work tree around [`Project::root`] (the nearest ancestor holding `.git`),
    /// else the root itself: what code-scanning paths are relative to, because GitHub
    /// matches a finding to a file by its path from the repository's top.
    pub repo_root: PathBuf,
    pub config: Config,
    /// `journey.yaml` in the source map, when the project has one.
    pub config_file: Option<FileId>,
    pub sources: SourceMap,
    /// The journey files (not the config), sorted by display path.
    pub files: Vec<JourneyFile>,
    /// Problems found in `journey.yaml` itself.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
pub struct JourneyFile {
    pub id: FileId,
    pub path: PathBuf,
    /// The name users see: relative to the working directory, forward slashes.
    pub display: String,
}

impl Project {
    pub fn display_name(&self, id: FileId) -> String {
        self.sources.get(id).name.clone()
    }

    /// The path of a file relative to the project root (forward slashes): what
    /// `include`, `exclude` and `ignore` globs match, wherever the tool runs from.
    pub fn root_relative(&self, id: FileId) -> String {
        if Some(id) == self.config_file {
            return CONFIG_FILE.to_string();
        }
        match self.files.iter().find(|f| f.id == id) {
            Some(f) => f.path.strip_prefix(&self.root).unwrap_or(&f.path).to_string_lossy().replace('\\', "/"),
            None => self.display_name(id),
        }
    }

    /// The path of a file relative to [`Project::repo_root`] (forward slashes): how
    /// SARIF and GitHub annotations name it, wherever the tool runs from, so that a
    /// project in `marketing/` reports `marketing/journeys/a.journey`.
    pub fn repo_relative(&self, id: FileId) -> String {
        let full = if Some(id) == self.config_file {
            self.root.join(CONFIG_FILE)
        } else {
            match self.files.iter().find(|f| f.id == id) {
                Some(f) => f.path.clone(),
                None => return self.display_name(id),
            }
        };
        full.strip_prefix(&self.repo_root).unwrap_or(&full).to_string_lossy().replace('\\', "/")
    }
}

/// The nearest directory at or above `root` holding `.git` (a directory in a clone, a
/// file in a worktree or submodule), else `root`. No `git` process is needed.
pub fn repository_root(root: &Path) -> PathBuf {
    root.ancestors().find(|d| d.join(".git").exists()).unwrap_or(root).to_path_buf()
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ProjectError {
    #[error("no such file or directory: {path}")]
    #[diagnostic(
        code(journey::io::not_found),
        help("check the path; `journey check` with no path checks the whole repository")
    )]
    NotFound { path: String },
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(journey::io::read))]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not UTF-8 text")]
    #[diagnostic(code(journey::io::encoding), help("journey files must be saved as UTF-8"))]
    NotUtf8 { path: String },
}

/// The directory at or above `start` that holds `journey.yaml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() { start.parent()? } else { start };
    let start = std::fs::canonicalize(start).ok()?;
    start.ancestors().find(|d| d.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

/// Does this file name belong to a journey front-end?
pub fn is_journey_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".journey") || name.ends_with(".journey.yaml") || name.ends_with(".journey.yml")
}

/// Load a repository. With no `paths`, every journey file under the root (filtered by
/// the config's `include`/`exclude`); with paths, the named files and the journey files
/// under the named directories (filtered by `exclude` only: naming a directory is
/// asking for it).
pub fn load(paths: &[PathBuf], cwd: &Path) -> Result<Project, ProjectError> {
    let anchor = paths.first().map_or_else(|| cwd.to_path_buf(), |p| cwd.join(p));
    for p in paths {
        if !cwd.join(p).exists() {
            return Err(ProjectError::NotFound { path: p.display().to_string() });
        }
    }
    let found_root = find_root(&anchor);
    let root = found_root.clone().unwrap_or_else(|| std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf()));
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let (config, config_file) = match &found_root {
        Some(r) => {
            let path = r.join(CONFIG_FILE);
            let text = read(&path, cwd)?;
            let id = sources.add(display(&path, cwd), text.as_str());
            let (config, diags) = Config::parse(&text, id);
            diagnostics.extend(diags);
            (config, Some(id))
        }
        None => (Config::default(), None),
    };
    let exclude = globs(&config.exclude);
    let include = globs(&config.include);
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_string_lossy().replace('\\', "/");

    let mut found: Vec<PathBuf> = Vec::new();
    if paths.is_empty() {
        for f in walk(&root) {
            let r = rel(&f);
            if (config.include.is_empty() || include.is_match(&r)) && !exclude.is_match(&r) {
                found.push(f);
            }
        }
    } else {
        for p in paths {
            let full = std::fs::canonicalize(cwd.join(p))
                .map_err(|e| ProjectError::Read { path: p.display().to_string(), source: e })?;
            if full.is_file() {
                found.push(full);
            } else {
                found.extend(walk(&full).into_iter().filter(|f| !exclude.is_match(rel(f))));
            }
        }
    }
    let mut files: Vec<JourneyFile> =
        found.into_iter().map(|path| JourneyFile { display: display(&path, cwd), path, id: FileId(0) }).collect();
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.path == b.path);
    for f in &mut files {
        let text = read(&f.path, cwd)?;
        f.id = sources.add(f.display.clone(), text);
    }
    let repo_root = repository_root(&root);
    Ok(Project { root, repo_root, config, config_file, sources, files, diagnostics })
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_str().unwrap_or("");
            // never descend into build output, dependencies or hidden directories
            e.depth() == 0 || !(name.starts_with('.') || name == "target" || name == "node_modules")
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_journey_file(e.path()))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn globs(patterns: &[String]) -> globset::GlobSet {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        // invalid globs were reported when the config was parsed
        if let Ok(g) = globset::Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| globset::GlobSet::empty())
}

fn read(path: &Path, cwd: &Path) -> Result<String, ProjectError> {
    let bytes = std::fs::read(path).map_err(|e| ProjectError::Read { path: display(path, cwd), source: e })?;
    String::from_utf8(bytes).map_err(|_| ProjectError::NotUtf8 { path: display(path, cwd) })
}

fn display(path: &Path, cwd: &Path) -> String {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let shown = path.strip_prefix(&cwd).unwrap_or(path);
    shown.to_string_lossy().replace('\\', "/")
}
