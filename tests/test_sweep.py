"""Sweeps: override paths, the sweep file door, determinism across backends (local pool,
one process, a real Dask LocalCluster), failing variants, the three output files, the CLI."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from sim import ScenarioError, sweep
from sim.cli import cli
from sim.whatif.sweep import load_sweep
from sim.whatif.sweep.paths import PathError, apply
from sim.whatif.sweep.table import _percentile

CONTRACT = ["variant", "replication", "seed"]
OUTPUTS = ["total_cost_cash", "total_cost_accrued", "final_balance", "unusable_hours",
           "refused_operations"]

BASE = {
    "name": "tiny-fleet",
    "description": "two explicit phones and a random group, ten days",
    "start": "2024-03-01 00:00:00",
    "end": "2024-03-11 00:00:00",
    "seed": 11,
    "account": {"balance": "100.00"},
    "phones": [
        {"id": "desk-1", "group": "desks", "spec": "pro-2c4g", "billing": "monthly",
         "term": 1, "at": "2024-03-01 09:00:00", "auto_renew": {},
         "actions": [{"at": "2024-03-08 09:00:00", "do": "unsubscribe"}]},
        {"id": "test-1", "group": "testers", "spec": "basic-4c8g", "billing": "pay_per_use",
         "at": "2024-03-02 09:00:00",
         "actions": [{"at": "2024-03-02 20:00:00", "do": "stop"},
                     {"at": "2024-03-05 18:00:00", "do": "delete"}]},
    ],
    "generate": [{"name": "session", "spec": "basic-4c8g", "billing": "pay_per_use",
                  "rate": 3, "lifetime": {"dist": "exponential", "mean_hours": 4}}],
}


def write_sweep(folder, grid, scenario=BASE, **keys) -> str:
    (folder / "base.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    data = {"base": "base.yaml", "grid": grid, **keys}
    (folder / "sweep.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return str(folder / "sweep.yaml")


GRID = {"account.balance": ["20.00", "500.00"],
        "generate[name=session].billing": ["pay_per_use", {"monthly": 1, "pay_per_use": 1}]}


# --- paths --------------------------------------------------------------------------------
def test_paths_set_nested_keys_creating_missing_mappings():
    data = copy.deepcopy(BASE)
    apply(data, "policy.grace_days", 0)
    apply(data, "phones[*].quantity", 2)
    apply(data, "phones[id=test-1].provisioning", 60)
    apply(data, "generate[0].rate", 5)
    assert data["policy"] == {"grace_days": 0}
    assert [p["quantity"] for p in data["phones"]] == [2, 2]
    assert data["phones"][1]["provisioning"] == 60 and data["generate"][0]["rate"] == 5


@pytest.mark.parametrize("path, message", [
    ("phones[5].billing", "phones has 2 items; there is no [5]"),
    ("phones[group=nobody].billing", "phones[group=nobody] matches no item"),
    ("account.balance.x", "account.balance is not a mapping of keys"),
    ("account[0]", "account is not a list"),
    ("phones[x].billing", "[x] is not a selector: use [0], [*] or [field=value]"),
    ("phones..billing", "expected a key at character 8"),
])
def test_bad_paths_say_what_is_wrong(path, message):
    with pytest.raises(PathError, match=re.escape(message)):
        apply(copy.deepcopy(BASE), path, 1)


def test_setting_billing_switches_a_phone_to_the_other_family_for_the_same_usage():
    data = copy.deepcopy(BASE)
    apply(data, "phones[group=desks].billing", "pay_per_use")
    apply(data, "phones[group=testers].billing", "monthly")
    desk, tester = data["phones"]
    assert "term" not in desk and "auto_renew" not in desk
    assert desk["actions"] == [{"at": "2024-03-08 09:00:00", "do": "delete"}]
    assert tester["auto_renew"] == {}  # renewed so that it lasts as before
    assert [a["do"] for a in tester["actions"]] == ["stop", "unsubscribe"]


# --- the sweep file door ------------------------------------------------------------------
@pytest.mark.parametrize("keys, grid, problem", [
    ({"replications": 0}, GRID, "replications: must be >= 1"),
    ({"colour": "red"}, GRID, "colour: unknown key 'colour'"),
    ({}, {"account.balance": "100"}, 'grid["account.balance"]: must be a non-empty list'),
    ({}, {"account.balance": []}, 'grid["account.balance"]: must be a non-empty list'),
    ({}, {"phones[9].billing": ["monthly"]},
     'grid["phones[9].billing"]: phones has 2 items; there is no [9] in the base scenario'),
    ({}, {"phones[".replace("[", "[["): [1]}, 'grid["phones[["]: unexpected'),
    ({"base": "missing.yaml"}, GRID, "base: no scenario file 'missing.yaml'"),
])
def test_bad_sweep_files_are_reported_with_paths(tmp_path, keys, grid, problem):
    path = write_sweep(tmp_path, grid, **keys)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert any(str(p).startswith(problem) for p in caught.value.problems), caught.value
    assert caught.value.file == path


def test_an_invalid_base_is_reported_against_the_base_file(tmp_path):
    path = write_sweep(tmp_path, GRID, scenario=dict(BASE, start="soon"))
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert caught.value.file == str(tmp_path / "base.yaml")
    assert [p.path for p in caught.value.problems] == ["start"]


# --- running ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    return write_sweep(tmp_path_factory.mktemp("sweep"), GRID, replications=3)


@pytest.fixture(scope="module")
def pooled(spec_path):
    return sweep(spec_path, workers=2, progress=False)


def test_table_has_one_row_per_variant_and_replication_in_order(pooled):
    table = pooled.table
    assert list(table.columns[:5]) == [*CONTRACT, *GRID]
    assert list(table.columns[5:10]) == OUTPUTS
    assert list(zip(table.variant, table.replication)) == [(v, r) for v in range(4)
                                                           for r in range(3)]
    assert set(table.seed) == {11} and table.error.isna().all()
    assert table["account.balance"].tolist()[::3] == ["20.00", "20.00", "500.00", "500.00"]
    assert table["generate[name=session].billing"].tolist()[3] == \
        "{monthly: 1, pay_per_use: 1}"
    assert all(isinstance(v, Decimal) for v in table.total_cost_cash)


def test_replications_draw_different_fleets_and_variants_share_them(pooled):
    table = pooled.table
    counts = table.phone_count.tolist()
    assert len(set(counts[:3])) > 1  # replications differ
    assert counts[:3] == counts[3:6] == counts[6:9]  # common random numbers across variants


def test_same_seed_same_table_whatever_runs_it(spec_path, pooled):
    from distributed import Client, LocalCluster

    inline = sweep(spec_path, workers=1, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = sweep(spec_path, dask=client, progress=False)
    pd.testing.assert_frame_equal(inline.table, pooled.table)
    pd.testing.assert_frame_equal(on_dask.table, pooled.table)
    pd.testing.assert_frame_equal(on_dask.summary, pooled.summary)


def test_dask_local_starts_and_closes_its_own_cluster(spec_path, pooled):
    result = sweep(spec_path, dask="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(result.table, pooled.table)


def test_sweep_seed_and_a_swept_seed_set_the_seed_column(tmp_path):
    path = write_sweep(tmp_path, {"seed": [1, 2]}, seed=5, replications=2)
    table = sweep(path, workers=1, progress=False).table
    assert table.seed.tolist() == [1, 1, 2, 2] and "seed" == table.columns[2]
    other = sweep(write_sweep(tmp_path, {"account.balance": ["1.00"]}, seed=5), workers=1,
                  progress=False).table
    assert other.seed.tolist() == [5]


def test_a_failing_variant_is_reported_and_the_others_finish(tmp_path):
    path = write_sweep(tmp_path, {"phones[0].quantity": [1, 0, 2]}, replications=2)
    result = sweep(path, workers=2, progress=False)
    table = result.table
    failed = table[table.error.notna()]
    assert failed.variant.tolist() == [1, 1]
    assert failed.error.iloc[0] == "phones[0].quantity: must be >= 1"
    assert failed.total_cost_cash.isna().all()
    assert table[table.variant != 1].error.isna().all()
    assert result.summary.failed.tolist() == [0, 2, 0]
    assert result.summary.replications.tolist() == [2, 0, 2]


def test_summary_has_mean_and_percentiles_of_every_output(pooled):
    summary = pooled.summary
    assert len(summary) == 4
    for column in [*OUTPUTS, "phone_count"]:
        for stat in ("mean", "p5", "p50", "p95"):
            assert f"{column}_{stat}" in summary.columns
    rows = pooled.table[pooled.table.variant == 0]
    costs = sorted(rows.total_cost_cash)
    assert summary.total_cost_cash_p50[0] == costs[1]
    assert summary.total_cost_cash_mean[0] == (sum(costs) / 3).quantize(Decimal("1e-8"))


def test_decimal_percentiles_match_numpy_linear():
    values = sorted(Decimal(v) for v in ["1.10", "2.35", "7.00", "7.01", "12.99", "40.00"])
    for q in ("0.05", "0.5", "0.95"):
        assert float(_percentile(values, Decimal(q))) == pytest.approx(
            np.percentile([float(v) for v in values], float(q) * 100))


# --- the command line ---------------------------------------------------------------------
def test_cli_writes_the_three_files_with_exact_columns(tmp_path):
    path = write_sweep(tmp_path, {"account.balance": ["10.00", "250.00"],
                                  "phones[0].term": [1, 0]}, replications=2)
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, ["sweep", path, "--workers", "2", "--out", str(out),
                                   "--no-progress"])
    assert run.exit_code == 0, run.output
    assert "4 variants x 2 replications = 8 runs" in run.stdout
    assert "variant 1 failed [account.balance=10.00, phones[0].term=0]: " \
           "phones[0].term: must be >= 1" in run.stderr
    header = (out / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header == [*CONTRACT, "account.balance", "phones[0].term", *OUTPUTS,
                      "phone_count", "failed_renewals", "flagged", "error"]
    table = pd.read_csv(out / "sweep.csv", dtype=str, keep_default_na=False)
    assert len(table) == 8 and (table.error != "").sum() == 4
    ok = table[table.error == ""]
    assert all(Decimal(v) == Decimal(v).quantize(Decimal("1e-8")) for v in ok.total_cost_cash)
    assert not any("e" in v.lower() for v in ok.total_cost_accrued)  # never an exponent
    parquet = pq.read_table(out / "sweep.parquet")
    assert parquet.column_names == header
    assert str(parquet.schema.field("total_cost_cash").type) == "decimal128(38, 8)"
    assert [Decimal(v) for v in ok.final_balance] == [
        v for v, e in zip(parquet.column("final_balance").to_pylist(),
                          parquet.column("error").to_pylist()) if e is None]
    summary = (out / "sweep-summary.csv").read_text().splitlines()[0].split(",")
    assert summary[:7] == ["variant", "seed", "account.balance", "phones[0].term",
                           "replications", "failed", "error"]
    assert "total_cost_cash_p95" in summary


def test_cli_bad_sweep_file_exits_2_with_paths_and_writes_nothing(tmp_path):
    path = write_sweep(tmp_path, {"phones[7].billing": ["monthly"]}, replications=-1)
    run = CliRunner().invoke(cli, ["sweep", path, "--out", str(tmp_path / "out")])
    assert run.exit_code == 2
    assert run.stderr.splitlines() == [
        f"{path}: invalid sweep (1 problem)",
        "replications: must be >= 1",
    ]
    path = write_sweep(tmp_path, {"phones[7].billing": ["monthly"]})
    run = CliRunner().invoke(cli, ["sweep", path, "--out", str(tmp_path / "out")])
    assert run.exit_code == 2
    assert 'grid["phones[7].billing"]: phones has 2 items' in run.stderr
    assert not (tmp_path / "out").exists()


def test_cli_interrupt_exits_130_with_a_short_message(tmp_path, monkeypatch):
    import sim.whatif.sweep as sweep_module

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "sweep", interrupted)
    path = write_sweep(tmp_path, GRID)
    run = CliRunner().invoke(cli, ["sweep", path, "--out", str(tmp_path / "out")])
    assert run.exit_code == 130
    assert run.stderr.strip() == "sweep: interrupted; stopped the workers, nothing written"
    assert not (tmp_path / "out").exists()
