"""Printed summaries of the what-if commands: aligned plain-text tables, money in cents."""

from __future__ import annotations

from decimal import Decimal

from ..money import cents


def money(value: Decimal | None) -> str:
    """Money rounded half-up to cents for reading (files keep the exact value)."""
    if value is None:
        return "-"
    return format(cents(value), "f")


def hours(value: float) -> str:
    return f"{value:,.1f}"


def table(rows: list[tuple], right: set[int] = frozenset(), limit: int | None = None) -> str:
    """Rows (the first is the header) as aligned columns; `right` = right-aligned indices.

    With `limit`, only the first `limit` body rows are shown and a line says how many more.
    """
    header, body = rows[0], rows[1:]
    hidden = 0
    if limit is not None and len(body) > limit:
        hidden = len(body) - limit
        body = body[:limit]
    shown = [tuple(str(c) for c in r) for r in [header, *body]]
    widths = [max(len(r[i]) for r in shown) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in shown]
    if hidden:
        lines.append(f"... {hidden} more rows in the CSV file")
    return "\n".join(lines)


def recommend_text(rec, limit: int = 20) -> str:
    """`koophone-sim recommend`'s summary: per phone and group the verdict with the cash it
    commits up front, whether the account pays it when due (simulated) and the accrued
    saving; the best mix; the commitment (base load) per spec."""
    s, cur = rec.scenario, rec.scenario.currency
    t = rec.table
    lines = [f"recommend: {s.name} ({cur}), {s.start} -> {s.end}", "", *wrap(RANKED), "",
             "Per phone (best mode simulated; up front = cash one order of it commits; "
             "can pay = simulated with the scenario's account):"]
    rows = [("phone", "written", "best", "as written", "best (accrued)", "accrued saving",
             "up front", "can pay")]
    for r in t[t.level == "phone"].itertuples(index=False):
        rows.append((r.name, r.written_mode, r.best_mode, money(r.written_cost_accrued),
                     money(r.best_cost_accrued), difference(r.saving_accrued, ""),
                     money(r.committed_cash), r.can_pay))
    lines.append(table(rows, right={3, 4, 6}, limit=limit))
    groups = t[t.level == "group"]
    if len(groups):
        lines += ["", "Per group (one mode for all its phones):"]
        rows = [("group", "phones", "written", "best", "as written", "best (accrued)",
                 "accrued saving", "up front", "can pay")]
        for r in groups.itertuples(index=False):
            count = sum(1 for p in s.phones if p.group == r.name)
            rows.append((r.name, count, r.written_mode, r.best_mode,
                         money(r.written_cost_accrued), money(r.best_cost_accrued),
                         difference(r.saving_accrued, ""), money(r.committed_cash),
                         r.can_pay))
        lines.append(table(rows, right={1, 4, 5, 7}, limit=limit))
    total = t[t.level == "total"].iloc[0]
    lines += ["", f"Best mix: {money(total.best_cost_accrued)} {cur} accrued "
                  f"({money(total.best_cost_cash)} cash) vs as written "
                  f"{money(total.written_cost_accrued)} "
                  f"({money(total.written_cost_cash)} cash): it "
                  f"{difference(total.saving_accrued, 'accrued')}, "
                  f"{difference(total.saving_cash, 'cash')}; up front "
                  f"{money(total.committed_cash)}; can pay: {total.can_pay}", ""]
    lines += ["Commitment per spec (ESTIMATE from list prices: k subscriptions held from the "
              "first use to the end of the window, pay-per-use above k; lifecycle effects "
              "ignored; the chosen k is then simulated):"]
    base = t[t.level == "base_load"].set_index("name")
    rows = [("spec", "peak", "mean", "hold", "estimate", "all pay-per-use", "as written",
             "simulated", "up front", "can pay")]
    for c in rec.choice.itertuples(index=False):
        b = base.loc[c.spec]
        rows.append((c.spec, c.peak, f"{c.mean_in_use:.2f}",
                     f"{c.k} x {c.mode}" if c.k else "0 (all pay-per-use)",
                     money(c.estimated_cost), money(c.all_ppu_cost),
                     money(c.written_cost_accrued), money(c.simulated_cost_accrued),
                     money(b.committed_cash), b.can_pay))
    lines.append(table(rows, right={1, 2, 4, 5, 6, 7, 8}, limit=limit))
    lines += commitment_lines(rec)
    lines += workload_lines(rec, limit)
    lines += free_refund_note(s, rec.comparison.table)
    lines.append(f"simulated = the chosen plan run by the engine ({rec.check_note})")
    return "\n".join(lines)


def workload_lines(rec, limit: int) -> list[str]:
    """Spec advice (seed §10) for the phones and groups that say their workload."""
    w = rec.workload
    if w is None or not len(w):
        return []
    rows = [("phone/group", "workload", "spec", "advised", "mode", "price -> advised",
             "best cost -> advised (accrued)", "why")]
    for r in w.itertuples(index=False):
        same = r.advised_spec == r.spec
        rows.append((r.name, r.workload + (" (secure)" if r.data_security else ""), r.spec,
                     "keep" if same else (r.advised_spec or "-"), r.mode,
                     f"{money(r.price)} -> {money(r.advised_price)}",
                     f"{money(r.cost_accrued)} -> {money(r.advised_cost_accrued)} "
                     f"({difference(-r.difference, '')})" if not same else
                     money(r.cost_accrued), r.reason))
    return ["", "Spec advice from the workload (seed §10; priced with the catalog, same use "
                "and mode; workload.csv):", table(rows, right=set(), limit=limit)]


def commitment_lines(rec) -> list[str]:
    """Per spec: coverage, utilization and waste at the best k, and the smallest k reaching
    the target coverage (commitment.csv has every k)."""
    c = rec.commitment
    if c is None or not len(c):
        return []
    out = ["", "Commitment analysis (commitment.csv: every k under each prepaid mode):"]
    rows = [("spec", "k", "mode", "coverage", "utilization", "waste h", "waste", "up front",
             "cost", "vs all pay-per-use", "simulated", "can pay")]

    def add(r, label=""):  # r: a row as a Series (r.mode would be Series.mode)
        u, sim = r["utilization"], r["simulated_cost_accrued"]
        use = "-" if u is None or u != u else f"{100 * u:.1f}%"
        rows.append((r["spec"], f"{r['k']}{label}", r["mode"] if r["k"] else "-",
                     f"{100 * r['coverage']:.1f}%", use, hours(r["waste_hours"]),
                     money(r["waste_cost"]), money(r["up_front"]), money(r["cost"]),
                     difference(r["saving_vs_pay_per_use"], ""),
                     "-" if sim is None or sim != sim else money(sim),
                     r["simulated_can_pay"] or "-"))

    choice = rec.choice.set_index("spec")
    for spec in dict.fromkeys(c.spec):
        mine = c[c.spec == spec]
        best = mine[mine.is_best].iloc[0]
        add(best, " (best)")
        mode = choice.loc[spec, "target_mode"] if spec in choice.index else None
        target = mine[(mine.reaches_target == True) & (mine["mode"] == mode)]  # noqa: E712
        if len(target):
            add(target.iloc[0], f" (>= {100 * rec.target_coverage:.0f}%)")
        elif rec.target_coverage is not None:
            rows.append((spec, "-", "", f"no k reaches {100 * rec.target_coverage:.0f}%",
                         "", "", "", "", "", "", "", ""))
    out.append(table(rows, right={3, 4, 5, 6, 7, 8, 10}))
    out.append("simulated = accrued cost of that k run by the engine with the scenario's "
               "account; can pay = whether it paid when due (commitment.csv: "
               "simulated_cost_accrued, simulated_cost_cash, simulated_can_pay)")
    return out


RANKED = ("What is ranked: per phone, the mode with the lowest ACCRUED cost among those "
          "that keep it usable for its whole use (bought or created, never Expired, Frozen "
          "or Released while in use). A cheaper mode that loses hours is not called "
          "cheapest; when no mode keeps a phone usable, the verdict says so and the row "
          "shows each mode's cost and lost hours.")


def served(r) -> bool:
    """Whether a compare row's mode keeps the phone usable for its whole use."""
    return r.final_state is not None and not r.unusable_hours


def verdict(rows) -> str:
    """One phone's verdict over its compare rows: the best mode, or why there is none."""
    best = next(r for r in rows if r.is_best)
    if served(best):
        return best.mode
    return f"none usable (least lost: {best.mode})"


def difference(saving, what: str) -> str:
    """A signed difference said in words: never a negative saving."""
    if saving > 0:
        return f"saves {money(saving)} {what}".rstrip()
    if saving < 0:
        return f"costs {money(-saving)} more {what}".rstrip()
    return f"costs the same {what}".rstrip()


def wrap(text: str, width: int = 92) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def compare_text(cmp, limit: int = 20) -> str:
    """`koophone-sim compare`'s summary: what was ranked, accrued cost per phone and mode
    (lost hours beside a mode that loses some), totals in both views, the best mix."""
    s, cur, modes = cmp.scenario, cmp.scenario.currency, cmp.modes
    t, w = cmp.table, cmp.written.set_index("phone")
    by = {(r.phone, r.mode): r for r in t.itertuples(index=False)}
    lines = [f"compare: {s.name} ({cur}), {s.start} -> {s.end}", "", *wrap(RANKED), "",
             "Cost accrued in the window, per phone and billing mode (* cheapest usable;",
             "[N h lost] unusable hours; ! refused operations; never bought = refused):"]
    rows = [("phone", "written", "as written", *modes, "verdict")]
    unserved = 0
    for p in s.phones:
        cells = []
        for mode in modes:
            r = by[(p.id, mode)]
            if r.final_state is None:
                cells.append("never bought")
                continue
            cell = money(r.cost_accrued) + ("*" if r.is_best and served(r) else "")
            if r.unusable_hours:
                cell += f" [{hours(r.unusable_hours)} h lost]"
            if r.refused_operations:
                cell += "!"
            cells.append(cell)
        said = verdict([by[(p.id, m)] for m in modes])
        unserved += said.startswith("none")
        rows.append((p.id, p.billing, money(w.loc[p.id, "cost_accrued"]), *cells, said))
    numeric = set(range(2, 3 + len(modes)))
    lines.append(table(rows, right=numeric, limit=limit))
    totals = [by[("TOTAL", mode)] for mode in modes]
    rows = [("", "", "as written", *modes),
            ("TOTAL accrued", "", money(w.loc["TOTAL", "cost_accrued"]),
             *(money(r.cost_accrued) for r in totals)),
            ("TOTAL cash", "", money(w.loc["TOTAL", "cost_cash"]),
             *(money(r.cost_cash) for r in totals)),
            ("unusable hours", "", hours(w.loc["TOTAL", "unusable_hours"]),
             *(hours(r.unusable_hours) for r in totals)),
            ("refused operations", "", w.loc["TOTAL", "refused_operations"],
             *(r.refused_operations for r in totals))]
    lines += ["", table(rows, right=set(range(2, 3 + len(modes))))]
    mix = cmp.mix[cmp.mix.phone == "TOTAL"].iloc[0]
    written_lost = float(w.loc["TOTAL", "unusable_hours"])
    lines += ["",
              f"Best mix (each phone in its verdict mode, simulated together): "
              f"{money(mix.best_cost_accrued)} {cur} accrued, {money(mix.best_cost_cash)} cash, "
              f"{hours(mix.unusable_hours)} h unusable",
              f"As written: {money(mix.written_cost_accrued)} accrued, "
              f"{money(mix.written_cost_cash)} cash, {hours(written_lost)} h unusable",
              f"-> the mix {difference(mix.saving_accrued, 'accrued')}, "
              f"{difference(mix.saving_cash, 'cash')} in the window"]
    if mix.saving_accrued < 0 and written_lost > float(mix.unusable_hours):
        lines.append(f"   (it costs more because it keeps phones usable: as written loses "
                     f"{hours(written_lost - float(mix.unusable_hours))} more hours)")
    if unserved:
        lines.append(f"{unserved} phone(s) lose hours in every mode: the account cannot "
                     "carry them as it stands (top up, or turn on auto-renewal in time)")
    lines += ["accrued = prepaid orders spread over the periods they pay for (the window's "
              "share) + bill lines; cash = orders - refunds + bill lines, when paid"]
    lines += free_refund_note(s, t)
    return "\n".join(lines)


def free_refund_note(s, t) -> list[str]:
    """A warning when prepaid phones were unsubscribed without any handling fee: under the
    daily rule a phone dropped within a day then costs nothing (billing-rules §3)."""
    if s.policy.refund_fee_rate or s.policy.refund_rule != "daily":
        return []
    dropped = t[(t["mode"] != "pay_per_use") & (t.final_state == "Unsubscribed")]
    if not len(dropped):
        return []
    return ["note: refund_fee_rate is 0, so a prepaid phone unsubscribed within a day is "
            "refunded in full and costs nothing; set policy.refund_fee_rate to your "
            "contract's fee for a realistic comparison"]


def breakeven_text(frame, currency: str) -> str:
    """`koophone-sim breakeven`'s table: prices and the three break-even points per spec."""
    rows = [("spec", "monthly", "yearly", "hourly", "ppu = monthly at", "ppu = yearly at",
             "yearly = monthly after")]
    for r in frame.itertuples(index=False):
        rows.append((r.spec, money(r.monthly), money(r.yearly), format(r.hourly, "f"),
                     _ratio(r.ppu_vs_monthly_hours, " h/month"),
                     _ratio(r.ppu_vs_yearly_hours_per_month, " h/month"),
                     _ratio(r.yearly_vs_monthly_months, " months")))
    return "\n".join([
        f"Break-even points ({currency}, list prices):", "",
        table(rows, right={1, 2, 3, 4, 5, 6}), "",
        "Pay-per-use is cheaper below those hours of existence per month (stopped phones "
        "are billed too); a year costs less than monthly terms after that many months."])


def _ratio(value, unit: str) -> str:
    return "-" if value is None else money(value) + unit
