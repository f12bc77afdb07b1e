"""One simulation run: the SimPy environment, the account, its phones and its bill runs.

Events, so that the queue holds only what comes next: one process walks the purchases,
creations and actions in (instant, file position) order, one at a time; each phone's
lifecycle process starts when the phone opens and keeps one pending event, its next timer
(`phone`); the bill runs are one process; top-ups, a handful, are scheduled at the start.
At 10^5 phones the queue peaks at ~4 x 10^4 events (it was ~1.4 x 10^5).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import simpy

from ..clock import Clock, remembered
from ..costs import ENDING_ACTIONS
from ..money import cents, fmt, from_e8
from ..records import Recorder
from ..scenario.models import Scenario
from . import events
from .account import Account
from .events import At, Started
from .meter import Meter
from .phone import ALERT_DAYS, Phone, Refused


class Run:
    """Everything one scenario needs while it is simulated; nothing global."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.clock = Clock(scenario.timezone)
        self.iso = remembered(self.clock.iso)  # notes name the same expiry instants often
        self.start = self.clock.epoch(scenario.start)
        self.end = self.clock.epoch(scenario.end)
        self.env = simpy.Environment(initial_time=self.start)
        self.policy = scenario.policy
        self.rec = Recorder()
        self.account = Account(scenario.account.balance, scenario.account.balance_alert,
                               self.rec)
        self.meter = Meter(self.clock.hour_start)
        self.refused = 0
        self._accrual_wake: simpy.Event | None = None
        self._alert_plans: dict[tuple[dt.date, str], tuple[tuple[int, int], ...]] = {}
        self._attempts: dict[dt.date, int] = {}
        self.phones = [Phone(self, cfg, i, scenario.catalog.spec(cfg.spec))
                       for i, cfg in enumerate(scenario.phones)]

    # --- set-up ------------------------------------------------------------------------
    def execute(self) -> None:
        """Schedule the top-ups and start the bill runs and the file order, then run the
        window [start, end)."""
        for topup in self.scenario.account.topups:
            At(self.env, self.clock.epoch(topup.at), events.TOPUP).callbacks.append(
                partial(self._topup, topup.amount))
        self.env.process(self._bill_runs())
        self.env.process(self._file_order())
        self.env.run(until=self.end)

    def _file_order(self):
        """§7.1: purchases, creations and actions at their instants, in file order.

        One process walks them in (instant, file position) order and waits for one at a
        time with the rank it has in the file (ACTION + position), so the queue holds the
        next one only, not all of them. A purchase or creation starts the phone's lifecycle
        process, which opens it first thing, in the same step (`events.Started`).
        """
        env, owners, actions = self.env, [], []
        instants: list[int] = []
        for phone in self.phones:
            owners.append(phone)
            actions.append(None)
            instants.append(phone.opened_at)
            for action in phone.cfg.actions:
                owners.append(phone)
                actions.append(action)
                instants.append(t := self.clock.epoch(action.at))
                if action.do in ENDING_ACTIONS and (phone.use_until is None
                                                    or t < phone.use_until):
                    phone.use_until = t
        # sorted() is stable: one instant's entries stay in file order.
        for seq in sorted(range(len(instants)), key=instants.__getitem__):
            yield At(env, instants[seq], events.ACTION + seq)
            phone, action = owners[seq], actions[seq]
            if action is None:
                phone.proc = Started(env, phone.lifecycle())
            else:
                self.attempt(phone, action.do, phone.act, action)

    def attempt(self, phone: Phone, operation: str, do, *args) -> None:
        """Carry out an operation; a refusal is recorded, never raised (§5)."""
        t = self.env.now
        try:
            do(t, *args)
        except Refused as refusal:
            self.refused += 1
            state = phone.state or "not existing"
            self.rec.note(t, phone.id, "operation_refused",
                          detail=f"{operation} refused: {refusal} (phone is {state})")

    def alert_plan(self, expiry_date: dt.date, unit: str) -> tuple[tuple[int, int], ...]:
        """(instant, days before) of a period's expiry alerts that fall before its expiry
        (§3: days by the unit, at the policy's alert time), in time order. Kept: a fleet's
        phones share few expiry dates."""
        key = (expiry_date, unit)
        plan = self._alert_plans.get(key)
        if plan is None:
            expires = self.clock.expiry_instant(expiry_date)
            kept = []
            for days in ALERT_DAYS[unit]:  # they run down to 1: each later than the last
                t = self.clock.at_time(expiry_date - dt.timedelta(days=days),
                                       self.policy.alert_time)
                if t >= expires:
                    break
                kept.append((t, days))
            plan = self._alert_plans[key] = tuple(kept)
        return plan

    def first_attempt(self, expiry_date: dt.date) -> int:
        """The first auto-renewal attempt of a period (§3): N days before its expiry date
        at the attempt time. Kept as `alert_plan` is."""
        t = self._attempts.get(expiry_date)
        if t is None:
            p = self.policy
            t = self._attempts[expiry_date] = self.clock.at_time(
                expiry_date - dt.timedelta(days=p.auto_renew_days_before), p.auto_renew_time)
        return t

    def _topup(self, amount, _event) -> None:
        self.account.credit(self.env.now, "", "topup", amount, detail="top-up")

    # --- pay-per-use -------------------------------------------------------------------
    def start_accrual(self, phone: Phone, t: int) -> None:
        """A phone starts accruing; wakes the bill runs if they were idle."""
        self.meter.start(phone.index, t, phone.rate_e8)
        if self._accrual_wake is not None and not self._accrual_wake.triggered:
            self._accrual_wake.succeed()

    def period_start(self, t: int) -> int:
        """Start of the bill-run period holding t (clock hour, local day or month)."""
        run = self.policy.bill_run
        if run == "hourly":
            return self.clock.hour_start(t)
        if run == "daily":
            return self.clock.day_start(t)
        return self.clock.month_start(t)

    def period_end(self, period_start: int) -> int:
        run = self.policy.bill_run
        if run == "hourly":
            return period_start + 3600
        if run == "daily":
            return self.clock.next_day_start(period_start)
        return self.clock.next_month_start(period_start)

    def settled_at(self, cycle_start: int) -> int | None:
        """When the bill line of that cycle is deducted, or None if not inside the window."""
        due = self.period_end(self.period_start(cycle_start)) + self.policy.settlement_delay
        return due if due < self.end else None

    def _bill_runs(self):
        """§4: each period's lines are deducted together, `settlement_delay` after it ends."""
        delay = self.policy.settlement_delay
        label = self.policy.bill_run
        a = self.period_start(self.start)
        while True:
            if self.meter.idle():
                # Nothing accrues: sleep until a phone starts, instead of waking each period.
                self._accrual_wake = self.env.event()
                yield self._accrual_wake
                self._accrual_wake = None
                a = self.period_start(self.env.now)
            b = self.period_end(a)
            due = b + delay
            if due >= self.end:
                return
            yield At(self.env, due, events.SETTLEMENT)
            amount_e8 = self.meter.settle(a, b)
            amount = from_e8(amount_e8)
            if label == "monthly":  # §7.3: a monthly statement is rounded to cents
                amount = cents(amount)
            # A statement that rounds to 0.00 moves no money: no ledger row (the ledger is
            # one row per money movement), and no deduction to put phones into Arrears.
            if amount:
                self.account.settle(due, amount, (a, b - 1),
                                    f"{label} bill run {self.clock.wall(a)} to "
                                    f"{self.clock.wall(b)} ({fmt(amount)})")
            a = b
