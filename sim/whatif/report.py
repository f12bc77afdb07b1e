"""Printed summaries of the what-if commands: aligned plain-text tables, money in cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def money(value: Decimal | None) -> str:
    """Money rounded half-up to cents for reading (files keep the exact value)."""
    if value is None:
        return "-"
    return format(value.quantize(_CENT, rounding=ROUND_HALF_UP), "f")


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
    """`koophone-sim recommend`'s summary: per phone, per group, best mix, base load."""
    s, cur = rec.scenario, rec.scenario.currency
    t = rec.table
    lines = [f"recommend: {s.name} ({cur}), {s.start} -> {s.end}", "",
             "Cheapest mode per phone (simulated; cost accrued in the window):"]
    rows = [("phone", "written", "best", "as written", "best cost", "saving")]
    for r in t[t.level == "phone"].itertuples(index=False):
        rows.append((r.name, r.written_mode, r.best_mode, money(r.written_cost_accrued),
                     money(r.best_cost_accrued), money(r.saving_accrued)))
    lines.append(table(rows, right={3, 4, 5}, limit=limit))
    groups = t[t.level == "group"]
    if len(groups):
        lines += ["", "Per group (one mode for all its phones):"]
        rows = [("group", "phones", "written", "best", "as written", "best cost", "saving")]
        for r in groups.itertuples(index=False):
            count = sum(1 for p in s.phones if p.group == r.name)
            rows.append((r.name, count, r.written_mode, r.best_mode,
                         money(r.written_cost_accrued), money(r.best_cost_accrued),
                         money(r.saving_accrued)))
        lines.append(table(rows, right={1, 4, 5, 6}, limit=limit))
    total = t[t.level == "total"].iloc[0]
    lines += ["", f"Best mix: {money(total.best_cost_accrued)} {cur} accrued "
                  f"({money(total.best_cost_cash)} cash) vs as written "
                  f"{money(total.written_cost_accrued)} "
                  f"({money(total.written_cost_cash)} cash): saving "
                  f"{money(total.saving_accrued)} accrued, "
                  f"{money(total.saving_cash)} cash", "",
              "Base load per spec (ESTIMATE from list prices: k subscriptions held from the first "
              "use to the end of the window, pay-per-use above k; ignores lifecycle effects):"]
    rows = [("spec", "peak", "mean", "hold", "estimate", "all pay-per-use", "as written",
             "simulated")]
    for c in rec.choice.itertuples(index=False):
        rows.append((c.spec, c.peak, f"{c.mean_in_use:.2f}",
                     f"{c.k} x {c.mode}" if c.k else "0 (all pay-per-use)",
                     money(c.estimated_cost), money(c.all_ppu_cost),
                     money(c.written_cost_accrued),
                     money(c.simulated_cost_accrued) + ("!" if c.simulated_refused
                                                         or c.simulated_unusable_hours
                                                         else "")))
    lines.append(table(rows, right={1, 2, 4, 5, 6, 7}, limit=limit))
    lines += free_refund_note(s, rec.comparison.table)
    lines.append(f"simulated = the chosen plan run by the engine ({rec.check_note}); "
                 "! = refused operations or unusable hours")
    return "\n".join(lines)


def compare_text(cmp, limit: int = 20) -> str:
    """`koophone-sim compare`'s summary: accrued cost per phone and mode, totals, best mix."""
    s, cur, modes = cmp.scenario, cmp.scenario.currency, cmp.modes
    t, w = cmp.table, cmp.written.set_index("phone")
    by = {(r.phone, r.mode): r for r in t.itertuples(index=False)}
    lines = [f"compare: {s.name} ({cur}), {s.start} -> {s.end}", "",
             "Cost accrued in the window, per phone and billing mode "
             "(* cheapest; ! unusable hours or refused operations):"]
    rows = [("phone", "written", "as written", *modes, "best")]
    for p in s.phones:
        cells = []
        for mode in modes:
            r = by[(p.id, mode)]
            flag = "!" if (r.unusable_hours or r.refused_operations or r.final_state is None) \
                else ""
            cells.append(money(r.cost_accrued) + ("*" if r.is_best else "") + flag)
        rows.append((p.id, p.billing, money(w.loc[p.id, "cost_accrued"]), *cells,
                     cmp.best[p.id]))
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
    lines += ["",
              f"Best mix (each phone in its cheapest mode, simulated together): "
              f"{money(mix.best_cost_accrued)} {cur} accrued, {money(mix.best_cost_cash)} cash",
              f"As written: {money(mix.written_cost_accrued)} accrued, "
              f"{money(mix.written_cost_cash)} cash -> saving "
              f"{money(mix.saving_accrued)} accrued, {money(mix.saving_cash)} cash",
              "accrued = prepaid orders spread over the periods they pay for (the window's "
              "share) + bill lines; cash = orders - refunds + bill lines"]
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
