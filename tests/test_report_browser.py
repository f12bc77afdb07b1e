"""report.html in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
installs) loads it with no console error and no request beyond the file, draws every
figure at a non-zero size, shows summary.json's numbers, sorts, prints, and is captured."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from browser import Chromium, find_chromium
from sim import load_scenario, simulate
from sim.money import cents
from sim.report import write_report

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium; "
                             ".ci/run installs it where the machine allows)")

# Every figure and the numbers of every table the checks need, read from the page itself.
READ_PAGE = """(() => {
  const rows = id => Array.from(document.querySelectorAll("#" + id + " tbody tr")).map(
      tr => Array.from(tr.cells).map(td => [td.textContent, td.getAttribute("data-value")]));
  const cards = {};
  document.querySelectorAll(".card[data-key]").forEach(
      c => { cards[c.dataset.key] = c.querySelector(".value").textContent; });
  return {
    figures: Array.from(document.querySelectorAll("svg")).map(s => {
      const r = s.getBoundingClientRect();
      return [s.getAttribute("aria-label"), r.width, r.height,
              s.querySelectorAll("path, use").length]; }),
    cards: cards,
    byBilling: rows("by-billing"), phones: rows("phones"), monthly: rows("monthly"),
    compare: rows("compare"),
  };
})()"""


def _small_fleet(zone: str):
    data = yaml.safe_load((ROOT / "scenarios" / "small-fleet.yaml").read_text())
    data["timezone"] = zone
    return load_scenario(data)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with Chromium(CHROMIUM, tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


@pytest.fixture(scope="module", params=[("Europe/Berlin", "parquet"), ("Asia/Shanghai", "csv")],
                ids=["berlin-parquet", "shanghai-csv-compare"])
def report(request, tmp_path_factory):
    zone, fmt = request.param
    scenario = _small_fleet(zone)
    folder = tmp_path_factory.mktemp(zone.replace("/", "-")) / "small-fleet"
    result = simulate(scenario)
    result.write(folder, format=fmt)
    if fmt == "csv":  # what-if outputs in the folder get their section and figure
        from sim.whatif.compare import compare

        compare(scenario).write(folder)
    return write_report(folder), result.summary


def test_report_renders_without_errors_and_holds_the_summary(browser, report, tmp_path):
    path, summary = report
    url = path.resolve().as_uri()
    browser.open(url)
    assert browser.problems() == []
    assert browser.requested() == [url]  # nothing from the network, no other file
    page = browser.evaluate(READ_PAGE)

    figures = page["figures"]
    assert len(figures) == path.read_text().count("<svg") >= 2
    for label, width, height, marks in figures:
        assert width > 300 and height > 100 and marks > 10, label

    def cash(value):
        return f"{cents(Decimal(value)):,.2f}"

    assert page["cards"]["total_cost"] == cash(summary["total_cost"])
    assert page["cards"]["total_cost_accrued"] == cash(summary["total_cost_accrued"])
    assert page["cards"]["final_balance"] == cash(summary["final_balance"])
    assert {r[0][0]: (r[1][1], r[2][1]) for r in page["byBilling"]} == {
        m.replace("_", "-"): (v["cash"], v["accrued"]) for m, v in summary["by_billing"].items()}
    shown = {r[0][0]: (r[5], r[6]) for r in page["phones"]}
    assert set(shown) == set(summary["phones"])
    for phone, info in summary["phones"].items():
        assert shown[phone] == ([cash(info["cost"]), info["cost"]],
                                [cash(info["cost_accrued"]), info["cost_accrued"]]), phone
    months = sum(Decimal(r[2][1]) for r in page["monthly"])
    assert months == sum(Decimal(v["cash"]) for v in summary["by_billing"].values())
    if (path.parent / "compare.csv").exists():
        assert len(page["compare"]) == len((path.parent / "compare.csv").read_text()
                                           .splitlines()) - 1

    shot = browser.screenshot(tmp_path / "report.png")  # kept with the test's files only
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_tables_sort_when_a_header_is_clicked(browser, report):
    path, summary = report
    browser.open(path.resolve().as_uri())
    order = """(() => {
      const th = document.querySelectorAll("#phones th")[5];  // cash
      th.click();
      const up = Array.from(document.querySelectorAll("#phones tbody tr"),
                            tr => Number(tr.cells[5].getAttribute("data-value")));
      th.click();
      const down = Array.from(document.querySelectorAll("#phones tbody tr"),
                              tr => Number(tr.cells[5].getAttribute("data-value")));
      return [up, down, th.getAttribute("aria-sort")];
    })()"""
    up, down, state = browser.evaluate(order)
    costs = sorted(float(p["cost"]) for p in summary["phones"].values())
    assert up == costs and down == costs[::-1] and state == "descending"
    assert browser.problems() == []


def test_report_prints(browser, report):
    path, _ = report
    browser.open(path.resolve().as_uri())
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=browser.session)
    hidden = browser.evaluate("getComputedStyle(document.querySelector('nav')).display")
    assert hidden == "none"  # the print stylesheet applies
    assert browser.pdf()[:5] == b"%PDF-"


def test_the_harness_sees_errors(browser, tmp_path):
    # So that "no problems" above means something: a page with each kind of fault.
    page = tmp_path / "broken.html"
    page.write_text('<img src="missing.png"><script>console.error("boom"); nope();</script>')
    browser.open(page.resolve().as_uri())
    problems = " | ".join(browser.problems())
    assert "console.error: boom" in problems
    assert "nope is not defined" in problems
    assert "ERR_FILE_NOT_FOUND" in problems
    assert len(browser.requested()) == 2
