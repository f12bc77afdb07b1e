"""By-hand fuzzer of the input door: mutate the shipped scenarios and sweep files for N minutes.

    python fuzz/fuzz_door.py 10                # 10 minutes, random seed
    python fuzz/fuzz_door.py 10 --seed 7 --invariants

Each case (a scenario, a sweep, or a scenario reading a mutated fleet, actions or usage
table) is written to a file and goes through `load_scenario`; if it is valid it is also
simulated, its tables built and its outputs written (and, with --invariants, checked
against tests/invariants.py). One case in five is a sweep file instead (random grid paths
and values over a small shipped scenario, odd bases, alias bombs, byte mutations): it goes
through `load_sweep` and, if valid and small, is run in this process and written; a
variant must fail only with a path-named problem, never an internal exception. A
ScenarioError is the expected outcome for bad input; anything else -- another exception,
a case slower than --limit seconds, a broken invariant -- is a finding, saved to
fuzz/crashes/<signature>.yaml with a .txt traceback (and the sweep's -base.yaml).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/invariants.py for --invariants

from sim import ScenarioError, load_scenario, simulate, sweep  # noqa: E402
from sim.scenario.generate import expand  # noqa: E402
from sim.scenario.yaml_io import parse_yaml  # noqa: E402
from sim.whatif.sweep import load_sweep  # noqa: E402

CRASHES = Path(__file__).resolve().parent / "crashes"
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space: a memory blow-up becomes MemoryError


class CaseTimeout(BaseException):
    """Raised by SIGALRM when one case runs past its limit (BaseException: not swallowed)."""


def _on_alarm(signum, frame):
    raise CaseTimeout()


# --- interesting values -------------------------------------------------------------------
INTERESTING = [
    None, True, False, 0, -1, 1, 2, 3, 12, 28, 29, 30, 31, 59, 60, 100, 101, 3599, 3600, 3601,
    86400, 10**6, 10**6 + 1, 2**31, 2**63, -(2**63), 10**30, Decimal(10) ** 5000,
    "", " ", "x", "0", "1", "-1", "1e999999999", "NaN", "inf", "-0", "0.001", "1.005",
    Decimal("0.01"), Decimal("-0.01"), Decimal("99999999999.99"), Decimal("1e12"),
    Decimal("1.00000001"), Decimal("NaN"), Decimal("-Infinity"), 1.5,
    "last", "now", "at_expiry", "balance", "online", "monthly", "yearly", "pay_per_use",
    "hourly", "daily", "renew", "stop", "start", "delete", "unsubscribe", "change_billing",
    "enable_auto_renew", "disable_auto_renew",
    "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata",
    "UTC", "localtime", "Etc/GMT+14", "../../etc/passwd", "Not/AZone", "posixrules",
    "2023-02-29 00:00:00", "2024-02-29 23:59:59", "2023-03-12 02:30:00",
    "2023-11-05 01:30:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59",
    "2023-01-01T00:00:00+08:00", "2023-01-01T00:00:00.5", "24:00:00", "23:59:60",
    "09:00:00", "00:00:00", "25:00:00",
    dt.datetime(2023, 1, 1), dt.datetime(1900, 1, 1), dt.datetime(9000, 12, 31, 23, 59, 59),
    dt.date(2023, 1, 1), dt.datetime(2023, 3, 26, 1, 30),
    "\u202e\u0000", "é" * 300, "x" * 100_000, "🙂", "\ud7ff", "a\nb", "%s%n", "${HOME}",
    [], [1, 2], {}, {"a": 1}, [[[[[]]]]],
]

KEYS = ["name", "timezone", "start", "end", "currency", "catalog", "policy", "account",
        "phones", "id", "spec", "quantity", "billing", "term", "at", "pay_with",
        "provisioning", "auto_renew", "actions", "do", "align_day", "times", "when",
        "balance", "balance_alert", "topups", "amount", "grace_days", "retention_days",
        "ppu_grace_days", "ppu_retention_days", "alert_time", "auto_renew_days_before",
        "auto_renew_time", "bill_run", "settlement_delay", "refund_rule", "refund_fee_rate",
        "specs", "edition", "vcpus", "memory_gb", "storage_gb", "monthly", "yearly",
        "hourly", "seed", "description", "group", "unknown_key", 1, None, True]

ALIAS_BOMB = (b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
              b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c]\n")


# --- mutators -----------------------------------------------------------------------------
def _paths(node, prefix=()):
    """Every (container path) in a parsed document."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _get(node, path):
    for part in path:
        node = node[part]
    return node


def _shift_time(value, rng):
    if isinstance(value, dt.datetime):
        delta = rng.choice([1, 59, 3600, 86400, 30 * 86400, 365 * 86400, 10**4, 10**6])
        return value + dt.timedelta(seconds=rng.choice([-1, 1]) * delta)
    return value


def mutate_tree(doc, rng: random.Random):
    """A YAML-aware mutation of a parsed document (often still valid, to reach the engine)."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        paths = list(_paths(doc))
        path = rng.choice(paths)
        if not path:
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        value = parent[key]
        op = rng.random()
        if op < 0.25 and isinstance(value, dt.datetime):
            parent[key] = _shift_time(value, rng)  # stays valid often: explores the engine
        elif op < 0.35 and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            parent[key] = value * rng.choice([0, -1, 2, 10, 1000]) + rng.choice([0, 1, -1])
        elif op < 0.55:
            parent[key] = copy.deepcopy(rng.choice(INTERESTING))
        elif op < 0.65 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.72 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = copy.deepcopy(value)
        elif op < 0.82 and isinstance(parent, list):
            parent.insert(rng.randrange(len(parent) + 1), copy.deepcopy(rng.choice(parent)))
        elif op < 0.87 and isinstance(parent, list):
            parent.append(copy.deepcopy(value))
            parent.append(copy.deepcopy(value))
        elif op < 0.92:
            nested = value
            for _ in range(rng.choice([2, 10, 49, 60, 200])):
                nested = [nested] if rng.random() < 0.5 else {"k": nested}
            parent[key] = nested
        else:
            other = rng.choice(paths)
            if other and len(other) <= len(path) or other[: len(path)] != path:
                try:
                    parent[key] = copy.deepcopy(_get(doc, other))
                except (KeyError, IndexError, TypeError):
                    pass
    return doc


GENTLE = {  # values that keep a scenario valid, by key: these cases reach the engine
    "do": ["renew", "stop", "start", "enable_auto_renew", "disable_auto_renew", "unsubscribe",
           "delete"],
    "billing": ["monthly", "yearly", "pay_per_use"],
    "bill_run": ["hourly", "daily", "monthly"], "refund_rule": ["daily", "hourly"],
    "timezone": ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney",
                 "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"],
    "balance": [Decimal("-5.00"), Decimal("0"), Decimal("0.01"), Decimal("45.00"),
                Decimal("99999.99")],
    "amount": [Decimal("0.01"), Decimal("1.00"), Decimal("500.00")],
    "quantity": [1, 2, 1000], "term": [1, 2, 12], "provisioning": [0, 1, 3600],
    "grace_days": [0, 1, 15], "retention_days": [0, 1, 15], "ppu_grace_days": [0, 1],
    "ppu_retention_days": [0, 1], "settlement_delay": [0, 1, 3600, 86400],
    "auto_renew_days_before": [0, 7, 40], "alert_time": ["09:00:00", "02:30:00"],
    "auto_renew_time": ["00:03:00", "01:30:00"], "align_day": [1, 28, "last"],
}


def mutate_gentle(doc, rng: random.Random):
    """Type-keeping mutations (times shifted, known keys given other valid values, actions
    moved between phones), so most cases stay valid and exercise the engine."""
    doc = copy.deepcopy(doc)
    doc.setdefault("policy", {})
    for key in rng.sample(sorted(GENTLE), 3):
        if key in ("grace_days", "retention_days", "ppu_grace_days", "ppu_retention_days",
                   "settlement_delay", "auto_renew_days_before", "alert_time",
                   "auto_renew_time", "bill_run", "refund_rule"):
            doc["policy"][key] = rng.choice(GENTLE[key])
    for _ in range(rng.randint(1, 6)):
        paths = [p for p in _paths(doc) if p]
        path = rng.choice(paths)
        parent, key = _get(doc, path[:-1]), path[-1]
        value = parent[key]
        if isinstance(value, dt.datetime):
            parent[key] = _shift_time(value, rng)
        elif key in GENTLE and not isinstance(value, (dict, list)):
            parent[key] = rng.choice(GENTLE[key])
    phones = doc.get("phones") or []
    if len(phones) > 1 and rng.random() < 0.5:  # an action of one phone given to another
        donor, taker = rng.sample(phones, 2)
        if donor.get("actions"):
            taker.setdefault("actions", []).append(copy.deepcopy(rng.choice(donor["actions"])))
    return doc


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Byte-level mutations: flips, inserts, deletes, truncation, junk, NUL, bad UTF-8."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(9)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2 and buf:
            del buf[pos:pos + rng.randint(1, 16)]
        elif op == 3:
            del buf[pos:]
        elif op == 4:
            buf[pos:pos] = rng.choice([b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80",
                                       b"\t", b"\r", b"\x1b[2J", b"\xef\xbb\xbf", b"\xe2\x80\xae"])
        elif op == 5:
            buf[pos:pos] = rng.choice([b"&a ", b"*a", b"!!python/object:os.system ", b"<<: ",
                                       b"? ", b"- ", b": ", b"{", b"[", b"'", b'"', b"|\n",
                                       b"%YAML 1.1\n---\n", b"---\n", b"...\n", b"!!binary ",
                                       b"!!timestamp ", b"!!float ", b"!!int "])
        elif op == 6:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif op == 7:
            digits = rng.choice([b"9" * 5000, b"1e99999", b"0x1F", b"0o17", b"1_000", b"-0",
                                 b".inf", b"1:2:3", b"2023-13-45 25:61:61"])
            buf[pos:pos] = digits
        else:
            line_start = buf.rfind(b"\n", 0, pos) + 1
            line_end = buf.find(b"\n", pos)
            line = bytes(buf[line_start:line_end if line_end >= 0 else len(buf)])
            buf[line_start:line_start] = line + b"\n"  # duplicate a line (duplicate keys)
    return bytes(buf)


def splice(a: bytes, b: bytes, rng: random.Random) -> bytes:
    """Lines of one file, then lines of another, cut at random line boundaries."""
    la, lb = a.splitlines(keepends=True), b.splitlines(keepends=True)
    return b"".join(la[: rng.randint(0, len(la))] + lb[rng.randint(0, len(lb)):])


def special(rng: random.Random) -> bytes:
    """Whole-file oddities: empty, only junk, alias bomb, deep nesting, huge, NULs."""
    return rng.choice([
        lambda: b"",
        lambda: b"\x00" * rng.randint(1, 100),
        lambda: bytes(rng.randrange(256) for _ in range(rng.randint(1, 2000))),
        lambda: ALIAS_BOMB,
        lambda: b"a: " + b"[" * 10_000 + b"]" * 10_000,
        lambda: b"a: " + b"{b: " * 5000 + b"1" + b"}" * 5000,
        lambda: b"name: " + b"x" * (6 * 1024 * 1024),
        lambda: b"- " * 3000 + b"x",
        lambda: b"&a a: *a",
        lambda: b"a: &a [*a]",
        lambda: "name: \u00e9\u4e2d\U0001f600\n".encode("utf-8"),
        lambda: "name: x\n".encode("utf-16"),
        lambda: b"!!python/object/apply:os.system ['true']",
        lambda: b"name: x\nstart: 2023-01-01 00:00:00\nend: 2023-01-01 00:00:00\n",
    ])()


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes Decimals as plain YAML numbers (the door reads them back exact)."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar(
    "tag:yaml.org,2002:float" if v.is_finite() else "tag:yaml.org,2002:str",
    format(v, "f") if v.is_finite() else str(v)))


def to_yaml(doc) -> bytes:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False).encode("utf-8")


def generate(rng: random.Random, corpus: list[bytes], trees: list) -> bytes:
    """One case: a gentle (valid-keeping) or wild tree mutation, byte mutations, both, a
    splice or a special file."""
    pick = rng.random()
    try:
        if pick < 0.3:
            return to_yaml(mutate_gentle(rng.choice(trees), rng))
        pick = rng.random()
        if pick < 0.45:
            return to_yaml(mutate_tree(rng.choice(trees), rng))
        if pick < 0.75:
            return mutate_bytes(rng.choice(corpus), rng)
        if pick < 0.85:
            return mutate_bytes(to_yaml(mutate_tree(rng.choice(trees), rng)), rng)
    except (yaml.YAMLError, RecursionError, ArithmeticError, ValueError, TypeError):
        pass  # the generator's own limits (e.g. PyYAML cannot dump it): fall back to a splice
    if pick < 0.95:
        return splice(rng.choice(corpus), rng.choice(corpus), rng)
    return special(rng)


# --- sweep files ---------------------------------------------------------------------------
SWEEP_SHARE = 0.2
MAX_SWEEP_RUNS = 12  # variants x replications run per case; bigger valid sweeps are only loaded
ODD_BASES = ["missing.yaml", "/etc/passwd", "/etc/shadow", ".env", "../base.yaml", "",
             "base.yaml/", "/dev/zero", "/proc/self/environ", "base.YAML", "base.yml"]
ODD_PATHS = ["phones[", "phones[]].billing", "a..b", "phones[99].term", "phones[-1].term",
             "generate[name=nope].rate", "phones[*]", "account", "account.balance.x",
             "phones[id=].billing", "phones[0]billing", "1abc", "", " ", "seed.x",
             "policy[0]", "phones[*].actions[*].do", "phones[*].actions[0].at", "x" * 300]


def _path_text(path: tuple) -> str:
    """A container path of a parsed document in grid syntax: phones[0].billing."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _grid_path(tree: dict, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(ODD_PATHS)
    paths = [p for p in _paths(tree) if p and all(isinstance(k, (str, int)) for k in p)
             and isinstance(p[0], str)]
    path = list(rng.choice(paths))
    ints = [i for i, part in enumerate(path) if isinstance(part, int)]
    if ints and rng.random() < 0.4:  # an index becomes [*] or [field=value]
        i = rng.choice(ints)
        item = _get(tree, tuple(path[:i + 1]))
        if rng.random() < 0.5 or not isinstance(item, dict):
            path[i] = "*"
        else:
            key = rng.choice(sorted(k for k in item if isinstance(k, str)) or ["id"])
            path[i] = f"{key}={item.get(key)}"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) or "=" in str(part) or part == "*" \
            else ("." if text else "") + str(part)
    return text


def _grid_value(path: str, rng: random.Random):
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if key in GENTLE and rng.random() < 0.6:
        return rng.choice(GENTLE[key])
    if rng.random() < 0.1:
        return {"monthly": rng.choice([0, 1, Decimal("0.5")]), "pay_per_use": 1}
    return copy.deepcopy(rng.choice(INTERESTING))


def generate_sweep(rng: random.Random, bases: list[dict]) -> tuple[bytes, dict]:
    """One sweep case: (the sweep file's bytes, the base scenario tree it points at)."""
    base = rng.choice(bases)
    grid = {}
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        path = _grid_path(base, rng)
        grid[path] = [_grid_value(path, rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.05:
            grid[path] = rng.choice([[], "x", None, {"a": 1}, [[1] * 3] * 3])
    doc = {"name": "fuzz-sweep", "base": "base.yaml", "grid": grid,
           "replications": rng.choice([1, 1, 2, 3]), "seed": rng.choice([None, 0, 7, 2**63])}
    if rng.random() < 0.1:
        doc["base"] = rng.choice(ODD_BASES)
    if rng.random() < 0.1:
        key = rng.choice(["name", "replications", "seed", "grid", "base", "colour"])
        doc[key] = copy.deepcopy(rng.choice(INTERESTING))
    if rng.random() < 0.05:
        del doc[rng.choice(sorted(doc))]
    try:
        data = to_yaml({k: v for k, v in doc.items() if v is not None or k == "grid"})
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        data = b"base: base.yaml\n"
    pick = rng.random()
    if pick < 0.25:
        data = mutate_bytes(data, rng)
    elif pick < 0.3:  # alias bombs and chains inside a grid list
        levels = rng.choice([3, 6, 10])
        lines = [b"base: base.yaml", b"grid:", b"  account.balance:",
                 b"    - &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        lines += [f"    - &a{i} [".encode() + b", ".join([f"*a{i - 1}".encode()] * 9) + b"]"
                  for i in range(1, levels)]
        data = b"\n".join(lines) + b"\n"
    elif pick < 0.33:
        lines = [b"base: base.yaml", b"grid:", b"  description:"]
        lines += [f"    - &d{i} ".encode() + b"[" * 30 + (f"*d{i - 1}" if i else "1").encode()
                  + b"]" * 30 for i in range(rng.choice([2, 5, 40]))]
        data = b"\n".join(lines) + b"\n"
    return data, base


_INTERNAL = re.compile(r"^(?!PathError)[A-Z][A-Za-z]*(Error|Exception|Interrupt|Exit)\b")


def run_sweep_case(path: Path, out: Path) -> str:
    """'invalid', 'valid'; raises on a finding (a crash, or a variant failing inside)."""
    try:
        spec = load_sweep(path)
    except ScenarioError as exc:
        if not exc.problems or any(not str(p) for p in exc.problems):
            raise AssertionError("ScenarioError without a readable problem") from exc
        return "invalid"
    if spec.variants * spec.replications > MAX_SWEEP_RUNS:
        return "valid"
    result = sweep(spec, workers=1, progress=False)
    if len(result.table) != spec.variants * spec.replications:
        raise AssertionError(f"{len(result.table)} rows for {spec.variants} variants x "
                             f"{spec.replications} replications")
    for error in result.table["error"].dropna():
        if _INTERNAL.match(error):
            raise AssertionError(f"a variant failed inside the simulator: {error}")
    result.write(out)
    return "valid"


# --- running a case -----------------------------------------------------------------------
def run_case(path: Path, out: Path, check) -> str:
    """'invalid', 'valid'; raises on a finding."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        if not exc.problems or any(not str(p) for p in exc.problems):
            raise AssertionError("ScenarioError without a readable problem") from exc
        return "invalid"
    result = simulate(scenario)
    for table in (result.ledger, result.usage, result.states, result.notifications):
        len(table)
    result.write(out)
    if check is not None:
        check(expand(scenario), out)  # generated phones included; reads the files back
    return "valid"


def signature(exc: BaseException) -> str:
    """Exception type + innermost frame inside the project: one file per distinct bug."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/sim/" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "outside"
    return f"{type(exc).__name__}-{where}".replace(":", "_").replace("/", "_")


def save(sig: str, data: bytes, text: str, base: bytes | None = None) -> Path:
    CRASHES.mkdir(exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:10]
    target = CRASHES / f"{sig}-{digest}.yaml"
    target.write_bytes(data)
    target.with_suffix(".txt").write_text(text, encoding="utf-8")
    if base is not None:  # a sweep case: the base it names as base.yaml
        target.with_name(f"{sig}-{digest}-base.yaml").write_bytes(base)
    return target


def _small(tree: dict) -> bool:
    """A shipped scenario cheap enough to run a dozen times in one case."""
    try:
        scenario = load_scenario(copy.deepcopy(tree), base_dir=ROOT / "scenarios")
    except ScenarioError:
        return False
    return (scenario.end - scenario.start).days <= 120 and len(scenario.phones) <= 10 \
        and not scenario.generate


# --- tables: phones_table, actions_table, usage_table -------------------------------------
TABLE_SHARE = 0.15  # of the cases: a scenario reading a mutated CSV table
TABLES = {
    "phones_table": (b"id,spec,billing,at,term,auto_renew_term,provisioning,quantity\n"
                     b"t1,pro-2c4g,monthly,2023-02-01 15:50:04,1,1,,2\n"
                     b"t2,basic-2c4g,pay_per_use,2023-02-01T10:00:00+08:00,,,60,\n", ""),
    "actions_table": (b"phone,at,do,term,align_day,when\n"
                      b"a,2023-02-01 11:00:00,renew,1,last,\n"
                      b"a,2023-02-01 12:00:00,change_billing,,,now\n",
                      "phones: [{id: a, spec: pro-2c4g, billing: monthly, "
                      "at: 2023-02-01 10:00:00}]\n"),
    "usage_table": (b"phone,start,end,spec\n"
                    b"u,2023-02-01 01:00:00,2023-02-01 03:30:00,pro-2c4g\n"
                    b"u,2023-02-02 01:00:00,2023-02-05 00:00:00,pro-2c4g\n",
                    "usage_billing: monthly\n"),
}


def generate_table_case(rng: random.Random, work: Path) -> bytes:
    """A small scenario naming a mutated table (written to work/t.csv); the scenario's bytes."""
    key = rng.choice(sorted(TABLES))
    table, extra = TABLES[key]
    (work / "t.csv").write_bytes(mutate_bytes(table, rng) if rng.random() < 0.9 else table)
    return (f"name: t\nstart: 2023-02-01 00:00:00\nend: 2023-03-01 00:00:00\n"
            f"account: {{balance: 1000}}\n{key}: t.csv\n{extra}").encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", type=float, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds per case")
    parser.add_argument("--invariants", action="store_true",
                        help="also check tests/invariants.py on every valid case")
    args = parser.parse_args(argv)

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, _on_alarm)
    check = None
    if args.invariants:
        from tests.invariants import check_all as check

    corpus = [p.read_bytes() for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    trees = [parse_yaml(c) for c in corpus]  # exact Decimals, times of day kept as text
    bases = [tree for tree in trees if _small(tree)]  # sweeps run several times per case
    work = Path(tempfile.mkdtemp(prefix="fuzz-door-"))
    counts = {"cases": 0, "valid": 0, "invalid": 0, "sweeps": 0, "findings": 0}
    seen: dict[str, int] = {}
    started = time.monotonic()
    deadline = started + args.minutes * 60
    print(f"fuzz_door: seed {seed}, {args.minutes} min, limit {args.limit}s/case", flush=True)
    try:
        while time.monotonic() < deadline:
            base = None
            if rng.random() < SWEEP_SHARE:
                data, tree = generate_sweep(rng, bases)
                base = to_yaml(tree)
                (work / "base.yaml").write_bytes(base)
            elif rng.random() < TABLE_SHARE:
                data = generate_table_case(rng, work)
            else:
                data = generate(rng, corpus, trees)
            case = work / "case.yaml"
            case.write_bytes(data)
            out = work / "out"
            counts["cases"] += 1
            signal.setitimer(signal.ITIMER_REAL, args.limit)
            try:
                outcome = (run_case(case, out, check) if base is None else
                           run_sweep_case(case, out))
                counts[outcome] += 1
                if base is not None:
                    counts["sweeps"] += 1
            except (Exception, CaseTimeout) as exc:
                sig = "Timeout" if isinstance(exc, CaseTimeout) else signature(exc)
                seen[sig] = seen.get(sig, 0) + 1
                counts["findings"] += 1
                if seen[sig] <= 3:  # a few examples of each distinct finding
                    target = save(sig, data, "".join(traceback.format_exception(exc)), base)
                    print(f"FINDING {sig}: {target}", flush=True)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                shutil.rmtree(out, ignore_errors=True)
            if counts["cases"] % 500 == 0:
                rate = counts["cases"] / (time.monotonic() - started)
                print(f"{counts} {rate:.1f} cases/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(f"done: {counts} in {elapsed:.0f}s = {counts['cases'] / elapsed:.1f} cases/s; "
          f"distinct findings: {seen or 'none'}", flush=True)
    return 1 if counts["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
