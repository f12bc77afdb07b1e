"""What a run cost, in two views, per phone and per calendar month: the one definition.

- **cash**: what left the account, when it left: an order (any `pay_with`) at its time, a
  refund back at its time, a bill line when it is settled; a line still unsettled at `end`
  is owed and counts in the month of its cycle. A phone's cash is summary.json's `cost`.
- **accrued**: each prepaid order, net of its refund, spread evenly over the seconds it
  pays for (cut at the refund instant), only the part inside the window; a bill line in
  the month of its cycle.

Result (summary.json, costs.csv, monthly.csv), compare, recommend, sweep and the plots all
read their costs from here. Sums are exact; an accrued share multiplies before it divides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .clock import Clock
from .money import from_e8
from .records import LedgerRow, NoteRow, PhoneOutcome, StateRow
from .usage import NOT_SETTLED, Usage

BILLABLE = ("Running", "Stopped", "Arrears")  # billed while in them (pay-per-use) or paid for
UNUSABLE = ("Expired", "Frozen", "Released")  # the phone cannot be used (Arrears still runs)
LOST = UNUSABLE  # states that count as a lifecycle loss in the summaries
ORDER_KINDS = frozenset({"purchase", "renewal", "auto_renewal"})
ENDING_ACTIONS = frozenset({"delete", "unsubscribe"})  # they end a phone's usage window
PPU = "pay_per_use"
MODES = ("monthly", "yearly", PPU)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Accrual:
    """A prepaid order net of its refund, paid at `time`, accruing over [start, stop)."""

    phone: int
    time: int
    net: Decimal
    start: int
    stop: int


@dataclass(frozen=True)
class PhoneCosts:
    """Per phone, in the run's phone order: both views of cost, hours and what was lost."""

    ids: list[str]
    cash: list[Decimal]
    accrued: list[Decimal]
    prepaid_cash: list[Decimal]     # orders - refunds; the rest of cash is bill lines
    prepaid_accrued: list[Decimal]
    lines_e8: np.ndarray            # each phone's bill lines, settled or not (1e-8 units)
    billable_seconds: np.ndarray    # in Running, Stopped or Arrears
    unusable_seconds: np.ndarray    # Expired, Frozen or Released inside its usage window
    failed_renewals: np.ndarray     # auto-renewal attempts that failed
    refused: np.ndarray             # operations refused
    ever: dict[str, np.ndarray]     # per lost state: whether the phone was ever in it


def accruals(ledger: Sequence[LedgerRow], index: dict[str, int]) -> Iterator[Accrual]:
    """Every prepaid order net of its refund, with the seconds it pays for."""
    refunds = {(r.phone, r.period_start): r for r in ledger if r.kind == "refund"}
    for row in ledger:
        if row.kind not in ORDER_KINDS:
            continue
        start, stop = row.period_start, row.period_end + 1
        refund = refunds.get((row.phone, start))
        net = -row.amount
        if refund is not None:
            net -= refund.amount
            stop = min(stop, max(refund.time, start))  # paid for up to the refund instant
        yield Accrual(index[row.phone], row.time, net, start, stop)


def share(net: Decimal, start: int, stop: int, lo: int, hi: int) -> Decimal:
    """The part of `net` accruing over [start, stop) that falls inside [lo, hi)."""
    inside = min(stop, hi) - max(start, lo)
    if inside <= 0 or stop <= start:
        return ZERO
    if inside == stop - start:
        return net
    return net * inside / (stop - start)  # multiply first: one division, then one rounding


def phone_costs(phones: Sequence[PhoneOutcome], ledger: Sequence[LedgerRow],
                states: Sequence[StateRow], notes: Sequence[NoteRow], usage: Usage,
                start: int, end: int) -> PhoneCosts:
    """Both views of every phone's cost, its billable and unusable hours and its losses."""
    n = len(phones)
    index = {p.id: i for i, p in enumerate(phones)}
    prepaid_cash = [ZERO] * n
    for row in ledger:
        if row.phone:
            prepaid_cash[index[row.phone]] -= row.amount
    prepaid_accrued = [ZERO] * n
    for a in accruals(ledger, index):
        prepaid_accrued[a.phone] += share(a.net, a.start, a.stop, start, end)
    lines_e8 = usage.per_phone_e8
    lines = [ZERO] * n
    for i in np.flatnonzero(lines_e8).tolist():
        lines[i] = from_e8(int(lines_e8[i]))
    cash = [c + x for c, x in zip(prepaid_cash, lines)]
    accrued = [c + x for c, x in zip(prepaid_accrued, lines)]

    who = np.fromiter((index[r.phone] for r in states), dtype=np.int64, count=len(states))
    state = np.array([r.state for r in states], dtype=object)
    t0 = np.fromiter((r.start for r in states), dtype=np.int64, count=len(states))
    t1 = np.fromiter((end if r.end is None else r.end for r in states), dtype=np.int64,
                     count=len(states))
    billable = np.isin(state, BILLABLE)
    billable_seconds = np.bincount(who[billable], weights=(t1 - t0)[billable], minlength=n)
    unusable = np.isin(state, UNUSABLE)
    use_from = np.array([p.use_from for p in phones] or [0], dtype=np.int64)[who]
    use_until = np.array([p.use_until for p in phones] or [0], dtype=np.int64)[who]
    lost = np.maximum(0, np.minimum(t1, use_until) - np.maximum(t0, use_from))
    unusable_seconds = np.bincount(who[unusable], weights=lost[unusable], minlength=n)
    ever = {s: np.bincount(who[state == s], minlength=n) > 0 for s in LOST}

    failed = np.zeros(n, dtype=np.int64)
    refused = np.zeros(n, dtype=np.int64)
    for note in notes:
        if note.kind == "auto_renew_failed":
            failed[index[note.phone]] += 1
        elif note.kind == "operation_refused" and note.phone:
            refused[index[note.phone]] += 1
    return PhoneCosts([p.id for p in phones], cash, accrued, prepaid_cash, prepaid_accrued,
                      lines_e8, billable_seconds.astype(np.int64),
                      unusable_seconds.astype(np.int64), failed, refused, ever)


@dataclass(frozen=True)
class Month:
    """A calendar month of the window in its zone, clipped to the window."""

    label: str  # YYYY-MM
    start: int
    stop: int


def months(clock: Clock, start: int, end: int) -> list[Month]:
    """The calendar months the window [start, end) touches, in order."""
    out = []
    a = clock.month_start(start)
    while a < end:
        b = clock.next_month_start(a)
        out.append(Month(clock.local(a).strftime("%Y-%m"), max(a, start), min(b, end)))
        a = b
    return out


@dataclass(frozen=True)
class MonthModeCosts:
    """Per (month, mode): cash, accrued, peak instances in use and instance-hours."""

    months: list[Month]
    cash: dict[tuple[int, str], Decimal]
    accrued: dict[tuple[int, str], Decimal]
    peak: dict[tuple[int, str], int]
    instance_seconds: dict[tuple[int, str], int]


def monthly_costs(phones: Sequence[PhoneOutcome], ledger: Sequence[LedgerRow],
                  states: Sequence[StateRow], usage: Usage, clock: Clock, start: int,
                  end: int) -> MonthModeCosts:
    """Cash and accrued cost per calendar month and billing mode, and instances in use."""
    cal = months(clock, start, end)
    starts = np.array([m.start for m in cal], dtype=np.int64)
    cash: dict[tuple[int, str], Decimal] = {}
    accrued: dict[tuple[int, str], Decimal] = {}

    def add(table, key, value):
        table[key] = table.get(key, ZERO) + value

    def month_of(t: int) -> int:
        return max(0, int(np.searchsorted(starts, t, side="right")) - 1)

    index = {p.id: i for i, p in enumerate(phones)}
    for row in ledger:  # orders and refunds leave or return at their time
        if row.phone:
            add(cash, (month_of(row.time), phones[index[row.phone]].order_mode), -row.amount)
    for a in accruals(ledger, index):
        mode = phones[a.phone].order_mode
        first = month_of(max(a.start, start))
        for m in range(first, len(cal)):
            if cal[m].start >= min(a.stop, end):
                break
            add(accrued, (m, mode), share(a.net, a.start, a.stop, cal[m].start, cal[m].stop))

    cycles, per_cycle = usage.per_cycle_e8()
    if len(cycles):
        settled = usage.settled_for(cycles)
        paid_at = np.where(settled == NOT_SETTLED, cycles, settled)
        for key, when in ((accrued, cycles), (cash, paid_at)):
            which = np.clip(np.searchsorted(starts, when, side="right") - 1, 0, None)
            sums = np.zeros(len(cal), dtype=per_cycle.dtype)
            np.add.at(sums, which, per_cycle)
            for m in np.flatnonzero(sums).tolist():
                add(key, (m, PPU), from_e8(int(sums[m])))

    peak, inst = _in_use(phones, states, starts, start, end)
    return MonthModeCosts(cal, cash, accrued, peak, inst)


def _in_use(phones, states, starts, start, end):
    """Per (month, mode): the most instances billable at once, and instance-seconds."""
    qty = {p.id: p.quantity for p in phones}
    peak: dict[tuple[int, str], int] = {}
    inst: dict[tuple[int, str], int] = {}
    edges = np.append(starts, end)
    for mode in MODES:
        rows = [r for r in states if r.billing == mode and r.state in BILLABLE]
        if not rows:
            continue
        t = np.array([r.start for r in rows] + [end if r.end is None else r.end for r in rows],
                     dtype=np.int64)
        dq = np.array([qty[r.phone] for r in rows] + [-qty[r.phone] for r in rows],
                      dtype=np.int64)
        times, inverse = np.unique(t, return_inverse=True)
        change = np.zeros(len(times), dtype=np.int64)
        np.add.at(change, inverse, dq)
        level = np.cumsum(change)  # level[i] holds over [times[i], times[i+1])
        # Instance-seconds up to any instant: the integral of the step function.
        area = np.concatenate(([0], np.cumsum(level[:-1] * np.diff(times))))

        def integral(x):
            i = np.clip(np.searchsorted(times, x, side="right") - 1, 0, None)
            before = x < times[0]
            return np.where(before, 0, area[i] + level[i] * (x - times[i]))

        done = integral(edges)
        for m in range(len(starts)):
            a, b = int(edges[m]), int(edges[m + 1])
            lo = max(0, int(np.searchsorted(times, a, side="right")) - 1)
            hi = int(np.searchsorted(times, b, side="left"))
            top = int(level[lo:hi].max(initial=0)) if times[0] < b else 0
            seconds = int(done[m + 1] - done[m])
            if top or seconds:
                peak[(m, mode)] = top
                inst[(m, mode)] = seconds
    return peak, inst
