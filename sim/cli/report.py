"""`koophone-sim report RESULTS_DIR [--out FILE]`: one self-contained HTML page of a folder."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.app import EXIT_INVALID, PROG, write_failed


@click.command()
@click.argument("results_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file to write (default: RESULTS_DIR/report.html).")
def report(results_dir: Path, out: Path | None) -> None:
    """Write one self-contained HTML report of RESULTS_DIR (a run, compare, sweep ...)."""
    written = write(results_dir, out)
    click.echo(f"report              {written}")


def write(results_dir: Path, out: Path | None) -> Path:
    """The report of a folder; a folder with nothing to report is exit 2."""
    from sim.manifest import DamagedResults
    from sim.report import write_report  # matplotlib loads only when a report is asked for

    try:
        return write_report(results_dir, out)
    except (FileNotFoundError, DamagedResults) as exc:  # a damaged file is named, not shown
        click.echo(f"{PROG}: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None
    except OSError as exc:
        raise write_failed(exc, out or results_dir) from None
