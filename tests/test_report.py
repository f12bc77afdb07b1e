"""`koophone-sim report`: one self-contained HTML file, the same bytes for the same folder,
with the run's numbers and the what-if sections of whatever the folder holds.
(Rendering in a real browser: test_report_browser.py.)"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim import load_scenario, simulate
from sim.cli import cli
from sim.report import report_html, write_report

ROOT = Path(__file__).resolve().parent.parent
SMALL_FLEET = ROOT / "scenarios" / "small-fleet.yaml"


class _Cells(HTMLParser):
    """Each table's rows as (text, data-value) pairs, and every resource the page names."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str | None]]]] = {}
        self.resources: list[str] = []
        self._table = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "xlink:href"):
            if attrs.get(name) and not attrs[name].startswith("#"):
                self.resources.append(attrs[name])
        if tag == "link":
            self.resources.append(str(attrs))
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag == "td" and self._table is not None:
            self._cell = ["", attrs.get("data-value")]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._table[-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def _parse(page: str) -> _Cells:
    cells = _Cells()
    cells.feed(page)
    cells.tables = {k: [row for row in rows if row] for k, rows in cells.tables.items()}
    return cells  # (header rows hold no td)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "small-fleet"
    result = simulate(load_scenario(SMALL_FLEET))
    result.write(folder)
    return folder, result.summary, report_html(folder)  # drawing figures takes seconds


def test_one_file_with_nothing_to_fetch(run_folder):
    _folder, _, page = run_folder
    parsed = _parse(page)
    assert parsed.resources == []  # no script, style, image or font from anywhere else
    assert "@import" not in page and not re.search(r"url\((?!#)", page)
    assert page.count("<svg") == 2 and page.count("<script>") == 1
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "figures and tables never share an id"
    assert "@media print" in page


def test_same_folder_same_bytes(run_folder, tmp_path):
    folder, _, page = run_folder
    assert write_report(folder, tmp_path / "a.html").read_bytes() == page.encode()


def test_tables_hold_the_summary_numbers(run_folder):
    folder, summary, page = run_folder
    tables = _parse(page).tables
    by_billing = {row[0][0]: row[1][1] for row in tables["by-billing"]}
    assert by_billing == {m.replace("_", "-"): v["cash"]
                          for m, v in summary["by_billing"].items()}
    phones = {row[0][0]: (row[5][1], row[6][1]) for row in tables["phones"]}
    assert phones == {p: (v["cost"], v["cost_accrued"]) for p, v in summary["phones"].items()}
    losses = {row[0][0]: row[1][1] for row in tables["losses-totals"]}
    assert losses["failed auto-renewals"] == str(
        summary["lifecycle_losses"]["failed_auto_renewals"])
    assert len(tables["monthly"]) == len((folder / "monthly.csv").read_text().splitlines()) - 1


def test_parquet_folder_gives_the_same_report(run_folder, tmp_path):
    _folder, _, page = run_folder
    simulate(load_scenario(SMALL_FLEET)).write(tmp_path / "small-fleet", format="parquet")

    def body(text):  # the footer names the folder's files, which differ by extension
        return text.split("<footer>")[0]

    assert body(report_html(tmp_path / "small-fleet")) == body(page)


def test_report_command_and_run_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    done = runner.invoke(cli, ["run", str(SMALL_FLEET), "--out", "out", "--format",
                               "parquet", "--report", "--plot"])
    assert done.exit_code == 0, done.output
    assert "report.html" in done.output
    written = runner.invoke(cli, ["report", "out", "--out", "shared/fleet.html"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "shared" / "fleet.html").read_bytes() == \
        (tmp_path / "out" / "report.html").read_bytes()
    again = runner.invoke(cli, ["run", str(SMALL_FLEET), "--out", "out"])
    assert again.exit_code == 0, again.output  # a folder with its report is still ours
    assert not (tmp_path / "out" / "report.html").exists()  # replaced as a whole
    (tmp_path / "empty").mkdir()
    nothing = runner.invoke(cli, ["report", "empty"])
    assert nothing.exit_code == 2
    assert "nothing to report" in nothing.output


def test_whatif_outputs_get_their_sections(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "fleet"
    assert runner.invoke(cli, ["run", str(SMALL_FLEET), "--out", str(folder)]).exit_code == 0
    compared = runner.invoke(cli, ["compare", str(SMALL_FLEET), "--out", str(folder)])
    assert compared.exit_code == 0, compared.output
    page = report_html(folder)
    tables = _parse(page).tables
    assert {"compare", "compare-best"} <= set(tables)
    assert page.count("<svg") == 3  # timeline, money, compare
    rows = (folder / "compare.csv").read_text().splitlines()
    assert len(tables["compare"]) == len(rows) - 1
    assert [c[0] for c in tables["compare"][0]] == rows[1].split(",")
    # A folder of what-if outputs only (no run) has a report too.
    only = tmp_path / "only-compare"
    assert runner.invoke(cli, ["compare", str(SMALL_FLEET), "--out", str(only)]).exit_code == 0
    assert "compare" in _parse(report_html(only)).tables


def test_a_folder_from_before_both_views_still_reports(run_folder, tmp_path):
    # Folders written before costs.csv, monthly.csv and the summary's cost views.
    import json
    import shutil

    folder, summary, _ = run_folder
    old = shutil.copytree(folder, tmp_path / "old")
    for name in ("costs.csv", "monthly.csv"):
        (old / name).unlink()
    keep = {"scenario", "currency", "timezone", "start", "end", "final_balance", "total_cost",
            "phones", "refused_operations"}
    trimmed = {k: v for k, v in summary.items() if k in keep}
    trimmed["phones"] = {p: {k: v[k] for k in ("billing", "final_state", "cost", "expires_at")}
                         for p, v in summary["phones"].items()}
    (old / "summary.json").write_text(json.dumps(trimmed))
    tables = _parse(report_html(old)).tables
    assert {r[0][0]: r[3][1] for r in tables["phones"]} == \
        {p: v["cost"] for p, v in summary["phones"].items()}
    assert sum(Decimal(r[1][1]) for r in tables["by-billing"]) == Decimal(summary["total_cost"])
