"""Output files: CSV exactly as the csv module writes it, or Parquet with the same strings.

Small tables (ledger, states, notifications) go through the csv module row by row. The
usage table can hold millions of lines, so it is written block by block: as CSV text
joined from pieces formatted once (`usage_csv.py`, byte-identical to the csv module's
output), or as Parquet with pyarrow, repeated strings (phone ids, cycle instants, amounts)
formatted once and indexed (dictionary arrays).
Parquet keeps the CSV's text in every cell (empty text where the CSV cell is empty);
integer columns are int64 (null where the CSV cell is empty).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .clock import remembered
from .money import fmt_e8
from .rating import HOUR
from .usage import NOT_SETTLED, Block, Usage
from .usage_csv import write_usage_csv

FORMATS = ("csv", "parquet")
USAGE_COLUMNS = ["phone", "cycle_start", "cycle_end", "seconds", "amount", "settled_at"]
_TEXT = pa.dictionary(pa.int32(), pa.string())
USAGE_SCHEMA = pa.schema([("phone", _TEXT), ("cycle_start", _TEXT), ("cycle_end", _TEXT),
                          ("seconds", pa.int64()), ("amount", _TEXT), ("settled_at", _TEXT)])


def write_rows(path: Path, header: list[str], rows: Iterable[Sequence], fmt: str,
               int_columns: Sequence[str] = ()) -> None:
    """A small table: CSV through the csv module, or Parquet with the same cell text."""
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        return
    columns = list(zip(*rows)) or [() for _ in header]
    arrays = {
        name: (pa.array([None if v == "" else v for v in values], type=pa.int64())
               if name in int_columns else pa.array(values, type=pa.string()))
        for name, values in zip(header, columns)
    }
    pq.write_table(pa.table(arrays), path)


def write_usage(path: Path, usage: Usage, ids: Sequence[str], iso: Callable[[int], str],
                fmt: str, progress: Callable[[int], None] | None = None) -> None:
    """The usage table, block by block: one Parquet row group, or one CSV chunk, per block.

    `progress(lines)` is called as each block of `lines` bill lines is taken to be written.
    """
    iso = remembered(iso)  # cycle ends are the next cycle's starts
    if progress is not None:
        usage = _Reporting(usage, progress)
    if fmt == "parquet":
        _write_usage_parquet(path, usage, _UsageTables(ids, iso))
    else:
        write_usage_csv(path, usage, ids, iso)


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


def _write_usage_parquet(path: Path, usage: Usage, tables: _UsageTables) -> None:
    # No Arrow schema in the file: readers see plain string columns, not dictionaries.
    # No min/max statistics: for string columns they took 2/3 of the writing time.
    with (pq.ParquetWriter(path, USAGE_SCHEMA, store_schema=False,
                           write_statistics=False) as writer,
          ThreadPoolExecutor(max_workers=1) as pool):
        # pyarrow writes without the GIL: block i is written while block i+1 is made.
        writing = pool.submit(lambda: None)
        for block in usage.blocks():
            table = tables.of(block, compact=True)
            writing.result()
            writing = pool.submit(writer.write_table, table)
        writing.result()
        if not usage.count:
            writer.write_table(USAGE_SCHEMA.empty_table())


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


class _UsageTables:
    """Arrow tables of usage blocks; each distinct string is formatted once."""

    def __init__(self, ids: Sequence[str], iso: Callable[[int], str]):
        self.ids = pa.array(ids, type=pa.string())
        self.iso = iso

    def _stamp(self, t: int) -> str:
        return "" if t == NOT_SETTLED else self.iso(t)

    def of(self, block: Block, compact: bool) -> pa.Table:
        lines = block.lines
        which = pa.array(block.which)
        cycles = block.cycles.tolist()

        def per_cycle(values: list[int]) -> pa.DictionaryArray:
            texts = pa.array([self._stamp(t) for t in values], type=pa.string())
            return pa.DictionaryArray.from_arrays(which, texts)

        phone = lines.phone.astype(np.int32)
        ids = self.ids
        if compact:  # only this block's ids in its dictionary (a Parquet row group)
            present = np.zeros(len(ids), dtype=bool)
            present[phone] = True
            keep = np.flatnonzero(present)
            phone = (np.cumsum(present, dtype=np.int32) - 1)[phone]
            ids = ids.take(pa.array(keep))
        return pa.table([
            pa.DictionaryArray.from_arrays(pa.array(phone), ids),
            per_cycle(cycles),
            per_cycle([c + HOUR for c in cycles]),
            pa.array(lines.seconds, type=pa.int64()),
            _amounts(lines.amount_e8),
            per_cycle(block.settled.tolist()),
        ], schema=USAGE_SCHEMA)


def _amounts(amount_e8: np.ndarray) -> pa.DictionaryArray:
    """Amount strings with 8 decimals; few distinct values, each formatted once."""
    if amount_e8.dtype == object:  # exact Python integers (extreme prices)
        encoded = pc.dictionary_encode(pa.array([fmt_e8(int(a)) for a in amount_e8]))
        return encoded.cast(_TEXT)
    encoded = pc.dictionary_encode(pa.array(amount_e8))
    texts = pa.array([fmt_e8(a) for a in encoded.dictionary.to_pylist()], type=pa.string())
    return pa.DictionaryArray.from_arrays(encoded.indices, texts)
