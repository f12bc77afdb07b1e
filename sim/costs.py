"""What a run cost, in two views, per phone and per calendar month: the one definition.

- **cash**: what left the account, when it left: an order (any `pay_with`) at its time, a
  refund back at its time, a bill line when it is settled; a line still unsettled at `end`
  is owed and counts in the month of its cycle. A phone's cash is summary.json's `cost`.
- **accrued**: each prepaid order, net of its refund, spread evenly over the seconds it
  pays for (cut at the refund instant), only the part inside the window; a bill line in
  the month of its cycle.

Result (summary.json, costs.csv, monthly.csv), compare, recommend, sweep and the plots all
read their costs from here. Sums are exact; an accrued share multiplies before it divides
and is rounded once, to 8 decimals (§7.18).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

from .clock import Clock
from .money import EXACT, e8_sums, from_e8
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


class Orders:
    """The ledger's rows as arrays: each phone's money movements, and its prepaid orders
    net of their refunds with the seconds they pay for [start, stop) (cut at the refund)."""

    def __init__(self, ledger: Sequence[LedgerRow], index: dict[str, int]):
        phone, time, amount = [], [], []
        refunds, orders = {}, []
        for r in ledger:  # one pass: a fleet's ledger has tens of thousands of rows
            if not r.phone:
                continue
            phone.append(index[r.phone])
            time.append(r.time)
            amount.append(r.amount)
            if r.kind == "refund":
                refunds[(r.phone, r.period_start)] = r
            elif r.kind in ORDER_KINDS:
                orders.append(r)
        self.phone = np.array(phone, dtype=np.int64)
        self.time = np.array(time, dtype=np.int64)
        self.amount = np.array(amount + [None], dtype=object)[:-1]
        o_phone, o_start, net, stop = [], [], [], []
        for r in orders:
            o_phone.append(index[r.phone])
            o_start.append(r.period_start)
            refund = refunds.get((r.phone, r.period_start))
            if refund is None:
                net.append(-r.amount)
                stop.append(r.period_end + 1)
            else:  # paid for up to the refund instant
                net.append(-r.amount - refund.amount)
                stop.append(min(r.period_end + 1, max(refund.time, r.period_start)))
        self.o_phone = np.array(o_phone, dtype=np.int64)
        self.o_start = np.array(o_start, dtype=np.int64)
        self.o_net = np.array(net + [None], dtype=object)[:-1]
        self.o_stop = np.array(stop, dtype=np.int64)


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
    orders: Orders                  # the ledger as arrays, for monthly_costs


def _spread(net: np.ndarray, start: np.ndarray, stop: np.ndarray, lo: np.ndarray,
            hi: np.ndarray, key: np.ndarray, size: int) -> list[Decimal]:
    """Sum per key of the part of each `net`, spread over [start, stop), inside [lo, hi).

    Exact: a piece is net x inside / length; pieces of one key and one length are added
    before the division (multiply first), and a key with any such part is rounded half-up
    to 8 decimals once, on the exact sum (§7.18, `e8_sums`).
    """
    out = [ZERO] * size
    length = stop - start
    inside = np.minimum(stop, hi) - np.maximum(start, lo)
    keep = (inside > 0) & (length > 0)
    whole = keep & (inside == length)
    with localcontext(EXACT):  # sums and products of Decimals are never rounded here
        sums = np.array([ZERO] * (size + 1), dtype=object)
        np.add.at(sums, key[whole], net[whole])
        for k in np.flatnonzero(sums[:-1] != ZERO).tolist():
            out[k] = sums[k]
        part = np.flatnonzero(keep & ~whole)
        if not len(part):
            return out
        span = int(length[part].max()) + 1  # one integer per (key, length) pair
        groups, which = np.unique(key[part].astype(object) * span + length[part],
                                  return_inverse=True)
        num = np.array([ZERO] * len(groups), dtype=object)
        np.add.at(num, which.reshape(-1), net[part] * inside[part].astype(object))
    keys, dens = [], []
    for pair in groups.tolist():
        k, n = divmod(pair, span)
        keys.append(k)
        dens.append(n)
    parted = sorted(set(keys))
    rounded = e8_sums(keys + parted, num.tolist() + [out[k] for k in parted],
                      dens + [1] * len(parted))
    for k, value in rounded.items():
        out[k] = value
    return out


def phone_costs(phones: Sequence[PhoneOutcome], ledger: Sequence[LedgerRow],
                states: Sequence[StateRow], notes: Sequence[NoteRow], usage: Usage,
                start: int, end: int) -> PhoneCosts:
    """Both views of every phone's cost, its billable and unusable hours and its losses."""
    n = len(phones)
    index = {p.id: i for i, p in enumerate(phones)}
    o = Orders(ledger, index)
    paid = np.array([ZERO] * n, dtype=object)
    np.add.at(paid, o.phone, -o.amount)
    prepaid_cash = paid.tolist()
    k = len(o.o_phone)
    prepaid_accrued = _spread(o.o_net, o.o_start, o.o_stop, np.full(k, start),
                              np.full(k, end), o.o_phone, n)
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
                      unusable_seconds.astype(np.int64), failed, refused, ever, o)


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


def monthly_costs(phones: Sequence[PhoneOutcome], o: Orders, states: Sequence[StateRow], usage: Usage, clock: Clock, start: int,
                  end: int) -> MonthModeCosts:
    """Cash and accrued cost per calendar month and billing mode, and instances in use."""
    cal = months(clock, start, end)
    starts = np.array([m.start for m in cal], dtype=np.int64)
    stops = np.array([m.stop for m in cal], dtype=np.int64)
    cash: dict[tuple[int, str], Decimal] = {}
    accrued: dict[tuple[int, str], Decimal] = {}

    def add(table, key, value):
        table[key] = table.get(key, ZERO) + value

    def month_of(t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(starts, t, side="right") - 1, 0, None)

    yearly = np.array([p.order_mode == "yearly" for p in phones] or [False])
    prepaid = ("monthly", "yearly")
    size = 2 * len(cal)  # key = month x 2 + (1 if yearly)
    # Orders and refunds leave or come back in the month of their time.
    key = month_of(o.time) * 2 + yearly[o.phone]
    paid = np.array([ZERO] * (size + 1), dtype=object)
    np.add.at(paid, key, -o.amount)
    for k in np.flatnonzero(paid[:-1] != ZERO).tolist():
        add(cash, (k // 2, prepaid[k % 2]), paid[k])
    # Each order accrues over the months its period [start, stop) touches in the window.
    first = month_of(np.maximum(o.o_start, start))
    last = month_of(np.maximum(np.minimum(o.o_stop, end) - 1, start))
    count = np.maximum(last - first + 1, 0)
    row = np.repeat(np.arange(len(first)), count)
    month = np.repeat(first, count) + (np.arange(int(count.sum())) - np.repeat(
        np.cumsum(count) - count, count))
    spread = _spread(o.o_net[row], o.o_start[row], o.o_stop[row], starts[month],
                     stops[month], month * 2 + yearly[o.o_phone[row]], size)
    for k, value in enumerate(spread):
        if value:
            add(accrued, (k // 2, prepaid[k % 2]), value)

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
