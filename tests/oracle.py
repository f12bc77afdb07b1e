"""An independent, deliberately simple and slow reference for two corners of the rules.

Written from billing-rules.md alone: no import of sim.clock, sim.rating, sim.money or the
engine. Wall-clock <-> instant goes through zoneinfo directly (a naive wall time is read
with fold=0, as the contract says), months through dateutil.relativedelta.

- `pay_per_use(scenario)`: walks the window SECOND BY SECOND: at each second it applies
  that second's events in the §7.1 order, then lets every billable phone accrue one
  second into the line of its local clock hour. Settlements, arrears, freezing, release.
- `prepaid(scenario)`: a calendar walk from one event to the next: expiry dates with the
  anchor day, expiry instants, alerts, daily auto-renewal attempts ("at or after", §7.15),
  grace and retention, a pending change at expiry (asked twice, or cancelled by enabling
  auto-renewal: §7.14), and unsubscription refunds and align_day extras computed exactly
  (fractions) and rounded once (§7.18). A change of billing mode that actually happens
  (`now`, or a pending one reaching its expiry) is outside it: `OutOfScope`.

Both return an `Expected` holding the rows the engine should write, as plain tuples.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from sim.scenario.models import Scenario

CENT = Decimal("0.01")


class OutOfScope(Exception):
    """The scenario leaves what this reference models (a phone becomes pay-per-use)."""


E8 = Decimal("0.00000001")
DAY = dt.timedelta(days=1)


@dataclass
class Expected:
    """What the rules say a run writes: ledger, bill lines, states, notifications."""

    ledger: list[tuple] = field(default_factory=list)  # (time, phone, kind, amount,
    #                                                     paid_from, balance_after, p0, p1)
    lines: dict[tuple[str, int], list] = field(default_factory=dict)  # (phone, hour) ->
    #                                                     [seconds, amount, settled_at]
    states: list[list] = field(default_factory=list)  # [phone, billing, state, start, end]
    notes: list[tuple] = field(default_factory=list)  # (time, phone, kind, days_before)
    expires_at: dict[str, int | None] = field(default_factory=dict)


class Calendar:
    """The scenario's wall clock, straight from zoneinfo and relativedelta."""

    def __init__(self, zone: str):
        self.zone = ZoneInfo(zone)

    def instant(self, wall: dt.datetime) -> int:
        return int(wall.replace(tzinfo=self.zone).timestamp())

    def at(self, day: dt.date, time: dt.time) -> int:
        return self.instant(dt.datetime.combine(day, time))

    def wall(self, t: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(t, self.zone)

    def hour_of(self, t: int) -> int:
        """The local clock hour holding t: its wall time with minutes and seconds zeroed."""
        wall = self.wall(t)
        return int(wall.replace(minute=0, second=0).timestamp())

    def day_of(self, t: int) -> int:
        return self.at(self.wall(t).date(), dt.time(0))

    def month_of(self, t: int) -> int:
        return self.at(self.wall(t).date().replace(day=1), dt.time(0))

    def days_later(self, t: int, days: int) -> int:
        """§7.11: the same wall-clock time `days` calendar days later."""
        return self.instant(self.wall(t).replace(tzinfo=None) + dt.timedelta(days=days))

    def next_daily(self, after: int, time: dt.time) -> int:
        """The first instant strictly after `after` when the clock reads `time` (day walk)."""
        day = self.wall(after).date()
        while self.at(day, time) <= after:
            day += DAY
        return self.at(day, time)


def add_months(day: dt.date, months: int, anchor: int) -> dt.date:
    """`months` calendar months after `day`, on the anchor day clamped to the month (§3)."""
    first = day.replace(day=1) + relativedelta(months=months)
    last = (first + relativedelta(months=1) - DAY).day
    return first.replace(day=min(anchor, last))


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _cents_exact(x: Fraction) -> Decimal:
    """An exact non-negative amount rounded half-up to cents (refunds: §1, §7.2)."""
    hundredths, rest = divmod(x * 100, 1)
    return (Decimal(int(hundredths) + (rest >= Fraction(1, 2))) / 100).quantize(CENT)


class _States:
    """State rows as the engine writes them: a new row only when something changes."""

    def __init__(self, out: Expected):
        self.out = out
        self.open: dict[str, list] = {}

    def set(self, phone: str, billing: str, state: str, t: int) -> None:
        row = self.open.get(phone)
        if row is not None:
            if row[1:3] == [billing, state]:
                return
            row[4] = t
        row = [phone, billing, state, t, None]
        self.out.states.append(row)
        self.open[phone] = row

    def finish(self) -> None:
        """0-second rows dropped; rows that then meet with the same state joined (§7.17)."""
        kept, last = [], {}
        for row in self.out.states:
            if row[4] is not None and row[4] <= row[3]:
                continue
            before = last.get(row[0])
            if before is not None and before[4] == row[3] and before[1:3] == row[1:3]:
                before[4] = row[4]
                continue
            kept.append(row)
            last[row[0]] = row
        self.out.states[:] = kept


class _Account:
    """Balance, arrears and the balance alert, recording ledger rows and notes."""

    def __init__(self, scenario: Scenario, out: Expected):
        self.balance = scenario.account.balance
        self.alert = scenario.account.balance_alert
        self.arrears = self.balance < 0  # §7.13: silently
        self.out = out

    def debit(self, t, phone, kind, amount, paid_from="balance", period=(None, None)):
        if paid_from == "online":
            self.out.ledger.append((t, phone, kind, -amount, "online", self.balance, *period))
            return
        before = self.balance
        self.balance -= amount
        self.out.ledger.append((t, phone, kind, -amount, "balance", self.balance, *period))
        if self.alert is not None and before >= self.alert > self.balance:
            self.out.notes.append((t, "", "balance_low", None))

    def credit(self, t, phone, kind, amount, period=(None, None)) -> bool:
        """True when this credit ends arrears."""
        self.balance += amount
        self.out.ledger.append((t, phone, kind, amount, "balance", self.balance, *period))
        if self.arrears and self.balance >= 0:
            self.arrears = False
            self.out.notes.append((t, "", "arrears_cleared", None))
            return True
        return False


# ==========================================================================================
# Pay-per-use, second by second
# ==========================================================================================
def _settlement_times(scenario: Scenario, cal: Calendar, start: int, end: int):
    """{settlement instant: (period start, period end)} for every bill-run period (§4)."""
    run, delay = scenario.policy.bill_run, scenario.policy.settlement_delay
    out = {}
    a = {"hourly": cal.hour_of, "daily": cal.day_of, "monthly": cal.month_of}[run](start)
    while True:
        wall = cal.wall(a).replace(tzinfo=None)
        if run == "hourly":
            b = a + 3600
        elif run == "daily":
            b = cal.at(wall.date() + DAY, dt.time(0))
        else:
            b = cal.at(wall.date().replace(day=1) + relativedelta(months=1), dt.time(0))
        if b + delay >= end:
            return out
        out[b + delay] = (a, b)
        a = b


def pay_per_use(scenario: Scenario) -> Expected:
    """The expected outputs of a pay-per-use-only scenario, one second at a time."""
    assert all(p.billing == "pay_per_use" for p in scenario.phones)
    cal = Calendar(scenario.timezone)
    start, end = cal.instant(scenario.start), cal.instant(scenario.end)
    p = scenario.policy
    out = Expected()
    acct = _Account(scenario, out)
    states = _States(out)
    runs = _settlement_times(scenario, cal, start, end)
    rate_e8 = {ph.id: int(scenario.catalog.spec(ph.spec).hourly / E8) * ph.quantity
               for ph in scenario.phones}
    order = [ph.id for ph in scenario.phones]

    state: dict[str, str | None] = {pid: None for pid in order}
    stopped = dict.fromkeys(order, False)
    timer: dict[str, int | None] = dict.fromkeys(order, None)  # next lifecycle instant
    seconds: dict[tuple[str, int], int] = defaultdict(int)

    # what happens at each second, besides timers: top-ups, then the file's operations
    topups = defaultdict(list)
    for topup in scenario.account.topups:
        topups[cal.instant(topup.at)].append(topup.amount)
    ops = defaultdict(list)
    for ph in scenario.phones:
        ops[cal.instant(ph.at)].append((ph, None))
        for action in ph.actions:
            ops[cal.instant(action.at)].append((ph, action))

    def refuse(t, pid):
        out.notes.append((t, pid, "operation_refused", None))

    def fire_timers(t):
        """Every lifecycle step due by t, phone by phone in file order (§7.1)."""
        moved = True
        while moved:
            moved = False
            for pid in order:
                if timer[pid] is None or timer[pid] > t:
                    continue
                moved = True
                s = state[pid]
                if s == "Creating":
                    state[pid], timer[pid] = "Running", None
                elif s == "Arrears":  # grace over: frozen, no accrual
                    state[pid], timer[pid] = "Frozen", cal.days_later(t, p.ppu_retention_days)
                    out.notes.append((t, pid, "frozen", None))
                elif s == "Frozen":
                    state[pid], timer[pid] = "Released", None
                    out.notes.append((t, pid, "released", None))
                states.set(pid, "pay_per_use", state[pid], t)

    def settle(t):
        a, b = runs[t]
        total = sum((line_amount(pid, h, n) for (pid, h), n in seconds.items() if a <= h < b),
                    Decimal(0))
        if p.bill_run == "monthly":
            total = cents(total)  # §7.3
        if total == 0:
            return
        acct.debit(t, "", "settlement", total, period=(a, b - 1))
        if acct.balance < 0:
            if not acct.arrears:
                acct.arrears = True
                out.notes.append((t, "", "arrears_started", None))
            for pid in order:  # §7.4: each accruing phone starts its own grace now
                if state[pid] in ("Running", "Stopped"):
                    state[pid], timer[pid] = "Arrears", cal.days_later(t, p.ppu_grace_days)
                    states.set(pid, "pay_per_use", "Arrears", t)

    def line_amount(pid, hour, n):
        q, r = divmod(rate_e8[pid] * n, 3600)
        return (q + (2 * r >= 3600)) * E8  # half-up to 8 decimals

    def recover(t):
        for pid in order:
            if state[pid] in ("Arrears", "Frozen"):
                state[pid] = "Stopped" if stopped[pid] else "Running"
                timer[pid] = None
                states.set(pid, "pay_per_use", state[pid], t)

    def operate(t, ph, action):
        pid = ph.id
        if action is None:  # creation
            if acct.arrears:
                refuse(t, pid)
                return
            if ph.provisioning:
                state[pid], timer[pid] = "Creating", t + ph.provisioning
            else:
                state[pid] = "Running"
            states.set(pid, "pay_per_use", state[pid], t)
            return
        s, do = state[pid], action.do
        if do == "stop" and s == "Running":
            state[pid], stopped[pid] = "Stopped", True
        elif do == "start" and s == "Stopped":
            state[pid], stopped[pid] = "Running", False
        elif do == "delete" and s in ("Running", "Stopped", "Arrears"):
            state[pid], timer[pid] = "Deleted", None
        else:
            refuse(t, pid)
            return
        states.set(pid, "pay_per_use", state[pid], t)

    hour, hour_end = None, start
    for t in range(start, end):
        fire_timers(t)
        for amount in topups.get(t, ()):
            if acct.credit(t, "", "topup", amount):
                recover(t)
            fire_timers(t)
        if t in runs:
            settle(t)
            fire_timers(t)
        for ph, action in ops.get(t, ()):
            operate(t, ph, action)
            fire_timers(t)
        if t >= hour_end:  # a new clock hour (3,600 s in every zone the tests use)
            hour = cal.hour_of(t)
            hour_end = hour + 3600
        for pid in order:
            if state[pid] in ("Running", "Stopped", "Arrears"):
                seconds[(pid, hour)] += 1
    states.finish()
    settled_at = {}
    for when, (a, b) in runs.items():
        for key in seconds:
            if a <= key[1] < b:
                settled_at[key] = when
    out.lines = {key: [n, line_amount(key[0], key[1], n), settled_at.get(key)]
                 for key, n in seconds.items()}
    out.expires_at = dict.fromkeys(order)
    return out


# ==========================================================================================
# Yearly / monthly: a calendar walk
# ==========================================================================================
ALERT_DAYS = {"month": (15, 7, 3, 1), "year": (30, 15, 7, 3, 1)}
# §7.1: lifecycle -> top-ups -> (settlements) -> auto-renewal -> alerts -> file operations
LIFECYCLE, TOPUP, AUTO, ALERT, OPERATION = range(5)


class _Prepaid:
    """One yearly/monthly phone as the rules describe it."""

    def __init__(self, cfg, index):
        self.cfg, self.id, self.index = cfg, cfg.id, index
        self.unit = "year" if cfg.billing == "yearly" else "month"
        self.state = None
        self.expiry_date = None  # last valid date; the phone expires at the next midnight
        self.expires = None
        self.anchor = None
        self.auto = None  # [term, times left or None]
        self.attempt = None  # next auto-renewal attempt instant
        self.alerts: list[tuple[int, int]] = []  # pending (instant, days_before)
        self.stopped = False
        self.convert = False  # a change to pay-per-use at expiry is pending
        self.orders: list[list] = []  # [start, end, unit price, paid] of each order


def prepaid(scenario: Scenario) -> Expected:
    """The expected outputs of a yearly/monthly-only scenario; OutOfScope if a phone
    becomes pay-per-use inside the window."""
    assert all(p.billing != "pay_per_use" for p in scenario.phones)
    cal = Calendar(scenario.timezone)
    start, end = cal.instant(scenario.start), cal.instant(scenario.end)
    pol = scenario.policy
    out = Expected()
    acct = _Account(scenario, out)
    states = _States(out)
    phones = [_Prepaid(cfg, i) for i, cfg in enumerate(scenario.phones)]

    def unit_price(ph):
        spec = scenario.catalog.spec(ph.cfg.spec)
        return spec.yearly if ph.unit == "year" else spec.monthly

    def months(ph, term):
        return term * (12 if ph.unit == "year" else 1)

    def midnight_after(day: dt.date) -> int:
        return cal.at(day + DAY, dt.time(0))

    def set_state(ph, state, t):
        ph.state = state
        states.set(ph.id, ph.cfg.billing, state, t)

    def schedule(ph, t):
        """(Re)plan alerts and auto-renewal attempts for the current expiry, from t."""
        ph.alerts = []
        for days in ALERT_DAYS[ph.unit]:
            when = cal.at(ph.expiry_date - dt.timedelta(days=days), pol.alert_time)
            if t <= when < ph.expires:  # past ones skipped; due now still fires (§7.10)
                ph.alerts.append((when, days))
        ph.attempt = None
        if ph.auto is not None and ph.state in ("Running", "Stopped"):
            first = cal.at(ph.expiry_date - dt.timedelta(days=pol.auto_renew_days_before),
                           pol.auto_renew_time)
            if first >= t:
                ph.attempt = first
            else:  # switched on late: the next daily time AT OR AFTER t (§7.15), or at
                nxt = cal.next_daily(t - 1, pol.auto_renew_time)  # once if that is too late
                ph.attempt = nxt if nxt < ph.expires else t

    def price_ok(price, pay_with):
        if acct.arrears:
            return False
        return pay_with == "online" or acct.balance >= price

    def renew(ph, t, term, align, pay_with, kind) -> bool:
        base = add_months(ph.expiry_date, months(ph, term), ph.anchor)
        new_date, extra = base, Decimal(0)
        if align is not None:
            if align == "last":
                new_date = base + relativedelta(day=31)
            else:
                new_date = base.replace(day=align) if base.day <= align else (
                    base.replace(day=1) + relativedelta(months=1)).replace(day=align)
            spec = scenario.catalog.spec(ph.cfg.spec)
            extra = _cents_exact(Fraction(spec.monthly) / 30 * (new_date - base).days
                                 * ph.cfg.quantity)  # §7.18: exact, rounded once
        price = unit_price(ph) * term * ph.cfg.quantity + extra
        if not price_ok(price, pay_with):
            return False
        new_expires = midnight_after(new_date)
        acct.debit(t, ph.id, kind, price, pay_with, (ph.expires, new_expires - 1))
        ph.orders.append([ph.expires, new_expires, unit_price(ph), price])
        if align is not None:
            ph.anchor = 31 if align == "last" else align  # §7.7
        ph.expiry_date, ph.expires = new_date, new_expires
        if ph.state in ("Expired", "Frozen"):
            if ph.expires > t:
                ph.stopped = False  # §7.12
                set_state(ph, "Running", t)
            elif t < cal.days_later(ph.expires, pol.grace_days):
                set_state(ph, "Expired", t)
            else:
                set_state(ph, "Frozen", t)
        schedule(ph, t)
        return True

    def lifecycle_due(ph):
        if ph.state in ("Running", "Stopped"):
            return ph.expires
        if ph.state == "Expired":
            return cal.days_later(ph.expires, pol.grace_days)
        if ph.state == "Frozen":
            return cal.days_later(cal.days_later(ph.expires, pol.grace_days),
                                  pol.retention_days)
        return None

    def step_lifecycle(ph, t):
        if ph.state in ("Running", "Stopped") and ph.convert:
            raise OutOfScope(f"{ph.id} becomes pay-per-use at {cal.wall(t)}")
        if ph.state in ("Running", "Stopped"):
            set_state(ph, "Expired", t)
            ph.attempt = None  # no attempts once expired
            out.notes.append((t, ph.id, "expired", None))
        elif ph.state == "Expired":
            set_state(ph, "Frozen", t)
            out.notes.append((t, ph.id, "frozen", None))
        elif ph.state == "Frozen":
            set_state(ph, "Released", t)
            ph.auto, ph.attempt, ph.alerts = None, None, []
            out.notes.append((t, ph.id, "released", None))

    def step_attempt(ph, t):
        ph.attempt = None
        term, times = ph.auto
        if not renew(ph, t, term, None, "balance", "auto_renewal"):  # §7.6: always balance
            out.notes.append((t, ph.id, "auto_renew_failed", None))
            retry = cal.next_daily(t, pol.auto_renew_time)
            if retry < ph.expires:
                ph.attempt = retry
            return
        if times is not None:
            ph.auto[1] = times - 1
            if times == 1:
                ph.auto, ph.attempt = None, None
        out.notes.append((t, ph.id, "auto_renewed", None))

    def refuse(t, ph):
        out.notes.append((t, ph.id, "operation_refused", None))

    def operate(ph, action, t):
        if action is None:  # the purchase
            cfg = ph.cfg
            term = cfg.term or 1
            price = unit_price(ph) * term * cfg.quantity
            pay_with = cfg.pay_with or "balance"
            if not price_ok(price, pay_with):
                refuse(t, ph)
                return
            bought = cal.wall(t).date()
            ph.anchor = bought.day
            ph.expiry_date = add_months(bought, months(ph, term), ph.anchor)
            ph.expires = midnight_after(ph.expiry_date)
            acct.debit(t, ph.id, "purchase", price, pay_with, (t, ph.expires - 1))
            ph.orders.append([t, ph.expires, unit_price(ph), price])
            set_state(ph, "Running", t)
            if cfg.auto_renew is not None:
                ph.auto = [cfg.auto_renew.term or 1, cfg.auto_renew.times]
            schedule(ph, t)
            return
        s, do = ph.state, action.do
        live = s in ("Running", "Stopped")
        if s is None:
            refuse(t, ph)
        elif do == "stop" and s == "Running":
            ph.stopped = True
            set_state(ph, "Stopped", t)
        elif do == "start" and s == "Stopped":
            ph.stopped = False
            set_state(ph, "Running", t)
        elif do == "renew" and s in ("Running", "Stopped", "Expired", "Frozen"):
            if not renew(ph, t, action.term or 1, action.align_day,
                         action.pay_with or "balance", "renewal"):
                refuse(t, ph)
        elif do == "enable_auto_renew" and live:
            ph.convert = False  # §7.14: auto-renewal replaces the pending change
            ph.auto = [action.term or 1, action.times]
            schedule_attempt_only(ph, t)
        elif do == "change_billing" and live:
            if action.when == "now":
                raise OutOfScope(f"{ph.id} becomes pay-per-use at {cal.wall(t)}")
            if not ph.convert:  # §7.14: asked again while pending: nothing changes
                ph.convert = True
                ph.auto, ph.attempt = None, None  # §3: auto-renewal off; alerts stay
        elif do == "unsubscribe" and live:
            unsubscribe(ph, t)
        elif do == "disable_auto_renew" and s not in ("Released", "Unsubscribed"):
            ph.auto, ph.attempt = None, None
        else:
            refuse(t, ph)

    def unsubscribe(ph, t):
        """§3: orders not started back in full; the one in progress less what was used."""
        for start_, end_, unit, paid in ph.orders:
            if end_ <= t:
                continue
            if start_ > t:
                refund = paid
            else:
                exact = Fraction(paid)
                if pol.refund_rule == "daily":
                    per_day = Fraction(unit) / (365 if ph.unit == "year" else 30)
                    used = per_day * ((t - start_) // 86400) * ph.cfg.quantity
                else:
                    rounded = cal.hour_of(start_)
                    hours = Fraction(end_ - rounded, 3600)
                    used = exact * ((cal.hour_of(t) - rounded) // 3600) / hours
                used = min(exact, used)
                rest = exact - used - Fraction(pol.refund_fee_rate) * (exact - used)
                refund = _cents_exact(max(Fraction(0), rest))
            acct.credit(t, ph.id, "refund", refund, (start_, end_ - 1))
        set_state(ph, "Unsubscribed", t)
        ph.auto, ph.attempt, ph.alerts, ph.convert = None, None, [], False

    def schedule_attempt_only(ph, t):
        alerts = ph.alerts
        schedule(ph, t)
        ph.alerts = alerts  # enabling auto-renewal does not touch the alerts

    # the walk: always take the earliest next thing, ties by the §7.1 order, then file order
    topups = [(cal.instant(x.at), TOPUP, i, x.amount) for i, x in
              enumerate(scenario.account.topups)]
    ops, seq = [], 0
    for ph in phones:
        ops.append((cal.instant(ph.cfg.at), OPERATION, seq, (ph, None)))
        seq += 1
        for action in ph.cfg.actions:
            ops.append((cal.instant(action.at), OPERATION, seq, (ph, action)))
            seq += 1
    fixed = sorted(topups + ops, key=lambda e: e[:3])
    now = start
    while True:
        candidates = []
        for ph in phones:
            due = lifecycle_due(ph)
            if due is not None:
                candidates.append((due, LIFECYCLE, ph.index, ("life", ph)))
            if ph.attempt is not None:
                candidates.append((ph.attempt, AUTO, ph.index, ("auto", ph)))
            for when, days in ph.alerts:
                candidates.append((when, ALERT, ph.index, ("alert", ph, when, days)))
        if fixed:
            candidates.append(fixed[0][:3] + (("fixed",),))
        if not candidates:
            break
        t, rank, _, what = min(candidates, key=lambda c: c[:3])
        if t >= end:
            break
        t = max(t, now)  # a step already due (e.g. right after a renewal) happens now
        now = t
        if what[0] == "life":
            step_lifecycle(what[1], t)
        elif what[0] == "auto":
            step_attempt(what[1], t)
        elif what[0] == "alert":
            ph, when, days = what[1:]
            ph.alerts.remove((when, days))
            if ph.state in ("Running", "Stopped"):
                out.notes.append((t, ph.id, "expiry_alert", days))
        else:
            when, rank, _, payload = fixed.pop(0)
            if rank == TOPUP:
                acct.credit(t, "", "topup", payload)
            else:
                operate(*payload, t)
    states.finish()
    out.expires_at = {ph.id: ph.expires if ph.state not in (None, "Unsubscribed") else None
                      for ph in phones}
    return out
