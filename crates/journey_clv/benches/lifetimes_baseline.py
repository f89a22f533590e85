"""Time the Python `lifetimes` package (0.11.3) on the benchmark's customers.

Usage (after `CLV_BENCH_CSV=DIR cargo bench -p journey_clv --bench fit_bgnbd`,
which writes DIR/bgnbd_1m.csv):

    python3 -m venv /tmp/lifetimes-venv && /tmp/lifetimes-venv/bin/pip install lifetimes
    /tmp/lifetimes-venv/bin/python crates/journey_clv/benches/lifetimes_baseline.py DIR/bgnbd_1m.csv

Fits BetaGeoFitter on all rows, then on distinct rows with the `weights`
option, and prints seconds and parameters for each.
"""
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter

path = sys.argv[1]
data = pd.read_csv(path)
print(f"customers: {len(data)}")

t = time.perf_counter()
plain = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
print(f"lifetimes fit, all rows:      {time.perf_counter() - t:.2f} s  {plain.params_.round(4).to_dict()}")

t = time.perf_counter()
grouped = data.groupby(["frequency", "recency", "T"]).size().rename("weights").reset_index()
weighted = BetaGeoFitter().fit(grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["weights"])
print(f"lifetimes fit, weighted rows: {time.perf_counter() - t:.2f} s  ({len(grouped)} rows) {weighted.params_.round(4).to_dict()}")
