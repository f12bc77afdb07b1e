"""Safe outputs: a failed or interrupted run never leaves a half-written results folder;
--out refuses folders that are not koophone-sim results; Ctrl-C exits 130; run --strict."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import sys
import time
import types

import pytest
from click.testing import CliRunner

import sim.result
from sim import load_scenario, simulate
from sim.cli import cli

SCENARIO = """\
name: safe-run
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-03-01 00:00:00
account:
  balance: 100.00
phones:
  - id: office-1
    spec: pro-2c4g
    billing: monthly
    at: 2023-02-08 15:50:04
    actions:
      - {at: 2023-02-09 10:00:00, do: delete}       # a prepaid phone: refused
      - {at: 2023-02-10 10:00:00, do: start}        # it is Running: refused
  - id: dev-1
    spec: basic-2c4g
    billing: pay_per_use
    at: 2023-02-08 08:45:30
    actions:
      - {at: 2023-02-08 08:55:30, do: delete}
"""
CLEAN = SCENARIO.split("    actions:\n", 1)[0] + "  - id: dev-1\n" + SCENARIO.split(
    "  - id: dev-1\n", 1)[1]



@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "safe-run.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _snapshot(folder: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _fail_after_three_files(monkeypatch, exc: BaseException):
    """Make the usage writer fail once ledger and states exist (it runs beside the writer
    of the other tables, in a child process where it can fork)."""
    def broken(path, *args, **kwargs):
        deadline = time.monotonic() + 30
        while not {p.name for p in path.parent.iterdir()} >= {"ledger.csv", "states.csv"}:
            assert time.monotonic() < deadline, "the other tables were never written"
            time.sleep(0.01)
        raise exc
    monkeypatch.setattr(sim.result, "write_usage", broken)


# --- Result.write: all or nothing ---------------------------------------------------------
@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_writer_failing_midway_leaves_no_folder(tmp_path, monkeypatch, exc):
    result = simulate(load_scenario(_write(tmp_path, SCENARIO)))
    _fail_after_three_files(monkeypatch, exc)
    with pytest.raises(type(exc)):
        result.write(tmp_path / "out" / "run")
    # no results, no hidden temp folder or lock, not even the parent folder it made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]


def test_a_writer_failing_midway_keeps_the_previous_results_whole(tmp_path, monkeypatch):
    result = simulate(load_scenario(_write(tmp_path, SCENARIO)))
    out = tmp_path / "out"
    result.write(out)
    before = _snapshot(out)
    _fail_after_three_files(monkeypatch, OSError(5, "I/O error"))
    with pytest.raises(OSError):
        result.write(out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "scenario.yaml"]  # no temp


def _summary(name: str) -> str:
    return json.dumps({"scenario": name, "final_balance": "0", "total_cost": "0",
                       "phones": {}})


def _scenario_in(folder: pathlib.Path) -> str:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))["scenario"]


def _claimed_swap(tmp_path, monkeypatch, fault):
    """Swap a folder holding summary 'new' in for one holding 'old', `fault` at each rename."""
    from sim.atomic import claimed

    old = tmp_path / "out"
    old.mkdir()
    (old / "summary.json").write_text(_summary("old"), encoding="utf-8")
    rename = pathlib.Path.rename

    def faulty(self, target):
        return fault(rename, self, pathlib.Path(target))

    def fill(folder):
        (folder / "summary.json").write_text(_summary("new"), encoding="utf-8")
        monkeypatch.setattr(pathlib.Path, "rename", faulty)

    with claimed(old, {"summary.json"}) as claim:
        claim.fill(fill)


def test_ctrl_c_during_the_swap_is_held_until_the_new_folder_is_in(tmp_path, monkeypatch):
    def rename_then_ctrl_c(rename, source, target):  # SIGINT arrives at every rename
        moved = rename(source, target)
        os.kill(os.getpid(), signal.SIGINT)
        return moved

    with pytest.raises(KeyboardInterrupt):
        _claimed_swap(tmp_path, monkeypatch, rename_then_ctrl_c)
    assert _scenario_in(tmp_path / "out") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_rename_puts_the_previous_results_back(tmp_path, monkeypatch):
    def refuse_new(rename, source, target):
        if target.name == "out" and source.name.startswith(".out.new-"):
            raise OSError(18, "Invalid cross-device link")
        return rename(source, target)

    with pytest.raises(OSError):
        _claimed_swap(tmp_path, monkeypatch, refuse_new)
    assert _scenario_in(tmp_path / "out") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_deferred_delivers_them_after_the_block(signum):
    from sim.atomic import signals_deferred
    from sim.interrupts import Terminated, handle_sigterm

    previous = signal.getsignal(signal.SIGTERM)
    handle_sigterm()
    try:
        done = []
        with pytest.raises(KeyboardInterrupt) as caught:
            with signals_deferred():
                os.kill(os.getpid(), signum)
                done.append("the block finished")
        assert done == ["the block finished"]
        assert isinstance(caught.value, Terminated) == (signum == signal.SIGTERM)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- the command line ----------------------------------------------------------------------
def test_ctrl_c_while_simulating_exits_130_writing_nothing(scenario_file, workdir,
                                                             monkeypatch):
    def interrupted(scenario):
        raise KeyboardInterrupt
    monkeypatch.setitem(sys.modules, "sim.engine",
                        types.SimpleNamespace(simulate=interrupted))
    result = invoke("run", str(scenario_file))
    assert result.exit_code == 130
    assert result.stderr == ("koophone-sim: interrupted; no results folder is left "
                             "half-written\n")
    assert list(workdir.iterdir()) == []


def test_ctrl_c_while_writing_exits_130_keeping_previous_results(scenario_file, workdir,
                                                                   monkeypatch):
    assert invoke("run", str(scenario_file)).exit_code == 0
    out = workdir / "results" / "safe-run"
    before = _snapshot(out)
    _fail_after_three_files(monkeypatch, KeyboardInterrupt())
    result = invoke("run", str(scenario_file))
    assert result.exit_code == 130
    assert len(result.stderr.splitlines()) == 1
    assert _snapshot(out) == before
    assert [p.name for p in (workdir / "results").iterdir()] == ["safe-run"]


@pytest.mark.parametrize("files", [
    {"ledger.csv": "my own ledger"},                      # output names, but not ours
    {"summary.json": '{"total": 3}'},                     # a summary.json, not ours
    {"summary.json": "\u00ff not json"},
    {"notes.txt": "keep me", "summary.json": "{}"},
])
def test_out_refuses_a_folder_that_is_not_koophone_results(scenario_file, tmp_path, workdir,
                                                            files):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    before = _snapshot(folder)
    result = invoke("run", str(scenario_file), "--out", str(folder))
    assert result.exit_code == 2
    assert "Invalid value for --out" in result.stderr
    assert _snapshot(folder) == before


def test_out_accepts_an_empty_folder_and_previous_results(scenario_file, tmp_path, workdir):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert invoke("run", str(scenario_file), "--out", str(folder)).exit_code == 0
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "safe-run"
    assert invoke("run", str(scenario_file), "--out", str(folder)).exit_code == 0


# --- run --strict --------------------------------------------------------------------------
def test_strict_exits_3_after_writing_and_lists_the_refusals(scenario_file, workdir):
    result = invoke("run", str(scenario_file), "--strict")
    assert result.exit_code == 3
    out = workdir / "results" / "safe-run"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["refused_operations"] == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "koophone-sim: --strict: 2 operations refused (time, phone: reason):"
    assert lines[1].startswith("  2023-02-09T10:00:00+08:00 office-1: delete refused: ")
    assert lines[2].startswith("  2023-02-10T10:00:00+08:00 office-1: start refused: ")
    assert len(lines) == 3
    assert "refused operations    2 (office-1 x2)" in result.stdout  # the summary table is still printed


def test_strict_exits_0_without_refusals(tmp_path, workdir):
    path = _write(tmp_path, CLEAN)
    result = invoke("run", str(path), "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_without_strict_refusals_exit_0(scenario_file, workdir):
    assert invoke("run", str(scenario_file)).exit_code == 0


def _write(tmp_path, text: str) -> pathlib.Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_library_write_refuses_a_folder_holding_other_files(tmp_path, monkeypatch):
    """Result.write itself (not only the CLI) never replaces a folder holding other files."""
    from sim import load_scenario, simulate
    from sim.atomic import UnsafeOutputFolder

    scenarios = pathlib.Path(__file__).resolve().parent.parent / "scenarios"
    result = simulate(load_scenario(scenarios / "quickstart.yaml"))
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(UnsafeOutputFolder, match="holds other files"):
        result.write(precious)
    assert (precious / "thesis.tex").read_text() == "years of work"
    monkeypatch.chdir(precious)
    with pytest.raises(UnsafeOutputFolder, match="working folder"):
        result.write(".")
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.tex"]
    written = result.write(tmp_path / "fresh")  # a new folder, then a rewrite, are fine
    assert result.write(written) == written


# --- what a results folder may hold, and where it may be ---------------------------------
def test_a_users_file_inside_an_output_named_folder_is_never_deleted(scenario_file, tmp_path,
                                                                     workdir):
    out = tmp_path / "out"
    assert invoke("run", str(scenario_file), "--out", str(out)).exit_code == 0
    (out / "usage.parquet").mkdir()  # a sub-folder with an output's name, and a user's file
    (out / "usage.parquet" / "mydata.txt").write_text("mine", encoding="utf-8")
    result = invoke("run", str(scenario_file), "--out", str(out))
    assert result.exit_code == 2
    assert "holds other files (usage.parquet/mydata.txt)" in result.stderr
    assert (out / "usage.parquet" / "mydata.txt").read_text(encoding="utf-8") == "mine"


def test_results_folders_follow_the_umask(scenario_file, tmp_path, workdir):
    previous = os.umask(0o027)
    try:
        assert invoke("run", str(scenario_file), "--out", str(tmp_path / "out")).exit_code == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750  # not drwx------
    assert (tmp_path / "out" / "ledger.csv").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("link, says", [("loop", "goes through a symlink loop"),
                                        ("dangling", "which does not exist")])
def test_out_through_a_symlink_loop_or_a_dangling_link_exits_2(scenario_file, tmp_path,
                                                              workdir, link, says):
    out = tmp_path / "out"
    if link == "loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        out.symlink_to(tmp_path / "a")
    else:
        out.symlink_to(tmp_path / "nowhere" / "deep")
    result = invoke("run", str(scenario_file), "--out", str(out / "run"))
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "nowhere").exists()  # a dangling link's target is not created


# --- checksums: a damaged folder is named by every reader --------------------------------
def test_summary_lists_each_outputs_size_and_checksum(scenario_file, tmp_path, workdir):
    import hashlib

    out = tmp_path / "out"
    assert invoke("run", str(scenario_file), "--out", str(out)).exit_code == 0
    files = json.loads((out / "summary.json").read_text(encoding="utf-8"))["files"]
    assert sorted(files) == ["costs.csv", "ledger.csv", "monthly.csv", "notifications.csv",
                             "states.csv", "usage.csv"]
    for name, entry in files.items():
        data = (out / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("damage, says", [
    (lambda out: (out / "usage.csv").write_bytes((out / "usage.csv").read_bytes()[:-7]),
     "usage.csv is {n} bytes, but {m} were written"),
    (lambda out: (out / "ledger.csv").write_bytes(
        (out / "ledger.csv").read_bytes().replace(b"office-1", b"office-9", 1)),
     "ledger.csv does not match the checksum in summary.json"),
    (lambda out: (out / "states.csv").unlink(), "states.csv is missing"),
    (lambda out: (out / "summary.json").write_bytes((out / "summary.json").read_bytes()[:99]),
     "summary.json is not valid JSON"),
])
def test_readers_name_the_damaged_file(scenario_file, tmp_path, workdir, damage, says):
    from sim import DamagedResults, verify_results

    out = tmp_path / "out"
    assert invoke("run", str(scenario_file), "--out", str(out)).exit_code == 0
    m = (out / "usage.csv").stat().st_size
    damage(out)
    says = says.format(n=f"{m - 7:,}", m=f"{m:,}")
    with pytest.raises(DamagedResults, match=says):
        verify_results(out)
    result = invoke("plot", str(out))  # the plot command refuses to draw from it
    assert result.exit_code == 2
    assert says in result.stderr
    assert not (out / "timeline.png").exists()


def test_durable_flushes_every_file_and_both_folders(scenario_file, tmp_path, workdir,
                                                     monkeypatch):
    plain, durable = tmp_path / "plain", tmp_path / "durable"
    assert invoke("run", str(scenario_file), "--out", str(plain)).exit_code == 0
    synced = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(
        f"/proc/self/fd/{fd}")) or fsync(fd))
    assert invoke("run", str(scenario_file), "--out", str(durable), "--durable").exit_code == 0
    names = {pathlib.Path(p).name for p in synced}
    assert {"ledger.csv", "usage.csv", "states.csv", "notifications.csv",
            "summary.json"} <= names
    assert str(tmp_path) in synced  # the folder holding the swapped names
    assert _snapshot(durable) == _snapshot(plain)


def test_a_known_checksum_is_used_only_while_the_files_size_agrees(tmp_path):
    import hashlib

    from sim.manifest import file_entries

    (tmp_path / "usage.csv").write_bytes(b"phone\n")
    real = {"bytes": 6, "sha256": hashlib.sha256(b"phone\n").hexdigest()}
    told = {"bytes": 6, "sha256": "0" * 64}  # hashed while written: taken as it is
    assert file_entries(tmp_path, known={"usage.csv": told})["usage.csv"] == told
    stale = {"bytes": 5, "sha256": "0" * 64}  # the file is not what was hashed: read it
    assert file_entries(tmp_path, known={"usage.csv": stale})["usage.csv"] == real
