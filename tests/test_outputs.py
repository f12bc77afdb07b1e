"""The output files of a run (scenario-and-outputs.md): names, columns, formats, order,
and the arithmetic that ties them together (ledger reconciliation, settlements = their
lines, summary costs), plus byte-for-byte determinism.

Checked on the shipped scenarios and on a "kitchen sink" scenario in a zone with daylight
saving and a negative offset, under each bill run.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sim import load_scenario, simulate

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["seed-ppu-within-hour", "seed-ppu-across-hour", "seed-renewal",
           "seed-unsubscribe-then-upgrade", "office-fleet", "arrears-recovery",
           "yearly-to-ppu-at-expiry", "quickstart"]

COLUMNS = {
    "ledger.csv": ["time", "phone", "kind", "amount", "paid_from", "balance_after",
                   "period_start", "period_end", "detail"],
    "usage.csv": ["phone", "cycle_start", "cycle_end", "seconds", "amount", "settled_at"],
    "costs.csv": ["phone", "billing", "group", "spec", "quantity", "cash", "accrued",
                  "billable_hours", "unusable_hours", "failed_renewals", "refused_operations",
                  "final_state"],
    "monthly.csv": ["month", "billing", "cash", "accrued", "instances_in_use",
                    "instance_hours"],
    "states.csv": ["phone", "billing", "state", "start", "end"],
    "notifications.csv": ["time", "phone", "kind", "days_before", "detail"],
}
TIME_COLUMNS = {
    "ledger.csv": ["time", "period_start", "period_end"],
    "usage.csv": ["cycle_start", "cycle_end", "settled_at"],
    "states.csv": ["start", "end"],
    "notifications.csv": ["time"],
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
MONEY = re.compile(r"^-?\d+\.(\d{2}|\d{8})$")  # cents, or the 8 decimals of bill lines
LINE_MONEY = re.compile(r"^\d+\.\d{8}$")
LEDGER_KINDS = {"topup", "purchase", "renewal", "auto_renewal", "refund", "settlement"}
STATES = {"Creating", "Running", "Stopped", "Expired", "Arrears", "Frozen", "Released",
          "Unsubscribed", "Deleted"}
NOTE_KINDS = {"expiry_alert", "expired", "frozen", "released", "auto_renewed",
              "auto_renew_failed", "arrears_started", "arrears_cleared", "balance_low",
              "operation_refused"}


def kitchen_sink(bill_run: str = "daily") -> dict:
    """Every kind of row, across the 2023-11-05 fall-back in America/New_York."""
    return {
        "name": f"kitchen-sink-{bill_run}",
        "timezone": "America/New_York",
        "start": "2023-10-01 00:00:00",
        "end": "2023-11-20 00:00:00",
        "policy": {"bill_run": bill_run, "refund_fee_rate": "0.05", "ppu_grace_days": 3},
        "account": {"balance": "250.00", "balance_alert": "20.00", "topups": [
            {"at": "2023-10-20 09:00:00", "amount": "30.00"},
            {"at": "2023-11-06 12:00:00", "amount": "100.00"}]},
        "phones": [
            {"id": "m1", "spec": "pro-2c4g", "billing": "monthly", "term": 1,
             "at": "2023-10-01 08:00:00", "auto_renew": {}},
            {"id": "m2", "spec": "pro-2c4g", "billing": "monthly", "term": 1,
             "at": "2023-10-02 08:00:00", "pay_with": "online",
             "actions": [{"at": "2023-10-05 10:00:00", "do": "renew", "pay_with": "online"},
                         {"at": "2023-10-12 10:00:00", "do": "unsubscribe"}]},
            {"id": "u1", "spec": "pro-4c8g", "billing": "pay_per_use", "quantity": 2,
             "at": "2023-10-03 00:00:00", "provisioning": 300, "actions": [
                 {"at": "2023-10-05 10:00:00", "do": "stop"},
                 {"at": "2023-10-06 10:00:00", "do": "start"},
                 {"at": "2023-11-15 10:30:15", "do": "delete"}]},
            {"id": "u2", "spec": "basic-2c4g", "billing": "pay_per_use",
             "at": "2023-11-04 22:10:00"},
            {"id": "y1", "spec": "basic-2c4g", "billing": "yearly", "term": 1,
             "at": "2023-10-01 09:00:00", "pay_with": "online",
             "actions": [{"at": "2023-11-03 13:00:00", "do": "change_billing", "when": "now"},
                         {"at": "2023-11-04 13:00:00", "do": "renew"}]},
        ],
    }


CASES = [pytest.param(ROOT / "scenarios" / f"{name}.yaml", id=name) for name in SHIPPED] + [
    pytest.param(kitchen_sink(run), id=f"kitchen-sink-{run}")
    for run in ("hourly", "daily", "monthly")]


def _read(folder: Path) -> tuple[dict[str, list[dict]], dict, dict[str, list[str]]]:
    tables, headers = {}, {}
    for name in COLUMNS:
        with open(folder / name, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            headers[name] = reader.fieldnames
            tables[name] = list(reader)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return tables, summary, headers


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(params=CASES, scope="module")
def written(request, tmp_path_factory):
    """Simulated and written once per case; the tests below only read."""
    scenario = load_scenario(request.param)
    result = simulate(scenario)
    folder = result.write(tmp_path_factory.mktemp("out") / "out")
    tables, summary, headers = _read(folder)
    return scenario, result, folder, tables, summary, headers


def test_the_output_files_with_their_exact_columns(written):
    _, _, folder, _, summary, headers = written
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["ledger.csv", "usage.csv", "states.csv", "notifications.csv", "costs.csv",
         "monthly.csv", "summary.json"])
    for name, columns in COLUMNS.items():
        assert headers[name] == columns, name
    assert {"scenario", "currency", "start", "end", "final_balance", "total_cost", "phones",
            "refused_operations"} <= set(summary)
    for phone in summary["phones"].values():
        assert {"billing", "final_state", "cost", "expires_at"} <= set(phone)


def test_times_are_iso_8601_with_offset_and_money_is_plain_decimal_text(written):
    _, _, _, tables, summary, _ = written
    for name, columns in TIME_COLUMNS.items():
        for row in tables[name]:
            for column in columns:
                assert row[column] == "" or ISO.match(row[column]), (name, column, row)
    for row in tables["ledger.csv"]:
        assert MONEY.match(row["amount"]) and MONEY.match(row["balance_after"]), row
        assert row["kind"] in LEDGER_KINDS and row["paid_from"] in {"balance", "online"}
        assert row["time"] and ((row["period_start"] == "") == (row["period_end"] == ""))
    for row in tables["usage.csv"]:
        assert LINE_MONEY.match(row["amount"]), row
        assert 0 < int(row["seconds"]) <= 3600
        assert _when(row["cycle_end"]) - _when(row["cycle_start"]) == dt.timedelta(hours=1)
    for row in tables["states.csv"]:
        assert row["state"] in STATES and row["start"]
    for row in tables["notifications.csv"]:
        assert row["kind"] in NOTE_KINDS
        assert (row["days_before"] != "") == (row["kind"] == "expiry_alert")
        assert row["phone"] != "" or row["kind"] in {
            "arrears_started", "arrears_cleared", "balance_low"}
    assert ISO.match(summary["start"]) and ISO.match(summary["end"])
    for key in ("final_balance", "total_cost"):
        assert isinstance(summary[key], str) and MONEY.match(summary[key]), summary[key]
    for phone in summary["phones"].values():
        assert isinstance(phone["cost"], str) and MONEY.match(phone["cost"])
        assert phone["expires_at"] is None or ISO.match(phone["expires_at"])


def test_rows_are_in_time_order(written):
    _, _, _, tables, _, _ = written
    times = [_when(r["time"]) for r in tables["ledger.csv"]]
    assert times == sorted(times)
    times = [_when(r["time"]) for r in tables["notifications.csv"]]
    assert times == sorted(times)
    starts = [_when(r["start"]) for r in tables["states.csv"]]
    assert starts == sorted(starts)
    cycles = [_when(r["cycle_start"]) for r in tables["usage.csv"]]
    assert cycles == sorted(cycles)


def test_state_intervals_of_each_phone_follow_each_other(written):
    _, _, _, tables, summary, _ = written
    by_phone = defaultdict(list)
    for row in tables["states.csv"]:
        by_phone[row["phone"]].append(row)
    for phone, rows in by_phone.items():
        for before, after in zip(rows, rows[1:]):
            assert before["end"] == after["start"], (phone, before, after)
            assert _when(before["start"]) < _when(before["end"])
        assert rows[-1]["end"] == "", rows[-1]  # the interval open at the window's end
        assert rows[-1]["state"] == summary["phones"][phone]["final_state"]
        assert rows[-1]["billing"] == summary["phones"][phone]["billing"]
    for phone, outcome in summary["phones"].items():
        if outcome["final_state"] is None:
            assert phone not in by_phone  # §7.8: a refused purchase has no state rows


def test_ledger_reconciles_from_the_opening_balance(written):
    scenario, _, _, tables, summary, _ = written
    balance = Decimal(scenario.account.balance)
    for row in tables["ledger.csv"]:
        amount, after = Decimal(row["amount"]), Decimal(row["balance_after"])
        if row["paid_from"] == "online":
            assert amount < 0 and after == balance, row
        else:
            assert after == balance + amount, row
        assert (amount < 0) == (row["kind"] in {"purchase", "renewal", "auto_renewal",
                                                "settlement"}) or amount == 0, row
        assert (row["phone"] == "") == (row["kind"] in {"topup", "settlement"}), row
        balance = after
    assert Decimal(summary["final_balance"]) == balance


def test_settlement_rows_equal_the_lines_they_settle(written):
    scenario, _, _, tables, _, _ = written
    lines = defaultdict(Decimal)
    for row in tables["usage.csv"]:
        if row["settled_at"]:
            lines[row["settled_at"]] += Decimal(row["amount"])
    runs = {r["time"]: -Decimal(r["amount"]) for r in tables["ledger.csv"]
            if r["kind"] == "settlement"}
    if scenario.policy.bill_run == "monthly":  # §7.3: the month's total rounded to cents
        lines = {t: v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for t, v in lines.items()}
    assert runs == dict(lines)
    cycles = defaultdict(list)
    for line in tables["usage.csv"]:
        cycles[line["settled_at"]].append(_when(line["cycle_start"]))
    for row in tables["ledger.csv"]:
        if row["kind"] == "settlement":  # a run's period holds the cycles it settles
            start, end = _when(row["period_start"]), _when(row["period_end"])
            assert all(start <= c < end for c in cycles[row["time"]]), row


def test_usage_keeps_unsettled_lines_up_to_end_with_empty_settled_at(written):
    _, result, _, tables, summary, _ = written
    end = _when(summary["end"])
    for row in tables["usage.csv"]:
        assert _when(row["cycle_start"]) < end
        if row["settled_at"]:
            assert _when(row["settled_at"]) < end
            assert _when(row["settled_at"]) >= _when(row["cycle_end"])
    # Every line the engine accrued is in the file, settled or not: the file's lines add
    # up to the pay-per-use part of the costs.
    assert len(tables["usage.csv"]) == len(result.usage)


def test_usage_lines_are_the_billable_state_intervals_cut_into_clock_hours(written):
    # An independent recomputation from states.csv: pay-per-use accrues while Running,
    # Stopped or Arrears (not Creating/Frozen/ended), per second, in local clock hours,
    # each line rounded half-up to 8 decimals.
    scenario, _, _, tables, summary, _ = written
    end = _when(summary["end"])
    zone = ZoneInfo(scenario.timezone)
    rate = {p.id: scenario.catalog.spec(p.spec).hourly * p.quantity for p in scenario.phones}
    seconds: dict[tuple[str, dt.datetime], int] = defaultdict(int)
    for row in tables["states.csv"]:
        if row["billing"] != "pay_per_use" or row["state"] not in {"Running", "Stopped",
                                                                  "Arrears"}:
            continue
        t, stop = _when(row["start"]), _when(row["end"]) if row["end"] else end
        t, stop = t.astimezone(dt.timezone.utc), stop.astimezone(dt.timezone.utc)
        while t < stop:
            # Arithmetic in UTC (aware arithmetic in the zone would be wall-clock time);
            # the local hour starts minute:second before t (whole-hour offsets here).
            local = t.astimezone(zone)
            cycle = t - dt.timedelta(minutes=local.minute, seconds=local.second)
            cut = min(stop, cycle + dt.timedelta(hours=1))
            seconds[(row["phone"], cycle)] += int((cut - t).total_seconds())
            t = cut
    expected = sorted(
        (cycle, phone, n, (rate[phone] * n / 3600).quantize(Decimal("1e-8"), ROUND_HALF_UP))
        for (phone, cycle), n in seconds.items())
    got = sorted((_when(r["cycle_start"]), r["phone"], int(r["seconds"]), Decimal(r["amount"]))
                 for r in tables["usage.csv"])
    assert got == expected


def test_summary_cost_is_orders_minus_refunds_plus_all_lines(written):
    _, _, _, tables, summary, _ = written
    cost = defaultdict(Decimal)
    for row in tables["ledger.csv"]:
        if row["phone"]:
            cost[row["phone"]] -= Decimal(row["amount"])
    for row in tables["usage.csv"]:
        cost[row["phone"]] += Decimal(row["amount"])
    for phone, outcome in summary["phones"].items():
        assert Decimal(outcome["cost"]) == cost[phone], phone
        if outcome["final_state"] is None:
            assert outcome["cost"] == "0.00"
    assert Decimal(summary["total_cost"]) == sum(
        (Decimal(p["cost"]) for p in summary["phones"].values()), Decimal(0))
    refused = sum(1 for r in tables["notifications.csv"] if r["kind"] == "operation_refused")
    assert summary["refused_operations"] == refused


@pytest.mark.parametrize("source", CASES)
def test_same_input_twice_gives_byte_identical_files(source, tmp_path):
    first = simulate(load_scenario(source)).write(tmp_path / "one")
    second = simulate(load_scenario(source)).write(tmp_path / "two")
    for name in [*COLUMNS, "summary.json"]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_kitchen_sink_exercises_every_ledger_kind_and_the_dst_offsets(tmp_path):
    # Guards the checks above against passing on empty tables.
    result = simulate(load_scenario(kitchen_sink("daily")))
    folder = result.write(tmp_path / "k")
    tables, _, _ = _read(folder)
    assert {r["kind"] for r in tables["ledger.csv"]} == LEDGER_KINDS
    assert {"online", "balance"} == {r["paid_from"] for r in tables["ledger.csv"]}
    offsets = {r["cycle_start"][-6:] for r in tables["usage.csv"]}
    assert offsets == {"-04:00", "-05:00"}
    assert any(r["settled_at"] == "" for r in tables["usage.csv"])
    assert {"arrears_started", "balance_low", "expiry_alert", "auto_renewed"} <= {
        r["kind"] for r in tables["notifications.csv"]}
