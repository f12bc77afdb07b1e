"""The SimPy engine: `simulate(scenario) -> Result`."""

from __future__ import annotations

import numpy as np

from ..rating import bill_lines
from ..result import PhoneOutcome, Result
from ..scenario.generate import expand
from ..scenario.models import Scenario
from .phone import PPU
from .run import Run

__all__ = ["simulate", "Run"]


def simulate(scenario: Scenario, replication: int = 0) -> Result:
    """Simulate one validated scenario over its window and return every output.

    A scenario with `generate:` is expanded first: `replication` picks its random stream.
    """
    run = Run(expand(scenario, replication))
    run.execute()
    return _result(run)


def _result(run: Run) -> Result:
    lines = bill_lines(run.meter.closed_intervals(run.end), run.meter.rate,
                       run.clock.hour_start)
    due: dict[int, int] = {}
    for c in np.unique(lines.cycle_start).tolist():
        when = run.settled_at(c)
        due[c] = -1 if when is None else when
    settled = np.array([due[c] for c in lines.cycle_start.tolist()], dtype=np.int64)
    states = sorted((r for r in run.rec.states if r.end is None or r.end > r.start),
                    key=lambda r: (r.start, r.order))
    notes = sorted(run.rec.notes, key=lambda r: r.time)
    phones = [
        PhoneOutcome(p.id, p.spec.id, p.qty, p.billing, p.state,
                     p.expires if p.billing != PPU and p.state not in (None, "Unsubscribed")
                     else None)
        for p in run.phones
    ]
    return Result(name=run.scenario.name, currency=run.scenario.currency, clock=run.clock,
                  start=run.start, end=run.end, final_balance=run.account.balance,
                  ledger=run.rec.ledger, states=states, notes=notes, lines=lines,
                  settled_at=settled, phones=phones, refused=run.refused)
