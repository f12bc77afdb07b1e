"""SimPy event at an absolute instant with a rank, giving the fixed same-second order.

billing-rules §7.1: lifecycle timers -> top-ups -> settlements -> auto-renewal attempts ->
expiry alerts -> purchases, creations and actions in file order. SimPy orders its queue by
(time, priority, insertion id), so a rank is an integer priority; SimPy's own events use 0/1
(a process start or an interrupt at URGENT, a process end at NORMAL), so at any instant they
run before every band. A band's rank adds the phone's index (timers) or the file sequence
(purchases, creations, actions): two events that do something at one instant never share
a rank, so the order never depends on when an event was scheduled (top-ups, the one band
without a tie-break, are all scheduled at the start, in file order).
"""

from __future__ import annotations

from heapq import heappush

import simpy

_BAND = 10**9
LIFECYCLE = 1 * _BAND
TOPUP = 2 * _BAND
SETTLEMENT = 3 * _BAND
AUTO_RENEW = 4 * _BAND
ALERT = 5 * _BAND
ACTION = 6 * _BAND


class At(simpy.Event):
    """An event that fires at absolute time `when` with priority `rank` (+ a tie-break).

    Born triggered and pushed straight onto the environment's queue, with the entry
    `Environment.schedule` makes, (time, priority, id, event): the engine creates one per
    timer, purchase, action and bill run, and the generic path costs a third of that.
    """

    __slots__ = ()

    def __init__(self, env: simpy.Environment, when: int, rank: int):
        self.env = env
        self.callbacks = []
        self._ok = True
        self._value = None
        heappush(env._queue, (when, rank, next(env._eid), self))


class Started(simpy.Process):
    """A process whose generator runs to its first yield at once, inside the current step.

    SimPy starts a process with an Initialize event of its own, URGENT at the same instant:
    the step that creates the process ends and the next one starts it, before anything
    else of that instant. Running it at creation does the same things in the same order,
    without one event per phone (a phone's lifecycle starts when it opens: 10^5-10^6 of
    them). The process that was active (the creator, if a process) is active again after.
    """

    def __init__(self, env: simpy.Environment, generator):
        self.env = env
        self.callbacks = []
        self._generator = generator
        start = simpy.Event(env)
        start._ok, start._value = True, None
        active = env._active_proc
        self._resume(start)
        env._active_proc = active
