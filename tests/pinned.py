"""Scenarios pinned as explicit Hypothesis examples: cases the random draw rarely makes and
failures that exploring (the `dev` profile) found; the `ci` profile replays them every run."""

from __future__ import annotations

from decimal import Decimal


def _odd_catalog(monthly: str) -> dict:
    return {"currency": "USD", "specs": [
        {"id": "odd", "edition": "basic", "vcpus": 1, "memory_gb": 1, "storage_gb": 1,
         "monthly": monthly, "yearly": "400.00", "hourly": "0.0725"}]}


def _pinned(start: str, end: str, catalog, phones: list, policy: dict | None = None) -> dict:
    return {"name": "pinned", "timezone": "Asia/Shanghai", "start": start, "end": end,
            "catalog": catalog, "policy": policy or {},
            "account": {"balance": Decimal("1000.00")}, "phones": phones}


# The three cases (§7.18) and the edges of §7.14, §7.15 and §7.17, walked by the
# oracle in every run whatever the random draw.
PINNED = [
    _pinned("2023-03-01 00:00:00", "2023-04-10 00:00:00", _odd_catalog("40.25"), [
        {"id": "p", "spec": "odd", "billing": "monthly", "at": "2023-03-01 00:00:00",
         "actions": [{"at": "2023-03-22 00:00:00", "do": "unsubscribe"}]}]),
    _pinned("2023-02-01 00:00:00", "2023-03-05 00:00:00", _odd_catalog("40.15"), [
        {"id": "p", "spec": "odd", "billing": "monthly", "at": "2023-02-05 10:00:00",
         "actions": [{"at": "2023-03-01 10:00:00", "do": "renew", "align_day": 26}]}]),
    _pinned("2024-02-01 00:00:00", "2024-03-10 00:00:00", "default", [
        {"id": "p", "spec": "ent-2c4g", "billing": "monthly", "at": "2024-02-01 00:00:00",
         "actions": [{"at": "2024-02-25 11:20:00", "do": "unsubscribe"}]}],
        {"refund_rule": "hourly", "refund_fee_rate": Decimal("0.10")}),
    _pinned("2023-01-01 00:00:00", "2023-04-20 00:00:00", "default", [
        {"id": "p", "spec": "pro-2c4g", "billing": "monthly", "at": "2023-01-10 10:00:00",
         "actions": [
             {"at": "2023-01-20 10:00:00", "do": "change_billing", "when": "at_expiry"},
             {"at": "2023-01-21 10:00:00", "do": "change_billing", "when": "at_expiry"},
             {"at": "2023-01-25 10:00:00", "do": "stop"},
             {"at": "2023-01-25 10:00:00", "do": "start"},
             {"at": "2023-02-05 00:03:00", "do": "enable_auto_renew", "times": 1}]},
        {"id": "q", "spec": "pro-2c4g", "billing": "monthly", "at": "2023-01-10 00:03:00",
         "auto_renew": {"times": 1}, "quantity": 3}],
        {"auto_renew_days_before": 40}),
]


# A renewal in the very second of expiry: one Running row across it, the `expired` note
# kept (§7.17); found when the rows were first joined.
RENEWED_AT_EXPIRY = {
    "name": "pinned", "timezone": "Asia/Shanghai", "start": "2023-01-01 00:00:00",
    "end": "2023-02-03 00:00:00", "account": {"balance": "1000.00"},
    "phones": [{"id": "e2", "spec": "pro-2c4g", "billing": "monthly",
                "at": "2023-01-01 10:00:00",
                "actions": [{"at": "2023-02-02 00:00:00", "do": "renew"}]}]}
