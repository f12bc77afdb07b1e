"""The report's sections, from a results folder's files: run, costs, figures, what-if."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

import pandas as pd

from ..loader import Results, read_results
from ..result import REPORT_FILE
from .figures import inline_svg
from .page import Cell, cards, document, money, number, table, text

MAX_ROWS = 500  # per table: a fleet of thousands lists its costliest phones (files have all)

# What-if outputs a folder may hold, in the order the report shows them.
WHATIF_FILES = {
    "compare.csv": ("Compare billing modes", "Each phone re-simulated under each mode "
                    "(`koophone-sim compare`): cash and accrued cost, hours unusable."),
    "compare-best.csv": ("Cheapest mode per phone", "Every phone in its cheapest mode, "
                         "simulated together, against the scenario as written."),
    "recommend.csv": ("Recommendation", "Cheapest mode per phone and group, and the best "
                      "mix (`koophone-sim recommend`)."),
    "base-load.csv": ("Base load", "Estimated cost with k phones held on subscription and "
                      "the rest on pay-per-use."),
    "commitment.csv": ("Commitment", "Per number of subscribed phones: coverage, "
                       "utilization, waste and total cost."),
    "breakeven.csv": ("Break-even", "Hours of use per month at which the modes cost the "
                      "same, from list prices (`koophone-sim breakeven`)."),
    "sweep-summary.csv": ("Sweep: per variant", "Mean and P5/P50/P95 of each variant's "
                          "replications (`koophone-sim sweep`)."),
    "sweep.csv": ("Sweep: every run", "One row per variant x replication."),
}
MODE_NAMES = {"monthly": "monthly", "yearly": "yearly", "pay_per_use": "pay-per-use"}


def report_html(folder: str | Path) -> str:
    """The whole report page of a results folder, as text."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such results folder")
    run = read_results(folder) if (folder / "summary.json").is_file() else None
    sections: list[tuple[str, str, str]] = []  # (anchor, heading, html)
    if run is not None:
        sections += _run_sections(run)
    sections += _whatif_sections(folder, run)
    if not sections:
        raise FileNotFoundError(f"{folder}: nothing to report (no summary.json and no "
                                f"what-if file: {', '.join(WHATIF_FILES)})")
    name = run.summary["scenario"] if run is not None else folder.resolve().name
    header = f"<header><h1>{escape(name)}</h1>{_window(run)}</header>"
    nav = "<nav>" + "".join(f'<a href="#s-{a}">{escape(h)}</a>' for a, h, _ in sections) + \
        "</nav>"
    body = "\n".join(f'<section id="s-{a}"><h2>{escape(h)}</h2>\n{html}</section>'
                     for a, h, html in sections)
    return document(f"{name} - koophone-sim report",
                    f"{header}\n{nav}\n{body}\n{_footer(folder)}")


# --- the run ------------------------------------------------------------------------------
def _window(run: Results | None) -> str:
    if run is None:
        return '<p class="lead">What-if outputs of koophone-sim.</p>'
    s = run.summary
    return (f'<p class="lead">Simulated from <b>{escape(_wall(s["start"]))}</b> to '
            f'<b>{escape(_wall(s["end"]))}</b> ({escape(s.get("timezone") or "")}, end '
            f'excluded); money in {escape(s["currency"])}.</p>')


def _wall(iso: str) -> str:
    return iso.replace("T", " ")


def _run_sections(run: Results) -> list[tuple[str, str, str]]:
    s = run.summary
    phones = s.get("phones", {})
    instances = sum(int(p.get("quantity", 1)) for p in phones.values())
    accrued = s.get("total_cost_accrued")
    key = [("Cost, cash", _shown(s["total_cost"]), "total_cost")]
    if accrued is not None:
        key.append(("Cost, accrued", _shown(accrued), "total_cost_accrued"))
    key += [("Final balance", _shown(s["final_balance"]), "final_balance"),
            ("Phones (instances)", f"{len(phones)} ({instances})", "phones"),
            ("Refused operations", str(s.get("refused_operations", 0)),
             "refused_operations")]
    views = ("<p class=note><b>Cash</b>: what left the account, when it was paid. "
             "<b>Accrued</b>: each prepaid order spread over the time it pays for, only "
             "the part inside the window; bill lines in their hour.</p>"
             if accrued is not None else
             "<p class=note>Cash view: what left the account (orders - refunds + bill "
             "lines).</p>")
    out = [("cost", "Cost", cards(key) + views + _by_billing(run) + _by_group(s))]
    monthly = _monthly(run)
    if monthly:
        out.append(("months", "Cost per month", monthly))
    out.append(("figures", "Lifecycle and money", _figures(run)))
    out.append(("losses", "Lifecycle losses", _losses(run)))
    out.append(("phones", "Phones", _phones(run)))
    return out


def _shown(value: str) -> str:
    return money(value).text


def _by_billing(run: Results) -> str:
    s = run.summary
    by = s.get("by_billing")
    if by is None:  # folders written before both views: cash per mode from the phones
        totals: dict[str, Decimal] = {}
        for p in s.get("phones", {}).values():
            totals[p["billing"]] = totals.get(p["billing"], Decimal(0)) + Decimal(p["cost"])
        by = {mode: {"cash": str(v)} for mode, v in totals.items()}
    accrued = any("accrued" in v for v in by.values())
    rows = [[text(MODE_NAMES.get(m, m)), money(v["cash"])] +
            ([money(v.get("accrued"))] if accrued else []) for m, v in by.items()]
    headers = ["billing mode", f"cash ({s['currency']})"] + \
        ([f"accrued ({s['currency']})"] if accrued else [])
    return "<h3>By billing mode</h3>" + table(headers, rows, id="by-billing")


def _by_group(summary: dict) -> str:
    groups = summary.get("by_group") or {}
    if not groups:
        return ""
    rows = [[text(g), number(v.get("phones")), number(v.get("instances")),
             money(v.get("cash")), money(v.get("accrued"))] for g, v in groups.items()]
    cur = summary["currency"]
    return "<h3>By group</h3>" + table(
        ["group", "phones", "instances", f"cash ({cur})", f"accrued ({cur})"], rows,
        id="by-group")


def _monthly(run: Results) -> str:
    frame = run.monthly
    if frame is None:
        return ""
    rows = [[text(r.month), text(MODE_NAMES.get(r.billing, r.billing)), money(r.cash),
             money(r.accrued), number(r.instances_in_use), number(r.instance_hours, 1)]
            for r in frame.itertuples(index=False)]
    cur = run.summary["currency"]
    return ("<p class=note>Calendar months on the scenario's clock. Instances in use: the "
            "most at once in that month.</p>" + table(
                ["month", "billing mode", f"cash ({cur})", f"accrued ({cur})",
                 "instances in use", "instance-hours"], rows, id="monthly"))


def _figures(run: Results) -> str:
    from ..plots import run_figures

    figures = run_figures(run.folder)
    timeline = inline_svg(figures["timeline"], "timeline", "Lifecycle timeline")
    cash = inline_svg(figures["money"], "money", "Balance and cost over time")
    return (f"<figure>{timeline}<figcaption>Lifecycle timeline: each phone's states over "
            "the window, with orders, renewals, alerts and refusals.</figcaption></figure>"
            f"<figure>{cash}<figcaption>Money: balance over time, cumulative cost by "
            "billing mode, cost per month.</figcaption></figure>")


LOSS_LABELS = {
    "failed_auto_renewals": "failed auto-renewals",
    "phones_expired": "phones expired",
    "phones_frozen": "phones frozen",
    "phones_released": "phones released",
    "unusable_hours": "hours unusable (Expired, Frozen or Released while in use)",
    "refused_operations": "refused operations",
}


def _losses(run: Results) -> str:
    s = run.summary
    losses = s.get("lifecycle_losses")
    if losses is None:  # older folders: what the notifications tell
        notes = run.notifications
        counts = notes["kind"].value_counts()
        losses = {"failed_auto_renewals": int(counts.get("auto_renew_failed", 0)),
                  "phones_expired": int(notes.loc[notes["kind"] == "expired", "phone"]
                                        .nunique()),
                  "refused_operations": s.get("refused_operations", 0)}
    rows = [[text(LOSS_LABELS.get(k, k.replace("_", " "))), number(v)]
            for k, v in losses.items()]
    out = table(["what", "how many"], rows, id="losses-totals")
    costs = run.costs
    if costs is not None:
        hit = costs[(costs["failed_renewals"] > 0) | (costs["unusable_hours"] > 0) |
                    (costs["refused_operations"] > 0)]
        hit = hit.sort_values(["unusable_hours", "phone"], ascending=[False, True])
        if len(hit):
            out += "<h3>Phones that lost time or operations</h3>" + _limited(
                hit, lambda frame: table(
                    ["phone", "billing", "final state", "hours unusable",
                     "failed renewals", "refused operations"],
                    [[text(r.phone), text(MODE_NAMES.get(r.billing, r.billing)),
                      text(r.final_state), number(r.unusable_hours, 1),
                      number(r.failed_renewals), number(r.refused_operations)]
                     for r in frame.itertuples(index=False)], id="losses"), "costs")
        else:
            out += "<p class=note>No phone lost usable time or an operation.</p>"
    return out


def _phones(run: Results) -> str:
    s = run.summary
    cur = s["currency"]
    costs = run.costs
    if costs is None:  # older folders: the summary's per-phone costs
        rows = [[text(pid), text(MODE_NAMES.get(p["billing"], p["billing"])),
                 text(p.get("final_state") or ""), money(p["cost"]),
                 text(_wall(p["expires_at"]) if p.get("expires_at") else "")]
                for pid, p in s.get("phones", {}).items()]
        return table(["phone", "billing", "final state", f"cash ({cur})", "expires at"],
                     rows, id="phones")
    expires = {pid: p.get("expires_at") for pid, p in s.get("phones", {}).items()}
    order = costs.assign(_cash=costs["cash"]).sort_values(
        ["_cash", "phone"], ascending=[False, True], kind="stable")

    def render(frame: pd.DataFrame) -> str:
        return table(
            ["phone", "billing", "group", "spec", "qty", f"cash ({cur})", f"accrued ({cur})",
             "billable h", "unusable h", "failed renewals", "refused", "final state",
             "expires at"],
            [[text(r.phone), text(MODE_NAMES.get(r.billing, r.billing)), text(r.group),
              text(r.spec), number(r.quantity), money(r.cash), money(r.accrued),
              number(r.billable_hours, 1), number(r.unusable_hours, 1),
              number(r.failed_renewals), number(r.refused_operations), text(r.final_state),
              text(_wall(expires[r.phone]) if expires.get(r.phone) else "")]
             for r in frame.itertuples(index=False)], id="phones")

    return _limited(order, render, "costs")


def _limited(frame: pd.DataFrame, render, source: str) -> str:
    if len(frame) <= MAX_ROWS:
        return render(frame)
    return (f"<p class=note>The first {MAX_ROWS} of {len(frame):,} rows; all are in "
            f"{escape(source)}.csv.</p>" + render(frame.head(MAX_ROWS)))


# --- what-if outputs ----------------------------------------------------------------------
def _whatif_sections(folder: Path, run: Results | None) -> list[tuple[str, str, str]]:
    out = []
    meta = run.summary if run is not None else {}
    for name, (heading, lead) in WHATIF_FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        html = f"<p class=note>{escape(lead).replace('`', '')}</p>"
        figure = _whatif_figure(name, frame, meta, folder)
        if figure:
            html += f"<figure>{figure}</figure>"
        anchor = name.removesuffix(".csv")
        html += _limited(frame, lambda f, anchor=anchor: _generic(f, anchor), anchor)
        out.append((anchor, heading, html))
    return out


def _generic(frame: pd.DataFrame, anchor: str) -> str:
    """Any CSV as a table: its text exactly, numbers right-aligned and sorted as numbers."""
    numeric = [_is_number(frame[c]) for c in frame.columns]
    rows = [[Cell(v, v, numeric=n and v != "") for v, n in zip(row, numeric)]
            for row in frame.itertuples(index=False)]
    return table(list(frame.columns), rows, id=anchor, numeric=numeric)


def _is_number(column: pd.Series) -> bool:
    values = [v for v in column if v != ""]
    return bool(values) and pd.to_numeric(pd.Series(values), errors="coerce").notna().all()


def _whatif_figure(name: str, frame: pd.DataFrame, meta: dict, folder: Path) -> str:
    from ..plots._style import style
    from ..plots.whatif import breakeven_figure, compare_figure

    currency = meta.get("currency", "USD")
    with style():
        if name == "compare.csv":
            fig = compare_figure(frame, scenario=meta.get("scenario", folder.resolve().name),
                                 currency=currency)
            return inline_svg(fig, "compare", "Cost of each billing mode")
        if name == "breakeven.csv":
            fig = breakeven_figure(frame, title="Break-even", currency=currency)
            return inline_svg(fig, "breakeven", "Break-even")
    return ""


def _footer(folder: Path) -> str:
    from .. import __version__

    files = sorted(p.name for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name != REPORT_FILE)
    return (f"<footer>Made by koophone-sim {escape(__version__)} from the files of "
            f"<code>{escape(folder.resolve().name)}</code>: "
            f"{escape(', '.join(files))}. Cells show money to cents; hover for the exact "
            "value kept in the files.</footer>")
