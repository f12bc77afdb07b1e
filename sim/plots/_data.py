"""Read a run's output files back into what the plots need (floats are fine for drawing).

Only the files are read (through `sim.read_results`, CSV or Parquet), never the engine, so
any results folder can be plotted.
Times become matplotlib date numbers (days since its epoch, UTC-based); the figures put
them on the scenario's wall clock through the zone given to the date axis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa

from ..loader import read_results

PREPAID = ("monthly", "yearly")


@dataclass(frozen=True)
class Run:
    """One results folder, ready to draw: window, phones, tables with numeric times."""

    name: str
    currency: str
    zone: dt.tzinfo
    zone_label: str
    start: float                # window, as date numbers
    end: float
    phones: list[str]           # summary order (phones that never existed included)
    summary: dict
    ledger: pd.DataFrame        # t, phone, kind, amount, paid_from, balance_after, detail
    states: pd.DataFrame        # phone, billing, state, t0, t1 (open intervals end at `end`)
    notes: pd.DataFrame         # t, phone, kind, detail
    usage: pd.DataFrame         # per clock hour (per day in a daily folder, none in a folder
                                # without usage): cycle_start, t (its end cut at `end`), amount
    monthly: pd.DataFrame | None = None  # monthly.csv: month, billing, cash, accrued (floats)


def _epoch_seconds() -> int:
    import matplotlib.dates as mdates

    return int(pd.Timestamp(mdates.get_epoch()).tz_localize("UTC").timestamp())


def _days(column: pa.ChunkedArray, epoch: int) -> np.ndarray:
    """Typed timestamps -> float date numbers (NaN where empty)."""
    seconds = column.cast(pa.timestamp("s")).cast(pa.int64())
    return (seconds.to_numpy().astype(float) - epoch) / 86400.0


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """Exact money -> floats, for drawing only."""
    return column.cast(pa.float64()).to_numpy()


def _text(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_pylist(), dtype=object)


def _zone(summary: dict) -> tuple[dt.tzinfo, str]:
    """The scenario's zone (summary `timezone`), else the fixed offset of its start."""
    name = summary.get("timezone")
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = dt.datetime.fromisoformat(summary["start"]).tzinfo or dt.timezone.utc
    return offset, dt.datetime.fromisoformat(summary["start"]).strftime("UTC%z")


def load_run(folder: str | Path) -> Run:
    """Read a results folder (CSV or Parquet) through `sim.read_results`."""
    results = read_results(folder)
    summary = results.summary
    epoch = _epoch_seconds()
    zone, zone_label = _zone(summary)
    start, end = ((dt.datetime.fromisoformat(summary[k]).timestamp() - epoch) / 86400.0
                  for k in ("start", "end"))

    raw = results.table("ledger", ["time", "phone", "kind", "amount", "paid_from",
                                   "balance_after", "detail"])
    ledger = pd.DataFrame({
        "t": _days(raw["time"], epoch), "phone": _text(raw["phone"]),
        "kind": _text(raw["kind"]), "amount": _floats(raw["amount"]),
        "paid_from": _text(raw["paid_from"]), "balance_after": _floats(raw["balance_after"]),
        "detail": _text(raw["detail"])})

    raw = results.table("states")
    t1 = _days(raw["end"], epoch)
    states = pd.DataFrame({
        "phone": _text(raw["phone"]), "billing": _text(raw["billing"]),
        "state": _text(raw["state"]), "t0": _days(raw["start"], epoch),
        "t1": np.where(np.isnan(t1), end, t1)})

    raw = results.table("notifications", ["time", "phone", "kind", "detail"])
    notes = pd.DataFrame({"t": _days(raw["time"], epoch), "phone": _text(raw["phone"]),
                          "kind": _text(raw["kind"]), "detail": _text(raw["detail"])})

    usage = _usage(results, epoch, end)
    monthly = None
    if results.path("monthly").is_file():  # results folders written before it have none
        raw = results.table("monthly", ["month", "billing", "cash", "accrued"])
        monthly = pd.DataFrame({"month": _text(raw["month"]), "billing": _text(raw["billing"]),
                                "cash": _floats(raw["cash"]), "accrued": _floats(raw["accrued"])})
    phones = list(summary.get("phones", {}))
    phones += [p for p in dict.fromkeys(states["phone"]) if p not in summary.get("phones", {})]
    return Run(name=summary["scenario"], currency=summary.get("currency", "USD"), zone=zone,
               zone_label=zone_label, start=float(start), end=float(end), phones=phones,
               summary=summary, ledger=ledger, states=states, notes=notes, usage=usage,
               monthly=monthly)


def _usage(results, epoch: int, end: float) -> pd.DataFrame:
    """Bill lines summed per clock hour first (exactly, in Arrow): a fleet has many lines,
    few hours. A daily folder gives them per day; a folder without usage, none (the
    figures of newer folders draw pay-per-use from monthly.csv)."""
    if results.usage_detail == "none":
        return pd.DataFrame({"cycle_start": [], "t": [], "amount": []}, dtype=float)
    if results.usage_detail == "daily":
        per_day = (results.table("usage_daily", ["day_start", "day_end", "amount"])
                   .group_by(["day_start", "day_end"]).aggregate([("amount", "sum")])
                   .sort_by("day_start"))
        return pd.DataFrame({"cycle_start": _days(per_day["day_start"], epoch),
                             "t": np.minimum(_days(per_day["day_end"], epoch), end),
                             "amount": _floats(per_day["amount_sum"])})
    per_hour = (results.table("usage", ["cycle_start", "amount"])
                .group_by("cycle_start").aggregate([("amount", "sum")])
                .sort_by("cycle_start"))
    cycle_start = _days(per_hour["cycle_start"], epoch)
    return pd.DataFrame({"cycle_start": cycle_start,
                         "t": np.minimum(cycle_start + 1 / 24, end),
                         "amount": _floats(per_hour["amount_sum"])})


def prepaid_mode(run: Run, phone: str, t: float, detail: str = "") -> str:
    """The prepaid mode an order of `phone` at `t` belongs to (monthly or yearly).

    The last prepaid state interval begun by `t` says it; an order with none (bought before
    any interval, e.g. at the very instant) takes the phone's first prepaid mode.
    """
    rows = run.states[(run.states["phone"] == phone) & run.states["billing"].isin(PREPAID)]
    before = rows[rows["t0"] <= t]
    if len(before):
        return str(before["billing"].iloc[-1])
    if len(rows):
        return str(rows["billing"].iloc[0])
    billing = run.summary.get("phones", {}).get(phone, {}).get("billing")
    if billing in PREPAID:
        return billing
    return "yearly" if "year" in detail else "monthly"


def cost_events(run: Run) -> pd.DataFrame:
    """Every cost as it is incurred: t, mode, cost (> 0 charge, < 0 refund), month_t.

    Prepaid orders and refunds come from the ledger (any pay_with); pay-per-use from the
    bill lines, settled or not, so the sum is summary.json's total_cost. `month_t` is
    the instant that decides the calendar month (a bill line's cycle start).
    """
    led = run.ledger[(run.ledger["phone"] != "") & run.ledger["kind"].isin(
        ["purchase", "renewal", "auto_renewal", "refund"])]
    modes = [prepaid_mode(run, p, t, d) for p, t, d in zip(led["phone"], led["t"], led["detail"])]
    orders = pd.DataFrame({"t": led["t"].to_numpy(), "mode": modes,
                           "cost": -led["amount"].to_numpy(), "month_t": led["t"].to_numpy()})
    lines = pd.DataFrame({"t": run.usage["t"], "mode": "pay_per_use",
                          "cost": run.usage["amount"], "month_t": run.usage["cycle_start"]})
    frames = [f for f in (orders, lines) if len(f)]
    if not frames:
        return pd.DataFrame({"t": [], "mode": [], "cost": [], "month_t": []})
    return pd.concat(frames, ignore_index=True).sort_values("t", kind="stable")
