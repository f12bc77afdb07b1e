"""Colours, markers and the deterministic figure/save helpers shared by every plot.

matplotlib is imported inside the functions only, so `import sim.plots` stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

# Okabe-Ito (colour-blind safe), plus two greys for the terminal states; one fixed colour
# per state so the same state looks the same in every figure.
STATE_COLORS = {
    "Creating": "#56B4E9",      # sky blue
    "Running": "#009E73",       # bluish green
    "Stopped": "#0072B2",       # blue
    "Expired": "#F0E442",       # yellow
    "Arrears": "#E69F00",       # orange
    "Frozen": "#882255",        # wine (hatched): never to be taken for Arrears' orange
    "Released": "#CC79A7",      # reddish purple
    "Unsubscribed": "#999999",  # grey
    "Deleted": "#000000",       # black
}
STATES = tuple(STATE_COLORS)
STATE_HATCH = {"Frozen": "xx"}  # Arrears (still runs) and Frozen (stopped) differ at a glance
TERMINAL_STATES = frozenset({"Released", "Unsubscribed", "Deleted"})

MODE_COLORS = {"monthly": "#0072B2", "yearly": "#CC79A7", "pay_per_use": "#E69F00"}
MODE_LABELS = {"monthly": "monthly", "yearly": "yearly", "pay_per_use": "pay-per-use"}
EXTRA_COLORS = ("#009E73", "#56B4E9", "#D55E00", "#999999", "#F0E442", "#000000")
PPU_HATCH = "///"

# Timeline markers: kind -> (legend label, marker, face, edge, size). Black faces get a
# white edge so they stay visible on the dark bands (Stopped, Deleted).
EVENT_MARKERS = {
    "purchase": ("purchase", "^", "#000000", "#FFFFFF", 70),
    "renewal": ("renewal", "o", "#000000", "#FFFFFF", 55),
    "auto_renewal": ("auto-renewal", "o", "#FFFFFF", "#000000", 55),
    "auto_renew_failed": ("auto-renewal failed", "X", "#FFFFFF", "#000000", 55),
    "expiry_alert": ("expiry alert", "v", "#F0E442", "#000000", 40),
    "refund": ("refund", "D", "#56B4E9", "#000000", 45),
    "operation_refused": ("refused operation", "X", "#D55E00", "#000000", 80),
}
LEDGER_EVENTS = ("purchase", "renewal", "auto_renewal", "refund")
NOTE_EVENTS = ("expiry_alert", "auto_renew_failed", "operation_refused")

ARREARS_COLOR = "#D55E00"
TOPUP_COLOR = "#009E73"

# Fixed rcParams: a fixed font and SVG hash salt make the same figure the same bytes.
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "hatch.linewidth": 0.8,
    "svg.fonttype": "path",
    "svg.hashsalt": "koophone-sim",
    "path.simplify": True,
    "agg.path.chunksize": 20000,
}
DPI = 110
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}


def mode_color(mode: str, index: int = 0) -> str:
    """The fixed colour of a billing mode; modes we do not know take a spare colour."""
    return MODE_COLORS.get(mode, EXTRA_COLORS[index % len(EXTRA_COLORS)])


def mode_label(mode: str) -> str:
    return MODE_LABELS.get(mode, mode)


def style():
    """Context manager applying the fixed rcParams (use around building AND saving)."""
    import matplotlib

    return matplotlib.rc_context(RC)


def new_figure(width: float, height: float):
    """A Figure on the Agg canvas, without pyplot: no global figure registry to leak into."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig, out_dir: Path, stem: str) -> list[Path]:
    """Write `stem.png` and `stem.svg` into out_dir with fixed metadata (same bytes each run)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    with style():
        _whole(png, lambda path: fig.savefig(path, format="png", dpi=DPI,
                                             metadata=PNG_METADATA))
        _whole(svg, lambda path: fig.savefig(path, format="svg", metadata=SVG_METADATA))
    return [png, svg]


def _whole(path: Path, write) -> None:
    """Write `path` under a hidden name, then rename it: a full disk leaves no cut figure."""
    part = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        write(part)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def date_axis(ax, zone, start: float, end: float) -> None:
    """Concise date ticks in the scenario's zone over the window [start, end] (date numbers)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(tz=zone, minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    ax.set_xlim(start, end)

