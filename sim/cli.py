"""Command line `koophone-sim run|validate SCENARIO`: thin commands that call the library.

Exit codes (interface contract): 0 success, 2 invalid input (problems on stderr, nothing
written), 1 internal error (one line on stderr; the traceback only with KOOPHONE_DEBUG=1),
3 `run --strict` with refused operations (outputs written), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from sim.cli_safety import EXIT_INTERRUPTED, EXIT_REFUSED, refused_lines
from sim.cli_sweep import sweep_command
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.models import Scenario

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2
DEBUG_ENV = "KOOPHONE_DEBUG"
PROG = "koophone-sim"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _report_invalid(exc: ScenarioError, file: object) -> None:
    """The file name line, then one `path: message` line per problem, on stderr."""
    click.echo(f"{exc.file or file}: invalid scenario "
               f"({_plural(len(exc.problems), 'problem')})", err=True)
    for problem in exc.problems:
        click.echo(str(problem), err=True)


def _report_internal(exc: BaseException) -> None:
    if os.environ.get(DEBUG_ENV) == "1":
        traceback.print_exception(exc, file=sys.stderr)
    reason = " ".join(str(exc).split()) or type(exc).__name__
    hint = "" if os.environ.get(DEBUG_ENV) == "1" else f" (set {DEBUG_ENV}=1 for details)"
    click.echo(f"{PROG}: internal error: {type(exc).__name__}: {reason}{hint}", err=True)


class _Guarded(click.Group):
    """Turns ScenarioError into exit 2 and any other failure into a one-line exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise  # click's own usage errors (exit 2) and exits
        except ScenarioError as exc:
            _report_invalid(exc, ctx.params.get("scenario"))
            ctx.exit(EXIT_INVALID)
        except KeyboardInterrupt:
            # Ctrl-C: one line, exit 130; outputs are written whole or not at all.
            click.echo(f"{PROG}: interrupted; no results folder is left half-written",
                       err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            _report_internal(exc)
            ctx.exit(EXIT_INTERNAL)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _report_invalid(exc, path)
        raise click.exceptions.Exit(EXIT_INVALID) from None


def _check_out(out: Path) -> Path:
    """Refuse, before simulating, an output folder that Result.write would refuse."""
    from sim.atomic import replace_refusal
    from sim.result import KNOWN_FILES

    refusal = replace_refusal(out, KNOWN_FILES)
    if refusal is not None:
        raise click.BadParameter(f"{refusal}; choose a new or a previous results folder",
                                 param_hint="--out")
    return out.resolve()


SUMMARY_ROWS = 40  # phones listed by `run`; summary.json has every one


def _summary_table(summary: dict, written: Path | str) -> str:
    """A short human summary: one row per phone, then the account totals."""
    rows = [("phone", "billing", "final state", "cost")]
    phones = list(summary["phones"].items())
    for phone_id, phone in phones[:SUMMARY_ROWS]:  # a fleet of thousands: the file has all
        rows.append((phone_id, phone["billing"], phone["final_state"] or "-", phone["cost"]))
    if len(phones) > SUMMARY_ROWS:
        rows.append((f"... {len(phones) - SUMMARY_ROWS} more", "", "", "(summary.json)"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [f"{summary['scenario']}: {summary['start']} -> {summary['end']} "
             f"({summary['currency']})", ""]
    for row in rows:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  "
                     f"{row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}")
    currency = summary["currency"]
    lines += [
        "",
        f"final balance       {summary['final_balance']} {currency}",
        f"total cost          {summary['total_cost']} {currency}",
        f"refused operations  {summary['refused_operations']}",
        f"outputs             {written}",
    ]
    return "\n".join(lines)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="koophone-sim", prog_name=PROG)
def cli() -> None:
    """Simulate how KooPhone cloud phones are billed over their whole life."""


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for the outputs (default: results/<scenario name>).")
@click.option("--plot", "draw", is_flag=True,
              help="Also draw the figures (PNG and SVG) into the outputs folder.")
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet"]),
              default="csv", show_default=True,
              help="Format of the four tables (parquet: same columns and text, for large runs).")
@click.option("--strict", is_flag=True,
              help="Exit 3 (after writing the outputs) if any operation was refused, "
                   "listing them on stderr.")
def run(scenario: Path, out: Path | None, draw: bool, file_format: str,
        strict: bool) -> None:
    """Simulate SCENARIO, write its outputs and print a short summary."""
    if draw and file_format != "csv":
        raise click.UsageError("--plot draws from the CSV outputs; use it with --format csv")
    loaded = _load(scenario)
    out_dir = out if out is not None else Path("results") / loaded.name
    target = _check_out(out_dir)
    from sim.engine import simulate  # the engine loads only when a run needs it

    result = simulate(loaded)
    try:
        result.write(target, format=file_format)
    except OSError as exc:
        click.echo(f"{PROG}: cannot write the outputs to {out_dir}: "
                   f"{exc.strerror or exc}", err=True)
        raise click.exceptions.Exit(EXIT_INTERNAL) from None
    click.echo(_summary_table(result.summary, out_dir))
    if draw:
        _plot(target, None, shown=out_dir)
    if strict and result.summary["refused_operations"]:
        lines = refused_lines(result)
        click.echo(f"{PROG}: --strict: {_plural(len(lines), 'operation')} refused "
                   "(time, phone: reason):", err=True)
        click.echo("\n".join(lines), err=True)
        raise click.exceptions.Exit(EXIT_REFUSED)


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for the figures (default: RESULTS_DIR).")
def plot(results_dir: Path, out: Path | None) -> None:
    """Draw the figures of a results folder: timeline, money, compare, break-even."""
    _plot(results_dir, out, shown=out if out is not None else results_dir)


def _plot(folder: Path, out: Path | None, shown: Path) -> None:
    from sim.plots import plot_results  # matplotlib loads only when figures are asked for

    try:
        written = plot_results(folder, out)
    except FileNotFoundError as exc:
        click.echo(f"{PROG}: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None
    click.echo(f"figures             {shown}: {', '.join(p.name for p in written)}")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check SCENARIO without simulating: exit 0, or 2 with every problem."""
    loaded = _load(scenario)
    click.echo(f"ok: {loaded.name} ({_plural(len(loaded.phones), 'phone')})")


# --- what-if: compare, breakeven, recommend -----------------------------------------------
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


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--modes", default="monthly,yearly,pay_per_use", show_default=True,
              callback=_modes, help="Billing modes to compare, comma-separated.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for compare.csv (default: results/<scenario name>-compare).")
def compare(scenario: Path, modes: tuple[str, ...], out: Path | None) -> None:
    """Re-simulate SCENARIO's usage under each billing mode; cheapest mode per phone."""
    loaded = _load(scenario)
    target = _whatif_out(out, Path("results") / f"{loaded.name}-compare")
    from sim.whatif.compare import compare as run_compare

    comparison = run_compare(loaded, modes)
    comparison.write(target)
    click.echo(comparison.report())
    click.echo(f"outputs: {target / 'compare.csv'}, {target / 'compare-best.csv'}")


@cli.command()
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
            click.echo(f"{catalog_file}: invalid catalog "
                       f"({_plural(len(exc.problems), 'problem')})", err=True)
            for problem in exc.problems:
                click.echo(str(problem), err=True)
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


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for recommend.csv (default: results/<scenario name>-recommend).")
def recommend(scenario: Path, out: Path | None) -> None:
    """Cheapest billing mode per phone and group, and the base load to hold on subscription."""
    loaded = _load(scenario)
    target = _whatif_out(out, Path("results") / f"{loaded.name}-recommend")
    from sim.whatif.recommend import recommend as run_recommend

    recommendation = run_recommend(loaded)
    recommendation.write(target)
    click.echo(recommendation.report())
    click.echo(f"outputs: {target / 'recommend.csv'}, {target / 'base-load.csv'}")


cli.add_command(sweep_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`koophone-sim`, `python -m sim`)."""
    cli.main(args=argv, prog_name=PROG)
