"""Per-phone what-if metrics of one run: cash cost, accrued cost, unusable hours, refusals.

The definitions are sim/costs.py's, the same as run's outputs (interface contract,
"What-if outputs"):
- cost_cash: the phone's `cost` of summary.json (orders - refunds + all its bill lines);
- cost_accrued: each prepaid order net of its refund, spread evenly over the seconds of the
  period it pays for (cut at the refund instant when unsubscribed or changed), counting only
  the part inside the window; bill lines count as they are;
- unusable_hours: hours inside the phone's usage window spent Expired, Frozen or Released.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .. import costs
from ..result import Result
from ..scenario.models import Phone as PhoneConfig, Scenario

ENDING_ACTIONS = costs.ENDING_ACTIONS


@dataclass(frozen=True, slots=True)
class PhoneMetrics:
    """What-if figures of one phone in one run."""

    phone: str
    billing: str
    final_state: str | None
    cost_cash: Decimal
    cost_accrued: Decimal
    unusable_hours: float
    refused_operations: int


def usage_window(cfg: PhoneConfig, result: Result) -> tuple[int, int]:
    """[at, first delete/unsubscribe action or end of window) in epoch seconds."""
    start = result.clock.epoch(cfg.at)
    stops = [result.clock.epoch(a.at) for a in cfg.actions if a.do in ENDING_ACTIONS]
    return start, min(stops, default=result.end)


def phone_metrics(scenario: Scenario, result: Result) -> list[PhoneMetrics]:
    """One PhoneMetrics per phone of the scenario, in file order (from result.costs)."""
    c = result.costs
    return [
        PhoneMetrics(p.id, p.billing, p.final_state, c.cash[i], c.accrued[i],
                     int(c.unusable_seconds[i]) / 3600, int(c.refused[i]))
        for i, p in enumerate(result.phones)
    ]
