"""Fuzzing the door (CI part, well under a minute): hostile or broken scenario files never
give a traceback or a hang. `validate` and `run` exit 0 or 2; on 2 there is a message
and nothing is written. The long by-hand fuzzer is fuzz/fuzz_door.py.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from sim.cli import cli
from sim.scenario import ScenarioError, load_scenario
from sim.scenario import yaml_io
from sim.scenario.yaml_fast import read_fast
from sim.scenario.yaml_io import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from tests.strategies import examples, scenarios

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = b"""name: seed
start: 2023-02-01 00:00:00
end: 2023-02-03 00:00:00
account: {balance: 10.00, topups: [{at: 2023-02-02 09:00:00, amount: 5.00}]}
phones:
  - {id: a, spec: pro-2c4g, billing: monthly, at: 2023-02-01 10:00:00,
     actions: [{at: 2023-02-01 11:00:00, do: renew, term: 1, align_day: last}]}
  - {id: b, spec: basic-2c4g, billing: pay_per_use, at: 2023-02-01 08:45:30,
     actions: [{at: 2023-02-01 10:00:00, do: stop}]}
"""


def _seeds() -> list[bytes]:
    """The shipped scenarios that load (short ones: a run must stay fast), and a minimal one."""
    seeds = [MINIMAL]
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except ScenarioError:
            continue
        if (scenario.end - scenario.start).days <= 120 and len(scenario.phones) <= 10:
            seeds.append(path.read_bytes())
    return seeds


SEEDS = _seeds()
TOKENS = [b"\x00", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\t", b"&a ", b"*a", b"<<: ",
          b"!!timestamp ", b"!!bool ", b"!!int ", b"!!float ", b"!!binary ", b"!!set ",
          b"!!python/object/apply:os.system ", b"? ", b"- ", b": ", b"{", b"[", b"'", b'"',
          b"|\n", b"---\n", b"%YAML 1.1\n", b"9" * 5000, b"1e999999999", b".nan", b"-.inf",
          b"0x1F", b"1_000", b"2023-02-30 00:00:00", b"24:00:00", b"\xe2\x80\xae",
          "\U0001F600".encode(), b"x" * 20000]
SPECIAL = [
    b"",
    b"\n\n# only a comment\n",
    b"\x00" * 64,
    b"\xef\xbb\xbf",
    b"\xff\xfe" + "name: x\n".encode("utf-16-le"),
    b"name: caf\xe9\n",  # Latin-1, not UTF-8
    b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e]\n",
    b"a: &a [*a]\n",
    b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n",
    b"a: " + b"{b: " * 3000 + b"1" + b"}" * 3000 + b"\n",
    b"- " * 5000 + b"x\n",
    b"name: " + b"n" * 300_000 + b"\n",
    b"name: x\nstart: " + b"9" * 100_000 + b"\n",
    b"!!python/object/apply:os.system ['echo pwned']\n",
    b"name: x\nphones: *nothing\n",
    b"[1, 2, 3]\n",
    b"just text\n",
    b"name: x\n\tstart: 1\n",
    b"name: x\nname: y\n",
    MINIMAL.replace(b"start: 2023-02-01 00:00:00\n", b""),  # regression: no start
    MINIMAL.replace(b"end:", b"!!timestamp end:"),          # regression: tagged key
]


@st.composite
def mutated(draw) -> bytes:
    """A seed with a few byte-level mutations: flips, inserts, deletes, cuts, tokens."""
    buf = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(buf)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "token", "line"]))
        if op == "flip" and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[pos:pos + draw(st.integers(1, 40))]
        elif op == "cut":
            del buf[pos:]
        elif op == "token":
            buf[pos:pos] = draw(st.sampled_from(TOKENS))
        else:  # repeat a line: duplicate keys, list items
            start = buf.rfind(b"\n", 0, pos) + 1
            stop = buf.find(b"\n", pos)
            buf[start:start] = bytes(buf[start:stop if stop >= 0 else len(buf)]) + b"\n"
    return bytes(buf)


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
    | st.sampled_from(["2023-02-30 00:00:00", "last", "now", "-1", "1e999999", "NaN", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


@st.composite
def structured(draw) -> bytes:
    """A valid scenario with a few values (or keys) swapped for junk, written as YAML."""
    doc = draw(scenarios(max_phones=2, max_days=20))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from([p for p in _paths(doc) if p]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()):
            parent[path[-1]] = draw(JUNK)
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(path[-1])
    return json.dumps(doc, default=str, ensure_ascii=draw(st.booleans())).encode("utf-8",
                                                                                 "surrogatepass")


def _invoke(*args: str):
    started = time.monotonic()
    result = CliRunner().invoke(cli, list(args))
    return result, time.monotonic() - started


# JSON-style escapes of UTF-16 surrogates (`json.dumps(..., ensure_ascii=True)` of an emoji):
# YAML reads them as lone surrogates, which crashed printing with UnicodeEncodeError.
SURROGATES = [
    MINIMAL.replace(b"name: seed", b'name: "seed\\ud800\\udc00"'),
    MINIMAL.replace(b"{id: a,", b'{id: "a\\ud800",'),
    MINIMAL.replace(b"start: 2023-02-01 00:00:00", b'start: "2023-02-01 00:00:00\\udfff"'),
    MINIMAL.replace(b"balance: 10.00", b'balance: "10.00\\ud83d\\ude00"'),
    MINIMAL.replace(b"do: stop}", b'do: stop, "\\ud800": 1}'),
    b'{"name": "x", "start": "2023-02-01 00:00:00", "end": "2023-02-02 00:00:00", '
    b'"catalog": {"currency": "USD\\ud800", "specs": []}}\n',
]


@settings(max_examples=examples(120))
@given(data=st.one_of(mutated(), structured(), st.sampled_from(SPECIAL),
                      st.binary(max_size=300)))
@example(data=SURROGATES[0])
@example(data=SURROGATES[3])
@example(data=SURROGATES[4])
def test_hostile_files_exit_0_or_2_without_traceback(data, tmp_path_factory):
    work = tmp_path_factory.mktemp("door")
    path = work / "case.yaml"
    path.write_bytes(data)
    note(f"file bytes: {data[:400]!r}")
    out = work / "out"
    for args in (("validate", str(path)), ("run", str(path), "--out", str(out))):
        result, seconds = _invoke(*args)
        text = result.stdout + result.stderr
        assert result.exit_code in (0, 2), (args[0], result.exit_code, text[-2000:])
        assert "Traceback" not in text and "internal error" not in text, text[-2000:]
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert seconds < 20, f"{args[0]} took {seconds:.1f} s"
        if result.exit_code == 2:
            assert result.stderr.strip(), "exit 2 needs a message"
            assert not out.exists(), "nothing is written on exit 2"


@pytest.mark.parametrize("data, path", list(zip(SURROGATES, [
    "name", "phones[0].id", "start", "account.balance", "phones[1].actions[0]",
    "catalog.currency"])))
def test_a_surrogate_escape_anywhere_is_exit_2_with_its_path(tmp_path, data, path):
    problems = _problem(tmp_path, data).splitlines()[1:]
    assert len(problems) == 1 and problems[0].startswith(f"{path}: "), problems
    assert "lone UTF-16 surrogate escape, not a Unicode character" in problems[0]
    result, _ = _invoke("run", str(tmp_path / "limit.yaml"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_a_surrogate_pair_is_told_its_character(tmp_path):
    message = _problem(tmp_path, SURROGATES[3])
    assert "'10.00\\ud83d\\ude00' holds \\ud83d" in message and "or \\U0001F600" in message


def test_a_surrogate_in_a_catalog_file_names_the_file_and_the_path(tmp_path):
    (tmp_path / "cat.yaml").write_bytes(b'currency: USD\nspecs: [{id: "p\\udc00"}]\n')
    stderr = _problem(tmp_path, MINIMAL + b"catalog: cat.yaml\n")
    assert "catalog(cat.yaml).specs[0].id: the text 'p\\udc00' holds \\udc00" in stderr


# --- fleet tables and session logs: hostile CSV and Parquet ------------------------------
TABLE_SEEDS = {
    "phones_table": b"id,spec,billing,at,term,auto_renew_term,provisioning,quantity,group\n"
                    b"t1,pro-2c4g,monthly,2023-02-01 15:50:04,1,1,,2,g\n"
                    b"t2,basic-2c4g,pay_per_use,2023-02-01T10:00:00+08:00,,,60,,\n",
    "actions_table": b"phone,at,do,term,align_day,when\n"
                     b"a,2023-02-01 11:00:00,renew,1,last,\n"
                     b"b,2023-02-01 12:00:00,change_billing,,,now\n",
    "usage_table": b"phone,start,end,spec\n"
                   b"u,2023-02-01 01:00:00,2023-02-01 03:30:00,pro-2c4g\n"
                   b"u,2023-02-02 01:00:00,2023-02-05 00:00:00,pro-2c4g\n",
}
CELLS = [b"", b",", b"\n", b'"', b"-1", b"0", b"1.5", b"99999999999999999999", b"1e999",
         b"2023-02-30 00:00:00", b"9999-12-31 23:59:59", b"0001-01-01 00:00:00", b"\x00",
         b"\xff", b"\xed\xa0\x80", "\U0001F600".encode(), b"x" * 300, b"last", b"nan",
         b"2023-02-01 10:00:00+25:00", b"2023-02-01T10:00:00Z"]


@st.composite
def table_case(draw) -> tuple[str, bytes]:
    key = draw(st.sampled_from(sorted(TABLE_SEEDS)))
    buf = bytearray(TABLE_SEEDS[key])
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(buf)))
        op = draw(st.sampled_from(["cell", "flip", "delete", "cut", "line"]))
        if op == "cell":
            buf[pos:pos] = draw(st.sampled_from(CELLS))
        elif op == "flip" and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del buf[pos:pos + draw(st.integers(1, 20))]
        elif op == "cut":
            del buf[pos:]
        else:
            start = buf.rfind(b"\n", 0, pos) + 1
            stop = buf.find(b"\n", pos)
            buf[start:start] = bytes(buf[start:stop if stop >= 0 else len(buf)]) + b"\n"
    return key, bytes(buf)


@settings(max_examples=examples(100))
@given(case=table_case(), parquet=st.booleans())
def test_hostile_tables_exit_0_or_2_with_file_row_and_column(case, parquet, tmp_path_factory):
    key, data = case
    work = tmp_path_factory.mktemp("tables")
    name = "t.csv"
    if parquet:  # the same cells as a Parquet file of text columns (when it parses at all)
        import pandas as pd
        try:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        except Exception:
            frame = None
        if frame is not None:
            name = "t.parquet"
            frame.to_parquet(work / name)
    if name == "t.csv":
        (work / name).write_bytes(data)
    extra = {"actions_table": "phones:\n  - {id: a, spec: pro-2c4g, billing: monthly, "
                              "at: 2023-02-01 10:00:00}\n"
                              "  - {id: b, spec: pro-2c4g, billing: monthly, "
                              "at: 2023-02-01 10:00:00}\n",
             "usage_table": "usage_spec: pro-2c4g\n"}.get(key, "")
    (work / "s.yaml").write_text("name: t\nstart: 2023-02-01 00:00:00\n"
                                 "end: 2023-03-01 00:00:00\naccount: {balance: 1000}\n"
                                 f"{key}: {name}\n{extra}")
    out = work / "out"
    result, seconds = _invoke("run", str(work / "s.yaml"), "--out", str(out))
    text = result.stdout + result.stderr
    assert result.exit_code in (0, 2), text[-2000:]
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    assert seconds < 20
    if result.exit_code == 2:
        assert not out.exists()
        lines = result.stderr.strip().splitlines()[1:]
        assert lines and all(line.startswith((f"{name} row", f"{key}:", "(file)"))
                             or line.startswith("... and") for line in lines), lines


# --- the reader's limits exist and work ---------------------------------------------------
def _problem(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "limit.yaml"
    path.write_bytes(data)
    result, seconds = _invoke("validate", str(path))
    assert result.exit_code == 2 and seconds < 10
    return result.stderr


def test_file_size_limit(tmp_path):
    path = tmp_path / "limit.yaml"
    path.write_bytes(b"name: x\n")
    os.truncate(path, MAX_FILE_BYTES + 1)  # sparse: refused from its size, never read
    result, _ = _invoke("validate", str(path))
    assert result.exit_code == 2 and "larger than 256 MB" in result.stderr


def test_node_limit(tmp_path):
    data = b"a: [" + b"1," * MAX_NODES + b"]\n"  # refused by a count, before parsing
    assert f"more than {MAX_NODES} YAML nodes" in _problem(tmp_path, data)


# --- the C reader reads exactly what the pure-Python reader reads --------------------------
def _both(data: bytes):
    """(what read_fast gives, what SafeDecimalLoader gives); an exception's type stands in."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ["not UTF-8", "not UTF-8"]  # parse_yaml refuses it before either reader
    out = []
    for read in (read_fast, lambda raw: yaml_io.read_exact(raw.decode("utf-8-sig"))):
        try:
            out.append(read(data))
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
            out.append(type(exc).__name__)
    return out


def test_the_c_reader_is_there():
    assert yaml.__with_libyaml__  # PyYAML's wheels bundle libyaml


@settings(max_examples=examples(150))
@given(data=st.one_of(mutated(), structured(), st.sampled_from(SPECIAL)))
@example(data=b"a: &x {b: 1}\nc: *x\n<<: *x\n")           # merge key: the full constructor
@example(data=b"a: !!str 1\nb: !!int '2'\nc: ! 3\n")      # explicit and non-specific tags
@example(data=b"? [1, 2]\n: x\n")                         # a complex key
@example(data=b"1: a\n'1': b\n1.0: c\n~: d\nnull: e\n")  # keys of different types
@example(data=b"a: 10:00:00\nb: 0x1F\nc: 1_000.5\nd: .inf\ne: 2023-02-30 00:00:00\n")
def test_the_c_reader_reads_what_the_python_reader_reads(data):
    fast, exact = _both(data)
    if isinstance(exact, str) and not isinstance(fast, str) and b"\t" in data:
        return  # a tab inside a plain scalar: valid YAML that only PyYAML's Python scanner refuses
    if isinstance(exact, str) or isinstance(fast, str):
        # A refusal either way is a refusal: parse_yaml re-reads refused files with the
        # Python reader, so only a surrogate escape (refused by libyaml alone) may differ.
        assert isinstance(fast, str) and (isinstance(exact, str) or "\\u" in repr(data)
                                          or "\\U" in repr(data)), (fast, exact)
        return
    assert fast == exact and repr(fast) == repr(exact)


def test_alias_limit(tmp_path):
    data = b"a: &a 1\nb: [" + b", ".join([b"*a"] * (MAX_ALIASES + 1)) + b"]\n"
    assert f"more than {MAX_ALIASES} alias uses" in _problem(tmp_path, data)
    ok = b"a: &a 1\nb: [" + b", ".join([b"*a"] * MAX_ALIASES) + b"]\n"
    assert "alias uses" not in _problem(tmp_path, ok)  # invalid (no name), not refused


def test_depth_limit(tmp_path):
    assert f"nesting deeper than {MAX_DEPTH} levels" in _problem(
        tmp_path, b"a: " + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"\n")


def test_recursive_alias_is_refused(tmp_path):
    assert "recursive" in _problem(tmp_path, b"a: &a [*a]\n")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS semantics")
@pytest.mark.parametrize("name", ["alias-bomb", "deep", "huge"])
def test_bombs_stay_within_time_and_memory(tmp_path, name):
    """In a fresh process capped at 1.5 GiB of address space and 60 s: exit 2, a message."""
    data = {
        "alias-bomb": SPECIAL[6],
        "deep": b"a: " + b"[" * 200_000 + b"]" * 200_000 + b"\n",
        # One 64 MB text: memory stays a small multiple of the file.
        "huge": b"name: " + b"x" * (64 * 1024 * 1024) + b"\n",
    }[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    cap = 1536 * 1024 * 1024

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, preexec_fn=limit,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and proc.stderr.strip()


# --- zones whose clock moves by part of an hour -------------------------------------------
@pytest.mark.parametrize("zone, start, end, message", [
    ("Australia/Lord_Howe", "2024-04-06 00:00:00", "2024-04-09 00:00:00",
     "moves its clock by -30 minutes at 2024-04-07 01:30:00"),
    ("Australia/Lord_Howe", "2024-10-01 00:00:00", "2024-10-09 00:00:00",
     "moves its clock by +30 minutes at 2024-10-06 02:30:00"),
    ("Europe/Amsterdam", "1937-06-01 00:00:00", "1937-08-01 00:00:00",
     "moves its clock by +28 seconds at 1937-07-01 00:00:28"),
])
def test_a_part_hour_clock_change_inside_the_window_is_refused(zone, start, end, message):
    """Found with the invariants: after Lord Howe's 30-minute change the engine's cycles
    started at HH:30 and were settled before they ended; §4 cycles are clock hours."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario({"name": "z", "timezone": zone, "start": start, "end": end})
    assert [p.path for p in caught.value.problems] == ["timezone"]
    assert message in caught.value.problems[0].message


@pytest.mark.parametrize("zone, start, end", [
    ("Australia/Lord_Howe", "2024-05-01 00:00:00", "2024-09-01 00:00:00"),  # no change
    ("Pacific/Chatham", "2024-01-01 00:00:00", "2025-01-01 00:00:00"),  # +12:45, 1 h DST
    ("Asia/Kolkata", "1941-01-01 00:00:00", "1946-01-01 00:00:00"),  # whole-hour wartime
])
def test_whole_hour_changes_and_odd_offsets_are_fine(zone, start, end):
    load_scenario({"name": "z", "timezone": zone, "start": start, "end": end})
