#!/usr/bin/env python3
"""Throughput of `journey.spark.simulate` in local[2] next to `journey simulate` (one
process) on the same generated log, measured in the same run (issue 16, docs/spark.md).

    python3 benches/spark.py [--events 10000000] [--partitions 4] [--bin target/release/journey]

Needs the `journey` package installed (tests/spark/run.sh builds it; a release wheel:
`cd python && maturin build --release`), pyspark and Java 17. The log is
made by `journey events generate` for the B2B test project (about 0.39 events per
customer and day), written once under target/spark-bench/ and reused. Prints events/s
of both, their ratio, and checks that the two reports are equal.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
B2B = ROOT / "tests" / "projects" / "b2b"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000, help="about how many events to generate")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "journey"))
    ap.add_argument("--days", type=int, default=300)
    args = ap.parse_args()
    journey_bin = args.bin if Path(args.bin).exists() else str(ROOT / "target" / "debug" / "journey")
    build = "release" if "release" in journey_bin else "debug"

    # about 0.39 events per customer and day for this project's generator: 128,205
    # customers over 300 days gave 14.9M events (an older estimate of 0.26 overshot
    # a 10M request by half)
    customers = max(100, int(args.events / (0.387 * args.days)))
    work = ROOT / "target" / "spark-bench"
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"b2b-{customers}c-{args.days}d.csv"
    if not log.exists():
        t = time.perf_counter()
        subprocess.run(
            [journey_bin, "events", "generate", "--customers", str(customers), "--days", str(args.days),
             "--seed", "5", "-o", str(log)],
            cwd=B2B, check=True,
        )
        print(f"generated {log.name} in {time.perf_counter() - t:.1f}s")

    # 1. one process: `journey simulate` (its default threads)
    t = time.perf_counter()
    done = subprocess.run([journey_bin, "simulate", "--events", str(log), "--format", "json"],
                          cwd=B2B, check=True, capture_output=True, text=True)
    cli_s = time.perf_counter() - t
    expected = done.stdout
    events = json.loads(expected)["events"]

    # 2. Spark local[2]
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    import journey
    import journey.spark
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("journey-spark-bench")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "3g")
             .config("spark.sql.shuffle.partitions", str(args.partitions)).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    program = journey.Program.load(str(B2B))
    df = spark.read.option("header", True).option("inferSchema", False).csv(str(log))
    t = time.perf_counter()
    run = journey.spark.simulate(df, program, partitions=args.partitions, trace=False)
    spark_s = time.perf_counter() - t
    spark.stop()

    same = run.report_json == expected
    print(f"log: {log.name}, {events:,} events ({build} build of journey and the wheel)")
    print(f"journey simulate (one process):      {cli_s:8.1f} s  {events / cli_s:12,.0f} events/s")
    print(f"journey.spark.simulate local[2], {args.partitions} parts: {spark_s:6.1f} s  {events / spark_s:12,.0f} events/s")
    print(f"ratio spark / one process: {cli_s / spark_s:.2f}x")
    print(f"reports equal byte for byte: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
