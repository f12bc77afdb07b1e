"""`recommend`: the cheapest billing mode per phone and per group, and the base load to
hold on subscription for a fleet whose demand varies.

Per phone and group the answer is simulated (`compare`); the base load is a closed-form
estimate from the concurrency profile (baseload.py), cross-checked by simulating the
chosen plan when that takes few phones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..clock import Clock
from ..engine import simulate
from ..money import cents, fmt
from ..result import Result
from ..scenario.models import Scenario
from ._files import frame, hours_text, write_csv
from .baseload import (Profile, choose, commitments, held_seconds, options, profile,
                       smallest_covering)
from .compare import MIX, TOTAL, Comparison, compare
from .metrics import phone_metrics, usage_window
from .report import recommend_text
from .variants import PPU, with_phones
from .workload import COLUMNS as WORKLOAD_COLUMNS, workload_table

COLUMNS = ["level", "name", "group", "spec", "quantity", "usage_hours", "written_mode",
           "best_mode", "written_cost_cash", "written_cost_accrued", "best_cost_cash",
           "best_cost_accrued", "saving_cash", "saving_accrued", "detail",
           "committed_cash", "can_pay"]
BASE_LOAD_COLUMNS = ["spec", "k", "held_hours", "ppu_hours", "cost_with_monthly",
                     "cost_with_yearly", "chosen_mode", "simulated_cost_accrued",
                     "simulated_cost_cash"]
CHOICE_COLUMNS = ["spec", "peak", "mean_in_use", "held_hours", "instance_hours", "k", "mode",
                  "estimated_cost", "all_ppu_cost", "written_cost_accrued",
                  "simulated_cost_accrued", "simulated_cost_cash", "simulated_refused",
                  "simulated_unusable_hours", "target_k", "target_mode",
                  "target_simulated_cost_accrued", "target_simulated_cost_cash",
                  "target_can_pay"]
PROFILE_COLUMNS = ["spec", "time", "in_use"]
COMMITMENT_COLUMNS = ["spec", "mode", "k", "coverage", "utilization", "waste_hours",
                      "waste_cost", "up_front", "cost", "saving_vs_pay_per_use", "is_best",
                      "reaches_target", "simulated_cost_accrued", "simulated_cost_cash",
                      "simulated_can_pay"]
# The cross-check simulates one phone per pay-per-use layer interval; beyond this, skip it.
MAX_CHECK_PHONES = 2000
_COMMITMENT = {PPU: 0, "monthly": 1, "yearly": 2}


@dataclass(frozen=True)
class Recommendation:
    """What `recommend` found; money is exact Decimal, estimates are labelled as such."""

    scenario: Scenario
    comparison: Comparison
    table: pd.DataFrame
    """recommend.csv: level phone / group / total (the best mix) / base_load (per spec)."""
    base_load: pd.DataFrame
    """base-load.csv: per spec and k, the estimated cost with k monthly or yearly."""
    choice: pd.DataFrame
    """Per spec: the chosen k and mode, the estimate and the simulated cross-check."""
    profile: pd.DataFrame
    """Concurrency profile: per spec, instances in use from `time` on (step function)."""
    check: Result | None = field(default=None, repr=False)
    """The simulated cross-check of the chosen base loads (None when skipped)."""
    check_note: str = ""
    commitment: pd.DataFrame | None = None
    """commitment.csv: per spec, prepaid mode and k = 0..peak: coverage, utilization,
    waste, up-front cash, total cost and saving against all pay-per-use (estimates)."""
    target_coverage: float | None = None
    workload: pd.DataFrame | None = None
    """workload.csv: the spec seed §10 advises for each phone and group with a `workload`,
    priced in its best mode with the catalog (empty when no phone says its workload)."""

    def write(self, out: str | Path) -> Path:
        """Write recommend.csv and base-load.csv into `out` (other files are left alone)."""
        out = Path(out)

        def opt(value):
            return "" if value is None else fmt(value)

        write_csv(out / "recommend.csv", COLUMNS, (
            (r.level, r.name, r.group or "", r.spec, r.quantity, hours_text(r.usage_hours),
             r.written_mode, r.best_mode, opt(r.written_cost_cash),
             opt(r.written_cost_accrued), opt(r.best_cost_cash), opt(r.best_cost_accrued),
             opt(r.saving_cash), opt(r.saving_accrued), r.detail, opt(r.committed_cash),
             r.can_pay)
            for r in self.table.itertuples(index=False)))
        write_csv(out / "base-load.csv", BASE_LOAD_COLUMNS, (
            (r.spec, r.k, hours_text(r.held_hours), hours_text(r.ppu_hours),
             fmt(r.cost_with_monthly), fmt(r.cost_with_yearly), r.chosen_mode,
             opt(r.simulated_cost_accrued), opt(r.simulated_cost_cash))
            for r in self.base_load.itertuples(index=False)))
        if self.commitment is not None:
            write_csv(out / "commitment.csv", COMMITMENT_COLUMNS, (
                (r.spec, r.mode, r.k, f"{r.coverage:.6f}",
                 "" if r.utilization is None or pd.isna(r.utilization)
                 else f"{r.utilization:.6f}",
                 hours_text(r.waste_hours), fmt(cents(r.waste_cost)), fmt(r.up_front),
                 fmt(cents(r.cost)), fmt(cents(r.saving_vs_pay_per_use)), r.is_best,
                 r.reaches_target, opt(r.simulated_cost_accrued), opt(r.simulated_cost_cash),
                 r.simulated_can_pay)
                for r in self.commitment.itertuples(index=False)))
        if self.workload is not None and len(self.workload):
            write_csv(out / "workload.csv", WORKLOAD_COLUMNS, (
                (r.level, r.name, r.workload, r.data_security, r.spec, r.advised_spec,
                 r.mode, fmt(r.price), fmt(r.advised_price), fmt(r.cost_accrued),
                 fmt(r.advised_cost_accrued), fmt(r.difference), r.reason)
                for r in self.workload.itertuples(index=False)))
        return out

    def report(self, limit: int = 20) -> str:
        """A readable summary for the terminal (at most `limit` rows per table)."""
        return recommend_text(self, limit)


def recommend(scenario: Scenario, *, replication: int = 0,
              target_coverage: float | None = None) -> Recommendation:
    """Cheapest mode per phone and group (simulated), and the base load per spec (estimate).

    A `generate:` fleet is expanded first (its `replication`); its groups get a row each.
    """
    comparison = compare(scenario, replication=replication)
    scenario = comparison.scenario  # expanded
    written = comparison.results["as_written"]
    written_accrued = comparison.written.set_index("phone").cost_accrued
    profiles = _profiles(scenario, written)
    base_rows, choice_rows, commit_rows = [], [], []
    for spec_id, prof in profiles.items():
        spec = scenario.catalog.spec(spec_id)
        held = held_seconds(prof, written.end)
        opts = options(prof, spec, written.end)
        k, mode, cost = choose(opts)
        rows = commitments(prof, spec, written.end)
        target_k = None if target_coverage is None else smallest_covering(rows,
                                                                          target_coverage)
        # At the target k, the prepaid mode with the lower estimate (the best one on a tie).
        target_mode = None if target_k is None else min(
            (r for r in rows if r.k == target_k),
            key=lambda r: (r.cost, r.mode != (mode if k else "yearly"))).mode
        for r in rows:
            commit_rows.append({
                "spec": spec_id, "mode": r.mode, "k": r.k, "coverage": r.coverage,
                "utilization": r.utilization, "waste_hours": r.waste_hours,
                "waste_cost": r.waste_cost, "up_front": r.up_front, "cost": r.cost,
                "saving_vs_pay_per_use": r.saving,
                "is_best": r.k == k and (r.mode == mode or (k == 0 and r.mode == "monthly")),
                "reaches_target": "" if target_k is None else r.k == target_k,
                "simulated_cost_accrued": None, "simulated_cost_cash": None,
                "simulated_can_pay": ""})
        for o in opts:
            base_rows.append({
                "spec": spec_id, "k": o.k, "held_hours": held / 3600,
                "ppu_hours": o.ppu_seconds / 3600, "cost_with_monthly": o.cost["monthly"],
                "cost_with_yearly": o.cost["yearly"],
                "chosen_mode": mode if o.k == k else "",
                "simulated_cost_accrued": None, "simulated_cost_cash": None,
                "simulated_can_pay": ""})
        instance_seconds = int(prof.seconds_at_least()[1:].sum())
        choice_rows.append({
            "spec": spec_id, "peak": prof.peak,
            "mean_in_use": instance_seconds / held if held else 0.0,
            "held_hours": held / 3600, "instance_hours": instance_seconds / 3600,
            "k": k, "mode": mode, "estimated_cost": cost,
            "all_ppu_cost": opts[0].cost["monthly"],  # k = 0: no subscription of any kind
            "written_cost_accrued": sum((written_accrued[p.id] for p in scenario.phones
                                         if p.spec == spec_id), Decimal(0)),
            "simulated_cost_accrued": None, "simulated_cost_cash": None,
            "simulated_refused": None, "simulated_unusable_hours": None,
            "simulated_failed_renewals": 0, "target_k": target_k, "target_mode": target_mode,
            "target_simulated_cost_accrued": None, "target_simulated_cost_cash": None,
            "target_can_pay": ""})
    check, note = _cross_check(scenario, profiles, choice_rows)
    if target_coverage is not None and check is not None:
        _cross_check_target(scenario, profiles, choice_rows)
    _mark_simulated(commit_rows, choice_rows)
    if check is not None:
        chosen = {(r["spec"], r["k"]) for r in choice_rows}
        for row in base_rows:
            if (row["spec"], row["k"]) in chosen:
                c = next(c for c in choice_rows if c["spec"] == row["spec"])
                row["simulated_cost_accrued"] = c["simulated_cost_accrued"]
                row["simulated_cost_cash"] = c["simulated_cost_cash"]
    choice = frame(choice_rows, CHOICE_COLUMNS).astype({"peak": "int64", "k": "int64"})
    return Recommendation(
        scenario=scenario, comparison=comparison,
        table=_table(scenario, comparison, choice_rows),
        base_load=frame(base_rows, BASE_LOAD_COLUMNS),
        choice=choice, profile=_profile_frame(profiles, written), check=check,
        check_note=note, target_coverage=target_coverage,
        workload=_workload(scenario, comparison),
        commitment=pd.DataFrame(commit_rows, columns=COMMITMENT_COLUMNS))


def _workload(scenario: Scenario, comparison: Comparison) -> pd.DataFrame:
    """Spec advice for the phones that say their workload, priced in their best mode."""
    t = comparison.table
    best = comparison.best.to_dict()
    accrued = {r.phone: r.cost_accrued for r in t.itertuples(index=False)
               if r.phone in best and r.mode == best[r.phone]}
    return workload_table(scenario, best, accrued)


def _profiles(scenario: Scenario, written: Result) -> dict[str, Profile]:
    """Per spec (in the order the file first uses it), the profile of its usage windows."""
    windows: dict[str, list[tuple[int, int, int]]] = {}
    if scenario.sessions is not None:  # a replayed log (compare's view): its sessions
        s = scenario.sessions
        for spec, start, stop in zip(s.spec, s.start, s.end):
            windows.setdefault(spec, []).append((start, stop, 1))
        return {spec: profile(spec, w) for spec, w in windows.items()}
    for p in scenario.phones:
        start, stop = usage_window(p, written)
        windows.setdefault(p.spec, []).append((start, stop, p.quantity))
    return {spec: profile(spec, w) for spec, w in windows.items()}


def _profile_frame(profiles: dict[str, Profile], written: Result) -> pd.DataFrame:
    rows = []
    for spec, p in profiles.items():
        levels = list(p.level.tolist()) + [0]
        for t, n in zip(p.times.tolist(), levels):
            rows.append({"spec": spec, "time": t, "in_use": n})
    out = frame(rows, PROFILE_COLUMNS).astype({"time": "int64", "in_use": "int64"})
    out["time"] = pd.to_datetime(out["time"], unit="s", utc=True).dt.tz_convert(
        written.clock.zone_name)
    return out


def _cross_check_target(scenario: Scenario, profiles: dict[str, Profile],
                        choice_rows: list[dict]) -> None:
    """Simulate the plans at the smallest k reaching the target coverage, as the best k is
    (every spec together, on the one account; a spec no k serves keeps its best plan)."""
    plans = [dict(r, k=r["target_k"], mode=r["target_mode"]) if r["target_k"] is not None
             else dict(r) for r in choice_rows]
    if all((p["k"], p["mode"]) == (r["k"], r["mode"]) for p, r in zip(plans, choice_rows)):
        plans = choice_rows  # the same plan: the best k's simulation answers
    elif _cross_check(scenario, profiles, plans)[0] is None:
        return
    for row, plan in zip(choice_rows, plans):
        if row["target_k"] is None:
            continue
        row["target_simulated_cost_accrued"] = plan["simulated_cost_accrued"]
        row["target_simulated_cost_cash"] = plan["simulated_cost_cash"]
        row["target_can_pay"] = can_pay("", plan["simulated_failed_renewals"],
                                        plan["simulated_unusable_hours"],
                                        plan["simulated_refused"])


def _mark_simulated(commit_rows: list[dict], choice_rows: list[dict]) -> None:
    """Put the simulated costs on the commitment rows that were simulated (best, target)."""
    for c in choice_rows:
        for r in commit_rows:
            if r["spec"] != c["spec"]:
                continue
            if r["is_best"] and c["simulated_cost_accrued"] is not None:
                r["simulated_cost_accrued"] = c["simulated_cost_accrued"]
                r["simulated_cost_cash"] = c["simulated_cost_cash"]
                r["simulated_can_pay"] = can_pay("", c["simulated_failed_renewals"],
                                                 c["simulated_unusable_hours"],
                                                 c["simulated_refused"])
            if (r["k"], r["mode"]) == (c["target_k"], c["target_mode"]) and \
                    c["target_simulated_cost_accrued"] is not None:
                r["simulated_cost_accrued"] = c["target_simulated_cost_accrued"]
                r["simulated_cost_cash"] = c["target_simulated_cost_cash"]
                r["simulated_can_pay"] = c["target_can_pay"]


def _cross_check(scenario: Scenario, profiles: dict[str, Profile],
                 choice_rows: list[dict]) -> tuple[Result | None, str]:
    """Simulate the chosen plans together: k subscriptions bought at each spec's first use
    and held (auto-renewal on), one pay-per-use phone per interval of demand above k."""
    clock = Clock(scenario.timezone)
    end = clock.epoch(scenario.end)
    phones: list[dict] = []
    owner: dict[str, str] = {}
    for row in choice_rows:
        prof, k, spec = profiles[row["spec"]], row["k"], row["spec"]
        if prof.span == 0:
            continue
        if k:
            # Pay as the spec's prepaid phones do as written (online only if all of them do);
            # auto-renewals come from the balance whatever this says (billing-rules §7.6).
            ways = {p.pay_with or "balance" for p in scenario.phones
                    if p.spec == spec and p.prepaid}
            phones.append({"id": f"base-{spec}", "spec": spec, "quantity": k,
                           "billing": row["mode"], "term": 1,
                           "pay_with": "online" if ways == {"online"} else "balance",
                           "at": clock.local(int(prof.times[0])), "auto_renew": {}})
            owner[f"base-{spec}"] = spec
        for j in range(k + 1, prof.peak + 1):
            for n, (a, b) in enumerate(prof.layers(j)):
                if len(phones) >= MAX_CHECK_PHONES:
                    return None, (f"not simulated: the plan needs more than "
                                  f"{MAX_CHECK_PHONES} phones")
                pid = f"ppu-{spec}-{j}-{n}"
                actions = [{"at": clock.local(b), "do": "delete"}] if b < end else []
                phones.append({"id": pid, "spec": spec, "billing": PPU,
                               "at": clock.local(a), "actions": actions})
                owner[pid] = spec
    if not phones:
        return None, "nothing to simulate"
    plan = with_phones(scenario, phones)
    result = simulate(plan)
    metrics = phone_metrics(plan, result)
    for row in choice_rows:
        mine = [m for m in metrics if owner[m.phone] == row["spec"]]
        row["simulated_cost_accrued"] = sum((m.cost_accrued for m in mine), Decimal(0))
        row["simulated_cost_cash"] = sum((m.cost_cash for m in mine), Decimal(0))
        row["simulated_refused"] = sum(m.refused_operations for m in mine)
        row["simulated_unusable_hours"] = sum(m.unusable_hours for m in mine)
        row["simulated_failed_renewals"] = sum(
            int(result.costs.failed_renewals[i]) for i, p in enumerate(result.phones)
            if owner[p.id] == row["spec"])
    refused = sum(m.refused_operations for m in metrics)
    unusable = sum(m.unusable_hours for m in metrics)
    note = "simulated with the scenario's account and policy"
    if refused or unusable:
        note += (f"; {refused} refused operations, {unusable:.1f} unusable hours: "
                 "the account cannot carry this plan as it stands")
    return result, note


def _group_rows(scenario: Scenario, comparison: Comparison) -> list[dict]:
    """One row per group: the one mode cheapest for the group's phones taken together."""
    groups: dict[str, list] = {}
    for p in scenario.phones:
        if p.group is not None:
            groups.setdefault(p.group, []).append(p)
    table = comparison.table
    written = comparison.written.set_index("phone")
    rows = []
    for name, members in groups.items():
        ids = [p.id for p in members]
        sub = table[table.phone.isin(ids)]
        totals = {}
        for mode in comparison.modes:
            m = sub[sub["mode"] == mode]
            totals[mode] = {
                "unserved": int((m.final_state.isna() | (m.unusable_hours > 0)).sum()),
                "unusable": float(m.unusable_hours.sum()),
                "cash": sum(m.cost_cash, Decimal(0)),
                "accrued": sum(m.cost_accrued, Decimal(0))}
        best = min(comparison.modes, key=lambda mode: (
            totals[mode]["unserved"], totals[mode]["unusable"], totals[mode]["accrued"],
            totals[mode]["cash"], _COMMITMENT[mode]))
        w_cash = sum((written.loc[i, "cost_cash"] for i in ids), Decimal(0))
        w_accrued = sum((written.loc[i, "cost_accrued"] for i in ids), Decimal(0))
        specs = {p.spec for p in members}
        modes = {p.billing for p in members}
        usage = float(sub[sub["mode"] == best].usage_hours.sum())
        rows.append({
            "level": "group", "name": name, "group": name,
            "spec": specs.pop() if len(specs) == 1 else "",
            "quantity": sum(p.quantity for p in members), "usage_hours": usage,
            "written_mode": modes.pop() if len(modes) == 1 else "mixed", "best_mode": best,
            "written_cost_cash": w_cash, "written_cost_accrued": w_accrued,
            "best_cost_cash": totals[best]["cash"], "best_cost_accrued": totals[best]["accrued"],
            "saving_cash": w_cash - totals[best]["cash"],
            "saving_accrued": w_accrued - totals[best]["accrued"],
            "detail": f"{len(members)} phones, all {best}",
            "committed_cash": sum((up_front(scenario, p.spec, best, p.quantity)
                                   for p in members), Decimal(0)),
            # Each phone of the group simulated in that mode (compare's variant runs).
            "can_pay": "yes" if not totals[best]["unserved"] else (
                f"no: {totals[best]['unserved']} of {len(members)} phones refused or "
                f"unusable ({totals[best]['unusable']:,.1f} h)")})
    return rows


def up_front(scenario: Scenario, spec_id: str, mode: str, quantity: int) -> Decimal:
    """Cash an order commits when it is placed: one term of a prepaid mode (pay-per-use:
    nothing up front, billed as it runs)."""
    if mode not in ("monthly", "yearly"):
        return Decimal(0)
    return getattr(scenario.catalog.spec(spec_id), mode) * quantity


def can_pay(final_state, failed_renewals: int, unusable_hours: float, refused: int) -> str:
    """Whether the account paid for a plan when due, as simulated (and if not, why)."""
    if final_state is None:
        return "no: the order was refused"
    if unusable_hours:
        why = f"{failed_renewals} renewals failed, " if failed_renewals else ""
        return f"no: {why}{unusable_hours:,.1f} h unusable"
    if refused:
        return f"no: {refused} operations refused"
    return "yes"


def _table(scenario: Scenario, comparison: Comparison, choice_rows: list[dict]) -> pd.DataFrame:
    rows: list[dict] = []
    usage = comparison.table.drop_duplicates("phone").set_index("phone").usage_hours
    mix = comparison.results["best_mix"]
    index = {p.id: i for i, p in enumerate(mix.phones)}
    for r in comparison.mix.itertuples(index=False):
        if r.phone == TOTAL:
            continue
        cfg = scenario.phone(r.phone)
        i = index.get(r.phone)  # a replayed log runs as other phones (one per session)
        rows.append({
            "level": "phone", "name": r.phone, "group": cfg.group, "spec": cfg.spec,
            "quantity": cfg.quantity, "usage_hours": float(usage[r.phone]),
            "written_mode": r.written_mode, "best_mode": r.best_mode,
            "written_cost_cash": r.written_cost_cash,
            "written_cost_accrued": r.written_cost_accrued,
            "best_cost_cash": r.best_cost_cash, "best_cost_accrued": r.best_cost_accrued,
            "saving_cash": r.saving_cash, "saving_accrued": r.saving_accrued,
            "detail": _phone_detail(r),
            "committed_cash": up_front(scenario, cfg.spec, r.best_mode, cfg.quantity),
            "can_pay": can_pay(r.final_state,
                               0 if i is None else int(mix.costs.failed_renewals[i]),
                               r.unusable_hours, r.refused_operations)})
    rows += _group_rows(scenario, comparison)
    t = comparison.mix[comparison.mix.phone == TOTAL].iloc[0]
    rows.append({
        "level": "total", "name": TOTAL, "group": None, "spec": "",
        "quantity": sum(p.quantity for p in scenario.phones),
        "usage_hours": float(usage[usage.index != TOTAL].sum()), "written_mode": "",
        "best_mode": MIX, "written_cost_cash": t.written_cost_cash,
        "written_cost_accrued": t.written_cost_accrued, "best_cost_cash": t.best_cost_cash,
        "best_cost_accrued": t.best_cost_accrued, "saving_cash": t.saving_cash,
        "saving_accrued": t.saving_accrued,
        "detail": "every phone in its cheapest mode, simulated together",
        "committed_cash": sum((r["committed_cash"] for r in rows if r["level"] == "phone"),
                              Decimal(0)),
        "can_pay": can_pay("", int(mix.costs.failed_renewals.sum()), t.unusable_hours,
                           t.refused_operations)})
    for c in choice_rows:
        hold = f"hold {c['k']} x {c['mode']}" if c["k"] else "hold none"
        rows.append({
            "level": "base_load", "name": c["spec"], "group": None, "spec": c["spec"],
            "quantity": c["k"], "usage_hours": c["instance_hours"], "written_mode": "",
            "best_mode": c["mode"], "written_cost_cash": None,
            "written_cost_accrued": c["written_cost_accrued"], "best_cost_cash": None,
            "best_cost_accrued": c["estimated_cost"], "saving_cash": None,
            "saving_accrued": c["written_cost_accrued"] - c["estimated_cost"],
            "detail": (f"estimate: {hold}, pay-per-use above (peak {c['peak']}); "
                       "closed form from list prices, lifecycle effects ignored"),
            "committed_cash": up_front(scenario, c["spec"], c["mode"], c["k"]),
            "can_pay": ("not simulated" if c["simulated_cost_accrued"] is None else
                        can_pay("", c["simulated_failed_renewals"],
                                c["simulated_unusable_hours"], c["simulated_refused"]))})
    return frame(rows, COLUMNS)


def _phone_detail(r) -> str:
    """Why a phone's best-mix figures may not be a like-for-like answer."""
    if r.final_state is None:
        return "in the best mix it could not be bought or created (account)"
    if r.unusable_hours:
        return f"in the best mix it is unusable for {r.unusable_hours:.1f} h (account)"
    return ""
