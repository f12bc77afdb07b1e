"""usage.parquet: the usage table block by block, one row group per block, with pyarrow.

Cells hold the CSV's text: repeated strings (phone ids, cycle instants, amounts) are
formatted once and indexed (dictionary arrays); `seconds` is int64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .money import fmt_e8
from .rating import HOUR
from .usage import NOT_SETTLED, Block, Usage

_TEXT = pa.dictionary(pa.int32(), pa.string())
USAGE_SCHEMA = pa.schema([("phone", _TEXT), ("cycle_start", _TEXT), ("cycle_end", _TEXT),
                          ("seconds", pa.int64()), ("amount", _TEXT), ("settled_at", _TEXT)])


def write_usage_parquet(path: Path, usage: Usage, ids: Sequence[str],
                        iso: Callable[[int], str]) -> None:
    """The usage table, one row group per block of lines."""
    tables = _UsageTables(ids, iso)
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
