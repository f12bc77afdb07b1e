"""billing-rules.md section 5 (operations and states) and 7.1 (same-second order).

Every row of the operations table is exercised in a state where it is refused: the
refusal is an `operation_refused` notification with a readable reason, it is counted in
the summary, and it leaves states and money untouched (the whole traces are asserted).
"""

from __future__ import annotations

from traces import (act, ledger, notes, ppu, prepaid, refusals, run, scenario, states,
                    usage)

M, U = "monthly", "pay_per_use"


def test_every_refused_operation_of_the_table_is_recorded_counted_and_changes_nothing():
    # a: monthly from 01-01 10:00, expiry date 02-01 -> Expired 02-02, Frozen 02-17,
    #    Released 03-04.
    # b: monthly, unsubscribed 01-10 10:00 after 9 days: refund 45 - 13.50 = 31.50.
    # u: pay-per-use, Creating 10:00-11:00, Running to its deletion at 12:30 (1.5 h).
    # x: a purchase the balance cannot pay (ent-8c16g yearly 2448.00): never exists.
    # y: bought 03-01; an action before that instant is refused.
    r = run(scenario(
        prepaid("a", "2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "stop"),
            act("2023-01-05 11:00:00", "stop"),
            act("2023-01-06 10:00:00", "start"),
            act("2023-01-06 11:00:00", "start"),
            act("2023-01-07 10:00:00", "delete"),
            act("2023-02-03 10:00:00", "stop"),
            act("2023-02-03 10:00:00", "unsubscribe"),
            act("2023-02-03 10:00:00", "change_billing", when="now"),
            act("2023-02-03 10:00:00", "enable_auto_renew"),
            act("2023-02-03 10:00:00", "disable_auto_renew"),   # allowed at any time (§7.6)
            act("2023-02-20 10:00:00", "unsubscribe"),
            act("2023-02-20 10:00:00", "change_billing", when="at_expiry"),
            act("2023-03-05 10:00:00", "renew"),
            act("2023-03-05 10:00:00", "disable_auto_renew")]),
        prepaid("b", "2023-01-01 10:00:00", actions=[
            act("2023-01-10 10:00:00", "unsubscribe"),
            act("2023-01-11 10:00:00", "renew"),
            act("2023-01-11 10:00:00", "start")]),
        ppu("u", "2023-01-01 10:00:00", provisioning=3600, actions=[
            act("2023-01-01 10:30:00", "delete"),
            act("2023-01-01 11:30:00", "renew"),
            act("2023-01-01 11:30:00", "unsubscribe"),
            act("2023-01-01 11:30:00", "enable_auto_renew"),
            act("2023-01-01 11:30:00", "disable_auto_renew"),
            act("2023-01-01 11:30:00", "change_billing", when="now"),
            act("2023-01-01 12:30:00", "delete"),
            act("2023-01-01 13:00:00", "delete"),
            act("2023-01-01 13:00:00", "start")]),
        prepaid("x", "2023-01-01 10:00:00", spec="ent-8c16g", billing="yearly",
                actions=[act("2023-01-02 10:00:00", "start")]),
        prepaid("y", "2023-03-01 10:00:00", actions=[act("2023-01-15 10:00:00", "stop")]),
        end="2023-03-06 00:00:00"))
    expected = [
        ("2023-01-01 10:00:00", "x", "purchase refused: balance 910.00 is below the price 2448.00"),
        ("2023-01-01 10:30:00", "u", "delete refused: only a Running, Stopped or Arrears phone"),
        ("2023-01-01 11:30:00", "u", "renew refused: pay-per-use phones cannot be renewed"),
        ("2023-01-01 11:30:00", "u", "unsubscribe refused: pay-per-use phones are deleted"),
        ("2023-01-01 11:30:00", "u", "enable_auto_renew refused: pay-per-use phones have no"),
        ("2023-01-01 11:30:00", "u", "disable_auto_renew refused: pay-per-use phones have no"),
        ("2023-01-01 11:30:00", "u", "change_billing refused: pay-per-use phones cannot change"),
        ("2023-01-01 13:00:00", "u", "delete refused: only a Running, Stopped or Arrears phone"),
        ("2023-01-01 13:00:00", "u", "start refused: only a Stopped phone can be started"),
        ("2023-01-02 10:00:00", "x", "start refused: the phone does not exist (its purchase"),
        ("2023-01-05 11:00:00", "a", "stop refused: only a Running phone can be stopped"),
        ("2023-01-06 11:00:00", "a", "start refused: only a Stopped phone can be started"),
        ("2023-01-07 10:00:00", "a", "delete refused: a yearly/monthly phone cannot be deleted"),
        ("2023-01-11 10:00:00", "b", "renew refused: only a Running, Stopped, Expired or Frozen"),
        ("2023-01-11 10:00:00", "b", "start refused: only a Stopped phone can be started"),
        ("2023-01-15 10:00:00", "y", "stop refused: the phone does not exist before 2023-03-01 10:00:00"),
        ("2023-02-03 10:00:00", "a", "stop refused: only a Running phone can be stopped"),
        ("2023-02-03 10:00:00", "a", "unsubscribe refused: only a Running or Stopped phone"),
        ("2023-02-03 10:00:00", "a", "change_billing refused: only a Running or Stopped phone"),
        ("2023-02-03 10:00:00", "a", "enable_auto_renew refused: auto-renewal can be enabled only before expiry"),
        ("2023-02-20 10:00:00", "a", "unsubscribe refused: only a Running or Stopped phone"),
        ("2023-02-20 10:00:00", "a", "change_billing refused: only a Running or Stopped phone"),
        ("2023-03-05 10:00:00", "a", "renew refused: only a Running, Stopped, Expired or Frozen"),
        ("2023-03-05 10:00:00", "a", "disable_auto_renew refused: the phone has ended"),
    ]
    got = refusals(r)
    assert [(t, p) for t, p, _ in got] == [(t, p) for t, p, _ in expected]
    for (t, p, detail), (_, _, start) in zip(got, expected):
        assert detail.startswith(start), (t, p, detail)
    # The state the phone was in is named, for a person reading the file.
    assert got[-1][2].endswith("(phone is Released)")
    assert got[0][2].endswith("(phone is not existing)")
    assert r.summary["refused_operations"] == len(expected) == 24

    assert ledger(r) == [
        ("2023-01-01 10:00:00", "a", "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 10:00:00", "b", "purchase", "-45.00", "balance", "910.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 13:00:00", "", "settlement", "-0.10", "balance", "909.90",
         "2023-01-01 11:00:00", "2023-01-01 11:59:59"),
        ("2023-01-01 14:00:00", "", "settlement", "-0.05", "balance", "909.85",
         "2023-01-01 12:00:00", "2023-01-01 12:59:59"),
        ("2023-01-10 10:00:00", "b", "refund", "31.50", "balance", "941.35",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-03-01 10:00:00", "y", "purchase", "-45.00", "balance", "896.35",
         "2023-03-01 10:00:00", "2023-04-01 23:59:59")]
    assert states(r) == [
        ("a", M, "Running", "2023-01-01 10:00:00", "2023-01-05 10:00:00"),
        ("b", M, "Running", "2023-01-01 10:00:00", "2023-01-10 10:00:00"),
        ("u", U, "Creating", "2023-01-01 10:00:00", "2023-01-01 11:00:00"),
        ("u", U, "Running", "2023-01-01 11:00:00", "2023-01-01 12:30:00"),
        ("u", U, "Deleted", "2023-01-01 12:30:00", None),
        ("a", M, "Stopped", "2023-01-05 10:00:00", "2023-01-06 10:00:00"),
        ("a", M, "Running", "2023-01-06 10:00:00", "2023-02-02 00:00:00"),
        ("b", M, "Unsubscribed", "2023-01-10 10:00:00", None),
        ("a", M, "Expired", "2023-02-02 00:00:00", "2023-02-17 00:00:00"),
        ("a", M, "Frozen", "2023-02-17 00:00:00", "2023-03-04 00:00:00"),
        ("y", M, "Running", "2023-03-01 10:00:00", None),
        ("a", M, "Released", "2023-03-04 00:00:00", None)]
    others = [n for n in notes(r) if n[2] != "operation_refused"]
    assert others == [
        ("2023-01-17 09:00:00", "a", "expiry_alert", 15),
        ("2023-01-25 09:00:00", "a", "expiry_alert", 7),
        ("2023-01-29 09:00:00", "a", "expiry_alert", 3),
        ("2023-01-31 09:00:00", "a", "expiry_alert", 1),
        ("2023-02-02 00:00:00", "a", "expired", None),
        ("2023-02-17 00:00:00", "a", "frozen", None),
        ("2023-03-04 00:00:00", "a", "released", None)]
    assert r.summary["phones"]["x"] == {
        "billing": "yearly", "final_state": None, "cost": "0.00", "expires_at": None,
        "spec": "ent-8c16g", "quantity": 1, "cost_accrued": "0.00", "group": None,
        "billable_hours": 0.0, "unusable_hours": 0.0, "failed_renewals": 0,
        "refused_operations": 2}


def test_pay_per_use_in_arrears_or_frozen_cannot_be_stopped_and_frozen_cannot_be_deleted():
    # 0.05 - 0.10 at 02:00: Arrears; grace 1 day -> Frozen 01-11 02:00. Stop in Arrears,
    # delete and start in Frozen are refused; a top-up at 01-11 05:00 recovers it; then
    # it can be deleted (06:00).
    r = run(scenario(
        ppu(at="2023-01-10 00:00:00", actions=[
            act("2023-01-10 03:00:00", "stop"),
            act("2023-01-11 03:00:00", "delete"),
            act("2023-01-11 03:00:00", "start"),
            act("2023-01-11 06:00:00", "delete")]),
        end="2023-01-11 12:00:00", policy={"ppu_grace_days": 1},
        account={"balance": "0.05", "topups": [{"at": "2023-01-11 05:00:00", "amount": "5.00"}]}))
    assert [(t, p, d.split(":")[0]) for t, p, d in refusals(r)] == [
        ("2023-01-10 03:00:00", "u", "stop refused"),
        ("2023-01-11 03:00:00", "u", "delete refused"),
        ("2023-01-11 03:00:00", "u", "start refused")]
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 00:00:00", "2023-01-10 02:00:00"),
        ("u", U, "Arrears", "2023-01-10 02:00:00", "2023-01-11 02:00:00"),
        ("u", U, "Frozen", "2023-01-11 02:00:00", "2023-01-11 05:00:00"),
        ("u", U, "Running", "2023-01-11 05:00:00", "2023-01-11 06:00:00"),
        ("u", U, "Deleted", "2023-01-11 06:00:00", None)]
    # Accrued 01-10 00:00 .. 01-11 02:00 (26 h, 26 runs: 0.05 - 2.60 = -2.55), nothing
    # while Frozen, then 05:00-06:00 (1 h): 27 x 0.10 = 2.70. Top-up: -2.55 + 5 = 2.45.
    assert r.summary["phones"]["u"]["cost"] == "2.70"
    assert ledger(r)[-2:] == [
        ("2023-01-11 05:00:00", "", "topup", "5.00", "balance", "2.45", None, None),
        ("2023-01-11 07:00:00", "", "settlement", "-0.10", "balance", "2.35",
         "2023-01-11 05:00:00", "2023-01-11 05:59:59")]
    assert r.summary["refused_operations"] == 3


# --- §7.1: the same second ---------------------------------------------------------------------

def test_an_action_at_the_exact_expiry_instant_sees_the_phone_expired():
    # Expiry instant 02-02 00:00:00. e1's unsubscribe then is refused (Expired); e2's
    # renewal then is a renewal from Expired (allowed), back to Running at once. The
    # zero-second Expired interval of e2 is not a row of states.csv, and its Running rows
    # on either side are one row (§7.17: one row per maximal interval).
    r = run(scenario(
        prepaid("e1", "2023-01-01 10:00:00", actions=[act("2023-02-02 00:00:00", "unsubscribe")]),
        prepaid("e2", "2023-01-01 10:00:00", actions=[act("2023-02-02 00:00:00", "renew")]),
        end="2023-02-03 00:00:00"))
    assert [(t, p, d) for t, p, d in refusals(r)] == [
        ("2023-02-02 00:00:00", "e1",
         "unsubscribe refused: only a Running or Stopped phone can be unsubscribed "
         "(phone is Expired)")]
    assert ledger(r)[2:] == [
        ("2023-02-02 00:00:00", "e2", "renewal", "-45.00", "balance", "865.00",
         "2023-02-02 00:00:00", "2023-03-01 23:59:59")]
    assert states(r) == [
        ("e1", M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        ("e2", M, "Running", "2023-01-01 10:00:00", None),
        ("e1", M, "Expired", "2023-02-02 00:00:00", None)]
    assert [n for n in notes(r) if n[2] == "expired"] == [
        ("2023-02-02 00:00:00", "e1", "expired", None),
        ("2023-02-02 00:00:00", "e2", "expired", None)]


def test_lifecycle_timer_before_top_up_frozen_then_recovered_in_the_same_second():
    # Arrears from 02:00; grace 1 day ends 01-11 02:00:00, the second of the top-up:
    # the freeze happens first (notified), then the top-up recovers the phone at once.
    r = run(scenario(
        ppu(at="2023-01-10 00:00:00"), end="2023-01-11 03:00:00",
        account={"balance": "0.05", "topups": [{"at": "2023-01-11 02:00:00", "amount": "5.00"}]},
        policy={"ppu_grace_days": 1}))
    assert notes(r) == [
        ("2023-01-10 02:00:00", "", "arrears_started", None),
        ("2023-01-11 02:00:00", "u", "frozen", None),
        ("2023-01-11 02:00:00", "", "arrears_cleared", None)]
    assert states(r) == [
        ("u", U, "Running", "2023-01-10 00:00:00", "2023-01-10 02:00:00"),
        ("u", U, "Arrears", "2023-01-10 02:00:00", "2023-01-11 02:00:00"),
        ("u", U, "Running", "2023-01-11 02:00:00", None)]
    # Accrual never stopped for longer than 0 s: 27 full hours to 03:00.
    assert len(usage(r)) == 27 and all(line[2] == 3600 for line in usage(r))


def test_settlement_before_auto_renewal_attempt_in_the_same_second():
    # m bought online; balance 45.05. A 100-instance ent-8c16g pay-per-use order runs one
    # hour (100 x 0.54 = 54.00). Its run at 01-25 02:00:00 (-8.95, arrears) comes before
    # m's auto-renewal attempt at 02:00:00 (policy), which therefore fails; the 7-day
    # alert (alert_time 02:00:00 too) comes after the attempt.
    r = run(scenario(
        prepaid("m", "2023-01-01 10:00:00", pay_with="online", auto_renew={}),
        ppu("big", "2023-01-25 00:00:00", spec="ent-8c16g", quantity=100,
            actions=[act("2023-01-25 01:00:00", "delete")]),
        end="2023-01-25 12:00:00", account={"balance": "45.05"},
        policy={"auto_renew_time": "02:00:00", "alert_time": "02:00:00"}))
    assert notes(r, details=True)[1:] == [
        ("2023-01-25 02:00:00", "", "arrears_started", None, "balance -8.95 after settlement"),
        ("2023-01-25 02:00:00", "m", "auto_renew_failed", None,
         "the account is in arrears (balance -8.95)"),
        ("2023-01-25 02:00:00", "m", "expiry_alert", 7, "expires 2023-02-02T00:00:00+08:00")]
    assert notes(r)[0] == ("2023-01-17 02:00:00", "m", "expiry_alert", 15)
    assert ledger(r)[1:] == [
        ("2023-01-25 02:00:00", "", "settlement", "-54.00", "balance", "-8.95",
         "2023-01-25 00:00:00", "2023-01-25 00:59:59")]


def test_auto_renewal_before_alerts_and_alerts_before_actions_in_the_same_second():
    # a: auto-renewal at 09:00:00 (= alert_time) on 01-25 renews first, so the 7-day
    #    alert of the replaced expiry (01-25 09:00:00) no longer applies and never fires.
    # b: a manual renewal at 01-25 09:00:00 comes after that second's alert, which fires.
    r = run(scenario(
        prepaid("a", "2023-01-01 10:00:00", auto_renew={"times": 1}),
        prepaid("b", "2023-01-01 10:00:00", actions=[act("2023-01-25 09:00:00", "renew")]),
        end="2023-02-01 00:00:00", policy={"auto_renew_time": "09:00:00"}))
    assert notes(r) == [
        ("2023-01-17 09:00:00", "a", "expiry_alert", 15),
        ("2023-01-17 09:00:00", "b", "expiry_alert", 15),
        ("2023-01-25 09:00:00", "a", "auto_renewed", None),
        ("2023-01-25 09:00:00", "b", "expiry_alert", 7)]
    assert [row[:3] for row in ledger(r)] == [
        ("2023-01-01 10:00:00", "a", "purchase"),
        ("2023-01-01 10:00:00", "b", "purchase"),
        ("2023-01-25 09:00:00", "a", "auto_renewal"),
        ("2023-01-25 09:00:00", "b", "renewal")]


def test_purchases_and_actions_of_the_same_second_run_in_file_order():
    # Balance 50: a buys (5.00 left) and, listed next, unsubscribes in the same second
    # (0 whole days: full refund, 50.00); only then does b's purchase run, and succeed.
    # c, listed last, finds 5.00 and is refused.
    r = run(scenario(
        prepaid("a", "2023-01-10 10:00:00", actions=[act("2023-01-10 10:00:00", "unsubscribe")]),
        prepaid("b", "2023-01-10 10:00:00"),
        prepaid("c", "2023-01-10 10:00:00"),
        end="2023-01-11 00:00:00", account={"balance": "50.00"}))
    period = ("2023-01-10 10:00:00", "2023-02-10 23:59:59")
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "a", "purchase", "-45.00", "balance", "5.00", *period),
        ("2023-01-10 10:00:00", "a", "refund", "45.00", "balance", "50.00", *period),
        ("2023-01-10 10:00:00", "b", "purchase", "-45.00", "balance", "5.00", *period)]
    assert states(r) == [
        ("a", M, "Unsubscribed", "2023-01-10 10:00:00", None),
        ("b", M, "Running", "2023-01-10 10:00:00", None)]
    assert [(t, p) for t, p, _ in refusals(r)] == [("2023-01-10 10:00:00", "c")]


def test_one_second_holding_every_band_runs_each_band_phone_by_phone_in_file_order():
    # 02-02 00:00:00 holds every class of §7.1 (alerts and attempts at 00:00:00, bill runs
    # settled at once): x and y expire (x listed first, though y, bought earlier, planned
    # its expiry first); the top-up; u's half hour is settled; a and a2 auto-renew (a
    # listed first, though a2 planned its attempt first), which drops their own 7-day
    # alerts of that second; c's 7-day and b's 15-day alerts (c listed first, though b
    # planned its alert first); then in file order x's renewal (listed first, its other
    # action comes later in time), u's deletion, b's stop and n's purchase.
    T = "2023-02-02 00:00:00"
    r = run(scenario(
        prepaid("x", "2023-01-01 10:00:00",
                actions=[act(T, "renew"), act("2023-02-02 00:30:00", "stop")]),
        ppu("u", "2023-02-01 23:30:00", actions=[act(T, "delete")]),
        prepaid("a", "2023-01-09 12:00:00", auto_renew={}),
        prepaid("c", "2023-01-09 13:00:00"),
        prepaid("b", "2023-01-17 12:00:00", actions=[act(T, "stop")]),
        prepaid("a2", "2023-01-09 11:00:00", auto_renew={}),
        prepaid("n", T),
        prepaid("y", "2023-01-01 09:00:00"),
        end="2023-02-02 01:00:00", account={"topups": [{"at": T, "amount": "1.00"}]},
        policy={"alert_time": "00:00:00", "auto_renew_time": "00:00:00",
                "settlement_delay": 0}))
    renewed = ("2023-02-10 00:00:00", "2023-03-09 23:59:59")
    assert [row for row in ledger(r) if row[0] == T] == [
        (T, "", "topup", "1.00", "balance", "731.00", None, None),
        (T, "", "settlement", "-0.05", "balance", "730.95",
         "2023-02-01 23:00:00", "2023-02-01 23:59:59"),
        (T, "a", "auto_renewal", "-45.00", "balance", "685.95", *renewed),
        (T, "a2", "auto_renewal", "-45.00", "balance", "640.95", *renewed),
        (T, "x", "renewal", "-45.00", "balance", "595.95", T, "2023-03-01 23:59:59"),
        (T, "n", "purchase", "-45.00", "balance", "550.95", T, "2023-03-02 23:59:59")]
    assert [row for row in notes(r) if row[0] >= T] == [
        (T, "x", "expired", None),
        (T, "y", "expired", None),
        (T, "a", "auto_renewed", None),
        (T, "a2", "auto_renewed", None),
        (T, "c", "expiry_alert", 7),
        (T, "b", "expiry_alert", 15)]
    assert states(r) == [
        ("y", M, "Running", "2023-01-01 09:00:00", T),
        ("x", M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:30:00"),
        ("a2", M, "Running", "2023-01-09 11:00:00", None),
        ("a", M, "Running", "2023-01-09 12:00:00", None),
        ("c", M, "Running", "2023-01-09 13:00:00", None),
        ("b", M, "Running", "2023-01-17 12:00:00", T),
        ("u", U, "Running", "2023-02-01 23:30:00", T),
        ("u", U, "Deleted", T, None),
        ("b", M, "Stopped", T, None),
        ("n", M, "Running", T, None),
        ("y", M, "Expired", T, None),
        ("x", M, "Stopped", "2023-02-02 00:30:00", None)]


# --- engine choices where the rules leave room --------------------------------------------

def test_change_at_expiry_requested_twice_succeeds_once_and_moves_with_a_renewal():
    # §7.14: a second at_expiry request while one is pending succeeds and changes nothing
    # (no refusal, no notification); a manual renewal moves the conversion to the new
    # expiry instant (Decisions 3).
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "change_billing", when="at_expiry"),
            act("2023-01-06 10:00:00", "change_billing", when="at_expiry"),
            act("2023-01-08 10:00:00", "renew")]),
        end="2023-03-02 01:00:00", policy={"bill_run": "monthly"}))
    assert refusals(r) == []
    assert [k for _, _, k, _ in notes(r)] == ["expiry_alert"] * 4  # the 03-01 alerts only
    assert states(r) == [
        ("p", M, "Running", "2023-01-01 10:00:00", "2023-03-02 00:00:00"),
        ("p", U, "Running", "2023-03-02 00:00:00", None)]
    assert usage(r) == [("p", "2023-03-02 00:00:00", 3600, "0.10000000", None)]


def test_enable_auto_renew_cancels_a_pending_change_at_expiry():
    # §7.14 (seed §6.3): enabling auto-renewal on the Pay-per-Use After Expiration tab is
    # allowed and replaces the pending change. Expiry date 02-01: the attempt at 01-25
    # 00:03:00 renews to 03-01 (times 1), and at 03-02 00:00 the phone expires as a monthly
    # phone; nothing converts, nothing is refused. Requesting the change again afterwards
    # turns auto-renewal off again (§3) and converts at the expiry: phone q.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "change_billing", when="at_expiry"),
            act("2023-01-07 10:00:00", "enable_auto_renew", times=1)]),
        prepaid("q", at="2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "change_billing", when="at_expiry"),
            act("2023-01-07 10:00:00", "enable_auto_renew"),
            act("2023-01-08 10:00:00", "change_billing", when="at_expiry")]),
        end="2023-03-03 00:00:00"))
    assert refusals(r) == []
    assert [row for row in ledger(r) if row[1]] == [
        ("2023-01-01 10:00:00", "p", "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 10:00:00", "q", "purchase", "-45.00", "balance", "910.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-25 00:03:00", "p", "auto_renewal", "-45.00", "balance", "865.00",
         "2023-02-02 00:00:00", "2023-03-01 23:59:59")]
    assert usage(r)[0] == ("q", "2023-02-02 00:00:00", 3600, "0.10000000", "2023-02-02 02:00:00")
    assert states(r) == [
        ("p", M, "Running", "2023-01-01 10:00:00", "2023-03-02 00:00:00"),
        ("q", M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        ("q", U, "Running", "2023-02-02 00:00:00", None),
        ("p", M, "Expired", "2023-03-02 00:00:00", None)]
    assert [(t, ph, k) for t, ph, k, _ in notes(r) if k != "expiry_alert"] == [
        ("2023-01-25 00:03:00", "p", "auto_renewed"), ("2023-03-02 00:00:00", "p", "expired")]


def test_stop_and_start_in_one_second_leave_one_running_row():
    # §7.17: Running -> Stopped (0 s) -> Running is one maximal Running interval; so is a
    # pay-per-use phone's; a Stopped second in between that lasts 1 s is its own row.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "stop"), act("2023-01-05 10:00:00", "start"),
            act("2023-01-06 10:00:00", "stop"), act("2023-01-06 10:00:00", "start"),
            act("2023-01-06 10:00:00", "stop")]),
        ppu(at="2023-01-01 10:00:00", actions=[
            act("2023-01-02 10:00:00", "stop"), act("2023-01-02 10:00:00", "start"),
            act("2023-01-03 10:00:00", "stop"), act("2023-01-03 10:00:01", "start")]),
        end="2023-01-10 00:00:00"))
    assert states(r) == [
        ("p", M, "Running", "2023-01-01 10:00:00", "2023-01-06 10:00:00"),
        ("u", U, "Running", "2023-01-01 10:00:00", "2023-01-03 10:00:00"),
        ("u", U, "Stopped", "2023-01-03 10:00:00", "2023-01-03 10:00:01"),
        ("u", U, "Running", "2023-01-03 10:00:01", None),
        ("p", M, "Stopped", "2023-01-06 10:00:00", None)]
    assert refusals(r) == []
