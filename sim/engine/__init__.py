"""The SimPy engine: `simulate(scenario) -> Result`."""

from __future__ import annotations

from ..gcpause import collector_paused
from ..records import PhoneOutcome, StateRow
from ..result import Result
from ..scenario.models import Scenario
from ..usage import Usage
from .phone import PPU, UNSUBSCRIBED
from .run import Run

__all__ = ["simulate", "Run"]


def simulate(scenario: Scenario) -> Result:
    """Simulate one validated, plain scenario over its window and return every output.

    Plain: its phones are all listed; the door draws `generate:` groups
    (`sim.scenario.expand`), so the engine never looks back up at how they were made.
    """
    if scenario.generate:
        raise ValueError("draw the generate: groups first: sim.scenario.expand(scenario, "
                         "replication), or sim.simulate(scenario, replication)")
    with collector_paused():
        run = Run(scenario)
        run.execute()
        return _result(run)


def _maximal(rows: list[StateRow]) -> list[StateRow]:
    """One row per maximal interval (§7.17): 0-second rows dropped, and a phone's rows
    that then meet with the same state and billing (stop and start in one second) joined."""
    kept: list[StateRow] = []
    last: dict[str, StateRow] = {}
    for row in rows:  # each phone's rows are in time order
        if row.end is not None and row.end <= row.start:
            continue
        before = last.get(row.phone)
        if (before is not None and before.end == row.start and before.state == row.state
                and before.billing == row.billing):
            before.end = row.end
            continue
        kept.append(row)
        last[row.phone] = row
    return kept


def _result(run: Run) -> Result:
    usage = Usage(run.meter.closed_intervals(run.end), run.meter.rate, len(run.phones),
                  run.clock.hour_start, run.settled_at)
    states = sorted(_maximal(run.rec.states), key=lambda r: (r.start, r.order))
    notes = sorted(run.rec.notes, key=lambda r: r.time)
    phones = [
        PhoneOutcome(p.id, p.spec.id, p.qty, p.billing, p.state,
                     p.expires if p.billing != PPU and p.state not in (None, UNSUBSCRIBED)
                     else None,
                     group=p.cfg.group,
                     order_mode="yearly" if p.cfg.billing == "yearly" else "monthly",
                     use_from=p.opened_at,
                     use_until=run.end if p.use_until is None else p.use_until)
        for p in run.phones
    ]
    return Result(name=run.scenario.name, currency=run.scenario.currency, clock=run.clock,
                  start=run.start, end=run.end, final_balance=run.account.balance,
                  ledger=run.rec.ledger, states=states, notes=notes, usage=usage,
                  phones=phones, refused=run.refused,
                  balance_alert=run.scenario.account.balance_alert)
