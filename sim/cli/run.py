"""`koophone-sim run | validate | plot`: simulate a scenario, check it, draw its figures."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.app import EXIT_INTERNAL, EXIT_INVALID, EXIT_REFUSED, PROG, load, plural


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


@click.command()
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
    loaded = load(scenario)
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
        click.echo(f"{PROG}: --strict: {plural(len(lines), 'operation')} refused "
                   "(time, phone: reason):", err=True)
        click.echo("\n".join(lines), err=True)
        raise click.exceptions.Exit(EXIT_REFUSED)


@click.command()
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


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check SCENARIO without simulating: exit 0, or 2 with every problem."""
    loaded = load(scenario)
    click.echo(f"ok: {loaded.name} ({plural(len(loaded.phones), 'phone')})")




def refused_lines(result) -> list[str]:
    """One line per refused operation: time, phone, the reason (from notifications)."""
    notes = result.notifications
    refused = notes[notes["kind"] == "operation_refused"]
    return [f"  {time.isoformat()} {phone or '-'}: {detail}"
            for time, phone, detail in zip(refused["time"], refused["phone"],
                                           refused["detail"])]
