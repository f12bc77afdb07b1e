"""`koophone-sim run | validate | plot`: simulate a scenario, check it, draw its figures."""

from __future__ import annotations

from decimal import Decimal
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


SUMMARY_ROWS = 40  # a fleet up to this size is listed phone by phone
COSTLIEST = 10  # above it, the costliest phones (cash) are listed, then the groups
NAMED = 3  # phones named beside a lifecycle loss


def _money(text: str | None) -> str:
    """An exact money string from summary.json, to cents for reading (files stay exact)."""
    from sim.money import cents

    return "-" if text is None else f"{cents(Decimal(text)):,}"


def _columns(rows: list[tuple], right: set[int]) -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                      for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]


def _losses(summary: dict) -> list[str]:
    """Failed auto-renewals, phones lost and hours unusable, with the phones concerned."""
    phones = summary["phones"]
    losses = summary.get("lifecycle_losses")
    if losses is None:
        return [f"refused operations  {summary['refused_operations']}"]

    def named(key: str, unit: str = "") -> str:
        """The phones with the most of `key`, each with its figure."""
        most = sorted(((v.get(key) or 0, p) for p, v in phones.items() if v.get(key)),
                      key=lambda x: -x[0])
        shown = ", ".join(f"{p} {n:,.1f}{unit}" if isinstance(n, float) else f"{p} x{n}"
                          for n, p in most[:NAMED])
        return f" ({shown}{', ...' if len(most) > NAMED else ''})" if most else ""

    ended = {s: [p for p, v in phones.items() if v["final_state"] == s.capitalize()]
             for s in ("expired", "frozen", "released")}
    rows = [("failed auto-renewals", f"{losses['failed_auto_renewals']}"
                                     f"{named('failed_renewals')}")]
    for state in ("expired", "frozen", "released"):
        now = ended[state]
        rows.append((f"phones {state}", f"{losses[f'phones_{state}']}"
                     + (f" (at the end: {', '.join(now[:NAMED])}"
                        f"{', ...' if len(now) > NAMED else ''})" if now else "")))
    rows.append(("hours unusable", f"{losses['unusable_hours']:,.1f}"
                                   f"{named('unusable_hours', ' h')}"))
    rows.append(("refused operations", f"{summary['refused_operations']}"
                                       f"{named('refused_operations')}"))
    return ["lifecycle losses (Expired, Frozen or Released while in use = unusable):",
            *("  " + line for line in _columns(rows, set()))]


def _summary_table(summary: dict, written: Path | str) -> str:
    """The printed summary: phones (or the costliest and the groups), totals per billing
    mode in both views, lifecycle losses. Money to cents; files keep exact values."""
    cur = summary["currency"]
    phones = list(summary["phones"].items())
    lines = [f"{summary['scenario']}: {summary['start']} -> {summary['end']} ({cur})", ""]
    shown = phones
    if len(phones) > SUMMARY_ROWS:
        shown = sorted(phones, key=lambda kv: -Decimal(kv[1]["cost"]))[:COSTLIEST]
        lines.append(f"{len(phones)} phones; the {COSTLIEST} costliest (cash; every phone "
                     "is in costs.csv):")
    rows = [("phone", "billing", "qty", "final state", "cash", "accrued", "unusable h")]
    for phone_id, p in shown:
        rows.append((phone_id, p["billing"], p.get("quantity", 1), p["final_state"] or "-",
                     _money(p["cost"]), _money(p.get("cost_accrued")),
                     f"{p.get('unusable_hours', 0):,.1f}"))
    lines += _columns(rows, {2, 4, 5, 6})
    groups = summary.get("by_group") or {}
    if groups:
        rows = [("group", "phones", "instances", "cash", "accrued")]
        for name, g in groups.items():
            rows.append((name, g["phones"], g["instances"], _money(g["cash"]),
                         _money(g["accrued"])))
        lines += ["", *_columns(rows, {1, 2, 3, 4})]
    modes = summary.get("by_billing") or {}
    rows = [("billing mode", f"cash ({cur})", f"accrued ({cur})")]
    for mode, v in modes.items():
        rows.append((mode, _money(v["cash"]), _money(v["accrued"])))
    rows.append(("total", _money(summary["total_cost"]),
                 _money(summary.get("total_cost_accrued"))))
    lines += ["", *_columns(rows, {1, 2}),
              "cash: what left the account, when it was paid; accrued: each order spread",
              "over the time it pays for, inside the window (per month: monthly.csv)", ""]
    lines += _losses(summary)
    lines += ["",
              f"final balance       {_money(summary['final_balance'])} {cur}",
              f"outputs             {written}"]
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
    from sim.scenario import expand

    result = simulate(expand(loaded))  # a generate: fleet is drawn for replication 0
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
