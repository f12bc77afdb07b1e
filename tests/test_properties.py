"""Invariants of every run, property-tested over random valid scenarios (tests/invariants.py).

Examples per test are bounded for CI (profile `ci`, the default); set
KOOPHONE_HYPOTHESIS_PROFILE=dev for 10x as many. A failure prints the scenario mapping
(hypothesis shrinks it) and the invariant that broke.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import example, given, note, settings

from sim import load_scenario, simulate
from tests.invariants import check_all
from tests.strategies import examples, scenarios
from tests.pinned import PINNED, RENEWED_AT_EXPIRY


def _run(data: dict, folder, *, in_hypothesis: bool = True):
    if in_hypothesis:
        note(f"scenario: {data}")
    scenario = load_scenario(data)  # a strategy bug (invalid scenario) fails here, loudly
    result = simulate(scenario)
    result.write(folder)
    return scenario, result


@settings(max_examples=examples(300))
@given(data=scenarios())
def test_every_invariant_holds_on_random_scenarios(data, tmp_path_factory):
    """Ledger, balance, states, bill lines, settlements, refunds, window, notes, summary."""
    folder = tmp_path_factory.mktemp("out") / "run"
    scenario, _ = _run(data, folder)
    check_all(scenario, folder)


@settings(max_examples=examples(150))
@given(data=scenarios(max_days=4, billings=("pay_per_use",),
                      kinds=("stop", "start", "delete")))
def test_invariants_hold_for_short_pay_per_use_fleets(data, tmp_path_factory):
    """Hours to days of pay-per-use only: bill lines, settlements, arrears dense."""
    folder = tmp_path_factory.mktemp("out") / "run"
    scenario, _ = _run(data, folder)
    check_all(scenario, folder)


@settings(max_examples=examples(150))
@given(data=scenarios(billings=("monthly", "yearly"), max_actions=8))
@example(data=RENEWED_AT_EXPIRY)
@example(data=PINNED[3])
def test_invariants_hold_for_prepaid_fleets(data, tmp_path_factory):
    """Prepaid only, many actions: periods, renewals, refunds, lifecycle, conversions."""
    folder = tmp_path_factory.mktemp("out") / "run"
    scenario, _ = _run(data, folder)
    check_all(scenario, folder)


@settings(max_examples=examples(60))
@given(data=scenarios(max_days=60))
def test_same_input_gives_byte_identical_outputs(data, tmp_path_factory):
    """Loading and simulating twice writes the same bytes, file by file."""
    base = tmp_path_factory.mktemp("twice")
    _run(data, base / "a")
    _run(data, base / "b")
    names = sorted(p.name for p in (base / "a").iterdir())
    assert names == sorted(p.name for p in (base / "b").iterdir())
    for name in names:
        assert (base / "a" / name).read_bytes() == (base / "b" / name).read_bytes(), name


def test_monthly_statement_rounding_to_zero_writes_no_settlement(tmp_path):
    """Found by these properties: one minute at 0.07/h is a 0.00 monthly statement."""
    data = {"name": "tiny", "timezone": "UTC", "start": "2024-01-31 23:00:00",
            "end": "2024-02-01 02:00:00", "policy": {"bill_run": "monthly",
                                                     "settlement_delay": 0},
            "account": {"balance": "10.00"},
            "phones": [{"id": "p", "spec": "basic-2c4g", "billing": "pay_per_use",
                        "at": "2024-01-31 23:59:00"}]}
    scenario, result = _run(data, tmp_path / "run", in_hypothesis=False)
    assert result.ledger.empty  # the 60 s line (0.00116667) is settled, but moves no money
    assert result.summary["final_balance"] == "10.00"
    check_all(scenario, tmp_path / "run")


_RUN_ALL = """
import sys
from pathlib import Path
from sim import ScenarioError, load_scenario, simulate
for path in sorted(Path(sys.argv[1]).glob("*.yaml")):
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        continue
    simulate(scenario).write(Path(sys.argv[2]) / path.stem)
"""


def test_outputs_do_not_depend_on_the_hash_seed(tmp_path):
    """Two processes with different PYTHONHASHSEED (set and dict order of strings) write
    the same bytes for every shipped scenario."""
    root = Path(__file__).resolve().parent.parent
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", _RUN_ALL, str(root / "scenarios"),
                        str(tmp_path / seed)], check=True, timeout=300,
                       env=dict(os.environ, PYTHONHASHSEED=seed))
    first = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*"))
    assert first, "no shipped scenario was simulated"
    assert first == sorted(p.relative_to(tmp_path / "2") for p in (tmp_path / "2").rglob("*"))
    for rel in first:
        if (tmp_path / "1" / rel).is_file():
            assert (tmp_path / "1" / rel).read_bytes() == (tmp_path / "2" / rel).read_bytes()
