"""`koophone-sim run` as a whole process: what it imports, and the collector it leaves off."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sim.cli import cli

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = str(ROOT / "scenarios" / "quickstart.yaml")


def _modules_after(*argv: str) -> set[str]:
    """Top-level modules loaded by the command, listed by the same interpreter at its exit."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print(' '.join(sorted({m.split('.')[0] "
            "for m in sys.modules})), file=sys.stderr))\n"
            "from sim.cli import main\n"
            f"main({list(argv)!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def test_a_csv_run_loads_neither_pandas_nor_matplotlib(tmp_path):
    loaded = _modules_after("run", QUICKSTART, "--out", str(tmp_path / "out"))
    assert {"sim", "simpy", "numpy", "pydantic", "yaml"} <= loaded
    assert not loaded & {"pandas", "matplotlib", "dask"}


def test_the_console_entry_leaves_the_collector_off_for_run_only(tmp_path):
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('collector', gc.isenabled(), file=sys.stderr))\n"
            "from sim.cli import main\n"
            f"main(['run', {QUICKSTART!r}, '--out', {str(tmp_path / 'a')!r}])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "collector False" in done.stderr  # the process ends with the command
    # Embedded (a test runner, a notebook): the collector is the caller's and stays on.
    assert gc.isenabled()
    ran = CliRunner().invoke(cli, ["run", QUICKSTART, "--out", str(tmp_path / "b")])
    assert ran.exit_code == 0, ran.output
    assert gc.isenabled()
    assert (tmp_path / "a" / "usage.csv").read_bytes() == \
        (tmp_path / "b" / "usage.csv").read_bytes()
