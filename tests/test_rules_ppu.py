"""billing-rules.md section 4 (pay-per-use), one test per rule, whole traces.

pro-2c4g costs 0.10 per hour (0.1/3600 per second). Zone Asia/Shanghai unless a test
is about daylight saving. The hand computation of every row is in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from traces import (act, hours, ledger, notes, ppu, prepaid, run, scenario, shift, states,
                    usage)

U = "pay_per_use"
ODD = {"id": "odd", "edition": "basic", "vcpus": 1, "memory_gb": 1, "storage_gb": 1,
       "monthly": "10.00", "yearly": "100.00"}


def _catalog(hourly: str) -> dict:
    return {"currency": "USD", "specs": [dict(ODD, hourly=hourly)]}


def _settlements(rows, balance: str) -> list[tuple]:
    """Expected hourly settlement rows: (cycle start, amount) -> deducted 2 h after it."""
    out, bal = [], Decimal(balance)
    for cycle, amount in rows:
        bal -= Decimal(amount)
        shown = f"{bal:.2f}" if bal == bal.quantize(Decimal("0.01")) else f"{bal:.8f}"
        out.append((shift(cycle, hours=2), "", "settlement", f"-{Decimal(amount):.2f}",
                    "balance", shown, cycle, shift(cycle, minutes=59, seconds=59)))
    return out


# --- Provisioning, per-second accrual, 8-decimal lines ---------------------------------------

def test_provisioning_is_not_billed_then_accrual_per_second_x_quantity_in_clock_hours():
    # 3 instances: 0.30/h. Creating 10:20:00 .. 10:22:05 (125 s), deleted 11:10:07.
    # 10:22:05 -> 11:00:00 = 2275 s: 0.30 x 2275/3600 = 0.189583.. -> 0.18958333
    # 11:00:00 -> 11:10:07 =  607 s: 0.30 x 607/3600  = 0.050583.. -> 0.05058333
    r = run(scenario(
        ppu(at="2023-01-10 10:20:00", quantity=3, provisioning=125,
            actions=[act("2023-01-10 11:10:07", "delete")]),
        end="2023-01-10 14:00:00"))
    assert states(r) == [
        ("u", U, "Creating", "2023-01-10 10:20:00", "2023-01-10 10:22:05"),
        ("u", U, "Running", "2023-01-10 10:22:05", "2023-01-10 11:10:07"),
        ("u", U, "Deleted", "2023-01-10 11:10:07", None)]
    assert usage(r) == [
        ("u", "2023-01-10 10:00:00", 2275, "0.18958333", "2023-01-10 12:00:00"),
        ("u", "2023-01-10 11:00:00", 607, "0.05058333", "2023-01-10 13:00:00")]
    assert ledger(r) == [
        ("2023-01-10 12:00:00", "", "settlement", "-0.18958333", "balance", "999.81041667",
         "2023-01-10 10:00:00", "2023-01-10 10:59:59"),
        ("2023-01-10 13:00:00", "", "settlement", "-0.05058333", "balance", "999.75983334",
         "2023-01-10 11:00:00", "2023-01-10 11:59:59")]
    assert notes(r) == []
    assert r.summary["phones"]["u"]["cost"] == "0.24016666"


def test_bill_line_rounds_half_up_at_8_decimals():
    # 0.00000005 per hour x 1800 s = 0.000000025 exactly -> half-up 0.00000003.
    r = run(scenario(
        ppu(at="2023-01-10 10:00:00", spec="odd", actions=[act("2023-01-10 10:30:00", "delete")]),
        end="2023-01-10 13:00:00", catalog=_catalog("0.00000005")))
    assert usage(r) == [("u", "2023-01-10 10:00:00", 1800, "0.00000003", "2023-01-10 12:00:00")]
    assert ledger(r) == [
        ("2023-01-10 12:00:00", "", "settlement", "-0.00000003", "balance", "999.99999997",
         "2023-01-10 10:00:00", "2023-01-10 10:59:59")]


def test_stopped_pay_per_use_phone_is_still_billed_and_delete_ends_billing():
    r = run(scenario(
        ppu(at="2023-01-10 10:00:00", actions=[
            act("2023-01-10 10:30:00", "stop"),
            act("2023-01-10 11:30:00", "start"),
            act("2023-01-10 11:45:00", "stop"),
            act("2023-01-10 12:15:00", "delete")]),
        end="2023-01-10 16:00:00"))
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 10:00:00", "2023-01-10 10:30:00"),
        ("u", U, "Stopped", "2023-01-10 10:30:00", "2023-01-10 11:30:00"),
        ("u", U, "Running", "2023-01-10 11:30:00", "2023-01-10 11:45:00"),
        ("u", U, "Stopped", "2023-01-10 11:45:00", "2023-01-10 12:15:00"),
        ("u", U, "Deleted", "2023-01-10 12:15:00", None)]
    # 10:00-11:00 and 11:00-12:00 full (stopped time included), 12:00-12:15 = 900 s.
    assert usage(r) == [
        ("u", "2023-01-10 10:00:00", 3600, "0.10000000", "2023-01-10 12:00:00"),
        ("u", "2023-01-10 11:00:00", 3600, "0.10000000", "2023-01-10 13:00:00"),
        ("u", "2023-01-10 12:00:00", 900, "0.02500000", "2023-01-10 14:00:00")]
    assert ledger(r) == _settlements(
        [("2023-01-10 10:00:00", "0.10"), ("2023-01-10 11:00:00", "0.10")], "1000.00") + [
        ("2023-01-10 14:00:00", "", "settlement", "-0.02500000", "balance", "999.77500000",
         "2023-01-10 12:00:00", "2023-01-10 12:59:59")]


# --- Bill runs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("delay, due", [(3600, 1), (0, 0), (7200, 2)])
def test_hourly_bill_run_deducts_each_hour_settlement_delay_after_it_ends(delay, due):
    # 08:30 -> 10:15: lines 08:00 (1800 s, 0.05), 09:00 (0.10), 10:00 (900 s, 0.025).
    # Default delay 3600: the 08:00-09:00 fees are deducted at 10:00:00.
    policy = {} if delay == 3600 else {"settlement_delay": delay}
    r = run(scenario(
        ppu(at="2023-01-10 08:30:00", actions=[act("2023-01-10 10:15:00", "delete")]),
        end="2023-01-10 18:00:00", policy=policy))
    at = [shift(h, hours=1 + due) for h in hours("2023-01-10 08:00:00", 3)]
    assert usage(r) == [
        ("u", "2023-01-10 08:00:00", 1800, "0.05000000", at[0]),
        ("u", "2023-01-10 09:00:00", 3600, "0.10000000", at[1]),
        ("u", "2023-01-10 10:00:00", 900, "0.02500000", at[2])]
    assert ledger(r) == [
        (at[0], "", "settlement", "-0.05", "balance", "999.95",
         "2023-01-10 08:00:00", "2023-01-10 08:59:59"),
        (at[1], "", "settlement", "-0.10", "balance", "999.85",
         "2023-01-10 09:00:00", "2023-01-10 09:59:59"),
        (at[2], "", "settlement", "-0.02500000", "balance", "999.82500000",
         "2023-01-10 10:00:00", "2023-01-10 10:59:59")]


def test_daily_bill_run_deducts_the_exact_sum_of_the_days_lines():
    # 01-10 22:30 -> 01-12 01:15, delay 7200 s.
    # 01-10: 1800 s (0.05) + 3600 s (0.10) = 0.15, deducted 01-11 02:00;
    # 01-11: 24 x 0.10 = 2.40, deducted 01-12 02:00;
    # 01-12: 0.10 + 900 s (0.025) = 0.125 (8 decimals kept), deducted 01-13 02:00.
    r = run(scenario(
        ppu(at="2023-01-10 22:30:00", actions=[act("2023-01-12 01:15:00", "delete")]),
        end="2023-01-14 00:00:00", policy={"bill_run": "daily", "settlement_delay": 7200}))
    assert ledger(r) == [
        ("2023-01-11 02:00:00", "", "settlement", "-0.15", "balance", "999.85",
         "2023-01-10 00:00:00", "2023-01-10 23:59:59"),
        ("2023-01-12 02:00:00", "", "settlement", "-2.40", "balance", "997.45",
         "2023-01-11 00:00:00", "2023-01-11 23:59:59"),
        ("2023-01-13 02:00:00", "", "settlement", "-0.12500000", "balance", "997.32500000",
         "2023-01-12 00:00:00", "2023-01-12 23:59:59")]
    lines = usage(r)
    assert len(lines) == 2 + 24 + 2
    assert lines[0] == ("u", "2023-01-10 22:00:00", 1800, "0.05000000", "2023-01-11 02:00:00")
    assert lines[1:26] == [("u", h, 3600, "0.10000000", d) for h, d in
                           zip(hours("2023-01-10 23:00:00", 25),
                               ["2023-01-11 02:00:00"] + ["2023-01-12 02:00:00"] * 24)]
    assert lines[26:] == [
        ("u", "2023-01-12 00:00:00", 3600, "0.10000000", "2023-01-13 02:00:00"),
        ("u", "2023-01-12 01:00:00", 900, "0.02500000", "2023-01-13 02:00:00")]


def test_monthly_bill_run_rounds_the_months_total_to_cents():
    # 0.018/h. u: 01-31 23:43:20 -> 02-01 00:10:00; v: 02-10 12:00 -> 12:10.
    # January: 1000 s = 0.005 exactly -> statement 0.01 (half-up).
    # February: 600 s (0.003) + 600 s (0.003) = 0.006 -> 0.01 (each line alone would be 0.00).
    r = run(scenario(
        ppu("u", "2023-01-31 23:43:20", spec="odd", actions=[act("2023-02-01 00:10:00", "delete")]),
        ppu("v", "2023-02-10 12:00:00", spec="odd", actions=[act("2023-02-10 12:10:00", "delete")]),
        end="2023-03-02 00:00:00", catalog=_catalog("0.018"),
        account={"balance": "10.00"}, policy={"bill_run": "monthly"}))
    assert usage(r) == [
        ("u", "2023-01-31 23:00:00", 1000, "0.00500000", "2023-02-01 01:00:00"),
        ("u", "2023-02-01 00:00:00", 600, "0.00300000", "2023-03-01 01:00:00"),
        ("v", "2023-02-10 12:00:00", 600, "0.00300000", "2023-03-01 01:00:00")]
    assert ledger(r) == [
        ("2023-02-01 01:00:00", "", "settlement", "-0.01", "balance", "9.99",
         "2023-01-01 00:00:00", "2023-01-31 23:59:59"),
        ("2023-03-01 01:00:00", "", "settlement", "-0.01", "balance", "9.98",
         "2023-02-01 00:00:00", "2023-02-28 23:59:59")]
    # The summary counts the bill lines themselves (contract: cost = its bill lines).
    assert r.summary["phones"]["u"]["cost"] == "0.00800000"
    assert r.summary["total_cost"] == "0.01100000"


def test_lines_not_settled_at_end_are_kept_with_empty_settled_at_cut_at_end():
    r = run(scenario(ppu(at="2023-01-10 10:00:00"), end="2023-01-10 12:30:00"))
    assert usage(r) == [
        ("u", "2023-01-10 10:00:00", 3600, "0.10000000", "2023-01-10 12:00:00"),
        ("u", "2023-01-10 11:00:00", 3600, "0.10000000", None),   # due 13:00, after end
        ("u", "2023-01-10 12:00:00", 1800, "0.05000000", None)]   # in progress, cut at end
    assert ledger(r) == _settlements([("2023-01-10 10:00:00", "0.10")], "1000.00")
    assert states(r) == [("u", U, "Running", "2023-01-10 10:00:00", None)]
    assert r.summary["phones"]["u"]["cost"] == "0.25"
    assert r.summary["final_balance"] == "999.90"


# --- Arrears ------------------------------------------------------------------------------------

def test_arrears_grace_then_frozen_then_released_with_ppu_policy_days():
    # 0.25 - 0.10 per hour: 02:00 -> 0.15, 03:00 -> 0.05, 04:00 -> -0.05: arrears.
    # ppu_grace_days 1: Frozen 01-11 04:00 (no accrual after); ppu_retention_days 2:
    # Released 01-13 04:00. Accrued 01-10 00:00 .. 01-11 04:00 = 28 hours, all settled
    # (last at 01-11 05:00), each negative deduction leaving the grace clock alone.
    r = run(scenario(
        ppu(at="2023-01-10 00:00:00"), end="2023-01-14 00:00:00",
        account={"balance": "0.25"}, policy={"ppu_grace_days": 1, "ppu_retention_days": 2}))
    cycles = hours("2023-01-10 00:00:00", 28)
    assert usage(r) == [("u", h, 3600, "0.10000000", shift(h, hours=2)) for h in cycles]
    assert ledger(r) == _settlements([(h, "0.10") for h in cycles], "0.25")
    assert ledger(r)[-1][5] == "-2.55"
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 00:00:00", "2023-01-10 04:00:00"),
        ("u", U, "Arrears", "2023-01-10 04:00:00", "2023-01-11 04:00:00"),
        ("u", U, "Frozen", "2023-01-11 04:00:00", "2023-01-13 04:00:00"),
        ("u", U, "Released", "2023-01-13 04:00:00", None)]
    assert notes(r) == [
        ("2023-01-10 04:00:00", "", "arrears_started", None),
        ("2023-01-11 04:00:00", "u", "frozen", None),
        ("2023-01-13 04:00:00", "u", "released", None)]
    assert r.summary["phones"]["u"]["final_state"] == "Released"


def test_arrears_default_grace_and_retention_are_15_days():
    r = run(scenario(ppu(at="2023-01-10 00:00:00"), end="2023-02-12 00:00:00",
                     account={"balance": "0.05"}))
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 00:00:00", "2023-01-10 02:00:00"),
        ("u", U, "Arrears", "2023-01-10 02:00:00", "2023-01-25 02:00:00"),
        ("u", U, "Frozen", "2023-01-25 02:00:00", "2023-02-09 02:00:00"),
        ("u", U, "Released", "2023-02-09 02:00:00", None)]
    # Accrues while Running (2 h) and Arrears (15 d = 360 h), not while Frozen: 36.20.
    assert r.summary["phones"]["u"]["cost"] == "36.20"


def test_top_up_recovers_frozen_and_arrears_phones_and_a_later_arrears_gets_fresh_grace():
    # a and b 0.10/h each from 01-10 00:00; b stopped at 00:30 (still billed). 0.20 per hour.
    # 02:00: 0.15 - 0.20 = -0.05 -> arrears, both Arrears; grace 1 day -> Frozen 01-11 02:00.
    # Accrued 26 h each (01-10 00:00 .. 01-11 02:00): balance 0.15 - 26 x 0.20 = -5.05.
    # Top-up 10.00 on 01-12 10:00 -> 4.95: arrears_cleared, a Running, b back to Stopped.
    # Accrual resumes; the 25th new settlement (hour 01-13 10:00, at 12:00) gives -0.05:
    # fresh arrears and a fresh 1-day grace -> Frozen 01-14 12:00.
    r = run(scenario(
        ppu("a", "2023-01-10 00:00:00"),
        ppu("b", "2023-01-10 00:00:00", actions=[act("2023-01-10 00:30:00", "stop")]),
        end="2023-01-14 13:00:00",
        account={"balance": "0.15", "topups": [{"at": "2023-01-12 10:00:00", "amount": "10.00"}]},
        policy={"ppu_grace_days": 1, "ppu_retention_days": 5}))
    first = hours("2023-01-10 00:00:00", 26)
    second = hours("2023-01-12 10:00:00", 50)
    settled_first = _settlements([(h, "0.20") for h in first], "0.15")
    settled_second = _settlements([(h, "0.20") for h in second[:49]], "4.95")
    assert ledger(r) == settled_first + [
        ("2023-01-12 10:00:00", "", "topup", "10.00", "balance", "4.95", None, None)
    ] + settled_second
    assert ledger(r)[-1][5] == "-4.85"
    assert states(r) == [
        ("a", U, "Running", "2023-01-10 00:00:00", "2023-01-10 02:00:00"),
        ("b", U, "Running", "2023-01-10 00:00:00", "2023-01-10 00:30:00"),
        ("b", U, "Stopped", "2023-01-10 00:30:00", "2023-01-10 02:00:00"),
        ("a", U, "Arrears", "2023-01-10 02:00:00", "2023-01-11 02:00:00"),
        ("b", U, "Arrears", "2023-01-10 02:00:00", "2023-01-11 02:00:00"),
        ("a", U, "Frozen", "2023-01-11 02:00:00", "2023-01-12 10:00:00"),
        ("b", U, "Frozen", "2023-01-11 02:00:00", "2023-01-12 10:00:00"),
        ("a", U, "Running", "2023-01-12 10:00:00", "2023-01-13 12:00:00"),
        ("b", U, "Stopped", "2023-01-12 10:00:00", "2023-01-13 12:00:00"),
        ("a", U, "Arrears", "2023-01-13 12:00:00", "2023-01-14 12:00:00"),
        ("b", U, "Arrears", "2023-01-13 12:00:00", "2023-01-14 12:00:00"),
        ("a", U, "Frozen", "2023-01-14 12:00:00", None),
        ("b", U, "Frozen", "2023-01-14 12:00:00", None)]
    assert notes(r) == [
        ("2023-01-10 02:00:00", "", "arrears_started", None),
        ("2023-01-11 02:00:00", "a", "frozen", None),
        ("2023-01-11 02:00:00", "b", "frozen", None),
        ("2023-01-12 10:00:00", "", "arrears_cleared", None),
        ("2023-01-13 12:00:00", "", "arrears_started", None),
        ("2023-01-14 12:00:00", "a", "frozen", None),
        ("2023-01-14 12:00:00", "b", "frozen", None)]
    settled = {h: shift(h, hours=2) for h in first + second[:49]}
    expected_lines = [(pid, h, 3600, "0.10000000", settled.get(h))
                      for h in first + second for pid in ("a", "b")]
    assert usage(r) == expected_lines
    assert r.summary["phones"]["a"]["cost"] == "7.60"
    assert r.summary["total_cost"] == "15.20"


def test_phone_billable_while_in_arrears_enters_arrears_at_the_next_negative_deduction():
    # §7.4. a from 00:00; 0.05 - 0.10 at 02:00 -> arrears, a Arrears (grace from 02:00).
    # b created 01:00 (balance still 0.05 > 0) with 5400 s provisioning: Running 02:30,
    # enters Arrears at the 03:00 deduction (-0.15), its own grace from then; the later
    # negative deductions restart neither clock. a is deleted while in Arrears at 12:00.
    # Lines: a hours 00..11 (12 x 0.10); b 02:00 (1800 s, 0.05), 03:00 .. 01-11 02:00
    # (24 x 0.10). Per hour h settled at h+2: 00,01: 0.10; 02: 0.15; 03..11: 0.20;
    # 12 .. 01-11 02:00: 0.10 -> -3.60 at the end.
    r = run(scenario(
        ppu("a", "2023-01-10 00:00:00", actions=[act("2023-01-10 12:00:00", "delete")]),
        ppu("b", "2023-01-10 01:00:00", provisioning=5400),
        end="2023-01-12 06:00:00", account={"balance": "0.05"},
        policy={"ppu_grace_days": 1, "ppu_retention_days": 1}))
    assert states(r) == [
        ("a", U, "Running", "2023-01-10 00:00:00", "2023-01-10 02:00:00"),
        ("b", U, "Creating", "2023-01-10 01:00:00", "2023-01-10 02:30:00"),
        ("a", U, "Arrears", "2023-01-10 02:00:00", "2023-01-10 12:00:00"),
        ("b", U, "Running", "2023-01-10 02:30:00", "2023-01-10 03:00:00"),
        ("b", U, "Arrears", "2023-01-10 03:00:00", "2023-01-11 03:00:00"),
        ("a", U, "Deleted", "2023-01-10 12:00:00", None),
        ("b", U, "Frozen", "2023-01-11 03:00:00", "2023-01-12 03:00:00"),
        ("b", U, "Released", "2023-01-12 03:00:00", None)]
    assert notes(r) == [
        ("2023-01-10 02:00:00", "", "arrears_started", None),
        ("2023-01-11 03:00:00", "b", "frozen", None),
        ("2023-01-12 03:00:00", "b", "released", None)]
    amounts = ["0.10", "0.10", "0.15"] + ["0.20"] * 9 + ["0.10"] * 15
    assert ledger(r) == _settlements(list(zip(hours("2023-01-10 00:00:00", 27), amounts)),
                                     "0.05")
    assert ledger(r)[-1][5] == "-3.60"


# --- Daylight saving ------------------------------------------------------------------------

def test_dst_fall_back_phone_billed_its_real_seconds_no_line_over_3600():
    # America/New_York, 2023-11-05 02:00 EDT -> 01:00 EST. 00:30 EDT (04:30 UTC) to
    # 03:30 EST (08:30 UTC) is 4 real hours = 14,400 s, over five clock hours (01:00-02:00
    # happens twice). Each cycle is settled 3600 real seconds after it ends.
    r = run(scenario(
        ppu(at="2023-11-05 00:30:00", actions=[act("2023-11-05 03:30:00", "delete")]),
        timezone="America/New_York", start="2023-11-04 00:00:00", end="2023-11-06 00:00:00"))
    assert usage(r, iso=True) == [
        ("u", "2023-11-05T00:00:00-04:00", 1800, "0.05000000", "2023-11-05T01:00:00-05:00"),
        ("u", "2023-11-05T01:00:00-04:00", 3600, "0.10000000", "2023-11-05T02:00:00-05:00"),
        ("u", "2023-11-05T01:00:00-05:00", 3600, "0.10000000", "2023-11-05T03:00:00-05:00"),
        ("u", "2023-11-05T02:00:00-05:00", 3600, "0.10000000", "2023-11-05T04:00:00-05:00"),
        ("u", "2023-11-05T03:00:00-05:00", 1800, "0.05000000", "2023-11-05T05:00:00-05:00")]
    assert sum(line[2] for line in usage(r)) == 14400
    assert states(r, iso=True) == [
        ("u", U, "Running", "2023-11-05T00:30:00-04:00", "2023-11-05T03:30:00-05:00"),
        ("u", U, "Deleted", "2023-11-05T03:30:00-05:00", None)]
    assert r.summary["phones"]["u"]["cost"] == "0.40"
    assert [row[:4] for row in ledger(r, iso=True)] == [
        ("2023-11-05T01:00:00-05:00", "", "settlement", "-0.05"),
        ("2023-11-05T02:00:00-05:00", "", "settlement", "-0.10"),
        ("2023-11-05T03:00:00-05:00", "", "settlement", "-0.10"),
        ("2023-11-05T04:00:00-05:00", "", "settlement", "-0.10"),
        ("2023-11-05T05:00:00-05:00", "", "settlement", "-0.05")]


def test_dst_spring_forward_phone_billed_its_real_seconds():
    # 2023-03-12 02:00 EST -> 03:00 EDT: 01:30 EST to 03:30 EDT is one real hour.
    r = run(scenario(
        ppu(at="2023-03-12 01:30:00", actions=[act("2023-03-12 03:30:00", "delete")]),
        timezone="America/New_York", start="2023-03-11 00:00:00", end="2023-03-13 00:00:00"))
    assert usage(r, iso=True) == [
        ("u", "2023-03-12T01:00:00-05:00", 1800, "0.05000000", "2023-03-12T04:00:00-04:00"),
        ("u", "2023-03-12T03:00:00-04:00", 1800, "0.05000000", "2023-03-12T05:00:00-04:00")]
    assert r.summary["phones"]["u"]["cost"] == "0.10"


def test_dst_alerts_auto_renewal_and_grace_days_stay_at_local_wall_time():
    # a: monthly from 2023-02-20 10:00 EST, expiry date 03-20; alerts at 09:00 local on
    #    03-05 (EST) and 03-13, 03-17, 03-19 (EDT); auto-renewal attempt 03-13 00:03 EDT
    #    (7 days before) -> new expiry date 04-20, so the 03-13 alert and later are cancelled.
    # b: monthly from 2023-10-01 10:00 EDT, expiry date 11-01: expires 11-02 00:00 EDT,
    #    Frozen 15 calendar days later at 00:00 EST (15 days + 1 hour of real time).
    r = run(scenario(
        prepaid("a", "2023-02-20 10:00:00", auto_renew={"times": 1}),
        prepaid("b", "2023-10-01 10:00:00"),
        timezone="America/New_York", start="2023-02-01 00:00:00", end="2023-11-20 00:00:00"))
    a_notes = [n for n in notes(r, iso=True) if n[1] == "a"]
    assert a_notes == [
        ("2023-03-05T09:00:00-05:00", "a", "expiry_alert", 15),
        ("2023-03-13T00:03:00-04:00", "a", "auto_renewed", None),
        ("2023-04-05T09:00:00-04:00", "a", "expiry_alert", 15),
        ("2023-04-13T09:00:00-04:00", "a", "expiry_alert", 7),
        ("2023-04-17T09:00:00-04:00", "a", "expiry_alert", 3),
        ("2023-04-19T09:00:00-04:00", "a", "expiry_alert", 1),
        ("2023-04-21T00:00:00-04:00", "a", "expired", None),
        ("2023-05-06T00:00:00-04:00", "a", "frozen", None),
        ("2023-05-21T00:00:00-04:00", "a", "released", None)]
    assert states(r, iso=True, phone="b") == [
        ("b", "monthly", "Running", "2023-10-01T10:00:00-04:00", "2023-11-02T00:00:00-04:00"),
        ("b", "monthly", "Expired", "2023-11-02T00:00:00-04:00", "2023-11-17T00:00:00-05:00"),
        ("b", "monthly", "Frozen", "2023-11-17T00:00:00-05:00", None)]
    assert [row[:6] for row in ledger(r, iso=True) if row[1] == "a"] == [
        ("2023-02-20T10:00:00-05:00", "a", "purchase", "-45.00", "balance", "955.00"),
        ("2023-03-13T00:03:00-04:00", "a", "auto_renewal", "-45.00", "balance", "910.00")]
