"""koophone-sim: simulate how KooPhone cloud phones are billed over their whole life.

One way in: `load_scenario(path)` -> `simulate(scenario)` -> `Result` (DataFrames,
`summary`, `write(folder)`). The command line and the notebooks only call these.
"""

from . import engine
from .result import Result
from .scenario import ScenarioError, expand, load_scenario
from .whatif.breakeven import breakeven
from .whatif.compare import compare
from .whatif.recommend import recommend
from .whatif.sweep import sweep

__all__ = ["load_scenario", "simulate", "Result", "ScenarioError", "sweep",
           "compare", "breakeven", "recommend"]
__version__ = "0.1.0"


def simulate(scenario, replication: int = 0) -> Result:
    """Simulate a loaded scenario; its `generate:` groups are drawn for `replication` first."""
    return engine.simulate(expand(scenario, replication))
