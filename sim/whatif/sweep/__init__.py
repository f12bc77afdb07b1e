"""`sweep`: run a base scenario over a grid of overrides x replications, in parallel.

    result = sweep("scenarios/sweep-balance-mode.yaml", workers=4)     # or dask="local"
    result.table, result.summary                                       # DataFrames
    result.write("results/sweep-balance-mode")     # sweep.csv, sweep.parquet, sweep-summary.csv

Variant v is the v-th combination of the grid (last key varying fastest); replication r of
a scenario with `generate:` draws from SeedSequence(seed, spawn_key=(r, ...)), so the table
is the same for a seed whatever the number of workers or the backend.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path

from sim.whatif.sweep.runner import run_jobs
from sim.whatif.sweep.spec import SweepSpec, base_data, load_sweep
from sim.whatif.sweep.table import SWEEP_FILES, SweepResult
from sim.whatif.sweep.task import Base, Job

__all__ = ["sweep", "load_sweep", "SweepSpec", "SweepResult", "SWEEP_FILES"]


def sweep(spec_or_path: SweepSpec | str | os.PathLike | Mapping, *, workers: int | None = None,
          dask=None, progress: bool = True) -> SweepResult:
    """Run every variant x replication of a sweep and gather the results.

    `workers`: processes of the local pool (default: the CPU count; 1 runs in this
    process). `dask`: 'local' starts a LocalCluster of `workers` processes, an address
    connects to a running scheduler, a `distributed.Client` is used as it is.
    Raises ScenarioError (with paths) for a bad sweep file or base scenario.
    """
    if isinstance(spec_or_path, SweepSpec) and spec_or_path._base is not None:
        spec = spec_or_path  # from load_sweep: checked, its base read once already
    elif isinstance(spec_or_path, SweepSpec):
        spec = load_sweep(spec_or_path.model_dump(), base_dir=Path.cwd())  # re-checked
    else:
        spec = load_sweep(spec_or_path)
    data = base_data(spec)
    base = Base(data=data, folder=str(Path(spec.base).resolve().parent))
    params = list(spec.grid)
    combos = list(itertools.product(*spec.grid.values()))
    jobs = [Job(variant=v, overrides=tuple(zip(params, combo)), replications=spec.replications,
                seed=spec.seed)
            for v, combo in enumerate(combos)]
    values = {v: dict(zip(params, combo)) for v, combo in enumerate(combos)}
    seeds = {v: _seed(values[v], spec.seed, data.get("seed")) for v in values}
    rows = run_jobs(base, jobs, workers=workers, dask=dask, progress=progress, desc=spec.name)
    return SweepResult(spec.name, params, values, seeds, rows)


def _seed(values: dict, sweep_seed: int | None, base_seed: object) -> int | None:
    """The seed a variant runs with: a swept `seed`, else the sweep's, else the base's."""
    seed = values.get("seed", sweep_seed if sweep_seed is not None else base_seed)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None
