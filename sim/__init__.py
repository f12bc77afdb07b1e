"""koophone-sim: simulate how KooPhone cloud phones are billed over their whole life.

One way in: `load_scenario(path)` -> `simulate(scenario)` -> `Result` (DataFrames,
`summary`, `write(folder)`); `read_results(folder)` reads a written folder back, typed.
The command line and the notebooks only call these.
Names load on first use (PEP 562): the command line starts, and handles Ctrl-C, before
pandas and the engine are imported.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "Result": "sim.result", "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario", "breakeven": "sim.whatif.breakeven",
    "compare": "sim.whatif.compare", "recommend": "sim.whatif.recommend",
    "sweep": "sim.whatif.sweep", "verify_results": "sim.manifest",
    "DamagedResults": "sim.manifest", "read_results": "sim.loader",
}
__all__ = ["simulate", *_WHERE]
__version__ = "0.1.0"


def simulate(scenario, replication: int = 0) -> Result:
    """Simulate a loaded scenario; its `generate:` groups are drawn for `replication` first."""
    from .engine import simulate as run_plain
    from .scenario import expand

    return run_plain(expand(scenario, replication))


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
