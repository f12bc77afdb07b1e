"""sim.forked: a call run in a child process, its result, progress and failures sent back;
the child dies with the parent. Result.write writes the same files with or without it."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import forked

pytestmark = pytest.mark.skipif(not forked.available(), reason="forking is Linux-only here")


def _add(a, b, *, progress):
    for n in (3, 4):
        progress(n)
    return {"sum": a + b, "pid": os.getpid()}


def _fail(exc, *, progress):
    progress(1)
    raise exc


def _sleep(seconds, *, progress):
    time.sleep(seconds)


def test_the_result_and_the_progress_come_back_from_another_process():
    heard: list[int] = []
    out = forked.Forked(_add, 2, 3).result(heard.append)
    assert out["sum"] == 5 and out["pid"] != os.getpid()
    assert heard == [3, 4]


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"),
                                 KeyboardInterrupt(), ValueError("bad block")])
def test_a_failure_in_the_child_is_raised_here_as_it_was(exc):
    with pytest.raises(type(exc)) as raised:
        forked.Forked(_fail, exc).result()
    assert raised.value.args == exc.args  # errno and message kept (no space: exit 1's line)


def test_a_child_killed_from_outside_is_an_error_not_a_hang():
    side = forked.Forked(_sleep, 60)
    os.kill(side.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="died"):
        side.result()


def test_cancel_kills_the_child_and_reaps_it():
    side = forked.Forked(_sleep, 60)
    side.cancel()
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(side.pid, os.WNOHANG)


_PARENT = """
import sys, time
from sim import forked
def sleep(seconds, *, progress):
    time.sleep(seconds)
side = forked.Forked(sleep, 60)
print(side.pid, flush=True)
time.sleep(60)
"""


def test_the_child_dies_when_its_parent_is_killed_with_kill_9():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parent.parent)
    try:
        child = int(parent.stdout.readline())
        parent.kill()  # SIGKILL: no handler of the parent runs
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(child):
            assert time.monotonic() < deadline, f"child {child} outlived its parent"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"  # a zombie is dead, awaiting init
    except FileNotFoundError:
        return False


def test_run_writes_the_same_files_without_forking(tmp_path, monkeypatch):
    from sim import load_scenario, simulate

    scenario = Path(__file__).parent.parent / "scenarios" / "quickstart.yaml"
    result = simulate(load_scenario(scenario))
    for fmt in ("csv", "parquet"):
        result.write(tmp_path / f"forked-{fmt}", format=fmt)
        with monkeypatch.context() as m:
            m.setattr(forked, "available", lambda: False)
            result.write(tmp_path / f"plain-{fmt}", format=fmt)
        a, b = tmp_path / f"forked-{fmt}", tmp_path / f"plain-{fmt}"
        assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
        for f in a.iterdir():
            assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_only_a_usage_table_up_to_fork_lines_goes_to_a_child(tmp_path, monkeypatch):
    import sim.result
    from sim import load_scenario, simulate

    scenario = Path(__file__).parent.parent / "scenarios" / "quickstart.yaml"
    result = simulate(load_scenario(scenario))
    lines = len(result.usage_lines)
    assert lines > 0
    started: list[int] = []
    real = forked.Forked

    def spy(*args):
        started.append(1)
        return real(*args)
    monkeypatch.setattr(forked, "Forked", spy)
    monkeypatch.setattr(sim.result, "FORK_LINES", lines)
    result.write(tmp_path / "small")
    assert started == [1]
    monkeypatch.setattr(sim.result, "FORK_LINES", lines - 1)  # too big: written in-process
    result.write(tmp_path / "big")
    assert started == [1]
    assert (tmp_path / "big" / "usage.csv").read_bytes() == (
        tmp_path / "small" / "usage.csv").read_bytes()
