"""The engine against an independent, slow reference (tests/oracle.py) on small scenarios.

Pay-per-use: every bill line (seconds, amount, settled_at), settlement and top-up row,
state interval and notification, from a second-by-second walk. Yearly/monthly: every
order row (expiry instants as periods), expiry_at, expiry alerts with days_before,
auto-renewal attempts (auto_renewed / auto_renew_failed), lifecycle steps, refusals and
unsubscription refunds (both rules, handling fee), from a calendar walk. A default policy is 15 days, so short windows draw 0..2.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import example, given, note, reject, settings
from hypothesis import strategies as st

from sim import load_scenario, simulate
from tests import oracle
from tests.invariants import epoch
from tests.pinned import PINNED
from tests.strategies import examples, money, scenarios

PPU_ACTIONS = ("stop", "start", "delete", "renew", "enable_auto_renew", "change_billing")
PREPAID_ACTIONS = ("renew", "renew", "stop", "start", "enable_auto_renew",  # renew: twice
                   "disable_auto_renew", "delete", "unsubscribe", "change_billing")  # as often
RICH_BALANCES = st.sampled_from([  # mostly enough to buy; some too little to auto-renew
    Decimal("100000.00"), Decimal("100000.00"), Decimal("2000.00"), Decimal("200.00"),
    Decimal("45.00"), Decimal("10.00"), Decimal("0.00"), Decimal("-5.00")])
LOW_BALANCES = st.one_of(
    st.sampled_from([Decimal("-1.00"), Decimal("0"), Decimal("0.01"), Decimal("0.50"),
                     Decimal("1.00"), Decimal("3.00")]),
    money("-2.00", "10.00"))


def _engine(data: dict):
    """The engine's outputs in the oracle's shapes (epoch seconds, Decimal)."""
    note(f"scenario: {data}")
    scenario = load_scenario(data)
    result = simulate(scenario)
    ts = _epochs
    ledger = list(zip(ts(result.ledger["time"]), result.ledger["phone"],
                      result.ledger["kind"], result.ledger["amount"],
                      result.ledger["paid_from"], result.ledger["balance_after"],
                      ts(result.ledger["period_start"]), ts(result.ledger["period_end"])))
    usage = result.usage
    lines = {(phone, c): [int(s), a, d] for phone, c, s, a, d in zip(
        usage["phone"], ts(usage["cycle_start"]), usage["seconds"], usage["amount"],
        ts(usage["settled_at"]))}
    states = [[p, b, s, a, e] for p, b, s, a, e in zip(
        result.states["phone"], result.states["billing"], result.states["state"],
        ts(result.states["start"]), ts(result.states["end"]))]
    days = [None if pd.isna(d) else int(d)
            for d in result.notifications["days_before"].astype(object)]
    notes = list(zip(ts(result.notifications["time"]), result.notifications["phone"],
                     result.notifications["kind"], days))
    expires = {pid: epoch(info["expires_at"] or "")
               for pid, info in result.summary["phones"].items()}
    return scenario, ledger, lines, states, notes, expires


def _epochs(series) -> list[int | None]:
    return [None if pd.isna(t) else int(t.timestamp()) for t in series.astype(object)]


def _compare(expected: oracle.Expected, got) -> None:
    _, ledger, lines, states, notes, expires = got
    assert ledger == expected.ledger, _diff("ledger", expected.ledger, ledger)
    assert lines == expected.lines, _diff("lines", sorted(expected.lines.items()),
                                          sorted(lines.items()))
    assert sorted(states, key=repr) == sorted(expected.states, key=repr), _diff(
        "states", expected.states, states)
    assert sorted(notes, key=repr) == sorted(expected.notes, key=repr), _diff(
        "notifications", sorted(expected.notes, key=repr), sorted(notes, key=repr))
    assert expires == expected.expires_at


def _diff(what, want, got) -> str:
    want_set, got_set = {repr(x) for x in want}, {repr(x) for x in got}
    return (f"{what}: oracle only {sorted(want_set - got_set)[:5]}; "
            f"engine only {sorted(got_set - want_set)[:5]}")


@st.composite
def with_bill_run(draw, scenario) -> dict:
    """A scenario whose bill run is drawn every time (daily and monthly runs in arrears)."""
    data = draw(scenario)
    data["policy"]["bill_run"] = draw(st.sampled_from(["hourly", "daily", "monthly"]))
    return data


@settings(max_examples=examples(100))
@given(data=with_bill_run(scenarios(max_phones=3, max_days=2, billings=("pay_per_use",),
                                    kinds=PPU_ACTIONS, balances=LOW_BALANCES,
                                    max_policy_days=1, min_phones=1)))
def test_pay_per_use_matches_the_second_by_second_oracle(data):
    """Lines, settlements, arrears, freezing, release, refusals: second by second."""
    got = _engine(data)
    _compare(oracle.pay_per_use(got[0]), got)


@settings(max_examples=examples(250))
@given(data=scenarios(max_phones=3, billings=("monthly", "yearly"), kinds=PREPAID_ACTIONS,
                      max_actions=6, balances=RICH_BALANCES, min_days=20, max_days=1100,
                      min_phones=1))
def test_prepaid_matches_the_calendar_oracle(data):
    """Expiry instants, alerts, auto-renewal attempts, lifecycle, refunds, a pending change
    at expiry asked twice or cancelled by auto-renewal: a calendar walk."""
    got = _engine(data)
    try:
        expected = oracle.prepaid(got[0])
    except oracle.OutOfScope:  # a phone became pay-per-use: the other oracle's ground
        reject()
    _compare(expected, got)


@settings(max_examples=examples(150))
@example(data=PINNED[0])
@example(data=PINNED[1])
@example(data=PINNED[2])
@example(data=PINNED[3])
@given(data=scenarios(max_phones=3, billings=("monthly", "yearly"), max_actions=6,
                      kinds=("renew", "renew", "renew", "unsubscribe", "unsubscribe", "stop",
                             "enable_auto_renew", "change_billing"),
                      balances=st.just(Decimal("100000.00")), min_days=20, max_days=120,
                      min_phones=1, trap_prices=True))
def test_prepaid_money_at_half_cent_ties_matches_the_calendar_oracle(data):
    """§7.18 reached at random: prices whose day rates repeat, align_day extras and refunds
    under both rules with fees, quantities 1-5; every cent against the exact oracle."""
    got = _engine(data)
    try:
        expected = oracle.prepaid(got[0])
    except oracle.OutOfScope:
        reject()
    _compare(expected, got)
