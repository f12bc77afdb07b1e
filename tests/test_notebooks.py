"""The notebooks run headless from notebooks/ (as Jupyter starts them), without error.

They are committed without outputs; their results go to a temporary folder through
KOOPHONE_RESULTS, and figures are drawn with the Agg backend.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = ["01-quickstart.ipynb", "02-yearly-vs-pay-per-use.ipynb",
            "03-fleet-monte-carlo.ipynb"]
BUDGET_SECONDS = 60  # each aims at well under 30 s; the slack is for a busy CI machine


def test_the_three_notebooks_ship():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", [n for n in EXPECTED if (NOTEBOOKS / n).exists()])
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("name", [n for n in EXPECTED if (NOTEBOOKS / n).exists()])
def test_notebook_runs_headless(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("KOOPHONE_RESULTS", str(tmp_path))  # the kernel inherits the env
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.monotonic()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    assert time.monotonic() - started < BUDGET_SECONDS
    assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs), \
        "the notebook shows at least one figure"
    assert list(tmp_path.rglob("*.png")), "figures are written under KOOPHONE_RESULTS"
    # Each notebook ends with the report of its run, written and shown in a frame.
    assert list(tmp_path.rglob("report.html")), "the report is written under KOOPHONE_RESULTS"
    last = [cell for cell in nb.cells if cell.cell_type == "code"][-1]
    assert any("<iframe srcdoc=" in o.get("data", {}).get("text/html", "")
               for o in last.outputs), "the last cell shows the report"
