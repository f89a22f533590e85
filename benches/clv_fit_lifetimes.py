"""The baseline of `cargo bench --bench clv_fit`: the Python `lifetimes` package
(0.11.3) fitting BG/NBD to an RFM summary CSV the way its documentation shows,
with its `weights` option on the distinct (frequency, recency, T) rows, which is
its fastest form.

The bench runs this script as a command, so its time is end to end like
`journey clv fit`'s: the interpreter starting, the imports, reading the file,
compressing the rows and the fit. It prints one JSON line: the parameters, the
number of distinct rows and the seconds of each step inside the process.

    python3 -m venv /tmp/lifetimes-venv && /tmp/lifetimes-venv/bin/pip install lifetimes
    /tmp/lifetimes-venv/bin/python benches/clv_fit_lifetimes.py SUMMARY.csv
"""
import json
import sys
import time

start = time.perf_counter()
import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter  # noqa: E402

imported = time.perf_counter()
data = pd.read_csv(sys.argv[1])
read = time.perf_counter()
grouped = data.groupby(["frequency", "recency", "T"]).size().rename("weights").reset_index()
compressed = time.perf_counter()
fit = BetaGeoFitter().fit(grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["weights"])
fitted = time.perf_counter()
print(
    json.dumps(
        {
            "customers": len(data),
            "distinct_rows": len(grouped),
            "params": {k: float(v) for k, v in fit.params_.items()},
            "seconds": {
                "import": imported - start,
                "read": read - imported,
                "compress": compressed - read,
                "fit": fitted - compressed,
            },
        }
    )
)
