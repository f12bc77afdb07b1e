"""Where the time of one `koophone-sim run` goes: the command's steps, timed one by one.

    python benchmarks/stages.py SCENARIO [--format csv|parquet] [--usage-detail D]
                                [--out DIR] [--profile N]

Does what `run` does, in the same order and with the collector off as the command has it
(importing, reading the file, checking it, simulating, then each output file), and prints
wall and CPU seconds per step. `--profile N` also prints the N costliest functions of the
whole run (cProfile, own time; profiled steps run slower than plain ones). The usage table
is written in this process, after the other tables, so that its time is its own (the
command forks it off to write it beside them: its wall time is then about the larger of
the two, not their sum).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path


class Steps:
    """Wall and CPU seconds per named step."""

    def __init__(self):
        self.rows: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def done(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.rows.append((name, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu

    def report(self) -> str:
        width = max(len(name) for name, _, _ in self.rows)
        lines = [f"{'step':<{width}}  {'wall s':>7}  {'cpu s':>7}"]
        lines += [f"{name:<{width}}  {wall:7.2f}  {cpu:7.2f}" for name, wall, cpu in self.rows]
        total_wall = sum(r[1] for r in self.rows)
        total_cpu = sum(r[2] for r in self.rows)
        lines.append(f"{'total':<{width}}  {total_wall:7.2f}  {total_cpu:7.2f}")
        return "\n".join(lines)


def run_steps(scenario: Path, fmt: str, out: Path, usage_detail: str = "hourly") -> Steps:
    """The command's steps, each timed."""
    gc.disable()  # as `koophone-sim run` has it
    steps = Steps()
    import sim.cli  # noqa: F401  (what the console script imports)
    from sim.scenario import load_scenario
    from sim.scenario.yaml_io import load_yaml
    steps.done("import the command")
    from sim.engine import simulate
    steps.done("import the engine")
    data = load_yaml(scenario)
    steps.done("read the YAML")
    loaded = load_scenario(data, base_dir=scenario.parent)
    steps.done("check (+ read tables)")
    result = simulate(loaded)
    steps.done("simulate (+ totals, summary)")
    import sim.forked
    import sim.result as module

    sim.forked.available = lambda: False  # one step after another, each timed (docstring)

    # Time each table as Result.write writes it; the rest of the write is summary.json,
    # the folder swap and whatever else the write does.
    originals = {name: getattr(module, name)
                 for name in ("write_rows", "write_usage", "write_usage_daily")}
    timed: list[tuple[str, float, float]] = []

    def timer(write):
        def call(path, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            out = write(path, *args, **kwargs)
            timed.append((Path(path).name, time.perf_counter() - wall,
                          time.process_time() - cpu))
            return out
        return call

    for name, write in originals.items():
        setattr(module, name, timer(write))
    try:
        result.write(out / "results", format=fmt, usage_detail=usage_detail)
    finally:
        for name, write in originals.items():
            setattr(module, name, write)
    steps.done("write")
    name, wall, cpu = steps.rows.pop()
    for row in timed:
        steps.rows.append((f"write {row[0]}", row[1], row[2]))
    steps.rows.append(("write the rest (summary.json...)", wall - sum(r[1] for r in timed),
                       cpu - sum(r[2] for r in timed)))
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--usage-detail", choices=("hourly", "daily", "none"), default="hourly")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stages-", dir=args.out) as tmp:
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            steps = profiler.runcall(run_steps, args.scenario, args.format, Path(tmp),
                                     args.usage_detail)
            print(steps.report())
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        else:
            print(run_steps(args.scenario, args.format, Path(tmp), args.usage_detail).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
