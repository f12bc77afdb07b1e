"""billing-rules.md section 3 (yearly/monthly, prepaid), one test per rule, whole traces.

Prices (default catalog): pro-2c4g 45.00 / month, 459.00 / year, 0.10 / hour; pro-4c8g
90.00 / month. Zone Asia/Shanghai (no daylight saving). Every expected row was worked out
by hand from the rules; the arithmetic is in the comments.
"""

from __future__ import annotations

from traces import act, hours, ledger, notes, ppu, prepaid, run, scenario, states, usage

P, M, Y, U = "p", "monthly", "yearly", "pay_per_use"


# --- Period: calendar months, anchor day, 23:59:59 / 00:00:00 ----------------------------

def test_period_calendar_months_keep_the_anchor_day_jan31_feb28_mar31_apr30():
    # Bought Jan 31 (anchor 31): Feb 28 (clamped), then Mar 31 and Apr 30 on renewals.
    r = run(scenario(
        prepaid(at="2023-01-31 10:00:00", actions=[
            act("2023-02-10 10:00:00", "renew", term=1),
            act("2023-02-11 10:00:00", "renew", term=1)]),
        start="2023-01-01 00:00:00", end="2023-05-01 00:00:00"))
    assert ledger(r) == [
        ("2023-01-31 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-31 10:00:00", "2023-02-28 23:59:59"),
        ("2023-02-10 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-03-01 00:00:00", "2023-03-31 23:59:59"),
        ("2023-02-11 10:00:00", P, "renewal", "-45.00", "balance", "865.00",
         "2023-04-01 00:00:00", "2023-04-30 23:59:59")]
    # The expiry instant 05-01 00:00:00 equals `end`: it does not happen (window [start, end)).
    assert states(r) == [(P, M, "Running", "2023-01-31 10:00:00", None)]
    # Each renewal cancelled the alerts of the expiry it replaced; only the last period's
    # four monthly alerts (15/7/3/1 days before 04-30, at 09:00) remain.
    assert notes(r) == [
        ("2023-04-15 09:00:00", P, "expiry_alert", 15),
        ("2023-04-23 09:00:00", P, "expiry_alert", 7),
        ("2023-04-27 09:00:00", P, "expiry_alert", 3),
        ("2023-04-29 09:00:00", P, "expiry_alert", 1)]
    assert r.summary["phones"][P]["expires_at"] == "2023-05-01T00:00:00+08:00"


def test_period_anchor_in_a_leap_year_jan31_feb29_mar31():
    r = run(scenario(
        prepaid(at="2024-01-31 10:00:00", actions=[act("2024-02-01 10:00:00", "renew")]),
        start="2024-01-01 00:00:00", end="2024-02-02 00:00:00"))
    assert ledger(r) == [
        ("2024-01-31 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2024-01-31 10:00:00", "2024-02-29 23:59:59"),
        ("2024-02-01 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2024-03-01 00:00:00", "2024-03-31 23:59:59")]
    assert r.summary["phones"][P]["expires_at"] == "2024-04-01T00:00:00+08:00"


def test_period_bought_mar31_one_month_apr30_renewed_may31():
    r = run(scenario(
        prepaid(at="2023-03-31 12:00:00", actions=[act("2023-04-10 10:00:00", "renew")]),
        start="2023-03-01 00:00:00", end="2023-06-02 00:00:00"))
    assert ledger(r) == [
        ("2023-03-31 12:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-03-31 12:00:00", "2023-04-30 23:59:59"),
        ("2023-04-10 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-05-01 00:00:00", "2023-05-31 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-03-31 12:00:00", "2023-06-01 00:00:00"),
        (P, M, "Expired", "2023-06-01 00:00:00", None)]
    # First period's alerts (from 04-15) were all still ahead at the 04-10 renewal: cancelled.
    assert notes(r) == [
        ("2023-05-16 09:00:00", P, "expiry_alert", 15),
        ("2023-05-24 09:00:00", P, "expiry_alert", 7),
        ("2023-05-28 09:00:00", P, "expiry_alert", 3),
        ("2023-05-30 09:00:00", P, "expiry_alert", 1),
        ("2023-06-01 00:00:00", P, "expired", None)]


def test_period_valid_through_235959_and_expires_at_next_000000():
    # Seed: bought 2023-02-08 15:50:04 for 2 months -> valid until 2023-04-08 23:59:59.
    phone = prepaid(at="2023-02-08 15:50:04", term=2)
    still = run(scenario(phone, start="2023-02-01 00:00:00", end="2023-04-09 00:00:00"))
    assert ledger(still) == [
        ("2023-02-08 15:50:04", P, "purchase", "-90.00", "balance", "910.00",
         "2023-02-08 15:50:04", "2023-04-08 23:59:59")]
    assert states(still) == [(P, M, "Running", "2023-02-08 15:50:04", None)]
    assert still.summary["phones"][P]["final_state"] == "Running"
    assert still.summary["phones"][P]["expires_at"] == "2023-04-09T00:00:00+08:00"
    # One second later the expiry instant is inside the window.
    after = run(scenario(phone, start="2023-02-01 00:00:00", end="2023-04-09 00:00:01"))
    assert states(after) == [
        (P, M, "Running", "2023-02-08 15:50:04", "2023-04-09 00:00:00"),
        (P, M, "Expired", "2023-04-09 00:00:00", None)]
    assert notes(after) == [
        ("2023-03-24 09:00:00", P, "expiry_alert", 15),
        ("2023-04-01 09:00:00", P, "expiry_alert", 7),
        ("2023-04-05 09:00:00", P, "expiry_alert", 3),
        ("2023-04-07 09:00:00", P, "expiry_alert", 1),
        ("2023-04-09 00:00:00", P, "expired", None)]


# --- Price, alerts by unit ----------------------------------------------------------------

def test_price_is_unit_x_term_x_quantity_and_the_unit_picks_the_alert_days():
    # a: yearly x 2 years x 2 = 459*2*2 = 1836.00; b: monthly x 3 x 2 = 270.00;
    # c: monthly x 12 = 540.00 (a 12-month period still gets the monthly 15/7/3/1 alerts).
    r = run(scenario(
        prepaid("a", "2023-01-10 10:00:00", billing=Y, term=2, quantity=2),
        prepaid("b", "2023-01-10 10:00:00", term=3, quantity=2),
        prepaid("c", "2023-01-10 10:00:00", term=12),
        start="2023-01-10 00:00:00", end="2025-01-12 00:00:00",
        account={"balance": "3000.00"}, policy={"alert_time": "08:30:00"}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "a", "purchase", "-1836.00", "balance", "1164.00",
         "2023-01-10 10:00:00", "2025-01-10 23:59:59"),
        ("2023-01-10 10:00:00", "b", "purchase", "-270.00", "balance", "894.00",
         "2023-01-10 10:00:00", "2023-04-10 23:59:59"),
        ("2023-01-10 10:00:00", "c", "purchase", "-540.00", "balance", "354.00",
         "2023-01-10 10:00:00", "2024-01-10 23:59:59")]
    # Default grace and retention: Expired -> +15 d Frozen -> +15 d Released.
    assert states(r) == [
        ("a", Y, "Running", "2023-01-10 10:00:00", "2025-01-11 00:00:00"),
        ("b", M, "Running", "2023-01-10 10:00:00", "2023-04-11 00:00:00"),
        ("c", M, "Running", "2023-01-10 10:00:00", "2024-01-11 00:00:00"),
        ("b", M, "Expired", "2023-04-11 00:00:00", "2023-04-26 00:00:00"),
        ("b", M, "Frozen", "2023-04-26 00:00:00", "2023-05-11 00:00:00"),
        ("b", M, "Released", "2023-05-11 00:00:00", None),
        ("c", M, "Expired", "2024-01-11 00:00:00", "2024-01-26 00:00:00"),
        ("c", M, "Frozen", "2024-01-26 00:00:00", "2024-02-10 00:00:00"),
        ("c", M, "Released", "2024-02-10 00:00:00", None),
        ("a", Y, "Expired", "2025-01-11 00:00:00", None)]
    assert notes(r) == [
        ("2023-03-26 08:30:00", "b", "expiry_alert", 15),
        ("2023-04-03 08:30:00", "b", "expiry_alert", 7),
        ("2023-04-07 08:30:00", "b", "expiry_alert", 3),
        ("2023-04-09 08:30:00", "b", "expiry_alert", 1),
        ("2023-04-11 00:00:00", "b", "expired", None),
        ("2023-04-26 00:00:00", "b", "frozen", None),
        ("2023-05-11 00:00:00", "b", "released", None),
        ("2023-12-26 08:30:00", "c", "expiry_alert", 15),
        ("2024-01-03 08:30:00", "c", "expiry_alert", 7),
        ("2024-01-07 08:30:00", "c", "expiry_alert", 3),
        ("2024-01-09 08:30:00", "c", "expiry_alert", 1),
        ("2024-01-11 00:00:00", "c", "expired", None),
        ("2024-01-26 00:00:00", "c", "frozen", None),
        ("2024-02-10 00:00:00", "c", "released", None),
        ("2024-12-11 08:30:00", "a", "expiry_alert", 30),
        ("2024-12-26 08:30:00", "a", "expiry_alert", 15),
        ("2025-01-03 08:30:00", "a", "expiry_alert", 7),
        ("2025-01-07 08:30:00", "a", "expiry_alert", 3),
        ("2025-01-09 08:30:00", "a", "expiry_alert", 1),
        ("2025-01-11 00:00:00", "a", "expired", None)]
    assert r.summary["total_cost"] == "2646.00"
    assert r.summary["final_balance"] == "354.00"


def test_alerts_already_past_when_the_period_is_scheduled_are_skipped():
    # Expires 02-02 00:00, Frozen 02-17 00:00; renewed 02-20 10:00 for 1 month from the old
    # expiry date: new expiry date 03-01. Its 15-day alert (02-14 09:00) is past: skipped.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[act("2023-02-20 10:00:00", "renew")]),
        end="2023-03-03 00:00:00"))
    assert ledger(r) == [
        ("2023-01-01 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-02-20 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-02-02 00:00:00", "2023-03-01 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        (P, M, "Expired", "2023-02-02 00:00:00", "2023-02-17 00:00:00"),
        (P, M, "Frozen", "2023-02-17 00:00:00", "2023-02-20 10:00:00"),
        (P, M, "Running", "2023-02-20 10:00:00", "2023-03-02 00:00:00"),
        (P, M, "Expired", "2023-03-02 00:00:00", None)]
    assert notes(r) == [
        ("2023-01-17 09:00:00", P, "expiry_alert", 15),
        ("2023-01-25 09:00:00", P, "expiry_alert", 7),
        ("2023-01-29 09:00:00", P, "expiry_alert", 3),
        ("2023-01-31 09:00:00", P, "expiry_alert", 1),
        ("2023-02-02 00:00:00", P, "expired", None),
        ("2023-02-17 00:00:00", P, "frozen", None),
        ("2023-02-22 09:00:00", P, "expiry_alert", 7),
        ("2023-02-26 09:00:00", P, "expiry_alert", 3),
        ("2023-02-28 09:00:00", P, "expiry_alert", 1),
        ("2023-03-02 00:00:00", P, "expired", None)]


def test_alert_due_at_the_very_second_its_period_is_scheduled_still_fires():
    # §7.10: renewed (from Expired) at 02-14 09:00:00 to expiry date 03-01, whose 15-day
    # alert is 02-14 09:00:00, that very second.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[act("2023-02-14 09:00:00", "renew")]),
        end="2023-03-01 00:00:00"))
    assert states(r) == [
        (P, M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        (P, M, "Expired", "2023-02-02 00:00:00", "2023-02-14 09:00:00"),
        (P, M, "Running", "2023-02-14 09:00:00", None)]
    assert notes(r)[5:] == [
        ("2023-02-14 09:00:00", P, "expiry_alert", 15),
        ("2023-02-22 09:00:00", P, "expiry_alert", 7),
        ("2023-02-26 09:00:00", P, "expiry_alert", 3),
        ("2023-02-28 09:00:00", P, "expiry_alert", 1)]
    assert [n[2] for n in notes(r)[:5]] == ["expiry_alert"] * 4 + ["expired"]


def test_alerts_cancelled_by_unsubscription_and_change_now_but_not_by_change_at_expiry():
    # All bought 01-01 10:00 (expiry date 02-01); the 15-day alert (01-17) fires for all.
    # At 01-20 10:00 (19 whole days used, 45/30 x 19 = 28.50 consumed, 16.50 refunded):
    # a unsubscribes, b changes to pay-per-use now, c asks for the change at expiry.
    r = run(scenario(
        prepaid("a", "2023-01-01 10:00:00", actions=[act("2023-01-20 10:00:00", "unsubscribe")]),
        prepaid("b", "2023-01-01 10:00:00",
                actions=[act("2023-01-20 10:00:00", "change_billing", when="now")]),
        prepaid("c", "2023-01-01 10:00:00",
                actions=[act("2023-01-20 10:00:00", "change_billing", when="at_expiry")]),
        end="2023-02-03 00:00:00", policy={"bill_run": "monthly"}))
    assert notes(r) == [
        ("2023-01-17 09:00:00", "a", "expiry_alert", 15),
        ("2023-01-17 09:00:00", "b", "expiry_alert", 15),
        ("2023-01-17 09:00:00", "c", "expiry_alert", 15),
        ("2023-01-25 09:00:00", "c", "expiry_alert", 7),
        ("2023-01-29 09:00:00", "c", "expiry_alert", 3),
        ("2023-01-31 09:00:00", "c", "expiry_alert", 1)]
    # b accrues 0.10/h from 01-20 10:00: January = 11 d 14 h = 278 h = 27.80, settled by
    # the monthly run at 02-01 01:00; c accrues from its expiry instant 02-02 00:00.
    assert ledger(r) == [
        ("2023-01-01 10:00:00", "a", "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 10:00:00", "b", "purchase", "-45.00", "balance", "910.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 10:00:00", "c", "purchase", "-45.00", "balance", "865.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-20 10:00:00", "a", "refund", "16.50", "balance", "881.50",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-20 10:00:00", "b", "refund", "16.50", "balance", "898.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-02-01 01:00:00", "", "settlement", "-27.80", "balance", "870.20",
         "2023-01-01 00:00:00", "2023-01-31 23:59:59")]
    assert states(r) == [
        ("a", M, "Running", "2023-01-01 10:00:00", "2023-01-20 10:00:00"),
        ("b", M, "Running", "2023-01-01 10:00:00", "2023-01-20 10:00:00"),
        ("c", M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        ("a", M, "Unsubscribed", "2023-01-20 10:00:00", None),
        ("b", U, "Running", "2023-01-20 10:00:00", None),
        ("c", U, "Running", "2023-02-02 00:00:00", None)]


# --- Lifecycle ------------------------------------------------------------------------------

def test_lifecycle_expired_frozen_released_with_non_default_grace_and_retention():
    # Expiry date 02-05 -> Expired 02-06 00:00 -> +3 d Frozen 02-09 -> +10 d Released 02-19;
    # a renewal after release is refused and changes nothing.
    r = run(scenario(
        prepaid(at="2023-01-05 10:00:00", actions=[act("2023-02-20 10:00:00", "renew")]),
        end="2023-03-01 00:00:00", policy={"grace_days": 3, "retention_days": 10}))
    assert states(r) == [
        (P, M, "Running", "2023-01-05 10:00:00", "2023-02-06 00:00:00"),
        (P, M, "Expired", "2023-02-06 00:00:00", "2023-02-09 00:00:00"),
        (P, M, "Frozen", "2023-02-09 00:00:00", "2023-02-19 00:00:00"),
        (P, M, "Released", "2023-02-19 00:00:00", None)]
    assert notes(r)[4:] == [
        ("2023-02-06 00:00:00", P, "expired", None),
        ("2023-02-09 00:00:00", P, "frozen", None),
        ("2023-02-19 00:00:00", P, "released", None),
        ("2023-02-20 10:00:00", P, "operation_refused", None)]
    assert ledger(r) == [
        ("2023-01-05 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-05 10:00:00", "2023-02-05 23:59:59")]
    assert r.summary["refused_operations"] == 1
    assert r.summary["phones"][P]["final_state"] == "Released"


def test_stop_and_start_do_not_change_prepaid_billing_and_stopped_phone_expires():
    # §7.12: stopped at expiry -> Expired; a renewal returns it to Running (not Stopped).
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[
            act("2023-01-05 10:00:00", "stop"),
            act("2023-01-06 10:00:00", "start"),
            act("2023-01-30 10:00:00", "stop"),
            act("2023-02-03 10:00:00", "renew")]),
        end="2023-02-04 00:00:00"))
    assert ledger(r) == [
        ("2023-01-01 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-02-03 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-02-02 00:00:00", "2023-03-01 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-01 10:00:00", "2023-01-05 10:00:00"),
        (P, M, "Stopped", "2023-01-05 10:00:00", "2023-01-06 10:00:00"),
        (P, M, "Running", "2023-01-06 10:00:00", "2023-01-30 10:00:00"),
        (P, M, "Stopped", "2023-01-30 10:00:00", "2023-02-02 00:00:00"),
        (P, M, "Expired", "2023-02-02 00:00:00", "2023-02-03 10:00:00"),
        (P, M, "Running", "2023-02-03 10:00:00", None)]
    # A stopped phone still gets its alerts (01-31 09:00); the renewed period's 15-day
    # alert (02-14) lies beyond the window.
    assert notes(r) == [
        ("2023-01-17 09:00:00", P, "expiry_alert", 15),
        ("2023-01-25 09:00:00", P, "expiry_alert", 7),
        ("2023-01-29 09:00:00", P, "expiry_alert", 3),
        ("2023-01-31 09:00:00", P, "expiry_alert", 1),
        ("2023-02-02 00:00:00", P, "expired", None)]
    assert usage(r) == []


# --- Manual renewal -------------------------------------------------------------------------

def test_manual_renewal_of_a_stopped_phone_keeps_it_stopped_and_pays_from_old_expiry():
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", actions=[
            act("2023-01-12 10:00:00", "stop"),
            act("2023-01-15 10:00:00", "renew", term=2, pay_with="online")]),
        end="2023-01-20 00:00:00"))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-15 10:00:00", P, "renewal", "-90.00", "online", "955.00",
         "2023-02-11 00:00:00", "2023-04-10 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-10 10:00:00", "2023-01-12 10:00:00"),
        (P, M, "Stopped", "2023-01-12 10:00:00", None)]
    assert r.summary["phones"][P]["expires_at"] == "2023-04-11T00:00:00+08:00"
    assert r.summary["phones"][P]["cost"] == "135.00"


def test_manual_renewal_from_frozen_pays_from_old_expiry_and_runs_at_once():
    # Expiry date 02-01: Expired 02-02, Frozen 02-17; renewed 02-25 14:00 for 2 months:
    # paid from 02-02 00:00:00 (the expired/frozen days are paid for) to 04-01 23:59:59.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", actions=[act("2023-02-25 14:00:00", "renew", term=2)]),
        end="2023-03-10 00:00:00"))
    assert ledger(r) == [
        ("2023-01-01 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-02-25 14:00:00", P, "renewal", "-90.00", "balance", "865.00",
         "2023-02-02 00:00:00", "2023-04-01 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-01 10:00:00", "2023-02-02 00:00:00"),
        (P, M, "Expired", "2023-02-02 00:00:00", "2023-02-17 00:00:00"),
        (P, M, "Frozen", "2023-02-17 00:00:00", "2023-02-25 14:00:00"),
        (P, M, "Running", "2023-02-25 14:00:00", None)]
    assert r.summary["phones"][P]["expires_at"] == "2023-04-02T00:00:00+08:00"


def test_manual_renewal_whose_new_period_already_ended_reenters_the_lifecycle():
    # Bought 01-28 (anchor 28): expiry date 02-28, Expired 03-01, Frozen 03-16, release due
    # 03-31. Renewed 1 month on 03-30 10:00 (Frozen): new expiry date 03-28, instant
    # 03-29 00:00 already past; 03-29 + 15 d = 04-13 is still ahead -> Expired again,
    # Frozen 04-13, Released 04-28. All the new period's alerts are past: none.
    r = run(scenario(
        prepaid(at="2023-01-28 10:00:00", actions=[act("2023-03-30 10:00:00", "renew")]),
        end="2023-05-01 00:00:00"))
    assert ledger(r) == [
        ("2023-01-28 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-28 10:00:00", "2023-02-28 23:59:59"),
        ("2023-03-30 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-03-01 00:00:00", "2023-03-28 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-28 10:00:00", "2023-03-01 00:00:00"),
        (P, M, "Expired", "2023-03-01 00:00:00", "2023-03-16 00:00:00"),
        (P, M, "Frozen", "2023-03-16 00:00:00", "2023-03-30 10:00:00"),
        (P, M, "Expired", "2023-03-30 10:00:00", "2023-04-13 00:00:00"),
        (P, M, "Frozen", "2023-04-13 00:00:00", "2023-04-28 00:00:00"),
        (P, M, "Released", "2023-04-28 00:00:00", None)]
    assert notes(r) == [
        ("2023-02-13 09:00:00", P, "expiry_alert", 15),
        ("2023-02-21 09:00:00", P, "expiry_alert", 7),
        ("2023-02-25 09:00:00", P, "expiry_alert", 3),
        ("2023-02-27 09:00:00", P, "expiry_alert", 1),
        ("2023-03-01 00:00:00", P, "expired", None),
        ("2023-03-16 00:00:00", P, "frozen", None),
        ("2023-04-13 00:00:00", P, "frozen", None),
        ("2023-04-28 00:00:00", P, "released", None)]
    assert r.summary["phones"][P]["expires_at"] == "2023-03-29T00:00:00+08:00"


# --- Standard renewal date (align_day) ------------------------------------------------------

def test_align_day_last_and_1_charge_extra_days_and_become_the_anchor():
    # Bought 02-25 -> expiry 03-25. Renewed 1 month on 03-01:
    #   last: 04-25 -> 04-30, 5 extra days x 45/30 = 7.50 -> 52.50; anchor 31: then 05-31.
    #   1 (quantity 2): 04-25 -> 05-01, 6 days x 1.50 x 2 = 18.00 -> 90 + 18 = 108.00;
    #   anchor 1: then 06-01.
    r = run(scenario(
        prepaid("last", "2023-02-25 10:00:00", actions=[
            act("2023-03-01 10:00:00", "renew", term=1, align_day="last"),
            act("2023-03-02 10:00:00", "renew", term=1)]),
        prepaid("first", "2023-02-25 10:00:00", quantity=2, actions=[
            act("2023-03-01 10:00:00", "renew", term=1, align_day=1),
            act("2023-03-02 10:00:00", "renew", term=1)]),
        start="2023-02-01 00:00:00", end="2023-03-05 00:00:00"))
    assert ledger(r) == [
        ("2023-02-25 10:00:00", "last", "purchase", "-45.00", "balance", "955.00",
         "2023-02-25 10:00:00", "2023-03-25 23:59:59"),
        ("2023-02-25 10:00:00", "first", "purchase", "-90.00", "balance", "865.00",
         "2023-02-25 10:00:00", "2023-03-25 23:59:59"),
        ("2023-03-01 10:00:00", "last", "renewal", "-52.50", "balance", "812.50",
         "2023-03-26 00:00:00", "2023-04-30 23:59:59"),
        ("2023-03-01 10:00:00", "first", "renewal", "-108.00", "balance", "704.50",
         "2023-03-26 00:00:00", "2023-05-01 23:59:59"),
        ("2023-03-02 10:00:00", "last", "renewal", "-45.00", "balance", "659.50",
         "2023-05-01 00:00:00", "2023-05-31 23:59:59"),
        ("2023-03-02 10:00:00", "first", "renewal", "-90.00", "balance", "569.50",
         "2023-05-02 00:00:00", "2023-06-01 23:59:59")]


def test_align_day_extra_is_rounded_to_cents_and_folded_into_the_renewal_row():
    # Monthly 10.00: expiry 03-25 (+1 month = 04-25), align_day 26 -> 1 extra day =
    # 10/30 = 0.3333.. -> 0.33; one renewal row of 10.33 (§7.3).
    catalog = {"currency": "USD", "specs": [
        {"id": "odd", "edition": "basic", "vcpus": 1, "memory_gb": 1, "storage_gb": 1,
         "monthly": "10.00", "yearly": "100.00", "hourly": "0.01"}]}
    r = run(scenario(
        prepaid(at="2023-02-25 10:00:00", spec="odd",
                actions=[act("2023-03-01 10:00:00", "renew", align_day=26)]),
        start="2023-02-01 00:00:00", end="2023-03-05 00:00:00", catalog=catalog))
    assert ledger(r) == [
        ("2023-02-25 10:00:00", P, "purchase", "-10.00", "balance", "990.00",
         "2023-02-25 10:00:00", "2023-03-25 23:59:59"),
        ("2023-03-01 10:00:00", P, "renewal", "-10.33", "balance", "979.67",
         "2023-03-26 00:00:00", "2023-04-26 23:59:59")]


# --- Auto-renewal ---------------------------------------------------------------------------

def test_auto_renewal_first_attempt_0003_seven_days_before_and_times_used_up():
    # Expiry date 02-10 -> attempt 02-03 00:03 -> 03-10 -> attempt 03-03 00:03 -> 04-10;
    # `times: 2` used up: no attempt on 04-03, the phone expires 04-11 00:00.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={"times": 2}),
        end="2023-04-12 00:00:00"))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-03 00:03:00", P, "auto_renewal", "-45.00", "balance", "910.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59"),
        ("2023-03-03 00:03:00", P, "auto_renewal", "-45.00", "balance", "865.00",
         "2023-03-11 00:00:00", "2023-04-10 23:59:59")]
    # Alerts at 09:00 on the renewal days (7 days before) belong to the replaced expiry.
    assert notes(r) == [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-03 00:03:00", P, "auto_renewed", None),
        ("2023-02-23 09:00:00", P, "expiry_alert", 15),
        ("2023-03-03 00:03:00", P, "auto_renewed", None),
        ("2023-03-26 09:00:00", P, "expiry_alert", 15),
        ("2023-04-03 09:00:00", P, "expiry_alert", 7),
        ("2023-04-07 09:00:00", P, "expiry_alert", 3),
        ("2023-04-09 09:00:00", P, "expiry_alert", 1),
        ("2023-04-11 00:00:00", P, "expired", None)]
    assert states(r) == [
        (P, M, "Running", "2023-01-10 10:00:00", "2023-04-11 00:00:00"),
        (P, M, "Expired", "2023-04-11 00:00:00", None)]


def test_auto_renewal_of_a_yearly_phone_renews_one_year():
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", billing=Y, auto_renew={}),
        start="2023-01-10 00:00:00", end="2024-01-05 00:00:00"))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-459.00", "balance", "541.00",
         "2023-01-10 10:00:00", "2024-01-10 23:59:59"),
        ("2024-01-03 00:03:00", P, "auto_renewal", "-459.00", "balance", "82.00",
         "2024-01-11 00:00:00", "2025-01-10 23:59:59")]
    assert notes(r) == [
        ("2023-12-11 09:00:00", P, "expiry_alert", 30),
        ("2023-12-26 09:00:00", P, "expiry_alert", 15),
        ("2024-01-03 00:03:00", P, "auto_renewed", None)]


def test_auto_renewal_term_and_attempt_time_and_days_before_from_policy():
    # auto_renew term 2 months; attempt 3 days before the expiry date 02-10, at 06:30.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={"term": 2}),
        end="2023-02-20 00:00:00",
        policy={"auto_renew_days_before": 3, "auto_renew_time": "06:30:00"}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-07 06:30:00", P, "auto_renewal", "-90.00", "balance", "865.00",
         "2023-02-11 00:00:00", "2023-04-10 23:59:59")]
    assert notes(r) == [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-03 09:00:00", P, "expiry_alert", 7),
        ("2023-02-07 06:30:00", P, "auto_renewed", None)]


def test_auto_renewal_failures_retry_daily_and_do_not_use_up_times():
    # 50 - 45 = 5.00 left: attempts 02-03, 02-04, 02-05 fail; the 02-05 12:00 top-up lets
    # the 02-06 attempt succeed; `times: 1` is only used up by that success.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={"times": 1}),
        end="2023-03-12 00:00:00",
        account={"balance": "50.00",
                 "topups": [{"at": "2023-02-05 12:00:00", "amount": "100.00"}]}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "5.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-05 12:00:00", "", "topup", "100.00", "balance", "105.00", None, None),
        ("2023-02-06 00:03:00", P, "auto_renewal", "-45.00", "balance", "60.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59")]
    assert notes(r) == [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-03 00:03:00", P, "auto_renew_failed", None),
        ("2023-02-03 09:00:00", P, "expiry_alert", 7),
        ("2023-02-04 00:03:00", P, "auto_renew_failed", None),
        ("2023-02-05 00:03:00", P, "auto_renew_failed", None),
        ("2023-02-06 00:03:00", P, "auto_renewed", None),
        ("2023-02-23 09:00:00", P, "expiry_alert", 15),
        ("2023-03-03 09:00:00", P, "expiry_alert", 7),
        ("2023-03-07 09:00:00", P, "expiry_alert", 3),
        ("2023-03-09 09:00:00", P, "expiry_alert", 1),
        ("2023-03-11 00:00:00", P, "expired", None)]
    assert r.summary["refused_operations"] == 0  # failed attempts are not refused operations


def test_auto_renewal_retries_until_expiry_then_resumes_after_manual_renewal_from_expired():
    # 5.00 left: attempts 02-03 .. 02-10 00:03 fail (the 02-11 one would be after the
    # expiry instant 02-11 00:00); Expired. A manual online renewal on 02-15 (Expired) pays
    # from 02-11 to 03-10 and keeps auto-renewal on: after a top-up, the attempt of 03-03
    # 00:03 (7 days before 03-10) succeeds.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={},
                actions=[act("2023-02-15 10:00:00", "renew", pay_with="online")]),
        end="2023-03-20 00:00:00",
        account={"balance": "50.00",
                 "topups": [{"at": "2023-03-01 10:00:00", "amount": "100.00"}]}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "5.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-15 10:00:00", P, "renewal", "-45.00", "online", "5.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59"),
        ("2023-03-01 10:00:00", "", "topup", "100.00", "balance", "105.00", None, None),
        ("2023-03-03 00:03:00", P, "auto_renewal", "-45.00", "balance", "60.00",
         "2023-03-11 00:00:00", "2023-04-10 23:59:59")]
    fail = [(f"2023-02-{d:02d} 00:03:00", P, "auto_renew_failed", None) for d in range(3, 11)]
    assert notes(r) == sorted(fail + [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-03 09:00:00", P, "expiry_alert", 7),
        ("2023-02-07 09:00:00", P, "expiry_alert", 3),
        ("2023-02-09 09:00:00", P, "expiry_alert", 1),
        ("2023-02-11 00:00:00", P, "expired", None),
        ("2023-02-23 09:00:00", P, "expiry_alert", 15),
        ("2023-03-03 00:03:00", P, "auto_renewed", None)], key=lambda n: n[0])
    assert states(r) == [
        (P, M, "Running", "2023-01-10 10:00:00", "2023-02-11 00:00:00"),
        (P, M, "Expired", "2023-02-11 00:00:00", "2023-02-15 10:00:00"),
        (P, M, "Running", "2023-02-15 10:00:00", None)]


def test_auto_renewal_enabled_late_next_daily_time_too_late_at_once_exactly_on_time():
    # All: expiry date 02-10, first attempt instant 02-03 00:03:00.
    # a enabled 02-05 12:00 -> next daily time 02-06 00:03.
    # b enabled 02-10 12:00 -> next daily time 02-11 00:03 >= expiry 02-11 00:00 -> at once.
    # c enabled 02-03 00:03:00, the first attempt's instant itself -> attempted then.
    r = run(scenario(
        prepaid("a", "2023-01-10 10:00:00",
                actions=[act("2023-02-05 12:00:00", "enable_auto_renew", times=1)]),
        prepaid("b", "2023-01-10 10:00:00",
                actions=[act("2023-02-10 12:00:00", "enable_auto_renew", times=1)]),
        prepaid("c", "2023-01-10 10:00:00",
                actions=[act("2023-02-03 00:03:00", "enable_auto_renew", times=1)]),
        end="2023-02-25 00:00:00"))
    period = ("2023-02-11 00:00:00", "2023-03-10 23:59:59")
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "a", "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-10 10:00:00", "b", "purchase", "-45.00", "balance", "910.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-10 10:00:00", "c", "purchase", "-45.00", "balance", "865.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-03 00:03:00", "c", "auto_renewal", "-45.00", "balance", "820.00", *period),
        ("2023-02-06 00:03:00", "a", "auto_renewal", "-45.00", "balance", "775.00", *period),
        ("2023-02-10 12:00:00", "b", "auto_renewal", "-45.00", "balance", "730.00", *period)]
    assert notes(r) == [
        ("2023-01-26 09:00:00", "a", "expiry_alert", 15),
        ("2023-01-26 09:00:00", "b", "expiry_alert", 15),
        ("2023-01-26 09:00:00", "c", "expiry_alert", 15),
        ("2023-02-03 00:03:00", "c", "auto_renewed", None),
        ("2023-02-03 09:00:00", "a", "expiry_alert", 7),
        ("2023-02-03 09:00:00", "b", "expiry_alert", 7),
        ("2023-02-06 00:03:00", "a", "auto_renewed", None),
        ("2023-02-07 09:00:00", "b", "expiry_alert", 3),
        ("2023-02-09 09:00:00", "b", "expiry_alert", 1),
        ("2023-02-10 12:00:00", "b", "auto_renewed", None),
        ("2023-02-23 09:00:00", "a", "expiry_alert", 15),
        ("2023-02-23 09:00:00", "b", "expiry_alert", 15),
        ("2023-02-23 09:00:00", "c", "expiry_alert", 15)]


def test_auto_renewal_switched_on_exactly_at_0003_attempts_in_that_second():
    # §7.15: the next daily attempt time is the first 00:03:00 at or after now.
    # a: expiry date 02-10, first attempt instant 02-03 00:03; enabled 02-05 00:03:00 ->
    #    attempted 02-05 00:03:00, not 02-06.
    # b: bought WITH auto-renewal at 01-10 00:03:00 under auto_renew_days_before 40: the
    #    first instant (01-01 00:03) is past, so the attempt is in the purchase's second;
    #    it renews to 03-10 (times 1).
    r = run(scenario(
        prepaid("a", "2023-01-10 10:00:00",
                actions=[act("2023-02-05 00:03:00", "enable_auto_renew", times=1)]),
        end="2023-02-08 00:00:00"))
    assert ledger(r)[1:] == [
        ("2023-02-05 00:03:00", "a", "auto_renewal", "-45.00", "balance", "910.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59")]
    r = run(scenario(
        prepaid("b", "2023-01-10 00:03:00", auto_renew={"times": 1}),
        end="2023-01-12 00:00:00", policy={"auto_renew_days_before": 40}))
    assert ledger(r) == [
        ("2023-01-10 00:03:00", "b", "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 00:03:00", "2023-02-10 23:59:59"),
        ("2023-01-10 00:03:00", "b", "auto_renewal", "-45.00", "balance", "910.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59")]
    assert notes(r) == [("2023-01-10 00:03:00", "b", "auto_renewed", None)]


def test_manual_renewal_alongside_auto_renewal_moves_the_next_attempt():
    # Manual renewal on 02-01 (expiry 02-10 -> 03-10): no attempt on 02-03; the next is
    # 03-03 00:03, from the new expiry date, and auto-renewal stays on.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={},
                actions=[act("2023-02-01 10:00:00", "renew")]),
        end="2023-03-05 00:00:00"))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-01 10:00:00", P, "renewal", "-45.00", "balance", "910.00",
         "2023-02-11 00:00:00", "2023-03-10 23:59:59"),
        ("2023-03-03 00:03:00", P, "auto_renewal", "-45.00", "balance", "865.00",
         "2023-03-11 00:00:00", "2023-04-10 23:59:59")]
    assert notes(r) == [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-23 09:00:00", P, "expiry_alert", 15),
        ("2023-03-03 00:03:00", P, "auto_renewed", None)]


def test_disable_auto_renew_stops_attempts():
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", auto_renew={},
                actions=[act("2023-02-02 10:00:00", "disable_auto_renew")]),
        end="2023-02-12 00:00:00"))
    assert [row[2] for row in ledger(r)] == ["purchase"]
    assert notes(r) == [
        ("2023-01-26 09:00:00", P, "expiry_alert", 15),
        ("2023-02-03 09:00:00", P, "expiry_alert", 7),
        ("2023-02-07 09:00:00", P, "expiry_alert", 3),
        ("2023-02-09 09:00:00", P, "expiry_alert", 1),
        ("2023-02-11 00:00:00", P, "expired", None)]


# --- Unsubscription -------------------------------------------------------------------------

def test_unsubscribe_daily_rule_seed_with_quantity_and_handling_fee():
    # pro-4c8g x 2 = 180.00 from 06-16 00:00:00; unsubscribed 06-28 08:58:30: 12 whole days,
    # consumed 90/30 x 12 x 2 = 72.00; fee 0.10 x (180 - 72) = 10.80; refund 97.20.
    r = run(scenario(
        prepaid(at="2023-06-16 00:00:00", spec="pro-4c8g", quantity=2,
                actions=[act("2023-06-28 08:58:30", "unsubscribe")]),
        start="2023-06-01 00:00:00", end="2023-08-01 00:00:00",
        policy={"refund_fee_rate": "0.10"}))
    assert ledger(r) == [
        ("2023-06-16 00:00:00", P, "purchase", "-180.00", "balance", "820.00",
         "2023-06-16 00:00:00", "2023-07-16 23:59:59"),
        ("2023-06-28 08:58:30", P, "refund", "97.20", "balance", "917.20",
         "2023-06-16 00:00:00", "2023-07-16 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-06-16 00:00:00", "2023-06-28 08:58:30"),
        (P, M, "Unsubscribed", "2023-06-28 08:58:30", None)]
    assert notes(r) == []  # the 07-01 alert and later ones were cancelled
    assert r.summary["phones"][P] | {} == {
        "billing": M, "final_state": "Unsubscribed", "cost": "82.80", "expires_at": None,
        "spec": "pro-4c8g", "quantity": 2,
        # Accrued = cash: the order, net of its refund, paid for 06-16 -> the refund instant
        # (12 d 8 h 58 min 30 s = 296.975 h), all inside the window.
        "cost_accrued": "82.80", "group": None, "billable_hours": 296.975,
        "unusable_hours": 0.0, "failed_renewals": 0, "refused_operations": 0}


def test_unsubscribe_hourly_rule_344_of_758_hours():
    # Bought 2024-01-01 10:30 (hours from 10:00), expiry 2024-02-01 23:59:59 (instant
    # 02-02 00:00): 31 d x 24 + 14 = 758 order hours; unsubscribed 01-15 18:40 -> used
    # hours from 10:00 to 18:00 on 01-15 = 14 d x 24 + 8 = 344.
    # consumed 45 x 344/758 = 20.4221635...; refund 24.5778364... -> 24.58;
    # with fee 0.20: 24.5778364 x 0.8 = 19.6622691... -> 19.66.
    for fee, refund, balance in (("0", "24.58", "979.58"), ("0.20", "19.66", "974.66")):
        r = run(scenario(
            prepaid(at="2024-01-01 10:30:00",
                    actions=[act("2024-01-15 18:40:00", "unsubscribe")]),
            start="2024-01-01 00:00:00", end="2024-03-01 00:00:00",
            policy={"refund_rule": "hourly", "refund_fee_rate": fee}))
        assert ledger(r) == [
            ("2024-01-01 10:30:00", P, "purchase", "-45.00", "balance", "955.00",
             "2024-01-01 10:30:00", "2024-02-01 23:59:59"),
            ("2024-01-15 18:40:00", P, "refund", refund, "balance", balance,
             "2024-01-01 10:30:00", "2024-02-01 23:59:59")], fee
        assert states(r) == [
            (P, M, "Running", "2024-01-01 10:30:00", "2024-01-15 18:40:00"),
            (P, M, "Unsubscribed", "2024-01-15 18:40:00", None)]
        assert notes(r) == []


def test_unsubscribe_refunds_orders_not_started_in_full_one_row_per_order():
    # Fee rate 0.10 applies only to the order in progress:
    #   purchase 45 (01-10 10:00 .. 02-10): 15 whole days on 01-25 16:00 -> consumed 22.50,
    #     fee 0.10 x 22.50 = 2.25, refund 20.25;
    #   renewal 90 (02-11 .. 04-10) and renewal 45 (04-11 .. 05-10): not started -> in full.
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", actions=[
            act("2023-01-20 10:00:00", "renew", term=2),
            act("2023-01-21 10:00:00", "renew", term=1),
            act("2023-01-25 16:00:00", "unsubscribe")]),
        policy={"refund_fee_rate": "0.10"}))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-20 10:00:00", P, "renewal", "-90.00", "balance", "865.00",
         "2023-02-11 00:00:00", "2023-04-10 23:59:59"),
        ("2023-01-21 10:00:00", P, "renewal", "-45.00", "balance", "820.00",
         "2023-04-11 00:00:00", "2023-05-10 23:59:59"),
        ("2023-01-25 16:00:00", P, "refund", "20.25", "balance", "840.25",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-25 16:00:00", P, "refund", "90.00", "balance", "930.25",
         "2023-02-11 00:00:00", "2023-04-10 23:59:59"),
        ("2023-01-25 16:00:00", P, "refund", "45.00", "balance", "975.25",
         "2023-04-11 00:00:00", "2023-05-10 23:59:59")]
    assert notes(r) == []
    assert r.summary["phones"][P]["cost"] == "24.75"


def test_unsubscribe_daily_consumption_is_capped_and_yearly_uses_365_days():
    # m: bought 01-01 00:00, expiry 02-01 (instant 02-02 00:00); unsubscribed 02-01 12:00:
    #    31 days x 1.50 = 46.50 > 45 paid -> consumed capped at 45, refund 0.00 (one row).
    # y: 459 yearly, unsubscribed 03-01 00:00 after 59 days: 459/365 x 59 = 74.1945205..;
    #    refund 384.8054794.. -> 384.81.
    r = run(scenario(
        prepaid("m", "2023-01-01 00:00:00", actions=[act("2023-02-01 12:00:00", "unsubscribe")]),
        prepaid("y", "2023-01-01 00:00:00", billing=Y,
                actions=[act("2023-03-01 00:00:00", "unsubscribe")]),
        end="2023-03-02 00:00:00"))
    assert ledger(r) == [
        ("2023-01-01 00:00:00", "m", "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 00:00:00", "2023-02-01 23:59:59"),
        ("2023-01-01 00:00:00", "y", "purchase", "-459.00", "balance", "496.00",
         "2023-01-01 00:00:00", "2024-01-01 23:59:59"),
        ("2023-02-01 12:00:00", "m", "refund", "0.00", "balance", "496.00",
         "2023-01-01 00:00:00", "2023-02-01 23:59:59"),
        ("2023-03-01 00:00:00", "y", "refund", "384.81", "balance", "880.81",
         "2023-01-01 00:00:00", "2024-01-01 23:59:59")]
    assert states(r) == [
        ("m", M, "Running", "2023-01-01 00:00:00", "2023-02-01 12:00:00"),
        ("y", Y, "Running", "2023-01-01 00:00:00", "2023-03-01 00:00:00"),
        ("m", M, "Unsubscribed", "2023-02-01 12:00:00", None),
        ("y", Y, "Unsubscribed", "2023-03-01 00:00:00", None)]
    assert notes(r) == [
        ("2023-01-17 09:00:00", "m", "expiry_alert", 15),
        ("2023-01-25 09:00:00", "m", "expiry_alert", 7),
        ("2023-01-29 09:00:00", "m", "expiry_alert", 3),
        ("2023-01-31 09:00:00", "m", "expiry_alert", 1)]


def test_unsubscribe_a_stopped_phone_and_refund_of_an_online_order_goes_to_the_balance():
    r = run(scenario(
        prepaid(at="2023-01-10 10:00:00", pay_with="online", actions=[
            act("2023-01-11 10:00:00", "stop"),
            act("2023-01-13 11:00:00", "unsubscribe")]),
        end="2023-01-20 00:00:00"))
    # 3 whole days: consumed 4.50, refund 40.50 credited to the balance.
    assert ledger(r) == [
        ("2023-01-10 10:00:00", P, "purchase", "-45.00", "online", "1000.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-13 11:00:00", P, "refund", "40.50", "balance", "1040.50",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-10 10:00:00", "2023-01-11 10:00:00"),
        (P, M, "Stopped", "2023-01-11 10:00:00", "2023-01-13 11:00:00"),
        (P, M, "Unsubscribed", "2023-01-13 11:00:00", None)]


# --- Billing mode change ----------------------------------------------------------------------

def test_change_billing_now_refunds_without_fee_and_starts_accrual_while_stopped():
    # Bought 01-01 10:00; stopped 01-15; changed 01-20 10:00: 19 days -> 28.50 consumed,
    # refund 16.50 (the 0.10 fee rate does not apply); auto-renewal off (no 01-25 attempt).
    # Stopped pay-per-use phones are billed: 01-20 10:00 .. 02-01 = 278 h x 0.10 = 27.80
    # (monthly run 02-01 01:00); 02-01 .. end 02-05 = 96 h = 9.60 unsettled.
    r = run(scenario(
        prepaid(at="2023-01-01 10:00:00", auto_renew={}, actions=[
            act("2023-01-15 10:00:00", "stop"),
            act("2023-01-20 10:00:00", "change_billing", when="now")]),
        end="2023-02-05 00:00:00", policy={"bill_run": "monthly", "refund_fee_rate": "0.10"}))
    assert ledger(r) == [
        ("2023-01-01 10:00:00", P, "purchase", "-45.00", "balance", "955.00",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-01-20 10:00:00", P, "refund", "16.50", "balance", "971.50",
         "2023-01-01 10:00:00", "2023-02-01 23:59:59"),
        ("2023-02-01 01:00:00", "", "settlement", "-27.80", "balance", "943.70",
         "2023-01-01 00:00:00", "2023-01-31 23:59:59")]
    assert states(r) == [
        (P, M, "Running", "2023-01-01 10:00:00", "2023-01-15 10:00:00"),
        (P, M, "Stopped", "2023-01-15 10:00:00", "2023-01-20 10:00:00"),
        (P, U, "Stopped", "2023-01-20 10:00:00", None)]
    assert notes(r) == [("2023-01-17 09:00:00", P, "expiry_alert", 15)]
    jan = hours("2023-01-20 10:00:00", 278)
    feb = hours("2023-02-01 00:00:00", 96)
    assert usage(r) == ([(P, h, 3600, "0.10000000", "2023-02-01 01:00:00") for h in jan]
                        + [(P, h, 3600, "0.10000000", None) for h in feb])
    assert r.summary["phones"][P] == {
        "billing": U, "final_state": "Stopped", "cost": "65.90", "expires_at": None,
        "spec": "pro-2c4g", "quantity": 1,
        # Prepaid until the change (refunded there), then billed: 01-01 10:00 -> end 02-05
        # 00:00 = 34 d 14 h = 830 h.
        "cost_accrued": "65.90", "group": None, "billable_hours": 830.0,
        "unusable_hours": 0.0, "failed_renewals": 0, "refused_operations": 0}


def test_change_billing_at_expiry_converts_instead_of_expiring_no_refund_auto_off():
    # p running, s stopped; both ask on 01-20. Auto-renewal is turned off (no 02-03
    # attempt), the alerts still fire, and at 02-11 00:00 both become pay-per-use (s stays
    # Stopped and is billed). Hours 00..04 accrue; 00, 01, 02 settled at 02/03/04:00;
    # hour 03's run is due at 05:00 = end.
    r = run(scenario(
        prepaid("p", "2023-01-10 10:00:00", auto_renew={},
                actions=[act("2023-01-20 10:00:00", "change_billing", when="at_expiry")]),
        prepaid("s", "2023-01-10 10:00:00", actions=[
            act("2023-01-15 10:00:00", "stop"),
            act("2023-01-20 10:00:00", "change_billing", when="at_expiry")]),
        end="2023-02-11 05:00:00"))
    assert ledger(r) == [
        ("2023-01-10 10:00:00", "p", "purchase", "-45.00", "balance", "955.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-01-10 10:00:00", "s", "purchase", "-45.00", "balance", "910.00",
         "2023-01-10 10:00:00", "2023-02-10 23:59:59"),
        ("2023-02-11 02:00:00", "", "settlement", "-0.20", "balance", "909.80",
         "2023-02-11 00:00:00", "2023-02-11 00:59:59"),
        ("2023-02-11 03:00:00", "", "settlement", "-0.20", "balance", "909.60",
         "2023-02-11 01:00:00", "2023-02-11 01:59:59"),
        ("2023-02-11 04:00:00", "", "settlement", "-0.20", "balance", "909.40",
         "2023-02-11 02:00:00", "2023-02-11 02:59:59")]
    assert states(r) == [
        ("p", M, "Running", "2023-01-10 10:00:00", "2023-02-11 00:00:00"),
        ("s", M, "Running", "2023-01-10 10:00:00", "2023-01-15 10:00:00"),
        ("s", M, "Stopped", "2023-01-15 10:00:00", "2023-02-11 00:00:00"),
        ("p", U, "Running", "2023-02-11 00:00:00", None),
        ("s", U, "Stopped", "2023-02-11 00:00:00", None)]
    alerts = [(d, days) for d, days in (("01-26", 15), ("02-03", 7), ("02-07", 3), ("02-09", 1))]
    assert notes(r) == [(f"2023-{d} 09:00:00", pid, "expiry_alert", days)
                        for d, days in alerts for pid in ("p", "s")]
    settled = ["2023-02-11 02:00:00", "2023-02-11 03:00:00", "2023-02-11 04:00:00", None, None]
    assert usage(r) == [(pid, h, 3600, "0.10000000", at)
                        for h, at in zip(hours("2023-02-11 00:00:00", 5), settled)
                        for pid in ("p", "s")]
    assert r.summary["phones"]["p"]["billing"] == U
    assert r.summary["phones"]["p"]["cost"] == "45.50"


def test_daily_refund_rule_counts_elapsed_seconds_not_calendar_days_across_dst():
    # §7.11, America/New_York.
    # s: 03-11 00:00 EST -> 03-13 00:00 EDT: two calendar days but 47 h = 1 whole day:
    #    consumed 1.50, refund 43.50.
    # f: 11-04 12:00 EDT (16:00 UTC) -> 11-05 11:30 EST (16:30 UTC): less than a day on
    #    the wall clock but 24.5 h elapsed = 1 whole day: refund 43.50 as well.
    r = run(scenario(
        prepaid("s", "2023-03-11 00:00:00", actions=[act("2023-03-13 00:00:00", "unsubscribe")]),
        prepaid("f", "2023-11-04 12:00:00", actions=[act("2023-11-05 11:30:00", "unsubscribe")]),
        timezone="America/New_York", start="2023-03-01 00:00:00", end="2023-11-10 00:00:00"))
    assert ledger(r, iso=True) == [
        ("2023-03-11T00:00:00-05:00", "s", "purchase", "-45.00", "balance", "955.00",
         "2023-03-11T00:00:00-05:00", "2023-04-11T23:59:59-04:00"),
        ("2023-03-13T00:00:00-04:00", "s", "refund", "43.50", "balance", "998.50",
         "2023-03-11T00:00:00-05:00", "2023-04-11T23:59:59-04:00"),
        ("2023-11-04T12:00:00-04:00", "f", "purchase", "-45.00", "balance", "953.50",
         "2023-11-04T12:00:00-04:00", "2023-12-04T23:59:59-05:00"),
        ("2023-11-05T11:30:00-05:00", "f", "refund", "43.50", "balance", "997.00",
         "2023-11-04T12:00:00-04:00", "2023-12-04T23:59:59-05:00")]
