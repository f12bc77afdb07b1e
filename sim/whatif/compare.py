"""`compare`: re-simulate the same usage under each billing mode, per phone and in total.

Each mode is one variant scenario (variants.py) where every phone uses that mode; the
cheapest mode of each phone is then put together in one more simulated scenario, the
best mix, whose total is set against the scenario as written.

"Cheapest" ranks on cost_accrued: for use that ends inside the window it equals the cash
cost; for use still going at the end it leaves out prepaid time bought for after the
window (a renewal charged 7 days early, the rest of a year). Cash is reported alongside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..engine import simulate
from ..money import fmt
from ..result import Result
from ..scenario.generate import expand
from ..scenario.models import Scenario
from ._files import frame, hours_text, write_csv
from .metrics import PhoneMetrics, phone_metrics, usage_window
from .report import compare_text
from .variants import MODES, PPU, check_modes, variant

TOTAL = "TOTAL"
MIX = "mix"
COLUMNS = ["phone", "mode", "cost_cash", "cost_accrued", "unusable_hours",
           "refused_operations", "final_state"]
EXTRA_COLUMNS = ["spec", "quantity", "group", "usage_hours", "written_mode",
                 "written_cost_accrued", "is_best"]
BEST_COLUMNS = ["phone", "written_mode", "best_mode", "written_cost_cash",
                "written_cost_accrued", "best_cost_cash", "best_cost_accrued", "saving_cash",
                "saving_accrued", "unusable_hours", "refused_operations", "final_state"]
# Ties go to the smaller commitment: nothing prepaid beats a month beats a year.
_COMMITMENT = {PPU: 0, "monthly": 1, "yearly": 2}


def rank_key(m: PhoneMetrics, mode: str) -> tuple:
    """Cheapest first among the modes that serve the usage: a phone never bought, or one
    left Expired/Frozen/Released inside its usage window, does not count as cheap."""
    return (m.final_state is None, m.unusable_hours, m.cost_accrued, m.cost_cash,
            _COMMITMENT[mode])


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare` (see the module docstring); money is exact Decimal."""

    scenario: Scenario
    modes: tuple[str, ...]
    table: pd.DataFrame
    """compare.csv: one row per phone x mode, then one TOTAL row per mode."""
    written: pd.DataFrame
    """The scenario as written: one row per phone (mode = its billing), then TOTAL."""
    best: pd.Series
    """Cheapest mode of each phone, indexed by phone id."""
    mix: pd.DataFrame
    """compare-best.csv: per phone as written vs in its best mode (simulated together)."""
    results: dict[str, Result] = field(repr=False)
    """The simulations: one per mode, plus 'as_written' and 'best_mix'."""

    def _total(self, column: str) -> Decimal:
        return self.mix.loc[self.mix.phone == TOTAL, column].iloc[0]

    @property
    def saving(self) -> Decimal:
        """Accrued cost as written - accrued cost of the best mix (positive = cheaper)."""
        return self._total("saving_accrued")

    @property
    def saving_cash(self) -> Decimal:
        """Cash cost as written - cash cost of the best mix."""
        return self._total("saving_cash")

    def report(self, limit: int = 20) -> str:
        """A readable summary for the terminal (at most `limit` phone rows)."""
        return compare_text(self, limit)

    def write(self, out: str | Path) -> Path:
        """Write compare.csv and compare-best.csv into `out` (other files are left alone)."""
        out = Path(out)
        write_csv(out / "compare.csv", COLUMNS + EXTRA_COLUMNS, (
            (r.phone, r.mode, fmt(r.cost_cash), fmt(r.cost_accrued),
             hours_text(r.unusable_hours), r.refused_operations, r.final_state or "",
             r.spec, r.quantity, r.group or "", hours_text(r.usage_hours),
             r.written_mode, fmt(r.written_cost_accrued),
             "" if r.is_best is None else r.is_best)
            for r in self.table.itertuples(index=False)))
        write_csv(out / "compare-best.csv", BEST_COLUMNS, (
            (r.phone, r.written_mode, r.best_mode, fmt(r.written_cost_cash),
             fmt(r.written_cost_accrued), fmt(r.best_cost_cash), fmt(r.best_cost_accrued),
             fmt(r.saving_cash), fmt(r.saving_accrued), hours_text(r.unusable_hours),
             r.refused_operations, r.final_state or "")
            for r in self.mix.itertuples(index=False)))
        return out


def compare(scenario: Scenario, modes: Iterable[str] = MODES, *,
            replication: int = 0) -> Comparison:
    """Simulate `scenario` as written, then its usage under each of `modes`.

    A `generate:` fleet is expanded first (its `replication`), so its phones compare too.
    """
    modes = check_modes(modes)
    scenario = expand(scenario, replication)
    if scenario.sessions is not None:
        from .replay import compare_replay  # it builds on this module's tables

        return compare_replay(scenario, scenario.sessions, scenario.usage_billing, modes)
    written = simulate(scenario)
    results: dict[str, Result] = {"as_written": written}
    metrics: dict[str, dict[str, PhoneMetrics]] = {}
    for mode in modes:
        results[mode] = simulate(variant(scenario, written, {p.id: mode for p in scenario.phones}))
        # phone_metrics reads each usage window from the written scenario's actions: the
        # variants end use at the same instants, so the windows are the same.
        metrics[mode] = _by_phone(phone_metrics(scenario, results[mode]))
    as_written = _by_phone(phone_metrics(scenario, written))
    best = {p.id: min(modes, key=lambda m, pid=p.id: rank_key(metrics[m][pid], m))
            for p in scenario.phones}
    chosen = set(best.values())
    if len(chosen) == 1:  # every phone's best is one mode: that run is the mix
        mix_result = results[next(iter(chosen))]
    else:
        mix_result = simulate(variant(scenario, written, best))
    results["best_mix"] = mix_result
    mix_metrics = _by_phone(phone_metrics(scenario, mix_result))
    usage = {p.id: usage_window(p, written) for p in scenario.phones}
    return assemble(scenario, modes, metrics, as_written, best, usage, mix_metrics, results)


def assemble(scenario, modes, metrics, as_written, best, usage, mix_metrics,
             results) -> Comparison:
    """A Comparison from per-mode metrics (compare, and the replay of a session log)."""
    return Comparison(
        scenario=scenario, modes=modes,
        table=phone_table(scenario, modes, metrics, as_written, best, usage),
        written=written_table(scenario, as_written),
        best=pd.Series(best, name="best_mode", dtype=object).rename_axis("phone"),
        mix=mix_table(scenario, as_written, mix_metrics, best),
        results=results)


def _by_phone(rows: list[PhoneMetrics]) -> dict[str, PhoneMetrics]:
    return {m.phone: m for m in rows}


def _total_row(rows: list[dict], phone: str, mode: str) -> dict:
    return {
        "phone": phone, "mode": mode,
        "cost_cash": sum((r["cost_cash"] for r in rows), Decimal(0)),
        "cost_accrued": sum((r["cost_accrued"] for r in rows), Decimal(0)),
        "unusable_hours": float(sum(r["unusable_hours"] for r in rows)),
        "refused_operations": sum(r["refused_operations"] for r in rows),
        "final_state": None,
    }


def phone_table(scenario, modes, metrics, as_written, best, usage) -> pd.DataFrame:
    rows: list[dict] = []
    for cfg in scenario.phones:
        start, stop = usage[cfg.id]
        for mode in modes:
            m = metrics[mode][cfg.id]
            rows.append({
                "phone": cfg.id, "mode": mode, "cost_cash": m.cost_cash,
                "cost_accrued": m.cost_accrued, "unusable_hours": m.unusable_hours,
                "refused_operations": m.refused_operations, "final_state": m.final_state,
                "spec": cfg.spec, "quantity": cfg.quantity, "group": cfg.group,
                "usage_hours": max(0, stop - start) / 3600, "written_mode": cfg.billing,
                "written_cost_accrued": as_written[cfg.id].cost_accrued,
                "is_best": best[cfg.id] == mode,
            })
    for mode in modes:
        of_mode = [r for r in rows if r["mode"] == mode]
        total = _total_row(of_mode, TOTAL, mode)
        total.update({
            "spec": "", "quantity": sum(r["quantity"] for r in of_mode), "group": None,
            "usage_hours": sum(r["usage_hours"] for r in of_mode), "written_mode": "",
            "written_cost_accrued": sum((m.cost_accrued for m in as_written.values()),
                                        Decimal(0)),
            "is_best": None,
        })
        rows.append(total)
    return frame(rows, COLUMNS + EXTRA_COLUMNS)


def written_table(scenario, as_written) -> pd.DataFrame:
    rows = []
    for cfg in scenario.phones:
        m = as_written[cfg.id]
        rows.append({"phone": cfg.id, "mode": cfg.billing, "cost_cash": m.cost_cash,
                     "cost_accrued": m.cost_accrued, "unusable_hours": m.unusable_hours,
                     "refused_operations": m.refused_operations,
                     "final_state": m.final_state})
    rows.append(_total_row(rows, TOTAL, ""))
    return frame(rows, COLUMNS)


def mix_table(scenario, as_written, mix_metrics, best) -> pd.DataFrame:
    rows = []
    for cfg in scenario.phones:
        w, b = as_written[cfg.id], mix_metrics[cfg.id]
        rows.append({
            "phone": cfg.id, "written_mode": cfg.billing, "best_mode": best[cfg.id],
            "written_cost_cash": w.cost_cash, "written_cost_accrued": w.cost_accrued,
            "best_cost_cash": b.cost_cash, "best_cost_accrued": b.cost_accrued,
            "saving_cash": w.cost_cash - b.cost_cash,
            "saving_accrued": w.cost_accrued - b.cost_accrued,
            "unusable_hours": b.unusable_hours, "refused_operations": b.refused_operations,
            "final_state": b.final_state,
        })
    total = {"phone": TOTAL, "written_mode": "", "best_mode": MIX, "final_state": None,
             "unusable_hours": float(sum(r["unusable_hours"] for r in rows)),
             "refused_operations": sum(r["refused_operations"] for r in rows)}
    for column in BEST_COLUMNS[3:9]:  # the money columns
        total[column] = sum((r[column] for r in rows), Decimal(0))
    rows.append(total)
    return frame(rows, BEST_COLUMNS)

