"""`usage_table:`: replay real usage (phone, start, end[, spec]) under a billing mode.

A session log says when each phone was really in use. The door turns it into phones:
- pay_per_use: each session is one phone `<phone>#<n>`, created at its start and deleted at
  its end, so only the hours in use are billed (a Stopped pay-per-use phone is billed);
- monthly or yearly ("kept"): one phone `<phone>`, bought at its first session for one term
  with auto-renewal on, stopped between sessions and unsubscribed at the end of its last
  one (as compare's variants end prepaid use).
Every phone made from the log has `group: <phone>`, so costs add up per logged phone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.scenario import tables
from sim.scenario.fleet_tables import Context, model_builder, wall_text
from sim.scenario.models import Action, AutoRenew, Phone

USAGE_COLUMNS = ("phone", "start", "end", "spec")
USAGE_REQUIRED = ("phone", "start", "end")
REPLAY_MODES = ("pay_per_use", "monthly", "yearly")


@dataclass(frozen=True)
class Sessions:
    """A checked session log, sorted by phone then start (epoch seconds, window-clipped)."""

    phone: tuple[str, ...]
    spec: tuple[str, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]  # at most the window's end: a session still going is cut there

    def __len__(self) -> int:
        return len(self.phone)

    def phones(self) -> list[str]:
        """The logged phones, in order of first use."""
        first: dict[str, int] = {}
        for p, s in zip(self.phone, self.start):
            if p not in first or s < first[p]:
                first[p] = s
        return sorted(first, key=lambda p: (first[p], p))


def read_sessions(table: tables.Table, ctx: Context, default_spec: str | None) -> Sessions | None:
    """The sessions of a usage table, checked column by column; None if it has problems."""
    if not table.check_columns(USAGE_COLUMNS, USAGE_REQUIRED):
        return None
    given = {name: tables.present(table, name, name in USAGE_REQUIRED) for name in USAGE_COLUMNS}
    phone = tables.text(table, "phone", given["phone"], 180)
    spec = tables.text(table, "spec", given["spec"], 100)
    start = tables.instant(table, "start", given["start"])
    end = tables.instant(table, "end", given["end"])
    missing_spec = ~given["spec"]
    if default_spec is None:
        table.report("spec", missing_spec & given["phone"], "required: no usage_spec is set")
    else:
        spec[missing_spec] = default_spec
    if ctx.spec_ids is not None:
        unknown = (spec != None) & ~np.isin(spec, ctx.spec_ids)  # noqa: E711
        table.report("spec", unknown & given["spec"],
                     f"unknown spec; known: {', '.join(ctx.spec_ids[:30])}")
    if ctx.clock is None or table.problems:
        return None
    hi = ctx.window[1]
    t0, t1 = start.epoch(ctx.clock), end.epoch(ctx.clock)
    ok = start.ok & end.ok
    tables.in_window(table, "start", t0, ok, ctx.window, wall_text(ctx.clock))
    table.report("end", ok & (t1 <= t0), "must be after start")
    if table.problems:
        return None
    frame = pd.DataFrame({"phone": phone, "spec": spec, "start": t0,
                          "end": np.minimum(t1, hi), "row": np.arange(table.rows)})
    frame = frame.sort_values(["phone", "start"], kind="stable")
    same = frame.phone.to_numpy()[1:] == frame.phone.to_numpy()[:-1]
    overlap = np.zeros(table.rows, dtype=bool)
    overlap[frame.row.to_numpy()[1:][same & (frame.start.to_numpy()[1:]
                                             < frame.end.to_numpy()[:-1])]] = True
    table.report("start", overlap, "overlaps the phone's previous session")
    specs_per_phone = frame.groupby("phone", sort=False).spec.nunique()
    mixed = frame.phone.isin(specs_per_phone.index[specs_per_phone > 1]).to_numpy()
    bad = np.zeros(table.rows, dtype=bool)
    bad[frame.row.to_numpy()[mixed]] = True
    table.report("spec", bad, "a logged phone has one spec; this phone's rows differ")
    if table.problems:
        return None
    return Sessions(tuple(frame.phone.tolist()), tuple(frame.spec.tolist()),
                    tuple(frame.start.tolist()), tuple(frame.end.tolist()))


def replay_phones(sessions: Sessions, mode: str, window_end: int,
                  local: Callable[[int], object], only: set[str] | None = None) -> list[Phone]:
    """The phones that replay the log in `mode` (of the logged phones in `only`, if given).

    `local` turns epoch seconds into the scenario's aware local time.
    """
    new_phone, new_action = model_builder(Phone), model_builder(Action)
    new_auto = model_builder(AutoRenew)

    def action(t: int, do: str) -> Action:
        return new_action({"at": local(t), "do": do, "term": None, "align_day": None,
                           "pay_with": None, "times": None, "when": None})

    def phone(pid: str, spec: str, billing: str, at: int, actions: list, group: str) -> Phone:
        prepaid = billing != "pay_per_use"
        return new_phone({
            "id": pid, "spec": spec, "quantity": 1, "billing": billing,
            "term": 1 if prepaid else None, "at": local(at), "pay_with": None,
            "provisioning": None, "actions": actions, "group": group,
            "auto_renew": new_auto({"term": None, "times": None}) if prepaid else None})

    by_phone: dict[str, list[tuple[str, int, int]]] = {}
    for p, spec, s, e in zip(sessions.phone, sessions.spec, sessions.start, sessions.end):
        if only is None or p in only:
            by_phone.setdefault(p, []).append((spec, s, e))
    out: list[Phone] = []
    for p in sessions.phones():
        if p not in by_phone:
            continue
        rows = by_phone[p]
        if mode == "pay_per_use":
            out += [phone(f"{p}#{k}", spec, mode, s,
                          [action(e, "delete")] if e < window_end else [], p)
                    for k, (spec, s, e) in enumerate(rows, start=1)]
            continue
        actions = []
        for (_, _, e), (_, s_next, _) in zip(rows, rows[1:]):
            if e < s_next:  # back-to-back sessions are one stretch of use
                actions += [action(e, "stop"), action(s_next, "start")]
        last_end = rows[-1][2]
        if last_end < window_end:
            actions.append(action(last_end, "unsubscribe"))
        out.append(phone(p, rows[0][0], mode, rows[0][1], actions, p))
    return out

