"""journey: customer journeys as code, from Python.

The same per-customer core as the `journey` CLI (crates/journey_run), built into this
package by maturin (crates/journey_py):

* ``Program.load(path)``: the project as ``journey check`` sees it; a program with
  errors raises ``ProgramError`` carrying the rendered diagnostics.
* ``simulate_arrow(program, batches, options)``: replay Arrow record batches (each
  customer's rows in time order) and return ``(trace batches, partial report JSON)``;
  partial reports merge with ``Program.merge`` exactly as ``journey merge`` merges them.
* ``journey.spark.simulate(df, program, ...)``: the same on a Spark DataFrame
  (docs/spark.md).
"""

from __future__ import annotations

import json
from typing import Iterable, List, Optional, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from ._journey import Program, ProgramError, ReplayError
from ._journey import simulate_ipc as _simulate_ipc

__all__ = ["Program", "ProgramError", "ReplayError", "ArrowRun", "simulate_arrow", "event_times", "to_ipc", "from_ipc"]


_loaded: dict = {}


def _load_program(path: str) -> Program:
    """How a pickled ``Program`` is loaded again (a Spark worker): once per process
    and path."""
    program = _loaded.get(path)
    if program is None:
        program = _loaded[path] = Program.load(path)
    return program


def to_ipc(data: Union[pa.RecordBatch, pa.Table]) -> bytes:
    """A record batch (or table) as Arrow IPC stream bytes, how batches cross into Rust."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write(data)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> List[pa.RecordBatch]:
    """The record batches of Arrow IPC stream bytes."""
    return list(pa.ipc.open_stream(data))


def event_times(program: Program, batch: Union[pa.RecordBatch, pa.Table]) -> pa.Array:
    """The time of each row (ms UTC, int64) as the replay parses it, null where the
    row is not an event: the sort key and the span of a run."""
    return pa.ipc.open_stream(program.event_times(to_ipc(batch))).read_all().column(0).combine_chunks()


class ArrowRun(tuple):
    """``(trace batches, partial report JSON)``, with the rows skipped as bad
    (``skip_bad_rows``) counted per kind in ``.skipped``."""

    skipped: dict

    def __new__(cls, trace: List[pa.RecordBatch], partial: str, skipped: dict) -> "ArrowRun":
        run = super().__new__(cls, (trace, partial))
        run.skipped = skipped
        return run

    @property
    def trace(self) -> List[pa.RecordBatch]:
        return self[0]

    @property
    def partial(self) -> str:
        return self[1]


def period(program: Program, batches: Iterable[pa.RecordBatch], options: dict) -> Tuple[int, int]:
    """The simulated period (first and last instant, ms UTC) of ``options``: ``start``
    and ``until`` as given, else whole days from ``from``/``to`` (YYYY-MM-DD), else
    the days of the rows' first and last event, as ``journey simulate`` takes it."""
    if "start" in options and "until" in options:
        return int(options["start"]), int(options["until"])
    first = last = None
    if not (options.get("from") and options.get("to")):
        for b in batches:
            t = event_times(program, b)
            lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
            if lo is not None:
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
    return program.period(first, last, options.get("from"), options.get("to"))


def simulate_arrow(
    program: Union[Program, str],
    batches: Iterable[Union[pa.RecordBatch, pa.Table]],
    options: Optional[dict] = None,
    attributes: Optional[pa.Table] = None,
) -> ArrowRun:
    """Replay record batches through the program with the core of ``journey simulate``.

    Each customer's rows must come in time order (ties in log order); columns are
    mapped by ``events:`` of journey.yaml, as for files. Options: ``from``/``to``
    (YYYY-MM-DD) or ``start``/``until`` (ms UTC; default: the rows' span), ``seed`` (1),
    ``quiet_hours`` ("defer"), ``skip_bad_rows`` (False), ``trace`` (True), ``name``
    (names the rows in messages). ``attributes``: the attribute snapshot of these
    customers (strings, a ``customer_id`` column). Returns ``(trace batches, partial
    report JSON)``; a bad row raises ``ReplayError``.
    """
    if not isinstance(program, Program):
        program = Program.load(str(program))
    options = dict(options or {})
    batches = [b for b in batches]
    start, until = period(program, batches, options)
    trace, partial, skipped = _simulate_ipc(
        program,
        (to_ipc(b) for b in batches),
        start,
        until,
        options,
        attributes_csv(attributes) if attributes is not None else None,
    )
    return ArrowRun(from_ipc(trace) if trace is not None else [], partial, json.loads(skipped))


def attributes_csv(table: Union[pa.Table, pa.RecordBatch]) -> bytes:
    """An attribute snapshot as the CSV bytes the snapshot reader reads (every value
    written as text; nulls empty)."""
    import pyarrow.csv as pacsv

    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    table = table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()
