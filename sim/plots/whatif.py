"""What-if figures: cost per mode per phone (compare), cost against hours of use (break-even)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._style import mode_color, mode_label, new_figure

MODE_ORDER = ("monthly", "yearly", "pay_per_use")
UNUSABLE_HATCH = "xx"
HATCH_EDGE = (0, 0, 0, 0.5)
MAX_PHONE_GROUPS = 30
HOURS_IN_MONTH = 744  # a 31-day month, the break-even curves' default range


def _numbers(frame: pd.DataFrame, columns) -> pd.DataFrame:
    # Decimal objects or decimal strings alike; an empty cell (no break-even) becomes NaN.
    frame = frame.copy()
    for column in columns:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column].astype(str).replace("", "nan")
                                          .replace("None", "nan"), errors="coerce")
    return frame


def _ordered_modes(modes) -> list[str]:
    present = list(dict.fromkeys(modes))
    return [m for m in MODE_ORDER if m in present] + [m for m in present if m not in MODE_ORDER]


def compare_figure(table: pd.DataFrame, *, scenario: str = "", currency: str = "USD"):
    """Grouped bars: cost of each phone under each mode, totals in their own panel.

    Bars are the cost accrued in the window (what compare ranks by: a year bought on the
    last day is not a year's cost); a black tick marks the cash paid.
    """
    table = _numbers(table, ["cost_cash", "cost_accrued", "unusable_hours",
                             "refused_operations"])
    modes = _ordered_modes(table["mode"])
    total = table[table["phone"] == "TOTAL"]
    phones = table[table["phone"] != "TOTAL"]
    ids = list(dict.fromkeys(phones["phone"]))
    show_phones = 0 < len(ids) <= MAX_PHONE_GROUPS
    width = max(9.0, 3 + 0.45 * len(ids) * max(len(modes), 1)) if show_phones else 9.0
    fig = new_figure(width, 5.4)
    if show_phones:
        left, right = fig.subplots(1, 2, width_ratios=[max(len(ids), 1), 1.4])
        _grouped_bars(left, phones, ids, modes, currency)
        left.set_title("Per phone", loc="left")
        left.set_xlabel("Phone")
    else:
        right = fig.subplots()
    money = [c for c in ("cost_cash", "cost_accrued") if c in table]
    totals = total if len(total) else phones.groupby("mode", as_index=False)[money].sum() \
        .assign(phone="TOTAL")
    _grouped_bars(right, totals, ["TOTAL"], modes, currency)
    right.set_title("All phones" + ("" if show_phones else f" ({len(ids)} phones)"), loc="left")
    name = f"{scenario}: " if scenario else ""
    fig.suptitle(f"{name}cost of each phone under each billing mode ({currency})")
    handles = _compare_handles(table, modes)
    fig.legend(handles=handles, loc="outside lower center", ncol=math.ceil(len(handles) / 2),
               frameon=False)
    return fig


def _flags(rows: pd.DataFrame, column: str, test) -> np.ndarray:
    if column not in rows:
        return np.zeros(len(rows), dtype=bool)
    return np.array(test(rows[column]), dtype=bool)


def _columns(table: pd.DataFrame) -> tuple[str, str]:
    """(bar height, tick) columns: accrued bars with cash ticks, or cash alone."""
    if "cost_accrued" in table:
        return "cost_accrued", "cost_cash"
    return "cost_cash", ""


def _grouped_bars(ax, table: pd.DataFrame, groups: list[str], modes: list[str],
                  currency: str) -> None:
    height, tick = _columns(table)
    width = 0.8 / max(len(modes), 1)
    index = {g: i for i, g in enumerate(groups)}
    for k, mode in enumerate(modes):
        rows = table[table["mode"] == mode]
        x = np.array([index[p] for p in rows["phone"]]) - 0.4 + width * (k + 0.5)
        # Hatched: the mode leaves the phone unusable for a while (expired, frozen, released)
        # inside its usage window, so its low cost is not a fair saving.
        unusable = _flags(rows, "unusable_hours", lambda c: c.fillna(0) > 0)
        best = _flags(rows, "is_best", lambda c: c.astype(str).str.lower() == "true")
        never = _flags(rows, "final_state", lambda c: c.isna() | c.astype(str).isin(["", "None"]))
        never = never & (rows["phone"] != "TOTAL").to_numpy()
        ax.bar(x, rows[height], width=width * 0.95, color=mode_color(mode, k),
                      hatch=[UNUSABLE_HATCH if u else None for u in unusable],
                      edgecolor=HATCH_EDGE, linewidth=0)
        refused = rows["refused_operations"].fillna(0).astype(int) \
            if "refused_operations" in rows else [0] * len(rows)
        # Each label names what it measures: the bar (accrued) and, where it differs, the
        # cash tick, so a label above a tick is never read as the bar's value.
        cash = rows[tick].to_numpy(dtype=float) if tick in rows else rows[height].to_numpy()
        labels = ["not bought" if n else ("★ " if b else "")
                  + (f"{v:,.2f}" if abs(c - v) < 0.005 or not tick
                     else f"accrued {v:,.2f}\ncash {c:,.2f}")
                  + (f"\n{r} refused" if r and not n else "")
                  for n, b, v, c, r in zip(never, best, rows[height], cash, refused)]
        # Each label sits above its bar and its cash tick; upright only on a few wide bars.
        tops = np.fmax(rows[height].to_numpy(dtype=float),
                       rows[tick].to_numpy(dtype=float) if tick in rows else np.nan)
        upright = len(groups) * len(modes) > 6
        for xi, top, text in zip(x, np.nan_to_num(tops), labels):
            ax.annotate(text, (xi, max(top, 0)), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7.5, rotation=90 if upright else 0)
        if tick in rows:
            ax.scatter(x, rows[tick], marker="_", s=(width * 260) ** 2 / 40,
                       color="#000000", linewidth=1.6, zorder=5)
    ax.set_xticks(range(len(groups)), groups, rotation=30 if len(groups) > 8 else 0)
    ax.set_ylabel(f"Cost {'accrued in the window (bars) ' if height == 'cost_accrued' else ''}"
                  f"({currency})")
    ax.margins(y=0.2)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def _compare_handles(table: pd.DataFrame, modes: list[str]) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    height, tick = _columns(table)
    handles = [Patch(facecolor=mode_color(m, k), label=mode_label(m))
               for k, m in enumerate(modes)]
    if tick in table:
        handles.append(Line2D([], [], linestyle="none", marker="_", markersize=14,
                              markeredgewidth=1.6, color="#000000", label="cash paid"))
    if _flags(table, "unusable_hours", lambda c: c.fillna(0) > 0).any():
        handles.append(Patch(facecolor="#FFFFFF", edgecolor=HATCH_EDGE, hatch=UNUSABLE_HATCH,
                             linewidth=0, label="unusable for a while (hatched)"))
    if "is_best" in table:
        handles.append(Line2D([], [], linestyle="none", marker="$★$", markersize=9,
                              color="#000000", label="best mode of the phone"))
    return handles


def breakeven_prices(table: pd.DataFrame) -> pd.DataFrame:
    """Per spec: monthly, yearly and hourly prices, from breakeven.csv or its curves."""
    if "hours_per_month" not in table:
        return _numbers(table, ["monthly", "yearly", "hourly"])[["spec", "monthly", "yearly",
                                                                 "hourly"]]
    curves = _numbers(table, ["hours_per_month", "cost"])
    rows = []
    for spec, group in curves.groupby("spec", sort=False):
        cost = {m: g for m, g in group.groupby("mode")}
        ppu = cost.get("pay_per_use")
        hourly = np.nan
        if ppu is not None and ppu["hours_per_month"].max() > 0:
            top = ppu.loc[ppu["hours_per_month"].idxmax()]
            hourly = top["cost"] / top["hours_per_month"]
        rows.append({"spec": spec, "monthly": _flat(cost.get("monthly")),
                     "yearly": _flat(cost.get("yearly")) * 12, "hourly": hourly,
                     "max_hours": group["hours_per_month"].max()})
    return pd.DataFrame(rows)


def _flat(rows) -> float:
    return float(rows["cost"].iloc[0]) if rows is not None and len(rows) else np.nan


def breakeven_figure(table: pd.DataFrame, *, title: str = "default catalog",
                     currency: str = "USD"):
    """Cost of a month against hours of use for each mode, one panel per spec."""
    prices = breakeven_prices(table)
    n = max(len(prices), 1)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    suptitle = f"{title}: cost of a month by hours of use ({currency})"
    # Wide enough for the title too (about 0.11 inch a character at the title size).
    fig = new_figure(max(8.0, 4.3 * cols + 0.6, 0.11 * len(suptitle)), 3.3 * rows + 1.2)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for k, (ax, spec) in enumerate(zip(axes, prices.itertuples(index=False))):
        _breakeven_panel(ax, spec, currency)
        # Axis titles once per row and column: the panels share their meaning.
        if k % cols == 0:
            ax.set_ylabel(f"Cost per month ({currency})")
        if k + cols >= len(prices):
            ax.set_xlabel("Hours of use per month")
    for ax in axes[len(prices):]:
        ax.set_visible(False)
    fig.suptitle(suptitle)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    return fig


def _breakeven_panel(ax, spec, currency: str) -> None:
    top = getattr(spec, "max_hours", HOURS_IN_MONTH)
    top = HOURS_IN_MONTH if not top or np.isnan(top) else float(top)
    hours = np.array([0.0, top])
    flat = {"monthly": spec.monthly, "yearly": spec.yearly / 12}
    for mode, price in flat.items():
        ax.plot(hours, [price, price], color=mode_color(mode), linewidth=1.8,
                label=mode_label(mode) if mode == "monthly" else "yearly (a twelfth)")
    ax.plot(hours, spec.hourly * hours, color=mode_color("pay_per_use"), linewidth=1.8,
            label="pay-per-use")
    for mode, price in flat.items():
        if spec.hourly > 0 and price / spec.hourly <= top:
            h = price / spec.hourly
            ax.plot([h], [price], marker="o", color="#000000", markersize=5, zorder=5,
                    linestyle="none", label="break-even (hours per month)"
                    if mode == "monthly" else None)
            ax.axvline(h, color=mode_color(mode), linewidth=0.8, linestyle=":")
            ax.annotate(f"{h:,.1f}".rstrip("0").rstrip(".") + " h", (h, price), xytext=(-4, 6), textcoords="offset points",
                        ha="right", fontsize=8, color="#000000")
    months = spec.yearly / spec.monthly if spec.monthly else np.nan
    ax.set_title(f"{spec.spec}: {spec.monthly:,.2f}/mo, {spec.yearly:,.2f}/yr, "
                 f"{spec.hourly:,.2f}/h", loc="left", fontsize=9)
    if not np.isnan(months):
        ax.text(0.98, 0.04, f"a year costs {months:.1f} months", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=8, color="#333333")
    ax.set_xlim(0, top)
    ax.set_ylim(0, max(spec.monthly, spec.yearly / 12, spec.hourly * top) * 1.12)
    ax.grid(color="#EEEEEE", linewidth=0.6)
    ax.set_axisbelow(True)


def commitment_figure(table: pd.DataFrame, *, scenario: str = "", currency: str = "USD"):
    """Savings against commitment: per spec, the saving over all pay-per-use of holding k
    subscriptions (one line per prepaid mode), with coverage and utilization beside it."""
    table = _numbers(table, ["k", "coverage", "utilization", "saving_vs_pay_per_use",
                             "waste_cost", "cost"])
    specs = list(dict.fromkeys(table["spec"]))
    fig = new_figure(10, 3.2 + 3.0 * max(len(specs), 1))
    axes = fig.subplots(max(len(specs), 1), 1, squeeze=False)[:, 0]
    for ax, spec in zip(axes, specs):
        rows = table[table["spec"] == spec]
        for i, mode in enumerate(_ordered_modes(rows["mode"])):
            mine = rows[rows["mode"] == mode].sort_values("k")
            ax.plot(mine["k"], mine["saving_vs_pay_per_use"], marker="o", markersize=3.5,
                    color=mode_color(mode, i), label=f"saving with k x {mode_label(mode)}")
        ax.axhline(0, color="#777777", linewidth=0.8)
        best = rows[rows["is_best"].astype(str).str.lower() == "true"]
        if len(best):
            b = best.iloc[0]
            ax.scatter([b["k"]], [b["saving_vs_pay_per_use"]], marker="*", s=160,
                       color="#000000", zorder=5,
                       label=f"best: k = {int(b['k'])} (saves {b['saving_vs_pay_per_use']:,.2f})")
        target = rows[rows["reaches_target"].astype(str).str.lower() == "true"]
        if len(target):
            k = int(target["k"].iloc[0])
            ax.axvline(k, color="#555555", linestyle="--", linewidth=1,
                       label=f"smallest k reaching the target coverage: {k}")
        ax.set_ylabel(f"Saving vs all pay-per-use ({currency})")
        ax.set_xlabel("k = subscriptions held (pay-per-use above k)")
        ax.set_title(f"{spec}", loc="left")
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
        ax.margins(y=0.15)
        share = ax.twinx()
        first = rows[rows["mode"] == rows["mode"].iloc[0]].sort_values("k")
        share.plot(first["k"], 100 * first["coverage"], color="#777777", linewidth=1,
                   linestyle=":", label="coverage (% of instance-hours served)")
        share.plot(first["k"], 100 * first["utilization"], color="#777777", linewidth=1,
                   linestyle="-.", label="utilization (% of held hours in use)")
        share.set_ylim(0, 105)
        share.set_ylabel("Coverage, utilization (%)")
        handles = ax.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.08, 1),
                  frameon=False, fontsize=8)
        ks = sorted(set(rows["k"].astype(int)))
        step = max(1, len(ks) // 15)
        ax.set_xticks(ks[::step])
    name = f"{scenario}: " if scenario else ""
    fig.suptitle(f"{name}savings against commitment (estimate from list prices)")
    return fig
