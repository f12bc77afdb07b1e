"""Read a run's output files back into what the plots need (floats are fine for drawing).

Only the files are read, never the engine, so any results folder can be plotted.
Times become matplotlib date numbers (days since its epoch, UTC-based); the figures put
them on the scenario's wall clock through the zone given to the date axis.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

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
    usage: pd.DataFrame         # per clock hour: cycle_start, t (cycle end cut at `end`), amount


def _epoch() -> pd.Timestamp:
    import matplotlib.dates as mdates

    return pd.Timestamp(mdates.get_epoch()).tz_localize("UTC")


def _days(text: pd.Series, epoch: pd.Timestamp) -> np.ndarray:
    """ISO 8601 strings with offsets -> float date numbers (NaN where empty)."""
    if text.empty:
        return np.empty(0)
    times = pd.to_datetime(text.where(text != ""), format="ISO8601", utc=True)
    return ((times - epoch) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)


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


def _csv(path: Path, columns: list[str]) -> pd.DataFrame:
    # Strings throughout (empty stays ""), so money and ids are parsed on purpose only.
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: c in columns)


def _money(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float,
                                                                          na_value=np.nan)


def load_run(folder: str | Path) -> Run:
    """Read summary.json and the four CSVs of a results folder."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    epoch = _epoch()
    zone, zone_label = _zone(summary)
    start, end = _days(pd.Series([summary["start"], summary["end"]]), epoch)

    raw = _csv(folder / "ledger.csv", ["time", "phone", "kind", "amount", "paid_from",
                                       "balance_after", "detail"])
    ledger = pd.DataFrame({
        "t": _days(raw["time"], epoch), "phone": raw["phone"], "kind": raw["kind"],
        "amount": _money(raw["amount"]), "paid_from": raw["paid_from"],
        "balance_after": _money(raw["balance_after"]), "detail": raw["detail"]})

    raw = _csv(folder / "states.csv", ["phone", "billing", "state", "start", "end"])
    t1 = _days(raw["end"], epoch)
    states = pd.DataFrame({
        "phone": raw["phone"], "billing": raw["billing"], "state": raw["state"],
        "t0": _days(raw["start"], epoch), "t1": np.where(np.isnan(t1), end, t1)})

    raw = _csv(folder / "notifications.csv", ["time", "phone", "kind", "detail"])
    notes = pd.DataFrame({"t": _days(raw["time"], epoch), "phone": raw["phone"],
                          "kind": raw["kind"], "detail": raw["detail"]})

    usage = _usage(folder / "usage.csv", epoch, end)
    phones = list(summary.get("phones", {}))
    phones += [p for p in dict.fromkeys(states["phone"]) if p not in summary.get("phones", {})]
    return Run(name=summary["scenario"], currency=summary.get("currency", "USD"), zone=zone,
               zone_label=zone_label, start=float(start), end=float(end), phones=phones,
               summary=summary, ledger=ledger, states=states, notes=notes, usage=usage)


def _usage(path: Path, epoch: pd.Timestamp, end: float) -> pd.DataFrame:
    """Bill lines summed per clock hour first: a fleet's file is large, its hours are few."""
    raw = _csv(path, ["cycle_start", "amount"])
    amount = _money(raw["amount"])
    per_hour = pd.Series(amount).groupby(raw["cycle_start"].to_numpy(), sort=True).sum()
    cycle_start = _days(pd.Series(per_hour.index, dtype=object), epoch)
    return pd.DataFrame({"cycle_start": cycle_start,
                         "t": np.minimum(cycle_start + 1 / 24, end),
                         "amount": per_hour.to_numpy(dtype=float)})


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
