"""Sweeps under real faults: worker processes killed, the sweep's own process killed,
hostile sweep files and bases, a base read once. Each fault is caused for real (kill -9 of
a live process found in /proc, a file that is gone) in a `koophone-sim sweep` subprocess.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import sweep
from sim.cli import cli
from sim.whatif.sweep import load_sweep
from sim.whatif.sweep.runner import MAX_POOLS
from tests.profiles import examples

# Variants of ~0.3-0.6 s each: long enough to kill a worker while they run.
BUSY = {
    "name": "busy",
    "start": "2024-01-01 00:00:00",
    "end": "2024-03-01 00:00:00",
    "seed": 3,
    "account": {"balance": "100000.00"},
    "generate": [{"name": "s", "spec": "basic-4c8g", "billing": "pay_per_use", "rate": 30,
                  "lifetime": {"dist": "exponential", "mean_hours": 30}}],
}
VARIANTS = 12
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds worker processes through /proc (Linux)")


def write(folder: Path, sweep_text: str, base: dict | str = BUSY) -> Path:
    text = base if isinstance(base, str) else yaml.safe_dump(base, sort_keys=False)
    (folder / "base.yaml").write_text(text)
    (folder / "sweep.yaml").write_text(sweep_text)
    return folder / "sweep.yaml"


def busy_sweep(folder: Path) -> Path:
    values = ", ".join(str(v) for v in range(1, VARIANTS + 1))
    return write(folder, f"base: base.yaml\ngrid:\n  account.balance: [{values}]\n")


def start(folder: Path, *args: str, memory: int | None = None) -> subprocess.Popen:
    def limits():
        if memory is not None:  # a memory blow-up fails fast instead of swapping the host
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return subprocess.Popen([sys.executable, "-m", "sim", "sweep", *args, "--no-progress"],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=limits)


def workers_of(pid: int) -> list[int]:
    """Live children of `pid` running the same program: its pool's forked workers."""
    found = []
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            if parent == pid and state != "Z" and (entry / "cmdline").read_bytes() == command:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return found


def wait_for_workers(pid: int, count: int = 1, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = workers_of(pid)
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no pool workers under process {pid} after {timeout} s")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- item 10: a worker killed -----------------------------------------------------------
@linux_only
def test_a_killed_worker_loses_no_variant(tmp_path):
    busy_sweep(tmp_path)
    sweep_process = start(tmp_path, "sweep.yaml", "--workers", "2", "--out", "out")
    victim = wait_for_workers(sweep_process.pid, 2)[0]
    os.kill(victim, signal.SIGKILL)
    out, err = sweep_process.communicate(timeout=120)
    assert sweep_process.returncode == 0, err
    table = pd.read_csv(tmp_path / "out" / "sweep.csv", dtype=str, keep_default_na=False)
    assert table.variant.tolist() == [str(v) for v in range(VARIANTS)]
    assert (table.error == "").all(), table.error.tolist()
    assert "0 failed" in out


@linux_only
def test_a_sweep_whose_workers_keep_dying_exits_non_zero(tmp_path):
    busy_sweep(tmp_path)
    sweep_process = start(tmp_path, "sweep.yaml", "--workers", "2", "--out", "out")
    killed = set()
    while sweep_process.poll() is None:  # every worker of every fresh pool, as it appears
        for pid in workers_of(sweep_process.pid):
            if pid not in killed:
                with contextlib.suppress(ProcessLookupError):  # it may have just ended
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.01)
    out, err = sweep_process.communicate(timeout=120)
    assert sweep_process.returncode == 1, (out, err)
    assert "could not be run (worker processes died)" in err
    table = pd.read_csv(tmp_path / "out" / "sweep.csv", dtype=str, keep_default_na=False)
    lost = table[table.error != ""]
    assert len(lost) > 0 and len(table) == VARIANTS
    assert set(lost.error) == {f"not run: its worker process died in each of {MAX_POOLS} "
                               "process pools"}
    assert len(killed) >= MAX_POOLS  # one fresh pool after another was tried


# --- item 11: the sweep's own process killed ----------------------------------------------
@linux_only
def test_workers_die_with_a_killed_sweep(tmp_path):
    busy_sweep(tmp_path)
    sweep_process = start(tmp_path, "sweep.yaml", "--workers", "2", "--out", "out")
    workers = wait_for_workers(sweep_process.pid, 2)
    os.kill(sweep_process.pid, signal.SIGKILL)
    sweep_process.wait(timeout=30)  # not communicate(): orphans would hold its pipes open
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # do not leak them into the rest of the test run
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    sweep_process.stdout.close()
    sweep_process.stderr.close()
    assert left == [], "pool workers outlived their sweep"


# --- item 12: hostile sweep files ---------------------------------------------------------
def _bomb_sweep(levels: int) -> str:
    lines = ["base: base.yaml", "grid:", "  account.balance:",
             "    - &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"    - &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines + ["  policy.grace_days: [1, 2]", ""])


def _deep_sweep() -> str:
    lines = ["base: base.yaml", "grid:", "  account.balance:"]
    lines += [f"    - &d{i} " + "[" * 40 + (f"*d{i - 1}" if i else "1") + "]" * 40
              for i in range(80)]
    return "\n".join(lines + [""])


@pytest.mark.parametrize("text, problem", [
    (_bomb_sweep(10), "aliases expand the document to more than 1,000,000 values"),
    (_deep_sweep(), "nesting deeper than 50 levels once aliases are expanded"),
], ids=["alias-bomb", "alias-depth-chain"])
def test_alias_bombs_in_a_sweep_file_are_refused_before_any_variant_runs(tmp_path, text,
                                                                          problem):
    write(tmp_path, text)
    sweep_process = start(tmp_path, "sweep.yaml", "--out", "out", memory=2 * 1024**3)
    try:
        out, err = sweep_process.communicate(timeout=60)
    finally:
        sweep_process.kill()
    assert sweep_process.returncode == 2, err[-2000:]
    assert err.splitlines()[0] == "sweep.yaml: invalid sweep (1 problem)"
    assert problem in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_grid_value_holding_too_many_items_is_refused(tmp_path):
    many = "[" + ", ".join(["1"] * 10_001) + "]"
    path = write(tmp_path, f"base: base.yaml\ngrid:\n  description: [x, {many}]\n")
    with pytest.raises(Exception) as caught:
        load_sweep(path)
    assert [str(p) for p in caught.value.problems] == [
        'grid["description"][1]: a value may hold at most 10,000 items']


# --- item 13: the base read once ----------------------------------------------------------
def test_the_base_is_read_once_then_handed_to_the_workers(tmp_path):
    path = write(tmp_path, "base: base.yaml\ngrid:\n  account.balance: [10.00, 20.00]\n")
    spec = load_sweep(path)
    (tmp_path / "base.yaml").unlink()  # a sweep that read the base again would fail now
    for workers in (1, 2):
        result = sweep(spec, workers=workers, progress=False)
        assert result.table.error.isna().all() and len(result.table) == 2


# --- item 14: a base that is not a scenario is not echoed ---------------------------------
SECRETS = "DB_PASSWORD: hunter2\nAPI_TOKEN: sk-live-42\n"


@pytest.mark.parametrize("base_name, message", [
    (".env", "not a YAML file (only files ending in .yaml or .yml are read)"),
    ("secrets.yaml", "secrets.yaml is not a scenario file: first problem at name, 4 more; "
                     "its contents are not shown"),
    ("broken.yaml", "broken.yaml is not a scenario file: malformed YAML at line 2, "
                    "column 1"),
])
def test_a_base_that_is_not_a_scenario_is_never_echoed(tmp_path, base_name, message):
    secrets = SECRETS if base_name != "broken.yaml" else 'password: "hunter2\n'
    (tmp_path / base_name).write_text(secrets)
    (tmp_path / "sweep.yaml").write_text(f"base: {base_name}\ngrid:\n  seed: [1]\n")
    run = CliRunner().invoke(cli, ["sweep", str(tmp_path / "sweep.yaml"),
                                   "--out", str(tmp_path / "out")])
    assert run.exit_code == 2
    assert message in run.stderr
    assert "hunter2" not in run.output and "sk-live" not in run.output
    assert "DB_PASSWORD" not in run.output and "API_TOKEN" not in run.output
    assert not (tmp_path / "out").exists()


# --- found by fuzz/fuzz_door.py: swept values the output files could not hold -------------
def test_huge_swept_values_are_written_exactly(tmp_path):
    path = write(tmp_path, "base: base.yaml\ngrid:\n  description: [9223372036854775808, "
                           "1.0e+5000, 50.0]\n  account.balance: [1.0e+999]\n", base=dict(
                               BUSY, generate=[], end="2024-01-02 00:00:00"))
    result = sweep(path, workers=1, progress=False)
    result.write(tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "sweep.csv", dtype=str, keep_default_na=False)
    assert table.description.tolist() == ["9223372036854775808", "1" + "0" * 5000, "50.0"]
    assert table["account.balance"].tolist() == ["1" + "0" * 999] * 3
    assert (table.error != "").all()  # neither value is a valid description or balance
    assert pd.read_parquet(tmp_path / "out" / "sweep.parquet").description.tolist() == \
        table.description.tolist()


# --- hostile sweep files, at random (the long version: fuzz/fuzz_door.py) -----------------
TINY = {"name": "tiny", "start": "2024-01-01 00:00:00", "end": "2024-01-03 00:00:00",
        "account": {"balance": "100.00"},
        "phones": [{"id": "p", "spec": "basic-2c4g", "billing": "pay_per_use",
                    "at": "2024-01-01 09:00:00"}]}
PATHS = ["account.balance", "phones[0].billing", "phones[*].quantity", "phones[id=p].at",
         "policy.grace_days", "seed", "description", "phones[", "a..b", "phones[9].term",
         "generate[name=x].rate", "phones[*]", "account", "phones[id=].billing", "x" * 300]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                   st.text(max_size=20), st.sampled_from(["monthly", "yearly", "pay_per_use",
                                                          "1e999", "2024-01-01 10:00:00"]),
                   st.lists(st.integers(0, 3), max_size=3),
                   st.dictionaries(st.sampled_from(["monthly", "pay_per_use", "x"]),
                                   st.integers(0, 2), max_size=2))


@st.composite
def sweep_files(draw) -> bytes:
    grid = {draw(st.sampled_from(PATHS)): draw(st.lists(VALUES, min_size=1, max_size=2))
            for _ in range(draw(st.integers(0, 2)))}
    doc = {"base": draw(st.sampled_from(["base.yaml", "base.yaml", "missing.yaml", ".env",
                                         "/etc/passwd", "base.yml", ""])),
           "grid": grid, "replications": draw(st.sampled_from([1, 1, 2, 0, "x"]))}
    buf = bytearray(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 3))):  # byte mutations: cuts, junk, YAML tokens
        pos = draw(st.integers(0, len(buf)))
        buf[pos:pos] = draw(st.sampled_from([b"\x00", b"&a ", b"*a", b"[", b": ", b"\xff",
                                             b"- ", b"!!binary ", b"'"]))
    return bytes(buf)


@settings(max_examples=examples(60), deadline=None)
@given(data=sweep_files())
def test_hostile_sweep_files_end_in_exit_0_or_2(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep-door")
    (folder / "base.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    (folder / ".env").write_text("DB_PASSWORD: hunter2\n")
    (folder / "sweep.yaml").write_bytes(data)
    run = CliRunner().invoke(cli, ["sweep", str(folder / "sweep.yaml"), "--workers", "1",
                                   "--out", str(folder / "out"), "--no-progress"])
    assert run.exit_code in (0, 2), run.output[-2000:]
    assert "Traceback" not in run.output and "internal error" not in run.output
    assert "hunter2" not in run.output
    assert (folder / "out").exists() == (run.exit_code == 0)


# --- item 9: a full disk ------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmpfs):
    """A 20 KB tmpfs: room for a 2-variant sweep's files, not for an 80-variant one's too."""
    return tmpfs("20k")


def test_a_sweep_on_a_full_disk_leaves_the_previous_outputs_whole(tmp_path, tiny_disk):
    small = write(tmp_path, "base: base.yaml\ngrid:\n  account.balance: [1.00, 2.00]\n",
                  base=TINY)
    big = tmp_path / "big.yaml"
    big.write_text("base: base.yaml\ngrid:\n  account.balance: ["
                   + ", ".join(f"{v}.00" for v in range(1, 81)) + "]\n")
    out = tiny_disk / "out"
    first = CliRunner().invoke(cli, ["sweep", str(small), "--workers", "1", "--out", str(out),
                                     "--no-progress"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["sweep-summary.csv", "sweep.csv", "sweep.parquet"]
    second = CliRunner().invoke(cli, ["sweep", str(big), "--workers", "1", "--out", str(out),
                                      "--no-progress"])
    assert second.exit_code == 1, second.output
    assert f"no space left on {tiny_disk}" in second.stderr
    assert "internal error" not in second.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # all old, none new
    assert [p.name for p in tiny_disk.iterdir()] == ["out"]  # nothing hidden left behind


def test_a_folder_holding_other_files_is_not_replaced_by_a_sweep(tmp_path):
    path = write(tmp_path, "base: base.yaml\ngrid:\n  account.balance: [1.00]\n", base=TINY)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    run = CliRunner().invoke(cli, ["sweep", str(path), "--workers", "1", "--out", str(out)])
    assert run.exit_code == 2 and "holds other files (notes.txt)" in run.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
