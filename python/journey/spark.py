"""``journey.spark.simulate``: replay a Spark DataFrame of events through the journeys.

No new engine and no home-made cluster: Spark partitions the log by customer, and
each partition runs the core of ``journey simulate`` (crates/journey_run) through
``mapInArrow``; the partial reports merge as ``journey merge`` merges them, so the
report equals ``journey simulate --format json`` on the same log byte for byte, for any
number of partitions (the CLV estimate is refitted from the parts' compressed rows).

The steps (docs/spark.md):

1. Each row gets its position in the log (``monotonically_increasing_id`` before any
   shuffle: a customer's events at the same instant keep their log order, as a file
   replay reads them) and its time as the replay parses it (a string column in a
   mapped format sorts as text, not as time).
2. The period is the given days, else the days of the first and last event.
3. Rows are hash-partitioned by customer and sorted within partitions by (customer,
   time, position); each partition is replayed and yields its trace rows and one
   partial report (which names the customers it covers, so overlapping parts are
   refused at the merge).
4. The partial reports are merged on the driver.

With an attribute snapshot, events and attributes are grouped by the same hash bucket
of the customer and replayed per bucket (``cogroup().applyInArrow``), so that each
bucket's profile-only customers are simulated once, by their own bucket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Union

import pyarrow as pa

from . import Program, attributes_csv, event_times, from_ipc, to_ipc
from ._journey import simulate_ipc as _simulate_ipc

SEQ = "_journey_seq"
TIME = "_journey_time"
BUCKET = "_journey_bucket"
ACCOUNT = "_journey_account"
ACCOUNT_KEY = "_journey_account_customer"
PARTIAL = "_journey_partial"
SKIPPED = "_journey_skipped"
TRACE_COLUMNS = ["time", "customer", "journey", "node", "kind", "channel", "template", "reason"]


@dataclass
class SparkRun:
    """What ``simulate`` returns."""

    #: every action (time, customer, journey, node, kind, channel, template, reason)
    trace: "pyspark.sql.DataFrame"  # noqa: F821
    #: the merged report, as ``journey merge --format json`` prints it
    report_json: str
    #: the merged report as the HTML page of ``journey merge --html`` (when asked)
    html: Optional[str] = None
    #: bad rows skipped (``skip_bad_rows``), per kind, over all partitions
    skipped: dict = field(default_factory=dict)
    #: the partial reports, one per partition, in partition order
    partials: list = field(default_factory=list)

    @property
    def report(self) -> dict:
        return json.loads(self.report_json)


def _column(df, mapped: str) -> str:
    """A mapped column's name in the DataFrame: by name, or ``#N`` for the N-th
    column (a mapping of a header-less file)."""
    if mapped.startswith("#"):
        return df.columns[int(mapped[1:]) - 1]
    if mapped not in df.columns:
        raise ValueError(f"the DataFrame has no column `{mapped}` (columns: {', '.join(df.columns)})")
    return mapped


def _out_schema():
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    fields = [StructField("time", LongType(), True)]
    fields += [StructField(c, StringType(), True) for c in TRACE_COLUMNS[1:]]
    fields += [StructField(PARTIAL, StringType(), True), StructField(SKIPPED, StringType(), True)]
    return StructType(fields)


def _with_meta(trace: pa.RecordBatch) -> pa.RecordBatch:
    """A trace batch in the output schema: time as int64 ms, no partial report."""
    n = trace.num_rows
    cols = [trace.column(0).cast(pa.int64())] + [trace.column(i) for i in range(1, len(TRACE_COLUMNS))]
    cols += [pa.nulls(n, pa.string()), pa.nulls(n, pa.string())]
    return pa.RecordBatch.from_arrays(cols, names=TRACE_COLUMNS + [PARTIAL, SKIPPED])


def _summary_row(partial: str, skipped: str) -> pa.RecordBatch:
    """A partition's last row: its partial report and skipped rows, no trace."""
    cols = [pa.nulls(1, pa.int64())] + [pa.nulls(1, pa.string()) for _ in TRACE_COLUMNS[1:]]
    cols += [pa.array([partial], pa.string()), pa.array([skipped], pa.string())]
    return pa.RecordBatch.from_arrays(cols, names=TRACE_COLUMNS + [PARTIAL, SKIPPED])


def _replay(program: Program, items, start: int, until: int, options: dict, attributes: Optional[bytes]):
    """Replay one partition (an iterator of IPC bytes); yields output batches."""
    trace, partial, skipped = _simulate_ipc(program, items, start, until, options, attributes)
    if trace is not None:
        for b in from_ipc(trace):
            if b.num_rows:
                yield _with_meta(b)
    yield _summary_row(partial, skipped)


def simulate(
    df,
    program: Union[Program, str],
    attributes_df=None,
    *,
    partitions: Optional[int] = None,
    from_day: Optional[str] = None,
    to_day: Optional[str] = None,
    seed: int = 1,
    quiet_hours: str = "defer",
    skip_bad_rows: bool = False,
    trace: bool = True,
    html: bool = False,
) -> SparkRun:
    """Replay the events of ``df`` through ``program`` (a ``Program`` or the path of a
    project) on Spark.

    Columns are mapped by ``events:`` of the project's journey.yaml, as for files
    (strings in the mapped formats, or Spark types: integers, doubles, booleans, dates,
    timestamps). ``attributes_df``: the attribute snapshot (a ``customer_id`` column,
    else the first, and the attributes as strings). ``partitions``: how many parts
    (default: Spark's default parallelism). ``from_day``/``to_day``: the period
    (YYYY-MM-DD; default: the log's first and last day). A bad row raises an error
    naming it (``skip_bad_rows`` counts it instead).
    """
    from pyspark import StorageLevel, TaskContext
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    if not isinstance(program, Program):
        program = Program.load(str(program))
    spark = df.sparkSession
    n = int(partitions or spark.sparkContext.defaultParallelism)
    columns = program.columns()
    customer = _column(df, columns["customer"])
    options = {"seed": int(seed), "quiet_hours": quiet_hours, "skip_bad_rows": bool(skip_bad_rows), "trace": bool(trace)}

    # 1. log position (before any shuffle) and the parsed time
    ordered = df.withColumn(SEQ, F.monotonically_increasing_id())
    timed_schema = StructType(ordered.schema.fields + [StructField(TIME, LongType(), True)])

    def add_times(batches):
        for b in batches:
            yield pa.RecordBatch.from_arrays(b.columns + [event_times(program, b)], names=b.schema.names + [TIME])

    timed = ordered.mapInArrow(add_times, timed_schema).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        # 2. the period
        if from_day and to_day:
            first = last = None
        else:
            row = timed.agg(F.min(TIME), F.max(TIME)).first()
            first, last = row[0], row[1]
        start, until = program.period(first, last, from_day, to_day)

        # 3. partition by customer, sort, replay
        key = F.col(customer).cast("string")
        sort = [key, F.col(TIME), F.col(SEQ)]
        if attributes_df is None:
            parts = timed.repartition(n, key).sortWithinPartitions(*sort)

            def run(batches):
                name = f"spark partition {TaskContext.get().partitionId()}"
                items = (to_ipc(b) for b in batches)
                yield from _replay(program, items, start, until, dict(options, name=name), None)

            out = parts.mapInArrow(run, _out_schema())
        else:
            attr_key = attributes_df.columns[0]
            if "customer_id" in attributes_df.columns:
                attr_key = "customer_id"
            bucket = lambda k: F.pmod(F.hash(k), F.lit(n))  # noqa: E731  (Spark's own partitioning)
            account = columns.get("account")
            by_account = bool(account and account in attributes_df.columns)
            if by_account:
                # Accounts: a condition on `account.count(…)` reads the events of every
                # customer of the account, so an account's customers share one part.
                # The part is chosen by the account (from the snapshot), else by the
                # customer; the replay itself still reads the account from the snapshot.
                def group(cust, acct):
                    return F.coalesce(F.concat(F.lit("account:"), acct), F.concat(F.lit("customer:"), cust))

                attr_customer = F.col(attr_key).cast("string")
                owners = attributes_df.groupBy(attr_customer.alias(ACCOUNT_KEY)).agg(
                    F.min(F.col(account).cast("string")).alias(ACCOUNT)
                )
                events = (
                    timed.join(owners, key == F.col(ACCOUNT_KEY), "left")
                    .withColumn(BUCKET, bucket(group(key, F.col(ACCOUNT))))
                    .drop(ACCOUNT_KEY, ACCOUNT)
                )
                # every row of a customer follows the customer's one account (a
                # customer listed twice stays in one part, where the replay reports it
                # as the CLI does)
                attrs = (
                    attributes_df.join(owners, attr_customer == F.col(ACCOUNT_KEY), "left")
                    .withColumn(BUCKET, bucket(group(attr_customer, F.col(ACCOUNT))))
                    .drop(ACCOUNT_KEY, ACCOUNT)
                )
            else:
                events = timed.withColumn(BUCKET, bucket(key))
                attrs = attributes_df.withColumn(BUCKET, bucket(F.col(attr_key).cast("string")))
            sort_keys = [(customer, "ascending"), (TIME, "ascending"), (SEQ, "ascending")]

            def run_bucket(left: pa.Table, right: pa.Table) -> pa.Table:
                b = left.column(BUCKET)[0].as_py() if left.num_rows else right.column(BUCKET)[0].as_py()
                # the customer key sorts as text, as the repartitioned path sorts it
                if by_account:
                    # with accounts the replay takes the log in time order (a colleague's
                    # event is seen when it happens), ties in log order, as the CLI
                    left = left.sort_by([(TIME, "ascending"), (SEQ, "ascending")]).drop_columns([BUCKET])
                else:
                    left = left.append_column("_journey_key", left.column(customer).cast(pa.string()))
                    left = left.sort_by([("_journey_key", "ascending")] + sort_keys[1:]).drop_columns(["_journey_key", BUCKET])
                items = (to_ipc(x) for x in left.to_batches() if x.num_rows)
                snapshot = attributes_csv(right.drop_columns([BUCKET]))
                batches = list(_replay(program, items, start, until, dict(options, name=f"spark bucket {b}"), snapshot))
                return pa.Table.from_batches(batches)

            out = events.groupBy(BUCKET).cogroup(attrs.groupBy(BUCKET)).applyInArrow(run_bucket, _out_schema())
        out = out.persist(StorageLevel.MEMORY_AND_DISK)
        # 4. merge (in partition order: the merged report does not depend on it, the
        # list of partials does)
        rows = out.where(F.col(PARTIAL).isNotNull()).select(PARTIAL, SKIPPED).collect()
    finally:
        timed.unpersist()
    partials = [r[0] for r in rows]
    partials.sort(key=lambda p: json.loads(p).get("coverage", {}).get("key_sum", ""))
    report_json = program.merge(partials)
    skipped: dict = {}
    for r in rows:
        for k, v in json.loads(r[1]).items():
            if isinstance(v, dict):
                into = skipped.setdefault(k, {})
                for name, c in v.items():
                    into[name] = into.get(name, 0) + c
            else:
                skipped[k] = skipped.get(k, 0) + v
    page = program.merge_html(partials, ["spark DataFrame"]) if html else None
    trace_df = out.where(F.col(PARTIAL).isNull()).select(
        F.timestamp_millis(F.col("time")).alias("time"), *[F.col(c) for c in TRACE_COLUMNS[1:]]
    )
    return SparkRun(trace=trace_df, report_json=report_json, html=page, skipped=skipped, partials=partials)
