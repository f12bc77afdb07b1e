"""A seeded fleet as a scenario mapping: the input of the fleet benchmark.

Mix (issue 4): 40 % monthly phones (terms 1-3 months, 60 % of them auto-renewing),
10 % yearly, 40 % pay-per-use bursts of 1-72 hours (create, then delete) and 10 %
pay-per-use phones that run the whole window. The account is funded so it stays solvent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import yaml

from sim.scenario import default_catalog

START = dt.datetime(2025, 1, 1)
BURST_MAX_HOURS = 72
# Quantities drawn for each phone: mostly single instances, now and then a batch.
QUANTITIES = np.array([1, 1, 1, 1, 2, 3, 5])


def fleet_scenario(phones: int, years: float = 1.0, seed: int = 0) -> dict:
    """A scenario mapping with `phones` phones over `years` (365-day years) from 2025-01-01."""
    rng = np.random.default_rng(seed)
    window = int(round(years * 365 * 86400))
    if window <= BURST_MAX_HOURS * 3600 + 86400:
        raise ValueError("the window must be longer than a burst plus a day")
    end = START + dt.timedelta(seconds=window)
    specs = default_catalog().specs
    kind = rng.choice(4, size=phones, p=[0.4, 0.1, 0.4, 0.1])
    spec_of = rng.integers(0, len(specs), size=phones)
    qty_of = rng.choice(QUANTITIES, size=phones)
    at_of = rng.integers(0, window - BURST_MAX_HOURS * 3600 - 1, size=phones)
    fleet, bound = [], Decimal(0)
    months = window / (30 * 86400)
    for i in range(phones):
        spec, qty = specs[int(spec_of[i])], int(qty_of[i])
        at = START + dt.timedelta(seconds=int(at_of[i]))
        k = int(kind[i])
        if k == 0:
            term = int(rng.integers(1, 4))
            phone = {"id": f"monthly-{i:06d}", "group": "monthly", "billing": "monthly",
                     "term": term}
            if rng.random() < 0.6:
                phone["auto_renew"] = {"term": 1}
            bound += spec.monthly * qty * (term + int(months) + 2)
        elif k == 1:
            phone = {"id": f"yearly-{i:06d}", "group": "yearly", "billing": "yearly",
                     "term": 1}
            bound += spec.yearly * qty
        elif k == 2:
            hours = int(rng.integers(1, BURST_MAX_HOURS + 1))
            gone = at + dt.timedelta(seconds=hours * 3600 - int(rng.integers(0, 3600)))
            phone = {"id": f"burst-{i:06d}", "group": "burst", "billing": "pay_per_use",
                     "actions": [{"at": gone, "do": "delete"}]}
            bound += spec.hourly * qty * (hours + 1)
        else:
            # Always-on phones start within the first day and run to the end of the window.
            at = START + dt.timedelta(seconds=int(rng.integers(0, 86400)))
            phone = {"id": f"always-{i:06d}", "group": "always-on", "billing": "pay_per_use"}
            bound += spec.hourly * qty * (window // 3600 + 2)
        phone.update(spec=spec.id, quantity=qty, at=at)
        fleet.append(phone)
    # The worst case up front and half of it again in monthly top-ups: always solvent.
    bound = (bound + 1).quantize(Decimal(1))
    n_topups = max(1, int(months))
    topups = [{"at": START + dt.timedelta(days=30 * (j + 1) - 15),
               "amount": (bound / 2 / n_topups).quantize(Decimal(1)) + 1}
              for j in range(n_topups)]
    return {
        "name": f"fleet-{phones}",
        "start": START,
        "end": end,
        "account": {"balance": bound, "balance_alert": Decimal(100), "topups": topups},
        "phones": fleet,
    }


def dump_yaml(mapping: dict) -> str:
    """The mapping as scenario YAML (Decimals as plain numbers, times as strings)."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value

    return yaml.safe_dump(plain(mapping), sort_keys=False)


def write_fleet_tables(mapping: dict, folder: Path, fmt: str = "parquet") -> Path:
    """The fleet as `phones_table:` and `actions_table:` files plus the scenario naming them.

    Returns the scenario file. Times are wall-clock text (`YYYY-MM-DD HH:MM:SS`).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    def stamp(t: dt.datetime) -> str:
        return t.strftime("%Y-%m-%d %H:%M:%S")

    phones = mapping["phones"]
    renew = [p.get("auto_renew", {}).get("term") for p in phones]
    fleet = pa.table({
        "id": [p["id"] for p in phones],
        "spec": [p["spec"] for p in phones],
        "billing": [p["billing"] for p in phones],
        "at": [stamp(p["at"]) for p in phones],
        "quantity": pa.array([p["quantity"] for p in phones], pa.int64()),
        "term": pa.array([p.get("term") for p in phones], pa.int64()),
        "auto_renew_term": pa.array(renew, pa.int64()),
        "group": [p["group"] for p in phones],
    })
    acts = [(p["id"], stamp(a["at"]), a["do"]) for p in phones for a in p.get("actions", ())]
    actions = pa.table({"phone": [a[0] for a in acts], "at": [a[1] for a in acts],
                        "do": [a[2] for a in acts]})
    names = {}
    for stem, table in (("fleet", fleet), ("actions", actions)):
        names[stem] = f"{stem}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, folder / names[stem])
        else:
            pa_csv.write_csv(table, folder / names[stem])
    scenario = {key: value for key, value in mapping.items() if key != "phones"}
    scenario |= {"phones_table": names["fleet"], "actions_table": names["actions"]}
    path = folder / f"{mapping['name']}.yaml"
    path.write_text(dump_yaml(scenario), encoding="utf-8")
    return path
