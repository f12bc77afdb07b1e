"""The command line: run/validate, exit codes 0/1/2, stderr formats, where outputs go."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
import subprocess
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.result import OUTPUT_FILES

SCENARIO = """\
name: cli-fleet
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-04-01 00:00:00
account:
  balance: 500.00
phones:
  - id: office-1
    spec: pro-2c4g
    billing: monthly
    term: 1
    at: 2023-02-08 15:50:04
  - id: dev-1
    spec: basic-2c4g
    billing: pay_per_use
    at: 2023-02-08 08:45:30
    actions:
      - {at: 2023-02-08 08:55:30, do: delete}
"""



@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "cli-fleet.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def invoke(*args: str, env: dict | None = None):
    return CliRunner(env=env).invoke(cli, list(args))


# --- validate -------------------------------------------------------------------------------
def test_validate_ok(scenario_file, workdir):
    result = invoke("validate", str(scenario_file))
    assert result.exit_code == 0
    assert result.stdout == "ok: cli-fleet (2 phones)\n"
    assert result.stderr == ""
    assert list(workdir.iterdir()) == []


def test_validate_one_phone_is_singular(tmp_path, workdir):
    path = tmp_path / "one.yaml"
    path.write_text(SCENARIO.split("  - id: dev-1")[0], encoding="utf-8")
    assert invoke("validate", str(path)).stdout == "ok: cli-fleet (1 phone)\n"


def test_validate_invalid_prints_file_line_then_problems(tmp_path, workdir):
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace("term: 1", "term: 0").replace("do: delete}", "do: fly}"),
                    encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: invalid scenario (2 problems)",
        "phones[0].term: must be >= 1",
        "phones[1].actions[0].do: must be one of 'renew', 'stop', 'start', "
        "'enable_auto_renew', 'disable_auto_renew', 'change_billing', 'unsubscribe' or "
        "'delete'; got 'fly'",
    ]


@pytest.mark.parametrize("name", ["missing.yaml", "."])
def test_validate_missing_file_or_directory_exits_2_without_traceback(workdir, name):
    result = invoke("validate", name)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"{name}: invalid scenario (1 problem)"
    assert lines[1] in ("(file): no such file: missing.yaml",
                        "(file): . is a directory, not a YAML file")


def test_missing_argument_is_a_usage_error(workdir):
    result = invoke("run")
    assert result.exit_code == 2
    assert "Missing argument 'SCENARIO'" in result.stderr


# --- run --------------------------------------------------------------------------------------
def test_run_writes_outputs_and_prints_the_summary_table(scenario_file, workdir):
    result = invoke("run", str(scenario_file))
    assert result.exit_code == 0, result.output
    out = workdir / "results" / "cli-fleet"
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    lines = result.stdout.splitlines()
    assert lines[0] == ("cli-fleet: 2023-02-01T00:00:00+08:00 -> 2023-04-01T00:00:00+08:00 "
                        "(USD)")
    assert lines[2].split() == ["phone", "billing", "qty", "final", "state", "cash", "accrued",
                                "unusable", "h"]
    phone_rows = {line.split()[0]: line.split() for line in lines[3:5]}
    for phone_id, phone in summary["phones"].items():
        assert phone_rows[phone_id] == [phone_id, phone["billing"], str(phone["quantity"]),
                                        phone["final_state"], _cents(phone["cost"]),
                                        _cents(phone["cost_accrued"]),
                                        f"{phone['unusable_hours']:,.1f}"]
    assert lines[-2:] == [f"final balance       {_cents(summary['final_balance'])} USD",
                          "outputs             results/cli-fleet"]
    total = next(line for line in lines if line.startswith("total "))
    assert total.split() == ["total", _cents(summary["total_cost"]),
                             _cents(summary["total_cost_accrued"])]


def _cents(text: str) -> str:
    """Money as the printed summary shows it: half-up to cents (the files keep 8 decimals)."""
    return f"{Decimal(text).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def test_run_out_option(scenario_file, tmp_path, workdir):
    out = tmp_path / "elsewhere" / "run1"
    result = invoke("run", str(scenario_file), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").is_file()
    assert result.stdout.splitlines()[-1] == f"outputs             {out}"
    assert not (workdir / "results").exists()
    # a previous results folder may be replaced
    assert invoke("run", str(scenario_file), "--out", str(out)).exit_code == 0


def test_run_refuses_an_out_folder_holding_other_files(scenario_file, tmp_path, workdir):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete", encoding="utf-8")
    result = invoke("run", str(scenario_file), "--out", str(precious))
    assert result.exit_code == 2
    assert "holds other files (thesis.tex)" in result.stderr
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]


def test_run_refuses_the_working_folder_as_out(scenario_file, workdir):
    result = invoke("run", str(scenario_file), "--out", ".")
    assert result.exit_code == 2
    assert "is the working folder or holds it" in result.stderr
    assert list(workdir.iterdir()) == []


def test_run_invalid_writes_nothing(tmp_path, workdir):
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace("spec: pro-2c4g", "spec: nope"), encoding="utf-8")
    result = invoke("run", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1].startswith("phones[0].spec: unknown spec 'nope'; ")
    assert not (tmp_path / "out").exists()
    assert list(workdir.iterdir()) == []


# --- internal errors: a stub engine, only inside these tests --------------------------------
def _stub_engine(monkeypatch, simulate):
    module = types.ModuleType("sim.engine")
    module.simulate = simulate
    monkeypatch.setitem(sys.modules, "sim.engine", module)


def _boom(scenario):
    raise RuntimeError("engine exploded\non two lines")


def test_internal_error_is_one_line_exit_1(scenario_file, workdir, monkeypatch):
    _stub_engine(monkeypatch, _boom)
    result = invoke("run", str(scenario_file), env={"KOOPHONE_DEBUG": None})
    assert result.exit_code == 1
    assert result.stderr == ("koophone-sim: internal error: RuntimeError: engine exploded on "
                             "two lines (set KOOPHONE_DEBUG=1 for details)\n")
    assert list(workdir.iterdir()) == []


def test_internal_error_traceback_with_debug(scenario_file, workdir, monkeypatch):
    _stub_engine(monkeypatch, _boom)
    result = invoke("run", str(scenario_file), env={"KOOPHONE_DEBUG": "1"})
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "koophone-sim: internal error: RuntimeError: engine exploded on two lines")


def test_table_shows_a_phone_that_never_existed(scenario_file, tmp_path, workdir, monkeypatch):
    class StubResult:
        summary = {
            "scenario": "cli-fleet", "currency": "USD",
            "start": "2023-02-01T00:00:00+08:00", "end": "2023-04-01T00:00:00+08:00",
            "final_balance": "455.00", "total_cost": "45.00",
            "phones": {
                "office-1": {"billing": "monthly", "final_state": "Running", "cost": "45.00",
                             "expires_at": "2023-03-09T00:00:00+08:00", "quantity": 1,
                             "cost_accrued": "44.12345678", "unusable_hours": 0.0},
                "dev-1": {"billing": "pay_per_use", "final_state": None, "cost": "0.00",
                          "expires_at": None, "quantity": 1, "cost_accrued": "0.00",
                          "unusable_hours": 0.0, "refused_operations": 2},
            },
            "refused_operations": 2,
            "total_cost_accrued": "44.12345678",
            "by_billing": {"monthly": {"cash": "45.00", "accrued": "44.12345678"},
                           "pay_per_use": {"cash": "0.00", "accrued": "0.00"}},
            "lifecycle_losses": {"failed_auto_renewals": 0, "phones_expired": 0,
                                 "phones_frozen": 0, "phones_released": 0,
                                 "unusable_hours": 0.0, "refused_operations": 2},
        }

        def write(self, out, format="csv", **options):
            return out.fill(lambda folder: None)  # `out`: the folder claimed by run

    _stub_engine(monkeypatch, lambda scenario: StubResult())
    result = invoke("run", str(scenario_file), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "cli-fleet: 2023-02-01T00:00:00+08:00 -> 2023-04-01T00:00:00+08:00 (USD)",
        "",
        "phone     billing      qty  final state   cash  accrued  unusable h",
        "office-1  monthly        1  Running      45.00    44.12         0.0",
        "dev-1     pay_per_use    1  -             0.00     0.00         0.0",
        "",
        "billing mode  cash (USD)  accrued (USD)",
        "monthly            45.00          44.12",
        "pay_per_use         0.00           0.00",
        "total              45.00          44.12",
        "cash: what left the account, when it was paid; accrued: each order spread",
        "over the time it pays for, inside the window (per month: monthly.csv)",
        "",
        "lifecycle losses (Expired, Frozen or Released while in use = unusable):",
        "  failed auto-renewals  0",
        "  phones expired        0",
        "  phones frozen         0",
        "  phones released       0",
        "  hours unusable        0.0",
        "  refused operations    2 (dev-1 x2)",
        "",
        "final balance       455.00 USD",
        f"outputs             {tmp_path / 'o'}",
    ]


# --- python -m sim ------------------------------------------------------------------------------
def test_python_dash_m_sim_is_the_same_command(scenario_file, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "sim", "validate", str(scenario_file)],
                        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (ok.returncode, ok.stdout) == (0, "ok: cli-fleet (2 phones)\n")
    bad = subprocess.run([sys.executable, "-m", "sim", "validate", "nope.yaml"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr == "nope.yaml: invalid scenario (1 problem)\n(file): no such file: nope.yaml\n"


# --- a closed pipe (`koophone-sim run ... | head`) ends quietly ------------------------------
def test_run_into_a_closed_pipe_ends_quietly_with_141(scenario_file, tmp_path):
    """A real pipe whose reader is gone before the summary is printed: EPIPE on the first
    write, as with `| head -n 0`. No 'internal error', no traceback; the outputs are whole."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario_file),
                             "--out", str(tmp_path / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()  # the reader goes away
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, stderr
    assert stderr == ""
    assert {"ledger.csv", "states.csv", "summary.json"} <= {
        p.name for p in (tmp_path / "out").iterdir()}


def test_run_piped_into_head_through_a_shell(scenario_file, tmp_path):
    """The user's own pipeline: `head` prints the first line; nothing lands on stderr."""
    shell = (f"set -o pipefail; {sys.executable} -m sim run {scenario_file} --out out "
             "| head -n 1")
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.stdout.startswith("cli-fleet: "), proc.stdout
    assert proc.stderr == ""
    assert proc.returncode in (0, 141)  # 141 when head closed the pipe before the last line
