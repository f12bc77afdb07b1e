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
from pathlib import Path

from .clock import remembered
from .money import fmt_e8
from .rating import HOUR
from .usage import NOT_SETTLED, Block, Usage
from .usage_csv import write_usage_csv

FORMATS = ("csv", "parquet")
USAGE_COLUMNS = ["phone", "cycle_start", "cycle_end", "seconds", "amount", "settled_at"]


def write_rows(path: Path, header: list[str], rows: Iterable[Sequence], fmt: str,
               int_columns: Sequence[str] = ()) -> None:
    """A small table: CSV through the csv module, or Parquet with the same cell text."""
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        return
    import pyarrow as pa  # pyarrow loads only for Parquet output
    import pyarrow.parquet as pq

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
        from .usage_parquet import write_usage_parquet  # pyarrow loads only for Parquet

        write_usage_parquet(path, usage, ids, iso)
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
