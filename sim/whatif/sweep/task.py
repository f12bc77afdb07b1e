"""One unit of sweep work, run in a worker: a variant, all its replications -> plain rows.

Everything crossing to a worker is plain picklable data (the base mapping, the overrides);
everything coming back too (dicts of Decimal, float, int, str). A variant never raises:
an invalid override or a failing run becomes rows with an `error`, so the rest of the
sweep finishes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sim.engine import simulate
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.generate import expand
from sim.whatif.metrics import phone_metrics
from sim.whatif.sweep.paths import apply, parse

MONEY = ("total_cost_cash", "total_cost_accrued", "final_balance")
OUTPUTS = (*MONEY, "unusable_hours", "refused_operations")
# Beyond the contract: how many phones the run had (random fleets), failed auto-renewals,
# and `flagged` = 1 when the run lost something (refused operations, unusable hours or
# failed renewals): its cost is low because the fleet was not served, not because it is
# cheap.
EXTRA = ("phone_count", "failed_renewals", "flagged")


@dataclass(frozen=True)
class Base:
    """The base scenario as a mapping, and the folder its relative paths (catalog) start from."""

    data: dict
    folder: str


@dataclass(frozen=True)
class Job:
    """A variant: its number, its overrides (path, value) in grid order, and how to run it."""

    variant: int
    overrides: tuple[tuple[str, Any], ...]
    replications: int
    seed: int | None  # the sweep's seed, applied before the overrides


def error_text(exc: BaseException) -> str:
    """One line: every problem of an invalid variant, or the exception's type and text."""
    if isinstance(exc, ScenarioError):
        return "; ".join(str(problem) for problem in exc.problems)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failed_rows(job: Job, error: str) -> list[dict]:
    return [{"variant": job.variant, "replication": r, "error": error}
            for r in range(job.replications)]


def run_variant(base: Base, job: Job) -> list[dict]:
    """Every replication of one variant, as rows (outputs, or `error`)."""
    try:
        data = copied_for(base.data, [path for path, _ in job.overrides])
        if job.seed is not None:
            data["seed"] = job.seed
        for path, value in job.overrides:
            apply(data, path, value)
        scenario = load_scenario(data, base_dir=base.folder)
    except Exception as exc:  # ScenarioError, PathError, or a bug: never stop the others
        return failed_rows(job, error_text(exc))
    rows = []
    for replication in range(job.replications):
        try:
            rows.append(_run(scenario, job.variant, replication))
        except Exception as exc:
            rows.append({"variant": job.variant, "replication": replication,
                         "error": error_text(exc)})
    return rows


def copied_for(data: dict, paths: list[str]) -> dict:
    """`data` with the top-level keys the overrides start with deep-copied (only they change).

    Copying a base of thousands of phones for each `account.balance` variant would cost
    more than the variant itself.
    """
    copied = dict(data)
    for path in paths:
        key = parse(path)[0].key
        if key in data and copied[key] is data[key]:
            copied[key] = copy.deepcopy(data[key])
    return copied


def _run(scenario, variant: int, replication: int) -> dict:
    expanded = expand(scenario, replication)  # metrics need the generated phones by id
    result = simulate(expanded)
    metrics = phone_metrics(expanded, result)
    unusable = sum(m.unusable_hours for m in metrics)
    failed = int(result.costs.failed_renewals.sum())
    return {
        "variant": variant,
        "replication": replication,
        "total_cost_cash": sum((m.cost_cash for m in metrics), Decimal(0)),
        # Each phone's accrued cost is already exact to 8 decimals (metrics, §7.18).
        "total_cost_accrued": sum((m.cost_accrued for m in metrics), Decimal(0)),
        "final_balance": result.final_balance,
        "unusable_hours": unusable,
        "refused_operations": result.refused,
        "phone_count": len(result.phones),
        "failed_renewals": failed,
        "flagged": int(bool(result.refused or unusable or failed)),
        "error": None,
    }
