"""The naive reference: plain SimPy, one process per phone, waking at every billed clock hour.

What a straightforward simulator does: a pay-per-use phone wakes at each clock-hour
boundary it is billed through and prices that hour; a prepaid phone wakes at each expiry
(and auto-renews there). No outputs, no notifications, no bill runs: the floor of the
per-phone-hour approach, to compare the real engine against.
"""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from sim.clock import Clock
from sim.money import line_e8, to_e8
from sim.scenario.models import Scenario


@dataclass
class NaiveTotals:
    """What the reference counted: wake-ups, bill lines and their sum (1e-8 units)."""

    wakeups: int = 0
    lines: int = 0
    usage_e8: int = 0


def naive_run(scenario: Scenario) -> NaiveTotals:
    """Simulate the fleet the naive way and return its counters."""
    clock = Clock(scenario.timezone)
    start, end = clock.epoch(scenario.start), clock.epoch(scenario.end)
    env = simpy.Environment(initial_time=start)
    totals = NaiveTotals()
    for cfg in scenario.phones:
        spec = scenario.catalog.spec(cfg.spec)
        t0 = clock.epoch(cfg.at)
        if cfg.billing == "pay_per_use":
            gone = [clock.epoch(a.at) for a in cfg.actions if a.do == "delete"]
            t1 = min(gone, default=end)
            rate = to_e8(spec.hourly) * cfg.quantity
            env.process(_pay_per_use(env, clock, t0, t1, rate, totals))
        else:
            months = cfg.term * (12 if cfg.billing == "yearly" else 1)
            renew = None
            if cfg.auto_renew is not None:
                renew = (cfg.auto_renew.term or 1) * (12 if cfg.billing == "yearly" else 1)
            env.process(_prepaid(env, clock, t0, months, renew, totals))
    env.run(until=end)
    return totals


def _pay_per_use(env, clock: Clock, t0: int, t1: int, rate: int, totals: NaiveTotals):
    """Wake at every clock-hour boundary while billed and price the hour up to the next.

    Boundaries after the first are 3,600 s apart: exact in zones whose offsets are whole
    hours (the benchmark's Asia/Shanghai), and it keeps the reference as cheap as it can be.
    """
    yield env.timeout(t0 - env.now)
    t = t0
    boundary = clock.hour_start(t0) + 3600
    while t < t1:
        totals.wakeups += 1
        step_end = min(boundary, t1)
        totals.lines += 1
        totals.usage_e8 += line_e8(rate, step_end - t)
        yield env.timeout(step_end - t)
        t = step_end
        boundary += 3600


def _prepaid(env, clock: Clock, t0: int, months: int, renew: int | None,
             totals: NaiveTotals):
    """Wake at purchase and at every expiry; renew there while auto-renewal is on."""
    yield env.timeout(t0 - env.now)
    day = clock.date(t0)
    anchor = day.day
    expiry = clock.add_months(day, months, anchor)
    while True:
        yield env.timeout(clock.expiry_instant(expiry) - env.now)
        totals.wakeups += 1
        if renew is None:
            return
        expiry = clock.add_months(expiry, renew, anchor)
