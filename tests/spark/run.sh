#!/usr/bin/env bash
# The Spark test of issue 16 (docs/spark.md): the `journey` Python package built from
# this workspace with maturin, pyspark from PyPI and the machine's Java 17, Spark in
# local[2] mode. The report of `journey.spark.simulate` must equal `journey simulate
# --format json` byte for byte for 1, 2 and 7 partitions, on a generated log of the B2B
# project (with and without its attribute snapshot) and on CDNOW; a program with
# errors is refused; bad rows are errors or counted skips.
#
# The wheel reuses the debug build of the tests (`maturin build --profile dev`, same
# target/ and Cargo.lock, the same features): after `cargo test --workspace` only
# pyo3 and journey_py are compiled again (maturin sets PYO3_BUILD_EXTENSION_MODULE).
# Skipped with a note when Java, Python with venv, or the packages are unavailable.
# Usage: tests/spark/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$(date +%s)

# Java 17: `java` on PATH, else the machine's JDK under /usr/lib/jvm
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -q 'version "17'; then
  for home in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*17*; do
    if [ -x "$home/bin/java" ]; then
      export JAVA_HOME="$home" PATH="$home/bin:$PATH"
      break
    fi
  done
fi
if ! command -v java >/dev/null 2>&1; then
  echo "note: no Java (17) found on PATH or under /usr/lib/jvm; skipping the Spark test"
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  echo "note: python3 with venv is not available; skipping the Spark test"
  exit 0
fi

# A virtual environment in target/ (kept between runs: pyspark is a large download).
# It sees the machine's packages, so an installed pyspark is not fetched again.
venv=$root/target/spark-venv
[ -x "$venv/bin/python" ] || python3 -m venv --system-site-packages "$venv"
py=$venv/bin/python
# pandas: pyspark's mapInArrow imports it (>= 2.2); a clean machine has none
if ! "$py" -c "import pyspark, pyarrow, pandas, pytest" >/dev/null 2>&1; then
  if ! "$py" -m pip install --quiet "pyspark>=4.0,<5" "pyarrow>=14" "pandas>=2.2,<3" pytest; then
    echo "note: pyspark / pyarrow / pandas / pytest could not be installed; skipping the Spark test"
    exit 0
  fi
fi
# maturin: the machine's, else one in the environment
maturin=$(command -v maturin || true)
if [ -z "$maturin" ]; then
  [ -x "$venv/bin/maturin" ] || "$py" -m pip install --quiet "maturin>=1.9.4,<2.0" || {
    echo "note: maturin could not be installed; skipping the Spark test"
    exit 0
  }
  maturin=$venv/bin/maturin
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The CLI the reports are compared with and the wheel, from the debug build of the
# tests (a no-op after `cargo test --workspace`; it builds target/debug/journey too).
cargo test --workspace --no-run --quiet
# The wheel's crate resolves features alone (`-p journey_py`); crates/journey_py/
# Cargo.toml mirrors the test build's features so nothing is rebuilt but pyo3 and
# journey_py. Say so when they drift (the test still runs, only slower).
cargo tree --workspace -e normal,build,dev -f '{p}|{f}' --prefix none > "$work/features-tests.txt"
cargo tree -p journey_py -e normal,build -f '{p}|{f}' --prefix none > "$work/features-wheel.txt"
"$py" - "$work/features-tests.txt" "$work/features-wheel.txt" <<'PY' || true
import sys

def load(path):
    out = {}
    for line in open(path):
        if "|" not in line:
            continue
        pkg, feats = line.strip().split("|", 1)
        pkg = pkg.replace(" (*)", "").replace(" (proc-macro)", "").strip()
        out.setdefault(pkg, set()).update(f for f in feats.replace(" (*)", "").split(" ")[0].split(",") if f)
    return out

tests, wheel = load(sys.argv[1]), load(sys.argv[2])
drift = [p for p in sorted(wheel) if p in tests and tests[p] != wheel[p]]
for p in drift:
    print(f"note: {p}: the test build enables {sorted(tests[p] - wheel[p])}, the wheel build does not")
if drift:
    print("note: add these features to crates/journey_py/Cargo.toml, or the wheel rebuilds them")
    sys.exit(1)
PY
(cd python && "$maturin" build --profile dev --compatibility linux --out "$work/wheels" --quiet)
"$py" -m pip install --quiet --force-reinstall --no-deps "$work"/wheels/journey-*.whl
built=$(date +%s)
echo "spark test: wheel built and installed in $((built - started))s"

export JOURNEY_BIN=$root/target/debug/journey
export PYSPARK_PYTHON=$py PYSPARK_DRIVER_PYTHON=$py
# the tests run from their own directory: `import journey` is the installed wheel,
# never the sources under python/
(cd "$work" && "$py" -m pytest -q -p no:cacheprovider "$root/tests/spark/test_spark.py" "$@")
echo "spark test: done in $(($(date +%s) - started))s"
