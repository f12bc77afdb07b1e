"""A sweep's figure: cost per variant with its P5-P95 band (from sweep-summary.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._style import ARREARS_COLOR, new_figure


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series.astype(str).replace({"": "nan", "None": "nan"}),
                         errors="coerce").to_numpy(dtype=float)


def sweep_figure(summary: pd.DataFrame, table: pd.DataFrame | None = None, *,
                 name: str = "", currency: str = "USD"):
    """Per variant: median cost in both views with its P5-P95 band, one dot per run, and
    the variants with a flagged run (refused operations, unusable hours, failed renewals)
    marked: their low cost means the fleet was not served."""
    params = [c for c in summary.columns if "." in c or "[" in c]  # the swept paths
    x = summary["variant"].astype(int).to_numpy()
    ticks = [str(v) for v in x]
    x_label = "variant (its parameters: sweep-summary.csv)"
    if params and len(x) <= 12:  # few variants: their values under each tick
        x_label = "variant: " + ", ".join(params)
        ticks = ["\n".join([str(v), *(str(summary[p].iloc[i]) for p in params)])
                 for i, v in enumerate(x)]
    fig = new_figure(max(8.0, 1.0 + 0.55 * len(x)), 5.2)
    ax = fig.subplots()
    colors = {"total_cost_accrued": "#0072B2", "total_cost_cash": "#E69F00"}
    for column, label in (("total_cost_accrued", "accrued"), ("total_cost_cash", "cash")):
        if f"{column}_p50" not in summary:
            continue
        low, mid, high = (_floats(summary[f"{column}_{s}"]) for s in ("p5", "p50", "p95"))
        ax.fill_between(x, low, high, color=colors[column], alpha=0.2, linewidth=0,
                        label=f"{label}: P5-P95")
        ax.plot(x, mid, color=colors[column], marker="o", markersize=4,
                label=f"{label}: median")
        if table is not None and column in table:
            ax.scatter(table["variant"].astype(int), _floats(table[column]), s=8,
                       color=colors[column], alpha=0.35, zorder=3)
    if table is not None and "flagged" in table:
        flagged = table[_floats(table["flagged"]) > 0]["variant"].astype(int).unique()
        if len(flagged):
            top = _floats(summary.set_index(summary["variant"].astype(int))
                          .loc[flagged, "total_cost_accrued_p95"])
            ax.scatter(flagged, top, marker="X", s=70, color=ARREARS_COLOR,
                       edgecolor="#000000", linewidth=0.6, zorder=5,
                       label="flagged: refused, unusable hours or failed renewals")
    ax.set_xticks(x, ticks, fontsize=7.5, rotation=0 if len(x) <= 12 else 90)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"Cost per run ({currency})")
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.margins(y=0.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1), frameon=False, fontsize=8)
    fig.suptitle(f"{name + ': ' if name else ''}cost per variant (median and P5-P95 over "
                 "replications)")
    return fig
