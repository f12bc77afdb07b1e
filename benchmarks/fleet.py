"""Fleet benchmark: a seeded fleet run end to end by the CLI, against the naive reference.

    python benchmarks/fleet.py --phones 10000 [--years 1] [--format csv|parquet]
                               [--input yaml|table|api] [--repeat 3] [--naive-repeat K]
                               [--seed 0]

`--input yaml` (the default) writes the fleet as a scenario file, `--input table` as a
`phones_table:` and an `actions_table:` (Parquet) named by a small scenario file; then the
whole `koophone-sim run FILE --out DIR --format F` command is timed in a subprocess:
interpreter start, imports, reading and checking the files, simulating, every output
written. Its peak memory and CPU seconds are the operating system's accounting of that
process (`wait4`).
`--input api` times `simulate` + `Result.write` inside a fresh interpreter instead (the
scenario loaded before the clock starts). Runs of ours and of the naive reference
alternate (A B A B ...), so a change in the machine's load touches both; the figures printed
are medians, and `ours / naive` is the median of the pairwise ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules, run as a script

from fleet_gen import dump_yaml, fleet_scenario, write_fleet_tables  # noqa: E402
from naive import naive_run  # noqa: E402

INPUTS = ("yaml", "table", "api")


def run_once(phones: int, years: float, seed: int, fmt: str, out: str | None = None) -> dict:
    """Generate, load, simulate and write one fleet in this interpreter; return its figures."""
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
    """Time the naive reference on the same fleet (simulation only: it writes nothing)."""
    from sim import load_scenario

    scenario = load_scenario(fleet_scenario(phones, years, seed))
    t0 = time.perf_counter()
    totals = naive_run(scenario)
    return {"wall_s": time.perf_counter() - t0, "lines": totals.lines,
            "usage_e8": totals.usage_e8, "peak_mb": _peak_mb()}


def cli_once(scenario: Path, out: Path, fmt: str, keep: bool = False) -> dict:
    """Time the whole `koophone-sim run` command as a process; its own rusage.

    `keep`: count what the run wrote (after the clock stops) and return the counts too.
    """
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out),
               "--format", fmt]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 reports this child's own peak memory and CPU (not the largest of all children).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {error}")
    figures = {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024,
               "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
               "output_mb": sum(f.stat().st_size for f in out.iterdir()) / 1e6}
    if keep:
        figures["counts"] = fleet_counts(out, fmt)
    shutil.rmtree(out, ignore_errors=True)
    return figures


def fleet_counts(out: Path, fmt: str) -> dict:
    """Counts of one written results folder: rows of each table, the exact usage sum."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    def batches(stem: str, columns: list[str] | None = None):
        path = out / f"{stem}.{fmt}"
        if fmt == "parquet":
            yield from pq.ParquetFile(path).iter_batches(columns=columns)
            return
        options = pa_csv.ConvertOptions(column_types={c: "string" for c in columns or ()},
                                        include_columns=columns)
        yield from pa_csv.open_csv(path, convert_options=options)

    def rows(stem: str) -> int:
        return sum(b.num_rows for b in batches(stem))

    lines = usage_e8 = 0
    for batch in batches("usage", ["amount"]):  # streamed: a million phones' lines
        lines += batch.num_rows
        amount = batch.column(0)
        if pa.types.is_decimal(amount.type):  # typed Parquet: exact decimals
            usage_e8 += int((pc.sum(amount).as_py() or 0).scaleb(8))
        else:  # CSV text with 8 decimals
            e8 = pc.cast(pc.replace_substring(amount, ".", ""), "int64")
            usage_e8 += pc.sum(e8).as_py() or 0
    summary = json.loads((out / "summary.json").read_text())
    return {"phones": len(summary["phones"]), "states": rows("states"),
            "notifications": rows("notifications"), "ledger": rows("ledger"),
            "lines": lines, "usage_e8": usage_e8, "total_cost": summary["total_cost"]}


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
    parser.add_argument("--input", choices=INPUTS, default="yaml",
                        help="yaml: the CLI end to end on a scenario file; table: the same "
                             "with the fleet in Parquet tables; api: simulate + write "
                             "in-process")
    parser.add_argument("--scenario", type=Path, default=None,
                        help="time the command on this scenario file (a fleet made before, "
                             "e.g. a million phones' tables) instead of generating one; "
                             "--phones, --years and --seed then only label the report")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--naive-repeat", type=int, default=None,
                        help="runs of the naive reference (default: --repeat; 0 skips it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the scenario file and outputs (default: a temporary "
                             "folder next to the system's)")
    args = parser.parse_args(argv)
    naive_repeat = args.repeat if args.naive_repeat is None else args.naive_repeat

    with tempfile.TemporaryDirectory(prefix="fleet-bench-", dir=args.workdir) as tmp:
        ours, naive = [], []
        scenario = Path(tmp) / f"fleet-{args.phones}.yaml"
        if args.scenario is not None:
            scenario = args.scenario
        elif args.input == "yaml":
            scenario.write_text(dump_yaml(fleet_scenario(args.phones, args.years, args.seed)),
                                encoding="utf-8")
        elif args.input == "table":
            scenario = write_fleet_tables(fleet_scenario(args.phones, args.years, args.seed),
                                          Path(tmp))
        inputs_mb = sum(f.stat().st_size for f in scenario.parent.iterdir()
                        if f.is_file()) / 1e6
        for i in range(max(args.repeat, naive_repeat)):
            if i < args.repeat:
                if args.input != "api":
                    ours.append(cli_once(scenario, Path(tmp) / "out", args.format,
                                         keep=not ours))
                else:
                    ours.append(_in_child(run_once, args.phones, args.years, args.seed,
                                          args.format))
            if i < naive_repeat:
                naive.append(_in_child(naive_once, args.phones, args.years, args.seed))
        first = ours[0]
        if args.input != "api":
            first = first["counts"] | {"years": args.years, "input_mb": inputs_mb}
    print(report(ours, naive, args.format, args.input, first))
    return 0


def report(ours: list[dict], naive: list[dict], fmt: str, source: str, first: dict) -> str:
    """The figures as aligned text; medians over the runs."""
    wall = statistics.median(r["wall_s"] for r in ours)
    peak = statistics.median(r["peak_mb"] for r in ours)
    events = first["states"] + first["notifications"] + first["ledger"]
    rows = [
        ("phones", f"{first['phones']:,}"),
        ("simulated years", f"{first['years']:g}"),
        ("lifecycle events", f"{events:,} (states {first['states']:,} + notifications "
                             f"{first['notifications']:,} + ledger {first['ledger']:,})"),
        ("bill lines", f"{first['lines']:,}"),
        ("input", source + (f" ({first['input_mb']:.1f} MB)" if "input_mb" in first else "")),
        ("output format", fmt),
    ]
    if source == "api":
        rows.append(("load s", f"{statistics.median(r['load_s'] for r in ours):.2f} "
                               "(not in wall s)"))
        rows.append(("wall s", f"{wall:.2f} (median of {len(ours)}: {_walls(ours)}; "
                               "simulate + write)"))
    else:
        rows += [
            ("wall s", f"{wall:.2f} (median of {len(ours)}: {_walls(ours)}; "
                       "the whole command)"),
            ("cpu s", f"{statistics.median(r['user_s'] for r in ours):.2f} user + "
                      f"{statistics.median(r['sys_s'] for r in ours):.2f} sys"),
            ("outputs MB", f"{ours[0]['output_mb']:,.0f}"),
        ]
    rows += [
        ("peak memory MB", f"{peak:.0f}"),
        ("bill lines / s", f"{first['lines'] / wall:,.0f}"),
    ]
    if naive:
        naive_wall = statistics.median(r["wall_s"] for r in naive)
        same = all(r["lines"] == first["lines"] and r["usage_e8"] == first["usage_e8"]
                   for r in naive)
        pairs = [a["wall_s"] / b["wall_s"] for a, b in zip(ours, naive)]
        rows += [
            ("naive s", f"{naive_wall:.2f} (median of {len(naive)}: {_walls(naive)})"),
            ("naive lines and usage equal ours", "yes" if same else "NO"),
            ("ours / naive", f"{statistics.median(pairs):.3f} (median of {len(pairs)} "
                             f"pairs: {', '.join(f'{p:.3f}' for p in pairs)})"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _walls(runs: list[dict]) -> str:
    return ", ".join(f"{r['wall_s']:.2f}" for r in runs)


if __name__ == "__main__":
    sys.exit(main())
