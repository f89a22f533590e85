"""journey on Spark (tests/spark/run.sh builds the wheel and runs this in local[2]).

The oracle is the CLI: `journey simulate --format json` on the same log and project.
Projects: tests/projects/b2b (a log made by `journey events generate`, with and
without its attribute snapshot) and examples/cdnow (the CDNOW sample of
tests/data/cdnow), never journeys/.
"""

import csv
import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

import journey
import journey.spark

ROOT = Path(__file__).resolve().parents[2]
B2B = ROOT / "tests" / "projects" / "b2b"
CDNOW = ROOT / "examples" / "cdnow"
CDNOW_LOG = ROOT / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
JOURNEY = os.environ.get("JOURNEY_BIN", str(ROOT / "target" / "debug" / "journey"))


def cli(cwd, *args):
    done = subprocess.run([JOURNEY, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("journey-spark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # a zone unlike the projects' own: the times must not depend on it
        .config("spark.sql.session.timeZone", "Asia/Tokyo")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def b2b_log(tmp_path_factory):
    """A generated log and attribute snapshot of the B2B project."""
    d = tmp_path_factory.mktemp("b2b")
    log, attrs = d / "events.csv", d / "attributes.csv"
    cli(B2B, "events", "generate", "--customers", "1500", "--days", "75", "--seed", "11",
        "-o", log, "--attributes", attrs)
    return log, attrs


def read_csv(spark, path):
    # every column a string, as the CLI's CSV reader sees it
    return spark.read.option("header", True).option("inferSchema", False).csv(str(path))


@pytest.fixture(scope="session")
def b2b_program():
    return journey.Program.load(str(B2B))


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_b2b_report_equals_the_cli_byte_for_byte(spark, b2b_log, b2b_program, partitions):
    log, _ = b2b_log
    expected = cli(B2B, "simulate", "--events", log, "--format", "json")
    run = journey.spark.simulate(read_csv(spark, log), b2b_program, partitions=partitions, trace=False)
    assert run.report_json == expected
    assert len(run.partials) == partitions
    assert run.report["events"] > 10_000


@pytest.mark.parametrize("partitions", [2, 7])
def test_b2b_with_attributes_equals_the_cli(spark, b2b_log, b2b_program, partitions):
    log, attrs = b2b_log
    expected = cli(B2B, "simulate", "--events", log, "--attributes", attrs, "--format", "json")
    run = journey.spark.simulate(
        read_csv(spark, log), b2b_program, read_csv(spark, attrs), partitions=partitions, trace=False
    )
    assert run.report_json == expected
    # the snapshot decides who exists when: the run differs from the one without it
    assert run.report_json != cli(B2B, "simulate", "--events", log, "--format", "json")


def cdnow_frame(spark):
    """The whitespace-separated CDNOW sample as five string columns."""
    from pyspark.sql import functions as F

    parts = F.split(F.trim(F.col("value")), r"\s+")
    return spark.read.text(str(CDNOW_LOG)).select(*[parts.getItem(i).alias(f"c{i + 1}") for i in range(5)])


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_cdnow_report_equals_the_cli_byte_for_byte(spark, partitions):
    expected = cli(CDNOW, "simulate", "--format", "json")
    run = journey.spark.simulate(cdnow_frame(spark), str(CDNOW), partitions=partitions, trace=False)
    assert run.report_json == expected
    # the CLV estimate is made (refitted from the parts' rows), not dropped
    assert run.report["clv_estimate"]["baseline"]["buyers"] > 2000


def test_trace_holds_the_cli_trace(spark, tmp_path):
    trace = tmp_path / "trace.csv"
    cli(CDNOW, "simulate", "--trace", trace)
    with open(trace, newline="") as f:
        rows = list(csv.reader(f))
    header, expected = rows[0], sorted(tuple(r) for r in rows[1:])
    run = journey.spark.simulate(cdnow_frame(spark), str(CDNOW), partitions=3)
    got = []
    for r in run.trace.collect():
        t = r["time"].astimezone(datetime.timezone.utc)
        # as the CLI writes times: milliseconds only when there are some
        ms = t.microsecond // 1000
        t = t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ms:03d}" if ms else "") + "Z"
        got.append(tuple([t] + [r[c] or "" for c in header[1:]]))
    assert header == journey.spark.TRACE_COLUMNS
    assert sorted(got) == expected
    assert len(expected) > 1000


def test_a_program_with_errors_is_refused(spark, tmp_path, b2b_log):
    project = tmp_path / "b2b"
    shutil.copytree(B2B, project)
    (project / "journeys" / "planted.journey").write_text(
        'journey planted {\n  entry on no_such_event\n  stage only {\n    send email "planted-1"\n  }\n}\n'
    )
    with pytest.raises(journey.ProgramError) as e:
        journey.Program.load(str(project))
    assert "J101" in str(e.value) and "planted.journey" in str(e.value)
    with pytest.raises(journey.ProgramError):
        journey.spark.simulate(read_csv(spark, b2b_log[0]), str(project))


def test_bad_rows_are_errors_or_counted_skips(spark, tmp_path, b2b_program):
    log = tmp_path / "bad.csv"
    log.write_text(
        "customer_id,timestamp,event\n"
        "c1,2025-01-02T10:00:00Z,login\n"
        "c1,2025-01-03T10:00:00Z,no_such_event\n"
        "c2,not a time,login\n"
    )
    from pyspark.errors import PythonException

    with pytest.raises(PythonException) as e:
        journey.spark.simulate(read_csv(spark, log), b2b_program, partitions=2, from_day="2025-01-01", to_day="2025-01-31")
    assert "no_such_event" in str(e.value) or "not a time" in str(e.value)
    run = journey.spark.simulate(read_csv(spark, log), b2b_program, partitions=2, skip_bad_rows=True)
    assert run.skipped["unknown_event"] == 1 and run.skipped["unparsable_time"] == 1
    assert run.skipped["unknown_event_names"] == {"no_such_event": 1}
    assert run.report["events"] == 1


def test_simulate_arrow_and_the_merge_refuses_overlaps(b2b_log, b2b_program):
    log, _ = b2b_log
    import pyarrow.csv as pacsv

    names = log.read_text().split("\n", 1)[0].split(",")
    strings = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False)
    table = pacsv.read_csv(str(log), convert_options=strings)
    # each customer's rows in time order, ties in log order (a stable sort)
    table = table.append_column("_i", pa.array(range(table.num_rows)))
    table = table.sort_by([("customer_id", "ascending"), ("timestamp", "ascending"), ("_i", "ascending")])
    trace, partial = journey.simulate_arrow(b2b_program, table.to_batches(max_chunksize=4096))
    expected = cli(B2B, "simulate", "--events", log, "--format", "json")
    assert b2b_program.merge([partial]) == expected
    assert sum(b.num_rows for b in trace) > 0
    # the same part twice would count its customers twice: refused
    with pytest.raises(journey.ReplayError, match="same partial report"):
        b2b_program.merge([partial, partial])
