"""The input door accepts a valid scenario exactly: Decimal money, wall-clock times, catalogs."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import pytest

from sim.scenario import (
    Catalog,
    Problem,
    Scenario,
    ScenarioError,
    check_catalog,
    default_catalog,
    load_scenario,
)
from sim.scenario.errors import join_path
from sim.scenario.yaml_io import parse_yaml

VALID = """\
name: office-fleet
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-08-01 00:00:00
currency: USD
catalog: default
policy:
  alert_time: 10:00:00
  auto_renew_time: "00:03:00"
  refund_fee_rate: 0.10
account:
  balance: 45.10
  balance_alert: 50
  topups:
    - {at: 2023-03-01 09:00:00, amount: 200.00}
phones:
  - id: office-1
    spec: pro-2c4g
    quantity: 2
    billing: monthly
    term: 1
    at: 2023-02-08 15:50:04
    pay_with: balance
    auto_renew: {term: 1, times: 3}
    actions:
      - {at: 2023-03-05 10:00:00, do: renew, term: 1, align_day: last, pay_with: online}
      - {at: 2023-03-06 10:00:00, do: stop}
      - {at: 2023-03-06 12:00:00, do: start}
      - {at: 2023-03-07 00:00:00, do: enable_auto_renew, term: 1, times: 2}
      - {at: 2023-04-01 00:00:00, do: change_billing, when: at_expiry}
  - id: dev-1
    spec: basic-4c8g
    billing: pay_per_use
    at: 2023-02-08 08:45:30
    provisioning: 30
    actions:
      - {at: 2023-02-08 08:55:30, do: delete}
"""

DEFAULT_PRICES = {
    "basic-2c4g": ("30.00", "306.00", "0.07"),
    "pro-2c4g": ("45.00", "459.00", "0.10"),
    "ent-2c4g": ("60.00", "612.00", "0.14"),
    "basic-4c8g": ("60.00", "612.00", "0.14"),
    "pro-4c8g": ("90.00", "918.00", "0.20"),
    "ent-4c8g": ("120.00", "1224.00", "0.27"),
    "basic-8c16g": ("120.00", "1224.00", "0.27"),
    "pro-8c16g": ("180.00", "1836.00", "0.40"),
    "ent-8c16g": ("240.00", "2448.00", "0.54"),
}


@pytest.fixture
def valid_file(tmp_path):
    path = tmp_path / "office-fleet.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_valid_scenario_loads_with_exact_decimal_money(valid_file):
    scenario = load_scenario(valid_file)
    assert isinstance(scenario, Scenario)
    balance = scenario.account.balance
    assert type(balance) is Decimal and balance == Decimal("45.10") and str(balance) == "45.10"
    assert scenario.account.topups[0].amount == Decimal("200.00")
    assert scenario.policy.refund_fee_rate == Decimal("0.10")
    assert type(scenario.policy.refund_fee_rate) is Decimal


def test_unquoted_alert_time_stays_a_time_of_day(valid_file):
    # YAML 1.1 would read 10:00:00 as the base-60 integer 36000.
    scenario = load_scenario(valid_file)
    assert scenario.policy.alert_time == dt.time(10, 0, 0)
    assert scenario.policy.auto_renew_time == dt.time(0, 3, 0)


def test_times_are_wall_clock_of_the_file(valid_file):
    scenario = load_scenario(valid_file)
    assert scenario.start == dt.datetime(2023, 2, 1, 0, 0, 0)
    assert scenario.phones[0].at == dt.datetime(2023, 2, 8, 15, 50, 4)
    assert scenario.phones[0].actions[0].align_day == "last"
    assert [a.do for a in scenario.phones[0].actions] == [
        "renew", "stop", "start", "enable_auto_renew", "change_billing"]


def test_default_catalog_is_used_and_marked_illustrative(valid_file):
    scenario = load_scenario(valid_file)
    assert scenario.catalog == default_catalog()
    assert scenario.catalog.currency == "USD"
    assert "ILLUSTRATIVE" in scenario.catalog.note


def test_default_catalog_prices_are_exactly_the_published_table():
    catalog = default_catalog()
    prices = {s.id: (str(s.monthly), str(s.yearly), str(s.hourly)) for s in catalog.specs}
    assert prices == DEFAULT_PRICES
    hardware = {(s.vcpus, s.memory_gb, s.storage_gb) for s in catalog.specs}
    assert hardware == {(2, 4, 16), (4, 8, 64), (8, 16, 128)}
    assert check_catalog(catalog) == []


def test_absent_catalog_means_default(valid_file):
    valid_file.write_text(VALID.replace("catalog: default\n", ""), encoding="utf-8")
    assert load_scenario(valid_file).catalog == default_catalog()


def test_inline_catalog(valid_file):
    inline = ("catalog:\n  currency: USD\n  specs:\n"
              "    - {id: pro-2c4g, edition: professional, vcpus: 2, memory_gb: 4,"
              " storage_gb: 16, monthly: 45.00, yearly: 459.00, hourly: 0.10}\n"
              "    - {id: basic-4c8g, edition: basic, vcpus: 4, memory_gb: 8,"
              " storage_gb: 64, monthly: 60.00, yearly: 612.00, hourly: 0.12345678}\n")
    valid_file.write_text(VALID.replace("catalog: default\n", inline), encoding="utf-8")
    catalog = load_scenario(valid_file).catalog
    assert [s.id for s in catalog.specs] == ["pro-2c4g", "basic-4c8g"]
    assert catalog.specs[1].hourly == Decimal("0.12345678")


def test_catalog_file_is_relative_to_the_scenario_folder(tmp_path, monkeypatch):
    folder = tmp_path / "fleet"
    (folder / "prices").mkdir(parents=True)
    (folder / "prices" / "mine.yaml").write_text(
        "currency: USD\nspecs:\n"
        "  - {id: pro-2c4g, edition: professional, vcpus: 2, memory_gb: 4, storage_gb: 16,"
        " monthly: 40.00, yearly: 400.00, hourly: 0.09}\n"
        "  - {id: basic-4c8g, edition: basic, vcpus: 4, memory_gb: 8, storage_gb: 64,"
        " monthly: 50.00, yearly: 500.00, hourly: 0.11}\n", encoding="utf-8")
    scenario_file = folder / "s.yaml"
    scenario_file.write_text(VALID.replace("catalog: default", "catalog: prices/mine.yaml"),
                             encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scenario = load_scenario(scenario_file)
    assert scenario.catalog.spec("pro-2c4g").monthly == Decimal("40.00")


def test_mapping_input_for_the_python_api(valid_file):
    data = parse_yaml(VALID)
    scenario = load_scenario(data)
    assert scenario == load_scenario(valid_file)
    assert data["catalog"] == "default"  # the caller's mapping is not modified


def test_mapping_input_accepts_a_catalog_model():
    data = parse_yaml(VALID)
    data["catalog"] = default_catalog()
    assert load_scenario(data).catalog is default_catalog()


def test_aware_times_are_converted_to_the_scenario_zone():
    # 2023-07-31T16:00:00Z is 2023-08-01 00:00:00 in Shanghai: exactly at end, outside.
    data = parse_yaml(VALID.replace("at: 2023-02-08 15:50:04", "at: 2023-07-31T15:59:59Z"))
    load_scenario(data)
    data = parse_yaml(VALID.replace("at: 2023-02-08 15:50:04", "at: 2023-07-31T16:00:00Z"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(data)
    assert [p.path for p in caught.value.problems] == ["phones[0].at"]


def test_yaml_numbers_are_exact_and_decimal_only():
    data = parse_yaml("a: 45.10\nb: 0.1\nc: 012\nd: 0x1F\ne: 1_000.50\nf: 10:00:00\n"
                      "g: .inf\nh: -7\ni: 2023-02-08 15:50:04\n")
    assert data["a"] == Decimal("45.10") and str(data["a"]) == "45.10"
    assert data["b"] == Decimal("0.1")
    assert data["c"] == 12  # no YAML 1.1 octal
    assert data["d"] == "0x1F"  # no hex: stays text, the models reject it
    assert data["e"] == Decimal("1000.50")
    assert data["f"] == "10:00:00"  # no base 60
    assert data["g"] == Decimal("Infinity")
    assert data["h"] == -7 and type(data["h"]) is int
    assert data["i"] == dt.datetime(2023, 2, 8, 15, 50, 4)


def test_no_binary_float_anywhere_in_a_parsed_file():
    def walk(value):
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(parse_yaml(VALID))


def test_scenario_error_lists_one_line_per_problem_and_pickles():
    error = ScenarioError([Problem("phones[2].actions[0].term", "must be >= 1"),
                           Problem("(file)", "x")], file="s.yaml")
    assert str(error) == "phones[2].actions[0].term: must be >= 1\n(file): x"
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems and copy.file == "s.yaml"


@pytest.mark.parametrize("prefix, loc, path", [
    ("", ("phones", 2, "actions", 0, "term"), "phones[2].actions[0].term"),
    ("", ("account", "topups", 1, "at"), "account.topups[1].at"),
    ("catalog", ("specs", 0, "hourly"), "catalog.specs[0].hourly"),
    ("", (), "(file)"),
])
def test_pydantic_locs_become_file_paths(prefix, loc, path):
    assert join_path(prefix, loc) == path


def test_catalog_model_is_exported():
    assert isinstance(default_catalog(), Catalog)
