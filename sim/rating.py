"""Pricing rules as pure functions: bill lines in bulk from billable intervals, and refunds.

Kept apart from the engine so that the rules can be read, tested and reused (what-if) on
their own. No SimPy here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .money import cents

HOUR = 3600
# Largest rate (1e-8 units) for which 2 * rate * 3600 fits comfortably in int64.
_INT64_SAFE_RATE = (2**62) // (2 * HOUR)


@dataclass(slots=True)
class BillLines:
    """Columnar bill lines: one per phone x clock-hour cycle in which it accrued."""

    phone: np.ndarray  # int64 phone key (file order)
    cycle_start: np.ndarray  # int64 epoch seconds
    seconds: np.ndarray  # int64, 0 < seconds <= 3600
    amount_e8: np.ndarray  # int64 (or object for huge rates), 1e-8 units

    def __len__(self) -> int:
        return len(self.phone)


def bill_lines(intervals: dict[int, list[tuple[int, int]]], rates: dict[int, int],
               cycle_start) -> BillLines:
    """Split every billable interval into clock-hour cycles and price each (phone, cycle).

    `cycle_start(t)` gives the start of t's cycle; cycles are 3,600 s long. Adjacent pieces
    of one phone in the same cycle are summed before rounding (one line per phone-hour).
    Rows come out ordered by cycle, then phone.
    """
    keys, starts, ends = [], [], []
    for key, spans in intervals.items():
        for s, e in spans:
            keys.append(key)
            starts.append(s)
            ends.append(e)
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return BillLines(empty, empty.copy(), empty.copy(), empty.copy())
    key = np.asarray(keys, dtype=np.int64)
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    order = np.lexsort((s, key))
    key, s, e = key[order], s[order], e[order]
    first = np.asarray([cycle_start(int(t)) for t in s], dtype=np.int64)
    n = (e - 1 - first) // HOUR + 1
    rep = np.repeat(np.arange(len(key)), n)
    offset = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    c0 = first[rep] + HOUR * offset
    sec = np.minimum(e[rep], c0 + HOUR) - np.maximum(s[rep], c0)
    k = key[rep]
    # Merge pieces of the same phone in the same cycle (sorted by phone, then time).
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (c0[1:] != c0[:-1])
    idx = np.flatnonzero(new)
    sec = np.add.reduceat(sec, idx)
    k, c0 = k[idx], c0[idx]
    keep = sec > 0
    k, c0, sec = k[keep], c0[keep], sec[keep]
    rate_of = np.zeros(int(k.max()) + 1 if len(k) else 1, dtype=object)
    for phone_key, rate in rates.items():
        if phone_key < len(rate_of):
            rate_of[phone_key] = rate
    max_rate = max(rates.values(), default=0)
    if max_rate <= _INT64_SAFE_RATE:
        rate = rate_of[k].astype(np.int64)
        amount = (2 * rate * sec + HOUR) // (2 * HOUR)
    else:  # exact Python integers for extreme prices
        amount = np.array([(2 * int(r) * int(x) + HOUR) // (2 * HOUR)
                           for r, x in zip(rate_of[k], sec)], dtype=object)
    order = np.lexsort((k, c0))
    return BillLines(k[order], c0[order], sec[order], amount[order])


@dataclass(frozen=True, slots=True)
class Refund:
    """What one order gives back: consumed part, handling fee and the refund in cents."""

    consumed: Decimal
    fee: Decimal
    amount: Decimal
    used: str  # human account of the consumption, for the ledger detail


def refund_in_progress(paid: Decimal, unit_price: Decimal, unit: str, quantity: int,
                       elapsed: int, used_hours: int, order_hours: Decimal, rule: str,
                       fee_rate: Decimal) -> Refund:
    """Refund of the order in progress at unsubscription (billing-rules §3).

    `daily`: unit price / 30 (month) or / 365 (year) per whole day elapsed, x quantity,
    capped at what was paid (seed §4: 12 days -> x/30*12). `hourly`: paid x used hours /
    order hours. The fee is `fee_rate` x (paid - consumed); refund = max(0, rest), in cents.
    """
    if rule == "daily":
        days = elapsed // 86400
        per_day = unit_price / (30 if unit == "month" else 365)
        consumed = min(paid, per_day * days * quantity)
        used = f"{days} whole days used"
    else:
        consumed = min(paid, paid * used_hours / order_hours) if order_hours > 0 else paid
        used = f"{used_hours} of {order_hours} hours used"
    fee = fee_rate * (paid - consumed)
    amount = cents(max(Decimal(0), paid - consumed - fee))
    return Refund(consumed, fee, amount, used)
