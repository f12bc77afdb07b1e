"""Per-phone what-if metrics of one run: cash cost, accrued cost, unusable hours, refusals.

Definitions are those of the interface contract ("What-if outputs"):
- cost_cash: the phone's `cost` of summary.json (orders - refunds + all its bill lines);
- cost_accrued: each prepaid order net of its refund, spread evenly over the seconds of the
  period it pays for (cut at the refund instant when unsubscribed or changed), counting only
  the part inside the window; bill lines count as they are;
- unusable_hours: hours inside the phone's usage window spent Expired, Frozen or Released.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ..money import from_e8
from ..result import Result
from ..scenario.models import Phone as PhoneConfig, Scenario

UNUSABLE = frozenset({"Expired", "Frozen", "Released"})
ORDER_KINDS = frozenset({"purchase", "renewal", "auto_renewal"})
ENDING_ACTIONS = frozenset({"delete", "unsubscribe"})


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


def accrued_costs(result: Result) -> dict[str, Decimal]:
    """Accrued view of every phone's cost, exact (see module docstring)."""
    lo, hi = result.start, result.end
    refunds: dict[tuple[str, int], tuple[Decimal, int]] = {}
    for row in result.ledger_rows:
        if row.kind == "refund":
            refunds[(row.phone, row.period_start)] = (row.amount, row.time)
    accrued: dict[str, Decimal] = defaultdict(Decimal)
    for row in result.ledger_rows:
        if row.kind not in ORDER_KINDS:
            continue
        start, end = row.period_start, row.period_end + 1
        refund, cut = refunds.get((row.phone, start), (Decimal(0), end))
        end = min(end, max(cut, start))
        net = -row.amount - refund
        inside = max(0, min(end, hi) - max(start, lo))
        if end > start and inside:
            accrued[row.phone] += net * inside / (end - start)
    totals = result.usage_lines.per_phone_e8  # bill lines count as they are
    for i in np.flatnonzero(totals).tolist():
        accrued[result.phones[i].id] += from_e8(int(totals[i]))
    return {p.id: accrued.get(p.id, Decimal(0)) for p in result.phones}


def unusable_seconds(scenario: Scenario, result: Result) -> dict[str, int]:
    """Seconds each phone spent Expired, Frozen or Released inside its usage window."""
    windows = {cfg.id: usage_window(cfg, result) for cfg in scenario.phones}
    out = {p.id: 0 for p in result.phones}
    for row in result.state_rows:
        if row.state not in UNUSABLE:
            continue
        lo, hi = windows[row.phone]
        end = result.end if row.end is None else row.end
        out[row.phone] += max(0, min(end, hi) - max(row.start, lo))
    return out


def phone_metrics(scenario: Scenario, result: Result) -> list[PhoneMetrics]:
    """One PhoneMetrics per phone of the scenario, in file order."""
    costs = result.phone_costs()
    accrued = accrued_costs(result)
    unusable = unusable_seconds(scenario, result)
    refused: dict[str, int] = defaultdict(int)
    for note in result.note_rows:
        if note.kind == "operation_refused":
            refused[note.phone] += 1
    return [
        PhoneMetrics(p.id, p.billing, p.final_state, costs[p.id], accrued[p.id],
                     unusable[p.id] / 3600, refused[p.id])
        for p in result.phones
    ]
