"""usage.csv as text, block by block: each line is its phone's cell plus one shared tail.

A line is `phone,cycle_start,cycle_end,seconds,amount,settled_at`. Everything after the
phone cell depends only on the line's cycle and on (seconds, amount); a full hour costs
exactly the phone's rate, so the tails of full-hour lines are few (cycles x distinct rates)
and each is formatted once. The file is then two joined pieces per line, byte-identical to
the csv module's output (tested), at a fraction of its cost.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .money import fmt_e8
from .rating import HOUR
from .usage import NOT_SETTLED, Block, Usage

HEADER = b"phone,cycle_start,cycle_end,seconds,amount,settled_at\n"
LINES_PER_CHUNK = 25_000  # lines joined at once (~3 MB: stays in cache, no page faults)
_SPECIAL = (",", '"', "\r", "\n")  # characters that make the csv module quote a cell


def write_usage_csv(path: Path, usage: Usage, ids: Sequence[str],
                    iso: Callable[[int], str]) -> dict:
    """Write the usage table as CSV; return its {"bytes", "sha256"} (manifest.py).

    Each chunk is hashed and written on a thread while the next chunks are made: both
    release the GIL, so the checksum of a ~1 GB file costs no time of the main thread
    (read back afterwards, it took ~0.8 s).
    """
    lines = UsageText(ids, usage.rate_of, iso)
    digest = hashlib.sha256()
    size = 0

    def put(chunk: bytes) -> None:
        digest.update(chunk)
        fh.write(chunk)

    with open(path, "wb") as fh, ThreadPoolExecutor(max_workers=1) as pool:
        # At most two chunks wait, memory stays flat.
        pending: deque[Future] = deque([pool.submit(put, HEADER)])
        size += len(HEADER)
        for block in usage.blocks():
            for chunk in lines.chunks(block, LINES_PER_CHUNK):
                pending.append(pool.submit(put, chunk))
                size += len(chunk)
                while len(pending) > 2:
                    pending.popleft().result()
        while pending:
            pending.popleft().result()
    return {"bytes": size, "sha256": digest.hexdigest()}


def phone_cells(ids: Sequence[str]) -> list[bytes]:
    """Each phone id as the csv module writes it as a first cell, with its comma."""
    if not any(ch in "\x00".join(ids) for ch in _SPECIAL):  # the common case, one scan
        return [f"{i},".encode() for i in ids]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    cells = []
    for i in ids:
        if any(ch in i for ch in _SPECIAL):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([i, ""])  # "cell,\n": the id quoted as in a whole row
            cells.append(buffer.getvalue()[:-1].encode())
        else:
            cells.append(f"{i},".encode())
    return cells


class UsageText:
    """Turns blocks of bill lines into usage.csv bytes (without the header)."""

    def __init__(self, ids: Sequence[str], rate_of: np.ndarray, iso: Callable[[int], str]):
        self.cells = _objects(phone_cells(ids))
        self.iso = iso
        # Full-hour lines: seconds 3600 and amount = the phone's rate, one of few values.
        rates, rate_id = np.unique(np.asarray(rate_of[:len(ids)]), return_inverse=True)
        self.rate_id = rate_id.reshape(-1).astype(np.int64)
        self.rate_texts = _objects([f"{HOUR},{fmt_e8(int(r))},".encode() for r in rates])

    def chunks(self, block: Block, size: int) -> Iterator[bytes]:
        """The block's lines as CSV text, `size` lines at a time."""
        tails, tail_of = self._tails(block)
        phone = block.lines.phone
        for a in range(0, len(phone), size):
            b = min(a + size, len(phone))
            pieces = np.empty(2 * (b - a), dtype=object)
            pieces[0::2] = self.cells[phone[a:b]]
            pieces[1::2] = tails[tail_of[a:b]]
            yield b"".join(pieces.tolist())

    def _tails(self, block: Block) -> tuple[np.ndarray, np.ndarray]:
        """The distinct line tails of a block (`cycle_start,...settled_at\\n`) and each
        line's index among them."""
        iso, lines, which = self.iso, block.lines, block.which
        starts = block.cycles.tolist()
        cycle = _objects([f"{iso(c)},{iso(c + HOUR)},".encode() for c in starts])
        settled = _objects([b"\n" if d == NOT_SETTLED else f"{iso(d)}\n".encode()
                            for d in block.settled.tolist()])
        full = lines.seconds == HOUR
        n_rates = len(self.rate_texts)
        code = which[full].astype(np.int64) * n_rates + self.rate_id[lines.phone[full]]
        if len(starts) * n_rates <= 4 * len(code) + 4096:  # a dense table of codes
            used = np.zeros(len(starts) * n_rates, dtype=bool)
            used[code] = True
            distinct = np.flatnonzero(used)
            rank = np.cumsum(used) - 1
            index = rank[code]
        else:
            distinct, index = np.unique(code, return_inverse=True)
        c, r = np.divmod(distinct, n_rates)
        full_tails = cycle[c] + self.rate_texts[r] + settled[c]
        # Partial hours (a phone's first and last hour of an interval): each its own tail.
        part = np.flatnonzero(~full)
        part_cycle = which[part]
        amounts = lines.amount_e8[part].tolist()
        part_tails = _objects([
            b"%b%d,%b,%b" % (cycle[w], s, fmt_e8(a).encode(), settled[w])
            for w, s, a in zip(part_cycle.tolist(), lines.seconds[part].tolist(), amounts)])
        tail_of = np.empty(len(lines), dtype=np.int64)
        tail_of[full] = index
        tail_of[part] = len(full_tails) + np.arange(len(part))
        return np.concatenate([full_tails, part_tails]), tail_of


def _objects(items: list) -> np.ndarray:
    """A 1-d object array of the items (never a 2-d array of their characters)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array
