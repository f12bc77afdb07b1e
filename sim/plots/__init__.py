"""Figures of a run and of what-if outputs, drawn from the output files (PNG and SVG).

matplotlib is imported only when a figure is drawn: `import sim` never loads it.
"""

from .files import plot_breakeven, plot_compare, plot_results

FIGURE_STEMS = ("timeline", "money", "compare", "breakeven")
FIGURE_FILES = tuple(f"{stem}.{ext}" for stem in FIGURE_STEMS for ext in ("png", "svg"))

__all__ = ["plot_results", "plot_compare", "plot_breakeven", "FIGURE_FILES"]
