"""Figures of a run and of what-if outputs, drawn from the output files (PNG and SVG).

matplotlib is imported only when a figure is drawn: `import sim` never loads it.
"""

from ..result import FIGURE_FILES
from .files import (plot_breakeven, plot_commitment, plot_compare, plot_results, plot_sweep,
                    run_figures)

__all__ = ["plot_results", "plot_compare", "plot_breakeven", "plot_commitment", "plot_sweep",
           "run_figures",
           "FIGURE_FILES"]
