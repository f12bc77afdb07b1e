"""The what-if commands: compare, breakeven, recommend (CliRunner, files in tmp_path)."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from sim.cli import cli

SCENARIO = """\
name: what-if
start: 2023-04-01 00:00:00
end: 2023-06-01 00:00:00
account:
  balance: 1000.00
phones:
  - id: long
    spec: pro-2c4g
    billing: pay_per_use
    at: 2023-04-01 00:00:00
    actions:
      - {at: 2023-05-01 00:00:00, do: delete}
  - id: short
    spec: pro-2c4g
    billing: pay_per_use
    at: 2023-04-01 00:00:00
    actions:
      - {at: 2023-04-01 10:00:00, do: delete}
"""



@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "what-if.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def read(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_compare_writes_compare_csv_and_prints_the_table(scenario_file, workdir):
    result = invoke("compare", str(scenario_file))
    assert result.exit_code == 0, result.output
    out = workdir / "results" / "what-if-compare"
    rows = read(out / "compare.csv")
    assert rows[0][:7] == ["phone", "mode", "cost_cash", "cost_accrued", "unusable_hours",
                           "refused_operations", "final_state"]
    assert len(rows) == 1 + 2 * 3 + 3
    assert (out / "compare-best.csv").is_file()
    lines = result.stdout.splitlines()
    assert lines[0].startswith("compare: what-if (USD)")
    long_row = next(line.split() for line in lines if line.startswith("long "))
    # written 72.00; monthly 45.00; yearly 37.73 (cheapest); pay-per-use 72.00
    assert long_row == ["long", "pay_per_use", "72.00", "45.00", "37.73*", "72.00", "yearly"]
    assert any(line.startswith("Best mix") for line in lines)


def test_compare_modes_and_out(scenario_file, tmp_path, workdir):
    out = tmp_path / "cmp"
    result = invoke("compare", str(scenario_file), "--modes", "monthly,pay_per_use",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    modes = {r[1] for r in read(out / "compare.csv")[1:]}
    assert modes == {"monthly", "pay_per_use"}
    assert not (workdir / "results").exists()


def test_compare_rejects_an_unknown_mode(scenario_file, workdir):
    result = invoke("compare", str(scenario_file), "--modes", "monthly,weekly")
    assert result.exit_code == 2
    assert "unknown billing mode 'weekly'" in result.stderr
    assert list(workdir.iterdir()) == []


def test_compare_invalid_scenario_exits_2_and_writes_nothing(tmp_path, workdir):
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace("spec: pro-2c4g", "spec: nope", 1), encoding="utf-8")
    result = invoke("compare", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1].startswith("phones[0].spec: unknown spec 'nope'")
    assert list(workdir.iterdir()) == []


def test_breakeven_default_catalog_one_spec(tmp_path, workdir):
    result = invoke("breakeven", "--spec", "pro-2c4g", "--out", str(tmp_path / "be"))
    assert result.exit_code == 0, result.output
    assert read(tmp_path / "be" / "breakeven.csv")[1] == [
        "pro-2c4g", "45.00", "459.00", "0.10", "450.00", "382.50", "10.20"]
    assert len(read(tmp_path / "be" / "breakeven-curves.csv")) == 1 + 745 * 3
    row = next(line.split() for line in result.stdout.splitlines()
               if line.startswith("pro-2c4g"))
    assert row == ["pro-2c4g", "45.00", "459.00", "0.10", "450.00", "h/month", "382.50",
                   "h/month", "10.20", "months"]


def test_breakeven_default_out_and_catalog_file(tmp_path, workdir):
    catalog = tmp_path / "prices.yaml"
    catalog.write_text("currency: EUR\nspecs:\n  - {id: s1, edition: basic, vcpus: 2, "
                       "memory_gb: 4, storage_gb: 16, monthly: 20.00, yearly: 200.00, "
                       "hourly: 0.05}\n", encoding="utf-8")
    result = invoke("breakeven", "--catalog", str(catalog))
    assert result.exit_code == 0, result.output
    rows = read(workdir / "results" / "breakeven" / "breakeven.csv")
    assert rows[1:] == [["s1", "20.00", "200.00", "0.05", "400.00", "333.33", "10.00"]]
    assert "(EUR, list prices)" in result.stdout


def test_breakeven_bad_catalog_or_spec_exits_2(tmp_path, workdir):
    catalog = tmp_path / "prices.yaml"
    catalog.write_text("specs: []\n", encoding="utf-8")
    result = invoke("breakeven", "--catalog", str(catalog))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{catalog}: invalid catalog (1 problem)")
    result = invoke("breakeven", "--spec", "nope")
    assert result.exit_code == 2
    assert "unknown spec 'nope'" in result.stderr
    assert list(workdir.iterdir()) == []


def test_recommend_writes_both_files_and_prints_a_summary(scenario_file, workdir):
    result = invoke("recommend", str(scenario_file))
    assert result.exit_code == 0, result.output
    out = workdir / "results" / "what-if-recommend"
    assert read(out / "recommend.csv")[0][:2] == ["level", "name"]
    assert read(out / "base-load.csv")[0][:2] == ["spec", "k"]
    text = result.stdout
    assert "Per phone (best mode simulated" in text and "Commitment per spec (ESTIMATE" in text
    assert (out / "commitment.csv").is_file()
    assert text.splitlines()[-1].startswith("outputs: ")
