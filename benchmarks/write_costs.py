"""What the checksum list and `--durable` add to writing a fleet's results.

    python benchmarks/write_costs.py [--phones 10000] [--years 1] [--repeat 3]

Simulates once, then writes the results `--repeat` times with `durable=True`, timing the
parts apart: the SHA-256 of every file (CPU and wall) and the fsync calls (wall).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules, run as a script

from fleet_gen import fleet_scenario  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import sim.atomic as atomic
    import sim.result as result_module
    from sim import load_scenario, simulate

    spent: dict[str, float] = {}
    fsync, entries = atomic._fsync, result_module.file_entries

    def timed_fsync(path):
        start = time.perf_counter()
        fsync(path)
        spent["fsync wall"] += time.perf_counter() - start

    def timed_entries(folder):
        start, cpu = time.perf_counter(), time.process_time()
        listed = entries(folder)
        spent["sha256 wall"] += time.perf_counter() - start
        spent["sha256 cpu"] += time.process_time() - cpu
        return listed

    atomic._fsync, result_module.file_entries = timed_fsync, timed_entries
    result = simulate(load_scenario(fleet_scenario(args.phones, args.years)))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            spent.update(dict.fromkeys(("fsync wall", "sha256 wall", "sha256 cpu"), 0.0))
            start, cpu = time.perf_counter(), time.process_time()
            result.write(out, durable=True)
            size = sum(p.stat().st_size for p in out.iterdir())
            print(f"write {time.perf_counter() - start:.2f} s wall, "
                  f"{time.process_time() - cpu:.2f} s cpu, {size / 1e9:.2f} GB; "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()), flush=True)


if __name__ == "__main__":
    main()
