"""A run's bill lines, kept as billable intervals and made block by block when needed.

A fleet year holds millions of lines (100,000 phones: ~90 million), so they are never all
in memory unless asked for: the line count and each phone's total come from the intervals
in O(intervals), and the lines themselves are made in blocks of cycles for writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .rating import HOUR, BillLines, Spans, cycle_lines, rate_table

# Lines made at once. A block's arrays (a few MB each) are reused by the allocator from one
# block to the next; at 2,000,000 lines they were mapped afresh each time, and zeroing new
# pages cost 0.6 s of system time per 10,000-phone year (benchmarks/README.md).
LINES_PER_BLOCK = 500_000
NOT_SETTLED = np.iinfo(np.int64).min  # settled_at of a line not settled inside the window


@dataclass(slots=True)
class Block:
    """Consecutive bill lines, ordered by cycle then phone, with their distinct cycles."""

    lines: BillLines
    cycles: np.ndarray  # distinct cycle starts, increasing
    which: np.ndarray  # per line, its index in `cycles`
    settled: np.ndarray  # per distinct cycle, its settlement instant, or NOT_SETTLED


class Usage:
    """Pay-per-use bill lines of one run (billing-rules §4), from billable intervals."""

    def __init__(self, intervals: dict[int, list[tuple[int, int]]], rates: dict[int, int],
                 phones: int, cycle_start: Callable[[int], int],
                 settled_at: Callable[[int], int | None]):
        self.spans = Spans.of(intervals, cycle_start)
        self.rate_of = rate_table(rates, phones)
        self.per_phone_e8, self.count = self._totals(phones)
        self.cycles = self._covered_cycles()
        # Few distinct cycles (one per clock hour): ask the bill-run rule once for each.
        self.settled = np.asarray(
            [NOT_SETTLED if (when := settled_at(c)) is None else when
             for c in self.cycles.tolist()],
            dtype=np.int64)

    def __len__(self) -> int:
        return self.count

    @property
    def total_e8(self) -> int:
        return int(self.per_phone_e8.sum()) if len(self.per_phone_e8) else 0

    # --- lines ---------------------------------------------------------------------------
    def blocks(self, lines_per_block: int | None = None) -> Iterator[Block]:
        """All the lines, in blocks of whole cycles (about LINES_PER_BLOCK lines), in order."""
        lines_per_block = lines_per_block or LINES_PER_BLOCK
        if not self.count:
            return
        lo, hi = int(self.cycles[0]), int(self.cycles[-1]) + 1
        per_hour = max(1, self.count * HOUR // (hi - lo + HOUR))
        step = HOUR * max(1, lines_per_block // per_hour)
        for a in range(lo, hi, step):
            lines = cycle_lines(self.spans, self.rate_of, a, a + step)
            if len(lines):
                yield self._block(lines)

    def lines(self) -> BillLines:
        """All the lines at once (as much memory as the lines need)."""
        return cycle_lines(self.spans, self.rate_of, -(2**62), 2**62)

    def settled_for(self, cycle_start: np.ndarray) -> np.ndarray:
        """Settlement instant of each cycle start (NOT_SETTLED: not inside the window)."""
        return self.settled[np.searchsorted(self.cycles, cycle_start)]

    def _block(self, lines: BillLines) -> Block:
        c0 = lines.cycle_start
        starts = np.flatnonzero(np.concatenate(([True], c0[1:] != c0[:-1])))
        runs = np.diff(np.append(starts, len(c0)))
        which = np.repeat(np.arange(len(starts), dtype=np.int32), runs)
        cycles = c0[starts]
        return Block(lines, cycles, which, self.settled_for(cycles))

    # --- totals from the intervals -------------------------------------------------------
    def _pieces(self):
        """The partial lines of every interval, merged per phone and cycle, and its full hours.

        An interval's lines are its first and last (partial) cycles plus full hours between,
        and a full-hour line is exactly the rate. Partial pieces of one phone in one cycle
        are merged before rounding, as the lines are. Returns (key, cycle, seconds, amount)
        of the partial lines, the number of full hours of each interval, the rates and
        their dtype.
        """
        sp, rate_of = self.spans, self.rate_of
        last = sp.first + HOUR * (sp.count - 1)
        single = sp.count == 1
        pieces = np.where(single, 1, 2)
        at = np.cumsum(pieces) - pieces
        size = int(pieces.sum())
        key, cycle, sec = (np.empty(size, dtype=np.int64) for _ in range(3))
        key[at], cycle[at] = sp.key, sp.first
        sec[at] = np.where(single, sp.end, sp.first + HOUR) - sp.start
        tail = at[~single] + 1
        key[tail], cycle[tail] = sp.key[~single], last[~single]
        sec[tail] = sp.end[~single] - last[~single]
        same = (key[1:] == key[:-1]) & (cycle[1:] == cycle[:-1])
        if same.any():
            idx = np.flatnonzero(np.concatenate(([True], ~same)))
            sec, key, cycle = np.add.reduceat(sec, idx), key[idx], cycle[idx]
        full = np.maximum(sp.count - 2, 0)
        # int64 sums unless a phone's total could overflow (extreme prices): then exact ints.
        wide = int(rate_of.max(initial=0)) * int(sp.count.sum() + 1) >= 2**62
        dtype = object if wide else np.int64
        rate = rate_of.astype(dtype)
        amount = (2 * rate[key] * sec + HOUR) // (2 * HOUR)
        return key, cycle, sec, amount, full, rate, dtype

    def _totals(self, phones: int) -> tuple[np.ndarray, int]:
        """Each phone's sum of line amounts and the number of lines, without the lines."""
        if not len(self.spans):
            return np.zeros(phones, dtype=self.rate_of.dtype), 0
        key, _, _, amount, full, rate, dtype = self._pieces()
        sp = self.spans
        totals = np.zeros(phones, dtype=dtype)
        np.add.at(totals, key, amount)
        np.add.at(totals, sp.key, full * rate[sp.key])
        return totals, len(key) + int(full.sum())

    def per_cycle_e8(self) -> tuple[np.ndarray, np.ndarray]:
        """The covered cycles and, per cycle, the sum of its lines over every phone."""
        if not len(self.spans):
            return self.cycles, np.zeros(0, dtype=np.int64)
        _, cycle, _, amount, full, rate, dtype = self._pieces()
        sp, cycles = self.spans, self.cycles
        totals = np.zeros(len(cycles) + 1, dtype=dtype)
        np.add.at(totals, np.searchsorted(cycles, cycle), amount)
        # Full hours of an interval: every cycle after its first and before its last.
        has = full > 0
        first = np.searchsorted(cycles, sp.first[has]) + 1
        step = np.zeros(len(cycles) + 1, dtype=dtype)
        np.add.at(step, first, rate[sp.key[has]])
        np.add.at(step, first + full[has], -rate[sp.key[has]])
        totals += np.cumsum(step)
        return cycles, totals[:-1]

    def _covered_cycles(self) -> np.ndarray:
        """Distinct cycle starts holding at least one line, increasing."""
        sp = self.spans
        if not len(sp):
            return np.zeros(0, dtype=np.int64)
        grids = []
        phase = sp.first % HOUR
        for p in np.unique(phase):  # one grid, unless the zone's offset moved by a part-hour
            sel = phase == p
            first = (sp.first[sel] - p) // HOUR
            last = first + sp.count[sel] - 1
            lo = int(first.min())
            size = int(last.max()) - lo + 2
            depth = np.cumsum(np.bincount(first - lo, minlength=size)
                              - np.bincount(last - lo + 1, minlength=size))
            grids.append((lo + np.flatnonzero(depth[:-1] > 0)) * HOUR + p)
        return np.unique(np.concatenate(grids))
