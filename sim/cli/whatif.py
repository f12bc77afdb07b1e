"""`koophone-sim compare | breakeven | recommend`: thin commands over `sim.whatif`."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.app import EXIT_INVALID, load, report_invalid
from sim.scenario import ScenarioError


def _whatif_out(out: Path | None, default: Path) -> Path:
    """What-if files are added to the folder (never replaced as a whole), so any folder works
    except a file; the defaults sit next to, not inside, a run's results folder."""
    target = out if out is not None else default
    if target.exists() and not target.is_dir():
        raise click.BadParameter(f"{target} exists and is not a folder", param_hint="--out")
    return target


def _modes(_ctx, _param, value: str) -> tuple[str, ...]:
    from sim.whatif.variants import check_modes

    try:
        return check_modes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--modes", default="monthly,yearly,pay_per_use", show_default=True,
              callback=_modes, help="Billing modes to compare, comma-separated.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for compare.csv (default: results/<scenario name>-compare).")
def compare(scenario: Path, modes: tuple[str, ...], out: Path | None) -> None:
    """Re-simulate SCENARIO's usage under each billing mode; cheapest mode per phone."""
    loaded = load(scenario)
    target = _whatif_out(out, Path("results") / f"{loaded.name}-compare")
    from sim.whatif.compare import compare as run_compare

    comparison = run_compare(loaded, modes)
    comparison.write(target)
    click.echo(comparison.report())
    click.echo(f"outputs: {target / 'compare.csv'}, {target / 'compare-best.csv'}")


@click.command()
@click.option("--catalog", "catalog_file", type=click.Path(path_type=Path),
              help="Catalog YAML (default: the shipped illustrative catalog).")
@click.option("--spec", help="Only this spec id.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for breakeven.csv (default: results/breakeven).")
def breakeven(catalog_file: Path | None, spec: str | None, out: Path | None) -> None:
    """Hours per month at which pay-per-use costs as much as monthly or yearly, per spec."""
    from sim.scenario import default_catalog, resolve_catalog
    from sim.whatif.breakeven import breakeven as table_of, breakeven_curves, write_breakeven
    from sim.whatif.report import breakeven_text

    if catalog_file is None:
        catalog = default_catalog()
    else:
        try:
            catalog = resolve_catalog(str(catalog_file))
        except ScenarioError as exc:
            report_invalid(exc, catalog_file, what="invalid catalog")
            raise click.exceptions.Exit(EXIT_INVALID) from None
    if spec is not None and spec not in {s.id for s in catalog.specs}:
        raise click.BadParameter(f"unknown spec {spec!r}; known: "
                                 f"{', '.join(s.id for s in catalog.specs)}",
                                 param_hint="--spec")
    target = _whatif_out(out, Path("results") / "breakeven")
    table = table_of(catalog, spec)
    write_breakeven(table, breakeven_curves(catalog, spec), target)
    click.echo(breakeven_text(table, catalog.currency))
    click.echo(f"outputs: {target / 'breakeven.csv'}, {target / 'breakeven-curves.csv'}")


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for recommend.csv (default: results/<scenario name>-recommend).")
@click.option("--target-coverage", type=click.FloatRange(0, 100), default=None,
              help="Also report the smallest commitment serving this percentage of the "
                   "instance-hours, e.g. 80.")
@click.option("--plot", "draw", is_flag=True,
              help="Also draw the savings-vs-commitment figure (PNG and SVG).")
def recommend(scenario: Path, out: Path | None, target_coverage: float | None,
              draw: bool) -> None:
    """Cheapest billing mode per phone and group, and the base load to hold on subscription."""
    loaded = load(scenario)
    target = _whatif_out(out, Path("results") / f"{loaded.name}-recommend")
    from sim.whatif.recommend import recommend as run_recommend

    recommendation = run_recommend(
        loaded, target_coverage=None if target_coverage is None else target_coverage / 100)
    recommendation.write(target)
    click.echo(recommendation.report())
    click.echo(f"outputs: {target / 'recommend.csv'}, {target / 'base-load.csv'}, "
               f"{target / 'commitment.csv'}")
    if draw:
        from sim.plots import plot_commitment

        written = plot_commitment(target / "commitment.csv", target,
                                  scenario=loaded.name, currency=loaded.currency)
        click.echo(f"figures: {', '.join(str(p) for p in written)}")


