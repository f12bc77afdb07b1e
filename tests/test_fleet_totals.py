"""A generated fleet's totals add up: summary = phones = ledger orders and refunds + lines."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal

import pytest

from benchmarks.fleet_gen import fleet_scenario
from sim import load_scenario, simulate

ORDER_KINDS = {"purchase", "renewal", "auto_renewal", "refund"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_fleet_totals_are_the_sum_of_their_parts(fmt, tmp_path):
    data = fleet_scenario(200, years=1 / 12, seed=11)
    data["policy"] = {"refund_rule": "daily"}
    # A few unsubscriptions, so refunds take part in the sums too.
    for phone in data["phones"][:40]:
        if phone["billing"] == "monthly":
            later = phone["at"].replace(microsecond=0) + (data["end"] - phone["at"]) / 2
            phone["actions"] = [{"at": later.replace(microsecond=0), "do": "unsubscribe"}]
    result = simulate(load_scenario(data))
    result.write(tmp_path / "run", format=fmt)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    ledger, usage = _tables(tmp_path / "run", fmt)

    phone_costs = {pid: Decimal(p["cost"]) for pid, p in summary["phones"].items()}
    by_phone = defaultdict(Decimal)
    for row in ledger:
        if row["kind"] in ORDER_KINDS:
            by_phone[row["phone"]] -= Decimal(row["amount"])
    for row in usage:
        by_phone[row["phone"]] += Decimal(row["amount"])

    assert any(row["kind"] == "refund" for row in ledger)
    assert len(usage) == len(result.usage_lines) > 1000
    assert Decimal(summary["total_cost"]) == sum(phone_costs.values())
    assert Decimal(summary["total_cost"]) == sum(by_phone.values())
    assert {p: c for p, c in phone_costs.items() if c} == {p: c for p, c in by_phone.items() if c}
    # The account: what went out = orders paid from the balance + settled lines.
    spent = sum(-Decimal(r["amount"]) for r in ledger if r["kind"] != "topup")
    topped = sum(Decimal(r["amount"]) for r in ledger if r["kind"] == "topup")
    opening = Decimal(str(data["account"]["balance"]))
    assert Decimal(summary["final_balance"]) == opening + topped - spent


def _tables(folder, fmt):
    if fmt == "csv":
        with open(folder / "ledger.csv", newline="", encoding="utf-8") as fh:
            ledger = list(csv.DictReader(fh))
        with open(folder / "usage.csv", newline="", encoding="utf-8") as fh:
            usage = list(csv.DictReader(fh))
        return ledger, usage
    import pyarrow.parquet as pq

    return (pq.read_table(folder / "ledger.parquet").to_pylist(),
            pq.read_table(folder / "usage.parquet").to_pylist())
