"""billing-rules.md section 2 (the account) and edge decisions 7.5, 7.9, 7.13, whole traces.

pro-2c4g: 45.00 per month, 0.10 per hour. Zone Asia/Shanghai.
"""

from __future__ import annotations

from decimal import Decimal

from traces import (act, hours, ledger, notes, ppu, prepaid, refusals, run, scenario, shift,
                    states, usage)

M, U = "monthly", "pay_per_use"


def test_pay_with_balance_needs_the_price_and_a_refused_purchase_never_exists():
    # 50.00: a pays 45.00 -> 5.00; b (45.00) is refused, never exists (§7.8), and its
    # later action is refused too. c pays exactly its price from an exact balance.
    r = run(scenario(
        prepaid("a", "2023-01-10 10:00:00"),
        prepaid("b", "2023-01-10 10:00:00", actions=[act("2023-01-12 10:00:00", "stop")]),
        prepaid("c", "2023-01-11 10:00:00", spec="basic-2c4g", pay_with="balance"),
        end="2023-01-15 00:00:00",
        account={"balance": "50.00", "topups": [{"at": "2023-01-11 09:00:00", "amount": "25.00"}]}))
    # c: basic-2c4g 30.00 monthly; 5.00 + 25.00 = 30.00, exactly its price -> 0.00.
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "a", "purchase", "-45.00", "balance", "5.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-11 09:00:00", "", "topup", "25.00", "balance", "30.00", None, None),
        ("2023-01-11 10:00:00", "c", "purchase", "-30.00", "balance", "0.00",
         "2023-01-11 10:00:00", "2023-02-11 23:59:59")]
    assert states(r) == [
        ("a", M, "Running", "2023-01-10 10:00:00", None),
        ("c", M, "Running", "2023-01-11 10:00:00", None)]
    assert refusals(r) == [
        ("2023-01-10 10:00:00", "b",
         "purchase refused: balance 5.00 is below the price 45.00 (phone is not existing)"),
        ("2023-01-12 10:00:00", "b",
         "stop refused: the phone does not exist (its purchase or creation was refused) "
         "(phone is not existing)")]
    assert r.summary["phones"]["b"] == {
        "billing": M, "final_state": None, "cost": "0.00", "expires_at": None,
        "spec": "pro-2c4g", "quantity": 1, "cost_accrued": "0.00", "group": None,
        "billable_hours": 0.0, "unusable_hours": 0.0, "failed_renewals": 0,
        "refused_operations": 2}
    assert r.summary["refused_operations"] == 2
    assert r.summary["total_cost"] == "75.00"


def test_online_payment_leaves_the_balance_untouched_but_counts_as_cost():
    # Balance 0.00: an online purchase and an online renewal go through; a renewal paid
    # from the balance is refused (0.00 < 45.00).
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", pay_with="online", actions=[
            act("2023-01-11 10:00:00", "renew", pay_with="balance"),
            act("2023-01-12 10:00:00", "renew", pay_with="online", term=2)]),
        end="2023-01-15 00:00:00", account={"balance": "0.00"}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "p", "purchase", "-45.00", "online", "0.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-12 10:00:00", "p", "renewal", "-90.00", "online", "0.00",
         "2023-02-11 00:00:00", "2023-04-10 23:59:59")]
    assert refusals(r) == [
        ("2023-01-11 10:00:00", "p",
         "renew refused: balance 0.00 is below the price 45.00 (phone is Running)")]
    assert r.summary["phones"]["p"]["cost"] == "135.00"
    assert r.summary["final_balance"] == "0.00"


def test_balance_low_fires_on_each_crossing_only():
    # Threshold 100.00. 145 -> 100.00 (not below: silent) -> 55.00 (crossing) -> 10.00
    # (already below: silent); top-up -> 210.00 (credits never notify) -> 165 -> 120 ->
    # 75.00 (crossing again).
    buys = [prepaid(f"p{i}", f"2023-01-{d:02d} 10:00:00")
            for i, d in enumerate((10, 11, 12, 14, 15, 16))]
    r = run(scenario(*buys, end="2023-01-20 00:00:00", account={
        "balance": "145.00", "balance_alert": "100.00",
        "topups": [{"at": "2023-01-13 10:00:00", "amount": "200.00"}]}))
    assert [(row[0], row[2], row[5]) for row in ledger(r)] == [
        ("2023-01-10 10:00:00", "purchase", "100.00"),
        ("2023-01-11 10:00:00", "purchase", "55.00"),
        ("2023-01-12 10:00:00", "purchase", "10.00"),
        ("2023-01-13 10:00:00", "topup", "210.00"),
        ("2023-01-14 10:00:00", "purchase", "165.00"),
        ("2023-01-15 10:00:00", "purchase", "120.00"),
        ("2023-01-16 10:00:00", "purchase", "75.00")]
    assert notes(r) == [
        ("2023-01-11 10:00:00", "", "balance_low", None),
        ("2023-01-16 10:00:00", "", "balance_low", None)]


def test_settlements_cross_the_alert_and_start_arrears_a_same_second_top_up_comes_first():
    # 0.35, alert 0.20, 0.10/h from 00:00. Runs: 02:00 0.25, 03:00 0.15 (balance_low),
    # 04:00 0.05, 05:00 -0.05 (arrears_started; no second balance_low: already below).
    # 06:00:00 top-up 1.00 is credited before that second's run (§7.1): 0.95,
    # arrears_cleared, then 0.85; 07:00 0.75 ... 13:00 0.15 (balance_low again).
    r = run(scenario(
        ppu(at="2023-01-10 00:00:00"), end="2023-01-10 13:30:00",
        account={"balance": "0.35", "balance_alert": "0.20",
                 "topups": [{"at": "2023-01-10 06:00:00", "amount": "1.00"}]}))
    bal = ["0.25", "0.15", "0.05", "-0.05", "0.85", "0.75", "0.65", "0.55", "0.45",
           "0.35", "0.25", "0.15"]
    runs = [(shift(h, hours=2), "", "settlement", "-0.10", "balance", b, h,
             shift(h, minutes=59, seconds=59))
            for h, b in zip(hours("2023-01-10 00:00:00", 12), bal)]
    assert ledger(r) == runs[:4] + [
        ("2023-01-10 06:00:00", "", "topup", "1.00", "balance", "0.95", None, None)] + runs[4:]
    assert notes(r) == [
        ("2023-01-10 03:00:00", "", "balance_low", None),
        ("2023-01-10 05:00:00", "", "arrears_started", None),
        ("2023-01-10 06:00:00", "", "arrears_cleared", None),
        ("2023-01-10 13:00:00", "", "balance_low", None)]
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 00:00:00", "2023-01-10 05:00:00"),
        ("u", U, "Arrears", "2023-01-10 05:00:00", "2023-01-10 06:00:00"),
        ("u", U, "Running", "2023-01-10 06:00:00", None)]


def test_negative_opening_balance_is_silent_arrears_until_a_top_up_brings_it_to_zero():
    # §7.13: -5.00 with alert 10.00: no arrears_started, no balance_low. Creating a
    # pay-per-use phone and buying (even online) are refused. A top-up to -2.00 does not
    # clear arrears; the next one to exactly 0.00 does. Then c may be created; its first
    # run (0.00 -> -0.10) starts arrears again, but is no balance_low (0.00 was below 10).
    r = run(scenario(
        ppu("a", "2023-01-10 10:00:00"),
        prepaid("b", "2023-01-10 11:00:00", pay_with="online"),
        ppu("c", "2023-01-12 12:00:00"),
        end="2023-01-12 15:00:00",
        account={"balance": "-5.00", "balance_alert": "10.00", "topups": [
            {"at": "2023-01-11 10:00:00", "amount": "3.00"},
            {"at": "2023-01-12 10:00:00", "amount": "2.00"}]}))
    assert ledger(r) == [
        ("2023-01-11 10:00:00", "", "topup", "3.00", "balance", "-2.00", None, None),
        ("2023-01-12 10:00:00", "", "topup", "2.00", "balance", "0.00", None, None),
        ("2023-01-12 14:00:00", "", "settlement", "-0.10", "balance", "-0.10",
         "2023-01-12 12:00:00", "2023-01-12 12:59:59")]
    assert notes(r) == [
        ("2023-01-10 10:00:00", "a", "operation_refused", None),
        ("2023-01-10 11:00:00", "b", "operation_refused", None),
        ("2023-01-12 10:00:00", "", "arrears_cleared", None),
        ("2023-01-12 14:00:00", "", "arrears_started", None)]
    assert [d for _, _, d in refusals(r)] == [
        "create refused: the account is in arrears (balance -5.00) (phone is not existing)",
        "purchase refused: the account is in arrears (balance -5.00) (phone is not existing)"]
    assert states(r) == [
        ("c", U, "Running", "2023-01-12 12:00:00", "2023-01-12 14:00:00"),
        ("c", U, "Arrears", "2023-01-12 14:00:00", None)]
    assert usage(r) == [
        ("c", "2023-01-12 12:00:00", 3600, "0.10000000", "2023-01-12 14:00:00"),
        ("c", "2023-01-12 13:00:00", 3600, "0.10000000", None),
        ("c", "2023-01-12 14:00:00", 3600, "0.10000000", None)]
    assert r.summary["refused_operations"] == 2
    assert r.summary["phones"]["a"]["final_state"] is None


def test_in_arrears_fees_are_refused_other_operations_allowed_and_a_refund_ends_arrears():
    # m and n bought online 01-01 00:00 (balance stays 0.05); m has auto-renewal.
    # u (0.10/h) from 01-24 00:00: the 02:00 run leaves -0.05 -> arrears, u Arrears.
    # In arrears (§7.9): m's online renewal is refused; stop and start are allowed; p's
    # online purchase is refused; n's change at expiry is allowed; m's auto-renewal attempt
    # (01-25 00:03, after 23 runs: -2.25) fails; disabling auto-renewal is allowed; m's unsubscription is allowed
    # and its refund (24 whole days: 45 - 36.00 = 9.00) brings -3.45 to 5.55, which ends
    # arrears (§7.5): arrears_cleared and u Running again.
    # Balance before the refund: 0.05 - 35 runs x 0.10 (hours 01-24 00:00 .. 01-25 10:00,
    # the last deducted at 12:00:00 before the 12:00:00 action) = -3.45.
    r = run(scenario(
        prepaid("m", "2023-01-01 00:00:00", pay_with="online", auto_renew={}, actions=[
            act("2023-01-24 10:00:00", "renew", pay_with="online"),
            act("2023-01-24 11:00:00", "stop"),
            act("2023-01-24 12:00:00", "start"),
            act("2023-01-25 10:00:00", "disable_auto_renew"),
            act("2023-01-25 12:00:00", "unsubscribe")]),
        prepaid("n", "2023-01-01 00:00:00", pay_with="online",
                actions=[act("2023-01-24 15:00:00", "change_billing", when="at_expiry")]),
        ppu("u", "2023-01-24 00:00:00", actions=[act("2023-01-25 14:30:00", "delete")]),
        prepaid("p", "2023-01-24 13:00:00", pay_with="online"),
        end="2023-01-27 00:00:00", account={"balance": "0.05"}))
    period = ("2023-01-01 00:00:00", "2023-02-01 23:59:59")
    first = hours("2023-01-24 00:00:00", 35)
    runs = [(shift(h, hours=2), "", "settlement", "-0.10", "balance", str(Decimal("0.05") - Decimal("0.10") * (i + 1)),
             h, shift(h, minutes=59, seconds=59)) for i, h in enumerate(first)]
    after = [("2023-01-25 13:00:00", "-0.10", "5.45", "2023-01-25 11:00:00"),
             ("2023-01-25 14:00:00", "-0.10", "5.35", "2023-01-25 12:00:00"),
             ("2023-01-25 15:00:00", "-0.10", "5.25", "2023-01-25 13:00:00"),
             ("2023-01-25 16:00:00", "-0.05", "5.20", "2023-01-25 14:00:00")]
    assert ledger(r) == [
        ("2023-01-01 00:00:00", "m", "purchase", "-45.00", "online", "0.05", *period),
        ("2023-01-01 00:00:00", "n", "purchase", "-45.00", "online", "0.05", *period),
    ] + runs + [
        ("2023-01-25 12:00:00", "m", "refund", "9.00", "balance", "5.55", *period),
    ] + [(t, "", "settlement", a, "balance", b, h, shift(h, minutes=59, seconds=59))
         for t, a, b, h in after]
    assert runs[-1][5] == "-3.45"
    assert notes(r) == [
        ("2023-01-17 09:00:00", "m", "expiry_alert", 15),
        ("2023-01-17 09:00:00", "n", "expiry_alert", 15),
        ("2023-01-24 02:00:00", "", "arrears_started", None),
        ("2023-01-24 10:00:00", "m", "operation_refused", None),
        ("2023-01-24 13:00:00", "p", "operation_refused", None),
        ("2023-01-25 00:03:00", "m", "auto_renew_failed", None),
        ("2023-01-25 09:00:00", "m", "expiry_alert", 7),
        ("2023-01-25 09:00:00", "n", "expiry_alert", 7),
        ("2023-01-25 12:00:00", "", "arrears_cleared", None)]
    assert [d for _, _, d in refusals(r)] == [
        "renew refused: the account is in arrears (balance -0.85) (phone is Running)",
        "purchase refused: the account is in arrears (balance -1.15) (phone is not existing)"]
    failed = [n for n in notes(r, details=True) if n[2] == "auto_renew_failed"]
    assert failed[0][4] == "the account is in arrears (balance -2.25)"
    assert states(r) == [
        ("m", M, "Running", "2023-01-01 00:00:00", "2023-01-24 11:00:00"),
        ("n", M, "Running", "2023-01-01 00:00:00", None),
        ("u", U, "Running", "2023-01-24 00:00:00", "2023-01-24 02:00:00"),
        ("u", U, "Arrears", "2023-01-24 02:00:00", "2023-01-25 12:00:00"),
        ("m", M, "Stopped", "2023-01-24 11:00:00", "2023-01-24 12:00:00"),
        ("m", M, "Running", "2023-01-24 12:00:00", "2023-01-25 12:00:00"),
        ("m", M, "Unsubscribed", "2023-01-25 12:00:00", None),
        ("u", U, "Running", "2023-01-25 12:00:00", "2023-01-25 14:30:00"),
        ("u", U, "Deleted", "2023-01-25 14:30:00", None)]
    assert r.summary["refused_operations"] == 2
