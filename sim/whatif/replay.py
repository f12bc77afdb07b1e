"""`compare` of a usage replay: what the logged history would have cost under each mode.

Each mode replays the whole session log in that mode (usage_replay.py: pay-per-use
creations and deletions, or kept phones stopped between sessions), with the scenario's
other phones, account and policy as written; costs are added up per logged phone (the
`group` of the phones made from it). The best mix replays each logged phone in its
cheapest mode, all together. Rows and files are those of `compare`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..clock import Clock
from ..engine import simulate
from ..result import Result
from ..scenario.fleet_tables import model_builder
from ..scenario.models import Phone, Scenario
from ..scenario.usage_replay import Sessions, replay_phones
from .compare import Comparison, assemble, rank_key
from .metrics import PhoneMetrics, phone_metrics
from .variants import check_modes


def _run(scenario: Scenario, others: list[Phone], sessions: Sessions, mode_of: dict[str, str],
         clock_local, window_end: int) -> tuple[Result, dict[str, PhoneMetrics]]:
    """Simulate the log with each logged phone in its mode; metrics per logged phone."""
    replayed = []
    for mode in dict.fromkeys(mode_of.values()):
        only = {p for p, m in mode_of.items() if m == mode}
        replayed += replay_phones(sessions, mode, window_end, clock_local, only)
    result = simulate(scenario.model_copy(update={"phones": [*others, *replayed]}))
    by_logged: dict[str, list[PhoneMetrics]] = {}
    for cfg, m in zip(replayed, phone_metrics(scenario, result)[len(others):]):
        by_logged.setdefault(cfg.group, []).append(m)
    return result, {p: _sum(p, mode_of[p], ms) for p, ms in by_logged.items()}


def _sum(phone: str, mode: str, rows: list[PhoneMetrics]) -> PhoneMetrics:
    return PhoneMetrics(phone, mode, rows[-1].final_state,
                        sum((m.cost_cash for m in rows), Decimal(0)),
                        sum((m.cost_accrued for m in rows), Decimal(0)),
                        sum(m.unusable_hours for m in rows),
                        sum(m.refused_operations for m in rows))


def compare_replay(scenario: Scenario, sessions: Sessions, written_mode: str,
                   modes: Iterable[str]) -> Comparison:
    """The replay's comparison: one row per logged phone and mode (see the module doc)."""
    modes = check_modes(modes)
    clock = Clock(scenario.timezone)
    window_end = clock.epoch(scenario.end)
    logged = sessions.phones()
    as_run = {p.id for p in replay_phones(sessions, written_mode, window_end, clock.local)}
    others = [p for p in scenario.phones if p.id not in as_run]
    results: dict[str, Result] = {}
    metrics: dict[str, dict[str, PhoneMetrics]] = {}
    results["as_written"], as_written = _run(scenario, others, sessions,
                                             dict.fromkeys(logged, written_mode),
                                             clock.local, window_end)
    for mode in modes:
        results[mode], metrics[mode] = _run(scenario, others, sessions,
                                            dict.fromkeys(logged, mode), clock.local,
                                            window_end)
    best = {p: min(modes, key=lambda m, p=p: rank_key(metrics[m][p], m)) for p in logged}
    results["best_mix"], mix = _run(scenario, others, sessions, best, clock.local, window_end)

    # A view with one phone per logged phone, for the tables and the report.
    seconds: dict[str, int] = {}
    first: dict[str, tuple[str, int]] = {}
    for p, spec, s, e in zip(sessions.phone, sessions.spec, sessions.start, sessions.end):
        seconds[p] = seconds.get(p, 0) + (e - s)
        first.setdefault(p, (spec, s))
    new_phone = model_builder(Phone)
    view = scenario.model_copy(update={"phones": [new_phone({
        "id": p, "spec": first[p][0], "quantity": 1, "billing": written_mode, "term": None,
        "at": clock.local(first[p][1]), "pay_with": None, "provisioning": None,
        "auto_renew": None, "actions": [], "group": None}) for p in logged]})
    usage = {p: (0, seconds[p]) for p in logged}  # phone_table: hours of use = stop - start
    return assemble(view, modes, metrics, as_written, best, usage, mix, results)
