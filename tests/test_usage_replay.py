"""`usage_table:` replays a session log: pay-per-use creations and deletions, or kept phones
stopped between sessions; `compare` prices the same history in each mode. Costs here are
computed by hand from the default catalog (pro-2c4g: 45.00 a month, 459.00 a year,
0.10 an hour)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from sim import compare, load_scenario, simulate
from sim.cli import cli
from sim.scenario import ScenarioError

HEAD = """\
name: replay
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-05-01 00:00:00
account: {balance: 5000}
usage_table: sessions.csv
usage_spec: pro-2c4g
"""
SESSIONS = (
    "phone,start,end\n"
    "a,2023-02-01 10:00:00,2023-02-01 12:30:00\n"   # 2.5 h
    "b,2023-03-01 00:00:00,2023-06-01 00:00:00\n"   # still in use at the end: cut there
    "b,2023-02-01 00:00:00,2023-02-10 00:00:00\n"   # 9 days; rows need not be in order
    "a,2023-02-02 10:00:00,2023-02-02 11:00:00\n")  # 1 h


@pytest.fixture
def replay(tmp_path):
    def make(extra: str = "", sessions: str = SESSIONS):
        (tmp_path / "sessions.csv").write_text(sessions)
        (tmp_path / "s.yaml").write_text(HEAD + extra)
        return tmp_path / "s.yaml"
    return make


def test_pay_per_use_replay_creates_and_deletes_a_phone_per_session(replay):
    scenario = load_scenario(replay())
    assert [(p.id, p.group, [a.do for a in p.actions]) for p in scenario.phones] == [
        ("b#1", "b", ["delete"]), ("b#2", "b", []), ("a#1", "a", ["delete"]),
        ("a#2", "a", ["delete"])]
    costs = {pid: Decimal(p["cost"]) for pid, p in simulate(scenario).summary["phones"].items()}
    assert costs == {"a#1": Decimal("0.25"), "a#2": Decimal("0.10"),
                     "b#1": Decimal("21.60"),          # 216 h
                     "b#2": Decimal("146.40")}         # March and April: 1,464 h


def test_kept_replay_buys_once_and_stops_between_sessions(replay):
    scenario = load_scenario(replay("usage_billing: monthly\n"))
    b = scenario.phone("b")
    assert (b.billing, b.term, b.auto_renew is not None) == ("monthly", 1, True)
    assert [(a.at.strftime("%m-%d %H:%M"), a.do) for a in b.actions] == [
        ("02-10 00:00", "stop"), ("03-01 00:00", "start")]  # in use at the end: kept
    a = scenario.phone("a")
    assert [a_.do for a_ in a.actions] == ["stop", "start", "unsubscribe"]
    # b: Feb 1, then auto-renewed for March, April and (7 days before May 1) May.
    assert simulate(scenario).summary["phones"]["b"]["cost"] == "180.00"


def test_compare_prices_the_history_in_each_mode_per_logged_phone(replay):
    comparison = compare(load_scenario(replay()))
    rows = {(r.phone, r.mode): r for r in comparison.table.itertuples(index=False)}
    assert rows[("a", "pay_per_use")].cost_accrued == Decimal("0.35")
    assert rows[("b", "pay_per_use")].cost_accrued == Decimal("168.00")
    # A month bought on Feb 1 runs to the end of Mar 1 (expiry Mar 2 00:00, as the seed's
    # Feb 8 -> Mar 8 23:59:59): Feb 1-Mar 2, Mar 2-Apr 2, then 29 of Apr 2-May 2's 30 days.
    assert rows[("b", "monthly")].cost_accrued == Decimal("45.00") * 2 + Decimal("43.50")
    assert rows[("b", "monthly")].cost_cash == Decimal("180.00")  # May's renewal, paid early
    # A year bought on Feb 1 runs to the end of Feb 1 2024: 89 of its 366 days in the window.
    assert rows[("b", "yearly")].cost_cash == Decimal("459.00")
    assert rows[("b", "yearly")].cost_accrued.quantize(Decimal("0.01")) == \
        (Decimal(459) * 89 / 366).quantize(Decimal("0.01"))
    assert rows[("a", "pay_per_use")].usage_hours == 3.5
    assert comparison.best.to_dict() == {"b": "yearly", "a": "pay_per_use"}
    mix = comparison.mix.set_index("phone")
    assert mix.loc["a", "best_cost_accrued"] == Decimal("0.35")
    assert mix.loc["TOTAL", "written_cost_accrued"] == Decimal("168.35")


def test_compare_command_on_a_replay(replay, tmp_path):
    result = CliRunner().invoke(cli, ["compare", str(replay()), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "b" in result.output and "yearly" in result.output
    assert (tmp_path / "o" / "compare.csv").read_text().count("\n") == 2 * 3 + 3 + 1


@pytest.mark.parametrize("sessions, extra, problems", [
    ("phone,start,end\na,2023-02-01 10:00:00,2023-02-01 09:00:00\n", "",
     ["sessions.csv row 1, column end: must be after start"]),
    ("phone,start,end\na,2023-02-01 10:00:00,2023-02-01 12:00:00\n"
     "a,2023-02-01 11:00:00,2023-02-01 13:00:00\n", "",
     ["sessions.csv row 2, column start: overlaps the phone's previous session"]),
    ("phone,start,end,spec\na,2023-01-01 10:00:00,2023-02-01 12:00:00,nope\n", "",
     ["sessions.csv row 1, column spec: unknown spec; known: basic-2c4g, basic-4c8g, "
      "basic-8c16g, ent-2c4g, ent-4c8g, ent-8c16g, pro-2c4g, pro-4c8g, pro-8c16g"]),
    ("phone,start,end\na,2023-01-01 10:00:00,2023-02-01 12:00:00\n", "",
     ["sessions.csv row 1, column start: is before start (2023-02-01 00:00:00); the window "
      "is [start, end)"]),
    ("phone,start,end,spec\na,2023-02-01 10:00:00,2023-02-01 12:00:00,basic-2c4g\n"
     "a,2023-02-02 10:00:00,2023-02-02 12:00:00,\n", "",
     ["sessions.csv rows 1, 2, column spec: a logged phone has one spec; this phone's rows "
      "differ"]),
])
def test_a_bad_session_log_names_row_and_column(replay, sessions, extra, problems):
    with pytest.raises(ScenarioError) as info:
        load_scenario(replay(extra, sessions))
    assert [str(p) for p in info.value.problems] == problems


def test_the_shipped_sample_replays(tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scenarios" / "farm-usage-replay.yaml"
    scenario = load_scenario(path)
    groups = {p.group for p in scenario.phones}
    assert len(groups) == 12 and len(scenario.phones) > 900


def test_recommend_on_a_replay_uses_the_sessions(replay):
    from sim import recommend

    rec = recommend(load_scenario(replay()))
    rows = rec.table.set_index(["level", "name"])
    assert rows.loc[("phone", "b"), "best_mode"] == "yearly"
    assert rows.loc[("phone", "a"), "best_mode"] == "pay_per_use"
    # The base load comes from the sessions (3.5 h + 1,680 h), not from first use to the end.
    assert rows.loc[("base_load", "pro-2c4g"), "usage_hours"] == 1683.5
