"""Figures: written from any results folder, readable structure, same bytes each run, lazy."""

from __future__ import annotations

import filecmp
import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.plots import FIGURE_FILES, plot_breakeven, plot_compare, plot_results
from sim.plots._data import cost_events, load_run
from sim.plots.money import balance_series
from sim.plots.timeline import AGGREGATE_ABOVE, timeline_figure
from traces import scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
RUN_FIGURES = {"timeline.png", "timeline.svg", "money.png", "money.svg"}


def _written(path: Path, out: Path) -> Path:
    simulate(load_scenario(path)).write(out)
    return out


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory) -> Path:
    return _written(SCENARIOS / "quickstart.yaml", tmp_path_factory.mktemp("q") / "quickstart")


def _fleet(n: int) -> dict:
    """n pay-per-use phones, one created per hour, each deleted 30 hours later."""
    phones = [{"id": f"p{i:03d}", "spec": "basic-2c4g", "billing": "pay_per_use",
               "at": f"2023-01-{1 + i // 24:02d} {i % 24:02d}:00:00",
               "actions": [{"at": f"2023-01-{2 + (i + 6) // 24:02d} {(i + 6) % 24:02d}:00:00",
                            "do": "delete"}]}
              for i in range(n)]
    return scenario(*phones, name=f"fleet-{n}")


# --- files ----------------------------------------------------------------------------------
def test_a_run_folder_gives_timeline_and_money_as_png_and_svg(quickstart, tmp_path):
    written = plot_results(quickstart, tmp_path / "figures")
    assert {p.name for p in written} == RUN_FIGURES
    for path in written:
        assert path.parent == tmp_path / "figures"
        assert path.stat().st_size > 10_000, path  # a real picture, not an empty canvas
    assert (tmp_path / "figures" / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "figures" / "money.svg").read_text(encoding="utf-8").lstrip() \
        .startswith("<?xml")


def test_figures_go_next_to_the_outputs_by_default(quickstart, tmp_path):
    folder = shutil.copytree(quickstart, tmp_path / "copy")  # any folder, not the run's own
    plot_results(folder)
    assert RUN_FIGURES <= {p.name for p in folder.iterdir()}
    assert RUN_FIGURES <= set(FIGURE_FILES)


def _shipped_runs(tmp_path):
    for path in sorted(SCENARIOS.glob("*.yaml")):
        try:
            loaded = load_scenario(path)
        except Exception:  # noqa: BLE001 - sweep files are not scenarios
            continue
        yield path, simulate(loaded)


def test_every_shipped_scenario_builds_its_figures(tmp_path):
    from sim.plots._style import style
    from sim.plots.money import money_figure

    drawn = {"arrears-recovery", "yearly-to-ppu-at-expiry", "seed-unsubscribe-then-upgrade"}
    for path, result in _shipped_runs(tmp_path):
        run = load_run(result.write(tmp_path / path.stem))
        with style():
            for fig in (timeline_figure(run), money_figure(run)):
                assert fig.get_suptitle().startswith(f"{run.name}: "), path.name
                if path.stem in drawn:  # drawing (layout included) is slow: a few only
                    fig.savefig(io.BytesIO(), format="png", dpi=40)
        # What the money figure draws adds up to the summary.
        assert cost_events(run)["cost"].sum() == pytest.approx(
            float(result.summary["total_cost"]), abs=1e-6), path.name
        times, balance = balance_series(run)
        assert balance[-1] == pytest.approx(float(result.summary["final_balance"]), abs=1e-6)
        assert (times[0], times[-1]) == (run.start, run.end)


def test_same_run_gives_the_same_bytes(quickstart, tmp_path):
    first = plot_results(quickstart, tmp_path / "a")
    second = plot_results(quickstart, tmp_path / "b")
    code = ("import sys; from sim.plots import plot_results; "
            "plot_results(sys.argv[1], sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(quickstart), str(tmp_path / "c")],
                   check=True, cwd=ROOT)
    for a, b in zip(first, second):
        assert filecmp.cmp(a, b, shallow=False), a.name
        assert filecmp.cmp(a, tmp_path / "c" / a.name, shallow=False), a.name
    svg = (tmp_path / "a" / "timeline.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg  # no timestamp in the file


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing to plot"):
        plot_results(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such results folder"):
        plot_results(tmp_path / "missing")


# --- what the figures show ---------------------------------------------------------------
def test_timeline_has_one_row_per_phone_named_after_the_scenario(quickstart):
    from sim.plots._style import style

    with style():
        fig = timeline_figure(load_run(quickstart))
    ax = fig.axes[0]
    assert fig.get_suptitle() == "quickstart: phone lifecycle"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "desk-phone\nmonthly", "test-phone\npay-per-use"]
    assert ax.get_xlabel() == "Time (Asia/Shanghai)"
    assert fig.axes[1].get_ylabel() == "Cost (USD)"


def test_aggregate_view_above_40_phones(tmp_path):
    from sim.plots._style import style

    assert AGGREGATE_ABOVE == 40
    for n, aggregate in ((40, False), (41, True)):
        out = simulate(load_scenario(_fleet(n))).write(tmp_path / str(n))
        with style():
            fig = timeline_figure(load_run(out))
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        assert ("Living instances per state (an order of quantity q counts q)" in titles) \
            is aggregate, n
        if aggregate:
            assert fig.get_suptitle() == ("fleet-41: instances per state over time "
                                          "(41 phones, 41 instances)")
            assert {p.name for p in plot_results(out)} == RUN_FIGURES
        else:
            assert len(fig.axes[0].get_yticklabels()) == 40


def test_the_time_axis_falls_back_to_the_offset_without_a_timezone(quickstart, tmp_path):
    folder = shutil.copytree(quickstart, tmp_path / "old")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["timezone"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert load_run(folder).zone_label == "UTC+0800"


def test_prepaid_costs_are_drawn_under_their_mode(tmp_path):
    run = load_run(simulate(load_scenario(SCENARIOS / "yearly-to-ppu-at-expiry.yaml"))
                   .write(tmp_path / "y"))
    by_mode = cost_events(run).groupby("mode")["cost"].sum()
    assert by_mode["yearly"] == pytest.approx(459.0)
    assert set(by_mode.index) == {"yearly", "pay_per_use"}


def test_a_zone_with_daylight_saving_and_a_refund(tmp_path):
    from sim.plots._style import style
    from sim.plots.money import money_figure

    data = scenario({"id": "kiosk", "spec": "pro-2c4g", "billing": "yearly", "term": 1,
                     "at": "2023-03-20 10:00:00",
                     "actions": [{"at": "2023-10-30 10:00:00", "do": "change_billing",
                                  "when": "now"}]},
                    name="berlin", timezone="Europe/Berlin", start="2023-03-01 00:00:00",
                    end="2023-12-01 00:00:00")
    run = load_run(simulate(load_scenario(data)).write(tmp_path / "berlin"))
    assert run.zone_label == "Europe/Berlin"
    events = cost_events(run)
    refund = events[events["cost"] < 0]
    assert list(refund["mode"]) == ["yearly"]  # refunded at the change, under its old mode
    with style():
        bars = money_figure(run).axes[2]
    labels = [t.get_text() for t in bars.texts]  # one per month: both views (monthly.csv)
    assert labels[0].startswith("accrued ") and labels[0].endswith("\ncash 459.00")  # March
    assert "\ncash -" in labels[7]  # October: the refund at the change comes back


# --- what-if figures -------------------------------------------------------------------------
def _compare_table() -> pd.DataFrame:
    rows = []
    for phone, costs in (("a", ("45.00", "459.00", "12.50")), ("b", ("90.00", "918.00", "0"))):
        for mode, cost in zip(("monthly", "yearly", "pay_per_use"), costs):
            rows.append({"phone": phone, "mode": mode, "cost_cash": Decimal(cost),
                         "cost_accrued": Decimal(cost) / 2, "unusable_hours": 0.0,
                         "refused_operations": 0, "final_state": "Running"})
    for mode in ("monthly", "yearly", "pay_per_use"):
        of_mode = [r for r in rows if r["mode"] == mode]
        rows.append({"phone": "TOTAL", "mode": mode,
                     "cost_cash": sum(r["cost_cash"] for r in of_mode),
                     "cost_accrued": sum(r["cost_accrued"] for r in of_mode),
                     "unusable_hours": 0.0, "refused_operations": 0, "final_state": None})
    return pd.DataFrame(rows)


def test_compare_figure_from_a_dataframe_and_from_compare_csv(tmp_path):
    written = plot_compare(_compare_table(), tmp_path)
    assert {p.name for p in written} == {"compare.png", "compare.svg"}
    table = _compare_table()
    table.to_csv(tmp_path / "compare.csv", index=False)
    again = plot_compare(tmp_path / "compare.csv")
    assert filecmp.cmp(written[0], again[0], shallow=False)  # same figure either way


BREAKEVEN_CSV = """\
spec,monthly,yearly,hourly,ppu_vs_monthly_hours,ppu_vs_yearly_hours_per_month,yearly_vs_monthly_months
pro-2c4g,45.00,459.00,0.10,450.00,382.50,10.20
basic-2c4g,30.00,306.00,0.07,428.57,364.29,10.20
"""


def test_breakeven_figure_from_the_table_or_its_curves(tmp_path):
    (tmp_path / "breakeven.csv").write_text(BREAKEVEN_CSV, encoding="utf-8")
    written = plot_breakeven(tmp_path)
    assert {p.name for p in written} == {"breakeven.png", "breakeven.svg"}
    curves = pd.DataFrame([
        {"spec": "pro-2c4g", "hours_per_month": h, "mode": m,
         "cost": {"monthly": 45.0, "yearly": 38.25, "pay_per_use": 0.10 * h}[m]}
        for h in range(0, 745) for m in ("monthly", "yearly", "pay_per_use")])
    from sim.plots.whatif import breakeven_prices

    prices = breakeven_prices(curves).iloc[0]
    assert (prices["monthly"], prices["yearly"], prices["max_hours"]) == (45.0, 459.0, 744)
    assert prices["hourly"] == pytest.approx(0.10)
    assert {p.name for p in plot_breakeven(curves, tmp_path / "c")} == {"breakeven.png",
                                                                        "breakeven.svg"}
    with pytest.raises(ValueError, match="out_dir"):
        plot_breakeven(curves)


def test_plot_results_adds_what_if_figures_found_in_the_folder(quickstart, tmp_path):
    folder = shutil.copytree(quickstart, tmp_path / "both")
    _compare_table().to_csv(folder / "compare.csv", index=False)
    (folder / "breakeven.csv").write_text(BREAKEVEN_CSV, encoding="utf-8")
    names = {p.name for p in plot_results(folder)}
    assert names == RUN_FIGURES | {"compare.png", "compare.svg", "breakeven.png",
                                   "breakeven.svg"}


# --- lazy import -----------------------------------------------------------------------------
def test_import_sim_does_not_load_matplotlib():
    code = ("import sys, sim, sim.plots, sim.cli; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- command line ----------------------------------------------------------------------------
def test_cli_plot_writes_the_figures_of_a_results_folder(quickstart, tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    result = CliRunner().invoke(cli, ["plot", str(quickstart), "--out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "f").iterdir()} == RUN_FIGURES
    assert result.output.startswith(f"figures             {tmp_path / 'f'}: timeline.png")


def test_cli_plot_without_outputs_is_invalid_input(tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    result = CliRunner().invoke(cli, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "nothing to plot" in result.stderr
    assert CliRunner().invoke(cli, ["plot", str(tmp_path / "missing")]).exit_code == 2


def test_cli_run_plot_draws_into_the_outputs_folder_and_can_run_again(tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli
    from sim.result import OUTPUT_FILES

    out = tmp_path / "q"
    args = ["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(out), "--plot"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert {p.name for p in out.iterdir()} == set(OUTPUT_FILES) | RUN_FIGURES
    # The figures count as outputs: the folder may be replaced by the next run.
    again = CliRunner().invoke(cli, args[:-1])
    assert again.exit_code == 0, again.output
    assert {p.name for p in out.iterdir()} == set(OUTPUT_FILES)
