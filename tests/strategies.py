"""Hypothesis strategies for VALID scenarios, as the mappings `load_scenario` accepts.

Random mixes of billing modes, terms, quantities, every kind of action at random or
calendar-aligned instants (midnights, 00:03:00, 09:00:00, 23:59:59, month ends, hour
edges), top-ups, opening balances (low, zero, negative, exactly a first order's price), DST
and half-hour zones, multi-year windows across 2024-02-29, every policy option. Prices
include half-cent traps (x.x5 monthly prices, 4-decimal hourly ones). Follow-up actions put
edges next to each other: a stop and a start in one second, enabling auto-renewal or asking
again after a pending change at expiry. Every time is drawn inside the window, every key
where the contract allows it, so each example loads; the tests assert that too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st

from sim.scenario.catalog import default_catalog
from tests.profiles import examples  # noqa: F401  (the tests take it from here too)

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney",
         "Asia/Kolkata", "UTC", "America/St_Johns", "Pacific/Chatham"]  # -3:30, +12:45
SPEC_IDS = [spec.id for spec in default_catalog().specs]
# Days near which calendars are interesting: each zone's own DST changes (so a grace
# period or an alert can straddle one), month ends, a leap day, a year end.
DST_DAYS = {
    "America/New_York": [dt.date(2024, 3, 10), dt.date(2024, 11, 3)],
    "Europe/London": [dt.date(2024, 3, 31), dt.date(2024, 10, 27)],
    "Australia/Sydney": [dt.date(2024, 4, 7), dt.date(2024, 10, 6)],
    "America/St_Johns": [dt.date(2024, 3, 10), dt.date(2024, 11, 3)],
    "Pacific/Chatham": [dt.date(2024, 4, 7), dt.date(2024, 9, 29)],
}
OTHER_DAYS = [dt.date(2023, 1, 31), dt.date(2024, 2, 29), dt.date(2023, 12, 31),
              dt.date(2025, 5, 31), dt.date(2023, 2, 8)]
TIMES_OF_DAY = [dt.time(0, 0, 0), dt.time(0, 3, 0), dt.time(9, 0, 0), dt.time(23, 59, 59),
                dt.time(1, 30, 0), dt.time(2, 30, 0), dt.time(12, 0, 0)]
FMT = "%Y-%m-%d %H:%M:%S"


def _fmt(wall: dt.datetime) -> str:
    return wall.strftime(FMT)


def _epoch(wall: dt.datetime, zone: ZoneInfo) -> int:
    return int(wall.replace(tzinfo=zone).timestamp())


class Frame:
    """The window being drawn into: wall-clock start, length, zone."""

    def __init__(self, start: dt.datetime, end: dt.datetime, zone: str, anchor: dt.date):
        self.start, self.end, self.zone = start, end, ZoneInfo(zone)
        # Instants from which a lifecycle step lands near the anchor day (a DST change):
        # a month or a year before it (expiry), days before it (grace, retention).
        day = dt.datetime.combine(anchor, dt.time(0))
        self.near_anchor = tuple(day - delta for delta in (
            relativedelta(months=1), relativedelta(months=1, days=10), relativedelta(years=1),
            relativedelta(days=5), relativedelta(days=1), relativedelta(days=15))) + (
            start + dt.timedelta(hours=1), start + dt.timedelta(days=1, seconds=17))
        # (and early in the window, so that whole lifecycles fit in it)
        self.t0, self.t1 = _epoch(start, self.zone), _epoch(end, self.zone)

    def inside(self, wall: dt.datetime) -> bool:
        return self.t0 <= _epoch(wall, self.zone) < self.t1


@st.composite
def instants(draw, frame: Frame, lo: dt.datetime | None = None,
             targets: tuple[dt.datetime, ...] = ()) -> str:
    """A wall-clock time in [lo or start, end): random, calendar-aligned, or near a target
    (e.g. the phone's expected expiry), so edges are hit, not just approached."""
    lo = frame.start if lo is None else lo
    span = int((frame.end - lo).total_seconds())
    how = draw(st.sampled_from(["any", "any", "aligned", "hour", "edge", "month_end"]
                               + ["target"] * 2 * bool(targets)))
    if how == "any":
        wall = lo + dt.timedelta(seconds=draw(st.integers(0, max(span - 1, 0))))
    elif how == "aligned":
        day = lo.date() + dt.timedelta(days=draw(st.integers(0, span // 86400 + 1)))
        wall = dt.datetime.combine(day, draw(st.sampled_from(TIMES_OF_DAY)))
    elif how == "hour":
        wall = lo.replace(minute=0, second=0) + dt.timedelta(
            hours=draw(st.integers(0, span // 3600 + 1)),
            seconds=draw(st.sampled_from([0, 0, 1, -1, 1800])))
    elif how == "month_end":  # the last or first day of a month, at an edge time
        month = (lo.date().replace(day=1)
                 + relativedelta(months=draw(st.integers(0, span // (28 * 86400) + 1))))
        day = draw(st.sampled_from([month - dt.timedelta(days=1), month,
                                    month + relativedelta(day=29), month + relativedelta(day=31)]))
        wall = dt.datetime.combine(day, draw(st.sampled_from(
            [dt.time(0, 0, 0), dt.time(0, 3, 0), dt.time(23, 59, 59)])))
    elif how == "target":
        wall = draw(st.sampled_from(targets)) + dt.timedelta(seconds=draw(st.sampled_from(
            [0, 0, -1, 1, -86400, 86400, 3 * 86400, 15 * 86400, 16 * 86400, 30 * 86400])))
    else:
        wall = draw(st.sampled_from([lo, frame.end - dt.timedelta(seconds=1)]))
    if not frame.inside(wall) or wall < lo:
        wall = lo  # always inside (a DST gap can push a wall time outside)
    return _fmt(wall)


def money(lo: str = "0.01", hi: str = "500.00") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=2)


@st.composite
def catalogs(draw, traps_only: bool = False):
    """'default' often; else an inline catalog with odd prices: x.x5 monthly and yearly
    prices (half-cent ties: 40.25 - 40.25/30 x 21 = 12.075), 4- or 8-decimal hourly."""
    if not traps_only and draw(st.booleans()):
        return "default", SPEC_IDS
    half = st.integers(0, 99_999).map(lambda n: Decimal(10 * n + 5).scaleb(-2))  # x.x5
    # Prices whose day rates (/ 30) repeat, 3 or 6 forever, and hit exact half cents for 3,
    # 9, 15, 21... days x quantity: a 28-digit quotient taken first rounds those down (the
    # extra of x.x5 with 1 left over by 3, the refund of x.x5 with 2 left over).
    traps = st.sampled_from([Decimal(p) for p in ("40.25", "40.15", "10.15", "19.45",
                                                  "0.25", "12.35", "99.95", "60.00")])
    specs = []
    for i in range(draw(st.integers(1, 3))):
        specs.append({
            "id": f"s{i}", "edition": draw(st.sampled_from(["basic", "professional",
                                                            "enterprise"])),
            "vcpus": i + 1, "memory_gb": 2 * (i + 1), "storage_gb": 16,  # distinct hardware
            "monthly": draw(traps if traps_only else st.one_of(
                money("0.00", "999.99"), traps, traps, half.filter(lambda d: d < 1000))),
            "yearly": draw(st.one_of(money("0.00", "9999.99"), traps, half)),
            "hourly": draw(st.decimals(min_value=0, max_value=Decimal("5"),
                                       places=draw(st.sampled_from([4, 8])))),
        })
    return {"currency": "USD", "specs": specs}, [s["id"] for s in specs]


@st.composite
def policies(draw, max_days: int = 20) -> dict:
    """Every policy key, each present or not (absent = the rules' default, 15 days)."""
    days = st.integers(0, max_days)
    options = {
        "grace_days": days,
        "retention_days": days,
        "ppu_grace_days": days,
        "ppu_retention_days": days,
        "alert_time": st.sampled_from(["09:00:00", "00:00:00", "23:59:59", "02:30:00",
                                       "00:03:00", "13:17:05"]),
        "auto_renew_days_before": st.sampled_from([0, 1, 3, 7, 15, 30, 40]),
        "auto_renew_time": st.sampled_from(["00:03:00", "00:00:00", "09:00:00", "02:30:00",
                                            "23:59:59"]),
        "bill_run": st.sampled_from(["hourly", "daily", "monthly"]),
        "settlement_delay": st.sampled_from([0, 1, 60, 3600, 7200, 86400, 90061]),
        "refund_rule": st.sampled_from(["daily", "hourly"]),
        "refund_fee_rate": st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.5"),
                                            Decimal(1), Decimal("0.33"), Decimal("0.05"),
                                            Decimal("0.15")]),
    }
    chosen = draw(st.sets(st.sampled_from(sorted(options))))
    return {key: draw(options[key]) for key in sorted(chosen)}


ACTION_KINDS = ["renew", "stop", "start", "enable_auto_renew", "disable_auto_renew",
                "change_billing", "unsubscribe", "delete"]


@st.composite
def actions(draw, frame: Frame, kinds=tuple(ACTION_KINDS), lo: dt.datetime | None = None,
            targets: tuple[dt.datetime, ...] = ()) -> dict:
    do = draw(st.sampled_from(list(kinds)))
    # Mostly after the phone exists (else the action is merely refused).
    at = draw(instants(frame, lo if draw(st.integers(0, 5)) else None, targets))
    action = {"at": at, "do": do}
    if do == "renew":
        if draw(st.booleans()):
            action["term"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            action["align_day"] = draw(st.one_of(st.integers(1, 28),
                                                 st.sampled_from([28, 27, 1, "last"])))
        if draw(st.booleans()):
            action["pay_with"] = draw(st.sampled_from(["balance", "online"]))
    elif do == "enable_auto_renew":
        if draw(st.booleans()):
            action["term"] = draw(st.integers(1, 2))
        if draw(st.booleans()):
            action["times"] = draw(st.integers(1, 3))
    elif do == "change_billing":
        action["when"] = draw(st.sampled_from(["now", "at_expiry"]))
    return action


@st.composite
def phones(draw, frame: Frame, index: int, spec_ids: list[str],
           billings=("monthly", "yearly", "pay_per_use"), kinds=tuple(ACTION_KINDS),
           max_actions: int = 5) -> dict:
    billing = draw(st.sampled_from(list(billings)))
    at = draw(instants(frame, targets=frame.near_anchor))
    phone = {"id": f"p{index}", "spec": draw(st.sampled_from(spec_ids)), "billing": billing,
             "at": at}
    if draw(st.booleans()):
        phone["quantity"] = draw(st.sampled_from([1, 1, 2, 3, 4, 5, 7, 100]))
    targets: tuple[dt.datetime, ...] = ()
    if billing == "pay_per_use":
        if draw(st.booleans()):
            phone["provisioning"] = draw(st.sampled_from([0, 1, 30, 120, 3599, 3600, 7200]))
    else:
        term = draw(st.sampled_from([1, 1, 1, 2, 3] if billing == "yearly"
                                    else [1, 1, 1, 2, 3, 12, 13]))
        if term > 1 or draw(st.booleans()):
            phone["term"] = term
        if draw(st.integers(0, 2)) == 0:
            phone["pay_with"] = draw(st.sampled_from(["balance", "online"]))
        if draw(st.booleans()):
            auto = {}
            if draw(st.booleans()):
                auto["term"] = draw(st.integers(1, 2))
            if draw(st.booleans()):
                auto["times"] = draw(st.integers(1, 3))
            phone["auto_renew"] = auto
        # Near the expected expiry instant (midnight after purchase date + term), to hit it.
        bought = dt.datetime.strptime(at, FMT)
        months = term * (12 if billing == "yearly" else 1)
        targets = (dt.datetime.combine(bought.date() + relativedelta(months=months, days=1),
                                       dt.time(0)),
                   # inside the first period, whole days after the purchase: refunds
                   bought + dt.timedelta(days=draw(st.integers(1, 35))))
    phone["actions"] = draw(st.lists(
        actions(frame, kinds, dt.datetime.strptime(at, FMT), targets), max_size=max_actions))
    phone["actions"] += draw(follow_ups(frame, phone["actions"], kinds))
    return phone


# An action and what is worth trying right after it (§7.14, §7.17): the edge cases sit
# between two operations, which independent draws almost never place side by side.
FOLLOW_UPS = {
    "stop": [{"do": "start"}],
    "start": [{"do": "stop"}],
    "change_billing": [{"do": "enable_auto_renew"}, {"do": "change_billing", "when": "at_expiry"},
                       {"do": "renew"}],
    "enable_auto_renew": [{"do": "change_billing", "when": "at_expiry"}],
}


@st.composite
def follow_ups(draw, frame: Frame, drawn: list[dict], kinds) -> list[dict]:
    """Some follow-ups of the drawn actions: in the same second, or a little later."""
    out = []
    for action in drawn:
        options = [f for f in FOLLOW_UPS.get(action["do"], []) if f["do"] in kinds]
        if not options or not draw(st.integers(0, 2)) == 0:
            continue
        wall = dt.datetime.strptime(action["at"], FMT) + dt.timedelta(seconds=draw(
            st.sampled_from([0, 0, 1, 3600, 86400, 7 * 86400])))
        if frame.inside(wall):
            out.append({"at": _fmt(wall), **draw(st.sampled_from(options))})
    return out


@st.composite
def windows(draw, max_days: int = 400,
            min_days: int = 0) -> tuple[str, dt.datetime, dt.datetime, dt.date]:
    """Zone, start and end: near a DST change or month end, hours to ~a year long."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(DST_DAYS.get(zone, []) * 3 + OTHER_DAYS))
    day = anchor - dt.timedelta(days=draw(st.sampled_from([0, 1, 5, 20, 40, 50, 70, 380])))
    start = dt.datetime.combine(day, draw(st.sampled_from(
        [dt.time(0), dt.time(0), dt.time(9, 0), dt.time(13, 27, 41)])))
    if max_days >= 730 and draw(st.integers(0, 3)) == 0:
        # Multi-year, across 2024-02-29: yearly terms, leap-day anchors, renewals.
        start = dt.datetime.combine(dt.date(2023, 1, 1) + dt.timedelta(
            days=draw(st.integers(0, 420))), draw(st.sampled_from(TIMES_OF_DAY)))
        length = draw(st.integers(730 * 86400, max_days * 86400))
    elif min_days:
        length = draw(st.integers(min_days * 86400, max_days * 86400))
    elif max_days > 70:
        length = draw(st.one_of(
            st.integers(3600, 3 * 86400),          # hours: pay-per-use cycles, settlements
            st.integers(3 * 86400, 70 * 86400),    # months: expiry, grace, retention
            st.integers(70 * 86400, max_days * 86400),  # yearly periods, auto-renewals
        ))
    else:
        length = draw(st.integers(3600, max_days * 86400))
    end = start + dt.timedelta(seconds=length)
    if _epoch(end, ZoneInfo(zone)) <= _epoch(start, ZoneInfo(zone)):
        end += dt.timedelta(hours=2)  # a DST fold could make a short window empty
    return zone, start, end, anchor


@st.composite
def scenarios(draw, *, max_phones: int = 4, max_days: int = 400,
              billings=("monthly", "yearly", "pay_per_use"), kinds=tuple(ACTION_KINDS),
              max_actions: int = 5, balances=None, max_policy_days: int = 20,
              min_days: int = 0, min_phones: int = 0, trap_prices: bool = False) -> dict:
    """A valid scenario mapping (load it with `load_scenario`).

    `balances`: a strategy for the opening balance; `max_policy_days` bounds grace and
    retention (short windows need short ones to reach Frozen and Released);
    `trap_prices`: an inline catalog of prices that hit half-cent ties (§7.18).
    """
    zone, start, end, anchor = draw(windows(max_days, min_days))
    frame = Frame(start, end, zone, anchor)
    catalog, spec_ids = draw(catalogs(trap_prices))
    balance = draw(balances if balances is not None else st.one_of(
        st.sampled_from([Decimal("0"), Decimal("-0.01"), Decimal("-50.00"), Decimal("0.01"),
                         Decimal("1.00"), Decimal("45.00"), Decimal("100.00")]),
        money("-100.00", "5000.00"),
        st.just(Decimal("100000.00")),  # rich: orders go through, lifecycles run long
        st.just(Decimal("100000.00")),
    ))
    account = {"balance": balance}
    if draw(st.booleans()):
        account["balance_alert"] = draw(money("0.00", "200.00"))
    account["topups"] = draw(st.lists(
        st.fixed_dictionaries({"at": instants(frame), "amount": money("0.01", "300.00")}),
        max_size=4))
    phone_list = [draw(phones(frame, i, spec_ids, billings, kinds, max_actions))
                  for i in range(draw(st.integers(min_phones, max_phones)))]
    prices = [_first_price(catalog, p) for p in phone_list if p["billing"] != "pay_per_use"]
    if prices and draw(st.integers(0, 4)) == 0:  # exactly enough for a first order
        account["balance"] = draw(st.sampled_from(prices))
    data = {
        "name": "prop",
        "timezone": zone,
        "start": _fmt(start),
        "end": _fmt(end),
        "catalog": catalog,
        "policy": draw(policies(max_policy_days)),
        "account": account,
        "phones": phone_list,
    }
    return data


def _first_price(catalog, phone: dict) -> Decimal:
    """What the phone's purchase costs: unit price x term x quantity (§3)."""
    specs = default_catalog().specs if catalog == "default" else catalog["specs"]
    spec = next(s for s in specs if (s.id if catalog == "default" else s["id"]) == phone["spec"])
    unit = getattr(spec, phone["billing"]) if catalog == "default" else spec[phone["billing"]]
    return Decimal(unit) * phone.get("term", 1) * phone.get("quantity", 1)
