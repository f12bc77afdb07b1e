"""Lifecycle timeline: one row per phone, a coloured band per state, markers for events.

Above AGGREGATE_ABOVE phones the rows would be unreadable, so the figure becomes the number
of phones in each state over time, stacked.
"""

from __future__ import annotations

import numpy as np

from ._data import Run
from ._style import (EVENT_MARKERS, LEDGER_EVENTS, NOTE_EVENTS, PPU_HATCH, STATE_COLORS,
                     STATE_HATCH, STATES, TERMINAL_STATES, date_axis, mode_label,
                     new_figure)

AGGREGATE_ABOVE = 40
BAND = 0.56          # band height of a living state, in rows
THIN = 0.12          # terminal states are thin: the phone has ended
HATCH_EDGE = (0, 0, 0, 0.45)
ENDED_ALPHA = 0.4    # ended phones are drawn light
RUN_GAP = 1.5        # days: failed attempts closer than this form one run


def timeline_figure(run: Run):
    """The per-phone timeline, or the stacked phones-per-state view for a large fleet."""
    if len(run.phones) > AGGREGATE_ABOVE:
        return _aggregate_figure(run)
    return _rows_figure(run)


def _state_handles(with_hatch: bool, present=STATES):
    """Legend patches of the states that occur (and the pay-per-use hatch if it does)."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=STATE_COLORS[s], hatch=STATE_HATCH.get(s),
                     edgecolor=HATCH_EDGE if s in STATE_HATCH else "none",
                     alpha=ENDED_ALPHA if s in TERMINAL_STATES else 1, label=s)
               for s in STATES if s in set(present)]
    if with_hatch:
        handles.append(Patch(facecolor="#FFFFFF", edgecolor=HATCH_EDGE, hatch=PPU_HATCH,
                             linewidth=0, label="pay-per-use (hatched)"))
    return handles


def _rows_figure(run: Run):
    n = max(len(run.phones), 1)
    fig = new_figure(12, 2.6 + 0.5 * n)
    ax = fig.add_subplot()
    row = {p: i for i, p in enumerate(run.phones)}
    _bands(ax, run, row)
    _mode_changes(ax, run, row)
    present = _markers(ax, run, row)

    ax.set_ylim(n - 0.4, -0.6)  # first phone on top
    ax.set_yticks(range(len(run.phones)), [_row_label(run, p) for p in run.phones])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for y in range(n):
        ax.axhline(y, color="#DDDDDD", linewidth=0.6, zorder=0)
    date_axis(ax, run.zone, run.start, run.end)
    ax.set_xlabel(f"Time ({run.zone_label})")
    _cost_axis(ax, run)

    fig.suptitle(f"{run.name}: phone lifecycle")
    hatched = bool((run.states["billing"] == "pay_per_use").any())
    fig.legend(handles=_state_handles(hatched, set(run.states["state"])),
               loc="outside lower center", ncol=5, frameon=False, title="State",
               title_fontsize=8.5)
    if present:
        # Above the rows (an axes legend, so the constrained layout makes room for it).
        ax.legend(handles=present, loc="lower left", bbox_to_anchor=(0, 1.01),
                  ncol=min(len(present), 7), frameon=False, borderaxespad=0,
                  handletextpad=0.3, columnspacing=1.4)
    return fig


def _row_label(run: Run, phone: str) -> str:
    """Phone id and the billing mode it started in (a change is labelled on the row)."""
    rows = run.states[run.states["phone"] == phone]
    billing = rows["billing"].iloc[0] if len(rows) else \
        run.summary.get("phones", {}).get(phone, {}).get("billing", "")
    quantity = run.summary.get("phones", {}).get(phone, {}).get("quantity", 1) or 1
    name = f"{phone} ×{quantity}" if quantity > 1 else phone  # instances in the order
    return f"{name}\n{mode_label(billing)}" if billing else name


def _bands(ax, run: Run, row: dict[str, int]) -> None:
    states = run.states
    for (state, billing), group in states.groupby(["state", "billing"], sort=True):
        ended = state in TERMINAL_STATES  # the phone is gone: light and thin
        height = THIN if ended else BAND
        hatch = PPU_HATCH if billing == "pay_per_use" and not ended else STATE_HATCH.get(state)
        for phone, spans in group.groupby("phone", sort=True):
            if phone not in row:
                continue
            ax.broken_barh(list(zip(spans["t0"], spans["t1"] - spans["t0"])),
                           (row[phone] - height / 2, height),
                           facecolors=STATE_COLORS.get(state, "#BBBBBB"), hatch=hatch,
                           edgecolor=HATCH_EDGE if hatch else "none", linewidth=0, zorder=2,
                           alpha=ENDED_ALPHA if ended else 1)
    existing = set(states["phone"])
    for phone in run.phones:
        if phone not in existing:  # e.g. its purchase or creation was refused
            ax.text(run.start + (run.end - run.start) * 0.005, row[phone], "never existed",
                    va="center", ha="left", fontsize=8.5, color="#555555", style="italic")


def _mode_changes(ax, run: Run, row: dict[str, int]) -> None:
    """A label where a phone's billing mode changes (e.g. yearly -> pay-per-use at expiry)."""
    for phone, spans in run.states.groupby("phone", sort=False):
        if phone not in row:
            continue
        modes = spans.sort_values("t0", kind="stable")
        previous = None
        for t0, billing in zip(modes["t0"], modes["billing"]):
            if previous is not None and billing != previous:
                ax.axvline(t0, ymin=0, ymax=1, color="#444444", linewidth=0.8,
                           linestyle=":", zorder=1)
                # Near the right edge the label goes left of the change, clear of the costs.
                late = t0 > run.start + 0.8 * (run.end - run.start)
                ax.annotate(f"{mode_label(previous)} → {mode_label(billing)}",
                            (t0, row[phone] + BAND / 2), xytext=(-3 if late else 3, -2),
                            textcoords="offset points", va="top",
                            ha="right" if late else "left", fontsize=8, color="#222222",
                            zorder=6)
            previous = billing


def _markers(ax, run: Run, row: dict[str, int]) -> list:
    """Ledger events on the band's middle, notifications on its edges; legend handles."""
    from matplotlib.lines import Line2D

    present = []
    # Alerts on the top edge, failures and refusals on the bottom edge: an alert and a
    # failed auto-renewal often fall on the same day.
    edge = {"expiry_alert": -BAND / 2}
    sources = [(run.ledger, kind, 0.0) for kind in LEDGER_EVENTS]
    sources += [(run.notes, kind, edge.get(kind, BAND / 2)) for kind in NOTE_EVENTS]
    for table, kind, dy in sources:
        rows = table[(table["kind"] == kind) & table["phone"].isin(row)]
        if rows.empty:
            continue
        label, marker, face, edge, size = EVENT_MARKERS[kind]
        if kind == "auto_renew_failed":
            rows = _failed_runs(ax, rows, row, dy)
        ys = np.array([row[p] for p in rows["phone"]], dtype=float) + dy
        ax.scatter(rows["t"], ys, marker=marker, s=size, facecolor=face, edgecolor=edge,
                   linewidth=0.9, zorder=5, clip_on=False)
        present.append(Line2D([], [], linestyle="none", marker=marker, markersize=size ** 0.5,
                              markerfacecolor=face, markeredgecolor=edge, label=label))
    return present


def _failed_runs(ax, rows, row: dict[str, int], dy: float):
    """Daily failed auto-renewal attempts of a phone as one run: a line from the first to
    the last, one marker at the first, and the count beside it. Returns the first of each."""
    firsts = []
    for phone, mine in rows.sort_values("t", kind="stable").groupby("phone", sort=False):
        t = mine["t"].to_numpy()
        breaks = np.flatnonzero(np.diff(t) > RUN_GAP) + 1
        for part in np.split(np.arange(len(t)), breaks):
            a, b = t[part[0]], t[part[-1]]
            y = row[phone] + dy
            if len(part) > 1:
                ax.plot([a, b], [y, y], color="#000000", linewidth=1.2, zorder=4)
                ax.annotate(f"×{len(part)} failed", (b, y), xytext=(4, 2),
                            textcoords="offset points", fontsize=7.5, va="bottom", zorder=6)
            firsts.append(mine.index[part[0]])
    return rows.loc[firsts]


def _cost_axis(ax, run: Run) -> None:
    """Each phone's cost (summary.json) on the right, so the row reads lifecycle -> money."""
    phones = run.summary.get("phones", {})
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(range(len(run.phones)),
                     [_cost_text(phones.get(p, {}).get("cost")) for p in run.phones])
    right.tick_params(axis="y", length=0)
    for side in ("left", "right", "top", "bottom"):
        right.spines[side].set_visible(False)
    right.set_ylabel(f"Cost ({run.currency})")


def _cost_text(cost) -> str:
    return "" if cost in (None, "") else f"{float(cost):,.2f}"


def _aggregate_figure(run: Run):
    """Living phones per state (stacked) above the phones that have ended, by how."""
    times, counts, ppu = state_counts(run)
    fig = new_figure(12, 7)
    living_ax, ended_ax = fig.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
    # Ended phones pile up and would flatten the living ones: they get their own panel.
    living = [s for s in STATES if s not in TERMINAL_STATES]
    ended = [s for s in STATES if s in TERMINAL_STATES]
    _stack(living_ax, times, counts, living)
    if len(times):
        living_ax.step(times, ppu, where="post", color="#000000", linewidth=0.7,
                       label="of which pay-per-use")
        peak = int(sum(counts[s] for s in living).max(initial=0))
        living_ax.annotate(f"peak {peak} instances", xy=(0.995, 0.97),
                           xycoords="axes fraction", ha="right", va="top", fontsize=8.5)
    _stack(ended_ax, times, counts, ended)
    living_ax.set_title("Living instances per state (an order of quantity q counts q)",
                        loc="left")
    ended_ax.set_title("Instances ended (released, unsubscribed, deleted)", loc="left")
    for ax in (living_ax, ended_ax):
        date_axis(ax, run.zone, run.start, run.end)
        ax.set_ylabel("Instances")
        ax.set_ylim(bottom=0)
        ax.margins(y=0.08)
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.005, 1),
                  frameon=False, borderaxespad=0)
    ended_ax.set_xlabel(f"Time ({run.zone_label})")
    instances = sum(int(p.get("quantity") or 1) for p in run.summary.get("phones", {}).values())
    fig.suptitle(f"{run.name}: instances per state over time ({len(run.phones)} phones, "
                 f"{instances} instances)")
    return fig


def _stack(ax, times, counts, states) -> None:
    present = [s for s in states if counts[s].any()]
    if len(times) and present:
        ax.stackplot(times, [counts[s] for s in present], step="post", linewidth=0,
                     colors=[STATE_COLORS[s] for s in present], labels=present)


def state_counts(run: Run):
    """Phones per state as step functions: times, {state: counts}, pay-per-use count."""
    states = run.states
    times = np.unique(np.concatenate([[run.start], states["t0"], states["t1"]]))
    times = times[(times >= run.start) & (times <= run.end)]
    i0 = np.searchsorted(times, np.clip(states["t0"].to_numpy(), run.start, run.end))
    i1 = np.searchsorted(times, states["t1"].to_numpy())
    phones = run.summary.get("phones", {})
    qty = np.array([int(phones.get(p, {}).get("quantity") or 1) for p in states["phone"]],
                   dtype=np.int64)
    counts = {}
    for state in STATES:
        counts[state] = _count(len(times), i0, i1, (states["state"] == state).to_numpy(), qty)
    living = ~states["state"].isin(TERMINAL_STATES).to_numpy()
    ppu = _count(len(times), i0, i1, (states["billing"] == "pay_per_use").to_numpy() & living,
                 qty)
    return times, counts, ppu


def _count(n: int, i0: np.ndarray, i1: np.ndarray, mask: np.ndarray,
           weight: np.ndarray | None = None) -> np.ndarray:
    # +q where an interval begins, -q where it ends, summed: instances open at each time.
    w = np.ones(len(i0), dtype=np.int64) if weight is None else weight
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, i0[mask], w[mask])
    np.add.at(delta, i1[mask], -w[mask])
    return np.cumsum(delta)[:n]
