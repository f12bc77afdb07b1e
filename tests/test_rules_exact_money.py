"""billing-rules.md §7.18: money is computed on exact values and rounded half-up once.

The three named cases are whole traces through the engine; the sweeps check the rating
functions the engine calls against an exact reference over every price pattern, so no
half-cent tie can be lost to a 28-digit quotient again.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.money import cents, e8_sums, round_half_up
from sim.rating import align_extra, refund_in_progress
from tests.profiles import examples
from traces import act, ledger, prepaid, run, scenario

P = "p"


def _catalog(monthly: str) -> dict:
    return {"currency": "USD", "specs": [
        {"id": "odd", "edition": "basic", "vcpus": 1, "memory_gb": 1, "storage_gb": 1,
         "monthly": monthly, "yearly": "400.00", "hourly": "0.0725"}]}


# --- the three cases of the issue, end to end --------------------------------------------

def test_daily_refund_40_25_after_21_days_is_12_08():
    # 40.25 - 40.25/30 x 21 = 40.25 - 28.175 = 12.075 exactly -> 12.08 (a 28-digit
    # quotient 1.341666...67 x 21 gave 12.0749999... -> 12.07).
    r = run(scenario(
        prepaid(at="2023-03-01 00:00:00", spec="odd",
                actions=[act("2023-03-22 00:00:00", "unsubscribe")]),
        start="2023-03-01 00:00:00", end="2023-04-10 00:00:00", catalog=_catalog("40.25")))
    assert ledger(r) == [
        ("2023-03-01 00:00:00", P, "purchase", "-40.25", "balance", "959.75",
         "2023-03-01 00:00:00", "2023-04-01 23:59:59"),
        ("2023-03-22 00:00:00", P, "refund", "12.08", "balance", "971.83",
         "2023-03-01 00:00:00", "2023-04-01 23:59:59")]
    assert r.ledger.detail.iloc[1] == ("unsubscription: 21 whole days used, consumed 28.18, "
                                       "fee 0.00")


def test_align_extra_40_15_for_21_days_is_28_11():
    # Bought 02-05 -> expiry 03-05; renewed 1 month to 04-05, aligned to day 26: 21 extra
    # days x 40.15/30 = 28.105 exactly -> 28.11; one renewal row of 40.15 + 28.11 = 68.26.
    r = run(scenario(
        prepaid(at="2023-02-05 10:00:00", spec="odd",
                actions=[act("2023-03-01 10:00:00", "renew", align_day=26)]),
        start="2023-02-01 00:00:00", end="2023-03-05 00:00:00", catalog=_catalog("40.15")))
    assert ledger(r) == [
        ("2023-02-05 10:00:00", P, "purchase", "-40.15", "balance", "959.85",
         "2023-02-05 10:00:00", "2023-03-05 23:59:59"),
        ("2023-03-01 10:00:00", P, "renewal", "-68.26", "balance", "891.59",
         "2023-03-06 00:00:00", "2023-04-26 23:59:59")]


def test_hourly_refund_with_a_10_percent_fee_587_of_720_hours_is_9_98():
    # ent-2c4g 60.00 from 2024-02-01 00:00 to 03-02 00:00 (leap February): 720 order hours;
    # unsubscribed 02-25 11:20 -> 587 used hours. Unused 60 x 133/720 = 11.0833...;
    # less the fee 10 %: 0.9 x 60 x 133/720 = 9.975 exactly -> 9.98 (was 9.97).
    r = run(scenario(
        prepaid(at="2024-02-01 00:00:00", spec="ent-2c4g",
                actions=[act("2024-02-25 11:20:00", "unsubscribe")]),
        start="2024-02-01 00:00:00", end="2024-03-10 00:00:00",
        policy={"refund_rule": "hourly", "refund_fee_rate": "0.10"}))
    assert ledger(r) == [
        ("2024-02-01 00:00:00", P, "purchase", "-60.00", "balance", "940.00",
         "2024-02-01 00:00:00", "2024-03-01 23:59:59"),
        ("2024-02-25 11:20:00", P, "refund", "9.98", "balance", "949.98",
         "2024-02-01 00:00:00", "2024-03-01 23:59:59")]
    assert r.ledger.detail.iloc[1] == ("unsubscription: 587 of 720 hours used, consumed "
                                       "48.92, fee 1.11")


def test_the_accrued_view_is_the_exact_share_rounded_once_to_8_decimals():
    # p: 40.25 for 2023-03-01 00:00 .. 04-02 00:00 (768 h); the window ends 03-11 10:00,
    # 250 h inside: 40.25 x 250/768 = 13.10221354166... -> 13.10221354. q: 120.75 for
    # 03-04 00:00 .. 04-05 00:00 (768 h), 178 h inside: 27.986328125, a tie -> 27.98632813.
    r = run(scenario(
        prepaid(at="2023-03-01 00:00:00", spec="odd"),
        prepaid("q", at="2023-03-04 00:00:00", spec="odd", quantity=3),
        start="2023-03-01 00:00:00", end="2023-03-11 10:00:00", catalog=_catalog("40.25")))
    assert r.accrued_costs() == {P: Decimal("13.10221354"), "q": Decimal("27.98632813")}
    assert r.summary["total_cost_accrued"] == "41.08854167"


# --- sweeps against an exact reference ---------------------------------------------------
# Prices in cents: every x.x5 from 0.05 to 199.95 (the half-cent ties live there), the
# ends of the range and a stride through every other last digit.
PRICES = np.unique(np.concatenate([np.arange(5, 20000, 10), np.arange(1, 20001, 37),
                                   [1, 2, 3, 4, 6, 7, 8, 9, 19999, 20000]])).astype(np.int64)
DAYS = np.arange(1, 32)
QUANTITIES = np.arange(1, 6)
FEE_PERCENT = {1: 0, 2: 10, 3: 5, 4: 0, 5: 15}  # by quantity: every sweep point has a fee


def _half_up(num: np.ndarray, den) -> np.ndarray:
    """Exact half-up of num/den >= 0 in whole cents: floor(num/den + 1/2), on integers."""
    return (2 * num + den) // (2 * den)


def _money(units: int) -> Decimal:
    return Decimal(int(units)).scaleb(-2)


def test_the_integer_reference_is_the_fraction_reference():
    """The vectorised references below are fractions.Fraction cleared of denominators."""
    rng = np.random.default_rng(7)
    for p, d, q in zip(rng.choice(PRICES, 300), rng.choice(DAYS, 300),
                       rng.choice(QUANTITIES, 300)):
        p, d, q = int(p), int(d), int(q)
        exact = Fraction(p, 100) * d * q / 30
        assert _half_up(p * d * q, 30) == int((exact * 100 + Fraction(1, 2)) // 1)


def _mismatches(expected: np.ndarray, got: list[Decimal]) -> list[int]:
    got_cents = np.asarray([int(g.scaleb(2)) for g in got], dtype=np.int64)
    return np.flatnonzero(got_cents != expected).tolist()


def test_sweep_align_extra_prices_x_days_x_quantity_zero_mismatches():
    p, d, q = (a.ravel() for a in np.meshgrid(PRICES, DAYS, QUANTITIES, indexing="ij"))
    expected = _half_up(p * d * q, 30)  # (p/100 x d x q / 30) in cents
    prices = [_money(v) for v in PRICES.tolist()]
    index = {v: prices[i] for i, v in enumerate(PRICES.tolist())}
    got = [align_extra(index[pi], di, qi) for pi, di, qi in zip(p.tolist(), d.tolist(),
                                                                q.tolist())]
    bad = _mismatches(expected, got)
    assert len(p) > 300_000 and not bad, [(p[i], d[i], q[i], got[i]) for i in bad[:10]]


def test_sweep_daily_refund_prices_x_days_x_quantity_with_fees_zero_mismatches():
    p, d, q = (a.ravel() for a in np.meshgrid(PRICES, DAYS, QUANTITIES, indexing="ij"))
    fee = np.vectorize(FEE_PERCENT.get)(q)
    # paid p x q; consumed min(paid, p x d x q / 30); refund (paid - consumed) x (1 - fee).
    rest30 = 30 * p * q - np.minimum(30 * p * q, p * d * q)
    expected = _half_up(rest30 * (100 - fee), 3000)
    rates = {f: Decimal(f).scaleb(-2) for f in FEE_PERCENT.values()}
    got = [refund_in_progress(_money(pi * qi), _money(pi), "month", qi, di * 86400 + 3599,
                              0, 0, "daily", rates[fi]).amount
           for pi, di, qi, fi in zip(p.tolist(), d.tolist(), q.tolist(), fee.tolist())]
    bad = _mismatches(expected, got)
    assert len(p) > 300_000 and not bad, [(p[i], d[i], q[i], got[i]) for i in bad[:10]]


@pytest.mark.parametrize("order_hours", [720, 744])
def test_sweep_hourly_refund_prices_x_used_hours_with_fees_zero_mismatches(order_hours):
    prices = PRICES[::20]  # ~140 prices, x.x5 patterns among them, x every used hour
    p, u = (a.ravel() for a in np.meshgrid(prices, np.arange(order_hours + 1), indexing="ij"))
    q = 1 + (p + u) % 5
    fee = np.vectorize(FEE_PERCENT.get)(q)
    # refund = p x q x (H - u)/H x (1 - fee), in cents
    expected = _half_up(p * q * (order_hours - u) * (100 - fee), order_hours * 100)
    rates = {f: Decimal(f).scaleb(-2) for f in FEE_PERCENT.values()}
    got = [refund_in_progress(_money(pi * qi), _money(pi), "month", qi, 0, ui,
                              order_hours * 3600, "hourly", rates[fi]).amount
           for pi, ui, qi, fi in zip(p.tolist(), u.tolist(), q.tolist(), fee.tolist())]
    bad = _mismatches(expected, got)
    assert not bad, [(p[i], u[i], q[i], fee[i], got[i]) for i in bad[:10]]


def test_yearly_daily_refund_divides_by_365_exactly():
    # 459.00 - 459.00 x 100/365 = 333.2465753... -> 333.25; 73.00 - 73.00 x 5/365 = 72.00
    # exactly; quantity 3: 109.50 - 36.50 x 3 x 15/365 = 109.50 - 4.50 = 105.00.
    assert refund_in_progress(Decimal("459.00"), Decimal("459.00"), "year", 1, 100 * 86400,
                              0, 0, "daily", Decimal(0)).amount == Decimal("333.25")
    assert refund_in_progress(Decimal("73.00"), Decimal("73.00"), "year", 1, 5 * 86400, 0, 0,
                              "daily", Decimal(0)).amount == Decimal("72.00")
    assert refund_in_progress(Decimal("109.50"), Decimal("36.50"), "year", 3, 15 * 86400, 0,
                              0, "daily", Decimal(0)).amount == Decimal("105.00")


def test_the_one_rounding_helper_is_half_up_away_from_zero_and_exact_at_any_size():
    assert cents(Decimal("0.005")) == Decimal("0.01")
    assert cents(Decimal("-0.005")) == Decimal("-0.01")
    assert cents(Decimal("0.0049999999999999999999999999999")) == Decimal("0.00")
    assert cents(Fraction(12075, 1000)) == Decimal("12.08")
    assert cents(Decimal("1207.5"), 100) == Decimal("12.08")
    big = 10**40
    assert cents(Fraction(big * 1000 + 5, 1000)) == Decimal(f"{big}.01")
    assert round_half_up(Fraction(1, 3), 8) == Decimal("0.33333333")
    assert str(cents(0)) == "0.00" and str(cents(Decimal("-0.004"))) == "0.00"


_amounts = st.decimals(min_value=Decimal("-1e7"), max_value=Decimal("1e7"), places=8,
                       allow_nan=False, allow_infinity=False)


@settings(max_examples=examples(300))
@given(st.lists(st.tuples(st.integers(0, 3), _amounts, st.integers(1, 40_000_000)),
                min_size=1, max_size=40))
@example([(0, Decimal("1"), 2)])                           # a tie: 0.5 -> away from zero
@example([(0, Decimal("-1e-8"), 2)])                       # -0.5e-8 -> -1e-8
@example([(0, Decimal("1e-8"), 3), (0, Decimal("1e-8"), 6)])  # exactly 0.5e-8 in two parts
@example([(0, Decimal("1e-8"), 3), (0, Decimal("-1e-8"), 3)])  # exactly zero
@example([(1, Decimal("0.07"), 30 * 86400)] * 5 + [(1, Decimal("-0.35"), 30 * 86400)])
def test_e8_sums_are_the_fraction_sums_rounded_once(terms):
    keys = [k for k, _, _ in terms]
    nums = [n for _, n, _ in terms]
    dens = [d for _, _, d in terms]
    expected = {}
    for k, n, d in terms:
        expected[k] = expected.get(k, Fraction(0)) + Fraction(n) / d
    assert e8_sums(keys, nums, dens) == {k: round_half_up(v, 8) for k, v in expected.items()}
