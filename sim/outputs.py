"""Output files: CSV exactly as the csv module writes it, or typed Parquet with the same values.

Small tables (ledger, states, notifications) go through the csv module row by row. The
usage table can hold millions of lines, so it is written block by block: as CSV text
joined from pieces formatted once (`usage_csv.py`, byte-identical to the csv module's
output), or as Parquet with pyarrow.
Parquet holds the same rows with real types (`sim.tables`): decimal money, zoned
timestamps, integers, dictionary-encoded categories; null where the CSV cell is empty.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .clock import Clock, remembered
from .money import fmt_e8, from_e8
from .rating import HOUR
from .tables import MONEY, schema
from .usage import NOT_SETTLED, Block, Usage
from .usage_csv import write_usage_csv

FORMATS = ("csv", "parquet")
USAGE_COLUMNS = ["phone", "cycle_start", "cycle_end", "seconds", "amount", "settled_at"]


def write_rows(path: Path, header: list[str], rows: Iterable[Sequence]) -> None:
    """A small table as CSV, through the csv module."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_typed(path: Path, table: str, zone: str, columns: dict[str, Sequence]) -> None:
    """A small table as typed Parquet: `columns` hold epoch seconds, Decimals, ints, text
    (None where the CSV cell is empty)."""
    typed = schema(table, zone)
    pq.write_table(pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in typed},
                            schema=typed), path)


def write_usage(path: Path, usage: Usage, ids: Sequence[str], iso: Callable[[int], str],
                fmt: str, zone: str = "UTC",
                progress: Callable[[int], None] | None = None) -> dict | None:
    """The usage table, block by block: one Parquet row group, or one CSV chunk, per block.

    `progress(lines)` is called as each block of `lines` bill lines is taken to be written.
    Returns the CSV file's {"bytes", "sha256"}, hashed as it was written (None: Parquet,
    small enough to be hashed afterwards).
    """
    if progress is not None:
        usage = _Reporting(usage, progress)
    if fmt == "parquet":
        _write_usage_parquet(path, usage, _TypedUsage(ids, zone))
        return None
    return write_usage_csv(path, usage, ids, remembered(iso))  # cycle ends: next cycle's starts


def write_usage_daily(path: Path, usage: Usage, ids: Sequence[str], clock: Clock, fmt: str,
                      progress: Callable[[int], None] | None = None) -> None:
    """The usage table summed per phone and local day (`usage_daily.py`), CSV or Parquet.

    `progress(lines)` is called as each block of `lines` bill lines has been summed.
    """
    from .usage_daily import daily_blocks, write_daily_csv, write_daily_parquet

    blocks = daily_blocks(usage, clock.day_start, clock.next_day_start, progress=progress)
    if fmt == "parquet":
        write_daily_parquet(path, blocks, ids, clock.zone_name)
    else:
        write_daily_csv(path, blocks, ids, remembered(clock.iso))


class _Reporting:
    """A Usage whose blocks report their line counts as they are handed out."""

    def __init__(self, usage: Usage, progress: Callable[[int], None]):
        self.usage, self.progress = usage, progress
        self.count = usage.count
        self.rate_of = usage.rate_of  # the CSV writer formats each rate once

    def blocks(self, **kwargs):
        for block in self.usage.blocks(**kwargs):
            yield block
            self.progress(len(block.lines))


def _write_usage_parquet(path: Path, usage: Usage, tables: _TypedUsage) -> None:
    # The Arrow schema is stored in the file: it carries the zone of the timestamps.
    # No min/max statistics: they cost writing time and no reader of ours uses them.
    with (pq.ParquetWriter(path, tables.schema, write_statistics=False) as writer,
          ThreadPoolExecutor(max_workers=1) as pool):
        # pyarrow writes without the GIL: block i is written while block i+1 is made.
        writing = pool.submit(lambda: None)
        for block in usage.blocks():
            table = tables.of(block)
            writing.result()
            writing = pool.submit(writer.write_table, table)
        writing.result()
        if not usage.count:
            writer.write_table(tables.schema.empty_table())


def usage_rows(block: Block, ids: Sequence[str], iso: Callable[[int], str]):
    """One block's rows as the csv module is given them (the reference for the fast path)."""
    lines = block.lines
    settled = block.settled[block.which]
    for k, c, s, a, d in zip(lines.phone.tolist(), lines.cycle_start.tolist(),
                             lines.seconds.tolist(), lines.amount_e8.tolist(),
                             settled.tolist()):
        yield ids[k], iso(c), iso(c + HOUR), s, fmt_e8(a), "" if d == NOT_SETTLED else iso(d)


def _write_usage_csv_module(path: Path, usage: Usage, ids: Sequence[str],
                            iso: Callable[[int], str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(USAGE_COLUMNS)
        for block in usage.blocks():
            writer.writerows(usage_rows(block, ids, iso))


class _TypedUsage:
    """Typed Arrow tables of usage blocks, column by column (no Python per line)."""

    def __init__(self, ids: Sequence[str], zone: str):
        self.ids = pa.array(ids, type=pa.string())
        self.schema = schema("usage", zone)
        self.time = self.schema.field("cycle_start").type

    def of(self, block: Block) -> pa.Table:
        lines = block.lines
        phone = lines.phone.astype(np.int32)
        # Only this block's ids in its dictionary (a Parquet row group).
        present = np.zeros(len(self.ids), dtype=bool)
        present[phone] = True
        phone = (np.cumsum(present, dtype=np.int32) - 1)[phone]
        ids = self.ids.take(pa.array(np.flatnonzero(present)))
        settled = block.settled[block.which]
        return pa.table([
            pa.DictionaryArray.from_arrays(pa.array(phone), ids),
            pa.array(lines.cycle_start, type=self.time),
            pa.array(lines.cycle_start + HOUR, type=self.time),
            pa.array(lines.seconds, type=pa.int64()),
            _decimal_amounts(lines.amount_e8),
            pa.array(settled, mask=settled == NOT_SETTLED, type=self.time),
        ], schema=self.schema)


def _decimal_amounts(amount_e8: np.ndarray) -> pa.Array:
    """Exact decimal amounts, built in numpy: a decimal128 with 8 places is the integer count
    of 1e-8 as 16 little-endian bytes (low word, then the sign-extended high word)."""
    if amount_e8.dtype == object:  # exact Python integers (extreme prices)
        return pa.array([from_e8(int(a)) for a in amount_e8], type=MONEY)
    words = np.empty((len(amount_e8), 2), dtype="<i8")
    words[:, 0] = amount_e8
    words[:, 1] = amount_e8 >> 63
    return pa.Array.from_buffers(MONEY, len(amount_e8), [None, pa.py_buffer(words)])
