"""A safe, exact and bounded YAML reader for scenario and catalog files.

Exact: numbers with a dot become `Decimal` from their source text (never binary float), and
`10:00:00` stays a string (no YAML 1.1 base-60 numbers). Bounded: file size, alias uses and
nesting depth are capped, so a hostile file cannot exhaust memory or the stack.
"""

from __future__ import annotations

import re
import stat
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode

from sim.scenario.errors import FILE, Problem, ScenarioError, join_path

MAX_FILE_BYTES = 256 * 1024 * 1024  # a 1,000,000-phone YAML is about 150 MB
MAX_NODES = 20_000_000  # counted before parsing: memory stays a few GB at most
# Only files named as YAML are opened: a `catalog:` or a sweep's `base:` pointing at any
# readable file (a password file, an .env) must not get it read and quoted back.
YAML_SUFFIXES = (".yaml", ".yml")
MAX_ALIASES = 100
MAX_DEPTH = 50
# Aliases share a node, but whoever walks the data (the models, a sweep's value columns,
# pickling to workers) walks it expanded: cap the nodes and depth as seen expanded.
MAX_EXPANDED_NODES = 1_000_000  # values added by aliases (a fleet's own values are free)
# Up to this size, a document the C reader refuses is re-read by the pure-Python reader,
# whose messages name the path (surrogate escapes) or the exact place of a mistake.
_EXACT_MESSAGES_BYTES = 5 * 1024 * 1024
# Python refuses int() of more than 4300 digits; longer integers become Decimal so the
# models reject them with a path (out of range) instead of the reader crashing.
_MAX_INT_DIGITS = 4000

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Decimal integers only (YAML 1.2 core style): no 0x/0b/0 octal, no base 60 (10:00:00).
_INT_RE = re.compile(r"^[-+]?[0-9][0-9_]*$")
# PyYAML's YAML 1.1 float pattern without its base-60 branch.
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class YAMLLimitError(yaml.MarkedYAMLError):
    """A document refused for its shape (too many aliases, too deep), not its syntax."""


class SafeDecimalLoader(yaml.SafeLoader):
    """SafeLoader with Decimal floats, decimal-only ints, and alias/depth/duplicate-key limits."""

    def __init__(self, stream):
        super().__init__(stream)
        self._alias_uses = 0
        self._depth = 0
        self._open_anchors: list[str] = []  # anchors of the collections being composed

    # --- composing: limits --------------------------------------------------------------
    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._alias_uses += 1
            if self._alias_uses > MAX_ALIASES:
                raise YAMLLimitError(
                    None, None,
                    f"more than {MAX_ALIASES} alias uses (*name); refusing a possible "
                    "'billion laughs' document", event.start_mark)
            if event.anchor in self._open_anchors:
                raise YAMLLimitError(
                    None, None, f"alias *{event.anchor} is used inside its own anchor "
                    "(a recursive structure)", event.start_mark)
            return super().compose_node(parent, index)
        if not isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                 event.start_mark)
        self._open_anchors.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.pop()
            self._depth -= 1

    # --- constructing: exact numbers, tolerant timestamps, unique keys ------------------
    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
            # PyYAML's own constructors crash on explicit tags with odd text
            # (`!!bool x`, `!!timestamp end`); report it at the node instead.
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)} as {node.tag.rsplit(':', 1)[-1]}",
                node.start_mark) from None

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node).replace("_", "")
        if not _INT_RE.match(text):
            raise yaml.constructor.ConstructorError(
                None, None, f"{text!r} is not a decimal integer", node.start_mark)
        if len(text) > _MAX_INT_DIGITS:
            return Decimal(text)
        return int(text)

    def construct_yaml_float(self, node):
        text = self.construct_scalar(node).replace("_", "")
        lowered = text.lower()
        if lowered in (".inf", "+.inf", "-.inf", ".nan"):
            # Kept as non-finite Decimals so the models reject them with a path.
            return Decimal(lowered.replace(".", ""))
        try:
            return Decimal(text)
        except (InvalidOperation, ValueError):
            if not _FLOAT_RE.match(text):  # an explicit !!float on text that is no number
                raise yaml.constructor.ConstructorError(
                    None, None, f"{_short(text)} is not a number", node.start_mark) from None
            # An exponent beyond Decimal's range: not a usable number; the models say so.
            return Decimal("NaN")

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            # e.g. 2023-02-30 00:00:00: leave the text, the models report it with its path.
            return self.construct_scalar(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            # YAML requires unique keys; PyYAML would silently keep the last one. Plain
            # scalar keys are compared by tag and text (cheap; enough for key names).
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Rebuild the implicit resolvers without YAML 1.1's int and float rules, then add ours.
SafeDecimalLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeDecimalLoader.add_implicit_resolver(_INT_TAG, _INT_RE, list("-+0123456789"))
SafeDecimalLoader.add_implicit_resolver(_FLOAT_TAG, _FLOAT_RE, list("-+0123456789."))
SafeDecimalLoader.add_constructor(_INT_TAG, SafeDecimalLoader.construct_yaml_int)
SafeDecimalLoader.add_constructor(_FLOAT_TAG, SafeDecimalLoader.construct_yaml_float)
SafeDecimalLoader.add_constructor(_TIMESTAMP_TAG, SafeDecimalLoader.construct_yaml_timestamp)


def check_expanded(root) -> None:
    """Refuse a composed document whose aliases expand it beyond the node or depth limits.

    Each node's expanded size and depth are computed once (memoized), so this costs one
    walk of the composed graph however large the expansion would be.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    open_: set[int] = set()  # nodes being walked: the ancestors of the current one
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[key] = (1, 0)
            continue
        children = ([child for pair in node.value for child in pair]
                    if isinstance(node, MappingNode) else node.value)
        if not children_done:
            open_.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_:
                    raise YAMLLimitError(None, None, "an alias is used inside its own anchor "
                                         "(a recursive structure)", child.start_mark)
                stack.append((child, False))
            continue
        open_.discard(key)
        nodes = 1 + sum(sizes[id(child)][0] for child in children)
        depth = 1 + max((sizes[id(child)][1] for child in children), default=0)
        if depth > MAX_DEPTH:
            raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels once "
                                 "aliases are expanded", node.start_mark)
        # len(sizes) bounds the distinct nodes below this one: more than that is aliases'.
        if nodes > MAX_EXPANDED_NODES + len(sizes) + 1:
            raise YAMLLimitError(None, None, f"aliases expand the document to more than "
                                 f"{MAX_EXPANDED_NODES:,} values; refusing a possible "
                                 "'billion laughs' document", node.start_mark)
        sizes[key] = (nodes, depth)


def _nodes_at_most(data: bytes) -> int:
    """An upper bound of a document's nodes: each needs a line, ':', ',', '-' or bracket."""
    return sum(data.count(mark) for mark in (b"\n", b":", b",", b"-", b"[", b"{", b"?")) + 1


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    return f"a {type(value).__name__}"


def _yaml_error_message(exc: yaml.YAMLError, text: str) -> str:
    """One line for a YAML error, with the 1-based line/column of its mark."""
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return (f"unacceptable character U+{code:04X} "
                f"at line {line}, column {col}")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        if isinstance(exc, YAMLLimitError):
            return f"refused{where}: {problem}"
        message = f"malformed YAML{where}: {problem}"
        if exc.context and exc.problem:
            context = exc.context
            if exc.context_mark is not None and exc.context_mark is not mark:
                context += (f" that starts at line {exc.context_mark.line + 1}, "
                            f"column {exc.context_mark.column + 1}")
            message += f" ({context})"
        return message
    return f"malformed YAML: {exc}"


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _escaped(text: str) -> str:
    """A string quoted with its surrogates as escapes, so it can be printed."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"'{text}'" if len(text) <= 38 else f"'{text[:35]}...'"


def _surrogate_problem(text: str, path: str, what: str) -> Problem:
    """`path`: a surrogate escape is half of a UTF-16 pair, not a character (YAML 1.2 §5.7)."""
    found = _SURROGATE_RE.search(text)
    hint = "write the character itself"
    pair = text[found.start():found.start() + 2]
    if len(pair) == 2 and "\ud800" <= pair[0] <= "\udbff" and "\udc00" <= pair[1] <= "\udfff":
        code = 0x10000 + ((ord(pair[0]) - 0xD800) << 10) + (ord(pair[1]) - 0xDC00)
        hint += f" or \\U{code:08X}"
    return Problem(path, f"{what} {_escaped(text)} holds \\u{ord(found.group()):04x}, a lone "
                         f"UTF-16 surrogate escape, not a Unicode character; {hint}")


def surrogate_problems(value: object, prefix: str = "") -> list[Problem]:
    """Every key or string value that holds a lone surrogate (`"\\ud800"`), with its path.

    Such text cannot be printed or written as UTF-8, so the door refuses it. Shared
    (aliased) collections are visited once, so an alias-heavy file stays linear.
    """
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(value, prefix)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not node.isascii() and _SURROGATE_RE.search(node):
                problems.append(_surrogate_problem(node, path or FILE, "the text"))
            continue
        if not isinstance(node, (dict, list)) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend((node[i], join_path(path, [i])) for i in reversed(range(len(node))))
            continue
        for key, item in reversed(node.items()):  # popped in file order
            if isinstance(key, str) and not key.isascii() and _SURROGATE_RE.search(key):
                problems.append(_surrogate_problem(key, path or FILE, "the key"))
            else:
                stack.append((item, join_path(path, [key])))
    return problems


def read_exact(text: str) -> object:
    """The value of a YAML document by the pure-Python reader, with every limit; YAMLError."""
    loader = SafeDecimalLoader(text)  # the reader checks for control characters here
    try:
        node = loader.get_single_node()
        if node is not None:
            check_expanded(node)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def parse_yaml(data: str | bytes, *, file: str | None = None) -> dict:
    """The top-level mapping of a YAML document (text or UTF-8 bytes); ScenarioError if not."""

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(FILE, message)], file=file)

    if len(data) > MAX_FILE_BYTES:
        raise fail(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; refusing to read it")

    def decoded() -> str:
        try:
            return data.decode("utf-8-sig")  # a leading BOM is harmless
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise fail(f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})") from None

    text: str | None = None
    if isinstance(data, bytes):
        raw: bytes | None = data
        if len(data) <= _EXACT_MESSAGES_BYTES or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = decoded()  # a big file is decoded only to word an error (libyaml
            # checks UTF-8 itself, but would also take UTF-16)
    else:
        text = data
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raw = None  # lone surrogates in the text itself: only the Python reader takes it
    if raw is not None and _nodes_at_most(raw) > MAX_NODES:
        raise fail(f"more than {MAX_NODES} YAML nodes; refusing to read it (a big fleet "
                   "reads faster from a phones_table)")
    # The pure-Python reader: slower, but its messages name the place; also the fallback
    # where PyYAML was built without libyaml.
    exact = raw is None or not yaml.__with_libyaml__
    try:
        if not exact:
            from sim.scenario.yaml_fast import read_fast  # builds on the loader above

            try:
                value = read_fast(raw)
            except yaml.YAMLError:
                if text is None:  # too big to re-read slowly: libyaml's message
                    text = decoded()
                    raise
                exact = True
        if exact:
            value = read_exact(text)
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.reader.ReaderError) and not exact:
            exc.position = len(raw[:exc.position].decode("utf-8", "replace"))  # bytes -> chars
        raise fail(_yaml_error_message(exc, text)) from None
    except RecursionError:  # belt and braces: MAX_DEPTH should stop this first
        raise fail(f"nesting deeper than {MAX_DEPTH} levels") from None
    if value is None:
        raise fail("the file is empty; expected a mapping of keys")
    if not isinstance(value, dict):
        raise fail(f"the top level must be a mapping of keys, not {_describe(value)}")
    # libyaml refuses surrogate escapes itself; the Python reader lets them through.
    problems = surrogate_problems(value) if exact else []
    if problems:
        raise ScenarioError(problems, file=file)
    return value


def load_yaml(path: str | Path) -> dict:
    """Read and parse a YAML file with the limits above; every failure is a ScenarioError."""
    return parse_yaml(read_yaml_file(path), file=str(path))


def read_yaml_file(path: str | Path) -> bytes:
    """The bytes of a YAML file, refusing what is not one (name, kind, size) unread.

    Its ScenarioError never quotes the file's contents, unlike parse_yaml's.
    """
    path = Path(path)
    file = str(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(FILE, message)], file=file)

    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise fail(f"{file} is a directory, not a YAML file")
        if not stat.S_ISREG(info.st_mode):
            raise fail(f"{file} is not a regular file")  # a FIFO would block the read
        if path.suffix.lower() not in YAML_SUFFIXES:
            raise fail(f"not a YAML file (only files ending in {' or '.join(YAML_SUFFIXES)} "
                       "are read)")
        if info.st_size > MAX_FILE_BYTES:
            raise fail(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB "
                       f"({info.st_size} bytes); refusing to read it")
        with path.open("rb") as stream:
            # Read what stat saw (read(n) reserves n bytes: not 256 MB for a small file),
            # then on up to the cap if the file grew since.
            data = stream.read(min(info.st_size, MAX_FILE_BYTES) + 1)
            if len(data) > info.st_size:
                data += stream.read(MAX_FILE_BYTES + 1 - len(data))
    except FileNotFoundError:
        raise fail(f"no such file: {file}") from None
    except PermissionError:
        raise fail(f"permission denied: {file}") from None
    except (OSError, ValueError) as exc:  # ValueError: e.g. an embedded NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise fail(f"cannot read {file}: {reason}") from None
    return data
