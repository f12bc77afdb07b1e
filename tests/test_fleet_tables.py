"""`phones_table:` and `actions_table:`: a fleet as CSV or Parquet runs exactly as the same
fleet written in YAML, mixes with YAML phones, and every bad cell is named by file, row and
column (exit 2, nothing written)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim import load_scenario, simulate
from sim.cli import cli
from sim.scenario import ScenarioError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from fleet_gen import dump_yaml, fleet_scenario  # noqa: E402

HEAD = """\
name: tabled
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-05-01 00:00:00
account: {balance: 1000}
"""


def phone_rows(phones: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """YAML phone mappings as a phones table and an actions table (text cells, as a CSV)."""
    rows, actions = [], []
    for p in phones:
        renew = p.get("auto_renew") or {}
        rows.append({"id": p["id"], "spec": p["spec"], "billing": p["billing"],
                     "at": str(p["at"]),
                     "quantity": p.get("quantity"), "term": p.get("term"),
                     "auto_renew_term": renew.get("term"), "auto_renew_times": renew.get("times"),
                     "group": p.get("group")})
        actions += [{"phone": p["id"], "at": str(a["at"]),
                     "do": a["do"]} for a in p.get("actions", [])]
    return pd.DataFrame(rows).astype("Int64", errors="ignore"), pd.DataFrame(actions)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_a_tabled_fleet_runs_exactly_as_the_same_fleet_in_yaml(tmp_path, ext):
    fleet = fleet_scenario(120, years=0.1, seed=3)
    written = yaml.safe_load(dump_yaml(fleet))
    (tmp_path / "fleet.yaml").write_text(dump_yaml(fleet))
    phones, actions = phone_rows(written["phones"])
    # Half the phones stay in YAML, the other half (and every action) come from tables.
    keep = written["phones"][:60]
    for p in keep:
        p.pop("actions", None)
    tabled = {**written, "phones": keep, "phones_table": f"phones.{ext}",
              "actions_table": f"actions.{ext}"}
    write_table(phones.iloc[60:], tmp_path / f"phones.{ext}")
    write_table(actions, tmp_path / f"actions.{ext}")
    (tmp_path / "tabled.yaml").write_text(yaml.safe_dump(tabled, sort_keys=False))

    want = simulate(load_scenario(tmp_path / "fleet.yaml"))
    scenario = load_scenario(tmp_path / "tabled.yaml")
    assert len(scenario.phones) == 120 and scenario.phones_table is None
    got = simulate(scenario)
    assert got.summary == want.summary
    assert got.ledger.equals(want.ledger)


def test_mixing_yaml_phones_and_a_table_with_hand_computed_costs(tmp_path):
    (tmp_path / "fleet.csv").write_text(
        "id,spec,billing,at,term,auto_renew_term,provisioning,quantity\n"
        "t1,pro-2c4g,monthly,2023-02-08 15:50:04,1,1,,2\n"
        "t2,pro-2c4g,pay_per_use,2023-02-08T15:50:04+08:00,,,0,\n")
    (tmp_path / "actions.csv").write_text(
        "phone,at,do\n"
        "t2,2023-02-08 18:20:04,delete\n"
        "y1,2023-02-01 10:00:00,delete\n")
    (tmp_path / "s.yaml").write_text(HEAD + """\
phones:
  - {id: y1, spec: pro-2c4g, billing: pay_per_use, at: 2023-02-01 00:00:00}
phones_table: fleet.csv
actions_table: actions.csv
""")
    result = simulate(load_scenario(tmp_path / "s.yaml"))
    phones = result.summary["phones"]
    assert list(phones) == ["y1", "t1", "t2"]
    # y1: 10 full hours at 0.10; t1: 2 instances x 45.00 x (Feb 8 + renewals Mar 8, Apr 8);
    # t2: 15:50:04-18:20:04 = 2.5 h at 0.10, in three clock hours: 0.0275 + 0.10 + 0.10 +
    # 0.03444... billed per second of each hour.
    assert phones["y1"]["cost"] == "1.00"
    assert phones["t1"]["cost"] == "270.00"
    assert Decimal(phones["t2"]["cost"]) == Decimal("0.10") * 9000 / 3600
    assert phones["t1"]["expires_at"] == "2023-05-09T00:00:00+08:00"


def problems(tmp_path, table: str, text: str, extra: str = "") -> list[str]:
    (tmp_path / table).write_text(text)
    key = "actions_table" if table.startswith("actions") else "phones_table"
    (tmp_path / "s.yaml").write_text(HEAD + f"{key}: {table}\n" + extra)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    return [str(p) for p in info.value.problems]


def test_each_bad_cell_is_named_by_file_row_and_column(tmp_path):
    found = problems(tmp_path, "fleet.csv", (
        "id,spec,billing,at,term,quantity,provisioning\n"
        "a,pro-2c4g,monthly,2023-02-08 15:50:04,1.0,1,\n"      # row 1: term 1.0
        "b,nope,monthly,2023-02-30 00:00:00,1,0,\n"            # row 2: spec, date, quantity
        "c,pro-2c4g,weekly,2023-02-08 15:50:04,,,\n"           # row 3: billing
        "a,pro-2c4g,pay_per_use,2024-01-01 00:00:00,2,,-5\n"   # row 4: dup id, at, term, prov
        ",pro-2c4g,monthly,2023-03-01 00:00:00,101,,\n"))       # row 5: no id, term > 100
    assert found == [
        "fleet.csv row 5, column id: required",
        "fleet.csv row 3, column billing: must be one of monthly, yearly, pay_per_use",
        "fleet.csv row 2, column quantity: must be >= 1",
        "fleet.csv row 1, column term: must be a whole number",
        "fleet.csv row 5, column term: must be <= 100",
        "fleet.csv row 4, column provisioning: must be >= 0",
        "fleet.csv row 2, column at: must be a time of the form YYYY-MM-DD HH:MM:SS "
        "(an existing date, whole seconds)",
        "fleet.csv row 4, column term: only for prepaid phones (monthly, yearly), "
        "not billing: pay_per_use",
        "fleet.csv row 2, column spec: unknown spec; known: basic-2c4g, basic-4c8g, "
        "basic-8c16g, ent-2c4g, ent-4c8g, ent-8c16g, pro-2c4g, pro-4c8g, pro-8c16g",
        "fleet.csv row 4, column at: is at or after end (2023-05-01 00:00:00); "
        "the window is [start, end)",
        "fleet.csv row 4, column id: duplicate phone id (it appears on an earlier row)",
    ]


def test_many_bad_rows_are_counted_not_listed(tmp_path):
    rows = "".join(f"p{i},pro-2c4g,monthly,2023-02-08 15:50:04,0\n" for i in range(1000))
    found = problems(tmp_path, "fleet.csv", "id,spec,billing,at,term\n" + rows)
    assert found == ["fleet.csv rows 1, 2, 3, 4, 5 (and 995 more), column term: must be >= 1"]


@pytest.mark.parametrize("text, message", [
    ("id,spec,billing\na,pro-2c4g,monthly\n",
     "phones_table: fleet.csv: required column 'at' is missing"),
    ("id,spec,billing,at,colour\na,pro-2c4g,monthly,2023-02-08 15:50:04,red\n",
     "phones_table: fleet.csv: unknown column 'colour'; known: id, spec, billing, at, "
     "quantity, term, pay_with, auto_renew_term, auto_renew_times, provisioning, group, "
     "workload, data_security"),
    ("id,spec,billing,at\na,pro-2c4g,monthly,2023-02-08 15:50:04,extra\n",
     "phones_table: fleet.csv: 1 row(s) do not have the header's 4 fields (one has 5)"),
    ("", "phones_table: fleet.csv is empty; expected a header row of column names"),
])
def test_a_malformed_table_is_refused_as_a_whole(tmp_path, text, message):
    assert problems(tmp_path, "fleet.csv", text) == [message]


def test_a_table_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    # A bad row's text used to be decoded inside pyarrow's callback, which printed an
    # "Exception ignored" traceback (found by fuzz/fuzz_door.py).
    (tmp_path / "fleet.csv").write_bytes(b"id,spec,billing,at\na\xff,pro-2c4g\n")
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: fleet.csv\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "phones_table: fleet.csv: not UTF-8 text (byte 0xff on line 2)"]


def test_table_files_that_cannot_be_read(tmp_path):
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: missing.csv\nactions_table: a.txt\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "phones_table: no such file: missing.csv",
        "actions_table: 'a.txt' is not a .csv or .parquet file"]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: bad.parquet\n")
    with pytest.raises(ScenarioError, match="bad.parquet: not a readable Parquet file"):
        load_scenario(tmp_path / "s.yaml")


def test_bad_actions_rows_and_unknown_phones(tmp_path):
    found = problems(tmp_path, "actions.csv", (
        "phone,at,do,term,when\n"
        "y1,2023-03-01 00:00:00,renew,1,\n"
        "ghost,2023-03-01 00:00:00,stop,,\n"
        "y1,2023-03-01 00:00:00,change_billing,,\n"
        "y1,2023-03-01 00:00:00,stop,2,now\n"
        "y1,2023-03-01 00:00:00,explode,,\n"),
        extra="phones:\n  - {id: y1, spec: pro-2c4g, billing: monthly, term: 1, "
              "at: 2023-02-01 00:00:00}\n")
    assert found == [
        "actions.csv row 5, column do: must be one of renew, stop, start, enable_auto_renew, "
        "disable_auto_renew, change_billing, unsubscribe, delete",
        "actions.csv row 2, column phone: no phone has this id (in phones: or phones_table)",
        "actions.csv row 4, column term: not used by this row's do",
        "actions.csv row 4, column when: not used by this row's do",
        "actions.csv row 3, column when: required by do: change_billing (now or at_expiry)",
    ]


def test_parquet_types_are_checked_too(tmp_path):
    frame = pd.DataFrame({
        "id": ["a", "b", "c"], "spec": ["pro-2c4g"] * 3, "billing": ["monthly"] * 3,
        "at": pd.to_datetime(["2023-02-08 15:50:04", "2023-02-08 15:50:04.5",
                              "2023-02-09 00:00:00"], format="ISO8601"),
        "term": [1.0, 2.5, None]})
    frame.to_parquet(tmp_path / "fleet.parquet")
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: fleet.parquet\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "fleet.parquet rows 1, 2, column term: must be a whole number, not double",
        "fleet.parquet row 2, column at: times are whole seconds"]
    frame["term"] = pd.array([1, 2, None], dtype="Int64")
    frame["at"] = pd.to_datetime(["2023-02-08 15:50:04", "2023-02-08 15:50:05",
                                  "2023-02-09 00:00:00"])
    frame.to_parquet(tmp_path / "fleet.parquet")
    phones = load_scenario(tmp_path / "s.yaml").phones
    assert [(p.id, p.term, p.at) for p in phones] == [
        ("a", 1, dt.datetime(2023, 2, 8, 15, 50, 4)), ("b", 2, dt.datetime(2023, 2, 8, 15, 50, 5)),
        ("c", None, dt.datetime(2023, 2, 9))]


def test_cli_bad_table_exits_2_and_writes_nothing(tmp_path, workdir):
    (tmp_path / "fleet.csv").write_text("id,spec,billing,at\na,pro-2c4g,monthly,yesterday\n")
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: fleet.csv\n")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "fleet.csv row 1, column at: must be a time" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "results").exists()


def test_workload_columns_give_recommend_its_spec_advice(tmp_path):
    """A tabled phone says its workload as a YAML phone does: office on pro-4c8g is advised
    pro-2c4g; data_security high on an office phone advises the enterprise edition."""
    from sim.whatif.recommend import recommend

    (tmp_path / "fleet.csv").write_text(
        "id,spec,billing,at,term,workload,data_security\n"
        "desk,pro-4c8g,monthly,2023-02-01 00:00:00,1,office,\n"
        "safe,pro-2c4g,monthly,2023-02-01 00:00:00,1,office,high\n"
        "plain,pro-2c4g,monthly,2023-02-01 00:00:00,1,,\n")
    (tmp_path / "s.yaml").write_text(HEAD + "phones_table: fleet.csv\n")
    scenario = load_scenario(tmp_path / "s.yaml")
    assert [(p.workload, p.data_security) for p in scenario.phones] == [
        ("office", None), ("office", "high"), (None, None)]
    w = recommend(scenario).workload.set_index("name")
    assert w.advised_spec.to_dict() == {"desk": "pro-2c4g", "safe": "ent-2c4g"}


def test_a_bad_workload_is_a_row_and_column_error_exit_2(tmp_path):
    found = problems(tmp_path, "fleet.csv", (
        "id,spec,billing,at,term,workload,data_security\n"
        "a,pro-2c4g,monthly,2023-02-08 15:50:04,1,gaming,\n"
        "b,pro-2c4g,monthly,2023-02-08 15:50:04,1,video,low\n"))
    assert found == [
        "fleet.csv row 1, column workload: must be one of office, games, video, testing",
        "fleet.csv row 2, column data_security: must be one of high"]
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "s.yaml"), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "row 1, column workload" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
