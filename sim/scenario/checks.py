"""Cross-field checks run after the models: zone, window, times, spec ids, ids, keys per mode.

Each check returns `Problem`s with exact paths; `check_scenario` runs them all, in roughly
the order of the file, so every problem is reported at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass, field, replace

from dateutil.relativedelta import relativedelta

from sim.clock import Clock
from sim.scenario.errors import Problem
from sim.scenario.models import ACTION_FIELDS, Action, Catalog, Phone, Scenario, TopUp

MAX_WINDOW_YEARS = 50
# Keeps every calendar computation (terms up to 100 years past `end`) inside datetime's range.
MIN_YEAR, MAX_YEAR = 1900, 9000
# Python's dates end with the year 9999: every expiry, grace and retention instant a phone
# can reach must stay before it, or a run would crash where validation passed.
LAST_YEAR = 9998
PREPAID_ONLY = ("term", "pay_with", "auto_renew")
PAY_PER_USE_ONLY = ("provisioning",)
ACTION_OPTIONAL = tuple(name for name in Action.model_fields if name not in ("at", "do"))
_MAX_LISTED_SPECS = 30


@functools.cache
def _iana_zones() -> frozenset[str]:
    # Scanning the zone files takes tens of ms: once per process is enough.
    return frozenset(zoneinfo.available_timezones())


def check_timezone(zone: str, path: str = "timezone") -> list[Problem]:
    """The zone must be a real IANA name that zoneinfo can load."""
    problem = [Problem(path, f"unknown time zone {zone!r}; use an IANA name such as "
                             "Asia/Shanghai or UTC")]
    if zone == "localtime" or zone not in _iana_zones():  # 'localtime' is a host alias
        return problem
    try:
        zoneinfo.ZoneInfo(zone)
    except Exception:  # ValueError, OSError, KeyError subclasses, ... for odd keys
        return problem
    return []


def _shown(value: dt.datetime) -> str:
    return value.isoformat(sep=" ")


def check_window(start: dt.datetime, end: dt.datetime, clock: Clock) -> list[Problem]:
    """`end` after `start`, at most 50 years apart, both within years 1900..9000."""
    problems = [
        Problem(key, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
        for key, value in (("start", start), ("end", end))
        if not MIN_YEAR <= value.year <= MAX_YEAR
    ]
    if problems:
        return problems
    if clock.epoch(end) <= clock.epoch(start):
        return [Problem("end", f"must be after start ({_shown(start)})")]
    limit = start + relativedelta(years=MAX_WINDOW_YEARS)
    if clock.epoch(end) > clock.epoch(limit):
        return [Problem("end", f"the window may be at most {MAX_WINDOW_YEARS} years long "
                               f"(end at {_shown(limit)} at the latest)")]
    return []


def check_clock_hours(start: dt.datetime, end: dt.datetime, clock: Clock) -> list[Problem]:
    """Offset changes inside the window must be whole hours (billing-rules §4).

    Bill lines are the clock hours [HH:00:00, HH+1:00:00) of 3,600 s. Where a zone moves
    its clock by 30 minutes (Australia/Lord_Howe) or by odd seconds (old local mean
    times), the hours after the change no longer line up with the hours before it: the
    engine's cycles would start at HH:30 and be settled before they end. Such a window is
    refused with the date of the change, instead of producing wrong bill lines.
    """
    t, stop = clock.epoch(start), clock.epoch(end)
    before = clock.local(t).utcoffset()
    while t < stop:
        last, t = t, min(t + 86400, stop)  # zones change offset at most a few times a year
        after = clock.local(t).utcoffset()
        change = int((after - before).total_seconds())
        if change % 3600:
            while t - last > 1:  # the second of the change, to name its date
                mid = (last + t) // 2
                last, t = (mid, t) if clock.local(mid).utcoffset() == before else (last, mid)
            by = f"{change // 60:+d} minutes" if change % 60 == 0 else f"{change:+d} seconds"
            return [Problem("timezone", f"{clock.zone_name} moves its clock by {by} "
                                        f"at {clock.wall(t)}, "
                                        "inside the window; billing cycles are clock hours, "
                                        "so only whole-hour changes are supported: choose "
                                        "another window or zone")]
        before = after
    return []


def check_in_window(path: str, when: dt.datetime, start: dt.datetime, end: dt.datetime,
                    clock: Clock) -> list[Problem]:
    """A time must lie in the half-open window [start, end), compared as epoch seconds."""
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        return [Problem(path, f"{_shown(when)} is outside the window [start, end)")]
    t = clock.epoch(when)
    if t < clock.epoch(start):
        return [Problem(path, f"{_shown(when)} is before start ({_shown(start)}); "
                              "the window is [start, end)")]
    if t >= clock.epoch(end):
        return [Problem(path, f"{_shown(when)} is at or after end ({_shown(end)}); "
                              "the window is [start, end)")]
    return []


def check_phone_keys(phone: Phone, path: str) -> list[Problem]:
    """Prepaid-only keys on a pay-per-use phone, and pay-per-use-only keys on a prepaid one."""
    wrong = PAY_PER_USE_ONLY if phone.prepaid else PREPAID_ONLY
    allowed_for = "pay_per_use phones" if phone.prepaid else "prepaid phones (monthly, yearly)"
    return [Problem(f"{path}.{key}", f"only for {allowed_for}, not billing: {phone.billing}")
            for key in wrong if getattr(phone, key) is not None]


def check_action_keys(action: Action, path: str) -> list[Problem]:
    """Each `do` takes only the keys of `ACTION_FIELDS`; change_billing needs `when`."""
    allowed = ACTION_FIELDS[action.do]
    problems = [Problem(f"{path}.{key}", f"not used by do: {action.do}")
                for key in ACTION_OPTIONAL
                if key not in allowed and getattr(action, key) is not None]
    if action.do == "change_billing" and action.when is None:
        problems.append(Problem(f"{path}.when",
                                "required by do: change_billing (now or at_expiry)"))
    return problems


def _known_specs(ids: list[str]) -> str:
    shown = ", ".join(ids[:_MAX_LISTED_SPECS])
    more = len(ids) - _MAX_LISTED_SPECS
    return shown + (f", ... ({more} more)" if more > 0 else "")


@dataclass(frozen=True)
class Parts:
    """The model-valid pieces of a scenario; None (or absent from a list) when invalid.

    Lets the loader run the cross-field checks even when other fields failed validation,
    so one pass reports every problem. List items keep their index in the file.
    """

    timezone: str | None
    start: dt.datetime | None
    end: dt.datetime | None
    currency: str | None
    catalog: Catalog | None
    topups: list[tuple[int, TopUp]] = field(default_factory=list)
    # (index, phone, its valid actions with their indices): a phone's own `actions` are
    # ignored here, so one bad action does not hide the checks of the others.
    phones: list[tuple[int, Phone, list[tuple[int, Action]]]] = field(default_factory=list)

    @classmethod
    def of(cls, scenario: Scenario) -> Parts:
        return cls(scenario.timezone, scenario.start, scenario.end, scenario.currency,
                   scenario.catalog, list(enumerate(scenario.account.topups)),
                   [(i, p, list(enumerate(p.actions))) for i, p in enumerate(scenario.phones)])


def check_scenario(scenario: Scenario, *, catalog_ok: bool = True) -> list[Problem]:
    """Every cross-field problem of a model-valid scenario (catalog ones only if catalog_ok)."""
    parts = Parts.of(scenario)
    if not catalog_ok:
        parts = replace(parts, catalog=None)
    problems = check_parts(parts)
    for i, phone in enumerate(scenario.phones):
        problems += check_reach(phone, f"phones[{i}]", scenario.end, scenario.policy)
    return problems


def check_reach(phone: Phone, path: str, end: dt.datetime, policy) -> list[Problem]:
    """Renewals must not carry a prepaid phone's dates past LAST_YEAR.

    An upper bound, in months from `end`: auto-renewal only happens before `end`, so it
    adds at most one term past it (plus the days before expiry it starts); each renew
    action adds its term (plus a month for align_day); grace and retention follow the
    last expiry. The problem is at the term that crosses the bound.
    """
    if not phone.prepaid:
        return []
    per_term = 12 if phone.billing == "yearly" else 1
    auto_terms = [phone.auto_renew.term or 1] if phone.auto_renew else []
    auto_terms += [a.term or 1 for a in phone.actions if a.do == "enable_auto_renew"]
    days = (policy.auto_renew_days_before + policy.grace_days + policy.retention_days
            + policy.ppu_grace_days + policy.ppu_retention_days)
    months = end.year * 12 + end.month + (days // 28 + 1) + 1
    steps = [(f"{path}.term", phone.term or 1)]
    if auto_terms:
        steps.append((f"{path}.auto_renew.term" if phone.auto_renew else f"{path}.actions",
                      max(auto_terms)))
    steps += [(f"{path}.actions[{j}].term", (a.term or 1) + (1 if a.align_day else 0))
              for j, a in enumerate(phone.actions) if a.do == "renew"]
    for where, terms in steps:
        months += terms * per_term
        if months // 12 > LAST_YEAR:
            return [Problem(where, f"renewals could carry this phone's dates to the year "
                                   f"{months // 12} (or more); they must stay before the "
                                   f"year {LAST_YEAR + 1}")]
    return []


def check_parts(parts: Parts) -> list[Problem]:
    """The cross-field checks on whatever pieces are valid; a None piece skips its checks."""
    problems: list[Problem] = []
    clock = None
    if parts.timezone is not None:
        problems += check_timezone(parts.timezone)
        if not problems and parts.start is not None and parts.end is not None:
            clock = Clock(parts.timezone)
            window_problems = check_window(parts.start, parts.end, clock)
            problems += window_problems
            if window_problems:
                clock = None  # times cannot be placed in a broken window
            else:
                problems += check_clock_hours(parts.start, parts.end, clock)
    catalog = parts.catalog
    if catalog is not None and parts.currency is not None and parts.currency != catalog.currency:
        problems.append(Problem("currency", f"{parts.currency!r} differs from the "
                                            f"catalog's currency {catalog.currency!r}"))

    if clock is not None:
        lo, hi = clock.epoch(parts.start), clock.epoch(parts.end)

    def in_window(path: str, when: dt.datetime) -> list[Problem]:
        if clock is None:
            return []
        if MIN_YEAR <= when.year <= MAX_YEAR and lo <= clock.epoch(when) < hi:
            return []  # the usual case, without recomputing the window's bounds
        return check_in_window(path, when, parts.start, parts.end, clock)

    for i, topup in parts.topups:
        problems += in_window(f"account.topups[{i}].at", topup.at)

    spec_ids = [spec.id for spec in catalog.specs] if catalog is not None else []
    first_index: dict[str, int] = {}
    for i, phone, actions in parts.phones:
        path = f"phones[{i}]"
        if phone.id in first_index:
            problems.append(Problem(f"{path}.id", f"duplicate phone id '{phone.id}' "
                                                  f"(first at phones[{first_index[phone.id]}])"))
        else:
            first_index[phone.id] = i
        if catalog is not None and phone.spec not in spec_ids:
            problems.append(Problem(f"{path}.spec", f"unknown spec '{phone.spec}'; known: "
                                                    f"{_known_specs(spec_ids)}"))
        problems += check_phone_keys(phone, path)
        problems += in_window(f"{path}.at", phone.at)
        for j, action in actions:
            action_path = f"{path}.actions[{j}]"
            problems += check_action_keys(action, action_path)
            problems += in_window(f"{action_path}.at", action.at)
    return problems
