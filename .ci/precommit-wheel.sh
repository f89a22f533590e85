#!/usr/bin/env bash
# pre-commit installs the hooks of .pre-commit-hooks.yaml from a locally built
# journey-cli wheel (nothing published) in under 2 minutes, passes a clean project and
# fails on a planted error. Called by .ci/run after the tests (the debug build is
# reused: `maturin build --profile dev`); skipped with a note when Python or the
# tools cannot be installed. Usage: .ci/precommit-wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD
limit=120

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  echo "note: python3 with venv is not available; skipping the pre-commit wheel check"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/tools"
if ! "$work/tools/bin/pip" install --quiet "maturin>=1.5,<2.0" pre-commit; then
  echo "note: maturin / pre-commit could not be installed; skipping the pre-commit wheel check"
  exit 0
fi
export PATH="$work/tools/bin:$PATH"

# 1. the wheel, from the same sources and target directory as the tests
(cd python/journey-cli && maturin build --profile dev --compatibility linux --out "$work/wheels" --quiet)
wheel=$(ls "$work"/wheels/journey_cli-*.whl)
echo "built $(basename "$wheel")"

# 2. the hook repository: what pre-commit clones (.pre-commit-hooks.yaml and the root
# pyproject.toml it pip-installs), as a commit of its own so uncommitted edits count
hooks="$work/hooks"
mkdir -p "$hooks"
cp .pre-commit-hooks.yaml pyproject.toml "$hooks/"
git -C "$hooks" init --quiet
git -C "$hooks" add -A
git -C "$hooks" -c user.name=ci -c user.email=ci@localhost commit --quiet -m hooks
rev=$(git -C "$hooks" rev-parse HEAD)

# 3. a journey project (not journeys/; examples/cdnow checks clean) in a git repository of its own
project="$work/project"
cp -R examples/cdnow "$project"
cat > "$project/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      # the hook package depends on journey-cli==VERSION; the local wheel provides it
      - id: journey-check
        additional_dependencies: ["$wheel"]
      - id: journey-fmt
        additional_dependencies: ["$wheel"]
YAML
git -C "$project" init --quiet
git -C "$project" add -A
export PRE_COMMIT_HOME="$work/pre-commit-home"

start=$(date +%s)
(cd "$project" && pre-commit install-hooks)
took=$(( $(date +%s) - start ))
echo "pre-commit installed the hooks from the wheel in ${took}s (limit ${limit}s)"
if [ "$took" -ge "$limit" ]; then
  echo "error: installing the hooks took ${took}s, over ${limit}s"
  exit 1
fi

# 4. a clean project passes
(cd "$project" && pre-commit run --all-files) || { echo "error: the hooks fail a clean project"; exit 1; }

# 5. a planted error (an event nobody declared) fails the check hook, formatting intact
cat > "$project/planted.journey" <<'JOURNEY'
journey planted {
  entry on no_such_event
  stage only {
    send email "planted-1"
  }
}
JOURNEY
git -C "$project" add -A
set +e
out=$(cd "$project" && pre-commit run --all-files 2>&1)
status=$?
set -e
echo "$out" | sed 's/^/  | /'
if [ "$status" -eq 0 ]; then
  echo "error: the hooks passed a project with a planted error"
  exit 1
fi
if ! echo "$out" | grep -q "J101"; then
  echo "error: the check hook did not report the planted unknown event (J101)"
  exit 1
fi
echo "pre-commit wheel check: ok (installed in ${took}s; clean project passes; planted J101 fails)"
