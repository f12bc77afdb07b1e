"""Money over the window: balance (top-ups, arrears), cumulative cost by mode, cost per month."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._data import Run, cost_events
from ._style import (ARREARS_COLOR, TOPUP_COLOR, date_axis, mode_color, mode_label,
                     new_figure)

MODE_ORDER = ("monthly", "yearly", "pay_per_use")
MAX_TOPUP_LABELS = 12
MAX_BAR_LABELS = 24
# Legends beside the panels, never over the data; the three panels stay aligned.
_SIDE_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.005, 1), "frameon": False,
                "borderaxespad": 0}


def money_figure(run: Run):
    """Three panels sharing the time axis: balance, cumulative cost, cost per month."""
    fig = new_figure(12, 9)
    axes = fig.subplots(3, 1, sharex=True, height_ratios=[1.1, 1, 0.9])
    events = cost_events(run)
    _balance(axes[0], run)
    _cumulative(axes[1], run, events)
    _per_month(axes[2], run, events)
    for ax in axes:
        date_axis(ax, run.zone, run.start, run.end)
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[2].set_xlabel(f"Time ({run.zone_label})")
    fig.suptitle(f"{run.name}: balance and cost ({run.currency})")
    return fig


def balance_series(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """The balance as a step function over the window (times, balance after each step)."""
    led = run.ledger
    final = float(run.summary.get("final_balance") or 0)
    if led.empty:
        return np.array([run.start, run.end]), np.array([final, final])
    first = led.iloc[0]
    # An online payment leaves the balance untouched; every other row moved it by `amount`.
    moved = 0.0 if first["paid_from"] == "online" else first["amount"]
    initial = first["balance_after"] - moved
    times = np.concatenate([[run.start], led["t"], [run.end]])
    values = np.concatenate([[initial], led["balance_after"], [final]])
    return times, values


def _balance(ax, run: Run) -> None:
    times, values = balance_series(run)
    ax.step(times, values, where="post", color="#000000", linewidth=1.2, label="balance")
    below = values < 0
    if below.any():
        # fill_between needs both ends of a step: include the point that ends a negative step.
        where = below | np.concatenate([[False], below[:-1]])
        ax.fill_between(times, values, 0, where=where, step="post", color=ARREARS_COLOR,
                        alpha=0.35, linewidth=0, label="arrears (balance < 0)")
    ax.axhline(0, color="#777777", linewidth=0.8)
    alert = run.summary.get("balance_alert")
    if alert not in (None, ""):
        ax.axhline(float(alert), color=ARREARS_COLOR, linewidth=1, linestyle="--",
                   label=f"balance alert ({float(alert):,.2f})")
    topups = run.ledger[run.ledger["kind"] == "topup"]
    if len(topups):
        ax.scatter(topups["t"], topups["balance_after"], marker="^", s=70, color=TOPUP_COLOR,
                   edgecolor="#000000", linewidth=0.6, zorder=5, label="top-up")
        if len(topups) <= MAX_TOPUP_LABELS:
            for t, after, amount in zip(topups["t"], topups["balance_after"], topups["amount"]):
                ax.annotate(f"+{amount:,.2f}", (t, after), xytext=(5, 4),
                            textcoords="offset points", fontsize=8, color="#005A40")
    ax.set_ylabel(f"Balance ({run.currency})")
    ax.set_title("Account balance", loc="left")
    ax.margins(y=0.15)
    ax.legend(**_SIDE_LEGEND)


def _modes(events: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(events["mode"]))
    return [m for m in MODE_ORDER if m in present] + [m for m in present if m not in MODE_ORDER]


def _cumulative(ax, run: Run, events: pd.DataFrame) -> None:
    if run.monthly is not None and len(run.monthly):
        return _cumulative_two_views(ax, run)
    return _cumulative_cash(ax, run, events)


def cumulative_series(run: Run) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """Per (mode or "total", view): cumulative cost at the window start and each month's end,
    summed from monthly.csv (sim/costs.py's one definition, as summary.json's totals)."""
    edges = _month_edges(run)
    labels = [m for _, _, m in edges]
    times = np.array([run.start] + [b for _, b, _ in edges])
    month = run.monthly[run.monthly["month"].isin(labels)]
    out = {}
    for mode in [*_modes(month.rename(columns={"billing": "mode"})), "total"]:
        mine = month if mode == "total" else month[month["billing"] == mode]
        for view in ("cash", "accrued"):
            per = np.zeros(len(edges))
            np.add.at(per, [labels.index(m) for m in mine["month"]], mine[view].to_numpy())
            out[(mode, view)] = (times, np.concatenate([[0.0], np.cumsum(per)]))
    return out


# Accrued grows through the month it accrues in (a line between month ends); cash is drawn
# as paid at the start of its month, so an order paid on the 1st is never shown as later.
DRAW = {"accrued": "default", "cash": "steps-pre"}


def _cumulative_two_views(ax, run: Run) -> None:
    """Accrued (solid) and cash (dashed) per billing mode, at each month's end."""
    series = cumulative_series(run)
    modes = list(dict.fromkeys(m for m, _ in series if m != "total"))
    for i, mode in enumerate(modes):
        color = mode_color(mode, i)
        for view, style, width in (("accrued", "-", 1.8), ("cash", "--", 1.2)):
            times, values = series[(mode, view)]
            ax.plot(times, values, color=color, linestyle=style, linewidth=width,
                    drawstyle=DRAW[view], marker="o" if view == "accrued" else None,
                    markersize=3,
                    label=f"{mode_label(mode)}, {view}: {values[-1]:,.2f}")
    if len(modes) > 1:
        for view, style in (("accrued", "-"), ("cash", "--")):
            times, values = series[("total", view)]
            ax.plot(times, values, color="#000000", linestyle=style, linewidth=1,
                    drawstyle=DRAW[view], label=f"total, {view}: {values[-1]:,.2f}")
    ax.set_ylabel(f"Cumulative cost ({run.currency})")
    ax.set_title("Cumulative cost by billing mode (monthly.csv): accrued solid, cash dashed",
                 loc="left")
    ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    ax.legend(**_SIDE_LEGEND)


def _cumulative_cash(ax, run: Run, events: pd.DataFrame) -> None:
    """A results folder written before monthly.csv: cash as the ledger and bill lines say."""
    modes = _modes(events)
    for i, mode in enumerate(modes):
        rows = events[events["mode"] == mode]
        times = np.concatenate([[run.start], rows["t"], [run.end]])
        total = np.cumsum(rows["cost"].to_numpy())
        values = np.concatenate([[0.0], total, [total[-1]]])
        ax.step(times, values, where="post", color=mode_color(mode, i), linewidth=1.6,
                label=f"{mode_label(mode)}: {total[-1]:,.2f}")
    if len(modes) > 1:
        total = np.cumsum(events["cost"].to_numpy())
        times = np.concatenate([[run.start], events["t"], [run.end]])
        ax.step(times, np.concatenate([[0.0], total, [total[-1]]]), where="post",
                color="#000000", linewidth=1, linestyle="--", label=f"total: {total[-1]:,.2f}")
    if not modes:
        ax.text(0.5, 0.5, "no cost in the window", transform=ax.transAxes, ha="center",
                color="#555555")
    ax.set_ylabel(f"Cumulative cost ({run.currency})")
    ax.set_title("Cumulative cash cost by billing mode (orders when paid, bill lines by "
                 "their hour)", loc="left")
    ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    if modes:
        ax.legend(**_SIDE_LEGEND)


def _month_edges(run: Run) -> list[tuple[float, float, str]]:
    """Calendar months of the window in its zone: (start, end, label), clipped to it."""
    import matplotlib.dates as mdates

    first = mdates.num2date(run.start, tz=run.zone)
    last = mdates.num2date(run.end, tz=run.zone)
    month = dt.datetime(first.year, first.month, 1)
    edges = []
    while month.replace(tzinfo=run.zone) < last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        a = max(run.start, mdates.date2num(month.replace(tzinfo=run.zone)))
        b = min(run.end, mdates.date2num(following.replace(tzinfo=run.zone)))
        edges.append((a, b, month.strftime("%Y-%m")))
        month = following
    return edges


def _per_month(ax, run: Run, events: pd.DataFrame) -> None:
    if run.monthly is not None and len(run.monthly):
        return _two_views(ax, run)
    return _per_month_cash(ax, run, events)


def _two_views(ax, run: Run) -> None:
    """monthly.csv: accrued cost as bars stacked by billing mode, cash paid as a mark."""
    edges = _month_edges(run)
    labels = [m for _, _, m in edges]
    lefts = np.array([a + (b - a) * 0.1 for a, b, _ in edges])
    widths = np.array([(b - a) * 0.8 for a, b, _ in edges])
    month = run.monthly
    up, down = np.zeros(len(edges)), np.zeros(len(edges))
    for i, mode in enumerate(_modes(month.rename(columns={"billing": "mode"}))):
        mine = month[month["billing"] == mode]
        sums = np.zeros(len(edges))
        for m, v in zip(mine["month"], mine["accrued"]):
            if m in labels:
                sums[labels.index(m)] += v
        bottom = np.where(sums >= 0, up, down)
        drawn = sums != 0
        ax.bar(lefts[drawn], sums[drawn], width=widths[drawn], bottom=bottom[drawn],
               align="edge", color=mode_color(mode, i),
               label=f"accrued, {mode_label(mode)}")
        up += np.where(sums >= 0, sums, 0)
        down += np.where(sums < 0, sums, 0)
    cash = np.zeros(len(edges))
    for m, v in zip(month["month"], month["cash"]):
        if m in labels:
            cash[labels.index(m)] += v
    centres = lefts + widths / 2
    ax.hlines(cash, lefts, lefts + widths, color="#000000", linewidth=2.4, zorder=5,
              label="cash paid in the month (all modes)")
    if len(edges) <= MAX_BAR_LABELS:
        for i, (acc, paid) in enumerate(zip(up + down, cash)):
            if abs(acc) < 0.005 and abs(paid) < 0.005:
                continue
            # Above the taller of bar and mark, so a label never sits on either.
            x, ha = _label_place(i, lefts, widths)
            ax.annotate(f"accrued {acc:,.2f}\ncash {paid:,.2f}", (x, max(acc, paid, 0)),
                        xytext=(0, 4), textcoords="offset points", ha=ha,
                        va="bottom", fontsize=7.5)
    ax.set_ylabel(f"Per month ({run.currency})")
    ax.set_title("Cost per calendar month: accrued (bars) and cash paid (marks)", loc="left")
    ax.margins(y=0.3)
    ax.legend(**_SIDE_LEGEND)


def _label_place(i: int, lefts: np.ndarray, widths: np.ndarray) -> tuple[float, str]:
    """Where month i's label goes: centred on its bar, but the first month's starts at its
    bar and the last month's ends at it, so a label never runs over the axis ticks."""
    if len(lefts) > 1 and i == 0:
        return lefts[0], "left"
    if len(lefts) > 1 and i == len(lefts) - 1:
        return lefts[i] + widths[i], "right"
    return lefts[i] + widths[i] / 2, "center"


def _per_month_cash(ax, run: Run, events: pd.DataFrame) -> None:
    edges = _month_edges(run)
    starts = np.array([a for a, _, _ in edges])
    which = np.searchsorted(starts, events["month_t"].to_numpy(), side="right") - 1
    lefts = np.array([a + (b - a) * 0.08 for a, b, _ in edges])
    widths = np.array([(b - a) * 0.84 for a, b, _ in edges])
    # Charges stack up from 0 and net refunds down from 0, so a refund never hides a charge.
    up, down = np.zeros(len(edges)), np.zeros(len(edges))
    for i, mode in enumerate(_modes(events)):
        mask = (events["mode"] == mode).to_numpy() & (which >= 0)
        sums = np.bincount(which[mask], weights=events["cost"].to_numpy()[mask],
                           minlength=len(edges))
        bottom = np.where(sums >= 0, up, down)
        # Empty segments are left out: a zero-height bar's sticky edge would pin the y-limit.
        drawn = sums != 0
        ax.bar(lefts[drawn], sums[drawn], width=widths[drawn], bottom=bottom[drawn],
               align="edge", color=mode_color(mode, i), label=mode_label(mode))
        up += np.where(sums >= 0, sums, 0)
        down += np.where(sums < 0, sums, 0)
    if len(edges) <= MAX_BAR_LABELS:
        for i, (top, net, (_, _, month)) in enumerate(zip(up, up + down, edges)):
            if abs(top) < 0.005 and abs(net) < 0.005:
                continue  # an empty month needs no "0.00"
            x, ha = _label_place(i, lefts, widths)
            ax.annotate(f"{month}: {net:,.2f}", (x, top), xytext=(0, 2),
                        textcoords="offset points", ha=ha, va="bottom", fontsize=8)
    ax.set_ylabel(f"Cost per month ({run.currency})")
    ax.set_title("Cost per calendar month", loc="left")
    ax.margins(y=0.18)
    if len(events):
        ax.legend(**_SIDE_LEGEND)
