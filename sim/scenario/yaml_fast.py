"""The exact YAML reader of yaml_io on libyaml (C): the same values, several times faster.

libyaml scans and parses in C; `read_fast` builds the values straight from its events in
one loop, with the rules of `SafeDecimalLoader` (Decimal floats, decimal-only ints, no base
60, unique keys) and its limits (alias uses, depth, no recursive alias), without composing
a node graph (composing calls the Python resolver three times a node: 90 % of the time).
A document using what the loop leaves alone (explicit tags, merge keys, complex or aliased
keys) is read by `CDecimalLoader`: libyaml's composer, the limits on the graph, then
`SafeDecimalLoader`'s own constructor. libyaml refuses surrogate escapes and nests at most
1000 levels.
"""

from __future__ import annotations

from yaml._yaml import CParser
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent,
                         StreamEndEvent)
from yaml.nodes import CollectionNode, MappingNode, ScalarNode
from yaml.resolver import Resolver

from sim.scenario.yaml_io import (MAX_ALIASES, MAX_DEPTH, MAX_EXPANDED_NODES,
                                  SafeDecimalLoader, YAMLLimitError, check_expanded)

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_SPECIAL_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _Unusual(Exception):
    """The document uses a construct the event loop leaves to the full constructor."""


class CDecimalLoader(CParser, SafeDecimalLoader):
    """`SafeDecimalLoader` on libyaml: the C composer, the limits, then construction."""

    def __init__(self, stream):
        CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        check_shape(node)
        check_expanded(node)
        return self.construct_document(node)


def check_shape(root) -> None:
    """The composer's limits on a composed graph: alias uses, recursion, depth.

    Only anchored nodes are shared, so a node reached a second time is an alias use, and
    one reached again from inside itself a recursive alias.
    """
    uses, seen, inside = 0, {id(root)}, set()
    stack = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            inside.discard(id(node))
            continue
        if not isinstance(node, CollectionNode):
            continue
        if depth > MAX_DEPTH:
            raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                 node.start_mark)
        inside.add(id(node))
        stack.append((node, depth, True))
        children = ([c for pair in node.value for c in pair] if isinstance(node, MappingNode)
                    else node.value)
        for child in reversed(children):
            if id(child) in inside:
                raise YAMLLimitError(None, None, "an alias is used inside its own anchor "
                                     "(a recursive structure)", node.start_mark)
            if id(child) in seen:
                uses += 1
                if uses > MAX_ALIASES:
                    raise YAMLLimitError(
                        None, None, f"more than {MAX_ALIASES} alias uses (*name); refusing "
                        "a possible 'billion laughs' document", node.start_mark)
                continue
            seen.add(id(child))
            stack.append((child, depth + 1, False))


class _Frame:
    """An open collection: its value, and for a mapping the key waiting for its value."""

    __slots__ = ("value", "is_map", "key", "has_key", "keys", "anchor", "mark", "size",
                 "depth")

    def __init__(self, value, is_map: bool, anchor, mark):
        self.value, self.is_map, self.anchor, self.mark = value, is_map, anchor, mark
        self.key, self.has_key, self.keys = None, False, set() if is_map else None
        self.size, self.depth = 1, 1  # values and levels once aliases are expanded


def _events_to_value(parser: CParser, loader: CDecimalLoader):
    """The single document's value, built from libyaml's events (see the module's doc)."""
    table = SafeDecimalLoader.yaml_implicit_resolvers
    wildcard = table.get(None, [])
    resolvers = {first: rules + wildcard for first, rules in table.items()}
    constructors = SafeDecimalLoader.yaml_constructors
    anchors: dict[str, tuple[object, int, int]] = {}  # value, expanded size and depth
    distinct = 0  # values read (an alias adds none)
    open_anchors: set[str] = set()
    uses = 0
    stack: list[_Frame] = []
    root, documents = None, 0
    get = parser.get_event

    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            tag, text = event.tag, event.value
            if tag is None or tag == "!":
                tag = _STR
                if event.implicit[0]:  # plain: YAML's implicit types (Resolver.resolve)
                    for rule_tag, regexp in resolvers.get(text[:1] if text else "", wildcard):
                        if regexp.match(text):
                            tag = rule_tag
                            break
            elif tag != _STR:
                raise _Unusual  # an explicit tag: the full constructor words its errors
            if tag == _STR:
                value = text
            elif tag in _SPECIAL_KEYS:
                raise _Unusual
            else:
                value = constructors[tag](loader, ScalarNode(tag, text, event.start_mark,
                                                             event.end_mark))
            size, depth = 1, 0
            distinct += 1
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1, 0)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag not in (None, "!", _MAP if kind is MappingStartEvent else _SEQ):
                raise _Unusual
            if len(stack) >= MAX_DEPTH:
                raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels",
                                     event.start_mark)
            if stack and stack[-1].is_map and not stack[-1].has_key:
                raise _Unusual  # a collection as a key
            frame = _Frame({} if kind is MappingStartEvent else [],
                           kind is MappingStartEvent, event.anchor, event.start_mark)
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            distinct += 1
            stack.append(frame)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            value, tag, text, size, depth = frame.value, None, None, frame.size, frame.depth
            # check_expanded's limits: what aliases add, and the depth they reach.
            if depth > MAX_DEPTH:
                raise YAMLLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels once "
                                     "aliases are expanded", frame.mark)
            if size > MAX_EXPANDED_NODES + distinct:
                raise YAMLLimitError(None, None, "aliases expand the document to more than "
                                     f"{MAX_EXPANDED_NODES:,} values; refusing a possible "
                                     "'billion laughs' document", frame.mark)
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (value, size, depth)
        elif kind is AliasEvent:
            if event.anchor not in anchors and event.anchor not in open_anchors:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                    event.start_mark)
            if event.anchor in open_anchors:
                raise YAMLLimitError(None, None, f"alias *{event.anchor} is used inside its "
                                     "own anchor (a recursive structure)", event.start_mark)
            uses += 1
            if uses > MAX_ALIASES:
                raise YAMLLimitError(None, None, f"more than {MAX_ALIASES} alias uses "
                                     "(*name); refusing a possible 'billion laughs' document",
                                     event.start_mark)
            if stack and stack[-1].is_map and not stack[-1].has_key:
                raise _Unusual  # an aliased key: compared by node in the full constructor
            value, size, depth = anchors[event.anchor]
            tag = text = None
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise ComposerError("expected a single document in the stream", None,
                                    "but found another document", event.start_mark)
            continue
        elif kind is StreamEndEvent:
            return root
        else:  # StreamStart, DocumentEnd
            continue

        # A finished value: the root, an item, a key, or a key's value.
        if not stack:
            root = value
            continue
        top = stack[-1]
        top.size += size
        if depth >= top.depth:
            top.depth = depth + 1
        if not top.is_map:
            top.value.append(value)
        elif not top.has_key:
            if (tag, text) in top.keys:  # SafeDecimalLoader.construct_mapping's rule
                raise ConstructorError("while constructing a mapping", top.mark,
                                       f"found duplicate key {text!r}", event.start_mark)
            top.keys.add((tag, text))
            try:
                hash(value)
            except TypeError:
                raise _Unusual from None
            top.key, top.has_key = value, True
        else:
            top.value[top.key] = value
            top.has_key = False


def read_fast(data: bytes) -> object:
    """The value of a UTF-8 YAML document, exactly as `SafeDecimalLoader` reads it.

    Raises YAMLError (or YAMLLimitError) for a document that loader would refuse.
    """
    loader = CDecimalLoader(data)
    try:
        return _events_to_value(loader, loader)
    except _Unusual:
        pass
    finally:
        loader.dispose()
    loader = CDecimalLoader(data)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()

