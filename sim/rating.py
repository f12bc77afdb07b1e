"""Pricing rules as pure functions: bill lines in bulk from billable intervals, and refunds.

Kept apart from the engine so that the rules can be read, tested and reused (what-if) on
their own. No SimPy here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from .money import EXACT, cents

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


@dataclass(slots=True)
class Spans:
    """Billable intervals as columns, sorted by (phone, start), with their cycle ranges.

    Interval i covers cycles `first[i] + 3600 * m` for 0 <= m < `count[i]`.
    """

    key: np.ndarray  # int64 phone key
    start: np.ndarray  # int64 epoch seconds
    end: np.ndarray  # int64 epoch seconds, > start
    first: np.ndarray  # int64 start of the cycle holding `start`
    count: np.ndarray  # int64 number of cycles the interval touches

    def __len__(self) -> int:
        return len(self.key)

    @classmethod
    def of(cls, intervals: dict[int, list[tuple[int, int]]], cycle_start) -> Spans:
        keys = [key for key, spans in intervals.items() for _ in spans]
        bounds = [span for spans in intervals.values() for span in spans]
        key = np.asarray(keys, dtype=np.int64)
        se = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
        s, e = se[:, 0], se[:, 1]
        order = np.lexsort((s, key))
        key, s, e = key[order], s[order], e[order]
        first = np.asarray([cycle_start(t) for t in s.tolist()], dtype=np.int64)
        return cls(key, s, e, first, (e - 1 - first) // HOUR + 1)


def rate_table(rates: dict[int, int], size: int) -> np.ndarray:
    """Rates by phone key: int64 when every amount fits, else exact Python integers."""
    safe = max(rates.values(), default=0) <= _INT64_SAFE_RATE
    table = np.zeros(max(size, max(rates, default=-1) + 1), dtype=np.int64 if safe else object)
    for phone_key, rate in rates.items():
        table[phone_key] = rate
    return table


def cycle_lines(spans: Spans, rate_of: np.ndarray, lo: int, hi: int) -> BillLines:
    """The bill lines of the cycles starting in [lo, hi), ordered by cycle, then phone."""
    # Per interval, the cycle numbers m inside [lo, hi): ceil((lo - first) / HOUR) onwards.
    m_lo = np.maximum(0, -((spans.first - lo) // HOUR))
    m_hi = np.minimum(spans.count, -((spans.first - hi) // HOUR))
    n = m_hi - m_lo
    sel = np.flatnonzero(n > 0)
    n = n[sel]
    total = int(n.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return BillLines(empty, empty.copy(), empty.copy(), empty.astype(rate_of.dtype))
    start = spans.first[sel] + HOUR * m_lo[sel]  # first cycle of each interval in [lo, hi)
    base = int(start.min())
    hour = start - base
    if not np.any(hour % HOUR) and (hour.max() // HOUR + 1) * len(sel) <= _dense(total):
        i, c0 = _by_grid(sel, hour // HOUR, n, base)
    else:
        i, c0 = _by_sort(spans, sel, m_lo[sel], n, total)
    k = spans.key[i]
    sec = np.minimum(spans.end[i], c0 + HOUR) - np.maximum(spans.start[i], c0)
    del i
    # Pieces of one phone in one cycle (two intervals meeting there) are adjacent: merge
    # them before rounding, one line per phone-hour.
    same = (k[1:] == k[:-1]) & (c0[1:] == c0[:-1])
    if same.any():
        idx = np.flatnonzero(np.concatenate(([True], ~same)))
        sec = np.add.reduceat(sec, idx)
        k, c0 = k[idx], c0[idx]
    amount = rate_of[k]  # a full hour costs exactly the rate; round only the partial hours
    part = np.flatnonzero(sec != HOUR)
    amount[part] = (2 * amount[part] * sec[part] + HOUR) // (2 * HOUR)
    return BillLines(k, c0, sec, amount)


def _dense(lines: int) -> int:
    """Most cells an hours x intervals grid may have for `lines` lines (time and memory)."""
    return min(4 * lines + 4096, 2**26)


def _by_grid(sel: np.ndarray, first_hour: np.ndarray, n: np.ndarray,
             base: int) -> tuple[np.ndarray, np.ndarray]:
    """Interval and cycle of every line, cycle-major, when all cycles share one hour grid.

    A boolean grid of hours x intervals (in phone order) read row by row is already in
    output order: no sort.
    """
    hours = np.arange(int((first_hour + n).max()))[:, None]
    on = (hours >= first_hour) & (hours < first_hour + n)
    row, col = np.nonzero(on)
    return sel[col], base + HOUR * row


def _by_sort(spans: Spans, sel: np.ndarray, m_lo: np.ndarray, n: np.ndarray,
             total: int) -> tuple[np.ndarray, np.ndarray]:
    """Interval and cycle of every line, cycle-major: expanded by phone, then sorted."""
    i = np.repeat(sel, n)
    m = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n - m_lo, n)
    c0 = spans.first[i] + HOUR * m
    hour = c0 - int(c0.min())
    if not np.any(hour % HOUR):
        # Stable on the hour keeps phone order within a cycle; numpy radix-sorts 16 bits.
        hour //= HOUR
        order = np.argsort(hour.astype(np.uint16) if hour.max() < 2**16 else hour,
                           kind="stable")
    else:  # cycles on several grids (an offset change by a non-whole hour)
        order = np.lexsort((spans.start[i], spans.key[i], c0))
    return i[order], c0[order]


@dataclass(frozen=True, slots=True)
class Refund:
    """What one order gives back, exact: each amount times `scale` (§7.18: divide once)."""

    scaled_consumed: Decimal
    scaled_fee: Decimal
    scaled_rest: Decimal
    scale: int
    used: str  # human account of the consumption, for the ledger detail

    @property
    def amount(self) -> Decimal:
        """The refund, in cents."""
        return cents(self.scaled_rest, self.scale)

    @property
    def consumed(self) -> Decimal:
        return cents(self.scaled_consumed, self.scale)

    @property
    def fee(self) -> Decimal:
        return cents(self.scaled_fee, self.scale)


def refund_in_progress(paid: Decimal, unit_price: Decimal, unit: str, quantity: int,
                       elapsed: int, used_hours: int, order_seconds: int, rule: str,
                       fee_rate: Decimal) -> Refund:
    """Refund of the order in progress at unsubscription (billing-rules §3).

    `daily`: unit price / 30 (month) or / 365 (year) per whole day elapsed, x quantity,
    capped at what was paid (seed §4: 12 days -> x/30*12). `hourly`: paid x used hours /
    order hours. The fee is `fee_rate` x (paid - consumed); refund = max(0, rest), in cents.
    §7.18: every amount is kept multiplied by the one divisor (30, 365 or the order's
    seconds) and divided and rounded once, at the end: 40.25 - 40.25/30 x 21 -> 12.08.
    """
    with localcontext(EXACT):  # the products below are exact, never rounded
        if rule == "daily":
            days = elapsed // 86400
            scale = 30 if unit == "month" else 365
            consumed = unit_price * days * quantity
            used = f"{days} whole days used"
        else:
            scale = max(order_seconds, 1)  # x used hours / order hours = x used s / order s
            consumed = paid * used_hours * HOUR if order_seconds > 0 else paid * scale
            used = f"{used_hours} of {_hours_text(order_seconds)} hours used"
        paid_scaled = paid * scale
        consumed = min(paid_scaled, consumed)
        fee = fee_rate * (paid_scaled - consumed)
        rest = max(Decimal(0), paid_scaled - consumed - fee)
    return Refund(consumed, fee, rest, scale, used)


def align_extra(monthly: Decimal, days: int, quantity: int) -> Decimal:
    """The `align_day` extra (§3): monthly price / 30 per day per instance, in cents, rounded
    once on the exact value (§7.18: 40.15 / 30 x 21 = 28.105 -> 28.11)."""
    with localcontext(EXACT):
        return cents(monthly * days * quantity, 30)


def _hours_text(seconds: int) -> str:
    """Order hours: whole as an integer, else exact decimals (an order cut by a DST change)."""
    hours = Fraction(seconds, HOUR)
    return str(hours) if hours.denominator == 1 else format(
        Decimal(hours.numerator) / hours.denominator, "f")
