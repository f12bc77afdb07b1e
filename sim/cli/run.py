"""`koophone-sim run | validate | plot`: simulate a scenario, check it, draw its figures."""

from __future__ import annotations

import contextlib
import gc
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import click

from sim.cli.app import (EXIT_INVALID, EXIT_REFUSED, OWN_PROCESS, PROG, claim_folder, load,
                         plural, write_failed)
from sim.interrupts import pause_point


PROGRESS_ABOVE_BYTES = 500_000_000  # runs estimated above this show the estimate, a bar


def _claim(out: Path, stack: contextlib.ExitStack):
    """Lock the output folder for this run (before simulating) and refuse an unsafe one."""
    from sim.result import KNOWN_FILES

    return claim_folder(out, stack, KNOWN_FILES, "results")


def _check_size(loaded, claim, file_format: str, force: bool, detail: str) -> bool:
    """Refuse (exit 2) a run whose outputs would not fit; True if it is worth a progress bar."""
    from sim.estimate import estimate_output, human_bytes

    estimate = estimate_output(loaded, file_format, detail)
    free = shutil.disk_usage(claim.target.parent).free
    if estimate.bytes > free and not force:
        click.echo(f"{PROG}: the outputs would take {estimate}, more than the "
                   f"{human_bytes(free)} free on {claim.target.parent}; nothing written "
                   "(--force writes anyway)", err=True)
        raise click.exceptions.Exit(EXIT_INVALID)
    if estimate.bytes > PROGRESS_ABOVE_BYTES:
        click.echo(f"{PROG}: this run writes {estimate} ({human_bytes(free)} free)", err=True)
        return True
    return False


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
              help="Format of the tables (parquet: the same rows, typed, for large runs).")
@click.option("--usage-detail", "usage_detail", type=click.Choice(["hourly", "daily", "none"]),
              default="hourly", show_default=True,
              help="The usage table: a bill line per phone and clock hour (usage.csv), "
                   "their sums per phone and local day (usage_daily.csv), or none. Costs "
                   "and totals are the same.")
@click.option("--report", "html", is_flag=True,
              help="Also write report.html, one self-contained page, into the outputs folder.")
@click.option("--strict", is_flag=True,
              help="Exit 3 (after writing the outputs) if any operation was refused, "
                   "listing them on stderr.")
@click.option("--durable", is_flag=True,
              help="Flush the outputs to disk (fsync) before and after the swap, so even a "
                   "power loss leaves the old or the new results whole (slower).")
@click.option("--force", is_flag=True,
              help="Write even if the estimated outputs exceed the free disk space.")
def run(scenario: Path, out: Path | None, draw: bool, file_format: str, usage_detail: str,
        html: bool, strict: bool, durable: bool, force: bool) -> None:
    """Simulate SCENARIO, write its outputs and print a short summary."""
    obj = click.get_current_context().obj
    if isinstance(obj, dict) and obj.get(OWN_PROCESS):
        # What a run builds (the scenario, its rows, the outputs) lives until the process
        # ends: the cyclic collector would rescan it in passes that free nothing, ~10 % of
        # a 10,000-phone run (one full pass after each phase, and during the reading).
        gc.disable()
    loaded = load(scenario)
    out_dir = out if out is not None else Path("results") / loaded.name
    with contextlib.ExitStack() as stack:
        claim = _claim(out_dir, stack)  # held until the results are in place
        from sim.engine import simulate  # the engine loads only when a run needs it
        from sim.scenario import expand

        plain = expand(loaded)  # a generate: fleet is drawn for replication 0
        big = _check_size(plain, claim, file_format, force, usage_detail)
        pause_point("simulating")
        result = simulate(plain)
        # Daily: the bar counts the bill lines summed (what takes the time), not the days.
        bar = stack.enter_context(click.progressbar(
            length=len(result.usage_lines), file=sys.stderr,
            label="summing bill lines per day" if usage_detail == "daily"
            else "writing bill lines")
        ) if big and usage_detail != "none" else None
        figures: list[Path] = []

        def draw_figures(folder: Path) -> None:  # inside the swap: figures whole or absent
            figures.extend(_draw(folder))

        try:
            result.write(claim, format=file_format, durable=durable,
                         also=draw_figures if draw else None,
                         progress=bar.update if bar is not None else None,
                         usage_detail=usage_detail)
        except OSError as exc:
            raise write_failed(exc, out_dir, whole=True) from None
    click.echo(_summary_table(result.summary, out_dir))
    if draw:
        click.echo(f"figures             {out_dir}: {', '.join(p.name for p in figures)}")
    if html:  # read from the folder in place: the report shows what summary.json lists
        from sim.cli.report import write

        click.echo(f"report              {write(out_dir, None)}")
    pause_point("summary")
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


def _draw(folder: Path, out: Path | None = None) -> list[Path]:
    from sim.manifest import DamagedResults
    from sim.plots import plot_results  # matplotlib loads only when figures are asked for

    try:
        return plot_results(folder, out)
    except (FileNotFoundError, DamagedResults) as exc:
        click.echo(f"{PROG}: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None


def _plot(folder: Path, out: Path | None, shown: Path) -> None:
    try:
        written = _draw(folder, out)
    except OSError as exc:
        raise write_failed(exc, out or folder) from None
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
