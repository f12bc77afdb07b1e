"""Pay-per-use accrual of one account, kept so that cost grows with events, not phone-hours.

Each phone's billable intervals are recorded as it starts and stops accruing. A bill run
needs the sum of the period's bill lines; a line is rate x seconds / 3600 rounded to 8
decimals *per phone and clock hour* (billing-rules §4), so a run is computed as

    sum over cycles of F(cycle start)          # full-hour lines of phones on all hour
    - full lines of phones that toggled in a cycle ("dirty") and were on at its start
    + the exact line of each dirty (phone, cycle)

where F is the sum of full-hour line amounts of the phones accruing at that instant. The
work per run is O(changes + dirty lines), never O(phones). Amounts are integers of 1e-8.
"""

from __future__ import annotations

from ..money import line_e8

HOUR = 3600


class Meter:
    """Billable intervals per phone and per-period amounts for bill runs."""

    def __init__(self, cycle_start):
        self._cycle_start = cycle_start  # t -> start of its clock-hour cycle
        self.rate: dict[int, int] = {}  # phone key -> hourly rate x quantity, in 1e-8
        self.intervals: dict[int, list[list[int]]] = {}  # key -> [[start, end|-1], ...]
        self._on: set[int] = set()
        self._full = 0  # F now: sum of full-hour lines of phones accruing
        self._full_base = 0  # F at the start of the first unsettled period
        self._changes: list[tuple[int, int]] = []  # (t, delta of F) since that start
        # cycle start -> {key: [on at the cycle's start, toggle instants...]}
        self._dirty: dict[int, dict[int, list]] = {}

    # --- recording -----------------------------------------------------------------
    def start(self, key: int, t: int, rate_e8: int) -> None:
        """The phone starts accruing at t."""
        if key in self._on:
            return
        self.rate[key] = rate_e8
        self._on.add(key)
        self.intervals.setdefault(key, []).append([t, -1])
        self._toggle(key, t, was_on=False)
        self._full += rate_e8
        self._changes.append((t, rate_e8))

    def stop(self, key: int, t: int) -> None:
        """The phone stops accruing at t."""
        if key not in self._on:
            return
        self._on.discard(key)
        self.intervals[key][-1][1] = t
        self._toggle(key, t, was_on=True)
        rate = self.rate[key]
        self._full -= rate
        self._changes.append((t, -rate))

    def idle(self) -> bool:
        """Nothing accrues and nothing is waiting to be settled."""
        return not self._on and not self._dirty and not self._changes and self._full_base == 0

    def _toggle(self, key: int, t: int, was_on: bool) -> None:
        cycle = self._dirty.setdefault(self._cycle_start(t), {})
        entry = cycle.get(key)
        if entry is None:
            cycle[key] = [was_on, t]
        else:
            entry.append(t)

    # --- bill runs -----------------------------------------------------------------
    def settle(self, period_start: int, period_end: int) -> int:
        """Sum of the bill lines of the cycles in [period_start, period_end), in 1e-8.

        Must be called for consecutive periods, each after its end (all toggles known).
        """
        n_cycles = (period_end - period_start) // HOUR
        total = self._full_base * n_cycles
        keep: list[tuple[int, int]] = []
        base = self._full_base
        for t, delta in self._changes:
            if t >= period_end:
                keep.append((t, delta))
                continue
            # F changes after t's cycle: it counts for the cycles starting later.
            later = (period_end - self._cycle_start(t) - HOUR) // HOUR
            total += delta * later
            base += delta
        self._changes = keep
        self._full_base = base
        for cycle in [c for c in self._dirty if c < period_end]:
            for key, entry in self._dirty.pop(cycle).items():
                rate = self.rate[key]
                if entry[0]:
                    total -= rate  # F counted it as a full hour
                total += line_e8(rate, self._seconds_on(cycle, entry))
        return total

    @staticmethod
    def _seconds_on(cycle: int, entry: list) -> int:
        """Seconds a phone accrued inside one cycle, from its state at the start and toggles."""
        on = entry[0]
        cursor = cycle
        seconds = 0
        for t in entry[1:]:
            if on:
                seconds += t - cursor
            on = not on
            cursor = t
        if on:
            seconds += cycle + HOUR - cursor
        return seconds

    def closed_intervals(self, end: int) -> dict[int, list[tuple[int, int]]]:
        """Every phone's billable intervals, the open ones cut at `end`; empty ones dropped."""
        out: dict[int, list[tuple[int, int]]] = {}
        for key, spans in self.intervals.items():
            cut = [(s, end if e < 0 else e) for s, e in spans]
            cut = [(s, e) for s, e in cut if e > s]
            if cut:
                out[key] = cut
        return out
