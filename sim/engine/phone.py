"""One phone through its whole lifecycle: a SimPy process for its timers, plus operations.

A phone has three kinds of timer, each in its band of the same-second order (§7.1,
`events`): the next lifecycle instant (expiry or conversion, freeze, release, end of
provisioning), the next auto-renewal attempt and the next expiry alert. The phone's one
process sleeps until the earliest of them, as (instant, band + phone index), and on waking
does what its band says is due now, then sleeps until the next: one pending event per
phone, whatever it has planned. A timer is plain data (`alert_at`, `attempt_at`, the
state's deadline), so cancelling one is setting it to None, with no event left behind.

An operation that moves the earliest timer before the instant the process sleeps until
interrupts it; one that moves it later lets it wake at the old instant, find nothing due
and sleep on (cheaper than an interrupt, and renewals only ever move it later). A timer
the process handles itself (an auto-renewal replanning the next attempt and the new
period's alerts and expiry) is planned when it goes back to sleep, without an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import simpy

from ..money import fmt, to_e8
from ..rating import align_extra, refund_in_progress
from . import events
from .events import At

if TYPE_CHECKING:
    from ..scenario.models import Action, Phone as PhoneConfig, Spec
    from .run import Run

RUNNING, STOPPED, CREATING = "Running", "Stopped", "Creating"
EXPIRED, ARREARS, FROZEN = "Expired", "Arrears", "Frozen"
RELEASED, UNSUBSCRIBED, DELETED = "Released", "Unsubscribed", "Deleted"
TERMINAL = frozenset({RELEASED, UNSUBSCRIBED, DELETED})
LIVE = frozenset({RUNNING, STOPPED})
PPU = "pay_per_use"

# billing-rules §3: alert days before expiry, by the unit of the period.
ALERT_DAYS = {"year": (30, 15, 7, 3, 1), "month": (15, 7, 3, 1)}


class Refused(Exception):
    """An operation not allowed at this moment; carries the human-readable reason."""


@dataclass(slots=True)
class Order:
    """A prepaid order: what was paid for which period [start, end)."""

    kind: str
    start: int
    end: int
    unit: str  # "month" | "year"
    unit_price: Decimal
    quantity: int
    paid: Decimal


class Phone:
    """A cloud phone (quantity instances bought together) and its billing state."""

    __slots__ = ("run", "env", "clock", "policy", "account", "rec", "cfg", "id", "index",
                 "spec", "qty", "billing", "unit", "state", "opened_at", "use_until", "stopped",
                 "orders", "expiry_date", "expires", "anchor", "auto", "convert_at_expiry",
                 "alert_at", "alerts", "alert_i", "attempt_at", "rate_e8", "ready_at", "arrears_since",
                 "frozen_since", "proc", "_replanning", "_waking")

    def __init__(self, run: Run, cfg: PhoneConfig, index: int, spec: Spec):
        self.run, self.env, self.clock = run, run.env, run.clock
        self.policy, self.account, self.rec = run.policy, run.account, run.rec
        self.cfg, self.id, self.index, self.spec = cfg, cfg.id, index, spec
        self.qty = cfg.quantity
        self.billing = cfg.billing
        self.unit = "year" if cfg.billing == "yearly" else "month"
        self.state: str | None = None  # None: not (yet) existing
        self.opened_at = run.clock.epoch(cfg.at)
        # Its first delete or unsubscribe action, which ends its usage window (None: the
        # window runs to the end); set as the run reads the actions.
        self.use_until: int | None = None
        self.stopped = False  # whether the user stopped it (kept through arrears)
        # prepaid
        self.orders: list[Order] = []
        self.expiry_date: dt.date | None = None
        self.expires: int | None = None  # expiry instant: 00:00:00 after the expiry date
        self.anchor = 1
        self.auto: list | None = None  # [term, times left or None] while auto-renew is on
        self.convert_at_expiry = False
        self.alert_at: int | None = None  # the next expiry alert: alerts[alert_i]
        self.alerts: tuple[tuple[int, int], ...] = ()  # (instant, days before) of the period
        self.alert_i = 0
        self.attempt_at: int | None = None  # the next auto-renewal attempt
        # pay-per-use
        self.rate_e8 = to_e8(spec.hourly) * cfg.quantity
        self.ready_at: int | None = None
        self.arrears_since: int | None = None
        self.frozen_since: int | None = None
        self.proc: simpy.Process | None = None
        self._replanning = False
        self._waking: tuple[int, int] | None = None  # (instant, band) the process sleeps until

    # --- the lifecycle process ---------------------------------------------------------
    def lifecycle(self):
        """Open the phone (started at its `at`), then sleep from one timer to the next."""
        self.run.attempt(self, "purchase" if self.billing != PPU else "create", self._open)
        while self.state is not None and self.state not in TERMINAL:
            wake = self._waking = self._next_timer()
            try:
                if wake is None:
                    yield self.env.event()  # nothing timed: wait for a replan
                else:
                    yield At(self.env, wake[0], wake[1] + self.index)
                    self._on_timer(wake[1])
            except simpy.Interrupt:
                self._replanning = False

    def _next_timer(self) -> tuple[int, int] | None:
        """The earliest (instant, band) of the lifecycle instant, attempt and alert."""
        wake = None
        deadline = self._next_deadline()
        if deadline is not None:
            wake = (deadline, events.LIFECYCLE)
        if self.attempt_at is not None and (wake is None or self.attempt_at < wake[0]):
            wake = (self.attempt_at, events.AUTO_RENEW)  # bands: LIFECYCLE < AUTO_RENEW
        if self.alert_at is not None and (wake is None or self.alert_at < wake[0]):
            wake = (self.alert_at, events.ALERT)  # ... < ALERT
        return wake

    def _on_timer(self, band: int) -> None:
        """Do what is due now in `band`; a timer moved since the process fell asleep is not."""
        t = self.env.now
        if band == events.LIFECYCLE:
            if self._next_deadline() == t:
                self._on_deadline()
        elif band == events.AUTO_RENEW:
            if self.attempt_at == t:
                self.attempt_at = None
                self._auto_renew(t)
        elif self.alert_at == t:
            self._alert(t)

    def _replan(self) -> None:
        """Wake the lifecycle process if its earliest timer moved before its wake-up."""
        proc = self.proc
        if proc is None or not proc.is_alive or self._replanning:
            return
        if self.env.active_process is proc:
            return  # it plans by itself when it goes back to sleep
        if self.state in TERMINAL:
            return  # nothing is timed any more: let it sleep, or wake and stop
        wake = self._next_timer()
        if wake is None or (self._waking is not None and wake >= self._waking):
            return  # it wakes first (or never needs to), finds nothing due and sleeps on
        self._replanning = True
        proc.interrupt()

    def _next_deadline(self) -> int | None:
        p, c, s = self.policy, self.clock, self.state
        if s == CREATING:
            return self.ready_at
        if self.billing != PPU:
            if s in LIVE:
                return self.expires
            if s == EXPIRED:
                return c.add_days(self.expires, p.grace_days)
            if s == FROZEN:
                return c.add_days(c.add_days(self.expires, p.grace_days), p.retention_days)
            return None
        if s == ARREARS:
            return c.add_days(self.arrears_since, p.ppu_grace_days)
        if s == FROZEN:
            return c.add_days(self.frozen_since, p.ppu_retention_days)
        return None

    def _on_deadline(self) -> None:
        t, s = self.env.now, self.state
        if s == CREATING:
            self._start_billing(t)
        elif self.billing != PPU and s in LIVE:
            if self.convert_at_expiry:  # §3: becomes pay-per-use instead of Expired
                self._convert(t)
            else:
                self.attempt_at = None  # no more auto-renewal attempts once expired
                self._set(EXPIRED, t)
                self.rec.note(t, self.id, "expired", detail=f"period ended {self.run.iso(t)}")
        elif s == EXPIRED:
            self._set(FROZEN, t)
            self.rec.note(t, self.id, "frozen", detail="grace period over")
        elif s == ARREARS:
            self.run.meter.stop(self.index, t)
            self.frozen_since = t
            self._set(FROZEN, t)
            self.rec.note(t, self.id, "frozen", detail="arrears grace period over")
        elif s == FROZEN:
            self._end(RELEASED, t)
            self.rec.note(t, self.id, "released", detail="retention period over; data deleted")

    # --- opening -----------------------------------------------------------------------
    def _open(self, t: int) -> None:
        if self.billing == PPU:
            self._create(t)
        else:
            self._purchase(t)

    def _purchase(self, t: int) -> None:
        cfg = self.cfg
        term = cfg.term or 1
        pay_with = cfg.pay_with or "balance"
        price = self._unit_price() * term * self.qty
        self._require_payment(price, pay_with)
        day = self.clock.date(t)
        self.anchor = day.day  # §3: the purchase day-of-month anchors every later period
        self.expiry_date = self.clock.add_months(day, self._months(term), self.anchor)
        self.expires = self.clock.expiry_instant(self.expiry_date)
        self.account.charge(t, self.id, "purchase", price, pay_with, (t, self.expires - 1),
                            f"{self._term_text(term)} x {self.qty} of {self.spec.id}")
        self.orders.append(Order("purchase", t, self.expires, self.unit, self._unit_price(),
                                 self.qty, price))
        self._set(RUNNING, t)
        self._schedule_alerts(t)
        if cfg.auto_renew is not None:
            self.auto = [cfg.auto_renew.term or 1, cfg.auto_renew.times]
            self._schedule_attempt(t)

    def _create(self, t: int) -> None:
        if self.account.in_arrears:  # §4: creation is fee-generating
            raise Refused(f"the account is in arrears (balance {fmt(self.account.balance)})")
        provisioning = self.cfg.provisioning or 0
        if provisioning:
            self.ready_at = t + provisioning
            self._set(CREATING, t)
        else:
            self._start_billing(t)

    def _start_billing(self, t: int) -> None:
        self._set(STOPPED if self.stopped else RUNNING, t)
        self.run.start_accrual(self, t)
        self.account.ppu_active[self.id] = self

    # --- operations (called through Run.attempt, which records refusals) ---------------
    def act(self, t: int, action: Action) -> None:
        """Carry out one scenario action now, or raise Refused."""
        if self.state is None:
            if t < self.opened_at:
                raise Refused(f"the phone does not exist before {self.clock.wall(self.opened_at)}")
            raise Refused("the phone does not exist (its purchase or creation was refused)")
        getattr(self, "do_" + action.do)(action, t)

    def do_stop(self, action: Action, t: int) -> None:
        self._need(self.state == RUNNING, "only a Running phone can be stopped")
        self.stopped = True
        self._set(STOPPED, t)

    def do_start(self, action: Action, t: int) -> None:
        self._need(self.state == STOPPED, "only a Stopped phone can be started")
        self.stopped = False
        self._set(RUNNING, t)

    def do_renew(self, action: Action, t: int) -> None:
        self._need(self.billing != PPU, "pay-per-use phones cannot be renewed")
        self._need(self.state in (RUNNING, STOPPED, EXPIRED, FROZEN),
                   "only a Running, Stopped, Expired or Frozen phone can be renewed")
        self._extend(t, action.term or 1, action.align_day, action.pay_with or "balance",
                     "renewal")

    def do_enable_auto_renew(self, action: Action, t: int) -> None:
        self._need(self.billing != PPU, "pay-per-use phones have no auto-renewal")
        self._need(self.state in LIVE, "auto-renewal can be enabled only before expiry")
        # §7.14: auto-renewal replaces a pending change at expiry (seed §6.3: it can be
        # enabled on the Pay-per-Use After Expiration tab; a phone sits on one tab).
        self.convert_at_expiry = False
        self.auto = [action.term or 1, action.times]
        self._schedule_attempt(t)
        self._replan()  # the attempt may be due now

    def do_disable_auto_renew(self, action: Action, t: int) -> None:
        self._need(self.billing != PPU, "pay-per-use phones have no auto-renewal")
        self._need(self.state not in TERMINAL, "the phone has ended")
        self.auto = None
        self.attempt_at = None

    def do_unsubscribe(self, action: Action, t: int) -> None:
        self._need(self.billing != PPU, "pay-per-use phones are deleted, not unsubscribed")
        self._need(self.state in LIVE, "only a Running or Stopped phone can be unsubscribed")
        self._refund_orders(t, self.policy.refund_fee_rate, "unsubscription")
        self._end(UNSUBSCRIBED, t)

    def do_change_billing(self, action: Action, t: int) -> None:
        self._need(self.billing != PPU, "pay-per-use phones cannot change billing mode")
        self._need(self.state in LIVE,
                   "only a Running or Stopped phone can change billing mode")
        if action.when == "now":
            # §3: unused part refunded as for unsubscription, without handling fee.
            self._refund_orders(t, Decimal(0), "change to pay-per-use")
            self._convert(t)
        elif not self.convert_at_expiry:  # §7.14: asking again changes nothing, no refusal
            self.convert_at_expiry = True
            self.auto = None  # §7.6: turned off when requested; alerts still fire
            self.attempt_at = None

    def do_delete(self, action: Action, t: int) -> None:
        self._need(self.billing == PPU,
                   "a yearly/monthly phone cannot be deleted; unsubscribe it instead")
        self._need(self.state in (RUNNING, STOPPED, ARREARS),
                   "only a Running, Stopped or Arrears phone can be deleted")
        self._end(DELETED, t)

    # --- pay-per-use arrears -----------------------------------------------------------
    def enter_arrears(self, t: int) -> None:
        """A negative deduction: grace starts now for this accruing phone (§7.4)."""
        self.account.ppu_active.pop(self.id, None)
        self.account.ppu_arrears[self.id] = self
        self.arrears_since = t
        self._set(ARREARS, t)
        self._replan()

    def recover(self, t: int) -> None:
        """The balance is back to >= 0: run (or stay stopped) and accrue again."""
        if self.state == FROZEN:
            self.run.start_accrual(self, t)
        self.account.ppu_arrears.pop(self.id, None)
        self.account.ppu_active[self.id] = self
        self.arrears_since = self.frozen_since = None
        self._set(STOPPED if self.stopped else RUNNING, t)
        self._replan()

    # --- prepaid mechanics -------------------------------------------------------------
    def _extend(self, t: int, term: int, align_day, pay_with: str, kind: str) -> None:
        """Renew from the old expiry date (§3), optionally to a standard renewal date."""
        base = self.clock.add_months(self.expiry_date, self._months(term), self.anchor)
        new_date, extra, extra_text = base, Decimal(0), ""
        if align_day is not None:
            new_date = self.clock.align(base, align_day)
            days = (new_date - base).days
            extra = align_extra(self.spec.monthly, days, self.qty)  # §3, §7.18
            extra_text = f" + {days} days to the standard renewal date ({fmt(extra)})"
        price = self._unit_price() * term * self.qty + extra
        self._require_payment(price, pay_with)
        old = self.expires
        new_expires = self.clock.expiry_instant(new_date)
        self.account.charge(t, self.id, kind, price, pay_with, (old, new_expires - 1),
                            f"{self._term_text(term)} x {self.qty}{extra_text}")
        self.orders.append(Order(kind, old, new_expires, self.unit, self._unit_price(),
                                 self.qty, price))
        if align_day is not None:
            self.anchor = 31 if align_day == "last" else align_day  # §7.7
        self.expiry_date, self.expires = new_date, new_expires
        if self.state in (EXPIRED, FROZEN):
            self._set(self._position_after_lapse(t), t)
        self._schedule_alerts(t)
        self._schedule_attempt(t)
        self._replan()

    def _position_after_lapse(self, t: int) -> str:
        """Where a lapsed phone stands once renewed (§3: Running if the period is current)."""
        if self.expires > t:
            self.stopped = False  # §7.12: renewing returns it to Running
            return RUNNING
        if t < self.clock.add_days(self.expires, self.policy.grace_days):
            return EXPIRED
        return FROZEN

    def _refund_orders(self, t: int, fee_rate: Decimal, why: str) -> None:
        """One refund row per order not yet ended (§7.2); orders not started: in full."""
        c = self.clock
        for order in self.orders:
            if order.end <= t:
                continue
            period = (order.start, order.end - 1)
            if order.start > t:
                amount, detail = order.paid, f"{why}: order not started, refunded in full"
            else:
                start_hour = c.hour_start(order.start)
                refund = refund_in_progress(
                    order.paid, order.unit_price, order.unit, order.quantity,
                    elapsed=t - order.start,
                    used_hours=(c.hour_start(t) - start_hour) // 3600,
                    order_seconds=order.end - start_hour,
                    rule=self.policy.refund_rule, fee_rate=fee_rate)
                amount = refund.amount
                detail = (f"{why}: {refund.used}, consumed {fmt(refund.consumed)}"
                          f", fee {fmt(refund.fee)}")
            order.end = t
            self.account.credit(t, self.id, "refund", amount, period, detail)
        self.auto = None
        self.alert_at = self.attempt_at = None

    def _convert(self, t: int) -> None:
        """Yearly/monthly becomes pay-per-use, keeping Running or Stopped."""
        self.billing = PPU
        self.convert_at_expiry = False
        self.auto = None
        self.attempt_at = None
        self._start_billing(t)
        self._replan()

    def _schedule_alerts(self, now: int) -> None:
        """Alerts for the current expiry; those already past when scheduled are skipped."""
        self.alerts = self.run.alert_plan(self.expiry_date, self.unit)
        for i, (t, _) in enumerate(self.alerts):
            if now <= t:
                self.alert_i, self.alert_at = i, t
                return
        self.alert_at = None

    def _alert(self, t: int) -> None:
        """The alert at `alert_at` (now); then the next of the period, always later."""
        if self.state in LIVE and self.billing != PPU:
            self.rec.note(t, self.id, "expiry_alert", self.alerts[self.alert_i][1],
                          f"expires {self.run.iso(self.expires)}")
        self.alert_i += 1
        self.alert_at = self.alerts[self.alert_i][0] if self.alert_i < len(self.alerts) else None

    def _schedule_attempt(self, now: int) -> None:
        """Next auto-renewal attempt (§3): N days before expiry at the attempt time."""
        self.attempt_at = None
        if self.auto is None or self.state not in LIVE:
            return
        first = self.run.first_attempt(self.expiry_date)
        if first >= now:
            when = first
        else:  # §7.15: the first daily attempt time at or after now (00:03:00 -> now)
            when = self.clock.next_daily(now - 1, self.policy.auto_renew_time)
            if when >= self.expires:
                when = now  # the next daily attempt would be too late: try at once
        self.attempt_at = when

    def _auto_renew(self, t: int) -> None:
        if self.auto is None or self.state not in LIVE:
            return
        term, times = self.auto
        try:
            self._extend(t, term, None, "balance", "auto_renewal")  # §7.6: always balance
        except Refused as refusal:
            self.rec.note(t, self.id, "auto_renew_failed", detail=str(refusal))
            retry = self.clock.next_daily(t, self.policy.auto_renew_time)
            if retry < self.expires:  # daily until it succeeds or the phone expires
                self.attempt_at = retry
            return
        if times is not None:
            self.auto[1] = times - 1
            if times - 1 == 0:  # `times` used up: auto-renewal turns off
                self.auto = None
                self.attempt_at = None
        self.rec.note(t, self.id, "auto_renewed",
                      detail=f"{self._term_text(term)}; now expires {self.run.iso(self.expires)}")

    # --- helpers -----------------------------------------------------------------------
    def _set(self, state: str, t: int) -> None:
        self.state = state
        self.rec.state(self.id, self.index, self.billing, state, t)

    def _end(self, state: str, t: int) -> None:
        """Terminal state: accrual, timers and account bookkeeping stop."""
        self.run.meter.stop(self.index, t)
        self.account.ppu_active.pop(self.id, None)
        self.account.ppu_arrears.pop(self.id, None)
        self.auto = None
        self.alert_at = self.attempt_at = None
        self._set(state, t)
        self._replan()

    def _require_payment(self, price: Decimal, pay_with: str) -> None:
        reason = self.account.can_pay(price, pay_with)
        if reason is not None:
            raise Refused(reason)

    @staticmethod
    def _need(condition: bool, reason: str) -> None:
        if not condition:
            raise Refused(reason)

    def _unit_price(self) -> Decimal:
        return self.spec.yearly if self.unit == "year" else self.spec.monthly

    def _months(self, term: int) -> int:
        return term * 12 if self.unit == "year" else term

    def _term_text(self, term: int) -> str:
        return f"{term} {self.unit}{'s' if term > 1 else ''}"
