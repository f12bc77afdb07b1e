"""Fleet benchmark: simulate a seeded fleet with every output written, against the naive reference.

    python benchmarks/fleet.py --phones 10000 [--years 1] [--format csv|parquet]
                               [--repeat 3] [--naive-repeat K] [--seed 0]

Each measured run is a fresh interpreter (spawn), so its peak memory is its own; the
figures printed are medians over the repeats. Wall seconds count `simulate` plus
`Result.write` (the scenario is generated and loaded before the clock starts).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules, run as a script

from fleet_gen import fleet_scenario  # noqa: E402
from naive import naive_run  # noqa: E402


def run_once(phones: int, years: float, seed: int, fmt: str, out: str | None = None) -> dict:
    """Generate, load, simulate and write one fleet; return its figures."""
    from sim import load_scenario, simulate

    t0 = time.perf_counter()
    scenario = load_scenario(fleet_scenario(phones, years, seed))
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fleet-") as tmp:
        result = simulate(scenario)
        result.write(Path(out or tmp) / scenario.name, format=fmt)
        t2 = time.perf_counter()
    return {
        "phones": len(scenario.phones),
        "years": years,
        "states": len(result.state_rows),
        "notifications": len(result.note_rows),
        "ledger": len(result.ledger_rows),
        "lines": len(result.usage_lines),
        "usage_e8": result.usage_lines.total_e8,
        "total_cost": result.summary["total_cost"],
        "load_s": t1 - t0,
        "wall_s": t2 - t1,
        "peak_mb": _peak_mb(),
    }


def naive_once(phones: int, years: float, seed: int) -> dict:
    """Time the naive reference on the same fleet."""
    from sim import load_scenario

    scenario = load_scenario(fleet_scenario(phones, years, seed))
    t0 = time.perf_counter()
    totals = naive_run(scenario)
    return {"wall_s": time.perf_counter() - t0, "lines": totals.lines,
            "usage_e8": totals.usage_e8, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(fn, *args) -> dict:
    """Run fn in a fresh interpreter, so that its time and peak memory are its own."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, required=True)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--naive-repeat", type=int, default=None,
                        help="runs of the naive reference (default: --repeat; 0 skips it)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    naive_repeat = args.repeat if args.naive_repeat is None else args.naive_repeat

    ours = [_in_child(run_once, args.phones, args.years, args.seed, args.format)
            for _ in range(args.repeat)]
    naive = [_in_child(naive_once, args.phones, args.years, args.seed)
             for _ in range(naive_repeat)]
    print(report(ours, naive, args.format))
    return 0


def report(ours: list[dict], naive: list[dict], fmt: str) -> str:
    """The figures as aligned text; medians over the runs."""
    first = ours[0]
    wall = statistics.median(r["wall_s"] for r in ours)
    peak = statistics.median(r["peak_mb"] for r in ours)
    events = first["states"] + first["notifications"] + first["ledger"]
    rows = [
        ("phones", f"{first['phones']:,}"),
        ("simulated years", f"{first['years']:g}"),
        ("lifecycle events", f"{events:,} (states {first['states']:,} + notifications "
                             f"{first['notifications']:,} + ledger {first['ledger']:,})"),
        ("bill lines", f"{first['lines']:,}"),
        ("output format", fmt),
        ("load s", f"{statistics.median(r['load_s'] for r in ours):.2f} (not in wall s)"),
        ("wall s", f"{wall:.2f} (median of {len(ours)}: {_walls(ours)})"),
        ("peak memory MB", f"{peak:.0f}"),
        ("bill lines / s", f"{first['lines'] / wall:,.0f}"),
    ]
    if naive:
        naive_wall = statistics.median(r["wall_s"] for r in naive)
        same = all(r["lines"] == first["lines"] and r["usage_e8"] == first["usage_e8"]
                   for r in naive)
        rows += [
            ("naive s", f"{naive_wall:.2f} (median of {len(naive)}: {_walls(naive)})"),
            ("naive lines and usage equal ours", "yes" if same else "NO"),
            ("ours / naive", f"{wall / naive_wall:.3f}"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _walls(runs: list[dict]) -> str:
    return ", ".join(f"{r['wall_s']:.2f}" for r in runs)


if __name__ == "__main__":
    sys.exit(main())
