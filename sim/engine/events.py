"""SimPy event at an absolute instant with a rank, giving the fixed same-second order.

billing-rules §7.1: lifecycle timers -> top-ups -> settlements -> auto-renewal attempts ->
expiry alerts -> purchases, creations and actions in file order. SimPy orders its queue by
(time, priority, insertion id), so a rank is an integer priority; SimPy's own events use 0/1.
"""

from __future__ import annotations

import simpy

_BAND = 10**9
LIFECYCLE = 1 * _BAND
TOPUP = 2 * _BAND
SETTLEMENT = 3 * _BAND
AUTO_RENEW = 4 * _BAND
ALERT = 5 * _BAND
ACTION = 6 * _BAND


class At(simpy.Event):
    """An event that fires at absolute time `when` with priority `rank` (+ a tie-break)."""

    __slots__ = ()

    def __init__(self, env: simpy.Environment, when: int, rank: int):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, rank, when - env.now)
