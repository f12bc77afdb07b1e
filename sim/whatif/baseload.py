"""Concurrency profile of a fleet and the base load worth holding on subscription.

From the usage windows (phones in use over time, weighted by quantity, per spec) the cost
of holding k subscriptions and leaving the demand above k to pay-per-use is evaluated for
every k from 0 to the peak, in closed form from list prices. The base load is held from
the first use to the end of the window (a standing fleet, not dropped when the window
ends). An estimate: it ignores lifecycle effects (calendar terms and the expiry day,
renewals, refunds and their fees, the account's balance).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from ..money import e8
from ..scenario.models import Spec

# A subscription's price is spread evenly over its term, as accrued costs are: a month is
# an average 730 h (8,760 / 12), so monthly / 730 per hour; a year 8,760 h.
TERM_SECONDS = {"monthly": 730 * 3600, "yearly": 8760 * 3600}
PREPAID = ("monthly", "yearly")
_COMMITMENT = {"pay_per_use": 0, "monthly": 1, "yearly": 2}


@dataclass(frozen=True)
class Profile:
    """Instances in use over time for one spec: `level[i]` during [times[i], times[i+1])."""

    spec: str
    times: np.ndarray  # int64 epoch seconds, len n + 1
    level: np.ndarray  # int64, len n

    @property
    def peak(self) -> int:
        return int(self.level.max(initial=0))

    @property
    def span(self) -> int:
        """Seconds from the first start of use to the last end of use."""
        return int(self.times[-1] - self.times[0]) if len(self.times) > 1 else 0

    def seconds_at_least(self) -> np.ndarray:
        """at_least[j] = seconds with at least j instances in use, j = 0..peak."""
        at_level = np.zeros(self.peak + 1, dtype=np.int64)
        np.add.at(at_level, self.level, np.diff(self.times))
        return np.cumsum(at_level[::-1])[::-1]

    def layers(self, j: int) -> list[tuple[int, int]]:
        """The maximal intervals during which at least j instances are in use."""
        on = self.level >= j
        edges = np.diff(np.concatenate(([0], on.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        return [(int(self.times[a]), int(self.times[b])) for a, b in zip(starts, stops)]


def profile(spec: str, windows: list[tuple[int, int, int]]) -> Profile:
    """The step function of `windows` (start, stop, quantity); empty windows are ignored."""
    windows = [(a, b, q) for a, b, q in windows if b > a]
    if not windows:
        return Profile(spec, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    t = np.array([a for a, _, _ in windows] + [b for _, b, _ in windows], dtype=np.int64)
    dq = np.array([q for *_, q in windows] + [-q for *_, q in windows], dtype=np.int64)
    times, inverse = np.unique(t, return_inverse=True)
    change = np.zeros(len(times), dtype=np.int64)
    np.add.at(change, inverse, dq)
    level = np.cumsum(change)[:-1]  # the last instant closes the profile at 0
    return Profile(spec, times, level)


@dataclass(frozen=True)
class Option:
    """k subscriptions of `mode` plus pay-per-use above k, and what it costs (estimate)."""

    k: int
    ppu_seconds: int
    cost: dict[str, Decimal]  # by prepaid mode


def held_seconds(p: Profile, until: int) -> int:
    """How long a base-load subscription is held: from the first use to `until`."""
    return max(0, until - int(p.times[0])) if p.span else 0


def options(p: Profile, spec: Spec, until: int) -> list[Option]:
    """Every k from 0 to the peak, subscriptions held from the first use to `until`."""
    held = held_seconds(p, until)
    at_least = p.seconds_at_least()
    # Instance-seconds above k: sum over layers j > k of the seconds with >= j in use.
    above = np.concatenate((np.cumsum(at_least[:0:-1])[::-1], [0])).tolist()
    out = []
    for k in range(p.peak + 1):
        # Exact, rounded once to the bill lines' 8 decimals (§7.18: round once, at the end).
        ppu = Fraction(spec.hourly) * int(above[k]) / 3600
        cost = {mode: e8(Fraction(getattr(spec, mode)) * k * held / TERM_SECONDS[mode] + ppu)
                for mode in PREPAID}
        out.append(Option(k, int(above[k]), cost))
    return out


def choose(opts: list[Option]) -> tuple[int, str, Decimal]:
    """The cheapest (k, mode, cost); ties go to fewer subscriptions, then the shorter term."""
    best = None
    for o in opts:
        for mode in PREPAID:
            label = mode if o.k else "pay_per_use"
            key = (o.cost[mode], o.k, _COMMITMENT[label])
            if best is None or key < best[0]:
                best = (key, o.k, label, o.cost[mode])
    if best is None:
        return 0, "pay_per_use", Decimal(0)
    return best[1], best[2], best[3]


@dataclass(frozen=True)
class Commitment:
    """k subscriptions of `mode` held against a profile, the way savings-plan tools report
    it: coverage (share of instance-hours they serve), utilization (share of their paid
    hours in use), waste (paid hours unused, and their cost), total cost (estimate)."""

    k: int
    mode: str
    coverage: float
    utilization: float | None  # None when k = 0
    waste_hours: float
    waste_cost: Decimal
    up_front: Decimal  # one term of k subscriptions, paid when bought
    cost: Decimal
    saving: Decimal  # against all pay-per-use (k = 0); negative = costs more


def commitments(p: Profile, spec: Spec, until: int) -> list[Commitment]:
    """Every k from 0 to the peak under each prepaid mode (estimates from list prices)."""
    held = held_seconds(p, until)
    at_least = p.seconds_at_least()
    total = int(at_least[1:].sum())
    served = np.concatenate(([0], np.cumsum(at_least[1:]))).tolist()  # used by the first k
    opts = options(p, spec, until)
    out = []
    for mode in PREPAID:
        price = getattr(spec, mode)
        for o in opts:
            k = o.k
            paid = k * held
            held_cost = k * price * held / TERM_SECONDS[mode]
            use = served[k] / paid if paid else None
            out.append(Commitment(
                k=k, mode=mode, coverage=served[k] / total if total else 0.0,
                utilization=use, waste_hours=(paid - served[k]) / 3600,
                waste_cost=held_cost * (paid - served[k]) / paid if paid else Decimal(0),
                up_front=k * price, cost=o.cost[mode],
                saving=opts[0].cost[mode] - o.cost[mode]))
    return out


def smallest_covering(rows: list[Commitment], target: float) -> int | None:
    """The smallest k whose coverage reaches `target` (a share, 0..1), if any does."""
    ks = [r.k for r in rows if r.coverage >= target - 1e-12]
    return min(ks) if ks else None
