"""sim.json_text writes exactly the standard library's indent=2 text, faster."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import json_text
from tests.profiles import examples

EXPECTED = Path(__file__).parent / "expected"

_scalars = (st.none() | st.booleans() | st.integers()
            | st.floats(allow_nan=True, allow_infinity=True) | st.text())
_keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.tuples(inner, inner)
                     | st.dictionaries(_keys, inner, max_size=4), max_leaves=30)


def _stdlib(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


@settings(max_examples=examples(300))
@given(_json)
@example({"a": {}, "b": [], "c": [{}], "é\u2028\"\\\x00": "ü\ud800"})
@example({1: 1, 2.5: 2, True: 3, None: 4, -math.inf: [math.nan, math.inf]})
def test_same_text_as_the_standard_library(obj):
    assert json_text.dumps(obj) == _stdlib(obj)


@pytest.mark.parametrize("path", sorted(EXPECTED.glob("*.summary.json")), ids=lambda p: p.name)
def test_same_text_for_every_golden_summary(path):
    summary = json.loads(path.read_text(encoding="utf-8"))
    assert json_text.dumps(summary) == _stdlib(summary)


@pytest.mark.parametrize("bad", [{"a": object()}, [1, {2, 3}], {(1, 2): 3}])
def test_what_the_standard_library_refuses_is_refused(bad):
    with pytest.raises(TypeError):
        _stdlib(bad)
    with pytest.raises(TypeError):
        json_text.dumps(bad)
