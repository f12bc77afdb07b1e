"""The fleet benchmark runs end to end on a small fleet (not timed: output sanity only)."""

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
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_fleet_benchmark_runs_and_agrees_with_the_naive_reference(fmt):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fleet.py"), "--phones", "200",
         "--years", str(1 / 12), "--format", fmt, "--seed", "3"],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    figures = _figures(done.stdout)
    assert figures["phones"] == "200"
    assert figures["output format"] == fmt
    lines = int(figures["bill lines"].replace(",", ""))
    events = int(figures["lifecycle events"].split()[0].replace(",", ""))
    assert 5_000 < lines < 200 * 24 * 31
    assert 200 <= events
    assert float(figures["wall s"].split()[0]) > 0
    assert float(figures["peak memory MB"]) > 10
    assert int(figures["bill lines / s"].replace(",", "")) > 0
    assert figures["naive lines and usage equal ours"] == "yes"
    assert float(figures["ours / naive"]) > 0
