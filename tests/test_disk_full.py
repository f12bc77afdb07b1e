"""A real full disk (a tiny tmpfs): figures and tables are swapped in whole or not at all, a
full disk is named as such, and a run too large for the free space is refused up front."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim.cli.run
from sim import load_scenario, simulate
from sim.cli import cli

QUICKSTART = Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml"
FLEET = """\
name: many
start: 2023-01-01 00:00:00
end: 2024-01-01 00:00:00
account: {balance: 100000.00}
phones:
"""


@pytest.fixture
def tiny_disk(tmpfs):
    """A 128 KB tmpfs: room for a small run's tables, not for its figures."""
    return tmpfs("128k")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _fleet(tmp_path, phones: int):
    path = tmp_path / f"many-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(FLEET + "".join(
        f"  - {{id: p{i}, spec: basic-2c4g, billing: pay_per_use, at: 2023-01-01 00:00:00}}\n"
        for i in range(phones)), encoding="utf-8")
    return path


def test_run_plot_on_a_full_disk_exits_1_leaving_nothing(tiny_disk, workdir):
    result = invoke("run", str(QUICKSTART), "--out", str(tiny_disk / "out"), "--plot")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"koophone-sim: no space left on {tiny_disk} ")
    assert "internal error" not in result.stderr
    assert list(tiny_disk.iterdir()) == []  # no folder, no cut figure, nothing hidden


def test_a_run_larger_than_the_free_space_is_refused_before_simulating(tiny_disk, tmp_path,
                                                                       workdir):
    scenario = _fleet(tmp_path, 50)
    result = invoke("run", str(scenario), "--out", str(tiny_disk / "out"))
    assert result.exit_code == 2
    assert "koophone-sim: the outputs would take about 438,050 bill lines" in result.stderr
    assert "free on" in result.stderr and "(--force writes anyway)" in result.stderr
    assert list(tiny_disk.iterdir()) == []
    forced = invoke("run", str(scenario), "--out", str(tiny_disk / "out"), "--force")
    assert forced.exit_code == 1  # it tried, and the disk filled up: named, nothing left
    assert forced.stderr.splitlines()[-1].startswith(
        f"koophone-sim: no space left on {tiny_disk} ")
    assert list(tiny_disk.iterdir()) == []


def test_a_large_run_prints_its_estimate_and_a_progress_bar(tmp_path, workdir, monkeypatch):
    monkeypatch.setattr(sim.cli.run, "PROGRESS_ABOVE_BYTES", 0)
    result = invoke("run", str(_fleet(tmp_path, 3)), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("koophone-sim: this run writes about 26,283 bill lines, ")
    assert lines[1].startswith("writing bill lines")


@pytest.mark.parametrize("phones", [1, 7])
def test_the_estimate_is_an_upper_bound_close_to_the_run(tmp_path, phones):
    from sim.estimate import estimate_output

    scenario = load_scenario(_fleet(tmp_path, phones))
    estimate = estimate_output(scenario)
    result = simulate(scenario)
    folder = result.write(tmp_path / "out")
    lines = len(result.usage_lines)
    assert lines <= estimate.lines <= lines + 2 * phones  # partial first and last hours
    written = sum(p.stat().st_size for p in folder.iterdir())
    assert written <= estimate.bytes <= 1.2 * written + 10_000
