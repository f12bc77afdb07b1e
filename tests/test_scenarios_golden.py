"""Golden summaries of the shipped scenarios, plus the seed facts each seed scenario shows.

Each `scenarios/<name>.yaml` must simulate to exactly `tests/expected/<name>.summary.json`.
After an intended change, run `python scripts/regenerate_expected.py` and check the diff
by hand. The numbers in those files were checked by hand as follows (prices from the
default catalog: pro-2c4g 45.00 monthly / 459.00 yearly / 0.10 hourly, pro-4c8g 90.00 /
0.20, pro-8c16g 180.00, ent-2c4g 60.00, basic-4c8g 0.14 hourly).

seed-ppu-within-hour (balance 100.00)
    08:45:30 -> 08:55:30 = 600 s in the 08:00-09:00 cycle.
    line = 0.10 x 600 / 3600 = 0.016666... -> 0.01666667 (half-up, 8 decimals)
    settled at 09:00 + 3600 s = 10:00:00; final balance 100 - 0.01666667 = 99.98333333.
    total_cost = cost = 0.01666667; final_state Deleted; expires_at null.

seed-ppu-across-hour (balance 100.00)
    09:59:30 -> 10:00:00 = 30 s:   0.10 x 30 / 3600   = 0.000833... -> 0.00083333
    10:00:00 -> 10:45:46 = 2746 s: 0.10 x 2746 / 3600 = 0.0762777... -> 0.07627778
    cost = 0.00083333 + 0.07627778 = 0.07711111; balance 100 - 0.07711111 = 99.92288889
    (settled at 11:00:00 and 12:00:00, both before end 13:00:00).

seed-renewal (balance 500.00)
    purchase 45.00 at 2023-02-08 15:50:04, period to 03-08 23:59:59 (expires 03-09 00:00).
    renewal 45.00 on 03-01 from the old expiry date: 03-09 00:00:00 .. 04-08 23:59:59.
    expires_at = 2023-04-09T00:00:00+08:00; end 04-10 00:00 > expiry -> final Expired
    (grace 15 days, frozen only on 04-24). cost 90.00, balance 500 - 90 = 410.00.

seed-unsubscribe-then-upgrade (balance 500.00)
    old: x = 90.00 paid 06-16 00:00:00 -> balance 410.00; unsubscribed 06-28 08:58:30:
         elapsed 12 d 8 h 58 min 30 s -> 12 whole days; consumed 90/30 x 12 = 36.00;
         refund 90 - 36 = 54.00 (fee rate 0) -> balance 464.00; cost 90 - 54 = 36.00;
         final Unsubscribed, expires_at null.
    new: y = 180.00 on 06-29 00:00:00 -> balance 284.00; valid to 07-29 23:59:59, expires
         07-30 00:00:00 (< end 08-01) -> Expired. total = 36 + 180 = 216.00 = x/30*12 + y.

office-fleet (balance 300.00, alert 100.00; all bought 03-01 09:00 for 1 month, expiry
date 04-01, expires 04-02 00:00, first auto-renew attempt 03-25 00:03 = 7 days before 04-01)
    purchases: office-1 2 x 45 = 90 -> 210; office-2 45 -> 165; office-3 60 -> 105.
    03-25 00:03: office-1 renews (90) -> 15.00; office-2 (45) and office-3 (60) fail.
    03-28 09:00 top-up 60 -> 75.00. 03-29 00:03: office-2 renews -> 30.00; office-3 fails
    daily until 04-01 00:03 (the next try, 04-02 00:03, is after its expiry), expires
    04-02 00:00, Frozen 04-17 00:00 (+15 d), Released 05-02 00:00 (+15 d) -> Released.
    04-20 top-up 200 -> 230.00; 04-24 00:03 (7 days before 05-01): office-1 -> 140.00,
    office-2 -> 95.00; both now expire 06-02 00:00.
    costs 270.00 / 135.00 / 60.00, total 465.00; balance 300 + 60 + 200 - 465 = 95.00.

arrears-recovery (balance 1.00; worker-a 0.20/h + worker-b 0.10/h from 05-01 00:00)
    every full hour costs 0.30; the hour h..h+1 is settled at h+2.
    settlements 02:00 .. 05:00 leave 0.70, 0.40, 0.10, -0.20 -> arrears from 05:00.
    worker-c created 08:00 while in arrears: refused -> final_state null, cost 0.00, and
    refused_operations 1.
    05-02 12:00:00: 34 hours settled so far (05-01 00:00 .. 05-02 10:00) -> 1 - 10.20 =
    -9.20; top-up 20 first -> 10.80, then the 10:00-11:00 run -> 10.50; afterwards runs
    until 23:00 (hour 21-22): 11 more -> 7.20. The runs at 05-03 00:00 (= end) and later
    do not happen. Accrual 48 h: worker-a 48 x 0.20 = 9.60, worker-b 48 x 0.10 = 4.80,
    total 14.40 (settled 13.80 + 0.60 unsettled); final balance 1 + 20 - 13.80 = 7.20.

yearly-to-ppu-at-expiry (balance 500.00)
    yearly 459.00 on 2023-01-10 10:00 -> 41.00; expiry date 2024-01-10, at 2024-01-11
    00:00:00 it becomes pay-per-use (no refund, no auto-renewal). Hours 00..23 of 01-11
    accrue 0.10 each = 2.40; hours 00..21 are settled by 23:00 (22 x 0.10 = 2.20); the
    last two are not (their runs are at/after end 01-12 00:00). cost 459 + 2.40 = 461.40;
    balance 41.00 - 2.20 = 38.80; final_state Running, billing pay_per_use, expires null.

quickstart (balance 100.00, alert 50.00)
    desk-phone: 45.00 on 03-01 10:00 -> 55.00; auto-renewal (times 1) at 03-25 00:03
    (7 days before expiry date 04-01) pays 45.00; now expires 05-02 00:00; cost 90.00.
    test-phone: billed from 09:02:00 (120 s provisioning) to deletion 03-08 18:00,
    stopped hours included: 09:02-10:00 = 3480 s -> 0.14 x 3480/3600 = 0.13533333, then
    104 full hours (03-04 10:00 .. 03-08 18:00) x 0.14 = 14.56; cost 14.69533333, all
    settled by 03-08 19:00. total 104.69533333;
    balance 100 - 45 - 14.69533333 + 50 - 45 = 45.30466667.

small-fleet (balance 300.00, no top-up; the base of sweep-balance-mode)
    desks: 2 x 45.00 on 01-02 09:00 -> 210.00; auto-renewed 01-26 00:03 (7 days before
    02-02) -> both expire 03-03 00:00; from 02-24 00:03 every attempt is refused (arrears),
    Expired 03-03, Frozen 03-18 (+15 d): cost 90.00 each.
    tester-1: 01-08 09:00 .. 02-15 18:00 = 921 h x 0.14 = 128.94 (the stopped night and the
    arrears grace are billed). The account enters arrears at the 02-07 07:00 settlement;
    tester-2 (from 02-01 09:00) keeps accruing for the 15-day grace: 502 h x 0.14 = 70.28,
    Frozen 02-22 07:00, Released 03-08 07:00, so its delete on 03-20 is refused (1).
    total 379.22; balance 300 - 379.22 = -79.22 (everything settled before end).

monte-carlo-fleet (seed 20240401, replication 0; checked for plausibility, not per phone)
    245 sessions (expected 4/day x 61 days = 244), mean kept 2.97 h (lognormal mean 3 h):
    ~245 x 2.97 x 0.14 = 101.9 ~ 101.74. desks 3 x 45.00 x 3 months (04-01, renewals 04-24
    and 05-25) = 405.00. balance 400 + 200 - 506.74 = 93.26, + the last unsettled lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sim import load_scenario, simulate
from traces import ledger, notes, states, usage

ROOT = Path(__file__).resolve().parent.parent
# Sweep files (a top-level `base:`) live with the scenarios but are not scenarios.
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml")
                   if "base" not in yaml.safe_load(p.read_text(encoding="utf-8")))
EXPECTED = ROOT / "tests" / "expected"

REQUIRED = {
    "seed-ppu-within-hour", "seed-ppu-across-hour", "seed-renewal",
    "seed-unsubscribe-then-upgrade", "office-fleet", "arrears-recovery",
    "yearly-to-ppu-at-expiry", "quickstart",
}


def _result(name: str):
    return simulate(load_scenario(ROOT / "scenarios" / f"{name}.yaml"))


def test_every_required_scenario_ships_with_an_expected_summary():
    stems = {p.stem for p in SCENARIOS}
    assert REQUIRED <= stems
    expected = {p.name.removesuffix(".summary.json") for p in EXPECTED.glob("*.summary.json")}
    assert expected == stems, "every scenario needs exactly one expected summary"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_file_is_named_after_itself_and_describes_itself(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["name"] == path.stem
    assert isinstance(raw.get("description"), str) and len(raw["description"]) > 40


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_summary_matches_golden_file(path):
    summary = simulate(load_scenario(path)).summary
    expected = json.loads((EXPECTED / f"{path.stem}.summary.json").read_text(encoding="utf-8"))
    assert summary == expected


# --- the seed facts behind the seed scenarios, as whole traces --------------------------

def test_seed_ppu_within_hour_is_one_600_second_line():
    r = _result("seed-ppu-within-hour")
    assert usage(r) == [
        ("seed-phone", "2023-04-18 08:00:00", 600, "0.01666667", "2023-04-18 10:00:00")]
    assert ledger(r) == [
        ("2023-04-18 10:00:00", "", "settlement", "-0.01666667", "balance", "99.98333333",
         "2023-04-18 08:00:00", "2023-04-18 08:59:59")]
    assert states(r) == [
        ("seed-phone", "pay_per_use", "Running", "2023-04-18 08:45:30", "2023-04-18 08:55:30"),
        ("seed-phone", "pay_per_use", "Deleted", "2023-04-18 08:55:30", None)]
    assert notes(r) == []


def test_seed_ppu_across_hour_is_30_plus_2746_seconds():
    r = _result("seed-ppu-across-hour")
    assert usage(r) == [
        ("seed-phone", "2023-04-18 09:00:00", 30, "0.00083333", "2023-04-18 11:00:00"),
        ("seed-phone", "2023-04-18 10:00:00", 2746, "0.07627778", "2023-04-18 12:00:00")]
    assert ledger(r) == [
        ("2023-04-18 11:00:00", "", "settlement", "-0.00083333", "balance", "99.99916667",
         "2023-04-18 09:00:00", "2023-04-18 09:59:59"),
        ("2023-04-18 12:00:00", "", "settlement", "-0.07627778", "balance", "99.92288889",
         "2023-04-18 10:00:00", "2023-04-18 10:59:59")]


def test_seed_renewal_cycles():
    r = _result("seed-renewal")
    assert ledger(r) == [
        ("2023-02-08 15:50:04", "seed-phone", "purchase", "-45.00", "balance", "455.00",
         "2023-02-08 15:50:04", "2023-03-08 23:59:59"),
        ("2023-03-01 10:00:00", "seed-phone", "renewal", "-45.00", "balance", "410.00",
         "2023-03-09 00:00:00", "2023-04-08 23:59:59")]
    assert states(r) == [
        ("seed-phone", "monthly", "Running", "2023-02-08 15:50:04", "2023-04-09 00:00:00"),
        ("seed-phone", "monthly", "Expired", "2023-04-09 00:00:00", None)]
    # Alerts of the first period at 15 and 7 days (02-21, 03-01 09:00, before the renewal
    # at 10:00); its 3- and 1-day alerts are cancelled; the new period gets all four.
    assert notes(r) == [
        ("2023-02-21 09:00:00", "seed-phone", "expiry_alert", 15),
        ("2023-03-01 09:00:00", "seed-phone", "expiry_alert", 7),
        ("2023-03-24 09:00:00", "seed-phone", "expiry_alert", 15),
        ("2023-04-01 09:00:00", "seed-phone", "expiry_alert", 7),
        ("2023-04-05 09:00:00", "seed-phone", "expiry_alert", 3),
        ("2023-04-07 09:00:00", "seed-phone", "expiry_alert", 1),
        ("2023-04-09 00:00:00", "seed-phone", "expired", None)]


def test_seed_unsubscribe_then_upgrade():
    r = _result("seed-unsubscribe-then-upgrade")
    assert ledger(r) == [
        ("2023-06-16 00:00:00", "old-4c8g", "purchase", "-90.00", "balance", "410.00",
         "2023-06-16 00:00:00", "2023-07-16 23:59:59"),
        ("2023-06-28 08:58:30", "old-4c8g", "refund", "54.00", "balance", "464.00",
         "2023-06-16 00:00:00", "2023-07-16 23:59:59"),
        ("2023-06-29 00:00:00", "new-8c16g", "purchase", "-180.00", "balance", "284.00",
         "2023-06-29 00:00:00", "2023-07-29 23:59:59")]
    assert states(r) == [
        ("old-4c8g", "monthly", "Running", "2023-06-16 00:00:00", "2023-06-28 08:58:30"),
        ("old-4c8g", "monthly", "Unsubscribed", "2023-06-28 08:58:30", None),
        ("new-8c16g", "monthly", "Running", "2023-06-29 00:00:00", "2023-07-30 00:00:00"),
        ("new-8c16g", "monthly", "Expired", "2023-07-30 00:00:00", None)]
