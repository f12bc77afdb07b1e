"""Helpers for the rule tests: build a scenario inline, run it, read its whole trace.

Every table comes back as a list of plain tuples of strings, so a test can compare the
WHOLE trace with one `==` and a failure shows exactly which row differs. Times are the
scenario's wall clock (`YYYY-MM-DD HH:MM:SS`), or ISO 8601 with the offset when
`iso=True` (daylight-saving tests); money is the decimal string the output files hold.
"""

from __future__ import annotations

import copy

import pandas as pd

from sim import load_scenario, simulate
from sim.money import fmt
from sim.result import Result

BASE = {
    "name": "rule-test",
    "timezone": "Asia/Shanghai",
    "start": "2023-01-01 00:00:00",
    "end": "2023-02-01 00:00:00",
    "catalog": "default",
    "account": {"balance": "1000.00"},
    "phones": [],
}


def scenario(*phones: dict, **keys) -> dict:
    """A scenario mapping: BASE, then `keys` (policy/account merged key by key), then phones."""
    data = copy.deepcopy(BASE)
    for key, value in keys.items():
        if key in ("policy", "account") and isinstance(value, dict):
            data.setdefault(key, {}).update(copy.deepcopy(value))
        else:
            data[key] = copy.deepcopy(value)
    data["phones"] = [copy.deepcopy(p) for p in phones]
    return data


def run(data: dict) -> Result:
    """Load (through the real input door) and simulate."""
    return simulate(load_scenario(data))


def _time(value, iso: bool) -> str | None:
    if value is None or pd.isna(value):
        return None
    if iso:
        return value.isoformat()
    return value.strftime("%Y-%m-%d %H:%M:%S")


def ledger(result: Result, iso: bool = False) -> list[tuple]:
    """(time, phone, kind, amount, paid_from, balance_after, period_start, period_end)."""
    return [
        (_time(r.time, iso), r.phone, r.kind, fmt(r.amount), r.paid_from,
         fmt(r.balance_after), _time(r.period_start, iso), _time(r.period_end, iso))
        for r in result.ledger.itertuples(index=False)
    ]


def states(result: Result, iso: bool = False, phone: str | None = None) -> list[tuple]:
    """(phone, billing, state, start, end or None), in time order."""
    return [
        (r.phone, r.billing, r.state, _time(r.start, iso), _time(r.end, iso))
        for r in result.states.itertuples(index=False)
        if phone is None or r.phone == phone
    ]


def notes(result: Result, iso: bool = False, details: bool = False) -> list[tuple]:
    """(time, phone, kind, days_before or None[, detail])."""
    out = []
    for r in result.notifications.itertuples(index=False):
        row = (_time(r.time, iso), r.phone, r.kind,
               None if pd.isna(r.days_before) else int(r.days_before))
        out.append(row + (r.detail,) if details else row)
    return out


def usage(result: Result, iso: bool = False) -> list[tuple]:
    """(phone, cycle_start, seconds, amount with its 8 decimals, settled_at or None)."""
    return [
        (r.phone, _time(r.cycle_start, iso), int(r.seconds), format(r.amount, "f"),
         _time(r.settled_at, iso))
        for r in result.usage.itertuples(index=False)
    ]


def refusals(result: Result) -> list[tuple]:
    """(time, phone, detail) of every operation_refused notification."""
    return [(t, p, d) for t, p, k, _, d in notes(result, details=True)
            if k == "operation_refused"]


def prepaid(pid: str = "p", at: str = "2023-01-10 10:00:00", *, spec: str = "pro-2c4g",
            billing: str = "monthly", term: int = 1, **keys) -> dict:
    """A yearly/monthly phone entry."""
    return {"id": pid, "spec": spec, "billing": billing, "term": term, "at": at, **keys}


def ppu(pid: str = "u", at: str = "2023-01-10 10:00:00", *, spec: str = "pro-2c4g",
        **keys) -> dict:
    """A pay-per-use phone entry."""
    return {"id": pid, "spec": spec, "billing": "pay_per_use", "at": at, **keys}


def act(at: str, do: str, **keys) -> dict:
    return {"at": at, "do": do, **keys}


def hours(first: str, n: int) -> list[str]:
    """`n` consecutive clock-hour starts from `first` (wall clock; zones without DST)."""
    import datetime as dt

    t0 = dt.datetime.strptime(first, "%Y-%m-%d %H:%M:%S")
    return [(t0 + dt.timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(n)]


def shift(wall: str, **delta) -> str:
    """A wall-clock string moved by a timedelta (hours=2, days=1, ...)."""
    import datetime as dt

    t = dt.datetime.strptime(wall, "%Y-%m-%d %H:%M:%S") + dt.timedelta(**delta)
    return t.strftime("%Y-%m-%d %H:%M:%S")
