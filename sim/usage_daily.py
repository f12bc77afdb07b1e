"""The usage table summed per phone and local calendar day (`run --usage-detail daily`).

A daily line sums a phone's bill lines whose cycle starts on that day of the scenario's
zone (23 or 25 clock hours on a daylight-saving day): `lines` of them, their `seconds`, and
`amount` = the exact sum of their 8-decimal amounts (billing-rules §4: each line is rounded
once, the day is never re-rated), so per phone and in total the daily table holds the
hourly table's sums. `settled_at` is the latest settlement of the day's lines, empty when
any of them is not settled at `end` (docs/rules.md, decision 29).

Days are summed a few at a time from the billable intervals (O(phone-days), no hourly
line is made); when settlements do not follow the cycles' order (never from the engine),
from the hourly lines of those days instead, made as `Usage.blocks` makes them.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from .money import fmt_e8
from .rating import HOUR, BillLines, cycle_lines
from .usage import LINES_PER_BLOCK, NOT_SETTLED, Usage
from .usage_csv import LINES_PER_CHUNK, phone_cells

DAILY_COLUMNS = ["phone", "day_start", "day_end", "lines", "seconds", "amount", "settled_at"]
HEADER = (",".join(DAILY_COLUMNS) + "\n").encode()
_LATEST = np.iinfo(np.int64).max  # an unsettled line outranks every settlement instant


@dataclass(slots=True)
class DailyLines:
    """Daily usage lines as columns, ordered by day, then phone."""

    phone: np.ndarray  # int64 phone key
    day_start: np.ndarray  # int64 epoch seconds, local midnight
    day_end: np.ndarray  # int64 epoch seconds, the next local midnight
    lines: np.ndarray  # int64: how many hourly bill lines the row sums
    seconds: np.ndarray  # int64
    amount_e8: np.ndarray  # int64 (object for huge rates), exact sum of the lines
    settled: np.ndarray  # int64: latest settlement, NOT_SETTLED if any line is unsettled

    def __len__(self) -> int:
        return len(self.phone)


def day_bounds(usage: Usage, day_start: Callable[[int], int],
               next_day_start: Callable[[int], int]) -> np.ndarray:
    """Local midnights from the day of the first covered cycle to the end of the last one."""
    if not len(usage.cycles):
        return np.zeros(0, dtype=np.int64)
    bounds = [day_start(int(usage.cycles[0]))]
    last = int(usage.cycles[-1])
    while bounds[-1] <= last:
        bounds.append(next_day_start(bounds[-1]))
    return np.asarray(bounds, dtype=np.int64)


def daily_blocks(usage: Usage, day_start: Callable[[int], int],
                 next_day_start: Callable[[int], int],
                 lines_per_block: int = LINES_PER_BLOCK,
                 progress: Callable[[int], None] | None = None) -> Iterator[DailyLines]:
    """Every daily line, a few whole days at a time, in output order.

    `progress(lines)` is told how many hourly lines each block summed.
    """
    bounds = day_bounds(usage, day_start, next_day_start)
    if len(bounds) < 2 or not usage.count:
        return
    per_day = max(1, usage.count * 86400 // max(1, int(bounds[-1] - bounds[0])))
    # Settlements in cycle order, the unsettled last (bill runs settle in order): a day's
    # latest settlement is its last line's, so days are summed from the intervals alone.
    latest = np.where(usage.settled == NOT_SETTLED, _LATEST, usage.settled)
    if np.all(latest[1:] >= latest[:-1]):
        # ~lines_per_block daily records a block (a daily line sums up to 25 hourly ones)
        blocks = _from_intervals(usage, bounds, max(1, lines_per_block * 24 // per_day))
    else:
        blocks = _from_lines(usage, bounds, max(1, lines_per_block // per_day))
    for block, lines in blocks:
        if len(block):
            yield block
        if progress is not None:
            progress(lines)


def _from_lines(usage: Usage, bounds: np.ndarray, step: int):
    """Daily lines summed from the hourly lines, `step` days at a time (the reference)."""
    for i in range(0, len(bounds) - 1, step):
        window = bounds[i:i + step + 1]
        lines = cycle_lines(usage.spans, usage.rate_of, int(window[0]), int(window[-1]))
        if len(lines):
            yield sum_days(lines, usage.settled_for(lines.cycle_start), window), len(lines)


def _from_intervals(usage: Usage, bounds: np.ndarray, step: int):
    """Daily lines from the billable intervals, `step` days at a time, no hourly line made.

    A day's lines are the partial (first and last) lines of intervals whose cycle starts
    that day, merged per phone and hour and rounded as the lines are (`Usage._pieces`),
    plus each interval's full hours on that day, each exactly the phone's rate; its
    latest settlement is its last line's (settlements follow the cycles' order).
    """
    key, cycle, sec, amount, full, rate, _ = usage._pieces()
    part_day = np.searchsorted(bounds, cycle, side="right") - 1
    sp = usage.spans
    has = np.flatnonzero(full > 0)  # intervals with full hours: cycles m = 1 .. count - 2
    first, count, span_key = sp.first[has], sp.count[has], sp.key[has]
    day_a = np.searchsorted(bounds, first + HOUR, side="right") - 1
    day_b = np.searchsorted(bounds, first + HOUR * (count - 2), side="right") - 1
    for i in range(0, len(bounds) - 1, step):
        j = min(i + step, len(bounds) - 1)  # days i .. j-1
        p = np.flatnonzero((part_day >= i) & (part_day < j))
        lo, hi = np.maximum(day_a, i), np.minimum(day_b, j - 1)
        s = np.flatnonzero(lo <= hi)
        days = hi[s] - lo[s] + 1
        s_of = np.repeat(s, days)  # one record per interval and day of its full hours
        d = np.repeat(lo[s], days) + (np.arange(len(s_of)) - np.repeat(np.cumsum(days) - days,
                                                                        days))
        f = first[s_of]
        m_lo = np.maximum(1, -((f - bounds[d]) // HOUR))  # ceil((day start - first) / H)
        m_hi = np.minimum(count[s_of] - 1, -((f - bounds[d + 1]) // HOUR))
        n = m_hi - m_lo
        k = span_key[s_of]
        phone = np.concatenate([key[p], k])
        day = np.concatenate([part_day[p], d])
        lines = np.concatenate([np.ones(len(p), dtype=np.int64), n])
        seconds = np.concatenate([sec[p], HOUR * n])
        amounts = np.concatenate([amount[p], rate[k] * n])
        last = np.concatenate([cycle[p], f + HOUR * (m_hi - 1)])
        keep = lines > 0
        if not keep.all():
            phone, day, lines, seconds, amounts, last = (
                a[keep] for a in (phone, day, lines, seconds, amounts, last))
        if len(phone):
            yield _summed(phone, day, lines, seconds, amounts,
                          usage.settled_for(last), bounds), int(lines.sum())


def sum_days(lines: BillLines, settled: np.ndarray, bounds: np.ndarray) -> DailyLines:
    """Hourly `lines` (with each line's settlement) summed per phone and day of `bounds`."""
    day = np.searchsorted(bounds, lines.cycle_start, side="right") - 1
    return _summed(lines.phone, day, np.ones(len(lines), dtype=np.int64), lines.seconds,
                   lines.amount_e8, settled, bounds)


def _summed(phone, day, lines, seconds, amount, settled, bounds) -> DailyLines:
    """Records (phone, index of its day in `bounds`, lines, seconds, amount, settlement)
    summed per day and phone, in that order."""
    key = day.astype(np.int64) * (int(phone.max()) + 1) + phone
    # Hourly lines come cycle by cycle, phones increasing in each: a day is a few sorted runs.
    order = np.argsort(key, kind="stable")
    key = key[order]
    at = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    latest = np.where(settled == NOT_SETTLED, _LATEST, settled)[order]
    latest = np.maximum.reduceat(latest, at)
    d = day[order][at]
    return DailyLines(
        phone=phone[order][at],
        day_start=bounds[d],
        day_end=bounds[d + 1],
        lines=np.add.reduceat(lines[order], at),
        seconds=np.add.reduceat(seconds[order], at),
        amount_e8=np.add.reduceat(amount[order], at),  # exact: integers
        settled=np.where(latest == _LATEST, NOT_SETTLED, latest))


def all_days(usage: Usage, day_start: Callable[[int], int],
             next_day_start: Callable[[int], int]) -> DailyLines:
    """Every daily line at once (as much memory as they need)."""
    blocks = list(daily_blocks(usage, day_start, next_day_start))
    if not blocks:
        empty = np.zeros(0, dtype=np.int64)
        return DailyLines(empty, empty, empty, empty, empty,
                          empty.astype(usage.rate_of.dtype), empty)
    return DailyLines(*(np.concatenate([getattr(b, f.name) for b in blocks])
                        for f in fields(DailyLines)))


# --- CSV ---------------------------------------------------------------------------------
def write_daily_csv(path: Path, blocks: Iterator[DailyLines], ids: Sequence[str],
                    iso: Callable[[int], str]) -> None:
    """usage_daily.csv, byte-identical to the csv module's output of `daily_rows`."""
    cells = _objects(phone_cells(ids))
    with open(path, "wb") as fh, ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque[Future] = deque([pool.submit(fh.write, HEADER)])
        for block in blocks:
            for chunk in _chunks(block, cells, iso, LINES_PER_CHUNK):
                pending.append(pool.submit(fh.write, chunk))
                while len(pending) > 2:
                    pending.popleft().result()
        while pending:
            pending.popleft().result()


def _chunks(block: DailyLines, cells: np.ndarray, iso: Callable[[int], str],
            size: int) -> Iterator[bytes]:
    """The block's rows as CSV text: five pieces per row, each distinct piece made once."""
    starts, first, day_of = np.unique(block.day_start, return_index=True,
                                      return_inverse=True)
    days = _objects([f"{iso(s)},{iso(e)},".encode()
                     for s, e in zip(starts.tolist(), block.day_end[first].tolist())])
    day_of = day_of.reshape(-1)
    counts, count_of = _texts(block.lines * (32 * HOUR) + block.seconds,
                              lambda v: b"%d,%d," % divmod(v, 32 * HOUR))
    amounts, amount_of = _texts(block.amount_e8, lambda a: f"{fmt_e8(a)},".encode())
    settled, settled_of = _texts(block.settled, lambda d: b"\n" if d == NOT_SETTLED
                                 else f"{iso(d)}\n".encode())
    for a in range(0, len(block), size):
        b = min(a + size, len(block))
        pieces = np.empty(5 * (b - a), dtype=object)
        pieces[0::5] = cells[block.phone[a:b]]
        pieces[1::5] = days[day_of[a:b]]
        pieces[2::5] = counts[count_of[a:b]]
        pieces[3::5] = amounts[amount_of[a:b]]
        pieces[4::5] = settled[settled_of[a:b]]
        yield b"".join(pieces.tolist())


def _texts(values: np.ndarray, text: Callable[[int], bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct value's text, made once, and each row's index among them."""
    distinct, index = np.unique(values, return_inverse=True)
    return _objects([text(int(v)) for v in distinct.tolist()]), index.reshape(-1)


def daily_rows(block: DailyLines, ids: Sequence[str], iso: Callable[[int], str]):
    """One block's rows as the csv module is given them (the reference for the fast path)."""
    for k, s, e, n, sec, a, d in zip(block.phone.tolist(), block.day_start.tolist(),
                                     block.day_end.tolist(), block.lines.tolist(),
                                     block.seconds.tolist(), block.amount_e8.tolist(),
                                     block.settled.tolist()):
        yield ids[k], iso(s), iso(e), n, sec, fmt_e8(a), "" if d == NOT_SETTLED else iso(d)


def write_daily_csv_module(path: Path, blocks: Iterator[DailyLines], ids: Sequence[str],
                           iso: Callable[[int], str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(DAILY_COLUMNS)
        for block in blocks:
            writer.writerows(daily_rows(block, ids, iso))


# --- Parquet -----------------------------------------------------------------------------
def write_daily_parquet(path: Path, blocks: Iterator[DailyLines], ids: Sequence[str],
                        zone: str) -> None:
    """usage_daily.parquet: one row group per block, typed as `sim.tables` says."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .outputs import _decimal_amounts
    from .tables import schema

    typed = schema("usage_daily", zone)
    time = typed.field("day_start").type
    names = pa.array(ids, type=pa.string())
    with pq.ParquetWriter(path, typed, write_statistics=False) as writer:
        written = False
        for block in blocks:
            phone = block.phone.astype(np.int32)
            present = np.zeros(len(names), dtype=bool)  # this row group's ids only
            present[phone] = True
            phone = (np.cumsum(present, dtype=np.int32) - 1)[phone]
            writer.write_table(pa.table([
                pa.DictionaryArray.from_arrays(pa.array(phone),
                                               names.take(pa.array(np.flatnonzero(present)))),
                pa.array(block.day_start, type=time),
                pa.array(block.day_end, type=time),
                pa.array(block.lines, type=pa.int64()),
                pa.array(block.seconds, type=pa.int64()),
                _decimal_amounts(block.amount_e8),
                pa.array(block.settled, mask=block.settled == NOT_SETTLED, type=time),
            ], schema=typed))
            written = True
        if not written:
            writer.write_table(typed.empty_table())


def _objects(items: list) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array
