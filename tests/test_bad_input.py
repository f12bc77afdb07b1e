"""Every bad input of the contract: exit 2, each problem as `path: message`, nothing written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import cli
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.yaml_io import parse_yaml

BASE = """\
name: office-fleet
timezone: Asia/Shanghai
start: 2023-02-01 00:00:00
end: 2023-08-01 00:00:00
catalog: default
account:
  balance: 500.00
  topups:
    - {at: 2023-03-01 09:00:00, amount: 200.00}
phones:
  - id: office-1
    spec: pro-2c4g
    billing: monthly
    term: 1
    at: 2023-02-08 15:50:04
    actions:
      - {at: 2023-03-05 10:00:00, do: renew, term: 1}
      - {at: 2023-03-06 10:00:00, do: stop}
  - id: dev-1
    spec: basic-2c4g
    billing: pay_per_use
    at: 2023-02-08 08:45:30
"""

# A catalog breaking the edition ordering: professional monthly == basic monthly.
BAD_ORDER_SPECS = """\
  - {id: basic-x, edition: basic, vcpus: 2, memory_gb: 4, storage_gb: 16,
     monthly: 30.00, yearly: 306.00, hourly: 0.07}
  - {id: pro-x, edition: professional, vcpus: 2, memory_gb: 4, storage_gb: 16,
     monthly: 30.00, yearly: 459.00, hourly: 0.10}
"""
BAD_ORDER_MESSAGE = ("professional 'pro-x' monthly 30.00 must be more than basic 'basic-x' "
                     "monthly 30.00 (same 2 vCPU / 4 GB / 16 GB: enterprise > professional "
                     "> basic)")


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.fixture
def run_cli(tmp_path, monkeypatch):
    """Run `koophone-sim run` on a text (None: no file) from an empty working folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # a relative catalog path must not resolve from here
    out = tmp_path / "out"

    def run(text: str | bytes | None, *, name: str = "s.yaml"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        elif text is not None:
            path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["run", str(path), "--out", str(out)])
        # nothing written: neither --out nor a default results folder
        assert not out.exists()
        assert list(work.iterdir()) == []
        return result

    return run


def problem_lines(result) -> list[str]:
    """The `path: message` lines after the file-name line on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert lines[0].endswith("problem)") or lines[0].endswith("problems)"), lines
    assert ": invalid scenario (" in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[1:]


# (case id, scenario text, the exact `path: message` lines expected)
CASES = [
    ("unknown key at depth",
     mutate("do: stop}", "do: stop, foo: 1}"),
     ["phones[0].actions[1].foo: unknown key 'foo'"]),
    ("unknown top-level key",
     BASE + "colour: blue\n",
     ["colour: unknown key 'colour'"]),
    ("wrong type",
     mutate("billing: monthly\n    term: 1", "billing: monthly\n    quantity: two\n    term: 1"),
     ["phones[0].quantity: must be a whole number; got 'two'"]),
    ("wrong type: list where a mapping is needed",
     mutate("account:\n  balance: 500.00\n  topups:\n    - {at: 2023-03-01 09:00:00, amount: 200.00}\n",
            "account: [500]\n"),
     ["account: must be a mapping of keys; got [500]"]),
    ("unknown spec",
     mutate("spec: pro-2c4g", "spec: pro-3c4g"),
     ["phones[0].spec: unknown spec 'pro-3c4g'; known: basic-2c4g, pro-2c4g, ent-2c4g, "
      "basic-4c8g, pro-4c8g, ent-4c8g, basic-8c16g, pro-8c16g, ent-8c16g"]),
    ("duplicate ids",
     mutate("id: dev-1", "id: office-1"),
     ["phones[1].id: duplicate phone id 'office-1' (first at phones[0])"]),
    ("time before start",
     mutate("{at: 2023-03-01 09:00:00, amount", "{at: 2023-01-31 23:59:59, amount"),
     ["account.topups[0].at: 2023-01-31 23:59:59 is before start (2023-02-01 00:00:00); "
      "the window is [start, end)"]),
    ("time exactly at end",
     mutate("{at: 2023-03-06 10:00:00, do: stop}", "{at: 2023-08-01 00:00:00, do: stop}"),
     ["phones[0].actions[1].at: 2023-08-01 00:00:00 is at or after end "
      "(2023-08-01 00:00:00); the window is [start, end)"]),
    ("time after end",
     mutate("at: 2023-02-08 08:45:30", "at: 2024-01-01 00:00:00"),
     ["phones[1].at: 2024-01-01 00:00:00 is at or after end (2023-08-01 00:00:00); "
      "the window is [start, end)"]),
    ("zero quantity",
     mutate("term: 1\n    at:", "quantity: 0\n    term: 1\n    at:"),
     ["phones[0].quantity: must be >= 1"]),
    ("zero term",
     mutate("term: 1\n    at:", "term: 0\n    at:"),
     ["phones[0].term: must be >= 1"]),
    ("negative action term",
     mutate("do: renew, term: 1}", "do: renew, term: -1}"),
     ["phones[0].actions[0].term: must be >= 1"]),
    ("zero amount",
     mutate("amount: 200.00", "amount: 0"),
     ["account.topups[0].amount: must be > 0"]),
    ("negative amount",
     mutate("amount: 200.00", "amount: -5.00"),
     ["account.topups[0].amount: must be > 0"]),
    ("unknown do",
     mutate("do: stop}", "do: fly}"),
     ["phones[0].actions[1].do: must be one of 'renew', 'stop', 'start', "
      "'enable_auto_renew', 'disable_auto_renew', 'change_billing', 'unsubscribe' or "
      "'delete'; got 'fly'"]),
    ("nonexistent time zone",
     mutate("timezone: Asia/Shanghai", "timezone: Mars/Olympus_Mons"),
     ["timezone: unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as "
      "Asia/Shanghai or UTC"]),
    ("time zone path trick",
     mutate("timezone: Asia/Shanghai", "timezone: ../etc"),
     ["timezone: unknown time zone '../etc'; use an IANA name such as Asia/Shanghai or UTC"]),
    ("time zone directory",
     mutate("timezone: Asia/Shanghai", "timezone: America"),
     ["timezone: unknown time zone 'America'; use an IANA name such as Asia/Shanghai or UTC"]),
    ("empty time zone",
     mutate("timezone: Asia/Shanghai", "timezone: ''"),
     ["timezone: must not be empty"]),
    ("catalog breaking the edition ordering, inline",
     mutate("catalog: default", "catalog:\n  currency: USD\n  specs:\n" + BAD_ORDER_SPECS
            ).replace("pro-2c4g", "pro-x").replace("basic-2c4g", "basic-x"),
     [f"catalog.specs[1].monthly: {BAD_ORDER_MESSAGE}"]),
    ("huge float",
     mutate("balance: 500.00", "balance: 1.0e+400"),
     ["account.balance: must be at most 1000000000000 in absolute value"]),
    ("huge exponent",
     mutate("balance: 500.00", "balance: 1.0e+999999999"),
     ["account.balance: must be at most 1000000000000 in absolute value"]),
    ("huge integer",
     mutate("balance: 500.00", "balance: " + "9" * 5000),
     ["account.balance: must be at most 1000000000000 in absolute value"]),
    ("huge quantity",
     mutate("term: 1\n    at:", "quantity: 99999999999999999999999\n    term: 1\n    at:"),
     ["phones[0].quantity: must be <= 1000000"]),
    ("not a number",
     mutate("balance: 500.00", "balance: .nan"),
     ["account.balance: must be a finite number"]),
    ("3 decimals for money",
     mutate("balance: 500.00", "balance: 45.105"),
     ["account.balance: must have at most 2 decimal places"]),
    ("3 decimals for a top-up",
     mutate("amount: 200.00", "amount: 10.005"),
     ["account.topups[0].amount: must have at most 2 decimal places"]),
    ("prepaid-only key on a pay-per-use phone",
     mutate("billing: pay_per_use", "billing: pay_per_use\n    term: 1\n    pay_with: online"),
     ["phones[1].term: only for prepaid phones (monthly, yearly), not billing: pay_per_use",
      "phones[1].pay_with: only for prepaid phones (monthly, yearly), not billing: pay_per_use"]),
    ("provisioning on a prepaid phone",
     mutate("term: 1\n    at:", "term: 1\n    provisioning: 30\n    at:"),
     ["phones[0].provisioning: only for pay_per_use phones, not billing: monthly"]),
    ("key not used by that do",
     mutate("do: stop}", "do: stop, term: 2}"),
     ["phones[0].actions[1].term: not used by do: stop"]),
    ("change_billing without when",
     mutate("do: stop}", "do: change_billing}"),
     ["phones[0].actions[1].when: required by do: change_billing (now or at_expiry)"]),
    ("end before start",
     mutate("end: 2023-08-01 00:00:00", "end: 2023-02-01 00:00:00"),
     ["end: must be after start (2023-02-01 00:00:00)"]),
    ("window longer than 50 years",
     mutate("end: 2023-08-01 00:00:00", "end: 2073-02-01 00:00:01"),
     ["end: the window may be at most 50 years long (end at 2073-02-01 00:00:00 at the "
      "latest)"]),
    ("date without a time",
     mutate("at: 2023-02-08 08:45:30", "at: 2023-02-08"),
     ["phones[1].at: a time needs a time of day: YYYY-MM-DD HH:MM:SS"]),
    ("impossible date",
     mutate("at: 2023-02-08 08:45:30", "at: 2023-02-30 08:45:30"),
     ["phones[1].at: '2023-02-30 08:45:30' is not a time of the form YYYY-MM-DD HH:MM:SS"]),
    ("currency differs from the catalog",
     mutate("catalog: default", "currency: EUR\ncatalog: default"),
     ["currency: 'EUR' differs from the catalog's currency 'USD'"]),
    ("missing required keys",
     "name: x\n",
     ["start: required", "end: required"]),
    ("bad name for a results folder",
     mutate("name: office-fleet", "name: ../escape"),
     ["name: must start with a letter or digit and hold only letters, digits, '.', '_' and "
      "'-'"]),
    ("several problems at once, in file order",
     mutate("timezone: Asia/Shanghai", "timezone: Nowhere/City",
            mutate("do: stop}", "do: fly}", mutate("id: dev-1", "id: office-1"))),
     ["timezone: unknown time zone 'Nowhere/City'; use an IANA name such as Asia/Shanghai "
      "or UTC",
      "phones[0].actions[1].do: must be one of 'renew', 'stop', 'start', "
      "'enable_auto_renew', 'disable_auto_renew', 'change_billing', 'unsubscribe' or "
      "'delete'; got 'fly'",
      "phones[1].id: duplicate phone id 'office-1' (first at phones[0])"]),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_scenario_exits_2_with_exact_paths(run_cli, text, expected):
    assert problem_lines(run_cli(text)) == expected


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_scenario_raises_the_same_problems_from_the_library(tmp_path, text, expected):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [str(p) for p in caught.value.problems] == expected
    assert caught.value.file == str(path)


# --- whole-file problems: path `(file)` ---------------------------------------------------
def test_malformed_yaml_names_line_and_column(run_cli):
    lines = problem_lines(run_cli("name: x\nstart: [2023-02-01\nend: 1\n"))
    assert len(lines) == 1
    assert lines[0].startswith("(file): malformed YAML at line 3, column 4: ")


def test_bad_indentation_names_line_and_column(run_cli):
    lines = problem_lines(run_cli(mutate("    spec: pro-2c4g", "   spec: pro-2c4g")))
    assert lines[0].startswith("(file): malformed YAML at line 12, column 4: ")


def test_duplicate_key_is_malformed(run_cli):
    assert problem_lines(run_cli(BASE + "name: again\n")) == [
        "(file): malformed YAML at line 23, column 1: found duplicate key 'name' "
        "(while constructing a mapping that starts at line 1, column 1)"]


def test_missing_file(tmp_path, run_cli):
    result = run_cli(None)
    assert problem_lines(result) == [f"(file): no such file: {tmp_path / 's.yaml'}"]
    assert result.stderr.splitlines()[0] == f"{tmp_path / 's.yaml'}: invalid scenario (1 problem)"


def test_directory_given_as_the_file(tmp_path, run_cli):
    (tmp_path / "adir").mkdir()
    assert problem_lines(run_cli(None, name="adir")) == [
        f"(file): {tmp_path / 'adir'} is a directory, not a YAML file"]


def test_empty_file(run_cli):
    assert problem_lines(run_cli("")) == [
        "(file): the file is empty; expected a mapping of keys"]


def test_comment_only_file_is_empty(run_cli):
    assert problem_lines(run_cli("# nothing here\n")) == [
        "(file): the file is empty; expected a mapping of keys"]


def test_top_level_list(run_cli):
    assert problem_lines(run_cli("- name: x\n- start: 1\n")) == [
        "(file): the top level must be a mapping of keys, not a list"]


def test_top_level_scalar(run_cli):
    assert problem_lines(run_cli("just text\n")) == [
        "(file): the top level must be a mapping of keys, not a text string"]


def test_not_utf8(run_cli):
    assert problem_lines(run_cli(b"name: caf\xe9\n")) == [
        "(file): not UTF-8 text (byte 0xe9 on line 1)"]


def test_control_character(run_cli):
    assert problem_lines(run_cli("name: a\x07b\n")) == [
        "(file): unacceptable character U+0007 at line 1, column 8"]


def test_alias_bomb_is_refused(run_cli):
    # "billion laughs": 12 levels of 9 aliases each would expand to 9**12 strings.
    text = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 13):
        text += f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]\n"
    lines = problem_lines(run_cli(text))
    assert lines == ["(file): refused at line 13, column 18: more than 100 alias uses (*name); "
                     "refusing a possible 'billion laughs' document"]


def test_alias_graph_under_the_limits_is_reported_without_expanding_it(run_cli):
    # 45 aliases, 9**5 leaves expanded: allowed, and never walked or printed in full.
    text = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 5):
        text += f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]\n"
    lines = problem_lines(run_cli(mutate("name: office-fleet\n", "name: office-fleet\n" + text)
                                  .replace("phones:\n", "phones: [*a4]\nmore_phones:\n")))
    assert lines[0] == ("phones[0]: must be a mapping of keys; got [[[...], [...], [...], "
                        "[...], ...], [[...], [...], [...],...")
    assert lines[1:] == [f"a{i}: unknown key 'a{i}'" for i in range(5)] + [
        "more_phones: unknown key 'more_phones'"]


def test_alias_graph_expanding_past_a_million_values_is_refused(run_cli):
    # 81 aliases (under the alias limit) but 9**9 leaves once expanded: whoever walks it
    # (the models, a sweep's columns, pickling) would hang, so the door refuses it.
    text = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 10):
        text += f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]\n"
    assert problem_lines(run_cli(text)) == [
        "(file): refused at line 7, column 5: aliases expand the document to more than "
        "1,000,000 values; refusing a possible 'billion laughs' document"]


def test_alias_chain_nesting_deeper_than_50_levels_is_refused(run_cli):
    # Each anchor is 30 levels deep, within the limit; through the alias, 60.
    text = "a: &a " + "[" * 30 + "1" + "]" * 30 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    assert problem_lines(run_cli(text)) == [
        "(file): refused at line 2, column 13: nesting deeper than 50 levels once aliases "
        "are expanded"]


def test_recursive_alias_is_refused(run_cli):
    assert problem_lines(run_cli("name: &n [*n]\n")) == [
        "(file): refused at line 1, column 11: alias *n is used inside its own anchor "
        "(a recursive structure)"]


def test_deep_nesting_is_refused(run_cli):
    text = "name: " + "[" * 60 + "]" * 60 + "\n"
    assert problem_lines(run_cli(text)) == [
        "(file): refused at line 1, column 56: nesting deeper than 50 levels"]


def test_a_file_larger_than_the_old_5_mb_cap_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(BASE + "description: " + "x" * (6 * 1024 * 1024) + "\n")
    assert len(load_scenario(path).description) == 6 * 1024 * 1024


def test_a_big_malformed_file_is_refused_with_libyaml_s_place(run_cli):
    # Above 5 MB a refused file is not re-read by the pure-Python reader: libyaml's own
    # message and place are reported.
    text = BASE + "description: " + "x" * (6 * 1024 * 1024) + "\nbad: [1, 2\n"
    lines = problem_lines(run_cli(text))
    assert len(lines) == 1
    assert lines == ["(file): malformed YAML at line 25, column 1: did not find expected ',' "
                     "or ']' (while parsing a flow sequence that starts at line 24, column 6)"]


def test_python_tags_are_refused(run_cli):
    lines = problem_lines(run_cli("name: !!python/object/apply:os.system [ls]\n"))
    assert lines[0].startswith("(file): malformed YAML at line 1, column 7: could not "
                               "determine a constructor for the tag")


@pytest.mark.parametrize("text, expected", [
    ("start: 2023-02-01 00:00:00\n!!timestamp end: 2023-08-01 00:00:00\n",
     "(file): malformed YAML at line 2, column 1: cannot read 'end' as timestamp"),
    ("name: !!bool maybe\n", "(file): malformed YAML at line 1, column 7: cannot read 'maybe' as bool"),
    ("name: !!float abc\n", "(file): malformed YAML at line 1, column 7: 'abc' is not a number"),
    ("name: !!int 0x1F\n", "(file): malformed YAML at line 1, column 7: '0x1F' is not a decimal integer"),
], ids=["timestamp", "bool", "float", "int"])
def test_explicit_tags_on_odd_text_are_malformed(run_cli, text, expected):
    assert problem_lines(run_cli(text)) == [expected]


# --- catalogs in their own file -------------------------------------------------------------
def test_catalog_file_breaking_the_edition_ordering(tmp_path, run_cli):
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "bad.yaml").write_text("currency: USD\nspecs:\n" + BAD_ORDER_SPECS,
                                                  encoding="utf-8")
    text = (mutate("catalog: default", "catalog: prices/bad.yaml")
            .replace("pro-2c4g", "pro-x").replace("basic-2c4g", "basic-x"))
    # run_cli works from another folder: the path is relative to the scenario file.
    assert problem_lines(run_cli(text)) == [
        f"catalog(prices/bad.yaml).specs[1].monthly: {BAD_ORDER_MESSAGE}"]


def test_catalog_file_missing(tmp_path, run_cli):
    assert problem_lines(run_cli(mutate("catalog: default", "catalog: none.yaml"))) == [
        f"catalog(none.yaml): no such file: {tmp_path / 'none.yaml'}"]


def test_catalog_file_with_a_wrong_field_and_duplicate_ids(tmp_path, run_cli):
    (tmp_path / "c.yaml").write_text(
        "currency: USD\nspecs:\n"
        "  - {id: a, edition: gold, vcpus: 2, memory_gb: 4, storage_gb: 16,"
        " monthly: 1, yearly: 2, hourly: 0.1}\n", encoding="utf-8")
    assert problem_lines(run_cli(mutate("catalog: default", "catalog: c.yaml"))) == [
        "catalog(c.yaml).specs[0].edition: must be one of 'basic', 'professional' or "
        "'enterprise'; got 'gold'"]
    (tmp_path / "c.yaml").write_text(
        "currency: USD\nspecs:\n"
        "  - {id: pro-2c4g, edition: basic, vcpus: 2, memory_gb: 4, storage_gb: 16,"
        " monthly: 1, yearly: 2, hourly: 0.1}\n"
        "  - {id: pro-2c4g, edition: basic, vcpus: 2, memory_gb: 4, storage_gb: 16,"
        " monthly: 1, yearly: 2, hourly: 0.1}\n", encoding="utf-8")
    assert problem_lines(run_cli(mutate("catalog: default", "catalog: c.yaml")
                                 .replace("basic-2c4g", "pro-2c4g"))) == [
        "catalog(c.yaml).specs[1].id: duplicate spec id 'pro-2c4g' (first at "
        "catalog(c.yaml).specs[0])"]


def test_catalog_of_the_wrong_kind(run_cli):
    assert problem_lines(run_cli(mutate("catalog: default", "catalog: 42"))) == [
        "catalog: must be 'default', the path of a catalog file, or a mapping with currency "
        "and specs"]


def test_bad_catalog_does_not_hide_other_problems(run_cli):
    text = mutate("catalog: default", "catalog: {specs: []}", mutate("amount: 200.00", "amount: 0"))
    assert problem_lines(run_cli(text)) == [
        "catalog.specs: must not be empty", "account.topups[0].amount: must be > 0"]


# --- any text: a Scenario or a ScenarioError, never another exception -------------------------
YAMLISH = st.text(alphabet="name:startendphones-idspecat 0123456789.,[]{}&*!<>|#'\"\n\t_+eE~",
                  max_size=300)


@settings(max_examples=400, deadline=None)
@given(YAMLISH)
def test_any_text_is_a_scenario_or_a_scenario_error(text):
    try:
        load_scenario(parse_yaml(text))
    except ScenarioError as exc:
        assert exc.problems and all(p.path and p.message for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(BASE) - 1), st.text(max_size=12))
def test_any_splice_into_a_valid_file_is_a_scenario_or_a_scenario_error(at, insert):
    try:
        load_scenario(parse_yaml(BASE[:at] + insert + BASE[at:]))
    except ScenarioError as exc:
        assert exc.problems and all(p.path and p.message for p in exc.problems)


# --- files that are not what they are named as: never read, never quoted back ----------------
SECRET = "DB_PASSWORD: hunter2\nAPI_TOKEN: [sk-live-42]\n"


@pytest.mark.parametrize("name", [".env", "id_rsa", "secrets.txt", "settings.json"])
def test_a_catalog_that_is_not_a_yaml_file_is_not_read(tmp_path, run_cli, name):
    (tmp_path / name).write_text(SECRET, encoding="utf-8")
    result = run_cli(mutate("catalog: default", f"catalog: {name}"))
    assert problem_lines(result) == [
        f"catalog({name}): not a YAML file (only files ending in .yaml or .yml are read)"]


def test_a_catalog_at_a_system_file_is_not_read(run_cli):
    assert problem_lines(run_cli(mutate("catalog: default", "catalog: /etc/passwd"))) == [
        "catalog(/etc/passwd): not a YAML file (only files ending in .yaml or .yml are read)"]


@pytest.mark.parametrize("text, shown", [
    (SECRET, "first problem at specs, 2 more; its contents are not shown"),
    ('password: "hunter2\n', "malformed YAML at line 2, column 1"),
    ("- hunter2\n- sk-live-42\n", "the top level must be a mapping of keys, not a list"),
    ("currency: USD\nspecs: []\nDB_PASSWORD: hunter2\n",
     "first problem at specs, 1 more; its contents are not shown"),
])
def test_a_yaml_file_that_is_not_a_catalog_is_named_not_quoted(tmp_path, run_cli, text, shown):
    (tmp_path / "vault.yaml").write_text(text, encoding="utf-8")
    result = run_cli(mutate("catalog: default", "catalog: vault.yaml"))
    assert problem_lines(result) == [f"catalog(vault.yaml): vault.yaml is not a catalog file: "
                                     f"{shown}"]
    assert "hunter2" not in result.output and "sk-live" not in result.output
    assert "DB_PASSWORD" not in result.output


def test_problems_listed_are_capped_with_how_many_more(run_cli):
    phones = "".join(f"  - {{id: p{i}, spec: nope, billing: monthly, at: 2023-02-08 15:50:04}}\n"
                     for i in range(30))
    lines = problem_lines(run_cli(BASE.split("phones:\n")[0] + "phones:\n" + phones))
    assert len(lines) == 21
    assert lines[0].startswith("phones[0].spec: unknown spec 'nope'")
    assert lines[-1] == "... and 10 more problems"


# --- renewals that would run past the calendar ------------------------------------------------
FAR = """\
name: far
start: 2023-02-01 00:00:00
end: 2023-03-01 00:00:00
account: {balance: 100000000.00}
phones:
  - id: y
    spec: pro-2c4g
    billing: yearly
    term: 1
    at: 2023-02-01 00:30:00
    actions:
"""


@pytest.mark.parametrize("command", ["validate", "run"])
def test_renewals_past_the_year_9999_are_refused_at_the_door(tmp_path, command, renewals=90):
    # 90 renewals of 100 years passed validate, then `run` crashed: ValueError: year 10024.
    actions = "".join(f"      - {{at: 2023-02-0{2 + i // 40} 10:{i % 40:02d}:00, do: renew, "
                      f"term: 100}}\n" for i in range(renewals))
    path = tmp_path / "far.yaml"
    path.write_text(FAR + actions, encoding="utf-8")
    result = CliRunner().invoke(cli, [command, str(path)] +
                                (["--out", str(tmp_path / "out")] if command == "run" else []))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[1:] == [
        "phones[0].actions[79].term: renewals could carry this phone's dates to the year "
        "10024 (or more); they must stay before the year 9999"]
    assert not (tmp_path / "out").exists()


def test_renewals_that_stay_inside_the_calendar_still_run(tmp_path):
    actions = "".join(f"      - {{at: 2023-02-02 10:{i:02d}:00, do: renew, term: 100}}\n"
                      for i in range(20))
    path = tmp_path / "far.yaml"
    path.write_text(FAR + actions, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_renewals_from_an_actions_table_past_the_year_9999_are_refused(tmp_path):
    rows = "".join(f"y,2023-02-02 10:{i % 60:02d}:{i // 60:02d},renew,100\n" for i in range(90))
    (tmp_path / "actions.csv").write_text("phone,at,do,term\n" + rows, encoding="utf-8")
    path = tmp_path / "far.yaml"
    path.write_text(FAR.replace("    actions:\n", "") + "actions_table: actions.csv\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[1:] == [
        "actions_table: phone 'y': renewals could carry this phone's dates to the year "
        "10024 (or more); they must stay before the year 9999"]
