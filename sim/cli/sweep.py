"""`koophone-sim sweep SWEEP.yaml`: a thin command over `sim.whatif.sweep.sweep`.

Exit codes as the other commands: 0 done (failed variants are rows with an `error`, listed
on stderr), 2 invalid sweep file or base scenario (paths on stderr, nothing written),
1 internal error, or some variant could not be run at all (its worker process died even
on fresh pools: outputs written, those rows have an `error`), 130 interrupted (Ctrl-C:
nothing written).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from sim.cli.app import (EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_INVALID, claim_folder, plural,
                         report_invalid, write_failed)

MAX_LISTED_FAILURES = 20


def _invalid(exc, sweep_file: Path) -> click.exceptions.Exit:
    """Report a bad sweep file, or a bad base scenario, with every problem's path."""
    is_base = exc.file is not None and Path(exc.file) != sweep_file
    report_invalid(exc, sweep_file,
                   "invalid scenario (the sweep's base)" if is_base else "invalid sweep")
    return click.exceptions.Exit(EXIT_INVALID)


def _claim(target: Path, stack: contextlib.ExitStack):
    """Lock the sweep's output folder and refuse one holding anything but a sweep's files."""
    from sim.whatif.sweep.table import SWEEP_FILES, looks_like_sweep

    return claim_folder(target, stack, SWEEP_FILES, "sweep", looks_like_sweep)


def _run(spec, sweep_file: Path, workers, dask_target, progress):
    """The sweep's result and its seconds; exits 2 (base changed), 130 (Ctrl-C), 1 (no Dask)."""
    from sim.scenario import ScenarioError
    from sim.whatif.sweep import sweep

    started = time.perf_counter()
    try:
        result = sweep(spec, workers=workers, dask=dask_target, progress=progress)
    except ScenarioError as exc:  # the base changed under us since load_sweep
        raise _invalid(exc, sweep_file) from None
    except KeyboardInterrupt:
        click.echo(f"{spec.name}: interrupted; stopped the workers, nothing written", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    except ImportError as exc:
        raise click.ClickException(f"--dask needs Dask: pip install 'koophone-sim[dask]' "
                                   f"({exc})") from None
    return result, time.perf_counter() - started


def _report_failures(result) -> None:
    """One stderr line per failed variant: its parameters and its (first) error."""
    failed = result.summary[result.summary["failed"] > 0]
    for _, row in failed.head(MAX_LISTED_FAILURES).iterrows():
        params = ", ".join(f"{p}={row[p]}" for p in result.params if p in row.index)
        total = row["replications"] + row["failed"]
        runs = "" if row["replications"] == 0 else f" ({row['failed']} of {total} replications)"
        click.echo(f"variant {row['variant']} failed{runs}"
                   f"{f' [{params}]' if params else ''}: {row['error']}", err=True)
    if len(failed) > MAX_LISTED_FAILURES:
        click.echo(f"... and {len(failed) - MAX_LISTED_FAILURES} more failed variants "
                   "(see the error column)", err=True)


@click.command("sweep")
@click.argument("sweep_file", metavar="SWEEP", type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(min=1),
              help="Worker processes (default: one per CPU; 1 runs in this process).")
@click.option("--dask", "dask_target", metavar="ADDRESS|local",
              help="Run on Dask: 'local' starts a local cluster, an address connects to a "
                   "running scheduler (its workers need koophone-sim installed).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for sweep.csv, sweep.parquet, sweep-summary.csv "
                   "(default: results/<sweep name>).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
def sweep_command(sweep_file: Path, workers: int | None, dask_target: str | None,
                  out: Path | None, progress: bool) -> None:
    """Run SWEEP: a base scenario over a grid of overrides x replications, in parallel."""
    from sim.scenario import ScenarioError
    from sim.whatif.sweep import load_sweep

    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as exc:
        raise _invalid(exc, sweep_file) from None
    target = out if out is not None else Path("results") / spec.name
    with contextlib.ExitStack() as stack:
        claim = _claim(target, stack)  # locked and checked before any variant runs
        result, elapsed = _run(spec, sweep_file, workers, dask_target, progress)
        try:
            claim.fill(result.write_into)  # the three files swapped in whole, or none
        except OSError as exc:
            raise write_failed(exc, target, whole=True) from None
    backend = (f"dask {dask_target}" if dask_target else
               plural(workers, "worker") if workers else "one worker per CPU")
    _report_failures(result)
    failed = int((result.summary["failed"] > 0).sum())
    runs = len(result.table)
    click.echo(f"{spec.name}: {plural(spec.variants, 'variant')} x "
               f"{plural(spec.replications, 'replication')} = {plural(runs, 'run')} in "
               f"{elapsed:.1f} s ({backend}); {failed} failed")
    flagged = result.table[result.table["flagged"].fillna(0) > 0]
    if len(flagged):
        variants = sorted(set(flagged["variant"].tolist()))
        shown = ", ".join(str(v) for v in variants[:10]) + (", ..." if len(variants) > 10
                                                              else "")
        click.echo(f"{plural(len(flagged), 'run')} flagged (refused operations, unusable "
                   f"hours or failed renewals: low cost there means the fleet was not "
                   f"served), in variants {shown}; column `flagged` of sweep.csv")
    click.echo(f"outputs: {target / 'sweep.csv'}, {target / 'sweep.parquet'}, "
               f"{target / 'sweep-summary.csv'}")
    if result.lost:
        click.echo(f"{spec.name}: incomplete: {plural(len(result.lost), 'variant')} could not "
                   "be run (worker processes died); their rows have an error", err=True)
        raise click.exceptions.Exit(EXIT_INTERNAL)
