"""Real faults on a real `koophone-sim run` process: kill -9, SIGTERM and Ctrl-C at chosen
points (KOOPHONE_PAUSE_AT makes the process wait there), two processes racing for one
folder. Each leaves the previous results or the new ones, whole, and nothing hidden."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.atomic import claimed
from sim.cli import cli
from sim.result import KNOWN_FILES

SCENARIO = """\
name: {name}
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-03-01 00:00:00
account:
  balance: 100.00
phones:
  - id: dev-1
    spec: basic-2c4g
    billing: pay_per_use
    at: 2023-02-08 08:45:30
"""


@pytest.fixture
def place(tmp_path):
    """A folder with two scenarios, 'first' and 'second', and no results yet."""
    for name in ("first", "second"):
        (tmp_path / f"{name}.yaml").write_text(SCENARIO.format(name=name), encoding="utf-8")
    return tmp_path


def _foreground_signals() -> None:
    """Start the child as a foreground command would: SIGINT at its default. A test run
    launched in the background by a non-interactive shell inherits SIGINT ignored, and a
    Python started that way never raises KeyboardInterrupt (the Ctrl-C under test)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """`python -m sim run SCENARIO --out out` in `place`, optionally paused at a point."""

    def __init__(self, place: Path, scenario: str, pause: str | None = None):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("KOOPHONE_PAUSE_AT", None)
        if pause:
            env["KOOPHONE_PAUSE_AT"] = pause
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "run", f"{scenario}.yaml", "--out", "out"],
            cwd=place, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_foreground_signals)
        self.err: list[str] = []

    def wait_paused(self, point: str) -> None:
        for line in self.proc.stderr:  # ends at EOF if the process never gets there
            if line.strip() == f"paused at {point}":
                return
            self.err.append(line)
        raise AssertionError(f"never paused at {point}: {''.join(self.err)}")

    def finish(self, timeout: float = 60) -> tuple[int, list[str]]:
        _, rest = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, self.err + rest.splitlines(keepends=True)

    def signal(self, signum: int, resume: bool = False) -> tuple[int, list[str]]:
        self.proc.send_signal(signum)
        if resume:  # a point where signals are held back: let it go on after the signal
            time.sleep(0.2)
            self.proc.send_signal(signal.SIGUSR1)
        return self.finish()


def run(place: Path, scenario: str) -> tuple[int, list[str]]:
    """The same command in this process (faster): for runs that are not the one faulted."""
    result = CliRunner().invoke(cli, ["run", str(place / f"{scenario}.yaml"),
                                      "--out", str(place / "out")])
    return result.exit_code, result.stderr.splitlines(keepends=True)


def scenario_in(folder: Path) -> str:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))["scenario"]


def hidden(place: Path) -> list[str]:
    return sorted(p.name for p in place.iterdir() if p.name.startswith("."))


def test_kill_9_while_writing_leaves_a_folder_the_next_run_removes(place):
    assert run(place, "first")[0] == 0
    killed = Run(place, "second", pause="written")
    killed.wait_paused("written")
    code, _ = killed.signal(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert scenario_in(place / "out") == "first"  # the previous results, whole
    assert f".out.part-{killed.proc.pid}" in hidden(place)
    code, err = run(place, "second")
    assert code == 0
    assert [line for line in err if "stopped" in line] == [
        f"koophone-sim: process {killed.proc.pid} was stopped while writing out: removed "
        f"its unfinished folder ({err[0].split('(')[-1]}"]
    assert len(err) == 1
    assert scenario_in(place / "out") == "second"
    assert hidden(place) == []


def test_sigterm_while_writing_is_handled_as_ctrl_c(place):
    assert run(place, "first")[0] == 0
    stopped = Run(place, "second", pause="written")
    stopped.wait_paused("written")
    assert stopped.signal(signal.SIGTERM) == (
        143, ["koophone-sim: terminated; no results folder is left half-written\n"])
    assert scenario_in(place / "out") == "first"
    assert hidden(place) == []


def test_kill_9_between_the_renames_is_finished_by_the_next_writer(place):
    assert run(place, "first")[0] == 0
    killed = Run(place, "second", pause="swap")
    killed.wait_paused("swap")
    killed.signal(signal.SIGKILL)
    pid = killed.proc.pid
    assert not (place / "out").exists()  # the state the old swap could not recover from
    assert hidden(place) == sorted([f".out.new-{pid}", f".out.old-{pid}", ".out.lock"])
    with claimed(place / "out", KNOWN_FILES) as claim:  # what any next writer does first
        assert claim.recovered == [f"process {pid} was stopped while writing out: "
                                   "finished its swap"]
    assert scenario_in(place / "out") == "second"  # committed: rolled forward, not lost
    assert hidden(place) == []


def test_ctrl_c_while_the_old_folder_is_deleted_exits_130_without_leftovers(place):
    assert run(place, "first")[0] == 0
    stopped = Run(place, "second", pause="deleting")
    stopped.wait_paused("deleting")
    code, err = stopped.signal(signal.SIGINT, resume=True)
    assert (code, err) == (130, ["koophone-sim: interrupted; no results folder is left "
                                 "half-written\n"])
    assert scenario_in(place / "out") == "second"
    assert hidden(place) == []


@pytest.mark.parametrize("point", ["imports", "exiting"])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(place, point):
    stopped = Run(place, "first", pause=point)
    stopped.wait_paused(point)
    code, err = stopped.signal(signal.SIGINT)
    assert (code, err) == (130, ["koophone-sim: interrupted; no results folder is left "
                                 "half-written\n"])
    assert hidden(place) == []
    assert sorted(p.name for p in place.iterdir()) == (
        ["first.yaml", "out", "second.yaml"] if point == "exiting" else
        ["first.yaml", "second.yaml"])


def test_a_second_run_on_the_same_folder_exits_2_naming_the_first(place):
    first = Run(place, "first", pause="simulating")
    first.wait_paused("simulating")  # it holds the folder's lock
    code, err = run(place, "second")
    assert code == 2
    assert f"out is in use by process {first.proc.pid}" in "".join(err)
    first.proc.send_signal(signal.SIGUSR1)
    assert first.finish()[0] == 0
    assert scenario_in(place / "out") == "first"
    assert hidden(place) == []
