"""recommend: cheapest mode per phone and group, and the base load on a hand-checked profile."""

from __future__ import annotations

import csv
from decimal import Decimal
from fractions import Fraction

from sim import load_scenario
from sim.money import round_half_up
from sim.whatif.baseload import profile
from sim.whatif.recommend import BASE_LOAD_COLUMNS, COLUMNS, recommend

from traces import scenario

APRIL = {"start": "2023-04-01 00:00:00", "end": "2023-05-01 00:00:00"}  # 720 h
FEE = {"refund_fee_rate": "0.10"}
# Only pro-2c4g, with a yearly price above 12 months, so that monthly is the subscription
# worth holding (the default catalog's yearly = 10.2 months always beats monthly per hour).
MONTHLY_CATALOG = {"currency": "USD", "specs": [
    {"id": "pro-2c4g", "edition": "professional", "vcpus": 2, "memory_gb": 4,
     "storage_gb": 16, "monthly": "45.00", "yearly": "600.00", "hourly": "0.10"}]}


def ppu(phone_id: str, until: str | None = None, at: str = "2023-04-01 00:00:00", **more):
    actions = [{"at": until, "do": "delete"}] if until else []
    return {"id": phone_id, "spec": "pro-2c4g", "billing": "pay_per_use", "at": at,
            "actions": actions, **more}


def close(a: Decimal, b: Fraction) -> bool:
    """`a` is the exact value `b` rounded once, half-up, to 8 decimals (§7.18)."""
    return a == round_half_up(b, 8)


def test_clear_cut_phones_and_groups():
    """With a 10 % refund fee: 30 days of use -> monthly 45.00 (vs 72.00 pay-per-use);
    10 hours -> pay-per-use 1.00 (vs monthly 4.50). Groups take one mode for all."""
    sc = load_scenario(scenario(
        ppu("desk-1", "2023-05-01 00:00:00", group="desk"),
        ppu("desk-2", "2023-05-01 00:00:00", group="desk"),
        ppu("test-1", "2023-04-01 10:00:00", group="test"),
        ppu("test-2", "2023-04-01 10:00:00", group="test"),
        start="2023-04-01 00:00:00", end="2023-06-01 00:00:00", policy=FEE))
    rec = recommend(sc)
    phones = rec.table[rec.table.level == "phone"].set_index("name")
    assert phones.best_mode.to_dict() == {"desk-1": "monthly", "desk-2": "monthly",
                                          "test-1": "pay_per_use", "test-2": "pay_per_use"}
    assert phones.loc["test-1", "best_cost_cash"] == Decimal("1.00")
    groups = rec.table[rec.table.level == "group"].set_index("name")
    assert groups.best_mode.to_dict() == {"desk": "monthly", "test": "pay_per_use"}
    assert groups.loc["desk", "best_cost_cash"] == Decimal("90.00")
    assert groups.loc["test", "saving_cash"] == 0
    total = rec.table[rec.table.level == "total"].iloc[0]
    # written: 2 x 72.00 + 2 x 1.00 = 146.00; mix: 2 x 45.00 + 2 x 1.00 = 92.00
    assert (total.written_cost_cash, total.best_cost_cash) == (Decimal("146.00"),
                                                               Decimal("92.00"))
    assert total.saving_cash == total.saving_accrued == Decimal("54.00")


def test_profile_counts_instances_in_use_over_time():
    p = profile("s", [(0, 10, 1), (5, 20, 2), (20, 30, 1), (7, 7, 5)])  # last one empty
    assert p.times.tolist() == [0, 5, 10, 20, 30]
    assert p.level.tolist() == [1, 3, 2, 1]
    assert p.peak == 3 and p.span == 30
    assert p.seconds_at_least().tolist() == [30, 30, 15, 5]
    assert p.layers(2) == [(5, 20)]
    assert p.layers(1) == [(0, 30)]


def layered(catalog="default"):
    """Concurrency 3 for 300 h, 2 for 200 h, 1 for 220 h in April (720 h):
    layer 1 in use 720 h, layer 2 500 h, layer 3 300 h."""
    return load_scenario(scenario(
        ppu("a"), ppu("b", "2023-04-21 20:00:00"), ppu("c", "2023-04-13 12:00:00"),
        catalog=catalog, **APRIL))


def test_base_load_k_on_a_hand_checked_profile():
    """A monthly subscription held for the 720 h (first use to end) costs 45 x 720 / 730 = 44.38...;
    a layer left to pay-per-use costs 0.10 x its hours: 72.00, 50.00, 30.00.
    Layers 1 and 2 are worth subscribing, layer 3 is not:
    k=0: 152.00; k=1: 44.38 + 80 = 124.38; k=2: 88.77 + 30 = 118.77; k=3: 133.15."""
    rec = recommend(layered(MONTHLY_CATALOG))
    sub = Fraction(45) * 720 / 730
    base = rec.base_load
    assert list(base.k) == [0, 1, 2, 3]
    assert list(base.ppu_hours) == [1520.0, 800.0, 300.0, 0.0]
    expected = [Decimal("152.00"), sub + 80, 2 * sub + 30, 3 * sub]
    assert all(close(a, b) for a, b in zip(base.cost_with_monthly, expected))
    assert list(base.chosen_mode) == ["", "", "monthly", ""]
    choice = rec.choice.iloc[0]
    assert (choice.spec, choice.peak, choice.k, choice["mode"]) == ("pro-2c4g", 3, 2, "monthly")
    assert close(choice.estimated_cost, 2 * sub + 30)
    assert choice.all_ppu_cost == Decimal("152.00")
    # Cross-check by simulation: 2 monthly bought 04-01 00:00, period to 05-02 00:00 (31
    # days), 30 of them in the window -> 90 x 30/31 accrued; the auto-renewal on 04-24
    # pays 90.00 for May (cash only). Layer 3 on pay-per-use: 300 h x 0.10 = 30.00.
    assert close(choice.simulated_cost_accrued, Fraction(90) * 30 / 31 + 30)
    assert choice.simulated_cost_cash == Decimal("210.00")
    assert choice.simulated_refused == 0


def test_base_load_with_the_default_catalog_holds_yearly():
    """Yearly held for 720 h: 459 x 720 / 8760 = 37.73 per subscription, still above
    layer 3's 30.00: k = 2 yearly, 2 x 37.73 + 30 = 105.45."""
    rec = recommend(layered())
    choice = rec.choice.iloc[0]
    assert (choice.k, choice["mode"]) == (2, "yearly")
    assert close(choice.estimated_cost, 2 * Fraction(459) * 720 / 8760 + 30)


def test_all_short_bursts_hold_nothing():
    sc = load_scenario(scenario(
        ppu("x", "2023-04-02 03:00:00", at="2023-04-02 00:00:00"),
        ppu("y", "2023-04-09 03:00:00", at="2023-04-09 00:00:00"), **APRIL))
    choice = recommend(sc).choice.iloc[0]
    assert (choice.k, choice["mode"]) == (0, "pay_per_use")
    assert choice.estimated_cost == Decimal("0.60")


def test_recommend_files(tmp_path):
    rec = recommend(layered(MONTHLY_CATALOG))
    rec.write(tmp_path)
    rows = list(csv.reader(open(tmp_path / "recommend.csv", encoding="utf-8")))
    assert rows[0] == COLUMNS
    assert [r[0] for r in rows[1:]] == ["phone", "phone", "phone", "total", "base_load"]
    base = list(csv.reader(open(tmp_path / "base-load.csv", encoding="utf-8")))
    assert base[0] == BASE_LOAD_COLUMNS
    assert base[1][:6] == ["pro-2c4g", "0", "720", "1520", "152.00", "152.00"]
    assert base[3][6] == "monthly" and base[3][7] != ""
    assert "Commitment per spec (ESTIMATE" in rec.report()


# --- the shipped what-if scenarios tell the story their descriptions tell ----------------
def test_office_desk_monthly_story():
    """desk (6 phones, 01-01 08:00 to the end, 2,176 h): pay-per-use 6 x 0.10 x 2176 =
    1305.60; yearly is cheapest in accrued terms. seasonal (2 phones to 02-15 18:00, 1,090 h):
    monthly 90 + 90 - 45.90 = 134.10 (renewal period from 02-02: 13 whole days, consumed
    39.00, fee 10 % of 51.00); yearly 918 - 724.34 = 193.66; pay-per-use 218.00."""
    rec = recommend(load_scenario("scenarios/office-desk-monthly.yaml"))
    t = rec.comparison.table
    cash = {(r.phone, r.mode): r.cost_cash for r in t.itertuples()}
    assert cash[("desk", "pay_per_use")] == Decimal("1305.60")
    assert [cash[("seasonal", m)] for m in ("monthly", "yearly", "pay_per_use")] == [
        Decimal("134.10"), Decimal("193.66"), Decimal("218.00")]
    assert rec.comparison.best.to_dict() == {"desk": "yearly", "seasonal": "monthly"}
    assert rec.comparison.saving > 0 > rec.comparison.saving_cash  # a year is paid up front
    (choice,) = rec.choice.itertuples(index=False)
    assert (choice.peak, choice.k, choice.mode) == (8, 6, "yearly")  # seasonal: pay-per-use


def test_bursty_testing_farm_story():
    """Each burst alone: pay-per-use (monthly keeps a 10 % fee of at least 18.00). Fleet:
    phones 1-2 in use 207 h (explore) + 264 h (nightly) = 471 h > 450 h: hold 2."""
    rec = recommend(load_scenario("scenarios/bursty-testing-farm.yaml"))
    assert set(rec.comparison.best) == {"pay_per_use"}
    groups = rec.table[rec.table.level == "group"].set_index("name").best_mode.to_dict()
    assert groups == {"explore": "pay_per_use", "nightly": "pay_per_use",
                      "release": "pay_per_use"}
    base = rec.base_load
    assert list(base.ppu_hours[:3]) == [1710.0, 1710.0 - 471, 1710.0 - 471 - 471]
    (choice,) = rec.choice.itertuples(index=False)
    assert (choice.peak, choice.k) == (12, 2)
    assert choice.estimated_cost < choice.all_ppu_cost == Decimal("342.00")
