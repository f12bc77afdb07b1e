"""Invariants every run must keep, checked on the output FILES (what users get).

`check_all(scenario, folder)` reads the five outputs back (ISO times -> epoch seconds, money
-> Decimal) and asserts each rule below; a failure names the rule and the offending row.
Used by tests/test_properties.py (random valid scenarios) and fuzz/fuzz_door.py
(--invariants). The rules come from billing-rules.md and scenario-and-outputs.md, not
from the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from sim.scenario.models import Scenario

TERMINAL = {"Released", "Unsubscribed", "Deleted"}
BILLABLE = {"Running", "Stopped", "Arrears"}  # billing-rules §4, while pay_per_use
ORDER_KINDS = {"purchase", "renewal", "auto_renewal"}
PPU = "pay_per_use"
E8 = Decimal("0.00000001")

# billing-rules §3-§5: every state change the rules allow, between (mode, state) nodes,
# with the notification each one sends (§6). A state held for 0 s is dropped from the
# table, so two rows in a row may be several of these moves made in the same second.
_MOVES: dict[tuple[str, str], dict[tuple[str, str], str | None]] = defaultdict(dict)


def _move(a: tuple[str, str], b: tuple[str, str], note: str | None = None) -> None:
    _MOVES[a][b] = note


for _m in ("prepaid", "ppu"):
    _move((_m, "Running"), (_m, "Stopped"))                       # stop
    _move((_m, "Stopped"), (_m, "Running"))                       # start
    _move((_m, "Frozen"), (_m, "Released"), "released")           # retention over
_move(("start", "prepaid"), ("prepaid", "Running"))               # purchase
_move(("start", "ppu"), ("ppu", "Running"))                       # creation
_move(("start", "ppu"), ("ppu", "Creating"))                      # creation, provisioning
_move(("ppu", "Creating"), ("ppu", "Running"))                    # created
for _s in ("Running", "Stopped"):
    _move(("prepaid", _s), ("prepaid", "Expired"), "expired")     # expiry (§7.12)
    _move(("prepaid", _s), ("prepaid", "Unsubscribed"))           # unsubscribe
    _move(("prepaid", _s), ("ppu", _s))                           # change_billing
    _move(("ppu", _s), ("ppu", "Arrears"))                        # negative deduction
    _move(("ppu", _s), ("ppu", "Deleted"))                        # delete
    _move(("ppu", "Arrears"), ("ppu", _s))                        # credit ends arrears
    _move(("ppu", "Frozen"), ("ppu", _s))
_move(("prepaid", "Expired"), ("prepaid", "Frozen"), "frozen")    # grace over
_move(("prepaid", "Expired"), ("prepaid", "Running"))             # renewal, period current
_move(("prepaid", "Frozen"), ("prepaid", "Running"))
_move(("prepaid", "Frozen"), ("prepaid", "Expired"))              # renewal, period ended
_move(("ppu", "Arrears"), ("ppu", "Frozen"), "frozen")            # arrears grace over
_move(("ppu", "Arrears"), ("ppu", "Deleted"))
_MAX_MOVES_IN_ONE_SECOND = 6


def _walks(a: tuple[str, str], b: tuple[str, str]) -> set[tuple[str, ...]]:
    """Notification lists (sorted) of every walk of 1..6 allowed moves from a to b."""
    found: set[tuple[str, ...]] = set()
    frontier = {(a, ())}
    for _ in range(_MAX_MOVES_IN_ONE_SECOND):
        step = set()
        for node, notes in frontier:
            for nxt, note in _MOVES[node].items():
                walk = (nxt, tuple(sorted(notes + ((note,) if note else ()))))
                step.add(walk)
                if nxt == b:
                    found.add(walk[1])
        frontier = step
    return found


@dataclass
class Outputs:
    """The five output files of one run, parsed."""

    ledger: list[dict]
    usage: list[dict]
    states: list[dict]
    notes: list[dict]
    summary: dict
    raw: dict[str, bytes]


def epoch(text: str) -> int | None:
    """ISO 8601 with offset -> epoch seconds; '' -> None."""
    if text == "":
        return None
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"time without offset: {text!r}"
    return int(value.timestamp())


def _money(text: str) -> Decimal:
    assert text and "e" not in text.lower(), f"bad money text {text!r}"
    return Decimal(text)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_outputs(folder: str | Path) -> Outputs:
    """Parse ledger, usage, states, notifications and summary from a results folder."""
    folder = Path(folder)
    raw = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    ledger = [dict(r, time=epoch(r["time"]), amount=_money(r["amount"]),
                   balance_after=_money(r["balance_after"]),
                   period_start=epoch(r["period_start"]), period_end=epoch(r["period_end"]))
              for r in _rows(folder / "ledger.csv")]
    usage = [dict(r, cycle_start=epoch(r["cycle_start"]), cycle_end=epoch(r["cycle_end"]),
                  seconds=int(r["seconds"]), amount=_money(r["amount"]),
                  settled_at=epoch(r["settled_at"]))
             for r in _rows(folder / "usage.csv")]
    states = [dict(r, start=epoch(r["start"]), end=epoch(r["end"]))
              for r in _rows(folder / "states.csv")]
    notes = [dict(r, time=epoch(r["time"]),
                  days_before=int(r["days_before"]) if r["days_before"] else None)
             for r in _rows(folder / "notifications.csv")]
    summary = json.loads(raw["summary.json"])
    return Outputs(ledger, usage, states, notes, summary, raw)


class Window:
    """The scenario's window [start, end) and zone, computed with zoneinfo directly."""

    def __init__(self, scenario: Scenario):
        self.zone = ZoneInfo(scenario.timezone)
        self.start = self.epoch(scenario.start)
        self.end = self.epoch(scenario.end)

    def epoch(self, wall: dt.datetime) -> int:
        if wall.tzinfo is None:  # naive = wall clock in the zone, fold=0 (the contract's)
            wall = wall.replace(tzinfo=self.zone)
        return int(wall.timestamp())

    def local(self, t: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(t, self.zone)


# --- the invariants -----------------------------------------------------------------------
def check_ledger_reconciles(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Row by row: balance_after = previous + amount (previous when paid online); in time order."""
    balance = scenario.account.balance
    last_time = None
    for i, row in enumerate(out.ledger):
        if row["paid_from"] == "online":
            # an order (free specs exist: prices may be 0), paid outside the account
            assert row["amount"] <= 0 and row["kind"] in ORDER_KINDS, f"ledger[{i}] {row}"
        else:
            assert row["paid_from"] == "balance", f"ledger[{i}] paid_from {row['paid_from']!r}"
            balance += row["amount"]
        assert row["balance_after"] == balance, (
            f"ledger[{i}] balance_after {row['balance_after']} != {balance}: {row}")
        assert last_time is None or row["time"] >= last_time, f"ledger[{i}] out of time order"
        last_time = row["time"]


def check_final_balance(scenario: Scenario, out: Outputs, win: Window) -> None:
    """final = opening + top-ups + refunds - charges paid from the balance (settlements too)."""
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    for row in out.ledger:
        if row["paid_from"] == "balance":
            by_kind[row["kind"]] += row["amount"]
    assert by_kind["topup"] >= 0 and by_kind["refund"] >= 0
    expected = (scenario.account.balance + by_kind["topup"] + by_kind["refund"]
                + sum((v for k, v in by_kind.items() if k not in ("topup", "refund")),
                      Decimal(0)))
    assert Decimal(out.summary["final_balance"]) == expected, (
        f"final_balance {out.summary['final_balance']} != {expected}")
    # Every scheduled top-up is inside the window, so each is credited exactly once.
    wanted = sorted((win.epoch(t.at), t.amount) for t in scenario.account.topups)
    got = sorted((r["time"], r["amount"]) for r in out.ledger if r["kind"] == "topup")
    assert got == wanted, f"top-ups {got} != scheduled {wanted}"


def check_money_rules(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Only settlements take the balance below 0; no order is paid while in arrears (§2)."""
    balance = scenario.account.balance
    for i, row in enumerate(out.ledger):
        before = balance
        if row["paid_from"] == "balance":
            balance += row["amount"]
        if row["kind"] in ORDER_KINDS:
            assert before >= 0, f"ledger[{i}] order paid while in arrears ({before}): {row}"
            assert row["amount"] <= 0, f"ledger[{i}] {row}"  # a price may be 0
        if row["amount"] < 0 and row["kind"] != "settlement" and row["paid_from"] == "balance":
            assert balance >= 0, f"ledger[{i}] a non-settlement charge went below 0: {row}"
        if row["kind"] in ("topup", "refund"):
            assert row["amount"] >= 0 and row["paid_from"] == "balance", f"ledger[{i}] {row}"
        if row["kind"] == "settlement":
            assert row["amount"] < 0 and row["phone"] == "", f"ledger[{i}] {row}"


def check_account_notifications(scenario: Scenario, out: Outputs, win: Window) -> None:
    """arrears_started/cleared and balance_low exactly at the balance crossings (§2, §7.13)."""
    alert = scenario.account.balance_alert
    balance = scenario.account.balance
    in_arrears = balance < 0
    expected = []
    for row in out.ledger:
        if row["paid_from"] != "balance":
            continue
        before, balance = balance, balance + row["amount"]
        if row["amount"] < 0 and alert is not None and before >= alert > balance:
            expected.append((row["time"], "balance_low"))
        if not in_arrears and balance < 0:
            in_arrears = True
            expected.append((row["time"], "arrears_started"))
        elif in_arrears and balance >= 0 and row["amount"] > 0:
            in_arrears = False
            expected.append((row["time"], "arrears_cleared"))
    kinds = {"balance_low", "arrears_started", "arrears_cleared"}
    got = [(n["time"], n["kind"]) for n in out.notes if n["kind"] in kinds]
    assert sorted(got) == sorted(expected), f"account notifications {got} != {expected}"
    for n in out.notes:
        if n["kind"] in kinds:
            assert n["phone"] == "", f"account-wide notification with a phone: {n}"


def _phone_states(out: Outputs) -> dict[str, list[dict]]:
    by_phone: dict[str, list[dict]] = defaultdict(list)
    for row in out.states:
        by_phone[row["phone"]].append(row)
    return by_phone


def _mode(billing: str) -> str:
    return "ppu" if billing == PPU else "prepaid"


def check_state_intervals(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Contiguous, ordered, only allowed moves (each with its notification), none after a
    terminal state, nothing outside the window; the summary's final state is the last."""
    by_phone = _phone_states(out)
    assert set(by_phone) <= {p.id for p in scenario.phones}
    lifecycle_kinds = ("expired", "frozen", "released")
    notes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for n in out.notes:
        if n["kind"] in lifecycle_kinds:
            notes[(n["phone"], n["time"])].append(n["kind"])
    for phone in scenario.phones:
        rows = by_phone.get(phone.id, [])
        summary_state = out.summary["phones"][phone.id]["final_state"]
        if not rows:
            assert summary_state is None, f"{phone.id}: no states but final {summary_state}"
            continue
        assert rows[0]["start"] == win.epoch(phone.at), f"{phone.id}: first state not at `at`"
        node = ("start", _mode(phone.billing))
        boundaries = set()
        for i, row in enumerate(rows):
            if i:
                prev = rows[i - 1]
                assert prev["end"] is not None and prev["end"] == row["start"], (
                    f"{phone.id}: intervals not contiguous: {prev} then {row}")
                assert prev["state"] not in TERMINAL, f"{phone.id}: {row} after {prev}"
            nxt = (_mode(row["billing"]), row["state"])
            sent = tuple(sorted(notes.get((phone.id, row["start"]), [])))
            walks = _walks(node, nxt)
            assert walks, f"{phone.id}: move {node} -> {nxt} at {row['start']} not allowed"
            assert sent in walks, (f"{phone.id}: {node} -> {nxt} at {row['start']} sent "
                                   f"{sent}; the moves send one of {sorted(walks)}")
            boundaries.add(row["start"])
            node = nxt
            assert win.start <= row["start"] < win.end, f"{phone.id}: {row} outside window"
            if row["end"] is not None:
                assert row["start"] < row["end"] < win.end, f"{phone.id}: bad interval {row}"
        for (pid, t), kinds in notes.items():
            if pid != phone.id or t in boundaries:
                continue
            # §7.17: renewed in the very second of expiry, the phone was Expired for 0 s;
            # its Running rows on either side are one row, the `expired` note stays.
            covering = [r for r in rows if r["start"] < t and (r["end"] is None or t < r["end"])]
            assert kinds == ["expired"] and covering and covering[0]["state"] in (
                "Running", "Stopped") and covering[0]["billing"] != "pay_per_use", (
                f"{phone.id}: lifecycle note {kinds} at {t} without a state change")
        assert rows[-1]["end"] is None, f"{phone.id}: last interval closed {rows[-1]}"
        assert summary_state == rows[-1]["state"], f"{phone.id}: final_state {summary_state}"
        assert out.summary["phones"][phone.id]["billing"] == rows[-1]["billing"]
    for (pid, t) in notes:
        assert pid in by_phone, f"lifecycle note for {pid!r} without states"


def _local_hour_start(win: Window, t: int) -> int:
    """Start of t's local clock hour: minutes and seconds of the wall clock taken off."""
    local = win.local(t)
    return t - local.minute * 60 - local.second


def check_bill_lines(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Lines: one clock hour, 0 < s <= 3600, priced right, = billable seconds from states."""
    prices = {p.id: scenario.catalog.spec(p.spec).hourly * p.quantity for p in scenario.phones}
    billed: dict[tuple[str, int], int] = {}
    for i, line in enumerate(out.usage):
        c0 = line["cycle_start"]
        assert line["cycle_end"] - c0 == 3600, f"usage[{i}] cycle not 3600 s: {line}"
        local = win.local(c0)
        assert local.minute == 0 and local.second == 0, f"usage[{i}] not a clock hour {line}"
        assert 0 < line["seconds"] <= 3600, f"usage[{i}] seconds {line['seconds']}"
        # Nothing outside [start, end): the seconds fit in the part of the hour inside it.
        assert line["seconds"] <= min(c0 + 3600, win.end) - max(c0, win.start), f"usage[{i}]"
        # hourly price x quantity x seconds / 3600, half-up to 8 decimals, in exact integers
        q, r = divmod(int(prices[line["phone"]] / E8) * line["seconds"], 3600)
        expected = (q + (2 * r >= 3600)) * E8
        assert line["amount"] == expected, f"usage[{i}] amount {line['amount']} != {expected}"
        key = (line["phone"], c0)
        assert key not in billed, f"usage[{i}]: two lines for one phone-hour {key}"
        billed[key] = line["seconds"]
    # The same seconds counted from the states table, hour by hour.
    from_states: dict[tuple[str, int], int] = defaultdict(int)
    for row in out.states:
        if row["billing"] != PPU or row["state"] not in BILLABLE:
            continue
        t, stop = row["start"], row["end"] if row["end"] is not None else win.end
        while t < stop:
            h = _local_hour_start(win, t)
            piece_end = min(stop, h + 3600)
            from_states[(row["phone"], h)] += piece_end - t
            t = piece_end
    assert billed == dict(from_states), (
        f"billed seconds != billable seconds from states: "
        f"{sorted(set(billed.items()) ^ set(from_states.items()))[:6]}")
    lines_order = [(line["cycle_start"]) for line in out.usage]
    assert lines_order == sorted(lines_order), "usage rows not in time order"


def check_settlements(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Each settlement deducts exactly the lines settled at that instant (§4, §7.3)."""
    settled: dict[int, Decimal] = defaultdict(Decimal)
    for line in out.usage:
        if line["settled_at"] is not None:
            assert line["settled_at"] >= line["cycle_end"] + scenario.policy.settlement_delay
            assert win.start <= line["settled_at"] < win.end
            settled[line["settled_at"]] += line["amount"]
    rows = {r["time"]: r for r in out.ledger if r["kind"] == "settlement"}
    assert len(rows) == sum(r["kind"] == "settlement" for r in out.ledger), "two runs at once"
    monthly = scenario.policy.bill_run == "monthly"
    expected = {}
    for t, total in settled.items():
        if monthly:
            total = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if total:
            expected[t] = -total
    got = {t: r["amount"] for t, r in rows.items()}
    assert got == expected, f"settlements {got} != lines settled {expected}"


def check_orders_and_refunds(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Refunds carry an order's period and never exceed what it cost; orders chain (§3)."""
    orders: dict[tuple[str, int, int], Decimal] = {}
    refunded: set[tuple[str, int, int]] = set()
    last_end: dict[str, int] = {}
    for i, row in enumerate(out.ledger):
        key = (row["phone"], row["period_start"], row["period_end"])
        if row["kind"] in ORDER_KINDS:
            assert row["phone"] and row["period_start"] is not None, f"ledger[{i}] {row}"
            assert row["period_end"] > row["period_start"], f"ledger[{i}] empty period"
            if row["kind"] == "purchase":
                assert row["period_start"] == row["time"], f"ledger[{i}] purchase period"
            else:  # §3: renewals start where the previous period ended (days expired paid)
                assert row["period_start"] == last_end.get(row["phone"]), (
                    f"ledger[{i}] renewal does not chain: {row}")
            last_end[row["phone"]] = row["period_end"] + 1
            orders[key] = -row["amount"]
        elif row["kind"] == "refund":
            assert key in orders, f"ledger[{i}] refund for no order: {row}"
            assert key not in refunded, f"ledger[{i}] order refunded twice: {row}"
            assert 0 <= row["amount"] <= orders[key], f"ledger[{i}] refund > paid: {row}"
            refunded.add(key)
    for phone in scenario.phones:
        expires = out.summary["phones"][phone.id]["expires_at"]
        final = out.summary["phones"][phone.id]["final_state"]
        if phone.prepaid and final not in (None, "Unsubscribed") and (
                out.summary["phones"][phone.id]["billing"] != PPU):
            assert epoch(expires) == last_end[phone.id], f"{phone.id}: expires_at {expires}"
        else:
            assert expires is None, f"{phone.id}: expires_at {expires} (final {final})"


def _add_days(win: Window, t: int, days: int) -> int:
    """Same wall-clock time `days` calendar days later (billing-rules §7.11)."""
    wall = win.local(t).replace(tzinfo=None) + dt.timedelta(days=days)
    return win.epoch(wall)


def check_paid_periods_and_timers(scenario: Scenario, out: Outputs, win: Window) -> None:
    """A prepaid phone runs only inside what was paid and expires exactly where it ends;
    grace and retention last their calendar days (§3, §4)."""
    paid_until: dict[str, list[tuple[int, int]]] = defaultdict(list)  # (order time, end)
    for row in out.ledger:
        if row["kind"] in ORDER_KINDS:
            paid_until[row["phone"]].append((row["time"], row["period_end"] + 1))
    p = scenario.policy

    def covered(phone: str, t: int) -> int | None:
        """Expiry instant in force at t (orders placed at or before t)."""
        ends = [end for when, end in paid_until[phone] if when <= t]
        return max(ends) if ends else None

    for phone, rows in _phone_states(out).items():
        orders = sorted(when for when, _ in paid_until[phone])
        for i, row in enumerate(rows):
            stop = row["end"] if row["end"] is not None else win.end
            if row["billing"] != PPU and row["state"] in ("Running", "Stopped"):
                # the last second of each stretch between orders must still be paid for
                for t in [o - 1 for o in orders if row["start"] < o < stop] + [stop - 1]:
                    assert t < covered(phone, t), f"{phone}: {row['state']} unpaid at {t}"
            if row["billing"] != PPU and row["state"] in ("Expired", "Frozen"):
                for t in [row["start"]] + [o for o in orders if row["start"] < o < stop]:
                    assert t >= covered(phone, t), f"{phone}: {row['state']} while paid, {t}"
            if not i:
                continue
            prev, t = rows[i - 1], row["start"]
            if prev["billing"] != PPU and row["billing"] != PPU:
                x = covered(phone, t)
                if prev["state"] in ("Running", "Stopped") and row["state"] in (
                        "Expired", "Frozen", "Released"):
                    assert t == x, f"{phone}: left {prev['state']} at {t}, paid until {x}"
                if prev["state"] == "Expired" and row["state"] == "Frozen":
                    assert t == _add_days(win, x, p.grace_days), f"{phone}: frozen at {t}"
                if prev["state"] == "Frozen" and row["state"] == "Released":
                    want = _add_days(win, _add_days(win, x, p.grace_days), p.retention_days)
                    assert t == want, f"{phone}: released at {t}, want {want}"
            elif prev["billing"] == PPU and row["billing"] == PPU:
                if prev["state"] == "Arrears" and row["state"] == "Frozen":
                    want = _add_days(win, prev["start"], p.ppu_grace_days)
                    assert t == want, f"{phone}: arrears grace ended at {t}, want {want}"
                if prev["state"] == "Frozen" and row["state"] == "Released":
                    want = _add_days(win, prev["start"], p.ppu_retention_days)
                    assert t == want, f"{phone}: released at {t}, want {want}"


def check_window(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Nothing happens outside [start, end): ledger rows and notifications."""
    for row in out.ledger:
        assert win.start <= row["time"] < win.end, f"ledger row outside the window: {row}"
    for note in out.notes:
        assert win.start <= note["time"] < win.end, f"notification outside the window: {note}"
    times = [n["time"] for n in out.notes]
    assert times == sorted(times), "notifications not in time order"


def check_notifications(scenario: Scenario, out: Outputs, win: Window) -> None:
    """Known kinds only; alerts carry the right days_before (§3); refusals counted."""
    kinds = {"expiry_alert", "expired", "frozen", "released", "auto_renewed",
             "auto_renew_failed", "arrears_started", "arrears_cleared", "balance_low",
             "operation_refused"}
    billing = {p.id: p.billing for p in scenario.phones}
    for note in out.notes:
        assert note["kind"] in kinds, f"unknown kind {note}"
        assert (note["days_before"] is not None) == (note["kind"] == "expiry_alert"), note
        if note["kind"] == "expiry_alert":
            days = (30, 15, 7, 3, 1) if billing[note["phone"]] == "yearly" else (15, 7, 3, 1)
            assert note["days_before"] in days, f"alert days_before {note}"
    refused = sum(n["kind"] == "operation_refused" for n in out.notes)
    assert out.summary["refused_operations"] == refused


def check_summary_costs(scenario: Scenario, out: Outputs, win: Window) -> None:
    """cost = orders - refunds + all bill lines per phone; total_cost = sum of costs."""
    costs = {p.id: Decimal(0) for p in scenario.phones}
    for row in out.ledger:
        if row["phone"]:
            costs[row["phone"]] -= row["amount"]
    for line in out.usage:
        costs[line["phone"]] += line["amount"]
    phones = out.summary["phones"]
    assert list(phones) == [p.id for p in scenario.phones], "summary phones not in file order"
    for phone_id, cost in costs.items():
        assert Decimal(phones[phone_id]["cost"]) == cost, f"{phone_id}: cost {phones[phone_id]}"
    assert Decimal(out.summary["total_cost"]) == sum(costs.values(), Decimal(0))
    assert out.summary["scenario"] == scenario.name
    assert out.summary["currency"] == scenario.currency
    assert epoch(out.summary["start"]) == win.start and epoch(out.summary["end"]) == win.end


def _month(win: Window, t: int) -> str:
    return win.local(t).strftime("%Y-%m")


def check_two_views(scenario: Scenario, out: Outputs, win: Window) -> None:
    """costs.csv and monthly.csv agree with the ledger, the bill lines and summary.json.

    Cash: orders and refunds in the month they were paid, bill lines in the month they
    were settled (unsettled: their cycle's month). Accrued: each order net of its refund
    spread over the seconds it pays for (cut at the refund), recomputed here with exact
    fractions, plus bill lines by cycle. Each file rounds each cell to 8 decimals.
    """
    costs = list(csv.DictReader(io.StringIO(out.raw["costs.csv"].decode())))
    monthly = list(csv.DictReader(io.StringIO(out.raw["monthly.csv"].decode())))
    phones = out.summary["phones"]
    assert [r["phone"] for r in costs] == list(phones)
    billable: dict[str, int] = defaultdict(int)
    for row in out.states:
        if row["state"] in BILLABLE:
            billable[row["phone"]] += (row["end"] or win.end) - row["start"]
    for r in costs:
        p = phones[r["phone"]]
        assert r["cash"] == p["cost"] and r["accrued"] == p["cost_accrued"], r
        assert abs(float(r["billable_hours"]) - billable[r["phone"]] / 3600) < 1e-6, r
    cash: dict[str, Decimal] = defaultdict(Decimal)
    accrued: dict[str, Fraction] = defaultdict(Fraction)
    refunds = {(r["phone"], r["period_start"]): r for r in out.ledger if r["kind"] == "refund"}
    for row in out.ledger:
        if row["phone"]:
            cash[_month(win, row["time"])] -= row["amount"]
        if row["kind"] not in ORDER_KINDS:
            continue
        a, b = row["period_start"], row["period_end"] + 1
        net = Fraction(-row["amount"])
        refund = refunds.get((row["phone"], a))
        if refund is not None:
            net -= Fraction(refund["amount"])
            b = min(b, max(refund["time"], a))
        t = max(a, win.start)
        while t < min(b, win.end):
            nxt = min(b, win.end, win.epoch(dt.datetime(
                win.local(t).year + win.local(t).month // 12, win.local(t).month % 12 + 1, 1)))
            accrued[_month(win, t)] += net * (nxt - t) / (b - a)
            t = nxt
    for line in out.usage:
        cash[_month(win, line["settled_at"] or line["cycle_start"])] += line["amount"]
        accrued[_month(win, line["cycle_start"])] += Fraction(line["amount"])
    files_cash: dict[str, Decimal] = defaultdict(Decimal)
    files_accrued: dict[str, Decimal] = defaultdict(Decimal)
    for r in monthly:
        files_cash[r["month"]] += Decimal(r["cash"])
        files_accrued[r["month"]] += Decimal(r["accrued"])
    for month in set(cash) | set(files_cash):
        assert files_cash[month] == cash[month], (month, files_cash[month], cash[month])
    slack = Fraction(1, 10**8) * (len(monthly) + 1)
    for month in set(accrued) | set(files_accrued):
        assert abs(Fraction(files_accrued[month]) - accrued[month]) <= slack, month
    total = Fraction(Decimal(out.summary["total_cost_accrued"]))
    assert abs(sum(accrued.values(), Fraction(0)) - total) <= slack
    assert sum(cash.values(), Decimal(0)) == Decimal(out.summary["total_cost"])


CHECKS = [
    check_ledger_reconciles, check_final_balance, check_money_rules,
    check_account_notifications, check_state_intervals, check_bill_lines, check_settlements,
    check_orders_and_refunds, check_paid_periods_and_timers, check_window,
    check_notifications, check_summary_costs, check_two_views,
]


def check_all(scenario: Scenario, folder: str | Path) -> Outputs:
    """Run every invariant on the outputs written to `folder`; returns them parsed."""
    out = read_outputs(folder)
    win = Window(scenario)
    for check in CHECKS:
        check(scenario, out, win)
    return out
