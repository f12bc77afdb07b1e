"""compare: the same usage re-simulated under each billing mode, tied to hand computations.

Prices (default catalog): pro-2c4g 45.00 monthly, 459.00 yearly, 0.10 hourly.
Usage in most tests: one phone from 2023-04-01 00:00:00 to 2023-05-01 00:00:00 (30 days,
720 h) in a window that runs on to 06-01, so the prepaid variants are unsubscribed at
05-01 00:00:00 and cash and accrued costs agree.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from sim import load_scenario, simulate
from sim.whatif.compare import COLUMNS, compare
from sim.whatif.variants import variant

from traces import scenario

WINDOW = {"start": "2023-04-01 00:00:00", "end": "2023-06-01 00:00:00"}


def used(phone_id: str, until: str, *, billing: str = "pay_per_use", at: str =
         "2023-04-01 00:00:00", **more) -> dict:
    """A phone in use from `at` to `until` (deleted or unsubscribed then)."""
    end = "delete" if billing == "pay_per_use" else "unsubscribe"
    phone = {"id": phone_id, "spec": "pro-2c4g", "billing": billing, "at": at,
             "actions": [{"at": until, "do": end}]}
    if billing != "pay_per_use":
        phone["term"] = 1
    phone.update(more)
    return phone


def row(cmp, phone: str, mode: str):
    t = cmp.table
    return t[(t.phone == phone) & (t["mode"] == mode)].iloc[0]


def test_all_pay_per_use_scenario_reproduces_run_exactly():
    sc = load_scenario(scenario(
        used("a", "2023-04-03 10:20:30", at="2023-04-01 08:45:30"),
        {"id": "b", "spec": "pro-4c8g", "billing": "pay_per_use", "at": "2023-04-02 09:59:30",
         "provisioning": 90, "actions": [{"at": "2023-04-02 12:00:00", "do": "stop"},
                                         {"at": "2023-04-03 08:00:00", "do": "start"}]},
        **WINDOW))
    run = simulate(sc)
    for modes in (("pay_per_use",), ("monthly", "yearly", "pay_per_use")):
        cmp = compare(sc, modes)
        for phone_id, phone in run.summary["phones"].items():
            assert row(cmp, phone_id, "pay_per_use").cost_cash == Decimal(phone["cost"])
        total = row(cmp, "TOTAL", "pay_per_use")
        assert total.cost_cash == Decimal(run.summary["total_cost"])
        assert total.refused_operations == run.summary["refused_operations"] == 0


def test_shipped_arrears_scenario_reproduces_run_including_the_refusal():
    sc = load_scenario("scenarios/arrears-recovery.yaml")
    run = simulate(sc)
    cmp = compare(sc, ["pay_per_use"])
    costs = {r.phone: r.cost_cash for r in cmp.table.itertuples() if r.phone != "TOTAL"}
    assert costs == {p: Decimal(v["cost"]) for p, v in run.summary["phones"].items()}
    assert row(cmp, "TOTAL", "pay_per_use").cost_cash == Decimal(run.summary["total_cost"])
    assert row(cmp, "worker-c", "pay_per_use").refused_operations == 1  # created in arrears
    assert cmp.saving == 0 and cmp.saving_cash == 0


def test_yearly_or_pay_per_use_for_30_days_of_use():
    """Seed-style question, answered by simulation and checked by hand:

    pay-per-use: 0.10 x 720 h                                              = 72.00
    monthly: 45.00 bought 04-01; auto-renewal on 04-24 00:03 pays 45.00 for 05-02..06-01;
             unsubscribed 05-01 00:00: renewal not started -> 45.00 back; purchase: 30 whole
             days x 45/30 = 45.00 consumed -> 0.00 back.          45 + 45 - 45 = 45.00
    yearly:  459.00; 30 days x 459/365 = 37.7260... consumed; refund 421.2739... -> 421.27
                                                                   459 - 421.27 = 37.73
    """
    sc = load_scenario(scenario(used("p", "2023-05-01 00:00:00"), **WINDOW))
    cmp = compare(sc)
    assert row(cmp, "p", "pay_per_use").cost_cash == Decimal("72.00")
    assert row(cmp, "p", "monthly").cost_cash == Decimal("45.00")
    assert row(cmp, "p", "yearly").cost_cash == Decimal("37.73")
    for mode in cmp.modes:  # use ends inside the window: accrued = cash
        assert row(cmp, "p", mode).cost_accrued == row(cmp, "p", mode).cost_cash
        assert row(cmp, "p", mode).unusable_hours == 0
    assert row(cmp, "p", "monthly").final_state == "Unsubscribed"
    assert row(cmp, "p", "pay_per_use").final_state == "Deleted"
    assert cmp.best["p"] == "yearly"
    assert cmp.saving == cmp.saving_cash == Decimal("72.00") - Decimal("37.73")


def test_a_refund_fee_makes_monthly_the_answer():
    """refund_fee_rate 0.10 (fee on what is refunded of the order in progress):
    yearly: 459 - 37.7260... = 421.2739... - fee 42.1273... = 379.1465... -> 379.15 back,
            cash 459 - 379.15 = 79.85
    monthly: nothing left of the purchase, so no fee; the renewal not started comes back in
             full -> 45.00.  pay-per-use 72.00.  Cheapest: monthly.
    """
    sc = load_scenario(scenario(used("p", "2023-05-01 00:00:00"),
                                policy={"refund_fee_rate": "0.10"}, **WINDOW))
    cmp = compare(sc)
    assert [row(cmp, "p", m).cost_cash for m in ("monthly", "yearly", "pay_per_use")] == [
        Decimal("45.00"), Decimal("79.85"), Decimal("72.00")]
    assert cmp.best["p"] == "monthly"


def test_short_use_pay_per_use_wins_once_refunds_cost_a_fee():
    """10 hours from 04-01 00:00. pay-per-use 0.10 x 10 = 1.00.
    With the default policy (daily rule, no fee) 0 whole days are consumed, so a prepaid
    phone unsubscribed the same day costs 0.00: the rules make it free.
    With refund_fee_rate 0.10: monthly keeps 10 % of 45.00 = 4.50, yearly 45.90.
    """
    free = compare(load_scenario(scenario(used("p", "2023-04-01 10:00:00"), **WINDOW)))
    assert row(free, "p", "monthly").cost_cash == Decimal("0.00")
    sc = load_scenario(scenario(used("p", "2023-04-01 10:00:00"),
                                policy={"refund_fee_rate": "0.10"}, **WINDOW))
    cmp = compare(sc)
    assert [row(cmp, "p", m).cost_cash for m in ("monthly", "yearly", "pay_per_use")] == [
        Decimal("4.50"), Decimal("45.90"), Decimal("1.00")]
    assert cmp.best["p"] == "pay_per_use"
    assert cmp.saving == 0  # already as cheap as it gets


def test_best_mix_is_each_phone_in_its_cheapest_mode_simulated_together():
    """With the 10 % fee: 30 days -> monthly 45.00 (was 72.00 pay-per-use);
    10 hours -> pay-per-use 1.00 (as written). Mix 46.00 vs written 73.00: saving 27.00."""
    sc = load_scenario(scenario(used("long", "2023-05-01 00:00:00"),
                                used("short", "2023-04-01 10:00:00"),
                                policy={"refund_fee_rate": "0.10"}, **WINDOW))
    cmp = compare(sc)
    assert cmp.best.to_dict() == {"long": "monthly", "short": "pay_per_use"}
    mix_phones = cmp.results["best_mix"].summary["phones"]
    assert {p: v["billing"] for p, v in mix_phones.items()} == {
        "long": "monthly", "short": "pay_per_use"}
    total = cmp.mix[cmp.mix.phone == "TOTAL"].iloc[0]
    assert (total.written_cost_cash, total.best_cost_cash) == (Decimal("73.00"),
                                                               Decimal("46.00"))
    assert cmp.saving == cmp.saving_cash == Decimal("27.00")


def test_a_mode_the_account_cannot_pay_for_is_never_the_cheapest():
    """Balance 50.00, use to the end of the window (04-01..06-01). Yearly (459.00) cannot be
    bought: cost 0.00 but refused. Monthly: 45.00, auto-renewal fails (5.00 left), expired
    at 05-02 00:00 -> Expired/Frozen to 06-01: 30 days = 720 unusable hours."""
    sc = load_scenario(scenario({"id": "p", "spec": "pro-2c4g", "billing": "pay_per_use",
                                 "at": "2023-04-01 00:00:00"},
                                account={"balance": "50.00"}, **WINDOW))
    cmp = compare(sc)
    yearly, monthly = row(cmp, "p", "yearly"), row(cmp, "p", "monthly")
    assert yearly.final_state is None and yearly.refused_operations == 1
    assert yearly.cost_cash == 0
    assert monthly.unusable_hours == 720.0 and monthly.cost_cash == Decimal("45.00")
    assert cmp.best["p"] != "yearly"


def test_variants_keep_stop_start_and_turn_the_end_of_use_into_the_mode_s_own_ending():
    sc = load_scenario(scenario({
        "id": "p", "spec": "pro-2c4g", "billing": "monthly", "term": 3, "pay_with": "online",
        "at": "2023-04-01 00:00:00", "auto_renew": {"times": 1},
        "actions": [{"at": "2023-04-02 00:00:00", "do": "stop"},
                    {"at": "2023-04-03 00:00:00", "do": "renew", "term": 1},
                    {"at": "2023-04-04 00:00:00", "do": "start"},
                    {"at": "2023-04-05 00:00:00", "do": "change_billing", "when": "at_expiry"},
                    {"at": "2023-04-20 00:00:00", "do": "unsubscribe"},
                    {"at": "2023-04-21 00:00:00", "do": "stop"}]}, **WINDOW))
    written = simulate(sc)
    ppu = variant(sc, written, {"p": "pay_per_use"}).phones[0]
    assert (ppu.billing, ppu.term, ppu.pay_with, ppu.auto_renew) == ("pay_per_use", None,
                                                                     None, None)
    assert [(str(a.at), a.do) for a in ppu.actions] == [
        ("2023-04-02 00:00:00", "stop"), ("2023-04-04 00:00:00", "start"),
        ("2023-04-20 00:00:00", "delete")]
    yearly = variant(sc, written, {"p": "yearly"}).phones[0]
    assert (yearly.billing, yearly.term, yearly.pay_with) == ("yearly", 1, "online")
    assert yearly.auto_renew is not None and yearly.auto_renew.times is None
    assert [a.do for a in yearly.actions] == ["stop", "start", "unsubscribe"]
    assert sc.phones[0].billing == "monthly" and len(sc.phones[0].actions) == 6  # untouched


def test_compare_csv_columns_follow_the_contract(tmp_path):
    sc = load_scenario(scenario(used("a", "2023-05-01 00:00:00"),
                                used("b", "2023-04-01 10:00:00"), **WINDOW))
    cmp = compare(sc)
    assert list(cmp.table.columns[:7]) == COLUMNS == [
        "phone", "mode", "cost_cash", "cost_accrued", "unusable_hours", "refused_operations",
        "final_state"]
    cmp.write(tmp_path)
    with open(tmp_path / "compare.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:7] == COLUMNS
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (p, m) for p in ("a", "b", "TOTAL") for m in ("monthly", "yearly", "pay_per_use")]
    by = {(r[0], r[1]): dict(zip(rows[0], r)) for r in rows[1:]}
    assert by[("a", "yearly")]["cost_cash"] == "37.73"
    assert by[("a", "pay_per_use")]["cost_cash"] == "72.00"  # money as decimal strings
    assert by[("b", "monthly")]["cost_cash"] == "0.00"
    assert by[("TOTAL", "pay_per_use")]["cost_cash"] == "73.00"
    assert by[("TOTAL", "pay_per_use")]["final_state"] == ""
    assert by[("a", "monthly")]["final_state"] == "Unsubscribed"
    assert by[("a", "monthly")]["unusable_hours"] == "0"
    best = list(csv.reader(open(tmp_path / "compare-best.csv", encoding="utf-8")))
    assert best[-1][:3] == ["TOTAL", "", "mix"]


def test_unknown_mode_is_rejected():
    sc = load_scenario(scenario(used("a", "2023-05-01 00:00:00"), **WINDOW))
    with pytest.raises(ValueError, match="unknown billing mode 'weekly'"):
        compare(sc, ["monthly", "weekly"])
