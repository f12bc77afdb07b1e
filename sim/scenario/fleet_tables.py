"""`phones_table:` and `actions_table:`: a fleet and its actions as tables, checked whole.

A phones table has one row per phone with the keys of a YAML phone (`auto_renew` spelled
`auto_renew_term`, `auto_renew_times`); an actions table one row per action, naming its
`phone`. Every column is checked vectorised (tables.py), then the cross-field rules of
`checks.py` are applied to whole columns, and only valid rows become `Phone` models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.clock import Clock
from sim.scenario import tables
from sim.scenario.errors import Problem
from typing import get_args

from sim.scenario.models import (ACTION_FIELDS, MAX_QUANTITY, MAX_SECONDS, MAX_TERM, Action,
                                 AutoRenew, Phone, Workload)

PHONE_COLUMNS = ("id", "spec", "billing", "at", "quantity", "term", "pay_with",
                 "auto_renew_term", "auto_renew_times", "provisioning", "group", "workload",
                 "data_security")
PHONE_REQUIRED = ("id", "spec", "billing", "at")
PREPAID_COLUMNS = ("term", "pay_with", "auto_renew_term", "auto_renew_times")
ACTION_COLUMNS = ("phone", "at", "do", "term", "align_day", "pay_with", "times", "when")
ACTION_REQUIRED = ("phone", "at", "do")
MAX_TIMES = 100_000  # as models.AutoRenew.times


@dataclass
class Context:
    """What the tables are checked against; None skips the checks that need it."""

    spec_ids: list[str] | None
    clock: Clock | None
    window: tuple[int, int] | None  # [start, end) in epoch seconds
    yaml_ids: dict[str, int] = field(default_factory=dict)  # YAML phone id -> its index
    group_names: list[str] = field(default_factory=list)  # of generate: groups


def wall_text(clock: Clock | None):
    """How a problem shows an instant: wall-clock time in the scenario's zone."""
    return (lambda t: clock.wall(t)) if clock is not None else str


def model_builder(model):
    """A constructor of `model` from values already checked column by column.

    Does what `model_construct` does for a model without extra or private attributes,
    without its per-call introspection: a million phones are built in seconds, not a minute.
    """
    fields_set = set(model.model_fields)  # callers give every field: no default to fill
    make, put = model.__new__, object.__setattr__

    def build(values: dict):
        obj = make(model)
        put(obj, "__dict__", values)
        put(obj, "__pydantic_fields_set__", fields_set)
        put(obj, "__pydantic_extra__", None)
        put(obj, "__pydantic_private__", None)
        return obj

    return build


def _optional(values: np.ndarray, given: np.ndarray) -> list:
    """Python values of a checked column, None where the cell was empty."""
    out = values.astype(object)
    out[~given] = None
    return out.tolist()


def read_phones(table: tables.Table, ctx: Context) -> list[Phone]:
    """The valid phones of a phones table; every problem goes to `table.problems`."""
    if not table.check_columns(PHONE_COLUMNS, PHONE_REQUIRED):
        return []
    n = table.rows
    given = {name: tables.present(table, name, name in PHONE_REQUIRED) for name in PHONE_COLUMNS}
    ids = tables.text(table, "id", given["id"], 200)
    specs = tables.text(table, "spec", given["spec"], 100)
    groups = tables.text(table, "group", given["group"], 200)
    billing = tables.choice(table, "billing", given["billing"],
                            ("monthly", "yearly", "pay_per_use"))
    pay_with = tables.choice(table, "pay_with", given["pay_with"], ("balance", "online"))
    quantity = tables.integer(table, "quantity", given["quantity"], 1, MAX_QUANTITY)
    term = tables.integer(table, "term", given["term"], 1, MAX_TERM)
    renew_term = tables.integer(table, "auto_renew_term", given["auto_renew_term"], 1, MAX_TERM)
    renew_times = tables.integer(table, "auto_renew_times", given["auto_renew_times"], 1,
                                 MAX_TIMES)
    provisioning = tables.integer(table, "provisioning", given["provisioning"], 0, MAX_SECONDS)
    # As a YAML phone's `workload` and `data_security` (seed §10; recommend's spec advice).
    workload = tables.choice(table, "workload", given["workload"], get_args(Workload))
    security = tables.choice(table, "data_security", given["data_security"], ("high",))
    at = tables.instant(table, "at", given["at"])

    # Keys per billing mode (checks.check_phone_keys).
    prepaid = np.isin(billing, ("monthly", "yearly"))
    ppu = billing == "pay_per_use"
    for name in PREPAID_COLUMNS:
        table.report(name, ppu & given[name], "only for prepaid phones (monthly, yearly), "
                                              "not billing: pay_per_use")
    table.report("provisioning", prepaid & given["provisioning"],
                 "only for pay_per_use phones, not a prepaid billing")
    if ctx.spec_ids is not None:
        unknown = given["spec"] & (specs != None) & ~np.isin(specs, ctx.spec_ids)  # noqa: E711
        table.report("spec", unknown, f"unknown spec; known: {', '.join(ctx.spec_ids[:30])}")
    if ctx.clock is not None:
        tables.in_window(table, "at", at.epoch(ctx.clock), at.ok, ctx.window,
                         wall_text(ctx.clock))
    _check_ids(table, ids, given["id"], ctx)
    if table.problems:
        return []
    renews = (prepaid & (given["auto_renew_term"] | given["auto_renew_times"])).tolist()
    new_auto = model_builder(AutoRenew)
    # A list, not a numpy array: numpy would probe every model for array-likeness.
    auto = [new_auto({"term": term_, "times": times_}) if on else None for on, term_, times_
            in zip(renews, _optional(renew_term, given["auto_renew_term"]),
                   _optional(renew_times, given["auto_renew_times"]))]
    new_phone = model_builder(Phone)
    return [new_phone({"id": id_, "spec": spec, "quantity": qty, "billing": mode, "term": term_,
                       "at": at_, "pay_with": pay, "provisioning": prov, "auto_renew": renew,
                       "actions": [], "group": group, "workload": work,
                       "data_security": secure})
            for id_, spec, qty, mode, term_, at_, pay, prov, renew, group, work, secure in zip(
                ids.tolist(), specs.tolist(), np.where(given["quantity"], quantity, 1).tolist(),
                billing.tolist(), _optional(term, given["term"]),
                at.datetimes(np.ones(n, dtype=bool)), pay_with.tolist(),
                _optional(provisioning, given["provisioning"]), auto, groups.tolist(),
                workload.tolist(), security.tolist())]


def _known(values: np.ndarray, known: dict | set) -> np.ndarray:
    """Whether each value is in `known`, by hashing: np.isin of two large string (object)
    arrays compares them pairwise (40,000 actions x 100,000 phones took minutes)."""
    return np.fromiter((value in known for value in values.tolist()), dtype=bool,
                       count=len(values))


def _check_ids(table: tables.Table, ids: np.ndarray, given: np.ndarray, ctx: Context) -> None:
    """Unique ids, within the table and against the YAML phones and generated groups."""
    import pandas as pd

    column = pa.array(ids, type=pa.string())
    dup = pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy() & given
    table.report("id", dup, "duplicate phone id (it appears on an earlier row)")
    if ctx.yaml_ids:
        clash = given & _known(ids, ctx.yaml_ids)
        table.report("id", clash, "duplicate phone id (a phone of phones: has it)")
    for name in ctx.group_names:
        pattern = rf"^{re.escape(name)}-[0-9]+$"
        clash = np.asarray(pc.match_substring_regex(column, pattern).fill_null(False)
                           .to_numpy(zero_copy_only=False), bool)
        table.report("id", clash & given, f"could clash with the generated ids '{name}-<n>' "
                                          f"of the group '{name}'")


def read_actions(table: tables.Table, ctx: Context,
                 phone_ids: dict[str, int] | None) -> dict[str, list[Action]]:
    """The actions of an actions table by phone id (in row order); problems to the table.

    `phone_ids`: the phones they may name; None when unknown (the phones table failed).
    """
    if not table.check_columns(ACTION_COLUMNS, ACTION_REQUIRED):
        return {}
    given = {name: tables.present(table, name, name in ACTION_REQUIRED)
             for name in ACTION_COLUMNS}
    phone = tables.text(table, "phone", given["phone"], 200)
    kinds = list(ACTION_FIELDS)
    do = tables.choice(table, "do", given["do"], kinds)
    term = tables.integer(table, "term", given["term"], 1, MAX_TERM)
    times = tables.integer(table, "times", given["times"], 1, MAX_TIMES)
    pay_with = tables.choice(table, "pay_with", given["pay_with"], ("balance", "online"))
    when = tables.choice(table, "when", given["when"], ("now", "at_expiry"))
    align_day = _align_day(table, given["align_day"])
    at = tables.instant(table, "at", given["at"])

    if phone_ids is not None:
        unknown = given["phone"] & (phone != None) & ~_known(phone, phone_ids)  # noqa: E711
        table.report("phone", unknown, "no phone has this id (in phones: or phones_table)")
    for key in ("term", "align_day", "pay_with", "times", "when"):
        not_used = np.isin(do, [k for k, keys in ACTION_FIELDS.items() if key not in keys])
        table.report(key, given[key] & not_used, "not used by this row's do")
    table.report("when", (do == "change_billing") & ~given["when"],
                 "required by do: change_billing (now or at_expiry)")
    if ctx.clock is not None:
        tables.in_window(table, "at", at.epoch(ctx.clock), at.ok, ctx.window,
                         wall_text(ctx.clock))
    if table.problems:
        return {}
    new_action = model_builder(Action)
    out: dict[str, list[Action]] = {}
    for phone_id, at_, kind, term_, day, pay, times_, when_ in zip(
            phone.tolist(), at.datetimes(np.ones(table.rows, dtype=bool)), do.tolist(),
            _optional(term, given["term"]), align_day.tolist(), pay_with.tolist(),
            _optional(times, given["times"]), when.tolist()):
        out.setdefault(phone_id, []).append(new_action(
            {"at": at_, "do": kind, "term": term_, "align_day": day, "pay_with": pay,
             "times": times_, "when": when_}))
    return out


def _align_day(table: tables.Table, given: np.ndarray) -> np.ndarray:
    """A day 1..28 or 'last' (object array of int, 'last' or None)."""
    out = np.full(table.rows, None, dtype=object)
    if not given.any():
        return out
    values = table.column("align_day")
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        last = np.asarray(pc.equal(pc.utf8_trim_whitespace(values), "last").fill_null(False)
                          .to_numpy(zero_copy_only=False), bool) & given
        out[last] = "last"
        given = given & ~last
    days = tables.integer(table, "align_day", given, 1, 28)
    valid = given & (days >= 1)
    out[valid] = np.array(days[valid].tolist() + [None], dtype=object)[:-1]
    return out


def problems_of(*tabs: tables.Table | None) -> list[Problem]:
    return [p for t in tabs if t is not None for p in t.problems]
