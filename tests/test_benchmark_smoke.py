"""The fleet benchmark runs the real command on a small fleet, from YAML and from tables
(not timed: output sanity only)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _figures(text: str) -> dict[str, str]:
    return dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text.splitlines())


@pytest.mark.benchmark
@pytest.mark.parametrize("fmt,source", [("csv", "yaml"), ("parquet", "table")])
def test_fleet_benchmark_runs_and_agrees_with_the_naive_reference(fmt, source):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fleet.py"), "--phones", "200",
         "--years", str(1 / 12), "--format", fmt, "--input", source, "--seed", "3"],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    figures = _figures(done.stdout)
    assert figures["phones"] == "200"
    assert figures["output format"] == fmt
    assert figures["input"].split()[0] == source
    lines = int(figures["bill lines"].replace(",", ""))
    events = int(figures["lifecycle events"].split()[0].replace(",", ""))
    assert 5_000 < lines < 200 * 24 * 31
    assert 200 <= events
    assert float(figures["wall s"].split()[0]) > 0
    assert float(figures["peak memory MB"]) > 10  # the command's own process
    user, sys_s = re.findall(r"[0-9.]+", figures["cpu s"])
    assert float(user) > 0 and float(sys_s) >= 0
    assert int(figures["bill lines / s"].replace(",", "")) > 0
    assert figures["naive lines and usage equal ours"] == "yes"
    assert float(figures["ours / naive"].split()[0]) > 0
