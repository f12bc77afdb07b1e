"""Spec advice from a phone's workload (seed §10 "Cost Optimization"), priced with the catalog.

The seed advises: professional unless application and data security control needs are
high (then enterprise, with exclusive resources); 2 vCPUs / 4 GB for regular mobile office
apps; 4 vCPUs / 8 GB for games and entertainment apps with video; storage as needed. It
says nothing of testing: a testing phone keeps its size and gets the edition advice only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from ..scenario.models import Catalog, Scenario, Spec

SIZE = {"office": (2, 4), "games": (4, 8), "video": (4, 8)}  # seed §10: (vCPUs, GB)
COLUMNS = ["level", "name", "workload", "data_security", "spec", "advised_spec", "mode",
           "price", "advised_price", "cost_accrued", "advised_cost_accrued", "difference",
           "reason"]


@dataclass(frozen=True)
class Advice:
    """The spec the seed advises for a workload, and why."""

    spec: Spec | None
    reason: str


def advise(current: Spec, workload: str, data_security: str | None, catalog: Catalog) -> Advice:
    """The catalog spec for `workload` (edition, then size; storage closest to the current)."""
    edition = "enterprise" if data_security == "high" else "professional"
    why = ("high data-security control: enterprise (exclusive resources)"
           if edition == "enterprise" else "no high data-security need: professional")
    vcpus, memory = SIZE.get(workload, (current.vcpus, current.memory_gb))
    size = (f"{workload}: {vcpus} vCPUs / {memory} GB" if workload in SIZE
            else f"{workload}: the seed gives no size, {vcpus} vCPUs / {memory} GB kept")
    fits = [s for s in catalog.specs
            if s.edition == edition and s.vcpus == vcpus and s.memory_gb == memory]
    if not fits:
        return Advice(None, f"{size}; {why}; no such spec in the catalog")
    best = min(fits, key=lambda s: (abs(s.storage_gb - current.storage_gb), s.id))
    return Advice(best, f"{size}; {why}")


def list_price(spec: Spec, mode: str) -> Decimal:
    """The list price a mode charges: per month, per year or per hour."""
    return {"monthly": spec.monthly, "yearly": spec.yearly, "pay_per_use": spec.hourly}[mode]


def workload_table(scenario: Scenario, best: dict[str, str], accrued: dict[str, Decimal]
                   ) -> pd.DataFrame:
    """Per phone (then per group) with a workload: the advised spec, priced in its best mode.

    The advised cost scales the phone's accrued cost in that mode by the ratio of list
    prices (same use, same mode; an estimate). Groups sum their phones.
    """
    rows: list[dict] = []
    groups: dict[str, dict] = {}
    for p in scenario.phones:
        workload = getattr(p, "workload", None)  # replayed log phones carry none
        if workload is None:
            continue
        current = scenario.catalog.spec(p.spec)
        advice = advise(current, workload, p.data_security, scenario.catalog)
        mode = best.get(p.id, p.billing)
        cost = accrued.get(p.id, Decimal(0))
        new = advice.spec or current
        price, advised_price = list_price(current, mode), list_price(new, mode)
        advised_cost = cost * advised_price / price if price else cost
        rows.append({"level": "phone", "name": p.id, "workload": p.workload,
                     "data_security": p.data_security or "", "spec": p.spec,
                     "advised_spec": advice.spec.id if advice.spec else "", "mode": mode,
                     "price": price, "advised_price": advised_price, "cost_accrued": cost,
                     "advised_cost_accrued": advised_cost,
                     "difference": advised_cost - cost, "reason": advice.reason})
        if p.group is not None:
            g = groups.setdefault(p.group, {
                "level": "group", "name": p.group, "workload": p.workload,
                "data_security": p.data_security or "", "spec": p.spec,
                "advised_spec": rows[-1]["advised_spec"], "mode": set(), "price": price,
                "advised_price": advised_price, "cost_accrued": Decimal(0),
                "advised_cost_accrued": Decimal(0), "difference": Decimal(0),
                "reason": advice.reason})
            g["mode"].add(mode)
            for key in ("cost_accrued", "advised_cost_accrued", "difference"):
                g[key] += rows[-1][key]
    for g in groups.values():
        g["mode"] = g["mode"].pop() if len(g["mode"]) == 1 else "mixed"
        rows.append(g)
    return pd.DataFrame(rows, columns=COLUMNS)
